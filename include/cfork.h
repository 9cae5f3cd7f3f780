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
 * privileges through setuid bits or file capabilities. A setuid, setgid or
 * file-capability program can use cfork: its children keep the privileges
 * it runs with and run their function (see CFORK_EXIT_PAYLOAD for the
 * payloads they refuse).
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

#define CFORK_VERSION_MAJOR 1
#define CFORK_VERSION_MINOR 0

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

/* A cfork_buffer as an argument: no copy is made (see cfork_buffer_new). */
static inline cfork_value cfork_buffer_arg(cfork_buffer *b)
{ cfork_value x = { CFORK_BUFFER, { .buffer = b } }; return x; }

/*
 * CFORK_VAL(x): the cfork_value for a C value, by its type: signed integers
 * become CFORK_I64, unsigned integers CFORK_U64, float and double CFORK_F64,
 * bool CFORK_BOOL, char * and const char * CFORK_STR, cfork_buffer *
 * CFORK_BUFFER; a cfork_value is taken as it is. Anything else is a compile
 * error.
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
	cfork_buffer *: cfork_buffer_arg,				\
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
	   truncated, a bad header, an offset or length out of range; or,
	   in a program that gained privileges at exec (setuid, setgid,
	   file capabilities: AT_SECURE), a payload that no cfork parent as
	   privileged as the child made (the child lacks no_new_privs, which
	   cfork's launch sets, or the memfd is not owned by its effective
	   ids). Such a process never falls through to main(). When
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

/* A sandbox for the child (see "Sandbox" below). */
typedef struct cfork_sandbox cfork_sandbox;

/*
 * How to launch a child. Start from CFORK_ATTR_INIT and set what you need;
 * a NULL attr means the defaults.
 */
typedef struct cfork_attr {
	/* The child's stdio: an fd of the parent to install as 0, 1 or 2,
	   or -1 to inherit the parent's. */
	int stdin_fd, stdout_fd, stderr_fd;
	/* More fds the child inherits under the same numbers. Every other fd
	   of the parent is closed in the child, close-on-exec or not, but
	   cfork's own two: the report pipe and the fd of the program's
	   binary, both close-on-exec in the child. */
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
	/* Zero. Later versions give these words a meaning in which zero is
	   today's behaviour, so that cfork_attr keeps its size and a
	   program built against this header keeps working. */
	uintptr_t reserved[16];
} cfork_attr;

/*
 * Start from this: every field not named here is zero, which later versions
 * will keep meaning "as before".
 */
#define CFORK_ATTR_INIT { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, \
	.keep_fds = NULL, .nkeep_fds = 0, .pdeathsig = 0, .cgroup_fd = -1, \
	.sandbox = NULL, .result_max = 0 }

/* The default of cfork_attr.result_max. */
#define CFORK_RESULT_MAX ((size_t)16 << 20)

/* A running or finished child: opaque. */
typedef struct cfork_proc cfork_proc;

/*
 * How a child ended; filled by cfork_wait(), valid until cfork_free().
 *
 * The child is not trusted once its function runs, and some fields carry
 * what it chose to say. From the kernel, which the child cannot forge:
 * exited, code, signal. From the child, bounded by the parent: result and
 * result_len (at most cfork_attr.result_max bytes), and error when it is a
 * child-side failure text (at most 4095 bytes; a function can write any
 * text there). Decided by the parent: result_truncated, and an error that
 * names a blocked system call, which is believed only when the child died
 * by SIGSYS under a seccomp filter (the name itself is the child's last
 * word, as its SIGSYS handler wrote it).
 */
