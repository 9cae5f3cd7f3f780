/* SPDX-License-Identifier: MIT */
/*
 * The SIGSYS handler of a sandboxed child: async-signal context. It names
 * the blocked call to the parent (one frame, wire.h) and on stderr, then
 * makes the call again (arch/<arch>/sigsys.h), which the kernel ends with a
 * forced SIGSYS: SA_RESETHAND has put SIGSYS back to its default and the
 * handler runs with it blocked, so even a pid namespace's init (the child
 * under CFORK_NS_PID), which a kill() to itself would not end, dies.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "compat.h"
#include "sigsys.h"
#include "wire.h"

static int sigsys_report_fd = -1;

/* "cfork: sandbox: blocked system call nr N\n" with async-signal-safe
   means only. */
static void say_blocked(int32_t nr)
{
	static const char head[] = "cfork: sandbox: blocked system call nr ";
	char msg[sizeof(head) + 16], digits[12];
	size_t n = sizeof(head) - 1, d = 0;
	uint32_t v = (uint32_t)nr;

	memcpy(msg, head, n);
	do
		digits[d++] = (char)('0' + v % 10);
	while ((v /= 10) && d < sizeof(digits));
	while (d)
		msg[n++] = digits[--d];
	msg[n++] = '\n';
	(void)!write(STDERR_FILENO, msg, n);
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	if (si->si_code == SYS_SECCOMP) {
		/* One write of a small frame: one message of the stream
		   socket, never split, without the report lock, which this
		   thread may hold. */
		struct {
			struct report_head head;
			int32_t nr;
			uint32_t arch;
		} frame = { report_head(REPORT_BLOCKED, 8), si->si_syscall,
			    si->si_arch };
		(void)!write(sigsys_report_fd, &frame, sizeof(frame));
		say_blocked(si->si_syscall);
		arch_retrap(si, ctx);
		/* Not reached unless the filter changed its mind. */
		_exit(CFORK_EXIT_SANDBOX);
	}
	/* Sent by someone: the default action, once the handler returns. */
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGSYS);
}

int sigsys_install(int report_fd)
{
	struct sigaction sa = { .sa_flags = SA_SIGINFO | SA_RESETHAND };

	sigsys_report_fd = report_fd;
	sa.sa_sigaction = on_sigsys;
	sigfillset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}
