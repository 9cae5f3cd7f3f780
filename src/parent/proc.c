/* SPDX-License-Identifier: MIT */
/*
 * The parent's handle on one child: accessors, kill, free, and proc_step(),
 * one step that never blocks: drain what the report channel holds (a
 * bounded amount), try to reap, and once the child has ended fill the
 * status. cfork_wait() (wait.c) is the blocking loop around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"
#include "sandbox/sandbox.h"
#include "wire.h"

/* Bytes read per step while the child runs: a child that writes without
   pause cannot hold a step (or a timed wait) for long. */
#define STEP_BYTES ((size_t)1 << 20)

struct cfork_proc {
	pid_t pid;
	int pidfd;
	int report_fd;		/* read end, non-blocking */
	/* The child's end, held until the reaping: the child's exit then
	   wakes a waiter once (pidfd), not twice (pipe hang-up, then pidfd). */
	int report_wr;
	unsigned paths;
	unsigned sandbox;	/* CFORK_LAYER_* applied by the launch */
	bool reaped;
	siginfo_t exit_info;
	struct report_reader inbox;
	char blocked_text[160];	/* st.error for a blocked call */
};

int proc_new(cfork_proc **ret)
{
	cfork_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->pid = -1;
	p->pidfd = -1;
	p->report_fd = -1;
	p->report_wr = -1;
	p->inbox.result_max = CFORK_RESULT_MAX;
	*ret = p;
	return 0;
}

void proc_attach(cfork_proc *p, const struct launch_result *res,
		 const int report[2])
{
	p->report_fd = report[0];
	p->report_wr = report[1];
	/* Without a pidfd the hang-up is the only prompt sign of the exit. */
	if (res->pidfd < 0) {
		close(p->report_wr);
		p->report_wr = -1;
	}
	p->pid = res->pid;
	p->pidfd = res->pidfd;
	p->paths = res->paths;
}

pid_t cfork_pid(const cfork_proc *p)
{
	return p ? p->pid : -1;
}

int cfork_pidfd(const cfork_proc *p)
{
	return p ? p->pidfd : -1;
}

unsigned cfork_paths(const cfork_proc *p)
{
	return p ? p->paths : 0;
}

void proc_limits(cfork_proc *p, size_t result_max)
{
	p->inbox.result_max = result_max ? result_max : CFORK_RESULT_MAX;
}

void proc_sandbox(cfork_proc *p, unsigned applied, unsigned child_layers)
{
	p->sandbox = applied;
	p->inbox.sandbox_mask = child_layers;
}

unsigned cfork_sandbox_applied(const cfork_proc *p)
{
	return p ? p->sandbox | p->inbox.sandbox : 0;
}

/* Reads what the report channel holds now, at most max_bytes (rounded up
   to a read). */
