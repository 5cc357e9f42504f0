#!/usr/bin/python3
"""Corporate sync figures (issue 9, DESIGN §6): the initial import of N
users from a corporate slapd (target: 100k in <= 120 s) and, in syncrepl
mode, how long an upstream change takes to be in the portal (target
<= 2 s). A portal instance (scripts/instance.sh, no demo) and a corporate
slapd (tests/integration/test_sync.py's Corp) on free loopback ports, in a
temp dir. Run by `make bench` (bench/run.sh), never by `make test`.

    /usr/bin/python3 bench/sync.py --users 100000 [--changes 50]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import ldap

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import test_sync  # noqa: E402
from conftest import Provisiond, free_port, start_instance, stop_instance  # noqa: E402
from helpers import make_org  # noqa: E402


def count(directory, org_id):
    c = directory.root()
    try:
        n = 0
        ctrl = ldap.controls.SimplePagedResultsControl(True, size=5000, cookie="")
        base = "ou=users,o=%s,ou=organizations,%s" % (org_id, directory.suffix)
        while True:
            msgid = c.search_ext(base, ldap.SCOPE_ONELEVEL, "(umSource=corp)", ["1.1"],
                                 serverctrls=[ctrl])
            _, data, _, ctrls = c.result3(msgid)
            n += len(data)
            pc = [x for x in ctrls if x.controlType == ctrl.controlType]
            if not pc or not pc[0].cookie:
                return n
            ctrl.cookie = pc[0].cookie
    finally:
        c.unbind_s()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=100000)
    ap.add_argument("--changes", type=int, default=50)
    a = ap.parse_args()
    test_sync.NUSERS = a.users
    tmp = tempfile.mkdtemp(prefix="portal-um-bench-sync-")
    corp = directory = None
    try:
        t = time.time()
        corp = test_sync.Corp(os.path.join(tmp, "corp"))
        corp.start()
        print("corporate directory: %d users loaded in %.1f s" % (a.users, time.time() - t))
        directory = start_instance(os.path.join(tmp, "portal"), free_port(), {"UM_DEMO": "0"})
        root = directory.root()
        org_id = make_org(root, prefix="corp")
        root.unbind_s()
        p = Provisiond(directory, os.path.join(tmp, "portal", "provisiond"))
        directory.provisiond = p
        p.start()
        with open(p.conf, "a") as f:
            f.write(test_sync.sources_yaml(corp, org_id, interval=86400))
        since = p.log_size()
        t = time.time()
        p.send(signal.SIGHUP)
        p.wait_log(r"source corp: \d+ upstream", since, timeout=3600)
        took = time.time() - t
        n = count(directory, org_id)
        print("initial import (poll mode): %d users in %.1f s (%.0f users/s); target 100k <= 120 s"
              % (n, took, n / took))
        since = p.log_size()
        t = time.time()
        p.send(signal.SIGHUP)
        p.wait_log(r"source corp: \d+ upstream", since, timeout=3600)
        print("a run with nothing to change: %.1f s" % (time.time() - t))
        # syncrepl: latency of one upstream change
        p.write_conf()
        with open(p.conf, "a") as f:
            f.write(test_sync.sources_yaml(corp, org_id, mode="syncrepl", interval=86400))
        since = p.log_size()
        p.send(signal.SIGHUP)
        p.wait_log(r"source corp: sync (started|resumed)", since, timeout=3600)
        p.wait_log(r"source corp: \d+ upstream", since, timeout=3600)
        c = corp.conn()
        root = directory.root()
        lat = []
        for i in range(a.changes):
            value = "Bench%d" % i
            dn = "uid=%s,ou=users,o=%s,ou=organizations,%s" % (test_sync.corp_uid(i), org_id,
                                                               directory.suffix)
            t = time.time()
            c.modify_s("cn=Person %d,%s" % (i, test_sync.PEOPLE),
                       [(ldap.MOD_REPLACE, "sn", [value.encode()])])
            while root.search_s(dn, ldap.SCOPE_BASE, attrlist=["sn"])[0][1]["sn"][0].decode() != value:
                time.sleep(0.01)
            lat.append(time.time() - t)
            time.sleep(0.3)
        lat.sort()
        p99 = lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))]
        print("syncrepl: upstream change visible in the portal: p50 %.2f s, p99 %.2f s, "
              "max %.2f s (%d changes, %d users); target <= 2 s"
              % (statistics.median(lat), p99, lat[-1], len(lat), a.users))
        p.stop()
    finally:
        if corp is not None:
            corp.stop()
        if directory is not None:
            stop_instance(directory.path)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
