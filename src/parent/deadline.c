/* SPDX-License-Identifier: MIT */
/*
 * Deadlines: SIGKILL a child a given time after its spawn, whether or not
 * its caller waits. The timer must be the parent's (a child's own timer is
 * the child's to cancel), so cfork runs one thread for every deadline of
 * the process, started the first time a spawn has one: it sleeps until
 * the earliest is due and kills through the child's pidfd, which cannot
 * name a recycled pid. A child reaped before its deadline is taken off
 * the list.
 *
 * Where pidfd_send_signal is refused (a seccomp profile, an emulator, a
 * kernel without pidfds) the kill goes by pid. A pid names the child until
 * it is reaped, and the reaping (proc.c) holds the watchdog's lock from the
 * reap to the release of the deadline, so the watchdog signals by pid only
 * a child not yet reaped: one whose pidfd does not poll readable, or, for
 * a fork server's child (which the server reaps after it told its end),
 * one whose end is untold.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "parent.h"

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct deadline {
	struct deadline *next;
	int pidfd;		/* the watchdog's own duplicate, or -1 */
	pid_t pid;
	int told_fd;		/* a fork server's status channel (dup), or -1 */
	struct timespec due;	/* CLOCK_MONOTONIC */
	bool fired;
	bool cancelled;
	unsigned refs;		/* the handle's and the list's */
};

static pthread_once_t watchdog_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watchdog_wake;
static struct deadline *watchdog_list;
static int watchdog_error;

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Drops a reference, with the lock held. */
static void deadline_put_locked(struct deadline *d)
{
	if (--d->refs)
		return;
	if (d->pidfd >= 0)
		close(d->pidfd);
	if (d->told_fd >= 0)
		close(d->told_fd);
	free(d);
}

/* Whether the child may have ended: its pidfd polls readable, or its
   server told (or dropped) its status channel. */
static bool maybe_ended(const struct deadline *d)
{
	struct pollfd ends[2] = { { .fd = d->pidfd, .events = POLLIN },
				  { .fd = d->told_fd, .events = POLLIN } };

	return poll(ends, 2, 0) != 0;
}

/* With the lock held, so that the child is not reaped meanwhile. */
static bool deadline_kill(const struct deadline *d)
{
	if (d->pidfd >= 0 &&
	    syscall(SYS_pidfd_send_signal, d->pidfd, SIGKILL, NULL, 0) == 0)
		return true;
	if (d->pidfd >= 0 && errno != ENOSYS)
		return false;
	/* Not yet ended, so not yet reaped (SIGCHLD ignored reaps at the
	   exit): its pid is still its own. */
	return !maybe_ended(d) && kill(d->pid, SIGKILL) == 0;
}

/* Kills what is due and unlinks what is done; the earliest left, or NULL. */
static struct deadline *watchdog_sweep(const struct timespec *now)
{
	struct deadline **at = &watchdog_list, *earliest = NULL;

	while (*at) {
		struct deadline *d = *at;
		if (!d->cancelled && !before(now, &d->due)) {
			d->fired = deadline_kill(d);
			d->cancelled = true;
		}
		if (d->cancelled) {
			*at = d->next;
			deadline_put_locked(d);
			continue;
		}
		if (!earliest || before(&d->due, &earliest->due))
			earliest = d;
		at = &d->next;
	}
	return earliest;
}

static void *watchdog_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&watchdog_lock);
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		struct deadline *next = watchdog_sweep(&now);
		if (next) {
			/* A copy: the wait lets go of the lock, and with it
			   next, which a release may free meanwhile. */
			struct timespec due = next->due;
			pthread_cond_timedwait(&watchdog_wake, &watchdog_lock,
					       &due);
		} else
			pthread_cond_wait(&watchdog_wake, &watchdog_lock);
	}
	return NULL;
}

static void watchdog_start(void)
{
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;
	sigset_t all, old;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&watchdog_wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, 64 << 10);
	/* The caller's signals are the caller's threads' business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	watchdog_error = pthread_create(&t, &ta, watchdog_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&ta);
}

/* A duplicate above stdio, or -1 for -1. */
static int dup_or_none(int fd, int *err)
{
	int dup = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;

	if (fd >= 0 && dup < 0)
		*err = -errno;
	return dup;
}

int deadline_arm(struct deadline **ret, const struct deadline_child *child,
		 int ms)
{
	struct deadline *d;
	int err = 0;

	pthread_once(&watchdog_once, watchdog_start);
	if (watchdog_error)
		return -watchdog_error;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->pid = child->pid;
	d->pidfd = dup_or_none(child->pidfd, &err);
	d->told_fd = dup_or_none(child->told_fd, &err);
	d->refs = 2;
	if (err) {
		d->refs = 1;
		deadline_put_locked(d);	/* no one else has it yet */
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &d->due);
	d->due.tv_sec += ms / 1000;
	d->due.tv_nsec += (long)(ms % 1000) * 1000000;
	if (d->due.tv_nsec >= 1000000000) {
		d->due.tv_sec++;
		d->due.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&watchdog_lock);
	d->next = watchdog_list;
	watchdog_list = d;
	pthread_cond_signal(&watchdog_wake);
	pthread_mutex_unlock(&watchdog_lock);
	*ret = d;
	return 0;
}

void deadline_reap_begin(const struct deadline *d)
{
	if (d)
		pthread_mutex_lock(&watchdog_lock);
}

void deadline_reap_end(const struct deadline *d)
{
	if (d)
		pthread_mutex_unlock(&watchdog_lock);
}

/* With the lock held. */
static void release_locked(struct deadline *d)
{
	for (struct deadline **at = &watchdog_list; *at; at = &(*at)->next) {
		if (*at == d) {
			*at = d->next;
			d->refs--;	/* the list's */
			break;
		}
	}
	d->cancelled = true;
	deadline_put_locked(d);
}

bool deadline_settle(struct deadline *d)
{
	bool fired = d->fired;

	release_locked(d);
	return fired;
}

/* Taken off the list at once, so that its fds are closed by the time the
   handle is freed. */
void deadline_release(struct deadline *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&watchdog_lock);
	release_locked(d);
	pthread_mutex_unlock(&watchdog_lock);
}
