/* SPDX-License-Identifier: MIT */
/*
 * A ptrace stop told as if it were an end. A process with no seccomp
 * filter can make its parent its tracer (PTRACE_TRACEME asks no consent),
 * and a tracer is told of its tracee's stops by waitid(WEXITED) and wait4()
 * alone: every reaper of cfork's (the caller, a fork server, a pid
 * namespace's init) must tell the two apart and let the stop go, or a
 * hostile child ends in its reaper's eyes while it runs on.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A traced thread ends as its tracer's zombie, and while it is one the
   kernel neither reaps its process's leader nor has a pidfd of it poll
   readable: reaped by the ids /proc lists for the process's threads
   (any thread of the tracer's process may reap it). */
void trace_reap_threads(pid_t pid)
{
	char path[40];
	struct dirent *e;
	DIR *d;

	(void)snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		long tid = strtol(e->d_name, NULL, 10);
		siginfo_t si = { 0 };
		if (tid > 0 && tid != pid)
			(void)waitid(P_PID, (id_t)tid, &si,
				     WEXITED | WNOHANG | __WALL);
	}
	closedir(d);
}
