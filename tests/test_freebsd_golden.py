"""FreeBSD engine at command level: runs the C golden test.

tests/unit/t_freebsd_engine.c compares every command line the FreeBSD engine
plans (jail(8), jexec(8), ifconfig(8), rctl(8), ...) for a matrix of property
sets with tests/golden/freebsd/*.golden, checks hostile values and the
in-process path checks.  A changed command line fails here; regenerate on
purpose with `UPDATE_GOLDEN=1 build/unit/t_freebsd_engine` and review the diff.
"""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "unit", "t_freebsd_engine")


def test_freebsd_engine_golden():
    subprocess.run(["make", "-s", "-f", "build.mk", "unit"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    env = dict(os.environ)
    env.pop("UPDATE_GOLDEN", None)  # never rewrite goldens from a test run
    env["IOC_GOLDEN_DIR"] = os.path.join(ROOT, "tests", "golden", "freebsd")
    r = subprocess.run([BIN], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "t_freebsd_engine: ok" in r.stdout
