/* SPDX-License-Identifier: MIT */
/*
 * CFORK_FN: every parameter type arrives through the typed form, in order,
 * after the conversions the header promises; strings and spans are views
 * into the payload; the same function starts by name, under the signature
 * its parameter types spell; and the launch errors of cfork_spawnv() still
 * come back. What must not compile is in tests/compile_fail.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(typed, .timeout = TEST_TIMEOUT);

/* ------------------------------------------------------------------------ */
/* A description of values, built the same way in the child (from what it   */
/* got) and in the parent (from what it meant to send): doubles by their    */
/* bits, strings and spans by their length and bytes.                       */
/* ------------------------------------------------------------------------ */

struct desc {
	unsigned char buf[4096];
	size_t len;		/* > sizeof(buf): overflowed */
};

static void desc_put(struct desc *d, const void *p, size_t n)
{
	if (d->len + n <= sizeof(d->buf) && n)
		memcpy(d->buf + d->len, p, n);
	d->len += n;
}

static void desc_u64(struct desc *d, uint64_t v)
{
	desc_put(d, &v, sizeof(v));
}

static void desc_bytes(struct desc *d, const void *p, size_t n)
{
	desc_u64(d, n);
	desc_put(d, p, n);
}

static uint64_t bits(double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof(u));
	return u;
}

static double from_bits(uint64_t u)
{
	double x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

static void describe(struct desc *d, int64_t i, uint64_t u, double x, bool b,
		     const char *s, cfork_span y)
{
	desc_u64(d, (uint64_t)i);
	desc_u64(d, u);
	desc_u64(d, bits(x));
	desc_u64(d, b ? 0xb1 : 0xb0);
	desc_bytes(d, s, strlen(s));
	desc_bytes(d, y.data, y.len);
}

/* Exit codes of the test functions that are not the library's. */
enum { T_OVERFLOW = 97, T_NO_RETURN = 98 };

CFORK_FN(typed_echo, (int64_t, i), (uint64_t, u), (double, x), (bool, b),
	 (const char *, s), (cfork_span, y))
{
	struct desc d = { .len = 0 };

	describe(&d, i, u, x, b, s, y);
	if (d.len > sizeof(d.buf))
		return T_OVERFLOW;
	return cfork_return(d.buf, d.len) ? T_NO_RETURN : 0;
}

/* Waits for p, frees it, and checks that its child exited 0 after sending
   exactly the description in want. */
static void check_result(cfork_proc *p, const struct desc *want)
{
	cfork_status st;

	cr_assert_leq(want->len, sizeof(want->buf));
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited, "killed by signal %d", st.signal);
	cr_assert_eq(st.code, 0, "exit %d, error: %s", st.code,
		     st.error ? st.error : "(none)");
	cr_assert_eq(st.result_len, want->len, "sent %zu bytes, expected %zu",
		     st.result_len, want->len);
	cr_assert(want->len == 0 || !memcmp(st.result, want->buf, want->len),
		  "the child got other values than were sent");
	cfork_free(p);
}

/* Sends the values through CFORK_START and compares both descriptions. */
#define ECHO(i, u, x, b, s, y, want_i, want_u, want_x, want_b)		\
	do {								\
		struct desc want_ = { .len = 0 };			\
		cfork_proc *p_;						\
		int r_ = CFORK_START(&p_, NULL, typed_echo, i, u, x, b, s, y); \
									\
		cr_assert_eq(r_, 0, "spawn: %s", strerror(-r_));	\
		describe(&want_, want_i, want_u, want_x, want_b, s, y);	\
		check_result(p_, &want_);				\
	} while (0)

Test(typed, every_scalar_arrives_bit_for_bit)
{
	const int64_t imin = INT64_MIN, imax = INT64_MAX;
	const uint64_t umax = UINT64_MAX;
	const double nan_payload = from_bits(0x7ff8000000000123ull);
	const double denormal = from_bits(1);
	cfork_span none = cfork_span_of(NULL, 0);

	ECHO(imin, umax, -0.0, false, "", none, imin, umax, -0.0, false);
	ECHO(imax, (uint64_t)0, nan_payload, true, "x", none,
	     imax, 0, nan_payload, true);
	ECHO((int64_t)-1, (uint64_t)INT64_MAX + 1, INFINITY, true, "y", none,
	     -1, (uint64_t)INT64_MAX + 1, INFINITY, true);
	ECHO((int64_t)0, (uint64_t)1, denormal, false, "z", none,
	     0, 1, denormal, false);
}

