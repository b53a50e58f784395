"""A root laid out by the shell iocage, built here with plain zfs commands the
way it did (R/.defaults, R/jails/UUID mounted with every property local and
1/0 yes/no spellings, R/releases/REL/root snapshotted per thin jail), is
recognised by `activate` and managed in place."""
import os
import tarfile

import pytest

from conftest import (PREFIX, SHIFT, SPACE_PROPS, Root, destroy_root, neighbour_state, run_iocage,
                      sh, zfs_get_all)
from runhelp import open_path, subids  # noqa: F401

A = "1f0c3a52-6b1d-11e6-8f5c-0cc47a6c8a01"
B = "2a9e0f14-6b1d-11e6-8f5c-0cc47a6c8a02"


def zset(ds, **props):
    for k, v in props.items():
        sh("zfs", "set", "%s%s=%s" % (PREFIX, k, v), ds)


def legacy_jail_props(uuid, tag, **extra):
    # the shell iocage wrote its whole property set onto each jail at create
    p = dict(tag=tag, host_hostuuid=uuid, host_hostname=uuid, release="bb", type="basejail",
             boot="off", vnet="off", mount_devfs="1", mount_procfs="0", allow_raw_sockets="0",
             template="no", jail_zfs="off", interfaces="vnet0:bridge0", ip4_addr="none",
             exec_start="/bin/sh /etc/rc", securelevel="2", hack88="0", bpf="off")
    p.update(extra)
    return p


@pytest.fixture
def legacy(pool, busybox_tarball):
    name = "%s/virt/leg%d" % (pool.name, next(pool.counter))
    before = neighbour_state(pool, name)
    sh("zfs", "create", name)
    r = Root(pool, name)
    sh("zfs", "create", name + "/.defaults")
    zset(name + "/.defaults", priority="42", notes="from .defaults", allow_sysvipc="1",
         interfaces="none")
    for d in ("releases", "releases/bb", "releases/bb/root", "jails"):
        sh("zfs", "create", "%s/%s" % (name, d))
    rel = "%s/releases/bb/root" % name
    mp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", rel).strip()
    with tarfile.open(busybox_tarball) as t:
        t.extractfile  # noqa: B018
        t.extractall(mp, numeric_owner=True)
    for d, dirs, files in os.walk(mp):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            st = os.lstat(n)
            os.lchown(n, st.st_uid + SHIFT, st.st_gid + SHIFT)
            if not os.path.islink(n):
                os.chmod(n, st.st_mode & 0o7777)
    # alpha: thin, cloned from a per-jail release snapshot (the shell's way)
    sh("zfs", "snapshot", "%s@%s" % (rel, A))
    sh("zfs", "create", "%s/jails/%s" % (name, A))      # mounted: canmount=on
    zset("%s/jails/%s" % (name, A), **legacy_jail_props(A, "alpha", boot="1"))
    sh("zfs", "clone", "%s@%s" % (rel, A), "%s/jails/%s/root" % (name, A))
    # beta: its own root, yes/no spellings, notes not set (comes from .defaults)
    sh("zfs", "create", "%s/jails/%s" % (name, B))
    zset("%s/jails/%s" % (name, B), **legacy_jail_props(B, "beta", boot="no", vnet="yes",
                                                          allow_raw_sockets="yes"))
    sh("zfs", "create", "%s/jails/%s/root" % (name, B))
    bmp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", "%s/jails/%s/root" % (name, B)).strip()
    os.makedirs(os.path.join(bmp, "etc"))
    with open(os.path.join(bmp, "etc", "rc.conf"), "w") as f:
        f.write("legacy\n")
    # the shell iocage kept a jail's fstab as a file in its mounted dataset
    jmp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", "%s/jails/%s" % (name, B)).strip()
    with open(os.path.join(jmp, "fstab"), "w") as f:
        f.write("")
    yield r
    destroy_root(name)
    after = neighbour_state(pool, name)
    assert after == before, "neighbours changed"


def no_space(st):
    return {d: {k: v for k, v in p.items() if k not in SPACE_PROPS and k != "written"}
            for d, p in st.items()}


