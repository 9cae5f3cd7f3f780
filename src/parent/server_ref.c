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
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "parent.h"

struct server_ref {
	pid_t pid;
	int pidfd;	/* its own: the pool's goes with the pool */
	unsigned refs;
	uint64_t owner;	/* process_token() of its parent */
};

struct server_ref *server_ref_new(pid_t pid, int pidfd)
{
	struct server_ref *ref = malloc(sizeof(*ref));

	if (!ref)
		return NULL;
	ref->pid = pid;
	ref->refs = 1;
	ref->owner = process_token();
	ref->pidfd = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 3) : -1;
	return ref;
}

struct server_ref *server_ref_get(struct server_ref *ref)
{
	if (ref)
		__atomic_add_fetch(&ref->refs, 1, __ATOMIC_RELAXED);
	return ref;
}

/* How often the last reference looks at a server it waits for. */
#define SERVER_LOOK_MS 10

enum server_state server_state(const struct server_ref *ref)
{
	siginfo_t si = { 0 };

	if (child_waitid(ref->pidfd, ref->pid, &si,
			 WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0)
		return errno == EINTR ? SERVER_RUNS : SERVER_GONE;
	/* A ptrace stop is the program's own tracing: it goes on. */
	if (si.si_pid == 0 || si.si_code == CLD_TRAPPED)
		return SERVER_RUNS;
	return si.si_code == CLD_STOPPED ? SERVER_STOPPED : SERVER_ENDED;
}

/* Through the pidfd, or where none can signal (none was made, or the
   kernel or a filter refuses pidfd_send_signal) by pid: the server was
   just seen unreaped, and an unreaped child's pid is no other's. */
static void server_signal(const struct server_ref *ref, int sig)
{
	if (ref->pidfd < 0 ||
	    syscall(SYS_pidfd_send_signal, ref->pidfd, sig, NULL, 0) < 0)
		(void)kill(ref->pid, sig);
}

/* The last one reaps the server. It ends by itself by then, reaping its
   own children (killed, it would leave them to a subreaper or a
   container's pid 1): its pool closed its socket, and every call it ran
   has ended or was killed (a handle is let go of only once its child was
   reaped, or killed). It is waited for REAP_INLINE_MS, then left to the
   reaper (a killed call's end can be slow: reaper.c); without a pidfd, as
   long as it runs. A process of the same uid that stops it must not make
   that a wait without end: a stopped server is continued, and killed
   once it has been stopped SERVER_STOPS_MAX times. In a child of fork()
   the server is not ours to wait for or signal: the copy's reference
   only closes its fd. */
void server_ref_put(struct server_ref *ref)
{
	struct pollfd ended = { .fd = ref ? ref->pidfd : -1, .events = POLLIN };
	enum server_state state;
	siginfo_t si;
	int stops = 0;

	if (!ref || __atomic_sub_fetch(&ref->refs, 1, __ATOMIC_ACQ_REL))
		return;
	state = process_token() == ref->owner ? server_state(ref) :
						SERVER_GONE;
	int64_t end = now_ns() + REAP_INLINE_MS * 1000000LL;
	for (; state >= SERVER_STOPPED; state = server_state(ref)) {
		/* Its calls' ends, which it waits for, may be slow. */
		if (ref->pidfd >= 0 && now_ns() > end) {
			if (reaper_take(ref->pid, ref->pidfd, false)) {
				free(ref);
				return;
			}
			end = INT64_MAX;	/* it cannot: waited for here */
		}
		if (state == SERVER_STOPPED)
			server_signal(ref, ++stops < SERVER_STOPS_MAX ?
					   SIGCONT : SIGKILL);
		if (ref->pidfd >= 0) {
			(void)poll(&ended, 1, SERVER_LOOK_MS);
		} else {
			struct timespec look = { 0, SERVER_LOOK_MS * 1000000L };
			(void)nanosleep(&look, NULL);
		}
	}
	while (state == SERVER_ENDED &&
	       child_waitid(ref->pidfd, ref->pid, &si, WEXITED | __WALL) < 0 &&
	       errno == EINTR)
		;
	if (ref->pidfd >= 0)
		close(ref->pidfd);
	free(ref);
}
