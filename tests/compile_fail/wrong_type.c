/* expect: resize: argument 2 (1.5) is not an int64_t */
/* SPDX-License-Identifier: MIT */
/* A double for an int64_t: plain C would truncate it in silence. */
#include <cfork.h>

CFORK_FN(resize, (const char *, path), (int64_t, width))
{
	return path[0] == '\0' || width < 0;
}

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(resize, "in.png", 1.5);
#else
	return CFORK_CALL(resize, "in.png", 640);
#endif
}
