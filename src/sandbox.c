/* SPDX-License-Identifier: MIT */
/*
 * The sandbox: a policy object in the parent, applied by the child right
 * before its function runs.
 *
 * Parent: the seccomp policy (presets + rules) is compiled to classic BPF by
 * libseccomp once per change and cached in the object under its lock, so
 * threads share one compilation. At each spawn the layers are probed (is
 * seccomp there, which landlock ABI, can the limits be set) and a layer under
 * REQUIRE that cannot be applied fails the spawn before any child exists.
 * What the child needs travels in the payload's sandbox section (below);
 * namespaces and the cgroup are flags of the launch itself.
 *
 * Child: no_new_privs, landlock, resource limits, then the filter, with a
 * SIGSYS handler that names a blocked call to the parent before dying. It
 * uses only what it was sent: no libseccomp, nothing compiled in the child.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/fscrypt.h>
#include <linux/fsverity.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

/* ------------------------------------------------------------------------ */
/* Kernel interfaces newer than the build host's headers                     */
/* ------------------------------------------------------------------------ */

/* Numbers from 424 on are the same on every architecture. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_FS_EXECUTE		(1ULL << 0)
#define LL_FS_WRITE_FILE	(1ULL << 1)
#define LL_FS_READ_FILE		(1ULL << 2)
#define LL_FS_READ_DIR		(1ULL << 3)
#define LL_FS_REMOVE_DIR	(1ULL << 4)
#define LL_FS_REMOVE_FILE	(1ULL << 5)
#define LL_FS_MAKE_CHAR		(1ULL << 6)
#define LL_FS_MAKE_DIR		(1ULL << 7)
#define LL_FS_MAKE_REG		(1ULL << 8)
#define LL_FS_MAKE_SOCK		(1ULL << 9)
#define LL_FS_MAKE_FIFO		(1ULL << 10)
#define LL_FS_MAKE_BLOCK	(1ULL << 11)
#define LL_FS_MAKE_SYM		(1ULL << 12)
#define LL_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_FS_ALL		((1ULL << 16) - 1)
/* The rights a rule on a file (not a directory) may grant. */
#define LL_FS_FILE (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | \
		    LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)			/* ABI 6 */

#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC 1
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define X32_SYSCALL_BIT 0x40000000

/* ------------------------------------------------------------------------ */
/* The object                                                                */
/* ------------------------------------------------------------------------ */

#define SB_PRESETS (CFORK_SB_NO_NETWORK | CFORK_SB_NO_EXEC | \
		    CFORK_SB_NO_FS_WRITE | CFORK_SB_COMPUTE)
#define SB_LAYERS (CFORK_LAYER_SECCOMP | CFORK_LAYER_LANDLOCK | \
		   CFORK_LAYER_NAMESPACES | CFORK_LAYER_RLIMITS | \
		   CFORK_LAYER_CGROUP)
/* The layers the child applies itself; the others are the launch's. */
#define SB_CHILD_LAYERS (CFORK_LAYER_SECCOMP | CFORK_LAYER_LANDLOCK | \
			 CFORK_LAYER_RLIMITS)
#define SB_NS (CFORK_NS_USER | CFORK_NS_NET | CFORK_NS_PID | CFORK_NS_IPC | \
	       CFORK_NS_UTS | CFORK_NS_MOUNT | CFORK_NS_CGROUP)
#define SB_FS (CFORK_FS_READ | CFORK_FS_WRITE | CFORK_FS_EXEC)
#define SB_NLAYERS 5
#define SB_PATHS_MAX 64
#define SB_ERRNO_MAX 4095

/*
 * Stands for the child's own pid in the compiled filter (kill and tgkill to
 * itself under COMPUTE): the filter is compiled once for every child, so the
 * child writes its pid over this value before loading it. It is above
 * PID_MAX_LIMIT, so it can never be a real pid.
 */
#define SB_SELF_PID 0x3fcf0a17u

enum { RULE_ALLOW, RULE_DENY };

struct sb_rule {
	int nr;
	int kind;
	int err;		/* RULE_DENY: errno, or 0 to kill */
};

struct sb_path {
	int fd;			/* O_PATH, owned by the object */
	uint64_t access;	/* landlock rights (LL_FS_*) */
};

struct cfork_sandbox {
	/* Guards everything below: the object may be changed while other
	   threads spawn with it. */
	pthread_mutex_t lock;
	unsigned presets;
	struct sb_rule *rules;
	size_t nrules, rules_cap;
	struct sb_path paths[SB_PATHS_MAX];
	size_t npaths;
	uint64_t limit[RLIM_NLIMITS];
	unsigned limit_set;	/* bit per resource */
	unsigned ns;		/* CFORK_NS_* */
	uint64_t keep_caps;	/* CAP_* bits the child keeps */
	int cgroup_fd;
	signed char policy[SB_NLAYERS];	/* -1: the default */
	/* The compiled filter, valid until presets or rules change. */
	struct sock_filter *bpf;
	size_t bpf_len;
	bool bpf_valid;
	bool bpf_self_pid;
};

static int layer_index(unsigned layer)
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

static int base_guard(int nr);

static int add_rule(cfork_sandbox *sb, const char *name, int kind, int err)
{
	int nr, r = 0;

	if (!sb || !name || err < 0 || err > SB_ERRNO_MAX)
		return -EINVAL;
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return -EINVAL;
	if (kind == RULE_DENY && needed_to_end(nr))
		return -EINVAL;
	if (kind == RULE_ALLOW && base_guard(nr) == 2)
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
	if (fd < 3) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		r = high < 0 ? -errno : 0;
		close(fd);
		fd = high;
		if (r < 0)
			return r;
	}
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

int cfork_sandbox_namespaces(cfork_sandbox *sb, unsigned ns)
{
	PROTECT_ERRNO;
	if (!sb || (ns & ~SB_NS))
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	sb->ns = ns;
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

int cfork_sandbox_cgroup(cfork_sandbox *sb, int dirfd)
{
	PROTECT_ERRNO;
	struct statfs sfs;
	int fd = -1;

	if (!sb || dirfd < -1)
		return -EINVAL;
	if (dirfd >= 0) {
		if (fstatfs(dirfd, &sfs) < 0)
			return -errno;
		if (sfs.f_type != CGROUP2_SUPER_MAGIC)
			return -EINVAL;
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
	pthread_mutex_unlock(&sb->lock);
	return 0;
}

/* A layer's policy: as set, or REQUIRE once it has something to apply. */
static cfork_policy effective_policy(const cfork_sandbox *sb, unsigned layer)
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
	default:
		configured = sb->cgroup_fd >= 0;
		break;
	}
	return configured ? CFORK_POLICY_REQUIRE : CFORK_POLICY_OFF;
}

/* ------------------------------------------------------------------------ */
/* Presets                                                                   */
/* ------------------------------------------------------------------------ */

/* The base: rules every filter carries, whatever its presets (see the
   table below and include/cfork.h). */
#define P_BASE 0x100u
/* What an allow of a call the base guards means: the base's complement, so
   that the call is allowed as far as the base allows it, under COMPUTE's
   kill-by-default too. Only for calls the caller allowed. */
