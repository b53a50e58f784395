"""Test harness for iocage Pool Party: a real zfs-fuse pool, real binary.

Fixtures (pytest):

* ``zfs_daemon`` (session): makes sure ZFS answers.  The session hooks (the
  controlling process, before any xdist worker) start ``zfs-fuse`` when no ZFS
  kernel module is loaded and no daemon runs, and stop only a daemon they
  started, after the last test (its messages: ``build/zfs-fuse.log``).  Each
  xdist worker runs a daemon of its own in a mount namespace of its own
  (``_own_daemon_start``; ``build/zfs-fuse.gwN.log``).
* ``pool`` (session): a file-backed pool ``ioct<PID>`` on a sparse file in a
  temporary directory, with neighbour datasets standing for other tenants:
  ``POOL/vbox`` (files), ``POOL/ezjail`` (files, a user property),
  ``POOL/virt`` (parent of the roots) and ``POOL/virt/other`` (files).
  Destroyed at the end of the session.  ``pool.name``, ``pool.mountpoint``.
* ``root`` (function): a fresh root ``POOL/virt/iocN`` activated with the
  binary under test.  ``root.name``, ``root.mountpoint``,
  ``root.run(*args, input=None, env=None, timeout=600)`` -> ``Result``
  (``.rc``, ``.out``, ``.err``; ``-r ROOT`` is passed for you),
  ``root.ok(*args)`` asserts exit 0 and returns stdout,
  ``root.fail(*args, rc=1)`` asserts that exit status and returns stderr,
  ``root.zfs_state()`` a snapshot of every dataset/property under the root
  (to prove "nothing changed").  After the test the root is destroyed and the
  neighbours are compared with their state before the test (datasets,
  properties, file checksums): a test that touched them fails.
* ``busybox_tarball`` (session): a .tar.gz of a busybox root filesystem
  (static busybox, applet links, /etc/passwd, /etc/group).
* ``release`` (function): a ``root`` with the busybox release ``bb`` already
  installed the way ``fetch file=`` installs it (``R/releases/bb/root``
  extracted, owners shifted by 100000 for the Linux user namespace, recorded
  as ``org.freebsd.iocage:release_idmap``, snapshot ``@ioc-release``).
  ``release.release == "bb"``.

Environment: ``IOCAGE_BIN`` (default ``build/iocage-asan`` if built, else
``./iocage``).  Sanitizer reports in a command's stderr fail the test.
"""
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time

import pytest

import firstuse
import inventory

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "org.freebsd.iocage:"
SHIFT = 100000
SPACE_PROPS = {
    "used", "available", "referenced", "usedbychildren", "usedbydataset",
    "usedbysnapshots", "usedbyrefreservation", "compressratio",
    "refcompressratio", "written", "logicalused", "logicalreferenced",
}


def iocage_bin():
    b = os.environ.get("IOCAGE_BIN")
    if b:
        return os.path.abspath(b)
    asan = os.path.join(REPO, "build", "iocage-asan")
    if os.path.exists(asan):
        return asan
    return os.path.join(REPO, "iocage")


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    def __repr__(self):
        return "Result(%r, rc=%d, out=%r, err=%r)" % (self.args, self.rc, self.out, self.err)


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer",
                   # valgrind memcheck (tests/valgrind-iocage)
                   "Invalid read of", "Invalid write of", "Invalid free", "Mismatched free",
                   "definitely lost in", "indirectly lost in", "uninitialised value",
                   "Syscall param", "Source and destination overlap")


# Figures for tests/RELIABILITY.md (scripts/reliability-report.py), written to
# build/reliability-figures.json at the end of a session.
FIGURES = {"commands": 0, "faults_killed": 0, "faults_failed": 0, "hostile_commands": 0,
           "sanitizer_reports": 0, "inventory_checks": 0, "inventory_diffs": 0,
           "invariant_checks": 0, "invariant_problems": 0, "tests": {}}
HOSTILE_WORDS = ("hostile", "attack", "bad", "corrupt", "symlink", "traversal", "injection",
                 "truncated", "garbage", "wrong", "refused", "unknown", "disk")
_current_test = [""]


