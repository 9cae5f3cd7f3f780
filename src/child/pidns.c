/* SPDX-License-Identifier: MIT */
/*
 * A minimal init for CFORK_NS_PID. The child of a new pid namespace is its
 * pid 1, which the kernel keeps from every signal it has no handler for
 * when it comes from inside the namespace (its own abort(), a raise()) and
 * from all but SIGKILL and SIGSTOP when it comes from outside (the
 * parent's cfork_kill(SIGTERM)): the function would not end the way it
 * ends anywhere else. So pid 1 stays cfork's: it forks the function as pid
 * 2, passes on every signal it is sent, and when pid 2 has ended kills and
 * reaps whatever is left in the namespace, then tells the parent how pid 2
 * ended on a channel pid 2 never had (wire.h, struct pidns_end). It runs
 * nothing but this file, unsandboxed; it makes itself non-dumpable, so that
 * a process of the same uid cannot reach its fds through /proc.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "sys.h"
#include "wire.h"

static pid_t pidns_child;

/* Async-signal context: a signal for the namespace is pid 2's. */
static void pidns_forward(int sig)
{
	kill(pidns_child, sig);
}

static _Noreturn void pidns_init(int status_fd)
{
	struct pidns_end end = { .magic = PIDNS_END_MAGIC };
	struct sigaction sa = { .sa_handler = pidns_forward };
	siginfo_t si = { 0 };
	sigset_t none;

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	sigfillset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Reap until pid 2 ends: orphans of the namespace are ours too. */
	for (;;) {
		struct rusage ru;
		int status;
		pid_t pid = wait4(-1, &status, __WALL, &ru);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		/* A ptrace stop, not an end (common/trace_stop.c): pid 2,
		   unfiltered, may have made this init its tracer. */
		if (WIFSTOPPED(status)) {
			(void)trace_stop_let_go(pid, WSTOPSIG(status));
			continue;
		}
		if (pid != pidns_child)
			continue;
		end = pidns_end_encode(status, &ru);
		break;
	}
	/* Nothing is left alive to write after this one. */
	kill(-1, SIGKILL);
	while (waitid(P_ALL, 0, &si, WEXITED | __WALL) == 0 || errno == EINTR)
		;
	(void)!write(status_fd, &end, sizeof(end));
	_exit(0);
}

/* The caller's signal mask, which the child takes over only now. */
static void restore_mask(uint64_t mask)
{
	sys_sigprocmask(SIG_SETMASK, &mask, NULL);
}

void pidns_split(int status_fd, uint64_t sigmask)
{
	if (status_fd < 0)
		return;
	/* The launch dropped the namespace (PREFER): nothing to stand in for. */
	if (getpid() != 1) {
		close(status_fd);
		restore_mask(sigmask);
		return;
	}
	/* Signals stay blocked across the fork: one for the namespace that
	   comes before the handlers is pending, not lost. SIGCHLD is the
	   init's before the fork: ignored (exec keeps it from the caller),
	   a pid 2 that ended before the init set it would be reaped by the
	   kernel, and its end lost. */
	struct sigaction dfl = { .sa_handler = SIG_DFL }, callers;
	(void)sigaction(SIGCHLD, &dfl, &callers);
	pid_t pid = fork();
	if (pid < 0)
		child_fail(CFORK_EXIT_SANDBOX,
			   "sandbox: the pid namespace's init cannot fork: %s",
			   strerror(errno));
	if (pid == 0) {
		/* The function keeps what the caller had. */
		(void)sigaction(SIGCHLD, &callers, NULL);
		close(status_fd);
		restore_mask(sigmask);
		return;
	}
	pidns_child = pid;
	pidns_init(status_fd);
}