#define P_ALLOWED 0x200u

struct preset_rule {
	const char *name;
	struct scmp_arg_cmp arg[2];
	unsigned presets;	/* CFORK_SB_* that carry it, or P_BASE */
	unsigned unless;	/* CFORK_SB_* whose own rule for it wins */
	int nr;			/* for calls this libseccomp may not know */
	uint32_t action;
	unsigned nargs;
};

#define CMP(n, o, x) { .arg = (n), .op = SCMP_CMP_##o, .datum_a = (x) }
#define HAS(n, m) { .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (m), \
		    .datum_b = (m) }
#define LACKS(n, m) { .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (m), \
		      .datum_b = 0 }
/* An argument that the kernel reads as a 32-bit int or unsigned: a filter
   sees the whole 64-bit register, so a denial that matches a value must
   ignore the upper half, which the caller is free to fill. */
#define EQ32(n, x) { .arg = (n), .op = SCMP_CMP_MASKED_EQ, \
		     .datum_a = 0xffffffffu, .datum_b = (x) }
#define R_(p, n, num, act, na, ...) { .name = (n), .arg = { __VA_ARGS__ }, \
	.presets = (p), .nr = (num), .action = (act), .nargs = (na) }
#define R0(p, name, act) R_(p, name, 0, act, 0, { 0 })
#define RN(p, name, nr, act) R_(p, name, nr, act, 0, { 0 })
#define R1(p, name, act, a) R_(p, name, 0, act, 1, a)
#define R2(p, name, act, a, b) R_(p, name, 0, act, 2, a, b)
#define BASE P_BASE
#define OWN P_ALLOWED

#define NET CFORK_SB_NO_NETWORK
#define EXE CFORK_SB_NO_EXEC
#define WR CFORK_SB_NO_FS_WRITE
#define CPU CFORK_SB_COMPUTE
#define ALLOW SCMP_ACT_ALLOW
#define FAIL(e) SCMP_ACT_ERRNO(e)

/*
 * The presets, as include/cfork.h documents them. A name this libseccomp
 * does not know and that has no number here is skipped: the filter cannot
 * name it (a deny list misses it; COMPUTE, an allow list, kills it).
 */
