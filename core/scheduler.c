/* The scheduler: one due timer and one watchdog per device on the loop's monotonic clock. */
#include "dcmon/scheduler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/enumtab.h"
#include "dcmon/log.h"
#include "dcmon/strhash.h"

#define SCHED_BUCKETS 1024
#define WATCHDOG_GRACE_MS 1000 /* at most, beyond max(interval, timeout), before a poll is cut */
/* Polls start on a grid of this step of the monotonic clock: the devices whose spread
 * offsets fall in one step start in one wake-up of the loop, and their answers come
 * back together, instead of a wake-up each (1,000 devices every 10 s: 310 wake-ups a
 * second -> 53, docs/ARCHITECTURE.md "The flow of a sample"). */
#define SCHED_GRID_MS 50

struct sched_slot { /* one poller instance of a device */
	const struct poller_ops *ops;
	void *inst;
	struct poll_job job;
	bool running;
	enum poll_outcome outcome;
	char reason[96];
	struct sched_dev *dev;
};

struct sched_dev {
	const struct cfg_device *cfg;
	struct sched *s;
	struct sched_slot *slots;
	size_t nslots;
	size_t pending;        /* slots still running in this poll */
	bool running;
	int64_t due_ms;        /* monotonic time of the next regular poll */
	int64_t started_ms;    /* monotonic start of the poll in flight */
	struct loop_timer *due_timer;
	struct loop_timer *watchdog;
	struct loop_timer *repoll_timer; /* a re-poll due from the loop: asked for while a
	                                  * poll ran, or by sched_poll_soon */
	bool repoll;           /* poll again as soon as the running poll ends */
	struct dev_status st;
	struct log_complaint overrun_log;
	struct sched_dev *next_hash;
};

struct sched {
	const struct poller_env *env;
	const struct poller_ops *const *pollers;
	struct sched_dev *buckets[SCHED_BUCKETS];
	size_t ndevs;
	void (*done_fn)(void *arg, const char *id); /* a poll has ended; may be NULL */
	void *done_arg;
	void (*start_fn)(void *arg, const char *id); /* a poll starts; may be NULL */
	void *start_arg;
};

static const char *const outcome_names[] = {
	[POLL_OK] = "ok", [POLL_PARTIAL] = "partial", [POLL_UNREACHABLE] = "unreachable",
	[POLL_ERROR] = "error", [POLL_CANCELLED] = "cancelled", NULL,
};

const char *poll_outcome_name(enum poll_outcome o)
{
	return enum_name(outcome_names, (int)o);
}

/* ---- arithmetic --------------------------------------------------------------- */

int64_t sched_spread_offset(const char *id, int64_t interval_ms)
{
	if (interval_ms <= 0)
		return 0;
	return (int64_t)(strhash(id) % (uint64_t)interval_ms);
}

int64_t sched_first_due(const char *id, int64_t now_ms, int64_t interval_ms, int64_t grid_ms)
{
	int64_t due = now_ms + sched_spread_offset(id, interval_ms);
	if (interval_ms <= 0 || grid_ms <= 0 || interval_ms % grid_ms != 0)
		return due; /* the next polls would leave the grid anyway */
	int64_t r = due % grid_ms;
	return r > 0 ? due + grid_ms - r : due;
}

int64_t sched_backoff_interval(int64_t interval_ms, int failures, int max_factor)
{
	int64_t cap = interval_ms * (max_factor > 1 ? max_factor : 1);
	int64_t iv = interval_ms;
	for (int i = 1; i < failures && iv < cap; i++)
		iv *= 2;
	return iv < cap ? iv : cap;
}

int64_t sched_next_due(int64_t prev_due, int64_t now, int64_t interval_ms, uint64_t *skipped)
{
	int64_t k = 1;
	if (now >= prev_due + interval_ms)
		k = (now - prev_due) / interval_ms + 1;
	if (skipped)
		*skipped = (uint64_t)(k - 1);
	return prev_due + k * interval_ms;
}

/* The grid of a device's polls: its pollers' own (poller_ops.start_grid_ms, the
 * coarsest) when every one of them has one, else SCHED_GRID_MS. */
