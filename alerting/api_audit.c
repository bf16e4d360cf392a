/* GET /api/v1/audit: the append-only audit log of acks and silences, read-only.
 *
 * Query: limit (newest N, default API_AUDIT_LIMIT), after (entries with a larger id),
 * action, target.  Admin data: the route is served to Unix socket peers only. */
#include "alert_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"

#define API_AUDIT_LIMIT     100   /* entries answered when no limit is given */
#define API_AUDIT_LIMIT_MAX 10000 /* largest limit accepted */

static const char *const audit_actions[] = {"ack", "silence", "unsilence", "integrity",
					    "user-add", "user-delete", "user-disable",
					    "user-enable", "user-unlock", "user-password",
					    "user-role", "user-token", "user-mfa", "user-mfa-reset",
					    "login", "login-failed",
					    "logout", "session-revoke",
					    /* the tenant layer (docs/PORTAL.md) */
					    "tenant-request", "tenant-apply", "tenant-approve",
					    "tenant-reject", "tenant-refused", "tenant-lock",
					    "tenant-unlock",
					    /* one's own password and second factor */
					    "password-change", "password-change-failed",
					    "mfa-enrol-start", "mfa-enrol", "mfa-policy",
					    /* commands of a hub (docs/MQTT.md "Commands") */
					    "site-command", "site-command-reply",
					    "site-command-reply-refused", "hub-command",
					    "hub-command-refused",
					    /* scheduled reports' periods past the catch-up limit
					     * (dcmon/notify_sched.h) */
					    "report-skipped",
					    /* maintenance entries (docs/ACCOUNTS.md "Maintenance") */
					    "maintenance-request", "maintenance-approve",
					    "maintenance-reject", "maintenance-end", NULL};

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static bool audit_collect(void *arg, const struct alert_audit_entry *ent)
{
	json_t *o = json_pack("{s:I s:I s:s s:s s:s}", "id", (json_int_t)ent->id, "ts_ms",
			      (json_int_t)ent->ts_ms, "who", ent->who ? ent->who : "",
			      "origin", ent->origin ? ent->origin : "", "action",
			      ent->action ? ent->action : "");
	json_object_set_new(o, "target", json_str_or_null(ent->target));
	json_object_set_new(o, "detail", json_str_or_null(ent->detail));
	json_array_append_new(arg, o);
	return true;
}

