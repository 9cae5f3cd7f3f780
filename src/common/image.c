/* SPDX-License-Identifier: MIT */
/*
 * The program's own binary, opened O_PATH once, as early as possible (the
 * library's constructor): /proc may be unmounted later, and a binary replaced
 * on disk after start must still re-execute the image that is running. A
 * cfork child has it from its parent instead (image_adopt).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static pthread_once_t image_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t image_lock = PTHREAD_MUTEX_INITIALIZER;
static int opened_fd = -ENOENT;
static dev_t image_dev;		/* which file opened_fd must be */
static ino_t image_ino;

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

		script = read(sfd, magic, 2) == 2 && memcmp(magic, "#!", 2) == 0;
		close(sfd);
	}
	return script;
}

/* Opens the running image and remembers which file it is. */
static int open_image(bool check_program)
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
	fd = fd_move_above_stdio(fd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (check_program) {
		image_dev = st.st_dev;
		image_ino = st.st_ino;
	} else if (st.st_dev != image_dev || st.st_ino != image_ino) {
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
   process (make bench's child start shows what it costs). What it is now
   is remembered, as for an fd opened here: the function may close it and
   see its number reused before it spawns. */
void image_adopt(int fd, const struct stat *st)
{
	inherited_fd = fd;
	image_dev = st->st_dev;
	image_ino = st->st_ino;
}

static void image_open(void)
{
	opened_fd = inherited_fd >= 0 ? inherited_fd : open_image(true);
}

static bool still_image(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == image_dev &&
	       st.st_ino == image_ino;
}

/*
 * A host may close every fd above 2 after start (daemons do) and open other
 * files under the same numbers: the fd is checked to still be the binary at
 * each spawn, one fstat, and the image is opened again where it is not (the
 * number is someone else's now: it is left alone). /proc/self/exe names the
 * running image even when the file on disk was replaced.
 */
int image_fd(void)
{
	pthread_once(&image_once, image_open);
	int fd = __atomic_load_n(&opened_fd, __ATOMIC_ACQUIRE);

	if (fd < 0 || still_image(fd))
		return fd;
	pthread_mutex_lock(&image_lock);
	if (!still_image(opened_fd))
		__atomic_store_n(&opened_fd, open_image(false), __ATOMIC_RELEASE);
	fd = opened_fd;
	pthread_mutex_unlock(&image_lock);
	return fd;
}
