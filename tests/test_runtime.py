"""Linux engine: real LXC containers from the busybox release.

Lifecycle (start/stop/restart, states, JID), exec/console/chroot/runtime,
hooks, rcboot/rcshutdown, destroy -f, user namespaces.  Every test cleans up
what it starts (the root fixture destroys the datasets; containers are
stopped here first).
"""
import os
import pty
import re
import select
import subprocess
import time

import pytest

from conftest import iocage_bin
from runhelp import host_state, jail, jid, rootfs, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")




def test_start_exec_stop(rel):
    u = jail(rel, "web")
    before = host_state(rel)
    assert state(rel, "web") == "down" and jid(rel, "web") == "-"
    out = rel.ok("start", "web")
    assert "web (%s) started, JID" % u in out
    assert state(rel, "web") == "up"
    pid = jid(rel, "web")
    assert pid.isdigit() and os.path.exists("/proc/" + pid)
    lst = [l.split("\t") for l in rel.ok("list", "-H").splitlines()]
    assert [l[0] for l in lst if l[4] == "web"] == [pid]
    assert [l[3] for l in lst if l[4] == "web"] == ["up"]
    # the jail's init is ioc-init, the jail's root is its dataset
    r = rel.run("exec", "web", "cat", "/proc/1/cmdline")
    assert r.rc == 0 and r.out.startswith("/dev/.ioc-init"), r
    assert rel.ok("exec", "web", "cat", "/etc/hostname") == "busybox\n"
    assert rel.ok("exec", "web", "hostname").strip() == u
    # exit status propagated, no message of ours
    r = rel.run("exec", "web", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (r.rc, r.out, r.err) == (7, "out\n", "err\n")
    r = rel.run("exec", "web", "nosuchprog")
    assert r.rc == 127 and "nosuchprog: no such program in jail 'web'" in r.err
    # only 0, 1, 2 reach a command inside (every fd of ours is close-on-exec)
    fds = rel.ok("exec", "web", "ls", "/proc/self/fd").split()
    assert sorted(fds) == ["0", "1", "2", "3"], fds  # 3: ls's own directory fd
    init_fds = os.listdir("/proc/%s/fd" % pid)
    assert len(init_fds) <= 3, init_fds
    assert "web (%s) stopped" % u in rel.ok("stop", "web")
    assert state(rel, "web") == "down" and jid(rel, "web") == "-"
    assert not os.path.exists("/proc/" + pid) or "ioc-init" not in open(
        "/proc/%s/cmdline" % pid).read()
    assert host_state(rel) == before


def test_start_running_and_stop_stopped_are_messages(rel):
    jail(rel, "a")
    jail(rel, "b")
    rel.ok("start", "a")
    r = rel.run("start", "a", "b")
    assert r.rc == 0, r
    assert "a (" in r.out and "is already running" in r.out
    assert "b (" in r.out and "started" in r.out
    assert state(rel, "b") == "up"
    rel.ok("stop", "a")
    r = rel.run("stop", "a", "b")
    assert r.rc == 0 and "is not running" in r.out and "stopped" in r.out, r
    assert state(rel, "a") == "down" and state(rel, "b") == "down"


def test_unknown_name_changes_nothing(rel):
    jail(rel, "a")
    r = rel.run("start", "a", "nosuch")
    assert r.rc == 1 and "no jail named 'nosuch'" in r.err
    assert state(rel, "a") == "down"


def test_template_is_never_started(rel):
    jail(rel, "t", thin=False)
    rel.ok("set", "template=yes", "t")
    r = rel.run("start", "t")
    assert r.rc == 1 and "is a template" in r.err, r
    r = rel.run("start", "ALL")
    assert r.rc == 0 and "no jails" in r.out, r


def test_exec_start_runs_and_jail_persists(rel):
    u = jail(rel, "p", "exec_start=/bin/touch /tmp/started")
    rel.ok("start", "p")
    assert os.path.exists(os.path.join(rootfs(rel, u), "tmp", "started"))
    assert state(rel, "p") == "up"
    last = rel.ok("get", "last_started", "p").strip()
    assert last != "none" and last.startswith("20")


def test_exec_start_missing_program_is_clear(rel):
    jail(rel, "m", "exec_start=/usr/sbin/nosuchd -f")
    before = host_state(rel)
    r = rel.run("start", "m")
    assert r.rc == 1
    assert "exec_start: program '/usr/sbin/nosuchd' does not exist in the jail" in r.err, r
    assert state(rel, "m") == "down"
    assert host_state(rel) == before


def test_exec_start_failure_undoes_start(rel):
    jail(rel, "f", "exec_start=/bin/false")
    before = host_state(rel)
    r = rel.run("start", "f")
    assert r.rc == 1 and "exec_start '/bin/false' failed with status 1" in r.err, r
    assert state(rel, "f") == "down"
    assert host_state(rel) == before


def test_exec_users(rel):
    jail(rel, "u")
    rel.ok("start", "u")
    assert rel.ok("exec", "-U", "nobody", "u", "id", "-u").strip() == "65534"
    assert rel.ok("exec", "u", "id", "-u").strip() == "0"
    assert rel.ok("exec", "-u", "root", "u", "id", "-u").strip() == "0"
    r = rel.run("exec", "-U", "nosuchuser", "u", "id")
    assert r.rc == 1 and "no user 'nosuchuser' in the jail's /etc/passwd" in r.err
    r = rel.run("exec", "-u", "root", "-U", "root", "u", "id")
    assert r.rc == 2 and "exclude each other" in r.err


def test_exec_needs_running_jail(rel):
    jail(rel, "s")
    r = rel.run("exec", "s", "true")
    assert r.rc == 1 and "jail 's' is not running" in r.err


def test_hooks_run_on_host_with_name_and_path(rel, tmp_path):
    """Host hooks get the container's name and the root path after their own
    words, and run in "/": never in the directory iocage was called from."""
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook"
    hook.write_text("#!/usr/bin/python3\nimport os, sys\n"
                    "open(%r, 'a').write(' '.join([os.getcwd()] + sys.argv[1:]) + '\\n')\n"
                    % str(log))
    hook.chmod(0o755)
    props = ["exec_%s=%s %s" % (h, hook, h) for h in ("prestart", "poststart", "prestop",
                                                     "poststop")]
    u = jail(rel, "h", *props)
    rel.ok("start", "h")
    rel.ok("stop", "h")
    lines = log.read_text().splitlines()
    rp = rootfs(rel, u)
    assert lines == ["/ %s ioc-%s %s" % (h, u, rp) for h in ("prestart", "poststart", "prestop",
                                                             "poststop")]


def test_failing_prestart_starts_nothing(rel):
    jail(rel, "pf", "exec_prestart=/bin/false")
    before = host_state(rel)
    r = rel.run("start", "pf")
    assert r.rc == 1 and "exec_prestart '/bin/false' failed with status 1" in r.err, r
    assert state(rel, "pf") == "down"
    assert host_state(rel) == before


def test_default_hooks_start_no_process(rel, tmp_path):
    """A host hook left at its default (/usr/bin/true) or set to none is not
    run at all (issue 12: no process for a no-op); before, start and stop ran
    /usr/bin/true four times, and none on Linux was refused as a relative
    command.  IOC_FAULT_TRACE (test builds) records every program the spawn
    layer starts."""
    jail(rel, "nh", "exec_prestop=none")
    for cmd in ("start", "stop"):
        trace = tmp_path / ("trace-" + cmd)
        rel.ok(cmd, "nh", env={"IOC_FAULT_TRACE": str(trace)})
        lines = trace.read_text().splitlines() if trace.exists() else []
        # stop of a lone jail, the root named, starts no program at all (runrec.h)
        assert (lines or cmd == "stop") and not [
            ln for ln in lines if "/usr/bin/true" in ln or " none" in ln], lines
        # a named root is verified by the first load, not by a probe of its own
        # (which the engine's re-execution from a sealed copy made twice)
        assert not [ln for ln in lines if "active,mountpoint" in ln], lines
    assert state(rel, "nh") == "down"


def test_trace_times_every_step_of_start_and_stop(rel):
    """IOC_TRACE=1 (issue 12: "measure each step"): a timing line on stderr for
    each step of the Linux engine's start (its step table, in order), each
    phase of stop, each program the spawn layer runs and the command as a
    whole; nothing without it.  Times are printed, never asserted."""
    jail(rel, "tr")
    steps = ["check", "rundir", "macs", "files", "exec_prestart", "container", "host macs", "nat",
             "dhcp", "exec_start", "exec_poststart", "last_started"]
    pat = re.compile(r"^iocage: trace: +[0-9.]+ ms  (.*) \([0-9.]+ ms\)$")
    r = rel.run("start", "tr", env={"IOC_TRACE": "1"})
    assert r.rc == 0, r
    lines = [pat.match(ln) for ln in r.err.splitlines()]
    assert all(lines), r.err
    what = [m.group(1) for m in lines]
    assert [w.split(": step ", 1)[1] for w in what if ": step " in w] == steps, what
    assert what[-1] == "command start: done", what
    assert [w for w in what if w.startswith("run zfs ")], what  # the last_started write
    r = rel.run("stop", "tr", env={"IOC_TRACE": "1"})
    assert r.rc == 0, r
    what = [pat.match(ln).group(1) for ln in r.err.splitlines()]
    phases = [w.split(": ", 1)[1] for w in what if w.startswith("stop ioc-")]
    assert [p.split(" (")[0] for p in phases] == [
        "exec_prestop and exec_stop", "shutdown", "liblxc's monitor gone",
        "cgroups and run directory removed", "exec_poststop"], what
    assert what[-1] == "command stop: done", what
    # silent without it
    assert rel.run("start", "tr").err == "" and rel.run("stop", "tr").err == ""


def test_restart_changes_jid(rel):
    jail(rel, "r")
    rel.ok("start", "r")
    j1 = jid(rel, "r")
    out = rel.ok("restart", "r")
    assert "stopped" in out and "started" in out
    j2 = jid(rel, "r")
    assert j2.isdigit() and j2 != j1


def test_destroy_running(rel):
    u = jail(rel, "d")
    rel.ok("start", "d")
    r = rel.run("destroy", "d")
    assert r.rc == 1 and "is running" in r.err
    out = rel.ok("destroy", "-f", "d")
    assert "stopped" in out and "destroyed" in out
    assert not os.path.exists("/var/run/iocage/lxc/ioc-" + u)


def test_rcboot_rcshutdown_order_and_failures(rel, tmp_path):
    log = tmp_path / "order.log"
    hook = tmp_path / "hook"
    hook.write_text("#!/usr/bin/python3\nimport sys\nopen(%r, 'a').write(sys.argv[1] + '\\n')\n"
                    % str(log))
    hook.chmod(0o755)
    for tag, prio in (("late", "50"), ("early", "10"), ("mid", "20")):
        jail(rel, tag, "boot=on", "priority=" + prio, "exec_poststart=%s start-%s" % (hook, tag),
             "exec_poststop=%s stop-%s" % (hook, tag))
    jail(rel, "broken", "boot=on", "priority=15", "exec_start=/nonexistent")
    jail(rel, "manual")
    r = rel.run("rcboot")
    assert r.rc == 1, r
    assert "rcboot: broken: exec_start: program '/nonexistent' does not exist" in r.err
    assert "rcboot: 4 jails, 1 failed" in r.out
    assert log.read_text().split() == ["start-early", "start-mid", "start-late"]
    assert state(rel, "manual") == "down" and state(rel, "broken") == "down"
    log.write_text("")
    r = rel.run("rcshutdown")
    assert r.rc == 0, r
    assert log.read_text().split() == ["stop-late", "stop-mid", "stop-early"]
    for t in ("early", "mid", "late"):
        assert state(rel, t) == "down"


def test_chroot_runs_without_starting(rel):
    jail(rel, "c")
    r = rel.run("chroot", "c", "cat", "/etc/hostname")
    assert r.rc == 0 and r.out == "busybox\n", r
    r = rel.run("chroot", "c", "sh", "-c", "exit 3")
    assert r.rc == 3
    assert state(rel, "c") == "down"
    out = subprocess.run([iocage_bin(), "help", "chroot"], capture_output=True, text=True).stdout
    assert "in the jail's user namespace" in out and "host privileges" in out


def test_runtime_shows_live_parameters(rel):
    u = jail(rel, "rt")
    r = rel.run("runtime", "rt")
    assert r.rc == 1 and "not running" in r.err
    rel.ok("start", "rt")
    out = rel.ok("runtime", "-H", "rt")
    rows = [l.split("\t") for l in out.splitlines()]
    d = {}
    for k, v in rows:
        d.setdefault(k, []).append(v)
    assert d["name"] == ["ioc-" + u]
    assert d["init_pid"] == [jid(rel, "rt")]
    assert d["lxc.rootfs.path"][0].endswith(rootfs(rel, u))
    assert "u 0 100000 65536" in d["lxc.idmap"]
    # without -l, -H or --json: the shell iocage's lines, "  NAME=VALUE" (1.7.6
    # lib/ioc-info __runtime printed jls -n's words so); -l: the table
    legacy = rel.ok("runtime", "rt").splitlines()
    assert legacy == ["  %s=%s" % (k, v) for k, v in rows], legacy
    assert rel.ok("runtime", "-l", "rt").splitlines()[0].split() == ["PARAMETER", "VALUE"]


def _pty_session(argv, script, timeout=60):
    """Runs argv on a new PTY; answers the shell's cursor query, types the
    script once a prompt shows, returns (output, exit status)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    sent = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        if b"\x1b[6n" in data:
            os.write(fd, b"\x1b[24;1R")
        if not sent and b"# " in out:
            os.write(fd, script)
            sent = True
    else:
        os.kill(pid, 9)
    _, st = os.waitpid(pid, 0)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(st)


def test_console_login_shell_on_a_pty(rel):
    jail(rel, "con")
    rel.ok("start", "con")
    text, rc = _pty_session([iocage_bin(), "-r", rel.name, "console", "con"],
                            b"echo tty=$(tty) sum=$((40+2)) user=$(id -un); exit\n")
    assert "sum=42" in text and "user=root" in text, text
    assert "tty=/dev/pts/" in text, text
    assert rc == 0


def test_console_needs_a_terminal(rel):
    jail(rel, "nc")
    r = rel.run("console", "nc")
    assert r.rc == 1 and "console needs a terminal" in r.err


def test_killed_start_is_recovered_by_stop_and_start(rel, tmp_path):
    """kill -9 of `iocage start` while exec_poststart runs (the container is up):
    the next stop recovers the jail and leaves nothing behind."""
    hook = tmp_path / "slow"
    hook.write_text("#!/usr/bin/python3\nimport time\ntime.sleep(30)\n")
    hook.chmod(0o755)
    jail(rel, "k", "exec_poststart=%s" % hook)
    before = host_state(rel)
    p = subprocess.Popen([iocage_bin(), "-r", rel.name, "start", "k"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if state(rel, "k") == "up":
                break
            time.sleep(0.1)
        assert state(rel, "k") == "up"
    finally:
        p.kill()
        p.wait()
    assert p.returncode == -9
    assert "already running" in rel.ok("start", "k")
    assert rel.ok("get", "last_started", "k").strip() == "none"
    rel.ok("stop", "k")
    assert state(rel, "k") == "down"
    assert host_state(rel) == before


@pytest.mark.serial
@pytest.mark.parametrize("cmd", ["start", "stop"])
def test_killed_at_every_step_of_start_and_stop(rel, tmp_path, cmd):
    """SIGKILL before each external command of start (or stop) in turn: the
    next stop and start recover, and nothing is left on the host.  Serial: a
    stop reads every jail's dependencies only while another container runs on
    the host, so another test's container changes the number of steps."""
    hook = tmp_path / "hook"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    jail(rel, "ks", "exec_prestart=%s" % hook, "exec_poststop=%s" % hook)
    before = host_state(rel)

    def started():
        rel.ok("start", "ks")
        # a set forgets the properties start saved: stop takes the path that
        # reads ZFS, whose every step is walked here (the record's path runs
        # only the hook; test_runrec covers it)
        rel.ok("set", "exec_poststop=%s" % hook, "ks")
    if cmd == "stop":
        started()
    else:
        # the tag's name hint is written by the first start: every later one
        # (each of the walk) reads the jail alone, one step fewer
        rel.ok("start", "ks")
        rel.ok("stop", "ks")
    tf = tmp_path / "trace"
    rel.ok(cmd, "ks", env={"IOC_FAULT_TRACE": str(tf)})
    # numbered per process: the command re-executes itself from a sealed copy
    # (and counts from 1 again) before it enters the jail
    steps = max(int(l.split()[0]) for l in tf.read_text().splitlines())
    assert steps >= 3
    for n in range(1, steps + 1):
        if cmd == "stop":
            started()
        r = rel.run(cmd, "ks", env={"IOC_FAULT_KILL": str(n)})
        assert r.rc in (-9, 137), r
        rel.run("stop", "-f", "ks")
        assert state(rel, "ks") == "down"
        rel.ok("start", "ks")
        assert state(rel, "ks") == "up"
        rel.ok("stop", "ks")
        assert host_state(rel) == before, "after a kill at step %d of %s" % (n, cmd)


def test_start_racing_destroy_leaves_neither_container_nor_dataset(rel):
    """start NAME takes the jail's lock before it reads the jail (one ZFS
    read less than a look after the lock): a destroy -f racing it either
    comes first (start finds no such jail) or after (the jail started, and
    destroy -f stops it); no container, dataset or record is left."""
    lxcpath = "/var/run/iocage/lxc"
    for trial in range(4):
        u = jail(rel, "sr")
        p1 = subprocess.Popen([iocage_bin(), "-r", rel.name, "start", "sr"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p2 = subprocess.Popen([iocage_bin(), "-r", rel.name, "destroy", "-f", "sr"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        o1, e1 = p1.communicate(timeout=300)
        o2, e2 = p2.communicate(timeout=300)
        assert p2.returncode == 0, e2
        assert p1.returncode == 0 or "no jail named 'sr'" in e1 or \
            "destroyed meanwhile" in e1, (trial, o1, e1)
        assert rel.jails() == {}, trial
        running = subprocess.run(["lxc-ls", "-P", lxcpath, "--running"],
                                 capture_output=True, text=True).stdout.split()
        assert "ioc-" + u not in running, trial
        assert not os.path.exists(os.path.join("/var/run/iocage/running",
                                               rel.name.replace("/", "%2F"), u)), trial
