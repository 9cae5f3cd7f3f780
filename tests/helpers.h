/* SPDX-License-Identifier: MIT */
/* What the test files share: leak counters and small child-process tools. */
#ifndef CFORK_TEST_HELPERS_H
#define CFORK_TEST_HELPERS_H

#include <cfork.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Every test runs in its own Criterion worker, under this timeout. ASan
   makes every spawn several times slower, and two tests run at once.
   A build for emulation (check-aarch64: 200 spawns take 20-30 s under
   qemu's TCG) gives its own with -DTEST_TIMEOUT=N; a suite's timeout
   wins over Criterion's --timeout. */
#ifndef TEST_TIMEOUT
#if defined(__SANITIZE_ADDRESS__)
#define TEST_TIMEOUT 120
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_TIMEOUT 120
#endif
#endif
#endif
#ifndef TEST_TIMEOUT
#define TEST_TIMEOUT 30
#endif

/* How many times slower than a plain build this one runs: a bound on
   what takes CPU (a call's run, a step's work) scales by it; a bound on
   a hold, which is a sleep, does not. */
#define TEST_SLOWDOWN (TEST_TIMEOUT / 30)

/* How long a test waits for a call that ends soon: 20 s, and as many
   times that as the build is slower. */
#define WAIT_MS (20000 * TEST_SLOWDOWN)
/* How long what a free let go of (a child's end, its pidfd) may take to
   settle before a check calls it left. */
#define SETTLE_MS (2000 * TEST_SLOWDOWN)

/* How long a test waits for any of many children to make progress before
   it calls them stuck: a third of its timeout, so that a slow build or
   machine (ASan, arm64 under qemu) is not taken for a lost wake-up. */
#define PROGRESS_WAIT_MS (TEST_TIMEOUT * 1000 / 3)

/* Milliseconds on the monotonic clock, for bounds on how long a call may
   block (never for a measurement: those are tests/bench's). */
static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open fds of this process. */
static inline int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;	/* ".", ".." and the directory's own fd */
}

/* The open fds, once the reaper has let go of what it holds: a child whose
   end took long is reaped on cfork's thread, which keeps its pidfd until
   then. expected, or the count after SETTLE_MS. */
static inline int open_fds_settled(int expected)
{
	int n;

	for (int64_t end = now_ms() + SETTLE_MS;
	     (n = count_open_fds()) != expected && now_ms() < end;
	     usleep(1000))
		;
	return n;
}

/* As many fds open as before, once settled; says how many if not. */
#define assert_open_fds_settle_to(before)                                   \
	do {                                                                \
		int before_ = (before), open_ = open_fds_settled(before_);  \
		cr_assert_eq(open_, before_, "%d fds open, %d before", open_, \
			     before_);                                      \
	} while (0)

/* Whether this process has any child, running or zombie, now. */
static inline bool has_children_now(void)
{
	siginfo_t si;

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
}

/* Whether this process has any child left, running or zombie, once cfork's
   reaper has had the time to reap one whose end was slow (a killed child
   that a busy machine ends late: cfork_free(3)). */
static inline bool has_children(void)
{
	for (int64_t end = now_ms() + SETTLE_MS; has_children_now();
	     usleep(1000))
		if (now_ms() > end)
			return true;
	return false;
}

/* The children of every thread of this process, running or zombie: a
   pool's are its refill thread's. */
static inline size_t children_of_any_thread(void)
{
	char path[300];
	size_t n = 0;
	long c;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
			 e->d_name);
		FILE *f = fopen(path, "re");
		while (f && fscanf(f, "%ld", &c) == 1)
			n++;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* Lines of /proc/self/maps: a leaked mapping shows here. */
static inline int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* A writable cgroup2 mount: its path and its root in the hierarchy. */
static inline bool find_cgroup2(char *mnt, size_t mnt_cap, char *root,
				size_t root_cap)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char r[256], m[256], type[64];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep + 3, "%63s", type) != 1 ||
		    strcmp(type, "cgroup2") ||
		    sscanf(line, "%*d %*d %*s %255s %255s", r, m) != 2 ||
		    access(m, W_OK) < 0)
			continue;
		snprintf(mnt, mnt_cap, "%s", m);
		snprintf(root, root_cap, "%s", r);
		found = true;
	}
	fclose(f);
	return found;
}

#endif
