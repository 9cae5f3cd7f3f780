/* SPDX-License-Identifier: MIT */
#ifndef CFORK_PARENT_H
#define CFORK_PARENT_H

/*
 * The caller's process, any thread: malloc, locks, libc, libseccomp and
 * liburing are fine here. This folder reaches wire/ (the contracts),
 * prexec/ (the launch request) and common/, never child/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "cfork.h"

struct launch_request;

/* check.c: values against a signature (converted where exact), attrs. */
int check_values(const char *sig, cfork_value *v, size_t argc);
int check_attr(const cfork_attr *attr);

/* payload.c: the payload's memfd. */
int payload_create(unsigned *paths);
int payload_write(int fd, struct iovec *iov, size_t niov, size_t size);
int payload_seal(int fd);

/* writeout.c: the write-out engine. */
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
struct launch_result {
	pid_t pid;
	int pidfd;		/* -1: a pid-only handle */
	unsigned paths;		/* CFORK_PATH_* */
};
/* launch_child() is called between these two, with every signal held. */
uint64_t launch_hold_signals(void);
void launch_release_signals(uint64_t saved);
int launch_child(struct launch_request *req, struct launch_result *res);
/* A sandbox's launch-time layers: what only a launch can set. Zeroed with
   cgroup_fd -1: none. */
struct launch_layers {
	uint64_t ns_flags;	/* CLONE_NEW* */
	int cgroup_fd;		/* the plan's own; -1: none */
	unsigned optional;	/* CFORK_LAYER_* the launch may drop (PREFER) */
	unsigned applied;	/* out: CFORK_LAYER_* the launch applied */
	/* With CLONE_NEWUSER: the lines the pre-exec child writes to its
	   uid_map and gid_map ("inside outside 1\n"); length 0: none. */
	char uid_map[32], gid_map[32];
	size_t uid_map_len, gid_map_len;
};
int launch_with_fallbacks(struct launch_layers *layers,
			  struct launch_request *req,
			  struct launch_result *res);

/* proc.c: the handle. */
int proc_new(cfork_proc **ret);
void proc_attach(cfork_proc *p, const struct launch_result *res,
		 const int report[2]);
void proc_limits(cfork_proc *p, size_t result_max);
/* applied: the launch's layers; child_layers: those the child may report. */
void proc_sandbox(cfork_proc *p, unsigned applied, unsigned child_layers);
/* One step that never blocks: 0 with *st filled once the child has ended,
   -EAGAIN while it runs, or another -errno. */
int proc_step(cfork_proc *p, cfork_status *st);
/* What a waiter polls: the pidfd (-1: a pid-only handle) and the report
   channel (-1: closed). */
void proc_wait_fds(const cfork_proc *p, int *ret_pidfd, int *ret_report_fd);

/* buffer.c */
int buffer_freeze(cfork_buffer *b);
int buffer_fd(const cfork_buffer *b);

#endif
