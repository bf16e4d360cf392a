/* Alert e-mail logic on a controllable clock: routing (tenant isolation, teams,
 * de-duplication, severity and label matches), the grouping window (the first item is
 * not delayed), the per-recipient rate limit with its digest, and the notifier composing
 * spooled messages from events. */
#include "alert_fixture.h"

#include <math.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dcmon/notify.h"
#include "dcmon/notify_sched.h"
#include "notify_int.h"

#define T0 FX_T0
#define S(x) ((int64_t)(x) * 1000)

#define CFG_NOTIFY                                                                         \
	"daemon:\n"                                                                        \
	"  data_dir: ./data\n"                                                             \
	"  smtp: {from: dcmon@dc.example, gather: 200ms, rate_limit: 3, rate_period: 1m}\n" \
	"sites: [{id: s1, rooms: [{id: hall-1}]}]\n"                                       \
	"tenants:\n"                                                                       \
	"  - {id: acme, email: [ops@acme.example]}\n"                                      \
	"  - {id: globex, email: [noc@globex.example]}\n"                                  \
	"teams: [{id: facility, email: [fac@dc.example, oncall@dc.example]}]\n"            \
	"devices:\n"                                                                       \
	"  - {id: web-a, kind: server, tenant: acme, labels: {role: web},\n"               \
	"     location: {site: s1, room: hall-1}}\n"                                       \
	"  - {id: web-g, kind: server, tenant: globex}\n"                                  \
	"  - {id: ups-1, kind: ups}\n"                                                     \
	"routes:\n"                                                                        \
	"  - {name: tenants, tenant: true, group_wait: 30s}\n"                             \
	"  - {name: shared, email: [OPS@acme.example, oncall@dc.example], group_wait: 10s}\n" \
	"  - {name: crit, match: {severity: critical}, teams: [facility]}\n"               \
	"  - {name: web, match: {labels: {role: web}}, email: [web@dc.example]}\n"

static struct notify_target target(const struct cfg *cfg, const char *dev, enum cfg_severity s)
{
	const struct cfg_device *d = cfg_device_find(cfg, dev);
	return (struct notify_target){.device = dev, .metric = "tcp_port_up", .dev = d,
				      .tenant = d ? d->tenant : NULL, .severity = s};
}

static bool has(const struct notify_rcpts *r, const char *addr)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcasecmp(r->v[i].addr, addr) == 0)
			return true;
	return false;
}

static void test_routing(void **state)
{
	struct fx *f = fx_new(CFG_NOTIFY, false);
	struct notify_rcpts r = {0};
	struct notify_target t = target(f->cfg, "web-a", SEV_WARNING);

	assert_int_equal(notify_route_all(f->cfg, &t, NULL, &r), 0);
	/* acme's address via tenants and shared (other case): once; the tighter window */
	assert_int_equal(r.n, 3);
	assert_true(has(&r, "ops@acme.example") && has(&r, "oncall@dc.example") &&
		    has(&r, "web@dc.example"));
	assert_int_equal(r.v[0].group_wait_ms, 10000);
	notify_rcpts_free(&r);

	t = target(f->cfg, "web-g", SEV_CRITICAL); /* globex: acme's address never */
	assert_int_equal(notify_route_all(f->cfg, &t, NULL, &r), 0);
	assert_int_equal(r.n, 3);
	assert_true(has(&r, "noc@globex.example") && has(&r, "oncall@dc.example") &&
		    has(&r, "fac@dc.example"));
	assert_false(has(&r, "ops@acme.example"));
	notify_rcpts_free(&r);

	t = target(f->cfg, "ups-1", SEV_WARNING); /* no tenant: no tenant address at all */
	assert_int_equal(notify_route_all(f->cfg, &t, NULL, &r), 0);
	assert_int_equal(r.n, 1);
	assert_true(has(&r, "oncall@dc.example"));
	notify_rcpts_free(&r);
	fx_free(f);
}

static const struct notify_policy policy = {.gather_ms = 200, .rate_limit = 3,
					    .rate_period_ms = 60000};

