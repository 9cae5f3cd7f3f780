/* expect: CFORK_FN, CFORK_START and CFORK_CALL are C only */
/* SPDX-License-Identifier: MIT */
/* C++: the typed family is C only (C11 _Generic); its use says what to
   use instead. */
#include <cfork.h>

#ifndef FIXED
CFORK_FN(resize, (int64_t, width))
{
	return (int)width;
}

int start(void)
{
	return CFORK_CALL(resize, 640);
}
#else
static int resize(const cfork_args *a)
{
	return (int)cfork_arg_i64(a, 0);
}
CFORK_REGISTER(resize, "i");

int start(void)
{
	return cfork("resize", 640);
}
#endif