static int64_t start_grid_ms(const struct sched_dev *d)
{
	int64_t grid = 0;
	for (size_t i = 0; i < d->nslots; i++) {
		if (d->slots[i].ops->start_grid_ms <= 0)
			return SCHED_GRID_MS;
		if (d->slots[i].ops->start_grid_ms > grid)
			grid = d->slots[i].ops->start_grid_ms;
	}
	return grid ? grid : SCHED_GRID_MS;
}

/* ---- device table --------------------------------------------------------------- */

static struct sched_dev **find_ref(struct sched *s, const char *id)
{
	struct sched_dev **pp = &s->buckets[strhash(id) % SCHED_BUCKETS];
	while (*pp && strcmp((*pp)->cfg->id, id) != 0)
		pp = &(*pp)->next_hash;
	return pp;
}

static struct sched_dev *find(struct sched *s, const char *id)
{
	return *find_ref(s, id);
}

struct sched *sched_new(const struct poller_env *env, const struct poller_ops *const *pollers)
{
	struct sched *s = calloc(1, sizeof(*s));
	if (s) {
		s->env = env;
		s->pollers = pollers;
	}
	return s;
}

static void cancel_poll(struct sched_dev *d)
{
	for (size_t i = 0; i < d->nslots; i++) {
		if (d->slots[i].running) {
			d->slots[i].ops->cancel(d->slots[i].inst);
			d->slots[i].running = false;
		}
	}
	d->running = false;
	d->pending = 0;
	d->repoll = false;
	loop_timer_cancel(d->s->env->loop, d->watchdog);
	d->watchdog = NULL;
	loop_timer_cancel(d->s->env->loop, d->repoll_timer);
	d->repoll_timer = NULL;
}

static void dev_free(struct sched_dev *d)
{
	cancel_poll(d);
	loop_timer_cancel(d->s->env->loop, d->due_timer);
	for (size_t i = 0; i < d->nslots; i++)
		d->slots[i].ops->free(d->slots[i].inst);
	free(d->slots);
	free(d);
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	for (size_t b = 0; b < SCHED_BUCKETS; b++) {
		for (struct sched_dev *d = s->buckets[b], *next; d; d = next) {
			next = d->next_hash;
			dev_free(d);
		}
	}
	free(s);
}

/* ---- a poll --------------------------------------------------------------------- */

static enum dev_state state_from_slots(const struct sched_dev *d, char *reason, size_t len)
{
	size_t unreachable = 0, failed = 0;
	reason[0] = '\0';
	for (size_t i = 0; i < d->nslots; i++) {
		const struct sched_slot *sl = &d->slots[i];
		if (sl->outcome == POLL_OK)
			continue;
		failed++;
		unreachable += sl->outcome == POLL_UNREACHABLE;
		if (!reason[0])
			snprintf(reason, len, "%s: %s", sl->ops->name,
				 sl->reason[0] ? sl->reason : poll_outcome_name(sl->outcome));
	}
	if (failed == 0)
		return DEV_STATE_UP;
	return unreachable == d->nslots ? DEV_STATE_UNREACHABLE : DEV_STATE_DEGRADED;
}

static void start_poll(struct sched_dev *d);

static void on_repoll_due(struct loop *loop, void *arg)
{
	struct sched_dev *d = arg;
	d->repoll_timer = NULL;
	if (!d->running && d->nslots > 0)
		start_poll(d);
	else if (d->running)
		d->repoll = true;
}

