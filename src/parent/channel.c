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
#include <stdatomic.h>
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

/* Whether the kernel lets a channel refuse fds: learnt at the first
   channel, the same for every one after. 0 until then. */
static atomic_int refuses_fds;

int channel_pair(int fds[2])
{
	const int off = 0, on = 1;

	fds[0] = fds[1] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	/* A caller whose fds 0, 1 or 2 are closed would get the channel
	   there, and in the child it would be its stdio. */
	int r = fd_pair_above_stdio(fds);
	if (r < 0)
		return r;
	/* One way, child to parent: the child's reads see an end of file,
	   and nothing the parent does can fill the child's buffer. An fd
	   the child passed would be closed by the parent's read, and the
	   last close of some (a lingering TCP socket) waits: the parent
	   refuses them where the kernel can (ENOPROTOOPT before 6.16). */
	int refused = setsockopt(fds[0], SOL_SOCKET, SO_PASSRIGHTS, &off,
				 sizeof(off));
	/* A byte sent out of band (MSG_OOB), and the fds it brings, is
	   read in line: a read that skipped it would free them here. */
	if ((refused < 0 && errno != ENOPROTOOPT) ||
	    setsockopt(fds[0], SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on)) < 0 ||
	    shutdown(fds[0], SHUT_WR) < 0 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		int e = -errno;
		close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
		return e;
	}
	atomic_store_explicit(&refuses_fds, refused == 0 ? 1 : -1,
			      memory_order_relaxed);
	return 0;
}

ssize_t channel_read(int fd, void *buf, size_t len)
{
	if (atomic_load_explicit(&refuses_fds, memory_order_relaxed) > 0)
		return read(fd, buf, len);

	/* Before Linux 6.16 a child can pass fds with its bytes. Dropped
	   with them, they would be closed here, where their last close can
	   wait on the child: they are taken and left to the closer. A
	   child that passes more than the closer can be left (a child can
	   keep it waiting for a socket's lock) is read no more: EMFILE, and
	   its caller gives the channel up. */
	int passed[FD_PASS_MAX];
	size_t npassed;
	ssize_t n = fd_recv_fds(fd, buf, len, MSG_DONTWAIT, passed,
				FD_PASS_MAX, &npassed);

	if (npassed && !closer_take(passed, npassed)) {
		errno = EMFILE;
		return -1;
	}
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

void channel_close(int fd, bool owner)
{
	if (fd < 0)
		return;
	/* Whatever is still queued would be dropped by the close, passed
	   fds with it: shut first, so that nothing more comes, and take
	   what is there. Past what the closer can be left, the channel is
	   left to it as it is, with the rest. */
	if (owner &&
	    atomic_load_explicit(&refuses_fds, memory_order_relaxed) <= 0 &&
	    shutdown(fd, SHUT_RD) == 0) {
		char buf[4096];
		ssize_t n;
		while ((n = channel_read(fd, buf, sizeof(buf))) > 0 ||
		       (n < 0 && errno == EINTR))
			;
		if (n < 0 && errno == EMFILE) {
			(void)closer_take(&fd, 1);
			return;
		}
	}
	close(fd);
}

size_t channel_queued(int fd)
{
	int n = 0;

	if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0 || n < 0)
		return 0;
	return (size_t)n;
}