Test(typed, strings_and_spans_arrive_whole)
{
	static const unsigned char blob[] = { 0, 1, 2, 0xff, 0, 'a', 0 };
	char utf8[] = "h\xc3\xa9llo, w\xc3\xb6rld";
	char *mutable_str = utf8;

	ECHO(1, 2u, 3.0, true, mutable_str, cfork_span_of(blob, sizeof(blob)),
	     1, 2, 3.0, true);
	ECHO(1, 2u, 3.0, true, "a\tb\nc", cfork_span_of(blob, 1),
	     1, 2, 3.0, true);
	/* A span of zero bytes at a real address arrives as zero bytes. */
	ECHO(1, 2u, 3.0, true, (const char *)utf8, cfork_span_of(blob, 0),
	     1, 2, 3.0, true);
}

/* The conversions the header lists as accepted, each checked by value. */
Test(typed, accepted_conversions_keep_the_value)
{
	unsigned int big_u32 = 4000000000u;
	short neg_short = -5;
	unsigned char uc = 255;
	int neg_int = -3;
	float f = 1.5f;
	long l = -7;
	bool yes = true;

	/* unsigned int -> int64_t, int literal -> uint64_t, int -> double,
	   true (an int before C23) -> bool */
	ECHO(big_u32, 640, neg_int, true, "a", cfork_span_of(NULL, 0),
	     4000000000, 640, -3.0, true);
	/* short -> int64_t, unsigned char -> uint64_t, float -> double,
	   0 -> bool */
	ECHO(neg_short, uc, f, 0, "b", cfork_span_of(NULL, 0),
	     -5, 255, 1.5, false);
	/* long -> int64_t, sizeof (size_t) -> uint64_t, 2^53 (a long
	   constant) -> double, bool -> bool */
	ECHO(l, sizeof(big_u32), 9007199254740992, yes, "c",
	     cfork_span_of(NULL, 0), -7, sizeof(big_u32), 9007199254740992.0,
	     true);
	/* an unsigned constant that fits -> int64_t, a negative constant
	   within 2^53 -> double, 1 -> bool */
	ECHO(9223372036854775807u, 18446744073709551615u, -9007199254740992,
	     1, "d", cfork_span_of(NULL, 0),
	     INT64_MAX, UINT64_MAX, -9007199254740992.0, true);
	/* character constants are ints; a char is an integer that fits */
	ECHO('A', 'B', 'C', false, "e", cfork_span_of(NULL, 0),
	     65, 66, 67.0, false);
}

/* ------------------------------------------------------------------------ */
/* Every type at once, sixteen parameters, none                              */
/* ------------------------------------------------------------------------ */

/* Reads what the child wrote to the pipe, up to n bytes, after it ended. */
static void check_pipe(int fd, const char *want)
{
	char got[64] = { 0 };
	ssize_t n = read(fd, got, sizeof(got) - 1);

	cr_assert_eq(n, (ssize_t)strlen(want), "read %zd: %s", n,
		     n < 0 ? strerror(errno) : got);
	cr_assert_str_eq(got, want);
}

CFORK_FN(typed_every, (int64_t, i), (uint64_t, u), (double, x), (bool, b),
	 (const char *, s), (cfork_span, y), (cfork_fd_t, out))
{
	/* Checked against the child's own constants: a value mangled the
	   same way on both sides would not show in an echo. */
	const bool ok[] = {
		i == -42,
		u == UINT64_MAX,
		x == 0.1,
		b,
		!strcmp(s, "every"),
		y.len == 3 && !memcmp(y.data, "a\0b", 3),
		out.fd > 2,
	};

	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
		if (!ok[k])
			return 10 + (int)k;
	return dprintf(out.fd, "fd %d", out.fd) > 0 ? 0 : 20;
}

