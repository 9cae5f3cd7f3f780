/* SPDX-License-Identifier: MIT */
#ifndef CFORK_PARENT_H
#define CFORK_PARENT_H

/*
 * The caller's process, any thread: malloc, locks, libc, libseccomp and
 * liburing are fine here. This folder reaches wire/ (the contracts),
 * prexec/ (the launch request) and common/, never child/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "cfork.h"

struct launch_request;
struct deadline;

/* check.c: values against a signature (converted where exact), attrs. */
int check_values(const char *sig, cfork_value *v, size_t argc);
int check_attr(const cfork_attr *attr);
/* 0 for a directory fd of a cgroup v2 mount; -EINVAL, or -errno (-EBADF). */
int check_cgroup_fd(int fd);

/* payload.c: the payload's memfd. */
int payload_create(unsigned *paths);
int payload_write(int fd, struct iovec *iov, size_t niov, size_t size);
int payload_seal(int fd);

/* writeout.c: the write-out engine. */
enum { WRITEOUT_AUTO, WRITEOUT_PWRITEV, WRITEOUT_URING };
struct writeout {
	struct io_uring *ring;	/* set while writes are in flight */
	unsigned pending;
	int fd;
	struct iovec *iov;
	size_t niov, size;
};
/* 0: written; 1: in flight, finish with writeout_finish(); or -errno. */
int writeout_start(struct writeout *w, int fd, struct iovec *iov,
		   size_t niov, size_t size);
int writeout_finish(struct writeout *w);
bool writeout_pending(const struct writeout *w);

/* launch.c */
struct launch_result {
	pid_t pid;
	int pidfd;		/* -1: a pid-only handle */
	unsigned paths;		/* CFORK_PATH_* */
};
/* launch_child() is called between these two, with every signal held. */
uint64_t launch_hold_signals(void);
void launch_release_signals(uint64_t saved);
int launch_child(struct launch_request *req, struct launch_result *res);
/* A sandbox's launch-time layers: what only a launch can set. Zeroed with
   cgroup_fd -1: none. */
struct launch_layers {
	uint64_t ns_flags;	/* CLONE_NEW* */
	int cgroup_fd;		/* the plan's own; -1: none */
	unsigned optional;	/* CFORK_LAYER_* the launch may drop (PREFER) */
	unsigned applied;	/* out: CFORK_LAYER_* the launch applied */
	/* With CLONE_NEWUSER: the lines the pre-exec child writes to its
	   uid_map and gid_map ("inside outside 1\n"); length 0: none. */
	char uid_map[32], gid_map[32];
	size_t uid_map_len, gid_map_len;
};
int launch_with_fallbacks(struct launch_layers *layers,
			  struct launch_request *req,
			  struct launch_result *res);

/* proc.c: the handle. */
int proc_new(cfork_proc **ret);
void proc_attach(cfork_proc *p, const struct launch_result *res,
		 const int report[2]);
void proc_limits(cfork_proc *p, size_t result_max);
/* applied: the launch's layers; child_layers: those the child may report;
   cpu_limit: whether among them is an RLIMIT_CPU. */
void proc_sandbox(cfork_proc *p, unsigned applied, unsigned child_layers,
		  bool cpu_limit);
/* The read ends of the captured streams (-1: none) and their bound. */
void proc_capture(cfork_proc *p, int out_fd, int err_fd, size_t max);
/* The child leads its own process group (setsid, or setpgid(0, 0)). */
void proc_group(cfork_proc *p, bool leader);
void proc_deadline(cfork_proc *p, struct deadline *d);
/* The read end of a pid namespace init's status channel (wire.h,
   struct pidns_end), or -1. */
void proc_pidns(cfork_proc *p, int status_fd);
/* A fork server's child (not ours to reap): how it ended comes on
   status_fd (struct pidns_end) from the server that reaps it. */
struct server_ref;
void proc_remote(cfork_proc *p, int status_fd, struct server_ref *server);
/* Whether a fork server's child has had its end told (the server may
   have reaped it since): false for any other child. */
bool proc_remote_told(const cfork_proc *p);
/* One step that never blocks: 0 with *st filled once the child has ended,
   -EAGAIN while it runs, or another -errno. */
int proc_step(cfork_proc *p, cfork_status *st);
/* What a waiter polls: the pidfd (-1: a pid-only handle), the report
   channel and the captured streams (-1: closed), each for POLLIN. */
#define PROC_POLL_FDS 4
void proc_poll_fds(const cfork_proc *p, struct pollfd *fds);

/* channel.c: a channel the parent reads from a child: fds[0] the
   parent's end (non-blocking, receives only), fds[1] the child's (sends
   only), both above stdio and close-on-exec. 0 or -errno. */
