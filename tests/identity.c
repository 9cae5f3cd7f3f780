/* SPDX-License-Identifier: MIT */
/*
 * Identity (cfork_sandbox_identity): who a sandboxed child runs as. As
 * root: the switch happens and is what was asked, root's files are out of
 * reach after it, the capabilities are gone unless named, and named ones
 * survive the switch; without CAP_SETUID the spawn fails under REQUIRE and
 * runs as the caller under PREFER. As uid 65534: a user namespace maps the
 * child to a chosen uid inside and the caller outside
 * (tests/progs/identity_userns.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checking_child.h"
#include "helpers.h"

TestSuite(identity, .timeout = TEST_TIMEOUT);

#define NOBODY 65534

/* ------------------------------------------------------------------------ */
/* Tools                                                                     */
/* ------------------------------------------------------------------------ */

static void skip_unless_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
}

static cfork_sandbox *new_sandbox(unsigned presets)
{
	cfork_sandbox *sb = NULL;

	cr_assert_eq(cfork_sandbox_new(&sb, presets), 0);
	return sb;
}

/*
 * What the child is, as one line:
 *   "uid r/e/s gid r/e/s groups a,b, caps P/E/B <read>"
 * P, E: the permitted and effective sets, B the bounding set, in hex;
 * read: "read" or the error of opening path.
 */
static int identity_state(const cfork_args *a)
{
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	char text[1024];
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[64];
	uint64_t bounding = 0;
	size_t n = 0;

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "uid %u/%u/%u gid %u/%u/%u groups ", ru, eu, su,
			      rg, eg, sg);
	int k = getgroups(64, groups);
	for (int i = 0; i < k; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%u,",
				      groups[i]);
	syscall(SYS_capget, &head, data);
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0)
			break;
		bounding |= (uint64_t)(r == 1) << cap;
	}
	int fd = open(cfork_arg_str(a, 0), O_RDONLY | O_CLOEXEC);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      " caps %llx/%llx/%llx %s",
			      (unsigned long long)(data[0].permitted |
						   (uint64_t)data[1].permitted << 32),
			      (unsigned long long)(data[0].effective |
						   (uint64_t)data[1].effective << 32),
			      (unsigned long long)bounding,
			      fd >= 0 ? "read" : strerror(errno));
	cfork_return(text, n);
	return 0;
}
CFORK_REGISTER(identity_state, "s");

struct run {
	int spawn;
	unsigned applied;
	char text[1024];
};

static struct run run_state(const cfork_sandbox *sb, const char *path)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	struct run o = { 0 };
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	o.spawn = cfork_spawn(&p, &attr, "identity_state", path);
	if (o.spawn < 0)
		return o;
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == 0, "exited %d code %d signal %d: %s",
		  st.exited, st.code, st.signal, st.error ? st.error : "-");
	snprintf(o.text, sizeof(o.text), "%.*s", (int)st.result_len,
		 (const char *)st.result);
	o.applied = cfork_sandbox_applied(p);
	cfork_free(p);
	return o;
}

/* A directory anyone may enter, with a file only root may read. */
struct root_file {
	char dir[64];
	char path[96];
};

static void root_file_make(struct root_file *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/cfork-identity-XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	cr_assert_eq(chmod(f->dir, 0755), 0);
	snprintf(f->path, sizeof(f->path), "%s/secret", f->dir);
	int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "secret", 6), 6);
	close(fd);
}

static void root_file_remove(const struct root_file *f)
{
	unlink(f->path);
	rmdir(f->dir);
}

/* ------------------------------------------------------------------------ */
/* The setter                                                                */
/* ------------------------------------------------------------------------ */

