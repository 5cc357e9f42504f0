"""provisiond(8), issue #4: grants become the groups (memberOf) and
attributes (umAppAccess) e-applications authorize from, live, and stay true
through revocations, deactivation, revoked delegations, kill -9, slapd
restarts and reloads. The expected projection is computed here, from
rights.yaml and the grants, independently of provisiond's C."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import ldap
import pytest
import yaml

from conftest import PROVISIOND, SUFFIX, TOP, Provisiond, free_port, start_instance, stop_instance
from helpers import (add_delegation, add_grant, delegation_dn, delete_tree, entry, grant_dn,
                     make_org, make_user, org_dn, unique, user_attrs)

GROUPS = "ou=groups," + SUFFIX
APPS = "ou=applications," + SUFFIX
ORGS = "ou=organizations," + SUFFIX
PROVISIOND_DN = "cn=provisiond,ou=system," + SUFFIX
# How long to wait for an asynchronous projection before calling it lost:
# not a latency bound (a slow machine is no failure; bench/latency.py
# measures the latency). wait_for returns as soon as the value is there.
DEADLINE = 60
RIGHTS = yaml.safe_load(open(os.path.join(TOP, "config", "rights.yaml")))


def wait_for(probe, expected, timeout=DEADLINE):
    """Polls probe() until it returns expected; the last value on failure."""
    deadline = time.time() + timeout
    value = probe()
    while value != expected and time.time() < deadline:
        time.sleep(0.05)
        value = probe()
    assert value == expected, "after %ss: %r, expected %r" % (timeout, value, expected)
    return value


def group(name):
    return "cn=%s,%s" % (name, GROUPS)


def groups_of(conn, user):
    """The groups under ou=groups with user as a member (lower case DNs)."""
    res = conn.search_s(GROUPS, ldap.SCOPE_ONELEVEL, "(member=%s)" % user, ["1.1"])
    return {dn.lower() for dn, _ in res}


def app_access(conn, user):
    try:
        res = conn.search_s(user, ldap.SCOPE_BASE, "(objectClass=*)", ["umAppAccess"])
    except ldap.NO_SUCH_OBJECT:
        return None
    return {v.decode().lower() for v in res[0][1].get("umAppAccess", [])}


def projection(conn, user):
    return groups_of(conn, user), app_access(conn, user)


def lower(*dns):
    return {d.lower() for d in dns}


def set_status(conn, user, status):
    conn.modify_s(user, [(ldap.MOD_REPLACE, "umStatus", [status.encode()])])


# ---- the expected projection, from rights.yaml alone ------------------------------


def expected_projection(conn):
    """{group dn: {member dns}} and {user dn: {umAppAccess}} that rights.yaml's
    project: rules make of every grant in the directory (DESIGN §4): nothing
    for a deactivated user, and for a grant on another organisation only
    what that organisation's delegation to the user's own still holds."""
    apps = {a["id"]: a for a in RIGHTS["applications"]}
    res = conn.search_s(ORGS, ldap.SCOPE_SUBTREE,
                        "(|(objectClass=umUser)(objectClass=umGrant)(objectClass=umDelegation))",
                        ["objectClass", "umStatus", "umRight", "umManage"])
    users, grants, delegations, manage = {}, [], {}, {}
    for dn, attrs in res:
        rdns = ldap.dn.str2dn(dn.lower())
        ocs = {v.decode().lower() for v in attrs.get("objectClass", [])}
        rights = {v.decode() for v in attrs.get("umRight", [])}
        if "umuser" in ocs:
            status = attrs.get("umStatus", [b"active"])[0].decode().lower()
            users[dn.lower()] = (rdns[2][0][1], status != "deactivated")
            manage[dn.lower()] = {v.decode().lower() for v in attrs.get("umManage", [])}
        elif "umgrant" in ocs:
            app, _, scope = rdns[0][0][1].partition("@")
            grants.append((ldap.dn.dn2str(rdns[1:]), app, scope, rights))
        elif "umdelegation" in ocs:
            app, _, router = rdns[0][0][1].partition("@")
            delegations[(rdns[2][0][1], app, router)] = rights
    want_groups, want_attrs = {}, {u: set() for u in users}
    for user, app_id, scope, rights in grants:
        if user not in users or app_id not in apps:
            continue
        org, active = users[user]
        if not active:
            continue
        if scope != org:
            rights = rights & delegations.get((scope, app_id, org), set())
        app = apps[app_id]
        dims = {d["id"]: d for d in app["dimensions"]}
        known = set()
        for r in rights:
            dim, _, value = r.partition(":")
            d = dims.get(dim)
            if d and ("values" not in d or value in {v["id"] for v in d["values"]}):
                known.add((dim, value))
        if not known:
            continue
        for rule in app.get("project", []):
            if "attribute" in rule:
                want_attrs[user].add(rule["value"].replace("{app}", app_id).lower())
                continue
            if "for" in rule:
                names = [rule["group"].replace("{%s}" % rule["for"], v)
                         for d, v in known if d == rule["for"]]
            else:
                names = [rule["group"]]
            for name in names:
                dn = name.replace("{suffix}", SUFFIX).replace("{app}", app_id).lower()
                want_groups.setdefault(dn, set()).add(user)
    # §2.2.4: a management right's project: rules (ftp), for active holders
    for user, (org, active) in users.items():
        if not active:
            continue
        for m in RIGHTS["management"]:
            if m["id"] not in manage[user]:
                continue
            for rule in m.get("project", []):
                if "attribute" in rule:
                    want_attrs[user].add(rule["value"].lower())
                else:
                    dn = rule["group"].replace("{suffix}", SUFFIX).lower()
                    want_groups.setdefault(dn, set()).add(user)
    return want_groups, want_attrs


def actual_projection(conn):
    """The groups provisiond owns, and every user's umAppAccess."""
    res = conn.search_s(GROUPS, ldap.SCOPE_ONELEVEL, "(owner=%s)" % PROVISIOND_DN, ["member"])
    have_groups = {dn.lower(): {m.decode().lower() for m in attrs.get("member", [])}
                   for dn, attrs in res}
    res = conn.search_s(ORGS, ldap.SCOPE_SUBTREE, "(objectClass=umUser)", ["umAppAccess"])
    have_attrs = {dn.lower(): {v.decode().lower() for v in attrs.get("umAppAccess", [])}
                  for dn, attrs in res}
    return have_groups, have_attrs


