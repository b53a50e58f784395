"""`fetch release=bookworm` (debootstrap) and `update` against that real Debian
release (slow): apt-get runs inside real LXC containers that share the host's
network stack (ip4=inherit, vnet=off, interfaces=none) to reach the mirror of
the host's apt sources.

One root and one `fetch release=bookworm` serve the whole module (the only
debootstrap of the test run).  Skipped when debootstrap is missing or the
host's mirror does not answer.
"""
import hashlib
import os
import re
import stat
import subprocess

import pytest

from conftest import PREFIX, SHIFT, Root, destroy_root, neighbour_state, run_iocage, sh
from runhelp import open_path, rootfs, subids  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("subids")]

NET = ("vnet=off", "ip4=inherit", "interfaces=none")
SNAP_RE = re.compile(r"^ioc_update_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$")


@pytest.fixture(scope="module")
def deb(pool, subids):
    """A root with bookworm fetched by debootstrap (once for the module)."""
    if not os.path.exists("/usr/sbin/debootstrap"):
        pytest.skip("debootstrap is not installed")
    name = "%s/virt/ioc%d" % (pool.name, next(pool.counter))
    before = neighbour_state(pool, name)
    res = run_iocage(["activate", name])
    assert res.rc == 0, res
    r = Root(pool, name)
    try:
        res = r.run("fetch", "release=bookworm", timeout=3000)
        if res.rc != 0 and ("Failed getting release file" in res.err or
                            "Couldn't download" in res.err or "Temporary failure" in res.err):
            pytest.skip("the host's Debian mirror is not reachable: %s" % res.err[-200:])
        assert res.rc == 0, res
        r.fetch_result = res
        open_path(r.mountpoint)
        yield r
    finally:
        r.run("stop", "-f", "ALL")
        destroy_root(name)
    after = neighbour_state(pool, name)
    own = re.compile(re.escape(pool.name) + r"/virt/ioc\d+([/@]|$)")
    for st in (before, after):
        for ds in [d for d in st[0] if own.match(d)]:
            del st[0][ds]
    assert after == before


def meta(top, skip=("proc", "sys", "dev", "run")):
    """{relpath: (mode, uid, gid, sha256|target, mtime)} of a jail's tree."""
    res = {}
    for d, dirs, files in os.walk(top):
        if d == top:
            dirs[:] = [x for x in dirs if x not in skip]
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                body = "->" + os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    body = hashlib.sha256(f.read()).hexdigest()
            else:
                body = None
            res[os.path.relpath(p, top)] = (st.st_mode, st.st_uid, st.st_gid, body,
                                            None if stat.S_ISDIR(st.st_mode) else st.st_mtime_ns)
    return res


def mkjail(r, tag):
    out = r.ok("create", "-c", "release=bookworm", "tag=" + tag, *NET).split()
    assert out[1] == tag
    return out[0]


def snaps(r, uuid):
    """Snapshot names of the jail's datasets: {dataset suffix: [names]}."""
    res = {}
    pre = "%s/jails/%s" % (r.name, uuid)
    for d in r.zfs_state():
        if d.startswith(pre) and "@" in d:
            ds, sn = d.split("@", 1)
            res.setdefault(ds[len(pre):] or "/", []).append(sn)
    return {k: sorted(v) for k, v in res.items()}


def state(r, tag):
    return r.ok("get", "state", tag).strip()


def write_in(top, rel, text):
    """Writes a file into a stopped jail from the host, owned by the jail's root."""
    p = os.path.join(top, rel)
    with open(p, "w") as f:
        f.write(text)
    os.chown(p, 100000, 100000)


def translations(top):
    """The index files that `apt-get update` fetches and debootstrap does not."""
    d = os.path.join(top, "var/lib/apt/lists")
    return sorted(n for n in os.listdir(d) if "Translation" in n)


def update(r, *args, env=None):
    open_path(r.mountpoint)
    return r.run("update", *args, env=env, timeout=1800)


def release_snaps(r):
    rel = "%s/releases/bookworm/root@" % r.name
    return sorted(d for d in r.zfs_state() if d.startswith(rel))


