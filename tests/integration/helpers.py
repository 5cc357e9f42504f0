"""Building blocks of the delegation tests: fresh organisations, users,
grants and delegations created as the rootdn (so no test depends on another
one's leftovers), and the assertion every refusal test makes (DESIGN rule 9:
code, text, nothing written)."""
import itertools
import os

import ldap
import ldap.dn
import ldap.modlist
from ldap.controls.ppolicy import PasswordPolicyControl

from conftest import SUFFIX

ORGS = "ou=organizations," + SUFFIX
USER_PW = "Test-User-1"  # TEST-ONLY: every user these helpers create
_counter = itertools.count(1)
_run = os.urandom(3).hex()


def unique(prefix):
    """A name no other test (nor an earlier run of this one) uses: uid is
    unique across the directory (slapo-unique)."""
    return "%s-%s%d" % (prefix, _run, next(_counter))


def b(values):
    if isinstance(values, (str, bytes)):
        values = [values]
    return [v if isinstance(v, bytes) else str(v).encode() for v in values]


def entry(attrs):
    """An addModlist from {attr: str | [str]}; None values are left out."""
    return ldap.modlist.addModlist({k: b(v) for k, v in attrs.items() if v is not None})


def org_dn(org_id):
    return "o=%s,%s" % (org_id, ORGS)


def user_dn(uid, org_id):
    return "uid=%s,ou=users,%s" % (uid, org_dn(org_id))


def grant_dn(user, app, scope):
    """cn=<app>@<scope> under a user DN (DESIGN §2)."""
    return "cn=%s@%s,%s" % (app, scope, user)


def delegation_dn(org_id, app, router_id):
    return "cn=%s@%s,ou=delegations,%s" % (app, router_id, org_dn(org_id))


def make_org(root, kind="customer", billing=(), contracts=None, prefix="org"):
    """o=<unique> with ou=users/billing/contracts/delegations, billing
    addresses (umBillingId) and contracts {umContractId: umContractKind}."""
    org_id = unique(prefix).lower()
    dn = org_dn(org_id)
    root.add_s(dn, entry({"objectClass": ["organization", "umOrganization"], "o": org_id,
                          "displayName": org_id.upper(), "umOrgKind": kind,
                          "postalAddress": "RUE DU TEST 1$1000 BRUSSEL"}))
    for ou in ("users", "billing", "contracts", "delegations"):
        root.add_s("ou=%s,%s" % (ou, dn), entry({"objectClass": "organizationalUnit", "ou": ou}))
    for bid in billing:
        root.add_s("umBillingId=%s,ou=billing,%s" % (bid, dn),
                   entry({"objectClass": "umBillingAddress", "umBillingId": bid,
                          "cn": "%s of %s" % (bid, org_id)}))
    for cid, ckind in (contracts or {}).items():
        root.add_s("umContractId=%s,ou=contracts,%s" % (cid, dn),
                   entry({"objectClass": "umContract", "umContractId": cid,
                          "umContractKind": ckind}))
    return org_id


def delete_tree(root, dn):
    """Removes dn and everything under it, as the rootdn (operators may
    delete users): other test files count the organisations they see."""
    try:
        res = root.search_s(dn, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["1.1"])
    except ldap.NO_SUCH_OBJECT:
        return
    for child, _ in sorted(res, key=lambda r: -len(ldap.dn.str2dn(r[0]))):
        root.delete_s(child)


def user_attrs(uid, manage=(), lang="en", status="active", password=USER_PW, **extra):
    """The fields of the §2.2.3 form, all present and valid."""
    attrs = {"objectClass": ["inetOrgPerson", "umUser"], "uid": uid, "cn": uid + " Test",
             "givenName": uid, "sn": "Test", "mail": uid.lower() + "@example.com",
             "preferredLanguage": lang, "umGender": "female", "umStatus": status,
             "umManage": list(manage) or None, "userPassword": password}
    attrs.update(extra)
    return attrs


def make_user(root, org_id, prefix="user", manage=(), lang="en", status="active",
              grants=None, temporary=False, **extra):
    """A user added as the rootdn, with grants {app: [umRight...]} or
    {(app, scope): [...]}. The overlay makes an admin-set password temporary
    (pwdReset TRUE, rule 5); an explicit pwdReset FALSE keeps it usable for a
    plain bind unless `temporary`."""
    uid = unique(prefix)
    dn = user_dn(uid, org_id)
    attrs = user_attrs(uid, manage, lang, status, **extra)
    attrs["pwdReset"] = "TRUE" if temporary else "FALSE"
    root.add_s(dn, entry(attrs))
    for key, values in (grants or {}).items():
        app, scope = key if isinstance(key, tuple) else (key, org_id)
        add_grant(root, dn, app, scope, values)
    return dn


def grant_attrs(app, scope, values):
    return {"objectClass": "umGrant", "cn": "%s@%s" % (app, scope), "umApplication": app,
            "umScope": scope, "umRight": list(values) or None}


def add_grant(conn, user, app, scope, values):
    dn = grant_dn(user, app, scope)
    conn.add_s(dn, entry(grant_attrs(app, scope, values)))
    return dn


