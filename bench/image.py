#!/usr/bin/python3
"""Export/import benchmark: `iocage export` and `iocage import` of a jail
against the raw `zfs send -R` and `zfs receive` of the same datasets, and the
size of a thin jail's incremental export (`export -i`) against a full one.

A thick jail with DATA_MB (default 128) of incompressible data; medians of
BENCH_IMAGE_REPS (default 3) runs.  Writes the "Export and import" section of
bench/RESULTS.md.
"""
import hashlib
import os
import statistics
import subprocess
import time

from common import BenchRoot, destroy, fill, once, run, write_section

DATA_MB = int(os.environ.get("DATA_MB", "128"))
REPS = int(os.environ.get("BENCH_IMAGE_REPS", "3"))


def piped(src, dst, stdin=None, stdout=None):
    """Seconds of `src | dst` (two processes and a pipe, as iocage's streams go)."""
    t = time.perf_counter()
    a = subprocess.Popen(src, stdin=stdin, stdout=subprocess.PIPE)
    b = subprocess.Popen(dst, stdin=a.stdout, stdout=stdout)
    a.stdout.close()
    rb, ra = b.wait(), a.wait()
    assert ra == 0 and rb == 0, (src, dst)
    return time.perf_counter() - t


def main():
    with BenchRoot("iocbenchimg", size_gb=8) as b:
        u = run(b.io + ["create", "release=bb", "tag=big"]).stdout.split()[0]
        jds = "%s/jails/%s" % (b.root, u)
        fill(os.path.join(b.mountpoint(jds + "/root"), "data.bin"), DATA_MB)
        run(["sync"])
        img = os.path.join(b.work, "big.img")
        raw = os.path.join(b.work, "big.zfs")
        run(["zfs", "snapshot", "-r", jds + "@raw"])
        # warm: the first read of the data is from disk, whichever command makes
        # it, and the first export here has always been the slowest: one untimed
        run(b.io + ["export", "big", img])
        t_exp, t_send, t_imp, t_recv, f_exp, f_imp = [], [], [], [], [], []
        for i in range(REPS):
            if os.path.exists(img):
                os.unlink(img)
            # each timed run starts with nothing left to write back: the one
            # before it does not slow it down (the raw commands do not fsync)
            run(["sync"])
            t_exp.append(once(b.io + ["export", "big", img]))
            run(["sync"])
            with open(raw, "wb") as f:
                t = time.perf_counter()
                p = subprocess.run(["zfs", "send", "-R", jds + "@raw"], stdout=f,
                                   stderr=subprocess.PIPE)
                t_send.append(time.perf_counter() - t)
                assert p.returncode == 0, p.stderr
            run(["sync"])
            t_imp.append(once(b.io + ["import", img, "tag=imp%d" % i]))
            run(b.io + ["destroy", "-f", "imp%d" % i])
            dst = "%s/rawrecv%d" % (b.pool, i)
            run(["sync"])
            with open(raw, "rb") as f:
                t = time.perf_counter()
                p = subprocess.run(["zfs", "receive", dst], stdin=f, stderr=subprocess.PIPE)
                t_recv.append(time.perf_counter() - t)
                assert p.returncode == 0, p.stderr
            destroy(dst)
            # the floor: what zfs alone costs the same work through a pipe, as
            # iocage's streams go (export: its snapshot, send and destroy; import:
            # the receive), without iocage's hashing, framing and checks
            snap = "%s@floor%d" % (jds, i)
            run(["sync"])
            t = once(["zfs", "snapshot", "-r", snap])
            with open(raw + ".floor", "wb") as f:
                t += piped(["zfs", "send", "-R", snap], ["cat"], stdout=f)
            f_exp.append(t + once(["zfs", "destroy", "-r", snap]))
            run(["sync"])
            with open(raw, "rb") as f:
                f_imp.append(piped(["cat"], ["zfs", "receive", dst], stdin=f))
            destroy(dst)
        full_size, raw_size = os.path.getsize(img), os.path.getsize(raw)
        # a thin jail with 1 MiB of its own: incremental from the release vs full
        ut = run(b.io + ["create", "-c", "release=bb", "tag=thin"]).stdout.split()[0]
        fill(os.path.join(b.mountpoint("%s/jails/%s/root" % (b.root, ut)), "own.bin"), 1)
        thin_full = os.path.join(b.work, "thin-full.img")
        thin_inc = os.path.join(b.work, "thin-inc.img")
        run(b.io + ["export", "thin", thin_full])
        run(b.io + ["export", "-i", "thin", thin_inc])
        sf, si = os.path.getsize(thin_full), os.path.getsize(thin_inc)
    med = statistics.median
    mbps = lambda s: DATA_MB / s
    blob = os.urandom(32 << 20)
    t = time.perf_counter()
    hashlib.sha256(blob).hexdigest()
    sha_mbps = 32 / (time.perf_counter() - t)
    rows = [("export vs `zfs send -R`", med(t_exp), med(t_send), med(f_exp)),
            ("import vs `zfs receive`", med(t_imp), med(t_recv), med(f_imp))]
    lines = ["Made by `make bench` (bench/image.py) on %s: a thick jail holding %d MiB of "
             "random data, medians of %d runs, image and stream files on the same disk as "
             "the pool's file, one untimed export first (zfs-fuse caches the data: whichever "
             "command read it first paid for the disk), `sync` before each timed run.  iocage's export also takes the snapshot (the raw send is timed "
             "from an existing one), hashes every stream and writes it in 4 MiB tar chunks "
             "with a manifest, and fsyncs the image before it renames it into place (the raw send "
             "and the floor's `cat` do not: their data may still be in the page cache when "
             "they end); its import reads the image once, hashing every stream as it "
             "goes to zfs receive into a quarantine.\n"
             % (time.strftime("%Y-%m-%d"), DATA_MB, REPS),
             "| operation | iocage s | raw zfs s | iocage MiB/s | ratio (target ≤ 1.5) "
             "| floor s | floor ratio | iocage / floor |",
             "|---|---|---|---|---|---|---|---|"]
    for name, a, r, fl in rows:
        lines.append("| %s | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f | %.2f |"
                     % (name, a, r, mbps(a), a / r, fl, fl / r, a / fl))
    lines += ["",
              "Image size: %.1f MiB (raw `zfs send -R` stream: %.1f MiB)." % (
                  full_size / 2**20, raw_size / 2**20),
              "",
              "A thin jail with 1 MiB of its own data: full export %.1f MiB, incremental from "
              "its release snapshot (`export -i`) %.1f MiB (%.0f%% of full)." % (
                  sf / 2**20, si / 2**20, 100.0 * si / sf)]
    miss = [n for n, a, r, fl in rows if a / r > 1.5]
    lines += ["", "Floor: the same work done by zfs alone, through a pipe as iocage's streams "
              "go: for export `zfs snapshot -r`, `zfs send -R | cat > file` and `zfs destroy "
              "-r`; for import `cat file | zfs receive`.  zfs-fuse's receive is slower from a "
              "pipe than from a file, and its snapshot and destroy are each a transaction, so "
              "the floor ratio is what no exporter streaming through a pipe can beat here."]
    if miss:
        lines += ["", "Target missed for: %s.  The rest of the difference is what raw zfs does "
                  "not do: hashing every stream and the whole image, writing tar members and "
                  "syncing the image to disk (export); hashing, the checks of what was "
                  "received, the tag index entry and the tag (import).  Hashing is libcrypto's SHA-256 where configure finds it "
                  "(%.0f MiB/s here, measured in this run; the portable fallback in "
                  "src/sha256.c managed about 190 MiB/s)." % (", ".join(miss), sha_mbps)]
    for l in lines:
        print(l)
    write_section("Export and import vs raw zfs send/receive", lines)


if __name__ == "__main__":
    main()
