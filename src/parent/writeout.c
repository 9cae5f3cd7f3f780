/* SPDX-License-Identifier: MIT */
/*
 * The write-out engine: how a payload gets into its memfd.
 *
 * Two methods. pwritev, into a memfd first sized with ftruncate from 64 KiB
 * up. io_uring with overlap: the write is submitted (IOSQE_ASYNC) before the
 * clone and runs on a kernel worker while the child execs and its loader
 * starts; the parent then seals the memfd and releases the child through a
 * one-byte "ready" pipe.
 *
 * The choice is by measurement (`make bench`, `make bench-writeout`), and
 * on the machines measured io_uring never won: shmem writes are punted to
 * an io-wq worker, writes to one shmem file serialize on its inode, and the
 * hand-over costs more than the exec it overlaps. So the automatic choice
 * is pwritev at every size; io_uring stays available to force, for the
 * benchmark to measure it again on other hosts. For large arguments the
 * win is not to copy at all: a cfork_buffer.
 *
 * CFORK_WRITEOUT=pwritev|uring in the environment forces a method (for
 * benchmarks and tests), at the next spawn. Where io_uring is blocked (Docker: EPERM, Podman:
 * ENOSYS, kernel.io_uring_disabled) pwritev is used, decided once per
 * process.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* Pre-sizing the memfd saves extending it page by page (writeout.c). */
#define WRITEOUT_PRESIZE_MIN ((size_t)64 << 10)

#ifdef CFORK_HAVE_URING
#include <dlfcn.h>
#include <liburing.h>

/*
 * liburing, loaded the first time io_uring is asked for: no child, and no
 * parent that never forces it, loads it. A program that links liburing
 * itself is served by its own copy through these weak references.
 */
#pragma weak io_uring_queue_init
#pragma weak io_uring_queue_exit
#pragma weak io_uring_register_ring_fd
#pragma weak io_uring_submit
#pragma weak __io_uring_get_cqe

struct liburing {
	int (*queue_init)(unsigned entries, struct io_uring *ring,
			  unsigned flags);
	void (*queue_exit)(struct io_uring *ring);
	int (*register_ring_fd)(struct io_uring *ring);
	int (*submit)(struct io_uring *ring);
	int (*get_cqe)(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		       unsigned submit, unsigned wait_nr, sigset_t *sigmask);
};

static pthread_once_t liburing_once = PTHREAD_ONCE_INIT;
static struct liburing liburing_api;
static bool liburing_ok;

static void liburing_load(void)
{
	struct liburing *api = &liburing_api;

	if (io_uring_queue_init) {
		*api = (struct liburing){
			io_uring_queue_init, io_uring_queue_exit,
			io_uring_register_ring_fd, io_uring_submit,
			__io_uring_get_cqe,
		};
		liburing_ok = true;
		return;
	}
	void *lib = dlopen("liburing.so.2", RTLD_NOW | RTLD_LOCAL);
	liburing_ok = lib &&
		dl_symbol(lib, "io_uring_queue_init", &api->queue_init) &&
		dl_symbol(lib, "io_uring_queue_exit", &api->queue_exit) &&
		dl_symbol(lib, "io_uring_register_ring_fd",
			    &api->register_ring_fd) &&
		dl_symbol(lib, "io_uring_submit", &api->submit) &&
		dl_symbol(lib, "__io_uring_get_cqe", &api->get_cqe);
}

static const struct liburing *liburing(void)
{
	pthread_once(&liburing_once, liburing_load);
	return liburing_ok ? &liburing_api : NULL;
}

static atomic_bool uring_blocked;
static pthread_once_t ring_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t ring_key;
static __thread struct io_uring *thread_ring;

static void ring_free(void *ring)
{
	liburing()->queue_exit(ring);
	free(ring);
}

/* A child of fork() has a copy of this thread's ring mappings but not its
   registration: it must make a ring of its own. */
static void ring_forget_after_fork(void)
{
	thread_ring = NULL;
}

static void ring_key_create(void)
{
	if (pthread_key_create(&ring_key, ring_free) ||
	    pthread_atfork(NULL, NULL, ring_forget_after_fork))
		atomic_store(&uring_blocked, true);
}

/* One ring per thread, made on first use and torn down at thread exit. */
static struct io_uring *ring_get(void)
{
	if (thread_ring)
		return thread_ring;
	pthread_once(&ring_key_once, ring_key_create);
	if (atomic_load_explicit(&uring_blocked, memory_order_relaxed))
		return NULL;
	const struct liburing *lib = liburing();
	if (!lib) {
		atomic_store(&uring_blocked, true);
		return NULL;
	}

