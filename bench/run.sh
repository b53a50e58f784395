#!/bin/sh
# make bench: benchmarks side by side with the raw zfs commands (and LXC's own
# tools for the runtime); results in bench/RESULTS.md.  Run on a quiet machine.
set -eu
cd "$(dirname "$0")/.."
/usr/bin/python3 bench/bench.py
/usr/bin/python3 bench/image.py
/usr/bin/python3 bench/sync.py
if [ -f bench/runtime.py ]; then /usr/bin/python3 bench/runtime.py; fi
/usr/bin/python3 bench/pboot.py
