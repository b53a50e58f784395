"""A newcomer's first start (issue 13): unprivileged jails need a subordinate
id range for root in /etc/subuid and /etc/subgid wherever shadow's newuidmap is
installed.  `activate` adds the root's range when no line covers it, says so
and records it on the root; `deactivate` removes exactly that line again (or,
while another active root remains, leaves it and hands the record over), and
unmarks the root, keeping every dataset.  The files are put back whatever
happens; another test session on the host (which needs the range) skips this.
"""
import os
import re
import shutil

import pytest

import inventory
from conftest import PREFIX, run_iocage, sh
from runhelp import jail, rel, state  # noqa: F401

# the host as nobody else uses it (conftest "serial": after the parallel pass)
pytestmark = pytest.mark.serial

FILES = ("/etc/subuid", "/etc/subgid")
LINE = "root:100000:65536"


def _read(p):
    try:
        with open(p) as f:
            return f.read()
    except FileNotFoundError:
        return None


def _uncovered(text):
    """text without the root lines that cover 100000:65536."""
    keep = []
    for line in (text or "").splitlines(True):
        f = line.strip().split(":")
        if len(f) == 3 and f[0] in ("root", "0") and f[1].isdigit() and f[2].isdigit() and \
                int(f[1]) <= 100000 and int(f[1]) + int(f[2]) >= 165536:
            continue
        keep.append(line)
    return "".join(keep)


@pytest.fixture
def bare_host(rel):
    """The host as a newcomer's: no subordinate id range for root."""
    if inventory.other_test_pools(rel.pool.name):
        pytest.skip("another test session shares the host and needs the subordinate ids")
    if not os.access("/usr/bin/newuidmap", os.X_OK):
        pytest.skip("no newuidmap: liblxc writes the id maps itself, nothing to grant")
    saved = {p: _read(p) for p in FILES}
    stat = {p: os.stat(p) for p in FILES if saved[p] is not None}
    try:
        for p in FILES:
            with open(p, "w") as f:
                f.write(_uncovered(saved[p]))
        yield rel, {p: _uncovered(saved[p]) for p in FILES}
    finally:
        for p in FILES:
            if saved[p] is None:
                if os.path.exists(p):
                    os.unlink(p)
                continue
            with open(p, "w") as f:
                f.write(saved[p])
            os.chmod(p, stat[p].st_mode & 0o7777)


def _prop(name, ds):
    return sh("zfs", "get", "-H", "-o", "value,source", PREFIX + name, ds).strip()


def test_first_start_works_after_activate_and_deactivate_undoes_it(bare_host):
    r, bare = bare_host
    u = jail(r, "first")
    # before: the error a host without the range gets, naming the line and activate
    err = r.fail("start", "first")
    assert "add the line '%s' to /etc/subuid ('iocage activate' adds" % LINE in err, err
    out = r.ok("activate", r.name)
    assert "added '%s' to /etc/subuid,/etc/subgid (the id range of unprivileged jails; " \
        "'iocage deactivate' removes it)" % LINE in out, out
    for p in FILES:
        assert _read(p) == bare[p] + LINE + "\n"
        assert os.stat(p).st_mode & 0o777 == 0o644
    assert _prop("subid_added", r.name) == "%s /etc/subuid,/etc/subgid\tlocal" % LINE
    # a second activate adds nothing
    assert "added" not in r.ok("activate", r.name)
    # the first start works
    r.ok("start", "first")
    assert r.ok("exec", "first", "id", "-u") == "0\n"
    # deactivate refuses while a jail runs, changing nothing
    before = r.zfs_state()
    err = r.fail("deactivate")
    assert "jail 'first' of %s is running: stop it first ('iocage stop ALL')" % r.name in err
    assert r.zfs_state() == before and _read(FILES[0]) == bare[FILES[0]] + LINE + "\n"
    r.ok("stop", "first")
    before = r.zfs_state()
    out = r.ok("deactivate")
    assert "removed '%s' from /etc/subuid,/etc/subgid (activate had added it)" % LINE in out
    assert "iocage root deactivated on %s (every dataset is kept" % r.name in out
    for p in FILES:
        assert _read(p) == bare[p]
    after = r.zfs_state()
    # only the mark and the record went; every dataset and its other properties stay
    for ds in before:
        b = {k: v for k, v in before[ds].items()
             if k not in (PREFIX + "active", PREFIX + "subid_added")}
        a = {k: v for k, v in after[ds].items()
             if k not in (PREFIX + "active", PREFIX + "subid_added")}
        assert a == b, ds
    assert PREFIX + "active" not in [k for k, v in after[r.name].items() if v[1] == "local"]
    err = r.fail("list")
    assert "not an active iocage root" in err or "no active" in err, err
    assert u in sh("zfs", "get", "-H", "-r", "-o", "name", "type", r.name)
    # activate again (the fixture's teardown lists the root): the range comes back
    r.ok("activate", r.name)
    r.ok("deactivate")
    for p in FILES:
        assert _read(p) == bare[p]
    r.ok("activate", r.name)


