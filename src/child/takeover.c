/* SPDX-License-Identifier: MIT */
/*
 * The child's side: recognise a cfork child by CFORK_FD, take the process
 * over, run the function, exit. Statically registered functions are run from
 * the library's constructor, before main() and before the program's own
 * constructors; a name registered at run time waits for cfork_init().
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "raw_syscall.h"

static int report_fd = -1;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* A child whose function is registered at run time, waiting for
   cfork_init(). */
static bool deferred;
static cfork_args deferred_args;

/* Set once the program has called cfork_init(): only then can a child of
   it run a function registered at run time. */
static atomic_bool init_called;

int child_report_fd(void)
{
	return report_fd;
}

bool init_was_called(void)
{
	return atomic_load_explicit(&init_called, memory_order_relaxed);
}

/* Writes to the report channel with SIGPIPE held back, so that a parent that
   has gone away gives -EPIPE rather than killing the child. */
static int report_locked(unsigned kind, const void *data, size_t len)
{
	sigset_t pipe_set, old;
	int r;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_mutex_lock(&report_lock);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	r = report_send(report_fd, kind, data, len);
	if (r == -EPIPE) {
		const struct timespec now = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &now);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_unlock(&report_lock);
	return r;
}

int child_report(unsigned kind, const void *data, size_t len)
{
	return report_fd < 0 ? -ENOTCONN : report_locked(kind, data, len);
}

_Noreturn void child_fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)fflush(NULL);
	if (report_fd >= 0)
		report_locked(REPORT_ERROR, msg, strlen(msg));
	dprintf(STDERR_FILENO, "cfork: %s\n", msg);
	_exit(code);
}

int cfork_return(const void *data, size_t len)
{
	PROTECT_ERRNO;
	if (!data && len)
		return -EINVAL;
	if (report_fd < 0)
		return -ENOTCONN;
	int r = report_locked(REPORT_RESULT, data, len);
	return r == -EBADF ? -ENOTCONN : r;
}

static bool sig_matches(const char *sig, const cfork_args *a)
{
	if (!sig)
		return true;
	if (strlen(sig) != a->argc)
		return false;
	for (size_t i = 0; i < a->argc; i++)
		if ((unsigned char)sig[i] != cfork_argtype(a, i))
			return false;
	return true;
}

static _Noreturn void dispatch(const cfork_args *a)
{
	const struct cfork_registration *reg;
	bool is_static;
	int r = registry_find(a->name, &reg, &is_static);

	if (r == -ENOENT)
		child_fail(CFORK_EXIT_UNKNOWN,
			   "%s: no function is registered under this name",
			   a->name);
	if (r < 0)
		child_fail(CFORK_EXIT_UNKNOWN, "%s: %s", a->name,
			   r == -EEXIST ? "registered more than once" :
					  "invalid registration");
	if (!sig_matches(reg->sig, a))
		child_fail(CFORK_EXIT_UNKNOWN,
			   "%s: the arguments do not match its signature \"%s\"",
			   a->name, reg->sig);

	/* Last, right before the call: nothing of the runtime above runs
	   under the sandbox, and everything after it does. */
	if (a->sandbox)
		sandbox_apply(a);

	int status = reg->fn(a);
	/* The host's atexit handlers and destructors belong to the parent's
	   program (a test runner, say): only stdio is flushed. */
	(void)fflush(NULL);
	_exit(status & 0xff);
}

