"""Every way to break the rules of DESIGN §3 is refused (slapo-delegate).

One table row per attempt: who writes, what it does, the LDAP error it must
get (rule 9: 50 permission, 19 validation, 53 forbidden operation), pieces
of the one-sentence diagnostic in the writer's preferredLanguage, and the
directory must be exactly as before (nothing half-written).

The world is built once per module, as the rootdn, with names of its own:
a customer C with billing addresses and contracts of every kind, its
administrators (admins-admins in fr, en and nl; a users-only admin), plain
users, a deactivated administrator (bound before it was deactivated, so its
writes reach the overlay), a second customer C2 with its own administrator,
a customer C3 that delegated nothing, and routers R (holding a delegation
of C), R2, R3.
"""
import collections

import ldap
import pytest
from ldap.controls import LDAPControl

from conftest import SUFFIX
from helpers import (USER_PW, World, add_delegation, add_grant, assert_refused, bind,
                     delete_tree, entry, grant_attrs, make_user, org_dn, unique,
                     user_attrs, user_dn)

PERMISSIVE_MODIFY = "1.2.840.113556.1.4.1413"  # a control slapd supports for every client

# What the three admins-admins of C hold ("autant ou moins", §2.3): not ftp,
# not product:kilopost/periodical, billing BA-3, role yearly-plan, ...
FULL = {
    "emasspost": ["product:letter", "product:prior", "product:non-prior", "product:printed",
                  "billing:BA-1", "billing:BA-2", "role:creation", "role:global-consultation",
                  "role:validation-price", "role:administrator"],
    "distriplanner": ["billing:BA-1", "role:order-entry"],
    "collect-stamp": ["contract:CS-1", "function:advanced-search-registered",
                      "function:invoice-search"],
    "parcels-national": ["role:user", "contract:PN-1"],
    "parcels-international": ["access:general", "access:etoe", "access:eshipper-pro2",
                              "access:prices", "contract:BPI-1", "bordereau:10", "bordereau:21",
                              "bordereau:31"],
    "invoice-reporter": ["billing:BA-1", "billing:BA-2"],
}
# The target user TU holds values its administrators do not (greyed out for them).
TU_GRANTS = {
    "emasspost": ["product:letter", "product:kilopost", "billing:BA-1", "billing:BA-3",
                  "role:creation", "role:yearly-plan"],
    "distriplanner": ["billing:BA-1", "role:order-entry", "role:quick-view"],
    "collect-stamp": ["contract:CS-1", "contract:CS-2", "function:invoice-search",
                      "function:barcode-search-parcels"],
    "parcels-national": ["role:user", "contract:PN-1", "contract:PN-2"],
    "parcels-international": ["access:general", "contract:BPI-1", "contract:BPI-2",
                              "bordereau:10", "bordereau:33"],
    "invoice-reporter": ["billing:BA-1", "billing:BA-3"],
}
ADMINS = ["admins", "users", "password-recovery"]
DELEGATED = ["product:letter", "product:prior", "billing:BA-1", "role:creation",
             "role:senders-management"]


@pytest.fixture(scope="module")
def world(directory):
    root = directory.root()
    w = World(directory, DEMO="bpost-contract-team", DEMO_DN=org_dn("bpost-contract-team"),
              DEMO_NAME="BPOST CONTRACT TEAM")
    w.org(root, "C", billing=["BA-1", "BA-2", "BA-3"],
          contracts={"CS-1": "cs-master", "CS-2": "cs-master", "PN-1": "parcels-national",
                     "PN-2": "parcels-national", "BPI-1": "parcels-international",
                     "BPI-2": "parcels-international"})
    w.org(root, "C2", billing=["BB-1"], contracts={"PN-9": "parcels-national"})
    w.org(root, "C3", billing=["BC-1"])
    for key in ("R", "R2", "R3"):
        w.org(root, key, kind="router")
    C = w.n["C"]
    for key, lang in (("ADM_FR", "fr"), ("ADM_EN", "en"), ("ADM_NL", "nl"), ("DEACT", "en")):
        w.user(root, key, "C", manage=ADMINS, lang=lang, grants=FULL)
    w.user(root, "UADM", "C", manage=["users"], lang="fr",
           grants={"emasspost": ["product:letter", "billing:BA-1", "role:creation"]})
    w.user(root, "PLAIN", "C", lang="nl", grants={"emasspost": ["product:letter", "billing:BA-1"]})
    w.user(root, "TU", "C", manage=["password-recovery", "ftp"], lang="en", grants=TU_GRANTS)
    w.user(root, "TV", "C", lang="en")
    w.user(root, "TA", "C", manage=["users"], lang="de",
           grants={"emasspost": ["product:letter", "billing:BA-1", "role:creation"]})
    # victims of the cases a faulty overlay might let through: nothing else uses them
    w.user(root, "PX", "C", lang="en")
    w.user(root, "PY", "C", lang="en", grants={"emasspost": ["product:letter", "billing:BA-1"]})
    w.user(root, "DU", "C", lang="nl", status="deactivated")
    w.user(root, "TMP", "C", lang="fr", temporary=True)
    w.user(root, "OADM", "C2", manage=ADMINS, lang="nl", grants={"emasspost": ["product:letter"]})
    w.user(root, "RADM", "R", manage=["admins", "users"], lang="fr")
    # RUSER holds a value the delegation no longer gives (product:non-prior)
    w.user(root, "RUSER", "R", lang="en",
           grants={("emasspost", C): ["product:letter", "product:non-prior", "role:creation"]})
    w.user(root, "RTV", "R", lang="en")
    add_delegation(root, C, "emasspost", w.n["R"], DELEGATED)
    add_delegation(root, C, "emasspost", w.n["R3"], ["product:letter", "product:kilopost"])
    group = "cn=%s,ou=groups,%s" % (unique("emasspost-creation"), SUFFIX)
    root.add_s(group, entry({"objectClass": "groupOfNames", "cn": group[3:].split(",")[0],
                             "member": w.n["TV"]}))
    w.n["GROUP"] = group
    # bound while still active: its later writes must be refused all the same
    w.conn("DEACT")
    root.modify_s(w.n["DEACT"], [(ldap.MOD_REPLACE, "umStatus", [b"deactivated"])])
    yield w
    for c in w.conns.values():
        c.unbind_s()
    delete_tree(root, group)
    for key in ("C", "C2", "C3", "R", "R2", "R3"):
        delete_tree(root, w.n[key + "_DN"])
    root.unbind_s()