static const struct preset_rule preset_rules[] = {
	/*
	 * The base: nothing that reaches another process, the parent first.
	 * Reading or writing another's memory, taking its fds, comparing
	 * them, advising its memory, tracing it:
	 */
	R0(BASE, "ptrace", FAIL(EPERM)),
	R0(BASE, "process_vm_readv", FAIL(EPERM)),
	R0(BASE, "process_vm_writev", FAIL(EPERM)),
	R0(BASE, "pidfd_getfd", FAIL(EPERM)),
	R0(BASE, "kcmp", FAIL(EPERM)),
	R0(BASE, "process_madvise", FAIL(EPERM)),
	RN(BASE, "process_mrelease", 448, FAIL(EPERM)),
	/* Signals to its own process only. 0 and -1 name the process group
	   and everyone, the parent included. Whose process a pidfd names
	   is out of a filter's reach. */
	R1(BASE, "kill", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "kill", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "tkill", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "tkill", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "tgkill", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "tgkill", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "rt_sigqueueinfo", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "rt_sigqueueinfo", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "rt_tgsigqueueinfo", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "rt_tgsigqueueinfo", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R0(BASE, "pidfd_send_signal", FAIL(EPERM)),
	/* Another process's limits, priority, scheduling, memory placement,
	   robust futexes: pid 0 is the caller. */
	R1(BASE, "prlimit64", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "prlimit64", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "setpriority", FAIL(EPERM), CMP(0, NE, PRIO_PROCESS)),
	R1(BASE, "setpriority", FAIL(EPERM), CMP(1, NE, 0)),
	R2(OWN, "setpriority", ALLOW, CMP(0, EQ, PRIO_PROCESS), CMP(1, EQ, 0)),
	R1(BASE, "ioprio_set", FAIL(EPERM), CMP(0, NE, 1 /* _WHO_PROCESS */)),
	R1(BASE, "ioprio_set", FAIL(EPERM), CMP(1, NE, 0)),
	R2(OWN, "ioprio_set", ALLOW, CMP(0, EQ, 1), CMP(1, EQ, 0)),
	R1(BASE, "sched_setaffinity", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setaffinity", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "sched_setparam", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setparam", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "sched_setscheduler", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setscheduler", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "sched_setattr", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setattr", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "migrate_pages", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "migrate_pages", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "move_pages", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "move_pages", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "get_robust_list", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "get_robust_list", ALLOW, CMP(0, EQ, 0)),
	/* Shared with the parent or the whole machine: the session
	   keyring; performance counters of other processes; BPF; and
	   userfaultfd, whose only use to an attacker is stalling the
	   kernel at a chosen page to win a race. */
	R0(BASE, "keyctl", FAIL(EPERM)),
	R0(BASE, "add_key", FAIL(EPERM)),
	R0(BASE, "request_key", FAIL(EPERM)),
	R0(BASE, "perf_event_open", FAIL(EPERM)),
	R0(BASE, "bpf", FAIL(EPERM)),
	R0(BASE, "userfaultfd", FAIL(EPERM)),
	/* The child's SIGSYS handler, which names a blocked call to the
	   parent, cannot be replaced or ignored. */
	R2(BASE, "rt_sigaction", FAIL(EPERM), CMP(0, EQ, SIGSYS),
	   CMP(1, NE, 0)),
	R1(OWN, "rt_sigaction", ALLOW, CMP(0, NE, SIGSYS)),
	R2(OWN, "rt_sigaction", ALLOW, CMP(0, EQ, SIGSYS), CMP(1, EQ, 0)),

	/* NO_NETWORK: no socket at all, but a connected AF_UNIX pair with
	   no address, which reaches nothing outside the child: a unix
	   socket with a name reaches the host's services (pathname, or
	   abstract even in a new network namespace). io_uring opens
	   sockets (and files) without a system call a filter would see. */
	R0(NET, "socket", FAIL(EAFNOSUPPORT)),
	R1(NET, "socketpair", FAIL(EAFNOSUPPORT), CMP(0, NE, AF_UNIX)),
	R0(NET | WR, "io_uring_setup", FAIL(EPERM)),
	R0(NET | WR, "io_uring_enter", FAIL(EPERM)),
	R0(NET | WR, "io_uring_register", FAIL(EPERM)),

	/* NO_EXEC */
	R0(EXE, "execve", FAIL(EPERM)),
	R0(EXE, "execveat", FAIL(EPERM)),

	/* NO_FS_WRITE: no open for writing, no change to a name, a mode, an
	   owner, a time stamp or an attribute, no mount. */
	R1(WR, "open", FAIL(EROFS), HAS(1, O_WRONLY)),
	R1(WR, "open", FAIL(EROFS), HAS(1, O_RDWR)),
	R1(WR, "open", FAIL(EROFS), HAS(1, O_CREAT)),
	R1(WR, "open", FAIL(EROFS), HAS(1, O_TRUNC)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_WRONLY)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_RDWR)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_CREAT)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_TRUNC)),
	/* Its flags are behind a pointer a filter cannot read; libc falls
	   back to openat on ENOSYS. */
	R0(WR, "openat2", FAIL(ENOSYS)),
	R0(WR, "open_by_handle_at", FAIL(EPERM)),
	R0(WR, "creat", FAIL(EROFS)),
	R0(WR, "mkdir", FAIL(EROFS)),
	R0(WR, "mkdirat", FAIL(EROFS)),
	R0(WR, "mknod", FAIL(EROFS)),
	R0(WR, "mknodat", FAIL(EROFS)),
	R0(WR, "rmdir", FAIL(EROFS)),
	R0(WR, "unlink", FAIL(EROFS)),
	R0(WR, "unlinkat", FAIL(EROFS)),
	R0(WR, "rename", FAIL(EROFS)),
	R0(WR, "renameat", FAIL(EROFS)),
	R0(WR, "renameat2", FAIL(EROFS)),
	R0(WR, "link", FAIL(EROFS)),
	R0(WR, "linkat", FAIL(EROFS)),
	R0(WR, "symlink", FAIL(EROFS)),
	R0(WR, "symlinkat", FAIL(EROFS)),
	R0(WR, "truncate", FAIL(EROFS)),
	R0(WR, "chmod", FAIL(EROFS)),
	R0(WR, "fchmod", FAIL(EROFS)),
	R0(WR, "fchmodat", FAIL(EROFS)),
	RN(WR, "fchmodat2", 452, FAIL(EROFS)),
	R0(WR, "chown", FAIL(EROFS)),
	R0(WR, "fchown", FAIL(EROFS)),
	R0(WR, "lchown", FAIL(EROFS)),
	R0(WR, "fchownat", FAIL(EROFS)),
	R0(WR, "utime", FAIL(EROFS)),
	R0(WR, "utimes", FAIL(EROFS)),
	R0(WR, "futimesat", FAIL(EROFS)),
	R0(WR, "utimensat", FAIL(EROFS)),
	R0(WR, "setxattr", FAIL(EROFS)),
	R0(WR, "lsetxattr", FAIL(EROFS)),
	R0(WR, "fsetxattr", FAIL(EROFS)),
	RN(WR, "setxattrat", 463, FAIL(EROFS)),
	R0(WR, "removexattr", FAIL(EROFS)),
	R0(WR, "lremovexattr", FAIL(EROFS)),
	R0(WR, "fremovexattr", FAIL(EROFS)),
	RN(WR, "removexattrat", 466, FAIL(EROFS)),
	RN(WR, "file_setattr", 469, FAIL(EROFS)),
	R0(WR, "mount", FAIL(EPERM)),
	R0(WR, "umount2", FAIL(EPERM)),
	R0(WR, "pivot_root", FAIL(EPERM)),
	R0(WR, "move_mount", FAIL(EPERM)),
	R0(WR, "fsopen", FAIL(EPERM)),
	R0(WR, "fsconfig", FAIL(EPERM)),
	R0(WR, "fsmount", FAIL(EPERM)),
	R0(WR, "fspick", FAIL(EPERM)),
	R0(WR, "open_tree", FAIL(EPERM)),
	RN(WR, "open_tree_attr", 467, FAIL(EPERM)),
	R0(WR, "mount_setattr", FAIL(EPERM)),
	R0(WR, "acct", FAIL(EPERM)),
	R0(WR, "swapon", FAIL(EPERM)),
	R0(WR, "swapoff", FAIL(EPERM)),
	R0(WR, "quotactl", FAIL(EPERM)),
	R0(WR, "quotactl_fd", FAIL(EPERM)),
	/* Inode flags, project ids, versions, labels, verity and
	   encryption policies change through an ioctl on any fd, a
	   read-only one too; freezing and trimming act on the whole
	   filesystem. Other ioctls are not inspected. */
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SETFLAGS)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_FSSETXATTR)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SETVERSION)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SETFSLABEL)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_ENABLE_VERITY)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SET_ENCRYPTION_POLICY)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FIFREEZE)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FITHAW)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FITRIM)),
	/* bind() of a unix socket creates a node, and its address is
	   behind a pointer: no unix socket but a pair. */
	{ .name = "socket", .presets = WR, .unless = NET,
	  .action = FAIL(EPERM), .nargs = 1, .arg = { EQ32(0, AF_UNIX) } },

	/* COMPUTE: an allow list; anything else kills. I/O on the fds the
	   child has: */
	R0(CPU, "read", ALLOW),
	R0(CPU, "write", ALLOW),
	R0(CPU, "readv", ALLOW),
	R0(CPU, "writev", ALLOW),
	R0(CPU, "pread64", ALLOW),
	R0(CPU, "pwrite64", ALLOW),
	R0(CPU, "preadv", ALLOW),
	R0(CPU, "pwritev", ALLOW),
	R0(CPU, "preadv2", ALLOW),
	R0(CPU, "pwritev2", ALLOW),
	R0(CPU, "lseek", ALLOW),
	R0(CPU, "close", ALLOW),
	R0(CPU, "dup", ALLOW),
	R0(CPU, "dup2", ALLOW),
	R0(CPU, "dup3", ALLOW),
	R0(CPU, "poll", ALLOW),
	R0(CPU, "ppoll", ALLOW),
	R0(CPU, "select", ALLOW),
	R0(CPU, "pselect6", ALLOW),
	R0(CPU, "fstat", ALLOW),
	/* fstat() is fstatat(fd, "", AT_EMPTY_PATH) in glibc. The path is
	   behind a pointer: with AT_EMPTY_PATH a non-empty one still names
	   a file (its metadata, never its contents). statx has no such
	   user in libc; its callers fall back on ENOSYS. */
	R1(CPU, "newfstatat", ALLOW, HAS(3, AT_EMPTY_PATH)),
	R1(CPU, "newfstatat", FAIL(EACCES), LACKS(3, AT_EMPTY_PATH)),
	R0(CPU, "statx", FAIL(ENOSYS)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_GETFD)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_SETFD)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_GETFL)),
	/* An inherited fd shares its file status flags with the parent:
	   O_NONBLOCK set here would break the parent's writes. */
	R1(CPU, "fcntl", FAIL(EPERM), CMP(1, EQ, F_SETFL)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_DUPFD)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_DUPFD_CLOEXEC)),
	/* Libraries look for optional files (time zone, locale, malloc's
	   /proc/sys/vm/overcommit_memory) and ask whether an fd is a
	   terminal: those fail, they do not kill. */
	R0(CPU, "open", FAIL(EACCES)),
	R0(CPU, "openat", FAIL(EACCES)),
	R0(CPU, "openat2", FAIL(ENOSYS)),
	R0(CPU, "creat", FAIL(EACCES)),
	R0(CPU, "stat", FAIL(EACCES)),
	R0(CPU, "lstat", FAIL(EACCES)),
	R0(CPU, "access", FAIL(EACCES)),
	R0(CPU, "faccessat", FAIL(EACCES)),
	R0(CPU, "faccessat2", FAIL(EACCES)),
	R0(CPU, "readlink", FAIL(EACCES)),
	R0(CPU, "readlinkat", FAIL(EACCES)),
	R0(CPU, "ioctl", FAIL(ENOTTY)),
	/* glibc's getpwuid() asks nscd over a unix socket first. */
	R0(CPU, "socket", FAIL(EAFNOSUPPORT)),
	/* memory */
	R0(CPU, "brk", ALLOW),
	R0(CPU, "mmap", ALLOW),
	R0(CPU, "munmap", ALLOW),
	R0(CPU, "mremap", ALLOW),
	R0(CPU, "mprotect", ALLOW),
	R0(CPU, "madvise", ALLOW),
	/* time */
	R0(CPU, "clock_gettime", ALLOW),
	R0(CPU, "clock_getres", ALLOW),
	R0(CPU, "gettimeofday", ALLOW),
	R0(CPU, "time", ALLOW),
	R0(CPU, "nanosleep", ALLOW),
	R0(CPU, "clock_nanosleep", ALLOW),
	/* threads and their synchronization; a clone that is not a thread
	   would be a new process. glibc falls back from clone3, whose flags
	   a filter cannot read, to clone. */
	R0(CPU, "futex", ALLOW),
	R0(CPU, "set_robust_list", ALLOW),
	R0(CPU, "rseq", ALLOW),
	R0(CPU, "sched_yield", ALLOW),
	R0(CPU, "sched_getaffinity", ALLOW),
	R1(CPU, "clone", ALLOW, HAS(0, CLONE_THREAD)),
	R0(CPU, "clone3", FAIL(ENOSYS)),
	R0(CPU, "set_tid_address", ALLOW),
	R0(CPU, "gettid", ALLOW),
	R0(CPU, "getpid", ALLOW),
	R0(CPU, "getrandom", ALLOW),
	/* What ordinary library code asks about itself and the machine,
	   read-only: qsort() sizes its buffer with sysinfo(), stdio and
	   getpwuid() ask who they are. */
	R0(CPU, "sysinfo", ALLOW),
	R0(CPU, "uname", ALLOW),
	R0(CPU, "getuid", ALLOW),
	R0(CPU, "geteuid", ALLOW),
	R0(CPU, "getgid", ALLOW),
	R0(CPU, "getegid", ALLOW),
	R0(CPU, "getresuid", ALLOW),
	R0(CPU, "getresgid", ALLOW),
	R0(CPU, "getgroups", ALLOW),
	R0(CPU, "getppid", ALLOW),
	R0(CPU, "getpgrp", ALLOW),
	R0(CPU, "getpgid", ALLOW),
	R0(CPU, "getsid", ALLOW),
	R0(CPU, "getcwd", ALLOW),
	R0(CPU, "getcpu", ALLOW),
	R0(CPU, "getrlimit", ALLOW),
	R0(CPU, "getrusage", ALLOW),
	R0(CPU, "times", ALLOW),
	R0(CPU, "sched_getparam", ALLOW),
	R0(CPU, "sched_getscheduler", ALLOW),
	R0(CPU, "sched_get_priority_max", ALLOW),
	R0(CPU, "sched_get_priority_min", ALLOW),
	R0(CPU, "membarrier", ALLOW),
	/* getrlimit() is prlimit64(0, r, NULL, old) in glibc; lowering a
	   limit is refused rather than fatal. */
	R2(CPU, "prlimit64", ALLOW, CMP(0, EQ, 0), CMP(2, EQ, 0)),
	R2(CPU, "prlimit64", FAIL(EPERM), CMP(0, EQ, 0), CMP(2, NE, 0)),
	R0(CPU, "setrlimit", FAIL(EPERM)),
	R0(CPU, "exit", ALLOW),
	R0(CPU, "exit_group", ALLOW),
	R0(CPU, "restart_syscall", ALLOW),
	/* signals, to itself only */
	R0(CPU, "rt_sigprocmask", ALLOW),
	R0(CPU, "rt_sigreturn", ALLOW),
	R0(CPU, "rt_sigtimedwait", ALLOW),
	R0(CPU, "sigaltstack", ALLOW),
	R1(CPU, "rt_sigaction", ALLOW, CMP(0, NE, SIGSYS)),
	R2(CPU, "rt_sigaction", ALLOW, CMP(0, EQ, SIGSYS), CMP(1, EQ, 0)),
};

