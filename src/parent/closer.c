/* SPDX-License-Identifier: MIT */
/*
 * Where the fds a child passed on its channel are closed, before Linux
 * 6.16, whose channels cannot refuse them (channel.c): on a thread of
 * their own, never the caller's. Whatever the caller did with one could
 * wait on the child: a setsockopt or a socket's last close takes the
 * socket's lock, which a child holds as long as it likes (a filter it
 * attaches from a starved thread); the last close of a TCP socket under
 * SO_LINGER waits for its peer, a unix socket's closes what its queue
 * holds, a memfd's frees its memory.
 *
 * The caller leaves them open, by number, and the thread closes them:
 * threads share one fd table, so the thread's close is the caller's only
 * one (a copy of the table, a launch's child before its exec, may hold
 * another). Handing them over by SCM_RIGHTS instead would leave the
 * caller a copy to close, which is the last whenever the thread closes
 * its own first. A channel the caller gives up on goes the same way, so
 * that what its queue still holds is dropped on the thread. A socket is
 * closed abortively (SO_LINGER of 0): no close waits for a silent peer.
 * The thread starts the first time a child passes something, in each
 * process.
 *
 * The thread can still be kept waiting as long as a child lives (for a
 * socket's lock, which the child holds from starved threads), so the fds
 * left for it are bounded: past closer_held_max(), the caller reads no
 * more from the channel that brought them (what a channel still holds is
 * the thread's with the channel). Taking them can grow the caller's fd
 * table, which in a threaded process waits for an RCU grace period, once
 * for each doubling: left to the kernel, as growing it ahead would cost
 * every threaded program's first spawn a grace period instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* fds left for the thread, at most, before the caller stops reading a
   channel that brings more: each takes a slot of the caller's fd table
   until it is closed, and they take no more than an eighth of its fd
   limit. */
#define CLOSER_HELD_MAX 1024

static pthread_mutex_t closer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closer_wake = PTHREAD_COND_INITIALIZER;
static uint64_t closer_owner;	/* the process whose thread runs, or 0 */
static bool closer_atfork;
/* With the lock: the fds left for the thread, which takes the array. */
static int *held;
static size_t nheld, held_cap;
/* The fds the thread took and has not closed yet: they count against
   what may be left for it. */
static atomic_size_t nclosing;

static void *closer_main(void *unused)
{
	static const struct linger abort_close = { 1, 0 };

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&closer_lock);
		while (!nheld)
			pthread_cond_wait(&closer_wake, &closer_lock);
		int *fds = held;
		size_t n = nheld;
		held = NULL;
		nheld = held_cap = 0;
		atomic_fetch_add_explicit(&nclosing, n, memory_order_relaxed);
		pthread_mutex_unlock(&closer_lock);
		for (size_t i = 0; i < n; i++) {
			/* A socket's close then drops what it holds rather
			   than wait for a peer the child keeps silent (a
			   no-op on what is not a TCP socket). */
			(void)setsockopt(fds[i], SOL_SOCKET, SO_LINGER,
					 &abort_close, sizeof(abort_close));
			close(fds[i]);
			atomic_fetch_sub_explicit(&nclosing, 1,
						  memory_order_relaxed);
		}
		free(fds);
	}
	return NULL;
}

/* In the copy fork() makes, where no thread closes and another thread
   may have held the lock: the copy starts its own when it needs one. The
   fds left for the parent's thread are the copy's too, close-on-exec:
   left as they are, as closing them could wait. */
static void closer_fork_child(void)
{
	pthread_mutex_init(&closer_lock, NULL);
	pthread_cond_init(&closer_wake, NULL);
	closer_owner = 0;
	/* The fork may have come in the middle of a change to the array:
	   the copy starts a new one. */
	held = NULL;
	nheld = held_cap = 0;
	atomic_store_explicit(&nclosing, 0, memory_order_relaxed);
}

/* With the lock held: the thread runs in this process, or the fds wait
   for the next take to start it. */
static void closer_start(void)
{
	if (closer_owner == process_token())
		return;
	if (!closer_atfork)
		closer_atfork = pthread_atfork(NULL, NULL,
					       closer_fork_child) == 0;
	if (background_thread_start(closer_main) == 0)
		closer_owner = process_token();
}

/* How many fds may be left for the thread: CLOSER_HELD_MAX, or an
   eighth of the caller's fd limit where that is less. */
static size_t closer_held_max(void)
{
	struct rlimit nofile;

	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return 0;
	return nofile.rlim_cur / 8 < CLOSER_HELD_MAX ?
	       (size_t)(nofile.rlim_cur / 8) : CLOSER_HELD_MAX;
}

/* With the lock held: room for n more. */
static bool held_reserve(size_t n)
{
	if (nheld + n <= held_cap)
		return true;
	size_t cap = held_cap ? held_cap : 256;
	while (cap < nheld + n)
		cap *= 2;
	int *grown = realloc(held, cap * sizeof(int));
	if (!grown)
		return false;
	held = grown;
	held_cap = cap;
	return true;
}

bool closer_take(const int *fds, size_t n)
{
	pthread_mutex_lock(&closer_lock);
	bool room = held_reserve(n);
	if (room) {
		memcpy(held + nheld, fds, n * sizeof(int));
		nheld += n;
		closer_start();
		pthread_cond_signal(&closer_wake);
	}
	size_t left = nheld + atomic_load_explicit(&nclosing,
						   memory_order_relaxed);
	pthread_mutex_unlock(&closer_lock);
	/* No memory to note them in: closed here, as they are. */
	for (size_t i = 0; !room && i < n; i++)
		close(fds[i]);
	return room && left <= closer_held_max();
}
