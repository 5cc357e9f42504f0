"""Issue 11: reads as DESIGN §3 "Reads (tenant isolation)" says. An
organisation's administrators read all of it; a plain user its own entry
and grants, its organisation's name, and the billing addresses and
contracts its grants name; a router's users also the name of each
organisation delegating to them, those delegations and what they name
(manual §1.3 "Mes comptes"); nobody else reads an organisation, and
e-application identities read only what projection gives them.

What may not be read must not show at all: a base search, a one-level or
subtree search and a compare answer as they do for an entry that does not
exist (no matchedDN, no insufficientAccess), so no read is an existence
oracle."""
import time

import ldap
import pytest

from conftest import SUFFIX
from helpers import (add_delegation, bind, delegation_dn, delete_tree, grant_dn, make_org,
                     make_user, org_dn)

ORGS = "ou=organizations," + SUFFIX
APP_DN = "cn=emasspost,ou=apps,ou=system," + SUFFIX
NAME = {"objectClass", "o", "displayName"}


def billing_dn(org, bid):
    return "umBillingId=%s,ou=billing,%s" % (bid, org_dn(org))


def contract_dn(org, cid):
    return "umContractId=%s,ou=contracts,%s" % (cid, org_dn(org))


def sibling(dn):
    """A DN beside dn that names nothing."""
    rdn, rest = dn.split(",", 1)
    return "%s-nobody,%s" % (rdn, rest)


def uid_of(dn):
    return dn.split(",", 1)[0].split("=", 1)[1]


class Tenants:
    """Customer X (administrators, plain users), customer Y, router R to
    which X delegates e-MassPost, router R2 to which X and Y delegate."""

    def __init__(self, directory, root):
        self.directory = directory
        self.conns = {}
        self.X = make_org(root, billing=["BA-1", "BA-2", "BA-3"],
                          contracts={"CS-1": "cs-master", "CS-2": "cs-master"}, prefix="rx")
        self.Y = make_org(root, billing=["BY-1"], prefix="ry")
        self.R = make_org(root, kind="router", prefix="rr")
        self.R2 = make_org(root, kind="router", prefix="rs")
        X = self.X
        self.XADM = make_user(root, X, "xadm", manage=["admins", "users"],
                              grants={"emasspost": ["product:letter", "billing:BA-1",
                                                    "billing:BA-2", "role:creation"]})
        self.XUADM = make_user(root, X, "xuadm", manage=["users"])
        # a plain user: its grants name BA-1 and CS-1, not BA-2, BA-3, CS-2
        self.PLAIN = make_user(root, X, "plain", grants={
            "emasspost": ["product:letter", "billing:BA-1"],
            "collect-stamp": ["contract:CS-1", "function:invoice-search"]})
        self.COLL = make_user(root, X, "coll",
                              grants={"emasspost": ["product:letter", "billing:BA-2"]})
        # management rights that do not make an administrator (§2.2.4)
        self.TU = make_user(root, X, "tu", manage=["password-recovery", "ftp"])
        self.YADM = make_user(root, self.Y, "yadm", manage=["admins", "users"])
        self.RADM = make_user(root, self.R, "radm", manage=["admins", "users"])
        # a router's plain user with a grant on X: it names BA-3 too
        self.RU = make_user(root, self.R, "ru", grants={
            ("emasspost", X): ["product:letter", "billing:BA-3", "role:creation"]})
        self.R2U = make_user(root, self.R2, "r2u")
        self.DELEG = add_delegation(root, X, "emasspost", self.R,
                                    ["product:letter", "billing:BA-1", "role:creation"])
        self.DELEG2 = add_delegation(root, X, "emasspost", self.R2,
                                     ["product:letter", "billing:BA-2"])
        self.DELEGY = add_delegation(root, self.Y, "emasspost", self.R2,
                                     ["product:letter", "billing:BY-1"])

    def conn(self, who):
        if who not in self.conns:
            if who == "APP":
                self.conns[who] = self.directory.bind(APP_DN, self.directory.secrets["UM_APP_PW"])
            elif who == "OPERATOR":
                self.conns[who] = self.directory.operator()
            else:
                self.conns[who] = bind(self.directory, getattr(self, who))
        return self.conns[who]

    def close(self):
        for c in self.conns.values():
            c.unbind_s()


