/* SPDX-License-Identifier: MIT */
/*
 * Warm start against a cold launch, side by side in one process: the
 * latency of a call (spawn, result back, reaped) of a function that returns
 * at once, p50 and p99, interleaved, cold, through a pool of 4 exec'd
 * children and through 2 fork servers; then calls per second from 1 and 2
 * threads, in alternating slices of each mode; with the caller holding nothing and then RESIDENT GiB; beside
 * them the floors under a warm call, the page faults a fork server's child
 * takes before its function, where each mode's time goes, and how soon
 * the spawn of a call that computes for 20 ms returns. First, what a
 * refill costs: a pool child's launch until it waits.
 *
 *   pool [-n RUNS] [--resident GIB]
 */
#include <cfork.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timing.h"

static int pool_bench_noop(const cfork_args *a)
{
	(void)a;
	return cfork_return("", 0) < 0;
}
CFORK_REGISTER(pool_bench_noop, "");

/* The floors under a warm call, measured in a small process (a child of
   this program, as the fork server is) so that the caller's size is not
   in them: it forks a child, which exits, and reaps it (a fork server's
   call); and it wakes a child that waits on a pipe, which answers and
   exits, and reaps it (any warm call: a process is woken, exits and is
   reaped); and the same with a child exec'd from this program, which
   waits in main() with the program's libraries loaded and relocated, as a
   pool child waits in its constructor (a pool's call: its exit unmaps
   all that, where a fork's unmaps little more than what it touched).
   Returns p50 and p99 of each. */
static int pool_bench_floors(const cfork_args *a)
{
	int runs = (int)cfork_arg_i64(a, 0);
	double *us = malloc((size_t)runs * sizeof(double) * 3), q[6];

	if (!us)
		return 1;
	for (int i = 0; i < runs; i++) {
		double t0 = now_us();
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
		us[i] = now_us() - t0;
	}
	for (int i = 0; i < runs; i++) {
		int go[2], done[2];
		char c = 0;

		if (pipe(go) < 0 || pipe(done) < 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			if (read(go[0], &c, 1) != 1 || write(done[1], &c, 1) != 1)
				_exit(1);
			_exit(0);
		}
		close(go[0]);
		close(done[1]);
		usleep(200);	/* asleep in read() */
		double t0 = now_us();
		if (pid < 0 || write(go[1], &c, 1) != 1 ||
		    read(done[0], &c, 1) != 1 || waitpid(pid, NULL, 0) != pid)
			return 1;
		us[runs + i] = now_us() - t0;
		close(go[1]);
		close(done[0]);
	}
	for (int i = 0; i < runs; i++) {
		int go[2], done[2];
		char c = 0, arg[2][16];

		if (pipe(go) < 0 || pipe(done) < 0)
			return 1;
		snprintf(arg[0], sizeof(arg[0]), "%d", go[0]);
		snprintf(arg[1], sizeof(arg[1]), "%d", done[1]);
		pid_t pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", "pool", "--floor-child", arg[0],
			      arg[1], (char *)NULL);
			_exit(127);
		}
		close(go[0]);
		close(done[1]);
		/* Its word that main() runs, then time to fall asleep. */
		if (pid < 0 || read(done[0], &c, 1) != 1)
			return 1;
		usleep(200);
		double t0 = now_us();
		if (write(go[1], &c, 1) != 1 || read(done[0], &c, 1) != 1 ||
		    waitpid(pid, NULL, 0) != pid)
			return 1;
		us[2 * runs + i] = now_us() - t0;
		close(go[1]);
		close(done[0]);
	}
	for (int k = 0; k < 3; k++) {
		qsort(us + k * runs, (size_t)runs, sizeof(double), cmp_double);
		q[2 * k] = us[k * runs + runs / 2];
		q[2 * k + 1] = us[k * runs + runs * 99 / 100];
	}
	free(us);
	return cfork_return(q, sizeof(q)) < 0;
}
CFORK_REGISTER(pool_bench_floors, "i");

