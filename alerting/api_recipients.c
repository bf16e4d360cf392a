/* A tenant's own alert recipients (docs/API.md): GET/POST /api/v1/recipients,
 * POST /api/v1/recipients/ID (filter, quiet hours), POST /api/v1/recipients/ID/test,
 * DELETE /api/v1/recipients/ID, and GET /api/v1/recipients/confirm?token=T, the link of
 * the confirmation mail (the token is the credential).  A scoped actor's tenant is its
 * own; another tenant's recipient answers 404 like a missing one (authz_check). */
#include "alert_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_int.h"
#include "dcmon/config_keys.h"
#include "dcmon/enumtab.h"
#include "dcmon/notify.h"
#include "notify_recipients.h"

static struct notify_recipients *store_of(const struct api_ctx *ctx, struct api_response *resp)
{
	struct notify_recipients *rs = notifier_recipients(api_notifier(ctx));
	if (!rs)
		api_reply_error(resp, 503, "alert e-mail is not running");
	return rs;
}

static json_t *recipient_json(const struct recipient *r)
{
	char qs[32], qe[32];
	json_t *o = json_pack("{s:I s:s s:s s:s s:b s:I}", "id", (json_int_t)r->id, "tenant",
			      r->tenant, "address", r->addr, "min_severity",
			      cfg_severity_name((enum cfg_severity)r->min_severity), "confirmed",
			      r->confirmed_ms != 0, "created_ms", (json_int_t)r->created_ms);
	if (!o)
		return NULL;
	if (r->quiet_start != RECIPIENT_NO_QUIET) {
		snprintf(qs, sizeof(qs), "%02d:%02d", r->quiet_start / 60, r->quiet_start % 60);
		snprintf(qe, sizeof(qe), "%02d:%02d", r->quiet_end / 60, r->quiet_end % 60);
		json_object_set_new(o, "quiet", json_pack("{s:s s:s s:s}", "start", qs, "end", qe,
							  "tz", r->tz[0] ? r->tz : "local"));
	}
	return o;
}

/* The tenant a request is about: a scoped actor's own, else ?tenant= / "tenant" (NULL:
 * every tenant, for an unscoped reader).  False after answering. */
static bool tenant_of(const struct api_ctx *ctx, const char *asked, bool required,
		      const char **out, struct api_response *resp)
{
	const struct authz_actor *me = ctx->req->actor;
	if (me && me->tenant[0]) {
		if (asked && strcmp(asked, me->tenant) != 0) {
			api_reply_error(resp, 404, "no tenant '%s'", asked);
			return false;
		}
		*out = me->tenant;
		return true;
	}
	if (asked && !cfg_tenant_find(ctx->env->cfg, asked)) {
		api_reply_error(resp, 404, "no tenant '%s'", asked);
		return false;
	}
	if (!asked && required) {
		api_reply_error(resp, 400, "tenant: required");
		return false;
	}
	*out = asked;
	return true;
}

/* The recipient named by the path's id, in the actor's scope; false after answering
 * 404 exactly like a missing one when it is another tenant's. */
static bool recipient_find(const struct api_ctx *ctx, struct notify_recipients *rs,
			   struct recipient *r, struct api_response *resp)
{
	char *end;
	long long id = strtoll(ctx->tail, &end, 10);
	const struct authz_actor *me = ctx->req->actor;
	if (id > 0 && (*end == '\0' || *end == '/') && recipients_get(rs, id, r) == 0) {
		struct authz_object obj = {.scope = me && me->tenant[0] && strcmp(me->tenant, r->tenant)
							     ? AUTHZ_SCOPE_OTHER : AUTHZ_SCOPE_OWN};
		if (authz_check(me, AUTHZ_ACT_RECIPIENTS, &obj) == AUTHZ_ALLOW)
			return true;
	}
	int n = (int)strcspn(ctx->tail, "/");
	api_reply_error(resp, 404, "no recipient %.*s", n, ctx->tail);
	return false;
}

