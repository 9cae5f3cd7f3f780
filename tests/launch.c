/* SPDX-License-Identifier: MIT */
/* The pre-exec child and what crosses exec: fds, stdio, signals, pdeathsig,
   cgroups, and launch errors that must come back from cfork_spawnv. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test_progs.h"

TestSuite(launch, .timeout = TEST_TIMEOUT);

/* ------------------------------------------------------------------------ */
/* Child functions                                                           */
/* ------------------------------------------------------------------------ */

static int launch_exit_with(const cfork_args *a)
{
	return (int)cfork_arg_i64(a, 0);
}
CFORK_REGISTER(launch_exit_with, "i");

/* 0: closed (EBADF), 1: open, 2: some other failure. */
static int launch_fd_is_closed(const cfork_args *a)
{
	int fd = (int)cfork_arg_i64(a, 0);

	if (fcntl(fd, F_GETFD) >= 0)
		return 1;
	return errno == EBADF ? 0 : 2;
}
CFORK_REGISTER(launch_fd_is_closed, "i");

static int write_text(int fd, const char *text)
{
	size_t len = strlen(text);

	return write(fd, text, len) == (ssize_t)len ? 0 : 10 + errno;
}

static int launch_write_fd_arg(const cfork_args *a)
{
	return write_text(cfork_arg_fd(a, 0), cfork_arg_str(a, 1));
}
CFORK_REGISTER(launch_write_fd_arg, "fs");

static int launch_write_fd_num(const cfork_args *a)
{
	return write_text((int)cfork_arg_i64(a, 0), cfork_arg_str(a, 1));
}
CFORK_REGISTER(launch_write_fd_num, "is");

/* Sends one line "fd flags target" per open fd (the listing's own directory
   fd left out). Unchecked signature: callers pass whatever fds they test. */
static int launch_list_fds(const cfork_args *a)
{
	static char out[16384];
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	(void)a;
	if (!d)
		return 1;
	while ((e = readdir(d))) {
		char path[64], target[256];
		int fd;
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0)
			return 2;
		target[len] = '\0';
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%d %d %s\n", fd,
				      fcntl(fd, F_GETFL), target);
		if (n >= sizeof(out))
			return 3;
	}
	closedir(d);
	return cfork_return(out, n) ? 4 : 0;
}
CFORK_REGISTER(launch_list_fds, NULL);

/* Through stdio on purpose: the child must flush it before _exit. */
static int launch_print(const cfork_args *a)
{
	fputs(cfork_arg_str(a, 0), stdout);
	fputs(cfork_arg_str(a, 1), stderr);
	return 0;
}
CFORK_REGISTER(launch_print, "ss");

static int launch_echo_stdin(const cfork_args *a)
{
	char buf[4096];
	size_t n = 0;
	ssize_t r;

	(void)a;
	while ((r = read(STDIN_FILENO, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)r;
	if (r < 0)
		return 1;
	return cfork_return(buf, n) ? 2 : 0;
}
CFORK_REGISTER(launch_echo_stdin, "");

/* One letter per signal 1..64: D default, I ignored, H handled, '?' error;
   then one per signal: B blocked, '-' not. */
static int launch_signal_state(const cfork_args *a)
{
	char out[2 * 64];
	sigset_t mask;

	(void)a;
	if (sigprocmask(SIG_SETMASK, NULL, &mask) < 0)
		return 1;
	for (int sig = 1; sig <= 64; sig++) {
		struct sigaction sa;

		if (sigaction(sig, NULL, &sa) < 0)
			out[sig - 1] = '?';
		else if (sa.sa_handler == SIG_DFL)
			out[sig - 1] = 'D';
		else if (sa.sa_handler == SIG_IGN)
			out[sig - 1] = 'I';
		else
			out[sig - 1] = 'H';
		out[64 + sig - 1] = sigismember(&mask, sig) == 1 ? 'B' : '-';
	}
	return cfork_return(out, sizeof(out)) ? 2 : 0;
}
CFORK_REGISTER(launch_signal_state, "");

static int launch_sleep_ms(const cfork_args *a)
{
	int64_t ms = cfork_arg_i64(a, 0);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}
CFORK_REGISTER(launch_sleep_ms, "i");

/* Says it runs (its function runs after the identity), then sleeps. */
static int launch_ready_sleep(const cfork_args *a)
{
	struct timespec ts = { 20, 0 };

	if (write(cfork_arg_fd(a, 0), "r", 1) != 1)
		return 1;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}
CFORK_REGISTER(launch_ready_sleep, "f");

/* Starts a long sleeper with the given pdeathsig (as uid and gid 65534
   when asked: a change of credentials clears a pdeathsig, which cfork must
   set again), sends its pid and exits without freeing the handle: freeing
   would kill the sleeper. */
static int launch_middle(const cfork_args *a)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb = NULL;
	cfork_proc *p;
	int ready[2];
	char byte;
	pid_t pid;

	attr.pdeathsig = (int)cfork_arg_i64(a, 0);
	if (cfork_arg_bool(a, 1)) {
		if (cfork_sandbox_new(&sb, 0) < 0 ||
		    cfork_sandbox_identity(sb, 65534, 65534, NULL, 0) < 0)
			return 3;
		attr.sandbox = sb;
	}
	if (pipe2(ready, O_CLOEXEC) < 0 ||
	    cfork_spawn(&p, &attr, "launch_ready_sleep", cfork_fd(ready[1])) < 0)
		return 1;
	/* Its parent's death must come after its take-over, identity and
	   all: before, the pdeathsig would fire before anything cleared it. */
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1)
		return 4;
	pid = cfork_pid(p);
	return cfork_return(&pid, sizeof(pid)) ? 2 : 0;
}
CFORK_REGISTER(launch_middle, "ib");

