/* SPDX-License-Identifier: MIT */
/*
 * The child's side: taking the process over from CFORK_FD, refusing every
 * marker that does not lead to a real sealed payload, misuse of the getters,
 * and what the function sends back (stdout, result bytes).
 *
 * The spoofing tests start this very binary with a hand-made environment and
 * "--list": a marker that is refused must end the process before main(), so
 * Criterion's main never gets to list the tests on stdout.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "lib/payload.h"

TestSuite(init, .timeout = TEST_TIMEOUT);

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Exit status of init_marker: distinct from every code cfork uses. */
#define MARKER_RAN 33

/* Leaves a file behind and a line on stdout: proof that it ran. */
static int init_marker(const cfork_args *a)
{
	int fd = open(cfork_arg_str(a, 0), O_WRONLY | O_CREAT | O_EXCL |
		      O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
	printf("init_marker ran\n");
	return MARKER_RAN;
}
CFORK_REGISTER(init_marker, "s");

static int init_bad_getter_str(const cfork_args *a)
{
	(void)cfork_arg_str(a, 0);
	return 0;
}
CFORK_REGISTER(init_bad_getter_str, "i");

static int init_bad_getter_bytes(const cfork_args *a)
{
	size_t n;

	(void)cfork_arg_i64(a, 0);
	(void)cfork_arg_bytes(a, 1, &n);
	return 0;
}
CFORK_REGISTER(init_bad_getter_bytes, "is");

static int init_bad_index(const cfork_args *a)
{
	printf("printed before the misuse\n");
	(void)cfork_arg_i64(a, 3);
	return 0;
}
CFORK_REGISTER(init_bad_index, "i");

/* Reads fd until EOF into a NUL-terminated buffer of cap bytes. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, cap - 1 - len)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			len += (size_t)n;
	buf[len] = '\0';
	return len;
}

/* Spawns name with the n values in v, its stdout and stderr on pipes, and
   waits: *st is its status (the handle *p is still to be freed), out and
   err what it wrote. */
static void spawn_misuse(const char *name, const cfork_value *v, size_t n,
			 cfork_proc **p, cfork_status *st, char *out,
			 char *err, size_t cap)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	int po[2], pe[2];

	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	attr.stdout_fd = po[1];
	attr.stderr_fd = pe[1];
	cr_assert_eq(cfork_spawnv(p, &attr, name, v, n), 0);
	close(po[1]);
	close(pe[1]);
	cr_assert_eq(cfork_wait(*p, -1, st), 0);
	read_all(po[0], out, cap);
	read_all(pe[0], err, cap);
	close(po[0]);
	close(pe[0]);
}

Test(init, wrong_getter_type_ends_child_with_usage)
{
	char out[1024], err[1024];
	cfork_proc *p;
	cfork_status st;
	int fds = count_open_fds();

	spawn_misuse("init_bad_getter_str", (cfork_value[]){ cfork_i64(5) }, 1,
		     &p, &st, out, err, sizeof(out));
	cr_assert(st.exited);
	cr_assert_eq(st.code, CFORK_EXIT_USAGE);
	cr_assert_not_null(st.error);
	cr_assert(strstr(st.error, "init_bad_getter_str"), "error: %s", st.error);
	cr_assert(strstr(st.error, "cfork_arg_str(0)"), "error: %s", st.error);
	cr_assert(strstr(st.error, "argument 0 is i64, not str"),
		  "error: %s", st.error);
	cr_assert_null(st.result);
	/* The same text, as one line on the child's stderr. */
	cr_assert(!strncmp(err, "cfork: ", 7), "stderr: %s", err);
	cr_assert(strstr(err, st.error), "stderr: %s", err);
	cr_assert_str_empty(out);
	cfork_free(p);
	cr_assert(!has_children());
	assert_open_fds_settle_to(fds);
}

