/* SPDX-License-Identifier: MIT */
/*
 * Values crossing into the child: every type arrives bit for bit, the parent
 * converts exactly or refuses, and payload_decode() refuses every kind of
 * damaged payload while accepting the real one.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "lib/payload.h"

TestSuite(wire, .timeout = TEST_TIMEOUT);

/* ------------------------------------------------------------------------ */
/* Echo: the child describes every argument it got, the parent describes     */
/* what it expects in the same format, and the two must be equal byte for    */
/* byte (doubles by their bits, strings by their length, fds by the file).   */
/* ------------------------------------------------------------------------ */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static bool buf_put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *grown = realloc(b->p, cap);
		if (!grown)
			return false;
		b->p = grown;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return true;
}

/* One item: type letter, 64-bit length, the bytes. */
static bool put_item(struct buf *b, unsigned type, const void *data, size_t n)
{
	unsigned char t = (unsigned char)type;
	uint64_t len = n;

	return buf_put(b, &t, 1) && buf_put(b, &len, sizeof(len)) &&
	       buf_put(b, data, n);
}

/* An fd is described by its number and the file it names. */
static bool put_fd(struct buf *b, int fd)
{
	struct stat st;
	uint64_t v[3] = { (uint64_t)fd, UINT64_MAX, UINT64_MAX };

	if (fstat(fd, &st) == 0) {
		v[1] = st.st_dev;
		v[2] = st.st_ino;
	}
	return put_item(b, CFORK_FD, v, sizeof(v));
}

static bool echo_arg(struct buf *b, const cfork_args *a, size_t i)
{
	switch (cfork_argtype(a, i)) {
	case CFORK_I64: {
		int64_t v = cfork_arg_i64(a, i);
		return put_item(b, CFORK_I64, &v, sizeof(v));
	}
	case CFORK_U64: {
		uint64_t v = cfork_arg_u64(a, i);
		return put_item(b, CFORK_U64, &v, sizeof(v));
	}
	case CFORK_F64: {
		double v = cfork_arg_f64(a, i);
		return put_item(b, CFORK_F64, &v, sizeof(v));
	}
	case CFORK_BOOL: {
		uint64_t v = cfork_arg_bool(a, i);
		return put_item(b, CFORK_BOOL, &v, sizeof(v));
	}
	case CFORK_STR: {
		const char *s = cfork_arg_str(a, i);
		return put_item(b, CFORK_STR, s, strlen(s));
	}
	case CFORK_BYTES: {
		size_t n = 0;
		const void *d = cfork_arg_bytes(a, i, &n);
		return (d || !n) && put_item(b, CFORK_BYTES, d, n);
	}
	case CFORK_FD:
		return put_fd(b, cfork_arg_fd(a, i));
	default:
		return false;
	}
}

static bool expect_value(struct buf *b, const cfork_value *v)
{
	switch (v->type) {
	case CFORK_I64:
	case CFORK_U64:
	case CFORK_F64:
		return put_item(b, v->type, &v->as, 8);
	case CFORK_BOOL: {
		uint64_t x = v->as.b;
		return put_item(b, CFORK_BOOL, &x, sizeof(x));
	}
	case CFORK_STR:
		return put_item(b, CFORK_STR, v->as.str, strlen(v->as.str));
	case CFORK_BYTES:
		return put_item(b, CFORK_BYTES, v->as.bytes.data,
				v->as.bytes.len);
	case CFORK_FD:
		return put_fd(b, v->as.fd);
	default:
		return false;
	}
}

/* Exit codes of the echo functions that are not the library's. */
enum { ECHO_OOM = 97, ECHO_NO_RETURN = 98 };

static int echo_all(const cfork_args *a)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < cfork_argc(a); i++)
		if (!echo_arg(&b, a, i))
			return ECHO_OOM;
	int r = cfork_return(b.p, b.len);
	free(b.p);
	return r ? ECHO_NO_RETURN : 0;
}

#define ECHO_FN(fn, sig)						\
	static int fn(const cfork_args *a) { return echo_all(a); }	\
	CFORK_REGISTER(fn, sig)

ECHO_FN(wire_echo, NULL);
ECHO_FN(wire_echo_i, "i");
ECHO_FN(wire_echo_u, "u");
ECHO_FN(wire_echo_d, "d");
ECHO_FN(wire_echo_b, "b");
ECHO_FN(wire_echo_mixed, "iudbsyf");

/* Waits for p, frees it, and compares what its child echoed with what
   the n values in want describe. */
