/* SPDX-License-Identifier: MIT */
/*
 * Initialise, then lock down (cfork_sandbox_defer, cfork_lockdown): what
 * the function does before cfork_lockdown() is free, what it does after is
 * confined, the report of what applied is settled there, and a function
 * that never locks down is a failure the parent sees.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "wire.h"

TestSuite(lockdown, .timeout = TEST_TIMEOUT);

#define OK 42

struct outcome {
	int spawn;
	bool exited;
	int code, signal;
	char error[512];
	char result[256];
	unsigned applied;
};

static struct outcome run_in(const cfork_sandbox *sb, const char *name,
			     const cfork_value *argv, size_t argc)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	struct outcome o = { 0 };
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	o.spawn = cfork_spawnv(&p, &attr, name, argv, argc);
	if (o.spawn < 0)
		return o;
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	o.exited = st.exited;
	o.code = st.code;
	o.signal = st.signal;
	if (st.error)
		snprintf(o.error, sizeof(o.error), "%s", st.error);
	if (st.result)
		snprintf(o.result, sizeof(o.result), "%.*s",
			 (int)st.result_len, (const char *)st.result);
	o.applied = cfork_sandbox_applied(p);
	cfork_free(p);
	return o;
}

#define RUN(sb, name, ...)						\
	run_in((sb), (name), CFORK_VALUES_(~, ##__VA_ARGS__),		\
	       CFORK_NVALUES_(~, ##__VA_ARGS__))

static void expect_ok(const struct outcome *o)
{
	cr_assert_eq(o->spawn, 0, "spawn: %s", strerror(-o->spawn));
	cr_assert(o->exited && o->code == OK,
		  "exited %d code %d signal %d error \"%s\" result \"%s\"",
		  o->exited, o->code, o->signal, o->error, o->result);
}

static cfork_sandbox *deferred(unsigned presets)
{
	cfork_sandbox *sb = NULL;

	cr_assert_eq(cfork_sandbox_new(&sb, presets), 0);
	cr_assert_eq(cfork_sandbox_defer(sb), 0);
	return sb;
}

/* ------------------------------------------------------------------------ */
/* Initialise, then lock down                                                */
/* ------------------------------------------------------------------------ */

/* Under COMPUTE: opens path before the lockdown, reads it after, and
   cannot open it again. */
static int lockdown_open_then_read(const cfork_args *a)
{
	char buf[64] = "";
	int fd = open(cfork_arg_str(a, 0), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	if (cfork_lockdown() != 0)
		return 2;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 3;
	cfork_return(buf, (size_t)n);
	if (open(cfork_arg_str(a, 0), O_RDONLY | O_CLOEXEC) >= 0 ||
	    errno != EACCES)
		return 4;
	return OK;
}
CFORK_REGISTER(lockdown_open_then_read, "s");

Test(lockdown, a_file_opened_before_the_lockdown_is_read_after_it)
{
	char path[] = "/tmp/cfork-lockdown-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "magic database", 14), 14);
	close(fd);
	cfork_sandbox *sb = deferred(CFORK_SB_COMPUTE);
	struct outcome o = RUN(sb, "lockdown_open_then_read", path);
	unlink(path);
	cfork_sandbox_free(sb);
	expect_ok(&o);
	cr_assert_str_eq(o.result, "magic database");
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
}

/* Under NO_NETWORK: a socket is allowed before, denied after. */
static int lockdown_socket_before_after(const cfork_args *a)
{
	(void)a;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return 1;
	close(s);
	if (cfork_lockdown() != 0)
		return 2;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0 || errno != EAFNOSUPPORT)
		return 3;
	return OK;
}
CFORK_REGISTER(lockdown_socket_before_after, "");

Test(lockdown, a_call_the_filter_denies_is_allowed_before_and_denied_after)
{
	cfork_sandbox *sb = deferred(CFORK_SB_NO_NETWORK);
	struct outcome o = RUN(sb, "lockdown_socket_before_after");

	cfork_sandbox_free(sb);
	expect_ok(&o);
}

/* Without a deferred sandbox the same function finds the filter in place
   and no lockdown to make. */
Test(lockdown, without_defer_the_sandbox_is_there_before_the_function)
{
	cfork_sandbox *sb = NULL;

	cr_assert_eq(cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK), 0);
	struct outcome o = RUN(sb, "lockdown_socket_before_after");
	cfork_sandbox_free(sb);
	cr_assert(o.exited && o.code == 1, "code %d", o.code);
}

