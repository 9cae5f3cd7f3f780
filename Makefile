# SPDX-License-Identifier: MIT
# cfork: `make`, `make test`, `make demo`, `make install`; V=1 for commands.

VERSION_MAJOR := 1
VERSION := $(VERSION_MAJOR).0.0

PREFIX ?= /usr/local
prefix ?= $(PREFIX)
LIBDIR ?= $(prefix)/lib
libdir ?= $(LIBDIR)
INCLUDEDIR ?= $(prefix)/include
includedir ?= $(INCLUDEDIR)
pkgconfigdir ?= $(libdir)/pkgconfig
DESTDIR ?=

# Where objects and programs go; `make check-asan` builds in its own.
O ?= build

CC ?= cc
# No -Werror by default: a newer compiler's new warning must not break a
# user's or a distribution's build. CI adds it (.ci/run).
CFLAGS ?= -g -O2 -Wall -Wextra
# Distributions pass their hardening here (-D_FORTIFY_SOURCE, -z relro -z
# now): every compile line takes CPPFLAGS, every link line LDFLAGS.
CPPFLAGS ?=
LDFLAGS ?=
# A cross build's wrapper (e.g. aarch64-linux-gnu-pkg-config).
PKG_CONFIG ?= pkg-config
ARCH := $(shell $(CC) -dumpmachine | cut -d- -f1)
ARCH_DIR := $(if $(wildcard arch/$(ARCH)/clone.S),arch/$(ARCH),arch/generic)

override CFLAGS += -std=gnu11 -D_GNU_SOURCE -fPIC -Iinclude -MMD -MP
LIB_CFLAGS := -fvisibility=hidden -I$(ARCH_DIR) -Isrc
LIBS := -lpthread
# The sandbox compiles its seccomp filters with libseccomp (in the parent).
LIB_CFLAGS += $(shell $(PKG_CONFIG) --cflags libseccomp 2>/dev/null)
LIBS += $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null || echo -lseccomp)
# io_uring write-out; URING=0 builds without it (pwritev only), e.g. for a
# cross build with no liburing for the target.
URING ?= 1
ifeq ($(URING),1)
LIB_CFLAGS += -DCFORK_HAVE_URING \
	$(shell $(PKG_CONFIG) --cflags liburing 2>/dev/null)
LIBS += $(shell $(PKG_CONFIG) --libs liburing 2>/dev/null || echo -luring)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

