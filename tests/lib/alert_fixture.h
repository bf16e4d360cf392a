/* Shared fixture of the alerting tests: a config from YAML text, a registry with the
 * engine attached, and a recorder of the engine's events.  Header-only (static inline)
 * so that only the alerting tests carry it. */
#ifndef DCMON_ALERT_FIXTURE_H
#define DCMON_ALERT_FIXTURE_H

#include "testing.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"

#define FX_T0 1767225600000LL /* 2026-01-01T00:00:00Z, wall ms */
#define FX_MAXEV 256

struct fx_event {
	enum alert_event_type type;
	int64_t id, ts_ms;
	enum cfg_severity severity, prev;
	enum alert_state state;
	double value;
	char rule[64], device[64], metric[64];
	bool acked;
	char suppressed_by[64], breaks_through[64]; /* "" when NULL */
	double time_to_impact_s;
};

struct fx {
	char dir[64];
	struct cfg_diags diags;
	struct cfg *cfg;
	struct metric_reg *reg;
	struct alert_engine *e;
	struct change_bus *bus; /* the engine publishes here; fx_change records */
	struct fx_event ev[FX_MAXEV];
	int nev;
};

static inline void fx_listen(void *arg, const struct alert_event *ev)
{
	struct fx *f = arg;
	assert_true(f->nev < FX_MAXEV);
	struct fx_event *r = &f->ev[f->nev++];
	*r = (struct fx_event){.type = ev->type, .id = ev->alert_id, .ts_ms = ev->ts_ms,
			       .severity = ev->severity, .prev = ev->prev_severity,
			       .state = ev->state, .value = ev->value, .acked = ev->acked};
	snprintf(r->rule, sizeof(r->rule), "%s", ev->rule);
	snprintf(r->device, sizeof(r->device), "%s", ev->device);
	snprintf(r->metric, sizeof(r->metric), "%s", ev->metric);
	snprintf(r->suppressed_by, sizeof(r->suppressed_by), "%s",
		 ev->suppressed_by ? ev->suppressed_by : "");
	snprintf(r->breaks_through, sizeof(r->breaks_through), "%s",
		 ev->breaks_through ? ev->breaks_through : "");
	r->time_to_impact_s = ev->time_to_impact_s;
}

/* The notifications among the engine's changes, as fx_listen records them. */
static inline void fx_change(void *arg, const struct change *c)
{
	const struct alert_event *ev = alert_event_of(c);
	if (alert_event_notifies(ev->type))
		fx_listen(arg, ev);
}

/* Engine and registry over f->cfg; state kept in f->dir if persist. */
static inline void fx_start(struct fx *f, bool persist)
{
	char err[256] = "";
	f->reg = metric_reg_new();
	f->e = alert_engine_new(f->cfg, NULL, 0, persist ? f->dir : NULL, err, sizeof(err));
	if (!f->e)
		fail_msg("alert_engine_new: %s", err);
	if (!f->bus) {
		f->bus = change_bus_new();
		assert_int_equal(change_subscribe(f->bus, CHANGE_MASK(CHANGE_ALERT), fx_change, f), 0);
	}
	alert_engine_set_bus(f->e, f->bus);
	assert_int_equal(alert_engine_attach(f->e, f->reg), 0);
}

/* Loads a config from YAML text (written to a fresh temp dir). */
static inline struct fx *fx_new(const char *yaml, bool persist)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/dcmon-alert-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/dcmon.yaml", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(yaml, fp);
	fclose(fp);
	cfg_diags_init(&f->diags);
	f->cfg = cfg_load(path, &f->diags);
	if (!f->cfg) {
		cfg_diags_print(&f->diags, stdout);
		fail_msg("config did not load");
	}
	fx_start(f, persist);
	return f;
}

/* Stops engine and registry (as a daemon exit would) and starts them again. */
static inline void fx_restart(struct fx *f, bool persist)
{
	alert_engine_free(f->e);
	metric_reg_free(f->reg);
	f->nev = 0;
	fx_start(f, persist);
}

static inline void fx_free(struct fx *f)
{
	alert_engine_free(f->e);
	metric_reg_free(f->reg);
	change_bus_free(f->bus);
	cfg_free(f->cfg);
	cfg_diags_free(&f->diags);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

/* A metric of `device`, reporting every 10 s. */
static inline struct metric *fx_metric(struct fx *f, const char *device, const char *name,
				       enum metric_kind kind, const char *inst)
{
	static const struct metric_enum ups_source[] = {{2, "none"}, {3, "normal"}, {5, "battery"}};
	struct metric_desc d = {.name = name, .unit = "", .kind = kind, .interval_ms = 10000,
				.inst_label = inst ? "inst" : NULL, .inst = inst};
	if (kind == METRIC_STATE) {
		d.enums = ups_source;
		d.nenums = 3;
	}
	struct metric *m = metric_reg_get(f->reg, device, &d);
	assert_non_null(m);
	return m;
}

/* State of the alert of (rule, metric), ALERT_OK if none; fills *v if not NULL. */
struct fx_find {
	const char *rule, *device, *key;
	struct alert_view v;
	bool found;
};
static inline bool fx_find_cb(void *arg, const struct alert_view *v)
{
	struct fx_find *q = arg;
	if (strcmp(v->rule, q->rule) || strcmp(v->device, q->device) || strcmp(v->metric_key, q->key))
		return true;
	q->v = *v;
	q->found = true;
	return false;
}
static inline enum alert_state fx_state(struct fx *f, const char *rule, const char *device,
					const char *key, int64_t now, struct alert_view *v)
{
	struct fx_find q = {rule, device, key, {0}, false};
	alert_engine_foreach(f->e, now, fx_find_cb, &q);
	if (v)
		*v = q.v;
	return q.found ? q.v.state : ALERT_OK;
}

/* Count of recorded events of a type. */
static inline int fx_count(const struct fx *f, enum alert_event_type t)
{
	int n = 0;
	for (int i = 0; i < f->nev; i++)
		n += f->ev[i].type == t;
	return n;
}

#define FX_DEVICES                                                                         \
	"daemon: {data_dir: ./data}\n"                                                     \
	"sites:\n"                                                                         \
	"  - id: s1\n"                                                                     \
	"    rooms: [{id: hall-1}, {id: hall-2}]\n"                                        \
	"tenants: [{id: acme, email: [noc@acme.example]}]\n"                               \
	"devices:\n"                                                                       \
	"  - {id: ups-1, kind: ups, location: {site: s1, room: hall-1}}\n"                 \
	"  - {id: ups-2, kind: ups, location: {site: s1, room: hall-2}}\n"                 \
	"  - {id: web-1, kind: server, tenant: acme, host: 127.0.0.1,\n"                   \
	"     labels: {role: web}, checks: {ping: {}}}\n"                                  \
	"  - {id: db-1, kind: server, host: 127.0.0.1, labels: {role: db},\n"              \
	"     checks: {ping: {}}}\n"

#endif