static void test_group_window(void **state)
{
	struct notify_group *g = notify_group_new("a@b.example", NOTIFY_RATE_MAX);
	/* the first item, raised by a poll still being evaluated, waits for that poll (at
	 * most the gather time), and so do its peers, also those of another poll in flight */
	assert_int_equal(notify_group_add(g, &policy, T0, S(30), "sw1"), T0 + 200);
	assert_int_equal(notify_group_add(g, &policy, T0 + 10, S(30), "sw1"), T0 + 200);
	assert_int_equal(notify_group_add(g, &policy, T0 + 20, S(30), "sw2"), T0 + 200);
	assert_false(notify_group_batch_done(g, &policy, "pdu", T0 + 30)); /* not waited for */
	assert_false(notify_group_batch_done(g, &policy, "sw1", T0 + 30)); /* sw2 still runs */
	assert_false(notify_group_due(g, &policy, T0 + 30));
	assert_true(notify_group_batch_done(g, &policy, "sw2", T0 + 40));
	assert_true(notify_group_due(g, &policy, T0 + 40)); /* no fixed delay */
	assert_int_equal(g->nqueued, 3);
	notify_group_sent(g, T0 + 40);
	/* later items of the window wait for its end, together */
	assert_int_equal(notify_group_add(g, &policy, T0 + S(5), S(30), NULL), T0 + S(30));
	assert_int_equal(notify_group_add(g, &policy, T0 + S(20), S(30), "sw1"), T0 + S(30));
	assert_int_equal(g->nqueued, 2);
	assert_false(notify_group_batch_done(g, &policy, "sw1", T0 + S(21))); /* window, not poll */
	assert_false(notify_group_due(g, &policy, T0 + S(29)));
	assert_true(notify_group_due(g, &policy, T0 + S(30)));
	notify_group_sent(g, T0 + S(30));
	/* after the window: a new one; an item not raised by a poll in flight goes at once */
	assert_int_equal(notify_group_add(g, &policy, T0 + S(31), S(30), NULL), T0 + S(31));
	assert_true(notify_group_due(g, &policy, T0 + S(31)));
	notify_group_sent(g, T0 + S(31));
	/* a poll that never ends: the gather time caps the wait */
	assert_int_equal(notify_group_add(g, &policy, T0 + S(70), S(30), "sw1"), T0 + S(70) + 200);
	assert_false(notify_group_due(g, &policy, T0 + S(70) + 199));
	assert_true(notify_group_due(g, &policy, T0 + S(70) + 200));
	notify_group_sent(g, T0 + S(70) + 200);
	assert_false(notify_group_batch_done(g, &policy, "sw1", T0 + S(71))); /* already sent */
	notify_group_free(g);
}

/* The first message waits for its alert's graph until the graph is done, at most until
 * the limit; a message already gone waits for nothing. */
static void test_group_graph_wait(void **state)
{
	(void)state;
	struct notify_group *g = notify_group_new("a@b.example", NOTIFY_RATE_MAX);
	assert_int_equal(notify_group_add(g, &policy, T0, S(30), NULL), T0);
	notify_group_wait_for(g, "graph 1", T0 + S(2));
	assert_false(notify_group_due(g, &policy, T0 + 100));
	assert_true(notify_group_batch_done(g, &policy, "graph 1", T0 + 150));
	assert_true(notify_group_due(g, &policy, T0 + 150));
	notify_group_sent(g, T0 + 150);
	/* a graph that never comes: the limit holds */
	assert_int_equal(notify_group_add(g, &policy, T0 + S(40), S(30), NULL), T0 + S(40));
	notify_group_wait_for(g, "graph 2", T0 + S(42));
	assert_false(notify_group_due(g, &policy, T0 + S(42) - 1));
	assert_true(notify_group_due(g, &policy, T0 + S(42)));
	notify_group_sent(g, T0 + S(42));
	/* later in the window: the item waits for the window's end, not for its graph */
	assert_int_equal(notify_group_add(g, &policy, T0 + S(50), S(30), NULL), T0 + S(70));
	notify_group_wait_for(g, "graph 3", T0 + S(80));
	assert_true(notify_group_due(g, &policy, T0 + S(70)));
	notify_group_free(g);
}

static void test_rate_limit(void **state)
{
	struct notify_group *g = notify_group_new("a@b.example", NOTIFY_RATE_MAX);
	int64_t now = T0;
	for (int i = 0; i < 3; i++, now += S(1)) { /* three messages within a minute */
		notify_group_add(g, &policy, now, 0, NULL);
		assert_true(notify_group_due(g, &policy, now + 200));
		notify_group_sent(g, now + 200);
	}
	/* the fourth is held until the first send leaves the period, then a digest */
	int64_t due = notify_group_add(g, &policy, T0 + S(10), 0, NULL);
	assert_int_equal(due, T0 + 200 + S(60));
	notify_group_add(g, &policy, T0 + S(20), 0, NULL);
	assert_false(notify_group_due(g, &policy, T0 + S(59)));
	assert_true(notify_group_due(g, &policy, T0 + 200 + S(60)));
	notify_group_sent(g, T0 + S(61));
	assert_int_equal(notify_group_rate_free(g, &policy, T0 + S(61)), T0 + S(1) + 200 + S(60));
	notify_group_free(g);
}

/* ---- the notifier on the fixture's config, in-memory spool, own clock ------------- */

