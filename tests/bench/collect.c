/* SPDX-License-Identifier: MIT */
/*
 * What collecting N finished children costs, by method: N children are
 * spawned and held at a barrier (a pipe they all read), released at once,
 * and the clock runs from the release until the last status is in. Each
 * child returns 4 KiB. Methods, interleaved round by round in one process:
 *
 *   wait        cfork_wait(p, -1) on each in turn
 *   wait_any    cfork_wait_any() over those left
 *   epoll       one epoll of every cfork_proc_fd(), cfork_wait(p, 0) on
 *               readiness
 *   io_uring    IORING_OP_POLL_ADD of every cfork_proc_fd() in one
 *               submission, cfork_wait(p, 0) per completion, re-armed
 *               while a child runs
 *
 * IORING_OP_WAITID (Linux 6.7) would reap the children itself, behind the
 * handle's back: the handle's status (result, report, rusage) comes from
 * its own waitid, so it is not a method a cfork user can take.
 *
 *   collect [-n ROUNDS]
 */
#include <cfork.h>
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "timing.h"

#define RESULT 4096

static int collect_child(const cfork_args *a)
{
	static char buf[RESULT];
	char byte;

	/* The barrier: end of file once the parent closes its write end. */
	while (read(cfork_arg_fd(a, 0), &byte, 1) > 0)
		;
	return cfork_return(buf, sizeof(buf)) < 0;
}
CFORK_REGISTER(collect_child, "f");

enum { M_WAIT, M_WAIT_ANY, M_EPOLL, M_URING, NMETHODS };
static const char *const method_name[NMETHODS] = {
	"wait", "wait_any", "epoll", "io_uring",
};

static void fail(const char *what, int r)
{
	fprintf(stderr, "collect: %s: %s\n", what, strerror(-r));
	exit(1);
}

static void check(const cfork_status *st)
{
	if (!st->exited || st->code || st->result_len != RESULT)
		fail("a child's status", -EPROTO);
}

static void by_wait(cfork_proc **p, size_t n)
{
	cfork_status st;

	for (size_t i = 0; i < n; i++) {
		int r = cfork_wait(p[i], -1, &st);
		if (r < 0)
			fail("cfork_wait", r);
		check(&st);
	}
}

static void by_wait_any(cfork_proc **p, size_t n)
{
	cfork_proc **left = malloc(n * sizeof(*left));
	cfork_status st;
	size_t index;

	memcpy(left, p, n * sizeof(*left));
	while (n) {
		int r = cfork_wait_any(left, n, -1, &index, &st);
		if (r < 0)
			fail("cfork_wait_any", r);
		check(&st);
		left[index] = left[--n];
	}
	free(left);
}

static void by_epoll(cfork_proc **p, size_t n)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	size_t left = n;
	cfork_status st;

	for (size_t i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cfork_proc_fd(p[i]), &ev) < 0)
			fail("epoll_ctl", -errno);
	}
	while (left) {
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, -1);
		for (int j = 0; j < k; j++) {
			cfork_proc *q = p[evs[j].data.u64];
			int r = cfork_wait(q, 0, &st);
			if (r == -ETIMEDOUT)
				continue;
			if (r < 0)
				fail("cfork_wait", r);
			check(&st);
			epoll_ctl(ep, EPOLL_CTL_DEL, cfork_proc_fd(q), NULL);
			left--;
		}
	}
	close(ep);
}

static void arm(struct io_uring *ring, cfork_proc *q, size_t i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	io_uring_prep_poll_add(sqe, cfork_proc_fd(q), POLLIN);
	io_uring_sqe_set_data64(sqe, i);
}

static void by_uring(struct io_uring *ring, cfork_proc **p, size_t n)
{
	size_t left = n;
	cfork_status st;

	for (size_t i = 0; i < n; i++)
		arm(ring, p[i], i);
	io_uring_submit(ring);
	while (left) {
		struct io_uring_cqe *cqe;
		int r = io_uring_wait_cqe(ring, &cqe);
		if (r < 0)
			fail("io_uring_wait_cqe", r);
		size_t i = io_uring_cqe_get_data64(cqe);
		io_uring_cqe_seen(ring, cqe);
		r = cfork_wait(p[i], 0, &st);
		if (r == -ETIMEDOUT) {
			arm(ring, p[i], i);
			io_uring_submit(ring);
			continue;
		}
		if (r < 0)
			fail("cfork_wait", r);
		check(&st);
		left--;
	}
}

/* One round: spawn n held children, release them, collect; µs. */
static double round_us(int method, size_t n, struct io_uring *ring)
{
	cfork_proc **p = calloc(n, sizeof(*p));
	int barrier[2];
	double t0, t;

	if (!p || pipe2(barrier, O_CLOEXEC) < 0)
		fail("setup", -errno);
	for (size_t i = 0; i < n; i++) {
		int r = cfork_spawn(&p[i], NULL, "collect_child",
				    cfork_fd(barrier[0]));
		if (r < 0)
			fail("cfork_spawn", r);
		if (method != M_WAIT && method != M_WAIT_ANY &&
		    cfork_proc_fd(p[i]) < 0)
			fail("cfork_proc_fd", -EMFILE);
	}
	close(barrier[0]);
	t0 = now_us();
	close(barrier[1]);
	switch (method) {
	case M_WAIT: by_wait(p, n); break;
	case M_WAIT_ANY: by_wait_any(p, n); break;
	case M_EPOLL: by_epoll(p, n); break;
	default: by_uring(ring, p, n); break;
	}
	t = now_us() - t0;
	for (size_t i = 0; i < n; i++)
		cfork_free(p[i]);
	free(p);
	return t;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 1, 16, 64 };
	int rounds = 30;
	struct io_uring ring;
	bool uring;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			rounds = atoi(argv[++i]);
	if (rounds < 1 || cfork_init() < 0)
		return 1;
	uring = io_uring_queue_init(256, &ring, 0) == 0;
	if (!uring)
		printf("io_uring refused here: that column is left out\n");

	printf("collecting N children that each return 4 KiB, from their "
	       "release to the last status; median of %d rounds, µs\n",
	       rounds);
	printf("%6s", "N");
	for (int m = 0; m < NMETHODS; m++)
		printf(" %10s", method_name[m]);
	printf("\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
		double *us[NMETHODS];
		for (int m = 0; m < NMETHODS; m++)
			us[m] = calloc((size_t)rounds, sizeof(double));
		for (int r = 0; r < rounds; r++)
			for (int k = 0; k < NMETHODS; k++) {
				/* A new order each round. */
				int m = (k + r) % NMETHODS;
				if (m == M_URING && !uring)
					continue;
				us[m][r] = round_us(m, sizes[s], &ring);
			}
		printf("%6zu", sizes[s]);
		for (int m = 0; m < NMETHODS; m++) {
			if (m == M_URING && !uring) {
				printf(" %10s", "-");
				continue;
			}
			qsort(us[m], (size_t)rounds, sizeof(double),
			      cmp_double);
			printf(" %10.0f", us[m][rounds / 2]);
			free(us[m]);
		}
		printf("\n");
	}
	if (uring)
		io_uring_queue_exit(&ring);
	return 0;
}