def run_iocage(args, input=None, env=None, timeout=600):
    FIGURES["commands"] += 1
    if env and env.get("IOC_FAULT_KILL"):
        FIGURES["faults_killed"] += 1
    if env and env.get("IOC_FAULT_FAIL"):
        FIGURES["faults_failed"] += 1
    if any(w in _current_test[0] for w in HOSTILE_WORDS):
        FIGURES["hostile_commands"] += 1
    e = dict(os.environ)
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=86")
    supp = os.path.join(REPO, "tests", "lsan.supp")
    if os.path.exists(supp):
        e.setdefault("LSAN_OPTIONS", "suppressions=" + supp)
    e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    if env:
        e.update(env)
    p = subprocess.run([iocage_bin()] + list(args), input=input, capture_output=True,
                       text=True, env=e, timeout=timeout, errors="replace")
    if any(m in p.stderr for m in SANITIZER_MARKS):
        FIGURES["sanitizer_reports"] += 1
    for m in SANITIZER_MARKS:
        assert m not in p.stderr, "sanitizer report from %r:\n%s" % (args, p.stderr)
    return Result(list(args), p.returncode, p.stdout, p.stderr)


def sh(*argv, check=True, input=None):
    """Runs a host command (argv, no shell) and returns stdout."""
    p = subprocess.run(list(argv), capture_output=True, text=True, input=input)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (argv, p.returncode, p.stderr))
    return p.stdout


def zfs_get_all(name):
    """{dataset: {prop: (value, source)}} for name and below (snapshots included)."""
    out = sh("zfs", "get", "-H", "-p", "-r", "-o", "name,property,value,source", "all", name)
    res = {}
    for line in out.splitlines():
        f = line.split("\t")
        res.setdefault(f[0], {})[f[1]] = ("\t".join(f[2:-1]), f[-1])
    return res


def tree_digest(path):
    """sha256 of every file (and link target) below path, by relative name."""
    res = {}
    for d, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            rel = os.path.relpath(p, path)
            if os.path.islink(p):
                res[rel] = "link:" + os.readlink(p)
            else:
                with open(p, "rb") as fh:
                    res[rel] = hashlib.sha256(fh.read()).hexdigest()
    return res


_DAEMON = [None]  # the zfs-fuse process this session started, if any


def _zfs_daemon_stop():
    """Stops the daemon this session started, only when no other pool is left
    on it (several test sessions may share one daemon on a developer's
    machine).  Called by pytest_sessionfinish in the controlling process,
    before the last inventory; idempotent."""
    started = _DAEMON[0]
    if started is None:
        return
    listed = subprocess.run(["zpool", "list", "-H", "-o", "name"], capture_output=True,
                            text=True)
    # a failed listing says nothing about other sessions' pools: keep the daemon
    if listed.returncode != 0 or listed.stdout.split():
        return
    _DAEMON[0] = None
    _end_daemon(started)


def _end_daemon(p):
    """Terminated, else killed, and reaped either way: an unreaped daemon is a
    zombie that pgrep still finds (the first-use check then saw "still runs")."""
    p.terminate()
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(30)


def _wait_for_zfs():
    for _ in range(100):
        if subprocess.run(["zpool", "list"], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)


def _zfs_daemon_start():
    """Starts zfs-fuse when no ZFS kernel module is loaded and no daemon runs
    (the controlling process, before any worker: see pytest_sessionstart)."""
    if not os.path.exists("/sys/module/zfs") and subprocess.run(
            ["pgrep", "-x", "zfs-fuse"], capture_output=True).returncode != 0:
        # its messages (an assertion it dies of) in build/zfs-fuse.log
        os.makedirs(os.path.join(REPO, "build"), exist_ok=True)
        with open(os.path.join(REPO, "build", "zfs-fuse.log"), "ab") as log:
            _DAEMON[0] = subprocess.Popen(["zfs-fuse", "--no-daemon"], stdout=log, stderr=log)
    _wait_for_zfs()


# A worker's own daemon (xdist on zfs-fuse): one zfs-fuse daemon shared by
# two busy pools died or deadlocked in full parallel runs, so each worker
# runs its own, in a mount namespace of its own where zfs-fuse's fixed paths
# (its socket, lock and pool cache) are private tmpfs mounts.
CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
ZFS_FUSE_DIRS = ("/run/zfs", "/run/lock/zfs", "/var/lib/zfs")


def _libc_call(name, *args):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, name)
    if fn(*args) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (name, os.strerror(e)))