@pytest.fixture(scope="module")
def t(directory):
    root = directory.root()
    w = Tenants(directory, root)
    yield w
    w.close()
    for org in (w.X, w.Y, w.R, w.R2):
        delete_tree(root, org_dn(org))
    root.unbind_s()


def dns(conn, base, scope=ldap.SCOPE_SUBTREE, filt="(objectClass=*)"):
    """The DNs a search returns, lower-cased; a hidden base: empty."""
    try:
        return {dn.lower() for dn, _ in conn.search_s(base, scope, filt, ["1.1"])}
    except ldap.NO_SUCH_OBJECT:
        return set()


def lower(*names):
    return {n.lower() for n in names}


def outcome(operation):
    """What a client learns from an operation: the result, or the error's
    class, matchedDN and text."""
    try:
        return ("ok", operation())
    except ldap.LDAPError as e:
        info = e.args[0] if e.args and isinstance(e.args[0], dict) else {}
        return (type(e).__name__, info.get("matched", ""), info.get("info", ""))


def assert_hidden(conn, dn, missing, attr="objectClass", value=b"top"):
    """dn is answered exactly as missing, an entry that does not exist, for
    base, one-level and subtree searches and for a compare of a value the
    entry holds (an existence oracle otherwise)."""
    for scope in (ldap.SCOPE_BASE, ldap.SCOPE_ONELEVEL, ldap.SCOPE_SUBTREE):
        hidden = outcome(lambda: conn.search_s(dn, scope, "(objectClass=*)", ["*"]))
        assert hidden == outcome(lambda: conn.search_s(missing, scope, "(objectClass=*)",
                                                       ["*"])), (dn, scope)
        assert hidden[0] == "NO_SUCH_OBJECT", (dn, scope, hidden)
    for a, v in ((attr, value), ("objectClass", b"top")):
        assert outcome(lambda: conn.compare_s(dn, a, v)) == \
            outcome(lambda: conn.compare_s(missing, a, v)), (dn, a)
        assert outcome(lambda: conn.compare_s(dn, a, v))[0] == "NO_SUCH_OBJECT", (dn, a)


