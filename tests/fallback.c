/* SPDX-License-Identifier: MIT */
/*
 * The fallbacks, on a host where every fast path works: a cfork child
 * installs on itself a seccomp filter that answers like a hardened host
 * (Docker's or Podman's default profile, an older one, an old kernel, a
 * kernel without pidfds) and runs ordinary spawns under it. Each check that fails there
 * has its own exit code and says why through cfork_return().
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checking_child.h"

TestSuite(fallback, .timeout = TEST_TIMEOUT);

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x8U
#endif

/* The exit code of a hardened child that could not install its filter. */
#define FALLBACK_SKIP CHECKS_SKIPPED

/* ------------------------------------------------------------------------ */
/* The functions the hardened child spawns                                   */
/* ------------------------------------------------------------------------ */

static int fallback_typed(const cfork_args *a)
{
	if (cfork_arg_i64(a, 0) != -5)
		return 1;
	if (cfork_arg_u64(a, 1) != (uint64_t)1 << 40)
		return 2;
	if (cfork_arg_f64(a, 2) != 2.5)
		return 3;
	if (cfork_arg_bool(a, 3) != true)
		return 4;
	if (strcmp(cfork_arg_str(a, 4), "na\xc3\xafve"))
		return 5;
	return 0;
}
CFORK_REGISTER(fallback_typed, "iudbs");

static int fallback_result(const cfork_args *a)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "result %lld",
			 (long long)cfork_arg_i64(a, 0));

	return cfork_return(text, (size_t)n) ? 1 : 0;
}
CFORK_REGISTER(fallback_result, "i");

static int fallback_exit(const cfork_args *a)
{
	return (int)cfork_arg_i64(a, 0);
}
CFORK_REGISTER(fallback_exit, "i");

static int fallback_sleep(const cfork_args *a)
{
	int64_t ms = cfork_arg_i64(a, 0);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}
CFORK_REGISTER(fallback_sleep, "i");

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

static int fallback_hash_bytes(const cfork_args *a)
{
	size_t len;
	const void *data = cfork_arg_bytes(a, 0, &len);
	uint64_t h = fnv1a(data, len);

	if (cfork_return(&len, sizeof(len)) || cfork_return(&h, sizeof(h)))
		return 1;
	return 0;
}
CFORK_REGISTER(fallback_hash_bytes, "y");

static int fallback_cgroup_of(const cfork_args *a)
{
	char buf[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	(void)a;
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return 2;
	return cfork_return(buf, (size_t)n) ? 3 : 0;
}
CFORK_REGISTER(fallback_cgroup_of, "");

/* ------------------------------------------------------------------------ */
/* The hardened child                                                        */
/* ------------------------------------------------------------------------ */

enum profile {
	DOCKER,		/* clone3 -> ENOSYS, io_uring -> EPERM */
	PODMAN,		/* io_uring -> ENOSYS */
	OLD_PROFILE,	/* clone3 -> EPERM */
	OLD_MEMFD,	/* memfd_create(MFD_NOEXEC_SEAL) -> EINVAL */
	NO_PIDFD,	/* no clone3, no CLONE_PIDFD, no pidfd_open */
	NO_PIDFD_SIGNAL, /* pidfd_send_signal -> ENOSYS (valgrind too) */
	PIDFD_SIGNAL_EPERM, /* pidfd_send_signal -> EPERM (a seccomp profile) */
	NO_WAITID_PIDFD, /* waitid(P_PIDFD) -> EINVAL (Linux 5.3: pidfds,
			    no P_PIDFD) */
};

/* Fails the check: exit code and text for the parent. */
static int fail(int code, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cfork_return(text, n < 0 ? 0 : strnlen(text, sizeof(text)));
	return code;
}

static int deny_io_uring(scmp_filter_ctx ctx, int err)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err),
				 SCMP_SYS(io_uring_setup), 0);

	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err),
				     SCMP_SYS(io_uring_enter), 0);
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err),
				     SCMP_SYS(io_uring_register), 0);
	return r;
}

