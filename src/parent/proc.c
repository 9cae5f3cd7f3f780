/* SPDX-License-Identifier: MIT */
/*
 * The parent's handle on one child: accessors, kill, free, and proc_step(),
 * one step that never blocks: drain what the report channel and the
 * captured streams hold (a bounded amount), try to reap, and once the child
 * has ended fill the status. cfork_wait() (wait.c) and the event-loop calls
 * (events.c) are built on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"
#include "sandbox/sandbox.h"
#include "wire.h"

/* What a step reads while the child runs, at most (bytes from each
   channel, time from all), so that a child that writes without pause
   cannot hold a step for long: a socket keeps each write apart, and a
   read takes a flood of one-byte writes one by one. */
#define STEP_BYTES ((size_t)1 << 20)
#define STEP_NS ((int64_t)1000000)

struct cfork_proc {
	pid_t pid;
	int pidfd;
	int report_fd;		/* our end (channel.c), non-blocking */
	/* The child's end, held until the reaping: the child's exit then
	   wakes a waiter once (pidfd), not twice (hang-up, then pidfd). */
	int report_wr;
	unsigned paths;
	unsigned sandbox;	/* CFORK_LAYER_* applied by the launch */
	bool reaped;
	bool group_leader;	/* the child leads its own process group */
	bool deadline_fired;
	bool passed_too_many;	/* its report read no more (channel.c) */
	/* An RLIMIT_CPU it started with (the sandbox's, or the caller's):
	   only then is a SIGXCPU its limit, as any child can raise one. */
	bool cpu_limit_sandbox, cpu_limit_inherited;
	int killed_by;		/* the last signal cfork_kill() sent, or 0 */
	siginfo_t exit_info;
	struct rusage rusage;
	struct report_reader inbox;
	struct output out, err;	/* captured streams; max 0: not captured */
	struct deadline *deadline;
	int pidns_fd;		/* the init's status channel, or -1 */
	bool remote;		/* pidns_fd is a fork server's: the child is
				   not ours to reap */
	struct server_ref *server;	/* that server, held */
	int events_fd;		/* cfork_proc_fd()'s epoll, made on demand */
	char blocked_text[160];	/* st.error for a blocked call */
	/* process_token() of the process whose child it is: a copy made by
	   fork() reads, reaps and kills nothing. */
	uint64_t owner;
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
	p->out.fd = p->err.fd = -1;
	p->pidns_fd = -1;
	p->events_fd = -1;
	p->owner = process_token();
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

void proc_capture(cfork_proc *p, int out_fd, int err_fd, size_t max)
{
	max = max ? max : CFORK_OUTPUT_MAX;
	p->out = (struct output){ .fd = out_fd, .max = out_fd >= 0 ? max : 0 };
	p->err = (struct output){ .fd = err_fd, .max = err_fd >= 0 ? max : 0 };
}

void proc_group(cfork_proc *p, bool leader)
{
	p->group_leader = leader;
}

void proc_deadline(cfork_proc *p, struct deadline *d)
{
	p->deadline = d;
}

void proc_pidns(cfork_proc *p, int status_fd)
{
	p->pidns_fd = status_fd;
}

void proc_remote(cfork_proc *p, int status_fd, struct server_ref *server)
{
	p->pidns_fd = status_fd;
	p->remote = true;
	p->server = server_ref_get(server);
}

/* How the child ended, from n bytes read of an end record (a fork
   server's or a pid namespace init's, wire.h): false if they are not one. */
static bool take_end_record(cfork_proc *p, const struct pidns_end *end,
			    ssize_t n)
{
	if (n <= 0 || !pidns_end_valid(end, (size_t)n))
		return false;
	p->exit_info.si_pid = p->pid;
	p->exit_info.si_code = end->how;
	p->exit_info.si_status = end->status;
	p->rusage = end->rusage;
	return true;
}

/* A fork server's child: 0 with exit_info and rusage filled once the
   server has said how it ended, 1 while it has not. A server that ended
   without a word (died, could not fork) took its child with it: SIGKILL. */
static int remote_end(cfork_proc *p)
{
	struct pidns_end end;
	ssize_t n;

	do
		n = read(p->pidns_fd, &end, sizeof(end));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 1;
	if (!take_end_record(p, &end, n)) {
		p->exit_info.si_pid = p->pid;
		/* Made true: a child that lost its parent-death signal must
		   not run on behind a handle that says it was killed. */
		if (p->pidfd >= 0)
			syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, 0, 0);
		p->exit_info.si_code = CLD_KILLED;
		p->exit_info.si_status = SIGKILL;
	}
	close(p->pidns_fd);
	p->pidns_fd = -1;
	return 0;
}

