/* SPDX-License-Identifier: MIT */
/*
 * Launch: clone3(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) onto a private stack,
 * where prexec_main() (prexec/child.c) sets the child up and execveat()s the
 * program's own binary; then clone(2) where clone3 is refused, pidfd_open
 * where clone gave no pidfd, and a pid-only handle where neither works.
 *
 * Signals stay blocked from before the clone until the child's constructor,
 * after exec: no handler of the parent can run on the parent's memory in
 * the child, at any moment. The caller holds them from before the payload
 * is written (launch_hold_signals): the mask it saves is the one the child
 * restores, and a SIGXFSZ from the write-out cannot end the caller. Exec
 * itself resets every handled signal to SIG_DFL (and keeps SIG_IGN), and
 * the constructor restores the caller's mask, which travels in the payload.
 * This spares the child a sigaction per signal before exec and leaves no
 * window in which a handler could run.
 *
 * A sandbox's launch-time layers (namespaces, a cgroup) are flags of the
 * launch; one the host refuses under PREFER is dropped and the launch made
 * again (launch_with_fallbacks).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"
#include "prexec.h"
#include "sys.h"

/* The child's stack, on the suspended parent's stack as musl does: the child
   makes only system calls, so a few pages are plenty. */
#define LAUNCH_STACK_SIZE 16384

long arch_clone(long nr, long a1, long a2, long a3, int (*fn)(void *),
		void *arg);

struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* Learnt once per process: a seccomp profile that refuses clone3 refuses it
   for every call. */
static atomic_bool clone3_blocked;

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

	sys_sigprocmask(SIG_SETMASK, &all, &saved);
	return saved;
}

void launch_release_signals(uint64_t saved)
{
	sys_sigprocmask(SIG_SETMASK, &saved, NULL);
}

int launch_child(struct launch_request *req, struct launch_result *res)
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
			ca.flags |= CLONE_INTO_CGROUP;
			ca.cgroup = (uint64_t)req->cgroup_fd;
			size = CLONE_ARGS_SIZE_VER2;
		}
		pid = arch_clone(SYS_clone3, (long)&ca, (long)size, 0,
				 prexec_main, req);
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
				 (long)&pidfd, prexec_main, req);
		if (pid == -EINVAL) /* before Linux 5.2: no CLONE_PIDFD */
			pid = arch_clone(SYS_clone, flags, top, 0,
					 prexec_main, req);
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

/*
 * Launches with the sandbox's launch-time layers. One the host refuses is
 * dropped when its policy is PREFER, trying the other first, so that one
 * refused layer does not take the other with it; the error is that of the
 * last attempt. With none (a zeroed struct), a plain launch_child().
 */
int launch_with_fallbacks(struct launch_layers *layers,
			  struct launch_request *req, struct launch_result *res)
{
	int r = -EINVAL;

	layers->applied = 0;
	if (!layers->ns_flags && layers->cgroup_fd < 0)
		return launch_child(req, res);

	bool ns_optional = layers->ns_flags &&
			   (layers->optional & CFORK_LAYER_NAMESPACES);
	bool has_cgroup = layers->cgroup_fd >= 0;
	bool cg_optional = has_cgroup &&
			   (layers->optional & CFORK_LAYER_CGROUP);
	int cgroup_fd = has_cgroup ? layers->cgroup_fd : req->cgroup_fd;

	for (unsigned drop = 0; drop < 4; drop++) {
		bool drop_ns = drop & 1, drop_cg = drop & 2;
		if ((drop_ns && !ns_optional) || (drop_cg && !cg_optional))
			continue;
		req->ns_flags = drop_ns ? 0 : layers->ns_flags;
		req->cgroup_fd = drop_cg ? -1 : cgroup_fd;
		bool map = !drop_ns && layers->uid_map_len;
		req->uid_map = map ? layers->uid_map : NULL;
		req->gid_map = map ? layers->gid_map : NULL;
		req->uid_map_len = map ? layers->uid_map_len : 0;
		req->gid_map_len = map ? layers->gid_map_len : 0;
		r = launch_child(req, res);
		if (r == 0) {
			layers->applied =
				(req->ns_flags ? CFORK_LAYER_NAMESPACES : 0) |
				(has_cgroup && !drop_cg ? CFORK_LAYER_CGROUP : 0);
			return 0;
		}
	}
	return r;
}

void launch_shape_of(const struct launch_layers *layers,
		     struct launch_shape *shape)
{
	struct stat st;

	memset(shape, 0, sizeof(*shape));
	shape->ns_flags = layers->ns_flags;
	shape->optional = layers->optional;
	if (layers->cgroup_fd >= 0 && fstat(layers->cgroup_fd, &st) == 0) {
		shape->cgroup_dev = st.st_dev;
		shape->cgroup_ino = st.st_ino;
	}
	memcpy(shape->uid_map, layers->uid_map, sizeof(shape->uid_map));
	memcpy(shape->gid_map, layers->gid_map, sizeof(shape->gid_map));
	shape->uid_map_len = layers->uid_map_len;
	shape->gid_map_len = layers->gid_map_len;
}

bool launch_shape_fits(const struct launch_layers *layers,
		       const struct launch_shape *b)
{
	struct launch_shape now, *a = &now;

	launch_shape_of(layers, &now);
	return a->ns_flags == b->ns_flags && a->optional == b->optional &&
	       a->cgroup_dev == b->cgroup_dev &&
	       a->cgroup_ino == b->cgroup_ino &&
	       a->uid_map_len == b->uid_map_len &&
	       a->gid_map_len == b->gid_map_len &&
	       memcmp(a->uid_map, b->uid_map, a->uid_map_len) == 0 &&
	       memcmp(a->gid_map, b->gid_map, a->gid_map_len) == 0;
}
