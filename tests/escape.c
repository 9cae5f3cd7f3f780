/* SPDX-License-Identifier: MIT */
/*
 * Escapes: the child is hostile once its function runs, and an unprivileged
 * user is hostile to a privileged program that uses cfork. Each test is an
 * attack, tried as an attacker would, and the test fails if the attack
 * worked, checked from the side that would be hurt: the parent's fds,
 * memory, signals and limits, the host's sockets and inodes, the record the
 * parent keeps of its child.
 *
 * Children return 42 (OK) when everything they tried went as the rule
 * says, and another code naming the first surprise. What behaves
 * differently for an unprivileged user also runs as uid 65534: a copy of a
 * program of tests/progs in a fresh directory of /tmp, started by a fork
 * that gives up root.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <termios.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "checking_child.h"
#include "helpers.h"
#include "test_progs.h"
#include "lib/payload.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

/* The attacks on the parent, shared with the program that runs them as
   another user. */
#define ESCAPE_REACH_NO_MAIN
#include "progs/escape_reach.c"

TestSuite(escape, .timeout = TEST_TIMEOUT);

#define OK 42
#define NOBODY 65534
/* Uids of their own for tests whose child changes every terminal of its
   uid: no other test's terminal is one of them. */
#define FLIPPER_UID 65533
#define LANDLOCKED_FLIPPER_UID 65532
/* And for a test whose child fills its user's fds in flight: another
   process of that user could not pass an fd meanwhile. */
#define IN_FLIGHT_UID 65531

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_RISCV64
#else
#error "the native AUDIT_ARCH_* of this machine"
#endif

/* ------------------------------------------------------------------------ */
/* Tools                                                                     */
/* ------------------------------------------------------------------------ */

static int landlock_abi(void)
{
	return reach_landlock_abi();
}

static cfork_sandbox *new_sandbox(unsigned presets)
{
	cfork_sandbox *sb = NULL;

	cr_assert_eq(cfork_sandbox_new(&sb, presets), 0);
	return sb;
}

/* Spawns name under attr, waits (20 s at most) and fills *st; the handle
   is the caller's to free. */
static cfork_proc *spawn_wait(const cfork_attr *attr, const char *name,
			      const cfork_value *argv, size_t argc,
			      cfork_status *st)
{
	cfork_proc *p;
	int r = cfork_spawnv(&p, attr, name, argv, argc);

	cr_assert_eq(r, 0, "spawn %s: %d (%s)", name, r, strerror(-r));
	r = cfork_wait(p, WAIT_MS, st);
	if (r < 0)
		cfork_free(p);
	cr_assert_eq(r, 0, "wait %s: %d (%s)", name, r, strerror(-r));
	return p;
}

