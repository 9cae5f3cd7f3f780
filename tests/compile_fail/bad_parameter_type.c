/* expect: CFORK_FN(resize): parameter width has type int */
/* SPDX-License-Identifier: MIT */
/* int would be ambiguous (a count or an fd?): parameters use fixed types. */
#include <cfork.h>

#ifndef FIXED
CFORK_FN(resize, (const char *, path), (int, width))
#else
CFORK_FN(resize, (const char *, path), (int64_t, width))
#endif
{
	return path[0] == '\0' || width < 0;
}
