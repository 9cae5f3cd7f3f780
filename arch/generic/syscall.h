/* SPDX-License-Identifier: MIT */
#ifndef CFORK_ARCH_SYSCALL_H
#define CFORK_ARCH_SYSCALL_H

#include <errno.h>
#include <unistd.h>

/* Architectures without a trampoline never reach a pre-exec child. */
static inline long arch_syscall6(long n, long a1, long a2, long a3, long a4,
				 long a5, long a6)
{
	long r = syscall(n, a1, a2, a3, a4, a5, a6);

	return r == -1 ? -errno : r;
}

#endif
