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
 * logs, or aborts the caller's process, but for the getters of a
 * function's arguments (cfork_arg_*()), which return the value itself: a
 * wrong index or type, or NULL args, is a programming error that ends
 * the process making it with CFORK_EXIT_USAGE and says why on stderr (a
 * child's cfork_status.error too), the caller's as well if it calls one.
 *
 * The child runs with no_new_privs set: nothing it executes can gain
 * privileges through setuid bits or file capabilities. A setuid, setgid or
 * file-capability program can use cfork: its children keep the privileges
 * it runs with and run their function (see CFORK_EXIT_PAYLOAD for the
 * payloads they refuse).
 */

/*
 * C11 or C++11 and later. An older C gets this one error rather than a
 * page of them from the macros (_Generic, _Static_assert): the include of
 * a file that does not exist after it is fatal, so the compiler stops
 * there, before the program's every use of cfork fails too.
 */
#if defined(__cplusplus)
#if __cplusplus < 201103L
#error "cfork.h needs C++11 or later (-std=c++11 or newer)"
#define CFORK_TOO_OLD_
#endif
#elif !defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L
#error "cfork.h needs C11 or later (-std=c11, -std=gnu11 or newer)"
#define CFORK_TOO_OLD_
#endif
#ifdef CFORK_TOO_OLD_
#include "cfork/stop: see the error above"
#else

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; its API is what this header
   declares. */
#pragma GCC visibility push(default)

/*
 * The version of this header. The Makefile's VERSION is the source of
 * truth: the library does not build when these numbers differ from it.
 * CFORK_CHECK_VERSION(major, minor, patch) is true (1) when this header is
 * that version or a later one, and works in #if:
 *
 *	#if CFORK_CHECK_VERSION(1, 1, 0)
 *	... use what 1.1.0 added ...
 *	#endif
 *
 * cfork_version() tells the version of the library actually linked, which
 * can be later than the header a program was built with (same major).
 */
#define CFORK_VERSION_MAJOR 1
#define CFORK_VERSION_MINOR 0
#define CFORK_VERSION_PATCH 0
#define CFORK_CHECK_VERSION(major, minor, patch)			\
	(CFORK_VERSION_MAJOR > (major) ||				\
	 (CFORK_VERSION_MAJOR == (major) &&				\
	  (CFORK_VERSION_MINOR > (minor) ||				\
	   (CFORK_VERSION_MINOR == (minor) &&				\
	    CFORK_VERSION_PATCH >= (patch)))))

/* The version of the linked library, "MAJOR.MINOR.PATCH" ("1.0.0"): a
   static string. */
const char *cfork_version(void);

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
	/* A cfork_buffer: passed with no copy, seen by the child as
	   CFORK_BYTES (so it matches a 'y' in a signature). */
	CFORK_BUFFER = 'B',
} cfork_type;

/* Memory for a large argument that reaches the child with no copy; see
   cfork_buffer_new(). */
typedef struct cfork_buffer cfork_buffer;

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
		cfork_buffer *buffer;
	} as;
} cfork_value;

/* The body of a value maker: C++ before C++20 has no designated
   initializer, C has no value-initialization. */
#ifdef __cplusplus
#define CFORK_MAKE_(t, member, v)					\
	cfork_value x = cfork_value(); x.type = (t); x.as.member = (v); return x;
#else
#define CFORK_MAKE_(t, member, v)					\
	cfork_value x = { (t), { .member = (v) } }; return x;
#endif

static inline cfork_value cfork_i64(int64_t v)
{ CFORK_MAKE_(CFORK_I64, i64, v) }
static inline cfork_value cfork_u64(uint64_t v)
{ CFORK_MAKE_(CFORK_U64, u64, v) }
static inline cfork_value cfork_f64(double v)
{ CFORK_MAKE_(CFORK_F64, f64, v) }
static inline cfork_value cfork_bool(bool v)
{ CFORK_MAKE_(CFORK_BOOL, b, v) }
static inline cfork_value cfork_str(const char *v)
{ CFORK_MAKE_(CFORK_STR, str, v) }
static inline cfork_value cfork_value_id(cfork_value v) { return v; }

/* A byte buffer of len bytes at data (data may be NULL when len is 0). */
static inline cfork_value cfork_bytes(const void *data, size_t len)
{
	cfork_span span;

	span.data = data;
	span.len = len;
	CFORK_MAKE_(CFORK_BYTES, bytes, span)
}

/*
 * An fd the child inherits under the same number. The fd must be open in the
 * parent when the child is spawned (its close-on-exec flag does not matter);
 * fds 0, 1 and 2 name the child's stdio after any redirection in cfork_attr.
 */
static inline cfork_value cfork_fd(int fd)
{ CFORK_MAKE_(CFORK_FD, fd, fd) }

/* A cfork_buffer as an argument: no copy is made (see cfork_buffer_new). */
static inline cfork_value cfork_buffer_arg(cfork_buffer *b)
{ CFORK_MAKE_(CFORK_BUFFER, buffer, b) }

/*
 * CFORK_VAL(x): the cfork_value for a C value, by its type: signed integers
 * become CFORK_I64, unsigned integers CFORK_U64, float and double CFORK_F64,
 * bool CFORK_BOOL, char * and const char * CFORK_STR, cfork_buffer *
 * CFORK_BUFFER; a cfork_value is taken as it is. Anything else is a compile
 * error. In C++, the same by overloads (at the end of this file), where
 * true and false are bool, not int.
 */
#ifndef __cplusplus
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
	cfork_buffer *: cfork_buffer_arg,				\
	cfork_value: cfork_value_id)(x)
#endif

/* ------------------------------------------------------------------------ */
/* The child's side                                                          */
/* ------------------------------------------------------------------------ */

/* The arguments of the running child: opaque, read-only. */
typedef struct cfork_args cfork_args;

/* A function the child runs; its return value is the child's exit status.
   It may end the child with exit(status) too: either way stdio is flushed
   and the host program's atexit handlers and destructors do not run (the
   function's own atexit handlers do, on exit()). */
typedef int (*cfork_fn)(const cfork_args *args);