typedef struct cfork_status {
	bool exited;		/* true: it exited, with code */
	int code;		/* exit status (0..255) when exited */
	int signal;		/* the terminating signal otherwise */
	const char *error;	/* cfork's own child-side failure, or NULL */
	const void *result;	/* the bytes sent with cfork_return() */
	size_t result_len;	/* (result is NULL when there are none) */
	bool result_truncated;	/* the child sent more than result_max:
				   result holds the first result_max bytes */
	/* Zero. Later versions fill these words with more of how the
	   child ended; cfork_status keeps its size. */
	uintptr_t reserved[32];
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
 *             the function (use CFORK_REGISTER, or call cfork_init())
 *   -EEXIST   name is registered twice
 *   -EINVAL   ret_proc or name is NULL; argc does not match the signature; a
 *             value has the wrong type and no exact conversion; a string is
 *             NULL; a buffer is NULL with a non-zero length; argv is NULL
 *             with argc > 0; attr has keep_fds NULL with nkeep_fds > 0,
 *             a pdeathsig that is not a signal, or a reserved word that
 *             is not zero
 *   -EBADF    an fd value, a stdio fd or a kept fd is not open
 *   -E2BIG    the payload would exceed CFORK_PAYLOAD_MAX or argc exceeds
 *             CFORK_ARGC_MAX
 *   -ENOEXEC  the program's own binary cannot be re-executed (see cfork_init)
 *   -ENOMEM, -EMFILE, -ENFILE, -EAGAIN, -ENOSPC: out of a resource
 *   -EFBIG    the payload exceeds the caller's RLIMIT_FSIZE (the SIGXFSZ
 *             the kernel sends for it is held back and consumed)
 *   -ENOSYS, -EPERM: memfd_create is blocked on this host
 *   other     the error of the exec in the child (-EACCES, -ENOENT if the
 *             binary went away, ...)
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
 * Where the kill itself is refused (the caller is a sandboxed child, which
 * may signal no process but its own), the handle is released without
 * waiting and the child runs on.
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
 * Arguments are written into the payload with pwritev, which measured
 * fastest at every size (src/uring.c has the numbers). CFORK_WRITEOUT=uring
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
 * parent, and the child maps the same pages read-only.
 *
 * The first spawn that passes a buffer freezes it, for good: the memfd is
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
 * attributes and zero or more values (up to 16) packed with CFORK_VAL().
 */
#define cfork(...)							\
	cfork_runv(NULL, CFORK_FIRST_(__VA_ARGS__),			\
		   CFORK_VALUES_(__VA_ARGS__), CFORK_NVALUES_(__VA_ARGS__))

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
 *   kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo to any pid but
 *   the child's own (0 and -1, the process group and everyone, included);
 *   prlimit64, sched_setaffinity, sched_setparam, sched_setscheduler,
 *   sched_setattr, migrate_pages, move_pages, get_robust_list for any pid
 *   but 0 (the caller); setpriority and ioprio_set for anything but the
 *   caller's own process;
 *   rt_sigaction replacing the SIGSYS handler (see above).
 * cfork_sandbox_allow() of a call the base denies whole is -EPERM; of one
 * it denies in part, it allows what the base leaves.
 * Where the kernel has landlock, the child also enters a landlock domain of
 * its own (with no file rules unless the sandbox has paths): from inside a
 * domain no process outside it can be traced or read through /proc/<pid>/
 * (mem, fd, environ: ptrace access, which a filter cannot see in an open),
 * and from landlock ABI 6 on, none can be signalled and no abstract unix
 * socket made outside it can be connected to. Landlock confines the thread
 * that enters the domain: in a child that already runs other threads when
 * it is confined, the domain holds the one that runs the function and not
 * the others (with paths, see cfork_sandbox_fs). And every sandboxed child
 * drops its capabilities
 * (see cfork_sandbox_caps).
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
	 *   io_uring_setup, _enter, _register     EPERM (io_uring opens
	 *                                         sockets with no system
	 *                                         call a filter sees)
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
	 *   mount_setattr, acct, swapon, swapoff, quotactl(_fd),
	 *   io_uring_setup, _enter, _register                      EPERM
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
	 *   pwritev(2), lseek, close, dup, dup2, dup3, poll, ppoll, select,
	 *   pselect6, fstat, newfstatat with AT_EMPTY_PATH (what glibc's
	 *   fstat uses), fcntl F_GETFD/F_SETFD/F_GETFL/F_DUPFD/
	 *   F_DUPFD_CLOEXEC; brk, mmap, munmap, mremap, mprotect, madvise;
	 *   clock_gettime, clock_getres, gettimeofday, time, nanosleep,
	 *   clock_nanosleep; futex, set_robust_list, rseq, sched_yield,
	 *   sched_getaffinity, clone of a thread (CLONE_THREAD),
	 *   set_tid_address, gettid, getpid, getrandom, membarrier;
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
	 *   the parent), setrlimit, prlimit64 that sets a limit    EPERM
	 *   clone3, openat2, statx (libc falls back)               ENOSYS
	 * What stays possible: newfstatat with AT_EMPTY_PATH and a non-empty
	 * path (the path is behind a pointer a filter cannot read) tells the
	 * metadata of any file the child can name: size, owner, times, never
	 * the contents. It includes everything the other presets deny:
	 * combined with them it adds nothing.
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
 * family). rt_sigaction stays unable to replace the SIGSYS handler.
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
 * raise it again. resource is one of <sys/resource.h>: RLIMIT_AS (address
 * space), RLIMIT_CPU (seconds; SIGXCPU, then SIGKILL), RLIMIT_NOFILE,
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
 * layers away from cfork_sandbox_applied(). A function that returns
 * without having locked down ends its child with CFORK_EXIT_SANDBOX and
 * cfork_status.error "sandbox: the function returned without
 * cfork_lockdown()", whatever it returned. A child that ends otherwise
 * before the lockdown (_exit, exit, a signal) just ends: the parent sees
 * its status, and cfork_sandbox_applied() holds the launch's layers only.
 *
 * Returns 0, or -EINVAL if sb is NULL.
 */
