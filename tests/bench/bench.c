/* SPDX-License-Identifier: MIT */
/*
 * cfork's benchmark: spawn latency against the same binary's posix_spawn and
 * vfork+execveat floors, argument passing end to end per size, spawns per
 * second from several threads, and what filling a new cfork_buffer costs
 * against other new memory. Methods are interleaved round-robin in one process
 * so that they see the same machine; medians and p99 are printed.
 *
 *   bench [-n ITER] [--resident GIB] [--large] [--no-spawn] [--no-args]
 *         [--no-threads]
 */
#include <cfork.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

extern char **environ;

static int noop(const cfork_args *a)
{
	(void)a;
	return 0;
}
CFORK_REGISTER(noop, "");

/* Reads every byte, as a real consumer would, and returns a sum. */
static int checksum(const cfork_args *a)
{
	size_t len;
	const uint64_t *p = cfork_arg_bytes(a, 0, &len);
	uint64_t sum = 0;

	for (size_t i = 0; i < len / 8; i++)
		sum += p[i];
	return cfork_return(&sum, sizeof(sum)) ? 1 : 0;
}
CFORK_REGISTER(checksum, "y");

struct series {
	const char *name;
	double *us;
	int n;
};

static double quantile(struct series *s, double q)
{
	qsort(s->us, (size_t)s->n, sizeof(double), cmp_double);
	return s->us[(int)(q * (s->n - 1))];
}

static void die(const char *what, int r)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

static int self_fd;

static void wait_pid(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("baseline child", ECHILD);
}

static void run_posix_spawn(void)
{
	char *argv[] = { "bench", "--exit", NULL };
	pid_t pid;
	int r = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ);

	if (r)
		die("posix_spawn", r);
	wait_pid(pid);
}

static void run_vfork_execveat(void)
{
	char *argv[] = { "bench", "--exit", NULL };
	pid_t pid = vfork();

	if (pid == 0) {
		execveat(self_fd, "", argv, environ, AT_EMPTY_PATH);
		_exit(127);
	}
	wait_pid(pid);
}

static void run_fork_execve(void)
{
	char *argv[] = { "bench", "--exit", NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execveat(self_fd, "", argv, environ, AT_EMPTY_PATH);
		_exit(127);
	}
	wait_pid(pid);
}

static void run_cfork(void)
{
	int r = cfork("noop");

	if (r)
		die("cfork noop", r);
}

struct method {
	const char *name;
	void (*run)(void);
};

static void spawn_table(int iter, bool with_fork)
{
	struct method m[] = {
		{ "vfork+execveat (floor)", run_vfork_execveat },
		{ "posix_spawn", run_posix_spawn },
		{ "cfork(\"noop\")", run_cfork },
		{ "fork+execveat", run_fork_execve },
	};
	int nm = with_fork ? 4 : 3;
	struct series s[4];

	for (int k = 0; k < nm; k++) {
		s[k] = (struct series){ m[k].name, calloc((size_t)iter, sizeof(double)), iter };
		m[k].run();	/* warm up */
	}
	for (int i = 0; i < iter; i++) {
		for (int k = 0; k < nm; k++) {
			double t = now_us();
			m[k].run();
			s[k].us[i] = now_us() - t;
		}
	}
	double floor = quantile(&s[0], 0.5), ps = quantile(&s[1], 0.5);
	printf("  %-24s %10s %10s %9s %9s\n", "spawn + wait", "p50 us",
	       "p99 us", "/floor", "/posix");
	for (int k = 0; k < nm; k++) {
		double p50 = quantile(&s[k], 0.5);
		printf("  %-24s %10.1f %10.1f %8.3fx %8.3fx\n", s[k].name, p50,
		       quantile(&s[k], 0.99), p50 / floor, p50 / ps);
		free(s[k].us);
	}
}

static uint64_t sum64(const void *buf, size_t len)
{
	const uint64_t *p = buf;
	uint64_t sum = 0;

	for (size_t i = 0; i < len / 8; i++)
		sum += p[i];
	return sum;
}

/* One end-to-end pass: spawn until the child has read every byte. Returns
   the total time; *parent_us gets the time cfork_spawnv took. */
static double pass_bytes(const void *buf, size_t len, uint64_t want,
			 double *parent_us)
{
	cfork_proc *p;
	cfork_status st;
	cfork_value v = cfork_bytes(buf, len);
	double t0 = now_us();
	int r = cfork_spawnv(&p, NULL, "checksum", &v, 1);

	*parent_us = now_us() - t0;
	if (r < 0)
		die("spawn checksum", r);
	r = cfork_wait(p, -1, &st);
	double t = now_us() - t0;
	uint64_t got;
	if (r < 0 || !st.exited || st.code || st.result_len != 8)
		die("checksum child", r ? r : -EIO);
	memcpy(&got, st.result, 8);
	if (got != want)
		die("checksum mismatch", -EIO);
	cfork_free(p);
	return t;
}

