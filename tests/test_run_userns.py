"""Linux engine: user namespaces (userns, userns_idmap), /etc/subuid checks,
CVE-2019-5736 re-execution, and a start/stop loop that must leak nothing."""
import fcntl
import os
import subprocess
import time

import pytest

from conftest import iocage_bin
from runhelp import SUBID_LINE, _remove_line, host_state, jail, rootfs, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")




def test_root_is_mapped_to_the_idmap(rel):
    jail(rel, "u")
    rel.ok("start", "u")
    m = rel.ok("exec", "u", "cat", "/proc/self/uid_map").split()
    assert m == ["0", "100000", "65536"]
    # files of the shifted release belong to root inside
    assert rel.ok("exec", "u", "stat", "-c", "%u", "/bin/busybox").strip() == "0"
    # the host sees the jail's processes as uid 100000
    pid = rel.ok("get", "jid", "u").strip()
    with open("/proc/%s/status" % pid) as f:
        uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
    assert uid == "100000"


@pytest.mark.serial  # takes the subordinate id line away from every jail of the host
def test_missing_subuid_line_is_named(rel):
    jail(rel, "s")
    covered = [p for p in ("/etc/subuid",) if SUBID_LINE in open(p).read()]
    if not covered:
        pytest.skip("the host's /etc/subuid line is not ours to remove")
    _remove_line("/etc/subuid", SUBID_LINE)
    try:
        r = rel.run("start", "s")
    finally:
        with open("/etc/subuid", "a") as f:
            f.write(SUBID_LINE)
    assert r.rc == 1
    assert "add the line 'root:100000:65536' to /etc/subuid" in r.err, r
    assert state(rel, "s") == "down"


def test_idmap_mismatch_is_clear(rel):
    jail(rel, "mm", "userns_idmap=200000:65536")
    r = rel.run("start", "mm")
    assert r.rc == 1
    assert "is owned by host uid 100000, but userns_idmap=200000:65536" in r.err, r


def test_empty_jail_is_clear(rel):
    rel.ok("create", "-e", "tag=e")
    r = rel.run("start", "e")
    assert r.rc == 1 and "is empty (an empty jail, create -e)" in r.err, r


def test_userns_off_is_privileged(rel):
    jail(rel, "p", "userns=off")
    rel.ok("start", "p")
    m = rel.ok("exec", "p", "cat", "/proc/self/uid_map").split()
    assert m == ["0", "0", "4294967295"]
    # capabilities dropped even so: no raw sockets, no module loading
    caps = rel.ok("exec", "p", "grep", "CapBnd", "/proc/self/status").split()[1]
    bnd = int(caps, 16)
    assert not bnd & (1 << 13)  # CAP_NET_RAW
    assert not bnd & (1 << 16)  # CAP_SYS_MODULE


def test_commands_run_from_a_sealed_copy(rel):
    """CVE-2019-5736: no process of ours that enters a jail runs the host binary."""
    jail(rel, "x")
    rel.ok("start", "x")
    p = subprocess.Popen([iocage_bin(), "-r", rel.name, "exec", "x", "sleep", "5"])
    try:
        exe = ""
        for _ in range(50):
            try:
                exe = os.readlink("/proc/%d/exe" % p.pid)
            except OSError:
                pass
            if "memfd" in exe:
                break
            time.sleep(0.1)
        assert "memfd:" in exe, exe
        # sealed as liblxc checks it (seal, shrink, grow, write): liblxc then
        # does not copy itself again, and the copy cannot be written through
        fd = os.open("/proc/%d/exe" % p.pid, os.O_RDONLY)
        try:
            assert fcntl.fcntl(fd, 1034) == 0xF  # F_GET_SEALS
            # only what the program needs to run: its segments, not its section
            # table nor what only that names (symbols, debug information)
            size = os.fstat(fd).st_size
            head = os.pread(fd, 64, 0)
        finally:
            os.close(fd)
        assert head[:4] == b"\x7fELF" and head[4] == 2  # ELFCLASS64
        assert int.from_bytes(head[0x28:0x30], "little") == 0, head  # e_shoff
        assert int.from_bytes(head[0x3c:0x3e], "little") == 0, head  # e_shnum
        assert size < os.path.getsize(os.path.realpath(iocage_bin())), size
    finally:
        p.wait()


@pytest.mark.serial  # a lone stop takes the record's path only while no other container runs
def test_a_lone_stop_makes_the_sealed_copy_only_to_enter_the_jail(rel, tmp_path):
    """A stop of one jail, the root named, re-executes from the sealed copy
    only when its exec_stop runs inside the jail, and before any hook: the
    host-side exec_prestop sees its parent run from the host binary while
    nothing enters the jail, from the sealed copy when exec_stop does."""
    out = tmp_path / "exe"
    hook = tmp_path / "who"
    hook.write_text("#!/bin/sh\nreadlink /proc/$PPID/exe >> %s\n" % out)
    hook.chmod(0o755)
    mark = "/tmp/ioc-stopped-here"
    u = jail(rel, "sc", "exec_prestop=%s" % hook)
    rel.ok("start", "sc")
    rel.ok("stop", "sc")
    rel.ok("set", "exec_stop=/bin/touch %s" % mark, "sc")
    rel.ok("start", "sc")
    rel.ok("stop", "sc")
    lines = out.read_text().splitlines()
    assert len(lines) == 2, lines
    assert lines[0] == os.path.realpath(iocage_bin()), lines
    assert lines[1].startswith("/memfd:iocage"), lines
    # exec_stop ran inside, once (the re-executed stop did not run the hook twice)
    assert os.path.exists(os.path.join(rootfs(rel, u), mark.lstrip("/")))
    assert state(rel, "sc") == "down"


def test_start_stop_loop_leaks_nothing(rel):
    tags = ["l1", "l2", "l3"]
    for t in tags:
        jail(rel, t)
    before = host_state(rel)
    for _ in range(20):
        out = rel.ok("start", *tags)
        assert out.count("started") == 3
        assert rel.ok("exec", "l2", "true") == ""
        rel.ok("stop", *tags)
    after = host_state(rel)
    assert after == before
    for t in tags:
        assert state(rel, t) == "down"