int cfork_sandbox_defer(cfork_sandbox *sb);

/*
 * In a child whose sandbox is deferred (cfork_sandbox_defer): apply the
 * child-applied layers now, in the order and with the policies a sandbox
 * applied before the function has, and settle the report of what applied.
 * It can be called from any function of the child, a CFORK_FN one
 * included, and from any thread: the lockdown is the process's. A layer
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
	/* CLONE_NEWPID: the child is pid 1 of its namespace, with what that
	   means: a signal it sends itself with no handler set is ignored,
	   and its end kills every process left in the namespace. */
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
 *   -EINVAL  sb is NULL, dirfd < -1, or dirfd is not on a cgroup v2 mount
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
 * from this answer, never add one.
 */
unsigned cfork_sandbox_applied(const cfork_proc *p);

/* ------------------------------------------------------------------------ */
/* Typed functions (checked at compile time)                                 */
/* ------------------------------------------------------------------------ */

/*
 * CFORK_FN(name, (type, param)...) { body }: define a child function with
 * typed parameters. The body is ordinary C that uses the parameters and
 * returns the exit status:
 *
 *	CFORK_FN(resize, (const char *, path), (int64_t, width),
 *		 (cfork_span, image))
 *	{
 *		... path, width, image.data, image.len ...
 *		return 0;
 *	}
 *
 *	cfork_proc *p;
 *	int r = CFORK_START(&p, NULL, resize, "in.png", 640,
 *			    cfork_span_of(img, img_len));
 *	int status = CFORK_CALL(resize, "in.png", 640,
 *				cfork_span_of(img, img_len));
 *
 * One CFORK_FN, at file scope, defines:
 *   - the registration of name, as CFORK_REGISTER does, with the signature
 *     spelled from the parameter types, so cfork("resize", ...) and
 *     cfork_spawnv() start it too, checked at run time as usual;
 *   - the decoder: name itself, a cfork_fn that reads each argument with its
 *     getter and calls the body (the child validated the payload against
 *     the signature before, so no getter fails);
 *   - typed launchers behind CFORK_START() and CFORK_CALL().
 *
 * Parameter types, and the cfork_type each is sent as: int64_t (CFORK_I64),
 * uint64_t (CFORK_U64), double (CFORK_F64), bool (CFORK_BOOL), const char *
 * (CFORK_STR), cfork_span (CFORK_BYTES), cfork_fd_t (CFORK_FD). Any other
 * type (int, long long, char *) is a compile error that names the parameter.
 * A string or a span the body gets points into the read-only mapping of the
 * payload: nothing is copied, and it stays valid until the child exits.
 * Zero to 16 parameters: CFORK_FN(name) takes none.
 *
 * The launchers are static and the registration is per executable: define a
 * function once, in a .c file of the program, and start it with the macros
 * from that file (or by name with cfork() from any other).
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

#define CFORK_FN(...)							\
	CFORK_T_DEFINE_(CFORK_T_PARAMS_(__VA_ARGS__), __VA_ARGS__)

/*
 * CFORK_START(ret_proc, attr, name, ...): cfork_spawnv() of the CFORK_FN
 * name, with its arguments checked by the compiler; same return values.
 * CFORK_CALL(name, ...): cfork_runv() of it with default attributes: the
 * exit status, 128 + signal, or a negative errno, as cfork() returns.
 *
 * Each is a compile error when name is not a CFORK_FN in scope (the message
 * names CFORK_FN_<name>), when the count of arguments differs from the count
 * of parameters ("resize: too many arguments for its CFORK_FN"), and when an
 * argument does not convert exactly to its parameter's type ("resize:
 * argument 2 (1.5) is not an int64_t: ..."). The conversions accepted are
 * those that keep every value of the argument's type, and integer constants
 * whose value fits:
 *
 *   int64_t      any integer type but bool and unsigned 64-bit types;
 *                an unsigned constant up to INT64_MAX (sizeof x, 640u)
 *   uint64_t     any unsigned integer type but bool;
 *                a non-negative constant (640)
 *   double       double, float, integer types of at most 32 bits;
 *                an integer constant within +-2^53
 *   bool         bool; the constants 0 and 1, which is what true and
 *                false are before C23 (a comparison is an int in C:
 *                pass (bool)(n > 1))
 *   const char * char * or const char * (a string literal); not NULL,
 *                which has type void *
 *   cfork_span   cfork_span only (cfork_span_of())
 *   cfork_fd_t   cfork_fd_t only (cfork_fd_of()): a bare int is refused
 *
 * So a double for an int64_t, an int variable for a bool, a negative int
 * for a uint64_t and a pointer for an integer are all errors, though plain
 * C converts them. The untyped forms, cfork() and cfork_spawnv(), still
 * take any name and values at run time.
 */