/* 0, or FALLBACK_SKIP with the reason sent. */
static int install_profile(enum profile which)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = 0;

	if (!ctx)
		return fail(FALLBACK_SKIP, "seccomp_init failed");
	switch (which) {
	case DOCKER:
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(clone3), 0);
		if (!r)
			r = deny_io_uring(ctx, EPERM);
		break;
	case PODMAN:
		r = deny_io_uring(ctx, ENOSYS);
		break;
	case OLD_PROFILE:
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(clone3), 0);
		break;
	case OLD_MEMFD:
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL),
				     SCMP_SYS(memfd_create), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, MFD_NOEXEC_SEAL,
					     MFD_NOEXEC_SEAL));
		break;
	case NO_PIDFD:
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(clone3), 0);
		if (!r)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL),
					     SCMP_SYS(clone), 1,
					     SCMP_A0(SCMP_CMP_MASKED_EQ,
						     CLONE_PIDFD, CLONE_PIDFD));
		if (!r)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
					     SCMP_SYS(pidfd_open), 0);
		break;
	case NO_PIDFD_SIGNAL:
	case PIDFD_SIGNAL_EPERM:
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(which == NO_PIDFD_SIGNAL ?
							 ENOSYS : EPERM),
				     SCMP_SYS(pidfd_send_signal), 0);
		break;
	case NO_WAITID_PIDFD:
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL),
				     SCMP_SYS(waitid), 1,
				     SCMP_A0(SCMP_CMP_EQ, P_PIDFD, 0));
		break;
	}
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r)
		return fail(FALLBACK_SKIP, "seccomp: %s", strerror(-r));
	return 0;
}

/* The filter answers as intended, or the test would prove nothing. */
static int check_profile(enum profile which)
{
	long r;
	int fd;

	switch (which) {
	case DOCKER:
	case OLD_PROFILE:
		r = syscall(SYS_clone3, NULL, 0);
		if (r != -1 || errno != (which == DOCKER ? ENOSYS : EPERM))
			return fail(90, "clone3 answered %ld, errno %d", r,
				    errno);
		if (which == OLD_PROFILE)
			break;
		/* fall through */
	case PODMAN:
		r = syscall(SYS_io_uring_setup, 1, NULL);
		if (r != -1 || errno != (which == DOCKER ? EPERM : ENOSYS))
			return fail(92, "io_uring_setup answered %ld, errno %d",
				    r, errno);
		break;
	case OLD_MEMFD:
		fd = memfd_create("probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
		if (fd >= 0 || errno != EINVAL)
			return fail(90, "memfd_create answered %d, errno %d",
				    fd, errno);
		fd = memfd_create("probe", MFD_CLOEXEC);
		if (fd < 0)
			return fail(91, "plain memfd_create: %s",
				    strerror(errno));
		close(fd);
		break;
	case NO_PIDFD:
		r = syscall(SYS_pidfd_open, getpid(), 0);
		if (r != -1 || errno != ENOSYS)
			return fail(90, "pidfd_open answered %ld, errno %d",
				    r, errno);
		r = syscall(SYS_clone3, NULL, 0);
		if (r != -1 || errno != ENOSYS)
			return fail(91, "clone3 answered %ld, errno %d", r,
				    errno);
		break;
	case NO_PIDFD_SIGNAL:
	case PIDFD_SIGNAL_EPERM:
		r = syscall(SYS_pidfd_send_signal, -1, 0, NULL, 0);
		if (r != -1 ||
		    errno != (which == NO_PIDFD_SIGNAL ? ENOSYS : EPERM))
			return fail(90, "pidfd_send_signal answered %ld, "
				    "errno %d", r, errno);
		break;
	case NO_WAITID_PIDFD: {
		siginfo_t si;
		fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
		if (fd < 0)
			return fail(FALLBACK_SKIP, "pidfd_open: %s",
				    strerror(errno));
		/* ECHILD where P_PIDFD is known: this is nobody's child. */
		r = waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG);
		close(fd);
		if (r != -1 || errno != EINVAL)
			return fail(90, "waitid(P_PIDFD) answered %ld, errno %d",
				    r, errno);
		break;
	}
	}
	return 0;
}

struct expect {
	unsigned have, lack;	/* CFORK_PATH_* */
};