/* The getters return the value itself, so a misuse cannot be an error
   code: outside a child too (NULL args: no arguments exist there), it
   ends the process that made it, as documented, and says why. */
Test(init, a_getter_misused_outside_a_child_ends_that_process_with_usage)
{
	char err[256] = "";
	int pe[2], status;

	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pe[1], 2);
		(void)cfork_arg_i64(NULL, 0);
		_exit(0);
	}
	close(pe[1]);
	read_all(pe[0], err, sizeof(err));
	close(pe[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == CFORK_EXIT_USAGE,
		  "status %#x", status);
	cr_assert(strstr(err, "cfork_arg_i64(): args is NULL"), "stderr: %s",
		  err);
}

Test(init, wrong_getter_names_second_argument)
{
	char out[1024], err[1024];
	cfork_proc *p;
	cfork_status st;

	spawn_misuse("init_bad_getter_bytes",
		     (cfork_value[]){ cfork_i64(1), cfork_str("x") }, 2, &p, &st,
		     out, err, sizeof(out));
	cr_assert(st.exited && st.code == CFORK_EXIT_USAGE, "code %d", st.code);
	cr_assert_not_null(st.error);
	cr_assert(strstr(st.error, "init_bad_getter_bytes"), "error: %s",
		  st.error);
	cr_assert(strstr(st.error, "argument 1 is str, not bytes"),
		  "error: %s", st.error);
	cfork_free(p);
}

Test(init, index_out_of_range_ends_child_with_usage)
{
	char out[1024], err[1024];
	cfork_proc *p;
	cfork_status st;

	spawn_misuse("init_bad_index", (cfork_value[]){ cfork_i64(5) }, 1, &p,
		     &st, out, err, sizeof(out));
	cr_assert(st.exited && st.code == CFORK_EXIT_USAGE, "code %d", st.code);
	cr_assert_not_null(st.error);
	cr_assert(strstr(st.error, "init_bad_index"), "error: %s", st.error);
	cr_assert(strstr(st.error, "cfork_arg_i64(3)"), "error: %s", st.error);
	cr_assert(strstr(st.error, "only 1 argument"), "error: %s", st.error);
	cr_assert(!strncmp(err, "cfork: ", 7), "stderr: %s", err);
	/* What the function printed before its mistake is not lost. */
	cr_assert_str_eq(out, "printed before the misuse\n");
	cfork_free(p);
}

/* Bit 0: CFORK_FD visible, bit 1: BXFI_MAP visible, bit 2: either one
   still in environ by a route getenv() would not show. */
static int init_env_probe(const cfork_args *a)
{
	int seen = 0;

	(void)a;
	if (getenv("CFORK_FD"))
		seen |= 1;
	if (getenv("BXFI_MAP"))
		seen |= 2;
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, "CFORK_FD", 8) || !strncmp(*e, "BXFI_MAP", 8))
			seen |= 4;
	return seen;
}
CFORK_REGISTER(init_env_probe, "");

Test(init, markers_absent_from_child_environment)
{
	cfork_proc *p;
	cfork_status st;

	/* Without BXFI_MAP here the test would prove nothing. */
	cr_assert_not_null(getenv("BXFI_MAP"),
			   "not running in a Criterion worker");
	cr_assert_eq(cfork_spawn(&p, NULL, "init_env_probe"), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited);
	cr_assert_eq(st.code, 0, "child saw markers: %#x", st.code);
	cr_assert_null(st.error);
	cr_assert_null(st.result);
	cr_assert_eq(st.result_len, 0);
	cfork_free(p);
	/* Stripped from the child's copy, not from ours. */
	cr_assert_not_null(getenv("BXFI_MAP"));
	cr_assert_null(getenv("CFORK_FD"));
}

/* No newline and no fflush: only the library's flush at exit gets the
   text out of a fully buffered pipe. */
