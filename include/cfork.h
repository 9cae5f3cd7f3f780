/* SPDX-License-Identifier: MIT */
#ifndef CFORK_H
#define CFORK_H

/*
 * cfork: run a registered function in a brand-new process of the same
 * program.
 *
 * Register functions by name, call cfork_init() early, and start any of them
 * in a fresh process: the program's own binary is executed again (clone3 +
 * execveat), the arguments travel in a sealed memfd, and the child runs the
 * function and exits with its return value. The child does not continue from
 * the point of the call and shares no memory, locks or stdio buffers with the
 * parent.
 *
 * Every call that can fail returns 0 (or a non-negative value where stated)
 * on success and a negative errno value on failure. No call changes errno,
 * logs, or aborts the caller's process.
 *
 * The child runs with no_new_privs set: nothing it executes can gain
 * privileges through setuid bits or file capabilities.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; its API is what this header
   declares. */
#pragma GCC visibility push(default)

#define CFORK_VERSION_MAJOR 0
#define CFORK_VERSION_MINOR 1

/* ------------------------------------------------------------------------ */
/* Values that cross into the child                                          */
/* ------------------------------------------------------------------------ */

/* The type of one argument; the letters are those of a signature string. */
typedef enum cfork_type {
	CFORK_I64 = 'i',	/* int64_t */
	CFORK_U64 = 'u',	/* uint64_t */
	CFORK_F64 = 'd',	/* double */
	CFORK_BOOL = 'b',	/* bool */
	CFORK_STR = 's',	/* NUL-terminated string */
	CFORK_BYTES = 'y',	/* byte buffer: pointer + length */
	CFORK_FD = 'f',		/* a file descriptor the child inherits */
} cfork_type;

/* A read-only byte buffer, as the child sees a CFORK_BYTES argument. */
typedef struct cfork_span {
	const void *data;
	size_t len;
} cfork_span;

/*
 * One argument. Build it with CFORK_VAL(), cfork_bytes() or cfork_fd(), or
 * fill the fields directly. Strings and buffers are copied into the payload
 * when the child is spawned: they need to live only for the duration of the
 * cfork_spawnv() call.
 */
typedef struct cfork_value {
	cfork_type type;
	union {
		int64_t i64;
		uint64_t u64;
		double f64;
		bool b;
		const char *str;
		cfork_span bytes;
		int fd;
	} as;
} cfork_value;

static inline cfork_value cfork_i64(int64_t v)
{ cfork_value x = { CFORK_I64, { .i64 = v } }; return x; }
static inline cfork_value cfork_u64(uint64_t v)
{ cfork_value x = { CFORK_U64, { .u64 = v } }; return x; }
static inline cfork_value cfork_f64(double v)
{ cfork_value x = { CFORK_F64, { .f64 = v } }; return x; }
static inline cfork_value cfork_bool(bool v)
{ cfork_value x = { CFORK_BOOL, { .b = v } }; return x; }
static inline cfork_value cfork_str(const char *v)
{ cfork_value x = { CFORK_STR, { .str = v } }; return x; }
static inline cfork_value cfork_value_id(cfork_value v) { return v; }

/* A byte buffer of len bytes at data (data may be NULL when len is 0). */
static inline cfork_value cfork_bytes(const void *data, size_t len)
{ cfork_value x = { CFORK_BYTES, { .bytes = { data, len } } }; return x; }

/*
 * An fd the child inherits under the same number. The fd must be open in the
 * parent when the child is spawned (its close-on-exec flag does not matter);
 * fds 0, 1 and 2 name the child's stdio after any redirection in cfork_attr.
 */
static inline cfork_value cfork_fd(int fd)
{ cfork_value x = { CFORK_FD, { .fd = fd } }; return x; }

/*
 * CFORK_VAL(x): the cfork_value for a C value, by its type: signed integers
 * become CFORK_I64, unsigned integers CFORK_U64, float and double CFORK_F64,
 * bool CFORK_BOOL, char * and const char * CFORK_STR; a cfork_value is taken
 * as it is. Anything else is a compile error.
 */
