/* SPDX-License-Identifier: MIT */
/*
 * Warm start: a pool of children exec'd ahead of demand, each handed one
 * call. A pool's handle is an ordinary handle; a pool's call is a call as
 * any other, sandbox and all; a pool never fails a call for being empty or
 * for a child that died while it waited; nothing leaks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <dirent.h>
#include <elf.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "checking_child.h"
#include "helpers.h"
#include "test_progs.h"
#include "lib/payload.h"
#include "common.h"
#include "parent.h"
#include "wire.h"

TestSuite(pool, .timeout = TEST_TIMEOUT);

#define OK 42

/* Every argument type, checked in the child; OK if all arrived. */
static int pool_every_type(const cfork_args *a)
{
	size_t len;
	const char *bytes = cfork_arg_bytes(a, 5, &len);
	char buf[8] = "";

	if (cfork_arg_i64(a, 0) != -7 || cfork_arg_u64(a, 1) != 1ULL << 60 ||
	    cfork_arg_f64(a, 2) != 2.5 || !cfork_arg_bool(a, 3) ||
	    strcmp(cfork_arg_str(a, 4), "text") || len != 3 ||
	    memcmp(bytes, "\1\2\3", 3))
		return 1;
	if (read(cfork_arg_fd(a, 6), buf, sizeof(buf) - 1) != 4 ||
	    strcmp(buf, "pipe"))
		return 2;
	const char *big = cfork_arg_bytes(a, 7, &len);
	if (len != 1 << 20 || big[0] != 'b' || big[len - 1] != 'b')
		return 3;
	return cfork_return("done", 4) < 0 ? 4 : OK;
}
CFORK_REGISTER(pool_every_type, "iudbsyfy");

static int pool_pid(const cfork_args *a)
{
	pid_t pid = getpid();

	(void)a;
	return cfork_return(&pid, sizeof(pid)) < 0 ? 1 : OK;
}
CFORK_REGISTER(pool_pid, "");

static int pool_socket(const cfork_args *a)
{
	(void)a;
	return socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EAFNOSUPPORT ?
	       OK : 1;
}
CFORK_REGISTER(pool_socket, "");

/* Opens a file before the lockdown, reads it after. */
static int pool_lockdown(const cfork_args *a)
{
	int fd = open(cfork_arg_str(a, 0), O_RDONLY | O_CLOEXEC);
	char buf[16];

	if (fd < 0 || cfork_lockdown() < 0)
		return 1;
	if (read(fd, buf, sizeof(buf)) <= 0)
		return 2;
	if (open(cfork_arg_str(a, 0), O_RDONLY | O_CLOEXEC) >= 0)
		return 3;
	return OK;
}
CFORK_REGISTER(pool_lockdown, "s");

static cfork_status wait_ok(cfork_proc *p)
{
	cfork_status st;

	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == OK, "exited %d code %d signal %d "
		  "error %s", st.exited, st.code, st.signal,
		  st.error ? st.error : "-");
	return st;
}

Test(pool, every_argument_type_reaches_a_pool_child)
{
	cfork_pool *pool;
	cfork_buffer *b;
	cfork_proc *p;
	int pfd[2];
	int fds = count_open_fds();

	cr_assert_eq(cfork_pool_new(&pool, NULL, 2, CFORK_POOL_EXEC), 0);
	cr_assert_eq(cfork_buffer_new(&b, 1 << 20), 0);
	memset(cfork_buffer_data(b), 'b', 1 << 20);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
		cr_assert_eq(write(pfd[1], "pipe", 4), 4);
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_every_type", -7,
					      (uint64_t)1 << 60, 2.5, true,
					      "text", cfork_bytes("\1\2\3", 3),
					      cfork_fd(pfd[0]), b), 0);
		close(pfd[0]);
		close(pfd[1]);
		/* The pool is full when cfork_pool_new() returns. */
		if (i == 0)
			cr_assert(cfork_paths(p) & CFORK_PATH_POOL);
		cfork_status st = wait_ok(p);
		cr_assert_eq(st.result_len, 4);
		cfork_free(p);
	}
	cfork_buffer_free(b);
	cfork_pool_free(pool);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* Each child is used once: a second call gets another process. */
Test(pool, a_pool_child_serves_one_call)
{
	cfork_pool *pool;
	cfork_proc *p;
	pid_t seen[6];

	cr_assert_eq(cfork_pool_new(&pool, NULL, 2, CFORK_POOL_EXEC), 0);
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		if (i < 2)
			cr_assert(cfork_paths(p) & CFORK_PATH_POOL, "call %d", i);
		cfork_status st = wait_ok(p);
		memcpy(&seen[i], st.result, sizeof(pid_t));
		cr_assert_eq(seen[i], cfork_pid(p));
		for (int j = 0; j < i; j++)
			cr_assert_neq(seen[i], seen[j]);
		cfork_free(p);
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

Test(pool, a_pools_sandbox_applies_to_each_call)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_pool *pool;
	cfork_proc *p;

	cr_assert_eq(cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK), 0);
	attr.sandbox = sb;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 2, CFORK_POOL_EXEC), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_socket"), 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_POOL);
	wait_ok(p);
	cr_assert(cfork_sandbox_applied(p) & CFORK_LAYER_SECCOMP);
	cfork_free(p);
	cfork_pool_free(pool);

	/* Deferred: the function initialises, then locks down. */
	cfork_sandbox_free(sb);
	cr_assert_eq(cfork_sandbox_new(&sb, CFORK_SB_COMPUTE), 0);
	cr_assert_eq(cfork_sandbox_defer(sb), 0);
	attr.sandbox = sb;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_EXEC), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_lockdown",
				      "/etc/hostname"), 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_POOL);
	wait_ok(p);
	cfork_free(p);
	cfork_pool_free(pool);
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

/* Opens its caller's oom_score_adj for writing: OK where that is refused,
   1 where it could have made its caller the OOM killer's first pick. */
static int pool_proc_write(const cfork_args *a)
{
	char path[64];

	(void)a;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)getppid());
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES ? OK : 2;
	close(fd);
	return 1;
}
CFORK_REGISTER(pool_proc_write, "");

/* The base's landlock domain comes with each warm call's sandbox, as with
   a cold call's: a pool's child or a fork server's cannot write the
   caller's /proc files either. */
Test(pool, a_warm_sandboxed_call_cannot_write_its_callers_proc_files)
{
	static const unsigned path[2] = { CFORK_PATH_POOL,
					  CFORK_PATH_FORK_SERVER };
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;

	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	attr.sandbox = sb;
	for (int i = 0; i < 2; i++) {
		cfork_pool *pool;
		cfork_proc *p;
		cr_assert_eq(cfork_pool_new(&pool, &attr, 1, i ?
					    CFORK_POOL_FORK :
					    CFORK_POOL_EXEC), 0);
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_proc_write"), 0);
		cr_assert(cfork_paths(p) & path[i], "mode %d", i);
		wait_ok(p);
		cfork_free(p);
		cfork_pool_free(pool);
	}
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

/* The children of every thread of ours (the refill thread launches a
   pool's children: they are its task's), up to max; how many. */
static size_t our_children(pid_t *out, size_t max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	size_t n = 0;
	long pid;

	while (d && (e = readdir(d))) {
		char path[300];
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 e->d_name);
		FILE *f = fopen(path, "re");
		while (f && n < max && fscanf(f, "%ld", &pid) == 1)
			out[n++] = (pid_t)pid;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* Sends sig to every child of every thread of ours; how many got it. */
static int signal_our_children(int sig)
{
	pid_t kids[64];
	size_t n = our_children(kids, sizeof(kids) / sizeof(*kids));
	int sent = 0;

	for (size_t i = 0; i < n; i++)
		sent += kill(kids[i], sig) == 0;
	return sent;
}

/* Waits until the pool has a child waiting, then sends it sig. */
static int signal_waiting_child(int sig)
{
	int sent = 0;

	for (int t = 0; t < 200 && !sent; t++) {
		sent = signal_our_children(sig);
		if (!sent)
			usleep(10000);
	}
	return sent;
}

/* A waiting child that died is replaced, never handed a call. */
Test(pool, a_child_killed_while_waiting_is_not_handed_out)
{
	cfork_pool *pool;
	cfork_proc *p;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_EXEC), 0);
	for (int round = 0; round < 3; round++) {
		cr_assert_gt(signal_waiting_child(SIGKILL), 0,
			     "no waiting child found");
		usleep(50000);
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		wait_ok(p);
		cfork_free(p);
	}
	/* And the dead were replaced: calls go warm again. */
	bool warm = false;
	for (int t = 0; t < 200 && !warm; t++) {
		usleep(10000);
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		warm = cfork_paths(p) & CFORK_PATH_POOL;
		wait_ok(p);
		cfork_free(p);
	}
	cr_assert(warm, "the pool was never refilled");
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* A child of ours that waits, forked as pid want where the pid namespace
   lets its next pid be chosen (ns_last_pid: root's); -1 where it cannot. */
static pid_t fork_as(pid_t want)
{
	char next[16];
	int len = snprintf(next, sizeof(next), "%d", (int)want - 1);

	for (int i = 0; i < 100; i++) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		bool set = write(fd, next, (size_t)len) == len;
		close(fd);
		if (!set)
			return -1;
		pid_t pid = fork();
		if (pid == 0) {
			/* Not left behind by a test that fails. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0)
				pause();
			_exit(0);
		}
		if (pid == want || pid < 0)
			return pid;
		/* Another process took it first. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

/* A waiting child that died and was reaped by the program's own wait for
   any child (a SIGCHLD handler's waitpid(-1)) leaves the pool its pidfd,
   which says it is gone: its pid may be another process's by then (here
   another child of ours), which is neither signalled nor waited for. */
Test(pool, a_waiting_child_reaped_by_the_programs_wait_leaves_its_pid_alone)
{
	cfork_pool *pool;
	cfork_proc *p;
	pid_t waiting = -1;
	int status;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_EXEC), 0);
	for (int t = 0; t < 200 && !our_children(&waiting, 1); t++)
		usleep(10000);
	cr_assert_gt(waiting, 0, "no waiting child");
	cr_assert_eq(kill(waiting, SIGKILL), 0);
	cr_assert_eq(waitpid(waiting, &status, __WALL), waiting);
	pid_t other = fork_as(waiting);
	if (other < 0) {
		cfork_pool_free(pool);
		cr_skip_test("pid %d cannot be had again here", (int)waiting);
	}
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	wait_ok(p);
	cfork_free(p);
	bool left_alone = waitpid(other, &status, WNOHANG) == 0;
	kill(other, SIGKILL);
	waitpid(other, &status, 0);
	cr_assert(left_alone, "the pool signalled or reaped pid %d, another "
		  "process's by then", (int)other);
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* A waiting child that was stopped is not handed a call either: the call
   would wait for as long as the child stays stopped. */
Test(pool, a_child_stopped_while_waiting_is_not_handed_out)
{
	cfork_pool *pool;
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_EXEC), 0);
	cr_assert_gt(signal_waiting_child(SIGSTOP), 0, "no waiting child");
	usleep(50000);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	int r = cfork_wait(p, 5000, &st);
	if (r < 0)
		signal_our_children(SIGKILL);	/* the stopped one too */
	cr_assert_eq(r, 0, "the call went to the stopped child");
	cr_assert(st.exited && st.code == OK);
	cfork_free(p);
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

struct hammer {
	cfork_pool *pool;
	int failures;
	int warm;
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 25; i++) {
		cfork_proc *p;
		cfork_status st;
		if (cfork_pool_spawn(h->pool, &p, "pool_pid") < 0 ||
		    cfork_wait(p, WAIT_MS, &st) < 0 || !st.exited ||
		    st.code != OK)
			h->failures++;
		else
			h->warm += !!(cfork_paths(p) & CFORK_PATH_POOL);
		cfork_free(p);
	}
	return NULL;
}

/* Four threads on a pool of two: exhausted all the time, never failing. */
Test(pool, exhaustion_under_four_threads_launches_cold)
{
	struct hammer h[4];
	pthread_t t[4];
	cfork_pool *pool;
	int fds = count_open_fds(), warm = 0;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 2, CFORK_POOL_EXEC), 0);
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ pool, 0, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(h[i].failures, 0, "thread %d", i);
		warm += h[i].warm;
	}
	cr_assert_gt(warm, 0, "no call went to a waiting child");
	cfork_pool_free(pool);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* Freed while calls run: the handles stay valid, the waiting go. */
Test(pool, free_while_calls_run)
{
	cfork_pool *pool;
	cfork_proc *p[3];

	cr_assert_eq(cfork_pool_new(&pool, NULL, 3, CFORK_POOL_EXEC), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(cfork_pool_spawn(pool, &p[i], "pool_pid"), 0);
	cfork_pool_free(pool);
	for (int i = 0; i < 3; i++) {
		wait_ok(p[i]);
		cfork_free(p[i]);
	}
	cr_assert_not(has_children());
}

Test(pool, bad_arguments_are_refused)
{
	cfork_pool *pool;
	cfork_proc *p;
	cfork_attr attr = CFORK_ATTR_INIT;

	cr_assert_eq(cfork_pool_new(NULL, NULL, 1, CFORK_POOL_EXEC), -EINVAL);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 0, CFORK_POOL_EXEC), -EINVAL);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, 7), -EINVAL);
	attr.capture = CFORK_CAPTURE_STDOUT;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK),
		     -ENOTSUP);
	attr.capture = 0;
	cfork_sandbox *sb;
	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_PID), 0);
	attr.sandbox = sb;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK),
		     -ENOTSUP);
	attr.sandbox = NULL;
	cfork_sandbox_free(sb);
	attr.stdout_fd = 999;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_EXEC), -EBADF);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_EXEC), 0);
	/* A call's own error leaves the waiting child waiting. */
	cr_assert_eq(cfork_pool_spawn(pool, &p, "no_such_function"), -ENOENT);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid", 1), -EINVAL);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	wait_ok(p);
	cfork_free(p);
	cfork_pool_free(pool);
	cfork_pool_free(NULL);
	cr_assert_not(has_children());
}