static int launch_no_new_privs(const cfork_args *a)
{
	(void)a;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}
CFORK_REGISTER(launch_no_new_privs, "");

static int launch_cgroup(const cfork_args *a)
{
	char buf[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	(void)a;
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return 2;
	return cfork_return(buf, (size_t)n) ? 3 : 0;
}
CFORK_REGISTER(launch_cgroup, "");

/* ------------------------------------------------------------------------ */
/* Parent-side tools                                                         */
/* ------------------------------------------------------------------------ */

static void wait_ok(cfork_proc *p, cfork_status *st)
{
	int r = cfork_wait(p, 10000, st);

	cr_assert_eq(r, 0, "cfork_wait: %d (%s)", r, strerror(-r));
}

static void assert_exit(cfork_status *st, int code)
{
	cr_assert(st->exited, "child died of signal %d", st->signal);
	cr_assert_eq(st->code, code, "exit %d, expected %d (error: %s)",
		     st->code, code, st->error ? st->error : "none");
	cr_assert_null(st->error, "child error: %s", st->error);
}

/* Reads until EOF (every write end closed). */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	return n;
}

/* An fd number that is not open here. */
static int unused_fd(void)
{
	int fd = 200;

	while (fcntl(fd, F_GETFD) >= 0)
		fd++;
	return fd;
}

static void make_pipe(int fds[2], int flags)
{
	cr_assert_eq(pipe2(fds, flags), 0, "pipe2: %s", strerror(errno));
}

/* A failed spawn leaves nothing behind and ret_proc untouched. */
static void assert_spawn_fails(const cfork_attr *attr, const char *name,
			       const cfork_value *argv, size_t argc, int want)
{
	int fds = count_open_fds();
	cfork_proc *const sentinel = (cfork_proc *)&fds;
	cfork_proc *p = sentinel;
	int r = cfork_spawnv(&p, attr, name, argv, argc);

	cr_assert_eq(r, want, "cfork_spawnv: %d (%s), expected %d (%s)", r,
		     strerror(-r), want, strerror(-want));
	cr_assert_eq(p, sentinel, "ret_proc was written on failure");
	cr_assert_not(has_children(), "a child exists after a failed spawn");
	cr_assert_eq(count_open_fds(), fds, "fds leaked by a failed spawn");
}

/* ------------------------------------------------------------------------ */
/* Which fds cross exec                                                      */
/* ------------------------------------------------------------------------ */

