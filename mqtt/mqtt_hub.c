/* The hub's store of the sites' alert events (mqtt_hub.h).  A site's events carry
 * (origin, incarnation, seq): seq grows by one per event of an outbox (incarnation), so
 * the hub applies the next one it expects, drops one it holds already (QoS 1 and the
 * outbox's replay deliver at least once), and holds one that comes after a missing
 * number until the missing one arrives or gap_wait passes (then the gap is reported
 * and the held ones applied).  What is applied and each site's position are committed
 * together, so a restarted hub neither shows an event twice nor forgets one. */
#include "mqtt_hub.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/api_route.h"
#include "dcmon/authz.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/state_db.h"
#include "mqtt_int.h"

#define HUB_HELD_MAX 100000 /* events of one site held behind a gap at most */
#define HUB_LIST_MAX 100000 /* events of one API answer at most */

static const char hub_schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS sites(origin TEXT PRIMARY KEY, incarnation INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, gaps INTEGER NOT NULL, seen_ms INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events(origin TEXT NOT NULL, incarnation INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, alert_id INTEGER, state TEXT, payload TEXT NOT NULL,"
	" PRIMARY KEY(origin, incarnation, seq));";

enum { HUB_EVENT, HUB_SITE, HUB_BEGIN, HUB_COMMIT, HUB_NSTMT };

static const char *const hub_sql[HUB_NSTMT] = {
	[HUB_EVENT] = "INSERT OR IGNORE INTO events(origin, incarnation, seq, alert_id, state,"
		      " payload) VALUES(?, ?, ?, ?, ?, ?)",
	[HUB_SITE] = "INSERT OR REPLACE INTO sites(origin, incarnation, seq, gaps, seen_ms)"
		     " VALUES(?, ?, ?, ?, ?)",
	[HUB_BEGIN] = "BEGIN",
	[HUB_COMMIT] = "COMMIT",
};

/* An event that came after a missing one. */
struct held {
	int64_t seq;
	char *payload;
};

struct hub_site {
	char *origin;
	int64_t incarnation;
	int64_t seq;          /* the last applied */
	int64_t gaps;         /* events reported missing */
	int64_t dups;         /* events received again (since start) */
	int64_t seen_ms;      /* wall clock of the last event received */
	int64_t beat_ms;      /* wall clock of the last heartbeat, 0 = none since start */
	struct held *held;    /* sorted by seq, all > seq + 1 */
	size_t nheld, cap;
	int64_t held_since;   /* monotonic ms the first of held began to wait */
	struct hub_site *next;
};

struct mqtt_hub {
	sqlite3 *db;
	sqlite3_stmt *stmt[HUB_NSTMT];
	char *path;
	int64_t gap_wait_ms;
	struct hub_site *sites;
	struct log_complaint fail;
};

/* The API's view of the hub (the daemon has one).  Loop thread. */
static struct mqtt_hub *hub_current;

/* The fields of an event that name and place it. */
struct hub_ev {
	const char *origin;
	int64_t incarnation, seq, alert_id;
	const char *state;
};

static bool hub_ev_read(json_t *root, struct hub_ev *ev)
{
	json_t *o = json_object_get(root, "origin"), *i = json_object_get(root, "incarnation"),
	       *s = json_object_get(root, "seq");
	if (!json_is_string(o) || !json_is_integer(i) || !json_is_integer(s) ||
	    json_integer_value(s) < 1)
		return false;
	*ev = (struct hub_ev){.origin = json_string_value(o), .incarnation = json_integer_value(i),
			      .seq = json_integer_value(s),
			      .alert_id = json_integer_value(json_object_get(root, "id")),
			      .state = json_string_value(json_object_get(root, "state"))};
	return true;
}

static struct hub_site *site_find(struct mqtt_hub *h, const char *origin)
{
	for (struct hub_site *s = h->sites; s; s = s->next)
		if (!strcmp(s->origin, origin))
			return s;
	return NULL;
}

static struct hub_site *site_add(struct mqtt_hub *h, const char *origin)
{
	struct hub_site *s = calloc(1, sizeof(*s));
	if (!s || !(s->origin = strdup(origin))) {
		free(s);
		return NULL;
	}
	s->next = h->sites;
	h->sites = s;
	return s;
}

static void held_clear(struct hub_site *s)
{
	for (size_t i = 0; i < s->nheld; i++)
		free(s->held[i].payload);
	s->nheld = 0;
}

static int run_site(struct mqtt_hub *h, const struct hub_site *s)
{
	struct store_row r = {0};
	store_row_text(&r, s->origin);
	store_row_int(&r, s->incarnation);
	store_row_int(&r, s->seq);
	store_row_int(&r, s->gaps);
	store_row_int(&r, s->seen_ms);
	return state_db_run(h->stmt[HUB_SITE], r.v, r.n);
}

static int run_event(struct mqtt_hub *h, const struct hub_ev *ev, const char *payload)
{
	struct store_row r = {0};
	store_row_text(&r, ev->origin);
	store_row_int(&r, ev->incarnation);
	store_row_int(&r, ev->seq);
	store_row_int(&r, ev->alert_id);
	store_row_text(&r, ev->state);
	store_row_text(&r, payload);
	return state_db_run(h->stmt[HUB_EVENT], r.v, r.n);
}

/* Commits the event and the site's new position together. */
static void apply(struct mqtt_hub *h, struct hub_site *s, const struct hub_ev *ev,
		  const char *payload)
{
	s->seq = ev->seq;
	int rc = state_db_run(h->stmt[HUB_BEGIN], NULL, 0);
	if (rc == SQLITE_DONE)
		rc = run_event(h, ev, payload);
	if (rc == SQLITE_DONE)
		rc = run_site(h, s);
	if (rc == SQLITE_DONE)
		rc = state_db_run(h->stmt[HUB_COMMIT], NULL, 0);
	if (rc != SQLITE_DONE) {
		char why[256];
		state_db_failure(h->db, rc, why, sizeof(why));
		state_db_rollback(h->db);
		log_complain(&h->fail, clock_mono_ms(), "mqtt", NULL, "hub %s: event %s/%lld "
			     "not stored: %s", h->path, s->origin, (long long)ev->seq, why);
	}
}

static void apply_payload(struct mqtt_hub *h, struct hub_site *s, const char *payload)
{
	struct hub_ev ev;
	json_t *root = json_loads(payload, 0, NULL);
	if (root && hub_ev_read(root, &ev))
		apply(h, s, &ev, payload);
	json_decref(root);
}

/* Applies the held events that now follow on. */
static void apply_held(struct mqtt_hub *h, struct hub_site *s, int64_t now_ms)
{
	size_t i = 0;
	while (i < s->nheld && s->held[i].seq <= s->seq + 1) {
		if (s->held[i].seq == s->seq + 1)
			apply_payload(h, s, s->held[i].payload);
		free(s->held[i++].payload);
	}
	if (!i)
		return; /* the first held still waits since held_since, however much arrives */
	memmove(s->held, s->held + i, (s->nheld - i) * sizeof(*s->held));
	s->nheld -= i;
	s->held_since = s->nheld ? now_ms : 0;
}

/* The missing events before the first held one are given up: reported, counted. */
static void give_up_gap(struct mqtt_hub *h, struct hub_site *s, int64_t now_ms)
{
	int64_t from = s->seq + 1, to = s->held[0].seq - 1;
	s->gaps += to - from + 1;
	log_warnx("mqtt", NULL, "hub: site %s: events %lld..%lld never arrived (gap of %lld)",
		  s->origin, (long long)from, (long long)to, (long long)(to - from + 1));
	s->seq = to;
	apply_held(h, s, now_ms);
}

static void hold(struct mqtt_hub *h, struct hub_site *s, const struct hub_ev *ev,
		 const char *payload, int64_t now_ms)
{
	size_t at = 0;
	while (at < s->nheld && s->held[at].seq < ev->seq)
		at++;
	if (at < s->nheld && s->held[at].seq == ev->seq) {
		s->dups++;
		return;
	}
	if (s->nheld == HUB_HELD_MAX)
		give_up_gap(h, s, now_ms);
	if (s->nheld == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct held *v = realloc(s->held, cap * sizeof(*v));
		if (!v)
			return;
		s->held = v;
		s->cap = cap;
	}
	char *copy = strdup(payload);
	if (!copy)
		return;
	memmove(s->held + at + 1, s->held + at, (s->nheld - at) * sizeof(*s->held));
	s->held[at] = (struct held){.seq = ev->seq, .payload = copy};
	if (!s->nheld++)
		s->held_since = now_ms;
}

/* A new outbox at the site (its file made anew): its numbers start again. */
static void new_incarnation(struct mqtt_hub *h, struct hub_site *s, const struct hub_ev *ev,
			    int64_t now_ms)
{
	while (s->nheld)
		give_up_gap(h, s, now_ms);
	if (s->incarnation)
		log_info("mqtt", NULL, "hub: site %s: new outbox (incarnation %lld after %lld)",
			 s->origin, (long long)ev->incarnation, (long long)s->incarnation);
	s->incarnation = ev->incarnation;
	s->seq = ev->seq - 1; /* the first the hub hears of it starts its sequence */
}

void mqtt_hub_event(struct mqtt_hub *h, const char *payload, size_t len, int64_t now_ms)
{
	struct hub_ev ev;
	json_t *root = json_loadb(payload, len, 0, NULL);
	char *text = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	struct hub_site *s = NULL;
	if (!text || !hub_ev_read(root, &ev)) {
		log_warnx("mqtt", NULL, "hub: an event without origin, incarnation and seq: "
			  "dropped");
	} else if (!(s = site_find(h, ev.origin)) && !(s = site_add(h, ev.origin))) {
		log_warnx("mqtt", NULL, "hub: out of memory");
	} else {
		s->seen_ms = clock_wall_ms();
		if (ev.incarnation > s->incarnation)
			new_incarnation(h, s, &ev, now_ms);
		if (ev.incarnation < s->incarnation || ev.seq <= s->seq)
			s->dups++;
		else if (ev.seq == s->seq + 1)
			apply(h, s, &ev, text);
		else
			hold(h, s, &ev, text, now_ms);
		apply_held(h, s, now_ms);
	}
	free(text);
	json_decref(root);
}

void mqtt_hub_heartbeat(struct mqtt_hub *h, const char *payload, size_t len, bool retained,
			int64_t now_wall_ms)
{
	json_t *root = json_loadb(payload, len, 0, NULL);
	json_t *o = json_object_get(root, "origin"), *ts = json_object_get(root, "ts");
	struct hub_site *s = NULL;
	if (!json_is_string(o) || !json_is_integer(ts))
		log_warnx("mqtt", NULL, "hub: a heartbeat without origin and ts: dropped");
	else if (!(s = site_find(h, json_string_value(o))))
		s = site_add(h, json_string_value(o));
	if (s) /* a site's clock ahead of ours is no younger than now */
		s->beat_ms = retained && json_integer_value(ts) < now_wall_ms ?
				     json_integer_value(ts) : now_wall_ms;
	json_decref(root);
}

void mqtt_hub_ages(struct mqtt_hub *h, int64_t now_wall_ms,
		   void (*fn)(void *arg, const char *origin, int64_t age_ms), void *arg)
{
	for (struct hub_site *s = h ? h->sites : NULL; s; s = s->next)
		if (s->beat_ms)
			fn(arg, s->origin, now_wall_ms - s->beat_ms);
}

void mqtt_hub_tick(struct mqtt_hub *h, int64_t now_ms)
{
	if (!h)
		return;
	for (struct hub_site *s = h->sites; s; s = s->next)
		if (s->nheld && now_ms - s->held_since >= h->gap_wait_ms)
			give_up_gap(h, s, now_ms);
}

static void load_sites(struct mqtt_hub *h)
{
	sqlite3_stmt *st = state_db_query(h->db, "SELECT origin, incarnation, seq, gaps, seen_ms"
					  " FROM sites", NULL);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		struct hub_site *s = site_add(h, (const char *)sqlite3_column_text(st, 0));
		if (!s)
			break;
		s->incarnation = sqlite3_column_int64(st, 1);
		s->seq = sqlite3_column_int64(st, 2);
		s->gaps = sqlite3_column_int64(st, 3);
		s->seen_ms = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
}

struct mqtt_hub *mqtt_hub_open(const char *dir, int64_t gap_wait_ms, char *err,
			       size_t errlen)
{
	char path[4096], why[256];
	if (dir && snprintf(path, sizeof(path), "%s/hub.db", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "mqtt hub: state_dir too long");
		return NULL;
	}
	struct mqtt_hub *h = calloc(1, sizeof(*h));
	if (!h || !(h->path = strdup(dir ? path : ":memory:"))) {
		free(h);
		snprintf(err, errlen, "mqtt hub: out of memory");
		return NULL;
	}
	h->gap_wait_ms = gap_wait_ms;
	if (state_db_open(&h->db, h->path, hub_schema, why, sizeof(why)) != SQLITE_OK ||
	    state_db_prepare_all(h->db, h->path, hub_sql, h->stmt, HUB_NSTMT, why,
				 sizeof(why)) != SQLITE_OK) {
		snprintf(err, errlen, "mqtt hub %s", why);
		mqtt_hub_close(h);
		return NULL;
	}
	load_sites(h);
	hub_current = h;
	return h;
}

void mqtt_hub_close(struct mqtt_hub *h)
{
	if (!h)
		return;
	if (hub_current == h)
		hub_current = NULL;
	while (h->sites) {
		struct hub_site *s = h->sites;
		h->sites = s->next;
		held_clear(s);
		free(s->held);
		free(s->origin);
		free(s);
	}
	state_db_finalize_all(h->stmt, HUB_NSTMT);
	sqlite3_close(h->db);
	free(h->path);
	free(h);
}

/* ---- API ------------------------------------------------------------------------- */

static int64_t site_count(struct mqtt_hub *h, const char *origin)
{
	struct store_row r = {0};
	store_row_text(&r, origin);
	sqlite3_stmt *st = state_db_query(h->db, "SELECT count(*) FROM events WHERE origin = ?",
					  &r);
	int64_t n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return n;
}

static json_t *site_json(struct mqtt_hub *h, const struct hub_site *s, int64_t now_ms)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id", s->origin,
			 "incarnation", (json_int_t)s->incarnation, "seq", (json_int_t)s->seq,
			 "events", (json_int_t)site_count(h, s->origin), "gaps",
			 (json_int_t)s->gaps, "duplicates", (json_int_t)s->dups, "waiting",
			 (json_int_t)s->nheld, "link_age_ms",
			 (json_int_t)(s->beat_ms ? now_ms - s->beat_ms : -1));
}