/* Exit codes a child uses for cfork's own failures. */
enum {
	/* A getter was called with a wrong index or for a wrong type. */
	CFORK_EXIT_USAGE = 120,
	/* CFORK_FD names no valid payload: not a memfd, not sealed,
	   truncated, a bad header, an offset or length out of range; or,
	   in a program that gained privileges at exec (setuid, setgid,
	   file capabilities: AT_SECURE), a payload that no cfork parent as
	   privileged as the child made (the child lacks no_new_privs, which
	   cfork's launch sets before its exec). Such a process never falls
	   through to main(). When
	   the child cannot read its payload at all it cannot know its
	   report channel either: cfork_status.error is then NULL and the
	   reason is on the child's stderr. */
	CFORK_EXIT_PAYLOAD = 121,
	/* The payload names a function this binary has not registered, or
	   its arguments do not match the registered signature. */
	CFORK_EXIT_UNKNOWN = 122,
	/* A sandbox layer under CFORK_POLICY_REQUIRE failed in the child
	   although the parent's probe found it, or the function of a
	   deferred sandbox returned without cfork_lockdown() (see
	   "Sandbox"). */
	CFORK_EXIT_SANDBOX = 123,
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
 * Blocks while the parent has not read earlier bytes (a socket's buffer).
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
 * A name registered after the first cfork_init() is one no child reaches
 * (a child is dispatched there): its spawn fails with -ENOTSUP.
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
 * Such a child runs before the program's own constructors and before the
 * C library readies main(): no C++ global object with dynamic
 * initialization, no std::cout with libstdc++ before GCC 13, no
 * pthread_exit() from its first thread (SIGSEGV); register at run time
 * for those. In a static program link with -Wl,--eh-frame-hdr
 * (pkg-config --static adds it), or an exception thrown in the child
 * aborts it.
 * Use it at file scope, in the executable (not in a shared library).
 * A duplicate name makes every spawn of that name fail with -EEXIST.
 *
 * Nothing in the program refers to an entry, so a link with --gc-sections
 * may drop it (cfork("fn") then returns -ENOENT): lld does, as it does not
 * count the library's __start_cfork_registry as a reference (-z
 * start-stop-gc, its default since lld 13), and so does gold for a program
 * linked with libcfork.so. The entry is marked `retain` (SHF_GNU_RETAIN)
 * where the compiler has it (GCC 11, clang 13 and later; with binutils
 * 2.36 or lld 13 and later), and every linker keeps it. With an older
 * compiler and --gc-sections: GNU ld keeps the entries; with lld, link
 * with -Wl,-z,nostart-stop-gc (enough for a program linked with
 * libcfork.a); a program linked with libcfork.so by lld or gold needs
 * -Wl,--no-gc-sections, since nothing it links refers to the section.
 */
#ifndef CFORK_RETAIN_
#if defined(__has_attribute)
#if __has_attribute(retain)
#define CFORK_RETAIN_ retain,
#endif
#endif
#endif
#ifndef CFORK_RETAIN_
#define CFORK_RETAIN_
#endif
#define CFORK_REGISTER(fn, sig)						\
	static const struct cfork_registration				\
	cfork_registration_##fn						\
	__attribute__((used, CFORK_RETAIN_ section("cfork_registry"),	\
		       aligned(8))) =					\
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

/* A sandbox for the child (see "Sandbox" below). */
typedef struct cfork_sandbox cfork_sandbox;

/*
 * How to launch a child. Start from CFORK_ATTR_INIT and set what you need;
 * a NULL attr means the defaults.
 */
typedef struct cfork_attr {
	/* The child's stdio: an fd of the parent to install as 0, 1 or 2,
	   or -1 to inherit the parent's. A sandboxed child gets a pipe, a
	   FIFO or a terminal opened anew, a file description of its own
	   whose flags (O_NONBLOCK) are not the caller's; a socket, a
	   regular file, a pty's master, another uid's pipe or terminal,
	   and any fd where /proc is missing, it shares. One it would get
	   anew that cannot be opened (its mode taken away, a terminal in
	   exclusive mode or its pty locked, a FIFO with no reader, no fd
	   left) fails the spawn with that error: -EACCES, -EBUSY, -EIO,
	   -ENXIO, -EMFILE. */
	int stdin_fd, stdout_fd, stderr_fd;
	/* More fds the child inherits under the same numbers. Every other fd
	   of the parent is closed in the child, close-on-exec or not, but
	   cfork's own two: the report socket and the fd of the program's
	   binary, both close-on-exec in the child. These, as cfork_fd()
	   arguments, are the caller's file descriptions, sandbox or not:
	   the flags a child sets on one (O_NONBLOCK) are the caller's too. */
	const int *keep_fds;
	size_t nkeep_fds;
	/* Signal the child gets when the thread that spawned it exits
	   (PR_SET_PDEATHSIG), or 0 for none. */
	int pdeathsig;
	/* A cgroup v2 directory fd to start the child in, or -1: with
	   CLONE_INTO_CGROUP, or where clone3 is not available by the child
	   writing itself into cgroup.procs before exec. */
	int cgroup_fd;
	/* A sandbox for the child, or NULL (see "Sandbox" below). */
	const cfork_sandbox *sandbox;
	/* The most result bytes the parent keeps for this child (the first
	   ones; cfork_status.result_truncated says when more came), or 0
	   for CFORK_RESULT_MAX. The child cannot make the parent hold
	   more. */
	size_t result_max;
	/* The child's environment, a NULL-terminated array of "NAME=value",
	   or NULL for the parent's. cfork adds its own marker (CFORK_FD) and
	   the child removes it either way; a CFORK_FD or BXFI_MAP of the
	   caller's is never passed on. The child is the program loaded
	   anew with it: what the dynamic loader needs (LD_LIBRARY_PATH for
	   a libcfork.so outside its paths) must be in it, or the child
	   exits 127 before cfork's code runs (error NULL, the loader's
	   reason on the child's stderr). */
	const char *const *envp;
	/* The child's working directory, or NULL for the parent's. Opened
	   by cfork_spawnv(), which fails with its error (-ENOENT,
	   -ENOTDIR, -EACCES) before anything is launched. */
	const char *cwd;
	/* SIGKILL the child this many milliseconds after the spawn, whether
	   or not anyone is waiting, or 0 for none. The timer is the
	   parent's (one thread cfork starts the first time a deadline is
	   used): the child cannot cancel it. cfork_status.reason says
	   CFORK_END_DEADLINE. The kill goes through the child's pidfd, or
	   by pid where no pidfd can signal (an old kernel, a seccomp
	   profile, an emulator): only while the kernel shows the pid as
	   this process's child, unended (cfork's own reaping keeps the
	   watchdog out). A program that reaps cfork's children itself
	   (SIGCHLD ignored, a wait for any child) has their deadlines
	   dropped, not sent to the pid's next owner; only a wrap of the
	   pid space within microseconds could fool a check by pid, which
	   a pidfd rules out. The first spawn with a deadline that cannot
	   start the thread fails with its error (-EAGAIN; -EPERM under a
	   seccomp profile that refuses clone3 with EPERM, where the C
	   library creates threads with clone3). A child of fork() (or of
	   _Fork(), as far as POSIX lets such a copy call anything) starts
	   a thread of its own for its own deadlines; those pending at the
	   fork stay the parent's. */
	int deadline_ms;
	/* CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR: the child's stdout or
	   stderr goes to a socket the parent drains while it waits, into
	   cfork_status.out / .err (at most output_max bytes each): a
	   stream socket, not a pipe, so that no child can hold its
	   caller's read (a pipe's reader waits for its writer's copy), as
	   under systemd: writes to fd 1 or 2 work, opening /dev/stdout
	   fails with ENXIO. Not together with stdout_fd or stderr_fd for
	   the same stream. */
	unsigned capture;
	/* CFORK_ATTR_SETSID or CFORK_ATTR_SETPGROUP: the child starts a new
	   session, or joins process group pgroup (0: a new group led by the
	   child), as posix_spawn's POSIX_SPAWN_SETSID/SETPGROUP. */
	unsigned flags;
	pid_t pgroup;
	/* The most bytes kept of each captured stream (the first ones), or
	   0 for CFORK_OUTPUT_MAX. */
	size_t output_max;
	/* Zero. Later versions give these words a meaning in which zero is
	   today's behaviour, so that cfork_attr keeps its size and a
	   program built against this header keeps working. */
	uintptr_t reserved[11];
} cfork_attr;

/*
 * Start from this: every field not named here is zero, which later versions
 * will keep meaning "as before".
 */
#ifndef __cplusplus
#define CFORK_ATTR_INIT { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, \
	.keep_fds = NULL, .nkeep_fds = 0, .pdeathsig = 0, .cgroup_fd = -1, \
	.sandbox = NULL, .result_max = 0 }
#else
/* C++ before C++20 has no designated initializer: every field, in order. */
#define CFORK_ATTR_INIT { -1, -1, -1, nullptr, 0, 0, -1, nullptr, 0, \
	nullptr, nullptr, 0, 0, 0, 0, 0, {} }
#endif

/* The default of cfork_attr.result_max. */
#define CFORK_RESULT_MAX ((size_t)16 << 20)
/* The default of cfork_attr.output_max. */
#define CFORK_OUTPUT_MAX ((size_t)1 << 20)

/* cfork_attr.capture */
enum {
	CFORK_CAPTURE_STDOUT = 1 << 0,
	CFORK_CAPTURE_STDERR = 1 << 1,
};

/* cfork_attr.flags */
enum {
	CFORK_ATTR_SETSID = 1 << 0,	/* setsid(): a new session and group */
	CFORK_ATTR_SETPGROUP = 1 << 1,	/* setpgid(0, attr.pgroup) */
};

/* A running or finished child: opaque. */
typedef struct cfork_proc cfork_proc;

/*
 * How a child ended; filled by cfork_wait(), valid until cfork_free().
 *
 * The child is not trusted once its function runs, and some fields carry
 * what it chose to say. From the kernel, which the child cannot forge:
 * exited, code, signal, rusage. From the child, bounded by the parent:
 * result and result_len (at most cfork_attr.result_max bytes), out and err
 * (at most cfork_attr.output_max bytes each), and error when it is a
 * child-side failure text (at most 4095 bytes; a function can write any
 * text there). Decided by the parent: result_truncated, out_truncated,
 * err_truncated, reason (from the kernel's status and what the parent did:
 * a deadline, a kill), and an error that names a blocked system call, which
 * is believed only when the child died by SIGSYS under a seccomp filter
 * (the name itself is the child's last word, as its SIGSYS handler wrote
 * it, or as the function did, which can write the same words and raise
 * SIGSYS itself).
 */
/* How a child ended (cfork_status.reason). */
typedef enum cfork_end {
	CFORK_END_EXIT = 0,	/* it exited: code */
	CFORK_END_SIGNAL = 1,	/* a signal ended it: signal */
	CFORK_END_KILLED = 2,	/* cfork_kill(), cfork_kill_group() or
				   cfork_free() ended it */
	CFORK_END_DEADLINE = 3,	/* cfork_attr.deadline_ms passed */
	CFORK_END_CPU_LIMIT = 4, /* SIGXCPU under an RLIMIT_CPU (the
				    sandbox's, or the caller's own) */
	CFORK_END_SECCOMP = 5,	/* the filter killed it (error names the
				   call) */
} cfork_end;

typedef struct cfork_status {
	bool exited;		/* true: it exited, with code */
	int code;		/* exit status (0..255) when exited */
	int signal;		/* the terminating signal otherwise */
	const char *error;	/* cfork's own child-side failure, or NULL */
	const void *result;	/* the bytes sent with cfork_return() */
	size_t result_len;	/* (result is NULL when there are none) */
	bool result_truncated;	/* the child sent more than result_max:
				   result holds the first result_max bytes */
	bool out_truncated;	/* the child wrote more than output_max */
	bool err_truncated;
	cfork_end reason;	/* how it ended, as the parent tells it */
	/* Captured stdout and stderr (cfork_attr.capture), NUL-terminated
	   after len bytes; NULL when not captured. */
	const char *out;
	size_t out_len;
	const char *err;
	size_t err_len;
	/* The child's resource usage (and that of the children it waited
	   for), from the kernel at the reaping. Its ru_maxrss is at least
	   the caller's own peak for a child launched from the caller's
	   memory (cold, CFORK_POOL_EXEC: the kernel counts what the child
	   left at its exec, as for posix_spawn children); see
	   cfork_wait(3). */
	struct rusage rusage;
	/* Zero. Later versions fill these words with more of how the
	   child ended; cfork_status keeps its size. */
	uintptr_t reserved[10];
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
 *   -ENOTSUP  name was registered at run time but this program has not
 *             called cfork_init(): its child would run main() instead of
 *             the function (use CFORK_REGISTER, or call cfork_init());
 *             or registered it only after the first cfork_init(), which
 *             is where its child is dispatched, never seeing the name
 *   -EEXIST   name is registered twice
 *   -EINVAL   ret_proc or name is NULL; argc does not match the signature; a
 *             value has the wrong type and no exact conversion; a string is
 *             NULL; a buffer is NULL with a non-zero length; argv is NULL
 *             with argc > 0; attr has keep_fds NULL with nkeep_fds > 0,
 *             a pdeathsig that is not a signal, a cgroup_fd that is not
 *             a directory of a cgroup v2 mount, or a reserved word that
 *             is not zero
 *   -EBADF    an fd value, a stdio fd, a kept fd or cgroup_fd is not open
 *   -EFAULT   a bytes value's length runs past its memory (a string's is
 *             read with strlen(), and a bad one faults as it would there)
 *   -E2BIG    the payload would exceed CFORK_PAYLOAD_MAX or argc exceeds
 *             CFORK_ARGC_MAX
 *   -ENOEXEC  the program's own binary cannot be re-executed (see cfork_init)
 *   -ENOMEM, -EMFILE, -ENFILE, -EAGAIN, -ENOSPC: out of a resource
 *   -EFBIG    the payload exceeds the caller's RLIMIT_FSIZE (the SIGXFSZ
 *             the kernel sends for it is held back and consumed)
 *   -ENOSYS, -EPERM: memfd_create is blocked on this host
 *   other     the error of the exec in the child (-EACCES, -ENOENT if the
 *             binary went away, ...)
 *   -EACCES, -EBUSY, -EIO, -ENXIO, -EMFILE: with attr->sandbox, a stdio
 *             pipe or terminal that cannot be opened anew (see cfork_attr)
 * With attr->sandbox, for a layer under CFORK_POLICY_REQUIRE:
 *   -ENOSYS   the host has no seccomp filters or no landlock (absent,
 *             disabled, or refused by a seccomp filter the caller runs under)
 *   -EPERM    a resource limit above the hard limit without CAP_SYS_RESOURCE;
 *             an identity the child cannot take (cfork_sandbox_identity)
 *   other     the kernel's answer to a namespace (-EPERM, -ENOSPC, -EUSERS,
 *             -EINVAL) or a cgroup (-EBUSY, -EACCES, ...)
 * and whatever the policies: -EINVAL for a sandbox cgroup together with
 * attr->cgroup_fd, or a policy libseccomp cannot express; -E2BIG for a
 * filter longer than the kernel's 4096 instructions; -ELIBACC when
 * libseccomp (libseccomp.so.2), which the parent loads the first time it
 * compiles a filter, cannot be loaded.
 */
