/* SPDX-License-Identifier: MIT */
/* What the test files share: leak counters and small child-process tools. */
#ifndef CFORK_TEST_HELPERS_H
#define CFORK_TEST_HELPERS_H

#include <cfork.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* Every test runs in its own Criterion worker, under this timeout. ASan
   makes every spawn several times slower, and two tests run at once. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_TIMEOUT 120
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_TIMEOUT 120
#endif
#endif
#ifndef TEST_TIMEOUT
#define TEST_TIMEOUT 30
#endif

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

/* Whether this process has any child left, running or zombie. */
static inline bool has_children(void)
{
	siginfo_t si;

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
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

#endif
