/* SPDX-License-Identifier: MIT */
/*
 * A sandboxed child's stdio, each an open file description of its own.
 * An fd a child inherits shares its caller's description, and with it its
 * file status flags: a child that sets O_NONBLOCK on the pipe or terminal
 * it writes to makes its caller's writes there fail with EAGAIN, and the
 * shell's reads of the terminal once the caller has ended. A pipe, a FIFO
 * or a terminal opened again through /proc/self/fd is the same pipe or
 * terminal under a description of its own.
 *
 * Not opened again, and shared as before: a regular file (its offset is
 * shared on purpose, between a caller and its child writing one log, and
 * O_NONBLOCK means nothing to it), a socket (the kernel cannot open one
 * again), a pty's master (opened again, ptmx makes a new pty), and what
 * cannot be opened for reasons no child of the caller brings about: no
 * /proc, a FIFO whose reader has gone, a terminal hung up, another uid's
 * pipe or terminal (a caller started by su or sudo -u), the caller's own
 * landlock domain or LSM. What a child can bring about fails the spawn
 * instead: it could otherwise make its successors share: the mode of a
 * pipe or terminal of the caller's own uid taken away (fchmod is no
 * landlock right), a terminal put in exclusive mode, and the caller out
 * of fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* What F_SETFL may set and a reopened description should carry over. */
#define STATUS_FLAGS_KEPT (O_APPEND | O_NONBLOCK | O_DIRECT)

/* /dev/ptmx and /dev/pts/ptmx: every pty master's device. */
#define PTMX_DEV makedev(5, 2)

/* Whether the open of a pipe, FIFO or terminal, for accmode, failed for
   a reason no child of the caller brings about, where its description
   stays shared. A child of the caller's uid may change the mode of what
   the caller owns; not the caller's own landlock domain or LSM, nor what
   another uid owns. */
static bool open_failure_shares(int e, const struct stat *was, int accmode)
{
	mode_t need = accmode == O_RDONLY ? S_IRUSR :
		      accmode == O_WRONLY ? S_IWUSR : S_IRUSR | S_IWUSR;

	if (e == ENOENT || e == ENXIO || e == EIO)
		return true;
	if (e != EACCES && e != EPERM)
		return false;
	return was->st_uid != geteuid() || (was->st_mode & need) == need;
}

/* The terminal a terminal's fd reaches: /dev/tty's is the controlling
   one of the moment, a pty master's its pty's. */
static bool same_terminal(int was, int now)
{
	unsigned int was_dev, now_dev;

	return ioctl(was, TIOCGDEV, &was_dev) == 0 &&
	       ioctl(now, TIOCGDEV, &now_dev) == 0 && was_dev == now_dev;
}

/* Opens pin's pipe, FIFO or terminal again as *own, above stdio and
   close-on-exec; *own -1 where it stays shared. 0 or -errno. */
static int reopen_pinned(int pin, int *own)
{
	struct stat was, now;
	char path[32];
	int flags = fcntl(pin, F_GETFL);

	if (flags < 0 || (flags & O_PATH) || fstat(pin, &was) < 0)
		return 0;
	bool tty = S_ISCHR(was.st_mode) && isatty(pin);
	if (!S_ISFIFO(was.st_mode) && (!tty || was.st_rdev == PTMX_DEV))
		return 0;
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", pin);
	/* O_NONBLOCK: opening a FIFO for writing would otherwise wait for a
	   reader; O_NOCTTY: a terminal must not become the caller's
	   controlling one. */
	int fd = open(path, (flags & (O_ACCMODE | O_APPEND)) | O_NONBLOCK |
			    O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return open_failure_shares(errno, &was, flags & O_ACCMODE) ?
			       0 : -errno;
	/* A /proc of another pid namespace names another process's fd. */
	if (fstat(fd, &now) < 0 || now.st_dev != was.st_dev ||
	    now.st_ino != was.st_ino || now.st_rdev != was.st_rdev ||
	    (tty && !same_terminal(pin, fd))) {
		close(fd);
		return 0;
	}
	if (fcntl(fd, F_SETFL, flags & STATUS_FLAGS_KEPT) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	fd = fd_move_above_stdio(fd);
	if (fd < 0)
		return fd;
	*own = fd;
	return 0;
}

/* fd opened again, as reopen_pinned() says; fd is pinned to one
   description throughout, so that another thread's dup2() over it cannot
   swap the object between the checks and the open. */
static int stdio_reopen(int fd, int *own)
{
	int pin = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	*own = -1;
	if (pin < 0)
		return errno == EBADF ? 0 : -errno;
	int r = reopen_pinned(pin, own);
	close(pin);
	return r;
}

int own_stdio(const cfork_attr *attr, const int captured[3], int stdio[3],
	      int own[3])
{
	const int given[3] = { attr->stdin_fd, attr->stdout_fd,
			       attr->stderr_fd };
	int r = 0;

	for (int i = 0; i < 3; i++) {
		own[i] = -1;
		stdio[i] = captured[i] >= 0 ? captured[i] : given[i];
	}
	for (int i = 0; i < 3 && r == 0; i++) {
		if (!attr->sandbox || captured[i] >= 0)
			continue;
		/* -1: the caller's own fd of that number. */
		r = stdio_reopen(given[i] >= 0 ? given[i] : i, &own[i]);
		if (own[i] >= 0)
			stdio[i] = own[i];
	}
	return r;
}
