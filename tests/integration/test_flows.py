"""Every legitimate flow of the manual goes through slapo-delegate and has
its effect: users (§2.2), grants per application (§2.3.1 to §2.3.6),
"copy all my rights", self-service and passwords (§3.2), deactivation
(§3.1), routers (§2.3.1 sous-traitants), the operator's staff, and rule 4
for the rootdn. Each test builds its own organisation."""
import types

import ldap
import pytest

from helpers import (USER_PW, add_delegation, add_grant, bind, delete_tree, diagnostic, entry,
                     grant_dn, make_org, make_user, org_dn, read, rights, unique, user_attrs,
                     user_dn, values)

CONTRACTS = {"CS-1": "cs-master", "PN-1": "parcels-national", "PN-2": "parcels-national",
             "BPI-1": "parcels-international", "BPI-2": "parcels-international"}
# what the organisation's first administrator holds (like PRINTSCREENS, §2.1)
ADMIN_GRANTS = {
    "emasspost": ["product:letter", "product:prior", "product:non-prior", "product:printed",
                  "product:kilopost", "billing:BA-1", "billing:BA-2", "billing:BA-3",
                  "role:creation", "role:validation-price", "role:global-consultation",
                  "role:deposit-summary", "role:administrator"],
    "distriplanner": ["billing:BA-1", "billing:BA-2", "role:order-entry", "role:quick-view"],
    "collect-stamp": ["contract:CS-1", "function:advanced-search-registered",
                      "function:barcode-search-parcels", "function:invoice-search"],
    "parcels-national": ["role:user", "contract:PN-1", "contract:PN-2"],
    # §2.3.5 "Post international ETOE", the widest profile
    "parcels-international": ["access:eshipper-pro2", "access:etoe", "access:general",
                              "access:prices", "contract:BPI-1", "contract:BPI-2",
                              "bordereau:10", "bordereau:21", "bordereau:31", "bordereau:33",
                              "bordereau:50"],
    "invoice-reporter": ["billing:BA-1", "billing:BA-2", "billing:BA-3"],
}


@pytest.fixture
def new_org(root):
    """make_org(), the organisations removed after the test."""
    made = []

    def make(**kw):
        made.append(make_org(root, **kw))
        return made[-1]
    yield make
    for org_id in made:
        delete_tree(root, org_dn(org_id))


@pytest.fixture
def org(directory, root, new_org):
    """A fresh customer with billing addresses, contracts of every kind, an
    admins-admin ADMIN (fr) and a plain user T (en) with no grant."""
    org_id = new_org(billing=["BA-1", "BA-2", "BA-3"], contracts=CONTRACTS, prefix="flow")
    admin = make_user(root, org_id, "admin", lang="fr",
                      manage=["admins", "users", "password-recovery", "ftp"], grants=ADMIN_GRANTS)
    t = make_user(root, org_id, "t", lang="en")
    o = types.SimpleNamespace(id=org_id, dn=org_dn(org_id), admin=admin, t=t,
                              conn=bind(directory, admin))
    yield o
    o.conn.unbind_s()


def lower(dn):
    return dn.lower().replace(", ", ",")


def grant_entries(conn, user):
    """{app: sorted umRight} of every grant under user."""
    res = conn.search_s(user, ldap.SCOPE_ONELEVEL, "(objectClass=umGrant)",
                        ["umApplication", "umRight"])
    return {a["umApplication"][0].decode(): sorted(v.decode() for v in a.get("umRight", []))
            for _, a in res}


# ---- users (§2.2) ---------------------------------------------------------

def test_admin_creates_user_with_temporary_password(directory, root, org):
    uid = unique("MARIE")
    dn = user_dn(uid, org.id)
    org.conn.add_s(dn, entry(user_attrs(uid, lang="fr", password="Temporaire1",
                                        umSecurityQuestion="Ville natale ?")))
    got = read(root, dn)
    # §2.2.2 "Créé par": the administrator, not the rootdn
    assert lower(got["creatorsName"][0].decode()) == lower(org.admin)
    assert got["umStatus"] == [b"active"] and got["preferredLanguage"] == [b"fr"]
    assert got["mail"] == [(uid.lower() + "@example.com").encode()]
    # §3.2: the password the administrator chose is temporary
    assert got["pwdReset"] == [b"TRUE"]
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        bind(directory, dn, "Temporaire1")
    assert "est temporaire" in diagnostic(exc.value)
    c = bind(directory, dn, "Temporaire1", ppolicy=True)
    c.passwd_s(dn, "Temporaire1", "Definitif-22")
    assert bind(directory, dn, "Definitif-22").whoami_s().lower() == "dn:" + lower(dn)