struct refused_calls {
	cfork_pool *pool;
	volatile bool stop;
	int wrong;
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Calls refused before their hand-off, one now and then: each takes a
   waiting child and gives it back. */
static void *call_refused(void *arg)
{
	struct refused_calls *rc = arg;

	while (!rc->stop) {
		cfork_proc *p;
		int64_t began = now_us();
		if (cfork_pool_spawn(rc->pool, &p, "no_such_function") !=
		    -ENOENT)
			rc->wrong++;
		/* As long again without a child. */
		for (int64_t end = 2 * now_us() - began; now_us() < end;)
			;
	}
	return NULL;
}

/* A child given back (its call was refused before the hand-off) while the
   refill thread launched one in its place: the pool holds no more than
   its size. In each round a call takes one child while refused calls take
   and give back the other: the refill thread, which finds the pool short
   of both now and then, launches two, and the child given back meanwhile
   must not make three (nor the refill thread, its pool overfull, launch
   without end). */
Test(pool, a_child_given_back_while_its_replacement_launches_overfills_nothing)
{
	struct refused_calls rc = { .stop = false };
	pthread_t t;
	cfork_pool *pool;
	int fds = count_open_fds();

	cr_assert_eq(cfork_pool_new(&pool, NULL, 2, CFORK_POOL_EXEC), 0);
	rc.pool = pool;
	cr_assert_eq(pthread_create(&t, NULL, call_refused, &rc), 0);
	for (int round = 0; round < 40; round++) {
		cfork_proc *p;
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		wait_ok(p);
		cfork_free(p);
		/* A refill launched as a child came back is let go of:
		   three children for a while, not for good. */
		usleep(10000);
		size_t n;
		for (int64_t end = now_ms() + 1000 * TEST_SLOWDOWN;
		     (n = children_of_any_thread()) > 2 && now_ms() < end;)
			usleep(10000);
		cr_assert_leq(n, 2, "round %d: %zu children wait in a pool "
			      "of 2", round, n);
	}
	rc.stop = true;
	pthread_join(t, NULL);
	cr_assert_eq(rc.wrong, 0);
	cfork_pool_free(pool);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* Under a hard fd limit that leaves a fork server no room for a call's
   status channel beside its own fds, every call would launch cold: the
   pool is refused instead. In a fork, whose limit can be lowered for good. */
Test(pool, a_fork_server_with_no_fds_for_a_call_is_refused)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit low = { SERVER_FDS_OWN, SERVER_FDS_OWN };
		cfork_pool *pool;
		if (setrlimit(RLIMIT_NOFILE, &low) < 0)
			_exit(2);
		int r = cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK);
		if (r == 0)
			cfork_pool_free(pool);
		_exit(r == -EMFILE ? 0 : 1);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x (1: the pool was made)", status);
}

/* The hand-off comes from the parent or not at all: a pool child whose
   socket's other end is held by someone else (here: its grandparent)
   refuses it. */
Test(pool, a_spoofed_hand_off_is_refused)
{
	int sv[2];
	pid_t mid;
	int status;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	mid = fork();
	cr_assert_geq(mid, 0);
	if (mid == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			char env[32];
			snprintf(env, sizeof(env), "CFORK_FD=p%d", sv[1]);
			char *argv[] = { TEST_PROGS_DIR "/spawn_print", NULL };
			char *envp[] = { env, NULL };
			execve(argv[0], argv, envp);
			_exit(99);
		}
		int st;
		waitpid(pid, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 98);
	}
	close(sv[1]);
	cr_assert_eq(waitpid(mid, &status, 0), mid);
	close(sv[0]);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == CFORK_EXIT_PAYLOAD,
		  "status %#x", status);
}

/* The hand-off comes from the parent itself, not from another process that
   holds the parent's end of the child's socket: a plain fork of the
   program has every fd of it. In each test below that fork sends a
   well-formed hand-off of a call that leaves a marker file. */
static int pool_marker(const cfork_args *a)
{
	int fd = open(cfork_arg_str(a, 0), O_CREAT | O_WRONLY | O_CLOEXEC,
		      0600);

	return fd >= 0 && close(fd) == 0 ? OK : 1;
}
CFORK_REGISTER(pool_marker, "s");

static bool is_seqpacket(int fd)
{
	int type;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_SEQPACKET;
}

/* A pool child's: built by hand (its liveness is for its parent alone to
   check, so a copy of the pool would not hand it anything), sent on the
   pool's end of its socket, and waited for until the child lets go of
   the report channel. Runs in the fork; its exit code says how far it
   got. */
static _Noreturn void send_marker_hand_off(int sock, const char *marker,
					   bool to_server)
{
	const cfork_value v[] = { cfork_str(marker) };
	struct payload_out w;
	unsigned paths = 0;
	int rp[2], sp[2];
	char buf[256];

	if (pipe(rp) < 0 || pipe(sp) < 0 ||
	    wire_encode(&w, "pool_marker", true, rp[1], 0, v, 1) < 0)
		_exit(2);
	int memfd = payload_create(&paths);
	if (memfd < 0 || payload_write(memfd, w.iov, w.niov, w.size) < 0 ||
	    payload_seal(memfd) < 0)
		_exit(3);
	/* A fork server keeps the call's status channel (the third). */
	int fds[] = { memfd, rp[1], sp[1] };
	if (handoff_send(sock, fds, to_server ? 3 : 2, to_server ? 2 : -1) < 0)
		_exit(4);
	close(rp[1]);
	close(sp[1]);
	struct pollfd p = { .fd = rp[0], .events = POLLIN };
	while (poll(&p, 1, 5000) > 0 && read(rp[0], buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/* A pool of one and the pool's end of its child's (or server's) socket:
   the SOCK_SEQPACKET socket cfork_pool_new() opened. */
static int pool_of_one_and_its_socket(cfork_pool **pool, unsigned mode)
{
	bool before[1024];
	int sock = -1;

	for (int fd = 0; fd < 1024; fd++)
		before[fd] = is_seqpacket(fd);
	cr_assert_eq(cfork_pool_new(pool, NULL, 1, mode), 0);
	for (int fd = 0; fd < 1024 && sock < 0; fd++)
		if (!before[fd] && is_seqpacket(fd))
			sock = fd;
	cr_assert_geq(sock, 0, "the pool's end of its socket");
	return sock;
}

/* The attack: a fork of this program sends the hand-off on sock; the
   call it names must not have run. */
static void spoof_hand_off_from_a_fork(int sock, bool to_server)
{
	char dir[] = "/tmp/cfork-pool-XXXXXX", marker[64];
	int status;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(marker, sizeof(marker), "%s/ran", dir);
	pid_t other = fork();
	cr_assert_geq(other, 0);
	if (other == 0)
		send_marker_hand_off(sock, marker, to_server);
	cr_assert_eq(waitpid(other, &status, 0), other);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the sender got no further than %#x", status);
	cr_assert_neq(access(marker, F_OK), 0,
		      "a call sent by another process ran in the %s",
		      to_server ? "server's child" : "pool's child");
	rmdir(dir);
}

Test(pool, a_pool_childs_hand_off_sent_by_another_process_is_refused)
{
	cfork_pool *pool;
	cfork_proc *p;
	int sock = pool_of_one_and_its_socket(&pool, CFORK_POOL_EXEC);

	spoof_hand_off_from_a_fork(sock, false);
	/* The pool serves on: its child refused and died, and a call finds
	   it replaced or launches cold. */
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	wait_ok(p);
	cfork_free(p);
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

Test(pool, a_fork_servers_hand_off_sent_by_another_process_is_refused)
{
	cfork_pool *pool;
	cfork_proc *p;
	int sock = pool_of_one_and_its_socket(&pool, CFORK_POOL_FORK);

	/* The server is up, and its standby waits. */
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	wait_ok(p);
	cfork_free(p);
	spoof_hand_off_from_a_fork(sock, true);

	/* The program's own calls go on: the refusal ended the server, so
	   the next call launches cold if it finds it still ending, and
	   starts it again; the calls after go through it. */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		cr_assert(i == 0 || (cfork_paths(p) & CFORK_PATH_FORK_SERVER),
			  "call %d", i);
		wait_ok(p);
		cfork_free(p);
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* A server that ends with a hand-off unread in its socket (the call its
   child runs can kill it at once) resets the socket, and the kernel
   reports the reset before the answer the child sent ahead of it: the
   answer must still be taken. Refused, the caller launched the call
   again, and the call ran twice (killing its server, then its caller).
   Here the server's end is this process's: the answer (this process, as
   the child), then the end with a hand-off unread. */
Test(pool, a_fork_servers_answer_is_taken_after_it_reset_its_socket)
{
	int sv[2], told[2], pidfd;
	pid_t self = getpid(), pid = -1;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
		     0);
	cr_assert_eq(pipe2(told, O_CLOEXEC), 0);
	cr_assert_eq(send(sv[0], "hand-off", 8, 0), 8);
	int own = (int)syscall(SYS_pidfd_open, self, 0);
	cr_assert_geq(own, 0);
	cr_assert_eq(fd_send_with(sv[1], &self, sizeof(self), own),
		     (ssize_t)sizeof(self));
	close(own);
	close(sv[1]);
	int r = server_answer(&sv[0], told[0], 1000, &pid, &pidfd);
	cr_assert_eq(r, 0, "the answer was lost to the reset: %s",
		     strerror(-r));
	cr_assert_eq(pid, self);
	cr_assert_geq(pidfd, 0);
	close(pidfd);
	close(sv[0]);
	close(told[0]);

	/* No answer came before the reset, and the status channel hung up
	   with the server: the call never ran, and the server is done
	   (it is launched anew), not fine (-EAGAIN). */
	close(told[1]);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
		     0);
	cr_assert_eq(pipe2(told, O_CLOEXEC), 0);
	cr_assert_eq(send(sv[0], "hand-off", 8, 0), 8);
	close(sv[1]);
	close(told[1]);
	r = server_answer(&sv[0], told[0], 1000, &pid, &pidfd);
	cr_assert(r < 0 && r != -EAGAIN, "%d: %s", r, strerror(-r));
	close(sv[0]);
	close(told[0]);
}

/* A child of fork() has a copy of the pool, not its children: a call
   through the copy launches cold, freeing the copy returns (the refill
   thread it would wait for was not copied) and closes the copy's fds,
   and the parent's pool serves on warm, its children untouched. An EXEC
   pool's fds are not counted: its refill thread may have had a launch
   under way at the fork, and what a thread had in hand is not the
   copy's to free. */
Test(pool, a_copy_of_a_pool_in_a_forked_child_leaves_the_pool_alone)
{
	static const unsigned modes[] = { CFORK_POOL_EXEC, CFORK_POOL_FORK };

	for (size_t m = 0; m < 2; m++) {
		int fds = count_open_fds();
		cfork_pool *pool;
		cfork_proc *p;
		int status;

		cr_assert_eq(cfork_pool_new(&pool, NULL, 2, modes[m]), 0);
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		wait_ok(p);
		cfork_free(p);
		pid_t other = fork();
		cr_assert_geq(other, 0);
		if (other == 0) {
			cfork_status st;
			alarm(10);
			if (cfork_pool_spawn(pool, &p, "pool_pid") < 0)
				_exit(2);
			if (cfork_paths(p) &
			    (CFORK_PATH_POOL | CFORK_PATH_FORK_SERVER))
				_exit(3);
			if (cfork_wait(p, -1, &st) < 0 || !st.exited ||
			    st.code != OK)
				_exit(4);
			cfork_free(p);
			cfork_pool_free(pool);
			if (modes[m] == CFORK_POOL_FORK && count_open_fds() != fds)
				_exit(5);
			_exit(0);
		}
		cr_assert_eq(waitpid(other, &status, 0), other);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "mode %zu: the fork got %#x", m, status);
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		cr_assert(cfork_paths(p) &
			  (CFORK_PATH_POOL | CFORK_PATH_FORK_SERVER),
			  "mode %zu: the pool's next call went cold", m);
		wait_ok(p);
		cfork_free(p);
		cfork_pool_free(pool);
		cr_assert_not(has_children());
	}
}

/* More than a pipe holds, so that the child waits for its parent to read
   it, then a pause before the exit. */
#define LATE_RESULT_BYTES ((size_t)200000)

static int pool_late_result(const cfork_args *a)
{
	static unsigned char bytes[LATE_RESULT_BYTES];

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7);
	if (cfork_return(bytes, sizeof(bytes)))
		return 1;
	usleep((useconds_t)cfork_arg_i64(a, 0) * 1000);
	return OK;
}
CFORK_REGISTER(pool_late_result, "i");

/* A handle copied by fork() is the parent's: the copy's wait reads
   nothing of what the child sends, its kill sends nothing (-ECHILD: not
   its child) and its free kills nothing, for a cold call, a pool's and a
   fork server's alike. */
Test(pool, a_copy_of_a_handle_in_a_forked_child_leaves_the_call_alone)
{
	cfork_pool *pools[2];
	cfork_proc *p[3];
	int status;

	cr_assert_eq(cfork_pool_new(&pools[0], NULL, 1, CFORK_POOL_EXEC), 0);
	cr_assert_eq(cfork_pool_new(&pools[1], NULL, 1, CFORK_POOL_FORK), 0);
	cr_assert_eq(cfork_spawn(&p[0], NULL, "pool_late_result",
				 (int64_t)300), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(cfork_pool_spawn(pools[i], &p[i + 1],
					      "pool_late_result", (int64_t)300),
			     0);
	cr_assert(cfork_paths(p[1]) & CFORK_PATH_POOL);
	cr_assert(cfork_paths(p[2]) & CFORK_PATH_FORK_SERVER);
	usleep(100 * 1000);	/* the results wait in their pipes */
	pid_t other = fork();
	cr_assert_geq(other, 0);
	if (other == 0) {
		int bad = 0;
		size_t which = 77;
		cfork_status any;
		alarm(10);
		/* The one it fails on is named. */
		if (cfork_wait_any(p + 1, 2, 0, &which, &any) != -ECHILD ||
		    which != 0)
			bad |= 1 << 3;
		for (int i = 0; i < 3; i++) {
			cfork_status st;
			if (cfork_wait(p[i], 0, &st) != -ECHILD ||
			    cfork_kill(p[i], SIGKILL) != -ECHILD)
				bad |= 1 << i;
			cfork_free(p[i]);
		}
		_exit(bad);
	}
	cr_assert_eq(waitpid(other, &status, 0), other);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the copy's wait, wait_any or kill did not say -ECHILD "
		  "(or wait_any named no handle): %#x", status);
	for (int i = 0; i < 3; i++) {
		cfork_status st = wait_ok(p[i]);
		cr_assert_eq(st.result_len, LATE_RESULT_BYTES, "call %d", i);
		for (size_t k = 0; k < LATE_RESULT_BYTES; k++)
			cr_assert_eq(((const unsigned char *)st.result)[k],
				     (unsigned char)(k * 7), "call %d, byte %zu",
				     i, k);
		cfork_free(p[i]);
	}
	cfork_pool_free(pools[0]);
	cfork_pool_free(pools[1]);
	cr_assert_not(has_children());
}

/* Run as pid 1 of a pid namespace, as a container's entrypoint is: a call,
   then a copy forked into a new pid namespace, where it is pid 1 as well.
   0, or the check that failed. */
static int copy_with_the_owners_pid_number(void)
{
	cfork_proc *p;
	cfork_status st;
	int status;

	if (cfork_spawn(&p, NULL, "pool_late_result", (int64_t)300) < 0)
		return 10;
	usleep(100 * 1000);	/* the result waits in its pipe */
	if (unshare(CLONE_NEWPID) < 0)
		return 11;
	pid_t copy = fork();
	if (copy < 0)
		return 12;
	if (copy == 0) {
		alarm(10);
		_exit(getpid() != 1 ? 13 :
		      cfork_wait(p, 0, &st) != -ECHILD ? 14 :
		      cfork_kill(p, SIGKILL) != -ECHILD ? 15 : 0);
	}
	if (waitpid(copy, &status, 0) != copy || !WIFEXITED(status))
		return 16;
	if (WEXITSTATUS(status))
		return WEXITSTATUS(status);
	if (cfork_wait(p, WAIT_MS, &st) < 0 || !st.exited || st.code != OK)
		return 17;
	if (st.result_len != LATE_RESULT_BYTES)
		return 18;
	cfork_free(p);
	return 0;
}

/* A copy is told from its owner by more than a pid: forked into a new pid
   namespace, a copy of pid 1 is pid 1 too. */
Test(pool, a_copy_with_the_owners_pid_number_leaves_the_call_alone)
{
	int status;

	if (unshare(CLONE_NEWPID) < 0)
		cr_skip_test("pid namespaces refused here: %s",
			     strerror(errno));
	pid_t owner = fork();	/* pid 1 of the new namespace */
	cr_assert_geq(owner, 0);
	if (owner == 0) {
		alarm(20);
		_exit(getpid() != 1 ? 9 : copy_with_the_owners_pid_number());
	}
	cr_assert_eq(waitpid(owner, &status, 0), owner);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed (14: the copy read the result, 15: it "
		  "signalled, 18: the owner got it short)",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* ------------------------------------------------------------------------ */
/* The fork server                                                           */
/* ------------------------------------------------------------------------ */

static int pool_sleep(const cfork_args *a)
{
	usleep((useconds_t)cfork_arg_i64(a, 0) * 1000);
	return OK;
}
CFORK_REGISTER(pool_sleep, "i");

/* A refill that fails (here: the pool's cwd is gone, which each launch
   opens) is tried again after a back-off, and the pool fills once it
   can. The call itself goes to the child launched before. */
Test(pool, a_refill_that_failed_is_tried_again)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	char dir[] = "/tmp/cfork-refill-XXXXXX";
	cfork_pool *pool;
	cfork_proc *p;

	cr_assert_not_null(mkdtemp(dir));
	attr.cwd = dir;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_EXEC), 0);
	cr_assert_eq(rmdir(dir), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_POOL);
	wait_ok(p);
	cfork_free(p);
	usleep(300000);
	cr_assert_eq(children_of_any_thread(), 0,
		     "a child was launched in a cwd that is gone");
	cr_assert_eq(mkdir(dir, 0700), 0);
	size_t n = 0;
	for (int64_t end = now_ms() + 5000 * TEST_SLOWDOWN;
	     (n = children_of_any_thread()) == 0 && now_ms() < end;)
		usleep(10000);
	cr_assert_eq(n, 1, "the pool was not refilled");
	cfork_pool_free(pool);
	rmdir(dir);
	cr_assert_not(has_children());
}

