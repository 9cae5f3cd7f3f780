/* expect: cfork: at most 16 values in one call */
/* max-errors: 1 */
/* SPDX-License-Identifier: MIT */
/* The count of the variadic macros stops at 16: a 17th value used to be
   taken for the count and fail only at link time. */
#include <cfork.h>

int start(void)
{
#ifndef FIXED
	return cfork("sum", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		     16, 17);
#else
	const cfork_value v[] = {
		CFORK_VAL(1), CFORK_VAL(2), CFORK_VAL(3), CFORK_VAL(4),
		CFORK_VAL(5), CFORK_VAL(6), CFORK_VAL(7), CFORK_VAL(8),
		CFORK_VAL(9), CFORK_VAL(10), CFORK_VAL(11), CFORK_VAL(12),
		CFORK_VAL(13), CFORK_VAL(14), CFORK_VAL(15), CFORK_VAL(16),
		CFORK_VAL(17),
	};

	return cfork_runv(NULL, "sum", v, sizeof(v) / sizeof(v[0]));
#endif
}