Test(typed, every_type_in_one_call)
{
	int fds[2];
	cfork_proc *p;
	cfork_status st;
	char want[32];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	int r = CFORK_START(&p, NULL, typed_every, -42, UINT64_MAX, 0.1, true,
			    "every", cfork_span_of("a\0b", 3),
			    cfork_fd_of(fds[1]));
	cr_assert_eq(r, 0, "spawn: %s", strerror(-r));
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "exit %d, signal %d, error: %s",
		  st.code, st.signal, st.error ? st.error : "(none)");
	cfork_free(p);
	close(fds[1]);
	snprintf(want, sizeof(want), "fd %d", fds[1]);
	check_pipe(fds[0], want);
	close(fds[0]);
}

CFORK_FN(typed_sixteen,
	 (int64_t, a1), (uint64_t, a2), (double, a3), (bool, a4),
	 (const char *, a5), (cfork_span, a6), (int64_t, a7), (uint64_t, a8),
	 (double, a9), (bool, a10), (const char *, a11), (cfork_span, a12),
	 (int64_t, a13), (cfork_fd_t, a14), (double, a15), (int64_t, a16))
{
	const bool ok[] = {
		a1 == 1, a2 == 2, a3 == 3.5, a4,
		!strcmp(a5, "five"), a6.len == 3 && !memcmp(a6.data, "six", 3),
		a7 == -7, a8 == 8, a9 == 9.25, !a10,
		!strcmp(a11, "eleven"),
		a12.len == 6 && !memcmp(a12.data, "twelve", 6),
		a13 == 13, a14.fd > 2, a15 == 15.5, a16 == -16,
	};

	/* Exit with the position of the first parameter out of place. */
	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
		if (!ok[k])
			return 1 + (int)k;
	return dprintf(a14.fd, "14") == 2 ? 0 : 100;
}

Test(typed, sixteen_parameters_in_order)
{
	int fds[2];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	int r = CFORK_CALL(typed_sixteen, 1, 2, 3.5, true, "five",
			   cfork_span_of("six", 3), -7, 8, 9.25, false,
			   "eleven", cfork_span_of("twelve", 6), 13,
			   cfork_fd_of(fds[1]), 15.5, -16);
	cr_assert_eq(r, 0, "CFORK_CALL: %d (a parameter number, or -errno)",
		     r);
	close(fds[1]);
	check_pipe(fds[0], "14");
	close(fds[0]);
}

CFORK_FN(typed_none)
{
	return 42;
}

Test(typed, zero_parameters)
{
	cfork_proc *p;
	cfork_status st;

	int r = CFORK_CALL(typed_none);

	cr_assert_eq(r, 42, "CFORK_CALL: %d", r);
	r = CFORK_START(&p, NULL, typed_none);
	cr_assert_eq(r, 0, "CFORK_START: %d", r);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 42, "exit %d, signal %d", st.code,
		  st.signal);
	cfork_free(p);
}

/* ------------------------------------------------------------------------ */
/* The same functions by name, and the run-time checks that remain           */
/* ------------------------------------------------------------------------ */

Test(typed, starts_by_name_under_its_signature)
{
	int fds[2];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	int r = cfork("typed_every", cfork_i64(-42), cfork_u64(UINT64_MAX),
		      cfork_f64(0.1), cfork_bool(true), "every",
		      cfork_bytes("a\0b", 3), cfork_fd(fds[1]));
	cr_assert_eq(r, 0, "cfork: %d", r);
	close(fds[1]);
	close(fds[0]);

	/* The registered signature is "iudbsyf": each value of the wrong
	   type, and a wrong count, is refused before any child exists. */
	r = cfork("typed_every", "-42", cfork_u64(1), 0.1, true, "every",
		  cfork_bytes("", 0), cfork_fd(1));
	cr_assert_eq(r, -EINVAL, "a string for the int64_t: %d", r);
	r = cfork("typed_every", cfork_i64(-42), cfork_u64(1), "0.1", true,
		  "every", cfork_bytes("", 0), cfork_fd(1));
	cr_assert_eq(r, -EINVAL, "a string for the double: %d", r);
	r = cfork("typed_every", cfork_i64(-42), cfork_u64(1), 0.1, true,
		  "every", "not bytes", cfork_fd(1));
	cr_assert_eq(r, -EINVAL, "a string for the span: %d", r);
	r = cfork("typed_every", cfork_i64(-42), cfork_u64(1), 0.1, true,
		  "every", cfork_bytes("", 0), cfork_i64(1));
	cr_assert_eq(r, -EINVAL, "an integer for the fd: %d", r);
	r = cfork("typed_every", cfork_i64(-42));
	cr_assert_eq(r, -EINVAL, "one value of seven: %d", r);

	/* No parameters is the signature "", not an unchecked one. */
	cr_assert_eq(cfork("typed_none"), 42);
	cr_assert_eq(cfork("typed_none", 1), -EINVAL);
}

