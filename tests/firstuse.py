"""First-use artefacts: what the first run of the suite on a fresh host creates
once and would otherwise leave behind (conftest.py's session fixture).

A used machine hides them: on the machines where the suite was developed,
``/run/netns`` had been made by an earlier ``ip netns add`` long before, so the
session inventory never saw it appear, while on a newcomer's fresh Debian host
the first network namespace of the run left a new mount and ``make check``
failed.  This module names each such artefact, records before the first test
whether it existed, makes the ones tests create on first use exist at once (so
that every per-test inventory starts from the same host), and after the last
test removes exactly what this run created.  The session's report says, for
each, whether it was there before and what became of it.

Each artefact is a small object: ``name``, ``present()``, ``prepare()`` (make it
exist now, or nothing when tests never create it), ``remove()`` (undo what this
run made; returns what it did, "left: …" when it could not).  ``NetnsDir`` is
the mount; a ``Tree`` is a directory that programs fill on first use and never
empty (lock files, sockets, caches), of which exactly the entries this run
added are removed.  ``probe()`` lists them all; ``FirstUse`` also restores the
forwarding sysctls and unloads kernel modules the run loaded (where the kernel
has loadable modules: this machine's has none).
"""
import os
import subprocess


def _mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split(" ")[4] == path for line in f)


def _run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True)


class NetnsDir:
    """``/run/netns``: ``ip netns add`` bind-mounts it on itself (shared
    propagation) the first time any named namespace is made, and never undoes
    that.  Removable when no namespace file is left in it."""
    name = "/run/netns (mount made by the first 'ip netns add')"
    path = "/run/netns"

    def present(self):
        return os.path.isdir(self.path) or _mounted(self.path)

    def prepare(self):
        ns = "ioc-firstuse-%d" % os.getpid()
        if _run("ip", "netns", "add", ns).returncode == 0:
            _run("ip", "netns", "del", ns)

    def remove(self):
        if os.path.isdir(self.path) and os.listdir(self.path):
            return "left: still holds %s" % ", ".join(sorted(os.listdir(self.path)))
        for _ in range(8):  # stacked mounts come off one at a time
            if not _mounted(self.path):
                break
            _run("umount", self.path)
        if _mounted(self.path):
            return "left: cannot unmount it"
        try:
            os.rmdir(self.path)
        except FileNotFoundError:
            pass
        except OSError as e:
            return "left: %s" % e
        return "removed"


class LxcPivot:
    """``lxc.pivot``: the cgroup liblxc makes in every hierarchy when it first
    starts a container (it parks its monitor there) and never removes.  Made
    here before the first test like liblxc makes it, removed at the end when
    no process is in it."""
    name = "lxc.pivot cgroups (liblxc's, one per hierarchy)"

    @staticmethod
    def _hierarchies():
        base = "/sys/fs/cgroup"
        if os.path.exists(os.path.join(base, "cgroup.procs")):
            return [base]  # a unified (v2-only) host
        return sorted(os.path.join(base, d) for d in os.listdir(base)
                      if os.path.exists(os.path.join(base, d, "cgroup.procs")))

    def _dirs(self):
        return [os.path.join(h, "lxc.pivot") for h in self._hierarchies()]

    def present(self):
        return any(os.path.isdir(d) for d in self._dirs())

    def prepare(self):
        for d in self._dirs():
            try:
                os.mkdir(d)
            except OSError:
                pass

    def remove(self):
        left = []
        for d in self._dirs():
            try:
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError as e:
                left.append("%s (%s)" % (d, e.strerror))
        return "left: %s" % ", ".join(left) if left else "removed"


class Tree:
    """A directory tree a program fills on first use and never empties: iocage's
    run directory (a lock file for every root and jail ever locked), liblxc's
    lock directory (a lock file for every container ever started, kept after
    the container is gone).  What this run added is removed: files first, then
    the directories it made (the tree itself when it was not there before)."""

    def __init__(self, path, what, guard=None, packaged=False):
        self.path = path
        self.name = "%s (%s)" % (path, what)
        self.guard = guard
        self.packaged = packaged  # the directory itself comes with a package
        self.before = self._entries()

    def _entries(self):
        res = set()
        for d, dirs, fs in os.walk(self.path):
            res.add(d)
            res.update(os.path.join(d, f) for f in dirs + fs)
        return res

    def present(self):
        return bool(self._entries() - self.before)

    def prepare(self):
        pass

    def remove(self):
        new = self._entries() - self.before
        why = self.guard() if self.guard else None
        if why:
            return "left: %s" % why
        left = []
        for p in sorted(new, key=len, reverse=True):  # deepest first
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    os.rmdir(p)
                else:
                    os.unlink(p)
            except OSError as e:
                left.append("%s (%s)" % (p, e.strerror))
        if left:
            return "left: %s" % ", ".join(left[:5])
        return "removed (%d)" % len(new)


class Sysctl:
    """A kernel setting a test (or a NAT jail) may turn on: restored to the
    value it had before the run."""

    def __init__(self, key):
        self.key = key
        self.path = "/proc/sys/" + key.replace(".", "/")
        self.name = "sysctl %s" % key
        self.before = self._read()

    def _read(self):
        try:
            with open(self.path) as f:
                return f.read().strip()
        except OSError:
            return None

    def changed(self):
        return self._read() != self.before

    def remove(self):
        if not self.changed():
            return "unchanged"
        with open(self.path, "w") as f:
            f.write(self.before + "\n")
        return "restored to %s" % self.before


