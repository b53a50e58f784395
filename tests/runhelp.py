"""Helpers shared by the runtime tests (test_runtime.py, test_run_*.py).

* ``subids_enter()``/``subids_leave()`` (conftest.py's session fixture, and
  the ``subids`` fixture): makes sure /etc/subuid and /etc/subgid grant root the
  ids of the built-in userns_idmap (100000:65536), which the host's newuidmap
  requires, before the first test (so that no `activate` of a test adds it);
  adds the line only when missing and removes exactly that line afterwards.
* ``host_state()``: what a leak would change on the host — network
  interfaces, host mounts, cgroup directories and LXC run-time directories
  of iocage containers, LXC monitor processes.
* ``rel`` (function): the ``release`` fixture made ready for containers.
* ``jail(root, tag, *props)``: creates a thin jail from release bb, returns
  its UUID.
"""
import os
import re
import subprocess

import pytest

SUBID_LINE = "root:100000:65536\n"


def _covered(path):
    try:
        with open(path) as f:
            for line in f:
                p = line.strip().split(":")
                if len(p) == 3 and p[0] in ("root", "0") and int(p[1]) <= 100000 and \
                        int(p[1]) + int(p[2]) >= 165536:
                    return True
    except FileNotFoundError:
        pass
    return False


def _remove_line(path, line):
    with open(path) as f:
        lines = f.readlines()
    if line in lines:
        lines.remove(line)
        with open(path, "w") as f:
            f.writelines(lines)


SUBIDS_DIR = "/var/tmp/ioc-test-subids"


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def subids_enter():
    """Several test sessions may run on one host: each registers itself; the
    line is added by whoever finds it missing (marked 'added') and removed
    only when the last live session leaves (subids_leave).  Returns the
    registry's lock file, which subids_leave closes."""
    import fcntl
    os.makedirs(SUBIDS_DIR, exist_ok=True)
    lock = open(os.path.join(SUBIDS_DIR, "lock"), "w")
    me = os.path.join(SUBIDS_DIR, "session.%d" % os.getpid())
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        open(me, "w").close()
        for path in ("/etc/subuid", "/etc/subgid"):
            if not _covered(path):
                with open(path, "a") as f:
                    f.write(SUBID_LINE)
                open(os.path.join(SUBIDS_DIR, "added" + path.replace("/", "_")), "w").close()
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
    return lock


def subids_leave(lock):
    """Undoes subids_enter.  The first call of this process unregisters it (its
    other fixtures' calls, at the end of the same session, find nothing left
    to do), and the last live session removes what was added and the
    registry itself."""
    import fcntl
    import shutil
    me = os.path.join(SUBIDS_DIR, "session.%d" % os.getpid())
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        if not os.path.isdir(SUBIDS_DIR):
            return
        if os.path.exists(me):
            os.unlink(me)
        live = [n for n in os.listdir(SUBIDS_DIR) if n.startswith("session.") and
                _alive(int(n.split(".")[1]))]
        if not live:
            for path in ("/etc/subuid", "/etc/subgid"):
                mark = os.path.join(SUBIDS_DIR, "added" + path.replace("/", "_"))
                if os.path.exists(mark):
                    _remove_line(path, SUBID_LINE)
                    os.unlink(mark)
            shutil.rmtree(SUBIDS_DIR, ignore_errors=True)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


@pytest.fixture(scope="session")
def subids():
    """The range is there for the whole session already (conftest.py's session
    fixture enters before the first test); kept for the modules that name it."""
    lock = subids_enter()
    yield
    subids_leave(lock)


@pytest.fixture
def rel(release):
    """A root with the busybox release, reachable by an unprivileged jail's root,
    no network unless a test asks for one; no container is left behind, whatever
    the test did."""
    open_path(release.mountpoint)
    release.ok("set", "interfaces=none", "default")
    yield release
    release.run("stop", "-f", "ALL")


