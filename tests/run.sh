#!/bin/sh
# Runs every test: C unit tests, then the integration suite (pytest) against the
# sanitizer build of the real binary on a real zfs-fuse pool.
set -u
cd "$(dirname "$0")/.."
fail=0
units=0
for t in build/unit/t_*; do
	[ -x "$t" ] || continue
	units=$((units + 1))
	if "$t"; then echo "unit ok: $t"; else echo "unit FAILED: $t"; fail=1; fi
done
echo "unit tests: $units run"
IOCAGE_BIN=${IOCAGE_BIN:-build/iocage-asan} /usr/bin/python3 -m pytest -q -p no:cacheprovider --ignore=tests/stress tests "$@" || fail=1
exit $fail