/*
 * The child was a pid namespace's init (child/pidns.c): how its pid 2, the
 * function, ended stands for how the child ended, when the init exited
 * normally having said so. An init killed (a deadline, cfork_kill's
 * SIGKILL) said nothing, and its own end is the answer.
 */
static void settle_pidns(cfork_proc *p)
{
	struct pidns_end end;

	if (p->pidns_fd < 0 || p->remote)
		return;
	ssize_t n = read(p->pidns_fd, &end, sizeof(end));
	close(p->pidns_fd);
	p->pidns_fd = -1;
	if (p->exit_info.si_code == CLD_EXITED && !p->exit_info.si_status)
		(void)take_end_record(p, &end, n);
}

void proc_sandbox(cfork_proc *p, unsigned applied, unsigned child_layers,
		  bool cpu_limit)
{
	struct rlimit own;

	p->sandbox = applied;
	p->inbox.sandbox_mask = child_layers;
	p->cpu_limit_sandbox = cpu_limit;
	p->cpu_limit_inherited = getrlimit(RLIMIT_CPU, &own) == 0 &&
				 own.rlim_cur != RLIM_INFINITY;
}

unsigned cfork_sandbox_applied(const cfork_proc *p)
{
	return p ? p->sandbox | p->inbox.sandbox : 0;
}

