/* SPDX-License-Identifier: MIT */
/*
 * Names -> functions and signatures. Static entries live in the executable's
 * "cfork_registry" section (CFORK_REGISTER); the linker brackets it with
 * __start_/__stop_ symbols, which a shared libcfork resolves against the
 * executable at load time, before any constructor runs. Runtime entries are
 * an append-only list: an entry, once published, never changes or goes away,
 * so a lookup returns a pointer that stays valid without the lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

extern const struct cfork_registration __start_cfork_registry[]
	__attribute__((weak, visibility("default")));
extern const struct cfork_registration __stop_cfork_registry[]
	__attribute__((weak, visibility("default")));

struct runtime_entry {
	struct cfork_registration reg;	/* first: registry_child_sees() */
	struct runtime_entry *next;
	/* A child dispatches at its first cfork_init(): what the program
	   registers after that call is never registered in a child. */
	bool after_init;
};

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime_entry *runtime_head;

/* Set once the program has called cfork_init(). */
static atomic_bool runtime_ready;

void registry_mark_runtime_ready(void)
{
	atomic_store_explicit(&runtime_ready, true, memory_order_relaxed);
}

static bool registry_runtime_ready(void)
{
	return atomic_load_explicit(&runtime_ready, memory_order_relaxed);
}

bool registry_child_sees(const struct cfork_registration *reg,
			 bool is_static)
{
	if (is_static)
		return true;
	return registry_runtime_ready() &&
	       !((const struct runtime_entry *)reg)->after_init;
}

bool registry_sig_valid(const char *sig)
{
	if (!sig)
		return true;
	if (strlen(sig) > 255)
		return false;
	for (; *sig; sig++)
		if (!strchr("iudbsyf", *sig))
			return false;
	return true;
}

/* Counts the static entries named name; *ret gets the first. */
static size_t find_static(const char *name,
			  const struct cfork_registration **ret)
{
	size_t n = 0;

	if (!__start_cfork_registry || !__stop_cfork_registry)
		return 0;
	for (const struct cfork_registration *r = __start_cfork_registry;
	     r < __stop_cfork_registry; r++) {
		if (r->name && !strcmp(r->name, name)) {
			if (!n++)
				*ret = r;
		}
	}
	return n;
}

static const struct cfork_registration *find_runtime(const char *name)
{
	const struct cfork_registration *found = NULL;

	pthread_mutex_lock(&runtime_lock);
	for (struct runtime_entry *e = runtime_head; e && !found; e = e->next)
		if (!strcmp(e->reg.name, name))
			found = &e->reg;
	pthread_mutex_unlock(&runtime_lock);
	return found;
}

int registry_find(const char *name, const struct cfork_registration **ret,
		  bool *ret_static)
{
	const struct cfork_registration *r = NULL;
	size_t n = find_static(name, &r);

	if (n > 1)
		return -EEXIST;
	if (n == 1) {
		if (!r->fn || !registry_sig_valid(r->sig))
			return -EINVAL;
		*ret = r;
		*ret_static = true;
		return 0;
	}
	r = find_runtime(name);
	if (!r)
		return -ENOENT;
	*ret = r;
	*ret_static = false;
	return 0;
}

int cfork_register(const char *name, cfork_fn fn, const char *sig)
{
	PROTECT_ERRNO;
	const struct cfork_registration *unused;
	struct runtime_entry *e;
	int r = 0;

	if (!name || !*name || strlen(name) > 255 || !fn ||
	    !registry_sig_valid(sig))
		return -EINVAL;
	if (find_static(name, &unused))
		return -EEXIST;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->reg = (struct cfork_registration){ name, fn, sig };
	e->after_init = registry_runtime_ready();

	pthread_mutex_lock(&runtime_lock);
	for (struct runtime_entry *i = runtime_head; i; i = i->next)
		if (!strcmp(i->reg.name, name))
			r = -EEXIST;
	if (!r) {
		e->next = runtime_head;
		runtime_head = e;
	}
	pthread_mutex_unlock(&runtime_lock);
	if (r)
		free(e);
	return r;
}
