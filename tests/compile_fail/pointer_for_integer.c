/* expect: resize: argument 2 (\"640\") is not an int64_t */
/* SPDX-License-Identifier: MIT */
/* A pointer for an integer: only a warning in plain C before gcc 14. */
#include <cfork.h>

CFORK_FN(resize, (const char *, path), (int64_t, width))
{
	return path[0] == '\0' || width < 0;
}

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(resize, "in.png", "640");
#else
	return CFORK_CALL(resize, "in.png", 640);
#endif
}
