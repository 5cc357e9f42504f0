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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PROGS = os.path.join(TOP, "build", "openldap", "tests", "progs")
ORGS = gen.ORGS
PW = gen.PW
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def temp_ldif(users, prefix, projected=False):
    """bench/gen.py's data in a new temporary directory: (directory, LDIF);
    projected: with the groups and attributes provisiond would write"""
    tmp = tempfile.mkdtemp(prefix="portal-um-%s-" % prefix)
    ldif = os.path.join(tmp, "data.ldif")
    gen.write(ldif, users, projected)
    return tmp, ldif


class Server:
    """a portal slapd (scripts/instance.sh): loaded from `ldif` in a
    directory of its own, or started on an instance directory already
    loaded (`dir`, kept at stop)"""

    def __init__(self, name, ldif, overlay, dir=None):
        self.owned = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="portal-um-bench-%s-" % name)
        self.port = free_port()
        self.uri = "ldap://127.0.0.1:%d" % self.port
        env = dict(os.environ, UM_EXTRA_LDIF=ldif or "", UM_DEMO="0",
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
        if self.owned:
            shutil.rmtree(self.dir, ignore_errors=True)


def proc_mb(pid, key="VmHWM"):
    """a size of /proc/PID/status in MiB: VmHWM (peak resident), RssAnon
    (heap: resident and not file pages, e.g. of a mapped database)"""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return None


def provisiond_conf(server):
    """config/provisiond.yaml.in for this server: the path written"""
    conf = os.path.join(server.dir, "provisiond.yaml")
    with open(os.path.join(TOP, "config", "provisiond.yaml.in")) as f:
        text = f.read()
    for k, v in {"@URI@": server.uri, "@SUFFIX@": gen.SUFFIX, "@RUN@": server.dir,
                 "@RIGHTS@": os.path.join(TOP, "config", "rights.yaml")}.items():
        text = text.replace(k, v)
    with open(conf, "w") as f:
        f.write(text)
    return conf


def start_provisiond(server, name="provisiond", timeout=600, verbose=False):
    """provisiond against `server`, returned once its first full reconcile
    is done ("in sync with"): (process, its log's path, seconds taken)"""
    log = os.path.join(server.dir, name + ".log")
    cmd = [os.path.join(TOP, "build", "provisiond"), "-d", "-f", provisiond_conf(server)]
    t0 = time.time()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd + (["-v"] if verbose else []), stdout=out,
                                stderr=subprocess.STDOUT)
    while time.time() < t0 + timeout:
        if "in sync with" in open(log).read():
            return proc, log, time.time() - t0
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    sys.exit("bench: provisiond did not get in sync: %s" % open(log).read()[-2000:])


def run(server, cmd, ops):
    c0, t0 = server.cpu(), time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    t1, c1 = time.time(), server.cpu()
    if r.returncode != 0:
        sys.exit("bench: %s failed: %s%s" % (cmd[0], r.stdout[-500:], r.stderr[-500:]))
    return ops / (t1 - t0), (c1 - c0) / ops * 1e6


def workloads(loops, adds):
    admin, user, grant = gen.BENCH_ADMIN, gen.BENCH_USER, gen.BENCH_GRANT
    org = gen.BENCH_ORG

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
                f.write("dn: uid=%s,ou=users,o=%s,%s\nobjectClass: inetOrgPerson\n"
                        "objectClass: umUser\nuid: %s\ncn: New %d\nsn: New\ngivenName: N\n"
                        "mail: %s@example.com\npreferredLanguage: nl\numGender: male\n"
                        "umStatus: active\nuserPassword: Temp-Pass-1\n\n"
                        % (uid, org, ORGS, uid, u, uid))
        return run(s, ["ldapadd", "-x", "-H", s.uri, "-D", admin, "-w", PW, "-f", path], adds)

    def grant_add(s, i):
        path = os.path.join(s.dir, "grant%d.ldif" % i)
        with open(path, "w") as f:
            for u in range(adds):
                dn = "uid=n%d_%d,ou=users,o=%s,%s" % (i, u, org, ORGS)
                f.write("dn: cn=emasspost@%s,%s\nobjectClass: umGrant\n"
                        "cn: emasspost@%s\numApplication: emasspost\numScope: %s\n"
                        "umRight: product:letter\numRight: billing:B1\numRight: role:creation\n\n"
                        % (org, dn, org, org))
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
    tmp, ldif = temp_ldif(users, "bench-data")
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
