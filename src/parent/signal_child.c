/* SPDX-License-Identifier: MIT */
/*
 * Signalling a child: through its pidfd, which names no other process,
 * wherever pidfd_send_signal answers; where it is refused (a seccomp
 * profile answers ENOSYS or EPERM, an emulator ENOSYS, or there is no
 * pidfd), through its pid, and only while the pid is still the child's.
 *
 * A child of this process keeps its pid until it is reaped. cfork reaps it
 * in proc.c, but the program may too (SIGCHLD ignored, a wait for any
 * child), so the kernel is asked first (waitid with WNOWAIT, which reaps
 * nothing): a pid that is no child of ours is left alone, and so is one
 * that has ended. A fork server's child is its server's to reap, after
 * the server told the child's end: a told end means the pid may be
 * another's by now.
 *
 * What a pid cannot rule out: between the check and kill(2) the child can
 * end, be reaped by the program (SIGCHLD ignored) and its pid be taken by
 * a new process, which needs the pid space to wrap (pid_max) within those
 * microseconds or a pid handed out on purpose (ns_last_pid, privileged);
 * and after such a wrap another child of this process at the same pid
 * reads as ours. A pidfd has none of this.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parent.h"

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&pfd, 1, 0) != 0;
}

/* 0 while the pid is the child's and the child runs, 1 once it has ended
   (a zombie: a signal would do nothing), -ESRCH once it is gone. */
static int pid_state(const struct child_ref *c)
{
	siginfo_t si;

	if (c->told_fd >= 0)
		return readable(c->told_fd) ? -ESRCH :
		       readable(c->pidfd)   ? 1 : 0;
	si.si_pid = 0;
	if (waitid(P_PID, (id_t)c->pid, &si,
		   WEXITED | WNOHANG | WNOWAIT | __WALL) < 0)
		return errno == ECHILD ? -ESRCH : -errno;
	if (si.si_pid)
		return 1;
	/* A running child of ours at this pid: the pidfd, if there is one,
	   says whether it is this child or one that took the pid after it. */
	return readable(c->pidfd) ? -ESRCH : 0;
}

int signal_child(const struct child_ref *c, int sig)
{
	/* An ended child takes no signal, though pidfd_send_signal to it
	   succeeds: say so, as the pid's path does, or its end would read
	   as this kill's. */
	if (readable(c->pidfd))
		return 1;
	/* The pidfd first, whatever the child did to its fork server: it
	   names the child alone (one opened by pid is checked by its opener,
	   proc.c's remote_kill, against a told end). */
	if (c->pidfd >= 0 &&
	    syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) == 0)
		return 0;
	/* EINVAL, sig being a signal: the child is outside this process's
	   pid namespace, where its pid number names another process. */
	if (c->pidfd >= 0 && (errno == ESRCH || errno == EINVAL))
		return -errno;
	int r = pid_state(c);
	if (r)
		return r;
	return kill(c->pid, sig) < 0 ? -errno : 0;
}
