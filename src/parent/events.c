/* SPDX-License-Identifier: MIT */
/*
 * For event loops and for many children at once: cfork_wait_any(), built on
 * the same non-blocking step as cfork_wait(). cfork_proc_fd() (proc.c) gives
 * a loop one fd per child to watch.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "common.h"
#include "parent.h"

/* Without pidfds a child's exit cannot be polled for: look this often. */
#define PID_ONLY_POLL_MS 5

int cfork_wait_any(cfork_proc *const *procs, size_t n, int timeout_ms,
		   size_t *ret_index, cfork_status *st)
{
	PROTECT_ERRNO;
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	struct pollfd *fds;
	int r = 0;

	if (!procs || !n || !ret_index || !st || timeout_ms < -1 ||
	    n > INT32_MAX / PROC_POLL_FDS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!procs[i])
			return -EINVAL;
	fds = malloc(n * PROC_POLL_FDS * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (bool first = true;; first = false) {
		bool pid_only = false;

		/* Every child poll found ready is stepped (every child, the
		   first time round), so that none blocks on a full channel while
		   another is waited for. The first to have ended, in the
		   caller's order, is the answer. */
		for (size_t i = 0; i < n; i++) {
			struct pollfd *f = fds + i * PROC_POLL_FDS;
			bool ready = first || f[0].fd < 0;
			for (int k = 0; k < PROC_POLL_FDS && !ready; k++)
				ready = f[k].revents;
			if (ready) {
				r = proc_step(procs[i], st);
				if (r != -EAGAIN) {
					/* Its status, or which failed. */
					*ret_index = i;
					goto out;
				}
			}
			proc_poll_fds(procs[i], f);
			pid_only |= f[0].fd < 0;
		}
		int wait_ms = -1;
		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				r = -ETIMEDOUT;
				goto out;
			}
			wait_ms = (int)left;
		}
		if (pid_only && (wait_ms < 0 || wait_ms > PID_ONLY_POLL_MS))
			wait_ms = PID_ONLY_POLL_MS;
		if (poll(fds, (nfds_t)(n * PROC_POLL_FDS), wait_ms) < 0 &&
		    errno != EINTR) {
			r = -errno;
			goto out;
		}
	}
out:
	free(fds);
	return r;
}
