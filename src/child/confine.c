/* SPDX-License-Identifier: MIT */
/*
 * Confinement: the child applies its sandbox's section (wire.h), right
 * before its function runs, or when the function calls cfork_lockdown()
 * (a deferred sandbox). It uses only what it was sent: no libseccomp,
 * nothing compiled in the child.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "common.h"
#include "compat.h"
#include "wire.h"

/* Whether a filter instruction compares with the child's own pid. */
static bool is_self_pid_test(const struct sock_filter *f)
{
	return f->code == (BPF_JMP | BPF_JEQ | BPF_K) &&
	       f->k == SECTION_SELF_PID_MARK;
}

#define SB_SECUREBITS (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | \
		       SECBIT_NO_SETUID_FIXUP_LOCKED | \
		       SECBIT_KEEP_CAPS_LOCKED | \
		       SECBIT_NO_CAP_AMBIENT_RAISE | \
		       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static const char *caps_get(struct __user_cap_data_struct data[2], int *err)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };

	if (syscall(SYS_capget, &head, data) < 0) {
		*err = errno;
		return "capget";
	}
	return NULL;
}

static uint64_t caps_permitted(const struct __user_cap_data_struct data[2])
{
	return data[0].permitted | (uint64_t)data[1].permitted << 32;
}

/*
 * The capability drop, first half, while the child may still hold
 * CAP_SETPCAP (before its identity, whose switch away from root would
 * clear it): the securebits that would give root its capabilities back
 * are locked, every capability but those kept leaves the bounding set, the
 * ambient set is cleared. keep_across: kept capabilities must survive a
 * switch to a uid other than 0, so SECBIT_KEEP_CAPS is set before it is
 * locked (it is cleared at exec, and with no_new_privs nothing is gained
 * by one). Without CAP_SETPCAP the child holds no capability it could pass
 * on, and no_new_privs stops it from gaining any by exec.
 */
static const char *caps_bound(uint64_t keep, bool keep_across, int *err)
{
	struct __user_cap_data_struct data[2];
	const char *why;

	*err = 0;
	if ((why = caps_get(data, err)))
		return why;
	if (data[0].effective & (1u << CAP_SETPCAP)) {
		int want = SB_SECUREBITS | (keep_across ? SECBIT_KEEP_CAPS : 0);
		int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
		if (bits < 0 || ((bits & want) != want &&
				 prctl(PR_SET_SECUREBITS, bits | want,
				       0, 0, 0) < 0)) {
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
	} else if (keep_across) {
		/* Unlocked here: nobody could lock it without CAP_SETPCAP. A
		   refusal costs the kept capabilities, never adds one. */
		(void)prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		*err = errno;
		return "cannot clear the ambient capabilities";
	}
	return NULL;
}

/* The second half, after the identity (which may have changed the
   permitted set): effective and permitted become the kept capabilities
   the child still has, inheritable none. */
static const char *caps_set(uint64_t keep, int *err)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	const char *why;

	*err = 0;
	if ((why = caps_get(data, err)))
		return why;
	keep &= caps_permitted(data);
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &head, data) < 0) {
		*err = errno;
		return "capset";
	}
	return NULL;
}

/* Whether the supplementary groups are exactly want[0..n) (sorted,
   without repeats), as a set. */
static bool groups_are(const gid_t *want, uint32_t n)
{
	gid_t have[SECTION_GROUPS_MAX + 1];
	int k = getgroups(SECTION_GROUPS_MAX + 1, have);

	if (k < 0)
		return false;	/* EINVAL: more than asked for */
	for (int i = 0; i < k; i++) {
		bool found = false;
		for (uint32_t j = 0; j < n && !found; j++)
			found = want[j] == have[i];
		if (!found)
			return false;
	}
	for (uint32_t j = 0; j < n; j++) {
		bool found = false;
		for (int i = 0; i < k && !found; i++)
			found = want[j] == have[i];
		if (!found)
			return false;
	}
	return true;
}

/*
 * The identity: setgroups, setresgid, setresuid, in that order (a group
 * change needs the CAP_SETGID that the uid's change takes away), through
 * glibc, which changes every thread's; then checked. In a new user
 * namespace the launch has mapped the ids already (uid and gid are those
 * inside): the calls change nothing there, and setgroups is denied, so
 * the groups are left as they are. Should the launch have dropped the
 * namespace (PREFER), the calls below are the real thing.
 *
 * The kernel clears the parent-death signal when the effective ids change:
 * it is set again after, and should the parent have died in between, the
 * child takes the signal itself.
 */
