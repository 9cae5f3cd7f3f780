/* SPDX-License-Identifier: MIT */
/*
 * One spawn's plan: the layers probed and decided under the object's lock,
 * a layer under REQUIRE that cannot be applied failing the spawn before any
 * child exists; then the two parts, the launch's (namespaces, a cgroup) and
 * the payload's sandbox section for the child (its format: wire.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "sandbox.h"

/* Appends n bytes at *at. */
static unsigned char *put(unsigned char *at, const void *src, size_t n)
{
	memcpy(at, src, n);
	return at + n;
}

static int section_encode(const cfork_sandbox *sb, struct child_section *out,
			  unsigned layers, unsigned require, int abi,
			  bool userns_map)
{
	struct section_head h = {
		.layers = layers,
		.require = require & layers,
		.flags = (sb->defer ? SECTION_DEFER : 0) |
			 (userns_map ? SECTION_USERNS_MAP : 0),
		.keep_caps = sb->keep_caps,
	};

	if (layers & CFORK_LAYER_SECCOMP) {
		h.nfilter = (uint32_t)sb->bpf_len;
		h.flags |= sb->bpf_self_pid ? SECTION_SELF_PID : 0;
	}
	if (layers & CFORK_LAYER_LANDLOCK) {
		h.npaths = (uint32_t)sb->npaths;
		h.handled_fs = landlock_fs_rights(abi);
		h.scoped = landlock_scopes(abi);
	}
	if (layers & CFORK_LAYER_RLIMITS)
		h.nlimits = (uint32_t)__builtin_popcount(sb->limit_set);
	out->cpu_limit = (layers & CFORK_LAYER_RLIMITS) &&
			 (sb->limit_set & (1u << RLIMIT_CPU));
	if (layers & CFORK_LAYER_IDENTITY) {
		h.uid = (uint32_t)sb->uid;
		h.gid = (uint32_t)sb->gid;
		h.ngroups = (uint32_t)sb->ngroups;
	}

	/* The plan's own duplicate, taken before the object's lock. */
	int base = out->base_ruleset;
	if (base >= 0) {
		h.flags |= SECTION_BASE_RULESET;
		h.base_ruleset = (uint32_t)base;
	}

	size_t len = sizeof(h) + h.nfilter * sizeof(struct sock_filter) +
		     h.npaths * sizeof(struct section_path) +
		     h.nlimits * sizeof(struct section_limit) +
		     h.ngroups * sizeof(uint32_t);
	unsigned char *blob = malloc(len), *at = blob;
	/* The paths' fds, then the base ruleset's. */
	int *keep = malloc((h.npaths + 1) * sizeof(*keep));

	if (!blob || !keep) {
		free(blob);
		free(keep);
		return -ENOMEM;
	}
	at = put(at, &h, sizeof(h));
	if (h.nfilter)
		at = put(at, sb->bpf, h.nfilter * sizeof(struct sock_filter));
	for (uint32_t i = 0; i < h.npaths; i++) {
		struct section_path w = {
			.fd = sb->paths[i].fd,
			.access = sb->paths[i].access & h.handled_fs,
		};
		at = put(at, &w, sizeof(w));
		keep[i] = sb->paths[i].fd;
	}
	for (int res = 0; h.nlimits && res < RLIM_NLIMITS; res++) {
		if (!(sb->limit_set & (1u << res)))
			continue;
		struct section_limit w = { (uint32_t)res, 0, sb->limit[res] };
		at = put(at, &w, sizeof(w));
	}
	for (uint32_t i = 0; i < h.ngroups; i++) {
		uint32_t g = (uint32_t)sb->groups[i];
		at = put(at, &g, sizeof(g));
	}
	size_t nkeep = h.npaths;
	if (base >= 0)
		keep[nkeep++] = base;
	out->blob = blob;
	out->len = len;
	out->path_fds = keep;
	out->npath_fds = nkeep;
	out->layers = layers;
	return 0;
}

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
	bool privileged = !new_userns && probe_cap_sys_resource();

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

