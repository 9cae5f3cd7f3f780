/* SPDX-License-Identifier: MIT */
/*
 * cfork_spawnv() and cfork_runv(): the parent's side of one call, as a list
 * of steps: check (check.c) -> the sandbox's plan (sandbox/plan.c) -> encode
 * (wire/payload.c) -> write and seal (payload.c, writeout.c) -> launch
 * (launch.c) -> the handle (proc.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"
#include "prexec.h"
#include "sandbox/sandbox.h"
#include "wire.h"

/* The program's own argv[0], for the child's argv[0]. */
extern char *program_invocation_name;

/* A caller whose fds 0, 1 or 2 are closed would get the release pipe
   there, and in the child it would be its stdio: keep it above. */
static int pipe_above_stdio(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	return fd_pair_above_stdio(fds);
}

/* A file-size limit below the payload's size makes the kernel send SIGXFSZ,
   whose default action would end the caller. It is held with every other
   signal during the write-out (launch_hold_signals), and what the write-out
   raised is taken back before the caller's mask returns: the spawn fails
   with -EFBIG instead. */
static void xfsz_discard(uint64_t caller_mask)
{
	const struct timespec now = { 0, 0 };
	sigset_t xfsz;

	if (caller_mask & (1ULL << (SIGXFSZ - 1)))
		return;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	sigtimedwait(&xfsz, NULL, &now);
}

/* Everything one spawn owns until the child is running. */
struct spawn_call {
	cfork_value *values;
	struct payload_buffer *buffers;	/* by argument, for cfork_buffers */
	int report[2];
	int memfd;
	struct payload_out payload;
	struct writeout writeout;
	int ready[2];		/* releases the child once the payload is in */
	char marker[48];	/* CFORK_FD=memfd[:ready], pointed at by envp */
	char **envp;
	int *keep;
	cfork_proc *proc;
	struct sandbox_plan sandbox;
	bool signals_held;
	uint64_t caller_mask;	/* restored after the launch, and in the child */
	bool efbig;		/* the write-out raised SIGXFSZ */
	int exe_fd;
	int cwd_fd;		/* attr->cwd, O_PATH */
	int out[2], err[2];	/* captured stdout and stderr */
	int stdio[3];		/* what the child gets as its stdio */
	int own_stdio[3];	/* of those, the ones opened for it alone */
	int status[2];		/* a pid namespace init's end of pid 2, or a
				   fork server's end of its child */
	struct server_ref *remote;	/* a fork server's child: not ours
					   to reap, but that server's */
};

/* Nothing owned yet: what spawn_release() may always be given. */
#define SPAWN_CALL_INIT { .report = { -1, -1 }, .ready = { -1, -1 },	\
			  .out = { -1, -1 }, .err = { -1, -1 },		\
			  .status = { -1, -1 }, .memfd = -1, .cwd_fd = -1,	\
			  .own_stdio = { -1, -1, -1 },			\
			  .sandbox.launch.cgroup_fd = -1,			\
			  .sandbox.section.base_ruleset = -1 }

/* Notes a write-out that raised SIGXFSZ, for spawn_release(). */
static int writeout_result(struct spawn_call *s, int r)
{
	if (r == -EFBIG)
		s->efbig = true;
	return r;
}

static void spawn_release(struct spawn_call *s)
{
	free(s->values);
	free(s->buffers);
	/* The kernel may still be reading the caller's buffers. */
	if (writeout_pending(&s->writeout))
		writeout_result(s, writeout_finish(&s->writeout));
	for (int i = 0; i < 2; i++) {
		if (s->report[i] >= 0)
			close(s->report[i]);
		if (s->ready[i] >= 0)
			close(s->ready[i]);
		if (s->out[i] >= 0)
			close(s->out[i]);
		if (s->err[i] >= 0)
			close(s->err[i]);
		if (s->status[i] >= 0)
			close(s->status[i]);
	}
	for (int i = 0; i < 3; i++)
		if (s->own_stdio[i] >= 0)
			close(s->own_stdio[i]);
	if (s->cwd_fd >= 0)
		close(s->cwd_fd);
	if (s->memfd >= 0)
		close(s->memfd);
	payload_out_release(&s->payload);
	free(s->envp);
	free(s->keep);
	cfork_free(s->proc);
	sandbox_plan_release(&s->sandbox);
	if (s->signals_held) {
		if (s->efbig)
			xfsz_discard(s->caller_mask);
		launch_release_signals(s->caller_mask);
	}
}

