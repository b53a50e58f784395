"""Hostile input through every command that takes names, values or paths.

Values with '/', '..', newlines, tabs, control characters, a value valid only
up to a point, quotes, $(), backticks, ';', option-like words, non-UTF-8 bytes
and 64 KiB strings (tests/hostilehelp.py) go through `set` for every property,
`create`, every command that names a jail or a snapshot, `-r`, `activate`,
`fetch` and `exec`.  Each is either refused with one clear line that names the
property (or the argument) and what is allowed, with the pool unchanged, or
stored verbatim.  Jails are then started for real with the values that were
accepted: every item handed to liblxc is one of the keys iocage sets, no value
carries a newline, mount entries have their six fields, and no shell ever runs
a value (the sentinel /tmp/PWN-<pid>-<n> never appears, on the host or in the
jail).  Values written with `zfs set` behind iocage's back are refused at start.
"""
import concurrent.futures
import json
import os
import subprocess

import pytest

from conftest import PREFIX, Result, iocage_bin, sh
from hostilehelp import check_lxc_items, hostile_values, lxc_items, pwn_path, saved_config
from runhelp import jail, open_path, rel, rootfs, state, subids  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")

# words that say what is allowed, in a refusal
ALLOWED_WORDS = ("expected", "allowed", "read-only", "only be given at create", "must",
                 "at most", "cannot", "no Linux analogue", "not supported", "reserved",
                 "longer than")


def props_of(root):
    return [l.split()[0] for l in root.ok("help", "properties").splitlines() if l.strip()]


def one_line(err):
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, "not one line: %r" % err[:2000]
    return lines[0]


def assert_clean_refusal(r, *names):
    """rc 1 or 2, one line starting 'iocage: ', naming one of names, no control characters."""
    assert r.rc in (1, 2), r
    line = one_line(r.err)
    assert line.startswith("iocage: "), line
    assert not any(ord(c) < 0x20 and c != "\t" for c in line), repr(line)
    assert "\x1b" not in line and "\x7f" not in line, repr(line)
    assert len(line) < 2000, "refusal echoes a huge value (%d characters)" % len(line)
    if names:
        assert any(n in line for n in names), "%r names none of %r" % (line, names)
    return line


def no_pwn(*paths):
    for p in paths:
        assert not os.path.lexists(p), "%s exists: a value reached a shell" % p


def jail_pwn(root, uuid, pwn):
    return os.path.join(rootfs(root, uuid), pwn.lstrip("/"))


NATIVE = ("compression", "dedup", "quota", "reservation")


# every property gets these values; one property of each type (and flag) gets
# every hostile value: validation goes by type, so the rest would only add time
MATRIX = ("newline", "tab", "ctrl", "valid-then-shell", "dollar-paren", "option", "non-utf8",
          "long", "slash")
EVERY_VALUE = ("notes", "tag", "exec_start", "exec_prestart", "login_flags", "fstab",
               "resolver", "ip4_addr", "ip6_addr", "interfaces", "boot", "priority", "memoryuse",
               "cpuset", "host_hostname", "jail_zfs_dataset", "jail_zfs_mountpoint", "vnet0_mac",
               "userns_idmap", "quota", "compression", "mac_prefix", "sysvmsg", "release",
               "defaultrouter", "uuid", "allow_mount", "template", "pkglist", "ftphost")