static struct alert_event event(const char *dev, int64_t id, enum alert_event_type type,
				int64_t ts, const char *tenant)
{
	return (struct alert_event){.type = type, .ts_ms = ts, .alert_id = id, .rule = "port-closed",
				    .summary = "TCP port closed", .device = dev,
				    .metric = "tcp_port_up", .inst = "80", .unit = "",
				    .tenant = tenant, .site = "s1", .kind = "server",
				    .state = type == ALERT_EV_RESOLVED ? ALERT_RESOLVED : ALERT_FIRING,
				    .severity = SEV_WARNING, .value = 0, .warn = NAN, .crit = NAN,
				    .since_ms = ts, .fired_ms = ts};
}

struct seen {
	int n;
	char rcpt[16][64], kind[16][16], subject[16][256];
};

static bool collect(void *arg, const struct notify_msg_view *v)
{
	struct seen *s = arg;
	if (s->n < 16) {
		snprintf(s->rcpt[s->n], 64, "%s", v->rcpt);
		snprintf(s->kind[s->n], 16, "%s", v->kind);
		snprintf(s->subject[s->n], 256, "%s", v->subject);
		s->n++;
	}
	return true;
}

static int count_to(struct notifier *n, const char *rcpt, const char *kind)
{
	struct seen s = {0};
	int c = 0;
	notifier_list(n, NULL, 100, collect, &s);
	for (int i = 0; i < s.n; i++)
		c += strcmp(s.rcpt[i], rcpt) == 0 && (!kind || strcmp(s.kind[i], kind) == 0);
	return c;
}

static bool poll_flag(void *arg, const char *device)
{
	return *(bool *)arg && strcmp(device, "web-g") == 0;
}

static void test_notifier_groups(void **state)
{
	struct fx *f = fx_new(CFG_NOTIFY, false);
	char err[256];
	struct notify_env env = {.cfg = f->cfg};
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	assert_non_null(n);

	bool polling = true; /* web-g's poll is being evaluated */
	notifier_set_polling_fn(n, poll_flag, &polling);
	struct alert_event ev = event("web-g", 1, ALERT_EV_FIRED, T0, "globex");
	notifier_on_event(n, &ev);
	notifier_tick(n, T0 + 100);
	assert_int_equal(count_to(n, "noc@globex.example", NULL), 0);
	polling = false;
	notifier_poll_done(n, "web-g", T0 + 120);
	notifier_tick(n, T0 + 120); /* its poll evaluated: the first alert goes out */
	assert_int_equal(count_to(n, "noc@globex.example", "alert"), 1);
	assert_int_equal(count_to(n, "ops@acme.example", NULL), 0);
	for (int i = 2; i <= 6; i++) { /* five more within the 30 s window: one message */
		ev = event("web-g", i, ALERT_EV_FIRED, T0 + S(i), "globex");
		notifier_on_event(n, &ev);
	}
	notifier_tick(n, T0 + S(29));
	assert_int_equal(count_to(n, "noc@globex.example", NULL), 1);
	notifier_tick(n, T0 + S(30));
	assert_int_equal(count_to(n, "noc@globex.example", "group"), 1);
	struct notify_counts c;
	notifier_counts(n, &c);
	assert_int_equal(c.queued, 0);
	/* rate limit 3 per minute: the oncall address (10 s window) got 2 already */
	ev = event("web-g", 7, ALERT_EV_RESOLVED, T0 + S(40), "globex");
	notifier_on_event(n, &ev);
	notifier_tick(n, T0 + S(41));
	ev = event("web-g", 8, ALERT_EV_FIRED, T0 + S(52), "globex");
	notifier_on_event(n, &ev);
	notifier_tick(n, T0 + S(55));
	assert_int_equal(count_to(n, "oncall@dc.example", "digest"), 0);
	notifier_tick(n, T0 + S(61)); /* the first send left the minute: digest */
	assert_int_equal(count_to(n, "oncall@dc.example", "digest"), 1);
	assert_int_equal(count_to(n, "oncall@dc.example", NULL), 4);
	assert_int_equal(count_to(n, "ops@acme.example", NULL), 0); /* never globex's */
	notifier_free(n);
	fx_free(f);
}

