"""No half-made jails and working locks: SIGKILL at every external step of the
state-changing commands (fault injection of the sanitizer build, see
src/spawn/spawn.h), and concurrent commands racing each other."""
import concurrent.futures
import os
import subprocess

import pytest

from conftest import iocage_bin, run_iocage, sh
from runhelp import subids  # noqa: F401


def steps_of(root, tmp_path, *args):
    """Number of external commands the command runs (IOC_FAULT_TRACE)."""
    tf = tmp_path / ("trace%d" % len(os.listdir(tmp_path)))
    r = root.run(*args, env={"IOC_FAULT_TRACE": str(tf)})
    assert r.rc == 0, r
    return len(tf.read_text().splitlines())


def jail_datasets(root):
    return sorted(d for d in root.zfs_state() if "/jails/" in d and "@" not in d)


CREATES = [
    ("thin", ["create", "-c", "release=bb"]),
    ("thick", ["create", "release=bb"]),
    ("empty", ["create", "-e"]),
    ("count", ["create", "-c", "release=bb", "count=2"]),
]


@pytest.mark.parametrize("kind,args", CREATES, ids=[c[0] for c in CREATES])
def test_create_killed_at_every_step(release, tmp_path, kind, args):
    r = release
    keep = r.ok("create", "-e", "tag=keep").split()[0]
    n = steps_of(r, tmp_path, *args, "tag=probe")
    r.ok("destroy", "-f", "probe" if kind != "count" else "probe_1")
    if kind == "count":
        r.ok("destroy", "-f", "probe_2")
    base = jail_datasets(r)
    for step in range(1, n + 1):
        res = r.run(*args, "tag=k", env={"IOC_FAULT_KILL": str(step)})
        assert res.rc in (-9, 137), res
        jails = r.jails()
        # a killed create shows a complete jail or nothing; never a half-made one
        assert set(jails) - {"keep"} <= {"k", "k_1", "k_2"}, jails
        for tag in set(jails) - {"keep"}:
            uuid = jails[tag]
            assert r.ok("get", "uuid", tag).strip() == uuid
            assert r.name + "/jails/%s/root" % uuid in r.zfs_state()
        # the next create with the same tag either says it exists or cleans up and works
        r.ok("clean")
        for tag in set(r.jails()) - {"keep"}:
            r.ok("destroy", "-f", tag)
        assert jail_datasets(r) == base, "debris left after clean at step %d" % step
    assert r.jails() == {"keep": keep}


def test_fail_at_every_step_of_create_is_clean(release, tmp_path):
    r = release
    n = steps_of(r, tmp_path, "create", "release=bb", "tag=probe")
    r.ok("destroy", "-f", "probe")
    base = jail_datasets(r)
    for step in range(1, n + 1):
        res = r.run("create", "release=bb", "tag=f", env={"IOC_FAULT_FAIL": "%d:1" % step})
        # the last step (dropping the received snapshot) may fail after the jail is
        # complete: that is not a failed create
        if res.rc == 0:
            assert step == n, res
            r.ok("destroy", "-f", "f")
            continue
        assert res.rc == 1 and res.err.startswith("iocage: "), res
        assert "f" not in r.jails()
        r.ok("clean")
        assert jail_datasets(r) == base


def test_destroy_killed_at_every_step(release, tmp_path):
    r = release
    r.ok("create", "-c", "release=bb", "tag=probe")
    n = steps_of(r, tmp_path, "destroy", "-f", "probe")
    for step in range(1, n + 1):
        r.ok("create", "-c", "release=bb", "tag=d")
        res = r.run("destroy", "-f", "d", env={"IOC_FAULT_KILL": str(step)})
        # zfs-fuse sometimes answers "busy" right after an unmount and destroy
        # retries: the probe may have taken more steps than this run needs
        assert res.rc in (-9, 137) or (res.rc == 0 and step > 2), res
        # either still a complete jail, or gone from the list (debris for clean)
        if "d" in r.jails():
            r.ok("destroy", "-f", "d")
        r.ok("clean")
        assert jail_datasets(r) == [], step