static void finish_poll(struct sched_dev *d)
{
	const struct loop *loop = d->s->env->loop;
	loop_timer_cancel(d->s->env->loop, d->watchdog);
	d->watchdog = NULL;
	d->running = false;
	char reason[sizeof(d->st.reason)];
	enum dev_state old = d->st.state, now = state_from_slots(d, reason, sizeof(reason));
	d->st.last_duration_ms = loop_now_ms(loop) - d->started_ms;
	log_debug("sched", d->cfg->id, "poll done in %lld ms", (long long)d->st.last_duration_ms);
	d->st.polls++;
	d->st.failures = now == DEV_STATE_UNREACHABLE ? d->st.failures + 1 : 0;
	d->st.interval_ms = sched_backoff_interval(d->cfg->interval_ms, d->st.failures,
						   d->s->env->cfg->daemon.max_backoff_factor);
	if (d->s->env->reg)
		metric_reg_set_poll_interval(d->s->env->reg, d->cfg->id, d->st.interval_ms);
	memcpy(d->st.reason, reason, sizeof(reason));
	d->st.state = now;
	if (old != now) {
		int64_t wall = clock_wall_ms();
		log_info("sched", d->cfg->id, "state %s -> %s after %llds%s%s", dev_state_name(old),
			 dev_state_name(now),
			 (long long)(d->st.since_ms ? (wall - d->st.since_ms) / 1000 : 0),
			 reason[0] ? ": " : "", reason);
		d->st.since_ms = wall;
	}
	if (d->repoll && !d->repoll_timer) { /* started from the loop, not from inside done() */
		d->repoll = false;
		d->repoll_timer = loop_timer_add(d->s->env->loop, 0, on_repoll_due, d);
	}
	if (d->s->done_fn)
		d->s->done_fn(d->s->done_arg, d->cfg->id);
}

static void on_job_done(struct poll_job *job, enum poll_outcome outcome, const char *reason)
{
	struct sched_slot *sl = job->owner;
	struct sched_dev *d = sl->dev;
	if (!sl->running)
		return; /* a late report after the watchdog cut the poll */
	sl->running = false;
	sl->outcome = outcome;
	/* a copy, not snprintf: this runs at the end of every poll */
	size_t n = reason ? strnlen(reason, sizeof(sl->reason) - 1) : 0;
	memcpy(sl->reason, reason ? reason : "", n);
	sl->reason[n] = '\0';
	if (--d->pending == 0)
		finish_poll(d);
}

static void on_watchdog(struct loop *loop, void *arg)
{
	struct sched_dev *d = arg;
	d->watchdog = NULL;
	log_warnx("sched", d->cfg->id, "poll still running after %lld ms: cancelled",
		  (long long)(loop_now_ms(loop) - d->started_ms));
	for (size_t i = 0; i < d->nslots; i++) {
		struct sched_slot *sl = &d->slots[i];
		if (!sl->running)
			continue;
		sl->ops->cancel(sl->inst);
		sl->running = false;
		sl->outcome = POLL_ERROR;
		snprintf(sl->reason, sizeof(sl->reason), "poll did not finish in time");
	}
	d->pending = 0;
	finish_poll(d);
}

static void start_poll(struct sched_dev *d)
{
	struct loop *loop = d->s->env->loop;
	int64_t limit = d->cfg->interval_ms > d->cfg->timeout_ms ? d->cfg->interval_ms
								   : d->cfg->timeout_ms;
	d->running = true;
	d->started_ms = loop_now_ms(loop);
	d->st.last_poll_ms = clock_wall_ms();
	d->pending = d->nslots;
	int64_t grace = limit / 2 < WATCHDOG_GRACE_MS ? limit / 2 : WATCHDOG_GRACE_MS;
	d->watchdog = loop_timer_add(loop, limit + grace, on_watchdog, d);
	if (d->s->start_fn)
		d->s->start_fn(d->s->start_arg, d->cfg->id);
	for (size_t i = 0; i < d->nslots; i++) {
		struct sched_slot *sl = &d->slots[i];
		sl->job = (struct poll_job){.ts_ms = d->st.last_poll_ms,
					    .deadline_ms = d->started_ms + d->cfg->timeout_ms,
					    .done = on_job_done,
					    .owner = sl};
		sl->running = true;
		sl->outcome = POLL_OK;
		sl->reason[0] = '\0';
	}
	for (size_t i = 0; i < d->nslots && d->running; i++)
		d->slots[i].ops->start(d->slots[i].inst, &d->slots[i].job);
}

static void arm_due(struct sched_dev *d);

static void on_due(struct loop *loop, void *arg)
{
	struct sched_dev *d = arg;
	d->due_timer = NULL;
	if (d->running) {
		d->st.overruns++;
		log_complain(&d->overrun_log, loop_now_ms(loop), "sched", d->cfg->id,
			     "previous poll still running at due time (%lld ms): slot skipped",
			     (long long)(loop_now_ms(loop) - d->started_ms));
	} else {
		log_complain_release(&d->overrun_log, "sched", d->cfg->id, "polls on time again");
		if (d->nslots > 0)
			start_poll(d);
	}
	arm_due(d);
}

