/* SPDX-License-Identifier: MIT */
/*
 * A program in go-fork's style: it registers its function at run time and
 * calls cfork_init() from main(), so the child is dispatched from main and
 * not from the library's constructor.
 *
 *   runtime_main parent   spawn the function, print what came back, then
 *                         try a name registered after cfork_init()
 *   runtime_main          print nothing, exit 0
 *
 * Everything the parent prints comes after cfork_init(): a child that ran
 * past it would print the same lines a second time.
 */
#include <cfork.h>
#include <stdio.h>
#include <string.h>

static int runtime_child(const cfork_args *a)
{
	printf("runtime_child: %lld %s\n", (long long)cfork_arg_i64(a, 0),
	       cfork_arg_str(a, 1));
	return (int)cfork_arg_i64(a, 0) + 35;
}

int main(int argc, char **argv)
{
	int reg = cfork_register("runtime_child", runtime_child, "is");
	int init = cfork_init();

	if (argc < 2 || strcmp(argv[1], "parent"))
		return 0;
	printf("runtime_main: parent register=%d init=%d\n", reg, init);
	/* The child writes to the same stdout: what is buffered here must be
	   out before it starts, or the lines come out of order. */
	fflush(stdout);
	int status = cfork("runtime_child", 7, "seven");
	printf("runtime_main: child exited with %d\n", status);
	/* A second registration of the same name, after init, still fails:
	   the first one is live. */
	printf("runtime_main: again=%d\n",
	       cfork_register("runtime_child", runtime_child, "is"));
	/* A name registered after init: the child, dispatched by its own
	   first cfork_init(), would never know it, so the spawn is refused
	   here and nothing starts. */
	int late = cfork_register("runtime_late", runtime_child, "is");
	printf("runtime_main: late register=%d spawn=%d\n", late,
	       cfork("runtime_late", 7, "seven"));
	return 0;
}
