/* expect: copy_to: argument 1 (fd) is not a cfork_fd_t */
/* SPDX-License-Identifier: MIT */
/* A bare int could be a count as well as an fd: say which it is. */
#include <cfork.h>

CFORK_FN(copy_to, (cfork_fd_t, out), (cfork_span, data))
{
	return out.fd < 0 || data.len == 0;
}

int start(int fd)
{
#ifndef FIXED
	return CFORK_CALL(copy_to, fd, cfork_span_of("x", 1));
#else
	return CFORK_CALL(copy_to, cfork_fd_of(fd), cfork_span_of("x", 1));
#endif
}
