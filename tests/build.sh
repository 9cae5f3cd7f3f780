#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How the Makefile builds, as a packager relies on it (`make check-install`
# runs it):
#   1. plain `make` installs nothing and needs no Criterion, while
#      `make test`, `make demo`... still run `deps` first;
#   2. CPPFLAGS reach every compile line and LDFLAGS every link line (the
#      library, the shared library, examples, test programs, benchmarks);
#   3. `make clean` refuses an O that is, holds or contains the sources,
#      and cleans O=build and O=build/asan;
#   4. the shared library links with -z defs, and a sanitized build of it
#      with clang (whose runtime the program brings) links too.
set -eu

cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
unset MAKEFLAGS MFLAGS MAKELEVEL O CPPFLAGS LDFLAGS
jobs=$(nproc 2>/dev/null || echo 2)
src=$(pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "build.sh: FAIL: $*" >&2
	exit 1
}

# 1. A machine without Criterion, where apt-get must not run: a
# pkg-config that does not know criterion, an apt-get that leaves a mark.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/apt-get" <<EOF
#!/bin/sh
touch "$tmp/apt-get-ran"
exit 1
EOF
cat >"$tmp/bin/pkg-config" <<EOF
#!/bin/sh
case " \$* " in *" criterion "*) exit 1 ;; esac
exec "$(command -v "$PKG_CONFIG")" "\$@"
EOF
chmod +x "$tmp/bin/apt-get" "$tmp/bin/pkg-config"

for goal in test demo check-asan check-valgrind fuzz; do
	"$MAKE" -n O="$tmp/dry" "$goal" 2>/dev/null |
		grep -q 'missing development packages' ||
		fail "make $goal no longer runs deps"
done
"$MAKE" -n O="$tmp/dry" 2>/dev/null | grep -q 'missing development packages' &&
	fail "plain make runs deps"