/* A decimal fd number up to end (or the NUL); -1 if it is anything else. */
static int parse_fd(const char *s, const char *end)
{
	long v = 0;

	if (s == end || !*s)
		return -1;
	for (; s != end && *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/* The parent was still writing the payload when we started: wait for its
   byte, which comes once the memfd is complete and sealed. */
static void wait_ready(int fd, int ready)
{
	char byte;
	ssize_t n;

	do
		n = read(ready, &byte, 1);
	while (n < 0 && errno == EINTR);
	close(ready);
	if (n != 1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: the parent did not complete the payload",
			   fd);
}

/* Maps every cfork_buffer argument read-only, as the payload itself. */
static void map_buffers(cfork_args *a)
{
	for (size_t i = 0; i < a->argc; i++) {
		const char *why = NULL;
		const void *base;
		size_t len, size;
		int fd = wire_arg_buffer(a, i, &len);

		if (fd < 0)
			continue;
		if (!a->views && !(a->views = calloc(a->argc, sizeof(*a->views))))
			child_fail(CFORK_EXIT_PAYLOAD, "out of memory");
		/* The same buffer twice: its fd is closed by now. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			size_t jlen;
			if (wire_arg_buffer(a, j, &jlen) == fd) {
				a->views[i] = a->views[j];
				seen = true;
			}
		}
		if (seen)
			continue;
		if (memfd_map_sealed(fd, true, &base, &size, &why) < 0)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "argument %zu: buffer fd %d: %s", i, fd, why);
		if (size < len)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "argument %zu: buffer shorter than its length",
				   i);
		SYS(SYS_close, fd);
		a->views[i] = base;
	}
}

/*
 * This process gained privileges at exec (setuid, setgid, file
 * capabilities) or runs with ids that differ: a payload is believed only
 * from a process at least as privileged. cfork's launch sets no_new_privs
 * before its exec, under which an exec grants nothing, so a child that has
 * it holds only what the process that exec'd it held; one that does not was
 * exec'd by someone else (a user who hands a setuid program a memfd of their
 * own), whose payload could drive a privileged function. The memfd's owner
 * must also be this process's effective ids, as a real parent's is.
 */
static void check_privileged_origin(int fd)
{
	struct stat st = { 0 };	/* filled by a raw fstat */

	if (SYS(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: refused: this program gained "
			   "privileges at exec and was not started by cfork",
			   fd);
	if (SYS(SYS_fstat, fd, &st) < 0 || st.st_uid != geteuid() ||
	    st.st_gid != getegid())
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: refused: the payload is not owned by "
			   "this program's effective user and group", fd);
}

/* Takes the process over when CFORK_FD is set. Returns only in a parent
   (false), or when a runtime-registered child must wait for cfork_init()
   (true). */
static bool take_over(bool from_constructor)
{
	/* Read in every program, a setuid one too: a child of a program
	   that gained privileges at its own exec keeps them (euid != uid),
	   so it runs with AT_SECURE as well, and must still run its
	   function, never main(). Who may drive it is settled below. */
	const char *env = getenv(CFORK_ENV);
	const char *why = NULL;
	char value[32];
	struct stat st = { 0 };	/* filled by a raw fstat */
	const void *base;
	size_t size;
	cfork_args args;

	if (!env) {
		unsetenv(CFORK_ENV);
		return false;
	}
	/* A plain bounded copy: printf's machinery would cost the child
	   page faults on the way to every function. */
	size_t len = strnlen(env, sizeof(value) - 1);
	memcpy(value, env, len);
	value[len] = '\0';
	/* Gone before anything else can fail: never seen by the function, by
	   main() or by a grandchild. */
	unsetenv(CFORK_ENV);

	char *colon = strchr(value, ':');
	int fd = parse_fd(value, colon);
	int ready = colon ? parse_fd(colon + 1, NULL) : -2;
	if (fd < 0 || ready == -1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%s: not an fd number", value);
	if (getauxval(AT_SECURE))
		check_privileged_origin(fd);
	if (ready >= 0)
		wait_ready(fd, ready);
	if (memfd_map_sealed(fd, false, &base, &size, &why) < 0)
		child_fail(CFORK_EXIT_PAYLOAD, "CFORK_FD=%d: %s", fd, why);
	SYS(SYS_close, fd);
	if (wire_decode(&args, base, size, &why) < 0)
		child_fail(CFORK_EXIT_PAYLOAD, "CFORK_FD=%d: %s", fd, why);
	/* Every signal has been blocked since before the clone (launch.c);
	   exec has reset the handlers, so the caller's mask can come back. */
	SYS(SYS_rt_sigprocmask, SIG_SETMASK, &args.sigmask, NULL,
	    sizeof(args.sigmask));

	/* The report channel is ours alone: not passed to anything the
	   function starts. */
	if (SYS(SYS_fstat, args.report_fd, &st) < 0 || !S_ISFIFO(st.st_mode) ||
	    SYS(SYS_fcntl, args.report_fd, F_SETFD, FD_CLOEXEC) < 0)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: report channel %d is not a pipe", fd,
			   args.report_fd);
	report_fd = args.report_fd;
	/* The binary's fd, ours now: not passed on either. */
	if (args.image_fd >= 0) {
		if (SYS(SYS_fcntl, args.image_fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    SYS(SYS_fstat, args.image_fd, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			child_fail(CFORK_EXIT_PAYLOAD,
				   "CFORK_FD=%d: image fd %d is not a file",
				   fd, args.image_fd);
		self_inherit(args.image_fd, &st);
	}
	map_buffers(&args);

	if (!args.is_static && from_constructor) {
		deferred_args = args;
		deferred = true;
		return true;
	}
	dispatch(&args);
}

__attribute__((constructor(101))) static void cfork_constructor(void)
{
	/* A child adopts its parent's fd of the binary when it first needs
	   it; any other process opens its own now. */
	if (!take_over(true))
		self_exe_fd();
}

int cfork_init(void)
{
	PROTECT_ERRNO;
	atomic_store_explicit(&init_called, true, memory_order_relaxed);
	take_over(false);
	if (deferred)
		dispatch(&deferred_args);
	int fd = self_exe_fd();
	return fd < 0 ? fd : 0;
}
