"""umctl(1) against a real slapd with the overlay and provisiond (issue 12
part 2): every command's results, the server's refusals (exit 1, its
French/Dutch text shown as it came), --json parsed, user create driven
through a pseudo-terminal. Manual sections are cited per test."""
import json
import os
import re
import stat
import subprocess
import tempfile

import ldap
import pexpect
import pytest

from conftest import SUFFIX, TOP
from helpers import (USER_PW, add_delegation, add_grant, delete_tree, grant_dn, make_org, make_user,
                     org_dn, user_dn)

UMCTL = os.path.join(TOP, "build", "umctl")
ORGS = "ou=organizations," + SUFFIX
ALL_MANAGE = ["admins", "users", "password-recovery", "ftp"]


@pytest.fixture(scope="module")
def home():
    d = tempfile.mkdtemp(prefix="umctl-home-")
    yield d
    subprocess.run(["rm", "-rf", d])


def pwfile(home, pw, mode=0o600):
    fd, path = tempfile.mkstemp(dir=home)
    os.write(fd, pw.encode() + b"\n")
    os.close(fd)
    os.chmod(path, mode)
    return path


def env_for(directory, home, dn, pw=USER_PW, lang="C"):
    env = {"PATH": os.environ["PATH"], "HOME": home, "LANG": lang, "UM_URI": directory.uri}
    if dn is not None:
        env["UM_BINDDN"] = dn
    if pw is not None:
        env["UM_PASSWORD_FILE"] = pwfile(home, pw)
    return env


