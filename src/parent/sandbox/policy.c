/* SPDX-License-Identifier: MIT */
/*
 * The cfork_sandbox object and its setters. One object serves any number of
 * spawns from any number of threads: everything in it is under its lock,
 * and a spawn takes what it needs under that lock (plan.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "sandbox.h"

int layer_index(unsigned layer)
{
	return __builtin_ctz(layer);
}

int cfork_sandbox_new(cfork_sandbox **ret_sb, unsigned presets)
{
	PROTECT_ERRNO;
	if (!ret_sb || (presets & ~SB_PRESETS))
		return -EINVAL;
	cfork_sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	pthread_mutex_init(&sb->lock, NULL);
	sb->presets = presets;
	sb->cgroup_fd = -1;
	memset(sb->policy, -1, sizeof(sb->policy));
	*ret_sb = sb;
	return 0;
}

void cfork_sandbox_free(cfork_sandbox *sb)
{
	PROTECT_ERRNO;
	if (!sb)
		return;
	for (size_t i = 0; i < sb->npaths; i++)
		close(sb->paths[i].fd);
	if (sb->cgroup_fd >= 0)
		close(sb->cgroup_fd);
	free(sb->rules);
	free(sb->bpf);
	pthread_mutex_destroy(&sb->lock);
	free(sb);
}

/* The calls without which the child could neither end nor return from a
   signal handler: denying them is a policy that cannot work. */
static bool needed_to_end(int nr)
{
	return nr == SCMP_SYS(exit) || nr == SCMP_SYS(exit_group) ||
	       nr == SCMP_SYS(rt_sigreturn);
}

static int add_rule(cfork_sandbox *sb, const char *name, int kind, int err)
{
	int nr, r = 0;

	if (!sb || !name || err < 0 || err > SB_ERRNO_MAX)
		return -EINVAL;
	const struct libseccomp *lib = libseccomp();
	if (!lib)
		return -ELIBACC;
	nr = lib->resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return -EINVAL;
	if (kind == RULE_DENY && needed_to_end(nr))
		return -EINVAL;
	if (kind == RULE_ALLOW && base_guard(lib, nr) == 2)
		return -EPERM;

	pthread_mutex_lock(&sb->lock);
	for (size_t i = 0; i < sb->nrules; i++) {
		const struct sb_rule *old = &sb->rules[i];
		if (old->nr != nr)
			continue;
		r = old->kind == kind && old->err == err ? 0 : -EEXIST;
		goto out;
	}
	if (sb->nrules == sb->rules_cap) {
		size_t cap = sb->rules_cap ? 2 * sb->rules_cap : 16;
		struct sb_rule *grown = realloc(sb->rules, cap * sizeof(*grown));
		if (!grown) {
			r = -ENOMEM;
			goto out;
		}
		sb->rules = grown;
		sb->rules_cap = cap;
	}
	sb->rules[sb->nrules++] = (struct sb_rule){ nr, kind, err };
	sb->bpf_valid = false;
out:
	pthread_mutex_unlock(&sb->lock);
	return r;
}

int cfork_sandbox_deny(cfork_sandbox *sb, const char *syscall, int err)
{
	PROTECT_ERRNO;
	return add_rule(sb, syscall, RULE_DENY, err);
}

int cfork_sandbox_allow(cfork_sandbox *sb, const char *syscall)
{
	PROTECT_ERRNO;
	return add_rule(sb, syscall, RULE_ALLOW, 0);
}

/* CFORK_FS_* on a file or a directory -> landlock rights. */
static uint64_t fs_rights(unsigned access, bool dir)
{
	uint64_t r = 0;

	if (access & CFORK_FS_READ)
		r |= LL_FS_READ_FILE | LL_FS_READ_DIR;
	if (access & CFORK_FS_WRITE)
		r |= LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV |
		     LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR |
		     LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK |
		     LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM |
		     LL_FS_REFER;
	if (access & CFORK_FS_EXEC)
		r |= LL_FS_EXECUTE;
	return dir ? r : r & LL_FS_FILE;
}

int cfork_sandbox_fs(cfork_sandbox *sb, const char *path, unsigned access)
{
	PROTECT_ERRNO;
	struct stat st;
	int fd, r = 0;

	if (!sb || !path || !access || (access & ~SB_FS))
		return -EINVAL;
	/* The rule binds to what the path names now, as landlock's rules
	   do: the child gets this fd, not the path. */
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fd = fd_move_above_stdio(fd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}

	pthread_mutex_lock(&sb->lock);
	if (sb->npaths == SB_PATHS_MAX) {
		r = -E2BIG;
	} else {
		sb->paths[sb->npaths++] = (struct sb_path){
			fd, fs_rights(access, S_ISDIR(st.st_mode))
		};
		fd = -1;
	}
	pthread_mutex_unlock(&sb->lock);
	if (fd >= 0)
		close(fd);
	return r;
}