static void test_text(void **state)
{
	struct alert_event ev = event("web-a", 42, ALERT_EV_FIRED, T0, "acme");
	ev.value = 31.5;
	ev.unit = "celsius";
	ev.warn = 27;
	ev.crit = 30;
	ev.metric = "inlet_temp_celsius";
	ev.severity = SEV_CRITICAL;
	struct notify_text_ctx c = {.ev = &ev, .kind = "alert", .dashboard_url = "https://d.example"};
	char *subject, *line, *block;
	assert_int_equal(notify_text_item(&c, &subject, &line, &block), 0);
	assert_string_equal(subject, "[dcmon] CRITICAL web-a: TCP port closed "
				     "(inlet_temp_celsius{80} = 31.5 celsius) at s1");
	assert_non_null(strstr(block, "Threshold:  warning 27 celsius, critical 30 celsius"));
	assert_non_null(strstr(block, "Tenant:     acme"));
	assert_non_null(strstr(block, "Dashboard:  https://d.example/devices/web-a"));
	assert_non_null(strstr(block, "State:      firing since 2026-01-01 00:00:00 UTC"));
	struct notify_compose mc = {.from = "a@b.example", .rcpt = "c@d.example",
				    .subject = "caf\xc3\xa9", .kind = "alert", .alert_ids = "42",
				    .body = "line one\nline two"};
	char *msg = notify_text_message(&mc, "<x@y>", T0);
	assert_non_null(strstr(msg, "Content-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(msg, "Subject: =?utf-8?B?Y2Fmw6k=?=\r\n"));
	assert_non_null(strstr(msg, "\r\n\r\nline one\r\nline two\r\n"));
	free(msg);
	free(subject);
	free(line);
	free(block);
}

/* Reminders at the route's repeat interval while firing and unacknowledged; one
 * escalation after escalate_after; an ack stops both. */
static void test_reminders(void **state)
{
	struct fx *f = fx_new("daemon:\n"
			      "  data_dir: ./data\n"
			      "  smtp: {from: d@dc.example, rate_limit: 100}\n"
			      "devices: [{id: ups-1, kind: ups}]\n"
			      "rules:\n"
			      "  - {name: load, match: {metric: load_percent}, above: {warn: 80}}\n"
			      "routes:\n"
			      "  - {name: noc, email: [noc@dc.example], group_wait: 0s, repeat: 1m,\n"
			      "     escalate_after: 5m, escalate_to: boss}\n"
			      "  - {name: boss, match: {device: none}, email: [boss@dc.example]}\n",
			      false);
	char err[256];
	struct notify_env env = {.cfg = f->cfg, .bus = f->bus};
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	assert_non_null(n);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, m, T0, 85);
	notifier_tick(n, T0 + S(1));
	assert_int_equal(count_to(n, "noc@dc.example", "alert"), 1);
	for (int s = 2; s <= 59; s++)
		notifier_tick(n, T0 + S(s));
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 0);
	notifier_tick(n, T0 + S(60)); /* queued and sent at once (no poll in flight) */
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 1);
	for (int s = 62; s <= 301; s++)
		notifier_tick(n, T0 + S(s));
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 5);
	assert_int_equal(count_to(n, "boss@dc.example", "escalation"), 1);
	struct alert_actor by = {.who = "op", .origin = "test"};
	assert_int_equal(alert_engine_ack(f->e, 1, &by, "on it", T0 + S(302)), 0);
	for (int s = 302; s <= 500; s++)
		notifier_tick(n, T0 + S(s));
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 5);
	assert_int_equal(count_to(n, "boss@dc.example", NULL), 1);
	notifier_free(n);
	fx_free(f);
}

/* A restart does not stop the reminders of an alert still firing: the notifier learns
 * it from the engine's `current` events (alert_engine_publish_all), never by reading
 * the engine, and reminds at the route's repeat interval from then on. */
static void test_reminders_after_restart(void **state)
{
	(void)state;
	struct fx *f = fx_new("daemon:\n"
			      "  data_dir: ./data\n"
			      "  smtp: {from: d@dc.example, rate_limit: 100}\n"
			      "devices: [{id: ups-1, kind: ups}]\n"
			      "rules:\n"
			      "  - {name: load, match: {metric: load_percent}, above: {warn: 80}}\n"
			      "routes:\n"
			      "  - {name: noc, email: [noc@dc.example], group_wait: 0s, repeat: 1m}\n",
			      true);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, m, T0, 85);
	fx_restart(f, true); /* the alert is restored, firing */
	char err[256];
	struct notify_env env = {.cfg = f->cfg, .bus = f->bus};
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	assert_non_null(n);
	alert_engine_publish_all(f->e, T0 + S(10));
	for (int s = 11; s <= 69; s++)
		notifier_tick(n, T0 + S(s));
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 0);
	notifier_tick(n, T0 + S(70));
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 1);
	assert_int_equal(count_to(n, "noc@dc.example", "alert"), 0); /* not notified again */
	notifier_free(n);
	fx_free(f);
}

/* The text of the newest spooled message whose subject has `what` (caller frees). */
static char *text_of(struct notifier *n, const char *what, int64_t now_ms)
{
	struct notify_out out[16];
	char *text = NULL;
	int k = notify_spool_due(n->spool, now_ms, out, 16);
	for (int i = 0; i < k; i++) {
		if (strstr(out[i].text, what)) {
			free(text);
			text = strdup(out[i].text);
		}
		notify_out_free(&out[i]);
	}
	assert_non_null(text);
	return text;
}

