/* SPDX-License-Identifier: MIT */
#ifndef CFORK_INTERNAL_H
#define CFORK_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "cfork.h"

#define CFORK_ENV "CFORK_FD"

/* Public calls leave errno as they found it: put this first in each. */
static inline void errno_restore(const int *saved)
{
	errno = *saved;
}
#define PROTECT_ERRNO \
	int protect_errno_ __attribute__((cleanup(errno_restore), unused)) = errno

/* registry.c */
int registry_find(const char *name, const struct cfork_registration **ret,
		  bool *ret_static);
bool registry_sig_valid(const char *sig);

/* self.c: the program's own binary, opened once */
int self_exe_fd(void);
/* A cfork child's: the parent's fd, inherited; st is what it is. */
struct stat;
void self_inherit(int fd, const struct stat *st);

/* wire.c: the payload (layout in wire.c) */
struct wire_out {
	struct iovec *iov;	/* header block, then each blob and padding */
	size_t niov;
	size_t size;		/* total bytes */
	void *head;		/* the header block iov[0] points at */
};
int wire_encode(struct wire_out *out, const char *name, bool is_static,
		int report_fd, uint64_t sigmask, const cfork_value *argv,
		size_t argc);
/* The same, with a sandbox section (sandbox_len 0: none). */
int wire_encode_sandbox(struct wire_out *out, const char *name,
			bool is_static, int report_fd, uint64_t sigmask,
			const cfork_value *argv, size_t argc,
			const void *sandbox, size_t sandbox_len);
/* The binary's fd the child inherits (encoded as -1, none). */
void wire_set_image_fd(struct wire_out *out, int fd);
void wire_out_release(struct wire_out *out);
int wire_decode(cfork_args *args, const void *base, size_t size,
		const char **ret_why);
/* The memfd of argument i when it is a cfork_buffer, else -1. */
int wire_arg_buffer(const cfork_args *a, size_t i, size_t *ret_len);

/* The decoded view of a payload; lives in the child only. */
struct wire_arg;
struct cfork_args {
	const unsigned char *base;
	size_t size;
	const char *name;
	const struct wire_arg *arg;
	size_t argc;
	const void **views;	/* mapped cfork_buffers, by argument; or NULL */
	int report_fd;
	int image_fd;		/* -1: none */
	uint64_t sigmask;
	bool is_static;
	const void *sandbox;	/* the sandbox section (sandbox.c), or NULL */
	size_t sandbox_len;
};

/* buffer.c */
int buffer_freeze(cfork_buffer *b);
int buffer_fd(const cfork_buffer *b);

/* memfd.c */
/* fd itself when above 2, else a close-on-exec copy above 2 (fd closed):
   a host with its stdio closed must not have our fds become a child's. */
int fd_above_stdio(int fd);
int memfd_create_sealable(unsigned *paths);
int memfd_write(int fd, struct iovec *iov, size_t niov, size_t size);
int memfd_seal(int fd);
/* The span of a shmem huge page, and an mmap(2) of fd that starts on one
   when size covers it (an address, or -errno): the kernel maps a huge page
   whole only at such an address, and shmem aligns by itself only where its
   huge pages are on by default. */
size_t memfd_huge_span(void);
long memfd_map_aligned(int fd, size_t size, int prot, int flags);
/* A payload needs F_SEAL_WRITE; a frozen cfork_buffer has
   F_SEAL_FUTURE_WRITE instead (buffer.c says why). */
int memfd_map_sealed(int fd, bool future_write_ok, const void **ret_base,
		     size_t *ret_size, const char **ret_why);

/* uring.c: the write-out engine */
enum { WRITEOUT_AUTO, WRITEOUT_PWRITEV, WRITEOUT_URING };
struct writeout {
	struct io_uring *ring;	/* set while writes are in flight */
	unsigned pending;
	int fd;
	struct iovec *iov;
	size_t niov, size;
};
/* 0: written; 1: in flight, finish with writeout_finish(); or -errno. */
int writeout_start(struct writeout *w, int fd, struct iovec *iov,
		   size_t niov, size_t size);
int writeout_finish(struct writeout *w);
bool writeout_pending(const struct writeout *w);