def _own_daemon_start():
    """Moves this worker into a mount namespace of its own and starts its own
    zfs-fuse there (only where no ZFS kernel module is loaded).  The
    controlling process made the directories (its own daemon did), so no
    directory is created on the host here.  Every process the worker starts
    (zfs, iocage, LXC containers) inherits the namespace and sees only this
    worker's pool and mounts."""
    if os.path.exists("/sys/module/zfs"):
        return
    _libc_call("unshare", CLONE_NEWNS)
    # unshare moves the calling thread only: it must be the main thread, whose
    # children (subprocess) and /proc/self views then use the new namespace
    assert os.readlink("/proc/self/ns/mnt") == os.readlink("/proc/thread-self/ns/mnt"), \
        "the worker is not on its main thread: cannot give it a mount namespace"
    _libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    os.environ["IOC_OWN_MOUNT_NS"] = "1"  # inventory.py: its mounts are its own
    for d in ZFS_FUSE_DIRS:
        assert os.path.isdir(d), "%s missing: the controlling process starts zfs-fuse first" % d
        _libc_call("mount", b"tmpfs", d.encode(), b"tmpfs", 0, b"mode=0755")
    log = open(os.path.join(REPO, "build", "zfs-fuse.%s.log" % os.environ["PYTEST_XDIST_WORKER"]),
               "ab")
    import signal

    def die_with_worker():
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    with log:
        _DAEMON[0] = subprocess.Popen(["zfs-fuse", "--no-daemon"], stdout=log, stderr=log,
                                      preexec_fn=die_with_worker)
    _wait_for_zfs()


def _own_daemon_stop():
    """The worker's daemon, after its pool was destroyed (session fixtures
    end before pytest_sessionfinish)."""
    d = _DAEMON[0]
    if d is None:
        return
    _DAEMON[0] = None
    _end_daemon(d)


@pytest.fixture(scope="session")
def zfs_daemon():
    """ZFS answers: the session hooks started the daemon where it was missing."""
    assert subprocess.run(["zpool", "list"], capture_output=True).returncode == 0, \
        "ZFS does not answer (zfs-fuse not running?)"


class Pool:
    pass


@pytest.fixture(scope="session")
def pool(zfs_daemon, tmp_path_factory):
    p = Pool()
    p.name = "ioct%d" % os.getpid()
    # not below pytest's basetemp: pytest prunes old basetemps, which on a
    # machine running several sessions can delete another session's pool file
    p.dir = tempfile.mkdtemp(prefix="ioct%d." % os.getpid(), dir="/var/tmp")
    os.chmod(p.dir, 0o755)
    p.file = os.path.join(p.dir, "pool.img")
    p.mountpoint = os.path.join(p.dir, "mnt")
    with open(p.file, "wb") as f:
        f.truncate(4 << 30)
    sh("zpool", "create", "-m", p.mountpoint, p.name, p.file)
    try:
        for ds in ("vbox", "ezjail", "virt", "virt/other"):
            sh("zfs", "create", "%s/%s" % (p.name, ds))
        sh("zfs", "set", "org.ezjail:owner=someone", "%s/ezjail" % p.name)
        sh("zfs", "set", PREFIX + "boot=on", "%s/virt" % p.name)  # a foreign would-be default
        for ds, files in (("vbox", {"disk.vdi": b"\0" * 4096, "vm.vbox": b"<vbox/>"}),
                          ("ezjail", {"jails/www/etc/rc.conf": b"sshd_enable=YES\n"}),
                          ("virt/other", {"data.txt": b"keep me\n"})):
            for rel, data in files.items():
                fp = os.path.join(p.mountpoint, ds, rel)
                os.makedirs(os.path.dirname(fp), exist_ok=True)
                with open(fp, "wb") as fh:
                    fh.write(data)
        p.counter = itertools.count(1)
        yield p
    finally:
        problem = destroy_pool(p.name)
        if problem:
            print(problem)
        shutil.rmtree(p.dir, ignore_errors=True)


def destroy_pool(name, tries=10):
    """`zpool destroy -f` of a pool this session made, retried: zfs-fuse may
    still be busy with a dataset unmounted a moment ago, and a pool left
    behind comes back FAULTED from its cache at the daemon's next start.
    None when it went, else what the last try said."""
    for _ in range(tries):
        d = subprocess.run(["zpool", "destroy", "-f", name], capture_output=True, text=True)
        if d.returncode == 0:
            return None
        time.sleep(1)
    return "could not destroy pool %s: %s" % (name, d.stderr)


def neighbour_state(pool, exclude):
    """Everything about the pool except the root under test (and space figures of its ancestors)."""
    allp = zfs_get_all(pool.name)
    state = {}
    for ds, props in allp.items():
        if ds == exclude or ds.startswith(exclude + "/") or ds.startswith(exclude + "@"):
            continue
        state[ds] = {k: v for k, v in props.items()
                     if k not in SPACE_PROPS}
    files = {}
    for ds in ("vbox", "ezjail", "virt/other"):
        files[ds] = tree_digest(os.path.join(pool.mountpoint, ds))
    return state, files


