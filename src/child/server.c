/* SPDX-License-Identifier: MIT */
/*
 * A fork server (CFORK_POOL_FORK): a child of the program, exec'd once,
 * that forks one child per call instead of the parent's exec. It runs
 * nothing but this loop and the library's constructor: no function, no
 * main(). It makes itself non-dumpable.
 *
 * The fork is off the call's path: the server keeps one child forked
 * ahead, the standby, which waits for the next hand-off on the server's
 * socket. It takes one, gives the call's status channel to the server
 * (on a socket between the two), answers the parent with its pid and a
 * pidfd (the parent cannot wait for a grandchild), closes both sockets and
 * takes over as any child does (takeover.c): sandboxed, used once, but
 * sharing the server's address layout. The server forks the next standby
 * at once while calls come one after the other; when they come now and
 * then, once the calls it runs are over (or a while later): a fork is the
 * costliest thing it does, and done at once it holds up the call. A
 * hand-off sent while there is none waits in the socket for the next; a
 * standby that dies while it waits leaves it there, and the server reads
 * it. When the server has no standby (it could not fork one, the last
 * died waiting, or it tracks as many calls as it can), it reads the
 * hand-off itself and forks a child for it, which answers as a standby
 * does, or answers that it forked none. Either child
 * answers before the call can run: an end told with no answer is, to the
 * parent, a call that never ran (parent/handoff.c).
 *
 * When it reaps a call's child it writes how it ended on that call's
 * status channel, which the child never kept (wire.h, struct pidns_end).
 * Its children die with it (PR_SET_PDEATHSIG); at its pool's end of file
 * it lets the calls it runs finish, then ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "wire.h"

/* The calls a server has running at once, at most (SERVER_FDS_OWN beside
   them: wire.h). */
#define SERVER_CALLS_MAX 4096

/* When calls come one now and then, the server forks the next standby
   once the calls it runs have ended (it has told their ends), or this
   long after the last began if one still runs. A fork while a call runs
   competes with that call's process, its exit and its caller for the
   CPUs, and holds up its reaping until the fork is done. When calls
   come one after the other (the last standby was taken soon after its
   fork or after the last call's end, or a call found none), the next is
   forked at once: it would not be ready for the next call otherwise,
   which would wait for its own fork. */
#define SERVER_STANDBY_DELAY_NS ((int64_t)2000 * 1000)
#define SERVER_BUSY_NS ((int64_t)1000 * 1000)
#define SERVER_NEVER INT64_MAX

struct server_call {
	pid_t pid;
	int status_fd;
};

struct server {
	int sock;	/* the hand-offs, from the parent (and answers to it) */
	int sfd;	/* SIGCHLD */
	int link[2];	/* standby -> server: a call's status channel */
	pid_t self;	/* the server, whom its children die with */
	pid_t parent;	/* the program, the only sender of hand-offs */
	int program;	/* with pdeathsig, a pidfd of the program, or -1 */
	int pdeathsig;	/* what its calls get when the program ends, or 0 */
	pid_t standby;	/* the child waiting for the next hand-off, or -1 */
	struct rlimit nofile;	/* as launched: its children's */
	int stdio_flags[3];	/* as launched, where its own (or -1): each
				   call's, whatever a call before it set on
				   the description they share */
	bool sigchld_ignored;	/* as launched: its children's */
	bool own_session;	/* launched to lead a session, or a group: */
	bool own_group;		/* each child leads its own, as a call would */
	size_t calls_max;	/* SERVER_CALLS_MAX, or what its fds allow */
	int64_t standby_at;	/* when to fork the next standby, and when */
	int64_t standby_born;	/* the last was forked (CLOCK_MONOTONIC ns) */
	int64_t call_ended;	/* the last end told */
	bool standby_lost;	/* the last died waiting: the next hand-off
				   is the server's to read, so that one that
				   kills every standby cannot make it fork
				   without end */
	struct server_call calls[SERVER_CALLS_MAX];
	size_t ncalls;
};

static struct server server;

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void server_track(pid_t pid, int status_fd)
{
	server.calls[server.ncalls++] = (struct server_call){ pid, status_fd };
}