Test(launch, fd_without_cloexec_does_not_reach_child)
{
	int fds = count_open_fds(), pipefd[2];
	/* A high number, so that nothing the child opens itself before the
	   check can take it. */
	int leaky = unused_fd();
	cfork_proc *p;
	cfork_status st;

	make_pipe(pipefd, 0);
	cr_assert_eq(dup2(pipefd[1], leaky), leaky);
	cr_assert_eq(fcntl(leaky, F_GETFD), 0, "the fd must lack FD_CLOEXEC");

	cr_assert_eq(cfork_spawn(&p, NULL, "launch_fd_is_closed", leaky), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);

	close(leaky);
	close(pipefd[0]);
	close(pipefd[1]);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

Test(launch, fd_argument_reaches_child_whatever_its_cloexec_flag)
{
	int fds = count_open_fds();
	int with[2], without[2];
	char buf[64];
	cfork_proc *p;
	cfork_status st;

	make_pipe(with, O_CLOEXEC);
	make_pipe(without, 0);

	cr_assert_eq(cfork_spawn(&p, NULL, "launch_write_fd_arg",
				 cfork_fd(with[1]), "via cloexec fd"), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);

	cr_assert_eq(cfork_spawn(&p, NULL, "launch_write_fd_arg",
				 cfork_fd(without[1]), "via plain fd"), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);

	close(with[1]);
	close(without[1]);
	buf[read_all(with[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "via cloexec fd");
	buf[read_all(without[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "via plain fd");
	close(with[0]);
	close(without[0]);
	assert_open_fds_settle_to(fds);
}

Test(launch, keep_fds_reach_child_under_the_same_number)
{
	int fds = count_open_fds(), a[2], b[2];
	char buf[64];
	cfork_proc *p;
	cfork_status st;
	cfork_attr attr = CFORK_ATTR_INIT;
	int keep[2];

	make_pipe(a, O_CLOEXEC);
	make_pipe(b, 0);
	keep[0] = a[1];
	keep[1] = b[1];
	attr.keep_fds = keep;
	attr.nkeep_fds = 2;

	cr_assert_eq(cfork_spawn(&p, &attr, "launch_write_fd_num", a[1],
				 "kept cloexec"), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);
	cr_assert_eq(cfork_spawn(&p, &attr, "launch_write_fd_num", b[1],
				 "kept plain"), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);

	close(a[1]);
	close(b[1]);
	buf[read_all(a[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "kept cloexec");
	buf[read_all(b[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "kept plain");
	close(a[0]);
	close(b[0]);
	assert_open_fds_settle_to(fds);
}

struct fd_line {
	int fd, flags;
	char target[256];
};

static size_t parse_fd_lines(const char *text, size_t len,
			     struct fd_line *out, size_t cap)
{
	size_t n = 0;
	const char *p = text, *end = text + len;

	while (p < end && n < cap) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char line[300];
		size_t l;

		cr_assert_not_null(nl, "unterminated line in the fd listing");
		l = (size_t)(nl - p);
		cr_assert_lt(l, sizeof(line));
		memcpy(line, p, l);
		line[l] = '\0';
		cr_assert_eq(sscanf(line, "%d %d %255[^\n]", &out[n].fd,
				    &out[n].flags, out[n].target), 3,
			     "bad line: %s", line);
		n++;
		p = nl + 1;
	}
	return n;
}

/* The targets of every fd of this process, one per line. */
static void fd_targets(char *out, size_t cap)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	cr_assert_not_null(d);
	out[0] = '\0';
	while ((e = readdir(d))) {
		char path[64], t[256];
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", atoi(e->d_name));
		len = readlink(path, t, sizeof(t) - 1);
		if (len < 0)
			continue;
		t[len] = '\0';
		n += (size_t)snprintf(out + n, cap - n, "%s\n", t);
		cr_assert_lt(n, cap);
	}
	closedir(d);
}

static void fd_target(int fd, char *out, size_t cap)
{
	char path[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, out, cap - 1);
	cr_assert_gt(len, 0);
	out[len] = '\0';
}

/*
 * Exactly: 0, 1, 2; the given fds, under their numbers; and what the library
 * holds in a child: the report channel's end (a socket whose peer is the
 * parent's handle) and the program's own binary, opened O_PATH by the
 * library's constructor. The payload memfd (and the pipe that says it is
 * ready, where io_uring writes it) is closed once mapped, and everything
 * else is gone. *report_target gets the channel's "socket:[ino]".
 */
static void assert_child_fds(const cfork_status *st, const int *given,
			     size_t ngiven, char *report_target, size_t cap)
{
	struct fd_line lines[64];
	bool seen[3 + 8] = { false };
	int report = 0, self = 0;
	char exe[256];
	ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t n = parse_fd_lines(st->result, st->result_len, lines, 64);

	cr_assert_gt(exe_len, 0);
	exe[exe_len] = '\0';
	cr_assert_leq(ngiven, 8);
	for (size_t i = 0; i < n; i++) {
		const struct fd_line *l = &lines[i];
		size_t k = 0;

		while (k < ngiven && given[k] != l->fd)
			k++;
		if (l->fd >= 0 && l->fd < 3) {
			seen[l->fd] = true;
		} else if (k < ngiven) {
			seen[3 + k] = true;
		} else if (!strncmp(l->target, "socket:", 7)) {
			report++;
			snprintf(report_target, cap, "%s", l->target);
		} else if (!strcmp(l->target, exe) && (l->flags & O_PATH)) {
			self++;
		} else {
			cr_assert_fail("unexpected fd %d (flags %#x) in the "
				       "child: %s", l->fd, (unsigned)l->flags,
				       l->target);
		}
	}
	for (int i = 0; i < 3; i++)
		cr_assert(seen[i], "the child lacks fd %d", i);
	for (size_t k = 0; k < ngiven; k++)
		cr_assert(seen[3 + k], "the given fd %d did not reach the child",
			  given[k]);
	cr_assert_eq(report, 1, "%d report channels in the child", report);
	cr_assert_eq(self, 1, "%d fds on the binary in the child", self);
}

Test(launch, child_has_exactly_stdio_given_fds_and_its_own_channels)
{
	int fds = count_open_fds(), arg[2], kept[2], leaky = unused_fd();
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;
	cfork_status st;
	char report_target[256] = "", line[260], own[2][256];
	static char parent_fds[16384];

	for (int i = 0; i < 3; i++)
		cr_assert_geq(fcntl(i, F_GETFD), 0, "fd %d is not open here", i);
	make_pipe(arg, O_CLOEXEC);
	make_pipe(kept, 0);
	cr_assert_eq(dup2(kept[0], leaky), leaky);
	attr.keep_fds = &kept[1];
	attr.nkeep_fds = 1;

	cr_assert_eq(cfork_spawn(&p, &attr, "launch_list_fds",
				 cfork_fd(arg[1])), 0);
	/* While the handle holds the report channel's read end. */
	fd_targets(parent_fds, sizeof(parent_fds));
	fd_target(arg[0], own[0], sizeof(own[0]));
	fd_target(kept[0], own[1], sizeof(own[1]));
	wait_ok(p, &st);
	assert_exit(&st, 0);
	assert_child_fds(&st, (const int[]){ arg[1], kept[1] }, 2,
			 report_target, sizeof(report_target));
	cfork_free(p);

	/* The channel is the handle's pipe, not one of the test's own. */
	cr_assert_str_neq(report_target, own[0]);
	cr_assert_str_neq(report_target, own[1]);
	snprintf(line, sizeof(line), "%s\n", report_target);
	cr_assert_not_null(strstr(parent_fds, line),
			   "the child's pipe %s is not the parent's channel",
			   report_target);

	close(arg[0]);
	close(arg[1]);
	close(kept[0]);
	close(kept[1]);
	close(leaky);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* A large argument goes the io_uring way where it can, with a pipe that
   tells the child the payload is ready: that pipe must not stay either. */
Test(launch, child_with_a_large_argument_has_no_extra_fd)
{
	static unsigned char big[1 << 20];
	int fds = count_open_fds();
	char report_target[256];
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(setenv("CFORK_WRITEOUT", "uring", 1), 0);
	cr_assert_eq(cfork_spawn(&p, NULL, "launch_list_fds",
				 cfork_bytes(big, sizeof(big))), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	assert_child_fds(&st, NULL, 0, report_target, sizeof(report_target));
	cfork_free(p);
	unsetenv("CFORK_WRITEOUT");
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* The fds of process pid that name its binary: the numbers, up to max. */
static int image_fds(pid_t pid, int *fds, int max)
{
	char dir[64], path[384], exe[PATH_MAX], target[PATH_MAX];
	ssize_t exe_len, len;
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	exe_len = readlink(path, exe, sizeof(exe) - 1);
	cr_assert_gt(exe_len, 0);
	exe[exe_len] = '\0';
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	cr_assert_not_null(d);
	while ((e = readdir(d)) && n < max) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0 || e->d_name[0] == '.')
			continue;
		target[len] = '\0';
		if (!strcmp(target, exe))
			fds[n++] = atoi(e->d_name);
	}
	closedir(d);
	return n;
}

/* Says it is running, then waits for the parent to let it end. */
static int launch_hold(const cfork_args *a)
{
	char c = 'r';

	if (write(cfork_arg_fd(a, 1), &c, 1) != 1)
		return 1;
	return read(cfork_arg_fd(a, 0), &c, 1) == 0 ? 0 : 2;
}
CFORK_REGISTER(launch_hold, "ff");

/* A child does not open /proc/self/exe again: it adopts the parent's fd of
   the binary, the same open file, kept across the exec for it and closed on
   the child's own execs. */
Test(launch, child_adopts_the_parents_fd_of_the_binary)
{
	int gate[2], ready[2], mine[4], its[4], nmine, nits;
	cfork_proc *p;
	cfork_status st;
	char c, fdinfo[64], info[512];
	bool same = false;

	make_pipe(gate, O_CLOEXEC);
	make_pipe(ready, O_CLOEXEC);
	cr_assert_eq(cfork_spawn(&p, NULL, "launch_hold", cfork_fd(gate[0]),
				 cfork_fd(ready[1])), 0);
	cr_assert_eq(read(ready[0], &c, 1), 1);

	nmine = image_fds(getpid(), mine, 4);
	nits = image_fds(cfork_pid(p), its, 4);
	cr_assert_geq(nmine, 1);
	cr_assert_eq(nits, 1, "%d fds on the binary in the child", nits);
	for (int i = 0; i < nmine; i++)
		same |= syscall(SYS_kcmp, getpid(), cfork_pid(p), KCMP_FILE,
				mine[i], its[0]) == 0;
	cr_assert(same, "the child's fd %d on the binary is not the parent's",
		  its[0]);
	snprintf(fdinfo, sizeof(fdinfo), "/proc/%d/fdinfo/%d",
		 (int)cfork_pid(p), its[0]);
	FILE *f = fopen(fdinfo, "r");
	cr_assert_not_null(f);
	size_t n = fread(info, 1, sizeof(info) - 1, f);
	info[n] = '\0';
	fclose(f);
	unsigned long flags = strtoul(strstr(info, "flags:") + 6, NULL, 8);
	cr_assert(flags & O_CLOEXEC, "not close-on-exec in the child: %s",
		  info);

	close(gate[1]);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);
	close(gate[0]);
	close(ready[0]);
	close(ready[1]);
}

/* ------------------------------------------------------------------------ */
/* stdio                                                                     */
/* ------------------------------------------------------------------------ */

Test(launch, stdout_and_stderr_go_to_the_given_fds)
{
	int fds = count_open_fds(), out[2], err[2];
	cfork_attr attr = CFORK_ATTR_INIT;
	char buf[64];
	cfork_proc *p;
	cfork_status st;

	make_pipe(out, O_CLOEXEC);
	make_pipe(err, O_CLOEXEC);
	attr.stdout_fd = out[1];
	attr.stderr_fd = err[1];
	cr_assert_eq(cfork_spawn(&p, &attr, "launch_print", "to stdout\n",
				 "to stderr\n"), 0);
	close(out[1]);
	close(err[1]);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);

	buf[read_all(out[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "to stdout\n");
	buf[read_all(err[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "to stderr\n");
	close(out[0]);
	close(err[0]);
	assert_open_fds_settle_to(fds);
}

Test(launch, stdout_and_stderr_can_be_swapped)
{
	int fds = count_open_fds(), a[2], b[2], saved1, saved2;
	cfork_attr attr = CFORK_ATTR_INIT;
	char buf[64];
	cfork_proc *p;
	cfork_status st;
	int r;

	make_pipe(a, O_CLOEXEC);
	make_pipe(b, O_CLOEXEC);
	fflush(NULL);
	saved1 = fcntl(1, F_DUPFD_CLOEXEC, 3);
	saved2 = fcntl(2, F_DUPFD_CLOEXEC, 3);
	cr_assert(saved1 >= 0 && saved2 >= 0);
	/* The parent's 1 is pipe a and its 2 pipe b; the child gets them the
	   other way round. */
	dup2(a[1], 1);
	dup2(b[1], 2);
	attr.stdout_fd = 2;
	attr.stderr_fd = 1;
	r = cfork_spawn(&p, &attr, "launch_print", "printed on stdout",
			"printed on stderr");
	dup2(saved1, 1);
	dup2(saved2, 2);
	close(saved1);
	close(saved2);
	close(a[1]);
	close(b[1]);
	cr_assert_eq(r, 0, "cfork_spawn: %d", r);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);

	buf[read_all(b[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "printed on stdout");
	buf[read_all(a[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "printed on stderr");
	close(a[0]);
	close(b[0]);
	assert_open_fds_settle_to(fds);
}

Test(launch, stdout_and_stderr_can_share_one_fd)
{
	int fds = count_open_fds(), both[2];
	cfork_attr attr = CFORK_ATTR_INIT;
	char buf[64];
	cfork_proc *p;
	cfork_status st;

	make_pipe(both, O_CLOEXEC);
	attr.stdout_fd = both[1];
	attr.stderr_fd = both[1];
	/* stdout is flushed at exit, stderr at once: the order is fixed. */
	cr_assert_eq(cfork_spawn(&p, &attr, "launch_print", "out", "err"), 0);
	close(both[1]);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cfork_free(p);
	buf[read_all(both[0], buf, sizeof(buf) - 1)] = '\0';
	cr_assert_str_eq(buf, "errout");
	close(both[0]);
	assert_open_fds_settle_to(fds);
}

Test(launch, stdin_reads_from_the_given_fd)
{
	static const char input[] = "line one\nline two\n";
	int fds = count_open_fds(), in[2];
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;
	cfork_status st;

	make_pipe(in, O_CLOEXEC);
	cr_assert_eq(write(in[1], input, sizeof(input) - 1),
		     (ssize_t)sizeof(input) - 1);
	close(in[1]);
	attr.stdin_fd = in[0];
	cr_assert_eq(cfork_spawn(&p, &attr, "launch_echo_stdin"), 0);
	close(in[0]);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cr_assert_eq(st.result_len, sizeof(input) - 1);
	cr_assert_arr_eq(st.result, input, sizeof(input) - 1);
	cfork_free(p);
	assert_open_fds_settle_to(fds);
}

/* ------------------------------------------------------------------------ */
/* Signals, errno                                                            */
/* ------------------------------------------------------------------------ */

static volatile sig_atomic_t caught;

static void count_signal(int sig)
{
	(void)sig;
	caught++;
}

Test(launch, handlers_reset_ignored_kept_and_mask_inherited)
{
	struct sigaction sa = { .sa_handler = count_signal };
	sigset_t usr1;
	cfork_proc *p;
	cfork_status st;
	const char *state;

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGINT, &sa, NULL), 0);
	cr_assert_eq(sigaction(SIGCHLD, &sa, NULL), 0);
	cr_assert_neq(signal(SIGTERM, SIG_IGN), SIG_ERR);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &usr1, NULL), 0);

	cr_assert_eq(cfork_spawn(&p, NULL, "launch_signal_state"), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cr_assert_eq(st.result_len, 128);
	state = st.result;

	cr_assert_eq(state[SIGINT - 1], 'D', "SIGINT: %c", state[SIGINT - 1]);
	cr_assert_eq(state[SIGCHLD - 1], 'D', "SIGCHLD: %c",
		     state[SIGCHLD - 1]);
	cr_assert_eq(state[SIGTERM - 1], 'I', "SIGTERM: %c",
		     state[SIGTERM - 1]);
	for (int sig = 1; sig <= 64; sig++) {
		char want = sig == SIGUSR1 ? 'B' : '-';

		cr_assert_eq(state[64 + sig - 1], want,
			     "signal %d: %c in the child's mask, expected %c",
			     sig, state[64 + sig - 1], want);
	}
	cfork_free(p);
}

static void assert_same_mask(const sigset_t *a, const sigset_t *b)
{
	for (int sig = 1; sig < NSIG; sig++)
		cr_assert_eq(sigismember(a, sig), sigismember(b, sig),
			     "signal %d changed in the mask", sig);
}

Test(launch, parent_errno_and_mask_unchanged_by_spawn_wait_free)
{
	sigset_t set, before, after;
	cfork_proc *p;
	cfork_status st;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &set, &before), 0);
	cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &before), 0);

	errno = EDOM;
	r = cfork_spawn(&p, NULL, "launch_exit_with", 5);
	cr_assert_eq(errno, EDOM, "errno %d after cfork_spawn", errno);
	cr_assert_eq(r, 0);
	cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &after), 0);
	assert_same_mask(&before, &after);

	errno = EDOM;
	r = cfork_wait(p, -1, &st);
	cr_assert_eq(errno, EDOM, "errno %d after cfork_wait", errno);
	cr_assert_eq(r, 0);
	assert_exit(&st, 5);
	cfork_free(p);
	cr_assert_eq(errno, EDOM, "errno %d after cfork_free", errno);
	cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &after), 0);
	assert_same_mask(&before, &after);
}

/* The header promises that no call sets errno, failures included. */
Test(launch, parent_errno_unchanged_by_failed_spawn)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;
	int r;

	attr.stdout_fd = unused_fd();
	errno = EDOM;
	r = cfork_spawn(&p, &attr, "launch_exit_with", 0);
	cr_assert_eq(r, -EBADF);
	cr_assert_eq(errno, EDOM, "errno %d (%s) after a failed cfork_spawn",
		     errno, strerror(errno));
}

static volatile sig_atomic_t alarms;

static void count_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A signal every millisecond, handled without SA_RESTART: no step of a
   spawn may fail with EINTR. */
Test(launch, spawn_succeeds_under_a_signal_storm)
{
	struct sigaction sa = { .sa_handler = count_alarm };
	struct itimerval on = { { 0, 1000 }, { 0, 1000 } }, off = { 0 };
	int fds = count_open_fds();

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &on, NULL), 0);
	for (int i = 0; i < 40; i++) {
		int r = cfork("launch_exit_with", i);

		cr_assert_eq(r, i, "spawn %d: %d", i, r);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	cr_assert_gt(alarms, 0, "the timer never fired");
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* The design sets no_new_privs before exec: nothing the child runs gains
   privileges through setuid bits or file capabilities. */
Test(launch, child_runs_with_no_new_privs)
{
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		cr_skip_test("this process has no_new_privs already");
	cr_assert_eq(cfork("launch_no_new_privs"), 1);
	cr_assert_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0,
		     "the parent got no_new_privs");
}

