/* Test harness for pollers: a real loop, metric registry and worker pool, and a
 * runner that drives polls of poller instances to their end. */
#ifndef DCMON_POLLTEST_H
#define DCMON_POLLTEST_H

#include <stdbool.h>

#include "dcmon/poller.h"
#include "dcmon/workq.h"

struct polltest {
	struct loop *loop;
	struct metric_reg *reg;
	struct workq *wq;
	struct poller_env env;
};

/* One poll to run: ops + instance in, outcome and reason out. */
struct polltest_poll {
	const struct poller_ops *ops;
	void *inst;
	struct poll_job job;
	bool done;
	enum poll_outcome outcome;
	char reason[128];
	struct polltest *t;
};

/* Sets up loop, registry and a 2-thread pool (asserting success). */
void polltest_init(struct polltest *t);
void polltest_fini(struct polltest *t);

/* Starts n polls at once, each with a deadline deadline_ms from now, and runs the loop
 * until all are done (at most deadline_ms + 10 s, after which the test fails). */
void polltest_run(struct polltest *t, struct polltest_poll *polls, int n, int64_t deadline_ms);

/* Runs one poll and returns its outcome; reason copied into reason (may be NULL). */
enum poll_outcome polltest_once(struct polltest *t, const struct poller_ops *ops, void *inst,
				int64_t deadline_ms, char *reason, size_t reasonlen);

/* Creates an instance of ops for dev, asserting wants() and create() succeed. */
void *polltest_create(struct polltest *t, const struct poller_ops *ops,
		      const struct cfg_device *dev);

/* The metric, asserting it exists. */
struct metric *polltest_metric(struct polltest *t, const char *dev, const char *name,
			       const char *inst);

/* Moves the process into a new network namespace with only loopback, up, so that no
 * packet can leave the machine.  False if not permitted (tests then skip). */
bool polltest_private_netns(void);

/* Writes a value to a /proc/sys file; 0 or negative errno. */
int polltest_sysctl(const char *path, const char *value);

/* Open file descriptors of this process (entries of /proc/self/fd, asserting it opens). */
int polltest_count_fds(void);

/* Runs the loop until *counter changes (a callback that counts also stops the loop),
 * failing the test after limit_ms. */
void polltest_run_until_count(struct loop *loop, const int *counter, int64_t limit_ms);

#endif
