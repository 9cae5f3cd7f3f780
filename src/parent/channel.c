/* SPDX-License-Identifier: MIT */
/*
 * The channels the parent reads from a child while it waits (the report,
 * captured stdout and stderr, an end record): a connected pair of stream
 * sockets, never a pipe. A pipe's reader and writer share one lock, held by
 * a write while it copies from the writer's memory: a child whose source
 * pages fault slowly (evicted file pages, a writer starved by its own busy
 * threads) holds the caller's read(2) for as long as it keeps that up, and
 * no timeout ends a wait the caller spends in the kernel. A stream socket's
 * sender copies into its own buffer before it takes the receiver's lock for
 * a moment, so the caller's read waits on nothing the child controls.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* Linux 6.16: a receiver that refuses SCM_RIGHTS makes the sender's
   sendmsg fail. */
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

int channel_pair(int fds[2])
{
	const int off = 0;

	fds[0] = fds[1] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		/* A caller whose fds 0, 1 or 2 are closed would get the
		   channel there, and in the child it would be its stdio. */
		int fd = fd_move_above_stdio(fds[i]);
		if (fd < 0) {
			close(fds[1 - i]);
			fds[0] = fds[1] = -1;
			return fd;
		}
		fds[i] = fd;
	}
	/* One way, child to parent: the child's reads see an end of file,
	   and nothing the parent does can fill the child's buffer. An fd
	   the child passed would be closed by the parent's read, and the
	   last close of some (a lingering TCP socket) waits: the parent
	   refuses them where the kernel can (ENOPROTOOPT before 6.16). */
	if (shutdown(fds[0], SHUT_WR) < 0 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0 ||
	    (setsockopt(fds[0], SOL_SOCKET, SO_PASSRIGHTS, &off,
			sizeof(off)) < 0 && errno != ENOPROTOOPT)) {
		int e = -errno;
		close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
		return e;
	}
	return 0;
}

size_t channel_queued(int fd)
{
	int n = 0;

	if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0 || n < 0)
		return 0;
	return (size_t)n;
}