/* The notifier keeps its own copy of the alerts from the change bus and never reads
 * the engine (it has no handle of it): the root's e-mail lists the alert held under it,
 * a reminder says the value as it is now, and a silence that starts stops them. */
static void test_copy_follows_engine(void **state)
{
	(void)state;
	struct fx *f = fx_new("daemon:\n"
			      "  data_dir: ./data\n"
			      "  smtp: {from: d@dc.example, rate_limit: 100}\n"
			      "devices: [{id: ups-1, kind: ups}, {id: pdu-1, kind: pdu}]\n"
			      "rules:\n"
			      "  - {name: load, match: {metric: load_percent}, above: {warn: 80}}\n"
			      "routes:\n"
			      "  - {name: noc, email: [noc@dc.example], group_wait: 0s, repeat: 1m}\n",
			      false);
	struct alert_suppression *supp = alert_suppression_new(); /* pdu-1 behind ups-1 */
	assert_non_null(supp);
	assert_int_equal(alert_suppression_set(supp, "pdu-1", "ups-1"), 0);
	alert_engine_suppression_input(f->e, supp);
	char err[256];
	struct notify_env env = {.cfg = f->cfg, .bus = f->bus, .reg = f->reg};
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	assert_non_null(n);
	metric_put(f->reg, fx_metric(f, "pdu-1", "load_percent", METRIC_GAUGE, NULL), T0, 90);
	struct metric *ups = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, ups, T0 + S(1), 95);
	notifier_tick(n, T0 + S(1));
	assert_int_equal(count_to(n, "noc@dc.example", "alert"), 1); /* ups-1's; pdu-1's held */
	char *t = text_of(n, "WARNING ups-1", T0 + S(1));
	assert_non_null(strstr(t, "Suppressed downstream alerts: pdu-1 load_percent (warning, firing)"));
	free(t);

	metric_put(f->reg, ups, T0 + S(30), 97); /* no transition: an `updated` event */
	for (int s = 2; s <= 61; s++)
		notifier_tick(n, T0 + S(s));
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 1);
	t = text_of(n, "REMINDER WARNING ups-1", T0 + S(61));
	assert_non_null(strstr(t, "Value:      97\r\n"));
	assert_non_null(strstr(t, "Silence:    not silenced"));
	free(t);

	struct alert_silence_spec sil = {.match = {.device = "ups-1"}, .starts_ms = T0,
					 .ends_ms = T0 + S(3600), .reason = "battery swap"};
	struct alert_actor by = {.who = "op", .origin = "test"};
	int64_t sid;
	assert_int_equal(alert_engine_silence_add(f->e, &sil, &by, T0 + S(62), &sid, err,
						  sizeof(err)), 0);
	for (int s = 62; s <= 200; s++)
		notifier_tick(n, T0 + S(s));
	assert_int_equal(count_to(n, "noc@dc.example", "reminder"), 1);
	notifier_free(n);
	alert_engine_suppression_input(f->e, NULL);
	alert_suppression_free(supp);
	fx_free(f);
}

/* A message to a@x.example about alert 1, as the spool tests compose it. */
static const struct notify_compose compose_proto = {
	.rcpt = "a@x.example", .kind = "alert", .alert_ids = "1", .subject = "CRITICAL",
	.body = "b", .from = "d@x.example", .host = "h"};

/* A message with an HTML alternative and an inline PNG is spooled whole: its text part
 * as a text-only message's body, the HTML and the image in base64 under their
 * boundaries, the image named by its Content-ID; and it is delivered from the spool as
 * any other. */
static void test_spool_html(void **state)
{
	(void)state;
	char err[128];
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	const struct notify_image img = {.cid = "graph-1", .png = png, .len = sizeof(png)};
	struct notify_spool *sp = notify_spool_open(NULL, err, sizeof(err));
	struct notify_compose c = compose_proto;
	struct notify_out out[1];
	int64_t id;
	assert_non_null(sp);
	c.body = "text line";
	c.html = "<p>hi</p>";
	c.images = &img;
	c.nimages = 1;
	assert_int_equal(notify_spool_compose(sp, &c, 1000, &id), 0);
	assert_int_equal(notify_spool_due(sp, 1000, out, 1), 1);
	const char *t = out[0].text;
	static const char *const in_order[] = {
		"Content-Type: multipart/alternative; boundary=\"=_dcmon-alt-1000\"\r\n",
		"X-Dcmon-Kind: alert\r\n",
		"--=_dcmon-alt-1000\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\ntext line\r\n--=_dcmon-alt-1000\r\n",
		"Content-Type: multipart/related; boundary=\"=_dcmon-rel-1000\"",
		"--=_dcmon-rel-1000\r\nContent-Type: text/html; charset=utf-8\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nPHA+aGk8L3A+\r\n",
		"--=_dcmon-rel-1000\r\nContent-Type: image/png\r\n",
		"Content-ID: <graph-1>\r\n",
		"\r\n\r\niVBORw0KGgo=\r\n--=_dcmon-rel-1000--\r\n--=_dcmon-alt-1000--\r\n",
	};
	for (size_t i = 0; i < sizeof(in_order) / sizeof(in_order[0]); i++) {
		const char *at = strstr(t, in_order[i]);
		assert_non_null(at);
		t = at + strlen(in_order[i]);
	}
	assert_string_equal(t, "");
	notify_out_free(&out[0]);
	notify_spool_close(sp);
}