static const struct expect expected[] = {
	[DOCKER] = { CFORK_PATH_PIDFD | CFORK_PATH_NOEXEC_SEAL,
		     CFORK_PATH_CLONE3 | CFORK_PATH_URING },
	[PODMAN] = { CFORK_PATH_CLONE3 | CFORK_PATH_PIDFD |
		     CFORK_PATH_NOEXEC_SEAL, CFORK_PATH_URING },
	[OLD_PROFILE] = { CFORK_PATH_PIDFD | CFORK_PATH_NOEXEC_SEAL,
			  CFORK_PATH_CLONE3 },
	[OLD_MEMFD] = { CFORK_PATH_CLONE3 | CFORK_PATH_PIDFD,
			CFORK_PATH_NOEXEC_SEAL },
	[NO_PIDFD] = { CFORK_PATH_NOEXEC_SEAL,
		       CFORK_PATH_CLONE3 | CFORK_PATH_PIDFD },
	[NO_PIDFD_SIGNAL] = { CFORK_PATH_CLONE3 | CFORK_PATH_PIDFD |
			      CFORK_PATH_NOEXEC_SEAL, 0 },
	[PIDFD_SIGNAL_EPERM] = { CFORK_PATH_CLONE3 | CFORK_PATH_PIDFD |
				 CFORK_PATH_NOEXEC_SEAL, 0 },
	[NO_WAITID_PIDFD] = { CFORK_PATH_CLONE3 | CFORK_PATH_PIDFD |
			      CFORK_PATH_NOEXEC_SEAL, 0 },
};

/* MFD_NOEXEC_SEAL came with Linux 6.3: on an older kernel (Debian 12's
   6.1) every profile sends its payload in a plain sealed memfd, as
   OLD_MEMFD makes it. Asked before the profile's filter, which fakes that
   refusal for OLD_MEMFD. */
static bool kernel_has_noexec_seal;