def test_users_admin_creates_user_and_gives_part_of_its_rights(directory, root, org):
    uadm = make_user(root, org.id, "uadm", manage=["users"],
                     grants={"emasspost": ["product:letter", "product:prior", "billing:BA-1",
                                           "role:creation"]})
    c = bind(directory, uadm)
    uid = unique("new")
    dn = user_dn(uid, org.id)
    c.add_s(dn, entry(user_attrs(uid)))
    add_grant(c, dn, "emasspost", org.id, ["product:letter", "billing:BA-1", "role:creation"])
    assert lower(read(root, dn)["creatorsName"][0].decode()) == lower(uadm)
    assert rights(root, grant_dn(dn, "emasspost", org.id)) == [
        "billing:BA-1", "product:letter", "role:creation"]


def test_admins_admin_makes_an_administrator(directory, root, org):
    """§2.2.4: an admins-admin gives users/admins; the new administrator
    can then create users itself."""
    org.conn.modify_s(org.t, [(ldap.MOD_ADD, "umManage", [b"users", b"admins"])])
    assert values(root, org.t, "umManage") == ["admins", "users"]
    new_admin = bind(directory, org.t)
    uid = unique("made-by-t")
    dn = user_dn(uid, org.id)
    new_admin.add_s(dn, entry(user_attrs(uid)))
    assert lower(read(root, dn)["creatorsName"][0].decode()) == lower(org.t)
    # and takes it away again (the admin holds both values)
    org.conn.modify_s(org.t, [(ldap.MOD_DELETE, "umManage", [b"admins"])])
    assert values(root, org.t, "umManage") == ["users"]


def test_admin_edits_personal_fields(root, org):
    """§2.2.3: the form's fields of another user."""
    org.conn.modify_s(org.t, [
        (ldap.MOD_REPLACE, "givenName", [b"Anne"]), (ldap.MOD_REPLACE, "sn", [b"Dupont"]),
        (ldap.MOD_REPLACE, "cn", [b"Anne Dupont"]),
        (ldap.MOD_REPLACE, "mail", [b"anne.dupont@example.com"]),
        (ldap.MOD_REPLACE, "preferredLanguage", [b"nl"]),
        (ldap.MOD_REPLACE, "umGender", [b"female"]),
        (ldap.MOD_REPLACE, "umSecurityQuestion", [b"Eerste huisdier?"])])
    got = read(root, org.t)
    assert got["givenName"] == [b"Anne"] and got["sn"] == [b"Dupont"]
    assert got["mail"] == [b"anne.dupont@example.com"] and got["preferredLanguage"] == [b"nl"]
    assert got["umSecurityQuestion"] == [b"Eerste huisdier?"]
    assert lower(got["modifiersName"][0].decode()) == lower(org.admin)


def test_self_service_mail_and_language(directory, root, org):
    """A user changes its own mail and language; its messages follow."""
    c = bind(directory, org.t)
    c.modify_s(org.t, [(ldap.MOD_REPLACE, "mail", [b"mine@example.org"]),
                       (ldap.MOD_REPLACE, "preferredLanguage", [b"nl"])])
    got = read(root, org.t)
    assert got["mail"] == [b"mine@example.org"] and got["preferredLanguage"] == [b"nl"]
    with pytest.raises(ldap.INSUFFICIENT_ACCESS) as exc:
        c.modify_s(org.t, [(ldap.MOD_ADD, "umManage", [b"users"])])
    assert "u kunt umManage van uw eigen account niet wijzigen" in diagnostic(exc.value)


# ---- passwords (§3.2) -------------------------------------------------------