int channel_pair(int fds[2]);
/* The bytes a channel holds now: what a child that has ended left in it. */
size_t channel_queued(int fd);
/* pidfd_exit.c: waitid() on our child through its pidfd, or by pid where
   there is none or on Linux 5.3 (no P_PIDFD): the pid is the child's
   until it is reaped, by us or by the program's own wait for any child,
   which a caller that can rules out first. */
int child_waitid(int pidfd, pid_t pid, siginfo_t *si, int flags);
/* How the child behind pidfd (pid), which the kernel reaped itself,
   ended, as waitid() would tell; -ECHILD where the kernel cannot tell. */
int pidfd_exit(int pidfd, pid_t pid, siginfo_t *si);
/* closer.c: takes the n fds a child passed (or a channel given up on),
   to be closed on a thread of its own, never the caller's. false when
   the fds left for it are past its bound: the channel that brought them
   is to be read no more. */
bool closer_take(const int *fds, size_t n);

/* How many of a child's ptrace stops one look lets go of before it calls
   the child running: one that makes itself stop again at once must not
   hold its caller in a loop. */
#define TRACE_STOPS_PER_LOOK 8
/* How long cfork_free() waits for a killed child's end (or the last
   reference to a fork server for its end) before it leaves the reaping
   to the reaper; how many stops of a server either continues before it
   kills one that is stopped again. */
#define REAP_INLINE_MS 100
#define SERVER_STOPS_MAX 3
/* reaper.c: takes a child that is ending (killed, or a fork server whose
   pool let go of it) to be reaped on a thread of its own. reopen: the
   reaper opens a pidfd of its own, on its own file description, and
   pidfd stays the caller's; otherwise pidfd is the reaper's once taken.
   false when it cannot (no pidfd, no memory, no thread): the caller
   reaps it itself. */
bool reaper_take(pid_t pid, int pidfd, bool reopen);

/* read(2) of a channel: what a child passed with the bytes (fds, before
   Linux 6.16) is left to the closer, so that it cannot hold the caller;
   -1 with EMFILE once the closer has as many as it may be left: the
   channel is to be read no more, and channel_close() leaves it to the
   closer too. */
ssize_t channel_read(int fd, void *buf, size_t len);
/* close(2) of a channel, taking what it still holds first where that
   could hold the caller. A copy of a handle in a child of fork()
   (owner false) only closes its fd: the channel is the parent's. */
void channel_close(int fd, bool owner);

/* output.c: a captured stream of the child. */
struct output {
	int fd;			/* read end, non-blocking; -1: closed */
	char *buf;		/* NUL-terminated after len */
	size_t len, cap, max;
	bool truncated;
};
/* Reads what the channel holds now, at most max_bytes (rounded up to a
   read) and, unless end_ns is 0, until now_ns() reaches end_ns (rounded
   up to a read); 0 or -ENOMEM. */
int output_drain(struct output *o, size_t max_bytes, int64_t end_ns);
/* Closes the channel, keeps what was read (owner: channel_close()). */
void output_release_fd(struct output *o, bool owner);
void output_release(struct output *o, bool owner);

/* signal_child.c: a signal for a child of this process, or of one of its
   fork servers: through the pidfd, else the pid while it still names the
   child. 0: sent; 1: the child has ended, nothing sent; -ESRCH: it is
   gone; or another -errno. */
struct child_ref {
	pid_t pid;
	int pidfd;	/* or -1 */
	int told_fd;	/* a fork server's status channel, or -1 */
};
int signal_child(const struct child_ref *c, int sig);

/* deadline.c: SIGKILL a child ms from now, by cfork's watchdog thread
   (signal_child()). The pid stays the child's only if its reaping (or, for
   a fork server's child, the read of its told end) happens between
   deadline_reap_begin() and deadline_reap_end(), and deadline_settle()
   releases the deadline there once it is reaped, or gone (true: it
   fired). deadline_release() elsewhere, before the handle's fds are
   closed. now_ms(): the monotonic clock, what every timeout of the parent
   counts by. */
int64_t now_ms(void);
int64_t now_ns(void);

/* background_thread.c: starts thread_main(NULL) on a thread of cfork's
   own (detached, every signal blocked); 0 or an errno value. */
int background_thread_start(void *(*thread_main)(void *));

/* process_token.c: this process, as no copy of it made by fork() is (a pid
   is not: a copy in a new pid namespace can have the same number). */
uint64_t process_token(void);
struct deadline;
int deadline_arm(struct deadline **ret, const struct child_ref *child,
		 int ms);
void deadline_reap_begin(const struct deadline *d);
void deadline_reap_end(const struct deadline *d);
bool deadline_settle(struct deadline *d);
void deadline_release(struct deadline *d);

/* dl.c: dlsym(name) into the function pointer at slot; false if absent. */
bool dl_symbol(void *lib, const char *name, void *slot);

/* spawn.c and pool.c: a pool's child, launched ahead of demand, waiting
   for one hand-off on its socket. */
/* What a launch set, by which a warm child serves a call only if the
   call's sandbox would have the same launched: its namespaces, identity
   maps, cgroup (by inode) and which of them may be dropped. */
