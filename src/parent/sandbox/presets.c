/* SPDX-License-Identifier: MIT */
/*
 * The presets on their base, as include/cfork.h documents them, call by
 * call: data, and the two questions the other files ask of it. A name this
 * libseccomp does not know and that has no number here is skipped: the
 * filter cannot name it (a deny list misses it; COMPUTE, an allow list,
 * kills it).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/fscrypt.h>
#include <linux/fsverity.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "compat.h"
#include "sandbox.h"

#define CMP(n, o, x) { .arg = (n), .op = SCMP_CMP_##o, .datum_a = (x) }
#define HAS(n, m) { .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (m), \
		    .datum_b = (m) }
#define LACKS(n, m) { .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (m), \
		      .datum_b = 0 }
/* The bits of has, none of lacks: one comparison, where two of the same
   argument would need a libseccomp that joins them. */
#define HAS_LACKS(n, has, lacks) { .arg = (n), .op = SCMP_CMP_MASKED_EQ, \
				   .datum_a = (has) | (lacks), .datum_b = (has) }
/* An argument that the kernel reads as a 32-bit int or unsigned: a filter
   sees the whole 64-bit register, so a denial that matches a value must
   ignore the upper half, which the caller is free to fill. */
#define EQ32(n, x) { .arg = (n), .op = SCMP_CMP_MASKED_EQ, \
		     .datum_a = 0xffffffffu, .datum_b = (x) }
#define R_(p, n, num, act, na, ...) { .name = (n), .arg = { __VA_ARGS__ }, \
	.presets = (p), .nr = (num), .action = (act), .nargs = (na) }
#define R0(p, name, act) R_(p, name, 0, act, 0, { 0 })
#define RN(p, name, nr, act) R_(p, name, nr, act, 0, { 0 })
#define R1(p, name, act, a) R_(p, name, 0, act, 1, a)
#define R2(p, name, act, a, b) R_(p, name, 0, act, 2, a, b)
#define BASE P_BASE
#define OWN P_ALLOWED

#define NET CFORK_SB_NO_NETWORK
#define EXE CFORK_SB_NO_EXEC
#define WR CFORK_SB_NO_FS_WRITE
#define CPU CFORK_SB_COMPUTE
#define ALLOW SCMP_ACT_ALLOW
#define FAIL(e) SCMP_ACT_ERRNO(e)

/*
 * The presets, as include/cfork.h documents them. A name this libseccomp
 * does not know and that has no number here is skipped: the filter cannot
 * name it (a deny list misses it; COMPUTE, an allow list, kills it).
 */
