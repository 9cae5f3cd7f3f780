// SPDX-License-Identifier: MIT
/*
 * Statically registered children of a statically linked program, built
 * by tests/install.sh with pkg-config --static: one throws and catches,
 * one calls exit(). Both run from the library's constructor, before the C
 * runtime of a static program has registered its unwind tables; each
 * aborted there before cfork.pc asked for --eh-frame-hdr and the child
 * ended an exit() as it ends a return.
 */
#include <cfork.h>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

static int throws_and_catches(const cfork_args *)
{
	try {
		throw std::runtime_error("caught in the child");
	} catch (const std::exception &) {
		return 5;
	}
	return 6;
}
CFORK_REGISTER(throws_and_catches, "");

static int calls_exit(const cfork_args *)
{
	std::exit(42);
}
CFORK_REGISTER(calls_exit, "");

int main()
{
	if (cfork_init() < 0)
		return 1;
	int caught = cfork("throws_and_catches");
	int exited = cfork("calls_exit");
	std::printf("throws_and_catches %d, calls_exit %d\n", caught, exited);
	return caught == 5 && exited == 42 ? 0 : 1;
}
