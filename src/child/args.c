/* SPDX-License-Identifier: MIT */
/*
 * The child's public getters: views into the payload's read-only mapping.
 * A wrong index or type is the caller's programming error: the child says
 * which and exits with CFORK_EXIT_USAGE.
 */
#include <string.h>

#include "child.h"
#include "wire.h"

static const char *type_name(unsigned t)
{
	switch (t) {
	case CFORK_I64: return "i64";
	case CFORK_U64: return "u64";
	case CFORK_F64: return "f64";
	case CFORK_BOOL: return "bool";
	case CFORK_STR: return "str";
	case CFORK_BYTES: return "bytes";
	case CFORK_FD: return "fd";
	default: return "?";
	}
}

static const struct wire_arg *arg_get(const cfork_args *a, size_t i,
				      cfork_type want)
{
	if (!a)
		child_fail(CFORK_EXIT_USAGE, "cfork_arg_%s(): args is NULL",
			   type_name(want));
	if (i >= a->argc)
		child_fail(CFORK_EXIT_USAGE,
			   "%s: cfork_arg_%s(%zu): only %zu argument%s",
			   a->name, type_name(want), i, a->argc,
			   a->argc == 1 ? "" : "s");
	if (a->arg[i].type != (uint32_t)want)
		child_fail(CFORK_EXIT_USAGE,
			   "%s: cfork_arg_%s(%zu): argument %zu is %s, not %s",
			   a->name, type_name(want), i, i,
			   type_name(a->arg[i].type), type_name(want));
	return &a->arg[i];
}

size_t cfork_argc(const cfork_args *a)
{
	return a ? a->argc : 0;
}

cfork_type cfork_argtype(const cfork_args *a, size_t i)
{
	return a && i < a->argc ? (cfork_type)a->arg[i].type : (cfork_type)0;
}

int64_t cfork_arg_i64(const cfork_args *a, size_t i)
{
	return (int64_t)arg_get(a, i, CFORK_I64)->value;
}

uint64_t cfork_arg_u64(const cfork_args *a, size_t i)
{
	return arg_get(a, i, CFORK_U64)->value;
}

double cfork_arg_f64(const cfork_args *a, size_t i)
{
	double d;

	memcpy(&d, &arg_get(a, i, CFORK_F64)->value, sizeof(d));
	return d;
}

bool cfork_arg_bool(const cfork_args *a, size_t i)
{
	return arg_get(a, i, CFORK_BOOL)->value;
}

const char *cfork_arg_str(const cfork_args *a, size_t i)
{
	const struct wire_arg *w = arg_get(a, i, CFORK_STR);

	return (const char *)a->base + w->value;
}

const void *cfork_arg_bytes(const cfork_args *a, size_t i, size_t *len)
{
	const struct wire_arg *w = arg_get(a, i, CFORK_BYTES);

	if (len)
		*len = w->len;
	if (w->flags & WIRE_ARG_BUFFER)
		return a->views[i];
	return a->base + w->value;
}

int cfork_arg_fd(const cfork_args *a, size_t i)
{
	return (int)arg_get(a, i, CFORK_FD)->value;
}
