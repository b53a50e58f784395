#!/usr/bin/env python3
"""Checks that includes only go down the layers of src/ (docs/ARCHITECTURE.md).

Each folder of src/ is a layer; a file may include headers of its own folder
and of folders ranked below it, never above.  The two engines never include
each other.  Prints every include that breaks the rule; exit 1 when any does.
Run by make lint."""
import os
import re
import sys

RANK = {"util": 0, "spawn": 1, "fetch": 1, "zfs": 2, "core": 3, "image": 4, "net": 4,
        "engine": 5, "ops": 6, "cli": 7}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main(top):
    bad = []
    src = os.path.join(top, "src")
    for d, _, files in os.walk(src):
        rel = os.path.relpath(d, src)
        layer = rel.split(os.sep)[0]
        if rel == "." or layer == "init":  # ioc-init: its own program, libc only
            continue
        if layer not in RANK:
            bad.append("%s: a folder that is no layer (add it to scripts/check-layers.py "
                       "and docs/ARCHITECTURE.md)" % rel)
            continue
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            with open(path) as fh:
                for n, line in enumerate(fh, 1):
                    m = INC.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    parts = target.split("/")
                    where = "src/%s:%d: includes \"%s\"" % (os.path.join(rel, f), n, target)
                    if len(parts) < 2 or parts[0] not in RANK:
                        bad.append(where + ": name headers by their folder (\"zfs/zfs.h\")")
                        continue
                    to = parts[0]
                    if to == layer:
                        sub, tsub = rel.split(os.sep)[1:2], parts[1:2]
                        if layer == "engine" and sub and len(parts) > 2 and tsub != sub:
                            bad.append(where + ": one engine never includes the other")
                        continue
                    if RANK[to] >= RANK[layer]:
                        bad.append(where + ": %s is not below %s" % (to, layer))
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
