/* SPDX-License-Identifier: MIT */
/* Zero-copy buffers: the child sees exactly the parent's bytes, never a
   change after the pass, and nothing leaks. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(buffer, .timeout = TEST_TIMEOUT);

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3u;
	return h;
}

/* Sends back the length, the hash of the bytes, and whether the view is
   read-only (a write through it would have to fail). */
static int buffer_hash(const cfork_args *a)
{
	size_t len;
	const unsigned char *p = cfork_arg_bytes(a, 0, &len);
	uint64_t out[3] = { len, fnv1a(p, len), 0 };
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	static char maps[1 << 20];
	size_t n = 0;
	ssize_t got;

	/* The kernel hands out /proc/self/maps a page per read. */
	while (fd >= 0 && n < sizeof(maps) - 1 &&
	       (got = read(fd, maps + n, sizeof(maps) - 1 - n)) > 0)
		n += (size_t)got;
	if (n > 0) {
		char want[32];
		maps[n] = '\0';
		snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
		char *line = strstr(maps, want);
		out[2] = line && strstr(line, " r--s ") == strchr(line, ' ');
	}
	if (fd >= 0)
		close(fd);
	return cfork_return(out, sizeof(out)) ? 1 : 0;
}
CFORK_REGISTER(buffer_hash, "y");

static int buffer_takes_str(const cfork_args *a)
{
	return (int)strlen(cfork_arg_str(a, 0));
}
CFORK_REGISTER(buffer_takes_str, "s");

static cfork_buffer *filled(size_t size)
{
	cfork_buffer *b;

	cr_assert_eq(cfork_buffer_new(&b, size), 0);
	unsigned char *p = cfork_buffer_data(b);
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 131 + 7);
	return b;
}

static void expect_hash(cfork_buffer *b, uint64_t want)
{
	cfork_proc *p;
	cfork_status st;
	uint64_t out[3];

	cr_assert_eq(cfork_spawn(&p, NULL, "buffer_hash", b), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "child failed: %s", st.error);
	cr_assert_eq(st.result_len, sizeof(out));
	memcpy(out, st.result, sizeof(out));
	cr_expect_eq(out[0], cfork_buffer_size(b));
	cr_expect_eq(out[1], want, "the child saw other bytes");
	cr_expect_eq(out[2], 1, "the child's view is not a read-only shared map");
	cfork_free(p);
}

Test(buffer, sixty_four_mib_reach_child_exactly)
{
	size_t size = 64 << 20;
	cfork_buffer *b = filled(size);

	expect_hash(b, fnv1a(cfork_buffer_data(b), size));
	cfork_buffer_free(b);
}

Test(buffer, pass_freezes_the_buffer)
{
	cfork_buffer *b = filled(4096);

	cr_assert_not(cfork_buffer_frozen(b));
	expect_hash(b, fnv1a(cfork_buffer_data(b), 4096));
	cr_assert(cfork_buffer_frozen(b));
	cfork_buffer_free(b);
}

/* After the pass a write through the parent's mapping must fault, not
   change what a running child reads. */
Test(buffer, write_after_pass_faults, .signal = SIGSEGV)
{
	cfork_buffer *b = filled(8192);

	expect_hash(b, fnv1a(cfork_buffer_data(b), 8192));
	((volatile unsigned char *)cfork_buffer_data(b))[100] = 1;
}

Test(buffer, frozen_buffer_serves_many_children)
{
	cfork_buffer *b = filled(1 << 20);
	uint64_t want = fnv1a(cfork_buffer_data(b), 1 << 20);

	for (int i = 0; i < 5; i++)
		expect_hash(b, want);
	cfork_buffer_free(b);
}

/* The child inherits its own fd: freeing the parent's buffer at once does
   not take the bytes away from it. */
Test(buffer, freed_right_after_spawn_still_reaches_child)
{
	cfork_buffer *b = filled(3 << 20);
	uint64_t want = fnv1a(cfork_buffer_data(b), 3 << 20), out[3];
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_spawn(&p, NULL, "buffer_hash", b), 0);
	cfork_buffer_free(b);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "child failed: %s", st.error);
	memcpy(out, st.result, sizeof(out));
	cr_expect_eq(out[1], want);
	cfork_free(p);
}

Test(buffer, mixes_with_other_arguments_and_checks_signature)
{
	cfork_buffer *b = filled(100);

	cr_expect_eq(cfork("buffer_takes_str", b), -EINVAL);
	cr_expect_eq(cfork("buffer_hash", b, 1), -EINVAL);
	cr_expect_not(cfork_buffer_frozen(b),
		      "a refused spawn must not freeze the buffer");
	cr_expect_eq(cfork_runv(NULL, "buffer_hash",
				(cfork_value[]){ cfork_buffer_arg(NULL) }, 1),
		     -EINVAL);
	cfork_buffer_free(b);
}