def test_activate_recognises_and_manages_in_place(legacy):
    r = legacy
    before = no_space(zfs_get_all(r.name))
    res = run_iocage(["activate", r.name])
    assert res.rc == 0, res
    assert "recognised a shell iocage layout: 2 jails in place, defaults from .defaults" in res.out
    assert "release bb" in res.out
    after = no_space(zfs_get_all(r.name))
    # no conversion: the jails' datasets are exactly as they were
    for ds in before:
        if "/jails/" in ds:
            now = {k: v for k, v in after[ds].items() if k != PREFIX + "active"}
            assert now == before[ds], ds
    # what activate added: the active mark, missing children, the release snapshot
    added = set(after) - set(before)
    assert added <= {r.name + "/" + c for c in ("download", "images", "packages")} | \
        {r.name + "/releases/bb/root@ioc-release"}, added
    assert r.name + "/releases/bb/root@ioc-release" in added
    rows = [l.split("\t") for l in r.ok("list", "-H").splitlines()]
    assert [(x[1], x[2], x[4], x[5]) for x in rows] == [(A, "on", "alpha", "basejail"),
                                                        (B, "off", "beta", "basejail")]
    assert r.ok("list", "-r", "-H").split() == ["bb"]
    # legacy spellings read canonically
    assert r.ok("get", "boot", "alpha") == "on\n"
    assert r.ok("get", "vnet", "beta") == "on\n"
    assert r.ok("get", "allow_raw_sockets", "beta") == "1\n"
    # R/.defaults values are the root's defaults
    a = {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("get", "-H", "all", "beta").splitlines()}
    assert a["priority"] == ["42", "default"] and a["notes"] == ["from .defaults", "default"]
    assert a["securelevel"] == ["2", "local"]
    d = {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("defaults", "-H").splitlines()}
    assert d["priority"] == ["42", "root (.defaults)"] and d["allow_sysvipc"][0] == "1"
    assert r.ok("get", "priority", "default") == "42\n"
    # a default set with our command wins over .defaults
    r.ok("set", "priority=7", "default")
    assert r.ok("get", "priority", "beta") == "7\n"
    d = {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("defaults", "-H").splitlines()}
    assert d["priority"] == ["7", "root"]
    # managed in place: set, snapshot, new jails beside them, destroy
    r.ok("set", "notes=changed", "alpha")
    assert sh("zfs", "get", "-H", "-o", "value", PREFIX + "notes", "%s/jails/%s" % (r.name, A)) == "changed\n"
    r.ok("snapshot", "beta@s1")
    new = r.ok("create", "-c", "release=bb", "tag=new").split()[0]
    assert r.ok("get", "notes", "new") == "from .defaults\n"
    assert sorted(r.jails()) == ["alpha", "beta", "new"]
    r.ok("destroy", "-f", "beta")
    assert sorted(r.jails()) == ["alpha", "new"]
    st = zfs_get_all(r.name)
    assert not [x for x in st if "/jails/" + B in x]
    # the thin legacy jail depends on its release snapshot, which stays
    assert st["%s/jails/%s/root" % (r.name, A)]["origin"][0] == "%s/releases/bb/root@%s" % (r.name, A)
    assert new in r.jails().values()
    # activating again changes nothing more
    before2 = no_space(zfs_get_all(r.name))
    res = run_iocage(["activate", r.name])
    assert res.rc == 0 and "snapshotted" not in res.out, res
    assert no_space(zfs_get_all(r.name)) == before2


def test_interrupted_fetch_is_not_adopted(pool):
    # our own release without its snapshot is an interrupted fetch, not a legacy release
    name = "%s/virt/leg%d" % (pool.name, next(pool.counter))
    try:
        assert run_iocage(["activate", name]).rc == 0
        sh("zfs", "create", "-o", PREFIX + "release_source=file", name + "/releases/half")
        sh("zfs", "create", name + "/releases/half/root")
        res = run_iocage(["activate", name])
        assert res.rc == 0 and "half" not in res.out, res
        assert name + "/releases/half/root@ioc-release" not in zfs_get_all(name)
    finally:
        destroy_root(name)