def drop_new_release_snaps(r, before):
    """Puts the module's root back as the test found it: the release snapshots
    that update release= made (and that the test checked) go again."""
    for s in sorted(set(release_snaps(r)) - set(before), reverse=True):
        p = subprocess.run(["zfs", "destroy", s], capture_output=True, text=True)
        assert p.returncode == 0, (s, p.stderr)


# ---- fetch release=bookworm ---------------------------------------------------------

def test_fetched_bookworm_is_shifted_and_installs_packages(deb, tmp_path):
    """The minimal Debian from the host's configured mirror is stored shifted for
    the user namespace; a thin jail from it; create pkglist= installs a package
    with the release's own apt inside an unprivileged jail that shares the host's
    network stack to reach the mirror."""
    r = deb
    assert "release bookworm fetched" in r.fetch_result.out, r.fetch_result
    assert r.ok("list", "-r", "-H").split() == ["bookworm"]
    mp = os.path.join(r.mountpoint, "releases", "bookworm", "root")
    st = os.lstat(os.path.join(mp, "etc/passwd"))
    assert (st.st_uid, st.st_gid) == (SHIFT, SHIFT)
    assert os.path.exists(os.path.join(mp, "usr/bin/apt-get"))
    # setuid survived the shift
    su = os.lstat(os.path.join(mp, "usr/bin/su"))
    assert su.st_mode & 0o4000 and su.st_uid == SHIFT
    ds = "%s/releases/bookworm" % r.name

    def zget(prop):
        return sh("zfs", "get", "-H", "-o", "value", prop, ds).strip()
    assert zget(PREFIX + "release_source") == "debootstrap"
    assert zget(PREFIX + "release_idmap") == "%d:65536" % SHIFT
    # nothing left mounted inside
    with open("/proc/self/mounts") as f:
        assert mp + "/" not in f.read()
    pk = tmp_path / "pkgs"
    pk.write_text("# a tiny package\nhello\n")
    r.ok("create", "-c", "release=bookworm", "tag=deb", *NET, "pkglist=" + str(pk))
    try:
        assert "deb" in r.jails()
        r.ok("start", "deb")
        assert "Hello, world!" in r.ok("exec", "deb", "/usr/bin/hello")
    finally:
        r.run("stop", "-f", "deb")
        r.run("destroy", "-f", "deb")


# ---- update JAIL --------------------------------------------------------------------

def test_update_keeps_and_names_the_snapshot(deb):
    r = deb
    u = mkjail(r, "up")
    top = rootfs(r, u)
    res = update(r, "up")
    assert res.rc == 0, res
    m = re.search(r"^up: snapshot (\S+) taken$", res.out, re.M)
    assert m, res.out
    snap = m.group(1)
    assert SNAP_RE.match(snap), snap
    assert ("up updated; snapshot %s kept ('iocage rollback up@%s' undoes the update)\n" %
            (snap, snap)) in res.out
    # apt-get ran inside the jail: it fetched the mirror's index into the jail's tree
    assert "Reading package lists" in res.out
    assert translations(top), os.listdir(os.path.join(top, "var/lib/apt/lists"))
    # the snapshot is kept on every dataset of the jail, and snaplist shows it
    assert snaps(r, u) == {"/": [snap], "/root": [snap]}
    assert snap in r.ok("snaplist", "-H", "up")
    # a jail started for the update is stopped again; a running one keeps running
    assert state(r, "up") == "down"
    open_path(r.mountpoint)
    r.ok("start", "up")
    try:
        res = update(r, "up")
        assert res.rc == 0, res
        assert state(r, "up") == "up"
        assert len(snaps(r, u)["/root"]) == 2
    finally:
        r.run("stop", "-f", "up")
    r.ok("destroy", "-f", "up")


# an apt hook that fails after `apt-get update` has changed the jail's files
FAIL_HOOK = 'APT::Update::Post-Invoke { "touch /var/tmp/post-invoked"; "false"; };\n'