def assert_projection_exact(conn, timeout=30):
    """Every owned group and every umAppAccess is what the grants say: no
    duplicate, nothing missing, nothing stale."""
    deadline = time.time() + timeout
    while True:
        want = expected_projection(conn)
        have = actual_projection(conn)
        if want == have or time.time() > deadline:
            break
        time.sleep(0.5)
    for kind, w, h in (("group", want[0], have[0]), ("umAppAccess", want[1], have[1])):
        missing = {k: sorted(w[k] - h.get(k, set())) for k in w if w[k] - h.get(k, set())}
        extra = {k: sorted(h[k] - w.get(k, set())) for k in h if h[k] - w.get(k, set())}
        assert not missing and not extra, "%s: missing %s; stale %s" % (
            kind, dict(list(missing.items())[:5]), dict(list(extra.items())[:5]))


# ---- projection ----------------------------------------------------------------


@pytest.fixture(scope="module")
def customer(directory):
    c = directory.root()
    org = make_org(c, billing=["BA-1"], prefix="prov")
    c.unbind_s()
    yield org
    c = directory.root()  # slapd may have been restarted meanwhile
    delete_tree(c, org_dn(org))
    c.unbind_s()


EMASSPOST = ["product:letter", "billing:BA-1", "role:creation", "role:validation-price"]


def test_grant_projects_groups_memberof_and_umappaccess(root, customer):
    user = make_user(root, customer, prefix="pg", grants={"emasspost": EMASSPOST})
    want = lower(group("emasspost"), group("emasspost-creation"),
                 group("emasspost-validation-price"))
    wait_for(lambda: projection(root, user), (want, {"emasspost"}))
    member_of = root.search_s(user, ldap.SCOPE_BASE, attrlist=["memberOf"])[0][1]["memberOf"]
    assert want <= {v.decode().lower() for v in member_of}
    # a second application adds its own groups and value
    add_grant(root, user, "distriplanner", customer, ["billing:BA-1", "role:quick-view"])
    wait_for(lambda: projection(root, user),
             (want | lower(group("distriplanner"), group("distriplanner-quick-view")),
              {"emasspost", "distriplanner"}))