static void check_echo(cfork_proc *p, const cfork_value *want, size_t n)
{
	struct buf exp = { 0 };
	cfork_status st;

	for (size_t i = 0; i < n; i++)
		cr_assert(expect_value(&exp, &want[i]));
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited, "killed by signal %d", st.signal);
	cr_assert_eq(st.code, 0, "exit %d, error: %s", st.code,
		     st.error ? st.error : "(none)");
	cr_assert_null(st.error);
	cr_assert_eq(st.result_len, exp.len, "echoed %zu bytes, expected %zu",
		     st.result_len, exp.len);
	if (exp.len) {
		const unsigned char *got = st.result;
		size_t i = 0;

		while (i < exp.len && got[i] == exp.p[i])
			i++;
		cr_assert_eq(i, exp.len, "echo differs at byte %zu", i);
	} else {
		cr_assert_null(st.result);
	}
	cfork_free(p);
	free(exp.p);
}

static void echo_v(const char *name, const cfork_value *v, size_t n,
		   const cfork_value *want)
{
	cfork_proc *p;
	int r = cfork_spawnv(&p, NULL, name, v, n);

	cr_assert_eq(r, 0, "%s: spawn: %s", name, strerror(-r));
	check_echo(p, want, n);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static double from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static uint64_t bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

/* ------------------------------------------------------------------------ */
/* Round trips                                                               */
/* ------------------------------------------------------------------------ */

#define QNAN_PAYLOAD 0x7ff8000000000123ull
#define NEG_QNAN_PAYLOAD 0xfff800000000beefull

/* The child checks the extremes against its own constants, so a value
   mangled in the same way on both sides of an echo would still show. */
static int wire_check_scalars(const cfork_args *a)
{
	const bool ok[] = {
		cfork_arg_i64(a, 0) == INT64_MIN,
		cfork_arg_i64(a, 1) == INT64_MAX,
		cfork_arg_i64(a, 2) == -1,
		cfork_arg_u64(a, 3) == UINT64_MAX,
		cfork_arg_u64(a, 4) == 0,
		cfork_arg_u64(a, 5) == (uint64_t)INT64_MAX + 1,
		bits(cfork_arg_f64(a, 6)) == 0x8000000000000000ull,
		bits(cfork_arg_f64(a, 7)) == QNAN_PAYLOAD,
		cfork_arg_f64(a, 8) == INFINITY,
		cfork_arg_f64(a, 9) == -INFINITY,
		cfork_arg_f64(a, 10) == DBL_MAX,
		bits(cfork_arg_f64(a, 11)) == 1,
		cfork_arg_f64(a, 12) == 0.1,
		cfork_arg_bool(a, 13) == true,
		cfork_arg_bool(a, 14) == false,
	};

	if (cfork_argc(a) != COUNT(ok))
		return 100;
	for (size_t i = 0; i < COUNT(ok); i++)
		if (!ok[i])
			return (int)i + 1;
	return 0;
}
CFORK_REGISTER(wire_check_scalars, "iiiuuudddddddbb");

Test(wire, scalar_extremes_checked_in_child)
{
	int r = cfork("wire_check_scalars", cfork_i64(INT64_MIN),
		      cfork_i64(INT64_MAX), cfork_i64(-1),
		      cfork_u64(UINT64_MAX), cfork_u64(0),
		      cfork_u64((uint64_t)INT64_MAX + 1), cfork_f64(-0.0),
		      cfork_f64(from_bits(QNAN_PAYLOAD)), cfork_f64(INFINITY),
		      cfork_f64(-INFINITY), cfork_f64(DBL_MAX),
		      cfork_f64(from_bits(1)), cfork_f64(0.1),
		      cfork_bool(true), cfork_bool(false));

	cr_assert_eq(r, 0, "child saw argument %d wrong", r);
	cr_assert(!has_children());
}

Test(wire, i64_extremes_round_trip)
{
	const cfork_value v[] = {
		cfork_i64(INT64_MIN), cfork_i64(INT64_MAX), cfork_i64(0),
		cfork_i64(-1), cfork_i64(1), cfork_i64(INT64_MIN + 1),
	};

	echo_v("wire_echo", v, COUNT(v), v);
}

Test(wire, u64_extremes_round_trip)
{
	const cfork_value v[] = {
		cfork_u64(UINT64_MAX), cfork_u64(0), cfork_u64(1),
		cfork_u64((uint64_t)INT64_MAX + 1), cfork_u64(UINT64_MAX - 1),
	};

	echo_v("wire_echo", v, COUNT(v), v);
}

Test(wire, f64_special_values_round_trip_bitwise)
{
	const cfork_value v[] = {
		cfork_f64(-0.0), cfork_f64(0.0),
		cfork_f64(from_bits(QNAN_PAYLOAD)),
		cfork_f64(from_bits(NEG_QNAN_PAYLOAD)),
		cfork_f64(INFINITY), cfork_f64(-INFINITY),
		cfork_f64(DBL_MAX), cfork_f64(-DBL_MIN), cfork_f64(from_bits(1)),
		cfork_f64(0.1), cfork_f64(-1.5e300),
	};
	int fds = count_open_fds();

	echo_v("wire_echo", v, COUNT(v), v);
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

Test(wire, bool_round_trip)
{
	const cfork_value v[] = {
		cfork_bool(true), cfork_bool(false), cfork_bool(true),
	};

	echo_v("wire_echo", v, COUNT(v), v);
}

Test(wire, strings_round_trip)
{
	static char big[10001];
	const cfork_value v[] = {
		cfork_str(""),
		cfork_str("plain"),
		cfork_str("h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 "
			  "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89"),
		cfork_str("seven77"),	/* with its NUL, exactly 8 bytes */
		cfork_str("eight888"),	/* its NUL needs a new 8-byte word */
		cfork_str(big),
		cfork_str(""),
	};

	memset(big, 'z', sizeof(big) - 1);
	big[0] = '\x7f';
	echo_v("wire_echo", v, COUNT(v), v);
}

Test(wire, bytes_round_trip)
{
	unsigned char all[256], empty[1] = { 0xaa };
	const unsigned char zeros[9] = { 0 };
	const cfork_value v[] = {
		cfork_bytes(all, sizeof(all)),
		cfork_bytes(empty, 0),
		cfork_bytes(NULL, 0),
		cfork_bytes(zeros, sizeof(zeros)),
		cfork_bytes("\x01", 1),
		cfork_bytes("1234567", 7),
		cfork_bytes("12345678", 8),
		cfork_bytes(NULL, 0),
	};

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	echo_v("wire_echo", v, COUNT(v), v);
}

static int wire_fd_write(const cfork_args *a)
{
	static const char msg[] = "written by the child\n";
	int fd = cfork_arg_fd(a, 0);

	if (write(fd, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		return 90;
	/* Described while still open: the echo names the file behind it. */
	int r = echo_all(a);
	close(fd);
	return r;
}
CFORK_REGISTER(wire_fd_write, "f");

Test(wire, fd_round_trip_names_same_file)
{
	char got[64] = "";
	cfork_proc *p;
	int pfd[2], fds = count_open_fds();

	/* Close-on-exec in the parent does not keep an fd argument from
	   the child. */
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_fd_write", cfork_fd(pfd[1])),
		     0);
	check_echo(p, (cfork_value[]){ cfork_fd(pfd[1]) }, 1);
	close(pfd[1]);
	cr_assert_eq(read(pfd[0], got, sizeof(got) - 1), 21);
	cr_assert_str_eq(got, "written by the child\n");
	close(pfd[0]);
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

Test(wire, every_type_in_one_call_with_signature)
{
	int pfd[2];

	cr_assert_eq(pipe(pfd), 0);
	const cfork_value v[] = {
		cfork_i64(-42), cfork_u64(42), cfork_f64(-0.0),
		cfork_bool(true), cfork_str("\xe2\x82\xac"),
		cfork_bytes("\0\1\0", 3), cfork_fd(pfd[0]),
	};
	echo_v("wire_echo_mixed", v, COUNT(v), v);
	close(pfd[0]);
	close(pfd[1]);
}

/* ------------------------------------------------------------------------ */
/* The parent's conversions                                                  */
/* ------------------------------------------------------------------------ */

Test(wire, integer_converts_exactly_to_declared_type)
{
	cfork_proc *p;

	/* 1 is an int: a CFORK_I64 until the signature says otherwise. */
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_u", 1), 0);
	check_echo(p, (cfork_value[]){ cfork_u64(1) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_u", INT64_MAX), 0);
	check_echo(p, (cfork_value[]){ cfork_u64(INT64_MAX) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", 1), 0);
	check_echo(p, (cfork_value[]){ cfork_bool(true) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", 0), 0);
	check_echo(p, (cfork_value[]){ cfork_bool(false) }, 1);
	/* C11's true is an int 1. */
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", true), 0);
	check_echo(p, (cfork_value[]){ cfork_bool(true) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", 1u), 0);
	check_echo(p, (cfork_value[]){ cfork_bool(true) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", 1), 0);
	check_echo(p, (cfork_value[]){ cfork_f64(1.0) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", -42), 0);
	check_echo(p, (cfork_value[]){ cfork_f64(-42.0) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", (int64_t)1 << 53), 0);
	check_echo(p, (cfork_value[]){ cfork_f64(0x1p53) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", INT64_MIN), 0);
	check_echo(p, (cfork_value[]){ cfork_f64(-0x1p63) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", (uint64_t)1 << 63),
		     0);
	check_echo(p, (cfork_value[]){ cfork_f64(0x1p63) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i", 5u), 0);
	check_echo(p, (cfork_value[]){ cfork_i64(5) }, 1);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i", (uint64_t)INT64_MAX),
		     0);
	check_echo(p, (cfork_value[]){ cfork_i64(INT64_MAX) }, 1);
	cr_assert(!has_children());
}

Test(wire, inexact_conversions_refused_before_launch)
{
	cfork_proc *p = (cfork_proc *)&p;
	int fds = count_open_fds();

	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_u", -1), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_u", INT64_MIN), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", 2), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", -1), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", 2u), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d",
				 ((int64_t)1 << 53) + 1), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d",
				 -((int64_t)1 << 53) - 1), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", INT64_MAX), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", UINT64_MAX), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i",
				 (uint64_t)INT64_MAX + 1), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i", UINT64_MAX), -EINVAL);
	/* Only integers convert: nothing else does, in either direction. */
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i", "1"), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i", 1.0), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i", cfork_bool(true)),
		     -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_u", 1.0), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_b", cfork_f64(1.0)),
		     -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_d", "1.0"), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_mixed", 1, 2, 3.0, true,
				 "s", cfork_bytes("", 0), 0), -EINVAL,
		     "an int taken as an fd");
	cr_assert_eq(p, (cfork_proc *)&p, "handle touched on failure");
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

Test(wire, argument_count_must_match_signature)
{
	cfork_proc *p = (cfork_proc *)&p;
	int fds = count_open_fds();

	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i"), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_i", 1, 2), -EINVAL);
	cr_assert_eq(cfork_spawnv(&p, NULL, "wire_echo_i", NULL, 1), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo_mixed", 1, 2u, 3.0,
				 true, "s", cfork_bytes("", 0)), -EINVAL);
	cr_assert_eq(cfork("wire_check_scalars", 1), -EINVAL);
	cr_assert_eq(p, (cfork_proc *)&p);
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

Test(wire, null_signature_passes_values_unconverted)
{
	cfork_proc *p;

	/* Unchecked: an int stays an i64 and true stays an int. */
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo", 1, true, 2.5, "x",
				 (uint64_t)7), 0);
	check_echo(p, (cfork_value[]){ cfork_i64(1), cfork_i64(1),
				       cfork_f64(2.5), cfork_str("x"),
				       cfork_u64(7) }, 5);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo"), 0);
	check_echo(p, NULL, 0);
	cr_assert_eq(cfork_spawnv(&p, NULL, "wire_echo", NULL, 0), 0);
	check_echo(p, NULL, 0);
}

Test(wire, invalid_values_refused_even_unchecked)
{
	cfork_proc *p = (cfork_proc *)&p;
	int closed[2];

	cr_assert_eq(pipe(closed), 0);
	close(closed[0]);
	close(closed[1]);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo", cfork_str(NULL)),
		     -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo", cfork_bytes(NULL, 1)),
		     -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo",
				 ((cfork_value){ (cfork_type)'z', { 0 } })),
		     -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo", cfork_fd(-1)), -EBADF);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_echo", cfork_fd(closed[0])),
		     -EBADF);
	cr_assert_eq(p, (cfork_proc *)&p);
	cr_assert(!has_children());
}

/* ------------------------------------------------------------------------ */
/* Size and count                                                            */
/* ------------------------------------------------------------------------ */

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int wire_hash(const cfork_args *a)
{
	size_t n = 0;
	const unsigned char *d = cfork_arg_bytes(a, 0, &n);
	uint64_t out[2] = { n, fnv1a(d, n) };

	return cfork_return(out, sizeof(out)) ? ECHO_NO_RETURN : 0;
}
CFORK_REGISTER(wire_hash, "y");

Test(wire, bytes_64mib_round_trip)
{
	const size_t n = (size_t)64 << 20;
	unsigned char *data = malloc(n);
	uint64_t x = 0x9e3779b97f4a7c15ull, want[2];
	cfork_proc *p;
	cfork_status st;

	cr_assert_not_null(data);
	/* Distinct content everywhere, so that a dropped or repeated chunk
	   changes the hash. */
	for (size_t i = 0; i < n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(data + i, &x, 8);
	}
	want[0] = n;
	want[1] = fnv1a(data, n);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_hash", cfork_bytes(data, n)),
		     0);
	free(data);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "code %d signal %d error %s",
		  st.code, st.signal, st.error ? st.error : "(none)");
	cr_assert_eq(st.result_len, sizeof(want));
	cr_assert_arr_eq(st.result, want, sizeof(want),
			 "child's length/hash differ from the parent's");
	cfork_free(p);
	cr_assert(!has_children());
}

static int wire_sixteen(const cfork_args *a)
{
	size_t n5 = 0, n11 = 1;
	const void *d5 = cfork_arg_bytes(a, 5, &n5);

	cfork_arg_bytes(a, 11, &n11);
	const bool ok[16] = {
		cfork_arg_i64(a, 0) == -1,
		cfork_arg_u64(a, 1) == 2,
		cfork_arg_f64(a, 2) == 3.0,
		cfork_arg_bool(a, 3) == true,
		!strcmp(cfork_arg_str(a, 4), "five"),
		n5 == 3 && !memcmp(d5, "six", 3),
		cfork_arg_i64(a, 6) == INT64_MIN,
		cfork_arg_u64(a, 7) == UINT64_MAX,
		cfork_arg_f64(a, 8) == 0.5,
		cfork_arg_bool(a, 9) == false,
		!strcmp(cfork_arg_str(a, 10), ""),
		n11 == 0,
		cfork_arg_i64(a, 12) == 13,
		cfork_arg_u64(a, 13) == 14,
		cfork_arg_f64(a, 14) == 15.25,
		cfork_arg_bool(a, 15) == true,
	};

	for (int i = 0; i < 16; i++)
		if (!ok[i])
			return i + 1;
	return echo_all(a);
}
CFORK_REGISTER(wire_sixteen, "iudbsyiudbsyiudb");

Test(wire, sixteen_arguments_through_macros)
{
	const cfork_value want[16] = {
		cfork_i64(-1), cfork_u64(2), cfork_f64(3.0), cfork_bool(true),
		cfork_str("five"), cfork_bytes("six", 3), cfork_i64(INT64_MIN),
		cfork_u64(UINT64_MAX), cfork_f64(0.5), cfork_bool(false),
		cfork_str(""), cfork_bytes(NULL, 0), cfork_i64(13),
		cfork_u64(14), cfork_f64(15.25), cfork_bool(true),
	};
	cfork_proc *p;
	int r;

	r = cfork("wire_sixteen", -1, 2, 3, true, "five",
		  cfork_bytes("six", 3), INT64_MIN, UINT64_MAX, 0.5, false, "",
		  cfork_bytes(NULL, 0), 13, 14, 15.25, 1);
	cr_assert_eq(r, 0, "child saw argument %d wrong", r);
	cr_assert_eq(cfork_spawn(&p, NULL, "wire_sixteen", -1, 2, 3, true,
				 "five", cfork_bytes("six", 3), INT64_MIN,
				 UINT64_MAX, 0.5, false, "",
				 cfork_bytes(NULL, 0), 13, 14, 15.25, 1), 0);
	check_echo(p, want, 16);
	cr_assert(!has_children());
}

/* ------------------------------------------------------------------------ */
/* payload_decode() on damaged payloads                                     */
/* ------------------------------------------------------------------------ */

#define UNIT_NAME "wire_unit"
#define UNIT_SIGMASK 0x0000000100004002ull

/* Argument indices of the payload every decode test starts from. */
enum { A_I64, A_STR, A_BYTES, A_BOOL, A_FD, A_U64, A_F64, A_EMPTY_STR,
       A_EMPTY_BYTES, A_TAIL_STR, A_COUNT };

/* A real payload, placed so that it ends where an inaccessible page
   begins: a read past its end crashes the test instead of passing
   unnoticed. */
struct payload {
	unsigned char *base;
	size_t size;
	void *map;
	size_t map_len;
};

static void payload_build(struct payload *pl)
{
	const cfork_value v[A_COUNT] = {
		[A_I64] = cfork_i64(-5),
		[A_STR] = cfork_str("hello"),
		[A_BYTES] = cfork_bytes("\1\2\3", 3),
		[A_BOOL] = cfork_bool(true),
		[A_FD] = cfork_fd(9),
		[A_U64] = cfork_u64(UINT64_MAX),
		[A_F64] = cfork_f64(-0.0),
		[A_EMPTY_STR] = cfork_str(""),
		[A_EMPTY_BYTES] = cfork_bytes(NULL, 0),
		[A_TAIL_STR] = cfork_str("1234567"),
	};
	struct payload_out out;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off = 0;

	cr_assert_eq(wire_encode(&out, UNIT_NAME, true, 7, UNIT_SIGMASK, v,
				 A_COUNT), 0);
	pl->size = out.size;
	pl->map_len = (out.size + page - 1) / page * page + page;
	pl->map = mmap(NULL, pl->map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(pl->map, MAP_FAILED);
	cr_assert_eq(mprotect((char *)pl->map + pl->map_len - page, page,
			      PROT_NONE), 0);
	pl->base = (unsigned char *)pl->map + pl->map_len - page - out.size;
	for (size_t i = 0; i < out.niov; i++) {
		memcpy(pl->base + off, out.iov[i].iov_base, out.iov[i].iov_len);
		off += out.iov[i].iov_len;
	}
	cr_assert_eq(off, out.size);
	payload_out_release(&out);

	/* Every corruption goes through wire.h's layout: check it against a
	   real payload before any corrupting test relies on it. */
	const struct wire_header *h = (const void *)pl->base;
	cr_assert(h->size == pl->size && h->version == WIRE_VERSION &&
		  h->image_fd == -1 && h->status_fd == -1 &&
		  h->header_size == sizeof(*h) && h->name_off == sizeof(*h) &&
		  h->argc == A_COUNT && h->name_len == strlen(UNIT_NAME) &&
		  h->report_fd == 7 && h->sigmask == UNIT_SIGMASK &&
		  !strcmp((const char *)pl->base + h->name_off, UNIT_NAME),
		  "the payload is not laid out as wire.h says");
}

static struct wire_header *hdr(struct payload *pl)
{
	return (struct wire_header *)pl->base;
}

static struct wire_arg *arg(struct payload *pl, size_t i)
{
	return (struct wire_arg *)(pl->base + hdr(pl)->args_off) + i;
}

static void payload_free(struct payload *pl)
{
	munmap(pl->map, pl->map_len);
}

Test(wire, decode_accepts_real_payload)
{
	struct payload pl;
	cfork_args a;
	const char *why = NULL;
	size_t n = 0;

	payload_build(&pl);
	cr_assert_eq(payload_decode(&a, pl.base, pl.size, &why), 0, "refused: %s",
		     why);
	/* The mirror the other decode tests corrupt through is the real
	   layout. */
	cr_assert_eq(hdr(&pl)->size, pl.size);
	cr_assert_eq(hdr(&pl)->version, WIRE_VERSION);
	cr_assert_eq(hdr(&pl)->header_size, sizeof(struct wire_header));
	cr_assert_eq(hdr(&pl)->argc, A_COUNT);
	cr_assert_eq(hdr(&pl)->name_len, strlen(UNIT_NAME));
	cr_assert_eq(hdr(&pl)->report_fd, 7);
	cr_assert_eq(hdr(&pl)->image_fd, -1);
	cr_assert_eq(a.image_fd, -1);
	cr_assert_eq(a.name, (const char *)pl.base + hdr(&pl)->name_off);
	cr_assert_eq((const void *)a.arg, (const void *)arg(&pl, 0));
	cr_assert_eq(arg(&pl, A_STR)->type, CFORK_STR);
	cr_assert_eq(arg(&pl, A_STR)->len, 5);
	cr_assert_eq(arg(&pl, A_BOOL)->value, 1);

	cr_assert_str_eq(a.name, UNIT_NAME);
	cr_assert_eq(a.argc, A_COUNT);
	cr_assert_eq(a.report_fd, 7);
	cr_assert(a.is_static);
	cr_assert_eq(cfork_arg_i64(&a, A_I64), -5);
	cr_assert_str_eq(cfork_arg_str(&a, A_STR), "hello");
	cr_assert_arr_eq(cfork_arg_bytes(&a, A_BYTES, &n), "\1\2\3", 3);
	cr_assert_eq(n, 3);
	cr_assert(cfork_arg_bool(&a, A_BOOL));
	cr_assert_eq(cfork_arg_fd(&a, A_FD), 9);
	cr_assert_eq(cfork_arg_u64(&a, A_U64), UINT64_MAX);
	cr_assert_eq(bits(cfork_arg_f64(&a, A_F64)), 0x8000000000000000ull);
	cr_assert_str_eq(cfork_arg_str(&a, A_EMPTY_STR), "");
	cfork_arg_bytes(&a, A_EMPTY_BYTES, &n);
	cr_assert_eq(n, 0);
	cr_assert_str_eq(cfork_arg_str(&a, A_TAIL_STR), "1234567");
	cr_assert_eq(cfork_argtype(&a, A_COUNT), 0);
	payload_free(&pl);
}

/* One way to damage the payload: the corruption, the size handed to the
   decoder (0: the payload's own), and a word the reason must contain. */
struct damage {
	const char *what;
	void (*apply)(struct payload *pl);
	size_t (*size)(const struct payload *pl);
	const char *reason;
};

static void refuse_each(const struct damage *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct payload pl;
		cfork_args a;
		const char *why = NULL;

		payload_build(&pl);
		if (d[i].apply)
			d[i].apply(&pl);
		size_t size = d[i].size ? d[i].size(&pl) : pl.size;
		/* The shrunken sizes keep the end against the guard page. */
		const unsigned char *base = pl.base + pl.size - size;
		memmove((void *)base, pl.base, size);
		cr_assert_eq(payload_decode(&a, base, size, &why), -EINVAL,
			     "%s: accepted", d[i].what);
		cr_assert_not_null(why, "%s: refused without a reason",
				   d[i].what);
		cr_assert(strstr(why, d[i].reason), "%s: reason \"%s\"",
			  d[i].what, why);
		payload_free(&pl);
	}
}

static void bad_magic(struct payload *pl) { hdr(pl)->magic[1] ^= 0x20; }
static void magic_nul(struct payload *pl) { hdr(pl)->magic[0] = 0; }
static void version_next(struct payload *pl) { hdr(pl)->version = WIRE_VERSION + 1; }
static void version_prev(struct payload *pl) { hdr(pl)->version = WIRE_VERSION - 1; }
static void version_0(struct payload *pl) { hdr(pl)->version = 0; }
static void header_size_small(struct payload *pl) { hdr(pl)->header_size = 48; }
static void size_field_bigger(struct payload *pl) { hdr(pl)->size += 8; }
static void size_field_smaller(struct payload *pl) { hdr(pl)->size -= 8; }
static void unknown_flag(struct payload *pl) { hdr(pl)->flags |= 2; }
static void image_fd_stdin(struct payload *pl) { hdr(pl)->image_fd = 0; }
static void image_fd_negative(struct payload *pl) { hdr(pl)->image_fd = -2; }
static void image_fd_is_report(struct payload *pl) { hdr(pl)->image_fd = 7; }
static void status_fd_stdio(struct payload *pl) { hdr(pl)->status_fd = 1; }
static void status_fd_report(struct payload *pl) { hdr(pl)->status_fd = hdr(pl)->report_fd; }
static size_t minus_8(const struct payload *pl) { return pl->size - 8; }
static size_t shorter_than_header(const struct payload *pl)
{
	(void)pl;
	return sizeof(struct wire_header) - 1;
}
static size_t zero_size(const struct payload *pl) { (void)pl; return 0; }

Test(wire, decode_refuses_bad_header)
{
	const struct damage d[] = {
		{ "bad magic", bad_magic, NULL, "magic" },
		{ "magic starting with NUL", magic_nul, NULL, "magic" },
		{ "the next version", version_next, NULL, "version" },
		{ "the previous version", version_prev, NULL, "version" },
		{ "version 0", version_0, NULL, "version" },
		{ "header size 48", header_size_small, NULL, "header size" },
		{ "size field too big", size_field_bigger, NULL, "size" },
		{ "size field too small", size_field_smaller, NULL, "size" },
		{ "truncated by 8", NULL, minus_8, "size" },
		{ "shorter than a header", NULL, shorter_than_header, "short" },
		{ "empty", NULL, zero_size, "short" },
		{ "unknown flag", unknown_flag, NULL, "flag" },
		{ "image fd 0", image_fd_stdin, NULL, "image fd" },
		{ "image fd -2", image_fd_negative, NULL, "image fd" },
		{ "image fd = report fd", image_fd_is_report, NULL, "image fd" },
		{ "status fd is stdio", status_fd_stdio, NULL, "status fd" },
		{ "status fd is the report channel", status_fd_report, NULL,
		  "status fd" },
	};

	refuse_each(d, COUNT(d));
}

static void name_unterminated(struct payload *pl)
{
	pl->base[hdr(pl)->name_off + hdr(pl)->name_len] = 'x';
}
static void name_len_0(struct payload *pl) { hdr(pl)->name_len = 0; }
static void name_len_long(struct payload *pl) { hdr(pl)->name_len++; }
static void name_len_short(struct payload *pl) { hdr(pl)->name_len--; }
static void name_len_256(struct payload *pl) { hdr(pl)->name_len = 256; }
static void name_off_end(struct payload *pl) { hdr(pl)->name_off = pl->size; }
static void name_off_huge(struct payload *pl)
{
	hdr(pl)->name_off = UINT64_MAX - 4;
}

Test(wire, decode_refuses_bad_name)
{
	const struct damage d[] = {
		{ "name without NUL", name_unterminated, NULL, "name" },
		{ "name length 0", name_len_0, NULL, "name" },
		{ "name length past its NUL", name_len_long, NULL, "name" },
		{ "name length short of its NUL", name_len_short, NULL, "name" },
		{ "name length 256", name_len_256, NULL, "name" },
		{ "name at the end", name_off_end, NULL, "name" },
		{ "name offset wrapping", name_off_huge, NULL, "name" },
	};

	refuse_each(d, COUNT(d));
}

static void argc_huge(struct payload *pl) { hdr(pl)->argc = UINT32_MAX; }
static void argc_max(struct payload *pl) { hdr(pl)->argc = CFORK_ARGC_MAX + 1; }
static void argc_past_end(struct payload *pl) { hdr(pl)->argc = CFORK_ARGC_MAX; }
static void args_off_end(struct payload *pl) { hdr(pl)->args_off = pl->size; }
static void args_off_last_word(struct payload *pl)
{
	hdr(pl)->args_off = pl->size - 8;
}
static void args_off_misaligned(struct payload *pl) { hdr(pl)->args_off += 4; }
static void args_off_wrapping(struct payload *pl)
{
	hdr(pl)->args_off = UINT64_MAX - 7;
}

Test(wire, decode_refuses_bad_argument_table)
{
	const struct damage d[] = {
		{ "argc 2^32-1", argc_huge, NULL, "too many" },
		{ "argc over the maximum", argc_max, NULL, "too many" },
		{ "table past the end", argc_past_end, NULL, "table" },
		{ "table at the end", args_off_end, NULL, "table" },
		{ "table in the last word", args_off_last_word, NULL, "table" },
		{ "table misaligned", args_off_misaligned, NULL, "table" },
		{ "table offset wrapping", args_off_wrapping, NULL, "table" },
	};

	refuse_each(d, COUNT(d));
}

static void str_off_end(struct payload *pl) { arg(pl, A_STR)->value = pl->size; }
static void str_off_huge(struct payload *pl)
{
	arg(pl, A_STR)->value = UINT64_MAX - 7;
}
static void str_len_end(struct payload *pl) { arg(pl, A_STR)->len = pl->size; }
static void str_len_max(struct payload *pl) { arg(pl, A_STR)->len = UINT64_MAX; }
static void str_unterminated(struct payload *pl)
{
	pl->base[arg(pl, A_STR)->value + 5] = 'x';
}
static void tail_str_unterminated(struct payload *pl)
{
	pl->base[pl->size - 1] = 'x';
}
static void str_embedded_nul(struct payload *pl)
{
	pl->base[arg(pl, A_STR)->value + 2] = '\0';
}
static void str_len_short(struct payload *pl) { arg(pl, A_STR)->len = 4; }
static void str_misaligned(struct payload *pl) { arg(pl, A_STR)->value += 1; }
static void str_into_header(struct payload *pl)
{
	/* Offset 0 is the magic: bytes that are there, but no string. */
	arg(pl, A_EMPTY_STR)->value = 0;
}

Test(wire, decode_refuses_bad_strings)
{
	const struct damage d[] = {
		{ "string offset at the end", str_off_end, NULL, "string" },
		{ "string offset wrapping", str_off_huge, NULL, "string" },
		{ "string length to the end", str_len_end, NULL, "string" },
		{ "string length 2^64-1", str_len_max, NULL, "string" },
		{ "string without its NUL", str_unterminated, NULL, "string" },
		{ "last string without its NUL", tail_str_unterminated, NULL,
		  "string" },
		{ "string with a NUL inside", str_embedded_nul, NULL, "string" },
		{ "string length short of its NUL", str_len_short, NULL,
		  "string" },
		{ "string misaligned", str_misaligned, NULL, "string" },
		{ "empty string pointing at the magic", str_into_header, NULL,
		  "string" },
	};

	refuse_each(d, COUNT(d));
}

static void bytes_len_end(struct payload *pl)
{
	arg(pl, A_BYTES)->len = pl->size;
}
static void bytes_off_end(struct payload *pl)
{
	arg(pl, A_BYTES)->value = pl->size + 8;
	arg(pl, A_BYTES)->len = 0;
}
static void bytes_len_wrapping(struct payload *pl)
{
	arg(pl, A_BYTES)->len = UINT64_MAX - arg(pl, A_BYTES)->value + 1;
}
static void bytes_one_past(struct payload *pl)
{
	arg(pl, A_BYTES)->len = pl->size - arg(pl, A_BYTES)->value + 1;
}

Test(wire, decode_refuses_bad_bytes)
{
	const struct damage d[] = {
		{ "bytes as long as the payload", bytes_len_end, NULL, "byte" },
		{ "empty bytes past the end", bytes_off_end, NULL, "byte" },
		{ "bytes length wrapping", bytes_len_wrapping, NULL, "byte" },
		{ "bytes one past the end", bytes_one_past, NULL, "byte" },
	};

	refuse_each(d, COUNT(d));
}

static void type_unknown(struct payload *pl) { arg(pl, A_I64)->type = 'z'; }
static void type_zero(struct payload *pl) { arg(pl, A_I64)->type = 0; }
static void type_high(struct payload *pl)
{
	arg(pl, A_I64)->type = 0x100 | CFORK_I64;
}
static void bool_2(struct payload *pl) { arg(pl, A_BOOL)->value = 2; }
static void bool_max(struct payload *pl) { arg(pl, A_BOOL)->value = UINT64_MAX; }
static void fd_huge(struct payload *pl)
{
	arg(pl, A_FD)->value = (uint64_t)INT32_MAX + 1;
}
static void fd_negative(struct payload *pl) { arg(pl, A_FD)->value = (uint64_t)-1; }
static void flags_on_scalar(struct payload *pl) { arg(pl, A_U64)->flags = 1; }
static void scalar_len(struct payload *pl) { arg(pl, A_F64)->len = 8; }

Test(wire, decode_refuses_bad_scalars)
{
	const struct damage d[] = {
		{ "unknown type 'z'", type_unknown, NULL, "type" },
		{ "type 0", type_zero, NULL, "type" },
		{ "type with high bits", type_high, NULL, "type" },
		{ "bool 2", bool_2, NULL, "bool" },
		{ "bool 2^64-1", bool_max, NULL, "bool" },
		{ "fd 2^31", fd_huge, NULL, "fd" },
		{ "fd -1", fd_negative, NULL, "fd" },
		{ "buffer flag on a scalar", flags_on_scalar, NULL, "flags" },
		{ "scalar with a length", scalar_len, NULL, "length" },
	};

	refuse_each(d, COUNT(d));
}
