/* SPDX-License-Identifier: MIT */
/*
 * The fuzzers' corpora, replayed through the fuzzers' own checks in the test
 * suite (and so under ASan in `make check-asan`): every real payload and
 * every input that once crashed the decoder stays decoded or refused
 * cleanly, and every report stream, seed or past crash, leaves the report
 * reader bounded and in agreement with a plain parse of it. An input that
 * crashed goes into tests/fuzz/corpus (or tests/fuzz/report-corpus) under
 * its libFuzzer name (crash-<sha1>), and these tests cover it from then on.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define DECODE_REPLAY
#include "fuzz/decode.c"
/* Its entry point is report_fuzz_one(): decode.c has the libFuzzer one. */
#define REPORT_REPLAY
#include "fuzz/report.c"

TestSuite(fuzz_regress, .timeout = TEST_TIMEOUT);

/* The corpora sit beside this file; the tests run from the source tree. */
#define CORPUS_DIR "tests/fuzz/corpus"
#define REPORT_CORPUS_DIR "tests/fuzz/report-corpus"

static unsigned char *read_file(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;

	cr_assert_geq(fd, 0, "%s: %s", name, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	unsigned char *b = malloc(st.st_size ? (size_t)st.st_size : 1);
	cr_assert_not_null(b);
	cr_assert_eq(read(fd, b, (size_t)st.st_size), st.st_size, "%s", name);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

Test(fuzz_regress, corpus_decodes_or_is_refused_cleanly)
{
	DIR *d = opendir(CORPUS_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		cr_skip_test("%s not found: run the tests from the source tree",
			     CORPUS_DIR);
	while ((e = readdir(d))) {
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		unsigned char *b = read_file(dirfd(d), e->d_name, &len);
		/* A broken promise traps: the test crashes and names no
		   file, so say which one first. */
		cr_log_info("replaying %s (%zu bytes)", e->d_name, len);
		cr_assert_eq(LLVMFuzzerTestOneInput(b, len), 0);
		free(b);
		n++;
	}
	closedir(d);
	/* The seeds alone are nine payloads. */
	cr_assert_geq(n, 9, "only %d inputs in %s", n, CORPUS_DIR);
}

/* The replay would prove nothing if the seeds were refused: each is a real
   payload and must decode. */
Test(fuzz_regress, every_seed_decodes)
{
	static const char *const seeds[] = {
		"no-arguments", "scalars", "strings", "bytes", "every-type",
		"long-name", "buffer", "sandbox-seccomp-rlimits",
		"sandbox-landlock-rlimits",
	};
	int dirfd = open(CORPUS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		cr_skip_test("%s not found: run the tests from the source tree",
			     CORPUS_DIR);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(*seeds); i++) {
		size_t len;
		unsigned char *b = read_file(dirfd, seeds[i], &len);
		const char *why = NULL;
		cfork_args a;

		cr_assert_eq(payload_decode(&a, b, len, &why), 0, "%s: %s",
			     seeds[i], why ? why : "?");
		free(b);
	}
	close(dirfd);
}

Test(fuzz_regress, report_corpus_feeds_cleanly)
{
	DIR *d = opendir(REPORT_CORPUS_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		cr_skip_test("%s not found: run the tests from the source tree",
			     REPORT_CORPUS_DIR);
	while ((e = readdir(d))) {
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		unsigned char *b = read_file(dirfd(d), e->d_name, &len);
		cr_log_info("replaying %s (%zu bytes)", e->d_name, len);
		cr_assert_eq(report_fuzz_one(b, len), 0);
		free(b);
		n++;
	}
	closedir(d);
	/* The seeds alone are six streams. */
	cr_assert_geq(n, 6, "only %d inputs in %s", n, REPORT_CORPUS_DIR);
}

/* The stream of a seed (after the harness's 4 bytes: result_max,
   sandbox_mask and the cuts' seed), fed whole to a reader set up as the
   harness sets it up. */
static void feed_seed(int dirfd, const char *name, struct report_reader *r)
{
	size_t len;
	unsigned char *b = read_file(dirfd, name, &len);

	cr_assert_gt(len, REPORT_IN_HEAD, "%s", name);
	report_reader_init(r, report_in_result_max(b[0]), b[1]);
	cr_assert_eq(report_feed(r, b + REPORT_IN_HEAD, len - REPORT_IN_HEAD),
		     0, "%s", name);
	free(b);
}

/* The replay would prove little if the seeds all stopped at their first
   header: each reaches the part of the reader it is named for. */
Test(fuzz_regress, every_report_seed_reads_as_named)
{
	int dirfd = open(REPORT_CORPUS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct report_reader r;

	if (dirfd < 0)
		cr_skip_test("%s not found: run the tests from the source tree",
			     REPORT_CORPUS_DIR);

	feed_seed(dirfd, "result", &r);
	cr_assert(!r.malformed && !r.result_truncated);
	cr_assert_eq(r.result_len, 5);
	cr_assert_eq(memcmp(r.result, "hello", 5), 0);
	free(r.result);

	/* result_max 4 of 8 bytes sent: the first 4 kept, and no more
	   memory than that. */
	feed_seed(dirfd, "result-truncated", &r);
	cr_assert(!r.malformed && r.result_truncated);
	cr_assert_eq(r.result_len, 4);
	cr_assert_leq(r.result_cap, 4);
	cr_assert_eq(memcmp(r.result, "hell", 4), 0);
	free(r.result);

	/* A header whose body never comes: nothing kept, nothing wrong. */
	feed_seed(dirfd, "header-alone", &r);
	cr_assert(!r.malformed && !r.result_truncated);
	cr_assert_eq(r.result_len, 0);
	cr_assert_eq(r.left, 16);
	free(r.result);

	feed_seed(dirfd, "error", &r);
	cr_assert(!r.malformed);
	cr_assert_str_eq(r.error, "cfork: no function \"nope\" registered");
	free(r.result);

	/* Mask 0x0b: a claim of every layer is cut to the mask, a later one
	   narrows it; then the call the sandbox killed the child for. */
	feed_seed(dirfd, "sandbox-blocked", &r);
	cr_assert(!r.malformed && r.sandbox_seen && r.blocked);
	cr_assert_eq(r.sandbox, 0x03);
	cr_assert_eq(r.blocked_nr, 59);
	cr_assert_eq(r.blocked_arch, 0xc000003e);
	free(r.result);

	/* Kind 9: the result before it is kept, the one after is not. */
	feed_seed(dirfd, "malformed-kind", &r);
	cr_assert(r.malformed);
	cr_assert_eq(r.result_len, 2);
	cr_assert_eq(memcmp(r.result, "ok", 2), 0);
	free(r.result);

	close(dirfd);
}
