"""fetch: local tarballs, FreeBSD distribution sets over HTTP (127.0.0.1), debootstrap."""
import hashlib
import http.server
import io
import lzma
import os
import shutil
import subprocess
import tarfile
import threading

import pytest

from conftest import PREFIX, sh
from runhelp import open_path, subids  # noqa: F401


def release_state(root, rel):
    st = root.zfs_state()
    return {k: v for k, v in st.items() if k.startswith(root.name + "/releases/" + rel)}


def test_fetch_file_imports_a_release(root, busybox_tarball):
    out = root.ok("fetch", "file=" + busybox_tarball, "release=bb")
    assert "release bb fetched" in out
    assert root.ok("list", "-r").split() == ["RELEASE", "bb"]
    st = root.zfs_state()
    ds = root.name + "/releases/bb"
    assert ds + "/root@ioc-release" in st
    assert st[ds][PREFIX + "release_source"] == ("file", "local")
    mp = st[ds + "/root"]["mountpoint"][0]
    s = os.lstat(os.path.join(mp, "bin", "busybox"))
    # stored shifted for the user namespace (root inside = 100000 outside)
    assert (s.st_uid, s.st_gid) == (100000, 100000)
    assert st[ds][PREFIX + "release_idmap"] == ("100000:65536", "local")
    assert os.readlink(os.path.join(mp, "bin", "sh")) == "/bin/busybox"
    # a file with two names is shifted once
    assert os.lstat(os.path.join(mp, "etc", "hard2")).st_uid == 100000
    # a second fetch of the same release is a no-op
    assert "already fetched" in root.ok("fetch", "file=" + busybox_tarball, "release=bb")
    uuid = root.ok("create", "-c", "release=bb", "tag=t").split()[0]
    assert uuid


def test_fetch_without_userns_keeps_owners(root, busybox_tarball):
    root.ok("set", "userns=off", "default")
    root.ok("fetch", "file=" + busybox_tarball, "release=plain")
    mp = root.zfs_state()[root.name + "/releases/plain/root"]["mountpoint"][0]
    assert os.lstat(os.path.join(mp, "bin", "busybox")).st_uid == 0


BAD_FETCH = [
    (["release=a/b", "file=/etc/hostname"], 1, "invalid release name"),
    (["release=../x", "file=/etc/hostname"], 1, "invalid release name"),
    (["file=/etc/hostname"], 2, "release=NAME is required"),
    (["release=x", "file=/nonexistent"], 1, "is not a readable file"),
    (["release=x", "bogus=1"], 2, "unknown argument 'bogus'"),
    (["release=x", "ftpfiles=../../etc/passwd", "ftphost=http://127.0.0.1:1"], 1, "plain file names"),
    (["release=x", "file=/etc/hostname", "ftphost=h"], 2, "cannot be combined"),
]


@pytest.mark.parametrize("args,rc,msg", BAD_FETCH)
def test_bad_fetch_changes_nothing(root, args, rc, msg):
    before = root.zfs_state()
    r = root.run("fetch", *args)
    assert r.rc == rc and msg in r.err, r
    assert root.zfs_state() == before


def _tar(path, entries, mode="w:gz"):
    """entries: list of (TarInfo kwargs, bytes or None)."""
    with tarfile.open(path, mode) as t:
        for kw, data in entries:
            ti = tarfile.TarInfo(kw.pop("name"))
            for k, v in kw.items():
                setattr(ti, k, v)
            if data is not None:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink_write", "hardlink_out"])
