/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the child's payload decoder. A payload comes from a
 * memfd that anyone who can set CFORK_FD in a process's environment can
 * hand it, so payload_decode() must refuse every malformed one with a reason,
 * and everything it accepts must be safe to read through the getters: each
 * argument is read with the getter of its type and every byte of every
 * string, byte buffer and sandbox section is touched, so that ASan reports
 * any view that reaches past the payload.
 *
 * `make fuzz FUZZ_SECONDS=N` builds and runs it; tests/fuzz/corpus holds
 * real payloads (`make fuzz-corpus` writes them with tests/fuzz/seed.c)
 * and every input that ever crashed it, which tests/fuzz_regress.c replays
 * in the test suite.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* A buffer argument larger than this is checked but not materialized: its
   length comes from the payload and may be up to CFORK_PAYLOAD_MAX. */
#define VIEW_MAX (1u << 20)

/* A property the decoder promises is broken: a crash libFuzzer records. */
#define CHECK(cond)					\
	do {						\
		if (!(cond))				\
			__builtin_trap();		\
	} while (0)

static volatile unsigned char sink;

/* Reads every byte of [p, p + n), which must lie inside the payload. */
static void touch(const unsigned char *base, size_t size, const void *p,
		  size_t n)
{
	const unsigned char *b = p;
	unsigned char acc = 0;

	CHECK(n == 0 || (b >= base && n <= size && b - base <= (ptrdiff_t)(size - n)));
	for (size_t i = 0; i < n; i++)
		acc ^= b[i];
	sink = acc;
}

#ifndef DECODE_REPLAY
/* The getters (src/child/args.c, linked beside src/wire) end the child on
   a wrong index or type; read_args() asks only for what the view says is
   there, so this is never reached. */
_Noreturn void child_fail(int code, const char *fmt, ...)
{
	(void)code;
	(void)fmt;
	__builtin_trap();
}
#endif

/*
 * The child maps each cfork_buffer argument itself (child/takeover.c)
 * before the function runs; here a heap block of the announced length
 * stands in for that mapping, so that cfork_arg_bytes() can be exercised.
 */
static const void **fake_views(const cfork_args *a, void ***blocks)
{
	const void **views = NULL;

	*blocks = NULL;
	for (size_t i = 0; i < a->argc; i++) {
		size_t len;
		int fd = payload_arg_buffer(a, i, &len);

		if (fd < 0)
			continue;
		/* The decoder admits only an fd number and a length in
		   range; init.c checks them against the real memfd. */
		CHECK(len <= CFORK_PAYLOAD_MAX);
		if (!views) {
			views = calloc(a->argc, sizeof(*views));
			*blocks = calloc(a->argc, sizeof(**blocks));
			CHECK(views && *blocks);
		}
		if (len <= VIEW_MAX) {
			(*blocks)[i] = calloc(1, len ? len : 1);
			CHECK((*blocks)[i]);
			views[i] = (*blocks)[i];
		}
	}
	return views;
}

static void read_args(cfork_args *a, const unsigned char *base, size_t size)
{
	void **blocks;

	a->views = fake_views(a, &blocks);
	for (size_t i = 0; i < cfork_argc(a); i++) {
		size_t len = SIZE_MAX, blen;
		const char *s;
		const void *p;

		switch (cfork_argtype(a, i)) {
		case CFORK_I64:
			sink = (unsigned char)cfork_arg_i64(a, i);
			break;
		case CFORK_U64:
			sink = (unsigned char)cfork_arg_u64(a, i);
			break;
		case CFORK_F64:
			sink = (unsigned char)(cfork_arg_f64(a, i) != 0.0);
			break;
		case CFORK_BOOL:
			sink = cfork_arg_bool(a, i);
			break;
		case CFORK_FD:
			CHECK(cfork_arg_fd(a, i) >= 0);
			break;
		case CFORK_STR:
			s = cfork_arg_str(a, i);
			/* strlen stops at the NUL the decoder checked for;
			   the NUL itself must be in bounds too. */
			touch(base, size, s, strlen(s) + 1);
			break;
		case CFORK_BYTES:
			p = cfork_arg_bytes(a, i, &len);
			CHECK(len != SIZE_MAX);
			if (payload_arg_buffer(a, i, &blen) < 0)
				touch(base, size, p, len);
			else if (blocks[i])
				touch(blocks[i], blen, p, len);
			else
				CHECK(p == NULL && len > VIEW_MAX);
			break;
		default:
			/* The decoder let through a type no getter knows. */
			CHECK(0);
		}
	}
	CHECK(cfork_argtype(a, cfork_argc(a)) == 0);
	if (blocks)
		for (size_t i = 0; i < a->argc; i++)
			free(blocks[i]);
	free(blocks);
	free(a->views);
	a->views = NULL;
}

/*
 * The header's size field must equal the payload's size, so almost every
 * mutation that grows or shrinks an input would stop at that first check.
 * Three times in four the field is set to the new size (it is the u64 at
 * offset 16, after the magic, the version and the header size); the fourth
 * keeps the mutated value, so that mismatches are still tried.
 */
#define SIZE_FIELD_OFF 16

/* tests/fuzz_regress.c includes this file to replay the corpus without
   libFuzzer, whose mutator is not there to call. */
#ifndef DECODE_REPLAY
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	size = LLVMFuzzerMutate(data, size, max_size);
	if (size >= SIZE_FIELD_OFF + 8 && seed % 4) {
		uint64_t field = size;
		memcpy(data + SIZE_FIELD_OFF, &field, sizeof(field));
	}
	return size;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that ASan's redzone starts right
	   after the last one (libFuzzer's own buffer does too, but is not
	   promised to be aligned as an mmap'd payload is). */
	unsigned char *base = malloc(size ? size : 1);
	const char *why = NULL;
	cfork_args a;

	CHECK(base);
	if (size)
		memcpy(base, data, size);
	if (payload_decode(&a, base, size, &why) < 0) {
		CHECK(why && *why);
		free(base);
		return 0;
	}
	CHECK(a.base == base && a.size == size);
	touch(base, size, a.name, strlen(a.name) + 1);
	CHECK(strlen(a.name) > 0 && strlen(a.name) <= 255);
	CHECK(a.argc <= CFORK_ARGC_MAX);
	CHECK(!a.sandbox == !a.sandbox_len);
	if (a.sandbox)
		touch(base, size, a.sandbox, a.sandbox_len);
	read_args(&a, base, size);
	free(base);
	return 0;
}
