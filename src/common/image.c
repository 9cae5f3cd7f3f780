/* SPDX-License-Identifier: MIT */
/*
 * The program's own binary, opened O_PATH once, as early as possible (the
 * library's constructor): /proc may be unmounted later, and a binary replaced
 * on disk after start must still re-execute the image that is running. A
 * cfork child has it from its parent instead (self_inherit).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static pthread_once_t self_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t self_lock = PTHREAD_MUTEX_INITIALIZER;
static int self_fd = -ENOENT;
static dev_t self_dev;		/* which file self_fd must be */
static ino_t self_ino;

/*
 * Under "ld.so ./prog" or an emulator, /proc/self/exe is the loader, not the
 * program: re-executing it would run something else. The path the program
 * was started by (AT_EXECFN, which glibc's ld.so rewrites to the program when
 * run directly) must name the same file. After an execveat() of an fd (our
 * own children) it is /dev/fd/N, closed or reused by now: then there is
 * nothing to compare and the kernel's word stands. A script's interpreter is
 * fine too.
 */
static bool is_this_program(int fd)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	struct stat exe, named;
	bool script = false;

	if (!execfn || !strncmp(execfn, "/dev/fd/", 8) ||
	    fstat(fd, &exe) < 0 || stat(execfn, &named) < 0)
		return true;
	if (exe.st_dev == named.st_dev && exe.st_ino == named.st_ino)
		return true;
	int sfd = open(execfn, O_RDONLY | O_CLOEXEC);
	if (sfd >= 0) {
		char magic[2];

		script = read(sfd, magic, 2) == 2 && !memcmp(magic, "#!", 2);
		close(sfd);
	}
	return script;
}

/* Opens the running image and remembers which file it is. */
static int open_self(bool check_program)
{
	int fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (check_program && !is_this_program(fd)) {
		close(fd);
		return -ENOEXEC;
	}
	/* Out of the range 0..2 that a host may close and reuse for stdio. */
	fd = fd_above_stdio(fd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (check_program) {
		self_dev = st.st_dev;
		self_ino = st.st_ino;
	} else if (st.st_dev != self_dev || st.st_ino != self_ino) {
		close(fd);
		return -ENOEXEC;
	}
	return fd;
}

/* A cfork child's image: its parent's fd, kept open across the exec. */
static int inherited_fd = -1;

/* The parent's fd names exactly the image the parent runs and this child
   was executed from; adopting it spares every child the open of
   /proc/self/exe, a path walk through a /proc directory made anew for each
   process (~20 us of a child's start on a 2-vCPU VM; make bench). What it
   is now is remembered, as for an fd opened here: the function may close it
   and see its number reused before it spawns. */
void self_inherit(int fd, const struct stat *st)
{
	inherited_fd = fd;
	self_dev = st->st_dev;
	self_ino = st->st_ino;
}

static void self_open(void)
{
	self_fd = inherited_fd >= 0 ? inherited_fd : open_self(true);
}

static bool still_self(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == self_dev &&
	       st.st_ino == self_ino;
}

/*
 * A host may close every fd above 2 after start (daemons do) and open other
 * files under the same numbers: the fd is checked to still be the binary at
 * each spawn, one fstat, and the image is opened again where it is not (the
 * number is someone else's now: it is left alone). /proc/self/exe names the
 * running image even when the file on disk was replaced.
 */
int self_exe_fd(void)
{
	pthread_once(&self_once, self_open);
	int fd = __atomic_load_n(&self_fd, __ATOMIC_ACQUIRE);

	if (fd < 0 || still_self(fd))
		return fd;
	pthread_mutex_lock(&self_lock);
	if (!still_self(self_fd))
		__atomic_store_n(&self_fd, open_self(false), __ATOMIC_RELEASE);
	fd = self_fd;
	pthread_mutex_unlock(&self_lock);
	return fd;
}