#define CFORK_VAL(x) _Generic((x),					\
	char: cfork_i64, signed char: cfork_i64, short: cfork_i64,	\
	int: cfork_i64,							\
	long: cfork_i64, long long: cfork_i64,				\
	unsigned char: cfork_u64, unsigned short: cfork_u64,		\
	unsigned int: cfork_u64, unsigned long: cfork_u64,		\
	unsigned long long: cfork_u64,					\
	float: cfork_f64, double: cfork_f64,				\
	bool: cfork_bool,						\
	char *: cfork_str, const char *: cfork_str,			\
	cfork_value: cfork_value_id)(x)

/* ------------------------------------------------------------------------ */
/* The child's side                                                          */
/* ------------------------------------------------------------------------ */

/* The arguments of the running child: opaque, read-only. */
typedef struct cfork_args cfork_args;

/* A function the child runs; its return value is the child's exit status. */
typedef int (*cfork_fn)(const cfork_args *args);

/* Exit codes a child uses for cfork's own failures. */
enum {
	/* A getter was called with a wrong index or for a wrong type. */
	CFORK_EXIT_USAGE = 120,
	/* CFORK_FD names no valid payload: not a memfd, not sealed,
	   truncated, a bad header, an offset or length out of range. */
	CFORK_EXIT_PAYLOAD = 121,
	/* The payload names a function this binary has not registered, or
	   its arguments do not match the registered signature. */
	CFORK_EXIT_UNKNOWN = 122,
};

/* The number of arguments. */
size_t cfork_argc(const cfork_args *a);

/* The type of argument i; 0 when i is out of range. */
cfork_type cfork_argtype(const cfork_args *a, size_t i);

/*
 * The value of argument i. A wrong index or a wrong type is a programming
 * error: the child writes which argument and why to its stderr and to the
 * parent's cfork_status.error, and exits with CFORK_EXIT_USAGE.
 *
 * Strings and buffers are views into the read-only mapping of the payload:
 * no copy is made, and they stay valid until the child exits.
 * cfork_arg_fd() returns the fd number; the child owns that fd.
 */
int64_t cfork_arg_i64(const cfork_args *a, size_t i);
uint64_t cfork_arg_u64(const cfork_args *a, size_t i);
double cfork_arg_f64(const cfork_args *a, size_t i);
bool cfork_arg_bool(const cfork_args *a, size_t i);
const char *cfork_arg_str(const cfork_args *a, size_t i);
const void *cfork_arg_bytes(const cfork_args *a, size_t i, size_t *len);
int cfork_arg_fd(const cfork_args *a, size_t i);

/*
 * Send len bytes to the parent, where they appear as cfork_status.result.
 * Several calls append, in order; calls from several threads are serialized.
 * Blocks while the parent has not read earlier bytes (a pipe).
 *
 * Returns 0, or:
 *   -ENOTCONN  not called in a cfork child, or the channel was closed
 *   -EINVAL    data is NULL and len is not 0
 *   -EPIPE     the parent has gone away
 */
int cfork_return(const void *data, size_t len);

/* ------------------------------------------------------------------------ */
/* Registry and init                                                         */
/* ------------------------------------------------------------------------ */

/* One static registration; see CFORK_REGISTER. */
struct cfork_registration {
	const char *name;
	cfork_fn fn;
	const char *sig;
};

/*
 * Register fn under name at run time, for programs that call cfork_init()
 * from main() after registering. sig is one cfork_type letter per argument
 * ("isy"), "" for none, or NULL for unchecked arguments. name and sig must
 * stay valid for the life of the process (string literals, typically).
 *
 * Returns 0, or:
 *   -EINVAL  name is NULL, empty, or longer than 255 bytes; fn is NULL;
 *            sig has a letter that is not a cfork_type, or more than 255
 *   -EEXIST  name is already registered (statically or at run time)
 *   -ENOMEM  out of memory
 */
int cfork_register(const char *name, cfork_fn fn, const char *sig);

