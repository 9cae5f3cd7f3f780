/* expect: scale: argument 1 (big) is not a double */
/* SPDX-License-Identifier: MIT */
/* Not every int64_t has a double that equals it. */
#include <cfork.h>

CFORK_FN(scale, (double, factor))
{
	return factor > 1.0;
}

int start(int64_t big)
{
#ifndef FIXED
	return CFORK_CALL(scale, big);
#else
	return CFORK_CALL(scale, (double)big);
#endif
}
