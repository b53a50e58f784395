#!/usr/bin/python3
"""Runtime benchmark: iocage start/exec/stop vs LXC's own tools on the same
busybox release and pool, and the whole thin-jail lifecycle.

LXC side: an equivalent unprivileged container (same rootfs as a zfs clone,
same id map, no network, the same init: iocage's ioc-init, bind-mounted at
/dev/.ioc-init, halted by SIGTERM) driven as the issue names it: start is
`lxc-start -d` then `lxc-wait -s RUNNING`, exec `lxc-attach`, stop
`lxc-stop` with iocage's grace period (30 s, a clean SIGTERM shutdown), with
its own lxcpath in a temporary directory.
`lxc-copy -s` needs an overlay or LXC-managed zfs backing store, which this
pool (zfs-fuse) does not give it, so LXC's lifecycle uses `zfs clone` +
`zfs destroy` for the copy — the same storage step iocage uses.
Appends a "## Runtime" section to bench/RESULTS.md.
"""
import os
import re
import statistics
import subprocess
import time

from common import PREFIX, REPO, REPS, BenchRoot, destroy, once, run, write_section

GRACE = "30"   # iocage's stop_timeout: lxc-stop gets the same
TARGET = {"start": "≤ 1.5", "exec true": "≤ 1.3 and < 20 ms", "stop": "≤ 1.5",
          "lifecycle": "≤ 1.3"}


def med(xs):
    return statistics.median(xs) * 1e3


def main():
    t = once
    with BenchRoot("iocbenchrt", size_gb=4, subids=True) as b:
        root, io, snap, work = b.root, b.io, b.snap, b.work
        lxcpath = os.path.join(work, "lxc")
        os.makedirs(lxcpath)
        try:
            bench(b, root, io, snap, lxcpath, t)
        finally:
            subprocess.run(["lxc-stop", "-P", lxcpath, "-n", "bench", "-k"], capture_output=True)


def bench(b, root, io, snap, lxcpath, t):
    run(io + ["set", "interfaces=none", "default"])
    # iocage: start / exec / stop of one thin jail
    u = run(io + ["create", "-c", "release=bb", "tag=r"]).stdout.split()[0]
    st, ex, sp = [], [], []
    for _ in range(REPS):
        st.append(t(io + ["start", "r"]))
        for _ in range(3):
            ex.append(t(io + ["exec", "r", "/bin/true"]))
        sp.append(t(io + ["stop", "r"]))
    # what ZFS alone costs a start: one read of the jail and its root dataset
    # (the properties a start reads), one write of a property (last_started)
    jds = "%s/jails/%s" % (root, u)
    zget = [t(["zfs", "get", "-H", "-p", "-d", "1", "-o", "name,property,value,source",
               "mountpoint,%stag,%srelease" % (PREFIX, PREFIX), jds]) for _ in range(REPS)]
    zset = [t(["zfs", "set", "%slast_started=%s" % (PREFIX, time.strftime("%F %T")), jds])
            for _ in range(REPS)]
    # LXC: the same rootfs as a clone, an equivalent container
    clone = root + "/lxcbench"
    run(["zfs", "clone", snap, clone])
    rootfs = run(["zfs", "get", "-H", "-o", "value", "mountpoint", clone]).stdout.strip()
    cdir = os.path.join(lxcpath, "bench")
    os.makedirs(cdir)
    conf = ["lxc.uts.name = bench", "lxc.rootfs.path = dir:" + rootfs,
            "lxc.idmap = u 0 100000 65536", "lxc.idmap = g 0 100000 65536",
            "lxc.net.0.type = empty", "lxc.init.cmd = /dev/.ioc-init",
            "lxc.mount.entry = %s dev/.ioc-init none bind,ro,create=file 0 0"
            % os.path.join(REPO, "ioc-init"),
            "lxc.signal.halt = SIGTERM",
            "lxc.mount.auto = proc:mixed sys:mixed", "lxc.autodev = 1"]
    if not os.path.exists("/sys/kernel/security/apparmor"):
        conf.append("lxc.apparmor.profile = unconfined")
    with open(os.path.join(cdir, "config"), "w") as f:
        f.write("\n".join(conf) + "\n")
    lx = ["-P", lxcpath, "-n", "bench"]
    lst, lex, lsp = [], [], []
    for _ in range(REPS):
        s = time.perf_counter()
        run(["lxc-start"] + lx + ["-d"])
        run(["lxc-wait"] + lx + ["-s", "RUNNING", "-t", "10"])
        lst.append(time.perf_counter() - s)
        for _ in range(3):
            lex.append(t(["lxc-attach"] + lx + ["--", "/bin/true"]))
        lsp.append(t(["lxc-stop"] + lx + ["-t", GRACE]))
    # lifecycle: create, start, exec true, stop, destroy
    lio, llx = [], []
    for i in range(REPS):
        s = time.perf_counter()
        run(io + ["create", "-c", "release=bb", "tag=l%d" % i])
        run(io + ["start", "l%d" % i])
        run(io + ["exec", "l%d" % i, "/bin/true"])
        run(io + ["stop", "l%d" % i])
        run(io + ["destroy", "-f", "l%d" % i])
        lio.append(time.perf_counter() - s)
        s = time.perf_counter()
        ds = root + "/lxcl%d" % i
        run(["zfs", "clone", snap, ds])
        run(["lxc-start"] + lx + ["-d"])
        run(["lxc-wait"] + lx + ["-s", "RUNNING", "-t", "10"])
        run(["lxc-attach"] + lx + ["--", "/bin/true"])
        run(["lxc-stop"] + lx + ["-t", GRACE])
        destroy(ds)
        llx.append(time.perf_counter() - s)
    rows = [("start", med(st), med(lst)), ("exec true", med(ex), med(lex)),
            ("stop", med(sp), med(lsp)), ("lifecycle", med(lio), med(llx))]
    for r in rows:
        print("%-10s iocage %.1f ms  lxc %.1f ms  ratio %.2f" % (r[0], r[1], r[2], r[1] / r[2]))
    steps = trace_steps(io, "r")
    pct = exec_percentiles(io, "r", lx)
    write(rows, steps, pct, (med(zget), med(zset), med(lst)))


