/* SPDX-License-Identifier: MIT */
/*
 * Receiving a hand-off (wire.h) on a socket inherited from the parent: the
 * socket's peer must be the parent (SO_PEERCRED, the creator of the pair),
 * and so must the sender of the message (its SCM_CREDENTIALS, which the
 * kernel records for every message to this socket: the parent set
 * SO_PASSCRED on it before the child existed). Another process can hold
 * the parent's end (a plain fork of the program does), but cannot send as
 * the parent. A warm pool child receives one; a fork server's standby
 * child one, for the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "wire.h"

void handoff_check_peer(int sock, pid_t parent)
{
	struct ucred peer;
	socklen_t peer_len = sizeof(peer);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) < 0 ||
	    peer.pid != parent)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD: socket %d is not from the parent", sock);
}

int handoff_receive(int sock, pid_t parent, int flags, struct handoff_in *in)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(HANDOFF_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { &in->head, sizeof(in->head) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	ssize_t n;

	in->nfds = 0;
	handoff_check_peer(sock, parent);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	/* A message whose sender the kernel did not record is refused. In a
	   pid namespace the parent started, the parent reads as pid 0, as
	   every process outside does: there this proves no more than
	   SO_PEERCRED above. */
	bool from_parent = false;
	for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			struct ucred sender;
			memcpy(&sender, CMSG_DATA(c), sizeof(sender));
			from_parent = sender.pid == parent;
		}
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (in->nfds + k > HANDOFF_FDS_MAX)
			k = HANDOFF_FDS_MAX - in->nfds;
		memcpy(in->fds + in->nfds, CMSG_DATA(c), k * sizeof(int));
		in->nfds += k;
	}
	const char *why = n < 0 ? "recvmsg failed" :
			  (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0 ?
			  "hand-off truncated" :
			  !from_parent ? "hand-off not sent by the parent" :
			  handoff_check(&in->head, (size_t)n, in->nfds);
	if (why)
		child_fail(CFORK_EXIT_PAYLOAD, "CFORK_FD: socket %d: %s", sock,
			   why);
	return 1;
}

int handoff_place(struct handoff_in *in)
{
	const struct handoff_head *h = &in->head;
	int base = 3;

	/* Every fd above every target first, then each to its number: a
	   received fd may sit on another's target. The one the receiver
	   keeps (a fork server's) is not this process's to place. */
	for (size_t i = 1; i < in->nfds; i++)
		if (h->target[i] >= base)
			base = h->target[i] + 1;
	for (size_t i = 0; i < in->nfds; i++) {
		if ((int32_t)i == h->keep) {
			close(in->fds[i]);
			continue;
		}
		int high = fcntl(in->fds[i], F_DUPFD_CLOEXEC, base);
		if (high < 0)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "CFORK_FD: no fd for the hand-off");
		close(in->fds[i]);
		in->fds[i] = high;
	}
	for (size_t i = 1; i < in->nfds; i++) {
		if ((int32_t)i == h->keep)
			continue;
		if (dup3(in->fds[i], h->target[i], 0) < 0)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "CFORK_FD: cannot place fd %d", h->target[i]);
		close(in->fds[i]);
	}
	return in->fds[0];
}