Test(pool, a_fork_server_forks_a_fresh_child_per_call)
{
	cfork_pool *pool;
	cfork_buffer *b;
	cfork_proc *p;
	pid_t seen[8];
	int pfd[2];
	int fds = count_open_fds();

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
		cr_assert_not(cfork_paths(p) & CFORK_PATH_POOL);
		cfork_status st = wait_ok(p);
		cr_assert_eq(st.reason, CFORK_END_EXIT);
		memcpy(&seen[i], st.result, sizeof(pid_t));
		cr_assert_eq(seen[i], cfork_pid(p));
		for (int j = 0; j < i; j++)
			cr_assert_neq(seen[i], seen[j]);
		cr_assert_gt(st.rusage.ru_maxrss, 0);
		cfork_free(p);
	}
	/* Every argument type, fds and buffers placed by the hand-off. */
	cr_assert_eq(cfork_buffer_new(&b, 1 << 20), 0);
	memset(cfork_buffer_data(b), 'b', 1 << 20);
	cr_assert_eq(pipe2(pfd, O_CLOEXEC), 0);
	cr_assert_eq(write(pfd[1], "pipe", 4), 4);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_every_type", -7,
				      (uint64_t)1 << 60, 2.5, true, "text",
				      cfork_bytes("\1\2\3", 3),
				      cfork_fd(pfd[0]), b), 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
	close(pfd[0]);
	close(pfd[1]);
	wait_ok(p);
	cfork_free(p);
	cfork_buffer_free(b);

	/* A signal from the parent, told by the server. */
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_sleep", 20000), 0);
	cr_assert_eq(cfork_kill(p, SIGTERM), 0);
	cfork_status st;
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(!st.exited && st.signal == SIGTERM);
	cr_assert_eq(st.reason, CFORK_END_KILLED);
	cfork_free(p);
	cfork_pool_free(pool);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

Test(pool, a_fork_servers_calls_are_sandboxed_and_polled_like_any)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_pool *pool;
	cfork_proc *p[3];
	cfork_status st;
	size_t index;

	cr_assert_eq(cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK), 0);
	attr.sandbox = sb;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p[i], "pool_socket"), 0);
		cr_assert(cfork_paths(p[i]) & CFORK_PATH_FORK_SERVER);
	}
	struct pollfd pfd = { .fd = cfork_proc_fd(p[0]), .events = POLLIN };
	cr_assert_eq(poll(&pfd, 1, WAIT_MS), 1);
	for (size_t left = 3; left;) {
		cr_assert_eq(cfork_wait_any(p, left, WAIT_MS, &index, &st), 0);
		cr_assert(st.exited && st.code == OK, "code %d", st.code);
		cfork_free(p[index]);
		p[index] = p[--left];
	}
	cfork_pool_free(pool);
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

/* The fork server's pid: the only child of this (single-threaded)
   process that is not a call's. */
static pid_t only_child(void)
{
	char path[64];
	long pid = -1;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
	FILE *f = fopen(path, "re");
	if (f && fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	if (f)
		fclose(f);
	return (pid_t)pid;
}

/*
 * A call the server cannot fork for (here: its RLIMIT_NPROC, which a
 * hostile call could reach as well by making threads) launches cold, and
 * the calls the server runs go on: one call must not end the others. Runs
 * as uid 65534, for whom the limit holds.
 */
static int pool_fork_fails(const cfork_args *a)
{
	struct rlimit had, none;
	cfork_proc *running, *p;
	cfork_status st;
	cfork_pool *pool;
	pid_t server;
	int r;

	(void)a;
	if (setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return check_failed(CHECKS_SKIPPED, "cannot become 65534: %s",
				    strerror(errno));
	if ((r = cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK)))
		return check_failed(1, "new: %s", strerror(-r));
	if ((r = cfork_pool_spawn(pool, &running, "pool_sleep", 300)))
		return check_failed(2, "spawn: %s", strerror(-r));
	if (!(cfork_paths(running) & CFORK_PATH_FORK_SERVER))
		return check_failed(3,
				    "the first call did not go to the server");
	server = only_child();
	if (server <= 0 || prlimit(server, RLIMIT_NPROC, NULL, &had) < 0)
		return check_failed(4, "prlimit of the server %d: %s",
				    (int)server, strerror(errno));
	none = (struct rlimit){ 0, had.rlim_max };
	if (prlimit(server, RLIMIT_NPROC, &none, NULL) < 0)
		return check_failed(4, "prlimit of the server %d: %s",
				    (int)server, strerror(errno));
	/* The standby the server may have forked before the limit serves
	   one call; the call after it finds none, and no fork. */
	for (int i = 0; i < 2; i++) {
		if ((r = cfork_pool_spawn(pool, &p, "pool_pid")))
			return check_failed(5, "spawn with the server out of "
					    "processes: %s", strerror(-r));
		bool served = cfork_paths(p) & CFORK_PATH_FORK_SERVER;
		if ((r = cfork_wait(p, WAIT_MS, &st)) || !st.exited ||
		    st.code != OK)
			return check_failed(7, "call %d: %d", i, r);
		cfork_free(p);
		if (!served)
			break;
		if (i == 1)
			return check_failed(6,
					    "the server forked past its limit");
	}
	if ((r = cfork_wait(running, WAIT_MS, &st)) || !st.exited ||
	    st.code != OK)
		return check_failed(8,
				    "the running call ended: exited %d signal "
				    "%d", st.exited, st.signal);
	cfork_free(running);
	if (prlimit(server, RLIMIT_NPROC, &had, NULL) < 0)
		return check_failed(9, "the server is gone: %s",
				    strerror(errno));
	if ((r = cfork_pool_spawn(pool, &p, "pool_pid")) ||
	    !(cfork_paths(p) & CFORK_PATH_FORK_SERVER))
		return check_failed(10, "the server no longer serves: %d", r);
	if ((r = cfork_wait(p, WAIT_MS, &st)) || !st.exited || st.code != OK)
		return check_failed(11, "the last call: %d", r);
	cfork_free(p);
	cfork_pool_free(pool);
	return 0;
}
CFORK_REGISTER(pool_fork_fails, "");

Test(pool, a_call_the_server_cannot_fork_for_ends_no_other)
{
	if (geteuid() != 0)
		cr_skip_test("setting another uid needs root");
	run_checking_child("pool_fork_fails", NULL, 0);
}

/* A dead server is launched again on the next call. */
Test(pool, a_dead_fork_server_is_started_again)
{
	cfork_pool *pool;
	cfork_proc *p;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	wait_ok(p);
	cfork_free(p);
	/* The server is this thread's only child now. */
	char path[64];
	long pid;
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	cr_assert_eq(kill((pid_t)pid, SIGKILL), 0);
	usleep(50000);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER, "call %d", i);
		wait_ok(p);
		cfork_free(p);
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* A pool's call is placed as a cold one is: under CFORK_ATTR_SETSID it
   leads a session of its own, under CFORK_ATTR_SETPGROUP a group, and
   cfork_kill_group() ends it (a fork server's child would otherwise be
   in the server's). */
Test(pool, a_pool_call_leads_its_own_session_or_group_as_a_cold_one_does)
{
	static const unsigned modes[] = { CFORK_POOL_EXEC, CFORK_POOL_FORK };
	static const unsigned flags[] = { CFORK_ATTR_SETSID,
					  CFORK_ATTR_SETPGROUP };

	for (size_t m = 0; m < 2; m++)
		for (size_t f = 0; f < 2; f++) {
			cfork_attr attr = CFORK_ATTR_INIT;
			cfork_pool *pool;
			cfork_status st;
			cfork_proc *p;

			attr.flags = flags[f];
			cr_assert_eq(cfork_pool_new(&pool, &attr, 1, modes[m]),
				     0);
			cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_sleep",
						      60000), 0);
			pid_t pid = cfork_pid(p);
			cr_assert_eq(getpgid(pid), pid, "mode %u flags %#x",
				     modes[m], flags[f]);
			if (flags[f] == CFORK_ATTR_SETSID)
				cr_assert_eq(getsid(pid), pid);
			else
				cr_assert_eq(getsid(pid), getsid(0));
			cr_assert_eq(cfork_kill_group(p, SIGKILL), 0);
			cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
			cr_assert_eq(st.reason, CFORK_END_KILLED);
			cfork_free(p);
			cfork_pool_free(pool);
		}
	cr_assert_not(has_children());
}

/* Freed while a call runs: the server lets it finish, and tells it. */
Test(pool, a_fork_server_freed_while_a_call_runs)
{
	cfork_pool *pool;
	cfork_proc *p;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_sleep", 200), 0);
	cfork_pool_free(pool);
	wait_ok(p);
	cfork_free(p);
	cr_assert_not(has_children());
}

/* The children of pid, as /proc lists them (its main thread's). */
static size_t children_of(pid_t pid, pid_t *out, size_t max)
{
	char path[64];
	size_t n = 0;
	long c;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	FILE *f = fopen(path, "re");
	while (f && n < max && fscanf(f, "%ld", &c) == 1)
		out[n++] = (pid_t)c;
	if (f)
		fclose(f);
	return n;
}

/* The one child an idle server keeps forked ahead, once it is there. */
static pid_t idle_servers_standby(pid_t server)
{
	pid_t kids[2];
	size_t n = 0;

	for (int i = 0; i < 400 && !n; i++)
		if (!(n = children_of(server, kids, 2)))
			usleep(5000);
	cr_assert_eq(n, 1, "an idle server has one standby, not %zu", n);
	return kids[0];
}

/* It dies waiting: the next hand-off is the server's to read. */
static void kill_idle_servers_standby(pid_t server)
{
	pid_t kids[2];

	cr_assert_eq(kill(idle_servers_standby(server), SIGKILL), 0);
	for (int i = 0; i < 400 && children_of(server, kids, 2); i++)
		usleep(5000);
	cr_assert_eq(children_of(server, kids, 2), 0);
}

/* The fork is off the call's path: an idle server has one child forked
   ahead for the next call. One killed while it waits is replaced, and the
   call it may have been reading is the server's: none is lost or run
   twice. */
