/* SPDX-License-Identifier: MIT */
/*
 * The controls a service sets on a spawn: the child's environment and
 * working directory, a deadline nobody has to wait for, captured stdout and
 * stderr, process groups and sessions, and how the status says the child
 * ended (reason, rusage).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "parent.h"

TestSuite(controls, .timeout = TEST_TIMEOUT);

#define OK 42

/* ------------------------------------------------------------------------ */
/* Child functions                                                           */
/* ------------------------------------------------------------------------ */

/* Sends back its environment, one "NAME=value\n" each. */
static int controls_env(const cfork_args *a)
{
	extern char **environ;

	(void)a;
	for (char **e = environ; *e; e++) {
		if (cfork_return(*e, strlen(*e)) < 0 || cfork_return("\n", 1) < 0)
			return 1;
	}
	return OK;
}
CFORK_REGISTER(controls_env, "");

static int controls_cwd(const cfork_args *a)
{
	char buf[PATH_MAX];

	(void)a;
	if (!getcwd(buf, sizeof(buf)))
		return 1;
	return cfork_return(buf, strlen(buf)) < 0 ? 2 : OK;
}
CFORK_REGISTER(controls_cwd, "");

static int controls_sleep(const cfork_args *a)
{
	struct timespec ts = { cfork_arg_i64(a, 0) / 1000,
			       (cfork_arg_i64(a, 0) % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return OK;
}
CFORK_REGISTER(controls_sleep, "i");

/* A child that tries to escape its deadline: ignores every signal it can,
   and sleeps. */
static int controls_stubborn(const cfork_args *a)
{
	(void)a;
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_IGN);
	for (;;)
		pause();
	return 1;
}
CFORK_REGISTER(controls_stubborn, "");

/* Writes n bytes of c to fd 1 or 2, and a line to the other. */
static int controls_write(const cfork_args *a)
{
	int fd = (int)cfork_arg_i64(a, 0);
	size_t n = (size_t)cfork_arg_i64(a, 1);
	char buf[4096];

	memset(buf, 'o' + (fd == 2) * ('e' - 'o'), sizeof(buf));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);
		ssize_t w = write(fd, buf, k);
		if (w <= 0)
			return 1;
		done += (size_t)w;
	}
	dprintf(fd == 1 ? 2 : 1, "other\n");
	return OK;
}
CFORK_REGISTER(controls_write, "ii");

/* Runs a shell line, as a child whose function starts a program does. */
static int controls_shell(const cfork_args *a)
{
	execl("/bin/sh", "sh", "-c", cfork_arg_str(a, 0), (char *)NULL);
	return 1;
}
CFORK_REGISTER(controls_shell, "s");

static int controls_burn(const cfork_args *a)
{
	volatile unsigned long x = 0;

	(void)a;
	for (;;)
		x++;
	return 1;
}
CFORK_REGISTER(controls_burn, "");

/* The signal a limit would send, sent by the child to itself. */
static int controls_raise_sigxcpu(const cfork_args *a)
{
	(void)a;
	raise(SIGXCPU);
	return 1;
}
CFORK_REGISTER(controls_raise_sigxcpu, "");

/* Sends back its pid, pgid and sid. */
static int controls_ids(const cfork_args *a)
{
	long ids[3] = { getpid(), getpgid(0), getsid(0) };

	(void)a;
	return cfork_return(ids, sizeof(ids)) < 0 ? 1 : OK;
}
CFORK_REGISTER(controls_ids, "");

/* Starts a grandchild in its own process group that writes its pid on fd,
   then sleeps; the child sleeps too. */
static int controls_grandparent(const cfork_args *a)
{
	int fd = cfork_arg_fd(a, 0);
	pid_t pid = fork();

	if (pid == 0) {
		dprintf(fd, "%ld\n", (long)getpid());
		close(fd);
		for (;;)
			pause();
	}
	close(fd);
	for (;;)
		pause();
	return 1;
}
CFORK_REGISTER(controls_grandparent, "f");

/* Leaves a grandchild in the group it leads, so that the group lives on,
   and moves itself to its parent's group (allowed: the same session). */
static int controls_leave_group(const cfork_args *a)
{
	(void)a;
	pid_t pid = fork();

	if (pid < 0)
		return 2;
	if (pid == 0)
		for (;;)
			pause();
	if (setpgid(0, getpgid(getppid())) < 0)
		return 3;
	for (;;)
		pause();
	return 1;
}
CFORK_REGISTER(controls_leave_group, "");

/* Counts the SIGRTMINs (queued, each one) that come within 300 ms of its
   word on fd that it is ready, and exits with the count. */
