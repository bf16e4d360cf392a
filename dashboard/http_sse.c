/* Server-Sent Events: GET /api/v1/events, the live feed of every open wall.
 *
 * A stream starts with `snapshot` (sites, every device, the alert list), then gets:
 *   `diff`     {ts_ms, devices: [changed device...], removed: [id...], alerts?: [...]}
 *              at most once a second, only what changed since the previous update;
 *   `alert`    {alert event} the moment the threshold engine raises one (followed by a
 *              diff within HTTP_SSE_ALERT_DELAY_MS);
 *   `ping`     {ts_ms} a second after the last event, so a wall knows it is not blind;
 *   `snapshot` again after a reload.
 * Every event is built once, in the event list of the stream's channel, and shared by
 * all its streams; a stream points at the next event it has to send.  So is the
 * snapshot streams opened between two updates start with.  A channel per scope (tenant
 * and site of the stream's actor; the unscoped one shows every device) holds what its
 * scope may view only: the devices authz_device_scopes lets it see, their alerts in the
 * list, their alert notifications, and in the snapshot the sites and rooms of those
 * devices (a site's wall: its site).  A stream that falls more than HTTP_SSE_LAG_MAX events
 * or http.stream_queue_max bytes behind, or has been behind for
 * http.stream_idle_timeout (its client does not read), is ended with a log line (a
 * browser reconnects and gets a snapshot); ended streams hold no event.  Streams are
 * limited in number, in all and per client address (http.max_streams*).
 *
 * The hub is fed by the daemon's change bus (dcmon/change.h): a metric report or a poll's
 * end marks its device changed, an alert change marks its device and the alert list; an
 * alert notification is also sent at once.  An update rebuilds only what was marked:
 * the JSON of the changed devices (the API's, api_device_json, without the fields that
 * change every second by themselves: ages, poll counters; a device whose JSON came out
 * the same is not sent), and the alert list (alert_list_json, sent as it is made) when
 * an alert changed or while it is not empty (values, silences and suppression move
 * without a transition).  A reload, or the first stream after none, rebuilds it all.
 */
#include "http_int.h"

#include <jansson.h>
#include <math.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/api_route.h"
#include "dcmon/alert.h"
#include "dcmon/alerting.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/part.h"
#include "dcmon/strbuf.h"

#define HTTP_SSE_PERIOD_MS      1000 /* diff / ping interval */
#define HTTP_SSE_ALERT_DELAY_MS 50   /* alert event -> diff with the new alert list */
#define HTTP_SSE_LAG_MAX        64   /* events a stream may be behind before it is ended */
#define HTTP_SSE_RETRY_MS       1000 /* the browser's reconnect delay */

struct sse_event {
	struct sse_event *next;
	uint64_t seq;
	size_t len;     /* bytes of data */
	char data[];    /* "event: ...\ndata: ...\n\n" */
};

/* A snapshot, shared by the streams that open while the state it shows holds. */
struct sse_snap {
	unsigned refs;          /* the hub's (while current) and each stream's still sending it */
	uint64_t seq;           /* the hub's next_seq when it was made */
	size_t len;             /* bytes of data */
	char data[];
};

struct sse_client {
	struct sse_client *next, *prev;
	struct sse_chan *chan;  /* its scope's */
	struct MHD_Connection *c;
	struct sse_snap *first; /* the snapshot this stream starts with; NULL once sent */
	size_t first_off;       /* bytes of it sent */
	uint64_t seq;           /* next event to send */
	size_t off;             /* bytes of that event already sent */
	size_t queued;          /* bytes of the events from seq on (its backlog) */
	int64_t behind_ms;      /* monotonic: since when it has something to send; 0 = none */
	struct in6_addr addr;   /* the client's */
	char peer[64];          /* "http:ADDR:PORT", for log lines */
	bool suspended;
	bool ended;             /* send END_OF_STREAM */
	bool anonymous;         /* opened by the anonymous reader (http.anonymous) */
};

/* The events of one scope: the unscoped one (every device) or one tenant's or site's
 * (authz_device_scopes: its own devices and the shared infrastructure feeding them).
 * A scope's channel exists while a stream of that scope is open; each builds its
 * events once for its streams. */