/*
 * CFORK_REGISTER(fn, sig): register fn under the name #fn, statically. The
 * entry is placed in the "cfork_registry" section of the executable, so it
 * exists before main() and before any constructor runs; the library's
 * constructor runs a statically registered child before main(), which is what
 * makes cfork usable in hosts that re-execute themselves (Criterion workers).
 * Use it at file scope, in the executable (not in a shared library).
 * A duplicate name makes every spawn of that name fail with -EEXIST.
 */
#define CFORK_REGISTER(fn, sig)						\
	static const struct cfork_registration				\
	cfork_registration_##fn						\
	__attribute__((used, section("cfork_registry"), aligned(8))) =	\
	{ #fn, fn, sig }

/*
 * In a parent: returns 0 at once (and may be called any number of times).
 * In a cfork child (the environment holds CFORK_FD): unsets CFORK_FD, checks
 * and maps the payload, runs the requested function and exits with its return
 * value; it never returns. A child whose function is registered statically
 * has already been dispatched by the library's constructor before main().
 *
 * Returns 0, or (parent only) the error from opening the program's own
 * binary, which every spawn would return too:
 *   -ENOEXEC  /proc/self/exe is not this program (it was started through
 *             ld.so or an emulator): cfork cannot re-execute it
 *   other     open("/proc/self/exe") failed (for example -ENOENT, no /proc)
 */
int cfork_init(void);

/* ------------------------------------------------------------------------ */
/* Launching                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * How to launch a child. Start from CFORK_ATTR_INIT and set what you need;
 * a NULL attr means the defaults.
 */
typedef struct cfork_attr {
	/* The child's stdio: an fd of the parent to install as 0, 1 or 2,
	   or -1 to inherit the parent's. */
	int stdin_fd, stdout_fd, stderr_fd;
	/* More fds the child inherits under the same numbers. Every other fd
	   of the parent is closed in the child, close-on-exec or not. */
	const int *keep_fds;
	size_t nkeep_fds;
	/* Signal the child gets when the thread that spawned it exits
	   (PR_SET_PDEATHSIG), or 0 for none. */
	int pdeathsig;
	/* A cgroup v2 directory fd to start the child in, or -1: with
	   CLONE_INTO_CGROUP, or where clone3 is not available by the child
	   writing itself into cgroup.procs before exec. */
	int cgroup_fd;
} cfork_attr;

#define CFORK_ATTR_INIT { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, \
	.keep_fds = NULL, .nkeep_fds = 0, .pdeathsig = 0, .cgroup_fd = -1 }

/* A running or finished child: opaque. */
typedef struct cfork_proc cfork_proc;

/* How a child ended; filled by cfork_wait(), valid until cfork_free(). */
typedef struct cfork_status {
	bool exited;		/* true: it exited, with code */
	int code;		/* exit status (0..255) when exited */
	int signal;		/* the terminating signal otherwise */
	const char *error;	/* cfork's own child-side failure, or NULL */
	const void *result;	/* the bytes sent with cfork_return() */
	size_t result_len;	/* (result is NULL when there are none) */
} cfork_status;

/*
 * Start the function registered as name in a new process, with argc values.
 *
 * The name and the values are checked against the registered signature
 * before anything is launched; where the signature asks for CFORK_U64,
 * CFORK_BOOL or CFORK_F64 and the value is a CFORK_I64 (or a CFORK_U64 for
 * CFORK_I64), it is converted when the conversion is exact (1 to true, 42 to
 * 42.0, a non-negative i64 to u64); anything else is a mismatch. On success
 * *ret_proc is a handle to wait on and free; on failure it is untouched and
 * no child exists.
 *
 * Returns 0, or:
 *   -ENOENT   no function is registered under name
 *   -EEXIST   name is registered twice
 *   -EINVAL   ret_proc or name is NULL; argc does not match the signature; a
 *             value has the wrong type and no exact conversion; a string is
 *             NULL; a buffer is NULL with a non-zero length; argv is NULL
 *             with argc > 0; attr has keep_fds NULL with nkeep_fds > 0, or
 *             a pdeathsig that is not a signal
 *   -EBADF    an fd value, a stdio fd or a kept fd is not open
 *   -E2BIG    the payload would exceed CFORK_PAYLOAD_MAX or argc exceeds
 *             CFORK_ARGC_MAX
 *   -ENOEXEC  the program's own binary cannot be re-executed (see cfork_init)
 *   -ENOMEM, -EMFILE, -ENFILE, -EAGAIN, -ENOSPC: out of a resource
 *   other     the error of the exec in the child (-EACCES, -ENOENT if the
 *             binary went away, ...)
 */