static void server_taken(void);

/* The wait status (as wait4 gives it) of a child waitid found ended. */
static int wait_status_of(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return W_EXITCODE(si->si_status, 0);
	return W_EXITCODE(0, si->si_status) |
	       (si->si_code == CLD_DUMPED ? WCOREFLAG : 0);
}

/* Tells the parent how each call whose child ended did, then reaps that
   child: until its end is told, a call's pid is still its child's (a
   zombie at worst), which the parent relies on when it opens a pidfd from
   a pid alone (parent/handoff.c). */
static void server_reap(void)
{
	for (;;) {
		siginfo_t si = { 0 };
		struct rusage ru;

		if (syscall(SYS_waitid, P_ALL, 0, &si,
			    WEXITED | WNOHANG | WNOWAIT | __WALL, &ru) < 0 ||
		    si.si_pid <= 0)
			return;
		pid_t pid = si.si_pid;
		/* A ptrace stop, not an end (common/trace_stop.c), let go.
		   The stop is used up either way, so that it is not found
		   again. */
		if (!wait_code_is_end(si.si_code)) {
			if (trace_stop_let_go(pid, si.si_status) < 0)
				(void)waitid(P_PID, (id_t)pid, &si,
					     WSTOPPED | WNOHANG | __WALL);
			continue;
		}
		struct pidns_end end = pidns_end_encode(wait_status_of(&si),
							&ru);
		if (pid == server.standby)
			server_taken();
		/* Still the standby: it died waiting, and what it left in the
		   socket is the server's to read. */
		if (pid == server.standby) {
			server.standby = -1;
			server.standby_lost = true;
		}
		for (size_t i = 0; i < server.ncalls; i++) {
			struct server_call *c = &server.calls[i];
			if (c->pid != pid)
				continue;
			if (c->status_fd >= 0) {
				(void)!write(c->status_fd, &end, sizeof(end));
				close(c->status_fd);
			}
			*c = server.calls[--server.ncalls];
			server.call_ended = now_ns();
			/* The last call running is over: nothing is left
			   for the next standby's fork to hold up. */
			if (!server.ncalls && server.standby < 0 &&
			    server.standby_at != SERVER_NEVER)
				server.standby_at = 0;
			break;
		}
		(void)waitid(P_PID, (id_t)pid, &si, WEXITED | __WALL);
	}
}

/* pid (-1: no child) and its pidfd, to the parent, in one message; the
   pid alone where the pidfd cannot go (none could be made, or the user
   has as many fds in flight as the kernel lets it: a hostile call can
   bring that about). 0, or -1 when nothing could be sent. */
static int server_answer(pid_t pid)
{
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	ssize_t sent = fd_send_with(server.sock, &pid, sizeof(pid), pidfd);

	if (sent < 0 && pidfd >= 0)
		sent = fd_send_with(server.sock, &pid, sizeof(pid), -1);
	if (pidfd >= 0)
		close(pidfd);
	return sent == sizeof(pid) ? 0 : -1;
}

/* In a forked child: nothing of the server's but sock and the link, and
   death with the server. */
static void server_child_start(void)
{
	if (server.sigchld_ignored)
		(void)signal(SIGCHLD, SIG_IGN);
	if (server.program >= 0)
		close(server.program);
	close(server.sfd);
	close(server.link[0]);
	for (size_t i = 0; i < server.ncalls; i++)
		if (server.calls[i].status_fd >= 0)
			close(server.calls[i].status_fd);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    getppid() != server.self ||
	    (server.own_session && setsid() < 0) ||
	    (server.own_group && setpgid(0, 0) < 0))
		_exit(CFORK_EXIT_PAYLOAD);
}

/* The call's fds, each at its number, under the fd limit the server was
   launched with (the server's own is raised for its status channels),
   its stdio's status flags as they were then (O_NONBLOCK set by a call
   before it would fail its writes with EAGAIN), and none of the
   server's sockets: the call's process is then as a launch would have
   made it. A call running beside the one that sets them still shares
   them. */
