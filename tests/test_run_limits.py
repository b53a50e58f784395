"""Linux engine resource limits (rlimits=on): cgroup v1 or v2 as the host runs
them; memoryuse, maxproc, pcpu, openfiles, cpuset; refusal of limits with no
Linux analogue at set time; cap/uncap/inuse/limits."""
import pytest

from runhelp import cgroup_dirs, host_state, jail, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")




def test_limit_without_linux_analogue_is_refused_at_set(rel):
    jail(rel, "n")
    st = rel.zfs_state()
    err = rel.fail("set", "swapuse=1G:deny", "n")
    assert "resource limit 'swapuse' has no Linux analogue" in err
    assert "memoryuse, pcpu, maxproc, openfiles" in err
    err = rel.fail("create", "-c", "release=bb", "tag=n2", "nthr=10:deny")
    assert "resource limit 'nthr' has no Linux analogue" in err
    assert rel.zfs_state() == st
    rel.ok("set", "swapuse=off", "n")  # off is always fine


def test_memory_limit_kills_a_process_over_it(rel):
    jail(rel, "mem", "rlimits=on", "memoryuse=32M:deny")
    rel.ok("start", "mem")
    # dd holds a 64M buffer: over the limit, the kernel kills it
    r = rel.run("exec", "mem", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
    assert r.rc == 137, r
    r = rel.run("exec", "mem", "dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=1")
    assert r.rc == 0, r
    rows = dict(l.split("\t") for l in rel.ok("inuse", "-H", "mem").splitlines())
    assert int(rows["memoryuse"]) > 0 and int(rows["maxproc"]) >= 1
    # without a name: every running jail's, its tag first (1.7.6 lib/ioc-rctl
    # __rctl_inuse_all listed the running jails' consumption); a stopped jail has none
    jail(rel, "idle")
    every = [l.split("\t") for l in rel.ok("inuse", "-H").splitlines()]
    assert [x[1] for x in every if x[0] == "mem"] == list(rows), every
    assert not [x for x in every if x[0] == "idle"], every
    assert rel.ok("inuse", "-l").splitlines()[0].split() == ["TAG", "RESOURCE", "USE"]
    # without -l, -H or --json: the shell iocage's layouts (1.7.6 lib/ioc-rctl
    # __rctl_inuse: a heading and NAME=VALUE lines; __rctl_inuse_all: CSV with
    # UUID,TAG first, one line a running jail)
    one = rel.ok("inuse", "mem").splitlines()
    assert one[:2] == ["Consumed resources:", "-------------------"], one
    assert [ln.split("=", 1)[0] for ln in one[2:]] == list(rows), one
    csv = [ln.split(",") for ln in rel.ok("inuse").splitlines()]
    assert csv[0] == ["UUID", "TAG"] + list(rows), csv
    assert [c[:2] for c in csv[1:] if c[1] == "mem"] == [[rel.jails()["mem"], "mem"]], csv
    assert not [c for c in csv[1:] if c[1] == "idle"], csv
    assert "usage: iocage inuse" in rel.fail("inuse", "mem", "idle", rc=2)
    # limits: 1.7.6 lib/ioc-rctl __rctl_list's lines, the rules in force in the
    # running jail (rctl -h's RESOURCE:ACTION=AMOUNT) and its CPU set; without
    # a name every running jail's rules as `rctl` prints them, plain units
    uuid = rel.jails()["mem"]
    lim = rel.ok("limits", "mem").splitlines()
    assert lim[:2] == ["* Active limits for jail: %s" % uuid, "  - memoryuse:deny=32M"], lim
    assert len(lim) == 3 and lim[2].startswith("* CPU set:  0"), lim
    assert rel.ok("limits", "idle") == "* Active limits for jail: %s\n" % rel.jails()["idle"]
    every = rel.ok("limits").splitlines()
    assert every[0] == "* All active limits:" and \
        "jail:ioc-%s:memoryuse:deny=33554432" % uuid in every[1:], every
    assert not [ln for ln in every if rel.jails()["idle"] in ln], every
    # uncap lifts it on the running jail, cap puts it back
    rel.ok("uncap", "mem")
    assert rel.run("exec", "mem", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M",
                   "count=1").rc == 0
    rel.ok("cap", "mem")
    assert rel.run("exec", "mem", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M",
                   "count=1").rc == 137


def test_fork_bomb_stops_at_maxproc(rel):
    jail(rel, "fb", "rlimits=on", "maxproc=20:deny")
    rel.ok("start", "fb")
    # 40 sleepers asked for; the pids limit lets at most 20 tasks exist
    r = rel.run("exec", "fb", "sh", "-c",
                "i=0; while [ $i -lt 40 ]; do sleep 60 >/dev/null 2>&1 </dev/null & "
                "i=$((i+1)); done; echo done")
    assert "fork" in r.err.lower() or "resource temporarily unavailable" in r.err.lower(), r
    rows = dict(l.split("\t") for l in rel.ok("inuse", "-H", "fb").splitlines())
    n = int(rows["maxproc"])
    assert 5 < n <= 20, rows


def test_openfiles_and_pcpu_and_cpuset(rel):
    jail(rel, "of", "rlimits=on", "openfiles=100:deny", "pcpu=50:deny", "cpuset=0")
    rel.ok("start", "of")
    assert rel.ok("exec", "of", "sh", "-c", "ulimit -n").strip() == "100"
    assert rel.ok("exec", "of", "cat", "/proc/self/status").count("Cpus_allowed_list:\t0\n") == 1


def test_rlimits_off_applies_nothing(rel):
    jail(rel, "off", "memoryuse=32M:deny")
    rel.ok("start", "off")
    r = rel.run("exec", "off", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
    assert r.rc == 0, r
    rows = [l.split("\t") for l in rel.ok("limits", "-H", "off").splitlines()]
    d = {r[0]: r[1:] for r in rows}
    assert d["memoryuse"] == ["32M:deny", "no (rlimits=off)"]
    assert d["rlimits"][0] == "off"


def test_limits_leave_no_cgroups(rel):
    u = jail(rel, "cg", "rlimits=on", "memoryuse=64M:deny", "maxproc=50:deny")
    before = host_state(rel)
    rel.ok("start", "cg")
    assert [d for d in cgroup_dirs() if "lxc.payload.ioc-" + u in d]
    rel.ok("stop", "cg")
    assert host_state(rel) == before
