/* SPDX-License-Identifier: MIT */
#ifndef CFORK_ARCH_SIGSYS_H
#define CFORK_ARCH_SIGSYS_H

/*
 * arch_retrap(si, ctx): make the trapped system call again, from the SIGSYS
 * handler, with the arguments it had: the filter answers the same, and the
 * kernel, with SIGSYS back to its default and blocked, ends the process.
 * The registers come from the signal's ucontext: rdi, rsi, rdx, r10, r8, r9
 * for the native ABI; ebx, ecx, edx, esi, edi (int 0x80) for i386.
 */
#include <linux/audit.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

static inline void arch_retrap(const siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	const greg_t *g = uc->uc_mcontext.gregs;

	if (si->si_arch == AUDIT_ARCH_X86_64) {
		syscall(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX],
			g[REG_R10], g[REG_R8], g[REG_R9]);
	} else {
		long ret;
		__asm__ volatile("int $0x80"
				 : "=a"(ret)
				 : "a"((long)si->si_syscall), "b"(g[REG_RBX]),
				   "c"(g[REG_RCX]), "d"(g[REG_RDX]),
				   "S"(g[REG_RSI]), "D"(g[REG_RDI])
				 : "memory", "r8", "r9", "r10", "r11");
		(void)ret;
	}
}

#endif
