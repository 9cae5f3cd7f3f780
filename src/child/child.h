/* SPDX-License-Identifier: MIT */
#ifndef CFORK_CHILD_H
#define CFORK_CHILD_H

/*
 * The exec'd child, from the constructor to _exit. This folder reaches
 * wire/ and common/, never parent/: nothing here links libseccomp or
 * liburing (make lint checks). Inside it, sigsys.c is async-signal context.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfork.h"
#include "wire.h"

struct section_head;

/* channel.c: the child's end of the report channel. */
void channel_adopt(int fd);
int channel_fd(void);
int channel_report(unsigned kind, const void *data, size_t len);
/* Says why (to the parent and on stderr) and exits with code. */
_Noreturn void child_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Flushes stdio as exit() does, waiting for no stream's lock. */
void child_flush_stdio(void);
/* Writes the report's state as it is: a fork server's standby copies
   its pages before its call (prefault.c), not as it reports. */
void channel_touch(void);

/* prefault.c: a fork server's standby takes, before it waits, the page
   faults its call's path would take. */
void standby_prefault(void);

/* source.c: the payload's fd, or -1 when this process is no cfork child. */
int source_open(void);

/* handoff.c: one hand-off from the parent (the pid that made sock's pair)
   on sock: 1, or 0 at its end of file; anything else ends the child
   (CFORK_EXIT_PAYLOAD). With MSG_PEEK in flags it stays queued, and the
   fds received are copies. */
struct handoff_in {
	struct handoff_head head;
	int fds[HANDOFF_FDS_MAX];
	size_t nfds;
};
int handoff_receive(int sock, pid_t parent, int flags,
		    struct handoff_in *in);
/* Ends the child as handoff_receive() does unless sock's peer (the pid
   that made its pair) is parent. */
void handoff_check_peer(int sock, pid_t parent);
/* Each fd at its target (but the one the receiver keeps, closed); the
   payload's fd. */
int handoff_place(struct handoff_in *in);

/* server.c: a fork server's loop; returns only in a child it forked, with
   that call's payload fd. Bit i of own_stdio: fd i is a file description
   the server was launched with for itself alone. pdeathsig: the signal
   its calls get when the program ends, or 0. */
int server_run(int sock, unsigned own_stdio, int pdeathsig);

/* confine.c: the payload's sandbox section, applied right before the
   function (confine_start), or armed for cfork_lockdown() when deferred;
   confine_returned() ends the child (pid child, not a process its
   function forked) whose function returned without it. */
void confine_start(const cfork_args *a);
void confine_returned(pid_t child);

/* landlock.c */
const char *landlock_apply(const struct section_head *h,
			   const unsigned char *paths, int *err);
void landlock_enter_base_domain(int ruleset);
/* 1: the child runs threads besides this one; 0: it does not; -1: cannot
   be told (no procfs). */
int child_other_threads(void);

/* pidns.c: under CFORK_NS_PID, stay the namespace's init and return in
   its pid 2, which runs the function; elsewhere close status_fd. */
void pidns_split(int status_fd, uint64_t sigmask);

/* sigsys.c: names a blocked call to the parent over report_fd, then dies by
   SIGSYS. 0 or -errno. */
int sigsys_install(int report_fd);

#endif