SONAME := libcfork.so.$(VERSION_MAJOR)
LIB_SRCS := $(wildcard src/*.c) $(wildcard $(ARCH_DIR)/*.c) \
	    $(wildcard $(ARCH_DIR)/*.S)
LIB_OBJS := $(patsubst %,$(O)/%.o,$(basename $(LIB_SRCS)))
STATIC_LIB := $(O)/libcfork.a
SHARED_LIB := $(O)/libcfork.so.$(VERSION)

EXAMPLES := $(patsubst examples/%.c,$(O)/examples/%,$(wildcard examples/*.c))
TEST_SRCS := $(wildcard tests/*.c)
TEST_BIN := $(O)/tests/cfork-tests
# Programs with a main() of their own that the tests run.
TEST_PROGS := $(patsubst tests/progs/%.c,$(O)/tests/progs/%,\
	      $(wildcard tests/progs/*.c))
TEST_PKGS := criterion libseccomp
DEP_PKGS := liburing libseccomp criterion
DEP_DEBS := pkg-config liburing-dev libseccomp-dev libcriterion-dev
# Criterion's own flags for `make test`, e.g. TEST_ARGS='--filter=spawn/*'.
TEST_ARGS ?=

.PHONY: all examples demo test check-asan bench bench-sandbox deps install \
	uninstall clean

all: $(STATIC_LIB) $(SHARED_LIB)

# Plain `make` and `make install` build with what is on the machine and
# install nothing: the library needs liburing-dev and libseccomp-dev, never
# Criterion. The targets that set up a machine for development (the two of
# the README's "Try it", CI's, and those that built through `deps` before)
# run `deps` first, and before any library object even under -j: on a fresh
# machine the objects need the headers it installs.
DEPS_GOALS := test demo check-asan check-valgrind fuzz bench bench-sandbox \
	      bench-writeout stress fuzz-corpus
ifneq ($(filter $(DEPS_GOALS),$(MAKECMDGOALS)),)
$(LIB_OBJS): | deps
endif

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(LIB_CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(O)/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(STATIC_LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS) cfork.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname=$(SONAME) \
		-Wl,--version-script=cfork.map -Wl,-z,defs -o $@ $(LIB_OBJS) $(LIBS)
	$(Q)ln -sf $(notdir $@) $(O)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(O)/libcfork.so

# Examples link the shared library, as a user's program would.
$(O)/examples/%: examples/%.c $(SHARED_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< -L$(O) -lcfork \
		-Wl,-rpath,$(abspath $(O))

examples: $(EXAMPLES)

demo: deps $(EXAMPLES)
	@echo "== example"; $(O)/examples/example
	@echo "== args"; $(O)/examples/args
	@echo "== sandbox"; $(O)/examples/sandbox
	@echo "== typed"; $(O)/examples/typed

# Tests link the static library: the shared one is covered by the examples.
$(O)/tests/%.o: tests/%.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)) \
		$(CPPFLAGS) -DTEST_PROGS_DIR='"$(abspath $(O))/tests/progs"' -c -o $@ $<

$(O)/tests/progs/%: tests/progs/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
		$(STATIC_LIB) $(LIBS)

$(TEST_BIN): $(patsubst tests/%.c,$(O)/tests/%.o,$(TEST_SRCS)) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs $(TEST_PKGS)) $(LIBS)

test: deps $(TEST_BIN) $(TEST_PROGS) $(EXAMPLES) compile-fail
	$(TEST_BIN) --timeout=60 $(TEST_ARGS)

# Calls that must not compile (tests/compile_fail): line 1 of each snippet is
# /* expect: PHRASE */, and the compiler's diagnostics must contain PHRASE.
# Each snippet must also compile with -DFIXED, which corrects the mistake, so
# it fails for that mistake and nothing else. -MMD would leave a .d file in
# the source tree, since -fsyntax-only writes no object to name it after.
COMPILE_FAIL_SRCS := $(wildcard tests/compile_fail/*.c)
COMPILE_FAIL_FLAGS = $(filter-out -MMD -MP,$(CFLAGS)) -Iinclude $(CPPFLAGS) \
	-fsyntax-only

.PHONY: compile-fail
compile-fail:
	@mkdir -p $(O)/tests/compile_fail
	$(Q)fail=0; for f in $(COMPILE_FAIL_SRCS); do \
		$(if $(Q),echo "  NOCC    $$f";) \
		log=$(O)/tests/compile_fail/$$(basename $$f .c).log; \
		want=$$(sed -n '1s|^/\* expect: \(.*\) \*/$$|\1|p' $$f); \
		if [ -z "$$want" ]; then \
			echo "$$f: line 1 is not /* expect: ... */"; fail=1; \
		elif $(CC) $(COMPILE_FAIL_FLAGS) $$f >$$log 2>&1; then \
			echo "$$f: compiled; must fail with: $$want"; fail=1; \
		elif ! grep -qF -- "$$want" $$log; then \
			echo "$$f: failed, but not with: $$want"; \
			cat $$log; fail=1; \
		elif ! $(CC) $(COMPILE_FAIL_FLAGS) -DFIXED $$f \
				>$$log.fixed 2>&1; then \
			echo "$$f: fails with -DFIXED too:"; \
			cat $$log.fixed; fail=1; \
		fi; \
	done; exit $$fail

# Benchmarks print numbers; nothing asserts on them. BENCH_ARGS='--resident 2'.
BENCH_ARGS ?=
$(O)/tests/bench/%: tests/bench/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
		$(STATIC_LIB) $(LIBS)

bench: $(O)/tests/bench/bench
	$(O)/tests/bench/bench $(BENCH_ARGS)

# T threads x N spawns with every result checked; fails on any fd, mapping
# or child leaked. STRESS_ARGS='-t 8 -n 5000'.
STRESS_ARGS ?=
.PHONY: stress
stress: $(O)/tests/bench/stress
	$(O)/tests/bench/stress $(STRESS_ARGS)

# The payload's write into a memfd alone, by method: the measurement behind
# the write-out engine's choice (src/uring.c). BENCH_ARGS='-n 50 --large'.
.PHONY: bench-writeout
bench-writeout: $(O)/tests/bench/writeout
	$(O)/tests/bench/writeout $(BENCH_ARGS)

# Spawn latency with each sandbox layer; BENCH_ARGS='--runs 500'.
bench-sandbox: $(O)/tests/bench/sandbox_bench
	$(O)/tests/bench/sandbox_bench $(BENCH_ARGS)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
# handle_segv=0: tests that expect a child or a worker to die by SIGSEGV
# (a write to a frozen buffer, raise(SIGSEGV)) must see the signal, not
# ASan's report and exit code; a stray SIGSEGV still fails its test.
check-asan: deps
	$(MAKE) O=$(O)/asan CFLAGS="-g -O1 -Wall -Wextra -Werror $(SAN_FLAGS)" \
		$(O)/asan/tests/cfork-tests $(subst $(O)/,$(O)/asan/,$(TEST_PROGS))
	ASAN_OPTIONS=detect_leaks=1:handle_segv=0 \
		UBSAN_OPTIONS=print_stacktrace=1 \
		$(O)/asan/tests/cfork-tests --timeout=120 $(TEST_ARGS)

.PHONY: fuzz fuzz-corpus fuzz-deps

# Under libFuzzer for FUZZ_SECONDS each: the payload decoder
# (tests/fuzz/decode.c), then the parent's reader of the report channel
# (tests/fuzz/report.c). For the decoder the library is rebuilt in its own
# directory with the fuzzer's coverage hooks and ASan/UBSan; new inputs go
# to $(O)/fuzz/corpus, crashes to $(O)/fuzz/crashes. The committed corpus
# (tests/fuzz/corpus: real payloads and every crash ever found) is replayed
# first. clang only: libFuzzer is its runtime.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=
FUZZ_FLAGS := -g -O1 -Wall -Wextra -Werror $(SAN_FLAGS)
FUZZ_O := $(O)/fuzz

# The report reader's inputs reach past 64 KiB, its largest result_max, so
# that a result can overflow every bound it picks. Its corpus is
# tests/fuzz/report-corpus; new inputs go to $(O)/fuzz/report-corpus.
fuzz: $(FUZZ_O)/decode $(FUZZ_O)/report
	@mkdir -p $(FUZZ_O)/corpus $(FUZZ_O)/report-corpus $(FUZZ_O)/crashes
	$(FUZZ_O)/decode -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_O)/crashes/ \
		$(FUZZ_ARGS) $(FUZZ_O)/corpus tests/fuzz/corpus
	$(FUZZ_O)/report -max_total_time=$(FUZZ_SECONDS) -max_len=70000 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_O)/crashes/ \
		$(FUZZ_ARGS) $(FUZZ_O)/report-corpus tests/fuzz/report-corpus