STARTUP = ("The rows above are whole processes, the trace's `command` line is the command after its start-up: a start or exec starts iocage twice (the command, then its own sealed memory copy with LXC_MEMFD_REXEC set, which liblxc accepts as its CVE-2019-5736 copy instead of making a third), about 1 ms each since libcurl, libarchive and libcrypto are opened only by the commands that use them (linked, they cost 3.4 ms a process until 2026-12-05); until 2026-12-05 liblxc made its own copy and the exec measured 40 ms.  Since 2026-12-05 the copy holds only the program's segments (0.6 MB, not the 2.2 MB file with its symbols and debug information: exec 7.3 -> 5.8 ms), and a lone stop, the root named, makes it only when its exec_stop enters the jail (this busybox jail has none: stop 9.5 -> 6.3 ms side by side). The rest is zfs-fuse: each `zfs get`/`zfs set` is a process and a daemon round trip.  Since the tag index (2026-12-05) a name is found by its entry, not by a read of every jail's tag, and a stop while no other container runs reads no other jail's dependencies.  Since 2026-12-05 such a stop, the root named, reads no ZFS at all: the properties start saved beside the run-time record (docs/runtime-record.md).  What is left of start is ZFS: the jail, read alone under its lock (since 2026-12-05 through the tag's name hint in the run directory; the first start of a tag also reads its index entry), and the write of `last_started` (overlapping that write with the container's start was tried twice and dropped: a thread running while liblxc forks its monitor can leave the monitor deadlocked; a `zfs set` process started before the container only moved the wait: zfs-fuse served the container's first file reads after that write's transaction, the container step grew from 10.8 to 20.3 ms and the start as a whole gained nothing).")

TRACE = re.compile(r"^iocage: trace: +[0-9.]+ ms  (.*) \(([0-9.]+) ms\)$")


