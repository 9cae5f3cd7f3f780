/* SPDX-License-Identifier: MIT */
/*
 * Where a child's payload comes from: CFORK_FD=memfd[:ready] in its
 * environment, read and unset before anything else can see it. Whether a
 * process is a cfork child at all is decided here.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "sys.h"
#include "wire.h"

/* A decimal number (an fd, a signal) up to end (or the NUL); -1 if it
   is anything else. */
static int parse_number(const char *s, const char *end)
{
	long v = 0;

	if (s == end || !*s)
		return -1;
	for (; s != end && *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/* The parent was still writing the payload when we started: wait for its
   byte, which comes once the memfd is complete and sealed. */
static void source_wait_ready(int fd, int ready)
{
	char byte;
	ssize_t n;

	do
		n = read(ready, &byte, 1);
	while (n < 0 && errno == EINTR);
	close(ready);
	if (n != 1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: the parent did not complete the payload",
			   fd);
}

/*
 * This process gained privileges at exec (setuid, setgid, file
 * capabilities) or runs with ids that differ: a payload is believed only
 * from a process at least as privileged. cfork's launch sets no_new_privs
 * before its exec, under which an exec grants nothing, so a child that has
 * it holds only what the process that exec'd it held; one that does not was
 * exec'd by someone else (a user who hands a setuid program a memfd of their
 * own), whose payload could drive a privileged function. The memfd's owner
 * is no further proof: under no_new_privs some kernels (6.1) reset a
 * setuid program's child to its real ids, which then differ from the
 * owner of a real parent's memfd, while others (6.18) keep them.
 */
static void check_privileged_origin(int fd)
{
	if (sys_prctl(PR_GET_NO_NEW_PRIVS, 0) != 1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%d: refused: this program gained "
			   "privileges at exec and was not started by cfork",
			   fd);
}

/* A warm pool child: its one call comes by hand-off (handoff.c); an end
   of file is its pool going away. */
static int source_pool(int sock)
{
	struct handoff_in in;

	if (handoff_receive(sock, getppid(), 0, &in) == 0)
		_exit(0);
	close(sock);
	/* Woken on its caller's CPU, it may have taken it from the caller
	   before the spawn returned: the caller's, until it waits. */
	sched_yield();
	return handoff_place(&in);
}

int source_open(void)
{
	/* Read in every program, a setuid one too: a child of a program
	   that gained privileges at its own exec keeps them (euid != uid),
	   so it runs with AT_SECURE as well, and must still run its
	   function, never main(). Who may drive it is settled by
	   check_privileged_origin(). */
	const char *env = getenv(CFORK_ENV);
	char value[32];

	if (!env)
		return -1;
	/* A plain bounded copy: printf's machinery would cost the child
	   page faults on the way to every function. */
	size_t len = strnlen(env, sizeof(value) - 1);
	memcpy(value, env, len);
	value[len] = '\0';
	/* Gone before anything else can fail: never seen by the function, by
	   main() or by a grandchild. */
	unsetenv(CFORK_ENV);

	if (value[0] == 'p' || value[0] == 's') {
		char *end = value + 1 + strspn(value + 1, "0123456789");
		int sock = parse_number(value + 1, end);
		/* A fork server launched to bind every symbol at its start
		   (parent/spawn.c): done by now, and the caller's environment
		   is what its calls see. */
		if (value[0] == 's' && *end == 'n') {
			unsetenv("LD_BIND_NOW");
			end++;
		}
		/* Which of its stdio a server was launched with for itself
		   alone: r and a mask of them. */
		unsigned own_stdio = 0;
		if (value[0] == 's' && end[0] == 'r' && end[1] >= '0' &&
		    end[1] <= '7') {
			own_stdio = (unsigned)(end[1] - '0');
			end += 2;
		}
		/* The signal its calls get when the program ends. */
		int pdeathsig = 0;
		if (value[0] == 's' && end[0] == 'd') {
			char *sig = end + 1;
			end = sig + strspn(sig, "0123456789");
			pdeathsig = parse_number(sig, end);
			if (pdeathsig < 1 || pdeathsig >= NSIG)
				child_fail(CFORK_EXIT_PAYLOAD,
					   "CFORK_FD=%s: not a signal", value);
		}
		if (sock < 0 || *end)
			child_fail(CFORK_EXIT_PAYLOAD,
				   "CFORK_FD=%s: not an fd number", value);
		if (getauxval(AT_SECURE))
			check_privileged_origin(sock);
		/* A fork server returns here only in a child it forked. */
		return value[0] == 'p' ? source_pool(sock) :
					 server_run(sock, own_stdio, pdeathsig);
	}
	char *colon = strchr(value, ':');
	int fd = parse_number(value, colon);
	int ready = colon ? parse_number(colon + 1, NULL) : -2;
	if (fd < 0 || ready == -1)
		child_fail(CFORK_EXIT_PAYLOAD,
			   "CFORK_FD=%s: not an fd number", value);
	if (getauxval(AT_SECURE))
		check_privileged_origin(fd);
	if (ready >= 0)
		source_wait_ready(fd, ready);
	/* The parent, woken as this exec succeeded, is often queued on this
	   CPU, and would wait until the call used up its time slice before
	   its spawn returned (README, Warm start, measured). */
	sched_yield();
	return fd;
}