def read_attrs(conn, dn):
    return set(conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", ["*", "+"])[0][1])


# ---- plain users --------------------------------------------------------


def test_plain_user_reads_itself_and_its_grants(t):
    c = t.conn("PLAIN")
    assert {"uid", "cn", "mail", "umStatus"} <= read_attrs(c, t.PLAIN)
    grants = lower(grant_dn(t.PLAIN, "emasspost", t.X), grant_dn(t.PLAIN, "collect-stamp", t.X))
    assert dns(c, t.PLAIN, ldap.SCOPE_ONELEVEL) == grants
    res = c.search_s(grant_dn(t.PLAIN, "emasspost", t.X), ldap.SCOPE_BASE)
    assert sorted(res[0][1]["umRight"]) == [b"billing:BA-1", b"product:letter"]
    assert c.compare_s(t.PLAIN, "uid", uid_of(t.PLAIN).encode())


def test_plain_user_cannot_list_colleagues(t):
    c = t.conn("PLAIN")
    users = "ou=users," + org_dn(t.X)
    assert dns(c, org_dn(t.X), filt="(objectClass=umUser)") == lower(t.PLAIN)
    assert dns(c, ORGS, filt="(objectClass=umUser)") == lower(t.PLAIN)
    assert dns(c, users, ldap.SCOPE_ONELEVEL) == set()
    for who in ("XADM", "COLL", "TU"):
        dn = getattr(t, who)
        assert_hidden(c, dn, sibling(dn), "uid", uid_of(dn).encode())
        assert_hidden(c, grant_dn(dn, "emasspost", t.X), grant_dn(dn, "nothing", t.X))
    # nor anything of the organisation but its name: containers, delegations
    for rdn in ("ou=users", "ou=billing", "ou=contracts", "ou=delegations"):
        dn = "%s,%s" % (rdn, org_dn(t.X))
        assert_hidden(c, dn, sibling(dn), "ou", rdn[3:].encode())
    assert_hidden(c, t.DELEG, delegation_dn(t.X, "nothing", t.R))


def test_plain_user_with_management_rights_is_no_administrator(t):
    # password-recovery and ftp (§2.2.4) do not open the organisation
    c = t.conn("TU")
    assert dns(c, org_dn(t.X), filt="(objectClass=umUser)") == lower(t.TU)
    assert_hidden(c, t.COLL, sibling(t.COLL), "uid", uid_of(t.COLL).encode())


def test_plain_user_reads_its_organisation_name_only(t):
    c = t.conn("PLAIN")
    res = c.search_s(org_dn(t.X), ldap.SCOPE_BASE, "(objectClass=*)", ["*", "+"])
    assert set(res[0][1]) == NAME
    assert res[0][1]["displayName"] == [t.X.upper().encode()]
    # its address and kind are not for it
    assert c.search_s(org_dn(t.X), ldap.SCOPE_BASE, "(umOrgKind=customer)") == []


def test_plain_user_reads_the_billing_and_contracts_its_grants_name(t):
    c = t.conn("PLAIN")
    res = c.search_s(billing_dn(t.X, "BA-1"), ldap.SCOPE_BASE)
    assert res[0][1]["umBillingId"] == [b"BA-1"]
    assert c.search_s(contract_dn(t.X, "CS-1"), ldap.SCOPE_BASE)[0][1]["umContractKind"] == \
        [b"cs-master"]
    assert c.compare_s(billing_dn(t.X, "BA-1"), "umBillingId", b"BA-1")
    for bid in ("BA-2", "BA-3"):
        assert_hidden(c, billing_dn(t.X, bid), billing_dn(t.X, "BA-9"), "umBillingId",
                      bid.encode())
    assert_hidden(c, contract_dn(t.X, "CS-2"), contract_dn(t.X, "CS-9"), "umContractId",
                  b"CS-2")
    # the whole organisation, as far as it sees it
    assert dns(c, org_dn(t.X)) == lower(
        org_dn(t.X), t.PLAIN, grant_dn(t.PLAIN, "emasspost", t.X),
        grant_dn(t.PLAIN, "collect-stamp", t.X), billing_dn(t.X, "BA-1"),
        contract_dn(t.X, "CS-1"))
    assert dns(c, org_dn(t.X), filt="(umBillingId=*)") == lower(billing_dn(t.X, "BA-1"))


def test_plain_user_reads_nothing_of_other_organisations(t):
    c = t.conn("PLAIN")
    for org in (t.Y, t.R2):
        assert not {dn for dn in dns(c, ORGS) if dn.endswith(org_dn(org).lower())
                    and dn != org_dn(org).lower()}
    assert_hidden(c, org_dn(t.Y), org_dn("nothing-" + t.Y), "o", t.Y.encode())
    assert_hidden(c, billing_dn(t.Y, "BY-1"), billing_dn(t.Y, "BY-9"), "umBillingId", b"BY-1")
    assert_hidden(c, t.YADM, sibling(t.YADM), "uid", uid_of(t.YADM).encode())


# ---- administrators -----------------------------------------------------


@pytest.mark.parametrize("who", ["XADM", "XUADM"])
def test_administrators_read_their_whole_organisation(t, who):
    c = t.conn(who)
    users = dns(c, org_dn(t.X), filt="(objectClass=umUser)")
    assert users == lower(t.XADM, t.XUADM, t.PLAIN, t.COLL, t.TU)
    everything = dns(c, org_dn(t.X))
    assert lower(grant_dn(t.COLL, "emasspost", t.X), billing_dn(t.X, "BA-2"),
                 billing_dn(t.X, "BA-3"), contract_dn(t.X, "CS-2"), t.DELEG, t.DELEG2,
                 "ou=users," + org_dn(t.X)) <= everything
    assert {"umManage", "umStatus", "creatorsName", "mail"} <= read_attrs(c, t.TU)
    assert "umStatus" in read_attrs(c, t.COLL)
    assert c.compare_s(t.COLL, "uid", uid_of(t.COLL).encode())


def test_administrators_still_write_their_organisation(t, root):
    # the ACL leaves writes to the overlay: an administrator modifies a user
    c = t.conn("XUADM")
    c.modify_s(t.COLL, [(ldap.MOD_REPLACE, "cn", [b"Colleague Renamed"])])
    assert root.search_s(t.COLL, ldap.SCOPE_BASE, attrlist=["cn"])[0][1]["cn"] == \
        [b"Colleague Renamed"]


def test_other_organisations_administrator_reads_nothing(t):
    c = t.conn("YADM")
    assert dns(c, org_dn(t.X)) == set()
    assert not {dn for dn in dns(c, ORGS) if dn.endswith(org_dn(t.X).lower())}
    assert_hidden(c, org_dn(t.X), org_dn("nothing-" + t.X), "o", t.X.encode())
    assert_hidden(c, t.XADM, sibling(t.XADM), "uid", uid_of(t.XADM).encode())
    assert_hidden(c, grant_dn(t.PLAIN, "emasspost", t.X), grant_dn(t.PLAIN, "nothing", t.X))
    assert_hidden(c, billing_dn(t.X, "BA-1"), billing_dn(t.X, "BA-9"), "umBillingId", b"BA-1")
    assert_hidden(c, t.DELEG, delegation_dn(t.X, "nothing", t.R))
    # its own organisation it reads whole
    assert lower(t.YADM, billing_dn(t.Y, "BY-1"), t.DELEGY) <= dns(c, org_dn(t.Y))


# ---- routers ("Mes comptes", manual §1.3) --------------------------------


@pytest.mark.parametrize("who", ["RADM", "RU"])
def test_router_user_reads_what_delegating_organisation_gives_it(t, who):
    c = t.conn(who)
    res = c.search_s(org_dn(t.X), ldap.SCOPE_BASE, "(objectClass=*)", ["*", "+"])
    assert set(res[0][1]) == NAME
    res = c.search_s(t.DELEG, ldap.SCOPE_BASE)
    assert b"billing:BA-1" in res[0][1]["umRight"]
    assert c.search_s(billing_dn(t.X, "BA-1"), ldap.SCOPE_BASE)[0][1]["umBillingId"] == [b"BA-1"]
    expected = lower(org_dn(t.X), t.DELEG, billing_dn(t.X, "BA-1"))
    if who == "RU":
        # its own grant on X names BA-3
        expected |= lower(billing_dn(t.X, "BA-3"))
    else:
        assert_hidden(c, billing_dn(t.X, "BA-3"), billing_dn(t.X, "BA-9"), "umBillingId",
                      b"BA-3")
    assert dns(c, org_dn(t.X)) == expected
    # the delegation to another router and what only it names: hidden
    assert_hidden(c, t.DELEG2, delegation_dn(t.X, "nothing", t.R2))
    assert_hidden(c, billing_dn(t.X, "BA-2"), billing_dn(t.X, "BA-9"), "umBillingId", b"BA-2")
    # X's users and their grants, and organisations that do not delegate to R
    assert_hidden(c, t.PLAIN, sibling(t.PLAIN), "uid", uid_of(t.PLAIN).encode())
    assert_hidden(c, grant_dn(t.PLAIN, "emasspost", t.X), grant_dn(t.PLAIN, "nothing", t.X))
    assert_hidden(c, org_dn(t.Y), org_dn("nothing-" + t.Y), "o", t.Y.encode())
    assert_hidden(c, t.DELEGY, delegation_dn(t.Y, "nothing", t.R2))
    assert not {dn for dn in dns(c, ORGS) if dn.endswith(org_dn(t.Y).lower())}


def test_other_router_reads_only_its_own_delegations(t):
    c = t.conn("R2U")
    assert dns(c, org_dn(t.X)) == lower(org_dn(t.X), t.DELEG2, billing_dn(t.X, "BA-2"))
    assert dns(c, org_dn(t.Y)) == lower(org_dn(t.Y), t.DELEGY, billing_dn(t.Y, "BY-1"))
    assert_hidden(c, t.DELEG, delegation_dn(t.X, "nothing", t.R))


def test_revoked_delegation_closes_the_organisation(t, root, directory):
    # a fresh organisation: the others' delegations stay as they are
    Z = make_org(root, billing=["BZ-1"], prefix="rz")
    try:
        deleg = add_delegation(root, Z, "emasspost", t.R, ["product:letter", "billing:BZ-1"])
        c = bind(directory, t.RU)
        assert dns(c, org_dn(Z)) == lower(org_dn(Z), deleg, billing_dn(Z, "BZ-1"))
        root.delete_s(deleg)
        # the same connection: nothing is remembered past an operation
        assert dns(c, org_dn(Z)) == set()
        assert_hidden(c, billing_dn(Z, "BZ-1"), billing_dn(Z, "BZ-9"), "umBillingId", b"BZ-1")
        c.unbind_s()
    finally:
        delete_tree(root, org_dn(Z))


# ---- service identities -------------------------------------------------


def test_application_reads_what_projection_gives_it(t):
    c = t.conn("APP")
    # the login of an e-application (tests/e2e: mod_authnz_ldap)
    uid = uid_of(t.PLAIN)
    res = c.search_s(ORGS, ldap.SCOPE_SUBTREE, "(&(objectClass=umUser)(uid=%s))" % uid, ["uid"])
    assert [(dn.lower(), a["uid"]) for dn, a in res] == [(t.PLAIN.lower(), [uid.encode()])]
    # provisiond projects the e-MassPost grant onto umAppAccess
    deadline = time.time() + 10
    while True:
        attrs = c.search_s(t.PLAIN, ldap.SCOPE_BASE, "(objectClass=*)", ["*", "+"])[0][1]
        if "umAppAccess" in attrs or time.time() > deadline:
            break
        time.sleep(0.1)
    assert b"emasspost" in attrs["umAppAccess"]
    assert set(attrs) <= {"objectClass", "uid", "umStatus", "umAppAccess", "memberOf"}
    assert "mail" not in attrs and "umManage" not in attrs
    # not grants, billing, contracts, delegations, nor organisations
    assert dns(c, org_dn(t.X)) == set()
    assert dns(c, ORGS, filt="(objectClass=umGrant)") == set()
    assert_hidden(c, grant_dn(t.PLAIN, "emasspost", t.X), grant_dn(t.PLAIN, "nothing", t.X))
    assert_hidden(c, billing_dn(t.X, "BA-1"), billing_dn(t.X, "BA-9"), "umBillingId", b"BA-1")
    assert_hidden(c, contract_dn(t.X, "CS-1"), contract_dn(t.X, "CS-9"), "umContractId",
                  b"CS-1")
    assert_hidden(c, t.DELEG, delegation_dn(t.X, "nothing", t.R))
    assert_hidden(c, org_dn(t.X), org_dn("nothing-" + t.X), "o", t.X.encode())
    assert_hidden(c, org_dn(t.R), org_dn("nothing-" + t.R), "o", t.R.encode())


def test_operator_reads_everything(t):
    c = t.conn("OPERATOR")
    assert lower(t.XADM, t.PLAIN, t.COLL, grant_dn(t.COLL, "emasspost", t.X),
                 billing_dn(t.X, "BA-2"), contract_dn(t.X, "CS-2"), t.DELEG, t.DELEG2,
                 org_dn(t.X)) <= dns(c, org_dn(t.X))
    assert lower(t.YADM, t.DELEGY) <= dns(c, org_dn(t.Y))
    assert "postalAddress" in read_attrs(c, org_dn(t.X))