def trace_steps(io, tag):
    """Medians of each IOC_TRACE line of start and stop (steps, phases, the
    programs run, the command), REPS runs; names keep their order."""
    env = dict(os.environ, IOC_TRACE="1")
    cost, order = {}, []
    for _ in range(REPS):
        for cmd in ("start", "stop"):
            r = subprocess.run(io + [cmd, tag], capture_output=True, text=True, env=env)
            for line in r.stderr.splitlines():
                m = TRACE.match(line)
                if not m:
                    continue
                what = re.sub(r"ioc-[0-9a-f-]{36}", "JAIL", m.group(1))
                what = re.sub(r"iocbench[a-z]+[0-9]+", "POOL", what)
                what = re.sub(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}", "DATE", what)
                what = re.sub(r"/\S+/(jails|releases)/\S+", "...", what)
                key = (cmd, what)
                if key not in cost:
                    cost[key] = []
                    order.append(key)
                cost[key].append(float(m.group(2)))
    return [(c, w, statistics.median(cost[(c, w)])) for c, w in order]


def exec_percentiles(io, tag, lx, n=200):
    run(io + ["start", tag])
    a = sorted(once(io + ["exec", tag, "/bin/true"]) * 1e3 for _ in range(n))
    run(io + ["stop", tag])
    run(["lxc-start"] + lx + ["-d"])
    run(["lxc-wait"] + lx + ["-s", "RUNNING", "-t", "10"])
    b = sorted(once(["lxc-attach"] + lx + ["--", "/bin/true"]) * 1e3 for _ in range(n))
    run(["lxc-stop"] + lx + ["-t", GRACE])
    p = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]
    return n, p(a, 0.5), p(a, 0.99), p(b, 0.5), p(b, 0.99)


def write(rows, steps, pct, floor):
    load = os.getloadavg()[0]
    out = ["Run on %s, load average %.2f when it ended (other work on the machine makes "
           "every figure larger, the zfs-fuse calls most).  " % (time.strftime("%Y-%m-%d"), load) +
           "Same busybox release, same pool, unprivileged (root = host uid 100000), no network; "
           "medians of %d runs (exec: of %d).  LXC side, as issue 12 names it: an equivalent "
           "container with the same init (ioc-init, halted by SIGTERM); start = `lxc-start -d` "
           "then `lxc-wait -s RUNNING`, exec = `lxc-attach -- /bin/true`, stop = `lxc-stop -t "
           "%s` (the same grace period: a clean shutdown, as iocage's); its lifecycle copies "
           "with `zfs clone` (`lxc-copy -s` needs a backing store this pool does not give it).  "
           "iocage's start returns when the jail is up and its hooks have run; its stop runs "
           "`exec_stop` first.\n" % (REPS, REPS * 3, GRACE),
           "| operation | iocage ms | LXC ms | ratio | target |", "|---|---|---|---|---|"]
    for name, a, b in rows:
        out.append("| %s | %.1f | %.1f | %.2f | %s |" % (name, a, b, a / b, TARGET[name]))
    n, a50, a99, b50, b99 = pct
    zg, zs, ls = floor
    out += ["", "The floor of a start on this pool: `lxc-start -d` + `lxc-wait` (%.1f ms), one "
            "raw `zfs get` of the jail and its root (%.1f ms: which jail, its properties, that "
            "it is not destroyed meanwhile) and one raw `zfs set` of a property (%.1f ms: "
            "`last_started`, which the shell iocage writes at every start; on zfs-fuse a "
            "property write is a transaction the daemon syncs before it answers) = %.1f ms, "
            "a ratio of %.2f before iocage does anything of its own." %
            (ls, zg, zs, ls + zg + zs, (ls + zg + zs) / ls)]
    out += ["", "`exec /bin/true` into the running jail, %d runs each: iocage p50 %.1f ms, p99 "
            "%.1f ms; `lxc-attach` p50 %.1f ms, p99 %.1f ms." % (n, a50, a99, b50, b99),
            "", "Where the time of start and stop goes (`IOC_TRACE=1`, medians of %d runs; "
            "steps and phases include the programs they run, which are also listed on their "
            "own; `command` is the whole command after argument parsing):" % REPS, "",
            "| command | step, phase or program | ms |", "|---|---|---|"]
    for cmd, what, ms in steps:
        out.append("| %s | %s | %.1f |" % (cmd, what.replace("|", "\\|"), ms))
    out += ["", STARTUP, ""]
    write_section("Runtime: iocage vs LXC's own tools", out)


if __name__ == "__main__":
    main()
