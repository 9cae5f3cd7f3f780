/* SPDX-License-Identifier: MIT */
/* What the host allows, asked before any child exists. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
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

bool probe_cap_sys_resource(void)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &head, data) < 0)
		return false;
	return data[0].effective & (1u << CAP_SYS_RESOURCE);
}