def test_failed_update_of_a_running_jail_rolls_back(deb):
    """apt-get fails after it has changed the jail (a Post-Invoke hook that fails):
    the jail is rolled back, and runs again.  (A stopped jail's failure is
    test_unconfirmed_update_rolls_back.)"""
    r = deb
    running = True
    tag = "fail"
    u = mkjail(r, tag)
    top = rootfs(r, u)
    write_in(top, "etc/apt/apt.conf.d/99iocage-test-fail", FAIL_HOOK)
    before = meta(top)
    if running:
        open_path(r.mountpoint)
        r.ok("start", tag)
    st = r.zfs_state()
    try:
        res = update(r, tag)
        assert res.rc == 1, res
        m = re.search(r"^%s: snapshot (\S+) taken$" % tag, res.out, re.M)
        assert m, res.out
        snap = m.group(1)
        last = res.err.splitlines()[-1]  # apt's own messages come first
        assert last.startswith("iocage: update of '%s' failed: " % tag), res.err
        assert last.endswith("; rolled back to snapshot %s" % snap), res.err
        assert "Problem executing scripts APT::Update::Post-Invoke" in res.out + res.err
        assert "'/usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get -q update' failed inside the " \
            "jail with status 100" in res.err, res.err
        # back to the snapshot: apt's downloaded index and the hook's file are gone
        assert meta(top) == before
        assert not os.path.exists(os.path.join(top, "var/tmp/post-invoked"))
        assert state(r, tag) == ("up" if running else "down")
        # nothing else changed; the snapshot stays for inspection
        after = r.zfs_state()
        new = set(after) - set(st)
        assert new == {"%s/jails/%s@%s" % (r.name, u, snap),
                       "%s/jails/%s/root@%s" % (r.name, u, snap)}, new
    finally:
        r.run("stop", "-f", tag)
    r.ok("destroy", "-f", tag)


# ---- update release=REL -------------------------------------------------------------

def test_update_release_makes_a_new_snapshot(deb):
    r = deb
    rel = "%s/releases/bookworm/root" % r.name
    snaps_start = release_snaps(r)
    old = mkjail(r, "old")
    assert r.ok("get", "origin", "old").strip() == rel + "@ioc-release"
    jails = r.jails()
    res = update(r, "release=bookworm")
    assert res.rc == 0, res
    m = re.search(r"^release bookworm updated: \d+ files added or changed, \d+ deleted; new jails "
                  r"are made from (\S+);", res.out, re.M)
    assert m, res.out
    newsnap = m.group(1)
    assert re.match(re.escape(rel) + r"@ioc-release-\d{8}-\d{6}$", newsnap), newsnap
    assert newsnap in r.zfs_state()
    # the temporary jail is gone, nothing else appeared under R/jails
    assert r.jails() == jails
    assert sorted(d for d in r.zfs_state() if "/jails/" in d and "@" not in d) == sorted(
        "%s/jails/%s%s" % (r.name, old, s) for s in ("", "/root"))
    # existing thin jails keep their origin; new ones get the new snapshot
    assert r.ok("get", "origin", "old").strip() == rel + "@ioc-release"
    assert not translations(rootfs(r, old))
    new = mkjail(r, "new")
    assert r.ok("get", "origin", "new").strip() == newsnap
    assert translations(rootfs(r, new))
    r.ok("destroy", "-f", "new")
    r.ok("destroy", "-f", "old")
    drop_new_release_snaps(r, snaps_start)


# ---- forced failures and SIGKILL -----------------------------------------------------

def trace(r, tmp_path, *args):
    """The external steps of a successful run, numbered as IOC_FAULT_* count them
    (the process that runs them re-executes itself once and counts again)."""
    tf = tmp_path / ("trace%d" % len(os.listdir(str(tmp_path))))
    res = update(r, *args, env={"IOC_FAULT_TRACE": str(tf)})
    assert res.rc == 0, res
    lines = tf.read_text().splitlines()
    last = max(i for i, l in enumerate(lines) if l.startswith("1 "))
    return [l.split(" ", 1) for l in lines[last:]], res


def step(steps, pred, nth=0):
    return [int(n) for n, cmd in steps if pred(cmd)][nth]


