/* expect: CFORK_FN_resise */
/* SPDX-License-Identifier: MIT */
/* A misspelt name: no CFORK_FN(resise, ...) is in scope. */
#include <cfork.h>

CFORK_FN(resize, (const char *, path), (int64_t, width))
{
	return path[0] == '\0' || width < 0;
}

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(resise, "in.png", 640);
#else
	return CFORK_CALL(resize, "in.png", 640);
#endif
}
