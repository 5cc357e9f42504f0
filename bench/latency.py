#!/usr/bin/python3
"""Grant-to-group latency (issue 4): an administrator grants e-MassPost's
creation role at a steady rate (default 100 writes/s) and a watcher asks
slapd, by compare, when the user is a member of cn=emasspost-creation, the
group provisiond projects. Reports p50/p99 from the write's answer to the
membership. Part of make bench."""
import argparse
import os
import shutil
import statistics
import sys
import threading
import time

import ldap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

GROUP = "cn=emasspost-creation,ou=groups," + bench.gen.SUFFIX


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--writes", type=int, default=500)
    args = ap.parse_args()
    # loaded as projected: the latency of a portal in service, not of
    # provisiond's first projection (514 s at 100k users, README)
    tmp, ldif = bench.temp_ldif(args.users, "latency", projected=True)
    server = bench.Server("latency", ldif, True)
    proc, _, _ = bench.start_provisiond(server)
    admin, org = bench.gen.BENCH_ADMIN, bench.gen.BENCH_ORG
    writer = ldap.initialize(server.uri)
    writer.simple_bind_s(admin, bench.PW)
    watcher = ldap.initialize(server.uri)
    watcher.simple_bind_s(server_root(server), server_pw(server))
    # the active non-administrators of the bench organisation whose
    # e-MassPost grant holds role:creation
    base = "ou=users,o=%s,%s" % (org, bench.ORGS)
    active = {dn.lower() for dn, _ in watcher.search_s(
        base, ldap.SCOPE_ONELEVEL, "(&(umStatus=active)(!(umManage=admins))(!(umManage=users)))", ["1.1"])}
    users = sorted(dn.split(",", 1)[1] for dn, _ in watcher.search_s(
        base, ldap.SCOPE_SUBTREE, "(&(cn=emasspost@%s)(umRight=role:creation))" % org, ["1.1"])
        if dn.split(",", 1)[1].lower() in active)[:args.writes]
    latencies = []
    try:
        # the bench data gives users product/billing/creation: take the role
        # away first so that granting it is a change provisiond must project
        for u in users:
            writer.modify_s("cn=emasspost@%s,%s" % (org, u),
                            [(ldap.MOD_DELETE, "umRight", [b"role:creation"])])
        for u in users:
            while watcher.compare_s(GROUP, "member", u.encode()):
                time.sleep(0.01)
        period = 1.0 / args.rate
        start = time.time()
        pending = []
        lock = threading.Lock()
        done = threading.Event()

        def watch():
            c = ldap.initialize(server.uri)
            c.simple_bind_s(server_root(server), server_pw(server))
            while not done.is_set() or pending:
                with lock:
                    todo = list(pending)
                for u, t0 in todo:
                    if c.compare_s(GROUP, "member", u.encode()):
                        with lock:
                            pending.remove((u, t0))
                        latencies.append(time.time() - t0)
                time.sleep(0.002)

        t = threading.Thread(target=watch)
        t.start()
        for i, u in enumerate(users):
            due = start + i * period
            if due > time.time():
                time.sleep(due - time.time())
            writer.modify_s("cn=emasspost@%s,%s" % (org, u),
                            [(ldap.MOD_ADD, "umRight", [b"role:creation"])])
            with lock:
                pending.append((u, time.time()))
        done.set()
        t.join(60)
    finally:
        proc.terminate()
        proc.wait(30)
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print("\ngrant-to-group latency, %d grants at %.0f/s (%d users): p50 %.0f ms, p99 %.0f ms, "
          "max %.0f ms" % (len(latencies), args.rate, args.users, p(0.50), p(0.99), p(1.0)))


def server_root(server):
    return "cn=admin," + bench.gen.SUFFIX


def server_pw(server):
    with open(os.path.join(server.dir, "secrets")) as f:
        for line in f:
            if line.startswith("UM_ROOTPW="):
                return line.strip().split("=", 1)[1]


if __name__ == "__main__":
    main()