static void print_floors(int runs)
{
	cfork_status st;
	cfork_proc *p;
	double q[6];

	if (cfork_spawn(&p, NULL, "pool_bench_floors", (int64_t)runs) < 0)
		return;
	if (cfork_wait(p, -1, &st) == 0 && st.exited && !st.code &&
	    st.result_len == sizeof(q)) {
		memcpy(q, st.result, sizeof(q));
		printf("  %-24s %9.0f %9.0f   (the floor under a fork "
		       "server's call)\n", "fork+exit+wait, small", q[0], q[1]);
		printf("  %-24s %9.0f %9.0f   (the floor under any warm "
		       "call)\n", "wake+exit+wait, small", q[2], q[3]);
		printf("  %-24s %9.0f %9.0f   (the floor under a pool's "
		       "call)\n", "wake+exit+wait, exec'd", q[4], q[5]);
	}
	cfork_free(p);
}

/* The pages a fork server's child faults in before its function runs: a
   fork shares the page cache's pages, not their page-table entries. */
static int pool_bench_faults(const cfork_args *a)
{
	struct rusage ru;
	long faults;

	(void)a;
	getrusage(RUSAGE_SELF, &ru);
	faults = ru.ru_minflt;
	return cfork_return(&faults, sizeof(faults)) < 0;
}
CFORK_REGISTER(pool_bench_faults, "");

static void print_faults(cfork_pool *server)
{
	cfork_status st;
	cfork_proc *p;
	long faults;

	if (cfork_pool_spawn(server, &p, "pool_bench_faults") < 0)
		return;
	if (cfork_wait(p, -1, &st) == 0 && st.exited && !st.code &&
	    st.result_len == sizeof(faults) &&
	    (cfork_paths(p) & CFORK_PATH_FORK_SERVER)) {
		memcpy(&faults, st.result, sizeof(faults));
		printf("  page faults of a fork server's child before its "
		       "function: %ld (its standby's, ahead of the call, "
		       "too)\n", faults);
	}
	cfork_free(p);
}

/* Calls a pool served warm (not from an empty pool, cold). */
static long warm_calls;

/* One call, cold (pool NULL) or through the pool: µs, or -1. */
static double one(cfork_pool *pool)
{
	cfork_status st;
	cfork_proc *p;
	double t0 = now_us();
	int r = pool ? cfork_pool_spawn(pool, &p, "pool_bench_noop") :
		       cfork_spawn(&p, NULL, "pool_bench_noop");

	if (r < 0)
		return -1;
	r = cfork_wait(p, -1, &st);
	double t = now_us() - t0;
	if (cfork_paths(p) & (CFORK_PATH_POOL | CFORK_PATH_FORK_SERVER))
		__atomic_add_fetch(&warm_calls, 1, __ATOMIC_RELAXED);
	cfork_free(p);
	return r < 0 || !st.exited || st.code ? -1 : t;
}

/* When the function began, on the clock every process shares. */
static int pool_bench_stamp(const cfork_args *a)
{
	double began = now_us();

	(void)a;
	return cfork_return(&began, sizeof(began)) < 0;
}
CFORK_REGISTER(pool_bench_stamp, "");

/* Where a call's time goes, p50 of each step from the spawn: the spawn
   returned, the function began, the child was reaped. Each call 3 ms
   after the last has ended, so that no refill of the pool's is still
   running: this is each mode alone, not side by side. */
static void print_steps(cfork_pool *exec_pool, cfork_pool *fork_pool,
			int runs)
{
	cfork_pool *pools[3] = { NULL, exec_pool, fork_pool };
	const char *name[3] = { "cold", "pool (EXEC)", "fork server" };
	double *step[3][3];

	for (int k = 0; k < 3; k++)
		for (int j = 0; j < 3; j++)
			if (!(step[k][j] = calloc((size_t)runs, sizeof(double))))
				exit(1);
	for (int i = 0; i < runs; i++)
		for (int k = 0; k < 3; k++) {
			cfork_status st;
			cfork_proc *p;
			usleep(3000);
			double t0 = now_us(), began;
			int r = pools[k] ?
					cfork_pool_spawn(pools[k], &p,
							 "pool_bench_stamp") :
					cfork_spawn(&p, NULL, "pool_bench_stamp");
			if (r < 0)
				continue;
			step[k][0][i] = now_us() - t0;
			r = cfork_wait(p, -1, &st);
			step[k][2][i] = now_us() - t0;
			if (r == 0 && st.result_len == sizeof(began)) {
				memcpy(&began, st.result, sizeof(began));
				step[k][1][i] = began - t0;
			}
			cfork_free(p);
		}
	printf("  where the time goes, alone, p50 us from the spawn: "
	       "returned, function began, reaped\n");
	for (int k = 0; k < 3; k++) {
		double q[3];
		for (int j = 0; j < 3; j++) {
			qsort(step[k][j], (size_t)runs, sizeof(double),
			      cmp_double);
			q[j] = step[k][j][runs / 2];
			free(step[k][j]);
		}
		printf("    %-22s %6.0f %6.0f %6.0f\n", name[k], q[0], q[1],
		       q[2]);
	}
}

