/* The e-mail endpoints: GET /api/v1/notifications (spooled messages and whether
 * delivery is failing) and POST /api/v1/notifications/test?route=NAME. */
#include "alert_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dcmon/notify.h"

#define API_NOTIFY_LIMIT_DEFAULT 100
#define API_NOTIFY_LIMIT_MAX 10000

static bool notify_ready(const struct api_ctx *ctx, struct api_response *resp)
{
	if (api_notifier(ctx))
		return true;
	api_reply_error(resp, 503, "alert e-mail is not running");
	return false;
}

static bool msg_collect(void *arg, const struct notify_msg_view *v)
{
	json_t *o = json_pack("{s:I s:s s:s s:s s:s s:s s:i s:I s:s}", "id", (json_int_t)v->id,
			      "message_id", v->message_id, "rcpt", v->rcpt, "subject", v->subject,
			      "kind", v->kind, "state", notify_state_name(v->state), "attempts",
			      v->attempts, "created_ms", (json_int_t)v->created_ms, "last_error",
			      v->last_error);
	if (!o)
		return false;
	json_object_set_new(o, "alert_ids", json_string(v->alert_ids));
	json_object_set_new(o, "next_ms", v->next_ms ? json_integer(v->next_ms) : json_null());
	json_object_set_new(o, "sent_ms", v->sent_ms ? json_integer(v->sent_ms) : json_null());
	json_array_append_new(arg, o);
	return true;
}

/* state= and limit= of the query; false after answering 400. */
static bool list_params(const struct api_ctx *ctx, struct api_response *resp,
			enum notify_state *st, bool *has_state, size_t *limit)
{
	const char *s = api_query_get(ctx->query, "state");
	const char *l = api_query_get(ctx->query, "limit");
	char *end;

	*has_state = s != NULL;
	if (s && notify_state_parse(s, st) < 0) {
		api_reply_error(resp, 400, "state: expected pending, sent or failed, got '%s'", s);
		return false;
	}
	*limit = API_NOTIFY_LIMIT_DEFAULT;
	if (l) {
		unsigned long v = strtoul(l, &end, 10);
		if (!*l || *end || v < 1 || v > API_NOTIFY_LIMIT_MAX) {
			api_reply_error(resp, 400, "limit: expected 1..%d, got '%s'",
					API_NOTIFY_LIMIT_MAX, l);
			return false;
		}
		*limit = v;
	}
	return true;
}

void api_get_notifications(const struct api_ctx *ctx, struct api_response *resp)
{
	enum notify_state st;
	bool has_state;
	size_t limit;
	struct notify_counts c;
	char why[256];

	if (!notify_ready(ctx, resp) || !list_params(ctx, resp, &st, &has_state, &limit))
		return;
	json_t *list = json_array();
	if (notifier_list(api_notifier(ctx), has_state ? &st : NULL, limit, msg_collect, list) < 0) {
		json_decref(list);
		api_reply_error(resp, 500, "cannot read the notification spool");
		return;
	}
	notifier_counts(api_notifier(ctx), &c);
	bool failing = notifier_failing(api_notifier(ctx), why, sizeof(why));
	api_reply_json(resp, 200,
		       json_pack("{s:b s:s s:{s:I s:I s:I s:I} s:o}", "delivery_failing", failing,
				 "failing_reason", why, "counts", "queued", (json_int_t)c.queued,
				 "pending", (json_int_t)c.pending, "sent", (json_int_t)c.sent,
				 "failed", (json_int_t)c.failed, "notifications", list));
}

void api_post_test_email(const struct api_ctx *ctx, struct api_response *resp)
{
	const char *route = api_query_get(ctx->query, "route");
	char err[256];

	if (!notify_ready(ctx, resp))
		return;
	if (!route || !*route) {
		api_reply_error(resp, 400, "route: required (the name of a route)");
		return;
	}
	int rc = notifier_test(api_notifier(ctx), route, ctx->req->peer, ctx->now_ms, err,
			       sizeof(err));
	if (rc < 0)
		api_reply_error(resp, rc == -ENOENT ? 404 : rc == -ENODATA ? 409 : 500, "%s", err);
	else
		api_reply_json(resp, 202, json_pack("{s:s s:i}", "route", route, "recipients", rc));
}
