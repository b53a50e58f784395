"""Disk full: the root at its quota during fetch, create, snapshot, set, export
and import.  Each command either succeeds completely or says that space ran
out, leaves nothing that `list` shows as complete, and no truncated file."""
import errno
import os

import pytest

from conftest import SPACE_PROPS, sh, zfs_get_all

NOSPACE = ("no space", "quota", "out of space", "space left")


def nospace(err):
    print("disk full:", err.strip()[-300:])
    return any(m in err.lower() for m in NOSPACE)


def state(r):
    return {ds: {k: v for k, v in props.items() if k not in SPACE_PROPS and k != "written"}
            for ds, props in zfs_get_all(r.name).items()}


def fill(r, ds):
    """Fills the root up to its quota with a file in dataset ds (under the root)."""
    mp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", ds).strip()
    path = os.path.join(mp, "filler")
    chunk = b"\xa5" * (1 << 20)
    with open(path, "wb") as f:
        try:
            for _ in range(4096):
                f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            assert e.errno in (errno.ENOSPC, errno.EDQUOT), e
    return path


@pytest.fixture
def full(release, busybox_tarball):
    """A root with a jail `a`, an exported image of it, then filled to a quota."""
    r = release
    r.ok("create", "release=bb", "tag=a")
    out = r.ok("export", "a")
    r.image = out.strip().split(" exported to ")[1]
    sh("zfs", "create", r.name + "/ballast")
    used = int(sh("zfs", "get", "-H", "-p", "-o", "value", "used", r.name).strip())
    sh("zfs", "set", "quota=%d" % (used + (24 << 20)), r.name)
    fill(r, r.name + "/ballast")
    r.tarball = busybox_tarball
    yield r
    sh("zfs", "set", "quota=none", r.name)


def test_fetch_create_export_import_when_full(full):
    r = full
    st = state(r)
    # fetch: the extracted release does not fit
    res = r.run("fetch", "file=" + r.tarball, "release=big")
    assert res.rc != 0 and nospace(res.err), res
    assert "big" not in r.ok("list", "-r", "-H").split()
    # create a thick jail: a full copy of the release
    res = r.run("create", "release=bb", "tag=b")
    assert res.rc != 0 and nospace(res.err), res
    assert "b" not in r.jails()
    # export: no truncated image left behind
    images = os.path.dirname(r.image)
    before = set(os.listdir(images))
    res = r.run("export", "a")
    after = set(os.listdir(images))
    if res.rc != 0:
        assert nospace(res.err), res
        assert after == before, after - before
    else:
        new = after - before
        assert new and all(os.path.getsize(os.path.join(images, n)) > 0 for n in new)
    # import: nothing received is kept
    jails = r.jails()
    res = r.run("import", r.image, "tag=imp")
    if res.rc != 0:
        assert nospace(res.err), res
        assert r.jails() == jails
    else:
        assert "imp" in r.jails()
    r.ok("clean")
    assert "a" in r.jails()
    del st


def test_snapshot_and_set_when_full(full):
    r = full
    res = r.run("snapshot", "a@full")
    if res.rc == 0:
        assert "full" in r.ok("snaplist", "-H", "a")
    else:
        assert nospace(res.err), res
        assert "full" not in r.ok("snaplist", "-H", "a")
    st = state(r)
    res = r.run("set", "notes=" + "x" * 1000, "priority=7", "a")
    if res.rc == 0:
        assert r.ok("get", "priority", "a").strip() == "7"
    else:
        assert nospace(res.err), res
        assert state(r) == st  # all or nothing