struct sse_chan {
	struct sse_chan *next;
	struct http_sse *hub;
	struct http_server *s;
	struct authz_actor actor; /* the scope, as a wall of it */
	enum authz_scope *scopes; /* per config device, NULL when unscoped (every device) */
	size_t nscopes;
	char *sites;              /* the snapshot's "sites" of the scope (sse_view_update) */
	struct sse_event *head, *tail;
	uint64_t next_seq;      /* seq of the next event appended */
	struct sse_client *clients;
	size_t nclients;
	char **prev;            /* per config device: its last JSON sent */
	size_t nprev;
	bool *dirty;            /* per config device: changed since its JSON was made */
	size_t *dirty_list;     /* the changed devices' indices, ndirty of them */
	size_t ndirty;
	bool alerts_dirty;      /* an alert changed since the alert list was made */
	char *prev_alerts;      /* the last alert list sent ("[...]") */
	struct sse_snap *snap;  /* the current snapshot, NULL until a stream needs one */
	bool ticked;            /* prev holds a full state */
	bool resync;            /* the next update is a snapshot */
	int64_t last_event_ms;  /* monotonic */
	struct loop_timer *timer;
	int64_t timer_due_ms;   /* monotonic */
	bool closing;
};

struct http_sse {
	struct http_server *s;
	struct change_bus *bus;
	struct sse_chan *chans;
	size_t nclients;        /* in all channels */
	int64_t refused_log_ms; /* monotonic: last line about refused streams */
	unsigned refused;       /* streams refused since that line */
	bool closing;
};

/* ---- the state, as JSON text -------------------------------------------------------- */

static const char *const volatile_dev_keys[] = {"last_poll_age_s", "data_age_s", "polls",
						"overruns", "next_poll_ms", "last_duration_ms", NULL};

/* A device as the wall sees it (servers without their metric list: the wall counts
 * them; their page shows the rest). */
static char *sse_device_text(const struct api_ctx *ctx, const struct cfg_device *dev)
{
	json_t *o = api_device_json(ctx, dev, dev->kind != DEV_SERVER);
	if (!o)
		return NULL;
	for (size_t i = 0; volatile_dev_keys[i]; i++)
		json_object_del(o, volatile_dev_keys[i]);
	json_t *ms = json_object_get(o, "metrics"), *m;
	size_t i;
	json_array_foreach(ms, i, m)
		json_object_del(m, "age_s");
	char *t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return t;
}

/* Brings the channel's device scopes up to date with the config.  False when out of
 * memory. */
static bool sse_scopes_update(struct sse_chan *h, const struct cfg *cfg)
{
	if (!authz_actor_scoped(&h->actor))
		return true;
	if (h->nscopes != cfg->ndevices) {
		free(h->scopes);
		h->nscopes = 0;
		if (!(h->scopes = calloc(cfg->ndevices + 1, sizeof(*h->scopes))))
			return false;
		h->nscopes = cfg->ndevices;
	}
	authz_device_scopes(cfg, &h->actor, h->scopes);
	return true;
}

/* May the channel's streams see device i (of the config its scopes were made for)? */
static bool sse_visible(const struct sse_chan *h, size_t i)
{
	if (!authz_actor_scoped(&h->actor))
		return true;
	if (i >= h->nscopes)
		return false;
	struct authz_object obj = {.scope = h->scopes[i]};
	return authz_check(&h->actor, AUTHZ_ACT_VIEW, &obj) == AUTHZ_ALLOW;
}

/* The alert list ("[...]") as GET /api/v1/alerts gives it. */
static char *sse_alerts_text(const struct api_ctx *ctx)
{
	json_t *a = alert_list_json(ctx);
	char *t = a ? json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(a);
	return t ? t : strdup("[]");
}

/* Does the channel show room (NULL: any room) of site: a scoped channel shows the sites
 * and rooms of the devices it may view, and a site's wall its whole site. */
static bool sse_place_visible(const struct sse_chan *h, const struct cfg *cfg, const char *site,
			      const char *room)
{
	if (!authz_actor_scoped(&h->actor) || strcmp(h->actor.site, site) == 0)
		return true;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_location *l = &cfg->devices[i].loc;
		if (l->site && strcmp(l->site, site) == 0 &&
		    (!room || (l->room && strcmp(l->room, room) == 0)) && sse_visible(h, i))
			return true;
	}
	return false;
}

