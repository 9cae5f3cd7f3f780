/* SPDX-License-Identifier: MIT */
/*
 * Where the fds a child passed on its channel are closed, before Linux
 * 6.16, whose channels cannot refuse them (channel.c): on a thread of
 * their own, never the caller's. Whatever the caller did with one could
 * wait on the child: a setsockopt or a socket's last close takes the
 * socket's lock, which a child holds as long as it likes (a filter it
 * attaches from a starved thread); the last close of a TCP socket under
 * SO_LINGER waits for its peer, a unix socket's closes what its queue
 * holds, a memfd's frees its memory. The caller hands them over on a
 * socket (SCM_RIGHTS, which only takes a reference) and closes its own
 * copies, then most often not the last: the thread, woken by the
 * hand-off, may close its copies first (a race a child can try again and
 * again; the thread must not wait on the caller's send, which before
 * Linux 6.10 can run the kernel's collector of fds in flight). Where it
 * cannot pass them (its user has as many fds in flight as its fd limit,
 * which the child's own can see to: ETOOMANYREFS; or the closer is
 * behind), it leaves them open for the thread, by number, up to
 * closer_held_max(); only past that does it close them itself. The
 * thread starts the first time a child passes something, in each
 * process.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* fds left open for the thread, at most: each takes a slot of the
   caller's fd table until it is closed, and they take no more than an
   eighth of its fd limit. */
#define CLOSER_HELD_MAX 1024

static pthread_mutex_t closer_lock = PTHREAD_MUTEX_INITIALIZER;
static int closer_sock = -1;	/* the caller's end */
static uint64_t closer_owner;	/* the process whose thread reads it */
static bool closer_atfork;
/* With the lock: fds left for the thread. */
static int held[CLOSER_HELD_MAX];
static size_t nheld;
/* The thread's fds still open: it took them, and has not closed them
   all. They count against the fds left for it. */
static atomic_size_t nclosing;

/* On the thread: closes fds it took, counting each out once closed. */
static void closer_close(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		close(fds[i]);
		atomic_fetch_sub_explicit(&nclosing, 1, memory_order_relaxed);
	}
}

static void *closer_main(void *arg)
{
	const int sock = (int)(intptr_t)arg;

	for (;;) {
		int fds[FD_PASS_MAX], left[CLOSER_HELD_MAX];
		char byte = 0;
		size_t n;
		ssize_t r = fd_recv_fds(sock, &byte, 1, 0, fds, FD_PASS_MAX,
					&n);

		if (r == -EINTR)
			continue;
		if (r <= 0)
			return NULL;
		pthread_mutex_lock(&closer_lock);
		size_t k = nheld;
		memcpy(left, held, k * sizeof(int));
		nheld = 0;
		atomic_fetch_add_explicit(&nclosing, n + k,
					  memory_order_relaxed);
		pthread_mutex_unlock(&closer_lock);
		closer_close(fds, n);
		closer_close(left, k);
	}
}

/* In the copy fork() makes, where no closer runs and another thread may
   have held the lock: the copy starts its own when it needs one. The
   fds left for the parent's thread are the copy's too, close-on-exec:
   left as they are, as closing them could wait. */
static void closer_fork_child(void)
{
	pthread_mutex_init(&closer_lock, NULL);
	if (closer_sock >= 0)
		close(closer_sock);
	closer_sock = -1;
	closer_owner = 0;
	nheld = 0;
	atomic_store_explicit(&nclosing, 0, memory_order_relaxed);
}

/* With the lock held: the socket to hand fds to, or -1. */
static int closer_socket(void)
{
	pthread_attr_t ta;
	pthread_t t;
	sigset_t all, old;
	int sv[2];

	if (closer_sock >= 0 && closer_owner == process_token())
		return closer_sock;
	if (!closer_atfork)
		closer_atfork = pthread_atfork(NULL, NULL,
					       closer_fork_child) == 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    fd_pair_above_stdio(sv) < 0)
		return -1;
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, 64 << 10);
	/* The caller's signals are the caller's threads' business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(&t, &ta, closer_main, (void *)(intptr_t)sv[1]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&ta);
	if (err) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	closer_sock = sv[0];
	closer_owner = process_token();
	return closer_sock;
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

void closer_take(const int *fds, size_t n)
{
	const char byte = 0;
	bool passed = false, left = false;

	pthread_mutex_lock(&closer_lock);
	int sock = closer_socket();
	if (sock >= 0)
		passed = fd_send_fds(sock, &byte, 1, fds, n, MSG_DONTWAIT) == 1;
	size_t closing = atomic_load_explicit(&nclosing, memory_order_relaxed);
	if (!passed && sock >= 0 &&
	    nheld + n + closing <= closer_held_max()) {
		memcpy(held + nheld, fds, n * sizeof(int));
		nheld += n;
		left = true;
		/* A byte alone is never refused for its fds; where the
		   socket is full, the thread has messages to read, and
		   looks here after each. */
		(void)send(sock, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	pthread_mutex_unlock(&closer_lock);
	/* Passed, the copies here are most often not the last; with no
	   thread, or past closer_held_max(), they are closed here as they
	   are. */
	for (size_t i = 0; !left && i < n; i++)
		close(fds[i]);
}