#define SPAWN_WAIT(attr, st, name, ...)					\
	spawn_wait((attr), (name), CFORK_VALUES_(~, ##__VA_ARGS__),	\
		   CFORK_NVALUES_(~, ##__VA_ARGS__), (st))

static void skip_unless_root(const char *why)
{
	if (geteuid() != 0)
		cr_skip_test("needs root %s", why);
}

/* Removes dir and everything in it (two levels are all the tests make). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* A fresh directory under /tmp that uid 65534 can enter (the build
   directory may sit in a private one). */
static void scratch_dir(char *dir, size_t cap)
{
	snprintf(dir, cap, "/tmp/cfork-escape-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(chmod(dir, 0755), 0);
}

/* Copies the test program name to path, with mode. */
static void copy_prog(const char *name, const char *path, mode_t mode)
{
	char from[PATH_MAX], buf[65536];
	ssize_t n;
	int in, out;

	snprintf(from, sizeof(from), "%s/%s", TEST_PROGS_DIR, name);
	in = open(from, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s: %s", from, strerror(errno));
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	cr_assert_geq(out, 0, "%s: %s", path, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	cr_assert_eq(fchmod(out, mode), 0);
	close(out);
}

/*
 * The environment of a program the tests start: envp, and ASan's options
 * without the leak check, which cannot stop the world of a set-id process
 * (not dumpable) or of one without /proc. These programs drive attacks;
 * the library's leaks are checked in the test binary.
 */
static void prog_env(char *const envp[], char **env, size_t cap)
{
	size_t n = 0;

	for (; envp && envp[n] && n + 2 < cap; n++)
		env[n] = envp[n];
	env[n++] = "ASAN_OPTIONS=detect_leaks=0:handle_segv=0";
	env[n] = NULL;
}

/*
 * Runs argv as uid and gid 65534 with no supplementary group, in a process
 * group of its own, with envp, stdin from stdin_fd (or /dev/null) and its
 * stdout into out. Returns the wait status.
 */
static int run_as_nobody(char *const argv[], char *const envp[], int stdin_fd,
			 char *out, size_t cap)
{
	char *env[16];
	size_t len = 0;
	int po[2], status;
	ssize_t n;
	pid_t pid;

	prog_env(envp, env, 16);
	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sigset_t none;
		int in = stdin_fd >= 0 ? stdin_fd :
			open("/dev/null", O_RDONLY | O_CLOEXEC);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (in < 0 || dup2(in, 0) < 0 || dup2(po[1], 1) < 0)
			_exit(125);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(126);
		execve(argv[0], argv, env);
		_exit(127);
	}
	close(po[1]);
	while ((n = read(po[0], out + len, cap - 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		len += n > 0 ? (size_t)n : 0;
	out[len] = '\0';
	close(po[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(!WIFEXITED(status) || WEXITSTATUS(status) < 125,
		  "could not start %s as uid %d (%d)", argv[0], NOBODY,
		  WEXITSTATUS(status));
	return status;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int count_chars(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* ------------------------------------------------------------------------ */
/* 1. AT_SECURE: a setuid, setgid or file-capability program                 */
/* ------------------------------------------------------------------------ */

enum privilege { PRIV_SETUID, PRIV_SETGID, PRIV_FCAPS };

/* A directory with a privileged copy of escape_suid, an unprivileged one
   (the attacker's), a log every main() appends to, and a directory
   anyone can write the function's marker in. */
struct suid_scene {
	char dir[64];
	char prog[160];
	char attacker[160];
	char log[160];
	char log_env[192];	/* ESCAPE_SUID_LOG=log */
	char marker[160];
};

static void suid_scene(struct suid_scene *s, enum privilege kind)
{
	struct statvfs vfs;
	char out[128];
	int fd;

	skip_unless_root("to install a privileged copy of a program");
	scratch_dir(s->dir, sizeof(s->dir));
	if (statvfs(s->dir, &vfs) == 0 && (vfs.f_flag & ST_NOSUID)) {
		remove_tree(s->dir);
		cr_skip_test("/tmp is mounted nosuid: no set-id bit or file "
			     "capability takes effect there");
	}
	snprintf(s->prog, sizeof(s->prog), "%s/escape_suid", s->dir);
	snprintf(s->attacker, sizeof(s->attacker), "%s/attacker", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/log", s->dir);
	snprintf(s->log_env, sizeof(s->log_env), "ESCAPE_SUID_LOG=%s", s->log);
	snprintf(out, sizeof(out), "%s/out", s->dir);
	snprintf(s->marker, sizeof(s->marker), "%s/marker", out);
	copy_prog("escape_suid", s->prog, 0755);
	copy_prog("escape_suid", s->attacker, 0755);
	cr_assert_eq(chown(s->prog, 0, 0), 0);
	if (kind == PRIV_SETUID) {
		cr_assert_eq(chmod(s->prog, 04755), 0);
	} else if (kind == PRIV_SETGID) {
		/* Group 0: one uid 65534 is not in. */
		cr_assert_eq(chmod(s->prog, 02755), 0);
	} else {
		struct vfs_cap_data cap;

		memset(&cap, 0, sizeof(cap));
		cap.magic_etc = htole32(VFS_CAP_REVISION_2 |
					VFS_CAP_FLAGS_EFFECTIVE);
		cap.data[0].permitted = htole32(1u << CAP_NET_BIND_SERVICE);
		if (setxattr(s->prog, "security.capability", &cap,
			     XATTR_CAPS_SZ_2, 0) < 0) {
			int e = errno;

			remove_tree(s->dir);
			cr_skip_test("the filesystem of /tmp refuses "
				     "security.capability: %s", strerror(e));
		}
	}
	fd = open(s->log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fchmod(fd, 0666), 0);
	close(fd);
	cr_assert_eq(mkdir(out, 0777), 0);
	cr_assert_eq(chmod(out, 0777), 0);
}

/*
 * Run by uid 65534, the privileged program's child runs with AT_SECURE:
 * it must run the function (7, with the privileged ids), and main() must
 * run once, in the program itself. Before the fix the child ignored its
 * CFORK_FD, ran main() and spawned again, a chain that ESCAPE_SUID_DEPTH
 * ends after four main()s.
 */
static void expect_function_runs_once(enum privilege kind)
{
	struct suid_scene s;
	char out[4096];
	unsigned euid = 1, egid = 1;
	unsigned long long capeff = 0;
	int status, code = -1, mains;

	suid_scene(&s, kind);
	char *env[] = { "PATH=/usr/bin:/bin", s.log_env, NULL };
	char *argv[] = { s.prog, NULL };
	status = run_as_nobody(argv, env, -1, out, sizeof(out));
	mains = count_lines(s.log);
	remove_tree(s.dir);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x, output: %s", status, out);
	cr_assert_eq(mains, 1, "main() ran %d times; output:\n%s", mains, out);
	cr_assert_eq(count_chars(out, '\n'), 1, "output:\n%s", out);
	cr_assert_eq(sscanf(out, "code %d euid %u egid %u capeff %llx", &code,
			    &euid, &egid, &capeff), 4, "output: %s", out);
	cr_assert_eq(code, 7, "output: %s", out);
	/* What an exec under no_new_privs leaves the child of a setuid or
	   setgid program is the kernel's: Linux 6.18 keeps the effective
	   id, 6.1 resets it to the real one. Never anything else. */
	if (kind == PRIV_SETUID)
		cr_assert(euid == 0 || euid == NOBODY, "output: %s", out);
	else
		cr_assert_eq(euid, NOBODY, "output: %s", out);
	if (kind == PRIV_SETGID)
		cr_assert(egid == 0 || egid == NOBODY, "output: %s", out);
	else if (kind == PRIV_FCAPS)
		cr_assert_eq(egid, NOBODY, "output: %s", out);
}

Test(escape, a_setuid_program_runs_its_function_and_main_only_once)
{
	expect_function_runs_once(PRIV_SETUID);
}

Test(escape, a_setgid_program_runs_its_function_and_main_only_once)
{
	expect_function_runs_once(PRIV_SETGID);
}

Test(escape, a_file_capability_program_runs_its_function_and_main_only_once)
{
	expect_function_runs_once(PRIV_FCAPS);
}

/*
 * uid 65534 builds a valid payload naming the program's function, seals
 * it, makes it stdin and execs the privileged program with CFORK_FD=0:
 * the program ends with CFORK_EXIT_PAYLOAD, the function (which would
 * create the marker) does not run, and main() does not run either.
 */
static void expect_crafted_payload_refused(enum privilege kind,
					   const char *fdvalue)
{
	struct suid_scene s;
	char out[4096];
	int status, mains;
	bool marker;

	suid_scene(&s, kind);
	char *env[] = { "PATH=/usr/bin:/bin", s.log_env, NULL };
	char *argv[] = { s.attacker, "attack", s.prog, s.marker,
			 (char *)fdvalue, NULL };
	status = run_as_nobody(argv, env, -1, out, sizeof(out));
	mains = count_lines(s.log);
	marker = access(s.marker, F_OK) == 0;
	remove_tree(s.dir);

	cr_assert_not(marker, "the function ran on the attacker's payload; "
		      "status %#x, output: %s", status, out);
	cr_assert_eq(mains, 0, "main() ran %d times; output:\n%s", mains, out);
	cr_assert(WIFEXITED(status) &&
		  WEXITSTATUS(status) == CFORK_EXIT_PAYLOAD,
		  "status %#x (exit %d), output: %s", status,
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
}

Test(escape, a_payload_crafted_by_an_unprivileged_user_never_drives_a_setuid_program)
{
	expect_crafted_payload_refused(PRIV_SETUID, "0");
}

Test(escape, a_payload_crafted_by_an_unprivileged_user_never_drives_a_setgid_program)
{
	expect_crafted_payload_refused(PRIV_SETGID, "0");
}

Test(escape, a_payload_crafted_by_an_unprivileged_user_never_drives_a_file_capability_program)
{
	expect_crafted_payload_refused(PRIV_FCAPS, "0");
}

/* CFORK_FD=garbage under AT_SECURE: refused, and main() never runs. */
Test(escape, a_garbage_cfork_fd_never_falls_through_to_main_of_a_setuid_program)
{
	struct suid_scene s;
	char out[4096];
	int status, mains;

	suid_scene(&s, PRIV_SETUID);
	char *env[] = { "PATH=/usr/bin:/bin", s.log_env, "CFORK_FD=garbage",
			NULL };
	char *argv[] = { s.prog, NULL };
	status = run_as_nobody(argv, env, -1, out, sizeof(out));
	mains = count_lines(s.log);
	remove_tree(s.dir);

	cr_assert_eq(mains, 0, "main() ran %d times; output:\n%s", mains, out);
	cr_assert(WIFEXITED(status) &&
		  WEXITSTATUS(status) == CFORK_EXIT_PAYLOAD,
		  "status %#x, output: %s", status, out);
}

/* ------------------------------------------------------------------------ */
/* 2. The base layer of every sandbox: the parent is out of reach            */
/* ------------------------------------------------------------------------ */

static void expect_no_reach(const int *modes)
{
	static char why[32768];
	int fds = count_open_fds();
	int n;

	why[0] = '\0';
	n = reach_all(modes, why, sizeof(why));
	cr_assert_eq(n, 0, "%d escapes:\n%s", n, why);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

Test(escape, a_sandboxed_child_cannot_take_the_parents_fd)
{
	expect_no_reach((const int[]){ R_GETFD, R_PROC_FD, -1 });
}

Test(escape, a_sandboxed_child_cannot_read_or_write_the_parents_memory)
{
	expect_no_reach((const int[]){ R_VM_WRITE, R_VM_READ, R_PROC_MEM,
				       R_MADVISE, -1 });
}

Test(escape, a_sandboxed_child_cannot_signal_its_parent)
{
	expect_no_reach((const int[]){ R_KILL, R_TKILL, R_SIGQUEUE,
				       R_PIDFD_SIGNAL, -1 });
}

/* Where landlock cannot scope signals (before ABI 6, or off), the filter
   alone keeps the parent from owning the child's O_ASYNC fds. */
Test(escape, a_sandboxed_child_cannot_signal_its_parent_by_io)
{
	expect_no_reach((const int[]){ R_SIGIO, -1 });
}

/* Owns fd itself, then tries to make the parent its owner; a command
   on each side of F_SETOWN still works. */
static int escape_own_fd(const cfork_args *a)
{
	int fd = cfork_arg_fd(a, 0);

	if (fcntl(fd, F_SETOWN, getpid()) != 0)
		return 1;
	if (fcntl(fd, F_GETOWN) != getpid())
		return 2;
	if (fcntl(fd, F_GETFD) < 0)
		return 3;
	if (fcntl(fd, F_SETOWN, (pid_t)cfork_arg_i64(a, 1)) == 0)
		return 4;
	return OK;
}
CFORK_REGISTER(escape_own_fd, "fi");

/* The base's rule leaves a child its own fds, also under COMPUTE with
   fcntl allowed, where the rest of fcntl is the base's complement. */
Test(escape, a_sandboxed_child_can_still_own_its_fds)
{
	cfork_sandbox *sb[2] = { new_sandbox(0), new_sandbox(CFORK_SB_COMPUTE) };
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(cfork_sandbox_allow(sb[1], "fcntl"), 0);
	for (size_t i = 0; i < 2; i++) {
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_status st;

		attr.sandbox = sb[i];
		cfork_free(SPAWN_WAIT(&attr, &st, "escape_own_fd", cfork_fd(fd),
				      (int64_t)getpid()));
		cr_expect(st.exited && st.code == OK, "sandbox %zu: exited %d "
			  "code %d signal %d", i, st.exited, st.code,
			  st.signal);
		cfork_sandbox_free(sb[i]);
	}
	close(fd);
}

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x00000020	/* Linux 4.16; older C library headers */
#endif

/* Writes "XX" at offset 0 of fd, which the caller opened O_APPEND: with
   RWF_NOAPPEND (refused: 0), then without (appended: 0). */
static int escape_noappend(const cfork_args *a)
{
	int fd = cfork_arg_fd(a, 0);
	struct iovec iov = { (void *)"XX", 2 };

	if (pwritev2(fd, &iov, 1, 0, RWF_NOAPPEND) >= 0)
		return 1;
	return pwritev2(fd, &iov, 1, 0, 0) == 2 ? OK : 2;
}
CFORK_REGISTER(escape_noappend, "f");

/* COMPUTE refuses F_SETFL, which would clear O_APPEND on a file the child
   shares with its caller (a log); pwritev2's RWF_NOAPPEND would write
   over it all the same. */
Test(escape, a_compute_child_cannot_write_over_its_callers_append_only_file)
{
	char path[] = "/tmp/cfork-append-XXXXXX", text[32] = { 0 };
	int fd = mkstemp(path);
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	attr.sandbox = sb;
	cfork_free(SPAWN_WAIT(&attr, &st, "escape_noappend", cfork_fd(fd)));
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(read(fd, text, sizeof(text) - 1), 0);
	close(fd);
	unlink(path);
	cfork_sandbox_free(sb);
	cr_assert_str_eq(text, "0123456789XX", "the caller's append-only file "
			 "now reads \"%s\"", text);
	cr_assert(st.exited && st.code == OK, "exited %d code %d signal %d",
		  st.exited, st.code, st.signal);
}

Test(escape, a_sandboxed_child_cannot_signal_its_process_group)
{
	expect_no_reach((const int[]){ R_KILL_GROUP, -1 });
}

Test(escape, a_sandboxed_child_cannot_trace_or_compare_with_its_parent)
{
	expect_no_reach((const int[]){ R_PTRACE, R_KCMP, -1 });
}

Test(escape, a_sandboxed_child_cannot_change_the_parents_limits)
{
	expect_no_reach((const int[]){ R_PRLIMIT, -1 });
}

Test(escape, a_sandboxed_child_cannot_use_perf_bpf_userfaultfd_or_keys)
{
	expect_no_reach((const int[]){ R_PERF, R_BPF, R_USERFAULTFD, R_KEYS,
				       -1 });
}

Test(escape, a_sandboxed_child_cannot_make_a_child_of_its_parent)
{
	expect_no_reach((const int[]){ R_CLONE_PARENT, -1 });
}

/* SysV objects and POSIX queues are the IPC namespace's: no file, no
   pid, no landlock right stands before them. */
Test(escape, a_sandboxed_child_cannot_reach_its_users_ipc_objects)
{
	expect_no_reach((const int[]){ R_SYSV, -1 });
}

/* Makes a SysV segment and a queue of its own, and removes them. */
static int escape_own_ipc(const cfork_args *a)
{
	(void)a;
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (shm < 0)
		return 1;
	shmctl(shm, IPC_RMID, NULL);
	int q = msgget(IPC_PRIVATE, 0600);
	if (q < 0)
		return 2;
	msgctl(q, IPC_RMID, NULL);
	return OK;
}
CFORK_REGISTER(escape_own_ipc, "");

/* A lease, even on a file the child may only read, holds up every open
   of it for writing, the caller's too, for up to 45 s at a time. */
Test(escape, a_sandboxed_child_cannot_take_a_lease)
{
	expect_no_reach((const int[]){ R_LEASE, -1 });
}

/* Files of the caller's a filter cannot tell from others by their path,
   which ownership alone guards: its OOM score, its autogroup's nice, its
   cgroup's limits and cgroup.kill. */
Test(escape, a_sandboxed_child_cannot_write_its_callers_proc_or_cgroup_files)
{
	expect_no_reach((const int[]){ R_PROC_WRITE, -1 });
}

/* Opens the path it is given for writing: OK where that is refused. */
static int escape_open_for_writing(const cfork_args *a)
{
	int fd = open(cfork_arg_str(a, 0), O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == EACCES ? OK : 2;
	close(fd);
	return 1;
}
CFORK_REGISTER(escape_open_for_writing, "s");

/* A proc file system mounted beneath another entry of the root, as one is
   for a chroot, and after the program started: the caller's /proc files
   through it are out of reach too. */
Test(escape, a_sandboxed_child_cannot_write_through_another_proc_mount)
{
	char dir[] = "/tmp/cfork-proc-XXXXXX", mnt[64], path[128];
	cfork_sandbox *sb = new_sandbox(0);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;

	/* A first call makes this process's ruleset, before the mount. */
	attr.sandbox = sb;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)getpid());
	cfork_free(SPAWN_WAIT(&attr, &st, "escape_open_for_writing", path));
	cr_assert(st.exited && st.code == OK, "%s: exited %d code %d",
		  path, st.exited, st.code);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(mnt, sizeof(mnt), "%s/proc", dir);
	cr_assert_eq(mkdir(mnt, 0755), 0);
	if (mount("proc", mnt, "proc", 0, NULL) < 0) {
		int e = errno;
		rmdir(mnt);
		rmdir(dir);
		cfork_sandbox_free(sb);
		cr_skip_test("this test cannot mount a proc: %s", strerror(e));
	}
	snprintf(path, sizeof(path), "%s/%d/oom_score_adj", mnt, (int)getpid());
	cfork_free(SPAWN_WAIT(&attr, &st, "escape_open_for_writing", path));
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	rmdir(dir);
	cfork_sandbox_free(sb);
	cr_assert(st.exited && st.code == OK, "%s: exited %d code %d (1: "
		  "opened for writing) signal %d", path, st.exited, st.code,
		  st.signal);
}

/* The base's ruleset follows what it was made from: mounts whose notice
   the program took itself, a mount namespace of its own, a proc moved
   beneath an allowed directory, a directory made after the ruleset
   (tests/progs/mount_changes). */
Test(escape, the_base_follows_mounts_namespaces_and_renames)
{
	char cmd[512], line[512], out[4096] = "";

	snprintf(cmd, sizeof(cmd), "%s/mount_changes", TEST_PROGS_DIR);
	if (access(cmd, X_OK) < 0)
		cr_skip_test("tests/progs are not built (make test builds them)");
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		append_line(out, sizeof(out), line);
	int status = pclose(f);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		cr_skip_test("this test cannot mount here:\n%s", out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x:\n%s", status, out);
}

/* In an IPC namespace of its own there is no one else's object: SysV
   IPC works there, under every preset that leaves it. */
Test(escape, a_sandboxed_child_in_its_own_ipc_namespace_has_sysv_ipc)
{
	/* Without one, in one, and in one the launch may go without,
	   which is not sure to be its own. */
	static const struct {
		unsigned ns;
		cfork_policy policy;
		int code;
	} cases[] = {
		{ 0, CFORK_POLICY_REQUIRE, 1 },
		{ CFORK_NS_IPC, CFORK_POLICY_REQUIRE, OK },
		{ CFORK_NS_IPC, CFORK_POLICY_PREFER, 1 },
	};
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;

	attr.sandbox = sb;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(cfork_sandbox_namespaces(sb, cases[i].ns), 0);
		cr_assert_eq(cfork_sandbox_policy(sb, CFORK_LAYER_NAMESPACES,
						  cases[i].policy), 0);
		cfork_proc *p = SPAWN_WAIT(&attr, &st, "escape_own_ipc");
		cr_assert(st.exited && st.code == cases[i].code,
			  "case %zu: exited %d code %d signal %d", i,
			  st.exited, st.code, st.signal);
		cfork_free(p);
	}
	cfork_sandbox_free(sb);
}

Test(escape, a_sandboxed_child_cannot_make_a_user_namespace)
{
	expect_no_reach((const int[]){ R_USERNS, -1 });
}

/* Joins the user namespace fd names, as its type and as any. */
static int escape_join_user_namespace(const cfork_args *a)
{
	int fd = cfork_arg_fd(a, 0);

	if (setns(fd, CLONE_NEWUSER) == 0)
		return 1;
	if (setns(fd, 0) == 0)
		return 2;
	return OK;
}
CFORK_REGISTER(escape_join_user_namespace, "f");

/* A user namespace made by another process of the child's user, whose
   owner the child is as well: joining it gives every capability there. */
Test(escape, a_sandboxed_child_cannot_join_a_user_namespace)
{
	static const unsigned presets[] = {
		0, CFORK_SB_NO_NETWORK | CFORK_SB_NO_EXEC | CFORK_SB_NO_FS_WRITE,
		CFORK_SB_COMPUTE,
	};
	int ready[2], status;
	char path[64], c = 0;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid_t holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		(void)!write(ready[1], &c, 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)holder);
	int fd = c == 'y' ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	for (size_t i = 0; fd >= 0 && i < 3; i++) {
		cfork_sandbox *sb = new_sandbox(presets[i]);
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_status st;

		attr.sandbox = sb;
		cfork_free(SPAWN_WAIT(&attr, &st, "escape_join_user_namespace",
				      cfork_fd(fd)));
		cfork_sandbox_free(sb);
		cr_expect((st.exited && st.code == OK) ||
			  (!st.exited && st.signal == SIGSYS),
			  "presets %#x: exited %d code %d signal %d",
			  presets[i], st.exited, st.code, st.signal);
	}
	kill(holder, SIGKILL);
	cr_assert_eq(waitpid(holder, &status, 0), holder);
	if (fd < 0)
		cr_skip_test("no user namespace can be made here");
	close(fd);
}

Test(escape, a_sandboxed_child_can_still_signal_itself)
{
	expect_no_reach((const int[]){ R_SELF_SIGNAL, -1 });
}

/* Runs escape_reach with arg as uid 65534; asserts it found no escape. */
static void run_reach_as_nobody(const char *arg)
{
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char dir[64], prog[PATH_MAX];
	static char out[32768];
	int status;

	skip_unless_root("to run the attacks as uid 65534");
	scratch_dir(dir, sizeof(dir));
	snprintf(prog, sizeof(prog), "%s/escape_reach", dir);
	copy_prog("escape_reach", prog, 0755);
	char *argv[] = { prog, (char *)arg, NULL };
	status = run_as_nobody(argv, env, -1, out, sizeof(out));
	remove_tree(dir);
	if (strstr(out, "skip:"))
		cr_log_info("%s", out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x, output:\n%s", status, out);
}

Test(escape, an_unprivileged_sandboxed_child_cannot_reach_its_parent)
{
	run_reach_as_nobody("reach");
}

/* ------------------------------------------------------------------------ */
/* 3. NO_NETWORK and unix sockets                                            */
/* ------------------------------------------------------------------------ */

Test(escape, a_no_network_child_cannot_reach_the_hosts_unix_sockets)
{
	char why[4096] = "";
	int fds = count_open_fds();
	int r = unix_try(false, why, sizeof(why));

	cr_assert_geq(r, 0, "no scene: %s", strerror(-r));
	cr_assert_eq(r, 0, "%s", why);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

Test(escape, a_no_network_child_in_a_new_net_namespace_cannot_reach_a_pathname_socket)
{
	char why[4096] = "";
	int r = unix_try(true, why, sizeof(why));

	if (r == 2)
		cr_skip_test("no new network and user namespaces here");
	cr_assert_geq(r, 0, "no scene: %s", strerror(-r));
	cr_assert_eq(r, 0, "%s", why);
	cr_assert_not(has_children());
}

Test(escape, an_unprivileged_no_network_child_cannot_reach_unix_sockets)
{
	run_reach_as_nobody("unix");
}

/* ------------------------------------------------------------------------ */
/* 4. The parent bounds the result                                           */
/* ------------------------------------------------------------------------ */

static unsigned char result_byte(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 13));
}

/* n bytes of the pattern in one cfork_return(), then m bytes of 0xee in
   a second. */
static int escape_result_flood(const cfork_args *a)
{
	size_t n = (size_t)cfork_arg_u64(a, 0);
	size_t m = (size_t)cfork_arg_u64(a, 1);
	unsigned char *b = malloc(n > m ? n : m);

	if (!b)
		return 1;
	for (size_t i = 0; i < n; i++)
		b[i] = result_byte(i);
	if (cfork_return(b, n))
		return 2;
	if (m) {
		memset(b, 0xee, m);
		if (cfork_return(b, m))
			return 3;
	}
	free(b);
	return 0;
}
CFORK_REGISTER(escape_result_flood, "uu");

/* n bytes of the pattern, then a getter of the wrong type: the child ends
   with CFORK_EXIT_USAGE and an error frame after its result. */
static int escape_result_then_usage(const cfork_args *a)
{
	size_t n = (size_t)cfork_arg_u64(a, 0);
	unsigned char *b = malloc(n);

	if (!b)
		return 1;
	for (size_t i = 0; i < n; i++)
		b[i] = result_byte(i);
	if (cfork_return(b, n))
		return 2;
	free(b);
	(void)cfork_arg_str(a, 0);
	return 3;
}
CFORK_REGISTER(escape_result_then_usage, "u");

static void assert_pattern(const cfork_status *st, size_t n)
{
	const unsigned char *r = st->result;

	cr_assert_not_null(r);
	for (size_t i = 0; i < n; i++)
		if (r[i] != result_byte(i))
			cr_assert_fail("result byte %zu is %#x, sent %#x", i,
				       r[i], result_byte(i));
}

static void expect_result(size_t result_max, size_t first, size_t second,
			  size_t kept, bool truncated)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	int fds = count_open_fds();
	cfork_status st;
	cfork_proc *p;

	attr.result_max = result_max;
	p = SPAWN_WAIT(&attr, &st, "escape_result_flood", (uint64_t)first,
		       (uint64_t)second);
	cr_assert(st.exited && st.code == 0, "exited %d code %d signal %d "
		  "error %s", st.exited, st.code, st.signal,
		  st.error ? st.error : "-");
	cr_assert_eq(st.result_len, kept, "kept %zu bytes of %zu + %zu, "
		     "not %zu", st.result_len, first, second, kept);
	cr_assert_eq(st.result_truncated, truncated);
	assert_pattern(&st, kept);
	cfork_free(p);
	assert_open_fds_settle_to(fds);
	cr_assert_not(has_children());
}

Test(escape, a_child_cannot_make_the_parent_hold_more_than_result_max)
{
	expect_result(1u << 20, 64u << 20, 0, 1u << 20, true);
}

Test(escape, the_default_result_bound_is_sixteen_mib)
{
	cr_assert_eq(CFORK_RESULT_MAX, (size_t)16 << 20);
	expect_result(0, 20u << 20, 0, CFORK_RESULT_MAX, true);
}

Test(escape, no_frame_after_the_bound_is_appended_to_the_result)
{
	expect_result(1u << 20, (1u << 20) + 1, 10, 1u << 20, true);
}

Test(escape, a_result_of_exactly_result_max_is_not_truncated)
{
	expect_result(1u << 20, 1u << 20, 0, 1u << 20, false);
}

Test(escape, an_error_after_an_overflow_does_not_hide_it)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.result_max = 1u << 20;
	p = SPAWN_WAIT(&attr, &st, "escape_result_then_usage",
		       (uint64_t)(2u << 20));
	cr_assert(st.exited && st.code == CFORK_EXIT_USAGE,
		  "exited %d code %d signal %d", st.exited, st.code,
		  st.signal);
	cr_assert_not_null(st.error);
	cr_assert(st.result_truncated);
	cr_assert_eq(st.result_len, 1u << 20);
	assert_pattern(&st, 1u << 20);
	cfork_free(p);
	cr_assert_not(has_children());
}

/* ------------------------------------------------------------------------ */
/* 5. Forged reports                                                         */
/* ------------------------------------------------------------------------ */

/* The report channel as an attacker finds it: the one close-on-exec
   socket. -1: none; -2: more than one. */
static int find_report_fd(void)
{
	int found = -1;

	for (int fd = 3; fd < 1024; fd++) {
		struct stat st;
		int fdfl = fcntl(fd, F_GETFD);

		if (fdfl < 0 || fstat(fd, &st) < 0)
			continue;
		if (!S_ISSOCK(st.st_mode) || !(fdfl & FD_CLOEXEC))
			continue;
		if (found >= 0)
			return -2;
		found = fd;
	}
	return found;
}

/* Writes a frame of its own making to the report channel, then returns
   0: kind 3 claims every layer, kind 4 a call killed for. */
static int escape_forge(const cfork_args *a)
{
	uint32_t frame[4];
	size_t len;
	int fd = find_report_fd();

	if (fd < 0)
		return fd == -1 ? 3 : 4;
	if (cfork_arg_i64(a, 0) == REPORT_SANDBOX) {
		frame[0] = REPORT_SANDBOX;
		frame[1] = 4;
		frame[2] = 0xffffffffu;
		len = 12;
	} else {
		int32_t nr = 41;

		frame[0] = REPORT_BLOCKED;
		frame[1] = 8;
		memcpy(&frame[2], &nr, sizeof(nr));
		frame[3] = NATIVE_AUDIT_ARCH;
		len = 16;
	}
	return write(fd, frame, len) == (ssize_t)len ? 0 : 5;
}
CFORK_REGISTER(escape_forge, "i");

static cfork_proc *forge(const cfork_sandbox *sb, int kind, cfork_status *st)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_proc *p;

	attr.sandbox = sb;
	p = SPAWN_WAIT(&attr, st, "escape_forge", kind);
	cr_assert(st->exited && st->code == 0,
		  "the forger exited %d code %d signal %d (3: no report "
		  "channel found, 4: two) error %s", st->exited, st->code,
		  st->signal, st->error ? st->error : "-");
	return p;
}

Test(escape, a_child_without_sandbox_cannot_claim_sandbox_layers)
{
	cfork_status st;
	cfork_proc *p = forge(NULL, REPORT_SANDBOX, &st);

	cr_assert_eq(cfork_sandbox_applied(p), 0, "applied %#x",
		     cfork_sandbox_applied(p));
	cfork_free(p);
}

Test(escape, a_sandboxed_child_cannot_claim_layers_the_parent_did_not_ask_for)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	cfork_status st;
	cfork_proc *p = forge(sb, REPORT_SANDBOX, &st);
	unsigned applied = cfork_sandbox_applied(p);

	cfork_free(p);
	cfork_sandbox_free(sb);
	cr_assert_eq(applied & ~(unsigned)(CFORK_LAYER_SECCOMP |
		     CFORK_LAYER_LANDLOCK | CFORK_LAYER_RLIMITS |
		     CFORK_LAYER_NAMESPACES | CFORK_LAYER_CGROUP), 0,
		     "applied %#x", applied);
	cr_assert_eq(applied, CFORK_LAYER_SECCOMP, "applied %#x", applied);
}

Test(escape, a_child_that_exits_cannot_blame_a_blocked_system_call)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	const cfork_sandbox *sandboxes[] = { NULL, sb };

	for (size_t i = 0; i < 2; i++) {
		cfork_status st;
		cfork_proc *p = forge(sandboxes[i], REPORT_BLOCKED, &st);

		cr_assert_null(st.error, "%s: error \"%s\"",
			       i ? "NO_NETWORK" : "no sandbox", st.error);
		cfork_free(p);
	}
	cfork_sandbox_free(sb);
}

/* ------------------------------------------------------------------------ */
/* 6. Landlock without /proc                                                 */
/* ------------------------------------------------------------------------ */

/* Runs argv with stdout into out; the wait status. */
static int run_program(char *const argv[], char *out, size_t cap)
{
	char *env[4];
	posix_spawn_file_actions_t fa;
	int po[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	prog_env((char *const[]){ "PATH=/usr/bin:/bin", NULL }, env, 4);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, env), 0,
		     "cannot start %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	while ((n = read(po[0], out + len, cap - 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		len += n > 0 ? (size_t)n : 0;
	out[len] = '\0';
	close(po[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/*
 * A child with a second thread, under a landlock rule and REQUIRE, in a
 * mount namespace without /proc: the check for other threads cannot be
 * made, so the child must end with CFORK_EXIT_SANDBOX rather than run as if
 * landlock held every thread. With /proc, the same child is refused too.
 */
Test(escape, landlock_fails_closed_without_proc_for_a_child_with_threads)
{
	char *with[] = { TEST_PROGS_DIR "/escape_threads", "proc", "/",
			 NULL };
	char *without[] = { TEST_PROGS_DIR "/escape_threads", "noproc",
			    "/", NULL };
	char out[4096];
	int status, exited = -1, code = -1;

	skip_unless_root("to unmount /proc in a mount namespace");
	if (landlock_abi() < 1)
		cr_skip_test("no landlock here");

	status = run_program(with, out, sizeof(out));
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x: %s", status, out);
	cr_assert_eq(sscanf(out, "exited %d code %d", &exited, &code), 2,
		     "%s", out);
	cr_assert(exited == 1 && code == CFORK_EXIT_SANDBOX, "with /proc: %s",
		  out);

	status = run_program(without, out, sizeof(out));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		cr_skip_test("%s", out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x: %s", status, out);
	cr_assert_eq(sscanf(out, "exited %d code %d", &exited, &code), 2,
		     "%s", out);
	cr_assert(exited == 1 && code == CFORK_EXIT_SANDBOX,
		  "without /proc: %s", out);
}

/* ------------------------------------------------------------------------ */
/* 7. NO_FS_WRITE: inode flags and socket nodes                              */
/* ------------------------------------------------------------------------ */

enum { SETFLAGS, SETFLAGS_HIGH_BITS, FSSETXATTR };

/* Opens path read-only and sets FS_NOATIME_FL on it, as mode says. */
static int escape_setflags(const cfork_args *a)
{
	const char *path = cfork_arg_str(a, 0);
	int mode = (int)cfork_arg_i64(a, 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = 0;
	struct fsxattr fx;

	if (fd < 0)
		return 1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		flags = 0;
	flags |= FS_NOATIME_FL;
	switch (mode) {
	case SETFLAGS:
		return ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0 ? OK : 2;
	case SETFLAGS_HIGH_BITS:
		return syscall(SYS_ioctl, fd,
			       0xffffffff00000000ul | FS_IOC_SETFLAGS,
			       &flags) < 0 ? OK : 3;
	case FSSETXATTR:
		memset(&fx, 0, sizeof(fx));
		if (ioctl(fd, FS_IOC_FSGETXATTR, &fx) < 0)
			memset(&fx, 0, sizeof(fx));
		fx.fsx_xflags |= FS_XFLAG_NOATIME;
		return ioctl(fd, FS_IOC_FSSETXATTR, &fx) < 0 ? OK : 4;
	}
	return 5;
}
CFORK_REGISTER(escape_setflags, "si");

/* The flags of path, or -1. */
static int inode_flags(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags = -1;

	if (fd < 0)
		return -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		flags = -1;
	close(fd);
	return flags;
}

/* Whether this process can set and clear FS_NOATIME_FL on path. */
static bool parent_can_set_flags(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags, set;
	bool ok = false;

	if (fd < 0)
		return false;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		set = flags | FS_NOATIME_FL;
		ok = ioctl(fd, FS_IOC_SETFLAGS, &set) == 0 &&
		     ioctl(fd, FS_IOC_GETFLAGS, &set) == 0 &&
		     (set & FS_NOATIME_FL) &&
		     ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
	}
	close(fd);
	return ok;
}

/*
 * Under NO_FS_WRITE, a read-only fd is no way to change an inode's flags:
 * not by FS_IOC_SETFLAGS, not with the command's upper 32 bits set (the
 * kernel ignores them, a filter that compares 64 bits would not), not by
 * FS_IOC_FSSETXATTR. The flags are checked from this side.
 */
Test(escape, no_fs_write_stops_inode_flag_ioctls_on_a_read_only_fd)
{
	const char *roots[] = { "/tmp", TEST_PROGS_DIR };
	char dir[PATH_MAX] = "", file[PATH_MAX + 8];
	cfork_sandbox *sb;

	for (size_t i = 0; i < 2 && !dir[0]; i++) {
		int fd;

		snprintf(dir, sizeof(dir), "%s/cfork-escape-XXXXXX", roots[i]);
		if (!mkdtemp(dir)) {
			dir[0] = '\0';
			continue;
		}
		snprintf(file, sizeof(file), "%s/f", dir);
		fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		if (fd < 0 || !parent_can_set_flags(file)) {
			remove_tree(dir);
			dir[0] = '\0';
		}
	}
	if (!dir[0])
		cr_skip_test("neither /tmp nor the build directory lets this "
			     "process set FS_NOATIME_FL");

	int before = inode_flags(file);
	sb = new_sandbox(CFORK_SB_NO_FS_WRITE);
	for (int mode = SETFLAGS; mode <= FSSETXATTR; mode++) {
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_status st;
		cfork_proc *p;

		attr.sandbox = sb;
		p = SPAWN_WAIT(&attr, &st, "escape_setflags", file, mode);
		cfork_free(p);
		int after = inode_flags(file);
		if (after != before) {
			int fd = open(file, O_RDONLY | O_CLOEXEC);

			ioctl(fd, FS_IOC_SETFLAGS, &before);
			close(fd);
		}
		cr_expect_eq(after, before, "mode %d: flags %#x, then %#x",
			     mode, before, after);
		cr_expect((st.exited && st.code == OK) ||
			  (!st.exited && st.signal == SIGSYS),
			  "mode %d: exited %d code %d signal %d", mode,
			  st.exited, st.code, st.signal);
	}
	cfork_sandbox_free(sb);
	remove_tree(dir);
}

/* On its stdin, the caller's controlling terminal: types a character
   into it (TIOCSTI, also with the command's upper 32 bits set), makes the
   group given the foreground one (TIOCSPGRP), reads its size and its line
   discipline, which must still work, sets its output flow (to on), its
   line discipline (to the same) and its exclusive mode (then back), and
   turns on O_ASYNC (which makes the terminal's foreground group, the
   caller's, its owner) by fcntl and by ioctl: harmless here, each would
   work for any value. OK, or 10 + the number of the first that went
   otherwise. */
static int escape_terminal(const cfork_args *a)
{
	pid_t group = (pid_t)cfork_arg_i64(a, 0);
	struct winsize size;
	char c = '#';
	int line = 0, on = 1, flags = fcntl(0, F_GETFL);
	const bool went[] = {
		ioctl(0, TIOCSTI, &c) == 0,
		syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, &c) == 0,
		ioctl(0, TIOCSPGRP, &group) == 0,
		ioctl(0, TIOCGWINSZ, &size) != 0,
		ioctl(0, TCXONC, TCOON) == 0,
		ioctl(0, TIOCGETD, &line) != 0 ||
			ioctl(0, TIOCSETD, &line) == 0,
		ioctl(0, TIOCEXCL) == 0 && ioctl(0, TIOCNXCL) == 0,
		flags < 0 || fcntl(0, F_SETFL, flags | O_ASYNC) == 0,
		ioctl(0, FIOASYNC, &on) == 0,
	};

	for (size_t i = 0; i < sizeof(went) / sizeof(went[0]); i++)
		if (went[i])
			return 11 + (int)i;
	return OK;
}
CFORK_REGISTER(escape_terminal, "i");

/* In a fork of this process, leading a session whose controlling terminal
   is a new pty, as a program started from a shell: escape_terminal under
   each sandbox, its results written to out. */
static _Noreturn void terminal_session(const char *tty_name,
				       cfork_sandbox *const *sandboxes,
				       size_t n, int out)
{
	int tty = -1;

	if (setsid() < 0 || (tty = open(tty_name, O_RDWR | O_CLOEXEC)) < 0 ||
	    ioctl(tty, TIOCSCTTY, 0) < 0 || dup2(tty, 0) < 0)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_status st;
		cfork_proc *p;
		int code = -1;

		attr.sandbox = sandboxes[i];
		if (cfork_spawn(&p, &attr, "escape_terminal",
				(int64_t)getpgrp()) == 0) {
			if (cfork_wait(p, WAIT_MS, &st) == 0)
				code = st.exited ? st.code : 100 + st.signal;
			cfork_free(p);
		}
		if (write(out, &code, sizeof(code)) != sizeof(code))
			_exit(2);
	}
	_exit(0);
}

/*
 * A sandboxed child in its caller's session shares its controlling
 * terminal: it could type a command line into it, which the caller's
 * shell runs unsandboxed once the caller is done, or take its foreground,
 * which stops the caller at its next write. Under the base, the presets
 * that deny by list, and COMPUTE with ioctl allowed, neither works, and
 * the terminal's other ioctls still do.
 */
Test(escape, a_sandboxed_child_cannot_type_into_or_take_its_callers_terminal)
{
	cfork_sandbox *sb[3] = {
		new_sandbox(0),
		new_sandbox(CFORK_SB_NO_NETWORK | CFORK_SB_NO_EXEC |
			    CFORK_SB_NO_FS_WRITE),
		new_sandbox(CFORK_SB_COMPUTE),
	};
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	int pipefd[2], status;

	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		cr_skip_test("no pseudo-terminal here: %s", strerror(errno));
	cr_assert_eq(cfork_sandbox_allow(sb[2], "ioctl"), 0);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid_t session = fork();
	cr_assert_geq(session, 0);
	if (session == 0)
		terminal_session(ptsname(master), sb, 3, pipefd[1]);
	close(pipefd[1]);
	for (size_t i = 0; i < 3; i++) {
		int code = 0;
		cr_assert_eq(read(pipefd[0], &code, sizeof(code)),
			     sizeof(code), "sandbox %zu: no result", i);
		cr_expect_eq(code, OK, "sandbox %zu: %d (10 + 1: typed, 2: "
			     "typed past a 64-bit check, 3: took the "
			     "foreground, 4: lost its size, 5: set its flow, "
			     "6: set its line discipline, 7: made it "
			     "exclusive, 8, 9: O_ASYNC by fcntl, by ioctl)",
			     i, code);
	}
	close(pipefd[0]);
	close(master);
	cr_assert_eq(waitpid(session, &status, 0), session);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status %#x", status);
	for (size_t i = 0; i < 3; i++)
		cfork_sandbox_free(sb[i]);
}

/* Binds an AF_UNIX socket to path: OK if it cannot. */
static int escape_bind(const cfork_args *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return OK;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		 cfork_arg_str(a, 0));
	return bind(s, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? OK : 1;
}
CFORK_REGISTER(escape_bind, "s");

Test(escape, no_fs_write_creates_no_socket_node)
{
	char dir[64], path[128];
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_FS_WRITE);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	struct stat sst;

	scratch_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	attr.sandbox = sb;
	p = SPAWN_WAIT(&attr, &st, "escape_bind", path);
	cfork_free(p);
	cfork_sandbox_free(sb);
	bool made = lstat(path, &sst) == 0;
	remove_tree(dir);
	cr_assert_not(made, "the child made a socket node in a writable dir");
	cr_assert((st.exited && st.code == OK) ||
		  (!st.exited && st.signal == SIGSYS),
		  "exited %d code %d signal %d", st.exited, st.code, st.signal);
}

/* ------------------------------------------------------------------------ */
/* 8. COMPUTE                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Stats /etc/passwd by path: each must fail (not kill). newfstatat with
 * AT_EMPTY_PATH and a path is what glibc's fstat is, and the path is behind
 * a pointer a filter cannot read: the header documents that it stays
 * possible, and glibc's statx falls back to it.
 */
static int escape_compute_stat(const cfork_args *a)
{
	struct statx stx;
	struct stat st;

	(void)a;
	if (statx(AT_FDCWD, "/etc/passwd", 0, STATX_ALL, &stx) == 0)
		return 1;
	if (syscall(SYS_statx, AT_FDCWD, "/etc/passwd", 0, STATX_ALL,
		    &stx) == 0)
		return 2;
	if (syscall(SYS_statx, AT_FDCWD, "/etc/passwd", AT_EMPTY_PATH,
		    STATX_ALL, &stx) == 0)
		return 3;
	if (syscall(SYS_newfstatat, AT_FDCWD, "/etc/passwd", &st, 0) == 0)
		return 4;
	return OK;
}
CFORK_REGISTER(escape_compute_stat, "");

Test(escape, compute_refuses_a_stat_by_path_without_killing)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	p = SPAWN_WAIT(&attr, &st, "escape_compute_stat");
	cfork_free(p);
	cfork_sandbox_free(sb);
	cr_assert(st.exited && st.code == OK,
		  "exited %d code %d signal %d error %s (1-3: statx of a "
		  "path worked, 4: newfstatat)", st.exited, st.code,
		  st.signal, st.error ? st.error : "-");
}

/* Sets O_NONBLOCK on fd 1 and on the inherited fd. */
static int escape_setfl(const cfork_args *a)
{
	int fd = cfork_arg_fd(a, 0);

	if (fcntl(1, F_SETFL, O_NONBLOCK) == 0)
		return 1;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
		return 2;
	return OK;
}
CFORK_REGISTER(escape_setfl, "f");

Test(escape, compute_cannot_change_the_parents_file_status_flags)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;
	int out[2], kept[2];

	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(kept, O_CLOEXEC), 0);
	attr.sandbox = sb;
	attr.stdout_fd = out[1];
	p = SPAWN_WAIT(&attr, &st, "escape_setfl", cfork_fd(kept[1]));
	cfork_free(p);
	cfork_sandbox_free(sb);
	int fl_out = fcntl(out[1], F_GETFL), fl_kept = fcntl(kept[1], F_GETFL);
	close(out[0]);
	close(out[1]);
	close(kept[0]);
	close(kept[1]);
	cr_assert_not(fl_out & O_NONBLOCK, "the child's stdout is now "
		      "non-blocking for the parent too");
	cr_assert_not(fl_kept & O_NONBLOCK, "the inherited fd is now "
		      "non-blocking for the parent too");
	cr_assert((st.exited && st.code == OK) ||
		  (!st.exited && st.signal == SIGSYS),
		  "exited %d code %d signal %d", st.exited, st.code, st.signal);
}

/* Sets O_NONBLOCK on each of its stdio, by fcntl and by ioctl, and writes
   on stdout how many of the six took. */
static int escape_nonblock_stdio(const cfork_args *a)
{
	int on = 1, took = 0;

	(void)a;
	for (int fd = 0; fd < 3; fd++) {
		int flags = fcntl(fd, F_GETFL);
		took += flags >= 0 &&
			fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
		took += ioctl(fd, FIONBIO, &on) == 0;
	}
	return dprintf(1, "%d", took) > 0 ? OK : 1;
}
CFORK_REGISTER(escape_nonblock_stdio, "");

/* One call of escape_nonblock_stdio under attr: cold (flags 0), through a
   pool's child or through a fork server; *st filled, its stdout read
   into out (NUL-terminated). */
static void nonblock_stdio_call(const cfork_attr *attr, unsigned flags,
				int out_rd, char *out, size_t size,
				cfork_status *st)
{
	cfork_pool *pool = NULL;
	cfork_proc *p;
	int r;

	if (flags)
		cr_assert_eq(cfork_pool_new(&pool, attr, 1, flags), 0);
	r = pool ? cfork_pool_spawn(pool, &p, "escape_nonblock_stdio") :
		   cfork_spawn(&p, attr, "escape_nonblock_stdio");
	cr_assert_eq(r, 0, "spawn: %s", strerror(-r));
	if (pool)
		cr_assert(cfork_paths(p) & (CFORK_PATH_POOL |
					    CFORK_PATH_FORK_SERVER),
			  "the call went cold");
	cr_assert_eq(cfork_wait(p, WAIT_MS, st), 0);
	cfork_free(p);
	cfork_pool_free(pool);
	ssize_t n = read(out_rd, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
}

/*
 * A sandboxed child's stdio is its caller's pipe or terminal, but not its
 * caller's open file description, whose flags it would share: O_NONBLOCK
 * set on it makes the caller's writes there fail with EAGAIN, and the
 * shell's reads of its terminal once the caller is done. Under the base
 * and the presets that deny by list (COMPUTE refuses F_SETFL), cold,
 * through a pool's child and through a fork server.
 */
Test(escape, a_sandboxed_child_cannot_make_its_callers_stdio_non_blocking)
{
	static const unsigned modes[3] = { 0, CFORK_POOL_EXEC,
					   CFORK_POOL_FORK };
	static const char *const names[3] = { "cold", "pool", "fork server" };
	cfork_sandbox *sb[2] = {
		new_sandbox(0),
		new_sandbox(CFORK_SB_NO_NETWORK | CFORK_SB_NO_EXEC |
			    CFORK_SB_NO_FS_WRITE),
	};
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		cr_skip_test("no pseudo-terminal here: %s", strerror(errno));
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(tty, 0);
	for (size_t k = 0; k < 2; k++)
		for (size_t m = 0; m < 3; m++) {
			cfork_attr attr = CFORK_ATTR_INIT;
			cfork_status st;
			int in[2], out[2];
			char took[16];

			cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
			cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
			attr.sandbox = sb[k];
			attr.stdin_fd = in[0];
			attr.stdout_fd = out[1];
			attr.stderr_fd = tty;
			nonblock_stdio_call(&attr, modes[m], out[0], took,
					    sizeof(took), &st);
			cr_assert(st.exited && st.code == OK,
				  "sandbox %zu, %s: exited %d code %d "
				  "signal %d", k, names[m], st.exited,
				  st.code, st.signal);
			cr_assert_str_eq(took, "6", "sandbox %zu, %s: the "
					 "child could not try", k, names[m]);
			const int mine[3] = { in[0], out[1], tty };
			for (int fd = 0; fd < 3; fd++)
				cr_expect_not(fcntl(mine[fd], F_GETFL) &
					      O_NONBLOCK, "sandbox %zu, %s: "
					      "the caller's fd %d is now "
					      "non-blocking", k, names[m],
					      fd);
			fcntl(tty, F_SETFL, 0);
			for (int i = 0; i < 2; i++) {
				close(in[i]);
				close(out[i]);
			}
		}
	close(tty);
	close(master);
	for (size_t k = 0; k < 2; k++)
		cfork_sandbox_free(sb[k]);
}

/* Writes on stdout which of its stdio are non-blocking: "012" for all,
   "" for none. */
static int escape_report_nonblocking(const cfork_args *a)
{
	char which[4] = "";
	size_t n = 0;

	(void)a;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFL) & O_NONBLOCK)
			which[n++] = (char)('0' + fd);
	return dprintf(1, "[%s]", which) > 0 ? OK : 1;
}
CFORK_REGISTER(escape_report_nonblocking, "");

/*
 * A fork server's calls share the stdio descriptions the server was
 * launched with: a call that sets O_NONBLOCK on them must not leave the
 * calls after it to fail their writes with EAGAIN.
 */
Test(escape, a_fork_server_call_cannot_make_the_next_ones_stdio_non_blocking)
{
	cfork_sandbox *sb = new_sandbox(0);
	cfork_attr attr = CFORK_ATTR_INIT;
	const char *calls[2] = { "escape_nonblock_stdio",
				 "escape_report_nonblocking" };
	cfork_pool *pool;
	int in[2], out[2];
	char got[32];
	ssize_t n;

	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	attr.sandbox = sb;
	attr.stdin_fd = in[0];
	attr.stdout_fd = out[1];
	attr.stderr_fd = out[1];
	cr_assert_eq(cfork_pool_new(&pool, &attr, 1, CFORK_POOL_FORK), 0);
	for (int i = 0; i < 2; i++) {
		cfork_status st;
		cfork_proc *p;

		cr_assert_eq(cfork_pool_spawn(pool, &p, calls[i]), 0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER,
			  "call %d went cold", i);
		cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
		cfork_free(p);
		cr_assert(st.exited && st.code == OK, "call %d: exited %d "
			  "code %d signal %d", i, st.exited, st.code,
			  st.signal);
	}
	cfork_pool_free(pool);
	close(out[1]);
	n = read(out[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	cr_assert_str_eq(got, "6[]", "the second call's non-blocking stdio "
			 "(first call's count, then theirs)");
	close(out[0]);
	close(in[0]);
	close(in[1]);
	cfork_sandbox_free(sb);
}

/* Writes "HELLO" on its stdout. */
static int escape_stdout_hello(const cfork_args *a)
{
	(void)a;
	return write(1, "HELLO", 5) == 5 ? OK : 1;
}
CFORK_REGISTER(escape_stdout_hello, "");

/*
 * A pty master opened again is a new pty (every master is the one inode
 * of ptmx): a sandboxed child given its caller's master writes to that
 * pty, whose terminal side reads it, not to a pty of its own nobody reads.
 */
Test(escape, a_sandboxed_childs_pty_master_stdout_is_its_callers_pty)
{
	cfork_sandbox *sb = new_sandbox(0);
	cfork_attr attr = CFORK_ATTR_INIT;
	struct termios raw;
	cfork_status st;
	cfork_proc *p;
	char got[16] = "";
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		cr_skip_test("no pseudo-terminal here: %s", strerror(errno));
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(tty, 0);
	cr_assert_eq(tcgetattr(tty, &raw), 0);
	cfmakeraw(&raw);
	cr_assert_eq(tcsetattr(tty, TCSANOW, &raw), 0);
	attr.sandbox = sb;
	attr.stdout_fd = master;
	cr_assert_eq(cfork_spawn(&p, &attr, "escape_stdout_hello"), 0);
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cfork_free(p);
	cr_assert(st.exited && st.code == OK, "exited %d code %d signal %d",
		  st.exited, st.code, st.signal);
	struct pollfd ready = { .fd = tty, .events = POLLIN };
	cr_assert_eq(poll(&ready, 1, 5000), 1, "the child wrote to another "
		     "pty than its caller's");
	cr_assert_eq(read(tty, got, sizeof(got) - 1), 5);
	cr_assert_str_eq(got, "HELLO");
	close(tty);
	close(master);
	cfork_sandbox_free(sb);
}

enum { SPOIL_BY_CHMOD, SPOIL_BY_EXCLUSIVE_MODE, SPOIL_BY_LOCKING_PTY };

/* Makes its stdout one its caller cannot open again: by the pipe's or
   terminal's permissions, which its owner may change, by putting the
   terminal in exclusive mode, or, given a pty's master, by locking its
   terminal. */
static int escape_spoil_stdout(const cfork_args *a)
{
	int on = 1;

	switch (cfork_arg_i64(a, 0)) {
	case SPOIL_BY_CHMOD:
		return fchmod(1, 0) == 0 ? OK : 1;
	case SPOIL_BY_EXCLUSIVE_MODE:
		return ioctl(1, TIOCEXCL) == 0 ? OK : 2;
	default:
		return ioctl(1, TIOCSPTLCK, &on) == 0 ? OK : 3;
	}
}
CFORK_REGISTER(escape_spoil_stdout, "i");

/* A pipe (pty false) or a pty's terminal side as *out, and the other end
   as *other; false where none can be made. */
static bool stdout_to_spoil(bool pty, int *out, int *other)
{
	int ends[2];

	if (!pty) {
		if (pipe2(ends, O_CLOEXEC) < 0)
			return false;
		*other = ends[0];
		*out = ends[1];
		return true;
	}
	*other = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*other < 0 || grantpt(*other) < 0 || unlockpt(*other) < 0) {
		if (*other >= 0)
			close(*other);
		return false;
	}
	*out = open(ptsname(*other), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*out < 0)
		close(*other);
	return *out >= 0;
}

/* Runs as uid 65534 (root opens whatever it likes): one sandboxed child
   spoils its stdout, and the next one, given the same, must get a
   description of its own or a clear error, never its caller's. */
static int escape_spoiled_stdout(const cfork_args *a)
{
	static const struct {
		bool pty;
		int how;
		bool sandboxed;	/* the base sandbox refuses TIOCEXCL */
		bool on_master;	/* the spoiler's stdout is the pty's master */
		const char *what;
	} spoils[] = {
		{ false, SPOIL_BY_CHMOD, true, false,
		  "a pipe's mode taken away" },
		{ true, SPOIL_BY_CHMOD, true, false,
		  "a terminal's mode taken away" },
		{ true, SPOIL_BY_EXCLUSIVE_MODE, false, false,
		  "a terminal in exclusive mode" },
		{ true, SPOIL_BY_LOCKING_PTY, true, true,
		  "a terminal locked by its master's holder" },
	};
	cfork_sandbox *sb = NULL;
	int r;

	(void)a;
	if (!become_uid(NOBODY))
		return check_failed(CHECKS_SKIPPED, "cannot become %d: %s",
				    NOBODY, strerror(errno));
	if ((r = cfork_sandbox_new(&sb, 0)))
		return check_failed(1, "sandbox: %s", strerror(-r));
	for (size_t i = 0; i < sizeof(spoils) / sizeof(spoils[0]); i++) {
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_status st;
		cfork_proc *p;
		int out, other;

		if (!stdout_to_spoil(spoils[i].pty, &out, &other))
			continue;
		attr.sandbox = spoils[i].sandboxed ? sb : NULL;
		attr.stdout_fd = spoils[i].on_master ? other : out;
		if ((r = cfork_spawn(&p, &attr, "escape_spoil_stdout",
				     (int64_t)spoils[i].how)) ||
		    (r = cfork_wait(p, WAIT_MS, &st)))
			return check_failed(2, "%s: %s", spoils[i].what,
					    strerror(-r));
		cfork_free(p);
		if (!st.exited || st.code != OK)
			return check_failed(3, "%s: could not be made (%d %d)",
					    spoils[i].what, st.code, st.signal);
		attr.sandbox = sb;
		attr.stdout_fd = out;
		r = cfork_spawn(&p, &attr, "escape_nonblock_stdio");
		if (r == 0) {
			if ((r = cfork_wait(p, WAIT_MS, &st)))
				return check_failed(4, "%s: %s", spoils[i].what,
						    strerror(-r));
			cfork_free(p);
			if (fcntl(out, F_GETFL) & O_NONBLOCK)
				return check_failed(5, "%s: the next child "
						    "made its caller's stdout "
						    "non-blocking",
						    spoils[i].what);
		} else if (r != -EACCES && r != -EBUSY && r != -EIO) {
			return check_failed(6, "%s: spawn: %s", spoils[i].what,
					    strerror(-r));
		}
		close(out);
		close(other);
	}
	cfork_sandbox_free(sb);
	return 0;
}
CFORK_REGISTER(escape_spoiled_stdout, "");

/*
 * The next sandboxed child's own description of a pipe or terminal is
 * opened again through /proc, as its caller's uid: a child before it
 * could make that open fail (the pipe's mode, fchmod being no landlock
 * right; a terminal's exclusive mode, under a sandbox that lets it; a
 * pty's terminal locked, by a child given the pty's master). Such
 * a failure is the spawn's, a clear error, and never a fall back to the
 * caller's description.
 */
Test(escape, a_child_cannot_spoil_its_stdio_to_share_the_next_ones)
{
	run_checking_child("escape_spoiled_stdout", NULL, 0);
}

/* Takes the mode of every other terminal of its uid away by name. */
static void take_terminal_modes(void)
{
	char path[32];

	for (int i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/dev/pts/%d", i);
		(void)chmod(path, 0);
	}
}

/* Takes its stdout's mode away and puts it back, over and over, for the
   milliseconds given, and the mode of every other terminal of its uid
   by name; with a second argument 1, while its stdout's is gone, that
   of /dev/ptmx, then of /dev, whose owner it is. */
static int escape_flip_stdout_mode(const cfork_args *a)
{
	int64_t end = now_ms() + cfork_arg_i64(a, 0);
	bool ptmx = cfork_arg_i64(a, 1);

	while (now_ms() < end) {
		if (fchmod(1, 0) < 0 || (ptmx && chmod("/dev/ptmx", 0) < 0))
			return 1;
		/* A new pty its caller opens to compare with is one of
		   them. */
		take_terminal_modes();
		if (ptmx && chmod("/dev/ptmx", 0666) < 0)
			return 1;
		/* And the directories the caller's opens go through. */
		for (int i = 0; ptmx && i < 64; i++)
			if (chmod("/dev", 0) < 0 || chmod("/dev", 0755) < 0 ||
			    chmod("/proc", 0) < 0 || chmod("/proc", 0555) < 0)
				return 1;
		if (fchmod(1, 0600) < 0)
			return 1;
	}
	return OK;
}
CFORK_REGISTER(escape_flip_stdout_mode, "ii");

/* Root, in a /dev, devpts and /proc of its own (its /dev/ptmx that
   devpts's), all root's and so its children's too, without the
   capabilities that would open a file its mode refuses: as a hardened
   service running as root may be. */
static bool become_root_without_dac(void)
{
	const int dac[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };
	struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3,
						 0 };
	struct __user_cap_data_struct data[2];

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", "/proc", "proc", 0, NULL) < 0 ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0 ||
	    mkdir("/dev/pts", 0755) < 0 ||
	    mount("devpts", "/dev/pts", "devpts", 0,
		  "newinstance,ptmxmode=0666,mode=0600") < 0 ||
	    symlink("pts/ptmx", "/dev/ptmx") < 0 ||
	    mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)) < 0 ||
	    syscall(SYS_capget, &head, data) < 0)
		return false;
	for (size_t i = 0; i < sizeof(dac) / sizeof(dac[0]); i++) {
		uint32_t bit = 1u << (dac[i] % 32);
		data[dac[i] / 32].effective &= ~bit;
		data[dac[i] / 32].permitted &= ~bit;
		data[dac[i] / 32].inheritable &= ~bit;
		if (prctl(PR_CAPBSET_DROP, dac[i], 0, 0, 0) < 0)
			return false;
	}
	return syscall(SYS_capset, &head, data) == 0;
}

/* Lets itself write files beneath dir only (landlock, WRITE_FILE), as a
   service confined to its terminal may be: /dev/ptmx is refused. */
static bool landlock_writes_beneath(const char *dir)
{
	/* struct landlock_ruleset_attr, LANDLOCK_ACCESS_FS_WRITE_FILE */
	const uint64_t handled = 1ull << 1;
	struct __attribute__((packed)) {
		uint64_t allowed_access;
		int32_t parent_fd;
	} beneath = { handled, open(dir, O_PATH | O_CLOEXEC) };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &handled,
				   sizeof(handled), 0);
	bool done = ruleset >= 0 && beneath.parent_fd >= 0 &&
		    syscall(445 /* landlock_add_rule */, ruleset,
			    1 /* LANDLOCK_RULE_PATH_BENEATH */, &beneath,
			    0) == 0 &&
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		    syscall(446 /* landlock_restrict_self */, ruleset, 0) == 0;

	if (ruleset >= 0)
		close(ruleset);
	if (beneath.parent_fd >= 0)
		close(beneath.parent_fd);
	return done;
}

/* Who the race's caller is. */
enum racer {
	RACER_UID,		/* FLIPPER_UID */
	RACER_ROOT,		/* root without the DAC capabilities */
	RACER_LANDLOCKED,	/* LANDLOCKED_FLIPPER_UID, writing beneath
				   /dev/pts only */
};

/* Runs as the racer its argument names: while a sandboxed child flips
   the mode of its stdout, a pipe then a terminal, and takes the mode of
   every other terminal of its uid away, and as root those of /dev/ptmx,
   /dev and /proc too, its siblings given the same stdout set it
   non-blocking, which must never reach the caller's. */
static int escape_stdout_mode_race(const cfork_args *a)
{
	const int64_t flip_ms = 700;
	enum racer racer = (enum racer)cfork_arg_i64(a, 0);
	cfork_sandbox *sb = NULL;
	int out[2], other[2], r;

	uid_t uid = racer == RACER_UID ? FLIPPER_UID : LANDLOCKED_FLIPPER_UID;

	if (racer == RACER_ROOT ? !become_root_without_dac() : !become_uid(uid))
		return check_failed(CHECKS_SKIPPED, "cannot become %s: %s",
				    racer == RACER_ROOT ?
					    "root without DAC capabilities" :
					    "its uid",
				    strerror(errno));
	for (int pty = 0; pty < 2; pty++)
		if (!stdout_to_spoil(pty, &out[pty], &other[pty]))
			return check_failed(CHECKS_SKIPPED,
					    "no pipe or pseudo-terminal");
	if (racer == RACER_LANDLOCKED && !landlock_writes_beneath("/dev/pts"))
		return check_failed(CHECKS_SKIPPED, "no landlock here: %s",
				    strerror(errno));
	if ((r = cfork_sandbox_new(&sb, 0)))
		return check_failed(1, "sandbox: %s", strerror(-r));
	for (int pty = 0; pty < 2; pty++) {
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_proc *flipper, *p;
		cfork_status st;
		int calls = 0, refused = 0;
		char drain[4096];

		/* The pipe's flipper took the terminal's mode away too. */
		fchmod(out[pty], 0600);
		fcntl(other[pty], F_SETFL, O_NONBLOCK);
		attr.sandbox = sb;
		attr.stdout_fd = out[pty];
		if ((r = cfork_spawn(&flipper, &attr,
				     "escape_flip_stdout_mode", flip_ms,
				     (int64_t)(racer == RACER_ROOT))))
			return check_failed(2, "flipper: %s", strerror(-r));
		int64_t end = now_ms() + flip_ms;
		while (now_ms() < end) {
			r = cfork_spawn(&p, &attr, "escape_nonblock_stdio");
			if (r == -EACCES) {
				refused++;
				continue;
			}
			if (r || (r = cfork_wait(p, WAIT_MS, &st)))
				return check_failed(3, "call: %s",
						    strerror(-r));
			cfork_free(p);
			calls++;
			while (read(other[pty], drain, sizeof(drain)) > 0)
				;
			if (fcntl(out[pty], F_GETFL) & O_NONBLOCK)
				return check_failed(4, "%s: call %d of %d "
						    "shared its caller's stdout",
						    pty ? "terminal" : "pipe",
						    calls, calls + refused);
		}
		if ((r = cfork_wait(flipper, WAIT_MS, &st)) || !st.exited ||
		    st.code != OK)
			return check_failed(5, "flipper: %d %d %d", r, st.code,
					    st.signal);
		cfork_free(flipper);
		close(out[pty]);
		close(other[pty]);
	}
	cfork_sandbox_free(sb);
	return 0;
}
CFORK_REGISTER(escape_stdout_mode_race, "i");

/*
 * A child that takes its pipe's or terminal's mode away and puts it back
 * before its caller looks cannot pass for the caller's own landlock
 * domain: that refuses a pipe or terminal no child changed as well. Nor
 * can it spoil the new pty its caller compares with, which it can reach
 * by name.
 */
Test(escape, a_child_flipping_its_stdios_mode_cannot_share_the_next_ones)
{
	cfork_value racer = cfork_i64(RACER_UID);

	run_checking_child("escape_stdout_mode_race", &racer, 1);
}

/*
 * The same, the caller root without the capabilities that open what a
 * mode refuses, and its child root too: it owns /dev/ptmx, /dev and /proc,
 * and taking their modes away as well cannot make a refusal look like
 * the caller's own domain's.
 */
Test(escape, a_root_child_flipping_ptmxs_mode_cannot_share_the_next_ones)
{
	cfork_value racer = cfork_i64(RACER_ROOT);

	run_checking_child("escape_stdout_mode_race", &racer, 1);
}

/*
 * The same, the caller under a landlock domain of its own that lets it
 * write to its terminal but refuses /dev/ptmx: what the domain refuses
 * elsewhere says nothing of its terminal.
 */
Test(escape, a_domain_refusing_ptmx_alone_does_not_make_a_flip_share)
{
	cfork_value racer = cfork_i64(RACER_LANDLOCKED);

	run_checking_child("escape_stdout_mode_race", &racer, 1);
}

/* How a hold is timed: the child has settle_ms to start it; then steps
   (cfork_wait(p, 0)) for steps_ms, a wait of 300 ms unless free_first,
   and the handle's free. */
struct hold_timing {
	int settle_ms, steps_ms;
	bool free_first;
};

/* This thread's time waiting for a CPU so far, in ms (the kernel's
   schedstat); 0 where the kernel does not count it. */
static int64_t runqueue_wait_ms(void)
{
	unsigned long long on_cpu, waiting = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");

	if (f) {
		if (fscanf(f, "%llu %llu", &on_cpu, &waiting) != 2)
			waiting = 0;
		fclose(f);
	}
	return (int64_t)(waiting / 1000000);
}

/* A span of the caller's own time: on a CPU or asleep, as a hold keeps
   it, but not waiting for a CPU that other threads have (the child's
   busy threads, a busy machine): that is no hold, and would make the
   verdict the machine's load. */
struct own_time {
	int64_t wall, waiting;
};

static struct own_time own_time_start(void)
{
	return (struct own_time){ now_ms(), runqueue_wait_ms() };
}

static int64_t own_time_since(struct own_time t)
{
	return now_ms() - t.wall - (runqueue_wait_ms() - t.waiting);
}

/*
 * Grows this process's fd table to room for what a child can leave its
 * caller to close (up to 1024 fds, an eighth of the fd limit where that is
 * less) and one read's 253 more. The kernel grows the table of a threaded
 * process after an RCU grace period, which a loaded machine (the child's
 * busy threads among its load) stretches to seconds, once for each
 * doubling in a process's life: a wait whoever brings the fds, which
 * README's security model lists; the steps time what the child holds.
 */
static void grow_fd_table(void)
{
	struct rlimit nofile;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &nofile), 0);
	rlim_t top = nofile.rlim_cur < 2048 ? nofile.rlim_cur : 2048;
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, (int)top - 1);
	cr_assert_geq(fd, 0, "fd table: %s", strerror(errno));
	close(fd);
}