/* Freezes every buffer argument, before any child can see it, and notes
   the memfd and length the payload names for it. */
static int spawn_buffers(struct spawn_call *s, size_t argc)
{
	for (size_t i = 0; i < argc; i++) {
		cfork_buffer *b;
		int r;

		if (s->values[i].type != CFORK_BUFFER)
			continue;
		b = s->values[i].as.buffer;
		r = buffer_freeze(b);
		if (r < 0)
			return r;
		if (!s->buffers &&
		    !(s->buffers = calloc(argc, sizeof(*s->buffers))))
			return -ENOMEM;
		s->buffers[i] = (struct payload_buffer){
			buffer_fd(b), cfork_buffer_size(b)
		};
	}
	return 0;
}

/* The payload, written into its memfd (and sealed), or still being
   written by io_uring while the child starts: then the child waits for a
   byte on ready[0] before it maps it. */
static int spawn_payload(struct spawn_call *s, const char *name,
			 bool is_static, size_t argc, unsigned *paths)
{
	const struct payload_call call = {
		.name = name,
		.is_static = is_static,
		.report_fd = s->report[1],
		.image_fd = s->exe_fd,
		.status_fd = s->status[1],
		.sigmask = s->caller_mask,
		.argv = s->values,
		.argc = argc,
		.buffers = s->buffers,
		.section = s->sandbox.section.blob,
		.section_len = s->sandbox.section.len,
	};
	int r = payload_encode(&s->payload, &call);

	if (r < 0)
		return r;
	s->memfd = payload_create(paths);
	if (s->memfd < 0)
		return s->memfd;
	r = writeout_result(s, writeout_start(&s->writeout, s->memfd,
					      s->payload.iov, s->payload.niov,
					      s->payload.size));
	if (r < 0)
		return r;
	if (r == 0) {
		r = payload_seal(s->memfd);
		if (r < 0)
			return r;
		(void)snprintf(s->marker, sizeof(s->marker), CFORK_ENV "=%d",
			       s->memfd);
		return 0;
	}
	*paths |= CFORK_PATH_URING;
	r = pipe_above_stdio(s->ready);
	if (r < 0)
		return r;
	(void)snprintf(s->marker, sizeof(s->marker), CFORK_ENV "=%d:%d",
		       s->memfd, s->ready[0]);
	return 0;
}

/* Adds fd to keep[1..] once (a hand-off places each fd once). */
static void keep_add(int *keep, size_t *n, int fd)
{
	for (size_t i = 1; i < *n; i++)
		if (keep[i] == fd)
			return;
	keep[(*n)++] = fd;
}

/* Exactly the fds the child inherits, each once, the payload's first:
   cfork's own, the arguments', the buffers', the landlock rules' paths
   and, at a launch (attr not NULL), the release pipe and the caller's
   keep_fds, which a pool's child got at its own launch. *ret_status (if
   asked) is the status channel's index, or -1. */
static int spawn_keep_fds(struct spawn_call *s, const cfork_attr *attr,
			  size_t argc, size_t *ret_n, int *ret_status)
{
	const struct child_section *sec = &s->sandbox.section;
	size_t nkeep_fds = attr ? attr->nkeep_fds : 0, n = 0;

	s->keep = malloc((argc + nkeep_fds + sec->npath_fds + 5) *
			 sizeof(*s->keep));
	if (!s->keep)
		return -ENOMEM;
	s->keep[n++] = s->memfd;
	keep_add(s->keep, &n, s->report[1]);
	keep_add(s->keep, &n, s->exe_fd);
	if (attr && s->ready[0] >= 0)
		keep_add(s->keep, &n, s->ready[0]);
	if (ret_status)
		*ret_status = s->status[1] >= 0 ? (int)n : -1;
	if (s->status[1] >= 0)
		keep_add(s->keep, &n, s->status[1]);
	for (size_t i = 0; i < argc; i++) {
		if (s->values[i].type == CFORK_FD && s->values[i].as.fd > 2)
			keep_add(s->keep, &n, s->values[i].as.fd);
		if (s->values[i].type == CFORK_BUFFER)
			keep_add(s->keep, &n, s->buffers[i].fd);
	}
	for (size_t i = 0; i < nkeep_fds; i++)
		if (attr->keep_fds[i] > 2)
			keep_add(s->keep, &n, attr->keep_fds[i]);
	for (size_t i = 0; i < sec->npath_fds; i++)
		keep_add(s->keep, &n, sec->path_fds[i]);
	*ret_n = n;
	return 0;
}