def test_snapshot_rollback_clone_killed(release, tmp_path):
    r = release
    r.ok("create", "-c", "release=bb", "tag=s")
    r.ok("snapshot", "s@one")
    for args in (["snapshot", "s@two"], ["rollback", "-f", "s@one"], ["clone", "s@one", "tag=c"]):
        n = steps_of(r, tmp_path, *args)
        # undo the probe's effect
        if args[0] == "clone":
            r.ok("destroy", "-f", "c")
        elif args[0] == "snapshot":
            r.ok("snapremove", "s@two")
        for step in range(1, n + 1):
            res = r.run(*args, env={"IOC_FAULT_KILL": str(step)})
            assert res.rc in (-9, 137), res
            assert "s" in r.jails()
            r.ok("clean")
            if "c" in r.jails():
                r.ok("destroy", "-f", "c")
            names = r.ok("snaplist", "-H", "s").split("\n")
            if any(l.startswith("two\t") for l in names):
                r.ok("snapremove", "s@two")
    assert sorted(r.jails()) == ["s"]


def _create(root, tag):
    return run_iocage(["-r", root.name, "create", "-e", "tag=" + tag])


def test_32_concurrent_creates(release):
    with concurrent.futures.ThreadPoolExecutor(32) as ex:
        res = list(ex.map(lambda i: _create(release, "c%d" % i), range(32)))
    assert all(x.rc == 0 for x in res), res
    assert sorted(release.jails()) == sorted("c%d" % i for i in range(32))
    assert len(set(release.jails().values())) == 32


def test_same_tag_twice_gives_one_jail_and_one_error(release):
    for trial in range(100):
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            res = list(ex.map(lambda i: _create(release, "same"), range(2)))
        rcs = sorted(x.rc for x in res)
        assert rcs == [0, 1], res
        err = [x for x in res if x.rc == 1][0].err
        assert "tag 'same' is already used" in err
        assert list(release.jails()) == ["same"]
        release.ok("destroy", "-f", "same")