def test_legacy_jail_starts(legacy, subids):  # noqa: F811
    r = legacy
    assert run_iocage(["activate", r.name]).rc == 0
    open_path(r.mountpoint)
    try:
        out = r.ok("start", "alpha")
        assert "started" in out
        assert r.ok("get", "state", "alpha") == "up\n"
        assert r.ok("exec", "alpha", "cat", "/etc/hostname") == "busybox\n"
    finally:
        r.run("stop", "-f", "alpha")
    assert r.ok("get", "state", "alpha") == "down\n"


# ---- issue 13: what a jail adopted in place keeps -------------------------

C = "3c7d1e25-6b1d-11e6-8f5c-0cc47a6c8a03"
DATE_TAG = "2016-03-01@12:34:56"


def add_legacy_jail(r, uuid, tag, **extra):
    """A thin jail as the shell iocage made it (v1.7.6 lib/ioc-zfs __create_jail):
    mounted R/jails/UUID with its properties, root cloned from
    R/releases/bb/root@UUID, an empty fstab file.  Returns R/jails/UUID's
    mountpoint."""
    ds = "%s/jails/%s" % (r.name, uuid)
    rel = "%s/releases/bb/root" % r.name
    sh("zfs", "snapshot", "%s@%s" % (rel, uuid))
    sh("zfs", "create", ds)
    zset(ds, **legacy_jail_props(uuid, tag, **extra))
    sh("zfs", "clone", "%s@%s" % (rel, uuid), ds + "/root")
    mp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", ds).strip()
    open(os.path.join(mp, "fstab"), "w").close()
    return mp


def test_date_tag_names_an_existing_jail(legacy):
    """v1.7.6 lib/ioc-globals: tag=$(date "+%F@%T") is the default tag of a
    new jail, so old jails are tagged 2016-03-01@12:34:56; they are read and
    named by that tag, while new tags keep today's rules."""
    r = legacy
    add_legacy_jail(r, C, DATE_TAG)
    assert run_iocage(["activate", r.name]).rc == 0
    assert r.jails()[DATE_TAG] == C
    assert r.ok("get", "tag", DATE_TAG) == DATE_TAG + "\n"
    assert r.ok("get", "host_hostuuid", DATE_TAG) == C + "\n"
    r.ok("set", "notes=kept", DATE_TAG)
    assert r.ok("get", "notes", DATE_TAG) == "kept\n"
    before = r.zfs_state()
    err = r.fail("set", "tag=2017-01-01@00:00:00", DATE_TAG)
    assert err == "iocage: invalid tag '2017-01-01@00:00:00': character '@' not allowed; allowed: letters, digits, '.', '_', '-'\n", err
    err = r.fail("create", "-e", "tag=" + DATE_TAG, rc=1)
    assert err == "iocage: invalid tag '2016-03-01@12:34:56': character '@' not allowed; allowed: letters, digits, '.', '_', '-'\n", err
    assert r.zfs_state() == before
    # v1.7.6 lib/ioc-snapshot __snapshot splits at '@' (awk FS="@"): we split at
    # the last one, so TAG@SNAP works for a date tag too
    assert r.ok("snapshot", DATE_TAG + "@s1") == "snapshot %s@s1 created\n" % DATE_TAG
    after = r.zfs_state()
    assert set(after) - set(before) == {"%s/jails/%s@s1" % (r.name, C),
                                        "%s/jails/%s/root@s1" % (r.name, C)}


def test_date_tag_jail_starts_and_stops(legacy, subids):  # noqa: F811
    """v1.7.6 lib/ioc-rc __start_jail/__stop_jail take the jail by tag
    (__find_jail); a date tag names the jail for start and stop."""
    r = legacy
    add_legacy_jail(r, C, DATE_TAG)
    assert run_iocage(["activate", r.name]).rc == 0
    open_path(r.mountpoint)
    try:
        res = r.run("start", DATE_TAG)
        assert res.rc == 0, res
        assert r.ok("get", "state", DATE_TAG) == "up\n"
    finally:
        res = r.run("stop", DATE_TAG)
    assert res.rc == 0, res
    assert r.ok("get", "state", DATE_TAG) == "down\n"


