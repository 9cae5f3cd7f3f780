/* SPDX-License-Identifier: MIT */
/*
 * Where a child's payload comes from: CFORK_FD=memfd[:ready] in its
 * environment, read and unset before anything else can see it. Whether a
 * process is a cfork child at all is decided here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "sys.h"
#include "wire.h"

/* A decimal fd number up to end (or the NUL); -1 if it is anything else. */
static int parse_fd(const char *s, const char *end)
{
	long v = 0;

	if (s == end || !*s)
		return -1;
	for (; s != end && *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/* The parent was still writing the payload when we started: wait for its
   byte, which comes once the memfd is complete and sealed. */
static void source_wait_ready(int fd, int ready)
{
	char byte;
	ssize_t n;

	do
		n = read(ready, &byte, 1);
	while (n < 0 && errno == EINTR);
	close(ready);
	if (n != 1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: the parent did not complete the payload",
			   fd);
}

/*
 * This process gained privileges at exec (setuid, setgid, file
 * capabilities) or runs with ids that differ: a payload is believed only
 * from a process at least as privileged. cfork's launch sets no_new_privs
 * before its exec, under which an exec grants nothing, so a child that has
 * it holds only what the process that exec'd it held; one that does not was
 * exec'd by someone else (a user who hands a setuid program a memfd of their
 * own), whose payload could drive a privileged function. The memfd's owner
 * is no further proof: under no_new_privs some kernels (6.1) reset a
 * setuid program's child to its real ids, which then differ from the
 * owner of a real parent's memfd, while others (6.18) keep them.
 */
static void check_privileged_origin(int fd)
{
	if (sys_prctl(PR_GET_NO_NEW_PRIVS, 0) != 1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: refused: this program gained "
			   "privileges at exec and was not started by cfork",
			   fd);
}

/*
 * A warm pool child: its payload comes by hand-off (wire.h) on the socket
 * it was launched with, which only its parent can have the other end of:
 * the socket's peer must be the parent (SO_PEERCRED, the creator of the
 * pair). It waits for one message, with every signal still blocked as the
 * launch left them; an end of file is its pool going away.
 */
static int source_pool(int sock)
{
	struct handoff_head h;
	union {
		char buf[CMSG_SPACE(HANDOFF_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct ucred peer;
	socklen_t peer_len = sizeof(peer);
	int fds[HANDOFF_FDS_MAX];
	size_t nfds = 0;
	ssize_t n;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) < 0 ||
	    peer.pid != getppid())
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=p%d: not a socket from the parent", sock);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		_exit(0);
	for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfds + k > HANDOFF_FDS_MAX)
			k = HANDOFF_FDS_MAX - nfds;
		memcpy(fds + nfds, CMSG_DATA(c), k * sizeof(int));
		nfds += k;
	}
	const char *why = n < 0 ? "recvmsg failed" :
			  msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC) ?
			  "hand-off truncated" :
			  handoff_check(&h, (size_t)n, nfds);
	if (why)
		child_fail(CFORK_EXIT_PAYLOAD, "CFORK_FD=p%d: %s", sock, why);
	close(sock);

	/* Every fd above every target first, then each to its number: a
	   received fd may sit on another's target. */
	int base = 3;
	for (size_t i = 1; i < nfds; i++)
		if (h.target[i] >= base)
			base = h.target[i] + 1;
	for (size_t i = 0; i < nfds; i++) {
		int high = fcntl(fds[i], F_DUPFD_CLOEXEC, base);
		if (high < 0)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "CFORK_FD=p%d: no fd for the hand-off", sock);
		close(fds[i]);
		fds[i] = high;
	}
	for (size_t i = 1; i < nfds; i++) {
		if (dup3(fds[i], h.target[i], 0) < 0)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "CFORK_FD=p%d: cannot place fd %d", sock,
				   h.target[i]);
		close(fds[i]);
	}
	return fds[0];
}

int source_open(void)
{
	/* Read in every program, a setuid one too: a child of a program
	   that gained privileges at its own exec keeps them (euid != uid),
	   so it runs with AT_SECURE as well, and must still run its
	   function, never main(). Who may drive it is settled by
	   check_privileged_origin(). */
	const char *env = getenv(CFORK_ENV);
	char value[32];

	if (!env)
		return -1;
	/* A plain bounded copy: printf's machinery would cost the child
	   page faults on the way to every function. */
	size_t len = strnlen(env, sizeof(value) - 1);
	memcpy(value, env, len);
	value[len] = '\0';
	/* Gone before anything else can fail: never seen by the function, by
	   main() or by a grandchild. */
	unsetenv(CFORK_ENV);

	if (value[0] == 'p') {
		int sock = parse_fd(value + 1, NULL);
		if (sock < 0)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "CFORK_FD=%s: not an fd number", value);
		if (getauxval(AT_SECURE))
			check_privileged_origin(sock);
		return source_pool(sock);
	}
	char *colon = strchr(value, ':');
	int fd = parse_fd(value, colon);
	int ready = colon ? parse_fd(colon + 1, NULL) : -2;
	if (fd < 0 || ready == -1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%s: not an fd number", value);
	if (getauxval(AT_SECURE))
		check_privileged_origin(fd);
	if (ready >= 0)
		source_wait_ready(fd, ready);
	return fd;
}
