#!/usr/bin/env python3
"""Prints the PROPERTIES list of man/iocage.8 (mdoc) from the table in src/core/props.c.

The man page keeps the output between the lines
'.\\" BEGIN PROPERTIES (scripts/man-props.py)' and '.\\" END PROPERTIES';
`scripts/man-props.py --update` rewrites that part in place.  tests/test_manpage.py
checks that the page documents every property `iocage help properties` prints
with its built-in default and flags, so a table change without a page update fails.
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = '.\\" BEGIN PROPERTIES (scripts/man-props.py)'
END = '.\\" END PROPERTIES'

TYPES = {
    "IOC_PT_STRING": "string",
    "IOC_PT_ONOFF": "on|off",
    "IOC_PT_YESNO": "yes|no",
    "IOC_PT_BOOL01": "0|1",
    "IOC_PT_INT": "integer",
    "IOC_PT_CHOICE": None,  # the choices
    "IOC_PT_SIZE": "size",
    "IOC_PT_RLIMIT": "LIMIT:ACTION|off",
    "IOC_PT_TAG": "tag",
    "IOC_PT_TAGS": "tag list|none",
    "IOC_PT_IP4": "IPv4 address list",
    "IOC_PT_IP6": "IPv6 address list",
    "IOC_PT_IFACES": "interface list",
    "IOC_PT_HOSTNAME": "host name",
    "IOC_PT_ADDR4": "IPv4 address|none",
    "IOC_PT_ADDR6": "IPv6 address|none",
    "IOC_PT_MAC": "MAC pair|none",
    "IOC_PT_CPUSET": "CPU list|off",
    "IOC_PT_RELEASE": "release",
    "IOC_PT_COMMAND": "command",
    "IOC_PT_DATASET": "dataset",
    "IOC_PT_PATH": "path|none",
    "IOC_PT_IDMAP": "HOSTID:COUNT",
    "IOC_PT_NATIVE_SIZE": "size|none",
    "IOC_PT_NATIVE_COMPRESS": "compression",
    "IOC_PT_NETIF": "interface|none",
    "IOC_PT_CIDR4": "IPv4 network",
    "IOC_PT_FORWARDS": "port forwards|none",
    "IOC_PT_SYNCTARGET": "sync target|none",
}

MACROS = {
    # name: (type, flags, min, max, choices, help) with the default given at the call
    "JP": lambda n, t, d: (n, t, d, "IOC_PF_FREEBSD", "0", "0", "NULL", '"jail(8) parameter"'),
    "JB": lambda n, d: (n, "IOC_PT_BOOL01", d, "IOC_PF_FREEBSD", "0", "1", "NULL",
                        '"jail(8) parameter (0|1)"'),
    "RL": lambda n, d: (n, "IOC_PT_RLIMIT", d, "0", "0", "0", "NULL",
                        '"resource limit LIMIT:ACTION or off"'),
}

GROUPS = {
    "iocage's own": "iocage's own",
    "jail parameters": "Jail parameters",
    "network": "Network",
    "resource limits": "Resource limits",
    "native ZFS": "Native ZFS properties",
    "fetching": "Fetching",
}


def split_args(s):
    """Splits a C initializer's fields at top-level commas (strings kept whole)."""
    out, cur, q, i = [], "", False, 0
    while i < len(s):
        c = s[i]
        if q:
            cur += c
            if c == "\\":
                cur += s[i + 1]
                i += 1
            elif c == '"':
                q = False
        elif c == '"':
            q = True
            cur += c
        elif c == ",":
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


def unq(s):
    s = s.strip()
    if s == "NULL":
        return None
    assert s.startswith('"') and s.endswith('"'), s
    return s[1:-1].replace('\\"', '"').replace("\\\\", "\\")