$(FUZZ_O)/decode: tests/fuzz/decode.c $(LIB_SRCS) src/internal.h \
		  include/cfork.h | fuzz-deps
	$(MAKE) O=$(FUZZ_O)/lib CC=$(FUZZ_CC) \
		CFLAGS="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" \
		$(FUZZ_O)/lib/libcfork.a
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -std=gnu11 \
		-D_GNU_SOURCE -Iinclude $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
		$(FUZZ_O)/lib/libcfork.a $(LIBS)

# src/report.c alone: it needs nothing else of the library (libseccomp and
# liburing least of all), and the fuzzer's hooks then cover the reader only.
$(FUZZ_O)/report: tests/fuzz/report.c src/report.c src/internal.h \
		  include/cfork.h | fuzz-deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -std=gnu11 \
		-D_GNU_SOURCE -Iinclude -Isrc $(CPPFLAGS) $(LDFLAGS) -o $@ \
		tests/fuzz/report.c src/report.c

# Rewrites tests/fuzz/corpus from tests/fuzz/seed.c: after a change to the
# payload format. Crash reproducers (crash-*) are kept.
fuzz-corpus: $(O)/tests/fuzz/seed
	$(O)/tests/fuzz/seed tests/fuzz/corpus

$(O)/tests/fuzz/seed: tests/fuzz/seed.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
		$(STATIC_LIB) $(LIBS)

# clang and its libFuzzer runtime (Debian: libclang-rt-N-dev, which clang
# only recommends), installed where we may, for the fuzz target only.
fuzz-deps: deps
	@probe='int LLVMFuzzerTestOneInput(const char *d, unsigned long n) \
		{ (void)d; (void)n; return 0; }'; \
	fuzzer_ok() { echo "$$probe" | $(FUZZ_CC) -fsanitize=fuzzer -x c - \
		-o /dev/null >/dev/null 2>&1; }; \
	fuzzer_ok && exit 0; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "cfork: $(FUZZ_CC) cannot link -fsanitize=fuzzer;" \
		     "run: sudo apt-get install -y clang libclang-rt-dev"; \
		exit 1; \
	fi; \
	echo "cfork: installing clang and its libFuzzer runtime"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq clang >/dev/null || exit 1; \
	major=$$($(FUZZ_CC) -dumpversion | cut -d. -f1); \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		libclang-rt-$$major-dev >/dev/null || exit 1; \
	fuzzer_ok || { echo "cfork: -fsanitize=fuzzer still fails"; exit 1; }

