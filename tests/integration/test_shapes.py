"""Issue 11: every finding is closed (DESIGN §3 rule 0, "shapes, not
denylists").

One table row per attack: who writes, what it sends, the LDAP error it
must get (rule 9: 50 permission, 19 validation, 53 forbidden operation),
pieces of the diagnostic in the attacker's preferredLanguage, and the
directory must be exactly as before. Next to each group, the legitimate
flow it must not break.

The world is built once per module, as the rootdn: a customer C (billing
addresses, contracts), its administrators (fr, en), a users-only
administrator (fr), plain users (nl, fr), targets, a customer C2 with an
administrator (nl) and a plain user (en), a router R holding a delegation
of C.
"""
import collections
import time

import ldap
import pytest
from ldap.controls import LDAPControl
from ldap.controls.readentry import PreReadControl
from ldap.extop import ExtendedRequest
from pyasn1.codec.ber import encoder
from pyasn1.type import namedtype, univ

from conftest import SUFFIX
from helpers import (USER_PW, World, add_delegation, add_grant, assert_refused, bind, delete_tree,
                     diagnostic, entry, grant_attrs, grant_dn, make_user, read,
                     unique, user_attrs, user_dn, values)

RELAX = "1.3.6.1.4.1.4203.666.5.12"  # Relax Rules
MANAGE_DSA_IT = "2.16.840.1.113730.3.4.2"
PERMISSIVE_MODIFY = "1.2.840.113556.1.4.1413"
NOOP = "1.3.6.1.4.1.4203.666.5.2"
PROXY_AUTHZ = "2.16.840.1.113730.3.4.18"
ASSERTION = "1.3.6.1.1.12"
TXN_START, TXN_SPEC, TXN_END = "1.3.6.1.1.21.1", "1.3.6.1.1.21.2", "1.3.6.1.1.21.3"

ADMINS = ["admins", "users", "password-recovery"]
FULL = {"emasspost": ["product:letter", "product:prior", "billing:BA-1", "role:creation",
                      "role:administrator"],
        "invoice-reporter": ["billing:BA-1", "billing:BA-2"]}


@pytest.fixture(scope="module")
def world(directory):
    root = directory.root()
    w = World(directory)
    w.org(root, "C", billing=["BA-1", "BA-2"], contracts={"CS-1": "cs-master"})
    w.org(root, "C2", billing=["BB-1"])
    w.org(root, "R", kind="router")
    C = w.n["C"]
    w.user(root, "ADM_EN", "C", manage=ADMINS, lang="en", grants=FULL)
    w.user(root, "ADM_FR", "C", manage=ADMINS, lang="fr", grants=FULL)
    w.user(root, "UADM", "C", manage=["users"], lang="fr",
           grants={"emasspost": ["product:letter", "billing:BA-1", "role:creation"]})
    w.user(root, "PLAIN", "C", lang="nl", grants={"emasspost": ["product:letter",
                                                                "billing:BA-1"]})
    w.user(root, "PLAIN_FR", "C", lang="fr")
    w.user(root, "TV", "C", lang="en", grants={"emasspost": ["product:letter", "billing:BA-1"],
                                               "invoice-reporter": ["billing:BA-1"]})
    w.user(root, "LOCKED", "C", lang="en")
    w.user(root, "OADM", "C2", manage=ADMINS, lang="nl", grants={"emasspost": ["product:letter"]})
    w.user(root, "OUSER", "C2", lang="en")
    w.user(root, "OTV", "C2", lang="en")
    add_delegation(root, C, "emasspost", w.n["R"], ["product:letter"])
    w.n["DELEG"] = "cn=emasspost@{R},ou=delegations,{C_DN}".format(**w.n)
    w.n["TV_GRANT"] = grant_dn(w.n["TV"], "emasspost", C)
    w.n["TV_UID_UPPER"] = w.n["TV_UID"].upper()
    yield w
    for c in w.conns.values():
        c.unbind_s()
    for key in ("C", "C2", "R"):
        delete_tree(root, w.n[key + "_DN"])
    root.unbind_s()


# ---- operations (templates are formatted with the world's names) ---------

_MOD = {"add": ldap.MOD_ADD, "delete": ldap.MOD_DELETE, "replace": ldap.MOD_REPLACE,
        "increment": ldap.MOD_INCREMENT}


def ctrl(oid, value=None):
    return LDAPControl(oid, True, encodedControlValue=value)


def modify(dn, *changes, ctrls=()):
    """changes: (add|delete|replace|increment, attribute, [values] or None)."""
    def op(c, w):
        mods = [(_MOD[kind], w.fmt(attr),
                 None if vals is None else [v.encode() for v in w.fmt(vals)])
                for kind, attr, vals in changes]
        c.modify_ext_s(w.fmt(dn), mods, serverctrls=list(ctrls) or None)
    return op


def add(dn, attrs, ctrls=()):
    return lambda c, w: c.add_ext_s(w.fmt(dn), entry(w.fmt(attrs)),
                                    serverctrls=list(ctrls) or None)


def new_user(org="C", ctrls=(), **fields):
    """Adds a fresh user of the §2.2.3 form; fields override it."""
    def op(c, w):
        uid = unique("new")
        c.add_ext_s(user_dn(uid, w.n[org]), entry(w.fmt(user_attrs(uid, **fields))),
                    serverctrls=list(ctrls) or None)
    return op