/* A recipient's messages leave in the order they were made: one waiting for its retry
 * holds back the newer ones (its RESOLVED never overtakes its CRITICAL); other
 * recipients are not held back. */
struct item_seen {
	size_t n;
	unsigned char graph[16];
	size_t graph_len;
};

static void item_seen_fn(void *arg, const struct notify_item *it)
{
	struct item_seen *s = arg;
	s->n++;
	s->graph_len = it->graph_len;
	if (it->graph && it->graph_len <= sizeof(s->graph))
		memcpy(s->graph, it->graph, it->graph_len);
}

static void test_spool_order(void **state)
{
	(void)state;
	char err[128];
	struct notify_spool *sp = notify_spool_open(NULL, err, sizeof(err));
	struct notify_compose c = compose_proto;
	struct notify_out out[4];
	int64_t id[3];
	assert_non_null(sp);
	assert_int_equal(notify_spool_compose(sp, &c, 1000, &id[0]), 0);
	c.subject = "RESOLVED";
	assert_int_equal(notify_spool_compose(sp, &c, 2000, &id[1]), 0);
	c.rcpt = "b@x.example";
	assert_int_equal(notify_spool_compose(sp, &c, 2000, &id[2]), 0);
	assert_int_equal(notify_spool_mark_retry(sp, id[0], "421 busy", 10000), 0);
	assert_int_equal(notify_spool_due(sp, 5000, out, 4), 1);
	assert_int_equal(out[0].id, id[2]);
	notify_out_free(&out[0]);
	assert_int_equal(notify_spool_due(sp, 10000, out, 4), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(out[i].id, id[i]);
		notify_out_free(&out[i]);
	}
	notify_spool_close(sp);
}

/* A notify.db from before graphs gets the column, keeps its queued item, and the item
 * carries the graph stored for its event. */
static void test_spool_graph_migrate(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_notify.XXXXXX", path[64], err[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE queue(id INTEGER PRIMARY KEY, rcpt TEXT NOT NULL, alert_id INTEGER,"
		" kind TEXT NOT NULL, severity INTEGER, subject TEXT NOT NULL, line TEXT NOT NULL,"
		" block TEXT NOT NULL, group_wait_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
		"INSERT INTO queue VALUES(1, 'a@x.example', 7, 'alert', 2, 'S', 'L', 'B', 0, 5000);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct notify_spool *sp = notify_spool_open(path, err, sizeof(err));
	assert_non_null(sp);
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0, 1, 2};
	assert_int_equal(notify_spool_set_graph(sp, 7, "alert", 5000, png, sizeof(png)), 0);
	struct item_seen seen = {0};
	assert_int_equal(notify_spool_items(sp, "a@x.example", item_seen_fn, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.graph_len, sizeof(png));
	assert_memory_equal(seen.graph, png, sizeof(png));
	notify_spool_close(sp);
	unlink(path);
	char wal[80];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	rmdir(dir);
}

/* The history goes oldest first, a batch at a time, and never a pending message. */
static void test_spool_prune(void **state)
{
	(void)state;
	char err[128];
	struct notify_spool *sp = notify_spool_open(NULL, err, sizeof(err));
	struct notify_compose c = compose_proto;
	struct notify_counts n;
	int64_t id[5];
	assert_non_null(sp);
	for (int i = 0; i < 5; i++)
		assert_int_equal(notify_spool_compose(sp, &c, 1000 * (i + 1), &id[i]), 0);
	assert_int_equal(notify_spool_mark_sent(sp, id[0], 1500), 0);
	assert_int_equal(notify_spool_mark_failed(sp, id[1], "550 no", 2500), 0);
	assert_int_equal(notify_spool_mark_sent(sp, id[2], 3500), 0);
	/* id[3] stays pending; id[4] is sent but newer than the cut */
	assert_int_equal(notify_spool_mark_sent(sp, id[4], 5500), 0);
	assert_int_equal(notify_spool_prune(sp, 4500, 2), 2);
	notify_spool_counts(sp, &n);
	assert_int_equal(n.failed, 0); /* the two oldest went first */
	assert_int_equal(n.sent, 2);
	assert_int_equal(notify_spool_prune(sp, 4500, 2), 1);
	assert_int_equal(notify_spool_prune(sp, 4500, 2), 0);
	notify_spool_counts(sp, &n);
	assert_int_equal(n.pending, 1);
	assert_int_equal(n.sent, 1);
	notify_spool_close(sp);
}

