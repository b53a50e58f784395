"""man/iocage.8: renders lint-clean, and matches the binary word for word.

Every command `iocage help` lists appears in the SYNOPSIS ("iocage " + its
usage text) and as a head in COMMANDS with the same words; no command the
binary lacks is documented; every property `iocage help properties` prints is
documented with its built-in default and its read-only / FreeBSD-only /
Linux-only flags.  `make install` puts the page and the completions in place.
"""
import os
import re
import subprocess

import pytest

from conftest import REPO, run_iocage

PAGE = os.path.join(REPO, "man", "iocage.8")


def render():
    p = subprocess.run(["mandoc", "-T", "ascii", "-O", "width=400", PAGE], capture_output=True,
                       text=True, check=True)
    return re.sub(r".\x08", "", p.stdout)


def sections(text):
    """{SECTION NAME: text} of the rendered page."""
    res, cur = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            cur = line.strip()
            res[cur] = []
        elif cur:
            res[cur].append(line)
    return {k: "\n".join(v) for k, v in res.items()}


def norm(s):
    return " ".join(s.split())


def help_commands():
    r = run_iocage(["help"])
    assert r.rc == 0, r
    lines = r.out.split("commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    syn = [norm(x) for x in lines if x.strip()]
    assert len(syn) > 20
    return {s.split()[0]: s for s in syn}


def help_properties():
    r = run_iocage(["help", "properties"])
    assert r.rc == 0, r
    res = {}
    for line in r.out.splitlines():
        name, rest = line.split(None, 1)
        res[name] = rest
    assert len(res) > 100
    return res


def test_lint_clean():
    p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", PAGE], capture_output=True,
                       text=True)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", p.stdout + p.stderr


def test_synopsis_matches_help():
    secs = sections(render())
    syn = secs["SYNOPSIS"]
    lines = [norm(l) for l in syn.split("\n") if l.startswith("     iocage ")]
    documented = {l.split()[1]: l for l in lines if not l.startswith("iocage [")}
    cmds = help_commands()
    missing = [c for c in cmds if documented.get(c) != "iocage " + cmds[c]]
    assert not missing, "\n".join("help:   iocage %s\nman:    %s" % (cmds[c], documented.get(c))
                                  for c in missing)
    extra = sorted(set(documented) - set(cmds))
    assert not extra, "documented but not in 'iocage help': %s" % extra


def test_command_heads_match_help():
    secs = sections(render())
    heads = {}
    for line in secs["COMMANDS"].split("\n"):
        # an item head starts at column 5; its description is indented further
        if re.match(r"^     \S", line):
            head = norm(line)
            heads[head.split()[0]] = head
    cmds = help_commands()
    bad = ["help: %s\nman:  %s" % (cmds[c], heads.get(c)) for c in cmds
           if not (heads.get(c) or "").startswith(cmds[c])]
    assert not bad, "\n".join(bad)
    assert not sorted(set(heads) - set(cmds)), sorted(set(heads) - set(cmds))


def prop_items(text):
    """{property: its rendered paragraph} from the PROPERTIES section."""
    items, cur = {}, None
    # the lists start at the first subsection ("   iocage's own")
    text = text[re.search(r"^   \S", text, re.M).start():]
    for line in text.split("\n"):
        m = re.match(r"^     (\w+)(\s+(.*))?$", line)
        if m:
            cur = m.group(1)
            items[cur] = m.group(3) or ""
        elif cur and line.startswith("             "):
            items[cur] += " " + line.strip()
        elif not line.strip():
            continue
        else:
            cur = None
    return {k: norm(v) for k, v in items.items()}


SPECIAL = {"%UUID%": "the jail's UUID", "%HOSTID%": "this host's hostid",
           "jails/%UUID%/data": "R/jails/UUID/data"}


def test_every_property_documented():
    items = prop_items(sections(render())["PROPERTIES"])
    props = help_properties()
    problems = []
    for name, rest in props.items():
        it = items.get(name)
        if it is None:
            problems.append("%s: not documented" % name)
            continue
        m = re.search(r"built-in default `([^']*)'", it)
        if m:
            if not rest.startswith(m.group(1)):
                problems.append("%s: man default %r, help %r" % (name, m.group(1), rest))
        else:
            m = re.search(r"built-in default: ([^.]*'?[^.]*)\.", it)
            special = [k for k, v in SPECIAL.items() if m and m.group(1) == v]
            if not special and "no default" not in it:
                problems.append("%s: no built-in default in %r" % (name, it))
            if special and not rest.startswith(special[0]):
                problems.append("%s: default %r vs help %r" % (name, special[0], rest))
            if "no default" in it and not rest.startswith("- "):
                problems.append("%s: man says no default, help %r" % (name, rest))
        for flag, word in (("(read-only)", "Read-only"), ("(FreeBSD only)", "FreeBSD only"),
                           ("(Linux only)", "Linux only")):
            if (flag in rest) != (word in it):
                problems.append("%s: flag %s differs (help %r, man %r)" % (name, flag, rest, it))
    extra = sorted(set(items) - set(props))
    assert not problems, "\n".join(problems)
    assert not extra, "documented but unknown to 'iocage help properties': %s" % extra


def test_sections_present():
    secs = sections(render())
    for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "PROPERTIES", "ENVIRONMENT",
              "FILES", "EXIT STATUS", "EXAMPLES"):
        assert s in secs, s
    assert "IOCAGE_ROOT" in secs["ENVIRONMENT"]
    assert "/var/run/iocage" in secs["FILES"]
    es = norm(secs["EXIT STATUS"])
    assert "0 Success" in es and "1 Failure" in es and "2 Usage error" in es


def test_man_props_generator_is_current():
    """The PROPERTIES list is what scripts/man-props.py makes from src/core/props.c."""
    p = subprocess.run(["python3", os.path.join(REPO, "scripts", "man-props.py")],
                       capture_output=True, text=True, check=True)
    src = open(PAGE).read()
    begin = '.\\" BEGIN PROPERTIES (scripts/man-props.py)\n'
    part = src[src.index(begin) + len(begin):src.index('.\\" END PROPERTIES')]
    assert part == p.stdout, "run scripts/man-props.py --update"


def test_make_install(tmp_path):
    if not os.path.exists(os.path.join(REPO, "iocage")):
        pytest.skip("./iocage not built")
    dest = str(tmp_path / "dest")
    p = subprocess.run(["make", "-s", "-f", "build.mk", "install", "DESTDIR=" + dest,
                        "PREFIX=/opt/ioc"], cwd=REPO, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    base = dest + "/opt/ioc"
    with open(base + "/share/man/man8/iocage.8") as f:
        assert f.read() == open(PAGE).read()
    assert os.access(base + "/sbin/iocage", os.X_OK)
    assert os.path.exists(base + "/share/bash-completion/completions/iocage")
    assert os.path.exists(base + "/share/zsh/site-functions/_iocage")
