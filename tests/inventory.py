"""Inventory and invariants of the host, taken around every test (conftest.py).

``inventory(pool, exclude_roots)`` records what a broken tool could change:

* every dataset of the test pool (roots that a wider fixture owns excepted),
  with every property and its source but the space figures: name, guid,
  origin, mounted, mountpoint and every ``org.freebsd.iocage:*`` property;
* the host mount table (mount point, file system type, source);
* processes living inside the pool (their root or working directory below
  the pool's mount point): after a test there must be none;
* host network interfaces, cgroup directories and LXC run-time directories
  of iocage containers;
* the SHA-256 of host sentinel files: files outside the pool that a tool
  writing through a planted symlink or a bad path would overwrite.

"Unchanged" means identical.  When another test session shares this host
(another ``ioct*`` pool exists: developers run suites side by side), the
host-global parts that session changes (interfaces, cgroups, LXC run-time
directories, mounts outside this pool, the subid files) are left out of the
comparison (``diff``); CI runs alone and compares everything.

``invariants(root)`` checks a root while its test's jails still exist:
every entry under R/jails is either a complete jail that ``list`` shows or
debris that it does not; no running container lacks its dataset; no host
mount below a jail root resolves outside it.
"""
import hashlib
import os
import re
import subprocess

SPACE_PROPS = {
    "used", "available", "referenced", "usedbychildren", "usedbydataset",
    "usedbysnapshots", "usedbyrefreservation", "compressratio",
    "refcompressratio", "written", "logicalused", "logicalreferenced",
}
HOST_FILES = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/hosts", "/etc/hostname",
              "/etc/resolv.conf", "/etc/subuid", "/etc/subgid", "/etc/fstab",
              "/etc/apt/sources.list")


def _digest(path):
    try:
        if os.path.islink(path):
            return "link:" + os.readlink(path)
        if os.path.isdir(path):
            return "dir:" + ",".join(sorted(os.listdir(path)))
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None
    except PermissionError as e:
        return "error:%s" % e


def sentinel_paths(sentinel_dir):
    res = list(HOST_FILES)
    for d, dirs, files in os.walk(sentinel_dir):
        res.append(d)
        res.extend(os.path.join(d, f) for f in files)
    return sorted(res)


def make_sentinels(sentinel_dir):
    """Files outside the pool that no command may ever write: a file, a
    directory with a file, a script a shell injection would create."""
    os.makedirs(os.path.join(sentinel_dir, "dir"), exist_ok=True)
    os.chmod(sentinel_dir, 0o755)
    for rel, data in (("file", b"sentinel\n"), ("dir/inner", b"inner sentinel\n"),
                      ("resolv.conf", b"nameserver 192.0.2.1\n")):
        with open(os.path.join(sentinel_dir, rel), "wb") as f:
            f.write(data)


def other_test_pools(own):
    """The other test sessions' pools on this host.  A worker's pool is on its
    own daemon, which no other process's `zpool list` reaches: the pool
    directories in /var/tmp (ioctPID.*, conftest.py) of live processes stand
    for them; and a worker always shares the host with the other worker."""
    out = subprocess.run(["zpool", "list", "-H", "-o", "name"], capture_output=True,
                         text=True).stdout.split()
    res = {p for p in out if p != own and (re.match(r"ioct\d+$", p) or
                                           p.startswith("iocdemo"))}
    for n in os.listdir("/var/tmp"):
        m = re.match(r"ioct(\d+)\.", n)
        if m and "ioct" + m.group(1) != own and int(m.group(1)) != os.getpid() and \
                os.path.exists("/proc/" + m.group(1)):
            res.add("ioct" + m.group(1))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        res.add("(another worker's pool)")
    return sorted(res)


def _datasets(pool, exclude_roots):
    out = subprocess.run(["zfs", "get", "-H", "-p", "-r", "-o", "name,property,value,source",
                          "all", pool.name], capture_output=True, text=True)
    res = {}
    for line in out.stdout.splitlines():
        f = line.split("\t")
        ds = f[0]
        if any(ds == r or ds.startswith(r + "/") or ds.startswith(r + "@")
               for r in exclude_roots):
            continue
        if f[1] in SPACE_PROPS:
            continue
        res.setdefault(ds, {})[f[1]] = ("\t".join(f[2:-1]), f[-1])
    return res