static int controls_count_signals(const cfork_args *a)
{
	int fd = cfork_arg_fd(a, 0), n = 0;
	struct timespec wait = { 0, 300 * 1000 * 1000 };
	sigset_t rt;

	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	if (write(fd, "r", 1) != 1)
		return 100;
	close(fd);
	while (sigtimedwait(&rt, NULL, &wait) == SIGRTMIN)
		n++;
	return n;
}
CFORK_REGISTER(controls_count_signals, "f");

/* ------------------------------------------------------------------------ */
/* Tools                                                                     */
/* ------------------------------------------------------------------------ */

static cfork_status run(const cfork_attr *attr, const char *name,
			const cfork_value *v, size_t n, cfork_proc **ret)
{
	cfork_status st;
	cfork_proc *p;

	cr_assert_eq(cfork_spawnv(&p, attr, name, v, n), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	*ret = p;
	return st;
}

/* ------------------------------------------------------------------------ */
/* Environment and working directory                                         */
/* ------------------------------------------------------------------------ */

Test(controls, envp_replaces_the_childs_environment)
{
	const char *const env[] = { "ONLY=this", "CFORK_FD=99", NULL };
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;

	setenv("DB_PASSWORD", "hunter2", 1);
	attr.envp = env;
	cfork_status st = run(&attr, "controls_env", NULL, 0, &p);
	cr_assert(st.exited && st.code == OK, "code %d", st.code);
	cr_assert_eq(st.result_len, strlen("ONLY=this\n"));
	cr_assert_eq(memcmp(st.result, "ONLY=this\n", st.result_len), 0,
		     "%.*s", (int)st.result_len, (const char *)st.result);
	cfork_free(p);

	/* NULL: the parent's, still without cfork's marker. */
	attr.envp = NULL;
	st = run(&attr, "controls_env", NULL, 0, &p);
	cr_assert(st.exited && st.code == OK);
	cr_assert(memmem(st.result, st.result_len, "DB_PASSWORD=hunter2",
			 19));
	cr_assert_null(memmem(st.result, st.result_len, "CFORK_FD", 8));
	cfork_free(p);
	unsetenv("DB_PASSWORD");
}

Test(controls, cwd_starts_the_child_elsewhere_and_a_bad_one_fails_the_spawn)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	char dir[] = "/tmp/cfork-cwd-XXXXXX";
	char real[PATH_MAX];
	cfork_proc *p;
	int fds = count_open_fds();

	cr_assert(mkdtemp(dir));
	cr_assert(realpath(dir, real));
	attr.cwd = dir;
	cfork_status st = run(&attr, "controls_cwd", NULL, 0, &p);
	cr_assert(st.exited && st.code == OK);
	cr_assert_eq(st.result_len, strlen(real));
	cr_assert_eq(memcmp(st.result, real, st.result_len), 0);
	cfork_free(p);

	char *here = getcwd(NULL, 0);
	cr_assert(here && strcmp(here, real));
	free(here);

	attr.cwd = "/nonexistent/cfork";
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_cwd"), -ENOENT);
	attr.cwd = "/etc/hostname";
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_cwd"), -ENOTDIR);
	cr_assert_eq(rmdir(dir), 0);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* ------------------------------------------------------------------------ */
/* Deadline                                                                  */
/* ------------------------------------------------------------------------ */

Test(controls, a_deadline_kills_the_child_though_nobody_waits)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int fds = count_open_fds();

	attr.deadline_ms = 200;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_stubborn"), 0);
	int64_t t0 = now_ms();
	/* Nobody waits: the child must be dead by the time we look. */
	struct timespec ts = { 1, 0 };
	nanosleep(&ts, NULL);
	cr_assert_eq(cfork_wait(p, 0, &st), 0, "still running after 1 s");
	cr_assert(!st.exited && st.signal == SIGKILL);
	cr_assert_eq(st.reason, CFORK_END_DEADLINE);
	cr_assert_geq(now_ms() - t0, 200);
	cfork_free(p);

	/* A child that ends first is not killed, and its deadline goes. */
	attr.deadline_ms = 5000;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 10), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == OK);
	cr_assert_eq(st.reason, CFORK_END_EXIT);
	cfork_free(p);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());

	attr.deadline_ms = -1;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 10), -EINVAL);
}

/* Deadlines let go of as soon as they are armed, from four threads, while
   the watchdog thread sweeps and goes back to sleep until the earliest:
   its sleep must not read a deadline's time that another thread freed
   meanwhile (an invalid read under valgrind; make check-valgrind runs
   this test). None is due within the test, so the fd they would signal
   through need not be a pidfd (valgrind has no pidfd_open). */
