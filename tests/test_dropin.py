"""Drop-in fidelity with the shell iocage (issue 13): outputs that scripts
parse, pinned to the shell iocage's own source (iocage/iocage_legacy, tag
v1.7.6; the file and function are named in each test)."""
import re

from conftest import PREFIX, sh
from runhelp import rel, subids  # noqa: F401

# lib/ioc-globals (v1.7.6): CONF_NET, CONF_JAIL, CONF_RCTL, CONF_CUSTOM, in the
# order __get_jail_prop walks them for `get all` (names this project lacks left out)
LEGACY_ALL = [
    "interfaces", "vnet", "host_hostname", "hostname", "ip4_addr", "ip4_saddrsel", "ip4", "ip6_addr",
    "ip6_saddrsel", "ip6", "defaultrouter", "defaultrouter6", "resolver", "exec_fib",
    "vnet0_mac", "vnet1_mac", "vnet2_mac", "vnet3_mac", "devfs_ruleset", "mount_devfs",
    "exec_start", "exec_stop", "exec_prestart", "exec_prestop", "exec_poststop",
    "exec_poststart", "exec_clean", "exec_timeout", "stop_timeout", "exec_jail_user",
    "exec_system_jail_user", "exec_system_user", "mount_fdescfs", "mount_procfs",
    "enforce_statfs", "children_max", "login_flags", "securelevel", "allow_set_hostname",
    "allow_sysvipc", "allow_raw_sockets", "allow_chflags", "allow_mount", "allow_mount_devfs",
    "allow_mount_nullfs", "allow_mount_procfs", "allow_mount_tmpfs", "allow_mount_zfs",
    "allow_quotas", "allow_socket_af", "host_hostuuid", "memoryuse", "memorylocked",
    "vmemoryuse", "maxproc", "cputime", "pcpu", "datasize", "stacksize", "coredumpsize",
    "openfiles", "pseudoterminals", "swapuse", "nthr", "msgqqueued", "msgqsize", "nmsgq",
    "nsemop", "nshm", "shmsize", "wallclock", "tag", "template", "rlimits", "boot", "notes",
    "owner", "priority", "last_started", "type", "hostid", "cpuset", "jail_zfs",
    "jail_zfs_dataset", "release"]
CONF_ZFS = ["compression", "origin", "quota", "mountpoint", "compressratio", "available",
            "used", "dedup", "reservation"]


def test_get_all_prints_name_colon_value_like_the_shell_iocage(release):
    """lib/ioc-info __get_jail_prop (v1.7.6), property 'all': `echo "$prop:$_value"`
    for each name of $_CONF (not CONF_ZFS), in that order."""
    r = release
    r.ok("create", "-c", "release=bb", "tag=web", "notes=a b:c", "boot=on")
    lines = r.ok("get", "all", "web").splitlines()
    names = [l.split(":", 1)[0] for l in lines]
    assert names[:len(LEGACY_ALL)] == LEGACY_ALL, names
    d = dict(l.split(":", 1) for l in lines)
    assert d["tag"] == "web" and d["notes"] == "a b:c" and d["boot"] == "on"
    assert d["release"] == "bb" and d["host_hostuuid"] == r.jails()["web"]
    assert not set(CONF_ZFS) & set(names) and "state" not in names
    # every line is name:value, one a property
    assert len(names) == len(set(names)) and all(re.match(r"^[a-z0-9_]+:", l) for l in lines)
    # the table with sources moved behind -s; -H and --json keep theirs
    t = r.ok("get", "-s", "all", "web").splitlines()
    assert t[0].split() == ["PROPERTY", "VALUE", "SOURCE"] and any(
        l.split()[:3] == ["boot", "on", "local"] for l in t), t
    h = {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("get", "-H", "all", "web").splitlines()}
    assert h["boot"] == ["on", "local"] and "quota" in h
    assert '"boot"' in r.ok("get", "--json", "all", "web")


def test_defaults_prints_name_equals_value_like_the_shell_iocage(release):
    """lib/ioc-info __print_defaults (v1.7.6): `echo "${_prop_name}=${_saved_default}"`
    (the root's saved default, else the built-in one) over CONF_NET … CONF_ZFS …"""
    r = release
    r.ok("set", "boot=on", "default")
    lines = r.ok("defaults").splitlines()
    names = [l.split("=", 1)[0] for l in lines]
    legacy = [n for n in LEGACY_ALL + CONF_ZFS if n in names]
    assert names[:len(legacy)] == legacy
    d = dict(l.split("=", 1) for l in lines)
    assert d["boot"] == "on" and d["priority"] == "99" and d["exec_start"] == "/bin/sh /etc/rc"
    assert "compression" in d and "tag" not in d and "host_hostuuid" not in d
    t = r.ok("defaults", "-s").splitlines()
    assert t[0].split() == ["PROPERTY", "DEFAULT", "SOURCE"], t[0]
    sh("zfs", "inherit", PREFIX + "boot", r.name)