/* A call that computes for a while: how soon its spawn returns, p50 and
   p99, each mode alone. The caller must not wait for the call to give up
   a CPU: an event loop goes on once it has the handle. */
static int pool_bench_spin(const cfork_args *a)
{
	double end = now_us() + (double)cfork_arg_i64(a, 0) * 1000;

	while (now_us() < end)
		;
	return cfork_return("", 0) < 0;
}
CFORK_REGISTER(pool_bench_spin, "i");

#define LONG_CALL_MS 20
#define LONG_CALLS 100

static void print_long_call_spawns(cfork_pool *exec_pool,
				   cfork_pool *fork_pool)
{
	cfork_pool *pools[3] = { NULL, exec_pool, fork_pool };
	const char *name[3] = { "cold", "pool (EXEC)", "fork server" };
	static double us[3][LONG_CALLS];
	int n[3] = { 0, 0, 0 };

	for (int i = 0; i < LONG_CALLS; i++)
		for (int k = 0; k < 3; k++) {
			cfork_status st;
			cfork_proc *p;
			usleep(3000);
			double t0 = now_us();
			int r = pools[k] ?
				cfork_pool_spawn(pools[k], &p, "pool_bench_spin",
						 (int64_t)LONG_CALL_MS) :
				cfork_spawn(&p, NULL, "pool_bench_spin",
					    (int64_t)LONG_CALL_MS);
			if (r < 0)
				continue;
			us[k][n[k]++] = now_us() - t0;
			(void)cfork_wait(p, -1, &st);
			cfork_free(p);
		}
	printf("  spawn of a %d ms call returns, alone, us: p50 p99\n",
	       LONG_CALL_MS);
	for (int k = 0; k < 3; k++) {
		if (!n[k])
			continue;
		qsort(us[k], (size_t)n[k], sizeof(double), cmp_double);
		printf("    %-22s %6.0f %6.0f\n", name[k], us[k][n[k] / 2],
		       us[k][n[k] * 99 / 100]);
	}
}

struct rate {
	cfork_pool *pool;
	double seconds;
	long calls;
};

static void *rate_thread(void *arg)
{
	struct rate *r = arg;
	double end = now_us() + r->seconds * 1e6;

	while (now_us() < end)
		if (one(r->pool) >= 0)
			r->calls++;
	return NULL;
}

/* Calls made through pool (NULL: cold) from threads threads in seconds. */
static long calls_in(cfork_pool *pool, int threads, double seconds)
{
	struct rate r[2] = { { pool, seconds, 0 }, { pool, seconds, 0 } };
	pthread_t t[2];
	long total = 0;

	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, rate_thread, &r[i]);
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += r[i].calls;
	}
	return total;
}

#define RATE_SLICES 10
#define RATE_SLICE_S 0.1

/* Calls per second through each of n pools (NULL: cold), side by side:
   RATE_SLICES slices of each, their order turned every round, so that
   whatever else the machine does falls on every mode alike. hits[k]: the
   calls of pools[k] that went to a waiting child. */
static void calls_per_second(cfork_pool *const *pools, int n, int threads,
			     double *rate, double *hits)
{
	for (int k = 0; k < n; k++)
		rate[k] = hits[k] = 0;
	for (int i = 0; i < RATE_SLICES; i++)
		for (int j = 0; j < n; j++) {
			int k = (i + j) % n;
			long before = warm_calls;
			rate[k] += (double)calls_in(pools[k], threads,
						    RATE_SLICE_S);
			hits[k] += (double)(warm_calls - before);
		}
	for (int k = 0; k < n; k++) {
		hits[k] = rate[k] > 0 ? hits[k] / rate[k] : 0;
		rate[k] /= RATE_SLICES * RATE_SLICE_S;
	}
}

