#!/usr/bin/python3
"""Instructions per operation inside slapd, with and without the delegate
overlay, counted by valgrind's callgrind: the same figure whatever else the
machine does (2 shared cores make timings vary by ~10%). Part of make bench.

Each server runs under callgrind; its counters are zeroed before and dumped
after each workload (callgrind_control), so only the workload is counted.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import shutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def dump_total(server, tag):
    subprocess.run(["callgrind_control", "-d", tag, str(server.pid)], check=True,
                   capture_output=True)
    files = sorted(glob.glob(os.path.join(server.dir, "callgrind.out.%d.*" % server.pid)),
                   key=os.path.getmtime)
    total = None
    with open(files[-1]) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    return total


COUNT = {"bind": lambda l, a: l, "search": lambda l, a: l, "user add": lambda l, a: a,
         "grant add": lambda l, a: a, "grant modify": lambda l, a: 2 * (l // 4),
         "grant refused": lambda l, a: l}


def measure(ldif=None, dirs=None, loops=2000, adds=200):
    """{workload: {"with": instructions per op, "without": ...}}: slapd
    loaded from `ldif`, or on the instance directories dirs["with"] and
    dirs["without"] already loaded (bench/scale.py)"""
    results = {}
    for label, overlay in (("with", True), ("without", False)):
        # the counts go to a directory of their own, read after each dump
        srv_dir = tempfile.mkdtemp(prefix="portal-um-cg-%s-" % label)
        os.environ["UM_SLAPD_WRAPPER"] = ("valgrind --tool=callgrind "
                                          "--callgrind-out-file=%s/callgrind.out.%%p" % srv_dir)
        try:
            s = bench.Server(label, ldif, overlay, dirs[label] if dirs else None)
        finally:
            os.environ.pop("UM_SLAPD_WRAPPER", None)
        s.dir, real_dir = srv_dir, s.dir
        try:
            for name, fn in bench.workloads(loops, adds):
                if name == "grant refused" and label == "without":
                    continue  # nothing refuses without the overlay
                subprocess.run(["callgrind_control", "-z", str(s.pid)], check=True,
                               capture_output=True)
                s.dir = real_dir
                ops = fn(s, 0)
                s.dir = srv_dir
                results.setdefault(name, {})[label] = (dump_total(s, name.replace(" ", "-")) /
                                                       COUNT[name](loops, adds))
                del ops
        finally:
            s.dir = real_dir
            s.stop()
            shutil.rmtree(srv_dir, ignore_errors=True)
    return results


def report(results, users):
    print("\ninstructions per operation in slapd (callgrind, %d users)" % users)
    print("%-14s %14s %14s %10s" % ("workload", "with", "without", "ratio"))
    for name, r in results.items():
        w, wo = r.get("with"), r.get("without")
        print("%-14s %14.0f %14s %10s" % (name, w, "%.0f" % wo if wo else "-",
                                          "%.3fx" % (w / wo) if wo else "-"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--loops", type=int, default=2000)
    ap.add_argument("--adds", type=int, default=200)
    args = ap.parse_args()
    tmp, ldif = bench.temp_ldif(args.users, "callgrind")
    try:
        results = measure(ldif, None, args.loops, args.adds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, args.users)


if __name__ == "__main__":
    main()
