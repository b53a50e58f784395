#!/usr/bin/env python3
"""Checks the shape of the C sources (make lint): no function longer than
120 lines, from the line of its name to its closing brace (KNF: the name
starts a line, the braces of a function stand alone at column 0).  Prints
each offender as file:line and exits 1 if there is one.  The width of lines
is clang-format's check (the ColumnLimit of .clang-format)."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_FUNC = 120
NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")


def sources():
    for d, _, files in os.walk(os.path.join(ROOT, "src")):
        for n in sorted(files):
            if n.endswith((".c", ".h")):
                yield os.path.join(d, n)


def check(path):
    problems = []
    rel = os.path.relpath(path, ROOT)
    name, start = None, None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines, 1):
        m = NAME.match(line)
        if m:
            name, head = m.group(1), i
        elif line.startswith("{") and name:
            start = head
        elif line.startswith("}") and start:
            n = i - start + 1
            if n > MAX_FUNC:
                problems.append("%s:%d: %s is %d lines (the limit is %d)"
                                % (rel, start, name, n, MAX_FUNC))
            name, start = None, None
    return problems


def main():
    problems = []
    for p in sources():
        problems += check(p)
    for p in problems:
        print(p)
    if problems:
        print("check-shape: %d problem(s)" % len(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
