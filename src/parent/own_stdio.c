/* SPDX-License-Identifier: MIT */
/*
 * A sandboxed child's stdio, each an open file description of its own.
 * An fd a child inherits shares its caller's description, and with it its
 * file status flags: a child that sets O_NONBLOCK on the pipe or terminal
 * it writes to makes its caller's writes there fail with EAGAIN, and the
 * shell's reads of the terminal once the caller has ended. A pipe, a FIFO
 * or a terminal opened again through /proc/self/fd is the same pipe or
 * terminal under a description of its own.
 *
 * Not opened again, and shared as before: a regular file (its offset is
 * shared on purpose, between a caller and its child writing one log, and
 * O_NONBLOCK means nothing to it), a socket (the kernel cannot open one
 * again), a pty's master (opened again, ptmx makes a new pty), and what
 * cannot be opened for reasons no child of the caller brings about: no
 * /proc, a terminal hung up, another uid's pipe or terminal (a caller
 * started by su or sudo -u), the caller's own landlock domain or LSM.
 * What a child can bring about fails the spawn instead: it could
 * otherwise make its successors share. A child of the caller's uid can
 * take the mode of the caller's pipe or terminal away (fchmod is no
 * landlock right) and put it back before the caller looks: a refusal is
 * the caller's domain's only when the mode let the caller open it from
 * before the open until after, which an inotify watch tells. A child that
 * is root may take the mode of / or /proc away: the open goes from the
 * caller's /proc/self/fd, opened first. A child can also put a terminal
 * in exclusive mode, lock a pty's terminal given its master, leave a
 * FIFO it reads with no reader for a moment, or use up the caller's fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* What F_SETFL may set and a reopened description should carry over. */
#define STATUS_FLAGS_KEPT (O_APPEND | O_NONBLOCK | O_DIRECT)

/* /dev/ptmx and /dev/pts/ptmx: every pty master's device. */
#define PTMX_DEV makedev(5, 2)

/* How a pipe, FIFO or terminal is opened again. O_NONBLOCK: opening a
   FIFO for writing would otherwise wait for a reader; O_NOCTTY: a
   terminal must not become the caller's controlling one. */
#define REOPEN_FLAGS (O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* The caller's /proc/self/fd, opened once a spawn first needs it and
   closed with the spawn (a fork of the program has fds of its own). A
   pipe or terminal is opened again from it by number, with no walk from
   / or through /proc, whose modes a child that is root may take away:
   an open refused on the way would pass for one the caller's own domain
   refuses. */
struct fd_dir {
	int fd;		/* -1 until opened, or where it cannot be */
	int error;	/* why it cannot be (0: not tried yet) */
};

/* fd opened again through d, for flags, as open() does. */
static int fd_reopen(struct fd_dir *d, int fd, int flags)
{
	char name[16];

	if (d->fd < 0 && !d->error) {
		d->fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		d->error = d->fd < 0 ? errno : 0;
	}
	if (d->fd < 0) {
		errno = d->error;
		return -1;
	}
	(void)snprintf(name, sizeof(name), "%d", fd);
	return openat(d->fd, name, flags);
}

/* Whether the mode of a file the caller owns lets it open it for
   accmode. */
static bool owner_may(const struct stat *st, int accmode)
{
	mode_t need = accmode == O_RDONLY ? S_IRUSR :
		      accmode == O_WRONLY ? S_IWUSR : S_IRUSR | S_IWUSR;

	return (st->st_mode & need) == need;
}

/* Opens fd's file, which the caller owns, again through d for flags, as
   open() does; where that fails, *refused says whether the open was
   refused though the file's mode let the caller open it from before the
   open until after: the caller's own domain's refusal. A child of the
   caller's uid can take the mode away and put it back before anyone
   looks: the file is watched from before its mode is read, and any
   change of it, or a watch that cannot tell, makes *refused false. */
static int reopen_unchanged(struct fd_dir *d, int fd, int flags,
			    bool *refused)
{
	union {
		struct inotify_event event;
		char room[sizeof(struct inotify_event) + NAME_MAX + 1];
	} changed;
	int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), own = -1, e;
	struct stat st;
	char path[32];

	*refused = false;
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (watch < 0 || inotify_add_watch(watch, path, IN_ATTRIB) < 0 ||
	    fstat(fd, &st) < 0 || !owner_may(&st, flags & O_ACCMODE)) {
		e = EACCES;
		goto out;
	}
	own = fd_reopen(d, fd, flags);
	e = errno;
	/* A chmod's event is queued after its new mode shows, but before
	   the inode's lock lets the next chmod put the mode back: a mode
	   that allows the open after it failed, with no event read after
	   that, was not changed since the watch began. */
	*refused = own < 0 && d->fd >= 0 && (e == EACCES || e == EPERM) &&
		   fstat(fd, &st) == 0 && owner_may(&st, flags & O_ACCMODE) &&
		   read(watch, &changed, sizeof(changed)) == -1 &&
		   errno == EAGAIN;
