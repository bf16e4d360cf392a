/* The notifier: its life cycle, the engine's events, the one-second tick, test
 * messages and the read side for the API. */
#include "notify_int.h"
#include "notify_recipients.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/enumtab.h"
#include "dcmon/log.h"

#define NOTIFY_TICK_MS 1000

static const char *const notify_state_names[] = {
	[NOTIFY_PENDING] = "pending", [NOTIFY_SENT] = "sent", [NOTIFY_FAILED] = "failed", NULL};

const char *notify_state_name(enum notify_state s)
{
	return enum_name(notify_state_names, (int)s);
}

int notify_state_parse(const char *s, enum notify_state *out)
{
	int v;
	if (enum_parse(notify_state_names, s, &v) < 0)
		return -EINVAL;
	*out = (enum notify_state)v;
	return 0;
}

void notify_policy_of(const struct notifier *n, struct notify_policy *p)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	*p = (struct notify_policy){.gather_ms = s ? s->gather_ms : 200,
				    .rate_limit = s ? s->rate_limit : 20,
				    .rate_period_ms = s ? s->rate_period_ms : 3600000};
}

static void on_tick(struct loop *loop, void *arg)
{
	struct notifier *n = arg;
	n->tick_timer = loop_timer_add(loop, NOTIFY_TICK_MS, on_tick, n);
	notifier_tick(n, clock_wall_ms());
}

/* Groups of the recipients with queued items left by the last run: sent at once. */
static void resume_rcpt(void *arg, const char *rcpt, size_t nitems, int64_t wait_ms)
{
	struct notifier *n = arg;
	struct notify_group *g = notify_group_get(n, rcpt);
	if (!g)
		return;
	g->nqueued = nitems;
	g->due_ms = 1;
	g->window_end_ms = 0;
}

static void notifier_self_metrics_new(struct notifier *n)
{
	static const struct metric_enum states[] = {{0, "ok"}, {1, "failing"}};
	struct metric_desc failing = {.name = "notify_delivery_failing", .unit = "",
				      .kind = METRIC_STATE, .interval_ms = 10000,
				      .enums = states, .nenums = 2};
	struct metric_desc pending = {.name = "notify_pending_count", .unit = "",
				      .kind = METRIC_GAUGE, .interval_ms = 10000};
	if (!n->env.reg)
		return;
	n->m_failing = metric_reg_get(n->env.reg, "dcmond", &failing);
	n->m_pending = metric_reg_get(n->env.reg, "dcmond", &pending);
	if (n->env.state_dir)
		state_health_init(&n->health, n->env.reg, "notify.db");
}

static void on_change(void *arg, const struct change *c)
{
	notifier_on_event(arg, alert_event_of(c));
}

struct notifier *notifier_new(const struct notify_env *env, char *err, size_t errlen)
{
	struct notifier *n = calloc(1, sizeof(*n));
	char path[PATH_MAX];

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->env = *env;
	n->cfg = env->cfg;
	if (env->state_dir)
		snprintf(path, sizeof(path), "%s/notify.db", env->state_dir);
	n->spool = notify_spool_open(env->state_dir ? path : NULL, err, errlen);
	if (!n->spool) {
		free(n);
		return NULL;
	}
	if (env->state_dir)
		snprintf(path, sizeof(path), "%s/recipients.db", env->state_dir);
	n->recipients = recipients_open(env->state_dir ? path : NULL, err, errlen);
	if (!n->recipients) {
		notify_spool_close(n->spool);
		free(n);
		return NULL;
	}
	if (gethostname(n->host, sizeof(n->host)) < 0 || !n->host[0])
		snprintf(n->host, sizeof(n->host), "localhost");
	n->host[sizeof(n->host) - 1] = '\0';
	notify_smtp_init();
	notifier_self_metrics_new(n);
	notify_spool_queued_rcpts(n->spool, resume_rcpt, n);
	if (change_subscribe(env->bus, CHANGE_MASK(CHANGE_ALERT) | CHANGE_MASK(CHANGE_ALERT_UPDATE),
			     on_change, n) < 0) {
		snprintf(err, errlen, "out of memory");
		notifier_free(n);
		return NULL;
	}
	if (env->loop)
		n->tick_timer = loop_timer_add(env->loop, NOTIFY_TICK_MS, on_tick, n);
	return n;
}

void notifier_free(struct notifier *n)
{
	if (!n)
		return;
	change_unsubscribe(n->env.bus, on_change, n);
	if (n->env.loop) {
		loop_timer_cancel(n->env.loop, n->tick_timer);
		loop_timer_cancel(n->env.loop, n->wake_timer);
	}
	notify_job_free(n->inflight); /* its completion was dropped with the work queue */
	for (size_t i = 0; i < n->ngroups; i++)
		notify_group_free(n->groups[i]);
	free(n->groups);
	free(n->tracks);
	notify_copy_free(n);
	notify_graphs_free(n); /* their completions were dropped with the work queue */
	notify_spool_close(n->spool);
	recipients_close(n->recipients);
	free(n);
}

void notifier_reload(struct notifier *n, const struct cfg *cfg)
{
	n->cfg = cfg;
	n->env.cfg = cfg;
}

void notifier_set_polling_fn(struct notifier *n, notify_polling_fn fn, void *arg)
{
	n->polling = fn;
	n->polling_arg = arg;
}

