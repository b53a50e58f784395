"""The run-time record of a running jail (issue 12): exec into a running jail
named by tag or UUID reads no ZFS when the root is named; a record never
outlives its container's truth (a container stopped behind iocage's back, a
tag renamed while running, a file not written by iocage, two roots with the
same tag)."""
import os
import subprocess

from conftest import PREFIX, Root, destroy_root, install_release, run_iocage, sh
from runhelp import jail, open_path, state, subids, rel  # noqa: F401

RUNDIR = "/var/run/iocage"


def record_dir(root):
    return os.path.join(RUNDIR, "running", root.name.replace("%", "%25").replace("/", "%2F"))


def zfs_calls(root, tmp_path, *args, rc=0):
    """Runs iocage with IOC_FAULT_TRACE; returns (result, the zfs commands it started)."""
    tf = tmp_path / ("trace%d" % len(os.listdir(tmp_path)))
    res = root.run(*args, env={"IOC_FAULT_TRACE": str(tf)})
    assert res.rc == rc, res
    lines = tf.read_text().splitlines() if tf.exists() else []
    return res, [ln for ln in lines if ln.split(" ", 2)[1:2] == ["zfs"]]


def test_exec_of_a_running_jail_reads_no_zfs(rel, tmp_path):
    u = jail(rel, "rr")
    _, calls = zfs_calls(rel, tmp_path, "exec", "rr", "true", rc=1)   # not running: ZFS read
    assert calls
    rel.ok("start", "rr")
    rec = os.path.join(record_dir(rel), u)
    st = os.lstat(rec)
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o600
    assert open(rec).read() == "uuid=%s\ntag=rr\ndataset=%s/jails/%s\nrootfs=%s\n" % (
        u, rel.name, u, sh("zfs", "get", "-H", "-o", "value", "mountpoint",
                           "%s/jails/%s/root" % (rel.name, u)).strip())
    for name in ("rr", u):
        res, calls = zfs_calls(rel, tmp_path, "exec", name, "echo", "hi")
        assert res.out == "hi\n" and calls == [], calls
    rel.ok("stop", "rr")
    assert not os.path.exists(rec)
    _, calls = zfs_calls(rel, tmp_path, "exec", "rr", "true", rc=1)
    assert calls


def test_stale_record_after_a_host_side_kill_is_removed(rel, tmp_path):
    u = jail(rel, "rk")
    rel.ok("start", "rk")
    rec = os.path.join(record_dir(rel), u)
    assert os.path.exists(rec)
    subprocess.run(["lxc-stop", "-k", "-n", "ioc-" + u, "-P", os.path.join(RUNDIR, "lxc")],
                   check=True, capture_output=True, timeout=120)
    err = rel.fail("exec", "rk", "true")
    assert "jail 'rk' is not running" in err, err
    assert not os.path.exists(rec)
    assert state(rel, "rk") == "down"


def test_tag_renamed_while_running_follows(rel, tmp_path):
    u = jail(rel, "rt")
    rel.ok("start", "rt")
    rel.ok("set", "tag=rt2", "rt")
    res, calls = zfs_calls(rel, tmp_path, "exec", "rt2", "echo", "ok")
    assert res.out == "ok\n" and calls == []
    assert "no jail named 'rt'" in rel.fail("exec", "rt", "true")
    assert "tag=rt2\n" in open(os.path.join(record_dir(rel), u)).read()
    rel.ok("stop", "rt2")


def test_record_not_written_by_iocage_is_refused(rel, tmp_path):
    u = jail(rel, "rp")
    rel.ok("start", "rp")
    d = record_dir(rel)
    rec = os.path.join(d, u)
    # a record another user could have written: ignored, removed, ZFS decides
    os.chmod(rec, 0o666)
    res, calls = zfs_calls(rel, tmp_path, "exec", "rp", "echo", "real")
    assert res.out == "real\n" and calls
    assert not os.path.exists(rec)
    # a record of a jail that does not exist, pointing at a host directory
    fake = "0b6c2f1e-1111-4222-8333-999999999999"
    with open(os.path.join(d, fake), "w") as f:
        f.write("uuid=%s\ntag=evil\ndataset=%s/jails/%s\nrootfs=/\n" % (fake, rel.name, fake))
    os.chown(os.path.join(d, fake), 1000, 1000)
    os.chmod(os.path.join(d, fake), 0o600)
    assert "no jail named 'evil'" in rel.fail("exec", "evil", "true")
    assert not os.path.exists(os.path.join(d, fake))
    rel.ok("stop", "rp")


def test_two_roots_with_the_same_tag(rel, pool, busybox_tarball, tmp_path):
    name = "%s/virt/ioc%d" % (pool.name, next(pool.counter))
    assert run_iocage(["activate", name]).rc == 0
    other = Root(pool, name)
    try:
        install_release(other, busybox_tarball)
        open_path(other.mountpoint)
        other.ok("set", "interfaces=none", "default")
        u1 = jail(rel, "same")
        u2 = jail(other, "same")
        rel.ok("start", "same")
        other.ok("start", "same")
        for r, u in ((rel, u1), (other, u2)):
            res, calls = zfs_calls(r, tmp_path, "exec", "same", "hostname")
            assert res.out == u + "\n" and calls == [], (res, calls)
        other.ok("stop", "same")
        rel.ok("stop", "same")
    finally:
        other.run("stop", "-f", "ALL")
        destroy_root(name)
    assert sh("zfs", "get", "-H", "-o", "value", PREFIX + "active", rel.name).strip() == "yes"