/*
 * A sandboxed child that holds its caller if it can (fn, with the
 * values given): each step, the wait and the free must return on time,
 * in the caller's own time. A step is CPU work at most, which a slower
 * build does slower; a hold is a sleep, as long on any build.
 */
static void assert_hold_cannot_outlast(unsigned capture, const char *fn,
				       const cfork_value *v, size_t n,
				       struct hold_timing how)
{
	const int64_t step_max = 100 * TEST_SLOWDOWN;
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb;
	cfork_status st;
	cfork_proc *p;
	int r = -ETIMEDOUT;
	int64_t worst = 0, steps = 0;
	int step = -ETIMEDOUT;

	grow_fd_table();
	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	attr.sandbox = sb;
	attr.capture = capture;
	cr_assert_eq(cfork_spawnv(&p, &attr, fn, v, n), 0);
	usleep((useconds_t)how.settle_ms * 1000);
	for (int64_t end = now_ms() + how.steps_ms; now_ms() < end; steps++) {
		struct own_time t0 = own_time_start();
		step = cfork_wait(p, 0, &st);
		int64_t took = own_time_since(t0);
		worst = took > worst ? took : worst;
		/* Over, most often after a step that was held until the
		   child's end: told as the hold it is. */
		if (step != -ETIMEDOUT)
			break;
	}
	struct own_time t0 = own_time_start();
	if (!how.free_first)
		r = cfork_wait(p, 300, &st);
	int64_t waited = own_time_since(t0);
	t0 = own_time_start();
	cfork_free(p);
	int64_t freed = own_time_since(t0);
	cfork_sandbox_free(sb);
	cr_assert_lt(worst, step_max, "a step took %lld ms (%lld steps)",
		     (long long)worst, (long long)steps);
	cr_assert_eq(step, -ETIMEDOUT, "step: %d", step);
	cr_assert_lt(waited, 1500, "a wait of 300 ms took %lld ms",
		     (long long)waited);
	cr_assert_eq(r, -ETIMEDOUT, "wait: %d", r);
	cr_assert_lt(freed, 1000, "cfork_free took %lld ms", (long long)freed);
}