/* Zero copy: the bytes are written in place into a fresh cfork_buffer (not
   timed: the caller fills its data wherever it lives), then passed. The
   parent's time includes the freeze. */
static double pass_buffer(const void *src, size_t len, uint64_t want,
			  double *parent_us)
{
	cfork_buffer *b;
	cfork_proc *p;
	cfork_status st;
	uint64_t got;

	if (cfork_buffer_new(&b, len))
		die("cfork_buffer_new", -ENOMEM);
	memcpy(cfork_buffer_data(b), src, len);
	double t0 = now_us();
	int r = cfork_spawn(&p, NULL, "checksum", b);
	*parent_us = now_us() - t0;
	if (r < 0)
		die("spawn checksum (buffer)", r);
	r = cfork_wait(p, -1, &st);
	double t = now_us() - t0;
	if (r < 0 || !st.exited || st.code || st.result_len != 8)
		die("checksum child (buffer)", r ? r : -EIO);
	memcpy(&got, st.result, 8);
	if (got != want)
		die("checksum mismatch (buffer)", -EIO);
	cfork_free(p);
	cfork_buffer_free(b);
	return t;
}

/* The write-out methods, forced through CFORK_WRITEOUT; "auto" is what
   cfork chooses by itself; "buffer" is a cfork_buffer; "launch" passes
   only the first 8 bytes, for what a launch alone costs in the same round
   (a parent holding more memory launches more slowly on some hosts). */
static const char *const methods[] = { "pwritev", "uring", "auto", "buffer",
				       "launch" };
#define NMETHODS 5
#define AUTO_METHOD 2

static void args_table(int iter, bool large)
{
	static const size_t sizes[] = { 4 << 10, 64 << 10, 256 << 10, 1 << 20,
					8 << 20, 64 << 20, 512 << 20 };
	int nsizes = large ? 7 : 6;

	printf("  %-10s %-8s %12s %12s %12s %10s\n", "bytes", "method",
	       "e2e p50 us", "e2e p99 us", "parent p50", "/best");
	for (int k = 0; k < nsizes; k++) {
		size_t len = sizes[k];
		/* 64 MiB keeps every round: its medians are the noisiest. */
		int n = len > (64 << 20) ? (iter / 10 > 5 ? iter / 10 : 5) : iter;
		unsigned char *buf = malloc(len);
		if (!buf)
			die("malloc", -ENOMEM);
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)(i * 7 + 1);
		uint64_t want = sum64(buf, len);
		struct series e2e[NMETHODS], par[NMETHODS];
		for (int m = 0; m < NMETHODS; m++) {
			e2e[m] = (struct series){ methods[m], calloc((size_t)n, sizeof(double)), n };
			par[m] = (struct series){ methods[m], calloc((size_t)n, sizeof(double)), n };
		}
		/* A new random order each round: a method must not always
		   inherit what the same other one left behind (io-wq workers,
		   pages being freed). */
		unsigned seed = 1;
		for (int i = 0; i < n; i++) {
			int order[NMETHODS];
			for (int j = 0; j < NMETHODS; j++)
				order[j] = j;
			for (int j = NMETHODS - 1; j > 0; j--) {
				int k = rand_r(&seed) % (j + 1), t = order[j];
				order[j] = order[k];
				order[k] = t;
			}
			for (int j = 0; j < NMETHODS; j++) {
				int m = order[j];
				if (!strcmp(methods[m], "buffer")) {
					e2e[m].us[i] = pass_buffer(buf, len, want, &par[m].us[i]);
					continue;
				}
				if (!strcmp(methods[m], "launch")) {
					unsetenv("CFORK_WRITEOUT");
					e2e[m].us[i] = pass_bytes(buf, 8, sum64(buf, 8),
								  &par[m].us[i]);
					continue;
				}
				setenv("CFORK_WRITEOUT", methods[m], 1);
				e2e[m].us[i] = pass_bytes(buf, len, want, &par[m].us[i]);
			}
		}
		unsetenv("CFORK_WRITEOUT");
		/* "/best" compares with the best copying method, so that auto's
		   choice can be judged against what it chose from. */
		double p50[NMETHODS], best = 1e300;
		for (int m = 0; m < NMETHODS; m++) {
			p50[m] = quantile(&e2e[m], 0.5);
			if (m < AUTO_METHOD && p50[m] < best)
				best = p50[m];
		}
		for (int m = 0; m < NMETHODS; m++) {
			printf("  %-10zu %-8s %12.1f %12.1f %12.1f %9.3fx\n", len,
			       methods[m], p50[m], quantile(&e2e[m], 0.99),
			       quantile(&par[m], 0.5), p50[m] / best);
			free(e2e[m].us);
			free(par[m].us);
		}
		free(buf);
	}
}

/* What filling the memory an argument is made in costs the caller, fresh
   each time: a cfork_buffer, fresh anonymous pages, and malloc (which
   recycles what the last round freed below its mmap threshold). */
enum { FILL_MALLOC, FILL_MMAP, FILL_BUFFER, NFILL };