def test_deactivate_keeps_the_range_another_root_uses(bare_host, pool):
    r, bare = bare_host
    other = "%s/virt/iocfr%d" % (pool.name, os.getpid())
    assert "added '%s'" % LINE in r.ok("activate", r.name)
    try:
        out = run_iocage(["activate", other]).out
        assert "added" not in out, out
        out = r.ok("deactivate")
        assert "kept '%s' in /etc/subuid,/etc/subgid: the active root %s uses it too" % (
            LINE, other) in out, out
        for p in FILES:
            assert _read(p) == bare[p] + LINE + "\n"
        assert _prop("subid_added", other) == "%s /etc/subuid,/etc/subgid\tlocal" % LINE
        res = run_iocage(["-r", other, "deactivate"])
        assert res.rc == 0 and "removed '%s'" % LINE in res.out, res
        for p in FILES:
            assert _read(p) == bare[p]
    finally:
        from conftest import destroy_root
        destroy_root(other)
        r.ok("activate", r.name)


def test_activate_never_grants_a_range_a_user_holds(bare_host):
    """Debian's adduser gives the first user 100000:65536: root's line there
    would make that user's rootless containers share our jails' root.  activate
    says so and adds nothing."""
    r, bare = bare_host
    for p in FILES:
        with open(p, "a") as f:
            f.write("alice:100000:65536\n")
    try:
        out = r.ok("activate", r.name)
        assert "not adding '%s' to /etc/subuid and /etc/subgid: it overlaps " \
            "'alice:100000:65536' in /etc/subuid; give the root a free range first" % LINE in out
        for p in FILES:
            assert _read(p) == bare[p] + "alice:100000:65536\n"
        assert _prop("subid_added", r.name).split("\t")[0] in ("-", "")
    finally:
        for p in FILES:
            with open(p, "w") as f:
                f.write(bare[p])


