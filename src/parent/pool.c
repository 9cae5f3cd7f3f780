/* SPDX-License-Identifier: MIT */
/*
 * Warm start: a pool of children launched ahead of demand (exactly as a
 * spawn launches one, fallbacks and all), each waiting in its constructor
 * for one hand-off on a socket (wire.h), used once and never reused. A
 * call hands its payload to a waiting child instead of paying the exec and
 * the dynamic loader; the handle it gets is an ordinary cfork_proc.
 *
 * Or fork servers (CFORK_POOL_FORK): size such children, each of which
 * forks a child per hand-off (child/server.c) and takes one hand-off at a
 * time; a call goes to one that is free, and a server found dead is
 * launched again on the next call to it.
 *
 * One refill thread per pool keeps it full, so that the caller does not
 * pay the launch of a replacement; it is started by cfork_pool_new(), which
 * returns once the pool is full, and ended by cfork_pool_free(). A call
 * that finds the pool empty launches cold: never a failure. A child found
 * dead while it waited is reaped and replaced, never handed out.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "compat.h"
#include "parent.h"
#include "sandbox/sandbox.h"

/* After a failed launch, the refill thread waits this long before the next
   (a host out of processes or memory must not be hammered). */
#define REFILL_BACKOFF_MS 100
/* A replacement's exec would compete for the CPU with the call that took
   the child it replaces: the refill thread lets that call end first, or
   this long at most (make bench's pool latency, tests/bench/pool.c). */
#define REFILL_DEFER_MS 2
/* How long a fork server whose socket reached its end of file (it is in
   its exit) is given to end, to be told why it did: a loaded host may
   take long (server_check_binding). */
#define SERVER_END_MS 2000
#define POOL_SIZE_MAX 1024

struct cfork_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* for the refill thread: taken, or stop */
	pthread_cond_t filled;	/* for cfork_pool_new: full, or failed */
	cfork_attr attr;
	int *keep_fds;		/* attr.keep_fds, the pool's own copy */
	unsigned size;
	struct warm_child *ready;
	unsigned nready;
	int *taken;		/* pidfds of children handed a call, to defer */
	unsigned ntaken;	/* the refill to (REFILL_DEFER_MS) */
	bool stopping;
	int error;		/* the last launch's, while not full */
	pthread_t refill;
	bool refill_started;
	struct fork_server *servers;	/* size of them: CFORK_POOL_FORK */
	unsigned next_server;	/* where a call starts to look for one */
	bool bind_lazily;	/* a server could not bind all at its start */
	uint64_t owner;		/* process_token() of the children's parent */
	/* What its first children were launched with: every call's sandbox
	   must ask for the same, or it is refused, warm or cold. */
	struct launch_shape shape;
};

struct fork_server {
	pthread_mutex_t lock;	/* one hand-off at a time */
	struct warm_child c;	/* pid -1: none */
};

/* Whether a waiting child is still waiting: one that died (killed, or it
   failed its take-over) is not handed a call; nor is one that was
   stopped, which the call would wait on for as long as it stays
   stopped. */
static bool warm_alive(const struct warm_child *c)
{
	const int how = WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL;
	struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };
	siginfo_t si = { 0 };

	return (c->pidfd < 0 || poll(&pfd, 1, 0) == 0) &&
	       child_waitid(c->pidfd, c->pid, &si, how) == 0 && si.si_pid == 0;
}

#define WARM_CHILD_NONE ((struct warm_child){ .pid = -1, .pidfd = -1, \
	.sock = -1, .out_rd = -1, .err_rd = -1 })

/* Through its pidfd, or by pid where none can signal (none was made, or
   a filter refuses pidfd_send_signal): our child, unreaped unless the
   program's own wait for any child took it, which the pidfd tells
   (ESRCH), and after which the pid can be another's. True when it is
   gone so: nothing is left to signal or to wait for. */
static bool warm_signal(const struct warm_child *c, int sig)
{
	if (c->pid <= 0)
		return true;
	if (c->pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) == 0)
			return false;
		if (errno == ESRCH)
			return true;
	}
	kill(c->pid, sig);
	return false;
}

