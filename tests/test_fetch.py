"""fetch: FreeBSD distribution files over HTTP (a server on 127.0.0.1 that the test
starts), file= imports, hostile archives, interruption, locking, and one real
debootstrap of a minimal Debian release.

Every failure case checks that no release is left that `create` would use
(no R/releases/REL at all after a clean failure) and that nothing was written
outside the release (host paths the hostile archives aim at)."""
import hashlib
import io
import json
import os
import platform
import signal
import subprocess
import tarfile
import time

import pytest

from conftest import PREFIX, SHIFT, destroy_root, iocage_bin, sh
from httpserver import Server

REL = "14.1-RELEASE"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
RELDIR = "/releases/%s/%s/" % (ARCH, REL)


# ---- helpers ----------------------------------------------------------------

def sha256(b):
    return hashlib.sha256(b).hexdigest()


def manifest(files, override=None):
    """A FreeBSD MANIFEST for {name: bytes}; override: {name: hash} to lie."""
    lines = []
    for name, data in files.items():
        h = (override or {}).get(name, sha256(data))
        lines.append("%s\t%s\t%d\t%s\t\"%s\"\ton" % (name, h, 10, name.split(".")[0], name))
    return ("\n".join(lines) + "\n").encode()


def add(t, name, data=b"", mode=0o644, uid=0, gid=0, type=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    ti.mtime = 1700000000
    ti.linkname = link
    ti.size = len(data) if type == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if type == tarfile.REGTYPE else None)


def base_txz(busybox_tarball, fmt="w:xz"):
    """The busybox root plus files with unusual owners and modes, as a .txz (bytes)."""
    out = io.BytesIO()
    with tarfile.open(busybox_tarball) as src, tarfile.open(fileobj=out, mode=fmt) as t:
        for m in src.getmembers():
            t.addfile(m, src.extractfile(m) if m.isfile() else None)
        add(t, "usr/bin/suidtool", b"#!/bin/sh\n", mode=0o4755)
        add(t, "usr/bin/sgidtool", b"#!/bin/sh\n", mode=0o2711, gid=5)
        add(t, "home/user", type=tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000)
        add(t, "home/user/secret", b"s3cret\n", mode=0o640, uid=1000, gid=1000)
        add(t, "usr/bin/hardcopy", type=tarfile.LNKTYPE, link="usr/bin/suidtool")
    return out.getvalue()


def lib32_txz():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:xz") as t:
        add(t, "usr/lib32", type=tarfile.DIRTYPE, mode=0o755)
        add(t, "usr/lib32/libc.so.7", b"\x7fELF lib32\n", mode=0o444)
    return out.getvalue()


def served(files, override=None, reldir=RELDIR):
    """{url path: bytes} for a release directory with MANIFEST."""
    d = {reldir + n: b for n, b in files.items()}
    d[reldir + "MANIFEST"] = manifest(files, override)
    return d


def zget(ds, prop):
    return sh("zfs", "get", "-H", "-o", "value", prop, ds).strip()


def releases(root):
    return root.ok("list", "-r", "-H").split()


def rel_root(root, rel=REL):
    return os.path.join(root.mountpoint, "releases", rel, "root")


def assert_no_release(root, rel=REL):
    """Nothing create would use: not listed, create refuses, no dataset left behind."""
    assert rel not in releases(root)
    err = root.fail("create", "-c", "release=" + rel, "tag=nope")
    assert "release '%s' is not fetched" % rel in err
    assert subprocess.run(["zfs", "get", "-H", "type", "%s/releases/%s" % (root.name, rel)],
                          capture_output=True).returncode != 0


