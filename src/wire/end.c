/* SPDX-License-Identifier: MIT */
/*
 * How a process ended, as told on a status channel (layout: wire.h) by a
 * pid namespace's init or a fork server, which reaped it where the parent
 * could not. The parent checks the record before it believes a word.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "wire.h"

struct pidns_end pidns_end_encode(int wstatus, const struct rusage *ru)
{
	struct pidns_end end = { .magic = PIDNS_END_MAGIC, .rusage = *ru };

	if (WIFEXITED(wstatus)) {
		end.how = CLD_EXITED;
		end.status = WEXITSTATUS(wstatus);
	} else {
		end.how = WCOREDUMP(wstatus) ? CLD_DUMPED : CLD_KILLED;
		end.status = WTERMSIG(wstatus);
	}
	return end;
}

bool pidns_end_valid(const struct pidns_end *end, size_t len)
{
	return len == sizeof(*end) &&
	       memcmp(end->magic, PIDNS_END_MAGIC, sizeof(end->magic)) == 0 &&
	       (end->how == CLD_EXITED || end->how == CLD_KILLED ||
		end->how == CLD_DUMPED);
}