#define CFORK_START(ret_proc, attr, ...)				\
	(CFORK_T_CHECK_(__VA_ARGS__),					\
	 (CFORK_T_CAT_(cfork_T_start_, CFORK_FIRST_(__VA_ARGS__)))(	\
		(ret_proc), (attr) CFORK_T_REST_(__VA_ARGS__)))
#define CFORK_CALL(...)							\
	(CFORK_T_CHECK_(__VA_ARGS__),					\
	 (CFORK_T_CAT_(cfork_T_run_, CFORK_FIRST_(__VA_ARGS__)))(	\
		NULL CFORK_T_REST_(__VA_ARGS__)))

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

/*
 * Typed functions. A parameter is a (type, name) pair; everything here works
 * from one of three lists: "f, (t, n)..." in CFORK_FN, "f, x..." at a call,
 * and the literal indices 1..16 walked alongside either.
 */
#define CFORK_T_CAT_(a, b) CFORK_T_CAT2_(a, b)
#define CFORK_T_CAT2_(a, b) a##b
#define CFORK_T_TYPE_(t, n) t
#define CFORK_T_NAME_(t, n) n
#define CFORK_T_COMMA_() ,
#define CFORK_T_NONE_()
/* 0 for a name alone, 1 for a name and more: C11 has no __VA_OPT__. */
#define CFORK_T_ANY_(...) CFORK_COUNT2_(__VA_ARGS__, 1, 1, 1, 1, 1, 1, 1, \
	1, 1, 1, 1, 1, 1, 1, 1, 1, 0, ~)

/*
 * CFORK_T_EACH_(m, sep, f, a1, ..., an): m(f, 1, a1) sep() m(f, 2, a2) ...
 * The index is a literal, for pasting and for messages: the preprocessor
 * cannot count, so it is taken from a list that shrinks as the arguments
 * do (the trailing ~ keeps the last TAIL_ off an empty __VA_ARGS__).
 */
#define CFORK_T_EACH_(m, s, ...)					\
	CFORK_T_CAT_(CFORK_T_E, CFORK_COUNT_(__VA_ARGS__))(m, s,	\
		(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, ~), \
		__VA_ARGS__)
