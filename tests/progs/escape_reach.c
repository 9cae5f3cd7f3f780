/* SPDX-License-Identifier: MIT */
/*
 * A sandboxed child that attacks the process that spawned it, as an
 * exploited function would on its first instruction: it takes the parent's
 * fds, reads and writes its memory, signals it and its process group,
 * traces it, compares kernel objects with it, changes its limits, and goes
 * for the kernel interfaces that reach other processes (perf, bpf,
 * userfaultfd, keys). Under NO_NETWORK it also dials the host's unix
 * sockets. Each attack is checked from the parent's side: the file, the
 * buffer, the pending signals, the limit, the listening sockets.
 *
 * tests/escape.c includes this file (with ESCAPE_REACH_NO_MAIN) and runs the
 * attacks as root; the program runs them as whatever user starts it:
 *
 *   escape_reach reach   every attack under every preset
 *   escape_reach unix    the unix sockets under NO_NETWORK, with and
 *                        without a new network namespace
 *
 * It prints one line per escape that worked and exits 1 if any did, 0 if
 * none did.
 */
#include <cfork.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/kcmp.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif

#define REACH_OK 42

/* The attacks, one per spawn: under COMPUTE the first call an attack makes
   may kill the child. */
enum reach_mode {
	R_GETFD,	/* pidfd_open + pidfd_getfd of the parent's file */
	R_PROC_FD,	/* open /proc/<ppid>/fd/<n> for writing */
	R_VM_WRITE,	/* process_vm_writev into the parent */
	R_VM_READ,	/* process_vm_readv from the parent */
	R_PROC_MEM,	/* open /proc/<ppid>/mem and write */
	R_MADVISE,	/* process_madvise on the parent's memory */
	R_KILL,		/* kill(ppid) */
	R_TKILL,	/* tgkill and tkill to the parent's thread */
	R_SIGQUEUE,	/* rt_sigqueueinfo and rt_tgsigqueueinfo */
	R_PIDFD_SIGNAL,	/* pidfd_send_signal */
	R_KILL_GROUP,	/* kill(0): the process group */
	R_PTRACE,	/* PTRACE_SEIZE, then PTRACE_ATTACH */
	R_KCMP,		/* kcmp with the parent */
	R_PRLIMIT,	/* prlimit(ppid, RLIMIT_NOFILE) */
	R_PERF,		/* perf_event_open on the parent */
	R_BPF,		/* bpf(BPF_MAP_CREATE) */
	R_USERFAULTFD,	/* userfaultfd */
	R_KEYS,		/* add_key and keyctl on the session keyring */
	R_SELF_SIGNAL,	/* kill and raise to itself: must work */
	R_CLONE_PARENT,	/* clone and clone3 with CLONE_PARENT: a process
			   the parent would have to reap */
	R_USERNS,	/* unshare and clone with CLONE_NEWUSER: every
			   capability again, in a namespace of its own */
	R_SIGIO,	/* the parent as the owner of an O_ASYNC pipe */
	R_SYSV,		/* the parent's SysV shared memory by its id, the
			   machine's table of it, a queue of its own */
	R_PROC_WRITE,	/* the parent's /proc files its owner may write, and
			   its cgroup's files: each rewritten as it reads */
	R_LEASE,	/* a lease on a file it only reads: every open of it
			   for writing waits for the lease's break */
	R_NMODES
};

static const char *const reach_mode_names[R_NMODES] = {
	[R_GETFD] = "pidfd_getfd", [R_PROC_FD] = "/proc/ppid/fd",
	[R_VM_WRITE] = "process_vm_writev", [R_VM_READ] = "process_vm_readv",
	[R_PROC_MEM] = "/proc/ppid/mem", [R_MADVISE] = "process_madvise",
	[R_KILL] = "kill(ppid)", [R_TKILL] = "tgkill/tkill",
	[R_SIGQUEUE] = "rt_(tg)sigqueueinfo",
	[R_PIDFD_SIGNAL] = "pidfd_send_signal", [R_KILL_GROUP] = "kill(0)",
	[R_PTRACE] = "ptrace", [R_KCMP] = "kcmp", [R_PRLIMIT] = "prlimit",
	[R_PERF] = "perf_event_open", [R_BPF] = "bpf",
	[R_USERFAULTFD] = "userfaultfd", [R_KEYS] = "add_key/keyctl",
	[R_SELF_SIGNAL] = "signal to itself",
	[R_CLONE_PARENT] = "clone(CLONE_PARENT)",
	[R_USERNS] = "unshare/clone(CLONE_NEWUSER)",
	[R_SIGIO] = "F_SETOWN(_EX), FIOSETOWN, SIOCSPGRP of ppid",
	[R_SYSV] = "SysV IPC and POSIX message queues",
	[R_LEASE] = "F_SETLEASE",
	[R_PROC_WRITE] = ("/proc/ppid/{oom_score_adj,coredump_filter,autogroup}"
			  " and the cgroup's files"),
};

