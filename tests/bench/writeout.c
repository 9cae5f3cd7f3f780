/* SPDX-License-Identifier: MIT */
/*
 * Writing a payload into a fresh memfd, per size, by each method the
 * write-out engine could use; interleaved, medians. This is the measurement
 * behind the engine's choice in src/uring.c.
 *
 *   writeout [-n ITER] [--large]
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

static struct io_uring ring;
static bool have_ring;

static int new_memfd(void)
{
	int fd = memfd_create("bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	return fd;
}

static void finish(int fd, size_t len)
{
	struct stat st;

	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0 || fstat(fd, &st) < 0 ||
	    (size_t)st.st_size != len) {
		fprintf(stderr, "bad write-out\n");
		exit(1);
	}
	close(fd);
}

static void by_pwritev(const void *buf, size_t len)
{
	int fd = new_memfd();
	size_t off = 0;

	while (off < len) {
		ssize_t n = pwrite(fd, (const char *)buf + off, len - off, (off_t)off);
		if (n <= 0)
			exit(1);
		off += (size_t)n;
	}
	finish(fd, len);
}

static void by_ftruncate_pwritev(const void *buf, size_t len)
{
	int fd = new_memfd();
	size_t off = 0;

	if (ftruncate(fd, (off_t)len) < 0)
		exit(1);
	while (off < len) {
		ssize_t n = pwrite(fd, (const char *)buf + off, len - off, (off_t)off);
		if (n <= 0)
			exit(1);
		off += (size_t)n;
	}
	finish(fd, len);
}

/* chunks writes of len/chunks bytes in flight at once on the ring */
static void uring_write(const void *buf, size_t len, unsigned chunks,
			bool async)
{
	int fd = new_memfd();
	size_t per = (len + chunks - 1) / chunks;
	unsigned n = 0;

	if (ftruncate(fd, (off_t)len) < 0)
		exit(1);
	for (size_t off = 0; off < len; off += per, n++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		size_t l = len - off < per ? len - off : per;
		io_uring_prep_write(sqe, fd, (const char *)buf + off, (unsigned)l, off);
		if (async)
			sqe->flags |= IOSQE_ASYNC;
	}
	io_uring_submit_and_wait(&ring, n);
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(&ring, &cqe) || cqe->res < 0) {
			fprintf(stderr, "uring write: %s\n", strerror(-cqe->res));
			exit(1);
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	finish(fd, len);
}

/* Both cores: an io-wq worker writes the second half while this thread
   writes the first with pwrite. */
static void by_split(const void *buf, size_t len)
{
	int fd = new_memfd();
	size_t half = (len / 2) & ~(size_t)4095, off = 0;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	struct io_uring_cqe *cqe;

	if (ftruncate(fd, (off_t)len) < 0)
		exit(1);
	io_uring_prep_write(sqe, fd, (const char *)buf + half,
			    (unsigned)(len - half), half);
	sqe->flags |= IOSQE_ASYNC;
	io_uring_submit(&ring);
	while (off < half) {
		ssize_t n = pwrite(fd, (const char *)buf + off, half - off, (off_t)off);
		if (n <= 0)
			exit(1);
		off += (size_t)n;
	}
	if (io_uring_wait_cqe(&ring, &cqe) || cqe->res != (int)(len - half)) {
		fprintf(stderr, "split write failed\n");
		exit(1);
	}
	io_uring_cqe_seen(&ring, cqe);
	finish(fd, len);
}

static void by_uring1(const void *b, size_t l) { uring_write(b, l, 1, false); }
static void by_uring2(const void *b, size_t l) { uring_write(b, l, 2, true); }
static void by_uring4(const void *b, size_t l) { uring_write(b, l, 4, true); }

struct method {
	const char *name;
	void (*fn)(const void *, size_t);
	bool uring;
};

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4 << 10, 64 << 10, 1 << 20, 8 << 20,
					64 << 20, 512 << 20 };
	struct method m[] = {
		{ "pwrite", by_pwritev, false },
		{ "ftruncate+pwrite", by_ftruncate_pwritev, false },
		{ "uring 1 write", by_uring1, true },
		{ "uring 2 async", by_uring2, true },
		{ "uring 4 async", by_uring4, true },
		{ "split pwrite+uring", by_split, true },
	};
	int nm = sizeof(m) / sizeof(m[0]), iter = 50, nsizes = 5;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iter = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--large"))
			nsizes = 6;
	}
	int r = io_uring_queue_init(8, &ring, 0);
	have_ring = r == 0;
	if (!have_ring)
		printf("io_uring unavailable: %s\n", strerror(-r));

	printf("%-10s", "bytes");
	for (int k = 0; k < nm; k++)
		printf(" %18s", m[k].name);
	printf("   (p50 us, ratio to pwrite)\n");
	for (int s = 0; s < nsizes; s++) {
		size_t len = sizes[s];
		int n = len >= (64 << 20) ? (iter / 5 > 5 ? iter / 5 : 5) : iter;
		char *buf = malloc(len);
		double *t[8];
		memset(buf, 0x5a, len);
		for (int k = 0; k < nm; k++)
			t[k] = calloc((size_t)n, sizeof(double));
		for (int i = 0; i < n; i++)
			for (int k = 0; k < nm; k++) {
				if (m[k].uring && !have_ring)
					continue;
				double t0 = now_us();
				m[k].fn(buf, len);
				t[k][i] = now_us() - t0;
			}
		printf("%-10zu", len);
		double base = 0;
		for (int k = 0; k < nm; k++) {
			qsort(t[k], (size_t)n, sizeof(double), cmp_double);
			double p50 = t[k][n / 2];
			if (!k)
				base = p50;
			printf(" %10.1f (%4.2fx)", p50, p50 / base);
			free(t[k]);
		}
		printf("\n");
		free(buf);
	}
	return 0;
}
