/* expect: is not a string: char * or const char * */
/* SPDX-License-Identifier: MIT */
/* NULL is no string; a const char * that is NULL fails at run time. */
#include <cfork.h>

CFORK_FN(open_log, (const char *, path))
{
	return path[0] == '\0';
}

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(open_log, NULL);
#else
	return CFORK_CALL(open_log, "");
#endif
}