/* Every sandbox, whatever its presets: 0 is a sandbox too. */
static const struct {
	unsigned presets;
	const char *name;
} reach_presets[] = {
	{ 0, "no preset" },
	{ CFORK_SB_NO_NETWORK, "NO_NETWORK" },
	{ CFORK_SB_NO_EXEC, "NO_EXEC" },
	{ CFORK_SB_NO_FS_WRITE, "NO_FS_WRITE" },
	{ CFORK_SB_COMPUTE, "COMPUTE" },
	{ CFORK_SB_NO_NETWORK | CFORK_SB_NO_EXEC | CFORK_SB_NO_FS_WRITE,
	  "NO_NETWORK|NO_EXEC|NO_FS_WRITE" },
};
#define REACH_NPRESETS (sizeof(reach_presets) / sizeof(reach_presets[0]))

/* What the child goes for in the parent's memory. */
static char reach_victim[64] = "untouched";

static int reach_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, 1);

	return v < 0 ? 0 : (int)v;
}

/* ------------------------------------------------------------------------ */
/* The child                                                                 */
/* ------------------------------------------------------------------------ */

static volatile sig_atomic_t reach_self_signals;

static void reach_count(int sig)
{
	(void)sig;
	reach_self_signals++;
}

static int reach_signal_self(void)
{
	struct sigaction sa = { .sa_handler = reach_count };
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (sigaction(SIGUSR2, &sa, NULL) < 0)
		return 10;
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
		return 11;
	if (kill(getpid(), SIGUSR2) < 0)
		return 12;
	if (raise(SIGUSR2) != 0)
		return 13;
	return reach_self_signals == 2 ? REACH_OK : 14;
}

/* Traces the parent if it can; a stop that PTRACE_ATTACH queued is taken
   and dropped, so that a broken sandbox does not leave the parent stopped. */
static int reach_ptrace(pid_t ppid)
{
	if (ptrace(PTRACE_SEIZE, ppid, NULL, NULL) == 0)
		return 1;	/* detached when this child exits */
	if (ptrace(PTRACE_ATTACH, ppid, NULL, NULL) == 0) {
		int status;

		waitpid(ppid, &status, __WALL);
		ptrace(PTRACE_DETACH, ppid, NULL, NULL);
		return 2;
	}
	return REACH_OK;
}

static int reach_keys(void)
{
	long k = syscall(SYS_add_key, "user", "cfork-escape", "x", 1,
			 KEY_SPEC_SESSION_KEYRING);

	if (k >= 0) {
		syscall(SYS_keyctl, KEYCTL_INVALIDATE, k);
		return 1;
	}
	if (syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
		    KEY_SPEC_SESSION_KEYRING, 0) >= 0)
		return 2;
	return REACH_OK;
}

/* Arguments: the attack, the number of the parent's file fd (not the fd:
   the child does not inherit it), the address of reach_victim there. */
/* A new process whose parent is this child's parent: it ends at once, and
   stays the parent's zombie until the parent reaps it. */
static int reach_clone_parent(void)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal,
			stack, stack_size, tls;
	} args = { .flags = CLONE_PARENT };	/* its exit signal is this
						   child's: clone3 wants 0 */
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		return 1;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	return pid > 0 ? 2 : REACH_OK;
}

static int reach_user_namespace(void)
{
	long pid;

	if (unshare(CLONE_NEWUSER) == 0)
		return 1;
	pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		(void)waitpid((pid_t)pid, NULL, 0);
		return 2;
	}
	return REACH_OK;
}

/* With an owner set (r is not REACH_OK), has the pair's first fd signal
   it SIGUSR1 by writing the second; closes both. Returns r. */
