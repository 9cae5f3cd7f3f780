/* SPDX-License-Identifier: MIT */
/*
 * The epoll service of epoll_service.c on libuv: 64 jobs, up to 16
 * children in flight, each sending back a few hundred KiB.
 *
 * Each child's cfork_proc_fd() is watched with a uv_poll_t. When it is
 * readable the callback calls cfork_wait(p, 0), which reads what the child
 * sent so far and returns at once: -ETIMEDOUT while the child runs, 0 with
 * its status once it has ended. Nothing in a callback blocks.
 *
 * Build: cc libuv_service.c $(pkg-config --cflags --libs cfork libuv)
 * (Debian: libuv1-dev). The program exits 0 only if every job checked out.
 */
#include <cfork.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

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

/* The child: computes its block and sends it in 64 KiB pieces. */
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
	uv_poll_t poll;		/* first: the handle's data is the job */
	int64_t id;
	cfork_proc *proc;
};

static struct {
	uv_loop_t *loop;
	int64_t next;
	int running, good;
	size_t bytes;
} svc;

static void start_more(void);

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

/* libuv is done with the handle: now the fd may go, with the child. */
static void on_closed(uv_handle_t *h)
{
	struct job *j = h->data;

	cfork_free(j->proc);
	free(j);
	svc.running--;
	start_more();
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct job *j = h->data;
	cfork_status st;
	int r;

	(void)events;
	if (status < 0) {
		fprintf(stderr, "job %lld: poll: %s\n", (long long)j->id,
			uv_strerror(status));
	} else {
		/* One bounded step: -ETIMEDOUT while it runs. */
		r = cfork_wait(j->proc, 0, &st);
		if (r == -ETIMEDOUT)
			return;
		if (r == 0 && job_ok(j, &st)) {
			svc.good++;
			svc.bytes += st.result_len;
		} else if (r < 0) {
			fprintf(stderr, "job %lld: wait: %s\n",
				(long long)j->id, strerror(-r));
		}
	}
	uv_poll_stop(h);
	uv_close((uv_handle_t *)h, on_closed);
}

/* Starts job id and watches its fd; a job that got as far as a uv_poll_t
   ends in on_closed() whatever happens. */
static int start(int64_t id)
{
	struct job *j = calloc(1, sizeof(*j));
	int r, fd;

	if (!j)
		return -ENOMEM;
	j->id = id;
	r = cfork_spawn(&j->proc, NULL, "render", id);
	if (r < 0) {
		free(j);
		return r;
	}
	fd = cfork_proc_fd(j->proc);
	r = fd < 0 ? fd : uv_poll_init(svc.loop, &j->poll, fd);
	if (r < 0) {
		cfork_free(j->proc);	/* kills and reaps it */
		free(j);
		return r;
	}
	j->poll.data = j;
	svc.running++;
	r = uv_poll_start(&j->poll, UV_READABLE, on_readable);
	if (r < 0) {
		fprintf(stderr, "job %lld: uv_poll_start: %s\n",
			(long long)id, uv_strerror(r));
		uv_close((uv_handle_t *)&j->poll, on_closed);
	}
	return 0;
}

static void start_more(void)
{
	while (svc.running < IN_FLIGHT && svc.next < JOBS) {
		int64_t id = svc.next++;
		int r = start(id);

		/* libuv's errors are negative errnos too. */
		if (r < 0)
			fprintf(stderr, "job %lld: start: %s\n",
				(long long)id, strerror(-r));
	}
}

int main(void)
{
	uint64_t t0;
	int r = cfork_init();

	if (r < 0) {
		fprintf(stderr, "cfork_init: %s\n", strerror(-r));
		return 1;
	}
	svc.loop = uv_default_loop();
	t0 = uv_hrtime();
	start_more();
	r = uv_run(svc.loop, UV_RUN_DEFAULT);
	printf("libuv_service: %d/%d jobs done, %zu KiB returned, %d in flight "
	       "at most, %llu ms\n", svc.good, JOBS, svc.bytes >> 10,
	       IN_FLIGHT, (unsigned long long)((uv_hrtime() - t0) / 1000000));
	uv_loop_close(svc.loop);
	return svc.good == JOBS && r == 0 ? 0 : 1;
}
