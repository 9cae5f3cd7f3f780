/* SPDX-License-Identifier: MIT */
/*
 * Identity for an unprivileged caller. tests/identity.c runs this program
 * as uid 65534 with the path of a file only root may read:
 *
 *   identity_userns <root-only file>
 *
 * 1. With CFORK_NS_USER alone the child is the caller's uid and gid inside
 *    its namespace (not the overflow uid), and cannot read the file.
 * 2. With CFORK_NS_USER and an identity of 4321/4322 the child is 4321/4322
 *    inside, and still cannot read it: outside it is the caller.
 * 3. Without a user namespace, that identity needs CAP_SETUID: the spawn
 *    fails with -EPERM under REQUIRE; under PREFER the child runs as the
 *    caller and cfork_sandbox_applied() lacks CFORK_LAYER_IDENTITY.
 *
 * It prints what went wrong and exits 1, exits 77 when the host refuses
 * user namespaces, 0 when every check held.
 */
#include <cfork.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SKIP 77

/* "uid gid read": the ids inside, and whether the file could be opened. */
static int identity_report(const cfork_args *a)
{
	char text[128];
	int fd = open(cfork_arg_str(a, 0), O_RDONLY | O_CLOEXEC);
	int n = snprintf(text, sizeof(text), "%u %u %s", (unsigned)getuid(),
			 (unsigned)getgid(),
			 fd >= 0 ? "read" : strerror(errno));

	cfork_return(text, (size_t)n);
	return 0;
}
CFORK_REGISTER(identity_report, "s");

static int failures;

static void fail(const char *what, const char *got)
{
	printf("%s: %s\n", what, got);
	failures++;
}

/* Runs identity_report under sb: the spawn's return, the result in text,
   the layers applied. */
static int run(cfork_sandbox *sb, const char *path, char *text, size_t cap,
	       unsigned *applied)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int r;

	attr.sandbox = sb;
	r = cfork_spawn(&p, &attr, "identity_report", path);
	if (r < 0)
		return r;
	r = cfork_wait(p, 20000, &st);
	if (r == 0 && !(st.exited && st.code == 0))
		r = -ECHILD;
	snprintf(text, cap, "%.*s%s%s", (int)st.result_len,
		 st.result ? (const char *)st.result : "",
		 st.error ? " / " : "", st.error ? st.error : "");
	*applied = cfork_sandbox_applied(p);
	cfork_free(p);
	return r;
}

int main(int argc, char **argv)
{
	char text[256], want[64];
	cfork_sandbox *sb;
	unsigned applied;
	int r;

	if (cfork_init() < 0 || argc != 2 || geteuid() == 0)
		return 2;

	/* 1. The caller's ids inside. */
	if (cfork_sandbox_new(&sb, 0) < 0 ||
	    cfork_sandbox_namespaces(sb, CFORK_NS_USER) < 0)
		return 2;
	r = run(sb, argv[1], text, sizeof(text), &applied);
	if (r == -EPERM || r == -ENOSPC || r == -EUSERS || r == -EINVAL ||
	    r == -EACCES) {
		printf("user namespaces refused here: %s\n", strerror(-r));
		return SKIP;
	}
	snprintf(want, sizeof(want), "%u %u %s", (unsigned)geteuid(),
		 (unsigned)getegid(), strerror(EACCES));
	if (r < 0 || strcmp(text, want))
		fail("CFORK_NS_USER alone", r < 0 ? strerror(-r) : text);
	if (applied != (CFORK_LAYER_NAMESPACES | CFORK_LAYER_SECCOMP))
		fail("CFORK_NS_USER alone: applied", "not namespaces+seccomp");

	/* 2. A chosen identity inside. */
	if (cfork_sandbox_identity(sb, 4321, 4322, NULL, 0) < 0)
		return 2;
	r = run(sb, argv[1], text, sizeof(text), &applied);
	snprintf(want, sizeof(want), "4321 4322 %s", strerror(EACCES));
	if (r < 0 || strcmp(text, want))
		fail("CFORK_NS_USER and 4321/4322", r < 0 ? strerror(-r) : text);
	if (applied != (CFORK_LAYER_NAMESPACES | CFORK_LAYER_SECCOMP |
			CFORK_LAYER_IDENTITY))
		fail("CFORK_NS_USER and 4321/4322: applied",
		     "not namespaces+seccomp+identity");
	/* Groups cannot be set in such a namespace. */
	gid_t g = 4323;
	if (cfork_sandbox_identity(sb, 4321, 4322, &g, 1) < 0)
		return 2;
	r = run(sb, argv[1], text, sizeof(text), &applied);
	if (r != -EPERM)
		fail("CFORK_NS_USER with groups", r < 0 ? strerror(-r) : text);

	/* 3. The same identity without a user namespace. */
	if (cfork_sandbox_identity(sb, 4321, 4322, NULL, 0) < 0 ||
	    cfork_sandbox_namespaces(sb, 0) < 0)
		return 2;
	r = run(sb, argv[1], text, sizeof(text), &applied);
	if (r != -EPERM)
		fail("4321/4322 without privilege, REQUIRE",
		     r < 0 ? strerror(-r) : text);
	if (cfork_sandbox_policy(sb, CFORK_LAYER_IDENTITY,
				 CFORK_POLICY_PREFER) < 0)
		return 2;
	r = run(sb, argv[1], text, sizeof(text), &applied);
	snprintf(want, sizeof(want), "%u %u %s", (unsigned)geteuid(),
		 (unsigned)getegid(), strerror(EACCES));
	if (r < 0 || strcmp(text, want))
		fail("4321/4322 without privilege, PREFER",
		     r < 0 ? strerror(-r) : text);
	if (applied != CFORK_LAYER_SECCOMP)
		fail("4321/4322 without privilege, PREFER: applied",
		     "not seccomp alone");
	cfork_sandbox_free(sb);
	return failures ? 1 : 0;
}
