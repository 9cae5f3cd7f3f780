/* SPDX-License-Identifier: MIT */
/*
 * The sandbox: every rule is proven by a child that tries the forbidden
 * thing. Children return 42 when everything they tried went as the rule
 * says, and another code naming the first surprise.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "test_progs.h"
#include "lib/payload.h"
#include "sandbox/sandbox.h"

TestSuite(sandbox, .timeout = TEST_TIMEOUT);

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define OK 42

/* ------------------------------------------------------------------------ */
/* Tools                                                                     */
/* ------------------------------------------------------------------------ */

/* How one sandboxed child went. */
struct outcome {
	int spawn;		/* cfork_spawnv's return */
	bool exited;
	int code;
	int signal;
	char error[512];
	unsigned applied;	/* cfork_sandbox_applied() after the wait */
	char result[64];
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
		  "exited %d code %d signal %d error \"%s\"", o->exited,
		  o->code, o->signal, o->error);
}

static void expect_killed_for(const struct outcome *o, const char *what)
{
	cr_assert_eq(o->spawn, 0, "spawn: %s", strerror(-o->spawn));
	cr_assert(!o->exited && o->signal == SIGSYS,
		  "exited %d code %d signal %d error \"%s\"", o->exited,
		  o->code, o->signal, o->error);
	cr_assert(strstr(o->error, "sandbox: blocked system call"),
		  "error \"%s\"", o->error);
	cr_assert(strstr(o->error, what), "error \"%s\" lacks %s", o->error,
		  what);
}

static cfork_sandbox *new_sandbox(unsigned presets)
{
	cfork_sandbox *sb = NULL;

	cr_assert_eq(cfork_sandbox_new(&sb, presets), 0);
	return sb;
}

static int landlock_abi(void)
{
	long v = syscall(444 /* landlock_create_ruleset */, NULL, 0, 1);

	return v < 0 ? 0 : (int)v;
}

/*
 * Makes this test's own process look like a host that lacks something: a
 * filter of its own, which its cfork children inherit too. Criterion runs
 * each test in a process of its own, so nothing else sees it.
 */
static void host_refuses(int nr, int err, bool new_net_only)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	cr_assert(ctx);
	if (new_net_only)
		cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 1,
					      SCMP_A0(SCMP_CMP_MASKED_EQ,
						      CLONE_NEWNET,
						      CLONE_NEWNET)), 0);
	else
		cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0),
			     0);
	cr_assert_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);
}

static char *make_tree(void)
{
	char *dir = strdup("/tmp/cfork-sb-XXXXXX");
	char path[PATH_MAX];
	FILE *f;

	cr_assert(dir && mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/in", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("hello", f);
	fclose(f);
	return dir;
}

static void remove_tree(char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/in", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/out", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
}

/* 1 if the first line of path is "hello", 0 if it is not, -errno. */
static int read_hello(const char *path)
{
	char buf[16] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n == 5 && !memcmp(buf, "hello", 5);
}

/* ------------------------------------------------------------------------ */
/* Child functions                                                           */
/* ------------------------------------------------------------------------ */

static int sandbox_nothing(const cfork_args *a)
{
	(void)a;
	return OK;
}
CFORK_REGISTER(sandbox_nothing, "");

static int sandbox_sockets(const cfork_args *a)
{
	int sv[2], fd;

	(void)a;
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EAFNOSUPPORT)
		return 1;
	if (socket(AF_INET6, SOCK_DGRAM, 0) != -1 || errno != EAFNOSUPPORT)
		return 2;
	if (socket(AF_NETLINK, SOCK_RAW, 0) != -1 || errno != EAFNOSUPPORT)
		return 3;
	/* A named unix socket reaches the host's services: only a pair. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd != -1 || errno != EAFNOSUPPORT)
		return 4;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 5;
	close(sv[0]);
	close(sv[1]);
	if (syscall(SYS_io_uring_setup, 1, NULL) != -1 || errno != EPERM)
		return 6;
	return OK;
}
CFORK_REGISTER(sandbox_sockets, "");

/* Whether an AF_INET socket can be had: OK if it can. */
static int sandbox_inet_socket(const cfork_args *a)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)a;
	if (fd < 0)
		return 1;
	close(fd);
	return OK;
}
CFORK_REGISTER(sandbox_inet_socket, "");

static int sandbox_exec_true(const cfork_args *a)
{
	char *argv[] = { "true", NULL };

	(void)a;
	execve("/bin/true", argv, (char *[]){ NULL });
	/* /bin/true would have exited 0: only a refusal reaches this. */
	return errno == EPERM ? OK : 1;
}
CFORK_REGISTER(sandbox_exec_true, "");

/* dir: "in" holds "hello"; nothing may be created, changed or removed. */
static int sandbox_fs_write(const cfork_args *a)
{
	const char *dir = cfork_arg_str(a, 0);
	char in[PATH_MAX], out[PATH_MAX], sub[PATH_MAX];

	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	if (open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) != -1 ||
	    errno != EROFS)
		return 1;
	if (open(in, O_RDWR | O_CLOEXEC) != -1 || errno != EROFS)
		return 2;
	if (open(in, O_RDONLY | O_TRUNC | O_CLOEXEC) != -1 || errno != EROFS)
		return 3;
	if (mkdir(sub, 0700) != -1 || errno != EROFS)
		return 4;
	if (unlink(in) != -1 || errno != EROFS)
		return 5;
	if (rename(in, out) != -1 || errno != EROFS)
		return 6;
	if (chmod(in, 0777) != -1 || errno != EROFS)
		return 7;
	if (syscall(SYS_openat2, AT_FDCWD, out, NULL, 0) != -1 ||
	    errno != ENOSYS)
		return 8;
	if (read_hello(in) != 1)
		return 9;
	/* fds it has stay writable. */
	if (write(STDERR_FILENO, "", 0) != 0)
		return 10;
	return OK;
}
CFORK_REGISTER(sandbox_fs_write, "s");

static void *sandbox_thread_sum(void *arg)
{
	long *n = arg;

	*n = *n * (*n + 1) / 2;
	return NULL;
}

/* What a computation does: memory, a thread, time, stdio to an fd it has;
   open fails; the result goes back with cfork_return; exit status 0. */
