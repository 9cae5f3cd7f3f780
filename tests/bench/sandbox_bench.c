/* SPDX-License-Identifier: MIT */
/*
 * What each sandbox layer costs a spawn: spawn + wait + free of a function
 * that returns at once, with no sandbox, with the base every sandbox
 * applies (its filter, its landlock domain, the capability drop) alone, and
 * with one layer at a time on top of it, then all of them. Configurations are interleaved round-robin in one process so
 * that they see the same machine, in a new random order each round; medians
 * and p90 are printed, with the difference to no sandbox. A layer this host
 * refuses is left out and said so.
 *
 *   sandbox_bench [-n RUNS]
 */
#include <cfork.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

static int sb_bench_noop(const cfork_args *a)
{
	(void)a;
	return 0;
}
CFORK_REGISTER(sb_bench_noop, "");

struct config {
	const char *name;
	cfork_sandbox *sb;	/* NULL: no sandbox */
	unsigned want;		/* the layers it must get */
	double *us;
	bool skip;
};

/* One spawn + wait: its time in µs, or a negative errno. */
static double one(const struct config *c)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	double t0 = now_us();

	attr.sandbox = c->sb;
	int r = cfork_spawn(&p, &attr, "sb_bench_noop");
	if (r < 0)
		return r;
	r = cfork_wait(p, -1, &st);
	double t = now_us() - t0;
	unsigned applied = cfork_sandbox_applied(p);
	cfork_free(p);
	if (r < 0)
		return r;
	if (!st.exited || st.code || applied != c->want)
		return -EPROTO;
	return t;
}

static cfork_sandbox *sandbox(unsigned presets)
{
	cfork_sandbox *sb;

	if (cfork_sandbox_new(&sb, presets) < 0) {
		fprintf(stderr, "cfork_sandbox_new failed\n");
		exit(1);
	}
	return sb;
}