def test_set_every_property(rel):
    """set PROP=HOSTILE on a jail, for every property in the table: refused
    with a message naming the property and what it allows (nothing changes),
    or stored verbatim."""
    u = jail(rel, "web")
    ds = "%s/jails/%s" % (rel.name, u)
    pwn = pwn_path()
    accepted, last = {}, {}

    def one_property(p):
        for label, v in hostile_values(pwn):
            if label not in MATRIX and p not in EVERY_VALUE:
                continue
            r = rel.run("set", "%s=%s" % (p, v), "web")
            if r.rc != 0:
                line = assert_clean_refusal(r, "'%s'" % p, p)
                assert any(w in line for w in ALLOWED_WORDS), \
                    "%s=%s: %r says nothing of what is allowed" % (p, label, line)
                continue
            accepted.setdefault(p, []).append(label)
            got = subprocess.run([iocage_bin(), "-r", rel.name, "get", p, "web"],
                                 capture_output=True).stdout
            assert got == os.fsencode(v) + b"\n", "%s=%s (%s) not stored verbatim: %r" % (
                p, label, v[:80], got[:200])
            if label == "non-utf8":
                # stored as given; put a plain value back (the harness reads text)
                rel.ok("set", "%s=plain" % p, "web")
                v = "plain"
            last[p] = v

    before = rel.zfs_state()
    # properties in parallel (each one's values in order): sets of different
    # properties of one jail do not interfere
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        for f in [ex.submit(one_property, p) for p in props_of(rel)]:
            f.result()
    after = rel.zfs_state()
    # the accepted values (and what the jail's children inherit of them) aside,
    # nothing changed
    for p, v in last.items():
        key = p if p in NATIVE else PREFIX + p
        assert after[ds][key] == (v, "local"), (p, after[ds][key][0][:80])
        for st in (before, after):
            for props in st.values():
                props.pop(key, None)
    assert after == before, "refused values changed the pool"
    no_pwn(pwn, jail_pwn(rel, u, pwn))
    # only free text takes such values: every typed property refused them all
    typed = {"tag", "boot", "priority", "template", "vnet", "interfaces", "ip4_addr", "ip6_addr",
             "defaultrouter", "defaultrouter6", "host_hostname", "userns", "userns_idmap",
             "cpuset", "memoryuse", "quota", "compression", "mac_prefix", "vnet0_mac",
             "securelevel", "exec_timeout", "jail_zfs", "rlimits", "ip4", "sysvmsg",
             "release", "uuid", "state", "jid", "fstab"}
    assert not typed & set(accepted), {p: accepted[p] for p in typed & set(accepted)}
    assert "tab" in accepted["notes"] and "tab" in accepted["resolver"]
    assert "dollar-paren" in accepted["exec_start"], accepted.get("exec_start")


def test_set_defaults_hostile(rel):
    """The same through `set ... default` (values on the root dataset)."""
    pwn = pwn_path()
    vals = [v for l, v in hostile_values(pwn) if l in ("newline", "dollar-paren", "long")]
    before = rel.zfs_state()
    for p in props_of(rel):
        for v in vals:
            r = rel.run("set", "%s=%s" % (p, v), "default")
            if r.rc == 0:
                # accepted as a default: the root carries it verbatim; take it back
                st = rel.zfs_state()[rel.name]
                assert st[PREFIX + p] == (v, "local"), (p, v[:60])
                sh("zfs", "inherit", PREFIX + p, rel.name)
                continue
            assert_clean_refusal(r, "'%s'" % p, p)
    assert rel.zfs_state() == before
    no_pwn(pwn)


def test_create_hostile(rel, tmp_path):
    """create with a hostile tag, release, count, template or pkglist path:
    refused, nothing created."""
    pwn = pwn_path()
    jail(rel, "tpl", thin=False)
    rel.ok("set", "template=yes", "tpl")
    before = rel.zfs_state()
    for label, v in hostile_values(pwn):
        for args, names in ((["-c", "release=bb", "tag=" + v], ("tag",)),
                            (["-c", "release=" + v], ("release",)),
                            (["-c", "release=bb", "count=" + v], ("count",)),
                            (["-t", v], ("template", "no jail")),
                            (["-c", "release=bb", "pkglist=" + v], ("pkglist",)),
                            (["-c", "release=bb", v], ("PROPERTY=VALUE", "unknown property",
                                                       "property"))):
            r = rel.run("create", *args)
            assert_clean_refusal(r, *names)
    assert rel.zfs_state() == before
    # a package list naming hostile packages
    f = tmp_path / "pkgs"
    for label, v in hostile_values(pwn):
        if "\n" in v or label in ("non-utf8",):
            continue
        f.write_text(v + "\n")
        r = rel.run("create", "-c", "release=bb", "tag=p", "pkglist=" + str(f))
        assert_clean_refusal(r, "pkglist", "package")
    assert rel.zfs_state() == before
    no_pwn(pwn)


