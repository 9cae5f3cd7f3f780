/* SPDX-License-Identifier: MIT */
#ifndef CFORK_PARENT_SANDBOX_H
#define CFORK_PARENT_SANDBOX_H

/*
 * The sandbox in the parent: the policy object (policy.c), the presets on
 * their base (presets.c), compiled to BPF with libseccomp (compile.c), the
 * host's probes (probe.c), one spawn's plan (plan.c) and the name of a
 * blocked call (names.c). The child applies what the plan puts in the
 * payload's section (child/confine.c); nothing here runs in the child.
 */
#include <linux/filter.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "cfork.h"
#include "parent.h"
#include "wire.h"

/* The child-applied part of a plan: the payload's section and the fds the
   child inherits for landlock: the rules' O_PATH fds, then the base's
   ruleset. */
struct child_section {
	void *blob;		/* NULL: no sandbox */
	size_t len;
	int *path_fds;
	size_t npath_fds;
	int base_ruleset;	/* the plan's own duplicate, or -1 */
	unsigned layers;	/* SECTION_LAYERS the child is to apply */
	bool cpu_limit;		/* among them an RLIMIT_CPU */
};

/* One spawn's plan, in two parts: what the launch sets (a pool of warm
   children is keyed by it) and what the child applies itself. A zeroed plan
   with launch.cgroup_fd and section.base_ruleset -1 is "no sandbox". */
struct sandbox_plan {
	struct launch_layers launch;
	struct child_section section;
};
int sandbox_prepare(const cfork_sandbox *sb, const cfork_attr *attr,
		    struct sandbox_plan *plan);
void sandbox_plan_release(struct sandbox_plan *plan);

/* names.c: "sandbox: blocked system call socket (nr 41)". */
void sandbox_name_blocked(char *buf, size_t size, int32_t nr, uint32_t arch);

/* ------------------------------------------------------------------------ */
/* Between the files of this folder                                          */
/* ------------------------------------------------------------------------ */

#define SB_PRESETS (CFORK_SB_NO_NETWORK | CFORK_SB_NO_EXEC | \
		    CFORK_SB_NO_FS_WRITE | CFORK_SB_COMPUTE)
#define SB_LAYERS (CFORK_LAYER_SECCOMP | CFORK_LAYER_LANDLOCK | \
		   CFORK_LAYER_NAMESPACES | CFORK_LAYER_RLIMITS | \
		   CFORK_LAYER_CGROUP | CFORK_LAYER_IDENTITY)
#define SB_NS (CFORK_NS_USER | CFORK_NS_NET | CFORK_NS_PID | CFORK_NS_IPC | \
	       CFORK_NS_UTS | CFORK_NS_MOUNT | CFORK_NS_CGROUP)
#define SB_FS (CFORK_FS_READ | CFORK_FS_WRITE | CFORK_FS_EXEC)
#define SB_NLAYERS 6
#define SB_PATHS_MAX SECTION_PATHS_MAX
#define SB_ERRNO_MAX 4095
#define SB_GROUPS_MAX SECTION_GROUPS_MAX
_Static_assert(SB_GROUPS_MAX == CFORK_GROUPS_MAX, "the public bound");

#define SB_SELF_PID SECTION_SELF_PID_MARK

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
	bool identity;		/* cfork_sandbox_identity() was called: */
	uid_t uid;
	gid_t gid;
	gid_t groups[SB_GROUPS_MAX];	/* sorted, without repeats */
	size_t ngroups;
	bool defer;		/* the child's layers wait for cfork_lockdown() */
	int cgroup_fd;
	signed char policy[SB_NLAYERS];	/* -1: the default */
	/* The compiled filter, valid until presets or rules change. */
	struct sock_filter *bpf;
	size_t bpf_len;
	bool bpf_valid;
	bool bpf_self_pid;
};

/* policy.c */
int layer_index(unsigned layer);
cfork_policy effective_policy(const cfork_sandbox *sb, unsigned layer);

struct libseccomp;

/* presets.c */
/* The base: rules every filter carries, whatever its presets (see the
   table below and include/cfork.h). */
#define P_BASE 0x100u
/* What an allow of a call the base guards means: the base's complement, so
   that the call is allowed as far as the base allows it, under COMPUTE's
   kill-by-default too. Only for calls the caller allowed. */
#define P_ALLOWED 0x200u
/* In a rule's unless: the child has an IPC namespace of its own
   (CFORK_NS_IPC), where no one else's SysV objects or queues are. */
#define P_OWN_IPC 0x400u

struct preset_rule {
	const char *name;
	struct scmp_arg_cmp arg[2];
	unsigned presets;	/* CFORK_SB_* that carry it, or P_BASE */
	unsigned unless;	/* CFORK_SB_* whose own rule for it wins */
	int nr;			/* for calls this libseccomp may not know */
	uint32_t action;
	unsigned nargs;
};

extern const struct preset_rule preset_rules[];
extern const size_t preset_count;
/* The call's number here (the table's where libseccomp does not know
   it), or __NR_SCMP_ERROR. */
int preset_nr(const struct libseccomp *lib, const struct preset_rule *p);
/* How the base treats nr: 0 not at all; 1 some of its calls (an allow
   of nr keeps those denials); 2 every call (an allow of nr is refused). */
int base_guard(const struct libseccomp *lib, int nr);

/* libseccomp.c: the library, loaded on first use; NULL where it cannot be
   (a spawn or a rule then fails with -ELIBACC). */
struct libseccomp {
	scmp_filter_ctx (*init)(uint32_t def_action);
	void (*release)(scmp_filter_ctx ctx);
	int (*attr_set)(scmp_filter_ctx ctx, enum scmp_filter_attr attr,
			uint32_t value);
	int (*rule_add_array)(scmp_filter_ctx ctx, uint32_t action,
			      int syscall, unsigned int arg_cnt,
			      const struct scmp_arg_cmp *arg_array);
	int (*export_bpf)(const scmp_filter_ctx ctx, int fd);
	int (*resolve_name)(const char *name);
	char *(*resolve_num_arch)(uint32_t arch_token, int num);
	uint32_t (*arch_native)(void);
};
const struct libseccomp *libseccomp(void);

/* compile.c: the filter, compiled once per change; with the lock held. */
int sandbox_compile_locked(cfork_sandbox *sb);

/* probe.c */
bool probe_seccomp(void);
bool probe_cap_sys_resource(void);
/* Whether the child can take this identity: its ids, or CAP_SETUID and
   CAP_SETGID after exec. groups sorted, without repeats. */
bool probe_identity(uid_t uid, gid_t gid, const gid_t *groups,
		    size_t ngroups);

#endif