/* Reads what the report channel holds now, as output_drain() does. */
static int drain_report(cfork_proc *p, size_t max_bytes, int64_t end_ns)
{
	unsigned char buf[16384];
	size_t done = 0;

	while (p->report_fd >= 0 && done < max_bytes &&
	       (!end_ns || now_ns() < end_ns)) {
		ssize_t n = channel_read(p->report_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			p->passed_too_many |= n < 0 && errno == EMFILE;
			channel_close(p->report_fd, true);
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

/* A channel the drain gave up on stays open for the closer, readable for
   good (channel.c): out of cfork_proc_fd()'s set, never quiet again. */
static void forget_given_up(cfork_proc *p, const int before[3])
{
	const int after[3] = { p->report_fd, p->out.fd, p->err.fd };

	for (int i = 0; p->events_fd >= 0 && i < 3; i++)
		if (before[i] >= 0 && after[i] < 0)
			(void)epoll_ctl(p->events_fd, EPOLL_CTL_DEL, before[i],
					NULL);
}

static int drain_step(cfork_proc *p)
{
	const int64_t end = now_ns() + STEP_NS;
	const int before[3] = { p->report_fd, p->out.fd, p->err.fd };
	int r = drain_report(p, STEP_BYTES, end);

	if (r == 0)
		r = output_drain(&p->out, STEP_BYTES, end);
	if (r == 0)
		r = output_drain(&p->err, STEP_BYTES, end);
	forget_given_up(p, before);
	return r;
}

/* After the reaping: everything the child wrote is in the channels. A
   grandchild may hold the child's end and go on writing, so read what
   they hold now rather than wait for an end of file. */
static int drain_final(cfork_proc *p)
{
	const int before[3] = { p->report_fd, p->out.fd, p->err.fd };
	int r = drain_report(p, channel_queued(p->report_fd), 0);

	if (r == 0)
		r = output_drain(&p->out, channel_queued(p->out.fd), 0);
	if (r == 0)
		r = output_drain(&p->err, channel_queued(p->err.fd), 0);
	forget_given_up(p, before);
	return r;
}

/* A pid namespace's init the kernel reaped itself, on a kernel that
   cannot tell how it ended: an init tells how its pid 2 ended just before
   it exits, and that is what the caller asks (settle_pidns()). true with
   exit_info filled from it; false when it told nothing. */
static bool pidns_told(cfork_proc *p)
{
	struct pidns_end end;
	ssize_t n;

	if (p->pidns_fd < 0 || p->remote)
		return false;
	n = read(p->pidns_fd, &end, sizeof(end));
	if (!take_end_record(p, &end, n))
		return false;
	close(p->pidns_fd);
	p->pidns_fd = -1;
	return true;
}

/* waitid(2) with its fifth argument, the rusage glibc's wrapper leaves
   out. */
static int waitid_rusage(idtype_t type, id_t id, siginfo_t *si, int flags,
			 struct rusage *ru)
{
	return (int)syscall(SYS_waitid, type, id, si, flags, ru);
}

/* Whether what waitid found is the child's end: a ptrace stop of a child
   that made its parent its tracer is none, and the child is let go
   (common/trace_stop.c). One that cannot be (killed meanwhile) is no
   longer stopped, and its end comes next. */
static bool child_ended(const cfork_proc *p)
{
	if (wait_code_is_end(p->exit_info.si_code))
		return true;
	(void)trace_stop_let_go(p->pid, p->exit_info.si_status);
	return false;
}

static int waitid_child(cfork_proc *p, int flags)
{
	int r = -1;

	do {
		if (p->pidfd >= 0)
			r = waitid_rusage(P_PIDFD, (id_t)p->pidfd,
					  &p->exit_info, flags, &p->rusage);
		/* Linux 5.3 has pidfds but not P_PIDFD: the pid is safe to
		   use as long as the child is not reaped. */
		if (p->pidfd < 0 || (r < 0 && errno == EINVAL))
			r = waitid_rusage(P_PID, (id_t)p->pid, &p->exit_info,
					  flags, &p->rusage);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* 0 with exit_info filled when the child has ended, 1 when it still runs. */
static int try_reap(cfork_proc *p)
{
	bool ended = false;
	int r = -1;

	if (p->remote)
		return remote_end(p);
	for (int stops = 0; !ended && stops < TRACE_STOPS_PER_LOOK; stops++) {
		p->exit_info.si_pid = 0;
		r = waitid_child(p, WEXITED | __WALL | WNOHANG);
		if (r < 0 || !p->exit_info.si_pid)
			break;
		ended = child_ended(p);
	}
	if (r < 0 && errno == ECHILD) {
		r = p->pidfd >= 0 ? pidfd_exit(p->pidfd, p->pid, &p->exit_info) :
				     -ECHILD;
		return r == -ECHILD && pidns_told(p) ? 0 : r;
	}
	if (r < 0)
		return -errno;
	if (!ended)
		p->exit_info.si_pid = 0;
	return ended ? 0 : 1;
}

/* Reaps a killed child once its traced threads are, every 20 ms; one
   with a pidfd whose end is slow (reaper.c says why) is left to the
   reaper. A ptrace stop found first is let go (child_ended). */
static void reap_killed(cfork_proc *p)
{
	for (int64_t end = now_ns() + REAP_INLINE_MS * 1000000LL;;) {
		p->exit_info.si_pid = 0;
		if (waitid_child(p, WEXITED | __WALL | WNOHANG) < 0 ||
		    (p->exit_info.si_pid && child_ended(p)))
			return;
		if (p->exit_info.si_pid)
			continue;
		if (p->pidfd >= 0 && now_ns() > end) {
			if (reaper_take(p->pid, p->pidfd, true))
				return;
			end = INT64_MAX;	/* it cannot: waited for here */
		}
		trace_reap_threads(p->pid);
		struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
		(void)poll(&pfd, 1, 20);	/* no pidfd (-1): a sleep */
	}
}

static void close_report(cfork_proc *p, bool owner)
{
	channel_close(p->report_fd, owner);
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
	if (p->passed_too_many)
		return "cfork: the child passed more fds than cfork sets aside";
	if (in->malformed)
		return "cfork: malformed report from the child";
	return NULL;
}

/* How it ended, as the parent can tell: the kernel's status, read against
   what the parent itself did (a deadline, a kill) and what it set up (a
   filter, a CPU limit). */
static cfork_end end_reason(const cfork_proc *p, const siginfo_t *si)
{
	int sig = si->si_status;

	if (si->si_code == CLD_EXITED)
		return CFORK_END_EXIT;
	if (sig == SIGKILL && p->deadline_fired)
		return CFORK_END_DEADLINE;
	if (p->killed_by && sig == p->killed_by)
		return CFORK_END_KILLED;
	if (sig == SIGXCPU && (p->cpu_limit_sandbox || p->cpu_limit_inherited))
		return CFORK_END_CPU_LIMIT;
	if (sig == SIGSYS && (p->inbox.sandbox & CFORK_LAYER_SECCOMP))
		return CFORK_END_SECCOMP;
	return CFORK_END_SIGNAL;
}

static void fill_output(const struct output *o, const char **ret,
			size_t *ret_len, bool *ret_truncated)
{
	if (!o->max)
		return;
	*ret = o->buf ? o->buf : "";
	*ret_len = o->len;
	*ret_truncated = o->truncated;
}

static void fill_status(cfork_proc *p, cfork_status *st)
{
	const siginfo_t *si = &p->exit_info;
	const struct report_reader *in = &p->inbox;

	*st = (cfork_status){ 0 };
	st->exited = si->si_code == CLD_EXITED;
	st->code = st->exited ? si->si_status : 0;
	st->signal = st->exited ? 0 : si->si_status;
	st->reason = end_reason(p, si);
	st->error = end_text(p, si);
	st->result = in->result_len ? in->result : NULL;
	st->result_len = in->result_len;
	st->result_truncated = in->result_truncated;
	fill_output(&p->out, &st->out, &st->out_len, &st->out_truncated);
	fill_output(&p->err, &st->err, &st->err_len, &st->err_truncated);
	st->rusage = p->rusage;
}

/* try_reap(), and once the child is gone its deadline with it (whether
   it fired is kept for the status): reaped here, or by the program behind
   cfork's back (-ECHILD). The watchdog, which may kill by pid, is kept out
   from the reaping to the release. */
static int reap_and_settle_deadline(cfork_proc *p)
{
	struct deadline *d = p->deadline;

	deadline_reap_begin(d);
	int r = try_reap(p);
	if ((r == 0 || r == -ECHILD) && d) {
		p->deadline_fired = deadline_settle(d);
		p->deadline = NULL;
	}
	deadline_reap_end(d);
	return r;
}

int proc_step(cfork_proc *p, cfork_status *st)
{
	/* In a child of fork(), what the child sends and how it ends are the
	   parent's: a read here would take them from it. */
	if (!p->reaped && process_token() != p->owner)
		return -ECHILD;
	if (!p->reaped) {
		int r = drain_step(p);
		if (r < 0)
			return r;
		r = reap_and_settle_deadline(p);
		if (r < 0)
			return r;
		if (r == 1)
			return -EAGAIN;
		settle_pidns(p);
		r = drain_final(p);
		if (r < 0)
			return r;
		p->reaped = true;
		/* cfork_proc_fd() must not poll readable: not by the pidfd,
		   which stays (cfork_pidfd()), nor by a channel another
		   reference (a launch's child before its exec) keeps. */
		const int quiet[PROC_POLL_FDS] = { p->remote ? -1 : p->pidfd,
			p->report_fd, p->out.fd, p->err.fd };
		for (int i = 0; p->events_fd >= 0 && i < PROC_POLL_FDS; i++)
			if (quiet[i] >= 0)
				epoll_ctl(p->events_fd, EPOLL_CTL_DEL, quiet[i],
					  NULL);
		close_report(p, true);
		output_release_fd(&p->out, true);
		output_release_fd(&p->err, true);
	}
	fill_status(p, st);
	return 0;
}

void proc_poll_fds(const cfork_proc *p, struct pollfd *fds)
{
	/* A fork server's child ends for its parent when the server says
	   so; its pidfd fires before that. A reaped child's pidfd polls
	   readable for good, and has nothing more to say. */
	const int end_fd = p->remote ? p->pidns_fd : p->reaped ? -1 : p->pidfd;
	const int fd[PROC_POLL_FDS] = { end_fd, p->report_fd, p->out.fd,
					p->err.fd };

	for (int i = 0; i < PROC_POLL_FDS; i++)
		fds[i] = (struct pollfd){ .fd = fd[i], .events = POLLIN };
}

int cfork_proc_fd(const cfork_proc *cp)
{
	PROTECT_ERRNO;
	/* Made on the first call: the handle's own, like its pidfd. */
	cfork_proc *p = (cfork_proc *)cp;
	struct pollfd fds[PROC_POLL_FDS];

	if (!p)
		return -EINVAL;
	if (p->events_fd >= 0)
		return p->events_fd;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	ep = fd_move_above_stdio(ep);
	if (ep < 0)
		return ep;
	proc_poll_fds(p, fds);
	for (int i = 0; i < PROC_POLL_FDS; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		if (fds[i].fd >= 0 &&
		    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i].fd, &ev) < 0) {
			int e = -errno;
			close(ep);
			return e;
		}
	}
	p->events_fd = ep;
	return ep;
}

/* Whether a fork server's child may be reaped already: the server reaps
   it, after it has told how it ended; a pid told of is no longer sure to
   be the child's. */
bool proc_remote_told(const cfork_proc *p)
{
	struct pollfd told = { .fd = p->pidns_fd, .events = POLLIN };

	return p->remote && (p->pidns_fd < 0 || poll(&told, 1, 0) != 0);
}

static struct child_ref child_of(const cfork_proc *p, int pidfd)
{
	return (struct child_ref){
		.pid = p->pid, .pidfd = pidfd,
		.told_fd = p->remote ? p->pidns_fd : -1,
	};
}

/* A fork server's child that came without a pidfd is signalled through
   one opened now, which is the child's if its end is still untold after
   it was opened (the server tells before it reaps: child/server.c), as
   signal_child() checks first. */
static int remote_kill(const cfork_proc *p, int sig)
{
	int fd = (int)syscall(SYS_pidfd_open, p->pid, 0);

	if (fd < 0 && errno == ESRCH)
		return -ESRCH;
	if (proc_remote_told(p)) {
		if (fd >= 0)
			close(fd);
		return -ESRCH;
	}
	const struct child_ref c = child_of(p, fd);
	int r = signal_child(&c, sig);
	if (fd >= 0)
		close(fd);
	return r;
}

int cfork_kill(cfork_proc *p, int sig)
{
	PROTECT_ERRNO;
	if (!p || sig < 0 || sig >= NSIG)
		return -EINVAL;
	if (process_token() != p->owner)
		return -ECHILD;
	if (p->reaped)
		return -ESRCH;
	const struct child_ref c = child_of(p, p->pidfd);
	int r = p->remote && p->pidfd < 0 ? remote_kill(p, sig) :
					    signal_child(&c, sig);
	if (r < 0)
		return r;
	/* 1: it had ended; like kill(2) of a zombie, not an error. */
	if (r == 0 && sig)
		p->killed_by = sig;
	return 0;
}

int cfork_kill_group(cfork_proc *p, int sig)
{
	PROTECT_ERRNO;
	if (!p || sig < 0 || sig >= NSIG || !p->group_leader)
		return -EINVAL;
	if (process_token() != p->owner)
		return -ECHILD;
	/* The group's id is the child's pid: not recycled before the reap. */
	if (p->reaped || proc_remote_told(p))
		return -ESRCH;
	int group = kill(-p->pid, sig) < 0 ? -errno : 0;
	/* The child too if it left, or may have and come back (SIGKILL). */
	bool left = sig == SIGKILL || getpgid(p->pid) != p->pid;
	int self = left ? cfork_kill(p, sig) : -ESRCH;
	if (group < 0 && (group != -ESRCH || self < 0))
		return group == -ESRCH ? self : group;
	p->killed_by = sig ? sig : p->killed_by;
	return 0;
}

void cfork_free(cfork_proc *p)
{
	PROTECT_ERRNO;
	if (!p)
		return;
	/* First: a deadline that may kill by pid must not outlive the
	   child's reaping, and a child freed unended is killed anyway.
	   A copy of the handle in a child of fork() lets go of its memory
	   and fds only: the child is the parent's to kill and reap. */
	deadline_release(p->deadline);
	const bool owner = process_token() == p->owner;

	if (!p->reaped && p->pid > 0 && owner) {
		/* A kill that fails (a sandboxed parent may signal no one
		   but itself) must not turn into a wait without end; a fork
		   server's child is the server's to reap. */
		if (try_reap(p) == 1 &&
		    ((p->group_leader && cfork_kill_group(p, SIGKILL) == 0) ||
		     cfork_kill(p, SIGKILL) == 0) && !p->remote)
			reap_killed(p);
	}
	if (p->pidns_fd >= 0)
		close(p->pidns_fd);
	if (p->events_fd >= 0)
		close(p->events_fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	close_report(p, owner);
	output_release(&p->out, owner);
	output_release(&p->err, owner);
	free(p->inbox.result);
	server_ref_put(p->server);
	free(p);
}