# ---- operations (templates are formatted with the world's names) ---------

_MOD = {"add": ldap.MOD_ADD, "delete": ldap.MOD_DELETE, "replace": ldap.MOD_REPLACE}


def modify(dn, *changes, permissive=False):
    """changes: (add|delete|replace, attribute, [values] or None)."""
    def op(c, w):
        mods = [(_MOD[kind], attr, None if vals is None else [v.encode() for v in w.fmt(vals)])
                for kind, attr, vals in changes]
        ctrls = [LDAPControl(PERMISSIVE_MODIFY, True, None)] if permissive else None
        c.modify_ext_s(w.fmt(dn), mods, serverctrls=ctrls)
    return op


def add(dn, attrs):
    return lambda c, w: c.add_s(w.fmt(dn), entry(w.fmt(attrs)))


def add_grant_op(user, app, scope, *values):
    return lambda c, w: add_grant(c, w.fmt(user), app, w.fmt(scope), w.fmt(list(values)))


def add_delegation_op(app, router, *values):
    return lambda c, w: add_delegation(c, w.n["C"], app, w.n[router], list(values))


def new_user(org="C", **fields):
    """Adds a fresh user of the §2.2.3 form; fields override it (None: left out)."""
    def op(c, w):
        uid = unique("new")
        c.add_s(user_dn(uid, w.n[org]), entry(w.fmt(user_attrs(uid, **fields))))
    return op


def delete(dn):
    return lambda c, w: c.delete_s(w.fmt(dn))


def rename(dn, newrdn, newsup=None):
    return lambda c, w: c.rename_s(w.fmt(dn), w.fmt(newrdn), w.fmt(newsup) if newsup else None)


def passwd(dn, new="Changed-Pw-9", old=None):
    """The Password Modify extended operation (RFC 3062)."""
    return lambda c, w: c.passwd_s(w.fmt(dn), old, new)


def bind_as(who, ppolicy=False):
    return lambda c, w: bind(w.directory, w.n[who], USER_PW, ppolicy=ppolicy)


def grant(user, app, scope="{C}"):
    return "cn=%s@%s,{%s}" % (app, scope, user)


Case = collections.namedtuple("Case", "id writer op exc texts bases")
DENIED, INVALID = ldap.INSUFFICIENT_ACCESS, ldap.CONSTRAINT_VIOLATION
UNWILLING = ldap.UNWILLING_TO_PERFORM
BAD_CREDENTIALS, AUTH_REQUIRED = ldap.INVALID_CREDENTIALS, ldap.STRONG_AUTH_REQUIRED
WORLD = ("{C_DN}", "{C2_DN}", "{C3_DN}", "{R_DN}", "{R2_DN}", "{R3_DN}")


def case(id, writer, op, exc, texts, extra_bases=()):
    return Case(id, writer, op, exc, texts, WORLD + tuple(extra_bases))


# Message pieces (lib/messages.c), per language.
EN_NOT_HELD = "so you cannot give it to or take it from {TU_UID}"
FR_NOT_HELD = "vous ne pouvez donc ni l'accorder à {TU_UID} ni le lui retirer"
NL_NOT_HELD = "dus u kunt het niet toekennen aan of afnemen van {TU_UID}"
# DESIGN rule 0: the organisation as the writer named it, never read from it
NL_OTHER_ORG = "het hoort bij organisatie {C}, niet bij de uwe"
FR_NEED_ADMINS = ("« Autorisations pour créer et gérer des administrateurs », "
                  "vous ne pouvez donc pas gérer")
NL_NOT_ADMIN = "u bent geen beheerder, dus u kunt"
EN_NOT_ADMIN = "you are not an administrator, so you cannot change"
EN_PROFILE = "no profile of the access matrix (manual §2.3.5) allows this combination"
EN_BAD_NAME = ("must be named cn=<application>@<organisation> and match its umApplication "
               "and umScope")
EN_PROTECTED = "is managed by the portal operator only"
EN_INACTIVE = "your account is deactivated, so you cannot change"
ANON = "modifications require authentication"