def test_e_application_authorizes_from_groups(directory, root, customer):
    """What an e-application does (DESIGN §1): bind as its service identity
    and check group membership or umAppAccess; it never reads grants."""
    user = make_user(root, customer, prefix="ea", grants={"emasspost": EMASSPOST})
    wait_for(lambda: app_access(root, user), {"emasspost"})
    app = directory.bind("cn=emasspost,ou=apps,ou=system," + SUFFIX,
                         directory.secrets["UM_APP_PW"])
    try:
        assert app.compare_s(group("emasspost-creation"), "member", user.encode())
        assert not app.compare_s(group("emasspost-administrator"), "member", user.encode()) \
            if root.search_s(GROUPS, ldap.SCOPE_ONELEVEL, "(cn=emasspost-administrator)") \
            else True
        res = app.search_s(user, ldap.SCOPE_BASE, "(umAppAccess=emasspost)", ["1.1"])
        assert len(res) == 1
    finally:
        app.unbind_s()


def test_revoked_values_and_grants_disappear(root, customer):
    user = make_user(root, customer, prefix="rv", grants={"emasspost": EMASSPOST})
    g = grant_dn(user, "emasspost", customer)
    wait_for(lambda: groups_of(root, user),
             lower(group("emasspost"), group("emasspost-creation"),
                   group("emasspost-validation-price")))
    root.modify_s(g, [(ldap.MOD_DELETE, "umRight", [b"role:validation-price"])])
    wait_for(lambda: groups_of(root, user),
             lower(group("emasspost"), group("emasspost-creation")))
    root.delete_s(g)
    wait_for(lambda: projection(root, user), (set(), set()))


def test_deactivated_user_loses_everything_and_gets_it_back(root, customer):
    """§3.1: deactivation keeps the grants but lets nothing in; reactivation
    gives everything back."""
    user = make_user(root, customer, prefix="da", grants={"emasspost": EMASSPOST})
    full = (lower(group("emasspost"), group("emasspost-creation"),
                  group("emasspost-validation-price")), {"emasspost"})
    wait_for(lambda: projection(root, user), full)
    set_status(root, user, "deactivated")
    wait_for(lambda: projection(root, user), (set(), set()))
    set_status(root, user, "active")
    wait_for(lambda: projection(root, user), full)


def test_ftp_right_projects_the_ftp_group_and_umappaccess(root, customer):
    """§2.2.4 FTP access (umManage ftp, rights.yaml's project: on the
    management entry): the FTP server's group and umAppAccess ftp, kept true
    through the sync session as umManage and umStatus change."""
    user = make_user(root, customer, prefix="ftp", manage=["ftp"],
                     grants={"emasspost": EMASSPOST})
    apps = lower(group("emasspost"), group("emasspost-creation"),
                 group("emasspost-validation-price"))
    full = (apps | lower(group("ftp")), {"emasspost", "ftp"})
    wait_for(lambda: projection(root, user), full)
    # the right taken away: the FTP door closes, the application stays
    root.modify_s(user, [(ldap.MOD_DELETE, "umManage", [b"ftp"])])
    wait_for(lambda: projection(root, user), (apps, {"emasspost"}))
    root.modify_s(user, [(ldap.MOD_ADD, "umManage", [b"ftp"])])
    wait_for(lambda: projection(root, user), full)
    # §3.1: a deactivated holder drops out, and comes back on reactivation
    set_status(root, user, "deactivated")
    wait_for(lambda: projection(root, user), (set(), set()))
    set_status(root, user, "active")
    wait_for(lambda: projection(root, user), full)
    # another management right changes nothing the FTP server sees
    root.modify_s(user, [(ldap.MOD_ADD, "umManage", [b"users"])])
    wait_for(lambda: projection(root, user), full)