out:
	if (watch >= 0)
		close(watch);
	errno = e;
	return own;
}

/* Whether the open of pin's pipe, FIFO or terminal failed with e for a
   reason no child of the caller brings about, where its description
   stays shared: no /proc, a hangup, another uid's (the caller's own
   refused are told by reopen_unchanged()). Not a FIFO with no reader: a
   child reading it can close its end for a moment. */
static bool open_failure_shares(const struct fd_dir *d, int e, int pin,
				const struct stat *was)
{
	struct termios mode;

	/* /proc/self/fd itself refused: a child that is root can take the
	   mode of / or /proc away for a moment. Only its absence shares. */
	if (d->fd < 0)
		return e == ENOENT;
	if (e == ENOENT || (e == ENXIO && !S_ISFIFO(was->st_mode)))
		return true;
	if (e == EIO)
		return tcgetattr(pin, &mode) < 0 && errno == EIO;
	return (e == EACCES || e == EPERM) && was->st_uid != geteuid();
}

/* The terminal a terminal's fd reaches: /dev/tty's is the controlling
   one of the moment, a pty master's its pty's. */
static bool same_terminal(int was, int now)
{
	unsigned int was_dev, now_dev;

	return ioctl(was, TIOCGDEV, &was_dev) == 0 &&
	       ioctl(now, TIOCGDEV, &now_dev) == 0 && was_dev == now_dev;
}

/* Opens pin's pipe, FIFO or terminal again as *own, above stdio and
   close-on-exec; *own -1 where it stays shared. 0 or -errno. */
static int reopen_pinned(struct fd_dir *d, int pin, int *own)
{
	struct stat was, now;
	int flags = fcntl(pin, F_GETFL);

	if (flags < 0 || (flags & O_PATH) || fstat(pin, &was) < 0)
		return 0;
	bool tty = S_ISCHR(was.st_mode) && isatty(pin);
	if (!S_ISFIFO(was.st_mode) && (!tty || was.st_rdev == PTMX_DEV))
		return 0;
	int reopen = (flags & (O_ACCMODE | O_APPEND)) | REOPEN_FLAGS;
	int fd = fd_reopen(d, pin, reopen);
	bool refused = false;
	/* Refused what the caller owns: asked again, watched. */
	if (fd < 0 && (errno == EACCES || errno == EPERM) &&
	    was.st_uid == geteuid())
		fd = reopen_unchanged(d, pin, reopen, &refused);
	if (fd < 0) {
		int e = errno;

		return refused || open_failure_shares(d, e, pin, &was) ? 0 : -e;
	}
	/* A /proc of another pid namespace names another process's fd. */
	if (fstat(fd, &now) < 0 || now.st_dev != was.st_dev ||
	    now.st_ino != was.st_ino || now.st_rdev != was.st_rdev ||
	    (tty && !same_terminal(pin, fd))) {
		close(fd);
		return 0;
	}
	if (fcntl(fd, F_SETFL, flags & STATUS_FLAGS_KEPT) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	fd = fd_move_above_stdio(fd);
	if (fd < 0)
		return fd;
	*own = fd;
	return 0;
}

/* fd opened again, as reopen_pinned() says; fd is pinned to one
   description throughout, so that another thread's dup2() over it cannot
   swap the object between the checks and the open. */
static int stdio_reopen(struct fd_dir *d, int fd, int *own)
{
	int pin = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	*own = -1;
	if (pin < 0)
		return errno == EBADF ? 0 : -errno;
	int r = reopen_pinned(d, pin, own);
	close(pin);
	return r;
}

int own_stdio(const cfork_attr *attr, const int captured[3], int stdio[3],
	      int own[3])
{
	const int given[3] = { attr->stdin_fd, attr->stdout_fd,
			       attr->stderr_fd };
	struct fd_dir d = { -1, 0 };
	int r = 0;

	for (int i = 0; i < 3; i++) {
		own[i] = -1;
		stdio[i] = captured[i] >= 0 ? captured[i] : given[i];
	}
	for (int i = 0; i < 3 && r == 0; i++) {
		if (!attr->sandbox || captured[i] >= 0)
			continue;
		/* -1: the caller's own fd of that number. */
		r = stdio_reopen(&d, given[i] >= 0 ? given[i] : i, &own[i]);
		if (own[i] >= 0)
			stdio[i] = own[i];
	}
	if (d.fd >= 0)
		close(d.fd);
	return r;
}