static int reach_sigio_fire(int p[2], int r)
{
	if (r != REACH_OK && fcntl(p[0], F_SETSIG, SIGUSR1) == 0 &&
	    fcntl(p[0], F_SETFL, O_ASYNC) == 0)
		(void)!write(p[1], "x", 1);
	close(p[0]);
	close(p[1]);
	return r;
}

/* The parent made the owner of a pipe's read end, or of a socket, which
   signals it when the other end is written. */
static int reach_sigio(pid_t ppid)
{
	struct f_owner_ex owner = { F_OWNER_PID, ppid };
	int r = REACH_OK, p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return REACH_OK;
	if (fcntl(p[0], F_SETOWN, ppid) == 0)
		r = 1;
	else if (fcntl(p[0], F_SETOWN_EX, &owner) == 0)
		r = 2;
	if (reach_sigio_fire(p, r) != REACH_OK ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return r;
	/* A socket's owner, set by ioctl rather than fcntl. */
	if (ioctl(p[0], FIOSETOWN, &ppid) == 0)
		r = 3;
	else if (ioctl(p[0], SIOCSPGRP, &ppid) == 0)
		r = 4;
	return reach_sigio_fire(p, r);
}

/* The parent's segment written through its id (as root, the child owns
   it); any other SysV or POSIX queue call that works is a way to every
   object of its user. */
static int reach_sysv(int shmid)
{
	struct shm_info info;
	int r = REACH_OK;

	char *m = shmat(shmid, NULL, 0);
	if (m != (void *)-1) {
		memcpy(m, "pwned", 6);
		shmdt(m);
		r = 1;
	}
	if (r == REACH_OK && shmctl(0, SHM_INFO, (void *)&info) >= 0)
		r = 2;
	int q = msgget(IPC_PRIVATE, 0600);
	if (q >= 0) {
		msgctl(q, IPC_RMID, NULL);
		r = r == REACH_OK ? 3 : r;
	}
	mqd_t mq = mq_open("/cfork-escape-reach", O_RDWR | O_CREAT, 0600, NULL);
	if (mq != (mqd_t)-1) {
		mq_close(mq);
		mq_unlink("/cfork-escape-reach");
		r = r == REACH_OK ? 4 : r;
	}
	return r;
}

/* Its own binary, read only, which it owns as root. */
static int reach_lease(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int r = REACH_OK;

	if (fd < 0)
		return REACH_OK;
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
		fcntl(fd, F_SETLEASE, F_UNLCK);
		r = 1;
	}
	close(fd);
	return r;
}

/* The start of a file as a string; false where it cannot be read. */
static bool read_text(const char *path, char *text, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, text, cap - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return true;
}

/* Whether text could be written to path. */
static bool write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool written = fd >= 0 && write(fd, text, strlen(text)) > 0;

	if (fd >= 0)
		close(fd);
	return written;
}

/* Writes back what it reads at path: the parent's oom_score_adj made
   1000 would make it the OOM killer's first pick, its autogroup's nice 19
   would starve it, its cgroup's cgroup.kill or memory.max would end it.
   Rewriting what is there changes nothing and shows the same. */
static bool reach_rewrite(const char *path)
{
	char text[256];

	if (!read_text(path, text, sizeof(text)))
		return false;
	/* autogroup reads "/autogroup-N nice M" and takes M. */
	const char *nice = strstr(text, " nice ");
	return write_text(path, nice ? nice + 6 : text);
}

/* The cgroups' own files, where they are usually mounted: a child's
   cgroups are the caller's unless the caller gave it others, and
   cgroup.procs takes a pid it already has; and a new cgroup beside it. */
