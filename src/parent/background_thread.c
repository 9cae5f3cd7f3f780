/* SPDX-License-Identifier: MIT */
/*
 * The threads cfork starts for itself (the deadline watchdog, the closer,
 * the reaper): detached, on a small stack, with every signal blocked, as
 * the caller's signals are the caller's threads' business.
 */
#include <pthread.h>
#include <signal.h>

#include "parent.h"

int background_thread_start(void *(*thread_main)(void *))
{
	pthread_attr_t ta;
	pthread_t t;
	sigset_t all, old;
	int err;

	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&ta, 64 << 10);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t, &ta, thread_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&ta);
	return err;
}
