/* SPDX-License-Identifier: MIT */
/* Programs of tests/progs, run by the tests that need a program of its own
   (linked as a user's is, or doing what the test binary cannot). */
#ifndef CFORK_TEST_PROGS_H
#define CFORK_TEST_PROGS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Appends line to out (size bytes, NUL-terminated), cut to what fits:
   strncat() of the same draws -Wstringop-truncation under
   _FORTIFY_SOURCE=3, Ubuntu's default. */
static inline void append_line(char *out, size_t size, const char *line)
{
	size_t used = strlen(out), n = strlen(line);

	if (n > size - 1 - used)
		n = size - 1 - used;
	memcpy(out + used, line, n);
	out[used + n] = '\0';
}

/* Runs cmd, a program's name in tests/progs and its arguments as a shell
   reads them, with out (size bytes) what it printed; the test fails where
   it does not exit 0, and is skipped where tests/progs are not built. */
static inline void run_test_prog(const char *cmd, char *out, size_t size)
{
	char path[512], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%.*s", TEST_PROGS_DIR,
		 (int)strcspn(cmd, " "), cmd);
	if (access(path, X_OK) < 0)
		cr_skip_test("tests/progs are not built (make test builds them)");
	snprintf(path, sizeof(path), "%s/%s", TEST_PROGS_DIR, cmd);
	out[0] = '\0';
	f = popen(path, "r");
	cr_assert_not_null(f, "popen %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		append_line(out, size, line);
	cr_assert_eq(pclose(f), 0, "%s: %s", cmd, out);
}

#endif
