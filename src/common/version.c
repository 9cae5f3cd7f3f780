/* SPDX-License-Identifier: MIT */
/*
 * cfork_version: the version of the library actually linked. The Makefile's
 * VERSION is the one source of truth; it passes it here (CFORK_BUILD_*), and
 * the build stops when include/cfork.h's CFORK_VERSION_* say otherwise, so
 * that the header a program compiles against never lies about the library.
 */
#include "common.h"

#if !defined(CFORK_BUILD_VERSION) || !defined(CFORK_BUILD_MAJOR) || \
	!defined(CFORK_BUILD_MINOR) || !defined(CFORK_BUILD_PATCH)
#error "version.c takes the Makefile's VERSION: build it with make"
#endif

/* Both sides are the same number when all is well: that is the point.
   NOLINTBEGIN(misc-redundant-expression) */
_Static_assert(CFORK_VERSION_MAJOR == CFORK_BUILD_MAJOR &&
	       CFORK_VERSION_MINOR == CFORK_BUILD_MINOR &&
	       CFORK_VERSION_PATCH == CFORK_BUILD_PATCH,
	       "include/cfork.h's CFORK_VERSION_* differ from the Makefile's "
	       "VERSION " CFORK_BUILD_VERSION);
/* NOLINTEND(misc-redundant-expression) */

const char *cfork_version(void)
{
	return CFORK_BUILD_VERSION;
}