Test(pool, a_fork_servers_standby_killed_while_waiting_loses_no_call)
{
	pid_t server, standby[4];
	cfork_pool *pool;
	cfork_proc *p[3];

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	server = only_child();
	cr_assert_gt(server, 0);
	/* The kill lands as the next call arrives, or before: each round,
	   a standby dies waiting, and the calls still come back at once
	   (not after the parent gives up on an answer). */
	for (int round = 0; round < 8; round++) {
		size_t n = 0;
		/* The last round's children are reaped just after their ends
		   are told. */
		for (int i = 0; i < 200 && n != 1; i++) {
			n = children_of(server, standby, 4);
			if (n != 1)
				usleep(5000);
		}
		cr_assert_eq(n, 1, "an idle server has one standby, not %zu",
			     n);
		cr_assert_eq(kill(standby[0], SIGKILL), 0);
		int64_t t0 = now_ms();
		for (int i = 0; i < 3; i++) {
			cr_assert_eq(cfork_pool_spawn(pool, &p[i], "pool_pid"),
				     0);
			cr_assert(cfork_paths(p[i]) & CFORK_PATH_FORK_SERVER,
				  "round %d call %d", round, i);
			cr_assert_neq(cfork_pid(p[i]), standby[0]);
		}
		cr_assert_lt(now_ms() - t0, 2000, "round %d", round);
		for (int i = 0; i < 3; i++) {
			cfork_status st = wait_ok(p[i]);
			pid_t ran;
			memcpy(&ran, st.result, sizeof(ran));
			cr_assert_eq(ran, cfork_pid(p[i]));
			cfork_free(p[i]);
		}
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* Whether each standard stream's FILE is on a page of this process's
   own (/proc/self/pagemap: present and mapped here alone), not one still
   shared copy-on-write with the fork server: bit i for stream i; all
   bits where the kernel has no pagemap to tell. */
static int pool_stdio_pages(const cfork_args *a)
{
	const void *streams[3] = { stdin, stdout, stderr };
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint32_t own = 0;

	(void)a;
	if (fd < 0)
		own = UINT32_MAX;
	for (int i = 0; fd >= 0 && i < 3; i++) {
		uint64_t entry = 0;
		off_t at = (off_t)((uintptr_t)streams[i] / (uintptr_t)page) *
			   (off_t)sizeof(entry);
		if (pread(fd, &entry, sizeof(entry), at) == sizeof(entry) &&
		    (entry >> 63 & 1) && (entry >> 56 & 1))
			own |= 1u << i;
	}
	if (fd >= 0)
		close(fd);
	return cfork_return(&own, sizeof(own)) < 0 ? 1 : OK;
}
CFORK_REGISTER(pool_stdio_pages, "");

/* A standby waits for its call with the faults of the call's path taken
   (child/prefault.c): the pages its end writes (stdio's, as it flushes)
   are its own before its function runs, not copied on the call's path
   after. Checked where the kernel can populate them (Linux 5.14). */
Test(pool, a_fork_servers_standby_takes_its_calls_page_faults_ahead)
{
	pid_t server, standby = -1, last = -1;
	cfork_pool *pool;
	cfork_proc *p;
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(page, MAP_FAILED);
	bool populates = madvise(page, 4096, MADV_POPULATE_WRITE) == 0;
	munmap(page, 4096);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	server = only_child();
	cr_assert_gt(server, 0);
	for (int round = 0; round < 3; round++) {
		/* Taken by a standby, not by the server forking for it; the
		   last call's child may not be reaped yet. */
		pid_t kids[2];
		size_t n = 0;
		for (int i = 0; i < 400 * TEST_SLOWDOWN; i++) {
			n = children_of(server, kids, 2);
			if (n == 1 && kids[0] != last)
				break;
			usleep(5000);
		}
		cr_assert(n == 1 && kids[0] != last, "round %d: no standby",
			  round);
		standby = kids[0];
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_stdio_pages"), 0);
		cr_assert_eq(cfork_pid(p), standby);
		last = standby;
		cfork_status st = wait_ok(p);
		uint32_t own;
		memcpy(&own, st.result, sizeof(own));
		cfork_free(p);
		if (populates && own != UINT32_MAX)
			cr_assert_eq(own, 7, "round %d: stdio pages %#x of 7 "
				     "the call's own", round, own);
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

struct spawn_thread {
	cfork_pool *pool;
	cfork_proc *p;
	int r;
	int64_t ms;
};

/* pool_pid, 200 ms later: a call that does not end before its caller
   has its handle (an end told first leaves a handle from a bare pid
   without a pidfd). */
static int pool_pid_later(const cfork_args *a)
{
	usleep(200000);
	return pool_pid(a);
}
CFORK_REGISTER(pool_pid_later, "");

static void *spawn_pool_pid(void *arg)
{
	struct spawn_thread *t = arg;
	int64_t t0 = now_ms();

	t->r = cfork_pool_spawn(t->pool, &t->p, "pool_pid_later");
	t->ms = now_ms() - t0;
	return NULL;
}

/* The next syscall stop of the traced, stopped pid. */
static void next_syscall_stop(pid_t pid, struct __ptrace_syscall_info *i)
{
	int status;

	for (;;) {
		cr_assert_eq(ptrace(PTRACE_SYSCALL, pid, 0, 0), 0);
		cr_assert_eq(waitpid(pid, &status, __WALL), pid);
		cr_assert(WIFSTOPPED(status), "status %#x", status);
		if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		cr_assert_gt(ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(*i),
				    i), 0);
		return;
	}
}

/* Runs the traced (seized, stopped) pid to its count-th entry into
   syscall nr, where it stays stopped. */
static void run_to_syscall(pid_t pid, long nr, int count)
{
	struct __ptrace_syscall_info info;

	do
		next_syscall_stop(pid, &info);
	while (info.op != PTRACE_SYSCALL_INFO_ENTRY ||
	       (long)info.entry.nr != nr || --count > 0);
}

/* The syscall pid is stopped at the entry of is skipped and returns
   -ENOSYS; pid is left stopped at its exit. arm64 leaves a skipped
   syscall's return register as it was (its first argument): the return
   is set at the exit. */
static void syscall_fails(pid_t pid)
{
	int status;

#if defined(__x86_64__)
	cr_assert_eq(ptrace(PTRACE_POKEUSER, pid,
			    offsetof(struct user_regs_struct, orig_rax), -1L),
		     0);
#elif defined(__aarch64__)
	int nr = -1;
	struct iovec iov = { &nr, sizeof(nr) };
	cr_assert_eq(ptrace(PTRACE_SETREGSET, pid, NT_ARM_SYSTEM_CALL, &iov),
		     0);
#else
	cr_skip_test("no way to fail a syscall here");
#endif
	cr_assert_eq(ptrace(PTRACE_SYSCALL, pid, 0, 0), 0);
	cr_assert_eq(waitpid(pid, &status, __WALL), pid);
	cr_assert(WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80));
#if defined(__aarch64__)
	struct user_regs_struct regs;
	struct iovec rv = { &regs, sizeof(regs) };
	cr_assert_eq(ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &rv), 0);
	regs.regs[0] = (unsigned long long)-ENOSYS;
	cr_assert_eq(ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &rv), 0);
#endif
}

/* A fork server with a call running and its standby for the next seized
   (traced by this thread) and stopped, and a thread whose call the
   standby is about to take. */
struct seized_server {
	struct spawn_thread t;
	pthread_t thread;
	pid_t server, standby;
	cfork_proc *running;
};

static void seize_standby(struct seized_server *ss)
{
	pid_t kids[4];
	int status;

	ss->standby = -1;
	cr_assert_eq(cfork_pool_new(&ss->t.pool, NULL, 1, CFORK_POOL_FORK), 0);
	ss->server = only_child();
	cr_assert_eq(cfork_pool_spawn(ss->t.pool, &ss->running, "pool_sleep",
				      60000), 0);
	for (int i = 0; i < 400 && ss->standby < 0; i++) {
		size_t n = children_of(ss->server, kids, 4);
		for (size_t k = 0; k < n; k++)
			if (kids[k] != cfork_pid(ss->running))
				ss->standby = kids[k];
		if (ss->standby < 0)
			usleep(5000);
	}
	cr_assert_gt(ss->standby, 0, "the server forked no standby");
	if (ptrace(PTRACE_SEIZE, ss->standby, 0, PTRACE_O_TRACESYSGOOD) < 0)
		cr_skip_test("ptrace of the standby: %s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, ss->standby, 0, 0), 0);
	cr_assert_eq(waitpid(ss->standby, &status, __WALL), ss->standby);
	cr_assert_eq(pthread_create(&ss->thread, NULL, spawn_pool_pid, &ss->t),
		     0);
}

/* The thread's call came back at once, ran where its handle says, the
   server and its running call untouched; then all is let go of. */
static void seized_call_ok(struct seized_server *ss, bool via_server)
{
	cfork_status st;
	pid_t ran;

	pthread_join(ss->thread, NULL);
	cr_assert_eq(ss->t.r, 0);
	cr_assert_lt(ss->t.ms, 2000, "the call came back after %lld ms",
		     (long long)ss->t.ms);
	cr_assert_eq(!!(cfork_paths(ss->t.p) & CFORK_PATH_FORK_SERVER),
		     via_server, "paths %#llx",
		     (unsigned long long)cfork_paths(ss->t.p));
	cr_assert_geq(cfork_pidfd(ss->t.p), 0, "a handle without a pidfd");
	st = wait_ok(ss->t.p);
	memcpy(&ran, st.result, sizeof(ran));
	cr_assert_eq(ran, cfork_pid(ss->t.p), "the call ran in %d, not %d",
		     (int)ran, (int)cfork_pid(ss->t.p));
	cfork_free(ss->t.p);
	cr_assert_eq(only_child(), ss->server, "the server was ended");
	cr_assert_eq(cfork_wait(ss->running, 0, &st), -ETIMEDOUT,
		     "a call the server ran was ended");
	cr_assert_eq(cfork_kill(ss->running, SIGKILL), 0);
	cr_assert_eq(cfork_wait(ss->running, -1, &st), 0);
	cr_assert_eq(st.signal, SIGKILL);
	cfork_free(ss->running);
	cfork_pool_free(ss->t.pool);
	cr_assert_not(has_children());
}

/* A standby killed after it told the server it took a call and before it
   answered the parent (which a sibling call of the same uid could do):
   the call never ran there, and it comes back at once, launched again,
   with the server and the calls it runs untouched. */
Test(pool, a_standby_killed_before_it_answers_loses_no_call)
{
	struct seized_server ss;
	int status;

	seize_standby(&ss);
	/* Its first sendmsg is its word to the server, the second its
	   answer to the parent. */
	run_to_syscall(ss.standby, SYS_sendmsg, 2);
	cr_assert_eq(kill(ss.standby, SIGKILL), 0);
	while (waitpid(ss.standby, &status, __WALL) == ss.standby &&
	       !WIFSIGNALED(status))
		;
	seized_call_ok(&ss, false);
}

/* A call stopped after its answer but before it lets go of its sockets
   (a cfork_kill(p, SIGSTOP) right after the spawn can land there) holds
   up no other call: the next comes back at once, through the server,
   and the server's other calls run on. */
Test(pool, a_call_stopped_right_after_its_answer_holds_up_no_other)
{
	struct seized_server ss;
	cfork_proc *q;

	seize_standby(&ss);
	/* Its answer sent, its sockets not yet closed (the pidfd's close
	   comes first). */
	run_to_syscall(ss.standby, SYS_sendmsg, 2);
	run_to_syscall(ss.standby, SYS_close, 1);
	int64_t t0 = now_ms();
	cr_assert_eq(cfork_pool_spawn(ss.t.pool, &q, "pool_pid"), 0);
	int64_t ms = now_ms() - t0;
	cr_assert_lt(ms, 2000, "the next call came back after %lld ms",
		     (long long)ms);
	cr_assert(cfork_paths(q) & CFORK_PATH_FORK_SERVER, "launched cold");
	wait_ok(q);
	cfork_free(q);
	cr_assert_eq(ptrace(PTRACE_DETACH, ss.standby, 0, 0), 0);
	seized_call_ok(&ss, true);
}

/* A standby whose answer cannot carry its pidfd (a hostile sibling can
   fill the user's count of fds in flight) answers with its pid alone,
   and the parent opens the pidfd: the call is the standby's, once. */
Test(pool, a_standby_answers_without_its_pidfd)
{
	struct seized_server ss;

	seize_standby(&ss);
	run_to_syscall(ss.standby, SYS_sendmsg, 2);
	syscall_fails(ss.standby);
	pid_t standby = ss.standby;
	cr_assert_eq(ptrace(PTRACE_DETACH, standby, 0, 0), 0);
	seized_call_ok(&ss, true);
}

/* A fork server's pool is freed at once while its calls run: they run on
   and are told as before, and the last handle let go of reaps the
   server. */
Test(pool, a_fork_servers_pool_is_freed_without_waiting_for_its_calls)
{
	cfork_pool *pool;
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_sleep", 600000), 0);
	int64_t t0 = now_ms();
	cfork_pool_free(pool);
	cr_assert_lt(now_ms() - t0, 2000);
	cr_assert_eq(cfork_wait(p, 50, &st), -ETIMEDOUT);
	cr_assert_eq(cfork_kill(p, SIGTERM), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert_eq(st.reason, CFORK_END_KILLED);
	cr_assert_eq(st.signal, SIGTERM);
	cfork_free(p);
	cr_assert_not(has_children());
}

/* Calls that end at once, back to back: a child may be reaped before its
   word that it took a call is read, and must still be told. */
Test(pool, quick_calls_through_a_fork_server_each_end_and_are_told)
{
	cfork_pool *pool;
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	for (int i = 0; i < 400; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		cr_assert_eq(cfork_wait(p, 10000, &st), 0, "call %d", i);
		cr_assert(st.exited && st.code == OK, "call %d", i);
		cr_assert_eq(st.reason, CFORK_END_EXIT);
		cfork_free(p);
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* Writes (its index, its pid) to an fd, then sleeps MS. */
static int pool_mark(const cfork_args *a)
{
	int32_t rec[2] = { (int32_t)cfork_arg_i64(a, 0), (int32_t)getpid() };

	if (write(cfork_arg_fd(a, 1), rec, sizeof(rec)) != sizeof(rec))
		return 1;
	usleep((useconds_t)cfork_arg_i64(a, 2) * 1000);
	return OK;
}
CFORK_REGISTER(pool_mark, "ifi");

/* The lowest fd number pid does not have open. */
static int lowest_free_fd(pid_t pid)
{
	char path[64];
	bool used[1024] = { false };
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) < 1024)
			used[atoi(e->d_name)] = true;
	if (d)
		closedir(d);
	int fd = 0;
	while (fd < 1024 && used[fd])
		fd++;
	return fd;
}

/* The server out of fds as a standby passes it a call's status channel:
   the call is still the standby's, once, and its handle is told it was
   killed (it is); no call runs twice, and every later handle is its own
   call's. */
Test(pool, a_status_channel_the_server_cannot_take_runs_no_call_twice)
{
	struct rlimit had, none;
	int32_t rec[2];
	int runs[3] = { 0, 0, 0 }, mark[2];
	pid_t ran[3] = { 0, 0, 0 };
	cfork_pool *pool;
	cfork_proc *b, *c;
	cfork_status st;

	if (geteuid() != 0)
		cr_skip_test("prlimit of the server needs root here");
	cr_assert_eq(pipe2(mark, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	cr_assert_gt(server, 0);
	pid_t standby;
	for (int i = 0; i < 200 && children_of(server, &standby, 1) == 0; i++)
		usleep(5000);
	cr_assert_eq(prlimit(server, RLIMIT_NOFILE, NULL, &had), 0);
	none = (struct rlimit){ (rlim_t)lowest_free_fd(server), had.rlim_max };
	cr_assert_eq(prlimit(server, RLIMIT_NOFILE, &none, NULL), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &b, "pool_mark", 1,
				      cfork_fd(mark[1]), 300), 0);
	usleep(100000);
	cr_assert_eq(prlimit(server, RLIMIT_NOFILE, &had, NULL), 0);
	cr_assert_eq(cfork_wait(b, 10000, &st), 0);
	cfork_free(b);
	usleep(200000);
	int64_t t0 = now_ms();
	cr_assert_eq(cfork_pool_spawn(pool, &c, "pool_mark", 2,
				      cfork_fd(mark[1]), 0), 0);
	cr_assert_lt(now_ms() - t0, 2000);
	st = wait_ok(c);
	while (read(mark[0], rec, sizeof(rec)) == sizeof(rec))
		if (rec[0] > 0 && rec[0] < 3) {
			runs[rec[0]]++;
			ran[rec[0]] = rec[1];
		}
	cr_assert_leq(runs[1], 1, "call 1 ran %d times", runs[1]);
	cr_assert_eq(runs[2], 1, "call 2 ran %d times", runs[2]);
	cr_assert_eq(ran[2], cfork_pid(c), "call 2's handle is another's");
	cfork_free(c);
	cfork_pool_free(pool);
	close(mark[0]);
	close(mark[1]);
	cr_assert_not(has_children());
}

/* Parks fds in flight on a socket pair it holds until the kernel refuses
   more for its user, then sleeps MS: every hand-off (SCM_RIGHTS) of that
   user is refused until it ends. */
static int pool_fds_in_flight(const cfork_args *a)
{
	int sv[2], fds[253];	/* the kernel's SCM_MAX_FD */
	char c = 'x';

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
		fds[i] = sv[0];
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(fds))];
			struct cmsghdr align;
		} control;
		struct iovec iov = { &c, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = control.buf,
				    .msg_controllen = sizeof(control.buf) };
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(h), fds, sizeof(fds));
		if (sendmsg(sv[1], &m, MSG_DONTWAIT) < 0)
			break;
	}
	usleep((useconds_t)cfork_arg_i64(a, 0) * 1000);
	return OK;
}
CFORK_REGISTER(pool_fds_in_flight, "i");