def test_start_refuses_a_jail_made_on_another_host(rel):
    """lib/ioc-rc __start_jail (v1.7.6): `if [ "$jail_hostid" != "$hostid" ]` ->
    "ERROR: hostid mismatch, start failed!" with both ids; create stored the
    host's id (lib/ioc-globals: hostid=$(cat /etc/hostid))."""
    from runhelp import host_state, jail, state
    u = jail(rel, "hx")
    host = rel.ok("get", "hostid", "hx").strip()
    rows = {l.split("\t")[0]: l.split("\t")[1:] for l in rel.ok("get", "-H", "all", "hx").splitlines()}
    assert rows["hostid"] == [host, "local"], rows["hostid"]
    # as if the pool had been imported from another host
    sh("zfs", "set", PREFIX + "hostid=deadbeef", "%s/jails/%s" % (rel.name, u))
    before = host_state(rel)
    err = rel.fail("start", "hx")
    assert ("hostid mismatch, start failed: jail 'hx' has hostid deadbeef, this host's is %s "
            "(a jail replicated to another host must not run twice): 'iocage set hostid=%s hx' "
            "adopts it here, 'iocage start -f hx' starts it once" % (host, host)) in err, err
    assert state(rel, "hx") == "down" and host_state(rel) == before
    rel.ok("start", "-f", "hx")
    rel.ok("stop", "hx")
    rel.ok("set", "hostid=" + host, "hx")
    rel.ok("start", "hx")
    rel.ok("stop", "hx")


def test_clone_without_a_snapshot_takes_one(release):
    """lib/ioc-zfs __clone_jail (v1.7.6): `if [ -z "$snapshot" ] ; then zfs snapshot
    -r ${dataset}@${uuid}` (the new jail's UUID), then clones from it."""
    r = release
    r.ok("create", "-c", "release=bb", "tag=src")
    src = r.jails()["src"]
    out = r.ok("clone", "src", "tag=kid")
    kid = out.split()[0]
    assert r.jails()["kid"] == kid
    snaps = sh("zfs", "get", "-H", "-r", "-o", "name", "type", "%s/jails/%s" % (r.name, src))
    assert "%s/jails/%s/root@%s" % (r.name, src, kid) in snaps.split(), snaps
    origin = sh("zfs", "get", "-H", "-o", "value", "origin", "%s/jails/%s/root" % (r.name, kid))
    assert origin.strip() == "%s/jails/%s/root@%s" % (r.name, src, kid)
    # a bad request still changes nothing: no snapshot is taken for it
    before = r.zfs_state()
    assert "already used" in r.fail("clone", "src", "tag=kid")
    assert "unknown property" in r.fail("clone", "src", "nosuch=1")
    assert r.zfs_state() == before
    r.ok("destroy", "-f", "kid")


def test_limits_without_a_jail_lists_every_jail_and_limts_is_an_alias(release):
    """lib/ioc-rctl __rctl_list (v1.7.6): "* Active limits for jail: UUID" and
    the rules in force; without a name, "* All active limits:" for every jail;
    the shell iocage's README (tags 1.0-1.3.1) spelled the command
    `limts [UUID]`.  -l (and -H, --json): the table of every limit."""
    r = release
    r.ok("create", "-e", "tag=a", "memoryuse=1G:deny", "rlimits=on")
    r.ok("create", "-e", "tag=b", "maxproc=100:deny")
    r.ok("create", "-e", "tag=c")
    rows = [l.split("\t") for l in r.ok("limits", "-H").splitlines()]
    assert ["a", "memoryuse", "1G:deny", "at start"] in rows, rows
    assert ["b", "maxproc", "100:deny", "no (rlimits=off)"] in rows, rows
    assert {x[0] for x in rows} == {"a", "b", "c"}
    # a jail with nothing of its own shows rlimits and the built-in memoryuse=8G:log
    assert [x[1:] for x in rows if x[0] == "c"] == [["rlimits", "off", "-"],
                                                   ["memoryuse", "8G:log", "no (rlimits=off)"]]
    assert r.ok("limts", "-H") == r.ok("limits", "-H")
    assert r.ok("limts", "-H", "a") == r.ok("limits", "-H", "a")
    assert r.ok("limits", "-l", "a").splitlines()[0].split() == ["LIMIT", "VALUE", "APPLIED"]
    assert "usage: iocage limits" in r.fail("limits", "a", "b", rc=2)
    # the default is __rctl_list's layout: rules in force only (none: nothing runs)
    assert r.ok("limits", "a") == "* Active limits for jail: %s\n" % r.jails()["a"]
    assert r.ok("limits") == "* All active limits:\n"
    assert r.ok("limts") == r.ok("limits")