	struct io_uring *ring = malloc(sizeof(*ring));
	if (!ring)
		return NULL;
	int r = lib->queue_init(8, ring, 0);
	if (r < 0) {
		free(ring);
		if (r == -EPERM || r == -ENOSYS || r == -EACCES)
			atomic_store(&uring_blocked, true);
		return NULL;
	}
	/* From here on the ring is entered through its registered index, so
	   its fd can go, as io_uring_close_ring_fd() does in liburing 2.4: a
	   cached ring must not show as an open fd of the host. The kernel
	   drops the registration when the thread exits. Without registered
	   rings (before 5.18) io_uring is not worth an fd: use pwritev. */
	if (lib->register_ring_fd(ring) != 1) {
		ring_free(ring);
		atomic_store(&uring_blocked, true);
		return NULL;
	}
	close(ring->ring_fd);
	ring->ring_fd = -1;
	if (pthread_setspecific(ring_key, ring)) {
		ring_free(ring);
		return NULL;
	}
	thread_ring = ring;
	return ring;
}

/* Read at every spawn, so that one process can compare the methods. */
static int forced_method(void)
{
	const char *e = getenv("CFORK_WRITEOUT");

	if (e && !strcmp(e, "pwritev"))
		return WRITEOUT_PWRITEV;
	if (e && !strcmp(e, "uring"))
		return WRITEOUT_URING;
	return WRITEOUT_AUTO;
}
#endif

int writeout_start(struct writeout *w, int fd, struct iovec *iov,
		   size_t niov, size_t size)
{
	*w = (struct writeout){ .fd = fd, .iov = iov, .niov = niov,
				.size = size };
	if (size >= WRITEOUT_PRESIZE_MIN && ftruncate(fd, (off_t)size) < 0)
		return -errno;
#ifdef CFORK_HAVE_URING
	struct io_uring *ring;

	/* Only when forced: see the measurements above. */
	if (forced_method() == WRITEOUT_URING && (ring = ring_get())) {
		size_t off = 0;
		bool failed = false;
		int r;

		for (size_t i = 0; i < niov && !failed;) {
			unsigned n = niov - i > IOV_MAX ? IOV_MAX :
							  (unsigned)(niov - i);
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			size_t len = 0;

			if (!sqe) {
				r = liburing()->submit(ring);
				failed = r < 0;
				w->pending += r > 0 ? (unsigned)r : 0;
				sqe = failed ? NULL : io_uring_get_sqe(ring);
				if (!sqe) {
					failed = true;
					break;
				}
			}
			for (unsigned k = 0; k < n; k++)
				len += iov[i + k].iov_len;
			io_uring_prep_writev(sqe, fd, iov + i, n, off);
			/* Straight to a worker: the submitting thread goes
			   on to the clone at once. */
			sqe->flags |= IOSQE_ASYNC;
			io_uring_sqe_set_data64(sqe, len);
			off += len;
			i += n;
		}
		if (!failed) {
			r = liburing()->submit(ring);
			failed = r < 0;
			w->pending += r > 0 ? (unsigned)r : 0;
		}
		w->ring = ring;
		if (!failed)
			return 1;
		/* What was submitted must finish before a rewrite; entries
		   prepared but never submitted would go out with the next
		   submission, so this ring is not used again. */
		writeout_finish(w);
		thread_ring = NULL;
		pthread_setspecific(ring_key, NULL);
		ring_free(ring);
	}
#endif
	return payload_write(fd, iov, niov, size);
}

int writeout_finish(struct writeout *w)
{
	int err = 0;

#ifdef CFORK_HAVE_URING
	bool short_write = false;

	for (; w->ring && w->pending; w->pending--) {
		struct io_uring_cqe *cqe;
		int r;

		do
			r = liburing()->get_cqe(w->ring, &cqe, 0, 1, NULL);
		while (r == -EINTR);
		if (r < 0) {
			err = r;
			break;
		}
		/* io-wq creates its workers on demand, and that fails while a
		   signal is pending: the write then comes back ECANCELED.
		   That, and a short write, are finished the simple way. */
		bool again = cqe->res == -ECANCELED || cqe->res == -EINTR ||
			     cqe->res == -EAGAIN;
		if (cqe->res < 0 && !again) {
			if (!err)
				err = cqe->res;
		} else if (again || (uint64_t)cqe->res !=
					    io_uring_cqe_get_data64(cqe)) {
			short_write = true;
		}
		io_uring_cqe_seen(w->ring, cqe);
	}
	w->ring = NULL;
	/* The payload is rewritten in place. */
	if (!err && short_write)
		err = payload_write(w->fd, w->iov, w->niov, w->size);
#else
	(void)w;
#endif
	return err;
}

bool writeout_pending(const struct writeout *w)
{
	return w->ring != NULL;
}