def delegation_attrs(app, router_id, values):
    return {"objectClass": "umDelegation", "cn": "%s@%s" % (app, router_id),
            "umApplication": app, "umDelegate": org_dn(router_id),
            "umRight": list(values) or None}


def add_delegation(conn, org_id, app, router_id, values):
    dn = delegation_dn(org_id, app, router_id)
    conn.add_s(dn, entry(delegation_attrs(app, router_id, values)))
    return dn


def bind(directory, dn, pw=USER_PW, ppolicy=False):
    """A connection bound as dn; with ppolicy, the bind sends the password
    policy control (what a client that can change a temporary password
    does)."""
    c = directory.bind()
    c.simple_bind_s(dn, pw, serverctrls=[PasswordPolicyControl()] if ppolicy else None)
    return c


def read(conn, dn, attrs=("*", "+")):
    return conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", list(attrs))[0][1]


def rights(root, dn):
    """The sorted umRight values of a grant or delegation, [] if absent."""
    try:
        return sorted(v.decode() for v in read(root, dn, ["umRight"]).get("umRight", []))
    except ldap.NO_SUCH_OBJECT:
        return []


def values(root, dn, attr):
    return sorted(v.decode() for v in read(root, dn, [attr]).get(attr, []))


def diagnostic(exc):
    """The diagnostic message (LDAP result 'info') of a python-ldap error."""
    info = exc.args[0].get("info", "") if exc.args and isinstance(exc.args[0], dict) else ""
    return info.decode("utf-8") if isinstance(info, bytes) else info


def assert_refused(directory, operation, exc_class, texts, bases):
    """Runs operation(); it must raise exc_class with every fragment of
    texts in its diagnostic, and leave every subtree of bases as it was
    (DESIGN rule 9: nothing is half-written)."""
    if isinstance(bases, str):
        bases = [bases]
    before = [directory.snapshot(base) for base in bases]
    error = None
    try:
        operation()
    except ldap.LDAPError as e:
        error = e
    after = [directory.snapshot(base) for base in bases]
    changed = ["%s: %s" % (base, snapshot_diff(x, y))
               for base, x, y in zip(bases, before, after) if x != y]
    assert error is not None, "not refused (expected %s)%s" % (
        exc_class.__name__, "; it wrote: " + "; ".join(changed) if changed else "")
    assert not changed, "refused with %r but the directory changed: %s" % (
        error, "; ".join(changed))
    assert type(error) is exc_class, "expected %s, got %r" % (exc_class.__name__, error)
    text = diagnostic(error)
    for fragment in texts:
        assert fragment in text, "%r not in diagnostic %r" % (fragment, text)
    return text


def snapshot_diff(x, y):
    """What changed between two snapshots: entries added or removed, and
    for the others the attributes whose values differ."""
    out = []
    for dn in sorted(set(x) | set(y)):
        if dn not in x:
            out.append("added %s" % dn)
        elif dn not in y:
            out.append("deleted %s" % dn)
        elif x[dn] != y[dn]:
            attrs = sorted(a for a in set(x[dn]) | set(y[dn]) if x[dn].get(a) != y[dn].get(a)
                           and a not in ("entryCSN", "modifyTimestamp", "modifiersName"))
            out.append("%s: %s" % (dn, ", ".join("%s %r -> %r" % (a, x[dn].get(a), y[dn].get(a))
                                                 for a in attrs)))
    return "; ".join(out)


class World:
    """Names (for str.format templates) and bound connections of a table
    of escalation cases: organisations and users made as the rootdn, each
    under a key, connections bound as them on first use (also ROOT,
    OPERATOR, ANON and APP, the e-MassPost service identity)."""

    def __init__(self, directory, **names):
        self.directory = directory
        self.n = {"SUFFIX": SUFFIX, "GROUPS": "ou=groups," + SUFFIX,
                  "APPS": "ou=applications," + SUFFIX, "SYSTEM": "ou=system," + SUFFIX,
                  "OPERATORS": "cn=operators,ou=system," + SUFFIX}
        self.n.update(names)
        self.conns = {}

    def fmt(self, value):
        if isinstance(value, str):
            return value.format(**self.n)
        if isinstance(value, dict):
            return {self.fmt(k): self.fmt(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.fmt(v) for v in value]
        return value

    def org(self, root, key, **kw):
        org_id = make_org(root, prefix=key.lower(), **kw)
        self.n.update({key: org_id, key + "_DN": org_dn(org_id), key + "_NAME": org_id.upper()})

    def user(self, root, key, org, **kw):
        dn = make_user(root, self.n[org], prefix=key.lower().replace("_", ""), **kw)
        self.n.update({key: dn, key + "_UID": dn.split(",")[0][4:]})

    def conn(self, who):
        if who not in self.conns:
            if who == "ROOT":
                self.conns[who] = self.directory.root()
            elif who == "OPERATOR":
                self.conns[who] = self.directory.operator()
            elif who == "ANON":
                self.conns[who] = self.directory.bind()
            elif who == "APP":
                self.conns[who] = self.directory.bind("cn=emasspost,ou=apps,ou=system," + SUFFIX,
                                                      self.directory.secrets["UM_APP_PW"])
            else:
                self.conns[who] = bind(self.directory, self.n[who])
        return self.conns[who]