static bool probe_noexec_seal(void)
{
	int fd = memfd_create("probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int check_handle(enum profile which, cfork_proc *p, int code,
			const char *what)
{
	unsigned paths = cfork_paths(p);
	const struct expect *e = &expected[which];
	unsigned have = e->have, lack = e->lack;

	if (!kernel_has_noexec_seal) {
		have &= ~(unsigned)CFORK_PATH_NOEXEC_SEAL;
		lack |= CFORK_PATH_NOEXEC_SEAL;
	}
	if ((paths & have) != have || (paths & lack))
		return fail(code, "%s: paths %#x, want %#x and not %#x", what,
			    paths, have, lack);
	if ((lack & CFORK_PATH_PIDFD) ? cfork_pidfd(p) != -1 :
					   cfork_pidfd(p) < 0)
		return fail(code + 1, "%s: pidfd %d", what, cfork_pidfd(p));
	return 0;
}

static int check_exit(const cfork_status *st, int want, int code,
		      const char *what)
{
	if (!st->exited || st->code != want || st->error)
		return fail(code, "%s: exited %d code %d signal %d error %s",
			    what, st->exited, st->code, st->signal,
			    st->error ? st->error : "none");
	return 0;
}

/* Where pthread_create uses clone3 and falls back to clone only on ENOSYS
   (glibc 2.34 and later, on x86_64), no cfork thread can start under a
   profile that refuses clone3 with EPERM: the watchdog neither. */
static bool deadlines_here(enum profile which)
{
	return which != OLD_PROFILE;
}

/* A call that outlives its deadline is killed by it, whatever can signal
   on this host. */
static int check_deadline(cfork_proc *p, int code, const char *what)
{
	cfork_status st;
	int r = cfork_wait(p, 10000, &st);

	if (r)
		return fail(code, "%s: deadline: wait: %s", what,
			    strerror(-r));
	if (st.exited || st.signal != SIGKILL ||
	    st.reason != CFORK_END_DEADLINE)
		return fail(code, "%s: deadline: exited %d code %d signal %d "
			    "reason %d", what, st.exited, st.code, st.signal,
			    (int)st.reason);
	cfork_free(p);
	return 0;
}

/* The ordinary spawns, each check with its codes. */
static int run_spawns(enum profile which)
{
	static unsigned char big[1 << 20];
	int fds = count_open_fds(), r;
	cfork_status st;
	cfork_proc *p;
	uint64_t want_hash;
	size_t len;
	char *huge;

	r = cfork_spawn(&p, NULL, "fallback_typed", -5, (uint64_t)1 << 40, 2.5,
			true, "na\xc3\xafve");
	if (r)
		return fail(10, "typed: spawn: %s", strerror(-r));
	if ((r = check_handle(which, p, 11, "typed")))
		return r;
	if ((r = cfork_wait(p, 10000, &st)))
		return fail(13, "typed: wait: %s", strerror(-r));
	if ((r = check_exit(&st, 0, 14, "typed")))
		return r;
	cfork_free(p);

	r = cfork_spawn(&p, NULL, "fallback_result", 1234);
	if (r)
		return fail(20, "result: spawn: %s", strerror(-r));
	if ((r = check_handle(which, p, 21, "result")))
		return r;
	if ((r = cfork_wait(p, 10000, &st)))
		return fail(23, "result: wait: %s", strerror(-r));
	if ((r = check_exit(&st, 0, 24, "result")))
		return r;
	if (st.result_len != 11 || memcmp(st.result, "result 1234", 11))
		return fail(25, "result: %zu bytes: %.*s", st.result_len,
			    (int)st.result_len, (const char *)st.result);
	cfork_free(p);

	r = cfork_spawn(&p, NULL, "fallback_sleep", 10000);
	if (r)
		return fail(30, "timeout: spawn: %s", strerror(-r));
	if ((r = check_handle(which, p, 31, "timeout")))
		return r;
	if ((r = cfork_wait(p, 50, &st)) != -ETIMEDOUT)
		return fail(33, "timeout: wait(50) answered %d", r);
	if ((r = cfork_kill(p, SIGKILL)))
		return fail(34, "timeout: kill: %s", strerror(-r));
	if ((r = cfork_wait(p, 5000, &st)))
		return fail(35, "timeout: wait after kill: %s", strerror(-r));
	if (st.exited || st.signal != SIGKILL)
		return fail(36, "timeout: exited %d code %d signal %d",
			    st.exited, st.code, st.signal);
	if ((r = cfork_kill(p, SIGKILL)) != -ESRCH)
		return fail(37, "timeout: kill after reaping: %d", r);
	cfork_free(p);

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + (i >> 11));
	want_hash = fnv1a(big, sizeof(big));
	r = cfork_spawn(&p, NULL, "fallback_hash_bytes",
			cfork_bytes(big, sizeof(big)));
	if (r)
		return fail(40, "bytes: spawn: %s", strerror(-r));
	if ((r = check_handle(which, p, 41, "bytes")))
		return r;
	if ((r = cfork_wait(p, 10000, &st)))
		return fail(43, "bytes: wait: %s", strerror(-r));
	if ((r = check_exit(&st, 0, 44, "bytes")))
		return r;
	if (st.result_len != 16)
		return fail(45, "bytes: %zu result bytes", st.result_len);
	memcpy(&len, st.result, sizeof(len));
	if (len != sizeof(big) ||
	    memcmp((const char *)st.result + 8, &want_hash, 8))
		return fail(46, "bytes: the child saw %zu other bytes", len);
	cfork_free(p);

	if ((r = cfork("fallback_exit", 42)) != 42)
		return fail(50, "cfork(): %d", r);

	r = cfork_spawn(&p, NULL, "fallback_sleep", 10000);
	if (r)
		return fail(60, "free: spawn: %s", strerror(-r));
	cfork_free(p);
	if (has_children())
		return fail(61, "free: the running child was not reaped");

	cfork_attr attr = CFORK_ATTR_INIT;
	attr.deadline_ms = 100;
	r = cfork_spawn(&p, &attr, "fallback_sleep", 20000);
	if (r && !(r == -EPERM && !deadlines_here(which)))
		return fail(62, "deadline: spawn: %s", strerror(-r));
	if (!r && (r = check_deadline(p, 63, "spawn")))
		return r;

	/* An exec failure is an error from the spawn on this path too. */
	len = 3u << 20;
	huge = malloc(len + 1);
	if (!huge)
		return fail(70, "out of memory");
	memset(huge, 'x', len);
	huge[len] = '\0';
	setenv("CFORK_FALLBACK_BIG", huge, 1);
	free(huge);
	p = NULL;
	r = cfork_spawn(&p, NULL, "fallback_exit", 0);
	unsetenv("CFORK_FALLBACK_BIG");
	if (r != -E2BIG || p)
		return fail(71, "exec failure: spawn answered %d", r);
	if (has_children())
		return fail(72, "exec failure: a child is left");

	if (count_open_fds() != fds)
		return fail(80, "fds: %d before, %d after", fds,
			    count_open_fds());
	if (has_children())
		return fail(81, "a child is left");
	return 0;
}

