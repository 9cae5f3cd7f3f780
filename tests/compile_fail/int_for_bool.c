/* expect: log_to: argument 2 (verbosity) is not a bool */
/* SPDX-License-Identifier: MIT */
/* An int that is not the constant 0 or 1, for a bool: 2 would become true.
   A comparison is an int too, so the fix casts it. */
#include <cfork.h>

CFORK_FN(log_to, (const char *, path), (bool, verbose))
{
	return path[0] == '\0' || verbose;
}

int start(int verbosity)
{
#ifndef FIXED
	return CFORK_CALL(log_to, "log.txt", verbosity);
#else
	return CFORK_CALL(log_to, "log.txt", (bool)(verbosity > 1));
#endif
}