def umctl(directory, home, dn, *args, pw=USER_PW, lang="C"):
    p = subprocess.run([UMCTL] + list(args), env=env_for(directory, home, dn, pw, lang),
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def ujson(directory, home, dn, *args):
    rc, out, err = umctl(directory, home, dn, "--json", *args)
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def world(directory, home):
    """A customer with an administrator (fr) holding some e-MassPost
    rights, a plain user (nl), a router."""
    root = directory.root()
    org = make_org(root, billing=["BA-1"], prefix="uc")
    router = make_org(root, kind="router", prefix="ucr")
    admin = make_user(root, org, prefix="ADM", manage=["users", "admins"], lang="fr",
                      grants={"emasspost": ["product:letter", "product:prior",
                                            "role:creation", "billing:BA-1"]})
    plain = make_user(root, org, prefix="PLN", lang="nl",
                      grants={"emasspost": ["product:letter"]})
    yield {"root": root, "org": org, "router": router, "admin": admin, "plain": plain}
    delete_tree(root, org_dn(org))
    delete_tree(root, org_dn(router))
    root.unbind_s()


def uid(dn):
    return dn.split(",")[0].split("=")[1]


def test_help_names_every_manual_section(directory, home):
    rc, out, _ = umctl(directory, home, None, "help", pw=None)
    assert rc == 0
    for cmd, section in [("whoami", "§1.3"), ("passwd", "§3.2"), ("forgot", "§3.3"),
                         ("accounts", "§1.3 Mes comptes"), ("users", "§2.2.2"),
                         ("user create", "§2.2.3"), ("rights copy-mine", "§2.3 Copier"),
                         ("routers", "§2.3.1"), ("org first-admin", "§2.1")]:
        assert cmd in out and section in out
    rc, _, err = umctl(directory, home, None, "no-such-command", pw=None)
    assert rc == 2 and "unknown command" in err


def test_whoami_1_3(directory, home, world):
    j = ujson(directory, home, world["admin"], "whoami")
    assert j["username"] == uid(world["admin"]) and j["organisation"] == world["org"]
    assert j["administrator"] is True and j["language"] == "fr"
    assert sorted(j["management"]) == ["admins", "users"]
    rc, out, _ = umctl(directory, home, world["admin"], "whoami")
    # in the bound user's language, labels from the catalogue (§2.2.4)
    assert rc == 0 and "Administrateur" in out and "oui" in out
    assert "Autorisations pour créer et gérer des utilisateurs" in out


def test_password_file_readable_by_others_is_refused(directory, home, world):
    env = env_for(directory, home, world["admin"], None)
    env["UM_PASSWORD_FILE"] = pwfile(home, USER_PW, 0o644)
    p = subprocess.run([UMCTL, "whoami"], env=env, capture_output=True, text=True)
    assert p.returncode == 2 and "group or others" in p.stderr


def test_wrong_password_and_no_server(directory, home, world):
    rc, _, err = umctl(directory, home, world["admin"], "whoami", pw="Wrong-Pass-1")
    assert rc == 1 and err.strip()
    env = env_for(directory, home, world["admin"])
    env["UM_URI"] = "ldap://127.0.0.1:1"
    p = subprocess.run([UMCTL, "whoami"], env=env, capture_output=True, text=True)
    assert p.returncode == 2


def test_users_2_2_2_created_by_is_a_username(directory, home, world):
    rows = ujson(directory, home, world["admin"], "users")
    by = {r["username"]: r for r in rows}
    a, p = by[uid(world["admin"])], by[uid(world["plain"])]
    assert a["administrator"] == "yes" and p["administrator"] == "no"
    assert p["status"] == "active" and p["mail"] == uid(world["plain"]).lower() + "@example.com"
    assert p["created_by"] == "admin"  # cn=admin,<suffix>: the rootdn made it, not a DN
    rc, out, _ = umctl(directory, home, world["admin"], "users")
    head = out.splitlines()[0]
    assert rc == 0 and head.startswith("Nom d'utilisateur") and "Créé par" in head
    # aligned: every row's second column starts where the heading's does
    col = head.index("  Nom ") + 2
    assert all(line[col - 2:col] == "  " for line in out.splitlines()[1:])


def test_user_create_interactive_2_2_3(directory, home, world):
    """§2.2.3/§2.2.4 through a pseudo-terminal, asked in French."""
    env = env_for(directory, home, world["admin"])
    new = "PTY" + uid(world["admin"])[3:]
    child = pexpect.spawn(UMCTL, ["user", "create"], env=env, encoding="utf-8", timeout=30)
    for prompt, answer in [("Nom d'utilisateur : ", new), ("Prénom : ", "Marie"),
                           ("Nom : ", "Dupont"), ("Adresse e-mail : ", "marie@example.com"),
                           ("Langue", "fr"), ("Sexe", "female")]:
        child.expect_exact(prompt)
        child.sendline(answer)
    for answer in ["n", "o", "n", "n"]:  # admins, users, password-recovery, ftp
        child.expect_exact("(o/n)")
        child.sendline(answer)
    child.expect_exact("Nouveau mot de passe : ")
    child.sendline("Temporaire-1")
    child.expect_exact("Confirmez le nouveau mot de passe : ")
    child.sendline("Temporaire-1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    e = world["root"].search_s(user_dn(new, world["org"]), ldap.SCOPE_BASE)[0][1]
    assert e["cn"] == [b"Marie Dupont"] and e["preferredLanguage"] == [b"fr"]
    assert e["umManage"] == [b"users"]


def test_user_create_flags_and_refusal(directory, home, world):
    pw = pwfile(home, "Temporaire-1")
    new = "FLG" + uid(world["admin"])[3:]
    rc, out, err = umctl(directory, home, world["admin"], "user", "create", "--uid", new,
                         "--given-name", "Jan", "--sn", "Peeters", "--mail", "jan@example.com",
                         "--lang", "nl", "--gender", "male", "--manage", "users",
                         "--new-password-file", pw)
    assert rc == 0, err
    # the plain user (nl) may not create anyone: the overlay's Dutch text, exit 1
    before = directory.snapshot(ORGS)
    rc, out, err = umctl(directory, home, world["plain"], "user", "create", "--uid", "X" + new,
                         "--given-name", "Jan", "--sn", "P", "--mail", "x@example.com",
                         "--lang", "nl", "--gender", "male", "--new-password-file", pw)
    assert rc == 1 and err.strip() and "umctl" not in err
    assert any(w in err for w in (" u ", "niet", "geen"))
    assert directory.snapshot(ORGS) == before


def test_user_show_edit_deactivate_reactivate_3_1(directory, home, world):
    target = make_user(world["root"], world["org"], prefix="SHW", lang="de")
    t = uid(target)
    j = ujson(directory, home, world["admin"], "user", "show", t)
    assert j["username"] == t and j["status"] == "active" and j["created_by"] == "admin"
    rc, _, err = umctl(directory, home, world["admin"], "user", "edit", t, "--mail",
                       "neu@example.com")
    assert rc == 0, err
    assert ujson(directory, home, world["admin"], "user", "show", t)["mail"] == "neu@example.com"
    assert umctl(directory, home, world["admin"], "user", "deactivate", t)[0] == 0
    rows = ujson(directory, home, world["admin"], "users", "--deactivated")
    assert [r["username"] for r in rows] == [t]
    assert t not in [r["username"] for r in ujson(directory, home, world["admin"], "users")]
    assert umctl(directory, home, world["admin"], "user", "reactivate", t)[0] == 0
    assert ujson(directory, home, world["admin"], "user", "show", t)["status"] == "active"
    # a bad mail: the server's French refusal (rule 4), exit 1
    rc, _, err = umctl(directory, home, world["admin"], "user", "edit", t, "--mail", "pas-une")
    assert rc == 1 and "mail" in err.lower()


def test_rights_show_grant_revoke_with_labels_2_3(directory, home, world):
    target = make_user(world["root"], world["org"], prefix="RGT")
    t = uid(target)
    # a label (fr, any case) and an id and a dynamic value
    rc, _, err = umctl(directory, home, world["admin"], "rights", "grant", t, "e-MassPost",
                       "Lettre", "role:creation", "billing:BA-1")
    assert rc == 0, err
    rows = ujson(directory, home, world["admin"], "rights", "show", t, "emasspost")
    assert {r["right"] for r in rows} == {"product:letter", "role:creation", "billing:BA-1"}
    rc, out, _ = umctl(directory, home, world["admin"], "rights", "show", t)
    assert "Lettre" in out and "Création" in out and "BA-1" in out
    assert umctl(directory, home, world["admin"], "rights", "revoke", t, "emasspost",
                 "creation")[0] == 0
    got = world["root"].search_s(grant_dn(target, "emasspost", world["org"]),
                                 ldap.SCOPE_BASE)[0][1]["umRight"]
    assert sorted(got) == [b"billing:BA-1", b"product:letter"]
    # not held by the administrator (rule 3): French text, exit 1, nothing written
    before = directory.snapshot(ORGS)
    rc, _, err = umctl(directory, home, world["admin"], "rights", "grant", t, "emasspost",
                       "Validation + prix")
    assert rc == 1 and "vous ne disposez pas du droit" in err
    assert directory.snapshot(ORGS) == before
    # unknown value: a usage error, nothing asked of the server
    rc, _, err = umctl(directory, home, world["admin"], "rights", "grant", t, "emasspost",
                       "no-such")
    assert rc == 2


def test_rights_offer_greys_what_is_not_held(directory, home, world):
    rows = ujson(directory, home, world["admin"], "rights", "offer", "emasspost")
    offer = {r["right"]: r["offer"] for r in rows}
    assert offer["product:letter"] == "held" and offer["role:creation"] == "held"
    assert offer["role:validation-price"] == "greyed" and offer["billing:BA-1"] == "held"
    rc, out, _ = umctl(directory, home, world["admin"], "rights", "offer", "emasspost")
    assert "grisé" in out and "disponible" in out


def test_copy_mine_adds_and_keeps_2_3(directory, home, world):
    """§2.3 Copier tous les droits: the user keeps what the administrator
    lacks (role:price-visibility) and gets the rest."""
    target = make_user(world["root"], world["org"], prefix="CPY",
                       grants={"emasspost": ["product:letter", "role:price-visibility"]})
    rows = ujson(directory, home, world["admin"], "rights", "copy-mine", uid(target))
    assert sorted(r["right"] for r in rows) == ["billing:BA-1", "product:prior",
                                                "role:creation"]
    got = world["root"].search_s(grant_dn(target, "emasspost", world["org"]),
                                 ldap.SCOPE_BASE)[0][1]["umRight"]
    assert sorted(got) == sorted([b"product:letter", b"role:price-visibility",
                                  b"billing:BA-1", b"product:prior", b"role:creation"])
    rc, out, _ = umctl(directory, home, world["admin"], "rights", "copy-mine", uid(target))
    assert rc == 0 and "rien à ajouter" in out


def test_routers_delegate_delegations_2_3_1(directory, home, world):
    rows = ujson(directory, home, world["admin"], "routers")
    assert world["router"] in [r["router"] for r in rows]
    rc, _, err = umctl(directory, home, world["admin"], "delegate", world["router"],
                       "emasspost", "Lettre")
    assert rc == 0, err
    rows = ujson(directory, home, world["admin"], "delegations")
    assert {"router": world["router"], "right": "product:letter"}.items() <= rows[0].items()
    # a value the administrator lacks: refused, French
    rc, _, err = umctl(directory, home, world["admin"], "delegate", world["router"],
                       "emasspost", "role:validation-price")
    assert rc == 1 and "vous ne disposez pas du droit" in err


def test_accounts_1_3(directory, home, world):
    rows = ujson(directory, home, world["plain"], "accounts")
    assert rows[0]["organisation"] == world["org"]
    assert "e-MassPost" in rows[0]["applications"]


def test_passwd_3_2_through_a_terminal(directory, home, world):
    target = make_user(world["root"], world["org"], prefix="PWD", lang="fr")
    # before the bind, umctl speaks LANG's language; the server's verdict
    # comes in the user's preferredLanguage
    env = env_for(directory, home, target, None, lang="fr_BE.UTF-8")
    child = pexpect.spawn(UMCTL, ["passwd"], env=env, encoding="utf-8", timeout=30)
    child.expect("actuel")
    child.sendline(USER_PW)
    child.expect_exact("Nouveau mot de passe : ")
    child.sendline("court")
    child.expect_exact("Confirmez le nouveau mot de passe : ")
    child.sendline("court")
    child.expect(pexpect.EOF)
    child.close()
    # the server's verdict (ppolicy + um_pwcheck), in French
    assert child.exitstatus == 1 and "7" in child.before
    child = pexpect.spawn(UMCTL, ["passwd"], env=env, encoding="utf-8", timeout=30)
    child.expect("actuel")
    child.sendline(USER_PW)
    child.expect_exact("Nouveau mot de passe : ")
    child.sendline("Nouveau-Mot-1")
    child.expect_exact("Confirmez le nouveau mot de passe : ")
    child.sendline("Nouveau-Mot-1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "Mot de passe modifié" in child.before
    directory.bind(target, "Nouveau-Mot-1").unbind_s()


def test_forgot_3_3_answers_the_same(directory, home, world):
    for args in (["--user", uid(world["plain"])], ["--user", "nobody-at-all"],
                 ["--mail", "nobody@example.com"]):
        rc, out, err = umctl(directory, home, None, "forgot", *args, pw=None, lang="fr_BE")
        assert rc == 0, err
        assert out == "Si le compte existe, un e-mail est en route.\n"
    assert umctl(directory, home, None, "forgot", pw=None)[0] == 2


def test_reset_with_a_wrong_token_is_refused(directory, home, world):
    target = make_user(world["root"], world["org"], prefix="RST")
    env = env_for(directory, home, None, None)
    child = pexpect.spawn(UMCTL, ["reset", "--token", "nope", "--dn", target], env=env,
                          encoding="utf-8", timeout=30)
    child.expect_exact("New password: ")
    child.sendline("Nouveau-Mot-1")
    child.expect_exact("Confirm the new password: ")
    child.sendline("Nouveau-Mot-1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1, (child.signalstatus, child.before)


def test_operators_org_screens_2_1(directory, home, world):
    op = "uid=operator,ou=system," + SUFFIX
    pw = directory.secrets["UM_OPERATOR_PW"]
    org = "umctl-op-" + uid(world["admin"])[3:].lower()
    try:
        rc, _, err = umctl(directory, home, op, "org", "create", org, "--name", "ACME",
                           "--kind", "customer", pw=pw)
        assert rc == 0, err
        assert umctl(directory, home, op, "org", "billing", "add", org, "BA-9", "--name",
                     "Siège", pw=pw)[0] == 0
        assert umctl(directory, home, op, "org", "contract", "add", org, "CS1", "--kind",
                     "cs-master", pw=pw)[0] == 0
        first = "FIRST" + uid(world["admin"])[3:]
        rc, _, err = umctl(directory, home, op, "org", "first-admin", org, first,
                           "--given-name", "Ann", "--sn", "Admin", "--mail", "ann@example.com",
                           "--lang", "en", "--gender", "female", "--new-password-file",
                           pwfile(home, "First-Admin-1"), pw=pw)
        assert rc == 0, err
        e = world["root"].search_s(user_dn(first, org), ldap.SCOPE_BASE)[0][1]
        assert sorted(v.decode() for v in e["umManage"]) == sorted(ALL_MANAGE)
        assert world["root"].search_s("umContractId=CS1,ou=contracts," + org_dn(org),
                                      ldap.SCOPE_BASE)
        # an administrator is no operator: the server refuses, exit 1
        rc, _, err = umctl(directory, home, world["admin"], "org", "create", org + "x",
                           "--name", "X", "--kind", "router")
        assert rc == 1 and err.strip()
    finally:
        delete_tree(world["root"], org_dn(org))


@pytest.fixture(scope="module")
def routed(directory, world):
    """World's customer delegates e-MassPost rights to a router of its own
    (§2.3.1 Sous-traitants: "les droits seront seulement octroyés à
    l'administrateur du compte e-MassPost du routeur"), whose administrator
    (nl) passes them on to a user of the router (DESIGN rule 8)."""
    root = world["root"]
    router = make_org(root, kind="router", prefix="ucd")
    radmin = make_user(root, router, prefix="RAD", manage=["users", "admins"], lang="nl")
    ruser = make_user(root, router, prefix="RUS", lang="fr")
    add_delegation(root, world["org"], "emasspost", router,
                   ["product:letter", "role:creation", "billing:BA-1"])
    yield {"router": router, "radmin": radmin, "ruser": ruser}
    delete_tree(root, org_dn(router))
    try:
        root.delete_s("cn=emasspost@%s,ou=delegations,%s" % (router, org_dn(world["org"])))
    except ldap.NO_SUCH_OBJECT:
        pass


def test_router_admin_grants_within_the_delegation_rule_8(directory, home, world, routed):
    """rights grant --scope: the router's administrator gives its own user
    what the customer delegated, on the customer's behalf."""
    ru = uid(routed["ruser"])
    rc, out, err = umctl(directory, home, routed["radmin"], "rights", "grant", ru, "e-MassPost",
                         "Brief", "role:creation", "billing:BA-1", "--scope", world["org"])
    assert rc == 0, err
    assert sorted(world["root"].search_s(
        grant_dn(routed["ruser"], "emasspost", world["org"]), ldap.SCOPE_BASE)[0][1]
        ["umRight"]) == [b"billing:BA-1", b"product:letter", b"role:creation"]
    rows = ujson(directory, home, routed["radmin"], "rights", "show", ru)
    assert {(r["scope"], r["right"]) for r in rows} == {
        (world["org"], "product:letter"), (world["org"], "role:creation"),
        (world["org"], "billing:BA-1")}
    # the customer's billing address by its name, read through the delegation
    assert [r["label"] for r in rows if r["right"] == "billing:BA-1"] == [
        "BA-1 of " + world["org"]]


def test_router_admin_refused_beyond_the_delegation_rule_8(directory, home, world, routed):
    """product:prior is the customer administrator's, not delegated: the
    router's administrator cannot give it (rule 3), Dutch text, exit 1,
    nothing written; nor may it give anything on a customer that delegates
    nothing to its router."""
    ru = uid(routed["ruser"])
    other = make_org(world["root"], prefix="ucn")
    try:
        before = directory.snapshot(ORGS)
        rc, _, err = umctl(directory, home, routed["radmin"], "rights", "grant", ru,
                           "emasspost", "product:prior", "--scope", world["org"])
        assert rc == 1 and err.strip() and "umctl" not in err
        assert "niet" in err or "geen" in err
        rc, _, err = umctl(directory, home, routed["radmin"], "rights", "grant", ru,
                           "emasspost", "product:letter", "--scope", other)
        assert rc == 1 and err.strip()
        assert directory.snapshot(ORGS) == before
    finally:
        delete_tree(world["root"], org_dn(other))


def test_accounts_of_a_router_user_name_the_customer_1_3(directory, home, world, routed):
    """Mes comptes (§1.3): the router's user works for the customer; its
    name is readable through the delegation (DESIGN §3 Reads)."""
    try:  # what the router's administrator gave above, whichever test runs first
        add_grant(world["root"], routed["ruser"], "emasspost", world["org"], ["product:letter"])
    except ldap.ALREADY_EXISTS:
        pass
    rows = {r["organisation"]: r for r in ujson(directory, home, routed["ruser"], "accounts")}
    assert rows[routed["router"]]["name"] == routed["router"].upper()
    assert rows[world["org"]]["name"] == world["org"].upper()
    assert "e-MassPost" in rows[world["org"]]["applications"]
    # the router's administrator holds the delegation itself (rule 3)
    rows = {r["organisation"]: r for r in ujson(directory, home, routed["radmin"], "accounts")}
    assert rows[world["org"]]["name"] == world["org"].upper()
    assert "e-MassPost" in rows[world["org"]]["applications"]


def test_rights_show_names_billing_addresses_and_contracts_2_3(directory, home, world):
    """§2.3.2, §2.3.3: a billing address or contract is shown by its
    entry's cn, to its administrator and to the user holding it (DESIGN §3
    Reads: the billing addresses and contracts its grants name)."""
    root = world["root"]
    cdn = "umContractId=CS-7,ou=contracts," + org_dn(world["org"])
    try:
        root.add_s(cdn, [("objectClass", [b"umContract"]), ("umContractId", [b"CS-7"]),
                         ("umContractKind", [b"cs-master"]),
                         ("cn", ["Dépôt Muntcentrum".encode()])])
    except ldap.ALREADY_EXISTS:
        pass
    user = make_user(root, world["org"], prefix="LBL", lang="fr",
                     grants={"emasspost": ["product:letter", "billing:BA-1"],
                             "collect-stamp": ["contract:CS-7", "function:invoice-search"]})
    for who in (world["admin"], user):
        rows = ujson(directory, home, who, "rights", "show", uid(user))
        label = {r["right"]: r["label"] for r in rows}
        assert label["billing:BA-1"] == "BA-1 of " + world["org"]
        assert label["contract:CS-7"] == "Dépôt Muntcentrum"
        assert label["product:letter"] == "Lettre"
    rc, out, _ = umctl(directory, home, user, "rights", "show", uid(user))
    assert rc == 0 and "Dépôt Muntcentrum" in out and "BA-1 of " + world["org"] in out


def test_reset_with_the_mailed_token_3_3(directory, home, world):
    """§3.3 end to end: forgot (anonymous, LANG fr) -> the mail provisiond
    delivers to the fixture's SMTP server -> reset --token through a
    terminal -> the new password binds; the token is single-use."""
    target = make_user(world["root"], world["org"], prefix="TOK", manage=["password-recovery"],
                       lang="fr")
    to = uid(target).lower() + "@example.com"
    rc, out, err = umctl(directory, home, None, "forgot", "--user", uid(target), pw=None,
                         lang="fr_BE.UTF-8")
    assert rc == 0, err
    [mail] = directory.smtp.wait(to, 1)
    token = re.search(r"token=([A-Za-z0-9_-]+)", mail["body"]).group(1)

    def reset(new):
        env = env_for(directory, home, target, None, lang="fr_BE.UTF-8")
        child = pexpect.spawn(UMCTL, ["reset", "--token", token], env=env, encoding="utf-8",
                              timeout=30)
        child.expect_exact("Nouveau mot de passe : ")
        child.sendline(new)
        child.expect_exact("Confirmez le nouveau mot de passe : ")
        child.sendline(new)
        child.expect(pexpect.EOF)
        child.close()
        return child.exitstatus, child.before

    rc, out = reset("Recupere-Moi-1")  # --dn defaults to UM_BINDDN
    assert rc == 0 and "Mot de passe modifié" in out, out
    directory.bind(target, "Recupere-Moi-1").unbind_s()
    rc, out = reset("Encore-Une-1")
    assert rc == 1, out
    directory.bind(target, "Recupere-Moi-1").unbind_s()


def test_umrc_gives_uri_binddn_and_password_file(directory, world):
    """DESIGN §6: UM_URI and UM_BINDDN from ~/.umrc when the environment
    has none ("export", quotes and comments allowed); the environment
    wins over the file."""
    h = tempfile.mkdtemp(prefix="umctl-umrc-")
    try:
        pw = pwfile(h, USER_PW)
        with open(os.path.join(h, ".umrc"), "w") as f:
            f.write("# umctl(1)\nexport UM_URI=\"%s\"\nUM_BINDDN='%s'\n"
                    "UM_PASSWORD_FILE=%s\n" % (directory.uri, world["plain"], pw))
        env = {"PATH": os.environ["PATH"], "HOME": h, "LANG": "C"}
        p = subprocess.run([UMCTL, "--json", "whoami"], env=env, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["username"] == uid(world["plain"])
        env["UM_BINDDN"] = world["admin"]
        p = subprocess.run([UMCTL, "--json", "whoami"], env=env, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["username"] == uid(world["admin"])
        os.remove(os.path.join(h, ".umrc"))
        del env["UM_BINDDN"]
        p = subprocess.run([UMCTL, "whoami"], env=env, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 2 and "UM_URI" in p.stderr
    finally:
        subprocess.run(["rm", "-rf", h])