/* A whole decimal in [lo, hi]; 0 or -EINVAL. */
static int parse_int_range(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool action_known(const char *a)
{
	for (size_t i = 0; audit_actions[i]; i++)
		if (strcmp(audit_actions[i], a) == 0)
			return true;
	return false;
}

/* Reads the query into q; answers 400 itself and returns false on a bad value. */
static bool audit_query(const struct api_ctx *ctx, struct alert_audit_query *q,
			struct api_response *resp)
{
	const char *limit = api_query_get(ctx->query, "limit");
	const char *after = api_query_get(ctx->query, "after");
	long long v;
	*q = (struct alert_audit_query){.limit = API_AUDIT_LIMIT,
					.action = api_query_get(ctx->query, "action"),
					.target = api_query_get(ctx->query, "target")};
	if (limit && parse_int_range(limit, 1, API_AUDIT_LIMIT_MAX, &v) < 0) {
		api_reply_error(resp, 400, "limit: expected 1..%d, got '%s'", API_AUDIT_LIMIT_MAX,
				limit);
		return false;
	}
	if (limit)
		q->limit = (size_t)v;
	if (after && parse_int_range(after, 0, INT64_MAX, &v) < 0) {
		api_reply_error(resp, 400, "after: expected an entry id, got '%s'", after);
		return false;
	}
	q->after_id = after ? v : 0;
	if (q->action && !action_known(q->action)) {
		api_reply_error(resp, 400, "action: expected ack, silence, unsilence, integrity or "
				"user-add|delete|disable|enable|unlock|password|role|token|mfa|mfa-reset, login, "
				"login-failed, "
				"logout, session-revoke, password-change[-failed], mfa-enrol[-start] or "
				"mfa-policy, got '%s'",
				q->action);
		return false;
	}
	return true;
}

void api_get_audit(const struct api_ctx *ctx, struct api_response *resp)
{
	struct alert_audit_query q;
	if (!api_engine(ctx)) {
		api_reply_error(resp, 503, "the threshold engine is not running");
		return;
	}
	if (!audit_query(ctx, &q, resp))
		return;
	json_t *a = json_array();
	int rc = alert_engine_audit(api_engine(ctx), &q, audit_collect, a);
	if (rc == -ENOTSUP) {
		json_decref(a);
		api_reply_error(resp, 503, "no audit log: the threshold engine keeps no state");
	} else if (rc < 0) {
		json_decref(a);
		api_reply_error(resp, 500, "could not read the audit log");
	} else {
		api_reply_json(resp, 200, json_pack("{s:o}", "entries", a));
	}
}

/* SEQ:HASH of a checkpoint log line ("checkpoint seq=N hash=H"); 0 or -EINVAL. */
static int checkpoint_parse(const char *s, struct alert_audit_verdict *v)
{
	char *end;
	errno = 0;
	long long seq = strtoll(s, &end, 10);
	if (errno || seq < 1 || *end != ':' || strlen(end + 1) != 64 ||
	    strspn(end + 1, "0123456789abcdef") != 64)
		return -EINVAL;
	v->checkpoint_seq = seq;
	memcpy(v->checkpoint_hash, end + 1, 65);
	return 0;
}

/* GET /api/v1/audit/verify?checkpoint=SEQ:HASH: the hash chain checked, and the first
 * bad record named. */
void api_get_audit_verify(const struct api_ctx *ctx, struct api_response *resp)
{
	struct alert_audit_verdict v = {0};
	const char *cp = api_query_get(ctx->query, "checkpoint");
	if (cp && checkpoint_parse(cp, &v) < 0) {
		api_reply_error(resp, 400, "checkpoint: expected SEQ:HASH (64 hex digits) of a "
				"'checkpoint seq=N hash=H' log line, got '%s'", cp);
		return;
	}
	int rc = api_engine(ctx) ? alert_engine_audit_verify(api_engine(ctx), &v) : -ENOTSUP;
	if (rc < 0) {
		api_reply_error(resp, rc == -ENOTSUP ? 503 : 500, "%s",
				rc == -ENOTSUP ? "no audit log: the threshold engine keeps no state"
					       : "could not read the audit log");
		return;
	}
	json_t *o = json_pack("{s:b s:I s:I s:I s:s}", "ok", !v.bad, "records",
			      (json_int_t)v.records, "unchained", (json_int_t)v.unchained,
			      "last_seq", (json_int_t)v.last_seq, "last_hash", v.last_hash);
	if (v.anchor_seq > 0) /* retention removed the records up to it */
		json_object_set_new(o, "anchor",
				    json_pack("{s:I s:s s:I}", "seq", (json_int_t)v.anchor_seq,
					      "hash", v.anchor_hash, "removed_ms",
					      (json_int_t)v.anchor_removed_ms));
	if (v.bad)
		json_object_set_new(o, "first_bad",
				    json_pack("{s:I s:I s:s}", "id", (json_int_t)v.bad_id, "seq",
					      (json_int_t)v.bad_seq, "problem", v.problem));
	api_reply_json(resp, 200, o);
}

/* One chained record as an export line (docs/ACCOUNTS.md, "Export"). */
static bool export_collect(void *arg, const struct alert_audit_entry *ent)
{
	if (!ent->hash) /* written before the chain existed: nothing to verify it by */
		return true;
	json_t *lines = arg, *o = json_pack("{s:s s:I s:I s:s s:s s:s}", "kind", "record", "seq",
					    (json_int_t)ent->seq, "ts_ms", (json_int_t)ent->ts_ms,
					    "who", ent->who ? ent->who : "", "origin",
					    ent->origin ? ent->origin : "", "action",
					    ent->action ? ent->action : "");
	json_object_set_new(o, "target", json_str_or_null(ent->target));
	json_object_set_new(o, "detail", json_str_or_null(ent->detail));
	json_object_set_new(o, "prev_hash", json_str_or_null(ent->prev_hash));
	json_object_set_new(o, "hash", json_string(ent->hash));
	json_array_append_new(lines, o);
	return true;
}

/* The anchor first (the record before the first exported one) and the end last, so
 * that the lines verify on their own and a cut is seen. */
static void export_frame(json_t *lines)
{
	size_t n = json_array_size(lines);
	json_t *first = json_array_get(lines, 0), *last = json_array_get(lines, n - 1);
	int64_t first_seq = first ? json_integer_value(json_object_get(first, "seq")) : 1;
	const char *anchor = first ? json_string_value(json_object_get(first, "prev_hash")) : NULL;
	json_array_insert_new(lines, 0, json_pack("{s:s s:I s:s}", "kind", "anchor", "seq",
						  (json_int_t)(first_seq - 1), "hash",
						  anchor ? anchor : ""));
	json_array_append_new(
		lines, json_pack("{s:s s:I s:I s:s}", "kind", "end", "records", (json_int_t)n,
				 "last_seq", (json_int_t)(last ? json_integer_value(json_object_get(last, "seq")) : 0),
				 "last_hash", last ? json_string_value(json_object_get(last, "hash")) : ""));
}

/* GET /api/v1/audit/export?since=MS&until=MS: the chained records with since <= ts_ms <
 * until, framed by an anchor and an end line, for `dcmon audit export` to write as JSON
 * lines. */
void api_get_audit_export(const struct api_ctx *ctx, struct api_response *resp)
{
	const char *names[2] = {"since", "until"};
	long long bound[2] = {0, 0};
	for (int i = 0; i < 2; i++) {
		const char *v = api_query_get(ctx->query, names[i]);
		if (v && parse_int_range(v, 1, INT64_MAX, &bound[i]) < 0) {
			api_reply_error(resp, 400, "%s: expected a time in ms since 1970, got '%s'",
					names[i], v);
			return;
		}
	}
	struct alert_audit_query q = {.since_ms = bound[0], .until_ms = bound[1]};
	json_t *lines = json_array();
	int rc = api_engine(ctx) ? alert_engine_audit(api_engine(ctx), &q, export_collect, lines)
				  : -ENOTSUP;
	if (rc < 0) {
		json_decref(lines);
		api_reply_error(resp, rc == -ENOTSUP ? 503 : 500, "%s",
				rc == -ENOTSUP ? "no audit log: the threshold engine keeps no state"
					       : "could not read the audit log");
		return;
	}
	export_frame(lines);
	api_reply_json(resp, 200, json_pack("{s:o}", "lines", lines));
}