static void recipient_audit(const struct api_ctx *ctx, const char *action,
			    const struct recipient *r)
{
	const struct authz_actor *me = ctx->req->actor;
	char target[32], masked[300], detail[400];
	snprintf(target, sizeof(target), "recipient:%lld", (long long)r->id);
	recipient_addr_masked(r->addr, masked, sizeof(masked));
	snprintf(detail, sizeof(detail), "tenant %s, %s, min_severity %s", r->tenant, masked,
		 cfg_severity_name((enum cfg_severity)r->min_severity));
	struct alert_actor by = {.who = me ? me->name : ctx->req->peer,
				 .origin = me && me->source[0] ? me->source : "api"};
	if (api_engine(ctx))
		alert_engine_audit_add(api_engine(ctx), &by, action, target, detail, ctx->now_ms);
}

static const char *who_of(const struct api_ctx *ctx)
{
	return ctx->req->actor ? ctx->req->actor->name : ctx->req->peer;
}

static bool list_one(void *arg, const struct recipient *r)
{
	return json_array_append_new(arg, recipient_json(r)) == 0;
}

void api_get_recipients(const struct api_ctx *ctx, struct api_response *resp)
{
	struct notify_recipients *rs = store_of(ctx, resp);
	const char *tenant;
	if (!rs || !tenant_of(ctx, api_query_get(ctx->query, "tenant"), false, &tenant, resp))
		return;
	json_t *list = json_array();
	if (recipients_foreach(rs, tenant, list_one, list) < 0) {
		json_decref(list);
		api_reply_error(resp, 500, "cannot read the recipients");
		return;
	}
	api_reply_json(resp, 200, json_pack("{s:o}", "recipients", list));
}

/* min_severity, quiet {start, end, tz} of a body into r.  0, or -EINVAL with err. */
static int settings_parse(json_t *b, struct recipient *r, char *err, size_t errlen)
{
	const char *sev = json_string_value(json_object_get(b, "min_severity"));
	json_t *q = json_object_get(b, "quiet");
	int v;
	if (sev && enum_parse(cfg_severity_names, sev, &v) < 0)
		return snprintf(err, errlen, "min_severity: expected info, warning or critical"),
		       -EINVAL;
	if (sev)
		r->min_severity = v;
	if (json_is_null(q)) {
		r->quiet_start = r->quiet_end = RECIPIENT_NO_QUIET;
		r->tz[0] = '\0';
	} else if (q) {
		const char *tz = json_string_value(json_object_get(q, "tz"));
		if (api_parse_hhmm(json_string_value(json_object_get(q, "start")), &r->quiet_start) < 0 ||
		    api_parse_hhmm(json_string_value(json_object_get(q, "end")), &r->quiet_end) < 0)
			return snprintf(err, errlen, "quiet: expected {\"start\": \"HH:MM\", "
				       "\"end\": \"HH:MM\", \"tz\": \"Zone\"}"), -EINVAL;
		if (tz && strcmp(tz, "local") != 0 && !tz_valid(tz))
			return snprintf(err, errlen, "quiet.tz: no time zone '%s'", tz), -EINVAL;
		snprintf(r->tz, sizeof(r->tz), "%s", tz && strcmp(tz, "local") ? tz : "");
	}
	return 0;
}

static int errno_status(int rc)
{
	switch (rc) {
	case -EEXIST: case -EAGAIN: case -ENODATA: return 409;
	case -ENOSPC: case -EBUSY: return 429;
	case -EINVAL: return 400;
	default: return 500;
	}
}