# every command that names a jail (or a jail's snapshot), as argv after the command
NAME_COMMANDS = [
    ("get", "tag", "{n}"), ("get", "all", "{n}"), ("set", "notes=x", "{n}"), ("start", "{n}"),
    ("stop", "{n}"), ("restart", "{n}"), ("exec", "{n}", "true"), ("destroy", "-f", "{n}"),
    ("snapshot", "{n}"), ("snaplist", "{n}"), ("snapremove", "{n}@s1"), ("rollback", "{n}@s1"),
    ("promote", "{n}"), ("clone", "{n}@s1"), ("runtime", "{n}"), ("limits", "{n}"),
    ("cap", "{n}"), ("uncap", "{n}"), ("inuse", "{n}"), ("record", "start", "{n}"),
    ("package", "{n}"), ("update", "{n}"), ("chroot", "{n}", "true"), ("export", "{n}", "-"),
    ("snapshot", "web@{n}"), ("snapremove", "web@{n}"), ("rollback", "web@{n}"),
    ("clone", "web@{n}"),
]


def test_hostile_jail_names(rel):
    """A hostile name, or one that only resembles a jail's tag or UUID, names
    no jail in any command: a one-line refusal, nothing changed."""
    u = jail(rel, "web")
    rel.ok("snapshot", "web@s1")
    pwn = pwn_path()
    hostile = [v for l, v in hostile_values(pwn) if l in MATRIX]
    resembling = ["web\n", "web/", "web/..", "./web", "web ", " web", "WEB", "we*", "w?b",
                  "web;true", u[:3], u[:8] + ";x", u + "\n", u.upper(), u + "/root", "../" + u,
                  "ALL\n", "-", "-f", "web@", "@s1", "web@s1@s1", "web@../s1", "web@s1\n"]
    cases = [(c, n) for c in NAME_COMMANDS for n in hostile]
    cases += [(c, n) for c in NAME_COMMANDS[:14] for n in resembling]

    def one(case):
        cmd, n = case
        args = [a.replace("{n}", n) for a in cmd]
        r = rel.run(*args)
        assert r.rc in (1, 2), (args, r)
        assert_clean_refusal(r)

    before = rel.zfs_state()
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        for f in [ex.submit(one, c) for c in cases]:
            f.result()
    assert rel.zfs_state() == before
    assert state(rel, "web") == "down"
    no_pwn(pwn, jail_pwn(rel, u, pwn))


def test_hostile_root_and_activate(rel):
    """-r and activate with hostile dataset names: refused, the pool unchanged
    (the root fixture also compares every neighbour dataset and file)."""
    pwn = pwn_path()
    before = rel.zfs_state()
    for label, v in hostile_values(pwn):
        for argv in (["-r", v, "list"], ["activate", v],
                     ["activate", "%s/%s" % (rel.pool.name, v)],
                     ["activate", "%s/virt/%s" % (rel.pool.name, v)]):
            p = subprocess.run([iocage_bin()] + argv, capture_output=True, text=True,
                               errors="replace")
            assert_clean_refusal(Result(argv, p.returncode, p.stdout, p.stderr),
                                 "dataset", "root", "parent", "usage")
    assert rel.zfs_state() == before
    no_pwn(pwn)


def test_hostile_fetch_arguments(rel):
    """fetch with hostile release names, file paths, ftpdir and ftpfiles:
    refused before anything is made (ftphost points at a closed local port, so
    a value that passed would never leave the machine)."""
    pwn = pwn_path()
    before = rel.zfs_state()
    local = "ftphost=http://127.0.0.1:9"
    for label, v in hostile_values(pwn):
        for args, names in ((["release=" + v, "file=/nonexistent"], ("release",)),
                            (["release=hx", "file=" + v], ("file", "release", "archive")),
                            (["release=14.0-RELEASE", local, "ftpdir=" + v], ("ftpdir",)),
                            (["release=14.0-RELEASE", local, "ftpfiles=" + v],
                             ("ftpfiles", "ftpdir"))):
            if label in ("slash", "long", "option") and "file=" + v in args:
                continue  # plain (missing) relative paths: refused as missing, checked below
            r = rel.run("fetch", *args)
            if r.rc == 0:
                pytest.fail("fetch %s accepted %s" % (args[1][:40], label))
            # a legal directory or file name: used, and the closed local port says no
            assert_clean_refusal(r, *(names + ("127.0.0.1:9",)))
        # a host name that is not one
        if any(c in v for c in "\n\x01'\"$`;| ") or label in ("dotdot", "dotdot-alone", "option"):
            r = rel.run("fetch", "release=14.0-RELEASE", "ftphost=" + v)
            assert_clean_refusal(r, "ftphost")
    for v in ("a/b", "-rf", "A" * 65536):
        r = rel.run("fetch", "release=hx", "file=" + v)
        assert_clean_refusal(r, "file", "release", "hx", "archive")
    # a legal ftpdir that the (closed) server did not answer leaves only the
    # download cache R/download/REL, which the next fetch resumes from
    after = {k: v for k, v in rel.zfs_state().items()
             if not k.startswith(rel.name + "/download/")}
    assert after == before
    no_pwn(pwn)