def cgroup_dirs():
    res = []
    base = "/sys/fs/cgroup"
    for ctrl in sorted(os.listdir(base)):
        d = os.path.join(base, ctrl)
        if not os.path.isdir(d):
            continue
        for n in os.listdir(d):
            if "ioc-" in n:
                res.append(os.path.join(ctrl, n))
    return sorted(res)


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class HostState(dict):
    """host_state()'s result: equal when every part both sides have is equal.
    A part is None when another test session shared the host as it was taken
    (it may start or end during a test), and a None part matches anything."""

    def __eq__(self, other):
        if not isinstance(other, dict) or set(self) != set(other):
            return False
        return all(a is None or b is None or a == b
                   for a, b in ((self[k], other[k]) for k in self))

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None


def host_state(root=None):
    """What iocage's containers leave on the host.  When another test session
    shares the host (inventory.other_test_pools), containers of jails that are
    not in this session's pool and interfaces of other sessions are left out;
    alone (CI), everything is compared."""
    st = HostState(_host_state(root))
    if root is None:
        return st
    import inventory
    if not inventory.other_test_pools(root.pool.name):
        return st
    names = subprocess.run(["zfs", "get", "-H", "-r", "-o", "name", "type", root.pool.name],
                           capture_output=True, text=True).stdout
    ours = set(UUID_RE.findall(names))

    def mine(item):
        u = UUID_RE.findall(item)
        return all(x in ours for x in u)
    links = st["links"]
    st = HostState({k: ([x for x in v if mine(x)] if isinstance(v, list) else v)
                    for k, v in st.items()})
    # the host ends of vnet pairs are named after their jail's UUID
    # (net.c ioc_net_host_ifname): this pool's are compared, other links not
    hashes = {"%08x" % (_fnv1a(u) & 0xffffffff) for u in ours}
    st["links"] = [n for n in links if (m := VETH_RE.match(n)) and m.group(1) in hashes]
    st["monitors"] = None
    return st


VETH_RE = re.compile(r"ioc([0-9a-f]{8})n\d+$")


def _fnv1a(s):
    """net.c's ioc_net_hash: 64-bit FNV-1a."""
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) & 0xffffffffffffffff
    return h


def _host_state(root=None):
    links = sorted(n for n in (l.split(":")[1].strip().split("@")[0] for l in
                   subprocess.run(["ip", "-o", "link"], capture_output=True, text=True)
                   .stdout.splitlines()) if n.startswith("ioc"))
    with open("/proc/self/mountinfo") as f:
        mounts = sorted(l.split(" ", 4)[4] for l in f if "lxc" in l or "/run/iocage" in l or
                        (root is not None and root.mountpoint in l))
    lxcdir = "/var/run/iocage/lxc"
    rundirs = sorted(os.listdir(lxcdir)) if os.path.isdir(lxcdir) else []
    monitors = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
            if b"[lxc monitor]" in cmd and b"ioc-" in cmd:
                monitors += 1
        except OSError:
            pass
    return {"links": links, "mounts": mounts, "cgroups": cgroup_dirs(), "rundirs": rundirs,
            "monitors": monitors}


def jail(root, tag, *props, thin=True):
    args = ["create"] + (["-c"] if thin else []) + ["release=bb", "tag=" + tag] + list(props)
    out = root.ok(*args).split()
    assert out[1] == tag
    return out[0]


def state(root, name):
    return root.ok("get", "state", name).strip()


def jid(root, name):
    return root.ok("get", "jid", name).strip()


def rootfs(root, uuid):
    return os.path.join(root.mountpoint, "jails", uuid, "root")


def open_path(path):
    """chmod o+x every directory above path (pytest's temporary directories are
    0700; an unprivileged jail's root user must pass through them)."""
    d = os.path.dirname(os.path.abspath(path))
    while d != "/":
        st = os.stat(d)
        if not st.st_mode & 0o001:
            os.chmod(d, (st.st_mode & 0o7777) | 0o001)
        d = os.path.dirname(d)