/* Both warm-start modes on this host: a pool child and a fork server's
   child are launched by the same code, so they take the same fallbacks. */
static int run_pools(enum profile which)
{
	static const unsigned modes[] = { CFORK_POOL_EXEC, CFORK_POOL_FORK };
	static unsigned char big[1 << 20];
	int fds = count_open_fds(), r;

	memset(big, 0x5a, sizeof(big));
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		int base = 90 + 3 * (int)m;
		const char *what = m ? "fork server" : "pool";
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_status st;
		cfork_pool *pool;
		cfork_proc *p;
		size_t len;

		/* Counted from each call: ample for the quick ones, even
		   emulated (arm64 under qemu) on a loaded machine. */
		attr.deadline_ms = deadlines_here(which) ? 3000 : 0;
		r = cfork_pool_new(&pool, &attr, 2, modes[m]);
		/* Where pthread_create uses clone3 and falls back to clone
		   only on ENOSYS (glibc 2.34 and later, on x86_64), the
		   refill thread cannot start here: a clear -EPERM. */
		if (which == OLD_PROFILE && modes[m] == CFORK_POOL_EXEC &&
		    r == -EPERM)
			continue;
		if (r)
			return fail(base, "%s: new: %s", what, strerror(-r));
		r = cfork_pool_spawn(pool, &p, "fallback_hash_bytes",
				     cfork_bytes(big, sizeof(big)));
		if (r)
			return fail(base, "%s: spawn: %s", what, strerror(-r));
		if (modes[m] == CFORK_POOL_EXEC &&
		    (r = check_handle(which, p, base + 1, what)))
			return r;
		if ((r = cfork_wait(p, 10000, &st)))
			return fail(base + 1, "%s: wait: %s", what,
				    strerror(-r));
		if ((r = check_exit(&st, 0, base + 1, what)))
			return r;
		memcpy(&len, st.result, sizeof(len));
		if (st.result_len != 16 || len != sizeof(big))
			return fail(base + 1, "%s: the child saw %zu bytes",
				    what, len);
		cfork_free(p);
		if ((r = cfork_pool_spawn(pool, &p, "fallback_exit", 9)) ||
		    (r = cfork_wait(p, 10000, &st)))
			return fail(base + 2, "%s: second call: %s", what,
				    strerror(-r));
		if ((r = check_exit(&st, 9, base + 2, what)))
			return r;
		cfork_free(p);
		/* A fork server's call runs on through the next call, which
		   must not take its server for dead. */
		cfork_proc *running;
		if (modes[m] == CFORK_POOL_FORK &&
		    ((r = cfork_pool_spawn(pool, &running, "fallback_sleep",
					   300)) ||
		     (r = cfork_pool_spawn(pool, &p, "fallback_exit", 9)) ||
		     (r = cfork_wait(p, 10000, &st)) ||
		     (r = check_exit(&st, 9, base + 2, what)) ||
		     (cfork_free(p), r = cfork_wait(running, 10000, &st)) ||
		     (r = check_exit(&st, 0, base + 2, what))))
			return r < 0 ? fail(base + 2, "%s: a call beside "
					    "another: %s", what,
					    strerror(-r)) : r;
		if (modes[m] == CFORK_POOL_FORK)
			cfork_free(running);
		if (deadlines_here(which) &&
		    (r = cfork_pool_spawn(pool, &p, "fallback_sleep", 20000)))
			return fail(base + 2, "%s: deadline: spawn: %s", what,
				    strerror(-r));
		if (deadlines_here(which) &&
		    (r = check_deadline(p, base + 2, what)))
			return r;
		cfork_pool_free(pool);
	}
	int open_after = open_fds_settled(fds);
	if (open_after != fds)
		return fail(96, "pools: fds: %d before, %d after", fds,
			    open_after);
	if (has_children())
		return fail(97, "pools: a child is left");
	return 0;
}