#undef NET
#undef EXE
#undef WR
#undef CPU
#undef BASE
#undef OWN
#undef ALLOW
#undef FAIL
#undef EQ32
#undef CMP
#undef HAS
#undef LACKS
#undef R_
#undef R0
#undef RN
#undef R1
#undef R2

static const struct sb_rule *find_rule(const cfork_sandbox *sb, int nr)
{
	for (size_t i = 0; i < sb->nrules; i++)
		if (sb->rules[i].nr == nr)
			return &sb->rules[i];
	return NULL;
}

static int preset_nr(const struct preset_rule *p)
{
	int nr = seccomp_syscall_resolve_name(p->name);

	if (nr == __NR_SCMP_ERROR && p->nr)
		nr = p->nr;
	return nr;
}

/* How the base treats nr: 0 not at all; 1 some of its calls (an allow
   of nr keeps those denials); 2 every call (an allow of nr is refused). */
static int base_guard(int nr)
{
	int guard = 0;

	for (size_t i = 0; i < sizeof(preset_rules) / sizeof(*preset_rules); i++) {
		const struct preset_rule *p = &preset_rules[i];
		if (!(p->presets & P_BASE) || preset_nr(p) != nr)
			continue;
		if (!p->nargs)
			return 2;
		guard = 1;
	}
	return guard;
}

/* A rule whose action is the filter's default is refused with -EACCES by
   libseccomp: it is already in force. */
static int rule_add(scmp_filter_ctx ctx, uint32_t action, int nr,
		    unsigned nargs, const struct scmp_arg_cmp *arg)
{
	int r = seccomp_rule_add_array(ctx, action, nr, nargs, arg);

	return r == -EACCES ? 0 : r;
}

/* The filter's instructions, read back from libseccomp's export. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret,
		      size_t *ret_len)
{
	int fd = memfd_create("cfork-bpf", MFD_CLOEXEC);
	struct sock_filter *bpf = NULL;
	off_t size;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		goto out;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		r = -errno;
		goto out;
	}
	if (size == 0 || size % sizeof(*bpf)) {
		r = -EINVAL;
		goto out;
	}
	/* A policy the kernel would refuse is refused here, in the parent. */
	if ((size_t)size / sizeof(*bpf) > BPF_MAXINSNS) {
		r = -E2BIG;
		goto out;
	}
	bpf = malloc((size_t)size);
	if (!bpf) {
		r = -ENOMEM;
		goto out;
	}
	if (pread(fd, bpf, (size_t)size, 0) != size) {
		r = errno ? -errno : -EIO;
		free(bpf);
		goto out;
	}
	*ret = bpf;
	*ret_len = (size_t)size / sizeof(*bpf);
	r = 0;
