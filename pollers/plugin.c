/* plugin: Nagios-compatible check plugins (`checks: plugin:` of a device).
 *
 * Metrics, per check (instance label "check"; instance the check's name, and
 * "name/label" for a perfdata item):
 *
 * | name                    | kind    | unit    | meaning                                  |
 * |-------------------------|---------|---------|------------------------------------------|
 * | plugin_state            | state   |         | exit code: 0 ok, 1 warning, 2 critical,  |
 * |                         |         |         | 3 unknown; an error (timeout, signal,    |
 * |                         |         |         | other exit code, no exec) otherwise      |
 * | plugin_duration_seconds | gauge   | seconds | the plugin's run time                    |
 * | plugin_perf_seconds     | gauge   | seconds | perfdata in s, ms, us                    |
 * | plugin_perf_percent     | gauge   | percent | perfdata in %                            |
 * | plugin_perf_bytes       | gauge   | bytes   | perfdata in B, KB, MB, GB, TB (1024)     |
 * | plugin_perf_total       | counter |         | perfdata in c (a per-second rate)        |
 * | plugin_perf_count       | gauge   |         | perfdata without a unit                  |
 * | plugin_perf_state       | state   |         | the item's own warn/crit thresholds:     |
 * |                         |         |         | 0 ok, 1 warning, 2 critical              |
 *
 * The first output line is the reason: in the log on every change of state
 * ("ssh: ok -> critical: CRITICAL - Socket timeout"), as the poll's reason while not ok,
 * and as the error's reason.  Plugins run as child processes watched on the loop
 * (plugin_run.c), at most daemon.plugin_concurrency at once; a check waiting for a
 * slot past its poll's deadline ends as "timeout (waiting for a plugin slot)".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/plugin_check.h"
#include "plugin.h"
#include "pollers.h"
#include "pollutil.h"

static const struct metric_enum plugin_states[] = {
	{0, "ok"}, {1, "warning"}, {2, "critical"}, {3, "unknown"},
};
#define PLUGIN_STATE_NONE -1 /* no state yet, or an error */

struct plugin_inst;

struct plugin_check {
	struct plugin_inst *in;
	char *name;
	char **argv;                  /* NULL-terminated copy of the command */
	int64_t timeout_ms;
	struct metric *m_state, *m_duration;
	struct plugin_waiter waiter;  /* queued for a slot of the limit */
	struct plugin_run *run;       /* the plugin in flight, NULL when none */
	struct loop_timer *timer;     /* the poll deadline while queued */
	int state;                    /* last exit state, PLUGIN_STATE_NONE on error */
	char summary[METRIC_REASON_MAX]; /* first output line, or why it failed */
};

struct plugin_inst {
	const struct poller_env *env;
	char *dev;
	int64_t interval_ms;
	struct plugin_check *checks;
	size_t n;
	struct poll_job *job;         /* NULL when idle */
	size_t nrunning;
	bool starting;                /* inside start(): defer the end of the poll */
};

static size_t plugin_instances; /* the last one gone, the plugins still alive are reaped */

static bool plugin_wants(const struct cfg_device *dev)
{
	size_t n;
	plugin_checks_of(dev, &n);
	return n > 0;
}

/* ---- create / free -------------------------------------------------------------- */

static void plugin_check_clear(struct plugin_check *c)
{
	if (c->argv)
		for (char **a = c->argv; *a; a++)
			free(*a);
	free(c->argv);
	free(c->name);
}

static void plugin_free(void *arg)
{
	struct plugin_inst *in = arg;

	if (in == NULL)
		return;
	for (size_t i = 0; i < in->n; i++)
		plugin_check_clear(&in->checks[i]);
	free(in->checks);
	free(in->dev);
	free(in);
	if (--plugin_instances == 0)
		plugin_run_release_all();
}