void api_post_recipients(const struct api_ctx *ctx, struct api_response *resp)
{
	struct notify_recipients *rs = store_of(ctx, resp);
	json_t *b = rs ? api_body_object(ctx, resp) : NULL;
	struct recipient r = {.quiet_start = RECIPIENT_NO_QUIET, .quiet_end = RECIPIENT_NO_QUIET};
	const char *tenant, *addr = json_string_value(json_object_get(b, "address"));
	char err[256];
	if (!b)
		return;
	if (!tenant_of(ctx, json_string_value(json_object_get(b, "tenant")), true, &tenant, resp))
		goto out;
	if (!addr || !cfg_email_valid(addr) || strlen(addr) >= sizeof(r.addr)) {
		api_reply_error(resp, 400, "address: expected an e-mail address like ops@example.com");
		goto out;
	}
	snprintf(r.tenant, sizeof(r.tenant), "%s", tenant);
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	int rc = settings_parse(b, &r, err, sizeof(err));
	if (rc == 0)
		rc = notifier_recipient_add(api_notifier(ctx), &r, who_of(ctx), ctx->now_ms, err,
					    sizeof(err));
	if (rc < 0) {
		api_reply_error(resp, errno_status(rc), "%s", err);
		goto out;
	}
	recipient_audit(ctx, "recipient-add", &r);
	api_reply_json(resp, 201, json_pack("{s:o}", "recipient", recipient_json(&r)));
out:
	json_decref(b);
}

/* POST /api/v1/recipients/ID: new settings; POST /api/v1/recipients/ID/test. */
void api_post_recipient(const struct api_ctx *ctx, struct api_response *resp)
{
	struct notify_recipients *rs = store_of(ctx, resp);
	struct recipient r;
	char err[256];
	if (!rs || !recipient_find(ctx, rs, &r, resp))
		return;
	const char *op = strchr(ctx->tail, '/');
	if (op && strcmp(op, "/test") == 0) {
		int rc = notifier_recipient_test(api_notifier(ctx), &r, who_of(ctx), ctx->now_ms,
						 err, sizeof(err));
		if (rc < 0)
			api_reply_error(resp, errno_status(rc), "%s", err);
		else {
			recipient_audit(ctx, "recipient-test", &r);
			api_reply_json(resp, 202, json_pack("{s:I}", "id", (json_int_t)r.id));
		}
		return;
	}
	if (op) {
		api_reply_error(resp, 404, "no such action '%s' (expected test)", op + 1);
		return;
	}
	json_t *b = api_body_object(ctx, resp);
	if (!b)
		return;
	int rc = settings_parse(b, &r, err, sizeof(err));
	if (rc == 0 && (rc = recipients_update(rs, &r)) < 0)
		snprintf(err, sizeof(err), "cannot write the recipients");
	if (rc < 0)
		api_reply_error(resp, errno_status(rc), "%s", err);
	else {
		recipient_audit(ctx, "recipient-change", &r);
		api_reply_json(resp, 200, json_pack("{s:o}", "recipient", recipient_json(&r)));
	}
	json_decref(b);
}

void api_delete_recipient(const struct api_ctx *ctx, struct api_response *resp)
{
	struct notify_recipients *rs = store_of(ctx, resp);
	struct recipient r;
	if (!rs || !recipient_find(ctx, rs, &r, resp))
		return;
	if (recipients_remove(rs, r.id) < 0) {
		api_reply_error(resp, 500, "cannot write the recipients");
		return;
	}
	recipient_audit(ctx, "recipient-remove", &r);
	api_reply_json(resp, 200, json_pack("{s:I}", "removed", (json_int_t)r.id));
}

void api_get_recipient_confirm(const struct api_ctx *ctx, struct api_response *resp)
{
	struct notify_recipients *rs = store_of(ctx, resp);
	const char *token = api_query_get(ctx->query, "token");
	struct recipient r;
	if (!rs)
		return;
	int rc = notifier_recipient_confirm(api_notifier(ctx), token ? token : "", ctx->now_ms, &r);
	if (rc == -ETIME)
		api_reply_error(resp, 410, "this confirmation link has expired: ask for a new one");
	else if (rc < 0)
		api_reply_error(resp, 404, "unknown or already used confirmation link");
	else {
		recipient_audit(ctx, "recipient-confirm", &r);
		api_reply_json(resp, 200, json_pack("{s:o}", "recipient", recipient_json(&r)));
	}
}
