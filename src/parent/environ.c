/* SPDX-License-Identifier: MIT */
/*
 * The environment a child is launched with: the caller's (attr.envp, or
 * environ), less what is cfork's to set, plus its marker (CFORK_FD).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "parent.h"

extern char **environ;

static const char *const *caller_environ(const char *const *envp)
{
	return envp ? envp : (const char *const *)environ;
}

/* The caller's envp (or environ) without CFORK_FD (ours to set) and
   BXFI_MAP (Criterion's worker marker: BoxFort would take the child over),
   plus extra (when not NULL) and our marker. */
char **child_environ(const char *marker, const char *const *from,
		     const char *extra)
{
	const char *const *src = caller_environ(from);
	size_t n = 0, k = 0;

	while (src && src[n])
		n++;
	char **env = malloc((n + 3) * sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(src[i], CFORK_ENV "=", sizeof(CFORK_ENV)) ||
		    !strncmp(src[i], "BXFI_MAP=", 9))
			continue;
		env[k++] = (char *)src[i];
	}
	if (extra)
		env[k++] = (char *)extra;
	env[k++] = (char *)marker;
	env[k] = NULL;
	return env;
}

/* Whether the environment sets name, to anything. */
bool environ_sets(const char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (const char *const *e = caller_environ(envp); e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return true;
	return false;
}
