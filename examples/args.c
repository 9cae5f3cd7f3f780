/* SPDX-License-Identifier: MIT */
/*
 * Typed arguments, a byte buffer, a result sent back to the parent, and a
 * child that overruns its time and is killed.
 */
#include <cfork.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3u;
	return h;
}

/* label, buffer -> sends the buffer's FNV-1a hash back to the parent */
static int checksum(const cfork_args *a)
{
	size_t len;
	const unsigned char *data = cfork_arg_bytes(a, 1, &len);
	uint64_t h = fnv1a(data, len);

	printf("  child: %s: %zu bytes, read in place\n", cfork_arg_str(a, 0),
	       len);
	return cfork_return(&h, sizeof(h)) == 0 ? 0 : 1;
}
CFORK_REGISTER(checksum, "sy");

/* width, scale, verbose: integers are converted where the signature asks */
static int describe(const cfork_args *a)
{
	printf("  child: width=%" PRIu64 " scale=%.2f verbose=%s\n",
	       cfork_arg_u64(a, 0), cfork_arg_f64(a, 1),
	       cfork_arg_bool(a, 2) ? "true" : "false");
	return 7;
}
CFORK_REGISTER(describe, "udb");

static int sleeper(const cfork_args *a)
{
	struct timespec ts = { cfork_arg_i64(a, 0), 0 };

	nanosleep(&ts, NULL);
	return 0;
}
CFORK_REGISTER(sleeper, "i");

static int fail(const char *what, int r)
{
	fprintf(stderr, "%s: %s\n", what, strerror(-r));
	return 1;
}

int main(void)
{
	cfork_proc *p;
	cfork_status st;
	int r;

	cfork_init();

	/* 1. Typed values; `true` is an int in C, 640 an int: both fit. */
	printf("describe(640, 1.5, true):\n");
	fflush(stdout);
	r = cfork("describe", 640, 1.5, true);
	printf("  exit status %d\n", r);

	/* 2. A 1 MiB buffer in, a result out. */
	size_t n = 1 << 20;
	unsigned char *buf = malloc(n);
	if (!buf)
		return 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 31);
	printf("checksum(\"image\", 1 MiB):\n");
	fflush(stdout);
	r = cfork_spawn(&p, NULL, "checksum", "image", cfork_bytes(buf, n));
	if (r < 0)
		return fail("cfork_spawn", r);
	r = cfork_wait(p, -1, &st);
	if (r < 0)
		return fail("cfork_wait", r);
	uint64_t h;
	if (st.result_len == sizeof(h)) {
		memcpy(&h, st.result, sizeof(h));
		printf("  result %016" PRIx64 " (%s)\n", h,
		       h == fnv1a(buf, n) ? "matches" : "WRONG");
	}
	cfork_free(p);
	free(buf);

	/* 3. A child that overruns: wait 100 ms, then kill it. */
	printf("sleeper(10) with a 100 ms timeout:\n");
	fflush(stdout);
	r = cfork_spawn(&p, NULL, "sleeper", 10);
	if (r < 0)
		return fail("cfork_spawn", r);
	r = cfork_wait(p, 100, &st);
	printf("  wait: %s\n", r == -ETIMEDOUT ? "timed out" : strerror(-r));
	cfork_kill(p, SIGTERM);
	cfork_wait(p, -1, &st);
	printf("  killed by signal %d (%s)\n", st.signal, strsignal(st.signal));
	cfork_free(p);

	/* 4. A mistake is caught in the parent: no child is started. */
	r = cfork("describe", "not a number", 1.5, true);
	printf("describe(\"not a number\", ...): %s\n", strerror(-r));
	return 0;
}