static bool reach_cgroup(void)
{
	char text[2048], path[512], pid[16];
	bool written = false;

	if (!read_text("/proc/self/cgroup", text, sizeof(text)))
		return false;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* "id:controllers:path" a line; no controller is the unified
	   hierarchy, mounted at /sys/fs/cgroup or under it. */
	for (char *line = strtok(text, "\n"); line && !written;
	     line = strtok(NULL, "\n")) {
		char *ctl = strchr(line, ':'), *dir;
		if (!ctl || !(dir = strchr(++ctl, ':')))
			continue;
		*dir++ = '\0';
		ctl[strcspn(ctl, ",")] = '\0';
		if (!strncmp(ctl, "name=", 5))
			ctl += 5;
		const char *under[2] = { ctl, *ctl ? NULL : "unified" };
		for (int i = 0; i < 2 && under[i] && !written; i++) {
			snprintf(path, sizeof(path),
				 "/sys/fs/cgroup/%s%s/cgroup.procs", under[i],
				 dir);
			written = write_text(path, pid);
			/* A cgroup of its own beside it, which would outlive
			   the call (removed again). */
			snprintf(path, sizeof(path),
				 "/sys/fs/cgroup/%s%s/cfork-reach-%s", under[i],
				 dir, pid);
			if (!written && mkdir(path, 0755) == 0) {
				rmdir(path);
				written = true;
			}
		}
	}
	return written;
}

static int reach_proc_write(pid_t ppid)
{
	static const char *const files[] = { "oom_score_adj",
					     "coredump_filter", "autogroup" };
	char path[64];

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)ppid,
			 files[i]);
		if (reach_rewrite(path))
			return 1 + i;
	}
	return reach_cgroup() ? 4 : REACH_OK;
}

static int escape_reach_child(const cfork_args *a)
{
	int mode = (int)cfork_arg_i64(a, 0);
	int fd = (int)cfork_arg_i64(a, 1);
	uint64_t addr = cfork_arg_u64(a, 2);
	/* Not for the self-signal: it must touch nothing but itself. */
	pid_t ppid = mode == R_SELF_SIGNAL ? 0 : getppid();
	char path[64], buf[16];
	struct iovec local = { buf, 5 };
	struct iovec remote = { (void *)(uintptr_t)addr, 5 };
	siginfo_t si;
	long pfd, r;

	memcpy(buf, "pwned", 6);
	switch (mode) {
	case R_GETFD:
		pfd = syscall(SYS_pidfd_open, ppid, 0);
		if (pfd < 0)
			return REACH_OK;
		r = syscall(SYS_pidfd_getfd, (int)pfd, fd, 0);
		if (r < 0)
			return REACH_OK;
		return write((int)r, "pwned", 5) == 5 ? 1 : 2;
	case R_PROC_FD:
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)ppid, fd);
		r = open(path, O_WRONLY | O_CLOEXEC);
		if (r < 0)
			return REACH_OK;
		return write((int)r, "pwned", 5) == 5 ? 1 : 2;
	case R_VM_WRITE:
		return process_vm_writev(ppid, &local, 1, &remote, 1, 0) < 0 ?
			REACH_OK : 1;
	case R_VM_READ:
		return process_vm_readv(ppid, &local, 1, &remote, 1, 0) < 0 ?
			REACH_OK : 1;
	case R_PROC_MEM:
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)ppid);
		r = open(path, O_RDWR | O_CLOEXEC);
		if (r < 0)
			return REACH_OK;
		return pwrite((int)r, "pwned", 5, (off_t)addr) == 5 ? 1 : 2;
	case R_MADVISE:
		pfd = syscall(SYS_pidfd_open, ppid, 0);
		if (pfd < 0)
			return REACH_OK;
		remote.iov_base = (void *)((uintptr_t)addr & ~(uintptr_t)4095);
		remote.iov_len = 4096;
		return syscall(SYS_process_madvise, (int)pfd, &remote, 1,
			       MADV_COLD, 0) < 0 ? REACH_OK : 1;
	case R_KILL:
		return kill(ppid, SIGUSR1) < 0 ? REACH_OK : 1;
	case R_TKILL:
		if (syscall(SYS_tgkill, ppid, ppid, SIGUSR1) == 0)
			return 1;
		return syscall(SYS_tkill, ppid, SIGUSR1) < 0 ? REACH_OK : 2;
	case R_SIGQUEUE:
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGUSR1;
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		if (syscall(SYS_rt_sigqueueinfo, ppid, SIGUSR1, &si) == 0)
			return 1;
		return syscall(SYS_rt_tgsigqueueinfo, ppid, ppid, SIGUSR1,
			       &si) < 0 ? REACH_OK : 2;
	case R_PIDFD_SIGNAL:
		pfd = syscall(SYS_pidfd_open, ppid, 0);
		if (pfd < 0)
			return REACH_OK;
		return syscall(SYS_pidfd_send_signal, (int)pfd, SIGUSR1, NULL,
			       0) < 0 ? REACH_OK : 1;
	case R_KILL_GROUP: {
		sigset_t set;

		/* It may reach this child too, which must live to tell. */
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		kill(0, SIGUSR1);
		return REACH_OK;	/* the parent checks what arrived */
	}
	case R_PTRACE:
		return reach_ptrace(ppid);
	case R_KCMP:
		return syscall(SYS_kcmp, getpid(), ppid, KCMP_VM, 0, 0) < 0 ?
			REACH_OK : 1;
	case R_PRLIMIT: {
		struct rlimit rl;

		if (prlimit(ppid, RLIMIT_NOFILE, NULL, &rl) < 0)
			return REACH_OK;
		if (rl.rlim_cur > 8)
			rl.rlim_cur--;
		return prlimit(ppid, RLIMIT_NOFILE, &rl, NULL) < 0 ?
			REACH_OK : 1;
	}
	case R_PERF: {
		struct perf_event_attr pa;

		memset(&pa, 0, sizeof(pa));
		pa.type = PERF_TYPE_SOFTWARE;
		pa.size = sizeof(pa);
		pa.config = PERF_COUNT_SW_TASK_CLOCK;
		pa.exclude_kernel = 1;
		pa.exclude_hv = 1;
		return syscall(SYS_perf_event_open, &pa, ppid, -1, -1, 0) < 0 ?
			REACH_OK : 1;
	}
	case R_BPF: {
		union bpf_attr ba;

		memset(&ba, 0, sizeof(ba));
		ba.map_type = BPF_MAP_TYPE_ARRAY;
		ba.key_size = 4;
		ba.value_size = 4;
		ba.max_entries = 1;
		return syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof(ba)) < 0 ?
			REACH_OK : 1;
	}
	case R_USERFAULTFD:
		if (syscall(SYS_userfaultfd, O_CLOEXEC) >= 0)
			return 1;
		return syscall(SYS_userfaultfd,
			       O_CLOEXEC | UFFD_USER_MODE_ONLY) < 0 ?
			REACH_OK : 2;
	case R_KEYS:
		return reach_keys();
	case R_SELF_SIGNAL:
		return reach_signal_self();
	case R_CLONE_PARENT:
		return reach_clone_parent();
	case R_USERNS:
		return reach_user_namespace();
	case R_SIGIO:
		return reach_sigio(ppid);
	case R_SYSV:
		return reach_sysv(fd);
	case R_LEASE:
		return reach_lease();
	case R_PROC_WRITE:
		return reach_proc_write(ppid);
	}
	return 99;
}
CFORK_REGISTER(escape_reach_child, "iiu");

