"""Forgotten password or username (manual §3.3): an anonymous extended
operation, always the same answer; a single-use expiring token for users
holding password-recovery, the administrators' names for the others, every
username tied to an address; the token redeemed with Password Modify. The
overlay queues the mails, provisiond sends them through libcurl to a real
SMTP server on loopback (python3-aiosmtpd), where the tests read them."""
import base64
import re
import time

import ldap
import pytest
from ldap.extop import ExtendedRequest

from conftest import SUFFIX
from helpers import (USER_PW, bind, delete_tree, diagnostic, make_org, make_user, org_dn, read,
                     unique, user_dn)

RECOVERY_OID = "2.25.217361807927623635844219787451286708447.3.1"
MAILQ = "ou=mail,ou=system," + SUFFIX
SAME_ANSWER = ("if this username or mail address belongs to a portal account, a mail is on "
               "its way to the account's address")


def recover(directory, identifier):
    c = directory.bind()  # anonymous
    req = ExtendedRequest(RECOVERY_OID, identifier.encode())
    msgid = c.extop(req)
    rtype, rdata, rmsgid, ctrls, respoid, respvalue = c.result4(msgid, all=1, add_extop=1)
    return c


def anonymous_answer(directory, identifier):
    c = directory.bind()
    msgid = c.extop(ExtendedRequest(RECOVERY_OID, identifier.encode()))
    try:
        c.result4(msgid, all=1, add_extop=1)
    except ldap.LDAPError as e:  # pragma: no cover - the test asserts below
        return ("error", e)
    return ("ok", c)


def mails(directory, to, count=1, settle=0.0):
    """The mails that reached the SMTP server for `to` (waiting for count)."""
    return directory.smtp.wait(to, count, settle=settle)


def token_of(mail):
    m = re.search(r"token=([A-Za-z0-9_-]+)", mail["body"])
    assert m, mail["body"]
    return m.group(1)


def redeem(directory, dn, token, new):
    return directory.bind().passwd_s(dn, token, new)


@pytest.fixture
def org(directory, root):
    org_id = make_org(root)
    admin = make_user(root, org_id, "adm", manage=["users", "admins", "password-recovery"],
                      lang="fr", givenName="Ada", cn="Ada Admin", mail="ada.admin@example.com")
    yield org_id, admin
    delete_tree(root, org_dn(org_id))


def uid_of(dn):
    return dn.split(",")[0].split("=")[1]


def test_same_answer_for_known_and_unknown(directory, root, org):
    org_id, _ = org
    user = make_user(root, org_id, "known", manage=["password-recovery"])
    answers = []
    for ident in (uid_of(user), "nobody-" + unique("x"), "nobody@example.com",
                  uid_of(user).lower() + "@example.com"):
        c = directory.bind()
        msgid = c.extop(ExtendedRequest(RECOVERY_OID, ident.encode()))
        rtype, rdata, rmsgid, ctrls, respoid, respvalue = c.result4(msgid, all=1, add_extop=1)
        answers.append((respoid, respvalue))
    assert len(set(answers)) == 1


def test_reset_mail_token_and_redemption(directory, root, org):
    """A user holding password-recovery gets a link (§3.3, in its language);
    the token is single-use and stored only as a hash; afterwards the
    password is the user's own and the token gone."""
    org_id, _ = org
    user = make_user(root, org_id, "rec", manage=["password-recovery"], lang="nl")
    recover(directory, uid_of(user))
    [mail] = mails(directory, uid_of(user).lower() + "@example.com")
    assert "opnieuw in te stellen" in mail["body"]
    assert mail["subject"] == "Uw wachtwoord voor het portaal (%s)" % uid_of(user)
    # sent, so no longer queued (provisiond removes it right after sending)
    deadline = time.time() + 5
    while root.search_s(MAILQ, ldap.SCOPE_ONELEVEL,
                        "(mail=%s@example.com)" % uid_of(user).lower()) and \
            time.time() < deadline:
        time.sleep(0.05)
    assert root.search_s(MAILQ, ldap.SCOPE_ONELEVEL,
                         "(mail=%s@example.com)" % uid_of(user).lower()) == []
    token = token_of(mail)
    stored = read(root, user, ["umResetTokenHash"])["umResetTokenHash"][0].decode()
    assert token not in stored and len(stored) == 64
    # nobody but the rootdn sees it
    assert "umResetTokenHash" not in read(bind(directory, user), user, ["*", "umResetTokenHash"])
    with pytest.raises(ldap.CONSTRAINT_VIOLATION) as exc:
        redeem(directory, user, token, "kort")
    assert "moet minstens 7 tekens bevatten" in diagnostic(exc.value)
    redeem(directory, user, token, "Nieuw-Wachtwoord-1")
    bind(directory, user, "Nieuw-Wachtwoord-1")
    attrs = read(root, user, ["pwdReset", "umResetTokenHash", "umResetTokenExpiry"])
    assert attrs.get("pwdReset") in (None, [b"FALSE"])
    assert "umResetTokenHash" not in attrs and "umResetTokenExpiry" not in attrs
    # replay
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        redeem(directory, user, token, "Nog-Een-Keer-2")
    assert "ongeldig of verlopen" in diagnostic(exc.value)
    bind(directory, user, "Nieuw-Wachtwoord-1")