#define CFORK_T_HEAD_(i, ...) i
#define CFORK_T_TAIL_(i, ...) (__VA_ARGS__)
#define CFORK_T_APPLY_(m, f, i, a) m(f, i, a)
#define CFORK_T_E0(m, s, i, f)
#define CFORK_T_E1(m, s, i, f, a) CFORK_T_APPLY_(m, f, CFORK_T_HEAD_ i, a)
#define CFORK_T_E2(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E1(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E3(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E2(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E4(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E3(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E5(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E4(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E6(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E5(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E7(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E6(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E8(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E7(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E9(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E8(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E10(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E9(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E11(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E10(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E12(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E11(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E13(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E12(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E14(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E13(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E15(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E14(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)
#define CFORK_T_E16(m, s, i, f, a, ...) CFORK_T_E1(m, s, i, f, a) s()	\
	CFORK_T_E15(m, s, CFORK_T_TAIL_ i, f, __VA_ARGS__)

/* The cfork_type letter of a parameter type, 0 for an unsupported one. */
#define CFORK_T_KIND_(t) _Generic((t *)0,				\
	int64_t *: 'i', uint64_t *: 'u', double *: 'd', bool *: 'b',	\
	const char **: 's', cfork_span *: 'y', cfork_fd_t *: 'f',	\
	default: 0)

static inline cfork_span cfork_T_arg_span_(const cfork_args *a, size_t i)
{
	cfork_span s;

	s.data = cfork_arg_bytes(a, i, &s.len);
	return s;
}
static inline cfork_fd_t cfork_T_arg_fd_(const cfork_args *a, size_t i)
{ return cfork_fd_of(cfork_arg_fd(a, i)); }
static inline cfork_value cfork_T_span_value_(cfork_span s)
{ return cfork_bytes(s.data, s.len); }
static inline cfork_value cfork_T_fd_value_(cfork_fd_t f)
{ return cfork_fd(f.fd); }

/* The getter and the value maker of a parameter type. An unsupported type
   has failed its _Static_assert already: the defaults only keep the
   compiler from piling more errors on top. */
#define CFORK_T_GETTER_(t) _Generic((t *)0,				\
	int64_t *: cfork_arg_i64, uint64_t *: cfork_arg_u64,		\
	double *: cfork_arg_f64, bool *: cfork_arg_bool,		\
	const char **: cfork_arg_str, cfork_span *: cfork_T_arg_span_,	\
	cfork_fd_t *: cfork_T_arg_fd_, default: cfork_arg_i64)
#define CFORK_T_MAKER_(t) _Generic((t *)0,				\
	int64_t *: cfork_i64, uint64_t *: cfork_u64,			\
	double *: cfork_f64, bool *: cfork_bool,			\
	const char **: cfork_str, cfork_span *: cfork_T_span_value_,	\
	cfork_fd_t *: cfork_T_fd_value_, default: cfork_i64)

/* What CFORK_FN generates, per parameter. */
#define CFORK_T_KIND_ENUM_(f, i, p) CFORK_T_KIND_ENUM2_(f, i, CFORK_T_TYPE_ p)
#define CFORK_T_KIND_ENUM2_(f, i, t) cfork_T_kind_##f##_##i = CFORK_T_KIND_(t),
#define CFORK_T_PCHECK_(f, i, p)					\
	CFORK_T_PCHECK1_(f, CFORK_T_TYPE_ p, CFORK_T_NAME_ p)
#define CFORK_T_PCHECK1_(f, t, n) CFORK_T_PCHECK2_(f, t, n)
#define CFORK_T_PCHECK2_(f, t, n)					\
	_Static_assert(CFORK_T_HOLDS_(CFORK_T_KIND_(t) != 0),		\
		"CFORK_FN(" #f "): "					\
		"parameter " #n " has type " #t ", but a parameter is "	\
		"int64_t, uint64_t, double, bool, const char *, "	\
		"cfork_span or cfork_fd_t");
#define CFORK_T_PARAM_(f, i, p) CFORK_T_TYPE_ p CFORK_T_NAME_ p
#define CFORK_T_LPARAM_(f, i, p) , CFORK_T_TYPE_ p CFORK_T_NAME_ p
#define CFORK_T_GET_(f, i, p)						\
	CFORK_T_GETTER_(CFORK_T_TYPE_ p)(cfork_T_args_, (i) - 1)
#define CFORK_T_SIGCH_(f, i, p) CFORK_T_KIND_(CFORK_T_TYPE_ p),
#define CFORK_T_VALUE_(f, i, p)						\
	CFORK_T_MAKER_(CFORK_T_TYPE_ p)(CFORK_T_NAME_ p),

