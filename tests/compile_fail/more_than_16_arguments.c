/* expect: resize: too many arguments for its CFORK_FN (at most 16) */
/* max-errors: 1 */
/* SPDX-License-Identifier: MIT */
#include <cfork.h>

CFORK_FN(resize, (const char *, path), (int64_t, width))
{
	return path[0] == '\0' || width < 0;
}

int start(cfork_proc **p)
{
#ifndef FIXED
	return CFORK_START(p, NULL, resize, "in.png", 1, 2, 3, 4, 5, 6, 7, 8,
			   9, 10, 11, 12, 13, 14, 15, 16);
#else
	return CFORK_START(p, NULL, resize, "in.png", 1);
#endif
}