int cfork_spawnv(cfork_proc **ret_proc, const cfork_attr *attr,
		 const char *name, const cfork_value *argv, size_t argc);

#define CFORK_ARGC_MAX 4096
#define CFORK_PAYLOAD_MAX ((size_t)1 << 40)

/*
 * cfork_spawn(ret_proc, attr, name, ...): cfork_spawnv() with zero or more
 * values (up to 16; more is a static assertion) packed with CFORK_VAL().
 * In C++, a function template of the same spelling (at the end of this
 * file), with no limit of 16.
 */
#ifndef __cplusplus
#define cfork_spawn(ret_proc, attr, ...)				\
	cfork_spawnv((ret_proc), (attr), CFORK_FIRST_(__VA_ARGS__),	\
		     CFORK_VALUES_(__VA_ARGS__), CFORK_NVALUES_(__VA_ARGS__))
#endif

/* The child's pid. */
pid_t cfork_pid(const cfork_proc *p);

/*
 * The child's pidfd (owned by the handle), or -1 where the kernel gave
 * none. To know when cfork_wait(p, 0, &st) has news, poll cfork_proc_fd():
 * the pidfd fires only at the exit, which a child writing more than its
 * channel holds does not reach before it is read, and before a fork server
 * has told its child's status.
 */
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
 *               (Linux 6.15) recovers the status where it exists, and a
 *               call under CFORK_NS_PID is told by its namespace's init;
 *               or the handle is a copy in a child of fork() (the child
 *               is the parent's: nothing it sends is read by the copy)
 *   -ENOMEM     out of memory for the child's result
 */
int cfork_wait(cfork_proc *p, int timeout_ms, cfork_status *st);

/*
 * Send signal sig to the child (pidfd_send_signal; kill(2) where there is
 * no pidfd or pidfd_send_signal is refused, and only while the kernel shows
 * the pid as this process's child: not after the program reaped it behind
 * cfork's back, -ESRCH then). 0, sending nothing, for a child that has
 * ended but is not yet waited for, as kill(2) of a zombie; its status then
 * tells how it ended, not this kill (CFORK_END_KILLED only for an end
 * that a kill of cfork's made).
 *
 * Returns 0, or:
 *   -ESRCH   the child has been reaped (cfork_wait returned its status),
 *            or it is a fork server's child without a pidfd whose end the
 *            server has told (the server reaps it: its pid is no longer
 *            sure to be the child's)
 *   -EINVAL  p is NULL or sig is not a signal
 *   -ECHILD  p is a copy in a child of fork(): the child is the parent's
 *   -EPERM   not permitted
 */
int cfork_kill(cfork_proc *p, int sig);

/*
 * Send signal sig to the child's whole process group: the child and
 * whatever it started that stayed in its group (grandchildren, a shell's
 * pipeline); and to the child itself, which can have moved to another
 * group of its session. The child must lead its group: spawned with
 * CFORK_ATTR_SETSID, or CFORK_ATTR_SETPGROUP and pgroup 0. cfork_free() of
 * such a running child kills its group, not the child alone.
 *
 * Returns 0, or:
 *   -ESRCH   the child has been reaped: its pid, and so the group's id,
 *            may have been reused since
 *   -EINVAL  p is NULL, sig is not a signal, or the child does not lead a
 *            process group
 *   -ECHILD  p is a copy in a child of fork(): the child is the parent's
 *   -EPERM   not permitted
 */
int cfork_kill_group(cfork_proc *p, int sig);

/*
 * Release the handle. A child that has ended is reaped; one that is still
 * running is killed with SIGKILL and reaped, so that a handle never leaves a
 * zombie or an orphan behind: wait first to let it finish. NULL is a no-op.
 * Where the kill itself is refused (the caller is a sandboxed child, which
 * may signal no process but its own), the handle is released without
 * waiting and the child runs on. A handle belongs to the process that
 * made it: in a child of fork(), cfork_free() of the copy releases its
 * memory and fds only, and the parent's child runs on.
 */
void cfork_free(cfork_proc *p);

/* ------------------------------------------------------------------------ */
/* Event loops                                                               */
/* ------------------------------------------------------------------------ */

/*
 * One fd, owned by the handle (an epoll fd of its pidfd, its report channel
 * and its captured streams), that polls readable whenever the child has
 * sent something or has ended. Then cfork_wait(p, 0, &st) makes progress
 * without blocking: -ETIMEDOUT while the child runs, 0 with the status once
 * it has ended. Each such step reads a bounded amount, so that a child that
 * writes without pause cannot hold the loop. The fd stays valid until
 * cfork_free(); once cfork_wait() has returned the status it never polls
 * readable again. Poll this fd, not cfork_pidfd(), to know when to step:
 * a child whose result or output fills its channel ends only once it is
 * read, and a fork server's child's status comes from its server after
 * its pidfd polls readable.
 *
 *	int fd = cfork_proc_fd(p);      // add to epoll, uv_poll, ...
 *	...on readable:
 *	if (cfork_wait(p, 0, &st) == 0) // ended: st is filled
 *		done(p, &st);
 *
 * In a child of fork(), a copy's fd may poll readable while every wait
 * on the copy returns -ECHILD: take the copy out of the loop.
 *
 * Returns the fd, or -EINVAL (p is NULL), -EMFILE, -ENFILE, -ENOMEM.
 */
int cfork_proc_fd(const cfork_proc *p);

/*
 * Wait up to timeout_ms (-1: forever, 0: just check) for whichever of the n
 * children ends first, reading what every one of them sends meanwhile, so
 * that none blocks on a full channel. On 0, *ret_index is its index and *st
 * its status (valid until that handle's cfork_free()); where several have
 * ended, the first in the array. A child that has ended stays ended: take
 * it out of the array (or cfork_free() it) before the next call.
 *
 * Returns 0, or:
 *   -ETIMEDOUT  none has ended (*ret_index and *st untouched)
 *   -EINVAL     procs, ret_index or st is NULL, n is 0 or procs[i] is NULL,
 *               or timeout_ms < -1
 *   -ECHILD, -ENOMEM: as cfork_wait() for one of them, whose index is
 *               *ret_index (*st untouched)
 */
int cfork_wait_any(cfork_proc *const *procs, size_t n, int timeout_ms,
		   size_t *ret_index, cfork_status *st);

/* ------------------------------------------------------------------------ */
/* Warm start                                                                */
/* ------------------------------------------------------------------------ */

/* A pool of children launched ahead of demand: opaque. */
typedef struct cfork_pool cfork_pool;

/* cfork_pool_new()'s flags: one of the two (values, not bits; 0 is EXEC). */
enum {
	/* Children exec'd ahead of demand, each used for one call: a call
	   costs a hand-off instead of an exec and the dynamic loader, and
	   each child is as fresh a process as a cold one. */
	CFORK_POOL_EXEC = 0,
	/* Fork servers: size children of the program, each exec'd once,
	   that fork a child per call. Each call's child is fresh (its own
	   sandbox, used once) but a fork of its server: every call's child
	   has the server's address layout (the same ASLR base, libraries
	   and heap as its siblings), so one child's leak of an address
	   tells where everything is in every other; and the server's
	   namespaces (CFORK_NS_*): calls of one server share their network,
	   IPC and mount namespaces with each other. A server takes one call
	   at a time; a call goes to one that is free, so size is how many
	   threads' calls are handed over at once (1 serves one thread as
	   well as more do). */
	CFORK_POOL_FORK = 1,
};

/*
 * A pool of size children (CFORK_POOL_EXEC), launched with attr exactly as
 * cfork_spawnv() launches one (the same fallbacks), each waiting in its
 * constructor for one call. Returns once the pool is full. attr is copied,
 * but what it points to (envp, cwd, the sandbox) must outlive the pool.
 *
 * Everything a launch sets is the pool's: stdio, keep_fds, pdeathsig,
 * cwd, envp, capture, the process group (each call leads its own session
 * or group where attr asks for a new one, as a cold call's child does),
 * and the sandbox's namespaces and cgroup. Each call's payload brings the
 * rest: the function and its arguments, the sandbox's filter, landlock
 * rules, limits, identity and deferred lockdown (as the pool's sandbox
 * says them at the call), and the pool's result_max, output_max and
 * deadline_ms, the deadline counted from each call.
 *
 * With CFORK_POOL_EXEC cfork starts one thread per pool, which launches a
 * replacement for each child taken, so that a call does not pay for it
 * (once that call has ended, or 2 ms after it began, so that the exec
 * does not compete with it), and ends with cfork_pool_free(). With
 * attr.pdeathsig, a pool's children get that signal when that thread
 * ends, at cfork_pool_free(), whether they were handed out or not; a call
 * that launches cold (an empty pool) is its calling thread's child, as
 * with cfork_spawnv(), and gets it when that thread ends.
 * CFORK_POOL_FORK starts no thread: its server is launched here, and
 * again by the first call after it died. A fork server's children are not
 * the caller's: the server reaps them and tells the handle how each ended
 * (status, rusage), and they die with the server. A server serves every
 * thread and is tied to none: with attr.pdeathsig, each call it runs gets
 * that signal when the program ends (seen through a pidfd, or within
 * 100 ms where the kernel has none, before Linux 5.3). It keeps one child
 * forked ahead, which takes the next call, so that a call does not wait
 * for a fork. It binds every symbol as it starts (LD_BIND_NOW, unless
 * attr's environment sets it), so that its children do not bind each on
 * their own; its calls see the environment without it, and a library a
 * call opens with dlopen(RTLD_LAZY) is bound at once too. A program whose
 * libraries lack a symbol it never calls gets lazily bound servers after
 * the first fails to start (the loader says why on stderr).
 *
 * Returns 0, or:
 *   -EINVAL   ret_pool is NULL, size is 0 or above 1024, flags is not a
 *             CFORK_POOL_*, or attr is one cfork_spawnv() refuses
 *   -ENOTSUP  CFORK_POOL_FORK with attr.capture (one server's stdout is
 *             every call's), or with a sandbox with CFORK_NS_PID
 *   -EBADF    an fd of attr is not open
 *   -EMFILE   out of fds; or CFORK_POOL_FORK under a hard RLIMIT_NOFILE of
 *             269 or less, which leaves a server no fd for a call beside
 *             the 269 it keeps for itself
 *   other     the error of launching a child (as cfork_spawnv's), or of
 *             starting the thread (-EAGAIN; -EPERM under a seccomp profile
 *             that refuses clone3 with EPERM, where the C library creates
 *             threads with clone3),
 *             -ENOMEM
 */
int cfork_pool_new(cfork_pool **ret_pool, const cfork_attr *attr,
		   unsigned size, unsigned flags);

/*
 * cfork_spawnv() through the pool: the call is handed to a waiting child
 * (or to the fork server, which forks one); an empty pool (or a child or a
 * server that cannot take it) means a cold launch, never a failure of its
 * own. A child found dead or stopped while it waited is replaced, not
 * handed out; so is a fork server found stopped (its standby would take
 * the call, whose end the stopped server could not tell): it is let go
 * of, not killed for it, and the calls it runs end once it is continued
 * (one that runs none is continued, and ends, as at cfork_pool_free()).
 * The handle is an ordinary cfork_proc: wait, kill, cfork_proc_fd(),
 * cfork_wait_any(), status, free. Safe from many threads.
 *
 * The pool's sandbox may change between calls in what each call's payload
 * brings (filter, landlock, limits, identity, lockdown), not in what its
 * children were launched with (namespaces, identity maps, cgroup): a call
 * after those changed is refused with -EINVAL, never run without them,
 * whether a child waits for it or it would launch cold (an empty pool, a
 * server to start again, a copy of the pool after fork()).
 * A pool belongs to the process that made it: in a child of fork(), a
 * call through the copy launches cold, and cfork_pool_free() of the copy
 * releases its memory and fds only, leaving the parent's pool alone (what
 * another thread had in hand at the fork, a refill launch or a call under
 * way, stays in the copy: close-on-exec fds).
 * cfork_pool_free() must not run while another thread is in a call on
 * the same pool.
 *
 * Returns 0, or -EINVAL if pool or ret_proc is NULL or the sandbox's
 * launch-time layers changed since cfork_pool_new(), -ENOTSUP for a
 * sandbox with CFORK_NS_PID in a fork server's pool (its init and the
 * server would both report the child's end), or what cfork_spawnv()
 * returns for this name and these values.
 */
int cfork_pool_spawnv(cfork_pool *pool, cfork_proc **ret_proc,
		      const char *name, const cfork_value *argv, size_t argc);

/* cfork_pool_spawn(pool, ret_proc, name, ...): as cfork_spawn(). */
#ifndef __cplusplus
#define cfork_pool_spawn(pool, ret_proc, ...)				\
	cfork_pool_spawnv((pool), (ret_proc), CFORK_FIRST_(__VA_ARGS__),	\
			  CFORK_VALUES_(__VA_ARGS__), CFORK_NVALUES_(__VA_ARGS__))
#endif

/*
 * Kill and reap every child still waiting, end the pool's thread and free
 * it, without waiting for the calls it gave out: their handles stay valid
 * and tell how each ended as before. A fork server lets the calls it runs
 * finish (they are its children), and the last of their handles freed
 * reaps it: that waits for the server to end, as it does once its calls
 * have (a stopped server is continued, and killed if it is stopped again
 * and again). NULL is a no-op.
 */
void cfork_pool_free(cfork_pool *pool);

/* How a child was launched; bits of cfork_paths(). */
enum {
	CFORK_PATH_CLONE3 = 1 << 0,	/* clone3; else legacy clone(2) */
	CFORK_PATH_PIDFD = 1 << 1,	/* the handle holds a pidfd */
	CFORK_PATH_NOEXEC_SEAL = 1 << 2, /* memfd with MFD_NOEXEC_SEAL */
	CFORK_PATH_URING = 1 << 3,	/* arguments written by io_uring while
					   the child started */
	CFORK_PATH_POOL = 1 << 4,	/* handed to a pool's waiting child;
					   a pool's call without it launched
					   cold */
	CFORK_PATH_FORK_SERVER = 1 << 5, /* forked by a pool's fork server */
};

/*
 * Which fast paths or fallbacks this child was launched with.
 *
 * Arguments are written into the payload with pwritev, which measured
 * fastest at every size (src/parent/writeout.c says why). CFORK_WRITEOUT=uring
 * in the environment (read at each spawn) makes io_uring write them while
 * the child starts instead, where io_uring is allowed, for measuring it
 * again (`make bench`); CFORK_WRITEOUT=pwritev forces the default.
 */
unsigned cfork_paths(const cfork_proc *p);

/* ------------------------------------------------------------------------ */
/* Zero-copy buffers                                                         */
/* ------------------------------------------------------------------------ */

/*
 * A buffer of size bytes that the caller fills in place and passes as a
 * CFORK_BYTES argument with no copy at all: it is a memfd mapped in the
 * parent, and the child maps the same pages read-only. The typed launchers
 * take a cfork_span, which is copied into the payload: to pass a buffer to
 * a CFORK_FN with no copy, start it by name (cfork_spawn(), cfork()).
 *
 * The first spawn that passes a buffer freezes it (one that fails may not
 * have: cfork_buffer_frozen() says), for good: the memfd is
 * sealed (F_SEAL_FUTURE_WRITE, GROW, SHRINK, SEAL) and the parent's mapping
 * becomes read-only, so a write through cfork_buffer_data() after that faults
 * (SIGSEGV) instead of changing bytes under a running child. The frozen
 * buffer stays readable and can be passed to any number of children.
 *
 * Filling and freezing cost a page-table entry per page, so a buffer of 2 MiB
 * or more is made of shmem huge pages wherever the kernel has them
 * (MADV_COLLAPSE, Linux 6.1, with transparent huge pages built in and
 * shmem_enabled anything but "deny"), mapped on a huge-page boundary in the
 * parent and in the child. Its memory is then committed by this call rather
 * than as it is written: a buffer is for filling. One larger than half the
 * free memory (sysinfo(2)) is left sparse, with 4 KiB pages. 4 KiB pages
 * only cost time: `make bench` and the README's Performance show how much.
 *
 * Returns 0 with *ret_buffer set, or:
 *   -EINVAL  ret_buffer is NULL or size is 0
 *   -E2BIG   size exceeds CFORK_PAYLOAD_MAX
 *   -ENOMEM, -EMFILE, -ENFILE, -ENOSPC: out of a resource
 */
int cfork_buffer_new(cfork_buffer **ret_buffer, size_t size);

/* The buffer's memory (writable until the first spawn that passes it). */
void *cfork_buffer_data(cfork_buffer *b);

/* The buffer's size in bytes. */
size_t cfork_buffer_size(const cfork_buffer *b);

/* Whether a spawn has frozen the buffer. */
bool cfork_buffer_frozen(const cfork_buffer *b);

/* Unmap and close the buffer; children that received it keep their copy of
   the mapping. NULL is a no-op. */
void cfork_buffer_free(cfork_buffer *b);

/*
 * cfork_runv(attr, name, argv, argc): spawn, wait and free: the child's exit
 * status (0..255), 128 + signal if a signal ended it, or a negative errno from
 * cfork_spawnv() if it could not start.
 */
int cfork_runv(const cfork_attr *attr, const char *name,
	       const cfork_value *argv, size_t argc);

/*
 * cfork(name, ...): go-fork's Fork, synchronous: cfork_runv() with default
 * attributes and zero or more values (up to 16; more is a static
 * assertion) packed with CFORK_VAL(). In C++, a function template of the
 * same spelling (at the end of this file).
 */
#ifndef __cplusplus
#define cfork(...)							\
	cfork_runv(NULL, CFORK_FIRST_(__VA_ARGS__),			\
		   CFORK_VALUES_(__VA_ARGS__), CFORK_NVALUES_(__VA_ARGS__))
#endif

/* ------------------------------------------------------------------------ */
/* Sandbox                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * A sandbox confines a child from the moment its function is called to its
 * end, in layers:
 *
 *   CFORK_LAYER_SECCOMP     which system calls (a seccomp filter)
 *   CFORK_LAYER_LANDLOCK    which files (landlock)
 *   CFORK_LAYER_NAMESPACES  new user, network, pid, ipc, uts, mount and
 *                           cgroup namespaces (clone3 flags)
 *   CFORK_LAYER_RLIMITS     resource limits (setrlimit)
 *   CFORK_LAYER_CGROUP      a cgroup v2 to start in (CLONE_INTO_CGROUP)
 *   CFORK_LAYER_IDENTITY    the uid, gid and supplementary groups the child
 *                           runs as (cfork_sandbox_identity)
 *
 * Build one with cfork_sandbox_new(), add rules, and pass it as
 * cfork_attr.sandbox. One object serves any number of spawns from any number
 * of threads: its filter is compiled (by libseccomp, in the parent) once per
 * change and reused; calls that change it may run while others spawn with
 * it, and a spawn uses the policy as it was when the spawn began.
 *
 * The parent compiles and checks the whole policy: a bad name, a
 * contradiction or a filter too large for the kernel is an error from the
 * cfork_sandbox_* call or from cfork_spawnv(), never a dead child. The child
 * maps its arguments first, then, right before the function is called (or
 * when it calls cfork_lockdown(), see cfork_sandbox_defer), checks
 * no_new_privs and applies landlock, resource limits, the capability drop's
 * securebits and bounding set, its identity, the rest of the capability
 * drop and the filter, in that order; namespaces, the cgroup and a user
 * namespace's uid and gid maps are set up by the launch. Nothing is ever
 * applied to the calling process, and nothing carries over to another child.
 *
 * What a child sees when a call is denied, and what the parent sees:
 *   errno  the call fails with that errno (-1 and errno, through libc); the
 *          child goes on and the parent sees nothing special.
 *   kill   the call does not run and the child dies by SIGSYS. The parent's
 *          cfork_status has exited false, signal SIGSYS (cfork() returns
 *          128 + SIGSYS) and error "sandbox: blocked system call socket
 *          (nr 41)"; the child's stderr gets "cfork: sandbox: blocked
 *          system call nr 41".
 *   trap   is how a kill is made, not a third choice: the filter answers
 *          SECCOMP_RET_TRAP, cfork's SIGSYS handler in the child writes
 *          the call's number to the parent (which names it with
 *          libseccomp) and the call is made again, which the kernel then
 *          ends with a forced SIGSYS, even in the init of a pid namespace.
 *          The child cannot take that handler over: rt_sigaction for
 *          SIGSYS fails with EPERM under any filter. If it could not
 *          report (SIGSYS blocked, write denied), error reads "sandbox:
 *          killed by SIGSYS (a blocked system call)".
 * A call through another ABI of the machine (i386 int 0x80 or x32 on x86_64)
 * is killed whatever the policy, and reported as, e.g.,
 * "sandbox: blocked system call getpid (i386 nr 20)".
 */

/*
 * The base: what every sandbox applies, whatever its presets, because a
 * child that can reach its unsandboxed parent has escaped whatever else it
 * is denied. Its filter (the seccomp layer: turning that layer OFF drops
 * these rules too) makes these calls fail with EPERM:
 *   ptrace, process_vm_readv, process_vm_writev, pidfd_getfd, kcmp,
 *   process_madvise, process_mrelease, pidfd_send_signal (whose process a
 *   pidfd names is out of a filter's reach), keyctl, add_key, request_key
 *   (the session keyring is the parent's), perf_event_open, bpf,
 *   userfaultfd (its use to an attacker is to stall the kernel mid-call);
 *   io_uring_setup, io_uring_enter, io_uring_register (io_uring splices
 *   in a kernel thread, below, and opens sockets and files with no system
 *   call a filter sees);
 *   kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo to any pid but
 *   the child's own (0 and -1, the process group and everyone, included);
 *   fcntl F_SETOWN to any pid but its own (0 and its own group too),
 *   F_SETOWN_EX, and ioctl FIOSETOWN and SIOCSPGRP, a socket's owner:
 *   the owner of an O_ASYNC fd is sent a signal of the child's choosing;
 *   fcntl F_SETLEASE (a lease, even on a file the child only reads,
 *   holds up every open of it for writing, the caller's too, for up to
 *   45 s at a time);
 *   prlimit64, sched_setaffinity, sched_setparam, sched_setscheduler,
 *   sched_setattr, migrate_pages, move_pages, get_robust_list for any pid
 *   but 0 (the caller); setpriority and ioprio_set for anything but the
 *   caller's own process;
 *   clone with CLONE_PARENT (a process the parent never made, which it
 *   would never reap);
 *   unshare and clone with CLONE_NEWUSER (a user namespace of its own
 *   gives back every capability inside it, and the kernel code they
 *   reach; one the sandbox asks for, CFORK_NS_USER, is made at launch);
 *   setns (into a user namespace another process of its user made, the
 *   same; without capabilities a child can join no other namespace);
 *   SysV IPC (shmget, shmat, shmctl, msgget, msgsnd, msgrcv, msgctl,
 *   semget, semop, semtimedop, semctl) and POSIX message queues (mq_*):
 *   the caller's objects, and every other process's of its user, are
 *   reached by a small id or a name, and no file rule covers them;
 *   they work where the sandbox has CFORK_NS_IPC under
 *   CFORK_POLICY_REQUIRE (its own namespace, where there is no one
 *   else's) and a preset that leaves them (COMPUTE kills them), and
 *   cfork_sandbox_allow() cannot lift them;
 *   ioctl TIOCSTI and TIOCLINUX (typing into, or pasting in, a terminal:
 *   the caller's, when the child shares its session, whose shell would
 *   run the line), TIOCSPGRP (taking the terminal's foreground, which
 *   stops the caller at its next use of it), TCXONC (suspending its
 *   output: the caller's next write waits for good), TIOCSETD
 *   (replacing its line discipline: no read or write of it works after),
 *   TIOCEXCL (no one else opens it again), and O_ASYNC by FIOASYNC or
 *   fcntl F_SETFL (on a terminal it makes the foreground group, the
 *   caller's, the owner whom its input signals, with the signal F_SETSIG
 *   names);
 *   other terminal ioctls stay (its modes, its size), whatever the
 *   session: a child that must not touch the caller's terminal gets
 *   other stdio;
 *   rt_sigaction replacing the SIGSYS handler (see above): so a
 *   sandboxed child cannot start a sandboxed child of its own, which ends
 *   with CFORK_EXIT_SANDBOX ("cannot handle SIGSYS"); an unsandboxed one
 *   runs, under its parent's sandbox, which it inherits.
 * clone3, whose flags are behind a pointer a filter cannot read, fails
 * with ENOSYS: the C library falls back to clone. So do splice and sendfile
 * (the C libraries and runtimes that use them fall back to read and
 * write): into or out of a pipe they hold the pipe's lock while they wait
 * on the other end, for as long as a socket the child made gets no data,
 * and every reader and writer of that pipe waits for it, past any
 * timeout: the caller writing to or reading from a pipe they share (its
 * stdio). What the caller reads from its child (the report, captured
 * output) comes over sockets, whose reader waits on no writer.
 * cfork_sandbox_allow() of a call the base denies whole is -EPERM; of one
 * it denies in part, it allows what the base leaves.
 * Where the kernel has landlock, the child also enters a landlock domain of
 * its own, under the sandbox's paths if it has any: from inside a domain no
 * process outside it can be traced or read through /proc/<pid>/ (mem, fd,
 * environ: ptrace access, which a filter cannot see in an open), and from
 * landlock ABI 6 on, none can be signalled and no abstract unix socket made
 * outside it can be connected to. Its file rule: on a proc, sysfs or
 * cgroup file system, wherever it is mounted (/proc, /sys, a chroot's
 * /proc), no file is opened for writing or truncated and nothing is made,
 * removed or moved (EACCES), the child's own /proc/self included. Their
 * owner writes the caller's /proc/<pid>/oom_score_adj (the OOM killer's
 * first pick), autogroup (its nice) and coredump_filter, and a delegated
 * cgroup's cgroup.kill, cgroup.freeze, memory.max and cgroup.procs, with
 * no ptrace check, and a filter cannot see a path. Everywhere else these
 * stay allowed, renames and links between directories too (a landlock
 * domain that did not handle them would refuse them with EXDEV): landlock
 * allows by rules, one on each entry of the root directory that holds no
 * such mount, and the same inside each entry that does, made when the
 * program starts and again at the next spawn once a mount, the mount
 * namespace, the root or a directory it read changed. So nothing is made
 * or removed directly in the root, nor in a directory that holds such a
 * mount deeper (/tmp, while a chroot under it has its /proc mounted), or
 * that a bind mount shows above one; their other subdirectories stay
 * writable. A child already running keeps the domain it entered: a proc
 * mounted after its spawn is in its reach (give a long-lived child its own
 * mount namespace, or CFORK_SB_NO_FS_WRITE). The rule sees the mount
 * table of the caller's root and namespace: a chrooted caller's table
 * leaves out what lies above its root, and a caller whose working
 * directory (or a directory fd it passes) is in another mount namespace,
 * or in a detached mount tree, gives the child paths no table shows; such
 * a caller gives its child NO_FS_WRITE or a jail. cfork holds three fds of
 * its own for this, above 2, from the program's start: the ruleset, a second fd
 * of it (to tell it from a number the program closed and reused) and the
 * mount table. Landlock confines the thread
 * that enters the domain: in a child that already runs other threads when
 * it is confined, the domain holds the one that runs the function and not
 * the others (with paths, see cfork_sandbox_fs). The domain is the base's:
 * CFORK_POLICY_OFF on CFORK_LAYER_LANDLOCK leaves out the sandbox's paths,
 * not the domain, and cfork_sandbox_applied() counts CFORK_LAYER_LANDLOCK
 * for paths only. Inside any domain mount(2) and its kin fail (landlock's
 * rule), capabilities or not: a function that mounts (a /proc for its
 * CFORK_NS_PID in its CFORK_NS_MOUNT; the host's stays otherwise) does so
 * before its cfork_lockdown(), under a deferred sandbox. And every
 * sandboxed child drops its capabilities (see cfork_sandbox_caps).
 *
 * The presets add to the base; combine them with |. Each call below is
 * answered as written whatever its arguments unless a condition is given.
 */
enum {
	/*
	 * No network, and no unix socket but a connected pair:
	 *   socket (every family, AF_UNIX too: a unix socket with a name
	 *   reaches the host's services, pathname or abstract, even in a new
	 *   network namespace)                    EAFNOSUPPORT
	 *   socketpair of a family but AF_UNIX    EAFNOSUPPORT
	 * socketpair(AF_UNIX) stays: a pair with no address reaches nothing
	 * outside the child. Not covered: sockets the child inherits
	 * (cfork_fd, keep_fds) or receives over one, and what they reach.
	 */
	CFORK_SB_NO_NETWORK = 1,
	/* execve and execveat fail with EPERM. */
	CFORK_SB_NO_EXEC = 2,
	/*
	 * No change to the filesystem through a name:
	 *   open and openat with O_WRONLY, O_RDWR, O_CREAT or O_TRUNC; creat,
	 *   mkdir(at), mknod(at), rmdir, unlink(at), rename(at,at2),
	 *   link(at), symlink(at), truncate, chmod, fchmod, fchmodat(2),
	 *   chown, fchown, lchown, fchownat, utime(s), futimesat,
	 *   utimensat, (l,f)setxattr, setxattrat, (l,f)removexattr,
	 *   removexattrat, file_setattr                            EROFS
	 *   openat2 (its flags are out of a filter's reach; libc
	 *   falls back to openat)                                  ENOSYS
	 *   open_by_handle_at, mount, umount2, pivot_root, move_mount,
	 *   fsopen, fsconfig, fsmount, fspick, open_tree(_attr),
	 *   mount_setattr, acct, swapon, swapoff, quotactl(_fd)    EPERM
	 *   ioctl FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR,
	 *   FS_IOC_SETVERSION, FS_IOC_SETFSLABEL,
	 *   FS_IOC_ENABLE_VERITY, FS_IOC_SET_ENCRYPTION_POLICY,
	 *   FIFREEZE, FITHAW, FITRIM (on any fd, a read-only one
	 *   too)                                                   EPERM
	 *   socket(AF_UNIX) (a bind would make a node; with
	 *   NO_NETWORK, EAFNOSUPPORT)                              EPERM
	 * Reading works. What stays possible: writing, truncating and
	 * allocating through fds the child already has; other ioctls (not
	 * inspected); binding a unix socket the child inherited unbound.
	 */
	CFORK_SB_NO_FS_WRITE = 4,
	/*
	 * Only what a pure computation needs; any other call kills (see
	 * above). Allowed:
	 *   read, write, readv, writev, pread64, pwrite64, preadv(2),
	 *   pwritev, pwritev2 without RWF_NOAPPEND, lseek, close, dup, dup2, dup3, poll, ppoll, select,
	 *   pselect6, fstat, newfstatat with AT_EMPTY_PATH (what glibc's
	 *   fstat uses), fcntl F_GETFD/F_SETFD/F_GETFL/F_DUPFD/
	 *   F_DUPFD_CLOEXEC; brk, mmap, munmap, mremap, mprotect, madvise;
	 *   clock_gettime, clock_getres, gettimeofday, time, nanosleep,
	 *   clock_nanosleep; futex, set_robust_list, rseq, sched_yield,
	 *   sched_getaffinity, clone of a thread (CLONE_THREAD without
	 *   CLONE_PARENT), set_tid_address, gettid, getpid, getrandom,
	 *   membarrier;
	 *   sysinfo, uname, getuid, geteuid, getgid, getegid, getresuid,
	 *   getresgid, getgroups, getppid, getpgrp, getpgid, getsid,
	 *   getcwd, getcpu, getrlimit, getrusage, times, sched_getparam,
	 *   sched_getscheduler, sched_get_priority_max/min, prlimit64 of
	 *   the caller that reads only; rt_sigaction, rt_sigprocmask,
	 *   rt_sigreturn, rt_sigtimedwait, sigaltstack, and the signals of
	 *   the base (to itself); exit, exit_group, restart_syscall.
	 * Failing rather than killing, because libraries probe:
	 *   open, openat, creat, stat, lstat, access, faccessat(2),
	 *   readlink(at), newfstatat without AT_EMPTY_PATH         EACCES
	 *   ioctl                                                  ENOTTY
	 *   socket (glibc's getpwuid asks nscd first)              EAFNOSUPPORT
	 *   fcntl F_SETFL (an inherited fd shares its flags with
	 *   the parent), pwritev2 with RWF_NOAPPEND (it would
	 *   write anywhere in a file the parent opened O_APPEND),
	 *   setrlimit, prlimit64 that sets a limit                 EPERM
	 *   clone3 (the base's), openat2, statx (libc falls back)  ENOSYS
	 * What stays possible: newfstatat with AT_EMPTY_PATH and a non-empty
	 * path (the path is behind a pointer a filter cannot read) tells the
	 * metadata of any file the child can name: size, owner, times, never
	 * the contents. A file the child was given open for reading and
	 * writing (fopen's "a+" too) it can write anywhere through a shared
	 * mapping, O_APPEND or not: give a log it may only append to open
	 * O_WRONLY, which cannot be mapped. It includes everything the other
	 * presets deny: combined with them it adds nothing.
	 */
	CFORK_SB_COMPUTE = 8,
};

/* The layers, as bits (cfork_sandbox_policy, cfork_sandbox_applied). */
enum {
	CFORK_LAYER_SECCOMP = 1 << 0,
	CFORK_LAYER_LANDLOCK = 1 << 1,
	CFORK_LAYER_NAMESPACES = 1 << 2,
	CFORK_LAYER_RLIMITS = 1 << 3,
	CFORK_LAYER_CGROUP = 1 << 4,
	CFORK_LAYER_IDENTITY = 1 << 5,
};

/*
 * What a spawn does with a layer the host cannot apply:
 *   REQUIRE  cfork_spawnv() fails and no child is started (see its errors,
 *            -ENOSYS for seccomp or landlock). The default for each layer
 *            that has something to apply: seccomp always (the base),
 *            paths (landlock), limits, namespaces, a cgroup, an identity.
 *            A sandbox never weakens silently.
 *   PREFER   apply it where possible; the child runs without it otherwise,
 *            and cfork_sandbox_applied() says so.
 *   OFF      never apply it, even though it has rules.
 * The probes run in the parent before any child exists: seccomp filters
 * (SECCOMP_GET_ACTION_AVAIL), the landlock ABI
 * (LANDLOCK_CREATE_RULESET_VERSION), whether a hard limit can be raised,
 * whether the child will hold what an identity takes (CAP_SETUID,
 * CAP_SETGID).
 * Namespaces and the cgroup are tried by the launch itself: under PREFER a
 * launch the kernel refuses is made again without them. What only the
 * child can find out (the kernel refusing the filter although the probe
 * passed, a child that runs several threads where landlock confines one)
 * ends that child under REQUIRE with CFORK_EXIT_SANDBOX and the reason in
 * cfork_status.error.
 * A layer with nothing to apply (no namespace, no limit, no cgroup) is
 * never applied, whatever its policy; seccomp and landlock under an
 * explicit PREFER or REQUIRE still apply with no rules (a filter that only
 * kills foreign ABIs; a landlock domain that denies every file access).
 */
typedef enum cfork_policy {
	CFORK_POLICY_OFF = 0,
	CFORK_POLICY_PREFER = 1,
	CFORK_POLICY_REQUIRE = 2,
} cfork_policy;

/*
 * A new sandbox with the given presets (CFORK_SB_*, or 0 for none).
 *
 * Returns 0, or:
 *   -EINVAL  ret_sb is NULL, or presets has an unknown bit
 *   -ENOMEM  out of memory
 */
int cfork_sandbox_new(cfork_sandbox **ret_sb, unsigned presets);

/*
 * Deny the system call named syscall (libseccomp's names: "socket",
 * "openat", ...): with err 0 the call kills the child (reported to the
 * parent, see above), otherwise it fails with errno err. A rule of the
 * caller replaces what the presets say about that call. A name that
 * libseccomp knows for another architecture only ("socketcall" on x86_64)
 * is accepted and has no effect.
 *
 * Returns 0 (also for the very same rule again), or:
 *   -EINVAL  sb or syscall is NULL; no system call has that name; err is
 *            not within 0..4095; syscall is exit, exit_group or
 *            rt_sigreturn, without which the child could not end
 *   -EEXIST  syscall already has a different rule (allowed, or denied
 *            with another err)
 *   -ELIBACC libseccomp.so.2, which names the calls, cannot be loaded
 *   -ENOMEM  out of memory
 */
int cfork_sandbox_deny(cfork_sandbox *sb, const char *syscall, int err);

/*
 * Allow the system call named syscall, whatever the presets say (all of its
 * arguments: allowing "socket" under CFORK_SB_NO_NETWORK allows every
 * family). rt_sigaction stays unable to replace the SIGSYS handler, and
 * what else the base refuses of a call it denies in part stays refused
 * (kill of another pid, fcntl F_SETOWN, the terminal ioctls). An allowed
 * call allows what its preset kept out for the caller's sake: ioctl under
 * CFORK_SB_COMPUTE can set O_NONBLOCK (FIONBIO) on an fd the child shares
 * with the caller, as the fcntl F_SETFL it refuses would.
 *
 * Returns 0 (also for the same rule again), or:
 *   -EINVAL  sb or syscall is NULL, or no system call has that name
 *   -EPERM   the base denies syscall whatever its arguments (ptrace,
 *            pidfd_getfd, ...: see "The base" above)
 *   -EEXIST  syscall is denied by an earlier cfork_sandbox_deny()
 *   -ELIBACC libseccomp.so.2, which names the calls, cannot be loaded
 *   -ENOMEM  out of memory
 */
int cfork_sandbox_allow(cfork_sandbox *sb, const char *syscall);

/* Access to a tree of the filesystem (landlock). */
enum {
	CFORK_FS_READ = 1,	/* read files, list directories */
	CFORK_FS_WRITE = 2,	/* write, truncate, create, remove, rename,
				   link, device ioctls */
	CFORK_FS_EXEC = 4,	/* execute files */
};

/*
 * Landlock: let the child access path (a directory and everything under it,
 * or a single file) as access says (CFORK_FS_*). Once the sandbox has a
 * path, every file access the kernel's landlock ABI can restrict is denied
 * outside the trees it names (reading, writing, creating, executing, ...;
 * not stat, and not the fds the child already has). On a landlock ABI of 6
 * and more, the child also cannot signal processes outside its sandbox or
 * connect to abstract unix sockets made outside it. The path is opened
 * (O_PATH) now: the rule names what the path names at this call, as
 * landlock's own rules do, and the object keeps that fd until it is freed.
 * Landlock confines the thread that applies it: a child that runs more than
 * one thread before its function (threads started by a constructor) cannot
 * have it (REQUIRE: the child ends with CFORK_EXIT_SANDBOX).
 *
 * Returns 0, or:
 *   -EINVAL  sb or path is NULL, access is 0 or has an unknown bit
 *   -E2BIG   the sandbox has 64 paths already
 *   other    the error of open(path, O_PATH): -ENOENT, -EACCES, -EMFILE...
 */
int cfork_sandbox_fs(cfork_sandbox *sb, const char *path, unsigned access);

/*
 * A resource limit for the child: setrlimit(resource) with both the soft and
 * the hard limit at limit (RLIM_INFINITY for none), so that the child cannot
 * raise it again (a sandboxed child keeps no CAP_SYS_RESOURCE). resource is
 * one of <sys/resource.h>: RLIMIT_AS (address space), RLIMIT_CPU (seconds:
 * the soft limit at limit and the hard one a second above, so that the
 * child gets SIGXCPU first, which cfork_status.reason reports as
 * CFORK_END_CPU_LIMIT, and SIGKILL a second later if it ignores that; it
 * can raise its soft limit by that second and no more), RLIMIT_NOFILE,
 * RLIMIT_NPROC (not enforced on root), RLIMIT_FSIZE (SIGXFSZ), ... Setting
 * the same resource again replaces the limit. A limit above the caller's
 * hard limit needs CAP_SYS_RESOURCE (and cannot be had with CFORK_NS_USER).
 *
 * Returns 0, or -EINVAL if sb is NULL or resource is not a resource.
 */
int cfork_sandbox_rlimit(cfork_sandbox *sb, int resource, uint64_t limit);

/*
 * The capabilities (CAP_* of <linux/capability.h>) a sandboxed child keeps;
 * replaces what an earlier call set. Every sandboxed child loses all the
 * others from every set (effective, permitted, inheritable, ambient, and
 * the bounding set where it holds CAP_SETPCAP), and the securebits that
 * would hand root its capabilities back are locked: the securebits and the
 * bounding set after the resource limits (which may need
 * CAP_SYS_RESOURCE) and before the identity (cfork_sandbox_identity, whose
 * switch away from root would take CAP_SETPCAP), the other sets after it,
 * right before the filter is loaded; kept ones survive that switch. A kept
 * capability the child does not have is not given to it. A child that
 * cannot drop them ends with CFORK_EXIT_SANDBOX whatever the policies.
 *
 * Returns 0, or -EINVAL if sb is NULL, caps is NULL with ncaps > 0, or a
 * capability is out of 0..CAP_LAST_CAP.
 */
int cfork_sandbox_caps(cfork_sandbox *sb, const int *caps, size_t ncaps);

/* The most supplementary groups cfork_sandbox_identity() takes. */
#define CFORK_GROUPS_MAX 256

/*
 * Identity: the child runs as uid and gid with exactly the supplementary
 * groups groups[0..ngroups) (none with ngroups 0), the layer
 * CFORK_LAYER_IDENTITY; replaces what an earlier call set. The child calls
 * setgroups, setresgid and setresuid, in that order (all three ids of
 * each set), after the resource limits, the securebits and the bounding
 * set (which need CAP_SETPCAP) and before the rest of the capability drop
 * and the filter; then it checks getresuid, getresgid and getgroups: they
 * must say exactly what was asked (the groups as a set: order and
 * repetitions do not matter). Switching away from root clears the
 * capabilities; those named by cfork_sandbox_caps() are kept across the
 * switch (SECBIT_KEEP_CAPS, then locked) and come back into the effective
 * set.
 *
 * The parent checks before any child exists that the child will be able
 * to: an identity other than the caller's own ids (uid among its real,
 * effective and saved uids, gid likewise, the groups those it has) needs
 * CAP_SETUID and CAP_SETGID in the child, which a caller running as root
 * has (an unprivileged caller's child has no capabilities after exec).
 * Without them, under REQUIRE (the default once an identity is set)
 * cfork_spawnv() returns -EPERM and no child is started; under PREFER the
 * child runs as the caller and cfork_sandbox_applied() lacks
 * CFORK_LAYER_IDENTITY.
 *
 * With CFORK_NS_USER (cfork_sandbox_namespaces) the identity is the one
 * inside the new user namespace instead, which needs no privilege: the
 * launch maps uid to the caller's effective uid and gid to its effective
 * gid, one id each (after writing "deny" to its setgroups file, as an
 * unprivileged user must), and the child is uid and gid inside, the caller
 * outside. Then the supplementary groups cannot be changed (setgroups is
 * denied in such a namespace): the child keeps the caller's, which show as
 * the overflow gid inside; groups must be empty (with ngroups > 0 the
 * probe fails as above: -EPERM under REQUIRE). Without an identity, a
 * CFORK_NS_USER child is the caller's effective uid and gid inside.
 *
 * Without an identity a root caller's child keeps uid 0 with no
 * capabilities, which still owns every file and process of root's (it can
 * rewrite /etc/passwd or create /etc/ld.so.preload): a root service gives
 * its children an identity.
 *
 * Returns 0, or:
 *   -EINVAL  sb is NULL, groups is NULL with ngroups > 0, or uid, gid or a
 *            group is (uid_t)-1 / (gid_t)-1
 *   -E2BIG   ngroups > CFORK_GROUPS_MAX
 */
int cfork_sandbox_identity(cfork_sandbox *sb, uid_t uid, gid_t gid,
			   const gid_t *groups, size_t ngroups);

/*
 * Defer the child-applied layers until the function calls
 * cfork_lockdown(): seccomp, landlock (or the base's landlock domain), the
 * resource limits, the identity and the capability drop. The function can
 * initialise first, unconfined: open files, load a database, read
 * certificates and locales. The launch-time layers (namespaces, the user
 * namespace's maps, the cgroup) apply at launch as without it.
 *
 * Until cfork_lockdown() the child is trusted, as cfork's runtime is
 * before an undeferred function: the report of what applied is settled
 * at the lockdown, and whatever the child writes after it can only take
 * layers away from cfork_sandbox_applied(). So read no untrusted input
 * before the lockdown: code exploited there runs with all the child's
 * rights, can report layers it never applied and end the child without
 * locking down (exit_group, a signal), and the parent cannot tell: under a
 * deferred sandbox, cfork_sandbox_applied() is the function's own word.
 * A function that returns without having locked down ends its child with
 * CFORK_EXIT_SANDBOX and cfork_status.error "sandbox: the function
 * returned without cfork_lockdown()", whatever it returned; so does one
 * that calls exit(), which ends a child as a return does. A child that
 * ends otherwise before the lockdown (_exit, quick_exit, a signal) just
 * ends: the parent sees its status, and cfork_sandbox_applied() holds the
 * launch's layers only (unless its code forged a report, as above).
 *
 * Returns 0, or -EINVAL if sb is NULL.
 */
int cfork_sandbox_defer(cfork_sandbox *sb);

/*
 * In a child whose sandbox is deferred (cfork_sandbox_defer): apply the
 * child-applied layers now, in the order and with the policies a sandbox
 * applied before the function has, and settle the report of what applied.
 * It can be called from any function of the child, a CFORK_FN one
 * included, and from any thread: the lockdown is the process's (where a
 * layer would hold the calling thread only, the others must have ended
 * first: see below). A layer
 * that fails under REQUIRE ends the child with CFORK_EXIT_SANDBOX and the
 * reason in cfork_status.error, as it would before the function; it does
 * not return then.
 *
 * The filter holds every thread (SECCOMP_FILTER_FLAG_TSYNC), and so do the
 * limits (the process's) and the identity (glibc changes every thread's).
 * Landlock and capabilities are each thread's own: in a child that runs
 * other threads, landlock would hold the calling thread only, so under
 * PREFER it is left out (the base's domain holds the calling thread), and
 * the lockdown is refused with -EBUSY, with nothing applied, when landlock
 * is under REQUIRE or the child holds capabilities it is to drop; stop
 * the other threads (or lock down before starting them) and call again.
 *
 * Returns 0, or:
 *   -ENOTCONN  this process is not a cfork child, or its sandbox is not
 *              deferred (none, or applied before the function already)
 *   -EALREADY  the lockdown has been made already (or is being made by
 *              another thread): a second call changes nothing
 *   -EBUSY     other threads run and a layer would hold the calling thread
 *              only (see above); nothing was applied
 */
int cfork_lockdown(void);

/* New namespaces (clone3 flags). */
enum {
	CFORK_NS_USER = 1 << 0,		/* CLONE_NEWUSER */
	CFORK_NS_NET = 1 << 1,		/* CLONE_NEWNET: loopback only, down */
	/* CLONE_NEWPID: pid 1 of the namespace is a small init of cfork's
	   that runs the function as pid 2 (so signals end it as anywhere
	   else: the init passes on what it is sent) and, once it has ended,
	   kills what is left in the namespace and tells how it ended.
	   cfork_pid() is the init's pid; the function's getppid() is 1. */
	CFORK_NS_PID = 1 << 2,
	CFORK_NS_IPC = 1 << 3,		/* CLONE_NEWIPC */
	CFORK_NS_UTS = 1 << 4,		/* CLONE_NEWUTS */
	CFORK_NS_MOUNT = 1 << 5,	/* CLONE_NEWNS */
	CFORK_NS_CGROUP = 1 << 6,	/* CLONE_NEWCGROUP */
};

/*
 * Start the child in new namespaces (CFORK_NS_*; 0 for none, replacing what
 * an earlier call set). Without CAP_SYS_ADMIN the kernel creates the others
 * only together with CFORK_NS_USER; in a new user namespace the child runs
 * as the caller's effective uid and gid inside (or the identity's, see
 * cfork_sandbox_identity), mapped to the caller's own outside: a map
 * changes no right outside the namespace, so the child of a root caller
 * is still root to every file, and only an identity without CFORK_NS_USER
 * makes it another user there. Container runtimes often
 * refuse namespaces (Docker: clone3 is ENOSYS and clone with a namespace
 * flag EPERM); under REQUIRE, cfork_spawnv() then returns the kernel's
 * error (-EPERM, -ENOSPC, -EUSERS, -EINVAL).
 *
 * Returns 0, or -EINVAL if sb is NULL or ns has an unknown bit.
 */
int cfork_sandbox_namespaces(cfork_sandbox *sb, unsigned ns);

/*
 * Start the child in the cgroup v2 directory dirfd (the object keeps a
 * duplicate; -1 removes it), where its controllers' limits (memory.max,
 * pids.max, cpu.max) hold it. Under REQUIRE a cgroup the kernel refuses
 * (-EBUSY for one with controllers enabled for its children, -EACCES, ...)
 * fails the spawn; under PREFER the child starts in the caller's cgroup.
 * Setting both this and cfork_attr.cgroup_fd is an error of cfork_spawnv().
 *
 * Returns 0, or:
 *   -EINVAL  sb is NULL, dirfd < -1, or dirfd is not a directory of a
 *            cgroup v2 mount
 *   -EBADF   dirfd is not an open fd
 *   -EMFILE  no fd left for the duplicate
 */
int cfork_sandbox_cgroup(cfork_sandbox *sb, int dirfd);

/*
 * Set the policy of one or more layers (CFORK_LAYER_* bits).
 *
 * Returns 0, or -EINVAL if sb is NULL, layers is 0 or has an unknown bit,
 * or policy is not a cfork_policy.
 */
int cfork_sandbox_policy(cfork_sandbox *sb, unsigned layers,
			 cfork_policy policy);

/*
 * Free the sandbox and the fds it holds. No spawn may be using it. NULL is
 * a no-op.
 */
void cfork_sandbox_free(cfork_sandbox *sb);

/*
 * The layers (CFORK_LAYER_* bits) applied to this child: namespaces and the
 * cgroup from the launch; seccomp, landlock, limits and the identity once
 * the child has reported them (right before its function runs, or at its
 * cfork_lockdown() with a deferred sandbox), which cfork_wait() collects:
 * complete after cfork_wait() has returned 0. 0 for a child spawned with
 * no sandbox, or NULL. The child's report is settled before its function
 * runs (at the lockdown when deferred) and holds only layers the parent
 * asked for: whatever the child writes afterwards can take layers away
 * from this answer, never add one. Under a deferred sandbox the function's
 * code before its lockdown writes that report (cfork_sandbox_defer).
 */
unsigned cfork_sandbox_applied(const cfork_proc *p);

/* ------------------------------------------------------------------------ */
/* Typed functions                                                           */
/* ------------------------------------------------------------------------ */

/*
 * CFORK_FN, CFORK_START and CFORK_CALL are in cfork/typed.h, which this
 * header includes in C (they are built on C11's _Generic). In C++ they stop
 * with a static assertion that says so: register with CFORK_REGISTER and
 * start with cfork() or cfork_spawn(). cfork_fd_t and cfork_span_of() are
 * their parameter types' makers.
 */

/*
 * An fd parameter: C has no fd type, and an int would be taken for an
 * int64_t. The child owns .fd, inherited under the same number; the rules of
 * cfork_fd() apply. (Named _t because cfork_fd() is the untyped value.)
 */
typedef struct cfork_fd_t {
	int fd;
} cfork_fd_t;

static inline cfork_fd_t cfork_fd_of(int fd)
{ cfork_fd_t x = { fd }; return x; }

/* A span of len bytes at data, for a cfork_span argument: a compound
   literal's comma would split it into two macro arguments. */
static inline cfork_span cfork_span_of(const void *data, size_t len)
{ cfork_span x = { data, len }; return x; }

/* ------------------------------------------------------------------------ */
/* Argument packing (implementation details of the macros above)             */
/* ------------------------------------------------------------------------ */

#define CFORK_FIRST_(...) CFORK_FIRST2_(__VA_ARGS__, ~)
#define CFORK_FIRST2_(first, ...) first
#define CFORK_COUNT_(...) CFORK_COUNT2_(__VA_ARGS__, 16, 15, 14, 13, 12,	\
	11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, ~)
