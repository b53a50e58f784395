"""Helpers of the hostile-input and attacker tests (test_hostile.py, test_attack.py).

* ``pwn_path()``: a sentinel path that no test creates on purpose
  (/tmp/PWN-<pid>-<n>); a hostile value tries to create it through a shell.
* ``hostile_values(pwn)``: (label, value) pairs: '/', '..', newline, tab,
  control characters, a value valid only up to a point, quotes, ``$()``,
  backticks, ';', option-like words, non-UTF-8 bytes, 64 KiB strings.
* ``lxc_items(path)``: the configuration items a start handed to liblxc, as
  written by the sanitizer build's IOC_LXC_CONFIG_DUMP knob
  (src/engine/linux/engine_linux_config.c): [(key, value), ...].
* ``check_lxc_items(items)``: every key is one iocage sets on purpose and no
  value holds a newline or another control character; returns the decoded
  mount entries [(src, dst, type, options)].
* ``saved_config(uuid)``: the lines of the copy liblxc saved of a running
  jail's configuration, checked the same way.
"""
import itertools
import os
import re

_counter = itertools.count(1)

LXC_DIR = "/var/run/iocage/lxc"

# every key the Linux engine sets (src/engine/linux/engine_linux_start.c's ioc_lx_container
# and engine_linux_config.c's ioc_lx_net_cfg); anything else in a configuration is an
# injected key
ALLOWED_KEYS = [re.compile(r) for r in (
    r"lxc\.log\.file", r"lxc\.log\.level", r"lxc\.rootfs\.path", r"lxc\.uts\.name",
    r"lxc\.autodev", r"lxc\.mount\.auto", r"lxc\.mount\.entry", r"lxc\.init\.cmd",
    r"lxc\.console\.path", r"lxc\.pty\.max", r"lxc\.tty\.max", r"lxc\.signal\.halt",
    r"lxc\.apparmor\.profile", r"lxc\.seccomp\.profile", r"lxc\.cap\.drop", r"lxc\.idmap",
    r"lxc\.prlimit\.nofile", r"lxc\.cgroup2?\.devices\.(allow|deny)",
    r"lxc\.cgroup2?\.(memory\.max|memory\.limit_in_bytes|memory\.memsw\.limit_in_bytes|"
    r"pids\.max|cpu\.max|cpu\.cfs_quota_us|cpu\.cfs_period_us|cpuset\.cpus)",
    r"lxc\.net\.[0-7]\.(type|link|veth\.pair|hwaddr|name|flags|ipv4\.address|ipv6\.address|"
    r"ipv4\.gateway|ipv6\.gateway|ipvlan\.mode|macvlan\.mode)",
)]


def pwn_path():
    return "/tmp/PWN-%d-%d" % (os.getpid(), next(_counter))


def hostile_values(pwn):
    """(label, value) pairs; every value is a str that argv can carry."""
    big = "A" * 65536
    return [
        ("slash", "a/b"),
        ("dotdot", "../../../etc/passwd"),
        ("dotdot-alone", ".."),
        ("newline", "x\nlxc.hook.pre-start=/bin/touch " + pwn),
        ("newline-key", "on\nlxc.mount.entry=/ /x none bind 0 0"),
        ("tab", "a\tb"),
        ("ctrl", "ab\x01cd"),
        ("escape", "ab\x1b[2Jcd"),
        ("del", "ab\x7fcd"),
        ("valid-then-junk", "on\x01off"),
        ("valid-then-shell", "10.0.0.1;touch " + pwn),
        ("single-quote", "x' ; touch %s ; echo '" % pwn),
        ("double-quote", 'x" ; touch %s ; echo "' % pwn),
        ("dollar-paren", "$(touch %s)" % pwn),
        ("backticks", "`touch %s`" % pwn),
        ("semicolon", "a;touch " + pwn),
        ("pipe-amp", "a|touch %s&&touch %s" % (pwn, pwn)),
        ("option", "-rf"),
        ("key-value", "x lxc.init.cmd=/bin/touch " + pwn),
        ("non-utf8", "ab\udcff\udcfecd"),
        ("long", big),
        ("long-shell", "$(touch %s)" % pwn + big),
    ]


def lxc_items(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\0"), "dump not NUL-terminated"
    parts = data[:-1].split(b"\0")
    assert len(parts) % 2 == 0, "dump has an odd number of fields"
    return [(parts[i].decode(errors="surrogateescape"),
             parts[i + 1].decode(errors="surrogateescape")) for i in range(0, len(parts), 2)]


def unescape_mnt(field):
    """getmntent(3)'s decoding of one field (\\040 \\011 \\012 \\134 \\\\)."""
    out, i = [], 0
    while i < len(field):
        for esc, ch in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
            if field.startswith(esc, i):
                out.append(ch)
                i += 4
                break
        else:
            if field.startswith("\\\\", i):
                out.append("\\")
                i += 2
            else:
                out.append(field[i])
                i += 1
    return "".join(out)


def check_lxc_items(items):
    mounts = []
    for k, v in items:
        assert any(r.fullmatch(k) for r in ALLOWED_KEYS), "unexpected LXC key %r = %r" % (k, v)
        assert not any(ord(c) < 0x20 or ord(c) == 0x7f for c in v), \
            "control character in %s = %r" % (k, v)
        if k == "lxc.mount.entry":
            f = v.split()
            assert len(f) == 6 and f[4:] == ["0", "0"], "mount entry %r has %d fields" % (v, len(f))
            mounts.append((unescape_mnt(f[0]), unescape_mnt(f[1]), f[2], f[3]))
    return mounts


def saved_config(uuid):
    """[(key, value)] of the configuration liblxc saved for a running jail."""
    path = os.path.join(LXC_DIR, "ioc-" + uuid, "config")
    with open(path, "rb") as f:
        text = f.read().decode(errors="surrogateescape")
    items = []
    for line in text.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert " = " in line, "saved configuration line without 'key = value': %r" % line
        k, v = line.split(" = ", 1)
        items.append((k.strip(), v))
    return items