# 2. Plain make first, then what else links: with the flags of a
# distribution's hardened build, and the machine of 1.
o=$tmp/flags
progs=$(for f in tests/progs/*.c tests/bench/*.c; do
	f=${f%.c}
	echo "$o/$f"
done)
# shellcheck disable=SC2054 # -Wl,-z,now is one argument
flags=(CC="$CC" V=1 CPPFLAGS=-DCFORK_CHECK_CPPFLAGS LDFLAGS=-Wl,-z,now)
no_criterion=(PKG_CONFIG="$tmp/bin/pkg-config")
PATH=$tmp/bin:$PATH "$MAKE" -j"$jobs" O="$o" "${flags[@]}" \
	"${no_criterion[@]}" >"$tmp/make.log" 2>&1 || {
	cat "$tmp/make.log" >&2
	fail "plain make without Criterion"
}
[ ! -e "$tmp/apt-get-ran" ] || fail "plain make ran apt-get"
# $progs: one path a line, no spaces.
# shellcheck disable=SC2086
PATH=$tmp/bin:$PATH "$MAKE" -j"$jobs" O="$o" "${flags[@]}" \
	"${no_criterion[@]}" examples $progs >>"$tmp/make.log" 2>&1 || {
	cat "$tmp/make.log" >&2
	fail "make examples and programs without Criterion"
}
[ ! -e "$tmp/apt-get-ran" ] || fail "make examples ran apt-get"
# The test suite's objects and link too, where Criterion is installed.
if "$PKG_CONFIG" --exists criterion; then
	"$MAKE" -j"$jobs" O="$o" "${flags[@]}" "$o/tests/cfork-tests" \
		>>"$tmp/make.log" 2>&1 || {
		cat "$tmp/make.log" >&2
		fail "make the test suite"
	}
fi
echo "build.sh: plain make needs no Criterion and runs no apt-get;" \
	"test, demo, check-asan, check-valgrind, fuzz run deps"

# One command a line: join the lines a backslash continues.
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$tmp/make.log" |
	grep "^$CC " >"$tmp/cmds" || fail "no $CC command in make V=1"
ncompile=0
nlink=0
while IFS= read -r line; do
	case " $line " in
	*" -c "*)
		ncompile=$((ncompile + 1))
		case $line in
		*-DCFORK_CHECK_CPPFLAGS*) ;;
		*) fail "CPPFLAGS missing: $line" ;;
		esac
		;;
	*)
		nlink=$((nlink + 1))
		case $line in
		*-Wl,-z,now*) ;;
		*) fail "LDFLAGS missing: $line" ;;
		esac
		# Compiled and linked in one step: CPPFLAGS too.
		case $line in
		*.c\ * | *.c)
			case $line in
			*-DCFORK_CHECK_CPPFLAGS*) ;;
			*) fail "CPPFLAGS missing: $line" ;;
			esac
			;;
		esac
		;;
	esac
done <"$tmp/cmds"
nsrc=$(find src -maxdepth 1 -name '*.c' | wc -l)
[ "$ncompile" -ge "$nsrc" ] || fail "$ncompile compile lines, fewer than $nsrc"
[ "$nlink" -ge 2 ] || fail "only $nlink link lines"
# And the linker got them: -z now marks what it links BIND_NOW.
for f in "$o"/libcfork.so.1.* "$o/examples/example" "$o/tests/bench/bench"; do
	readelf -d "$f" | grep -q 'BIND_NOW\|FLAGS.*NOW' ||
		fail "$f is not linked with -z now"
done
echo "build.sh: CPPFLAGS on $ncompile compile lines, LDFLAGS on $nlink" \
	"link lines"

# 3. On a copy of the tree: without the check, clean would delete it.
t=$tmp/clean/tree
mkdir -p "$t"
cp -a Makefile cfork.map cfork.pc.in src include arch tests examples "$t"/
ln -s src "$t/src-link"
for bad in src src/ . ./ .. "$t" "$t/include" "$t/../tree" tests \
	tests/progs tests/fuzz/corpus src-link; do
	if (cd "$t" && "$MAKE" -s clean O="$bad") >"$tmp/clean.log" 2>&1; then
		fail "make clean O=$bad did not refuse"
	fi
	grep -q "cfork: refusing to clean O=$bad" "$tmp/clean.log" ||
		fail "make clean O=$bad: no clear error: $(cat "$tmp/clean.log")"
done
diff -r "$src/src" "$t/src" >/dev/null || fail "make clean touched src/"
diff -r "$src/tests" "$t/tests" >/dev/null || fail "make clean touched tests/"
[ -e "$t/Makefile" ] || fail "make clean touched the Makefile"
for ok in build/asan build; do
	mkdir -p "$t/$ok" && touch "$t/$ok/x.o"
	(cd "$t" && "$MAKE" -s clean O="$ok") >"$tmp/clean.log" 2>&1 ||
		fail "make clean O=$ok: $(cat "$tmp/clean.log")"
	[ ! -e "$t/$ok" ] || fail "make clean O=$ok left $ok"
done
echo "build.sh: make clean refuses the sources, cleans O=build, O=build/asan"

# 4. Every symbol the shared library needs comes from a library it names;
# clang's sanitizers leave theirs to the program, and still link.
readelf -d "$o"/libcfork.so.1.* | grep -q NEEDED || fail "libcfork.so needs nothing?"
grep -q -- "-Wl,-z,defs" "$tmp/cmds" || fail "libcfork.so is not linked with -z defs"
if command -v clang >/dev/null 2>&1; then
	"$MAKE" -s O="$tmp/sanitized" CC=clang \
		CFLAGS="-O1 -fsanitize=address,undefined" \
		LDFLAGS="-fsanitize=address,undefined" -j"$jobs" \
		>"$tmp/sanitized.log" 2>&1 ||
		fail "a clang-sanitized libcfork.so does not link: $(tail -3 "$tmp/sanitized.log")"
	echo "build.sh: libcfork.so links with -z defs; clang-sanitized, without"
fi
