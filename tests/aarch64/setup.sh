#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/aarch64/setup.sh DIR: what `make build-aarch64` and `make
# check-aarch64` need, from Debian's packages only.
#
# On the host (apt-get, as root): the cross compiler, qemu-system-aarch64
# and cpio, all amd64 packages.
#
# For the target, in DIR/sysroot: the arm64 -dev packages the build links
# (libseccomp, liburing, Criterion), the shared libraries they need at run
# time, busybox-static and an arm64 kernel. These are fetched with an apt
# state of their own (DIR/apt: arm64 lists, no installed packages) and
# unpacked with dpkg-deb -x, never installed: libcriterion-dev:arm64 cannot
# be co-installed with the host's libcriterion-dev (its -dev dependencies,
# libgit2-dev, libnanomsg-dev, libhttp-parser-dev, are not Multi-Arch:
# same, and apt removes the amd64 ones), and a sysroot leaves the host's
# dpkg as it was: no foreign architecture, nothing to remove afterwards.
#
# A second run finds DIR/sysroot/.stamp and does nothing.
set -euo pipefail

dir=${1:?usage: setup.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
export DEBIAN_FRONTEND=noninteractive

# The packages unpacked into the sysroot: the -dev ones for the build, the
# run-time closure of their libraries for the guest, busybox for its
# shell and tools (the tests run /bin/true, cp and sh -c), and Debian's
# cloud kernel: made for virtual machines, it boots faster under emulation
# than the generic one, with the same seccomp, landlock, namespaces and
# cgroups.
DEV_DEBS="libcriterion-dev libseccomp-dev liburing-dev"
RUN_DEBS="libcriterion3 libseccomp2 liburing2 busybox-static"
KERNEL_META=linux-image-cloud-arm64
want="$DEV_DEBS $RUN_DEBS $KERNEL_META"

host_tools() {
	local missing=
	# The compiler recommends its C library's headers and crt files: a
	# link is the check, as apt-get without recommends leaves them out.
	echo 'int main(void) { return 0; }' |
		aarch64-linux-gnu-gcc -x c -o /dev/null - >/dev/null 2>&1 ||
		missing+=" gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
	command -v qemu-system-aarch64 >/dev/null 2>&1 ||
		missing+=" qemu-system-arm"
	command -v cpio >/dev/null 2>&1 || missing+=" cpio"
	command -v pkg-config >/dev/null 2>&1 || missing+=" pkg-config"
	command -v apt-get >/dev/null 2>&1 || {
		echo "aarch64: apt-get not found: a Debian or Ubuntu host" \
		     "is needed to fetch the arm64 packages" >&2
		exit 1
	}
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "aarch64: missing host tools; run: sudo apt-get install" \
		     "-y --no-install-recommends$missing" >&2
		exit 1
	fi
	echo "aarch64: installing$missing"
	apt-get update -qq
	# No recommends: qemu-system-arm's pull in a desktop's worth of
	# libraries (the GUI, audio, video) that -nographic never uses.
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

host_tools

if [ -f "$dir/sysroot/.stamp" ] &&
   [ "$(cat "$dir/sysroot/.stamp")" = "$want" ]; then
	exit 0
fi

# apt with arm64 lists of its own; the host's sources and proxy settings
# (/etc/apt) are read as usual. NoLocking: it never takes dpkg's lock, as
# it installs nothing, so a concurrent apt-get on the host is no matter.
apt_dir=$dir/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	 "$dir/debs"
: > "$apt_dir/status"
APT_OPTS=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64
	  -o Dir::State::Lists="$apt_dir/lists"
	  -o Dir::State::status="$apt_dir/status"
	  -o Dir::Cache="$apt_dir/cache" -o Debug::NoLocking=1
	  -o APT::Sandbox::User=root)

echo "aarch64: fetching arm64 package lists"
apt-get "${APT_OPTS[@]}" update -qq

# The run-time closure, as apt would install it on an empty arm64 system.
closure=$(apt-get "${APT_OPTS[@]}" install -s --no-install-recommends \
	$RUN_DEBS | awk '$1 == "Inst" { print $2 }')
# The metapackage names the versioned kernel package first.
kernel=$(apt-cache "${APT_OPTS[@]}" show "$KERNEL_META" |
	 sed -n 's/^Depends: \([^ ,]*\).*/\1/p' | head -n 1)
[ -n "$kernel" ] || { echo "aarch64: no kernel behind $KERNEL_META" >&2; exit 1; }

echo "aarch64: downloading" $DEV_DEBS $closure "$kernel"
rm -f "$dir"/debs/*.deb
(cd "$dir/debs" && apt-get "${APT_OPTS[@]}" download -qq \
	$DEV_DEBS $closure "$kernel")

rm -rf "$dir/sysroot"
mkdir -p "$dir/sysroot"
for deb in "$dir"/debs/*.deb; do
	dpkg-deb -x "$deb" "$dir/sysroot"
done
# The kernel's modules are not needed: everything the tests use is built in.
rm -rf "$dir/sysroot/lib/modules" "$dir/sysroot/usr/lib/modules"

# criterion.pc names the .pc files of its own -dev dependencies (boxfort,
# libffi, libgit2, nanomsg) in Requires.private, and pkg-config reads them
# even for --cflags and a dynamic link. Those -dev packages would bring 30
# more, libc6-dev:arm64 among them, whose libc.so and headers would shadow
# the cross compiler's own. The build links Criterion dynamically and needs
# nothing of theirs: each .pc that is named and missing gets an empty one.
pc_dir=$dir/sysroot/usr/lib/aarch64-linux-gnu/pkgconfig
for pc in "$pc_dir"/*.pc; do
	sed -n 's/^Requires\(\.private\)\{0,1\}:[[:space:]]*//p' "$pc" |
		tr ',' ' ' | tr -s ' ' '\n' | grep -E '^[A-Za-z]' || true
done | sort -u | while read -r name; do
	[ -f "$pc_dir/$name.pc" ] && continue
	printf '%s\n' "# Empty stand-in written by tests/aarch64/setup.sh" \
		"Name: $name" "Description: stand-in, no flags" \
		"Version: 0" > "$pc_dir/$name.pc"
done
rm -f "$dir"/debs/*.deb
echo "$want" > "$dir/sysroot/.stamp"
echo "aarch64: sysroot ready in $dir/sysroot"
