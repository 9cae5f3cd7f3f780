/* SPDX-License-Identifier: MIT */
/* Libraries the parent loads on first use (libseccomp, liburing). */
#include <dlfcn.h>
#include <string.h>

#include "parent.h"

bool dl_symbol(void *lib, const char *name, void *slot)
{
	void *sym = dlsym(lib, name);

	if (!sym)
		return false;
	/* dlsym()'s object pointer stored as the function pointer *slot is,
	   which POSIX guarantees to work. */
	memcpy(slot, &sym, sizeof(sym));
	return true;
}
