/* SPDX-License-Identifier: MIT */
/*
 * A program that, as daemons do, closes every fd above 2 after its start,
 * then opens others under the same numbers: a landlock ruleset of its own
 * (handling nothing that matters to its child), a pipe for an argument.
 * cfork's own fds of its start are among those closed. Its sandboxed
 * child, cold and warm, must still get its argument, return its result,
 * and be refused its caller's /proc files.
 *
 *   closed_fds     prints one line per failure; exits 1 if any, 0 if none
 */
#include <cfork.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif

/* Reads its argument, tries the caller's oom_score_adj, returns both. */
static int closed_fds_child(const cfork_args *a)
{
	char path[64], word[8] = { 0 }, result[32];
	int fd;

	if (read(cfork_arg_fd(a, 0), word, sizeof(word) - 1) <= 0)
		strcpy(word, "lost");
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)getppid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(result, sizeof(result), "%s %s", word,
		 fd >= 0 ? "written" : "refused");
	if (fd >= 0)
		close(fd);
	return cfork_return(result, strlen(result)) < 0;
}
CFORK_REGISTER(closed_fds_child, "f");

static int call(cfork_pool *pool, const cfork_attr *attr, const char *how)
{
	int pfd[2];
	cfork_proc *p;
	cfork_status st;
	int r, bad = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0 || write(pfd[1], "arg", 3) != 3)
		return 1;
	r = pool ? cfork_pool_spawn(pool, &p, "closed_fds_child",
				    cfork_fd(pfd[0])) :
		   cfork_spawn(&p, attr, "closed_fds_child", cfork_fd(pfd[0]));
	close(pfd[0]);
	close(pfd[1]);
	if (r < 0) {
		printf("%s: spawn: %s\n", how, strerror(-r));
		return 1;
	}
	if (cfork_wait(p, 20000, &st) < 0 || !st.exited || st.code) {
		printf("%s: the child exited %d code %d signal %d\n", how,
		       st.exited, st.code, st.signal);
		bad = 1;
	} else if (st.result_len != 11 || memcmp(st.result, "arg refused", 11)) {
		printf("%s: the child said \"%.*s\" (want \"arg refused\")\n",
		       how, (int)st.result_len, (const char *)st.result);
		bad = 1;
	}
	cfork_free(p);
	return bad;
}

/* Closes every fd above 2, cfork's too; then takes the lowest numbers:
   with pad fds of /dev/null (the argument's pipe lands above them, on
   whatever cfork had there), or with landlock rulesets of the program's
   own (nrulesets). */
static void close_and_reuse(int pad, int *own, int nrulesets)
{
	struct { unsigned long long handled; } ll = { 1 /* EXECUTE */ };

	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	for (int i = 0; i < pad; i++)
		(void)!open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < nrulesets; i++)
		own[i] = (int)syscall(SYS_landlock_create_ruleset, &ll,
				      sizeof(ll), 0);
}

int main(void)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_pool *pool;
	int own[8], bad = 0;
	char how[64];

	if (cfork_init() < 0)
		return 2;
	/* Rounds 0-5: the pipe at 3-8; round 6: rulesets at 3-10. */
	for (int round = 0; round < 7; round++) {
		int nrulesets = round == 6 ? 8 : 0;
		close_and_reuse(round == 6 ? 0 : round, own, nrulesets);
		if (cfork_sandbox_new(&sb, 0) < 0)
			return 2;
		attr.sandbox = sb;
		snprintf(how, sizeof(how), "round %d, cold", round);
		bad |= call(NULL, &attr, how);
		if (cfork_pool_new(&pool, &attr, 1, CFORK_POOL_EXEC) == 0) {
			snprintf(how, sizeof(how), "round %d, EXEC pool", round);
			bad |= call(pool, NULL, how);
			cfork_pool_free(pool);
		}
		if (cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK) == 0) {
			snprintf(how, sizeof(how), "round %d, fork server",
				 round);
			bad |= call(pool, NULL, how);
			cfork_pool_free(pool);
		}
		cfork_sandbox_free(sb);
	}
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	return bad;
}