out:
	close(fd);
	return r;
}

static bool is_self_pid_test(const struct sock_filter *f)
{
	return f->code == (BPF_JMP | BPF_JEQ | BPF_K) && f->k == SB_SELF_PID;
}

/*
 * Presets first, then the caller's rules, which replace every preset rule
 * for the same call (an allow of "socket" under NO_NETWORK allows every
 * family). With COMPUTE the other presets add nothing: it denies all they
 * deny. Called with the lock held.
 */
static int compile_locked(cfork_sandbox *sb)
{
	bool compute = sb->presets & CFORK_SB_COMPUTE;
	unsigned active = (compute ? CFORK_SB_COMPUTE : sb->presets) | P_BASE;
	struct sock_filter *bpf = NULL;
	size_t len = 0;
	int r;

	if (sb->bpf_valid)
		return 0;
	scmp_filter_ctx ctx = seccomp_init(compute ? SCMP_ACT_TRAP :
						     SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* Another ABI of the same machine (i386 through int 0x80, x32 on
	   x86_64) would see other numbers: it is killed and reported. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		goto out;

	for (size_t i = 0; i < sizeof(preset_rules) / sizeof(*preset_rules); i++) {
		const struct preset_rule *p = &preset_rules[i];
		int nr = preset_nr(p);
		if (nr == __NR_SCMP_ERROR || (p->unless & active))
			continue;
		const struct sb_rule *own = find_rule(sb, nr);
		/* The caller's deny replaces every rule for the call; the
		   caller's allow replaces the presets' and leaves the base,
		   completed by its P_ALLOWED rules. */
		bool allowed = own && own->kind == RULE_ALLOW;
		if (own && own->kind == RULE_DENY)
			continue;
		if (p->presets & P_ALLOWED ? !allowed :
		    !(p->presets & active) || (allowed && !(p->presets & P_BASE)))
			continue;
		r = rule_add(ctx, p->action, nr, p->nargs, p->arg);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < sb->nrules; i++) {
		const struct sb_rule *own = &sb->rules[i];
		if (own->kind == RULE_ALLOW && base_guard(own->nr))
			continue;
		r = rule_add(ctx, own->kind == RULE_ALLOW ? SCMP_ACT_ALLOW :
				  own->err ? SCMP_ACT_ERRNO(own->err) :
					     SCMP_ACT_TRAP,
			     own->nr, 0, NULL);
		if (r < 0)
			goto out;
	}

	r = export_bpf(ctx, &bpf, &len);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	free(sb->bpf);
	sb->bpf = bpf;
	sb->bpf_len = len;
	sb->bpf_self_pid = false;
	for (size_t i = 0; i < len; i++)
		sb->bpf_self_pid |= is_self_pid_test(&bpf[i]);
	sb->bpf_valid = true;
out:
	seccomp_release(ctx);
	/* A rule libseccomp cannot express is the policy's fault: its own
	   codes for that vary. */
	return r == -ENOMEM || r == 0 ? r : -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* Probes: what the host allows, asked before any child exists               */
/* ------------------------------------------------------------------------ */

static bool seccomp_available(void)
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

static int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

static uint64_t landlock_fs_rights(int abi)
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

static uint64_t landlock_scopes(int abi)
{
	return abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL : 0;
}

static bool has_cap_sys_resource(void)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &head, data) < 0)
		return false;
	return data[0].effective & (1u << CAP_SYS_RESOURCE);
}

/* ------------------------------------------------------------------------ */
/* The payload's sandbox section                                             */
/* ------------------------------------------------------------------------ */

/*
 *   struct sb_wire
 *   struct sock_filter[nfilter]     the compiled filter
 *   struct sb_wire_path[npaths]     landlock: an inherited O_PATH fd each
 *   struct sb_wire_limit[nlimits]   setrlimit(resource, value, value)
 */
struct sb_wire {
	uint32_t layers;	/* SB_CHILD_LAYERS the child applies */
	uint32_t require;	/* those that must not fail */
	uint32_t flags;
	uint32_t nfilter;
	uint32_t npaths;
	uint32_t nlimits;
	uint64_t handled_fs;	/* landlock: the rights the ruleset handles */
	uint64_t scoped;	/* landlock: LL_SCOPE_* */
	uint64_t keep_caps;	/* CAP_* bits the child keeps; all others go */
};
#define SBW_SELF_PID 1u		/* patch SB_SELF_PID with the child's pid */

struct sb_wire_path {
	int32_t fd;
	uint32_t reserved;
	uint64_t access;
};

struct sb_wire_limit {
	uint32_t resource;
	uint32_t reserved;
	uint64_t value;
};

const char *sandbox_check(const void *section, size_t len)
{
	const unsigned char *p = section;
	struct sb_wire h;

	if (len < sizeof(h))
		return "sandbox section shorter than its header";
	memcpy(&h, p, sizeof(h));
	if (h.layers & ~SB_CHILD_LAYERS || h.require & ~h.layers ||
	    h.flags & ~SBW_SELF_PID)
		return "unknown sandbox layers or flags";
	if (h.nfilter > BPF_MAXINSNS ||
	    !h.nfilter != !(h.layers & CFORK_LAYER_SECCOMP))
		return "bad sandbox filter length";
	if (h.npaths > SB_PATHS_MAX ||
	    (h.npaths && !(h.layers & CFORK_LAYER_LANDLOCK)))
		return "bad number of landlock rules";
	if (h.nlimits > RLIM_NLIMITS ||
	    !h.nlimits != !(h.layers & CFORK_LAYER_RLIMITS))
		return "bad number of resource limits";
	if (h.handled_fs & ~LL_FS_ALL ||
	    h.scoped & ~(LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL))
		return "unknown landlock rights";
	if (h.keep_caps >> CAP_LAST_CAP >> 1)
		return "unknown capabilities";
	if (len != sizeof(h) + (size_t)h.nfilter * sizeof(struct sock_filter) +
		   (size_t)h.npaths * sizeof(struct sb_wire_path) +
		   (size_t)h.nlimits * sizeof(struct sb_wire_limit))
		return "sandbox section size does not match its header";

	p += sizeof(h) + (size_t)h.nfilter * sizeof(struct sock_filter);
	for (uint32_t i = 0; i < h.npaths; i++, p += sizeof(struct sb_wire_path)) {
		struct sb_wire_path w;
		memcpy(&w, p, sizeof(w));
		if (w.fd < 3 || w.reserved || w.access & ~h.handled_fs)
			return "bad landlock rule";
	}
	for (uint32_t i = 0; i < h.nlimits; i++, p += sizeof(struct sb_wire_limit)) {
		struct sb_wire_limit w;
		memcpy(&w, p, sizeof(w));
		if (w.resource >= RLIM_NLIMITS || w.reserved)
			return "bad resource limit";
	}
	return NULL;
}

/* Appends n bytes at *at. */
static unsigned char *put(unsigned char *at, const void *src, size_t n)
{
	memcpy(at, src, n);
	return at + n;
}