def test_unconfirmed_update_rolls_back(deb, tmp_path):
    """A failure after apt-get has changed the jail (forced at the step that
    clears the snapshot's in-flight mark) rolls the jail back to the snapshot."""
    r = deb
    u = mkjail(r, "unc")
    top = rootfs(r, u)
    steps, _ = trace(r, tmp_path, "unc")
    snap0 = snaps(r, u)["/root"]
    before = meta(top)
    n = step(steps, lambda c: c.startswith("zfs inherit "))
    tf = str(tmp_path / "failrun")
    res = update(r, "unc", env={"IOC_FAULT_FAIL": "%d:1" % n, "IOC_FAULT_TRACE": tf})
    assert res.rc == 1, (res, steps, open(tf).read())
    snap = re.search(r"^unc: snapshot (\S+) taken$", res.out, re.M).group(1)
    assert "Reading package lists" in res.out, (res, steps, open(tf).read())  # apt-get ran
    assert res.err.splitlines()[-1] == ("iocage: update of 'unc' failed: zfs inherit failed with "
                                        "status 1; rolled back to snapshot %s" % snap), res.err
    assert meta(top) == before
    assert state(r, "unc") == "down"
    assert snaps(r, u)["/root"] == sorted(snap0 + [snap])
    # the snapshot is no longer marked: clean finds nothing to roll back
    assert "interrupted update" not in r.ok("clean")
    r.ok("destroy", "-f", "unc")


def test_update_killed_leaves_the_jail_as_before_or_complete(deb, tmp_path):
    """SIGKILL before every external step of `update` (of the sealed copy that
    runs them): the jail is as before; an update cut short after its snapshot
    (even between the unmarks of its datasets' snapshots) is rolled back by
    `clean` (or the next update), the jail stopped again as it was."""
    r = deb
    u = mkjail(r, "kill")
    top = rootfs(r, u)
    steps, _ = trace(r, tmp_path, "kill")
    complete = meta(top)
    res = r.ok("rollback", "-f", "kill@" + snaps(r, u)["/root"][0])
    r.ok("snapremove", "kill@" + snaps(r, u)["/root"][0])
    before = meta(top)
    assert before != complete
    snap_at = step(steps, lambda c: c.startswith("zfs snapshot "))
    assert len([c for _, c in steps if c.startswith("zfs inherit ")]) >= 2, steps
    # every step: reads, the snapshot, starting, apt, stopping, each unmark
    points = {"step %d of %d: %s" % (n, len(steps), steps[n - 1][1][:60]): n
              for n in range(1, len(steps) + 1)}
    for what, n in points.items():
        tf = str(tmp_path / ("kill%d" % n))
        res = update(r, "kill", env={"IOC_FAULT_KILL": str(n), "IOC_FAULT_TRACE": tf})
        assert res.rc in (-9, 137), (what, res)
        assert "kill" in r.jails(), what
        out = r.ok("clean")
        m = re.search(r"^kill: an interrupted update was rolled back to snapshot (\S+)$", out, re.M)
        if n <= snap_at:
            assert not m, (what, out)
        else:
            assert m, (what, out, res)
        assert state(r, "kill") == "down", what
        got = meta(top)
        assert got == before, (what, sorted(k for k in set(got) | set(before)
                                            if got.get(k) != before.get(k))[:20])
        for sn in snaps(r, u).get("/root", []):
            r.ok("snapremove", "kill@" + sn)
    # and the next update works
    res = update(r, "kill")
    assert res.rc == 0, res
    r.ok("destroy", "-f", "kill")


def test_update_release_killed(deb, tmp_path):
    """SIGKILL while the temporary jail runs and just before the release's new
    snapshot: nothing that list shows, the release's snapshots as before, and
    the next update release= works."""
    r = deb
    rel = "%s/releases/bookworm/root" % r.name
    snaps_start = release_snaps(r)
    steps, _ = trace(r, tmp_path, "release=bookworm")
    snaps0 = release_snaps(r)
    jails0 = r.jails()
    ds0 = sorted(d for d in r.zfs_state() if "/jails/" in d)
    points = [step(steps, lambda c: c.startswith("zfs set ") and "last_started" in c),
              step(steps, lambda c: c.startswith("zfs snapshot ") and rel + "@" in c)]
    for n in points:
        res = update(r, "release=bookworm", env={"IOC_FAULT_KILL": str(n)})
        assert res.rc in (-9, 137), (n, res)
        assert r.jails() == jails0, n
        assert release_snaps(r) == snaps0, n
        r.ok("clean")
        assert sorted(d for d in r.zfs_state() if "/jails/" in d) == ds0, (n, steps)
    res = update(r, "release=bookworm")
    assert res.rc == 0, res
    assert len(release_snaps(r)) == len(snaps0) + 1
    drop_new_release_snaps(r, snaps_start)


