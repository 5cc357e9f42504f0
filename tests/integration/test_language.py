"""Every answer a portal user sees is in its language (DESIGN rule 9), also
those that slapd, slapo-ppolicy and slapo-unique write in English: a wrong
or missing current password (manual §3.2), a username taken elsewhere in
the portal; and a user added without cn gets one from the form's fields
(§2.2.3 has no "cn")."""
import ldap
import pytest

from helpers import (USER_PW, assert_refused, bind, entry, make_org, make_user, org_dn, read,
                     unique, user_attrs, user_dn)


@pytest.fixture(scope="module")
def org(directory):
    root = directory.root()
    org_id = make_org(root, prefix="lang")
    yield org_id
    root.unbind_s()


def test_wrong_current_password_in_the_users_language(directory, org):
    root = directory.root()
    dn = make_user(root, org, prefix="wrongpw", lang="fr")
    c = bind(directory, dn)
    # Password Modify (RFC 3062): slapd's frontend checks the old password
    assert_refused(directory, lambda: c.passwd_s(dn, "Pas-Le-Bon-1", "Nouveau-Pw-9"),
                   ldap.UNWILLING_TO_PERFORM,
                   ["le mot de passe actuel que vous avez donné n'est pas correct",
                    dn.split(",")[0][4:]], [org_dn(org)])
    # a modify that deletes the old value (slapo-ppolicy pwdSafeModify)
    assert_refused(directory, lambda: c.modify_s(dn, [
        (ldap.MOD_DELETE, "userPassword", [b"Pas-Le-Bon-1"]),
        (ldap.MOD_ADD, "userPassword", [b"Nouveau-Pw-9"])]),
        ldap.UNWILLING_TO_PERFORM, ["le mot de passe actuel que vous avez donné"],
        [org_dn(org)])
    # and the right one still works
    c.passwd_s(dn, USER_PW, "Nouveau-Pw-9")
    bind(directory, dn, "Nouveau-Pw-9").unbind_s()
    c.unbind_s()
    root.unbind_s()


def test_missing_current_password_in_the_users_language(directory, org):
    root = directory.root()
    dn = make_user(root, org, prefix="nopw", lang="nl")
    c = bind(directory, dn)
    assert_refused(directory, lambda: c.passwd_s(dn, None, "Nieuw-Pw-99"),
                   ldap.INSUFFICIENT_ACCESS,
                   ["geeft u het huidige wachtwoord samen met het nieuwe op"], [org_dn(org)])
    assert_refused(directory, lambda: c.modify_s(dn, [
        (ldap.MOD_REPLACE, "userPassword", [b"Nieuw-Pw-99"])]),
        ldap.INSUFFICIENT_ACCESS, ["geeft u het huidige wachtwoord samen met het nieuwe op"],
        [org_dn(org)])
    c.unbind_s()
    root.unbind_s()


def test_username_taken_elsewhere_in_the_admins_language(directory, org):
    root = directory.root()
    other = make_org(root, prefix="langother")
    taken = make_user(root, other, prefix="taken")
    uid = taken.split(",")[0][4:]
    admin = make_user(root, org, prefix="ladm", lang="de", manage=["users", "admins"])
    c = bind(directory, admin)
    attrs = user_attrs(uid, lang="fr")
    assert_refused(directory, lambda: c.add_s(user_dn(uid, org), entry(attrs)),
                   ldap.CONSTRAINT_VIOLATION,
                   ["der Benutzername %s ist im Portal bereits vergeben" % uid],
                   [org_dn(org), org_dn(other)])
    c.unbind_s()
    root.unbind_s()


def test_cn_comes_from_first_name_and_name(directory, org):
    root = directory.root()
    admin = make_user(root, org, prefix="cnadm", manage=["users"])
    c = bind(directory, admin)
    uid = unique("nocn")
    attrs = user_attrs(uid, givenName="Marie", sn="Dupont")
    del attrs["cn"]
    c.add_s(user_dn(uid, org), entry(attrs))
    assert read(root, user_dn(uid, org), ["cn"])["cn"] == [b"Marie Dupont"]
    c.unbind_s()
    root.unbind_s()
