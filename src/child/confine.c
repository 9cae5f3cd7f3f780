/* SPDX-License-Identifier: MIT */
/*
 * Confinement: the child applies its sandbox's section (wire.h), right
 * before its function runs. It uses only what it was sent: no libseccomp,
 * nothing compiled in the child.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
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
 * capabilities, the filter. The limits come after
 * landlock, which needs an fd (RLIMIT_NOFILE), and the filter is copied
 * before them, on the stack, which they cannot take away: nothing between
 * the filter's load and the function makes a system call of its own.
 */
void confine_apply(const cfork_args *a)
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

	if (h.layers & CFORK_LAYER_LANDLOCK) {
		why = landlock_apply(&h, paths, &err);
		if (why)
			layer_failed(&h, CFORK_LAYER_LANDLOCK, why, err);
		else
			applied |= CFORK_LAYER_LANDLOCK;
	}
	if (!(applied & CFORK_LAYER_LANDLOCK))
		landlock_enter_base_domain();
	/* The rules are in the kernel (or will not be): the fds are not the
	   function's business. */
	for (uint32_t i = 0; i < h.npaths; i++) {
		struct section_path w;
		memcpy(&w, paths + i * sizeof(w), sizeof(w));
		close(w.fd);
	}

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