static void arm_due(struct sched_dev *d)
{
	struct loop *loop = d->s->env->loop;
	uint64_t skipped;
	int64_t iv = d->st.interval_ms > 0 ? d->st.interval_ms : d->cfg->interval_ms;
	d->due_ms = sched_next_due(d->due_ms, loop_now_ms(loop), iv, &skipped);
	d->st.overruns += skipped;
	d->st.next_poll_ms = clock_wall_ms() + (d->due_ms - loop_now_ms(loop));
	d->due_timer = loop_timer_at(loop, d->due_ms, on_due, d);
}

/* ---- devices -------------------------------------------------------------------- */

static int create_slots(struct sched_dev *d, char *err, size_t errlen)
{
	size_t n = 0;
	for (const struct poller_ops *const *p = d->s->pollers; *p; p++)
		n += (*p)->wants(d->cfg);
	d->slots = calloc(n ? n : 1, sizeof(*d->slots));
	if (!d->slots)
		return -ENOMEM;
	for (const struct poller_ops *const *p = d->s->pollers; *p; p++) {
		if (!(*p)->wants(d->cfg))
			continue;
		char why[200] = "";
		void *inst = (*p)->create(d->s->env, d->cfg, why, sizeof(why));
		if (!inst) {
			snprintf(err, errlen, "%s: %s", (*p)->name, why);
			return -EINVAL;
		}
		d->slots[d->nslots++] = (struct sched_slot){.ops = *p, .inst = inst, .dev = d};
	}
	return 0;
}

int sched_add(struct sched *s, const struct cfg_device *dev, const struct dev_status *keep,
	      char *err, size_t errlen)
{
	if (find(s, dev->id))
		return -EEXIST;
	struct sched_dev *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = dev;
	d->s = s;
	int rc = create_slots(d, err, errlen);
	if (rc < 0) {
		dev_free(d);
		return rc;
	}
	if (keep)
		d->st = *keep;
	d->st.interval_ms = sched_backoff_interval(dev->interval_ms, d->st.failures,
						   s->env->cfg->daemon.max_backoff_factor);
	/* first poll at a stable offset within one interval, so polls spread evenly */
	int64_t now = loop_now_ms(s->env->loop);
	d->due_ms = sched_first_due(dev->id, now, dev->interval_ms, start_grid_ms(d));
	struct sched_dev **ref = find_ref(s, dev->id);
	*ref = d;
	s->ndevs++;
	d->st.next_poll_ms = clock_wall_ms() + (d->due_ms - now);
	d->due_timer = loop_timer_at(s->env->loop, d->due_ms, on_due, d);
	return 0;
}

void sched_remove(struct sched *s, const char *id)
{
	struct sched_dev **ref = find_ref(s, id);
	struct sched_dev *d = *ref;
	if (!d)
		return;
	*ref = d->next_hash;
	s->ndevs--;
	dev_free(d);
}

int sched_poll_now(struct sched *s, const char *id)
{
	struct sched_dev *d = find(s, id);
	if (!d)
		return -ENOENT;
	if (d->running)
		d->repoll = true;
	else if (d->nslots > 0)
		start_poll(d);
	return 0;
}

int sched_poll_soon(struct sched *s, const char *id)
{
	struct sched_dev *d = find(s, id);
	if (!d)
		return -ENOENT;
	if (!d->running && !d->repoll_timer && d->nslots > 0)
		d->repoll_timer = loop_timer_add(s->env->loop, 0, on_repoll_due, d);
	return 0;
}

bool sched_polling(struct sched *s, const char *id)
{
	const struct sched_dev *d = find(s, id);
	return d && d->running;
}

void sched_set_done_hook(struct sched *s, void (*fn)(void *arg, const char *id), void *arg)
{
	s->done_fn = fn;
	s->done_arg = arg;
}

void sched_set_start_hook(struct sched *s, void (*fn)(void *arg, const char *id), void *arg)
{
	s->start_fn = fn;
	s->start_arg = arg;
}

const struct dev_status *sched_status(struct sched *s, const char *id)
{
	struct sched_dev *d = find(s, id);
	return d ? &d->st : NULL;
}

size_t sched_count(const struct sched *s)
{
	return s->ndevs;
}
