/* SPDX-License-Identifier: MIT */
/*
 * Which process made a handle, a pool or a server reference: the copies a
 * fork() makes are not it. A pid cannot tell: a copy forked into a new pid
 * namespace can have the same pid number (a container's pid 1 forks
 * another pid 1), and a later process can take the pid of one that ended.
 * So each process draws a random token, kept in a page the kernel clears
 * in every child of fork (MADV_WIPEONFORK, Linux 4.14): a copy reads 0 and
 * draws its own. Where the kernel has no MADV_WIPEONFORK, the token is the
 * pid, as good as that is.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "parent.h"

static uint64_t *token_page;	/* NULL: no MADV_WIPEONFORK here */
static pthread_once_t token_once = PTHREAD_ONCE_INIT;

static void token_page_map(void)
{
	long size = sysconf(_SC_PAGESIZE);
	void *page = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return;
	if (madvise(page, (size_t)size, MADV_WIPEONFORK) < 0) {
		munmap(page, (size_t)size);
		return;
	}
	token_page = page;
}

uint64_t process_token(void)
{
	pthread_once(&token_once, token_page_map);
	if (!token_page)
		return (uint64_t)getpid();
	uint64_t token = __atomic_load_n(token_page, __ATOMIC_ACQUIRE);
	if (token)
		return token;
	/* The first call in this process; racing threads keep the first
	   token stored. Never 0, and never a pid (bit 63). */
	if (getrandom(&token, sizeof(token), GRND_NONBLOCK) != sizeof(token))
		token = (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&token;
	token |= (uint64_t)1 << 63;
	uint64_t none = 0;
	if (!__atomic_compare_exchange_n(token_page, &none, token, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		token = none;
	return token;
}
