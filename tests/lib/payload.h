/* SPDX-License-Identifier: MIT */
#ifndef CFORK_TEST_PAYLOAD_H
#define CFORK_TEST_PAYLOAD_H

/*
 * Real payloads for the white-box tests, the fuzz seeds and the attacks of
 * tests/escape.c, made by the library's own encoder (wire/payload.c): the
 * layouts come from src/wire/wire.h, never from a copy.
 */
#include <errno.h>
#include <stdlib.h>

#include "parent.h"
#include "wire.h"

/* A payload for name with these values and, with section_len > 0, a
   sandbox section. A cfork_buffer value is named by its memfd, as a spawn
   names it (the caller freezes it first, as a spawn does). */
static inline int wire_encode_sandbox(struct payload_out *out,
				      const char *name, bool is_static,
				      int report_fd, uint64_t sigmask,
				      const cfork_value *argv, size_t argc,
				      const void *section, size_t section_len)
{
	struct payload_buffer *buffers = calloc(argc ? argc : 1,
						sizeof(*buffers));

	if (!buffers)
		return -ENOMEM;
	for (size_t i = 0; i < argc; i++)
		if (argv[i].type == CFORK_BUFFER)
			buffers[i] = (struct payload_buffer){
				buffer_fd(argv[i].as.buffer),
				cfork_buffer_size(argv[i].as.buffer)
			};

	const struct payload_call call = {
		.name = name,
		.is_static = is_static,
		.report_fd = report_fd,
		.image_fd = -1,
		.status_fd = -1,
		.sigmask = sigmask,
		.argv = argv,
		.argc = argc,
		.section = section,
		.buffers = buffers,
		.section_len = section_len,
	};
	int r = payload_encode(out, &call);

	free(buffers);
	return r;
}

static inline int wire_encode(struct payload_out *out, const char *name,
			      bool is_static, int report_fd, uint64_t sigmask,
			      const cfork_value *argv, size_t argc)
{
	return wire_encode_sandbox(out, name, is_static, report_fd, sigmask,
				   argv, argc, NULL, 0);
}

#endif
