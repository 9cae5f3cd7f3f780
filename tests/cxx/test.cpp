// SPDX-License-Identifier: MIT
// cfork from C++, built by `make test` with g++ and with clang++ and run:
// CFORK_VAL maps C++ types as C's _Generic maps C ones, and CFORK_REGISTER,
// cfork() and cfork_spawn() carry every kind of value into a child and
// back. Prints one line per failed check; exits 1 if any failed.
#include <cfork.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

static int failures;
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			std::printf("cxx test: %s:%d: %s\n", __FILE__,	\
				    __LINE__, #cond);			\
			failures++;					\
		}							\
	} while (0)

// Each child checks its arguments itself and exits 0 only when all hold.
static int cxx_kinds(const cfork_args *a)
{
	size_t n;
	const void *b = cfork_arg_bytes(a, 5, &n);
	bool ok = std::strcmp(cfork_arg_str(a, 0), "text") == 0 &&
		  cfork_arg_i64(a, 1) == -42 &&
		  cfork_arg_u64(a, 2) == UINT64_MAX &&
		  cfork_arg_f64(a, 3) == 2.5 && cfork_arg_bool(a, 4) &&
		  n == 3 && std::memcmp(b, "a\0b", 3) == 0;
	char c = 'x';
	ok = ok && write(cfork_arg_fd(a, 6), &c, 1) == 1;
	return ok ? 0 : 1;
}
CFORK_REGISTER(cxx_kinds, "siudbyf");

static int cxx_none(const cfork_args *a)
{
	return static_cast<int>(cfork_argc(a)) + 3;
}
CFORK_REGISTER(cxx_none, "");

// Unchecked: more values than C's macros take (16).
static int cxx_many(const cfork_args *a)
{
	int64_t sum = 0;

	for (size_t i = 0; i < cfork_argc(a); i++)
		sum += cfork_arg_i64(a, i);
	std::string s = std::to_string(sum);
	return cfork_return(s.data(), s.size()) == 0 ? 0 : 1;
}
CFORK_REGISTER(cxx_many, nullptr);

static int cxx_buffer(const cfork_args *a)
{
	size_t n;
	const char *p = static_cast<const char *>(cfork_arg_bytes(a, 0, &n));
	return n == 4096 && p[0] == 'B' && p[4095] == 'E' ? 0 : 1;
}
CFORK_REGISTER(cxx_buffer, "y");

enum small_enum : int { SMALL_A = 5 };
enum plain_enum { PLAIN_A = -5 };
enum class wide_enum : unsigned long long { BIG = 1ull << 40 };

static void check_values()
{
	char buf[] = "mutable";
	const char *cs = "const";
	signed char sc = -1;
	short sh = -2;
	long l = -3;
	long long ll = -4;
	unsigned char uc = 1;
	unsigned short us = 2;
	unsigned long ul = 3;
	size_t sz = 4;
	int8_t i8 = -5;
	uint16_t u16 = 6;

	CHECK(CFORK_VAL('c').type == CFORK_I64);
	CHECK(CFORK_VAL(sc).type == CFORK_I64 && CFORK_VAL(sc).as.i64 == -1);
	CHECK(CFORK_VAL(sh).type == CFORK_I64);
	CHECK(CFORK_VAL(7).type == CFORK_I64 && CFORK_VAL(7).as.i64 == 7);
	CHECK(CFORK_VAL(l).type == CFORK_I64);
	CHECK(CFORK_VAL(ll).type == CFORK_I64 && CFORK_VAL(ll).as.i64 == -4);
	CHECK(CFORK_VAL(i8).type == CFORK_I64);
	CHECK(CFORK_VAL(uc).type == CFORK_U64);
	CHECK(CFORK_VAL(us).type == CFORK_U64);
	CHECK(CFORK_VAL(7u).type == CFORK_U64);
	CHECK(CFORK_VAL(ul).type == CFORK_U64);
	CHECK(CFORK_VAL(sz).type == CFORK_U64 && CFORK_VAL(sz).as.u64 == 4);
	CHECK(CFORK_VAL(u16).type == CFORK_U64);
	CHECK(CFORK_VAL(UINT64_MAX).type == CFORK_U64);
	CHECK(CFORK_VAL(1.5f).type == CFORK_F64 && CFORK_VAL(1.5f).as.f64 == 1.5);
	CHECK(CFORK_VAL(2.5).type == CFORK_F64);
	CHECK(CFORK_VAL(true).type == CFORK_BOOL && CFORK_VAL(true).as.b);
	CHECK(CFORK_VAL(1 > 2).type == CFORK_BOOL);
	CHECK(CFORK_VAL("lit").type == CFORK_STR);
	CHECK(CFORK_VAL(buf).type == CFORK_STR && CFORK_VAL(buf).as.str == buf);
	CHECK(CFORK_VAL(cs).type == CFORK_STR);
	CHECK(CFORK_VAL(SMALL_A).type == CFORK_I64);
	CHECK(CFORK_VAL(PLAIN_A).type == CFORK_I64 &&
	      CFORK_VAL(PLAIN_A).as.i64 == -5);
	CHECK(CFORK_VAL(wide_enum::BIG).type == CFORK_U64 &&
	      CFORK_VAL(wide_enum::BIG).as.u64 == 1ull << 40);
	CHECK(CFORK_VAL(cfork_fd(9)).type == CFORK_FD);
	CHECK(CFORK_VAL(cfork_bytes("ab", 2)).as.bytes.len == 2);
	cfork_buffer *b = nullptr;
	CHECK(CFORK_VAL(b).type == CFORK_BUFFER);

	cfork_attr attr = CFORK_ATTR_INIT;
	CHECK(attr.stdin_fd == -1 && attr.stdout_fd == -1 &&
	      attr.stderr_fd == -1 && attr.cgroup_fd == -1 &&
	      attr.keep_fds == nullptr && attr.sandbox == nullptr &&
	      attr.result_max == 0 && attr.envp == nullptr &&
	      attr.cwd == nullptr && attr.deadline_ms == 0 &&
	      attr.capture == 0 && attr.flags == 0 && attr.output_max == 0 &&
	      attr.reserved[10] == 0);
}

