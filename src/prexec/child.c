/* SPDX-License-Identifier: MIT */
/*
 * The pre-exec child: between clone(CLONE_VM | CLONE_VFORK) and execveat,
 * on the parent's memory and a stack carved from the parent's, while the
 * parent thread is suspended. Everything here is made of raw system calls
 * (common/sys.h, inlined): no libc, no errno (the parent thread's), no
 * allocation, no lock, no sanitizer hook, no stack protector. make lint
 * checks that this object references no symbol at all. A failure is
 * reported by storing the errno in the request, which the parent reads once
 * clone returns (CLONE_VFORK returns only after the exec or the exit).
 *
 * Signals are blocked from before the clone (parent/launch.c) until the
 * exec'd child's constructor: no handler of the parent can run here.
 *
 * Why each call is safe on the parent's memory: the clone shares the
 * address space but not the fd table (no CLONE_FILES), the credentials or
 * the task attributes, so dup3, fcntl, close_range, openat, fchdir,
 * setsid, setpgid, prctl and prlimit change the child's alone; write and writev only read the
 * parent's memory; the request is the one thing written to it (the
 * errno), which the parent reads after CLONE_VFORK resumes it; exit ends
 * this task without running anything of libc's (no atexit, no flush).
 */
#include <errno.h>	/* the constants: errno itself is the parent's */
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "prexec.h"
#include "sys.h"
#include "wire.h"

/* Writes the decimal pid to cgroup.procs of the target cgroup: the legacy
   clone has no CLONE_INTO_CGROUP. */
static long join_cgroup(int cgroup_fd)
{
	char digits[16];
	size_t n = sizeof(digits);
	long pid = sys_getpid(), fd, r;

	do
		digits[--n] = (char)('0' + pid % 10);
	while ((pid /= 10) && n);
	fd = sys_openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = sys_write((int)fd, digits + n, sizeof(digits) - n);
	sys_close((int)fd);
	return r < 0 ? r : 0;
}

/* Writes len bytes of text to path (of /proc/self). The lengths come
   with the text: a counting loop may be compiled into a call to strlen. */
static long write_file(const char *path, const char *text, size_t len)
{
	long fd, r;

	fd = sys_openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = sys_write((int)fd, text, len);
	sys_close((int)fd);
	return r < 0 ? r : (size_t)r == len ? 0 : -EIO;
}

/* The maps of a new user namespace, written here because only here the
   child holds the namespace's capabilities: exec with an unmapped uid
   drops them all. An unprivileged caller may map its own effective uid
   and gid alone, and the gid only once setgroups is denied. */
static long map_ids(const struct launch_request *req)
{
	static const char deny[] = "deny";
	long r = write_file("/proc/self/setgroups", deny, sizeof(deny) - 1);

	if (r == 0)
		r = write_file("/proc/self/uid_map", req->uid_map,
			       req->uid_map_len);
	if (r == 0)
		r = write_file("/proc/self/gid_map", req->gid_map,
			       req->gid_map_len);
	return r;
}

/* Where CLONE_VM is emulated by a fork (valgrind, qemu-user) the parent never
   sees child_error: the report channel says it too, as an error frame
   (wire.h). Three pieces gathered by writev, so that nothing is copied: a
   compiler may turn a copy loop into a call to memcpy. */
static void report_early_failure(int report_fd, int err)
{
	static const char text[] = "launch failed before exec: errno ";
	char digits[12];
	size_t n = sizeof(digits);
	struct report_head head;
	struct iovec iov[3];

	do
		digits[--n] = (char)('0' + err % 10);
	while ((err /= 10) && n);
	head = report_head(REPORT_ERROR, sizeof(text) - 1 + sizeof(digits) - n);
	iov[0].iov_base = &head;
	iov[0].iov_len = sizeof(head);
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = sizeof(text) - 1;
	iov[2].iov_base = digits + n;
	iov[2].iov_len = sizeof(digits) - n;
	sys_writev(report_fd, iov, 3);
}

int prexec_main(void *arg)
{
	struct launch_request *req = arg;
	int src[3];
	long r;

	/* stdio: a source that is itself 0, 1 or 2 is first moved above 2,
	   so that swapping stdout and stderr works. */
	for (int i = 0; i < 3; i++) {
		src[i] = req->stdio[i];
		if (src[i] >= 0 && src[i] < 3 && src[i] != i) {
			r = sys_fcntl(src[i], F_DUPFD_CLOEXEC, 3);
			if (r < 0)
				goto fail;
			src[i] = (int)r;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (src[i] < 0)
			continue;
		r = src[i] == i ? sys_fcntl(i, F_SETFD, 0) :
				  sys_dup3(src[i], i, 0);
		if (r < 0)
			goto fail;
	}

	/* Exactly the kept fds cross exec: every other one is marked
	   close-on-exec, whether or not the parent opened it so. */
	r = sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (r < 0) {
		/* Before 5.11: every fd up to the limit, at most 2^20. */
		struct sys_rlimit64 nofile = { 1u << 20, 1u << 20 };
		sys_prlimit64(0, RLIMIT_NOFILE, NULL, &nofile);
		if (nofile.cur > (1u << 20))
			nofile.cur = 1u << 20;
		for (unsigned fd = 3; fd < nofile.cur; fd++)
			sys_fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < req->nkeep_fds; i++) {
		r = sys_fcntl(req->keep_fds[i], F_SETFD, 0);
		if (r < 0)
			goto fail;
	}

	/* The working directory, session and process group are the child's
	   own attributes: the parent's stay as they are. */
	if (req->cwd_fd >= 0) {
		r = sys_fchdir(req->cwd_fd);
		if (r < 0)
			goto fail;
	}
	if (req->setsid) {
		r = sys_setsid();
		if (r < 0)
			goto fail;
	}
	if (req->setpgroup) {
		r = sys_setpgid(0, req->pgroup);
		if (r < 0)
			goto fail;
	}

	if (req->cgroup_pending) {
		r = join_cgroup(req->cgroup_fd);
		if (r < 0)
			goto fail;
	}

	if (req->uid_map) {
		r = map_ids(req);
		if (r < 0)
			goto fail;
	}

	/* Nothing the child execs can gain privileges (setuid, file
	   capabilities): it is a worker of this program, not a login. */
	r = sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
	if (r < 0)
		goto fail;

	if (req->pdeathsig) {
		r = sys_prctl(PR_SET_PDEATHSIG, (unsigned long)req->pdeathsig);
		if (r < 0)
			goto fail;
		/* The parent may have died before the prctl took effect. In
		   a new pid namespace the parent is outside it: getppid()
		   is 0, and there is nothing to compare. */
		r = sys_getppid();
		if (r != req->parent_pid &&
		    !(r == 0 && (req->ns_flags & CLONE_NEWPID))) {
			r = -ESRCH;
			goto fail;
		}
	}

	r = sys_execveat(req->exe_fd, "", req->argv, req->envp, AT_EMPTY_PATH);
fail:
	req->child_error = (int)-r;
	report_early_failure(req->report_fd, (int)-r);
	sys_exit(127);
	return 127;
}