/* The report channel, and in a new pid namespace the channel on which the
   child's init tells how the function ended (child/pidns.c). */
static int spawn_channels(struct spawn_call *s)
{
	int r = channel_pair(s->report);

	if (r == 0 && (s->sandbox.launch.ns_flags & CLONE_NEWPID))
		r = channel_pair(s->status);
	return r;
}

static int spawn_prepare(struct spawn_call *s, const cfork_attr *attr,
			 const char *name, bool is_static, size_t argc,
			 struct launch_request *req, unsigned *paths)
{
	size_t nkeep = 0;
	int r;

	r = spawn_buffers(s, argc);
	if (r < 0)
		return r;
	r = spawn_channels(s);
	if (r < 0)
		return r;
	s->caller_mask = launch_hold_signals();
	s->signals_held = true;
	r = spawn_payload(s, name, is_static, argc, paths);
	if (r < 0)
		return r;
	r = spawn_keep_fds(s, attr, argc, &nkeep, NULL);
	if (r < 0)
		return r;
	s->envp = child_environ(s->marker, attr->envp, NULL);
	if (!s->envp)
		return -ENOMEM;
	r = proc_new(&s->proc);
	if (r < 0)
		return r;

	*req = (struct launch_request){
		.exe_fd = s->exe_fd,
		.stdio = { s->stdio[0], s->stdio[1], s->stdio[2] },
		.keep_fds = s->keep,
		.nkeep_fds = nkeep,
		.pdeathsig = attr->pdeathsig,
		.cgroup_fd = attr->cgroup_fd,
		.report_fd = s->report[1],
		.report_rd = s->report[0],
		.parent_pid = attr->pdeathsig ? getpid() : 0,
		.cwd_fd = s->cwd_fd,
		.setsid = attr->flags & CFORK_ATTR_SETSID,
		.setpgroup = attr->flags & CFORK_ATTR_SETPGROUP,
		.pgroup = attr->pgroup,
	};
	return 0;
}

/* What the launch needs from attr before anything else is made: the
   working directory, opened now so that a bad one is this spawn's error,
   the channels of the captured streams, and the child's stdio. */