/* The snapshot's "sites" ([{id, name, rooms: [{id, name}]}]) of what the channel shows. */
static char *sse_sites_text(const struct sse_chan *h, const struct cfg *cfg)
{
	json_t *a = json_array();
	for (size_t i = 0; i < cfg->nsites; i++) {
		const struct cfg_site *st = &cfg->sites[i];
		if (!sse_place_visible(h, cfg, st->id, NULL))
			continue;
		json_t *rooms = json_array();
		for (size_t j = 0; j < st->nrooms; j++)
			if (sse_place_visible(h, cfg, st->id, st->rooms[j].id))
				json_array_append_new(rooms, json_pack("{s:s s:s}", "id", st->rooms[j].id,
								       "name", st->rooms[j].name
									       ? st->rooms[j].name
									       : st->rooms[j].id));
		json_array_append_new(a, json_pack("{s:s s:s s:o}", "id", st->id, "name",
						   st->name ? st->name : st->id, "rooms", rooms));
	}
	char *t = json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(a);
	return t;
}

/* The channel's view of the config, its device scopes (O(devices + fed_by)) and its
 * sites (O(places x devices) for a scoped one), made with the channel and again at each
 * reload (http_sse_resync) rather than at every update.  False when out of memory. */
static bool sse_view_update(struct sse_chan *h, const struct cfg *cfg)
{
	free(h->sites);
	h->sites = NULL;
	return sse_scopes_update(h, cfg) && (h->sites = sse_sites_text(h, cfg)) != NULL;
}

static void sse_snap_unref(struct sse_snap *sn)
{
	if (sn && --sn->refs == 0)
		free(sn);
}

/* The state moved: the next stream gets a new snapshot; those sending this one keep it. */
static void sse_snap_forget(struct sse_chan *h)
{
	sse_snap_unref(h->snap);
	h->snap = NULL;
}

static void sse_prev_free(struct sse_chan *h)
{
	for (size_t i = 0; i < h->nprev; i++)
		free(h->prev[i]);
	free(h->prev);
	free(h->dirty);
	free(h->dirty_list);
	h->prev = NULL;
	h->dirty = NULL;
	h->dirty_list = NULL;
	h->nprev = h->ndirty = 0;
	h->ticked = false;
}

/* Room for the state of n devices, none sent yet; false when out of memory. */
static bool sse_prev_alloc(struct sse_chan *h, size_t n)
{
	sse_prev_free(h);
	h->prev = calloc(n ? n : 1, sizeof(*h->prev));
	h->dirty = calloc(n ? n : 1, sizeof(*h->dirty));
	h->dirty_list = calloc(n ? n : 1, sizeof(*h->dirty_list));
	if (!h->prev || !h->dirty || !h->dirty_list) {
		sse_prev_free(h);
		return false;
	}
	h->nprev = n;
	return true;
}

/* A change of device `id`: its JSON is made again at the next update.  Nothing to do
 * while no full state is held (the next update makes everything). */
static void sse_mark_device(struct sse_chan *h, const char *id)
{
	if (!h->ticked || !id)
		return;
	const struct cfg *cfg = h->s->env.cfg;
	const struct cfg_device *dev = cfg_device_find(cfg, id);
	size_t i = dev ? (size_t)(dev - cfg->devices) : h->nprev;
	if (i >= h->nprev || h->dirty[i])
		return;
	h->dirty[i] = true;
	h->dirty_list[h->ndirty++] = i;
}

static int index_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Makes device i's JSON; appends it to the diff in b if it differs from the last sent. */
static void sse_device_update(struct sse_chan *h, const struct api_ctx *ctx, size_t i,
			      struct strbuf *b, size_t *changed)
{
	if (!sse_visible(h, i))
		return; /* another tenant's: never made, never sent */
	char *t = sse_device_text(ctx, &h->s->env.cfg->devices[i]);
	if (!t || (h->prev[i] && strcmp(t, h->prev[i]) == 0)) {
		free(t);
		return;
	}
	if ((*changed)++)
		strbuf_appends(b, ",");
	strbuf_appends(b, t);
	free(h->prev[i]);
	h->prev[i] = t;
}

/* The alert list, made again when an alert changed or while it is not empty; appended
 * to the diff in b when it differs.  True if it did. */
static bool sse_alerts_update(struct sse_chan *h, const struct api_ctx *ctx, bool full,
			      struct strbuf *b)
{
	bool empty = h->prev_alerts && strcmp(h->prev_alerts, "[]") == 0;
	if (!full && !h->alerts_dirty && empty)
		return false;
	h->alerts_dirty = false;
	char *alerts = sse_alerts_text(ctx);
	if (h->prev_alerts && strcmp(alerts, h->prev_alerts) == 0) {
		free(alerts);
		return false;
	}
	strbuf_appends(b, ",\"alerts\":");
	strbuf_appends(b, alerts);
	free(h->prev_alerts);
	h->prev_alerts = alerts;
	return true;
}

