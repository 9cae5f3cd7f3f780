#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The install recipes people use (README), each built in a fresh O and
# installed into its own DESTDIR:
#   (a) make && make install PREFIX=/usr
#   (b) make PREFIX=/usr && make install PREFIX=/usr
#   (c) make && make install prefix=/usr libdir=/usr/lib/<multiarch>
#   (d) make && make install                     (/usr/local)
# For each: cfork.pc names the install's prefix, libdir and includedir;
# examples/example.c builds with pkg-config against the staged files and
# runs, linked shared and -static, and so does tests/install/
# static_child.cpp, -static; make uninstall with the same variables
# leaves no file behind. `make check-install` runs it.
set -eu

cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
CC=${CC:-cc}
CXX=${CXX:-c++}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
# Only the recipe's own variables may say where files go: none from the
# environment, none from a calling make (MAKEFLAGS carries its command line).
unset MAKEFLAGS MFLAGS MAKELEVEL O DESTDIR PREFIX prefix LIBDIR libdir \
	INCLUDEDIR includedir pkgconfigdir
jobs=$(nproc 2>/dev/null || echo 2)

command -v "$PKG_CONFIG" >/dev/null 2>&1 || {
	echo "install.sh: $PKG_CONFIG not found" >&2
	exit 1
}
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
multiarch=${multiarch:-$($CC -dumpmachine)}
# cfork.pc requires liburing and libseccomp (Requires.private): they are
# the host's, found after the staged cfork.pc in the search path, never
# before it (PKG_CONFIG_PATH would come first and could find an installed
# cfork.pc instead).
host_pc_path=$("$PKG_CONFIG" --variable pc_path pkg-config)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "install.sh: ($name) FAIL: $*" >&2
	exit 1
}

# run LOG CMD...: run CMD with its output in LOG, shown if it fails.
run() {
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		fail "$*"
	fi
}

# recipe NAME BUILD_VARS INSTALL_VARS PREFIX LIBDIR INCLUDEDIR
recipe() {
	name=$1
	local build=$2 inst=$3 prefix=$4 libdir=$5 includedir=$6
	local w=$tmp/$name
	local o=$w/build d=$w/dest
	local pcdir=$d$libdir/pkgconfig pc f v want flags out
	mkdir -p "$w"
	echo "install.sh: ($name) make${build:+ $build} &&" \
		"make install${inst:+ $inst}"

	# $build and $inst are lists of VAR=value: split on purpose.
	# shellcheck disable=SC2086
	run "$w/make.log" "$MAKE" -j"$jobs" O="$o" CC="$CC" $build
	# shellcheck disable=SC2086
	run "$w/install.log" "$MAKE" O="$o" CC="$CC" DESTDIR="$d" $inst install
	if grep -q '^  \(CC\|AS\|LD\|AR\) ' "$w/install.log"; then
		fail "make install rebuilt what make had built"
	fi

	for f in "$includedir/cfork.h" "$libdir/libcfork.a" \
		"$prefix/share/man/man3/cfork_spawnv.3" \
		"$prefix/share/man/man7/cfork.7" \
		"$prefix/share/cfork/valgrind.supp" \
		"$libdir/libcfork.so" "$libdir/libcfork.so.1" \
		"$libdir/pkgconfig/cfork.pc"; do
		[ -e "$d$f" ] || fail "$f not installed"
	done
	pc=$pcdir/cfork.pc
	for want in "prefix=$prefix" "libdir=$libdir" \
		"includedir=$includedir"; do
		v=${want%%=*}
		f=$(grep "^$v=" "$pc" || true)
		[ "$f" = "$want" ] || fail "cfork.pc says $f, want $want"
	done
	f=$(PKG_CONFIG_LIBDIR=$pcdir:$host_pc_path \
		"$PKG_CONFIG" --variable=pcfiledir cfork)
	[ "$f" = "$pcdir" ] || fail "pkg-config reads $f/cfork.pc, not $pc"

	# The staged files, as a cross or package build sees them.
	staged_pkg_config() {
		PKG_CONFIG_SYSROOT_DIR=$d \
		PKG_CONFIG_LIBDIR=$pcdir:$host_pc_path "$PKG_CONFIG" "$@"
	}

	flags=$(staged_pkg_config --cflags --libs cfork) ||
		fail "pkg-config cfork"
	# shellcheck disable=SC2086
	run "$w/cc-shared.log" "$CC" -o "$w/shared" examples/example.c $flags
	out=$(LD_LIBRARY_PATH=$d$libdir ldd "$w/shared")
	case $out in
	*"libcfork.so.1 => $d$libdir/libcfork.so.1 "*) ;;
	*) fail "the shared example does not load the staged libcfork.so.1" ;;
	esac
	out=$(LD_LIBRARY_PATH=$d$libdir "$w/shared") ||
		fail "the shared example failed: $out"
	case $out in
	*"child(1) pid"*) ;;
	*) fail "the shared example's child did not run: $out" ;;
	esac

	flags=$(staged_pkg_config --static --cflags --libs cfork) ||
		fail "pkg-config --static cfork"
	# shellcheck disable=SC2086
	run "$w/cc-static.log" "$CC" -static -o "$w/static" \
		examples/example.c $flags
	if readelf -l "$w/static" | grep -q INTERP; then
		fail "the -static example is not static"
	fi
	# Its own libseccomp and liburing, never a dlopen of the host's: the
	# library refers to them weakly, and only cfork.pc's -u takes them
	# out of their archives.
	need="seccomp_init"
	case $flags in *-luring*) need="$need io_uring_queue_init" ;; esac
	for sym in $need; do
		nm "$w/static" | grep -q " T $sym\$" ||
			fail "the static example has no $sym of its own:" \
				"it would dlopen the shared library"
	done
	out=$("$w/static") || fail "the static example failed: $out"
	case $out in
	*"child(1) pid"*) ;;
	*) fail "the static example's child did not run: $out" ;;
	esac
	# C++ children of a static program: an exception and an exit().
	# shellcheck disable=SC2086
	run "$w/cxx-static.log" "$CXX" -static -o "$w/static-cxx" \
		tests/install/static_child.cpp $flags
	out=$("$w/static-cxx") ||
		fail "a static program's C++ children: $out (want 5 and 42)"

	# shellcheck disable=SC2086
	run "$w/uninstall.log" "$MAKE" O="$o" DESTDIR="$d" $inst uninstall
	f=$(find "$d" ! -type d)
	[ -z "$f" ] || fail "make uninstall left: $f"
	echo "install.sh: ($name) ok: cfork.pc, shared and static links," \
		"uninstall"
}

recipe a "" "PREFIX=/usr" /usr /usr/lib /usr/include
recipe b "PREFIX=/usr" "PREFIX=/usr" /usr /usr/lib /usr/include
recipe c "" "prefix=/usr libdir=/usr/lib/$multiarch" \
	/usr "/usr/lib/$multiarch" /usr/include
recipe d "" "" /usr/local /usr/local/lib /usr/local/include
echo "install.sh: all recipes passed"