static void *arm_and_let_go(void *arg)
{
	const struct child_ref child = { .pid = getpid(),
					 .pidfd = *(const int *)arg,
					 .told_fd = -1 };

	for (int i = 0; i < 5000; i++) {
		struct deadline *d;
		if (deadline_arm(&d, &child, 60000) < 0)
			return (void *)1;
		deadline_release(d);
	}
	return NULL;
}

Test(controls, a_deadline_let_go_of_at_once_is_not_read_by_the_watchdog)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pthread_t t[4];

	cr_assert_geq(fd, 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, arm_and_let_go, &fd),
			     0);
	for (int i = 0; i < 4; i++) {
		void *failed;
		cr_assert_eq(pthread_join(t[i], &failed), 0);
		cr_assert_null(failed);
	}
	close(fd);
}

/* In a copy made by make_copy, a stubborn child with a 100 ms deadline
   is killed by it, and the parent's, pending at the copy, is met by the
   parent: the copy's exit status (0 for met), after the parent's wait. */
static int a_copys_deadline(pid_t (*make_copy)(void))
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int status;

	attr.deadline_ms = 400;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_stubborn"), 0);
	usleep(20 * 1000);	/* the watchdog waits on its condition */
	pid_t copy = make_copy();
	cr_assert_geq(copy, 0);
	if (copy == 0) {
		cfork_proc *q;
		alarm(10);
		attr.deadline_ms = 100;
		if (cfork_spawn(&q, &attr, "controls_stubborn") < 0)
			_exit(2);
		int code = cfork_wait(q, 5000, &st) < 0 ? 3 :
			   st.reason == CFORK_END_DEADLINE ? 0 : 4;
		cfork_free(q);
		_exit(code);
	}
	cr_assert_eq(waitpid(copy, &status, 0), copy);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert_eq(st.reason, CFORK_END_DEADLINE);
	cfork_free(p);
	cr_assert_not(has_children());
	return WIFEXITED(status) ? WEXITSTATUS(status) : status;
}

/* A fork() of the program has no watchdog thread and none of its
   parent's children: its own deadline gets a watchdog of its own. */
Test(controls, a_deadline_in_a_forked_copy_of_the_program_fires)
{
	int r = a_copys_deadline(fork);

	cr_assert_eq(r, 0, "the copy's deadline: %#x", r);
}

/* _Fork() runs no fork handlers: the copy inherits a watchdog that
   reads as running but is not there. Its first deadline starts its own. */
Test(controls, a_deadline_in_a_copy_made_by__Fork_fires)
{
	int r = a_copys_deadline(_Fork);

	cr_assert_eq(r, 0, "the copy's deadline: %#x", r);
}

/* A copy made while another thread holds the watchdog's lock can still
   arm a deadline: the copy makes the lock anew. */
static atomic_bool arming;

static void *arm_until_told(void *arg)
{
	const struct child_ref child = { .pid = getpid(),
					 .pidfd = *(const int *)arg,
					 .told_fd = -1 };

	while (atomic_load(&arming)) {
		struct deadline *d;
		if (deadline_arm(&d, &child, 60000) < 0)
			return (void *)1;
		deadline_release(d);
	}
	return NULL;
}

/* A program's own fork handlers lock what its threads hold while they
   wait: cfork's must not add a lock of its own to a fork, in whatever
   order the handlers run. */
static pthread_mutex_t program_lock = PTHREAD_MUTEX_INITIALIZER;
static void program_lock_take(void) { pthread_mutex_lock(&program_lock); }
static void program_lock_give(void) { pthread_mutex_unlock(&program_lock); }

struct waiting_under_a_lock {
	cfork_proc *p;
	volatile bool stop;
};

static void *wait_under_a_lock(void *arg)
{
	struct waiting_under_a_lock *w = arg;
	cfork_status st;

	while (!w->stop) {
		pthread_mutex_lock(&program_lock);
		(void)cfork_wait(w->p, 0, &st);
		pthread_mutex_unlock(&program_lock);
	}
	return NULL;
}

Test(controls, a_fork_does_not_deadlock_with_the_programs_fork_handlers)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	struct waiting_under_a_lock w = { NULL, false };
	pthread_t t;

	alarm(30);	/* a deadlock ends the test, not the suite */
	cr_assert_eq(pthread_atfork(program_lock_take, program_lock_give,
				    program_lock_give), 0);
	attr.deadline_ms = 20000;
	cr_assert_eq(cfork_spawn(&w.p, &attr, "controls_sleep",
				 (int64_t)20000), 0);
	cr_assert_eq(pthread_create(&t, NULL, wait_under_a_lock, &w), 0);
	for (int i = 0; i < 300; i++) {
		pid_t copy = fork();
		cr_assert_geq(copy, 0);
		if (copy == 0)
			_exit(0);
		cr_assert_eq(waitpid(copy, NULL, 0), copy);
	}
	w.stop = true;
	pthread_join(t, NULL);
	alarm(0);
	cfork_free(w.p);
}