/* ------------------------------------------------------------------------ */
/* A function that does not lock down                                        */
/* ------------------------------------------------------------------------ */

static int lockdown_never(const cfork_args *a)
{
	(void)a;
	return 0;
}
CFORK_REGISTER(lockdown_never, "");

/* The end of a child whose function ended without its lockdown. */
static void assert_ends_unlocked(const char *name)
{
	cfork_sandbox *sb = deferred(CFORK_SB_COMPUTE);
	struct outcome o = RUN(sb, name);

	cfork_sandbox_free(sb);
	cr_assert_eq(o.spawn, 0);
	cr_assert(o.exited && o.code == CFORK_EXIT_SANDBOX,
		  "exited %d code %d signal %d", o.exited, o.code, o.signal);
	cr_assert_str_eq(o.error,
			 "sandbox: the function returned without cfork_lockdown()");
	cr_assert_eq(o.applied, 0, "applied %#x", o.applied);
}

Test(lockdown, returning_without_the_lockdown_is_a_sandbox_failure)
{
	assert_ends_unlocked("lockdown_never");
}

/* exit() is a return by another way: the same check. */
static int lockdown_never_and_exit(const cfork_args *a)
{
	(void)a;
	exit(0);
}
CFORK_REGISTER(lockdown_never_and_exit, "");

Test(lockdown, exiting_without_the_lockdown_is_a_sandbox_failure)
{
	assert_ends_unlocked("lockdown_never_and_exit");
}

/* A process the function forks before its lockdown is not the child: its
   exit() ends it, and says nothing for the child. */
static int lockdown_after_a_forked_exit(const cfork_args *a)
{
	(void)a;
	pid_t pid = fork();
	if (pid == 0)
		exit(0);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	return cfork_lockdown() == 0 ? 0 : 2;
}
CFORK_REGISTER(lockdown_after_a_forked_exit, "");

Test(lockdown, a_process_the_function_forks_exits_as_its_own)
{
	cfork_sandbox *sb = deferred(CFORK_SB_NO_NETWORK);
	struct outcome o = RUN(sb, "lockdown_after_a_forked_exit");

	cfork_sandbox_free(sb);
	cr_assert(o.exited && o.code == 0, "exited %d code %d signal %d",
		  o.exited, o.code, o.signal);
	cr_assert_str_eq(o.error, "");
}

static int lockdown_exit_early(const cfork_args *a)
{
	(void)a;
	_exit(7);
}
CFORK_REGISTER(lockdown_exit_early, "");

Test(lockdown, a_child_that_exits_before_the_lockdown_reports_no_child_layer)
{
	cfork_sandbox *sb = deferred(CFORK_SB_COMPUTE);
	struct outcome o = RUN(sb, "lockdown_exit_early");

	cfork_sandbox_free(sb);
	cr_assert(o.exited && o.code == 7, "code %d", o.code);
	cr_assert_str_eq(o.error, "");
	cr_assert_eq(o.applied, 0, "applied %#x", o.applied);
}

/* ------------------------------------------------------------------------ */
/* Where and how often                                                       */
/* ------------------------------------------------------------------------ */

Test(lockdown, outside_a_child_it_is_not_connected)
{
	cr_assert_eq(cfork_lockdown(), -ENOTCONN);
	cr_assert_eq(cfork_lockdown(), -ENOTCONN);
}

static int lockdown_call(const cfork_args *a)
{
	(void)a;
	int r = cfork_lockdown();
	char text[16];
	int n = snprintf(text, sizeof(text), "%d", r);

	cfork_return(text, (size_t)n);
	return OK;
}
CFORK_REGISTER(lockdown_call, "");

Test(lockdown, in_a_child_without_a_deferred_sandbox_it_is_not_connected)
{
	cfork_sandbox *sb = NULL;
	char want[16];

	snprintf(want, sizeof(want), "%d", -ENOTCONN);
	struct outcome o = RUN(NULL, "lockdown_call");
	expect_ok(&o);
	cr_assert_str_eq(o.result, want);
	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	o = RUN(sb, "lockdown_call");
	cfork_sandbox_free(sb);
	expect_ok(&o);
	cr_assert_str_eq(o.result, want);
}