def _mounts():
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.rstrip("\n").split(" - ", 1)
            mp = pre.split(" ")[4]
            fstype, source = post.split(" ")[:2]
            if mp == "/zfs-kstat":
                continue  # the zfs-fuse daemon's, there while it runs
            res.append("%s %s %s" % (mp, fstype, source))
    return sorted(res)


def _own_mount(line, pool):
    mp, fstype, source = line.split(" ")
    return pool is not None and (mp.startswith(pool[1]) or source.split("/")[0] == pool[0])


def processes_inside(path):
    """PIDs whose root or working directory lies below path."""
    res = []
    path = os.path.realpath(path)
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for what in ("root", "cwd"):
            try:
                t = os.readlink("/proc/%s/%s" % (pid, what))
            except OSError:
                continue
            if t == path or t.startswith(path + "/"):
                res.append((int(pid), what, t))
                break
    return sorted(res)


def _links():
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return sorted(l.split(":")[1].strip().split("@")[0] for l in out.splitlines())


def _cgroups():
    res = []
    base = "/sys/fs/cgroup"
    for d, dirs, files in os.walk(base):
        rel = os.path.relpath(d, base)
        if rel.count("/") > 3:
            dirs[:] = []
            continue
        for n in dirs:
            if "ioc-" in n or "lxc" in n:
                res.append(os.path.join(rel, n))
    return sorted(res)


def inventory(pool, exclude_roots=(), sentinel_dir=None):
    """Everything, raw; diff() leaves out what another session may change."""
    inv = {"shared": other_test_pools(pool.name if pool is not None else ""), "pool": (pool.name, pool.mountpoint) if pool is not None else None,
           "own_mount_ns": os.environ.get("IOC_OWN_MOUNT_NS") == "1"}
    if pool is not None:
        inv["datasets"] = _datasets(pool, exclude_roots)
        inv["processes_in_pool"] = processes_inside(pool.mountpoint)
    inv["mounts"] = _mounts()
    inv["links"] = _links()
    inv["cgroups"] = _cgroups()
    lxc = "/var/run/iocage/lxc"
    inv["lxc_rundirs"] = sorted(os.listdir(lxc)) if os.path.isdir(lxc) else []
    paths = sentinel_paths(sentinel_dir) if sentinel_dir else list(HOST_FILES)
    inv["sentinels"] = {p: _digest(p) for p in paths}
    return inv


def _unshared(inv, pool):
    """inv without what other test sessions on this host change: their mounts,
    interfaces, cgroups, LXC directories, and their subids lines."""
    inv = dict(inv)
    # a worker in a mount namespace of its own sees only its own mounts
    if not inv.get("own_mount_ns"):
        inv["mounts"] = [m for m in inv["mounts"] if _own_mount(m, pool)] if pool else None
    for k in ("links", "cgroups", "lxc_rundirs"):
        inv.pop(k, None)
    inv["sentinels"] = {p: v for p, v in inv["sentinels"].items()
                        if p not in ("/etc/subuid", "/etc/subgid")}
    return inv


def diff(before, after):
    """Human-readable differences between two inventories (empty when identical)."""
    out = []
    if before["shared"] or after["shared"]:
        pool = before["pool"] or after["pool"]
        before, after = _unshared(before, pool), _unshared(after, pool)
    for key in sorted(set(before) | set(after)):
        if key in ("shared", "pool", "own_mount_ns"):
            continue
        a, b = after.get(key), before.get(key)
        if key not in before or key not in after or a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b), key=str):
                # a root's tag index (R/.tags) follows its jails' tags, and a root
                # made before it gets one at its first create: tag_index_problems
                # checks it against the jails instead
                if key == "datasets" and str(k).endswith("/.tags"):
                    continue
                if a.get(k) != b.get(k):
                    if isinstance(a.get(k), dict) and isinstance(b.get(k), dict):
                        for p in sorted(set(a[k]) | set(b[k])):
                            if a[k].get(p) != b[k].get(p):
                                out.append("%s: %s %s: %r -> %r" % (key, k, p, b[k].get(p),
                                                                    a[k].get(p)))
                    else:
                        out.append("%s: %s: %r -> %r" % (key, k, b.get(k), a.get(k)))
        elif isinstance(a, list) and isinstance(b, list):
            for x in sorted(set(map(str, b)) - set(map(str, a))):
                out.append("%s: gone: %s" % (key, x))
            for x in sorted(set(map(str, a)) - set(map(str, b))):
                out.append("%s: new: %s" % (key, x))
        else:
            out.append("%s: %r -> %r" % (key, b, a))
    return out


