/* SPDX-License-Identifier: MIT */
/*
 * The program's own binary, opened O_PATH once, as early as possible (the
 * library's constructor): /proc may be unmounted later, and a binary replaced
 * on disk after start must still re-execute the image that is running.
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
static int self_fd = -ENOENT;

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

static void self_open(void)
{
	int fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);

	if (fd < 0) {
		self_fd = -errno;
		return;
	}
	if (!is_this_program(fd)) {
		close(fd);
		self_fd = -ENOEXEC;
		return;
	}
	/* Keep it out of the range 0..2 that a host may close and reuse for
	   stdio. */
	if (fd < 3) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3), e = errno;
		close(fd);
		fd = high >= 0 ? high : -e;
	}
	self_fd = fd;
}

int self_exe_fd(void)
{
	pthread_once(&self_once, self_open);
	return self_fd;
}
