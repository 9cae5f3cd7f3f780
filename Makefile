# SPDX-License-Identifier: MIT
# cfork: `make`, `make test`, `make demo`, `make install`; V=1 for commands.

# The one source of truth for the version: the soname, cfork.pc and
# cfork_version() take it from here, and the library does not build when
# include/cfork.h's CFORK_VERSION_* say otherwise (src/common/version.c).
VERSION := 1.0.0
VERSION_WORDS := $(subst ., ,$(VERSION))
VERSION_MAJOR := $(word 1,$(VERSION_WORDS))
VERSION_DEFS := -DCFORK_BUILD_VERSION='"$(VERSION)"' \
	-DCFORK_BUILD_MAJOR=$(word 1,$(VERSION_WORDS)) \
	-DCFORK_BUILD_MINOR=$(word 2,$(VERSION_WORDS)) \
	-DCFORK_BUILD_PATCH=$(word 3,$(VERSION_WORDS))

PREFIX ?= /usr/local
prefix ?= $(PREFIX)
LIBDIR ?= $(prefix)/lib
libdir ?= $(LIBDIR)
INCLUDEDIR ?= $(prefix)/include
includedir ?= $(INCLUDEDIR)
pkgconfigdir ?= $(libdir)/pkgconfig
mandir ?= $(prefix)/share/man
datadir ?= $(prefix)/share
DESTDIR ?=

# Where objects and programs go; `make check-asan` builds in its own.
O ?= build

CC ?= cc
# C++: examples/cxx.cpp, and `make test`'s C++ programs (also clang++).
CXX ?= g++
CXXFLAGS ?= -g -O2 -Wall -Wextra
LD ?= ld
OBJCOPY ?= objcopy
NM ?= nm
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
LIB_CFLAGS := -fvisibility=hidden
# libseccomp (the parent compiles its filters with it) and liburing (the
# write-out, when forced) are built against but not linked: the parent
# loads each on first use (dlopen), so that no child loads either
# (parent/sandbox/libseccomp.c says why). A program that links them itself
# (pkg-config --static) uses its own copies.
LIBS := -lpthread -ldl
LIB_CFLAGS += $(shell $(PKG_CONFIG) --cflags libseccomp 2>/dev/null)
# io_uring write-out; URING=0 builds without it (pwritev only), e.g. for a
# cross build with no liburing for the target.
URING ?= 1
ifeq ($(URING),1)
LIB_CFLAGS += -DCFORK_HAVE_URING \
	$(shell $(PKG_CONFIG) --cflags liburing 2>/dev/null)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

SONAME := libcfork.so.$(VERSION_MAJOR)

# The sources, by the world they run in (README "Layout"). Each world sees
# the headers of the folders it may use and no others, so that a child file
# including a parent header, or the reverse, does not compile.
COMMON_SRCS := src/common/fd.c src/common/fenced_paths.c \
	       src/common/image.c src/common/landlock.c \
	       src/common/landlock_base.c src/common/landlock_process.c \
	       src/common/memfd_map.c src/common/registry.c \
	       src/common/trace_stop.c src/common/version.c
WIRE_SRCS := src/wire/end.c src/wire/handoff.c src/wire/payload.c src/wire/report.c \
	     src/wire/section.c
PREXEC_SRCS := src/prexec/child.c
PARENT_SRCS := src/parent/background_thread.c src/parent/buffer.c src/parent/channel.c src/parent/check.c \
	       src/parent/closer.c \
	       src/parent/deadline.c \
	       src/parent/dl.c src/parent/environ.c \
	       src/parent/events.c src/parent/handoff.c src/parent/launch.c \
	       src/parent/output.c src/parent/own_stdio.c \
	       src/parent/payload.c src/parent/pidfd_exit.c src/parent/pool.c \
	       src/parent/proc.c \
	       src/parent/process_token.c src/parent/reaper.c \
	       src/parent/server_ref.c src/parent/signal_child.c \
	       src/parent/spawn.c \
	       src/parent/wait.c src/parent/writeout.c \
	       src/parent/sandbox/compile.c src/parent/sandbox/libseccomp.c \
	       src/parent/sandbox/names.c \
	       src/parent/sandbox/plan.c src/parent/sandbox/policy.c \
	       src/parent/sandbox/presets.c src/parent/sandbox/probe.c
