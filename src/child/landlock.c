/* SPDX-License-Identifier: MIT */
/*
 * Landlock in the child: the sandbox's rules on paths (the landlock layer),
 * or the base's domain with none. landlock_restrict_self() confines the
 * calling thread only.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "compat.h"
#include "wire.h"

/* Whether the child runs threads besides this one: 1 yes, 0 no, -1 where
   it cannot be told (no procfs), which is never taken for a no. One read
   of procfs, cheaper than opendir(). */
int child_other_threads(void)
{
	char buf[512];
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned tasks = 0;
	long n;

	if (fd < 0)
		return -1;
	n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return -1;
	/* struct linux_dirent64: d_reclen at 16, d_name at 19. */
	for (long off = 0; off + 19 < n;) {
		unsigned short reclen;
		memcpy(&reclen, buf + off + 16, sizeof(reclen));
		if (!reclen)
			break;
		tasks += buf[off + 19] != '.';
		off += reclen;
	}
	return tasks == 0 ? -1 : tasks > 1;
}

const char *landlock_apply(const struct section_head *h,
			   const unsigned char *paths, int *err)
{
	int abi = landlock_abi();

	*err = 0;
	if (abi < 1)
		return "landlock is not available";
	/* landlock_restrict_self() confines the calling thread only. */
	switch (child_other_threads()) {
	case 0:
		break;
	case 1:
		return "landlock would confine one thread of several";
	default:
		return "cannot count the child's threads (no /proc): landlock "
		       "might confine one thread of several";
	}

	struct ll_ruleset_attr attr = {
		.handled_access_fs = h->handled_fs & landlock_fs_rights(abi),
		.scoped = h->scoped & landlock_scopes(abi),
	};
	size_t size = attr.scoped ? sizeof(attr) :
				    sizeof(attr.handled_access_fs);
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0) {
		*err = errno;
		return "landlock_create_ruleset";
	}

	const char *why = NULL;
	for (uint32_t i = 0; i < h->npaths && !why; i++) {
		struct section_path w;
		memcpy(&w, paths + i * sizeof(w), sizeof(w));
		struct ll_path_beneath pb = {
			.allowed_access = w.access & attr.handled_access_fs,
			.parent_fd = w.fd,
		};
		if (pb.allowed_access &&
		    syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH,
			    &pb, 0) < 0)
			why = "landlock_add_rule";
	}
	if (!why && syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		why = "landlock_restrict_self";
	*err = why ? errno : 0;
	close(rs);
	return why;
}

/*
 * The base's landlock domain, where the kernel has landlock: from inside a
 * domain no process outside it can be traced or read through
 * /proc/<pid>/{mem,fd,environ} (ptrace access, which a filter cannot see in
 * an open()), and from ABI 6 on none can be signalled and no abstract unix
 * socket made outside it can be reached. Its ruleset (common/landlock_base.c)
 * denies the making of block devices, and writing, making, removing and
 * moving on proc, sysfs and the cgroup file systems. The parent's, by the
 * fd it passed (ruleset, -1: none came); where that cannot be entered (the
 * parent could not make one, or landlock refuses it), one of the child's
 * own. It is entered before the sandbox's paths, as a layer under them.
 */
void landlock_enter_base_domain(int ruleset)
{
	int abi = landlock_abi();

	/* Other threads, which it would not hold, are not counted: the
	   domain claims nothing, and it holds the thread that runs the
	   function whatever the others do. */
	if (abi < 1)
		return;
	if (ruleset >= 0 &&
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == 0)
		return;
	int own = landlock_base_ruleset(abi, -1, NULL);
	if (own < 0)
		return;
	(void)syscall(SYS_landlock_restrict_self, own, 0);
	close(own);
}