#define CFORK_COUNT2_(n, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11,	\
	a12, a13, a14, a15, a16, count, ...) count
/*
 * MANY_ when a name comes with more than 16 values (up to 63), else FEW_:
 * the count above stops at 16 and would take the 17th value for a count,
 * which C compiles into a call of an undeclared function that fails only at
 * link time. Every macro that packs values picks a static assertion by it.
 */
#define CFORK_FEW_OR_MANY_(...) CFORK_ARG_65_(__VA_ARGS__,		\
	MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_,	\
	MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_,	\
	MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_,	\
	MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_,	\
	MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_, MANY_,	\
	MANY_, MANY_, FEW_, FEW_, FEW_, FEW_, FEW_, FEW_, FEW_, FEW_,	\
	FEW_, FEW_, FEW_, FEW_, FEW_, FEW_, FEW_, FEW_, FEW_, ~)
#define CFORK_ARG_65_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, \
	a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, \
	a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37, a38, \
	a39, a40, a41, a42, a43, a44, a45, a46, a47, a48, a49, a50, a51, \
	a52, a53, a54, a55, a56, a57, a58, a59, a60, a61, a62, a63, a64, \
	a65, ...) a65
/* A compile-time error that can stand where an expression must: a
   _Static_assert is allowed among a struct's members. */