static int hardened(enum profile which)
{
	kernel_has_noexec_seal = probe_noexec_seal();
	int r = install_profile(which);

	if (!r)
		r = check_profile(which);
	if (!r)
		r = run_spawns(which);
	if (!r)
		r = run_pools(which);
	return r;
}

static int fallback_docker(const cfork_args *a)
{
	(void)a;
	return hardened(DOCKER);
}
CFORK_REGISTER(fallback_docker, "");

static int fallback_podman(const cfork_args *a)
{
	(void)a;
	return hardened(PODMAN);
}
CFORK_REGISTER(fallback_podman, "");

static int fallback_old_profile(const cfork_args *a)
{
	(void)a;
	return hardened(OLD_PROFILE);
}
CFORK_REGISTER(fallback_old_profile, "");

static int fallback_old_memfd(const cfork_args *a)
{
	(void)a;
	return hardened(OLD_MEMFD);
}
CFORK_REGISTER(fallback_old_memfd, "");

static int fallback_no_pidfd(const cfork_args *a)
{
	(void)a;
	return hardened(NO_PIDFD);
}
CFORK_REGISTER(fallback_no_pidfd, "");

static int fallback_no_waitid_pidfd(const cfork_args *a)
{
	(void)a;
	return hardened(NO_WAITID_PIDFD);
}
CFORK_REGISTER(fallback_no_waitid_pidfd, "");

static int fallback_no_pidfd_signal(const cfork_args *a)
{
	(void)a;
	return hardened(NO_PIDFD_SIGNAL);
}
CFORK_REGISTER(fallback_no_pidfd_signal, "");

static int fallback_pidfd_signal_eperm(const cfork_args *a)
{
	(void)a;
	return hardened(PIDFD_SIGNAL_EPERM);
}
CFORK_REGISTER(fallback_pidfd_signal_eperm, "");

/* A process that is not this one's child, at pid want (made by a helper
   that exits at once, through ns_last_pid, open as last_pid), alive while
   *life (its pipe) does not hang up; 0 when the pid could not be had
   (taken by another process meanwhile). */
static pid_t stranger_at(int last_pid, pid_t want, int *life)
{
	int found[2], alive[2];
	pid_t helper, got = 0;

	if (pipe2(found, O_CLOEXEC) < 0 || pipe2(alive, O_CLOEXEC) < 0)
		return 0;
	helper = fork();
	if (helper == 0) {
		close(alive[0]);
		for (int tries = 0; tries < 20; tries++) {
			if (dprintf(last_pid, "%d", (int)want - 1) < 0)
				_exit(1);
			pid_t v = fork();
			if (v == 0) {
				for (;;)
					pause();
			}
			if (v == want) {
				ssize_t n = write(found[1], &v, sizeof(v));
				_exit(n == sizeof(v) ? 0 : 1);
			}
			if (v > 0)
				kill(v, SIGKILL);
		}
		_exit(1);
	}
	close(found[1]);
	close(alive[1]);
	if (helper > 0 && read(found[0], &got, sizeof(got)) != sizeof(got))
		got = 0;
	close(found[0]);
	if (helper > 0)
		waitpid(helper, NULL, 0);	/* ECHILD with SIGCHLD ignored */
	if (got)
		*life = alive[0];
	else
		close(alive[0]);
	return got;
}

static bool hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

/* The program reaps cfork's child behind its back (ignore: SIGCHLD
   ignored, else a waitid of its own), and the child's pid goes to another
   process before the deadline: the deadline must not kill that one. */