static int sandbox_compute(const cfork_args *a)
{
	long n = (long)cfork_arg_i64(a, 0);
	struct timespec ts;
	pthread_t t;
	char text[32];

	if (open("/etc/hostname", O_RDONLY | O_CLOEXEC) != -1 ||
	    errno != EACCES)
		return 1;
	char *volatile big = malloc(1 << 20);	/* an mmap, then munmap */
	if (!big)
		return 2;
	memset(big, 1, 1 << 20);
	free(big);
	if (pthread_create(&t, NULL, sandbox_thread_sum, &n) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 3;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 4;
	/* glibc's stdio: fstat through newfstatat, an ioctl for isatty */
	fprintf(stderr, "%s", "");
	fflush(stderr);
	snprintf(text, sizeof(text), "%ld", n);
	if (cfork_return(text, strlen(text)) < 0)
		return 5;
	return 0;
}
CFORK_REGISTER(sandbox_compute, "i");

/* The call that gets it killed under COMPUTE; OK if it survives. */
static int sandbox_open_socket(const cfork_args *a)
{
	int sv[2];

	(void)a;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	return OK;
}
CFORK_REGISTER(sandbox_open_socket, "");

/* uname: OK when it fails with errno err. */
static int sandbox_uname(const cfork_args *a)
{
	struct utsname u;
	int err = (int)cfork_arg_i64(a, 0);

	if (uname(&u) == 0)
		return 1;
	return errno == err ? OK : 2;
}
CFORK_REGISTER(sandbox_uname, "i");

#ifdef __x86_64__
/* getpid through the x32 ABI (the x32 bit on the native syscall). */
static int sandbox_x32_getpid(const cfork_args *a)
{
	(void)a;
	syscall(SYS_getpid | 0x40000000);
	return OK;
}
CFORK_REGISTER(sandbox_x32_getpid, "");

/* getpid through the i386 ABI: OK if it answered the truth. */
static int sandbox_int80_getpid(const cfork_args *a)
{
	long pid;

	(void)a;
	__asm__ volatile("int $0x80"
			 : "=a"(pid)
			 : "a"(20L /* i386 getpid */)
			 : "memory", "r8", "r9", "r10", "r11");
	return pid == getpid() ? OK : 1;
}
CFORK_REGISTER(sandbox_int80_getpid, "");
#endif

static void sandbox_on_sigsys(int sig)
{
	(void)sig;
}

/* The child cannot take SIGSYS over, and so cannot survive a trap. */
static int sandbox_take_sigsys(const cfork_args *a)
{
	struct sigaction sa = { .sa_handler = sandbox_on_sigsys };
	struct sigaction old;

	(void)a;
	if (sigaction(SIGSYS, &sa, NULL) != -1 || errno != EPERM)
		return 1;
	if (signal(SIGSYS, SIG_IGN) != SIG_ERR || errno != EPERM)
		return 2;
	/* Asking is fine. */
	if (sigaction(SIGSYS, NULL, &old) < 0)
		return 3;
	return OK;
}
CFORK_REGISTER(sandbox_take_sigsys, "");

/* dir: readable tree with "in"; outside it nothing is. */
static int sandbox_landlock_read(const cfork_args *a)
{
	const char *dir = cfork_arg_str(a, 0);
	char in[PATH_MAX], out[PATH_MAX];

	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	if (read_hello(in) != 1)
		return 1;
	if (read_hello("/etc/hostname") != -EACCES)
		return 2;
	if (open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) != -1 ||
	    errno != EACCES)
		return 3;
	if (open("/bin/true", O_RDONLY | O_CLOEXEC) != -1 || errno != EACCES)
		return 4;
	return OK;
}
CFORK_REGISTER(sandbox_landlock_read, "s");

/* dir: writable tree; outside it, no writing. */
static int sandbox_landlock_write(const cfork_args *a)
{
	const char *dir = cfork_arg_str(a, 0);
	char out[PATH_MAX];
	int fd;

	snprintf(out, sizeof(out), "%s/out", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	if (open("/tmp/cfork-sb-outside", O_WRONLY | O_CREAT | O_CLOEXEC,
		 0600) != -1 || errno != EACCES)
		return 2;
	return OK;
}
CFORK_REGISTER(sandbox_landlock_write, "s");

/* A large allocation fails under an address-space limit. */
static int sandbox_big_malloc(const cfork_args *a)
{
	/* volatile: a compiler may drop a malloc that is only freed. */
	void *volatile p = malloc((size_t)cfork_arg_i64(a, 0));

	if (p) {
		free(p);
		return 1;
	}
	return OK;
}
CFORK_REGISTER(sandbox_big_malloc, "i");

/* The open-file limit the child runs under, as its result. */
static int sandbox_nofile(const cfork_args *a)
{
	struct rlimit rl;
	char text[64];

	(void)a;
	getrlimit(RLIMIT_NOFILE, &rl);
	snprintf(text, sizeof(text), "%llu/%llu", (unsigned long long)rl.rlim_cur,
		 (unsigned long long)rl.rlim_max);
	cfork_return(text, strlen(text));
	return OK;
}
CFORK_REGISTER(sandbox_nofile, "");

/* net_ns: the parent's /proc/self/ns/net link. */
static int sandbox_in_namespaces(const cfork_args *a)
{
	char link[64] = "";

	/* cfork's init is pid 1; the function, an ordinary process. */
	if (getpid() != 2 || getppid() != 1)
		return 1;
	if (readlink("/proc/self/ns/net", link, sizeof(link) - 1) < 0)
		return 2;
	if (!strcmp(link, cfork_arg_str(a, 0)))
		return 3;
	return OK;
}
CFORK_REGISTER(sandbox_in_namespaces, "s");

/* name: the cgroup directory's name, to be found in /proc/self/cgroup. */
static int sandbox_in_cgroup(const cfork_args *a)
{
	char buf[4096] = "";
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 2;
	return strstr(buf, cfork_arg_str(a, 0)) ? OK : 3;
}
CFORK_REGISTER(sandbox_in_cgroup, "s");

/* ------------------------------------------------------------------------ */
/* The policy: errors in the parent, never a dead child                     */
/* ------------------------------------------------------------------------ */

Test(sandbox, new_checks_its_arguments)
{
	cfork_sandbox *sb = NULL;

	cr_assert_eq(cfork_sandbox_new(NULL, 0), -EINVAL);
	cr_assert_eq(cfork_sandbox_new(&sb, 16), -EINVAL);
	cr_assert_null(sb);
	cr_assert_eq(cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK |
					     CFORK_SB_NO_EXEC |
					     CFORK_SB_NO_FS_WRITE |
					     CFORK_SB_COMPUTE), 0);
	cfork_sandbox_free(sb);
	cfork_sandbox_free(NULL);
}

