/* /api/v1/users: accounts for `dcmon user` and permitted roles (dcmon/accounts.h).
 *
 *   GET    /api/v1/users                 list (no secret in it)
 *   GET    /api/v1/users/NAME            one
 *   POST   /api/v1/users                 {"name", "role", "tenant", "site", "password"}
 *   POST   /api/v1/users/NAME/disable | enable | unlock
 *   POST   /api/v1/users/NAME/password   {"password"}
 *   POST   /api/v1/users/NAME/role       {"role", "tenant", "site"}
 *   POST   /api/v1/users/NAME/tokens     a new API token, answered once
 *   POST   /api/v1/users/NAME/mfa        a TOTP secret (QR) and recovery codes, once
 *   POST   /api/v1/users/NAME/mfa-reset  removes the second factor
 *   DELETE /api/v1/users/NAME
 *
 * A tenant-admin sees and manages its tenant's accounts only (another tenant's account
 * answers 404 like a missing one) and grants tenant roles in its tenant only.  Every
 * change is in the audit log, never a password or a token. */
#include "accounts_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/alert.h"

#define USER_NAME_MAX 63

static struct accounts *users_store(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!accounts_of(ctx))
		api_reply_error(resp, 503, "no account store (daemon.state_dir)");
	return accounts_of(ctx);
}

/* The scope of an account for the request's actor: a tenant-admin's own tenant. */
static enum authz_result user_check(const struct api_ctx *ctx, enum authz_action action,
				    const struct account *acc)
{
	const struct authz_actor *me = ctx->req->actor;
	struct authz_object obj = {.scope = AUTHZ_SCOPE_ALL};
	if (authz_actor_scoped(me))
		obj.scope = me->tenant[0] && strcmp(me->tenant, acc->tenant) == 0
				    ? AUTHZ_SCOPE_OWN : AUTHZ_SCOPE_OTHER;
	return authz_check(me, action, &obj);
}

static json_t *user_json(const struct account *acc, int64_t now_ms)
{
	json_t *o = json_pack("{s:s s:s s:b s:b s:I s:I s:I}", "name", acc->name, "role",
			      authz_role_name(acc->role), "disabled", acc->disabled, "locked",
			      acc->locked_until_ms > now_ms, "created_ms",
			      (json_int_t)acc->created_ms, "last_login_ms",
			      (json_int_t)acc->last_login_ms, "password_changed_ms",
			      (json_int_t)acc->password_changed_ms);
	json_object_set_new(o, "tenant", acc->tenant[0] ? json_string(acc->tenant) : json_null());
	json_object_set_new(o, "site", acc->site[0] ? json_string(acc->site) : json_null());
	if (acc->locked_until_ms > now_ms)
		json_object_set_new(o, "locked_until_ms", json_integer(acc->locked_until_ms));
	return o;
}

struct users_list {
	const struct api_ctx *ctx;
	json_t *out;
};

static bool users_collect(void *arg, const struct account *acc)
{
	struct users_list *l = arg;
	if (user_check(l->ctx, AUTHZ_ACT_ACCOUNTS_READ, acc) == AUTHZ_ALLOW)
		json_array_append_new(l->out, user_json(acc, l->ctx->now_ms));
	return true;
}

void api_get_users(const struct api_ctx *ctx, struct api_response *resp)
{
	struct accounts *a = users_store(ctx, resp);
	if (!a)
		return;
	struct users_list l = {ctx, json_array()};
	if (account_foreach(a, users_collect, &l) < 0) {
		json_decref(l.out);
		api_reply_error(resp, 500, "could not read the accounts");
		return;
	}
	api_reply_json(resp, 200, json_pack("{s:o}", "users", l.out));
}

/* The account NAME of the path, checked for action; answers 404/403 itself. */
static bool user_find(const struct api_ctx *ctx, const char *name, enum authz_action action,
		      struct account *acc, struct api_response *resp)
{
	enum authz_result ar = AUTHZ_HIDE;
	if (account_get(accounts_of(ctx), name, acc) == 0)
		ar = user_check(ctx, action, acc);
	if (ar == AUTHZ_ALLOW)
		return true;
	if (ar == AUTHZ_HIDE)
		api_reply_error(resp, 404, "no such user: %s", name);
	else
		api_reply_error(resp, 403, "%s may not change %s", ctx->req->actor->name, name);
	return false;
}

