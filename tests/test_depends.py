"""The depends property (issue 14): boot dependencies between jails.

Real LXC containers of the busybox release.  `start` starts what a jail
depends on first (recursively, running ones left alone) and refuses a cycle
or a missing dependency before anything starts; a dependency that fails keeps
its dependents down; `stop` refuses a jail running jails need unless `-f`,
which stops them first; `set`/`create` refuse self, missing and cyclic
dependencies and change nothing; rcboot/rcshutdown keep priorities but put
dependencies first at boot and dependents first at shutdown.
"""
import subprocess

import pytest

from runhelp import host_state, jail, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


def hook(tmp_path):
    """A host hook that logs its one argument: the order jails start and stop in."""
    log = tmp_path / "order.log"
    h = tmp_path / "hook"
    h.write_text("#!/usr/bin/python3\nimport sys\nopen(%r, 'a').write(sys.argv[1] + '\\n')\n"
                 % str(log))
    h.chmod(0o755)
    return str(h), log


def logged(tag, h):
    return ("exec_poststart=%s start-%s" % (h, tag), "exec_prestop=%s stop-%s" % (h, tag))


def test_start_starts_dependencies_first(rel, tmp_path):
    h, log = hook(tmp_path)
    jail(rel, "db", *logged("db", h))
    jail(rel, "cache", *logged("cache", h))
    jail(rel, "app", "depends=db,cache", *logged("app", h))
    jail(rel, "web", "depends=app", *logged("web", h))
    jail(rel, "other")
    assert rel.ok("get", "depends", "app") == "db,cache\n"
    assert rel.ok("get", "depends", "db") == "none\n"
    out = rel.ok("start", "web")
    assert log.read_text().split() == ["start-db", "start-cache", "start-app", "start-web"]
    for t in ("db", "cache", "app", "web"):
        assert "%s (" % t in out and state(rel, t) == "up", out
    assert state(rel, "other") == "down"
    # those already running are left alone (and say nothing)
    rel.ok("stop", "web")
    log.write_text("")
    out = rel.ok("start", "web")
    assert log.read_text().split() == ["start-web"]
    assert "already running" not in out and "web (" in out, out
    rel.ok("stop", "-f", "db", "cache")


def test_failing_dependency_keeps_dependent_down(rel):
    jail(rel, "db", "exec_prestart=/bin/false")
    jail(rel, "web", "depends=db")
    jail(rel, "lone")
    before = host_state(rel)
    st = rel.zfs_state()
    err = rel.fail("start", "web")
    assert err.startswith("iocage: cannot start 'web': its dependency 'db' failed: "), err
    assert "exec_prestart" in err and err.count("\n") == 1, err
    for t in ("db", "web", "lone"):
        assert state(rel, t) == "down"
    assert host_state(rel) == before
    assert rel.zfs_state() == st
    # several named: each failure on its line, the independent one starts
    r = rel.run("start", "web", "lone")
    assert r.rc == 1, r
    assert "iocage: cannot start web: its dependency 'db' failed: " in r.err, r
    assert "iocage: cannot start db: " in r.err, r
    assert "start: 1 of 3 jails done, 2 failed, 0 had nothing to do" in r.out, r
    assert state(rel, "lone") == "up" and state(rel, "web") == "down"
    rel.ok("stop", "lone")


def test_stop_needed_jail_refused_then_forced(rel, tmp_path):
    h, log = hook(tmp_path)
    ud = jail(rel, "db", *logged("db", h))
    uw = jail(rel, "web", "depends=db", *logged("web", h))
    jail(rel, "api", "depends=db", *logged("api", h))
    jail(rel, "front", "depends=web", *logged("front", h))
    rel.ok("start", "front", "api")
    log.write_text("")
    err = rel.fail("stop", "db")
    assert err == ("iocage: 'db' is needed by running jail(s) 'api', 'front', 'web': stop them "
                   "first, or use -f to stop them too\n"), err
    for t in ("db", "web", "api", "front"):
        assert state(rel, t) == "up"
    assert log.read_text() == ""
    # naming the dependents too is enough: they stop first
    rel.ok("stop", "api")
    err = rel.fail("stop", "web")
    assert "'web' is needed by running jail(s) 'front'" in err
    log.write_text("")
    out = rel.ok("stop", "-f", "db")
    assert "front (" in out and "web (%s) stopped" % uw in out and "db (%s) stopped" % ud in out
    assert out.index("front (") < out.index("web (") < out.index("db (")
    for t in ("db", "web", "api", "front"):
        assert state(rel, t) == "down"
    # -f keeps its older meaning too: no exec_prestop hooks
    assert log.read_text() == ""
    # a stopped dependent does not hold its dependency
    rel.ok("start", "db")
    rel.ok("stop", "db")
    assert state(rel, "db") == "down"


