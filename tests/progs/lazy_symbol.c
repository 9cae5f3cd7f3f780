/* SPDX-License-Identifier: MIT */
/*
 * A program that runs only with lazy binding: it loads a library that
 * calls a function no library defines, in code that never runs (as a
 * library that lost a symbol it never calls would). Its fork servers
 * cannot bind every symbol at their start, and must still serve.
 *
 *   lazy_symbol     prints "warm N of M": how many of M calls through a
 *                   fork server ran in one
 */
#include <cfork.h>
#include <stdio.h>

int lazy_symbol_lib_loaded(void);

static int lazy_symbol_noop(const cfork_args *a)
{
	(void)a;
	return 0;
}
CFORK_REGISTER(lazy_symbol_noop, "");

int main(void)
{
	enum { CALLS = 6 };
	cfork_pool *pool;
	int warm = 0;

	if (cfork_init() < 0 || !lazy_symbol_lib_loaded() ||
	    cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK) < 0)
		return 1;
	for (int i = 0; i < CALLS; i++) {
		cfork_status st;
		cfork_proc *p;

		if (cfork_pool_spawn(pool, &p, "lazy_symbol_noop") < 0 ||
		    cfork_wait(p, 20000, &st) < 0 || !st.exited ||
		    st.code != 0)
			return 1;
		/* The first call may find the first server dead, or see it
		   end before it answers. */
		warm += i > 0 && (cfork_paths(p) & CFORK_PATH_FORK_SERVER);
		cfork_free(p);
	}
	cfork_pool_free(pool);
	printf("warm %d of %d\n", warm, CALLS - 1);
	return 0;
}