def test_exec_arguments_are_argv(rel):
    """exec passes every word to the program as is (no shell inside or out);
    hostile -U/-u users are refused."""
    u = jail(rel, "web")
    rel.ok("start", "web")
    pwn = pwn_path()
    words = [v for l, v in hostile_values(pwn) if l not in ("long", "long-shell")]
    words.append("$(touch %s)" % pwn + "B" * 30000)
    for w in words:
        p = subprocess.run([iocage_bin(), "-r", rel.name, "exec", "web", "/bin/echo", w],
                           capture_output=True)
        assert p.returncode == 0, (w[:80], p.stderr[:300])
        assert p.stdout == os.fsencode(w) + b"\n", (w[:80], p.stdout[:200])
    r = rel.run("exec", "web", "/bin/echo", *words[:8])
    assert r.rc == 0 and r.out == " ".join(words[:8]) + "\n"
    for label, v in hostile_values(pwn):
        for opt in ("-U", "-u"):
            r = rel.run("exec", opt, v, "web", "id")
            assert_clean_refusal(r, "user")
    # a hostile program name is looked up as a file, never run by a shell
    for label, v in hostile_values(pwn):
        r = rel.run("exec", "web", v)
        assert r.rc == 127 or r.rc in (1, 2), (label, r)
    no_pwn(pwn, jail_pwn(rel, u, pwn))


HOOK = r"""#!/usr/bin/python3
import json, os, sys
fds = sorted(os.listdir("/proc/self/fd"))
with open(%r, "a") as f:
    f.write(json.dumps({"argv": sys.argv[1:], "fds": fds}) + "\n")
"""


def test_start_with_accepted_hostile_values(rel, tmp_path):
    """Every kind of hostile value the property table accepts, in use at once:
    the jail starts and stops, the configuration handed to liblxc has only
    iocage's own keys and no newline, mount paths with blanks and shell
    characters stay one field each and are mounted where they say, hooks and
    exec_start get the words verbatim, resolv.conf holds the lines verbatim,
    and no shell ever ran."""
    pwn = pwn_path()
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook"
    hook.write_text(HOOK % str(log))
    hook.chmod(0o755)
    shell = ("$(touch {p}) `touch {p}` ;touch {p} 'q' \"dq\" |touch {p} "
             "lxc.hook.pre-start=/bin/touch").format(p=pwn)
    # fstab words are split at blanks: shell characters, '#' and ',' in the paths
    src = tmp_path / "s$(touch_PWN)`x`'q'\"dq\"#h,ro"
    src.mkdir()
    (src / "f").write_text("shared\n")
    open_path(str(src / "f"))
    os.chmod(str(src), 0o755)
    jdst = "/mnt/$(touch_PWN)`x`'q'\"dq\"#h,ro,suid"
    # jail_zfs_mountpoint may hold blanks: they must not become mount fields
    zdst = "/mnt/z with space,ro 0 0 x"
    props = ["notes=" + shell + "\tand a tab", "owner=" + shell, "host_domainname=" + shell,
             "exec_start=/bin/echo " + shell, "exec_stop=/bin/echo " + shell,
             "resolver=nameserver 127.0.0.1;search $(touch %s) `x`;options ndots:1 # 'q' \"dq\""
             % pwn, "fstab=%s %s ro" % (src, jdst), "jail_zfs=on", "jail_zfs_mountpoint=" + zdst]
    props += ["exec_%s=%s %s" % (h, hook, shell) for h in ("prestart", "poststart", "prestop",
                                                          "poststop")]
    u = jail(rel, "hs", *props)
    dump = tmp_path / "lxc.dump"
    r = rel.run("start", "hs", env={"IOC_LXC_CONFIG_DUMP": str(dump)})
    try:
        assert r.rc == 0, r
        assert state(rel, "hs") == "up"
        items = lxc_items(str(dump))
        mounts = check_lxc_items(items)
        # exactly three mounts: ioc-init, the fstab entry, the jail_zfs dataset
        assert [m[1] for m in mounts] == ["dev/.ioc-init", jdst[1:], zdst[1:]], mounts
        assert mounts[1][0] == str(src) and mounts[1][2:] == ("none", "bind,ro"), mounts
        assert mounts[2][2:] == ("none", "bind"), mounts
        # the copy liblxc saved: the same keys, the same mount entries, line for line
        saved = saved_config(u)
        check_lxc_items(saved)
        assert sorted(k for k, _ in saved) == sorted(k for k, _ in items)
        assert [v for k, v in saved if k == "lxc.mount.entry"] == \
            [v for k, v in items if k == "lxc.mount.entry"]
        # mounted where they say, in one piece
        assert rel.ok("exec", "hs", "cat", jdst + "/f") == "shared\n"
        rel.ok("exec", "hs", "touch", zdst + "/made")
        assert zdst[len("/mnt/"):] in rel.ok("exec", "hs", "ls", "/mnt").splitlines()
        # exec_start got its words as words
        assert shell + "\n" in r.out, r.out
        with open(os.path.join(rootfs(rel, u), "etc", "resolv.conf")) as f:
            assert f.read() == "nameserver 127.0.0.1\nsearch $(touch %s) `x`\n" \
                "options ndots:1 # 'q' \"dq\"\n" % pwn
    finally:
        r2 = rel.run("stop", "hs")
    assert r2.rc == 0 and shell + "\n" in r2.out, r2
    calls = [json.loads(l) for l in log.read_text().splitlines()]
    assert len(calls) == 4, calls
    for c in calls:
        assert c["argv"] == shell.split(" ") + ["ioc-" + u, rootfs(rel, u)], c["argv"]
        assert c["fds"] == ["0", "1", "2", "3"], c["fds"]  # 3: the listing's own
    assert rel.ok("get", "notes", "hs") == shell + "\tand a tab\n"
    no_pwn(pwn, jail_pwn(rel, u, pwn))


