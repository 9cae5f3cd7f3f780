/* SPDX-License-Identifier: MIT */
/* fd helpers of both worlds. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
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

int fd_pair_above_stdio(int fds[2])
{
	for (int i = 0; i < 2; i++) {
		int fd = fd_move_above_stdio(fds[i]);
		if (fd < 0) {
			close(fds[1 - i]);
			fds[0] = fds[1] = -1;
			return fd;
		}
		fds[i] = fd;
	}
	return 0;
}

/* Room for the most fds one message can carry. */
union fd_control {
	char buf[CMSG_SPACE(FD_PASS_MAX * sizeof(int))];
	struct cmsghdr align;
};

ssize_t fd_send_fds(int sock, const void *data, size_t len, const int *fds,
		    size_t n, int flags)
{
	union fd_control control;
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n > FD_PASS_MAX)
		return -EINVAL;
	if (n) {
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
		memset(control.buf, 0, msg.msg_controllen);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	ssize_t r = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	return r < 0 ? -errno : r;
}

ssize_t fd_recv_fds(int sock, void *data, size_t len, int flags, int *fds,
		    size_t max, size_t *ret_n)
{
	union fd_control control;
	struct iovec iov = { data, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf };

	*ret_n = 0;
	if (!max || max > FD_PASS_MAX)
		return -EINVAL;
	/* Room for max: the kernel closes what does not fit. */
	msg.msg_controllen = CMSG_SPACE(max * sizeof(int));
	ssize_t r = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	if (r < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && *ret_n < max; i++)
			memcpy(&fds[(*ret_n)++],
			       CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return r;
}

ssize_t fd_send_with(int sock, const void *data, size_t len, int fd)
{
	return fd_send_fds(sock, data, len, &fd, fd >= 0, 0);
}

ssize_t fd_recv_with(int sock, void *data, size_t len, int *ret_fd)
{
	size_t n;
	ssize_t r = fd_recv_fds(sock, data, len, MSG_DONTWAIT, ret_fd, 1, &n);

	if (!n)
		*ret_fd = -1;
	return r;
}
