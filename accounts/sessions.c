/* Web sessions: login with a password, a 128-bit random id as the cookie and a CSRF
 * token for writes, both kept as SHA-256; idle and absolute timeouts; logout, the list
 * of one's sessions and revoking one.  docs/ACCOUNTS.md, "Web login".
 *
 *   POST   /api/v1/login         {"name", "password", "code"} -> a new session (cookie),
 *                                "csrf"; or 403 "enrol" for an account that must set up
 *                                a second factor (see login_enrol); {"token"}: a wall
 *                                account's token -> a kiosk's session (login_kiosk)
 *   POST   /api/v1/logout        ends the request's session, clears the cookie
 *   GET    /api/v1/sessions      {"user", "role", "tenant", "actions", "sessions": [{id,
 *                                 created_ms, last_seen_ms, source, current}]}
 *   DELETE /api/v1/sessions/ID   revokes one of one's sessions
 *   POST   /api/v1/password      {"password", "new_password"}: one's own password; the
 *                                other sessions end
 */
#include "accounts_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"

#define SESSION_PUBLIC_ID 16 /* hex digits of the id's hash shown as a session's id */

static bool session_expired(const struct cfg_accounts *c, const struct session *s,
			    int64_t now_ms)
{
	return now_ms - s->last_seen_ms > c->session_idle_ms ||
	       now_ms - s->created_ms > c->session_max_ms;
}