Test(controls, a_fork_while_deadlines_are_armed_leaves_the_copy_able_to_arm)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	const struct child_ref child = { .pid = getpid(), .pidfd = fd,
					 .told_fd = -1 };
	void *failed;
	pthread_t t;

	cr_assert_geq(fd, 0);
	atomic_store(&arming, true);
	cr_assert_eq(pthread_create(&t, NULL, arm_until_told, &fd), 0);
	for (int i = 0; i < 100; i++) {
		int status;
		pid_t copy = fork();
		cr_assert_geq(copy, 0);
		if (copy == 0) {
			struct deadline *d;
			alarm(5);
			if (deadline_arm(&d, &child, 60000) < 0)
				_exit(2);
			deadline_release(d);
			_exit(0);
		}
		cr_assert_eq(waitpid(copy, &status, 0), copy);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "copy %d: %#x", i, status);
	}
	atomic_store(&arming, false);
	cr_assert_eq(pthread_join(t, &failed), 0);
	cr_assert_null(failed);
	close(fd);
}

Test(controls, many_deadlines_fire_in_order)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p[8];
	cfork_status st;

	for (int i = 0; i < 8; i++) {
		attr.deadline_ms = 100 + 50 * (7 - i);
		cr_assert_eq(cfork_spawn(&p[i], &attr, "controls_stubborn"), 0);
	}
	for (int i = 7; i >= 0; i--) {
		cr_assert_eq(cfork_wait(p[i], WAIT_MS, &st), 0);
		cr_assert_eq(st.reason, CFORK_END_DEADLINE, "child %d", i);
	}
	for (int i = 0; i < 8; i++)
		cfork_free(p[i]);
	cr_assert_not(has_children());
}

/* ------------------------------------------------------------------------ */
/* Output capture                                                            */
/* ------------------------------------------------------------------------ */

Test(controls, captured_output_does_not_deadlock_and_is_bounded)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;
	int fds = count_open_fds();

	/* 1 MiB through a socket's 208 KiB: read while the child runs. */
	attr.capture = CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR;
	cfork_status st = run(&attr, "controls_write",
			      (cfork_value[]){ cfork_i64(1),
					       cfork_i64(1 << 20) }, 2, &p);
	cr_assert(st.exited && st.code == OK, "code %d", st.code);
	cr_assert_eq(st.out_len, (size_t)1 << 20);
	cr_assert_not(st.out_truncated);
	cr_assert(st.out[0] == 'o' && st.out[st.out_len - 1] == 'o' &&
		  st.out[st.out_len] == '\0');
	cr_assert_str_eq(st.err, "other\n");
	cfork_free(p);

	/* More than output_max: the first bytes, and the flag. */
	attr.output_max = 1000;
	st = run(&attr, "controls_write",
		 (cfork_value[]){ cfork_i64(2), cfork_i64(300000) }, 2, &p);
	cr_assert(st.exited && st.code == OK, "code %d", st.code);
	cr_assert_eq(st.err_len, 1000);
	cr_assert(st.err_truncated);
	cr_assert_eq(strspn(st.err, "e"), 1000);
	cr_assert_str_eq(st.out, "other\n");
	cfork_free(p);

	/* Not captured: NULL. */
	attr = (cfork_attr)CFORK_ATTR_INIT;
	st = run(&attr, "controls_sleep", (cfork_value[]){ cfork_i64(0) }, 1,
		 &p);
	cr_assert_null(st.out);
	cr_assert_null(st.err);
	cfork_free(p);
	assert_open_fds_settle_to(fds);

	/* Capture and an fd for the same stream contradict each other. */
	attr.capture = CFORK_CAPTURE_STDOUT;
	attr.stdout_fd = 2;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 0), -EINVAL);
	attr.stdout_fd = -1;
	attr.capture = 4;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 0), -EINVAL);
}

/* What the child starts writes to the captured streams as the child does,
   by fd; and the streams are sockets, so opening /dev/stdout is refused
   (as under systemd), which the documentation says. */
Test(controls, captured_output_comes_from_what_the_child_runs)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;

	attr.capture = CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR;
	cfork_status st = run(&attr, "controls_shell",
			      (cfork_value[]){ cfork_str(
				      "echo out; echo err >&2; "
				      "test -S /dev/stdout && echo socket; "
				      "echo no >/dev/stdout || echo refused") },
			      1, &p);
	cr_assert(st.exited && st.code == 0, "code %d", st.code);
	cr_assert_str_eq(st.out, "out\nsocket\nrefused\n");
	cr_assert(!strncmp(st.err, "err\n", 4), "stderr: %s", st.err);
	cfork_free(p);
}

