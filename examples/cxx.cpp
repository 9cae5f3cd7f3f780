// SPDX-License-Identifier: MIT
// cfork from C++: the same header and the same spelling as in C.
// CFORK_REGISTER registers, cfork() runs a child and waits, cfork_spawn()
// returns a handle; CFORK_VAL picks each value's type from the C++ type.
#include <cfork.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include <unistd.h>

namespace {

// The child runs before the program's own global constructors (the
// library's constructor dispatches it): use nothing that needs them.
int describe(const cfork_args *a)
{
	std::printf("  child: name=%s width=%" PRId64 " scale=%.2f "
		    "verbose=%s count=%" PRIu64 "\n",
		    cfork_arg_str(a, 0), cfork_arg_i64(a, 1),
		    cfork_arg_f64(a, 2), cfork_arg_bool(a, 3) ? "true" : "false",
		    cfork_arg_u64(a, 4));
	return 7;
}

// Bytes in, their sum back to the parent, a line written to an fd.
int checksum(const cfork_args *a)
{
	size_t n;
	const unsigned char *p =
		static_cast<const unsigned char *>(cfork_arg_bytes(a, 0, &n));
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i];
	std::string line = "  child: " + std::to_string(n) + " bytes\n";
	if (write(cfork_arg_fd(a, 1), line.data(), line.size()) < 0)
		return 1;
	return cfork_return(&sum, sizeof(sum)) == 0 ? 0 : 1;
}

} // namespace

CFORK_REGISTER(describe, "sidbu");
CFORK_REGISTER(checksum, "yf");

int main()
{
	int r = cfork_init();	// in a child: runs the function, never returns

	if (r < 0) {
		std::fprintf(stderr, "cfork_init: %s\n", std::strerror(-r));
		return 1;
	}

	std::printf("describe(\"photo\", 640, 1.5, true, 3u) with cfork():\n");
	std::fflush(stdout);
	std::string name = "photo";
	r = cfork("describe", name.c_str(), 640, 1.5, true, 3u);
	std::printf("  exit status %d\n", r);
	if (r != 7)
		return 1;

	std::printf("checksum(1 KiB, stdout) with cfork_spawn():\n");
	std::fflush(stdout);
	std::vector<unsigned char> data(1024);
	uint64_t want = 0;
	for (size_t i = 0; i < data.size(); i++) {
		data[i] = static_cast<unsigned char>(i * 7);
		want += data[i];
	}
	cfork_proc *p;
	cfork_status st;
	r = cfork_spawn(&p, nullptr, "checksum",
			cfork_bytes(data.data(), data.size()),
			cfork_fd(STDOUT_FILENO));
	if (r < 0) {
		std::fprintf(stderr, "cfork_spawn: %s\n", std::strerror(-r));
		return 1;
	}
	r = cfork_wait(p, -1, &st);
	uint64_t sum = 0;
	bool ok = r == 0 && st.exited && st.code == 0 &&
		  st.result_len == sizeof(sum);
	if (ok)
		std::memcpy(&sum, st.result, sizeof(sum));
	cfork_free(p);
	std::printf("  result %" PRIu64 " (%s)\n", sum,
		    ok && sum == want ? "matches" : "WRONG");
	return ok && sum == want ? 0 : 1;
}
