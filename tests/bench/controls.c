/* SPDX-License-Identifier: MIT */
/*
 * What each service control costs a spawn: spawn + wait + free of a
 * function that returns at once, plain and with one control at a time,
 * interleaved round-robin in one process (a new order each round);
 * medians and the difference to the plain spawn.
 *
 *   controls [-n RUNS]
 */
#include <cfork.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

static int ctl_bench_noop(const cfork_args *a)
{
	(void)a;
	return 0;
}
CFORK_REGISTER(ctl_bench_noop, "");

/* One spawn + wait: its time in µs, or a negative errno. */
static double one(const cfork_attr *attr)
{
	cfork_status st;
	cfork_proc *p;
	double t0 = now_us();
	int r = cfork_spawn(&p, attr, "ctl_bench_noop");

	if (r < 0)
		return r;
	r = cfork_wait(p, -1, &st);
	double t = now_us() - t0;
	cfork_free(p);
	return r < 0 ? r : !st.exited || st.code ? -EPROTO : t;
}

int main(int argc, char **argv)
{
	static const char *const env[] = { "PATH=/usr/bin:/bin", "LANG=C",
					   NULL };
	enum { PLAIN, ENVP, CWD, CAPTURE, DEADLINE, SETSID, N };
	static const char *const name[N] = {
		"plain", "envp (2 variables)", "cwd", "capture stdout+stderr",
		"deadline_ms 60000", "setsid",
	};
	cfork_attr attr[N];
	double *us[N];
	int runs = 300;
	uint64_t seed = 0x9e3779b97f4a7c15u;

	for (int i = 1; i < argc; i++)
		if ((!strcmp(argv[i], "-n") || !strcmp(argv[i], "--runs")) &&
		    i + 1 < argc)
			runs = atoi(argv[++i]);
	if (runs < 1 || cfork_init() < 0)
		return 1;
	for (int k = 0; k < N; k++) {
		attr[k] = (cfork_attr)CFORK_ATTR_INIT;
		us[k] = malloc((size_t)runs * sizeof(double));
		if (!us[k])
			return 1;
	}
	attr[ENVP].envp = env;
	attr[CWD].cwd = "/tmp";
	attr[CAPTURE].capture = CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR;
	attr[DEADLINE].deadline_ms = 60000;
	attr[SETSID].flags = CFORK_ATTR_SETSID;

	for (int k = 0; k < N; k++)
		for (int w = 0; w < 5; w++)
			if (one(&attr[k]) < 0) {
				fprintf(stderr, "%s: refused here\n", name[k]);
				return 1;
			}
	int order[N];
	for (int k = 0; k < N; k++)
		order[k] = k;
	for (int i = 0; i < runs; i++) {
		for (int j = N - 1; j > 0; j--) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			int r = (int)(seed % (uint64_t)(j + 1)), t = order[j];
			order[j] = order[r];
			order[r] = t;
		}
		for (int j = 0; j < N; j++) {
			double t = one(&attr[order[j]]);
			if (t < 0) {
				fprintf(stderr, "%s: %s\n", name[order[j]],
					strerror((int)-t));
				return 1;
			}
			us[order[j]][i] = t;
		}
	}
	printf("spawn + wait of a function that returns at once, %d runs "
	       "each, interleaved\n", runs);
	printf("%-26s %9s %9s\n", "", "median", "+median");
	double base = 0;
	for (int k = 0; k < N; k++) {
		qsort(us[k], (size_t)runs, sizeof(double), cmp_double);
		double med = us[k][runs / 2];
		if (k == PLAIN)
			base = med;
		printf("%-26s %7.0fus %+7.0fus\n", name[k], med, med - base);
		free(us[k]);
	}
	return 0;
}