Test(sandbox, bad_rules_fail_at_once)
{
	cfork_sandbox *sb = new_sandbox(0);

	cr_assert_eq(cfork_sandbox_deny(sb, "no_such_call", EPERM), -EINVAL);
	cr_assert_eq(cfork_sandbox_allow(sb, "no_such_call"), -EINVAL);
	cr_assert_eq(cfork_sandbox_deny(sb, NULL, EPERM), -EINVAL);
	cr_assert_eq(cfork_sandbox_deny(NULL, "uname", EPERM), -EINVAL);
	cr_assert_eq(cfork_sandbox_deny(sb, "uname", -1), -EINVAL);
	cr_assert_eq(cfork_sandbox_deny(sb, "uname", 4096), -EINVAL);
	/* The child could never end. */
	cr_assert_eq(cfork_sandbox_deny(sb, "exit_group", 0), -EINVAL);
	cr_assert_eq(cfork_sandbox_deny(sb, "exit", EPERM), -EINVAL);
	cr_assert_eq(cfork_sandbox_deny(sb, "rt_sigreturn", 0), -EINVAL);
	cr_assert_eq(cfork_sandbox_fs(sb, "/nonexistent/cfork", CFORK_FS_READ),
		     -ENOENT);
	cr_assert_eq(cfork_sandbox_fs(sb, "/tmp", 0), -EINVAL);
	cr_assert_eq(cfork_sandbox_fs(sb, "/tmp", 8), -EINVAL);
	cr_assert_eq(cfork_sandbox_rlimit(sb, -1, 1), -EINVAL);
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIM_NLIMITS, 1), -EINVAL);
	cr_assert_eq(cfork_sandbox_namespaces(sb, 1 << 7), -EINVAL);
	cr_assert_eq(cfork_sandbox_policy(sb, 0, CFORK_POLICY_PREFER), -EINVAL);
	cr_assert_eq(cfork_sandbox_policy(sb, 1 << 6, CFORK_POLICY_PREFER),
		     -EINVAL);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_SECCOMP,
					  (cfork_policy)3), -EINVAL);
	cr_assert_eq(cfork_sandbox_cgroup(sb, -2), -EINVAL);
	cr_assert_eq(cfork_sandbox_cgroup(sb, 1000000), -EBADF);
	/* A directory that is not a cgroup. */
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_eq(cfork_sandbox_cgroup(sb, fd), -EINVAL);
	close(fd);
	/* Nothing of it got in: the sandbox still runs a child. */
	struct outcome o = RUN(sb, "sandbox_nothing");
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	cfork_sandbox_free(sb);
}

Test(sandbox, contradictory_rules_fail)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);

	cr_assert_eq(cfork_sandbox_deny(sb, "uname", EPERM), 0);
	cr_assert_eq(cfork_sandbox_deny(sb, "uname", EPERM), 0);
	cr_assert_eq(cfork_sandbox_deny(sb, "uname", EACCES), -EEXIST);
	cr_assert_eq(cfork_sandbox_deny(sb, "uname", 0), -EEXIST);
	cr_assert_eq(cfork_sandbox_allow(sb, "uname"), -EEXIST);
	cr_assert_eq(cfork_sandbox_allow(sb, "getcwd"), 0);
	cr_assert_eq(cfork_sandbox_allow(sb, "getcwd"), 0);
	cr_assert_eq(cfork_sandbox_deny(sb, "getcwd", 0), -EEXIST);
	cfork_sandbox_free(sb);
}

/* A call libseccomp knows on another architecture only is no error. */
Test(sandbox, foreign_call_names_are_accepted)
{
	cfork_sandbox *sb = new_sandbox(0);

#ifdef __x86_64__
	cr_assert_eq(cfork_sandbox_deny(sb, "socketcall", EPERM), 0);
#endif
	cr_assert_eq(cfork_sandbox_deny(sb, "uname", ENOTSUP), 0);
	struct outcome o = RUN(sb, "sandbox_uname", ENOTSUP);
	expect_ok(&o);
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* Presets                                                                   */
/* ------------------------------------------------------------------------ */

Test(sandbox, no_network_denies_inet_sockets)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	struct outcome o = RUN(sb, "sandbox_sockets");

	expect_ok(&o);
	cr_assert(o.applied & CFORK_LAYER_SECCOMP);
	/* Nothing of it in the parent, nor in the next child. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	cr_assert(fd >= 0 || errno == EAFNOSUPPORT);
	if (fd >= 0)
		close(fd);
	o = RUN(NULL, "sandbox_inet_socket");
	expect_ok(&o);
	cr_assert_eq(o.applied, 0);
	cfork_sandbox_free(sb);
}

Test(sandbox, no_exec_denies_execve)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_EXEC);
	struct outcome o = RUN(sb, "sandbox_exec_true");

	expect_ok(&o);
	cfork_sandbox_free(sb);
}

Test(sandbox, no_fs_write_denies_writes_but_not_reads)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_FS_WRITE);
	char *dir = make_tree();
	char out[PATH_MAX];
	struct stat st;

	struct outcome o = RUN(sb, "sandbox_fs_write", dir);
	expect_ok(&o);
	snprintf(out, sizeof(out), "%s/out", dir);
	cr_assert(stat(out, &st) < 0 && errno == ENOENT);
	/* The parent still writes. */
	int fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	remove_tree(dir);
	cfork_sandbox_free(sb);
}

Test(sandbox, compute_denies_open_but_computes)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);
	struct outcome o = RUN(sb, "sandbox_compute", 100);

	cr_assert_eq(o.spawn, 0);
	cr_assert(o.exited && o.code == 0, "exited %d code %d signal %d "
		  "error \"%s\"", o.exited, o.code, o.signal, o.error);
	cr_assert_str_eq(o.result, "5050");
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	cfork_sandbox_free(sb);
}

Test(sandbox, compute_kills_a_socket_and_names_it)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);
	struct outcome o = RUN(sb, "sandbox_open_socket");

	expect_killed_for(&o, "socketpair");
	/* The next child is free again. */
	cr_assert_eq(cfork("sandbox_inet_socket"), OK);
	cfork_sandbox_free(sb);
}

Test(sandbox, presets_combine)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK | CFORK_SB_NO_EXEC);

	struct outcome o = RUN(sb, "sandbox_sockets");
	expect_ok(&o);
	o = RUN(sb, "sandbox_exec_true");
	expect_ok(&o);
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* Rules of the caller                                                      */
/* ------------------------------------------------------------------------ */

