/* SPDX-License-Identifier: MIT */
/* fd helpers of both worlds. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common.h"

int fd_move_above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 3), e = errno;
	close(fd);
	return high >= 0 ? high : -e;
}
