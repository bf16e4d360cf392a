/* GET /api/v1/events/search: the event store searched by time range, device, tenant,
 * site, source, program, kind, severity, flag and text, a page at a time (docs/API.md).
 * The search reads the partitions directly (read-only connections), so it needs only
 * the config's `events:` directory, not the store's writer. */
#include "events_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/api_route.h"
#include "dcmon/enumtab.h"

#define SEARCH_LIMIT_MAX 1000

struct page {
	const struct api_ctx *ctx;
	json_t *rows;
	size_t scanned;            /* rows the search gave */
	int64_t last_ms, last_id;
};

/* A scoped actor (a tenant's or a site's) sees the events of the devices it may view,
 * and those of no device that are its tenant's (audit records of its objects); events
 * of other tenants' devices and of senders that are no device are left out.  Said in
 * the query (q->scope_*), not by leaving rows out of a page: a page of other tenants'
 * newest events would come back short, or empty with more of the actor's further on.
 * Returns the JSON array of the visible devices' ids (the caller frees it), or NULL
 * when the actor is not scoped or out of memory (then q sees nothing). */
static char *scope_to_query(const struct api_ctx *ctx, struct event_query *q)
{
	const struct authz_actor *who = ctx->req ? ctx->req->actor : NULL;
	const struct cfg *cfg = ctx->env->cfg;

	if (!ctx->scopes)
		return NULL;
	q->scoped = true;
	q->scope_tenant = who && who->tenant[0] ? who->tenant : NULL;
	json_t *ids = json_array();
	for (size_t i = 0; ids && i < cfg->ndevices; i++)
		if (api_device_visible(ctx, &cfg->devices[i]))
			json_array_append_new(ids, json_string(cfg->devices[i].id));
	char *s = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
	json_decref(ids);
	q->scope_devices = s;
	return s;
}

static bool add_row(void *arg, int64_t id, const struct event *ev)
{
	struct page *p = arg;
	json_t *o = event_json(id, ev);

	if (o)
		json_array_append_new(p->rows, o);
	p->scanned++;
	p->last_ms = ev->received_ms;
	p->last_id = id;
	return true;
}

static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "RX.ID" (a row's received_ms and id, as "next" gives it; "0.0" = from the start). */
static int parse_cursor(const char *s, int64_t *ms, int64_t *id)
{
	long long a, b;
	int n = 0;
	if (sscanf(s, "%lld.%lld%n", &a, &b, &n) != 2 || s[n] || a < 0 || b < 0)
		return -EINVAL;
	*ms = a;
	*id = b;
	return 0;
}

static int parse_flag(const char *s, unsigned *flags)
{
	int bit;
	if (enum_parse(event_flag_names, s, &bit) < 0)
		return -EINVAL;
	*flags = 1u << bit;
	return 0;
}

/* Fills q from the request; -EINVAL with the message for a 400 in err. */
static int query_from(const struct api_ctx *ctx, struct event_query *q, char *err, size_t len)
{
	const struct api_query *aq = ctx->query;
	const char *v;
	int64_t n;
	int e;

	*q = (struct event_query){.kind = -1, .severity_max = -1, .limit = 100,
				  .device = api_query_get(aq, "device"),
				  .tenant = api_query_get(aq, "tenant"),
				  .site = api_query_get(aq, "site"),
				  .source = api_query_get(aq, "source"),
				  .program = api_query_get(aq, "program"),
				  .text = api_query_get(aq, "text")};
#define BAD(...) return snprintf(err, len, __VA_ARGS__), -EINVAL
	if ((v = api_query_get(aq, "from")) && parse_i64(v, 0, INT64_MAX, &q->from_ms) < 0)
		BAD("from: expected milliseconds since 1970, got '%s'", v);
	if ((v = api_query_get(aq, "to")) && parse_i64(v, 0, INT64_MAX, &q->to_ms) < 0)
		BAD("to: expected milliseconds since 1970, got '%s'", v);
	if ((v = api_query_get(aq, "limit")) && parse_i64(v, 1, SEARCH_LIMIT_MAX, &n) < 0)
		BAD("limit: expected 1..%d, got '%s'", SEARCH_LIMIT_MAX, v);
	if (v)
		q->limit = (size_t)n;
	if ((v = api_query_get(aq, "kind")) && enum_parse(event_kind_names, v, &q->kind) < 0)
		BAD("kind: expected syslog, trap, alert or audit, got '%s'", v);
	if ((v = api_query_get(aq, "severity")) &&
	    enum_parse(event_severity_names, v, &q->severity_max) < 0)
		BAD("severity: expected emerg, alert, crit, err, warning, notice, info or debug, "
		    "got '%s'", v);
	if ((v = api_query_get(aq, "flag")) && parse_flag(v, &q->flags_any) < 0)
		BAD("flag: expected parse_error, unknown_source, truncated, bad_utf8, suppressed "
		    "or fields_cut, got '%s'", v);
	if ((v = api_query_get(aq, "after")))
		q->ascending = true;
	else
		v = api_query_get(aq, "before");
	if (v && (e = parse_cursor(v, &q->cursor_ms, &q->cursor_id)) < 0)
		BAD("%s: expected a cursor like 1765000000000.42 (\"next\" of a page), got '%s'",
		    q->ascending ? "after" : "before", v);
#undef BAD
	return 0;
}

void api_get_event_search(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct cfg_events *ec = ctx->env->cfg ? events_cfg_of(ctx->env->cfg) : NULL;
	struct event_query q;
	struct page page = {.ctx = ctx, .rows = json_array()};
	char err[256] = "";

	if (!ec) {
		json_decref(page.rows);
		api_reply_error(resp, 404, "no event store: the config has no events: or syslog: "
					   "section");
		return;
	}
	if (query_from(ctx, &q, err, sizeof(err)) < 0) {
		json_decref(page.rows);
		api_reply_error(resp, 400, "%s", err);
		return;
	}
	char *scope = scope_to_query(ctx, &q);
	int rc = event_dir_search(ec->dir, &q, add_row, &page, err, sizeof(err));
	free(scope);
	if (rc < 0) {
		json_decref(page.rows);
		api_reply_error(resp, 400, "%s", err);
		return;
	}
	json_t *body = json_pack("{s:o}", "events", page.rows);
	if (body && page.scanned == q.limit) { /* a full page was read: there may be more */
		char next[48];
		snprintf(next, sizeof(next), "%lld.%lld", (long long)page.last_ms,
			 (long long)page.last_id);
		json_object_set_new(body, "next", json_string(next));
	}
	api_reply_json(resp, 200, body);
}
