/* SPDX-License-Identifier: MIT */
/*
 * Parse untrusted input in a sandboxed child.
 *
 * The parser runs in a new process that may compute, allocate up to a limit
 * and send its result back, and nothing else: a bug that an attacker turns
 * into "open a file" or "run a shell" ends in a killed child and a report
 * naming the call, not in a compromised program. The sandbox is built once
 * and reused for every input.
 */
#include <cfork.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/*
 * A parser of "key=number" lines; it sends back "<keys> keys, sum <n>".
 * The line "!shell" stands for the input that exploits a bug in it: the
 * hijacked parser tries to start a shell.
 */
static int parse_config(const cfork_args *a)
{
	size_t len, keys = 0;
	const char *p = cfork_arg_bytes(a, 0, &len), *end = p + len;
	long long sum = 0;
	char summary[64];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(eol - p));

		if (eol - p == 6 && !memcmp(p, "!shell", 6))
			execl("/bin/sh", "sh", "-c", "id", (char *)NULL);
		if (eq) {
			long long v = 0;
			for (const char *d = eq + 1; d < eol && *d >= '0' &&
						     *d <= '9'; d++)
				v = v * 10 + (*d - '0');
			sum += v;
			keys++;
		}
		p = eol + 1;
	}
	int n = snprintf(summary, sizeof(summary), "%zu keys, sum %lld", keys,
			 sum);
	return cfork_return(summary, (size_t)n) == 0 ? 0 : 1;
}
CFORK_REGISTER(parse_config, "y");

static const char *layers(unsigned applied, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s",
		 applied & CFORK_LAYER_SECCOMP ? " seccomp" : "",
		 applied & CFORK_LAYER_LANDLOCK ? " landlock" : "",
		 applied & CFORK_LAYER_NAMESPACES ? " namespaces" : "",
		 applied & CFORK_LAYER_RLIMITS ? " rlimits" : "",
		 applied & CFORK_LAYER_CGROUP ? " cgroup" : "");
	return buf[0] ? buf + 1 : "none";
}

/* Parses input in a sandboxed child: 0 if it was parsed, 1 if not. */
static int parse(const cfork_sandbox *sb, const char *input)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	char buf[64];
	int r;

	attr.sandbox = sb;
	r = cfork_spawn(&p, &attr, "parse_config",
			cfork_bytes(input, strlen(input)));
	if (r < 0) {
		/* A layer under REQUIRE that this host cannot apply. */
		fprintf(stderr, "cfork_spawn: %s\n", strerror(-r));
		return 1;
	}
	r = cfork_wait(p, 5000, &st);
	if (r == -ETIMEDOUT) {
		cfork_kill(p, SIGKILL);
		r = cfork_wait(p, -1, &st);
	}
	if (r == 0 && st.exited && st.code == 0 && st.result)
		printf("  parsed: %.*s\n", (int)st.result_len,
		       (const char *)st.result);
	else if (r == 0)
		printf("  refused: %s\n", st.error ? st.error :
			 st.exited ? "the parser failed" : strsignal(st.signal));
	printf("  layers applied: %s\n",
	       layers(cfork_sandbox_applied(p), buf, sizeof(buf)));
	cfork_free(p);
	return r == 0 && st.exited && st.code == 0 ? 0 : 1;
}

int main(void)
{
	cfork_sandbox *sb;
	int r = cfork_init();

	if (r < 0) {
		fprintf(stderr, "cfork_init: %s\n", strerror(-r));
		return 1;
	}

	/* Only computation; 256 MiB of address space; 2 s of CPU. Required:
	   a host without seccomp makes the spawn fail, not run unconfined. */
	r = cfork_sandbox_new(&sb, CFORK_SB_COMPUTE);
	if (r == 0)
		r = cfork_sandbox_rlimit(sb, RLIMIT_AS, 256 << 20);
	if (r == 0)
		r = cfork_sandbox_rlimit(sb, RLIMIT_CPU, 2);
	/* No network at all, where the host lets us have the namespaces;
	   if it does not, seccomp already kills any socket. */
	if (r == 0)
		r = cfork_sandbox_namespaces(sb, CFORK_NS_USER | CFORK_NS_NET);
	if (r == 0)
		r = cfork_sandbox_policy(sb, CFORK_LAYER_NAMESPACES,
					 CFORK_POLICY_PREFER);
	if (r < 0) {
		fprintf(stderr, "sandbox: %s\n", strerror(-r));
		return 1;
	}

	printf("well-formed input:\n");
	fflush(stdout);
	int good = parse(sb, "width=640\nheight=480\ndepth=24\n");

	printf("hostile input:\n");
	fflush(stdout);
	int bad = parse(sb, "width=640\n!shell\n");

	cfork_sandbox_free(sb);
	/* The first must parse, the second must be stopped. */
	return good == 0 && bad == 1 ? 0 : 1;
}
