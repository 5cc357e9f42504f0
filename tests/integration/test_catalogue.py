"""The catalogue in the directory (DESIGN §3 last paragraph, §4; issue 12
part 1): provisiond publishes under ou=applications one entry per
application, dimension, value and §2.3.5 profile, labels as
description;lang-xx, and the management rights of §2.2.4 under their own
entry, so that any LDAP client (umctl included) shows the choices without
rights.yaml."""
import os

import ldap
import yaml

from conftest import SUFFIX, TOP
from helpers import delete_tree, make_org, make_user, USER_PW
from test_provisiond import reload, wait_for

APPS = "ou=applications," + SUFFIX
RIGHTS = yaml.safe_load(open(os.path.join(TOP, "config", "rights.yaml")))
LANGS = ("nl", "fr", "de", "en")


def s(v):
    return v.decode() if isinstance(v, bytes) else v


def labels(attrs):
    return {k.split(";lang-")[1]: s(v[0]) for k, v in attrs.items()
            if k.lower().startswith("description;lang-")}


def tree(conn):
    return {dn.lower(): a for dn, a in conn.search_s(APPS, ldap.SCOPE_SUBTREE,
                                                     "(objectClass=umCatalogEntry)")}


def test_every_application_dimension_and_value_with_its_labels(directory, root):
    t = tree(root)
    for app in RIGHTS["applications"]:
        adn = ("cn=%s,%s" % (app["id"], APPS)).lower()
        a = t[adn]
        assert a["umCatalogKind"] == [b"application"]
        assert labels(a) == {l: app["label"][l] for l in LANGS}
        assert a["umDelegable"] == [b"TRUE" if app.get("delegable") else b"FALSE"]
        for dim in app["dimensions"]:
            ddn = ("cn=%s,%s" % (dim["id"], adn)).lower()
            d = t[ddn]
            assert d["umCatalogKind"] == [b"dimension"]
            assert d["umDimension"] == [dim["id"].encode()]
            assert d["umValueSource"] == [dim.get("source", "static").encode()]
            assert labels(d) == {l: dim["label"][l] for l in LANGS}
            assert [s(k) for k in d.get("umAcceptsKind", [])] == dim.get("kinds", [])
            for v in dim.get("values", []):
                e = t[("cn=%s,%s" % (v["id"], ddn)).lower()]
                assert e["umRight"] == [("%s:%s" % (dim["id"], v["id"])).encode()]
                assert labels(e) == {l: v["label"][l] for l in LANGS}
                # §2.3.1 Senders Management: router-only
                assert e["umRouterOnly"] == [b"TRUE" if v.get("router-only") else b"FALSE"]
    fr = labels(t[("cn=senders-management,cn=role,cn=emasspost," + APPS).lower()])["fr"]
    assert fr == "Senders Management"


def test_the_2_3_5_matrix(directory, root):
    t = tree(root)
    app = next(a for a in RIGHTS["applications"] if a["id"] == "parcels-international")
    for p in app["profiles"]:
        e = t[("umProfile=%s,cn=parcels-international,%s" % (p["id"], APPS)).lower()]
        assert e["umCatalogKind"] == [b"profile"]
        assert labels(e) == {l: p["label"][l] for l in LANGS}
        want_x = {"%s:%s" % (d, v) for d, m in p["require"].items() for v, k in m.items()
                  if k == "X"}
        want_o = {"%s:%s" % (d, v) for d, m in p["require"].items() for v, k in m.items()
                  if k == "O"}
        assert {s(v) for v in e.get("umMandatory", [])} == want_x
        assert {s(v) for v in e.get("umOptional", [])} == want_o
        assert {s(v) for v in e["umConstrains"]} == set(p["require"])
        assert {s(v) for v in e["umAtLeastOne"]} == set(p["at-least-one"])
    # read only: eshipper-light X, 21/23/50 not allowed (NA: listed nowhere)
    ro = t[("umProfile=read-only,cn=parcels-international," + APPS).lower()]
    assert b"access:eshipper-light" in ro["umMandatory"]
    assert b"bordereau:21" not in ro["umOptional"] + ro["umMandatory"]


def test_the_management_rights_under_their_own_entry(directory, root):
    t = tree(root)
    m = t[("cn=management," + APPS).lower()]
    assert labels(m)["fr"] == "Gestion des utilisateurs"
    for r in RIGHTS["management"]:
        e = t[("cn=%s,cn=management,%s" % (r["id"], APPS)).lower()]
        assert e["umManage"] == [r["id"].encode()]
        assert labels(e) == {l: r["label"][l] for l in LANGS}


def test_every_bound_user_reads_it_anonymous_does_not(directory, root):
    org = make_org(root)
    try:
        user = make_user(root, org, prefix="cat")
        c = directory.bind(user, USER_PW)
        try:
            assert tree(c).keys() == tree(root).keys()
        finally:
            c.unbind_s()
        anon = directory.bind()
        try:
            assert anon.search_s(APPS, ldap.SCOPE_SUBTREE, "(objectClass=*)") == []
        except ldap.NO_SUCH_OBJECT:
            pass
    finally:
        delete_tree(root, "o=%s,ou=organizations,%s" % (org, SUFFIX))


def test_a_reload_writes_only_what_changed(directory, root):
    p = directory.provisiond
    original = open(p.rights).read()
    try:
        since = p.log_size()
        reload(p)
        assert " modified, " not in p.log_text(since)  # nothing differs: nothing written
        # a label changed, a value gone: that entry modified, that one deleted
        changed = original.replace('fr: "Lettre"', 'fr: "Lettre ordinaire"').replace(
            '''          - id: prior
            label: {nl: "Prior", fr: "Prior", de: "Prior", en: "Prior"}
''', "")
        assert changed.count("Lettre ordinaire") == 1 and "id: prior\n" not in changed
        since = p.log_size()
        reload(p, changed)
        # the value's entry and its application's umRight list
        assert "0 entries of %s added, 2 modified, 1 deleted" % APPS in p.log_text(since)
        t = tree(root)
        assert labels(t[("cn=letter,cn=product,cn=emasspost," + APPS).lower()])["fr"] == \
            "Lettre ordinaire"
        assert ("cn=prior,cn=product,cn=emasspost," + APPS).lower() not in t
    finally:
        reload(p, original)
    t = tree(root)
    assert labels(t[("cn=letter,cn=product,cn=emasspost," + APPS).lower()])["fr"] == "Lettre"
    assert ("cn=prior,cn=product,cn=emasspost," + APPS).lower() in t
