/* SPDX-License-Identifier: MIT */
/*
 * The child's end of the report channel (frames: wire.h): results of
 * cfork_return(), the text of a child-side failure, the sandbox's report.
 * Writers from several threads are serialized; the SIGSYS handler, which
 * may interrupt one of them, writes its single small frame without the lock
 * (sigsys.c): one write that small is one message of the stream socket,
 * never split.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "wire.h"

static int report_fd = -1;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* One frame, or several for more than a frame holds; a short write (a
   signal) resumes where it stopped. */
static int channel_send(int fd, unsigned kind, const void *data, size_t len)
{
	const char *p = data;

	do {
		size_t chunk = len < REPORT_FRAME_MAX ? len : REPORT_FRAME_MAX;
		struct report_head h = report_head(kind, chunk);
		struct iovec iov[2] = { { &h, sizeof(h) },
					{ (void *)p, chunk } };
		struct iovec *v = iov;
		int nv = 2;

		while (nv) {
			ssize_t n = writev(fd, v, nv);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			while (nv && (size_t)n >= v->iov_len) {
				n -= (ssize_t)v->iov_len;
				v++;
				nv--;
			}
			if (nv) {
				v->iov_base = (char *)v->iov_base + n;
				v->iov_len -= (size_t)n;
			}
		}
		p += chunk;
		len -= chunk;
	} while (len);
	return 0;
}

void channel_touch(void)
{
	pthread_mutex_lock(&report_lock);
	__atomic_store_n(&report_fd, report_fd, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&report_lock);
}

int channel_fd(void)
{
	return report_fd;
}

void channel_adopt(int fd)
{
	report_fd = fd;
}

/* Writes to the report channel with SIGPIPE held back, so that a parent that
   has gone away gives -EPIPE rather than killing the child. */
static int report_locked(unsigned kind, const void *data, size_t len)
{
	sigset_t pipe_set, old;
	int r;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_mutex_lock(&report_lock);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	r = channel_send(report_fd, kind, data, len);
	if (r == -EPIPE) {
		const struct timespec now = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &now);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_unlock(&report_lock);
	return r;
}

int channel_report(unsigned kind, const void *data, size_t len)
{
	return report_fd < 0 ? -ENOTCONN : report_locked(kind, data, len);
}

void child_flush_stdio(void)
{
	/* What exit() does to stdio, without the rest of exit(): glibc's
	   fcloseall() flushes and unbuffers every stream (it closes no fd).
	   A newer glibc (2.39, 2.41; not 2.36) takes each stream's lock to
	   flush it, as its exit() does, and a thread of the function
	   blocked reading stdin holds stdin's for as long as it waits: the
	   child would never end. The standard streams are taken out of
	   stdio's locking first (a flag, no lock), so that they are flushed
	   underneath whatever thread holds them, as older glibc flushes
	   every stream (a thread still writing to one races the flush, and
	   _exit() ends it next). A stream of the function's own that
	   another of its threads holds is waited for, as exit() waits. */
	__fsetlocking(stdin, FSETLOCKING_BYCALLER);
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	__fsetlocking(stderr, FSETLOCKING_BYCALLER);
	(void)fcloseall();
}

_Noreturn void child_fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	child_flush_stdio();
	if (report_fd >= 0)
		report_locked(REPORT_ERROR, msg, strlen(msg));
	dprintf(STDERR_FILENO, "cfork: %s\n", msg);
	_exit(code);
}

int cfork_return(const void *data, size_t len)
{
	PROTECT_ERRNO;
	if (!data && len)
		return -EINVAL;
	if (report_fd < 0)
		return -ENOTCONN;
	int r = report_locked(REPORT_RESULT, data, len);
	return r == -EBADF ? -ENOTCONN : r;
}