def test_expired_token_is_refused(directory, root, org):
    org_id, _ = org
    user = make_user(root, org_id, "exp", manage=["password-recovery"], lang="en")
    recover(directory, uid_of(user))
    token = token_of(mails(directory, uid_of(user).lower() + "@example.com")[0])
    root.modify_s(user, [(ldap.MOD_REPLACE, "umResetTokenExpiry", [b"20200101000000Z"])])
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        redeem(directory, user, token, "Too-Late-123")
    assert "is not valid or has expired" in diagnostic(exc.value)
    bind(directory, user, USER_PW)


def test_token_of_another_user_is_refused(directory, root, org):
    org_id, _ = org
    a = make_user(root, org_id, "tka", manage=["password-recovery"])
    b = make_user(root, org_id, "tkb", manage=["password-recovery"])
    recover(directory, uid_of(a))
    recover(directory, uid_of(b))
    token_a = token_of(mails(directory, uid_of(a).lower() + "@example.com")[0])
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        redeem(directory, b, token_a, "Stolen-Token-1")
    bind(directory, b, USER_PW)
    redeem(directory, a, token_a, "Own-Token-1")
    bind(directory, a, "Own-Token-1")


def test_brute_force_kills_the_token(directory, root, org):
    org_id, _ = org
    user = make_user(root, org_id, "bf", manage=["password-recovery"])
    recover(directory, uid_of(user))
    token = token_of(mails(directory, uid_of(user).lower() + "@example.com")[0])
    for i in range(5):
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            redeem(directory, user, "guess%d%s" % (i, token[6:]), "Brute-Force-1")
    # the right token no longer works either: ask again
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        redeem(directory, user, token, "Brute-Force-1")
    assert "umResetTokenHash" not in read(root, user, ["umResetTokenHash"])


def test_without_password_recovery_the_mail_names_the_administrators(directory, root, org):
    org_id, admin = org
    user = make_user(root, org_id, "noright", lang="fr")
    recover(directory, uid_of(user))
    [mail] = mails(directory, uid_of(user).lower() + "@example.com")
    assert "contactez votre administrateur" in mail["subject"]
    assert "Ada Admin <ada.admin@example.com>" in mail["body"]
    assert "token=" not in mail["body"]
    assert "umResetTokenHash" not in read(root, user, ["umResetTokenHash"])


def test_forgotten_username_lists_every_account_of_the_address(directory, root, org):
    """§3.3: one person in several companies, one address."""
    org_id, _ = org
    other = make_org(root)
    shared = unique("person").lower() + "@example.com"
    a = make_user(root, org_id, "multi", manage=["password-recovery"], lang="de", mail=shared)
    b = make_user(root, other, "multi", lang="de", mail=shared)
    try:
        recover(directory, shared)
        got = mails(directory, shared, count=3, settle=1.0)
        names = [m for m in got if m["subject"] == "Ihre Benutzernamen für das Portal"]
        assert len(names) == 1
        assert uid_of(a) in names[0]["body"] and uid_of(b) in names[0]["body"]
        # and per account: a link for a, the administrators for b
        assert sum("token=" in m["body"] for m in got) == 1
        assert len(got) == 3
    finally:
        delete_tree(root, org_dn(other))


def test_requests_are_rate_limited_per_user(directory, root, org):
    org_id, _ = org
    user = make_user(root, org_id, "rate", manage=["password-recovery"])
    for _ in range(6):
        recover(directory, uid_of(user))
    assert len(mails(directory, uid_of(user).lower() + "@example.com", count=3,
                     settle=1.0)) == 3


def test_deactivated_user_gets_nothing(directory, root, org):
    org_id, _ = org
    user = make_user(root, org_id, "off", manage=["password-recovery"], status="deactivated")
    recover(directory, uid_of(user))
    # the queue is looked at every 200 ms: a mail would be there by now
    assert directory.smtp.wait(uid_of(user).lower() + "@example.com", 1, timeout=1.5) == []