static int build_section(const cfork_sandbox *sb, struct sandbox_plan *plan,
			 unsigned layers, unsigned require, int abi)
{
	struct sb_wire h = {
		.layers = layers,
		.require = require & layers,
		.keep_caps = sb->keep_caps,
	};

	if (layers & CFORK_LAYER_SECCOMP) {
		h.nfilter = (uint32_t)sb->bpf_len;
		h.flags |= sb->bpf_self_pid ? SBW_SELF_PID : 0;
	}
	if (layers & CFORK_LAYER_LANDLOCK) {
		h.npaths = (uint32_t)sb->npaths;
		h.handled_fs = landlock_fs_rights(abi);
		h.scoped = landlock_scopes(abi);
	}
	if (layers & CFORK_LAYER_RLIMITS)
		h.nlimits = (uint32_t)__builtin_popcount(sb->limit_set);

	size_t len = sizeof(h) + h.nfilter * sizeof(struct sock_filter) +
		     h.npaths * sizeof(struct sb_wire_path) +
		     h.nlimits * sizeof(struct sb_wire_limit);
	unsigned char *blob = malloc(len), *at = blob;
	int *keep = h.npaths ? malloc(h.npaths * sizeof(*keep)) : NULL;

	if (!blob || (h.npaths && !keep)) {
		free(blob);
		free(keep);
		return -ENOMEM;
	}
	at = put(at, &h, sizeof(h));
	if (h.nfilter)
		at = put(at, sb->bpf, h.nfilter * sizeof(struct sock_filter));
	for (uint32_t i = 0; i < h.npaths; i++) {
		struct sb_wire_path w = {
			.fd = sb->paths[i].fd,
			.access = sb->paths[i].access & h.handled_fs,
		};
		at = put(at, &w, sizeof(w));
		keep[i] = sb->paths[i].fd;
	}
	for (int res = 0; h.nlimits && res < RLIM_NLIMITS; res++) {
		if (!(sb->limit_set & (1u << res)))
			continue;
		struct sb_wire_limit w = { (uint32_t)res, 0, sb->limit[res] };
		at = put(at, &w, sizeof(w));
	}
	plan->blob = blob;
	plan->blob_len = len;
	plan->path_fds = keep;
	plan->npath_fds = h.npaths;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The parent's side of one spawn                                            */
/* ------------------------------------------------------------------------ */

static uint64_t clone_flags(unsigned ns)
{
	uint64_t f = 0;

	if (ns & CFORK_NS_USER)
		f |= CLONE_NEWUSER;
	if (ns & CFORK_NS_NET)
		f |= CLONE_NEWNET;
	if (ns & CFORK_NS_PID)
		f |= CLONE_NEWPID;
	if (ns & CFORK_NS_IPC)
		f |= CLONE_NEWIPC;
	if (ns & CFORK_NS_UTS)
		f |= CLONE_NEWUTS;
	if (ns & CFORK_NS_MOUNT)
		f |= CLONE_NEWNS;
	if (ns & CFORK_NS_CGROUP)
		f |= CLONE_NEWCGROUP;
	return f;
}

/* Whether every limit can be set in the child: raising a hard limit takes
   CAP_SYS_RESOURCE in the initial user namespace. */
static bool limits_settable(const cfork_sandbox *sb, bool new_userns)
{
	bool privileged = !new_userns && has_cap_sys_resource();

	for (int res = 0; res < RLIM_NLIMITS; res++) {
		struct rlimit rl;
		if (!(sb->limit_set & (1u << res)))
			continue;
		if (getrlimit(res, &rl) < 0)
			return false;
		if (sb->limit[res] > rl.rlim_max && !privileged)
			return false;
	}
	return true;
}

int sandbox_prepare(const cfork_sandbox *csb, const cfork_attr *attr,
		    struct sandbox_plan *plan)
{
	/* The lock and the compiled filter are the object's internals: a
	   const sandbox is one the caller does not change. */
	cfork_sandbox *sb = (cfork_sandbox *)csb;
	unsigned want = 0, require = 0;
	int abi = 0, r = 0;

	pthread_mutex_lock(&sb->lock);
	for (unsigned l = 1; l & SB_LAYERS; l <<= 1) {
		cfork_policy pol = effective_policy(sb, l);
		want |= pol != CFORK_POLICY_OFF ? l : 0;
		require |= pol == CFORK_POLICY_REQUIRE ? l : 0;
	}
	if (!sb->ns)
		want &= ~CFORK_LAYER_NAMESPACES;
	if (!sb->limit_set)
		want &= ~CFORK_LAYER_RLIMITS;
	if (sb->cgroup_fd < 0)
		want &= ~CFORK_LAYER_CGROUP;

	if ((want & CFORK_LAYER_CGROUP) && attr->cgroup_fd != -1) {
		r = -EINVAL;
		goto out;
	}
	if (want & CFORK_LAYER_SECCOMP) {
		/* A bad policy is an error on every host, whatever the
		   policy: compiled before the probe. */
		r = compile_locked(sb);
		if (r < 0)
			goto out;
		if (!seccomp_available())
			want &= ~CFORK_LAYER_SECCOMP;
	}
	if (want & CFORK_LAYER_LANDLOCK) {
		abi = landlock_abi();
		if (abi < 1)
			want &= ~CFORK_LAYER_LANDLOCK;
	}
	if ((want & CFORK_LAYER_RLIMITS) && (require & CFORK_LAYER_RLIMITS) &&
	    !limits_settable(sb, (want & CFORK_LAYER_NAMESPACES) &&
				     (sb->ns & CFORK_NS_USER))) {
		r = -EPERM;
		goto out;
	}
	if (require & ~want & (CFORK_LAYER_SECCOMP | CFORK_LAYER_LANDLOCK)) {
		r = -ENOSYS;
		goto out;
	}

	/* Every sandboxed child has a section: it drops its capabilities
	   and enters a landlock domain where it can, whatever the layers. */
	r = build_section(sb, plan, want & SB_CHILD_LAYERS, require, abi);
	if (r < 0)
		goto out;
	plan->child_layers = want & SB_CHILD_LAYERS;
	plan->ns_flags = want & CFORK_LAYER_NAMESPACES ? clone_flags(sb->ns) : 0;
	if (want & CFORK_LAYER_CGROUP) {
		/* The plan's own fd: cfork_sandbox_cgroup() may replace the
		   object's while this spawn runs. */
		plan->cgroup_fd = fcntl(sb->cgroup_fd, F_DUPFD_CLOEXEC, 3);
		if (plan->cgroup_fd < 0) {
			r = -errno;
			goto out;
		}
		plan->cgroup = true;
	}
	plan->optional = want & ~require &
			 (CFORK_LAYER_NAMESPACES | CFORK_LAYER_CGROUP);
out:
	pthread_mutex_unlock(&sb->lock);
	return r;
}

/*
 * Launches with the plan's namespaces and cgroup. One the host refuses is
 * dropped when its policy is PREFER, trying the other first, so that one
 * refused layer does not take the other with it; the error is that of the
 * last attempt.
 */
int sandbox_launch(struct sandbox_plan *plan, struct launch_request *req,
		   struct launch_result *res)
{
	int r = -EINVAL;

	if (plan->npath_fds) {
		size_t n = req->nkeep_fds + plan->npath_fds;
		plan->keep = malloc(n * sizeof(*plan->keep));
		if (!plan->keep)
			return -ENOMEM;
		if (req->nkeep_fds)
			memcpy(plan->keep, req->keep_fds,
			       req->nkeep_fds * sizeof(*plan->keep));
		memcpy(plan->keep + req->nkeep_fds, plan->path_fds,
		       plan->npath_fds * sizeof(*plan->keep));
		req->keep_fds = plan->keep;
		req->nkeep_fds = n;
	}
	if (!plan->ns_flags && !plan->cgroup) {
		plan->applied = 0;
		return launch(req, res);
	}

	bool ns_optional = plan->ns_flags &&
			   (plan->optional & CFORK_LAYER_NAMESPACES);
	bool cg_optional = plan->cgroup &&
			   (plan->optional & CFORK_LAYER_CGROUP);
	int cgroup_fd = plan->cgroup ? plan->cgroup_fd : req->cgroup_fd;

	for (unsigned drop = 0; drop < 4; drop++) {
		bool drop_ns = drop & 1, drop_cg = drop & 2;
		if ((drop_ns && !ns_optional) || (drop_cg && !cg_optional))
			continue;
		req->ns_flags = drop_ns ? 0 : plan->ns_flags;
		req->cgroup_fd = drop_cg ? -1 : cgroup_fd;
		r = launch(req, res);
		if (r == 0) {
			plan->applied =
				(req->ns_flags ? CFORK_LAYER_NAMESPACES : 0) |
				(plan->cgroup && !drop_cg ?
					 CFORK_LAYER_CGROUP : 0);
			return 0;
		}
	}
	return r;
}

void sandbox_plan_release(struct sandbox_plan *plan)
{
	free(plan->blob);
	free(plan->path_fds);
	free(plan->keep);
	if (plan->cgroup)
		close(plan->cgroup_fd);
	plan->cgroup = false;
	plan->blob = NULL;
	plan->path_fds = NULL;
	plan->keep = NULL;
}

/* The parent's text for a call the child was killed for. */
void sandbox_blocked_text(char *buf, size_t size, int32_t nr, uint32_t arch)
{
	uint32_t token = arch;
	const char *abi = "";
	char other[32];

	if (arch == AUDIT_ARCH_I386) {
		abi = "i386 ";
	} else if (arch == AUDIT_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)) {
		abi = "x32 ";
		token = SCMP_ARCH_X32;
	} else if (arch != seccomp_arch_native()) {
		(void)snprintf(other, sizeof(other), "arch 0x%x ", arch);
		abi = other;
	}
	char *name = seccomp_syscall_resolve_num_arch(token, nr);
	(void)snprintf(buf, size, "sandbox: blocked system call %s (%snr %d)",
		       name ? name : "?", abi, nr);
	free(name);
}