/* ------------------------------------------------------------------------ */
/* Exec failure                                                              */
/* ------------------------------------------------------------------------ */

/* One environment string over MAX_ARG_STRLEN (128 KiB) and the whole over
   a quarter of the stack limit: execve answers E2BIG. */
Test(launch, exec_failure_is_an_error_from_spawn)
{
	size_t len = 3u << 20;
	char *big = malloc(len + 1);

	cr_assert_not_null(big);
	memset(big, 'x', len);
	big[len] = '\0';
	cr_assert_eq(setenv("CFORK_LAUNCH_BIG", big, 1), 0);
	free(big);

	assert_spawn_fails(NULL, "launch_exit_with",
			   (const cfork_value[]){ cfork_i64(0) }, 1, -E2BIG);

	/* And the next spawn is unaffected. */
	unsetenv("CFORK_LAUNCH_BIG");
	cr_assert_eq(cfork("launch_exit_with", 9), 9);
	cr_assert_not(has_children());
}

/* A bytes value whose length runs past its memory: the payload's write
   finds the hole (no crash in the caller), and nothing is left behind. */
Test(launch, bytes_past_their_memory_are_efault)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *data = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(data, MAP_FAILED, "mmap: %s", strerror(errno));
	cr_assert_eq(munmap(data + page, page), 0);
	memset(data, 'x', page);
	assert_spawn_fails(NULL, "launch_list_fds",
			   (const cfork_value[]){
				   cfork_bytes(data, 2 * page) }, 1, -EFAULT);
	cr_assert_eq(munmap(data, page), 0);
}

