/* Running plugins: posix_spawn (no shell, cleared environment, own process group), a
 * pidfd and a non-blocking stdout pipe on the loop, a deadline timer that kills the
 * group, and one limit of processes alive at once shared by every plugin check.
 *
 * Nothing here waits: the exit is seen when the pidfd turns readable, the output as it
 * arrives.  A killed or abandoned plugin stays counted against the limit until it is
 * reaped, so plugins stuck in the kernel (a hung NFS mount) cannot pile up unbounded.
 */
#include "plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dcmon/log.h"
#include "pidwatch.h"
#include "pollutil.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct plugin_run {
	struct loop *loop;
	plugin_done_fn done;   /* NULL once abandoned */
	void *arg;
	pid_t pid;
	int pidfd;             /* -1 once reaped */
	int outfd;             /* read end of stdout; -1 at EOF */
	struct loop_timer *timer;
	bool killed;           /* by the deadline */
	double t0_s, t1_s;     /* spawn and exit (or kill), monotonic seconds */
	char out[PLUGIN_OUTPUT_MAX + 1];
	size_t outlen;
	bool truncated;
	LIST_ENTRY(plugin_run) link; /* alive */
};

/* Every run with a process not yet reaped, the limit, and the checks waiting for it. */
static struct {
	LIST_HEAD(, plugin_run) alive;
	size_t nalive;
	size_t limit;
	TAILQ_HEAD(, plugin_waiter) waiters;
	bool init;
} pool = {.limit = 16};

static void pool_init(void)
{
	if (pool.init)
		return;
	LIST_INIT(&pool.alive);
	TAILQ_INIT(&pool.waiters);
	pool.init = true;
}

void plugin_run_set_limit(size_t limit)
{
	pool.limit = limit ? limit : 1;
}

size_t plugin_run_count(void)
{
	return pool.nalive;
}

bool plugin_run_slot_free(void)
{
	pool_init();
	return pool.nalive < pool.limit && TAILQ_EMPTY(&pool.waiters);
}

void plugin_run_wait(struct plugin_waiter *w)
{
	pool_init();
	TAILQ_INSERT_TAIL(&pool.waiters, w, link);
	w->queued = true;
}

void plugin_run_unwait(struct plugin_waiter *w)
{
	if (!w->queued)
		return;
	TAILQ_REMOVE(&pool.waiters, w, link);
	w->queued = false;
}

/* A slot was freed: hands the free slots to the first waiters (one whose plugin could
 * not be started leaves its slot to the next). */
static void pool_hand_on(void)
{
	struct plugin_waiter *w;
	while ((w = TAILQ_FIRST(&pool.waiters)) != NULL && pool.nalive < pool.limit) {
		plugin_run_unwait(w);
		w->ready(w);
	}
}

/* ---- the process ---------------------------------------------------------------- */

static void run_close_out(struct plugin_run *r)
{
	if (r->outfd < 0)
		return;
	loop_io_del(r->loop, r->outfd);
	close(r->outfd);
	r->outfd = -1;
}

/* Reads what is there; past PLUGIN_OUTPUT_MAX bytes the output is discarded, so a
 * plugin flooding stdout neither blocks on a full pipe nor grows our memory. */
static void run_drain(struct plugin_run *r)
{
	char sink[16384];
	for (int i = 0; i < 64 && r->outfd >= 0; i++) {
		size_t room = PLUGIN_OUTPUT_MAX - r->outlen;
		char *dst = room ? r->out + r->outlen : sink;
		ssize_t n = read(r->outfd, dst, room ? room : sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			run_close_out(r);
			return;
		}
		if (room)
			r->outlen += (size_t)n;
		else
			r->truncated = true;
	}
}

static void run_on_out(struct loop *loop, int fd, unsigned events, void *arg)
{
	run_drain(arg);
}

static void run_free(struct plugin_run *r)
{
	loop_timer_cancel(r->loop, r->timer);
	run_close_out(r);
	if (r->pidfd >= 0) {
		loop_io_del(r->loop, r->pidfd);
		close(r->pidfd);
	}
	free(r);
}

static void run_report(struct plugin_run *r, const siginfo_t *si)
{
	struct plugin_result res = {
		.out = r->out, .outlen = r->outlen, .truncated = r->truncated,
		.runtime_s = r->t1_s - r->t0_s,
	};
	r->out[r->outlen] = '\0';
	if (r->killed) {
		res.end = PLUGIN_TIMEOUT;
	} else if (si->si_code == CLD_EXITED) {
		res.end = PLUGIN_EXITED;
		res.code = si->si_status;
	} else {
		res.end = PLUGIN_SIGNALED;
		res.code = si->si_status;
	}
	r->done(r->arg, &res);
}

