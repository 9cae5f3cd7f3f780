/* SPDX-License-Identifier: MIT */
/*
 * Spawns one function and prints what each call returned, for the tests in
 * hostile.c that start a program in an unusual way:
 *
 *   spawn_print          print "init=R spawn=R status=R"
 *   spawn_print wait     print "ready", then the same once a line has
 *                        been read from stdin (so that the test can
 *                        change the world in between)
 *
 * The child prints "child ran" and exits with 42: "status=42" means the
 * program's own image ran the function.
 */
#include <cfork.h>
#include <stdio.h>
#include <string.h>

static int spawn_print_child(const cfork_args *a)
{
	(void)a;
	printf("child ran\n");
	return 42;
}
CFORK_REGISTER(spawn_print_child, "");

int main(int argc, char **argv)
{
	char line[64];
	cfork_proc *p = NULL;
	cfork_status st;
	int init = cfork_init(), spawn, status = -1;

	if (argc > 1 && !strcmp(argv[1], "wait")) {
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 2;
	}
	/* The child shares stdout: nothing of ours may be buffered then. */
	fflush(stdout);
	spawn = cfork_spawn(&p, NULL, "spawn_print_child");
	if (spawn == 0 && cfork_wait(p, -1, &st) == 0)
		status = st.exited ? st.code : 128 + st.signal;
	cfork_free(p);
	printf("init=%d spawn=%d status=%d\n", init, spawn, status);
	return 0;
}
