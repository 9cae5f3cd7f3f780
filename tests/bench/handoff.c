/* SPDX-License-Identifier: MIT */
/*
 * A pool call's own system calls, by method: the hand-off to a waiting
 * child (sendmsg with the payload memfd by SCM_RIGHTS), the read of its
 * result, and the reap (waitid on its pidfd). Plain calls, as cfork makes
 * them (with poll until the result is there), against one io_uring
 * submission of the three linked (IORING_OP_SENDMSG -> READ -> WAITID,
 * Linux 6.7). The child is a fork of this small program, blocked in
 * recvmsg before the clock starts; it writes 8 bytes and exits. Methods
 * alternate round by round; the medians and their ratio are printed.
 *
 *   handoff [-n ROUNDS]
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timing.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
/* liburing 2.3's header predates it; the kernel's number. */
#define OP_WAITID 50

struct waiting_child {
	pid_t pid;
	int pidfd;
	int sock;	/* ours: the hand-off goes here */
	int result;	/* ours: the child's 8 bytes come here */
};

/* A child blocked in recvmsg, as a pool child waits for its hand-off. */
static int start_child(struct waiting_child *c)
{
	int sv[2], res[2];
	char ready;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(res, O_CLOEXEC) < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		char buf[64], control[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control,
				      .msg_controllen = sizeof(control) };
		uint64_t word = 1;

		if (write(sv[1], "r", 1) != 1 || recvmsg(sv[1], &msg, 0) <= 0 ||
		    write(res[1], &word, sizeof(word)) != sizeof(word))
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	close(res[1]);
	c->sock = sv[0];
	c->result = res[0];
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	/* Blocked in recvmsg (or about to be) before the clock starts. */
	if (c->pidfd < 0 || read(c->sock, &ready, 1) != 1)
		return -1;
	return 0;
}

static void end_child(struct waiting_child *c)
{
	close(c->sock);
	close(c->result);
	close(c->pidfd);
}

static void handoff_msg(struct msghdr *msg, struct iovec *iov,
			char *control, int memfd)
{
	static char head[40] = "hand-off";

	*iov = (struct iovec){ head, sizeof(head) };
	*msg = (struct msghdr){ .msg_iov = iov, .msg_iovlen = 1,
				.msg_control = control,
				.msg_controllen = CMSG_SPACE(sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &memfd, sizeof(int));
}

static double plain(struct waiting_child *c, int memfd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct pollfd pfd = { .fd = c->result, .events = POLLIN };
	struct msghdr msg;
	struct iovec iov;
	uint64_t word;
	siginfo_t si;

	handoff_msg(&msg, &iov, control, memfd);
	double t0 = now_us();
	if (sendmsg(c->sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ||
	    poll(&pfd, 1, -1) != 1 ||
	    read(c->result, &word, sizeof(word)) != sizeof(word) ||
	    waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0)
		return -1;
	return now_us() - t0;
}

static double linked(struct io_uring *ring, struct waiting_child *c,
		     int memfd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct msghdr msg;
	struct iovec iov;
	uint64_t word;
	siginfo_t si;
	int bad = 0;

	handoff_msg(&msg, &iov, control, memfd);
	double t0 = now_us();
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_sendmsg(sqe, c->sock, &msg, MSG_NOSIGNAL);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_read(sqe, c->result, &word, sizeof(word), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_rw(OP_WAITID, sqe, c->pidfd, NULL, P_PIDFD, 0);
	sqe->file_index = WEXITED;
	sqe->addr2 = (unsigned long)&si;
	if (io_uring_submit_and_wait(ring, 3) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (io_uring_wait_cqe(ring, &cqe) < 0)
			return -1;
		bad |= cqe->res < 0;
		io_uring_cqe_seen(ring, cqe);
	}
	return bad ? -1 : now_us() - t0;
}

int main(int argc, char **argv)
{
	int runs = 300;
	struct io_uring ring;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			runs = atoi(argv[++i]);
	int memfd = memfd_create("handoff", MFD_CLOEXEC);
	double *us[2] = { malloc(runs * sizeof(double)),
			  malloc(runs * sizeof(double)) };
	if (runs < 1 || memfd < 0 || !us[0] || !us[1])
		return 1;
	int r = io_uring_queue_init(8, &ring, 0);
	if (r < 0) {
		printf("handoff: io_uring unavailable here (%s): nothing to "
		       "compare\n", strerror(-r));
		return 0;
	}
	for (int i = 0; i < runs; i++)
		for (int j = 0; j < 2; j++) {
			int k = (i + j) % 2;
			struct waiting_child c;

			if (start_child(&c) < 0)
				return 1;
			us[k][i] = k ? linked(&ring, &c, memfd) :
				       plain(&c, memfd);
			end_child(&c);
			if (us[k][i] < 0) {
				printf("handoff: %s failed: %s\n",
				       k ? "io_uring (WAITID needs Linux 6.7)" :
					   "plain calls", strerror(errno));
				return k ? 0 : 1;
			}
		}
	for (int k = 0; k < 2; k++)
		qsort(us[k], (size_t)runs, sizeof(double), cmp_double);
	printf("hand-off, result, reap (%d rounds)   p50 us    p99 us\n", runs);
	printf("  plain: sendmsg, poll, read, waitid  %6.1f    %6.1f\n",
	       us[0][runs / 2], us[0][runs * 99 / 100]);
	printf("  io_uring: SENDMSG->READ->WAITID     %6.1f    %6.1f   "
	       "%.2fx plain\n", us[1][runs / 2], us[1][runs * 99 / 100],
	       us[1][runs / 2] / us[0][runs / 2]);
	io_uring_queue_exit(&ring);
	free(us[0]);
	free(us[1]);
	close(memfd);
	return 0;
}