/* ------------------------------------------------------------------------ */
/* The parent                                                                */
/* ------------------------------------------------------------------------ */

/* Appends a line to why (which holds cap bytes). */
static void reach_note(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reach_note(char *why, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(why);
	va_list ap;

	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(why + len, cap - len, fmt, ap);
	va_end(ap);
	len = strlen(why);
	if (len + 1 < cap) {
		why[len] = '\n';
		why[len + 1] = '\0';
	}
}

/* Whether an attack means something on this host: the landlock ones need
   landlock (without it, nothing claims to stop them). */
static bool reach_mode_applies(int mode)
{
	if (mode == R_PROC_MEM || mode == R_PROC_FD)
		return reach_landlock_abi() >= 1;
	return true;
}

/*
 * Runs one attack under one sandbox and checks, from this side, that it
 * changed nothing. Returns 0 when the escape failed, 1 when it worked or
 * the child did not end as it should (with a line in why), -errno when the
 * scene could not be set.
 */
static int reach_try(unsigned presets, const char *preset_name, int mode,
		     char *why, size_t cap)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb = NULL;
	sigset_t usr1, old, pending;
	struct rlimit before, after;
	const char *what = reach_mode_names[mode];
	cfork_status st;
	cfork_proc *p;
	struct stat fst;
	int fd, r, bad = 0;

	r = cfork_sandbox_new(&sb, presets);
	if (r < 0)
		return r;
	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		cfork_sandbox_free(sb);
		return r;
	}
	/* kill(0) must find only this process and its child. */
	if (mode == R_KILL_GROUP && getpgrp() != getpid())
		setpgid(0, 0);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	getrlimit(RLIMIT_NOFILE, &before);
	memcpy(reach_victim, "untouched", 10);
	int shmid = -1;
	char *shm = NULL;
	if (mode == R_SYSV) {
		shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		shm = shmid < 0 ? NULL : shmat(shmid, NULL, 0);
		if (shm == (void *)-1)
			shm = NULL;
		if (shm)
			memcpy(shm, "untouched", 10);
	}

	attr.sandbox = sb;
	r = cfork_spawn(&p, &attr, "escape_reach_child", (int64_t)mode,
			(int64_t)(mode == R_SYSV ? shmid : fd),
			(uint64_t)(uintptr_t)reach_victim);
	if (r < 0) {
		reach_note(why, cap, "%s, %s: spawn: %s", preset_name, what,
			   strerror(-r));
		bad = 1;
		goto out;
	}
	r = cfork_wait(p, 20000, &st);
	if (r < 0) {
		reach_note(why, cap, "%s, %s: wait: %s", preset_name, what,
			   strerror(-r));
		cfork_free(p);
		bad = 1;
		goto out;
	}
	/* Refused with an errno, or killed for trying: either is a failed
	   escape. A self-signal must simply work. */
	if (!((st.exited && st.code == REACH_OK) ||
	      (mode != R_SELF_SIGNAL && !st.exited && st.signal == SIGSYS))) {
		reach_note(why, cap,
			   "%s, %s: the child exited %d code %d signal %d "
			   "error \"%s\"", preset_name, what, st.exited,
			   st.code, st.signal, st.error ? st.error : "");
		bad = 1;
	}
	cfork_free(p);

	/* What the parent sees, whatever the child said. */
	if (strcmp(reach_victim, "untouched")) {
		reach_note(why, cap, "%s, %s: the parent's buffer now reads "
			   "\"%.9s\"", preset_name, what, reach_victim);
		bad = 1;
	}
	if (shm && strcmp(shm, "untouched")) {
		reach_note(why, cap, "%s, %s: the parent's shared memory now "
			   "reads \"%.9s\"", preset_name, what, shm);
		bad = 1;
	}
	if (fstat(fd, &fst) == 0 && fst.st_size != 0) {
		reach_note(why, cap, "%s, %s: the parent's file has %lld bytes",
			   preset_name, what, (long long)fst.st_size);
		bad = 1;
	}
	sigpending(&pending);
	if (sigismember(&pending, SIGUSR1)) {
		const struct timespec now = { 0, 0 };

		reach_note(why, cap, "%s, %s: the parent got SIGUSR1",
			   preset_name, what);
		while (sigtimedwait(&usr1, NULL, &now) == SIGUSR1)
			;
		bad = 1;
	}
	siginfo_t si = { 0 };
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0) {
		reach_note(why, cap, "%s, %s: the parent has a child it never "
			   "made", preset_name, what);
		while (waitid(P_ALL, 0, &si, WEXITED | __WALL) == 0)
			;
		bad = 1;
	}
	getrlimit(RLIMIT_NOFILE, &after);
	if (after.rlim_cur != before.rlim_cur ||
	    after.rlim_max != before.rlim_max) {
		reach_note(why, cap, "%s, %s: the parent's RLIMIT_NOFILE went "
			   "from %llu to %llu", preset_name, what,
			   (unsigned long long)before.rlim_cur,
			   (unsigned long long)after.rlim_cur);
		setrlimit(RLIMIT_NOFILE, &before);
		bad = 1;
	}
