/* SPDX-License-Identifier: MIT */
/* What the host allows, asked before any child exists. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "compat.h"
#include "sandbox.h"

bool probe_seccomp(void)
{
	uint32_t action = SECCOMP_RET_TRAP;

	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
		return true;
	if (errno != EINVAL)
		return false;
	/* Before Linux 4.14: a filter mode that exists faults on the NULL
	   program (or refuses a caller without no_new_privs). */
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, NULL) < 0 &&
	       (errno == EFAULT || errno == EACCES);
}

static int gid_cmp_probe(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return (x > y) - (x < y);
}

bool probe_cap_sys_resource(void)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &head, data) < 0)
		return false;
	return data[0].effective & (1u << CAP_SYS_RESOURCE);
}

/* Whether a capability survives the exec into the child: the ambient set's
   do; a root caller's child gets the bounding set, unless SECBIT_NOROOT. */
static bool child_has_cap(int cap)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
		return true;
	if (geteuid() != 0)
		return false;
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	return bits >= 0 && !(bits & SECBIT_NOROOT) &&
	       prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
}

/* Whether the caller's supplementary groups are exactly groups (sorted,
   without repeats): then the child has them and need not set them. */
static bool has_groups(const gid_t *groups, size_t ngroups)
{
	int n = getgroups(0, NULL);
	bool same = n >= 0;
	gid_t *mine = n > 0 ? malloc((size_t)n * sizeof(*mine)) : NULL;

	if (n > 0 && (!mine || getgroups(n, mine) != n))
		same = false;
	/* Every one of the caller's is asked for, and every one asked for
	   is the caller's. */
	for (int i = 0; same && i < n; i++)
		same = bsearch(&mine[i], groups, ngroups, sizeof(*groups),
			       gid_cmp_probe) != NULL;
	for (size_t i = 0; same && i < ngroups; i++) {
		bool found = false;
		for (int j = 0; j < n && !found; j++)
			found = mine[j] == groups[i];
		same = found;
	}
	free(mine);
	return same;
}

/* After exec the child's saved ids are its effective ones: the caller's
   saved ids are not its own. */
bool probe_identity(uid_t uid, gid_t gid, const gid_t *groups,
		    size_t ngroups)
{
	bool uid_own = uid == getuid() || uid == geteuid();
	bool gid_own = (gid == getgid() || gid == getegid()) &&
		       has_groups(groups, ngroups);

	return (uid_own || child_has_cap(CAP_SETUID)) &&
	       (gid_own || child_has_cap(CAP_SETGID));
}
