"""Parallel rcboot / rcshutdown / start ALL / stop ALL (-j N, issue 14).

Real LXC containers of the busybox release.  Parallelism is proven by
overlap, never by durations: a host hook at exec_prestart logs "pre TAG",
waits (a barrier, at most BARRIER seconds) until another jail's exec_prestart
has logged, then logs "pre-end TAG".  Two jails started together have
overlapping [pre, pre-end] intervals in the log; started one after the other
they never do (the first one's wait runs out alone).  Order constraints are
read from the log's line order: a dependency's exec_poststart ("post") comes
before its dependent's exec_prestart; at shutdown a dependent's
exec_poststop ("stopped") before its dependency's exec_prestop ("stopping").
"""
import os
import re
import subprocess

import pytest

from runhelp import host_state, jail, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")

BARRIER = 6

HOOK = r'''#!/usr/bin/python3
import os, sys, time
log = %r
ev, tag = sys.argv[1], sys.argv[2]
def add(line):
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, (line + "\n").encode())
    os.close(fd)
add(ev + " " + tag)
if ev == "pre":
    end = time.monotonic() + %d
    while time.monotonic() < end:
        lines = open(log).read().split("\n")
        if any(l.startswith("pre ") and l != "pre " + tag for l in lines):
            break
        time.sleep(0.05)
    add("pre-end " + tag)
'''


def hook(tmp_path):
    log = tmp_path / "events.log"
    h = tmp_path / "hook"
    h.write_text(HOOK % (str(log), BARRIER))
    h.chmod(0o755)
    log.write_text("")
    return str(h), log


def hooked(tag, h):
    return ("exec_prestart=%s pre %s" % (h, tag), "exec_poststart=%s post %s" % (h, tag),
            "exec_prestop=%s stopping %s" % (h, tag), "exec_poststop=%s stopped %s" % (h, tag))


def events(log):
    return log.read_text().splitlines()


def at(ev, line):
    assert line in ev, (line, ev)
    return ev.index(line)


def overlap(ev, a, b):
    """[pre a, pre-end a] and [pre b, pre-end b] share a moment in the log."""
    return at(ev, "pre " + a) < at(ev, "pre-end " + b) and \
        at(ev, "pre " + b) < at(ev, "pre-end " + a)


STARTED = re.compile(r"^(\S+) \([0-9a-f-]{36}\) (started, JID \S+|is already running .*)$")
STOPPED = re.compile(r"^(\S+) \([0-9a-f-]{36}\) (stopped|is not running)$")


def whole_lines(out, pattern, summary):
    """Every line of out is one jail's line, whole, or the summary (last)."""
    lines = out.splitlines()
    assert lines and lines[-1] == summary, out
    for line in lines[:-1]:
        assert pattern.match(line), (line, out)
    return [pattern.match(l).group(1) for l in lines[:-1]]


def test_rcboot_j2_priorities_and_dependencies(rel, tmp_path):
    h, log = hook(tmp_path)
    # priority 10: a, b, c (needs a); 20: d (needs b), e, f (needs g, priority 30)
    for tag, prio, dep in (("a", 10, None), ("b", 10, None), ("c", 10, "a"), ("d", 20, "b"),
                           ("e", 20, None), ("g", 30, None), ("f", 20, "g")):
        jail(rel, tag, "boot=on", "priority=%d" % prio, *(hooked(tag, h) +
             (("depends=" + dep,) if dep else ())))
    jail(rel, "manual")
    r = rel.run("rcboot", "-j", "2")
    assert r.rc == 0, r
    assert r.err == "", r
    tags = whole_lines(r.out, STARTED, "rcboot: 7 jails, 0 failed")
    assert sorted(tags) == ["a", "b", "c", "d", "e", "f", "g"], r.out
    for t in "abcdefg":
        assert state(rel, t) == "up"
    assert state(rel, "manual") == "down"
    ev = events(log)
    # dependencies are up before their dependents begin
    for dep, t in (("a", "c"), ("b", "d"), ("g", "f")):
        assert at(ev, "post " + dep) < at(ev, "pre " + t), ev
    # priority 10 is done before priority 20 begins (g joins f's priority)
    for first in "abc":
        for then in "defg":
            assert at(ev, "post " + first) < at(ev, "pre " + then), ev
    # the first two of priority 10 ran together
    assert overlap(ev, "a", "b"), ev
    rel.ok("rcshutdown", "-j", "2")