void api_get_user(const struct api_ctx *ctx, struct api_response *resp)
{
	struct account acc;
	if (users_store(ctx, resp) && user_find(ctx, ctx->tail, AUTHZ_ACT_ACCOUNTS_READ, &acc, resp))
		api_reply_json(resp, 200, json_pack("{s:o}", "user", user_json(&acc, ctx->now_ms)));
}

/* ---- changes ---------------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Records a change in the audit log: never a secret. */
static void user_audit(const struct api_ctx *ctx, const char *action, const char *name,
		       const char *detail)
{
	const struct authz_actor *me = ctx->req->actor;
	char target[USER_NAME_MAX + 8];
	snprintf(target, sizeof(target), "user:%s", name);
	struct alert_actor by = {.who = me->name,
				 .origin = me->source[0] ? me->source : "api",
				 .tenant = me->tenant[0] ? me->tenant : NULL};
	if (accounts_audit_of(ctx))
		alert_engine_audit_add(accounts_audit_of(ctx), &by, action, target, detail, ctx->now_ms);
}

/* A name the audit log could not tell from the built-in actors is refused. */
static bool name_valid(const char *s)
{
	static const char *const reserved[] = {"root", "anonymous", "http-token", "sse-hub",
					       "dcmond", NULL};
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > USER_NAME_MAX)
		return false;
	for (size_t i = 0; reserved[i]; i++)
		if (strcmp(reserved[i], s) == 0)
			return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@",
			    s[i]))
			return false;
	return true;
}

/* Reads role, tenant and site from body into acc, under what the actor may grant:
 * a scoped actor grants tenant roles (or a wall) in its own tenant only.  Answers 400
 * or 403 itself. */
static bool role_from_body(const struct api_ctx *ctx, json_t *body, struct account *acc,
			   struct api_response *resp)
{
	const struct authz_actor *me = ctx->req->actor;
	const char *role = jstr(body, "role"), *tenant = jstr(body, "tenant"),
		   *site = jstr(body, "site");
	if (!role || authz_role_parse(role, &acc->role) < 0) {
		api_reply_error(resp, 400, "role: expected noc-admin, noc-operator, security-admin, "
				"auditor, tenant-admin, tenant-approver, tenant-operator or wall");
		return false;
	}
	if (authz_actor_scoped(me)) {
		if (!authz_role_needs_tenant(acc->role) && acc->role != AUTHZ_ROLE_WALL) {
			api_reply_error(resp, 403, "%s may grant tenant roles only", me->name);
			return false;
		}
		tenant = me->tenant; /* its own tenant, whatever the body says */
		site = NULL;
	}
	if (tenant && !cfg_tenant_find(ctx->env->cfg, tenant)) {
		api_reply_error(resp, 400, "tenant: no tenant '%s' in the config", tenant);
		return false;
	}
	if (authz_role_needs_tenant(acc->role) != (tenant != NULL) &&
	    !(acc->role == AUTHZ_ROLE_WALL && tenant)) {
		api_reply_error(resp, 400, "tenant: role %s %s", role,
				authz_role_needs_tenant(acc->role) ? "needs a tenant" : "takes no tenant");
		return false;
	}
	snprintf(acc->tenant, sizeof(acc->tenant), "%s", tenant ? tenant : "");
	snprintf(acc->site, sizeof(acc->site), "%s", site ? site : "");
	return true;
}

/* Body's password for account name under the policy, or NULL after answering 400. */
static const char *password_from_body(const struct api_ctx *ctx, json_t *body,
				      const char *name, struct api_response *resp)
{
	const char *pw = jstr(body, "password");
	const char *why = accounts_password_refusal(accounts_cfg(accounts_of(ctx)), name, pw);
	if (why) {
		api_reply_error(resp, 400, "password: %s", why);
		return NULL;
	}
	return pw;
}