class Modules:
    """Kernel modules loaded on first use (veth, bridge, macvlan, nf_tables…);
    a kernel without loadable modules (no /proc/modules) has none.  Modules
    this run loaded are unloaded again when nothing uses them."""
    name = "kernel modules loaded by this run"

    def __init__(self):
        self.before = self._loaded()

    @staticmethod
    def _loaded():
        try:
            with open("/proc/modules") as f:
                return {line.split()[0]: int(line.split()[2]) for line in f}
        except OSError:
            return None

    def new(self):
        now = self._loaded()
        if now is None or self.before is None:
            return []
        return sorted(set(now) - set(self.before))

    def remove(self):
        for _ in range(3):  # dependencies come off after their users
            for m in self.new():
                _run("rmmod", m)
        left = self.new()
        return "left loaded: %s" % ", ".join(left) if left else "none left"


def _pools_left():
    out = _run("zpool", "list", "-H", "-o", "name").stdout.split()
    return "pools still imported: %s" % ", ".join(out) if out else None


def _zfs_fuse_runs():
    return "the zfs-fuse daemon still runs" if _run("pgrep", "-x", "zfs-fuse").returncode == 0 \
        else None


def probe():
    """The artefacts, in the order they are reported."""
    return [NetnsDir(), LxcPivot(),
            Tree(os.path.realpath("/var/run/iocage"), "iocage's run directory: lock files"),
            Tree("/run/lxc", "liblxc's lock files, one per container ever started"),
            Tree("/run/mount", "util-linux's mount table helper"),
            Tree("/run/zfs", "zfs-fuse's socket", _zfs_fuse_runs),
            Tree("/run/lock/zfs", "zfs-fuse's lock", _zfs_fuse_runs),
            Tree("/var/lib/zfs", "zfs-fuse's pool cache", _pools_left, packaged=True),
            # the subids fixtures' registry: removed by the last session that leaves it
            # (runhelp.subids_leave); listed here so that a run that left it shows
            Tree("/var/tmp/ioc-test-subids", "the subids fixtures' registry",
                 lambda: "a test session still uses it"
                 if os.path.exists("/var/tmp/ioc-test-subids") else None)]


class FirstUse:
    """Records the first-use artefacts before the session, makes the ones tests
    create exist, and removes at the end what this run created."""

    def __init__(self):
        self.items = [(a, a.present()) for a in probe()]
        self.sysctls = [Sysctl(k) for k in ("net.ipv4.ip_forward",
                                           "net.ipv6.conf.all.forwarding")]
        self.modules = Modules()
        self.report = []

    def prepare(self):
        for a, was in self.items:
            if not was:
                a.prepare()

    def cleanup(self, shared=False):
        """Undoes what this run created; ``shared``: another test session uses
        the host, so nothing host-wide is removed under it.  Returns report
        lines (also in ``self.report``); what this run made and could not
        remove is in ``self.leftover``."""
        out, self.leftover = [], []
        for a, was in self.items:
            if was:
                out.append("%s: there before this run, left as found" % a.name)
            elif not a.present():
                out.append("%s: not made by this run" % a.name)
            elif shared:
                out.append("%s: made by this run, left (another test session shares the host)"
                           % a.name)
            else:
                what = a.remove()
                out.append("%s: made by this run, %s" % (a.name, what))
                if what.startswith("left"):
                    self.leftover.append(out[-1])
        for s in self.sysctls:
            if s.changed():
                out.append("%s: changed by this run (%s), %s" % (s.name, s._read(), s.remove()))
        mods = self.modules.new()
        if mods:
            out.append("%s: %s; %s" % (self.modules.name, ", ".join(mods), self.modules.remove()))
        self.report = out
        return out


def reset_host():
    """Removes every first-use artefact, making this host look fresh to the
    suite (for rehearsing `.ci/run` as a newcomer meets it).  Refuses while a
    pool is imported, zfs-fuse runs or a network namespace exists."""
    import shutil
    why = _pools_left() or _zfs_fuse_runs()
    if why:
        return ["refused: %s" % why]
    out = []
    for a in probe():
        if isinstance(a, Tree):
            if a.packaged and os.path.isdir(a.path):
                for n in os.listdir(a.path):
                    p = os.path.join(a.path, n)
                    shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) \
                        else os.unlink(p)
                    out.append("%s: removed %s" % (a.name, n))
            elif os.path.lexists(a.path):
                shutil.rmtree(a.path) if os.path.isdir(a.path) else os.unlink(a.path)
                out.append("%s: removed" % a.name)
        elif a.present():
            out.append("%s: %s" % (a.name, a.remove()))
    return out


if __name__ == "__main__":
    import sys
    if sys.argv[1:] != ["--reset-host"]:
        sys.exit("usage: python3 tests/firstuse.py --reset-host")
    lines = reset_host()
    print("\n".join(lines) or "nothing to remove: the host is fresh already")
    sys.exit(1 if any(l.startswith("refused") or ": left" in l for l in lines) else 0)