/* ------------------------------------------------------------------------ */
/* How it ended                                                              */
/* ------------------------------------------------------------------------ */

Test(controls, reason_tells_exit_signal_kill_and_cpu_limit_apart)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	st = run(&attr, "controls_sleep", (cfork_value[]){ cfork_i64(0) }, 1,
		 &p);
	cr_assert_eq(st.reason, CFORK_END_EXIT);
	cfork_free(p);

	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 10000), 0);
	cr_assert_eq(cfork_kill(p, SIGTERM), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(!st.exited && st.signal == SIGTERM);
	cr_assert_eq(st.reason, CFORK_END_KILLED);
	cfork_free(p);

	/* A signal from elsewhere is a signal, not a kill of cfork's. */
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 10000), 0);
	cr_assert_eq(kill(cfork_pid(p), SIGTERM), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert_eq(st.reason, CFORK_END_SIGNAL);
	cfork_free(p);

	/* And a cfork_kill() after the child ended of it, before the wait,
	   kills nothing: still a signal (a zombie takes no signal). */
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 10000), 0);
	cr_assert_eq(kill(cfork_pid(p), SIGTERM), 0);
	siginfo_t si = { 0 };
	cr_assert_eq(waitid(P_PID, (id_t)cfork_pid(p), &si,
			    WEXITED | WNOWAIT), 0);
	cr_assert_eq(cfork_kill(p, SIGTERM), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(!st.exited && st.signal == SIGTERM);
	cr_assert_eq(st.reason, CFORK_END_SIGNAL);
	cfork_free(p);

	/* RLIMIT_CPU: SIGXCPU first, not a bare SIGKILL. */
	cfork_sandbox *sb;
	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_CPU, 1), 0);
	attr.sandbox = sb;
	st = run(&attr, "controls_burn", NULL, 0, &p);
	cr_assert(!st.exited && st.signal == SIGXCPU, "signal %d", st.signal);
	cr_assert_eq(st.reason, CFORK_END_CPU_LIMIT);
	/* The kernel's count of what it used: about a second of CPU (its
	   sampled utime and stime read low on a busy VM). */
	long used_ms = (st.rusage.ru_utime.tv_sec + st.rusage.ru_stime.tv_sec) *
		       1000 + (st.rusage.ru_utime.tv_usec +
			       st.rusage.ru_stime.tv_usec) / 1000;
	cr_assert_geq(used_ms, 500, "%ld ms of CPU", used_ms);
	cfork_free(p);
	cfork_sandbox_free(sb);
}

/* A child with no CPU limit that sends itself SIGXCPU claims a limit
   nobody set: its end is a signal. */
Test(controls, a_sigxcpu_without_a_cpu_limit_is_a_signal)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	struct rlimit own;
	cfork_sandbox *sb;
	cfork_proc *p;

	cr_assert_eq(getrlimit(RLIMIT_CPU, &own), 0);
	if (own.rlim_cur != RLIM_INFINITY)
		cr_skip_test("this test runs under an RLIMIT_CPU of its own");
	/* No sandbox, then one whose limits leave CPU time alone. */
	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_NOFILE, 64), 0);
	for (int i = 0; i < 2; i++) {
		attr.sandbox = i ? sb : NULL;
		cfork_status st = run(&attr, "controls_raise_sigxcpu", NULL, 0,
				      &p);
		cr_assert(!st.exited && st.signal == SIGXCPU, "signal %d",
			  st.signal);
		cr_assert_eq(st.reason, CFORK_END_SIGNAL);
		cr_assert_eq(cfork_sandbox_applied(p) & CFORK_LAYER_RLIMITS,
			     i ? CFORK_LAYER_RLIMITS : 0);
		cfork_free(p);
	}
	cfork_sandbox_free(sb);
}

Test(controls, a_seccomp_kill_is_its_own_reason)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_proc *p;

	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	cr_assert_eq(cfork_sandbox_deny(sb, "getcwd", 0), 0);
	attr.sandbox = sb;
	cfork_status st = run(&attr, "controls_cwd", NULL, 0, &p);
	cr_assert(!st.exited && st.signal == SIGSYS);
	cr_assert_eq(st.reason, CFORK_END_SECCOMP);
	cr_assert(st.error && strstr(st.error, "getcwd"), "%s", st.error);
	cfork_free(p);
	cfork_sandbox_free(sb);
}

