/* SPDX-License-Identifier: MIT */
/*
 * cfork_wait(): the blocking loop around proc_step(). It sleeps in poll(2)
 * on the pidfd and the report channel together, so that a child that sends
 * more than the channel holds is read while it runs, and its exit wakes
 * the waiter once (the handle holds the child's end until the reaping,
 * so the hang-up does not come first). No SIGCHLD handler, no global state.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "common.h"
#include "parent.h"

/* Without a pidfd there is nothing to poll for the exit: look this often. */
#define PID_ONLY_POLL_MS 5

int cfork_wait(cfork_proc *p, int timeout_ms, cfork_status *st)
{
	PROTECT_ERRNO;
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;

	if (!p || !st || timeout_ms < -1)
		return -EINVAL;
	for (;;) {
		int r = proc_step(p, st);
		if (r != -EAGAIN)
			return r;

		int wait_ms = -1;
		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait_ms = (int)left;
		}
		struct pollfd fds[PROC_POLL_FDS];
		proc_poll_fds(p, fds);
		if (fds[0].fd < 0 && (wait_ms < 0 || wait_ms > PID_ONLY_POLL_MS))
			wait_ms = PID_ONLY_POLL_MS;
		/* A negative fd is ignored by poll: a closed channel or a
		   pid-only handle. */
		if (poll(fds, PROC_POLL_FDS, wait_ms) < 0 && errno != EINTR)
			return -errno;
	}
}
