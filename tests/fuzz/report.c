/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the parent's reader of the report channel. The
 * child writes that pipe, and the child runs the caller's function, so
 * report_feed() must take any bytes, cut into reads of any size, without
 * reading or writing out of bounds, without holding more than result_max
 * result bytes, and with the same outcome however the kernel happened to
 * split the stream.
 *
 * An input is:
 *
 *   u8   result_max, 1..128 or 512..64 KiB in steps of 512
 *   u8   sandbox_mask
 *   u16  the seed of the cuts: how the stream is split into reads
 *   ...  the stream, what a hostile child writes
 *
 * The stream is fed once in pieces and once whole, and both readers are
 * checked against a reference parse of the same bytes: complete frames
 * from the start up to the first header that is refused.
 *
 * `make fuzz FUZZ_SECONDS=N` builds it from src/report.c alone and runs it
 * after the payload decoder's; tests/fuzz/report-corpus holds the seeds
 * and every input that ever crashed it, which tests/fuzz_regress.c replays
 * in the test suite.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* A property the reader promises is broken: a crash libFuzzer records. */
#ifndef CHECK
#define CHECK(cond)					\
	do {						\
		if (!(cond))				\
			__builtin_trap();		\
	} while (0)
#endif

#define REPORT_IN_HEAD 4	/* result_max, sandbox_mask, the seed */

/* Small maxima make truncation reachable from short inputs; large ones
   take the buffer through its growth from 4 KiB up to the bound. */
static size_t report_in_result_max(uint8_t b)
{
	return b < 128 ? (size_t)b + 1 : (size_t)(b - 127) * 512;
}

/* What the reader should end with, parsed the plain way: the whole stream
   at once, frame by frame, stopping at the first header refused. */
struct report_ref {
	unsigned char *result;	/* the first result_max bytes of RESULTs */
	size_t result_max;
	size_t result_sent;	/* RESULT body bytes in the stream, all */
	char error[REPORT_ERROR_MAX];
	size_t error_len;
	bool malformed;
	size_t *cut;		/* offsets where a header or a frame ends */
	size_t ncut;
};

static bool report_ref_frame_ok(uint32_t kind, uint32_t len)
{
	return kind == REPORT_RESULT || kind == REPORT_ERROR ||
	       (kind == REPORT_SANDBOX && len == 4) ||
	       (kind == REPORT_BLOCKED && len == 8);
}

static void report_ref_parse(struct report_ref *ref, const unsigned char *s,
			     size_t n, size_t result_max)
{
	size_t off = 0;

	memset(ref, 0, sizeof(*ref));
	ref->result_max = result_max;
	ref->result = malloc(result_max);
	/* At most a header end and a frame end per 8 bytes. */
	ref->cut = malloc((n / 8 + 1) * 2 * sizeof(*ref->cut));
	CHECK(ref->result && ref->cut);
	while (n - off >= 8) {
		uint32_t kind, len;

		memcpy(&kind, s + off, 4);
		memcpy(&len, s + off + 4, 4);
		if (!report_ref_frame_ok(kind, len)) {
			ref->malformed = true;
			break;
		}
		off += 8;
		ref->cut[ref->ncut++] = off;
		size_t body = len < n - off ? len : n - off;
		if (kind == REPORT_RESULT) {
			if (ref->result_sent < result_max) {
				size_t keep = result_max - ref->result_sent;
				if (keep > body)
					keep = body;
				memcpy(ref->result + ref->result_sent, s + off,
				       keep);
			}
			ref->result_sent += body;
		} else if (kind == REPORT_ERROR) {
			size_t keep = REPORT_ERROR_MAX - 1 - ref->error_len;
			if (keep > body)
				keep = body;
			memcpy(ref->error + ref->error_len, s + off, keep);
			ref->error_len += keep;
		}
		off += body;
		if (body == len)
			ref->cut[ref->ncut++] = off;
	}
}

static void report_ref_release(struct report_ref *ref)
{
	free(ref->result);
	free(ref->cut);
}

/* A tiny LCG: the cuts only need to vary with the seed, reproducibly. */
static unsigned report_in_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 16;
}

/*
 * The next read's size. A pipe hands the parent whatever is there: nothing
 * (a read woken for no data is fed as zero bytes), a byte, the rest of a
 * header, a header and no body, or thousands of bytes across frames.
 */
