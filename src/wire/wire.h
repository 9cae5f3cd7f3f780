/* SPDX-License-Identifier: MIT */
#ifndef CFORK_WIRE_H
#define CFORK_WIRE_H

/*
 * The contracts between the worlds, each layout in one place: the payload a
 * parent writes and a child maps, the sandbox section inside it, and the
 * report frames a child writes and the parent reads. Pure codecs: the code
 * of this folder makes no system call and uses no libseccomp, so the
 * fuzzers link it alone. The tests include this header rather than mirror
 * it. All integers are in the host's byte order: nothing here leaves the
 * machine, and both ends are the same binary.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "cfork.h"

/* ------------------------------------------------------------------------ */
/* The payload (payload.c)                                                   */
/* ------------------------------------------------------------------------ */

#define WIRE_MAGIC "\x7f" "cfork\0\0"
#define WIRE_VERSION 5
#define WIRE_STATIC 1u		/* the name is registered statically */
#define WIRE_SANDBOX 4u		/* a sandbox section follows the arguments */
#define WIRE_ARG_BUFFER 1u	/* bytes in a memfd of their own */

struct wire_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint64_t size;		/* of the whole payload */
	uint32_t flags;
	int32_t report_fd;
	uint64_t sigmask;	/* the caller's, for the child to restore */
	uint32_t argc;
	uint32_t name_len;	/* without the NUL */
	uint64_t name_off;
	uint64_t args_off;
	int32_t image_fd;	/* the program's binary, inherited; or -1 */
	int32_t status_fd;	/* a pid namespace init's status channel
				   (struct pidns_end), or -1 */
};
_Static_assert(sizeof(struct wire_header) == 72, "payload header layout");

struct wire_arg {
	uint32_t type;
	uint32_t flags;		/* WIRE_ARG_BUFFER */
	uint64_t value;		/* the scalar, or the blob's offset */
	uint64_t len;		/* the blob's length (a string's without NUL) */
};
_Static_assert(sizeof(struct wire_arg) == 24, "payload argument layout");

/* A cfork_buffer argument as the payload names it: the memfd the child
   inherits, and the length it maps. */
struct payload_buffer {
	int fd;
	uint64_t len;
};

/* What one call puts in its payload. */
struct payload_call {
	const char *name;
	bool is_static;
	int report_fd;
	int image_fd;			/* -1: none */
	int status_fd;			/* -1: none */
	uint64_t sigmask;
	const cfork_value *argv;	/* checked and converted already */
	size_t argc;
	const struct payload_buffer *buffers;	/* by argument; for buffers */
	const void *section;		/* the sandbox section, or NULL */
	size_t section_len;
};

/* The encoded payload, gathered for one pwritev: iov[0] is head, the rest
   point into the caller's strings and bytes. */
struct payload_out {
	struct iovec *iov;
	size_t niov;
	size_t size;		/* total bytes */
	void *head;
};
int payload_encode(struct payload_out *out, const struct payload_call *c);
void payload_out_release(struct payload_out *out);

/* The decoded view of a payload; lives in the child. */
struct cfork_args {
	const unsigned char *base;
	size_t size;
	const char *name;
	const struct wire_arg *arg;
	size_t argc;
	const void **views;	/* mapped cfork_buffers, by argument; or NULL */
	int report_fd;
	int image_fd;		/* -1: none */
	int status_fd;		/* -1: none */
	uint64_t sigmask;
	bool is_static;
	const void *sandbox;	/* the sandbox section, or NULL */
	size_t sandbox_len;
};
int payload_decode(cfork_args *args, const void *base, size_t size,
		   const char **ret_why);
/* The memfd of argument i when it is a cfork_buffer, else -1. */
int payload_arg_buffer(const cfork_args *a, size_t i, size_t *ret_len);

/* ------------------------------------------------------------------------ */
/* The sandbox section of a payload (section.c)                             */
/* ------------------------------------------------------------------------ */

