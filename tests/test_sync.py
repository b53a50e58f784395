"""iocage sync (issue 15, first part): a warm copy of a jail in another
iocage root on this machine.  Two roots on the test pool: the jail's and the
target (activated there); the replica is compared file by file with the
jail after each sync.  promote-replica and migrate between the two roots,
with a running jail.  Remote targets ([USER@]HOST:DATASET) are refused as
not built yet."""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time
import types

import pytest

from conftest import (PREFIX, SANITIZER_MARKS, Root, destroy_pool, destroy_root, install_release,
                      iocage_bin, run_iocage, sh,
                      tree_digest)
import inventory
from runhelp import open_path, rel  # noqa: F401


@pytest.fixture
def target(pool, release):
    """A second iocage root on the same pool (made after the jail's root, so
    torn down first), checked as the root fixture checks its root."""
    name = "%s/virt/ioc%d" % (pool.name, next(pool.counter))
    r = run_iocage(["activate", name])
    assert r.rc == 0, r
    rt = Root(pool, name)
    yield rt
    # the target's tag index names every replica (written before each receive)
    listed = run_iocage(["-r", name, "list", "-H"])
    problems = inventory.invariants(rt, listed.out) if listed.rc == 0 else \
        ["list of the target failed: %r" % (listed,)]
    destroy_root(name)
    assert not problems, problems


def snaps(ds):
    out = sh("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", ds)
    return sorted(l.split("@")[1] for l in out.split() if l.startswith(ds + "@"))


def origin(ds):
    return sh("zfs", "get", "-H", "-o", "value", "origin", ds).strip()


def guid(ds):
    return sh("zfs", "get", "-H", "-o", "value", "guid", ds).strip()


def replica_tree(t, uuid):
    """The replica's root files (mounted for the comparison, unmounted again)."""
    ds = "%s/jails/%s/root" % (t.name, uuid)
    sh("zfs", "mount", ds)
    try:
        mp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", ds).strip()
        return tree_digest(mp)
    finally:
        subprocess.run(["zfs", "unmount", ds], capture_output=True)


def jail_tree(r, uuid):
    return tree_digest(os.path.join(r.mountpoint, "jails", uuid, "root"))


@pytest.mark.parametrize("thin", [False, True], ids=["thick", "thin"])
def test_first_and_incremental_sync_make_a_replica_that_never_starts(release, target, thin):
    r, t = release, target
    out = r.ok("create", *(["-c"] if thin else []), "release=bb", "tag=s1",
               "sync_target=" + t.name, "boot=on").split()
    uuid = out[0]
    src = os.path.join(r.mountpoint, "jails", uuid, "root")
    with open(os.path.join(src, "etc", "synced"), "w") as f:
        f.write("one\n")
    res = r.run("sync", "s1")
    out = res.out
    assert res.rc == 0, res
    assert "%s/jails/%s" % (t.name, uuid) in out and "ioc-sync-1" in out and "full" in out, out
    # a thin jail's release goes there first; the replica never depends on
    # this root (one pool: zfs-fuse's receive may pick this root's copy of the
    # origin, and the sync then sends a whole copy; a thin replica on
    # another pool: test_a_thin_replica_on_another_pool)
    got = origin("%s/jails/%s/root" % (t.name, uuid))
    assert got in ("-", "%s/releases/bb/root@ioc-release" % t.name), got
    assert (got == "-" and thin) == ("it goes again, whole" in res.err), res
    assert thin == ("bb" in t.ok("list", "-r").split())
    # listed there as a replica, with the jail's tag and properties; never started there
    row = [l.split("\t") for l in t.ok("list", "-H").splitlines()]
    assert [(x[1], x[3], x[4]) for x in row] == [(uuid, "replica", "s1")], row
    assert t.ok("get", "state", "s1").strip() == "replica"
    assert t.ok("get", "sync_target", "s1").strip() == t.name
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    err = t.fail("start", "s1")
    assert "'s1' is a replica" in err and "never starts here" in err, err
    out = t.run("rcboot")
    assert "s1" not in out.out and t.ok("get", "state", "s1").strip() == "replica", out
    # a change, then an incremental sync carries just that
    with open(os.path.join(src, "etc", "synced"), "w") as f:
        f.write("two\n")
    os.unlink(os.path.join(src, "etc", "motd")) if os.path.exists(
        os.path.join(src, "etc", "motd")) else None
    tf = os.path.join(r.mountpoint, "..", "sync-trace-%s" % uuid)
    res = r.run("sync", "s1", env={"IOC_FAULT_TRACE": tf})
    out = res.out
    assert "ioc-sync-2" in out and "incremental" in out, res
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    # neither root is read on its own: this one through the name's lookup, the
    # target through its replica's `active` (inherited from it)
    with open(tf) as f:
        gets = [l.split() for l in f if l.split()[1:3] == ["zfs", "get"]]
    os.unlink(tf)
    assert not [g for g in gets if g[-1] in (r.name, t.name)], gets
    # the replica is synced to, never from
    err = t.fail("sync", "s1")
    assert "'s1' is a replica: it is synced to, not from" in err, err
    # a third: both sides keep their two newest sync snapshots
    r.ok("sync", "s1")
    assert snaps("%s/jails/%s" % (r.name, uuid)) == ["ioc-sync-2", "ioc-sync-3"]
    assert snaps("%s/jails/%s" % (t.name, uuid)) == ["ioc-sync-2", "ioc-sync-3"]
    # the jail itself is untouched and starts as before in its own root
    assert r.ok("get", "replica", "s1").strip() == "no"
    assert r.ok("get", "state", "s1").strip() == "down"


def test_sync_all_takes_the_jails_with_sync_state_on(release, target):
    r, t = release, target
    r.ok("create", "-c", "release=bb", "tag=a1", "sync_target=" + t.name, "sync_state=on")
    r.ok("create", "-c", "release=bb", "tag=a2", "sync_target=" + t.name)
    out = r.ok("--json", "sync", "ALL")
    assert '"a1"' in out and '"a2"' not in out and '"full"' in out, out
    assert [l.split("\t")[4] for l in t.ok("list", "-H").splitlines()] == ["a1"]


@pytest.mark.parametrize("value,expected", [
    (None, "has no sync_target: set sync_target=POOL/DATASET"),
    ("SELF", "is this root"),
    ("SELF/jails", "is this root"),
    ("POOL/virt", "is this root"),
    ("NEIGHBOUR", "is not an active iocage root"),
    ("POOL/virt/nothere", "cannot read iocage root"),
    # a host where nothing answers ssh (this machine's loopback; nothing leaves it)
    ("backup@127.0.0.1:tank/iocage", "jail 's2': target backup@127.0.0.1:tank/iocage: ssh: "),
])
def test_refused_targets_change_nothing(release, target, pool, value, expected):
    r, t = release, target
    r.ok("create", "-c", "release=bb", "tag=s2")
    neighbour = "%s/ioc-sync-neighbour" % pool.name
    if value == "NEIGHBOUR":
        # a tenant's dataset beside the roots: never written to
        sh("zfs", "create", neighbour)
    try:
        if value is not None:
            v = value.replace("SELF", r.name).replace("POOL", pool.name).replace(
                "NEIGHBOUR", neighbour)
            r.ok("set", "sync_target=" + v, "s2")
        before, tbefore = r.zfs_state(), t.zfs_state()
        nbefore = sh("zfs", "get", "-H", "-r", "all", neighbour) if value == "NEIGHBOUR" else ""
        r_ = r.run("sync", "s2")
        assert r_.rc == 1 and expected in r_.err, r_
        assert r.zfs_state() == before and t.zfs_state() == tbefore
        if value == "NEIGHBOUR":
            assert sh("zfs", "get", "-H", "-r", "all", neighbour) == nbefore
    finally:
        if value == "NEIGHBOUR":
            destroy_root(neighbour)


