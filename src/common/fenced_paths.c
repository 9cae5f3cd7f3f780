/* SPDX-License-Identifier: MIT */
/*
 * The paths the base's ruleset (landlock_base.c) must give no rule to, from
 * the mount table: where a proc, sysfs or cgroup file system is mounted,
 * and every place where landlock, walking up from one of its files, meets
 * an inode. Landlock binds a rule to an inode and walks up through each
 * mount's root to the directory it is mounted on, in the file system below.
 * A bind mount shows that directory at a second path too: a proc mounted
 * under /mnt/t, a bind of /tmp, sits on a directory that /tmp also shows,
 * and a rule given by way of /tmp would reach it. So for each such mount,
 * and then for each mount it lies in, up to the root, the directory it is
 * mounted on is found in its file system (the parent mount's root, in
 * mountinfo, and the rest of the path) and fenced at every path a mount of
 * that file system shows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

struct mount_line {
	int id, parent;
	char *dev;	/* major:minor */
	char *root;	/* the mount's root in its file system */
	char *point;	/* where it is mounted */
	bool fenced;
};

static bool fenced_type(const char *type)
{
	return !strcmp(type, "proc") || !strcmp(type, "sysfs") ||
	       !strcmp(type, "cgroup") || !strcmp(type, "cgroup2");
}

/* A path as mountinfo escapes it (\040 a space, \011, \012, \134),
   unescaped in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The whole of a file read from fd (from its start), NUL-terminated;
   NULL where it cannot be read. */
static char *read_all(int fd)
{
	size_t cap = 16384, len = 0;
	char *text = malloc(cap);

	if (!text || lseek(fd, 0, SEEK_SET) < 0) {
		free(text);
		return NULL;
	}
	for (;;) {
		if (len + 1 == cap) {
			char *more = realloc(text, cap * 2);
			if (!more)
				break;
			text = more;
			cap *= 2;
		}
		ssize_t n = read(fd, text + len, cap - 1 - len);
		if (n == 0) {
			text[len] = '\0';
			return text;
		}
		if (n < 0 && errno != EINTR)
			break;
		len += n > 0 ? (size_t)n : 0;
	}
	free(text);
	return NULL;
}

/* The next space-separated field of *s, cut off; NULL at the end. */
static char *field(char **s)
{
	char *start = *s, *end;

	if (!start || !*start)
		return NULL;
	end = strchr(start, ' ');
	*s = end ? (*end = '\0', end + 1) : start + strlen(start);
	return start;
}

/* One line: id, parent, dev, root, mount point, options, optional fields,
   "-", type, ... false where it is not one. */
static bool parse_line(char *line, struct mount_line *m)
{
	char *id = field(&line), *parent = field(&line);

	m->dev = field(&line);
	m->root = field(&line);
	m->point = field(&line);
	char *sep = line ? strstr(line, " - ") : NULL;
	if (!id || !parent || !m->point || !sep)
		return false;
	char *rest = sep + 3, *type = field(&rest);
	if (!type)
		return false;
	m->id = (int)strtol(id, NULL, 10);
	m->parent = (int)strtol(parent, NULL, 10);
	m->fenced = fenced_type(type);
	unescape(m->root);
	unescape(m->point);
	return true;
}

/* Whether path is base or lies beneath it; *tail: the rest ("" or "/..."). */
static bool beneath(const char *path, const char *base, const char **tail)
{
	size_t len = strlen(base);

	if (!strcmp(base, "/")) {
		*tail = path[0] == '/' && path[1] ? path : "";
		return path[0] == '/';
	}
	if (strncmp(path, base, len) != 0 || (path[len] && path[len] != '/'))
		return false;
	*tail = path + len;
	return true;
}

/* a and b joined, fenced: skipped whole, or (through) gone into with no
   rule of its own, as the directories a mount is mounted on are: landlock
   meets them, never what lies beside the mount. */
static bool fenced_add(struct fenced *f, const char *a, const char *b,
		       bool through)
{
	size_t la = strlen(a), lb = strlen(b);
	char **more = realloc(f->paths, (f->n + 1) * sizeof(*more));
	bool *kinds = more ? realloc(f->through, (f->n + 1) *
				     sizeof(*kinds)) : NULL;
	char *path = malloc(la + lb + 2);

	if (more)
		f->paths = more;
	if (kinds)
		f->through = kinds;
	if (!more || !kinds || !path) {
		free(path);
		return false;
	}
	f->through[f->n] = through;
	(void)snprintf(path, la + lb + 2, "%s%s", a, b);
	/* "/" joined with "/x" reads "//x". */
	if (path[0] == '/' && path[1] == '/')
		memmove(path, path + 1, strlen(path));
	f->paths[f->n++] = path;
	return true;
}

/* The directory mount c is mounted on, at every path that shows it, and
   the same for the mount that holds it, up to the table's root. */
static bool fence_up(struct fenced *f, const struct mount_line *all,
		     size_t n, const struct mount_line *c)
{
	for (size_t depth = 0; depth < n; depth++) {
		const struct mount_line *p = NULL;
		const char *tail;
		for (size_t i = 0; i < n && !p; i++)
			if (all[i].id == c->parent && &all[i] != c)
				p = &all[i];
		if (!p || !beneath(c->point, p->point, &tail))
			return true;
		/* In p's file system, c lies on p's root + tail. */
		size_t lr = strlen(p->root), lt = strlen(tail);
		char *inner = malloc(lr + lt + 1);
		if (!inner)
			return false;
		(void)snprintf(inner, lr + lt + 1, "%s%s", p->root, tail);
		if (inner[0] == '/' && inner[1] == '/')
			memmove(inner, inner + 1, strlen(inner));
		for (size_t i = 0; i < n; i++) {
			const char *rest;
			if (strcmp(all[i].dev, p->dev) != 0 ||
			    !beneath(inner, all[i].root, &rest))
				continue;
			if (!fenced_add(f, all[i].point, rest, true)) {
				free(inner);
				return false;
			}
		}
		free(inner);
		c = p;
	}
	return true;
}

bool fenced_paths_read(int mountinfo, struct fenced *f)
{
	char *text = read_all(mountinfo);
	struct mount_line *all = NULL;
	size_t n = 0, cap = 0;
	bool ok = text != NULL;

	*f = (struct fenced){ 0 };
	for (char *line = text, *next; ok && *line; line = next) {
		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		if (n == cap) {
			struct mount_line *more = realloc(all, (cap * 2 + 16) *
							  sizeof(*more));
			if (!more) {
				ok = false;
				break;
			}
			all = more;
			cap = cap * 2 + 16;
		}
		if (parse_line(line, &all[n]))
			n++;
	}
	for (size_t i = 0; ok && i < n; i++)
		if (all[i].fenced)
			ok = fenced_add(f, all[i].point, "", false) &&
			     fence_up(f, all, n, &all[i]);
	free(all);
	free(text);
	if (!ok)
		fenced_free(f);
	return ok;
}

void fenced_free(struct fenced *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->through);
	*f = (struct fenced){ 0 };
}

int fence_at(const struct fenced *f, const char *path)
{
	size_t len = strlen(path);
	int at = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (!strcmp(f->paths[i], path)) {
			if (!f->through[i])
				return 1;
			at = 2;
		}
		if (!strncmp(f->paths[i], path, len) &&
		    (f->paths[i][len] == '/' || len == 1))
			at = 2;
	}
	return at;
}
