/* SPDX-License-Identifier: MIT */
/*
 * A privileged program that uses cfork: tests/escape.c installs a copy
 * setuid root, setgid root or with a file capability and runs it as an
 * unprivileged user. Its child inherits euid != uid (or the capability), so
 * the kernel runs it with AT_SECURE; it must still run its function, and
 * never main() again. An unprivileged user must not be able to make it run a
 * function with a payload of their own.
 *
 *   escape_suid
 *	run escape_suid_fn through cfork and print "code C euid U egid G
 *	capeff X": the function returns 7 and sends back the child's euid,
 *	egid and effective capabilities
 *   escape_suid attack TARGET MARKER FDVALUE
 *	as an attacker: build a valid, sealed payload naming escape_suid_fn
 *	with MARKER as its argument (the function creates that file when it
 *	runs), make it stdin, and exec TARGET with CFORK_FD=FDVALUE
 *
 * Every main() but the attacker's, whatever its arguments, first appends
 * "main PID" to the file named by ESCAPE_SUID_LOG. ESCAPE_SUID_DEPTH counts
 * the main()s of one chain: past 3 the program stops with 99 rather than
 * spawn again, so that a chain ends.
 */
#include <cfork.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../lib/payload.h"

/*
 * Under ASan (make check-asan): the leak check cannot stop the world of a
 * set-id process, which is not dumpable, and the runtime cannot read
 * ASAN_OPTIONS there either (it reads /proc/self/environ): off, in this
 * program only. Never called without ASan.
 */
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
	return "detect_leaks=0:handle_segv=0";
}

struct escape_suid_result {
	uint32_t euid, egid;
	uint64_t capeff;
};

static int escape_suid_fn(const cfork_args *a)
{
	const char *marker = cfork_arg_str(a, 0);
	struct __user_cap_header_struct hdr = {
		_LINUX_CAPABILITY_VERSION_3, 0
	};
	struct __user_cap_data_struct data[2] = { { 0 } };
	struct escape_suid_result res;

	if (marker[0]) {
		int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}
	syscall(SYS_capget, &hdr, data);
	res.euid = (uint32_t)geteuid();
	res.egid = (uint32_t)getegid();
	res.capeff = data[0].effective | (uint64_t)data[1].effective << 32;
	cfork_return(&res, sizeof(res));
	return 7;
}
CFORK_REGISTER(escape_suid_fn, "s");

static int attack(char *target, const char *marker, const char *fdvalue)
{
	cfork_value v = cfork_str(marker);
	struct payload_out w;
	int report[2], fd, r;

	if (pipe(report) < 0)
		return 2;
	fd = memfd_create("escape", MFD_ALLOW_SEALING);
	if (fd < 0)
		return 3;
	/* The report channel is a pipe the attacker owns. */
	r = wire_encode(&w, "escape_suid_fn", true, report[1], 0, &v, 1);
	if (r < 0) {
		fprintf(stderr, "wire_encode: %s\n", strerror(-r));
		return 4;
	}
	if (writev(fd, w.iov, (int)w.niov) != (ssize_t)w.size)
		return 5;
	payload_out_release(&w);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_GROW |
		  F_SEAL_SHRINK) < 0)
		return 6;
	if (dup2(fd, 0) < 0)
		return 7;
	close(fd);
	if (setenv("CFORK_FD", fdvalue, 1) < 0)
		return 8;
	execv(target, (char *[]){ target, NULL });
	fprintf(stderr, "exec %s: %s\n", target, strerror(errno));
	return 9;
}

int main(int argc, char **argv)
{
	const char *depth_env = getenv("ESCAPE_SUID_DEPTH");
	int depth = depth_env ? atoi(depth_env) : 0;
	char depth_text[16];
	cfork_status st;
	cfork_proc *p;
	int r;

	if (argc == 5 && !strcmp(argv[1], "attack"))
		return attack(argv[2], argv[3], argv[4]);

	/* Every main() leaves its mark, child or not, before anything can
	   stop it. */
	const char *log_path = getenv("ESCAPE_SUID_LOG");
	int log = log_path ? open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC) :
			     -1;
	if (log >= 0) {
		dprintf(log, "main %d\n", (int)getpid());
		close(log);
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s | %s attack TARGET MARKER FDVALUE\n",
			argv[0], argv[0]);
		return 2;
	}
	if (depth >= 3) {
		printf("too deep\n");
		return 99;
	}
	snprintf(depth_text, sizeof(depth_text), "%d", depth + 1);
	setenv("ESCAPE_SUID_DEPTH", depth_text, 1);
	alarm(30);

	r = cfork_init();
	if (r < 0) {
		printf("init %s\n", strerror(-r));
		return 3;
	}
	fflush(stdout);
	r = cfork_spawn(&p, NULL, "escape_suid_fn", "");
	if (r < 0) {
		printf("spawn %s\n", strerror(-r));
		return 4;
	}
	r = cfork_wait(p, 20000, &st);
	if (r < 0) {
		printf("wait %s\n", strerror(-r));
		cfork_free(p);
		return 5;
	}
	if (st.exited && st.result_len == sizeof(struct escape_suid_result)) {
		struct escape_suid_result res;

		memcpy(&res, st.result, sizeof(res));
		printf("code %d euid %u egid %u capeff %#llx\n", st.code,
		       res.euid, res.egid, (unsigned long long)res.capeff);
	} else {
		printf("code %d signal %d result %zu error %s\n", st.code,
		       st.signal, st.result_len, st.error ? st.error : "-");
	}
	cfork_free(p);
	return 0;
}