@pytest.mark.parametrize("value", ["tank", "-o/x", "user@:tank/x", "Root@h:tank/x",
                                   "h:tank/x@snap", "tank//x", "/tank/x"])
def test_bad_sync_target_values_are_refused_at_set(release, value):
    r = release
    r.ok("create", "-c", "release=bb", "tag=s3")
    st = r.zfs_state()
    r_ = r.run("set", "sync_target=" + value, "s3")
    assert r_.rc != 0 and "sync_target" in r_.err, r_
    assert r.zfs_state() == st


def test_an_incremental_sync_into_a_root_no_longer_active_is_refused(release, target):
    """The target root is checked in the read of its replica (the `active` it
    inherits): a root whose mark was taken away after the first sync refuses
    the next, nothing changed on either side; marked again, the sync goes on."""
    r, t = release, target
    r.ok("create", "-c", "release=bb", "tag=na", "sync_target=" + t.name)
    r.ok("sync", "na")
    sh("zfs", "set", "org.freebsd.iocage:active=no", t.name)
    try:
        before, tbefore = r.zfs_state(), t.zfs_state()
        res = r.run("sync", "na")
        assert res.rc == 1, res
        assert "jail 'na': target" in res.err and "not an active iocage root" in res.err, res
        assert r.zfs_state() == before and t.zfs_state() == tbefore
    finally:
        sh("zfs", "set", "org.freebsd.iocage:active=yes", t.name)
    out = r.ok("sync", "na")
    assert "ioc-sync-2" in out and "incremental" in out, out


def test_a_thin_jail_with_datasets_below_its_root_is_refused(release, target):
    """A thin jail's root with a dataset of its own below it (made behind
    iocage's back) cannot be sent dataset by dataset: refused before any
    snapshot, nothing changed on either side."""
    r, t = release, target
    uuid = r.ok("create", "-c", "release=bb", "tag=dp", "sync_target=" + t.name).split()[0]
    sh("zfs", "create", "%s/jails/%s/root/srv" % (r.name, uuid))
    before, tbefore = r.zfs_state(), t.zfs_state()
    res = r.run("sync", "dp")
    assert res.rc == 1, res
    assert "jail 'dp': its root is a clone with datasets of its own below it" in res.err, res
    assert r.zfs_state() == before and t.zfs_state() == tbefore


def test_sync_never_overwrites_what_is_not_its_replica(release, target):
    r, t = release, target
    uuid = r.ok("create", "-c", "release=bb", "tag=s4", "sync_target=" + t.name).split()[0]
    # a dataset of that name in the target that is not this jail's replica
    sh("zfs", "create", "%s/jails/%s" % (t.name, uuid))
    tbefore = t.zfs_state()
    r_ = r.run("sync", "s4")
    assert r_.rc == 1 and "is not a replica of jail 's4': refusing to overwrite it" in r_.err, r_
    assert t.zfs_state() == tbefore
    # the legacy spelling names the same property
    assert r.ok("get", "sync_tgt_zpool", "s4").strip() == t.name
    assert PREFIX + "replica" not in t.zfs_state().get("%s/jails/%s" % (t.name, uuid), {})


def test_a_replica_that_shares_no_snapshot_is_refused(release, target):
    """The jail's sync snapshots were removed behind iocage's back: no
    incremental base is left, and the replica is not overwritten."""
    r, t = release, target
    uuid = r.ok("create", "-c", "release=bb", "tag=s5", "sync_target=" + t.name).split()[0]
    r.ok("sync", "s5")
    sh("zfs", "destroy", "-r", "%s/jails/%s@ioc-sync-1" % (r.name, uuid))
    before, tbefore = r.zfs_state(), t.zfs_state()
    r_ = r.run("sync", "s5")
    assert r_.rc == 1 and "shares no ioc-sync snapshot with jail 's5'" in r_.err, r_
    assert r.zfs_state() == before and t.zfs_state() == tbefore


def test_a_tag_taken_in_the_target_root_is_refused(release, target):
    """The replica carries the jail's tag: a target root with another jail of
    that tag refuses it (list and names there would be ambiguous)."""
    r, t = release, target
    r.ok("create", "-c", "release=bb", "tag=s6", "sync_target=" + t.name)
    t.ok("create", "-e", "tag=s6")
    before, tbefore = r.zfs_state(), t.zfs_state()
    r_ = r.run("sync", "s6")
    assert r_.rc == 1 and "the target root %s has another jail tagged 's6'" % t.name in r_.err, r_
    assert r.zfs_state() == before and t.zfs_state() == tbefore
    # renamed there, the sync goes through
    t.ok("set", "tag=s6-local", "s6")
    r.ok("sync", "s6")
    assert sorted(t.jails()) == ["s6", "s6-local"]


@pytest.fixture
def far_pool(pool):
    """A second pool (its own sparse file), as a replica's pool would be."""
    p = types.SimpleNamespace(name="%sf%d" % (pool.name, next(pool.counter)),
                              dir=tempfile.mkdtemp(prefix="ioct%d." % os.getpid(), dir="/var/tmp"))
    p.file, p.mountpoint = os.path.join(p.dir, "pool.img"), os.path.join(p.dir, "mnt")
    p.counter = pool.counter
    with open(p.file, "wb") as f:
        f.truncate(512 << 20)
    sh("zpool", "create", "-m", p.mountpoint, p.name, p.file)
    try:
        sh("zfs", "create", p.name + "/virt")
        yield p
    finally:
        problem = destroy_pool(p.name)
        assert problem is None, problem   # the file stays: the pool can still go
        shutil.rmtree(p.dir, ignore_errors=True)


def far_root(pool):
    name = "%s/virt/ioc%d" % (pool.name, next(pool.counter))
    assert run_iocage(["activate", name]).rc == 0
    return Root(pool, name)


