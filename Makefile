# iocage Pool Party — entry points. POSIX make: GNU make and FreeBSD make both read it.
# The compile rules live in build.mk, which includes the config.mk that ./configure writes.

PREFIX ?= /usr/local
DESTDIR ?=

all: config.mk
	$(MAKE) -f build.mk all

config.mk: configure
	./configure PREFIX=$(PREFIX)

# Install the packages that building and testing need (Debian: apt-get; FreeBSD: pkg).
deps:
	sh scripts/deps.sh

reconfigure:
	./configure PREFIX=$(PREFIX)

check: deps
	./configure PREFIX=$(PREFIX)
	$(MAKE) -j2 -f build.mk all asan unit fuzz
	$(MAKE) -j2 -f build.mk lint fuzz-run FUZZTIME=5
	sh tests/run.sh

# The edit loop: the unit tests and the core integration tests (create, list,
# get/set, snapshots, clean, names; man page and completion against the binary).
check-fast: deps
	./configure PREFIX=$(PREFIX)
	$(MAKE) -j2 -f build.mk all asan unit
	sh tests/run.sh tests/test_core.py tests/test_manpage.py tests/test_completion.py

# The long load run (tests/stress): 500 jails on one root, 20 start/stop
# cycles of 20 running jails; figures in build/stress-load.txt.
stress: deps
	./configure PREFIX=$(PREFIX)
	$(MAKE) -j2 -f build.mk all asan
	rm -f build/stress-load.txt
	IOC_FIGURES=stress-figures.json /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/stress

demo: deps
	./configure PREFIX=$(PREFIX)
	$(MAKE) -f build.mk all
	sh scripts/demo.sh

bench: deps
	./configure PREFIX=$(PREFIX)
	$(MAKE) -f build.mk all
	sh bench/run.sh

fuzz: deps
	./configure PREFIX=$(PREFIX)
	$(MAKE) -f build.mk fuzz-run FUZZTIME=$${FUZZTIME:-60}

lint: deps
	./configure PREFIX=$(PREFIX)
	$(MAKE) -f build.mk lint

install: all
	$(MAKE) -f build.mk install DESTDIR=$(DESTDIR)

uninstall:
	$(MAKE) -f build.mk uninstall DESTDIR=$(DESTDIR)

clean:
	rm -rf build iocage ioc-init config.mk
	find src -name "*.o" -exec rm -f {} +

.PHONY: all deps reconfigure check check-fast stress lint demo bench fuzz install uninstall clean