static double fill_once(int how, size_t len)
{
	cfork_buffer *b = NULL;
	void *p;
	double t0 = now_us();

	if (how == FILL_BUFFER) {
		int r = cfork_buffer_new(&b, len);
		if (r < 0)
			die("cfork_buffer_new", r);
		p = cfork_buffer_data(b);
	} else if (how == FILL_MMAP) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap", -errno);
	} else if (!(p = malloc(len))) {
		die("malloc", -ENOMEM);
	}
	memset(p, 0x5a, len);
	double t = now_us() - t0;
	if (how == FILL_BUFFER)
		cfork_buffer_free(b);
	else if (how == FILL_MMAP)
		munmap(p, len);
	else
		free(p);
	return t;
}

static void fill_table(int iter)
{
	static const size_t sizes[] = { 1 << 20, 8 << 20, 64 << 20 };

	printf("  %-10s %14s %14s %14s %8s\n", "bytes", "malloc p50 us",
	       "mmap p50 us", "buffer p50 us", "/mmap");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		struct series s[NFILL];
		for (int m = 0; m < NFILL; m++)
			s[m] = (struct series){ "", calloc((size_t)iter, sizeof(double)), iter };
		for (int i = 0; i < iter; i++)
			for (int j = 0; j < NFILL; j++) {
				int m = (i + j) % NFILL;
				s[m].us[i] = fill_once(m, sizes[k]);
			}
		double p50[NFILL];
		for (int m = 0; m < NFILL; m++) {
			p50[m] = quantile(&s[m], 0.5);
			free(s[m].us);
		}
		printf("  %-10zu %14.1f %14.1f %14.1f %7.3fx\n", sizes[k],
		       p50[FILL_MALLOC], p50[FILL_MMAP], p50[FILL_BUFFER],
		       p50[FILL_BUFFER] / p50[FILL_MMAP]);
	}
}

struct thread_arg {
	double seconds;
	void (*run)(void);
	long count;
};

static void *spawner(void *arg)
{
	struct thread_arg *t = arg;
	double end = now_us() + t->seconds * 1e6;

	while (now_us() < end) {
		t->run();
		t->count++;
	}
	return NULL;
}

static double spawns_per_second(int n, void (*run)(void), double seconds)
{
	pthread_t th[4];
	struct thread_arg ta[4];
	long total = 0;

	for (int i = 0; i < n; i++) {
		ta[i] = (struct thread_arg){ seconds, run, 0 };
		pthread_create(&th[i], NULL, spawner, &ta[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		total += ta[i].count;
	}
	return total / seconds;
}

static void threads_table(double seconds)
{
	printf("  %-10s %14s %14s %9s\n", "threads", "cfork/s",
	       "posix_spawn/s", "ratio");
	for (int n = 1; n <= 4; n *= 2) {
		double c = spawns_per_second(n, run_cfork, seconds);
		double p = spawns_per_second(n, run_posix_spawn, seconds);
		printf("  %-10d %14.0f %14.0f %8.3fx\n", n, c, p, c / p);
	}
}

int main(int argc, char **argv)
{
	int iter = 300;
	long resident_gib = 0;
	bool large = false, spawn = true, args = true, threads = true;

	if (argc > 1 && !strcmp(argv[1], "--exit"))
		return 0;
	cfork_init();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iter = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--resident") && i + 1 < argc)
			resident_gib = atol(argv[++i]);
		else if (!strcmp(argv[i], "--large"))
			large = true;
		else if (!strcmp(argv[i], "--no-spawn"))
			spawn = false;
		else if (!strcmp(argv[i], "--no-args"))
			args = false;
		else if (!strcmp(argv[i], "--no-threads"))
			threads = false;
		else {
			fprintf(stderr, "usage: %s [-n ITER] [--resident GIB] "
				"[--large] [--no-spawn] [--no-args] "
				"[--no-threads]\n", argv[0]);
			return 2;
		}
	}
	self_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (self_fd < 0)
		die("open /proc/self/exe", -errno);

	if (spawn) {
		printf("spawn + wait of a trivial child, %d runs each, interleaved\n",
		       iter);
		spawn_table(iter, false);
	}
	if (resident_gib) {
		size_t len = (size_t)resident_gib << 30;
		char *big = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (big == MAP_FAILED)
			die("mmap resident", -errno);
		memset(big, 1, len);
		printf("\nthe same with the parent holding %ld GiB resident\n",
		       resident_gib);
		spawn_table(iter / 3 > 20 ? iter / 3 : 20, true);
		munmap(big, len);
	}
	if (args) {
		printf("\nbyte argument end to end (spawn until the child has "
		       "read every byte)\n");
		args_table(iter / 3 > 10 ? iter / 3 : 10, large);
		printf("\nnew memory filled by the caller (malloc, fresh mmap or "
		       "cfork_buffer_new, then memset)\n");
		fill_table(iter / 10 > 10 ? iter / 10 : 10);
	}
	if (threads) {
		printf("\nthreads spawning at once\n");
		threads_table(1.0);
	}
	return 0;
}
