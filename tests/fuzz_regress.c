/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's corpus, replayed through the fuzzer's own checks in the test
 * suite (and so under ASan in `make check-asan`): every real payload and
 * every input that once crashed the decoder stays decoded or refused
 * cleanly. An input that crashed goes into tests/fuzz/corpus under its
 * libFuzzer name (crash-<sha1>), and this test covers it from then on.
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

TestSuite(fuzz_regress, .timeout = TEST_TIMEOUT);

/* The corpus sits beside this file; the tests run from the source tree. */
#define CORPUS_DIR "tests/fuzz/corpus"

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

		cr_assert_eq(wire_decode(&a, b, len, &why), 0, "%s: %s",
			     seeds[i], why ? why : "?");
		free(b);
	}
	close(dirfd);
}