def parse_table(path):
    text = open(path).read()
    start = text.index("const struct ioc_prop ioc_props[] = {")
    end = text.index("\n};", start)
    body = text[start:end].split("\n", 1)[1]
    rows, group = [], None
    for m in re.finditer(r'/\*\s*(.*?)\s*\*/|\{([^{}]*)\}|\b(JP|JB|RL)\(([^()]*)\)', body):
        if m.group(1) is not None:
            group = GROUPS.get(m.group(1), m.group(1))
            continue
        if m.group(2) is not None:
            f = split_args(m.group(2))
        else:
            f = MACROS[m.group(3)](*split_args(m.group(4)))
        name, ptype, dflt, flags, lo, hi, choices, hlp = f
        rows.append({
            "group": group, "name": unq(name), "type": ptype, "default": unq(dflt),
            "flags": set(x.strip() for x in flags.split("|")), "min": lo, "max": hi,
            "choices": unq(choices), "help": unq(hlp),
        })
    return rows


SPECIAL = {
    "%UUID%": "the jail's UUID",
    "%HOSTID%": "this host's hostid",
    "jails/%UUID%/data": "R/jails/UUID/data",
}


def esc(s):
    """Escapes text for an mdoc argument line."""
    return s.replace("\\", "\\e")


def quoted(s):
    s = esc(s)
    if " " in s or s == "" or s[0] in "|":
        return '"%s"' % s
    return s


def type_text(r):
    t = r["type"]
    if t == "IOC_PT_CHOICE":
        return r["choices"]
    if t == "IOC_PT_INT" and (r["min"] != "0" or r["max"] != "0"):
        return "integer %s..%s" % (r["min"], r["max"])
    return TYPES[t]


def default_text(r):
    d = r["default"]
    if d == "-":
        return None
    return d


def render(rows):
    out = []
    group = None
    for r in rows:
        if "IOC_PF_HIDDEN" in r["flags"]:
            continue
        if r["group"] != group:
            if group is not None:
                out.append(".El")
            group = r["group"]
            out.append(".Ss %s" % group)
            out.append(".Bl -tag -width Ds")
        out.append(".It Va %s" % r["name"])
        out.append("Type")
        out.append(".Ql %s ;" % quoted(type_text(r)))
        d = default_text(r)
        if d is None:
            out.append("no default (read from ZFS or computed).")
        elif d in SPECIAL:
            out.append("built-in default: %s." % SPECIAL[d])
        else:
            out.append("built-in default")
            out.append(".Ql %s ." % quoted(d))
        notes = []
        if "IOC_PF_RO" in r["flags"]:
            notes.append("read-only")
        if "IOC_PF_FREEBSD" in r["flags"]:
            notes.append("FreeBSD only")
        if "IOC_PF_LINUX" in r["flags"]:
            notes.append("Linux only")
        if "IOC_PF_CREATE" in r["flags"]:
            notes.append("set at create only")
        if "IOC_PF_NODEFAULT" in r["flags"] and "IOC_PF_RO" not in r["flags"]:
            notes.append("per jail, not a root default")
        if "IOC_PF_NATIVE" in r["flags"]:
            notes.append("native ZFS property")
        h = r["help"]
        if h.startswith("jail(8) parameter"):
            out.append(".Xr jail 8")
            out.append("parameter.")
        else:
            out.append(esc(h[0].upper() + h[1:]) + ".")
        if notes:
            n = ", ".join(notes)
            n = n[0].upper() + n[1:] + "."
            if "FreeBSD only" in n:
                a, b = n.split("FreeBSD", 1)
                if a:
                    out.append(esc(a.rstrip()))
                out.append(".Fx")
                out.append(esc(b.lstrip()))
            else:
                out.append(esc(n))
    if group is not None:
        out.append(".El")
    return "\n".join(out) + "\n"


def main():
    rows = parse_table(os.path.join(REPO, "src", "core", "props.c"))
    text = render(rows)
    if len(sys.argv) > 1 and sys.argv[1] == "--update":
        page = os.path.join(REPO, "man", "iocage.8")
        src = open(page).read()
        a = src.index(BEGIN) + len(BEGIN) + 1
        b = src.index(END)
        new = src[:a] + text + src[b:]
        tmp = page + ".tmp"
        with open(tmp, "w") as f:
            f.write(new)
        os.rename(tmp, page)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
