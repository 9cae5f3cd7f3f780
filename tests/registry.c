/* SPDX-License-Identifier: MIT */
/* cfork_register and name lookup: what is accepted, what is refused, and
   that a refused name never gets as far as a child. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(registry, .timeout = TEST_TIMEOUT);

static int registry_static(const cfork_args *a)
{
	return (int)cfork_arg_i64(a, 0) + 1;
}
CFORK_REGISTER(registry_static, "i");

static int registry_other(const cfork_args *a)
{
	(void)a;
	return 0;
}

/* Two static entries under one name, and entries that are themselves
   invalid: CFORK_REGISTER cannot express these within one file, so they are
   spelt out as the macro would place them. */
#define REGISTRY_ENTRY(var, name, fn, sig)				\
	static const struct cfork_registration var			\
	__attribute__((used, CFORK_RETAIN_ section("cfork_registry"),	\
		       aligned(8))) =					\
	{ name, fn, sig }
REGISTRY_ENTRY(registry_twice_a, "registry_twice", registry_other, NULL);
REGISTRY_ENTRY(registry_twice_b, "registry_twice", registry_other, NULL);
REGISTRY_ENTRY(registry_badsig_entry, "registry_badsig", registry_other, "iq");
REGISTRY_ENTRY(registry_nofn_entry, "registry_nofn", NULL, NULL);

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

Test(registry, runtime_name_registers_once)
{
	cr_assert_eq(cfork_register("registry_rt", registry_other, "i"), 0);
	cr_assert_eq(cfork_register("registry_rt", registry_other, "i"),
		     -EEXIST);
	/* The name is what counts, not the function or the signature. */
	cr_assert_eq(cfork_register("registry_rt", registry_static, NULL),
		     -EEXIST);
	cr_assert_eq(cfork_register("registry_rt2", registry_other, "i"), 0);
}

Test(registry, static_name_cannot_be_registered_again)
{
	cr_assert_eq(cfork_register("registry_static", registry_other, "i"),
		     -EEXIST);
	cr_assert_eq(cfork_register("registry_static", registry_static, "i"),
		     -EEXIST);
}

Test(registry, static_registration_runs)
{
	cr_assert_eq(cfork("registry_static", 41), 42);
	cr_assert(!has_children());
}

Test(registry, duplicate_static_name_refused_everywhere)
{
	cfork_proc *p = (cfork_proc *)&p;
	int fds = count_open_fds();

	cr_assert_eq(cfork_register("registry_twice", registry_other, NULL),
		     -EEXIST);
	cr_assert_eq(cfork_spawn(&p, NULL, "registry_twice"), -EEXIST);
	cr_assert_eq(p, (cfork_proc *)&p, "handle touched on failure");
	cr_assert_eq(cfork("registry_twice"), -EEXIST);
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

Test(registry, invalid_static_entry_refused_at_spawn)
{
	cfork_proc *p = NULL;

	cr_assert_eq(cfork_spawn(&p, NULL, "registry_badsig", 1, 2), -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "registry_nofn"), -EINVAL);
	cr_assert_null(p);
	cr_assert(!has_children());
}

Test(registry, bad_names_refused)
{
	char *longest = repeat('n', 255), *too_long = repeat('n', 256);

	cr_assert_eq(cfork_register(NULL, registry_other, NULL), -EINVAL);
	cr_assert_eq(cfork_register("", registry_other, NULL), -EINVAL);
	cr_assert_eq(cfork_register(too_long, registry_other, NULL), -EINVAL);
	cr_assert_eq(cfork_register(longest, registry_other, NULL), 0);
	/* The name must outlive the registration. */
	free(too_long);
}

Test(registry, null_function_refused)
{
	cr_assert_eq(cfork_register("registry_null_fn", NULL, NULL), -EINVAL);
	cr_assert_eq(cfork_register("registry_null_fn", NULL, "i"), -EINVAL);
	/* Refused means not registered: the name is still free. */
	cr_assert_eq(cfork_register("registry_null_fn", registry_other, NULL),
		     0);
}

Test(registry, bad_signatures_refused)
{
	static const char *const bad[] = {
		"x", "iz", "I", "i i", "s\n", "iudbsyfa", "\xff", "0",
	};
	char *longest = repeat('i', 255), *too_long = repeat('y', 256);
	char name[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "registry_bad_%zu", i);
		cr_assert_eq(cfork_register(name, registry_other, bad[i]),
			     -EINVAL, "signature \"%s\" accepted", bad[i]);
	}
	cr_assert_eq(cfork_register("registry_sig_long", registry_other,
				    too_long), -EINVAL);
	cr_assert_eq(cfork_register("registry_sig_255", registry_other,
				    longest), 0);
	cr_assert_eq(cfork_register("registry_sig_all", registry_other,
				    "iudbsyf"), 0);
	cr_assert_eq(cfork_register("registry_sig_none", registry_other, ""),
		     0);
	cr_assert_eq(cfork_register("registry_sig_null", registry_other, NULL),
		     0);
	free(too_long);
}

Test(registry, refused_registration_leaves_nothing_behind)
{
	cfork_proc *p = NULL;

	cr_assert_eq(cfork_register("registry_refused", registry_other, "?"),
		     -EINVAL);
	cr_assert_eq(cfork_spawn(&p, NULL, "registry_refused"), -ENOENT);
	cr_assert_null(p);
	cr_assert_eq(cfork_register("registry_refused", registry_other, ""),
		     0);
}

