/* SPDX-License-Identifier: MIT */
/*
 * A program linked as a user's would be (the library, no libseccomp and no
 * liburing of its own): its sandboxed child must have neither library
 * mapped, while its parent loads libseccomp to compile the filter.
 *
 *   lean_child     prints "parent: libseccomp X, liburing Y" and
 *                  "child: libseccomp X, liburing Y" (X, Y: 0 or 1)
 */
#include <cfork.h>
#include <stdio.h>
#include <string.h>

/* Bit 0: libseccomp is mapped; bit 1: liburing is. */
static int mapped_libraries(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		found |= strstr(line, "libseccomp") ? 1 : 0;
		found |= strstr(line, "liburing") ? 2 : 0;
	}
	fclose(f);
	return found;
}

static int lean_child_maps(const cfork_args *a)
{
	(void)a;
	return mapped_libraries();
}
CFORK_REGISTER(lean_child_maps, "");

int main(void)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;

	if (cfork_init() < 0 || cfork_sandbox_new(&sb, CFORK_SB_NO_EXEC) < 0)
		return 1;
	attr.sandbox = sb;
	int child = cfork_runv(&attr, "lean_child_maps", NULL, 0);
	int parent = mapped_libraries();
	cfork_sandbox_free(sb);
	if (child < 0 || child > 3 || parent < 0)
		return 1;
	printf("parent: libseccomp %d, liburing %d\n", parent & 1, parent >> 1);
	printf("child: libseccomp %d, liburing %d\n", child & 1, child >> 1);
	return 0;
}