def ids(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, st.st_mode & 0o7777


@pytest.fixture(scope="module")
def base(busybox_tarball):
    return base_txz(busybox_tarball)


@pytest.fixture(scope="module")
def lib32():
    return lib32_txz()


# ---- the FreeBSD path over HTTP ---------------------------------------------

def test_fetch_over_http_defaults(root, base, lib32):
    """Default ftpdir (releases/ARCH/REL) and ftpfiles (base.txz lib32.txz); owners,
    modes, setuid bits and hard links survive extraction and the userns shift."""
    with Server(served({"base.txz": base, "lib32.txz": lib32})) as srv:
        out = root.ok("fetch", "release=" + REL, "ftphost=" + srv.url)
        assert sorted(srv.requests) == sorted([RELDIR + "MANIFEST", RELDIR + "base.txz",
                                               RELDIR + "lib32.txz"])
    assert "release %s fetched" % REL in out
    assert releases(root) == [REL]
    mp = rel_root(root)
    assert ids(mp)[:2] == (SHIFT, SHIFT)
    assert ids(os.path.join(mp, "bin/busybox"))[:2] == (SHIFT, SHIFT)
    assert ids(os.path.join(mp, "home/user")) == (SHIFT + 1000, SHIFT + 1000, 0o750)
    assert ids(os.path.join(mp, "home/user/secret")) == (SHIFT + 1000, SHIFT + 1000, 0o640)
    assert ids(os.path.join(mp, "usr/bin/suidtool")) == (SHIFT, SHIFT, 0o4755)
    assert ids(os.path.join(mp, "usr/bin/sgidtool")) == (SHIFT, SHIFT + 5, 0o2711)
    assert ids(os.path.join(mp, "tmp"))[2] == 0o1777
    assert os.lstat(os.path.join(mp, "usr/bin/hardcopy")).st_ino == \
        os.lstat(os.path.join(mp, "usr/bin/suidtool")).st_ino
    assert os.lstat(os.path.join(mp, "usr/bin/suidtool")).st_nlink == 2
    assert os.readlink(os.path.join(mp, "bin/sh")) == "/bin/busybox"
    assert ids(os.path.join(mp, "bin/sh"))[:2] == (SHIFT, SHIFT)  # the link itself
    with open(os.path.join(mp, "usr/lib32/libc.so.7"), "rb") as f:
        assert f.read() == b"\x7fELF lib32\n"
    # mtime from the archive
    assert int(os.lstat(os.path.join(mp, "home/user/secret")).st_mtime) == 1700000000
    ds = "%s/releases/%s" % (root.name, REL)
    assert zget(ds, PREFIX + "release_source") == "url"
    assert zget(ds, PREFIX + "release_idmap") == "%d:65536" % SHIFT
    assert sh("zfs", "get", "-H", "-o", "name", "type", ds + "/root@ioc-release").strip()
    dl = os.path.join(root.mountpoint, "download", REL)
    assert sorted(os.listdir(dl)) == ["MANIFEST", "base.txz", "lib32.txz"]
    # a thin jail from it, and a second fetch that has nothing to do
    root.ok("create", "-c", "release=" + REL, "tag=thin")
    assert "thin" in root.jails()
    before = root.zfs_state()
    assert root.ok("fetch", "release=" + REL, "ftphost=http://127.0.0.1:1") == \
        "release %s already fetched\n" % REL
    assert root.zfs_state() == before


def test_fetch_explicit_dir_and_files(root, base):
    """ftpdir= and ftpfiles= as given; a host given as a URL with a path."""
    files = {"base.txz": base}
    with Server(served(files, reldir="/mirror/x/" + REL + "/")) as srv:
        root.ok("fetch", "release=" + REL, "ftphost=" + srv.url + "/mirror",
                "ftpdir=x/" + REL, "ftpfiles=base.txz")
    assert releases(root) == [REL]
    assert not os.path.exists(os.path.join(rel_root(root), "usr/lib32"))


def test_fetch_uses_root_defaults(root, base):
    """ftphost, ftpdir and ftpfiles set as defaults on the root are used."""
    with Server(served({"base.txz": base}, reldir="/d/")) as srv:
        root.ok("set", "ftpfiles=base.txz", "default")
        root.ok("set", "ftpdir=d", "default")
        r = root.run("set", "ftphost=" + srv.url, "default")
        if r.rc != 0:
            pytest.skip("the property table refuses a URL as ftphost default: %s" % r.err)
        root.ok("fetch", "release=" + REL)
        assert srv.requests == ["/d/MANIFEST", "/d/base.txz"]
    assert releases(root) == [REL]


def test_wrong_checksum_leaves_no_release(root, base):
    files = {"base.txz": base}
    with Server(served(files, override={"base.txz": "0" * 64})) as srv:
        err = root.fail("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
        assert "checksum mismatch for %s%sbase.txz: the MANIFEST says SHA-256 %s, the " \
            "download has %s; nothing was extracted" % (srv.url, RELDIR, "0" * 64,
                                                        sha256(base)) in err
        assert_no_release(root)
        # the bad file is not kept; fixing the server makes the next fetch work
        assert not os.path.exists(os.path.join(root.mountpoint, "download", REL, "base.txz"))
        srv.files.update(served(files))
        root.ok("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
    assert releases(root) == [REL]


def test_truncated_archive_leaves_no_release(root, base):
    bad = base[: len(base) // 2]
    with Server(served({"base.txz": bad})) as srv:
        err = root.fail("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
        assert "truncated or corrupt archive" in err
        assert_no_release(root)
        srv.files.update(served({"base.txz": base}))
        root.ok("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
    assert releases(root) == [REL]


def test_garbage_archive_leaves_no_release(root):
    junk = b"this is not an archive\n" * 100
    with Server(served({"base.txz": junk})) as srv:
        err = root.fail("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
    assert "base.txz" in err
    assert_no_release(root)


def test_file_missing_from_manifest_or_server(root, base):
    with Server(served({"base.txz": base})) as srv:
        err = root.fail("fetch", "release=" + REL, "ftphost=" + srv.url,
                        "ftpfiles=base.txz src.txz")
        assert "the MANIFEST of release '%s' does not list 'src.txz'" % REL in err
        assert_no_release(root)
        # base.txz was downloaded and checked: the next fetch reuses it
        srv.files.pop(RELDIR + "base.txz")
        root.ok("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
        assert srv.requests.count(RELDIR + "base.txz") == 1
        other = "/releases/%s/13.0-RELEASE/" % ARCH
        srv.files[other + "MANIFEST"] = manifest({"base.txz": base})
        err = root.fail("fetch", "release=13.0-RELEASE", "ftphost=" + srv.url,
                        "ftpfiles=base.txz")
        assert "cannot download %s%sbase.txz: server answered HTTP 404" % (srv.url, other) in err
        assert_no_release(root, "13.0-RELEASE")
        err = root.fail("fetch", "release=9.9-RELEASE", "ftphost=" + srv.url)
        assert "cannot download %s/releases/%s/9.9-RELEASE/MANIFEST: server answered HTTP 404" \
            % (srv.url, ARCH) in err
        assert_no_release(root, "9.9-RELEASE")


def test_bad_manifest_is_refused(root, base):
    with Server({RELDIR + "MANIFEST": b"base.txz\tnothex\t1\n", RELDIR + "base.txz": base}) as srv:
        err = root.fail("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
    assert "MANIFEST: MANIFEST line 1: SHA-256 of 'base.txz' is not 64 hex digits" in err
    assert_no_release(root)


def test_connection_refused(root):
    # a port nobody listens on: bind, learn the port, close
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    err = root.fail("fetch", "release=" + REL, "ftphost=http://127.0.0.1:%d" % port)
    assert "cannot download http://127.0.0.1:%d%sMANIFEST" % (port, RELDIR) in err
    assert_no_release(root)


# ---- bad input changes nothing -----------------------------------------------

@pytest.mark.parametrize("args,rc,msg", [
    (["file=/x.tar"], 2, "fetch: file=PATH needs release=NAME"),
    (["release=a/b"], 1, "invalid release name 'a/b'"),
    (["release=../x"], 1, "invalid release name '../x'"),
    (["release=14.1-RELEASE", "bogus=1"], 2, "fetch: unknown argument 'bogus=1'"),
    (["release=14.1-RELEASE", "ftphost=ftp://h.example"], 1,
     "invalid ftphost 'ftp://h.example': only http:// and https:// URLs are allowed"),
    (["release=14.1-RELEASE", "ftphost=http://u@h.example"], 1, "(no user names"),
    (["release=14.1-RELEASE", "ftpdir=../../etc"], 1, "'.' and '..' components are not allowed"),
    (["release=14.1-RELEASE", "ftpfiles=base.txz ../x"], 1,
     "ftpfiles: invalid file name '../x'"),
    (["release=14.1-RELEASE", "ftpfiles=a/b.txz"], 1, "ftpfiles: invalid file name 'a/b.txz'"),
    (["release=14.1-RELEASE", "ftpfiles= "], 2, "ftpfiles names no file"),
    (["release=14.1-RELEASE", "mirror=http://127.0.0.1/"], 2, "mirror= is for Debian suites"),
    (["release=x", "file=/nonexistent.tar"], 1, "cannot open '/nonexistent.tar'"),
    (["release=x", "file=/etc"], 1, "'/etc' is not a regular file"),
    (["release=x", "file=/etc/hostname"], 1, "is not an archive that can be read"),
    (["release=x", "file=/dev/null"], 1, "is not a regular file"),
    (["release=x", "file=/x.tar", "ftpfiles=a"], 2, "file= imports a local archive"),
    (["release=bookworm", "mirror=ftp://h.example/debian"], 1,
     "invalid mirror 'ftp://h.example/debian'"),
])
def test_bad_input_changes_nothing(root, args, rc, msg):
    before = root.zfs_state()
    err = root.fail("fetch", *args, rc=rc)
    assert msg in err
    assert root.zfs_state() == before


# ---- file= imports -----------------------------------------------------------

def test_file_import(root, busybox_tarball):
    before = root.zfs_state()
    out = root.ok("fetch", "file=" + busybox_tarball, "release=bb")
    assert "release bb fetched" in out
    assert releases(root) == ["bb"]
    mp = rel_root(root, "bb")
    assert ids(os.path.join(mp, "bin/busybox"))[:2] == (SHIFT, SHIFT)
    assert ids(os.path.join(mp, "etc/passwd"))[:2] == (SHIFT, SHIFT)
    ds = "%s/releases/bb" % root.name
    assert zget(ds, PREFIX + "release_source") == "file"
    assert zget(ds, PREFIX + "release_idmap") == "%d:65536" % SHIFT
    # no download dataset for an import
    new = set(root.zfs_state()) - set(before)
    assert new == {ds, ds + "/root", ds + "/root@ioc-release"}
    root.ok("create", "release=bb", "tag=thick")
    root.ok("create", "-c", "release=bb", "tag=thin")
    assert sorted(root.jails()) == ["thick", "thin"]
    assert root.ok("fetch", "file=" + busybox_tarball, "release=bb") == \
        "release bb already fetched\n"


@pytest.mark.parametrize("fmt,suffix", [("w:", "tar"), ("w:bz2", "tar.bz2"), ("w:xz", "txz")])
def test_file_import_formats(root, busybox_tarball, tmp_path, fmt, suffix):
    p = tmp_path / ("rootfs." + suffix)
    p.write_bytes(base_txz(busybox_tarball, fmt))
    root.ok("fetch", "file=" + str(p), "release=bb")
    assert ids(os.path.join(rel_root(root, "bb"), "usr/bin/suidtool")) == (SHIFT, SHIFT, 0o4755)


def test_file_import_userns_off_is_unshifted(root, busybox_tarball, tmp_path):
    p = tmp_path / "rootfs.txz"
    p.write_bytes(base_txz(busybox_tarball))
    root.ok("set", "userns=off", "default")
    root.ok("fetch", "file=" + str(p), "release=plain")
    mp = rel_root(root, "plain")
    assert ids(mp)[:2] == (0, 0)
    assert ids(os.path.join(mp, "home/user/secret")) == (1000, 1000, 0o640)
    assert ids(os.path.join(mp, "usr/bin/suidtool")) == (0, 0, 0o4755)
    assert zget("%s/releases/plain" % root.name, PREFIX + "release_idmap") == "none"


def test_file_import_other_idmap(root, busybox_tarball):
    root.ok("set", "userns_idmap=200000:65536", "default")
    root.ok("fetch", "file=" + busybox_tarball, "release=bb")
    assert ids(os.path.join(rel_root(root, "bb"), "bin/busybox"))[:2] == (200000, 200000)
    assert zget("%s/releases/bb" % root.name, PREFIX + "release_idmap") == "200000:65536"


def test_device_nodes_left_out_and_setuid_root_shifted(root, tmp_path):
    """A release archive with a block and a character device (a host disk, the
    host's memory) and a setuid-root program: the devices are left out and
    said so; the program stays setuid but belongs to the jail's root (host
    uid 100000), never to the host's."""
    p = tmp_path / "dev.tar"
    with tarfile.open(p, "w") as t:
        add(t, "etc", type=tarfile.DIRTYPE, mode=0o755)
        add(t, "dev", type=tarfile.DIRTYPE, mode=0o755)
        for name, typ, major, minor in (("dev/sda", tarfile.BLKTYPE, 8, 0),
                                        ("dev/mem", tarfile.CHRTYPE, 1, 1)):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.devmajor, ti.devminor = typ, 0o666, major, minor
            t.addfile(ti)
        add(t, "bin", type=tarfile.DIRTYPE, mode=0o755)
        add(t, "bin/suid", b"#!/bin/sh\n", mode=0o4755)
    r = root.run("fetch", "file=" + str(p), "release=dev")
    assert r.rc == 0, r
    assert r.err == ("iocage: note: %s: left out 2 device nodes (a jail's devices come from the "
                     "engine, never from its files)\n" % p), r
    # with --json the note is a JSON object on stderr, as errors are (one warning sink)
    r = root.run("--json", "fetch", "file=" + str(p), "release=dev2")
    assert r.rc == 0, r
    assert json.loads(r.err) == {"note": "%s: left out 2 device nodes (a jail's devices come "
                                 "from the engine, never from its files)" % p}, r
    rr = rel_root(root, "dev")
    assert sorted(os.listdir(os.path.join(rr, "dev"))) == []
    st = os.lstat(os.path.join(rr, "bin", "suid"))
    assert st.st_mode & 0o4000 and (st.st_uid, st.st_gid) == (SHIFT, SHIFT)


def test_ids_beyond_the_map_are_refused(root, tmp_path):
    p = tmp_path / "big.tar"
    with tarfile.open(p, "w") as t:
        add(t, "etc", type=tarfile.DIRTYPE, mode=0o755)
        add(t, "etc/ok", b"x")
        add(t, "etc/far", b"x", uid=70000, gid=0)
    err = root.fail("fetch", "file=" + str(p), "release=big")
    assert "cannot shift 1 file(s) into the id map 100000:65536: their ids are 65536 or " \
        "more, e.g. %s/etc/far (uid 70000, gid 0)" % rel_root(root, "big") in err
    assert_no_release(root, "big")


def test_empty_archive_is_refused(root, tmp_path):
    p = tmp_path / "empty.tar"
    with tarfile.open(p, "w"):
        pass
    before = root.zfs_state()
    err = root.fail("fetch", "file=" + str(p), "release=e")
    assert "is an empty archive" in err
    assert root.zfs_state() == before


# ---- hostile archives ----------------------------------------------------------

@pytest.fixture
def outside(tmp_path):
    """A host directory that hostile archives aim at; returns (dir, digest function)."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "target").write_text("host file\n")
    (d / "secret").write_text("host secret\n")

    def state():
        res = {}
        for dp, dn, fn in os.walk(d):
            for n in dn + fn:
                p = os.path.join(dp, n)
                st = os.lstat(p)
                data = open(p, "rb").read() if os.path.isfile(p) and \
                    not os.path.islink(p) else None
                res[p] = (st.st_mode, st.st_uid, st.st_nlink, data)
        return res
    return str(d), state


def hostile(path, entries):
    with tarfile.open(path, "w") as t:
        add(t, "etc", type=tarfile.DIRTYPE, mode=0o755)
        add(t, "etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        for e in entries:
            add(t, **e)


HOSTILE = {
    "dotdot": lambda o: [dict(name="../escaped", data=b"x")],
    "dotdot_deep": lambda o: [dict(name="etc/../../../../../../.." + o + "/dotdot", data=b"x")],
    "absolute": lambda o: [dict(name=o + "/absolute", data=b"x")],
    "symlink_dir_write_through": lambda o: [
        dict(name="lnk", type=tarfile.SYMTYPE, link=o),
        dict(name="lnk/pwned", data=b"x")],
    "hardlink_absolute": lambda o: [dict(name="h", type=tarfile.LNKTYPE, link=o + "/secret")],
    "hardlink_dotdot": lambda o: [dict(name="h", type=tarfile.LNKTYPE,
                                       link="../../../../../../.." + o + "/secret")],
    "hardlink_through_symlink": lambda o: [
        dict(name="d", type=tarfile.SYMTYPE, link=o),
        dict(name="h", type=tarfile.LNKTYPE, link="d/secret")],
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_is_refused(root, tmp_path, outside, case):
    o, state = outside
    before = state()
    p = tmp_path / "hostile.tar"
    hostile(p, HOSTILE[case](o))
    err = root.fail("fetch", "file=" + str(p), "release=evil")
    assert "refusing %s" % p in err
    assert_no_release(root, "evil")
    assert state() == before
    # nothing beside the release either
    assert not os.path.exists(os.path.join(root.mountpoint, "releases", "escaped"))
    assert not os.path.exists(os.path.join(root.mountpoint, "releases", "evil"))


def test_symlink_then_file_replaces_the_link(root, tmp_path, outside):
    """A symlink to a host file followed by a regular file of the same name: the
    link is replaced inside the release, the host file is not written."""
    o, state = outside
    before = state()
    p = tmp_path / "swap.tar"
    hostile(p, [dict(name="f", type=tarfile.SYMTYPE, link=o + "/target"),
                dict(name="f", data=b"inside\n")])
    r = root.run("fetch", "file=" + str(p), "release=swap")
    assert state() == before
    if r.rc == 0:
        f = os.path.join(rel_root(root, "swap"), "f")
        assert not os.path.islink(f) and open(f).read() == "inside\n"
    else:
        assert_no_release(root, "swap")


def test_hostile_archive_over_http(root, tmp_path, outside):
    o, state = outside
    before = state()
    p = tmp_path / "hostile.txz"
    with tarfile.open(p, "w:xz") as t:
        add(t, "etc", type=tarfile.DIRTYPE, mode=0o755)
        add(t, "lnk", type=tarfile.SYMTYPE, link=o)
        add(t, "lnk/pwned", b"x")
    with Server(served({"base.txz": p.read_bytes()})) as srv:
        err = root.fail("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
    assert "refusing base.txz: cannot extract 'lnk/pwned'" in err
    assert_no_release(root)
    assert state() == before


def test_mtree_is_not_read(root, tmp_path, outside):
    """An mtree 'archive' names host files as contents: never read."""
    o, state = outside
    p = tmp_path / "spec.mtree"
    p.write_text("#mtree\n./stolen type=file contents=%s/secret\n" % o)
    err = root.fail("fetch", "file=" + str(p), "release=m")
    assert "is not an archive that can be read" in err
    assert_no_release(root, "m")


# ---- interruption and concurrency ------------------------------------------------

def wait_for(cond, what, limit=120):
    deadline = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < deadline, "gave up waiting for " + what
        time.sleep(0.05)


def test_killed_during_download_then_fetch_again(root, base):
    files = {"base.txz": base}
    with Server(served(files)) as srv:
        srv.stall[RELDIR + "base.txz"] = len(base) // 3
        p = subprocess.Popen([iocage_bin(), "-r", root.name, "fetch", "release=" + REL,
                              "ftphost=" + srv.url, "ftpfiles=base.txz"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        part = os.path.join(root.mountpoint, "download", REL, "base.txz.part")
        try:
            wait_for(srv.stalled.is_set, "the server to stall")
            wait_for(lambda: os.path.exists(part) and os.path.getsize(part) > 0,
                     "a partial download")
        finally:
            p.send_signal(signal.SIGKILL)
            p.communicate()
        assert p.returncode == -signal.SIGKILL
        assert_no_release(root)
        srv.stall.clear()
        out = root.ok("fetch", "release=" + REL, "ftphost=" + srv.url, "ftpfiles=base.txz")
    assert "release %s fetched" % REL in out
    assert releases(root) == [REL]
    assert not os.path.exists(part)


def test_kill_at_every_step_of_an_import(root, busybox_tarball, tmp_path):
    """SIGKILL before each external command of `fetch file=` (fault injection of the
    sanitizer build): never a release create would use; the next fetch finishes."""
    trace = tmp_path / "trace"
    root.ok("fetch", "file=" + busybox_tarball, "release=t0",
            env={"IOC_FAULT_TRACE": str(trace)})
    if not trace.exists():
        pytest.skip("binary built without fault injection")
    steps = len(trace.read_text().splitlines())
    assert steps >= 4
    for n in range(1, steps + 1):
        rel = "k%d" % n
        r = root.run("fetch", "file=" + busybox_tarball, "release=" + rel,
                     env={"IOC_FAULT_KILL": str(n)})
        assert r.rc == 128 + signal.SIGKILL or r.rc == -signal.SIGKILL, r
        assert rel not in releases(root)
        err = root.fail("create", "-c", "release=" + rel, "tag=x%d" % n)
        assert "is not fetched" in err
        out = root.ok("fetch", "file=" + busybox_tarball, "release=" + rel)
        assert "release %s fetched" % rel in out
        assert rel in releases(root)
        # keep the pool small
        destroy_root("%s/releases/%s" % (root.name, rel))


def test_two_fetches_of_one_release_serialise(root, busybox_tarball):
    procs = [subprocess.Popen([iocage_bin(), "-r", root.name, "fetch",
                               "file=" + busybox_tarball, "release=bb"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    msgs = sorted(o[0].strip() for o in outs)
    assert msgs == ["release bb already fetched",
                    "release bb fetched (owners shifted for the user namespace)"], outs
    assert releases(root) == ["bb"]


# ---- Debian via debootstrap: tests/test_update.py fetches bookworm once for the
# session and checks the fetched tree there (test_fetched_bookworm_*). ----------