/* Sent and failed messages older than smtp.history go, a batch per tick so a year of
 * backlog never holds the loop; once caught up, the next look is an hour later. */
static void notify_prune(struct notifier *n, int64_t now_ms)
{
	enum { NOTIFY_PRUNE_BATCH = 2000, NOTIFY_PRUNE_EVERY_MS = 3600000 };
	if (now_ms < n->prune_ms)
		return;
	int gone = notify_spool_prune(n->spool, now_ms - smtp_cfg_of(n->cfg)->history_ms,
				      NOTIFY_PRUNE_BATCH);
	if (gone > 0)
		log_info("notify", NULL, "history: %d sent or failed messages older than smtp.history"
			 " removed", gone);
	if (gone < NOTIFY_PRUNE_BATCH)
		n->prune_ms = now_ms + NOTIFY_PRUNE_EVERY_MS;
}

void notifier_tick(struct notifier *n, int64_t now_ms)
{
	if (!smtp_cfg_of(n->cfg))
		return;
	notify_spool_retry(n->spool);
	notify_remind(n, now_ms);
	notify_flush_due(n, now_ms);
	notify_deliver_kick(n, now_ms);
	notify_self_metrics(n, now_ms);
	notify_prune(n, now_ms);
}

static bool want_resolved(const struct cfg_route *r)
{
	return r->send_resolved;
}

void notifier_on_event(void *arg, const struct alert_event *ev)
{
	struct notifier *n = arg;
	struct notify_target t;
	struct notify_rcpts rc = {0};
	bool resolved = ev->type == ALERT_EV_RESOLVED;

	notify_copy_update(n, ev);
	if (ev->type == ALERT_EV_CURRENT && ev->state == ALERT_FIRING && !ev->acked)
		/* restored firing: reminded and escalated as if never stopped */
		notify_track_add(n, ev->alert_id, ev->fired_ms, ev->ts_ms);
	if (!smtp_cfg_of(n->cfg) || !alert_event_notifies(ev->type))
		return;
	if (ev->type == ALERT_EV_ACKED || resolved)
		notify_track_del(n, ev->alert_id);
	if (ev->type == ALERT_EV_ACKED)
		return;
	if (ev->type == ALERT_EV_FIRED)
		notify_track_add(n, ev->alert_id, ev->fired_ms ? ev->fired_ms : ev->ts_ms, ev->ts_ms);
	notify_target_of(n, ev, &t);
	if (notify_route_all(n->cfg, &t, resolved ? want_resolved : NULL, &rc) < 0 ||
	    notify_recipients_route(n->recipients, &t, ev->ts_ms, &rc) < 0)
		log_warnx("notify", ev->device, "out of memory routing alert %lld",
			  (long long)ev->alert_id);
	else if (rc.n == 0)
		log_debug("notify", ev->device, "alert %lld (%s): no route matches", (long long)ev->alert_id,
			  alert_event_type_name(ev->type));
	else
		notify_queue_event(n, ev, resolved ? "recovery" : "alert", &rc, ev->ts_ms);
	notify_rcpts_free(&rc);
}

int notifier_test(struct notifier *n, const char *route, const char *by, int64_t now_ms,
		  char *err, size_t errlen)
{
	const struct cfg_route *r = notify_route_find(n->cfg, route);
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	struct notify_rcpts rc = {0};
	char subject[512], body[1024];
	int rcode = 0;

	if (!r) {
		snprintf(err, errlen, "no route named '%s'", route);
		return -ENOENT;
	}
	if (!s) {
		snprintf(err, errlen, "no smtp: section in the daemon configuration");
		return -ENODATA;
	}
	if (notify_route_static(n->cfg, r, &rc) < 0 || rc.n == 0) {
		snprintf(err, errlen, "route '%s' has no address or team (tenant addresses need an alert)",
			 route);
		notify_rcpts_free(&rc);
		return -ENODATA;
	}
	snprintf(subject, sizeof(subject), "[dcmon] TEST message for route %s", route);
	snprintf(body, sizeof(body),
		 "This is a test message of dcmon's alert e-mail, route %s,\nrequested by %s.\n"
		 "It went through the spool and the SMTP relay %s:%d like an alert does.\n",
		 route, by ? by : "?", s->host, s->port);
	for (size_t i = 0; i < rc.n && rcode == 0; i++) {
		struct notify_compose c = {.rcpt = rc.v[i].addr, .kind = "test", .alert_ids = "",
					   .subject = subject, .body = body, .from = s->from,
					   .host = n->host};
		int64_t id;
		rcode = notify_spool_compose(n->spool, &c, now_ms, &id);
	}
	int count = (int)rc.n;
	notify_rcpts_free(&rc);
	if (rcode < 0) {
		snprintf(err, errlen, "cannot write the spool");
		return -EIO;
	}
	notify_deliver_kick(n, now_ms);
	return count;
}

int notifier_list(struct notifier *n, const enum notify_state *state, size_t limit,
		  bool (*fn)(void *arg, const struct notify_msg_view *v), void *arg)
{
	return notify_spool_list(n->spool, state, limit, fn, arg);
}

void notifier_counts(struct notifier *n, struct notify_counts *c)
{
	notify_spool_counts(n->spool, c);
}

bool notifier_failing(const struct notifier *n, char *buf, size_t len)
{
	if (buf && len)
		snprintf(buf, len, "%s", n->failing ? n->fail_reason : "");
	return n->failing;
}
