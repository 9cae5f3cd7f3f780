/* SPDX-License-Identifier: MIT */
/* The payload's file: an anonymous memfd, written once, sealed, mapped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "raw_syscall.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

#define SEALS_ALL (F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

/* Whether this kernel knows MFD_NOEXEC_SEAL (6.3+): learnt by trying. */
static atomic_bool noexec_seal_unknown;

int fd_above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 3), e = errno;
	close(fd);
	return high >= 0 ? high : -e;
}

int memfd_create_sealable(unsigned *paths)
{
	const unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	int fd;

	if (!atomic_load_explicit(&noexec_seal_unknown, memory_order_relaxed)) {
		fd = memfd_create("cfork-args", flags | MFD_NOEXEC_SEAL);
		if (fd >= 0) {
			*paths |= CFORK_PATH_NOEXEC_SEAL;
			return fd_above_stdio(fd);
		}
		if (errno != EINVAL)
			return -errno;
		atomic_store_explicit(&noexec_seal_unknown, true,
				      memory_order_relaxed);
	}
	fd = memfd_create("cfork-args", flags);
	return fd >= 0 ? fd_above_stdio(fd) : -errno;
}

int memfd_write(int fd, struct iovec *iov, size_t niov, size_t size)
{
	off_t off = 0;

	while (niov) {
		ssize_t n = pwritev(fd, iov, niov > IOV_MAX ? IOV_MAX : (int)niov,
				    off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += n;
		/* A short write (a signal, memory pressure) resumes where it
		   stopped. */
		while (niov && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			niov--;
		}
		if (niov) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return (size_t)off == size ? 0 : -EIO;
}

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
		return SYS(SYS_mmap, NULL, size, prot, flags, fd, 0);
	/* Reserve a span more than needed, place the file at the first
	   boundary inside, and give back the rest, which starts at the page
	   after the file's last. */
	size_t len = (size + (size_t)getpagesize() - 1) &
		     ~((size_t)getpagesize() - 1);
	long area = SYS(SYS_mmap, NULL, len + span, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (MMAP_FAILED(area))
		return area;
	uintptr_t start = ((uintptr_t)area + span - 1) & ~(uintptr_t)(span - 1);
	long r = SYS(SYS_mmap, start, len, prot, flags | MAP_FIXED, fd, 0);
	if (MMAP_FAILED(r)) {
		SYS(SYS_munmap, area, len + span);
		return r;
	}
	size_t head = start - (uintptr_t)area;
	if (head)
		SYS(SYS_munmap, area, head);
	if (span - head)
		SYS(SYS_munmap, start + len, span - head);
	return r;
}

int memfd_seal(int fd)
{
	return fcntl(fd, F_ADD_SEALS, SEALS_ALL) < 0 ? -errno : 0;
}

int memfd_map_sealed(int fd, bool future_write_ok, const void **ret_base,
		     size_t *ret_size, const char **ret_why)
{
	struct stat st = { 0 };	/* filled by a raw fstat */
	long seals = SYS(SYS_fcntl, fd, F_GET_SEALS);
	long r;

	if (seals < 0) {
		*ret_why = seals == -EBADF ? "not an open fd" : "not a memfd";
		return (int)seals;
	}
	if (future_write_ok && (seals & F_SEAL_FUTURE_WRITE))
		seals |= F_SEAL_WRITE;
	if ((seals & SEALS_ALL) != SEALS_ALL) {
		*ret_why = "memfd is not sealed";
		return -EPERM;
	}
	r = SYS(SYS_fstat, fd, &st);
	if (r < 0) {
		*ret_why = "fstat failed";
		return (int)r;
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