def test_activate_file_makes_a_pool_and_its_boot_unit_and_deactivate_undoes_them(pool, tmp_path):
    """A host without a pool (issue 13, "First run without a pool"): `activate --file PATH
    SIZE POOL/DATASET` makes a pool on a new sparse file and the systemd unit that imports it
    at boot (enabled by its multi-user.target.wants link, as systemctl enable makes it), then
    activates the root; `deactivate` removes the unit and exports the pool (iocage's root is
    all it holds), keeping the file.  Bad input changes nothing."""
    name = "iocfp%d" % os.getpid()
    root = name + "/iocage"
    img = tmp_path / "pool.img"
    units = tmp_path / "units"
    units.mkdir()
    env = {"IOCAGE_SYSTEMD_DIR": str(units)}
    pools = sh("zpool", "list", "-H", "-o", "name")
    bad = [
        (["relative/pool.img", "128M", root], "invalid file 'relative/pool.img'"),
        ([str(tmp_path) + "/a b.img", "128M", root], "invalid file"),
        ([str(img), "1M", root], "the size must be at least 64M"),
        ([str(img), "12Q", root], "invalid size '12Q'"),
        ([str(img), "128M", name], "invalid root '%s'" % name),
        ([str(img), "128M", name + "/a/b"], "invalid root"),
        ([str(img), "128M", "1pool/x"], "invalid root"),
        ([str(tmp_path / "no" / "x.img"), "128M", root], "is not a directory"),
        ([str(img), "128M", pool.name + "/other"], "a pool named '%s' exists already" % pool.name),
    ]
    for args, msg in bad:
        r = run_iocage(["activate", "--file"] + args, env=env)
        assert r.rc != 0 and msg in r.err, (args, r)
    assert not img.exists() and os.listdir(str(units)) == []
    assert sh("zpool", "list", "-H", "-o", "name") == pools
    try:
        r = run_iocage(["activate", "--file", str(img), "128M", root], env=env)
        assert r.rc == 0, r
        unit = units / ("iocage-pool-%s.service" % name)
        assert r.out.startswith("made pool %s on %s (134217728 bytes, sparse); %s imports it at "
                                "boot\n" % (name, img, unit)), r.out
        assert "iocage root activated on %s\n" % root in r.out, r.out
        st = os.stat(str(img))
        assert st.st_size == 128 << 20 and st.st_mode & 0o777 == 0o600
        assert st.st_blocks * 512 < st.st_size  # sparse
        text = unit.read_text()
        m = re.search(r"\nExecStart=-(/\S+/zpool) import -d (\S+) (\S+)\n", text)
        assert m and m.group(2, 3) == (str(tmp_path), name), text
        assert os.path.realpath(m.group(1)) == os.path.realpath(shutil.which("zpool"))
        assert "\nWantedBy=multi-user.target\n" in text
        assert os.readlink(str(units / "multi-user.target.wants" / unit.name)) == str(unit)
        assert sh("zfs", "get", "-H", "-o", "value", PREFIX + "activate_file", root).strip() == \
            str(img)
        # the root works as any other
        r = run_iocage(["-r", root, "create", "-e", "tag=first"])
        assert r.rc == 0 and r.out.split()[1] == "first", r
        r = run_iocage(["deactivate", root], env=env)
        assert r.rc == 0, r
        assert "removed the boot unit %s\n" % unit in r.out, r.out
        assert "exported pool %s; its file %s is kept" % (name, img) in r.out, r.out
        assert not unit.exists() and os.listdir(str(units / "multi-user.target.wants")) == []
        assert name not in sh("zpool", "list", "-H", "-o", "name").split()
        assert img.exists()
        # a host without systemd's unit directory (FreeBSD, OpenRC): the pool and the root,
        # no unit, and it says so
        img2 = tmp_path / "pool2.img"
        nodir = {"IOCAGE_SYSTEMD_DIR": str(tmp_path / "no-systemd")}
        r = run_iocage(["activate", "--file", str(img2), "64M", root], env=nodir)
        assert r.rc == 0, r
        assert r.out.startswith("made pool %s on %s (67108864 bytes, sparse); no systemd unit "
                                "directory (%s): nothing imports it at boot\n"
                                % (name, img2, nodir["IOCAGE_SYSTEMD_DIR"])), r.out
        assert not os.path.exists(nodir["IOCAGE_SYSTEMD_DIR"])
        r = run_iocage(["deactivate", root], env=nodir)
        assert r.rc == 0 and "boot unit" not in r.out, r
        assert "exported pool %s" % name in r.out, r.out
    finally:
        if name in sh("zpool", "list", "-H", "-o", "name").split():
            sh("zpool", "destroy", "-f", name, check=False)
        if os.path.isdir("/" + name) and not os.path.ismount("/" + name):
            for d, _, _ in sorted(os.walk("/" + name), reverse=True):
                os.rmdir(d)  # the mountpoints zfs left (empty once exported)


def test_make_install_grants_the_range_and_uninstall_takes_only_that_back(bare_host, tmp_path):
    """As Incus and LXD packages do: a host install (no DESTDIR) adds
    root's range where no line covers it, says so in one line and records it
    beside the man page; uninstall removes exactly that line and the record.
    A range that was there before install is never removed."""
    import subprocess
    _, bare = bare_host
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    prefix = str(tmp_path / "prefix")
    record = os.path.join(prefix, "share", "iocage", "subids-added")

    def make(target):
        r = subprocess.run(["make", "-s", "-f", "build.mk", target, "PREFIX=" + prefix],
                           cwd=repo, capture_output=True, text=True)
        assert r.returncode == 0, r
        return r.stdout

    out = make("install")
    assert "added '%s' to /etc/subuid,/etc/subgid" % LINE in out, out
    assert "'make uninstall' removes it" in out
    for p in FILES:
        assert _read(p) == bare[p] + LINE + "\n"
    with open(record) as f:
        assert f.read() == "%s /etc/subuid,/etc/subgid\n" % LINE
    # again: covered now, nothing added, the record kept
    assert "added" not in make("install")
    assert all(_read(p).count(LINE) == 1 for p in FILES)
    out = make("uninstall")
    assert "removed '%s' from /etc/subuid,/etc/subgid (make install had added it)" % LINE in out
    assert {p: _read(p) for p in FILES} == bare
    assert not os.path.exists(os.path.join(prefix, "sbin", "iocage"))
    assert not os.path.exists(record)
    # a range the host had before install: install records nothing, uninstall keeps it
    for p in FILES:
        with open(p, "a") as f:
            f.write(LINE + "\n")
    assert "added" not in make("install") and not os.path.exists(record)
    assert "removed" not in make("uninstall")
    assert all(_read(p).count(LINE) == 1 for p in FILES)
