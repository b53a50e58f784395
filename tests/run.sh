#!/bin/sh
# Runs every test: C unit tests, then the integration suite (pytest) against the
# sanitizer build of the real binary on a real zfs-fuse pool, then the CLI paths
# once more under valgrind memcheck (tests/valgrind-iocage).  The runtime
# commands are left out of the valgrind pass: liblxc re-executes the program
# from a sealed memfd copy, which valgrind cannot follow; they run under ASan.
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
PYTEST="/usr/bin/python3 -m pytest -q -p no:cacheprovider"
# The integration suite runs in parallel workers (pytest-xdist), a test file
# to a worker (its module fixtures made once), each with its own pool; on
# zfs-fuse each worker runs its own daemon in a mount namespace of its own
# (conftest.py: one daemon shared by two busy pools died or deadlocked).
# IOC_TEST_WORKERS=N, default 2; 1: no workers, one process.
# The tests marked "serial" change what every other test relies on (the
# subordinate id lines, the nftables table, the forwarding sysctl) or need a
# host nobody else uses: they run afterwards, alone, their figures added to
# the first pass's.
workers=${IOC_TEST_WORKERS:-2}
if ! [ "$workers" -ge 1 ] 2>/dev/null; then
	echo "IOC_TEST_WORKERS='$workers' is not a number of workers (1 or more): running with 1" >&2
	workers=1
fi
if [ "$workers" -ge 2 ]; then par="-n $workers --dist loadfile"; else par="-n 0"; fi
# with arguments (make check-fast): only those test files, no valgrind pass
if [ $# -eq 0 ]; then
	export IOCAGE_BIN=${IOCAGE_BIN:-build/iocage-asan}
	$PYTEST --durations=25 --ignore=tests/stress $par -m "not serial" tests || fail=1
	echo "the serial tests, alone:"
	IOC_FIGURES_ADD=1 $PYTEST --durations=5 --ignore=tests/stress -m serial tests || fail=1
	unset IOCAGE_BIN
else
	IOCAGE_BIN=${IOCAGE_BIN:-build/iocage-asan} $PYTEST --durations=10 "$@" || fail=1
fi
if [ $# -eq 0 ] && [ -x build/iocage-vg ]; then
	echo "valgrind pass over the CLI paths:"
	# one test at a time to a worker: twelve tests, mostly of one file
	if [ "$workers" -ge 2 ]; then par="-n $workers --dist load"; fi
	IOC_FIGURES=valgrind-figures.json IOCAGE_BIN=tests/valgrind-iocage $PYTEST --durations=5 $par \
		tests/test_core.py::test_activate_makes_children_and_marks_root \
		tests/test_core.py::test_create_thick_thin_empty_and_list \
		tests/test_core.py::test_get_set_and_sources \
		tests/test_core.py::test_names_tag_uuid_prefix \
		tests/test_core.py::test_clean_removes_only_debris \
		tests/test_core.py::test_get_one_property_of_every_jail \
		tests/test_core.py::test_snapshot_snaplist_rollback_snapremove \
		tests/test_template.py::test_clone_template_is_thin_and_carries_settings \
		tests/test_export.py::test_export_to_images_and_import \
		tests/test_fetch.py::test_fetch_over_http_defaults \
		tests/test_fetch.py::test_file_import \
		tests/test_legacy.py::test_activate_recognises_and_manages_in_place \
		|| fail=1
fi
exit $fail
