/* SPDX-License-Identifier: MIT */
/*
 * An epoll service: 64 jobs, up to 16 children in flight, each child
 * sending back a few hundred KiB with cfork_return().
 *
 * The loop never blocks on a child: it watches one fd per child
 * (cfork_proc_fd) and, when that fd is readable, calls cfork_wait(p, 0),
 * which reads what the child sent so far and returns at once. A result
 * larger than its channel holds is read while the child writes it, so no
 * child sleeps on a full channel while the loop waits for its exit.
 *
 * Each job's bytes are made from its number, and the parent makes them
 * again to check them. The program exits 0 only if every job checked out.
 */
#include <cfork.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define JOBS 64
#define IN_FLIGHT 16

/* 256 to 480 KiB: every result is more than its channel holds (a
   socket's buffer, 208 KiB by default). */
static size_t job_size(int64_t job)
{
	return (size_t)(256 + (job % 8) * 32) << 10;
}

/* The bytes of a job: xorshift64 from a seed made of its number. */
static void job_fill(int64_t job, unsigned char *buf, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15u * (uint64_t)(job + 1);

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
}

/* The child: computes its block and sends it in 64 KiB pieces, which the
   parent receives as one result. */
static int render(const cfork_args *a)
{
	int64_t job = cfork_arg_i64(a, 0);
	size_t len = job_size(job);
	unsigned char *buf = malloc(len);

	if (!buf)
		return 1;
	job_fill(job, buf, len);
	for (size_t off = 0; off < len; off += 64 << 10) {
		size_t n = len - off < (64 << 10) ? len - off : 64 << 10;
		if (cfork_return(buf + off, n) < 0)
			return 1;
	}
	free(buf);
	return 0;
}
CFORK_REGISTER(render, "i");

struct job {
	int64_t id;
	cfork_proc *proc;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a finished job sent exactly its bytes. */
static bool job_ok(const struct job *j, const cfork_status *st)
{
	size_t len = job_size(j->id);
	unsigned char *want;
	bool ok;

	if (!st->exited || st->code != 0 || st->result_len != len) {
		fprintf(stderr, "job %lld: %s %d, %zu bytes%s%s\n",
			(long long)j->id, st->exited ? "exit" : "signal",
			st->exited ? st->code : st->signal, st->result_len,
			st->error ? ": " : "", st->error ? st->error : "");
		return false;
	}
	want = malloc(len);
	if (!want)
		return false;
	job_fill(j->id, want, len);
	ok = memcmp(want, st->result, len) == 0;
	free(want);
	if (!ok)
		fprintf(stderr, "job %lld: wrong bytes\n", (long long)j->id);
	return ok;
}

/* Starts job id and adds its fd to the loop. */
static int start(int ep, struct job *j, int64_t id)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = j };
	int r, fd;

	j->id = id;
	r = cfork_spawn(&j->proc, NULL, "render", id);
	if (r < 0)
		return r;
	fd = cfork_proc_fd(j->proc);
	if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = fd < 0 ? fd : -errno;
		cfork_free(j->proc);	/* kills and reaps it */
		j->proc = NULL;
	}
	return r;
}

int main(void)
{
	struct job jobs[IN_FLIGHT] = { 0 }, *idle[IN_FLIGHT];
	struct epoll_event events[IN_FLIGHT];
	int64_t next = 0, t0 = now_ms();
	int nidle = IN_FLIGHT, running = 0, done = 0, good = 0;
	size_t bytes = 0;
	int ep, r;

	r = cfork_init();
	if (r < 0) {
		fprintf(stderr, "cfork_init: %s\n", strerror(-r));
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("epoll_create1");
		return 1;
	}
	for (int i = 0; i < IN_FLIGHT; i++)
		idle[i] = &jobs[i];

	while (done < JOBS) {
		/* Fill the free slots. */
		while (nidle && next < JOBS) {
			struct job *j = idle[nidle - 1];
			r = start(ep, j, next);
			if (r < 0) {
				fprintf(stderr, "job %lld: spawn: %s\n",
					(long long)next, strerror(-r));
				done++;		/* counted, not good */
			} else {
				nidle--;
				running++;
			}
			next++;
		}
		if (!running)
			continue;

		int n = epoll_wait(ep, events, IN_FLIGHT, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct job *j = events[i].data.ptr;
			cfork_status st;

			/* One bounded step: -ETIMEDOUT while it runs. */
			r = cfork_wait(j->proc, 0, &st);
			if (r == -ETIMEDOUT)
				continue;
			if (r == 0 && job_ok(j, &st)) {
				good++;
				bytes += st.result_len;
			} else if (r < 0) {
				fprintf(stderr, "job %lld: wait: %s\n",
					(long long)j->id, strerror(-r));
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, cfork_proc_fd(j->proc),
				  NULL);
			cfork_free(j->proc);
			j->proc = NULL;
			idle[nidle++] = j;
			running--;
			done++;
		}
	}
	close(ep);

	printf("epoll_service: %d/%d jobs done, %zu KiB returned, %d in flight "
	       "at most, %lld ms\n", good, JOBS, bytes >> 10, IN_FLIGHT,
	       (long long)(now_ms() - t0));
	return good == JOBS ? 0 : 1;
}
