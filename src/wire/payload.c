/* SPDX-License-Identifier: MIT */
/*
 * The payload: what a child is asked to run, with its arguments.
 *
 *   struct wire_header          magic, version, sizes, offsets
 *   name, NUL                   the registered name
 *   padding to 8
 *   struct wire_arg[argc]       type + value, or offset + length
 *   u64 length, section, pad    with WIRE_SANDBOX only: the child's sandbox
 *                               (its format and checks are sandbox.c's)
 *   blobs                       strings (with their NUL) and byte buffers,
 *                               each starting on an 8-byte boundary
 *
 * The child inherits two fds besides its arguments' and buffers': the
 * report channel's write end, and the parent's fd of the program's binary
 * (image_fd), which it adopts rather than opening /proc/self/exe again.
 *
 * A cfork_buffer is not copied in: its argument is CFORK_BYTES with
 * WIRE_ARG_BUFFER set, and its value is the number of the buffer's memfd,
 * which the child inherits and maps itself.
 *
 * All integers are in the host's byte order: the payload never leaves the
 * machine, and parent and child are the same binary. The child trusts
 * nothing in it: payload_decode() checks every field before anything is
 * used. The layouts are in wire.h; this file holds no system call, so that
 * the fuzzer can link wire/ alone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static const unsigned char wire_zeros[8];

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static bool is_blob(cfork_type t)
{
	return t == CFORK_STR || t == CFORK_BYTES;
}

static bool add_overflows(size_t *acc, size_t n)
{
	return __builtin_add_overflow(*acc, n, acc);
}

/* Where everything goes: the header block (header, name, argument table,
   the section's length) and the whole payload's size. */
struct payload_layout {
	size_t name_len;
	size_t args_off;
	size_t section_off;	/* of the section's u64 length */
	size_t head_size;
	size_t size;
	size_t niov;		/* at most */
};

static int payload_size(const struct payload_call *c,
			struct payload_layout *l)
{
	l->name_len = strlen(c->name);
	l->args_off = align8(sizeof(struct wire_header) + l->name_len + 1);
	l->head_size = l->args_off + c->argc * sizeof(struct wire_arg);
	l->section_off = l->head_size;
	l->size = l->head_size;
	l->niov = 1;
	if (c->section_len) {
		l->head_size += sizeof(uint64_t);
		l->size = l->head_size + align8(c->section_len);
		l->niov += 2;
	}
	for (size_t i = 0; i < c->argc; i++) {
		const cfork_value *v = &c->argv[i];
		if (!is_blob(v->type))
			continue;
		size_t len = v->type == CFORK_STR ? strlen(v->as.str) + 1 :
						    v->as.bytes.len;
		if (add_overflows(&l->size, align8(len)) || align8(len) < len)
			return -E2BIG;
		l->niov += 2;
	}
	return l->size > CFORK_PAYLOAD_MAX ? -E2BIG : 0;
}

static void payload_fill_header(unsigned char *head,
				const struct payload_call *c,
				const struct payload_layout *l)
{
	struct wire_header *h = (struct wire_header *)head;

	memcpy(h->magic, WIRE_MAGIC, sizeof(h->magic));
	h->version = WIRE_VERSION;
	h->header_size = sizeof(*h);
	h->size = l->size;
	h->flags = c->is_static ? WIRE_STATIC : 0;
	h->report_fd = c->report_fd;
	h->sigmask = c->sigmask;
	h->argc = (uint32_t)c->argc;
	h->name_len = (uint32_t)l->name_len;
	h->name_off = sizeof(*h);
	h->args_off = l->args_off;
	h->image_fd = c->image_fd;
	h->status_fd = c->status_fd;
	if (c->section_len) {
		uint64_t len = c->section_len;
		h->flags |= WIRE_SANDBOX;
		memcpy(head + l->section_off, &len, sizeof(len));
	}
	memcpy(head + sizeof(*h), c->name, l->name_len + 1);
}

