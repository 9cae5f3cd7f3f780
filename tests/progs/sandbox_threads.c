/* SPDX-License-Identifier: MIT */
/*
 * A program that starts a thread before cfork_init(), so that its children
 * run two threads when their function is dispatched: landlock, which
 * confines one thread, must refuse (REQUIRE) or step aside (PREFER), and the
 * seccomp filter must hold the other thread too.
 *
 *   sandbox_threads parent   print one line per case
 */
#include <cfork.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fds[2];

/* Waits for a byte, then tries a socketpair: under COMPUTE it must die. */
static void *second_thread(void *arg)
{
	char byte;

	(void)arg;
	int sv[2];

	if (read(fds[0], &byte, 1) == 1)
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	return NULL;
}

static int sandbox_threads_child(const cfork_args *a)
{
	/* 1: let the other thread make its call, then wait for the end. */
	if (cfork_arg_i64(a, 0) == 1 && write(fds[1], "", 1) == 1)
		sleep(10);
	return 0;
}

static void report(const char *what, cfork_sandbox *sb, int arg)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	int r = cfork_spawn(&p, &attr, "sandbox_threads_child", arg);
	if (r < 0) {
		printf("%s: spawn %s\n", what, strerror(-r));
		return;
	}
	cfork_wait(p, -1, &st);
	printf("%s: exited %d code %d signal %d applied %u error %s\n", what,
	       st.exited, st.code, st.signal, cfork_sandbox_applied(p),
	       st.error ? st.error : "-");
	cfork_free(p);
}

int main(int argc, char **argv)
{
	cfork_sandbox *sb;
	pthread_t t;

	if (pipe(fds) < 0 || pthread_create(&t, NULL, second_thread, NULL))
		return 1;
	cfork_register("sandbox_threads_child", sandbox_threads_child, "i");
	if (cfork_init() < 0)
		return 1;
	if (argc < 2 || strcmp(argv[1], "parent"))
		return 0;
	fflush(stdout);

	if (cfork_sandbox_new(&sb, 0) < 0 ||
	    cfork_sandbox_fs(sb, "/", CFORK_FS_READ) < 0)
		return 1;
	report("landlock require", sb, 0);
	cfork_sandbox_policy(sb, CFORK_LAYER_LANDLOCK, CFORK_POLICY_PREFER);
	report("landlock prefer", sb, 0);
	cfork_sandbox_free(sb);

	if (cfork_sandbox_new(&sb, CFORK_SB_COMPUTE) < 0)
		return 1;
	report("compute other thread", sb, 1);
	cfork_sandbox_free(sb);
	return 0;
}
