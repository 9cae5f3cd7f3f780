/* SPDX-License-Identifier: MIT */
/*
 * Who reaps a fork server: whoever lets go of it last, its pool or one of
 * its calls' handles. A pool is freed without waiting for the calls it
 * gave out, and a server is never reaped while a handle may still read
 * how its call ended (the server tells it, on the call's status channel).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "parent.h"

struct server_ref {
	pid_t pid;
	int pidfd;	/* its own: the pool's goes with the pool */
	unsigned refs;
};

struct server_ref *server_ref_new(pid_t pid, int pidfd)
{
	struct server_ref *ref = malloc(sizeof(*ref));

	if (!ref)
		return NULL;
	ref->pid = pid;
	ref->refs = 1;
	ref->pidfd = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 3) : -1;
	return ref;
}

struct server_ref *server_ref_get(struct server_ref *ref)
{
	if (ref)
		__atomic_add_fetch(&ref->refs, 1, __ATOMIC_RELAXED);
	return ref;
}

/* How long the last reference lets a server end by itself. */
#define SERVER_END_MS 1000

/* The last one reaps the server. It ends by itself by then, reaping its
   own children (killed, it would leave them to a subreaper): its pool
   closed its socket, and every call it ran has ended (a handle is let go
   of only once its child was reaped, or killed). A call of the same uid
   may have stopped it: it is continued, and killed if it still has not
   ended after SERVER_END_MS. Only through its pidfd: a pid alone may be
   another process's by now, where the program reaps children of its own
   (then the wait is for that pid, as before pidfds). */
void server_ref_put(struct server_ref *ref)
{
	siginfo_t si;

	if (!ref || __atomic_sub_fetch(&ref->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (ref->pidfd >= 0) {
		struct pollfd ended = { .fd = ref->pidfd, .events = POLLIN };
		int64_t until = now_ms() + SERVER_END_MS;
		int r;
		(void)syscall(SYS_pidfd_send_signal, ref->pidfd, SIGCONT,
			      NULL, 0);
		do {
			int64_t left = until - now_ms();
			r = poll(&ended, 1, left > 0 ? (int)left : 0);
		} while (r < 0 && errno == EINTR && now_ms() < until);
		if (r != 1)
			(void)syscall(SYS_pidfd_send_signal, ref->pidfd,
				      SIGKILL, NULL, 0);
	}
	idtype_t type = ref->pidfd >= 0 ? P_PIDFD : P_PID;
	id_t id = ref->pidfd >= 0 ? (id_t)ref->pidfd : (id_t)ref->pid;
	while (waitid(type, id, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	if (ref->pidfd >= 0)
		close(ref->pidfd);
	free(ref);
}
