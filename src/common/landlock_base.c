/* SPDX-License-Identifier: MIT */
/*
 * The base's landlock ruleset (child/landlock.c enters it): the making of
 * block devices denied, and no file opened for writing on the file systems
 * through which any process of the user reaches the others. proc: the
 * caller's /proc/<pid>/oom_score_adj, autogroup and coredump_filter are
 * written by their owner, with no ptrace access check. The cgroup file
 * systems: a delegated cgroup's cgroup.kill, cgroup.freeze or memory.max
 * ends, stops or starves everything in it, the caller too, and lifts a
 * limit the caller's cgroup set. sysfs, where the cgroups are mounted, and
 * whose files are the machine's. A filter cannot see paths, and landlock
 * allows by rules only: the ruleset allows writing beneath every other
 * entry of the root directory, each bound to what it is when the ruleset
 * is made, as landlock's rules are. Symbolic links get no rule: what they
 * name has its own.
 *
 * A process makes it once, from cfork's constructor (reading the root
 * directory and a rule per entry cost more than a spawn should pay each
 * time), and gives each sandboxed child its fd with the landlock paths'
 * fds; a child of fork() shares it, as it shares those. A child that got
 * none builds its own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool reaches_other_processes(int fd)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0)
		return true;
	switch ((unsigned long)fs.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
		return true;
	default:
		return false;
	}
}

/* Writing beneath the entry d of root, where that is not on one of those
   file systems and not a symbolic link. */
static void allow_writes_beneath(int ruleset, int root, const struct dirent *d)
{
	struct stat st;
	int fd;

	if (d->d_type == DT_LNK)
		return;
	fd = openat(root, d->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if ((d->d_type != DT_UNKNOWN ||
	     (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode))) &&
	    !reaches_other_processes(fd)) {
		struct ll_path_beneath pb = {
			.allowed_access = LL_FS_WRITE_FILE,
			.parent_fd = fd,
		};
		(void)syscall(SYS_landlock_add_rule, ruleset,
			      LL_RULE_PATH_BENEATH, &pb, 0);
	}
	close(fd);
}

int landlock_base_ruleset(int abi)
{
	if (abi < 1)
		return -ENOSYS;
	/* A root directory this process cannot read (its own landlock
	   domain, say) gives no rules: writes are then not handled, and
	   the domain holds the rest. */
	DIR *root = opendir("/");
	struct ll_ruleset_attr attr = {
		.handled_access_fs = LL_FS_MAKE_BLOCK |
				     (root ? LL_FS_WRITE_FILE : 0),
		.scoped = landlock_scopes(abi),
	};
	size_t size = attr.scoped ? sizeof(attr) :
				    sizeof(attr.handled_access_fs);
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	int e = errno;

	for (struct dirent *d; ruleset >= 0 && root && (d = readdir(root));)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			allow_writes_beneath(ruleset, dirfd(root), d);
	if (root)
		closedir(root);
	return ruleset >= 0 ? ruleset : -e;
}

static pthread_once_t base_once = PTHREAD_ONCE_INIT;
static int base_fd = -1;

static void base_ruleset_make(void)
{
	int abi = landlock_abi();
	int fd = abi >= 1 ? landlock_base_ruleset(abi) : -1;

	base_fd = fd >= 0 ? fd_move_above_stdio(fd) : -1;
	if (base_fd < 0)
		base_fd = -1;
}

int landlock_base_ruleset_once(void)
{
	pthread_once(&base_once, base_ruleset_make);
	return base_fd;
}