def test_a_thin_replica_on_another_pool(release, far_pool, busybox_tarball):
    """A thin jail's replica in a root of another pool is thin: the release's
    snapshot goes there first (with the release's properties) and the
    replica's root is a clone of it; a second thin jail of the release takes
    the same copy; a jail's other datasets (data) come along; increments
    follow; a target root whose release of that name is another fetch
    (another guid) gets a whole copy, with a note."""
    r, t = release, far_root(far_pool)
    u1 = r.ok("create", "-c", "release=bb", "tag=t1", "sync_target=" + t.name).split()[0]
    u2 = r.ok("create", "-c", "release=bb", "tag=t2", "sync_target=" + t.name).split()[0]
    sh("zfs", "create", "%s/jails/%s/data" % (r.name, u2))
    res = r.run("sync", "t1")
    assert res.rc == 0 and res.err == "", res
    rel_snap = "%s/releases/bb/root@ioc-release" % t.name
    assert guid(rel_snap) == guid("%s/releases/bb/root@ioc-release" % r.name)
    assert origin("%s/jails/%s/root" % (t.name, u1)) == rel_snap
    assert replica_tree(t, u1) == jail_tree(r, u1)
    for p in ("release_source", "release_idmap"):
        assert sh("zfs", "get", "-H", "-o", "value", PREFIX + p, "%s/releases/bb" % t.name) == \
            sh("zfs", "get", "-H", "-o", "value", PREFIX + p, "%s/releases/bb" % r.name)
    assert staging(t) == []
    res = r.run("sync", "t2")
    assert res.rc == 0 and res.err == "", res
    assert origin("%s/jails/%s/root" % (t.name, u2)) == rel_snap
    assert snaps("%s/jails/%s/data" % (t.name, u2)) == ["ioc-sync-1"]
    assert replica_tree(t, u2) == jail_tree(r, u2)
    with open(os.path.join(r.mountpoint, "jails", u1, "root", "etc", "inc"), "w") as f:
        f.write("two\n")
    assert "incremental" in r.ok("sync", "t1")
    assert replica_tree(t, u1) == jail_tree(r, u1)
    assert origin("%s/jails/%s/root" % (t.name, u1)) == rel_snap
    # another root with its own fetch of bb: a whole copy, said so
    t2 = far_root(far_pool)
    install_release(t2, busybox_tarball)
    before = guid("%s/releases/bb/root@ioc-release" % t2.name)
    r.ok("set", "sync_target=" + t2.name, "t1")
    res = r.run("sync", "t1")
    assert res.rc == 0 and "release bb is not this root's" in res.err, res
    assert origin("%s/jails/%s/root" % (t2.name, u1)) == "-"
    assert replica_tree(t2, u1) == jail_tree(r, u1)
    assert guid("%s/releases/bb/root@ioc-release" % t2.name) == before
    for root in (t2, t):
        inv = inventory.invariants(root, root.ok("list", "-H"))
        assert not inv, inv
        destroy_root(root.name)


def test_a_tag_renamed_between_syncs_follows_to_the_replica(release, target):
    """The replica's tag is read with its snapshots: the same tag skips the
    target's tag check, a new one takes it (and its index entry) again, and
    a new tag another jail holds there is refused, nothing changed."""
    r, t = release, target
    uuid = r.ok("create", "-e", "tag=s7", "sync_target=" + t.name).split()[0]
    r.ok("sync", "s7")
    r.ok("set", "tag=s7b", "s7")
    r.ok("sync", "s7b")
    assert states(t) == {"s7b": "replica"}
    t.ok("create", "-e", "tag=s7c")
    r.ok("set", "tag=s7c", "s7b")
    before, tbefore = r.zfs_state(), t.zfs_state()
    res = r.run("sync", "s7c")
    assert res.rc == 1 and "has another jail tagged 's7c'" in res.err, res
    assert r.zfs_state() == before and t.zfs_state() == tbefore
    assert states(t) == {"s7b": "replica", "s7c": "down"}
    assert uuid in t.ok("get", "uuid", "s7b")


def fault_injection():
    return b"IOC_FAULT_KILL" in open(iocage_bin(), "rb").read()


def writing_steps(root, tmp_path, *args):
    """The numbers of the external commands a successful run makes
    (IOC_FAULT_TRACE) from its first that is not a `zfs get` (the target's
    tag index entry, or the snapshot): a run killed
    before one of the reads ahead of it has changed nothing (checked here:
    they are all reads)."""
    tf = tmp_path / ("trace%d" % len(os.listdir(str(tmp_path))))
    res = root.run(*args, env={"IOC_FAULT_TRACE": str(tf)})
    assert res.rc == 0, res
    lines = tf.read_text().splitlines()
    first = next(i for i, l in enumerate(lines) if " zfs get " not in " " + l.split(" ", 1)[1])
    # the first write: the replica's entry in the target's tag index, or the snapshot
    cmd = " " + lines[first].split(" ", 1)[1]
    assert " zfs snapshot " in cmd or " zfs set org.freebsd.iocage:t." in cmd, lines
    return range(first + 1, len(lines) + 1)


def staging(t):
    out = sh("zfs", "list", "-H", "-o", "name", "-r", t.name + "/packages")
    return [d for d in out.split() if "/packages/sync-" in d]


def states(root):
    """TAG: STATE of every jail the root lists."""
    return {l.split("\t")[4]: l.split("\t")[3] for l in root.ok("list", "-H").splitlines()}


def walk_increment(r, t, uuid, tag, tmp_path):
    """kill -9 before each external command of an incremental sync (a change
    written before each): the replica is the old state or the new one, never
    half, and the next sync completes.  Returns the replica's last tree."""
    src = os.path.join(r.mountpoint, "jails", uuid, "root")
    inc = writing_steps(r, tmp_path, "sync", tag)
    new = replica_tree(t, uuid)
    assert new == jail_tree(r, uuid)
    for step in inc:
        with open(os.path.join(src, "etc", "inc"), "w") as f:
            f.write("step %d\n" % step)
        res = r.run("sync", tag, env={"IOC_FAULT_KILL": str(step)})
        assert res.rc in (-9, 137), (step, res)
        assert states(t) == {tag: "replica"}, step
        assert replica_tree(t, uuid) in (new, jail_tree(r, uuid)), step
        r.ok("sync", tag)
        new = replica_tree(t, uuid)
        assert new == jail_tree(r, uuid), step
    assert staging(t) == []
    return new


@pytest.mark.skipif(not fault_injection(), reason="binary built without fault injection")
def test_sync_killed_at_every_step_leaves_no_half_replica(release, target, tmp_path):
    """kill -9 before each external command of a first and of an incremental
    sync, from the snapshot on (the commands before it only read): the target
    root lists no jail or the whole replica (never a startable copy), an
    incremental replica is the old state or the new one, and the next sync
    completes."""
    r, t = release, target
    uuid = r.ok("create", "release=bb", "tag=k1", "sync_target=" + t.name).split()[0]
    r.ok("get", "tag", "k1")  # the name hint made: every run below finds k1 alike
    src = os.path.join(r.mountpoint, "jails", uuid, "root")
    first = writing_steps(r, tmp_path, "sync", "k1")
    # start again from nothing: the replica goes, the jail's snapshot too
    t.ok("destroy", "-f", "k1")
    sh("zfs", "destroy", "-r", "%s/jails/%s@ioc-sync-1" % (r.name, uuid))
    for step in first:
        res = r.run("sync", "k1", env={"IOC_FAULT_KILL": str(step)})
        assert res.rc in (-9, 137), (step, res)
        assert states(t) in ({}, {"k1": "replica"}), step
        r.ok("sync", "k1")
        assert states(t) == {"k1": "replica"} and staging(t) == [], step
        assert replica_tree(t, uuid) == jail_tree(r, uuid)
        t.ok("destroy", "-f", "k1")
        for s in snaps("%s/jails/%s" % (r.name, uuid)):
            sh("zfs", "destroy", "-r", "%s/jails/%s@%s" % (r.name, uuid, s))
    # the incremental one: the replica is the old state or the new one, never half
    r.ok("sync", "k1")
    old = replica_tree(t, uuid)
    with open(os.path.join(src, "etc", "inc"), "w") as f:
        f.write("new\n")
    new = walk_increment(r, t, uuid, "k1", tmp_path)
    assert new != old