/* The notifier keeps smtp.history of sent messages and looks again an hour later. */
static void test_notifier_history(void **state)
{
	(void)state;
	struct fx *f = fx_new("daemon:\n"
			      "  smtp: {from: d@dc.example, history: 1d}\n"
			      "devices: [{id: ups-1, kind: ups}]\n", false);
	char err[256];
	struct notify_env env = {.cfg = f->cfg};
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	struct notify_compose c = compose_proto;
	struct notify_counts k;
	int64_t id[2];
	assert_non_null(n);
	assert_int_equal(notify_spool_compose(n->spool, &c, T0, &id[0]), 0);
	assert_int_equal(notify_spool_mark_sent(n->spool, id[0], T0 + 10), 0);
	notifier_tick(n, T0 + S(86399)); /* within the day: kept; next look in an hour */
	assert_int_equal(notify_spool_compose(n->spool, &c, T0 + S(86400), &id[1]), 0);
	assert_int_equal(notify_spool_mark_sent(n->spool, id[1], T0 + S(86400)), 0);
	notifier_tick(n, T0 + S(86400 + 3598));
	notifier_counts(n, &k);
	assert_int_equal(k.sent, 2);
	notifier_tick(n, T0 + S(86400 + 3599)); /* the first is older than a day now */
	notifier_counts(n, &k);
	assert_int_equal(k.sent, 1);
	notifier_free(n);
	fx_free(f);
}

/* ---- reports mailed on a schedule (notify_sched.c) ----------------------------------- */

#define D_MS 86400000LL

struct sched_owner {
	const char *route;  /* the message's route */
	bool fail;          /* the build fails */
	int built;          /* builds run */
	char marked[256];   /* the periods marked, in order: "2026-12-01 2026-12-02 " */
	char last[NOTIFY_PERIOD_LEN]; /* its own record of the last one (own_last) */
	struct notify_mail mail;
};

static void sched_build(struct sched_job *j)
{
	struct sched_owner *o = j->owner;
	o->built++;
	if (o->fail) {
		snprintf(j->err, sizeof(j->err), "no summary");
		return;
	}
	o->mail = (struct notify_mail){.route = o->route, .kind = "report",
				       .subject = "[dcmon] a report", .text = "the report"};
	j->mail = &o->mail;
	j->nmail = 1;
}

static void sched_release(struct sched_job *j)
{
	(void)j;
}

static void sched_marked(void *owner, const char *schedule, const char *period, int64_t now_ms)
{
	struct sched_owner *o = owner;
	size_t len = strlen(o->marked);
	(void)schedule;
	(void)now_ms;
	snprintf(o->marked + len, sizeof(o->marked) - len, "%s ", period);
	snprintf(o->last, sizeof(o->last), "%s", period);
}

static const struct sched_ops test_sched_ops = {.sub = "test", .build = sched_build,
						.release = sched_release, .marked = sched_marked};

