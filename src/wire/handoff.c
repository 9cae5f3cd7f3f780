/* SPDX-License-Identifier: MIT */
/*
 * The hand-off to a warm pool child (layout: wire.h), checked before the
 * child moves a single fd: it comes over a socket the child inherited, and
 * the child trusts no byte of it that it has not checked, as with a payload.
 */
#include <string.h>

#include "wire.h"

const char *handoff_check(const struct handoff_head *h, size_t len,
			  size_t nfds)
{
	if (len != sizeof(*h))
		return "hand-off of the wrong size";
	if (memcmp(h->magic, HANDOFF_MAGIC, sizeof(h->magic)) != 0)
		return "bad hand-off magic";
	if (h->version != HANDOFF_VERSION)
		return "unsupported hand-off version";
	if (h->nfds < 1 || h->nfds > HANDOFF_FDS_MAX || h->nfds != nfds)
		return "the hand-off's fds do not match its head";
	if (h->target[0] != -1)
		return "bad hand-off target for the payload";
	if (h->keep != -1 && (h->keep < 1 || (uint32_t)h->keep >= h->nfds ||
			      h->target[h->keep] != -1))
		return "bad hand-off fd to keep";
	for (uint32_t i = 1; i < h->nfds; i++) {
		if ((int32_t)i == h->keep)
			continue;
		if (h->target[i] < 3)
			return "bad hand-off target";
		for (uint32_t j = 1; j < i; j++)
			if ((int32_t)j != h->keep &&
			    h->target[j] == h->target[i])
				return "two hand-off fds for one target";
	}
	for (uint32_t i = h->nfds; i < HANDOFF_FDS_MAX; i++)
		if (h->target[i])
			return "bad hand-off target";
	return NULL;
}