def test_stop_all_stops_dependents_first(rel, tmp_path):
    h, log = hook(tmp_path)
    jail(rel, "a_db", *logged("a_db", h))
    jail(rel, "z_web", "depends=a_db", *logged("z_web", h))
    rel.ok("start", "z_web")
    log.write_text("")
    rel.ok("stop", "ALL")
    assert log.read_text().split() == ["stop-z_web", "stop-a_db"]


def test_set_refuses_cycles_self_missing_and_changes_nothing(rel):
    jail(rel, "a")
    jail(rel, "b", "depends=a")
    jail(rel, "c", "depends=b")
    st = rel.zfs_state()
    cases = [
        (("depends=c", "a"), "iocage: invalid value 'c' for property 'depends' of 'a': "
         "dependency cycle: a -> c -> b -> a\n"),
        (("depends=b", "a"), "iocage: invalid value 'b' for property 'depends' of 'a': "
         "dependency cycle: a -> b -> a\n"),
        (("depends=a", "a"), "iocage: invalid value 'a' for property 'depends' of 'a': "
         "a jail cannot depend on itself ('a')\n"),
        (("depends=nosuch", "a"), "iocage: invalid value 'nosuch' for property 'depends' of "
         "'a': missing dependency: a -> nosuch (no jail has the tag 'nosuch')\n"),
        (("depends=b,b", "a"), "iocage: invalid value 'b,b' for property 'depends': 'b' is "
         "named twice; expected none or TAG[,TAG...] (tags of other jails, each once)\n"),
        (("depends=b,,c", "a"), "iocage: invalid value 'b,,c' for property 'depends': an "
         "empty tag; expected none or TAG[,TAG...] (tags of other jails, each once)\n"),
        (("depends=b c", "a"), "iocage: invalid value 'b c' for property 'depends': invalid "
         "tag 'b c': character ' ' not allowed; allowed: letters, digits, '.', '_', '-'\n"),
        (("depends=a", "default"), "iocage: property 'depends' cannot be a root default: it "
         "is per jail\n"),
        # a rename would leave b a missing dependency; with the other property, nothing set
        (("notes=x", "tag=a2", "a"), "iocage: cannot rename 'a' to 'a2': jail(s) 'b' depend "
         "on it (depends=): change their depends first\n"),
    ]
    for args, msg in cases:
        assert rel.fail("set", *args) == msg, args
    assert rel.zfs_state() == st
    # what is allowed works, and none clears it
    rel.ok("set", "depends=a, b", "c")
    assert rel.ok("get", "depends", "c") == "a,b\n"
    rel.ok("set", "depends=none", "c")
    assert rel.ok("get", "depends", "c") == "none\n"


def test_create_refuses_missing_and_self(rel):
    jail(rel, "db")
    st = rel.zfs_state()
    err = rel.fail("create", "-c", "release=bb", "tag=web", "depends=nosuch")
    assert err == ("iocage: invalid value 'nosuch' for property 'depends' of 'web': missing "
                   "dependency: web -> nosuch (no jail has the tag 'nosuch')\n"), err
    err = rel.fail("create", "-c", "release=bb", "tag=web", "depends=db,web")
    assert "a jail cannot depend on itself ('web')" in err
    assert rel.zfs_state() == st
    jail(rel, "web", "depends=db")
    assert rel.ok("get", "depends", "web") == "db\n"


def test_destroy_refuses_a_jail_others_depend_on(rel):
    jail(rel, "db")
    jail(rel, "web", "depends=db")
    jail(rel, "api", "depends=web,db")
    st = rel.zfs_state()
    err = rel.fail("destroy", "-f", "db")
    # the dependents in the order the jails are listed (by UUID)
    assert err in ("iocage: cannot destroy 'db': jail(s) %s depend on it (depends=): change "
                   "their depends first\n" % n for n in ("'web', 'api'", "'api', 'web'")), err
    assert rel.zfs_state() == st
    # once nothing depends on it any more, it goes; a dependent itself goes at once
    rel.ok("destroy", "-f", "api")
    rel.ok("set", "depends=none", "web")
    rel.ok("destroy", "-f", "db")
    assert rel.ok("get", "depends", "web") == "none\n"