Test(registry, unknown_name_creates_no_child)
{
	cfork_proc *p = (cfork_proc *)&p;
	int fds = count_open_fds();

	cr_assert_eq(cfork_spawn(&p, NULL, "registry_nowhere"), -ENOENT);
	cr_assert_eq(cfork_spawn(&p, NULL, "registry_nowhere", 1, "x"),
		     -ENOENT);
	cr_assert_eq(p, (cfork_proc *)&p, "handle touched on failure");
	/* A prefix or a different case of a known name is not that name. */
	cr_assert_eq(cfork_spawn(&p, NULL, "registry_stati", 1), -ENOENT);
	cr_assert_eq(cfork_spawn(&p, NULL, "REGISTRY_STATIC", 1), -ENOENT);
	cr_assert_eq(cfork("registry_nowhere"), -ENOENT);
	cr_assert_eq(cfork_runv(NULL, "", NULL, 0), -ENOENT);
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

#define RACERS 8

static void *race_register(void *arg)
{
	return (void *)(intptr_t)cfork_register("registry_raced",
						registry_other, arg);
}

Test(registry, concurrent_registration_has_one_winner)
{
	pthread_t t[RACERS];
	int won = 0, lost = 0;

	for (int i = 0; i < RACERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, race_register, "i"), 0);
	for (int i = 0; i < RACERS; i++) {
		void *r;

		pthread_join(t[i], &r);
		if ((intptr_t)r == 0)
			won++;
		else if ((intptr_t)r == -EEXIST)
			lost++;
	}
	cr_assert_eq(won, 1);
	cr_assert_eq(lost, RACERS - 1);
}

/* ------------------------------------------------------------------------ */
/* A program with its own main(): runtime registration + explicit init       */
/* ------------------------------------------------------------------------ */

/* Appends what fd holds now; false once buf is full. */
static bool read_some(int fd, char *buf, size_t cap, size_t *len, bool *eof)
{
	ssize_t n = read(fd, buf + *len, cap - 1 - *len);

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		*eof = true;
		return true;
	}
	*len += (size_t)n;
	buf[*len] = '\0';
	return *len < cap - 1;
}

/* Runs path with argv, capturing stdout and stderr; returns the wait
   status. */
static int run_capture(const char *path, char *const argv[], char *out,
		       char *err, size_t cap)
{
	posix_spawn_file_actions_t fa;
	int po[2], pe[2], status;
	size_t lo = 0, le = 0;
	bool eo = false, ee = false;
	pid_t pid;

	out[0] = err[0] = '\0';
	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	cr_assert_eq(posix_spawn(&pid, path, &fa, NULL, argv, environ), 0,
		     "cannot start %s", path);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	while (!eo || !ee) {
		struct pollfd p[2] = { { eo ? -1 : po[0], POLLIN, 0 },
				       { ee ? -1 : pe[0], POLLIN, 0 } };

		cr_assert(poll(p, 2, -1) > 0);
		if (p[0].revents)
			cr_assert(read_some(po[0], out, cap, &lo, &eo),
				  "stdout too long: %s", out);
		if (p[1].revents)
			cr_assert(read_some(pe[0], err, cap, &le, &ee),
				  "stderr too long: %s", err);
	}
	close(po[0]);
	close(pe[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static size_t count_substr(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(registry, runtime_registration_dispatched_by_init)
{
	char *argv[] = { TEST_PROGS_DIR "/runtime_main", "parent", NULL };
	char out[4096], err[4096];
	int fds = count_open_fds();
	int status = run_capture(argv[0], argv, out, err, sizeof(out));

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x, stderr: %s", status, err);
	cr_assert_str_eq(out,
			 "runtime_main: parent register=0 init=0\n"
			 "runtime_child: 7 seven\n"
			 "runtime_main: child exited with 42\n"
			 "runtime_main: again=-17\n"
			 "runtime_main: late register=0 spawn=-95\n");
	cr_assert_str_empty(err);
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

Test(registry, runtime_child_runs_main_only_up_to_init)
{
	char *argv[] = { TEST_PROGS_DIR "/runtime_main", "parent", NULL };
	char out[4096], err[4096];

	run_capture(argv[0], argv, out, err, sizeof(out));
	/* Every line after cfork_init() is the parent's: the child was taken
	   over inside cfork_init() and never got past it. */
	cr_assert_eq(count_substr(out, "runtime_main:"), 4, "stdout: %s", out);
	cr_assert_eq(count_substr(out, "register=0 init=0"), 1);
	cr_assert_eq(count_substr(out, "runtime_child:"), 1);
}

Test(registry, runtime_program_without_request_spawns_nothing)
{
	char *argv[] = { TEST_PROGS_DIR "/runtime_main", NULL };
	char out[4096], err[4096];
	int status = run_capture(argv[0], argv, out, err, sizeof(out));

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_str_empty(out);
	cr_assert_str_empty(err);
}

/* A Criterion binary never calls cfork_init(): a child of it could not run a
   function registered at run time, so the spawn is refused up front. */
Test(registry, runtime_name_refused_without_init)
{
	cfork_proc *p = NULL;
	int fds = count_open_fds();

	cr_assert_eq(cfork_register("registry_no_init", registry_other, "i"), 0);
	cr_expect_eq(cfork_spawn(&p, NULL, "registry_no_init", 1), -ENOTSUP);
	cr_expect_null(p);
	cr_expect_eq(cfork("registry_no_init", 1), -ENOTSUP);
	cr_expect_eq(open_fds_settled(fds), fds);
	cr_expect_not(has_children());
}
