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


def queued(root, to):
    """The queue entries (ou=mail,ou=system) waiting for `to`, as the rootdn."""
    return root.search_s(MAILQ, ldap.SCOPE_ONELEVEL, "(mail=%s)" % to)


# provisiond claims a mail (removes its queue entry) before it sends it, so
# that two provisiond send it once (provisiond(8), CLUSTER): a mail is on its
# way for a few milliseconds after it left the queue.
SENDING = 0.3


def all_mails(directory, root, to, timeout=10.0):
    """Every mail the requests made so far gave `to`: once nothing for `to`
    is queued any more and nothing more arrived for SENDING seconds,
    provisiond has sent it all."""
    deadline = time.time() + timeout
    while queued(root, to) and time.time() < deadline:
        time.sleep(0.05)
    assert queued(root, to) == [], "provisiond did not send the mails to %s" % to
    return directory.smtp.wait(to, 0, timeout=timeout, settle=SENDING)


def no_mail(directory, root, to):
    """No mail for `to`, now or later: the overlay queues before it
    answers, so nothing queued and, SENDING seconds later, nothing
    delivered means none."""
    assert queued(root, to) == []
    time.sleep(SENDING)
    assert directory.smtp.messages(to) == []


def answer_text(directory, value):
    """The diagnostic text of the recovery answer (python-ldap drops it on
    success; ldapexop prints it)."""
    import subprocess

    out = subprocess.run(["ldapexop", "-x", "-H", directory.uri, "%s::%s" % (
        RECOVERY_OID, base64.b64encode(value.encode()).decode())], check=True,
        capture_output=True, text=True).stdout
    m = re.search(r"^Additional info: (.*)$", out, re.M)
    assert m, out
    return m.group(1)


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
    # one sentence for every refused token (see below), whatever the user
    assert "is not valid or has expired" in diagnostic(exc.value)
    bind(directory, user, "Nieuw-Wachtwoord-1")


def test_a_wrong_token_tells_nothing_of_the_user(directory, root, org):
    """The refusal of a wrong token is the same sentence for an existing
    portal user (whatever its language) and for a DN that names nobody:
    the redemption is no way to learn who exists (issue 11)."""
    org_id, _ = org
    user = make_user(root, org_id, "wtk", manage=["password-recovery"], lang="fr")
    missing = user.replace("uid=" + uid_of(user), "uid=nobody-" + uid_of(user))
    answers = []
    for dn in (user, missing):
        with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
            redeem(directory, dn, "not-a-token-at-all-000000000000000000000000", "Nouveau-Pw-99")
        answers.append(diagnostic(exc.value).replace(dn, "<dn>"))
    assert answers[0] == answers[1]
    assert "is not valid or has expired" in answers[0]


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
    assert len(all_mails(directory, root, uid_of(user).lower() + "@example.com")) == 3


def test_requests_by_mail_are_rate_limited_before_any_mail(directory, root, org):
    """Mail bombing: requests by address over the limit must queue nothing,
    not even the forgotten-username mail."""
    org_id, _ = org
    addr = unique("bomb").lower() + "@example.com"
    make_user(root, org_id, "bomb", manage=["password-recovery"], mail=addr)
    for _ in range(6):
        recover(directory, addr)
    got = all_mails(directory, root, addr)
    names = [m for m in got if m["subject"] == "Your portal usernames"]
    assert len(names) == 3, [m["subject"] for m in got]
    assert len(got) == 6  # 3 username lists, 3 links