Test(buffer, bad_sizes_are_refused)
{
	cfork_buffer *b = (cfork_buffer *)0x1;

	cr_expect_eq(cfork_buffer_new(&b, 0), -EINVAL);
	cr_expect_eq(b, (cfork_buffer *)0x1, "output touched on failure");
	cr_expect_eq(cfork_buffer_new(NULL, 10), -EINVAL);
	cr_expect_eq(cfork_buffer_new(&b, CFORK_PAYLOAD_MAX + 1), -E2BIG);
	cfork_buffer_free(NULL);
}

/* Also a buffer over a huge page, whose mapping is placed on a boundary
   inside a larger reservation. Counted after a first call, which maps what
   a process maps once (the page of its process token). */
Test(buffer, nothing_leaks)
{
	cfork_buffer *first = filled(64 << 10);
	expect_hash(first, fnv1a(cfork_buffer_data(first), 64 << 10));
	cfork_buffer_free(first);
	int fds = count_open_fds(), maps = count_mappings();

	for (int i = 0; i < 20; i++) {
		size_t size = i % 2 ? 64 << 10 : (3 << 20) + 1;
		cfork_buffer *b = filled(size);
		expect_hash(b, fnv1a(cfork_buffer_data(b), size));
		cfork_buffer_free(b);
	}
	cr_expect_eq(open_fds_settled(fds), fds);
	cr_expect_eq(count_mappings(), maps);
	cr_expect_not(has_children());
}

struct shared {
	cfork_buffer *b;
	uint64_t want;
	int failures;
};

static void *pass_from_thread(void *arg)
{
	struct shared *s = arg;

	for (int i = 0; i < 10; i++) {
		cfork_proc *p;
		cfork_status st;
		uint64_t out[3];

		if (cfork_spawn(&p, NULL, "buffer_hash", s->b) < 0) {
			__atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (cfork_wait(p, -1, &st) || st.code || st.result_len != sizeof(out) ||
		    (memcpy(out, st.result, sizeof(out)), out[1] != s->want))
			__atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
		cfork_free(p);
	}
	return NULL;
}

/* The first pass freezes under a lock: several threads passing one fresh
   buffer at once all see the same bytes. */
Test(buffer, threads_share_one_buffer)
{
	struct shared s = { filled(256 << 10), 0, 0 };
	pthread_t th[4];

	s.want = fnv1a(cfork_buffer_data(s.b), 256 << 10);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, pass_from_thread, &s);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	cr_expect_eq(s.failures, 0);
	cr_expect(cfork_buffer_frozen(s.b));
	cfork_buffer_free(s.b);
}

static int buffer_pair(const cfork_args *a)
{
	size_t la, lb;
	const unsigned char *x = cfork_arg_bytes(a, 0, &la);
	const unsigned char *y = cfork_arg_bytes(a, 1, &lb);
	uint64_t out[2] = { fnv1a(x, la), fnv1a(y, lb) };

	return cfork_return(out, sizeof(out)) ? 1 : 0;
}
CFORK_REGISTER(buffer_pair, "yy");

/* One buffer in two places of the same call: both views, same bytes. */
Test(buffer, same_buffer_twice_in_one_call)
{
	cfork_buffer *b = filled(64 << 10);
	uint64_t want = fnv1a(cfork_buffer_data(b), 64 << 10), out[2];
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_spawn(&p, NULL, "buffer_pair", b, b), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "child failed: %d %s", st.code,
		  st.error);
	cr_assert_eq(st.result_len, sizeof(out));
	memcpy(out, st.result, sizeof(out));
	cr_expect_eq(out[0], want);
	cr_expect_eq(out[1], want);
	cfork_free(p);
	cfork_buffer_free(b);
}

/* The kib of the mapping that starts at addr that the kernel maps with
   huge-page entries (smaps' ShmemPmdMapped), or -1. */
static long pmd_mapped_kib(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[256], want[32];
	bool inside = false;
	long kib = -1;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (f && kib < 0 && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			inside = true;
		else if (inside)
			sscanf(line, "ShmemPmdMapped: %ld kB", &kib);
	}
	if (f)
		fclose(f);
	return kib;
}

/* Sends back the hash of the buffer and how much of its view the child
   maps with huge-page entries once it has read all of it. */