def test_delegation_bounds_and_revokes_router_users(root, customer):
    """§2.3.1 sous-traitants: a router's user holds on the customer only what
    the customer's delegation still gives; revoking it removes the
    projection."""
    router = make_org(root, kind="router", prefix="provr")
    try:
        given = ["product:letter", "billing:BA-1", "role:creation", "role:validation-price"]
        add_delegation(root, customer, "emasspost", router, given)
        user = make_user(root, router, prefix="ru", grants={("emasspost", customer): given})
        full = lower(group("emasspost"), group("emasspost-creation"),
                     group("emasspost-validation-price"))
        wait_for(lambda: projection(root, user), (full, {"emasspost"}))
        # the customer takes one role back: the router's user loses it too
        d = delegation_dn(customer, "emasspost", router)
        root.modify_s(d, [(ldap.MOD_DELETE, "umRight", [b"role:validation-price"])])
        wait_for(lambda: groups_of(root, user),
                 lower(group("emasspost"), group("emasspost-creation")))
        root.delete_s(d)
        wait_for(lambda: projection(root, user), (set(), set()))
        add_delegation(root, customer, "emasspost", router, given)
        wait_for(lambda: projection(root, user), (full, {"emasspost"}))
        root.delete_s(d)
        wait_for(lambda: projection(root, user), (set(), set()))
    finally:
        delete_tree(root, org_dn(router))


def reload(p, rights_text=None):
    """SIGHUP after rewriting provisiond's own copy of rights.yaml."""
    if rights_text is not None:
        with open(p.rights, "w") as f:
            f.write(rights_text)
    since = p.log_size()
    p.send(signal.SIGHUP)
    p.wait_log(r"reconcile: done", since)


def test_group_created_with_first_member_deleted_with_last(directory, root):
    """A rule on a dimension whose values are the organisation's own
    (billing): the group of a fresh billing id has one member, so its
    life is that member's. Dropping the rule removes its groups."""
    p = directory.provisiond
    original = open(p.rights).read()
    rule = '      - {group: "cn=emasspost-{role},ou=groups,{suffix}", for: role}\n'
    assert rule in original
    tag = unique("gl").lower()
    extra = '      - {group: "cn=%s-{billing},ou=groups,{suffix}", for: billing}\n' % tag
    bid = "BA-%s" % tag
    org = make_org(root, billing=[bid], prefix="glorg")
    try:
        reload(p, original.replace(rule, rule + extra, 1))
        name = ("cn=%s-%s,%s" % (tag, bid, GROUPS)).lower()
        user = make_user(root, org, prefix="gl",
                         grants={"emasspost": ["product:letter", "billing:" + bid]})
        wait_for(lambda: name in groups_of(root, user), True)
        attrs = root.search_s(name, ldap.SCOPE_BASE, attrlist=["owner", "member"])[0][1]
        assert attrs["owner"] == [PROVISIOND_DN.encode()]
        assert [m.lower() for m in attrs["member"]] == [user.lower().encode()]
        # the user goes (operators may delete; grants first, as LDAP wants)
        delete_tree(root, user)

        def exists():
            try:
                root.search_s(name, ldap.SCOPE_BASE, attrlist=["1.1"])
                return True
            except ldap.NO_SUCH_OBJECT:
                return False
        wait_for(exists, False)
        # with the rule gone its groups go too
        user = make_user(root, org, prefix="gl",
                         grants={"emasspost": ["product:letter", "billing:" + bid]})
        wait_for(exists, True)
        reload(p, original)
        wait_for(exists, False)
    finally:
        with open(p.rights, "w") as f:
            f.write(original)
        delete_tree(root, org_dn(org))


def test_catalogue_in_ou_applications(directory, root):
    res = dict(root.search_s(APPS, ldap.SCOPE_ONELEVEL,
                             "(&(objectClass=umCatalogEntry)(umApplication=*))"))
    assert {dn.lower() for dn in res} == {
        ("cn=%s,%s" % (a["id"], APPS)).lower() for a in RIGHTS["applications"]}
    e = res["cn=emasspost," + APPS]
    assert e["umApplication"] == [b"emasspost"]
    assert e["umDelegable"] == [b"TRUE"]
    assert sorted(v.split(b":")[0] for v in e["umLabel"]) == [b"de", b"en", b"fr", b"nl"]
    assert b"product:letter" in e["umRight"] and b"role:creation" in e["umRight"]
    assert not any(v.startswith(b"billing:") for v in e["umRight"])  # the org's own
    # an entry rights.yaml does not have goes at the next reload
    root.add_s("cn=gone-app," + APPS, entry({"objectClass": "umCatalogEntry", "cn": "gone-app",
                                            "umApplication": "gone-app"}))
    reload(directory.provisiond)
    wait_for(lambda: bool(root.search_s(APPS, ldap.SCOPE_ONELEVEL, "(cn=gone-app)")), False)