/* Appends len bytes at blob, then the zeros to the next 8-byte boundary. */
static size_t add_blob(struct iovec *iov, size_t niov, const void *blob,
		       size_t len)
{
	if (len)
		iov[niov++] = (struct iovec){ (void *)blob, len };
	if (align8(len) != len)
		iov[niov++] = (struct iovec){ (void *)wire_zeros,
					      align8(len) - len };
	return niov;
}

/* The argument table, and an iovec for each blob, after the section. */
static size_t payload_fill_args(unsigned char *head, struct iovec *iov,
				size_t niov, const struct payload_call *c,
				const struct payload_layout *l)
{
	struct wire_arg *wa = (struct wire_arg *)(head + l->args_off);
	size_t off = l->head_size + align8(c->section_len);

	for (size_t i = 0; i < c->argc; i++) {
		const cfork_value *v = &c->argv[i];
		const void *blob = NULL;
		size_t blob_len = 0;

		wa[i].type = (uint32_t)v->type;
		switch (v->type) {
		case CFORK_I64: wa[i].value = (uint64_t)v->as.i64; break;
		case CFORK_U64: wa[i].value = v->as.u64; break;
		case CFORK_F64: memcpy(&wa[i].value, &v->as.f64, 8); break;
		case CFORK_BOOL: wa[i].value = v->as.b; break;
		case CFORK_FD: wa[i].value = (uint64_t)v->as.fd; break;
		case CFORK_BUFFER:
			wa[i].type = CFORK_BYTES;
			wa[i].flags = WIRE_ARG_BUFFER;
			wa[i].value = (uint64_t)c->buffers[i].fd;
			wa[i].len = c->buffers[i].len;
			break;
		case CFORK_STR:
			blob = v->as.str;
			blob_len = strlen(v->as.str) + 1;
			wa[i].len = blob_len - 1;
			break;
		case CFORK_BYTES:
			blob = v->as.bytes.data;
			blob_len = v->as.bytes.len;
			wa[i].len = blob_len;
			break;
		}
		if (!is_blob(v->type))
			continue;
		wa[i].value = off;
		niov = add_blob(iov, niov, blob, blob_len);
		off += align8(blob_len);
	}
	return niov;
}

int payload_encode(struct payload_out *out, const struct payload_call *c)
{
	struct payload_layout l;
	int r = payload_size(c, &l);

	if (r < 0)
		return r;
	unsigned char *head = calloc(1, l.head_size);
	struct iovec *iov = malloc(l.niov * sizeof(*iov));
	if (!head || !iov) {
		free(head);
		free(iov);
		return -ENOMEM;
	}
	payload_fill_header(head, c, &l);
	size_t niov = 0;
	iov[niov++] = (struct iovec){ head, l.head_size };
	niov = add_blob(iov, niov, c->section, c->section_len);
	niov = payload_fill_args(head, iov, niov, c, &l);

	out->iov = iov;
	out->niov = niov;
	out->size = l.size;
	out->head = head;
	return 0;
}

void payload_out_release(struct payload_out *out)
{
	free(out->head);
	free(out->iov);
	out->head = NULL;
	out->iov = NULL;
}