int cfork_sandbox_rlimit(cfork_sandbox *sb, int resource, uint64_t limit)
{
	PROTECT_ERRNO;
	if (!sb || resource < 0 || resource >= RLIM_NLIMITS)
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	sb->limit[resource] = limit;
	sb->limit_set |= 1u << resource;
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

int cfork_sandbox_caps(cfork_sandbox *sb, const int *caps, size_t ncaps)
{
	PROTECT_ERRNO;
	uint64_t keep = 0;

	if (!sb || (!caps && ncaps))
		return -EINVAL;
	for (size_t i = 0; i < ncaps; i++) {
		if (caps[i] < 0 || caps[i] > CAP_LAST_CAP)
			return -EINVAL;
		keep |= 1ULL << caps[i];
	}
	pthread_mutex_lock(&sb->lock);
	sb->keep_caps = keep;
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

static int gid_cmp(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return (x > y) - (x < y);
}

int cfork_sandbox_identity(cfork_sandbox *sb, uid_t uid, gid_t gid,
			   const gid_t *groups, size_t ngroups)
{
	PROTECT_ERRNO;
	gid_t sorted[SB_GROUPS_MAX];
	size_t n = 0;

	/* -1 means "unchanged" to setresuid: never an identity. */
	if (!sb || (!groups && ngroups) || uid == (uid_t)-1 ||
	    gid == (gid_t)-1)
		return -EINVAL;
	if (ngroups > SB_GROUPS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < ngroups; i++)
		if (groups[i] == (gid_t)-1)
			return -EINVAL;
	/* A set: the kernel keeps groups sorted, and the child compares. */
	if (ngroups) {
		memcpy(sorted, groups, ngroups * sizeof(*groups));
		qsort(sorted, ngroups, sizeof(*sorted), gid_cmp);
		for (size_t i = 0; i < ngroups; i++)
			if (!n || sorted[n - 1] != sorted[i])
				sorted[n++] = sorted[i];
	}

	pthread_mutex_lock(&sb->lock);
	sb->identity = true;
	sb->uid = uid;
	sb->gid = gid;
	if (n)
		memcpy(sb->groups, sorted, n * sizeof(*sorted));
	sb->ngroups = n;
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

int cfork_sandbox_defer(cfork_sandbox *sb)
{
	PROTECT_ERRNO;
	if (!sb)
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	sb->defer = true;
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

int cfork_sandbox_namespaces(cfork_sandbox *sb, unsigned ns)
{
	PROTECT_ERRNO;
	if (!sb || (ns & ~SB_NS))
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	/* The filter leaves SysV IPC to a child in an IPC namespace of its
	   own (presets.c). */
	if ((sb->ns ^ ns) & CFORK_NS_IPC)
		sb->bpf_valid = false;
	sb->ns = ns;
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

int cfork_sandbox_cgroup(cfork_sandbox *sb, int dirfd)
{
	PROTECT_ERRNO;
	int fd = -1;

	if (!sb || dirfd < -1)
		return -EINVAL;
	if (dirfd >= 0) {
		int r = check_cgroup_fd(dirfd);
		if (r < 0)
			return r;
		fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -errno;
	}
	pthread_mutex_lock(&sb->lock);
	int old = sb->cgroup_fd;
	sb->cgroup_fd = fd;
	pthread_mutex_unlock(&sb->lock);
	if (old >= 0)
		close(old);
	return 0;
}

int cfork_sandbox_policy(cfork_sandbox *sb, unsigned layers,
			 cfork_policy policy)
{
	PROTECT_ERRNO;
	if (!sb || !layers || (layers & ~SB_LAYERS) ||
	    (policy != CFORK_POLICY_OFF && policy != CFORK_POLICY_PREFER &&
	     policy != CFORK_POLICY_REQUIRE))
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	for (unsigned l = layers; l; l &= l - 1)
		sb->policy[layer_index(l & -l)] = (signed char)policy;
	/* Whether an IPC namespace is the child's own: the filter's. */
	if (layers & CFORK_LAYER_NAMESPACES)
		sb->bpf_valid = false;
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

/* A layer's policy: as set, or REQUIRE once it has something to apply. */
cfork_policy effective_policy(const cfork_sandbox *sb, unsigned layer)
{
	bool configured;

	if (sb->policy[layer_index(layer)] >= 0)
		return (cfork_policy)sb->policy[layer_index(layer)];
	switch (layer) {
	case CFORK_LAYER_SECCOMP:
		/* The base: every sandbox has a filter to apply. */
		configured = true;
		break;
	case CFORK_LAYER_LANDLOCK:
		configured = sb->npaths;
		break;
	case CFORK_LAYER_NAMESPACES:
		configured = sb->ns;
		break;
	case CFORK_LAYER_RLIMITS:
		configured = sb->limit_set;
		break;
	case CFORK_LAYER_IDENTITY:
		configured = sb->identity;
		break;
	default:
		configured = sb->cgroup_fd >= 0;
		break;
	}
	return configured ? CFORK_POLICY_REQUIRE : CFORK_POLICY_OFF;
}
