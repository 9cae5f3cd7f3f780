/* SPDX-License-Identifier: MIT */
/*
 * Launch: clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) onto a private stack,
 * set the child up, execveat() the program's own binary.
 *
 * Between clone and exec the child runs on the parent's memory while the
 * parent thread is suspended: it may not allocate, lock, use stdio or touch
 * errno. It calls only raw system calls (arch/<arch>/syscall.h), which are
 * async-signal-safe by nature, and reports a failure by storing the errno in
 * the request, which the parent reads once clone returns (CLONE_VFORK returns
 * only after the child has exec'd or exited).
 *
 * Signals stay blocked from before the clone until the child's constructor,
 * after exec: no handler of the parent can run on the parent's memory in the
 * child, at any moment. The caller holds them from before the payload is
 * written (launch_hold_signals): the mask it saves is the one the child
 * restores, and a SIGXFSZ from the write-out cannot end the caller. Exec itself resets every handled signal to SIG_DFL
 * (and keeps SIG_IGN), and the constructor restores the caller's mask, which
 * travels in the payload. This spares the child a sigaction per signal
 * before exec and leaves no window in which a handler could run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "raw_syscall.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_VER2 88

/* The child's stack, on the suspended parent's stack as musl does: the child
   makes only system calls, so a few pages are plenty. */
#define LAUNCH_STACK_SIZE 16384

/* The sanitizers' runtimes are not async-signal-safe, and a shadow-memory
   update would be made on the parent's behalf. */
#define PRE_EXEC __attribute__((noinline, no_sanitize("address"),	\
				no_sanitize("undefined")))

long arch_clone(long nr, long a1, long a2, long a3, int (*fn)(void *),
		void *arg);

struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* Learnt once per process: a seccomp profile that refuses clone3 refuses it
   for every call. */
static atomic_bool clone3_blocked;

/* Writes the decimal pid to cgroup.procs of the target cgroup: the legacy
   clone has no CLONE_INTO_CGROUP. */