/* A metric of a check (inst "name") or of a perfdata item ("name/label"); nstates > 0
 * makes it a state with the first nstates names of plugin_states.  A perfdata metric the
 * registry refuses (the device's series limit, a label that changed its unit) is skipped
 * without a word at every poll: the registry says it once. */
static struct metric *plugin_metric(const struct plugin_inst *in, const char *inst,
				    const char *name, const char *unit, enum metric_kind kind,
				    size_t nstates)
{
	struct metric_desc d = {
		.name = name, .unit = unit, .kind = nstates ? METRIC_STATE : kind,
		.inst_label = "check", .inst = inst, .interval_ms = in->interval_ms,
		.enums = nstates ? plugin_states : NULL, .nenums = nstates,
	};
	if (strchr(inst, '/'))
		return metric_reg_get(in->env->reg, in->dev, &d);
	return pollutil_metric(in->env, in->dev, &d);
}

static bool plugin_check_init(struct plugin_check *c, struct plugin_inst *in,
			      const struct cfg_device *dev, const struct cfg_plugin *p)
{
	c->in = in;
	c->state = PLUGIN_STATE_NONE;
	c->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : dev->timeout_ms;
	c->name = strdup(p->name);
	c->argv = calloc(p->ncommand + 1, sizeof(*c->argv));
	if (c->name == NULL || c->argv == NULL)
		return false;
	for (size_t i = 0; i < p->ncommand; i++)
		if ((c->argv[i] = strdup(p->command[i])) == NULL)
			return false;
	c->m_state = plugin_metric(in, c->name, "plugin_state", "", METRIC_STATE, 4);
	c->m_duration = plugin_metric(in, c->name, "plugin_duration_seconds", "seconds",
				      METRIC_GAUGE, 0);
	return c->m_state && c->m_duration;
}

static void *plugin_create(const struct poller_env *env, const struct cfg_device *dev,
			   char *err, size_t errlen)
{
	struct plugin_inst *in = calloc(1, sizeof(*in));
	size_t nplugin;
	const struct cfg_plugin *plugins = plugin_checks_of(dev, &nplugin);

	plugin_instances++;
	plugin_run_set_limit((size_t)env->cfg->daemon.plugin_concurrency);
	if (in == NULL || (in->checks = calloc(nplugin, sizeof(*in->checks))) == NULL ||
	    (in->dev = strdup(dev->id)) == NULL)
		goto fail;
	in->env = env;
	in->interval_ms = dev->interval_ms;
	for (; in->n < nplugin; in->n++) {
		if (!plugin_check_init(&in->checks[in->n], in, dev, &plugins[in->n])) {
			in->n++;
			goto fail;
		}
	}
	return in;
fail:
	snprintf(err, errlen, "plugin: cannot set up checks (memory or metric names)");
	if (in == NULL)
		plugin_instances--;
	plugin_free(in);
	return NULL;
}

/* ---- results ------------------------------------------------------------------ */

struct perf_ctx {
	struct plugin_check *c;
	int64_t ts;
	size_t n; /* items reported so far */
};

/* The metric of each perfdata unit (values scaled to it by plugin_perf.c). */
static const struct {
	const char *name, *unit;
	enum metric_kind kind;
} perf_series[] = {
	[PU_NONE] = {"plugin_perf_count", "", METRIC_GAUGE},
	[PU_SECONDS] = {"plugin_perf_seconds", "seconds", METRIC_GAUGE},
	[PU_PERCENT] = {"plugin_perf_percent", "percent", METRIC_GAUGE},
	[PU_BYTES] = {"plugin_perf_bytes", "bytes", METRIC_GAUGE},
	[PU_COUNTER] = {"plugin_perf_total", "", METRIC_COUNTER},
};

