/* SPDX-License-Identifier: MIT */
/*
 * A program that starts a second thread before cfork_init(), so that its
 * children run two threads when their function is dispatched: landlock
 * confines only the thread that applies it, and the child must not run
 * under REQUIRE as if it were confined, even when /proc, where the check
 * looks, is gone.
 *
 *   escape_threads proc DIR     spawn with a landlock rule for DIR
 *   escape_threads noproc DIR   the same in a mount namespace of its own
 *                               where /proc is unmounted (after cfork
 *                               opened the binary: it needs root)
 *
 * Prints "exited E code C signal S applied A error TEXT", or "skip: why"
 * and exits 77 when the host cannot set the scene.
 */
#include <cfork.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static int fds[2];

/* Waits for the byte that never comes. */
static void *second_thread(void *arg)
{
	char byte;

	(void)arg;
	while (read(fds[0], &byte, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int escape_threads_child(const cfork_args *a)
{
	(void)a;
	return 42;
}

int main(int argc, char **argv)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_status st;
	pthread_t t;
	cfork_proc *p;
	int r;

	if (pipe(fds) < 0 || pthread_create(&t, NULL, second_thread, NULL))
		return 1;
	cfork_register("escape_threads_child", escape_threads_child, "");
	if (cfork_init() < 0)
		return 1;
	if (argc != 3) {
		fprintf(stderr, "usage: %s proc|noproc DIR\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "noproc")) {
		if (unshare(CLONE_NEWNS) < 0) {
			printf("skip: unshare(CLONE_NEWNS): %s\n",
			       strerror(errno));
			return 77;
		}
		if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    umount2("/proc", MNT_DETACH) < 0) {
			printf("skip: cannot unmount /proc: %s\n",
			       strerror(errno));
			return 77;
		}
		if (access("/proc/self/task", F_OK) == 0) {
			printf("skip: /proc is still there\n");
			return 77;
		}
	}
	if (cfork_sandbox_new(&sb, 0) < 0 ||
	    cfork_sandbox_fs(sb, argv[2], CFORK_FS_READ) < 0)
		return 3;
	attr.sandbox = sb;
	r = cfork_spawn(&p, &attr, "escape_threads_child");
	if (r < 0) {
		printf("spawn %s\n", strerror(-r));
		cfork_sandbox_free(sb);
		return 0;
	}
	r = cfork_wait(p, 20000, &st);
	if (r < 0) {
		printf("wait %s\n", strerror(-r));
		cfork_free(p);
		cfork_sandbox_free(sb);
		return 0;
	}
	printf("exited %d code %d signal %d applied %u error %s\n", st.exited,
	       st.code, st.signal, cfork_sandbox_applied(p),
	       st.error ? st.error : "-");
	cfork_free(p);
	cfork_sandbox_free(sb);
	return 0;
}