# ---- crash safety, restarts, reloads ------------------------------------------------


def ldif_entry(dn, attrs):
    lines = ["dn: " + dn]
    for k, vs in attrs.items():
        for v in vs if isinstance(vs, list) else [vs]:
            if v is not None:
                lines.append("%s: %s" % (k, v))
    return "\n".join(lines) + "\n"


def bulk_ldif(n):
    """A customer with n users (a tenth deactivated), each with an emasspost
    grant and every third one with distriplanner too; a router with n/100
    users holding grants on the customer through a delegation. The
    projection is already there for most of them, as a reconcile killed
    midway would leave it: 70% right, 20% missing, 10% wrong, some stale
    members and a stale group; and a group someone else made, which must
    be left alone."""
    org, router = "bulk-c", "bulk-r"
    roles = ["creation", "validation-price", "global-consultation", "deposit-summary"]
    out, members = [], {}
    for o, kind in ((org, "customer"), (router, "router")):
        out.append(ldif_entry(org_dn(o), {"objectClass": ["organization", "umOrganization"],
                                          "o": o, "displayName": o.upper(), "umOrgKind": kind,
                                          "postalAddress": "RUE DU TEST 1$1000 BRUSSEL"}))
        for ou in ("users", "billing", "contracts", "delegations"):
            out.append(ldif_entry("ou=%s,%s" % (ou, org_dn(o)),
                                  {"objectClass": "organizationalUnit", "ou": ou}))
    out.append(ldif_entry("umBillingId=BA-1,ou=billing," + org_dn(org),
                          {"objectClass": "umBillingAddress", "umBillingId": "BA-1",
                           "cn": "BA-1"}))
    given = ["product:letter", "billing:BA-1", "role:creation"]
    out.append(ldif_entry(delegation_dn(org, "emasspost", router),
                          {"objectClass": "umDelegation", "cn": "emasspost@" + router,
                           "umApplication": "emasspost", "umDelegate": org_dn(router),
                           "umRight": given}))

    def user(o, uid, active, grants, i):
        dn = "uid=%s,ou=users,%s" % (uid, org_dn(o))
        apps = sorted(a for a, _ in grants) if active else []
        attrs = user_attrs(uid, status="active" if active else "deactivated")
        attrs["pwdReset"] = "FALSE"
        # what a reconcile cut short may have left
        if i % 10 < 7:
            attrs["umAppAccess"] = apps or None
        elif i % 10 == 9:
            attrs["umAppAccess"] = "invoice-reporter"
        out.append(ldif_entry(dn, attrs))
        for app, rights in grants:
            out.append(ldif_entry("cn=%s@%s,%s" % (app, org, dn),
                                  {"objectClass": "umGrant", "cn": "%s@%s" % (app, org),
                                   "umApplication": app, "umScope": org, "umRight": rights}))
            if active and i % 10 < 7:
                groups = [app] + ["%s-%s" % (app, r[5:]) for r in rights if r.startswith("role:")]
                for g in groups:
                    members.setdefault(g, []).append(dn)
        if not active and i % 50 == 7:  # stale: deactivated but still in
            members.setdefault("emasspost", []).append(dn)
        if i % 200 == 0:
            members.setdefault("emasspost-administrator", []).append(dn)
        return dn

    for i in range(n):
        grants = [("emasspost", ["product:letter", "billing:BA-1", "role:" + roles[i % 4]])]
        if i % 3 == 0:
            grants.append(("distriplanner", ["billing:BA-1", "role:order-entry"]))
        user(org, "bulkc-%05d" % i, i % 10 != 7, grants, i)
    for i in range(n // 100):
        # the delegation does not give validation-price: it must not show
        user(router, "bulkr-%04d" % i, True,
             [("emasspost", given + ["role:validation-price"])], i)
    for g, dns in members.items():
        out.append(ldif_entry("cn=%s,%s" % (g, GROUPS),
                              {"objectClass": "groupOfNames", "cn": g, "member": dns,
                               "owner": PROVISIOND_DN}))
    out.append(ldif_entry("cn=made-by-hand," + GROUPS,
                          {"objectClass": "groupOfNames", "cn": "made-by-hand",
                           "member": "uid=bulkc-00001,ou=users," + org_dn(org)}))
    return "\n".join(out)


@pytest.fixture
def bulk(tmp_path):
    """Its own slapd, loaded with slapadd (the session's keeps its pace),
    and its own provisiond."""
    ldif = tmp_path / "bulk.ldif"
    ldif.write_text(bulk_ldif(10000))
    path = str(tmp_path / "inst")
    d = start_instance(path, free_port(), {"UM_EXTRA_LDIF": str(ldif)})
    d.provisiond = Provisiond(d, os.path.join(path, "provisiond"))
    yield d
    d.provisiond.kill()
    stop_instance(path)


def test_kill9_during_reconcile_of_10k_users_converges(bulk):
    p = bulk.provisiond
    c = bulk.root()
    hand = c.search_s("cn=made-by-hand," + GROUPS, ldap.SCOPE_BASE)[0][1]
    since = p.start(wait=False)
    m = p.wait_log(r"reconcile: (\d+) changes to apply", since, timeout=60)
    assert int(m.group(1)) > 1000, "nothing to cut short"
    # attributes come last (apply.c): the first user missing its own has it
    first = "uid=bulkc-00008,ou=users," + org_dn("bulk-c")
    wait_for(lambda: app_access(c, first), {"emasspost"}, timeout=60)
    assert p.kill() == -signal.SIGKILL
    assert "reconcile: done" not in p.log_text(since), "the reconcile was not cut short"
    assert expected_projection(c) != actual_projection(c), "killed too late to tell"
    since = p.start(wait=False)
    p.wait_log(r"in sync with", since, timeout=120)
    assert_projection_exact(c)
    # what is not provisiond's stays as it was
    assert c.search_s("cn=made-by-hand," + GROUPS, ldap.SCOPE_BASE)[0][1] == hand
    # duplicates: a member is there once
    for dn, attrs in c.search_s(GROUPS, ldap.SCOPE_ONELEVEL, "(owner=%s)" % PROVISIOND_DN,
                                ["member"]):
        vals = [v.lower() for v in attrs["member"]]
        assert len(vals) == len(set(vals)), dn
    # and the sync goes on from there
    user = make_user(c, "bulk-c", prefix="after", grants={"emasspost": EMASSPOST})
    wait_for(lambda: app_access(c, user), {"emasspost"})
    print(p.wait_log(r"reconcile: done in \d+ ms", since).group(0))
    c.unbind_s()


def test_restart_resumes_from_the_saved_cookie(directory, root, customer):
    p = directory.provisiond
    cookie = os.path.join(p.state, "cookie")
    wait_for(lambda: os.path.exists(cookie), True)
    assert not os.path.exists(cookie + ".tmp")
    assert p.stop() == 0
    # changes made while provisiond is down are projected when it is back
    user = make_user(root, customer, prefix="rs", grants={"emasspost": EMASSPOST})
    since = p.start()
    assert "resuming the sync" in p.log_text(since)
    wait_for(lambda: app_access(root, user), {"emasspost"})
    assert_projection_exact(root)


def test_slapd_restart_under_it_recovers(directory, root, customer):
    p = directory.provisiond
    since = p.log_size()
    subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "stop", directory.path],
                   check=True, capture_output=True)
    p.wait_log(r"lost|sync session ended|retrying", since)
    subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "start", directory.path,
                    str(directory.port)], check=True, capture_output=True, env=directory.env)
    # provisiond retries with a backoff of up to 30 s (ldapconn.c): however
    # long slapd took to come back, the next attempt is that far away
    p.wait_log(r"connected to", since, timeout=30 + DEADLINE)
    assert p.proc.poll() is None
    c = directory.root()
    try:
        user = make_user(c, customer, prefix="sr", grants={"emasspost": EMASSPOST})
        wait_for(lambda: app_access(c, user), {"emasspost"})
    finally:
        c.unbind_s()


