"""Differential packages against a real pool and real containers: `record
start|stop`, `package` and `import PACKAGE`.

A thin jail of the busybox release is changed between `record start` and
`record stop` (from the host while it is stopped, through `exec` while it
runs); `package` must write exactly those changes (read back here with
tarfile/lzma), and `import` must make a new thin jail of the same release
whose tree equals the recorded one.  Bad packages (corrupt, unsigned, of
another release, hostile) are refused without changing anything; SIGKILL at
every external step of `package` and `import` leaves no half-made jail.
"""
import hashlib
import io
import lzma
import os
import re
import shutil
import socket
import stat
import tarfile

import pytest

from conftest import (SHIFT, Root, destroy_root, install_release, iocage_bin, neighbour_state,
                      run_iocage)
from runhelp import jail, open_path, rootfs, state, subids  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")

XNAME = "user.iocage-test"


# ---- helpers ------------------------------------------------------------------------

def xattrs(p):
    try:
        names = os.listxattr(p, follow_symlinks=False)
    except OSError:
        return {}
    return {n: os.getxattr(p, n, follow_symlinks=False) for n in sorted(names)}


def meta(top):
    """{relpath: (type, mode, uid, gid, content|target, xattrs, mtime)} of a tree,
    without following symlinks; a directory's mtime is left out (it moves with
    every entry made below it)."""
    res = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, top)
            if stat.S_ISLNK(st.st_mode):
                body, mt = "->" + os.readlink(p), None
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    body = hashlib.sha256(f.read()).hexdigest()
                mt = st.st_mtime_ns
            else:
                body, mt = st.st_rdev if not stat.S_ISDIR(st.st_mode) else None, None
            res[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                        body, xattrs(p), mt)
    return res


def packages(root):
    d = os.path.join(root.mountpoint, "packages")
    return sorted(n for n in os.listdir(d) if not n.startswith(".")) if os.path.isdir(d) else []


def check_sum(path):
    """The package's .sha256 is its SHA-256, in sha256sum's format; returns it."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(path + ".sha256") as f:
        assert f.read() == "%s  %s\n" % (digest, os.path.basename(path))
    return digest


def package_path(root, out):
    """The package named by `package`'s output, checked against its .sha256."""
    line = out.splitlines()[0]
    assert line.startswith("package ") and " written: " in line, out
    path = line.split()[1]
    assert path.startswith(os.path.join(root.mountpoint, "packages") + "/"), out
    assert path.endswith(".iocpkg")
    assert ("sha256 %s" % check_sum(path)) in out
    return path


