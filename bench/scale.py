#!/usr/bin/python3
"""make bench-scale (issue 10): one machine, 1k to 1M users. For each size:
bench/gen.py's data loaded once by slapadd (timed) and copied, the callgrind
counts with and without the overlay on the two copies (bench/callgrind.py),
then on the first copy a native slapd: bench.py's workloads once, slapd's
peak RSS, provisiond's first full reconcile and a second one with nothing
to change (time from its log, peak RSS from /proc). One table at the end,
also written to bench/results/.

    bench/scale.py [SIZE ...]          (default 1000 100000 1000000)
    --first-projection-max N           (default 100000) above N users the
        data is loaded already projected (gen.py --projected): the first
        projection from nothing is hours of slapd commits there, and the
        first provisiond run only writes the catalogue
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import callgrind  # noqa: E402
import gen  # noqa: E402

WORKLOADS = ["bind", "search", "user add", "grant add", "grant modify", "grant refused"]


def du_mb(path):
    out = subprocess.run(["du", "-sk", path], capture_output=True, text=True).stdout
    return int(out.split()[0]) / 1024.0


def provisiond_run(server, name, timeout):
    """one provisiond until its first full reconcile is done: figures"""
    proc, log, wall = bench.start_provisiond(server, name, timeout, verbose=True)
    rss = bench.proc_mb(proc.pid)
    proc.terminate()
    proc.wait(60)
    text = open(log).read()
    done = re.findall(r"reconcile: done in (\d+) ms", text)
    changes = re.findall(r"reconcile: (\d+) changes to apply", text)
    read = re.findall(r"reconcile: read .* in (\d+) ms", text)
    return {"wall_s": round(wall, 1), "reconcile_s": int(done[-1]) / 1000.0 if done else None,
            "read_s": int(read[-1]) / 1000.0 if read else None,
            "changes": int(changes[-1]) if changes else None, "rss_mb": round(rss, 1),
            "log": log}


def one_size(users, work, args):
    r = {"users": users, "projected": users > args.first_projection_max}
    d = tempfile.mkdtemp(prefix="scale-%d-" % users, dir=work)
    ldif = os.path.join(d, "data.ldif")
    t0 = time.time()
    r["entries"] = gen.write(ldif, users, r["projected"])
    r["gen_s"] = round(time.time() - t0, 1)
    print("== %d users: %d entries generated in %.0f s" % (users, r["entries"], r["gen_s"]),
          flush=True)
    dirs = {"with": os.path.join(d, "with"), "without": os.path.join(d, "without")}
    env = dict(os.environ, UM_EXTRA_LDIF=ldif, UM_DEMO="0", UM_NO_DELEGATE="0")
    t0 = time.time()
    subprocess.run(["sh", os.path.join(bench.TOP, "scripts", "instance.sh"), "setup",
                    dirs["with"]], check=True, env=env)
    r["slapadd_s"] = round(time.time() - t0, 1)
    os.unlink(ldif)
    os.unlink(os.path.join(dirs["with"], "load.ldif"))
    r["db_mb"] = round(du_mb(os.path.join(dirs["with"], "data")))
    print("   slapadd %.0f s, database %d MB" % (r["slapadd_s"], r["db_mb"]), flush=True)
    subprocess.run(["cp", "-a", dirs["with"], dirs["without"]], check=True)
    cg = callgrind.measure(None, dirs, args.loops, args.adds)
    shutil.rmtree(dirs["without"], ignore_errors=True)
    r["callgrind"] = cg
    callgrind.report(cg, users)
    s = bench.Server("scale", None, True, dirs["with"])
    try:
        for name, fn in bench.workloads(args.loops // 4, args.adds // 4):
            fn(s, 1)
        r["slapd_rss_workload_mb"] = round(bench.proc_mb(s.pid), 1)
        r["first"] = provisiond_run(s, "first", args.timeout)
        print("   provisiond first run: %s" % r["first"], flush=True)
        r["steady"] = provisiond_run(s, "steady", args.timeout)
        print("   provisiond, nothing to change: %s" % r["steady"], flush=True)
        r["slapd_rss_mb"] = round(bench.proc_mb(s.pid), 1)
        r["slapd_anon_mb"] = round(bench.proc_mb(s.pid, "RssAnon"), 1)
    finally:
        s.stop()
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)
    return r


def machine():
    mem = open("/proc/meminfo").readline().split()[1]
    disk = subprocess.run(["df", "-h", "--output=source,size", bench.TOP], capture_output=True,
                          text=True).stdout.split("\n")[1]
    return "%d CPUs, %.1f GiB, %s, %s, disk %s" % (
        os.cpu_count(), int(mem) / 1048576.0, os.uname().release,
        open("/etc/debian_version").read().strip(), " ".join(disk.split()))


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def table(results):
    sizes = [r["users"] for r in results]
    lines = ["| | " + " | ".join("%s users" % format(n, ",") for n in sizes) + " |",
             "|---" * (len(sizes) + 1) + "|"]

    def row(label, cells):
        lines.append("| %s | %s |" % (label, " | ".join(cells)))

    row("entries loaded", [format(r["entries"], ",") for r in results])
    row("generate / slapadd -q", ["%.0f s / %.0f s" % (r["gen_s"], r["slapadd_s"])
                                  for r in results])
    row("database (data.mdb)", ["%d MB" % r["db_mb"] for r in results])
    for w in WORKLOADS:
        cells = []
        for r in results:
            c = r["callgrind"].get(w, {})
            if "without" in c:
                cells.append("%.3fx (%s)" % (c["with"] / c["without"],
                                             format(int(c["with"]), ",")))
            else:
                cells.append(format(int(c["with"]), ",") if "with" in c else "-")
        row("callgrind %s: ratio (instr. with)" % w, cells)
    row("slapd peak RSS after the workloads", ["%.0f MB" % r["slapd_rss_workload_mb"]
                                               for r in results])
    row("slapd peak RSS after the reconciles (heap)",
        ["%.0f MB (%s)" % (r["slapd_rss_mb"], fmt(r.get("slapd_anon_mb"), "%.0f MB"))
         for r in results])
    row("provisiond first run: reconcile (changes)",
        ["%s s (%s)%s" % (fmt(r["first"]["reconcile_s"]), r["first"]["changes"],
                          " projected by gen.py" if r["projected"] else "") for r in results])
    row("provisiond first run: peak RSS", ["%.0f MB" % r["first"]["rss_mb"] for r in results])
    row("reconcile, nothing to change (read)",
        ["%s s (%s s), %s changes" % (fmt(r["steady"]["reconcile_s"]),
                                       fmt(r["steady"]["read_s"]), r["steady"]["changes"])
         for r in results])
    row("provisiond peak RSS, nothing to change", ["%.0f MB" % r["steady"]["rss_mb"]
                                                   for r in results])
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", type=int, nargs="*", default=[1000, 100000, 1000000])
    ap.add_argument("--first-projection-max", type=int, default=100000)
    ap.add_argument("--loops", type=int, default=2000)
    ap.add_argument("--adds", type=int, default=200)
    ap.add_argument("--timeout", type=int, default=4 * 3600, help="per provisiond run, s")
    ap.add_argument("--work", default=os.environ.get("TMPDIR", "/tmp"),
                    help="where the databases go (several GB at 1M)")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    ap.add_argument("--table", nargs="+", metavar="JSON",
                    help="only print one table of these runs' results (bench/results/)")
    args = ap.parse_args()
    if args.table:
        results = [r for path in args.table for r in json.load(open(path))["results"]]
        print(table(sorted(results, key=lambda r: r["users"])))
        return
    os.makedirs(os.path.join(bench.TOP, "bench", "results"), exist_ok=True)
    out = os.path.join(bench.TOP, "bench", "results",
                       "scale-%s" % time.strftime("%Y%m%d-%H%M%S"))
    head = "portal-um bench-scale, %s\nmachine: %s\n" % (time.strftime("%Y-%m-%d %H:%M"),
                                                          machine())
    print(head, flush=True)
    results = []
    for n in args.sizes:
        results.append(one_size(n, args.work, args))
        # after each size: a long run keeps what it measured
        with open(out + ".json", "w") as f:
            json.dump({"machine": machine(), "results": results}, f, indent=1)
        with open(out + ".md", "w") as f:
            f.write(head + "\n" + table(results) + "\n")
    print("\n" + table(results))
    print("\nwritten to %s.md and .json" % out)


if __name__ == "__main__":
    main()
