/* SPDX-License-Identifier: MIT */
/* Spawns from several threads at once: each gets its own child, its own
   result, and no fd of another thread's spawn. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(threads, .timeout = TEST_TIMEOUT);

#define NTHREADS 4
#define NSPAWNS 50

struct echo {
	int64_t value;
	int64_t nfds;
};

/* Sends its argument back with the number of fds it has. */
static int threads_echo(const cfork_args *a)
{
	struct echo e = { cfork_arg_i64(a, 0), count_open_fds() };

	if (cfork_return(&e, sizeof(e)))
		return 1;
	return (int)(e.value & 0x7f);
}
CFORK_REGISTER(threads_echo, "i");

struct worker {
	int id;
	int64_t child_fds;	/* what a child has when nothing races */
	int done;
	char failure[256];
};

static pthread_barrier_t start;

static void *spawn_loop(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	for (int i = 0; i < NSPAWNS; i++) {
		int64_t v = (int64_t)w->id * 1000 + i;
		int stray[2];
		cfork_proc *p;
		cfork_status st;
		struct echo e;
		int r;

		/* An fd without O_CLOEXEC, open while the other threads
		   spawn: none of their children may get it. */
		if (pipe(stray) < 0) {
			snprintf(w->failure, sizeof(w->failure), "pipe: %s",
				 strerror(errno));
			return NULL;
		}
		r = cfork_spawn(&p, NULL, "threads_echo", v);
		close(stray[0]);
		close(stray[1]);
		if (r < 0) {
			snprintf(w->failure, sizeof(w->failure),
				 "spawn %d: %s", i, strerror(-r));
			return NULL;
		}
		r = cfork_wait(p, 10000, &st);
		if (r == 0 && st.result_len == sizeof(e))
			memcpy(&e, st.result, sizeof(e));
		if (r < 0)
			snprintf(w->failure, sizeof(w->failure),
				 "wait %d: %s", i, strerror(-r));
		else if (!st.exited || st.code != (int)(v & 0x7f))
			snprintf(w->failure, sizeof(w->failure),
				 "spawn %d: exited %d code %d signal %d", i,
				 st.exited, st.code, st.signal);
		else if (st.result_len != sizeof(e) || e.value != v)
			snprintf(w->failure, sizeof(w->failure),
				 "spawn %d: another child's result", i);
		else if (e.nfds != w->child_fds)
			snprintf(w->failure, sizeof(w->failure),
				 "spawn %d: the child has %lld fds, not %lld",
				 i, (long long)e.nfds,
				 (long long)w->child_fds);
		cfork_free(p);
		if (w->failure[0])
			return NULL;
		w->done++;
	}
	return NULL;
}

Test(threads, concurrent_spawns_each_get_their_own_child)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	cfork_proc *p;
	cfork_status st;
	int64_t child_fds;
	int fds;

	/* Once alone, for the fd count a child has and for what the library
	   sets up once. */
	cr_assert_eq(cfork_spawn(&p, NULL, "threads_echo", 0), 0);
	cr_assert_eq(cfork_wait(p, 10000, &st), 0);
	cr_assert_eq(st.result_len, sizeof(struct echo));
	child_fds = ((const struct echo *)st.result)->nfds;
	cfork_free(p);
	fds = count_open_fds();

	cr_assert_eq(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .id = i + 1, .child_fds = child_fds };
		cr_assert_eq(pthread_create(&t[i], NULL, spawn_loop, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		cr_assert_eq(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&start);

	for (int i = 0; i < NTHREADS; i++) {
		cr_expect_str_empty(w[i].failure, "thread %d: %s", w[i].id,
				    w[i].failure);
		cr_expect_eq(w[i].done, NSPAWNS, "thread %d: %d of %d", w[i].id,
			     w[i].done, NSPAWNS);
	}
	cr_assert_eq(count_open_fds(), fds, "fds: %d before, %d after", fds,
		     count_open_fds());
	cr_assert_not(has_children());
}

struct handoff {
	cfork_proc *p;
	int wait_result;
	cfork_status st;
};

static void *wait_elsewhere(void *arg)
{
	struct handoff *h = arg;

	h->wait_result = cfork_wait(h->p, 10000, &h->st);
	return NULL;
}

/* A handle is not tied to the thread that spawned it. */
Test(threads, a_child_can_be_waited_for_from_another_thread)
{
	struct handoff h = { 0 };
	pthread_t t;

	cr_assert_eq(cfork_spawn(&h.p, NULL, "threads_echo", 77), 0);
	cr_assert_eq(pthread_create(&t, NULL, wait_elsewhere, &h), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(h.wait_result, 0, "cfork_wait: %d", h.wait_result);
	cr_assert(h.st.exited);
	cr_assert_eq(h.st.code, 77);
	cr_assert_eq(h.st.result_len, sizeof(struct echo));
	cr_assert_eq(((const struct echo *)h.st.result)->value, 77);
	cfork_free(h.p);
	cr_assert_not(has_children());
}