int main(int argc, char **argv)
{
	int runs = 300;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-n") || !strcmp(argv[i], "--runs")) &&
		    i + 1 < argc)
			runs = atoi(argv[++i]);
	}
	if (runs < 1 || cfork_init() < 0)
		return 1;

	cfork_sandbox *empty = sandbox(0);
	cfork_sandbox *compute = sandbox(CFORK_SB_COMPUTE);
	cfork_sandbox *denylist = sandbox(CFORK_SB_NO_NETWORK |
					  CFORK_SB_NO_EXEC |
					  CFORK_SB_NO_FS_WRITE);
	cfork_sandbox *landlock = sandbox(0);
	cfork_sandbox_fs(landlock, "/usr", CFORK_FS_READ | CFORK_FS_EXEC);
	cfork_sandbox_fs(landlock, "/tmp", CFORK_FS_READ | CFORK_FS_WRITE);
	cfork_sandbox *limits = sandbox(0);
	cfork_sandbox_rlimit(limits, RLIMIT_AS, 1ULL << 30);
	cfork_sandbox_rlimit(limits, RLIMIT_CPU, 10);
	cfork_sandbox_rlimit(limits, RLIMIT_NOFILE, 64);
	cfork_sandbox_rlimit(limits, RLIMIT_FSIZE, 1 << 20);
	cfork_sandbox *netns = sandbox(0);
	cfork_sandbox_namespaces(netns, CFORK_NS_NET);
	cfork_sandbox *userns = sandbox(0);
	cfork_sandbox_namespaces(userns, CFORK_NS_USER | CFORK_NS_NET);
	cfork_sandbox *allns = sandbox(0);
	cfork_sandbox_namespaces(allns, CFORK_NS_USER | CFORK_NS_NET |
					CFORK_NS_PID | CFORK_NS_IPC |
					CFORK_NS_UTS | CFORK_NS_MOUNT);
	cfork_sandbox *all = sandbox(CFORK_SB_COMPUTE);
	cfork_sandbox_fs(all, "/usr", CFORK_FS_READ);
	cfork_sandbox_rlimit(all, RLIMIT_AS, 1ULL << 30);
	cfork_sandbox_rlimit(all, RLIMIT_NOFILE, 64);
	cfork_sandbox_namespaces(all, CFORK_NS_USER | CFORK_NS_NET);

	struct config c[] = {
		{ "no sandbox", NULL, 0, NULL, false },
		{ "base only (an empty sandbox)", empty, 0, NULL, false },
		{ "seccomp COMPUTE (allow list)", compute,
		  CFORK_LAYER_SECCOMP, NULL, false },
		{ "seccomp NO_NETWORK|NO_EXEC|NO_FS_WRITE", denylist,
		  CFORK_LAYER_SECCOMP, NULL, false },
		{ "landlock (2 trees)", landlock, CFORK_LAYER_LANDLOCK, NULL,
		  false },
		{ "rlimits (4)", limits, CFORK_LAYER_RLIMITS, NULL, false },
		{ "namespaces: net", netns, CFORK_LAYER_NAMESPACES, NULL,
		  false },
		{ "namespaces: user+net", userns, CFORK_LAYER_NAMESPACES,
		  NULL, false },
		{ "namespaces: user+net+pid+ipc+uts+mount", allns,
		  CFORK_LAYER_NAMESPACES, NULL, false },
		{ "all: COMPUTE+landlock+rlimits+user+net", all,
		  CFORK_LAYER_SECCOMP | CFORK_LAYER_LANDLOCK |
		  CFORK_LAYER_RLIMITS | CFORK_LAYER_NAMESPACES, NULL, false },
	};
	const size_t n = sizeof(c) / sizeof(*c);

	/* Every sandbox's filter carries the base. */
	for (size_t k = 0; k < n; k++)
		if (c[k].sb)
			c[k].want |= CFORK_LAYER_SECCOMP;

	/* Warm up, and find what this host refuses. */
	for (size_t k = 0; k < n; k++) {
		c[k].us = malloc((size_t)runs * sizeof(double));
		if (!c[k].us)
			return 1;
		for (int w = 0; w < 5 && !c[k].skip; w++) {
			double t = one(&c[k]);
			if (t < 0) {
				printf("%-42s skipped: %s\n", c[k].name,
				       strerror((int)-t));
				c[k].skip = true;
			}
		}
	}

	/* Each round in a new random order: the kernel tears a network
	   namespace down after the child is gone, and that work would
	   otherwise always land on the spawn that comes next. */
	size_t order[sizeof(c) / sizeof(*c)];
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (size_t k = 0; k < n; k++)
		order[k] = k;
	for (int i = 0; i < runs; i++) {
		for (size_t j = n - 1; j > 0; j--) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			size_t r = (size_t)(seed % (j + 1)), t = order[j];
			order[j] = order[r];
			order[r] = t;
		}
		for (size_t j = 0; j < n; j++) {
			size_t k = order[j];
			if (c[k].skip)
				continue;
			double t = one(&c[k]);
			if (t < 0) {
				fprintf(stderr, "%s: %s\n", c[k].name,
					strerror((int)-t));
				return 1;
			}
			c[k].us[i] = t;
		}
	}

	printf("spawn + wait of a function that returns at once, %d runs "
	       "each, interleaved\n", runs);
	printf("%-42s %9s %9s %9s\n", "", "median", "p90", "+median");
	double base = 0;
	for (size_t k = 0; k < n; k++) {
		if (c[k].skip)
			continue;
		qsort(c[k].us, (size_t)runs, sizeof(double), cmp_double);
		double med = c[k].us[runs / 2];
		double p90 = c[k].us[runs * 9 / 10];
		if (k == 0)
			base = med;
		printf("%-42s %7.0fus %7.0fus %+7.0fus\n", c[k].name, med,
		       p90, med - base);
	}

	for (size_t k = 0; k < n; k++) {
		cfork_sandbox_free(c[k].sb);
		free(c[k].us);
	}
	return 0;
}