static int drain_report(cfork_proc *p, size_t max_bytes)
{
	unsigned char buf[16384];
	size_t done = 0;

	while (p->report_fd >= 0 && done < max_bytes) {
		ssize_t n = read(p->report_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			close(p->report_fd);
			p->report_fd = -1;
			return 0;
		}
		done += (size_t)n;
		int r = report_feed(&p->inbox, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	return 0;
}

/* After the reaping: everything the child wrote is in the pipe, at most its
   capacity. A grandchild may hold the write end and go on writing, so read
   what the pipe can hold rather than wait for an end of file. */
static int drain_final(cfork_proc *p)
{
	int size = p->report_fd >= 0 ? fcntl(p->report_fd, F_GETPIPE_SZ) : 0;

	return drain_report(p, size > 0 ? (size_t)size : (size_t)1 << 20);
}

/* The kernel reaped the child itself (SIGCHLD ignored): ask the pidfd how it
   ended. -ECHILD where the kernel cannot tell. */
static int exit_from_pidfd(cfork_proc *p)
{
	struct pidfd_exit_info info = { .mask = PIDFD_INFO_EXIT_BIT };

	if (ioctl(p->pidfd, PIDFD_GET_INFO_IOCTL, &info) < 0 ||
	    !(info.mask & PIDFD_INFO_EXIT_BIT))
		return -ECHILD;
	p->exit_info.si_pid = p->pid;
	if (WIFEXITED(info.exit_code)) {
		p->exit_info.si_code = CLD_EXITED;
		p->exit_info.si_status = WEXITSTATUS(info.exit_code);
	} else {
		p->exit_info.si_code = WCOREDUMP(info.exit_code) ? CLD_DUMPED :
								   CLD_KILLED;
		p->exit_info.si_status = WTERMSIG(info.exit_code);
	}
	return 0;
}

/* 0 with exit_info filled when the child has ended, 1 when it still runs. */
static int try_reap(cfork_proc *p)
{
	int flags = WEXITED | __WALL | WNOHANG;
	int r = -1;

	p->exit_info.si_pid = 0;
	do {
		if (p->pidfd >= 0)
			r = waitid(P_PIDFD, (id_t)p->pidfd, &p->exit_info, flags);
		/* Linux 5.3 has pidfds but not P_PIDFD: the pid is safe to
		   use as long as the child is not reaped. */
		if (p->pidfd < 0 || (r < 0 && errno == EINVAL))
			r = waitid(P_PID, (id_t)p->pid, &p->exit_info, flags);
	} while (r < 0 && errno == EINTR);
	if (r < 0 && errno == ECHILD && p->pidfd >= 0)
		return exit_from_pidfd(p);
	if (r < 0)
		return -errno;
	return p->exit_info.si_pid ? 0 : 1;
}

/* Waits for a child that is known to be ending (killed): its end is a
   matter of the kernel's scheduling, not of the child. */
static void reap_blocking(cfork_proc *p)
{
	int r;

	do {
		r = p->pidfd >= 0 ?
			waitid(P_PIDFD, (id_t)p->pidfd, &p->exit_info,
			       WEXITED | __WALL) :
			waitid(P_PID, (id_t)p->pid, &p->exit_info,
			       WEXITED | __WALL);
	} while (r < 0 && errno == EINTR);
}

static void close_report(cfork_proc *p)
{
	if (p->report_fd >= 0)
		close(p->report_fd);
	if (p->report_wr >= 0)
		close(p->report_wr);
	p->report_fd = p->report_wr = -1;
}

/* What the child's end says, and whether to believe it. A blocked call is
   named only for a death by SIGSYS under a filter the child settled before
   its function ran: a function can write a REPORT_BLOCKED frame and exit. */
static const char *end_text(cfork_proc *p, const siginfo_t *si)
{
	const struct report_reader *in = &p->inbox;
	bool by_filter = si->si_code != CLD_EXITED && si->si_status == SIGSYS &&
			 (in->sandbox & CFORK_LAYER_SECCOMP);

	if (by_filter && in->blocked) {
		sandbox_name_blocked(p->blocked_text, sizeof(p->blocked_text),
				     in->blocked_nr, in->blocked_arch);
		return p->blocked_text;
	}
	if (by_filter)
		return "sandbox: killed by SIGSYS (a blocked system call)";
	if (in->error_len)
		return in->error;
	if (in->malformed)
		return "cfork: malformed report from the child";
	return NULL;
}

static void fill_status(cfork_proc *p, cfork_status *st)
{
	const siginfo_t *si = &p->exit_info;
	const struct report_reader *in = &p->inbox;

	*st = (cfork_status){ 0 };
	st->exited = si->si_code == CLD_EXITED;
	st->code = st->exited ? si->si_status : 0;
	st->signal = st->exited ? 0 : si->si_status;
	st->error = end_text(p, si);
	st->result = in->result_len ? in->result : NULL;
	st->result_len = in->result_len;
	st->result_truncated = in->result_truncated;
}

int proc_step(cfork_proc *p, cfork_status *st)
{
	if (!p->reaped) {
		int r = drain_report(p, STEP_BYTES);
		if (r < 0)
			return r;
		r = try_reap(p);
		if (r < 0)
			return r;
		if (r == 1)
			return -EAGAIN;
		r = drain_final(p);
		if (r < 0)
			return r;
		p->reaped = true;
		close_report(p);
	}
	fill_status(p, st);
	return 0;
}

void proc_wait_fds(const cfork_proc *p, int *ret_pidfd, int *ret_report_fd)
{
	*ret_pidfd = p->pidfd;
	*ret_report_fd = p->report_fd;
}

int cfork_kill(cfork_proc *p, int sig)
{
	PROTECT_ERRNO;
	if (!p || sig < 0 || sig >= NSIG)
		return -EINVAL;
	if (p->reaped)
		return -ESRCH;
	if (p->pidfd >= 0 &&
	    syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) == 0)
		return 0;
	/* Without pidfd_send_signal (a seccomp profile, an emulator): the pid
	   of an unreaped child cannot have been reused. */
	if (p->pidfd >= 0 && errno != ENOSYS)
		return -errno;
	return kill(p->pid, sig) < 0 ? -errno : 0;
}

void cfork_free(cfork_proc *p)
{
	PROTECT_ERRNO;
	if (!p)
		return;
	if (!p->reaped && p->pid > 0) {
		/* A kill that fails (a sandboxed parent may signal no one
		   but itself) must not turn into a wait without end. */
		if (try_reap(p) == 1 && cfork_kill(p, SIGKILL) == 0)
			reap_blocking(p);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	close_report(p);
	free(p->inbox.result);
	free(p);
}