/* Positions past the last parameter have kind 0, so that a call with too
   many arguments fails on its count alone. */
#define CFORK_T_PAD_(f, n) CFORK_T_CAT_(CFORK_T_PAD, n)(f)
#define CFORK_T_PAD16(f)
#define CFORK_T_PAD15(f) cfork_T_kind_##f##_16 = 0,
#define CFORK_T_PAD14(f) cfork_T_kind_##f##_15 = 0, CFORK_T_PAD15(f)
#define CFORK_T_PAD13(f) cfork_T_kind_##f##_14 = 0, CFORK_T_PAD14(f)
#define CFORK_T_PAD12(f) cfork_T_kind_##f##_13 = 0, CFORK_T_PAD13(f)
#define CFORK_T_PAD11(f) cfork_T_kind_##f##_12 = 0, CFORK_T_PAD12(f)
#define CFORK_T_PAD10(f) cfork_T_kind_##f##_11 = 0, CFORK_T_PAD11(f)
#define CFORK_T_PAD9(f) cfork_T_kind_##f##_10 = 0, CFORK_T_PAD10(f)
#define CFORK_T_PAD8(f) cfork_T_kind_##f##_9 = 0, CFORK_T_PAD9(f)
#define CFORK_T_PAD7(f) cfork_T_kind_##f##_8 = 0, CFORK_T_PAD8(f)
#define CFORK_T_PAD6(f) cfork_T_kind_##f##_7 = 0, CFORK_T_PAD7(f)
#define CFORK_T_PAD5(f) cfork_T_kind_##f##_6 = 0, CFORK_T_PAD6(f)
#define CFORK_T_PAD4(f) cfork_T_kind_##f##_5 = 0, CFORK_T_PAD5(f)
#define CFORK_T_PAD3(f) cfork_T_kind_##f##_4 = 0, CFORK_T_PAD4(f)
#define CFORK_T_PAD2(f) cfork_T_kind_##f##_3 = 0, CFORK_T_PAD3(f)
#define CFORK_T_PAD1(f) cfork_T_kind_##f##_2 = 0, CFORK_T_PAD2(f)
#define CFORK_T_PAD0(f) cfork_T_kind_##f##_1 = 0, CFORK_T_PAD1(f)

#define CFORK_T_PARAMS_(...)						\
	CFORK_T_CAT_(CFORK_T_PARAMS, CFORK_T_ANY_(__VA_ARGS__))(__VA_ARGS__)
#define CFORK_T_PARAMS0(f) (void)
#define CFORK_T_PARAMS1(...)						\
	(CFORK_T_EACH_(CFORK_T_PARAM_, CFORK_T_COMMA_, __VA_ARGS__))
/* The values, with one unused element after them: C11 has no empty
   initializer. */
#define CFORK_T_ARGV_(...) ((const cfork_value[]){			\
	CFORK_T_EACH_(CFORK_T_VALUE_, CFORK_T_NONE_, __VA_ARGS__)	\
	{ (cfork_type)0, { 0 } } })

/*
 * DEFINE1_ expands the count and the name, which DEFINE2_ pastes. The
 * decoder comes after the launchers so that it can mention them: clang
 * warns about a static inline function left unused in a .c file, and
 * marking them unused draws -Wused-but-marked-unused wherever they are.
 */
#define CFORK_T_DEFINE_(params, ...)					\
	CFORK_T_DEFINE1_(params, CFORK_COUNT_(__VA_ARGS__),		\
			 CFORK_FIRST_(__VA_ARGS__), __VA_ARGS__)