/* Has io_uring splice len bytes from in to out, without waiting for it:
   whether it was submitted. */
static bool uring_splice(int in, int out, unsigned len)
{
	struct io_uring_params params = { 0 };
	int ring = (int)syscall(SYS_io_uring_setup, 1, &params);

	if (ring < 0)
		return false;
	size_t sq_size = params.sq_off.array + params.sq_entries *
					       sizeof(unsigned);
	char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			ring, IORING_OFF_SQ_RING);
	struct io_uring_sqe *sqe = mmap(NULL, sizeof(*sqe),
					PROT_READ | PROT_WRITE, MAP_SHARED,
					ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqe == MAP_FAILED)
		return false;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_SPLICE;
	sqe->splice_fd_in = in;
	sqe->splice_off_in = (uint64_t)-1;
	sqe->fd = out;
	sqe->off = (uint64_t)-1;
	sqe->len = len;
	((unsigned *)(void *)(sq + params.sq_off.array))[0] = 0;
	__atomic_store_n((unsigned *)(void *)(sq + params.sq_off.tail), 1,
			 __ATOMIC_RELEASE);
	return syscall(SYS_io_uring_enter, ring, 1, 0, 0, NULL, 0) == 1;
}

/* Holds the lock of the pipe that is its stdout for the milliseconds
   given, if it can: splice, sendfile or io_uring's splice from a socket
   nothing is written to (its receive timeout ends the wait); then waits
   out the rest. */
