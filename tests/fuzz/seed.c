/* SPDX-License-Identifier: MIT */
/*
 * Writes the fuzzer's seed corpus: real payloads from wire_encode(), one
 * file each, into the directory given (`make fuzz-corpus` uses
 * tests/fuzz/corpus). Each seed takes the fuzzer straight to one part of the
 * format: every argument type, strings and byte buffers at the lengths
 * where padding changes, a zero-copy buffer argument, sandbox sections.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../lib/payload.h"
#include "sandbox/sandbox.h"

static const char *dir;
static int failures;

static void put(const char *file, const char *name, const cfork_value *v,
		size_t n, const struct sandbox_plan *plan)
{
	struct payload_out w;
	char path[4096];
	int r = wire_encode_sandbox(&w, name, true, 4, 0, v, n,
				    plan ? plan->section.blob : NULL,
				    plan ? plan->section.len : 0);

	if (r < 0) {
		fprintf(stderr, "seed: %s: wire_encode: %s\n", file, strerror(-r));
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || writev(fd, w.iov, (int)w.niov) != (ssize_t)w.size) {
		fprintf(stderr, "seed: %s: %s\n", path, strerror(errno));
		failures++;
	}
	if (fd >= 0)
		close(fd);
	payload_out_release(&w);
}

/* A payload with a sandbox section built from sb, as a spawn would. */
static void put_sandboxed(const char *file, cfork_sandbox *sb,
			  const cfork_value *v, size_t n)
{
	const cfork_attr attr = CFORK_ATTR_INIT;
	struct sandbox_plan plan = { .launch.cgroup_fd = -1 };
	int r = sandbox_prepare(sb, &attr, &plan);

	if (r < 0 || !plan.section.blob) {
		fprintf(stderr, "seed: %s: no sandbox section here (%s)\n", file,
			r < 0 ? strerror(-r) : "no layer in the child");
		failures++;
	} else {
		put(file, "seed_sandboxed", v, n, &plan);
	}
	sandbox_plan_release(&plan);
}

int main(int argc, char **argv)
{
	static const unsigned char bytes[17] = "0123456789abcdef";
	cfork_buffer *buf;
	cfork_sandbox *sb;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	put("no-arguments", "f", NULL, 0, NULL);
	put("scalars", "seed_scalars", (const cfork_value[]){
		cfork_i64(INT64_MIN), cfork_u64(UINT64_MAX), cfork_f64(-0.0),
		cfork_f64(NAN), cfork_bool(true), cfork_bool(false),
		cfork_fd(0), cfork_fd(INT32_MAX) }, 8, NULL);
	put("strings", "seed_strings", (const cfork_value[]){
		cfork_str(""), cfork_str("1234567"), cfork_str("12345678"),
		cfork_str("na\xc3\xafve") }, 4, NULL);
	put("bytes", "seed_bytes", (const cfork_value[]){
		cfork_bytes(NULL, 0), cfork_bytes(bytes, 1),
		cfork_bytes(bytes, 8), cfork_bytes(bytes, 9),
		cfork_bytes("\0\0", 2) }, 5, NULL);
	put("every-type", "seed_every_type", (const cfork_value[]){
		cfork_i64(-5), cfork_str("hello"), cfork_bytes("\1\2\3", 3),
		cfork_bool(true), cfork_fd(9), cfork_u64(1), cfork_f64(2.5) },
		7, NULL);
	put("long-name", "a_function_name_of_sixty_four_bytes_to_move_"
		"the_argument_table", (const cfork_value[]){ cfork_i64(1) }, 1,
		NULL);

	if (cfork_buffer_new(&buf, 4096) == 0) {
		memset(cfork_buffer_data(buf), 'b', 4096);
		put("buffer", "seed_buffer", (const cfork_value[]){
			cfork_str("before"), cfork_buffer_arg(buf),
			cfork_bytes(bytes, 16) }, 3, NULL);
		cfork_buffer_free(buf);
	} else {
		fprintf(stderr, "seed: buffer: cfork_buffer_new failed\n");
		failures++;
	}

	/* The sandbox layers the child applies: a seccomp filter, landlock
	   paths, resource limits; each under PREFER, so that a host without
	   one still gives the others. */
	if (cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK) == 0) {
		cfork_sandbox_rlimit(sb, RLIMIT_NOFILE, 64);
		cfork_sandbox_rlimit(sb, RLIMIT_CORE, 0);
		put_sandboxed("sandbox-seccomp-rlimits", sb, (const cfork_value[]){
			cfork_str("x") }, 1);
		cfork_sandbox_free(sb);
	}
	if (cfork_sandbox_new(&sb, 0) == 0) {
		cfork_sandbox_policy(sb, CFORK_LAYER_LANDLOCK, CFORK_POLICY_PREFER);
		cfork_sandbox_fs(sb, "/tmp", CFORK_FS_READ | CFORK_FS_WRITE);
		cfork_sandbox_fs(sb, "/usr", CFORK_FS_READ | CFORK_FS_EXEC);
		cfork_sandbox_rlimit(sb, RLIMIT_CPU, 10);
		put_sandboxed("sandbox-landlock-rlimits", sb, NULL, 0);
		cfork_sandbox_free(sb);
	}
	return failures ? 1 : 0;
}