int cfork_spawnv(cfork_proc **ret_proc, const cfork_attr *attr,
		 const char *name, const cfork_value *argv, size_t argc);

#define CFORK_ARGC_MAX 4096
#define CFORK_PAYLOAD_MAX ((size_t)1 << 40)

/*
 * cfork_spawn(ret_proc, attr, name, ...): cfork_spawnv() with zero or more
 * values (up to 16) packed with CFORK_VAL().
 */
#define cfork_spawn(ret_proc, attr, ...)				\
	cfork_spawnv((ret_proc), (attr), CFORK_FIRST_(__VA_ARGS__),	\
		     CFORK_VALUES_(__VA_ARGS__), CFORK_NVALUES_(__VA_ARGS__))

/* The child's pid. */
pid_t cfork_pid(const cfork_proc *p);

/* The child's pidfd (owned by the handle), or -1 where the kernel gave none. */
int cfork_pidfd(const cfork_proc *p);

/*
 * Wait up to timeout_ms milliseconds (-1: forever, 0: just check) for the
 * child to end, collecting what it sends meanwhile; then reap it and fill
 * *st. Once it has ended, further calls fill *st again and return 0.
 *
 * Returns 0, or:
 *   -ETIMEDOUT  the child is still running (st untouched)
 *   -EINVAL     p or st is NULL, or timeout_ms < -1
 *   -ECHILD     the child was reaped by someone else (waitpid(-1) in the
 *               host, or the kernel itself when the process ignores SIGCHLD)
 *               and the kernel cannot tell how it ended: PIDFD_GET_INFO
 *               (Linux 6.15) recovers the status where it exists
 *   -ENOMEM     out of memory for the child's result
 */
int cfork_wait(cfork_proc *p, int timeout_ms, cfork_status *st);

/*
 * Send signal sig to the child (pidfd_send_signal; kill(2) where the kernel
 * gave no pidfd, safe because an unreaped child's pid cannot be reused).
 *
 * Returns 0, or:
 *   -ESRCH   the child has been reaped (cfork_wait returned its status)
 *   -EINVAL  p is NULL or sig is not a signal
 *   -EPERM   not permitted
 */
int cfork_kill(cfork_proc *p, int sig);

/*
 * Release the handle. A child that has ended is reaped; one that is still
 * running is killed with SIGKILL and reaped, so that a handle never leaves a
 * zombie or an orphan behind: wait first to let it finish. NULL is a no-op.
 */
void cfork_free(cfork_proc *p);

/* How a child was launched; bits of cfork_paths(). */
enum {
	CFORK_PATH_CLONE3 = 1 << 0,	/* clone3; else legacy clone(2) */
	CFORK_PATH_PIDFD = 1 << 1,	/* the handle holds a pidfd */
	CFORK_PATH_NOEXEC_SEAL = 1 << 2, /* memfd with MFD_NOEXEC_SEAL */
	CFORK_PATH_URING = 1 << 3,	/* arguments written by io_uring while
					   the child started */
};

/*
 * Which fast paths or fallbacks this child was launched with.
 *
 * Arguments of 256 KiB and more are written into the payload by io_uring
 * while the child starts; smaller ones, and hosts where io_uring is blocked,
 * use pwritev. CFORK_WRITEOUT=pwritev or CFORK_WRITEOUT=uring in the
 * environment forces one method for every size (read at each spawn).
 */
