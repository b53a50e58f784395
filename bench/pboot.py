#!/usr/bin/python3
"""Parallel vs serial boot: `rcboot -j 1` against `rcboot -j N` (N: online
CPUs, or BENCH_PBOOT_J), and the same for `rcshutdown`, on BENCH_PBOOT_JAILS
(default 8) thin boot=on jails of the busybox release, no network, one
priority.  Two kinds of jail: plain ones (the start is iocage's and liblxc's
own work) and ones whose exec_poststart waits 0.5 s on the host (a service
that takes time to come up, which is where starting jails together pays).
Medians of BENCH_REPS runs (default 7).  Appends a "## Parallel boot"
section to bench/RESULTS.md.

The user namespace's subordinate ids come from the test suite's registry
(tests/runhelp.py), so a test session sharing the host keeps its line.
"""
import os
import statistics
import sys

from common import REPS, BenchRoot, once, run, write_section

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))
from runhelp import subids_enter, subids_leave  # noqa: E402

JAILS = int(os.environ.get("BENCH_PBOOT_JAILS", "8"))
J = int(os.environ.get("BENCH_PBOOT_J", str(os.cpu_count() or 2)))


def med(xs):
    return statistics.median(xs)


def pair(io, jobs):
    """Seconds of one rcboot and one rcshutdown with -j jobs."""
    up = once(io + ["rcboot", "-j", str(jobs)])
    down = once(io + ["rcshutdown", "-j", str(jobs)])
    return up, down


def measure(io):
    res = {}
    for jobs in (1, J):
        ups, downs = [], []
        for _ in range(REPS):
            u, d = pair(io, jobs)
            ups.append(u)
            downs.append(d)
        res[jobs] = (med(ups), med(downs))
    return res


def main():
    lock = subids_enter()
    try:
        with BenchRoot("iocbenchpb", size_gb=4, subids=False) as b:
            io = b.io
            run(io + ["set", "interfaces=none", "default"])
            for i in range(JAILS):
                run(io + ["create", "-c", "release=bb", "tag=p%d" % i, "boot=on"])
            plain = measure(io)
            # a hook gets the container's name appended: a program of its own
            hook = os.path.join(b.work, "slow-service")
            with open(hook, "w") as f:
                f.write("#!/usr/bin/python3\nimport time\ntime.sleep(0.5)\n")
            os.chmod(hook, 0o755)
            for i in range(JAILS):
                run(io + ["set", "exec_poststart=" + hook, "p%d" % i])
            slow = measure(io)
    finally:
        subids_leave(lock)
    rows = []
    for kind, r in (("plain", plain), ("exec_poststart sleeps 0.5 s", slow)):
        for i, op in enumerate(("rcboot", "rcshutdown")):
            rows.append((kind, op, r[1][i], r[J][i]))
    for row in rows:
        print("%-28s %-10s -j 1 %.2f s  -j %d %.2f s  speed-up %.2f" %
              (row[0], row[1], row[2], J, row[3], row[2] / row[3]))
    out = ["%d thin boot=on jails of the busybox release, one priority, no network, "
           "unprivileged; `-j 1` (one after the other, as before -j) against `-j %d`; "
           "medians of %d runs, the optimised binary `./iocage`, %d online CPUs.  Each jail "
           "is started or stopped by a forked worker; what a start waits for (zfs-fuse "
           "answering, liblxc, the hooks) overlaps.\n" % (JAILS, J, REPS, os.cpu_count() or 0),
           "| jails | command | -j 1 s | -j %d s | speed-up |" % J, "|---|---|---|---|---|"]
    for kind, op, a, b in rows:
        out.append("| %s | `%s` | %.2f | %.2f | %.2f |" % (kind, op, a, b, a / b))
    out.append("")
    out.append(os.environ.get("BENCH_NOTE", "Run on a quiet machine."))
    write_section("Parallel boot: rcboot -j 1 vs -j N", out)


if __name__ == "__main__":
    main()