/* ------------------------------------------------------------------------ */
/* The child's side                                                          */
/* ------------------------------------------------------------------------ */

static int sigsys_report_fd = -1;

/* "cfork: sandbox: blocked system call nr N\n" with async-signal-safe
   means only. */
static void say_blocked(int32_t nr)
{
	static const char head[] = "cfork: sandbox: blocked system call nr ";
	char msg[sizeof(head) + 16], digits[12];
	size_t n = sizeof(head) - 1, d = 0;
	uint32_t v = (uint32_t)nr;

	memcpy(msg, head, n);
	do
		digits[d++] = (char)('0' + v % 10);
	while ((v /= 10) && d < sizeof(digits));
	while (d)
		msg[n++] = digits[--d];
	msg[n++] = '\n';
	(void)!write(STDERR_FILENO, msg, n);
}

/*
 * Makes the same call again. SA_RESETHAND has put SIGSYS back to its default
 * and the handler runs with it blocked, so this second trap is forced on the
 * process with the default action: death by SIGSYS, which a pid namespace's
 * init (our child under CFORK_NS_PID) would not get from a kill() to itself.
 * The arguments are the original ones, so the filter answers the same.
 */
static void retrap(const siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;

#if defined(__x86_64__)
	const greg_t *g = uc->uc_mcontext.gregs;

	if (si->si_arch == AUDIT_ARCH_X86_64) {
		syscall(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX],
			g[REG_R10], g[REG_R8], g[REG_R9]);
	} else {
		long ret;
		__asm__ volatile("int $0x80"
				 : "=a"(ret)
				 : "a"((long)si->si_syscall), "b"(g[REG_RBX]),
				   "c"(g[REG_RCX]), "d"(g[REG_RDX]),
				   "S"(g[REG_RSI]), "D"(g[REG_RDI])
				 : "memory", "r8", "r9", "r10", "r11");
		(void)ret;
	}
#elif defined(__aarch64__)
	const unsigned long long *x = uc->uc_mcontext.regs;

	syscall(si->si_syscall, x[0], x[1], x[2], x[3], x[4], x[5]);
#else
	(void)si;
	(void)uc;
#endif
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	if (si->si_code == SYS_SECCOMP) {
		/* One write of a frame shorter than PIPE_BUF: atomic on the
		   pipe without the report lock, which this thread may hold. */
		struct {
			uint32_t kind, len;
			int32_t nr;
			uint32_t arch;
		} frame = { REPORT_BLOCKED, 8, si->si_syscall, si->si_arch };
		(void)!write(sigsys_report_fd, &frame, sizeof(frame));
		say_blocked(si->si_syscall);
		retrap(si, ctx);
		/* Not reached unless the filter changed its mind. */
		_exit(CFORK_EXIT_SANDBOX);
	}
	/* Sent by someone: the default action, once the handler returns. */
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGSYS);
}

/* Whether the child runs threads besides this one: 1 yes, 0 no, -1 where
   it cannot be told (no procfs), which is never taken for a no. One read
   of procfs, cheaper than opendir(). */
static int other_threads(void)
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