int accounts_session_actor(struct accounts *a, const char *sid, const char *csrf,
			   const char *source, int64_t now_ms, struct authz_actor *out)
{
	char h[65];
	struct session ses;
	struct account acc;
	if (!a || !sid || !*sid)
		return -ENOENT;
	secret_sha256_hex(sid, h);
	if (session_find(a, h, &ses) < 0)
		return -ENOENT;
	if (session_expired(accounts_cfg(a), &ses, now_ms)) {
		session_delete(a, h);
		return -ENOENT;
	}
	if (account_get(a, ses.account, &acc) < 0 || acc.disabled || acc.role == AUTHZ_ROLE_NONE)
		return -EACCES;
	if (csrf) {
		char ch[65];
		secret_sha256_hex(csrf, ch);
		if (!secret_equal(ch, ses.csrf_hash))
			return -EPERM;
	}
	session_seen(a, h, now_ms);
	account_actor(&acc, source, out);
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static struct alert_actor session_by(const struct api_ctx *ctx, const char *who)
{
	const struct authz_actor *me = ctx->req->actor;
	return (struct alert_actor){.who = who, .origin = me->source[0] ? me->source : "api"};
}

/* Records a login, a failed one too (who tried, from where; never the password), with
 * the tenant of the account named, if it is a tenant's: that tenant's searches show the
 * record's event, another's never does. */
static void session_audit(const struct api_ctx *ctx, const char *action, const char *name,
			  const char *detail)
{
	char target[AUTHZ_NAME_MAX + 8];
	struct account acc;
	snprintf(target, sizeof(target), "user:%s", name);
	struct alert_actor by = session_by(ctx, name);
	if (accounts_of(ctx) && account_get(accounts_of(ctx), name, &acc) == 0 && acc.tenant[0])
		by.tenant = acc.tenant;
	if (accounts_audit_of(ctx))
		alert_engine_audit_add(accounts_audit_of(ctx), &by, action, target, detail, ctx->now_ms);
	explicit_bzero(acc.hash, sizeof(acc.hash));
}

/* A new session for the logged-in actor: the id goes to the cookie, the CSRF token to
 * the body; neither is kept but as its hash.  A new id at every login: an id planted
 * before the login (fixation) is never adopted. */
static void session_start(const struct api_ctx *ctx, const struct authz_actor *who,
			  json_t *extra, struct api_response *resp)
{
	char sid[2 * SESSION_ID_BYTES + 1], csrf[2 * SESSION_ID_BYTES + 1], h[65], ch[65];
	if (secret_random_hex(SESSION_ID_BYTES, sid, sizeof(sid)) < 0 ||
	    secret_random_hex(SESSION_ID_BYTES, csrf, sizeof(csrf)) < 0) {
		api_reply_error(resp, 500, "no random bytes for a session");
		return;
	}
	secret_sha256_hex(sid, h);
	secret_sha256_hex(csrf, ch);
	if (session_insert(accounts_of(ctx), h, who->name, ch, ctx->req->actor->source,
			   ctx->now_ms) < 0 || !(resp->session_set = strdup(sid))) {
		api_reply_error(resp, 500, "could not store the session");
	} else {
		json_t *o = json_pack("{s:s s:s s:s s:s}", "user", who->name, "role",
				      authz_role_name(who->role), "tenant", who->tenant, "csrf", csrf);
		if (extra)
			json_object_update(o, extra);
		api_reply_json(resp, 200, o);
		session_audit(ctx, "login", who->name, NULL);
	}
	json_decref(extra);
	explicit_bzero(sid, sizeof(sid));
	explicit_bzero(csrf, sizeof(csrf));
}

/* The password is right and the account must have a second factor it has not got
 * (mfa_required): a code of its pending secret makes that its second factor and logs in,
 * answering the recovery codes once; else a pending secret is given out to scan (403
 * with "enrol": {otpauth, qr}), or kept when the code was wrong. */
static void login_enrol(const struct api_ctx *ctx, struct pw_job *j, struct api_response *resp)
{
	struct accounts *a = accounts_of(ctx);
	json_t *x = NULL;
	struct account acc;
	int rc = j->code ? mfa_pending_confirm(a, j->name, j->code, ctx->now_ms, &x) : -ENOENT;
	if (rc == 0 && account_get(a, j->name, &acc) == 0) {
		struct authz_actor who;
		login_complete(a, &acc, ctx->req->actor->source, ctx->now_ms, &who);
		session_audit(ctx, "mfa-enrol", j->name, "second factor set up at login");
		session_start(ctx, &who, json_pack("{s:o}", "recovery_codes", x), resp);
		return;
	}
	json_decref(x);
	x = NULL;
	if (rc == -EACCES) {
		api_reply_error(resp, 403, "wrong code: enter the current code of the authenticator");
	} else if (mfa_pending_new(a, j->name, ctx->now_ms, &x) < 0) {
		api_reply_error(resp, 500, "could not set up the second factor");
	} else {
		api_reply_json(resp, 403, json_pack("{s:s s:o}", "error", "a second factor is required "
						    "for this account: scan the code with an "
						    "authenticator app, then log in with a code of it",
						    "enrol", x));
	}
	session_audit(ctx, "login-failed", j->name, "second factor to set up");
}

/* The password was checked on a worker (pw_work.c): the rest of the login. */
static void login_finish(struct pw_job *j, const struct api_ctx *ctx, struct api_response *resp)
{
	struct accounts *a = accounts_of(ctx);
	struct authz_actor who;
	int rc = login_checked(a, j->name, j->hash, j->match, j->code, ctx->req->actor->source,
			       ctx->now_ms, &who);
	if (rc == -EKEYREJECTED) {
		login_enrol(ctx, j, resp);
	} else if (rc < 0) {
		/* one answer for a wrong name, password or code, a locked or disabled account */
		api_reply_error(resp, 401, "wrong user name or password");
		if (j->name && strlen(j->name) < AUTHZ_NAME_MAX)
			session_audit(ctx, "login-failed", j->name, NULL);
	} else {
		if (ctx->req->session) { /* a session the browser still held ends here */
			char h[65];
			secret_sha256_hex(ctx->req->session, h);
			session_delete(a, h);
		}
		session_start(ctx, &who, NULL, resp);
	}
}

/* A kiosk's login: a wall account's API token (the login page reads it from its URL's
 * fragment, which no server or log sees) opens a session of that account, so the
 * wall's pages and event stream read with its scope without a password. */
static void login_kiosk(const struct api_ctx *ctx, const char *token, struct api_response *resp)
{
	struct authz_actor who;
	if (accounts_token_actor(accounts_of(ctx), token, ctx->req->actor->source, &who) < 0) {
		api_reply_error(resp, 401, "wrong token");
		session_audit(ctx, "login-failed", "kiosk", "wrong token");
	} else if (who.role != AUTHZ_ROLE_WALL) {
		api_reply_error(resp, 403, "only a wall account's token opens a kiosk session "
				"(other tokens are for scripts: Authorization: Bearer)");
	} else {
		session_start(ctx, &who, NULL, resp);
	}
}

/* The JSON object a POST to the account store carries, and the store in *a; NULL after
 * replying when there is no store or no valid body. */
static json_t *accounts_request_body(const struct api_ctx *ctx, struct api_response *resp,
				     struct accounts **a)
{
	*a = accounts_of(ctx);
	if (!*a) {
		api_reply_error(resp, 503, "no account store (daemon.state_dir)");
		return NULL;
	}
	return api_body_object(ctx, resp);
}

void api_post_login(const struct api_ctx *ctx, struct api_response *resp)
{
	struct accounts *a;
	json_t *body = accounts_request_body(ctx, resp, &a);
	if (!body)
		return;
	if (json_is_string(json_object_get(body, "token"))) {
		login_kiosk(ctx, jstr(body, "token"), resp);
		json_decref(body);
		return;
	}
	const char *name = jstr(body, "name"), *pw = jstr(body, "password"),
		   *code = jstr(body, "code");
	struct pw_job *j = pw_job_new(login_finish);
	if (!j || (name && !(j->name = strdup(name))) || (code && !(j->code = strdup(code))) ||
	    !(j->password = strdup(pw ? pw : ""))) {
		api_reply_error(resp, 503, "out of memory");
		pw_job_free(j);
	} else {
		login_hash(a, name, j->hash);
		pw_job_run(ctx, j, resp);
	}
	json_decref(body);
}

void api_post_logout(const struct api_ctx *ctx, struct api_response *resp)
{
	char h[65];
	if (!accounts_of(ctx) || !ctx->req->session) {
		api_reply_error(resp, 400, "no session to end (log out ends a web session)");
		return;
	}
	secret_sha256_hex(ctx->req->session, h);
	session_delete(accounts_of(ctx), h);
	session_audit(ctx, "logout", ctx->req->actor->name, NULL);
	resp->session_set = strdup("");
	api_reply_json(resp, 200, json_pack("{s:b}", "logged_out", 1));
}

struct sessions_list {
	const char *current; /* hash of the request's session, or "" */
	json_t *out;
};

static bool sessions_collect(void *arg, const char *id_hash, const struct session *s)
{
	struct sessions_list *l = arg;
	char id[SESSION_PUBLIC_ID + 1];
	snprintf(id, sizeof(id), "%s", id_hash);
	json_array_append_new(l->out, json_pack("{s:s s:I s:I s:s s:b}", "id", id, "created_ms",
						(json_int_t)s->created_ms, "last_seen_ms",
						(json_int_t)s->last_seen_ms, "source", s->source,
						"current", strcmp(id_hash, l->current) == 0));
	return true;
}

/* The names of the actions the actor's role allows on its own objects (authz_check of
 * the route): the pages show a button only for what the API would let through, without
 * a copy of the role table. */
static json_t *allowed_actions(const struct authz_actor *me)
{
	json_t *out = json_array();
	for (int a = AUTHZ_ACT_VIEW; a < AUTHZ_ACT_COUNT; a++)
		if (authz_check(me, (enum authz_action)a, NULL) == AUTHZ_ALLOW)
			json_array_append_new(out, json_string(authz_action_name(a)));
	return out;
}

void api_get_sessions(const struct api_ctx *ctx, struct api_response *resp)
{
	char h[65] = "";
	const struct authz_actor *me = ctx->req->actor;
	struct sessions_list l = {h, json_array()};
	if (ctx->req->session)
		secret_sha256_hex(ctx->req->session, h);
	if (accounts_of(ctx) && session_foreach(accounts_of(ctx), me->name, sessions_collect,
						  &l) < 0) {
		json_decref(l.out);
		api_reply_error(resp, 500, "could not read the sessions");
		return;
	}
	api_reply_json(resp, 200,
		       json_pack("{s:s s:s s:s? s:o s:o}", "user", me->name, "role",
				 authz_role_name(me->role), "tenant",
				 me->tenant[0] ? me->tenant : NULL, "actions",
				 allowed_actions(me), "sessions", l.out));
}

void api_delete_session(const struct api_ctx *ctx, struct api_response *resp)
{
	const char *id = ctx->tail;
	if (!accounts_of(ctx) || strlen(id) != SESSION_PUBLIC_ID ||
	    session_revoke(accounts_of(ctx), ctx->req->actor->name, id) < 0) {
		api_reply_error(resp, 404, "no such session: %s", id);
		return;
	}
	session_audit(ctx, "session-revoke", ctx->req->actor->name, id);
	api_reply_json(resp, 200, json_pack("{s:s s:b}", "id", id, "revoked", 1));
}

/* The current password was checked (pw_work.c): the new one is stored, the account's
 * other sessions end.  A wrong current password counts as a failed login (lockout). */
static void password_change_finish(struct pw_job *j, const struct api_ctx *ctx,
				   struct api_response *resp)
{
	struct accounts *a = accounts_of(ctx);
	struct account now;
	const char *name = j->acc.name;
	if (account_get(a, name, &now) < 0 || strcmp(now.hash, j->hash) != 0) {
		api_reply_error(resp, 409, "the password of %s changed meanwhile", name);
	} else if (!j->match || now.locked_until_ms > ctx->now_ms) {
		if (now.locked_until_ms <= ctx->now_ms)
			account_record_failure(a, &now, ctx->now_ms);
		session_audit(ctx, "password-change-failed", name, "wrong current password");
		api_reply_error(resp, 403, "wrong current password (or the account is locked)");
	} else if (j->rc < 0 || account_set_hash(a, name, j->new_hash, ctx->now_ms) < 0) {
		api_reply_error(resp, 500, "could not store the new password");
	} else {
		char h[65] = "", detail[64];
		if (ctx->req->session)
			secret_sha256_hex(ctx->req->session, h);
		int ended = session_end_others(a, name, h[0] ? h : NULL);
		snprintf(detail, sizeof(detail), "%d other sessions ended", ended > 0 ? ended : 0);
		session_audit(ctx, "password-change", name, detail);
		api_reply_json(resp, 200, json_pack("{s:s s:i}", "user", name, "sessions_ended",
						    ended > 0 ? ended : 0));
	}
	explicit_bzero(&now, sizeof(now));
}

void api_post_password(const struct api_ctx *ctx, struct api_response *resp)
{
	struct accounts *a;
	json_t *body = accounts_request_body(ctx, resp, &a);
	if (!body)
		return;
	const struct authz_actor *me = ctx->req->actor;
	const char *old = jstr(body, "password"), *pw = jstr(body, "new_password"), *why;
	struct pw_job *j = pw_job_new(password_change_finish);
	if (!j)
		api_reply_error(resp, 503, "out of memory");
	else if (account_get(a, me->name, &j->acc) < 0)
		api_reply_error(resp, 404, "no account named %s (an administrator sets others' "
				"passwords: dcmon user passwd NAME)", me->name);
	else if (!old)
		api_reply_error(resp, 400, "password: the current password is required");
	else if ((why = accounts_password_refusal(accounts_cfg(a), me->name, pw)))
		api_reply_error(resp, 400, "new_password: %s", why);
	else if (!(j->password = strdup(old)) || !(j->new_password = strdup(pw)))
		api_reply_error(resp, 503, "out of memory");
	else {
		snprintf(j->hash, sizeof(j->hash), "%s", j->acc.hash);
		pw_job_run(ctx, j, resp);
		j = NULL;
	}
	pw_job_free(j);
	json_decref(body);
}
