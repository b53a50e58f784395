"""The jail's root user as attacker.

A sentinel tree outside the pool (files, a directory, an empty directory;
checksummed with modes, owners and link targets) is what a host-side write
that follows a link planted in the jail would change.  Links to it are planted
at every path the Linux engine writes, creates or mounts inside a jail root:
etc/resolv.conf and etc itself (resolver=), fstab mount targets and their
parents, jail_zfs_mountpoint, dev, proc, sys, dev/.ioc-init, and files the
engine does not write (etc/hostname, etc/hosts), for stopped jails and by the
jail's own root user while it runs; then start, stop, set, exec.  Each command
refuses clearly or writes inside the jail; the sentinel never changes.  A
thread that swaps jail directories with links in a loop while `start` runs 20
times changes nothing either.  Processes inside see only their own fds (0-2,
and the console's terminal) after start, exec and console, even when the
caller hands iocage other fds.
"""
import ctypes
import hashlib
import os
import pty
import random
import select
import subprocess
import threading
import time

import pytest

from conftest import iocage_bin
from runhelp import jail, jid, open_path, rel, rootfs, state, subids  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


def digest(path):
    """Everything about a tree a write could change: names, types, modes,
    owners, contents, link targets (directories included)."""
    res = {}
    for d, dirs, files in os.walk(path):
        for n in sorted(dirs + files):
            p = os.path.join(d, n)
            st = os.lstat(p)
            rel_ = os.path.relpath(p, path)
            if os.path.islink(p):
                res[rel_] = ("l", os.readlink(p), st.st_uid)
            elif os.path.isdir(p):
                res[rel_] = ("d", st.st_mode, st.st_uid, st.st_gid)
            else:
                with open(p, "rb") as f:
                    res[rel_] = ("f", st.st_mode, st.st_uid, st.st_gid,
                                 hashlib.sha256(f.read()).hexdigest())
    st = os.lstat(path)
    res["."] = ("d", st.st_mode, st.st_uid, st.st_gid)
    return res


@pytest.fixture
def sentinel(tmp_path):
    """A tree outside the pool: its digest must never change."""
    s = tmp_path / "sentinel"
    s.mkdir()
    for n in ("resolv.conf", "hostname", "hosts", "passwd", "file"):
        (s / n).write_text("sentinel %s\n" % n)
    (s / "x").mkdir()
    (s / "x" / "f").write_text("sentinel x/f\n")
    (s / "empty").mkdir()
    os.chmod(str(s), 0o755)
    open_path(str(s / "x"))
    before = digest(str(s))
    yield str(s)
    assert digest(str(s)) == before, "the sentinel outside the pool changed"


def plant(path, target):
    """Replaces path (file, directory tree or nothing) with a link to target."""
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        subprocess.run(["rm", "-rf", "--one-file-system", path], check=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def one_line_err(r):
    lines = [l for l in r.err.splitlines() if l.startswith("iocage: ") and "note:" not in l]
    assert len(lines) == 1, r
    return lines[0]


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if path in l]


@pytest.fixture
def hostsrc(tmp_path):
    d = tmp_path / "hostsrc"
    d.mkdir()
    (d / "hello").write_text("from the host\n")
    open_path(str(d / "hello"))
    os.chmod(str(d), 0o755)
    return str(d)


# (what, path in the jail, link target, start props, the refusal (None: the
# start succeeds and writes inside the jail))
STOPPED_CASES = [
    ("resolv.conf", "etc/resolv.conf", "{s}/resolv.conf", ["resolver=nameserver 127.0.0.1"], None),
    ("resolv.conf relative", "etc/resolv.conf", "../../../../../../../../../{s}/resolv.conf",
     ["resolver=nameserver 127.0.0.1"], None),
    # the harness's session sentinels (conftest.sentinels, checked by the inventory)
    ("resolv.conf to session sentinel", "etc/resolv.conf", "{S}/resolv.conf",
     ["resolver=nameserver 127.0.0.1"], None),
    ("fstab target to session sentinel", "mnt/x", "{S}/dir", ["fstab={h} /mnt/x"],
     "is or goes through a symbolic link"),
    ("etc", "etc", "{s}", ["resolver=nameserver 127.0.0.1"], "/etc is a symbolic link"),
    ("fstab target", "mnt/x", "{s}/x", ["fstab={h} /mnt/x"], "is or goes through a symbolic link"),
    ("fstab parent", "mnt", "{s}", ["fstab={h} /mnt/x"], "is or goes through a symbolic link"),
    ("fstab missing under link", "srv", "{s}/empty", ["fstab={h} /srv/new/deep"],
     "is or goes through a symbolic link"),
    ("fstab file target", "mnt/file", "{s}/file", ["fstab={h}/hello /mnt/file"],
     "is or goes through a symbolic link"),
    ("jail_zfs mountpoint", "mnt/data", "{s}/x", ["jail_zfs=on"],
     "is or goes through a symbolic link"),
    ("dev", "dev", "{s}", [], "has no /dev directory"),
    ("proc", "proc", "{s}", [], "has no /proc directory"),
    ("sys", "sys", "{s}", [], "has no /sys directory"),
    ("ioc-init", "dev/.ioc-init", "{s}/file", [], None),
    ("hostname", "etc/hostname", "{s}/hostname", [], None),
    ("hosts", "etc/hosts", "{s}/hosts", [], None),
]