#define CFORK_T_DEFINE1_(...) CFORK_T_DEFINE2_(__VA_ARGS__)
#define CFORK_T_DEFINE2_(params, n, f, ...)				\
	enum {								\
		CFORK_FN_##f = n,					\
		CFORK_T_EACH_(CFORK_T_KIND_ENUM_, CFORK_T_NONE_, __VA_ARGS__) \
		CFORK_T_PAD_(f, n)					\
	};								\
	CFORK_T_EACH_(CFORK_T_PCHECK_, CFORK_T_NONE_, __VA_ARGS__)	\
	static int cfork_T_body_##f params;				\
	static inline int cfork_T_start_##f(cfork_proc **cfork_T_ret_,	\
		const cfork_attr *cfork_T_attr_				\
		CFORK_T_EACH_(CFORK_T_LPARAM_, CFORK_T_NONE_, __VA_ARGS__)) \
	{								\
		return cfork_spawnv(cfork_T_ret_, cfork_T_attr_, #f,	\
				    CFORK_T_ARGV_(__VA_ARGS__), n);	\
	}								\
	static inline int cfork_T_run_##f(const cfork_attr *cfork_T_attr_ \
		CFORK_T_EACH_(CFORK_T_LPARAM_, CFORK_T_NONE_, __VA_ARGS__)) \
	{								\
		return cfork_runv(cfork_T_attr_, #f,			\
				  CFORK_T_ARGV_(__VA_ARGS__), n);	\
	}								\
	static int f(const cfork_args *cfork_T_args_)			\
	{								\
		(void)cfork_T_args_;					\
		(void)cfork_T_start_##f;				\
		(void)cfork_T_run_##f;					\
		return cfork_T_body_##f(CFORK_T_EACH_(CFORK_T_GET_,	\
			CFORK_T_COMMA_, __VA_ARGS__));			\
	}								\
	static const char cfork_T_sig_##f[] = {				\
		CFORK_T_EACH_(CFORK_T_SIGCH_, CFORK_T_NONE_, __VA_ARGS__) 0 \
	};								\
	CFORK_REGISTER(f, cfork_T_sig_##f);				\
	static int cfork_T_body_##f params

/*
 * At a call: the value of x when it is an integer constant expression, and
 * otherwise 2^63, which every range below refuses (as it refuses a constant
 * 2^63: it fits no int64_t or bool, is past 2^53 for a double, and a
 * uint64_t takes it by its unsigned type). The test is that of Linux's
 * __is_constexpr: (void *)(e * 0) is a null pointer constant only when e is
 * an integer constant expression, and only then does the ?: have type
 * int *. What is not an integer becomes a call first, so that no struct is
 * cast and no floating constant passes for an integer one.
 */
static inline int cfork_T_not_constant_(void) { return 0; }
#define CFORK_T_INT_(x) _Generic((x),					\
	char: (x), signed char: (x), unsigned char: (x),		\
	short: (x), unsigned short: (x), int: (x), unsigned int: (x),	\
	long: (x), unsigned long: (x),					\
	long long: (x), unsigned long long: (x),			\
	default: cfork_T_not_constant_())
#define CFORK_T_CONST_(x) _Generic(					\
	(1 ? (void *)((long)CFORK_T_INT_(x) * 0) : (int *)0),		\
	int *: (x), default: 0x8000000000000000ull)

/*
 * Whether x may be passed for a parameter of each kind (the table at
 * CFORK_START). No comparison here is always true or always false for some
 * type of x, which -Wextra would report: a negative constant shows as a
 * negative long long or a huge unsigned long long, never through < 0.
 */
#define CFORK_T_OK_I64_(x) (_Generic((x),				\
	char: 1, signed char: 1, short: 1, int: 1, long: 1, long long: 1, \
	unsigned char: 1, unsigned short: 1,				\
	unsigned int: sizeof(unsigned) < 8,				\
	unsigned long: sizeof(unsigned long) < 8, default: 0) ||	\
	CFORK_T_CONST_(x) <= 0x7fffffffffffffff)
#define CFORK_T_OK_U64_(x) (_Generic((x),				\
	unsigned char: 1, unsigned short: 1, unsigned int: 1,		\
	unsigned long: 1, unsigned long long: 1, default: 0) ||		\
	(long long)CFORK_T_CONST_(x) >= 0)
/* Within +-2^53: shifted by 2^53 in unsigned arithmetic when x is signed
   (a negative constant wraps into range), compared as it is otherwise. */
