/* expect: cfork.h needs C++11 or later */
/* flags: -std=c++98 */
/* fixed-flags: -std=c++11 */
/* max-errors: 1 */
/* SPDX-License-Identifier: MIT */
/* C++ before C++11: one #error, then the compiler stops. */
#include <cfork.h>

int start(void)
{
	return cfork("child", 1);
}