static const char *apply_landlock(const struct sb_wire *h,
				  const unsigned char *paths, int *err)
{
	int abi = landlock_abi();

	*err = 0;
	if (abi < 1)
		return "landlock is not available";
	/* landlock_restrict_self() confines the calling thread only. */
	switch (other_threads()) {
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
		struct sb_wire_path w;
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
 * The base's landlock domain, where the kernel has landlock: from inside a domain no process outside it can be traced or
 * read through /proc/<pid>/{mem,fd,environ} (ptrace access, which a filter
 * cannot see in an open()), and from ABI 6 on none can be signalled and no
 * abstract unix socket made outside it can be reached. The ruleset handles
 * only the making of block devices, which it then denies: nothing a child
 * does.
 */
static void enter_base_domain(void)
{
	int abi = landlock_abi();

	/* Other threads, which it would not hold, are not counted: the
	   domain claims nothing, and it holds the thread that runs the
	   function whatever the others do. */
	if (abi < 1)
		return;
	struct ll_ruleset_attr attr = {
		.handled_access_fs = LL_FS_MAKE_BLOCK,
		.scoped = landlock_scopes(abi),
	};
	size_t size = attr.scoped ? sizeof(attr) :
				    sizeof(attr.handled_access_fs);
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs < 0)
		return;
	(void)syscall(SYS_landlock_restrict_self, rs, 0);
	close(rs);
}

#define SB_SECUREBITS (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | \
		       SECBIT_NO_SETUID_FIXUP_LOCKED | \
		       SECBIT_KEEP_CAPS_LOCKED | \
		       SECBIT_NO_CAP_AMBIENT_RAISE | \
		       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/*
 * Every capability but those kept leaves every set: bounding, ambient,
 * inheritable, permitted, effective; the securebits that would give root
 * its capabilities back are locked. The bounding set and the securebits
 * take CAP_SETPCAP: a child without it holds no capability it could pass
 * on, and no_new_privs stops it from gaining any by exec.
 */
static const char *drop_caps(uint64_t keep, int *err)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	*err = 0;
	if (syscall(SYS_capget, &head, data) < 0) {
		*err = errno;
		return "capget";
	}
	uint64_t permitted = data[0].permitted |
			     (uint64_t)data[1].permitted << 32;
	if (data[0].effective & (1u << CAP_SETPCAP)) {
		int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
		if (bits < 0 || ((bits & SB_SECUREBITS) != SB_SECUREBITS &&
				 prctl(PR_SET_SECUREBITS,
				       bits | SB_SECUREBITS, 0, 0, 0) < 0)) {
			*err = errno;
			return "cannot lock the securebits";
		}
		/* Up to the kernel's last capability, which EINVAL marks. */
		for (int cap = 0; cap < 64; cap++) {
			if (keep >> cap & 1)
				continue;
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
				continue;
			if (errno == EINVAL)
				break;
			*err = errno;
			return "cannot drop from the bounding set";
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		*err = errno;
		return "cannot clear the ambient capabilities";
	}
	keep &= permitted;
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &head, data) < 0) {
		*err = errno;
		return "capset";
	}
	return NULL;
}

static void send_applied(unsigned applied)
{
	uint32_t v = applied;

	child_report(REPORT_SANDBOX, &v, sizeof(v));
}

/* A layer that failed: the end of the child under REQUIRE; under PREFER
   the function runs without it, and the parent is told so. */
static void layer_failed(const struct sb_wire *h, unsigned layer,
			 const char *what, int err)
{
	if (h->require & layer)
		child_fail(CFORK_EXIT_SANDBOX, "sandbox: %s%s%s", what,
			   err ? ": " : "", err ? strerror(err) : "");
}

static const char *load_filter(const struct sb_wire *h,
			       const struct sock_filter *bpf, int *err)
{
	struct sigaction sa = { .sa_flags = SA_SIGINFO | SA_RESETHAND };
	const char *why = NULL;

	*err = 0;
	sigsys_report_fd = child_report_fd();
	sa.sa_sigaction = on_sigsys;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		*err = errno;
		return "cannot handle SIGSYS";
	}
	/* Sent before the filter is in: it must not depend on what the
	   filter allows. A failure below sends a corrected one. */
	send_applied(h->layers);

	struct sock_fprog prog = { (unsigned short)h->nfilter,
				   (struct sock_filter *)bpf };
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			 SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r != 0) {
		/* > 0: a thread that could not be synchronized. */
		*err = r < 0 ? errno : 0;
		why = r < 0 ? "seccomp(SECCOMP_SET_MODE_FILTER)" :
			      "a thread of the child has a filter of its own";
		(void)signal(SIGSYS, SIG_DFL);
	}
	return why;
}

/*
 * No_new_privs checked, landlock (or the base's domain), the limits, the
 * capabilities, the filter. The limits come after
 * landlock, which needs an fd (RLIMIT_NOFILE), and the filter is copied
 * before them, on the stack, which they cannot take away: nothing between
 * the filter's load and the function makes a system call of its own.
 */
void sandbox_apply(const cfork_args *a)
{
	const unsigned char *p = a->sandbox;
	struct sock_filter bpf[BPF_MAXINSNS];
	struct sb_wire h;
	unsigned applied = 0;
	const char *why;
	int err;

	memcpy(&h, p, sizeof(h));
	const unsigned char *filter = p + sizeof(h);
	const unsigned char *paths = filter + h.nfilter * sizeof(struct sock_filter);
	const unsigned char *limits = paths + h.npaths * sizeof(struct sb_wire_path);

	if (h.layers & CFORK_LAYER_SECCOMP) {
		memcpy(bpf, filter, h.nfilter * sizeof(*bpf));
		if (h.flags & SBW_SELF_PID) {
			uint32_t pid = (uint32_t)getpid();
			for (uint32_t i = 0; i < h.nfilter; i++)
				if (is_self_pid_test(&bpf[i]))
					bpf[i].k = pid;
		}
	}

	/* Set before the exec already (launch.c): what that guarantees is
	   checked, not assumed. */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		child_fail(CFORK_EXIT_SANDBOX, "sandbox: no_new_privs is not set");

	if (h.layers & CFORK_LAYER_LANDLOCK) {
		why = apply_landlock(&h, paths, &err);
		if (why)
			layer_failed(&h, CFORK_LAYER_LANDLOCK, why, err);
		else
			applied |= CFORK_LAYER_LANDLOCK;
	}
	if (!(applied & CFORK_LAYER_LANDLOCK))
		enter_base_domain();
	/* The rules are in the kernel (or will not be): the fds are not the
	   function's business. */
	for (uint32_t i = 0; i < h.npaths; i++) {
		struct sb_wire_path w;
		memcpy(&w, paths + i * sizeof(w), sizeof(w));
		close(w.fd);
	}

	if (h.layers & CFORK_LAYER_RLIMITS) {
		bool all = true;
		for (uint32_t i = 0; i < h.nlimits; i++) {
			struct sb_wire_limit w;
			memcpy(&w, limits + i * sizeof(w), sizeof(w));
			struct rlimit rl = { w.value, w.value };
			if (setrlimit((int)w.resource, &rl) < 0) {
				layer_failed(&h, CFORK_LAYER_RLIMITS,
					     "setrlimit", errno);
				all = false;
			}
		}
		applied |= all ? CFORK_LAYER_RLIMITS : 0;
	}

	/* After the limits, which may need CAP_SYS_RESOURCE; before the
	   filter, which may deny capset. Not a layer: it cannot be had
	   partly, and a failure ends the child whatever the policies. */
	why = drop_caps(h.keep_caps, &err);
	if (why)
		child_fail(CFORK_EXIT_SANDBOX, "sandbox: %s%s%s", why,
			   err ? ": " : "", err ? strerror(err) : "");

	if (h.layers & CFORK_LAYER_SECCOMP) {
		h.layers = applied | CFORK_LAYER_SECCOMP;
		why = load_filter(&h, bpf, &err);
		if (!why)
			return;
		layer_failed(&h, CFORK_LAYER_SECCOMP, why, err);
	}
	send_applied(applied);
}