def read_package(path):
    """(manifest dict, deletions list, {relpath: TarInfo}, {relpath: bytes}) of a package."""
    with open(path, "rb") as f:
        raw = lzma.decompress(f.read())
    members, data = {}, {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        names = t.getnames()
        assert names[:2] == ["+PACKAGE", "+DELETIONS"], names
        man = dict(l.split(" ", 1) for l in
                   t.extractfile("+PACKAGE").read().decode().splitlines()[1:])
        dels = t.extractfile("+DELETIONS").read().decode().splitlines()
        for ti in t.getmembers()[2:]:
            assert ti.name.startswith("root/"), ti.name
            rel = ti.name[5:].rstrip("/")
            members[rel] = ti
            if ti.isfile():
                data[rel] = t.extractfile(ti).read()
    return man, dels, members, data


def xattrs_of(ti):
    """The extended attributes a tar member carries (pax SCHILY.xattr.*)."""
    return {k[len("SCHILY.xattr."):]: v.encode("utf-8", "surrogateescape")
            for k, v in ti.pax_headers.items() if k.startswith("SCHILY.xattr.")}


def xattr_support(top):
    """zfs-fuse has no extended attributes (ENOTSUP): the xattr part of a test
    then checks only that none are invented."""
    p = os.path.join(top, ".xattr-probe")
    with open(p, "w"):
        pass
    try:
        os.setxattr(p, XNAME, b"1")
        return True
    except OSError:
        return False
    finally:
        os.unlink(p)


def jail_snaps(root, uuid):
    return sorted(d.split("@", 1)[1] for d in root.zfs_state()
                  if d.startswith("%s/jails/%s/" % (root.name, uuid)) and "@" in d)


@pytest.fixture(scope="module")
def shared(pool, busybox_tarball, subids):
    """One root with the busybox release for the tests that must change nothing
    (each proves that itself): a fresh root per case costs more than the case.
    The neighbours are checked afterwards as the root fixture does."""
    name = "%s/virt/ioc%d" % (pool.name, next(pool.counter))
    before = neighbour_state(pool, name)
    res = run_iocage(["activate", name])
    assert res.rc == 0, res
    r = Root(pool, name)
    try:
        install_release(r, busybox_tarball)
        r.release = "bb"
        open_path(r.mountpoint)
        r.ok("set", "interfaces=none", "default")
        yield r
    finally:
        r.run("stop", "-f", "ALL")
        destroy_root(name)
    after = neighbour_state(pool, name)
    # other roots of this session (POOL/virt/iocN) come and go meanwhile
    own = re.compile(re.escape(pool.name) + r"/virt/ioc\d+([/@]|$)")
    for st in (before, after):
        for ds in [d for d in st[0] if own.match(d)]:
            del st[0][ds]
    assert after == before


@pytest.fixture
def rel(root, busybox_tarball):
    install_release(root, busybox_tarball)
    root.release = "bb"
    open_path(root.mountpoint)
    root.ok("set", "interfaces=none", "default")
    yield root
    root.run("stop", "-f", "ALL")


def start(r, tag):
    """Starts a jail; the temporary directories above the pool are opened again
    first (a pytest session started meanwhile makes /tmp/pytest-of-root 0700)."""
    open_path(r.mountpoint)
    r.ok("start", tag)


def change_stopped(top):
    """Changes a stopped jail's tree from the host (owners as the jail sees them,
    shifted for its user namespace)."""
    add = os.path.join(top, "root/added.txt")
    with open(add, "wb") as f:
        f.write(b"added while stopped\n")
    os.chown(add, SHIFT + 1000, SHIFT + 100)
    os.chmod(add, 0o640)
    if xattr_support(top):
        os.setxattr(add, XNAME, b"stopped-value")
    with open(os.path.join(top, "etc/hostname"), "wb") as f:  # hard-linked to etc/hard2
        f.write(b"recorded\n")
    os.unlink(os.path.join(top, "etc/os-release"))
    os.symlink("../etc/passwd", os.path.join(top, "root/passwd-link"))
    os.lchown(os.path.join(top, "root/passwd-link"), SHIFT, SHIFT)
    os.mkdir(os.path.join(top, "opt"))
    os.chown(os.path.join(top, "opt"), SHIFT, SHIFT)
    os.mkdir(os.path.join(top, "opt/app"), 0o750)
    os.chown(os.path.join(top, "opt/app"), SHIFT + 33, SHIFT + 33)
    with open(os.path.join(top, "opt/app/conf"), "w") as f:
        f.write("x=1\n")
    os.chown(os.path.join(top, "opt/app/conf"), SHIFT + 33, SHIFT + 33)
    # metadata only: same content, new mode
    os.chmod(os.path.join(top, "etc/group"), 0o600)


# (zfs-fuse decides permissions in its daemon with the host's view of the caller:
# a chown by the jail's root, host uid 100000, is refused there, so owners are
# changed from the host only)
RUNNING_SCRIPT = """
set -e
echo 'written inside' > /root/inside.txt
chmod 4711 /root/inside.txt
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> /etc/passwd
echo 'app:x:33:33:app:/opt/app:/bin/false' >> /etc/passwd
rm /usr/bin/wc
ln -s /bin/busybox /usr/bin/mywc
mkdir -p /srv/data/deep
echo deep > /srv/data/deep/file
mkfifo /srv/fifo
rm -r /home
"""


# ---- the whole round trip -----------------------------------------------------------

def test_record_package_import_round_trip(rel):
    r = rel
    u = jail(r, "src")
    top = rootfs(r, u)
    orig = meta(top)
    out = r.ok("record", "start", "src")
    assert "src: recording changes (snapshot @ioc-record-start)" in out
    assert r.ok("get", "record", "src").startswith("started ")
    change_stopped(top)
    start(r, "src")
    r.ok("exec", "src", "sh", "-c", RUNNING_SCRIPT)
    out = r.ok("record", "stop", "src")
    assert "src: recording stopped (snapshot @ioc-record-stop)" in out
    assert r.ok("get", "record", "src").startswith("stopped ")
    recorded = meta(top)
    # changes after the stop are not part of the package
    r.ok("exec", "src", "sh", "-c", "echo later > /root/later.txt")
    r.ok("stop", "src")
    assert jail_snaps(r, u) == ["ioc-record-start", "ioc-record-stop"]

    out = r.ok("package", "src")
    path = package_path(r, out)
    assert os.path.basename(path).startswith("src-")
    assert packages(r) == [os.path.basename(path), os.path.basename(path) + ".sha256"]
    # no work clones left under R/packages
    assert [d for d in r.zfs_state() if "/packages/" in d] == []

    man, dels, members, data = read_package(path)
    assert man["release"] == "bb" and man["uuid"] == u and man["tag"] == "src"
    assert sorted(dels) == ["etc/os-release", "home", "usr/bin/wc"]
    expect = {"root/added.txt", "etc/hostname", "etc/hard2", "root/passwd-link", "opt",
              "opt/app", "opt/app/conf", "etc/group", "root/inside.txt", "etc/passwd",
              "usr/bin/mywc", "srv", "srv/data", "srv/data/deep", "srv/data/deep/file",
              "srv/fifo"}
    assert set(members) == expect, set(members) ^ expect
    assert int(man["files"]) == len(members) and int(man["deletions"]) == len(dels)
    # owners relative to the id shift, modes, xattrs, content
    a = members["root/added.txt"]
    assert (a.uid, a.gid, a.mode) == (1000, 100, 0o640)
    assert xattrs_of(a) == ({XNAME: b"stopped-value"} if xattr_support(top) else {})
    assert data["root/added.txt"] == b"added while stopped\n"
    i = members["root/inside.txt"]
    assert (i.uid, i.gid, i.mode) == (0, 0, 0o4711)
    assert data["root/inside.txt"] == b"written inside\n"
    assert data["etc/hostname"] == data["etc/hard2"] == b"recorded\n"
    assert members["etc/group"].mode == 0o600 and members["etc/group"].uid == 0
    assert members["root/passwd-link"].issym() and members["root/passwd-link"].linkname == "../etc/passwd"
    assert members["usr/bin/mywc"].issym() and members["usr/bin/mywc"].linkname == "/bin/busybox"
    assert members["opt/app"].isdir() and members["opt/app"].mode == 0o750
    assert (members["opt/app"].uid, members["opt/app"].gid) == (33, 33)
    assert members["srv/fifo"].isfifo()
    assert b"app:x:33:33" in data["etc/passwd"]
    names = [ti for ti in members]
    assert names.index("opt") < names.index("opt/app") < names.index("opt/app/conf")
    assert "root/later.txt" not in members

    # import: a new thin jail of the same release with exactly these changes
    before = set(r.jails())
    out = r.ok("import", path, "tag=copy")
    assert "deployed onto copy" in out
    assert set(r.jails()) == before | {"copy"}
    cu = r.jails()["copy"]
    assert r.ok("get", "release", "copy").strip() == "bb"
    assert r.ok("get", "type", "copy").strip() == "clonejail"
    got = meta(rootfs(r, cu))
    diff = {k for k in set(got) | set(recorded) if got.get(k) != recorded.get(k)}
    assert not diff, {k: (recorded.get(k), got.get(k)) for k in sorted(diff)}
    assert "etc/os-release" not in got and "home" not in got and "usr/bin/wc" not in got
    assert got != orig
    # the imported jail runs and sees its files
    start(r, "copy")
    assert r.ok("exec", "copy", "cat", "/root/inside.txt") == "written inside\n"
    assert r.ok("exec", "copy", "cat", "/etc/hostname") == "recorded\n"
    r.ok("stop", "copy")



# ---- refusals and clear errors ------------------------------------------------------

def test_record_and_package_misuse_are_clear(rel):
    r = rel
    jail(r, "m")
    st = r.zfs_state()
    err = r.fail("record", "stop", "m")
    assert err == "iocage: 'm' is not recording ('iocage record start m' begins)\n"
    err = r.fail("package", "m")
    assert err == ("iocage: 'm' has no recording: 'iocage record start m', change the jail, "
                   "'iocage record stop m', then package it\n")
    assert r.fail("record", "m", rc=2) == "iocage: usage: iocage record start|stop UUID|TAG\n"
    assert r.fail("record", "begin", "m", rc=2) == "iocage: usage: iocage record start|stop UUID|TAG\n"
    assert r.fail("record", "start", "nosuch").startswith("iocage: no jail named 'nosuch'")
    assert r.zfs_state() == st
    r.ok("record", "start", "m")
    st = r.zfs_state()
    err = r.fail("record", "start", "m")
    assert err == "iocage: 'm' is already recording ('iocage record stop m' ends it)\n"
    err = r.fail("package", "m")
    assert err == "iocage: 'm' is still recording: 'iocage record stop m' first\n"
    assert r.zfs_state() == st
    r.ok("record", "stop", "m")
    st = r.zfs_state()
    err = r.fail("record", "stop", "m")
    assert err == ("iocage: the recording of 'm' is already stopped ('iocage package m' writes "
                   "it; 'iocage record start m' begins a new one)\n")
    assert r.zfs_state() == st
    # a new recording replaces a finished one (and says so)
    out = r.ok("record", "start", "m")
    assert "the previous recording was discarded" in out
    assert jail_snaps(r, r.jails()["m"]) == ["ioc-record-start"]
    # an empty jail has no release to deploy onto; a template is not recorded
    r.ok("create", "-e", "tag=e")
    r.ok("record", "start", "e")
    r.ok("record", "stop", "e")
    st = r.zfs_state()
    err = r.fail("package", "e")
    assert "'e' has no release (an empty jail)" in err, err
    assert r.zfs_state() == st
    jail(r, "t")
    r.ok("set", "template=yes", "t")
    st = r.zfs_state()
    err = r.fail("record", "start", "t")
    assert err == "iocage: 't' is a template: record changes on a jail made from it\n"
    assert r.zfs_state() == st


def test_record_while_running(rel):
    """Both snapshots taken while the jail runs; only what exec changed is packaged."""
    r = rel
    u = jail(r, "run")
    start(r, "run")
    r.ok("record", "start", "run")
    r.ok("exec", "run", "sh", "-c", "echo hi > /tmp/hello; rm /etc/hostname; mkdir /var/lib")
    r.ok("record", "stop", "run")
    assert state(r, "run") == "up"
    recorded = meta(rootfs(r, u))
    path = package_path(r, r.ok("package", "run"))
    man, dels, members, data = read_package(path)
    assert dels == ["etc/hostname"]
    assert set(members) == {"tmp/hello", "var/lib"}
    assert data["tmp/hello"] == b"hi\n"
    r.ok("import", path, "tag=run2")
    got = meta(rootfs(r, r.jails()["run2"]))
    assert got == recorded


def test_host_owned_file_is_refused_clearly(rel):
    """A file the host's root put into the jail (owner outside the jail's id map)
    cannot be packaged: the error names it, and nothing is left behind."""
    r = rel
    u = jail(r, "h")
    r.ok("record", "start", "h")
    with open(os.path.join(rootfs(r, u), "root/hostowned"), "w") as f:
        f.write("x")
    r.ok("record", "stop", "h")
    st = r.zfs_state()
    err = r.fail("package", "h")
    assert err == ("iocage: 'root/hostowned' is owned by host id 0, outside the jail's id "
                   "range 100000:65536\n")
    assert r.zfs_state() == st
    assert packages(r) == []


def test_device_node_is_never_packaged(rel):
    """A device node in the jail's tree (made by the host's root: the jail's
    own root cannot mknod) is refused by package, naming it; nothing is left."""
    r = rel
    u = jail(r, "dv")
    r.ok("record", "start", "dv")
    os.mknod(os.path.join(rootfs(r, u), "root/disk"), 0o60666, os.makedev(8, 0))
    os.lchown(os.path.join(rootfs(r, u), "root/disk"), 100000, 100000)
    r.ok("record", "stop", "dv")
    st = r.zfs_state()
    err = r.fail("package", "dv")
    assert "'root/disk' is a device node: packages carry files, directories, links and FIFOs, " \
        "never devices" in err, err
    assert r.zfs_state() == st
    assert packages(r) == []


def test_socket_is_left_out_and_the_package_imports(rel):
    """A unix socket in the jail's tree is not packaged (it is no file to carry),
    and the package stays consistent: it imports."""
    r = rel
    u = jail(r, "so")
    top = rootfs(r, u)
    r.ok("record", "start", "so")
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(top, "tmp/sock"))
    s.close()
    os.lchown(os.path.join(top, "tmp/sock"), SHIFT, SHIFT)
    with open(os.path.join(top, "tmp/file"), "w") as f:
        f.write("x")
    os.chown(os.path.join(top, "tmp/file"), SHIFT, SHIFT)
    r.ok("record", "stop", "so")
    path = package_path(r, r.ok("package", "so"))
    man, dels, members, data = read_package(path)
    assert set(members) == {"tmp/file"} and man["files"] == "1"
    r.ok("import", path, "tag=so2")
    got = rootfs(r, r.jails()["so2"])
    assert os.path.exists(os.path.join(got, "tmp/file"))
    assert not os.path.lexists(os.path.join(got, "tmp/sock"))