@pytest.mark.skipif(not fault_injection(), reason="binary built without fault injection")
def test_a_thin_sync_killed_at_every_step_leaves_no_half_replica(release, far_pool, tmp_path):
    """kill -9 before each external command of a thin jail's first sync into
    another pool (its release sent first, then the parts), and of an
    increment in parts: the target lists no jail or the whole replica, its
    release is absent or whole, and the next sync completes and cleans up."""
    r, t = release, far_root(far_pool)
    uuid = r.ok("create", "-c", "release=bb", "tag=k2", "sync_target=" + t.name).split()[0]
    r.ok("get", "tag", "k2")  # the name hint made: every run below finds k2 alike
    src = os.path.join(r.mountpoint, "jails", uuid, "root")
    rel = "%s/releases/bb" % t.name

    def reset():
        t.ok("destroy", "-f", "k2")
        sh("zfs", "destroy", "-r", rel)
        for s_ in snaps("%s/jails/%s" % (r.name, uuid)):
            sh("zfs", "destroy", "-r", "%s/jails/%s@%s" % (r.name, uuid, s_))

    first = writing_steps(r, tmp_path, "sync", "k2")
    reset()
    for step in first:
        res = r.run("sync", "k2", env={"IOC_FAULT_KILL": str(step)})
        assert res.rc in (-9, 137), (step, res)
        assert states(t) in ({}, {"k2": "replica"}), step
        listed = sh("zfs", "list", "-H", "-o", "name", "-r", t.name).split()
        assert rel not in listed or rel + "/root" in listed, step
        r.ok("sync", "k2")
        assert states(t) == {"k2": "replica"} and staging(t) == [], step
        assert origin("%s/jails/%s/root" % (t.name, uuid)) == rel + "/root@ioc-release"
        assert replica_tree(t, uuid) == jail_tree(r, uuid)
        reset()
    r.ok("sync", "k2")
    with open(os.path.join(src, "etc", "inc"), "w") as f:
        f.write("new\n")
    walk_increment(r, t, uuid, "k2", tmp_path)
    destroy_root(t.name)


def test_promote_replica_makes_a_jail_of_the_target(release, target):
    r, t = release, target
    uuid = r.ok("create", "release=bb", "tag=p1", "sync_target=" + t.name,
                "sync_state=on").split()[0]
    r.ok("sync", "p1")
    # not a replica: nothing to promote, nothing changes
    st = r.zfs_state()
    res = r.run("promote-replica", "p1")
    assert res.rc == 1 and "'p1' is not a replica: there is nothing to promote" in res.err, res
    assert r.zfs_state() == st
    # its source lives on this host: refused without -f
    tst = t.zfs_state()
    res = t.run("promote-replica", "p1")
    assert res.rc == 1 and "lives on this host" in res.err and "iocage migrate" in res.err, res
    assert t.zfs_state() == tst
    out = t.ok("promote-replica", "-f", "p1")
    assert "p1 (%s) promoted: a jail of %s now" % (uuid, t.name) in out, out
    assert states(t) == {"p1": "down"}
    assert t.ok("get", "replica", "p1").strip() == "no"
    assert t.ok("get", "sync_target", "p1").strip() == "none"
    assert t.ok("get", "sync_state", "p1").strip() == "off"
    # the source's next sync finds a jail there, not its replica: refused, nothing changes
    tst = t.zfs_state()
    res = r.run("sync", "p1")
    assert res.rc == 1 and "is not a replica of jail 'p1'" in res.err, res
    assert t.zfs_state() == tst


@pytest.fixture
def two_roots(rel, target):
    """The busybox root (jails start unprivileged, no network) and a target
    root set up the same way; no container is left in either."""
    open_path(target.mountpoint)
    target.ok("set", "interfaces=none", "default")
    yield rel, target
    target.run("stop", "-f", "ALL")


def test_migrate_moves_a_running_jail_and_fences_the_source(two_roots):
    r, t = two_roots
    uuid = r.ok("create", "release=bb", "tag=m1", "boot=on").split()[0]
    src = os.path.join(r.mountpoint, "jails", uuid, "root")
    r.ok("start", "m1")
    with open(os.path.join(src, "etc", "moved"), "w") as f:
        f.write("with the jail\n")
    out = r.ok("migrate", "m1", t.name)
    assert "m1 (%s) migrated to %s/jails/%s: running there, down for" % (
        uuid, t.name, uuid) in out, out
    assert states(r) == {"m1": "migrated"} and states(t) == {"m1": "up"}
    assert r.ok("get", "migrated", "m1").strip() == t.name
    assert t.ok("get", "replica", "m1").strip() == "no"
    dst = os.path.join(t.mountpoint, "jails", uuid, "root")
    assert open(os.path.join(dst, "etc", "moved")).read() == "with the jail\n"
    assert t.ok("exec", "m1", "cat", "/etc/moved") == "with the jail\n"
    # the source never starts again, not even at boot; its root lists it as migrated
    res = r.run("start", "m1")
    assert res.rc == 1 and "'m1' was migrated to %s" % t.name in res.err, res
    assert "m1" not in r.run("rcboot").out
    assert states(r) == {"m1": "migrated"} and states(t) == {"m1": "up"}
    # migrated: not synced, not migrated again, and nothing changes
    st, tst = r.zfs_state(), t.zfs_state()
    res = r.run("migrate", "m1", t.name)
    assert res.rc == 1 and "'m1' was migrated to %s" % t.name in res.err, res
    res = r.run("sync", "m1")
    assert res.rc == 1 and "'m1' was migrated to %s" % t.name in res.err, res
    assert r.zfs_state() == st and t.zfs_state() == tst
    # the source root's stop does not reach the jail running in the target root
    r.run("stop", "m1")
    assert states(t) == {"m1": "up"}
    t.ok("stop", "m1")
    r.ok("destroy", "-f", "m1")
    assert states(r) == {} and states(t) == {"m1": "down"}


def test_migrate_of_a_thin_jail_to_another_pool(rel, far_pool):
    """A running thin jail moves to a root on another pool: its release goes
    there first, the jail runs there as a clone of that copy, and the source
    root can then lose the jail (destroy) without touching the moved one."""
    t = far_root(far_pool)
    try:
        open_path(t.mountpoint)
        t.ok("set", "interfaces=none", "default")
        uuid = rel.ok("create", "-c", "release=bb", "tag=m9").split()[0]
        rel.ok("start", "m9")
        rel.ok("exec", "m9", "sh", "-c", "echo thin > /etc/moved")
        out = rel.ok("migrate", "m9", t.name)
        assert "m9 (%s) migrated to %s/jails/%s: running there" % (uuid, t.name, uuid) in out
        assert states(t) == {"m9": "up"}
        assert origin("%s/jails/%s/root" % (t.name, uuid)) == \
            "%s/releases/bb/root@ioc-release" % t.name
        assert t.ok("exec", "m9", "cat", "/etc/moved") == "thin\n"
        rel.ok("destroy", "-f", "m9")
        assert t.ok("exec", "m9", "cat", "/etc/moved") == "thin\n"
        t.ok("stop", "m9")
    finally:
        t.run("stop", "-f", "ALL")
        destroy_root(t.name)