static int init_print(const cfork_args *a)
{
	printf("to stdout, %s", cfork_arg_str(a, 0));
	fprintf(stderr, "to stderr");
	return 0;
}
CFORK_REGISTER(init_print, "s");

Test(init, stdout_flushed_when_function_returns)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	char out[256], err[256];
	cfork_proc *p;
	cfork_status st;
	int po[2], pe[2], fds = count_open_fds();

	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	attr.stdout_fd = po[1];
	attr.stderr_fd = pe[1];
	cr_assert_eq(cfork_spawn(&p, &attr, "init_print", "unterminated"), 0);
	close(po[1]);
	close(pe[1]);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "code %d", st.code);
	cfork_free(p);
	read_all(po[0], out, sizeof(out));
	read_all(pe[0], err, sizeof(err));
	cr_assert_str_eq(out, "to stdout, unterminated");
	cr_assert_str_eq(err, "to stderr");
	close(po[0]);
	close(pe[0]);
	assert_open_fds_settle_to(fds);
}

/* A function that calls exit() ends its child as a return does: its own
   atexit handlers run and stdio is flushed, but not the host program's
   destructors (a test runner's, here this file's). */
static volatile bool exiting_child;

__attribute__((destructor)) static void init_host_destructor(void)
{
	static const char text[] = "host destructor";

	if (exiting_child)
		(void)!write(2, text, sizeof(text) - 1);
}

static void init_own_handler(void)
{
	printf(", own handler");
}

static int init_exit(const cfork_args *a)
{
	exiting_child = true;
	atexit(init_own_handler);
	printf("unterminated");
	exit((int)cfork_arg_i64(a, 0));
}
CFORK_REGISTER(init_exit, "i");

Test(init, exit_from_the_function_ends_the_child_as_a_return_does)
{
	cfork_attr attr = CFORK_ATTR_INIT;
	cfork_status st;
	cfork_proc *p;

	attr.capture = CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR;
	cr_assert_eq(cfork_spawn(&p, &attr, "init_exit", 42), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 42, "exited %d code %d signal %d",
		  st.exited, st.code, st.signal);
	cr_assert_null(st.error);
	cr_assert_str_eq(st.out, "unterminated, own handler");
	cr_assert_str_eq(st.err, "", "stderr: %s", st.err);
	cfork_free(p);
}

/* A thread of the function blocked reading stdin holds stdin's lock: the
   child's end flushes stdio as exit() does, without waiting for it. */
static void *init_read_stdin(void *unused)
{
	char line[64];

	(void)unused;
	return fgets(line, sizeof(line), stdin);
}

static int init_end_while_reading(const cfork_args *a)
{
	pthread_t t;

	if (pthread_create(&t, NULL, init_read_stdin, NULL))
		return 1;
	usleep(50 * 1000);	/* in fgets(), holding the lock */
	printf("unterminated");
	if (cfork_arg_bool(a, 0))
		exit(3);
	return 3;
}
CFORK_REGISTER(init_end_while_reading, "b");

Test(init, a_thread_blocked_on_stdin_does_not_hold_up_the_end)
{
	for (int by_exit = 0; by_exit < 2; by_exit++) {
		cfork_attr attr = CFORK_ATTR_INIT;
		cfork_status st;
		cfork_proc *p;
		int in[2];

		cr_assert_eq(pipe2(in, O_CLOEXEC), 0);	/* nothing comes */
		attr.stdin_fd = in[0];
		attr.capture = CFORK_CAPTURE_STDOUT;
		cr_assert_eq(cfork_spawn(&p, &attr, "init_end_while_reading",
					 (bool)by_exit), 0);
		int r = cfork_wait(p, 10000, &st);
		if (r)
			cfork_free(p);	/* kills the hung child */
		cr_assert_eq(r, 0, "by %s: %s", by_exit ? "exit" : "return",
			     strerror(-r));
		cr_assert(st.exited && st.code == 3, "code %d signal %d",
			  st.code, st.signal);
		cr_assert_str_eq(st.out, "unterminated");
		cfork_free(p);
		close(in[0]);
		close(in[1]);
	}
}

