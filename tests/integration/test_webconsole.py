"""The web console's login search identity (issue 8): LDAP Account Manager
finds the DN of a username as cn=webconsole,ou=system, then binds as the
administrator. The identity reads uid and nothing else: not the other
attributes of users, not grants, organisations, routers, the catalogue,
groups or the suffix."""
import ldap
import pytest

from conftest import ORG, SUFFIX, user_dn

WEBCONSOLE_DN = "cn=webconsole,ou=system," + SUFFIX


@pytest.fixture
def console(directory):
    c = directory.bind(WEBCONSOLE_DN, directory.secrets["UM_WEBCONSOLE_PW"])
    yield c
    c.unbind_s()


def test_finds_a_users_dn_from_its_username(console):
    # LAM's login search: loginSearchFilter (uid=%USER%), attribute "dn"
    res = console.search_s("ou=organizations," + SUFFIX, ldap.SCOPE_SUBTREE,
                           "(uid=PRINTSCREENS)", ["dn"])
    assert [dn for dn, _ in res] == [user_dn("PRINTSCREENS")]


def test_reads_uid_only(console):
    res = console.search_s(user_dn("ARNAUD"), ldap.SCOPE_BASE, "(uid=ARNAUD)", ["*", "+"])
    assert len(res) == 1
    attrs = {k for k in res[0][1]}
    # operational attributes slapd computes for every reader are not data
    assert attrs - {"entryDN", "subschemaSubentry", "hasSubordinates",
                    "structuralObjectClass"} == {"uid"}
    # no filter on anything else matches
    for flt in ("(mail=arnaud@example.com)", "(umManage=users)", "(cn=ARNAUD*)"):
        assert console.search_s("ou=organizations," + SUFFIX, ldap.SCOPE_SUBTREE, flt,
                                ["dn"]) == []


@pytest.mark.parametrize("base", [
    "cn=emasspost@bpost-contract-team," + user_dn("ARNAUD"),
    ORG,
    "o=2-imagine,ou=organizations," + SUFFIX,
    "umBillingId=BA-1001,ou=billing," + ORG,
    "ou=applications," + SUFFIX,
    "cn=management,ou=applications," + SUFFIX,
    "cn=emasspost-creation,ou=groups," + SUFFIX,
    "cn=operators,ou=system," + SUFFIX,
    SUFFIX,
])
def test_reads_nothing_else(console, base):
    try:
        res = console.search_s(base, ldap.SCOPE_BASE, "(objectClass=*)", ["*"])
    except (ldap.NO_SUCH_OBJECT, ldap.INSUFFICIENT_ACCESS):
        res = []
    assert res == []


def test_routers_are_not_listed_to_it(console, root):
    # every portal user sees the routers' names (manual §2.3.1); not this identity
    assert root.search_s("ou=organizations," + SUFFIX, ldap.SCOPE_ONELEVEL,
                         "(umOrgKind=router)", ["o"])
    assert console.search_s("ou=organizations," + SUFFIX, ldap.SCOPE_ONELEVEL,
                            "(umOrgKind=router)", ["o"]) == []


def test_writes_nothing(console):
    with pytest.raises(ldap.INSUFFICIENT_ACCESS):
        console.modify_s(user_dn("ARNAUD"), [(ldap.MOD_REPLACE, "uid", [b"ARNAUD"])])