/* The test's calendar: UTC days. */
static void day_before(const struct sched_calendar *c, int64_t at_ms, char name[NOTIFY_PERIOD_LEN],
		       int64_t *from_ms, int64_t *to_ms)
{
	(void)c;
	*to_ms = at_ms - ((at_ms % D_MS) + D_MS) % D_MS;
	*from_ms = *to_ms - D_MS;
	time_t t = (time_t)(*from_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(name, NOTIFY_PERIOD_LEN, "%Y-%m-%d", &tm);
}

/* The name of the day `days` after the one at_ms falls in. */
static const char *day_name(int64_t at_ms, int days, char buf[NOTIFY_PERIOD_LEN])
{
	int64_t f, t;
	day_before(NULL, at_ms + (days + 1) * D_MS, buf, &f, &t);
	return buf;
}

/* A period is spooled and marked sent in one transaction: marked when its messages are
 * in the spool, not when the build or the spool failed (then tried again 10 minutes
 * later, still due). */
static void test_sched_marks_with_the_spool(void **state)
{
	(void)state;
	struct fx *f = fx_new(CFG_NOTIFY, false);
	char err[256], yday[NOTIFY_PERIOD_LEN], before[NOTIFY_PERIOD_LEN];
	struct notify_env env = {.cfg = f->cfg};
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	assert_non_null(n);
	struct sched_owner o = {.route = "nowhere"};
	struct notify_sched *s = notify_sched_new(&test_sched_ops, &o, NULL);
	struct sched_calendar cal = {.schedule = "test-daily", .what = "test report",
				     .before = day_before, .catchup_max = 5,
				     .own_last = day_name(T0, -2, before)};
	day_name(T0, -1, yday);

	assert_true(notify_sched_run(s, f->cfg, n, NULL, &cal, T0)); /* no such route */
	assert_int_equal(o.built, 1);
	assert_false(notify_sched_sent(n, "test-daily", yday));
	assert_true(notify_sched_busy(s, T0 + NOTIFY_SCHED_RETRY_MS - 1));
	assert_false(notify_sched_run(s, f->cfg, n, NULL, &cal, T0 + NOTIFY_SCHED_RETRY_MS - 1));
	o.fail = true; /* the build fails */
	assert_true(notify_sched_run(s, f->cfg, n, NULL, &cal, T0 + NOTIFY_SCHED_RETRY_MS));
	assert_int_equal(o.built, 2);
	assert_false(notify_sched_sent(n, "test-daily", yday));
	assert_int_equal(count_to(n, "oncall@dc.example", "report"), 0);

	o = (struct sched_owner){.route = "shared"};
	assert_true(notify_sched_run(s, f->cfg, n, NULL, &cal, T0 + 2 * NOTIFY_SCHED_RETRY_MS));
	assert_string_equal(o.marked, strcat(yday, " "));
	assert_true(notify_sched_sent(n, "test-daily", day_name(T0, -1, yday)));
	assert_false(notify_sched_sent(n, "test-daily", before));
	assert_false(notify_sched_sent(n, "other", yday));
	assert_int_equal(count_to(n, "oncall@dc.example", "report"), 1);
	assert_int_equal(count_to(n, "OPS@acme.example", "report"), 0); /* a tenant's: never */
	/* mailed: nothing more is due that day */
	assert_false(notify_sched_run(s, f->cfg, n, NULL, &cal, T0 + 3 * NOTIFY_SCHED_RETRY_MS));
	assert_int_equal(o.built, 1);
	notify_sched_free(s);
	notifier_free(n);
	fx_free(f);
}

/* A first run marks the period before and mails nothing; every period that ended while
 * dcmond was down is mailed when it is back, oldest first, each once; past the catch-up
 * limit the older ones are marked (named in the log), not mailed. */
static void test_sched_catches_up(void **state)
{
	(void)state;
	struct fx *f = fx_new(CFG_NOTIFY, false);
	char err[256], want[256], d[NOTIFY_PERIOD_LEN];
	struct notify_env env = {.cfg = f->cfg};
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	assert_non_null(n);
	struct sched_owner o = {.route = "shared"};
	struct notify_sched *s = notify_sched_new(&test_sched_ops, &o, NULL);
	struct sched_calendar cal = {.schedule = "test-daily", .what = "test report",
				     .before = day_before, .catchup_max = 3, .own_last = o.last};

	assert_false(notify_sched_run(s, f->cfg, n, NULL, &cal, T0)); /* a first run */
	assert_int_equal(o.built, 0);
	snprintf(want, sizeof(want), "%s ", day_name(T0, -1, d));
	assert_string_equal(o.marked, want);

	/* away for two days: both mailed at the return, oldest first, then nothing */
	int64_t back = T0 + 2 * D_MS;
	for (int i = 0; i < 4; i++)
		notify_sched_run(s, f->cfg, n, NULL, &cal, back + i);
	assert_int_equal(o.built, 2);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", day_name(T0, 0, d));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", day_name(T0, 1, d));
	assert_string_equal(o.marked, want);
	assert_int_equal(count_to(n, "oncall@dc.example", "report"), 2);

	/* away for five days, the limit three: the two oldest marked at once, three mailed */
	back += 5 * D_MS;
	o.marked[0] = '\0';
	for (int i = 0; i < 6; i++)
		notify_sched_run(s, f->cfg, n, NULL, &cal, back + i);
	assert_int_equal(o.built, 5);
	want[0] = '\0';
	for (int i = 3; i <= 6; i++) /* the day 3 marks the two skipped (2 and 3) */
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", day_name(T0, i, d));
	assert_string_equal(o.marked, want);
	assert_false(notify_sched_sent(n, "test-daily", day_name(T0, 2, d))); /* skipped */
	assert_int_equal(count_to(n, "oncall@dc.example", "report"), 5);
	notify_sched_free(s);
	notifier_free(n);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_spool_prune),
		cmocka_unit_test(test_notifier_history),
		cmocka_unit_test(test_group_window),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_notifier_groups),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_reminders),
		cmocka_unit_test(test_reminders_after_restart),
		cmocka_unit_test(test_copy_follows_engine),
		cmocka_unit_test(test_spool_order),
		cmocka_unit_test(test_spool_html),
		cmocka_unit_test(test_group_graph_wait),
		cmocka_unit_test(test_spool_graph_migrate),
		cmocka_unit_test(test_sched_marks_with_the_spool),
		cmocka_unit_test(test_sched_catches_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
