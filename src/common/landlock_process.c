/* SPDX-License-Identifier: MIT */
/*
 * This process's base ruleset (landlock_base.c), made once from cfork's
 * constructor (reading the mount table and the root directory costs more
 * than a spawn should pay each time, and fds that appeared at a first
 * spawn would read as leaks) and kept valid: each spawn gets its own
 * duplicate, which it passes to its child with the landlock paths' fds.
 *
 * Kept valid against two things. A daemon may close every fd above 2
 * after its start and open others, another ruleset too, under the same
 * numbers: every ruleset is the same anonymous inode to fstat, so the
 * ruleset is compared with a second fd of its own (kcmp), and made again
 * where they no longer are one file (the numbers, someone else's now, are
 * left alone). And a proc, sysfs or cgroup file system mounted after the
 * ruleset was made would lie beneath a rule: the mount table, kept open,
 * polls POLLPRI once it changed, and the ruleset is made again (in a child
 * of fork(), which shares that open file and so its one notice of a
 * change, at its first spawn). Three fds in all, above 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"

static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t made_by;	/* 0: not made yet */
static int ruleset = -1, witness = -1, mounts = -1;
static dev_t mounts_dev;
static ino_t mounts_ino;

static bool names_a_ruleset(int fd)
{
	char path[32], target[40];
	ssize_t n;

	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[landlock-ruleset]");
}

/* Whether ruleset and witness are still the two fds of one ruleset made
   here. Where kcmp is refused (a kernel without it, a container's
   filter), both must at least still name a ruleset. */
static bool still_ours(void)
{
	pid_t self = getpid();
	long same;

	if (ruleset < 0 || witness < 0)
		return false;
	same = syscall(SYS_kcmp, self, self, KCMP_FILE, ruleset, witness);
	if (same >= 0)
		return same == 0;
	return names_a_ruleset(ruleset) && names_a_ruleset(witness);
}

static bool mounts_still_it(void)
{
	struct stat st;

	return mounts >= 0 && fstat(mounts, &st) == 0 &&
	       st.st_dev == mounts_dev && st.st_ino == mounts_ino;
}

/* Whether the mount table changed since it was last read (or its fd is
   no longer it). */
static bool mounts_changed(void)
{
	struct pollfd p = { .fd = mounts, .events = POLLPRI };

	if (mounts < 0)
		return false;
	if (!mounts_still_it())
		return true;
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR));
}

static int above_stdio(int fd)
{
	fd = fd_move_above_stdio(fd);
	return fd < 0 ? -1 : fd;
}

/* Under process_lock. The old fds are closed where they are still ours:
   a spawn under way holds its own duplicate. */
static void make(bool old_ours)
{
	int abi = landlock_abi();
	struct stat st;

	if (old_ours) {
		close(ruleset);
		close(witness);
	}
	ruleset = witness = -1;
	made_by = getpid();
	if (abi < 1)
		return;
	if (!mounts_still_it()) {
		/* Lost to a close, or never opened: the old number is not
		   ours to close. */
		mounts = above_stdio(open("/proc/self/mountinfo",
					  O_RDONLY | O_CLOEXEC));
		if (mounts >= 0 && fstat(mounts, &st) == 0) {
			mounts_dev = st.st_dev;
			mounts_ino = st.st_ino;
		}
	}
	/* Read from here on: a change from now polls again. */
	int fd = landlock_base_ruleset(abi, mounts);
	if (fd < 0)
		return;
	ruleset = above_stdio(fd);
	witness = ruleset >= 0 ? fcntl(ruleset, F_DUPFD_CLOEXEC, 3) : -1;
	if (witness < 0 && ruleset >= 0) {
		close(ruleset);
		ruleset = -1;
	}
}

int landlock_process_ruleset(void)
{
	int fd = -1;

	pthread_mutex_lock(&process_lock);
	if (!made_by) {
		make(false);
	} else if (made_by != getpid()) {
		/* A child of fork(): the mount table's fd is one open file
		   with its parent's, and a change polls for only one of the
		   two. Its own, and a ruleset read from it. */
		bool ours = ruleset >= 0 && still_ours();
		if (mounts_still_it())
			close(mounts);
		mounts = -1;
		make(ours);
	} else {
		/* One that could not be made is tried again when the
		   mounts change, not at every spawn. */
		bool ours = ruleset >= 0 && still_ours();
		if ((ruleset >= 0 && !ours) || mounts_changed())
			make(ours);
	}
	if (ruleset >= 0)
		fd = fcntl(ruleset, F_DUPFD_CLOEXEC, 3);
	pthread_mutex_unlock(&process_lock);
	return fd < 0 ? -1 : fd;
}