def _host_suite():
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return None


def test_fetch_and_create_default_to_the_hosts_release(root, busybox_tarball):
    """lib/ioc-globals (v1.7.6): `release=$(uname -r|cut -f 1,2 -d'-')`, the
    default of fetch and create; on Linux the host's suite (here a busybox
    tree installed under that name, so that nothing is downloaded)."""
    from conftest import install_release
    suite = _host_suite()
    # no release fetched yet: create names the one it looked for
    before = root.zfs_state()
    err = root.fail("create", "-c", "tag=h")
    assert "release '%s' is not fetched" % suite in err, err
    assert root.zfs_state() == before
    install_release(root, busybox_tarball, rel=suite)
    out = root.ok("fetch")
    assert "fetch: release=%s (the host's)" % suite in out and \
        "release %s already fetched" % suite in out, out
    root.ok("create", "-c", "tag=h")
    assert root.ok("get", "release", "h") == suite + "\n"
    root.ok("destroy", "-f", "h")


def test_fetch_of_a_freebsd_release_updates_it_unless_n(root, tmp_path):
    """1.7.6 lib/ioc-common __fetch_release: after extracting, "* Updating
    base jail..", then freebsd-update fetch and install against the new
    release.  The FreeBSD engine is chosen with IOCAGE_ENGINE=freebsd; this
    host has no freebsd-update, so the step shows itself by failing the
    fetch, which removes the unfinished release; -n skips the update.  The
    command line is golden (tests/golden/freebsd/update.golden, "freebsd
    fetch")."""
    import io
    import tarfile
    tb = str(tmp_path / "base.txz")
    with tarfile.open(tb, "w:xz") as t:
        for d in ("bin", "etc", "dev", "proc", "sys"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            t.addfile(ti)
        data = b"#!/bin/sh\necho 13.2-RELEASE-p1\n"
        ti = tarfile.TarInfo("bin/freebsd-version")
        ti.size, ti.mode = len(data), 0o555
        t.addfile(ti, io.BytesIO(data))
    fb = {"IOCAGE_ENGINE": "freebsd"}
    before = root.zfs_state()
    r = root.run("fetch", "file=" + tb, "release=13.2-RELEASE", env=fb)
    assert r.rc == 1 and "* Updating base jail.." in r.out, r
    assert "freebsd-update" in r.err and "fetch -n skips the update" in r.err, r
    assert root.zfs_state() == before
    out = root.ok("fetch", "-n", "file=" + tb, "release=13.2-RELEASE", env=fb)
    assert "Updating base jail" not in out and "release 13.2-RELEASE fetched" in out, out
    assert "13.2-RELEASE" in root.ok("list", "-r")


def test_list_df_snaplist_keep_the_shell_iocages_columns(release):
    """The default tables print as the shell iocage's printf did, so that
    `awk '{print $N}'` of old scripts finds the same field; -l, -H and --json
    give the whole table.  v1.7.6 lib/ioc-info __list_jails:
    printf "%-4s  %-36s  %s  %s  %-20s  %s\\n" "JID" "UUID" "BOOT" "STATE" "TAG" "IP",
    rows "%-4s  %-+.36s  %-4s  %-4s   %-4s   %s\\n" (templates: "%-3s   " for BOOT),
    IP = ip4_addr | cut -d'|' -f2 | cut -d'/' -f1; -r: "Downloaded releases:" and
    "%15s\\n"; __print_disk: "%-36s  %-6s  %-5s  %-5s  %-5s  %-5s %-20s\\n";
    lib/ioc-snapshot __snaplist: "%-36s  %-21s  %s   %s\\n", rows "...  %s    %s\\n"."""
    r = release
    u = r.ok("create", "-c", "release=bb", "tag=web", "boot=on",
             "ip4_addr=vnet0|10.1.2.3/24,vnet1|10.9.9.9/24").split()[0]
    t = r.ok("create", "-c", "release=bb", "tag=base").split()[0]
    r.ok("set", "template=yes", "base")
    out = r.ok("list").splitlines()
    assert out[0] == "%-4s  %-36s  %s  %s  %-20s  %s" % ("JID", "UUID", "BOOT", "STATE", "TAG", "IP")
    assert out[1:] == ["%-4s  %-.36s  %-4s  %-4s   %-4s   %s" % ("-", u, "on", "down", "web",
                                                               "10.1.2.3")]
    assert out[1].split()[4] == "web" and out[1].split()[5] == "10.1.2.3"
    tl = r.ok("list", "-t").splitlines()
    assert tl[1:] == ["%-4s  %-.36s  %-3s   %-4s   %-4s   %s" % ("-", t, "off", "down", "base",
                                                               "none")]
    assert r.ok("list", "-r") == "Downloaded releases:\n%15s\n" % "bb"
    # the whole table stays behind -l
    assert r.ok("list", "-l").splitlines()[0].split() == ["JID", "UUID", "BOOT", "STATE", "TAG",
                                                         "TYPE", "RELEASE", "IP4"]
    df = r.ok("df").splitlines()
    fmt = "%-36s  %-6s  %-5s  %-5s  %-5s  %-5s %-20s"
    assert df[0] == fmt % ("UUID", "CRT", "RES", "QTA", "USE", "AVA", "TAG")
    row = [x for x in df[1:] if x.startswith(u)][0]
    f = row.split()
    assert len(f) == 7 and f[1].endswith("x") and f[2] == "none" and f[3] == "none" \
        and f[6] == "web", row
    assert row == fmt % tuple(f)
    r.ok("snapshot", "web@first")
    sl = r.ok("snaplist", "web").splitlines()
    assert sl[0] == "%-36s  %-21s  %s   %s" % ("NAME", "CREATED", "RSIZE", "USED")
    name, rest = sl[1][:36], sl[1][38:]
    assert name.rstrip() == "first"
    # zfs's own creation format (libzfs: "%a %b %e %k:%M %Y"), as `zfs get creation` shows it
    assert re.match(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d [ 0-9]\d:\d\d \d{4} {2,}\S+ {4}\S+$",
                    rest), rest
    assert r.ok("snaplist", "-l", "web").splitlines()[0].split() == ["NAME", "CREATED", "RSIZE",
                                                                    "USED"]



def test_hostname_is_host_hostname_and_a_legacy_jail_keeps_its_own(release):
    """`hostname` is the shell iocage's name for the jail's host name: 1.7.6
    lib/ioc-rc __start_jail passes host.hostname="$(__get_jail_prop hostname
    $name)" and lib/ioc-configure writes host_hostname (never used) and
    hostname both as the UUID at create.  Here hostname is an alias of
    host_hostname, and a jail written by the shell iocage keeps the hostname it
    ran with while its host_hostname is still that UUID."""
    r = release
    fb = {"IOCAGE_ENGINE": "freebsd"}
    u = r.ok("create", "-c", "release=bb", "tag=hn", "hostname=alias.example", env=fb).split()[0]
    ds = "%s/jails/%s" % (r.name, u)
    assert sh("zfs", "get", "-H", "-o", "value", PREFIX + "host_hostname", ds) == "alias.example\n"
    assert r.ok("get", "hostname", "hn") == "alias.example\n"
    # as the shell iocage left it: host_hostname the UUID, hostname the one in use
    sh("zfs", "set", PREFIX + "host_hostname=" + u, ds)
    sh("zfs", "set", PREFIX + "hostname=www.example", ds)
    assert r.ok("get", "host_hostname", "hn") == "www.example\n"
    assert r.ok("get", "hostname", "hn") == "www.example\n"
    out = r.ok("--dry-run", "start", "hn", env=fb)
    assert " host.hostname=www.example " in out, out
    # setting it here writes host_hostname, which then wins; the legacy value is left alone
    r.ok("set", "hostname=mail.example", "hn")
    assert r.ok("get", "host_hostname", "hn") == "mail.example\n"
    assert sh("zfs", "get", "-H", "-o", "value", PREFIX + "hostname", ds) == "www.example\n"
    assert " host.hostname=mail.example " in r.ok("--dry-run", "start", "hn", env=fb)
    # a bad legacy value is not taken
    r.ok("set", "host_hostname=" + u, "hn")
    sh("zfs", "set", PREFIX + "hostname=bad name;x", ds)
    assert r.ok("get", "hostname", "hn") == u + "\n"
