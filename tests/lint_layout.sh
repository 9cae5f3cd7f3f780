#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The rules of the three worlds, checked on the built objects and the
# sources (README "Layout"):
#   1. prexec objects reference no symbol at all: no libc, no memcpy a
#      compiler slipped in, no sanitizer, coverage or stack-protector hook;
#   2. child and wire objects reference no seccomp_* and no io_uring_*;
#   3. no file of child/ includes a parent/ or prexec/ header, none of
#      parent/ a child/ one; wire/ and common/ include neither;
#   4. the installed archive exports cfork_* alone;
#   5. no cycle between source files (who calls whom, from the objects);
#   6. no source file of 700 lines or more.
#
#   tests/lint_layout.sh OBJDIR     (the O= of the build, e.g. build)
set -eu

o=${1:?usage: lint_layout.sh OBJDIR}
NM=${NM:-nm}
fail=0
bad() { echo "lint-layout: $*"; fail=1; }

for obj in "$o"/src/prexec/*.o; do
	undef=$($NM -u "$obj")
	[ -z "$undef" ] || bad "$obj (pre-exec) references symbols:" $undef
done

for obj in "$o"/src/child/*.o "$o"/src/wire/*.o; do
	hits=$($NM -u "$obj" | awk '{print $2}' | grep -E '^(seccomp|io_uring)_' || true)
	[ -z "$hits" ] || bad "$obj links" $hits
done

includes() { grep -hoE '^#include "[^"]+"' "$@" | sed 's/#include "\(.*\)"/\1/' | sort -u; }
own_headers() { (cd "src/$1" && find . -name '*.h' | sed 's|^\./||'); }
check_includes() {	# FOLDER FORBIDDEN-FOLDER...
	local folder=$1 f h forbidden
	shift
	for f in $(find "src/$folder" -name '*.[ch]'); do
		for h in $(includes "$f"); do
			for forbidden in "$@"; do
				if own_headers "$forbidden" | grep -qx "$(basename "$h")"; then
					bad "$f includes $h, a header of src/$forbidden"
				fi
			done
		done
	done
}
check_includes child parent prexec
check_includes parent child
check_includes prexec parent child
check_includes wire parent child prexec
check_includes common parent child prexec wire

exported=$($NM -g --defined-only "$o/libcfork.a" | awk 'NF == 3 && $3 !~ /^cfork_/ {print $3}')
[ -z "$exported" ] || bad "libcfork.a exports" $exported

# Edges "caller callee" between objects, from undefined and defined symbols;
# tsort fails on a cycle.
objs=$(find "$o"/src/common "$o"/src/wire "$o"/src/parent "$o"/src/prexec "$o"/src/child -name '*.o')
defs=$(for obj in $objs; do $NM -g --defined-only "$obj" |
	awk -v f="$obj" 'NF == 3 {print $3, f}'; done)
edges=$(for obj in $objs; do
	for sym in $($NM -u "$obj" | awk '{print $2}'); do
		echo "$defs" | awk -v s="$sym" -v f="$obj" '$1 == s && $2 != f {print f, $2}'
	done
done | sort -u)
if [ -n "$edges" ] && ! echo "$edges" | tsort >/dev/null 2>"$o/lint-tsort.log"; then
	bad "a cycle between source files:" "$(grep -v '^tsort: input contains a loop' "$o/lint-tsort.log" | sed 's|.*/src/||' | tr '\n' ' ')"
fi

while read -r lines file; do
	[ "$file" = total ] && continue
	[ "$lines" -lt 700 ] || bad "$file has $lines lines"
done < <(find src -name '*.c' -exec wc -l {} + )

[ $fail = 0 ] && echo "lint-layout: the worlds keep their rules"
exit $fail
