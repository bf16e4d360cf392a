/* pidwatch: process exits noticed through pidfds on the event loop (see pidwatch.h).
 *
 * A pidfd becomes readable (level-triggered, for good) once its process has exited, so
 * the watcher is removed and the fd closed in the same callback that reports the exit.
 * A pid reused between the scan that matched it and pidfd_open() would be watched in
 * place of the process that was matched; the next regular poll corrects the count.
 */
#include "pidwatch.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif

struct pidwatch_entry {
	pid_t pid;
	int fd;    /* the pidfd, registered on the loop */
	bool kept; /* matched again since pidwatch_begin() */
};

struct pidwatch {
	struct loop *loop;
	pidwatch_exit_cb cb;
	void *arg;
	struct pidwatch_entry *e; /* e[0..n) in use */
	size_t n, max;            /* entries in use, capacity (pidfds) */
};

int pidwatch_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

struct pidwatch *pidwatch_new(struct loop *loop, size_t max, pidwatch_exit_cb cb, void *arg)
{
	struct pidwatch *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->e = calloc(max ? max : 1, sizeof(*w->e))) == NULL) {
		free(w);
		return NULL;
	}
	w->loop = loop;
	w->max = max;
	w->cb = cb;
	w->arg = arg;
	return w;
}

/* Unwatches, closes and forgets entry i (the last entry takes its place). */
static void pidwatch_drop(struct pidwatch *w, size_t i)
{
	loop_io_del(w->loop, w->e[i].fd);
	close(w->e[i].fd);
	w->e[i] = w->e[--w->n];
}

void pidwatch_free(struct pidwatch *w)
{
	if (w == NULL)
		return;
	while (w->n > 0)
		pidwatch_drop(w, w->n - 1);
	free(w->e);
	free(w);
}

static ssize_t pidwatch_find_fd(const struct pidwatch *w, int fd)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->e[i].fd == fd)
			return (ssize_t)i;
	return -1;
}

static ssize_t pidwatch_find_pid(const struct pidwatch *w, pid_t pid)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->e[i].pid == pid)
			return (ssize_t)i;
	return -1;
}

/* The pidfd is readable: the process has exited. */
static void pidwatch_on_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct pidwatch *w = arg;
	ssize_t i = pidwatch_find_fd(w, fd);
	pid_t pid;

	(void)loop;
	(void)events;
	if (i < 0) {
		loop_io_del(w->loop, fd); /* not ours any more: never spin on it */
		return;
	}
	pid = w->e[i].pid;
	pidwatch_drop(w, (size_t)i);
	w->cb(w->arg, pid); /* last: the callback may refresh the set */
}

void pidwatch_begin(struct pidwatch *w)
{
	for (size_t i = 0; i < w->n; i++)
		w->e[i].kept = false;
}

int pidwatch_keep(struct pidwatch *w, pid_t pid)
{
	ssize_t i = pidwatch_find_pid(w, pid);
	int fd, rc;

	if (i >= 0) {
		w->e[i].kept = true;
		return 0;
	}
	if (w->n >= w->max)
		return -ENOSPC;
	if ((fd = pidwatch_pidfd_open(pid)) < 0) {
		if (fd == -ESRCH)
			w->cb(w->arg, pid); /* exited since the scan read it */
		return fd;
	}
	if ((rc = loop_io_add(w->loop, fd, LOOP_READ, pidwatch_on_io, w)) < 0) {
		close(fd);
		return rc;
	}
	w->e[w->n++] = (struct pidwatch_entry){.pid = pid, .fd = fd, .kept = true};
	return 0;
}

void pidwatch_end(struct pidwatch *w)
{
	for (size_t i = w->n; i-- > 0;)
		if (!w->e[i].kept)
			pidwatch_drop(w, i);
}

size_t pidwatch_count(const struct pidwatch *w)
{
	return w->n;
}

bool pidwatch_has(const struct pidwatch *w, pid_t pid)
{
	return pidwatch_find_pid(w, pid) >= 0;
}