/* The hub, when the actor may see it: the sites' events span every tenant, so a
 * tenant's actor gets what a missing endpoint gives. */
static struct mqtt_hub *hub_for(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct authz_object every_tenant = {.scope = AUTHZ_SCOPE_OTHER};
	if (authz_check(ctx->req->actor, AUTHZ_ACT_VIEW, &every_tenant) != AUTHZ_ALLOW) {
		api_reply_error(resp, 404, "no such endpoint: %s", ctx->req->path);
		return NULL;
	}
	if (!hub_current)
		api_reply_error(resp, 404, "not a hub: daemon.mqtt.role is not hub");
	return hub_current;
}

void mqtt_api_get_sites(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!hub_for(ctx, resp))
		return;
	json_t *list = json_array();
	for (struct hub_site *s = hub_current->sites; s; s = s->next)
		json_array_append_new(list, site_json(hub_current, s, ctx->now_ms));
	api_reply_json(resp, 200, json_pack("{s:o}", "sites", list));
}

/* The payloads of a query's first column, parsed, as an array. */
static json_t *payloads(struct mqtt_hub *h, const char *sql, const struct store_row *args)
{
	json_t *list = json_array();
	sqlite3_stmt *st = state_db_query(h->db, sql, args);
	for (size_t n = 0; st && n < HUB_LIST_MAX && sqlite3_step(st) == SQLITE_ROW; n++)
		json_array_append_new(list, json_loads((const char *)sqlite3_column_text(st, 0), 0,
						       NULL));
	sqlite3_finalize(st);
	return list;
}