static PRE_EXEC long join_cgroup(int cgroup_fd)
{
	char digits[16];
	size_t n = sizeof(digits);
	long pid = SYS(SYS_getpid), fd, r;

	do
		digits[--n] = (char)('0' + pid % 10);
	while ((pid /= 10) && n);
	fd = SYS(SYS_openat, cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = SYS(SYS_write, fd, digits + n, sizeof(digits) - n);
	SYS(SYS_close, fd);
	return r < 0 ? r : 0;
}

/* Where CLONE_VM is emulated by a fork (valgrind, qemu-user) the parent never
   sees child_error: the report channel says it too, as an error frame
   (report.c). Three pieces gathered by writev, so that nothing is copied:
   a compiler may turn a copy loop into a call to memcpy, instrumented under
   a sanitizer. */
static PRE_EXEC void report_early_failure(int report_fd, int err)
{
	static const char text[] = "launch failed before exec: errno ";
	char digits[12];
	size_t n = sizeof(digits);
	uint32_t head[2];
	struct iovec iov[3];

	do
		digits[--n] = (char)('0' + err % 10);
	while ((err /= 10) && n);
	head[0] = REPORT_ERROR;
	head[1] = (uint32_t)(sizeof(text) - 1 + sizeof(digits) - n);
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof(head);
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = sizeof(text) - 1;
	iov[2].iov_base = digits + n;
	iov[2].iov_len = sizeof(digits) - n;
	SYS(SYS_writev, report_fd, iov, 3);
}

static PRE_EXEC int pre_exec_child(void *arg)
{
	struct launch_request *req = arg;
	int src[3];
	long r;

	/* stdio: a source that is itself 0, 1 or 2 is first moved above 2,
	   so that swapping stdout and stderr works. */
	for (int i = 0; i < 3; i++) {
		src[i] = req->stdio[i];
		if (src[i] >= 0 && src[i] < 3 && src[i] != i) {
			r = SYS(SYS_fcntl, src[i], F_DUPFD_CLOEXEC, 3);
			if (r < 0)
				goto fail;
			src[i] = (int)r;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (src[i] < 0)
			continue;
		r = src[i] == i ? SYS(SYS_fcntl, i, F_SETFD, 0) :
				  SYS(SYS_dup3, src[i], i, 0);
		if (r < 0)
			goto fail;
	}

	/* Exactly the kept fds cross exec: every other one is marked
	   close-on-exec, whether or not the parent opened it so. */
	r = SYS(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (r < 0) {
		/* Before 5.11: every fd up to the limit, at most 2^20. */
		struct { uint64_t cur, max; } nofile = { 1u << 20, 1u << 20 };
		SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &nofile);
		if (nofile.cur > (1u << 20))
			nofile.cur = 1u << 20;
		for (unsigned fd = 3; fd < nofile.cur; fd++)
			SYS(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < req->nkeep_fds; i++) {
		r = SYS(SYS_fcntl, req->keep_fds[i], F_SETFD, 0);
		if (r < 0)
			goto fail;
	}

	if (req->cgroup_pending) {
		r = join_cgroup(req->cgroup_fd);
		if (r < 0)
			goto fail;
	}

	/* Nothing the child execs can gain privileges (setuid, file
	   capabilities): it is a worker of this program, not a login. */
	r = SYS(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r < 0)
		goto fail;

	if (req->pdeathsig) {
		r = SYS(SYS_prctl, PR_SET_PDEATHSIG, req->pdeathsig);
		if (r < 0)
			goto fail;
		/* The parent may have died before the prctl took effect. In
		   a new pid namespace the parent is outside it: getppid()
		   is 0, and there is nothing to compare. */
		r = SYS(SYS_getppid);
		if (r != req->parent_pid &&
		    !(r == 0 && (req->ns_flags & CLONE_NEWPID))) {
			r = -ESRCH;
			goto fail;
		}
	}

	r = SYS(SYS_execveat, req->exe_fd, "", req->argv, req->envp,
		AT_EMPTY_PATH);
fail:
	req->child_error = (int)-r;
	report_early_failure(req->report_fd, (int)-r);
	SYS(SYS_exit, 127);
	return 127;
}

static void discard_reports(int fd)
{
	char buf[256];

	while (fd >= 0 && (read(fd, buf, sizeof(buf)) > 0 || errno == EINTR))
		;
}

static void reap(pid_t pid)
{
	siginfo_t si;

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | __WALL) < 0 &&
	       errno == EINTR)
		;
}

/* Every signal, glibc's internal ones too (its pthread_sigmask would leave
   them open): the child inherits this mask across exec. */
uint64_t launch_hold_signals(void)
{
	const uint64_t all = ~(uint64_t)0;
	uint64_t saved = 0;

	SYS(SYS_rt_sigprocmask, SIG_SETMASK, &all, &saved, 8);
	return saved;
}

void launch_release_signals(uint64_t saved)
{
	SYS(SYS_rt_sigprocmask, SIG_SETMASK, &saved, 0, 8);
}

int launch(struct launch_request *req, struct launch_result *res)
{
	_Alignas(16) unsigned char stack[LAUNCH_STACK_SIZE];
	int pidfd = -1;
	long pid = -ENOSYS;

	req->child_error = 0;
	req->cgroup_pending = false;
	res->paths = 0;

	if (!atomic_load_explicit(&clone3_blocked, memory_order_relaxed)) {
		/* exit_signal 0: a child that dies before exec sends the
		   host no SIGCHLD (exec itself resets it to SIGCHLD). */
		struct clone3_args ca = {
			.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD |
				 req->ns_flags,
			.pidfd = (uintptr_t)&pidfd,
			.exit_signal = 0,
			.stack = (uintptr_t)stack,
			.stack_size = sizeof(stack),
		};
		size_t size = CLONE_ARGS_SIZE_VER0;

		if (req->cgroup_fd >= 0) {
			ca.flags |= CLONE_INTO_CGROUP_FLAG;
			ca.cgroup = (uint64_t)req->cgroup_fd;
			size = CLONE_ARGS_SIZE_VER2;
		}
		pid = arch_clone(SYS_clone3, (long)&ca, (long)size, 0,
				 pre_exec_child, req);
		/* EPERM with a cgroup or a namespace may be their answer,
		   not a profile refusing clone3. */
		if (pid == -ENOSYS || (pid == -EPERM && req->cgroup_fd < 0 &&
				       !req->ns_flags))
			atomic_store_explicit(&clone3_blocked, true,
					      memory_order_relaxed);
		/* With a cgroup, EPERM may be the cgroup's answer and E2BIG or
		   EINVAL a kernel before CLONE_INTO_CGROUP (5.7): the legacy
		   path joins the cgroup itself and reports the real error. */
		if (req->cgroup_fd >= 0 && (pid == -E2BIG || pid == -EINVAL))
			pid = -ENOSYS;
		if (pid >= 0)
			res->paths |= CFORK_PATH_CLONE3;
	}
	if (pid == -ENOSYS || pid == -EPERM) {
		/* Docker's default profile answers ENOSYS to clone3 but allows
		   clone without namespace flags; older profiles said EPERM. */
		long top = (long)(stack + sizeof(stack));

		req->cgroup_pending = req->cgroup_fd >= 0;
		long flags = CLONE_VM | CLONE_VFORK | (long)req->ns_flags;

		pid = arch_clone(SYS_clone, flags | CLONE_PIDFD, top,
				 (long)&pidfd, pre_exec_child, req);
		if (pid == -EINVAL) /* before Linux 5.2: no CLONE_PIDFD */
			pid = arch_clone(SYS_clone, flags, top, 0,
					 pre_exec_child, req);
	}

	if (pid < 0)
		return (int)pid;
	if (req->child_error) {
		/* The parent knows: the frame sent for emulated forks is
		   stale, and a retry must not find it in the channel. */
		discard_reports(req->report_rd);
		reap((pid_t)pid);
		if (pidfd >= 0)
			close(pidfd);
		return -req->child_error;
	}
	/* An unreaped child cannot be recycled, so pidfd_open is race-free. */
	if (pidfd < 0)
		pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	res->pid = (pid_t)pid;
	res->pidfd = pidfd >= 0 ? pidfd : -1;
	if (pidfd >= 0)
		res->paths |= CFORK_PATH_PIDFD;
	return 0;
}