class Root:
    def __init__(self, pool, name):
        self.pool = pool
        self.name = name
        self.mountpoint = os.path.join(pool.mountpoint, name.split("/", 1)[1])

    def run(self, *args, input=None, env=None, timeout=600):
        return run_iocage(["-r", self.name] + list(args), input=input, env=env, timeout=timeout)

    def ok(self, *args, input=None, env=None):
        r = self.run(*args, input=input, env=env)
        assert r.rc == 0, r
        return r.out

    def fail(self, *args, rc=1, input=None, env=None):
        r = self.run(*args, input=input, env=env)
        assert r.rc == rc, r
        return r.err

    def zfs_state(self, space=False):
        """Every dataset, snapshot and property under the root but the tag
        index; space figures (used, available, ...) only with space=True, as
        they move with any write."""
        st = zfs_get_all(self.name)
        # the tag index (R/.tags) is iocage's bookkeeping, not a jail's state:
        # test_tagidx.py checks what each command writes there
        st.pop(self.name + "/.tags", None)
        if not space:
            st = {ds: {k: v for k, v in props.items() if k not in SPACE_PROPS}
                  for ds, props in st.items()}
        return st

    def jails(self):
        """{tag: uuid} from `list -H`."""
        res = {}
        for line in self.ok("list", "-H").splitlines():
            f = line.split("\t")
            res[f[4]] = f[1]
        return res


def _destroy_tree(name, tries):
    """zfs destroy -r, retried while zfs-fuse answers "busy" (it may, right
    after an unmount); True when the tree is gone."""
    for _ in range(tries):
        d = subprocess.run(["zfs", "destroy", "-r", name], capture_output=True, text=True)
        if d.returncode == 0 or "busy" not in d.stderr:
            return d.returncode == 0
        time.sleep(0.25)
    return False


def destroy_root(name):
    # zfs-fuse cannot destroy mounted datasets.  Fast path: one unmount of the
    # root takes its children down with it (two commands in all)
    if subprocess.run(["zfs", "unmount", "-f", name], capture_output=True).returncode == 0 \
            and _destroy_tree(name, 4):
        return
    # else (the root itself was not mounted, or a child stays busy): children
    # first, each unmounted
    out = subprocess.run(["zfs", "get", "-H", "-r", "-o", "name", "type", name],
                         capture_output=True, text=True).stdout.split()
    for ds in sorted((d for d in out if "@" not in d), key=len, reverse=True):
        subprocess.run(["zfs", "unmount", "-f", ds], capture_output=True)
    _destroy_tree(name, 20)


@pytest.fixture
def root(pool):
    name = "%s/virt/ioc%d" % (pool.name, next(pool.counter))
    before = neighbour_state(pool, name)
    r = run_iocage(["activate", name])
    assert r.rc == 0, r
    rt = Root(pool, name)
    yield rt
    listed = run_iocage(["-r", name, "list", "-H"])
    templates = run_iocage(["-r", name, "list", "-t", "-H"])
    problems = inventory.invariants(rt, listed.out + templates.out) \
        if listed.rc == 0 and templates.rc == 0 else \
        ["list failed after the test: %r %r" % (listed, templates)]
    destroy_root(name)
    FIGURES["invariant_checks"] += 1
    FIGURES["invariant_problems"] += len(problems)
    assert not problems, "invariants broken:\n" + "\n".join(problems)
    after = neighbour_state(pool, name)
    if after[0] != before[0]:
        diff = []
        for ds in sorted(set(after[0]) | set(before[0])):
            a, b = after[0].get(ds), before[0].get(ds)
            if a == b:
                continue
            if a is None or b is None:
                diff.append("%s: %s" % (ds, "appeared" if b is None else "vanished"))
                continue
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    diff.append("%s %s: %r -> %r" % (ds, k, b.get(k), a.get(k)))
        raise AssertionError("neighbour datasets or properties changed:\n" + "\n".join(diff))
    assert after[1] == before[1], "neighbour files changed"


