#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every public name of cfork has a manual page, and every page is clean.
#
#   tests/man_coverage.sh LIB MANDIR
#
# LIB is the built static library (build/libcfork.a), MANDIR the man/
# directory. The public names are:
#   - every cfork_* symbol LIB exports (nm: T, D, R, B);
#   - every function-like macro `#define CFORK_...(` or `#define cfork...(`
#     of include/cfork.h and include/cfork/*.h, but the implementation
#     details of the packing and typed macros (CFORK_T_*, CFORK_V_<n>, and
#     names ending in `_`);
#   - every `static inline` cfork_* function of those headers (the value
#     makers, cfork_span_of, cfork_fd_of), with the same exclusions.
# Each needs MANDIR/man3/<name>.3; a `.so man3/<page>.3` link counts when
# the page it names exists.
# Then every page of man3 and man7 is linted: `mandoc -T lint -W warning`
# where mandoc exists, else `groff -ww -z -man`; any warning fails. A link
# page (a lone .so line) is checked for its target rather than linted:
# mandoc calls every .so "fragile", and the target is linted on its own.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 LIB MANDIR" >&2
	exit 2
fi
lib=$1
mandir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
NM=${NM:-nm}

[ -f "$lib" ] || { echo "man_coverage: no library at $lib" >&2; exit 2; }
[ -d "$mandir/man3" ] || { echo "man_coverage: no $mandir/man3" >&2; exit 2; }
if command -v mandoc >/dev/null 2>&1; then
	linter=mandoc
elif command -v groff >/dev/null 2>&1; then
	linter=groff
else
	echo "man_coverage: neither mandoc nor groff found;" \
	     "run: sudo apt-get install -y mandoc" >&2
	exit 1
fi

headers="$top/include/cfork.h"
for h in "$top"/include/cfork/*.h; do
	[ -f "$h" ] && headers="$headers $h"
done

symbols=$("$NM" -g --defined-only "$lib" |
	  awk '$2 ~ /[TDRB]/ {print $3}' | grep '^cfork_' || true)
[ -n "$symbols" ] || { echo "man_coverage: $lib exports no cfork_* symbol" >&2
		       exit 1; }
# shellcheck disable=SC2086  # $headers is a list of paths without spaces
macros=$(sed -nE \
	's/^[[:space:]]*#[[:space:]]*define[[:space:]]+((CFORK_|cfork)[A-Za-z0-9_]*)\(.*/\1/p' \
	$headers)
# shellcheck disable=SC2086
inlines=$(sed -nE \
	's/^[[:space:]]*static[[:space:]]+inline[[:space:]].*[[:space:]*](cfork_[A-Za-z0-9_]*)[[:space:]]*\(.*/\1/p' \
	$headers)
public=$(printf '%s\n' "$macros" "$inlines" |
	 grep -Ev '_$|^CFORK_T_|^CFORK_V_[0-9]+$' || true)

fail=0
names=0
for name in $(printf '%s\n' "$symbols" "$public" | sort -u); do
	names=$((names + 1))
	page="$mandir/man3/$name.3"
	if [ ! -f "$page" ]; then
		echo "man_coverage: $name has no page ($page)" >&2
		fail=1
	fi
done

# The link pages: one .so line naming a page that exists.
is_link() {
	[ "$(grep -cv '^\.\\"' "$1")" = 1 ] && grep -q '^\.so ' "$1"
}
pages=0
for page in "$mandir"/man3/*.3 "$mandir"/man7/*.7; do
	[ -f "$page" ] || continue
	pages=$((pages + 1))
	rel=${page#"$mandir"/}
	if is_link "$page"; then
		target=$(sed -n 's/^\.so[[:space:]]*//p' "$page")
		if [ ! -f "$mandir/$target" ] || is_link "$mandir/$target"; then
			echo "man_coverage: $rel: .so $target: no such page" >&2
			fail=1
		fi
		continue
	fi
	# From the man dir, where .so names resolve as man(1) resolves them.
	if [ $linter = mandoc ]; then
		out=$(cd "$mandir" && mandoc -T lint -W warning "$rel" 2>&1) ||
			{ [ -n "$out" ] || out="mandoc failed"; }
	else
		out=$(cd "$mandir" && groff -ww -z -man "$rel" 2>&1) ||
			{ [ -n "$out" ] || out="groff failed"; }
	fi
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | sed "s|^|man_coverage: $rel: |" >&2
		fail=1
	fi
done

if [ $fail = 0 ]; then
	echo "man_coverage: $names public names have pages; $pages pages" \
	     "clean ($linter)"
fi
exit $fail
