/* SPDX-License-Identifier: MIT */
/*
 * A captured stream of the child (stdout or stderr): a channel
 * (channel.c) the parent drains while it waits. The child writes it, so
 * the parent keeps the first output_max bytes and counts the rest as lost,
 * reading a bounded amount per step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parent.h"

/* Keeps what fits of n bytes. */
static int output_keep(struct output *o, const char *p, size_t n)
{
	size_t room = o->max - o->len;

	if (n > room) {
		o->truncated = true;
		n = room;
	}
	if (!n)
		return 0;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n + 1)
			cap *= 2;
		if (cap > o->max + 1)
			cap = o->max + 1;
		char *grown = realloc(o->buf, cap);
		if (!grown)
			return -ENOMEM;
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

int output_drain(struct output *o, size_t max_bytes, int64_t end_ns)
{
	char buf[16384];
	size_t done = 0;

	while (o->fd >= 0 && done < max_bytes &&
	       (!end_ns || now_ns() < end_ns)) {
		ssize_t n = channel_read(o->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			/* Read no more: the child passed more fds than the
			   closer may be left (channel.c). */
			o->truncated |= n < 0 && errno == EMFILE;
			channel_close(o->fd, true);
			o->fd = -1;
			return 0;
		}
		done += (size_t)n;
		int r = output_keep(o, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	return 0;
}

void output_release_fd(struct output *o, bool owner)
{
	channel_close(o->fd, owner);
	o->fd = -1;
}

void output_release(struct output *o, bool owner)
{
	output_release_fd(o, owner);
	free(o->buf);
	*o = (struct output){ .fd = -1 };
}
