/* SPDX-License-Identifier: MIT */
/* The handle: wait, timeouts, kill, free, exit statuses, and what a wait
   must survive (signals, grandchildren, stolen children). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(proc, .timeout = TEST_TIMEOUT);

/* ------------------------------------------------------------------------ */
/* Child functions                                                           */
/* ------------------------------------------------------------------------ */

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int proc_sleep(const cfork_args *a)
{
	sleep_ms(cfork_arg_i64(a, 0));
	return 0;
}
CFORK_REGISTER(proc_sleep, "i");

static int proc_exit(const cfork_args *a)
{
	return (int)cfork_arg_i64(a, 0);
}
CFORK_REGISTER(proc_exit, "i");

static int proc_nothing(const cfork_args *a)
{
	(void)a;
	return 0;
}
CFORK_REGISTER(proc_nothing, "");

/* Dies of the given signal by its own hand; 99 if it survives. */
static int proc_raise(const cfork_args *a)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	if (cfork_arg_i64(a, 0) == SIGABRT)
		abort();
	raise((int)cfork_arg_i64(a, 0));
	return 99;
}
CFORK_REGISTER(proc_raise, "i");

/* A grandchild from plain fork() holds the report channel's write end while
   the child exits. */
static int proc_leave_grandchild(const cfork_args *a)
{
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		sleep_ms(cfork_arg_i64(a, 0));
		_exit(0);
	}
	return cfork_return(&pid, sizeof(pid)) ? 2 : 0;
}
CFORK_REGISTER(proc_leave_grandchild, "i");

static unsigned char pattern_byte(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 13));
}

/* Far more than a pipe holds: the parent must read while it waits. */
static int proc_big_result(const cfork_args *a)
{
	size_t n = (size_t)cfork_arg_i64(a, 0);
	unsigned char *buf = malloc(n);

	if (!buf)
		return 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern_byte(i);
	int r = cfork_return(buf, n);
	free(buf);
	return r ? 2 : 0;
}
CFORK_REGISTER(proc_big_result, "i");

/* ------------------------------------------------------------------------ */
/* Parent-side tools                                                         */
/* ------------------------------------------------------------------------ */

static cfork_proc *spawn_sleeper(int64_t ms)
{
	cfork_proc *p = NULL;
	int r = cfork_spawn(&p, NULL, "proc_sleep", ms);

	cr_assert_eq(r, 0, "cfork_spawn: %d (%s)", r, strerror(-r));
	return p;
}

/* Waits for the pidfd to become readable: the child has ended, unreaped. */
static void await_pidfd(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	cr_assert_eq(poll(&pfd, 1, 10000), 1, "the child did not end");
}

static void assert_exited(const cfork_status *st, int code)
{
	cr_assert(st->exited, "the child died of signal %d", st->signal);
	cr_assert_eq(st->code, code, "exit %d, expected %d (error: %s)",
		     st->code, code, st->error ? st->error : "none");
	cr_assert_eq(st->signal, 0);
	cr_assert_null(st->error, "child error: %s", st->error);
}

static void assert_killed(const cfork_status *st, int sig)
{
	cr_assert_not(st->exited, "the child exited with %d", st->code);
	cr_assert_eq(st->signal, sig, "signal %d, expected %d", st->signal,
		     sig);
	cr_assert_eq(st->code, 0);
}

/* ------------------------------------------------------------------------ */
/* Wait, timeout, kill                                                       */
/* ------------------------------------------------------------------------ */

Test(proc, wait_times_out_then_kill_and_reap)
{
	int fds = count_open_fds();
	cfork_proc *p = spawn_sleeper(10000);
	cfork_status st, again;
	int64_t t0 = now_ms(), elapsed;

	memset(&st, 0x5a, sizeof(st));
	cr_assert_eq(cfork_wait(p, 50, &st), -ETIMEDOUT);
	elapsed = now_ms() - t0;
	cr_assert_geq(elapsed, 45, "returned after %lld ms of 50",
		      (long long)elapsed);
	cr_assert_lt(elapsed, 2000, "returned after %lld ms of 50",
		     (long long)elapsed);
	for (size_t i = 0; i < sizeof(st); i++)
		cr_assert_eq(((unsigned char *)&st)[i], 0x5a,
			     "st was written on -ETIMEDOUT");

	cr_assert_eq(cfork_kill(p, SIGKILL), 0);
	t0 = now_ms();
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert_lt(now_ms() - t0, 2000);
	assert_killed(&st, SIGKILL);
	cr_assert_null(st.error);
	cr_assert_null(st.result);
	cr_assert_eq(st.result_len, 0);

	cr_assert_eq(cfork_kill(p, SIGKILL), -ESRCH);
	cr_assert_eq(cfork_kill(p, 0), -ESRCH);
	cr_assert_not(has_children(), "the child is not reaped");

	memset(&again, 0, sizeof(again));
	cr_assert_eq(cfork_wait(p, 0, &again), 0);
	cr_assert_eq(again.exited, st.exited);
	cr_assert_eq(again.code, st.code);
	cr_assert_eq(again.signal, st.signal);
	cr_assert_eq(again.error, st.error);
	cr_assert_eq(again.result_len, st.result_len);
	cfork_free(p);
	assert_open_fds_settle_to(fds);
}

