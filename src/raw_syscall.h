/* SPDX-License-Identifier: MIT */
#ifndef CFORK_RAW_SYSCALL_H
#define CFORK_RAW_SYSCALL_H

/*
 * System calls made directly (arch/<arch>/syscall.h), returning -errno:
 * SYS(SYS_close, fd). The pre-exec child needs them because errno and libc's
 * state belong to the parent it runs on; a fresh child's take-over uses them
 * because each libc wrapper it would call first costs it a page it has not
 * touched yet (measured: ~2-3 us per cfork child on a 2-vCPU VM).
 */
#include "syscall.h"

#define SYS(...) SYS_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#define SYS_(n, a, b, c, d, e, f, ...)					\
	arch_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d),	\
		      (long)(e), (long)(f))

/* mmap's result is an address, or -errno in its last 4095 values. */
#define MMAP_FAILED(r) ((unsigned long)(r) > -4096UL)

#endif