/*
 * A hostile call under NO_NETWORK (socketpair stays allowed) fills its
 * user's count of fds in flight: the next hand-off cannot be sent. It
 * launches cold; the server and the calls it runs go on. Runs as a uid of
 * its own, whom the kernel's limit binds: the count is the user's, and
 * other tests run as 65534 at the same time.
 */
#define IN_FLIGHT_UID 64999
static int pool_in_flight_check(const cfork_args *a)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *victim, *hostile, *p;
	cfork_sandbox *sb;
	cfork_status st;
	cfork_pool *pool;
	int r;

	(void)a;
	if (setresgid(IN_FLIGHT_UID, IN_FLIGHT_UID, IN_FLIGHT_UID) < 0 ||
	    setresuid(IN_FLIGHT_UID, IN_FLIGHT_UID, IN_FLIGHT_UID) < 0)
		return check_failed(CHECKS_SKIPPED, "cannot become %d: %s",
				    IN_FLIGHT_UID, strerror(errno));
	if ((r = cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK)))
		return check_failed(1, "sandbox: %s", strerror(-r));
	attr.sandbox = sb;
	if ((r = cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK)))
		return check_failed(2, "new: %s", strerror(-r));
	if ((r = cfork_pool_spawn(pool, &victim, "pool_sleep", 1500)) ||
	    (r = cfork_pool_spawn(pool, &hostile, "pool_fds_in_flight", 3000)))
		return check_failed(3, "spawn: %s", strerror(-r));
	usleep(300000);
	int64_t t0 = now_ms();
	if ((r = cfork_pool_spawn(pool, &p, "pool_pid")))
		return check_failed(4, "the call after: %s", strerror(-r));
	if (now_ms() - t0 > 2000)
		return check_failed(5, "the call after took %lld ms",
				    (long long)(now_ms() - t0));
	if ((r = cfork_wait(p, WAIT_MS, &st)) || !st.exited || st.code != OK)
		return check_failed(6, "the call after: %d", r);
	cfork_free(p);
	if ((r = cfork_wait(victim, WAIT_MS, &st)) || !st.exited ||
	    st.code != OK)
		return check_failed(7,
				    "the running call ended: exited %d signal "
				    "%d", st.exited, st.signal);
	cfork_free(victim);
	cfork_kill(hostile, SIGKILL);
	cfork_wait(hostile, WAIT_MS, &st);
	cfork_free(hostile);
	cfork_pool_free(pool);
	cfork_sandbox_free(sb);
	return 0;
}
CFORK_REGISTER(pool_in_flight_check, "");

Test(pool, fds_in_flight_filled_by_a_call_end_no_other)
{
	if (geteuid() != 0)
		cr_skip_test("setting another uid needs root");
	run_checking_child("pool_in_flight_check", NULL, 0);
}

static int pool_nofile(const cfork_args *a)
{
	struct rlimit rl;

	(void)a;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1;
	uint64_t cur = rl.rlim_cur;
	return cfork_return(&cur, sizeof(cur)) < 0 ? 1 : OK;
}
CFORK_REGISTER(pool_nofile, "");

/* A fork server raises its own fd limit (a status channel per call it
   runs); each call's process has the limit the program launched it with,
   as a cold call's has. */
Test(pool, a_fork_servers_calls_keep_the_callers_fd_limit)
{
	struct rlimit had, low;
	cfork_pool *pool;
	cfork_proc *p;
	uint64_t cur;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &had), 0);
	if (had.rlim_max <= 256)
		cr_skip_test("the hard fd limit leaves no room to differ");
	low = (struct rlimit){ 256, had.rlim_max };
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	int r = cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &had), 0);
	cr_assert_eq(r, 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_nofile"), 0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
		cfork_status st = wait_ok(p);
		memcpy(&cur, st.result, sizeof(cur));
		cr_assert_eq(cur, 256, "call %d: fd limit %llu", i,
			     (unsigned long long)cur);
		cfork_free(p);
	}
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* Whether pid is stopped, as /proc/pid/stat says. */
static bool is_stopped(pid_t pid)
{
	char path[64], state = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (f && fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	if (f)
		fclose(f);
	return state == 'T' || state == 't';
}

/* Stops a fork server running one call once its next standby is there:
   kids, the call's child and the standby. */
static void stop_with_its_standby(pid_t server, pid_t kids[2])
{
	for (int i = 0; i < 2000 && children_of(server, kids, 2) < 2; i++)
		usleep(1000);
	cr_assert_eq(children_of(server, kids, 2), 2);
	cr_assert_eq(kill(server, SIGSTOP), 0);
	for (int i = 0; i < 2000 && !is_stopped(server); i++)
		usleep(1000);
	cr_assert(is_stopped(server));
}

/* The end of a stopped-server test: both calls end as they would, and
   nothing is left once the pool is freed. */
static void end_both_calls_and_the_pool(cfork_pool *pool, cfork_proc *p,
					cfork_proc *running)
{
	wait_ok(p);
	cfork_free(p);
	wait_ok(running);
	cfork_free(running);
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

static int pool_pids(const cfork_args *a);

/* A fork server stopped (job control stops it with its caller, or a
   process of the same uid) is not taken for dead: the call it runs goes
   on once it is continued. Nor is it handed the next call: its standby,
   which is not stopped, would take it, and the call's end would wait for
   the server to go on. The call goes to a new server; the stopped one
   ends after its call once continued. */
Test(pool, a_stopped_fork_server_is_not_handed_a_call_nor_ended)
{
	cfork_pool *pool;
	cfork_proc *running, *p;
	cfork_status st;
	siginfo_t si;
	pid_t kids[2], pids[2] = { 0, 0 };

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	cr_assert_gt(server, 0);
	cr_assert_eq(cfork_pool_spawn(pool, &running, "pool_sleep", 2000), 0);
	stop_with_its_standby(server, kids);
	/* Until its parent can see the stop, left for the pool to see. */
	cr_assert_eq(waitid(P_PID, (id_t)server, &si, WSTOPPED | WNOWAIT), 0);
	int r = cfork_pool_spawn(pool, &p, "pool_pids");
	int waited = r ? r : cfork_wait(p, SETTLE_MS, &st);
	if (!waited && st.result_len == sizeof(pids))
		memcpy(pids, st.result, sizeof(pids));
	kill(server, SIGCONT);
	cr_assert_eq(r, 0, "%s", strerror(-r));
	cr_assert_eq(waited, 0, "the call's end waited for the stopped server: %s",
		     strerror(-waited));
	cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
	cr_assert_neq(pids[1], server);
	end_both_calls_and_the_pool(pool, p, running);
}

/* Makes the connection it is passed linger on its last close for 30 s,
   with unsent data toward a peer that never reads; once its caller says
   it closed its own copy (go), says so on mark and closes the call's. */
static int pool_linger_close(const cfork_args *a)
{
	int fd = cfork_arg_fd(a, 0), mark = cfork_arg_fd(a, 1);
	int go = cfork_arg_fd(a, 2);
	struct linger linger = { 1, 30 };
	static char fill[65536];
	char c;

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return 1;
	while (write(fd, fill, sizeof(fill)) > 0)
		;
	if (read(go, &c, 1) != 1 || write(mark, "c", 1) != 1)
		return 2;
	close(fd);
	return OK;
}
CFORK_REGISTER(pool_linger_close, "fff");

/* A call handed a loopback TCP connection whose peer never reads. */
struct lingering_call {
	cfork_pool *pool;
	int client, conn, mark[2], go[2];
	cfork_proc *p;
	int r;
};

static void lingering_prepare(struct lingering_call *l)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int small = 4096;
	int lis = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(pipe2(l->mark, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(l->go, O_CLOEXEC), 0);
	cr_assert_geq(lis, 0);
	cr_assert_eq(bind(lis, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(lis, 1), 0);
	cr_assert_eq(getsockname(lis, (struct sockaddr *)&addr, &len), 0);
	l->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(l->client, 0);
	setsockopt(l->client, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	cr_assert_eq(connect(l->client, (struct sockaddr *)&addr,
			     sizeof(addr)), 0);
	l->conn = accept4(lis, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(l->conn, 0);
	close(lis);
}

/* The call, and the caller's copy of the connection closed once its
   spawn returns, as a server handing a connection to a call would. */
static void *lingering_spawn(void *arg)
{
	struct lingering_call *l = arg;

	l->r = cfork_pool_spawn(l->pool, &l->p, "pool_linger_close",
				cfork_fd(l->conn), cfork_fd(l->mark[1]),
				cfork_fd(l->go[0]));
	close(l->conn);
	if (write(l->go[1], "g", 1) != 1)
		l->r = -EIO;
	return NULL;
}

/* Until the call has closed its copy (where that is not the last close,
   at once). */
static void await_its_close(struct lingering_call *l)
{
	char c;

	cr_assert_eq(l->r, 0, "%s", strerror(-l->r));
	cr_assert_eq(read(l->mark[0], &c, 1), 1);
	usleep(100000);
}

/* The server serves the next call at once (it waits for no close); then
   everything ends. */
static void assert_next_call_answered(cfork_pool *pool,
				      struct lingering_call *l,
				      cfork_proc *running)
{
	cfork_proc *p;
	int64_t t0 = now_ms();
	int r = cfork_pool_spawn(pool, &p, "pool_pid");
	int64_t took = now_ms() - t0;
	close(l->client);	/* ends any linger */
	cr_assert_eq(r, 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER,
		  "the next call found no server to answer it (%lld ms)",
		  (long long)took);
	cr_assert_lt(took, 2000 * TEST_SLOWDOWN);
	cfork_kill(l->p, SIGKILL);
	cfork_free(l->p);
	if (running) {
		end_both_calls_and_the_pool(pool, p, running);
	} else {
		wait_ok(p);
		cfork_free(p);
		cfork_pool_free(pool);
		cr_assert_not(has_children());
	}
	for (int i = 0; i < 2; i++) {
		close(l->mark[i]);
		close(l->go[i]);
	}
}

/*
 * A call's fds are never the server's to close last: a call can make the
 * last close of a socket it was passed wait (SO_LINGER, unsent data), and
 * the server, which serves every call, must not be the one that waits.
 * Here the caller closes its copy after the spawn, the call makes the
 * connection linger and closes its own, and the server, stopped meanwhile
 * (so that it comes to the standby's word last), is continued: before,
 * its drop of the hand-off closed the connection last and waited, and the
 * next call found no server to answer it (5 s, then cold).
 */
Test(pool, a_fork_servers_call_cannot_make_its_server_wait_in_a_close)
{
	struct lingering_call l = { 0 };
	cfork_pool *pool;
	cfork_proc *running;
	siginfo_t si;
	pid_t kids[2];

	lingering_prepare(&l);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	cr_assert_gt(server, 0);
	cr_assert_eq(cfork_pool_spawn(pool, &running, "pool_sleep", 300), 0);
	stop_with_its_standby(server, kids);
	/* Its stop reported here: the pool sees a server slow to come to
	   the standby's word, not a stopped one. */
	cr_assert_eq(waitid(P_PID, (id_t)server, &si, WSTOPPED), 0);
	l.pool = pool;
	lingering_spawn(&l);
	await_its_close(&l);
	kill(server, SIGCONT);
	assert_next_call_answered(pool, &l, running);
}

/* Holds a traced server at its next fork until hold_ms after it, its
   child let go at once; then lets the server go too. */
static void hold_after_its_fork(pid_t server, int hold_ms)
{
	int64_t t0 = now_ms();
	int status;

	for (;;) {
		pid_t w = waitpid(server, &status, __WALL | WNOHANG);
		cr_assert_geq(w, 0);
		if (w == 0) {
			cr_assert_lt(now_ms() - t0, 10000, "the server never forked");
			usleep(1000);
			continue;
		}
		cr_assert(WIFSTOPPED(status));
		if (status >> 16 == PTRACE_EVENT_FORK)
			break;
		int sig = status >> 16 ? 0 : WSTOPSIG(status);
		cr_assert_eq(ptrace(PTRACE_CONT, server, 0, sig), 0);
	}
	unsigned long kid;
	cr_assert_eq(ptrace(PTRACE_GETEVENTMSG, server, 0, &kid), 0);
	cr_assert_eq(waitpid((pid_t)kid, &status, __WALL), (pid_t)kid);
	cr_assert_eq(ptrace(PTRACE_DETACH, (pid_t)kid, 0, 0), 0);
	usleep((useconds_t)hold_ms * 1000);
	cr_assert_eq(ptrace(PTRACE_DETACH, server, 0, 0), 0);
}

/* Nor when the server reads a hand-off itself (it had no standby) and
   forks a child for it: that child answers only once the server has
   closed its copies of the call's fds. Before, it answered at once, and
   a server slow to close them (here: held by a tracer right after its
   fork) closed the connection last and waited. */
Test(pool, a_call_the_server_forks_for_cannot_make_it_wait_in_a_close)
{
	struct lingering_call l = { 0 };
	cfork_pool *pool;
	pthread_t thread;
	int status;

	lingering_prepare(&l);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	kill_idle_servers_standby(server);
	if (ptrace(PTRACE_SEIZE, server, 0, PTRACE_O_TRACEFORK) < 0)
		cr_skip_test("ptrace of the server: %s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, server, 0, 0), 0);
	cr_assert_eq(waitpid(server, &status, __WALL), server);
	cr_assert_eq(ptrace(PTRACE_CONT, server, 0, 0), 0);
	l.pool = pool;
	cr_assert_eq(pthread_create(&thread, NULL, lingering_spawn, &l), 0);
	hold_after_its_fork(server, 300);
	pthread_join(thread, NULL);
	await_its_close(&l);
	assert_next_call_answered(pool, &l, NULL);
}

/* A server that does not answer at all (starved of the CPU, or stopped
   where the pool cannot see it: here its stop was reported to another
   wait first, then its standby killed, which it cannot reap or replace
   while stopped) leaves the next call unanswered: that call launches
   cold once the wait for the answer ends (5 s), and the server is let go
   of, not killed: continued, it drops the call it did not answer (which
   does not run there too) and the call it runs ends as it would. */
static int marks_of(int fd, int32_t id);

Test(pool, a_fork_server_that_does_not_answer_in_time_keeps_its_calls)
{
	cfork_pool *pool;
	cfork_proc *running, *p;
	pid_t kids[2];
	int marks[2];

	cr_assert_eq(pipe2(marks, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	cr_assert_eq(cfork_pool_spawn(pool, &running, "pool_sleep", 6000), 0);
	stop_with_its_standby(server, kids);
	siginfo_t si;
	cr_assert_eq(waitid(P_PID, (id_t)server, &si, WSTOPPED), 0);
	pid_t standby = kids[0] == cfork_pid(running) ? kids[1] : kids[0];
	cr_assert_eq(kill(standby, SIGKILL), 0);
	int64_t t0 = now_ms();
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_mark", 1,
				      cfork_fd(marks[1]), 0), 0);
	cr_assert_geq(now_ms() - t0, 4000);
	cr_assert_not(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
	end_both_calls_and_the_pool(pool, p, running);
	/* Run cold, and not by the server once continued. */
	cr_assert_eq(marks_of(marks[0], 1), 1);
	close(marks[0]);
	close(marks[1]);
}

/* A pool's launch-time shape is its sandbox's namespaces as they were at
   cfork_pool_new(): a call after they changed cannot be served by the
   children launched before, and says so (-EINVAL) rather than run without
   them; the pool serves again once they are as they were. */
static void pool_shape_changed(unsigned flags)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_pool *pool;
	cfork_proc *p;

	cr_assert_eq(cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK), 0);
	attr.sandbox = sb;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, flags), 0);
	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_IPC), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), -EINVAL);
	cr_assert_eq(cfork_sandbox_namespaces(sb, 0), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
	cr_assert(cfork_paths(p) & (CFORK_PATH_POOL | CFORK_PATH_FORK_SERVER));
	wait_ok(p);
	cfork_free(p);
	cfork_pool_free(pool);
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

Test(pool, a_call_whose_namespaces_changed_since_the_pool_is_refused)
{
	pool_shape_changed(CFORK_POOL_EXEC);
	pool_shape_changed(CFORK_POOL_FORK);
}

/* Its pid and its parent's: a fork server's call's parent is its server. */
static int pool_pids(const cfork_args *a)
{
	pid_t pids[2] = { getpid(), getppid() };

	(void)a;
	return cfork_return(pids, sizeof(pids)) < 0 ? 1 : OK;
}
CFORK_REGISTER(pool_pids, "");

/* The same where the call would launch cold: no child waits (a copy of
   the pool in a child of fork()), or the fork server died and the call
   would start another. A call is refused by what the pool was made with,
   not by what happens to wait in it; and a server started while the
   sandbox was another is replaced once it is as it was, not kept. */
Test(pool, a_call_whose_namespaces_changed_is_refused_cold_too)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_pool *pools[2];
	cfork_proc *p;
	int status;

	cr_assert_eq(cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK), 0);
	attr.sandbox = sb;
	cr_assert_eq(cfork_pool_new(&pools[0], &attr, 1, CFORK_POOL_EXEC), 0);
	cr_assert_eq(cfork_pool_new(&pools[1], &attr, 1, CFORK_POOL_FORK), 0);
	pid_t other = fork();
	cr_assert_geq(other, 0);
	if (other == 0) {
		int bad = 0;
		alarm(10);
		cfork_sandbox_namespaces(sb, CFORK_NS_IPC);
		for (int i = 0; i < 2; i++)
			if (cfork_pool_spawn(pools[i], &p, "pool_pid") != -EINVAL)
				bad |= 1 << i;
		_exit(bad);
	}
	cr_assert_eq(waitpid(other, &status, 0), other);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "a copy's cold call ran with other namespaces: %#x", status);

	/* The server, found as its call's parent, dies. */
	cr_assert_eq(cfork_pool_spawn(pools[1], &p, "pool_pids"), 0);
	cfork_status st = wait_ok(p);
	pid_t server;
	memcpy(&server, (const pid_t *)st.result + 1, sizeof(server));
	cfork_free(p);
	cr_assert_eq(kill(server, SIGKILL), 0);
	usleep(50 * 1000);
	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_IPC), 0);
	cr_assert_eq(cfork_pool_spawn(pools[1], &p, "pool_pid"), -EINVAL);
	cr_assert_eq(cfork_sandbox_namespaces(sb, 0), 0);
	bool warm = false;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(cfork_pool_spawn(pools[1], &p, "pool_pid"), 0,
			     "call %d after the namespaces were as before", i);
		warm = cfork_paths(p) & CFORK_PATH_FORK_SERVER;
		wait_ok(p);
		cfork_free(p);
	}
	cr_assert(warm, "the server never came back with the pool's shape");
	cfork_pool_free(pools[0]);
	cfork_pool_free(pools[1]);
	cfork_sandbox_free(sb);
	cr_assert_not(has_children());
}

