"""Small hardenings of issue 10, item 9, each shown with the real binary."""
import glob
import os
import subprocess

import pytest

from conftest import iocage_bin
from runhelp import jail, rootfs, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


def test_exec_start_reads_no_stdin_of_ours(rel):
    """exec_start got iocage's own stdin (the administrator's terminal): a jail's
    rc script could read what was typed.  It gets /dev/null."""
    u = jail(rel, "si", "exec_start=/bin/dd of=/tmp/in")
    r = rel.run("start", "si", input="typed by the admin\n")
    assert r.rc == 0, r
    with open(os.path.join(rootfs(rel, u), "tmp", "in")) as f:
        assert f.read() == ""
    rel.ok("stop", "si")


def test_closed_stdout_does_not_become_a_file_of_ours(release):
    """Started with fd 1 closed, iocage's first open file took fd 1, and what it
    printed went into that file (a lock file of the root).  /dev/null fills it."""
    r = release
    e = dict(os.environ)
    p = subprocess.run([iocage_bin(), "-r", r.name, "create", "-e", "tag=c1"],
                       preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE, env=e)
    assert p.returncode == 0, p.stderr
    uuid = r.jails()["c1"]
    for f in glob.glob("/var/run/iocage/locks/*"):
        if os.path.isfile(f):
            with open(f, "rb") as fh:
                assert uuid.encode() not in fh.read(), f


def test_a_high_fd_of_the_caller_reaches_nothing(rel, tmp_path):
    """Every fd above 2 is closed for what iocage runs (close_range: no upper
    bound such as 4096 that fd 5000 would escape)."""
    log = tmp_path / "fds"
    hook = tmp_path / "hook"
    hook.write_text("#!/bin/sh\nls /proc/self/fd > %s\n" % log)
    hook.chmod(0o755)
    jail(rel, "fd", "exec_prestart=%s" % hook)
    fd = os.open("/etc/hostname", os.O_RDONLY)
    try:
        os.dup2(fd, 5000, inheritable=True)
        p = subprocess.run([iocage_bin(), "-r", rel.name, "start", "fd"], pass_fds=(5000,),
                           capture_output=True, text=True)
    finally:
        os.close(5000)
        os.close(fd)
    assert p.returncode == 0, p.stderr
    fds = sorted(int(x) for x in log.read_text().split())
    assert 5000 not in fds and all(x < 5 for x in fds), fds
    rel.ok("stop", "fd")


def test_pcpu_beyond_any_host_is_refused(rel):
    """pcpu is a percentage of one CPU; the quota written is pcpu * 1000 us: a
    value past 1000 CPUs is refused clearly instead of being written (or, far
    enough, wrapping around)."""
    jail(rel, "pc", "rlimits=on", "pcpu=100001:deny")
    r = rel.run("start", "pc")
    assert r.rc == 1 and "pcpu: 100001% is more than a host can give (at most 100000, a " \
        "percentage of one CPU)" in r.err, r
    assert state(rel, "pc") == "down"


def test_ioc_init_only_from_a_root_only_path(rel, tmp_path):
    """Every jail's process 1 is ioc-init, found next to the binary: in a
    directory others may write, anyone could replace it.  Refused, named."""
    import shutil
    from conftest import REPO
    d = tmp_path / "loose"
    d.mkdir()
    os.chmod(str(d), 0o777)
    shutil.copy2(iocage_bin(), str(d / "iocage"))
    shutil.copy2(os.path.join(REPO, "ioc-init"), str(d / "ioc-init"))
    jail(rel, "ii")
    p = subprocess.run([str(d / "iocage"), "-r", rel.name, "start", "ii"], capture_output=True,
                       text=True, env=dict(os.environ, IOCAGE_SELF=str(d / "iocage")))
    assert p.returncode == 1 and "refusing ioc-init at %s: it or its directory is not root's " \
        "alone" % (d / "ioc-init") in p.stderr, p
    assert state(rel, "ii") == "down"
    # the same copy in a root-only directory is taken (it fails later only because
    # pytest's private temporary directory is closed to the jail's root)
    os.chmod(str(d), 0o755)
    p = subprocess.run([str(d / "iocage"), "-r", rel.name, "start", "ii"], capture_output=True,
                       text=True, env=dict(os.environ, IOCAGE_SELF=str(d / "iocage")))
    assert "refusing ioc-init" not in p.stderr, p
    rel.run("stop", "-f", "ii")


def test_exec_from_a_terminal_gets_a_terminal_of_its_own(rel):
    """exec run from a terminal handed the jail's command the caller's own
    terminal (TIOCSTI could push input into the admin's shell); now it gets a
    pseudo-terminal of the jail's, as console always did."""
    import pty
    import select
    jail(rel, "tt")
    rel.ok("start", "tt")
    pid, master = pty.fork()  # the child gets the pty as its controlling terminal
    if pid == 0:
        os.execv(iocage_bin(), [iocage_bin(), "-r", rel.name, "exec", "tt", "tty"])
    out = b""
    try:
        while True:
            r, _, _ = select.select([master], [], [], 30)
            if not r:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, out
    finally:
        os.close(master)
    assert b"/dev/pts/" in out and b"not a tty" not in out, out
    # not from a terminal: the caller's pipes, as before
    assert rel.run("exec", "tt", "tty").out.strip() == "not a tty"
    rel.ok("stop", "tt")
