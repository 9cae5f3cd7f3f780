/* SPDX-License-Identifier: MIT */
/*
 * The payload's file: an anonymous memfd (MFD_NOEXEC_SEAL where the kernel
 * has it), written once, sealed against every change before any child can
 * see it. The child maps it (common/memfd_map.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"

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

int payload_create(unsigned *paths)
{
	const unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	int fd;

	if (!atomic_load_explicit(&noexec_seal_unknown, memory_order_relaxed)) {
		fd = memfd_create("cfork-args", flags | MFD_NOEXEC_SEAL);
		if (fd >= 0) {
			*paths |= CFORK_PATH_NOEXEC_SEAL;
			return fd_move_above_stdio(fd);
		}
		if (errno != EINVAL)
			return -errno;
		atomic_store_explicit(&noexec_seal_unknown, true,
				      memory_order_relaxed);
	}
	fd = memfd_create("cfork-args", flags);
	return fd >= 0 ? fd_move_above_stdio(fd) : -errno;
}

int payload_write(int fd, struct iovec *iov, size_t niov, size_t size)
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

int payload_seal(int fd)
{
	return fcntl(fd, F_ADD_SEALS, SEALS_ALL) < 0 ? -errno : 0;
}
