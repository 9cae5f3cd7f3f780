#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every whole program in the documentation compiles and links as written.
#
#   tests/doc_examples.sh STATIC_LIB
#
# A whole program is a code block with a main(): a fenced ```c or ```cpp
# block of README.md, or an .EX/.EE block of a man page (its troff escapes
# undone). Each is built with -Wall -Wextra -Werror against the library,
# by $CC as C11 or by $CXX as C++17: a user pastes these first, and a
# fragment that drifted from the API fails here rather than in their
# editor. Fragments (no main()) are left alone; tests/compile_fail holds
# the calls that must not compile.
set -eu

lib=${1:?usage: doc_examples.sh STATIC_LIB}
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
cd "$(dirname "$0")/.."
CC=${CC:-cc}
CXX=${CXX:-c++}
LIBS=${LIBS:--lpthread -ldl}
# A library built under sanitizers links only with their runtimes.
SAN_FLAGS=${SAN_FLAGS:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# README.md: the n-th fenced block as $out/README.md.<n>.<c|cpp>.
awk -v out="$out" '
	/^```(c|cpp)$/ { n++; ext = substr($0, 4); f = out "/README.md." n "." ext; next }
	/^```/ { f = ""; next }
	f { print > f }
' README.md

# Man pages: the n-th .EX block of each, escapes undone; C++ if it names
# std::.
for page in man/man3/*.3 man/man7/*.7; do
	awk -v out="$out" -v name="$(basename "$page")" '
		/^\.EX$/ { n++; f = out "/" name "." n ".c"; next }
		/^\.EE$/ { f = ""; next }
		f { print > f }
	' "$page"
done
for f in "$out"/*.[0-9]*.c; do
	[ -e "$f" ] || continue
	case $(basename "$f") in README.md.*) continue;; esac
	sed -i -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\(rs/\\/g' \
	       -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g' "$f"
	if grep -q 'std::' "$f"; then mv "$f" "${f%.c}.cpp"; fi
done

fail=0 built=0
for f in "$out"/*.c "$out"/*.cpp; do
	[ -e "$f" ] || continue
	grep -Eq '\bint[[:space:]]+main[[:space:]]*\(' "$f" || continue
	case $f in
	*.cpp) cc="$CXX -std=c++17";;
	*) cc="$CC -std=c11 -D_GNU_SOURCE";;
	esac
	if ! $cc -Wall -Wextra -Werror $SAN_FLAGS -Iinclude -o "$f.bin" \
		"$f" "$lib" $LIBS >"$f.log" 2>&1; then
		echo "doc_examples: $(basename "$f") does not build:"
		sed 's/^/    /' "$f.log" | head -20
		fail=1
	fi
	built=$((built + 1))
done
echo "doc_examples: $built whole programs in README.md and man/ built"
[ "$built" -gt 0 ] || { echo "doc_examples: found none"; exit 1; }
exit $fail