/* The snapshot event of the current state (h->prev must be up to date). */
static void sse_snapshot_text(struct sse_chan *h, struct strbuf *b, int64_t now_ms)
{
	strbuf_appendf(b,
		       "retry: %d\nevent: snapshot\ndata: {\"ts_ms\":%lld,\"version\":\"%s\",\"sites\":",
		       HTTP_SSE_RETRY_MS, (long long)now_ms,
		       h->s->env.version ? h->s->env.version : "");
	strbuf_appends(b, h->sites ? h->sites : "[]");
	strbuf_appends(b, ",\"devices\":[");
	bool first = true;
	for (size_t i = 0; i < h->nprev; i++) {
		if (!sse_visible(h, i))
			continue;
		if (!first)
			strbuf_appends(b, ",");
		first = false;
		strbuf_appends(b, h->prev[i] ? h->prev[i] : "null");
	}
	strbuf_appends(b, "],\"alerts\":");
	strbuf_appends(b, h->prev_alerts ? h->prev_alerts : "[]");
	strbuf_appends(b, "}\n\n");
}

/* Brings the state up to date: every device when none is held (or the config's
 * devices changed), else the devices marked changed; appends what differs (devices,
 * alerts) to b as a diff body.  Returns true if anything changed. */
static bool sse_compute(struct sse_chan *h, struct strbuf *b, int64_t now_ms)
{
	const struct cfg *cfg = h->s->env.cfg;
	struct api_query q = {0};
	struct api_request rq = {.method = "GET", .path = "/api/v1/events", .actor = &h->actor};
	struct api_alert_index alerts_idx = {0};
	bool full = !h->ticked || h->nprev != cfg->ndevices;
	sse_snap_forget(h);
	if ((full && !sse_prev_alloc(h, cfg->ndevices)) ||
	    ((!h->sites || (authz_actor_scoped(&h->actor) && h->nscopes != cfg->ndevices)) &&
	     !sse_view_update(h, cfg)))
		return false;
	struct api_ctx ctx = {.env = &h->s->env, .req = &rq, .query = &q, .tail = "", .now_ms = now_ms,
			      .alerts = &alerts_idx, .scopes = h->scopes, /* alerting's state: */
			      .part = alerting_of(&h->s->env)};
	size_t changed = 0;
	strbuf_appendf(b, "{\"ts_ms\":%lld,\"devices\":[", (long long)now_ms);
	if (full) {
		for (size_t i = 0; i < cfg->ndevices; i++)
			sse_device_update(h, &ctx, i, b, &changed);
	} else {
		qsort(h->dirty_list, h->ndirty, sizeof(*h->dirty_list), index_cmp); /* config order */
		for (size_t k = 0; k < h->ndirty; k++) {
			h->dirty[h->dirty_list[k]] = false;
			sse_device_update(h, &ctx, h->dirty_list[k], b, &changed);
		}
	}
	h->ndirty = 0;
	strbuf_appends(b, "]");
	bool alerts_changed = sse_alerts_update(h, &ctx, full, b);
	api_alert_index_free(&alerts_idx);
	strbuf_appends(b, "}");
	h->ticked = true;
	return changed > 0 || alerts_changed || full;
}

/* ---- the event list ------------------------------------------------------------------ */

static void sse_wake_all(struct sse_chan *h)
{
	for (struct sse_client *cl = h->clients; cl; cl = cl->next) {
		if (cl->suspended) {
			cl->suspended = false;
			MHD_resume_connection(cl->c);
		}
	}
	http_server_kick(h->s);
}

/* Ends a stream (its client does not keep up, or may not read any more), so that it
 * holds no event any more.  Its connection closes at MHD's next read of it or, when MHD cannot even write to it,
 * after a second without progress. */