def test_parallel_requests_stay_within_the_limit(directory, root, org):
    """The hourly count is checked and updated under one lock: requests
    racing for one user get at most `limit` mails (and tokens). A few
    rounds of a burst of parallel requests, each round a fresh user."""
    import threading

    org_id, _ = org
    n, rounds = 12, 4
    for _ in range(rounds):
        user = make_user(root, org_id, "par", manage=["password-recovery"])
        conns = [directory.bind() for _ in range(n)]
        start = threading.Barrier(n)
        errors = []

        def ask(c):
            try:
                start.wait()
                msgid = c.extop(ExtendedRequest(RECOVERY_OID, uid_of(user).encode()))
                c.result4(msgid, all=1, add_extop=1)
            except Exception as e:  # pragma: no cover - asserted below
                errors.append(e)

        threads = [threading.Thread(target=ask, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        requested = read(root, user, ["umResetRequested"]).get("umResetRequested", [])
        got = all_mails(directory, root, uid_of(user).lower() + "@example.com")
        assert len(got) <= 3 and len(requested) <= 3, (len(got), len(requested))
        # one value per request, never one stored twice: syncrepl refuses an
        # entry holding a value twice and a cluster stops replicating
        assert len(set(requested)) == len(requested), requested
        assert len(got) == 3


def test_known_and_unknown_names_take_the_same_time(directory, root, org):
    """Timing enumeration: a name that exists must not answer measurably
    slower than one that does not. Fresh users (each asked once, so each
    takes the whole path: token, writes, mail) against unknown names,
    interleaved; medians of 30 each."""
    import statistics

    org_id, _ = org
    known = [uid_of(make_user(root, org_id, "tm", manage=["password-recovery"]))
             for _ in range(30)]
    unknown = ["nobody-" + unique("tm") for _ in range(30)]
    c = directory.bind()
    c.simple_bind_s("", "")

    def timed(name):
        t = time.perf_counter()
        msgid = c.extop(ExtendedRequest(RECOVERY_OID, name.encode()))
        c.result4(msgid, all=1, add_extop=1)
        return time.perf_counter() - t

    timed("warm-up-" + unique("tm"))
    tk, tu = [], []
    for k, u in zip(known, unknown):
        tk.append(timed(k))
        tu.append(timed(u))
    mk, mu = statistics.median(tk), statistics.median(tu)
    assert max(mk, mu) / min(mk, mu) < 1.5, "known %.2f ms, unknown %.2f ms" % (
        mk * 1000, mu * 1000)


def test_the_answer_speaks_the_language_asked_for(directory, root, org):
    """One text for everyone, known or not, in the language the request
    names (a third line: identifier, answer, language); English by default."""
    org_id, _ = org
    user = make_user(root, org_id, "lang", manage=["password-recovery"], lang="nl")
    fr = ("si ce nom d'utilisateur ou cette adresse e-mail correspond à un compte du portail, "
          "un e-mail est en route vers l'adresse de ce compte")
    de_start = "wenn dieser Benutzername oder diese E-Mail-Adresse zu einem Portalkonto gehört"
    for ident in (uid_of(user), "nobody-" + unique("l"), "nobody@example.com"):
        assert answer_text(directory, ident) == SAME_ANSWER
        assert answer_text(directory, ident + "\n\nfr") == fr
        assert answer_text(directory, ident + "\n\nde").startswith(de_start)
        assert answer_text(directory, ident + "\n\nxx") == SAME_ANSWER
    # the language of the answer is not the language of the mail: the
    # user's own (nl) is
    got = all_mails(directory, root, uid_of(user).lower() + "@example.com")
    assert got and all("Uw wachtwoord" in m["subject"] for m in got)


def test_password_modify_outside_the_portal_is_slapds_own(directory, root):
    """The token redemption takes only portal users' DNs: anonymous
    Password Modify anywhere else gets slapd's own answer, as without the
    overlay (slapd's answer to the same request without an old password,
    which the overlay never claims)."""
    def code_and_text(dn, old):
        try:
            if old is None:
                directory.bind().passwd_s(dn, None, "Some-New-Pass-1")
            else:
                directory.bind().passwd_s(dn, old, "Some-New-Pass-1")
        except ldap.LDAPError as e:
            return type(e), diagnostic(e)
        return None, None

    for dn in ("cn=provisiond,ou=system," + SUFFIX, "ou=system," + SUFFIX,
               "cn=nobody,dc=elsewhere,dc=example", "uid=x,ou=users,ou=system," + SUFFIX):
        reference = code_and_text(dn, None)
        assert reference[0] is ldap.STRONG_AUTH_REQUIRED, reference
        assert code_and_text(dn, "some-token") == reference, dn
    # a portal user's DN, existing or not, is the overlay's: the same code
    # for both, so it tells nobody who exists
    org_dn_ = "o=bpost-contract-team,ou=organizations," + SUFFIX
    for dn in ("uid=PRINTSCREENS,ou=users," + org_dn_, "uid=nobody-x,ou=users," + org_dn_):
        assert code_and_text(dn, "some-token")[0] is ldap.INVALID_CREDENTIALS, dn


def test_deactivated_user_gets_nothing(directory, root, org):
    org_id, _ = org
    user = make_user(root, org_id, "off", manage=["password-recovery"], status="deactivated")
    recover(directory, uid_of(user))
    no_mail(directory, root, uid_of(user).lower() + "@example.com")


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
    """An instance with delegate-reset-answer on, its own provisiond and
    SMTP server (the mails are read as delivered: queued, they are sealed)."""
    import os
    import shutil
    import tempfile

    from conftest import Provisiond, free_port, start_instance, stop_instance
    from smtp_sink import SmtpSink

    tmp = tempfile.mkdtemp(prefix="portal-um-answer-")
    d = start_instance(tmp, free_port(), {"UM_DELEGATE_EXTRA": "delegate-reset-answer on"})
    d.smtp = SmtpSink(free_port())
    d.provisiond = Provisiond(d, os.path.join(tmp, "provisiond"))
    try:
        d.provisiond.start()
        yield d
    finally:
        d.provisiond.stop()
        d.smtp.stop()
        stop_instance(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def test_security_answer_as_second_factor(answer_directory):
    d = answer_directory
    root = d.root()
    org_id = make_org(root)
    user = make_user(root, org_id, "qa2", manage=["password-recovery"],
                     umSecurityQuestion="Ville natale ?", umSecurityAnswer="Namur")
    to = uid_of(user).lower() + "@example.com"

    recover(d, uid_of(user) + "\nLiege")  # wrong answer: no link
    bodies = [m["body"] for m in all_mails(d, root, to)]
    assert len(bodies) == 1 and "token=" not in bodies[0]
    recover(d, uid_of(user) + "\n  NAMUR ")  # case and blanks do not count
    got = all_mails(d, root, to)
    assert len(got) == 2 and sum("token=" in m["body"] for m in got) == 1
    # and the link works
    [link] = [m for m in got if "token=" in m["body"]]
    redeem(d, user, token_of(link), "Second-Factor-1")
    bind(d, user, "Second-Factor-1")


def test_the_token_is_stored_nowhere(directory, root, org):
    """The reset link's token is in the delivered mail and nowhere in the
    directory: not in the queue entry (which replicas copy), not in the
    accesslog (kept 30 days). The queue holds the body sealed to
    provisiond's key. Read while provisiond is stopped, so the entry is
    still queued."""
    import datetime

    org_id, _ = org
    user = make_user(root, org_id, "seal", manage=["password-recovery"], lang="de")
    to = uid_of(user).lower() + "@example.com"
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2))
    since = since.strftime("%Y%m%d%H%M%S.000000Z")
    directory.provisiond.stop()
    try:
        recover(directory, uid_of(user))
        [(qdn, qattrs)] = root.search_s(MAILQ, ldap.SCOPE_ONELEVEL, "(mail=%s)" % to,
                                        ["*", "+"])
        body = qattrs["umMailBody"][0].decode()
        assert body.startswith("{X25519-AES256GCM}"), body
        stored = [qdn] + [v.decode(errors="replace") for vs in qattrs.values() for v in vs]
        log = directory.operator().search_s("cn=accesslog", ldap.SCOPE_SUBTREE,
                                            "(reqStart>=%s)" % since)
        logged = [v.decode(errors="replace") for _, a in log for vs in a.values() for v in vs]
        # the add of the queue entry is there, sealed
        assert any(a.get("reqDN", [b""])[0].decode().lower() == qdn.lower()
                   and a.get("reqType") == [b"add"] for _, a in log), qdn
        assert any("umMailBody:" in v and "{X25519-AES256GCM}" in v for v in logged)
        assert not any("token=" in v for v in stored + logged)
    finally:
        directory.provisiond.start()
    [mail] = all_mails(directory, root, to)
    token = token_of(mail)
    assert not any(token in v for v in stored + logged)
    entry_now = read(root, user, ["*", "+"])
    assert not any(token.encode() in v for vs in entry_now.values() for v in vs)
    redeem(directory, user, token, "Versiegelt-Neu-1")
    bind(directory, user, "Versiegelt-Neu-1")