def test_overlap_with_j2_never_with_j1(rel, tmp_path):
    h, log = hook(tmp_path)
    ux = jail(rel, "x", "boot=on", "priority=10", *hooked("x", h))
    uy = jail(rel, "y", "boot=on", "priority=10", *hooked("y", h))
    # -j 1: one after the other, and the output is the serial run's, exactly
    r = rel.run("rcboot", "-j", "1")
    assert r.rc == 0 and r.err == "", r
    assert re.fullmatch(r"x \(%s\) started, JID \S+\ny \(%s\) started, JID \S+\n"
                        r"rcboot: 2 jails, 0 failed\n" % (ux, uy), r.out), r.out
    ev = events(log)
    assert not overlap(ev, "x", "y"), ev
    assert ev.index("post x") < ev.index("pre y"), ev
    log.write_text("")
    r = rel.run("rcshutdown", "-j", "1")
    assert r.rc == 0 and r.err == "", r
    assert r.out == ("y (%s) stopped\nx (%s) stopped\nrcshutdown: 2 jails, 0 failed\n"
                     % (uy, ux)), r.out
    assert events(log) == ["stopping y", "stopped y", "stopping x", "stopped x"]
    # -j 2: together
    log.write_text("")
    r = rel.run("rcboot", "-j", "2")
    assert r.rc == 0 and r.err == "", r
    assert sorted(whole_lines(r.out, STARTED, "rcboot: 2 jails, 0 failed")) == ["x", "y"]
    assert overlap(events(log), "x", "y"), events(log)
    r = rel.run("rcshutdown", "-j", "2")
    assert r.rc == 0, r
    assert sorted(whole_lines(r.out, STOPPED, "rcshutdown: 2 jails, 0 failed")) == ["x", "y"]
    assert state(rel, "x") == "down" and state(rel, "y") == "down"
    # start ALL -j 2 and stop ALL -j 2 the same way
    log.write_text("")
    r = rel.run("start", "-j", "2", "ALL")
    assert r.rc == 0 and r.err == "", r
    assert sorted(whole_lines(r.out, STARTED, "start: 2 of 2 jails done, 0 failed, 0 had "
                              "nothing to do")) == ["x", "y"]
    assert overlap(events(log), "x", "y"), events(log)
    r = rel.run("stop", "-j", "2", "ALL")
    assert r.rc == 0, r
    assert state(rel, "x") == "down" and state(rel, "y") == "down"
    if (os.cpu_count() or 1) >= 2:
        # without -j: as many at once as there are CPUs
        log.write_text("")
        rel.ok("rcboot")
        assert overlap(events(log), "x", "y"), events(log)
        rel.ok("rcshutdown")


