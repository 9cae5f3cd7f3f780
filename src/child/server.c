/* SPDX-License-Identifier: MIT */
/*
 * A fork server (CFORK_POOL_FORK): a child of the program, exec'd once,
 * that forks one child per call instead of the parent's exec. It runs
 * nothing but this loop and the library's constructor: no function, no
 * main(). For each hand-off it forks; the forked child places the call's
 * fds and takes over as any child does (takeover.c), so it is sandboxed
 * and used once like any other, but shares the server's address layout.
 * The server answers with the child's pid and a pidfd (the parent cannot
 * wait for a grandchild), and when it reaps the child writes how it ended
 * on the call's own status channel, which the child never had (wire.h,
 * struct pidns_end). It makes itself non-dumpable. Its children die with
 * it (PR_SET_PDEATHSIG); at its pool's end of file it lets the calls it
 * runs finish, then ends.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "wire.h"

/* The calls a server has running at once, at most. */
#define SERVER_CALLS_MAX 4096

struct server_call {
	pid_t pid;
	int status_fd;
};

static struct server_call calls[SERVER_CALLS_MAX];
static size_t ncalls;

/* Reaps every ended child and tells the parent how each ended. */
static void server_reap(void)
{
	struct rusage ru;
	int status;
	pid_t pid;

	while ((pid = wait4(-1, &status, WNOHANG | __WALL, &ru)) > 0) {
		struct pidns_end end = pidns_end_encode(status, &ru);
		for (size_t i = 0; i < ncalls; i++) {
			if (calls[i].pid != pid)
				continue;
			(void)!write(calls[i].status_fd, &end, sizeof(end));
			close(calls[i].status_fd);
			calls[i] = calls[--ncalls];
			break;
		}
	}
}

/* The child's pid and pidfd, to the parent, in one message. */
static void server_answer(int sock, pid_t pid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { &pid, sizeof(pid) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (pidfd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pidfd, sizeof(int));
	}
	(void)sendmsg(sock, &msg, MSG_NOSIGNAL);
	if (pidfd >= 0)
		close(pidfd);
}

/* The pool went away: the calls running finish, each is told, and the
   server ends, its children before it. */
static _Noreturn void server_drain(void)
{
	sigset_t chld;
	int sig;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (ncalls) {
		server_reap();
		if (ncalls)
			(void)sigwait(&chld, &sig);
	}
	_exit(0);
}

int server_run(int sock)
{
	pid_t server = getpid();
	sigset_t chld;
	struct handoff_in in;

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Signals stay blocked as the launch left them; SIGCHLD is read. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		child_fail(CFORK_EXIT_PAYLOAD, "fork server: signalfd: %s",
			   strerror(errno));
	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(CFORK_EXIT_PAYLOAD);
		if (p[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			server_reap();
		}
		if (!p[0].revents)
			continue;
		if (!handoff_receive(sock, &in))
			server_drain();
		int status_fd = in.head.keep >= 0 ? in.fds[in.head.keep] : -1;
		if (status_fd < 0)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "fork server: a call without a status "
				   "channel");
		/* As many calls as it can track: the next is refused (and
		   launches cold), never the end of the server's others. */
		pid_t pid = ncalls < SERVER_CALLS_MAX ? fork() : -1;
		if (pid == 0) {
			/* Nothing of the server's but what the call brought. */
			close(sock);
			close(sfd);
			for (size_t i = 0; i < ncalls; i++)
				close(calls[i].status_fd);
			if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
			    getppid() != server)
				_exit(CFORK_EXIT_PAYLOAD);
			return handoff_place(&in);
		}
		for (size_t i = 0; i < in.nfds; i++)
			if (in.fds[i] != status_fd)
				close(in.fds[i]);
		if (pid < 0) {
			/* The status channel's end of file, with no word,
			   is the parent's sign that no child came. */
			close(status_fd);
			pid = -1;
		} else {
			calls[ncalls++] = (struct server_call){ pid, status_fd };
		}
		server_answer(sock, pid);
	}
}