out:
	if (shm)
		shmdt(shm);
	if (shmid >= 0)
		shmctl(shmid, IPC_RMID, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(fd);
	cfork_sandbox_free(sb);
	return bad;
}

/* Every attack of modes (ending with -1) under every preset; the number of
   escapes, described in why. */
static int reach_all(const int *modes, char *why, size_t cap)
{
	int n = 0;

	for (size_t i = 0; i < REACH_NPRESETS; i++)
		for (const int *m = modes; *m >= 0; m++) {
			if (!reach_mode_applies(*m))
				continue;
			int r = reach_try(reach_presets[i].presets,
					  reach_presets[i].name, *m, why, cap);
			if (r < 0) {
				reach_note(why, cap, "%s, %s: no scene: %s",
					   reach_presets[i].name,
					   reach_mode_names[*m], strerror(-r));
				n++;
			}
			n += r > 0;
		}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Unix sockets under NO_NETWORK                                             */
/* ------------------------------------------------------------------------ */

/* Tries every type of AF_UNIX socket and, with one in hand, the parent's
   stream socket by path and by abstract name and its datagram socket. */
static int escape_unix_child(const cfork_args *a)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	const char *path = cfork_arg_str(a, 0);
	const char *abstract = cfork_arg_str(a, 1);
	const char *dgram = cfork_arg_str(a, 2);
	int code = REACH_OK, sv[2];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const size_t cap = sizeof(sun.sun_path);
		socklen_t len;
		int s = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);

		if (s < 0)
			continue;
		if (code == REACH_OK)
			code = 1 + (int)i;
		if (types[i] == SOCK_STREAM) {
			snprintf(sun.sun_path, cap, "%s", path);
			connect(s, (struct sockaddr *)&sun, sizeof(sun));
			close(s);
			s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			memset(sun.sun_path, 0, cap);
			memcpy(sun.sun_path + 1, abstract, strlen(abstract));
			len = (socklen_t)(offsetof(struct sockaddr_un,
						   sun_path) + 1 +
					  strlen(abstract));
			connect(s, (struct sockaddr *)&sun, len);
		} else if (types[i] == SOCK_DGRAM) {
			snprintf(sun.sun_path, cap, "%s", dgram);
			sendto(s, "pwned", 5, 0, (struct sockaddr *)&sun,
			       sizeof(sun));
		}
		/* Kept open: the parent accepts before this child is gone. */
	}
	if (code != REACH_OK)
		return code;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 10;
	if (write(sv[0], "x", 1) != 1 || read(sv[1], sv, 1) != 1)
		return 11;
	return REACH_OK;
}
CFORK_REGISTER(escape_unix_child, "sss");

