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

#include "dcmon/alert.h"
#include "dcmon/api_route.h"
#include "dcmon/authz.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/state_db.h"
#include "mqtt_command.h"
#include "mqtt_int.h"

#define HUB_HELD_MAX 100000 /* events of one site held behind a gap at most */
#define HUB_LIST_MAX 100000 /* events of one API answer at most */
#define HUB_RESEND_MS 10000 /* a command without reply is sent again this often */
#define HUB_BEAT_DEFAULT_MS 10000 /* a heartbeat's interval when it does not say */
#define HUB_BEATS_MISSED 3  /* heartbeats missed before a site is unreachable */

static const char hub_schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS sites(origin TEXT PRIMARY KEY, incarnation INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, gaps INTEGER NOT NULL, seen_ms INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events(origin TEXT NOT NULL, incarnation INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, alert_id INTEGER, state TEXT, payload TEXT NOT NULL,"
	" PRIMARY KEY(origin, incarnation, seq));"
	"CREATE TABLE IF NOT EXISTS commands(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" site TEXT NOT NULL, kind TEXT NOT NULL, by TEXT, text TEXT NOT NULL,"
	" sent_ms INTEGER NOT NULL, status INTEGER, reply TEXT, replied_ms INTEGER);";

enum { HUB_EVENT, HUB_SITE, HUB_NSTMT };

static const char *const hub_sql[HUB_NSTMT] = {
	[HUB_EVENT] = "INSERT OR IGNORE INTO events(origin, incarnation, seq, alert_id, state,"
		      " payload) VALUES(?, ?, ?, ?, ?, ?)",
	[HUB_SITE] = "INSERT OR REPLACE INTO sites(origin, incarnation, seq, gaps, seen_ms)"
		     " VALUES(?, ?, ?, ?, ?)",
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
	int64_t beat_every_ms; /* the site's heartbeat interval, as its heartbeat says */
	struct held *held;    /* sorted by seq, all > seq + 1 */
	size_t nheld, cap;
	int64_t held_since;   /* monotonic ms the first of held began to wait */
	char *prefix;         /* its publish.prefix (its topics' first levels), or NULL */
	struct hub_site *next;
};

struct mqtt_hub {
	sqlite3 *db;
	sqlite3_stmt *stmt[HUB_NSTMT];
	char *path;
	int64_t gap_wait_ms;
	struct hub_site *sites;
	/* what is applied, held until committed: a full disk keeps it here, in order, and
	 * it is written when space returns (the broker has had its acknowledgement) */
	struct store_held held;
	/* commands to the sites (mqtt_hub_commands), NULL key: none */
	const char *client_id, *key;
	const struct api_env *api;
	int (*send)(void *arg, const char *topic, const char *payload);
	void *send_arg;
	int64_t resend_ms;    /* monotonic ms of the last resend */
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

static void hold_site(struct mqtt_hub *h, const struct hub_site *s)
{
	struct store_row r = {.stmt = HUB_SITE};
	store_row_text(&r, s->origin);
	store_row_int(&r, s->incarnation);
	store_row_int(&r, s->seq);
	store_row_int(&r, s->gaps);
	store_row_int(&r, s->seen_ms);
	store_held_push(&h->held, &r, h->path);
}

static void hold_event(struct mqtt_hub *h, const struct hub_ev *ev, const char *payload)
{
	struct store_row r = {.stmt = HUB_EVENT};
	store_row_text(&r, ev->origin);
	store_row_int(&r, ev->incarnation);
	store_row_int(&r, ev->seq);
	store_row_int(&r, ev->alert_id);
	store_row_text(&r, ev->state);
	store_row_text(&r, payload);
	store_held_push(&h->held, &r, h->path);
}

/* Commits the event and the site's new position together; when hub.db cannot be
 * written they stay held, with what follows, until it can (mqtt_hub_tick). */
static void apply(struct mqtt_hub *h, struct hub_site *s, const struct hub_ev *ev,
		  const char *payload)
{
	s->seq = ev->seq;
	hold_event(h, ev, payload);
	hold_site(h, s);
	store_held_write(&h->held, h->db, h->stmt, h->path, false);
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

/* The site's prefix: the levels of topic before its last ("/_events"). */
static void site_prefix(struct hub_site *s, const char *topic)
{
	const char *slash = topic ? strrchr(topic, '/') : NULL;
	size_t n = slash ? (size_t)(slash - topic) : 0;
	if (!n || (s->prefix && strlen(s->prefix) == n && !strncmp(s->prefix, topic, n)))
		return;
	free(s->prefix);
	s->prefix = strndup(topic, n);
}

void mqtt_hub_event(struct mqtt_hub *h, const char *topic, const char *payload, size_t len,
		    int64_t now_ms)
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
		site_prefix(s, topic);
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

void mqtt_hub_heartbeat(struct mqtt_hub *h, const char *topic, const char *payload,
			size_t len, bool retained, int64_t now_wall_ms)
{
	json_t *root = json_loadb(payload, len, 0, NULL);
	json_t *o = json_object_get(root, "origin"), *ts = json_object_get(root, "ts");
	struct hub_site *s = NULL;
	if (!json_is_string(o) || !json_is_integer(ts))
		log_warnx("mqtt", NULL, "hub: a heartbeat without origin and ts: dropped");
	else if (!(s = site_find(h, json_string_value(o))))
		s = site_add(h, json_string_value(o));
	if (s) {
		json_int_t every = json_integer_value(json_object_get(root, "interval_ms"));
		s->beat_every_ms = every > 0 ? every : HUB_BEAT_DEFAULT_MS;
		site_prefix(s, topic);
	}
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

/* ---- commands to the sites ---------------------------------------------------------- */

void mqtt_hub_commands(struct mqtt_hub *h, const char *client_id, const char *key,
		       const struct api_env *api,
		       int (*send)(void *arg, const char *topic, const char *payload), void *arg)
{
	h->client_id = client_id;
	h->key = key;
	h->api = api;
	h->send = send;
	h->send_arg = arg;
}

/* Seals and hands text to the broker on the site's commands topic: 0, or -1 when the
 * site's topics are not known yet or the broker is away (the resend tries again). */
static int send_command(struct mqtt_hub *h, const char *site, const char *text)
{
	char topic[512];
	struct hub_site *s = site_find(h, site);
	if (!s || !s->prefix ||
	    snprintf(topic, sizeof(topic), "%s/_commands", s->prefix) >= (int)sizeof(topic))
		return -1;
	char *sealed = mqtt_cmd_seal(h->key, text);
	int rc = sealed ? h->send(h->send_arg, topic, sealed) : -1;
	free(sealed);
	return rc;
}

/* Runs one statement of sql with args that returns no rows: the rows it changed, or -1. */
static int hub_exec(struct mqtt_hub *h, const char *sql, const struct store_row *args)
{
	sqlite3_stmt *st = state_db_query(h->db, sql, args);
	int n = st && sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(h->db) : -1;
	sqlite3_finalize(st);
	return n;
}

/* Sends again the commands without reply sent before the wall time `before`. */
static void resend_before(struct mqtt_hub *h, int64_t before)
{
	struct store_row r = {0};
	store_row_int(&r, before);
	sqlite3_stmt *st = state_db_query(h->db, "SELECT site, text FROM commands WHERE status"
					  " IS NULL AND sent_ms <= ? ORDER BY id", &r);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		send_command(h, (const char *)sqlite3_column_text(st, 0),
			     (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
}

void mqtt_hub_resend(struct mqtt_hub *h)
{
	if (h && h->key)
		resend_before(h, INT64_MAX);
}

static void hub_audit(struct mqtt_hub *h, const struct alert_actor *by, const char *action,
		      const char *target, const char *detail)
{
	struct alert_engine *e = mqtt_audit_engine(h->api);
	if (!e || alert_engine_audit_add(e, by, action, target, detail, clock_wall_ms()) < 0)
		log_warnx("mqtt", NULL, "hub: %s %s (%s) not audited: no audit log", action,
			  target, detail);
}

/* A reply that does not carry the shared key's seal: marks nothing answered (a forged
 * reply could otherwise stop the resends of a command the site never applied). */
static void reply_refused(struct mqtt_hub *h, const char *topic, const char *why)
{
	char detail[256];
	snprintf(detail, sizeof(detail), "on %s: %s", topic, why);
	log_warnx("mqtt", NULL, "hub: a reply refused %s", detail);
	hub_audit(h, &(struct alert_actor){.who = "unknown", .origin = "mqtt"},
		  "site-command-reply-refused", "command:?", detail);
}

void mqtt_hub_reply(struct mqtt_hub *h, const char *topic, const char *payload, size_t len,
		    int64_t now_wall_ms)
{
	char why[128];
	char *opened = mqtt_cmd_open(h->key, payload, len, why, sizeof(why));
	if (!opened) {
		reply_refused(h, topic, why);
		return;
	}
	json_t *root = json_loads(opened, 0, NULL);
	free(opened);
	const char *origin = json_string_value(json_object_get(root, "origin"));
	const char *from = json_string_value(json_object_get(root, "from"));
	json_t *id = json_object_get(root, "id"), *status = json_object_get(root, "status");
	if (!origin || !from || !json_is_integer(id) || !json_is_integer(status) ||
	    !h->client_id || strcmp(from, h->client_id)) {
		json_decref(root);
		return; /* another hub's, or not a reply */
	}
	char *text = json_dumps(root, JSON_COMPACT);
	struct store_row r = {0};
	store_row_int(&r, json_integer_value(status));
	store_row_text(&r, text);
	store_row_int(&r, now_wall_ms);
	store_row_int(&r, json_integer_value(id));
	store_row_text(&r, origin);
	if (hub_exec(h, "UPDATE commands SET status = ?, reply = ?, replied_ms = ? WHERE id = ?"
		     " AND site = ? AND status IS NULL", &r) == 1) { /* a repeated reply (QoS 1, a resend) is not audited again */
		char target[320], detail[64], who[160];
		snprintf(target, sizeof(target), "site:%s/command:%lld", origin,
			 (long long)json_integer_value(id));
		snprintf(detail, sizeof(detail), "status %lld", (long long)json_integer_value(status));
		snprintf(who, sizeof(who), "site:%s", origin);
		hub_audit(h, &(struct alert_actor){.who = who, .origin = "mqtt"}, "site-command-reply",
			  target, detail);
	}
	free(text);
	json_decref(root);
}

void mqtt_hub_tick(struct mqtt_hub *h, int64_t now_ms)
{
	if (!h)
		return;
	store_held_write(&h->held, h->db, h->stmt, h->path, false);
	for (struct hub_site *s = h->sites; s; s = s->next)
		if (s->nheld && now_ms - s->held_since >= h->gap_wait_ms)
			give_up_gap(h, s, now_ms);
	if (h->key && now_ms - h->resend_ms >= HUB_RESEND_MS) {
		h->resend_ms = now_ms;
		resend_before(h, clock_wall_ms() - HUB_RESEND_MS);
	}
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
	h->held = (struct store_held){.sub = "mqtt", .what = "the sites' events"};
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
	if (h->db && store_held_write(&h->held, h->db, h->stmt, h->path, true) < 0)
		log_msg(LOG_LVL_ERROR, "mqtt", NULL, "hub %s: %zu writes of the sites' events lost "
			"at stop (the file cannot be written)", h->path, h->held.n);
	store_held_free(&h->held);
	while (h->sites) {
		struct hub_site *s = h->sites;
		h->sites = s->next;
		held_clear(s);
		free(s->held);
		free(s->origin);
		free(s->prefix);
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

/* A site is unreachable once HUB_BEATS_MISSED of its heartbeats did not come. */
static bool site_unreachable(const struct hub_site *s, int64_t now_ms)
{
	return s->beat_ms && now_ms - s->beat_ms > HUB_BEATS_MISSED * s->beat_every_ms;
}

static json_t *site_json(struct mqtt_hub *h, const struct hub_site *s, int64_t now_ms)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "id", s->origin,
			 "incarnation", (json_int_t)s->incarnation, "seq", (json_int_t)s->seq,
			 "events", (json_int_t)site_count(h, s->origin), "gaps",
			 (json_int_t)s->gaps, "duplicates", (json_int_t)s->dups, "waiting",
			 (json_int_t)s->nheld, "link_age_ms",
			 (json_int_t)(s->beat_ms ? now_ms - s->beat_ms : -1), "heartbeat_ms",
			 (json_int_t)s->beat_every_ms, "unreachable", site_unreachable(s, now_ms));
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

/* The commands sent to a site, newest last (at most HUB_LIST_MAX). */
static json_t *commands_json(struct mqtt_hub *h, const char *site)
{
	struct store_row r = {0};
	store_row_text(&r, site);
	json_t *list = json_array();
	sqlite3_stmt *st = state_db_query(h->db, "SELECT id, kind, by, text, sent_ms, status,"
					  " reply, replied_ms FROM commands WHERE site = ?"
					  " ORDER BY id", &r);
	for (size_t n = 0; st && n < HUB_LIST_MAX && sqlite3_step(st) == SQLITE_ROW; n++) {
		json_t *cmd = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
		const char *reply = (const char *)sqlite3_column_text(st, 6);
		json_t *o = json_pack("{s:I, s:s, s:s?, s:I, s:o*}", "id",
				      (json_int_t)sqlite3_column_int64(st, 0), "kind",
				      (const char *)sqlite3_column_text(st, 1), "by",
				      (const char *)sqlite3_column_text(st, 2), "sent_ms",
				      (json_int_t)sqlite3_column_int64(st, 4), "command", cmd);
		json_object_set_new(o, "status", sqlite3_column_type(st, 5) == SQLITE_NULL ?
					 json_null() : json_integer(sqlite3_column_int64(st, 5)));
		json_object_set_new(o, "reply", reply ? json_loads(reply, 0, NULL) : json_null());
		json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	return list;
}

/* GET /api/v1/sites/ID/alerts: the site's alerts as their last event left them (not
 * resolved); /api/v1/sites/ID/events: every event applied, in order. */
/* The site ID of a /api/v1/sites/ID/WHAT path into id (256 bytes), and WHAT ("/alerts")
 * when it is one of whats (NULL-terminated); NULL after answering 404. */
static const char *site_path(const struct api_ctx *ctx, struct api_response *resp, char *id,
			     const char *const *whats, const char *expected)
{
	const char *slash = strchr(ctx->tail, '/');
	size_t n = slash ? (size_t)(slash - ctx->tail) : 0;
	if (!hub_for(ctx, resp))
		return NULL;
	while (slash && *whats && strcmp(slash, *whats))
		whats++;
	if (!slash || n >= 256 || !*whats) {
		api_reply_error(resp, 404, "expected %s", expected);
		return NULL;
	}
	memcpy(id, ctx->tail, n);
	id[n] = '\0';
	return slash;
}

void mqtt_api_get_site(const struct api_ctx *ctx, struct api_response *resp)
{
	char id[256];
	static const char *const whats[] = {"/alerts", "/events", "/commands", NULL};
	const char *slash = site_path(ctx, resp, id, whats,
				      "/api/v1/sites/ID/alerts, /events or /commands");
	if (!slash)
		return;
	struct hub_site *s = site_find(hub_current, id);
	if (!s) {
		api_reply_error(resp, 404, "no site '%s'", id);
		return;
	}
	if (!strcmp(slash, "/commands")) {
		api_reply_json(resp, 200, json_pack("{s:o, s:o}", "site",
						    site_json(hub_current, s, ctx->now_ms),
						    "commands", commands_json(hub_current, id)));
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

/* The row of a new command (its id the next of the table's), or -1. */
static int64_t command_insert(struct mqtt_hub *h, const char *site, const char *kind,
			      const char *by, int64_t now_ms)
{
	struct store_row r = {0};
	store_row_text(&r, site);
	store_row_text(&r, kind);
	store_row_text(&r, by);
	store_row_int(&r, now_ms);
	return hub_exec(h, "INSERT INTO commands(site, kind, by, text, sent_ms)"
			" VALUES(?, ?, ?, '', ?)", &r) == 1 ? sqlite3_last_insert_rowid(h->db) : -1;
}

static bool command_text_set(struct mqtt_hub *h, int64_t id, const char *text)
{
	struct store_row r = {0};
	store_row_text(&r, text);
	store_row_int(&r, id);
	return hub_exec(h, "UPDATE commands SET text = ? WHERE id = ?", &r) == 1;
}

/* The command of a request's body for site, as the site reads it; NULL after
 * answering 400/403. */
static json_t *command_of(const struct api_ctx *ctx, struct api_response *resp,
			  const char *site, const struct mqtt_cmd_kind **kind)
{
	json_t *body = api_body_object(ctx, resp);
	if (!body)
		return NULL;
	json_t *target = json_object_get(body, "target"), *args = json_object_get(body, "body");
	const char *name = json_string_value(json_object_get(body, "kind"));
	*kind = mqtt_cmd_kind(name);
	const char *bad = !*kind ? "kind: expected one of" :
			  (*kind)->target && !json_is_integer(target) ? "target: expected the "
			  "site's alert id (ack) or silence id (unsilence)" :
			  args && !json_is_object(args) ? "body: expected an object" : NULL;
	if (bad) {
		api_reply_error(resp, 400, "%s%s%s", bad, *kind ? "" : " ", *kind ? "" :
				mqtt_cmd_kind_list);
		json_decref(body);
		return NULL;
	}
	enum authz_result ar = authz_check(ctx->req->actor, (*kind)->action, NULL);
	if (ar != AUTHZ_ALLOW) {
		api_reply_error(resp, authz_http_status(ar), "%s may not %s",
				ctx->req->actor->name, authz_action_name((*kind)->action));
		json_decref(body);
		return NULL;
	}
	json_t *cmd = json_pack("{s:s, s:s, s:s, s:s}", "from", hub_current->client_id, "site",
				site, "kind", (*kind)->name, "by", ctx->req->actor->name);
	if ((*kind)->target)
		json_object_set(cmd, "target", target);
	json_object_set_new(cmd, "body", args ? json_incref(args) : json_object());
	json_decref(body);
	return cmd;
}

void mqtt_api_post_site(const struct api_ctx *ctx, struct api_response *resp)
{
	char id[256];
	static const char *const whats[] = {"/commands", NULL};
	if (!site_path(ctx, resp, id, whats, "POST /api/v1/sites/ID/commands"))
		return;
	if (!hub_current->key) {
		api_reply_error(resp, 409, "the hub sends no commands: daemon.mqtt.commands has "
				"no key_file");
		return;
	}
	if (!site_find(hub_current, id)) {
		api_reply_error(resp, 404, "no site '%s'", id);
		return;
	}
	const struct mqtt_cmd_kind *kind;
	json_t *cmd = command_of(ctx, resp, id, &kind);
	if (!cmd)
		return;
	int64_t cid = command_insert(hub_current, id, kind->name, ctx->req->actor->name,
				     ctx->now_ms);
	json_object_set_new(cmd, "id", json_integer(cid));
	char *text = json_dumps(cmd, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (cid < 0 || !text || !command_text_set(hub_current, cid, text)) {
		api_reply_error(resp, 503, "hub %s: the command could not be stored",
				hub_current->path);
	} else {
		char who[API_ACTOR_MAX], target[320];
		struct alert_actor by = api_actor(ctx, NULL, who, sizeof(who));
		snprintf(target, sizeof(target), "site:%s/command:%lld", id, (long long)cid);
		hub_audit(hub_current, &by, "site-command", target, text);
		send_command(hub_current, id, text); /* else the resend sends it */
		api_reply_json(resp, 202, json_pack("{s:I, s:s, s:O}", "id", (json_int_t)cid,
						    "site", id, "command", cmd));
	}
	free(text);
	json_decref(cmd);
}