Test(sandbox, custom_deny_with_an_errno)
{
	cfork_sandbox *sb = new_sandbox(0);

	cr_assert_eq(cfork_sandbox_deny(sb, "uname", EMLINK), 0);
	struct outcome o = RUN(sb, "sandbox_uname", EMLINK);
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	cfork_sandbox_free(sb);
}

Test(sandbox, custom_deny_that_kills_names_the_call)
{
	cfork_sandbox *sb = new_sandbox(0);

	cr_assert_eq(cfork_sandbox_deny(sb, "uname", 0), 0);
	struct outcome o = RUN(sb, "sandbox_uname", 0);
	expect_killed_for(&o, "uname");
	/* cfork() reports the death as 128 + SIGSYS. */
	cfork_attr attr = CFORK_ATTR_INIT;
	attr.sandbox = sb;
	cr_assert_eq(cfork_runv(&attr, "sandbox_uname",
				(cfork_value[]){ cfork_i64(0) }, 1),
		     128 + SIGSYS);
	cfork_sandbox_free(sb);
}

Test(sandbox, allow_overrides_a_preset)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);

	cr_assert_eq(cfork_sandbox_allow(sb, "socket"), 0);
	struct outcome o = RUN(sb, "sandbox_inet_socket");
	expect_ok(&o);
	cfork_sandbox_free(sb);
}

Test(sandbox, the_child_cannot_take_sigsys_over)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_EXEC);
	struct outcome o = RUN(sb, "sandbox_take_sigsys");

	expect_ok(&o);
	/* Allowing rt_sigaction does not open that door either. */
	cfork_sandbox_free(sb);
	sb = new_sandbox(CFORK_SB_COMPUTE);
	cr_assert_eq(cfork_sandbox_allow(sb, "rt_sigaction"), 0);
	o = RUN(sb, "sandbox_take_sigsys");
	expect_ok(&o);
	cfork_sandbox_free(sb);
}

/* The child of a new pid namespace is its init, which ignores a signal it
   sends itself: the kill must still happen. */
Test(sandbox, a_kill_works_in_a_pid_namespace)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);

	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_PID), 0);
	struct outcome o = RUN(sb, "sandbox_open_socket");
	if (o.spawn == -EPERM || o.spawn == -EINVAL || o.spawn == -ENOSPC) {
		cfork_sandbox_free(sb);
		cr_skip_test("no pid namespace here: %s", strerror(-o.spawn));
	}
	expect_killed_for(&o, "socketpair");
	cr_assert(o.applied & CFORK_LAYER_NAMESPACES);
	cfork_sandbox_free(sb);
}

/* A child that already runs two threads when its function is dispatched
   (a program that starts one before cfork_init()). */
Test(sandbox, a_child_with_threads_gets_all_or_is_told)
{
	char out[2048], line[512];

	if (landlock_abi() < 1)
		cr_skip_test("landlock is not available on this kernel");
	run_test_prog("sandbox_threads parent 2>/dev/null", out, sizeof(out));
	/* Landlock would confine one thread of two: REQUIRE ends the child
	   before its function, PREFER runs it without landlock. */
	cr_assert(strstr(out, "landlock require: exited 1 code 123 signal 0 "
			      "applied 0 error sandbox: landlock would "
			      "confine one thread of several\n"), "%s", out);
	cr_assert(strstr(out, "landlock prefer: exited 1 code 0 signal 0 "
			      "applied 1 error -\n"), "%s", out);
	/* The filter holds the other thread too. */
	snprintf(line, sizeof(line), "compute other thread: exited 0 code 0 "
		 "signal %d applied %d error sandbox: blocked system call "
		 "socketpair (nr ", SIGSYS, CFORK_LAYER_SECCOMP);
	cr_assert(strstr(out, line), "%s", out);
}

/* ------------------------------------------------------------------------ */
/* Other ABIs                                                                */
/* ------------------------------------------------------------------------ */

#ifdef __x86_64__
Test(sandbox, x32_calls_are_killed)
{
	cfork_sandbox *sb = new_sandbox(0);

	/* No rule at all: the filter still checks the ABI. */
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_SECCOMP,
					  CFORK_POLICY_REQUIRE), 0);
	struct outcome o = RUN(sb, "sandbox_nothing");
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	o = RUN(sb, "sandbox_x32_getpid");
	expect_killed_for(&o, "x32");
	cr_assert(strstr(o.error, "getpid"), "%s", o.error);
	cfork_sandbox_free(sb);
}

Test(sandbox, i386_calls_are_killed)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	struct outcome o = RUN(NULL, "sandbox_int80_getpid");

	if (!o.exited || o.code != OK) {
		cfork_sandbox_free(sb);
		cr_skip_test("no i386 ABI on this kernel (child: exited %d "
			     "code %d signal %d)", o.exited, o.code, o.signal);
	}
	o = RUN(sb, "sandbox_int80_getpid");
	expect_killed_for(&o, "i386");
	cr_assert(strstr(o.error, "getpid"), "%s", o.error);
	cfork_sandbox_free(sb);
}
#endif

/* ------------------------------------------------------------------------ */
/* Landlock                                                                  */
/* ------------------------------------------------------------------------ */

Test(sandbox, landlock_confines_reads_to_a_tree)
{
	if (landlock_abi() < 1)
		cr_skip_test("landlock is not available on this kernel");
	cfork_sandbox *sb = new_sandbox(0);
	char *dir = make_tree();
	int fds = count_open_fds();

	cr_assert_eq(cfork_sandbox_fs(sb, dir, CFORK_FS_READ), 0);
	struct outcome o = RUN(sb, "sandbox_landlock_read", dir);
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_LANDLOCK | CFORK_LAYER_SECCOMP);
	/* The object's one fd for the path, nothing more. */
	cr_assert_eq(count_open_fds(), fds + 1);
	cfork_sandbox_free(sb);
	assert_open_fds_settle_to(fds);
	cr_assert_neq(read_hello("/etc/hostname"), -EACCES);
	remove_tree(dir);
}