static int lockdown_twice(const cfork_args *a)
{
	(void)a;
	if (cfork_lockdown() != 0)
		return 1;
	return cfork_lockdown() == -EALREADY &&
	       cfork_lockdown() == -EALREADY ? OK : 2;
}
CFORK_REGISTER(lockdown_twice, "");

Test(lockdown, a_second_lockdown_is_already_done)
{
	cfork_sandbox *sb = deferred(CFORK_SB_COMPUTE);
	struct outcome o = RUN(sb, "lockdown_twice");

	cfork_sandbox_free(sb);
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
}

CFORK_FN(lockdown_typed, (const char *, path))
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || cfork_lockdown() != 0)
		return 1;
	close(fd);
	return open(path, O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES ? OK : 2;
}

Test(lockdown, a_typed_function_locks_down_the_same_way)
{
	cfork_sandbox *sb = deferred(CFORK_SB_COMPUTE);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	cr_assert_eq(CFORK_START(&p, &attr, lockdown_typed, "/etc/passwd"), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == OK, "code %d signal %d %s", st.code,
		  st.signal, st.error ? st.error : "");
	cr_assert_eq(cfork_sandbox_applied(p), CFORK_LAYER_SECCOMP);
	cfork_free(p);
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

static int ready_pipe[2], go_pipe[2];

/* Waits for the lockdown, then tries a socket: "denied" or "allowed". */
static void *late_thread(void *arg)
{
	char c;
	(void)arg;

	if (write(ready_pipe[1], "r", 1) != 1 || read(go_pipe[0], &c, 1) != 1)
		return (void *)"pipe";
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		close(s);
		return (void *)"allowed";
	}
	return errno == EAFNOSUPPORT ? (void *)"denied" : (void *)"other";
}

static int start_late_thread(pthread_t *t)
{
	char c;

	if (pipe(ready_pipe) || pipe(go_pipe) ||
	    pthread_create(t, NULL, late_thread, NULL) ||
	    read(ready_pipe[0], &c, 1) != 1)
		return -1;
	return 0;
}

static const char *join_late_thread(pthread_t t)
{
	void *what = NULL;

	if (write(go_pipe[1], "g", 1) != 1 || pthread_join(t, &what))
		return "join";
	return what;
}

/* The filter holds a thread started before the lockdown (TSYNC). */
static int lockdown_with_a_thread(const cfork_args *a)
{
	pthread_t t;
	(void)a;

	if (start_late_thread(&t))
		return 1;
	int r = cfork_lockdown();
	const char *what = join_late_thread(t);
	cfork_return(what, strlen(what));
	if (r != 0)
		return 2;
	return strcmp(what, "denied") ? 3 : OK;
}
CFORK_REGISTER(lockdown_with_a_thread, "");

Test(lockdown, the_filter_holds_every_thread)
{
	cfork_sandbox *sb = deferred(CFORK_SB_NO_NETWORK);
	int keep[CAP_LAST_CAP + 1];

	/* Capabilities are each thread's: keep them all, so that a root
	   child has none to drop and may lock down with threads. */
	for (int i = 0; i <= CAP_LAST_CAP; i++)
		keep[i] = i;
	cr_assert_eq(cfork_sandbox_caps(sb, keep, CAP_LAST_CAP + 1), 0);
	struct outcome o = RUN(sb, "lockdown_with_a_thread");
	cfork_sandbox_free(sb);
	expect_ok(&o);
}

/* Landlock holds the calling thread only: with another thread running,
   a required landlock makes the lockdown -EBUSY, with nothing applied;
   once the thread is gone it succeeds. */
static int lockdown_busy_then_alone(const cfork_args *a)
{
	pthread_t t;
	char text[64];
	(void)a;

	if (start_late_thread(&t))
		return 1;
	int busy = cfork_lockdown();
	const char *what = join_late_thread(t);
	int alone;
	/* A joined thread may stay listed in /proc a moment longer. */
	for (int i = 0; (alone = cfork_lockdown()) == -EBUSY && i < 1000; i++)
		usleep(1000);
	int n = snprintf(text, sizeof(text), "%d %s %d", busy, what, alone);
	cfork_return(text, (size_t)n);
	return OK;
}
CFORK_REGISTER(lockdown_busy_then_alone, "");

static int landlock_abi(void)
{
	long v = syscall(444 /* landlock_create_ruleset */, NULL, 0, 1);

	return v < 0 ? 0 : (int)v;
}