Test(init, return_outside_child_not_connected)
{
	cr_assert_eq(cfork_return("x", 1), -ENOTCONN);
	cr_assert_eq(cfork_return(NULL, 0), -ENOTCONN);
	cr_assert_eq(cfork_return(NULL, 1), -EINVAL);
	/* A parent's init is a no-op, as often as it is called. */
	cr_assert_eq(cfork_init(), 0);
	cr_assert_eq(cfork_init(), 0);
	cr_assert_eq(cfork_return("x", 1), -ENOTCONN);
}

/* Bit i set: call i did not return what it should. */
static int init_results(const cfork_args *a)
{
	int bad = 0;

	(void)a;
	bad |= (cfork_return("ab", 2) != 0) << 0;
	bad |= (cfork_return(NULL, 0) != 0) << 1;
	bad |= (cfork_return("", 0) != 0) << 2;
	bad |= (cfork_return(NULL, 3) != -EINVAL) << 3;
	bad |= (cfork_return("cde", 3) != 0) << 4;
	bad |= (cfork_return("\0f", 2) != 0) << 5;
	return bad;
}
CFORK_REGISTER(init_results, NULL);

Test(init, results_of_several_returns_concatenate)
{
	cfork_proc *p;
	cfork_status st;

	cr_assert_eq(cfork_spawn(&p, NULL, "init_results"), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited);
	cr_assert_eq(st.code, 0, "failed calls: %#x", st.code);
	cr_assert_null(st.error);
	cr_assert_eq(st.result_len, 7);
	cr_assert_arr_eq(st.result, "abcde\0f", 7);
	cfork_free(p);
}

#define BIG_RESULT ((size_t)1 << 20)

static void fill_pattern(unsigned char *b, size_t n)
{
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (unsigned char)x;
	}
}

static int init_big_result(const cfork_args *a)
{
	unsigned char *b = malloc(BIG_RESULT);

	(void)a;
	if (!b)
		return 90;
	fill_pattern(b, BIG_RESULT);
	int r = cfork_return(b, BIG_RESULT);
	free(b);
	if (r)
		return 91;
	return cfork_return("end", 3) ? 92 : 0;
}
CFORK_REGISTER(init_big_result, "");

Test(init, result_larger_than_pipe_arrives_intact)
{
	unsigned char *want = malloc(BIG_RESULT + 3);
	cfork_proc *p;
	cfork_status st;

	cr_assert_not_null(want);
	fill_pattern(want, BIG_RESULT);
	memcpy(want + BIG_RESULT, "end", 3);
	cr_assert_eq(cfork_spawn(&p, NULL, "init_big_result"), 0);
	cr_assert_eq(cfork_wait(p, -1, &st), 0);
	cr_assert(st.exited && st.code == 0, "code %d", st.code);
	cr_assert_null(st.error);
	cr_assert_eq(st.result_len, BIG_RESULT + 3);
	cr_assert(!memcmp(st.result, want, BIG_RESULT + 3),
		  "result bytes differ");
	cfork_free(p);
	free(want);
	cr_assert(!has_children());
}

/* ------------------------------------------------------------------------ */
/* Spoofed markers                                                           */
/* ------------------------------------------------------------------------ */

/* Where the started process finds what it is handed: the marker's fd and
   a report channel. Nothing else above stderr is open there. */
#define SPOOF_FD 3
#define SPOOF_REPORT_FD 4
#define CAP 65536

struct outcome {
	int status;
	char out[CAP];
	char err[CAP];
};

static void read_some(int fd, char *buf, size_t *len, bool *eof)
{
	ssize_t n = read(fd, buf + *len, CAP - 1 - *len);

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		*eof = true;
		return;
	}
	*len += (size_t)n;
	buf[*len] = '\0';
	cr_assert(*len < CAP - 1, "too much output: %.200s", buf);
}