static int spawn_attr_fds(struct spawn_call *s, const cfork_attr *attr)
{
	int r;

	if (attr->cwd) {
		s->cwd_fd = open(attr->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (s->cwd_fd < 0)
			return -errno;
		s->cwd_fd = fd_move_above_stdio(s->cwd_fd);
		if (s->cwd_fd < 0)
			return s->cwd_fd;
	}
	if (attr->capture & CFORK_CAPTURE_STDOUT) {
		r = channel_pair(s->out);
		if (r < 0)
			return r;
	}
	if (attr->capture & CFORK_CAPTURE_STDERR) {
		r = channel_pair(s->err);
		if (r < 0)
			return r;
	}
	return own_stdio(attr, (const int[3]){ -1, s->out[1], s->err[1] },
			 s->stdio, s->own_stdio);
}

/* The handle takes over what outlives the spawn: the report channel, the
   captured streams' read ends, the deadline. */
static int spawn_handle(struct spawn_call *s, const cfork_attr *attr,
			const struct launch_result *res)
{
	proc_attach(s->proc, res, s->report);
	s->report[0] = s->report[1] = -1;
	proc_limits(s->proc, attr->result_max);
	proc_sandbox(s->proc, s->sandbox.launch.applied,
		     s->sandbox.section.layers, s->sandbox.section.cpu_limit);
	proc_capture(s->proc, s->out[0], s->err[0], attr->output_max);
	s->out[0] = s->err[0] = -1;
	const struct child_ref child = {
		.pid = res->pid, .pidfd = res->pidfd,
		.told_fd = s->remote ? s->status[0] : -1,
	};
	if (s->remote)
		proc_remote(s->proc, s->status[0], s->remote);
	else
		proc_pidns(s->proc, s->status[0]);
	s->status[0] = -1;
	proc_group(s->proc, (attr->flags & CFORK_ATTR_SETSID) ||
			    ((attr->flags & CFORK_ATTR_SETPGROUP) &&
			     !attr->pgroup));
	if (!attr->deadline_ms)
		return 0;
	struct deadline *d;
	int r = deadline_arm(&d, &child, attr->deadline_ms);
	if (r < 0)
		return r;
	proc_deadline(s->proc, d);
	return 0;
}

/* A call handed to a warm child instead of launched: the same payload,
   sealed before it goes, and the fds a launch would have kept open. A
   fork server (c->server) forks a child for it and answers; its status
   channel stays with the server. */
static int spawn_handoff(struct spawn_call *s, const char *name,
			 bool is_static, size_t argc, struct warm_child *c,
			 struct launch_result *res, unsigned *paths)
{
	/* What the child was launched with is not what this call's sandbox
	   asks for now: the child untouched, for the pool to replace. */
	if (!launch_shape_fits(&s->sandbox.launch, &c->shape))
		return WARM_SHAPE_DIFFERS;
	int r = spawn_buffers(s, argc);

	if (r == 0)
		r = spawn_channels(s);
	if (r < 0)
		return r;
	s->caller_mask = launch_hold_signals();
	s->signals_held = true;
	r = spawn_payload(s, name, is_static, argc, paths);
	if (r == 0 && s->ready[1] >= 0) {
		r = writeout_result(s, writeout_finish(&s->writeout));
		if (r == 0)
			r = payload_seal(s->memfd);
	}
	if (r == 0)
		r = proc_new(&s->proc);
	/* A pid namespace's init and a fork server would both want the
	   status channel. */
	if (r == 0 && c->server && s->status[1] >= 0)
		r = -ENOTSUP;
	if (r == 0 && c->server)
		r = channel_pair(s->status);
	size_t n = 0;
	int status_index = -1;
	if (r == 0)
		r = spawn_keep_fds(s, NULL, argc, &n, &status_index);
	if (r < 0)
		return r;
	/* A fork server keeps the status channel; a pool child places it.
	   A send that failed queued nothing (a hostile call can fill the
	   kernel's count of fds in flight): the child or server is as it
	   was, and the call launches cold. */
	r = handoff_send(c->sock, s->keep, n, c->server ? status_index : -1);
	if (r < 0)
		return WARM_NOT_SERVED;
	if (c->server) {
		/* The hand-off holds the status channel now: with this copy
		   gone, a standby that dies before it gave the channel to the
		   server (having taken the hand-off out of the socket) hangs
		   it up, and the call, which never ran, launches cold at
		   once rather than after the wait for an answer. */
		close(s->status[1]);
		s->status[1] = -1;
		r = server_answer(&c->sock, s->status[0], SERVER_ANSWER_MS,
				  &res->pid, &res->pidfd);
		if (r == 0) {
			c->retiring = c->sock < 0;
			res->paths = c->paths | CFORK_PATH_FORK_SERVER;
			s->remote = c->ref;
			s->sandbox.launch.applied = c->launch_applied;
			return 0;
		}
		/* The call did not run, and the server serves on. */
		if (r == -EAGAIN)
			return WARM_NOT_SERVED;
	}
	if (r < 0) {
		/* Spent: whatever the child read of it, it gets no other. */
		close(c->sock);
		c->sock = -1;
		return r;
	}

	*res = (struct launch_result){ c->pid, c->pidfd,
					c->paths | CFORK_PATH_POOL };
	c->pidfd = -1;
	c->pid = -1;
	close(c->sock);
	c->sock = -1;
	s->out[0] = c->out_rd;
	s->err[0] = c->err_rd;
	c->out_rd = c->err_rd = -1;
	s->sandbox.launch.applied = c->launch_applied;
	return 0;
}

/* Everything of cfork_spawnv() but the launch, which warm (a pool's child
   waiting for a hand-off) replaces when it is not NULL. */
int spawn_call_run(cfork_proc **ret_proc, const cfork_attr *attr,
		   const char *name, const cfork_value *argv, size_t argc,
		   struct warm_child *warm, const struct launch_shape *shape)
{
	static const cfork_attr defaults = CFORK_ATTR_INIT;
	const struct cfork_registration *reg;
	struct spawn_call s = SPAWN_CALL_INIT;
	struct launch_request req;
	struct launch_result res;
	unsigned paths = 0;
	bool is_static;
	int r;

	if (!ret_proc || !name || (!argv && argc))
		return -EINVAL;
	if (argc > CFORK_ARGC_MAX)
		return -E2BIG;
	if (!attr)
		attr = &defaults;
	s.exe_fd = image_fd();
	if (s.exe_fd < 0)
		return s.exe_fd;
	r = registry_find(name, &reg, &is_static);
	if (r < 0)
		return r;
	/* The child is this program again: one that never calls cfork_init()
	   would run main() instead of the function, and its first call
	   dispatches before any later registration. */
	if (!registry_child_sees(reg, is_static))
		return -ENOTSUP;
	r = check_attr(attr);
	if (r < 0)
		return r;

	s.values = malloc((argc ? argc : 1) * sizeof(*s.values));
	if (!s.values)
		return -ENOMEM;
	if (argc)
		memcpy(s.values, argv, argc * sizeof(*argv));
	r = check_values(reg->sig, s.values, argc);
	if (r < 0)
		goto out;
	if (attr->sandbox) {
		r = sandbox_prepare(attr->sandbox, attr, &s.sandbox);
		if (r < 0)
			goto out;
	}
	if (shape && !launch_shape_fits(&s.sandbox.launch, shape)) {
		r = -EINVAL;
		goto out;
	}

	if (warm) {
		r = spawn_handoff(&s, name, is_static, argc, warm, &res, &paths);
		if (r < 0)
			goto out;
	} else {
		r = spawn_attr_fds(&s, attr);
		if (r < 0)
			goto out;
		r = spawn_prepare(&s, attr, name, is_static, argc, &req, &paths);
		if (r < 0)
			goto out;
		char *argv0[] = { program_invocation_name, NULL };
		req.argv = argv0;
		req.envp = s.envp;
		r = launch_with_fallbacks(&s.sandbox.launch, &req, &res);
		if (r < 0)
			goto out;
	}

	res.paths |= paths;
	/* From here a failure kills and reaps the child (spawn_release()
	   frees the handle): the spawn fails as a whole. */
	r = spawn_handle(&s, attr, &res);
	if (r < 0)
		goto out;
	if (!warm && s.ready[1] >= 0) {
		r = writeout_result(&s, writeout_finish(&s.writeout));
		if (r == 0)
			r = payload_seal(s.memfd);
		if (r == 0 && write(s.ready[1], "", 1) != 1)
			r = -errno;
		/* A child that never got its payload is killed and reaped
		   by spawn_release(): the spawn fails as a whole. */
		if (r < 0)
			goto out;
	}
	*ret_proc = s.proc;
	s.proc = NULL;
out:
	spawn_release(&s);
	return r;
}

int cfork_spawnv(cfork_proc **ret_proc, const cfork_attr *attr,
		 const char *name, const cfork_value *argv, size_t argc)
{
	PROTECT_ERRNO;
	return spawn_call_run(ret_proc, attr, name, argv, argc, NULL, NULL);
}

/* A pool's child, launched as any child is, with CFORK_FD=p<socket>: it
   runs its constructor and waits for one hand-off (child/source.c); or a
   fork server, with CFORK_FD=s<socket>.
 *
 * With bind_now, a fork server's dynamic loader binds every symbol as it
 * starts (LD_BIND_NOW, where the caller's environment does not set it
 * either way; the marker then goes on with 'n', and the server takes the
 * variable out of its environment before anything else runs, so that its
 * calls see the caller's). Left lazy, every child it forks would bind
 * what it calls on its own, in pages of its own: a dozen page faults on
 * each call's way to its function. A server's marker goes on with r<mask>
 * where some of its stdio is its own (bit i: fd i), whose status flags
 * it gives each call as they were at its launch (child/server.c), and
 * ends in d<signal> with attr.pdeathsig: a server serves every thread of
 * the program, so it is not tied to the thread that launched it
 * (PR_SET_PDEATHSIG is), but watches the program, and gives its calls
 * that signal when the program ends. */
int warm_launch(const cfork_attr *attr, struct warm_child *c, bool server,
		bool bind_now)
{
	struct spawn_call s = SPAWN_CALL_INIT;
	struct launch_request req;
	struct launch_result res;
	int sv[2] = { -1, -1 };
	size_t n = 0;
	int r;

	s.exe_fd = image_fd();
	if (s.exe_fd < 0)
		return s.exe_fd;
	if (attr->sandbox) {
		r = sandbox_prepare(attr->sandbox, attr, &s.sandbox);
		if (r < 0)
			goto out;
	}
	r = spawn_attr_fds(&s, attr);
	if (r == 0)
		r = channel_pair(s.report);
	if (r == 0)
		r = handoff_pair(sv);
	if (r < 0)
		goto out;
	bind_now = server && bind_now &&
		   !environ_sets(attr->envp, "LD_BIND_NOW");
	char own_mark[3] = "r0";
	for (int i = 0; i < 3; i++)
		own_mark[1] = (char)(own_mark[1] | (s.own_stdio[i] >= 0) << i);
	if (!server || own_mark[1] == '0')
		own_mark[0] = '\0';
	char death_mark[8] = "";
	if (server && attr->pdeathsig)
		(void)snprintf(death_mark, sizeof(death_mark), "d%d",
			       attr->pdeathsig);
	(void)snprintf(s.marker, sizeof(s.marker), CFORK_ENV "=%c%d%s%s%s",
		       server ? 's' : 'p', sv[1], bind_now ? "n" : "",
		       own_mark, death_mark);
	s.keep = malloc((attr->nkeep_fds + 2) * sizeof(*s.keep));
	s.envp = child_environ(s.marker, attr->envp,
			       bind_now ? "LD_BIND_NOW=1" : NULL);
	if (!s.keep || !s.envp) {
		r = -ENOMEM;
		goto out;
	}
	s.keep[n++] = sv[1];
	s.keep[n++] = s.exe_fd;
	for (size_t i = 0; i < attr->nkeep_fds; i++)
		if (attr->keep_fds[i] > 2)
			s.keep[n++] = attr->keep_fds[i];

	char *argv0[] = { program_invocation_name, NULL };
	req = (struct launch_request){
		.exe_fd = s.exe_fd,
		.argv = argv0,
		.envp = s.envp,
		.stdio = { s.stdio[0], s.stdio[1], s.stdio[2] },
		.keep_fds = s.keep,
		.nkeep_fds = n,
		.pdeathsig = server ? 0 : attr->pdeathsig,
		.cgroup_fd = attr->cgroup_fd,
		.report_fd = s.report[1],
		.report_rd = s.report[0],
		.parent_pid = !server && attr->pdeathsig ? getpid() : 0,
		.cwd_fd = s.cwd_fd,
		.setsid = attr->flags & CFORK_ATTR_SETSID,
		.setpgroup = attr->flags & CFORK_ATTR_SETPGROUP,
		.pgroup = attr->pgroup,
	};
	s.caller_mask = launch_hold_signals();
	s.signals_held = true;
	r = launch_with_fallbacks(&s.sandbox.launch, &req, &res);
	if (r < 0)
		goto out;
	*c = (struct warm_child){
		.pid = res.pid, .pidfd = res.pidfd, .sock = sv[0],
		.out_rd = s.out[0], .err_rd = s.err[0], .paths = res.paths,
		.launch_applied = s.sandbox.launch.applied, .server = server,
		.bound_now = bind_now,
	};
	launch_shape_of(&s.sandbox.launch, &c->shape);
	sv[0] = -1;
	s.out[0] = s.err[0] = -1;
out:
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	spawn_release(&s);
	return r;
}

int cfork_runv(const cfork_attr *attr, const char *name,
	       const cfork_value *argv, size_t argc)
{
	PROTECT_ERRNO;
	cfork_proc *p;
	cfork_status st;
	int r = cfork_spawnv(&p, attr, name, argv, argc);

	if (r < 0)
		return r;
	r = cfork_wait(p, -1, &st);
	cfork_free(p);
	if (r < 0)
		return r;
	return st.exited ? st.code : 128 + st.signal;
}