@pytest.mark.parametrize("what,path,target,props,refusal", STOPPED_CASES,
                         ids=[c[0] for c in STOPPED_CASES])
def test_links_planted_in_stopped_jail(rel, sentinel, sentinels, hostsrc, what, path, target,
                                       props, refusal):
    props = [p.replace("{h}", hostsrc) for p in props]
    u = jail(rel, "at", *props)
    root = rootfs(rel, u)
    target = target.replace("{S}", sentinels)
    plant(os.path.join(root, path), target.replace("{s}", sentinel.lstrip("/")
                                                   if target.startswith("../") else sentinel))
    r = rel.run("start", "at")
    if refusal:
        assert r.rc == 1, r
        assert refusal in one_line_err(r), r
        assert state(rel, "at") == "down"
    else:
        assert r.rc == 0, r
        if path == "etc/resolv.conf":
            # replaced inside the jail, never written through
            assert not os.path.islink(os.path.join(root, path))
            with open(os.path.join(root, path)) as f:
                assert f.read() == "nameserver 127.0.0.1\n"
        rel.ok("exec", "at", "true")
        rel.ok("set", "notes=x", "at")
        rel.ok("stop", "at")
    assert not mounts_under(sentinel)


def test_links_planted_by_running_jail(rel, sentinel, hostsrc):
    """The jail's root user replaces what the engine touches with links to host
    paths while the jail runs; stop, set, exec and the next start never follow them."""
    u = jail(rel, "rj", "resolver=nameserver 127.0.0.1", "fstab=%s /mnt/shared ro" % hostsrc,
             "jail_zfs=on", "jail_zfs_mountpoint=/srv/data")
    root = rootfs(rel, u)
    # the jail's root owns these directories (made here where the test
    # release has none)
    for d in ("etc", "mnt", "srv"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        os.lchown(os.path.join(root, d), 100000, 100000)
    rel.ok("start", "rj")
    s = sentinel
    script = ("rm -f /etc/resolv.conf && ln -s {s}/resolv.conf /etc/resolv.conf && "
              "ln -sf {s}/hostname /etc/hostname && ln -sf {s}/hosts /etc/hosts && "
              "umount /mnt/shared && rmdir /mnt/shared && ln -s {s}/x /mnt/shared && "
              "umount /srv/data && rmdir /srv/data && ln -s {s} /srv/data && "
              "mkdir -p /srv/n && ln -s {s}/empty /srv/n/new").format(s=s)
    rel.ok("exec", "rj", "sh", "-c", script)
    rel.ok("set", "notes=planted", "rj")
    rel.ok("exec", "rj", "true")
    rel.ok("stop", "rj")
    r = rel.run("start", "rj")
    assert r.rc == 1 and "is or goes through a symbolic link" in one_line_err(r), r
    # remove the fstab and data mounts: resolv.conf is still replaced, never followed
    rel.ok("set", "fstab=none", "jail_zfs=off", "rj")
    rel.ok("start", "rj")
    assert not os.path.islink(os.path.join(root, "etc", "resolv.conf"))
    assert os.readlink(os.path.join(root, "etc", "hostname")) == s + "/hostname"
    rel.ok("stop", "rj")
    assert not mounts_under(s)


RENAME_EXCHANGE = 2


_libc = ctypes.CDLL(None, use_errno=True)


def _exchange(a, b):
    """Swaps the names a and b: atomically with renameat2(RENAME_EXCHANGE)
    where the file system has it, else with three renames (zfs-fuse)."""
    if _libc.syscall(316, -100, a.encode(), -100, b.encode(), RENAME_EXCHANGE) == 0:
        return 0
    try:
        os.rename(a, a + ".swap")
        os.rename(b, a)
        os.rename(a + ".swap", b)
        return 0
    except OSError:
        return -1


def test_symlink_swap_race_during_start(rel, sentinel, hostsrc):
    """While `start` runs 20 times, a thread swaps the jail's etc, mnt and srv
    with links to the sentinel as fast as it can: every start either refuses or
    writes and mounts inside the jail; the sentinel never changes."""
    u = jail(rel, "race", "resolver=nameserver 127.0.0.1",
             "fstab=%s /mnt/x ro;%s /srv/new/deep ro" % (hostsrc, hostsrc))
    root = rootfs(rel, u)
    for d in ("mnt/x", "srv"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    pairs = []
    for d, target in (("etc", sentinel), ("mnt", sentinel), ("srv", sentinel + "/empty")):
        alt = os.path.join(root, d + ".alt")
        os.symlink(target, alt)
        pairs.append((os.path.join(root, d), alt))
    stop = threading.Event()
    swaps = [0]

    def swapper():
        # a directory is a link only for moments, so that most starts get past
        # the checks and race the writes and mounts that follow them
        rnd = random.Random(os.getpid())
        while not stop.is_set():
            for a, b in pairs:
                if _exchange(a, b) == 0:
                    swaps[0] += 1
                    time.sleep(rnd.uniform(0, 0.0003))
                    _exchange(a, b)
                time.sleep(rnd.uniform(0, 0.002))

    t = threading.Thread(target=swapper, daemon=True)
    t.start()
    results = []
    try:
        for _ in range(20):
            r = rel.run("start", "race")
            results.append(r.rc)
            if r.rc == 0:
                # both mounts are on the jail's own directories (a mount point's
                # path follows the renames of the swapper: /srv.alt/new/deep is the
                # real srv under its other name); one made through a link to the
                # sentinel would have been outside the new root, and gone
                with open("/proc/%s/mountinfo" % jid(rel, "race")) as f:
                    points = {l.split()[4] for l in f}
                for top, rest in (("mnt", "x"), ("srv", "new/deep")):
                    assert {"/%s%s/%s" % (top, sfx, rest) for sfx in ("", ".alt", ".swap")} & \
                        points, " ".join(sorted(points))
                rel.run("stop", "-f", "race")
            else:
                # refused by our checks, or by liblxc's own when it mounts
                line = one_line_err(r)
                assert any(w in line for w in ("symbolic link", "does not exist",
                                               "not a directory", "cannot", "No such file",
                                               "Failed to mount")), r
                assert state(rel, "race") == "down"
    finally:
        stop.set()
        t.join()
        rel.run("stop", "-f", "race")
    assert swaps[0] > 100, swaps
    print("race: %d starts, %d refused, %d swaps" % (len(results), sum(1 for r in results if r),
                                                    swaps[0]))
    assert not mounts_under(sentinel)
    # with the directories back in place the jail starts: nothing was broken
    for a, b in pairs:
        if os.path.islink(a):
            _exchange(a, b)
    rel.ok("start", "race")
    assert rel.ok("exec", "race", "cat", "/mnt/x/hello") == "from the host\n"
    rel.ok("stop", "race")


# ------------------------------------------------------------------ fds


def fd_listing(text):
    """{fd: target} from busybox `ls -l /proc/self/fd` output."""
    res = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 9 and f[8].isdigit():
            res[f[8]] = f[10] if len(f) > 10 else ""
    return res


@pytest.fixture
def leaky_fd():
    """An fd without close-on-exec, open on a host directory: what a careless
    caller (a shell's 5</etc) hands iocage."""
    fd = os.open("/etc", os.O_RDONLY | os.O_DIRECTORY)
    os.set_inheritable(fd, True)
    yield fd
    os.close(fd)


def test_only_own_fds_after_start_and_exec(rel, leaky_fd):
    """exec_start, exec and the jail's init see 0, 1, 2 (and the listing's own
    directory fd), never an fd of the caller's."""
    jail(rel, "fd", "exec_start=/bin/ls -l /proc/self/fd")
    p = subprocess.run([iocage_bin(), "-r", rel.name, "start", "fd"], pass_fds=(leaky_fd,),
                       capture_output=True, text=True)
    assert p.returncode == 0, p
    fds = fd_listing(p.stdout)
    assert set(fds) <= {"0", "1", "2", "3"}, fds
    assert str(leaky_fd) not in fds
    p = subprocess.run([iocage_bin(), "-r", rel.name, "exec", "fd", "ls", "-l", "/proc/self/fd"],
                       pass_fds=(leaky_fd,), capture_output=True, text=True)
    assert p.returncode == 0, p
    fds = fd_listing(p.stdout)
    assert set(fds) <= {"0", "1", "2", "3"} and str(leaky_fd) not in fds, fds
    # the init (the jail's keep-alive process): 0-2 on /dev/null, seen from both sides
    pid = jid(rel, "fd")
    host = {n: os.readlink("/proc/%s/fd/%s" % (pid, n)) for n in os.listdir("/proc/%s/fd" % pid)}
    assert host == {"0": "/dev/null", "1": "/dev/null", "2": "/dev/null"}, host
    inside = fd_listing(rel.ok("exec", "fd", "ls", "-l", "/proc/1/fd"))
    assert set(inside) == {"0", "1", "2"}, inside
    # a hook on the host gets 0-2 too (test_hostile checks the hooks' argv and fds)
    rel.ok("stop", "fd")


def test_only_own_fds_in_console(rel, leaky_fd):
    """The console's shell sees 0-2 on its terminal and nothing of the caller's."""
    jail(rel, "con")
    rel.ok("start", "con")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(iocage_bin(), [iocage_bin(), "-r", rel.name, "console", "con"])
    out = b""
    sent = False
    deadline = time.monotonic() + 60
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
            os.write(fd, b"ls -l /proc/self/fd; ls -l /proc/$$/fd; exit\n")
            sent = True
    else:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    text = out.decode(errors="replace").replace("\r", "")
    fds = fd_listing(text)
    assert fds, text
    assert set(fds) <= {"0", "1", "2", "3", "10", "255"}, text
    for n, target in fds.items():
        if n in ("0", "1", "2"):
            assert target.startswith("/dev/pts/") or target == "/dev/console", (n, target, text)
    assert "/etc" not in fds.values(), text