static void check_children()
{
	int fds[2];
	CHECK(pipe(fds) == 0);

	// Every kind, through cfork() and through cfork_spawn().
	std::string text = "text";
	CHECK(cfork("cxx_kinds", text.c_str(), -42, UINT64_MAX, 2.5, true,
		    cfork_bytes("a\0b", 3), cfork_fd(fds[1])) == 0);
	cfork_proc *p = nullptr;
	cfork_status st;
	cfork_attr attr = CFORK_ATTR_INIT;
	attr.stderr_fd = STDERR_FILENO;
	CHECK(cfork_spawn(&p, &attr, "cxx_kinds", "text", -42LL, UINT64_MAX,
			  2.5f, true, cfork_bytes("a\0b", 3),
			  cfork_fd(fds[1])) == 0);
	CHECK(p && cfork_wait(p, -1, &st) == 0 && st.exited && st.code == 0);
	cfork_free(p);
	char got[2] = { 0, 0 };
	CHECK(read(fds[0], got, 2) == 2 && got[0] == 'x' && got[1] == 'x');
	close(fds[0]);
	close(fds[1]);

	// No value; a mismatch is refused in the parent, as in C.
	CHECK(cfork("cxx_none") == 3);
	CHECK(cfork("cxx_kinds", 1) == -EINVAL);
	CHECK(cfork("cxx_not_registered") == -ENOENT);
	// The parent converts an exact int for a u64 or a double, as in C.
	CHECK(pipe(fds) == 0);
	CHECK(cfork("cxx_kinds", "text", -42, UINT64_MAX, 5 / 2.0, 1 == 1,
		    cfork_bytes("a\0b", 3), cfork_fd(fds[1])) == 0);
	close(fds[0]);
	close(fds[1]);

	// 20 values: more than C's 16.
	p = nullptr;
	CHECK(cfork_spawn(&p, nullptr, "cxx_many", 1, 2, 3, 4, 5, 6, 7, 8, 9,
			  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20) == 0);
	CHECK(p && cfork_wait(p, -1, &st) == 0 && st.exited && st.code == 0);
	CHECK(st.result_len == 3 && std::memcmp(st.result, "210", 3) == 0);
	cfork_free(p);

	// A zero-copy buffer, as a cfork_buffer *.
	cfork_buffer *b = nullptr;
	CHECK(cfork_buffer_new(&b, 4096) == 0);
	if (b) {
		char *d = static_cast<char *>(cfork_buffer_data(b));
		std::memset(d, 0, 4096);
		d[0] = 'B';
		d[4095] = 'E';
		CHECK(cfork("cxx_buffer", b) == 0);
		CHECK(cfork_buffer_frozen(b));
		cfork_buffer_free(b);
	}
}

int main()
{
	if (cfork_init() < 0)
		return 1;
	check_values();
	check_children();
	if (failures) {
		std::printf("cxx test: %d checks failed\n", failures);
		return 1;
	}
	std::printf("cxx test (C++ %ld): every check passed\n",
		    static_cast<long>(__cplusplus));
	return 0;
}
