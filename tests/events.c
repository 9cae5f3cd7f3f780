/* SPDX-License-Identifier: MIT */
/*
 * Event loops: one fd per child (cfork_proc_fd), a step that never blocks
 * (cfork_wait with timeout 0), and many children at once (cfork_wait_any),
 * whatever the children write.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(events, .timeout = TEST_TIMEOUT);

/* n bytes of result, each (i * 7 + seed) & 0xff. */
static int events_result(const cfork_args *a)
{
	size_t n = (size_t)cfork_arg_i64(a, 0);
	unsigned seed = (unsigned)cfork_arg_i64(a, 1);
	unsigned char *buf = malloc(n ? n : 1);

	if (!buf)
		return 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + seed);
	int r = cfork_return(buf, n);
	free(buf);
	return r < 0 ? 2 : 0;
}
CFORK_REGISTER(events_result, "ii");

/* Writes results without end. */
static int events_flood(const cfork_args *a)
{
	static char buf[65536];

	(void)a;
	for (;;)
		if (cfork_return(buf, sizeof(buf)) < 0)
			return 1;
	return 0;
}
CFORK_REGISTER(events_flood, "");

static int events_sleep(const cfork_args *a)
{
	struct timespec ts = { cfork_arg_i64(a, 0) / 1000,
			       (cfork_arg_i64(a, 0) % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return (int)cfork_arg_i64(a, 1);
}
CFORK_REGISTER(events_sleep, "ii");

static bool result_is(const cfork_status *st, size_t n, unsigned seed)
{
	const unsigned char *b = st->result;

	if (st->result_len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(i * 7 + seed))
			return false;
	return true;
}

/*
 * The epoll service of the issue: up to 16 children in flight, 64 jobs,
 * 300 KiB of result each (more than a pipe holds), never a blocking call.
 */
static void run_jobs(int jobs, int in_flight, size_t result)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	cfork_proc **procs = calloc((size_t)jobs, sizeof(*procs));
	int started = 0, done = 0, running = 0;

	cr_assert(ep >= 0 && procs);
	while (done < jobs) {
		while (running < in_flight && started < jobs) {
			cfork_proc *p;
			cr_assert_eq(cfork_spawn(&p, NULL, "events_result",
						 (int64_t)result, started), 0);
			int fd = cfork_proc_fd(p);
			cr_assert_geq(fd, 0);
			cr_assert_eq(cfork_proc_fd(p), fd);
			struct epoll_event ev = { .events = EPOLLIN,
						  .data.u32 = (uint32_t)started };
			cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
			procs[started++] = p;
			running++;
		}
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, PROGRESS_WAIT_MS);
		cr_assert_gt(n, 0, "no child made progress in %d ms",
			     PROGRESS_WAIT_MS);
		for (int i = 0; i < n; i++) {
			uint32_t k = evs[i].data.u32;
			cfork_status st;
			int64_t t0 = now_ms();
			int r = cfork_wait(procs[k], 0, &st);
			cr_assert_lt(now_ms() - t0, 1000, "a step blocked");
			if (r == -ETIMEDOUT)
				continue;
			cr_assert_eq(r, 0);
			cr_assert(st.exited && st.code == 0);
			cr_assert(result_is(&st, result, k), "job %u", k);
			cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_DEL,
					       cfork_proc_fd(procs[k]), NULL), 0);
			cfork_free(procs[k]);
			procs[k] = NULL;
			running--;
			done++;
		}
	}
	close(ep);
	free(procs);
}

