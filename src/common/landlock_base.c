/* SPDX-License-Identifier: MIT */
/*
 * The base's landlock ruleset (child/landlock.c enters it): the making of
 * block devices denied, and nothing written, made, removed or moved on the
 * file systems through which any process of the user reaches the others.
 * proc: the caller's /proc/<pid>/oom_score_adj, autogroup and
 * coredump_filter are written by their owner, with no ptrace access check.
 * The cgroup file systems: a delegated cgroup's cgroup.kill, cgroup.freeze
 * or memory.max ends, stops or starves everything in it, the caller too,
 * and lifts a limit the caller's cgroup set. sysfs, where the cgroups are
 * mounted, and whose files are the machine's. A filter cannot see paths,
 * and landlock allows by rules only: the ruleset allows those rights beneath
 * every entry of the root directory that holds none of those mounts, and
 * goes down into the entries that do (/tmp/chroot/proc, a bind of /proc
 * made for a chroot, is found in the mount table). Each rule binds to what
 * its entry is when the ruleset is made, as landlock's rules do. Symbolic
 * links get no rule: what they name has its own. A directory that cannot
 * be read gets none either, nor does anything where the mount table cannot
 * be read whole: what they hold stays unwritable (fails closed). The
 * directories read are noted (landlock_process.c reads them again once
 * they change: an entry made in one after the ruleset was made has no
 * rule).
 *
 * Handling the move of a file between directories (LANDLOCK_ACCESS_FS_REFER)
 * also gives it back: a landlock domain that does not handle it refuses
 * every rename and link across directories with EXDEV.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
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

struct walk {
	int ruleset;
	uint64_t dir_rights, file_rights;
	const struct fenced *fenced;
	char *pending[64];	/* directories still to go into */
	size_t npending;
	struct landlock_walked *walked;	/* NULL: not asked */
};

/* What tells that a directory changed: an entry made, removed or renamed
   moves its mtime, and its size or links where the mtime's tick hides it. */
static void walked_stat(const struct stat *st, struct landlock_walked_dir *d)
{
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->mtime = st->st_mtim;
	d->size = st->st_size;
	d->nlink = st->st_nlink;
}

/* The directory at path as it is before its entries are read: one that
   changes after this is read again at the next spawn. */
static void walked_note(struct landlock_walked *walked, const char *path)
{
	struct landlock_walked_dir *d;
	struct stat st;

	if (!walked)
		return;
	if (walked->n == LANDLOCK_WALKED_MAX || strlen(path) >= sizeof(d->path)
	    || stat(path, &st) < 0) {
		walked->incomplete = true;
		return;
	}
	d = &walked->dir[walked->n++];
	memcpy(d->path, path, strlen(path) + 1);
	walked_stat(&st, d);
}

/* A rule or a directory missed for want of fds or memory: the ruleset,
   with fewer rules than it should have, is made again at the next spawn
   (a directory this process may not read stays without, as it would be
   again). */
static void walk_failed(struct walk *w)
{
	if (w->walked && (errno == EMFILE || errno == ENFILE ||
			  errno == ENOMEM))
		w->walked->incomplete = true;
}

/* The rules on the entries of the directory at path: one on each that
   holds no fenced mount; each that does is left for a later turn, to go
   into (a directory that cannot be read gets none). */
static void allow_beneath(struct walk *w, const char *path)
{
	walked_note(w->walked, path);
	int dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dir >= 0 ? fdopendir(dir) : NULL;
	size_t len = strlen(path);
	char entry[PATH_MAX];

	if (!d) {
		walk_failed(w);
		if (dir >= 0)
			close(dir);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    e->d_type == DT_LNK ||
		    (size_t)snprintf(entry, sizeof(entry), "%s%s%s", path,
				     len == 1 ? "" : "/", e->d_name) >=
		    sizeof(entry))
			continue;
		int fd = openat(dirfd(d), e->d_name,
				O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		int at = fence_at(w->fenced, entry);
		if (fd < 0 || fstat(fd, &st) < 0) {
			walk_failed(w);
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (S_ISLNK(st.st_mode) || at == 1 ||
		    reaches_other_processes(fd)) {
			close(fd);
			continue;
		}
		if (at == 2) {
			/* Gone into; a file there (a file a proc file is
			   bound onto) gets no rule. */
			close(fd);
			char *copy = w->npending < 64 && S_ISDIR(st.st_mode) ?
				     strdup(entry) : NULL;
			if (copy)
				w->pending[w->npending++] = copy;
			continue;
		}
		struct ll_path_beneath pb = {
			.allowed_access = S_ISDIR(st.st_mode) ? w->dir_rights :
								w->file_rights,
			.parent_fd = fd,
		};
		if (syscall(SYS_landlock_add_rule, w->ruleset,
			    LL_RULE_PATH_BENEATH, &pb, 0) < 0)
			walk_failed(w);
		close(fd);
	}
	closedir(d);
}

int landlock_base_ruleset(int abi, int mountinfo,
			  struct landlock_walked *walked)
{
	if (abi < 1)
		return -ENOSYS;
	uint64_t rights = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR |
			  LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR |
			  LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO |
			  LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE;
	struct ll_ruleset_attr attr = {
		.handled_access_fs = (rights | LL_FS_MAKE_BLOCK) &
				     landlock_fs_rights(abi),
		.scoped = landlock_scopes(abi),
	};
	size_t size = attr.scoped ? sizeof(attr) :
				    sizeof(attr.handled_access_fs);
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return -errno;

	/* A mount table that cannot be read whole, or none at all (no
	   /proc, where cfork cannot start a child anyway), gives no rule:
	   fails closed. */
	int own = mountinfo < 0 ? open("/proc/thread-self/mountinfo",
				       O_RDONLY | O_CLOEXEC) : -1;
	struct fenced fenced;
	bool read = fenced_paths_read(mountinfo >= 0 ? mountinfo : own,
				      &fenced);
	if (own >= 0)
		close(own);
	struct walk w = {
		.ruleset = ruleset,
		.dir_rights = rights & attr.handled_access_fs,
		.file_rights = rights & attr.handled_access_fs & LL_FS_FILE,
		.fenced = &fenced,
		.walked = walked,
	};
	if (walked)
		*walked = (struct landlock_walked){ 0 };
	if (read)
		allow_beneath(&w, "/");
	else if (walked)
		walked->incomplete = true;
	while (w.npending) {
		char *dir = w.pending[--w.npending];
		allow_beneath(&w, dir);
		free(dir);
	}
	fenced_free(&fenced);
	return ruleset;
}

bool landlock_walked_unchanged(const struct landlock_walked_dir *d)
{
	struct landlock_walked_dir now;
	struct stat st;

	if (stat(d->path, &st) < 0)
		return false;
	walked_stat(&st, &now);
	return now.dev == d->dev && now.ino == d->ino &&
	       now.mtime.tv_sec == d->mtime.tv_sec &&
	       now.mtime.tv_nsec == d->mtime.tv_nsec &&
	       now.size == d->size && now.nlink == d->nlink;
}