static size_t report_in_piece(uint32_t *state, const struct report_ref *ref,
			      size_t pos, size_t left)
{
	size_t want;

	switch (report_in_rand(state) % 8) {
	case 0:
		return 0;
	case 1:
		want = 1;
		break;
	case 2:
		/* Up to the next header's or frame's end: the reader must
		   settle a frame's state with no byte of the next. */
		want = left;
		for (size_t i = 0; i < ref->ncut; i++)
			if (ref->cut[i] > pos) {
				want = ref->cut[i] - pos;
				break;
			}
		break;
	case 7:
		want = 1 + report_in_rand(state) % 4096;
		break;
	default:
		want = 1 + report_in_rand(state) % 16;
		break;
	}
	return want < left ? want : left;
}

static void report_check(const struct report_reader *r,
			 const struct report_ref *ref)
{
	size_t kept = ref->result_sent < ref->result_max ? ref->result_sent :
							   ref->result_max;

	/* Bounded: no more kept, nor allocated, than the caller allows. */
	CHECK(r->result_len <= r->result_max);
	CHECK(r->result_cap <= r->result_max);
	CHECK(r->result_len <= r->result_cap);
	/* A prefix of what was sent, and "truncated" exactly when some of
	   it was dropped. */
	CHECK(r->result_len == kept);
	CHECK(!kept || memcmp(r->result, ref->result, kept) == 0);
	CHECK(r->result_truncated == (ref->result_sent > ref->result_max));
	/* The error is a C string the parent may print as is. */
	CHECK(r->error_len < REPORT_ERROR_MAX);
	CHECK(r->error[r->error_len] == '\0');
	CHECK(r->error_len == ref->error_len);
	CHECK(memcmp(r->error, ref->error, ref->error_len) == 0);
	/* The child never claims a layer the parent did not ask for. */
	CHECK((r->sandbox & ~r->sandbox_mask) == 0);
	CHECK(r->malformed == ref->malformed);
	CHECK(r->head_len <= sizeof(r->head));
	CHECK(r->small_len <= sizeof(r->small));
}

static void report_reader_init(struct report_reader *r, size_t result_max,
			       unsigned sandbox_mask)
{
	memset(r, 0, sizeof(*r));
	r->result_max = result_max;
	r->sandbox_mask = sandbox_mask;
}

/* tests/fuzz_regress.c includes this file beside decode.c, which has its
   own LLVMFuzzerTestOneInput: the replay calls this instead. */
static int report_fuzz_one(const uint8_t *data, size_t size)
{
	struct report_reader pieces, whole;
	struct report_ref ref;

	if (size < REPORT_IN_HEAD)
		return 0;

	size_t result_max = report_in_result_max(data[0]);
	unsigned mask = data[1];
	uint32_t state = (uint32_t)data[2] | (uint32_t)data[3] << 8;
	size_t n = size - REPORT_IN_HEAD;
	/* A copy of exactly n bytes, so that ASan's redzone starts right
	   after the last one the child wrote. */
	unsigned char *s = malloc(n ? n : 1);

	CHECK(s);
	memcpy(s, data + REPORT_IN_HEAD, n);
	report_ref_parse(&ref, s, n, result_max);

	report_reader_init(&pieces, result_max, mask);
	for (size_t pos = 0; pos < n;) {
		size_t len = report_in_piece(&state, &ref, pos, n - pos);
		CHECK(report_feed(&pieces, s + pos, len) == 0);
		pos += len;
	}
	/* And what EOF may follow with: a read of nothing. */
	CHECK(report_feed(&pieces, s + n, 0) == 0);
	report_check(&pieces, &ref);

	report_reader_init(&whole, result_max, mask);
	CHECK(report_feed(&whole, s, n) == 0);
	report_check(&whole, &ref);

	/* The cuts change nothing (results and errors are already equal to
	   the reference's in both). */
	CHECK(pieces.sandbox_seen == whole.sandbox_seen);
	CHECK(pieces.sandbox == whole.sandbox);
	CHECK(pieces.blocked == whole.blocked);
	CHECK(pieces.blocked_nr == whole.blocked_nr);
	CHECK(pieces.blocked_arch == whole.blocked_arch);

	free(pieces.result);
	free(whole.result);
	report_ref_release(&ref);
	free(s);
	return 0;
}

#ifndef REPORT_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return report_fuzz_one(data, size);
}
#endif
