/* Second factors set up by their owner, and the tenants' policy.  docs/ACCOUNTS.md,
 * "Second factor".
 *
 *   POST /api/v1/mfa                  a new pending TOTP secret of one's own account:
 *                                     {"otpauth", "qr"} to scan
 *   POST /api/v1/mfa/confirm          {"code"}: a code of it makes it the second factor;
 *                                     answers the recovery codes, once
 *   GET  /api/v1/mfa-policy           {"tenants": [{"tenant", "mfa_required"}]}
 *   POST /api/v1/mfa-policy/TENANT    {"mfa_required": bool}
 *
 * The policy is the NOC's (noc-admin, security-admin): a tenant-scoped actor gets 404. */
#include "accounts_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/alert.h"

static void mfa_audit(const struct api_ctx *ctx, const char *action, const char *target,
		      const char *detail)
{
	const struct authz_actor *me = ctx->req->actor;
	struct alert_actor by = {.who = me->name, .origin = me->source[0] ? me->source : "api",
				 .tenant = me->tenant[0] ? me->tenant : NULL};
	if (accounts_audit_of(ctx))
		alert_engine_audit_add(accounts_audit_of(ctx), &by, action, target, detail, ctx->now_ms);
}

/* The request's own account; answers 503/404 itself. */
static bool own_account(const struct api_ctx *ctx, struct account *acc,
			struct api_response *resp)
{
	if (!accounts_of(ctx)) {
		api_reply_error(resp, 503, "no account store (daemon.state_dir)");
		return false;
	}
	if (account_get(accounts_of(ctx), ctx->req->actor->name, acc) < 0) {
		api_reply_error(resp, 404, "no account named %s (an administrator sets up others' "
				"second factor: dcmon user mfa NAME)", ctx->req->actor->name);
		return false;
	}
	explicit_bzero(acc->hash, sizeof(acc->hash));
	return true;
}

void api_post_mfa(const struct api_ctx *ctx, struct api_response *resp)
{
	struct account acc;
	json_t *enrol = NULL;
	char target[AUTHZ_NAME_MAX + 8];
	if (!own_account(ctx, &acc, resp))
		return;
	if (mfa_pending_new(accounts_of(ctx), acc.name, ctx->now_ms, &enrol) < 0) {
		api_reply_error(resp, 500, "could not set up the second factor");
		return;
	}
	json_object_set_new(enrol, "user", json_string(acc.name));
	api_reply_json(resp, 201, enrol);
	snprintf(target, sizeof(target), "user:%s", acc.name);
	mfa_audit(ctx, "mfa-enrol-start", target, NULL);
}

void api_post_mfa_confirm(const struct api_ctx *ctx, struct api_response *resp)
{
	struct account acc;
	json_t *codes = NULL, *body;
	char target[AUTHZ_NAME_MAX + 8];
	if (!own_account(ctx, &acc, resp) || !(body = api_body_object(ctx, resp)))
		return;
	int rc = mfa_pending_confirm(accounts_of(ctx), acc.name,
				     json_string_value(json_object_get(body, "code")), ctx->now_ms,
				     &codes);
	json_decref(body);
	snprintf(target, sizeof(target), "user:%s", acc.name);
	if (rc == -ENOENT)
		api_reply_error(resp, 409, "no second factor is being set up (POST /api/v1/mfa)");
	else if (rc == -EACCES)
		api_reply_error(resp, 400, "code: not a current code of the new secret");
	else if (rc < 0)
		api_reply_error(resp, 500, "could not set up the second factor");
	else {
		api_reply_json(resp, 200, json_pack("{s:s s:o}", "user", acc.name, "recovery_codes",
						    codes));
		mfa_audit(ctx, "mfa-enrol", target, "second factor set up by its owner");
	}
}

/* The policy is the NOC's: a tenant-scoped actor is answered 404 like a missing route. */
static bool policy_visible(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!accounts_of(ctx)) {
		api_reply_error(resp, 503, "no account store (daemon.state_dir)");
		return false;
	}
	if (authz_actor_scoped(ctx->req->actor)) {
		api_reply_error(resp, 404, "no such endpoint: %s", ctx->req->path);
		return false;
	}
	return true;
}

void api_get_mfa_policy(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!policy_visible(ctx, resp))
		return;
	json_t *list = json_array();
	for (size_t i = 0; ctx->env->cfg && i < ctx->env->cfg->ntenants; i++) {
		const char *t = ctx->env->cfg->tenants[i].id;
		json_array_append_new(list, json_pack("{s:s s:b}", "tenant", t, "mfa_required",
						      mfa_tenant_required(accounts_of(ctx), t)));
	}
	api_reply_json(resp, 200, json_pack("{s:o}", "tenants", list));
}

void api_post_mfa_policy(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!policy_visible(ctx, resp))
		return;
	const char *tenant = ctx->tail;
	if (!cfg_tenant_find(ctx->env->cfg, tenant)) {
		api_reply_error(resp, 404, "no such tenant: %s", tenant);
		return;
	}
	json_t *body = api_body_object(ctx, resp);
	if (!body)
		return;
	json_t *v = json_object_get(body, "mfa_required");
	if (!json_is_boolean(v)) {
		api_reply_error(resp, 400, "mfa_required: expected true or false");
	} else if (mfa_tenant_set(accounts_of(ctx), tenant, json_is_true(v)) < 0) {
		api_reply_error(resp, 500, "could not write the account store");
	} else {
		char target[AUTHZ_NAME_MAX + 8];
		snprintf(target, sizeof(target), "tenant:%s", tenant);
		mfa_audit(ctx, "mfa-policy", target, json_is_true(v) ? "required" : "optional");
		api_reply_json(resp, 200, json_pack("{s:s s:b}", "tenant", tenant, "mfa_required",
						    json_is_true(v)));
	}
	json_decref(body);
}