def invariants(root, list_out):
    """Problems found in a root whose test has just ended (empty list: none)."""
    problems = []
    jails_ds = root.name + "/jails"
    out = subprocess.run(["zfs", "get", "-H", "-r", "-o", "name,value", "org.freebsd.iocage:tag",
                          jails_ds], capture_output=True, text=True).stdout
    tags, names = {}, set()
    for line in out.splitlines():
        ds, val = line.split("\t", 1)
        if "@" in ds:
            continue
        names.add(ds)
        rel = ds[len(jails_ds) + 1:] if ds.startswith(jails_ds + "/") else None
        if rel and "/" not in rel:
            tags[rel] = val
    listed = {}
    for line in list_out.splitlines():
        f = line.split("\t")
        if len(f) > 4:
            listed[f[1]] = f[4]
    for uuid, tag in sorted(tags.items()):
        complete = tag not in ("-", "") and (jails_ds + "/" + uuid + "/root") in names
        if complete and uuid not in listed:
            problems.append("complete jail %s (%s) is not listed" % (uuid, tag))
        if not complete and uuid in listed:
            problems.append("debris %s is listed as a jail" % uuid)
    for uuid in listed:
        if uuid not in tags:
            problems.append("listed jail %s has no dataset" % uuid)
    jails_mp = os.path.join(root.mountpoint, "jails")
    for pid, what, path in processes_inside(jails_mp):
        uuid = os.path.relpath(path, jails_mp).split("/")[0]
        if uuid not in tags:
            problems.append("process %d runs in %s, which has no dataset" % (pid, path))
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split(" ")[4]
            if not mp.startswith(jails_mp + "/"):
                continue
            parts = os.path.relpath(mp, jails_mp).split("/")
            if len(parts) < 3 or parts[1] != "root":
                continue
            jr = os.path.realpath(os.path.join(jails_mp, parts[0], "root"))
            real = os.path.realpath(mp)
            if real != jr and not real.startswith(jr + "/"):
                problems.append("mount %s resolves outside its jail (%s)" % (mp, real))
    complete = {u: t for u, t in tags.items()
                if t not in ("-", "") and (jails_ds + "/" + u + "/root") in names}
    problems += tag_index_problems(root.name, complete)
    return problems


def tagidx_prop(tag):
    """The tag index's property for tag (src/core/tagidx.c), None when too long."""
    enc = "".join(":" + c.lower() if "A" <= c <= "Z" else c for c in tag)
    p = "org.freebsd.iocage:t." + enc
    return p if len(p) <= 255 else None


def tag_index(root_name):
    """(marked, {property: uuid}) of R/.tags; (False, {}) when there is none."""
    out = subprocess.run(["zfs", "get", "-H", "-o", "property,value,source", "all",
                          root_name + "/.tags"], capture_output=True, text=True)
    if out.returncode != 0:
        return False, {}
    marked, entries = False, {}
    for line in out.stdout.splitlines():
        prop, val, src = line.split("\t")
        if src != "local":
            continue
        if prop == "org.freebsd.iocage:tagindex":
            marked = val == "1"
        elif prop.startswith("org.freebsd.iocage:t."):
            entries[prop] = val
    return marked, entries


def tag_index_problems(root_name, complete):
    """A complete index (marked) has an entry naming each complete jail
    {uuid: tag} whose tag no other jail holds: what create trusts."""
    marked, entries = tag_index(root_name)
    if not marked:
        return []
    problems = []
    held = {}
    for uuid, tag in complete.items():
        held.setdefault(tag, []).append(uuid)
    for tag, uuids in sorted(held.items()):
        p = tagidx_prop(tag)
        if len(uuids) == 1 and p and entries.get(p) != uuids[0]:
            problems.append("tag index of %s: '%s' (jail %s) has entry %r" %
                            (root_name, tag, uuids[0], entries.get(p)))
    return problems
