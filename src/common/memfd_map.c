/* SPDX-License-Identifier: MIT */
/* Mapping a sealed memfd: the payload, a cfork_buffer. Both worlds. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "sys.h"

#define SEALS_ALL (F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

size_t memfd_huge_span(void)
{
	size_t page = (size_t)getpagesize();

	/* What one entry of the table above the page tables maps: a page's
	   worth of pointers to pages (2 MiB with 4 KiB pages). */
	return page * (page / sizeof(void *));
}

long memfd_map_aligned(int fd, size_t size, int prot, int flags)
{
	size_t span = memfd_huge_span();

	if (size < span)
		return sys_mmap(NULL, size, prot, flags, fd, 0);
	/* Reserve a span more than needed, place the file at the first
	   boundary inside, and give back the rest, which starts at the page
	   after the file's last. */
	size_t len = (size + (size_t)getpagesize() - 1) &
		     ~((size_t)getpagesize() - 1);
	long area = sys_mmap(NULL, len + span, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (MMAP_FAILED(area))
		return area;
	uintptr_t start = ((uintptr_t)area + span - 1) & ~(uintptr_t)(span - 1);
	long r = sys_mmap((void *)start, len, prot, flags | MAP_FIXED, fd, 0);
	if (MMAP_FAILED(r)) {
		sys_munmap((void *)area, len + span);
		return r;
	}
	size_t head = start - (uintptr_t)area;
	if (head)
		sys_munmap((void *)area, head);
	if (span - head)
		sys_munmap((void *)(start + len), span - head);
	return r;
}

int memfd_map_sealed(int fd, bool future_write_ok, const void **ret_base,
		     size_t *ret_size, const char **ret_why)
{
	struct stat st = { 0 };	/* filled by a raw fstat */
	long seals = sys_fcntl(fd, F_GET_SEALS, 0);
	long r;

	if (seals < 0) {
		*ret_why = seals == -EBADF ? "not an open fd" : "not a memfd";
		return (int)seals;
	}
	r = sys_fstat(fd, &st);
	if (r < 0) {
		*ret_why = "fstat failed";
		return (int)r;
	}
	/* A file on tmpfs (/tmp on many systems) answers F_GET_SEALS too,
	   with F_SEAL_SEAL; a memfd has no name in any directory. */
	if (st.st_nlink) {
		*ret_why = "not a memfd";
		return -EINVAL;
	}
	if (future_write_ok && (seals & F_SEAL_FUTURE_WRITE))
		seals |= F_SEAL_WRITE;
	if ((seals & SEALS_ALL) != SEALS_ALL) {
		*ret_why = "memfd is not sealed";
		return -EPERM;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > CFORK_PAYLOAD_MAX) {
		*ret_why = "payload has no plausible size";
		return -EINVAL;
	}
	/* Populating up front spares the function a page fault per page of
	   its arguments; a buffer may be sparse, and populating would fill
	   its holes with real memory. */
	r = memfd_map_aligned(fd, (size_t)st.st_size, PROT_READ,
			      MAP_SHARED | (future_write_ok ? 0 : MAP_POPULATE));
	if (MMAP_FAILED(r)) {
		*ret_why = "mmap failed";
		return (int)r;
	}
	*ret_base = (const void *)r;
	*ret_size = (size_t)st.st_size;
	return 0;
}
