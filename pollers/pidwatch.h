/* pidwatch: a bounded set of process pidfds (pidfd_open(2), Linux >= 5.3) watched on the
 * event loop, so a process exit is noticed the moment it happens instead of at the next
 * poll.  The owner refreshes the set after each scan (begin, keep every matched pid,
 * end) and is told through on_exit when a watched process has exited; the set never
 * waits on anything (pidfd_open and close do not block).  Loop thread only.
 * Private to pollers/.
 */
#ifndef DCMON_PIDWATCH_H
#define DCMON_PIDWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dcmon/loop.h"

struct pidwatch;

/* Called (loop thread) when a watched process has exited, or was found gone when its
 * pidfd was to be opened; the pidfd is already closed and forgotten. */
typedef void (*pidwatch_exit_cb)(void *arg, pid_t pid);

/* A set of at most max pidfds; NULL on no memory.  pidwatch_free(NULL) is a no-op;
 * free closes every pidfd and removes it from the loop. */
struct pidwatch *pidwatch_new(struct loop *loop, size_t max, pidwatch_exit_cb cb, void *arg);
void pidwatch_free(struct pidwatch *w);

/* Starts a refresh: every watched pid counts as no longer matched until kept again. */
void pidwatch_begin(struct pidwatch *w);
/* pid matched in this scan: keeps its pidfd or opens one.  Returns 0 (watched),
 * -ENOSPC (the set is full: the pid is left to polling), -ESRCH (the process has
 * already gone: on_exit has been called), -ENOSYS / -EPERM (no pidfds here: the caller
 * should stop asking), or another negative errno (EMFILE, ENOMEM...). */
int pidwatch_keep(struct pidwatch *w, pid_t pid);
/* Ends a refresh: closes the pidfds of processes not kept since pidwatch_begin(). */
void pidwatch_end(struct pidwatch *w);
/* Number of pidfds open. */
size_t pidwatch_count(const struct pidwatch *w);
/* True if pid is watched. */
bool pidwatch_has(const struct pidwatch *w, pid_t pid);

/* pidfd_open(pid, 0) through syscall(2) (older glibc has no wrapper): the fd or a
 * negative errno. */
int pidwatch_pidfd_open(pid_t pid);

#endif