def test_password_change_with_password_modify_after_temporary_password(directory, root, org):
    org.conn.passwd_s(org.t, None, "Provisoire-1")
    assert values(root, org.t, "pwdReset") == ["TRUE"]
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, org.t, "Provisoire-1")  # rule 5: no plain bind
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, org.t, USER_PW)  # the old one is gone
    c = bind(directory, org.t, "Provisoire-1", ppolicy=True)
    c.passwd_s(org.t, "Provisoire-1", "Mon-Choix-22")
    assert values(root, org.t, "pwdReset") == []
    assert bind(directory, org.t, "Mon-Choix-22").whoami_s().lower() == "dn:" + lower(org.t)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, org.t, "Provisoire-1")


def test_password_change_with_modify_and_old_password(directory, root, org):
    """pwdSafeModify: delete the current password, add the new one."""
    org.conn.modify_s(org.t, [(ldap.MOD_REPLACE, "userPassword", [b"Provisoire-2"])])
    assert values(root, org.t, "pwdReset") == ["TRUE"]
    c = bind(directory, org.t, "Provisoire-2", ppolicy=True)
    c.modify_s(org.t, [(ldap.MOD_DELETE, "userPassword", [b"Provisoire-2"]),
                       (ldap.MOD_ADD, "userPassword", [b"Mon-Choix-33"])])
    assert bind(directory, org.t, "Mon-Choix-33").whoami_s().lower() == "dn:" + lower(org.t)


def test_user_changes_own_password_with_current_one(directory, org):
    c = bind(directory, org.t)
    c.passwd_s(org.t, USER_PW, "Tout-Neuf-44")
    bind(directory, org.t, "Tout-Neuf-44")
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, org.t, USER_PW)


# ---- deactivation (§3.1) -------------------------------------------------