#define CFORK_FAIL_(message)						\
	sizeof(struct { _Static_assert(0, message); int cfork_unused_; })
#define CFORK_NVALUES_(...)						\
	CFORK_CAT_(CFORK_NVALUES_, CFORK_FEW_OR_MANY_(__VA_ARGS__))(__VA_ARGS__)
#define CFORK_NVALUES_FEW_(...) ((size_t)CFORK_COUNT_(__VA_ARGS__))
#define CFORK_NVALUES_MANY_(...) ((size_t)0)
#define CFORK_CAT_(a, b) CFORK_CAT2_(a, b)
#define CFORK_CAT2_(a, b) a##b
/* With no value the array holds one unused element: C11 has no empty
   initializer. */
#define CFORK_VALUES_(...)						\
	CFORK_CAT_(CFORK_VALUES_, CFORK_FEW_OR_MANY_(__VA_ARGS__))(__VA_ARGS__)
#define CFORK_VALUES_FEW_(...)						\
	((const cfork_value[]){						\
		CFORK_CAT_(CFORK_V_, CFORK_COUNT_(__VA_ARGS__))(__VA_ARGS__) })
#define CFORK_VALUES_MANY_(...)						\
	((const cfork_value[]){ { (cfork_type)CFORK_FAIL_(		\
		"cfork: at most 16 values in one call; pass more "	\
		"through cfork_runv() or cfork_spawnv()"), { 0 } } })
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

