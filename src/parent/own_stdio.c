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
 * again), and whatever fails to open (no /proc, a terminal in exclusive
 * mode, a FIFO whose reader has gone).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* What F_SETFL may set and a reopened description should carry over. */
#define STATUS_FLAGS_KEPT (O_APPEND | O_NONBLOCK | O_DIRECT)

/* fd opened again as a description of its own, above stdio and
   close-on-exec, or -1 where it stays shared. */
static int stdio_reopen(int fd)
{
	struct stat was, now;
	char path[32];
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || (flags & O_PATH) || fstat(fd, &was) < 0)
		return -1;
	if (!S_ISFIFO(was.st_mode) && !(S_ISCHR(was.st_mode) && isatty(fd)))
		return -1;
	if (snprintf(path, sizeof(path), "/proc/self/fd/%d", fd) < 0)
		return -1;
	/* O_NONBLOCK: opening a FIFO for writing would otherwise wait for a
	   reader; O_NOCTTY: a terminal must not become the caller's
	   controlling one. */
	int own = open(path, (flags & (O_ACCMODE | O_APPEND)) | O_NONBLOCK |
			     O_NOCTTY | O_CLOEXEC);
	if (own < 0)
		return -1;
	/* A /proc of another pid namespace names another process's fd. */
	if (fstat(own, &now) < 0 || now.st_dev != was.st_dev ||
	    now.st_ino != was.st_ino || now.st_rdev != was.st_rdev ||
	    fcntl(own, F_SETFL, flags & STATUS_FLAGS_KEPT) < 0) {
		close(own);
		return -1;
	}
	own = fd_move_above_stdio(own);
	return own < 0 ? -1 : own;
}

void own_stdio(const cfork_attr *attr, const int captured[3], int stdio[3],
	       int own[3])
{
	const int given[3] = { attr->stdin_fd, attr->stdout_fd,
			       attr->stderr_fd };

	for (int i = 0; i < 3; i++) {
		own[i] = -1;
		stdio[i] = captured[i] >= 0 ? captured[i] : given[i];
		/* -1: the caller's own fd of that number. */
		if (attr->sandbox && captured[i] < 0)
			own[i] = stdio_reopen(given[i] >= 0 ? given[i] : i);
		if (own[i] >= 0)
			stdio[i] = own[i];
	}
}