.PHONY: check-valgrind

# memcheck on the examples, the stress program, a program that registers at
# run time, and Criterion tests picked to cover the parent's and the
# child's paths (decoder, results, child-side errors, kept fds, nested
# spawns). Children are traced too: under valgrind /proc/self/exe and
# AT_EXECFN name the program, not valgrind, so cfork re-executes the right
# binary and the child runs under memcheck as well. Criterion ignores its
# workers' exit codes, so every process writes its own log and any error
# line ("==PID==") in any log fails the target; valgrind's warnings
# ("--PID--": clone3 and pidfd_send_signal are unknown to 3.19) do not.
VALGRIND ?= valgrind
VALGRIND_TESTS ?= @(wire/decode_*|proc/wait_collects_a_result_larger_than_a_pipe|init/results_of_several_returns_concatenate|init/wrong_getter_type_ends_child_with_usage|launch/keep_fds_reach_child_under_the_same_number|hostile/spoofed_marker_in_a_caller_never_reaches_the_grandchild)
VALGRIND_LOGS := $(O)/valgrind
VALGRIND_RUN = $(VALGRIND) -q --error-exitcode=1 --leak-check=full \
	--trace-children=yes --suppressions=tests/valgrind.supp \
	--log-file=$(VALGRIND_LOGS)/%p.log