/* Hashes pw on the worker pool for acc, then finish stores it (pw_work.c). */
static void password_hash_run(const struct api_ctx *ctx, const struct account *acc,
			      const char *pw, pw_finish_fn finish, struct api_response *resp)
{
	struct pw_job *j = pw_job_new(finish);
	if (!j || !(j->new_password = strdup(pw))) {
		api_reply_error(resp, 503, "out of memory");
		pw_job_free(j);
		return;
	}
	j->acc = *acc;
	pw_job_run(ctx, j, resp);
}

static void store_failed(struct api_response *resp, int rc, const char *name)
{
	if (rc == -EEXIST)
		api_reply_error(resp, 409, "user %s exists", name);
	else if (rc == -ENOENT)
		api_reply_error(resp, 404, "no such user: %s", name);
	else
		api_reply_error(resp, 500, "could not write the account store");
}

/* The new account's password is hashed: it is stored. */
static void user_add_finish(struct pw_job *j, const struct api_ctx *ctx,
			    struct api_response *resp)
{
	struct account *acc = &j->acc;
	if (j->rc < 0) {
		api_reply_error(resp, 500, "could not hash the password");
		return;
	}
	snprintf(acc->hash, sizeof(acc->hash), "%s", j->new_hash);
	int rc = account_insert(accounts_of(ctx), acc);
	if (rc < 0) {
		store_failed(resp, rc, acc->name);
		return;
	}
	char detail[160];
	snprintf(detail, sizeof(detail), "role=%s%s%s", authz_role_name(acc->role),
		 acc->tenant[0] ? " tenant=" : "", acc->tenant);
	user_audit(ctx, "user-add", acc->name, detail);
	api_reply_json(resp, 201, json_pack("{s:o}", "user", user_json(acc, ctx->now_ms)));
}

void api_post_users(const struct api_ctx *ctx, struct api_response *resp)
{
	struct accounts *a = users_store(ctx, resp);
	json_t *body = a ? api_body_object(ctx, resp) : NULL;
	if (!body)
		return;
	struct account acc = {.created_ms = ctx->now_ms, .password_changed_ms = ctx->now_ms};
	const char *name = jstr(body, "name"), *pw;
	if (!name_valid(name)) {
		api_reply_error(resp, 400, "name: expected 1..63 of A-Z a-z 0-9 . _ - @, not root, "
				"anonymous, http-token, sse-hub or dcmond");
	} else if (role_from_body(ctx, body, &acc, resp) &&
		   (pw = password_from_body(ctx, body, name, resp))) {
		snprintf(acc.name, sizeof(acc.name), "%s", name);
		password_hash_run(ctx, &acc, pw, user_add_finish, resp);
	}
	json_decref(body);
}

/* A new API token: shown in this answer only, kept as its SHA-256. */
static void user_new_token(const struct api_ctx *ctx, const struct account *acc,
			   struct api_response *resp)
{
	char token[80], h[65];
	if (secret_new_token(token, sizeof(token)) < 0) {
		api_reply_error(resp, 500, "no random bytes for a token");
		return;
	}
	secret_sha256_hex(token, h);
	int rc = account_token_insert(accounts_of(ctx), acc->name, h, ctx->now_ms);
	if (rc < 0) {
		store_failed(resp, rc, acc->name);
	} else {
		user_audit(ctx, "user-token", acc->name, "new API token");
		api_reply_json(resp, 201, json_pack("{s:s s:s}", "user", acc->name, "token", token));
	}
	explicit_bzero(token, sizeof(token));
}

/* One of NAME/disable, enable, unlock, mfa-reset, role; the store's answer. */
static int user_apply(const struct api_ctx *ctx, const struct account *acc, const char *op,
		      json_t *body, char *detail, size_t dlen, struct api_response *resp)
{
	struct accounts *a = accounts_of(ctx);
	if (strcmp(op, "disable") == 0 || strcmp(op, "enable") == 0)
		return account_set_disabled(a, acc->name, op[0] == 'd');
	if (strcmp(op, "unlock") == 0)
		return account_unlock(a, acc->name);
	if (strcmp(op, "mfa-reset") == 0)
		return account_set_mfa(a, acc->name, NULL, 0);
	struct account to = *acc;
	if (!role_from_body(ctx, body, &to, resp))
		return 1;
	snprintf(detail, dlen, "role %s -> %s%s%s", authz_role_name(acc->role),
		 authz_role_name(to.role), to.tenant[0] ? " tenant=" : "", to.tenant);
	return account_set_role(a, acc->name, to.role, to.tenant, to.site);
}