static int deadline_after_reuse(bool ignore, int code)
{
	const char *how = ignore ? "SIGCHLD ignored" : "reaped by waitid";
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;
	siginfo_t si;
	pid_t pid, stranger;
	int life = -1, r;
	/* Locked: the tests that run alongside this one hand out pids the
	   same way. */
	int last_pid = open("/proc/sys/kernel/ns_last_pid",
			    O_WRONLY | O_CLOEXEC);

	if (last_pid < 0 || flock(last_pid, LOCK_EX) < 0)
		return fail(FALLBACK_SKIP, "ns_last_pid: %s", strerror(errno));
	attr.deadline_ms = 300;
	if (ignore)
		signal(SIGCHLD, SIG_IGN);
	if ((r = cfork_spawn(&p, &attr, "fallback_exit", 0))) {
		close(last_pid);
		return fail(code, "%s: spawn: %s", how, strerror(-r));
	}
	pid = cfork_pid(p);
	if (ignore) {
		while (kill(pid, 0) == 0)
			usleep(1000);
	} else if (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0) {
		close(last_pid);
		return fail(code, "%s: waitid: %s", how, strerror(errno));
	}
	stranger = stranger_at(last_pid, pid, &life);
	if (!stranger) {
		close(last_pid);
		cfork_free(p);
		signal(SIGCHLD, SIG_DFL);
		return fail(FALLBACK_SKIP, "cannot have pid %d again through "
			    "ns_last_pid", (int)pid);
	}
	usleep(600 * 1000);
	bool killed = hung_up(life);
	kill(stranger, SIGKILL);
	close(life);
	close(last_pid);
	cfork_free(p);
	signal(SIGCHLD, SIG_DFL);
	if (killed)
		return fail(code + 1, "%s: the deadline killed pid %d, which "
			    "another process had by then", how, (int)pid);
	return 0;
}

/* Where the kill goes by pid, it goes only to a pid that is still the
   child's: not to the process that has it after a reaping cfork did not
   do. */
static int fallback_pid_reuse(const cfork_args *a)
{
	enum profile which = (enum profile)cfork_arg_i64(a, 0);
	int r = install_profile(which);

	if (!r)
		r = check_profile(which);
	if (!r)
		r = deadline_after_reuse(false, 10);
	if (!r)
		r = deadline_after_reuse(true, 20);
	if (!r && has_children())
		r = fail(30, "a child is left");
	return r;
}
CFORK_REGISTER(fallback_pid_reuse, "i");

/* Starts a child in the cgroup dir (arg 1) under the profile (arg 0) and
   checks that /proc/self/cgroup has the line (arg 2). */