Test(controls, rusage_comes_from_the_kernel)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;

	cfork_status st = run(&attr, "controls_write",
			      (cfork_value[]){ cfork_i64(1), cfork_i64(1) },
			      2, &p);
	cr_assert(st.exited);
	/* Every process has a resident set and ran for some time. */
	cr_assert_gt(st.rusage.ru_maxrss, 0);
	cfork_free(p);
}

/* ------------------------------------------------------------------------ */
/* Process groups and sessions                                               */
/* ------------------------------------------------------------------------ */

Test(controls, setsid_and_setpgroup_place_the_child)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;
	long ids[3];

	attr.flags = CFORK_ATTR_SETSID;
	cfork_status st = run(&attr, "controls_ids", NULL, 0, &p);
	cr_assert(st.exited && st.code == OK && st.result_len == sizeof(ids));
	memcpy(ids, st.result, sizeof(ids));
	cr_assert(ids[1] == ids[0] && ids[2] == ids[0]);
	cfork_free(p);

	attr.flags = CFORK_ATTR_SETPGROUP;
	st = run(&attr, "controls_ids", NULL, 0, &p);
	memcpy(ids, st.result, sizeof(ids));
	cr_assert(ids[1] == ids[0] && ids[2] == getsid(0));
	cfork_free(p);

	attr.flags = CFORK_ATTR_SETSID | CFORK_ATTR_SETPGROUP;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_ids"), -EINVAL);
	attr.flags = 0;
	attr.pgroup = 5;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_ids"), -EINVAL);
}

/* cfork_kill_group reaches a grandchild; cfork_kill alone would not. */
Test(controls, killing_the_group_takes_the_grandchildren_along)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int pfd[2];
	char line[32] = "";

	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	attr.flags = CFORK_ATTR_SETPGROUP;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_grandparent",
				 cfork_fd(pfd[1])), 0);
	close(pfd[1]);
	cr_assert_gt(read(pfd[0], line, sizeof(line) - 1), 0);
	close(pfd[0]);
	pid_t grandchild = (pid_t)atol(line);
	cr_assert_gt(grandchild, 0);
	cr_assert_eq(kill(grandchild, 0), 0);

	cr_assert_eq(cfork_kill_group(p, SIGKILL), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert_eq(st.reason, CFORK_END_KILLED);
	/* The grandchild was reparented (to init, or a subreaper) and
	   killed: it is gone or a zombie someone else reaps. */
	for (int i = 0; i < 200; i++) {
		char path[64], state = 0;
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)grandchild);
		FILE *f = fopen(path, "re");
		if (!f)
			break;
		int got = fscanf(f, "%*d %*s %c", &state);
		fclose(f);
		if (got == 1 && state == 'Z')
			break;
		cr_assert_lt(i, 199, "the grandchild survived its group");
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	cr_assert_eq(cfork_kill_group(p, SIGKILL), -ESRCH);
	cfork_free(p);

	/* A child that leads no group has no group to kill. */
	attr.flags = 0;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 0), 0);
	cr_assert_eq(cfork_kill_group(p, SIGKILL), -EINVAL);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cfork_free(p);
}

/* Spawns controls_leave_group (cold, or through pool) and waits until it
   has left the group it led. */
static pid_t spawn_group_leaver(cfork_proc **p, const cfork_attr *attr,
				cfork_pool *pool)
{
	if (pool)
		cr_assert_eq(cfork_pool_spawn(pool, p, "controls_leave_group"),
			     0);
	else
		cr_assert_eq(cfork_spawn(p, attr, "controls_leave_group"), 0);
	pid_t pid = cfork_pid(*p);
	for (int i = 0; getpgid(pid) == pid; i++) {
		cr_assert_lt(i, 2000, "the child never left its group");
		usleep(10000);
	}
	return pid;
}

/* A sandboxed child that leads its group can leave it for its parent's,
   keeping a grandchild there: the group's kill then missed the child,
   which ran on, and cfork_free() waited for it for good (cold, EXEC pool),
   or returned with the call still running, whose fork server, and so
   cfork_pool_free(), then waited for it for good. */