const struct preset_rule preset_rules[] = {
	/*
	 * The base: nothing that reaches another process, the parent first.
	 * Reading or writing another's memory, taking its fds, comparing
	 * them, advising its memory, tracing it:
	 */
	R0(BASE, "ptrace", FAIL(EPERM)),
	R0(BASE, "process_vm_readv", FAIL(EPERM)),
	R0(BASE, "process_vm_writev", FAIL(EPERM)),
	R0(BASE, "pidfd_getfd", FAIL(EPERM)),
	R0(BASE, "kcmp", FAIL(EPERM)),
	R0(BASE, "process_madvise", FAIL(EPERM)),
	RN(BASE, "process_mrelease", 448, FAIL(EPERM)),
	/* Signals to its own process only. 0 and -1 name the process group
	   and everyone, the parent included. Whose process a pidfd names
	   is out of a filter's reach. */
	R1(BASE, "kill", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "kill", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "tkill", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "tkill", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "tgkill", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "tgkill", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "rt_sigqueueinfo", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "rt_sigqueueinfo", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R1(BASE, "rt_tgsigqueueinfo", FAIL(EPERM), CMP(0, NE, SB_SELF_PID)),
	R1(BASE, "rt_tgsigqueueinfo", ALLOW, CMP(0, EQ, SB_SELF_PID)),
	R0(BASE, "pidfd_send_signal", FAIL(EPERM)),
	/* Or by I/O: the owner of an fd set for O_ASYNC is sent SIGIO, or
	   any signal F_SETSIG names, when the fd becomes ready (only
	   landlock from ABI 6 checks whom). The owner is its own process
	   only; F_SETOWN_EX's, and a socket's by ioctl, are behind a
	   pointer. O_ASYNC itself goes too: on a terminal it makes the
	   foreground group, the caller's, the owner, with no F_SETOWN.
	   The complement, for an allowed fcntl under COMPUTE, leans on
	   libseccomp testing equalities before ranges, as the ioctl's
	   below. */
	R2(BASE, "fcntl", FAIL(EPERM), EQ32(1, F_SETOWN),
	   CMP(2, NE, SB_SELF_PID)),
	R1(BASE, "fcntl", FAIL(EPERM), EQ32(1, F_SETOWN_EX)),
	R2(BASE, "fcntl", FAIL(EPERM), EQ32(1, F_SETFL), HAS(2, O_ASYNC)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, FIOSETOWN)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, SIOCSPGRP)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, FIOASYNC)),
	R2(OWN, "fcntl", ALLOW, EQ32(1, F_SETOWN), CMP(2, EQ, SB_SELF_PID)),
	R2(OWN, "fcntl", ALLOW, EQ32(1, F_SETFL), LACKS(2, O_ASYNC)),
	R1(OWN, "fcntl", ALLOW, CMP(1, LT, F_SETOWN)),
	R1(OWN, "fcntl", ALLOW, CMP(1, GT, F_SETOWN)),
	/* A lease, even on a file the child may only read (its owner's
	   right), holds up every open of it for writing, the caller's too,
	   until the lease breaks (lease-break-time, 45 s) at each open.
	   The complement above leaves it refused. */
	R1(BASE, "fcntl", FAIL(EPERM), EQ32(1, F_SETLEASE)),
	/* Another process's limits, priority, scheduling, memory placement,
	   robust futexes: pid 0 is the caller. */
	R1(BASE, "prlimit64", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "prlimit64", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "setpriority", FAIL(EPERM), CMP(0, NE, PRIO_PROCESS)),
	R1(BASE, "setpriority", FAIL(EPERM), CMP(1, NE, 0)),
	R2(OWN, "setpriority", ALLOW, CMP(0, EQ, PRIO_PROCESS), CMP(1, EQ, 0)),
	R1(BASE, "ioprio_set", FAIL(EPERM), CMP(0, NE, 1 /* _WHO_PROCESS */)),
	R1(BASE, "ioprio_set", FAIL(EPERM), CMP(1, NE, 0)),
	R2(OWN, "ioprio_set", ALLOW, CMP(0, EQ, 1), CMP(1, EQ, 0)),
	R1(BASE, "sched_setaffinity", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setaffinity", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "sched_setparam", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setparam", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "sched_setscheduler", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setscheduler", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "sched_setattr", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "sched_setattr", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "migrate_pages", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "migrate_pages", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "move_pages", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "move_pages", ALLOW, CMP(0, EQ, 0)),
	R1(BASE, "get_robust_list", FAIL(EPERM), CMP(0, NE, 0)),
	R1(OWN, "get_robust_list", ALLOW, CMP(0, EQ, 0)),
	/* A new process whose parent is the parent (CLONE_PARENT): the
	   parent never made it and never reaps it, so it is a zombie the
	   parent keeps, one more of its user's processes, for good.
	   clone3's flags are behind a pointer a filter cannot read: it
	   answers ENOSYS, and the C library falls back to clone. */
	R1(BASE, "clone", FAIL(EPERM), HAS(0, CLONE_PARENT)),
	R0(BASE, "clone3", FAIL(ENOSYS)),
	/* A user namespace of its own: every capability again inside it,
	   and with them the kernel's code that only a capability reaches
	   (mounts, netfilter, namespaced sysctls), a frequent way in for an
	   exploit. One the sandbox asked for is made at the launch. */
	R1(BASE, "clone", FAIL(EPERM), HAS(0, CLONE_NEWUSER)),
	R1(OWN, "clone", ALLOW, LACKS(0, CLONE_PARENT | CLONE_NEWUSER)),
	R1(BASE, "unshare", FAIL(EPERM), HAS(0, CLONE_NEWUSER)),
	R1(OWN, "unshare", ALLOW, LACKS(0, CLONE_NEWUSER)),
	/* Or one another process of its user made: its owner has every
	   capability there too. Without capabilities a child can join no
	   other namespace, so setns goes whole. */
	R0(BASE, "setns", FAIL(EPERM)),
	/* A pipe's lock, which its every reader and writer takes, the
	   caller too (a pipe it shares as stdio; what it reads from its
	   child comes over sockets, parent/channel.c), and
	   waits for uninterruptibly, past any timeout: splice and sendfile
	   into or out of a pipe hold it while they wait on the other end,
	   for as long as a socket the child made gets no data. ENOSYS:
	   the C libraries and runtimes that use them fall back to read and
	   write. io_uring splices as well, in a kernel thread of its own,
	   and opens sockets and files with no system call a filter sees. */
	R0(BASE, "splice", FAIL(ENOSYS)),
	R0(BASE, "sendfile", FAIL(ENOSYS)),
	R0(BASE, "io_uring_setup", FAIL(EPERM)),
	R0(BASE, "io_uring_enter", FAIL(EPERM)),
	R0(BASE, "io_uring_register", FAIL(EPERM)),
	/* The caller's terminal, when it is the child's too (its stdio):
	   typing into its input, which the caller's shell runs unsandboxed
	   (TIOCSTI, TIOCLINUX's paste; in the caller's session), taking its
	   foreground from the caller, who is stopped at its next use of it
	   (TIOCSPGRP), suspending its output, where the caller's next write
	   waits for good (TCXONC), replacing its line discipline, after
	   which no read or write of it works (TIOCSETD), and making it
	   exclusive, so that no one else opens it again (TIOCEXCL). A
	   command is an unsigned int: the upper half of the register is
	   the caller's to fill (EQ32). The complement, for an allowed ioctl
	   under COMPUTE, is all but one value: libseccomp tests equalities
	   before ranges, so the others (and the owner's, above) still
	   fail. */
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, TIOCSTI)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, TIOCLINUX)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, TIOCSPGRP)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, TCXONC)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, TIOCSETD)),
	R1(BASE, "ioctl", FAIL(EPERM), EQ32(1, TIOCEXCL)),
	R1(OWN, "ioctl", ALLOW, CMP(1, LT, TIOCSPGRP)),
	R1(OWN, "ioctl", ALLOW, CMP(1, GT, TIOCSPGRP)),
	/* SysV IPC and POSIX message queues belong to the IPC namespace,
	   not to a file or a process: the parent's shared memory, queues and
	   semaphores, and every other process's of its user, are reached by
	   a small id or a name, and no landlock right covers them. In a
	   namespace of its own (CFORK_NS_IPC) there is no one else's. */