#ifndef __cplusplus
#include "cfork/typed.h"
#endif

#pragma GCC visibility pop

#ifdef __cplusplus
}

/* ------------------------------------------------------------------------ */
/* C++                                                                       */
/* ------------------------------------------------------------------------ */

#include <type_traits>

/*
 * CFORK_VAL(x), cfork(name, ...) and cfork_spawn(ret_proc, attr, name, ...)
 * in C++, with the spelling and the meaning they have in C: CFORK_VAL picks
 * by overload what C's _Generic picks (signed integer types CFORK_I64,
 * unsigned ones CFORK_U64, float and double CFORK_F64, bool CFORK_BOOL --
 * so true is a bool here, an int in C -- char * and const char * (string
 * literals) CFORK_STR, cfork_buffer * CFORK_BUFFER, a cfork_value as it
 * is; an enum as its underlying integer type). Anything else (std::string,
 * a pointer, long double, nullptr) fails to compile with a message that
 * says what to pass. cfork() and cfork_spawn() are function templates
 * that take any number of such values.
 */
namespace cfork_cxx_ {
inline cfork_value val(char v) { return cfork_i64(v); }
inline cfork_value val(signed char v) { return cfork_i64(v); }
inline cfork_value val(short v) { return cfork_i64(v); }
inline cfork_value val(int v) { return cfork_i64(v); }
inline cfork_value val(long v) { return cfork_i64(v); }
inline cfork_value val(long long v) { return cfork_i64(v); }
inline cfork_value val(unsigned char v) { return cfork_u64(v); }
inline cfork_value val(unsigned short v) { return cfork_u64(v); }
inline cfork_value val(unsigned int v) { return cfork_u64(v); }
inline cfork_value val(unsigned long v) { return cfork_u64(v); }
inline cfork_value val(unsigned long long v) { return cfork_u64(v); }
inline cfork_value val(float v) { return cfork_f64(v); }
inline cfork_value val(double v) { return cfork_f64(v); }
inline cfork_value val(bool v) { return cfork_bool(v); }
inline cfork_value val(char *v) { return cfork_str(v); }
inline cfork_value val(const char *v) { return cfork_str(v); }
inline cfork_value val(cfork_buffer *v) { return cfork_buffer_arg(v); }
inline cfork_value val(cfork_value v) { return v; }

template <class T> struct no_value : std::false_type {};

template <class T> inline cfork_value val_other(T v, std::true_type)
{
	return val(static_cast<typename std::underlying_type<T>::type>(v));
}
template <class T> inline cfork_value val_other(T, std::false_type)
{
	static_assert(no_value<T>::value, "CFORK_VAL: no cfork_value for "
		"this type: pass an integer, float, double, bool, char *, "
		"const char *, cfork_buffer * or a cfork_value (a std::string: "
		".c_str(); bytes: cfork_bytes(data, len); an fd: cfork_fd(fd))");
	return cfork_value();
}
/* Any type the overloads above do not name exactly. */
template <class T> inline cfork_value val(T v)
{
	return val_other(v, std::is_enum<T>());
}
} /* namespace cfork_cxx_ */