static int escape_hold_stdout_lock(const cfork_args *a)
{
	int64_t ms = cfork_arg_i64(a, 0), end = now_ms() + ms;
	struct timeval wait = { ms / 1000, (ms % 1000) * 1000 };
	int s[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0 ||
	    setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &wait,
		       sizeof(wait)) < 0)
		return 1;
	if (splice(s[0], NULL, 1, NULL, 4096, 0) < 0 && errno != EAGAIN &&
	    sendfile(1, s[0], NULL, 4096) < 0 && errno != EAGAIN)
		(void)uring_splice(s[0], 1, 4096);
	while (now_ms() < end)
		usleep(10000);
	return OK;
}
CFORK_REGISTER(escape_hold_stdout_lock, "i");

/*
 * A pipe's reader or writer takes the pipe's lock, uninterruptibly, and
 * splice, sendfile or io_uring's splice from a socket holds it while
 * they wait for data: a sandboxed child doing so on a pipe its caller
 * reads (captured output, its report channel) or writes would hold the
 * caller in the kernel, past any timeout. A wait with a timeout must
 * return on time.
 */
Test(escape, a_sandboxed_child_cannot_hold_its_callers_pipe)
{
	const cfork_value ms = cfork_i64(3000);

	assert_hold_cannot_outlast(CFORK_CAPTURE_STDOUT,
				   "escape_hold_stdout_lock", &ms, 1,
				   (struct hold_timing){ .settle_ms = 200 });
}