Test(sandbox, landlock_allows_writes_in_a_tree)
{
	if (landlock_abi() < 1)
		cr_skip_test("landlock is not available on this kernel");
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_EXEC);
	char *dir = make_tree();

	cr_assert_eq(cfork_sandbox_fs(sb, dir, CFORK_FS_READ | CFORK_FS_WRITE),
		     0);
	/* Shared libraries are mapped already: the child needs nothing
	   else of the filesystem. */
	struct outcome o = RUN(sb, "sandbox_landlock_write", dir);
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_LANDLOCK | CFORK_LAYER_SECCOMP);
	remove_tree(dir);
	unlink("/tmp/cfork-sb-outside");
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* Degradation: REQUIRE fails the spawn, PREFER runs and says so            */
/* ------------------------------------------------------------------------ */

Test(sandbox, missing_landlock_fails_require_and_is_skipped_by_prefer)
{
	cfork_sandbox *sb = new_sandbox(0);
	char *dir = make_tree();

	cr_assert_eq(cfork_sandbox_fs(sb, dir, CFORK_FS_READ), 0);
	host_refuses(444 /* landlock_create_ruleset */, ENOSYS, false);
	/* REQUIRE is the default for a layer that has rules. */
	struct outcome o = RUN(sb, "sandbox_nothing");
	cr_assert_eq(o.spawn, -ENOSYS);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_LANDLOCK,
					  CFORK_POLICY_PREFER), 0);
	o = RUN(sb, "sandbox_nothing");
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	remove_tree(dir);
	cfork_sandbox_free(sb);
}

Test(sandbox, missing_seccomp_fails_require_and_is_skipped_by_prefer)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);

	host_refuses(SCMP_SYS(seccomp), ENOSYS, false);
	struct outcome o = RUN(sb, "sandbox_nothing");
	cr_assert_eq(o.spawn, -ENOSYS);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_SECCOMP,
					  CFORK_POLICY_PREFER), 0);
	o = RUN(sb, "sandbox_inet_socket");
	expect_ok(&o);
	cr_assert_eq(o.applied, 0);
	cfork_sandbox_free(sb);
}

/* Docker's answer: clone3 is ENOSYS, clone with a namespace flag EPERM. */
Test(sandbox, refused_namespaces_fail_require_and_are_skipped_by_prefer)
{
	cfork_sandbox *sb = new_sandbox(0);

	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_NET), 0);
	host_refuses(SCMP_SYS(clone3), ENOSYS, false);
	host_refuses(SCMP_SYS(clone), EPERM, true);
	struct outcome o = RUN(sb, "sandbox_nothing");
	cr_assert_eq(o.spawn, -EPERM);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_NAMESPACES,
					  CFORK_POLICY_PREFER), 0);
	o = RUN(sb, "sandbox_inet_socket");
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	/* Spawns without namespaces still take the legacy clone. */
	o = RUN(NULL, "sandbox_nothing");
	expect_ok(&o);
	cfork_sandbox_free(sb);
}

/*
 * What only the child can find out: the probes pass in the parent, the
 * kernel refuses in the child. REQUIRE ends the child with
 * CFORK_EXIT_SANDBOX and the reason; PREFER runs the function without.
 */
Test(sandbox, a_filter_refused_in_the_child_ends_it_under_require)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	/* seccomp(SECCOMP_SET_MODE_FILTER) refused, the probe allowed. */
	cr_assert(ctx);
	cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(seccomp), 1,
				      SCMP_A0(SCMP_CMP_EQ,
					      SECCOMP_SET_MODE_FILTER, 0)), 0);
	cr_assert_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);

	struct outcome o = RUN(sb, "sandbox_inet_socket");
	cr_assert_eq(o.spawn, 0);
	cr_assert(o.exited && o.code == CFORK_EXIT_SANDBOX, "code %d", o.code);
	cr_assert(strstr(o.error, "sandbox: seccomp"), "%s", o.error);
	cr_assert(strstr(o.error, strerror(EPERM)), "%s", o.error);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_SECCOMP,
					  CFORK_POLICY_PREFER), 0);
	o = RUN(sb, "sandbox_inet_socket");
	expect_ok(&o);
	cr_assert_eq(o.applied, 0);
	cfork_sandbox_free(sb);
}

Test(sandbox, landlock_refused_in_the_child_ends_it_under_require)
{
	if (landlock_abi() < 1)
		cr_skip_test("landlock is not available on this kernel");
	cfork_sandbox *sb = new_sandbox(0);
	char *dir = make_tree();

	cr_assert_eq(cfork_sandbox_fs(sb, dir, CFORK_FS_READ), 0);
	host_refuses(446 /* landlock_restrict_self */, EPERM, false);
	struct outcome o = RUN(sb, "sandbox_nothing");
	cr_assert_eq(o.spawn, 0);
	cr_assert(o.exited && o.code == CFORK_EXIT_SANDBOX, "code %d", o.code);
	cr_assert(strstr(o.error, "sandbox: landlock_restrict_self"), "%s",
		  o.error);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_LANDLOCK,
					  CFORK_POLICY_PREFER), 0);
	o = RUN(sb, "sandbox_nothing");
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	remove_tree(dir);
	cfork_sandbox_free(sb);
}

Test(sandbox, off_applies_nothing)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);

	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_SECCOMP,
					  CFORK_POLICY_OFF), 0);
	struct outcome o = RUN(sb, "sandbox_inet_socket");
	expect_ok(&o);
	cr_assert_eq(o.applied, 0);
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* Resource limits, namespaces, cgroup                                       */
/* ------------------------------------------------------------------------ */

Test(sandbox, an_address_space_limit_fails_a_large_malloc)
{
	if (UNDER_ASAN)
		cr_skip_test("ASan's shadow memory needs more address space "
			     "than the limit");
	cfork_sandbox *sb = new_sandbox(0);
	const int64_t big = (int64_t)1 << 30;

	/* Without the limit the same allocation works. */
	struct outcome o = RUN(sb, "sandbox_big_malloc", big);
	cr_assert(o.exited && o.code == 1, "code %d", o.code);
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_AS, 256 << 20), 0);
	o = RUN(sb, "sandbox_big_malloc", big);
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_RLIMITS | CFORK_LAYER_SECCOMP);
	cfork_sandbox_free(sb);
}

/* Landlock needs an fd of its own: a limit of three open files must not
   keep it from the child. */
Test(sandbox, limits_come_after_landlock)
{
	if (landlock_abi() < 1)
		cr_skip_test("landlock is not available on this kernel");
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_EXEC);
	char *dir = make_tree();

	cr_assert_eq(cfork_sandbox_fs(sb, dir, CFORK_FS_READ), 0);
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_NOFILE, 3), 0);
	struct outcome o = RUN(sb, "sandbox_nothing");
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP | CFORK_LAYER_LANDLOCK |
				CFORK_LAYER_RLIMITS);
	remove_tree(dir);
	cfork_sandbox_free(sb);
}

