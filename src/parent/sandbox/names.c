/* SPDX-License-Identifier: MIT */
/* Naming a call the child was killed for: libseccomp's table is the
   parent's (without it, the number alone). */
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>

#include "compat.h"
#include "sandbox.h"

/* The parent's text for a call the child was killed for. */
void sandbox_name_blocked(char *buf, size_t size, int32_t nr, uint32_t arch)
{
	const struct libseccomp *lib = libseccomp();
	uint32_t token = arch;
	const char *abi = "";
	char other[32];

	if (arch == AUDIT_ARCH_I386) {
		abi = "i386 ";
	} else if (arch == AUDIT_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)) {
		abi = "x32 ";
		token = SCMP_ARCH_X32;
	} else if (lib && arch != lib->arch_native()) {
		(void)snprintf(other, sizeof(other), "arch 0x%x ", arch);
		abi = other;
	}
	char *name = lib ? lib->resolve_num_arch(token, nr) : NULL;
	(void)snprintf(buf, size, "sandbox: blocked system call %s (%snr %d)",
		       name ? name : "?", abi, nr);
	free(name);
}