/* Its fds closed, and none left. */
static void warm_close(struct warm_child *c)
{
	const int fds[] = { c->pidfd, c->sock, c->out_rd, c->err_rd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	*c = WARM_CHILD_NONE;
}

/* Kills (it is unused: nothing is lost), reaps and closes; one another
   wait took already (its pidfd says so) is neither signalled nor waited
   for by its pid, which can be another's by then. */
static void warm_discard(struct warm_child *c)
{
	siginfo_t si;

	if (!warm_signal(c, SIGKILL))
		while (child_waitid(c->pidfd, c->pid, &si,
				    WEXITED | __WALL) < 0 && errno == EINTR)
			;
	warm_close(c);
}

/* The pool lets go of its server: killed (it died, or stopped answering),
   or told by its socket's end of file to end once its calls have. Its
   reaping is the last reference's. */
static void server_stop(struct warm_child *c, bool kill_it)
{
	struct server_ref *ref = c->ref;

	if (kill_it)
		warm_signal(c, SIGKILL);
	/* Its socket closed first: that end of file is what ends it. */
	warm_close(c);
	server_ref_put(ref);
}

/* A call as the pool makes it, warm (through warm) or cold: refused where
   its sandbox would launch another shape than the pool's. */
static int pool_call(cfork_pool *pool, cfork_proc **ret_proc,
		     const char *name, const cfork_value *argv, size_t argc,
		     struct warm_child *warm)
{
	return spawn_call_run(ret_proc, &pool->attr, name, argv, argc, warm,
			      &pool->shape);
}

/* A fork server, launched, with the pool's reference to it. */
static int server_start(cfork_pool *pool, struct warm_child *c)
{
	bool lazily = __atomic_load_n(&pool->bind_lazily, __ATOMIC_RELAXED);
	int r = warm_launch(&pool->attr, c, true, !lazily);

	if (r < 0) {
		c->pid = -1;
		return r;
	}
	c->ref = server_ref_new(c->pid, c->pidfd);
	/* No reference to reap it: it is reaped here. */
	if (!c->ref) {
		warm_discard(c);
		return -ENOMEM;
	}
	return 0;
}

static void *pool_refill(void *arg)
{
	cfork_pool *pool = arg;

	pthread_mutex_lock(&pool->lock);
	while (!pool->stopping) {
		if (pool->nready == pool->size) {
			pthread_cond_wait(&pool->wake, &pool->lock);
			continue;
		}
		struct warm_child c;
		int taken = pool->ntaken ? pool->taken[--pool->ntaken] : -1;
		pthread_mutex_unlock(&pool->lock);
		if (taken >= 0) {
			struct pollfd pfd = { .fd = taken, .events = POLLIN };
			poll(&pfd, 1, REFILL_DEFER_MS);
			close(taken);
		}
		int r = warm_launch(&pool->attr, &c, false, false);
		pthread_mutex_lock(&pool->lock);
		/* Full already where a child taken when the launch began was
		   given back since (its call refused before its hand-off). */
		if (r == 0 && !pool->stopping && pool->nready < pool->size) {
			pool->ready[pool->nready++] = c;
			pool->error = 0;
			if (pool->nready == pool->size)
				pthread_cond_broadcast(&pool->filled);
			continue;
		}
		if (r == 0) {
			pthread_mutex_unlock(&pool->lock);
			warm_discard(&c);
			pthread_mutex_lock(&pool->lock);
			continue;
		}
		pool->error = r;
		pthread_cond_broadcast(&pool->filled);
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += REFILL_BACKOFF_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&pool->wake, &pool->lock, &until);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static int pool_copy_attr(cfork_pool *pool, const cfork_attr *attr)
{
	pool->attr = *attr;
	if (!attr->nkeep_fds)
		return 0;
	pool->keep_fds = malloc(attr->nkeep_fds * sizeof(*pool->keep_fds));
	if (!pool->keep_fds)
		return -ENOMEM;
	memcpy(pool->keep_fds, attr->keep_fds,
	       attr->nkeep_fds * sizeof(*pool->keep_fds));
	pool->attr.keep_fds = pool->keep_fds;
	return 0;
}

/* size fork servers, each launched. */
static int pool_servers(cfork_pool *pool)
{
	pool->servers = calloc(pool->size, sizeof(*pool->servers));
	if (!pool->servers)
		return -ENOMEM;
	for (unsigned i = 0; i < pool->size; i++) {
		pthread_mutex_init(&pool->servers[i].lock, NULL);
		pool->servers[i].c = WARM_CHILD_NONE;
	}
	for (unsigned i = 0; i < pool->size; i++) {
		int r = server_start(pool, &pool->servers[i].c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether a fork server, which raises its fd limit to the hard limit it
   inherits from here, would have no fd left for a call's status channel
   beside its own (child/server.c): every call would launch cold. */
_Static_assert(SERVER_FDS_OWN == 269, "cfork.h and cfork_pool_new(3) say 269");

static bool server_fds_short(void)
{
	struct rlimit nofile;

	return getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	       nofile.rlim_max != RLIM_INFINITY &&
	       nofile.rlim_max <= SERVER_FDS_OWN;
}

int cfork_pool_new(cfork_pool **ret_pool, const cfork_attr *attr,
		   unsigned size, unsigned flags)
{
	PROTECT_ERRNO;
	static const cfork_attr defaults = CFORK_ATTR_INIT;
	sigset_t all, old;
	int r;

	if (!ret_pool || !size || size > POOL_SIZE_MAX ||
	    (flags != CFORK_POOL_EXEC && flags != CFORK_POOL_FORK))
		return -EINVAL;
	if (!attr)
		attr = &defaults;
	r = check_attr(attr);
	if (r < 0)
		return r;
	cfork_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->ready = calloc(size, sizeof(*pool->ready));
	pool->taken = calloc(size, sizeof(*pool->taken));
	r = pool->ready && pool->taken ? pool_copy_attr(pool, attr) : -ENOMEM;
	if (r < 0) {
		free(pool->ready);
		free(pool->taken);
		free(pool);
		return r;
	}
	pool->size = size;
	pool->owner = process_token();
	pthread_mutex_init(&pool->lock, NULL);
	if (flags == CFORK_POOL_FORK) {
		/* A server serves many calls: its stdout is theirs, and a
		   pid namespace's init and the server would both tell how a
		   call ended. */
		bool pid_ns = attr->sandbox && (attr->sandbox->ns & CFORK_NS_PID);
		r = attr->capture || pid_ns ? -ENOTSUP :
		    server_fds_short() ? -EMFILE : pool_servers(pool);
		if (r < 0) {
			cfork_pool_free(pool);
			return r;
		}
		pool->shape = pool->servers[0].c.shape;
		*ret_pool = pool;
		return 0;
	}
	/* The refill's back-off is timed on the clock the wall clock's
	   changes do not move. */
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->wake, &monotonic);
	pthread_condattr_destroy(&monotonic);
	pthread_cond_init(&pool->filled, NULL);

	/* The caller's signals are its own threads' business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&pool->refill, NULL, pool_refill, pool);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pool->refill_started = r == 0;
	if (r < 0) {
		free(pool->keep_fds);
		free(pool->ready);
		free(pool->taken);
		free(pool);
		return r;
	}
	/* Full before it is returned, or the reason it cannot be. */
	pthread_mutex_lock(&pool->lock);
	while (pool->nready < pool->size && !pool->error)
		pthread_cond_wait(&pool->filled, &pool->lock);
	r = pool->nready < pool->size ? pool->error : 0;
	if (r == 0)
		pool->shape = pool->ready[0].shape;
	pthread_mutex_unlock(&pool->lock);
	if (r < 0) {
		cfork_pool_free(pool);
		return r;
	}
	*ret_pool = pool;
	return 0;
}

/* A waiting child is gone for good: the refill thread replaces it, after
   the call it took (proc, when one did) has ended. */
static void pool_spent(cfork_pool *pool, const cfork_proc *proc)
{
	int pidfd = proc ? cfork_pidfd(proc) : -1;
	int taken = pidfd >= 0 ? fcntl(pidfd, F_DUPFD_CLOEXEC, 3) : -1;

	pthread_mutex_lock(&pool->lock);
	if (taken >= 0 && pool->ntaken < pool->size) {
		pool->taken[pool->ntaken++] = taken;
		taken = -1;
	}
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	if (taken >= 0)
		close(taken);
}

/* A waiting child, alive; false when the pool is empty. */
static bool pool_take(cfork_pool *pool, struct warm_child *c)
{
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		bool have = pool->nready > 0;
		if (have)
			*c = pool->ready[--pool->nready];
		pthread_mutex_unlock(&pool->lock);
		if (!have)
			return false;
		if (warm_alive(c))
			return true;
		warm_discard(c);
		pool_spent(pool, NULL);
	}
}

/* A child the call did not reach (it failed its checks first) goes back. */
static void pool_give_back(cfork_pool *pool, struct warm_child *c)
{
	pthread_mutex_lock(&pool->lock);
	bool kept = !pool->stopping && pool->nready < pool->size;
	if (kept)
		pool->ready[pool->nready++] = *c;
	pthread_mutex_unlock(&pool->lock);
	if (!kept)
		warm_discard(c);
}

/* A server that takes no hand-off now, from where the last call began
   to look; where every one is taking one, the first, waited for. */
static struct fork_server *server_pick(cfork_pool *pool)
{
	unsigned first = __atomic_fetch_add(&pool->next_server, 1,
					    __ATOMIC_RELAXED) % pool->size;

	for (unsigned i = 0; i < pool->size; i++) {
		struct fork_server *fs =
			&pool->servers[(first + i) % pool->size];
		if (pthread_mutex_trylock(&fs->lock) == 0)
			return fs;
	}
	pthread_mutex_lock(&pool->servers[first].lock);
	return &pool->servers[first];
}

/* A server told to bind every symbol at its start that ended with 127
   (nothing of a server's but its dynamic loader exits with 127): the
   loader could not bind them all (a library lacks a symbol that no code
   calls, which a lazy binding never looks up; the loader said which on
   the server's stderr). The pool's servers bind lazily from then on. One
   whose socket has just reached its end of file, or was reset with the
   hand-off unread (ended), is on its way out, and waited for. */
static void server_check_binding(cfork_pool *pool, const struct warm_child *c,
				 bool ended)
{
	siginfo_t si = { 0 };

	if (!c->bound_now || c->pidfd < 0)
		return;
	if (ended) {
		struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };
		(void)poll(&pfd, 1, SERVER_END_MS);
	}
	if (child_waitid(c->pidfd, c->pid, &si,
			 WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 &&
	    si.si_code == CLD_EXITED && si.si_status == 127)
		__atomic_store_n(&pool->bind_lazily, true, __ATOMIC_RELAXED);
}

/* A call to a fork server, launched again if it died; WARM_NOT_SERVED
   where it cannot serve (the call then launches cold). */
static int server_spawn(cfork_pool *pool, cfork_proc **ret_proc,
			const char *name, const cfork_value *argv, size_t argc)
{
	struct fork_server *fs = server_pick(pool);
	struct warm_child *c = &fs->c;
	int r = WARM_NOT_SERVED;

	/* Stopped, its standby, which is not, would take the call, whose
	   end the server could not tell until it goes on. It is let go of,
	   not killed (job control may have stopped it): the calls it runs
	   end as they would once it is continued, and so does it. */
	if (c->pid > 0) {
		enum server_state state = server_state(c->ref);
		if (state != SERVER_RUNS && state != SERVER_STOPPED)
			server_check_binding(pool, c, false);
		if (state != SERVER_RUNS)
			server_stop(c, state != SERVER_STOPPED);
	}
	if (c->pid < 0)
		(void)server_start(pool, c);
	if (c->pid > 0) {
		r = pool_call(pool, ret_proc, name, argv, argc, c);
		/* One that answered too late to take more calls ends after
		   them; the call is its child's even where the spawn failed
		   after the answer. A hand-off it did not answer, or a server
		   started while the sandbox was another: it is launched anew,
		   and the call launches cold. One that is only slow to answer
		   (stopped, or starved of the CPU) or of another shape is let
		   go of as one that answered late: the calls it runs are not
		   ended for it. A stopped one is continued, so that it drops
		   the hand-off it did not answer (and the caller's fds in it)
		   and ends after its calls. */
		bool slow = r == -ETIMEDOUT || r == WARM_SHAPE_DIFFERS;
		if (c->retiring) {
			server_stop(c, false);
		} else if (r == WARM_SHAPE_DIFFERS || (r < 0 && c->sock < 0)) {
			server_check_binding(pool, c, r == -EPIPE ||
						      r == -ECONNRESET);
			if (r == -ETIMEDOUT)
				warm_signal(c, SIGCONT);
			server_stop(c, !slow);
			r = WARM_NOT_SERVED;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return r;
}

int cfork_pool_spawnv(cfork_pool *pool, cfork_proc **ret_proc,
		      const char *name, const cfork_value *argv, size_t argc)
{
	PROTECT_ERRNO;
	struct warm_child c;
	int r;

	if (!pool || !ret_proc)
		return -EINVAL;
	/* A copy of the pool in a child of fork(): the children and servers
	   are the parent's, which only the parent can check or hand a call
	   to; the call launches cold. */
	if (process_token() != pool->owner)
		return pool_call(pool, ret_proc, name, argv, argc, NULL);
	if (pool->servers) {
		r = server_spawn(pool, ret_proc, name, argv, argc);
		if (r != WARM_NOT_SERVED)
			return r;
		return pool_call(pool, ret_proc, name, argv, argc, NULL);
	}
	if (pool_take(pool, &c)) {
		r = pool_call(pool, ret_proc, name, argv, argc, &c);
		if (r == 0) {
			pool_spent(pool, *ret_proc);
			return 0;
		}
		if (r == WARM_SHAPE_DIFFERS) {
			warm_discard(&c);
			pool_spent(pool, NULL);
			return pool_call(pool, ret_proc, name, argv, argc, NULL);
		}
		/* Untouched: the child waits on. The call's own error (before
		   any hand-off) is the caller's; a hand-off the kernel would
		   not queue launches cold. */
		if (c.sock >= 0 && c.pid > 0) {
			pool_give_back(pool, &c);
			if (r != WARM_NOT_SERVED)
				return r;
			return pool_call(pool, ret_proc, name, argv, argc, NULL);
		}
		/* Handed over, then failed (the spawn ended the child): the
		   call may have begun, so it is not run again anywhere. */
		pool_spent(pool, NULL);
		if (c.pid > 0)
			warm_discard(&c);
		return r;
	}
	return pool_call(pool, ret_proc, name, argv, argc, NULL);
}

void cfork_pool_free(cfork_pool *pool)
{
	PROTECT_ERRNO;
	if (!pool)
		return;
	/* A copy of the pool in a child of fork(): its fds and memory go;
	   the children and servers are the parent's (a copy's
	   server_ref_put() neither waits for nor signals a server). The
	   refill thread, which a fork does not copy, is neither told nor
	   waited for, and the locks and condition variables, as other
	   threads may have left them, are not destroyed. */
	bool copy = process_token() != pool->owner;
	if (pool->servers) {
		/* Each server's end of file: it lets the calls it runs finish
		   (its children, which die with it), tells how each ended,
		   and exits; the last of their handles reaps it. */
		for (unsigned i = 0; i < pool->size; i++) {
			server_stop(&pool->servers[i].c, false);
			if (!copy)
				pthread_mutex_destroy(&pool->servers[i].lock);
		}
		free(pool->servers);
	} else if (pool->refill_started && !copy) {
		pthread_mutex_lock(&pool->lock);
		pool->stopping = true;
		pthread_cond_broadcast(&pool->wake);
		pthread_mutex_unlock(&pool->lock);
		pthread_join(pool->refill, NULL);
	}
	for (unsigned i = 0; i < pool->nready; i++)
		(copy ? warm_close : warm_discard)(&pool->ready[i]);
	for (unsigned i = 0; i < pool->ntaken; i++)
		close(pool->taken[i]);
	if (!copy) {
		pthread_cond_destroy(&pool->wake);
		pthread_cond_destroy(&pool->filled);
		pthread_mutex_destroy(&pool->lock);
	}
	free(pool->keep_fds);
	free(pool->ready);
	free(pool->taken);
	free(pool);
}