/*
 * Starts this binary as "cfork-tests --list" with an environment of only
 * CFORK_FD=marker (none if marker is NULL), fd (if >= 0) as SPOOF_FD and
 * report (if >= 0) as SPOOF_REPORT_FD.
 */
static void run_self(const char *marker, int fd, int report, struct outcome *o)
{
	char var[128];
	char *envp[2] = { NULL, NULL };
	char *argv[] = { "cfork-tests", "--list", NULL };
	posix_spawn_file_actions_t fa;
	int po[2], pe[2];
	size_t lo = 0, le = 0;
	bool eo = false, ee = false;
	pid_t pid;

	if (marker) {
		snprintf(var, sizeof(var), "CFORK_FD=%s", marker);
		envp[0] = var;
	}
	o->out[0] = o->err[0] = '\0';
	cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	/* Parked high first, so that no source is overwritten by another's
	   target. */
	if (fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, fd, 200);
	if (report >= 0)
		posix_spawn_file_actions_adddup2(&fa, report, 201);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	if (fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, 200, SPOOF_FD);
	else
		posix_spawn_file_actions_addclose(&fa, SPOOF_FD);
	if (report >= 0)
		posix_spawn_file_actions_adddup2(&fa, 201, SPOOF_REPORT_FD);
	else
		posix_spawn_file_actions_addclose(&fa, SPOOF_REPORT_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, SPOOF_REPORT_FD + 1);
	cr_assert_eq(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp),
		     0);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	while (!eo || !ee) {
		struct pollfd p[2] = { { eo ? -1 : po[0], POLLIN, 0 },
				       { ee ? -1 : pe[0], POLLIN, 0 } };

		cr_assert(poll(p, 2, -1) > 0);
		if (p[0].revents)
			read_some(po[0], o->out, &lo, &eo);
		if (p[1].revents)
			read_some(pe[0], o->err, &le, &ee);
	}
	close(po[0]);
	close(pe[0]);
	cr_assert_eq(waitpid(pid, &o->status, 0), pid);
}

/* The process was refused before main() and before any function: the
   documented code, one "cfork: " line naming why, nothing on stdout. */
static void assert_refused(const struct outcome *o, int code,
			   const char *reason, const char *what)
{
	cr_assert(WIFEXITED(o->status), "%s: status %#x", what, o->status);
	cr_assert_eq(WEXITSTATUS(o->status), code, "%s: exit %d, stderr: %s",
		     what, WEXITSTATUS(o->status), o->err);
	cr_assert_str_empty(o->out, "%s: main() or the function ran: %.200s",
			    what, o->out);
	cr_assert(!strncmp(o->err, "cfork: ", 7), "%s: stderr: %s", what,
		  o->err);
	cr_assert(strstr(o->err, reason), "%s: stderr lacks \"%s\": %s", what,
		  reason, o->err);
	cr_assert(strchr(o->err, '\n') == o->err + strlen(o->err) - 1,
		  "%s: not one line: %s", what, o->err);
}

/* A scratch directory for marker files, removed at the end. */
struct scratch {
	char dir[64];
	char marker[96];
};

static void scratch_init(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/cfork-init-XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir));
	snprintf(s->marker, sizeof(s->marker), "%s/ran", s->dir);
}

static bool scratch_marker_exists(const struct scratch *s)
{
	return access(s->marker, F_OK) == 0;
}

static void scratch_fini(struct scratch *s)
{
	unlink(s->marker);
	rmdir(s->dir);
}

/* The bytes of a real payload for name, with SPOOF_REPORT_FD as its report
   channel; *len gets the size. */
