/* Nagios-compatible plugins as checks: the output parser (plugin_perf.c) and the child
 * process runner with its concurrency limit (plugin_run.c), used by plugin.c.
 * Private to pollers/.
 *
 * Output format (Nagios plugin guidelines): the first line is "TEXT|PERFDATA"; later
 * lines are long text, and the first '|' among them starts more perfdata running to
 * the end.  A perfdata item is `label=value[UOM];[warn];[crit];[min];[max]`, labels with
 * spaces single-quoted ('' is a quote), items separated by spaces.
 */
#ifndef DCMON_PLUGIN_H
#define DCMON_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "dcmon/loop.h"

#define PLUGIN_OUTPUT_MAX 8192 /* bytes of a plugin's stdout kept; the rest is discarded */
#define PLUGIN_LABEL_MAX  64   /* bytes of a perfdata label kept, incl. NUL */
#define PLUGIN_PERF_MAX   64   /* perfdata items of one run made metrics; the rest skipped */

/* ---- output and perfdata (plugin_perf.c) ---------------------------------------- */

/* What a plugin's output says, pointing into the (modified) output buffer. */
struct plugin_output {
	const char *summary; /* first line without its perfdata, trimmed; "" if none */
	const char *perf[2]; /* perfdata of the first line, of the long text; NULL if none */
};

/* Splits out (NUL-terminated, modified in place) into summary and perfdata. */
void plugin_output_split(char *out, struct plugin_output *po);

/* Unit of a perfdata value, after scaling to the base unit (ms -> s, KB -> bytes). */
enum plugin_unit { PU_NONE, PU_SECONDS, PU_PERCENT, PU_BYTES, PU_COUNTER };

/* A Nagios threshold range: alert when the value is outside [lo, hi] (inside with @). */
struct plugin_range {
	bool set;
	bool inside; /* '@': alert inside the range */
	double lo, hi; /* -INFINITY / INFINITY for "~" and a missing end */
};

struct plugin_perf {
	char label[PLUGIN_LABEL_MAX];
	double value;   /* in the base unit; NAN when the plugin wrote "U" */
	enum plugin_unit unit;
	struct plugin_range warn, crit; /* in the base unit */
};

/* Parses one perfdata text, calling fn for each well-formed item.  Returns the number of
 * items that were not (unknown unit, bad number, missing '='). */
size_t plugin_perf_parse(const char *text, void (*fn)(void *arg, const struct plugin_perf *p),
			 void *arg);

/* The level the item's own thresholds give its value: 0 ok, 1 warning, 2 critical. */
int plugin_perf_level(const struct plugin_perf *p);

/* ---- running a plugin (plugin_run.c) --------------------------------------------- */

/* How a run ended. */
enum plugin_end {
	PLUGIN_EXITED,   /* code = exit status */
	PLUGIN_SIGNALED, /* code = the signal that ended it */
	PLUGIN_TIMEOUT,  /* killed (its process group) at its deadline */
	PLUGIN_FAILED,   /* could not be started: code = errno */
};

struct plugin_result {
	enum plugin_end end;
	int code;
	char *out;          /* stdout, NUL-terminated, at most PLUGIN_OUTPUT_MAX bytes */
	size_t outlen;
	bool truncated;     /* the plugin wrote more than PLUGIN_OUTPUT_MAX bytes */
	double runtime_s;   /* spawn to exit (or to the kill) */
};

/* Called once on the loop thread when the run ends; r is valid during the call only. */
typedef void (*plugin_done_fn)(void *arg, const struct plugin_result *r);

struct plugin_run;

/* Starts argv[0] (an absolute path) with argv, no shell, an environment of only
 * PATH=/usr/sbin:/usr/bin:/sbin:/bin and LC_ALL=C, stdin /dev/null, stderr discarded,
 * in a process group of its own.  At deadline_ms (monotonic) the group is killed and
 * done reports PLUGIN_TIMEOUT.  Returns the run; a spawn failure is reported through
 * done before the return (and NULL returned).  Takes one slot of the limit. */
struct plugin_run *plugin_run_start(struct loop *loop, char *const argv[], int64_t deadline_ms,
				    plugin_done_fn done, void *arg);

/* Forgets the run's owner: done is never called; the group is killed and the process
 * reaped on the loop when it has gone.  NULL is a no-op. */
void plugin_run_abandon(struct plugin_run *r);

/* A check waiting for a slot of the limit; ready is called (loop thread) once a slot is
 * its, after which it must call plugin_run_start at once. */
struct plugin_waiter {
	void (*ready)(struct plugin_waiter *w);
	TAILQ_ENTRY(plugin_waiter) link;
	bool queued;
};

/* Sets the limit of plugins running at once (all devices; daemon.plugin_concurrency). */
void plugin_run_set_limit(size_t limit);
/* True if a plugin may start now (a slot is free and nobody waits for one). */
bool plugin_run_slot_free(void);
/* Queues w for the next free slot; plugin_run_unwait takes it out (no-op if not queued). */
void plugin_run_wait(struct plugin_waiter *w);
void plugin_run_unwait(struct plugin_waiter *w);
/* When the last plugin check goes (shutdown): kills every plugin still alive and reaps
 * it, waiting at most PLUGIN_RELEASE_WAIT_MS in all; one stuck in the kernel past that
 * is left to init.  Only abandoned runs may be alive then. */
#define PLUGIN_RELEASE_WAIT_MS 200
void plugin_run_release_all(void);
/* Plugins running (processes not yet reaped), for tests. */
size_t plugin_run_count(void);

#endif
