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
 * kernel without pidfds) the kill goes by pid (signal_child.c). A pid names
 * the child until it is reaped, and cfork's reaping (proc.c) holds the
 * watchdog's lock from the reap to the release of the deadline, so the
 * watchdog never signals a pid that cfork has let go of.
 *
 * A fork() of the program copies neither the thread nor the children it
 * watches: the copy forgets the list (those deadlines are the parent's to
 * meet) and its first deadline starts a watchdog of its own. Nothing is
 * held across a fork: a prepare handler taking the lock would order it
 * before the program's own fork handlers' locks and deadlock a program
 * that waits while it holds one. The copy makes its lock anew and leaks
 * the list's references (a pending deadline's memory and two
 * close-on-exec fds). A copy made by _Fork() runs no handlers: its first
 * deadline finds, by the process token, that the watchdog is another
 * process's, and starts its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "parent.h"

int64_t now_ms(void)
{
	return now_ns() / 1000000;
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct deadline {
	struct deadline *next;
	struct child_ref child;	/* with the watchdog's own duplicates */
	struct timespec due;	/* CLOCK_MONOTONIC */
	bool fired;
	bool cancelled;
	unsigned refs;		/* the handle's and the list's */
};

static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watchdog_wake;
static struct deadline *watchdog_list;
static bool watchdog_ever;	/* the condition was made */
/* process_token() of the process whose watchdog runs, or 0 for none: a
   copy made by fork() or _Fork() (which runs no fork handlers) is not
   it. */
static uint64_t watchdog_owner;

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
	if (d->child.pidfd >= 0)
		close(d->child.pidfd);
	if (d->child.told_fd >= 0)
		close(d->child.told_fd);
	free(d);
}

/* Kills what is due and unlinks what is done; the earliest left, or NULL. */
static struct deadline *watchdog_sweep(const struct timespec *now)
{
	struct deadline **at = &watchdog_list, *earliest = NULL;

	while (*at) {
		struct deadline *d = *at;
		if (!d->cancelled && !before(now, &d->due)) {
			/* Under the lock: cfork does not reap the child
			   meanwhile. */
			d->fired = signal_child(&d->child, SIGKILL) == 0;
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

/* In a copy, where no watchdog runs: the list is forgotten, and the
   condition, which the absent watchdog waited on, made anew. */
static void watchdog_forget(void)
{
	pthread_condattr_t ca;

	watchdog_list = NULL;
	watchdog_owner = 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&watchdog_wake, &ca);
	pthread_condattr_destroy(&ca);
}

/* In the copy fork() makes, where another thread may have held the lock
   or been changing the list. */
static void watchdog_fork_child(void)
{
	pthread_mutex_init(&watchdog_lock, NULL);
	watchdog_forget();
}

/* With the lock held: 0 or a positive error. */
static int watchdog_start(void)
{
	pthread_condattr_t ca;
	int err;

	if (!watchdog_ever) {
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&watchdog_wake, &ca);
		pthread_condattr_destroy(&ca);
		watchdog_ever = true;
	}
	err = background_thread_start(watchdog_main);
	watchdog_owner = err ? 0 : process_token();
	return err;
}

/* A duplicate above stdio, or -1 for -1. */
static int dup_or_none(int fd, int *err)
{
	int dup = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;

	if (fd >= 0 && dup < 0)
		*err = -errno;
	return dup;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_err;
static void atfork_register(void)
{
	atfork_err = pthread_atfork(NULL, NULL, watchdog_fork_child);
}

int deadline_arm(struct deadline **ret, const struct child_ref *child,
		 int ms)
{
	struct deadline *d = calloc(1, sizeof(*d));
	int err = 0;

	if (!d)
		return -ENOMEM;
	d->child.pid = child->pid;
	d->child.pidfd = dup_or_none(child->pidfd, &err);
	d->child.told_fd = dup_or_none(child->told_fd, &err);
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
	/* Before the lock: registering waits for a fork in progress. */
	pthread_once(&atfork_once, atfork_register);
	if (atfork_err) {
		d->refs = 1;
		deadline_put_locked(d);
		return -atfork_err;
	}
	pthread_mutex_lock(&watchdog_lock);
	/* A copy made by _Fork() took the lock as it was: free, unless
	   another thread held it, which POSIX's async-signal-safe rule for
	   such a copy leaves to the program. */
	uint64_t self = process_token();
	if (watchdog_owner && watchdog_owner != self)
		watchdog_forget();
	/* Started by the first deadline, and again after a failure (a
	   transient EAGAIN) or in a copy. */
	err = watchdog_owner == self ? 0 : watchdog_start();
	if (err) {
		pthread_mutex_unlock(&watchdog_lock);
		d->refs = 1;
		deadline_put_locked(d);	/* no one else has it yet */
		return -err;
	}
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