#define CFORK_VAL(x) (::cfork_cxx_::val(x))

template <class... A>
inline int cfork_spawn(cfork_proc **ret_proc, const cfork_attr *attr,
		       const char *name, A... args)
{
	/* One unused element after the values: no array is empty. */
	const cfork_value v[] = { ::cfork_cxx_::val(args)..., cfork_value() };
	return cfork_spawnv(ret_proc, attr, name, v, sizeof...(A));
}

template <class... A>
inline int cfork_pool_spawn(cfork_pool *pool, cfork_proc **ret_proc,
			    const char *name, A... args)
{
	const cfork_value v[] = { ::cfork_cxx_::val(args)..., cfork_value() };
	return cfork_pool_spawnv(pool, ret_proc, name, v, sizeof...(A));
}

template <class... A>
inline int cfork(const char *name, A... args)
{
	const cfork_value v[] = { ::cfork_cxx_::val(args)..., cfork_value() };
	return cfork_runv(nullptr, name, v, sizeof...(A));
}

/* The typed family is C only: a use stops here, with this message. */
#define CFORK_CXX_TYPED_ "CFORK_FN, CFORK_START and CFORK_CALL are C only " \
	"(built on C11 _Generic): in C++, register with CFORK_REGISTER and " \
	"start with cfork() or cfork_spawn()"
#define CFORK_FN(...)							\
	static_assert(sizeof(char) == 0, CFORK_CXX_TYPED_);		\
	static inline int CFORK_CAT_(cfork_cxx_typed_, __LINE__)()
#define CFORK_START(...)						\
	([]() -> int {							\
		static_assert(sizeof(char) == 0, CFORK_CXX_TYPED_);	\
		return 0;						\
	}())
#define CFORK_CALL(...) CFORK_START(~)

#endif /* __cplusplus */

#endif /* !CFORK_TOO_OLD_ */
#endif /* CFORK_H */
