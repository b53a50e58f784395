#!/usr/bin/python3
"""Writes the figures of the last `make check` and `make stress` into
tests/RELIABILITY.md (the section after the marker line), from what those runs
left in build/: reliability-figures.json (the main suite under ASan/UBSan),
valgrind-figures.json (the valgrind pass), stress-figures.json and
stress-load.txt (make stress), fuzz/*.log (the fuzz pass).

Usage: scripts/reliability-report.py   (after make check and make stress)
"""
import glob
import json
import os
import re
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(REPO, "tests", "RELIABILITY.md")
MARK = "<!-- figures: written by scripts/reliability-report.py -->"


def load(name):
    p = os.path.join(REPO, "build", name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def totals(fig):
    t = {"passed": 0, "failed": 0, "skipped": 0}
    for v in fig["tests"].values():
        for k in t:
            t[k] += v[k]
    return t


def main():
    out = [MARK, "", "## Figures of the last run", ""]
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    out.append("Run on %s at commit %s (%s)." % (time.strftime("%Y-%m-%d"), commit,
                                                 os.uname().sysname + " " + os.uname().release))
    out.append("")
    out.append("| figure | value |")
    out.append("|---|---|")
    main_f = load("reliability-figures.json")
    if main_f:
        t = totals(main_f)
        out.append("| integration tests (ASan+UBSan build) | %d passed, %d failed, %d skipped "
                   "in %d files |" % (t["passed"], t["failed"], t["skipped"], len(main_f["tests"])))
        out.append("| iocage commands run by them | %d |" % main_f["commands"])
        out.append("| faults injected: SIGKILL at a step / a step made to fail | %d / %d |" % (
            main_f["faults_killed"], main_f["faults_failed"]))
        out.append("| commands run by hostile-input, corruption and disk-full tests | %d |"
                   % main_f["hostile_commands"])
        out.append("| sanitizer reports | %d |" % main_f["sanitizer_reports"])
    vg = load("valgrind-figures.json")
    if vg:
        t = totals(vg)
        out.append("| valgrind memcheck pass | %d tests, %d commands, %d reports (leaks, "
                   "invalid accesses) |" % (t["passed"] + t["failed"], vg["commands"],
                                            vg["sanitizer_reports"] + t["failed"]))
    st = load("stress-figures.json")
    if st:
        t = totals(st)
        out.append("| load run (make stress) | %d passed, %d failed |" % (t["passed"],
                                                                       t["failed"]))
    lp = os.path.join(REPO, "build", "stress-load.txt")
    if os.path.exists(lp):
        with open(lp) as f:
            for line in f:
                out.append("| %s |" % line.strip().replace("load: ", "").replace(": ", " | ", 1))
    runs = 0
    targets = 0
    for log in sorted(glob.glob(os.path.join(REPO, "build", "fuzz", "*.log"))):
        with open(log, errors="replace") as f:
            m = re.search(r"Done (\d+) runs", f.read())
        if m:
            runs += int(m.group(1))
            targets += 1
    if targets:
        out.append("| fuzzing (short CI pass) | %d targets, %d inputs, 0 crashes |" % (targets, runs))
    if main_f:
        out.append("| inventory comparisons before/after each test and the session: differences "
                   "(leaked datasets, mounts, interfaces, cgroups, LXC state, processes, changed "
                   "sentinels) | %d comparisons, %d differences |" % (
                       main_f["inventory_checks"], main_f["inventory_diffs"]))
        out.append("| invariant checks of each test's root: problems | %d checks, %d problems |"
                   % (main_f["invariant_checks"], main_f["invariant_problems"]))
    with open(DOC) as f:
        doc = f.read()
    doc = doc[:doc.index(MARK)] if MARK in doc else doc.rstrip("\n") + "\n\n"
    with open(DOC, "w") as f:
        f.write(doc + "\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