unsigned cfork_paths(const cfork_proc *p);

/*
 * cfork_runv(attr, name, argv, argc): spawn, wait and free: the child's exit
 * status (0..255), 128 + signal if a signal ended it, or a negative errno from
 * cfork_spawnv() if it could not start.
 */
int cfork_runv(const cfork_attr *attr, const char *name,
	       const cfork_value *argv, size_t argc);

/*
 * cfork(name, ...): go-fork's Fork, synchronous: cfork_runv() with default
 * attributes and zero or more values (up to 16) packed with CFORK_VAL().
 */
#define cfork(...)							\
	cfork_runv(NULL, CFORK_FIRST_(__VA_ARGS__),			\
		   CFORK_VALUES_(__VA_ARGS__), CFORK_NVALUES_(__VA_ARGS__))

/* ------------------------------------------------------------------------ */
/* Argument packing (implementation details of the macros above)             */
/* ------------------------------------------------------------------------ */

#define CFORK_FIRST_(...) CFORK_FIRST2_(__VA_ARGS__, ~)
#define CFORK_FIRST2_(first, ...) first
#define CFORK_COUNT_(...) CFORK_COUNT2_(__VA_ARGS__, 16, 15, 14, 13, 12,	\
	11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, ~)
#define CFORK_COUNT2_(n, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11,	\
	a12, a13, a14, a15, a16, count, ...) count
#define CFORK_NVALUES_(...) ((size_t)CFORK_COUNT_(__VA_ARGS__))
#define CFORK_CAT_(a, b) CFORK_CAT2_(a, b)
#define CFORK_CAT2_(a, b) a##b
/* With no value the array holds one unused element: C11 has no empty
   initializer. */
#define CFORK_VALUES_(...)						\
	((const cfork_value[]){						\
		CFORK_CAT_(CFORK_V_, CFORK_COUNT_(__VA_ARGS__))(__VA_ARGS__) })
#define CFORK_V_0(n) { (cfork_type)0, { 0 } }
#define CFORK_V_1(n, a) CFORK_VAL(a)
#define CFORK_V_2(n, a, ...) CFORK_VAL(a), CFORK_V_1(n, __VA_ARGS__)
#define CFORK_V_3(n, a, ...) CFORK_VAL(a), CFORK_V_2(n, __VA_ARGS__)
#define CFORK_V_4(n, a, ...) CFORK_VAL(a), CFORK_V_3(n, __VA_ARGS__)
#define CFORK_V_5(n, a, ...) CFORK_VAL(a), CFORK_V_4(n, __VA_ARGS__)
#define CFORK_V_6(n, a, ...) CFORK_VAL(a), CFORK_V_5(n, __VA_ARGS__)
#define CFORK_V_7(n, a, ...) CFORK_VAL(a), CFORK_V_6(n, __VA_ARGS__)
#define CFORK_V_8(n, a, ...) CFORK_VAL(a), CFORK_V_7(n, __VA_ARGS__)
#define CFORK_V_9(n, a, ...) CFORK_VAL(a), CFORK_V_8(n, __VA_ARGS__)
#define CFORK_V_10(n, a, ...) CFORK_VAL(a), CFORK_V_9(n, __VA_ARGS__)
#define CFORK_V_11(n, a, ...) CFORK_VAL(a), CFORK_V_10(n, __VA_ARGS__)
#define CFORK_V_12(n, a, ...) CFORK_VAL(a), CFORK_V_11(n, __VA_ARGS__)
#define CFORK_V_13(n, a, ...) CFORK_VAL(a), CFORK_V_12(n, __VA_ARGS__)
#define CFORK_V_14(n, a, ...) CFORK_VAL(a), CFORK_V_13(n, __VA_ARGS__)
#define CFORK_V_15(n, a, ...) CFORK_VAL(a), CFORK_V_14(n, __VA_ARGS__)
#define CFORK_V_16(n, a, ...) CFORK_VAL(a), CFORK_V_15(n, __VA_ARGS__)

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* CFORK_H */