/* One perfdata item: its value, and the level of its own thresholds when it has any. */
static void plugin_perf_report(void *arg, const struct plugin_perf *p)
{
	struct perf_ctx *x = arg;
	struct plugin_inst *in = x->c->in;
	struct metric_reg *reg = in->env->reg;
	char inst[METRIC_INST_MAX];

	if (x->n++ >= PLUGIN_PERF_MAX)
		return;
	snprintf(inst, sizeof(inst), "%s/%s", x->c->name, p->label);
	struct metric *m = plugin_metric(in, inst, perf_series[p->unit].name,
					 perf_series[p->unit].unit, perf_series[p->unit].kind, 0);
	if (m == NULL)
		return;
	if (isnan(p->value))
		metric_put_error(reg, m, x->ts, "U (the plugin could not tell)");
	else
		metric_put(reg, m, x->ts, p->value);
	if (!p->warn.set && !p->crit.set)
		return;
	struct metric *ms = plugin_metric(in, inst, "plugin_perf_state", "", METRIC_STATE, 3);
	if (ms && isnan(p->value))
		metric_put_error(reg, ms, x->ts, "U (the plugin could not tell)");
	else if (ms)
		metric_put(reg, ms, x->ts, plugin_perf_level(p));
}

/* Why a run gave no state, into c->summary; the output's first line is kept after it. */
static void plugin_failure(struct plugin_check *c, const struct plugin_result *r,
			   const char *summary)
{
	char why[64];
	switch (r->end) {
	case PLUGIN_TIMEOUT:
		snprintf(why, sizeof(why), "timeout (killed after %.1fs)", r->runtime_s);
		break;
	case PLUGIN_SIGNALED:
		snprintf(why, sizeof(why), "killed by signal SIG%s",
			 sigabbrev_np(r->code) ? sigabbrev_np(r->code) : "?");
		break;
	case PLUGIN_FAILED:
		snprintf(why, sizeof(why), "cannot run %s: %s", c->argv[0], pollutil_errname(r->code));
		break;
	default:
		snprintf(why, sizeof(why), "exit code %d", r->code);
		break;
	}
	pollutil_reason(c->summary, sizeof(c->summary), why, summary);
	if (*summary == '\0')
		snprintf(c->summary, sizeof(c->summary), "%s", why);
}

static const char *plugin_state_name(int state)
{
	return state == PLUGIN_STATE_NONE ? "error" : plugin_states[state].name;
}

/* Logs a change of state with the plugin's words. */
static void plugin_log_change(const struct plugin_check *c, int old)
{
	if (old == c->state)
		return;
	if (c->state == 0)
		log_info("plugin", c->in->dev, "%s: %s -> %s: %s", c->name, plugin_state_name(old),
			 plugin_state_name(c->state), c->summary);
	else
		log_warnx("plugin", c->in->dev, "%s: %s -> %s: %s", c->name,
			  plugin_state_name(old), plugin_state_name(c->state), c->summary);
}

static void plugin_check_end(struct plugin_check *c);

static void plugin_on_done(void *arg, const struct plugin_result *r)
{
	struct plugin_check *c = arg;
	struct metric_reg *reg = c->in->env->reg;
	int64_t ts = c->in->job->ts_ms;
	struct plugin_output po;
	int old = c->state;

	c->run = NULL;
	plugin_output_split(r->out, &po);
	if (r->end == PLUGIN_EXITED && r->code >= 0 && r->code <= 3) {
		c->state = r->code;
		snprintf(c->summary, sizeof(c->summary), "%s", po.summary);
		metric_put(reg, c->m_state, ts, c->state);
	} else {
		c->state = PLUGIN_STATE_NONE;
		plugin_failure(c, r, po.summary);
		metric_put_error(reg, c->m_state, ts, c->summary);
	}
	if (r->end != PLUGIN_FAILED)
		metric_put(reg, c->m_duration, ts, r->runtime_s);
	struct perf_ctx x = {c, ts, 0};
	for (int i = 0; i < 2 && r->end != PLUGIN_TIMEOUT; i++)
		if (po.perf[i])
			plugin_perf_parse(po.perf[i], plugin_perf_report, &x);
	plugin_log_change(c, old);
	plugin_check_end(c);
}