check-valgrind: deps $(EXAMPLES) $(TEST_BIN) $(TEST_PROGS) \
		$(O)/tests/bench/stress
	@command -v $(VALGRIND) >/dev/null 2>&1 || { \
		echo "cfork: valgrind not found; run: sudo apt-get install -y valgrind"; \
		exit 1; }
	@rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	$(VALGRIND_RUN) $(O)/examples/example
	$(VALGRIND_RUN) $(O)/examples/args
	$(VALGRIND_RUN) $(O)/tests/progs/runtime_main parent
	$(VALGRIND_RUN) $(O)/tests/bench/stress -t 2 -n 10
	$(VALGRIND_RUN) $(TEST_BIN) -j1 --timeout=300 \
		--filter '$(VALGRIND_TESTS)'
	@bad=$$(grep -l '^==[0-9]*== ' $(VALGRIND_LOGS)/*.log); \
	if [ -n "$$bad" ]; then cat $$bad; \
		echo "cfork: memcheck errors in $$bad"; exit 1; fi; \
	echo "check-valgrind: $$(ls $(VALGRIND_LOGS) | wc -l) processes," \
	     "no memcheck error"

.PHONY: build-aarch64 check-aarch64

# arm64, cross-built and run on a real arm64 kernel: qemu-user cannot run
# the clone3 trampoline (arch/aarch64/clone.S), qemu-system-aarch64 can.
# tests/aarch64/setup.sh installs the host's tools (as root, with apt-get)
# and unpacks Debian's arm64 libraries, busybox and kernel into
# $(AARCH64_DIR)/sysroot; the library, the examples, the Criterion suite
# and its programs are built into $(AARCH64_O) against it. check-aarch64
# then boots them in an initramfs (tests/aarch64/run.sh) and exits with
# the suite's status. AARCH64_TIMEOUT bounds the guest in seconds;
# TEST_ARGS reach Criterion as for `make test`.
AARCH64_DIR := $(O)/aarch64
AARCH64_O := $(AARCH64_DIR)/build
AARCH64_SYSROOT = $(abspath $(AARCH64_DIR))/sysroot
AARCH64_CROSS ?= aarch64-linux-gnu-
AARCH64_TIMEOUT ?= 1800
# Each test's, in seconds: emulation runs the suite some 10 times slower
# than the host, where a test gets 30 s (tests/helpers.h).
AARCH64_TEST_TIMEOUT ?= 300
# Cross builds read the target's .pc files, with their paths under the
# sysroot; -rpath-link finds the libraries Criterion's own depend on.
AARCH64_PKG_CONFIG = env PKG_CONFIG_SYSROOT_DIR=$(AARCH64_SYSROOT) \
	PKG_CONFIG_LIBDIR=$(AARCH64_SYSROOT)/usr/lib/aarch64-linux-gnu/pkgconfig \
	$(PKG_CONFIG)
AARCH64_LDFLAGS = $(LDFLAGS) -Wl,-rpath-link,$(AARCH64_SYSROOT)/usr/lib/aarch64-linux-gnu:$(AARCH64_SYSROOT)/lib/aarch64-linux-gnu
AARCH64_TESTS = $(subst $(O)/,$(AARCH64_O)/,$(TEST_BIN) $(TEST_PROGS))

# Sequenced, not prerequisites: the sub-make's $(shell pkg-config) runs
# when it starts, and must find the sysroot that setup.sh makes.
build-aarch64:
	$(Q)bash tests/aarch64/setup.sh $(AARCH64_DIR)
	$(Q)$(MAKE) O=$(AARCH64_O) CC=$(AARCH64_CROSS)gcc AR=$(AARCH64_CROSS)ar \
		PKG_CONFIG='$(AARCH64_PKG_CONFIG)' LDFLAGS='$(AARCH64_LDFLAGS)' \
		CPPFLAGS='$(CPPFLAGS) -DTEST_TIMEOUT=$(AARCH64_TEST_TIMEOUT)' \
		all examples $(AARCH64_TESTS)

check-aarch64: build-aarch64
	$(Q)CROSS=$(AARCH64_CROSS) TIMEOUT=$(AARCH64_TIMEOUT) V=$(V) \
		bash tests/aarch64/run.sh $(AARCH64_DIR) $(AARCH64_O) $(TEST_ARGS)

.PHONY: lint

# Static analysis of src/: cppcheck, then clang-tidy (.clang-tidy says which
# checks and why). Each suppression below names the finding it answers.
CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy
LINT_CPPFLAGS = -D_GNU_SOURCE -Iinclude -Isrc -I$(ARCH_DIR) \
	$(if $(filter 1,$(URING)),-DCFORK_HAVE_URING)
CPPCHECK_FLAGS = --enable=warning,style,performance,portability --std=c11 \
	--error-exitcode=1 --inline-suppr -q $(LINT_CPPFLAGS) \
	'-D_Noreturn=__attribute__((noreturn))' \
	--suppress=missingIncludeSystem $(CPPCHECK_SUPPRESS)
# cppcheck 2.10 does not know C11's _Noreturn: spelt as the attribute, it
# sees that child_fail() ends the child, and "if (!a) child_fail(...);
# a->argc" stops reading as a possible NULL dereference.
CPPCHECK_SUPPRESS = \
	--suppress=unusedStructMember \
	--suppress=knownConditionTrueFalse:src/registry.c \
	--suppress=comparePointers:src/registry.c \
	--suppress=incorrectLogicOperator:src/spawn.c
# unusedStructMember: kernel ABI structs (pidfd_info, landlock's ruleset
#   attributes) and wire records are laid out member by member; a member
#   the code does not read still holds its place.
# knownConditionTrueFalse in registry.c: __start_/__stop_cfork_registry are
#   weak and NULL in a program that registers nothing statically.
# comparePointers in registry.c: the two bounds of one linker section are
#   one array to the linker, whatever the two declarations say.
# incorrectLogicOperator in spawn.c: cppcheck 2.10 misreads hex float
#   literals: "d >= -0x1p63 && d < 0x1p63" is not always false.

lint:
	@for t in $(CPPCHECK) $(CLANG_TIDY); do command -v $$t >/dev/null || { \
		echo "cfork: $$t not found; run: sudo apt-get install -y" \
		     "cppcheck clang-tidy"; exit 1; }; done
	@# Both tools run whatever the first finds. One file per clang-tidy:
	@# clang-tidy 14's va_list checker, given several files at once,
	@# loses sight of va_start in all but the first.
	$(Q)fail=0; $(CPPCHECK) $(CPPCHECK_FLAGS) src $(ARCH_DIR) || fail=1; \
	for f in $(wildcard src/*.c); do \
		$(if $(Q),echo "  TIDY    $$f";) \
		$(CLANG_TIDY) --quiet $$f -- -std=gnu11 $(LINT_CPPFLAGS) \
		$(shell $(PKG_CONFIG) --cflags liburing libseccomp 2>/dev/null) \
		|| fail=1; done; exit $$fail

# Installs what `make test` and `make demo` need where it may (root with
# apt-get); otherwise prints the command to run.
deps:
	@missing=; \
	command -v $(PKG_CONFIG) >/dev/null 2>&1 || missing="$(DEP_PKGS)"; \
	[ -n "$$missing" ] || for p in $(DEP_PKGS); do \
		$(PKG_CONFIG) --exists $$p || missing="$$missing $$p"; done; \
	[ -z "$$missing" ] && exit 0; \
	echo "cfork: missing development packages:$$missing"; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "cfork: installing $(DEP_DEBS)"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$(DEP_DEBS) >/dev/null || exit 1; \
	else \
		echo "cfork: run: sudo apt-get install -y $(DEP_DEBS)"; \
		exit 1; \
	fi

# cfork.pc is written by `install`, from the variables it is given: the
# recipes people use pass PREFIX or prefix and libdir to `make install`
# only (README), and a .pc made by `make` would keep the prefix of the
# build. A static link needs what the library links: Requires.private
# follows URING.
PC_REQUIRES_PRIVATE := $(strip $(if $(filter 1,$(URING)),liburing) libseccomp)

install: all
	install -d $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) \
		$(DESTDIR)$(pkgconfigdir)
	install -m 644 include/cfork.h $(DESTDIR)$(includedir)/cfork.h
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(libdir)/libcfork.a
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(libdir)/
	ln -sf libcfork.so.$(VERSION) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(libdir)/libcfork.so
	sed -e 's|@prefix@|$(prefix)|' -e 's|@libdir@|$(libdir)|' \
		-e 's|@includedir@|$(includedir)|' -e 's|@version@|$(VERSION)|' \
		-e 's|@requires_private@|$(PC_REQUIRES_PRIVATE)|' \
		cfork.pc.in > $(DESTDIR)$(pkgconfigdir)/cfork.pc
	chmod 644 $(DESTDIR)$(pkgconfigdir)/cfork.pc

# The README's install recipes, each into its own DESTDIR, with programs
# built by pkg-config against what they installed (tests/install.sh); the
# build's flags, `deps` and `clean O=` as a packager relies on them
# (tests/build.sh). Both build in their own temporary directories.
.PHONY: check-install
check-install:
	$(Q)MAKE='$(MAKE)' CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' \
		bash tests/install.sh
	$(Q)MAKE='$(MAKE)' CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' \
		bash tests/build.sh

uninstall:
	rm -f $(DESTDIR)$(includedir)/cfork.h $(DESTDIR)$(libdir)/libcfork.a \
		$(DESTDIR)$(libdir)/libcfork.so.$(VERSION) \
		$(DESTDIR)$(libdir)/$(SONAME) $(DESTDIR)$(libdir)/libcfork.so \
		$(DESTDIR)$(pkgconfigdir)/cfork.pc

# `rm -rf $(O)` must never take sources with it: `make clean O=src` (or
# O=., O=.., a symlink to one of them) once deleted them. Refused: an O that
# is the source tree or a parent of it; inside the tree, one that git tracks
# a file in, or under a top directory (src, tests...) that holds a file of
# the kind the build reads, which a build directory never does; outside it,
# one that holds such a file or a git checkout.
CLEAN_SOURCES := -name '*.[chS]' -o -name '*.in' -o -name '*.map' \
	-o -name Makefile -o -name .git
clean:
	@$(if $(Q),echo "  CLEAN   $(O)")
	$(Q)o='$(realpath $(O))'; src='$(realpath $(CURDIR))'; \
	[ -n "$$o" ] || exit 0; \
	refuse() { echo "cfork: refusing to clean O=$(O): $$*" >&2; exit 1; }; \
	case "$$src/" in "$${o%/}/"*) \
		refuse "it is the source tree or a parent of it";; \
	esac; \
	look=$$o; \
	case "$$o" in "$$src"/*) \
		rel=$${o#"$$src"/}; look=$$src/$${rel%%/*}; \
		if command -v git >/dev/null 2>&1 && \
		   [ -n "$$(git -C "$$src" ls-files -- "$$o" 2>/dev/null)" ]; then \
			refuse "git tracks files in it"; \
		fi;; \
	esac; \
	f=$$(find "$$look" \( $(CLEAN_SOURCES) \) -print -quit); \
	[ -z "$$f" ] || [ "$$look" = "$$o" ] || \
		refuse "it is in $${look#"$$src"/}/, which holds sources ($$f)"; \
	[ -z "$$f" ] || refuse "it holds sources ($$f)"; \
	rm -rf $(O)

# Files only: a sysroot under $(O) (build-aarch64) has directories named
# *.d, such as etc/ld.so.conf.d.
-include $(shell find $(O) -name '*.d' -type f 2>/dev/null)
