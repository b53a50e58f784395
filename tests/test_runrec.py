"""The run-time record of a running jail (issue 12): exec into a running jail
named by tag or UUID reads no ZFS when the root is named; a record never
outlives its container's truth (a container stopped behind iocage's back, a
tag renamed while running, a file not written by iocage, two roots with the
same tag)."""
import os
import subprocess

import pytest

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


def mark_hook(tmp_path, name):
    """A host hook that makes tmp_path/NAME: a script, since a hook gets the
    container's name and root path as more arguments (touch would make them)."""
    script = tmp_path / (name + ".hook")
    script.write_text("#!/bin/sh\nexec /usr/bin/touch -- '%s'\n" % (tmp_path / name))
    script.chmod(0o755)
    return str(script), tmp_path / name


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


def props_file(root, u):
    return os.path.join(record_dir(root), u + ".props")


@pytest.mark.serial
def test_stop_of_a_lone_running_jail_reads_no_zfs(rel, tmp_path):
    """stop NAME of a jail running alone on the host, the root named: the
    properties start saved beside the record, no ZFS (serial: another test's
    container would send stop down the plan, which reads every jail)."""
    hook, mark = mark_hook(tmp_path, "poststop")
    u = jail(rel, "rs", "exec_poststop=" + hook)
    rel.ok("start", "rs")
    pf = props_file(rel, u)
    st = os.lstat(pf)
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o600
    text = open(pf).read()
    assert text.startswith("props=") and "\ntag=1:rs\n" in text, text
    assert "exec_poststop=1:%s\n" % hook in text, text
    for name in ("rs", u):
        res, calls = zfs_calls(rel, tmp_path, "stop", name)
        assert calls == [] and res.out == "rs (%s) stopped\n" % u, (res, calls)
        assert mark.exists() and state(rel, "rs") == "down"
        assert not os.path.exists(pf) and not os.path.exists(os.path.join(record_dir(rel), u))
        mark.unlink()
        rel.ok("start", "rs")
    # not running: the ordinary path says so, reading ZFS
    rel.ok("stop", "rs")
    res, calls = zfs_calls(rel, tmp_path, "stop", "rs")
    assert calls and res.out == "rs (%s) is not running\n" % u


def test_set_while_running_makes_stop_read_zfs(rel, tmp_path):
    """A property changed through iocage while the jail runs (on the jail, or
    a default of the root) is what stop uses: the saved copy is forgotten."""
    (hook1, first), (hook2, second) = mark_hook(tmp_path, "first"), mark_hook(tmp_path, "second")
    u = jail(rel, "rf", "exec_poststop=" + hook1)
    rel.ok("start", "rf")
    assert os.path.exists(props_file(rel, u))
    rel.ok("set", "exec_poststop=" + hook2, "rf")
    assert not os.path.exists(props_file(rel, u))
    assert os.path.exists(os.path.join(record_dir(rel), u))   # exec still uses the record
    res, calls = zfs_calls(rel, tmp_path, "stop", "rf")
    assert calls and second.exists() and not first.exists(), (res, calls)
    # a default of the root: every running jail of it forgets
    rel.ok("start", "rf")
    assert os.path.exists(props_file(rel, u))
    was = rel.ok("get", "priority", "default").strip()
    rel.ok("set", "priority=%s" % was, "default")
    assert not os.path.exists(props_file(rel, u))
    rel.ok("stop", "rf")


def test_saved_properties_not_written_by_iocage_are_ignored(rel, tmp_path):
    """A properties file another user could have written, or one of another
    binary's property table, never chooses stop's hooks."""
    (hook, real), (bad, evil) = mark_hook(tmp_path, "real"), mark_hook(tmp_path, "evil")
    u = jail(rel, "rv", "exec_poststop=" + hook)
    for spoil in ("mode", "owner", "table"):
        rel.ok("start", "rv")
        pf = props_file(rel, u)
        text = open(pf).read().replace(hook, bad)
        if spoil == "table":
            text = "props=1\n" + text.split("\n", 1)[1]
        with open(pf, "w") as f:
            f.write(text)
        os.chmod(pf, 0o644 if spoil == "mode" else 0o600)
        if spoil == "owner":
            os.chown(pf, 1000, 1000)
        res, calls = zfs_calls(rel, tmp_path, "stop", "rv")
        assert calls, (spoil, res)
        assert real.exists() and not evil.exists(), spoil
        assert not os.path.exists(pf) and state(rel, "rv") == "down"
        real.unlink()