def test_deactivate_keeps_rights_and_reactivate_gives_access_back(directory, root, org):
    add_grant(org.conn, org.t, "emasspost", org.id, ["product:letter", "role:creation"])
    add_grant(org.conn, org.t, "invoice-reporter", org.id, ["billing:BA-2"])
    before = grant_entries(root, org.t)
    org.conn.modify_s(org.t, [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        bind(directory, org.t)
    assert "is deactivated" in diagnostic(exc.value)
    assert grant_entries(root, org.t) == before
    org.conn.modify_s(org.t, [(ldap.MOD_REPLACE, "umStatus", [b"active"])])
    assert bind(directory, org.t).whoami_s().lower() == "dn:" + lower(org.t)
    assert grant_entries(root, org.t) == before


def test_users_admin_deactivates_plain_user(directory, root, org):
    uadm = make_user(root, org.id, "uadm", manage=["users"])
    bind(directory, uadm).modify_s(org.t, [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
    assert values(root, org.t, "umStatus") == ["deactivated"]


# ---- grants per application (§2.3.1 to §2.3.6) -----------------------------

def grant_and_edit(root, org, app, given, added, removed):
    """The admin gives `given`, then adds and removes values it holds."""
    dn = add_grant(org.conn, org.t, app, org.id, given)
    assert rights(root, dn) == sorted(given)
    org.conn.modify_s(dn, [(ldap.MOD_ADD, "umRight", [v.encode() for v in added]),
                           (ldap.MOD_DELETE, "umRight", [v.encode() for v in removed])])
    expected = sorted((set(given) | set(added)) - set(removed))
    assert rights(root, dn) == expected
    assert lower(read(root, dn)["creatorsName"][0].decode()) == lower(org.admin)
    return dn


def test_grant_emasspost(root, org):
    """§2.3.1: products, billing addresses, access roles."""
    dn = grant_and_edit(root, org, "emasspost",
                        ["product:letter", "product:prior", "billing:BA-1", "billing:BA-2",
                         "role:creation", "role:validation-price"],
                        ["product:printed", "role:deposit-summary"], ["billing:BA-2"])
    # then narrowed with a replace, every value touched being held
    org.conn.modify_s(dn, [(ldap.MOD_REPLACE, "umRight", [b"product:letter", b"billing:BA-3",
                                                          b"role:creation"])])
    assert rights(root, dn) == ["billing:BA-3", "product:letter", "role:creation"]


def test_grant_distriplanner(root, org):
    """§2.3.2: billing addresses and roles."""
    grant_and_edit(root, org, "distriplanner", ["billing:BA-1", "role:order-entry"],
                   ["billing:BA-2", "role:quick-view"], ["role:order-entry"])


def test_grant_collect_stamp(root, org):
    """§2.3.3: the CS Master contract, then functions."""
    grant_and_edit(root, org, "collect-stamp",
                   ["contract:CS-1", "function:advanced-search-registered"],
                   ["function:invoice-search", "function:barcode-search-parcels"],
                   ["function:advanced-search-registered"])


def test_grant_parcels_national(root, org):
    """§2.3.4: role Utilisateur and national contracts."""
    grant_and_edit(root, org, "parcels-national", ["role:user", "contract:PN-1"],
                   ["contract:PN-2"], ["contract:PN-1"])


PROFILES = {
    "read-only": ["access:eshipper-light", "access:prices", "contract:BPI-1", "bordereau:10",
                  "bordereau:31"],
    "general-access": ["access:general", "contract:BPI-1", "bordereau:21", "bordereau:50"],
    "eshipper-pro2": ["access:eshipper-pro2", "access:general", "access:prices",
                      "contract:BPI-2", "bordereau:31", "bordereau:33"],
    "etoe": ["access:etoe", "access:general", "contract:BPI-1", "bordereau:10", "bordereau:50"],
}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_grant_parcels_international(directory, root, new_org, profile):
    """§2.3.5: one grant per profile of the matrix, given by an admin
    holding it, then a bordereau added and one removed."""
    org_id = new_org(billing=["BA-1"], contracts=CONTRACTS, prefix="pi")
    vals = PROFILES[profile]
    extra = "bordereau:37" if profile != "etoe" else "bordereau:23"
    admin = make_user(root, org_id, "admin", manage=["admins", "users"],
                      grants={"parcels-international": vals + [extra]})
    t = make_user(root, org_id, "t")
    c = bind(directory, admin)
    dn = add_grant(c, t, "parcels-international", org_id, vals)
    assert rights(root, dn) == sorted(vals)
    removed = [v for v in vals if v.startswith("bordereau:")][0]
    c.modify_s(dn, [(ldap.MOD_ADD, "umRight", [extra.encode()]),
                    (ldap.MOD_DELETE, "umRight", [removed.encode()])])
    assert rights(root, dn) == sorted(set(vals) - {removed} | {extra})


def test_grant_invoice_reporter(root, org):
    """§2.3.6: billing addresses only."""
    grant_and_edit(root, org, "invoice-reporter", ["billing:BA-1"], ["billing:BA-3"],
                   ["billing:BA-1"])


def test_admin_deletes_a_grant_it_fully_holds(root, org):
    dn = add_grant(org.conn, org.t, "distriplanner", org.id, ["billing:BA-1", "role:quick-view"])
    org.conn.delete_s(dn)
    assert rights(root, dn) == [] and grant_entries(root, org.t) == {}


def test_copy_all_my_rights(root, org):
    """§2.3 "Copier tous mes droits": the admin reads its own grants and
    writes them to the target."""
    mine = org.conn.search_s(org.admin, ldap.SCOPE_ONELEVEL, "(objectClass=umGrant)",
                             ["umApplication", "umScope", "umRight"])
    assert len(mine) == len(ADMIN_GRANTS)
    for _, attrs in mine:
        app = attrs["umApplication"][0].decode()
        add_grant(org.conn, org.t, app, attrs["umScope"][0].decode(),
                  [v.decode() for v in attrs["umRight"]])
    assert grant_entries(root, org.t) == {app: sorted(v) for app, v in ADMIN_GRANTS.items()}


# ---- routers (§2.3.1 sous-traitants, rule 8) -------------------------------

def test_delegate_to_router_and_redelegate(directory, root, new_org, org):
    router = new_org(kind="router", prefix="router")
    radm = make_user(root, router, "radm", manage=["admins", "users"], lang="en")
    ruser = make_user(root, router, "ruser")
    # the customer's admin delegates values it holds, plus the router-only role
    delegated = ["product:letter", "product:prior", "billing:BA-1", "role:creation",
                 "role:senders-management"]
    ddn = add_delegation(org.conn, org.id, "emasspost", router, delegated)
    got = read(root, ddn)
    assert sorted(v.decode() for v in got["umRight"]) == sorted(delegated)
    assert lower(got["umDelegate"][0].decode()) == lower(org_dn(router))
    assert lower(got["creatorsName"][0].decode()) == lower(org.admin)
    # the router's admin passes them on, within the delegation
    rc = bind(directory, radm)
    gdn = add_grant(rc, ruser, "emasspost", org.id,
                    ["product:letter", "billing:BA-1", "role:senders-management"])
    assert rights(root, gdn) == ["billing:BA-1", "product:letter", "role:senders-management"]
    rc.modify_s(gdn, [(ldap.MOD_ADD, "umRight", [b"product:prior"]),
                      (ldap.MOD_DELETE, "umRight", [b"role:senders-management"])])
    assert rights(root, gdn) == ["billing:BA-1", "product:letter", "product:prior"]
    # the customer narrows the delegation: the router can no longer give it
    org.conn.modify_s(ddn, [(ldap.MOD_DELETE, "umRight", [b"product:letter"])])
    rc.modify_s(gdn, [(ldap.MOD_DELETE, "umRight", [b"product:prior"])])
    with pytest.raises(ldap.INSUFFICIENT_ACCESS):
        add_grant(rc, make_user(root, router, "ruser2"), "emasspost", org.id, ["product:letter"])
    # and withdraws it altogether
    org.conn.delete_s(ddn)
    with pytest.raises(ldap.NO_SUCH_OBJECT):
        read(root, ddn)


# ---- operators and the rootdn ----------------------------------------------

def test_operator_writes_billing_contracts_and_deletes_users(directory, root, org):
    op = directory.operator()
    op.add_s("umBillingId=BA-9,ou=billing," + org.dn,
             entry({"objectClass": "umBillingAddress", "umBillingId": "BA-9", "cn": "new one"}))
    op.add_s("umContractId=CS-9,ou=contracts," + org.dn,
             entry({"objectClass": "umContract", "umContractId": "CS-9",
                    "umContractKind": "cs-master"}))
    op.modify_s("umBillingId=BA-1,ou=billing," + org.dn, [(ldap.MOD_REPLACE, "cn", [b"renamed"])])
    # exempt from rules 1-3: it changes an admins-admin and gives what it does not hold
    op.modify_s(org.admin, [(ldap.MOD_DELETE, "umManage", [b"ftp"])])
    op.modify_s(org.t, [(ldap.MOD_ADD, "umManage", [b"ftp"])])
    assert values(root, org.t, "umManage") == ["ftp"]
    gdn = add_grant(op, org.t, "collect-stamp", org.id,
                    ["contract:CS-9", "function:invoice-search"])
    bdn = add_grant(op, org.t, "invoice-reporter", org.id, ["billing:BA-9"])
    assert rights(root, gdn) == ["contract:CS-9", "function:invoice-search"]
    # users are deleted by the operator only, their grants first
    for dn in (gdn, bdn):
        op.delete_s(dn)
    op.delete_s(org.t)
    with pytest.raises(ldap.NO_SUCH_OBJECT):
        read(root, org.t)


def test_operator_still_gets_validation(directory, org):
    op = directory.operator()
    with pytest.raises(ldap.CONSTRAINT_VIOLATION) as exc:
        add_grant(op, org.t, "emasspost", org.id, ["product:teleportation"])
    assert "this value is not in the application's list" in diagnostic(exc.value)


def test_rootdn_gets_rule4_validation(root, org):
    """Rule 4 holds for everyone: an unknown product, a router-only role for
    a customer, a Collect & Stamp grant with a national contract."""
    for vals, reason in [
            (["product:teleportation"], "this value is not in the application's list"),
            (["role:senders-management"], "this right is reserved to router organisations")]:
        with pytest.raises(ldap.CONSTRAINT_VIOLATION) as exc:
            add_grant(root, org.t, "emasspost", org.id, vals)
        assert reason in diagnostic(exc.value)
    with pytest.raises(ldap.CONSTRAINT_VIOLATION):
        add_grant(root, org.t, "collect-stamp", org.id,
                  ["contract:PN-1", "function:invoice-search"])
    assert grant_entries(root, org.t) == {}
    add_grant(root, org.t, "emasspost", org.id, ["product:letter"])
    assert grant_entries(root, org.t) == {"emasspost": ["product:letter"]}