static int server_child_place(struct handoff_in *in)
{
	close(server.link[1]);
	close(server.sock);
	(void)setrlimit(RLIMIT_NOFILE, &server.nofile);
	for (int fd = 0; fd < 3; fd++)
		if (server.stdio_flags[fd] >= 0)
			(void)fcntl(fd, F_SETFL, server.stdio_flags[fd]);
	return handoff_place(in);
}

static int handoff_status_fd(const struct handoff_in *in)
{
	int fd = in->head.keep >= 0 ? in->fds[in->head.keep] : -1;

	if (fd < 0)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "fork server: a call without a status channel");
	return fd;
}

/* Out of the socket: the hand-off this standby peeked (the only one it
   can be: while a standby lives, the server does not read the socket).
   Read again without room for its fds, which the kernel then lets go of:
   the peek's copies keep each open. */
static bool standby_drop_peeked(void)
{
	struct handoff_head head;
	struct iovec iov = { &head, sizeof(head) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(server.sock, &msg, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n > 0;
}

/* The standby's one call, read with MSG_PEEK, then taken out of the
   socket by the standby itself before it tells anyone: a standby killed
   before that leaves it there for the server to read, and one killed
   after ends with the call's status channel unanswered, which the parent
   takes for a call that never ran (parent/handoff.c): no call is lost.
   So none of a call's fds is ever the server's to close: a call can make
   the last close of one wait (a socket's SO_LINGER), and the server
   serves every call. The server gets the call's status channel before
   the parent hears of the child, so that it can always tell how it
   ended; both sockets are closed before the call's code runs. */
static int standby_take(void)
{
	struct handoff_in in;
	pid_t self = getpid();

	server_child_start();
	standby_prefault();
	if (!handoff_receive(server.sock, server.parent, MSG_PEEK, &in))
		_exit(0);
	if (!standby_drop_peeked() ||
	    fd_send_with(server.link[1], &self, sizeof(self),
			 handoff_status_fd(&in)) != sizeof(self))
		_exit(CFORK_EXIT_PAYLOAD);
	/* Unanswered, the call is the parent's to launch again: it must
	   not run here as well. */
	if (server_answer(self) < 0)
		_exit(CFORK_EXIT_PAYLOAD);
	/* The caller, woken by the answer, is often placed on this CPU,
	   and would wait there until the call used up its time slice
	   before its spawn returned (README, Warm start, measured). */
	sched_yield();
	return server_child_place(&in);
}

/* The standby's word that it took a call: the call is tracked from now.
   It was sent before the standby could end, so it is read before the
   standby is reaped. */
static void server_taken(void)
{
	pid_t pid = -1;
	int fd;

	if (fd_recv_with(server.link[0], &pid, sizeof(pid), &fd) !=
	    sizeof(pid) || pid != server.standby || pid <= 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	/* Taken even when its status channel did not come through (the
	   server had no fd for it): the standby runs the call, and the
	   parent, told nothing on that channel, has it killed. */
	server_track(server.standby, fd);
	server.standby = -1;
	int64_t now = now_ns();
	bool one_after_another = now - server.standby_born < SERVER_BUSY_NS ||
				 now - server.call_ended < SERVER_BUSY_NS;
	server.standby_at = one_after_another ? now :
				now + SERVER_STANDBY_DELAY_NS;
}

/* A hand-off read by the server itself, when it has no standby: it forks
   a child for it, which answers, or answers that it forked none (the
   call launches cold). */
static int server_fork_for(void)
{
	struct handoff_in in;

	if (!handoff_receive(server.sock, server.parent, 0, &in))
		return -1;
	int status_fd = handoff_status_fd(&in);
	int closed[2] = { -1, -1 };
	pid_t pid = -1;

	server.standby_lost = false;
	server.standby_at = 0;
	if (server.ncalls < server.calls_max && pipe2(closed, O_CLOEXEC) == 0)
		pid = fork();
	if (pid == 0) {
		char none;
		/* Not before the server has closed its copies of the call's
		   fds (the end of file on closed): until the answer, its
		   caller keeps its own, so the server's close is never the
		   last, which a call could make wait (standby_take()). */
		close(closed[1]);
		while (read(closed[0], &none, 1) < 0 && errno == EINTR)
			;
		close(closed[0]);
		/* As a standby: the parent takes an end told on the status
		   channel with no answer for a call that never ran, so the
		   child answers before the call can run, or never runs it. */
		server_child_start();
		if (server_answer(getpid()) < 0)
			_exit(CFORK_EXIT_PAYLOAD);
		return server_child_place(&in);
	}
	for (size_t i = 0; i < in.nfds; i++)
		if (in.fds[i] != status_fd)
			close(in.fds[i]);
	if (closed[0] >= 0) {
		close(closed[0]);
		close(closed[1]);
	}
	if (pid > 0) {
		server_track(pid, status_fd);
		return -2;
	}
	(void)server_answer(-1);
	close(status_fd);
	return -2;
}

/* How often a server with a pdeathsig and no pidfd of the program looks
   whether the program has ended (the end of all its threads, not of the
   one that launched the server: getppid() changes). */
#define SERVER_LOOK_PARENT_MS 100

/* Whether the program has ended, for a server with a pdeathsig: its
   pidfd, which ready says is readable, or without one its parent. */
static bool server_program_ended(bool ready)
{
	if (!server.pdeathsig)
		return false;
	return server.program >= 0 ? ready : getppid() != server.parent;
}

static int server_poll_ms(void)
{
	return server.pdeathsig && server.program < 0 ? SERVER_LOOK_PARENT_MS :
							-1;
}

/* The pool went away (freed, or the program ended): the calls running
   finish, each is told, and the server ends, its children before it.
   Where the program ended (the pidfd may be seen after the socket's end
   of file), each call gets the signal it asked for, as a cold call's
   child would, a standby that took one included (its word is read
   first: it sent it before it answered). */
static _Noreturn void server_drain(void)
{
	struct pollfd link = { .fd = server.link[0], .events = POLLIN };

	if (server.standby > 0 && poll(&link, 1, 0) > 0)
		server_taken();
	if (server.standby > 0)
		kill(server.standby, SIGKILL);
	for (;;) {
		server_reap();
		if (!server.ncalls && server.standby <= 0)
			_exit(0);
		struct pollfd p[2] = {
			{ .fd = server.sfd, .events = POLLIN },
			{ .fd = server.program, .events = POLLIN },
		};
		if (poll(p, 2, server_poll_ms()) < 0 && errno != EINTR)
			_exit(CFORK_EXIT_PAYLOAD);
		struct signalfd_siginfo si;
		while (read(server.sfd, &si, sizeof(si)) == sizeof(si))
			;
		if (server_program_ended(p[1].revents)) {
			for (size_t i = 0; i < server.ncalls; i++)
				(void)kill(server.calls[i].pid,
					   server.pdeathsig);
			/* Given once: nothing more to watch for. */
			server.pdeathsig = 0;
		}
	}
}

/* With a pdeathsig, the program is watched through a pidfd, which is the
   program's only while it is still the server's parent (checked after it
   is opened); a kernel without pidfds has the server look at its parent
   now and then. */
static void server_watch_program(void)
{
	server.program = (int)syscall(SYS_pidfd_open, server.parent, 0);
	if (getppid() != server.parent)
		_exit(CFORK_EXIT_PAYLOAD);
}

int server_run(int sock, unsigned own_stdio, int pdeathsig)
{
	sigset_t chld;

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	server.sock = sock;
	server.self = getpid();
	server.parent = getppid();
	/* Before anything waits on it: a marker naming a file, or another
	   process's socket, would otherwise keep a server waiting for good
	   with no call to come. */
	handoff_check_peer(sock, server.parent);
	server.program = -1;
	server.pdeathsig = pdeathsig;
	if (pdeathsig)
		server_watch_program();
	server.standby = -1;
	/* CFORK_ATTR_SETSID, or CFORK_ATTR_SETPGROUP with a new group, made
	   the server lead one (nothing else does): a cold call's child would
	   lead its own, which cfork_kill_group() signals. */
	server.own_session = getsid(0) == server.self;
	server.own_group = !server.own_session && getpgid(0) == server.self;
	/* Only its own: the flags of a description it shares with the
	   caller are the caller's to change. */
	for (int fd = 0; fd < 3; fd++)
		server.stdio_flags[fd] = (own_stdio & (1u << fd)) ?
					 fcntl(fd, F_GETFL) : -1;
	/* A status channel per call it runs: as many fds as it may have,
	   its own limit as launched given back to each child. */
	server.calls_max = SERVER_CALLS_MAX;
	if (getrlimit(RLIMIT_NOFILE, &server.nofile) == 0) {
		struct rlimit most = { server.nofile.rlim_max,
				       server.nofile.rlim_max };
		(void)setrlimit(RLIMIT_NOFILE, &most);
		struct rlimit now;
		if (getrlimit(RLIMIT_NOFILE, &now) == 0 &&
		    now.rlim_cur < SERVER_CALLS_MAX + SERVER_FDS_OWN)
			server.calls_max = now.rlim_cur > SERVER_FDS_OWN ?
				now.rlim_cur - SERVER_FDS_OWN : 0;
	}
	/* Signals stay blocked as the launch left them; SIGCHLD is read.
	   An ignored SIGCHLD, which exec keeps, would have the kernel reap
	   every child untold: the server takes it back, and gives each
	   child what the launch left. */
	server.sigchld_ignored = signal(SIGCHLD, SIG_DFL) == SIG_IGN;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	server.sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (server.sfd < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		       server.link) < 0)
		child_fail(CFORK_EXIT_PAYLOAD, "fork server: %s",
			   strerror(errno));
	for (;;) {
		/* One standby at a time, and one for each call it can
		   track; it counts as a call once it takes one. */
		bool wanted = server.standby < 0 && !server.standby_lost &&
			      server.ncalls < server.calls_max;
		int64_t wait_ns = wanted ? server.standby_at - now_ns() : 0;
		if (wanted && wait_ns <= 0) {
			pid_t pid = fork();
			if (pid == 0)
				return standby_take();
			server.standby = pid > 0 ? pid : -1;
			server.standby_born = now_ns();
			/* One that cannot be forked now is not tried again
			   before the next call, which forks its own. */
			if (pid < 0)
				server.standby_at = SERVER_NEVER;
			wanted = false;
		}
		struct timespec wait_for = { wait_ns / 1000000000,
					     wait_ns % 1000000000 };
		bool timed = wanted && server.standby_at != SERVER_NEVER;
		/* While a standby waits, the socket is its to read: the
		   server only watches for the pool's end of file. */
		short hand_offs = server.standby > 0 ? 0 : POLLIN;
		struct pollfd p[4] = {
			{ .fd = server.link[0], .events = POLLIN },
			{ .fd = server.sfd, .events = POLLIN },
			{ .fd = sock, .events = hand_offs },
			{ .fd = server.program, .events = POLLIN },
		};
		struct timespec look = { 0, SERVER_LOOK_PARENT_MS * 1000000L };
		if (server_poll_ms() >= 0 &&
		    (!timed || wait_ns > SERVER_LOOK_PARENT_MS * 1000000LL)) {
			wait_for = look;
			timed = true;
		}
		if (ppoll(p, 4, timed ? &wait_for : NULL, NULL) < 0 &&
		    errno != EINTR)
			_exit(CFORK_EXIT_PAYLOAD);
		if (server_program_ended(p[3].revents))
			server_drain();
		/* Taken before reaped: a call whose child already ended is
		   tracked first, then told. */
		if (p[0].revents & POLLIN)
			server_taken();
		if (p[1].revents) {
			struct signalfd_siginfo si;
			while (read(server.sfd, &si, sizeof(si)) == sizeof(si))
				;
			server_reap();
		}
		if (server.standby > 0) {
			if (p[2].revents & (POLLHUP | POLLERR))
				server_drain();
		} else if (p[2].revents) {
			int fd = server_fork_for();
			if (fd >= 0)
				return fd;
			if (fd == -1)
				server_drain();
		}
	}
}