Test(identity, the_setter_checks_its_arguments)
{
	cfork_sandbox *sb = new_sandbox(0);
	gid_t many[CFORK_GROUPS_MAX + 1] = { 0 }, bad = (gid_t)-1;

	cr_assert_eq(cfork_sandbox_identity(NULL, 1, 1, NULL, 0), -EINVAL);
	cr_assert_eq(cfork_sandbox_identity(sb, 1, 1, NULL, 1), -EINVAL);
	cr_assert_eq(cfork_sandbox_identity(sb, (uid_t)-1, 1, NULL, 0), -EINVAL);
	cr_assert_eq(cfork_sandbox_identity(sb, 1, (gid_t)-1, NULL, 0), -EINVAL);
	cr_assert_eq(cfork_sandbox_identity(sb, 1, 1, &bad, 1), -EINVAL);
	cr_assert_eq(cfork_sandbox_identity(sb, 1, 1, many,
					    CFORK_GROUPS_MAX + 1), -E2BIG);
	cr_assert_eq(cfork_sandbox_identity(sb, 1, 1, many, CFORK_GROUPS_MAX), 0);
	cr_assert_eq(cfork_sandbox_defer(NULL), -EINVAL);
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* As root                                                                   */
/* ------------------------------------------------------------------------ */

Test(identity, the_child_runs_as_exactly_the_identity_and_loses_roots_rights)
{
	skip_unless_root();
	struct root_file f;
	cfork_sandbox *sb = new_sandbox(0);
	gid_t groups[] = { 3456, 4567, 3456 };	/* a repeat is one group */
	char want[256];

	root_file_make(&f);
	cr_assert_eq(cfork_sandbox_identity(sb, 1234, 2345, groups, 3), 0);
	struct run o = run_state(sb, f.path);
	root_file_remove(&f);
	cfork_sandbox_free(sb);
	cr_assert_eq(o.spawn, 0, "spawn: %s", strerror(-o.spawn));
	snprintf(want, sizeof(want),
		 "uid 1234/1234/1234 gid 2345/2345/2345 groups 3456,4567, "
		 "caps 0/0/0 %s", strerror(EACCES));
	cr_assert_str_eq(o.text, want);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP | CFORK_LAYER_IDENTITY,
		     "applied %#x", o.applied);
}

Test(identity, no_groups_is_no_supplementary_group)
{
	skip_unless_root();
	cfork_sandbox *sb = new_sandbox(0);

	cr_assert_eq(cfork_sandbox_identity(sb, 1234, 2345, NULL, 0), 0);
	struct run o = run_state(sb, "/nonexistent");
	cfork_sandbox_free(sb);
	cr_assert_eq(o.spawn, 0);
	cr_assert(strstr(o.text, "groups  caps 0/0/0"), "%s", o.text);
}

Test(identity, named_capabilities_survive_the_switch_and_no_other)
{
	skip_unless_root();
	cfork_sandbox *sb = new_sandbox(0);
	int keep[] = { CAP_NET_BIND_SERVICE, CAP_DAC_READ_SEARCH };
	char want[64];

	cr_assert_eq(cfork_sandbox_identity(sb, 1234, 1234, NULL, 0), 0);
	cr_assert_eq(cfork_sandbox_caps(sb, keep, 2), 0);
	struct root_file f;
	root_file_make(&f);
	struct run o = run_state(sb, f.path);
	root_file_remove(&f);
	cfork_sandbox_free(sb);
	cr_assert_eq(o.spawn, 0);
	unsigned long long set = 1ULL << CAP_NET_BIND_SERVICE |
				 1ULL << CAP_DAC_READ_SEARCH;
	/* CAP_DAC_READ_SEARCH, kept, reads root's file as uid 1234. */
	snprintf(want, sizeof(want), "caps %llx/%llx/%llx read", set, set, set);
	cr_assert(strstr(o.text, "uid 1234/1234/1234 gid 1234/1234/1234"),
		  "%s", o.text);
	cr_assert(strstr(o.text, want), "%s lacks %s", o.text, want);
}

Test(identity, without_an_identity_a_root_child_stays_root_without_capabilities)
{
	skip_unless_root();
	cfork_sandbox *sb = new_sandbox(0);
	struct run o = run_state(sb, "/nonexistent");

	cfork_sandbox_free(sb);
	cr_assert(strstr(o.text, "uid 0/0/0 gid 0/0/0"), "%s", o.text);
	cr_assert(strstr(o.text, "caps 0/0/0"), "%s", o.text);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP);
}

