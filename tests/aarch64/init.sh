#!/bin/busybox sh
# SPDX-License-Identifier: MIT
#
# /init of the arm64 guest (tests/aarch64/run.sh builds the initramfs): sets
# up what the suite reads, runs it as root, prints the marker line that
# run.sh parses, and powers the machine off. Everything the guest prints
# goes to the serial console, which run.sh shows and logs.

/bin/busybox --install -s /bin
export PATH=/bin HOME=/root TERM=dumb LANG=C

# The suite reads /proc (its own exe, fds, maps, status), re-executes itself
# through /proc/self/exe, opens /dev/null and /dev/fd/N, creates cgroups
# under /sys/fs/cgroup and writes to /tmp. The initramfs is the root
# file system (tmpfs), so /tmp needs no mount of its own: a mount there
# would hide the tests' programs if the build directory is under /tmp.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
chmod 1777 /tmp
ip link set lo up 2>/dev/null
hostname cfork-aarch64

echo "cfork-aarch64: kernel $(uname -r) $(uname -m)," \
     "$(grep -c ^processor /proc/cpuinfo) cpus," \
     "lsm $(cat /sys/kernel/security/lsm 2>/dev/null || echo unknown)"

# run.sh wrote the suite's path, its working directory (the tests read
# tests/fuzz/ relative to it) and Criterion's arguments.
. /cfork/env
cd "$CFORK_CWD" || exit 1
eval "set -- $CFORK_ARGS"
start=$(cut -d' ' -f1 /proc/uptime)
"$CFORK_TESTS" "$@"
rc=$?
end=$(cut -d' ' -f1 /proc/uptime)
echo "cfork-aarch64: suite took $start -> $end s of guest uptime"
echo "cfork-aarch64: suite exit $rc"
sync
poweroff -f
