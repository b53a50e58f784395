# Compile rules; included config.mk comes from ./configure.
include config.mk

WARN = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $(PCFLAGS) -Isrc
# The sanitizer build (tests, unit tests) uses clang: its ASan runtime holds
# UBSan's too, where gcc loads libubsan beside libasan and LeakSanitizer scans
# that library's 6 MB of zeroed data at every exit (about 20 ms a command here).
SANCC = clang
SANFLAGS = -std=c11 -D_GNU_SOURCE -DIOC_FAULT_INJECT -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined $(WARN) $(PCFLAGS) -Isrc
LIBSRCS = $(LIBOBJS:.o=.c)

all: iocage ioc-init

iocage: src/cli/main.o $(LIBOBJS)
	$(CC) $(CFLAGS) -o iocage src/cli/main.o $(LIBOBJS) $(PLIBS)

$(LIBOBJS) src/cli/main.o: $(HDRS) config.mk

.c.o:
	$(CC) $(CFLAGS) -c -o $@ $<

# ioc-init: the static PID 1 of Linux jails (src/init/ioc_init.c), found next to
# the binary, one directory up, or in PREFIX/libexec/iocage.
ioc-init: src/init/ioc_init.c
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -static $(WARN) -o ioc-init src/init/ioc_init.c

# AddressSanitizer + UndefinedBehaviorSanitizer build of the same program.
asan: build/iocage-asan build/iocage-vg ioc-init

build/iocage-asan: build/asan/cli/main.o $(ASANOBJS)
	$(SANCC) $(SANFLAGS) -o build/iocage-asan build/asan/cli/main.o $(ASANOBJS) $(PLIBS)

# The same program for valgrind (tests/valgrind-iocage): no sanitizers, fault
# injection compiled in.
build/iocage-vg: src/cli/main.c $(LIBSRCS) $(HDRS)
	mkdir -p build
	$(CC) -std=c11 -D_GNU_SOURCE -DIOC_FAULT_INJECT -O1 -g $(WARN) $(PCFLAGS) -Isrc \
		-o build/iocage-vg src/cli/main.c $(LIBSRCS) $(PLIBS)

# C unit tests: each tests/unit/t_*.c is a program linked with the sanitizer
# objects of the library (configure leaves the command handlers out, and
# writes one rule per test: UNITBINS).
unit: $(UNITBINS)

# libFuzzer targets: tests/fuzz/f_*.c, linked with the library's objects built
# once for fuzzing (FUZZLIBOBJS, see configure; no command handlers).
FUZZCC = clang
FUZZFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	$(PCFLAGS) -Isrc -DIOC_FUZZ
fuzz: $(FUZZLIBOBJS)
	mkdir -p build/fuzz
	for t in tests/fuzz/f_*.c; do \
		[ -e "$$t" ] || continue; \
		n=$$(basename $$t .c); \
		$(FUZZCC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
			$(PCFLAGS) -Isrc -DIOC_FUZZ -o build/fuzz/$$n $$t $(FUZZLIBOBJS) $(PLIBS) \
			|| exit 1; \
	done

# Runs every fuzz target for FUZZTIME seconds on a copy of its checked-in corpus.
FUZZTIME = 60
fuzz-run: fuzz
	for f in build/fuzz/f_*; do \
		n=$$(basename $$f | sed 's/^f_//'); \
		mkdir -p build/fuzz/corpus-$$n; \
		[ -d tests/fuzz/corpus/$$n ] && cp tests/fuzz/corpus/$$n/* build/fuzz/corpus-$$n/ 2>/dev/null; \
		if $$f -max_total_time=$(FUZZTIME) -max_len=4096 build/fuzz/corpus-$$n \
		    > build/fuzz/$$n.log 2>&1; then \
			echo "fuzz $$n: $$(grep -E '^Done' build/fuzz/$$n.log)"; \
		else tail -60 build/fuzz/$$n.log; echo "fuzz $$n: FAILED"; exit 1; fi; \
	done

# Static analysis: includes only go down the layers (scripts/check-layers.py,
# docs/ARCHITECTURE.md), cppcheck and clang-tidy (.clang-tidy), all strict: any
# finding fails.  make check runs it.
lint:
	python3 scripts/check-layers.py
	python3 scripts/check-shape.py
	clang-format --dry-run -Werror $(LIBSRCS) $(wildcard src/*/*.h src/*/*/*.h) src/cli/main.c \
		src/init/*.c
	cppcheck -q --std=c11 --enable=warning,style,performance,portability \
		--suppress=variableScope --inline-suppr --error-exitcode=1 \
		-D_GNU_SOURCE -Isrc $(LIBSRCS) src/cli/main.c src/init/*.c
	ls $(LIBSRCS) src/cli/main.c src/init/*.c | xargs -P2 -I{} clang-tidy -quiet {} -- \
		-std=c11 -D_GNU_SOURCE -Isrc $(PCFLAGS)
	@echo "lint: layers, function length, clang-format, cppcheck and clang-tidy clean"

install: iocage
	mkdir -p $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	cp iocage $(DESTDIR)$(PREFIX)/sbin/iocage
	chmod 755 $(DESTDIR)$(PREFIX)/sbin/iocage
	mkdir -p $(DESTDIR)$(PREFIX)/libexec/iocage
	cp ioc-init $(DESTDIR)$(PREFIX)/libexec/iocage/ioc-init
	chmod 755 $(DESTDIR)$(PREFIX)/libexec/iocage/ioc-init
	cp man/iocage.8 $(DESTDIR)$(PREFIX)/share/man/man8/iocage.8
	chmod 644 $(DESTDIR)$(PREFIX)/share/man/man8/iocage.8
	mkdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions
	cp contrib/completion/iocage.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/iocage
	cp contrib/completion/_iocage $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_iocage
	chmod 644 $(DESTDIR)$(PREFIX)/share/bash-completion/completions/iocage \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_iocage
	@# a host install (no DESTDIR: not a package being staged) grants root the default id
	@# range of unprivileged jails where none covers it, recording it for uninstall
	mkdir -p $(DESTDIR)$(PREFIX)/share/iocage
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		$(PREFIX)/sbin/iocage subids add $(PREFIX)/share/iocage/subids-added; fi

# Removes what install put there, and the subordinate id line only if install added it.
uninstall:
	if [ -z "$(DESTDIR)" ] && [ -x $(PREFIX)/sbin/iocage ]; then \
		$(PREFIX)/sbin/iocage subids remove $(PREFIX)/share/iocage/subids-added; fi
	rm -f $(DESTDIR)$(PREFIX)/sbin/iocage $(DESTDIR)$(PREFIX)/libexec/iocage/ioc-init \
		$(DESTDIR)$(PREFIX)/share/man/man8/iocage.8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/iocage \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_iocage
	-rmdir $(DESTDIR)$(PREFIX)/libexec/iocage $(DESTDIR)$(PREFIX)/share/iocage

.PHONY: all asan unit fuzz fuzz-run lint install uninstall