/* ------------------------------------------------------------------------ */
/* pdeathsig                                                                 */
/* ------------------------------------------------------------------------ */

/* Orphans are reparented to this process, so that the grandchild can be
   watched and reaped without a pid reuse race. */
static void become_subreaper(void)
{
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "%s",
		     strerror(errno));
}

static pid_t run_middle(int pdeathsig, bool identity)
{
	cfork_proc *p;
	cfork_status st;
	pid_t pid;

	cr_assert_eq(cfork_spawn(&p, NULL, "launch_middle", pdeathsig,
				 identity), 0);
	wait_ok(p, &st);
	assert_exit(&st, 0);
	cr_assert_eq(st.result_len, sizeof(pid));
	memcpy(&pid, st.result, sizeof(pid));
	cfork_free(p);
	cr_assert_gt(pid, 0);
	return pid;
}

/* 0 and *info filled once pid has ended (not reaped), -1 after ms. */
static int await_end(pid_t pid, int ms, siginfo_t *info)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		memset(info, 0, sizeof(*info));
		cr_assert_eq(waitid(P_PID, (id_t)pid, info,
				    WEXITED | WNOHANG | WNOWAIT | __WALL), 0,
			     "waitid(%d): %s", (int)pid, strerror(errno));
		if (info->si_pid == pid)
			return 0;
		usleep(10000);
	}
	return -1;
}

