/* SPDX-License-Identifier: MIT */
/*
 * The parent's reader of the report channel (frames: wire.h). What it reads
 * comes from a child that may be hostile: every length is bounded here, and
 * the fuzzer (tests/fuzz/report.c) feeds it any bytes in reads of any size.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* The first result_max bytes are kept; anything after them is counted as
   lost, never appended, so a result is always a prefix of what was sent. The
   buffer grows with what arrives and never past result_max. */
static int keep_result(struct report_reader *r, const unsigned char *p,
		       size_t n)
{
	size_t room = r->result_max - r->result_len;

	if (n > room) {
		r->result_truncated = true;
		n = room;
	}
	if (!n)
		return 0;
	if (r->result_len + n > r->result_cap) {
		size_t cap = r->result_cap ? r->result_cap : 4096;
		if (cap > r->result_max)
			cap = r->result_max;
		while (cap < r->result_len + n)
			cap = cap > r->result_max / 2 ? r->result_max : cap * 2;
		unsigned char *grown = realloc(r->result, cap);
		if (!grown)
			return -ENOMEM;
		r->result = grown;
		r->result_cap = cap;
	}
	memcpy(r->result + r->result_len, p, n);
	r->result_len += n;
	return 0;
}

static void keep_error(struct report_reader *r, const unsigned char *p,
		       size_t n)
{
	size_t room = sizeof(r->error) - 1 - r->error_len;

	if (n > room)
		n = room;
	memcpy(r->error + r->error_len, p, n);
	r->error_len += n;
	r->error[r->error_len] = '\0';
}

static bool frame_ok(const struct report_head *h)
{
	switch (h->kind) {
	case REPORT_RESULT:
	case REPORT_ERROR:
		return true;
	case REPORT_SANDBOX:
		return h->len == 4;
	case REPORT_BLOCKED:
		return h->len == 8;
	default:
		return false;
	}
}

/*
 * A small frame is complete. The child settles what its sandbox applied
 * before its function runs, so the first REPORT_SANDBOX is the child's
 * runtime speaking; anything later may be the function, which can only take
 * bits away (a hostile child can make itself look less confined, never
 * more). Neither can claim a layer the parent did not ask for.
 */
static void finish_small(struct report_reader *r)
{
	if (r->kind == REPORT_SANDBOX) {
		uint32_t layers;
		memcpy(&layers, r->small, sizeof(layers));
		r->sandbox = r->sandbox_seen ? r->sandbox & layers :
					       layers & r->sandbox_mask;
		r->sandbox_seen = true;
	} else {
		/* The last one: the SIGSYS handler writes just before the
		   child dies. Believed only for a death by SIGSYS (proc.c). */
		memcpy(&r->blocked_nr, r->small, sizeof(r->blocked_nr));
		memcpy(&r->blocked_arch, r->small + 4, sizeof(r->blocked_arch));
		r->blocked = true;
	}
	r->small_len = 0;
}

int report_feed(struct report_reader *r, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n && !r->malformed) {
		if (!r->left && r->head_len < sizeof(r->head)) {
			size_t take = sizeof(r->head) - r->head_len;
			if (take > n)
				take = n;
			memcpy(r->head + r->head_len, p, take);
			r->head_len += take;
			p += take;
			n -= take;
			if (r->head_len < sizeof(r->head))
				break;
			struct report_head h;
			memcpy(&h, r->head, sizeof(h));
			if (!frame_ok(&h)) {
				r->malformed = true;
				break;
			}
			r->kind = h.kind;
			r->left = h.len;
			if (!r->left) {
				r->head_len = 0;
				continue;
			}
			/* The body comes in a later read. */
			if (!n)
				break;
		}
		size_t take = r->left < n ? r->left : n;
		if (r->kind == REPORT_RESULT) {
			int e = keep_result(r, p, take);
			if (e)
				return e;
		} else if (r->kind == REPORT_ERROR) {
			keep_error(r, p, take);
		} else {
			memcpy(r->small + r->small_len, p, take);
			r->small_len += take;
		}
		p += take;
		n -= take;
		r->left -= take;
		if (!r->left) {
			r->head_len = 0;
			if (r->kind == REPORT_SANDBOX ||
			    r->kind == REPORT_BLOCKED)
				finish_small(r);
		}
	}
	return 0;
}
