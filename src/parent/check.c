/* SPDX-License-Identifier: MIT */
/*
 * What a spawn checks before anything is launched: the values against the
 * registered signature (converting where that is exact), and the
 * attributes. A mismatch is an error of cfork_spawnv(), never a dead child.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "common.h"
#include "compat.h"
#include "parent.h"

/* Converts v to the type the signature declares, where that is exact. */
static bool conform(cfork_value *v, cfork_type want)
{
	if (v->type == want)
		return true;
	if (v->type == CFORK_BUFFER)
		return want == CFORK_BYTES;
	if (v->type != CFORK_I64 && v->type != CFORK_U64)
		return false;

	bool is_signed = v->type == CFORK_I64;
	int64_t s = v->as.i64;
	uint64_t u = v->as.u64;

	switch (want) {
	case CFORK_U64:
		if (s < 0)
			return false;
		*v = cfork_u64((uint64_t)s);
		return true;
	case CFORK_I64:
		if (u > INT64_MAX)
			return false;
		*v = cfork_i64((int64_t)u);
		return true;
	case CFORK_BOOL:
		if (is_signed ? (s != 0 && s != 1) : u > 1)
			return false;
		*v = cfork_bool(u == 1);
		return true;
	case CFORK_F64: {
		double d = is_signed ? (double)s : (double)u;
		/* 2^63 and 2^64 are out of the integer ranges: compare in
		   range only. */
		bool exact = is_signed ?
			(d >= -0x1p63 && d < 0x1p63 && (int64_t)d == s) :
			(d < 0x1p64 && (uint64_t)d == u);
		if (!exact)
			return false;
		*v = cfork_f64(d);
		return true;
	}
	default:
		return false;
	}
}

static bool fd_is_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

int check_values(const char *sig, cfork_value *v, size_t argc)
{
	if (sig && strlen(sig) != argc)
		return -EINVAL;
	for (size_t i = 0; i < argc; i++) {
		if (sig && !conform(&v[i], (cfork_type)sig[i]))
			return -EINVAL;
		switch (v[i].type) {
		case CFORK_I64: case CFORK_U64: case CFORK_F64: case CFORK_BOOL:
			break;
		case CFORK_STR:
			if (!v[i].as.str)
				return -EINVAL;
			break;
		case CFORK_BYTES:
			if (!v[i].as.bytes.data && v[i].as.bytes.len)
				return -EINVAL;
			break;
		case CFORK_FD:
			if (!fd_is_open(v[i].as.fd))
				return -EBADF;
			break;
		case CFORK_BUFFER:
			if (!v[i].as.buffer)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

int check_cgroup_fd(int fd)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return -errno;
	/* A cgroup's file (cgroup.procs) is on the mount too. */
	return sfs.f_type == CGROUP2_SUPER_MAGIC && S_ISDIR(st.st_mode) ?
	       0 : -EINVAL;
}

int check_attr(const cfork_attr *attr)
{
	for (int i = 0; i < 3; i++) {
		int fd = (&attr->stdin_fd)[i];
		if (fd != -1 && !fd_is_open(fd))
			return -EBADF;
	}
	if (attr->nkeep_fds && !attr->keep_fds)
		return -EINVAL;
	for (size_t i = 0; i < attr->nkeep_fds; i++)
		if (!fd_is_open(attr->keep_fds[i]))
			return -EBADF;
	if (attr->pdeathsig < 0 || attr->pdeathsig >= NSIG)
		return -EINVAL;
	if (attr->cgroup_fd != -1) {
		/* Before any child: else the launch finds out, by errors
		   that depend on its fallback (CLONE_INTO_CGROUP's -EBADF,
		   a write to cgroup.procs the child makes). */
		int r = check_cgroup_fd(attr->cgroup_fd);
		if (r < 0)
			return r;
	}
	if (attr->deadline_ms < 0 ||
	    (attr->capture & ~(CFORK_CAPTURE_STDOUT | CFORK_CAPTURE_STDERR)) ||
	    ((attr->capture & CFORK_CAPTURE_STDOUT) && attr->stdout_fd != -1) ||
	    ((attr->capture & CFORK_CAPTURE_STDERR) && attr->stderr_fd != -1))
		return -EINVAL;
	if ((attr->flags & ~(CFORK_ATTR_SETSID | CFORK_ATTR_SETPGROUP)) ||
	    ((attr->flags & CFORK_ATTR_SETSID) &&
	     (attr->flags & CFORK_ATTR_SETPGROUP)) || attr->pgroup < 0 ||
	    (attr->pgroup && !(attr->flags & CFORK_ATTR_SETPGROUP)))
		return -EINVAL;
	/* A field this version does not know: refused, not ignored. */
	for (size_t i = 0; i < sizeof(attr->reserved) / sizeof(*attr->reserved);
	     i++)
		if (attr->reserved[i])
			return -EINVAL;
	return 0;
}