struct launch_shape {
	uint64_t ns_flags;
	unsigned optional;
	dev_t cgroup_dev;	/* 0 and 0: none */
	ino_t cgroup_ino;
	char uid_map[32], gid_map[32];
	size_t uid_map_len, gid_map_len;
};
void launch_shape_of(const struct launch_layers *layers,
		     struct launch_shape *shape);
/* Whether layers would launch what shape was launched with. */
bool launch_shape_fits(const struct launch_layers *layers,
		       const struct launch_shape *shape);

struct warm_child {
	pid_t pid;
	int pidfd;		/* -1: a pid-only handle */
	int sock;		/* the parent's end */
	int out_rd, err_rd;	/* captured streams' read ends, or -1 */
	unsigned paths;		/* CFORK_PATH_* of its launch */
	unsigned launch_applied;	/* CFORK_LAYER_* its launch applied */
	struct launch_shape shape;	/* what its launch was asked for */
	bool server;		/* a fork server: it forks a child per call */
	bool bound_now;		/* a server launched with LD_BIND_NOW=1 */
	bool retiring;		/* it answered too late to take more calls */
	struct server_ref *ref;	/* a fork server's, shared with its calls */
};
int warm_launch(const cfork_attr *attr, struct warm_child *c, bool server,
		bool bind_now);

/* own_stdio.c: the fds a launch installs as the child's stdio: a captured
   stream's socket (captured[i], or -1), else attr's, which a sandboxed
   child gets as a description of its own where its fd can be opened
   again (a pipe, a FIFO, a terminal). own[i] (or -1) is that new fd, for
   the caller to close once the child is launched, or the spawn has
   failed. 0, or -errno where one that should be opened again cannot be
   (the file's comment says which). */
int own_stdio(const cfork_attr *attr, const int captured[3], int stdio[3],
	      int own[3]);

/* environ.c: the caller's envp (or environ) without CFORK_FD and
   BXFI_MAP, plus extra (when not NULL) and marker; NULL where there is no
   memory. Whether that environment sets name, to anything. */
char **child_environ(const char *marker, const char *const *from,
		     const char *extra);
bool environ_sets(const char *const *envp, const char *name);

/* server_ref.c: a fork server is reaped by whoever lets go of it last, its
   pool or one of its calls' handles. NULL where there is no memory. */
struct server_ref *server_ref_new(pid_t pid, int pidfd);
struct server_ref *server_ref_get(struct server_ref *ref);
void server_ref_put(struct server_ref *ref);
/* Whether it runs, was stopped (job control's stop, not a ptrace stop),
   has ended, or is gone (reaped by another wait). */
enum server_state { SERVER_GONE, SERVER_ENDED, SERVER_STOPPED, SERVER_RUNS };
enum server_state server_state(const struct server_ref *ref);
/* cfork_spawnv() with the launch replaced by a hand-off to warm (when not
   NULL): on success the child is the handle's; on failure warm keeps it.
   With shape (a pool's), a call whose sandbox would launch anything else
   is refused (-EINVAL), warm or cold; WARM_SHAPE_DIFFERS: warm, untouched,
   was launched with another shape than the call's (a refill or a restart
   while the sandbox was another), and the call is not the caller's error.
   WARM_NOT_SERVED: the call was not handed over (the kernel would not
   queue the hand-off), or a fork server answered that it did not run it:
   it is the caller's to launch cold. Any other error after a hand-off is
   the caller's, and the call is not run again anywhere: it may have
   begun. */
#define WARM_SHAPE_DIFFERS (-4096)
#define WARM_NOT_SERVED (-4097)
int spawn_call_run(cfork_proc **ret_proc, const cfork_attr *attr,
		   const char *name, const cfork_value *argv, size_t argc,
		   struct warm_child *warm, const struct launch_shape *shape);

/* handoff.c: the socket pair a warm child waits on (sv[1] its end),
   which tells it who sent each message. */
int handoff_pair(int sv[2]);
/* One call's fds, each under the number the payload names it by (fds[0],
   the payload, anywhere; fds[keep], the receiver's own). */
int handoff_send(int sock, const int *fds, size_t n, int keep);
/* A fork server's answer, waited for timeout_ms at most: its child's pid
   and pidfd (-1 where it could make none), *sock closed (-1) when it came
   as the wait ended; -ETIMEDOUT (no child can answer from then on),
   -EPIPE, -EAGAIN (the call did not run: the server could not fork, or
   the child ended unanswered, as status_rd, the call's status channel,
   tells). */
#define SERVER_ANSWER_MS 5000
int server_answer(int *sock, int status_rd, int timeout_ms, pid_t *ret_pid,
		  int *ret_pidfd);

/* buffer.c */
int buffer_freeze(cfork_buffer *b);
int buffer_fd(const cfork_buffer *b);

#endif
