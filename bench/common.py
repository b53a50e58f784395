"""What the benchmarks share: a file-backed pool of their own with an iocage
root and the busybox release on it, timing helpers, and RESULTS.md sections.

    with BenchRoot("iocbench", size_gb=8, subids=False) as b:
        b.io      # [IOCAGE, "-r", ROOT]
        b.root    # the root dataset; b.snap the release snapshot; b.work a temp dir

The pool is destroyed and the zfs-fuse daemon (if this started it) stopped on
the way out, even when interrupted; a subuid/subgid line added for the user
namespace is removed again.
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
from conftest import _busybox_tree  # noqa: E402  (the test suite's busybox rootfs)

IOCAGE = os.environ.get("IOCAGE", os.path.join(REPO, "iocage"))
KERNEL_ZFS = os.path.exists("/sys/module/zfs")
REPS = int(os.environ.get("BENCH_REPS", "7"))
PREFIX = "org.freebsd.iocage:"
SUB = "root:100000:65536\n"
RESULTS = os.path.join(HERE, "RESULTS.md")
RUNDIR = "/var/run/iocage"


def run_leftovers(root, existed):
    """Removes what iocage kept for root in its run directory (lock files, name
    hints, run-time records: the pool is gone), and the directory itself when
    this benchmark made it and nothing else is in it."""
    esc = root.replace("%", "%25").replace("/", "%2F")
    for sub in ("locks", "names", "running"):
        d = os.path.join(RUNDIR, sub)
        for n in (os.listdir(d) if os.path.isdir(d) else []):
            p = os.path.join(d, n)
            if not n.startswith(esc):
                continue
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.unlink(p)
    if not existed:
        for sub in ("locks", "names", "running", "lxc", ""):
            try:
                os.rmdir(os.path.join(RUNDIR, sub))
            except OSError:
                pass


def run(argv, env=None, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, env=env, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s: %s %s" % (argv, p.stdout, p.stderr))
    return p


def once(argv, **kw):
    """Seconds one run of argv takes."""
    t = time.perf_counter()
    run(argv, **kw)
    return time.perf_counter() - t


def timed(argv, reps=REPS):
    """Median seconds of reps runs."""
    return statistics.median(once(argv) for _ in range(reps))


def fill(path, mb):
    """A file of mb MiB of random (incompressible) data."""
    with open(path, "wb") as f:
        for _ in range(mb):
            f.write(os.urandom(1 << 20))


def destroy(ds):
    """zfs-fuse may still hold a just-made mount busy: unmount, retry."""
    for _ in range(50):
        subprocess.run(["zfs", "unmount", ds], capture_output=True)
        if subprocess.run(["zfs", "destroy", "-r", ds], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)


class BenchRoot:
    def __init__(self, name, size_gb=4, subids=False):
        self.pool = "%s%d" % (name, os.getpid())
        self.size = size_gb << 30
        self.subids = subids
        self.added = []
        self.daemon = None

    def __enter__(self):
        self.rundir_existed = os.path.isdir(RUNDIR)
        self.work = tempfile.mkdtemp(prefix="iocbench.")
        os.chmod(self.work, 0o755)
        signal.signal(signal.SIGTERM, lambda *a: (self.__exit__(None, None, None), sys.exit(1)))
        if not KERNEL_ZFS and subprocess.run(["pgrep", "-x", "zfs-fuse"],
                                             capture_output=True).returncode != 0:
            self.daemon = subprocess.Popen(["zfs-fuse", "--no-daemon"])
            for _ in range(100):
                if subprocess.run(["zpool", "list"], capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
        if self.subids:
            for f in ("/etc/subuid", "/etc/subgid"):
                have = open(f).read() if os.path.exists(f) else ""
                if SUB not in have:
                    with open(f, "a") as fh:
                        fh.write(SUB)
                    self.added.append(f)
        img = os.path.join(self.work, "pool.img")
        with open(img, "wb") as f:
            f.truncate(self.size)
        run(["zpool", "create", "-m", os.path.join(self.work, "mnt"), self.pool, img])
        run(["zfs", "create", self.pool + "/virt"])
        self.root = self.pool + "/virt/iocage"
        run([IOCAGE, "activate", self.root])
        self.io = [IOCAGE, "-r", self.root]
        tree = os.path.join(self.work, "tree")
        _busybox_tree(tree)
        tb = os.path.join(self.work, "bb.tar.gz")
        run(["tar", "-C", tree, "--owner=0", "--group=0", "-czf", tb, "."])
        run(self.io + ["fetch", "file=" + tb, "release=bb"])
        self.snap = self.root + "/releases/bb/root@ioc-release"
        return self

    def mountpoint(self, ds):
        return run(["zfs", "get", "-H", "-o", "value", "mountpoint", ds]).stdout.strip()

    def __exit__(self, *exc):
        if hasattr(self, "io"):
            subprocess.run(self.io + ["stop", "-f", "ALL"], capture_output=True)
            # undoes what activate made: the subordinate id line it added to
            # /etc/subuid and /etc/subgid (a destroyed pool would leave it)
            subprocess.run([IOCAGE, "deactivate", self.root], capture_output=True)
        subprocess.run(["zpool", "destroy", "-f", self.pool], capture_output=True)
        shutil.rmtree(self.work, ignore_errors=True)
        if hasattr(self, "root"):
            run_leftovers(self.root, self.rundir_existed)
        # liblxc's lock files of the containers of this lxcpath (runtime.py's LXC side)
        shutil.rmtree("/run/lxc/lock" + self.work, ignore_errors=True)
        try:
            os.rmdir(os.path.dirname("/run/lxc/lock" + self.work))
        except OSError:
            pass
        for f in self.added:
            lines = open(f).readlines()
            if SUB in lines:
                lines.remove(SUB)
            with open(f, "w") as fh:
                fh.writelines(lines)
        self.added = []
        if self.daemon:
            others = subprocess.run(["zpool", "list", "-H", "-o", "name"], capture_output=True,
                                    text=True).stdout.split()
            if not others:
                # wait for it to exit: the next benchmark looks for a daemon
                # and would talk to this one while it shuts down
                self.daemon.terminate()
                try:
                    self.daemon.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.daemon.kill()
                    self.daemon.wait()
            self.daemon = None
        return False


def write_section(title, lines):
    """Replaces (or appends) the section '## title' of bench/RESULTS.md."""
    old = open(RESULTS).read() if os.path.exists(RESULTS) else "# Benchmark results\n"
    head = "\n## " + title
    body = "\n".join([head.lstrip("\n"), ""] + lines).rstrip("\n") + "\n"
    if head in old:
        a = old.index(head)
        b = old.find("\n## ", a + 1)
        rest = old[b:] if b >= 0 else ""
        new = old[:a].rstrip("\n") + "\n\n" + body + rest
    else:
        new = old.rstrip("\n") + "\n\n" + body
    with open(RESULTS, "w") as f:
        f.write(new)