def test_tag_links_follow_create_rename_destroy(legacy):
    """v1.7.6 lib/ioc-common __link_tag (ln -s MOUNTPOINT $iocroot/tags/TAG,
    after mkdir -p $iocroot/tags) at create (lib/ioc-configure) and set tag=
    (lib/ioc-common __set_jail_prop, after __unlink_tag), __unlink_tag (find
    $iocroot/tags -lname MOUNTPOINT* -exec rm) at destroy (lib/ioc-zfs)."""
    r = legacy
    jmp = add_legacy_jail(r, C, DATE_TAG)
    tags = os.path.join(r.mountpoint, "tags")
    os.mkdir(tags)
    os.symlink(jmp, os.path.join(tags, DATE_TAG))
    os.symlink(jmp + "/root", os.path.join(tags, "old-name"))   # an older link, same jail
    with open(os.path.join(tags, "README"), "w") as f:            # not a link: never touched
        f.write("mine\n")
    assert run_iocage(["activate", r.name]).rc == 0
    amp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", "%s/jails/%s" % (r.name, A)).strip()
    # rename: every old link of the jail goes, the new name points at its mountpoint
    before = r.zfs_state()
    assert r.ok("set", "tag=gamma", DATE_TAG) == ""
    links = {n: os.readlink(os.path.join(tags, n)) for n in os.listdir(tags)
             if os.path.islink(os.path.join(tags, n))}
    assert links == {"gamma": jmp}, links
    assert open(os.path.join(tags, "README")).read() == "mine\n"
    after = r.zfs_state()
    jds = "%s/jails/%s" % (r.name, C)
    assert after[jds].pop(PREFIX + "tag") == ("gamma", "local")
    assert before[jds].pop(PREFIX + "tag") == (DATE_TAG, "local")
    assert after[jds + "/root"].pop(PREFIX + "tag")[0] == "gamma"  # inherited
    before[jds + "/root"].pop(PREFIX + "tag")
    assert after == before
    # create: a link for the new jail, at its dataset's mountpoint
    out = r.ok("create", "-e", "tag=delta").split()
    new = out[0]
    assert out == [new, "delta"]
    nmp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", "%s/jails/%s" % (r.name, new)).strip()
    links = {n: os.readlink(os.path.join(tags, n)) for n in os.listdir(tags)
             if os.path.islink(os.path.join(tags, n))}
    assert links == {"gamma": jmp, "delta": nmp}, links
    # set tag= on a jail that had no link yet (alpha) makes one
    r.ok("set", "tag=alpha2", "alpha")
    links = {n: os.readlink(os.path.join(tags, n)) for n in os.listdir(tags)
             if os.path.islink(os.path.join(tags, n))}
    assert links == {"gamma": jmp, "delta": nmp, "alpha2": amp}, links
    # destroy: the jail's links go, nothing else
    assert r.ok("destroy", "-f", "gamma") == "gamma (%s) destroyed\n" % C
    assert r.ok("destroy", "-f", "delta") == "delta (%s) destroyed\n" % new
    assert sorted(os.listdir(tags)) == ["README", "alpha2"]
    assert os.readlink(os.path.join(tags, "alpha2")) == amp


def test_tag_links_never_made_in_our_roots(release):
    """Only the shell iocage's roots have tags/ (v1.7.6 lib/ioc-common
    __link_tag); a root we made gets none."""
    r = release
    r.ok("create", "-e", "tag=one")
    r.ok("set", "tag=two", "one")
    r.ok("destroy", "-f", "two")
    assert not os.path.lexists(os.path.join(r.mountpoint, "tags"))


def test_tags_dir_made_in_legacy_root(legacy):
    """v1.7.6 lib/ioc-common __link_tag: mkdir -p $iocroot/tags before ln -s."""
    r = legacy
    assert run_iocage(["activate", r.name]).rc == 0
    tags = os.path.join(r.mountpoint, "tags")
    assert not os.path.lexists(tags)
    new = r.ok("create", "-e", "tag=eps").split()[0]
    nmp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", "%s/jails/%s" % (r.name, new)).strip()
    assert os.listdir(tags) == ["eps"] and os.readlink(os.path.join(tags, "eps")) == nmp
    assert oct(os.lstat(tags).st_mode & 0o7777) == "0o755"
    # an imported jail gets its link as a created one does (1.7.6's __import made
    # none, which left tags/ short of the jails it listed)
    path = r.ok("export", "eps").strip().split(" exported to ")[1]
    imp = r.ok("import", path, "tag=eps2").split()[0]
    imp_mp = sh("zfs", "get", "-H", "-o", "value", "mountpoint",
                "%s/jails/%s" % (r.name, imp)).strip()
    assert sorted(os.listdir(tags)) == ["eps", "eps2"]
    assert os.readlink(os.path.join(tags, "eps2")) == imp_mp