static void drop_cap_sys_resource(void)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	cr_assert_eq(syscall(SYS_capget, &head, data), 0);
	data[0].effective &= ~(1u << CAP_SYS_RESOURCE);
	data[0].permitted &= ~(1u << CAP_SYS_RESOURCE);
	cr_assert_eq(syscall(SYS_capset, &head, data), 0);
}

Test(sandbox, a_limit_above_the_hard_one_needs_privilege)
{
	cfork_sandbox *sb = new_sandbox(0);
	struct rlimit rl = { 256, 512 };

	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	drop_cap_sys_resource();
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_NOFILE, 1024), 0);
	struct outcome o = RUN(sb, "sandbox_nofile");
	cr_assert_eq(o.spawn, -EPERM);
	/* PREFER: the child tries, keeps the limit it has, and says so. */
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_RLIMITS,
					  CFORK_POLICY_PREFER), 0);
	o = RUN(sb, "sandbox_nofile");
	expect_ok(&o);
	cr_assert_str_eq(o.result, "256/512");
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
	/* Lowering needs nothing. */
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_NOFILE, 64), 0);
	o = RUN(sb, "sandbox_nofile");
	expect_ok(&o);
	cr_assert_str_eq(o.result, "64/64");
	cr_assert_eq(o.applied, CFORK_LAYER_RLIMITS | CFORK_LAYER_SECCOMP);
	cfork_sandbox_free(sb);
}

Test(sandbox, namespaces_isolate_the_child)
{
	cfork_sandbox *sb = new_sandbox(0);
	char link[64] = "";

	cr_assert_gt(readlink("/proc/self/ns/net", link, sizeof(link) - 1), 0);
	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_USER | CFORK_NS_NET |
						      CFORK_NS_PID | CFORK_NS_IPC |
						      CFORK_NS_UTS | CFORK_NS_MOUNT |
						      CFORK_NS_CGROUP), 0);
	struct outcome o = RUN(sb, "sandbox_in_namespaces", link);
	if (o.spawn == -EPERM || o.spawn == -ENOSPC || o.spawn == -EINVAL ||
	    o.spawn == -EUSERS) {
		cfork_sandbox_free(sb);
		cr_skip_test("namespaces refused here: %s", strerror(-o.spawn));
	}
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_NAMESPACES | CFORK_LAYER_SECCOMP);
	cfork_sandbox_free(sb);
}

/* A cgroup v2 directory of this test's own, or NULL. */
static char *make_cgroup(const char *name)
{
	static const char *roots[] = { "/sys/fs/cgroup",
				       "/sys/fs/cgroup/unified" };
	char self[256] = "", path[PATH_MAX];
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return NULL;
	while (fgets(self, sizeof(self), f) && strncmp(self, "0::", 3))
		;
	fclose(f);
	if (strncmp(self, "0::", 3))
		return NULL;
	self[strcspn(self, "\n")] = '\0';
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s/cgroup.procs", roots[i],
			 self + 3);
		if (access(path, W_OK) < 0)
			continue;
		snprintf(path, sizeof(path), "%s%s/%s-%d", roots[i],
			 strcmp(self + 3, "/") ? self + 3 : "", name,
			 (int)getpid());
		if (mkdir(path, 0755) == 0)
			return strdup(path);
	}
	return NULL;
}

Test(sandbox, a_cgroup_holds_the_child)
{
	char *cg = make_cgroup("cfork-sb");

	if (!cg)
		cr_skip_test("no writable cgroup v2 here");
	cfork_sandbox *sb = new_sandbox(0);
	int fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(cfork_sandbox_cgroup(sb, fd), 0);
	close(fd);
	struct outcome o = RUN(sb, "sandbox_in_cgroup", strrchr(cg, '/'));
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_CGROUP | CFORK_LAYER_SECCOMP);

	/* The cgroup is gone: REQUIRE fails, PREFER starts the child in
	   the caller's cgroup. */
	cr_assert_eq(rmdir(cg), 0);
	o = RUN(sb, "sandbox_nothing");
	cr_assert_lt(o.spawn, 0);
	cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_CGROUP,
					  CFORK_POLICY_PREFER), 0);
	o = RUN(sb, "sandbox_nothing");
	expect_ok(&o);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);

	/* Two cgroups for one child is an error, both of them real: the
	   sandbox's (gone, but its fd is still a cgroup's) and the parent
	   of it. */
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;
	attr.sandbox = sb;
	*strrchr(cg, '/') = '\0';
	attr.cgroup_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(attr.cgroup_fd, 0);
	cr_assert_eq(cfork_spawn(&p, &attr, "sandbox_nothing"), -EINVAL);
	close(attr.cgroup_fd);
	cfork_sandbox_free(sb);
	free(cg);
}

/* ------------------------------------------------------------------------ */
/* One object, many threads                                                  */
/* ------------------------------------------------------------------------ */

#define THREADS 8
#define SPAWNS 8

struct worker {
	cfork_sandbox *sb;
	int index;
	int failures;
};

static void *spawn_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < SPAWNS; i++) {
		long n = w->index * 100 + i;
		char want[32];
		struct outcome o = RUN(w->sb, "sandbox_compute", n);

		snprintf(want, sizeof(want), "%ld", n * (n + 1) / 2);
		if (o.spawn || !o.exited || o.code != 0 ||
		    strcmp(o.result, want) ||
		    o.applied != CFORK_LAYER_SECCOMP)
			w->failures++;
	}
	return NULL;
}

/* Rules that change the filter while the others spawn: each change
   compiles it again. */
static void *change_rules(void *arg)
{
	static const char *names[] = { "uname", "getcwd", "chdir", "sync",
				       "getuid", "getgid", "setsid", "umask",
				       "times", "getpgrp" };
	struct worker *w = arg;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (cfork_sandbox_deny(w->sb, names[i], ENOSYS) != 0)
			w->failures++;
		sched_yield();
	}
	return NULL;
}