def test_rcboot_j2_failure_stops_nothing_else(rel):
    ub = jail(rel, "bad", "boot=on", "priority=10")
    jail(rel, "dep", "boot=on", "priority=10", "depends=bad")
    jail(rel, "ok1", "boot=on", "priority=10")
    jail(rel, "late", "boot=on", "priority=20", "depends=bad")
    jail(rel, "ok2", "boot=on", "priority=20")
    # a pool from another host: this jail must not start here
    subprocess.run(["zfs", "set", "org.freebsd.iocage:hostid=0badc0de-0000-4000-8000-000000000000",
                    "%s/jails/%s" % (rel.name, ub)], check=True)
    r = rel.run("rcboot", "-j", "2")
    assert r.rc == 1, r
    err = r.err.splitlines()
    assert all(l.startswith("iocage: ") for l in err), r.err
    assert any(l.startswith("iocage: rcboot: bad: hostid mismatch, start failed: jail 'bad' "
                            "has hostid 0badc0de-") for l in err), r.err
    for t in ("dep", "late"):
        assert any(l.startswith("iocage: rcboot: %s: its dependency 'bad' failed: hostid "
                                "mismatch" % t) for l in err), r.err
    assert err[-1] == "iocage: rcboot: 3 of 5 jails failed", r.err
    assert sorted(whole_lines(r.out, STARTED, "rcboot: 5 jails, 3 failed")) == ["ok1", "ok2"]
    for t in ("ok1", "ok2"):
        assert state(rel, t) == "up"
    for t in ("bad", "dep", "late"):
        assert state(rel, t) == "down"
    r = rel.run("rcshutdown", "-j", "2")
    assert r.rc == 0, r
    for t in ("ok1", "ok2"):
        assert state(rel, t) == "down"


def test_rcshutdown_j2_dependents_first(rel, tmp_path):
    h, log = hook(tmp_path)
    for tag, prio, dep in (("db", 10, None), ("web", 10, "db"), ("api", 20, "db"),
                           ("front", 30, "web"), ("solo", 20, None)):
        jail(rel, tag, "boot=on", "priority=%d" % prio, *(hooked(tag, h) +
             (("depends=" + dep,) if dep else ())))
    rel.ok("rcboot", "-j", "2")
    log.write_text("")
    r = rel.run("rcshutdown", "-j", "2")
    assert r.rc == 0 and r.err == "", r
    assert sorted(whole_lines(r.out, STOPPED, "rcshutdown: 5 jails, 0 failed")) == \
        ["api", "db", "front", "solo", "web"]
    ev = events(log)
    for t, dep in (("web", "db"), ("api", "db"), ("front", "web")):
        assert at(ev, "stopped " + t) < at(ev, "stopping " + dep), ev
    # descending priority: 30, then 20, then 10
    for first, then in (("front", "api"), ("front", "solo"), ("api", "web"), ("solo", "db"),
                        ("solo", "web"), ("api", "db")):
        assert at(ev, "stopped " + first) < at(ev, "stopping " + then), ev
    for t in ("db", "web", "api", "front", "solo"):
        assert state(rel, t) == "down"


@pytest.mark.parametrize("args,cmd,verb,val", [
    (("rcboot", "-j", "0"), "rcboot", "start", "0"),
    (("rcboot", "-j", "x"), "rcboot", "start", "x"),
    (("rcboot", "-j257"), "rcboot", "start", "257"),
    (("rcshutdown", "-j", "-1"), "rcshutdown", "stop", "-1"),
    (("start", "-j", "0", "ALL"), "start", "start", "0"),
    (("stop", "-j", "two", "ALL"), "stop", "stop", "two"),
    (("restart", "-j", "", "ALL"), "restart", "start", ""),
])
def test_bad_jobs_refused_nothing_changed(rel, args, cmd, verb, val):
    jail(rel, "r1", "boot=on")
    jail(rel, "r2", "boot=on")
    rel.ok("start", "r2")
    st = rel.zfs_state()
    before = host_state(rel)
    err = rel.fail(*args, rc=2)
    assert err == ("iocage: %s: invalid value '%s' for -j: expected the number of jails to %s "
                   "at once, 1 to 256 (1: one after the other)\n" % (cmd, val, verb)), err
    assert state(rel, "r1") == "down" and state(rel, "r2") == "up"
    assert rel.zfs_state() == st
    assert host_state(rel) == before
    err = rel.fail("rcboot", "-j", rc=2)
    assert err == "iocage: rcboot: option '-j' needs a value\n", err
    err = rel.fail("rcboot", "extra", rc=2)
    assert err == "iocage: usage: iocage rcboot [-j N]\n", err
    rel.ok("stop", "r2")
