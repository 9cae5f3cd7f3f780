/* SPDX-License-Identifier: MIT */
/*
 * Typed child functions: CFORK_FN declares the parameters once, and the
 * compiler checks every CFORK_START and CFORK_CALL against them. The same
 * function can still be started by name with cfork(), checked at run time.
 */
#include <cfork.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Shrinks a grayscale image by 8 in each direction and sends the thumbnail
 * back; logs a line to an fd of the parent's. The pixels are read where the
 * parent wrote them: image.data points into the sealed payload.
 */
CFORK_FN(thumbnail, (const char *, name), (int64_t, width),
	 (cfork_span, image), (cfork_fd_t, log))
{
	if (width <= 0)
		return 2;

	const unsigned char *px = image.data;
	size_t w = (size_t)width, h = image.len / w, tw = w / 8, th = h / 8;
	unsigned char *out = malloc(tw * th + 1);	/* never malloc(0) */

	if (!out)
		return 1;
	for (size_t y = 0; y < th; y++) {
		for (size_t x = 0; x < tw; x++) {
			unsigned sum = 0;

			for (size_t k = 0; k < 64; k++)
				sum += px[(y * 8 + k / 8) * w + x * 8 + k % 8];
			out[y * tw + x] = (unsigned char)(sum / 64);
		}
	}
	char line[128];
	int len = snprintf(line, sizeof(line), "%s: %zux%zu -> %zux%zu\n",
			   name, w, h, tw, th);
	int r = write(log.fd, line, (size_t)len) == len &&
		cfork_return(out, tw * th) == 0 ? 0 : 1;

	free(out);
	return r;
}

/* Zero parameters: CFORK_FN(name) alone. */
CFORK_FN(ping)
{
	return 7;
}

int main(void)
{
	size_t w = 640, h = 480;
	unsigned char *img = malloc(w * h);
	cfork_status st;
	cfork_proc *p;
	char line[128];
	int logp[2], r;

	cfork_init();
	if (!img || pipe(logp))
		return 1;
	for (size_t i = 0; i < w * h; i++)
		img[i] = (unsigned char)(i % w * 255 / (w - 1));

	/* 1. Typed: a wrong argument here is a compile error, not a dead
	   child. For example, 640.5 for the width reads:
	     thumbnail: argument 2 (640.5) is not an int64_t: ... */
	r = CFORK_START(&p, NULL, thumbnail, "in.png", 640,
			cfork_span_of(img, w * h), cfork_fd_of(logp[1]));
	if (r < 0) {
		fprintf(stderr, "CFORK_START: %s\n", strerror(-r));
		return 1;
	}
	cfork_wait(p, -1, &st);
	close(logp[1]);
	ssize_t n = read(logp[0], line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	printf("thumbnail(\"in.png\", 640, 300 KiB, log fd):\n");
	printf("  child logged: %s", line);
	if (st.exited && st.code == 0 && st.result_len == (w / 8) * (h / 8)) {
		const unsigned char *t = st.result;
		printf("  thumbnail %zu bytes, left %u .. right %u\n",
		       st.result_len, t[0], t[w / 8 - 1]);
	}
	cfork_free(p);
	close(logp[0]);

	/* 2. Synchronous, like cfork(): the exit status. */
	printf("ping(): exit status %d\n", CFORK_CALL(ping));

	/* 3. The same function by name, for names known only at run time:
	   checked against the signature CFORK_FN registered ("isyf"), in the
	   parent, before any child exists. */
	r = cfork("thumbnail", "in.png", 640.5, cfork_bytes(img, w * h),
		  cfork_fd(STDOUT_FILENO));
	printf("cfork(\"thumbnail\", \"in.png\", 640.5, ...): %s\n",
	       strerror(-r));
	free(img);
	return 0;
}
