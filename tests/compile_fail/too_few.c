/* expect: resize: too few arguments */
/* SPDX-License-Identifier: MIT */
#include <cfork.h>

CFORK_FN(resize, (const char *, path), (int64_t, width))
{
	return path[0] == '\0' || width < 0;
}

int start(void)
{
	cfork_proc *p;

#ifndef FIXED
	return CFORK_START(&p, NULL, resize, "in.png");
#else
	return CFORK_START(&p, NULL, resize, "in.png", 640);
#endif
}
