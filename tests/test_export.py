"""export / import: round trips (file, pipe, incremental), hostile and corrupt
images refused with nothing left (import reads an image once: what the
manifest refuses is refused before anything is made, what the streams or
SHA256SUMS refuse takes the quarantine with it), kill -9 during both, and the shell
iocage's UUID_DATE.tar.xz + .sha256 images."""
import hashlib
import io
import os
import shutil
import subprocess
import tarfile

import pytest

from conftest import SPACE_PROPS, destroy_root, iocage_bin, sh, zfs_get_all


def rootfs(r, uuid):
    return sh("zfs", "get", "-H", "-o", "value", "mountpoint",
              "%s/jails/%s/root" % (r.name, uuid)).strip()


def getall(r, name):
    return {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("get", "-H", "all", name).splitlines()}


def state(r):
    """The root's datasets and properties without space figures (a spool file changes those)."""
    return {ds: {k: v for k, v in props.items() if k not in SPACE_PROPS and k != "written"}
            for ds, props in zfs_get_all(r.name).items()}


def images_dir(r):
    return sh("zfs", "get", "-H", "-o", "value", "mountpoint", r.name + "/images").strip()


@pytest.fixture
def web(release):
    r = release
    u = r.ok("create", "release=bb", "tag=web", "notes=hello\tworld", "priority=5").split()[0]
    with open(os.path.join(rootfs(r, u), "etc", "motd"), "w") as f:
        f.write("exported\n")
    # a data dataset (what jail_zfs delegates) travels too
    sh("zfs", "create", "%s/jails/%s/data" % (r.name, u))
    dmp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", "%s/jails/%s/data" % (r.name, u)).strip()
    with open(os.path.join(dmp, "db.txt"), "w") as f:
        f.write("data\n")
    r.wuuid = u
    return r


def export_file(r, name="web", *extra):
    out = r.ok("export", *extra, name)
    path = out.strip().split(" exported to ")[1]
    assert os.path.exists(path)
    return path


def test_export_to_images_and_import(web):
    r, u = web, web.wuuid
    res = r.run("export", "web")
    assert res.rc == 0 and res.err == "", res  # no progress when stderr is not a terminal
    path = res.out.strip().split(" exported to ")[1]
    assert os.path.dirname(path) == images_dir(r) and os.path.basename(path).startswith("web-")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(path + ".sha256") as f:
        assert f.read().strip() == digest
    # a tar anyone can inspect: MANIFEST first, chunks, SHA256SUMS last
    with tarfile.open(path) as t:
        names = t.getnames()
        man = t.extractfile("MANIFEST").read().decode()
    assert names[0] == "MANIFEST" and names[-1] == "SHA256SUMS"
    assert "streams/root.zfs.000000" in names and "streams/data.zfs.000000" in names
    assert man.startswith("iocage-image 1\nuuid %s\ntag web\nrelease bb\n" % u)
    assert "prop notes hello\\tworld\n" in man and "prop priority 5\n" in man
    # the source keeps no export snapshot
    assert not [d for d in r.zfs_state() if "@ioc-export" in d]
    # same root: the UUID exists, so the copy gets a new one; the tag must be new
    before = state(r)
    assert "tag 'web' is already used" in r.fail("import", path)
    assert state(r) == before
    nu, tag = r.ok("import", path, "tag=web2", "boot=on").split()
    assert tag == "web2" and nu != u
    a = getall(r, "web2")
    assert r.ok("get", "notes", "web2") == "hello\tworld\n" and a["notes"][1] == "local"
    assert a["priority"] == ["5", "local"]
    assert a["boot"] == ["on", "local"] and a["type"][0] == "jail" and a["release"][0] == "bb"
    with open(os.path.join(rootfs(r, nu), "etc", "motd")) as f:
        assert f.read() == "exported\n"
    dmp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", "%s/jails/%s/data" % (r.name, nu)).strip()
    with open(os.path.join(dmp, "db.txt")) as f:
        assert f.read() == "data\n"
    st = r.zfs_state()
    assert not [d for d in st if d.startswith("%s/jails/%s" % (r.name, nu)) and "@" in d]
    assert st["%s/jails/%s/root" % (r.name, nu)].get("origin", ("-",))[0] == "-"
    # no device is ever a device in an imported jail's files (issue 10, item 1)
    assert sh("zfs", "get", "-H", "-o", "value", "devices",
              "%s/jails/%s/root" % (r.name, nu)).strip() == "off"
    # nothing native came along: only what the root passes down
    for ds in ("%s/jails/%s/root" % (r.name, nu), "%s/jails/%s/data" % (r.name, nu)):
        assert not [k for k, v in st[ds].items() if v[1] in ("local", "received")], st[ds]
    # after the original is gone, its UUID is free again and is kept
    r.ok("destroy", "-f", "web")
    assert r.ok("import", path).split() == [u, "web"]