def test_hostile_archive_refused(root, tmp_path, kind):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "f").write_text("original\n")
    ok = [(dict(name="etc", type=tarfile.DIRTYPE, mode=0o755), None),
          (dict(name="etc/passwd", mode=0o644), b"root:x:0:0::/root:/bin/sh\n")]
    evil = {
        "dotdot": [(dict(name="../../../../../.." + str(victim / "f"), mode=0o644), b"pwned\n")],
        "absolute": [(dict(name=str(victim / "f"), mode=0o644), b"pwned\n")],
        "symlink_write": [(dict(name="link", type=tarfile.SYMTYPE, linkname=str(victim)), None),
                          (dict(name="link/f", mode=0o644), b"pwned\n")],
        "hardlink_out": [(dict(name="hl", type=tarfile.LNKTYPE, linkname=str(victim / "f")), None)],
    }[kind]
    tb = str(tmp_path / "evil.tar.gz")
    _tar(tb, ok + evil)
    before = root.zfs_state()
    r = root.run("fetch", "file=" + tb, "release=evil")
    assert r.rc == 1 and "nothing kept" in r.err, r
    assert (victim / "f").read_text() == "original\n"
    assert sorted(os.listdir(victim)) == ["f"]
    assert root.zfs_state() == before
    assert root.ok("list", "-r").split() == ["RELEASE"]


