/* expect: reserve: argument 1 (-1) is not a uint64_t */
/* SPDX-License-Identifier: MIT */
/* A negative constant for a uint64_t would arrive as 2^64 - 1. */
#include <cfork.h>

CFORK_FN(reserve, (uint64_t, bytes))
{
	return bytes == 0;
}

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(reserve, -1);
#else
	return CFORK_CALL(reserve, UINT64_MAX);
#endif
}