def test_export_makes_the_images_dataset_when_it_is_gone(web):
    """R/images taken away (an older root, a hand-made one): export makes it
    again and writes the image there."""
    r = web
    destroy_root(r.name + "/images")  # unmounted first, retried while zfs-fuse says busy
    assert subprocess.run(["zfs", "list", r.name + "/images"], capture_output=True).returncode
    res = r.run("export", "web")
    assert res.rc == 0, res
    path = res.out.strip().split(" exported to ")[1]
    assert os.path.dirname(path) == images_dir(r) and os.path.exists(path)


def test_pipe_export_import(web):
    r = web
    env = dict(os.environ)
    p1 = subprocess.Popen([iocage_bin(), "-r", r.name, "export", "web", "-"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env)
    p2 = subprocess.run([iocage_bin(), "-r", r.name, "import", "-", "tag=moved"], stdin=p1.stdout,
                        capture_output=True, text=True, env=env)
    p1.stdout.close()
    assert p1.wait() == 0, p1.stderr.read()
    assert p2.returncode == 0, p2.stderr
    nu = p2.stdout.split()[0]
    with open(os.path.join(rootfs(r, nu), "etc", "motd")) as f:
        assert f.read() == "exported\n"
    # the spool file is gone
    assert not [n for n in os.listdir(images_dir(r)) if n.startswith(".ioc")]
    # stdout as a terminal is refused; stdin as a terminal too (not testable without a tty here)
    assert "usage" in r.fail("export", rc=2)


def sends_of(r):
    """The `zfs send` processes now running on r's datasets."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
        except OSError:
            continue
        if argv[:2] == [b"zfs", b"send"] and any(r.name.encode() in a for a in argv):
            found.append(pid)
    return found


def test_export_that_cannot_write_stops_its_send(web):
    """The stream is read by a thread while the caller hashes and writes:
    an output that fails (/dev/full: no space at the first write; a reader
    that goes away) ends the export with the error, and leaves no `zfs send`
    running, no export snapshot, the root as it was."""
    r = web
    before = state(r)
    with open("/dev/full", "wb") as out:
        p = subprocess.run([iocage_bin(), "-r", r.name, "export", "web", "-"], stdout=out,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode != 0 and "No space left on device" in p.stderr, p.stderr
    assert sends_of(r) == [] and state(r) == before
    p = subprocess.Popen([iocage_bin(), "-r", r.name, "export", "web", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read(100000)
    p.stdout.close()
    assert p.wait(timeout=300) != 0
    assert sends_of(r) == [] and state(r) == before


def test_incremental_thin_export(release):
    r = release
    u = r.ok("create", "-c", "release=bb", "tag=thin").split()[0]
    with open(os.path.join(rootfs(r, u), "etc", "motd"), "w") as f:
        f.write("thin\n")
    full = export_file(r, "thin")
    inc = export_file(r, "thin", "-i")
    assert os.path.getsize(inc) * 3 < os.path.getsize(full), (os.path.getsize(inc), os.path.getsize(full))
    with tarfile.open(inc) as t:
        man = t.extractfile("MANIFEST").read().decode()
    guid = sh("zfs", "get", "-H", "-p", "-o", "value", "guid", r.name + "/releases/bb/root@ioc-release").strip()
    assert "dataset root incremental %s\n" % guid in man
    nu = r.ok("import", inc, "tag=thin2").split()[0]
    st = r.zfs_state()
    assert st["%s/jails/%s/root" % (r.name, nu)]["origin"][0] == r.name + "/releases/bb/root@ioc-release"
    assert getall(r, "thin2")["type"][0] == "clonejail"
    with open(os.path.join(rootfs(r, nu), "etc", "motd")) as f:
        assert f.read() == "thin\n"
    # -i on a jail that is not a release clone is refused
    r.ok("create", "-e", "tag=empty")
    assert "not a thin clone" in r.fail("export", "-i", "empty")


def test_incremental_needs_the_same_release(pool, release, busybox_tarball):
    from conftest import Root, destroy_root, install_release, run_iocage
    r = release
    u = r.ok("create", "-c", "release=bb", "tag=thin").split()[0]
    inc = export_file(r, "thin", "-i")
    other = "%s/virt/ioc%d" % (pool.name, next(pool.counter))
    try:
        assert run_iocage(["activate", other]).rc == 0
        o = Root(pool, other)
        install_release(o, busybox_tarball)    # fetched separately: another snapshot
        before = state(o)
        err = o.fail("import", inc)
        assert "incremental from release 'bb'" in err and "without -i" in err
        assert state(o) == before
        full = export_file(r, "thin")
        assert o.ok("import", full).split() == [u, "thin"]
    finally:
        destroy_root(other)


def rewrite(src, dst, change):
    """Copies an image member by member; change(name, data) -> data, or None to drop."""
    members = []
    with tarfile.open(src) as t:
        for m in t.getmembers():
            members.append((m.name, t.extractfile(m).read()))
    with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            new = change(name, data)
            if new is None:
                continue
            if isinstance(new, list):
                items = new
            else:
                items = [(name, new)]
            for n, d in items:
                ti = tarfile.TarInfo(n)
                ti.size = len(d)
                t.addfile(ti, io.BytesIO(d))


def resum(image_members):
    """SHA256SUMS text for a dict of member name -> data (streams concatenated)."""
    streams = {}
    for n, d in image_members:
        if n.startswith("streams/"):
            key = n.rsplit(".", 1)[0]
            streams.setdefault(key, b"")
            streams[key] += d
    lines = []
    for n, d in image_members:
        if n == "MANIFEST":
            lines.append("%s  MANIFEST\n" % hashlib.sha256(d).hexdigest())
    for k, d in streams.items():
        lines.append("%s  %s\n" % (hashlib.sha256(d).hexdigest(), k))
    return "".join(lines).encode()


def forge(src, dst, manifest_edit=None, extra=None):
    """A consistent image (fresh checksums) with an edited manifest or extra members."""
    with tarfile.open(src) as t:
        members = [(m.name, t.extractfile(m).read()) for m in t.getmembers()]
    out = []
    for n, d in members:
        if n == "SHA256SUMS":
            continue
        if n == "MANIFEST" and manifest_edit:
            d = manifest_edit(d.decode()).encode()
        out.append((n, d))
    if extra:
        out.extend(extra)
    out.append(("SHA256SUMS", resum(out)))
    with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as t:
        for n, d in out:
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            t.addfile(ti, io.BytesIO(d))


def test_corrupt_and_hostile_images_change_nothing(web, tmp_path):
    r = web
    good = export_file(r, "web")
    r.ok("destroy", "-f", "web")
    size = os.path.getsize(good)
    cases = []
    # truncated
    p = str(tmp_path / "trunc.ioc")
    with open(good, "rb") as f, open(p, "wb") as g:
        g.write(f.read()[: size // 2])
    cases.append((p, "truncated"))
    # a flipped bit in a stream chunk
    p = str(tmp_path / "flip.ioc")
    rewrite(good, p, lambda n, d: (d[:500] + bytes([d[500] ^ 1]) + d[501:]) if n == "streams/root.zfs.000000" else d)
    # (one pass: zfs receive's own stream checksum may notice it first, or
    # SHA256SUMS at the end; either way the quarantine goes)
    cases.append((p, "checksum mismatch"))
    # a flipped bit in the manifest (still parses)
    p = str(tmp_path / "mflip.ioc")
    rewrite(good, p, lambda n, d: d.replace(b"prop priority 5", b"prop priority 6") if n == "MANIFEST" else d)
    cases.append((p, "checksum mismatch for MANIFEST"))
    # not an image at all
    p = str(tmp_path / "junk.ioc")
    with open(p, "wb") as f:
        f.write(os.urandom(5000))
    cases.append((p, "corrupt"))
    # hostile manifests with consistent checksums
    hostile = [
        (lambda m: m + "prop fstab /etc /mnt/etc ro\n", "fstab"),
        (lambda m: m + "prop exec_prestart /bin/rm -rf /\n", "exec_prestart"),
        (lambda m: m + "prop userns off\n", "userns"),
        (lambda m: m + "prop mountpoint /etc\n", "property 'mountpoint' cannot be carried"),
        (lambda m: m + "prop jail_zfs_dataset %s/vbox\n" % r.pool.name, "jail_zfs_dataset"),
        (lambda m: m.replace("dataset data full", "dataset ../../vbox full"), "line"),
        (lambda m: m.replace("dataset data full", "dataset data/../../x full"), "line"),
        (lambda m: m.replace("dataset data full", "dataset root/evil full"), "line"),
        (lambda m: m.replace("tag web", "tag ../x"), "tag"),
    ]
    for i, (edit, msg) in enumerate(hostile):
        p = str(tmp_path / ("hostile%d.ioc" % i))
        forge(good, p, manifest_edit=edit)
        cases.append((p, msg))
    # a member outside the manifest's datasets
    with tarfile.open(good) as t:
        root0 = t.extractfile("streams/root.zfs.000000").read()
    p = str(tmp_path / "extra.ioc")
    forge(good, p, extra=[("streams/evil.zfs.000000", root0)])
    cases.append((p, "unexpected member"))
    # a compound stream (zfs send -R carries properties and any datasets)
    src = "%s/jails/%s/root" % (r.name, r.ok("create", "-e", "tag=src").split()[0])
    sh("zfs", "set", "atime=off", src)  # a native property the stream would carry
    sh("zfs", "snapshot", src + "@x")
    comp = subprocess.run(["zfs", "send", "-R", src + "@x"], capture_output=True).stdout
    r.ok("destroy", "-f", "src")
    p = str(tmp_path / "compound.ioc")
    forge(good, p, manifest_edit=lambda m: m.replace("dataset data full\n", ""),
          extra=None)
    with tarfile.open(p) as t:
        ms = [(m.name, t.extractfile(m).read()) for m in t.getmembers()]
    ms = [(n, d) for n, d in ms if not n.startswith("streams/") and n != "SHA256SUMS"]
    ms.append(("streams/root.zfs.000000", comp))
    ms.append(("SHA256SUMS", resum(ms)))
    with tarfile.open(p, "w", format=tarfile.PAX_FORMAT) as t:
        for n, d in ms:
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            t.addfile(ti, io.BytesIO(d))
    cases.append((p, "compound stream"))
    before = state(r)
    jails = r.jails()
    for path, msg in cases:
        err = r.fail("import", path, "tag=imp")
        assert msg in err, (path, err)
        assert state(r) == before, path
        assert r.jails() == jails
        # the same through standard input
        with open(path, "rb") as f:
            res = subprocess.run([iocage_bin(), "-r", r.name, "import", "-", "tag=imp"], stdin=f,
                                 capture_output=True, text=True)
        assert res.returncode == 1 and msg in res.stderr, (path, res.stderr)
        assert state(r) == before, path
    # an override decides a host-reaching value: then it imports
    p = str(tmp_path / "hostile0.ioc")
    r.ok("import", p, "tag=imp", "fstab=none")
    assert r.ok("get", "fstab", "imp") == "none\n"


def test_kill9_during_export_and_import(web):
    r, u = web, web.wuuid
    src_before = {k: v for k, v in state(r).items() if k.startswith("%s/jails/%s" % (r.name, u))}
    n = 1
    path = None
    while True:
        res = r.run("export", "web", env={"IOC_FAULT_KILL": str(n)})
        if res.rc == 0:
            path = res.out.strip().split(" exported to ")[1]
            break
        assert res.rc in (-9, 137), res
        n += 1
    assert n > 3
    # the last export cleaned what the killed ones left: no partial files, no snapshots
    assert not [x for x in os.listdir(images_dir(r)) if x.startswith(".ioc")]
    now = {k: v for k, v in state(r).items() if k.startswith("%s/jails/%s" % (r.name, u))}
    assert now == src_before
    jails = r.jails()
    n = 1
    while True:
        res = r.run("import", path, "tag=copy", env={"IOC_FAULT_KILL": str(n)})
        if res.rc == 0:
            break
        assert res.rc in (-9, 137), res
        # whatever was left is not a jail
        assert r.jails() == jails
        n += 1
    assert n > 3
    assert set(r.jails()) == set(jails) | {"copy"}
    r.ok("clean")
    # no debris of the killed imports is left
    st = r.zfs_state()
    uuids = {d.split("/jails/")[1].split("/")[0].split("@")[0] for d in st if "/jails/" in d}
    assert uuids == set(r.jails().values())


def make_legacy_image(tmp_path, uuid, files, checksum=True, jaildir=True):
    """UUID_DATE.tar.xz of a jail directory (root/ and fstab) plus UUID_DATE.sha256."""
    base = str(tmp_path / ("%s_2016-03-01" % uuid))
    with tarfile.open(base + ".tar.xz", "w:xz") as t:
        def add(name, data, mode=0o644):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = mode
            t.addfile(ti, io.BytesIO(data))
        pre = "./root/" if jaildir else "./"
        for d in ("", "etc", "bin"):
            ti = tarfile.TarInfo((pre + d).rstrip("/") or ".")
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
            t.addfile(ti)
        for n, data in files.items():
            add(pre + n, data)
        if jaildir:
            add("./fstab", b"/data /mnt nullfs ro 0 0\n")
    with open(base + ".tar.xz", "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if checksum:
        with open(base + ".sha256", "w") as f:
            f.write((digest if checksum is True else checksum) + "\n")
    return base + ".tar.xz"


def test_legacy_tarball_import(root, tmp_path):
    r = root
    u = "0b6c2f1e-1111-4222-8333-444455556666"
    img = make_legacy_image(tmp_path, u, {"etc/rc.conf": b"sshd_enable=YES\n", "bin/sh": b"#!x\n"})
    before = state(r)
    # a bad checksum, a missing checksum: refused, nothing made
    bad = make_legacy_image(tmp_path / "..", "0b6c2f1e-1111-4222-8333-444455550000",
                            {"etc/x": b"1"}, checksum="0" * 64)
    assert "checksum mismatch" in r.fail("import", bad)
    os.unlink(img[:-7] + ".sha256")
    assert "missing checksum" in r.fail("import", img)
    assert state(r) == before
    img = make_legacy_image(tmp_path, u, {"etc/rc.conf": b"sshd_enable=YES\n", "bin/sh": b"#!x\n"})
    out = r.ok("import", img, "release=10.3-RELEASE")
    assert out.split() == [u, u[:8]]
    mp = rootfs(r, u)
    with open(os.path.join(mp, "etc", "rc.conf")) as f:
        assert f.read() == "sshd_enable=YES\n"
    assert sorted(os.listdir(mp)) == ["bin", "etc"]   # root/'s content, no staging left
    assert sh("zfs", "get", "-H", "-o", "value", "devices",
              "%s/jails/%s/root" % (r.name, u)).strip() == "off"
    a = getall(r, u[:8])
    assert a["release"][0] == "10.3-RELEASE" and a["type"][0] == "jail"
    assert a["fstab"][0] == "none"                     # the old fstab names host paths: not taken
    # a tarball of the root's content (older exports) works too
    u2 = "0b6c2f1e-1111-4222-8333-777788889999"
    img2 = make_legacy_image(tmp_path, u2, {"etc/hosts": b"127.0.0.1 localhost\n"}, jaildir=False)
    r.ok("import", img2, "tag=older")
    with open(os.path.join(rootfs(r, u2), "etc", "hosts")) as f:
        assert f.read() == "127.0.0.1 localhost\n"


def test_legacy_tarball_replaced_after_verification_is_not_applied(root, tmp_path):
    """The shell iocage's image is hashed, listed and extracted from one open
    file (issue 10, item 7): another tarball renamed over it after the checksum
    matched (IOC_FAULT_SWAP, test builds) is not what lands.  Before, the path
    was opened three times."""
    r = root
    u = "0b6c2f1e-1111-4222-8333-aaaabbbbcccc"
    img = make_legacy_image(tmp_path, u, {"etc/good": b"good\n"})
    evil = make_legacy_image(tmp_path / "..", "0b6c2f1e-1111-4222-8333-ddddeeeeffff",
                             {"etc/evil": b"evil\n"}, checksum=False)
    before = open(img, "rb").read()
    out = r.ok("import", img, "tag=swapped", env={"IOC_FAULT_SWAP": evil})
    assert out.split() == [u, "swapped"]
    assert open(img, "rb").read() != before   # the swap did happen
    mp = rootfs(r, u)
    assert sorted(os.listdir(os.path.join(mp, "etc"))) == ["good"]
    r.ok("destroy", "-f", "swapped")


def test_import_by_name_finds_the_image_in_the_root(web, tmp_path):
    """`import UUID|PREFIX|TAG` as the shell iocage's (1.7.6 lib/ioc-image
    __import: find $iocroot/images/ and $iocroot/packages/ -name NAME*.tar.xz;
    several matches or none are refused): the one file of R/images or
    R/packages whose name starts with it, the shell iocage's UUID_DATE.tar.xz
    as this project's TAG-DATE.ioc."""
    r = web
    path = r.ok("export", "web").strip().split(" exported to ")[1]
    idir = images_dir(r)
    assert os.path.dirname(path) == idir
    before = state(r)
    err = r.fail("import", "nosuch")
    assert "no file, image or package named 'nosuch' (looked for nosuch* in %s and " % idir in err
    nu, tag = r.ok("import", "web-", "tag=byname").split()
    assert tag == "byname" and r.jails()["byname"] == nu
    r.ok("destroy", "-f", "byname")
    # a legacy image by its UUID prefix, next to ours
    u = "0b6c2f1e-1111-4222-8333-121212121212"
    img = make_legacy_image(tmp_path, u, {"etc/hosts": b"127.0.0.1 localhost\n"})
    for f in (img, img[:-7] + ".sha256"):
        shutil.move(f, os.path.join(idir, os.path.basename(f)))
    assert r.ok("import", u[:13], "tag=oldie").split() == [u, "oldie"]
    with open(os.path.join(rootfs(r, u), "etc", "hosts")) as f:
        assert f.read() == "127.0.0.1 localhost\n"
    r.ok("destroy", "-f", "oldie")
    # two matches: refused, both named, nothing made
    second = path[:-4] + "-2.ioc"
    os.link(path, second)
    mid = state(r)
    err = r.fail("import", "web-")
    assert "'web-' matches several images (" in err and path in err and second in err, err
    assert state(r) == mid
    # a file of that name in the working directory is the file
    os.unlink(second)
    with open(tmp_path / "web-", "w") as f:
        f.write("not an image")
    res = subprocess.run([os.path.abspath(iocage_bin()), "-r", r.name, "import", "web-"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 1 and "not an iocage image" in res.stderr, res
    assert set(r.jails()) == {"web"} and state(r).keys() == before.keys()


def test_progress_only_on_a_terminal(web):
    import pty
    r = web
    master, slave = pty.openpty()
    try:
        p = subprocess.run([iocage_bin(), "-r", r.name, "export", "web"], stdout=subprocess.PIPE,
                           stderr=slave, timeout=600)
        os.close(slave)
        slave = -1
        data = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0
    text = data.decode(errors="replace")
    assert "export:" in text and "MiB" in text and "MiB/s" in text, text


def test_legacy_package_tarball_deploys_onto_a_thin_jail(release, tmp_path):
    """A package of the shell iocage (1.7.6 lib/ioc-image __package: `tar -cJf
    $iocroot/packages/UUID.tar.xz -C $mountpoint/recorded .` and UUID.sha256)
    found in R/packages is deployed as 1.7.6 __import did: onto a new thin jail
    of the release (here release= names it: the tarball does not), its files
    over the release's, in the jail's id range; a package that would replace a
    directory of the release, or one without release=, changes nothing."""
    r = release
    pdir = sh("zfs", "get", "-H", "-o", "value", "mountpoint", r.name + "/packages").strip()
    if not os.path.isdir(pdir):
        pytest.skip("no R/packages here")
    u = "0b6c2f1e-1111-4222-8333-343434343434"

    def package(name, members):
        path = os.path.join(pdir, name + ".tar.xz")
        with tarfile.open(path, "w:xz") as t:
            for n, data, mode in members:
                ti = tarfile.TarInfo(n)
                if data is None:
                    ti.type, ti.mode = tarfile.DIRTYPE, mode
                else:
                    ti.size, ti.mode = len(data), mode
                t.addfile(ti, io.BytesIO(data) if data is not None else None)
        with open(path, "rb") as f, open(os.path.join(pdir, name + ".sha256"), "w") as g:
            g.write(hashlib.sha256(f.read()).hexdigest() + "\n")
        return path

    made = [package(u, [("./etc", None, 0o755), ("./etc/motd", b"from the package\n", 0o644),
                        ("./opt", None, 0o755), ("./opt/app", None, 0o750),
                        ("./opt/app/run", b"#!/bin/sh\n", 0o755)])]
    try:
        before = state(r)
        err = r.fail("import", u[:13])
        assert "package of the shell iocage" in err and "release=" in err, err
        assert state(r) == before
        nu, tag = r.ok("import", u[:13], "release=bb", "tag=pk").split()
        assert tag == "pk" and nu != u
        st = r.zfs_state()
        assert st["%s/jails/%s/root" % (r.name, nu)]["origin"][0] == \
            r.name + "/releases/bb/root@ioc-release"
        mp = rootfs(r, nu)
        with open(os.path.join(mp, "etc", "motd")) as f:
            assert f.read() == "from the package\n"
        assert os.path.exists(os.path.join(mp, "bin", "busybox"))  # the release is still there
        run = os.stat(os.path.join(mp, "opt", "app", "run"))
        assert run.st_uid == 100000 and run.st_mode & 0o777 == 0o755, run
        assert not os.path.exists(os.path.join(mp, ".ioc-legacy-package"))
        r.ok("destroy", "-f", "pk")
        # a file where the release has a directory: refused, the new jail removed again
        v = "0b6c2f1e-1111-4222-8333-565656565656"
        made.append(package(v, [("./bin", b"x\n", 0o644)]))
        mid = state(r)
        err = r.fail("import", v[:25], "release=bb", "tag=pk2")
        assert "would replace a directory" in err, err
        assert state(r) == mid and "pk2" not in r.jails()
    finally:
        for p in made:
            for f in (p, p[:-7] + ".sha256"):
                if os.path.exists(f):
                    os.unlink(f)