/* Whether the child can take the sandbox's identity. In a new user
   namespace the launch maps it, with no privilege, but then setgroups is
   denied: no group can be set. */
static bool identity_possible(const cfork_sandbox *sb, bool userns)
{
	if (userns)
		return sb->ngroups == 0;
	return probe_identity(sb->uid, sb->gid, sb->groups, sb->ngroups);
}

/* The maps the pre-exec child writes in its new user namespace: the
   identity's ids (or, with sb NULL, the caller's) inside, the caller's
   effective ids outside, one each: what an unprivileged caller may map. */
static void userns_maps(struct launch_layers *l, const cfork_sandbox *sb)
{
	unsigned long euid = geteuid(), egid = getegid();
	unsigned long uid = sb ? (unsigned long)sb->uid : euid;
	unsigned long gid = sb ? (unsigned long)sb->gid : egid;
	int n;

	n = snprintf(l->uid_map, sizeof(l->uid_map), "%lu %lu 1\n", uid, euid);
	l->uid_map_len = (size_t)n;
	n = snprintf(l->gid_map, sizeof(l->gid_map), "%lu %lu 1\n", gid, egid);
	l->gid_map_len = (size_t)n;
}

int sandbox_prepare(const cfork_sandbox *csb, const cfork_attr *attr,
		    struct sandbox_plan *plan)
{
	/* The lock and the compiled filter are the object's internals: a
	   const sandbox is one the caller does not change. */
	cfork_sandbox *sb = (cfork_sandbox *)csb;
	unsigned want = 0, require = 0;
	int abi = 0, r = 0;

	/* Outside the object's lock: making the ruleset again reads the
	   mount table and the root. Released with the plan. */
	plan->section.base_ruleset = landlock_process_ruleset();
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
		r = sandbox_compile_locked(sb);
		if (r < 0)
			goto out;
		if (!probe_seccomp())
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
	bool userns = (want & CFORK_LAYER_NAMESPACES) && (sb->ns & CFORK_NS_USER);
	if (!sb->identity)
		want &= ~CFORK_LAYER_IDENTITY;
	if ((want & CFORK_LAYER_IDENTITY) &&
	    !identity_possible(sb, userns)) {
		if (require & CFORK_LAYER_IDENTITY) {
			r = -EPERM;
			goto out;
		}
		want &= ~CFORK_LAYER_IDENTITY;
	}

	/* Every sandboxed child has a section: it drops its capabilities
	   and enters a landlock domain where it can, whatever the layers. */
	r = section_encode(sb, &plan->section, want & SECTION_LAYERS, require,
			   abi, userns);
	if (r < 0)
		goto out;
	plan->launch.ns_flags = want & CFORK_LAYER_NAMESPACES ?
				clone_flags(sb->ns) : 0;
	if (userns)
		userns_maps(&plan->launch, want & CFORK_LAYER_IDENTITY ? sb : NULL);
	if (want & CFORK_LAYER_CGROUP) {
		/* The plan's own fd: cfork_sandbox_cgroup() may replace the
		   object's while this spawn runs. */
		plan->launch.cgroup_fd = fcntl(sb->cgroup_fd, F_DUPFD_CLOEXEC, 3);
		if (plan->launch.cgroup_fd < 0) {
			r = -errno;
			goto out;
		}
	}
	plan->launch.optional = want & ~require &
				(CFORK_LAYER_NAMESPACES | CFORK_LAYER_CGROUP);
out:
	pthread_mutex_unlock(&sb->lock);
	return r;
}

void sandbox_plan_release(struct sandbox_plan *plan)
{
	free(plan->section.blob);
	free(plan->section.path_fds);
	if (plan->section.base_ruleset >= 0)
		close(plan->section.base_ruleset);
	if (plan->launch.cgroup_fd >= 0)
		close(plan->launch.cgroup_fd);
	*plan = (struct sandbox_plan){ .launch.cgroup_fd = -1,
				       .section.base_ruleset = -1 };
}
