/* SPDX-License-Identifier: MIT */
/*
 * Who reaps a fork server: whoever lets go of it last, its pool or one of
 * its calls' handles. A pool is freed without waiting for the calls it
 * gave out, and a server is never reaped while a handle may still read
 * how its call ended (the server tells it, on the call's status channel).
 */
#include <errno.h>
#include <fcntl.h>
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

/* The last one kills and reaps the server. Nothing is left for it to do:
   its pool closed its socket, and every call it ran has ended (a handle
   is let go of only once its child was reaped, or killed). Killed, not
   waited for: a call of the same uid may have stopped it. By the pidfd
   where there is one: a program that reaps children of its own must not
   make this wait for another's pid. */
void server_ref_put(struct server_ref *ref)
{
	siginfo_t si = { 0 };

	if (!ref || __atomic_sub_fetch(&ref->refs, 1, __ATOMIC_ACQ_REL))
		return;
	idtype_t type = ref->pidfd >= 0 ? P_PIDFD : P_PID;
	id_t id = ref->pidfd >= 0 ? (id_t)ref->pidfd : (id_t)ref->pid;
	/* Without a pidfd the pid is signalled only while it is still an
	   unreaped child of this process, which no other can take over. */
	if (ref->pidfd < 0 || syscall(SYS_pidfd_send_signal, ref->pidfd,
				      SIGKILL, NULL, 0) < 0) {
		if (waitid(type, id, &si, WEXITED | WNOHANG | WNOWAIT |
			   __WALL) == 0 && si.si_pid == 0)
			kill(ref->pid, SIGKILL);
	}
	while (waitid(type, id, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	if (ref->pidfd >= 0)
		close(ref->pidfd);
	free(ref);
}
