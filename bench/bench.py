#!/usr/bin/python3
"""make bench: the same slapd, the same data, with and without the delegate
overlay, in one run; ratios of server CPU time per operation and of ops/s.

Load tools are OpenLDAP's own tests/progs (slapd-bind, slapd-mtread,
slapd-modify) and ldapadd, all against 127.0.0.1. Runs are interleaved
(A, B, A, B, ...) and repeated; the median is reported.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PROGS = os.path.join(TOP, "build", "openldap", "tests", "progs")
SUFFIX = "dc=portal,dc=example"
ORGS = "ou=organizations," + SUFFIX
PW = "Bench-Pass-1"  # TEST-ONLY bench users' password
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ssha(pw):
    return subprocess.run(["slappasswd", "-h", "{SSHA}", "-s", pw], check=True,
                          capture_output=True, text=True).stdout.strip()


def gen_ldif(path, users, orgs=10):
    """users spread over `orgs` customer organisations, each with an admin
    holding every e-MassPost right the grants use, every user one grant."""
    h = ssha(PW)
    per = max(1, users // orgs)
    with open(path, "w") as f:
        for o in range(orgs):
            org = "o=bench%02d,%s" % (o, ORGS)
            f.write("dn: %s\nobjectClass: organization\nobjectClass: umOrganization\n"
                    "o: bench%02d\numOrgKind: customer\n\n" % (org, o))
            for ou in ("users", "billing", "contracts", "delegations"):
                f.write("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n"
                        % (ou, org, ou))
            for b in ("B1", "B2"):
                f.write("dn: umBillingId=%s,ou=billing,%s\nobjectClass: umBillingAddress\n"
                        "umBillingId: %s\ncn: billing %s\n\n" % (b, org, b, b))
            admin = "uid=badmin%02d,ou=users,%s" % (o, org)
            f.write("dn: %s\nobjectClass: inetOrgPerson\nobjectClass: umUser\n"
                    "uid: badmin%02d\ncn: Bench Admin\nsn: Admin\ngivenName: Bench\n"
                    "mail: badmin%02d@example.com\npreferredLanguage: en\numGender: male\n"
                    "umStatus: active\numManage: admins\numManage: users\n"
                    "userPassword: %s\n\n" % (admin, o, o, h))
            f.write("dn: cn=emasspost@bench%02d,%s\nobjectClass: umGrant\n"
                    "cn: emasspost@bench%02d\numApplication: emasspost\numScope: bench%02d\n"
                    "umRight: product:letter\numRight: product:prior\numRight: billing:B1\n"
                    "umRight: billing:B2\numRight: role:creation\numRight: role:validation-price\n\n"
                    % (o, admin, o, o))
            for u in range(per):
                dn = "uid=u%02d%06d,ou=users,%s" % (o, u, org)
                f.write("dn: %s\nobjectClass: inetOrgPerson\nobjectClass: umUser\n"
                        "uid: u%02d%06d\ncn: User %d\nsn: User\ngivenName: Bench\n"
                        "mail: u%d@example.com\npreferredLanguage: fr\numGender: female\n"
                        "umStatus: active\nuserPassword: %s\n\n" % (dn, o, u, u, u, h))
                f.write("dn: cn=emasspost@bench%02d,%s\nobjectClass: umGrant\n"
                        "cn: emasspost@bench%02d\numApplication: emasspost\n"
                        "umScope: bench%02d\numRight: product:letter\numRight: billing:B1\n"
                        "umRight: role:creation\n\n" % (o, dn, o, o))


class Server:
    def __init__(self, name, ldif, overlay):
        self.dir = tempfile.mkdtemp(prefix="portal-um-bench-%s-" % name)
        self.port = free_port()
        self.uri = "ldap://127.0.0.1:%d" % self.port
        env = dict(os.environ, UM_EXTRA_LDIF=ldif, UM_DEMO="0",
                   UM_NO_DELEGATE="0" if overlay else "1")
        t0 = time.time()
        subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "start", self.dir,
                        str(self.port)], check=True, env=env, capture_output=True)
        self.load_seconds = time.time() - t0
        self.pid = int(open(os.path.join(self.dir, "slapd.pid")).read())

    def cpu(self):
        f = open("/proc/%d/stat" % self.pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / TICK

    def stop(self):
        subprocess.run(["sh", os.path.join(TOP, "scripts", "instance.sh"), "stop", self.dir])
        shutil.rmtree(self.dir, ignore_errors=True)


def run(server, cmd, ops):
    c0, t0 = server.cpu(), time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    t1, c1 = time.time(), server.cpu()
    if r.returncode != 0:
        sys.exit("bench: %s failed: %s%s" % (cmd[0], r.stdout[-500:], r.stderr[-500:]))
    return ops / (t1 - t0), (c1 - c0) / ops * 1e6


def workloads(loops, adds):
    admin = "uid=badmin00,ou=users,o=bench00," + ORGS
    user = "uid=u00000001,ou=users,o=bench00," + ORGS
    grant = "cn=emasspost@bench00," + user

    def bind(s, i):
        return run(s, [os.path.join(PROGS, "slapd-bind"), "-H", s.uri, "-D", user, "-w", PW,
                       "-l", str(loops)], loops)

    def search(s, i):
        return run(s, [os.path.join(PROGS, "slapd-mtread"), "-H", s.uri, "-D", admin, "-w", PW,
                       "-e", user, "-m", "1", "-M", "0", "-c", "1", "-l", str(loops)], loops)

    def grant_modify(s, i):
        # each loop adds then deletes one value: two checked writes
        return run(s, [os.path.join(PROGS, "slapd-modify"), "-H", s.uri, "-D", admin, "-w", PW,
                       "-e", grant, "-a", "umRight:product:prior", "-l", str(loops // 4)],
                   2 * (loops // 4))

    def user_add(s, i):
        path = os.path.join(s.dir, "add%d.ldif" % i)
        with open(path, "w") as f:
            for u in range(adds):
                uid = "n%d_%d" % (i, u)
                f.write("dn: uid=%s,ou=users,o=bench00,%s\nobjectClass: inetOrgPerson\n"
                        "objectClass: umUser\nuid: %s\ncn: New %d\nsn: New\ngivenName: N\n"
                        "mail: %s@example.com\npreferredLanguage: nl\numGender: male\n"
                        "umStatus: active\nuserPassword: Temp-Pass-1\n\n" % (uid, ORGS, uid, u, uid))
        return run(s, ["ldapadd", "-x", "-H", s.uri, "-D", admin, "-w", PW, "-f", path], adds)

    def grant_add(s, i):
        path = os.path.join(s.dir, "grant%d.ldif" % i)
        with open(path, "w") as f:
            for u in range(adds):
                dn = "uid=n%d_%d,ou=users,o=bench00,%s" % (i, u, ORGS)
                f.write("dn: cn=emasspost@bench00,%s\nobjectClass: umGrant\n"
                        "cn: emasspost@bench00\numApplication: emasspost\numScope: bench00\n"
                        "umRight: product:letter\numRight: billing:B1\numRight: role:creation\n\n"
                        % dn)
        return run(s, ["ldapadd", "-x", "-H", s.uri, "-D", admin, "-w", PW, "-f", path], adds)

    def grant_refused(s, i):
        # the whole check (writer, target, holdings, catalogue) and then a
        # refusal by the subset rule, the last and costliest check: what the
        # check costs without the backend's write. (slapd-modify stops at the
        # first error, so python-ldap drives this one; the server's CPU time
        # is what is measured.)
        import ldap
        c = ldap.initialize(s.uri)
        c.simple_bind_s(admin, PW)
        mod = [(ldap.MOD_ADD, "umRight", [b"product:kilopost"])]
        c0, t0 = s.cpu(), time.time()
        for _ in range(loops):
            try:
                c.modify_s(grant, mod)
            except ldap.INSUFFICIENT_ACCESS:
                pass
            else:
                sys.exit("bench: an unheld right was accepted")
        t1, c1 = time.time(), s.cpu()
        c.unbind_s()
        return loops / (t1 - t0), (c1 - c0) / loops * 1e6

    return [("bind", bind), ("search", search), ("user add", user_add),
            ("grant add", grant_add), ("grant modify", grant_modify),
            ("grant refused", grant_refused)]


def compare(users, rounds, loops, adds):
    tmp = tempfile.mkdtemp(prefix="portal-um-bench-data-")
    ldif = os.path.join(tmp, "data.ldif")
    gen_ldif(ldif, users)
    a = Server("with", ldif, True)
    b = Server("without", ldif, False)
    results = {}
    try:
        for i in range(rounds):
            for name, fn in workloads(loops, adds):
                order = (("with", a), ("without", b)) if i % 2 == 0 else \
                    (("without", b), ("with", a))
                for label, srv in order:
                    if name == "grant refused" and label == "without":
                        continue  # nothing refuses without the overlay
                    ops, cpu = fn(srv, i)
                    results.setdefault(name, {}).setdefault(label, []).append((ops, cpu))
    finally:
        a.stop()
        b.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return results, a.load_seconds


def report(title, results):
    print("\n%s" % title)
    print("%-14s %11s %11s %9s %11s %11s %9s %10s" % ("workload", "ops/s with", "ops/s w/o",
          "ops ratio", "us/op with", "us/op w/o", "CPU ratio", "+us/op"))
    out = {}
    for name, r in results.items():
        ow = statistics.median(x[0] for x in r["with"])
        cw = statistics.median(x[1] for x in r["with"])
        if "without" not in r:
            out[name] = (cw, None)
            print("%-14s %11.0f %11s %9s %11.1f %11s %9s %10s" % (name, ow, "-", "-", cw, "-",
                  "-", "-"))
            continue
        ob = statistics.median(x[0] for x in r["without"])
        cb = statistics.median(x[1] for x in r["without"])
        out[name] = (cw, cb)
        print("%-14s %11.0f %11.0f %8.3fx %11.1f %11.1f %8.3fx %10.1f" % (
            name, ow, ob, ob / ow, cw, cb, cw / cb if cb else float("nan"), cw - cb))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loops", type=int, default=4000)
    ap.add_argument("--adds", type=int, default=500)
    args = ap.parse_args()
    for tool in ("slapd-bind", "slapd-mtread", "slapd-modify"):
        if not os.access(os.path.join(PROGS, tool), os.X_OK):
            sys.exit("bench: %s missing; run make bench (it builds tests/progs)" % tool)
    print("portal-um bench: %d rounds interleaved, medians; ratios are with/without the "
          "overlay (ops ratio: ops/s without / ops/s with, >1 = slower with)" % args.rounds)
    small, _ = compare(args.small, args.rounds, args.loops, args.adds)
    s = report("%d users" % args.small, small)
    large, load = compare(args.large, args.rounds, args.loops, args.adds)
    l = report("%d users (slapadd %.0f s)" % (args.large, load), large)
    print("\ngrant check cost, %d -> %d users (server CPU us/op):" % (args.small, args.large))
    name = "grant refused"
    print("  %-28s %8.1f -> %8.1f  (%+.1f%%)" % ("checked and refused write", s[name][0],
          l[name][0], (l[name][0] / s[name][0] - 1) * 100))
    for name in ("grant add", "grant modify", "user add"):
        print("  %-28s %8.1f -> %8.1f" % (name + ": overlay's share", s[name][0] - s[name][1],
              l[name][0] - l[name][1]))


if __name__ == "__main__":
    main()