# ---- upgrade TAG release=NEW --------------------------------------------------------

def upgrade(r, *args, env=None):
    open_path(r.mountpoint)
    return r.run("upgrade", *args, env=env, timeout=1800)


def read_in(top, rel):
    with open(os.path.join(top, rel)) as f:
        return f.read()


def unshift(top, shift=SHIFT):
    """Gives a jail's tree back to the host's ids (owner - shift), as a release
    fetched with userns=off has them: for a privileged jail."""
    seen = set()
    for d, dirs, files in os.walk(top):
        for n in [d] + [os.path.join(d, x) for x in dirs + files]:
            st = os.lstat(n)
            if (st.st_dev, st.st_ino) in seen or st.st_uid < shift:
                continue
            seen.add((st.st_dev, st.st_ino))
            os.lchown(n, st.st_uid - shift, st.st_gid - shift)
            if not stat.S_ISLNK(st.st_mode):
                os.chmod(n, st.st_mode & 0o7777)


def test_upgrade_bookworm_to_trixie(deb):
    """A real release upgrade from the host's mirror: the jail's apt sources
    switch suite, apt-get full-upgrade runs inside, the release property
    follows, and the snapshot before it is kept.  The jail is privileged
    (userns=off, its tree given back to host ids): on zfs-fuse the root of a
    user namespace cannot give files to other owners, which dpkg does for
    files such as unix_chkpwd (group shadow); kernel ZFS allows it."""
    r = deb
    out = r.ok("create", "release=bookworm", "tag=upg", "userns=off", *NET).split()
    u = out[0]
    top = rootfs(r, u)
    unshift(top)
    assert read_in(top, "etc/debian_version").startswith("12.")
    res = upgrade(r, "upg", "release=trixie")
    assert res.rc == 0, (res.out[-3000:], res.err[-3000:])
    m = re.search(r"^upg: snapshot (ioc_upgrade_\S+) taken$", res.out, re.M)
    assert m, res.out
    snap = m.group(1)
    assert ("upg upgraded to trixie; snapshot %s kept" % snap) in res.out
    assert read_in(top, "etc/debian_version").startswith("13."), read_in(top, "etc/debian_version")
    assert "VERSION_CODENAME=trixie" in read_in(top, "usr/lib/os-release")
    src = read_in(top, "etc/apt/sources.list")
    assert " trixie " in src and "bookworm" not in src, src
    assert r.ok("get", "release", "upg").strip() == "trixie"
    assert snaps(r, u) == {"/": [snap], "/root": [snap]}
    assert state(r, "upg") == "down"
    # the same release again is refused, and changes nothing
    st = r.zfs_state()
    res = upgrade(r, "upg", "release=trixie")
    assert res.rc == 1 and "'upg' is of release trixie already" in res.err, res
    assert r.zfs_state() == st
    r.ok("destroy", "-f", "upg")


def test_a_thin_jail_is_upgraded_in_place(deb):
    """A thin jail keeps its origin (the old release's snapshot) and names the
    new release (to oldstable: bookworm's packages, a short run)."""
    r = deb
    u = mkjail(r, "upt")
    origin = r.ok("get", "origin", "upt")
    res = upgrade(r, "upt", "release=oldstable")
    assert res.rc == 0, res
    assert r.ok("get", "release", "upt").strip() == "oldstable"
    assert r.ok("get", "origin", "upt") == origin
    assert " oldstable " in read_in(rootfs(r, u), "etc/apt/sources.list")
    r.ok("destroy", "-f", "upt")


