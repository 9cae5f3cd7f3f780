#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/aarch64/run.sh DIR BUILD [CRITERION-ARGS...]: boots the arm64 test
# suite built in BUILD (`make build-aarch64`) on Debian's arm64 kernel under
# qemu-system-aarch64 and exits with the suite's status.
#
# DIR holds the sysroot that tests/aarch64/setup.sh unpacked (kernel,
# busybox, shared libraries); the initramfs and the console's log are
# written there too. The guest's /init (tests/aarch64/init.sh) prints
# "cfork-aarch64: suite exit N" after the suite: N is this script's status,
# and a guest that never prints it (a panic, a hang cut by TIMEOUT) fails.
#
# Environment: CROSS (aarch64-linux-gnu-), TIMEOUT (seconds for the whole
# guest, 1800), V=1 for the kernel's boot messages.
set -euo pipefail

dir=$(cd "${1:?usage: run.sh DIR BUILD [ARGS...]}" && pwd)
build=$(cd "${2:?usage: run.sh DIR BUILD [ARGS...]}" && pwd)
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
cross=${CROSS:-aarch64-linux-gnu-}
timeout_s=${TIMEOUT:-1800}
sysroot=$dir/sysroot
root=$dir/initramfs
log=$dir/console.log

# Each test's timeout is built in (TEST_TIMEOUT, from the Makefile's
# AARCH64_TEST_TIMEOUT); the guest's /init sets LANG=C and TERM=dumb, so
# Criterion prints no colours or Unicode.
args=("$@")

kernel=
for k in "$sysroot"/boot/vmlinuz-*; do
	[ -f "$k" ] && kernel=$k
done
[ -n "$kernel" ] || { echo "aarch64: no kernel in $sysroot/boot" \
	"(make build-aarch64 unpacks one)" >&2; exit 1; }

rm -rf "$root"
mkdir -p "$root"/{bin,dev,etc,proc,root,sys,tmp,cfork} \
	 "$root/lib/aarch64-linux-gnu"
install -m 755 "$sysroot/bin/busybox" "$root/bin/busybox"
install -m 755 "$src/tests/aarch64/init.sh" "$root/init"
echo cfork-aarch64 > "$root/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"

# The suite and its programs at the paths they were built for: the tests
# find tests/progs under the absolute path the Makefile compiled in.
mkdir -p "$root$build/tests/progs"
install -m 755 "$build/tests/cfork-tests" "$root$build/tests/"
for p in "$build"/tests/progs/*; do
	case $p in *.d) continue ;; esac
	install -m 755 "$p" "$root$build/tests/progs/"
done
# Its working directory: the fuzz regression tests read their corpora
# relative to the source tree.
mkdir -p "$root/cfork/src/tests/fuzz"
cp -R "$src/tests/fuzz/corpus" "$src/tests/fuzz/report-corpus" \
	"$root/cfork/src/tests/fuzz/"

# Every shared library the binaries need, and theirs, from the sysroot
# (Debian's arm64 packages), with the dynamic loader they name.
libdirs=("$sysroot/lib/aarch64-linux-gnu" "$sysroot/usr/lib/aarch64-linux-gnu"
	 "$build/tests/progs")
declare -A copied=()
queue=("$root$build/tests/cfork-tests" "$root$build"/tests/progs/*)
while [ ${#queue[@]} -gt 0 ]; do
	elf=${queue[0]}
	queue=("${queue[@]:1}")
	for lib in $("${cross}readelf" -d "$elf" |
		     sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		[ -n "${copied[$lib]:-}" ] && continue
		found=
		for d in "${libdirs[@]}"; do
			if [ -e "$d/$lib" ]; then found=$d/$lib; break; fi
		done
		[ -n "$found" ] || { echo "aarch64: $lib not in the sysroot" >&2; exit 1; }
		cp -L "$found" "$root/lib/aarch64-linux-gnu/$lib"
		copied[$lib]=1
		queue+=("$root/lib/aarch64-linux-gnu/$lib")
	done
done
interp=$("${cross}readelf" -l "$build/tests/cfork-tests" |
	 sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
mkdir -p "$root$(dirname "$interp")"
cp -L "$sysroot$interp" "$root$interp"

{
	printf 'CFORK_TESTS=%q\n' "$build/tests/cfork-tests"
	printf 'CFORK_CWD=%q\n' /cfork/src
	printf 'CFORK_ARGS=%q\n' "$(printf '%q ' "${args[@]}")"
} > "$root/cfork/env"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	gzip -1 > "$dir/initramfs.cpio.gz"

# -cpu max: every arm64 feature QEMU emulates (pointer authentication,
# BTI, SVE...), as the newest hardware has them; pauth-impdef keeps
# pointer authentication but with QEMU's cheap hash instead of the
# architected QARMA: Debian's kernel signs return addresses in every
# function, and with QARMA the run took 6.5 minutes instead of 1.5-2. No
# network device: the guest needs none. -no-reboot and panic=-1 turn a kernel
# panic into QEMU's exit, not a reboot loop. The console's CRs go, a line
# at a time (sed -u), so that a run shows its tests as they end.
append="console=ttyAMA0 panic=-1"
[ "${V:-}" = 1 ] || append+=" quiet"
echo "aarch64: booting $(basename "$kernel") under qemu-system-aarch64" \
     "(timeout ${timeout_s}s), console log in $log"
set +e
timeout -k 10 "$timeout_s" qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on \
	-m 2G -smp 2 -nographic -nic none -no-reboot \
	-kernel "$kernel" -initrd "$dir/initramfs.cpio.gz" \
	-append "$append" </dev/null 2>&1 | sed -u 's/\r$//' | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e

rc=$(sed -n 's/^cfork-aarch64: suite exit \([0-9][0-9]*\)$/\1/p' "$log" |
     tail -n 1)
if [ -z "$rc" ]; then
	if [ "$qemu_rc" = 124 ]; then
		echo "aarch64: FAILED: the guest ran past ${timeout_s}s" >&2
	else
		echo "aarch64: FAILED: the guest stopped (qemu status" \
		     "$qemu_rc) before the suite's end" >&2
	fi
	exit 1
fi
# A failure's own lines, again after the suite: a CI log that keeps only
# its tail still says which test failed and why.
if [ "$rc" != 0 ]; then
	echo "aarch64: what failed:"
	grep -E '^\[(----|FAIL)\]' "$log" | grep -v '^\[----\] *$' || true
fi
echo "aarch64: suite exit $rc on arm64"
exit "$rc"