/* Answers a change of acc by op whose store answered rc (> 0: answered already). */
static void user_changed(const struct api_ctx *ctx, struct account *acc, const char *op, int rc,
			 const char *detail, struct api_response *resp)
{
	if (rc > 0)
		return;
	if (rc < 0) {
		store_failed(resp, rc, acc->name);
		return;
	}
	char action[32];
	snprintf(action, sizeof(action), "user-%s", op);
	user_audit(ctx, action, acc->name, detail[0] ? detail : NULL);
	account_get(accounts_of(ctx), acc->name, acc);
	api_reply_json(resp, 200, json_pack("{s:o}", "user", user_json(acc, ctx->now_ms)));
}

/* NAME/password: the new password is hashed, it is stored. */
static void user_password_finish(struct pw_job *j, const struct api_ctx *ctx,
				 struct api_response *resp)
{
	if (j->rc < 0) {
		api_reply_error(resp, 500, "could not hash the password");
		return;
	}
	int rc = account_set_hash(accounts_of(ctx), j->acc.name, j->new_hash, ctx->now_ms);
	user_changed(ctx, &j->acc, "password", rc, "", resp);
}

void api_post_user(const struct api_ctx *ctx, struct api_response *resp)
{
	char name[USER_NAME_MAX + 1];
	const char *slash = strchr(ctx->tail, '/');
	const char *op = slash ? slash + 1 : "";
	static const char *const ops[] = {"disable", "enable", "unlock", "password", "role",
					  "tokens", "mfa", "mfa-reset", NULL};
	size_t k = 0;
	while (ops[k] && strcmp(ops[k], op) != 0)
		k++;
	if (!slash || (size_t)(slash - ctx->tail) > USER_NAME_MAX || !ops[k]) {
		api_reply_error(resp, 404, "no such endpoint: %s (expected /api/v1/users/NAME/"
				"disable|enable|unlock|password|role|tokens|mfa|mfa-reset)", ctx->req->path);
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(slash - ctx->tail), ctx->tail);
	struct account acc;
	if (!users_store(ctx, resp) || !user_find(ctx, name, AUTHZ_ACT_ACCOUNTS_MANAGE, &acc, resp))
		return;
	if (strcmp(op, "tokens") == 0) {
		user_new_token(ctx, &acc, resp);
		return;
	}
	if (strcmp(op, "mfa") == 0) {
		api_post_user_mfa(ctx, &acc, resp);
		if (resp->status == 201)
			user_audit(ctx, "user-mfa", name, "second factor set up");
		return;
	}
	json_t *body = api_body_object(ctx, resp);
	if (!body)
		return;
	if (strcmp(op, "password") == 0) {
		const char *pw = password_from_body(ctx, body, acc.name, resp);
		if (pw)
			password_hash_run(ctx, &acc, pw, user_password_finish, resp);
		json_decref(body);
		return;
	}
	char detail[160] = "";
	int rc = user_apply(ctx, &acc, op, body, detail, sizeof(detail), resp);
	json_decref(body);
	user_changed(ctx, &acc, op, rc, detail, resp);
}

void api_delete_user(const struct api_ctx *ctx, struct api_response *resp)
{
	struct account acc;
	if (!users_store(ctx, resp) ||
	    !user_find(ctx, ctx->tail, AUTHZ_ACT_ACCOUNTS_MANAGE, &acc, resp))
		return;
	int rc = account_delete(accounts_of(ctx), acc.name);
	if (rc < 0) {
		store_failed(resp, rc, acc.name);
		return;
	}
	user_audit(ctx, "user-delete", acc.name, NULL);
	api_reply_json(resp, 200, json_pack("{s:s}", "deleted", acc.name));
}