/* GET /api/v1/sites/ID/alerts: the site's alerts as their last event left them (not
 * resolved); /api/v1/sites/ID/events: every event applied, in order. */
void mqtt_api_get_site(const struct api_ctx *ctx, struct api_response *resp)
{
	char id[256];
	const char *slash = strchr(ctx->tail, '/');
	size_t n = slash ? (size_t)(slash - ctx->tail) : 0;
	if (!hub_for(ctx, resp))
		return;
	if (!slash || n >= sizeof(id) || (strcmp(slash, "/alerts") && strcmp(slash, "/events"))) {
		api_reply_error(resp, 404, "expected /api/v1/sites/ID/alerts or /events");
		return;
	}
	memcpy(id, ctx->tail, n);
	id[n] = '\0';
	struct hub_site *s = site_find(hub_current, id);
	if (!s) {
		api_reply_error(resp, 404, "no site '%s'", id);
		return;
	}
	struct store_row r = {0};
	store_row_text(&r, id);
	bool alerts = !strcmp(slash, "/alerts");
	json_t *list = payloads(hub_current, alerts ?
		"SELECT payload FROM (SELECT payload, state, incarnation, seq, row_number() OVER"
		" (PARTITION BY alert_id ORDER BY incarnation DESC, seq DESC) AS rn FROM events"
		" WHERE origin = ?) WHERE rn = 1 AND state NOT IN ('resolved', 'ok')"
		" ORDER BY incarnation, seq" :
		"SELECT payload FROM events WHERE origin = ? ORDER BY incarnation, seq", &r);
	api_reply_json(resp, 200, json_pack("{s:o, s:o}", "site",
					    site_json(hub_current, s, ctx->now_ms),
					    alerts ? "alerts" : "events", list));
}
