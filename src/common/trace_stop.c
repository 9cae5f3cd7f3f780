/* SPDX-License-Identifier: MIT */
/*
 * A ptrace stop told as if it were an end. A process with no seccomp
 * filter can make its parent its tracer (PTRACE_TRACEME asks no consent),
 * and a tracer is told of its tracee's stops by waitid(WEXITED) and wait4()
 * alone: every reaper of cfork's (the caller, a fork server, a pid
 * namespace's init) must tell the two apart and let the stop go, or a
 * hostile child ends in its reaper's eyes while it runs on.
 */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "common.h"

bool wait_code_is_end(int si_code)
{
	return si_code == CLD_EXITED || si_code == CLD_KILLED ||
	       si_code == CLD_DUMPED;
}

int trace_stop_let_go(pid_t pid, int sig)
{
	if (ptrace(PTRACE_DETACH, pid, 0,
		   (void *)(long)(sig > 0 && sig < NSIG ? sig : 0)) < 0)
		return -errno;
	return 0;
}