@pytest.fixture
def bridge():
    name = "ioch%d.x-y_z" % (os.getpid() % 1000)
    sh("ip", "link", "add", name, "type", "bridge")
    sh("ip", "link", "set", name, "up")
    yield name
    subprocess.run(["ip", "link", "del", name], capture_output=True)


def test_network_values_in_lxc_config(rel, bridge, tmp_path):
    """Network properties reach liblxc only as the lxc.net.N keys they map to;
    hostile ones are refused at set."""
    u = jail(rel, "nw", "vnet=on", "interfaces=vnet0:%s,vnet1:%s" % (bridge, bridge),
             "ip4_addr=vnet0|10.213.77.1/24,vnet1|10.213.78.1", "ip6_addr=vnet0|fd00:213::1/64",
             "defaultrouter=10.213.77.254")
    pwn = pwn_path()
    before = rel.zfs_state()
    for p in ("interfaces", "ip4_addr", "ip6_addr", "defaultrouter", "vnet0_mac", "mac_prefix"):
        for v in ("vnet0:%s;touch %s" % (bridge, pwn), "vnet0:%s\nlxc.net.1.type=phys" % bridge,
                  "vnet0|10.213.77.1/24 lxc.net.0.link=eth0", "vnet0|$(touch %s)" % pwn,
                  "vnet0:" + "b" * 16, "vnet0:-rf", "vnet0|10.213.77.1/33", "10.0.0.1,",
                  "02ff60000010 02ff60000011 x", "02ff6g"):
            assert_clean_refusal(rel.run("set", "%s=%s" % (p, v), "nw"), "'%s'" % p, p)
    assert rel.zfs_state() == before
    dump = tmp_path / "lxc.dump"
    r = rel.run("start", "nw", env={"IOC_LXC_CONFIG_DUMP": str(dump)})
    assert r.rc == 0, r
    try:
        items = lxc_items(str(dump))
        check_lxc_items(items)
        net = [(k, v) for k, v in items if k.startswith("lxc.net.")]
        keys = [k for k, _ in net]
        assert keys.count("lxc.net.0.link") == 1 and keys.count("lxc.net.1.link") == 1, net
        assert ("lxc.net.0.link", bridge) in net and ("lxc.net.0.name", "vnet0") in net
        assert ("lxc.net.0.ipv4.address", "10.213.77.1/24 10.213.77.255") in net, net
        assert ("lxc.net.0.ipv4.gateway", "10.213.77.254") in net, net
        assert ("lxc.net.0.ipv6.address", "fd00:213::1/64") in net, net
        check_lxc_items(saved_config(u))
    finally:
        rel.run("stop", "-f", "nw")
    no_pwn(pwn)