static int buffer_pmd_mapped(const cfork_args *a)
{
	size_t len;
	const unsigned char *p = cfork_arg_bytes(a, 0, &len);
	int64_t out[2] = { (int64_t)fnv1a(p, len), pmd_mapped_kib(p) };

	return cfork_return(out, sizeof(out)) ? 1 : 0;
}
CFORK_REGISTER(buffer_pmd_mapped, "y");

/* Whether this kernel makes shmem huge pages on request, asked the way the
   madvise(2) page documents it, not through cfork. */
static bool kernel_collapses_shmem(size_t span)
{
	int fd = memfd_create("probe", MFD_CLOEXEC);
	bool ok = false;

	if (fd < 0 || ftruncate(fd, (off_t)span) < 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	char *area = mmap(NULL, 2 * span, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *at = (char *)(((uintptr_t)area + span - 1) & ~(span - 1));
	if (area != MAP_FAILED &&
	    mmap(at, span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0) == at) {
		at[0] = 1;
		/* Collapsed, and mapped whole: some kernels (6.1) leave a
		   collapsed range mapped by 4 KiB entries until it is
		   faulted in again. */
		ok = madvise(at, span, 25 /* MADV_COLLAPSE */) == 0 &&
		     pmd_mapped_kib(at) == (long)(span >> 10);
	}
	if (area != MAP_FAILED)
		munmap(area, 2 * span);
	close(fd);
	return ok;
}

/* The fill and the freeze cost an entry per page mapped: where the kernel
   has shmem huge pages, the buffer is made of them, and both the parent's
   mapping and the child's view map them whole. */
Test(buffer, huge_pages_back_a_big_buffer)
{
	size_t span = (size_t)sysconf(_SC_PAGESIZE) * (size_t)sysconf(_SC_PAGESIZE) / 8;
	size_t size = 4 * span + 4097;
	cfork_buffer *b = filled(size);
	uint64_t want = fnv1a(cfork_buffer_data(b), size);
	cfork_proc *p;
	cfork_status st;
	int64_t out[2];

	if (!kernel_collapses_shmem(span)) {
		/* Still a buffer like any other; the probe said why not. */
		expect_hash(b, want);
		cfork_buffer_free(b);
		cr_skip_test("this kernel makes no shmem huge pages on request, "
			     "or does not map a collapsed range whole (THP "
			     "off, shmem_enabled=deny, no free huge page, "
			     "an older kernel)");
	}
	cr_expect_eq((uintptr_t)cfork_buffer_data(b) % span, 0,
		     "the parent's mapping is not on a huge-page boundary");
	cr_expect_eq(pmd_mapped_kib(cfork_buffer_data(b)), (long)(4 * span >> 10),
		     "the parent maps the buffer with 4 KiB entries");
	cr_assert_eq(cfork_spawn(&p, NULL, "buffer_pmd_mapped", b), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "child failed: %s", st.error);
	cr_assert_eq(st.result_len, sizeof(out));
	memcpy(out, st.result, sizeof(out));
	cr_expect_eq((uint64_t)out[0], want, "the child saw other bytes");
	cr_expect_eq(out[1], (int64_t)(4 * span >> 10),
		     "the child maps the buffer with 4 KiB entries");
	cfork_free(p);
	cfork_buffer_free(b);
}

static long shmem_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Shmem: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static int buffer_touch_one(const cfork_args *a)
{
	size_t len;
	const volatile unsigned char *p = cfork_arg_bytes(a, 0, &len);
	long kib = shmem_kib();

	/* Report the system's shmem while the child holds the mapping. */
	return p[len - 1] == 0 && cfork_return(&kib, sizeof(kib)) == 0 ? 0 : 1;
}
CFORK_REGISTER(buffer_touch_one, "y");

/* A buffer as large as the free memory is not committed up front: it
   stays sparse, in the parent and in the child's mapping. */
Test(buffer, buffer_beyond_free_memory_stays_sparse)
{
	struct sysinfo si;
	cfork_buffer *b;
	cfork_proc *p;
	cfork_status st;
	long before = shmem_kib(), during;

	cr_assert_eq(sysinfo(&si), 0);
	size_t size = (size_t)si.freeram * si.mem_unit + (64 << 20);
	cr_assert_eq(cfork_buffer_new(&b, size), 0);
	((unsigned char *)cfork_buffer_data(b))[0] = 1;
	cr_assert_eq(cfork_spawn(&p, NULL, "buffer_touch_one", b), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "child failed: %s", st.error);
	memcpy(&during, st.result, sizeof(during));
	cr_expect_lt(during - before, 256L << 10,
		     "shmem grew by %ld KiB for a %zu MiB buffer with one page",
		     during - before, size >> 20);
	cfork_free(p);
	cfork_buffer_free(b);
}