Test(controls, a_child_that_leaves_its_group_is_killed_with_it)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_status st;
	cfork_proc *p;

	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	attr.sandbox = sb;
	attr.flags = CFORK_ATTR_SETPGROUP;
	attr.pdeathsig = SIGKILL;
	for (int mode = 0; mode < 3; mode++) {
		cfork_pool *pool = NULL;
		if (mode)
			cr_assert_eq(cfork_pool_new(&pool, &attr, 1, mode == 1 ?
						    CFORK_POOL_EXEC :
						    CFORK_POOL_FORK), 0);
		spawn_group_leaver(&p, &attr, pool);
		cr_assert_eq(cfork_kill_group(p, SIGKILL), 0);
		cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0, "mode %d", mode);
		cr_assert(!st.exited && st.signal == SIGKILL, "mode %d", mode);
		cr_assert_eq(st.reason, CFORK_END_KILLED);
		cfork_free(p);

		pid_t pid = spawn_group_leaver(&p, &attr, pool);
		cfork_free(p);
		/* Gone, or a zombie its fork server is about to reap. */
		for (int i = 0; kill(pid, 0) == 0; i++) {
			char path[64], state = 0;
			snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
			FILE *f = fopen(path, "re");
			int got = f ? fscanf(f, "%*d %*s %c", &state) : 0;
			if (f)
				fclose(f);
			if (got == 1 && state == 'Z')
				break;
			cr_assert_lt(i, 2000, "mode %d: the freed call ran on",
				     mode);
			usleep(10000);
		}
		cfork_pool_free(pool);
	}
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

/* A child still in its group gets a group's signal once, not once by the
   group and again by its pidfd. */
Test(controls, a_child_in_its_group_gets_the_groups_signal_once)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int ready[2];
	char c;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	attr.flags = CFORK_ATTR_SETPGROUP;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_count_signals",
				 cfork_fd(ready[1])), 0);
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	cr_assert_eq(cfork_kill_group(p, SIGRTMIN), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == 1, "exited %d code %d signal %d",
		  st.exited, st.code, st.signal);
	cfork_free(p);
}

Test(controls, reserved_words_must_be_zero)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;

	attr.reserved[3] = 1;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_ids"), -EINVAL);
}

/* ------------------------------------------------------------------------ */
/* A pid namespace                                                           */
/* ------------------------------------------------------------------------ */

static int controls_abort(const cfork_args *a)
{
	(void)a;
	abort();
}
CFORK_REGISTER(controls_abort, "");

static cfork_sandbox *pid_namespace(void)
{
	cfork_sandbox *sb;

	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_USER |
					      CFORK_NS_PID), 0);
	return sb;
}

/* cfork_spawn of a function that takes no argument under sb, attr's pid
   namespace, or the test skipped where the host refuses one. */
static void spawn_or_skip(cfork_proc **p, const cfork_attr *attr,
			  cfork_sandbox *sb, const char *name)
{
	int r = cfork_spawn(p, attr, name);

	if (r == -EPERM || r == -ENOSPC || r == -EINVAL || r == -EUSERS) {
		cfork_sandbox_free(sb);
		cr_skip_test("pid namespaces refused here: %s", strerror(-r));
	}
	cr_assert_eq(r, 0);
}

/* The sandbox's CPU limit reads as such whoever reports the end: a pid
   namespace's init, a fork server, or the kernel to the caller. A limit
   of 0 ends the child at its next tick, before or after it reports. */
Test(controls, a_cpu_limit_is_its_reason_through_every_launch)
{
	cfork_sandbox *sb = pid_namespace();
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_CPU, 0), 0);
	attr.sandbox = sb;
	spawn_or_skip(&p, &attr, sb, "controls_burn");
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(!st.exited && st.signal == SIGXCPU, "signal %d", st.signal);
	cr_assert_eq(st.reason, CFORK_END_CPU_LIMIT);
	cfork_free(p);
	cfork_sandbox_free(sb);

	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_CPU, 0), 0);
	attr.sandbox = sb;
	for (int mode = 0; mode < 2; mode++) {
		cfork_pool *pool;
		cr_assert_eq(cfork_pool_new(&pool, &attr, 1, mode ?
					    CFORK_POOL_FORK :
					    CFORK_POOL_EXEC), 0);
		cr_assert_eq(cfork_pool_spawn(pool, &p, "controls_burn"), 0);
		cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
		cr_assert(!st.exited && st.signal == SIGXCPU, "signal %d",
			  st.signal);
		cr_assert_eq(st.reason, CFORK_END_CPU_LIMIT, "mode %d", mode);
		cfork_free(p);
		cfork_pool_free(pool);
	}
	cfork_sandbox_free(sb);
}

/* Under CFORK_NS_PID the function is not the namespace's init: it ends as
   it would anywhere, and the parent is told so faithfully. */