def new_grant(user, app, rights, **extra):
    """Adds cn=<app>@C under user, with extra attributes (or classes)."""
    def op(c, w):
        attrs = grant_attrs(app, w.n["C"], rights)
        attrs.update(w.fmt(extra))
        c.add_s(grant_dn(w.n[user], app, w.n["C"]), entry(attrs))
    return op


def delete(dn):
    return lambda c, w: c.delete_s(w.fmt(dn))


def rename(dn, newrdn, newsup=None):
    return lambda c, w: c.rename_s(w.fmt(dn), w.fmt(newrdn), w.fmt(newsup) if newsup else None)


Case = collections.namedtuple("Case", "id writer op exc texts bases")
DENIED, INVALID = ldap.INSUFFICIENT_ACCESS, ldap.CONSTRAINT_VIOLATION
UNWILLING = ldap.UNWILLING_TO_PERFORM
WORLD = ("{C_DN}", "{C2_DN}", "{R_DN}")


def case(id, writer, op, exc, texts, extra_bases=()):
    return Case(id, writer, op, exc, texts, WORLD + tuple(extra_bases))


# Message pieces (lib/messages.c), per language.
EN_OPTION = "cannot be written on {%s}: attribute options are not accepted in the portal"
FR_OPTION = ("ne peut pas être écrit sur {%s} : les options d'attribut ne sont pas acceptées "
             "dans le portail")
NL_OPTION = "kan niet op {%s} worden geschreven: attribuutopties worden in het portaal niet aanvaard"
NL_RELAX = ("de besturing Relax Rules is voorbehouden aan de operatoren van het portaal, dus u "
            "kunt ze niet gebruiken om {PLAIN_UID} te wijzigen")
FR_CONTROL = "est réservé aux opérateurs du portail, vous ne pouvez donc pas l'utiliser"
EN_SHAPE_ATTR = "is not an attribute of {%s}'s kind of portal entry, so it cannot be written"
NL_SHAPE_ATTR = "is geen attribuut van het soort portaalitem van {%s}, dus het kan niet worden"
FR_SHAPE_ATTR = "n'est pas un attribut de ce type d'entrée du portail"
EN_SHAPE_CLASS = "cannot have the object class %s: it is not one of the classes of this kind"
FR_SHAPE_CLASS = "ne peut pas avoir la classe d'objet %s : elle ne fait pas partie de ce type"
# the portal's own attributes (MSG_RESERVED_ATTR) and rule 7 (MSG_SELF_RIGHTS)
EN_NOT_YOURS = "the attribute %s of {%s} is managed by the portal itself"
FR_NOT_YOURS = "l'attribut %s de {%s} est géré par le portail lui-même"
NL_SELF = "u kunt %s van uw eigen account niet wijzigen"
FR_SELF = "vous ne pouvez pas modifier %s de votre propre compte"
EN_PROTECTED = "is managed by the portal operator only"
FR_PROTECTED = "est géré uniquement par l'exploitant du portail"
EN_OTHER_ORG = "it belongs to organisation {C}, not to yours"
NL_OTHER_ORG = "het hoort bij organisatie {C}, niet bij de uwe"
NL_NOT_ADMIN = "u bent geen beheerder, dus u kunt {%s} niet wijzigen"

REFERRAL_USER = {"objectClass": ["referral", "extensibleObject", "umUser"],
                 "ref": "ldap://evil.example/"}