/* Is [off, off + len) inside a payload of size bytes? */
static bool in_bounds(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

static const char *check_arg(const struct wire_arg *a, const unsigned char *base,
			     size_t size)
{
	if (a->flags == WIRE_ARG_BUFFER && a->type == CFORK_BYTES)
		return a->value > INT32_MAX || a->len > CFORK_PAYLOAD_MAX ?
			"buffer argument out of range" : NULL;
	if (a->flags)
		return "unknown argument flags";
	switch (a->type) {
	case CFORK_I64:
	case CFORK_U64:
	case CFORK_F64:
		return a->len ? "scalar argument with a length" : NULL;
	case CFORK_BOOL:
		return a->value > 1 || a->len ? "bool argument is not 0 or 1" : NULL;
	case CFORK_FD:
		return a->value > INT32_MAX || a->len ?
			"fd argument out of range" : NULL;
	case CFORK_STR:
		if (a->value % 8 || a->len == UINT64_MAX ||
		    !in_bounds(a->value, a->len + 1, size))
			return "string argument out of bounds";
		if (memchr(base + a->value, 0, a->len + 1) !=
		    base + a->value + a->len)
			return "string argument is not terminated at its length";
		return NULL;
	case CFORK_BYTES:
		if (a->value % 8 || !in_bounds(a->value, a->len, size))
			return "byte argument out of bounds";
		return NULL;
	default:
		return "unknown argument type";
	}
}

int payload_decode(cfork_args *args, const void *payload, size_t size,
		   const char **ret_why)
{
	const unsigned char *base = payload;
	struct wire_header h;
	const char *why = NULL;

	if (size < sizeof(h)) {
		why = "payload shorter than its header";
		goto bad;
	}
	memcpy(&h, base, sizeof(h));
	if (memcmp(h.magic, WIRE_MAGIC, sizeof(h.magic)) != 0)
		why = "bad magic";
	else if (h.version != WIRE_VERSION)
		why = "unsupported payload version";
	else if (h.header_size != sizeof(h))
		why = "bad header size";
	else if (h.size != size)
		why = "payload size does not match its header";
	else if (h.flags & ~(WIRE_STATIC | WIRE_SANDBOX))
		why = "unknown header flags";
	else if (h.argc > CFORK_ARGC_MAX)
		why = "too many arguments";
	else if (h.image_fd < -1 || (h.image_fd >= 0 && h.image_fd < 3) ||
		 h.image_fd == h.report_fd)
		why = "bad image fd";
	else if (h.status_fd < -1 || (h.status_fd >= 0 && h.status_fd < 3) ||
		 h.status_fd == h.report_fd ||
		 (h.status_fd >= 0 && h.status_fd == h.image_fd))
		why = "bad status fd";
	else if (h.name_len == 0 || h.name_len > 255 ||
		 !in_bounds(h.name_off, (uint64_t)h.name_len + 1, size) ||
		 memchr(base + h.name_off, 0, h.name_len + 1) !=
			 base + h.name_off + h.name_len)
		why = "bad function name";
	else if (h.args_off % 8 ||
		 !in_bounds(h.args_off, (uint64_t)h.argc * sizeof(struct wire_arg),
			    size))
		why = "argument table out of bounds";
	if (why)
		goto bad;

	const struct wire_arg *arg = (const struct wire_arg *)(base + h.args_off);
	for (uint32_t i = 0; i < h.argc; i++) {
		why = check_arg(&arg[i], base, size);
		if (why)
			goto bad;
	}

	const void *sandbox = NULL;
	uint64_t sandbox_len = 0;
	if (h.flags & WIRE_SANDBOX) {
		uint64_t off = h.args_off +
			       (uint64_t)h.argc * sizeof(struct wire_arg);
		if (in_bounds(off, sizeof(sandbox_len), size))
			memcpy(&sandbox_len, base + off, sizeof(sandbox_len));
		off += sizeof(sandbox_len);
		if (!sandbox_len || !in_bounds(off, sandbox_len, size))
			why = "sandbox section out of bounds";
		else
			why = section_check(base + off, sandbox_len);
		if (why)
			goto bad;
		sandbox = base + off;
	}

	*args = (cfork_args){
		.base = base,
		.size = size,
		.name = (const char *)base + h.name_off,
		.arg = arg,
		.argc = h.argc,
		.report_fd = h.report_fd,
		.image_fd = h.image_fd,
		.status_fd = h.status_fd,
		.sigmask = h.sigmask,
		.is_static = h.flags & WIRE_STATIC,
		.sandbox = sandbox,
		.sandbox_len = sandbox_len,
	};
	return 0;
bad:
	*ret_why = why;
	return -EINVAL;
}


int payload_arg_buffer(const cfork_args *a, size_t i, size_t *ret_len)
{
	const struct wire_arg *w = &a->arg[i];

	if (!(w->flags & WIRE_ARG_BUFFER))
		return -1;
	*ret_len = w->len;
	return (int)w->value;
}
