/* SPDX-License-Identifier: MIT */
#ifndef CFORK_ARCH_SIGSYS_H
#define CFORK_ARCH_SIGSYS_H

/* No re-trap for this architecture: the handler exits with
   CFORK_EXIT_SANDBOX instead of dying by SIGSYS. */
#include <signal.h>

static inline void arch_retrap(const siginfo_t *si, void *ctx)
{
	(void)si;
	(void)ctx;
}

#endif
