/* SPDX-License-Identifier: MIT */
/*
 * The policy compiled to classic BPF by libseccomp, once per change of the
 * object and cached in it (under its lock), so that threads share one
 * compilation and the child gets instructions, not a library.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sandbox.h"

static const struct sb_rule *find_rule(const cfork_sandbox *sb, int nr)
{
	for (size_t i = 0; i < sb->nrules; i++)
		if (sb->rules[i].nr == nr)
			return &sb->rules[i];
	return NULL;
}

/* A rule whose action is the filter's default is refused with -EACCES by
   libseccomp: it is already in force. */
static int rule_add(const struct libseccomp *lib, scmp_filter_ctx ctx,
		    uint32_t action, int nr, unsigned nargs,
		    const struct scmp_arg_cmp *arg)
{
	int r = lib->rule_add_array(ctx, action, nr, nargs, arg);

	return r == -EACCES ? 0 : r;
}

/* The filter's instructions, read back from libseccomp's export. */
static int export_bpf(const struct libseccomp *lib, scmp_filter_ctx ctx,
		      struct sock_filter **ret, size_t *ret_len)
{
	int fd = memfd_create("cfork-bpf", MFD_CLOEXEC);
	struct sock_filter *bpf = NULL;
	off_t size;
	int r;

	if (fd < 0)
		return -errno;
	r = lib->export_bpf(ctx, fd);
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
int sandbox_compile_locked(cfork_sandbox *sb)
{
	bool compute = sb->presets & CFORK_SB_COMPUTE;
	/* An IPC namespace that may not be made (its layer under PREFER or
	   OFF) is not the child's own. */
	bool own_ipc = (sb->ns & CFORK_NS_IPC) &&
		       effective_policy(sb, CFORK_LAYER_NAMESPACES) ==
		       CFORK_POLICY_REQUIRE;
	unsigned active = (compute ? CFORK_SB_COMPUTE : sb->presets) | P_BASE |
			  (own_ipc ? P_OWN_IPC : 0);
	struct sock_filter *bpf = NULL;
	size_t len = 0;
	int r;

	if (sb->bpf_valid)
		return 0;
	const struct libseccomp *lib = libseccomp();
	if (!lib)
		return -ELIBACC;
	scmp_filter_ctx ctx = lib->init(compute ? SCMP_ACT_TRAP :
						  SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* Another ABI of the same machine (i386 through int 0x80, x32 on
	   x86_64) would see other numbers: it is killed and reported. */
	r = lib->attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (r == 0)
		r = lib->attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		goto out;

	for (size_t i = 0; i < preset_count; i++) {
		const struct preset_rule *p = &preset_rules[i];
		int nr = preset_nr(lib, p);
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
		r = rule_add(lib, ctx, p->action, nr, p->nargs, p->arg);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < sb->nrules; i++) {
		const struct sb_rule *own = &sb->rules[i];
		if (own->kind == RULE_ALLOW && base_guard(lib, own->nr))
			continue;
		r = rule_add(lib, ctx,
			     own->kind == RULE_ALLOW ? SCMP_ACT_ALLOW :
			     own->err ? SCMP_ACT_ERRNO(own->err) :
					SCMP_ACT_TRAP,
			     own->nr, 0, NULL);
		if (r < 0)
			goto out;
	}

	r = export_bpf(lib, ctx, &bpf, &len);
	if (r < 0) {
		lib->release(ctx);
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
	lib->release(ctx);
	/* A rule libseccomp cannot express is the policy's fault: its own
	   codes for that vary. */
	return r == -ENOMEM || r == 0 ? r : -EINVAL;
}