Test(typed, launch_errors_still_come_back)
{
	cfork_proc *p = (cfork_proc *)&p;
	const char *no_string = NULL;
	int fds[2], r;

	/* The compiler sees a const char *; that it is NULL shows only at
	   run time, as it does for cfork_spawnv(). */
	r = CFORK_START(&p, NULL, typed_echo, 1, 2u, 3.0, true, no_string,
			cfork_span_of(NULL, 0));
	cr_assert_eq(r, -EINVAL, "a NULL string: %d", r);
	cr_assert_eq(p, (cfork_proc *)&p, "*ret_proc changed on failure");
	r = CFORK_START(&p, NULL, typed_echo, 1, 2u, 3.0, true, "s",
			cfork_span_of(NULL, 5));
	cr_assert_eq(r, -EINVAL, "5 bytes at NULL: %d", r);

	/* An fd that is not open, in a synchronous call. */
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	close(fds[0]);
	close(fds[1]);
	r = CFORK_CALL(typed_every, -42, UINT64_MAX, 0.1, true, "every",
		       cfork_span_of("a\0b", 3), cfork_fd_of(fds[1]));
	cr_assert_eq(r, -EBADF, "a closed fd: %d", r);
	cr_assert_eq(p, (cfork_proc *)&p);
	cr_assert_not(has_children());
}

/* ------------------------------------------------------------------------ */
/* Zero copy, and attributes through CFORK_START                             */
/* ------------------------------------------------------------------------ */

/* The line of /proc/self/maps whose range holds addr, in line. */
static bool mapping_of(const void *addr, char *line, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "re");
	uintptr_t a = (uintptr_t)addr;
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, (int)size, f)) {
		uintptr_t lo, hi;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2)
			found = lo <= a && a < hi;
	}
	fclose(f);
	return found;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3u;
	return h;
}

CFORK_FN(typed_views, (const char *, s), (cfork_span, y))
{
	char s_map[512], y_map[512];

	if (!mapping_of(s, s_map, sizeof(s_map)) ||
	    !mapping_of(y.data, y_map, sizeof(y_map)))
		return 10;
	/* One mapping, of the payload memfd, and read-only: the body reads
	   the bytes where the parent wrote them. */
	if (strcmp(s_map, y_map))
		return 11;
	if (!strstr(s_map, "memfd:cfork-args"))
		return 12;
	if (strncmp(strchr(s_map, ' ') + 1, "r--", 3))
		return 13;

	uint64_t h = fnv1a(y.data, y.len);
	printf("%s\n", s);
	return cfork_return(&h, sizeof(h)) ? T_NO_RETURN : 0;
}

Test(typed, strings_and_spans_are_views_into_the_payload)
{
	size_t n = (size_t)4 << 20;
	unsigned char *big = malloc(n);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int out[2];
	char line[32] = { 0 };

	cr_assert_not_null(big);
	for (size_t k = 0; k < n; k++)
		big[k] = (unsigned char)(k * 7 + (k >> 12));
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	attr.stdout_fd = out[1];

	int r = CFORK_START(&p, &attr, typed_views, "views",
			    cfork_span_of(big, n));
	cr_assert_eq(r, 0, "spawn: %s", strerror(-r));
	close(out[1]);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "exit %d, signal %d, error: %s",
		  st.code, st.signal, st.error ? st.error : "(none)");
	cr_assert_eq(st.result_len, sizeof(uint64_t));

	uint64_t h;
	memcpy(&h, st.result, sizeof(h));
	cr_assert_eq(h, fnv1a(big, n), "the child read other bytes");
	cfork_free(p);
	free(big);

	/* The child's stdout was the pipe: attr went through CFORK_START. */
	cr_assert_eq(read(out[0], line, sizeof(line) - 1), 6);
	cr_assert_str_eq(line, "views\n");
	close(out[0]);
}
