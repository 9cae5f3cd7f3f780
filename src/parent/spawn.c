/* SPDX-License-Identifier: MIT */
/* cfork_spawnv() and cfork_runv(): the parent's side of one call. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

/* The program's own argv[0], for the child's argv[0]. */
extern char *program_invocation_name;

/* Converts v to the type the signature declares, where that is exact. */
static bool conform(cfork_value *v, cfork_type want)
{
	if (v->type == want)
		return true;
	if (v->type == CFORK_BUFFER)
		return want == CFORK_BYTES;
	if (v->type != CFORK_I64 && v->type != CFORK_U64)
		return false;

	bool is_signed = v->type == CFORK_I64;
	int64_t s = v->as.i64;
	uint64_t u = v->as.u64;

	switch (want) {
	case CFORK_U64:
		if (s < 0)
			return false;
		*v = cfork_u64((uint64_t)s);
		return true;
	case CFORK_I64:
		if (u > INT64_MAX)
			return false;
		*v = cfork_i64((int64_t)u);
		return true;
	case CFORK_BOOL:
		if (is_signed ? (s != 0 && s != 1) : u > 1)
			return false;
		*v = cfork_bool(u == 1);
		return true;
	case CFORK_F64: {
		double d = is_signed ? (double)s : (double)u;
		/* 2^63 and 2^64 are out of the integer ranges: compare in
		   range only. */
		bool exact = is_signed ?
			(d >= -0x1p63 && d < 0x1p63 && (int64_t)d == s) :
			(d < 0x1p64 && (uint64_t)d == u);
		if (!exact)
			return false;
		*v = cfork_f64(d);
		return true;
	}
	default:
		return false;
	}
}

static bool fd_is_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

