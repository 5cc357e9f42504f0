#!/usr/bin/python3
"""The one generator of bench and scale data (issue 10): LDIF for slapadd -q
of N users in customer organisations of varied size (Zipf: a few large, many
small), about 3 grants each over the six e-applications of rights.yaml with
the organisation's billing addresses and contracts, administrators,
deactivated users, and routers holding delegations.

    bench/gen.py USERS [-o FILE] [--projected] [--password-hash HASH]

--projected also writes what provisiond's first projection would: the
groups under ou=groups (members, owner), umAppAccess and memberOf on each
active user, so that a reconcile right after the load has nothing to
change (at 1M users the projection from nothing takes hours of slapd
commits). Generation streams: memory does not grow with USERS, except the
groups' members, which go through temporary files.

The first organisation (BENCH_ORG, the largest) holds what bench/bench.py's
workloads write to: BENCH_ADMIN, BENCH_USER and its grant BENCH_GRANT.
Deterministic: the same USERS give the same LDIF.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

SUFFIX = "dc=portal,dc=example"
ORGS = "ou=organizations," + SUFFIX
GROUPS = "ou=groups," + SUFFIX
OWNER = "cn=provisiond,ou=system," + SUFFIX
PW = "Bench-Pass-1"  # TEST-ONLY bench users' password

BENCH_ORG = "c00000"
BENCH_ADMIN = "uid=c00000-000000,ou=users,o=c00000," + ORGS
BENCH_USER = "uid=c00000-000001,ou=users,o=c00000," + ORGS
BENCH_GRANT = "cn=emasspost@c00000," + BENCH_USER

# the values the generated grants pick from (config/rights.yaml)
PRODUCTS = ["letter", "prior", "registered-prior", "periodical", "bpack", "non-prior"]
ROLES = ["creation", "validation-price", "global-consultation", "deposit-summary",
         "yearly-plan", "price-visibility"]
FUNCTIONS = ["advanced-search-registered", "advanced-search-parcels",
             "barcode-search-registered", "barcode-search-parcels", "deposit-receipts",
             "invoice-search"]
BORDEREAUX = ["10", "12", "13", "14", "16", "17", "20", "31", "33"]
LANGS = ["nl", "fr", "de", "en"]
# rights.yaml's `for:` dimension of each application's value groups
FOR_DIM = {"emasspost": "role", "distriplanner": "role", "collect-stamp": "function",
           "parcels-national": "role", "parcels-international": "access"}


def ssha(pw):
    return subprocess.run(["slappasswd", "-h", "{SSHA}", "-s", pw], check=True,
                          capture_output=True, text=True).stdout.strip()


def org_sizes(users, orgs):
    """Zipf (s=1) sizes, each at least 1, summing to users; the largest first."""
    h = sum(1.0 / (i + 1) for i in range(orgs))
    rest = users - orgs
    sizes = [1 + int(rest / (h * (i + 1))) for i in range(orgs)]
    sizes[0] += users - sum(sizes)
    return sizes


class Generator:
    def __init__(self, out, users, projected, pw_hash, orgs=None, seed=10):
        self.out = out
        self.users = users
        self.projected = projected
        self.pw = pw_hash
        # at least 2 users an organisation: the first holds bench.py's two
        self.norgs = max(1, min(orgs or max(10, users // 25), users // 2))
        self.nrouters = max(1, self.norgs // 500)
        self.rng = random.Random(seed)
        self.tmp = tempfile.mkdtemp(prefix="portal-um-gen-") if projected else None
        self.members = {}  # group cn -> open file of member DNs
        self.entries = 0

    def entry(self, dn, lines):
        self.out.write("dn: %s\n%s\n" % (dn, "".join("%s: %s\n" % kv for kv in lines)))
        self.entries += 1

    def org(self, org, kind):
        odn = "o=%s,%s" % (org, ORGS)
        self.entry(odn, [("objectClass", "organization"), ("objectClass", "umOrganization"),
                         ("o", org), ("umOrgKind", kind)])
        for ou in ("users", "billing", "contracts", "delegations"):
            self.entry("ou=%s,%s" % (ou, odn), [("objectClass", "organizationalUnit"),
                                                ("ou", ou)])
        return odn

    def billing(self, odn, n):
        ids = ["B%d" % (k + 1) for k in range(n)]
        for b in ids:
            self.entry("umBillingId=%s,ou=billing,%s" % (b, odn),
                       [("objectClass", "umBillingAddress"), ("umBillingId", b),
                        ("cn", "billing " + b)])
        return ids

    def contracts(self, odn, o):
        c = {"cs-master": ["CS%05d-1" % o],
             "parcels-national": ["PN%05d-1" % o, "PN%05d-2" % o],
             "parcels-international": ["BPI/%05d/1" % o]}
        for kind, ids in c.items():
            for cid in ids:
                self.entry("umContractId=%s,ou=contracts,%s" % (cid, odn),
                           [("objectClass", "umContract"), ("umContractId", cid),
                            ("umContractKind", kind), ("cn", "contract " + cid)])
        return c

    def pick(self, values, most):
        return self.rng.sample(values, self.rng.randint(1, min(most, len(values))))

    def grant_rights(self, app, billing, contracts, full):
        """an administrator's grant holds every value its users get"""
        r = self.rng
        if app == "emasspost":
            return ([("product", p) for p in (PRODUCTS if full else self.pick(PRODUCTS[:5], 2))] +
                    [("billing", b) for b in (billing if full else self.pick(billing, 2))] +
                    [("role", x) for x in (["administrator"] + ROLES if full
                                           else self.pick(ROLES, 2))])
        if app == "distriplanner":
            return ([("billing", b) for b in (billing if full else self.pick(billing, 1))] +
                    [("role", x) for x in (["order-entry", "quick-view"] if full
                                           else [r.choice(["order-entry", "quick-view"])])])
        if app == "invoice-reporter":
            return [("billing", b) for b in (billing if full else self.pick(billing, 2))]
        if app == "collect-stamp":
            return ([("contract", c) for c in contracts["cs-master"]] +
                    [("function", f) for f in (FUNCTIONS if full else self.pick(FUNCTIONS, 2))])
        if app == "parcels-national":
            return [("role", "user")] + [("contract", c) for c in contracts["parcels-national"]]
        # parcels-international, profile general-access (§2.3.5)
        return ([("access", "general")] + ([("access", "prices")] if full or r.random() < 0.5
                                           else []) +
                [("contract", c) for c in contracts["parcels-international"]] +
                [("bordereau", b) for b in (BORDEREAUX if full else self.pick(BORDEREAUX, 3))])

    def apps(self, contracts):
        r = self.rng
        eligible = ["distriplanner", "invoice-reporter"]
        if contracts:
            eligible += ["collect-stamp", "parcels-national", "parcels-international"]
        n = r.choice([2, 3, 3, 4]) - 1
        return (["emasspost"] if r.random() < 0.9 else []) + r.sample(eligible, min(n, len(eligible)))

    def user(self, org, odn, uid, manage, status, grants):
        """grants: [(app, scope, [(dim, value)])]; what it projects to goes
        to the groups' member files and its own umAppAccess/memberOf"""
        udn = "uid=%s,ou=users,%s" % (uid, odn)
        r = self.rng
        lines = [("objectClass", "inetOrgPerson"), ("objectClass", "umUser"), ("uid", uid),
                 ("cn", "User " + uid), ("sn", "User"), ("givenName", "Bench"),
                 ("mail", "%s@example.com" % uid), ("preferredLanguage", r.choice(LANGS)),
                 ("umGender", r.choice(["female", "male"])), ("umStatus", status)]
        lines += [("umManage", m) for m in manage]
        lines.append(("userPassword", self.pw))
        if self.projected and status == "active":
            groups, access = [], []
            for app, _scope, rights in grants:
                for g in [app] + ["%s-%s" % (app, v) for d, v in rights if d == FOR_DIM.get(app)]:
                    if g not in groups:
                        groups.append(g)
                if app not in access:
                    access.append(app)
            if "ftp" in manage:
                groups.append("ftp")
                access.append("ftp")
            lines += [("umAppAccess", a) for a in access]
            lines += [("memberOf", "cn=%s,%s" % (g, GROUPS)) for g in groups]
            for g in groups:
                f = self.members.get(g)
                if f is None:
                    f = self.members[g] = open(os.path.join(self.tmp, g), "w")
                f.write("member: %s\n" % udn)
        self.entry(udn, lines)
        for app, scope, rights in grants:
            self.entry("cn=%s@%s,%s" % (app, scope, udn),
                       [("objectClass", "umGrant"), ("cn", "%s@%s" % (app, scope)),
                        ("umApplication", app), ("umScope", scope)] +
                       [("umRight", "%s:%s" % dv) for dv in rights])

    def run(self):
        r = self.rng
        routers = ["r%04d" % k for k in range(self.nrouters)]
        delegated = {}  # router -> [(customer org, its billing address)]
        for k, org in enumerate(routers):
            self.org(org, "router")
        for o, size in enumerate(org_sizes(self.users, self.norgs)):
            org = "c%05d" % o
            odn = self.org(org, "customer")
            billing = self.billing(odn, min(20, 1 + size // 200 + r.randint(0, 1)))
            contracts = self.contracts(odn, o) if o % 3 == 0 else None
            if o % 50 == 3:
                # §2.3.1 sous-traitants: e-MassPost through a router
                router = routers[o % len(routers)]
                self.entry("cn=emasspost@%s,ou=delegations,%s" % (router, odn),
                           [("objectClass", "umDelegation"), ("cn", "emasspost@" + router),
                            ("umApplication", "emasspost"),
                            ("umDelegate", "o=%s,%s" % (router, ORGS)),
                            ("umRight", "product:letter"), ("umRight", "product:prior"),
                            ("umRight", "billing:" + billing[0]), ("umRight", "role:creation"),
                            ("umRight", "role:validation-price")])
                delegated.setdefault(router, []).append((org, billing[0]))
            admins = max(1, size // 100)
            for k in range(size):
                uid = "%s-%06d" % (org, k)
                if o == 0 and k < 2:
                    # bench.py's writer and target: fixed rights
                    grants = [("emasspost", org, [("product", "letter"), ("product", "prior"),
                                                  ("billing", "B1"), ("billing", "B2"),
                                                  ("role", "creation"),
                                                  ("role", "validation-price")] if k == 0 else
                               [("product", "letter"), ("billing", "B1"), ("role", "creation")])]
                    self.user(org, odn, uid, ["admins", "users"] if k == 0 else [], "active",
                              grants)
                    continue
                apps = self.apps(contracts)
                if k < admins:
                    manage = ["admins", "users", "password-recovery"] + (["ftp"] if k == 0 else [])
                    apps = ["emasspost", "distriplanner", "invoice-reporter"] + (
                        ["collect-stamp", "parcels-national", "parcels-international"]
                        if contracts else [])
                else:
                    manage = (["password-recovery"] if r.random() < 0.3 else []) + (
                        ["ftp"] if r.random() < 0.03 else [])
                status = "deactivated" if r.random() < 0.05 and k >= admins else "active"
                grants = [(a, org, self.grant_rights(a, billing, contracts, k < admins))
                          for a in apps]
                self.user(org, odn, uid, manage, status, grants)
        # the routers' users, each admin holding what its customers delegate
        for router in routers:
            odn = "o=%s,%s" % (router, ORGS)
            for k in range(3):
                grants = [("emasspost", org, [("product", "letter"), ("billing", b),
                                              ("role", "creation")])
                          for org, b in delegated.get(router, []) if k == 0 or r.random() < 0.5]
                self.user(router, odn, "%s-%06d" % (router, k),
                          ["admins", "users"] if k == 0 else [], "active", grants)
        if self.projected:
            for g, f in sorted(self.members.items()):
                f.close()
                self.out.write("dn: cn=%s,%s\nobjectClass: groupOfNames\ncn: %s\nowner: %s\n"
                               % (g, GROUPS, g, OWNER))
                with open(f.name) as m:
                    shutil.copyfileobj(m, self.out)
                self.out.write("\n")
                self.entries += 1
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.entries


def write(path, users, projected=False, pw_hash=None, orgs=None):
    """LDIF of `users` users to `path`; returns the number of entries"""
    with open(path, "w", buffering=1 << 20) as f:
        return Generator(f, users, projected, pw_hash or ssha(PW), orgs).run()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("users", type=int)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--orgs", type=int, help="customer organisations (default users/25)")
    ap.add_argument("--projected", action="store_true")
    ap.add_argument("--password-hash", help="userPassword value (default SSHA of %s)" % PW)
    args = ap.parse_args()
    if args.output == "-":
        n = Generator(sys.stdout, args.users, args.projected,
                      args.password_hash or ssha(PW), args.orgs).run()
    else:
        n = write(args.output, args.users, args.projected, args.password_hash, args.orgs)
    print("%d entries" % n, file=sys.stderr)


if __name__ == "__main__":
    main()
