/* SPDX-License-Identifier: MIT */
/*
 * The landlock ABI, asked of the kernel: the parent probes it before a
 * spawn, the child asks again before it builds its ruleset (the two may
 * differ only where a seccomp filter of the host answers one and not the
 * other).
 */
#include <unistd.h>

#include "common.h"
#include "compat.h"

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

uint64_t landlock_fs_rights(int abi)
{
	uint64_t r = abi >= 1 ? (1ULL << 13) - 1 : 0;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

uint64_t landlock_scopes(int abi)
{
	return abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL : 0;
}