/* The end of the hold: its busy threads spin until then. */
static int64_t fault_hold_end;

static void *spin_until_hold_end(void *unused)
{
	(void)unused;
	while (now_ms() < __atomic_load_n(&fault_hold_end, __ATOMIC_RELAXED))
		;
	return NULL;
}

/* A source whose every page faults on a disk read: a file's pages, evicted
   from the page cache and from the mapping, read ahead one at a time. */
static void evict_source(const char *path, void *map, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	(void)madvise(map, len, MADV_DONTNEED);
	if (fd >= 0) {
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

#define FAULT_SOURCE_LEN ((size_t)1 << 20)

/*
 * Writes to its captured stdout (channel 0) or to its report channel
 * (channel 1) for the milliseconds given, from the file named, with every
 * page of the source faulting slowly: the writing thread at the lowest
 * priority there is, behind eight busy threads of its own. A write to a
 * pipe copies under the pipe's lock, and its reader waits on that lock.
 */
static int escape_hold_channel_by_faults(const cfork_args *a)
{
	int64_t ms = cfork_arg_i64(a, 0);
	int fd = cfork_arg_i64(a, 1) ? find_report_fd() : 1;
	const char *path = cfork_arg_str(a, 2);
	struct sched_param idle = { 0 };
	int src = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || src < 0)
		return 1;
	char *map = mmap(NULL, FAULT_SOURCE_LEN, PROT_READ, MAP_PRIVATE, src,
			 0);
	close(src);
	if (map == MAP_FAILED ||
	    madvise(map, FAULT_SOURCE_LEN, MADV_RANDOM) < 0)
		return 2;
	(void)fcntl(fd, F_SETPIPE_SZ, (int)FAULT_SOURCE_LEN);
	__atomic_store_n(&fault_hold_end, now_ms() + ms, __ATOMIC_RELAXED);
	for (int i = 0; i < 8; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, spin_until_hold_end, NULL))
			return 3;
	}
	if (sched_setscheduler(0, SCHED_IDLE, &idle) < 0)
		return 4;
	while (now_ms() < fault_hold_end) {
		evict_source(path, map, FAULT_SOURCE_LEN);
		if (write(fd, map, FAULT_SOURCE_LEN) < 0)
			return 5;
	}
	return OK;
}
CFORK_REGISTER(escape_hold_channel_by_faults, "iis");

/* A megabyte file, on a disk where there is one (tmpfs pages cannot be
   evicted, which makes the faults quick, not the test wrong): its path in
   path. */
static void make_fault_source(char *path, size_t cap)
{
	static char block[FAULT_SOURCE_LEN];
	int fd;

	snprintf(path, cap, "%s/cfork-faults-XXXXXX",
		 access("/var/tmp", W_OK) == 0 ? "/var/tmp" : "/tmp");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	memset(block, 'x', sizeof(block));
	cr_assert_eq(write(fd, block, sizeof(block)),
		     (ssize_t)sizeof(block));
	/* Written back, so that its pages can be evicted. */
	cr_assert_eq(fsync(fd), 0);
	close(fd);
}

/* A sandboxed child holding its channel (0: captured stdout, 1: the
   report) by slow page faults for 2.5 s: a wait of 300 ms must return on
   time. */
static void assert_faults_cannot_hold(int64_t channel)
{
	char path[64];

	make_fault_source(path, sizeof(path));
	const cfork_value v[] = { cfork_i64(2500), cfork_i64(channel),
				  cfork_str(path) };
	assert_hold_cannot_outlast(channel ? 0 : CFORK_CAPTURE_STDOUT,
				   "escape_hold_channel_by_faults", v, 3,
				   (struct hold_timing){ .settle_ms = 300 });
	unlink(path);
}

/*
 * Reading a channel must not wait on anything its child holds: a pipe's
 * reader waits for its writer's copy, and a sandboxed child can make that
 * copy last (pages that each need a disk read, a writer starved by its own
 * threads). The channels are sockets, whose reader waits on no writer.
 */
Test(escape, a_childs_slow_page_faults_cannot_hold_its_captured_output)
{
	assert_faults_cannot_hold(0);
}

Test(escape, a_childs_slow_page_faults_cannot_hold_its_report_channel)
{
	assert_faults_cannot_hold(1);
}

/* Makes itself the lowest priority there is, then waits to be killed: the
   kernel ends a killed child on the child's own CPU time, which on a busy
   machine such a child hardly gets, and the more memory it has, the more
   time its end takes. */
static int escape_idle_until_killed(const cfork_args *a)
{
	const size_t len = (size_t)128 << 20;
	struct sched_param idle = { 0 };

	(void)a;
	if (mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) ==
	    MAP_FAILED)
		return 1;
	if (sched_setscheduler(0, SCHED_IDLE, &idle) < 0)
		return 2;
	for (;;)
		pause();
}
CFORK_REGISTER(escape_idle_until_killed, "");

/* A process's scheduling policy (/proc/<pid>/stat's 41st field), or -1. */
static int sched_policy_of(pid_t pid)
{
	char path[40], line[1024];
	int policy = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	/* After the command's ")", fields 3 on. */
	char *rest = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	for (int field = 2; rest && field < 41; field++)
		rest = strchr(rest + 1, ' ');
	if (rest)
		policy = atoi(rest + 1);
	fclose(f);
	return policy;
}

static atomic_bool machine_busy;

static void *spin_while_machine_busy(void *unused)
{
	(void)unused;
	while (atomic_load_explicit(&machine_busy, memory_order_relaxed))
		;
	return NULL;
}

/*
 * A child freed while the machine is busy, which made itself the lowest
 * priority (SCHED_IDLE, open to any process): its end could take as long
 * as the machine stays busy, and neither cfork_free() nor, for a fork
 * server's call, whose server ends once its calls have, cfork_pool_free()
 * may wait that long. It is reaped all the same, and its server, once it
 * can end: no zombie left. stop_server: the server, left to the reaper
 * while its call ends, is stopped (by a process of the same uid), which
 * must not keep it for good.
 */
static bool assert_idle_child_cannot_hold_free(unsigned pool_flags,
					      bool stop_server)
{
	cpu_set_t cpus;
	cfork_sandbox *sb;
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_pool *pool = NULL;
	cfork_status st;
	cfork_proc *p;

	/* Four busy threads for each CPU the test may run on. */
	cr_assert_eq(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
	const int nbusy = 4 * CPU_COUNT(&cpus);
	pthread_t *busy = calloc((size_t)nbusy, sizeof(*busy));
	cr_assert_not_null(busy);

	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	attr.sandbox = sb;
	if (pool_flags) {
		cr_assert_eq(cfork_pool_new(&pool, &attr, 1, pool_flags), 0);
		cr_assert_eq(cfork_pool_spawn(pool, &p,
					      "escape_idle_until_killed"), 0);
		cr_assert(cfork_paths(p) & CFORK_PATH_FORK_SERVER);
	} else {
		cr_assert_eq(cfork_spawn(&p, &attr,
					 "escape_idle_until_killed"), 0);
	}
	pid_t pid = cfork_pid(p);
	for (int64_t end = now_ms() + WAIT_MS;
	     sched_policy_of(pid) != SCHED_IDLE && now_ms() < end;) {
		int r = cfork_wait(p, 1, &st);
		cr_assert_eq(r, -ETIMEDOUT,
			     "the child ended first: %d, code %d, %s", r,
			     r ? 0 : st.code, r || !st.error ? "" : st.error);
	}
	cr_assert_eq(sched_policy_of(pid), SCHED_IDLE);
	atomic_store(&machine_busy, true);
	int started = 0;
	while (started < nbusy &&
	       pthread_create(&busy[started], NULL, spin_while_machine_busy,
			      NULL) == 0)
		started++;
	usleep(20000);
	/* The pool's server is this thread's only child; a pidfd, as it
	   may be gone and its pid another's by the time it is stopped. */
	long server = -1;
	FILE *f = fopen("/proc/thread-self/children", "re");
	if (f) {
		if (fscanf(f, "%ld", &server) != 1)
			server = -1;
		fclose(f);
	}
	int server_fd = server > 0 ?
			(int)syscall(SYS_pidfd_open, (pid_t)server, 0) : -1;
	if (stop_server)
		cr_assert_geq(server_fd, 0, "the server (%ld): %s", server,
			      strerror(errno));
	struct own_time t0 = own_time_start();
	cfork_free(p);
	cfork_pool_free(pool);
	int64_t freed = own_time_since(t0);
	/* Its call may die at once all the same (a SCHED_IDLE thread still
	   runs now and then), and the server end with it before it is
	   stopped: then this run stopped nothing, which the caller tells. */
	bool stopped = false;
	if (stop_server) {
		stopped = syscall(SYS_pidfd_send_signal, server_fd, SIGSTOP,
				  NULL, 0) == 0;
		cr_assert(stopped || errno == ESRCH,
			  "the server (%ld) could not be stopped: %s", server,
			  strerror(errno));
	}
	atomic_store(&machine_busy, false);
	for (int i = 0; i < started; i++)
		pthread_join(busy[i], NULL);
	free(busy);
	cfork_sandbox_free(sb);
	bool reaped = false;
	for (int64_t end = now_ms() + WAIT_MS; !reaped && now_ms() < end;
	     usleep(1000))
		reaped = !has_children();
	/* A server kept stopped would outlive the test, holding its
	   output. */
	if (!reaped && server_fd >= 0)
		(void)syscall(SYS_pidfd_send_signal, server_fd, SIGKILL, NULL,
			      0);
	if (server_fd >= 0)
		close(server_fd);
	cr_assert_gt(started, 0);
	cr_assert_lt(freed, 1000, "the frees took %lld ms", (long long)freed);
	cr_assert(reaped, "a child is never reaped");
	return stopped;
}

Test(escape, a_child_at_the_lowest_priority_cannot_hold_its_free)
{
	assert_idle_child_cannot_hold_free(0, false);
}

Test(escape, a_fork_servers_call_at_the_lowest_priority_cannot_hold_a_free)
{
	assert_idle_child_cannot_hold_free(CFORK_POOL_FORK, false);
}

Test(escape, a_fork_server_left_to_the_reaper_and_stopped_is_not_kept)
{
	int tries = 0;

	while (tries++ < 5 &&
	       !assert_idle_child_cannot_hold_free(CFORK_POOL_FORK, true))
		;
	cr_assert_leq(tries, 5, "the server ended before it was stopped, "
		      "5 times of 5");
}

/* The fd a flooding thread writes one byte at a time to, by thread. */
static int flood_fd(long i)
{
	return i < 4 ? find_report_fd() : i < 6 ? 1 : 2;
}

static void *flood_one_byte_writes(void *arg)
{
	int fd = flood_fd((long)arg), big = 1 << 30;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	while (now_ms() < __atomic_load_n(&fault_hold_end, __ATOMIC_RELAXED))
		if (write(fd, "x", 1) < 0 && errno != EINTR)
			break;
	return NULL;
}

/* Floods its report channel and its stdout and stderr with one-byte
   writes from eight threads, for the milliseconds given. */
static int escape_flood_one_byte_writes(const cfork_args *a)
{
	pthread_t t[8];

	__atomic_store_n(&fault_hold_end, now_ms() + cfork_arg_i64(a, 0),
			 __ATOMIC_RELAXED);
	if (find_report_fd() < 0)
		return 1;
	for (long i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, flood_one_byte_writes,
				   (void *)i))
			return 2;
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	return OK;
}
CFORK_REGISTER(escape_flood_one_byte_writes, "i");

/*
 * A socket keeps each write apart, and a read takes a flood of one-byte
 * writes one by one: a step that read a megabyte from each channel took
 * seconds. A step, what an event loop runs when cfork_proc_fd() polls
 * readable, must stay short, and a timed wait must return on time.
 */