/* A non-blocking AF_UNIX socket bound to addr (len bytes), listening for
   a stream; -errno. */
static int unix_listener(int type, const struct sockaddr_un *addr,
			 socklen_t len)
{
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (s < 0)
		return -errno;
	if (bind(s, (const struct sockaddr *)addr, len) < 0 ||
	    (type != SOCK_DGRAM && listen(s, 8) < 0)) {
		int e = -errno;

		close(s);
		return e;
	}
	return s;
}

/*
 * A NO_NETWORK child (in new network and user namespaces with ns) goes for
 * a pathname and an abstract stream socket and a pathname datagram socket
 * this process listens on. Returns 0 if nothing reached them, 1 if
 * something did (why says what), 2 when namespaces cannot be had here,
 * -errno when the scene could not be set.
 */
static int unix_try(bool ns, char *why, size_t cap)
{
	char dir[] = "/tmp/cfork-escape-unix-XXXXXX", abstract[64];
	struct sockaddr_un sp = { .sun_family = AF_UNIX };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_un sd = { .sun_family = AF_UNIX };
	cfork_attr attr = CFORK_ATTR_INIT;
	const char *what = ns ? "NO_NETWORK in new net+user namespaces" :
				"NO_NETWORK";
	int ls = -1, la = -1, ld = -1, r, bad = 0;
	cfork_sandbox *sb = NULL;
	cfork_status st;
	socklen_t sa_len;
	cfork_proc *p;
	char byte;

	if (!mkdtemp(dir))
		return -errno;
	/* Open to anyone: in a user namespace the child is the overflow
	   uid, and the path must be what stops it, not the mode. */
	chmod(dir, 0777);
	snprintf(sp.sun_path, sizeof(sp.sun_path), "%s/stream", dir);
	snprintf(sd.sun_path, sizeof(sd.sun_path), "%s/dgram", dir);
	snprintf(abstract, sizeof(abstract), "cfork-escape-%d-%d",
		 (int)getpid(), ns);
	memcpy(sa.sun_path + 1, abstract, strlen(abstract));
	sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			     strlen(abstract));
	if ((ls = unix_listener(SOCK_STREAM, &sp, sizeof(sp))) < 0 ||
	    (la = unix_listener(SOCK_STREAM, &sa, sa_len)) < 0 ||
	    (ld = unix_listener(SOCK_DGRAM, &sd, sizeof(sd))) < 0) {
		r = ls < 0 ? ls : la < 0 ? la : ld;
		goto out;
	}
	chmod(sp.sun_path, 0777);
	chmod(sd.sun_path, 0777);
	r = cfork_sandbox_new(&sb, CFORK_SB_NO_NETWORK);
	if (r < 0)
		goto out;
	if (ns)
		cfork_sandbox_namespaces(sb, CFORK_NS_NET | CFORK_NS_USER);
	attr.sandbox = sb;
	r = cfork_spawn(&p, &attr, "escape_unix_child", sp.sun_path, abstract,
			sd.sun_path);
	if (r < 0 && ns) {
		r = 2;
		goto out;
	}
	if (r < 0) {
		reach_note(why, cap, "%s: spawn: %s", what, strerror(-r));
		r = 1;
		goto out;
	}
	r = cfork_wait(p, 20000, &st);
	if (r < 0) {
		reach_note(why, cap, "%s: wait: %s", what, strerror(-r));
		cfork_free(p);
		r = 1;
		goto out;
	}
	if (!st.exited || st.code != REACH_OK) {
		reach_note(why, cap, "%s: the child exited %d code %d "
			   "signal %d (code 1-3: it had an AF_UNIX socket "
			   "of type stream, dgram, seqpacket; 10-11: no "
			   "socketpair) error \"%s\"", what, st.exited,
			   st.code, st.signal, st.error ? st.error : "");
		bad = 1;
	}
	/* The child has ended: a connection it made is still queued. */
	if ((r = accept4(ls, NULL, NULL, SOCK_CLOEXEC)) >= 0 ||
	    errno != EAGAIN) {
		reach_note(why, cap, "%s: the pathname socket accepted a "
			   "connection (%s)", what, r >= 0 ? "yes" :
			   strerror(errno));
		if (r >= 0)
			close(r);
		bad = 1;
	}
	if ((r = accept4(la, NULL, NULL, SOCK_CLOEXEC)) >= 0 ||
	    errno != EAGAIN) {
		reach_note(why, cap, "%s: the abstract socket accepted a "
			   "connection (%s)", what, r >= 0 ? "yes" :
			   strerror(errno));
		if (r >= 0)
			close(r);
		bad = 1;
	}
	if (recv(ld, &byte, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN) {
		reach_note(why, cap, "%s: the datagram socket got a datagram",
			   what);
		bad = 1;
	}
	cfork_free(p);
	r = bad;
out:
	if (ls >= 0)
		close(ls);
	if (la >= 0)
		close(la);
	if (ld >= 0)
		close(ld);
	cfork_sandbox_free(sb);
	unlink(sp.sun_path);
	unlink(sd.sun_path);
	rmdir(dir);
	return r;
}

