/* expect: resize: too many arguments */
/* SPDX-License-Identifier: MIT */
#include <cfork.h>

CFORK_FN(resize, (const char *, path), (int64_t, width))
{
	return path[0] == '\0' || width < 0;
}

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(resize, "in.png", 640, 480);
#else
	return CFORK_CALL(resize, "in.png", 640);
#endif
}