/* launch.c */
struct launch_request {
	int exe_fd;
	char *const *argv;
	char *const *envp;
	int stdio[3];
	const int *keep_fds;	/* fds >= 3 to pass on, in any order */
	size_t nkeep_fds;
	int pdeathsig;
	int cgroup_fd;
	int report_fd;		/* the child's end, for a failure before exec */
	int report_rd;		/* the parent's end (non-blocking) */
	uint64_t ns_flags;	/* CLONE_NEW*, for a sandbox */
	pid_t parent_pid;	/* with pdeathsig only */
	bool cgroup_pending;	/* the child joins cgroup_fd itself */
	int child_error;	/* errno from the child before exec */
};
struct launch_result {
	pid_t pid;
	int pidfd;		/* -1: a pid-only handle */
	unsigned paths;		/* CFORK_PATH_* */
};
/* launch() is called between these two, with every signal held. */
uint64_t launch_hold_signals(void);
void launch_release_signals(uint64_t saved);
int launch(struct launch_request *req, struct launch_result *res);

/* report.c: the child -> parent channel */
/* REPORT_SANDBOX: u32, the layers the child applied; REPORT_BLOCKED: i32
   number and u32 AUDIT_ARCH_* of a call the sandbox killed it for. */
enum { REPORT_RESULT = 1, REPORT_ERROR = 2, REPORT_SANDBOX = 3,
       REPORT_BLOCKED = 4 };
#define REPORT_ERROR_MAX 4096
int report_send(int fd, unsigned kind, const void *data, size_t len);
/* Set result_max and sandbox_mask, zero the rest, then feed it what the
   child wrote, in pieces of any size. */
struct report_reader {
	size_t result_max;	/* result bytes kept at most (> 0) */
	unsigned sandbox_mask;	/* CFORK_LAYER_* the child may claim */
	unsigned char head[8];
	size_t head_len;
	unsigned kind;
	size_t left;		/* bytes of the current frame still to come */
	unsigned char *result;
	size_t result_len, result_cap;
	bool result_truncated;
	char error[REPORT_ERROR_MAX];
	size_t error_len;
	bool malformed;
	unsigned char small[8];	/* a REPORT_SANDBOX or _BLOCKED body */
	size_t small_len;
	bool sandbox_seen;
	unsigned sandbox;	/* CFORK_LAYER_* from REPORT_SANDBOX */
	bool blocked;		/* a REPORT_BLOCKED came: */
	int32_t blocked_nr;
	uint32_t blocked_arch;
};
int report_feed(struct report_reader *r, const void *buf, size_t n);

/* proc.c */
int proc_new(cfork_proc **ret);
void proc_attach(cfork_proc *p, const struct launch_result *res,
		 const int report[2]);
void proc_limits(cfork_proc *p, size_t result_max);
/* applied: the launch's layers; child_layers: those the child may report. */
void proc_sandbox(cfork_proc *p, unsigned applied, unsigned child_layers);

/* init.c */
int child_report_fd(void);
int child_report(unsigned kind, const void *data, size_t len);
bool init_was_called(void);
_Noreturn void child_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* sandbox.c */
struct sandbox_plan {
	void *blob;		/* the payload's sandbox section, or NULL */
	size_t blob_len;
	int *path_fds;		/* landlock's O_PATH fds, passed to the child */
	size_t npath_fds;
	int *keep;		/* the request's keep_fds plus path_fds */
	uint64_t ns_flags;	/* CLONE_NEW* */
	bool cgroup;		/* cgroup_fd (the plan's own) is to be joined */
	int cgroup_fd;
	unsigned optional;	/* CFORK_LAYER_* the launch may drop (PREFER) */
	unsigned applied;	/* CFORK_LAYER_* the launch applied */
	unsigned child_layers;	/* CFORK_LAYER_* the child is to apply */
};
/* A zeroed plan is "no sandbox", for sandbox_launch and _release too. */
int sandbox_prepare(const cfork_sandbox *sb, const cfork_attr *attr,
		    struct sandbox_plan *plan);
int sandbox_launch(struct sandbox_plan *plan, struct launch_request *req,
		   struct launch_result *res);
void sandbox_plan_release(struct sandbox_plan *plan);
const char *sandbox_check(const void *section, size_t len);
void sandbox_apply(const cfork_args *a);
void sandbox_blocked_text(char *buf, size_t size, int32_t nr, uint32_t arch);

#endif