CASES = [
    # ---- finding 1: attribute options ------------------------------------
    case("options-plain-user-tags-umManage-on-itself", "PLAIN",
         modify("{PLAIN}", ("add", "umManage;lang-en", ["admins"])), INVALID,
         ["umManage;lang-en " + NL_OPTION % "PLAIN_UID"]),
    case("options-plain-user-tags-umAppAccess-on-itself", "PLAIN_FR",
         modify("{PLAIN_FR}", ("add", "umAppAccess;lang-fr", ["invoice-reporter"])), INVALID,
         ["umAppAccess;lang-fr " + FR_OPTION % "PLAIN_FR_UID"]),
    case("options-users-admin-tags-umRight-administrator-on-grant", "UADM",
         modify("{TV_GRANT}", ("add", "umRight;lang-fr", ["role:administrator"])), INVALID,
         ["umRight;lang-fr " + FR_OPTION % "TV_UID"]),
    case("options-plain-user-tags-umStatus-superuser", "PLAIN",
         modify("{PLAIN}", ("add", "umStatus;lang-fr", ["superuser"])), INVALID,
         ["umStatus;lang-fr " + NL_OPTION % "PLAIN_UID"]),
    case("options-admin-tags-umScope-on-grant", "ADM_FR",
         modify("{TV_GRANT}", ("add", "umScope;lang-fr", ["{C2}"])), INVALID,
         ["umScope;lang-fr " + FR_OPTION % "TV_UID"]),
    case("options-admin-tags-umApplication-on-grant", "ADM_EN",
         modify("{TV_GRANT}", ("add", "umApplication;lang-nl", ["invoice-reporter"])), INVALID,
         ["umApplication;lang-nl " + EN_OPTION % "TV_UID"]),
    case("options-plain-user-tags-userPassword-on-itself", "PLAIN_FR",
         modify("{PLAIN_FR}", ("add", "userPassword;lang-fr", ["a"])), INVALID,
         ["userPassword;lang-fr " + FR_OPTION % "PLAIN_FR_UID"]),
    case("options-plain-user-tags-umSecurityAnswer-on-itself", "PLAIN",
         modify("{PLAIN}", ("add", "umSecurityAnswer;lang-fr", ["Brussel"])), INVALID,
         ["umSecurityAnswer;lang-fr " + NL_OPTION % "PLAIN_UID"]),
    # who and where first: another organisation's user learns nothing more
    case("options-other-org-user-tags-uid", "OUSER",
         modify("{TV}", ("add", "uid;lang-fr", ["{ADM_EN_UID}"])), DENIED,
         ["you cannot change {TV_UID}: " + EN_OTHER_ORG]),
    case("options-admin-tags-uid-of-its-user", "ADM_EN",
         modify("{TV}", ("add", "uid;lang-fr", ["{ADM_EN_UID}"])), INVALID,
         ["uid;lang-fr " + EN_OPTION % "TV_UID"]),
    case("options-admin-adds-user-with-tagged-sn", "ADM_FR",
         new_user(**{"sn;lang-fr": "Pirate"}), INVALID,
         ["sn;lang-fr ne peut pas être écrit sur", "les options d'attribut ne sont pas acceptées"]),
    case("options-admin-adds-user-with-tagged-umManage", "UADM",
         new_user(**{"umManage;lang-en": "admins"}), INVALID,
         ["umManage;lang-en ne peut pas être écrit sur"]),
    case("options-permissive-modify-tags-umManage", "PLAIN",
         modify("{PLAIN}", ("add", "umManage;lang-en", ["admins"]),
                ctrls=[ctrl(PERMISSIVE_MODIFY)]), INVALID,
         ["umManage;lang-en " + NL_OPTION % "PLAIN_UID"]),

    # ---- finding 2: Relax Rules, Manage DSA IT, memberOf/member -----------
    case("controls-relax-user-becomes-referral", "PLAIN",
         modify("{PLAIN}", ("replace", "objectClass", ["referral", "extensibleObject"]),
                ("add", "ref", ["ldap://evil.example/"]), ctrls=[ctrl(RELAX)]),
         DENIED, [NL_RELAX]),
    case("controls-relax-user-becomes-alias", "PLAIN",
         modify("{PLAIN}", ("replace", "objectClass", ["alias", "extensibleObject"]),
                ("add", "aliasedObjectName", ["ou=users,{C2_DN}"]), ctrls=[ctrl(RELAX)]),
         DENIED, [NL_RELAX]),
    case("controls-relax-user-becomes-groupOfNames", "PLAIN",
         modify("{PLAIN}", ("replace", "objectClass", ["groupOfNames", "extensibleObject"]),
                ("add", "member", ["{PLAIN}"]), ctrls=[ctrl(RELAX)]),
         DENIED, [NL_RELAX]),
    case("controls-relax-user-becomes-umGrant", "PLAIN",
         modify("{PLAIN}", ("replace", "objectClass", ["umGrant"]),
                ("add", "umRight", ["role:administrator"]), ctrls=[ctrl(RELAX)]),
         DENIED, [NL_RELAX]),
    # slapd itself: memberOf is not manageable, not even under Relax
    case("controls-relax-user-writes-memberOf", "PLAIN",
         modify("{PLAIN}", ("add", "memberOf", ["{OPERATORS}"]), ctrls=[ctrl(RELAX)]),
         INVALID, ["memberOf: no-user-modification attribute not manageable"]),
    case("controls-relax-admin-adds-user", "ADM_FR", new_user(ctrls=[ctrl(RELAX)]), DENIED,
         ["le contrôle Relax Rules " + FR_CONTROL]),
    case("controls-relax-admin-renames-user", "ADM_EN",
         lambda c, w: c.rename_s(w.n["TV"], "uid=renamed-by-relax", None,
                                 serverctrls=[ctrl(RELAX)]),
         DENIED, ["the Relax Rules control is reserved to the portal's operators"]),
    case("controls-manage-dsa-it-user-modifies-itself", "PLAIN",
         modify("{PLAIN}", ("replace", "sn", ["Managed"]), ctrls=[ctrl(MANAGE_DSA_IT)]), DENIED,
         ["de besturing Manage DSA IT is voorbehouden aan de operatoren"]),
    case("controls-manage-dsa-it-admin-deletes-grant", "ADM_FR",
         lambda c, w: c.delete_ext_s(w.n["TV_GRANT"], serverctrls=[ctrl(MANAGE_DSA_IT)]),
         DENIED, ["le contrôle Manage DSA IT " + FR_CONTROL]),
    # without a control slapd itself keeps memberOf (NO-USER-MODIFICATION)
    case("controls-user-writes-own-memberOf", "PLAIN",
         modify("{PLAIN}", ("add", "memberOf", ["{OPERATORS}"])), INVALID,
         ["memberOf: no user modification allowed"]),
    case("controls-user-writes-member-on-itself", "PLAIN",
         modify("{PLAIN}", ("add", "member", ["{PLAIN}"])), INVALID,
         ["member " + NL_SHAPE_ATTR % "PLAIN_UID"]),
    case("controls-admin-writes-member-on-user", "ADM_EN",
         modify("{TV}", ("add", "member", ["{ADM_EN}"])), INVALID,
         ["member " + EN_SHAPE_ATTR % "TV_UID"]),
    case("controls-admin-writes-member-on-grant", "ADM_FR",
         modify("{TV_GRANT}", ("add", "member", ["{ADM_FR}"])), INVALID,
         ["member " + FR_SHAPE_ATTR]),
    case("controls-user-joins-operators", "PLAIN",
         modify("{OPERATORS}", ("add", "member", ["{PLAIN}"])), DENIED,
         ["{OPERATORS} wordt alleen door de beheerder van het portaal beheerd"], ["{SYSTEM}"]),
    case("controls-user-replaces-own-classes-without-control", "PLAIN",
         modify("{PLAIN}", ("replace", "objectClass", ["inetOrgPerson", "umUser",
                                                       "extensibleObject"])),
         DENIED, [NL_SELF % "objectClass"]),
    case("controls-user-adds-extensibleObject-to-itself", "PLAIN_FR",
         modify("{PLAIN_FR}", ("add", "objectClass", ["extensibleObject"])), DENIED,
         [FR_SELF % "objectClass"]),
    # slapd itself: nobody may assume another identity (authz-policy none)
    case("controls-proxied-authorization-as-admin", "PLAIN",
         modify("{TV}", ("add", "umManage", ["admins"]),
                ctrls=[ctrl(PROXY_AUTHZ, b"dn:cn=admin," + SUFFIX.encode())]),
         ldap.PROXIED_AUTHORIZATION_DENIED, ["not authorized to assume identity"]),
    # the DN spelled with OIDs and in upper case is the same place (and the
    # refusal names the user as the writer spelled it)
    case("controls-dn-spelled-with-oids", "PLAIN",
         lambda c, w: c.modify_s("UID=%s,2.5.4.11=Users,O=%s,ou=organizations,%s" % (
             w.n["TV_UID"].upper(), w.n["C"].upper(), SUFFIX),
             [(ldap.MOD_ADD, "umManage", [b"admins"])]),
         DENIED, [NL_NOT_ADMIN % "TV_UID_UPPER"]),
    case("controls-noop-does-not-probe-rights", "PLAIN",
         modify("{TV}", ("add", "umManage", ["admins"]), ctrls=[ctrl(NOOP)]), DENIED,
         [NL_NOT_ADMIN % "TV_UID"]),

    # ---- finding 3: odd entries, no controls --------------------------------
    # attributes are checked before classes: ref names the first foreign thing
    case("odd-users-admin-adds-referral-user", "UADM", new_user(**REFERRAL_USER), INVALID,
         ["ref " + FR_SHAPE_ATTR]),
    case("odd-users-admin-adds-referral-class-user", "UADM",
         new_user(objectClass=["inetOrgPerson", "umUser", "referral"]), INVALID,
         [FR_SHAPE_CLASS % "referral"]),
    case("odd-users-admin-adds-alias-user", "UADM",
         new_user(objectClass=["alias", "extensibleObject", "umUser"],
                  aliasedObjectName="ou=users,{C2_DN}"), INVALID,
         ["aliasedObjectName " + FR_SHAPE_ATTR]),
    case("odd-users-admin-adds-alias-class-user", "UADM",
         new_user(objectClass=["inetOrgPerson", "umUser", "alias"]), INVALID,
         [FR_SHAPE_CLASS % "alias"]),
    case("odd-users-admin-adds-groupOfNames-user", "UADM",
         new_user(objectClass=["groupOfNames", "umUser", "extensibleObject"]), INVALID,
         [FR_SHAPE_CLASS % "groupOfNames"]),
    case("odd-admin-adds-user-of-another-structural-class", "ADM_EN",
         new_user(objectClass=["account", "umUser"]), INVALID, [EN_SHAPE_CLASS % "account"]),
    case("odd-admin-adds-user-with-simpleSecurityObject", "ADM_EN",
         new_user(objectClass=["inetOrgPerson", "umUser", "simpleSecurityObject"]), INVALID,
         [EN_SHAPE_CLASS % "simpleSecurityObject"]),
    case("odd-admin-adds-cn-entry-in-ou-users", "ADM_EN",
         add("cn=x,ou=users,{C_DN}", {"objectClass": ["person"], "cn": "x", "sn": "x"}), DENIED,
         ["cn=x,ou=users,{C_DN} " + EN_PROTECTED]),
    case("odd-admin-adds-entry-under-grant", "ADM_FR",
         add("cn=x,{TV_GRANT}", grant_attrs("emasspost", "x", ["product:letter"])), DENIED,
         ["cn=x,{TV_GRANT} " + FR_PROTECTED]),
    case("odd-admin-adds-entry-under-ou-groups", "ADM_EN",
         add("cn=x,{GROUPS}", {"objectClass": "groupOfNames", "cn": "x", "member": "{ADM_EN}"}),
         DENIED, [EN_PROTECTED], ["{GROUPS}"]),
    case("odd-admin-adds-entry-under-ou-system", "ADM_FR",
         add("cn=x,{SYSTEM}", {"objectClass": "groupOfNames", "cn": "x", "member": "{ADM_FR}"}),
         DENIED, [FR_PROTECTED], ["{SYSTEM}"]),
    case("odd-admin-adds-entry-under-ou-applications", "ADM_EN",
         add("cn=x,{APPS}", {"objectClass": "organizationalRole", "cn": "x"}), DENIED,
         [EN_PROTECTED], ["{APPS}"]),
    case("odd-admin-writes-its-organisation", "ADM_EN",
         modify("{C_DN}", ("replace", "umOrgKind", ["router"])), DENIED,
         ["{C_DN} " + EN_PROTECTED]),
    case("odd-admin-deletes-billing-address", "ADM_FR", delete("umBillingId=BA-2,ou=billing,{C_DN}"),
         DENIED, [FR_PROTECTED]),
    case("odd-admin-moves-user-into-ou-groups", "ADM_EN",
         rename("{TV}", "uid={TV_UID}", "{GROUPS}"), DENIED, [EN_PROTECTED], ["{GROUPS}"]),
    case("odd-admin-moves-user-into-other-org", "ADM_FR",
         rename("{TV}", "uid={TV_UID}", "ou=users,{C2_DN}"), DENIED,
         ["il appartient à l'organisation {C2}, pas à la vôtre"]),
    case("odd-admin-renames-grant-to-other-application", "ADM_EN",
         rename("{TV_GRANT}", "cn=invoice-reporter@{C}"), UNWILLING,
         ["cannot be moved to another place or organisation"]),
    case("odd-admin-increments-umStatus", "ADM_EN",
         modify("{TV}", ("increment", "umStatus", ["1"])), INVALID,
         ["umStatus: attribute syntax inappropriate for increment"]),

    # ---- finding 4: extra attributes and classes ---------------------------
    case("extra-grant-with-extensibleObject", "ADM_EN",
         new_grant("PLAIN_FR", "invoice-reporter", ["billing:BA-1"],
                   objectClass=["umGrant", "extensibleObject"]),
         INVALID, [EN_SHAPE_CLASS % "extensibleObject"]),
    case("extra-grant-with-umUser-and-uid", "ADM_EN",
         new_grant("PLAIN_FR", "invoice-reporter", ["billing:BA-1"],
                   objectClass=["umGrant", "umUser"], uid="grant-uid-injected"),
         INVALID, ["uid " + EN_SHAPE_ATTR % "PLAIN_FR_UID"]),
    case("extra-grant-with-umUser-class", "ADM_FR",
         new_grant("PLAIN_FR", "invoice-reporter", ["billing:BA-1"],
                   objectClass=["umGrant", "umUser"]),
         INVALID, [FR_SHAPE_CLASS % "umUser"]),
    case("extra-grant-with-umAppAccess", "ADM_FR",
         new_grant("PLAIN_FR", "invoice-reporter", ["billing:BA-1"],
                   objectClass=["umGrant", "extensibleObject"], umAppAccess="collect-stamp"),
         INVALID, ["umAppAccess " + FR_SHAPE_ATTR]),
    case("extra-grant-with-userPassword", "ADM_EN",
         new_grant("PLAIN_FR", "invoice-reporter", ["billing:BA-1"],
                   objectClass=["umGrant", "simpleSecurityObject"], userPassword="Grant-Pw-1"),
         INVALID, ["userPassword " + EN_SHAPE_ATTR % "PLAIN_FR_UID"]),
    case("extra-existing-grant-gets-extensibleObject", "ADM_EN",
         modify("{TV_GRANT}", ("add", "objectClass", ["extensibleObject"])), INVALID,
         [EN_SHAPE_CLASS % "extensibleObject"]),
    case("extra-existing-grant-gets-umAppAccess", "ADM_FR",
         modify("{TV_GRANT}", ("add", "umAppAccess", ["emasspost"])), INVALID,
         ["umAppAccess " + FR_SHAPE_ATTR]),
    case("extra-plain-user-puts-umApplication-on-itself", "PLAIN",
         modify("{PLAIN}", ("add", "umApplication", ["emasspost"])), INVALID,
         ["umApplication " + NL_SHAPE_ATTR % "PLAIN_UID"]),
    case("extra-plain-user-puts-umRight-on-itself", "PLAIN",
         modify("{PLAIN}", ("add", "umRight", ["role:administrator"])), INVALID,
         ["umRight " + NL_SHAPE_ATTR % "PLAIN_UID"]),
    case("extra-admin-puts-umRight-on-user", "ADM_EN",
         modify("{TV}", ("add", "umRight", ["role:administrator"])), INVALID,
         ["umRight " + EN_SHAPE_ATTR % "TV_UID"]),

    # ---- finding 5: policy and state attributes ---------------------------
    case("state-user-points-pwdPolicySubentry-at-itself", "PLAIN",
         modify("{PLAIN}", ("replace", "pwdPolicySubentry", ["{PLAIN}"])), DENIED,
         [NL_SELF % "pwdPolicySubentry"]),
    case("state-admin-points-pwdPolicySubentry-at-missing-dn", "ADM_EN",
         modify("{TV}", ("replace", "pwdPolicySubentry", ["cn=missing,ou=policies,{SYSTEM}"])),
         DENIED, [EN_NOT_YOURS % ("pwdPolicySubentry", "TV_UID")]),
    case("state-admin-adds-new-user-with-pwdPolicySubentry", "ADM_FR",
         new_user(pwdPolicySubentry="cn=missing,ou=policies,{SYSTEM}"), DENIED,
         ["l'attribut pwdPolicySubentry de"]),
    case("state-admin-adds-pwdAccountLockedTime", "ADM_EN",
         modify("{TV}", ("add", "pwdAccountLockedTime", ["000001010000Z"])), DENIED,
         [EN_NOT_YOURS % ("pwdAccountLockedTime", "TV_UID")]),
    case("state-admin-replaces-pwdAccountLockedTime", "ADM_FR",
         modify("{TV}", ("replace", "pwdAccountLockedTime", ["20990101000000Z"])), DENIED,
         [FR_NOT_YOURS % ("pwdAccountLockedTime", "TV_UID")]),
    case("state-user-removes-own-lock-attribute", "PLAIN",
         modify("{PLAIN}", ("replace", "pwdAccountLockedTime", None)), DENIED,
         [NL_SELF % "pwdAccountLockedTime"]),
    case("state-user-clears-own-pwdReset", "PLAIN",
         modify("{PLAIN}", ("replace", "pwdReset", ["FALSE"])), DENIED,
         [NL_SELF % "pwdReset"]),

    # ---- finding 7: cross-organisation writes -------------------------------
    # a value the grant already holds: still 50, never typeOrValueExists (20)
    case("oracle-other-org-admin-adds-value-the-grant-holds", "OADM",
         modify("{TV_GRANT}", ("add", "umRight", ["product:letter"])), DENIED,
         ["u kunt {TV_UID} niet wijzigen: " + NL_OTHER_ORG]),
    case("oracle-admin-adds-itself-to-operators", "ADM_EN",
         modify("{OPERATORS}", ("add", "member", ["{ADM_EN}"])), DENIED,
         ["{OPERATORS} " + EN_PROTECTED], ["{SYSTEM}"]),
    # rule 4 holds for operators too: a grant's name is what it grants, so
    # no rename; a user moved to another organisation would take its
    # grants along past rule 8
    case("odd-operator-renames-grant", "ROOT",
         rename("{TV_GRANT}", "cn=invoice-reporter@{C}"), UNWILLING,
         ["cannot be moved to another place or organisation"]),
    case("odd-operator-moves-user-to-other-org", "ROOT",
         rename("{TV}", "uid={TV_UID}", "ou=users,{C2_DN}"), UNWILLING,
         ["{TV_UID} cannot be moved to another place or organisation"]),
    case("oracle-other-org-pre-read-control", "OADM",
         lambda c, w: c.modify_ext_s(w.n["TV"], [(ldap.MOD_REPLACE, "sn", [b"x"])],
                                     serverctrls=[PreReadControl(True, ["*"])]),
         DENIED, [NL_OTHER_ORG]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused(directory, world, case):
    conn = world.conn(case.writer)
    assert_refused(directory, lambda: case.op(conn, world), case.exc, world.fmt(case.texts),
                   world.fmt(list(case.bases)))


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


# ---- the legitimate flows next to each group -------------------------------

def test_options_legit_untagged_writes_still_work(directory, world):
    """Finding 1: plain attribute descriptions pass, for users on their own
    fields and for administrators on their users."""
    root = directory.root()
    dn = make_user(root, world.n["C"], "optok")
    root.unbind_s()
    self_conn = bind(directory, dn)
    self_conn.modify_s(dn, [(ldap.MOD_REPLACE, "sn", [b"Selfchanged"])])
    self_conn.unbind_s()
    world.conn("ADM_EN").modify_s(dn, [(ldap.MOD_ADD, "umManage", [b"users"])])
    assert values(world.conn("ROOT"), dn, "sn") == ["Selfchanged"]
    assert values(world.conn("ROOT"), dn, "umManage") == ["users"]
    # an add with only untagged attributes is a user like any other
    new = user_dn(unique("optnew"), world.n["C"])
    world.conn("UADM").add_s(new, entry(user_attrs(new.split(",")[0][4:])))
    assert values(world.conn("ROOT"), new, "uid") == [new.split(",")[0][4:]]


def test_controls_operators_keep_relax(directory, world):
    """Finding 2: Relax Rules still counts for the rootdn and for members of
    cn=operators."""
    dn = world.n["LOCKED"]
    world.conn("ROOT").modify_ext_s(dn, [(ldap.MOD_REPLACE, "sn", [b"Relaxed"])],
                                    serverctrls=[ctrl(RELAX)])
    world.conn("OPERATOR").modify_ext_s(dn, [(ldap.MOD_REPLACE, "displayName", [b"Op"])],
                                        serverctrls=[ctrl(RELAX)])
    root = world.conn("ROOT")
    assert values(root, dn, "sn") == ["Relaxed"]
    assert values(root, dn, "displayName") == ["Op"]


def test_odd_entries_legit_user_and_grant_still_added(directory, world):
    """Findings 3 and 4: the portal's own shapes pass, with or without the
    superclasses of inetOrgPerson named."""
    uid = unique("shape")
    dn = user_dn(uid, world.n["C"])
    world.conn("UADM").add_s(dn, entry(user_attrs(
        uid, objectClass=["top", "person", "organizationalPerson", "inetOrgPerson", "umUser"])))
    g = add_grant(world.conn("ADM_EN"), dn, "invoice-reporter", world.n["C"], ["billing:BA-1"])
    root = world.conn("ROOT")
    assert values(root, g, "umRight") == ["billing:BA-1"]
    assert values(root, g, "objectClass") == ["umGrant"]


def test_extra_attributes_leave_nothing_to_find(directory, world):
    """Finding 4: after the refused writes, no filter an e-application might
    use finds what they tried to plant."""
    root = world.conn("ROOT")
    for flt in ("(uid=grant-uid-injected)", "(&(objectClass=umUser)(umRight=*))",
                "(&(objectClass=umUser)(umApplication=*))", "(&(objectClass=umGrant)(uid=*))",
                "(&(objectClass=umGrant)(umAppAccess=*))", "(objectClass=extensibleObject)",
                "(objectClass=referral)", "(objectClass=alias)", "(umManage;lang-en=*)",
                "(umRight;lang-fr=*)", "(member=%s)" % world.n["PLAIN"]):
        found = root.search_s(world.n["C_DN"], ldap.SCOPE_SUBTREE, flt, ["1.1"])
        assert found == [], "%s found %r" % (flt, found)


def test_state_admin_lifts_a_lockout_operator_sets_it(directory, world):
    """Finding 5: an operator locks, the user's administrator may only take
    the lock away (DESIGN rule 0)."""
    dn = world.n["LOCKED"]
    world.conn("OPERATOR").modify_s(dn, [(ldap.MOD_ADD, "pwdAccountLockedTime",
                                          [b"000001010000Z"])])
    root = world.conn("ROOT")
    assert values(root, dn, "pwdAccountLockedTime") == ["000001010000Z"]
    world.conn("ADM_FR").modify_s(dn, [(ldap.MOD_DELETE, "pwdAccountLockedTime", None)])
    assert values(root, dn, "pwdAccountLockedTime") == []
    # and the replace-with-nothing form of the same removal
    world.conn("ROOT").modify_s(dn, [(ldap.MOD_ADD, "pwdAccountLockedTime", [b"000001010000Z"])])
    world.conn("ADM_EN").modify_s(dn, [(ldap.MOD_REPLACE, "pwdAccountLockedTime", None)])
    assert values(root, dn, "pwdAccountLockedTime") == []
    # an administrator of another organisation may not even lift it
    world.conn("ROOT").modify_s(dn, [(ldap.MOD_ADD, "pwdAccountLockedTime", [b"000001010000Z"])])
    assert_refused(directory, lambda: world.conn("OADM").modify_s(
        dn, [(ldap.MOD_DELETE, "pwdAccountLockedTime", None)]), DENIED,
        [world.fmt(NL_OTHER_ORG)], [world.n["C_DN"]])
    world.conn("ROOT").modify_s(dn, [(ldap.MOD_DELETE, "pwdAccountLockedTime", None)])


def test_state_operator_sets_pwdPolicySubentry(directory, world):
    dn = world.n["LOCKED"]
    policy = "cn=default,ou=policies,ou=system," + SUFFIX
    world.conn("OPERATOR").modify_s(dn, [(ldap.MOD_REPLACE, "pwdPolicySubentry",
                                          [policy.encode()])])
    assert values(world.conn("ROOT"), dn, "pwdPolicySubentry") == [policy]
    world.conn("ROOT").modify_s(dn, [(ldap.MOD_DELETE, "pwdPolicySubentry", None)])


# ---- finding 7: existing and missing targets answer the same ---------------

def _attempt(fn):
    try:
        fn()
    except ldap.LDAPError as e:
        info = e.args[0] if e.args and isinstance(e.args[0], dict) else {}
        return type(e), diagnostic(e), info.get("matched", "") or ""
    return None, "", ""


def _pairs(w):
    """(what, existing DN, missing DN, the name a refusal shows for each),
    all of organisation C; the missing ones have the same shape."""
    ghost = "ghost-" + w.n["TV_UID"]
    return [
        ("user", w.n["TV"], user_dn(ghost, w.n["C"]), w.n["TV_UID"], ghost),
        ("grant", w.n["TV_GRANT"], grant_dn(w.n["TV"], "distriplanner", w.n["C"]),
         w.n["TV_UID"], w.n["TV_UID"]),
        ("grant-of-missing-user", w.n["TV_GRANT"],
         grant_dn(user_dn(ghost, w.n["C"]), "emasspost", w.n["C"]), w.n["TV_UID"], ghost),
        ("delegation", w.n["DELEG"],
         "cn=parcels-international@{R},ou=delegations,{C_DN}".format(**w.n), w.n["R"], w.n["R"]),
    ]


def _writes(dn, w, ctrls=None):
    """Every write, with a body fitting the kind of dn (so that, reaching the
    backend, an existing entry and a missing one would answer differently:
    68/32 for add, 0/32 otherwise)."""
    kind = "grant" if dn.startswith("cn=") else "user"
    if "ou=delegations" in dn:
        body = {"objectClass": "umDelegation", "cn": dn.split(",")[0][3:],
                "umApplication": "emasspost", "umDelegate": w.n["R_DN"],
                "umRight": "product:letter"}
    elif kind == "grant":
        app, scope = dn.split(",")[0][3:].split("@")
        body = grant_attrs(app, scope, ["product:letter"])
    else:
        body = user_attrs(dn.split(",")[0][4:])
    return {
        "add": lambda c: c.add_ext_s(dn, entry(body), serverctrls=ctrls),
        "modify": lambda c: c.modify_ext_s(dn, [(ldap.MOD_REPLACE, "description"
                                                 if kind == "grant" else "sn", [b"probe"])],
                                           serverctrls=ctrls),
        "modify-add-held-value": lambda c: c.modify_ext_s(
            dn, [(ldap.MOD_ADD, "umRight" if kind == "grant" else "sn", [b"product:letter"])],
            serverctrls=ctrls),
        "delete": lambda c: c.delete_ext_s(dn, serverctrls=ctrls),
        "modrdn": lambda c: c.rename_s(dn, dn.split(",")[0] + "x", None, serverctrls=ctrls),
        "password-modify": lambda c: c.passwd_s(dn, None, "Probe-Pw-9"),
    }


@pytest.mark.parametrize("writer", ["OUSER", "OADM", "PLAIN"])
@pytest.mark.parametrize("assertion", [False, True], ids=["plain", "assertion-control"])
def test_oracle_existing_and_missing_answer_the_same(directory, world, writer, assertion):
    """Finding 7: a writer who may not write at a place of organisation C
    gets the same code, text and (empty) matchedDN whether the entry is
    there or not, for every operation; an assertion control (RFC 4528) on
    the write tells nothing either."""
    conn = world.conn(writer)
    ctrls = [ctrl(ASSERTION, b"\x87\x0bobjectClass")] if assertion else None  # (objectClass=*)
    before = directory.snapshot(world.n["C_DN"])
    for what, there, missing, name_there, name_missing in _pairs(world):
        w_there, w_missing = _writes(there, world, ctrls), _writes(missing, world, ctrls)
        for op in w_there:
            got_there = _attempt(lambda: w_there[op](conn))
            got_missing = _attempt(lambda: w_missing[op](conn))
            label = "%s %s %s" % (writer, what, op)
            assert got_there[0] is ldap.INSUFFICIENT_ACCESS, "%s: %r" % (label, got_there)
            assert got_missing[0] is ldap.INSUFFICIENT_ACCESS, "%s: %r" % (label, got_missing)
            assert got_there[1], label
            assert got_there[1].replace(name_there, "<name>") == \
                got_missing[1].replace(name_missing, "<name>"), label
            assert got_there[2] == got_missing[2] == "", label
    assert directory.snapshot(world.n["C_DN"]) == before


# ---- finding 8: LDAP transactions (RFC 5805) -------------------------------

class TxnEndRequest(univ.Sequence):
    """RFC 5805 §2.3: txnEndReq ::= SEQUENCE { commit BOOLEAN DEFAULT TRUE,
    identifier OCTET STRING }"""
    componentType = namedtype.NamedTypes(
        namedtype.DefaultedNamedType("commit", univ.Boolean(True)),
        namedtype.NamedType("identifier", univ.OctetString()))


def _txn_end(conn, txn_id, commit=True):
    req = TxnEndRequest()
    req["commit"] = commit
    req["identifier"] = txn_id
    return conn.extop_s(ExtendedRequest(TXN_END, encoder.encode(req)))


@pytest.mark.parametrize("writer", ["ADM_EN", "ROOT"])
def test_transactions_refused_and_no_deadlock(directory, world, writer):
    """Finding 8: a write inside a transaction is refused by slapd itself
    (the overlay takes the backend's transaction flag away), nothing is
    written, and a concurrent write and later ones go through at once."""
    conn = directory.bind()
    if writer == "ROOT":
        conn.simple_bind_s(directory.rootdn, directory.rootpw)
    else:
        conn.simple_bind_s(world.n[writer], USER_PW)
    conn.set_option(ldap.OPT_TIMEOUT, 20)
    bases = [world.n["C_DN"]]
    before = [directory.snapshot(b) for b in bases]
    _, txn_id = conn.extop_s(ExtendedRequest(TXN_START, None))
    txn_id = txn_id or b""  # slapd 2.5's identifiers are empty (txn.c)
    spec = [ctrl(TXN_SPEC, txn_id)]  # §2.2: the raw identifier, not BER-wrapped
    target = world.n["OTV"] if writer == "ROOT" else world.n["TV"]
    for attempt in (
            lambda: conn.modify_ext_s(target, [(ldap.MOD_REPLACE, "sn", [b"InTxn"])],
                                      serverctrls=spec),
            lambda: conn.add_ext_s(user_dn(unique("txn"), world.n["C"]),
                                   entry(user_attrs(unique("txn"))), serverctrls=spec),
            lambda: conn.delete_ext_s(world.n["TV_GRANT"], serverctrls=spec)):
        with pytest.raises(ldap.UNWILLING_TO_PERFORM) as e:
            attempt()
        assert "backend doesn't support transactions" in diagnostic(e.value)
    # a concurrent writer, while the transaction is still open
    other = directory.bind(directory.rootdn, directory.rootpw)
    other.set_option(ldap.OPT_TIMEOUT, 20)
    t0 = time.monotonic()
    other.modify_s(world.n["LOCKED"], [(ldap.MOD_REPLACE, "telephoneNumber", [b"+32 2 000 00 00"])])
    assert time.monotonic() - t0 < 10
    # nothing queued, so nothing to commit
    with pytest.raises(ldap.LDAPError):
        _txn_end(conn, txn_id)
    after = [directory.snapshot(b) for b in bases]
    changed = {k for k in set(before[0]) | set(after[0]) if before[0].get(k) != after[0].get(k)}
    assert changed <= {world.n["LOCKED"]}, changed
    assert values(other, world.n["LOCKED"], "telephoneNumber") == ["+32 2 000 00 00"]
    # and after it: an administrator's ordinary write, promptly
    t0 = time.monotonic()
    adm = world.conn("ADM_EN")
    adm.modify_s(world.n["TV"], [(ldap.MOD_REPLACE, "displayName", [b"After txn"])])
    assert time.monotonic() - t0 < 10
    assert values(other, world.n["TV"], "displayName") == ["After txn"]
    assert read(other, "", ["namingContexts"])  # slapd still answers
    other.modify_s(world.n["LOCKED"], [(ldap.MOD_DELETE, "telephoneNumber", None)])
    other.unbind_s()
    conn.unbind_s()
