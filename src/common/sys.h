/* SPDX-License-Identifier: MIT */
#ifndef CFORK_COMMON_SYS_H
#define CFORK_COMMON_SYS_H

/*
 * System calls made directly (arch/<arch>/syscall.h), one typed wrapper per
 * call, each returning -errno and never touching errno. The pre-exec child
 * needs them: errno and libc's state belong to the parent it runs on. A
 * fresh child's take-over uses them too: each libc wrapper it would call
 * first costs it a page it has not touched yet (make bench's child start
 * measures that). Always inlined, so that the pre-exec objects reference no
 * symbol at all (make lint checks).
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "syscall.h"

#define SYS_INLINE static inline __attribute__((always_inline))

/* mmap's result is an address, or -errno in its last 4095 values. */
#define MMAP_FAILED(r) ((unsigned long)(r) > -4096UL)

SYS_INLINE long sys_close(int fd)
{
	return arch_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}

SYS_INLINE long sys_fcntl(int fd, int cmd, long arg)
{
	return arch_syscall6(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}

SYS_INLINE long sys_fstat(int fd, struct stat *st)
{
	return arch_syscall6(SYS_fstat, fd, (long)st, 0, 0, 0, 0);
}

SYS_INLINE long sys_openat(int dirfd, const char *path, int flags)
{
	return arch_syscall6(SYS_openat, dirfd, (long)path, flags, 0, 0, 0);
}

SYS_INLINE long sys_write(int fd, const void *buf, size_t len)
{
	return arch_syscall6(SYS_write, fd, (long)buf, (long)len, 0, 0, 0);
}

SYS_INLINE long sys_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return arch_syscall6(SYS_writev, fd, (long)iov, iovcnt, 0, 0, 0);
}

SYS_INLINE long sys_dup3(int oldfd, int newfd, int flags)
{
	return arch_syscall6(SYS_dup3, oldfd, newfd, flags, 0, 0, 0);
}

SYS_INLINE long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	return arch_syscall6(SYS_close_range, first, last, flags, 0, 0, 0);
}

/* struct rlimit64's layout: two u64, whatever the ABI's rlim_t. */
struct sys_rlimit64 {
	uint64_t cur, max;
};

SYS_INLINE long sys_prlimit64(int pid, int resource,
			      const struct sys_rlimit64 *new_limit,
			      struct sys_rlimit64 *old_limit)
{
	return arch_syscall6(SYS_prlimit64, pid, resource, (long)new_limit,
			     (long)old_limit, 0, 0);
}

SYS_INLINE long sys_prctl(int option, unsigned long arg2)
{
	return arch_syscall6(SYS_prctl, option, (long)arg2, 0, 0, 0, 0);
}

SYS_INLINE long sys_fchdir(int fd)
{
	return arch_syscall6(SYS_fchdir, fd, 0, 0, 0, 0, 0);
}

SYS_INLINE long sys_setsid(void)
{
	return arch_syscall6(SYS_setsid, 0, 0, 0, 0, 0, 0);
}

SYS_INLINE long sys_setpgid(int pid, int pgid)
{
	return arch_syscall6(SYS_setpgid, pid, pgid, 0, 0, 0, 0);
}

SYS_INLINE long sys_getpid(void)
{
	return arch_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

SYS_INLINE long sys_getppid(void)
{
	return arch_syscall6(SYS_getppid, 0, 0, 0, 0, 0, 0);
}

SYS_INLINE long sys_execveat(int dirfd, const char *path, char *const argv[],
			     char *const envp[], int flags)
{
	return arch_syscall6(SYS_execveat, dirfd, (long)path, (long)argv,
			     (long)envp, flags, 0);
}

SYS_INLINE long sys_exit(int status)
{
	return arch_syscall6(SYS_exit, status, 0, 0, 0, 0, 0);
}

/* The kernel's sigset: 64 bits, not glibc's 1024. */
SYS_INLINE long sys_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
	return arch_syscall6(SYS_rt_sigprocmask, how, (long)set, (long)old,
			     sizeof(*set), 0, 0);
}

SYS_INLINE long sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
			 long off)
{
	return arch_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd,
			     off);
}

SYS_INLINE long sys_munmap(void *addr, size_t len)
{
	return arch_syscall6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

#endif
