/* SPDX-License-Identifier: MIT */
#ifndef CFORK_ARCH_SIGSYS_H
#define CFORK_ARCH_SIGSYS_H

/*
 * arch_retrap(si, ctx): make the trapped system call again, from the SIGSYS
 * handler, with the arguments it had (x0-x5 of the signal's ucontext): the
 * filter answers the same, and the kernel, with SIGSYS back to its default
 * and blocked, ends the process. aarch64 has one ABI (no compat here).
 */
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

static inline void arch_retrap(const siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	const unsigned long long *x = uc->uc_mcontext.regs;

	syscall(si->si_syscall, x[0], x[1], x[2], x[3], x[4], x[5]);
}

#endif