static int fallback_cgroup(const cfork_args *a)
{
	enum profile which = (enum profile)cfork_arg_i64(a, 0);
	const char *line = cfork_arg_str(a, 2);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int r = install_profile(which), fd;

	if (r || (r = check_profile(which)))
		return r;
	fd = open(cfork_arg_str(a, 1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(10, "open %s: %s", cfork_arg_str(a, 1),
			    strerror(errno));
	attr.cgroup_fd = fd;
	r = cfork_spawn(&p, &attr, "fallback_cgroup_of");
	close(fd);
	if (r)
		return fail(11, "spawn: %s", strerror(-r));
	if (cfork_paths(p) & CFORK_PATH_CLONE3)
		return fail(12, "paths %#x: says clone3, which was refused",
			    cfork_paths(p));
	if ((r = cfork_wait(p, 10000, &st)))
		return fail(13, "wait: %s", strerror(-r));
	if ((r = check_exit(&st, 0, 14, "cgroup")))
		return r;
	if (!memmem(st.result, st.result_len, line, strlen(line)))
		return fail(15, "no \"%s\" in:\n%.*s", line,
			    (int)st.result_len, (const char *)st.result);
	cfork_free(p);
	return 0;
}
CFORK_REGISTER(fallback_cgroup, "iss");

/* ------------------------------------------------------------------------ */
/* The tests                                                                 */
/* ------------------------------------------------------------------------ */

Test(fallback, docker_profile_uses_legacy_clone_and_pwritev)
{
	run_checking_child("fallback_docker", NULL, 0);
}

/* The 1 MiB argument is one io_uring would write: pwritev does it here. */
Test(fallback, io_uring_enosys_writes_arguments_with_pwritev)
{
	run_checking_child("fallback_podman", NULL, 0);
}

Test(fallback, clone3_eperm_uses_legacy_clone_with_a_pidfd)
{
	run_checking_child("fallback_old_profile", NULL, 0);
}

Test(fallback, memfd_without_noexec_seal_still_spawns)
{
	run_checking_child("fallback_old_memfd", NULL, 0);
}

Test(fallback, no_pidfd_gives_a_working_pid_only_handle)
{
	run_checking_child("fallback_no_pidfd", NULL, 0);
}

/* Linux 5.3: the waits and a fork server's checks go by pid. */
Test(fallback, no_waitid_pidfd_waits_by_pid)
{
	run_checking_child("fallback_no_waitid_pidfd", NULL, 0);
}

/* Deadlines, kills and frees go by pid, to a child not yet reaped. */
Test(fallback, no_pidfd_signal_still_kills_and_meets_deadlines)
{
	run_checking_child("fallback_no_pidfd_signal", NULL, 0);
}

Test(fallback, pidfd_signal_eperm_still_kills_and_meets_deadlines)
{
	run_checking_child("fallback_pidfd_signal_eperm", NULL, 0);
}

static void deadline_after_pid_reuse(enum profile which)
{
	cfork_value arg = cfork_i64(which);

	run_checking_child("fallback_pid_reuse", &arg, 1);
}

Test(fallback, no_pidfd_deadline_spares_a_reused_pid)
{
	deadline_after_pid_reuse(NO_PIDFD);
}

Test(fallback, no_pidfd_signal_deadline_spares_a_reused_pid)
{
	deadline_after_pid_reuse(NO_PIDFD_SIGNAL);
}

Test(fallback, pidfd_signal_eperm_deadline_spares_a_reused_pid)
{
	deadline_after_pid_reuse(PIDFD_SIGNAL_EPERM);
}

/* Without clone3 there is no CLONE_INTO_CGROUP: the pre-exec child writes
   itself into cgroup.procs. */
static void cgroup_under(enum profile which)
{
	char mnt[256], root[256], dir[600], line[700];
	cfork_value argv[3];

	if (!find_cgroup2(mnt, sizeof(mnt), root, sizeof(root)))
		cr_skip_test("no writable cgroup2 mount");
	snprintf(dir, sizeof(dir), "%s/cfork-fallback-%d", mnt, (int)getpid());
	if (mkdir(dir, 0755) < 0)
		cr_skip_test("cannot create a cgroup under %s: %s", mnt,
			     strerror(errno));
	snprintf(line, sizeof(line), "0::%s/cfork-fallback-%d\n",
		 strcmp(root, "/") ? root : "", (int)getpid());
	argv[0] = cfork_i64(which);
	argv[1] = cfork_str(dir);
	argv[2] = cfork_str(line);

	int fds = count_open_fds();
	cfork_status st;
	cfork_proc *p;
	char text[600] = "";
	int r = cfork_spawnv(&p, NULL, "fallback_cgroup", argv, 3);

	if (r == 0) {
		r = cfork_wait(p, WAIT_MS, &st);
		if (r == 0)
			snprintf(text, sizeof(text), "%.*s%s%s",
				 (int)st.result_len, (const char *)st.result,
				 st.error ? " / " : "",
				 st.error ? st.error : "");
		cfork_free(p);
	}
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(10000);
	cr_expect_neq(access(dir, F_OK), 0, "%s was not removed", dir);
	cr_assert_eq(r, 0, "%d (%s)", r, strerror(-r));
	if (st.exited && st.code == FALLBACK_SKIP)
		cr_skip_test("%s", text);
	cr_assert(st.exited, "the hardened child died of signal %d",
		  st.signal);
	cr_assert_eq(st.code, 0, "check %d failed: %s", st.code, text);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

Test(fallback, cgroup_fd_without_clone3_joins_through_cgroup_procs)
{
	cgroup_under(DOCKER);
}

/* clone3 refused with EPERM while a cgroup is asked for: the legacy path
   runs and the handle must say so. */
Test(fallback, cgroup_fd_with_clone3_eperm_reports_the_legacy_path)
{
	cgroup_under(OLD_PROFILE);
}