# ---- packages that must not deploy --------------------------------------------------

def small_package(r, tag="p"):
    """A jail with one recorded change, packaged; returns the package's path."""
    u = jail(r, tag)
    r.ok("record", "start", tag)
    p = os.path.join(rootfs(r, u), "root/note")
    with open(p, "w") as f:
        f.write("note\n")
    os.chown(p, SHIFT, SHIFT)
    r.ok("record", "stop", tag)
    return package_path(r, r.ok("package", tag))


def write_sum(path):
    with open(path, "rb") as f:
        h = hashlib.sha256(f.read()).hexdigest()
    with open(path + ".sha256", "w") as f:
        f.write("%s  %s\n" % (h, os.path.basename(path)))


def build_package(path, entries, deletions=b"", release="bb", files=None, ndel=None,
                  manifest=None, first=None):
    """Writes a package by hand (pax, xz) with its .sha256: entries are
    (TarInfo, bytes|None); the manifest counts them unless told otherwise."""
    if manifest is None:
        manifest = ("iocage-package 1\nrelease %s\nuuid 0b8e8f3c-4c1e-4f57-9d7e-2a1f5e0c9d11\n"
                    "tag hostile\ncreated 2026-01-02T03:04:05Z\nfiles %d\ndeletions %d\n" %
                    (release, len(entries) if files is None else files,
                     deletions.count(b"\n") if ndel is None else ndel)).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        heads = [("+PACKAGE", manifest), ("+DELETIONS", deletions)]
        if first is not None:
            heads = first
        for name, data in heads:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        for ti, data in entries:
            if data is not None:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    with open(path, "wb") as f:
        f.write(lzma.compress(buf.getvalue()))
    write_sum(path)
    return path


