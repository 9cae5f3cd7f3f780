/* SPDX-License-Identifier: MIT */
/*
 * Zero-copy buffers: a memfd the caller fills through a shared mapping and
 * that a child maps read-only. Freezing it must make later writes impossible
 * without costing a copy: sealing F_SEAL_WRITE would need the parent's
 * writable mapping gone (munmap or a read-only remap: about 4 ms for 64 MiB
 * of 4 KiB pages here), F_SEAL_FUTURE_WRITE refuses every new writable
 * mapping and write(2) at a constant cost, and mprotect(PROT_READ) closes the
 * parent's own mapping (about 10 ms for 64 MiB of 4 KiB pages, 0.2-0.6 ms
 * with shmem huge pages: measured with the program in tests/bench/buffer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

struct cfork_buffer {
	void *data;
	size_t size;
	int fd;
	bool frozen;
	pthread_mutex_t lock;	/* two threads may pass it at once */
};

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
	b->fd = memfd_create_sealable(&paths);
	if (b->fd < 0) {
		r = b->fd;
		goto fail;
	}
	if (ftruncate(b->fd, (off_t)size) < 0) {
		r = -errno;
		goto fail;
	}
	b->data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->data == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	/* Huge pages, where the host allows them for shmem, make the freeze
	   cheap; elsewhere this is a no-op. */
	madvise(b->data, size, MADV_HUGEPAGE);
	b->size = size;
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
