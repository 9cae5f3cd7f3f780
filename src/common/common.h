/* SPDX-License-Identifier: MIT */
#ifndef CFORK_COMMON_H
#define CFORK_COMMON_H

/*
 * What both worlds use: the parent (any thread, libc, locks) and the exec'd
 * child (from the constructor on). Nothing here applies a policy; nothing
 * here is used between clone and exec but the inline sys.h and compat.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cfork.h"

/* The child's marker: CFORK_FD=memfd[:ready]. */
#define CFORK_ENV "CFORK_FD"

/* Public calls leave errno as they found it: put this first in each. */
static inline void errno_restore(const int *saved)
{
	errno = *saved;
}
#define PROTECT_ERRNO \
	int protect_errno_ __attribute__((cleanup(errno_restore), unused)) = errno

/* fd.c: fd itself when above 2, else a close-on-exec copy above 2 (fd
   closed): a host with its stdio closed must not have cfork's fds become a
   child's stdio. */
int fd_move_above_stdio(int fd);
/* Both of a new pair moved so: 0, or -errno with both closed and -1. */
int fd_pair_above_stdio(int fds[2]);
/* One message of len bytes on a unix socket, with fd by SCM_RIGHTS when
   it is not -1; and one received without waiting, *ret_fd the fd it
   brought, close-on-exec, or -1. The bytes moved, or -errno. */
ssize_t fd_send_with(int sock, const void *data, size_t len, int fd);
ssize_t fd_recv_with(int sock, void *data, size_t len, int *ret_fd);
/* The same with up to FD_PASS_MAX fds and sendmsg's or recvmsg's flags:
   *ret_n of them received into fds (at most max; what does not fit, the
   kernel closes). */
#define FD_PASS_MAX 253		/* the kernel's SCM_MAX_FD */
ssize_t fd_send_fds(int sock, const void *data, size_t len, const int *fds,
		    size_t n, int flags);
ssize_t fd_recv_fds(int sock, void *data, size_t len, int flags, int *fds,
		    size_t max, size_t *ret_n);

/* registry.c: names -> functions and signatures. */
int registry_find(const char *name, const struct cfork_registration **ret,
		  bool *ret_static);
bool registry_sig_valid(const char *sig);
/* Whether the program has called cfork_init(): only then can its child run
   a function registered at run time (otherwise it would run main()). */
void registry_mark_runtime_ready(void);
/* Whether a child of this program would find reg when it dispatches: a
   static entry always; a runtime one when cfork_init() has been called,
   and the entry was registered before the first call. */
bool registry_child_sees(const struct cfork_registration *reg,
			 bool is_static);

/* image.c: the program's own binary, opened once (or adopted). */
int image_fd(void);
struct stat;
/* A cfork child adopts its parent's fd of the binary, whose identity st
   gives: it names exactly the image the child was executed from. */
void image_adopt(int fd, const struct stat *st);

/* memfd_map.c: the span of a shmem huge page, and an mmap(2) of fd that
   starts on one when size covers it (an address, or -errno): the kernel
   maps a huge page whole only at such an address, and shmem aligns by
   itself only where its huge pages are on by default. */
size_t memfd_huge_span(void);
long memfd_map_aligned(int fd, size_t size, int prot, int flags);
/* A payload needs F_SEAL_WRITE; a frozen cfork_buffer has
   F_SEAL_FUTURE_WRITE instead (parent/buffer.c says why). */
int memfd_map_sealed(int fd, bool future_write_ok, const void **ret_base,
		     size_t *ret_size, const char **ret_why);

/* landlock.c: the ABI this kernel has (0: none), and what each ABI can
   restrict. */
int landlock_abi(void);
uint64_t landlock_fs_rights(int abi);
uint64_t landlock_scopes(int abi);
/* landlock_base.c: the base's ruleset, made for this ABI (at least 1) from
   the mount table mountinfo holds (-1: it opens its own): its fd, or
   -errno. landlock_process.c: a duplicate of this process's, kept valid,
   which the caller closes; -1 where there is none. */
/* fenced_paths.c: the paths where the base's ruleset gives no rule, from
   the mount table mountinfo holds (false where it cannot be read whole);
   and whether path is one of them (1) or lies above one (2), or neither
   (0). */
struct fenced {
	char **paths;
	bool *through;	/* a path landlock walks through: gone into, not
			   skipped */
	size_t n;
};
bool fenced_paths_read(int mountinfo, struct fenced *f);
void fenced_free(struct fenced *f);
int fence_at(const struct fenced *f, const char *path);

struct landlock_walked_dir {
	char path[256];
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	nlink_t nlink;
};
#define LANDLOCK_WALKED_MAX 16
/* The directories a base ruleset read the entries of, the root first, as
   they were before (incomplete: more, or longer paths, than noted). */
struct landlock_walked {
	struct landlock_walked_dir dir[LANDLOCK_WALKED_MAX];
	size_t n;
	bool incomplete;
};
int landlock_base_ruleset(int abi, int mountinfo,
			  struct landlock_walked *walked);
/* Whether a directory noted is still as it was. */
bool landlock_walked_unchanged(const struct landlock_walked_dir *d);
int landlock_process_ruleset(void);

/* trace_stop.c: whether a waitid() si_code is an end (exited, killed,
   dumped) rather than the ptrace stop of a child that made its reaper its
   tracer; and such a stop let go with its signal (sig 0 or out of range:
   none), 0 or -errno (ESRCH: killed meanwhile, no longer stopped). */
bool wait_code_is_end(int si_code);
int trace_stop_let_go(pid_t pid, int sig);
/* The zombies of pid's threads that made their reaper's process their
   tracer, reaped: they hold up the end of pid itself. */
void trace_reap_threads(pid_t pid);

#endif
