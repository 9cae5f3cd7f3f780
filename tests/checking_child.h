/* SPDX-License-Identifier: MIT */
/*
 * A checking child: a cfork child that changes its own host (a seccomp
 * filter, a resource limit, another uid) and runs its checks there, so that
 * nothing it does reaches the test's process. It exits 0, CHECKS_SKIPPED
 * with the reason as its result when the host cannot do what it needs, or
 * the number of the check that failed, with an explanation as its result.
 */
#ifndef CFORK_TEST_CHECKING_CHILD_H
#define CFORK_TEST_CHECKING_CHILD_H

#include <criterion/criterion.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define CHECKS_SKIPPED 77

/* A check that failed in a checking child: its number, and why as the
   child's result. */
static inline int check_failed(int code, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cfork_return(text, strlen(text));
	return code;
}

/* Gives up root for good: supplementary groups, then gid, then uid. */
static inline bool become_uid(uid_t id)
{
	return setgroups(0, NULL) == 0 && setresgid(id, id, id) == 0 &&
	       setresuid(id, id, id) == 0;
}

/* Runs the checking child registered as name; asserts it passed, and that
   nothing leaked in the test's process. */
static inline void run_checking_child(const char *name,
				      const cfork_value *argv, size_t argc)
{
	int fds = count_open_fds();
	cfork_status st;
	cfork_proc *p;
	int r = cfork_spawnv(&p, NULL, name, argv, argc);

	cr_assert_eq(r, 0, "cfork_spawnv: %d (%s)", r, strerror(-r));
	r = cfork_wait(p, WAIT_MS, &st);
	if (r == -ETIMEDOUT)
		cfork_free(p);
	cr_assert_eq(r, 0, "cfork_wait: %d (%s)", r, strerror(-r));
	if (st.exited && st.code == CHECKS_SKIPPED) {
		char why[512];

		snprintf(why, sizeof(why), "%.*s", (int)st.result_len,
			 (const char *)st.result);
		cfork_free(p);
		cr_skip_test("%s", why);
	}
	cr_assert(st.exited, "the checking child died of signal %d",
		  st.signal);
	cr_assert_eq(st.code, 0, "check %d failed: %.*s%s%s", st.code,
		     (int)st.result_len, (const char *)st.result,
		     st.error ? " / " : "", st.error ? st.error : "");
	cfork_free(p);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

#endif