/* ---- the poll ----------------------------------------------------------------- */

static void plugin_poll_end(struct plugin_inst *in)
{
	struct poll_job *job = in->job;
	const struct plugin_check *bad = NULL;
	char why[METRIC_REASON_MAX];

	for (size_t i = 0; i < in->n && bad == NULL; i++)
		if (in->checks[i].state != 0)
			bad = &in->checks[i];
	in->job = NULL;
	if (bad == NULL) {
		poll_job_done(job, POLL_OK, NULL);
		return;
	}
	snprintf(why, sizeof(why), "%.40s: %s: %.70s", bad->name, plugin_state_name(bad->state),
		 bad->summary);
	poll_job_done(job, POLL_PARTIAL, why);
}

static void plugin_check_end(struct plugin_check *c)
{
	struct plugin_inst *in = c->in;

	loop_timer_cancel(in->env->loop, c->timer);
	c->timer = NULL;
	if (--in->nrunning == 0 && !in->starting)
		plugin_poll_end(in);
}

static void plugin_launch(struct plugin_check *c)
{
	struct loop *loop = c->in->env->loop;
	int64_t end = loop_now_ms(loop) + c->timeout_ms;
	int64_t deadline = c->in->job->deadline_ms;

	loop_timer_cancel(loop, c->timer);
	c->timer = NULL;
	c->run = plugin_run_start(loop, c->argv, end < deadline ? end : deadline, plugin_on_done, c);
}

static void plugin_on_slot(struct plugin_waiter *w)
{
	plugin_launch((struct plugin_check *)((char *)w - offsetof(struct plugin_check, waiter)));
}

/* The poll's deadline came while the check still waited for a slot. */
static void plugin_on_queue_timeout(struct loop *loop, void *arg)
{
	struct plugin_check *c = arg;
	int old = c->state;

	c->timer = NULL;
	plugin_run_unwait(&c->waiter);
	c->state = PLUGIN_STATE_NONE;
	snprintf(c->summary, sizeof(c->summary), "timeout (waiting for a plugin slot: %zu running)",
		 plugin_run_count());
	metric_put_error(c->in->env->reg, c->m_state, c->in->job->ts_ms, c->summary);
	plugin_log_change(c, old);
	plugin_check_end(c);
}

static void plugin_check_start(struct plugin_check *c, struct poll_job *job)
{
	if (plugin_run_slot_free()) {
		plugin_launch(c);
		return;
	}
	c->waiter.ready = plugin_on_slot;
	plugin_run_wait(&c->waiter);
	c->timer = loop_timer_at(c->in->env->loop, job->deadline_ms, plugin_on_queue_timeout, c);
	if (c->timer == NULL) {
		plugin_run_unwait(&c->waiter);
		plugin_launch(c); /* no memory for the timer: run past the limit */
	}
}

static void plugin_start(void *arg, struct poll_job *job)
{
	struct plugin_inst *in = arg;

	in->job = job;
	in->nrunning = in->n;
	in->starting = true;
	for (size_t i = 0; i < in->n; i++)
		plugin_check_start(&in->checks[i], job);
	in->starting = false;
	if (in->nrunning == 0)
		plugin_poll_end(in);
}

static void plugin_cancel(void *arg)
{
	struct plugin_inst *in = arg;

	if (in->job == NULL)
		return;
	for (size_t i = 0; i < in->n; i++) {
		struct plugin_check *c = &in->checks[i];
		plugin_run_abandon(c->run);
		c->run = NULL;
		plugin_run_unwait(&c->waiter);
		loop_timer_cancel(in->env->loop, c->timer);
		c->timer = NULL;
	}
	in->job = NULL;
}

const struct poller_ops plugin_poller = {
	.name = "plugin",
	.wants = plugin_wants,
	.create = plugin_create,
	.start = plugin_start,
	.cancel = plugin_cancel,
	.free = plugin_free,
	.check_keys = plugin_checks_keys,
};