struct server_caller {
	cfork_pool *pool;
	int failures;
	pid_t servers[2];	/* the servers its calls went to */
	int nservers;
};

static void *server_caller(void *arg)
{
	struct server_caller *sc = arg;

	for (int i = 0; i < 40; i++) {
		cfork_proc *p;
		cfork_status st;
		pid_t pids[2];

		if (cfork_pool_spawn(sc->pool, &p, "pool_pids") < 0) {
			sc->failures++;
			continue;
		}
		if (cfork_wait(p, WAIT_MS, &st) < 0 || !st.exited ||
		    st.code != OK || st.result_len != sizeof(pids)) {
			sc->failures++;
			cfork_free(p);
			continue;
		}
		memcpy(pids, st.result, sizeof(pids));
		/* Each handle is its own call's. */
		if (pids[0] != cfork_pid(p))
			sc->failures++;
		bool seen = false;
		for (int k = 0; k < sc->nservers; k++)
			seen |= sc->servers[k] == pids[1];
		if (!seen && sc->nservers < 2 &&
		    (cfork_paths(p) & CFORK_PATH_FORK_SERVER))
			sc->servers[sc->nservers++] = pids[1];
		cfork_free(p);
	}
	return NULL;
}

/* A fork-server pool of size 2 is two servers: calls from several threads
   go to whichever is free, each handle its own call's, and nothing is
   left behind. */
Test(pool, a_fork_server_pool_of_two_serves_calls_on_both)
{
	struct server_caller sc[4];
	pid_t servers[8];
	int nservers = 0;
	cfork_pool *pool;
	pthread_t t[4];
	int fds = count_open_fds();

	cr_assert_eq(cfork_pool_new(&pool, NULL, 2, CFORK_POOL_FORK), 0);
	for (int i = 0; i < 4; i++) {
		sc[i] = (struct server_caller){ .pool = pool };
		cr_assert_eq(pthread_create(&t[i], NULL, server_caller,
					    &sc[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(sc[i].failures, 0, "thread %d", i);
		for (int k = 0; k < sc[i].nservers; k++) {
			bool seen = false;
			for (int j = 0; j < nservers; j++)
				seen |= servers[j] == sc[i].servers[k];
			if (!seen)
				servers[nservers++] = sc[i].servers[k];
		}
	}
	cr_assert_eq(nservers, 2, "calls went to %d servers", nservers);
	cfork_pool_free(pool);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

struct mark_thread {
	cfork_pool *pool;
	cfork_proc *p;
	int fd;
	int r;
};

static void *spawn_pool_mark(void *arg)
{
	struct mark_thread *t = arg;

	t->r = cfork_pool_spawn(t->pool, &t->p, "pool_mark", 7, cfork_fd(t->fd),
				0);
	return NULL;
}

static bool is_one_of(pid_t pid, const pid_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

/* The server (seized and stopped) and every child it forks from now on,
   traced until the first `fails` sendmsg calls any of them makes have
   failed; then all are let go. */
static void server_sendmsgs_fail(pid_t server, int fails)
{
	pid_t traced[16] = { server };
	size_t ntraced = 1;
	pid_t last = -1;
	int status;

	cr_assert_eq(ptrace(PTRACE_SETOPTIONS, server, 0,
			    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK), 0);
	cr_assert_eq(ptrace(PTRACE_SYSCALL, server, 0, 0), 0);
	int64_t t0 = now_ms();
	while (fails > 0) {
		pid_t w = waitpid(-1, &status, __WALL | WNOHANG);
		cr_assert_geq(w, 0);
		if (w == 0) {
			cr_assert_lt(now_ms() - t0, 10000,
				     "%d sendmsg calls never came", fails);
			usleep(1000);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		int sig = 0;
		if (!is_one_of(w, traced, ntraced) && ntraced < 16)
			traced[ntraced++] = w;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, w, sizeof(info),
				   &info) > 0 &&
			    info.op == PTRACE_SYSCALL_INFO_ENTRY &&
			    (long)info.entry.nr == SYS_sendmsg) {
				syscall_fails(w);
				if (--fails == 0) {
					last = w;
					break;
				}
			}
		} else if (status >> 16 == PTRACE_EVENT_FORK) {
			unsigned long kid;
			cr_assert_eq(ptrace(PTRACE_GETEVENTMSG, w, 0, &kid), 0);
			if (!is_one_of((pid_t)kid, traced, ntraced) &&
			    ntraced < 16)
				traced[ntraced++] = (pid_t)kid;
		} else if (status >> 16 == 0) {
			sig = WSTOPSIG(status);	/* a signal, delivered */
		}
		cr_assert_eq(ptrace(PTRACE_SYSCALL, w, 0, sig), 0);
	}
	/* A child forked as its parent is stopped here is traced too. */
	for (size_t i = 0; i < ntraced; i++) {
		pid_t t = traced[i];
		if (t != last) {
			if (ptrace(PTRACE_INTERRUPT, t, 0, 0) < 0)
				continue;	/* gone */
			if (waitpid(t, &status, __WALL) != t ||
			    !WIFSTOPPED(status))
				continue;
			unsigned long kid;
			if (status >> 16 == PTRACE_EVENT_FORK &&
			    ptrace(PTRACE_GETEVENTMSG, t, 0, &kid) == 0 &&
			    !is_one_of((pid_t)kid, traced, ntraced) &&
			    ntraced < 16)
				traced[ntraced++] = (pid_t)kid;
		}
		(void)ptrace(PTRACE_DETACH, t, 0, 0);
	}
}

/* A call the server forks for itself (it has no standby) whose answer
   cannot be sent (as a hostile sibling can bring about) runs once: not
   in the server's child and again, launched cold. */
Test(pool, a_call_the_server_forks_runs_once_unanswered)
{
	struct mark_thread t = { .fd = -1 };
	pid_t server;
	pthread_t thread;
	int mark[2], status, runs = 0;
	int32_t rec[2];

	cr_assert_eq(pipe2(mark, O_CLOEXEC | O_NONBLOCK), 0);
	t.fd = mark[1];
	cr_assert_eq(cfork_pool_new(&t.pool, NULL, 1, CFORK_POOL_FORK), 0);
	server = only_child();
	kill_idle_servers_standby(server);
	if (ptrace(PTRACE_SEIZE, server, 0, 0) < 0)
		cr_skip_test("ptrace of the server: %s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, server, 0, 0), 0);
	cr_assert_eq(waitpid(server, &status, __WALL), server);
	cr_assert_eq(pthread_create(&thread, NULL, spawn_pool_mark, &t), 0);
	/* The answer with a pidfd, and then the one without. */
	server_sendmsgs_fail(server, 2);
	pthread_join(thread, NULL);

	cr_assert_eq(t.r, 0);
	wait_ok(t.p);
	cfork_free(t.p);
	while (read(mark[0], rec, sizeof(rec)) == sizeof(rec))
		runs++;
	cr_assert_eq(runs, 1, "the call ran %d times", runs);
	cfork_pool_free(t.pool);
	close(mark[0]);
	close(mark[1]);
	cr_assert_not(has_children());
}

/* Runs a traced standby, held in a stop from before its hand-off was
   sent, until it has taken that hand-off out of the socket (its second
   recvmsg, after its peek), then kills it there, before it gives the
   call's status channel to the server. */
static void kill_standby_after_its_drop(pid_t standby)
{
	long nr = -1;
	int status = 0, taken = 0;

	for (;;) {
		cr_assert_eq(ptrace(PTRACE_SYSCALL, standby, 0,
				    status >> 16 == 0 &&
				    WSTOPSIG(status) != (SIGTRAP | 0x80) ?
				    WSTOPSIG(status) : 0), 0);
		cr_assert_eq(waitpid(standby, &status, __WALL), standby);
		cr_assert(WIFSTOPPED(status), "the standby ended first");
		struct __ptrace_syscall_info info;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80) ||
		    ptrace(PTRACE_GET_SYSCALL_INFO, standby, sizeof(info),
			   &info) <= 0)
			continue;
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
			nr = (long)info.entry.nr;
		else if (info.op == PTRACE_SYSCALL_INFO_EXIT &&
			 nr == SYS_recvmsg && info.exit.rval > 0 &&
			 ++taken == 2)
			break;
	}
	cr_assert_eq(kill(standby, SIGKILL), 0);
	(void)waitpid(standby, &status, __WALL);
}

/* A standby killed once it took its hand-off out of the socket, before
   the server or the parent heard of it: the call never ran, and its
   status channel, which the standby alone held, hangs up, which the
   parent takes for that at once (it keeps no copy of the channel's end
   it sent). The call launches cold, once, without waiting out the 5 s
   for an answer, and the server serves the next call. */
Test(pool, a_standby_killed_after_it_took_its_hand_off_loses_no_call)
{
	struct mark_thread t = { .fd = -1 };
	pid_t server;
	pthread_t thread;
	cfork_proc *p;
	int mark[2], runs = 0;
	int32_t rec[2];

	cr_assert_eq(pipe2(mark, O_CLOEXEC | O_NONBLOCK), 0);
	t.fd = mark[1];
	cr_assert_eq(cfork_pool_new(&t.pool, NULL, 1, CFORK_POOL_FORK), 0);
	server = only_child();
	pid_t standby = idle_servers_standby(server);
	if (ptrace(PTRACE_SEIZE, standby, 0, PTRACE_O_TRACESYSGOOD) < 0)
		cr_skip_test("ptrace of the standby: %s", strerror(errno));
	/* Held before the hand-off is sent: its peek is seen too. */
	int status;
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, standby, 0, 0), 0);
	cr_assert_eq(waitpid(standby, &status, __WALL), standby);
	int64_t t0 = now_ms();
	cr_assert_eq(pthread_create(&thread, NULL, spawn_pool_mark, &t), 0);
	kill_standby_after_its_drop(standby);
	pthread_join(thread, NULL);
	int64_t took = now_ms() - t0;

	cr_assert_eq(t.r, 0);
	cr_assert_not(cfork_paths(t.p) & CFORK_PATH_FORK_SERVER);
	cr_assert_lt(took, 2000 * TEST_SLOWDOWN, "the call waited %lld ms",
		     (long long)took);
	wait_ok(t.p);
	cfork_free(t.p);
	while (read(mark[0], rec, sizeof(rec)) == sizeof(rec))
		runs++;
	cr_assert_eq(runs, 1, "the call ran %d times", runs);
	cr_assert_eq(cfork_pool_spawn(t.pool, &p, "pool_pid"), 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
	cr_assert_eq(only_child(), server, "the server was replaced");
	wait_ok(p);
	cfork_free(p);
	cfork_pool_free(t.pool);
	close(mark[0]);
	close(mark[1]);
	cr_assert_not(has_children());
}

/* A fork server tells how a call's child ended before it reaps it: a pid
   the parent has is the child's for as long as its end is not told. */
Test(pool, a_fork_server_tells_a_calls_end_before_it_reaps_its_child)
{
	cfork_pool *pool;
	cfork_proc *p;
	cfork_status st;
	int status;
	bool told = false;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_sleep", 300), 0);
	pid_t pid = cfork_pid(p);
	if (ptrace(PTRACE_SEIZE, server, 0, PTRACE_O_TRACESYSGOOD) < 0)
		cr_skip_test("ptrace of the server: %s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, server, 0, 0), 0);
	cr_assert_eq(waitpid(server, &status, __WALL), server);
	/* The server one syscall at a time, until the end is told. */
	for (int i = 0; i < 100000 && !told; i++) {
		cr_assert_eq(ptrace(PTRACE_SYSCALL, server, 0, 0), 0);
		cr_assert_eq(waitpid(server, &status, __WALL), server);
		cr_assert(WIFSTOPPED(status));
		told = cfork_wait(p, 0, &st) == 0;
		if (told)
			cr_assert_eq(kill(pid, 0), 0,
				     "the end of %d was told after it was "
				     "reaped", (int)pid);
	}
	cr_assert(told);
	cr_assert_eq(ptrace(PTRACE_DETACH, server, 0, 0), 0);
	cr_assert(st.exited && st.code == OK);
	cfork_free(p);
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* An answer with a pid alone, after the end of that child was told: the
   pid may be another process's by then, and no pidfd is opened from it. */
Test(pool, no_pidfd_is_opened_from_a_pid_whose_end_was_told)
{
	int sock[2], status[2], pidfd = -1;
	pid_t pid = -1, other = getpid();
	struct pidns_end end = { .magic = PIDNS_END_MAGIC };

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				sock), 0);
	cr_assert_eq(pipe2(status, O_CLOEXEC | O_NONBLOCK), 0);
	/* Not told yet: the pid is the child's, and its pidfd is opened. */
	cr_assert_eq(write(sock[1], &other, sizeof(other)), sizeof(other));
	cr_assert_eq(server_answer(&sock[0], status[0], 1000, &pid, &pidfd),
		     0);
	cr_assert_eq(pid, other);
	cr_assert_geq(pidfd, 0);
	close(pidfd);
	pidfd = -1;
	cr_assert_eq(write(sock[1], &other, sizeof(other)), sizeof(other));
	cr_assert_eq(write(status[1], &end, sizeof(end)), sizeof(end));
	cr_assert_eq(server_answer(&sock[0], status[0], 1000, &pid, &pidfd),
		     0);
	cr_assert_eq(pid, other);
	cr_assert_eq(pidfd, -1, "a pidfd opened from a pid whose end was told");
	for (int i = 0; i < 2; i++) {
		close(sock[i]);
		close(status[i]);
	}
}

/* A server that has not answered when the wait ends can answer no more:
   the call is launched again, and a child that answers after that must
   not begin it (its answer fails, and it ends). */
Test(pool, no_answer_gets_through_after_the_wait_for_it_ends)
{
	int sock[2], status[2], pidfd = -1;
	pid_t pid = -1, self = getpid();

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				sock), 0);
	cr_assert_eq(pipe2(status, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(server_answer(&sock[0], status[0], 20, &pid, &pidfd),
		     -ETIMEDOUT);
	cr_assert_eq(send(sock[1], &self, sizeof(self), MSG_NOSIGNAL), -1,
		     "an answer got through after the wait");
	cr_assert_eq(errno, EPIPE);
	for (int i = 0; i < 2; i++) {
		close(sock[i]);
		close(status[i]);
	}
}

/* An answer that comes as the wait ends (after the poll timed out, before
   the socket stops taking answers) is the call's: its child runs it, and
   the socket, which takes no more, is closed. The waiter, a child of
   this test, is held at the end of its poll while the answer is sent. */
Test(pool, an_answer_that_comes_as_the_wait_ends_is_taken)
{
#ifdef SYS_poll
	const long poll_nr = SYS_poll;
#else
	const long poll_nr = SYS_ppoll;
#endif
	struct __ptrace_syscall_info info;
	int sock[2], status[2], go[2], st;
	char c = 0;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				sock), 0);
	cr_assert_eq(pipe2(status, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	pid_t waiter = fork();
	cr_assert_geq(waiter, 0);
	if (waiter == 0) {
		pid_t pid = -1;
		int pidfd = -1;
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		int r = server_answer(&sock[0], status[0], 50, &pid, &pidfd);
		_exit(r == 0 && pid == getpid() && pidfd >= 0 &&
		      sock[0] == -1 ? 0 : 1);
	}
	if (ptrace(PTRACE_SEIZE, waiter, 0, PTRACE_O_TRACESYSGOOD) < 0)
		cr_skip_test("ptrace: %s", strerror(errno));
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, waiter, 0, 0), 0);
	cr_assert_eq(waitpid(waiter, &st, __WALL), waiter);
	cr_assert_eq(write(go[1], &c, 1), 1);
	run_to_syscall(waiter, poll_nr, 1);
	/* To the poll's exit: it timed out, with nothing to read. */
	next_syscall_stop(waiter, &info);
	cr_assert_eq(send(sock[1], &waiter, sizeof(waiter), MSG_NOSIGNAL),
		     sizeof(waiter));
	cr_assert_eq(ptrace(PTRACE_DETACH, waiter, 0, 0), 0);
	cr_assert_eq(waitpid(waiter, &st, 0), waiter);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "the answer was not taken: status %#x", st);
	for (int i = 0; i < 2; i++) {
		close(sock[i]);
		close(status[i]);
		close(go[i]);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *interrupt_then_answer(void *arg)
{
	struct { pthread_t waiter; int sock; } *a = arg;
	pid_t self = getpid();

	usleep(30000);
	pthread_kill(a->waiter, SIGUSR1);
	usleep(30000);
	(void)!send(a->sock, &self, sizeof(self), MSG_NOSIGNAL);
	return NULL;
}

/* A signal handled in the waiting thread does not end the wait for a
   server's answer (poll does not restart by itself): that would kill the
   server and every call it runs. */
Test(pool, a_signal_does_not_end_the_wait_for_a_servers_answer)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	struct { pthread_t waiter; int sock; } a;
	int sock[2], status[2], pidfd = -1;
	pid_t pid = -1;
	pthread_t t;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				sock), 0);
	cr_assert_eq(pipe2(status, O_CLOEXEC | O_NONBLOCK), 0);
	cr_assert_eq(sigaction(SIGUSR1, &sa, &old), 0);
	a.waiter = pthread_self();
	a.sock = sock[1];
	cr_assert_eq(pthread_create(&t, NULL, interrupt_then_answer, &a), 0);
	int r = server_answer(&sock[0], status[0], 5000, &pid, &pidfd);
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	cr_assert_eq(r, 0);
	cr_assert_eq(pid, getpid());
	if (pidfd >= 0)
		close(pidfd);
	for (int i = 0; i < 2; i++) {
		close(sock[i]);
		close(status[i]);
	}
}