def test_cycle_and_missing_behind_our_back_refused_at_start(rel):
    ua = jail(rel, "a")
    jail(rel, "b", "depends=a")
    jail(rel, "c", "depends=a")
    jail(rel, "lone")
    subprocess.run(["zfs", "set", "org.freebsd.iocage:depends=b", "%s/jails/%s" % (rel.name, ua)],
                   check=True)
    before = host_state(rel)
    err = rel.fail("start", "a")
    assert err == "iocage: cannot start 'a': dependency cycle: a -> b -> a\n", err
    err = rel.fail("start", "c")
    assert err == "iocage: cannot start 'c': dependency cycle: a -> b -> a\n", err
    # naming several: validated first, nothing starts
    err = rel.fail("start", "lone", "c")
    assert "dependency cycle" in err
    for t in ("a", "b", "c", "lone"):
        assert state(rel, t) == "down"
    assert host_state(rel) == before
    # ALL: the others go on
    r = rel.run("start", "ALL")
    assert r.rc == 1, r
    assert "iocage: cannot start 'b': dependency cycle: b -> a -> b" in r.err, r
    assert state(rel, "lone") == "up" and state(rel, "a") == "down"
    rel.ok("stop", "lone")
    # a dependency destroyed after the fact: refused at start, with the chain
    subprocess.run(["zfs", "set", "org.freebsd.iocage:depends=none",
                    "%s/jails/%s" % (rel.name, ua)], check=True)
    jail(rel, "x", "depends=c")
    rel.ok("destroy", "-f", "b")
    subprocess.run(["zfs", "set", "org.freebsd.iocage:depends=gone",
                    "%s/jails/%s" % (rel.name, ua)], check=True)
    err = rel.fail("start", "x")
    assert err == ("iocage: cannot start 'x': missing dependency: x -> c -> a -> gone (no jail "
                   "has the tag 'gone')\n"), err
    # a value that does not parse is that jail's affair
    subprocess.run(["zfs", "set", "org.freebsd.iocage:depends=b,,c",
                    "%s/jails/%s" % (rel.name, ua)], check=True)
    err = rel.fail("start", "x")
    assert "cannot start 'x': jail 'a': invalid value 'b,,c' for property 'depends'" in err, err
    rel.ok("start", "lone")
    for t in ("a", "c", "x"):
        assert state(rel, t) == "down"
    rel.ok("stop", "lone")


def test_rcboot_rcshutdown_honour_dependencies(rel, tmp_path):
    h, log = hook(tmp_path)
    # early needs late: late starts first though its priority is later
    jail(rel, "late", "boot=on", "priority=50", *logged("late", h))
    jail(rel, "early", "boot=on", "priority=10", "depends=late", *logged("early", h))
    jail(rel, "mid", "boot=on", "priority=20", *logged("mid", h))
    # a boot=off dependency is started for its dependent
    jail(rel, "helper", *logged("helper", h))
    jail(rel, "needy", "boot=on", "priority=30", "depends=helper", *logged("needy", h))
    jail(rel, "manual")
    r = rel.run("rcboot")
    assert r.rc == 0, r
    assert log.read_text().split() == ["start-late", "start-early", "start-mid", "start-helper",
                                       "start-needy"]
    assert "rcboot: 5 jails, 0 failed" in r.out, r
    assert state(rel, "manual") == "down"
    log.write_text("")
    r = rel.run("rcshutdown")
    assert r.rc == 0, r
    # descending priority, each after its running dependents
    assert log.read_text().split() == ["stop-early", "stop-late", "stop-needy", "stop-mid"]
    for t in ("late", "early", "mid", "needy"):
        assert state(rel, t) == "down"
    # helper is not boot=on: rcshutdown leaves it (its dependent is down now)
    assert state(rel, "helper") == "up"
    rel.ok("stop", "helper")


def test_rcboot_failed_dependency_named(rel):
    jail(rel, "db", "boot=on", "priority=50", "exec_prestart=/bin/false")
    jail(rel, "web", "boot=on", "priority=10", "depends=db")
    jail(rel, "ok", "boot=on", "priority=20")
    r = rel.run("rcboot")
    assert r.rc == 1, r
    assert "iocage: rcboot: db: " in r.err, r
    assert "iocage: rcboot: web: its dependency 'db' failed: " in r.err, r
    assert "rcboot: 3 jails, 2 failed" in r.out, r
    assert state(rel, "ok") == "up" and state(rel, "web") == "down"
    rel.ok("rcshutdown")


@pytest.mark.serial
def test_a_lone_stop_reads_no_dependencies(rel, tmp_path):
    """Stopping one jail while no other container runs on the host: no
    dependent can be running, so stop reads no other jail's depends (serial: other
    tests' containers would count).  With a dependent running it still
    refuses."""
    jail(rel, "solo")
    jail(rel, "dep", "depends=solo")
    rel.ok("start", "solo")
    tf = tmp_path / "trace"
    r = rel.run("stop", "solo", env={"IOC_FAULT_TRACE": str(tf)})
    assert r.rc == 0 and state(rel, "solo") == "down", r
    # no program at all: the run-time record's path (runrec.h)
    cmds = tf.read_text().splitlines() if tf.exists() else []
    # the jail alone is read: never R/jails, every jail's depends
    assert not [c for c in cmds if (" %s/jails " % rel.name) in c + " "], cmds
    rel.ok("start", "dep")                     # starts solo first
    try:
        assert state(rel, "solo") == "up"
        err = rel.fail("stop", "solo")
        assert "dep" in err and state(rel, "solo") == "up" and state(rel, "dep") == "up"
    finally:
        rel.ok("stop", "-f", "solo")
    assert state(rel, "solo") == "down" and state(rel, "dep") == "down"
