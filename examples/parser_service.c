/* SPDX-License-Identifier: MIT */
/*
 * A sandboxed parser service, as a hardened service would write it: each
 * untrusted XML document is parsed by libxml2 in a fresh child that
 *
 *   - initialises first (libxml2's parser, its character tables) and then
 *     locks itself down with cfork_lockdown(): COMPUTE from there on, so
 *     an exploited parser can open nothing, connect nowhere, run nothing;
 *   - runs as an unprivileged uid with no capabilities (when the service
 *     runs as root), within 256 MiB of address space and 2 s of CPU;
 *   - has its stdout and stderr captured and a deadline of 3 s;
 *
 * and the service reports how each input ended. Build: make demo (needs
 * libxml2-dev, which make deps installs).
 */
#include <cfork.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* The element count and the deepest nesting, sent back as text. */
static void walk(xmlNode *n, int depth, long *count, int *deepest)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		(*count)++;
		if (depth > *deepest)
			*deepest = depth;
		walk(n->children, depth + 1, count, deepest);
	}
}

static int parse_xml(const cfork_args *a)
{
	size_t len;
	const char *doc = cfork_arg_bytes(a, 0, &len);
	char summary[128];
	long count = 0;
	int deepest = 0;

	/* Everything that reads files or the environment happens before
	   the lockdown. */
	xmlInitParser();
	if (cfork_lockdown() < 0)
		return 3;

	xmlDoc *d = xmlReadMemory(doc, (int)len, "input.xml", NULL,
				  XML_PARSE_NONET);
	if (!d) {
		const xmlError *e = xmlGetLastError();
		printf("parse error: %s", e && e->message ? e->message : "?\n");
		return 2;
	}
	walk(xmlDocGetRootElement(d), 1, &count, &deepest);
	xmlFreeDoc(d);
	int n = snprintf(summary, sizeof(summary), "%ld elements, depth %d",
			 count, deepest);
	return cfork_return(summary, (size_t)n) < 0;
}
CFORK_REGISTER(parse_xml, "y");

/* What the exploit in one of the inputs would try after the lockdown. */
static int parse_and_escape(const cfork_args *a)
{
	(void)a;
	xmlInitParser();
	if (cfork_lockdown() < 0)
		return 3;
	/* An "exploited" parser reaching for the network. */
	(void)socket(AF_INET, SOCK_STREAM, 0);
	execl("/bin/sh", "sh", "-c", "id", (char *)NULL);
	return 0;
}
CFORK_REGISTER(parse_and_escape, "y");

static const char *reason_name(cfork_end r)
{
	switch (r) {
	case CFORK_END_EXIT: return "exit";
	case CFORK_END_SIGNAL: return "signal";
	case CFORK_END_KILLED: return "killed";
	case CFORK_END_DEADLINE: return "deadline";
	case CFORK_END_CPU_LIMIT: return "cpu limit";
	case CFORK_END_SECCOMP: return "seccomp";
	}
	return "?";
}

static int run(const cfork_attr *attr, const char *label, const char *fn,
	       const char *doc)
{
	cfork_status st;
	cfork_proc *p;
	int r = cfork_spawn(&p, attr, fn, cfork_bytes(doc, strlen(doc)));

	if (r < 0) {
		printf("%-14s spawn failed: %s\n", label, strerror(-r));
		return 1;
	}
	r = cfork_wait(p, -1, &st);
	if (r < 0) {
		printf("%-14s wait failed: %s\n", label, strerror(-r));
		cfork_free(p);
		return 1;
	}
	printf("%-14s %-8s", label, reason_name(st.reason));
	if (st.exited)
		printf(" code %d", st.code);
	else
		printf(" signal %d", st.signal);
	if (st.result_len)
		printf(", result \"%.*s\"", (int)st.result_len,
		       (const char *)st.result);
	if (st.out_len)
		printf(", stdout \"%.*s\"", (int)strcspn(st.out, "\n"), st.out);
	if (st.error)
		printf(", %s", st.error);
	printf(", max RSS %ld KiB\n", st.rusage.ru_maxrss);
	cfork_free(p);
	return 0;
}

int main(void)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	int failed = 0;

	if (cfork_init() < 0 ||
	    cfork_sandbox_new(&sb, CFORK_SB_COMPUTE) < 0 ||
	    cfork_sandbox_defer(sb) < 0 ||
	    cfork_sandbox_rlimit(sb, RLIMIT_AS, 256 << 20) < 0 ||
	    cfork_sandbox_rlimit(sb, RLIMIT_CPU, 2) < 0)
		return 1;
	/* A root service gives its parsers nobody's uid; anyone else's are
	   already unprivileged (and keep no capabilities either way). */
	if (geteuid() == 0 &&
	    cfork_sandbox_identity(sb, 65534, 65534, NULL, 0) < 0)
		return 1;
	attr.sandbox = sb;
	attr.capture = CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR;
	attr.deadline_ms = 3000;

	failed |= run(&attr, "well-formed", "parse_xml",
		      "<catalog><book id='1'><title>A</title></book>"
		      "<book id='2'><title>B</title></book></catalog>");
	failed |= run(&attr, "malformed", "parse_xml",
		      "<catalog><book></catalog>");
	failed |= run(&attr, "exploited", "parse_and_escape", "<x/>");
	cfork_sandbox_free(sb);
	return failed;
}
