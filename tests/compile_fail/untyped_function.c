/* expect: CFORK_FN_plain */
/* SPDX-License-Identifier: MIT */
/* CFORK_REGISTER gives no types to check against: start it with cfork(). */
#include <cfork.h>

static int plain(const cfork_args *a)
{
	return (int)cfork_arg_i64(a, 0);
}
CFORK_REGISTER(plain, "i");

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(plain, 1);
#else
	return cfork("plain", 1);
#endif
}
