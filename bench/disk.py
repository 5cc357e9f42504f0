#!/usr/bin/python3
"""What this machine's disk gives a back-mdb commit (issue 9): a commit
writes the B-tree pages an add touched, scattered over the file, then
fdatasync. This loop does the same (N random 4 KiB pages, then fdatasync)
with one writer and with two on two files, the portal's and accesslog's
commits of one add. Run by `make bench` (bench/run.sh) before the import
figures, so that they can be read against it.

    /usr/bin/python3 bench/disk.py [--commits 1000] [--pages 30 15]
"""
import argparse
import multiprocessing
import os
import random
import shutil
import tempfile
import time

FILE_PAGES = 20000  # 80 MiB: past the pages a commit may touch


def writer(path, commits, pages):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, bytes(4096 * FILE_PAGES), 0)
        os.fsync(fd)
        page = os.urandom(4096)
        t = time.monotonic()
        for _ in range(commits):
            for p in random.sample(range(FILE_PAGES), pages):
                os.pwrite(fd, page, p * 4096)
            os.fdatasync(fd)
        return time.monotonic() - t
    finally:
        os.close(fd)


def commits_per_second(tmp, writers, commits, pages):
    with multiprocessing.Pool(writers) as pool:
        took = pool.starmap(writer, [(os.path.join(tmp, "w%d" % i), commits, pages)
                                     for i in range(writers)])
    return writers * commits / max(took)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--pages", type=int, nargs="+", default=[30, 15])
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="portal-um-bench-disk-", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        for pages in a.pages:
            one = commits_per_second(tmp, 1, a.commits, pages)
            two = commits_per_second(tmp, 2, a.commits, pages)
            print("disk: %d random pages + fdatasync: %.0f commits/s (%.2f ms each) with one "
                  "writer, %.0f/s with two (x%.2f)" % (pages, one, 1000 / one, two, two / one))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