def test_migrate_that_fails_after_the_stop_leaves_the_source_running(two_roots, tmp_path):
    """The last sync fails (its zfs send): the source runs again, unmarked,
    and the target holds the replica of the first sync, nothing startable."""
    r, t = two_roots
    if not fault_injection():
        pytest.skip("binary built without fault injection")
    r.ok("create", "release=bb", "tag=m2")
    r.ok("start", "m2")
    jid0 = r.ok("get", "jid", "m2").strip()
    tf = tmp_path / "trace"
    # a traced run: the send of the second sync
    res = r.run("migrate", "--json", "m2", t.name, env={"IOC_FAULT_TRACE": str(tf)})
    assert res.rc == 0 and res.out.startswith("["), res
    row, = json.loads(res.out)
    ms = row.pop("downtime_ms")
    assert row == {"tag": "m2", "uuid": r.jails()["m2"], "root": t.name, "state": "up"}, res
    assert ms.isdigit(), res
    send = [int(l.split()[0]) for l in tf.read_text().splitlines() if "zfs send " in l]
    assert len(send) == 2, tf.read_text()
    # back to the start: the migrated jail there goes, the source is unmarked and runs
    t.ok("stop", "m2")
    t.ok("destroy", "-f", "m2")
    sh("zfs", "inherit", PREFIX + "migrated", "%s/jails/%s" % (r.name, r.jails()["m2"]))
    r.ok("start", "m2")
    res = r.run("migrate", "m2", t.name, env={"IOC_FAULT_FAIL": "%d:1" % send[1]})
    assert res.rc == 1 and "jail 'm2' not migrated (running here again)" in res.err, res
    assert states(r) == {"m2": "up"} and states(t) == {"m2": "replica"}
    assert r.ok("get", "migrated", "m2").strip() == "no"
    assert jid0 != r.ok("get", "jid", "m2").strip()
    # a refused target changes nothing and never stops the jail
    jid1 = r.ok("get", "jid", "m2").strip()
    before = r.zfs_state()
    res = r.run("migrate", "m2", r.name)
    assert res.rc == 1 and "is this root" in res.err, res
    assert r.zfs_state() == before and r.ok("get", "jid", "m2").strip() == jid1


@pytest.mark.skipif(not fault_injection(), reason="binary built without fault injection")
def test_migrate_killed_at_every_step_never_leaves_two_startable_copies(two_roots, tmp_path):
    """kill -9 before each external command of a migrate, from the second
    sync's snapshot on (the first sync is the sync kill walk's): never are the
    source and its copy in the target both startable, and what is left is
    finished by the way the man page gives: a source not marked migrated is
    migrated again; a marked one is finished by promote-replica -f there."""
    r, t = two_roots
    uuid = r.ok("create", "release=bb", "tag=m3").split()[0]
    src = "%s/jails/%s" % (r.name, uuid)
    tf = tmp_path / "trace"

    def reset():
        t.ok("destroy", "-f", "m3")
        sh("zfs", "inherit", PREFIX + "migrated", src)
        for sn in snaps(src):
            sh("zfs", "destroy", "-r", "%s@%s" % (src, sn))

    # the steps of a migrate from the state every killed run starts from
    r.ok("migrate", "m3", t.name)
    reset()
    assert r.run("migrate", "m3", t.name, env={"IOC_FAULT_TRACE": str(tf)}).rc == 0
    reset()
    # "N argv" lines; migrate re-executes itself once (the run-time set-up), so
    # the first number is there twice
    steps = [(int(n), cmd) for n, cmd in (l.split(" ", 1) for l in tf.read_text().splitlines())]
    snap = [n for n, cmd in steps if cmd.startswith("zfs snapshot ")]
    assert len(snap) == 2, steps
    for step in range(snap[1], max(n for n, _ in steps) + 1):
        res = r.run("migrate", "m3", t.name, env={"IOC_FAULT_KILL": str(step)})
        assert res.rc in (-9, 137), (step, res)
        here, there = states(r)["m3"], states(t).get("m3")
        assert here in ("down", "migrated") and there in (None, "replica", "down"), (step, here,
                                                                                 there)
        assert not (here == "down" and there == "down"), (step, "two startable copies")
        if here == "down":
            r.ok("migrate", "m3", t.name)
        elif there == "replica":
            t.ok("promote-replica", "-f", "m3")
        assert states(r) == {"m3": "migrated"} and states(t) == {"m3": "down"}, step
        assert t.ok("get", "replica", "m3").strip() == "no", step
        reset()


def _on_a_terminal(args):
    """Runs iocage with its stderr on a pseudo-terminal: (status, stdout, what
    the terminal got)."""
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=86")
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([iocage_bin()] + args, env=env, stdout=subprocess.PIPE,
                             stderr=slave)
    finally:
        os.close(slave)
    got = b""
    deadline = time.monotonic() + 300
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                p.kill()
                raise AssertionError("iocage %s hung; its terminal got %r" % (args, got))
            if not select.select([master], [], [], left)[0]:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every end of the terminal is closed
                break
            if not chunk:
                break
            got += chunk
    finally:
        os.close(master)
    out = p.stdout.read().decode()
    p.stdout.close()
    return p.wait(timeout=300), out, got.decode(errors="replace")


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "terminal"])
def test_a_full_target_refuses_and_keeps_nothing_half(release, target, tty):
    """The target root has no room (a quota): the receive fails, the target
    lists nothing and keeps no leftover, the jail is as it was but for its new
    sync snapshot, and once there is room the next sync completes.  On a
    terminal the stream goes through iocage (the progress line): the receive
    that dies mid-stream ends the copy, and the failure is the same."""
    r, t = release, target
    uuid = r.ok("create", "release=bb", "tag=f1", "sync_target=" + t.name).split()[0]
    with open(os.path.join(r.mountpoint, "jails", uuid, "root", "fill"), "wb") as f:
        f.write(os.urandom(3 << 20))
    sh("zfs", "set", "quota=1M", t.name + "/packages")
    sh("zfs", "set", "quota=1M", t.name + "/jails")
    tbefore = t.zfs_state()
    if tty:
        rc, out, term = _on_a_terminal(["-r", r.name, "sync", "f1"])
        assert rc == 1 and "zfs receive" in term, (out, term)
        assert not any(m in term for m in SANITIZER_MARKS), term
    else:
        res = r.run("sync", "f1")
        assert res.rc == 1 and "zfs receive" in res.err, res
    assert states(t) == {} and t.zfs_state() == tbefore
    assert snaps("%s/jails/%s" % (r.name, uuid)) == ["ioc-sync-1"]
    sh("zfs", "set", "quota=none", t.name + "/packages")
    sh("zfs", "set", "quota=none", t.name + "/jails")
    out = r.ok("sync", "f1")
    assert "ioc-sync-2" in out and "full" in out, out
    assert replica_tree(t, uuid) == jail_tree(r, uuid)


