/* SPDX-License-Identifier: MIT */
/*
 * The sandbox section of a payload (layout: wire.h), checked before the
 * child trusts a byte of it: the parent wrote it, but the payload is a file
 * anyone with the fd could have made.
 */
#include <linux/capability.h>
#include <linux/filter.h>
#include <string.h>
#include <sys/resource.h>

#include "compat.h"
#include "wire.h"

_Static_assert(SECTION_FILTER_MAX == BPF_MAXINSNS, "the kernel's filter bound");
_Static_assert(SECTION_INSN_SIZE == sizeof(struct sock_filter),
	       "a filter instruction");

const char *section_check(const void *section, size_t len)
{
	const unsigned char *p = section;
	struct section_head h;

	if (len < sizeof(h))
		return "sandbox section shorter than its header";
	memcpy(&h, p, sizeof(h));
	if (h.layers & ~SECTION_LAYERS || h.require & ~h.layers ||
	    h.flags & ~SECTION_FLAGS)
		return "unknown sandbox layers or flags";
	if (h.flags & SECTION_BASE_RULESET ?
	    h.base_ruleset < 3 || h.base_ruleset > INT32_MAX : h.base_ruleset)
		return "bad landlock ruleset";
	if (h.nfilter > SECTION_FILTER_MAX ||
	    !h.nfilter != !(h.layers & CFORK_LAYER_SECCOMP))
		return "bad sandbox filter length";
	if (h.npaths > SECTION_PATHS_MAX ||
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
	if (h.layers & CFORK_LAYER_IDENTITY ?
	    h.uid == SECTION_ID_NONE || h.gid == SECTION_ID_NONE ||
	    h.ngroups > SECTION_GROUPS_MAX ||
	    (h.ngroups && (h.flags & SECTION_USERNS_MAP)) :
	    h.uid || h.gid || h.ngroups)
		return "bad sandbox identity";
	if (len != sizeof(h) + (size_t)h.nfilter * SECTION_INSN_SIZE +
		   (size_t)h.npaths * sizeof(struct section_path) +
		   (size_t)h.nlimits * sizeof(struct section_limit) +
		   (size_t)h.ngroups * sizeof(uint32_t))
		return "sandbox section size does not match its header";

	p += sizeof(h) + (size_t)h.nfilter * SECTION_INSN_SIZE;
	for (uint32_t i = 0; i < h.npaths; i++, p += sizeof(struct section_path)) {
		struct section_path w;
		memcpy(&w, p, sizeof(w));
		if (w.fd < 3 || w.reserved || w.access & ~h.handled_fs)
			return "bad landlock rule";
	}
	for (uint32_t i = 0; i < h.nlimits; i++, p += sizeof(struct section_limit)) {
		struct section_limit w;
		memcpy(&w, p, sizeof(w));
		if (w.resource >= RLIM_NLIMITS || w.reserved)
			return "bad resource limit";
	}
	/* Sorted without repeats, as the parent writes them: the child
	   compares them with getgroups() in one pass. */
	for (uint32_t i = 0; i < h.ngroups; i++, p += sizeof(uint32_t)) {
		uint32_t g, prev;
		memcpy(&g, p, sizeof(g));
		if (g == SECTION_ID_NONE)
			return "bad supplementary group";
		if (i && (memcpy(&prev, p - sizeof(prev), sizeof(prev)),
			  prev >= g))
			return "supplementary groups not sorted";
	}
	return NULL;
}