#define IPC(call) { .name = (call), .presets = BASE, .unless = P_OWN_IPC, \
		    .action = FAIL(EPERM) }
	IPC("shmget"),
	IPC("shmat"),
	IPC("shmctl"),
	IPC("msgget"),
	IPC("msgsnd"),
	IPC("msgrcv"),
	IPC("msgctl"),
	IPC("semget"),
	IPC("semop"),
	IPC("semtimedop"),
	IPC("semctl"),
	IPC("mq_open"),
	IPC("mq_unlink"),
	IPC("mq_timedsend"),
	IPC("mq_timedreceive"),
	IPC("mq_notify"),
	IPC("mq_getsetattr"),
#undef IPC
	/* Shared with the parent or the whole machine: the session
	   keyring; performance counters of other processes; BPF; and
	   userfaultfd, whose only use to an attacker is stalling the
	   kernel at a chosen page to win a race. */
	R0(BASE, "keyctl", FAIL(EPERM)),
	R0(BASE, "add_key", FAIL(EPERM)),
	R0(BASE, "request_key", FAIL(EPERM)),
	R0(BASE, "perf_event_open", FAIL(EPERM)),
	R0(BASE, "bpf", FAIL(EPERM)),
	R0(BASE, "userfaultfd", FAIL(EPERM)),
	/* The child's SIGSYS handler, which names a blocked call to the
	   parent, cannot be replaced or ignored. */
	R2(BASE, "rt_sigaction", FAIL(EPERM), CMP(0, EQ, SIGSYS),
	   CMP(1, NE, 0)),
	R1(OWN, "rt_sigaction", ALLOW, CMP(0, NE, SIGSYS)),
	R2(OWN, "rt_sigaction", ALLOW, CMP(0, EQ, SIGSYS), CMP(1, EQ, 0)),

	/* NO_NETWORK: no socket at all, but a connected AF_UNIX pair with
	   no address, which reaches nothing outside the child: a unix
	   socket with a name reaches the host's services (pathname, or
	   abstract even in a new network namespace). */
	R0(NET, "socket", FAIL(EAFNOSUPPORT)),
	R1(NET, "socketpair", FAIL(EAFNOSUPPORT), CMP(0, NE, AF_UNIX)),

	/* NO_EXEC */
	R0(EXE, "execve", FAIL(EPERM)),
	R0(EXE, "execveat", FAIL(EPERM)),

	/* NO_FS_WRITE: no open for writing, no change to a name, a mode, an
	   owner, a time stamp or an attribute, no mount. */
	R1(WR, "open", FAIL(EROFS), HAS(1, O_WRONLY)),
	R1(WR, "open", FAIL(EROFS), HAS(1, O_RDWR)),
	R1(WR, "open", FAIL(EROFS), HAS(1, O_CREAT)),
	R1(WR, "open", FAIL(EROFS), HAS(1, O_TRUNC)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_WRONLY)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_RDWR)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_CREAT)),
	R1(WR, "openat", FAIL(EROFS), HAS(2, O_TRUNC)),
	/* Its flags are behind a pointer a filter cannot read; libc falls
	   back to openat on ENOSYS. */
	R0(WR, "openat2", FAIL(ENOSYS)),
	R0(WR, "open_by_handle_at", FAIL(EPERM)),
	R0(WR, "creat", FAIL(EROFS)),
	R0(WR, "mkdir", FAIL(EROFS)),
	R0(WR, "mkdirat", FAIL(EROFS)),
	R0(WR, "mknod", FAIL(EROFS)),
	R0(WR, "mknodat", FAIL(EROFS)),
	R0(WR, "rmdir", FAIL(EROFS)),
	R0(WR, "unlink", FAIL(EROFS)),
	R0(WR, "unlinkat", FAIL(EROFS)),
	R0(WR, "rename", FAIL(EROFS)),
	R0(WR, "renameat", FAIL(EROFS)),
	R0(WR, "renameat2", FAIL(EROFS)),
	R0(WR, "link", FAIL(EROFS)),
	R0(WR, "linkat", FAIL(EROFS)),
	R0(WR, "symlink", FAIL(EROFS)),
	R0(WR, "symlinkat", FAIL(EROFS)),
	R0(WR, "truncate", FAIL(EROFS)),
	R0(WR, "chmod", FAIL(EROFS)),
	R0(WR, "fchmod", FAIL(EROFS)),
	R0(WR, "fchmodat", FAIL(EROFS)),
	RN(WR, "fchmodat2", 452, FAIL(EROFS)),
	R0(WR, "chown", FAIL(EROFS)),
	R0(WR, "fchown", FAIL(EROFS)),
	R0(WR, "lchown", FAIL(EROFS)),
	R0(WR, "fchownat", FAIL(EROFS)),
	R0(WR, "utime", FAIL(EROFS)),
	R0(WR, "utimes", FAIL(EROFS)),
	R0(WR, "futimesat", FAIL(EROFS)),
	R0(WR, "utimensat", FAIL(EROFS)),
	R0(WR, "setxattr", FAIL(EROFS)),
	R0(WR, "lsetxattr", FAIL(EROFS)),
	R0(WR, "fsetxattr", FAIL(EROFS)),
	RN(WR, "setxattrat", 463, FAIL(EROFS)),
	R0(WR, "removexattr", FAIL(EROFS)),
	R0(WR, "lremovexattr", FAIL(EROFS)),
	R0(WR, "fremovexattr", FAIL(EROFS)),
	RN(WR, "removexattrat", 466, FAIL(EROFS)),
	RN(WR, "file_setattr", 469, FAIL(EROFS)),
	R0(WR, "mount", FAIL(EPERM)),
	R0(WR, "umount2", FAIL(EPERM)),
	R0(WR, "pivot_root", FAIL(EPERM)),
	R0(WR, "move_mount", FAIL(EPERM)),
	R0(WR, "fsopen", FAIL(EPERM)),
	R0(WR, "fsconfig", FAIL(EPERM)),
	R0(WR, "fsmount", FAIL(EPERM)),
	R0(WR, "fspick", FAIL(EPERM)),
	R0(WR, "open_tree", FAIL(EPERM)),
	RN(WR, "open_tree_attr", 467, FAIL(EPERM)),
	R0(WR, "mount_setattr", FAIL(EPERM)),
	R0(WR, "acct", FAIL(EPERM)),
	R0(WR, "swapon", FAIL(EPERM)),
	R0(WR, "swapoff", FAIL(EPERM)),
	R0(WR, "quotactl", FAIL(EPERM)),
	R0(WR, "quotactl_fd", FAIL(EPERM)),
	/* Inode flags, project ids, versions, labels, verity and
	   encryption policies change through an ioctl on any fd, a
	   read-only one too; freezing and trimming act on the whole
	   filesystem. Other ioctls are not inspected. */
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SETFLAGS)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_FSSETXATTR)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SETVERSION)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SETFSLABEL)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_ENABLE_VERITY)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FS_IOC_SET_ENCRYPTION_POLICY)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FIFREEZE)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FITHAW)),
	R1(WR, "ioctl", FAIL(EPERM), EQ32(1, FITRIM)),
	/* bind() of a unix socket creates a node, and its address is
	   behind a pointer: no unix socket but a pair. */
	{ .name = "socket", .presets = WR, .unless = NET,
	  .action = FAIL(EPERM), .nargs = 1, .arg = { EQ32(0, AF_UNIX) } },

	/* COMPUTE: an allow list; anything else kills. I/O on the fds the
	   child has: */
	R0(CPU, "read", ALLOW),
	R0(CPU, "write", ALLOW),
	R0(CPU, "readv", ALLOW),
	R0(CPU, "writev", ALLOW),
	R0(CPU, "pread64", ALLOW),
	R0(CPU, "pwrite64", ALLOW),
	R0(CPU, "preadv", ALLOW),
	R0(CPU, "pwritev", ALLOW),
	R0(CPU, "preadv2", ALLOW),
	/* RWF_NOAPPEND writes where it likes in a file the parent opened
	   O_APPEND (a log it shares): what the refused F_SETFL would do. */
	R1(CPU, "pwritev2", ALLOW, LACKS(5, RWF_NOAPPEND)),
	R1(CPU, "pwritev2", FAIL(EPERM), HAS(5, RWF_NOAPPEND)),
	R0(CPU, "lseek", ALLOW),
	R0(CPU, "close", ALLOW),
	R0(CPU, "dup", ALLOW),
	R0(CPU, "dup2", ALLOW),
	R0(CPU, "dup3", ALLOW),
	R0(CPU, "poll", ALLOW),
	R0(CPU, "ppoll", ALLOW),
	R0(CPU, "select", ALLOW),
	R0(CPU, "pselect6", ALLOW),
	R0(CPU, "fstat", ALLOW),
	/* fstat() is fstatat(fd, "", AT_EMPTY_PATH) in glibc. The path is
	   behind a pointer: with AT_EMPTY_PATH a non-empty one still names
	   a file (its metadata, never its contents). statx has no such
	   user in libc; its callers fall back on ENOSYS. */
	R1(CPU, "newfstatat", ALLOW, HAS(3, AT_EMPTY_PATH)),
	R1(CPU, "newfstatat", FAIL(EACCES), LACKS(3, AT_EMPTY_PATH)),
	R0(CPU, "statx", FAIL(ENOSYS)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_GETFD)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_SETFD)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_GETFL)),
	/* An inherited fd shares its file status flags with the parent:
	   O_NONBLOCK set here would break the parent's writes. */
	R1(CPU, "fcntl", FAIL(EPERM), CMP(1, EQ, F_SETFL)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_DUPFD)),
	R1(CPU, "fcntl", ALLOW, CMP(1, EQ, F_DUPFD_CLOEXEC)),
	/* Libraries look for optional files (time zone, locale, malloc's
	   /proc/sys/vm/overcommit_memory) and ask whether an fd is a
	   terminal: those fail, they do not kill. */
	R0(CPU, "open", FAIL(EACCES)),
	R0(CPU, "openat", FAIL(EACCES)),
	R0(CPU, "openat2", FAIL(ENOSYS)),
	R0(CPU, "creat", FAIL(EACCES)),
	R0(CPU, "stat", FAIL(EACCES)),
	R0(CPU, "lstat", FAIL(EACCES)),
	R0(CPU, "access", FAIL(EACCES)),
	R0(CPU, "faccessat", FAIL(EACCES)),
	R0(CPU, "faccessat2", FAIL(EACCES)),
	R0(CPU, "readlink", FAIL(EACCES)),
	R0(CPU, "readlinkat", FAIL(EACCES)),
	R0(CPU, "ioctl", FAIL(ENOTTY)),
	/* glibc's getpwuid() asks nscd over a unix socket first. */
	R0(CPU, "socket", FAIL(EAFNOSUPPORT)),
	/* memory */
	R0(CPU, "brk", ALLOW),
	R0(CPU, "mmap", ALLOW),
	R0(CPU, "munmap", ALLOW),
	R0(CPU, "mremap", ALLOW),
	R0(CPU, "mprotect", ALLOW),
	R0(CPU, "madvise", ALLOW),
	/* time */
	R0(CPU, "clock_gettime", ALLOW),
	R0(CPU, "clock_getres", ALLOW),
	R0(CPU, "gettimeofday", ALLOW),
	R0(CPU, "time", ALLOW),
	R0(CPU, "nanosleep", ALLOW),
	R0(CPU, "clock_nanosleep", ALLOW),
	/* threads and their synchronization; a clone that is not a thread
	   would be a new process (clone3 is the base's). */
	R0(CPU, "futex", ALLOW),
	R0(CPU, "set_robust_list", ALLOW),
	R0(CPU, "rseq", ALLOW),
	R0(CPU, "sched_yield", ALLOW),
	R0(CPU, "sched_getaffinity", ALLOW),
	R1(CPU, "clone", ALLOW, HAS_LACKS(0, CLONE_THREAD,
					  CLONE_PARENT | CLONE_NEWUSER)),
	R0(CPU, "set_tid_address", ALLOW),
	R0(CPU, "gettid", ALLOW),
	R0(CPU, "getpid", ALLOW),
	R0(CPU, "getrandom", ALLOW),
	/* What ordinary library code asks about itself and the machine,
	   read-only: qsort() sizes its buffer with sysinfo(), stdio and
	   getpwuid() ask who they are. */
	R0(CPU, "sysinfo", ALLOW),
	R0(CPU, "uname", ALLOW),
	R0(CPU, "getuid", ALLOW),
	R0(CPU, "geteuid", ALLOW),
	R0(CPU, "getgid", ALLOW),
	R0(CPU, "getegid", ALLOW),
	R0(CPU, "getresuid", ALLOW),
	R0(CPU, "getresgid", ALLOW),
	R0(CPU, "getgroups", ALLOW),
	R0(CPU, "getppid", ALLOW),
	R0(CPU, "getpgrp", ALLOW),
	R0(CPU, "getpgid", ALLOW),
	R0(CPU, "getsid", ALLOW),
	R0(CPU, "getcwd", ALLOW),
	R0(CPU, "getcpu", ALLOW),
	R0(CPU, "getrlimit", ALLOW),
	R0(CPU, "getrusage", ALLOW),
	R0(CPU, "times", ALLOW),
	R0(CPU, "sched_getparam", ALLOW),
	R0(CPU, "sched_getscheduler", ALLOW),
	R0(CPU, "sched_get_priority_max", ALLOW),
	R0(CPU, "sched_get_priority_min", ALLOW),
	R0(CPU, "membarrier", ALLOW),
	/* getrlimit() is prlimit64(0, r, NULL, old) in glibc; lowering a
	   limit is refused rather than fatal. */
	R2(CPU, "prlimit64", ALLOW, CMP(0, EQ, 0), CMP(2, EQ, 0)),
	R2(CPU, "prlimit64", FAIL(EPERM), CMP(0, EQ, 0), CMP(2, NE, 0)),
	R0(CPU, "setrlimit", FAIL(EPERM)),
	R0(CPU, "exit", ALLOW),
	R0(CPU, "exit_group", ALLOW),
	R0(CPU, "restart_syscall", ALLOW),
	/* signals, to itself only */
	R0(CPU, "rt_sigprocmask", ALLOW),
	R0(CPU, "rt_sigreturn", ALLOW),
	R0(CPU, "rt_sigtimedwait", ALLOW),
	R0(CPU, "sigaltstack", ALLOW),
	R1(CPU, "rt_sigaction", ALLOW, CMP(0, NE, SIGSYS)),
	R2(CPU, "rt_sigaction", ALLOW, CMP(0, EQ, SIGSYS), CMP(1, EQ, 0)),
};

#undef NET
#undef EXE
#undef WR
#undef CPU
#undef BASE
#undef OWN
#undef ALLOW
#undef FAIL
#undef EQ32
#undef CMP
#undef HAS
#undef LACKS
#undef R_
#undef R0
#undef RN
#undef R1
#undef R2

const size_t preset_count = sizeof(preset_rules) / sizeof(*preset_rules);

int preset_nr(const struct libseccomp *lib, const struct preset_rule *p)
{
	int nr = lib->resolve_name(p->name);

	if (nr == __NR_SCMP_ERROR && p->nr)
		nr = p->nr;
	return nr;
}

int base_guard(const struct libseccomp *lib, int nr)
{
	int guard = 0;

	for (size_t i = 0; i < preset_count; i++) {
		const struct preset_rule *p = &preset_rules[i];
		if (!(p->presets & P_BASE) || preset_nr(lib, p) != nr)
			continue;
		if (!p->nargs)
			return 2;
		guard = 1;
	}
	return guard;
}
