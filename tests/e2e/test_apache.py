"""e-MassPost as a real e-application: Apache httpd's mod_authnz_ldap binds
as the user and requires the group provisiond projects from the creation
role (rights.yaml: cn=emasspost-{role},ou=groups). Issue 4's end to end."""
import time

import ldap
import pytest

from helpers import USER_PW, bind, delete_tree, make_org, make_user, org_dn, read
from conftest import GROUP


def uid_of(dn):
    return dn.split(",")[0].split("=")[1]


# Polling waits give up after this: generous, since they wait for provisiond
# to project a change, whose latency bench/latency.py measures.
DEADLINE = 60.0


def wait_member(root, user, present=True, timeout=DEADLINE):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            members = [m.decode().lower() for m in read(root, GROUP, ["member"])["member"]]
        except ldap.NO_SUCH_OBJECT:
            members = []
        if (user.lower() in members) == present:
            return
        time.sleep(0.05)
    raise AssertionError("%s %s in %s after %.1f s" % (user, "not" if present else "still",
                                                       GROUP, timeout))


@pytest.fixture
def org(directory, root):
    org_id = make_org(root, billing=["BA-1"])
    admin = make_user(root, org_id, "adm", manage=["users", "admins"],
                      grants={"emasspost": ["product:letter", "billing:BA-1", "role:creation",
                                            "role:global-consultation"]})
    yield org_id, admin
    delete_tree(root, org_dn(org_id))


def test_role_holder_gets_in_and_others_do_not(directory, root, httpd, org):
    org_id, admin = org
    creator = make_user(root, org_id, "creator",
                        grants={"emasspost": ["product:letter", "role:creation"]})
    viewer = make_user(root, org_id, "viewer",
                       grants={"emasspost": ["product:letter", "role:global-consultation"]})
    wait_member(root, creator)
    assert httpd.status(uid_of(creator), USER_PW) == 200
    assert httpd.status(uid_of(viewer), USER_PW) in (401, 403)
    assert httpd.status(uid_of(creator), "Wrong-Password-1") == 401
    assert httpd.status() == 401


def test_granted_right_opens_the_door(directory, root, httpd, org):
    org_id, admin = org
    user = make_user(root, org_id, "late", grants={"emasspost": ["product:letter"]})
    assert httpd.status(uid_of(user), USER_PW) in (401, 403)
    grant = "cn=emasspost@%s,%s" % (org_id, user)
    bind(directory, admin).modify_s(grant, [(ldap.MOD_ADD, "umRight", [b"role:creation"])])
    deadline = time.time() + DEADLINE
    while httpd.status(uid_of(user), USER_PW) != 200:
        assert time.time() < deadline, "no access %.0f s after the grant" % DEADLINE
        time.sleep(0.02)


def test_deactivated_user_is_turned_away(directory, root, httpd, org):
    org_id, admin = org
    user = make_user(root, org_id, "leaver", grants={"emasspost": ["role:creation"]})
    wait_member(root, user)
    assert httpd.status(uid_of(user), USER_PW) == 200
    bind(directory, admin).modify_s(user, [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
    assert httpd.status(uid_of(user), USER_PW) == 401


def test_temporary_password_is_not_enough(directory, root, httpd, org):
    """§3.2: a password set by an administrator must be changed first; an
    e-application that only tests a bind must not let the user in."""
    org_id, admin = org
    user = make_user(root, org_id, "newbie", grants={"emasspost": ["role:creation"]})
    wait_member(root, user)
    bind(directory, admin).passwd_s(user, None, "Provisoire-77")
    assert read(root, user, ["pwdReset"])["pwdReset"] == [b"TRUE"]
    assert httpd.status(uid_of(user), "Provisoire-77") == 401
    # once the user has chosen its own, the door opens
    c = bind(directory, user, "Provisoire-77", ppolicy=True)
    c.passwd_s(user, "Provisoire-77", "Mon-Propre-77")
    assert httpd.status(uid_of(user), "Mon-Propre-77") == 200
