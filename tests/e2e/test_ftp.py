"""Manual §2.2.4 "FTP Access": a real FTP server (Debian's ProFTPD with
mod_ldap, loopback only) lets in the active holders of umManage ftp, which
provisiond projects onto cn=ftp,ou=groups (rights.yaml's project: on the
management entry), and only once they have chosen their own password ("la
première fois logon via le portail est nécessaire"). Issue 12 part 3."""
import ftplib
import io
import time

import ldap
import pytest

from helpers import USER_PW, bind, delete_tree, make_org, make_user, org_dn, read
from conftest import FTP_GROUP

# Polling waits give up after this: generous, since they wait for provisiond
# to project a change (bench/latency.py measures that latency).
DEADLINE = 60.0


def uid_of(dn):
    return dn.split(",")[0].split("=")[1]


def members(root):
    try:
        return {m.decode().lower() for m in read(root, FTP_GROUP, ["member"])["member"]}
    except ldap.NO_SUCH_OBJECT:
        return set()


def wait_member(root, user, present=True):
    deadline = time.time() + DEADLINE
    while (user.lower() in members(root)) != present:
        assert time.time() < deadline, "%s %s in %s after %.0f s" % (
            user, "not" if present else "still", FTP_GROUP, DEADLINE)
        time.sleep(0.05)


def refused(ftpd, user, password):
    with pytest.raises(ftplib.error_perm) as e:
        ftpd.login(uid_of(user), password)
    assert str(e.value).startswith("530"), str(e.value)
    return True


@pytest.fixture
def org(directory, root):
    org_id = make_org(root, prefix="ftporg")
    admin = make_user(root, org_id, "ftpadm", manage=["users", "admins", "ftp"])
    yield org_id, admin
    delete_tree(root, org_dn(org_id))


def test_holder_logs_in_lists_and_stores(root, ftpd, org):
    org_id, admin = org
    user = make_user(root, org_id, "ftpuser", manage=["ftp"])
    wait_member(root, user)
    ftp = ftpd.login(uid_of(user), USER_PW)
    try:
        ftp.storbinary("STOR deposit.txt", io.BytesIO(b"e-MassPost deposit 42\n"))
        assert "deposit.txt" in ftp.nlst()
        got = io.BytesIO()
        ftp.retrbinary("RETR deposit.txt", got.write)
        assert got.getvalue() == b"e-MassPost deposit 42\n"
        # chrooted in its own generated home (DefaultRoot ~)
        assert ftp.pwd() == "/"
    finally:
        ftp.quit()
    # a wrong password is refused, whoever holds the right
    assert refused(ftpd, user, "Wrong-Password-1")


def test_user_without_the_right_is_refused(root, ftpd, org):
    org_id, admin = org
    # the other management rights are no FTP access
    user = make_user(root, org_id, "noftp", manage=["users", "password-recovery"])
    holder = make_user(root, org_id, "ftpref", manage=["ftp"])
    wait_member(root, holder)  # provisiond has caught up with both
    assert user.lower() not in members(root)
    assert refused(ftpd, user, USER_PW)
    assert refused(ftpd, "uid=nobody-at-all,x", USER_PW)  # no such user


def test_deactivated_holder_is_refused(directory, root, ftpd, org):
    org_id, admin = org
    user = make_user(root, org_id, "ftpleaver", manage=["ftp"])
    wait_member(root, user)
    assert ftpd.can_login(uid_of(user), USER_PW)
    bind(directory, admin).modify_s(user, [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
    # at once: the overlay refuses its bind (DESIGN rule 5) ...
    assert refused(ftpd, user, USER_PW)
    # ... and the projection drops it (§3.1), so no other door opens either
    wait_member(root, user, present=False)
    assert refused(ftpd, user, USER_PW)
    bind(directory, admin).modify_s(user, [(ldap.MOD_REPLACE, "umStatus", [b"active"])])
    deadline = time.time() + DEADLINE
    while not ftpd.can_login(uid_of(user), USER_PW):
        assert time.time() < deadline, "not back %.0f s after reactivation" % DEADLINE
        time.sleep(0.05)


def test_temporary_password_is_refused_until_changed(directory, root, ftpd, org):
    """"La première fois logon via le portail est nécessaire": a password an
    administrator set (pwdReset TRUE, §3.2) does not open the FTP server;
    the user changes it through the portal (Password Modify with the
    ppolicy control), then gets in."""
    org_id, admin = org
    user = make_user(root, org_id, "ftpnew", manage=["ftp"])
    wait_member(root, user)
    bind(directory, admin).passwd_s(user, None, "Provisoire-77")
    assert read(root, user, ["pwdReset"])["pwdReset"] == [b"TRUE"]
    assert user.lower() in members(root)  # holding the right is not enough
    assert refused(ftpd, user, "Provisoire-77")
    c = bind(directory, user, "Provisoire-77", ppolicy=True)
    c.passwd_s(user, "Provisoire-77", "Mon-Propre-77")
    c.unbind_s()
    ftpd.login(uid_of(user), "Mon-Propre-77").quit()
    assert refused(ftpd, user, "Provisoire-77")


def test_granted_right_opens_the_ftp_server(directory, root, ftpd, org):
    """An administrator holding ftp gives it (rule 3); the FTP server lets
    the user in as soon as provisiond has projected it, and takes it back
    when the right is removed."""
    org_id, admin = org
    user = make_user(root, org_id, "ftplate")
    assert refused(ftpd, user, USER_PW)
    admin_conn = bind(directory, admin)
    admin_conn.modify_s(user, [(ldap.MOD_ADD, "umManage", [b"ftp"])])
    deadline = time.time() + DEADLINE
    while not ftpd.can_login(uid_of(user), USER_PW):
        assert time.time() < deadline, "no FTP access %.0f s after the grant" % DEADLINE
        time.sleep(0.05)
    admin_conn.modify_s(user, [(ldap.MOD_DELETE, "umManage", [b"ftp"])])
    deadline = time.time() + DEADLINE
    while ftpd.can_login(uid_of(user), USER_PW):
        assert time.time() < deadline, "FTP access %.0f s after the revocation" % DEADLINE
        time.sleep(0.05)