static void reap_pid(pid_t pid, siginfo_t *info)
{
	cr_assert_eq(waitid(P_PID, (id_t)pid, info, WEXITED | __WALL), 0);
}

Test(launch, pdeathsig_kills_grandchild_when_its_parent_exits)
{
	siginfo_t info;
	pid_t gc;

	become_subreaper();
	gc = run_middle(SIGKILL, false);
	cr_assert_eq(await_end(gc, 5000, &info), 0,
		     "the grandchild %d outlived its parent", (int)gc);
	reap_pid(gc, &info);
	cr_assert_eq(info.si_code, CLD_KILLED);
	cr_assert_eq(info.si_status, SIGKILL);
	cr_assert_not(has_children());
}

/* The kernel clears a pdeathsig when the credentials change: the child's
   identity must not free it from its parent's death. */
Test(launch, pdeathsig_holds_across_the_childs_identity)
{
	siginfo_t info;
	pid_t gc;

	if (geteuid() != 0)
		cr_skip_test("an identity needs root");
	become_subreaper();
	gc = run_middle(SIGKILL, true);
	cr_assert_eq(await_end(gc, 5000, &info), 0,
		     "the grandchild %d outlived its parent", (int)gc);
	reap_pid(gc, &info);
	cr_assert_eq(info.si_code, CLD_KILLED);
	cr_assert_eq(info.si_status, SIGKILL);
	cr_assert_not(has_children());
}