Test(identity, under_a_deferred_sandbox_the_switch_waits_for_the_lockdown)
{
	skip_unless_root();
	cfork_sandbox *sb = new_sandbox(0);

	cr_assert_eq(cfork_sandbox_identity(sb, 1234, 1234, NULL, 0), 0);
	cr_assert_eq(cfork_sandbox_defer(sb), 0);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	attr.sandbox = sb;
	cr_assert_eq(cfork_spawn(&p, &attr, "identity_before_after"), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == 0, "code %d: %.*s %s", st.code,
		  (int)st.result_len, (const char *)st.result,
		  st.error ? st.error : "");
	cr_assert_eq(cfork_sandbox_applied(p),
		     CFORK_LAYER_SECCOMP | CFORK_LAYER_IDENTITY);
	cfork_free(p);
	cfork_sandbox_free(sb);
}

static int identity_before_after(const cfork_args *a)
{
	(void)a;
	if (getuid() != 0 || geteuid() != 0)
		return 1;
	if (cfork_lockdown() != 0)
		return 2;
	return getuid() == 1234 && geteuid() == 1234 ? 0 : 3;
}
CFORK_REGISTER(identity_before_after, "");

/* A root caller whose child cannot hold CAP_SETUID and CAP_SETGID (they
   left this checking child's bounding set): REQUIRE is -EPERM before any
   child exists, PREFER runs the child as the caller and says so; its own
   ids need no privilege. */
static int identity_without_privilege(const cfork_args *a)
{
	cfork_sandbox *sb = NULL;
	char text[256] = "";
	(void)a;

	if (geteuid() != 0) {
		cfork_return("needs root", 10);
		return CHECKS_SKIPPED;
	}
	if (prctl(PR_CAPBSET_DROP, CAP_SETUID, 0, 0, 0) ||
	    prctl(PR_CAPBSET_DROP, CAP_SETGID, 0, 0, 0))
		return 1;
	if (cfork_sandbox_new(&sb, 0) ||
	    cfork_sandbox_identity(sb, 1234, 1234, NULL, 0))
		return 2;
	cfork_attr attr = CFORK_ATTR_INIT;
	attr.sandbox = sb;
	cfork_proc *p;
	cfork_status st;
	if (cfork_spawn(&p, &attr, "identity_state", "/nonexistent") != -EPERM)
		return 3;
	if (cfork_sandbox_policy(sb, CFORK_LAYER_IDENTITY, CFORK_POLICY_PREFER) ||
	    cfork_spawn(&p, &attr, "identity_state", "/nonexistent") ||
	    cfork_wait(p, WAIT_MS, &st) || !st.exited || st.code)
		return 4;
	snprintf(text, sizeof(text), "%.*s", (int)st.result_len,
		 (const char *)st.result);
	unsigned applied = cfork_sandbox_applied(p);
	cfork_free(p);
	if (!strstr(text, "uid 0/0/0 gid 0/0/0")) {
		cfork_return(text, strlen(text));
		return 5;
	}
	if (applied != CFORK_LAYER_SECCOMP)
		return 6;

	/* The caller's own ids and groups: nothing to change, nothing
	   needed. */
	gid_t groups[64];
	int n = getgroups(64, groups);
	if (n < 0 || cfork_sandbox_identity(sb, 0, 0, groups, (size_t)n) ||
	    cfork_sandbox_policy(sb, CFORK_LAYER_IDENTITY, CFORK_POLICY_REQUIRE) ||
	    cfork_spawn(&p, &attr, "identity_state", "/nonexistent") ||
	    cfork_wait(p, WAIT_MS, &st) || !st.exited || st.code)
		return 7;
	applied = cfork_sandbox_applied(p);
	cfork_free(p);
	if (applied != (CFORK_LAYER_SECCOMP | CFORK_LAYER_IDENTITY))
		return 8;
	cfork_sandbox_free(sb);
	return 0;
}
CFORK_REGISTER(identity_without_privilege, "");