Test(escape, a_flood_of_one_byte_writes_cannot_stretch_a_step)
{
	const cfork_value ms = cfork_i64(3000);

	assert_hold_cannot_outlast(CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR,
				   "escape_flood_one_byte_writes", &ms, 1,
				   (struct hold_timing){ .settle_ms = 200,
							 .steps_ms = 1500 });
}

/* A TCP socket whose last close waits up to 10 s (SO_LINGER) to send what
   it holds, to a peer that takes none of it (lst, which never accepts). */
static int lingering_socket(int *lst)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	struct linger linger = { 1, 10 };
	static char fill[65536];
	int c;

	const int small = 4096;

	*lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A small window, which the connection takes from the listener:
	   what the peer does not take stays with the sender. */
	if (*lst < 0 ||
	    setsockopt(*lst, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) <
		    0 ||
	    bind(*lst, (struct sockaddr *)&addr, len) < 0 ||
	    listen(*lst, 1) < 0 ||
	    getsockname(*lst, (struct sockaddr *)&addr, &len) < 0)
		return -1;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&addr, len) < 0)
		return -1;
	/* Full once the peer's window has closed too: on a busy machine
	   the first EAGAIN can come while data is still on its way. */
	for (int round = 0; round < 3; round++) {
		while (send(c, fill, sizeof(fill), MSG_DONTWAIT) > 0)
			;
		usleep(2000);
	}
	if (setsockopt(c, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)) < 0)
		return -1;
	return c;
}

/* Sends copies of one fd on the report channel, with a byte sent with
   the flags given: 0 or -errno. */
static int pass_copies_with(int report, int fd, size_t copies, int flags)
{
	union {
		char buf[CMSG_SPACE(253 * sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = CMSG_SPACE(copies *
							   sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(copies * sizeof(int));
	for (size_t i = 0; i < copies && i < 253; i++)
		memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(fd));
	return sendmsg(report, &msg, MSG_DONTWAIT | flags) < 0 ? -errno : 0;
}

static int pass_copies(int report, int fd, size_t copies)
{
	return pass_copies_with(report, fd, copies, 0);
}

/* Has a child of its own keep lst, the lingering socket's silent peer,
   for the milliseconds given (it outlives a kill of this process), then
   waits until end: whether it could. */
static bool keep_peer_silent(int lst, int64_t ms, int64_t end)
{
	pid_t keeper = fork();

	if (keeper == 0) {
		usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	close(lst);
	while (keeper > 0 && now_ms() < end)
		usleep(10000);
	return keeper > 0;
}

/* Passes its caller a lingering socket over the report channel, closes its
   own, and has a child of its own keep the socket's peer for the
   milliseconds given (it outlives a kill of this one). OK whether the
   channel refused the socket or not: the caller's wait tells. */
static int escape_pass_lingering_socket(const cfork_args *a)
{
	int64_t ms = cfork_arg_i64(a, 0), end = now_ms() + ms;
	int lst, report = find_report_fd(), sock = lingering_socket(&lst);

	if (report < 0 || sock < 0)
		return 1;
	/* Another test's child may have its user's fds in flight at their
	   limit for a while: the socket goes once there is room. */
	int r;
	while ((r = pass_copies(report, sock, 1)) == -ETOOMANYREFS &&
	       now_ms() < end)
		usleep(10000);
	if (r < 0 && r != -EPERM)
		return 2;
	close(sock);
	return keep_peer_silent(lst, ms, end) ? OK : 3;
}
CFORK_REGISTER(escape_pass_lingering_socket, "i");

/* The same, its byte out of band (MSG_OOB): a read that does not ask for
   that byte skips it, and frees it with what it came with. */
static int escape_pass_lingering_out_of_band(const cfork_args *a)
{
	int64_t ms = cfork_arg_i64(a, 0), end = now_ms() + ms;
	int lst, report = find_report_fd(), sock = lingering_socket(&lst);

	if (report < 0 || sock < 0)
		return 1;
	int r = pass_copies_with(report, sock, 1, MSG_OOB);
	if (r < 0 && r != -EPERM && r != -EOPNOTSUPP)
		return 2;
	close(sock);
	return keep_peer_silent(lst, ms, end) ? OK : 3;
}
CFORK_REGISTER(escape_pass_lingering_out_of_band, "i");

/* This process and its children as on a kernel before Linux 6.16, where a
   socket cannot refuse the fds passed to it. */
static void emulate_no_passrights(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	cr_assert_not_null(ctx);
	cr_assert_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOPROTOOPT),
				      SCMP_SYS(setsockopt), 2,
				      SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET, 0),
				      SCMP_A2(SCMP_CMP_EQ, SO_PASSRIGHTS, 0)),
		     0);
	cr_assert_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);
}

/* A child (fn, given 3000 ms) that holds its caller, if it can, through
   the fds it passes on a kernel before Linux 6.16: each step, the wait
   and the free must return on time. */
static void assert_passing_cannot_hold(const char *fn, int steps_ms)
{
	const cfork_value ms = cfork_i64(3000);

	emulate_no_passrights();
	assert_hold_cannot_outlast(0, fn, &ms, 1, (struct hold_timing){
					   .settle_ms = 200,
					   .steps_ms = steps_ms });
}

/* A child that passed a lingering socket. */
static void assert_passed_fd_cannot_hold(bool free_first)
{
	const cfork_value ms = cfork_i64(3000);

	assert_hold_cannot_outlast(0, "escape_pass_lingering_socket", &ms, 1,
				   (struct hold_timing){
					   .settle_ms = 200,
					   .free_first = free_first });
}

/*
 * An fd a child passes on its report channel is closed by its caller's
 * read, and the last close of a TCP socket with SO_LINGER waits for its
 * peer, which the child keeps silent: its caller would wait in the kernel
 * past any timeout. The channel refuses fds (SO_PASSRIGHTS, Linux 6.16).
 */
Test(escape, a_child_cannot_hold_its_caller_by_an_fd_it_passes)
{
	assert_passed_fd_cannot_hold(false);
}

/* Before Linux 6.16 the channel takes the fds: the caller closes them
   itself, their lingering made harmless first. */
Test(escape, an_fd_passed_where_the_kernel_cannot_refuse_it_cannot_hold)
{
	emulate_no_passrights();
	assert_passed_fd_cannot_hold(false);
}

/* Nor one passed with an out-of-band byte, which the caller's read takes
   in line (SO_OOBINLINE) with the fds it came with. */
Test(escape, an_fd_passed_out_of_band_cannot_hold)
{
	assert_passing_cannot_hold("escape_pass_lingering_out_of_band", 400);
}

/* Nor one still queued when the handle is freed, with the socket's peer
   kept by a process the free does not end. */
Test(escape, an_fd_queued_at_the_free_cannot_hold_it)
{
	emulate_no_passrights();
	assert_passed_fd_cannot_hold(true);
}

/* The socket whose lock the filter threads hold. */
static int locked_socket = -1;

/* Attaches a filter of 4096 instructions again and again: the kernel
   copies and checks it under the socket's lock. */
static void *hold_socket_lock(void *unused)
{
	static struct sock_filter code[4096];
	struct sock_fprog prog = { 4096, code };
	struct sched_param idle = { 0 };

	(void)unused;
	for (int i = 0; i < 4095; i++)
		code[i] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_ADD |
						       BPF_K, 1);
	code[4095] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffff);
	(void)sched_setscheduler(0, SCHED_IDLE, &idle);
	while (now_ms() < __atomic_load_n(&fault_hold_end, __ATOMIC_RELAXED))
		(void)setsockopt(locked_socket, SOL_SOCKET, SO_ATTACH_FILTER,
				 &prog, sizeof(prog));
	return NULL;
}

/* For the milliseconds given, holds a socket's lock from starved threads
   behind eight busy ones, and passes that socket on the report channel,
   16 copies a message, a message a millisecond: whatever takes the lock
   waits. More would keep its user's fds in flight at their limit, which
   fails other tests' passes (ETOOMANYREFS), and before Linux 6.10 has
   every unix socket's send run the kernel's collector over them all,
   the caller's too (a documented limit). */
/* A socket (*ret) whose lock this process holds for the milliseconds
   given, from starved threads behind eight busy ones: whether it could.
   A channel its caller gives up on fails its sends (EPIPE): the child
   holds the lock all the same. */
static bool hold_a_sockets_lock(int64_t ms, int *ret)
{
	int sp[2];

	__atomic_store_n(&fault_hold_end, now_ms() + ms, __ATOMIC_RELAXED);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return false;
	*ret = locked_socket = sp[0];
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < 12; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, i < 8 ? spin_until_hold_end :
						     hold_socket_lock, NULL))
			return false;
	}
	return true;
}

static int escape_pass_locked_socket(const cfork_args *a)
{
	int report = find_report_fd(), sock;

	if (report < 0 || !hold_a_sockets_lock(cfork_arg_i64(a, 0), &sock))
		return 1;
	while (now_ms() < fault_hold_end)
		if (pass_copies(report, sock, 16) == -EPERM)
			usleep(10000);	/* refused: Linux 6.16 */
		else
			usleep(1000);
	return OK;
}
CFORK_REGISTER(escape_pass_locked_socket, "i");

/*
 * Before Linux 6.16: anything the caller does with an fd a child passed
 * (a setsockopt, its last close) can wait on that fd's socket lock, which
 * the child holds as long as it likes. The caller hands them to a thread
 * of its own to close.
 */
Test(escape, a_passed_socket_whose_lock_the_child_holds_cannot_hold)
{
	assert_passing_cannot_hold("escape_pass_locked_socket", 400);
}

/* Passes its caller a lingering socket, as escape_pass_lingering_socket
   does, then keeps its user's fds in flight over its fd limit (the
   caller's too) for the milliseconds given: copies of one fd queued on a
   socket of its own. A process of that user without CAP_SYS_RESOURCE
   then cannot pass an fd (ETOOMANYREFS). */
static int escape_pass_lingering_over_limit(const cfork_args *a)
{
	int64_t ms = cfork_arg_i64(a, 0), end = now_ms() + ms;
	int lst, own[2], report = find_report_fd(),
	    sock = lingering_socket(&lst);

	if (report < 0 || sock < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, own) < 0)
		return 1;
	if (pass_copies(report, sock, 1) < 0)
		return 2;
	close(sock);
	int r;
	while ((r = pass_copies(own[0], own[1], 253)) == 0)
		;
	if (r != -ETOOMANYREFS)
		return 3;
	return keep_peer_silent(lst, ms, end) ? OK : 4;
}
CFORK_REGISTER(escape_pass_lingering_over_limit, "i");

/*
 * Before Linux 6.16, a caller without CAP_SYS_RESOURCE whose user has
 * as many fds in flight as its fd limit (its child can see to that)
 * cannot hand the fds a child passed to its closer thread by SCM_RIGHTS:
 * they must still not be closed on the caller's thread, where the last
 * close of a lingering socket waits for its peer.
 */
Test(escape, an_fd_passed_while_its_user_has_too_many_in_flight_cannot_hold)
{
	const struct rlimit nofile = { 256, 256 };

	skip_unless_root("to become a user without capabilities");
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &nofile), 0);
	cr_assert(become_uid(IN_FLIGHT_UID));
	/* Its /proc, which cfork reads, is its own again. */
	cr_assert_eq(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	assert_passing_cannot_hold("escape_pass_lingering_over_limit", 0);
}

/* Lingering sockets passed at each end of escape_pass_past_a_busy_closer:
   whose close of one is the last (the child's, or its caller's) is a
   race, which the child loses now and then. */
#define LINGERING_PASSED 8

static void *close_in_thread(void *fd)
{
	close((int)(intptr_t)fd);
	return NULL;
}

/* Closes fd on a thread of its own: a last close that lingers keeps that
   thread alone. */
static void close_aside(int fd)
{
	pthread_t t;

	if (pthread_create(&t, NULL, close_in_thread, (void *)(intptr_t)fd))
		close(fd);
	else
		pthread_detach(t);
}

/* Passes its caller lingering sockets, one of whose closes keeps the
   caller's closer busy while a child of its own keeps the sockets' peers
   silent for the milliseconds given; then a copy of one fd a message,
   more than the closer could have set aside for it; then more lingering
   sockets, whose last close would wait as long. The caller's wait
   tells. */
static int escape_pass_past_a_busy_closer(const cfork_args *a)
{
	enum { JUNK = 4000, LINGERING = 2 * LINGERING_PASSED };
	int64_t ms = cfork_arg_i64(a, 0), end = now_ms() + ms;
	int lst[LINGERING], lingering[LINGERING], report = find_report_fd();
	int junk = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* The bytes the fds come with, a result's: a report as well formed
	   as any. */
	const uint32_t result_head[2] = { 1, 1u << 20 };

	if (report < 0 || junk < 0 ||
	    write(report, result_head, sizeof(result_head)) !=
		    sizeof(result_head))
		return 1;
	for (int i = 0; i < LINGERING; i++)
		if ((lingering[i] = lingering_socket(&lst[i])) < 0)
			return 1;
	/* The peers' keeper holds no copy of the sockets passed: their
	   last close is then the child's, the caller's or its closer's. */
	pid_t keeper = fork();
	if (keeper == 0) {
		for (int i = 0; i < LINGERING; i++)
			close(lingering[i]);
		usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	for (int i = 0; i < LINGERING; i++)
		close(lst[i]);
	if (keeper < 0)
		return 2;
	/* A channel its caller gives up on fails its sends (EPIPE, with no
	   SIGPIPE: the child stays for the caller's wait to tell). */
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < JUNK + LINGERING; i++) {
		int j = i < LINGERING_PASSED ? i :
			i >= LINGERING_PASSED + JUNK ? i - JUNK : -1;
		int fd = j >= 0 ? lingering[j] : junk, r;
		/* The closer, busy with these first, gets to the socket
		   after the child has closed its own copy. */
		while (j >= 0 && j < LINGERING_PASSED &&
		       (r = pass_copies(report, junk, 200)) == -EAGAIN &&
		       now_ms() < end)
			usleep(1000);
		while ((r = pass_copies(report, fd, 1)) == -EAGAIN &&
		       now_ms() < end)
			usleep(1000);
		/* Its own copy closed while the other is on its way; on a
		   thread of its own, should its close be the last. */
		if (j >= 0)
			close_aside(fd);
		if (r < 0)
			break;
	}
	while (now_ms() < end)
		usleep(10000);
	return OK;
}
CFORK_REGISTER(escape_pass_past_a_busy_closer, "i");

/*
 * Before Linux 6.16 the fds a child passes wait for the caller's closer,
 * one thread, and the caller sets aside no more than an eighth of its fd
 * limit meanwhile. A child that would keep the closer in a lingering
 * close (it closes sockets abortively) and passes more must still not
 * have the caller close any of them, nor a second lingering socket.
 */
Test(escape, fds_passed_past_a_busy_closer_cannot_hold)
{
	assert_passing_cannot_hold("escape_pass_past_a_busy_closer", 1500);
}

/* Passes its caller a socket whose lock it holds (as
   escape_pass_locked_socket does: whatever takes the lock waits, the
   caller's closer too), then 253 copies of one fd a message, three
   times, with a result's bytes, and stays for the milliseconds given. */