def reg(name, mode=0o644, uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.mode, ti.uid, ti.gid = mode, uid, gid
    return ti


def lnk(name, target, kind=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname = kind, target
    return ti


def dev(name, kind, major, minor):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.devmajor, ti.devminor = kind, 0o666, major, minor
    return ti


def dirent(name):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    return ti


@pytest.fixture
def outside(tmp_path):
    """A directory outside every jail that a hostile package aims at."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "keep").write_text("keep\n")
    open_path(str(d / "keep"))
    return d


def refused(r, args, msg, outside=None):
    """The import fails with msg, and nothing changed: datasets, properties,
    snapshots, the jail list, R/packages, the outside directory."""
    st, js, pk = r.zfs_state(), r.jails(), packages(r)
    od = meta(str(outside)) if outside else None
    err = r.fail("import", *args)
    assert msg in err, err
    assert err.startswith("iocage: ") and err.count("\n") == 1, err
    assert r.zfs_state() == st
    assert r.jails() == js and packages(r) == pk
    if outside:
        assert meta(str(outside)) == od
    return err


def test_checksum_mismatch_and_missing_sum_change_nothing(rel, tmp_path):
    r = rel
    path = small_package(r)
    bad = str(tmp_path / "flipped.iocpkg")
    shutil.copy(path, bad)
    shutil.copy(path + ".sha256", bad + ".sha256")
    with open(bad, "r+b") as f:
        f.seek(os.path.getsize(bad) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x01]))
    refused(r, [bad, "tag=x"], "checksum mismatch for '%s'" % bad)
    nosum = str(tmp_path / "nosum.iocpkg")
    shutil.copy(path, nosum)
    refused(r, [nosum, "tag=x"], "cannot read the checksum file '%s.sha256' (a package travels "
            "with its .sha256)" % nosum)
    # a truncated package whose .sha256 matches the truncated bytes
    trunc = str(tmp_path / "trunc.iocpkg")
    with open(path, "rb") as f:
        data = f.read()
    with open(trunc, "wb") as f:
        f.write(data[:len(data) // 2])
    write_sum(trunc)
    refused(r, [trunc, "tag=x"], "truncated or corrupt")
    # the original still deploys
    r.ok("import", path, "tag=good")
    assert os.path.exists(os.path.join(rootfs(r, r.jails()["good"]), "root/note"))


def test_release_mismatch_changes_nothing(rel, busybox_tarball, tmp_path):
    r = rel
    install_release(r, busybox_tarball, "bb2")
    u = r.ok("create", "-c", "release=bb2", "tag=other").split()[0]
    r.ok("record", "start", "other")
    p = os.path.join(rootfs(r, u), "root/other")
    with open(p, "w") as f:
        f.write("other\n")
    os.chown(p, SHIFT, SHIFT)
    r.ok("record", "stop", "other")
    path = package_path(r, r.ok("package", "other"))
    refused(r, [path, "release=bb", "tag=x"], "release mismatch: the package was recorded on "
            "release 'bb2', not 'bb' (a package deploys only onto its own release)")
    # the manifest names a release this root does not have
    _, _, members, data = read_package(path)
    ghost = build_package(str(tmp_path / "ghost.iocpkg"), [(members["root/other"],
                                                            data["root/other"])],
                          release="13.2-RELEASE")
    refused(r, [ghost, "tag=x"], "release mismatch: the package was recorded on release "
            "'13.2-RELEASE', which is not fetched here ('iocage fetch release=13.2-RELEASE' "
            "first)")
    # onto its own release it deploys
    r.ok("import", path, "tag=x")
    assert r.ok("get", "release", "x").strip() == "bb2"
    assert os.path.exists(os.path.join(rootfs(r, r.jails()["x"]), "root/other"))


HOSTILE = [
    ("dotdot", lambda o: [(reg("root/../../../../evil"), b"x")],
     "package member 'root/../../../../evil' is not a valid path below root/"),
    ("absolute", lambda o: [(reg(str(o / "evil")), b"x")],
     "is not a valid path below root/"),
    ("outside-root", lambda o: [(reg("etc/evil"), b"x")],
     "package member 'etc/evil' is not a valid path below root/"),
    ("dot-component", lambda o: [(reg("root/./etc/evil"), b"x")],
     "package member 'root/./etc/evil' is not a valid path below root/"),
    ("hardlink-out", lambda o: [(lnk("root/hl", "/etc/passwd", tarfile.LNKTYPE), None)],
     "package member 'root/hl' is not a valid path below root/"),
    ("symlink-then-write", lambda o: [(lnk("root/esc", str(o)), None),
                                      (reg("root/esc/pwned"), b"x")],
     "cannot deploy the package (the new jail was removed again): cannot extract 'esc/pwned': "
     "Cannot extract through symlink esc/pwned"),
    ("relative-symlink-then-write",
     lambda o: [(lnk("root/esc", "../../../../../../../../../../../.." + str(o)), None),
                (reg("root/esc/pwned"), b"x")],
     "cannot deploy the package (the new jail was removed again): cannot extract 'esc/pwned': "
     "Cannot extract through symlink esc/pwned"),
    ("symlink-then-dir", lambda o: [(lnk("root/esc", str(o)), None), (dirent("root/esc/sub"), None)],
     "cannot deploy the package (the new jail was removed again): cannot extract 'esc/sub/': "
     "Cannot extract through symlink esc/sub"),
    ("owner-beyond-map", lambda o: [(reg("root/x", uid=70000), b"x")],
     "owner id 70000 cannot be mapped into the jail"),
    ("count-mismatch", lambda o: [(reg("root/a"), b"a"), (reg("root/b"), b"b")],
     "package has 2 files, its manifest says 1"),
    # issue 10: a block device 8:0 mode 0666 would give every host user the raw disk
    ("block-device", lambda o: [(dev("root/tmp/d", tarfile.BLKTYPE, 8, 0), None)],
     "package member 'root/tmp/d' is a device node (refused: a package carries files, "
     "directories, links and FIFOs)"),
    ("char-device", lambda o: [(dev("root/tmp/mem", tarfile.CHRTYPE, 1, 1), None)],
     "package member 'root/tmp/mem' is a device node (refused"),
]


@pytest.mark.parametrize("case,entries,msg", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_package_changes_nothing(shared, tmp_path, outside, case, entries, msg):
    r = shared
    path = str(tmp_path / ("%s.iocpkg" % case))
    ents = entries(outside)
    build_package(path, ents, files=1 if case == "count-mismatch" else None)
    refused(r, [path, "tag=x"], msg, outside)
    assert sorted(os.listdir(str(outside))) == ["keep"]


HOSTILE_DELETIONS = [
    ("dotdot", b"../../../etc/passwd\n", "package deletions line 1: not a valid relative path"),
    ("absolute", b"/etc/passwd\n", "package deletions line 1: not a valid relative path"),
    ("twice", b"etc/group\netc/group\n", "package deletions line 2: not a valid relative path"),
    ("through-symlink", b"usr/bin/wc/x\n", "deletion 'usr/bin/wc/x': cannot go through 'wc'"),
]


@pytest.mark.parametrize("case,dels,msg", HOSTILE_DELETIONS, ids=[h[0] for h in HOSTILE_DELETIONS])
def test_hostile_deletions_change_nothing(shared, tmp_path, outside, case, dels, msg):
    r = shared
    path = build_package(str(tmp_path / "d.iocpkg"), [], deletions=dels)
    refused(r, [path, "tag=x"], msg, outside)


def test_not_a_package_is_refused(shared, tmp_path):
    r = shared
    path = build_package(str(tmp_path / "np.iocpkg"), [(reg("root/a"), b"a")],
                         first=[("README", b"hello\n")])
    refused(r, [path, "tag=x"], "not an iocage package: the first member must be +PACKAGE")
    bad = build_package(str(tmp_path / "bm.iocpkg"), [], manifest=b"iocage-package 2\n")
    refused(r, [bad, "tag=x"], "package manifest")


def test_import_with_a_used_tag_or_bad_property_changes_nothing(rel):
    r = rel
    path = small_package(r, "p")
    refused(r, [path], "tag 'p' is already used by another jail: import with tag=NEWTAG")
    refused(r, [path, "tag=q", "nosuchprop=1"], "nosuchprop")
    refused(r, [path, "tag=bad tag"], "tag")
    refused(r, [path, "tag=q", "pkglist=/nonexistent"], "import of a package: pkglist= is not "
            "applied (the package carries the jail's files): install packages in the new jail "
            "afterwards")
    # properties given are set on the new jail
    r.ok("import", path, "tag=q", "notes=from a package", "boot=on")
    assert r.ok("get", "notes", "q").strip() == "from a package"
    assert r.ok("get", "boot", "q").strip() == "on"



# ---- SIGKILL at every step ----------------------------------------------------------

def fault_injection():
    return b"IOC_FAULT_INJECT" in open(iocage_bin(), "rb").read() or \
        b"IOC_FAULT_KILL" in open(iocage_bin(), "rb").read()


def steps_of(root, tmp_path, *args):
    """The external commands a successful run makes (IOC_FAULT_TRACE), and its output."""
    tf = tmp_path / ("trace%d" % len(os.listdir(str(tmp_path))))
    res = root.run(*args, env={"IOC_FAULT_TRACE": str(tf)})
    assert res.rc == 0, res
    return len(tf.read_text().splitlines()), res.out


def jail_part(root, uuid):
    """The jail's datasets, snapshots and properties (what a package must not change)."""
    pre = "%s/jails/%s" % (root.name, uuid)
    return {d: v for d, v in root.zfs_state().items() if d == pre or d.startswith(pre + "/")
            or d.startswith(pre + "@")}


def work_clones(root):
    return sorted(d for d in root.zfs_state() if "/packages/work-" in d)


def summary(path):
    """What a package carries, comparable between two runs."""
    man, dels, members, data = read_package(path)
    return (man["release"], man["files"], man["deletions"], dels,
            {k: (ti.type, ti.mode, ti.uid, ti.gid, ti.linkname, data.get(k))
             for k, ti in members.items()})


def test_package_killed_at_every_step(rel, tmp_path):
    r = rel
    if not fault_injection():
        pytest.skip("binary built without fault injection")
    path = small_package(r, "k")
    u = r.jails()["k"]
    os.unlink(path)
    os.unlink(path + ".sha256")
    n, out = steps_of(r, tmp_path, "package", "k")
    first = package_path(r, out)
    want = summary(first)
    for p in (first, first + ".sha256"):
        os.unlink(p)
    before, js = jail_part(r, u), r.jails()
    # the leftover of a run killed while writing the archive goes with the next run
    with open(os.path.join(r.mountpoint, "packages", ".iocpkg-partial-AbC123"), "wb") as f:
        f.write(b"\xfd7zXZ\0half")
    for step in range(1, n + 1):
        res = r.run("package", "k", env={"IOC_FAULT_KILL": str(step)})
        if res.rc == 0:
            # zfs-fuse may answer a destroy "busy" once: the traced run had a retry
            # step more than this one, which finished before `step`
            assert step >= n - 3, (step, res)
            for name in packages(r):
                os.unlink(os.path.join(r.mountpoint, "packages", name))
            continue
        assert res.rc in (-9, 137), (step, res)
        # the jail and its recording are as before; list shows nothing new
        assert jail_part(r, u) == before, step
        assert r.jails() == js, step
        # a killed run leaves a complete package or none (never a partial one under its name)
        for name in packages(r):
            if name.endswith(".iocpkg"):
                check_sum(os.path.join(r.mountpoint, "packages", name))
        # the next package works, and sweeps the killed run's work clones
        path = package_path(r, r.ok("package", "k"))
        assert summary(path) == want
        assert work_clones(r) == [], step
        assert not [n for n in os.listdir(os.path.join(r.mountpoint, "packages"))
                    if n.startswith(".")], step
        for name in packages(r):
            os.unlink(os.path.join(r.mountpoint, "packages", name))
    assert r.jails() == js


def test_destroy_after_a_killed_package(rel, tmp_path):
    """A killed package leaves work clones of the jail's snapshots: destroying the
    jail still works, and takes them along or says what to do."""
    r = rel
    if not fault_injection():
        pytest.skip("binary built without fault injection")
    small_package(r, "kd")
    tf = tmp_path / "trace"
    r.ok("package", "kd", env={"IOC_FAULT_TRACE": str(tf)})
    lines = tf.read_text().splitlines()
    clone2 = [i + 1 for i, l in enumerate(lines) if " clone " in l][1]
    res = r.run("package", "kd", env={"IOC_FAULT_KILL": str(clone2 + 1)})
    assert res.rc in (-9, 137), res
    assert len(work_clones(r)) == 2
    r.ok("destroy", "-f", "kd")
    assert "kd" not in r.jails()
    assert work_clones(r) == []
    assert [d for d in r.zfs_state() if "/jails/" in d] == []


def test_import_killed_at_every_step(rel, tmp_path):
    r = rel
    if not fault_injection():
        pytest.skip("binary built without fault injection")
    path = small_package(r, "ki")
    n, out = steps_of(r, tmp_path, "import", path, "tag=x")
    r.ok("destroy", "-f", "x")
    r.ok("clean")
    before, js = r.zfs_state(), r.jails()
    for step in range(1, n + 1):
        res = r.run("import", path, "tag=x", env={"IOC_FAULT_KILL": str(step)})
        assert res.rc in (-9, 137), (step, res)
        # never a jail that list shows before the package is deployed
        assert r.jails() == js, step
        assert r.fail("get", "tag", "x").startswith("iocage: no jail named 'x'")
        # the next import sweeps the debris and deploys
        r.ok("import", path, "tag=x")
        assert os.path.exists(os.path.join(rootfs(r, r.jails()["x"]), "root/note")), step
        r.ok("destroy", "-f", "x")
        assert r.zfs_state() == before, step


def test_package_replaced_after_verification_is_not_applied(rel, tmp_path):
    """Verify and apply read one open file (issue 10, item 7): a package
    renamed over the verified one in between (IOC_FAULT_SWAP, test builds) is
    not what lands in the jail.  Before, apply opened the path again."""
    r = rel
    good = small_package(r, "g")
    evil = os.path.join(os.path.dirname(good), "evil.iocpkg")  # rename(2): one file system
    build_package(evil, [(reg("root/evil"), b"evil\n")], release="bb")
    before = open(good, "rb").read()
    res = r.run("import", good, "tag=sw", env={"IOC_FAULT_SWAP": evil})
    assert res.rc == 0, res
    assert open(good, "rb").read() != before   # the swap did happen
    got = rootfs(r, r.jails()["sw"])
    assert open(os.path.join(got, "root/note")).read() == "note\n"
    assert not os.path.exists(os.path.join(got, "root/evil"))
