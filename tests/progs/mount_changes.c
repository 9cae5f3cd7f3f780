/* SPDX-License-Identifier: MIT */
/*
 * The base's ruleset follows the mounts and directories it was made from.
 * A program that, after its first sandboxed spawn:
 *
 *   1. opens mount tables of its own on cfork's fd numbers and takes the
 *      notice of a mount from them, then mounts a proc;
 *   2. moves into a mount namespace of its own and mounts a proc there;
 *   3. renames the directory that holds a proc mount to beneath a
 *      directory the ruleset allows;
 *   4. makes a directory beside a proc mount's,
 *   5. mounts a proc beneath a bind mount of one of its directories,
 *   6. mounts a proc in a tmpfs of its own,
 *
 * and spawns after each: the child must be refused its caller's
 * oom_score_adj through each proc, and may write in the new directory.
 *
 *   mount_changes     prints one line per failure; exits 1 if any, 0 if
 *                     none, 77 where it cannot mount (not root)
 */
#include <cfork.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens path for writing (creating it where asked): 0 where it could, 1
   where it was refused with EACCES, 2 on another error. */
static int mount_changes_child(const cfork_args *a)
{
	int create = (int)cfork_arg_i64(a, 1);
	int fd = open(cfork_arg_str(a, 0), O_WRONLY | O_CLOEXEC |
		      (create ? O_CREAT : 0), 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EACCES ? 1 : 2;
}
CFORK_REGISTER(mount_changes_child, "si");

static cfork_sandbox *sb;
static int bad;

/* Spawns the child on path; want: 0 written, 1 refused. */
static void expect(const char *what, const char *path, int create, int want)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	if (cfork_spawn(&p, &attr, "mount_changes_child", path,
			(int64_t)create) < 0 ||
	    cfork_wait(p, 20000, &st) < 0) {
		printf("%s: spawn or wait failed\n", what);
		bad = 1;
		return;
	}
	if (!st.exited || st.code != want) {
		printf("%s: %s: the child exited %d code %d (want %s)\n",
		       what, path, st.exited, st.code,
		       want ? "refused" : "written");
		bad = 1;
	}
	cfork_free(p);
}

static int mount_proc(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	return mount("proc", dir, "proc", 0, NULL);
}

/* Mounts a proc at dir; the child must be refused its caller's
   oom_score_adj through it. -1 where it cannot mount. */
static int expect_refused_through(const char *what, const char *dir)
{
	char path[512];

	if (mount_proc(dir) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%d/oom_score_adj", dir, (int)getpid());
	expect(what, path, 0, 1);
	return 0;
}

int main(void)
{
	char top[] = "/tmp/cfork-mounts-XXXXXX", path[512], dir[256];
	int monitor[4];

	if (cfork_init() < 0 || cfork_sandbox_new(&sb, 0) < 0)
		return 2;
	if (!mkdtemp(top))
		return 2;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)getpid());
	expect("at the start", path, 0, 1);

	/* 1: the program's own tables on the low numbers, and their one
	   notice of the mount taken by the program. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	for (int i = 0; i < 4; i++)
		monitor[i] = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	expect("after the program closed cfork's fds", path, 0, 1);
	snprintf(dir, sizeof(dir), "%s/one", top);
	if (mount_proc(dir) < 0) {
		rmdir(dir);
		rmdir(top);
		return 77;
	}
	for (int i = 0; i < 4; i++) {
		struct pollfd p = { .fd = monitor[i], .events = POLLPRI };
		(void)poll(&p, 1, 0);
	}
	snprintf(path, sizeof(path), "%s/%d/oom_score_adj", dir, (int)getpid());
	expect("a mount whose notice the program took", path, 0, 1);
	umount2(dir, MNT_DETACH);

	/* 2: a mount namespace of its own, whose mounts stay in it. A root
	   that is no mount point (a chroot) cannot be made private: the
	   rest cannot run there without its mounts reaching the host. */
	if (unshare(CLONE_NEWNS) < 0) {
		printf("unshare: %s\n", strerror(errno));
		return 1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int err = errno;
		printf("the root is no mount point to make private: %s\n",
		       strerror(err));
		snprintf(path, sizeof(path), "rm -rf %s", top);
		(void)!system(path);
		return bad || err != EINVAL ? 1 : 77;
	}
	snprintf(dir, sizeof(dir), "%s/two", top);
	if (expect_refused_through("a mount in a namespace of its own", dir) < 0)
		return 1;

	/* 3: the proc's directory renamed to beneath an allowed one. */
	snprintf(dir, sizeof(dir), "%s/three", top);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/three/held", top);
	if (mount_proc(dir) < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/allowed", top);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/allowed/x", top);
	expect("before the rename", path, 1, 0);
	char from[256], to[256];
	snprintf(from, sizeof(from), "%s/three", top);
	snprintf(to, sizeof(to), "%s/allowed/three", top);
	if (rename(from, to) < 0) {
		printf("rename: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/allowed/three/held/%d/oom_score_adj",
		 top, (int)getpid());
	expect("a proc moved beneath an allowed directory", path, 0, 1);

	/* 4: a directory made beside the procs after the ruleset. */
	snprintf(dir, sizeof(dir), "%s/new", top);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/new/f", top);
	expect("a directory made after the start", path, 1, 0);

	/* 5: a proc beneath a bind mount, whose directory another path (the
	   bind's source) shows too: landlock walks up through that one. */
	snprintf(dir, sizeof(dir), "%s/source", top);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/source/sub", top);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/source/other", top);
	mkdir(dir, 0755);
	snprintf(from, sizeof(from), "%s/source", top);
	snprintf(to, sizeof(to), "%s/bound", top);
	mkdir(to, 0755);
	if (mount(from, to, NULL, MS_BIND, NULL) < 0) {
		printf("bind: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/bound/sub/proc", top);
	if (expect_refused_through("a proc beneath a bind mount", dir) < 0)
		return 1;
	/* The source holds the proc's directory now: it gets no rule, but
	   what is beside that does. */
	snprintf(path, sizeof(path), "%s/source/other/f", top);
	expect("beside the proc in the bind's source", path, 1, 0);
	umount2(dir, MNT_DETACH);
	umount2(to, MNT_DETACH);

	/* 6: a proc in a file system of its own (a tmpfs): what lies beside
	   the proc's directories in it stays writable. */
	snprintf(dir, sizeof(dir), "%s/fs", top);
	mkdir(dir, 0755);
	if (mount("tmpfs", dir, "tmpfs", 0, NULL) < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/fs/other", top);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/fs/chroot", top);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/fs/chroot/proc", top);
	if (expect_refused_through("a proc in a tmpfs", dir) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/fs/other/f", top);
	expect("beside it in the tmpfs", path, 1, 0);
	umount2(dir, MNT_DETACH);
	snprintf(dir, sizeof(dir), "%s/fs", top);
	umount2(dir, MNT_DETACH);

	cfork_sandbox_free(sb);
	snprintf(dir, sizeof(dir), "%s/two", top);
	umount2(dir, MNT_DETACH);
	snprintf(dir, sizeof(dir), "%s/allowed/three/held", top);
	umount2(dir, MNT_DETACH);
	for (int i = 0; i < 4; i++)
		close(monitor[i]);
	snprintf(path, sizeof(path), "rm -rf %s", top);
	(void)!system(path);
	return bad;
}