static const char *identity_apply(const struct section_head *h,
				  const unsigned char *groups, int *err)
{
	gid_t want[SECTION_GROUPS_MAX];
	bool map = h->flags & SECTION_USERNS_MAP, check_groups = true;
	pid_t parent = getppid();
	int deathsig = 0;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	*err = 0;
	if (prctl(PR_GET_PDEATHSIG, &deathsig, 0, 0, 0) < 0) {
		*err = errno;
		return "prctl(PR_GET_PDEATHSIG)";
	}
	for (uint32_t i = 0; i < h->ngroups; i++) {
		uint32_t g;
		memcpy(&g, groups + i * sizeof(g), sizeof(g));
		want[i] = (gid_t)g;
	}
	if (map) {
		check_groups = setgroups(0, NULL) == 0;
	} else if (!groups_are(want, h->ngroups) &&
		   setgroups(h->ngroups, want) < 0) {
		*err = errno;
		return "setgroups";
	}
	if (setresgid(h->gid, h->gid, h->gid) < 0) {
		*err = errno;
		return "setresgid";
	}
	if (setresuid(h->uid, h->uid, h->uid) < 0) {
		*err = errno;
		return "setresuid";
	}
	if (deathsig) {
		if (prctl(PR_SET_PDEATHSIG, deathsig, 0, 0, 0) < 0) {
			*err = errno;
			return "prctl(PR_SET_PDEATHSIG)";
		}
		if (getppid() != parent)
			kill(getpid(), deathsig);
	}
	if (getresuid(&ru, &eu, &su) < 0 || ru != h->uid || eu != h->uid ||
	    su != h->uid)
		return "the uids are not the identity's after setresuid";
	if (getresgid(&rg, &eg, &sg) < 0 || rg != h->gid || eg != h->gid ||
	    sg != h->gid)
		return "the gids are not the identity's after setresgid";
	if (check_groups && !groups_are(want, h->ngroups))
		return "the supplementary groups are not the identity's after "
		       "setgroups";
	return NULL;
}

static void send_applied(unsigned applied)
{
	uint32_t v = applied;

	channel_report(REPORT_SANDBOX, &v, sizeof(v));
}

/* A layer that failed: the end of the child under REQUIRE; under PREFER
   the function runs without it, and the parent is told so. */
static void layer_failed(const struct section_head *h, unsigned layer,
			 const char *what, int err)
{
	if (h->require & layer)
		child_fail(CFORK_EXIT_SANDBOX, "sandbox: %s%s%s", what,
			   err ? ": " : "", err ? strerror(err) : "");
}

static const char *load_filter(const struct section_head *h,
			       const struct sock_filter *bpf, int *err)
{
	const char *why = NULL;
	int r;

	*err = 0;
	r = sigsys_install(channel_fd());
	if (r < 0) {
		*err = -r;
		return "cannot handle SIGSYS";
	}
	/* Sent before the filter is in: it must not depend on what the
	   filter allows. A failure below sends a corrected one. */
	send_applied(h->layers);

	struct sock_fprog prog = { (unsigned short)h->nfilter,
				   (struct sock_filter *)bpf };
	long loaded = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (loaded != 0) {
		/* > 0: a thread that could not be synchronized. */
		*err = loaded < 0 ? errno : 0;
		why = loaded < 0 ? "seccomp(SECCOMP_SET_MODE_FILTER)" :
			      "a thread of the child has a filter of its own";
		(void)signal(SIGSYS, SIG_DFL);
	}
	return why;
}

/*
 * No_new_privs checked, landlock (or the base's domain), the limits, the
 * capability drop's first half (securebits, bounding set: CAP_SETPCAP),
 * the identity, the drop's second half, the filter. The limits come after
 * landlock, which needs an fd (RLIMIT_NOFILE), and may need
 * CAP_SYS_RESOURCE, which the identity may take away; the filter is copied
 * before them, on the stack, which they cannot take away: nothing between
 * the filter's load and the function makes a system call of its own.
 * lockdown: called by cfork_lockdown(), when other threads may run; then
 * -EBUSY, with nothing applied, where a layer would hold this thread only.
 */