def _busybox_tree(dest):
    bb = shutil.which("busybox") or "/bin/busybox"
    os.makedirs(dest)
    for d in ("bin", "sbin", "etc", "dev", "proc", "sys", "tmp", "root", "var/run", "run",
              "usr/bin", "usr/sbin", "home"):
        os.makedirs(os.path.join(dest, d), exist_ok=True)
    shutil.copy2(bb, os.path.join(dest, "bin", "busybox"))
    applets = subprocess.run([bb, "--list-full"], capture_output=True, text=True).stdout.split()
    for a in applets:
        p = os.path.join(dest, a)
        if a == "bin/busybox" or os.path.lexists(p):
            continue
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink("/bin/busybox", p)
    with open(os.path.join(dest, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(os.path.join(dest, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    with open(os.path.join(dest, "etc", "hostname"), "w") as f:
        f.write("busybox\n")
    with open(os.path.join(dest, "etc", "os-release"), "w") as f:
        f.write("ID=busybox\nNAME=\"busybox test release\"\n")
    os.link(os.path.join(dest, "etc", "hostname"), os.path.join(dest, "etc", "hard2"))
    os.chmod(os.path.join(dest, "tmp"), 0o1777)


@pytest.fixture(scope="session")
def busybox_tarball(tmp_path_factory):
    d = tmp_path_factory.mktemp("busybox")
    tree = os.path.join(str(d), "tree")
    _busybox_tree(tree)
    tb = os.path.join(str(d), "busybox-rootfs.tar.gz")

    def owner_root(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti
    with tarfile.open(tb, "w:gz") as t:
        for name in sorted(os.listdir(tree)):
            t.add(os.path.join(tree, name), arcname=name, filter=owner_root)
    return tb


def install_release(root, tarball, rel="bb", shift=SHIFT):
    """Installs a release dataset the way `fetch file=` does (see module docstring)."""
    ds = "%s/releases/%s" % (root.name, rel)
    idmap = "%d:65536" % shift if shift else "none"
    # the properties set with the create: fewer zfs round trips per test
    sh("zfs", "create", "-o", PREFIX + "release_source=file",
       "-o", PREFIX + "release_idmap=" + idmap, ds)
    sh("zfs", "create", ds + "/root")
    mp = sh("zfs", "get", "-H", "-o", "value", "mountpoint", ds + "/root").strip()
    with tarfile.open(tarball) as t:
        t.extractall(mp, numeric_owner=True)
    if shift:
        seen = set()    # each inode once: directories come twice, hard links more
        for d, dirs, files in os.walk(mp):
            for n in [d] + [os.path.join(d, x) for x in dirs + files]:
                st = os.lstat(n)
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                os.lchown(n, st.st_uid + shift, st.st_gid + shift)
                if not os.path.islink(n):
                    os.chmod(n, st.st_mode & 0o7777)
    sh("zfs", "snapshot", ds + "/root@ioc-release")
    return mp


@pytest.fixture
def release(root, busybox_tarball):
    install_release(root, busybox_tarball)
    root.release = "bb"
    return root


@pytest.fixture(scope="session")
def sentinels():
    """A directory outside the pool holding sentinel files (inventory.py):
    tests point planted symlinks at it; no command may ever change it."""
    d = tempfile.mkdtemp(prefix="ioc-sentinel.", dir="/var/tmp")
    inventory.make_sentinels(d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _is_worker(config):
    """True in a pytest-xdist worker; the controlling process (or a run
    without workers) owns the host-wide set-up."""
    return hasattr(config, "workerinput")


SESSION = {}


def pytest_sessionstart(session):
    """The whole run leaves the host as it found it.  Taken once, in the
    controlling process, before any worker starts and after every worker has
    ended: the inventory of the host (interfaces, cgroups, LXC run-time
    directories, mounts, host files) compared in full, whatever ran in
    between; the first-use artefacts; the subordinate id range; the zfs-fuse
    daemon.  Per-test inventories (_test_inventory) run in the workers."""
    if _is_worker(session.config):
        _own_daemon_start()
        return
    SESSION["before"] = inventory.inventory(None)
    # what a fresh host lacks and the first test would create once (/run/netns):
    # made now, so every test starts from the same host, and removed at the end
    fu = FIRST_USE[0] = firstuse.FirstUse()
    fu.prepare()
    # the subordinate id range of unprivileged jails, there for every test:
    # activate adds it only where it is missing (test_firstrun.py shows that)
    import runhelp
    SESSION["subids"] = runhelp.subids_enter()
    _zfs_daemon_start()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """After the tests' own session fixtures are torn down (trylast: pools
    destroyed) and, under xdist, after every worker has ended."""
    if _is_worker(session.config):
        session.config.workeroutput["figures"] = json.dumps(FIGURES)
        _own_daemon_stop()
        return
    if "before" not in SESSION:
        return
    import runhelp
    runhelp.subids_leave(SESSION.pop("subids"))
    _zfs_daemon_stop()
    fu = FIRST_USE[0]
    fu.cleanup(shared=bool(inventory.other_test_pools("")))
    after = inventory.inventory(None)
    d = inventory.diff(SESSION.pop("before"), after) + fu.leftover
    FIGURES["inventory_checks"] += 1
    FIGURES["inventory_diffs"] += len(d)
    write_figures()
    if d:
        SESSION["host_diff"] = d
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """A worker's figures, added to the controlling process's."""
    out = getattr(node, "workeroutput", {}).get("figures")
    if out:
        merge_figures(FIGURES, json.loads(out))


@pytest.fixture(autouse=True)
def _test_inventory(request, sentinels):
    """Every test leaves the host, the pool and the sentinels as it found them,
    roots made by module fixtures included: a test that changes its module's
    root on purpose puts it back."""
    pool = request.getfixturevalue("pool") if "pool" in request.fixturenames else None
    before = inventory.inventory(pool, (), sentinels)
    yield
    after = inventory.inventory(pool, (), sentinels)
    d = inventory.diff(before, after)
    FIGURES["inventory_checks"] += 1
    FIGURES["inventory_diffs"] += len(d)
    assert not d, "the test changed the host or the pool:\n" + "\n".join(d)


def pytest_runtest_setup(item):
    _current_test[0] = item.nodeid.lower()


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        mod = report.nodeid.split("::")[0]
        t = FIGURES["tests"].setdefault(mod, {"passed": 0, "failed": 0, "skipped": 0})
        t[report.outcome] += 1
    elif report.when == "teardown" and report.outcome == "failed":
        mod = report.nodeid.split("::")[0]
        FIGURES["tests"].setdefault(mod, {"passed": 0, "failed": 0, "skipped": 0})["failed"] += 1


FIRST_USE = [None]


def pytest_terminal_summary(terminalreporter):
    """Says which first-use artefacts existed before the run and what became
    of those it made (firstuse.py)."""
    d = SESSION.get("host_diff")
    if d:
        terminalreporter.write_sep("=", "FAILED: the test session changed the host", red=True)
        for line in d:
            terminalreporter.write_line(line)
    fu = FIRST_USE[0]
    if fu is None or not fu.report:
        return
    terminalreporter.write_sep("-", "first-use artefacts")
    for line in fu.report:
        terminalreporter.write_line(line)


def merge_figures(into, other):
    """Adds one run's figures to another's (xdist workers; the serial pass)."""
    for k, v in other.items():
        if k == "tests":
            for mod, counts in v.items():
                t = into["tests"].setdefault(mod, {"passed": 0, "failed": 0, "skipped": 0})
                for o, n in counts.items():
                    t[o] = t.get(o, 0) + n
        else:
            into[k] = into.get(k, 0) + v


def write_figures():
    """build/IOC_FIGURES (reliability-figures.json); with IOC_FIGURES_ADD=1
    this run's figures are added to the file's (run.sh's serial pass)."""
    os.makedirs(os.path.join(REPO, "build"), exist_ok=True)
    name = os.path.join(REPO, "build", os.environ.get("IOC_FIGURES", "reliability-figures.json"))
    figures = FIGURES
    if os.environ.get("IOC_FIGURES_ADD") == "1" and os.path.exists(name):
        with open(name) as f:
            figures = json.load(f)
        merge_figures(figures, FIGURES)
    with open(name, "w") as f:
        json.dump(figures, f, indent=1, sort_keys=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes (a real debootstrap); runs by default")
    config.addinivalue_line("markers", "serial: changes host-wide state other tests rely on "
                            "(the subordinate id lines, the nftables table, the forwarding "
                            "sysctl) or needs a host no other test uses: run.sh runs these "
                            "after the parallel pass, alone")


# Under xdist (IOC_TEST_WORKERS): the test files that take longest, started
# first so that no worker is left with a long file at the end (--dist loadfile
# hands out files in collection order); measured with --durations.
SLOW_FIRST = ("test_update.py", "test_fetch.py")


def pytest_collection_modifyitems(session, config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # one process: the files in their usual order
    def rank(item):
        name = os.path.basename(str(item.fspath))
        return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)
    items.sort(key=rank)  # stable: the order within a file is kept
