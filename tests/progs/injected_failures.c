/* SPDX-License-Identifier: MIT */
/*
 * A program in which cfork's own calls to pthread_create(), malloc() and
 * calloc() fail when it says so (EAGAIN, as out of memory or over a thread
 * limit; NULL): it links with -Wl,--wrap for each, which the test binary
 * cannot do to itself.
 *
 *   injected_failures deadline
 *                           a call to a fork server whose deadline cannot
 *                           be armed once the server's child has answered
 *                           (its watchdog thread does not start); prints
 *                           what the spawn returned, how many times the
 *                           function ran, and whether once cold
 *   injected_failures pools
 *                           cfork_pool_new() of each mode with its Nth
 *                           allocation failing, for each N until one
 *                           succeeds; prints each failure that left a
 *                           child, alive or not reaped, then "done N"
 */
#include <cfork.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../helpers.h"

static int thread_fails_mark(const cfork_args *a)
{
	char c = getppid() == (pid_t)cfork_arg_i64(a, 1) ? 'c' : 'w';

	return write(cfork_arg_fd(a, 0), &c, 1) == 1 ? 0 : 1;
}
CFORK_REGISTER(thread_fails_mark, "fi");

static int thread_fails_noop(const cfork_args *a)
{
	(void)a;
	return 0;
}
CFORK_REGISTER(thread_fails_noop, "");

static bool threads_fail;
/* The allocation that fails: the Nth from when it is set, or none (0). */
static int allocation_fails;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);

static bool allocation_failing(void)
{
	return __atomic_load_n(&allocation_fails, __ATOMIC_RELAXED) > 0 &&
	       __atomic_sub_fetch(&allocation_fails, 1, __ATOMIC_RELAXED) == 0;
}

void *__wrap_malloc(size_t size)
{
	return allocation_failing() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return allocation_failing() ? NULL : __real_calloc(n, size);
}

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	/* Once, and slowly: the call, handed over, runs meanwhile, and a
	   launch of it again would run too. */
	if (__atomic_exchange_n(&threads_fail, false, __ATOMIC_RELAXED)) {
		usleep(100000);
		return EAGAIN;
	}
	return __real_pthread_create(t, attr, fn, arg);
}

static int deadline(void)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_pool *pool;
	cfork_proc *p;
	char ran[8] = "";
	int marks[2];

	attr.deadline_ms = 20000;
	if (pipe(marks) < 0 ||
	    cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK) < 0)
		return 1;
	__atomic_store_n(&threads_fail, true, __ATOMIC_RELAXED);
	int r = cfork_pool_spawn(pool, &p, "thread_fails_mark",
				 cfork_fd(marks[1]), (int64_t)getpid());
	__atomic_store_n(&threads_fail, false, __ATOMIC_RELAXED);
	if (r == 0) {
		(void)cfork_wait(p, 20000, &st);
		cfork_free(p);
	}
	/* Whatever the server's child did, it has done once the server has
	   ended with the pool. */
	cfork_pool_free(pool);
	close(marks[1]);
	ssize_t n = read(marks[0], ran, sizeof(ran) - 1);
	close(marks[0]);
	ran[n > 0 ? n : 0] = '\0';
	/* One call after: the server serves on. */
	if (cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK) < 0 ||
	    cfork_pool_spawn(pool, &p, "thread_fails_noop") < 0 ||
	    cfork_wait(p, 20000, &st) < 0 || !st.exited || st.code ||
	    !(cfork_paths(p) & CFORK_PATH_FORK_SERVER))
		return 1;
	cfork_free(p);
	cfork_pool_free(pool);
	printf("spawn %s, ran %zu times, %s cold\n", r ? strerror(-r) : "ok",
	       strlen(ran), strchr(ran, 'c') ? "once" : "never");
	return 0;
}

static int pools(void)
{
	static const unsigned modes[] = { CFORK_POOL_EXEC, CFORK_POOL_FORK };
	int n = 1;

	for (size_t m = 0; m < 2; m++)
		for (n = 1;; n++) {
			cfork_pool *pool;
			__atomic_store_n(&allocation_fails, n, __ATOMIC_RELAXED);
			int r = cfork_pool_new(&pool, NULL, 2, modes[m]);
			__atomic_store_n(&allocation_fails, 0, __ATOMIC_RELAXED);
			if (r == 0) {
				cfork_pool_free(pool);
				break;
			}
			if (n > 1000)
				return 1;
			/* Reaped at once, or by cfork's reaper thread. */
			size_t left = children_of_any_thread();
			for (int i = 0; left && i < 100 * TEST_SLOWDOWN; i++) {
				usleep(10000);
				left = children_of_any_thread();
			}
			if (left)
				printf("mode %u, allocation %d failing (%s): "
				       "%zu children left\n", modes[m], n,
				       strerror(-r), left);
		}
	printf("done %d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (cfork_init() < 0)
		return 1;
	if (argc == 2 && !strcmp(argv[1], "deadline"))
		return deadline();
	if (argc == 2 && !strcmp(argv[1], "pools"))
		return pools();
	return 1;
}