@pytest.mark.parametrize("args,msg", [
    (("ref", "release=../x"), "release"),
    (("ref", "release=Trixie"), "by their codenames (bookworm to trixie)"),
    (("ref", "release=bookworm"), "'ref' is of release bookworm already"),
    (("ref",), "usage: iocage upgrade"),
    (("release=trixie", "release=sid"), "usage: iocage upgrade"),
    (("nosuchjail", "release=trixie"), "nosuchjail"),
])
def test_upgrade_refusals_change_nothing(deb, args, msg):
    r = deb
    mkjail(r, "ref")
    st = r.zfs_state()
    res = upgrade(r, *args)
    assert res.rc != 0 and msg in res.err, res
    assert r.zfs_state() == st
    r.ok("destroy", "-f", "ref")


def test_failed_upgrade_rolls_back_files_and_release(deb):
    """A suite the mirror does not have: apt-get update fails after the sources
    were switched; the jail, its sources and its release are as before."""
    r = deb
    u = mkjail(r, "upf")
    top = rootfs(r, u)
    before = meta(top)
    res = upgrade(r, "upf", "release=nosuchsuite")
    assert res.rc == 1, res
    last = res.err.splitlines()[-1]
    assert last.startswith("iocage: upgrade of 'upf' failed: ") and \
        ", release bookworm" in last, res.err
    assert meta(top) == before
    assert "bookworm" in read_in(top, "etc/apt/sources.list")
    assert r.ok("get", "release", "upf").strip() == "bookworm"
    assert state(r, "upf") == "down"
    r.ok("destroy", "-f", "upf")


def test_upgrade_killed_leaves_the_jail_as_before_or_complete(deb, tmp_path):
    """SIGKILL before the external steps an upgrade adds to or changes in an
    update's (to oldstable: the same packages as bookworm, so each run is
    short): its snapshot with the release in its mark, the first after it
    (the start, before the sources switch and full-upgrade run inside), the
    new release, each unmark.  The jail is as before, files and release; one cut
    short after its snapshot is rolled back by `clean`, the release put back
    with the files.  (The steps both share are walked one by one by
    test_update_killed_leaves_the_jail_as_before_or_complete: one code path.)"""
    r = deb
    u = mkjail(r, "upk")
    top = rootfs(r, u)
    before = meta(top)
    tf = tmp_path / "trace"
    res = upgrade(r, "upk", "release=oldstable", env={"IOC_FAULT_TRACE": str(tf)})
    assert res.rc == 0, res
    assert r.ok("get", "release", "upk").strip() == "oldstable"
    lines = tf.read_text().splitlines()
    last = max(i for i, l in enumerate(lines) if l.startswith("1 "))
    steps = [l.split(" ", 1) for l in lines[last:]]
    snap_at = step(steps, lambda c: c.startswith("zfs snapshot "))
    assert step(steps, lambda c: c.startswith("zfs set ") and ":release=oldstable" in c) > snap_at
    # back to bookworm for the walk
    first = snaps(r, u)["/root"][0]
    r.ok("rollback", "-f", "upk@" + first)
    r.ok("snapremove", "upk@" + first)
    sh("zfs", "set", PREFIX + "release=bookworm", "%s/jails/%s" % (r.name, u))
    assert meta(top) == before
    points = sorted({snap_at, snap_at + 1} | {
        int(k) for k, c in steps if int(k) > snap_at and (
            c.startswith("zfs set ") or c.startswith("zfs inherit "))})
    assert len(points) >= 5, steps
    for n in points:
        what = "step %d of %d: %s" % (n, len(steps), steps[n - 1][1][:60])
        res = upgrade(r, "upk", "release=oldstable", env={"IOC_FAULT_KILL": str(n)})
        assert res.rc in (-9, 137), (what, res)
        out = r.ok("clean")
        m = re.search(r"^upk: an interrupted update was rolled back to snapshot (\S+)$",
                      out, re.M)
        assert bool(m) == (n > snap_at), (what, out)
        assert state(r, "upk") == "down", what
        assert r.ok("get", "release", "upk").strip() == "bookworm", what
        got = meta(top)
        assert got == before, (what, sorted(k for k in set(got) | set(before)
                                            if got.get(k) != before.get(k))[:20])
        for sn in snaps(r, u).get("/root", []):
            r.ok("snapremove", "upk@" + sn)
    r.ok("destroy", "-f", "upk")