#ifndef ESCAPE_REACH_NO_MAIN
int main(int argc, char **argv)
{
	static const int all[] = { R_GETFD, R_PROC_FD, R_VM_WRITE, R_VM_READ,
				   R_PROC_MEM, R_MADVISE, R_KILL, R_TKILL,
				   R_SIGQUEUE, R_PIDFD_SIGNAL, R_KILL_GROUP,
				   R_PTRACE, R_KCMP, R_PRLIMIT, R_PERF, R_BPF,
				   R_USERFAULTFD, R_KEYS, R_SELF_SIGNAL,
				   R_PROC_WRITE, -1 };
	static char why[16384];
	int n = 0;

	if (cfork_init() < 0)
		return 2;
	/* A broken sandbox must not leave this run hanging. */
	alarm(120);
	if (argc == 2 && !strcmp(argv[1], "reach")) {
		n = reach_all(all, why, sizeof(why));
	} else if (argc == 2 && !strcmp(argv[1], "unix")) {
		for (int ns = 0; ns < 2; ns++) {
			int r = unix_try(ns, why, sizeof(why));

			if (r == 2)
				printf("skip: no new net+user namespaces "
				       "here\n");
			else if (r < 0)
				reach_note(why, sizeof(why), "no scene: %s",
					   strerror(-r));
			n += r == 1 || r < 0;
		}
	} else {
		fprintf(stderr, "usage: %s reach|unix\n", argv[0]);
		return 2;
	}
	printf("uid %d: %d escapes\n%s", (int)getuid(), n, why);
	return n ? 1 : 0;
}
#endif