/* Makes the fork server its tracer, as any call may, and stops in a
   ptrace stop on the way to OK. */
static int pool_traceme(const cfork_args *a)
{
	(void)a;
	signal(SIGUSR1, on_usr1);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		return 1;
	raise(SIGUSR1);
	return OK;
}
CFORK_REGISTER(pool_traceme, "");

/* A ptrace stop is not an end: the call runs on to its own, which is the
   one told. */
Test(pool, a_calls_ptrace_stop_is_not_told_as_its_end)
{
	cfork_pool *pool;
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_traceme"), 0);
	cr_assert_eq(cfork_wait(p, 10000, &st), 0);
	cr_assert(st.exited && st.code == OK,
		  "told: exited %d code %d signal %d", st.exited, st.code,
		  st.signal);
	cfork_free(p);
	cfork_pool_free(pool);
	cr_assert_not(has_children());
}

/* Whether SIGCHLD is ignored here, as the call's result. */
static int pool_sigchld_ignored(const cfork_args *a)
{
	struct sigaction sa;
	char ignored;

	(void)a;
	if (sigaction(SIGCHLD, NULL, &sa) < 0)
		return 1;
	ignored = sa.sa_handler == SIG_IGN;
	return cfork_return(&ignored, 1) < 0 ? 1 : OK;
}
CFORK_REGISTER(pool_sigchld_ignored, "");

/* A program that ignores SIGCHLD (which exec keeps) still has each call
   through a fork server told, and each call finds SIGCHLD as a cold
   call would: ignored. */
Test(pool, a_program_ignoring_sigchld_has_its_server_calls_told)
{
	cfork_pool *pool;
	cfork_proc *p;
	cfork_status st;

	cr_assert_neq(signal(SIGCHLD, SIG_IGN), SIG_ERR);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_sigchld_ignored"),
			     0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
		int r = cfork_wait(p, 5000, &st);
		cr_assert_eq(r, 0, "cfork_wait: %s", strerror(-r));
		cr_assert(st.exited && st.code == OK && st.result_len == 1);
		cr_assert_eq(((const char *)st.result)[0], 1,
			     "SIGCHLD not ignored in the call");
		cfork_free(p);
	}
	cfork_pool_free(pool);
	cr_assert_neq(signal(SIGCHLD, SIG_DFL), SIG_ERR);
}

static int pool_leave_server(const cfork_args *a)
{
	(void)a;
	if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0 ||
	    kill(getppid(), SIGKILL) < 0)
		return 1;
	sleep(30);
	return OK;
}
CFORK_REGISTER(pool_leave_server, "");

/* An unsandboxed call can leave its fork server: clear the death signal
   the server gave it, and kill the server, whose end then reads as its
   word on every call. The deadline still kills the call: it goes by the
   call's own pidfd, not by what its server said. */
Test(pool, a_call_that_kills_its_fork_server_still_meets_its_deadline)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_pool *pool;
	cfork_status st;
	cfork_proc *p;

	attr.deadline_ms = 300;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK), 0);
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_leave_server"), 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
	cr_assert_geq(cfork_pidfd(p), 0);
	/* Nobody waits: the deadline alone must end it. */
	struct pollfd pfd = { .fd = cfork_pidfd(p), .events = POLLIN };
	int ended = poll(&pfd, 1, 10000);
	if (ended != 1)
		kill(cfork_pid(p), SIGKILL);
	cr_assert_eq(ended, 1, "the call outlived its deadline by 10 s");
	/* Its status, with its server gone, only where the kernel keeps it
	   for a pidfd (PIDFD_GET_INFO, Linux 6.15). */
	int r = cfork_wait(p, 5000, &st);
	cr_assert(r == 0 || r == -ECHILD, "cfork_wait: %s", strerror(-r));
	if (r == 0)
		cr_assert(!st.exited && st.signal == SIGKILL &&
			  st.reason == CFORK_END_DEADLINE,
			  "exited %d, signal %d, reason %d", st.exited,
			  st.signal, st.reason);
	cfork_free(p);
	cfork_pool_free(pool);
}

static int pool_stop_server(const cfork_args *a)
{
	(void)a;
	return kill(getppid(), SIGSTOP) == 0 ? OK : 1;
}
CFORK_REGISTER(pool_stop_server, "");

static void *free_proc(void *arg)
{
	cfork_free(arg);
	return NULL;
}

/* A call that stops its fork server (its parent, of the same uid) holds
   up no cfork_free(): the last handle let go of kills the server, which
   has nothing left to do, and reaps it. */
Test(pool, a_fork_server_stopped_by_its_call_holds_up_no_free)
{
	struct timespec until;
	cfork_pool *pool;
	cfork_status st;
	cfork_proc *p;
	pthread_t t;

	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_stop_server"), 0);
	for (int i = 0; i < 400 && !is_stopped(server); i++)
		usleep(5000);
	cr_assert(is_stopped(server));
	/* Its end is not told while the server is stopped. */
	cr_assert_eq(cfork_wait(p, 100, &st), -ETIMEDOUT);
	cfork_pool_free(pool);
	cr_assert_eq(pthread_create(&t, NULL, free_proc, p), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	int r = pthread_timedjoin_np(t, NULL, &until);
	if (r != 0) {
		kill(server, SIGKILL);
		pthread_join(t, NULL);
	}
	cr_assert_eq(r, 0, "cfork_free() waited on a stopped server");
	cr_assert_not(has_children());
}

/* Whether pid is stopped at the entry of the poll that waits for a fork
   server's answer (SERVER_ANSWER_MS), not another poll. */
static bool at_answer_poll(pid_t pid, const struct __ptrace_syscall_info *i)
{
	if (i->op != PTRACE_SYSCALL_INFO_ENTRY)
		return false;
#ifdef SYS_poll
	(void)pid;
	return i->entry.nr == SYS_poll && (long)i->entry.args[2] >= 1000;
#else
	if (i->entry.nr != SYS_ppoll || !i->entry.args[2])
		return false;
	errno = 0;
	long sec = ptrace(PTRACE_PEEKDATA, pid, (void *)i->entry.args[2], 0);
	return errno == 0 && sec >= 1;
#endif
}

/* How many pool_mark records with id the pipe holds now. */
static int marks_of(int fd, int32_t id)
{
	int32_t rec[2];
	int n = 0;

	while (read(fd, rec, sizeof(rec)) == sizeof(rec))
		n += rec[0] == id;
	return n;
}

/* A fork server's answer taken late (as the wait for it ended) makes the
   call its child's, even where the spawn then fails after it (here the
   deadline's copy of the pidfd): the call is not launched again, and has
   run once. The program is a child of this test, traced: its standby is
   held stopped until the program's wait for the answer has timed out. */
Test(pool, a_late_answer_then_a_failed_spawn_runs_the_call_once)
{
	struct __ptrace_syscall_info info;
	int up[2], go[2], marks[2], status;
	pid_t server = -1, standby = -1;
	char c = 0;

	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(marks, O_CLOEXEC | O_NONBLOCK), 0);
	pid_t program = fork();
	cr_assert_geq(program, 0);
	if (program == 0) {
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_pool *pool;
		cfork_status st;
		cfork_proc *p;

		attr.deadline_ms = 60000;
		/* A first call: the deadline's thread runs, a standby waits. */
		if (cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK) < 0 ||
		    cfork_pool_spawn(pool, &p, "pool_mark", 0,
				     cfork_fd(marks[1]), 0) < 0)
			_exit(2);
		cfork_wait(p, -1, &st);
		cfork_free(p);
		usleep(50000);
		if (children_of(getpid(), &server, 1) != 1 ||
		    write(up[1], &server, sizeof(server)) != sizeof(server) ||
		    read(go[0], &c, 1) != 1)
			_exit(3);
		int r = cfork_pool_spawn(pool, &p, "pool_mark", 1,
					 cfork_fd(marks[1]), 300);
		if (r == 0) {
			cfork_wait(p, -1, &st);
			cfork_free(p);
		}
		cfork_pool_free(pool);
		_exit(r < 0 ? 0 : 4);
	}
	cr_assert_eq(read(up[0], &server, sizeof(server)), sizeof(server));
	for (int i = 0; i < 400 && standby < 0; i++)
		if (children_of(server, &standby, 1) != 1)
			usleep(5000);
	cr_assert_gt(standby, 0, "the server forked no standby");
	cr_assert_eq(kill(standby, SIGSTOP), 0);
	if (ptrace(PTRACE_SEIZE, program, 0, PTRACE_O_TRACESYSGOOD) < 0) {
		kill(program, SIGKILL);
		kill(standby, SIGKILL);
		cr_skip_test("ptrace: %s", strerror(errno));
	}
	cr_assert_eq(ptrace(PTRACE_INTERRUPT, program, 0, 0), 0);
	cr_assert_eq(waitpid(program, &status, __WALL), program);
	cr_assert_eq(write(go[1], &c, 1), 1);
	do
		next_syscall_stop(program, &info);
	while (!at_answer_poll(program, &info));
	/* The wait ends (SERVER_ANSWER_MS) with no answer; then the standby
	   answers, before the program stops taking answers. */
	next_syscall_stop(program, &info);
	cr_assert_eq(kill(standby, SIGCONT), 0);
	int ran = 0;
	for (int i = 0; i < 600 && !ran; i++) {
		ran = marks_of(marks[0], 1);
		if (!ran)
			usleep(5000);
	}
	cr_assert_eq(ran, 1, "the standby did not begin the call");
	/* Then the spawn fails: the deadline's fcntl(F_DUPFD_CLOEXEC). */
	do
		next_syscall_stop(program, &info);
	while (info.op != PTRACE_SYSCALL_INFO_ENTRY ||
	       info.entry.nr != SYS_fcntl ||
	       info.entry.args[1] != F_DUPFD_CLOEXEC);
	syscall_fails(program);
	cr_assert_eq(ptrace(PTRACE_DETACH, program, 0, 0), 0);
	cr_assert_eq(waitpid(program, &status, 0), program);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the program: status %#x", status);
	ran += marks_of(marks[0], 1);
	cr_assert_eq(ran, 1, "the call ran %d times", ran);
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(go[i]);
		close(marks[i]);
	}
}

