/* SPDX-License-Identifier: MIT */
/*
 * The parent's end of a hand-off (wire.h): one call's fds to a warm pool
 * child or a fork server, and the server's answer. Neither call blocks on
 * the child: a waiting child has room for one message, and a server's
 * answer is waited for a bounded time.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"
#include "wire.h"

/* The socket pair a warm child or a fork server waits on, both ends
   above stdio; sv[1] is the child's. The kernel records who sent each
   message to it (SO_PASSCRED, set here, before the child exists, so that
   no message reaches it unrecorded): the child takes a hand-off only
   from its parent, not from whatever process got hold of the parent's
   end (a plain fork of the program has it). */
int handoff_pair(int sv[2])
{
	static const int on = 1;
	int r = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		sv[0] = sv[1] = -1;
		return r;
	}
	/* A move that fails has closed the fd it moved. */
	for (int i = 0; i < 2; i++) {
		sv[i] = fd_move_above_stdio(sv[i]);
		if (sv[i] < 0 && r == 0)
			r = sv[i];
	}
	if (r == 0 &&
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
		r = -errno;
	for (int i = 0; r < 0 && i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		sv[i] = -1;
	}
	return r;
}

/* The hand-off of one call to a warm child (wire.h): every fd the payload
   names, each under the number it names it by. */
int handoff_send(int sock, const int *fds, size_t n, int keep)
{
	struct handoff_head h = { .magic = HANDOFF_MAGIC,
				  .version = HANDOFF_VERSION,
				  .nfds = (uint32_t)n, .keep = keep };
	union {
		char buf[CMSG_SPACE(HANDOFF_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = CMSG_SPACE(n * sizeof(int)) };

	if (n > HANDOFF_FDS_MAX)
		return -E2BIG;
	memset(&control, 0, sizeof(control));
	h.target[0] = -1;
	for (size_t i = 1; i < n; i++)
		h.target[i] = (int)i == keep ? -1 : fds[i];
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	/* Never blocks: a waiting child has room for one message, and one
	   that has none is not waiting. */
	ssize_t sent = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	return sent == (ssize_t)sizeof(h) ? 0 : sent < 0 ? -errno : -EIO;
}

/* A fork server's answer to a hand-off: the child's pid and pidfd, or
   -EAGAIN when the call did not run: the server answered that it forked
   none (it could not, or it tracks as many calls as it can), or the child
   that took the call ended before it answered, which the server tells on
   the call's status channel (status_rd). The server is fine then, and the
   call is the caller's to launch again. A child answers before its call
   can run or end, and the server tells of its end only once it has
   reaped it: an end told with no answer in the socket is a call that
   never ran, and no answer to it can come later. Bounded: a server that
   does not answer within timeout_ms is not waited for, and can answer no
   more: a child that answers after that does not run the call (its
   answer fails), which the caller launches again. An answer that came
   just before is taken, and *sock closed: it takes no more answers, and
   the server is the caller's to let go of once its calls end. */
int server_answer(int *sock, int status_rd, int timeout_ms, pid_t *ret_pid,
		  int *ret_pidfd)
{
	struct pollfd pfd[2] = { { .fd = *sock, .events = POLLIN },
				 { .fd = status_rd, .events = POLLIN } };
	int64_t deadline = now_ms() + timeout_ms;
	pid_t pid = -1;
	int ready, pidfd;

	/* A signal handler run in this thread is no reason to give up. */
	do {
		int64_t left = deadline - now_ms();
		ready = poll(pfd, 2, left > 0 ? (int)left : 0);
	} while (ready < 0 && errno == EINTR && now_ms() < deadline);
	bool late = ready < 1;
	if (late && shutdown(*sock, SHUT_RD) < 0)
		return -ETIMEDOUT;
	ssize_t n = fd_recv_with(*sock, &pid, sizeof(pid), &pidfd);
	/* A server that ended with a hand-off unread in its socket (its
	   call may kill it: it has the server's pid) resets the socket, and
	   the kernel says so once, before the answers that came ahead of
	   the end: an answer is still read, or the call would run twice. */
	if (n == -ECONNRESET)
		n = fd_recv_with(*sock, &pid, sizeof(pid), &pidfd);
	if (late && (n != (ssize_t)sizeof(pid) || pid <= 0)) {
		if (pidfd >= 0)
			close(pidfd);
		return -ETIMEDOUT;
	}
	if (n == -EAGAIN && pfd[1].revents)
		return -EAGAIN;
	if (n != (ssize_t)sizeof(pid)) {
		if (pidfd >= 0)
			close(pidfd);
		return n < 0 && n != -EAGAIN ? (int)n : -EPIPE;
	}
	if (pid <= 0) {
		if (pidfd >= 0)
			close(pidfd);
		return -EAGAIN;
	}
	/* An answer without one (the server could not send it): the pid
	   is the child's until the server has told its end, which it does
	   before it reaps it (child/server.c). A pidfd opened before that
	   end is seen is the child's; one opened after may be another
	   process's, and the handle goes without (the end is told). */
	if (pidfd < 0) {
		struct pollfd told = { .fd = status_rd, .events = POLLIN };
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd >= 0 && poll(&told, 1, 0) != 0) {
			close(pidfd);
			pidfd = -1;
		}
	}
	if (late) {
		close(*sock);
		*sock = -1;
	}
	*ret_pid = pid;
	*ret_pidfd = pidfd >= 0 ? fd_move_above_stdio(pidfd) : -1;
	return 0;
}