Test(sandbox, one_sandbox_serves_many_threads)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);
	struct worker w[THREADS + 1];
	pthread_t t[THREADS + 1];
	int fds = count_open_fds();

	for (int i = 0; i <= THREADS; i++) {
		w[i] = (struct worker){ sb, i, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL,
					    i < THREADS ? spawn_many :
							  change_rules,
					    &w[i]), 0);
	}
	for (int i = 0; i <= THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].failures, 0, "thread %d: %d failures", i,
			     w[i].failures);
	}
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* The payload's sandbox section: checked before the child trusts it        */
/* ------------------------------------------------------------------------ */

/* A section with a filter, one landlock path (if the kernel has landlock)
   and one limit, as a spawn would make it. */
static void section_build(struct sandbox_plan *plan, cfork_sandbox **sb)
{
	const cfork_attr attr = CFORK_ATTR_INIT;

	*sb = new_sandbox(CFORK_SB_NO_NETWORK);
	cr_assert_eq(cfork_sandbox_rlimit(*sb, RLIMIT_CORE, 0), 0);
	cr_assert_eq(cfork_sandbox_fs(*sb, "/tmp", CFORK_FS_READ), 0);
	cr_assert_eq(cfork_sandbox_policy(*sb, CFORK_LAYER_LANDLOCK,
					  CFORK_POLICY_PREFER), 0);
	*plan = (struct sandbox_plan){ .launch.cgroup_fd = -1,
				       .section.base_ruleset = -1 };
	cr_assert_eq(sandbox_prepare(*sb, &attr, plan), 0);
	cr_assert_not_null(plan->section.blob);
}

static struct section_head *mhead(struct sandbox_plan *plan)
{
	return plan->section.blob;
}

static struct section_path *mpath(struct sandbox_plan *plan)
{
	return (struct section_path *)((char *)plan->section.blob +
				      sizeof(struct section_head) +
				      mhead(plan)->nfilter * SECTION_INSN_SIZE);
}

static struct section_limit *mlimit(struct sandbox_plan *plan)
{
	return (struct section_limit *)(mpath(plan) + mhead(plan)->npaths);
}

Test(sandbox, a_real_section_is_accepted_through_the_payload)
{
	struct sandbox_plan plan;
	struct payload_out w;
	cfork_sandbox *sb;
	cfork_args a;
	const char *why = NULL;

	section_build(&plan, &sb);
	struct section_head *h = mhead(&plan);
	cr_assert_eq(plan.section.len,
		     sizeof(*h) + h->nfilter * SECTION_INSN_SIZE +
		     h->npaths * sizeof(struct section_path) +
		     h->nlimits * sizeof(struct section_limit),
		     "the section is not laid out as wire.h says");
	cr_assert(h->layers & CFORK_LAYER_SECCOMP && h->nfilter > 0);
	cr_assert_eq(h->nlimits, 1);
	cr_assert_eq(mlimit(&plan)->resource, RLIMIT_CORE);
	cr_assert_null(section_check(plan.section.blob, plan.section.len));

	/* Through wire_encode_sandbox and wire_decode, padding and all. */
	cr_assert_eq(wire_encode_sandbox(&w, "sandbox_nothing", true, 4, 0,
					 (const cfork_value[]){ cfork_str("x") },
					 1, plan.section.blob, plan.section.len), 0);
	unsigned char *b = malloc(w.size);
	size_t off = 0;
	cr_assert_not_null(b);
	for (size_t i = 0; i < w.niov; i++) {
		memcpy(b + off, w.iov[i].iov_base, w.iov[i].iov_len);
		off += w.iov[i].iov_len;
	}
	cr_assert_eq(payload_decode(&a, b, w.size, &why), 0, "%s", why);
	cr_assert_eq(a.sandbox_len, plan.section.len);
	cr_assert_eq(memcmp(a.sandbox, plan.section.blob, plan.section.len), 0);
	cr_assert_str_eq(cfork_arg_str(&a, 0), "x");

	/* The length word right after the argument table. */
	uint64_t *len = (uint64_t *)((unsigned char *)a.sandbox - 8);
	*len = 0;
	cr_assert_eq(payload_decode(&a, b, w.size, &why), -EINVAL);
	cr_assert(strstr(why, "sandbox"), "%s", why);
	*len = w.size;
	cr_assert_eq(payload_decode(&a, b, w.size, &why), -EINVAL);
	cr_assert(strstr(why, "sandbox"), "%s", why);

	free(b);
	payload_out_release(&w);
	sandbox_plan_release(&plan);
	cfork_sandbox_free(sb);
}

Test(sandbox, an_identity_travels_in_the_section_sorted_and_checked)
{
	const cfork_attr attr = CFORK_ATTR_INIT;
	struct sandbox_plan plan = { .launch.cgroup_fd = -1 };
	cfork_sandbox *sb = new_sandbox(0);
	gid_t mine[64], sorted[64];
	int n = getgroups(64, mine);

	cr_assert_geq(n, 0);
	/* The caller's own ids: no privilege needed, on any host. Given
	   backwards and twice, they travel sorted and once. */
	gid_t given[130];
	for (int i = 0; i < n; i++)
		given[i] = given[2 * n - 1 - i] = mine[i];
	cr_assert_eq(cfork_sandbox_identity(sb, getuid(), getgid(), given,
					    (size_t)(2 * n)), 0);
	cr_assert_eq(sandbox_prepare(sb, &attr, &plan), 0);
	struct section_head *h = mhead(&plan);
	cr_assert(h->layers & h->require & CFORK_LAYER_IDENTITY);
	cr_assert_eq(h->uid, getuid());
	cr_assert_eq(h->gid, getgid());
	cr_assert_null(section_check(plan.section.blob, plan.section.len));
	const uint32_t *g = (const uint32_t *)((const char *)plan.section.blob +
					      plan.section.len) - h->ngroups;
	for (uint32_t i = 1; i < h->ngroups; i++)
		cr_assert_lt(g[i - 1], g[i]);
	memcpy(sorted, mine, (size_t)n * sizeof(*mine));
	for (int i = 0; i < n; i++) {
		bool found = false;
		for (uint32_t j = 0; j < h->ngroups; j++)
			found |= g[j] == sorted[i];
		cr_assert(found, "group %u missing", sorted[i]);
	}
	cr_assert_eq(plan.launch.uid_map_len, 0, "a map without CFORK_NS_USER");
	sandbox_plan_release(&plan);

	/* With CFORK_NS_USER: the launch's maps, the caller outside. */
	cr_assert_eq(cfork_sandbox_identity(sb, 4321, 4322, NULL, 0), 0);
	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_USER), 0);
	plan = (struct sandbox_plan){ .launch.cgroup_fd = -1 };
	cr_assert_eq(sandbox_prepare(sb, &attr, &plan), 0);
	char want[64];
	snprintf(want, sizeof(want), "4321 %u 1\n", (unsigned)geteuid());
	cr_assert_str_eq(plan.launch.uid_map, want);
	snprintf(want, sizeof(want), "4322 %u 1\n", (unsigned)getegid());
	cr_assert_str_eq(plan.launch.gid_map, want);
	cr_assert(mhead(&plan)->flags & SECTION_USERNS_MAP);
	sandbox_plan_release(&plan);
	cfork_sandbox_free(sb);
}