@pytest.mark.parametrize("prop,value", [
    ("host_hostname", "x\x01lxc.hook.pre-start=/bin/touch /tmp/PWN"),
    ("host_hostname", "h" * 70),
    ("host_hostname", "a b"),
    ("exec_start", "/bin/true\x1blxc.init.cmd=/bin/sh"),
    ("exec_prestart", "/bin/true\x01/bin/touch /tmp/PWN"),
    ("fstab", "/tmp /mnt/x\x01y"),
    ("fstab", "/tmp /mnt/../../etc"),
    ("jail_zfs_mountpoint", "relative/path"),
    ("jail_zfs_mountpoint", "/mnt/x\x01"),
    ("resolver", "nameserver 10.0.0.1\x0bx"),
    ("interfaces", "vnet0"),
    ("interfaces", "vnet0:br0;x"),
    ("vnet0_mac", "zzzzzzzzzzzz zzzzzzzzzzzz"),
    ("ip4_addr", "vnet0|10.0.0.1/24;x"),
    ("userns_idmap", "0:4294967295"),
    ("cpuset", "0;1"),
    ("exec_jail_user", "root\x01x"),
    # a newline: the `zfs get` reader names the property to repair
    ("host_hostname", "x\nlxc.hook.pre-start=/bin/touch /tmp/PWN"),
    ("fstab", "/tmp /mnt/x\nlxc.mount.entry=/ host none bind 0 0"),
])
def test_values_written_behind_our_back(rel, tmp_path, prop, value):
    """A value written with plain `zfs set` (a delegated user, another tool)
    is validated again at start: refused with the property named, nothing
    started, no configuration handed to liblxc."""
    u = jail(rel, "zb")
    if prop.startswith("vnet0") or prop == "ip4_addr":
        rel.ok("set", "interfaces=vnet0:iocnobr0", "zb")
    if prop == "jail_zfs_mountpoint":
        rel.ok("set", "jail_zfs=on", "zb")
    sh("zfs", "set", "%s%s=%s" % (PREFIX, prop, value), "%s/jails/%s" % (rel.name, u))
    dump = tmp_path / "lxc.dump"
    r = rel.run("start", "zb", env={"IOC_LXC_CONFIG_DUMP": str(dump)})
    line = assert_clean_refusal(r, prop)
    assert "invalid" in line or "at most" in line or "newline" in line, line
    assert not dump.exists()
    sh("zfs", "inherit", PREFIX + prop, "%s/jails/%s" % (rel.name, u))
    assert state(rel, "zb") == "down"
    assert not os.path.exists("/tmp/PWN")


def test_forged_row_of_another_jail(rel):
    """A newline in one jail's value (written with `zfs set`) that makes the
    text after it look like a `zfs get` row of another jail: no command takes
    the forged value.  A read that meets it refuses and says which dataset to
    repair; a command naming b alone never reads a's properties, and gets b's
    own values."""
    ua = jail(rel, "a")
    ub = jail(rel, "b")
    pwn = pwn_path()
    forged = "x\tlocal\n%s/jails/%s\t%sexec_prestart\t/bin/touch %s" % (
        rel.name, ub, PREFIX, pwn)
    sh("zfs", "set", PREFIX + "notes=" + forged, "%s/jails/%s" % (rel.name, ua))
    for args in (["start", "ALL"], ["get", "all", "a"], ["get", "notes", "a"]):
        r = rel.run(*args)
        assert_clean_refusal(r, "newline")
        assert "/bin/touch" not in r.out, r
    for args in (["get", "exec_prestart", "b"], ["get", "all", "b"]):
        out = rel.ok(*args)
        assert "/bin/touch" not in out and "/usr/bin/true" in out, (args, out)
    # list reads no free-text property: it still works
    assert sorted(rel.jails()) == ["a", "b"]
    sh("zfs", "inherit", PREFIX + "notes", "%s/jails/%s" % (rel.name, ua))
    assert rel.ok("get", "exec_prestart", "b") == "/usr/bin/true\n"
    assert state(rel, "b") == "down"
    no_pwn(pwn)