Test(proc, kill_delivers_the_signal_given)
{
	cfork_proc *p = spawn_sleeper(10000);
	cfork_status st;

	cr_assert_eq(cfork_kill(p, 0), 0, "signal 0 probes a live child");
	cr_assert_eq(cfork_kill(p, SIGTERM), 0);
	cr_assert_eq(cfork_wait(p, 5000, &st), 0);
	assert_killed(&st, SIGTERM);
	cfork_free(p);
}

Test(proc, wait_after_reaping_returns_the_same_result)
{
	cfork_proc *p;
	cfork_status st, again;

	cr_assert_eq(cfork_spawn(&p, NULL, "proc_big_result", 100), 0);
	cr_assert_eq(cfork_wait(p, 10000, &st), 0);
	assert_exited(&st, 0);
	cr_assert_eq(st.result_len, 100);
	cr_assert_eq(cfork_wait(p, -1, &again), 0);
	assert_exited(&again, 0);
	cr_assert_eq(again.result, st.result,
		     "the result moved between waits");
	cr_assert_eq(again.result_len, 100);
	for (size_t i = 0; i < 100; i++)
		cr_assert_eq(((const unsigned char *)again.result)[i],
			     pattern_byte(i));
	cfork_free(p);
}

Test(proc, cfork_returns_the_exit_code)
{
	cr_assert_eq(cfork("proc_exit", 42), 42);
	cr_assert_eq(cfork("proc_exit", 0), 0);
	cr_assert_eq(cfork("proc_exit", 255), 255);
	/* An exit status is 8 bits wide, as _exit() makes it. */
	cr_assert_eq(cfork("proc_exit", 256 + 7), 7);
	cr_assert_eq(cfork("proc_exit", -1), 255);
	cr_assert_not(has_children());
}

Test(proc, cfork_returns_128_plus_the_signal_that_ended_the_child)
{
	cr_assert_eq(cfork("proc_raise", SIGABRT), 128 + SIGABRT);
	cr_assert_eq(cfork("proc_raise", SIGKILL), 128 + SIGKILL);
	cr_assert_eq(cfork("proc_raise", SIGSEGV), 128 + SIGSEGV);
	cr_assert_not(has_children());
}

Test(proc, status_of_a_child_that_aborts)
{
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_spawn(&p, NULL, "proc_raise", SIGABRT), 0);
	cr_assert_eq(cfork_wait(p, 10000, &st), 0);
	assert_killed(&st, SIGABRT);
	cfork_free(p);
}

/* ------------------------------------------------------------------------ */
/* What the handle holds                                                     */
/* ------------------------------------------------------------------------ */