static int pool_quick(const cfork_args *a)
{
	(void)a;
	return OK;
}
CFORK_REGISTER(pool_quick, "");

/* The processes this one must reap now (a subreaper's orphans among
   them), reaped; after a moment for the last to end. */
static int leftover_children(void)
{
	siginfo_t si;
	int n = 0;

	usleep(300000);
	for (;;) {
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL) < 0 ||
		    si.si_pid == 0)
			return n;
		n++;
	}
}

/* A fork server ends by itself when it is let go of, and reaps its own
   children: in a program that is a child subreaper (or a container's
   pid 1), none of them is left to the program, whichever of the pool and
   a call's handle goes last. */
Test(pool, a_fork_server_leaves_no_process_to_a_subreaper)
{
	int status;
	pid_t program = fork();

	cr_assert_geq(program, 0);
	if (program == 0) {
		cfork_pool *pool;
		cfork_status st;
		cfork_proc *p;
		int left = 0;

		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			_exit(100);
		/* The handle first, then the pool. */
		if (cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK) < 0 ||
		    cfork_pool_spawn(pool, &p, "pool_quick") < 0 ||
		    cfork_wait(p, WAIT_MS, &st) < 0)
			_exit(101);
		cfork_free(p);
		cfork_pool_free(pool);
		left += leftover_children();
		/* The pool first, then a running call's handle. */
		if (cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK) < 0 ||
		    cfork_pool_spawn(pool, &p, "pool_sleep", 30000) < 0)
			_exit(102);
		usleep(100000);
		cfork_pool_free(pool);
		cfork_free(p);
		left += leftover_children();
		_exit(left > 99 ? 99 : left);
	}
	cr_assert_eq(waitpid(program, &status, 0), program);
	cr_assert(WIFEXITED(status), "status %#x", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "%d processes left to the program",
		     WEXITSTATUS(status));
}

/* Leaves behind a process that stops this call's server over and over
   (every 2 ms, through a pidfd, until the server is gone or 20 s have
   passed), and writes its pid to fd 0. */
static int pool_stop_server_again(const cfork_args *a)
{
	int server = (int)syscall(SYS_pidfd_open, getppid(), 0);
	pid_t stopper = server < 0 ? -1 : fork();

	if (stopper == 0) {
		for (int i = 0; i < 10000; i++) {
			if (syscall(SYS_pidfd_send_signal, server, SIGSTOP,
				    NULL, 0) < 0)
				break;
			usleep(2000);
		}
		_exit(0);
	}
	if (stopper < 0 ||
	    write(cfork_arg_fd(a, 0), &stopper, sizeof(stopper)) !=
		    sizeof(stopper))
		return 1;
	return OK;
}
CFORK_REGISTER(pool_stop_server_again, "f");

/* Nor does a process that keeps stopping the server: the last handle let
   go of continues it, and kills it once it is stopped again and again. */
Test(pool, a_fork_server_stopped_again_and_again_holds_up_no_free)
{
	cfork_pool *pool;
	cfork_proc *p;
	pid_t stopper = -1;
	int fds[2];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	cr_assert_eq(cfork_pool_new(&pool, NULL, 1, CFORK_POOL_FORK), 0);
	pid_t server = only_child();
	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_stop_server_again",
				      cfork_fd(fds[1])), 0);
	close(fds[1]);
	cr_assert_eq(read(fds[0], &stopper, sizeof(stopper)),
		     sizeof(stopper));
	close(fds[0]);
	for (int i = 0; i < 400 && !is_stopped(server); i++)
		usleep(5000);
	cr_assert(is_stopped(server));
	cfork_pool_free(pool);
	int64_t t0 = now_ms();
	cfork_free(p);
	int64_t ms = now_ms() - t0;
	kill(stopper, SIGKILL);
	cr_assert_lt(ms, 5000, "cfork_free() took %lld ms", (long long)ms);
	cr_assert_not(has_children());
}

/* A fork server binds every symbol as it starts (so that its children do
   not bind them each on their own), and its calls still see the caller's
   environment exactly: nothing of cfork's, the caller's own setting of
   LD_BIND_NOW (even an empty one) as it was. */
static void assert_server_environment(const char *const *envp,
				      const char *want)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_pool *pool;
	cfork_proc *p;
	cfork_status st;

	attr.envp = envp;
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "controls_env"), 0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
		cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
		cr_assert(st.exited && st.code == OK);
		cr_assert(st.result_len == strlen(want) &&
			  !memcmp(st.result, want, st.result_len),
			  "want \"%s\", got \"%.*s\"", want,
			  (int)st.result_len, (const char *)st.result);
		cfork_free(p);
	}
	cfork_pool_free(pool);
}

Test(pool, a_fork_servers_calls_see_the_callers_environment)
{
	const char *const plain[] = { "A=1", NULL };
	const char *const lazy[] = { "LD_BIND_NOW=", "A=1", NULL };
	const char *const now[] = { "A=1", "LD_BIND_NOW=1", NULL };

	assert_server_environment(plain, "A=1\n");
	assert_server_environment(lazy, "LD_BIND_NOW=\nA=1\n");
	assert_server_environment(now, "A=1\nLD_BIND_NOW=1\n");
	cr_assert_not(has_children());
}

/* A program whose library lacks a symbol it never calls runs when bound
   lazily, and its fork servers cannot start bound at once: the pool binds
   them lazily from then on, and its calls are warm. */
Test(pool, a_fork_server_that_cannot_bind_at_its_start_serves_lazily)
{
	char out[256];

	run_test_prog("lazy_symbol 2>/dev/null", out, sizeof(out));
	cr_assert_str_eq(out, "warm 5 of 5\n");
}

/* A call the server's child answered is the caller's, whatever fails
   after: here its deadline, whose watchdog thread cannot start (EAGAIN, as
   out of memory). The spawn fails with that error, and the call is not
   launched again cold: it may have begun, and did here. */
Test(pool, a_fork_server_call_that_fails_after_its_answer_is_not_run_again)
{
	char out[256];

	run_test_prog("injected_failures deadline", out, sizeof(out));
	cr_assert(strstr(out, "spawn Resource temporarily unavailable, ran "),
		  "%s", out);
	cr_assert(strstr(out, "never cold"), "%s", out);
	cr_assert_not(strstr(out, "ran 2 times"), "%s", out);
}

/* A pool that cannot be made (each allocation of cfork_pool_new() failing
   in turn, in each mode) leaves no child behind, alive or unreaped: a fork
   server whose reference could not be allocated was killed and left a
   zombie. */
Test(pool, a_pool_that_runs_out_of_memory_leaves_no_child)
{
	char out[512];

	run_test_prog("injected_failures pools", out, sizeof(out));
	cr_assert_eq(strncmp(out, "done ", 5), 0, "%s", out);
}

/*
 * A fork server without a sandbox shares its caller's stdio descriptions:
 * their flags are the caller's to set, and a call must not put them back
 * as they were when the server started.
 */
Test(pool, a_fork_server_leaves_the_flags_of_stdio_it_shares_alone)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_pool *pool;
	cfork_proc *p;
	int out[2];

	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	attr.stdout_fd = out[1];
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK), 0);
	/* The first call, once the server has started; the second, once
	   the caller has changed the flags. */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_pid"), 0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
		cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
		cfork_free(p);
		cr_assert(st.exited && st.code == OK);
		if (i == 0)
			cr_assert_eq(fcntl(out[1], F_SETFL, O_NONBLOCK), 0);
	}
	cr_assert(fcntl(out[1], F_GETFL) & O_NONBLOCK,
		  "the call made its caller's stdout blocking again");
	cfork_pool_free(pool);
	close(out[0]);
	close(out[1]);
}

/* ------------------------------------------------------------------------ */
/* A fork server's pdeathsig                                                */
/* ------------------------------------------------------------------------ */

static int pool_parent(const cfork_args *a)
{
	pid_t pid = getppid();

	(void)a;
	return cfork_return(&pid, sizeof(pid)) < 0 ? 1 : OK;
}
CFORK_REGISTER(pool_parent, "");

/* The server a fork server's call runs in. */
static pid_t server_of_a_call(cfork_pool *pool)
{
	cfork_proc *p;
	pid_t server = -1;

	cr_assert_eq(cfork_pool_spawn(pool, &p, "pool_parent"), 0);
	cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
	cfork_status st = wait_ok(p);
	cr_assert_eq(st.result_len, sizeof(server));
	memcpy(&server, st.result, sizeof(server));
	cfork_free(p);
	return server;
}

struct pool_maker {
	cfork_pool *pool;
	cfork_proc *running;
	pid_t server;
};

static void *make_pool_then_end(void *arg)
{
	struct pool_maker *m = arg;
	cfork_attr attr = CFORK_ATTR_INIT;

	attr.pdeathsig = SIGKILL;
	cr_assert_eq(cfork_pool_new(&m->pool, &attr, 1, CFORK_POOL_FORK), 0);
	m->server = server_of_a_call(m->pool);
	cr_assert_eq(cfork_pool_spawn(m->pool, &m->running, "pool_sleep",
				      300), 0);
	return NULL;
}

/* A fork server serves every thread of the program: with attr.pdeathsig
   it is not tied to the thread that launched it (which PR_SET_PDEATHSIG
   would do), and that thread's end ends neither the server nor the calls
   it runs. */
Test(pool, a_fork_server_outlives_the_thread_that_launched_it)
{
	struct pool_maker m = { 0 };
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, make_pool_then_end, &m), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	wait_ok(m.running);
	cfork_free(m.running);
	cr_assert_eq(server_of_a_call(m.pool), m.server);
	cfork_pool_free(m.pool);
	cr_assert_not(has_children());
}

static int term_fd = -1;

static void mark_term(int sig)
{
	int32_t rec[2] = { sig, (int32_t)getpid() };

	(void)!write(term_fd, rec, sizeof(rec));
	_exit(0);
}

/* Says so on fd (arg 0) when it gets SIGTERM, once it has said on arg 1
   that it waits for it. */
static int pool_wait_for_term(const cfork_args *a)
{
	term_fd = cfork_arg_fd(a, 0);
	if (signal(SIGTERM, mark_term) == SIG_ERR ||
	    write(cfork_arg_fd(a, 1), "", 1) != 1)
		return 1;
	for (;;)
		pause();
}
CFORK_REGISTER(pool_wait_for_term, "ff");

/* Makes a fork server pool with pdeathsig SIGTERM, starts through it a
   call that marks fd (arg 0) when it gets that signal, and ends (once
   the call waits for it) without freeing either; its result: the call's
   pid. */
static int pool_make_and_leave(const cfork_args *a)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_pool *pool;
	cfork_proc *p;
	int ready[2];
	char byte;

	attr.pdeathsig = SIGTERM;
	if (pipe2(ready, O_CLOEXEC) < 0 ||
	    cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK) < 0 ||
	    cfork_pool_spawn(pool, &p, "pool_wait_for_term",
			     cfork_fd(cfork_arg_fd(a, 0)),
			     cfork_fd(ready[1])) < 0)
		return 1;
	close(ready[1]);
	pid_t pid = cfork_pid(p);
	return read(ready[0], &byte, 1) == 1 &&
	       cfork_return(&pid, sizeof(pid)) == 0 ? OK : 2;
}
CFORK_REGISTER(pool_make_and_leave, "f");

/* And the program's end gives its calls their pdeathsig (one they can
   catch, not the SIGKILL that ties each to its server). */
Test(pool, a_fork_servers_calls_get_their_pdeathsig_when_the_program_ends)
{
	cfork_proc *p;
	int32_t rec[2];
	int marks[2];

	cr_assert_eq(pipe2(marks, O_CLOEXEC), 0);
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cr_assert_eq(cfork_spawn(&p, NULL, "pool_make_and_leave",
				 cfork_fd(marks[1])), 0);
	/* The call waits for its signal, then its program ends. */
	cfork_status st = wait_ok(p);
	pid_t call;
	cr_assert_eq(st.result_len, sizeof(call));
	memcpy(&call, st.result, sizeof(call));
	cfork_free(p);
	close(marks[1]);
	struct pollfd got = { .fd = marks[0], .events = POLLIN };
	if (poll(&got, 1, 5000 * TEST_SLOWDOWN) != 1) {
		kill(call, SIGKILL);
		cr_assert_fail("the call %d outlived its program", (int)call);
	}
	cr_assert_eq(read(marks[0], rec, sizeof(rec)), sizeof(rec));
	cr_assert_eq(rec[0], SIGTERM);
	/* The call, then its server, end; the server comes to this
	   subreaper. */
	for (int64_t end = now_ms() + 5000 * TEST_SLOWDOWN;
	     has_children_now() && now_ms() < end; usleep(10000)) {
		siginfo_t si;
		(void)waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL);
	}
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	close(marks[0]);
	cr_assert_not(has_children());
}