Test(controls, in_a_pid_namespace_the_function_ends_as_anywhere)
{
	cfork_sandbox *sb = pid_namespace();
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	spawn_or_skip(&p, &attr, sb, "controls_abort");
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(!st.exited && st.signal == SIGABRT,
		  "exited %d code %d signal %d", st.exited, st.code,
		  st.signal);
	cr_assert_eq(st.reason, CFORK_END_SIGNAL);
	cfork_free(p);

	/* A SIGTERM from the parent reaches the function, through init. */
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 20000), 0);
	usleep(100000);
	cr_assert_eq(cfork_kill(p, SIGTERM), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(!st.exited && st.signal == SIGTERM, "exited %d code %d "
		  "signal %d", st.exited, st.code, st.signal);
	cr_assert_eq(st.reason, CFORK_END_KILLED);
	cfork_free(p);

	/* An exit code is the function's. */
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_sleep", 0), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == OK);
	cfork_free(p);
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

static void controls_on_usr1(int sig)
{
	(void)sig;
}

/* Wakes the parent with a result while the function's thread is stopped. */
static void *controls_return_later(void *arg)
{
	(void)arg;
	usleep(200000);
	(void)cfork_return("late", 4);
	return NULL;
}

/* Makes its parent its tracer, as a function without a seccomp filter
   can (PTRACE_TRACEME asks no consent), and stops in a ptrace stop on
   its way to OK. */
static int controls_traceme(const cfork_args *a)
{
	pthread_t t;

	(void)a;
	signal(SIGUSR1, controls_on_usr1);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0 ||
	    pthread_create(&t, NULL, controls_return_later, NULL) != 0)
		return 1;
	raise(SIGUSR1);
	pthread_join(t, NULL);
	return OK;
}
CFORK_REGISTER(controls_traceme, "");

/* A thread that makes the caller its tracer, left behind at the end. */
static void *controls_traced_thread(void *unused)
{
	(void)unused;
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	for (;;)
		pause();
	return NULL;
}

static int controls_thread_traceme(const cfork_args *a)
{
	pthread_t t;

	(void)a;
	if (pthread_create(&t, NULL, controls_traced_thread, NULL) != 0)
		return 1;
	usleep(100000);
	return OK;
}
CFORK_REGISTER(controls_thread_traceme, "");

/* Its traced thread ends as the caller's zombie (or the tracer's: an
   EXEC pool's refill thread), which holds up the end of the whole child:
   cfork_free() reaps it, and returns. */
Test(controls, a_childs_traced_thread_holds_up_no_free)
{
	cfork_status st;
	cfork_pool *pool;
	cfork_proc *p;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_EXEC), 0);
	for (int warm = 0; warm < 2; warm++) {
		if (warm)
			cr_assert_eq(cfork_pool_spawn(pool, &p,
						      "controls_thread_traceme"),
				     0);
		else
			cr_assert_eq(cfork_spawn(&p, NULL,
						 "controls_thread_traceme"), 0);
		(void)cfork_wait(p, 500, &st);
		cfork_free(p);
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

static void assert_ends_past_its_stop(cfork_proc *p)
{
	cfork_status st;

	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == OK,
		  "a ptrace stop told as an end: exited %d code %d signal %d",
		  st.exited, st.code, st.signal);
	cr_assert_eq(st.result_len, 4);
	cr_assert_eq(memcmp(st.result, "late", 4), 0);
	cfork_free(p);
}

/* A ptrace stop of a child that made its caller its tracer is no end:
   the child is let go and runs on to its own, which is the one told (and
   its deadline stays armed meanwhile). */
Test(controls, a_childs_ptrace_stop_is_not_told_as_its_end)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;

	attr.deadline_ms = 20000;
	cr_assert_eq(cfork_spawn(&p, &attr, "controls_traceme"), 0);
	assert_ends_past_its_stop(p);
	cr_assert_not(has_children());
}

/* The same with the namespace's init as the tracer. */
Test(controls, a_ptrace_stop_in_a_pid_namespace_is_not_told_as_its_end)
{
	cfork_sandbox *sb = pid_namespace();
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;

	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_SECCOMP,
					  CFORK_POLICY_OFF), 0);
	attr.sandbox = sb;
	spawn_or_skip(&p, &attr, sb, "controls_traceme");
	assert_ends_past_its_stop(p);
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

/* A program that ignores SIGCHLD (which exec keeps) is still told how a
   function under CFORK_NS_PID ended: the namespace's init does not leave
   the reaping to the kernel. */
Test(controls, a_program_ignoring_sigchld_is_told_a_pid_namespace_end)
{
	cfork_sandbox *sb = pid_namespace();
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	cr_assert_neq(signal(SIGCHLD, SIG_IGN), SIG_ERR);
	spawn_or_skip(&p, &attr, sb, "controls_abort");
	int r = cfork_wait(p, WAIT_MS, &st);
	cr_assert_eq(r, 0, "cfork_wait: %s", strerror(-r));
	cr_assert(!st.exited && st.signal == SIGABRT,
		  "exited %d code %d signal %d", st.exited, st.code,
		  st.signal);
	cfork_free(p);
	cfork_sandbox_free(sb);
	cr_assert_neq(signal(SIGCHLD, SIG_DFL), SIG_ERR);
}