/*
 *   struct section_head
 *   struct sock_filter[nfilter]     the compiled filter (8 bytes each)
 *   struct section_path[npaths]     landlock: an inherited O_PATH fd each
 *   struct section_limit[nlimits]   setrlimit(resource, value, value)
 *   uint32_t groups[ngroups]        the identity's supplementary groups,
 *                                   sorted, without repeats
 */
struct section_head {
	uint32_t layers;	/* SECTION_LAYERS the child applies */
	uint32_t require;	/* those that must not fail */
	uint32_t flags;		/* SECTION_SELF_PID */
	uint32_t nfilter;
	uint32_t npaths;
	uint32_t nlimits;
	uint64_t handled_fs;	/* landlock: the rights the ruleset handles */
	uint64_t scoped;	/* landlock: LL_SCOPE_* */
	uint64_t keep_caps;	/* CAP_* bits the child keeps; all others go */
	uint32_t uid;		/* CFORK_LAYER_IDENTITY: the ids to run as */
	uint32_t gid;
	uint32_t ngroups;
	uint32_t base_ruleset;	/* SECTION_BASE_RULESET: the base's landlock
				   ruleset, an inherited fd; 0 otherwise */
};
_Static_assert(sizeof(struct section_head) == 64, "section header layout");

struct section_path {
	int32_t fd;
	uint32_t reserved;
	uint64_t access;
};
_Static_assert(sizeof(struct section_path) == 16, "section path layout");

struct section_limit {
	uint32_t resource;
	uint32_t reserved;
	uint64_t value;
};
_Static_assert(sizeof(struct section_limit) == 16, "section limit layout");

/* The layers the child applies itself; the others are the launch's. */
#define SECTION_LAYERS (CFORK_LAYER_SECCOMP | CFORK_LAYER_LANDLOCK | \
			CFORK_LAYER_RLIMITS | CFORK_LAYER_IDENTITY)
#define SECTION_FILTER_MAX 4096	/* the kernel's BPF_MAXINSNS */
#define SECTION_PATHS_MAX 64
#define SECTION_INSN_SIZE 8	/* struct sock_filter */
/* The filter compares with SECTION_SELF_PID_MARK where it means the child's
   own pid (the filter is compiled once for every child): the child writes
   its pid over it before loading. It is above PID_MAX_LIMIT, so it can
   never be a real pid. */
#define SECTION_SELF_PID 1u
#define SECTION_SELF_PID_MARK 0x3fcf0a17u
/* The layers wait for cfork_lockdown() (cfork_sandbox_defer). */
#define SECTION_DEFER 2u
/* The launch maps the child's ids in a new user namespace (uid and gid are
   the ids inside it): its groups cannot change, ngroups is 0. */
#define SECTION_USERNS_MAP 4u
/* The parent made the base's landlock ruleset (common/landlock_base.c). */
#define SECTION_BASE_RULESET 8u
#define SECTION_FLAGS (SECTION_SELF_PID | SECTION_DEFER | SECTION_USERNS_MAP | \
		       SECTION_BASE_RULESET)
/* Supplementary groups at most: the kernel takes 65536 (NGROUPS_MAX), far
   more than a sandboxed worker has a use for; a small bound keeps the
   section and the child's check of it small. = CFORK_GROUPS_MAX. */
#define SECTION_GROUPS_MAX 256
#define SECTION_ID_NONE 0xffffffffu	/* (uid_t)-1: never an identity */

/* NULL if the section is well formed, else why not. */
const char *section_check(const void *section, size_t len);

/* ------------------------------------------------------------------------ */
/* The hand-off to a warm pool child (handoff.c)                            */
/* ------------------------------------------------------------------------ */

/*
 * A pool child (parent/pool.c) is launched as any child is, with
 * CFORK_FD=p<socket>, and waits for one message on that socket from its
 * parent: this head, and by SCM_RIGHTS the fds of one call, in order. The
 * first is the call's sealed payload memfd, which goes anywhere; every
 * other one must take the number target[i] in the child (the number the
 * payload names it by: the report channel, the binary, the fd arguments,
 * the buffers, landlock's paths). Then the child takes over as from a
 * launch.
 */