static int fdinfo_pid(int pidfd)
{
	char path[64], line[256];
	int pid = -2;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

static int proc_ppid(pid_t pid)
{
	char path[64], line[256];
	int ppid = -2;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

static bool kernel_has_noexec_seal(void)
{
	int fd = memfd_create("probe", MFD_CLOEXEC | 0x8U /* NOEXEC_SEAL */);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

Test(proc, pid_and_pidfd_name_the_child_and_paths_are_the_fast_ones)
{
	cfork_proc *p = spawn_sleeper(10000);
	struct pollfd pfd;
	cfork_status st;
	int pidfd = cfork_pidfd(p);
	pid_t pid = cfork_pid(p);

	cr_assert_gt(pid, 0);
	cr_assert_neq(pid, getpid());
	cr_assert_eq(proc_ppid(pid), getpid());
	cr_assert_geq(pidfd, 0);
	cr_assert_eq(fdinfo_pid(pidfd), pid);
	cr_assert_eq(fcntl(pidfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC,
		     "the pidfd would leak into other programs");

	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "a running child polls readable");
	cr_assert_eq(cfork_kill(p, SIGKILL), 0);
	pfd.revents = 0;
	cr_assert_eq(poll(&pfd, 1, 5000), 1);
	cr_assert(pfd.revents & POLLIN);

	/* Nothing blocks clone3 or pidfds here; MFD_NOEXEC_SEAL is there
	   from Linux 6.3. */
	cr_assert_eq(cfork_paths(p),
		     CFORK_PATH_CLONE3 | CFORK_PATH_PIDFD |
		     (kernel_has_noexec_seal() ? CFORK_PATH_NOEXEC_SEAL : 0),
		     "paths %#x", cfork_paths(p));
	cr_assert_eq(cfork_wait(p, 0, &st), 0);
	assert_killed(&st, SIGKILL);
	cfork_free(p);
}

Test(proc, free_kills_and_reaps_a_running_child)
{
	int fds = count_open_fds();
	cfork_proc *p = spawn_sleeper(10000);
	pid_t pid = cfork_pid(p);
	int64_t t0 = now_ms();

	cfork_free(p);
	cr_assert_lt(now_ms() - t0, 2000);
	cr_assert_not(has_children(), "cfork_free left a child behind");
	cr_assert_eq(kill(pid, 0), -1);
	cr_assert_eq(errno, ESRCH);
	assert_open_fds_settle_to(fds);
}

Test(proc, free_reaps_an_ended_child_never_waited_for)
{
	int fds = count_open_fds();
	cfork_proc *p;

	cr_assert_eq(cfork_spawn(&p, NULL, "proc_exit", 3), 0);
	await_pidfd(cfork_pidfd(p));
	cr_assert(has_children_now());
	cfork_free(p);
	cr_assert_not(has_children(), "cfork_free left a zombie");
	assert_open_fds_settle_to(fds);
	cfork_free(NULL);
}

Test(proc, many_spawns_leak_no_fd_mapping_or_child)
{
	cfork_status st;
	cfork_proc *p;
	int fds, maps;

	/* One first, for what the library allocates once. */
	cr_assert_eq(cfork("proc_nothing"), 0);
	fds = count_open_fds();
	maps = count_mappings();
	for (int i = 0; i < 200; i++) {
		int r = cfork_spawn(&p, NULL, "proc_exit", i & 0x7f);

		cr_assert_eq(r, 0, "spawn %d: %d (%s)", i, r, strerror(-r));
		cr_assert_eq(cfork_wait(p, 10000, &st), 0);
		cr_assert(st.exited);
		cr_assert_eq(st.code, i & 0x7f);
		cfork_free(p);
	}
	cr_assert_eq(count_open_fds(), fds, "fds: %d before, %d after", fds,
		     count_open_fds());
	cr_assert_eq(count_mappings(), maps, "mappings: %d before, %d after",
		     maps, count_mappings());
	cr_assert_not(has_children());
}

/* The child's exit is one event for a waiter: had the handle let go of the
   report channel's write end, the exit would wake it twice (the channel
   hanging up, then the pidfd), a context switch more per child. */
Test(proc, a_child_exit_wakes_the_waiter_once)
{
	const int n = 30;
	long sleeps = 0;

	for (int i = 0; i < n; i++) {
		struct rusage before, after;
		cfork_status st;
		cfork_proc *p;

		cr_assert_eq(cfork_spawn(&p, NULL, "proc_nothing"), 0);
		getrusage(RUSAGE_THREAD, &before);
		cr_assert_eq(cfork_wait(p, -1, &st), 0);
		getrusage(RUSAGE_THREAD, &after);
		assert_exited(&st, 0);
		cfork_free(p);
		sleeps += after.ru_nvcsw - before.ru_nvcsw;
	}
	/* One sleep per wait, with room for the odd preemption. */
	cr_assert_leq(sleeps, n + n / 4, "%ld sleeps in %d waits", sleeps, n);
}

/* ------------------------------------------------------------------------ */
/* What a wait must survive                                                  */
/* ------------------------------------------------------------------------ */

static volatile sig_atomic_t alarms;

static void count_alarm(int sig)
{
	(void)sig;
	alarms++;
}

Test(proc, wait_survives_signals_without_sa_restart)
{
	struct sigaction sa = { .sa_handler = count_alarm };
	struct itimerval on = { { 0, 2000 }, { 0, 2000 } }, off = { 0 };
	cfork_proc *p = spawn_sleeper(200);
	cfork_status st;
	int64_t t0 = now_ms();
	int r;

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &on, NULL), 0);
	r = cfork_wait(p, 10000, &st);
	setitimer(ITIMER_REAL, &off, NULL);
	cr_assert_eq(r, 0, "cfork_wait: %d (%s)", r, strerror(-r));
	cr_assert_geq(now_ms() - t0, 150, "returned before the child ended");
	assert_exited(&st, 0);
	cr_assert_gt(alarms, 10, "only %d signals arrived", (int)alarms);
	cfork_free(p);
}

Test(proc, wait_with_a_timeout_survives_signals_without_sa_restart)
{
	struct sigaction sa = { .sa_handler = count_alarm };
	struct itimerval on = { { 0, 2000 }, { 0, 2000 } }, off = { 0 };
	cfork_proc *p = spawn_sleeper(10000);
	cfork_status st;
	int64_t t0 = now_ms(), elapsed;
	int r;

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &on, NULL), 0);
	r = cfork_wait(p, 200, &st);
	setitimer(ITIMER_REAL, &off, NULL);
	elapsed = now_ms() - t0;
	cr_assert_eq(r, -ETIMEDOUT, "cfork_wait: %d", r);
	cr_assert_geq(elapsed, 195, "%lld ms", (long long)elapsed);
	cr_assert_lt(elapsed, 2000, "%lld ms", (long long)elapsed);
	cfork_free(p);
}

