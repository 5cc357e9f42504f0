"""Passwords as the manual says (§2.2.3, §3.2): the policy (7 characters,
an upper- and a lower-case letter, case-sensitive) with refusals in the
user's language, temporary passwords set by administrators, the current
password needed to change one's own, lockout lifted by administrators."""
import ldap
import ldap.modlist
import pytest

from helpers import (USER_PW, add_grant, assert_refused, bind, delete_tree, diagnostic,
                     make_org, make_user, org_dn, read, user_attrs, user_dn, unique, entry)


@pytest.fixture
def org(directory, root):
    org_id = make_org(root, billing=["BA-1"])
    admin = make_user(root, org_id, "adm", manage=["users", "admins", "password-recovery"],
                      lang="fr")
    yield org_id, admin
    delete_tree(root, org_dn(org_id))


def base(org_id):
    return org_dn(org_id)


@pytest.mark.parametrize("lang,new,texts", [
    ("fr", "Abc12", ["doit comporter au minimum 7 caractères"]),
    ("nl", "kleinletters1", ["moet minstens één hoofdletter bevatten"]),
    ("de", "GROSSBUCHSTABEN1", ["muss mindestens einen Kleinbuchstaben enthalten"]),
    ("en", "short", ["must have at least 7 characters"]),
], ids=["§3.2-fr-too-short", "§3.2-nl-no-upper", "§3.2-de-no-lower", "§3.2-en-too-short"])
def test_own_password_change_follows_policy_in_users_language(directory, root, org, lang, new,
                                                               texts):
    org_id, _ = org
    user = make_user(root, org_id, "self", lang=lang)
    c = bind(directory, user)
    text = assert_refused(directory, lambda: c.passwd_s(user, USER_PW, new),
                          ldap.CONSTRAINT_VIOLATION, texts, base(org_id))
    assert user.split(",")[0].split("=")[1] in text
    # the old password still works, the new one does not
    bind(directory, user)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, user, new)


def test_passwords_are_case_sensitive(directory, root, org):
    org_id, _ = org
    user = make_user(root, org_id, "case")
    bind(directory, user, USER_PW)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, user, USER_PW.lower())
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, user, USER_PW.upper())


def test_admin_set_password_follows_policy_in_admins_language(directory, root, org):
    """ppolicy does not check passwords an administrator sets; the overlay
    does, and answers the administrator (fr) naming the user."""
    org_id, admin = org
    user = make_user(root, org_id, "weak", lang="nl")
    a = bind(directory, admin)
    assert_refused(directory,
                   lambda: a.modify_s(user, [(ldap.MOD_REPLACE, "userPassword", [b"faible"])]),
                   ldap.CONSTRAINT_VIOLATION, ["doit comporter au minimum 7 caractères"],
                   base(org_id))
    assert_refused(directory, lambda: a.passwd_s(user, None, "sansmajuscule1"),
                   ldap.CONSTRAINT_VIOLATION, ["doit contenir au moins une majuscule"],
                   base(org_id))
    uid = unique("new")
    attrs = user_attrs(uid, lang="en", password="ALLUPPER1")
    assert_refused(directory, lambda: a.add_s(user_dn(uid, org_id), entry(attrs)),
                   ldap.CONSTRAINT_VIOLATION, ["doit contenir au moins une minuscule"],
                   base(org_id))


def test_admin_cannot_set_a_prehashed_password(directory, root, org):
    org_id, admin = org
    user = make_user(root, org_id, "hashed")
    a = bind(directory, admin)
    assert_refused(directory,
                   lambda: a.modify_s(user, [(ldap.MOD_REPLACE, "userPassword",
                                              [b"{SSHA}hOmtcbTgIQoyTNVcuz9rA0XCHQEs+2xq"])]),
                   ldap.CONSTRAINT_VIOLATION, ["doit être donné en clair"], base(org_id))


def test_temporary_password_must_be_changed_at_first_login(directory, root, org):
    """§3.2: "L'administrateur attribue un mot de passe provisoire [...]
    L'utilisateur doit changer ce mot de passe dès qu'il se connecte pour la
    première fois." A standard client (ldappasswd -e ppolicy) can; a plain
    bind (an e-application testing the password) cannot get in."""
    org_id, admin = org
    a = bind(directory, admin)
    uid = unique("first")
    dn = user_dn(uid, org_id)
    a.add_s(dn, entry(user_attrs(uid, lang="de", password="Provisorisch-1")))
    assert read(root, dn, ["pwdReset"])["pwdReset"] == [b"TRUE"]
    with pytest.raises(ldap.INVALID_CREDENTIALS) as exc:
        bind(directory, dn, "Provisorisch-1")
    assert "ist vorläufig und muss zuerst geändert werden" in diagnostic(exc.value)
    # with the password policy control the bind passes, restricted to a change
    c = bind(directory, dn, "Provisorisch-1", ppolicy=True)
    with pytest.raises(ldap.LDAPError):
        c.search_s(dn, ldap.SCOPE_BASE)
    c.passwd_s(dn, "Provisorisch-1", "Selbst-Gewaehlt-2")
    assert "pwdReset" not in read(root, dn, ["pwdReset"])
    bind(directory, dn, "Selbst-Gewaehlt-2")
    # an administrator resetting it makes it temporary again
    a.passwd_s(dn, None, "Wieder-Neu-3")
    assert read(root, dn, ["pwdReset"])["pwdReset"] == [b"TRUE"]
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, dn, "Wieder-Neu-3")


def test_own_password_change_needs_the_current_one(directory, root, org):
    """§3.2: "vous devez d'abord introduire votre mot de passe actuel"."""
    org_id, _ = org
    user = make_user(root, org_id, "safe")
    c = bind(directory, user)
    before = directory.snapshot(base(org_id))
    with pytest.raises(ldap.LDAPError):
        c.modify_s(user, [(ldap.MOD_REPLACE, "userPassword", [b"Sans-Ancien-1"])])
    assert directory.snapshot(base(org_id)) == before
    c.modify_s(user, [(ldap.MOD_DELETE, "userPassword", [USER_PW.encode()]),
                      (ldap.MOD_ADD, "userPassword", [b"Avec-Ancien-1"])])
    bind(directory, user, "Avec-Ancien-1")


def test_lockout_after_five_failures_lifted_by_the_administrator(directory, root, org):
    org_id, admin = org
    user = make_user(root, org_id, "lock")
    for _ in range(5):
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            bind(directory, user, "Wrong-Pass-1")
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, user)  # the right password, but locked
    assert "pwdAccountLockedTime" in read(root, user, ["pwdAccountLockedTime"])
    # a plain user of the organisation cannot unlock it
    plain = make_user(root, org_id, "plain")
    p = bind(directory, plain)
    assert_refused(directory,
                   lambda: p.modify_s(user, [(ldap.MOD_DELETE, "pwdAccountLockedTime", None)]),
                   ldap.INSUFFICIENT_ACCESS, ["not an administrator"], base(org_id))
    # its administrator can
    bind(directory, admin).modify_s(user, [(ldap.MOD_DELETE, "pwdAccountLockedTime", None)])
    bind(directory, user)
