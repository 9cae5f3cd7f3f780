/* SPDX-License-Identifier: MIT */
/*
 * A child's end, asked of its pidfd: waitid() through it, and how a child
 * ended that the kernel reaped itself (the caller ignores SIGCHLD): Linux
 * 6.15 keeps a process's exit status with its pidfd after the reaping.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "common.h"
#include "compat.h"
#include "parent.h"

int child_waitid(int pidfd, pid_t pid, siginfo_t *si, int flags)
{
	int r = -1;

	if (pidfd >= 0)
		r = waitid(P_PIDFD, (id_t)pidfd, si, flags);
	/* Linux 5.3 has pidfds but not P_PIDFD. */
	if (pidfd < 0 || (r < 0 && errno == EINVAL))
		r = waitid(P_PID, (id_t)pid, si, flags);
	return r;
}

int pidfd_exit(int pidfd, pid_t pid, siginfo_t *si)
{
	struct pidfd_exit_info info = { .mask = PIDFD_INFO_EXIT_BIT };

	if (ioctl(pidfd, PIDFD_GET_INFO_IOCTL, &info) < 0 ||
	    !(info.mask & PIDFD_INFO_EXIT_BIT))
		return -ECHILD;
	si->si_pid = pid;
	if (WIFEXITED(info.exit_code)) {
		si->si_code = CLD_EXITED;
		si->si_status = WEXITSTATUS(info.exit_code);
	} else {
		si->si_code = WCOREDUMP(info.exit_code) ? CLD_DUMPED :
							  CLD_KILLED;
		si->si_status = WTERMSIG(info.exit_code);
	}
	return 0;
}