def test_tags_symlink_dir_refused(legacy):
    """R/tags that is a symlink is not followed: the tag is set, the command
    says the link was not made and changes nothing outside."""
    r = legacy
    assert run_iocage(["activate", r.name]).rc == 0
    elsewhere = os.path.join(r.mountpoint, "elsewhere")
    os.mkdir(elsewhere)
    os.symlink(elsewhere, os.path.join(r.mountpoint, "tags"))
    err = r.fail("set", "tag=zeta", "alpha")
    assert err == "iocage: tag set to 'zeta', but: '%s/tags' is not a directory " \
        "(a symlink is not followed)\n" % r.mountpoint, err
    assert os.listdir(elsewhere) == []
    assert r.ok("get", "tag", "zeta") == "zeta\n"


@pytest.fixture
def hostdir(tmp_path):
    d = tmp_path / "shared"
    d.mkdir()
    (d / "hello.txt").write_text("from the host\n")
    open_path(str(d / "x"))
    os.chmod(str(d), 0o755)
    return str(d)


def test_legacy_fstab_file_mounted_at_start(legacy, subids, hostdir):  # noqa: F811
    """v1.7.6 lib/ioc-rc __vnet_start/__legacy_start: mount.fstab="${jail_path}/fstab",
    a fstab(5) file of nullfs mounts whose targets are host paths in the jail's
    root; mounted at start (bind mounts on Linux), gone at stop."""
    r = legacy
    jmp = add_legacy_jail(r, C, "gamma")
    with open(os.path.join(jmp, "fstab"), "w") as f:
        f.write("# made by the shell iocage\n\n%s\t%s/root/mnt/shared nullfs ro 0 0\n"
                % (hostdir, jmp))
    assert run_iocage(["activate", r.name]).rc == 0
    open_path(r.mountpoint)
    # the FreeBSD engine's plan: one nullfs mount from the file (jail(8) is not run)
    out = r.ok("--dry-run", "start", "gamma", env={"IOCAGE_ENGINE": "freebsd"})
    assert "  2  mount -t nullfs -o ro %s %s/root/mnt/shared\n" % (hostdir, jmp) in out, out
    assert "     undo: umount %s/root/mnt/shared\n" % jmp in out, out
    before = r.zfs_state()
    try:
        r.ok("start", "gamma")
        assert r.ok("exec", "gamma", "cat", "/mnt/shared/hello.txt") == "from the host\n"
        res = r.run("exec", "gamma", "touch", "/mnt/shared/new")
        assert res.rc != 0 and "Read-only" in res.err, res
    finally:
        r.run("stop", "-f", "gamma")
    assert r.ok("get", "state", "gamma") == "down\n"
    assert os.listdir(hostdir) == ["hello.txt"]
    # the file is not a property: nothing was written
    assert r.ok("get", "fstab", "gamma") == "none\n"
    after = r.zfs_state()
    jds = "%s/jails/%s" % (r.name, C)
    for st in (before, after):
        for ds in (jds, jds + "/root"):  # last_started and MACs, set and inherited
            st[ds] = {k: v for k, v in st[ds].items()
                      if k.split(":")[-1] not in ("last_started", "vnet0_mac")}
    assert after == before


