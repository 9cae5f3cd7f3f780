/* expect: reserve: argument 1 (n) is not a uint64_t */
/* SPDX-License-Identifier: MIT */
/* A signed variable may be negative: the caller decides how to convert. */
#include <cfork.h>

CFORK_FN(reserve, (uint64_t, bytes))
{
	return bytes == 0;
}

int start(long n)
{
#ifndef FIXED
	return CFORK_CALL(reserve, n);
#else
	return n < 0 ? -1 : CFORK_CALL(reserve, (uint64_t)n);
#endif
}
