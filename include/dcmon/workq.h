/* A small pool of worker threads for libraries that block (libmodbus, libesmtp,
 * librrd graphs).  Work runs on a worker; its completion runs on the loop thread.
 */
#ifndef DCMON_WORKQ_H
#define DCMON_WORKQ_H

#include <stddef.h>

#include "dcmon/loop.h"

struct workq;

typedef void (*workq_fn)(void *arg);               /* runs on a worker thread */
typedef void (*workq_done_fn)(struct loop *loop, void *arg); /* runs on the loop thread */

/* Starts nthreads (1..64) workers that post completions to `loop`.  NULL on failure. */
struct workq *workq_new(struct loop *loop, int nthreads);
/* Stops the workers after the queued work is done (completions are dropped) and frees
 * the pool.  NULL is a no-op. */
void workq_free(struct workq *wq);
/* Queues work; done (may be NULL) is posted to the loop afterwards.  0 or -ENOMEM. */
int workq_submit(struct workq *wq, workq_fn work, workq_done_fn done, void *arg);
/* Number of items queued or running. */
size_t workq_pending(struct workq *wq);

#endif