Test(launch, grandchild_without_pdeathsig_outlives_its_parent)
{
	siginfo_t info;
	char path[64], stat[512];
	int fd, ppid = -1;
	ssize_t n;
	pid_t gc;

	become_subreaper();
	gc = run_middle(0, false);
	cr_assert_eq(await_end(gc, 300, &info), -1,
		     "the grandchild died without a pdeathsig");

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)gc);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	stat[n] = '\0';
	cr_assert_eq(sscanf(strrchr(stat, ')') + 2, "%*c %d", &ppid), 1);
	cr_assert_eq(ppid, getpid(), "the orphan was not reparented here");

	cr_assert_eq(kill(gc, SIGKILL), 0);
	reap_pid(gc, &info);
	cr_assert_eq(info.si_code, CLD_KILLED);
	cr_assert_not(has_children());
}

static void *spawn_with_pdeathsig(void *arg)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc **p = arg;

	attr.pdeathsig = SIGKILL;
	if (cfork_spawn(p, &attr, "launch_sleep_ms", 20000) < 0)
		*p = NULL;
	return NULL;
}

/* PR_SET_PDEATHSIG follows the thread that spawned, as documented. */
Test(launch, pdeathsig_fires_when_the_spawning_thread_exits)
{
	cfork_proc *p = NULL;
	cfork_status st;
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, spawn_with_pdeathsig, &p), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_not_null(p, "spawn from the thread failed");
	cr_assert_eq(cfork_wait(p, 5000, &st), 0,
		     "the child outlived the thread that spawned it");
	cr_assert_not(st.exited);
	cr_assert_eq(st.signal, SIGKILL);
	cfork_free(p);
	cr_assert_not(has_children());
}

/* ------------------------------------------------------------------------ */
/* cgroup                                                                    */
/* ------------------------------------------------------------------------ */

static void remove_cgroup(const char *dir)
{
	/* The reaped child leaves the cgroup asynchronously on some
	   kernels. */
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(10000);
	cr_expect_neq(access(dir, F_OK), 0, "%s was not removed", dir);
}