def test_set_racing_destroy_is_consistent(release):
    for trial in range(5):
        release.ok("create", "-e", "tag=r")
        p1 = subprocess.Popen([iocage_bin(), "-r", release.name, "set", "notes=x%d" % trial, "r"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p2 = subprocess.Popen([iocage_bin(), "-r", release.name, "destroy", "-f", "r"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        o1, e1 = p1.communicate()
        o2, e2 = p2.communicate()
        assert p2.returncode == 0, e2
        assert p1.returncode == 0 or "destroyed meanwhile" in e1 or "no jail named" in e1, e1
        assert release.jails() == {}
        release.ok("clean")
        assert jail_datasets(release) == []


def test_killed_lock_holder_does_not_block(release):
    # a create killed while holding the root lock: the next one goes through
    res = release.run("create", "-c", "release=bb", "tag=x", env={"IOC_FAULT_KILL": "2"})
    assert res.rc in (-9, 137)
    release.ok("create", "-e", "tag=y")
    st = os.lstat("/var/run/iocage/locks")
    assert st.st_mode & 0o777 == 0o700 and st.st_uid == 0


def test_lock_file_symlink_is_not_followed(release, tmp_path):
    rundir = tmp_path / "run"
    (rundir / "locks").mkdir(parents=True)
    os.chmod(rundir / "locks", 0o700)
    target = tmp_path / "victim"
    target.write_text("keep\n")
    key = release.name.replace("/", "%2F")
    os.symlink(str(target), str(rundir / "locks" / (key + ".lock")))
    r = release.run("create", "-e", "tag=z", env={"IOCAGE_RUNDIR": str(rundir)})
    assert r.rc == 1 and "cannot open lock file" in r.err, r
    assert target.read_text() == "keep\n"
    os.chmod(rundir / "locks", 0o777)
    r = release.run("create", "-e", "tag=z", env={"IOCAGE_RUNDIR": str(rundir)})
    assert r.rc == 1 and "mode 0700" in r.err, r


def test_set_racing_set_loses_no_update(release):
    release.ok("create", "-e", "tag=s")
    for trial in range(10):
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            res = list(ex.map(lambda a: release.run("set", a, "s"),
                              ["notes=n%d" % trial, "priority=%d" % (trial + 1)]))
        assert all(x.rc == 0 for x in res), res
        assert release.ok("get", "notes", "s").strip() == "n%d" % trial
        assert release.ok("get", "priority", "s").strip() == str(trial + 1)
        # the same property from both sides: one of the two values, whole
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            res = list(ex.map(lambda v: release.run("set", "notes=" + v, "s"),
                              ["a" * 500, "b" * 500]))
        assert all(x.rc == 0 for x in res), res
        assert release.ok("get", "notes", "s").strip() in ("a" * 500, "b" * 500)


def test_fetch_racing_create_never_uses_a_partial_release(root, busybox_tarball):
    """create -c release=R while R is being fetched: refused ('not fetched'),
    or a complete jail — never one cloned from a half-extracted tree."""
    p = subprocess.Popen([iocage_bin(), "-r", root.name, "fetch", "file=" + busybox_tarball,
                          "release=race"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    made, refused, n = [], 0, 0
    while True:
        done = p.poll() is not None
        r = root.run("create", "-c", "release=race", "tag=f%d" % n)
        n += 1
        if r.rc == 0:
            made.append(r.out.split()[0])
        else:
            assert "not fetched" in r.err or "is being fetched" in r.err, r
            refused += 1
        if done:
            break
    out, err = p.communicate()
    assert p.returncode == 0, err
    assert made, "create never succeeded, even after the fetch"
    relroot = sh("zfs", "get", "-H", "-o", "value", "mountpoint",
                 root.name + "/releases/race/root").strip()
    want = sorted(os.listdir(relroot))
    for u in made:
        jr = sh("zfs", "get", "-H", "-o", "value", "mountpoint",
                "%s/jails/%s/root" % (root.name, u)).strip()
        assert sorted(os.listdir(jr)) == want
        assert os.path.exists(os.path.join(jr, "bin", "busybox"))


@pytest.mark.usefixtures("subids")
def test_start_racing_destroy_leaves_no_container(release):
    from runhelp import host_state, open_path
    open_path(release.mountpoint)
    release.ok("set", "interfaces=none", "default")
    before = host_state(release)
    outcomes = set()
    for trial in range(6):
        release.ok("create", "-c", "release=bb", "tag=sd")
        order = ["start", "destroy"] if trial % 2 == 0 else ["destroy", "start"]
        args = {"start": ["start", "sd"], "destroy": ["destroy", "-f", "sd"]}
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            res = dict(zip(order, ex.map(lambda c: release.run(*args[c]), order)))
        d, s = res["destroy"], res["start"]
        assert d.rc == 0 or "running" in d.err or "busy" in d.err, d
        assert s.rc == 0 or "no jail named" in s.err or "destroyed" in s.err, s
        outcomes.add((s.rc, d.rc))
        if "sd" in release.jails():
            release.ok("destroy", "-f", "sd")
        assert release.jails() == {}
        release.ok("clean")
        assert jail_datasets(release) == []
    assert host_state(release) == before, outcomes


def test_destroy_removes_the_jails_lock_file_and_waiters_start_over(release, tmp_path):
    """The run directory keeps no lock file of a destroyed jail, and removing
    one is safe: a command that waited on the removed file finds, once it has
    that lock, that the path names another file, and waits for the new one
    (else two commands would hold the same jail's lock)."""
    import fcntl
    import time
    r = release
    rundir = tmp_path / "run"
    env = {"IOCAGE_RUNDIR": str(rundir)}
    u = r.ok("create", "-e", "tag=lk", env=env).split()[0]
    lock = rundir / "locks" / ("%s@%s.lock" % (r.name.replace("/", "%2F"), u))
    r.ok("stop", "lk", env=env)       # takes the jail's lock: its file exists
    assert lock.exists()
    # a waiter on a lock file that its holder removes
    fd1 = os.open(str(lock), os.O_RDWR)
    fcntl.flock(fd1, fcntl.LOCK_EX)
    cmd = [iocage_bin(), "-r", r.name, "stop", "lk"]
    p = subprocess.Popen(cmd, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert p.poll() is None            # waiting on the first file
        os.unlink(str(lock))
        fd2 = os.open(str(lock), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd2, fcntl.LOCK_EX)    # the next holder, on a new file
        os.close(fd1)
        time.sleep(1.5)
        assert p.poll() is None, p.communicate()  # started over: waits for the new file
        os.close(fd2)
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r.ok("destroy", "-f", "lk", env=env)
    assert not lock.exists()
    assert [f for f in os.listdir(rundir / "locks") if u in f] == []
