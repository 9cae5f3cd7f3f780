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
 * /proc, a FIFO whose reader has gone, a terminal hung up, another uid's
 * pipe or terminal (a caller started by su or sudo -u), the caller's own
 * landlock domain or LSM, told by its refusing a new pipe or pty's
 * terminal as well. What a child can bring about fails the spawn
 * instead: it could otherwise make its successors share: the mode of a
 * pipe or terminal of the caller's own uid taken away (fchmod is no
 * landlock right), or of /dev/ptmx by a child that is root, even if put
 * back before the caller looks, a terminal put in exclusive mode, a
 * pty's terminal locked by a child given its master, and the caller out
 * of fds. A FIFO or a terminal other than a
 * pty's that the caller's own domain refuses has no twin to tell it by,
 * and fails the spawn as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <linux/major.h>
#include <unistd.h>

#include "common.h"
#include "parent.h"

/* What F_SETFL may set and a reopened description should carry over. */
#define STATUS_FLAGS_KEPT (O_APPEND | O_NONBLOCK | O_DIRECT)

/* /dev/ptmx and /dev/pts/ptmx: every pty master's device. */
#define PTMX_DEV makedev(5, 2)

/* How a pipe, FIFO or terminal is opened again, and its twin as well.
   O_NONBLOCK: opening a FIFO for writing would otherwise wait for a
   reader; O_NOCTTY: a terminal must not become the caller's controlling
   one. */
#define REOPEN_FLAGS (O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* The name through which fd is opened again. */
static void fd_path(char path[32], int fd)
{
	(void)snprintf(path, 32, "/proc/self/fd/%d", fd);
}

/* Whether gid is the caller's, or one of its supplementary groups (as
   the kernel tells whose mode bits apply); no when they cannot be read. */
static bool in_group(gid_t gid)
{
	bool found = gid == getegid();
	int n = found ? 0 : getgroups(0, NULL);
	gid_t *groups = n > 0 ? calloc((size_t)n, sizeof(*groups)) : NULL;

	if (groups)
		n = getgroups(n, groups);
	for (int i = 0; groups && i < n && !found; i++)
		found = groups[i] == gid;
	free(groups);
	return found;
}

/* Whether st's mode lets the caller's ids open it for accmode. */
static bool mode_lets(const struct stat *st, int accmode)
{
	mode_t need = accmode == O_RDONLY ? S_IROTH :
		      accmode == O_WRONLY ? S_IWOTH : S_IROTH | S_IWOTH;

	if (st->st_uid == geteuid())
		need <<= 6;
	else if (in_group(st->st_gid))
		need <<= 3;
	return (st->st_mode & need) == need;
}

/* Opens path for flags, as open() does; where that fails, *refused says
   whether the open was refused though path's mode let the caller open
   it from before the open until after. A child of the caller's uid can
   take away the mode of what the caller owns, and put it back before
   anyone looks: path is watched from before its mode is read, and any
   change of it, or a watch that cannot tell, makes *refused false. */
static int open_unchanged(const char *path, int flags, bool *refused)
{
	union {
		struct inotify_event event;
		char room[sizeof(struct inotify_event) + NAME_MAX + 1];
	} changed;
	int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), fd = -1, e;
	struct stat st;

	*refused = false;
	if (watch < 0 || inotify_add_watch(watch, path, IN_ATTRIB) < 0 ||
	    stat(path, &st) < 0 || !mode_lets(&st, flags & O_ACCMODE)) {
		e = EACCES;
		goto out;
	}
	fd = open(path, flags);
	e = errno;
	/* A chmod's event is queued after its new mode shows, but before
	   the inode's lock lets the next chmod put the mode back: a mode
	   that allows the open after it failed, with no event read after
	   that, was not changed since the watch began. */
	*refused = fd < 0 && (e == EACCES || e == EPERM) &&
		   stat(path, &st) == 0 && mode_lets(&st, flags & O_ACCMODE) &&
		   read(watch, &changed, sizeof(changed)) == -1 &&
		   errno == EAGAIN;
out:
	if (watch >= 0)
		close(watch);
	errno = e;
	return fd;
}