Test(proc, wait_does_not_wait_for_a_grandchild_holding_the_channel)
{
	cfork_proc *p;
	cfork_status st;
	siginfo_t info;
	int64_t t0;
	pid_t gc;

	/* The orphan comes here, to be killed and reaped without a race. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cr_assert_eq(cfork_spawn(&p, NULL, "proc_leave_grandchild", 20000), 0);
	t0 = now_ms();
	cr_assert_eq(cfork_wait(p, 10000, &st), 0,
		     "the wait outlasted the child");
	cr_assert_lt(now_ms() - t0, 2000, "the wait took %lld ms",
		     (long long)(now_ms() - t0));
	assert_exited(&st, 0);
	cr_assert_eq(st.result_len, sizeof(gc));
	memcpy(&gc, st.result, sizeof(gc));
	cfork_free(p);

	cr_assert_eq(kill(gc, 0), 0, "the grandchild is gone already");
	cr_assert_eq(kill(gc, SIGKILL), 0);
	cr_assert_eq(waitid(P_PID, (id_t)gc, &info, WEXITED), 0);
	cr_assert_not(has_children());
}

Test(proc, wait_collects_a_result_larger_than_a_pipe)
{
	size_t n = 4u << 20;
	cfork_proc *p;
	cfork_status st;
	const unsigned char *got;

	cr_assert_eq(cfork_spawn(&p, NULL, "proc_big_result", (int64_t)n), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0,
		     "parent and child blocked on each other");
	assert_exited(&st, 0);
	cr_assert_eq(st.result_len, n);
	got = st.result;
	for (size_t i = 0; i < n; i++)
		if (got[i] != pattern_byte(i))
			cr_assert_fail("byte %zu: %u, expected %u", i, got[i],
				       pattern_byte(i));
	cfork_free(p);
}

/* Repeated zero timeouts drain the channel bit by bit: the child, blocked on
   a full pipe, must still get to the end. */
Test(proc, zero_timeout_polls_and_still_drains_the_channel)
{
	size_t n = 1u << 20;
	cfork_proc *p;
	cfork_status st;
	int r, polls = 0;
	int64_t t0;

	cr_assert_eq(cfork_spawn(&p, NULL, "proc_big_result", (int64_t)n), 0);
	t0 = now_ms();
	while ((r = cfork_wait(p, 0, &st)) == -ETIMEDOUT) {
		polls++;
		cr_assert_lt(now_ms() - t0, WAIT_MS, "never finished");
		usleep(1000);
	}
	cr_assert_eq(r, 0);
	cr_assert_gt(polls, 0, "the first zero-timeout wait blocked");
	assert_exited(&st, 0);
	cr_assert_eq(st.result_len, n);
	cfork_free(p);
}

Test(proc, zero_timeout_returns_at_once)
{
	cfork_proc *p = spawn_sleeper(10000);
	cfork_status st;
	int64_t t0 = now_ms();

	for (int i = 0; i < 10; i++)
		cr_assert_eq(cfork_wait(p, 0, &st), -ETIMEDOUT);
	cr_assert_lt(now_ms() - t0, 500, "10 polls took %lld ms",
		     (long long)(now_ms() - t0));
	cfork_free(p);

	cr_assert_eq(cfork_spawn(&p, NULL, "proc_exit", 17), 0);
	await_pidfd(cfork_pidfd(p));
	cr_assert_eq(cfork_wait(p, 0, &st), 0);
	assert_exited(&st, 17);
	cfork_free(p);
}

Test(proc, bad_arguments_are_einval)
{
	cfork_proc *p = spawn_sleeper(10000);
	cfork_status st;

	cr_assert_eq(cfork_wait(p, -2, &st), -EINVAL);
	cr_assert_eq(cfork_wait(p, -1000, &st), -EINVAL);
	cr_assert_eq(cfork_wait(p, 0, NULL), -EINVAL);
	cr_assert_eq(cfork_wait(NULL, 0, &st), -EINVAL);
	cr_assert_eq(cfork_kill(NULL, SIGKILL), -EINVAL);
	cr_assert_eq(cfork_kill(p, -1), -EINVAL);
	cr_assert_eq(cfork_kill(p, 1000), -EINVAL);
	cr_assert_eq(cfork_pid(NULL), -1);
	cr_assert_eq(cfork_pidfd(NULL), -1);
	cr_assert_eq(cfork_paths(NULL), 0u);
	/* None of that touched the child. */
	cr_assert_eq(cfork_wait(p, 0, &st), -ETIMEDOUT);
	cfork_free(p);
}

/* ------------------------------------------------------------------------ */
/* A child reaped by someone else                                            */
/* ------------------------------------------------------------------------ */

/* Whether the kernel keeps a reaped child's exit status for its pidfds
   (PIDFD_GET_INFO, Linux 6.15). */
static bool pidfd_get_info_works(void)
{
	struct {
		uint64_t mask, cgroupid;
		uint32_t ids[11];
		int32_t exit_code;
	} info = { 0 };
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = ioctl(fd, _IOWR(0xFF, 11, info), &info) == 0;
	close(fd);
	return ok;
}

Test(proc, wait_reports_the_status_when_sigchld_is_ignored)
{
	cfork_proc *p;
	cfork_status st;
	int r;

	/* The kernel reaps the children of a process that ignores
	   SIGCHLD. */
	cr_assert_neq(signal(SIGCHLD, SIG_IGN), SIG_ERR);
	cr_assert_eq(cfork_spawn(&p, NULL, "proc_exit", 42), 0);
	r = cfork_wait(p, 10000, &st);
	if (!pidfd_get_info_works()) {
		cr_assert_eq(r, -ECHILD, "cfork_wait: %d", r);
		cfork_free(p);
		cr_skip_test("no PIDFD_GET_INFO: -ECHILD, as documented");
	}
	cr_assert_eq(r, 0, "cfork_wait: %d (%s)", r, strerror(-r));
	assert_exited(&st, 42);
	cr_assert_eq(cfork_kill(p, SIGKILL), -ESRCH);
	cfork_free(p);
	cr_assert_not(has_children());
}

Test(proc, wait_reports_the_status_after_a_stray_waitpid)
{
	cfork_proc *p;
	cfork_status st;
	int status, r;
	pid_t pid;

	cr_assert_eq(cfork_spawn(&p, NULL, "proc_raise", SIGTERM), 0);
	pid = cfork_pid(p);
	await_pidfd(cfork_pidfd(p));
	cr_assert_eq(waitpid(-1, &status, 0), pid);
	r = cfork_wait(p, 10000, &st);
	if (!pidfd_get_info_works()) {
		cr_assert_eq(r, -ECHILD, "cfork_wait: %d", r);
		cfork_free(p);
		cr_skip_test("no PIDFD_GET_INFO: -ECHILD, as documented");
	}
	cr_assert_eq(r, 0, "cfork_wait: %d (%s)", r, strerror(-r));
	assert_killed(&st, SIGTERM);
	cfork_free(p);
}
