/* expect: ping: too many arguments */
/* SPDX-License-Identifier: MIT */
#include <cfork.h>

CFORK_FN(ping)
{
	return 0;
}

int start(void)
{
#ifndef FIXED
	return CFORK_CALL(ping, 1);
#else
	return CFORK_CALL(ping);
#endif
}