/* The plugin has exited: the rest of its output, then the group (children it left
 * holding the pipe), then reaping; the leader is a zombie until then, so its process
 * group id cannot have been reused by the kill. */
static void run_on_exit(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct plugin_run *r = arg;
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (!r->killed)
		r->t1_s = pollutil_mono_s();
	run_drain(r);
	kill(-r->pid, SIGKILL);
	if (waitid((idtype_t)P_PIDFD, (id_t)r->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return; /* not yet: the pidfd stays readable */
	LIST_REMOVE(r, link);
	pool.nalive--;
	if (r->done)
		run_report(r, &si);
	run_free(r);
	pool_hand_on();
}

static void run_on_deadline(struct loop *loop, void *arg)
{
	struct plugin_run *r = arg;

	r->timer = NULL;
	r->killed = true;
	r->t1_s = pollutil_mono_s();
	kill(-r->pid, SIGKILL);
}

static int spawn(struct plugin_run *r, char *const argv[], int outw)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outw, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* no socket of ours, CLOEXEC or not */
	posix_spawnattr_init(&at);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);   /* the loop blocks signals for its signalfd */
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&r->pid, argv[0], &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -rc;
}

/* Spawns and watches; 0 or a negative errno (the run not counted then). */
static int run_begin(struct plugin_run *r, char *const argv[], int64_t deadline_ms)
{
	int pipefd[2];
	int rc;

	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	r->t0_s = pollutil_mono_s();
	rc = spawn(r, argv, pipefd[1]);
	close(pipefd[1]);
	r->outfd = pipefd[0];
	if (rc < 0)
		return rc;
	r->pidfd = pidwatch_pidfd_open(r->pid);
	if (r->pidfd < 0) {
		rc = r->pidfd;
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0); /* just killed: gone at once */
		return rc;
	}
	LIST_INSERT_HEAD(&pool.alive, r, link);
	pool.nalive++;
	r->timer = loop_timer_at(r->loop, deadline_ms, run_on_deadline, r);
	if (r->timer == NULL || loop_io_add(r->loop, r->outfd, LOOP_READ, run_on_out, r) < 0 ||
	    loop_io_add(r->loop, r->pidfd, LOOP_READ, run_on_exit, r) < 0) {
		r->killed = true; /* reported as a timeout if the watch fails: kill it now */
		kill(-r->pid, SIGKILL);
		return 0;
	}
	return 0;
}

struct plugin_run *plugin_run_start(struct loop *loop, char *const argv[], int64_t deadline_ms,
				    plugin_done_fn done, void *arg)
{
	struct plugin_run *r = calloc(1, sizeof(*r));
	int rc = -ENOMEM;

	pool_init();
	if (r) {
		r->loop = loop;
		r->done = done;
		r->arg = arg;
		r->pidfd = r->outfd = -1;
		rc = run_begin(r, argv, deadline_ms);
	}
	if (rc == 0)
		return r;
	struct plugin_result res = {.end = PLUGIN_FAILED, .code = -rc, .out = (char *)""};
	if (r)
		run_free(r);
	done(arg, &res);
	return NULL;
}

void plugin_run_abandon(struct plugin_run *r)
{
	if (r == NULL)
		return;
	r->done = NULL;
	kill(-r->pid, SIGKILL);
}

/* Waits at most budget_ms for an abandoned run's killed process and reaps it. */
static void run_reap_now(struct plugin_run *r, int budget_ms)
{
	struct pollfd pfd = {.fd = r->pidfd, .events = POLLIN};
	siginfo_t si;

	kill(-r->pid, SIGKILL);
	if (budget_ms > 0 && poll(&pfd, 1, budget_ms) < 0)
		return;
	waitid((idtype_t)P_PIDFD, (id_t)r->pidfd, &si, WEXITED | WNOHANG);
}

void plugin_run_release_all(void)
{
	int64_t until = clock_mono_ms() + PLUGIN_RELEASE_WAIT_MS;
	struct plugin_run *r;

	pool_init();
	while ((r = LIST_FIRST(&pool.alive)) != NULL) {
		int64_t left = until - clock_mono_ms();
		run_reap_now(r, left > 0 ? (int)left : 0);
		LIST_REMOVE(r, link);
		pool.nalive--;
		run_free(r);
	}
}