static int escape_pass_many_at_once(const cfork_args *a)
{
	const uint32_t result_head[2] = { 1, 1u << 20 };
	int report = find_report_fd(), sock,
	    junk = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (report < 0 || junk < 0 ||
	    !hold_a_sockets_lock(cfork_arg_i64(a, 0), &sock) ||
	    write(report, result_head, sizeof(result_head)) !=
		    sizeof(result_head))
		return 1;
	usleep(10000);
	if (pass_copies(report, sock, 1) < 0)
		return 3;
	for (int i = 0; i < 3; i++)
		if (pass_copies(report, junk, 253) < 0 && errno != EPIPE)
			break;
	while (now_ms() < fault_hold_end)
		usleep(10000);
	return OK;
}
CFORK_REGISTER(escape_pass_many_at_once, "i");

/* A caller whose fd limit is 1024 leaves its closer no more than 128:
   a child that passes more at once is read no more, its handle's event
   fd goes quiet, and the call, once over, says why its report stops
   short. */
Test(escape, a_child_that_passed_more_fds_than_its_caller_sets_aside_is_told_of)
{
	struct rlimit nofile;
	cfork_sandbox *sb;
	cfork_status st;
	cfork_proc *p;
	cfork_attr attr = CFORK_ATTR_INIT;

	emulate_no_passrights();
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &nofile), 0);
	nofile.rlim_cur = nofile.rlim_max < 1024 ? nofile.rlim_max : 1024;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &nofile), 0);
	cr_assert_eq(cfork_sandbox_new(&sb, 0), 0);
	attr.sandbox = sb;
	cr_assert_eq(cfork_spawn(&p, &attr, "escape_pass_many_at_once",
				 (int64_t)1000 * TEST_SLOWDOWN), 0);
	/* Its channel, given up on, stays open for the closer: the
	   handle's event fd is quiet all the same while the child runs. */
	struct pollfd events = { .fd = cfork_proc_fd(p), .events = POLLIN };
	cr_assert_geq(events.fd, 0);
	usleep(100000 * TEST_SLOWDOWN);
	/* A step reads for a millisecond: a few, to read up to the bound. */
	for (int i = 0; i < 100 && poll(&events, 1, 0) != 0; i++)
		cr_assert_eq(cfork_wait(p, 0, &st), -ETIMEDOUT);
	cr_assert_eq(poll(&events, 1, 100), 0, "the event fd stays readable");
	cr_assert_eq(cfork_wait(p, WAIT_MS, &st), 0);
	cr_assert(st.exited && st.code == OK, "exited %d, code %d, signal %d",
		  st.exited, st.code, st.signal);
	cr_assert_not_null(st.error);
	cr_assert(strstr(st.error, "passed more fds"), "%s", st.error);
	cfork_free(p);
	cfork_sandbox_free(sb);
}

/* A FIFO's only reader, its stdin: keeps an O_PATH fd of it, leaves for
   the milliseconds given, and comes back. */
static int escape_fifo_reader_away(const cfork_args *a)
{
	struct timespec away = { 0, 0 };
	int64_t ms = cfork_arg_i64(a, 0);
	char path[32];
	int back = open("/proc/self/fd/0", O_PATH | O_CLOEXEC);

	if (back < 0 || close(0) < 0)
		return 1;
	away.tv_sec = ms / 1000;
	away.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&away, NULL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", back);
	return open(path, O_RDONLY | O_NONBLOCK) == 0 ? OK : 2;
}
CFORK_REGISTER(escape_fifo_reader_away, "i");

/* The caller writes to a FIFO whose one reader is a sandboxed child: while
   that child has no reader open, a writer child must not get the
   caller's description. */
static int escape_fifo_without_reader(const cfork_args *a)
{
	char dir[] = "/tmp/cfork-fifo-XXXXXX", fifo[64];
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb = NULL;
	cfork_proc *reader, *writer;
	cfork_status st;
	int r, rd, wr;

	(void)a;
	if (!mkdtemp(dir))
		return check_failed(1, "mkdtemp: %s", strerror(errno));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	if (mkfifo(fifo, 0600) < 0 ||
	    (rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    (wr = open(fifo, O_WRONLY | O_CLOEXEC)) < 0 ||
	    fcntl(rd, F_SETFL, 0) < 0)
		return check_failed(2, "fifo: %s", strerror(errno));
	unlink(fifo);
	rmdir(dir);
	if ((r = cfork_sandbox_new(&sb, 0)))
		return check_failed(3, "sandbox: %s", strerror(-r));
	attr.sandbox = sb;
	attr.stdin_fd = rd;
	if ((r = cfork_spawn(&reader, &attr, "escape_fifo_reader_away",
			     (int64_t)1000)))
		return check_failed(4, "reader: %s", strerror(-r));
	close(rd);
	/* Until the reader has left. */
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", wr);
	for (int64_t end = now_ms() + 900; now_ms() < end;) {
		int probe = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (probe < 0)
			break;
		close(probe);
	}
	attr.stdin_fd = -1;
	attr.stdout_fd = wr;
	r = cfork_spawn(&writer, &attr, "escape_nonblock_stdio");
	if (r == 0) {
		(void)cfork_wait(writer, WAIT_MS, &st);
		cfork_free(writer);
		if (fcntl(wr, F_GETFL) & O_NONBLOCK)
			return check_failed(5, "the writer shared its caller's "
					    "FIFO description");
	} else if (r != -ENXIO) {
		return check_failed(6, "writer: %s", strerror(-r));
	}
	if ((r = cfork_wait(reader, WAIT_MS, &st)) || !st.exited ||
	    st.code != OK)
		return check_failed(7, "reader: %d %d %d", r, st.code,
				    st.signal);
	cfork_free(reader);
	close(wr);
	cfork_sandbox_free(sb);
	return 0;
}
CFORK_REGISTER(escape_fifo_without_reader, "");

/*
 * A FIFO with no reader cannot be opened again for writing (ENXIO), and a
 * sandboxed child that reads it can bring that about for a moment: the
 * spawn of a writer then fails with -ENXIO, never sharing its caller's
 * description.
 */
Test(escape, a_fifo_reader_leaving_for_a_moment_does_not_make_the_writer_share)
{
	run_checking_child("escape_fifo_without_reader", NULL, 0);
}

/* Runs as uid 65534 under a landlock domain of its own that lets it open
   no file for writing: its terminal cannot be opened again for a child,
   which is no child's doing, and the child shares it, as the program's
   children did before they had descriptions of their own. */
static int escape_landlocked_caller(const cfork_args *a)
{
	/* struct landlock_ruleset_attr, LANDLOCK_ACCESS_FS_WRITE_FILE */
	const uint64_t handled = 1ull << 1;
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_sandbox *sb = NULL;
	cfork_status st;
	cfork_proc *p;
	char got[8] = "";
	int out, master, r;

	(void)a;
	if (!become_uid(NOBODY))
		return check_failed(CHECKS_SKIPPED, "cannot become %d: %s",
				    NOBODY, strerror(errno));
	if (!stdout_to_spoil(true, &out, &master))
		return check_failed(CHECKS_SKIPPED, "no pseudo-terminal here");
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &handled,
				   sizeof(handled), 0);
	if (ruleset < 0)
		return check_failed(CHECKS_SKIPPED, "no landlock here: %s",
				    strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(446 /* landlock_restrict_self */, ruleset, 0) < 0)
		return check_failed(1, "landlock_restrict_self: %s",
				    strerror(errno));
	close(ruleset);
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out);
	if (open(path, O_WRONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return check_failed(2, "the domain let the terminal be opened");
	if ((r = cfork_sandbox_new(&sb, 0)))
		return check_failed(3, "sandbox: %s", strerror(-r));
	attr.sandbox = sb;
	attr.stdout_fd = out;
	if ((r = cfork_spawn(&p, &attr, "escape_stdout_hello")))
		return check_failed(4, "spawn: %s", strerror(-r));
	if ((r = cfork_wait(p, WAIT_MS, &st)) || !st.exited || st.code != OK)
		return check_failed(5, "the child: %d %d %d", r, st.code,
				    st.signal);
	cfork_free(p);
	if (read(master, got, sizeof(got) - 1) != 5 || strcmp(got, "HELLO"))
		return check_failed(6, "the terminal read \"%s\"", got);
	close(out);
	close(master);
	cfork_sandbox_free(sb);
	return 0;
}
CFORK_REGISTER(escape_landlocked_caller, "");

/*
 * Where the caller's own landlock domain (or LSM) keeps its terminal from
 * being opened again, the spawn goes on with the terminal shared: only a
 * failure a child could cause fails it.
 */
Test(escape, a_landlocked_callers_sandboxed_spawn_shares_its_terminal)
{
	run_checking_child("escape_landlocked_caller", NULL, 0);
}

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* What ordinary libc code does: each may fail, none may kill. */
static int escape_compute_harmless(const cfork_args *a)
{
	const size_t n = 1u << 20;
	int *v = malloc(n * sizeof(*v));
	struct utsname u;
	struct rlimit rl;
	struct rusage ru;
	struct sysinfo si;

	(void)a;
	if (!v)
		return 1;
	for (size_t i = 0; i < n; i++)
		v[i] = (int)((i * 2654435761u) % 1000003u);
	qsort(v, n, sizeof(*v), compare_ints);
	for (size_t i = 1; i < n; i++)
		if (v[i - 1] > v[i])
			return 2;
	free(v);
	(void)getuid();
	(void)geteuid();
	(void)getgid();
	(void)getegid();
	(void)uname(&u);
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	(void)getrusage(RUSAGE_SELF, &ru);
	(void)sysinfo(&si);
	(void)getpwuid(0);
	return OK;
}
CFORK_REGISTER(escape_compute_harmless, "");

Test(escape, compute_lets_harmless_libc_calls_through)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_COMPUTE);
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	p = SPAWN_WAIT(&attr, &st, "escape_compute_harmless");
	cfork_free(p);
	cfork_sandbox_free(sb);
	cr_assert(st.exited && st.code == OK, "exited %d code %d signal %d "
		  "error %s", st.exited, st.code, st.signal,
		  st.error ? st.error : "-");
}

/* ------------------------------------------------------------------------ */
/* 9. The report reader                                                      */
/* ------------------------------------------------------------------------ */

/* A result header that arrives in a read of its own, its body in the next:
   before the fix, a memcpy(NULL, p, 0) that check-asan aborts on. */
Test(escape, a_result_header_alone_in_one_read_is_read_whole)
{
	struct report_reader r;
	uint32_t head[2] = { REPORT_RESULT, 5 };

	memset(&r, 0, sizeof(r));
	r.result_max = 1u << 20;
	cr_assert_eq(report_feed(&r, head, sizeof(head)), 0);
	cr_assert_eq(report_feed(&r, "hello", 5), 0);
	cr_assert_not(r.malformed);
	cr_assert_eq(r.result_len, 5);
	cr_assert_not_null(r.result);
	cr_assert_eq(memcmp(r.result, "hello", 5), 0);
	cr_assert_not(r.result_truncated);
	free(r.result);
}

/* ------------------------------------------------------------------------ */
/* 10. Capabilities                                                          */
/* ------------------------------------------------------------------------ */

struct caps_seen {
	uint64_t eff, perm, inh, bnd, amb;
	int setrlimit_errno;	/* 0: the raise worked */
};

static uint64_t status_caps(const char *field)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long v = ~0ull;
	size_t n = strlen(field);
	char line[256];

	if (!f)
		return ~0ull;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return v;
}

/* Sends back what capabilities it has, and whether it could raise its
   RLIMIT_NOFILE to 1024. */
static int escape_caps(const cfork_args *a)
{
	struct __user_cap_header_struct hdr = {
		_LINUX_CAPABILITY_VERSION_3, 0
	};
	struct __user_cap_data_struct d[2] = { { 0 } };
	struct rlimit rl = { 1024, 1024 };
	struct caps_seen s;

	(void)a;
	if (syscall(SYS_capget, &hdr, d) < 0)
		return 1;
	s.eff = d[0].effective | (uint64_t)d[1].effective << 32;
	s.perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s.inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	s.bnd = status_caps("CapBnd");
	s.amb = status_caps("CapAmb");
	s.setrlimit_errno = setrlimit(RLIMIT_NOFILE, &rl) < 0 ? errno : 0;
	return cfork_return(&s, sizeof(s)) ? 2 : OK;
}
CFORK_REGISTER(escape_caps, "");

static struct caps_seen caps_of_child(const cfork_sandbox *sb)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	struct caps_seen s;
	cfork_status st;
	cfork_proc *p;

	attr.sandbox = sb;
	p = SPAWN_WAIT(&attr, &st, "escape_caps");
	cr_assert(st.exited && st.code == OK, "exited %d code %d signal %d "
		  "error %s", st.exited, st.code, st.signal,
		  st.error ? st.error : "-");
	cr_assert_eq(st.result_len, sizeof(s));
	memcpy(&s, st.result, sizeof(s));
	cfork_free(p);
	return s;
}

Test(escape, a_sandboxed_child_of_root_keeps_no_capability)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	struct caps_seen s;

	skip_unless_root("to have capabilities to lose");
	cr_assert_eq(cfork_sandbox_rlimit(sb, RLIMIT_NOFILE, 256), 0);
	s = caps_of_child(sb);
	cfork_sandbox_free(sb);
	cr_assert_eq(s.eff, 0, "CapEff %#llx", (unsigned long long)s.eff);
	cr_assert_eq(s.perm, 0, "CapPrm %#llx", (unsigned long long)s.perm);
	cr_assert_eq(s.inh, 0, "CapInh %#llx", (unsigned long long)s.inh);
	cr_assert_eq(s.bnd, 0, "CapBnd %#llx", (unsigned long long)s.bnd);
	cr_assert_eq(s.amb, 0, "CapAmb %#llx", (unsigned long long)s.amb);
	cr_assert_eq(s.setrlimit_errno, EPERM, "raising RLIMIT_NOFILE back: "
		     "%s", s.setrlimit_errno ? strerror(s.setrlimit_errno) :
		     "it worked");
}

Test(escape, a_sandboxed_child_keeps_only_the_capabilities_named)
{
	cfork_sandbox *sb = new_sandbox(CFORK_SB_NO_NETWORK);
	const int keep[] = { CAP_NET_BIND_SERVICE };
	struct caps_seen s;

	skip_unless_root("to have capabilities to keep");
	cr_assert_eq(cfork_sandbox_caps(sb, keep, 1), 0);
	s = caps_of_child(sb);
	cfork_sandbox_free(sb);
	cr_assert_eq(s.eff, 1ull << CAP_NET_BIND_SERVICE, "CapEff %#llx",
		     (unsigned long long)s.eff);
	cr_assert_eq(s.perm, 1ull << CAP_NET_BIND_SERVICE, "CapPrm %#llx",
		     (unsigned long long)s.perm);
}

/* Not the sandbox's business: a child without one is what its parent is. */
Test(escape, an_unsandboxed_child_of_root_keeps_its_capabilities)
{
	struct caps_seen s;

	skip_unless_root("to have capabilities");
	s = caps_of_child(NULL);
	cr_assert_eq(s.eff, status_caps("CapEff"), "CapEff %#llx",
		     (unsigned long long)s.eff);
	cr_assert_neq(s.eff, 0);
}