static int check_values(const char *sig, cfork_value *v, size_t argc)
{
	if (sig && strlen(sig) != argc)
		return -EINVAL;
	for (size_t i = 0; i < argc; i++) {
		if (sig && !conform(&v[i], (cfork_type)sig[i]))
			return -EINVAL;
		switch (v[i].type) {
		case CFORK_I64: case CFORK_U64: case CFORK_F64: case CFORK_BOOL:
			break;
		case CFORK_STR:
			if (!v[i].as.str)
				return -EINVAL;
			break;
		case CFORK_BYTES:
			if (!v[i].as.bytes.data && v[i].as.bytes.len)
				return -EINVAL;
			break;
		case CFORK_FD:
			if (!fd_is_open(v[i].as.fd))
				return -EBADF;
			break;
		case CFORK_BUFFER:
			if (!v[i].as.buffer)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

static int check_attr(const cfork_attr *attr)
{
	for (int i = 0; i < 3; i++) {
		int fd = (&attr->stdin_fd)[i];
		if (fd != -1 && !fd_is_open(fd))
			return -EBADF;
	}
	if (attr->nkeep_fds && !attr->keep_fds)
		return -EINVAL;
	for (size_t i = 0; i < attr->nkeep_fds; i++)
		if (!fd_is_open(attr->keep_fds[i]))
			return -EBADF;
	if (attr->pdeathsig < 0 || attr->pdeathsig >= NSIG)
		return -EINVAL;
	if (attr->cgroup_fd != -1 && !fd_is_open(attr->cgroup_fd))
		return -EBADF;
	/* A field this version does not know: refused, not ignored. */
	for (size_t i = 0; i < sizeof(attr->reserved) / sizeof(*attr->reserved);
	     i++)
		if (attr->reserved[i])
			return -EINVAL;
	return 0;
}

/* environ without CFORK_FD (ours to set) and BXFI_MAP (Criterion's worker
   marker: BoxFort would take the child over), plus our marker. */
static char **child_environ(const char *marker)
{
	size_t n = 0, k = 0;

	while (environ && environ[n])
		n++;
	char **env = malloc((n + 2) * sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(environ[i], CFORK_ENV "=", sizeof(CFORK_ENV)) ||
		    !strncmp(environ[i], "BXFI_MAP=", 9))
			continue;
		env[k++] = environ[i];
	}
	env[k++] = (char *)marker;
	env[k] = NULL;
	return env;
}

/* A caller whose fds 0, 1 or 2 are closed would get our pipes there, and in
   the child they would be its stdio: keep them above. */
static int pipe_above_stdio(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		int fd = fd_above_stdio(fds[i]);
		if (fd < 0) {
			close(fds[1 - i]);
			fds[0] = fds[1] = -1;
			return fd;
		}
		fds[i] = fd;
	}
	return 0;
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
struct spawn {
	cfork_value *values;
	int report[2];
	int memfd;
	struct wire_out wire;
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
};

/* Notes a write-out that raised SIGXFSZ, for spawn_release(). */
static int writeout_result(struct spawn *s, int r)
{
	if (r == -EFBIG)
		s->efbig = true;
	return r;
}

static void spawn_release(struct spawn *s)
{
	free(s->values);
	/* The kernel may still be reading the caller's buffers. */
	if (writeout_pending(&s->writeout))
		writeout_result(s, writeout_finish(&s->writeout));
	for (int i = 0; i < 2; i++) {
		if (s->report[i] >= 0)
			close(s->report[i]);
		if (s->ready[i] >= 0)
			close(s->ready[i]);
	}
	if (s->memfd >= 0)
		close(s->memfd);
	wire_out_release(&s->wire);
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

static int spawn_prepare(struct spawn *s, const cfork_attr *attr,
			 const char *name, bool is_static, size_t argc,
			 struct launch_request *req, unsigned *paths)
{
	size_t nkeep = 0;
	int r;

	/* A buffer is frozen before any child can see it. */
	for (size_t i = 0; i < argc; i++) {
		if (s->values[i].type != CFORK_BUFFER)
			continue;
		r = buffer_freeze(s->values[i].as.buffer);
		if (r < 0)
			return r;
	}
	r = pipe_above_stdio(s->report);
	if (r < 0)
		return r;
	if (fcntl(s->report[0], F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	s->caller_mask = launch_hold_signals();
	s->signals_held = true;
	r = wire_encode_sandbox(&s->wire, name, is_static, s->report[1],
				s->caller_mask, s->values, argc,
				s->sandbox.blob, s->sandbox.blob_len);
	if (r < 0)
		return r;
	wire_set_image_fd(&s->wire, s->exe_fd);
	s->memfd = memfd_create_sealable(paths);
	if (s->memfd < 0)
		return s->memfd;
	r = writeout_result(s, writeout_start(&s->writeout, s->memfd,
					      s->wire.iov, s->wire.niov,
					      s->wire.size));
	if (r < 0)
		return r;
	if (r == 0) {
		r = memfd_seal(s->memfd);
		if (r < 0)
			return r;
		(void)snprintf(s->marker, sizeof(s->marker), CFORK_ENV "=%d",
			 s->memfd);
	} else {
		/* Still being written while the child starts: it waits for a
		   byte on ready[0] before it maps the payload. */
		*paths |= CFORK_PATH_URING;
		r = pipe_above_stdio(s->ready);
		if (r < 0)
			return r;
		(void)snprintf(s->marker, sizeof(s->marker), CFORK_ENV "=%d:%d",
			 s->memfd, s->ready[0]);
	}

	s->keep = malloc((argc + attr->nkeep_fds + 4) * sizeof(*s->keep));
	s->envp = child_environ(s->marker);
	if (!s->keep || !s->envp)
		return -ENOMEM;
	s->keep[nkeep++] = s->memfd;
	s->keep[nkeep++] = s->report[1];
	s->keep[nkeep++] = s->exe_fd;
	if (s->ready[0] >= 0)
		s->keep[nkeep++] = s->ready[0];
	for (size_t i = 0; i < argc; i++) {
		if (s->values[i].type == CFORK_FD && s->values[i].as.fd > 2)
			s->keep[nkeep++] = s->values[i].as.fd;
		if (s->values[i].type == CFORK_BUFFER)
			s->keep[nkeep++] = buffer_fd(s->values[i].as.buffer);
	}
	for (size_t i = 0; i < attr->nkeep_fds; i++)
		if (attr->keep_fds[i] > 2)
			s->keep[nkeep++] = attr->keep_fds[i];

	r = proc_new(&s->proc);
	if (r < 0)
		return r;

	*req = (struct launch_request){
		.exe_fd = s->exe_fd,
		.stdio = { attr->stdin_fd, attr->stdout_fd, attr->stderr_fd },
		.keep_fds = s->keep,
		.nkeep_fds = nkeep,
		.pdeathsig = attr->pdeathsig,
		.cgroup_fd = attr->cgroup_fd,
		.report_fd = s->report[1],
		.report_rd = s->report[0],
		.parent_pid = attr->pdeathsig ? getpid() : 0,
	};
	return 0;
}

int cfork_spawnv(cfork_proc **ret_proc, const cfork_attr *attr,
		 const char *name, const cfork_value *argv, size_t argc)
{
	PROTECT_ERRNO;
	static const cfork_attr defaults = CFORK_ATTR_INIT;
	const struct cfork_registration *reg;
	struct spawn s = { .report = { -1, -1 }, .ready = { -1, -1 },
			   .memfd = -1 };
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
	s.exe_fd = self_exe_fd();
	if (s.exe_fd < 0)
		return s.exe_fd;
	r = registry_find(name, &reg, &is_static);
	if (r < 0)
		return r;
	/* The child is this program again: one that never calls cfork_init()
	   would run main() instead of the function. */
	if (!is_static && !init_was_called())
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

	r = spawn_prepare(&s, attr, name, is_static, argc, &req, &paths);
	if (r < 0)
		goto out;

	char *argv0[] = { program_invocation_name, NULL };
	req.argv = argv0;
	req.envp = s.envp;
	/* With no sandbox (a zeroed plan), a plain launch(). */
	r = sandbox_launch(&s.sandbox, &req, &res);
	if (r < 0)
		goto out;

	res.paths |= paths;
	proc_attach(s.proc, &res, s.report);
	proc_limits(s.proc, attr->result_max);
	proc_sandbox(s.proc, s.sandbox.applied, s.sandbox.child_layers);
	s.report[0] = s.report[1] = -1;	/* the handle's now */
	if (s.ready[1] >= 0) {
		r = writeout_result(&s, writeout_finish(&s.writeout));
		if (r == 0)
			r = memfd_seal(s.memfd);
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
