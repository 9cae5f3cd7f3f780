/* SPDX-License-Identifier: MIT */
#include <errno.h>

/* No trampoline for this architecture: every spawn fails with -ENOSYS. */
__attribute__((visibility("hidden")))
long arch_clone(long nr, long a1, long a2, long a3, int (*fn)(void *),
		void *arg)
{
	(void)nr; (void)a1; (void)a2; (void)a3; (void)fn; (void)arg;
	return -ENOSYS;
}