static void round_table(cfork_pool *exec_pool, cfork_pool *fork_pool,
			int runs, const char *label)
{
	cfork_pool *pools[3] = { NULL, exec_pool, fork_pool };
	const char *name[3] = { "cold cfork_spawn", "pool (EXEC)",
				"fork server (FORK)" };
	double *us[3];

	for (int k = 0; k < 3; k++)
		if (!(us[k] = malloc((size_t)runs * sizeof(double))))
			exit(1);
	/* Interleaved, a new order each round. */
	long warm[3] = { 0, 0, 0 };
	for (int i = 0; i < runs; i++)
		for (int j = 0; j < 3; j++) {
			int k = (i + j) % 3;
			long before = warm_calls;
			us[k][i] = one(pools[k]);
			warm[k] += warm_calls - before;
		}
	printf("%s\n", label);
	printf("  %-24s %9s %9s %8s %6s\n", "call latency", "p50 us",
	       "p99 us", "/cold", "warm");
	for (int k = 0; k < 3; k++)
		qsort(us[k], (size_t)runs, sizeof(double), cmp_double);
	for (int k = 0; k < 3; k++)
		printf("  %-24s %9.0f %9.0f %7.2fx %5.0f%%\n", name[k],
		       us[k][runs / 2], us[k][runs * 99 / 100],
		       us[k][runs / 2] / us[0][runs / 2],
		       100.0 * (double)warm[k] / runs);
	print_floors(runs);
	print_faults(fork_pool);
	print_steps(exec_pool, fork_pool, runs < 100 ? runs : 100);
	print_long_call_spawns(exec_pool, fork_pool);
	for (int th = 1; th <= 2; th++) {
		double rate[3], hits[3];
		calls_per_second(pools, 3, th, rate, hits);
		printf("  calls/s, %d thread%s: cold %.0f, pool %.0f (%.2fx, "
		       "%.0f%% warm), fork server %.0f (%.2fx)\n", th,
		       th == 1 ? "" : "s", rate[0], rate[1], rate[1] / rate[0],
		       100.0 * hits[1], rate[2], rate[2] / rate[0]);
	}
	/* One server, its calls one right after the other: each finds a
	   standby only if the server forks the next one at once. */
	cfork_pool *one_server[2] = { NULL, NULL };
	if (cfork_pool_new(&one_server[1], NULL, 1, CFORK_POOL_FORK) == 0) {
		double rate[2], hits[2];
		calls_per_second(one_server, 2, 1, rate, hits);
		printf("  calls/s, 1 thread, 1 fork server: cold %.0f, fork "
		       "server %.0f (%.2fx)\n", rate[0], rate[1],
		       rate[1] / rate[0]);
		cfork_pool_free(one_server[1]);
	}
	for (int k = 0; k < 3; k++)
		free(us[k]);
}

int main(int argc, char **argv)
{
	int runs = 300, resident = 2;
	cfork_pool *pool, *server;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--resident") && i + 1 < argc)
			resident = atoi(argv[++i]);
	}
	/* The exec'd floor's child: it says it runs, waits for one byte,
	   answers and exits. */
	if (argc == 4 && !strcmp(argv[1], "--floor-child")) {
		int go = atoi(argv[2]), done = atoi(argv[3]);
		char c = 0;

		if (write(done, &c, 1) != 1 || read(go, &c, 1) != 1 ||
		    write(done, &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	if (runs < 1 || cfork_init() < 0)
		return 1;
	/* What a refill costs the refill thread: cfork_pool_new() returns
	   once it has launched every child (one after the other, each as a
	   cold call launches, up to its exec; the child's loader and
	   constructor then run on their own). */
	double t0 = now_us();
	if (cfork_pool_new(&pool, NULL, 16, CFORK_POOL_EXEC) < 0)
		return 1;
	double fill = (now_us() - t0) / 16;
	cfork_pool_free(pool);
	/* Two servers, one for each of up to two calling threads. */
	t0 = now_us();
	if (cfork_pool_new(&server, NULL, 2, CFORK_POOL_FORK) < 0)
		return 1;
	printf("refill: %.0f us of the refill thread per pool child (16 in a "
	       "row); cfork_pool_new(FORK, 2 servers) returns in %.0f us\n",
	       fill, now_us() - t0);
	if (cfork_pool_new(&pool, NULL, 4, CFORK_POOL_EXEC) < 0)
		return 1;
	round_table(pool, server, runs, "caller holding nothing");
	if (resident > 0) {
		size_t len = (size_t)resident << 30;
		char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return 1;
		memset(mem, 1, len);
		char label[64];
		snprintf(label, sizeof(label), "caller holding %d GiB", resident);
		round_table(pool, server, runs, label);
		munmap(mem, len);
	}
	cfork_pool_free(pool);
	cfork_pool_free(server);
	return 0;
}