Test(launch, cgroup_fd_starts_child_in_that_cgroup)
{
	char mnt[256], root[256], dir[600], want[700], text[4096] = "";
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st = { 0 };
	cfork_proc *p;
	unsigned paths = 0;
	int fds = count_open_fds(), cg, r, waited = -1;

	if (!find_cgroup2(mnt, sizeof(mnt), root, sizeof(root)))
		cr_skip_test("no writable cgroup2 mount");
	snprintf(dir, sizeof(dir), "%s/cfork-launch-%d", mnt, (int)getpid());
	if (mkdir(dir, 0755) < 0)
		cr_skip_test("cannot create a cgroup under %s: %s", mnt,
			     strerror(errno));
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(cg, 0);
	attr.cgroup_fd = cg;

	/* Nothing asserted until the cgroup is removed again. */
	r = cfork_spawn(&p, &attr, "launch_cgroup");
	if (r == 0) {
		waited = cfork_wait(p, 10000, &st);
		paths = cfork_paths(p);
		if (waited == 0)
			snprintf(text, sizeof(text), "%.*s",
				 (int)st.result_len, (const char *)st.result);
		cfork_free(p);
	}
	close(cg);
	remove_cgroup(dir);

	cr_assert_eq(r, 0, "cfork_spawn with a cgroup: %d (%s)", r,
		     strerror(-r));
	cr_assert_eq(waited, 0, "cfork_wait: %d", waited);
	cr_assert(st.exited && st.code == 0, "exited %d code %d signal %d",
		  st.exited, st.code, st.signal);
	cr_assert_eq(paths & CFORK_PATH_CLONE3, CFORK_PATH_CLONE3,
		     "paths %#x: CLONE_INTO_CGROUP is clone3's", paths);
	snprintf(want, sizeof(want), "0::%s/cfork-launch-%d\n",
		 strcmp(root, "/") ? root : "", (int)getpid());
	cr_assert_not_null(strstr(text, want), "expected %s in:\n%s", want,
			   text);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* Whatever the launch path (CLONE_INTO_CGROUP, or the child's write to
   cgroup.procs), cold or a pool's: -EINVAL, and no child. */
Test(launch, cgroup_fd_that_is_no_cgroup_fails_without_child)
{
	/* The last two: a cgroup's file, where cgroup v2 is mounted. */
	const char *not_cgroups[] = { "/", "/proc/self", "/dev/null",
				      "/sys/fs/cgroup/cgroup.procs",
				      "/sys/fs/cgroup/unified/cgroup.procs" };
	const unsigned modes[] = { CFORK_POOL_EXEC, CFORK_POOL_FORK };
	int fds = count_open_fds();

	for (size_t i = 0; i < sizeof(not_cgroups) / sizeof(*not_cgroups);
	     i++) {
		int fd = open(not_cgroups[i], O_RDONLY | O_CLOEXEC);
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_proc *p = NULL;

		if (fd < 0 && i >= 3)
			continue;
		cr_assert_geq(fd, 0);
		attr.cgroup_fd = fd;
		cr_assert_eq(cfork_spawn(&p, &attr, "launch_exit_with", 0),
			     -EINVAL, "%s", not_cgroups[i]);
		cr_assert_null(p);
		for (size_t m = 0; m < 2; m++) {
			cfork_pool *pool = NULL;
			cr_assert_eq(cfork_pool_new(&pool, &attr, 1, modes[m]),
				     -EINVAL, "%s (pool %u)", not_cgroups[i],
				     modes[m]);
			cr_assert_null(pool);
		}
		close(fd);
	}
	cr_assert_not(has_children());
	assert_open_fds_settle_to(fds);
}

/* ------------------------------------------------------------------------ */
/* Bad attributes                                                            */
/* ------------------------------------------------------------------------ */

static const cfork_value zero_arg[] = { { CFORK_I64, { .i64 = 0 } } };

Test(launch, stdio_fd_not_open_is_ebadf)
{
	for (int i = 0; i < 3; i++) {
		cfork_attr attr = CFORK_ATTR_INIT;

		(&attr.stdin_fd)[i] = unused_fd();
		assert_spawn_fails(&attr, "launch_exit_with", zero_arg, 1,
				   -EBADF);
	}
}

Test(launch, keep_fd_not_open_is_ebadf)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	int keep[2] = { 1, unused_fd() };

	attr.keep_fds = keep;
	attr.nkeep_fds = 2;
	assert_spawn_fails(&attr, "launch_exit_with", zero_arg, 1, -EBADF);
}

Test(launch, fd_argument_not_open_is_ebadf)
{
	cfork_value v[] = { cfork_fd(unused_fd()), cfork_str("x") };

	assert_spawn_fails(NULL, "launch_write_fd_arg", v, 2, -EBADF);
}

Test(launch, cgroup_fd_not_open_is_ebadf)
{
	cfork_attr attr = CFORK_ATTR_INIT;

	attr.cgroup_fd = unused_fd();
	assert_spawn_fails(&attr, "launch_exit_with", zero_arg, 1, -EBADF);
}

Test(launch, keep_fds_null_with_a_count_is_einval)
{
	cfork_attr attr = CFORK_ATTR_INIT;

	attr.nkeep_fds = 1;
	assert_spawn_fails(&attr, "launch_exit_with", zero_arg, 1, -EINVAL);
}

Test(launch, pdeathsig_that_is_not_a_signal_is_einval)
{
	cfork_attr attr = CFORK_ATTR_INIT;

	attr.pdeathsig = 1000;
	assert_spawn_fails(&attr, "launch_exit_with", zero_arg, 1, -EINVAL);
	attr.pdeathsig = -1;
	assert_spawn_fails(&attr, "launch_exit_with", zero_arg, 1, -EINVAL);
}

/* A child loads neither libseccomp nor liburing: the parent opens
   libseccomp when it first compiles a filter, and a child gets the filter,
   not the library. Run in a program linked as a user's is, without either
   library of its own (this test binary links libseccomp for its own
   filters). */
Test(launch, a_child_loads_neither_libseccomp_nor_liburing)
{
	char out[256];

	run_test_prog("lean_child", out, sizeof(out));
	cr_assert(strstr(out, "parent: libseccomp 1, liburing 0\n"), "%s", out);
	cr_assert(strstr(out, "child: libseccomp 0, liburing 0\n"), "%s", out);
}