static unsigned char *payload_bytes(const char *name, bool is_static,
				    const cfork_value *v, size_t n, size_t *len)
{
	struct payload_out w;
	size_t off = 0;

	cr_assert_eq(wire_encode(&w, name, is_static, SPOOF_REPORT_FD, 0, v, n),
		     0);
	unsigned char *b = malloc(w.size);
	cr_assert_not_null(b);
	for (size_t i = 0; i < w.niov; i++) {
		memcpy(b + off, w.iov[i].iov_base, w.iov[i].iov_len);
		off += w.iov[i].iov_len;
	}
	*len = w.size;
	payload_out_release(&w);
	return b;
}

/* A payload that would run init_marker: what each refusal must not do. */
static unsigned char *marker_payload(const struct scratch *s, size_t *len)
{
	return payload_bytes("init_marker", true,
			     (cfork_value[]){ cfork_str(s->marker) }, 1, len);
}

static void write_all(int fd, const void *b, size_t len)
{
	cr_assert_eq(write(fd, b, len), (ssize_t)len);
}

#define SEALS_ALL (F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)

/* A memfd holding len bytes of b, then sealed with seals. Inheritable:
   the started process must find it open. */
static int memfd_with(const void *b, size_t len, int seals)
{
	int fd = memfd_create("init-spoof", MFD_ALLOW_SEALING);

	cr_assert_geq(fd, 0);
	if (len)
		write_all(fd, b, len);
	if (seals)
		cr_assert_eq(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

Test(init, spoof_harness_detects_main)
{
	struct outcome *o = malloc(sizeof(*o));

	/* Without a marker, main() runs and lists the tests: the check every
	   refusal below relies on can see it. */
	run_self(NULL, -1, -1, o);
	cr_assert(WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0,
		  "status %#x, stderr: %s", o->status, o->err);
	cr_assert(strstr(o->out, "spoof_harness_detects_main"), "stdout: %s",
		  o->out);
	free(o);
}

Test(init, spoof_harness_detects_function)
{
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int rp[2];

	scratch_init(&s);
	unsigned char *b = marker_payload(&s, &len);
	int fd = memfd_with(b, len, SEALS_ALL);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	/* A well-formed marker: the function runs, main() does not. */
	run_self("3", fd, rp[1], o);
	cr_assert(WIFEXITED(o->status), "status %#x", o->status);
	cr_assert_eq(WEXITSTATUS(o->status), MARKER_RAN, "exit %d, stderr: %s",
		     WEXITSTATUS(o->status), o->err);
	cr_assert_str_eq(o->out, "init_marker ran\n");
	cr_assert_str_empty(o->err);
	cr_assert(scratch_marker_exists(&s));
	close(fd);
	close(rp[0]);
	close(rp[1]);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_garbage_text_refused)
{
	static const char *const garbage[] = {
		"abc", "", "-1", "99999999999", "3x", " 3", "+3", "0x3", "3 ",
		"18446744073709551619",
	};
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int rp[2];

	scratch_init(&s);
	unsigned char *b = marker_payload(&s, &len);
	int fd = memfd_with(b, len, SEALS_ALL);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	/* A valid payload waits at fd 3: a lax parser that read any of these
	   as 3 would run the function. */
	for (size_t i = 0; i < COUNT(garbage); i++) {
		run_self(garbage[i], fd, rp[1], o);
		assert_refused(o, CFORK_EXIT_PAYLOAD, "not an fd number",
			       garbage[i]);
		cr_assert(!scratch_marker_exists(&s), "\"%s\" ran it",
			  garbage[i]);
	}
	close(fd);
	close(rp[0]);
	close(rp[1]);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_closed_fd_refused)
{
	struct outcome *o = malloc(sizeof(*o));

	run_self("7", -1, -1, o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "CFORK_FD=7", "closed fd");
	cr_assert(strstr(o->err, "not an open fd"), "stderr: %s", o->err);
	run_self("3", -1, -1, o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "not an open fd", "closed fd 3");
	free(o);
}

/* A pool's or a fork server's marker naming a file, not the parent's
   socket: refused at once, never a process waiting for a call. */
Test(init, spoofed_pool_and_server_markers_on_a_file_refused)
{
	static const char *const markers[] = { "p3", "s3", "s3n", "s3r7" };
	struct outcome *o = malloc(sizeof(*o));
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		run_self(markers[i], fd, -1, o);
		assert_refused(o, CFORK_EXIT_PAYLOAD, "not from the parent",
			       markers[i]);
	}
	close(fd);
	free(o);
}

Test(init, spoofed_marker_regular_file_refused)
{
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	char path[128];
	size_t len;
	int rp[2];

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/payload", s.dir);
	unsigned char *b = marker_payload(&s, &len);
	/* The right bytes in the wrong kind of file. */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	write_all(fd, b, len);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	run_self("3", fd, rp[1], o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "not a memfd", "regular file");
	cr_assert(!scratch_marker_exists(&s));
	close(fd);
	close(rp[0]);
	close(rp[1]);
	unlink(path);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_pipe_refused)
{
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int pp[2], rp[2];

	scratch_init(&s);
	unsigned char *b = marker_payload(&s, &len);
	cr_assert_eq(pipe(pp), 0);
	write_all(pp[1], b, len);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	run_self("3", pp[0], rp[1], o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "not a memfd", "pipe");
	cr_assert(!scratch_marker_exists(&s));
	close(pp[0]);
	close(pp[1]);
	close(rp[0]);
	close(rp[1]);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_unsealed_memfd_refused)
{
	/* Each set lacks at least one of the four seals. */
	static const int partial[] = {
		0,
		F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK,
		F_SEAL_SEAL | F_SEAL_WRITE,
		F_SEAL_SEAL | F_SEAL_GROW | F_SEAL_SHRINK,
		F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW,
	};
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int rp[2];

	scratch_init(&s);
	unsigned char *b = marker_payload(&s, &len);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	for (size_t i = 0; i < COUNT(partial); i++) {
		char what[32];
		int fd = memfd_with(b, len, partial[i]);

		snprintf(what, sizeof(what), "seals %#x", partial[i]);
		run_self("3", fd, rp[1], o);
		assert_refused(o, CFORK_EXIT_PAYLOAD, "not sealed", what);
		cr_assert(!scratch_marker_exists(&s), "%s: it ran", what);
		close(fd);
	}
	/* A memfd that cannot take seals at all. */
	int fd = memfd_create("init-spoof", 0);
	cr_assert_geq(fd, 0);
	write_all(fd, b, len);
	run_self("3", fd, rp[1], o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "not sealed", "no sealing");
	cr_assert(!scratch_marker_exists(&s));
	close(fd);
	close(rp[0]);
	close(rp[1]);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_truncated_payload_refused)
{
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int rp[2];

	scratch_init(&s);
	unsigned char *b = marker_payload(&s, &len);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	const size_t cut[] = { len - 8, len - 1, len / 2, 16 };
	for (size_t i = 0; i < COUNT(cut); i++) {
		char what[32];
		int fd = memfd_with(b, cut[i], SEALS_ALL);

		snprintf(what, sizeof(what), "%zu of %zu bytes", cut[i], len);
		run_self("3", fd, rp[1], o);
		assert_refused(o, CFORK_EXIT_PAYLOAD, "CFORK_FD=3: ", what);
		cr_assert(strstr(o->err, "size") || strstr(o->err, "short"),
			  "%s: stderr: %s", what, o->err);
		cr_assert(!scratch_marker_exists(&s), "%s: it ran", what);
		close(fd);
	}
	/* Nothing at all. */
	int fd = memfd_with(NULL, 0, SEALS_ALL);
	run_self("3", fd, rp[1], o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "CFORK_FD=3: ", "empty");
	close(fd);
	close(rp[0]);
	close(rp[1]);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_bad_header_refused)
{
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int rp[2];

	scratch_init(&s);
	unsigned char *b = marker_payload(&s, &len);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	b[1] ^= 0x20;	/* "cfork" -> "Cfork" */
	int fd = memfd_with(b, len, SEALS_ALL);
	run_self("3", fd, rp[1], o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "magic", "bad magic");
	cr_assert(!scratch_marker_exists(&s));
	close(fd);
	b[1] ^= 0x20;
	b[8] = 0x7f;	/* the version */
	fd = memfd_with(b, len, SEALS_ALL);
	run_self("3", fd, rp[1], o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "version", "bad version");
	cr_assert(!scratch_marker_exists(&s));
	close(fd);
	close(rp[0]);
	close(rp[1]);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_report_channel_must_be_a_socket)
{
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int pp[2];

	scratch_init(&s);
	unsigned char *b = marker_payload(&s, &len);
	int fd = memfd_with(b, len, SEALS_ALL);
	/* The payload names fd 4 as its channel: not open, then a file,
	   then a pipe (whose lock a writer could hold its reader by). */
	run_self("3", fd, -1, o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "report channel", "no channel");
	cr_assert(!scratch_marker_exists(&s));
	run_self("3", fd, fd, o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "report channel", "memfd channel");
	cr_assert(!scratch_marker_exists(&s));
	cr_assert_eq(pipe(pp), 0);
	run_self("3", fd, pp[1], o);
	assert_refused(o, CFORK_EXIT_PAYLOAD, "report channel", "pipe channel");
	cr_assert(!scratch_marker_exists(&s));
	close(pp[0]);
	close(pp[1]);
	close(fd);
	free(b);
	scratch_fini(&s);
	free(o);
}

Test(init, spoofed_marker_unknown_function_refused)
{
	struct outcome *o = malloc(sizeof(*o));
	char report[1024];
	size_t len;
	int rp[2];

	unsigned char *b = payload_bytes("init_not_registered", true,
					 (cfork_value[]){ cfork_i64(1) }, 1,
					 &len);
	int fd = memfd_with(b, len, SEALS_ALL);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	run_self("3", fd, rp[1], o);
	close(rp[1]);
	assert_refused(o, CFORK_EXIT_UNKNOWN, "init_not_registered",
		       "unknown name");
	cr_assert(strstr(o->err, "no function is registered"), "stderr: %s",
		  o->err);
	/* The channel was valid: the reason went to the "parent" too. */
	size_t n = read_all(rp[0], report, sizeof(report));
	cr_assert_gt(n, 8);
	cr_assert(memmem(report, n, "init_not_registered", 19),
		  "nothing on the report channel");
	close(rp[0]);
	close(fd);
	free(b);
	free(o);
}

Test(init, spoofed_marker_signature_mismatch_refused)
{
	struct outcome *o = malloc(sizeof(*o));
	struct scratch s;
	size_t len;
	int rp[2];

	scratch_init(&s);
	/* init_marker takes "s"; the parent's check is bypassed here, so the
	   child must check again. */
	unsigned char *b = payload_bytes("init_marker", true,
					 (cfork_value[]){ cfork_i64(1) }, 1,
					 &len);
	int fd = memfd_with(b, len, SEALS_ALL);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, rp), 0);
	run_self("3", fd, rp[1], o);
	assert_refused(o, CFORK_EXIT_UNKNOWN, "signature", "i64 for str");
	close(fd);
	free(b);
	b = payload_bytes("init_marker", true,
			  (cfork_value[]){ cfork_str(s.marker), cfork_i64(1) },
			  2, &len);
	fd = memfd_with(b, len, SEALS_ALL);
	run_self("3", fd, rp[1], o);
	assert_refused(o, CFORK_EXIT_UNKNOWN, "signature", "one too many");
	cr_assert(!scratch_marker_exists(&s));
	close(fd);
	close(rp[0]);
	close(rp[1]);
	free(b);
	scratch_fini(&s);
	free(o);
}