@pytest.mark.parametrize("line,why", [
    ("%(h)s /etc nullfs rw 0 0", "target '/etc' is not inside the jail's root %(root)s"),
    ("%(h)s %(root)s/../x nullfs rw 0 0", "invalid fstab entry 1: SRC and DST must be absolute "
     "paths without '..', backslashes or control characters"),
    ("relative %(root)s/mnt nullfs rw 0 0", "invalid fstab entry 1: SRC and DST must be "
     "absolute paths without '..', backslashes or control characters"),
    ("%(h)s %(root)s/mnt procfs rw 0 0", "file system type 'procfs': only nullfs is mounted"),
    ("%(h)s %(root)s/mnt nullfs rw,suid 0 0", "mount option 'suid': allowed ro, rw, late"),
    ("%(h)s %(root)s nullfs rw 0 0", "invalid fstab entry 1: DST cannot be the jail's root '/'"),
    ("%(h)s %(root)s/mnt", "expected 'SRC DST nullfs ro|rw [DUMP [PASS]]'"),
])
def test_legacy_fstab_bad_line_refuses_start(legacy, line, why):
    """Every line of the legacy fstab file (v1.7.6 lib/ioc-rc mount.fstab) is
    checked as strictly as the fstab property; a bad one refuses the start,
    named by its number, and nothing changes."""
    r = legacy
    jmp = add_legacy_jail(r, C, "gamma")
    root = jmp + "/root"
    with open(os.path.join(jmp, "fstab"), "w") as f:
        f.write("# ok\n" + line % {"h": "/var/empty", "root": root} + "\n")
    assert run_iocage(["activate", r.name]).rc == 0
    before = r.zfs_state()
    err = r.fail("start", "gamma")
    assert err == "iocage: %s/fstab, line 2: %s\n" % (jmp, why % {"root": root}), err
    assert r.zfs_state() == before
    assert r.ok("get", "state", "gamma") == "down\n"


def test_fstab_property_wins_over_legacy_file(legacy):
    """Both set: the fstab property (set with our command) wins, the file is not read
    (documented in legacy.h and iocage.8)."""
    r = legacy
    jmp = add_legacy_jail(r, C, "gamma")
    with open(os.path.join(jmp, "fstab"), "w") as f:
        f.write("bad line\n")
    assert run_iocage(["activate", r.name]).rc == 0
    r.ok("set", "fstab=/var/empty /mnt/x ro", "gamma")
    fb = {"IOCAGE_ENGINE": "freebsd"}
    out = r.ok("--dry-run", "start", "gamma", env=fb)
    assert "  mount -t nullfs -o ro /var/empty %s/root/mnt/x\n" % jmp in out, out
    assert out.count("mount -t nullfs") == 1, out


def write_script(path, body, mode=0o755):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, mode)


def test_legacy_hook_scripts_run_as_host_hooks(legacy, subids, tmp_path):  # noqa: F811
    """v1.7.6 lib/ioc-info __findscript: an executable ${jail_path}/prestart
    (poststart, prestop, poststop) is used instead of exec_<type>; lib/ioc-rc
    runs them around start and stop on the host."""
    r = legacy
    jmp = add_legacy_jail(r, C, "gamma")
    log = tmp_path / "hooks.log"
    for h in ("prestart", "poststart", "prestop", "poststop"):
        write_script(os.path.join(jmp, h), "echo %s >> %s\n" % (h, log))
    assert run_iocage(["activate", r.name]).rc == 0
    open_path(r.mountpoint)
    out = r.ok("--dry-run", "start", "gamma", env={"IOCAGE_ENGINE": "freebsd"})
    name = "ioc-" + C
    assert "  1  %s/prestart %s %s/root\n" % (jmp, name, jmp) in out, out
    assert "  4  %s/poststart %s %s/root\n" % (jmp, name, jmp) in out, out
    try:
        r.ok("start", "gamma")
        assert log.read_text() == "prestart\npoststart\n"
    finally:
        res = r.run("stop", "gamma")
    assert res.rc == 0, res
    assert log.read_text() == "prestart\npoststart\nprestop\npoststop\n"
    # nothing written: the properties stay as they were
    assert r.ok("get", "exec_prestart", "gamma") == "/usr/bin/true\n"


def test_legacy_hook_script_writable_by_others_refused(legacy, tmp_path):
    """A script others may write would run as root on the host: refused,
    nothing runs and nothing changes."""
    r = legacy
    jmp = add_legacy_jail(r, C, "gamma")
    mark = tmp_path / "ran"
    write_script(os.path.join(jmp, "prestart"), "touch %s\n" % mark, mode=0o775)
    assert run_iocage(["activate", r.name]).rc == 0
    before = r.zfs_state()
    err = r.fail("start", "gamma")
    assert err == "iocage: refusing the hook script '%s/prestart': it must be owned by root " \
        "and writable by nobody else\n" % jmp, err
    assert not mark.exists()
    assert r.zfs_state() == before