def test_broken_and_empty_archives(root, tmp_path, busybox_tarball):
    data = open(busybox_tarball, "rb").read()
    trunc = tmp_path / "trunc.tar.gz"
    trunc.write_bytes(data[: len(data) // 2])
    before = root.zfs_state()
    r = root.run("fetch", "file=" + str(trunc), "release=t")
    assert r.rc == 1 and "nothing kept" in r.err, r
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not an archive at all\n" * 10)
    r = root.run("fetch", "file=" + str(junk), "release=t")
    assert r.rc == 1, r
    assert root.zfs_state() == before


def test_interrupted_fetch_is_restarted(root, busybox_tarball):
    # a release whose completeness marker is missing, as a fetch killed before
    # its last step leaves it
    root.ok("fetch", "file=" + busybox_tarball, "release=k")
    sh("zfs", "destroy", "-r", root.name + "/releases/k/root@ioc-release")
    assert root.ok("list", "-r").split() == ["RELEASE"]
    err = root.fail("create", "-c", "release=k", "tag=x")
    assert "not fetched" in err
    out = root.ok("fetch", "file=" + busybox_tarball, "release=k")
    assert "removed the incomplete release" in out and "fetched" in out
    root.ok("create", "-c", "release=k", "tag=x")


def test_fetch_killed_at_every_step_leaves_nothing_usable(root, busybox_tarball, tmp_path):
    tf = tmp_path / "trace"
    root.ok("fetch", "file=" + busybox_tarball, "release=probe", env={"IOC_FAULT_TRACE": str(tf)})
    steps = len(tf.read_text().splitlines())
    assert steps >= 4
    for n in range(1, steps + 1):
        r = root.run("fetch", "file=" + busybox_tarball, "release=kk%d" % n,
                     env={"IOC_FAULT_KILL": str(n)})
        assert r.rc == -9 or r.rc == 137 or r.rc < 0, r
        assert "kk%d" % n not in root.ok("list", "-r").split()
        assert "not fetched" in root.fail("create", "-c", "release=kk%d" % n, "tag=z")
    # and the next fetch completes each of them
    root.ok("fetch", "file=" + busybox_tarball, "release=kk1")
    assert "kk1" in root.ok("list", "-r").split()


class _Server:
    def __init__(self, directory):
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=directory, **k)
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.t = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.t.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mirror(tmp_path, busybox_tarball):
    """A FreeBSD-style mirror on 127.0.0.1: DIR/MANIFEST + base.txz (from the busybox tree)."""
    d = tmp_path / "mirror" / "13.2-RELEASE"
    d.mkdir(parents=True)
    with tarfile.open(busybox_tarball) as src, tarfile.open(d / "base.txz", "w:xz") as dst:
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    (d / "lib32.txz").write_bytes(lzma.compress(b""))  # never listed: not fetched by default below

    def manifest(extra=None):
        lines = []
        for n in ("base.txz",):
            h = hashlib.sha256((d / n).read_bytes()).hexdigest()
            lines.append("%s\t%s\t1234\tbase\t\"Base system\"\ton" % (n, extra or h))
        (d / "MANIFEST").write_text("\n".join(lines) + "\n")
    manifest()
    srv = _Server(str(tmp_path / "mirror"))
    srv.dir = d
    srv.manifest = manifest
    srv.url = "http://127.0.0.1:%d" % srv.port
    yield srv
    srv.stop()


def test_fetch_over_http_checks_manifest(root, mirror):
    out = root.ok("fetch", "release=13.2-RELEASE", "ftphost=" + mirror.url,
                  "ftpdir=13.2-RELEASE", "ftpfiles=base.txz")
    assert "fetched (url)" in out
    st = root.zfs_state()
    mp = st[root.name + "/releases/13.2-RELEASE/root"]["mountpoint"][0]
    assert os.path.exists(os.path.join(mp, "bin", "busybox"))
    dl = st[root.name + "/download/13.2-RELEASE"]["mountpoint"][0]
    assert sorted(os.listdir(dl)) == ["MANIFEST", "base.txz"]


def test_fetch_over_http_wrong_checksum_keeps_nothing(root, mirror):
    mirror.manifest(extra="0" * 64)
    before = {k: v for k, v in root.zfs_state().items() if "/releases" in k}
    r = root.run("fetch", "release=13.2-RELEASE", "ftphost=" + mirror.url,
                 "ftpdir=13.2-RELEASE", "ftpfiles=base.txz")
    assert r.rc == 1 and "checksum mismatch for base.txz" in r.err, r
    assert {k: v for k, v in root.zfs_state().items() if "/releases" in k} == before
    assert root.ok("list", "-r").split() == ["RELEASE"]


def test_fetch_over_http_truncated_and_missing(root, mirror):
    data = (mirror.dir / "base.txz").read_bytes()
    h = hashlib.sha256(data[: len(data) // 2]).hexdigest()
    (mirror.dir / "base.txz").write_bytes(data[: len(data) // 2])
    mirror.manifest(extra=h)   # the checksum matches the truncated file: extraction must fail
    r = root.run("fetch", "release=13.2-RELEASE", "ftphost=" + mirror.url,
                 "ftpdir=13.2-RELEASE", "ftpfiles=base.txz")
    assert r.rc == 1 and "nothing kept" in r.err, r
    r = root.run("fetch", "release=13.2-RELEASE", "ftphost=" + mirror.url,
                 "ftpdir=13.2-RELEASE", "ftpfiles=base.txz doc.txz")
    assert r.rc == 1 and "'doc.txz' is not listed" in r.err, r
    r = root.run("fetch", "release=14.0-RELEASE", "ftphost=" + mirror.url,
                 "ftpdir=14.0-RELEASE", "ftpfiles=base.txz")
    assert r.rc == 1 and "HTTP 404" in r.err, r
    assert root.ok("list", "-r").split() == ["RELEASE"]


@pytest.mark.skipif(shutil.which("debootstrap") is None, reason="debootstrap missing")
@pytest.mark.usefixtures("subids")
def test_fetch_debootstrap_bookworm(root, tmp_path):
    """One real minimal Debian, from the host's configured mirror (slow); then
    create pkglist= installs a package with the release's own apt, inside an
    unprivileged jail that shares the host's network stack to reach the mirror."""
    r = root.run("fetch", "release=bookworm")
    if r.rc != 0 and ("Failed getting release file" in r.err or "Couldn't download" in r.err
                      or "Temporary failure" in r.err):
        pytest.skip("the host's Debian mirror is not reachable: %s" % r.err[-200:])
    assert r.rc == 0, r
    st = root.zfs_state()
    ds = root.name + "/releases/bookworm"
    assert st[ds][PREFIX + "release_source"] == ("debootstrap", "local")
    mp = st[ds + "/root"]["mountpoint"][0]
    assert os.stat(os.path.join(mp, "etc", "passwd")).st_uid == 100000
    assert os.path.exists(os.path.join(mp, "usr", "bin", "apt-get"))
    open_path(root.mountpoint)
    pk = tmp_path / "pkgs"
    pk.write_text("# a tiny package\nhello\n")
    root.ok("create", "-c", "release=bookworm", "tag=deb", "vnet=off", "ip4=inherit",
            "interfaces=none", "pkglist=" + str(pk))
    try:
        root.ok("start", "deb")
        assert "Hello, world!" in root.ok("exec", "deb", "/usr/bin/hello")
    finally:
        root.run("stop", "-f", "deb")