/* Whether the caller may not open a pipe or pty terminal like was's
   again either where no child has changed it: a new pipe, or a new pty's
   terminal, opened again as was would be. Only a twin of was's own
   filesystem speaks for it (a FIFO elsewhere, a terminal of another
   kind or devpts instance has none): without one, the answer is no. A
   child of the caller's uid can change the mode of a new pty's terminal
   by its name, and of /dev/ptmx when it is root: both are opened
   watched (open_unchanged()). */
static bool twin_refused(const struct stat *was, int accmode)
{
	int twin[2] = { -1, -1 }, fd;
	struct stat st;
	char path[32];
	bool refused = false;

	if (S_ISFIFO(was->st_mode)) {
		if (pipe2(twin, O_CLOEXEC) < 0)
			return false;
	} else if (major(was->st_rdev) >= UNIX98_PTY_SLAVE_MAJOR &&
		   major(was->st_rdev) < UNIX98_PTY_SLAVE_MAJOR + 8) {
		twin[0] = open_unchanged("/dev/ptmx",
					 O_RDWR | O_NOCTTY | O_CLOEXEC,
					 &refused);
		if (twin[0] < 0)
			return refused;
		if (unlockpt(twin[0]) < 0 ||
		    (twin[1] = ioctl(twin[0], TIOCGPTPEER, O_RDWR | O_NOCTTY |
						   O_CLOEXEC)) < 0)
			goto out;
	} else {
		return false;
	}
	fd_path(path, twin[1]);
	if (fstat(twin[1], &st) < 0 || st.st_dev != was->st_dev)
		goto out;
	fd = open_unchanged(path, accmode | REOPEN_FLAGS, &refused);
	if (fd >= 0)
		close(fd);
out:
	for (int i = 0; i < 2; i++)
		if (twin[i] >= 0)
			close(twin[i]);
	return refused;
}

/* Whether the open of pin's pipe, FIFO or terminal, for accmode, failed
   for a reason no child of the caller brings about, where its
   description stays shared. A child of the caller's uid may take away
   the mode of what the caller owns, and put it back before anyone
   looks, and a child holding a pty's master may lock its terminal; not
   the caller's own landlock domain or LSM, which refuses a twin no
   child touched as well, nor what another uid owns, nor a hangup. */
static bool open_failure_shares(int e, int pin, const struct stat *was,
				int accmode)
{
	struct termios mode;

	if (e == ENOENT || e == ENXIO)
		return true;
	if (e == EIO)
		return tcgetattr(pin, &mode) < 0 && errno == EIO;
	if (e != EACCES && e != EPERM)
		return false;
	return was->st_uid != geteuid() || twin_refused(was, accmode);
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
static int reopen_pinned(int pin, int *own)
{
	struct stat was, now;
	char path[32];
	int flags = fcntl(pin, F_GETFL);

	if (flags < 0 || (flags & O_PATH) || fstat(pin, &was) < 0)
		return 0;
	bool tty = S_ISCHR(was.st_mode) && isatty(pin);
	if (!S_ISFIFO(was.st_mode) && (!tty || was.st_rdev == PTMX_DEV))
		return 0;
	fd_path(path, pin);
	int fd = open(path, (flags & (O_ACCMODE | O_APPEND)) | REOPEN_FLAGS);
	if (fd < 0) {
		int e = errno;

		return open_failure_shares(e, pin, &was, flags & O_ACCMODE) ?
			       0 : -e;
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
static int stdio_reopen(int fd, int *own)
{
	int pin = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	*own = -1;
	if (pin < 0)
		return errno == EBADF ? 0 : -errno;
	int r = reopen_pinned(pin, own);
	close(pin);
	return r;
}

int own_stdio(const cfork_attr *attr, const int captured[3], int stdio[3],
	      int own[3])
{
	const int given[3] = { attr->stdin_fd, attr->stdout_fd,
			       attr->stderr_fd };
	int r = 0;

	for (int i = 0; i < 3; i++) {
		own[i] = -1;
		stdio[i] = captured[i] >= 0 ? captured[i] : given[i];
	}
	for (int i = 0; i < 3 && r == 0; i++) {
		if (!attr->sandbox || captured[i] >= 0)
			continue;
		/* -1: the caller's own fd of that number. */
		r = stdio_reopen(given[i] >= 0 ? given[i] : i, &own[i]);
		if (own[i] >= 0)
			stdio[i] = own[i];
	}
	return r;
}
