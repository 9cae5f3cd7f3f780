/* SPDX-License-Identifier: MIT */
/*
 * This process's base ruleset (landlock_base.c), made once from cfork's
 * constructor (reading the mount table and the root directory costs more
 * than a spawn should pay each time, and fds that appeared at a first
 * spawn would read as leaks) and checked at each spawn, which gets its own
 * duplicate to pass to its child with the landlock paths' fds. It is made
 * again when:
 *
 * - the program closed cfork's fds and opened others, another ruleset
 *   too, under the same numbers (daemons close every fd above 2): every
 *   ruleset is the same anonymous inode to fstat, so the ruleset is
 *   compared with a second fd of its own (kcmp); where kcmp is refused,
 *   both must still name a ruleset and the mount table's fd must still
 *   be cfork's, which is marked O_APPEND|O_NONBLOCK (a flag a ruleset's fd
 *   does not keep), a mark a table the program opened itself lacks. The
 *   numbers, someone else's now, are left alone;
 * - a mount was made or removed: the mount table's fd polls POLLPRI once;
 * - the calling thread's mount namespace or root is another (unshare,
 *   setns, chroot, pivot_root), which the table's fd, bound to the old
 *   ones, does not tell;
 * - a directory whose entries it read changed (an entry made, removed or
 *   renamed: a new one has no rule, and a renamed one may now hold a proc
 *   mount beneath a rule);
 * - this is a child of fork(), which shares the table's open file and so
 *   its one notice of a change: it makes its own at its first spawn.
 *
 * Three fds in all, above 2.
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

#define MOUNTS_MARK (O_APPEND | O_NONBLOCK)

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t made_by;	/* 0: not made yet */
static int ruleset = -1, witness = -1, mounts = -1;
static dev_t mounts_dev;
static ino_t mounts_ino, namespace_ino;
static struct landlock_walked walked;

/* A fork() while a spawn checks or makes the ruleset must not leave the
   copy's lock held. */
static void lock_for_fork(void)
{
	pthread_mutex_lock(&process_lock);
}

static void unlock_after_fork(void)
{
	pthread_mutex_unlock(&process_lock);
}

static void atfork_register(void)
{
	(void)pthread_atfork(lock_for_fork, unlock_after_fork,
			     unlock_after_fork);
}

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

static bool mounts_still_it(void)
{
	struct stat st;
	int flags = mounts >= 0 ? fcntl(mounts, F_GETFL) : -1;

	return flags >= 0 && (flags & MOUNTS_MARK) == MOUNTS_MARK &&
	       fstat(mounts, &st) == 0 && st.st_dev == mounts_dev &&
	       st.st_ino == mounts_ino;
}

/* Whether ruleset and witness are still the two fds of one ruleset made
   here. */
static bool still_ours(void)
{
	pid_t self = getpid();
	long same;

	if (ruleset < 0 || witness < 0)
		return false;
	same = syscall(SYS_kcmp, self, self, KCMP_FILE, ruleset, witness);
	if (same >= 0 || errno == EBADF)
		return same == 0;
	return mounts_still_it() && names_a_ruleset(ruleset) &&
	       names_a_ruleset(witness);
}

static ino_t namespace_now(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/mnt", &st) == 0 ? st.st_ino : 0;
}

/* Whether anything the ruleset was made from changed since. */
static bool stale(void)
{
	struct pollfd p = { .fd = mounts, .events = POLLPRI };

	if (walked.incomplete || namespace_now() != namespace_ino)
		return true;
	for (size_t i = 0; i < walked.n; i++)
		if (!landlock_walked_unchanged(&walked.dir[i]))
			return true;
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

/* The mount table of the calling thread's namespace, marked; -1 where
   there is none. */
static void mounts_open(void)
{
	struct stat st;

	mounts = above_stdio(open("/proc/thread-self/mountinfo",
				  O_RDONLY | O_CLOEXEC));
	if (mounts >= 0 && (fcntl(mounts, F_SETFL, MOUNTS_MARK) < 0 ||
			    fstat(mounts, &st) < 0)) {
		close(mounts);
		mounts = -1;
	}
	if (mounts >= 0) {
		mounts_dev = st.st_dev;
		mounts_ino = st.st_ino;
	}
}

/* Under process_lock. Closes only the fds that are still ours: a spawn
   under way holds its own duplicate. */
static void make(bool ruleset_ours, bool mounts_ours)
{
	int abi = landlock_abi();

	if (ruleset_ours) {
		close(ruleset);
		close(witness);
	}
	if (mounts_ours)
		close(mounts);
	ruleset = witness = mounts = -1;
	made_by = getpid();
	walked = (struct landlock_walked){ 0 };
	if (abi < 1)
		return;
	/* Opened anew each time: a table of another namespace, or one
	   whose notice another process took, tells nothing. */
	mounts_open();
	namespace_ino = namespace_now();
	int fd = landlock_base_ruleset(abi, mounts, &walked);
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

	pthread_once(&atfork_once, atfork_register);
	pthread_mutex_lock(&process_lock);
	if (!made_by) {
		make(false, false);
	} else if (made_by != getpid()) {
		make(ruleset >= 0 && still_ours(), mounts_still_it());
	} else if (ruleset >= 0 || mounts >= 0) {
		/* One that could not be made is tried again when something
		   changes, not at every spawn. */
		bool ours = ruleset >= 0 && still_ours();
		if ((ruleset >= 0 && !ours) || stale())
			make(ours, mounts_still_it());
	}
	if (ruleset >= 0)
		fd = fcntl(ruleset, F_DUPFD_CLOEXEC, 3);
	pthread_mutex_unlock(&process_lock);
	return fd < 0 ? -1 : fd;
}
