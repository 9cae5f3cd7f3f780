/* SPDX-License-Identifier: MIT */
/*
 * Warm start: requests served by sandboxed children that were started
 * ahead of demand.
 *
 * A request handler that runs untrusted input in a fresh, sandboxed
 * process per request pays a launch each time. A pool launches the
 * children before the requests come; each request is handed to one that
 * waits, which applies the sandbox, runs it and exits. The fork server
 * does the same with a fork per request, for more requests per second,
 * at the price of children that share one address layout.
 */
#include <cfork.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Counts the words of an input; "!crash" stands for one that exploits a
   bug in the parser. */
static int count_words(const cfork_args *a)
{
	const char *text = cfork_arg_str(a, 0);
	int words = 0;

	if (!strcmp(text, "!crash"))
		*(volatile int *)0 = 1;
	for (const char *p = text; *p; p++)
		words += (p == text || p[-1] == ' ') && *p != ' ';
	return cfork_return(&words, sizeof(words)) == 0 ? 0 : 1;
}
CFORK_REGISTER(count_words, "s");

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Serves the requests through the pool; 0 if every answer was right. */
static int serve(cfork_pool *pool, const char *mode)
{
	static const char *requests[] = { "one", "two words", "!crash",
					  "a b c d", "", "  spaced  out  " };
	static const int want[] = { 1, 2, -1, 4, 0, 2 };
	int warm = 0, bad = 0;
	double t0 = now_ms();

	for (size_t i = 0; i < sizeof(requests) / sizeof(*requests); i++) {
		cfork_status st;
		cfork_proc *p;
		int words = -1;
		int r = cfork_pool_spawn(pool, &p, "count_words", requests[i]);

		if (r < 0) {
			fprintf(stderr, "pool: spawn: %s\n", strerror(-r));
			return 1;
		}
		warm += !!(cfork_paths(p) &
			   (CFORK_PATH_POOL | CFORK_PATH_FORK_SERVER));
		r = cfork_wait(p, 5000, &st);
		if (r == 0 && st.exited && st.code == 0 &&
		    st.result_len == sizeof(words))
			memcpy(&words, st.result, sizeof(words));
		else if (r == 0 && !st.exited)
			printf("  %-16s killed by signal %d: only its child "
			       "died\n", requests[i], st.signal);
		bad += words != want[i];
		cfork_free(p);
	}
	printf("%s: 6 requests in %.1f ms, %d served warm, %s\n", mode,
	       now_ms() - t0, warm, bad ? "WRONG ANSWERS" : "all answers right");
	return bad != 0;
}

int main(void)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_pool *pool;
	int r, bad = 0;

	if ((r = cfork_init()) < 0 ||
	    (r = cfork_sandbox_new(&sb, CFORK_SB_COMPUTE)) < 0) {
		fprintf(stderr, "pool: %s\n", strerror(-r));
		return 1;
	}
	attr.sandbox = sb;
	/* Four children wait; each request takes one, and the pool's thread
	   launches its replacement. */
	if ((r = cfork_pool_new(&pool, &attr, 4, CFORK_POOL_EXEC)) < 0) {
		fprintf(stderr, "pool: cfork_pool_new: %s\n", strerror(-r));
		return 1;
	}
	bad |= serve(pool, "pool of exec'd children");
	cfork_pool_free(pool);

	if ((r = cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK)) < 0) {
		fprintf(stderr, "pool: cfork_pool_new: %s\n", strerror(-r));
		return 1;
	}
	bad |= serve(pool, "fork server");
	cfork_pool_free(pool);
	cfork_sandbox_free(sb);
	return bad;
}