CASES = [
    # ---- rule 1: tenancy -------------------------------------------------
    case("rule1-other-org-admin-adds-user-in-bpost-contract-team", "OADM", new_user("DEMO"),
         DENIED, ["het hoort bij organisatie bpost-contract-team, niet bij de uwe"], ["{DEMO_DN}"]),
    case("rule1-other-org-admin-modifies-user-mail", "OADM",
         modify("{TU}", ("replace", "mail", ["x@example.com"])), DENIED,
         ["u kunt {TU_UID} niet wijzigen", NL_OTHER_ORG]),
    case("rule1-other-org-admin-adds-grant", "OADM",
         add_grant_op("{TV}", "emasspost", "{C}", "product:letter"), DENIED, [NL_OTHER_ORG]),
    case("rule1-other-org-admin-deletes-grant", "OADM", delete(grant("TU", "invoice-reporter")),
         DENIED, [NL_OTHER_ORG]),
    case("rule1-other-org-admin-deactivates-user", "OADM",
         modify("{TU}", ("replace", "umStatus", ["deactivated"])), DENIED, [NL_OTHER_ORG]),
    case("rule1-other-org-admin-makes-user-admin", "OADM",
         modify("{TV}", ("add", "umManage", ["users"])), DENIED, [NL_OTHER_ORG]),
    case("rule1-other-org-admin-password-modify", "OADM", passwd("{TU}"), DENIED, [NL_OTHER_ORG]),
    case("rule1-router-admin-modifies-customer-user", "RADM",
         modify("{TU}", ("replace", "givenName", ["Pirate"])), DENIED,
         ["il appartient à l'organisation {C}, pas à la vôtre"]),
    case("rule1-router-admin-writes-customer-delegation", "RADM",
         modify("cn=emasspost@{R},ou=delegations,{C_DN}", ("add", "umRight", ["product:printed"])),
         DENIED, ["il appartient à l'organisation {C}"]),
    case("rule1-customer-admin-writes-router-user-grant", "ADM_EN",
         modify(grant("RUSER", "emasspost"), ("delete", "umRight", ["product:letter"])), DENIED,
         ["it belongs to organisation {R}, not to yours"]),

    # ---- rule 2: managing users ------------------------------------------
    case("rule2-users-admin-creates-admin", "UADM", new_user(manage=["users"]), DENIED,
         ["vous ne disposez pas du droit de gestion " + FR_NEED_ADMINS]),
    case("rule2-users-admin-creates-admins-admin", "UADM", new_user(manage=["admins"]), DENIED,
         [FR_NEED_ADMINS]),
    case("rule2-users-admin-gives-umManage-admins", "UADM",
         modify("{TV}", ("add", "umManage", ["admins"])), DENIED, [FR_NEED_ADMINS + " {TV_UID}"]),
    case("rule2-users-admin-gives-umManage-users", "UADM",
         modify("{TV}", ("add", "umManage", ["users"])), DENIED, [FR_NEED_ADMINS + " {TV_UID}"]),
    case("rule2-users-admin-modifies-admin-mail", "UADM",
         modify("{TA}", ("replace", "mail", ["ta@example.com"])), DENIED,
         [FR_NEED_ADMINS + " {TA_UID}"]),
    case("rule2-users-admin-deactivates-admin", "UADM",
         modify("{TA}", ("replace", "umStatus", ["deactivated"])), DENIED, [FR_NEED_ADMINS]),
    case("rule2-users-admin-demotes-admin", "UADM",
         modify("{TA}", ("delete", "umManage", ["users"])), DENIED, [FR_NEED_ADMINS]),
    case("rule2-users-admin-changes-admin-grant", "UADM",
         modify(grant("TA", "emasspost"), ("delete", "umRight", ["product:letter"])), DENIED,
         [FR_NEED_ADMINS + " {TA_UID}"]),
    case("rule2-users-admin-password-modify-on-admin", "UADM", passwd("{TA}"), DENIED,
         [FR_NEED_ADMINS + " {TA_UID}"]),
    case("rule2-plain-user-creates-user", "PLAIN", new_user(), DENIED, [NL_NOT_ADMIN]),
    case("rule2-plain-user-modifies-other-user", "PLAIN",
         modify("{TV}", ("replace", "sn", ["Other"])), DENIED,
         [NL_NOT_ADMIN + " {TV_UID} niet wijzigen"]),
    case("rule2-plain-user-adds-grant", "PLAIN",
         add_grant_op("{TV}", "emasspost", "{C}", "product:letter"), DENIED, [NL_NOT_ADMIN]),
    case("rule2-plain-user-password-modify-on-other", "PLAIN", passwd("{TV}"), DENIED,
         [NL_NOT_ADMIN + " {TV_UID} niet wijzigen"]),
    case("rule2-recovery-and-ftp-user-is-no-admin", "TU",
         modify("{TV}", ("replace", "mail", ["tv@example.com"])), DENIED,
         [EN_NOT_ADMIN + " {TV_UID}"]),
    case("rule2-e-application-modifies-user", "APP",
         modify("{TV}", ("replace", "mail", ["tv@example.com"])), DENIED,
         [EN_NOT_ADMIN + " {TV_UID}"]),
    case("rule2-e-application-adds-user", "APP", new_user(), DENIED, [EN_NOT_ADMIN]),
    case("rule2-e-application-adds-grant", "APP",
         add_grant_op("{TV}", "emasspost", "{C}", "product:letter"), DENIED, [EN_NOT_ADMIN]),
    case("rule2-e-application-password-modify", "APP", passwd("{TV}"), DENIED,
         [EN_NOT_ADMIN + " {TV_UID}"]),
    case("rule2-admin-changes-own-grant", "ADM_EN",
         modify(grant("ADM_EN", "emasspost"), ("add", "umRight", ["product:kilopost"])), DENIED,
         ["you cannot change your own emasspost"]),
    case("rule2-admin-deletes-own-grant", "ADM_NL", delete(grant("ADM_NL", "invoice-reporter")),
         DENIED, ["u kunt invoice-reporter van uw eigen account niet wijzigen"]),
    # slapd itself refuses anonymous writes (allow update_anon is off) before
    # any overlay runs: strongerAuthRequired, not 50
    case("rule2-anonymous-adds-user", "ANON", new_user(), AUTH_REQUIRED, [ANON]),
    case("rule2-anonymous-modifies-grant", "ANON",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:prior"])), AUTH_REQUIRED,
         [ANON]),
    case("rule2-anonymous-password-modify", "ANON", passwd("{TU}"), AUTH_REQUIRED,
         ["only authenticated users may change passwords"]),

    # ---- rule 3: subset, for every dimension and operation ----------------
    case("rule3-modify-add-unheld-product", "ADM_FR",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:periodical"])), DENIED,
         ["vous ne disposez pas du droit e-MassPost « Produits: Périodique » sur {C_NAME}",
          FR_NOT_HELD]),
    case("rule3-add-grant-with-unheld-billing", "ADM_EN",
         add_grant_op("{TV}", "emasspost", "{C}", "product:letter", "billing:BA-3"), DENIED,
         ['you do not hold e-MassPost right "Billing addresses: BA-3" on {C_NAME}']),
    case("rule3-modify-delete-unheld-billing", "ADM_NL",
         modify(grant("TU", "emasspost"), ("delete", "umRight", ["billing:BA-3"])), DENIED,
         ['u hebt het e-MassPost-recht "Facturatieadressen: BA-3" op {C_NAME} niet', NL_NOT_HELD]),
    case("rule3-users-admin-adds-unheld-role", "UADM",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["role:validation-price"])), DENIED,
         ["« Accès: Validation + prix »", FR_NOT_HELD]),
    case("rule3-modify-delete-unheld-role", "ADM_EN",
         modify(grant("TU", "emasspost"), ("delete", "umRight", ["role:yearly-plan"])), DENIED,
         ['right "Access: Yearly plan" on {C_NAME}', EN_NOT_HELD]),
    case("rule3-replace-drops-unheld-value", "ADM_FR",
         modify(grant("TU", "emasspost"),
                ("replace", "umRight", ["product:letter", "billing:BA-1", "role:creation"])),
         DENIED, ["« Produits: Kilopost »", FR_NOT_HELD]),
    case("rule3-replace-adds-held-but-silently-drops-unheld", "ADM_EN",
         modify(grant("TU", "emasspost"),
                ("replace", "umRight", ["product:letter", "product:kilopost", "product:prior",
                                        "billing:BA-1", "billing:BA-3", "role:creation"])),
         DENIED, ['"Access: Yearly plan"', EN_NOT_HELD]),
    case("rule3-delete-grant-holding-unheld-values", "ADM_NL", delete(grant("TU", "emasspost")),
         DENIED, ['"Producten: Kilopost"', NL_NOT_HELD]),
    case("rule3-add-grant-with-unheld-distriplanner-role", "ADM_FR",
         add_grant_op("{TV}", "distriplanner", "{C}", "billing:BA-1", "role:quick-view"), DENIED,
         ["« Rôle: Quick view »"]),
    case("rule3-modify-delete-unheld-distriplanner-role", "ADM_EN",
         modify(grant("TU", "distriplanner"), ("delete", "umRight", ["role:quick-view"])), DENIED,
         ['Distriplanner right "Role: Quick view"', EN_NOT_HELD]),
    case("rule3-modify-delete-unheld-cs-contract", "ADM_FR",
         modify(grant("TU", "collect-stamp"), ("delete", "umRight", ["contract:CS-2"])), DENIED,
         ["droit Collect & Stamp/UVRD+ « Contrat: CS-2 »", FR_NOT_HELD]),
    case("rule3-modify-add-unheld-function", "ADM_EN",
         modify(grant("TU", "collect-stamp"), ("add", "umRight", ["function:deposit-receipts"])),
         DENIED, ['"Functions: Order of (paid) printouts of electronic deposit receipts"']),
    case("rule3-modify-delete-unheld-function", "ADM_NL",
         modify(grant("TU", "collect-stamp"),
                ("delete", "umRight", ["function:barcode-search-parcels"])),
         DENIED, ['"Functies: Zoeken via barcode naar pakjes"', NL_NOT_HELD]),
    case("rule3-add-grant-with-unheld-national-contract", "ADM_EN",
         add_grant_op("{TV}", "parcels-national", "{C}", "role:user", "contract:PN-2"), DENIED,
         ['"Contract: PN-2" on {C_NAME}']),
    case("rule3-modify-delete-unheld-national-contract", "ADM_FR",
         modify(grant("TU", "parcels-national"), ("delete", "umRight", ["contract:PN-2"])), DENIED,
         ["« Contrat: PN-2 »", FR_NOT_HELD]),
    case("rule3-users-admin-adds-unheld-access", "UADM",
         modify(grant("TU", "parcels-international"), ("add", "umRight", ["access:prices"])),
         DENIED,
         ["« Droit d'accès: Droit de voir les prix »", FR_NOT_HELD]),
    case("rule3-modify-delete-unheld-bordereau", "ADM_EN",
         modify(grant("TU", "parcels-international"), ("delete", "umRight", ["bordereau:33"])),
         DENIED, ['"Rights on bordereau types: Mini Pack Scan (bordereau 33)"', EN_NOT_HELD]),
    case("rule3-modify-add-unheld-bordereau", "ADM_NL",
         modify(grant("TU", "parcels-international"), ("add", "umRight", ["bordereau:35"])), DENIED,
         ['"Rechten op de soorten borderellen: Mini Pack Sorted (borderel 35)"', NL_NOT_HELD]),
    case("rule3-modify-delete-unheld-international-contract", "ADM_FR",
         modify(grant("TU", "parcels-international"), ("delete", "umRight", ["contract:BPI-2"])),
         DENIED, ["« Droits sur les contrats: BPI-2 »"]),
    case("rule3-modify-delete-unheld-invoice-billing", "ADM_EN",
         modify(grant("TU", "invoice-reporter"), ("delete", "umRight", ["billing:BA-3"])), DENIED,
         ['Invoice Reporter right "Billing addresses: BA-3"', EN_NOT_HELD]),
    case("rule3-users-admin-adds-grant-of-app-it-lacks", "UADM",
         add_grant_op("{TV}", "invoice-reporter", "{C}", "billing:BA-1"), DENIED,
         ["droit Invoice Reporter « Adresses de facturation: BA-1 »"]),
    case("rule3-admin-gives-umManage-it-lacks-ftp", "ADM_FR",
         modify("{TV}", ("add", "umManage", ["ftp"])), DENIED,
         ["« FTP Access (La première fois logon via le portail est nécessaire) »",
          "ni l'accorder à {TV_UID}"]),
    case("rule3-admin-removes-umManage-it-lacks", "ADM_EN",
         modify("{TU}", ("delete", "umManage", ["ftp"])), DENIED,
         ['management right "FTP access (first logon through the portal is required)"',
          EN_NOT_HELD]),
    case("rule3-replace-umManage-silently-drops-ftp", "ADM_NL",
         modify("{TU}", ("replace", "umManage", ["password-recovery"])), DENIED,
         ['beheerrecht "FTP-toegang (eerste aanmelding via het portaal is vereist)"', NL_NOT_HELD]),
    case("rule3-users-admin-gives-password-recovery", "UADM",
         modify("{TV}", ("add", "umManage", ["password-recovery"])), DENIED,
         ["« Autoriser la Récupération de mot de passe »"]),
    case("rule3-create-user-with-umManage-it-lacks", "ADM_EN", new_user(manage=["ftp"]), DENIED,
         ['management right "FTP access']),
    case("rule3-router-admin-adds-value-beyond-delegation", "RADM",
         modify(grant("RUSER", "emasspost"), ("add", "umRight", ["product:printed"])), DENIED,
         ["« Produits: Imprimé » sur {C_NAME}", "ni l'accorder à {RUSER_UID}"]),
    case("rule3-delegation-of-unheld-value", "ADM_EN",
         add_delegation_op("emasspost", "R2", "product:letter", "product:kilopost"), DENIED,
         ['"Products: Kilopost" on {C_NAME}']),
    case("rule3-modify-delegation-adds-unheld-billing", "ADM_NL",
         modify("cn=emasspost@{R},ou=delegations,{C_DN}", ("add", "umRight", ["billing:BA-3"])),
         DENIED, ['"Facturatieadressen: BA-3"']),
    case("rule3-delete-delegation-holding-unheld-value", "ADM_NL",
         delete("cn=emasspost@{R3},ou=delegations,{C_DN}"), DENIED, ['"Producten: Kilopost"']),
    # umAppAccess is the projection e-applications authorize from (rights.yaml
    # `project:`, written by provisiond): writing it gives the application
    case("rule3-admin-writes-umAppAccess-of-app-it-lacks", "UADM",
         modify("{PY}", ("add", "umAppAccess", ["collect-stamp"])), DENIED, ["{PY_UID}"]),
    # the Permissive Modify control must not make the overlay skip its checks
    case("rule3-permissive-modify-adds-unheld-role", "UADM",
         modify(grant("PY", "emasspost"), ("add", "umRight", ["role:validation-price"]),
                ("add", "umRight", ["product:letter"]), permissive=True),
         DENIED, ["« Accès: Validation + prix »", "ni l'accorder à {PY_UID}"]),

    # ---- rule 4: validation ----------------------------------------------
    case("rule4-unknown-product", "ADM_FR",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:teleportation"])), INVALID,
         ["« Produits: teleportation » pour {TU_UID} est refusé",
          "cette valeur ne figure pas dans la liste de l'application"]),
    case("rule4-unknown-product-on-add", "ADM_EN",
         add_grant_op("{TV}", "emasspost", "{C}", "product:nope"), INVALID,
         ["this value is not in the application's list"]),
    case("rule4-billing-id-of-another-org", "ADM_EN",
         add_grant_op("{TV}", "emasspost", "{C}", "billing:BB-1"), INVALID,
         ['e-MassPost right "Billing addresses: BB-1" for {TV_UID} is refused',
          "no such billing address in this organisation"]),
    case("rule4-unknown-contract", "ADM_NL",
         add_grant_op("{TV}", "parcels-national", "{C}", "role:user", "contract:PN-404"), INVALID,
         ["dit contract bestaat niet in deze organisatie"]),
    case("rule4-collect-stamp-with-parcels-national-contract", "ADM_FR",
         add_grant_op("{TV}", "collect-stamp", "{C}", "contract:PN-1", "function:invoice-search"),
         INVALID,
         ["« Contrat: PN-1 »", "ce contrat est d'un type que l'application n'accepte pas"]),
    case("rule4-parcels-national-with-cs-master-contract", "ADM_EN",
         add_grant_op("{TV}", "parcels-national", "{C}", "role:user", "contract:CS-1"), INVALID,
         ["this contract is of a kind the application does not accept"]),
    case("rule4-senders-management-for-customer-user", "ADM_EN",
         add_grant_op("{TV}", "emasspost", "{C}", "product:letter", "role:senders-management"),
         INVALID,
         ['"Access: Senders management"', "this right is reserved to router organisations"]),
    case("rule4-parcels-international-without-bordereau", "ADM_EN",
         add_grant_op("{TV}", "parcels-international", "{C}", "access:general", "contract:BPI-1"),
         INVALID, [EN_PROFILE]),
    case("rule4-parcels-international-eshipper-light-with-21", "ADM_FR",
         add_grant_op("{TV}", "parcels-international", "{C}", "access:eshipper-light",
                      "bordereau:21"),
         INVALID, ["« Droit sur les types de bordereaux: EasyReturn (borderel 21) »",
                   "aucun profil de la matrice d'accès (manuel §2.3.5)"]),
    case("rule4-parcels-international-customs", "ADM_NL",
         add_grant_op("{TV}", "parcels-international", "{C}", "access:customs", "access:general",
                      "bordereau:10"),
         INVALID, ['"Toegangsrecht: Recht op toegang tot de douane"', "geen enkel profiel"]),
    case("rule4-parcels-international-eshipper-pro", "ADM_EN",
         add_grant_op("{TV}", "parcels-international", "{C}", "access:eshipper-pro",
                      "access:general", "bordereau:10"),
         INVALID, ['"Access right: Access right to eShipper Pro"', EN_PROFILE]),
    case("rule4-parcels-international-pro2-with-mail-bordereau", "ADM_EN",
         add_grant_op("{TV}", "parcels-international", "{C}", "access:eshipper-pro2",
                      "access:general", "bordereau:10"),
         INVALID, [EN_PROFILE]),
    case("rule4-parcels-international-modify-removes-every-bordereau", "ADM_EN",
         modify(grant("TU", "parcels-international"),
                ("delete", "umRight", ["bordereau:10", "bordereau:33"])),
         INVALID, [EN_PROFILE]),
    case("rule4-grant-rdn-does-not-match-umApplication", "ADM_EN",
         add("cn=emasspost@{C},{TV}",
             dict(grant_attrs("emasspost", "{C}", ["product:letter"]),
                  umApplication="distriplanner")),
         INVALID, [EN_BAD_NAME]),
    case("rule4-grant-rdn-does-not-match-umScope", "ADM_FR",
         add("cn=emasspost@{C},{TV}",
             dict(grant_attrs("emasspost", "{C}", ["product:letter"]), umScope="{C2}")),
         INVALID, ["doit s'appeler cn=<application>@<organisation>"]),
    case("rule4-grant-modify-moves-umScope", "ADM_NL",
         modify(grant("TU", "invoice-reporter"), ("replace", "umScope", ["{C2}"])), INVALID,
         ["moet cn=<applicatie>@<organisatie> heten"]),
    case("rule4-unknown-application", "ADM_EN",
         add_grant_op("{TV}", "teleport", "{C}", "product:letter"), INVALID,
         ['right "teleport" for {TV_UID} is refused', "this application is not in the catalogue"]),
    case("rule4-malformed-right", "ADM_EN",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["productletter"])), INVALID,
         ["a right must be written dimension:value"]),
    case("rule4-unknown-dimension", "ADM_FR",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["colour:red"])), INVALID,
         ["l'application ne connaît pas ce type de droit"]),
    case("rule4-empty-grant", "ADM_EN", add_grant_op("{TV}", "emasspost", "{C}"), INVALID,
         ["a grant must hold at least one right"]),
    case("rule4-modify-removes-every-right", "ADM_EN",
         modify(grant("TU", "invoice-reporter"), ("delete", "umRight", None)), INVALID,
         ["a grant must hold at least one right"]),
    case("rule4-bad-preferredLanguage", "ADM_FR",
         modify("{TU}", ("replace", "preferredLanguage", ["es"])), INVALID,
         ["la langue « es » de {TU_UID} n'est pas l'une de nl, fr, de, en"]),
    case("rule4-bad-preferredLanguage-on-create", "ADM_EN", new_user(lang="klingon"), INVALID,
         ['the language "klingon" of']),
    case("rule4-bad-mail", "ADM_NL", modify("{TU}", ("replace", "mail", ["not-an-address"])),
         INVALID,
         ['het e-mailadres "not-an-address" van {TU_UID} is ongeldig']),
    case("rule4-bad-mail-on-create", "ADM_EN", new_user(mail="a@b@example.com"), INVALID,
         ['the mail address "a@b@example.com"', "is not valid"]),
    case("rule4-missing-mail-on-create", "ADM_EN", new_user(mail=None), INVALID,
         ["the field mail of", "is required"]),
    case("rule4-missing-password-on-create", "ADM_FR", new_user(userPassword=None), INVALID,
         ["le champ userPassword de", "est obligatoire"]),
    case("rule4-missing-gender-on-create", "ADM_EN", new_user(umGender=None), INVALID,
         ["the field umGender of"]),
    case("rule4-delete-required-field", "ADM_NL", modify("{TU}", ("delete", "givenName", None)),
         INVALID, ["het veld givenName van {TU_UID} is verplicht"]),
    case("rule4-bad-gender", "ADM_EN", modify("{TU}", ("replace", "umGender", ["other"])), INVALID,
         ['the value "other" is not allowed for {TU_UID}']),
    case("rule4-bad-status", "ADM_FR", modify("{TV}", ("replace", "umStatus", ["suspended"])),
         INVALID, ["la valeur « suspended » n'est pas autorisée pour {TV_UID}"]),
    case("rule4-unknown-umManage-value", "ADM_EN", modify("{TV}", ("add", "umManage", ["root"])),
         INVALID, ['the value "root" is not allowed']),
    case("rule4-self-service-bad-mail", "TU", modify("{TU}", ("replace", "mail", ["bad"])), INVALID,
         ['the mail address "bad" of {TU_UID} is not valid']),
    case("rule4-delegation-to-customer-org", "ADM_EN",
         add_delegation_op("emasspost", "C2", "product:letter"), INVALID, [EN_BAD_NAME]),
    case("rule4-delegation-umDelegate-does-not-match-rdn", "ADM_FR",
         add("cn=emasspost@{R2},ou=delegations,{C_DN}",
             {"objectClass": "umDelegation", "cn": "emasspost@{R2}", "umApplication": "emasspost",
              "umDelegate": "{C2_DN}", "umRight": "product:letter"}),
         INVALID, ["doit s'appeler"]),
    case("rule4-router-grant-on-unknown-organisation", "RADM",
         add_grant_op("{RTV}", "emasspost", "no-such-org", "product:letter"), INVALID,
         ["doit s'appeler"]),
    case("rule4-customer-grant-with-router-scope", "ADM_EN",
         add_grant_op("{TV}", "emasspost", "{R}", "product:letter"), INVALID, [EN_BAD_NAME]),

    # ---- rule 5: no deletion, deactivated and temporary accounts ----------
    case("rule5-delete-user", "ADM_FR", delete("{TV}"), UNWILLING,
         ["les utilisateurs ne sont jamais supprimés : désactivez plutôt {TV_UID}"]),
    case("rule5-delete-user-with-grants", "ADM_EN", delete("{TA}"), UNWILLING,
         ["users are never deleted: deactivate {TA_UID} instead (umStatus: deactivated)"]),
    case("rule5-user-deletes-itself", "TU", delete("{TU}"), UNWILLING, ["deactivate {TU_UID}"]),
    case("rule5-deactivated-user-bind", None, bind_as("DU"), BAD_CREDENTIALS,
         ["het account {DU_UID} is gedeactiveerd"]),
    case("rule5-deactivated-user-bind-with-ppolicy-control", None, bind_as("DU", ppolicy=True),
         BAD_CREDENTIALS, ["is gedeactiveerd"]),
    case("rule5-deactivated-admin-bind", None, bind_as("DEACT"), BAD_CREDENTIALS,
         ["the account {DEACT_UID} is deactivated"]),
    case("rule5-temporary-password-plain-bind", None, bind_as("TMP"), BAD_CREDENTIALS,
         ["le mot de passe de {TMP_UID} est temporaire et doit d'abord être changé"]),
    case("rule5-deactivated-admin-creates-user", "DEACT", new_user(), DENIED, [EN_INACTIVE]),
    case("rule5-deactivated-admin-modifies-grant", "DEACT",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:prior"])), DENIED,
         [EN_INACTIVE + " {TU_UID}"]),
    case("rule5-deactivated-admin-reactivates-itself", "DEACT",
         modify("{DEACT}", ("replace", "umStatus", ["active"])), DENIED, [EN_INACTIVE]),
    case("rule5-deactivated-admin-delegates", "DEACT",
         add_delegation_op("emasspost", "R2", "product:letter"), DENIED, [EN_INACTIVE]),
    case("rule5-deactivated-admin-password-modify", "DEACT", passwd("{TV}"), DENIED,
         [EN_INACTIVE + " {TV_UID}"]),
    case("rule5-anonymous-deletes-user", "ANON", delete("{TV}"), AUTH_REQUIRED, [ANON]),

    # ---- rule 6: protected subtrees, no moves, uid immutable --------------
    case("rule6-add-to-ou-groups", "ADM_EN",
         add("cn=emasspost-hack,{GROUPS}", {"objectClass": "groupOfNames", "cn": "emasspost-hack",
                                           "member": "{ADM_EN}"}),
         DENIED, ["cn=emasspost-hack,ou=groups," + SUFFIX + " " + EN_PROTECTED], ["{GROUPS}"]),
    case("rule6-join-a-projection-group", "ADM_FR",
         modify("{GROUP}", ("add", "member", ["{ADM_FR}"])), DENIED,
         ["est géré uniquement par l'exploitant du portail"], ["{GROUPS}"]),
    case("rule6-add-to-ou-applications", "ADM_NL",
         add("cn=hack,{APPS}", {"objectClass": "umCatalogEntry", "cn": "hack"}), DENIED,
         ["wordt alleen door de beheerder van het portaal beheerd"], ["{APPS}"]),
    case("rule6-add-billing-address", "ADM_EN",
         add("umBillingId=BA-9,ou=billing,{C_DN}",
             {"objectClass": "umBillingAddress", "umBillingId": "BA-9", "cn": "mine"}),
         DENIED, [EN_PROTECTED]),
    case("rule6-modify-billing-address", "ADM_FR",
         modify("umBillingId=BA-1,ou=billing,{C_DN}", ("replace", "cn", ["ailleurs"])), DENIED,
         ["umBillingId=BA-1,ou=billing,{C_DN} est géré uniquement par l'exploitant du portail"]),
    case("rule6-delete-billing-address", "ADM_EN", delete("umBillingId=BA-2,ou=billing,{C_DN}"),
         DENIED, [EN_PROTECTED]),
    case("rule6-add-contract", "ADM_NL",
         add("umContractId=CS-9,ou=contracts,{C_DN}",
             {"objectClass": "umContract", "umContractId": "CS-9", "umContractKind": "cs-master"}),
         DENIED, ["wordt alleen door de beheerder van het portaal beheerd"]),
    case("rule6-change-contract-kind", "ADM_EN",
         modify("umContractId=PN-1,ou=contracts,{C_DN}",
                ("replace", "umContractKind", ["cs-master"])),
         DENIED, [EN_PROTECTED]),
    case("rule6-modify-own-organisation", "ADM_FR",
         modify("{C_DN}", ("replace", "umOrgKind", ["router"])), DENIED,
         ["{C_DN} est géré uniquement par l'exploitant du portail"]),
    case("rule6-router-admin-renames-router-in-list", "RADM",
         modify("{R_DN}", ("replace", "displayName", ["CHEAPEST ROUTER"])), DENIED,
         ["{R_DN} est géré uniquement par l'exploitant du portail"]),
    case("rule6-admin-adds-router-to-list", "ADM_EN",
         add("o=fake-router,ou=organizations,{SUFFIX}",
             {"objectClass": ["organization", "umOrganization"], "o": "fake-router",
              "umOrgKind": "router"}),
         DENIED, [EN_PROTECTED], ["{SUFFIX}"]),
    case("rule6-admin-adds-container-to-organisation", "ADM_EN",
         add("ou=extra,{C_DN}", {"objectClass": "organizationalUnit", "ou": "extra"}), DENIED,
         [EN_PROTECTED]),
    case("rule6-modrdn-changes-uid", "ADM_FR", rename("{TV}", "uid=renamed-tv"), UNWILLING,
         ["le nom d'utilisateur de {TV_UID} ne peut pas être modifié"]),
    case("rule6-modify-replaces-uid", "ADM_EN", modify("{TV}", ("replace", "uid", ["renamed-tv"])),
         UNWILLING, ["the username of {TV_UID} cannot be changed"]),
    case("rule6-self-adds-second-uid", "TU", modify("{TU}", ("add", "uid", ["alias-tu"])),
         UNWILLING, ["the username of {TU_UID} cannot be changed"]),
    # who and where first (rule 0): the new place is another organisation
    case("rule6-move-user-to-other-org", "ADM_EN",
         rename("{TV}", "uid={TV_UID}", "ou=users,{C2_DN}"), DENIED,
         ["you cannot change {TV_UID}: it belongs to organisation {C2}, not to yours"]),
    case("rule6-other-org-admin-pulls-user-into-its-org", "OADM",
         rename("{TV}", "uid={TV_UID}", "ou=users,{C2_DN}"), DENIED, [NL_OTHER_ORG]),
    case("rule6-move-user-within-org", "ADM_EN",
         rename("{TV}", "uid={TV_UID}", "ou=billing,{C_DN}"), DENIED,
         ["is managed by the portal operator only"]),
    case("rule6-move-grant-to-other-user", "ADM_NL",
         rename(grant("TU", "invoice-reporter"), "cn=invoice-reporter@{C}", "{TV}"), UNWILLING,
         ["kan niet naar een andere plaats of organisatie worden verplaatst"]),
    case("rule6-rename-grant", "ADM_FR",
         rename(grant("TU", "invoice-reporter"), "cn=invoice-reporter@{C2}"), UNWILLING,
         ["ne peut pas être déplacé vers un autre emplacement ou une autre organisation"]),
    case("rule6-rename-delegation-to-other-router", "ADM_EN",
         rename("cn=emasspost@{R},ou=delegations,{C_DN}", "cn=emasspost@{R2}"), UNWILLING,
         ["cannot be moved to another place or organisation"]),
    case("rule6-modrdn-billing-address", "ADM_EN",
         rename("umBillingId=BA-1,ou=billing,{C_DN}", "umBillingId=BA-7"), DENIED, [EN_PROTECTED]),
    case("rule6-anonymous-modrdn", "ANON", rename("{TV}", "uid=anon-renamed"), AUTH_REQUIRED,
         [ANON]),

    # ---- rule 7: self-service ---------------------------------------------
    case("rule7-user-makes-itself-admin", "TU", modify("{TU}", ("add", "umManage", ["admins"])),
         DENIED, ["you cannot change your own umManage"]),
    case("rule7-admin-gives-itself-ftp", "ADM_FR", modify("{ADM_FR}", ("add", "umManage", ["ftp"])),
         DENIED, ["vous ne pouvez pas modifier umManage de votre propre compte"]),
    case("rule7-admin-drops-own-umManage", "ADM_NL",
         modify("{ADM_NL}", ("delete", "umManage", ["password-recovery"])), DENIED,
         ["u kunt umManage van uw eigen account niet wijzigen"]),
    case("rule7-admin-deactivates-itself", "ADM_EN",
         modify("{ADM_EN}", ("replace", "umStatus", ["deactivated"])), DENIED,
         ["you cannot change your own umStatus"]),
    case("rule7-user-changes-own-umStatus", "TU",
         modify("{TU}", ("replace", "umStatus", ["deactivated"])), DENIED,
         ["you cannot change your own umStatus"]),
    # a user who is no administrator is told so, even about its own grants
    case("rule7-user-adds-to-own-grant", "TU",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:prior"])), DENIED,
         [EN_NOT_ADMIN + " {TU_UID}"]),
    case("rule7-admin-user-deletes-own-grant", "TA", delete(grant("TA", "emasspost")), DENIED,
         ["Sie können emasspost Ihres eigenen Kontos nicht ändern"]),
    case("rule7-user-adds-own-grant", "TV",
         add_grant_op("{TV}", "distriplanner", "{C}", "role:quick-view"), DENIED,
         [EN_NOT_ADMIN + " {TV_UID}"]),
    case("rule7-router-user-extends-own-grant", "RUSER",
         modify(grant("RUSER", "emasspost"), ("add", "umRight", ["product:prior"])), DENIED,
         [EN_NOT_ADMIN + " {RUSER_UID}"]),
    case("rule7-user-gives-itself-umAppAccess", "PX",
         modify("{PX}", ("add", "umAppAccess", ["invoice-reporter"])), DENIED,
         ["you cannot change your own umAppAccess"]),
    case("rule7-permissive-modify-makes-user-admin", "PX",
         modify("{PX}", ("add", "umManage", ["admins", "users"]), ("add", "sn", ["Test"]),
                permissive=True),
         DENIED, ["you cannot change your own umManage"]),
    # ppolicy's pwdSafeModify, its answer in the user's language (rule 9)
    case("rule7-self-password-modify-without-old-password", "TU", passwd("{TU}"), DENIED,
         ["give the current password as well as the new one"]),
    case("rule7-self-password-replace-without-old-password", "TU",
         modify("{TU}", ("replace", "userPassword", ["Changed-Pw-9"])), DENIED,
         ["give the current password as well as the new one"]),

    # ---- rule 8: routers ----------------------------------------------------
    case("rule8-delegation-of-non-delegable-app", "ADM_EN",
         add_delegation_op("distriplanner", "R2", "billing:BA-1", "role:order-entry"), UNWILLING,
         ["Distriplanner cannot be delegated to a router"]),
    case("rule8-delegation-of-invoice-reporter", "ADM_FR",
         add_delegation_op("invoice-reporter", "R2", "billing:BA-1"), UNWILLING,
         ["Invoice Reporter ne peut pas être délégué à un routeur"]),
    case("rule8-delegation-by-users-only-admin", "UADM",
         add_delegation_op("emasspost", "R2", "product:letter"), DENIED,
         ["vous ne disposez pas du droit de gestion « Autorisations pour créer et gérer des "
          "administrateurs »"]),
    case("rule8-delegation-by-plain-user", "PLAIN",
         add_delegation_op("emasspost", "R2", "product:letter"), DENIED, [NL_NOT_ADMIN]),
    case("rule8-router-admin-grants-more-than-delegated", "RADM",
         add_grant_op("{RTV}", "emasspost", "{C}", "product:letter", "role:validation-price"),
         DENIED, ["« Accès: Validation + prix » sur {C_NAME}"]),
    case("rule8-router-admin-grants-on-customer-without-delegation", "RADM",
         add_grant_op("{RTV}", "emasspost", "{C3}", "product:letter"), DENIED,
         ["« Produits: Lettre » sur {C3_NAME}"]),
    case("rule8-router-admin-grants-non-delegable-app", "RADM",
         add_grant_op("{RTV}", "distriplanner", "{C}", "role:order-entry"), UNWILLING,
         ["Distriplanner ne peut pas être délégué à un routeur"]),
    case("rule8-router-admin-removes-value-no-longer-delegated", "RADM",
         modify(grant("RUSER", "emasspost"), ("delete", "umRight", ["product:non-prior"])), DENIED,
         ["« Produits: Non prior » sur {C_NAME}"]),
    case("rule8-router-admin-delegates-on-behalf-of-customer", "RADM",
         add("cn=emasspost@{R2},ou=delegations,{C_DN}",
             {"objectClass": "umDelegation", "cn": "emasspost@{R2}", "umApplication": "emasspost",
              "umDelegate": "{R2_DN}", "umRight": "product:letter"}),
         DENIED, ["il appartient à l'organisation {C}"]),

    # ---- rule 9: nothing half-written; the writer's language ------------
    case("rule9-modify-with-one-refused-change-writes-nothing", "ADM_EN",
         modify("{TU}", ("replace", "mail", ["changed@example.com"]),
                ("add", "umManage", ["admins"]), ("delete", "umManage", ["ftp"])),
         DENIED, ['"FTP access (first logon through the portal is required)"']),
    case("rule9-one-unheld-value-among-held-writes-nothing", "ADM_FR",
         modify(grant("TU", "emasspost"),
                ("add", "umRight", ["product:prior", "product:periodical"])),
         DENIED, ["« Produits: Périodique »"]),
    case("rule9-grant-with-one-invalid-value-is-not-created", "ADM_NL",
         add_grant_op("{TV}", "emasspost", "{C}", "product:letter", "product:nope"), INVALID,
         ['het e-MassPost-recht "Producten: nope" voor {TV_UID} wordt geweigerd: '
          "deze waarde staat niet in de lijst van de applicatie"]),
    case("rule9-sentence-in-english", "ADM_EN",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:periodical"])), DENIED,
         ['you do not hold e-MassPost right "Products: Periodical" on {C_NAME}, so you cannot '
          "give it to or take it from {TU_UID}"]),
    case("rule9-sentence-in-french", "ADM_FR",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:periodical"])), DENIED,
         ["vous ne disposez pas du droit e-MassPost « Produits: Périodique » sur {C_NAME}, "
          "vous ne pouvez donc ni l'accorder à {TU_UID} ni le lui retirer"]),
    case("rule9-sentence-in-dutch", "ADM_NL",
         modify(grant("TU", "emasspost"), ("add", "umRight", ["product:periodical"])), DENIED,
         ['u hebt het e-MassPost-recht "Producten: Tijdschrift" op {C_NAME} niet, dus u kunt het '
          "niet toekennen aan of afnemen van {TU_UID}"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused(directory, world, case):
    conn = world.conn(case.writer) if case.writer else None
    assert_refused(directory, lambda: case.op(conn, world), case.exc, world.fmt(case.texts),
                   world.fmt(list(case.bases)))


def test_case_ids_are_unique_and_name_a_rule():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert all(i.split("-")[0] in {"rule%d" % n for n in range(1, 10)} for i in ids)


def test_rule5_password_an_admin_creates_is_temporary(directory, world):
    """§3.2: "L'administrateur attribue un mot de passe provisoire lors de la
    création". Whether the overlay refuses an explicit pwdReset FALSE or
    overrides it, the new user must not pass a plain bind with the password
    its administrator chose."""
    uid = unique("perm")
    dn = user_dn(uid, world.n["C"])
    try:
        world.conn("ADM_EN").add_s(dn, entry(dict(user_attrs(uid, password="Admin-Knows-1"),
                                                  pwdReset="FALSE")))
    except ldap.LDAPError:
        return
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, dn, "Admin-Knows-1")


def test_rule5_password_an_admin_sets_stays_temporary(directory, world):
    """The same for a password set by Password Modify, then pwdReset cleared."""
    root = directory.root()
    dn = make_user(root, world.n["C"], "perm")
    root.unbind_s()
    admin = world.conn("ADM_EN")
    admin.passwd_s(dn, None, "Admin-Knows-2")
    try:
        admin.modify_s(dn, [(ldap.MOD_REPLACE, "pwdReset", [b"FALSE"])])
    except ldap.LDAPError:
        pass
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        bind(directory, dn, "Admin-Knows-2")