def names_file(root, tag):
    esc = root.name.replace("%", "%25").replace("/", "%2F")
    return os.path.join(RUNDIR, "names", esc, tag.replace("%", "%25").replace("/", "%2F"))


def test_start_by_tag_reads_once_through_its_name_hint(rel, tmp_path):
    """`start TAG` notes the UUID the tag index named (RUNDIR/names/ROOT/TAG,
    a hint like the record); the next start loads that jail alone under its
    lock: one zfs get, then the last_started write.  A hint whose jail holds
    another tag now, one naming a jail that is gone, one not written by
    iocage and one that is no UUID are not believed: the index answers and
    the right jail starts."""
    a = jail(rel, "hh")
    b = jail(rel, "other")
    hint = names_file(rel, "hh")
    if os.path.exists(hint):
        os.unlink(hint)
    _, calls = zfs_calls(rel, tmp_path, "start", "hh")
    assert len([c for c in calls if " zfs get " in " " + c]) == 2, calls  # index, jail
    with open(hint) as f:
        assert f.read() == a + "\n"
    assert (os.stat(hint).st_mode & 0o777) == 0o600
    rel.ok("stop", "hh")
    _, calls = zfs_calls(rel, tmp_path, "start", "hh")
    gets = [c for c in calls if " zfs get " in " " + c]
    assert len(gets) == 1 and ("/jails/%s " % a) in gets[0], calls
    rel.ok("stop", "hh")

    def planted(text, mode=0o600, uid=0):
        with open(hint, "w") as f:
            f.write(text)
        os.chmod(hint, mode)
        os.chown(hint, uid, 0)

    for text, mode, uid in ((b + "\n", 0o600, 0),                 # holds another tag
                            ("0f6a2c1e-6b1d-4a4e-9c3e-2b7d5f9a8c10\n", 0o600, 0),  # gone
                            (b + "\n", 0o644, 0),                 # not iocage's mode
                            (b + "\n", 0o600, 65534),             # not root's
                            ("../../etc\n", 0o600, 0)):           # no UUID
        planted(text, mode, uid)
        out = rel.ok("start", "hh")
        assert a in out, (text, out)
        assert state(rel, "hh") == "up" and state(rel, "other") == "down", text
        rel.ok("stop", "hh")
        with open(hint) as f:
            assert f.read() == a + "\n", text


def test_get_and_set_by_tag_read_once_through_its_name_hint(rel, tmp_path):
    """`get`/`set` of one tag use the same hint as start: the first asks the
    index (two reads) and notes the UUID, the next read that jail alone (set
    under its lock, as start: no second look that it is there).  A
    hint naming a jail that holds another tag is not believed: the right
    jail is read and changed, the other left as it was, the hint rewritten.
    Destroying the jail removes its hint."""
    a = jail(rel, "gh")
    b = jail(rel, "gother")
    hint = names_file(rel, "gh")
    if os.path.exists(hint):
        os.unlink(hint)
    _, calls = zfs_calls(rel, tmp_path, "get", "notes", "gh")
    assert len([c for c in calls if " zfs get " in " " + c]) == 2, calls  # index, jail
    with open(hint) as f:
        assert f.read() == a + "\n"
    _, calls = zfs_calls(rel, tmp_path, "get", "notes", "gh")
    gets = [c for c in calls if " zfs get " in " " + c]
    assert len(gets) == 1 and ("/jails/%s " % a) in gets[0], calls
    _, calls = zfs_calls(rel, tmp_path, "set", "notes=hinted", "gh")
    gets = [c for c in calls if " zfs get " in " " + c]
    # the jail alone under its lock (which also checks the root): not the index,
    # not the root on its own, no second look
    assert len(gets) == 1 and ("/jails/%s " % a) in gets[0], calls
    assert rel.ok("get", "notes", "gh").strip() == "hinted"
    with open(hint, "w") as f:
        f.write(b + "\n")
    os.chmod(hint, 0o600)
    rel.ok("set", "notes=again", "gh")
    assert rel.ok("get", "notes", a).strip() == "again"
    assert rel.ok("get", "notes", b).strip() == "none"
    with open(hint) as f:
        assert f.read() == a + "\n"
    # destroy takes its tag's hint away, and only that one
    rel.ok("get", "notes", "gother")
    rel.ok("destroy", "-f", "gh")
    assert not os.path.exists(hint) and os.path.exists(names_file(rel, "gother"))
