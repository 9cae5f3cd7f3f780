/* SPDX-License-Identifier: MIT */
/*
 * Where a killed child whose end is slow is reaped: on a thread of its
 * own, never the caller's. The kernel ends a killed child on the child's
 * own CPU time, and a child that made itself the lowest priority there is
 * (SCHED_IDLE or nice 19, open to any process) hardly gets any while the
 * machine is busy: cfork_free() would wait as long as the machine stays
 * busy. It waits a moment (proc.c) and leaves the rest here.
 *
 * The thread looks every 20 ms, as the caller's own wait does: a traced
 * thread of the child's ends as its tracer's zombie, and while it is one
 * the child's pidfd does not poll readable (trace_reap_threads). It starts
 * the first time it is needed, in each process.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"

#define REAPER_LOOK_MS 20

struct dying {
	pid_t pid;
	int pidfd;	/* -1: none, the pid is used */
};

static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_wake = PTHREAD_COND_INITIALIZER;
static uint64_t reaper_owner;	/* the process whose thread runs, or 0 */
static bool reaper_atfork;
/* With the lock: the children left for the thread. */
static struct dying *dying;
static size_t ndying, dying_cap;

/* Whether d's child is reaped now (or by someone else: SIGCHLD ignored, a
   waitpid(-1) of the caller's). A ptrace stop reported first is let go. */
static bool reap_now(const struct dying *d)
{
	for (int look = 0; look < TRACE_STOPS_PER_LOOK; look++) {
		siginfo_t si = { 0 };
		int r = -1;

		/* The pidfd names this child even once another waiter has
		   reaped it and its pid is someone else's. */
		if (d->pidfd >= 0)
			r = waitid((idtype_t)P_PIDFD, (id_t)d->pidfd, &si,
				   WEXITED | __WALL | WNOHANG);
		if (d->pidfd < 0 || (r < 0 && errno == EINVAL))
			r = waitid(P_PID, (id_t)d->pid, &si,
				   WEXITED | __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (si.si_pid && wait_code_is_end(si.si_code)))
			return true;
		if (!si.si_pid) {
			trace_reap_threads(d->pid);
			return false;
		}
		(void)trace_stop_let_go(d->pid, si.si_status);
	}
	return false;
}

static void *reaper_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&reaper_lock);
	for (;;) {
		while (!ndying)
			pthread_cond_wait(&reaper_wake, &reaper_lock);
		for (size_t i = 0; i < ndying;) {
			if (!reap_now(&dying[i])) {
				i++;
				continue;
			}
			if (dying[i].pidfd >= 0)
				close(dying[i].pidfd);
			dying[i] = dying[--ndying];
		}
		if (!ndying)
			continue;
		pthread_mutex_unlock(&reaper_lock);
		(void)poll(NULL, 0, REAPER_LOOK_MS);
		pthread_mutex_lock(&reaper_lock);
	}
	return NULL;
}

/* In the copy fork() makes, which cannot reap the parent's children and
   where another thread may have held the lock: it starts with none. The
   pidfds left for the parent's thread are the copy's too, close-on-exec:
   left as they are, as the array may have been in the middle of a change. */
static void reaper_fork_child(void)
{
	pthread_mutex_init(&reaper_lock, NULL);
	pthread_cond_init(&reaper_wake, NULL);
	reaper_owner = 0;
	dying = NULL;
	ndying = dying_cap = 0;
}

/* With the lock held: whether the thread runs in this process. */
static bool reaper_start(void)
{
	if (reaper_owner == process_token())
		return true;
	if (!reaper_atfork)
		reaper_atfork = pthread_atfork(NULL, NULL,
					       reaper_fork_child) == 0;
	if (!reaper_atfork)
		return false;
	if (background_thread_start(reaper_main) == 0)
		reaper_owner = process_token();
	return reaper_owner == process_token();
}

/* With the lock held: room for one more. */
static bool dying_reserve(void)
{
	if (ndying < dying_cap)
		return true;
	size_t cap = dying_cap ? 2 * dying_cap : 16;
	struct dying *grown = realloc(dying, cap * sizeof(*grown));

	if (!grown)
		return false;
	dying = grown;
	dying_cap = cap;
	return true;
}

bool reaper_take(pid_t pid, int pidfd)
{
	pthread_mutex_lock(&reaper_lock);
	bool taken = dying_reserve() && reaper_start();

	if (taken) {
		dying[ndying++] = (struct dying){ pid, pidfd };
		pthread_cond_signal(&reaper_wake);
	}
	pthread_mutex_unlock(&reaper_lock);
	return taken;
}