CHILD_SRCS := src/child/args.c src/child/channel.c src/child/confine.c \
	      src/child/handoff.c src/child/landlock.c src/child/pidns.c \
	      src/child/prefault.c src/child/server.c src/child/sigsys.c \
	      src/child/source.c src/child/takeover.c
ARCH_SRCS := $(wildcard $(ARCH_DIR)/*.c) $(wildcard $(ARCH_DIR)/*.S)
LIB_SRCS := $(COMMON_SRCS) $(WIRE_SRCS) $(PREXEC_SRCS) $(PARENT_SRCS) \
	    $(CHILD_SRCS) $(ARCH_SRCS)
LIB_OBJS := $(patsubst %,$(O)/%.o,$(basename $(LIB_SRCS)))
objs = $(patsubst %,$(O)/%.o,$(basename $(1)))

COMMON_INC := -Isrc/common -I$(ARCH_DIR)
$(call objs,$(COMMON_SRCS)): WORLD_CFLAGS := $(COMMON_INC)
$(O)/src/common/version.o: WORLD_CFLAGS += $(VERSION_DEFS)
$(call objs,$(WIRE_SRCS)): WORLD_CFLAGS := -Isrc/wire $(COMMON_INC)
$(call objs,$(PARENT_SRCS)): WORLD_CFLAGS := -Isrc/parent -Isrc/prexec \
	-Isrc/wire $(COMMON_INC)
$(call objs,$(CHILD_SRCS)): WORLD_CFLAGS := -Isrc/child -Isrc/wire \
	$(COMMON_INC)
# Between clone and exec the code runs on the parent's memory and stack:
# no sanitizer, coverage or stack-protector hook may be called there, and
# make lint checks that these objects reference no symbol at all.
$(call objs,$(PREXEC_SRCS)): WORLD_CFLAGS := -Isrc/prexec -Isrc/wire \
	$(COMMON_INC) -fno-sanitize=all -fno-stack-protector \
	-fno-stack-clash-protection -U_FORTIFY_SOURCE

# The installed archive exports the API alone: its objects are linked into
# one, whose hidden symbols are made local (the shared library's version
# script does the same), so that a program of its own with a launch() or a
# proc_new() links. White-box tests link the archive of the plain objects.
STATIC_LIB := $(O)/libcfork.a
INTERNAL_LIB := $(O)/libcfork-internal.a
SHARED_LIB := $(O)/libcfork.so.$(VERSION)

MAN3_PAGES := $(wildcard man/man3/*.3)
# The headers <cfork.h> includes, installed under $(includedir)/cfork/.
CFORK_SUBHEADERS := $(wildcard include/cfork/*.h)
MAN7_PAGES := $(wildcard man/man7/*.7)
# Every examples/*.c links the shared library alone, but libuv_service.c,
# which needs libuv (libuv1-dev), and parser_service.c, which needs libxml2
# (libxml2-dev): each is built only where pkg-config finds its library.
LIBUV_EXAMPLE := $(O)/examples/libuv_service
PARSER_EXAMPLE := $(O)/examples/parser_service
# The C++ example; a cross build without a C++ cross compiler sets it empty.
EXAMPLE_CXX_BIN ?= $(O)/examples/cxx
EXAMPLES := $(patsubst examples/%.c,$(O)/examples/%,\
	    $(filter-out examples/libuv_service.c examples/parser_service.c,\
	    $(wildcard examples/*.c))) $(EXAMPLE_CXX_BIN)
HAVE_LIBUV = $(shell $(PKG_CONFIG) --exists libuv 2>/dev/null && echo 1)
HAVE_LIBXML2 = $(shell $(PKG_CONFIG) --exists libxml-2.0 2>/dev/null && \
	echo 1)
# The C examples' sources, for the checks that compile them: the libuv and
# libxml2 ones only where their libraries are installed, with their flags.
EXAMPLE_C_SRCS = $(filter-out examples/libuv_service.c \
	examples/parser_service.c,$(wildcard examples/*.c)) \
	$(if $(HAVE_LIBUV),examples/libuv_service.c \
	$(shell $(PKG_CONFIG) --cflags libuv)) \
	$(if $(HAVE_LIBXML2),examples/parser_service.c \
	$(shell $(PKG_CONFIG) --cflags libxml-2.0))
TEST_SRCS := $(wildcard tests/*.c)
TEST_BIN := $(O)/tests/cfork-tests
# Programs with a main() of their own that the tests run.
TEST_PROGS := $(patsubst tests/progs/%.c,$(O)/tests/progs/%,\
	      $(wildcard tests/progs/*.c))
TEST_PKGS := criterion libseccomp
DEP_PKGS := liburing libseccomp criterion
# libuv1-dev is installed with them, for the libuv example; it is not
# checked for: a machine without it skips that example.
DEP_DEBS := pkg-config liburing-dev libseccomp-dev libcriterion-dev g++ clang \
	libuv1-dev libxml2-dev
# Commands `make test` runs besides the compiler: the C++ programs are built
# with g++ and clang++.
DEP_CMDS := g++ clang++
# Criterion's own flags for `make test`, e.g. TEST_ARGS='--filter=spawn/*'.
TEST_ARGS ?=
# run_suite REPORT,COMMAND: run the suite with a TAP report; when it fails,
# name the failed tests and their assertions again after everything else, so
# that the tail of a long log (CI's) says which test failed, not only that
# one did.
run_suite = $(2) --tap=$(1) || { rc=$$?; echo "failed:" >&2; \
	awk '/^(ok|not ok|\#)/ { p = 0 } /^not ok/ { p = 1 } p' $(1) >&2; \
	exit $$rc; }

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
	      bench-collect bench-controls bench-pool \
	      bench-writeout stress fuzz-corpus
ifneq ($(filter $(DEPS_GOALS),$(MAKECMDGOALS)),)
$(LIB_OBJS): | deps
endif

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(LIB_CFLAGS) $(WORLD_CFLAGS) $(CPPFLAGS) -c -o $@ $<

# A new VERSION rebuilds what it is compiled into. (Below `all`: a rule
# with prerequisites above it would become the default goal.)
$(O)/src/common/version.o: Makefile

$(O)/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(INTERNAL_LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(STATIC_LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(LD) -r -o $(O)/cfork.o $^ && \
		$(OBJCOPY) --localize-hidden $(O)/cfork.o && \
		rm -f $@ && $(AR) rcs $@ $(O)/cfork.o

# -z defs: a symbol the library uses but no library it names defines is a
# link error, not a failure at load time; but a sanitized build (clang's
# runtime is linked into the program, not the library) leaves those to
# the program by design.
NO_UNDEFINED = $(if $(findstring -fsanitize,$(CFLAGS) $(LDFLAGS)),,-Wl,-z,defs)

$(SHARED_LIB): $(LIB_OBJS) cfork.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname=$(SONAME) \
		-Wl,--version-script=cfork.map $(NO_UNDEFINED) -o $@ \
		$(LIB_OBJS) $(LIBS)
	$(Q)ln -sf $(notdir $@) $(O)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(O)/libcfork.so

# Examples link the shared library, as a user's program would.
$(O)/examples/%: examples/%.c $(SHARED_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< -L$(O) -lcfork \
		-Wl,-rpath,$(abspath $(O))

$(O)/examples/cxx: examples/cxx.cpp $(SHARED_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(CXXFLAGS) -Iinclude $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
		-L$(O) -lcfork -Wl,-rpath,$(abspath $(O))

# The libuv example: libuv's flags asked for when it is built, after any
# `deps` of the same run has installed it.
$(LIBUV_EXAMPLE): examples/libuv_service.c $(SHARED_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $$($(PKG_CONFIG) --cflags libuv) $(CPPFLAGS) \
		$(LDFLAGS) -o $@ $< -L$(O) -lcfork -Wl,-rpath,$(abspath $(O)) \
		$$($(PKG_CONFIG) --libs libuv)

# The parser service: libxml2's flags asked for when it is built.
$(PARSER_EXAMPLE): examples/parser_service.c $(SHARED_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $$($(PKG_CONFIG) --cflags libxml-2.0) $(CPPFLAGS) \
		$(LDFLAGS) -o $@ $< -L$(O) -lcfork -Wl,-rpath,$(abspath $(O)) \
		$$($(PKG_CONFIG) --libs libxml-2.0)

examples: $(EXAMPLES) $(if $(HAVE_LIBUV),$(LIBUV_EXAMPLE)) \
	$(if $(HAVE_LIBXML2),$(PARSER_EXAMPLE))

LIBUV_SKIPPED := libuv example skipped: libuv1-dev is not installed \
	(sudo apt-get install libuv1-dev)

demo: deps $(EXAMPLES)
	@echo "== example"; $(O)/examples/example
	@echo "== args"; $(O)/examples/args
	@echo "== sandbox"; $(O)/examples/sandbox
	@echo "== typed"; $(O)/examples/typed
	@echo "== epoll_service"; $(O)/examples/epoll_service
	@echo "== pool"; $(O)/examples/pool
	@if $(PKG_CONFIG) --exists libuv; then \
		$(MAKE) --no-print-directory $(LIBUV_EXAMPLE) && \
		echo "== libuv_service" && $(O)/examples/libuv_service; \
	else \
		echo "$(LIBUV_SKIPPED)"; \
	fi
	@if $(PKG_CONFIG) --exists libxml-2.0; then \
		$(MAKE) --no-print-directory $(PARSER_EXAMPLE) && \
		echo "== parser_service" && $(O)/examples/parser_service; \
	else \
		echo "parser example skipped: libxml2-dev is not installed" \
		     "(sudo apt-get install libxml2-dev)"; \
	fi
	@echo "== cxx"; $(O)/examples/cxx

# Tests link the archive of plain objects (white-box tests reach the wire
# formats and the sandbox's plan through their headers); the shared library
# is covered by the examples, the exported archive by make check-install.
TEST_INC := -Isrc/wire -Isrc/common -Isrc/parent -Isrc/prexec -I$(ARCH_DIR)
$(O)/tests/%.o: tests/%.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)) \
		$(TEST_INC) $(CPPFLAGS) \
		-DTEST_PROGS_DIR='"$(abspath $(O))/tests/progs"' -c -o $@ $<

$(O)/tests/progs/%: tests/progs/%.c $(INTERNAL_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) $(CPPFLAGS) $(LDFLAGS) \
		$(PROG_LDFLAGS) -o $@ $< $(PROG_LIBS) $(INTERNAL_LIB) $(LIBS)

# A program that loads a library with a call no library can bind, made
# through the PLT and bound lazily whatever the distribution's flags ask
# (-fno-plt, -z now, -z defs).
$(O)/tests/progs/liblazy_symbol.so: tests/lib/lazy_symbol_lib.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -fPIC -fplt $(CPPFLAGS) $(LDFLAGS) -shared \
		-Wl,-soname,$(notdir $@) -Wl,-z,lazy -Wl,-z,undefs -o $@ $<
$(O)/tests/progs/lazy_symbol: $(O)/tests/progs/liblazy_symbol.so
$(O)/tests/progs/lazy_symbol: PROG_LDFLAGS = -Wl,-z,lazy \
	-Wl,--allow-shlib-undefined -Wl,-rpath,$(abspath $(O))/tests/progs
$(O)/tests/progs/lazy_symbol: PROG_LIBS = $(O)/tests/progs/liblazy_symbol.so
$(O)/tests/progs/injected_failures: PROG_LDFLAGS = \
	-Wl,--wrap=pthread_create,--wrap=malloc,--wrap=calloc

$(TEST_BIN): $(patsubst tests/%.c,$(O)/tests/%.o,$(TEST_SRCS)) $(INTERNAL_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs $(TEST_PKGS)) $(LIBS)

test: deps $(TEST_BIN) $(TEST_PROGS) $(EXAMPLES) compile-fail \
      check-gc-sections check-cxx check-doc-examples
	$(call run_suite,$(O)/tests/report.tap,$(TEST_BIN) --timeout=60 $(TEST_ARGS))

# The header in C++: every C++ program here compiles under each standard
# with each compiler, warnings as errors (and the examples as strict C11,
# C17 and C2x, the C23 that gcc 15 compiles by default); tests/cxx/test.cpp
# is built with both compilers and run.
CXX_COMPILERS := $(CXX) clang++
CXX_STDS := c++11 c++14 c++17 c++20 c++2b
STRICT_WARN := -Wall -Wextra -Wpedantic -Werror
CXX_TEST_BINS := $(O)/tests/cxx/test-$(notdir $(CXX)) $(O)/tests/cxx/test-clang++

# The stem is the compiler; one builds as C++11, the other as C++20.
$(O)/tests/cxx/test-%: tests/cxx/test.cpp $(STATIC_LIB) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $< ($*)")
	$(Q)$* $(if $(filter clang++,$*),-std=c++20,-std=c++11) -g -O2 \
		$(STRICT_WARN) -Iinclude $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
		$(STATIC_LIB) $(LIBS)

.PHONY: check-cxx
check-cxx: $(CXX_TEST_BINS)
	$(Q)fail=0; for c in $(CXX_COMPILERS); do for s in $(CXX_STDS); do \
		$(if $(Q),echo "  CXX     -std=$$s ($$c) -fsyntax-only";) \
		$$c -std=$$s $(STRICT_WARN) -Iinclude $(CPPFLAGS) \
			-fsyntax-only tests/cxx/test.cpp examples/cxx.cpp \
			|| fail=1; \
	done; done; \
	for s in c11 c17 c2x; do \
		$(if $(Q),echo "  CC      -std=$$s -fsyntax-only examples";) \
		$(CC) -std=$$s -D_GNU_SOURCE $(STRICT_WARN) -Iinclude \
			$(CPPFLAGS) -fsyntax-only $(EXAMPLE_C_SRCS) || fail=1; \
	done; \
	for t in $(CXX_TEST_BINS); do $$t || fail=1; done; exit $$fail

# Every whole program of README.md and the man pages builds as written.
.PHONY: check-doc-examples
check-doc-examples: $(STATIC_LIB) | deps
	$(Q)CC='$(CC)' CXX='$(CXX)' LIBS='$(LIBS)' \
		SAN_FLAGS='$(filter -fsanitize% -fno-sanitize%,$(CFLAGS))' \
		bash tests/doc_examples.sh $(STATIC_LIB)

# CFORK_REGISTER entries survive --gc-sections with lld, gold and GNU ld,
# linked shared and static (tests/gc_sections.sh installs lld where it may,
# and says so when it skips it).
.PHONY: check-gc-sections
check-gc-sections: $(STATIC_LIB) $(SHARED_LIB)
	$(Q)CC='$(CC)' CXX='$(CXX)' CXX_EXAMPLE=1 LIBS='$(LIBS)' \
		bash tests/gc_sections.sh $(O)

# Calls that must not compile (tests/compile_fail): line 1 of each snippet is
# /* expect: PHRASE */, and the compiler's diagnostics must contain PHRASE.
# Each snippet must also compile with -DFIXED, which corrects the mistake, so
# it fails for that mistake and nothing else. -MMD would leave a .d file in
# the source tree, since -fsyntax-only writes no object to name it after.
# A .cpp snippet is compiled by $(CXX) as C++11. Optional lines of a
# snippet: /* flags: ... */ adds flags (after the defaults: a -std there
# wins), /* fixed-flags: ... */ replaces them for the -DFIXED compile (the
# mistake can be the flags: -std=c99), /* max-errors: N */ fails a snippet
# whose diagnostics hold more than N errors (the compiler's "fatal error"
# that stops it not counted): one clear message, not a page.
COMPILE_FAIL_SRCS := $(wildcard tests/compile_fail/*.c) \
	$(wildcard tests/compile_fail/*.cpp)
COMPILE_FAIL_FLAGS = $(filter-out -MMD -MP,$(CFLAGS)) -Iinclude $(CPPFLAGS) \
	-fsyntax-only
COMPILE_FAIL_CXX = $(CXX) -std=c++11 -Wall -Wextra -Iinclude $(CPPFLAGS) \
	-fsyntax-only

.PHONY: compile-fail
compile-fail:
	@mkdir -p $(O)/tests/compile_fail
	$(Q)fail=0; for f in $(COMPILE_FAIL_SRCS); do \
		$(if $(Q),echo "  NOCC    $$f";) \
		log=$(O)/tests/compile_fail/$$(basename $$f).log; \
		want=$$(sed -n '1s|^/\* expect: \(.*\) \*/$$|\1|p' $$f); \
		opt() { sed -n "s|^/\* $$1: \(.*\) \*/$$|\1|p" $$f; }; \
		flags=$$(opt flags); fixed=$$(opt fixed-flags); \
		fixed=$${fixed:-$$flags}; max=$$(opt max-errors); \
		case $$f in \
		*.cpp) cc="$(COMPILE_FAIL_CXX)";; \
		*) cc="$(CC) $(COMPILE_FAIL_FLAGS)";; \
		esac; \
		if [ -z "$$want" ]; then \
			echo "$$f: line 1 is not /* expect: ... */"; fail=1; \
		elif $$cc $$flags $$f >$$log 2>&1; then \
			echo "$$f: compiled; must fail with: $$want"; fail=1; \
		elif ! sed 's/\\"/"/g' $$log | grep -qF -- \
			"$$(printf '%s' "$$want" | sed 's/\\"/"/g')"; then \
			echo "$$f: failed, but not with: $$want"; \
			cat $$log; fail=1; \
		elif [ -n "$$max" ] && [ "$$(grep 'error' $$log | \
			grep -v 'fatal error' | grep -c ':[0-9]*: error')" \
			-gt "$$max" ]; then \
			echo "$$f: more than $$max errors:"; \
			cat $$log; fail=1; \
		elif ! $$cc $$fixed -DFIXED $$f \
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

# The spawn paths against their floors, then warm start against a cold
# launch (tests/bench/pool.c; POOL_ARGS='-n 500 --resident 2').
POOL_ARGS ?=
bench: $(O)/tests/bench/bench $(O)/tests/bench/pool
	$(O)/tests/bench/bench $(BENCH_ARGS)
	$(O)/tests/bench/pool $(POOL_ARGS)

# T threads x N spawns with every result checked; fails on any fd, mapping
# or child leaked. STRESS_ARGS='-t 8 -n 5000'.
STRESS_ARGS ?=
.PHONY: stress
stress: $(O)/tests/bench/stress
	$(O)/tests/bench/stress $(STRESS_ARGS)

# The payload's write into a memfd alone, by method: the measurement behind
# the write-out engine's choice (src/parent/writeout.c).
# BENCH_ARGS='-n 50 --large'.
.PHONY: bench-writeout
bench-writeout: $(O)/tests/bench/writeout
	$(O)/tests/bench/writeout $(BENCH_ARGS)

# Collecting N finished children by method (wait, wait_any, epoll,
# io_uring): where io_uring belongs in an event loop. BENCH_ARGS='-n 50'.
.PHONY: bench-collect
bench-collect: $(O)/tests/bench/collect
	$(O)/tests/bench/collect $(BENCH_ARGS)

# The benchmarks that call liburing themselves link it; the library does
# not (it loads it when asked to use io_uring).
URING_LIBS = $(shell $(PKG_CONFIG) --libs liburing 2>/dev/null || echo -luring)
$(O)/tests/bench/collect $(O)/tests/bench/writeout $(O)/tests/bench/handoff: \
		$(O)/tests/bench/%: \
		tests/bench/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(STATIC_LIB) \
		$(LIBS) $(URING_LIBS)

# Warm start against a cold launch: call latency and calls per second,
# with the caller at 0 and 2 GiB. BENCH_ARGS='-n 500 --resident 2'.
.PHONY: bench-pool
bench-pool: $(O)/tests/bench/pool
	$(O)/tests/bench/pool $(BENCH_ARGS)

# A pool call's own system calls, plain against one linked io_uring
# submission (send, read the result, waitid). BENCH_ARGS='-n 500'.
.PHONY: bench-handoff
bench-handoff: $(O)/tests/bench/handoff
	$(O)/tests/bench/handoff $(BENCH_ARGS)

# Spawn latency with each service control (envp, cwd, capture, deadline,
# setsid) beside a plain spawn; BENCH_ARGS='--runs 500'.
.PHONY: bench-controls
bench-controls: $(O)/tests/bench/controls
	$(O)/tests/bench/controls $(BENCH_ARGS)

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
		$(call run_suite,$(O)/asan/tests/report.tap,\
		$(O)/asan/tests/cfork-tests --timeout=120 $(TEST_ARGS))

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

# The fuzzers link src/wire alone: a payload decoder or a report reader
# that needed more would not be a pure codec. The decoder's fuzzer also
# reads every decoded argument through the public getters
# (src/child/args.c), whose failure path it stubs.
FUZZ_WIRE := $(WIRE_SRCS) src/wire/wire.h include/cfork.h
$(FUZZ_O)/decode: tests/fuzz/decode.c $(FUZZ_WIRE) src/child/args.c \
		  | fuzz-deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -std=gnu11 \
		-D_GNU_SOURCE -Iinclude -Isrc/wire -Isrc/common -Isrc/child \
		$(CPPFLAGS) $(LDFLAGS) -o $@ $< $(WIRE_SRCS) src/child/args.c

$(FUZZ_O)/report: tests/fuzz/report.c $(FUZZ_WIRE) | fuzz-deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -std=gnu11 \
		-D_GNU_SOURCE -Iinclude -Isrc/wire -Isrc/common $(CPPFLAGS) \
		$(LDFLAGS) -o $@ $< $(WIRE_SRCS)

# Rewrites tests/fuzz/corpus from tests/fuzz/seed.c: after a change to the
# payload format. Crash reproducers (crash-*) are kept.
fuzz-corpus: $(O)/tests/fuzz/seed
	$(O)/tests/fuzz/seed tests/fuzz/corpus

$(O)/tests/fuzz/seed: tests/fuzz/seed.c $(INTERNAL_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(TEST_INC) $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
		$(INTERNAL_LIB) $(LIBS)

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
VALGRIND_TESTS ?= @(wire/decode_*|proc/wait_collects_a_result_larger_than_a_pipe|init/results_of_several_returns_concatenate|init/wrong_getter_type_ends_child_with_usage|launch/keep_fds_reach_child_under_the_same_number|hostile/spoofed_marker_in_a_caller_never_reaches_the_grandchild|pool/a_pool_child_serves_one_call|pool/a_fork_server_forks_a_fresh_child_per_call|controls/a_deadline_let_go_of_at_once_is_not_read_by_the_watchdog|controls/a_deadline_kills_the_child_though_nobody_waits)
VALGRIND_LOGS := $(O)/valgrind
VALGRIND_RUN = $(VALGRIND) -q --error-exitcode=1 --leak-check=full --fair-sched=yes \
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
		LD=$(AARCH64_CROSS)ld OBJCOPY=$(AARCH64_CROSS)objcopy \
		NM=$(AARCH64_CROSS)nm \
		EXAMPLE_CXX_BIN= \
		PKG_CONFIG='$(AARCH64_PKG_CONFIG)' LDFLAGS='$(AARCH64_LDFLAGS)' \
		CPPFLAGS='$(CPPFLAGS) -DTEST_TIMEOUT=$(AARCH64_TEST_TIMEOUT)' \
		all examples $(AARCH64_TESTS)

check-aarch64: build-aarch64
	$(Q)CROSS=$(AARCH64_CROSS) TIMEOUT=$(AARCH64_TIMEOUT) V=$(V) \
		bash tests/aarch64/run.sh $(AARCH64_DIR) $(AARCH64_O) $(TEST_ARGS)


.PHONY: lint check-man

# Every exported cfork_* symbol and public macro has a page, and every page
# passes mandoc -T lint -W warning (or groff -ww where mandoc is missing).
check-man: $(STATIC_LIB)
	$(Q)bash tests/man_coverage.sh $(STATIC_LIB) man

# Static analysis of src/: cppcheck, then clang-tidy (.clang-tidy says which
# checks and why). Each suppression below names the finding it answers.
CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy
LINT_CPPFLAGS = -D_GNU_SOURCE -Iinclude -Isrc/common -Isrc/wire \
	-Isrc/parent -Isrc/prexec -Isrc/child -I$(ARCH_DIR) $(VERSION_DEFS) \
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
	--suppress=knownConditionTrueFalse:src/common/registry.c \
	--suppress=comparePointers:src/common/registry.c \
	--suppress=incorrectLogicOperator:src/parent/check.c
# unusedStructMember: kernel ABI structs (pidfd_info, landlock's ruleset
#   attributes) and wire records are laid out member by member; a member
#   the code does not read still holds its place.
# knownConditionTrueFalse in registry.c: __start_/__stop_cfork_registry are
#   weak and NULL in a program that registers nothing statically.
# comparePointers in registry.c: the two bounds of one linker section are
#   one array to the linker, whatever the two declarations say.
# incorrectLogicOperator in check.c: cppcheck 2.10 misreads hex float
#   literals: "d >= -0x1p63 && d < 0x1p63" is not always false.

# Then the rules of the three worlds on the built objects
# (tests/lint_layout.sh says which), and the manual pages.
lint: $(STATIC_LIB) $(INTERNAL_LIB)
	@for t in $(CPPCHECK) $(CLANG_TIDY); do command -v $$t >/dev/null || { \
		echo "cfork: $$t not found; run: sudo apt-get install -y" \
		     "cppcheck clang-tidy"; exit 1; }; done
	$(Q)bash tests/lint_layout.sh $(O)
	$(Q)bash tests/man_coverage.sh $(STATIC_LIB) man
	@# Both tools run whatever the first finds. One file per clang-tidy:
	@# clang-tidy 14's va_list checker, given several files at once,
	@# loses sight of va_start in all but the first.
	$(Q)fail=0; $(CPPCHECK) $(CPPCHECK_FLAGS) src $(ARCH_DIR) || fail=1; \
	for f in $(filter %.c,$(LIB_SRCS)); do \
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
	for c in $(DEP_CMDS); do \
		command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
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
# The archive refers to libseccomp and liburing weakly (a program linked
# with libcfork.so loads them on first use, its children never), and a
# weak reference takes no member out of an archive: without -u for each
# symbol a -static program would have no libseccomp of its own and dlopen
# the shared one at run time. The list is the archive's own.
# --eh-frame-hdr, which the compiler passes to dynamic links only: a child
# dispatched from the library's constructor runs before the C runtime of
# a static program registers its unwind tables, and without the header
# an exception thrown there, caught or not, aborts.
PC_LIBS_PRIVATE = -Wl,--eh-frame-hdr$$($(NM) $(STATIC_LIB) | awk '$$1 == "w" && \
	$$2 ~ /^(seccomp_|io_uring_|__io_uring_)/ { printf " -Wl,-u,%s", $$2 }')

install: all
	install -d $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) \
		$(DESTDIR)$(pkgconfigdir)
	install -d $(DESTDIR)$(includedir)/cfork
	install -m 644 include/cfork.h $(DESTDIR)$(includedir)/cfork.h
	install -m 644 $(CFORK_SUBHEADERS) $(DESTDIR)$(includedir)/cfork/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(libdir)/libcfork.a
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(libdir)/
	ln -sf libcfork.so.$(VERSION) $(DESTDIR)$(libdir)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(libdir)/libcfork.so
	sed -e 's|@prefix@|$(prefix)|' -e 's|@libdir@|$(libdir)|' \
		-e 's|@includedir@|$(includedir)|' -e 's|@version@|$(VERSION)|' \
		-e 's|@requires_private@|$(PC_REQUIRES_PRIVATE)|' \
		-e "s|@libs_private@|$(PC_LIBS_PRIVATE)|" \
		cfork.pc.in > $(DESTDIR)$(pkgconfigdir)/cfork.pc
	chmod 644 $(DESTDIR)$(pkgconfigdir)/cfork.pc
	install -d $(DESTDIR)$(mandir)/man3 $(DESTDIR)$(mandir)/man7
	install -m 644 $(MAN3_PAGES) $(DESTDIR)$(mandir)/man3/
	install -m 644 $(MAN7_PAGES) $(DESTDIR)$(mandir)/man7/
	install -d $(DESTDIR)$(datadir)/cfork
	install -m 644 tests/valgrind.supp $(DESTDIR)$(datadir)/cfork/valgrind.supp

# The README's install recipes, each into its own DESTDIR, with programs
# built by pkg-config against what they installed (tests/install.sh); the
# build's flags, `deps` and `clean O=` as a packager relies on them
# (tests/build.sh). Both build in their own temporary directories.
.PHONY: check-install
check-install:
	$(Q)MAKE='$(MAKE)' CC='$(CC)' CXX='$(CXX)' PKG_CONFIG='$(PKG_CONFIG)' \
		bash tests/install.sh
	$(Q)MAKE='$(MAKE)' CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' \
		bash tests/build.sh

uninstall:
	rm -f $(DESTDIR)$(includedir)/cfork.h $(DESTDIR)$(libdir)/libcfork.a \
		$(addprefix $(DESTDIR)$(includedir)/,$(CFORK_SUBHEADERS:include/%=%)) \
		$(DESTDIR)$(libdir)/libcfork.so.$(VERSION) \
		$(DESTDIR)$(libdir)/$(SONAME) $(DESTDIR)$(libdir)/libcfork.so \
		$(DESTDIR)$(pkgconfigdir)/cfork.pc \
		$(addprefix $(DESTDIR)$(mandir)/man3/,$(notdir $(MAN3_PAGES))) \
		$(addprefix $(DESTDIR)$(mandir)/man7/,$(notdir $(MAN7_PAGES))) \
		$(DESTDIR)$(datadir)/cfork/valgrind.supp
	rmdir $(DESTDIR)$(includedir)/cfork $(DESTDIR)$(datadir)/cfork \
		2>/dev/null || true

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
