#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CFORK_REGISTER entries survive a link with --gc-sections, by every linker.
#
#   tests/gc_sections.sh OBJDIR     (the O= of a build with the libraries
#                                    and, when CXX_EXAMPLE is set, a C++ one)
#
# Nothing refers to a registry entry, and lld (13 and later: -z
# start-stop-gc) does not count the library's __start_cfork_registry as a
# reference: without `retain` it drops every entry and cfork("child")
# returns -ENOENT; gold does too when the program links libcfork.so. Each
# example that registers (CFORK_REGISTER, CFORK_FN; examples/cxx.cpp too)
# is built with -ffunction-sections -fdata-sections -Wl,--gc-sections, by
# each compiler found (cc, clang; g++, clang++ for C++), with lld, gold and
# GNU ld, linked with libcfork.so and with libcfork.a, and run: it must
# start its children. Then two controls, with the entries built without
# `retain` (-DCFORK_RETAIN_=, what an older compiler gets): lld must drop
# them (else this script proves nothing here: a note, not a failure), and
# the flag the header documents for older compilers, -z nostart-stop-gc,
# must keep them in a static link.
#
# lld is installed with apt-get when missing, where we may (root), as
# `make deps` does; otherwise the lld links are skipped with a message.
set -eu

o=${1:?usage: gc_sections.sh OBJDIR}
o=$(cd "$o" && pwd)
cd "$(dirname "$0")/.."
LIBS=${LIBS:-$(pkg-config --libs libseccomp liburing 2>/dev/null || echo -lseccomp -luring) -lpthread}
GC="-ffunction-sections -fdata-sections -Wl,--gc-sections"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
runs=0

if ! command -v ld.lld >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "gc_sections: installing lld"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq lld >/dev/null; } ||
			echo "gc_sections: apt-get install lld failed"
	fi
fi
linkers=bfd
command -v ld.gold >/dev/null 2>&1 && linkers="gold $linkers"
if command -v ld.lld >/dev/null 2>&1; then
	linkers="lld $linkers"
else
	echo "gc_sections: SKIPPING lld: ld.lld not found and not installable" \
	     "here; run: sudo apt-get install -y lld"
fi

ccs=
for c in "${CC:-cc}" clang; do
	command -v "$c" >/dev/null 2>&1 && ccs="$ccs $c"
done
cxxs=
if [ -n "${CXX_EXAMPLE:-}" ]; then
	for c in "${CXX:-g++}" clang++; do
		command -v "$c" >/dev/null 2>&1 && cxxs="$cxxs $c"
	done
fi

# build CC LD MODE SRC OUT [FLAGS...]: 0 when it links.
build() {
	local cc=$1 ld=$2 mode=$3 src=$4 out=$5 lib
	shift 5
	if [ "$mode" = shared ]; then
		lib="-L$o -lcfork -Wl,-rpath,$o"
	else
		lib="$o/libcfork.a $LIBS"
	fi
	# shellcheck disable=SC2086  # word lists
	"$cc" -O2 -Iinclude $GC "$@" -fuse-ld="$ld" -o "$out" "$src" $lib \
		>"$out.log" 2>&1
}

# check NAME PROGRAM: the program runs and starts its children.
check() {
	local rc=0
	runs=$((runs + 1))
	"$2" >"$tmp/out" 2>&1 || rc=$?
	if [ $rc != 0 ]; then
		echo "gc_sections: $1: FAILED (exit $rc):"
		sed 's/^/    /' "$tmp/out"
		fail=1
	fi
}

one() {	# CC SRC
	local cc=$1 src=$2 ld mode name out
	for ld in $linkers; do
		for mode in shared static; do
			name="$(basename "$src") $cc -fuse-ld=$ld $mode"
			out=$tmp/$(basename "$src").$cc.$ld.$mode
			if ! build "$cc" "$ld" "$mode" "$src" "$out"; then
				echo "gc_sections: $name: does not link:"
				sed 's/^/    /' "$out.log"
				fail=1
				continue
			fi
			check "$name" "$out"
		done
	done
}

for cc in $ccs; do
	for src in examples/example.c examples/typed.c; do
		one "$cc" "$src"
	done
done
for cxx in $cxxs; do
	one "$cxx" examples/cxx.cpp
done

if [ "${linkers#lld}" != "$linkers" ]; then
	for cc in $ccs; do
		out=$tmp/noretain.$cc
		if build "$cc" lld static examples/example.c "$out" \
			-DCFORK_RETAIN_=; then
			if "$out" >/dev/null 2>&1; then
				echo "gc_sections: note: $cc without retain, lld" \
				     "kept the entries: this lld does not show" \
				     "the defect"
			else
				echo "gc_sections: $cc without retain, lld" \
				     "drops the entries (the defect retain fixes)"
			fi
		else
			echo "gc_sections: control link failed:"
			cat "$out.log"
			fail=1
		fi
		if build "$cc" lld static examples/example.c "$out" \
			-DCFORK_RETAIN_= -Wl,-z,nostart-stop-gc; then
			check "example.c $cc without retain, lld -z nostart-stop-gc static" \
			      "$out"
		else
			echo "gc_sections: -z nostart-stop-gc link failed:"
			cat "$out.log"
			fail=1
		fi
	done
fi

[ $fail = 0 ] && echo "gc_sections: $runs programs linked with" \
	"--gc-sections (${linkers// /, }) start their children"
exit $fail