static int confine_apply(const cfork_args *a, bool lockdown)
{
	const unsigned char *p = a->sandbox;
	struct sock_filter bpf[BPF_MAXINSNS];
	struct section_head h;
	unsigned applied = 0;
	const char *why;
	int err;

	memcpy(&h, p, sizeof(h));
	const unsigned char *filter = p + sizeof(h);
	const unsigned char *paths = filter + h.nfilter * sizeof(struct sock_filter);
	const unsigned char *limits = paths + h.npaths * sizeof(struct section_path);
	const unsigned char *groups = limits + h.nlimits * sizeof(struct section_limit);

	/* Landlock and capabilities are each thread's: the others would
	   keep what this one gives up. Landlock under PREFER is left out
	   below (landlock_apply counts the threads); under REQUIRE, and
	   with capabilities to drop, the function must stop them first. */
	if (lockdown && child_other_threads() == 1) {
		struct __user_cap_data_struct data[2];
		if (h.require & CFORK_LAYER_LANDLOCK)
			return -EBUSY;
		if (caps_get(data, &err) ||
		    caps_permitted(data) & ~h.keep_caps)
			return -EBUSY;
	}

	if (h.layers & CFORK_LAYER_SECCOMP) {
		memcpy(bpf, filter, h.nfilter * sizeof(*bpf));
		if (h.flags & SECTION_SELF_PID) {
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

	int base = h.flags & SECTION_BASE_RULESET ? (int)h.base_ruleset : -1;
	landlock_enter_base_domain(base);
	if (h.layers & CFORK_LAYER_LANDLOCK) {
		why = landlock_apply(&h, paths, &err);
		if (why)
			layer_failed(&h, CFORK_LAYER_LANDLOCK, why, err);
		else
			applied |= CFORK_LAYER_LANDLOCK;
	}
	/* The rules are in the kernel (or will not be): the fds are not the
	   function's business. */
	for (uint32_t i = 0; i < h.npaths; i++) {
		struct section_path w;
		memcpy(&w, paths + i * sizeof(w), sizeof(w));
		close(w.fd);
	}
	if (base >= 0)
		close(base);

	if (h.layers & CFORK_LAYER_RLIMITS) {
		bool all = true;
		for (uint32_t i = 0; i < h.nlimits; i++) {
			struct section_limit w;
			memcpy(&w, limits + i * sizeof(w), sizeof(w));
			struct rlimit rl = { w.value, w.value };
			/* CPU time: SIGXCPU at the limit, which the parent
			   can tell from any other death, and SIGKILL a second
			   later for a child that ignores it. */
			if (w.resource == RLIMIT_CPU && w.value != RLIM_INFINITY)
				rl.rlim_max = w.value + 1;
			if (setrlimit((int)w.resource, &rl) < 0) {
				layer_failed(&h, CFORK_LAYER_RLIMITS,
					     "setrlimit", errno);
				all = false;
			}
		}
		applied |= all ? CFORK_LAYER_RLIMITS : 0;
	}

	/* The capability drop is not a layer: it cannot be had partly, and
	   a failure ends the child whatever the policies. Its first half
	   needs CAP_SETPCAP, which a switch away from root clears. */
	bool identity = h.layers & CFORK_LAYER_IDENTITY;
	why = caps_bound(h.keep_caps, identity && h.keep_caps && h.uid != 0,
			 &err);
	if (why)
		child_fail(CFORK_EXIT_SANDBOX, "sandbox: %s%s%s", why,
			   err ? ": " : "", err ? strerror(err) : "");
	if (identity) {
		why = identity_apply(&h, groups, &err);
		if (why)
			layer_failed(&h, CFORK_LAYER_IDENTITY, why, err);
		else
			applied |= CFORK_LAYER_IDENTITY;
	}
	/* Before the filter, which may deny capset. */
	why = caps_set(h.keep_caps, &err);
	if (why)
		child_fail(CFORK_EXIT_SANDBOX, "sandbox: %s%s%s", why,
			   err ? ": " : "", err ? strerror(err) : "");

	if (h.layers & CFORK_LAYER_SECCOMP) {
		h.layers = applied | CFORK_LAYER_SECCOMP;
		why = load_filter(&h, bpf, &err);
		if (!why)
			return 0;
		layer_failed(&h, CFORK_LAYER_SECCOMP, why, err);
	}
	send_applied(applied);
	return 0;
}

/* A deferred sandbox's state: none (no sandbox, or not deferred), waiting
   for cfork_lockdown(), being applied, applied. */
enum { LOCKDOWN_NONE, LOCKDOWN_PENDING, LOCKDOWN_RUNNING, LOCKDOWN_DONE };
static atomic_int lockdown_state = LOCKDOWN_NONE;
static const cfork_args *lockdown_args;

void confine_start(const cfork_args *a)
{
	struct section_head h;

	memcpy(&h, a->sandbox, sizeof(h));
	if (!(h.flags & SECTION_DEFER)) {
		(void)confine_apply(a, false);
		return;
	}
	lockdown_args = a;
	atomic_store(&lockdown_state, LOCKDOWN_PENDING);
}

void confine_returned(pid_t child)
{
	if (atomic_load(&lockdown_state) != LOCKDOWN_PENDING)
		return;
	/* Nothing is applied while pending, so no filter can refuse
	   getpid(). A process the function forked is not the child whose
	   lockdown was due. */
	if (getpid() != child)
		return;
	/* Settled now, with nothing applied by the child: whatever the
	   function sent before claimed too much. */
	send_applied(0);
	child_fail(CFORK_EXIT_SANDBOX,
		   "sandbox: the function returned without cfork_lockdown()");
}

int cfork_lockdown(void)
{
	PROTECT_ERRNO;
	int state = LOCKDOWN_PENDING;

	if (!atomic_compare_exchange_strong(&lockdown_state, &state,
					    LOCKDOWN_RUNNING))
		return state == LOCKDOWN_NONE ? -ENOTCONN : -EALREADY;
	int r = confine_apply(lockdown_args, true);
	atomic_store(&lockdown_state, r < 0 ? LOCKDOWN_PENDING : LOCKDOWN_DONE);
	return r;
}
