/* SPDX-License-Identifier: MIT */
/* The version: the linked library says the version of the header it was
   built with (the build itself refuses a header that differs from the
   Makefile's VERSION), and CFORK_CHECK_VERSION orders versions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

TestSuite(version, .timeout = TEST_TIMEOUT);

Test(version, linked_library_is_the_header_version)
{
	char want[64];

	snprintf(want, sizeof(want), "%d.%d.%d", CFORK_VERSION_MAJOR,
		 CFORK_VERSION_MINOR, CFORK_VERSION_PATCH);
	cr_assert_not_null(cfork_version());
	cr_assert_str_eq(cfork_version(), want);
}

Test(version, check_version_orders_major_minor_patch)
{
	const int ma = CFORK_VERSION_MAJOR, mi = CFORK_VERSION_MINOR,
		  pa = CFORK_VERSION_PATCH;

	cr_assert(CFORK_CHECK_VERSION(ma, mi, pa));
	cr_assert(CFORK_CHECK_VERSION(0, 0, 0));
	cr_assert(CFORK_CHECK_VERSION(ma - 1, 99, 99));
	cr_assert(!CFORK_CHECK_VERSION(ma + 1, 0, 0));
	cr_assert(!CFORK_CHECK_VERSION(ma, mi + 1, 0));
	cr_assert(!CFORK_CHECK_VERSION(ma, mi, pa + 1));
	if (mi > 0)
		cr_assert(CFORK_CHECK_VERSION(ma, mi - 1, 99));
}

/* In the preprocessor too, which is where a program asks. */
#if !CFORK_CHECK_VERSION(1, 0, 0) || CFORK_CHECK_VERSION(999, 0, 0)
#error "CFORK_CHECK_VERSION does not work in #if"
#endif
