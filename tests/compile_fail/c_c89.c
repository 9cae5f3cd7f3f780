/* expect: cfork.h needs C11 or later */
/* flags: -std=c89 -pedantic-errors */
/* fixed-flags: -std=c11 -pedantic-errors */
/* max-errors: 1 */
/* SPDX-License-Identifier: MIT */
/* A C older than C11: one #error that says what to pass, and the compiler
   stops there, rather than an error per use of _Generic and
   _Static_assert in the macros and per call of the program. */
#include <cfork.h>

static int child(const cfork_args *a)
{
	return (int)cfork_arg_i64(a, 0);
}
CFORK_REGISTER(child, "i");

CFORK_FN(typed, (int64_t, n))
{
	return (int)n;
}

int start(void)
{
	cfork_proc *p;
	int r = cfork_spawn(&p, NULL, "child", 1);

	if (r == 0)
		cfork_free(p);
	return r + cfork("child", 2) + CFORK_CALL(typed, 3);
}
