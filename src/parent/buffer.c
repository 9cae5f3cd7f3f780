/* SPDX-License-Identifier: MIT */
/*
 * Zero-copy buffers: a memfd the caller fills through a shared mapping and
 * that a child maps read-only. Freezing it must make later writes impossible
 * without costing a copy: sealing F_SEAL_WRITE would need the parent's
 * writable mapping gone (munmap or a read-only remap, a cost that grows
 * with the size), F_SEAL_FUTURE_WRITE refuses every new writable mapping
 * and write(2) at a constant cost, and mprotect(PROT_READ) closes the
 * parent's own mapping. That last step costs a page-table update per page
 * mapped, so the buffer is made of shmem huge pages where the kernel has
 * them: one entry and one fault per 2 MiB, not per 4 KiB, for the freeze
 * and for a new buffer's fill (`make bench` measures both).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"
#include "sys.h"


struct cfork_buffer {
	void *data;
	size_t size;
	int fd;
	bool frozen;
	pthread_mutex_t lock;	/* two threads may pass it at once */
};

/*
 * MADV_COLLAPSE (Linux 6.1) makes huge pages of a shmem range whatever
 * shmem_enabled says, short of "deny", but refuses a range with no page in
 * it: a byte is written at each huge page's start first. Where it fails (no
 * THP, no free huge page, an older kernel) the buffer keeps 4 KiB pages,
 * which only cost time. The memory is committed now rather than as the
 * caller writes, so a buffer over half the free memory is left as it is:
 * committing it could push the host into reclaim for bytes never written.
 */
static void use_huge_pages(const cfork_buffer *b)
{
	size_t span = memfd_huge_span(), whole = b->size / span * span;
	struct sysinfo si;

	if (!whole || sysinfo(&si) < 0 ||
	    b->size > (uint64_t)si.freeram * si.mem_unit / 2)
		return;
	/* pwrite() is the cheaper way to put a page in each span (a fault
	   through the mapping costs more, make bench shows), and enough for
	   recent kernels; Linux 6.1 refuses to collapse (EINVAL) where this
	   mapping has no page yet, so there the pages are touched. */
	for (size_t off = 0; off < whole; off += span)
		if (pwrite(b->fd, "", 1, (off_t)off) != 1)
			return;
	if (madvise(b->data, whole, MADV_COLLAPSE) == 0 || errno != EINVAL)
		return;
	for (size_t off = 0; off < whole; off += span)
		((volatile char *)b->data)[off] = 0;
	madvise(b->data, whole, MADV_COLLAPSE);
}

int cfork_buffer_new(cfork_buffer **ret_buffer, size_t size)
{
	PROTECT_ERRNO;
	unsigned paths = 0;
	int r;

	if (!ret_buffer || !size)
		return -EINVAL;
	if (size > CFORK_PAYLOAD_MAX)
		return -E2BIG;
	cfork_buffer *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fd = payload_create(&paths);
	if (b->fd < 0) {
		r = b->fd;
		goto fail;
	}
	if (ftruncate(b->fd, (off_t)size) < 0) {
		r = -errno;
		goto fail;
	}
	long addr = memfd_map_aligned(b->fd, size, PROT_READ | PROT_WRITE,
				      MAP_SHARED);
	if (MMAP_FAILED(addr)) {
		r = (int)addr;
		goto fail;
	}
	b->data = (void *)addr;
	b->size = size;
	use_huge_pages(b);
	pthread_mutex_init(&b->lock, NULL);
	*ret_buffer = b;
	return 0;
fail:
	if (b->fd >= 0)
		close(b->fd);
	free(b);
	return r;
}

void *cfork_buffer_data(cfork_buffer *b)
{
	return b ? b->data : NULL;
}

size_t cfork_buffer_size(const cfork_buffer *b)
{
	return b ? b->size : 0;
}

bool cfork_buffer_frozen(const cfork_buffer *b)
{
	return b && __atomic_load_n(&b->frozen, __ATOMIC_ACQUIRE);
}

int buffer_freeze(cfork_buffer *b)
{
	int r = 0;

	if (cfork_buffer_frozen(b))
		return 0;
	pthread_mutex_lock(&b->lock);
	if (!b->frozen) {
		/* mprotect first: once F_SEAL_SEAL is on, a failed freeze could
		   never be tried again. */
		if (mprotect(b->data, b->size, PROT_READ) < 0 ||
		    fcntl(b->fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_FUTURE_WRITE |
			  F_SEAL_GROW | F_SEAL_SHRINK) < 0)
			r = -errno;
		else
			__atomic_store_n(&b->frozen, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}

int buffer_fd(const cfork_buffer *b)
{
	return b->fd;
}

void cfork_buffer_free(cfork_buffer *b)
{
	PROTECT_ERRNO;

	if (!b)
		return;
	munmap(b->data, b->size);
	close(b->fd);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