def test_security_answer_is_hashed_and_never_readable(directory, root, org):
    org_id, admin = org
    user = make_user(root, org_id, "qa", umSecurityQuestion="Ville natale ?",
                     umSecurityAnswer="  Namur ")
    stored = read(root, user, ["umSecurityAnswer"])["umSecurityAnswer"][0]
    assert stored.startswith(b"{SSHA}") and b"Namur" not in stored
    assert "umSecurityAnswer" not in read(bind(directory, admin), user, ["umSecurityAnswer"])
    assert "umSecurityAnswer" not in read(bind(directory, user), user, ["umSecurityAnswer"])
    bind(directory, admin).modify_s(user, [(ldap.MOD_REPLACE, "umSecurityAnswer", [b"Liege"])])
    stored2 = read(root, user, ["umSecurityAnswer"])["umSecurityAnswer"][0]
    assert stored2.startswith(b"{SSHA}") and stored2 != stored


def test_without_relay_mails_go_to_a_maildir(directory, root, org):
    """The `make run` default: no SMTP relay configured, provisiond drops
    the mails into a maildir so the flow works out of the box."""
    import email
    import email.policy
    import glob
    import os
    import tempfile
    import time

    from conftest import Provisiond

    org_id, _ = org
    user = make_user(root, org_id, "md", manage=["password-recovery"], lang="fr")
    session, smtp = directory.provisiond, directory.smtp
    session.stop()
    directory.smtp = None
    alt = Provisiond(directory, tempfile.mkdtemp(prefix="portal-um-maildir-"))
    try:
        alt.start()
        recover(directory, uid_of(user))
        new = os.path.join(alt.state, "maildir", "new")
        deadline = time.time() + 10
        found = []
        while time.time() < deadline and not found:
            for path in glob.glob(os.path.join(new, "*")):
                with open(path, "rb") as f:
                    msg = email.message_from_binary_file(f, policy=email.policy.default)
                if msg["to"] == uid_of(user).lower() + "@example.com":
                    found.append(msg)
            time.sleep(0.1)
        assert found, "no mail in %s" % new
        assert "réinitialisation" in found[0].get_content()
        assert oct(os.stat(os.path.join(new, os.listdir(new)[0])).st_mode & 0o777) == "0o600"
    finally:
        alt.stop()
        directory.smtp = smtp
        session.start()


def test_reset_lifts_the_lockout(directory, root, org):
    """§3.3 after five wrong passwords: the reset gives a usable account
    back (ppolicy's failures and lock are gone)."""
    org_id, _ = org
    user = make_user(root, org_id, "locked", manage=["password-recovery"])
    for _ in range(5):
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            bind(directory, user, "Wrong-Pass-1")
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, user)
    recover(directory, uid_of(user))
    token = token_of(mails(directory, uid_of(user).lower() + "@example.com")[0])
    redeem(directory, user, token, "Unlocked-Again-1")
    bind(directory, user, "Unlocked-Again-1")
    attrs = read(root, user, ["pwdAccountLockedTime", "pwdFailureTime"])
    assert "pwdAccountLockedTime" not in attrs and "pwdFailureTime" not in attrs


@pytest.fixture(scope="module")
def answer_directory(directory):
    """An instance with delegate-reset-answer on (no provisiond: the mails
    stay queued, read as the rootdn)."""
    import shutil
    import tempfile

    from conftest import free_port, start_instance, stop_instance

    tmp = tempfile.mkdtemp(prefix="portal-um-answer-")
    d = start_instance(tmp, free_port(), {"UM_DELEGATE_EXTRA": "delegate-reset-answer on"})
    yield d
    stop_instance(tmp)
    shutil.rmtree(tmp, ignore_errors=True)


def test_security_answer_as_second_factor(answer_directory):
    d = answer_directory
    root = d.root()
    org_id = make_org(root)
    user = make_user(root, org_id, "qa2", manage=["password-recovery"],
                     umSecurityQuestion="Ville natale ?", umSecurityAnswer="Namur")
    to = uid_of(user).lower() + "@example.com"

    def queued():
        res = root.search_s(MAILQ, ldap.SCOPE_ONELEVEL, "(mail=%s)" % to, ["umMailBody"])
        return [a["umMailBody"][0].decode() for _, a in res]

    recover(d, uid_of(user) + "\nLiege")  # wrong answer: no link
    bodies = queued()
    assert len(bodies) == 1 and "token=" not in bodies[0]
    recover(d, uid_of(user) + "\n  NAMUR ")  # case and blanks do not count
    bodies = queued()
    assert len(bodies) == 2 and sum("token=" in b for b in bodies) == 1
