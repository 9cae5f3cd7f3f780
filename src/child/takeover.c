/* SPDX-License-Identifier: MIT */
/*
 * The child's take-over, from the library's constructor (a statically
 * registered function, before main() and the program's own constructors)
 * or from cfork_init() (a name registered at run time): where the payload
 * comes from (source.c), map and decode it, restore the caller's signal
 * mask, adopt the report channel and the binary's fd, map the buffers,
 * confine (confine.c), call the function, exit with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "sys.h"
#include "wire.h"

/* A child whose function is registered at run time, waiting for
   cfork_init(). */
static bool deferred;
static cfork_args deferred_args;

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

/* The child's pid when its sandbox may be deferred, else 0. */
static pid_t dispatched_pid;

/* How the child ends, whether its function returns or calls exit(): a
   deferred sandbox never applied fails the child, whatever the status;
   the host's atexit handlers and destructors belong to the parent's
   program (a test runner, say), so only stdio is flushed. A static
   program's own are not even ready: a child dispatched from the
   constructor runs before the C runtime registers its unwind tables,
   whose removal at exit would abort. */
static _Noreturn void end_as_returned(int status)
{
	if (dispatched_pid)
		confine_returned(dispatched_pid);
	child_flush_stdio();
	_exit(status & 0xff);
}

static void end_on_exit(int status, void *unused)
{
	(void)unused;
	end_as_returned(status);
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

	pidns_split(a->status_fd, a->sigmask);
	/* Run after what the function registers, before anything else:
	   an exit() from the function ends the child as a return does. */
	if (a->sandbox)
		dispatched_pid = getpid();
	if (on_exit(end_on_exit, NULL) != 0)
		child_fail(CFORK_EXIT_PAYLOAD, "on_exit: out of memory");
	/* Last, right before the call: nothing of the runtime above runs
	   under the sandbox, and everything after it does. */
	if (a->sandbox)
		confine_start(a);

	end_as_returned(reg->fn(a));
}

/* Maps every cfork_buffer argument read-only, as the payload itself. */
static void takeover_map_buffers(cfork_args *a)
{
	for (size_t i = 0; i < a->argc; i++) {
		const char *why = NULL;
		const void *base;
		size_t len, size;
		int fd = payload_arg_buffer(a, i, &len);

		if (fd < 0)
			continue;
		if (!a->views && !(a->views = calloc(a->argc, sizeof(*a->views))))
			child_fail(CFORK_EXIT_PAYLOAD, "out of memory");
		/* The same buffer twice: its fd is closed by now. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			size_t jlen;
			if (payload_arg_buffer(a, j, &jlen) == fd) {
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
		sys_close(fd);
		a->views[i] = base;
	}
}

/* The payload in fd, mapped read-only and checked. */
static void takeover_map(int fd, cfork_args *args)
{
	const char *why = NULL;
	const void *base;
	size_t size;

	if (memfd_map_sealed(fd, false, &base, &size, &why) < 0)
		child_fail(CFORK_EXIT_PAYLOAD, "CFORK_FD=%d: %s", fd, why);
	sys_close(fd);
	if (payload_decode(args, base, size, &why) < 0)
		child_fail(CFORK_EXIT_PAYLOAD, "CFORK_FD=%d: %s", fd, why);
}

/* The report channel and the binary's fd are the child's alone: not
   passed to anything the function starts. */
static void takeover_adopt_fds(int fd, const cfork_args *args)
{
	struct stat st = { 0 };	/* filled by a raw fstat */

	if (args->status_fd >= 0 &&
	    (sys_fstat(args->status_fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	     sys_fcntl(args->status_fd, F_SETFD, FD_CLOEXEC) < 0))
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: status channel %d is not a socket", fd,
			   args->status_fd);
	if (sys_fstat(args->report_fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    sys_fcntl(args->report_fd, F_SETFD, FD_CLOEXEC) < 0)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: report channel %d is not a socket", fd,
			   args->report_fd);
	channel_adopt(args->report_fd);
	if (args->image_fd < 0)
		return;
	if (sys_fcntl(args->image_fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    sys_fstat(args->image_fd, &st) < 0 || !S_ISREG(st.st_mode))
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: image fd %d is not a file", fd,
			   args->image_fd);
	image_adopt(args->image_fd, &st);
}

/* Takes the process over when it is a cfork child. Returns only in a
   parent (false), or when a runtime-registered child must wait for
   cfork_init() (true). */
static bool takeover_run(bool from_constructor)
{
	cfork_args args;
	int fd = source_open();

	if (fd < 0)
		return false;
	takeover_map(fd, &args);
	/* Every signal has been blocked since before the clone
	   (parent/launch.c); exec has reset the handlers, so the caller's
	   mask can come back. A pid namespace's init first takes its
	   handlers (pidns.c): a signal for the child before then would be
	   lost on an init that has none. */
	if (args.status_fd < 0)
		sys_sigprocmask(SIG_SETMASK, &args.sigmask, NULL);
	takeover_adopt_fds(fd, &args);
	takeover_map_buffers(&args);
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
	   it; any other process opens its own now, and makes the base's
	   landlock ruleset its sandboxed children enter: fds that appeared
	   at a first spawn would read as leaks. */
	if (!takeover_run(true)) {
		(void)image_fd();
		int ruleset = landlock_process_ruleset();
		if (ruleset >= 0)
			close(ruleset);
	}
}

int cfork_init(void)
{
	PROTECT_ERRNO;
	registry_mark_runtime_ready();
	takeover_run(false);
	if (deferred)
		dispatch(&deferred_args);
	int fd = image_fd();
	return fd < 0 ? fd : 0;
}