#define CFORK_T_OK_F64_(x) (_Generic((x),				\
	float: 1, double: 1,						\
	char: 1, signed char: 1, unsigned char: 1,			\
	short: 1, unsigned short: 1,					\
	int: sizeof(int) <= 4, unsigned int: sizeof(int) <= 4,		\
	long: sizeof(long) <= 4, unsigned long: sizeof(long) <= 4,	\
	default: 0) ||							\
	(_Generic((x), char: 1, signed char: 1, short: 1, int: 1,	\
		  long: 1, long long: 1, default: 0) ?			\
	 (unsigned long long)CFORK_T_CONST_(x) + 0x20000000000000u <=	\
		0x40000000000000u :					\
	 (unsigned long long)CFORK_T_CONST_(x) <= 0x20000000000000u))
#define CFORK_T_OK_BOOL_(x) (_Generic((x), bool: 1, default: 0) ||	\
	(unsigned long long)CFORK_T_CONST_(x) <= 1)
#define CFORK_T_OK_STR_(x) _Generic((x),				\
	char *: 1, const char *: 1, default: 0)
#define CFORK_T_OK_SPAN_(x) _Generic((x), cfork_span: 1, default: 0)
#define CFORK_T_OK_FD_(x) _Generic((x), cfork_fd_t: 1, default: 0)

/*
 * c as the literal 1 or 0, chosen by the type char (*)[1 + !!c]: clang quotes
 * a failed static assertion's condition in full unless it is a literal (and
 * it looks through _Generic to see), and the full condition is pages long.
 */
#define CFORK_T_HOLDS_(c)						\
	_Generic((char (*)[1 + !!(c)])0, char (*)[2]: 1, default: 0)

/* The checks at a call, as members of a struct that sizeof never makes:
   a _Static_assert can stand there, inside an expression. */
#define CFORK_T_CHECK_(...)						\
	(void)sizeof(struct {						\
		CFORK_T_ARITY_(CFORK_FIRST_(__VA_ARGS__),		\
			       CFORK_COUNT_(__VA_ARGS__))		\
		CFORK_T_EACH_(CFORK_T_ARG_, CFORK_T_NONE_, __VA_ARGS__)	\
		int cfork_T_unused_;					\
	})
#define CFORK_T_ARITY_(f, n) CFORK_T_ARITY2_(f, n)
#define CFORK_T_ARITY2_(f, n)						\
	_Static_assert(CFORK_T_HOLDS_(CFORK_FN_##f <= n),		\
		#f ": too few arguments for its CFORK_FN");		\
	_Static_assert(CFORK_T_HOLDS_(CFORK_FN_##f >= n),		\
		#f ": too many arguments for its CFORK_FN");
#define CFORK_T_ARG_(f, i, x)						\
	CFORK_T_EXPECT_(f, i, x, 'i', CFORK_T_OK_I64_(x), "an int64_t: " \
		"an integer type that fits, or an integer constant in range") \
	CFORK_T_EXPECT_(f, i, x, 'u', CFORK_T_OK_U64_(x), "a uint64_t: " \
		"an unsigned integer type, or a non-negative integer "	\
		"constant")						\
	CFORK_T_EXPECT_(f, i, x, 'd', CFORK_T_OK_F64_(x), "a double: "	\
		"double, float, an integer type of at most 32 bits, or an " \
		"integer constant within 2^53")				\
	CFORK_T_EXPECT_(f, i, x, 'b', CFORK_T_OK_BOOL_(x), "a bool: "	\
		"bool, or the constant 0 or 1")				\
	CFORK_T_EXPECT_(f, i, x, 's', CFORK_T_OK_STR_(x), "a string: "	\
		"char * or const char *")				\
	CFORK_T_EXPECT_(f, i, x, 'y', CFORK_T_OK_SPAN_(x), "a cfork_span: " \
		"make one with cfork_span_of(data, len)")		\
	CFORK_T_EXPECT_(f, i, x, 'f', CFORK_T_OK_FD_(x), "a cfork_fd_t: " \
		"make one with cfork_fd_of(fd)")
#define CFORK_T_EXPECT_(f, i, x, k, ok, what)				\
	_Static_assert(CFORK_T_HOLDS_(cfork_T_kind_##f##_##i != (k) || (ok)), \
		#f ": argument " #i " (" #x ") is not " what);
#define CFORK_T_LARG_(f, i, x) , x
#define CFORK_T_REST_(...)						\
	CFORK_T_EACH_(CFORK_T_LARG_, CFORK_T_NONE_, __VA_ARGS__)

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* CFORK_H */
