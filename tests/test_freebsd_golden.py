"""FreeBSD engine at command level: runs the C golden test.

tests/unit/t_freebsd_engine.c compares every command line the FreeBSD engine
plans (jail(8), jexec(8), ifconfig(8), rctl(8), ...) for a matrix of property
sets with tests/golden/freebsd/*.golden, checks hostile values and the
in-process path checks.  A changed command line fails here; regenerate on
purpose with `UPDATE_GOLDEN=1 build/unit/t_freebsd_engine` and review the diff.
"""
import os
import re
import subprocess

from conftest import sh

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "unit", "t_freebsd_engine")


def test_freebsd_engine_golden():
    subprocess.run(["make", "-s", "-f", "build.mk", "unit"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)     # relinks only what changed
    env = dict(os.environ)
    env.pop("UPDATE_GOLDEN", None)  # never rewrite goldens from a test run
    env["IOC_GOLDEN_DIR"] = os.path.join(ROOT, "tests", "golden", "freebsd")
    r = subprocess.run([BIN], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "t_freebsd_engine: ok" in r.stdout


def test_dry_run_prints_the_freebsd_plan_and_changes_nothing(release):
    """`--dry-run` shows the jail(8) plan of start, stop, restart, cap and uncap
    for real jails of a real root (here with the FreeBSD engine chosen), runs
    nothing and writes nothing; the Linux engine has no command lines and says
    so; other commands refuse the flag."""
    r = release
    fb = {"IOCAGE_ENGINE": "freebsd"}
    r.ok("create", "-c", "release=bb", "tag=web", "vnet=off", "ip4_addr=em0|192.0.2.7/24",
         "memoryuse=512M:deny", "rlimits=on", "boot=on", env=fb)
    r.ok("create", "-e", "tag=empty", env=fb)
    uuid = r.jails()["web"]
    before = r.zfs_state()
    out = r.ok("--dry-run", "start", "web", env=fb)
    assert out.startswith("# start web (%s)\nplan: " % uuid), out
    assert re.search(r"^\s+\d+\s+jail -i -c name=ioc-%s path=\S+/jails/%s/root ip4=new "
                     r"ip4\.addr=192\.0\.2\.7 " % (uuid, uuid), out, re.M), out
    assert re.search(r"^\s+\d+\s+rctl -a jail:ioc-%s:memoryuse:deny=536870912$" % uuid, out,
                     re.M), out
    assert "192.0.2.7" in out and "memoryuse" in out, out
    out = r.ok("--dry-run", "restart", "ALL", env=fb)
    heads = [ln for ln in out.splitlines() if ln.startswith("# ")]
    jails = r.jails()
    pairs = [heads[i:i + 2] for i in range(0, len(heads), 2)]
    assert sorted(pairs) == sorted([["# stop %s (%s)" % (t, jails[t]),
                                     "# start %s (%s)" % (t, jails[t])]
                                    for t in ("web", "empty")]), out
    # a jail's dependencies come first, marked, in the order start takes them
    # (issue 14); a missing one is refused as start refuses it
    r.ok("create", "-e", "tag=app", "depends=empty", env=fb)
    out = r.ok("--dry-run", "start", "app", env=fb)
    heads = [ln for ln in out.splitlines() if ln.startswith("# ")]
    assert heads == ["# empty is a dependency: started first unless it runs",
                     "# start empty (%s)" % r.jails()["empty"],
                     "# start app (%s)" % r.jails()["app"]], out
    out = r.ok("--dry-run", "restart", "app", env=fb)
    heads = [ln for ln in out.splitlines() if ln.startswith("# ")]
    assert heads[1:] == ["# start empty (%s)" % r.jails()["empty"],
                         "# stop app (%s)" % r.jails()["app"],
                         "# start app (%s)" % r.jails()["app"]], out
    sh("zfs", "set", "org.freebsd.iocage:depends=gone", "%s/jails/%s" % (r.name, r.jails()["app"]))
    err = r.fail("--dry-run", "start", "app", env=fb)
    assert "cannot start 'app'" in err and "gone" in err, err
    r.ok("destroy", "-f", "app")
    before = r.zfs_state()
    for cmd in ("stop", "cap", "uncap"):
        out = r.ok("--dry-run", cmd, "web", env=fb)
        assert out.startswith("# %s web (%s)\nplan: " % (cmd, uuid)), (cmd, out)
    # the Linux engine: a clear refusal; other commands: a usage error
    err = r.fail("--dry-run", "start", "web")
    assert "no command lines to show" in err and "IOCAGE_ENGINE=freebsd" in err, err
    err = r.fail("--dry-run", "list", rc=2)
    assert "--dry-run applies to start, stop, restart, cap and uncap" in err, err
    err = r.fail("--dry-run", "start", "nosuch", env=fb)
    assert "no jail named 'nosuch'" in err, err
    assert r.zfs_state() == before
    assert not os.path.exists("/var/run/iocage/lxc/ioc-" + uuid)
    r.ok("destroy", "-f", "web")
    r.ok("destroy", "-f", "empty")
