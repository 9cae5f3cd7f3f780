/* SPDX-License-Identifier: MIT */
/* The parent's handle on one child: wait, kill, results, errors. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* PIDFD_GET_INFO (Linux 6.15): the exit status outlives the reaping, which
   matters when the host ignores SIGCHLD and the kernel reaps for it. */
struct pidfd_exit_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t ids[11];	/* pid, tgid, ppid and the credentials */
	int32_t exit_code;	/* a wait status */
};
#define PIDFD_INFO_EXIT_BIT (1ULL << 3)
#define PIDFD_GET_INFO_IOCTL _IOWR(0xFF, 11, struct pidfd_exit_info)

/* Without a pidfd there is nothing to poll for the exit: look this often. */
#define PID_ONLY_POLL_MS 5

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

/* Reads what the report channel holds now, at most max_reads reads, so that
   a child that writes without pause cannot hold a timed wait past its
   deadline. A pipe hands out at most 64 KiB per read. */
static int drain_report(cfork_proc *p, unsigned max_reads)
{
	unsigned char buf[16384];

	for (unsigned reads = 0; p->report_fd >= 0 && reads < max_reads;
	     reads++) {
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
		int r = report_feed(&p->inbox, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	return 0;
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
static int try_reap(cfork_proc *p, bool block)
{
	int flags = WEXITED | __WALL | (block ? 0 : WNOHANG);
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

static void close_report(cfork_proc *p)
{
	if (p->report_fd >= 0)
		close(p->report_fd);
	if (p->report_wr >= 0)
		close(p->report_wr);
	p->report_fd = p->report_wr = -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		sandbox_blocked_text(p->blocked_text, sizeof(p->blocked_text),
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

int cfork_wait(cfork_proc *p, int timeout_ms, cfork_status *st)
{
	PROTECT_ERRNO;
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	int r;

	if (!p || !st || timeout_ms < -1)
		return -EINVAL;
	while (!p->reaped) {
		struct pollfd fds[2] = {
			{ .fd = p->pidfd, .events = POLLIN },
			{ .fd = p->report_fd, .events = POLLIN },
		};
		int wait_ms = -1;

		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();
			wait_ms = left > 0 ? (int)left : 0;
		}
		if (p->pidfd < 0 && (wait_ms < 0 || wait_ms > PID_ONLY_POLL_MS))
			wait_ms = PID_ONLY_POLL_MS;
		/* A negative fd is ignored by poll: a closed report channel
		   or a pid-only handle. */
		int ready = poll(fds, 2, wait_ms);
		if (ready < 0 && errno != EINTR)
			return -errno;
		if (ready > 0 && fds[1].revents) {
			r = drain_report(p, 64);
			if (r < 0)
				return r;
		}
		if (p->pidfd < 0 || (ready > 0 && fds[0].revents)) {
			r = try_reap(p, p->pidfd >= 0);
			if (r < 0)
				return r;
			if (r == 0) {
				/* Everything the child wrote is in the pipe by
				   now; a grandchild may hold the write end, so
				   read what is there rather than wait for EOF. */
				r = drain_report(p, UINT_MAX);
				if (r < 0)
					return r;
				p->reaped = true;
				close_report(p);
				break;
			}
		}
		if (timeout_ms >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
	}
	fill_status(p, st);
	return 0;
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
		if (try_reap(p, false) == 1 && cfork_kill(p, SIGKILL) == 0)
			try_reap(p, true);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	close_report(p);
	free(p->inbox.result);
	free(p);
}
