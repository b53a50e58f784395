"""What a jail's root can do to the host's devices (issue 10, items 1 and 5):
every jail gets LXC's device allow-list in its device cgroup, and a privileged
jail (userns=off) loses sys_admin, mknod, dac_read_search and sys_ptrace, so
that its root can neither make nor open a node of the host's disk."""
import os
import subprocess

import pytest

from hostilehelp import saved_config
from runhelp import jail, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


def host_disk():
    """major, minor of the device holding the host's /."""
    st = os.stat("/")
    return os.major(st.st_dev), os.minor(st.st_dev)


def test_privileged_jail_cannot_make_or_read_the_host_disk(rel):
    maj, mnr = host_disk()
    u = jail(rel, "pv", "userns=off")
    rel.ok("start", "pv")
    bnd = int(rel.ok("exec", "pv", "grep", "CapBnd", "/proc/self/status").split()[1], 16)
    for cap, bit in (("sys_admin", 21), ("mknod", 27), ("dac_read_search", 2),
                     ("sys_ptrace", 19)):
        assert not bnd & (1 << bit), cap
    # /dev is the jail's own tmpfs (autodev): a node there could be opened
    r = rel.run("exec", "pv", "mknod", "/dev/hostdisk", "b", str(maj), str(mnr))
    assert r.rc != 0, r
    r = rel.run("exec", "pv", "head", "-c", "512", "/dev/hostdisk")
    assert r.rc != 0 and r.out == "", r
    items = saved_config(u)
    assert ("lxc.cgroup.devices.deny", "a") in items or ("lxc.cgroup2.devices.deny", "a") in items
    rel.ok("stop", "pv")


def test_jail_datasets_are_nodev(rel):
    """devices=off on R/jails/UUID, inherited by the root and every dataset
    below (issue 10, item 1): kernel ZFS mounts them nodev, so no device node
    that got into a jail's files is ever a device (zfs-fuse's mounts are nodev
    anyway).  A jail's /dev is the engine's tmpfs, not its files."""
    u = jail(rel, "nd")
    for ds in ("jails/%s" % u, "jails/%s/root" % u):
        got = subprocess.run(["zfs", "get", "-H", "-o", "value,source", "devices",
                              "%s/%s" % (rel.name, ds)], capture_output=True, text=True).stdout
        assert got.split("\t")[0] == "off", (ds, got)
    rel.ok("start", "nd")
    assert rel.ok("exec", "nd", "sh", "-c", "echo x > /dev/null && echo ok").strip() == "ok"
    rel.ok("stop", "nd")


def test_allow_mount_keeps_sys_admin_only(rel):
    jail(rel, "pm", "userns=off", "allow_mount=1")
    rel.ok("start", "pm")
    bnd = int(rel.ok("exec", "pm", "grep", "CapBnd", "/proc/self/status").split()[1], 16)
    assert bnd & (1 << 21) and not bnd & (1 << 27)
    rel.ok("stop", "pm")


def test_every_jail_has_the_device_allow_list(rel):
    u = jail(rel, "dv")
    rel.ok("start", "dv")
    items = saved_config(u)
    key = "lxc.cgroup.devices" if os.path.exists("/sys/fs/cgroup/devices/cgroup.procs") \
        else "lxc.cgroup2.devices"
    assert (key + ".deny", "a") in items
    allowed = sorted(v for k, v in items if k == key + ".allow")
    assert allowed == sorted(["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",
                              "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",
                              "c 136:* rwm"]), allowed
    if key == "lxc.cgroup.devices":
        # what the kernel enforces, read from the host
        lst = None
        for d, dirs, files in os.walk("/sys/fs/cgroup/devices"):
            b = os.path.basename(d)  # the payload's, not liblxc's monitor's
            if b.endswith("ioc-" + u) and "monitor" not in b and "devices.list" in files:
                with open(os.path.join(d, "devices.list")) as f:
                    lst = f.read().split("\n")
                break
        assert lst is not None and "a *:* rwm" not in lst and "c 1:3 rwm" in lst, lst
    assert rel.ok("exec", "dv", "sh", "-c", "echo x > /dev/null && head -c 4 /dev/urandom | wc -c"
                  ).strip() == "4"
    rel.ok("stop", "dv")


def test_chroot_runs_in_the_jails_user_namespace(rel):
    """issue 10, item 8: chroot ran the jail's binaries as host root, and what
    they made belonged to host uid 0 (the jail's root saw nobody, package
    refused it).  Now: the jail's idmap, its root is host uid 100000."""
    from runhelp import rootfs
    u = jail(rel, "cr")
    rel.ok("chroot", "cr", "touch", "/root/made")
    st = os.lstat(os.path.join(rootfs(rel, u), "root", "made"))
    assert (st.st_uid, st.st_gid) == (100000, 100000)
    assert rel.ok("chroot", "cr", "id", "-u") == "0\n"
    # a change made through chroot packages like any other
    rel.ok("record", "start", "cr")
    rel.ok("chroot", "cr", "sh", "-c", "echo hi > /root/note")
    rel.ok("record", "stop", "cr")
    out = rel.ok("package", "cr")
    assert "package" in out, out


def test_no_host_user_reaches_a_started_jails_files(rel):
    """The Incus layout (issue 10, item 1): R/jails/UUID lets only the jail's
    root through (0100, its mapped root; 0700 root when privileged)."""
    import subprocess
    from runhelp import rootfs
    u = jail(rel, "ly")
    rel.ok("start", "ly")
    top = os.path.dirname(rootfs(rel, u))
    st = os.stat(top)
    assert (st.st_uid, st.st_mode & 0o7777) == (100000, 0o100)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "stat",
                        os.path.join(rootfs(rel, u), "bin", "busybox")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "Permission denied" in p.stderr, p
    rel.ok("stop", "ly")
    jail(rel, "lp", "userns=off")
    rel.ok("start", "lp")
    st = os.stat(os.path.dirname(rootfs(rel, rel.jails()["lp"])))
    assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o700)
    rel.ok("stop", "lp")
