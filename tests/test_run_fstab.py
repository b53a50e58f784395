"""Linux engine: fstab bind mounts and jail_zfs.  Mounts live in the jail's
mount namespace only (gone at stop); targets are resolved inside the jail's
root and a symlink planted at a target fails the start, for a stopped jail
and for one whose root user plants it while running."""
import os

import pytest

from conftest import sh
from runhelp import host_state, jail, open_path, rootfs, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")




@pytest.fixture
def hostdir(tmp_path):
    d = tmp_path / "shared"
    d.mkdir()
    (d / "hello.txt").write_text("from the host\n")
    open_path(str(d / "x"))
    os.chmod(str(d), 0o755)
    return str(d)


def host_mounts(rel):
    """Host mount points, but other test sessions' pools (a shared developer
    machine) and the zfs-fuse daemon's own /zfs-kstat."""
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            mp = pre.split()[4]
            fstype, source = post.split()[:2]
            if fstype == "fuse.zfs" and source.split("/")[0] != rel.pool.name:
                continue
            if mp == "/zfs-kstat":
                continue
            res.append(mp)
    return sorted(res)


def test_bind_mount_ro_and_rw(rel, hostdir, tmp_path):
    rw = tmp_path / "rw"
    rw.mkdir()
    os.chmod(str(rw), 0o777)
    u = jail(rel, "fs", "fstab=%s /mnt/shared ro;%s /srv/rw rw" % (hostdir, rw))
    before = host_mounts(rel)
    rel.ok("start", "fs")
    assert rel.ok("exec", "fs", "cat", "/mnt/shared/hello.txt") == "from the host\n"
    r = rel.run("exec", "fs", "touch", "/mnt/shared/new")
    assert r.rc != 0 and "Read-only" in r.err, r
    rel.ok("exec", "fs", "touch", "/srv/rw/made-inside")
    assert os.path.exists(str(rw / "made-inside"))
    # the missing target /srv/rw was made inside the jail, owned by the jail's root
    st = os.lstat(os.path.join(rootfs(rel, u), "srv", "rw"))
    assert st.st_uid == 100000
    # nothing of it on the host's mount table, and nothing after stop
    assert host_mounts(rel) == before
    rel.ok("stop", "fs")
    assert host_mounts(rel) == before
    assert not os.path.exists(os.path.join(rootfs(rel, u), "mnt", "shared", "hello.txt"))


def test_symlink_at_target_of_stopped_jail_fails_start(rel, hostdir, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    u = jail(rel, "ev", "fstab=%s /mnt/evil ro" % hostdir)
    os.makedirs(os.path.join(rootfs(rel, u), "mnt"), exist_ok=True)
    os.symlink(str(victim), os.path.join(rootfs(rel, u), "mnt", "evil"))
    before = host_state(rel)
    mounts = host_mounts(rel)
    r = rel.run("start", "ev")
    assert r.rc == 1
    assert "fstab entry '%s /mnt/evil': '/mnt/evil' in the jail is or goes through a symbolic " \
        "link" % hostdir in r.err, r
    assert state(rel, "ev") == "down"
    assert host_mounts(rel) == mounts and host_state(rel) == before
    assert os.listdir(str(victim)) == []


def test_symlink_planted_by_running_jail_fails_next_start(rel, hostdir):
    jail(rel, "rj", "fstab=%s /mnt/data ro" % hostdir)
    rel.ok("start", "rj")
    # the jail's root replaces its mount target's parent with a link to the host's /
    rel.ok("exec", "rj", "sh", "-c", "umount /mnt/data; rmdir /mnt/data; ln -s / /mnt/data")
    rel.ok("stop", "rj")
    mounts = host_mounts(rel)
    r = rel.run("start", "rj")
    assert r.rc == 1 and "is or goes through a symbolic link" in r.err, r
    assert host_mounts(rel) == mounts
    assert state(rel, "rj") == "down"


def test_fstab_validated_at_set(rel):
    jail(rel, "bad")
    st = rel.zfs_state()
    for v, msg in (("/a", "expected 'SRC DST [ro|rw]'"),
                   ("relative /mnt", "must be absolute paths"),
                   ("/a /mnt/../etc", "without '..'"),
                   ("/a / ro", "cannot be the jail's root"),
                   ("/a /b sometimes", "expected 'SRC DST [ro|rw]'")):
        err = rel.fail("set", "fstab=" + v, "bad")
        assert msg in err, (v, err)
    assert rel.zfs_state() == st
    rel.ok("set", "fstab=/a /b ro;/c /d", "bad")


def test_missing_source_is_clear(rel):
    jail(rel, "ms", "fstab=/nonexistent/src /mnt/x")
    r = rel.run("start", "ms")
    assert r.rc == 1 and "host path '/nonexistent/src' does not exist" in r.err, r


def test_jail_zfs_mounts_the_data_dataset(rel):
    u = jail(rel, "z", "jail_zfs=on")
    r = rel.run("start", "z")
    assert r.rc == 0, r
    assert "needs OpenZFS delegation" in r.err
    ds = "%s/jails/%s/data" % (rel.name, u)
    mp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", ds).strip()
    rel.ok("exec", "z", "sh", "-c", "echo kept > /mnt/data/file")
    with open(os.path.join(mp, "file")) as f:
        assert f.read() == "kept\n"


def test_jail_zfs_dataset_of_another_jail_is_refused(rel):
    """jail_zfs hands a jail its own data or an administrator's dataset beside
    iocage's trees, never another jail's, its own root or a release: start
    refuses before anything happens."""
    other = jail(rel, "zo", "jail_zfs=on")
    u = jail(rel, "zt")
    st = rel.zfs_state()
    hs = host_state(rel)
    for ds, shown in (("jails/%s/data" % other, "jails/%s/data" % other),
                      ("%s/jails/%s/root" % (rel.name, u), "jails/%s/root" % u),
                      ("releases/bb/root", "releases/bb/root"),
                      ("jails", "jails"), (".tags", ".tags")):
        rel.ok("set", "jail_zfs=on", "jail_zfs_dataset=" + ds, "zt")
        r = rel.run("start", "zt")
        assert r.rc == 1 and "jail_zfs_dataset '%s' may not be delegated" % shown in r.err, (ds, r)
        assert state(rel, "zt") == "down"
    assert host_state(rel) == hs
    rel.ok("set", "jail_zfs=off", "zt")
    rel.ok("destroy", "-f", "zt")
    rel.ok("destroy", "-f", "zo")
    assert not any(d.startswith("%s/jails/%s" % (rel.name, u)) for d in rel.zfs_state())
    assert {k: v for k, v in st.items() if u not in k and other not in k} == \
        {k: v for k, v in rel.zfs_state().items() if u not in k and other not in k}
