/* SPDX-License-Identifier: MIT */
/*
 * Stress: T threads each spawn N children one after another, as fast as they
 * can; every child sends back a small result derived from its arguments and
 * exits with a code derived from them too, and every result and code is
 * checked. The process's fds, mappings and children are counted before and
 * after: any difference is a leak and fails the run (exit 1).
 *
 *   stress [-t THREADS] [-n SPAWNS]        (default 4 x 1000)
 *
 * `make stress` runs it; tests/hostile.c includes this file (with
 * STRESS_NO_MAIN) to run a short version in the test suite.
 */
#include <cfork.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../helpers.h"

struct stress_result {
	int64_t id;		/* thread * 2^32 + spawn */
	uint64_t mixed;		/* a function of id and the string */
	char echo[16];
};

static uint64_t stress_mix(int64_t id, const char *s)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return h;
}

static int stress_child(const cfork_args *a)
{
	struct stress_result r = { .id = cfork_arg_i64(a, 0) };
	const char *s = cfork_arg_str(a, 1);

	r.mixed = stress_mix(r.id, s);
	snprintf(r.echo, sizeof(r.echo), "%s", s);
	if (cfork_return(&r, sizeof(r)))
		return 1;
	return (int)(r.id % 100) + 2;
}
CFORK_REGISTER(stress_child, "is");

/* Children of this process, running or zombie, from every thread's list:
   a spawn whose child was never reaped shows here. */
static int stress_count_children(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300];
		FILE *f;
		int pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fscanf(f, "%d", &pid) == 1)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

struct stress_thread {
	pthread_t thread;
	int id;
	int spawns;
	int done;
	char failure[256];
};

static void *stress_loop(void *arg)
{
	struct stress_thread *t = arg;

	for (int i = 0; i < t->spawns; i++) {
		int64_t id = (int64_t)t->id << 32 | i;
		char s[16];
		struct stress_result r;
		cfork_proc *p;
		cfork_status st;
		int rc;

		snprintf(s, sizeof(s), "t%d-%d", t->id, i);
		rc = cfork_spawn(&p, NULL, "stress_child", id, s);
		if (rc < 0) {
			snprintf(t->failure, sizeof(t->failure),
				 "thread %d, spawn %d: %s", t->id, i,
				 strerror(-rc));
			return NULL;
		}
		rc = cfork_wait(p, 30000, &st);
		if (rc < 0)
			snprintf(t->failure, sizeof(t->failure),
				 "thread %d, wait %d: %s", t->id, i,
				 strerror(-rc));
		else if (!st.exited || st.code != (int)(id % 100) + 2)
			snprintf(t->failure, sizeof(t->failure),
				 "thread %d, spawn %d: exited %d code %d "
				 "signal %d error %s", t->id, i, st.exited,
				 st.code, st.signal,
				 st.error ? st.error : "none");
		else if (st.result_len != sizeof(r))
			snprintf(t->failure, sizeof(t->failure),
				 "thread %d, spawn %d: %zu result bytes", t->id,
				 i, st.result_len);
		if (!t->failure[0]) {
			memcpy(&r, st.result, sizeof(r));
			if (r.id != id || r.mixed != stress_mix(id, s) ||
			    strcmp(r.echo, s))
				snprintf(t->failure, sizeof(t->failure),
					 "thread %d, spawn %d: wrong result "
					 "(id %#" PRIx64 ", \"%.15s\")", t->id,
					 i, (uint64_t)r.id, r.echo);
		}
		cfork_free(p);
		if (t->failure[0])
			return NULL;
		t->done++;
	}
	return NULL;
}

/* Runs nthreads x spawns; 0, or -1 with the reason in why. */
static int stress_round(int nthreads, int spawns, char *why, size_t cap)
{
	struct stress_thread *t = calloc((size_t)nthreads, sizeof(*t));
	int bad = 0;

	if (!t) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	for (int i = 0; i < nthreads; i++) {
		t[i].id = i;
		t[i].spawns = spawns;
		int rc = pthread_create(&t[i].thread, NULL, stress_loop, &t[i]);
		if (rc) {
			snprintf(why, cap, "pthread_create: %s", strerror(rc));
			nthreads = i;
			bad = -1;
			break;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i].thread, NULL);
		if (t[i].failure[0] && !bad) {
			snprintf(why, cap, "%s", t[i].failure);
			bad = -1;
		}
	}
	free(t);
	return bad;
}

struct stress_counts {
	int fds, maps, children;
	bool zombies;
};

static void stress_count(struct stress_counts *c)
{
	c->fds = count_open_fds();
	c->maps = count_mappings();
	c->children = stress_count_children();
	c->zombies = has_children();
}

static double stress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The whole run: a warm-up round with one spawn per thread (glibc keeps the
 * stacks of joined threads for reuse, and the first spawn sets up what the
 * library keeps for the process), the counts, the real round, the counts
 * again. 0, or -1 with the reason in why. *seconds gets the real round's
 * duration.
 */
static int stress_run(int nthreads, int spawns, double *seconds, char *why,
		      size_t cap)
{
	struct stress_counts before, after;
	double t0;

	/* glibc gives threads that contend for malloc arenas of their own, on
	   demand: one made during the real round would count as two leaked
	   mappings. One arena for all keeps the count about cfork. */
	mallopt(M_ARENA_MAX, 1);
	if (stress_round(nthreads, 1, why, cap) < 0)
		return -1;
	stress_count(&before);
	t0 = stress_now();
	if (stress_round(nthreads, spawns, why, cap) < 0)
		return -1;
	*seconds = stress_now() - t0;
	stress_count(&after);
	if (before.fds != after.fds || before.maps != after.maps ||
	    before.children != after.children || after.zombies) {
		snprintf(why, cap, "leak: fds %d -> %d, mappings %d -> %d, "
			 "children %d -> %d%s", before.fds, after.fds,
			 before.maps, after.maps, before.children,
			 after.children, after.zombies ? ", a zombie" : "");
		return -1;
	}
	return 0;
}

#ifndef STRESS_NO_MAIN
int main(int argc, char **argv)
{
	int nthreads = 4, spawns = 1000, opt;
	char why[512];
	double secs = 0;

	while ((opt = getopt(argc, argv, "t:n:")) != -1) {
		switch (opt) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'n':
			spawns = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-n SPAWNS]\n",
				argv[0]);
			return 2;
		}
	}
	if (nthreads < 1 || spawns < 1) {
		fprintf(stderr, "stress: -t and -n take a positive count\n");
		return 2;
	}
	int r = cfork_init();
	if (r < 0) {
		fprintf(stderr, "stress: cfork_init: %s\n", strerror(-r));
		return 1;
	}
	if (stress_run(nthreads, spawns, &secs, why, sizeof(why)) < 0) {
		fprintf(stderr, "stress: FAILED: %s\n", why);
		return 1;
	}
	printf("stress: %d threads x %d spawns: %d children, all results "
	       "right, no fd, mapping or child leaked\n", nthreads, spawns,
	       nthreads * spawns);
	printf("stress: %.2f s, %.0f spawns/s, %.1f us per spawn per thread\n",
	       secs, nthreads * spawns / secs, secs * 1e6 / spawns);
	return 0;
}
#endif