Test(lockdown, a_lockdown_that_would_hold_one_thread_of_several_is_busy)
{
	if (landlock_abi() < 1 && geteuid() != 0)
		cr_skip_test("neither landlock nor capabilities to drop here");
	cfork_sandbox *sb = deferred(CFORK_SB_NO_NETWORK);
	char want[64];

	if (landlock_abi() >= 1)
		cr_assert_eq(cfork_sandbox_fs(sb, "/tmp", CFORK_FS_READ), 0);
	struct outcome o = RUN(sb, "lockdown_busy_then_alone");
	cfork_sandbox_free(sb);
	expect_ok(&o);
	/* Busy: nothing applied, so the thread's socket was allowed. */
	snprintf(want, sizeof(want), "%d allowed 0", -EBUSY);
	cr_assert_str_eq(o.result, want);
	cr_assert(o.applied & CFORK_LAYER_SECCOMP);
	if (landlock_abi() >= 1)
		cr_assert(o.applied & CFORK_LAYER_LANDLOCK);
}

/* Under PREFER, landlock is left out of a multi-threaded lockdown. */
static int lockdown_prefer_with_a_thread(const cfork_args *a)
{
	pthread_t t;
	(void)a;

	if (start_late_thread(&t))
		return 1;
	int r = cfork_lockdown();
	const char *what = join_late_thread(t);
	cfork_return(what, strlen(what));
	return r == 0 && !strcmp(what, "denied") ? OK : 2;
}
CFORK_REGISTER(lockdown_prefer_with_a_thread, "");

Test(lockdown, under_prefer_landlock_is_left_out_of_a_multithreaded_lockdown)
{
	if (landlock_abi() < 1)
		cr_skip_test("no landlock here");
	cfork_sandbox *sb = deferred(CFORK_SB_NO_NETWORK);
	int keep[CAP_LAST_CAP + 1];

	for (int i = 0; i <= CAP_LAST_CAP; i++)
		keep[i] = i;
	cr_assert_eq(cfork_sandbox_caps(sb, keep, CAP_LAST_CAP + 1), 0);
	cr_assert_eq(cfork_sandbox_fs(sb, "/tmp", CFORK_FS_READ), 0);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_LANDLOCK,
					  CFORK_POLICY_PREFER), 0);
	struct outcome o = RUN(sb, "lockdown_prefer_with_a_thread");
	cfork_sandbox_free(sb);
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP, "applied %#x", o.applied);
}

/* ------------------------------------------------------------------------ */
/* The report is settled at the lockdown                                     */
/* ------------------------------------------------------------------------ */

/* The report channel: the one close-on-exec socket. */
static int find_report_fd(void)
{
	int found = -1;

	for (int fd = 3; fd < 64; fd++) {
		struct stat st;
		int fdfl = fcntl(fd, F_GETFD);

		if (fdfl < 0 || fstat(fd, &st) < 0)
			continue;
		if (S_ISSOCK(st.st_mode) && (fdfl & FD_CLOEXEC))
			found = found < 0 ? fd : -2;
	}
	return found;
}

static int forge_every_layer(void)
{
	uint32_t frame[3] = { REPORT_SANDBOX, 4, 0xffffffffu };
	int fd = find_report_fd();

	if (fd < 0)
		return -1;
	return write(fd, frame, sizeof(frame)) == sizeof(frame) ? 0 : -1;
}

/* i: 0 forges after the lockdown, 1 before it, 2 not at all. */
static int lockdown_forge(const cfork_args *a)
{
	int64_t when = cfork_arg_i64(a, 0);

	if (when == 1 && forge_every_layer())
		return 1;
	if (cfork_lockdown() != 0)
		return 2;
	if (when == 0 && forge_every_layer())
		return 3;
	return OK;
}
CFORK_REGISTER(lockdown_forge, "i");

Test(lockdown, the_report_is_settled_at_the_lockdown)
{
	cfork_sandbox *sb = deferred(0);

	/* A limit no one may set (above fs.nr_open): under PREFER the child
	   runs without it, and says so. */
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_NOFILE, 1ULL << 40), 0);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_RLIMITS,
					  CFORK_POLICY_PREFER), 0);
	for (int when = 0; when < 3; when++) {
		struct outcome o = RUN(sb, "lockdown_forge", when);
		expect_ok(&o);
		cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP,
			     "forged %s: applied %#x",
			     when == 0 ? "after" : when == 1 ? "before" : "never",
			     o.applied);
	}
	cfork_sandbox_free(sb);
}
