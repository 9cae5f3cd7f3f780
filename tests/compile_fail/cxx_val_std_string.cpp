/* expect: CFORK_VAL: no cfork_value for this type */
/* SPDX-License-Identifier: MIT */
/* C++: CFORK_VAL takes what C's takes; a std::string is not a char *, and
   the message says to pass .c_str(). */
#include <cfork.h>
#include <string>

int start(const std::string &name)
{
#ifndef FIXED
	return cfork("greet", name);
#else
	return cfork("greet", name.c_str());
#endif
}
