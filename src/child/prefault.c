/* SPDX-License-Identifier: MIT */
/*
 * The page faults a fork server's standby would take on its call's path,
 * taken before it waits for the call. A forked child shares its server's
 * pages copy-on-write and none of its code's page-table entries (fork
 * copies none for a file mapping the server never wrote): after the
 * hand-off, its first write to each page and its first run of code in
 * each 64 KiB of a file fault, one after the other, between the caller's
 * send and the call's end (about half of a noop call's, as perf's
 * page-faults event counts them). The standby is forked ahead of its
 * call and waits for it anyway: madvise(MADV_POPULATE_READ,
 * MADV_POPULATE_WRITE) takes them now, and changes nothing the call
 * sees (a populated write breaks the sharing as a write would, and
 * writes nothing). A kernel without them (before 5.14) says EINVAL,
 * and the pages fault as before.
 *
 * Only what that path is known to touch: the C library's functions it
 * runs after the hand-off (a fault maps the 64 KiB around each one's
 * entry that the page cache holds), the data it writes, and the stack
 * just above here. All of the program's code would cost the standby more
 * than the call saves, and the call's exit, which unmaps every page
 * mapped, more still; and each populate is a system call, which a busy
 * machine pays for whether the page was there or not.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "child.h"
#include "compat.h"

/* The stack above the standby's wait that its frames after the
   hand-off write first: the callers it returns to (takeover.c) reach up
   to two pages above. */
#define PREFAULT_STACK_PAGES 2

static void populate(const void *addr, size_t len, int advice)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)addr & ~(page - 1);
	uintptr_t end = ((uintptr_t)addr + len + page - 1) & ~(page - 1);

	/* A hint: a range the kernel refuses is left to fault. */
	(void)madvise((void *)start, end - start, advice);
}

static void prefault_write(const void *addr, size_t len)
{
	populate(addr, len, MADV_POPULATE_WRITE);
}

void standby_prefault(void)
{
	/* The C library's functions from the hand-off to _exit: the
	   answer, placing the call's fds, mapping and decoding the payload
	   (takeover.c, wire/), the dispatch, the report (channel.c) and the
	   end. Which of them lie in code the standby ran on its way here
	   depends on the build (the program linked with libcfork.a or .so):
	   six of these fault in either, not the same six. cfork's own code
	   is not listed: its way here ran the windows it lies in (none of
	   its functions on the path faulted, in either build). */
	static const void *const code[] = {
		(const void *)sendmsg,
		(const void *)sched_yield,
		(const void *)setrlimit,
		(const void *)mmap,
		(const void *)memchr,
		(const void *)memmove,
		(const void *)on_exit,
		(const void *)__errno_location,
		(const void *)pthread_mutex_lock,
		(const void *)pthread_sigmask,
		(const void *)writev,
		(const void *)__fsetlocking,
		(const void *)fcloseall,
		(const void *)_exit,
	};
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	const char *here = __builtin_frame_address(0);

	for (size_t i = 0; i < sizeof(code) / sizeof(code[0]); i++)
		populate(code[i], 1, MADV_POPULATE_READ);
	/* Each stream's flags, written as the child ends. */
	prefault_write(stdin, 1);
	prefault_write(stdout, 1);
	prefault_write(stderr, 1);
	channel_touch();
	/* A page at a time: the stack's mapping may end within the range. */
	for (int i = 1; i <= PREFAULT_STACK_PAGES; i++)
		prefault_write(here + (intptr_t)i * (intptr_t)page, 1);
}