static void sse_client_end(struct sse_client *cl, const char *why)
{
	cl->ended = true;
	log_warnx("http", NULL, "event stream to %s ended: %s", cl->peer, why);
	if (cl->suspended) {
		cl->suspended = false;
		MHD_resume_connection(cl->c);
	}
	MHD_set_connection_option(cl->c, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
	http_server_kick(cl->chan->s);
}

/* A new event for every stream: each is behind by it, and ended if that is too far. */
static void sse_clients_add(struct sse_chan *h, size_t len, int64_t now_ms)
{
	size_t max = (size_t)h->s->lim.stream_queue_max;
	char why[96];
	for (struct sse_client *cl = h->clients; cl; cl = cl->next) {
		if (cl->ended)
			continue;
		cl->queued += len;
		if (!cl->behind_ms)
			cl->behind_ms = now_ms;
		if (h->next_seq - cl->seq > HTTP_SSE_LAG_MAX) {
			snprintf(why, sizeof(why), "more than %d events behind", HTTP_SSE_LAG_MAX);
			sse_client_end(cl, why);
		} else if (cl->queued > max) {
			snprintf(why, sizeof(why), "%zu bytes behind (stream_queue_max %zu)", cl->queued, max);
			sse_client_end(cl, why);
		}
	}
}

/* Drops events every stream has sent. */
static void sse_trim(struct sse_chan *h)
{
	uint64_t min = h->next_seq;
	for (struct sse_client *cl = h->clients; cl; cl = cl->next)
		if (!cl->ended && cl->seq < min)
			min = cl->seq;
	while (h->head && h->head->seq < min) {
		struct sse_event *e = h->head;
		h->head = e->next;
		free(e);
	}
	if (!h->head)
		h->tail = NULL;
}

static void sse_append(struct sse_chan *h, const char *text, size_t len)
{
	struct sse_event *e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return;
	e->next = NULL;
	e->seq = h->next_seq++;
	e->len = len;
	memcpy(e->data, text, len + 1);
	if (h->tail)
		h->tail->next = e;
	else
		h->head = e;
	h->tail = e;
	h->last_event_ms = clock_mono_ms();
	sse_clients_add(h, len, h->last_event_ms);
	sse_trim(h);
	sse_wake_all(h); /* MHD's ITC wakes our loop, which runs MHD */
}

static void sse_event(struct sse_chan *h, const char *type, const char *data)
{
	struct strbuf b = STRBUF_INIT;
	strbuf_appendf(&b, "event: %s\ndata: ", type);
	strbuf_appends(&b, data);
	strbuf_appends(&b, "\n\n");
	if (!b.failed)
		sse_append(h, b.s, b.len);
	strbuf_free(&b);
}

/* ---- the periodic update ---------------------------------------------------------------- */

static void sse_schedule(struct sse_chan *h, int64_t delay_ms);

static void sse_update(struct sse_chan *h)
{
	int64_t now = clock_wall_ms();
	struct strbuf b = STRBUF_INIT;
	if (h->resync || !h->ticked) {
		struct strbuf tmp = STRBUF_INIT;
		sse_prev_free(h);
		sse_compute(h, &tmp, now);
		strbuf_free(&tmp);
		sse_snapshot_text(h, &b, now);
		if (!b.failed && h->resync)
			sse_append(h, b.s, b.len);
		h->resync = false;
	} else if (sse_compute(h, &b, now) && !b.failed) {
		sse_event(h, "diff", b.s);
	} else if (clock_mono_ms() - h->last_event_ms >= HTTP_SSE_PERIOD_MS - 10) {
		char ping[64];
		snprintf(ping, sizeof(ping), "{\"ts_ms\":%lld}", (long long)now);
		sse_event(h, "ping", ping);
	}
	strbuf_free(&b);
}

/* Ends the streams that have had something to send for stream_idle_timeout: their
 * clients do not read (a suspended stream, with nothing to send, is never ended). */
static void sse_end_stalled(struct sse_chan *h, int64_t now_ms)
{
	int64_t limit = h->s->lim.stream_idle_timeout_ms;
	char why[128];
	for (struct sse_client *cl = h->clients; cl; cl = cl->next) {
		if (cl->ended || !cl->behind_ms || now_ms - cl->behind_ms < limit)
			continue;
		size_t waiting = cl->queued + (cl->first ? cl->first->len - cl->first_off : 0);
		snprintf(why, sizeof(why), "not read for %llds (stream_idle_timeout; %zu bytes waiting)",
			 (long long)((now_ms - cl->behind_ms) / 1000), waiting);
		sse_client_end(cl, why);
	}
	sse_trim(h);
}

/* Ends the streams opened anonymously once anonymous reads are refused (the first
 * account was added, or a reload set http.anonymous: none): the open wall closes for
 * the screens already watching it too, not only for the next ones. */
static void sse_end_anonymous(struct sse_chan *h)
{
	bool any = false;
	for (struct sse_client *cl = h->clients; cl && !any; cl = cl->next)
		any = cl->anonymous && !cl->ended;
	if (!any || http_server_anonymous_reads(h->s))
		return;
	for (struct sse_client *cl = h->clients; cl; cl = cl->next)
		if (cl->anonymous && !cl->ended)
			sse_client_end(cl, "anonymous reads are refused now (http.anonymous)");
}

static void sse_chan_free(struct sse_chan *h);

static void sse_on_timer(struct loop *loop, void *arg)
{
	struct sse_chan *h = arg;
	h->timer = NULL;
	if (h->closing)
		return;
	sse_end_stalled(h, clock_mono_ms());
	sse_end_anonymous(h);
	if (h->nclients == 0) {
		sse_chan_free(h); /* nobody watches: the next stream of its scope builds it anew */
		return;
	}
	sse_update(h);
	sse_schedule(h, HTTP_SSE_PERIOD_MS);
}

/* Runs the update in delay_ms, unless one is due sooner. */
static void sse_schedule(struct sse_chan *h, int64_t delay_ms)
{
	struct loop *loop = h->s->loop;
	int64_t due = loop_now_ms(loop) + delay_ms;
	if (h->timer && h->timer_due_ms <= due)
		return;
	loop_timer_cancel(loop, h->timer);
	h->timer = loop_timer_add(loop, delay_ms, sse_on_timer, h);
	h->timer_due_ms = due;
}

/* ---- streams ------------------------------------------------------------------------ */

static struct sse_event *sse_find(struct sse_chan *h, uint64_t seq)
{
	for (struct sse_event *e = h->head; e; e = e->next)
		if (e->seq == seq)
			return e;
	return NULL;
}

static ssize_t sse_copy(char *dst, size_t max, const char *src, size_t len, size_t *off)
{
	size_t n = len - *off < max ? len - *off : max;
	memcpy(dst, src + *off, n);
	*off += n;
	return (ssize_t)n;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_client *cl = cls;
	struct sse_chan *h = cl->chan;
	if (cl->ended || h->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (cl->first) {
		ssize_t n = sse_copy(buf, max, cl->first->data, cl->first->len, &cl->first_off);
		if (cl->first_off == cl->first->len) {
			sse_snap_unref(cl->first);
			cl->first = NULL;
		}
		return n;
	}
	struct sse_event *e = sse_find(h, cl->seq);
	if (!e) {
		cl->behind_ms = 0; /* it took everything */
		cl->suspended = true;
		MHD_suspend_connection(cl->c);
		return 0;
	}
	ssize_t n = sse_copy(buf, max, e->data, e->len, &cl->off);
	if (cl->off == e->len) {
		cl->seq++;
		cl->off = 0;
		cl->queued -= e->len;
		sse_trim(h);
	}
	return n;
}

static void sse_client_free(void *cls)
{
	struct sse_client *cl = cls;
	struct sse_chan *h = cl->chan;
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		h->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	h->nclients--;
	h->hub->nclients--;
	sse_snap_unref(cl->first);
	free(cl);
	sse_trim(h);
}

/* The snapshot of the current state, made when the state moved since the last one; a
 * reference for the caller.  NULL when out of memory. */
static struct sse_snap *sse_snap_get(struct sse_chan *h)
{
	if (h->snap && h->snap->seq == h->next_seq && h->ticked && !h->resync) {
		h->snap->refs++;
		return h->snap;
	}
	int64_t now = clock_wall_ms();
	struct strbuf b = STRBUF_INIT;
	if (!h->ticked || h->resync) {
		struct strbuf tmp = STRBUF_INIT;
		sse_compute(h, &tmp, now);
		strbuf_free(&tmp);
	}
	sse_snap_forget(h);
	sse_snapshot_text(h, &b, now);
	struct sse_snap *sn = b.failed ? NULL : malloc(sizeof(*sn) + b.len);
	if (sn) {
		*sn = (struct sse_snap){.refs = 2, .seq = h->next_seq, .len = b.len};
		memcpy(sn->data, b.s, b.len);
		h->snap = sn;
	}
	strbuf_free(&b);
	return sn;
}

/* 0, or the refusal of one more stream from addr: 503 over max_streams, 429 over
 * max_streams_per_address. */
static int sse_over_limit(const struct http_sse *h, const struct in6_addr *addr)
{
	const struct cfg_http *lim = &h->s->lim;
	if (h->nclients >= (size_t)lim->max_streams)
		return 503;
	int n = 0;
	for (const struct sse_chan *ch = h->chans; ch; ch = ch->next)
		for (const struct sse_client *cl = ch->clients; cl; cl = cl->next)
			n += memcmp(&cl->addr, addr, sizeof(*addr)) == 0;
	return n >= lim->max_streams_per_address ? 429 : 0;
}

/* Answers a stream over the limits; one log line a minute at most says so. */
static enum MHD_Result sse_refuse(struct http_sse *h, struct MHD_Connection *c, int status)
{
	const struct cfg_http *lim = &h->s->lim;
	int64_t now = clock_mono_ms();
	h->refused++;
	if (h->refused_log_ms == 0 || now - h->refused_log_ms >= 60000) {
		char peer[64];
		http_peer_name(c, peer, sizeof(peer));
		log_warnx("http", NULL, "event stream refused to %s: %s reached (%u refused since "
			  "the last such line)", peer,
			  status == 503 ? "max_streams" : "max_streams_per_address", h->refused);
		h->refused = 0;
		h->refused_log_ms = now;
	}
	if (status == 503)
		return http_reply_refuse(c, 503, 5, "too many event streams (max_streams %d)",
					 lim->max_streams);
	return http_reply_refuse(c, 429, 5, "too many event streams from your address "
				 "(max_streams_per_address %d)", lim->max_streams_per_address);
}

/* Bounds what the kernel holds for a client that reads nothing (see HTTP_SSE_SNDBUF). */
static void sse_limit_sndbuf(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	int size = HTTP_SSE_SNDBUF;
	if (ci)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* Two actors with the same tenant and site see the same devices (authz_device_scopes
 * reads nothing else of them). */
static bool sse_same_scope(const struct authz_actor *a, const struct authz_actor *b)
{
	return strcmp(a->tenant, b->tenant) == 0 && strcmp(a->site, b->site) == 0;
}

/* The channel of actor's scope, made when it has none yet; NULL when out of memory. */
static struct sse_chan *sse_chan_get(struct http_sse *hub, const struct authz_actor *actor)
{
	for (struct sse_chan *ch = hub->chans; ch; ch = ch->next)
		if (sse_same_scope(&ch->actor, actor))
			return ch;
	struct sse_chan *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	ch->hub = hub;
	ch->s = hub->s;
	/* the hub reads as a wall of the scope: view only, whoever the stream's actor */
	ch->actor = (struct authz_actor){.name = "sse-hub", .role = AUTHZ_ROLE_WALL};
	memcpy(ch->actor.tenant, actor->tenant, sizeof(ch->actor.tenant));
	memcpy(ch->actor.site, actor->site, sizeof(ch->actor.site));
	ch->next = hub->chans;
	hub->chans = ch;
	return ch;
}

static void sse_chan_free(struct sse_chan *h)
{
	struct sse_chan **pp = &h->hub->chans;
	while (*pp && *pp != h)
		pp = &(*pp)->next;
	if (*pp)
		*pp = h->next;
	loop_timer_cancel(h->s->loop, h->timer);
	while (h->head) {
		struct sse_event *e = h->head;
		h->head = e->next;
		free(e);
	}
	sse_prev_free(h);
	sse_snap_forget(h);
	free(h->prev_alerts);
	free(h->scopes);
	free(h->sites);
	free(h);
}

enum MHD_Result http_sse_open(struct http_sse *hub, struct MHD_Connection *c,
			      const struct authz_actor *actor)
{
	struct in6_addr addr;
	http_peer_addr(c, &addr);
	int refuse = sse_over_limit(hub, &addr);
	if (refuse)
		return sse_refuse(hub, c, refuse);
	struct sse_chan *h = sse_chan_get(hub, actor);
	if (!h)
		return MHD_NO;
	if (!h->timer) /* its updates; and a channel left without a stream is dropped */
		sse_schedule(h, HTTP_SSE_PERIOD_MS);
	struct sse_client *cl = calloc(1, sizeof(*cl));
	if (!cl || !(cl->first = sse_snap_get(h))) {
		free(cl);
		return MHD_NO;
	}
	cl->chan = h;
	cl->c = c;
	cl->addr = addr;
	cl->anonymous = actor->role == AUTHZ_ROLE_WALL && strcmp(actor->name, "anonymous") == 0;
	http_peer_name(c, cl->peer, sizeof(cl->peer));
	cl->seq = h->next_seq;
	cl->behind_ms = clock_mono_ms();
	struct MHD_Response *r =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, cl, sse_client_free);
	if (!r) {
		sse_snap_unref(cl->first);
		free(cl);
		return MHD_NO;
	}
	cl->next = h->clients;
	if (h->clients)
		h->clients->prev = cl;
	h->clients = cl;
	h->nclients++;
	hub->nclients++;
	sse_limit_sndbuf(c);
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* ---- hub ------------------------------------------------------------------------------ */

static void sse_on_change(void *arg, const struct change *c);

struct http_sse *http_sse_new(struct http_server *s, struct change_bus *bus)
{
	struct http_sse *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->s = s;
	h->bus = bus;
	/* not CHANGE_ALERT_UPDATE: the wall's alert list follows transitions, as before;
	 * not CHANGE_SETTLE: a request for polls, nothing shown; not CHANGE_AUDIT: the
	 * wall shows no audit log */
	if (change_subscribe(bus,
			     CHANGE_ALL & ~(CHANGE_MASK(CHANGE_ALERT_UPDATE) | CHANGE_MASK(CHANGE_SETTLE) |
					    CHANGE_MASK(CHANGE_AUDIT)),
			     sse_on_change, h) < 0) {
		free(h);
		return NULL;
	}
	return h;
}

static void sse_chan_resync(struct sse_chan *h)
{
	h->resync = true;
	sse_schedule(h, 0);
}

void http_sse_resync(struct http_sse *hub)
{
	for (struct sse_chan *ch = hub->chans; ch; ch = ch->next) {
		/* the new config's scopes at once, for alert events before the resync (out of
		 * memory: the scope sees nothing) */
		sse_view_update(ch, hub->s->env.cfg);
		sse_chan_resync(ch);
	}
}

static void json_num_or_null(json_t *o, const char *k, double v)
{
	json_object_set_new(o, k, isfinite(v) ? json_real(v) : json_null());
}

/* The text of an alert notification, NULL when out of memory. */
static char *sse_alert_text(const struct alert_event *ev)
{
	json_t *o = json_pack("{s:s s:I s:I s:s s:s s:s s:s s:s}", "type",
			      alert_event_type_name(ev->type), "ts_ms", (json_int_t)ev->ts_ms,
			      "id", (json_int_t)ev->alert_id, "rule", ev->rule, "device", ev->device,
			      "metric", ev->metric, "state", alert_state_name(ev->state), "severity",
			      cfg_severity_name(ev->severity));
	if (!o)
		return NULL;
	json_object_set_new(o, "inst", ev->inst ? json_string(ev->inst) : json_null());
	json_num_or_null(o, "value", ev->value);
	char *t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return t;
}

/* An alert notification: pushed now (made once, to the channels that see its device),
 * a diff follows shortly. */
static void sse_alert(struct http_sse *hub, const struct alert_event *ev)
{
	if (hub->closing)
		return;
	const struct cfg *cfg = hub->s->env.cfg;
	const struct cfg_device *dev = cfg_device_find(cfg, ev->device);
	size_t i = dev ? (size_t)(dev - cfg->devices) : cfg->ndevices; /* gone: unscoped only */
	char *t = hub->nclients > 0 ? sse_alert_text(ev) : NULL;
	for (struct sse_chan *ch = hub->chans; ch; ch = ch->next) {
		if (t && ch->nclients > 0 && sse_visible(ch, i))
			sse_event(ch, "alert", t);
		sse_schedule(ch, HTTP_SSE_ALERT_DELAY_MS);
	}
	free(t);
}

/* The hub's subscription: what changed is marked for the next update of every channel;
 * a notification is sent at once. */
static void sse_on_change(void *arg, const struct change *c)
{
	struct http_sse *hub = arg;
	const struct alert_event *ev = alert_event_of(c);
	if (c->kind == CHANGE_CONFIG) {
		http_sse_resync(hub);
		return;
	}
	for (struct sse_chan *ch = hub->chans; ch; ch = ch->next) {
		sse_mark_device(ch, c->device);
		if (ev)
			ch->alerts_dirty = true;
	}
	if (ev && alert_event_notifies(ev->type))
		sse_alert(hub, ev);
}

void http_sse_close(struct http_sse *hub)
{
	if (!hub)
		return;
	change_unsubscribe(hub->bus, sse_on_change, hub);
	hub->closing = true;
	for (struct sse_chan *ch = hub->chans; ch; ch = ch->next) {
		ch->closing = true;
		sse_wake_all(ch);
		loop_timer_cancel(ch->s->loop, ch->timer);
		ch->timer = NULL;
	}
}

void http_sse_free(struct http_sse *hub)
{
	if (!hub)
		return;
	/* streams still open here were closed by MHD_stop_daemon (their free callbacks ran) */
	while (hub->chans)
		sse_chan_free(hub->chans);
	free(hub);
}
