/* SPDX-License-Identifier: MIT */
/*
 * Where a killed child whose end is slow is reaped: on a thread of its
 * own, never the caller's. The kernel ends a killed child on the child's
 * own CPU time, and a child that made itself the lowest priority there is
 * (SCHED_IDLE or nice 19, open to any process) hardly gets any while the
 * machine is busy: cfork_free() would wait as long as the machine stays
 * busy, and so would the last reference to a fork server, which ends once
 * the calls it runs have (server_ref.c). Each waits a moment and leaves
 * the rest here.
 *
 * The thread looks every 20 ms, as the caller's own wait does: a traced
 * thread of the child's ends as its tracer's zombie, and while it is one
 * the child's pidfd does not poll readable (trace_reap_threads). It looks
 * by pidfd (by pid on Linux 5.3 only, which has no P_PIDFD): a pidfd names
 * the child even once another waiter (a waitpid(-1) of the program's) has
 * reaped it and its pid is someone else's. A child without a pidfd is not
 * left here. The thread starts the first time it is needed, in each
 * process.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"

#define REAPER_LOOK_MS 20

struct dying {
	struct child_ref child;	/* its pidfd the reaper's own */
	int stops;	/* job-control stops seen (a fork server's) */
};

static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_wake = PTHREAD_COND_INITIALIZER;
static uint64_t reaper_owner;	/* the process whose thread runs, or 0 */
static bool reaper_atfork;
/* With the lock: the children left for the thread, not yet taken. */
static struct dying *incoming;
static size_t nincoming, incoming_cap;

/* Room in *a (of *cap) for n entries. */
static bool dying_reserve(struct dying **a, size_t *cap, size_t n)
{
	if (n <= *cap)
		return true;
	size_t grown_cap = *cap ? *cap : 16;
	while (grown_cap < n)
		grown_cap *= 2;
	struct dying *grown = realloc(*a, grown_cap * sizeof(*grown));

	if (!grown)
		return false;
	*a = grown;
	*cap = grown_cap;
	return true;
}

/* Whether d's child is reaped now, or by someone else. Found stopped (a
   fork server, left here while it ends by itself, that a process of the
   same uid stopped), it is continued, and killed once it has been
   stopped SERVER_STOPS_MAX times, as server_ref.c does: a stop must not
   keep it for good. A ptrace stop is let go where this thread is its
   tracer. */
static bool reap_now(struct dying *d)
{
	for (int look = 0; look < TRACE_STOPS_PER_LOOK; look++) {
		const int flags = WEXITED | WSTOPPED | __WALL | WNOHANG;
		siginfo_t si = { 0 };
		/* By pid on Linux 5.3: the child's unless the program
		   reaped it itself. */
		int r = child_waitid(d->child.pidfd, d->child.pid, &si, flags);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (si.si_pid && wait_code_is_end(si.si_code)))
			return true;
		if (!si.si_pid) {
			trace_reap_threads(d->child.pid);
			return false;
		}
		if (si.si_code == CLD_STOPPED)
			(void)signal_child(&d->child,
					   ++d->stops < SERVER_STOPS_MAX ?
					   SIGCONT : SIGKILL);
		else
			(void)trace_stop_let_go(d->child.pid, si.si_status);
	}
	return false;
}

/* The thread's own array holds what it took; the lock is held only to
   take more, never over a look, so that a free that leaves a child here
   waits for no look. */
static void *reaper_main(void *unused)
{
	struct dying *mine = NULL;
	size_t nmine = 0, mine_cap = 0;

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&reaper_lock);
		while (!nincoming && !nmine)
			pthread_cond_wait(&reaper_wake, &reaper_lock);
		if (!nmine) {
			struct dying *spare = mine;
			size_t spare_cap = mine_cap;

			mine = incoming;
			mine_cap = incoming_cap;
			nmine = nincoming;
			incoming = spare;
			incoming_cap = spare_cap;
			nincoming = 0;
		} else if (nincoming &&
			   dying_reserve(&mine, &mine_cap, nmine + nincoming)) {
			memcpy(mine + nmine, incoming,
			       nincoming * sizeof(*mine));
			nmine += nincoming;
			nincoming = 0;
		}	/* else, no memory: taken on a later look */
		pthread_mutex_unlock(&reaper_lock);
		for (size_t i = 0; i < nmine;) {
			if (!reap_now(&mine[i])) {
				i++;
				continue;
			}
			close(mine[i].child.pidfd);
			mine[i] = mine[--nmine];
		}
		if (nmine)
			(void)poll(NULL, 0, REAPER_LOOK_MS);
	}
	return NULL;
}

/* In the copy fork() makes, which cannot reap the parent's children and
   where another thread may have held the lock: it starts with none. The
   pidfds left for the parent's thread are the copy's too, close-on-exec:
   left as they are, as the arrays may have been in the middle of a
   change. */
static void reaper_fork_child(void)
{
	pthread_mutex_init(&reaper_lock, NULL);
	pthread_cond_init(&reaper_wake, NULL);
	reaper_owner = 0;
	incoming = NULL;
	nincoming = incoming_cap = 0;
}

/* With the lock held: whether the thread runs in this process. */
static bool reaper_start(void)
{
	if (reaper_owner == process_token())
		return true;
	if (!reaper_atfork)
		reaper_atfork = pthread_atfork(NULL, NULL,
					       reaper_fork_child) == 0;
	if (reaper_atfork && background_thread_start(reaper_main) == 0)
		reaper_owner = process_token();
	return reaper_owner == process_token();
}

/* A pidfd of the process pidfd names, on a file description of its own
   (the caller's may be in an event loop of the program's, which its
   close takes it out of), or -1. Opened by pid, then checked: while the
   first still names an unreaped child, the pid is that child's. */
static int pidfd_reopen(pid_t pid, int pidfd)
{
	/* Above stdio, which a daemon may have closed. */
	int own = fd_move_above_stdio((int)syscall(SYS_pidfd_open, pid, 0));
	siginfo_t si = { 0 };

	if (own >= 0 &&
	    waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si,
		   WEXITED | WNOHANG | WNOWAIT | __WALL) < 0) {
		close(own);
		return -1;
	}
	return own;
}

bool reaper_take(pid_t pid, int pidfd, bool reopen)
{
	int own = reopen ? pidfd_reopen(pid, pidfd) : pidfd;

	if (own < 0)
		return false;
	pthread_mutex_lock(&reaper_lock);
	bool taken = dying_reserve(&incoming, &incoming_cap, nincoming + 1) &&
		     reaper_start();
	if (taken) {
		incoming[nincoming++] = (struct dying){ { pid, own, -1 }, 0 };
		pthread_cond_signal(&reaper_wake);
	}
	pthread_mutex_unlock(&reaper_lock);
	if (!taken && reopen)
		close(own);
	return taken;
}