Test(identity, without_setuid_require_fails_the_spawn_and_prefer_runs_as_the_caller)
{
	run_checking_child("identity_without_privilege", NULL, 0);
}

Test(identity, a_root_callers_user_namespace_maps_the_identity_to_root)
{
	skip_unless_root();
	struct root_file f;
	cfork_sandbox *sb = new_sandbox(0);
	char want[128];

	root_file_make(&f);
	cr_assert_eq(cfork_sandbox_namespaces(sb, CFORK_NS_USER), 0);
	struct run o = run_state(sb, f.path);
	if (o.spawn == -EPERM || o.spawn == -ENOSPC || o.spawn == -EUSERS ||
	    o.spawn == -EINVAL) {
		root_file_remove(&f);
		cfork_sandbox_free(sb);
		cr_skip_test("user namespaces refused: %s", strerror(-o.spawn));
	}
	/* The caller's ids inside, not the overflow uid. */
	cr_assert(strstr(o.text, "uid 0/0/0 gid 0/0/0"), "%s", o.text);
	cr_assert(strstr(o.text, "caps 0/0/0"), "%s", o.text);

	cr_assert_eq(cfork_sandbox_identity(sb, 1234, 2345, NULL, 0), 0);
	o = run_state(sb, f.path);
	cr_assert_eq(o.spawn, 0, "spawn: %s", strerror(-o.spawn));
	/* 1234 inside is root outside: a map changes no right, and the
	   owner reads its file. That is what the documentation says. */
	snprintf(want, sizeof(want), "uid 1234/1234/1234 gid 2345/2345/2345");
	cr_assert(strstr(o.text, want), "%s", o.text);
	cr_assert(strstr(o.text, " read"), "%s", o.text);
	cr_assert_eq(o.applied, CFORK_LAYER_SECCOMP | CFORK_LAYER_NAMESPACES |
		     CFORK_LAYER_IDENTITY, "applied %#x", o.applied);

	/* Groups cannot be set there. */
	gid_t g = 7;
	cr_assert_eq(cfork_sandbox_identity(sb, 1234, 2345, &g, 1), 0);
	o = run_state(sb, f.path);
	cr_assert_eq(o.spawn, -EPERM);
	root_file_remove(&f);
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* As uid 65534                                                              */
/* ------------------------------------------------------------------------ */

/* Copies tests/progs/name into dir, mode 0755. */
static void copy_prog(const char *name, const char *to)
{
	char from[PATH_MAX], buf[65536];
	ssize_t n;
	int in, out;

	snprintf(from, sizeof(from), "%s/%s", TEST_PROGS_DIR, name);
	in = open(from, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	cr_assert_geq(out, 0, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(in);
	cr_assert_eq(fchmod(out, 0755), 0);
	close(out);
}

Test(identity, an_unprivileged_callers_user_namespace_maps_a_chosen_uid_to_itself)
{
	skip_unless_root();
	struct root_file f;
	char prog[128], out[4096];
	size_t len = 0;
	int po[2], status;
	ssize_t n;

	root_file_make(&f);
	snprintf(prog, sizeof(prog), "%s/identity_userns", f.dir);
	copy_prog("identity_userns", prog);
	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char *argv[] = { prog, f.path, NULL };
		char *envp[] = { "ASAN_OPTIONS=detect_leaks=0", NULL };
		if (dup2(po[1], 1) < 0 || setgroups(0, NULL) ||
		    setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(126);
		execve(prog, argv, envp);
		_exit(127);
	}
	close(po[1]);
	while ((n = read(po[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(po[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	unlink(prog);
	root_file_remove(&f);
	cr_assert(WIFEXITED(status), "killed by %d", WTERMSIG(status));
	if (WEXITSTATUS(status) == CHECKS_SKIPPED)
		cr_skip_test("%s", out);
	cr_assert_eq(WEXITSTATUS(status), 0, "exit %d: %s", WEXITSTATUS(status),
		     out);
}
