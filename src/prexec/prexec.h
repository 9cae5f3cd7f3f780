/* SPDX-License-Identifier: MIT */
#ifndef CFORK_PREXEC_H
#define CFORK_PREXEC_H

/*
 * The one thing the pre-exec child reads: a launch request, filled by the
 * parent (parent/launch.c) on its own stack and read by the child on the
 * same memory between clone and exec.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct launch_request {
	int exe_fd;
	char *const *argv;
	char *const *envp;
	int stdio[3];
	const int *keep_fds;	/* fds >= 3 to pass on, in any order */
	size_t nkeep_fds;
	int pdeathsig;
	int cgroup_fd;
	int report_fd;		/* the child's end, for a failure before exec */
	int report_rd;		/* the parent's end (non-blocking) */
	uint64_t ns_flags;	/* CLONE_NEW*, for a sandbox */
	int cwd_fd;		/* O_PATH directory to fchdir to, or -1 */
	bool setsid;		/* a new session */
	bool setpgroup;		/* setpgid(0, pgroup) */
	pid_t pgroup;
	pid_t parent_pid;	/* with pdeathsig only */
	bool cgroup_pending;	/* the child joins cgroup_fd itself */
	int child_error;	/* errno from the child before exec */
	/* With CLONE_NEWUSER: the one line each of its uid_map and gid_map,
	   written after "deny" to setgroups; NULL: no map. */
	const char *uid_map, *gid_map;
	size_t uid_map_len, gid_map_len;
};

/* The child's entry from the clone trampoline (arch/<arch>/clone.S): set
   up stdio and fds, join the cgroup, no_new_privs, pdeathsig, execveat.
   Returns only with the exit status of a failure. */
int prexec_main(void *request);

#endif
