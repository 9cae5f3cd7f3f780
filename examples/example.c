/* SPDX-License-Identifier: MIT */
/* The smallest cfork program: run child(1) in a new process of this binary. */
#include <cfork.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int child(const cfork_args *args)
{
	printf("child(%lld) pid: %d\n", (long long)cfork_arg_i64(args, 0),
	       (int)getpid());
	return 0;
}
CFORK_REGISTER(child, "i");

int main(void)
{
	int r = cfork_init();	/* in a child: runs the function, never returns */

	if (r < 0) {
		fprintf(stderr, "cfork_init: %s\n", strerror(-r));
		return 1;
	}
	printf("main() pid: %d\n", (int)getpid());
	fflush(stdout);		/* the child writes to the same stdout */

	r = cfork("child", 1);
	if (r != 0) {
		fprintf(stderr, "cfork: %s\n", r < 0 ? strerror(-r) : "child failed");
		return 1;
	}
	return 0;
}