Test(events, an_epoll_loop_collects_large_results_without_blocking)
{
	int fds = count_open_fds();

	run_jobs(64, 16, 300 << 10);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

Test(events, a_thousand_jobs_leak_nothing)
{
	int fds = count_open_fds();

	run_jobs(1000, 8, 100);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

/* A child that writes without pause: each step returns at once, and the
   child can be ended. */
Test(events, a_flooding_child_cannot_hold_a_step)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.result_max = 1 << 20;
	cr_assert_eq(cfork_spawn(&p, &attr, "events_flood"), 0);
	for (int64_t end = now_ms() + 300; now_ms() < end;) {
		int64_t t0 = now_ms();
		cr_assert_eq(cfork_wait(p, 0, &st), -ETIMEDOUT);
		cr_assert_lt(now_ms() - t0, 1000, "a step blocked");
	}
	cr_assert_eq(cfork_kill(p, SIGKILL), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert_eq(st.reason, CFORK_END_KILLED);
	/* Whatever it managed to send, within the bound. */
	cr_assert_leq(st.result_len, 1 << 20);
	cr_assert(!st.result_truncated || st.result_len == 1 << 20);
	cfork_free(p);
}

/* The child has ended with its result still in the channel: the step
   that reaps it reads it all. */
Test(events, a_child_that_ended_leaves_nothing_behind)
{
	cfork_status st;
	cfork_proc *p;

	cr_assert_eq(cfork_spawn(&p, NULL, "events_result", 60000, 3), 0);
	/* Wait for the exit without reading, through the pidfd alone. */
	struct pollfd pfd = { .fd = cfork_pidfd(p), .events = POLLIN };
	if (pfd.fd >= 0)
		cr_assert_eq(poll(&pfd, 1, WAIT_MS), 1);
	else
		usleep(500000);
	int r;
	while ((r = cfork_wait(p, 0, &st)) == -ETIMEDOUT)
		usleep(1000);
	cr_assert_eq(r, 0);
	cr_assert(result_is(&st, 60000, 3));
	cfork_free(p);
}

static bool polls_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/* Once cfork_wait() has the status, an event loop hears nothing more of
   the handle: its fd made before the end, and one made after. */
static void proc_fd_goes_quiet(cfork_pool *pool)
{
	cfork_status st;
	cfork_proc *p, *q;

	for (int i = 0; i < 2; i++) {
		cr_assert_eq(pool ? cfork_pool_spawn(pool, &p, "events_sleep",
						     0, 7) :
				    cfork_spawn(&p, NULL, "events_sleep", 0, 7),
			     0);
		cr_assert_eq(pool ? cfork_pool_spawn(pool, &q, "events_sleep",
						     0, 7) :
				    cfork_spawn(&q, NULL, "events_sleep", 0, 7),
			     0);
		int early = cfork_proc_fd(p);
		cr_assert_geq(early, 0);
		cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
		cr_assert(st.exited && st.code == 7);
		cr_assert_not(polls_readable(early),
			      "the fd made before the end polls readable");
		cr_assert_eq(cfork_wait(q, WAIT_MS, &st), 0);
		int late = cfork_proc_fd(q);
		cr_assert_geq(late, 0);
		cr_assert_not(polls_readable(late),
			      "the fd made after the end polls readable");
		cfork_free(p);
		cfork_free(q);
	}
}

Test(events, a_proc_fd_is_quiet_once_the_status_is_taken)
{
	static const unsigned modes[] = { CFORK_POOL_EXEC, CFORK_POOL_FORK };

	proc_fd_goes_quiet(NULL);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		cfork_pool *pool;
		cr_assert_eq(cfork_pool_new(&pool, NULL, 2, modes[m]), 0);
		proc_fd_goes_quiet(pool);
		cfork_pool_free(pool);
	}
}

Test(events, wait_any_returns_the_first_to_end)
{
	cfork_proc *p[3];
	/* Far apart: under emulation (arm64 in qemu) a spawn alone can take
	   hundreds of ms, and the order must be the sleeps', not the
	   launches'. */
	const int64_t ms[3] = { 3000, 100, 1500 };
	cfork_status st;
	size_t index = 99;

	for (int i = 0; i < 3; i++)
		cr_assert_eq(cfork_spawn(&p[i], NULL, "events_sleep", ms[i],
					 10 + i), 0);
	cr_assert_eq(cfork_wait_any(p, 3, 0, &index, &st), -ETIMEDOUT);
	cr_assert_eq(index, 99);
	cr_assert_eq(cfork_wait_any(p, 3, WAIT_MS, &index, &st), 0);
	cr_assert_eq(index, 1);
	cr_assert_eq(st.code, 11);
	/* Take it out; the next is the 1500 ms one. */
	cfork_proc *rest[2] = { p[0], p[2] };
	cr_assert_eq(cfork_wait_any(rest, 2, WAIT_MS, &index, &st), 0);
	cr_assert_eq(index, 1);
	cr_assert_eq(st.code, 12);
	cr_assert_eq(cfork_wait_any(rest, 1, WAIT_MS, &index, &st), 0);
	cr_assert_eq(index, 0);
	cr_assert_eq(st.code, 10);
	for (int i = 0; i < 3; i++)
		cfork_free(p[i]);

	cr_assert_eq(cfork_wait_any(NULL, 1, 0, &index, &st), -EINVAL);
	cr_assert_eq(cfork_wait_any(rest, 0, 0, &index, &st), -EINVAL);
}

/* Children that each send more than a pipe holds, collected by
   cfork_wait_any: none may stall another. */
Test(events, wait_any_collects_from_all_meanwhile)
{
	cfork_proc *p[8];
	cfork_status st;
	size_t left = 8, index;

	for (int i = 0; i < 8; i++)
		cr_assert_eq(cfork_spawn(&p[i], NULL, "events_result",
					 256 << 10, i), 0);
	while (left) {
		cr_assert_eq(cfork_wait_any(p, left, WAIT_MS, &index, &st), 0);
		cr_assert(st.exited && st.code == 0);
		cr_assert_eq(st.result_len, 256 << 10);
		cfork_free(p[index]);
		p[index] = p[--left];
	}
	cr_assert_not(has_children());
}

/* Writes n bytes to its stdout. */
static int events_stdout(const cfork_args *a)
{
	static char buf[65536];
	size_t n = (size_t)cfork_arg_i64(a, 0);

	memset(buf, 'x', sizeof(buf));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);
		ssize_t w = write(1, buf, k);
		if (w <= 0)
			return 1;
		done += (size_t)w;
	}
	return 0;
}
CFORK_REGISTER(events_stdout, "i");

/* Captured output more than a pipe holds, read through cfork_proc_fd()
   alone: the fd fires for the output too, or the child would block. */
Test(events, captured_output_flows_through_the_proc_fd)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int r;

	attr.capture = CFORK_CAPTURE_STDOUT;
	cr_assert_eq(cfork_spawn(&p, &attr, "events_stdout", 1 << 20), 0);
	struct pollfd pfd = { .fd = cfork_proc_fd(p), .events = POLLIN };
	cr_assert_geq(pfd.fd, 0);
	while ((r = cfork_wait(p, 0, &st)) == -ETIMEDOUT)
		cr_assert_eq(poll(&pfd, 1, 10000), 1,
			     "the fd did not fire in 10 s");
	cr_assert_eq(r, 0);
	cr_assert(st.exited && st.code == 0);
	cr_assert_eq(st.out_len, (size_t)1 << 20);
	cfork_free(p);
}