Test(sandbox, damaged_sections_are_refused)
{
	static const struct {
		const char *what, *reason;
		int field;
	} damage[] = {
		{ "a layer the child does not apply", "layers", 0 },
		{ "required but not applied", "layers", 1 },
		{ "unknown flag", "flags", 2 },
		{ "filter too long", "filter", 3 },
		{ "filter without its layer", "filter", 4 },
		{ "too many paths", "landlock rules", 5 },
		{ "limits without their count", "limits", 6 },
		{ "unknown landlock right", "landlock rights", 7 },
		{ "unknown landlock scope", "landlock rights", 8 },
		{ "length short by 8", "size", 14 },
		{ "path fd below 3", "landlock rule", 9 },
		{ "reserved path field", "landlock rule", 10 },
		{ "right not handled", "landlock rule", 11 },
		{ "resource out of range", "resource limit", 12 },
		{ "reserved limit field", "resource limit", 13 },
		{ "a base ruleset fd below 3", "landlock ruleset", 15 },
		{ "a base ruleset fd without its flag", "landlock ruleset", 21 },
		{ "an identity without its layer", "identity", 16 },
		{ "too many groups", "identity", 17 },
		{ "groups in a mapped user namespace", "identity", 18 },
		{ "the identity (uid_t)-1", "identity", 19 },
		{ "groups past the end", "size", 20 },
	};

	for (size_t i = 0; i < sizeof(damage) / sizeof(*damage); i++) {
		struct sandbox_plan plan;
		cfork_sandbox *sb;

		section_build(&plan, &sb);
		struct section_head *h = mhead(&plan);
		size_t len = plan.section.len;
		int f = damage[i].field;
		if (f >= 9 && f <= 11 && !h->npaths) {
			/* No landlock here: no path to damage. */
			sandbox_plan_release(&plan);
			cfork_sandbox_free(sb);
			continue;
		}
		switch (f) {
		case 0: h->layers |= CFORK_LAYER_NAMESPACES; break;
		case 1: h->require |= CFORK_LAYER_CGROUP; break;
		case 2: h->flags |= 16; break;
		case 3: h->nfilter = 4097; break;
		case 4: h->layers &= ~CFORK_LAYER_SECCOMP;
			h->require &= ~CFORK_LAYER_SECCOMP; break;
		case 5: h->npaths = 65; break;
		case 6: h->nlimits = 0; break;
		case 7: h->handled_fs |= 1ULL << 40; break;
		case 8: h->scoped |= 1ULL << 5; break;
		case 9: mpath(&plan)->fd = 2; break;
		case 10: mpath(&plan)->reserved = 1; break;
		case 11: mpath(&plan)->access = 1ULL << 30; break;
		case 12: mlimit(&plan)->resource = RLIM_NLIMITS; break;
		case 13: mlimit(&plan)->reserved = 1; break;
		case 14: len -= 8; break;
		case 15: h->flags |= SECTION_BASE_RULESET;
			h->base_ruleset = 2; break;
		case 16: h->uid = 5; break;
		case 17: h->layers |= CFORK_LAYER_IDENTITY;
			h->ngroups = SECTION_GROUPS_MAX + 1; break;
		case 18: h->layers |= CFORK_LAYER_IDENTITY;
			h->flags |= SECTION_USERNS_MAP; h->ngroups = 1; break;
		case 19: h->layers |= CFORK_LAYER_IDENTITY;
			h->uid = SECTION_ID_NONE; break;
		case 20: h->layers |= CFORK_LAYER_IDENTITY;
			h->ngroups = 2; break;
		case 21: h->flags &= ~SECTION_BASE_RULESET;
			h->base_ruleset = 5; break;
		}
		const char *why = section_check(plan.section.blob, len);
		cr_assert_not_null(why, "%s: accepted", damage[i].what);
		cr_assert(strstr(why, damage[i].reason), "%s: reason \"%s\"",
			  damage[i].what, why);
		sandbox_plan_release(&plan);
		cfork_sandbox_free(sb);
	}
}

/* A daemon closes every fd above 2 after its start and opens others under
   the same numbers: cfork's fd of the base's landlock ruleset among them.
   A number that is now a pipe, an argument or a ruleset of the program's
   own must not reach the child as the base's: its argument and result
   would be lost, or its domain would let it write its caller's /proc. */
Test(sandbox, a_caller_that_closes_its_fds_keeps_its_childrens_base_domain)
{
	char out[4096];

	run_test_prog("closed_fds", out, sizeof(out));
}

/* Makes dir/a/f, moves it to dir/b/f, links it back as dir/a/g. */
static int sandbox_move_between_directories(const cfork_args *a)
{
	const char *dir = cfork_arg_str(a, 0);
	char from[256], to[256], back[256];

	snprintf(from, sizeof(from), "%s/a/f", dir);
	snprintf(to, sizeof(to), "%s/b/f", dir);
	snprintf(back, sizeof(back), "%s/a/g", dir);
	int fd = open(from, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	close(fd);
	if (rename(from, to) < 0)
		return errno == EXDEV ? 2 : 3;
	if (link(to, back) < 0)
		return errno == EXDEV ? 4 : 5;
	return OK;
}
CFORK_REGISTER(sandbox_move_between_directories, "s");

/* A landlock domain that does not handle the move of a file between
   directories refuses every such rename and link (EXDEV); the base's
   handles it and allows it wherever it allows writing. */
Test(sandbox, a_sandboxed_child_can_move_a_file_between_directories)
{
	char dir[] = "/tmp/cfork-move-XXXXXX", sub[64];
	cfork_sandbox *sb = new_sandbox(0);

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/b", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	struct outcome o = RUN(sb, "sandbox_move_between_directories", dir);
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	cr_assert_eq(system(rm), 0);
	cfork_sandbox_free(sb);
	expect_ok(&o);
}