def test_sighup_with_broken_yaml_keeps_the_old_configuration(directory, root, customer):
    p = directory.provisiond
    for path, broken in ((p.conf, "uri: [\n"),
                         (p.rights, "version: 1\nmanagement: []\napplications: {}\n")):
        good = open(path).read()
        try:
            with open(path, "w") as f:
                f.write(broken)
            since = p.log_size()
            p.send(signal.SIGHUP)
            m = p.wait_log(r"(%s:\d+:\d+: .*)" % path.replace(".", r"\."), since)
            p.wait_log(r"still running with the previous configuration", since)
            assert p.proc.poll() is None, m.group(1)
            # and it still projects
            user = make_user(root, customer, prefix="hup", grants={"emasspost": EMASSPOST})
            wait_for(lambda: app_access(root, user), {"emasspost"})
        finally:
            with open(path, "w") as f:
                f.write(good)
    since = p.log_size()
    reload(p)
    assert re.search(r"reload: .* loaded", p.log_text(since))


def test_systemd_notify_protocol(directory, tmp_path):
    """sd_notify(3) as a Type=notify unit with WatchdogSec sees it: READY,
    STATUS, WATCHDOG pings from the loop, RELOADING then READY on SIGHUP,
    STOPPING on SIGTERM (exit 0)."""
    sock_path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(0.2)
    conf = directory.provisiond.write_conf(str(tmp_path / "p.yaml"))
    text = re.sub(r"(?m)^state-dir: .*$", 'state-dir: "%s"' % (tmp_path / "state"),
                  open(conf).read())
    with open(conf, "w") as f:
        f.write(text)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="400000")
    proc = subprocess.Popen([PROVISIOND, "-d", "-f", conf], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = []

    def until(pred, timeout=DEADLINE):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                seen.extend(sock.recv(4096).decode().split("\n"))
            except socket.timeout:
                pass
            if pred():
                return
        raise AssertionError("sd_notify: only %r" % seen[-20:])
    try:
        until(lambda: "READY=1" in seen and any(s.startswith("STATUS=in sync") for s in seen))
        n = seen.count("WATCHDOG=1")
        until(lambda: seen.count("WATCHDOG=1") >= n + 3)  # every 200 ms
        del seen[:]
        proc.send_signal(signal.SIGHUP)
        until(lambda: "READY=1" in seen)
        assert seen.index("RELOADING=1") < seen.index("READY=1")
        proc.send_signal(signal.SIGTERM)
        until(lambda: "STOPPING=1" in seen)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


# ---- the command line ---------------------------------------------------------------


def run_check(conf):
    return subprocess.run([PROVISIOND, "-n", "-f", conf], capture_output=True, text=True,
                          timeout=30)


def test_check_mode_on_good_and_broken_configurations(directory, tmp_path):
    p = directory.provisiond
    r = run_check(p.conf)
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(p.conf).read().replace("timeout: 10", "timeout: soon")
                   + "colour: blue\n")
    r = run_check(str(bad))
    assert r.returncode == 1
    assert "%s:" % bad in r.stderr
    lines = [l for l in r.stderr.splitlines() if str(bad) + ":" in l]
    assert any('"timeout" must be a number' in l for l in lines), r.stderr
    assert any('unknown key "colour"' in l for l in lines), r.stderr
    for l in lines[:-1]:  # every error with its place; the last line counts them
        assert re.search(r"bad\.yaml:\d+:\d+: ", l), l
    assert "2 errors" in r.stderr
    # a broken rights.yaml is reported at its own line and column
    rights = tmp_path / "rights.yaml"
    rights.write_text("version: 1\nmanagement:\n  - {id: admins}\n")
    conf = tmp_path / "r.yaml"
    p.write_conf(str(conf), **{"@RIGHTS@": str(rights)})
    r = run_check(str(conf))
    assert r.returncode == 1
    assert re.search(r"rights\.yaml:3:\d+: ", r.stderr), r.stderr


def test_world_readable_password_file_is_refused(directory, tmp_path):
    p = directory.provisiond
    pw = tmp_path / "provisiond.pw"
    shutil.copyfile(os.path.join(directory.path, "provisiond.pw"), pw)
    os.chmod(pw, 0o644)
    conf = str(tmp_path / "p.yaml")
    text = open(p.conf).read().replace(os.path.join(directory.path, "provisiond.pw"), str(pw))
    with open(conf, "w") as f:
        f.write(text)
    r = run_check(conf)
    assert r.returncode == 1
    assert "accessible by others (mode 0644)" in r.stderr, r.stderr
    r = subprocess.run([PROVISIOND, "-d", "-f", conf], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "accessible by others" in r.stderr
    os.chmod(pw, 0o600)
    assert run_check(conf).returncode == 0
