"""Load (make stress): 500 jails on one root, and 20 start/stop cycles of 20
running jails that leak nothing.  Too long for make check; CI runs it too.

Figures (jail counts, wall-clock of each whole-root command, cycles) are
appended to build/stress-load.txt for tests/RELIABILITY.md.
"""
import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import inventory  # noqa: E402
from conftest import REPO, sh  # noqa: E402
from runhelp import host_state, rel, subids  # noqa: E402,F401

N = int(os.environ.get("STRESS_JAILS", "500"))
CYCLES = int(os.environ.get("STRESS_CYCLES", "20"))
RUNNING = int(os.environ.get("STRESS_RUNNING", "20"))


def figure(line):
    os.makedirs(os.path.join(REPO, "build"), exist_ok=True)
    with open(os.path.join(REPO, "build", "stress-load.txt"), "a") as f:
        f.write(line + "\n")
    print(line)


def timed(root, *args):
    t = time.monotonic()
    r = root.run(*args, timeout=3600)
    assert r.rc == 0, r
    return r.out, time.monotonic() - t


def test_500_jails_on_one_root(release):
    out, dt = timed(release, "create", "-c", "release=bb", "tag=j", "count=%d" % N)
    assert len(out.splitlines()) == N
    figure("load: created %d thin jails in one command: %.1f s" % (N, dt))
    out, dt0 = timed(release, "list", "-H")
    assert len(out.splitlines()) == N
    figure("load: first list after the creates (zfs-fuse still settling): %.2f s" % dt0)
    out, dt = timed(release, "list", "-H")
    rows = out.splitlines()
    assert len(rows) == N
    assert sorted(r.split("\t")[4] for r in rows) == sorted("j_%d" % i for i in range(1, N + 1))
    figure("load: list of %d jails: %.2f s" % (N, dt))
    js, dt = timed(release, "--json", "list")
    assert len(json.loads(js)) == N
    out, dt = timed(release, "df", "-H")
    assert len(out.splitlines()) == N
    figure("load: df of %d jails: %.2f s" % (N, dt))
    mid, last = "j_%d" % (N // 2), "j_%d" % (N - 1)
    release.ok("set", "boot=on", mid)
    out, dt = timed(release, "get", "-H", "boot", "ALL")
    vals = dict((l.split("\t")[1], l.split("\t")[2]) for l in out.splitlines())
    assert len(vals) == N and vals[mid] == "on" and \
        sum(v == "on" for v in vals.values()) == 1
    figure("load: get boot ALL over %d jails: %.2f s" % (N, dt))
    out, dt = timed(release, "get", "-H", "all", last)
    assert last in out
    out, dt = timed(release, "snapshot", "ALL@load")
    snaps = [s for s in sh("zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r",
                           release.name + "/jails").split() if s.endswith("@load")]
    assert len(snaps) == 2 * N
    figure("load: snapshot ALL of %d jails (%d snapshots): %.2f s" % (N, len(snaps), dt))
    assert "load" in release.ok("snaplist", "-H", "j_1")
    u = release.ok("get", "uuid", "j_3").strip()
    release.ok("destroy", "-f", "j_3")
    assert u not in release.ok("list", "-H")
    assert len(release.ok("list", "-H").splitlines()) == N - 1




@pytest.mark.usefixtures("subids")
def test_start_stop_cycles_leak_nothing(rel):
    rel.ok("create", "-c", "release=bb", "tag=r", "count=%d" % RUNNING)
    tags = ["r_%d" % i for i in range(1, RUNNING + 1)]
    before = host_state(rel)
    inv = inventory.inventory(rel.pool, (rel.name,))
    fds = len(os.listdir("/proc/self/fd"))
    t = time.monotonic()
    for c in range(CYCLES):
        out = rel.ok("start", "ALL")
        assert out.count("started") == RUNNING, out
        ups = rel.ok("get", "-H", "state", "ALL")
        assert ups.count("\tup") == RUNNING
        assert rel.ok("exec", tags[c % RUNNING], "true") == ""
        rel.ok("stop", "ALL")
    dt = time.monotonic() - t
    assert rel.ok("get", "-H", "state", "ALL").count("\tdown") == RUNNING
    assert host_state(rel) == before
    assert inventory.diff(inv, inventory.inventory(rel.pool, (rel.name,))) == []
    assert len(os.listdir("/proc/self/fd")) == fds
    figure("load: %d start/stop cycles of %d jails (%d starts): %.0f s, no leaked interface, "
           "mount, cgroup, LXC state or process" % (CYCLES, RUNNING, CYCLES * RUNNING, dt))