#define HANDOFF_MAGIC "cfkpool\0"
#define HANDOFF_VERSION 1
#define HANDOFF_FDS_MAX 253	/* the kernel's SCM_MAX_FD */
/* The fds a fork server keeps for its own use beside its calls' status
   channels: stdio, the image, its sockets, a hand-off's fds while it forks
   for one. */
#define SERVER_FDS_OWN (16 + HANDOFF_FDS_MAX)

struct handoff_head {
	char magic[8];
	uint32_t version;
	uint32_t nfds;
	/* The index of the fd the receiver keeps (a fork server: the call's
	   status channel, struct pidns_end), not placed; or -1. */
	int32_t keep;
	int32_t target[HANDOFF_FDS_MAX];	/* target[0], target[keep]: -1 */
};

/* NULL if head (len bytes, with nfds fds received) is a well-formed
   hand-off, else why not. */
const char *handoff_check(const struct handoff_head *h, size_t len,
			  size_t nfds);

/* ------------------------------------------------------------------------ */
/* The end of a pid namespace's first child (child/pidns.c)                  */
/* ------------------------------------------------------------------------ */

/*
 * Under CFORK_NS_PID the child is its namespace's init, which the kernel
 * keeps from its own signals; cfork's init runs the function as pid 2 and,
 * once that has ended and every process left in the namespace is killed and
 * reaped, writes how pid 2 ended on a channel of its own (status_fd), in
 * one write. Nothing else in the namespace is alive to write there then.
 */
struct pidns_end {
	char magic[8];		/* PIDNS_END_MAGIC */
	int32_t how;		/* CLD_EXITED, CLD_KILLED, CLD_DUMPED */
	int32_t status;		/* the exit code or the signal */
	struct rusage rusage;
};
#define PIDNS_END_MAGIC "cfkend\0\0"

/* end.c: the record of a wait status (as wait4 gives it), and whether len
   bytes read from a status channel are one. A fork server (child/server.c)
   writes the same record for each of its children. */
struct pidns_end pidns_end_encode(int wstatus, const struct rusage *ru);
bool pidns_end_valid(const struct pidns_end *end, size_t len);

/* ------------------------------------------------------------------------ */
/* Report frames, child -> parent (report.c)                                */
/* ------------------------------------------------------------------------ */

/*
 * A socket from the child to the parent carries frames of { u32 kind, u32
 * length, bytes }:
 *   REPORT_RESULT   bytes of cfork_return(), appended in order
 *   REPORT_ERROR    the text of a child-side cfork failure
 *   REPORT_SANDBOX  u32: the layers the child applied
 *   REPORT_BLOCKED  i32 number and u32 AUDIT_ARCH_* of a call the sandbox
 *                   killed it for
 */
enum { REPORT_RESULT = 1, REPORT_ERROR = 2, REPORT_SANDBOX = 3,
       REPORT_BLOCKED = 4 };
#define REPORT_ERROR_MAX 4096
#define REPORT_FRAME_MAX ((size_t)1 << 30)

struct report_head {
	uint32_t kind;
	uint32_t len;
};
_Static_assert(sizeof(struct report_head) == 8, "report frame head");

/* The head of a frame, for every writer: the child's channel, the pre-exec
   child's early failure and the SIGSYS handler, which may call nothing but
   this (inline, no symbol). */
static inline __attribute__((always_inline)) struct report_head
report_head(unsigned kind, size_t len)
{
	struct report_head h = { (uint32_t)kind, (uint32_t)len };

	return h;
}

/* The parent's incremental reader. Set result_max and sandbox_mask, zero
   the rest, then feed it what the child wrote, in pieces of any size; free
   result at the end. It yields data: naming a blocked call is the
   parent's. */
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
/* 0, or -ENOMEM. */
int report_feed(struct report_reader *r, const void *buf, size_t n);

#endif