def test_two_syncs_racing_make_one_replica(release, target):
    """Two syncs of one jail at once: the jail's lock puts them one after the
    other; both succeed and the replica is the jail."""
    r, t = release, target
    uuid = r.ok("create", "release=bb", "tag=race", "sync_target=" + t.name).split()[0]
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=86")
    ps = [subprocess.Popen([iocage_bin(), "-r", r.name, "sync", "race"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for _ in range(2)]
    outs = [p.communicate(timeout=300) + (p.returncode,) for p in ps]
    assert [o[2] for o in outs] == [0, 0], outs
    kinds = sorted(o[0].split()[-1] for o in outs)
    assert kinds == ["full", "incremental"], outs
    assert states(t) == {"race": "replica"}
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    assert snaps("%s/jails/%s" % (t.name, uuid)) == ["ioc-sync-1", "ioc-sync-2"]


def test_sync_on_a_terminal_shows_its_progress(release, target):
    """On a terminal a sync draws one progress line on stderr (the jail's tag,
    MiB so far, MiB/s), its stream relayed and counted by iocage; the replica
    is the jail all the same.  Off a terminal, and with -H or --json, no line."""
    r, t = release, target
    uuid = r.ok("create", "release=bb", "tag=prog", "sync_target=" + t.name).split()[0]
    with open(os.path.join(r.mountpoint, "jails", uuid, "root", "etc", "big"), "wb") as f:
        f.write(os.urandom(3 << 20))
    rc, out, term = _on_a_terminal(["-r", r.name, "sync", "prog"])
    assert rc == 0 and "full" in out, (out, term)
    assert re.search(r"prog: [0-9.]+ MiB, [0-9.]+ MiB/s", term), term
    assert not any(m in term for m in SANITIZER_MARKS), term
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    with open(os.path.join(r.mountpoint, "jails", uuid, "root", "etc", "big"), "ab") as f:
        f.write(os.urandom(1 << 20))
    rc, out, term = _on_a_terminal(["-r", r.name, "sync", "--json", "prog"])
    assert rc == 0 and json.loads(out)[0]["kind"] == "incremental", (out, term)
    assert "MiB" not in term, term
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    res = r.run("sync", "prog")
    assert res.rc == 0 and "MiB" not in res.err, res


def test_migrate_refuses_templates_and_jails_others_depend_on(release, target):
    r, t = release, target
    r.ok("create", "release=bb", "tag=base")
    r.ok("create", "-e", "tag=needs", "depends=base")
    r.ok("create", "release=bb", "tag=tpl")
    r.ok("set", "template=yes", "tpl")
    before, tbefore = r.zfs_state(), t.zfs_state()
    res = r.run("migrate", "base", t.name)
    assert res.rc == 1 and "cannot migrate 'base': jail(s) 'needs' of this root depend on it" \
        in res.err, res
    res = r.run("migrate", "tpl", t.name)
    assert res.rc == 1 and "'tpl' is a template: its clones stay in this root" in res.err, res
    res = r.run("migrate", "needs", t.name + "//x")
    assert res.rc == 1 and "invalid target '%s//x': expected [USER@]HOST:POOL/DATASET or " \
        "POOL/DATASET" % t.name \
        in res.err, res
    assert r.zfs_state() == before and t.zfs_state() == tbefore


def sync_refused_without_packages(r, t, tag):
    """A sync of tag into t after t's packages dataset is taken away: the
    missing dataset named, t unchanged, no replica there."""
    destroy_root(t.name + "/packages")
    tbefore = t.zfs_state()
    res = r.run("sync", tag)
    assert res.rc == 1 and "has no %s/packages: run 'iocage activate %s' there" % (
        t.name, t.name) in res.err, res
    assert t.zfs_state() == tbefore and states(t) == {}


def test_a_target_without_its_packages_dataset_is_refused(release, target):
    """A first sync stages in TARGET/packages: a root lacking it is named, and
    nothing is received (the jail gets only its new sync snapshot)."""
    r, t = release, target
    uuid = r.ok("create", "-e", "tag=np", "sync_target=" + t.name).split()[0]
    sync_refused_without_packages(r, t, "np")
    assert snaps("%s/jails/%s" % (r.name, uuid)) == ["ioc-sync-1"]


def test_a_thin_sync_into_a_root_without_packages_is_refused(release, far_pool):
    """The same for a thin jail, whose release goes first: named before any
    write there."""
    r, t = release, far_root(far_pool)
    r.ok("create", "-c", "release=bb", "tag=np2", "sync_target=" + t.name)
    sync_refused_without_packages(r, t, "np2")
    destroy_root(t.name)


@pytest.fixture
def sshd(tmp_path):
    """A second "host": an sshd the test starts in a network namespace of this
    machine, reached over a veth pair the test makes (nothing leaves the
    machine), with keys made here.  Yields ROOT@ADDRESS and the environment
    that points iocage's ssh at them (IOCAGE_SSH_CONFIG) and at the binary
    under test on the other side (IOCAGE_REMOTE_BIN).  It runs in this test
    process's mount namespace: the same ZFS daemon, as another host would
    have its own."""
    assert os.access("/usr/sbin/sshd", os.X_OK), "no sshd: scripts/deps.sh installs openssh-server"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw9")
    n = int(worker[2:]) % 200 + 20
    ns, host_if, ns_if = "iocssh%d" % n, "iocsh%da" % n, "iocsh%db" % n
    d = tmp_path / "ssh"
    d.mkdir(mode=0o700)
    for k in ("host", "client"):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(d / k))
    (d / "authorized_keys").write_text((d / "client.pub").read_text())
    addr = "10.231.%d.2" % n
    (d / "known_hosts").write_text("[%s]:2222 %s" % (addr, (d / "host.pub").read_text()))
    (d / "sshd_config").write_text(
        "ListenAddress %s:2222\nHostKey %s\nAuthorizedKeysFile %s\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel ERROR\n"
        % (addr, d / "host", d / "authorized_keys"))
    (d / "ssh_config").write_text(
        "Host *\n  IdentityFile %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n"
        "  Port 2222\n  ConnectTimeout 10\n" % (d / "client", d / "known_hosts"))
    made_privsep = not os.path.isdir("/run/sshd")
    if made_privsep:
        os.makedirs("/run/sshd", mode=0o755)
    sh("ip", "netns", "add", ns)
    proc = None
    try:
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        sh("ip", "link", "set", ns_if, "netns", ns)
        sh("ip", "addr", "add", "10.231.%d.1/30" % n, "dev", host_if)
        sh("ip", "link", "set", host_if, "up")
        sh("ip", "-n", ns, "addr", "add", addr + "/30", "dev", ns_if)
        sh("ip", "-n", ns, "link", "set", ns_if, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        # nsenter, not `ip netns exec`: that one gives the program a mount
        # namespace of its own, which would not see what is mounted later
        proc = subprocess.Popen(["nsenter", "--net=/run/netns/" + ns, "/usr/sbin/sshd", "-D",
                                 "-f", str(d / "sshd_config"), "-E", str(d / "sshd.log")])
        target = "root@" + addr
        for _ in range(50):
            if subprocess.run(["ssh", "-F", str(d / "ssh_config"), "-o", "BatchMode=yes", "--",
                               target, "true"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("sshd does not answer: %s" % (d / "sshd.log").read_text())
        env = {"IOCAGE_SSH_CONFIG": str(d / "ssh_config"),
               "IOCAGE_REMOTE_BIN": os.path.abspath(iocage_bin())}

        def remote(root, *args):
            """`iocage -r ROOT ARGS` run over there, as its admin would: a
            container started there lives in its network namespace, where
            liblxc's sockets are."""
            p = subprocess.run(["ssh", "-F", str(d / "ssh_config"), "-o", "BatchMode=yes", "--",
                                target, env["IOCAGE_REMOTE_BIN"], "-r", root.name] + list(args),
                               capture_output=True, text=True)
            return p.returncode, p.stdout, p.stderr
        yield types.SimpleNamespace(target=target, env=env, remote=remote)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        sh("ip", "netns", "del", ns)
        if made_privsep:
            os.rmdir("/run/sshd")


def test_sync_over_ssh_to_another_host(release, target, sshd, pool):
    """A target on another host ([USER@]HOST:DATASET): the other side's iocage
    answers over ssh (sync-info, then sync-receive reading the stream); first
    and incremental syncs, files compared; a neighbour's dataset as the
    target is refused there by its guard, and nothing changes."""
    r, t = release, target
    host, env = sshd.target, sshd.env
    spec = "%s:%s" % (host, t.name)
    uuid = r.ok("create", "release=bb", "tag=ss1", "sync_target=" + spec).split()[0]
    src = os.path.join(r.mountpoint, "jails", uuid, "root")
    res = r.run("sync", "-H", "ss1", env=env)
    assert res.rc == 0 and res.out == "ss1\t%s/jails/%s\tioc-sync-1\tfull\n" % (spec, uuid), res
    assert states(t) == {"ss1": "replica"} and staging(t) == []
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    with open(os.path.join(src, "etc", "remote"), "w") as f:
        f.write("over ssh\n")
    res = r.run("sync", "--json", "ss1", env=env)
    assert res.rc == 0, res
    assert json.loads(res.out) == [{"tag": "ss1", "target": "%s/jails/%s" % (spec, uuid),
                                    "snapshot": "ioc-sync-2", "kind": "incremental"}], res
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    assert snaps("%s/jails/%s" % (t.name, uuid)) == ["ioc-sync-1", "ioc-sync-2"]
    # the replica never starts over there either
    res = t.run("start", "ss1")
    assert res.rc == 1 and "is a replica" in res.err, res
    # a neighbour's dataset: refused by the other side (not an iocage root), nothing changes
    r.ok("set", "sync_target=%s:%s/vbox" % (host, pool.name), "ss1")
    before, tbefore = r.zfs_state(), t.zfs_state()
    res = r.run("sync", "ss1", env=env)
    assert res.rc == 1 and "not an active iocage root" in res.err, res
    assert r.zfs_state() == before and t.zfs_state() == tbefore
    # the other side's program must be a plain word: the ssh command line is a shell's
    res = r.run("sync", "ss1", env=dict(env, IOCAGE_REMOTE_BIN="iocage;reboot"))
    assert res.rc == 1 and "IOCAGE_REMOTE_BIN" in res.err, res
    assert r.zfs_state() == before


def test_a_thin_sync_over_ssh_sends_the_release_first(release, far_pool, sshd):
    """A thin jail synced over ssh into a root of another pool: the first sync
    goes in parts (sync-info asks of the release; release, parent, child,
    root, finish, each a sync-receive), the replica's root is a clone of the
    copy of the release sent there; increments go in parts too; a part the
    other side does not know is refused there, and nothing changes."""
    r, t = release, far_root(far_pool)
    host, env = sshd.target, sshd.env
    spec = "%s:%s" % (host, t.name)
    uuid = r.ok("create", "-c", "release=bb", "tag=st1", "sync_target=" + spec).split()[0]
    sh("zfs", "create", "%s/jails/%s/data" % (r.name, uuid))
    res = r.run("sync", "-H", "st1", env=env)
    assert res.rc == 0 and res.out == "st1\t%s/jails/%s\tioc-sync-1\tfull\n" % (spec, uuid), res
    assert origin("%s/jails/%s/root" % (t.name, uuid)) == "%s/releases/bb/root@ioc-release" % t.name
    assert states(t) == {"st1": "replica"} and staging(t) == []
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    with open(os.path.join(r.mountpoint, "jails", uuid, "root", "etc", "remote"), "w") as f:
        f.write("thin over ssh\n")
    res = r.run("sync", "-H", "st1", env=env)
    assert res.rc == 0 and "\tincremental\n" in res.out, res
    assert replica_tree(t, uuid) == jail_tree(r, uuid)
    for ds in ("", "/root", "/data"):
        assert snaps("%s/jails/%s%s" % (t.name, uuid, ds)) == ["ioc-sync-1", "ioc-sync-2"], ds
    # the other side's parts refuse what they do not know, before any write
    tbefore = t.zfs_state()
    for words in (["bogus"], ["inc", "../x", "2"], ["inc", ".", "7"], ["inc", "..", "2"],
                  ["child", "root"], ["child", ".x"], ["release", "bb", "evil", "."],
                  ["release", "bb", ".", "1:2:3"], ["release", "../bb", ".", "."],
                  ["finish", "bb"], ["finish", "bb", "x;y"], ["root"]):
        res = t.run("sync-receive", uuid, "0", *words, input="")
        assert res.rc != 0 and res.err, (words, res)
        assert t.zfs_state() == tbefore, words
    destroy_root(t.name)


def test_migrate_over_ssh_moves_a_running_jail(two_roots, sshd):
    """migrate to another host: the syncs over ssh, then promote-replica -f
    and start by the iocage there; the source is fenced here."""
    r, t = two_roots
    spec = "%s:%s" % (sshd.target, t.name)
    uuid = r.ok("create", "release=bb", "tag=sm1").split()[0]
    r.ok("start", "sm1")
    # a change made inside the running jail travels with it
    r.ok("exec", "sm1", "sh", "-c", "echo over ssh > /etc/moved")
    try:
        res = r.run("migrate", "--json", "sm1", spec, env=sshd.env)
        assert res.rc == 0, res
        row, = json.loads(res.out)
        assert row.pop("downtime_ms").isdigit(), res
        assert row == {"tag": "sm1", "uuid": uuid, "root": spec, "state": "up"}, res
        assert states(r) == {"sm1": "migrated"}
        assert r.ok("get", "migrated", "sm1").strip() == spec
        rc, out, err = sshd.remote(t, "list", "-H")
        assert rc == 0 and out.split("\t")[3:5] == ["up", "sm1"], (out, err)
        assert sshd.remote(t, "exec", "sm1", "cat", "/etc/moved")[1] == "over ssh\n"
        res = r.run("start", "sm1")
        assert res.rc == 1 and "'sm1' was migrated to %s" % spec in res.err, res
    finally:
        sshd.remote(t, "stop", "sm1")
    r.ok("destroy", "-f", "sm1")
    assert states(t) == {"sm1": "down"}


@pytest.mark.skipif(not fault_injection(), reason="binary built without fault injection")
def test_thin_sync_and_migrate_over_ssh_killed_at_every_step(release, far_pool, sshd, tmp_path):
    """kill -9 before each external command of a thin jail's first sync over
    ssh (sync-info, the release, each part, finish) and of a migrate over ssh
    from its second snapshot on: the other side lists no jail or the whole
    replica, never two startable copies, and the next sync or migrate (or
    promote-replica -f there, as the man page says) finishes the work."""
    r, t = release, far_root(far_pool)
    spec = "%s:%s" % (sshd.target, t.name)
    uuid = r.ok("create", "-c", "release=bb", "tag=k3", "sync_target=" + spec).split()[0]
    r.ok("get", "tag", "k3")  # the name hint made: every run below finds k3 alike
    src = "%s/jails/%s" % (r.name, uuid)
    rel = "%s/releases/bb" % t.name

    def steps(*args):
        tf = tmp_path / ("trace%d" % len(os.listdir(str(tmp_path))))
        assert r.run(*args, env=dict(sshd.env, IOC_FAULT_TRACE=str(tf))).rc == 0
        return [(int(n), c) for n, c in (l.split(" ", 1) for l in tf.read_text().splitlines())]

    def reset(release_too):
        if states(t):
            t.ok("destroy", "-f", "k3")
        if release_too:
            sh("zfs", "destroy", "-r", rel)
        sh("zfs", "inherit", PREFIX + "migrated", src)
        for sn in snaps(src):
            sh("zfs", "destroy", "-r", "%s@%s" % (src, sn))

    first = steps("sync", "k3")
    assert [c for _, c in first if "sync-receive" in c], first
    reset(True)
    for step in range(min(n for n, c in first if not c.startswith("zfs get")),
                      max(n for n, _ in first) + 1):
        res = r.run("sync", "k3", env=dict(sshd.env, IOC_FAULT_KILL=str(step)))
        assert res.rc in (-9, 137), (step, res)
        assert states(t) in ({}, {"k3": "replica"}), step
        r.ok("sync", "k3", env=sshd.env)
        assert states(t) == {"k3": "replica"} and staging(t) == [], step
        assert origin(src.replace(r.name, t.name) + "/root") == rel + "/root@ioc-release"
        reset(True)
    # the migrates find the release there (sent by this sync)
    r.ok("sync", "k3", env=sshd.env)
    reset(False)
    mig = steps("migrate", "k3", spec)
    reset(False)
    snap = [n for n, c in mig if c.startswith("zfs snapshot ")]
    assert len(snap) == 2, mig
    for step in range(snap[1], max(n for n, _ in mig) + 1):
        res = r.run("migrate", "k3", spec, env=dict(sshd.env, IOC_FAULT_KILL=str(step)))
        assert res.rc in (-9, 137), (step, res)
        here, there = states(r)["k3"], states(t).get("k3")
        assert here in ("down", "migrated") and there in (None, "replica", "down"), (step, here,
                                                                                 there)
        assert not (here == "down" and there == "down"), (step, "two startable copies")
        if here == "down":
            r.ok("migrate", "k3", spec, env=sshd.env)
        elif there == "replica":
            t.ok("promote-replica", "-f", "k3")
        assert states(r) == {"k3": "migrated"} and states(t) == {"k3": "down"}, step
        reset(False)
    destroy_root(t.name)


def test_migrate_over_ssh_failing_at_the_promotion_leaves_the_source_running(two_roots, sshd,
                                                                           tmp_path):
    """The other host's promote-replica fails (its ssh made to fail): the
    source is unmarked and runs again here, the other side keeps a replica."""
    r, t = two_roots
    if not fault_injection():
        pytest.skip("binary built without fault injection")
    spec = "%s:%s" % (sshd.target, t.name)
    r.ok("create", "release=bb", "tag=sm2")
    r.ok("start", "sm2")
    tf = tmp_path / "trace"
    res = r.run("migrate", "sm2", spec, env=dict(sshd.env, IOC_FAULT_TRACE=str(tf)))
    assert res.rc == 0, res
    steps = [(int(n), cmd) for n, cmd in (l.split(" ", 1) for l in tf.read_text().splitlines())]
    promote = [n for n, cmd in steps if cmd.startswith("ssh ") and " promote-replica -f " in cmd]
    assert len(promote) == 1, steps
    # back to the start: the migrated jail there goes, the source is unmarked and runs
    assert sshd.remote(t, "stop", "sm2")[0] == 0
    assert sshd.remote(t, "destroy", "-f", "sm2")[0] == 0
    sh("zfs", "inherit", PREFIX + "migrated", "%s/jails/%s" % (r.name, r.jails()["sm2"]))
    r.ok("start", "sm2")
    jid0 = r.ok("get", "jid", "sm2").strip()
    res = r.run("migrate", "sm2", spec, env=dict(sshd.env, IOC_FAULT_FAIL="%d:1" % promote[0]))
    assert res.rc == 1 and "jail 'sm2' not migrated (running here again)" in res.err, res
    assert states(r) == {"sm2": "up"} and r.ok("get", "migrated", "sm2").strip() == "no"
    assert jid0 != r.ok("get", "jid", "sm2").strip()
    rc, out, err = sshd.remote(t, "list", "-H")
    assert rc == 0 and out.split("\t")[3:5] == ["replica", "sm2"], (out, err)
    r.ok("stop", "sm2")


def test_the_other_sides_commands_refuse_bad_requests_and_change_nothing(release, target):
    """sync-info and sync-receive (what a sync over ssh runs over there), fed
    bad words or a request that does not fit what the root holds; and a
    relative IOCAGE_SSH_CONFIG on this side: refused, nothing changes."""
    r, t = release, target
    uuid = r.ok("create", "release=bb", "tag=rr", "sync_target=" + t.name).split()[0]
    r.ok("sync", "rr")
    tst = t.zfs_state()
    other = "0b6c2f1e-1111-4222-8333-444455556666"
    for args, msg in ((["sync-info", "nope", "rr"], "sync-info: 'nope' is not a UUID"),
                      (["sync-info", uuid, "bad;tag"], "invalid tag 'bad;tag'"),
                      (["sync-info", uuid], "usage: iocage sync-info"),
                      (["sync-info", uuid, "rr", "bb"], "usage: iocage sync-info"),
                      (["sync-info", uuid, "rr", "../bb", "ioc-release", "12"],
                       "invalid release name '../bb'"),
                      (["sync-info", uuid, "rr", "bb", "x;y", "12"],
                       "sync-info: bad snapshot or guid"),
                      (["sync-info", uuid, "rr", "bb", "ioc-release", "1-2"],
                       "sync-info: bad snapshot or guid"),
                      (["sync-receive", "nope", "0"], "sync-receive: 'nope' is not a UUID"),
                      (["sync-receive", uuid, "x"], "'x' is not a snapshot number"),
                      (["sync-receive", uuid, "0"], "exists: a first sync is refused there"),
                      (["sync-receive", uuid, "7"], "has no @ioc-sync-7 to receive"),
                      (["sync-receive", other, "1"], "is not a replica: refusing an incremental")):
        res = t.run(*args, input="")
        assert res.rc != 0 and msg in res.err, (args, res)
    # a dataset that looks like a replica's place but is no root: sync-info
    # (its root read lazily) looks at the replica's inherited mark, then refuses
    fake = "%s/ioc-fake-root-%s" % (t.name.split("/")[0], uuid[:8])
    sh("zfs", "create", "-p", "%s/jails/%s" % (fake, uuid))
    try:
        sh("zfs", "set", "org.freebsd.iocage:replica=yes", "%s/jails/%s" % (fake, uuid))
        fst = sh("zfs", "get", "-H", "-r", "all", fake)
        for args in (["sync-info", uuid, "rr"], ["sync-info", other, "rr"]):
            res = run_iocage(["-r", fake] + args)
            assert res.rc == 1 and "not an active iocage root" in res.err, (args, res)
            assert res.out == "", res
        assert sh("zfs", "get", "-H", "-r", "all", fake) == fst
    finally:
        destroy_root(fake)
    r.ok("set", "sync_target=root@127.0.0.1:%s" % t.name, "rr")
    st = r.zfs_state()
    res = r.run("sync", "rr", env={"IOCAGE_SSH_CONFIG": "relative/ssh_config"})
    assert res.rc == 1 and "IOCAGE_SSH_CONFIG: expected an absolute path" in res.err, res
    assert r.zfs_state() == st and t.zfs_state() == tst
