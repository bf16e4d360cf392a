/* Web sessions: login with a password, a 128-bit random id as the cookie and a CSRF
 * token for writes, both kept as SHA-256; idle and absolute timeouts; logout, the list
 * of one's sessions and revoking one.  docs/ACCOUNTS.md, "Web login".
 *
 *   POST   /api/v1/login         {"name", "password"} -> a new session (cookie), "csrf"
 *   POST   /api/v1/logout        ends the request's session, clears the cookie
 *   GET    /api/v1/sessions      {"user", "sessions": [{id, created_ms, last_seen_ms,
 *                                 source, current}]}
 *   DELETE /api/v1/sessions/ID   revokes one of one's sessions
 */
#include "accounts_int.h"

#include <errno.h>
#include <stdio.h>
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

/* Records a login, a failed one too (who tried, from where; never the password). */
static void session_audit(const struct api_ctx *ctx, const char *action, const char *name,
			  const char *detail)
{
	char target[AUTHZ_NAME_MAX + 8];
	snprintf(target, sizeof(target), "user:%s", name);
	struct alert_actor by = session_by(ctx, name);
	if (accounts_audit_of(ctx))
		alert_engine_audit_add(accounts_audit_of(ctx), &by, action, target, detail, ctx->now_ms);
}

/* A new session for the logged-in actor: the id goes to the cookie, the CSRF token to
 * the body; neither is kept but as its hash.  A new id at every login: an id planted
 * before the login (fixation) is never adopted. */
static void session_start(const struct api_ctx *ctx, const struct authz_actor *who,
			  struct api_response *resp)
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
		api_reply_json(resp, 200, json_pack("{s:s s:s s:s s:s}", "user", who->name, "role",
						    authz_role_name(who->role), "tenant", who->tenant,
						    "csrf", csrf));
		session_audit(ctx, "login", who->name, NULL);
	}
	explicit_bzero(sid, sizeof(sid));
	explicit_bzero(csrf, sizeof(csrf));
}

void api_post_login(const struct api_ctx *ctx, struct api_response *resp)
{
	struct accounts *a = accounts_of(ctx);
	json_t *body = a ? api_body_object(ctx, resp) : NULL;
	if (!a && !resp->body)
		api_reply_error(resp, 503, "no account store (daemon.state_dir)");
	if (!body)
		return;
	const char *name = jstr(body, "name");
	struct authz_actor who;
	int rc = accounts_login(a, name, jstr(body, "password"), jstr(body, "code"),
				ctx->req->actor->source, ctx->now_ms, &who);
	if (rc == -EKEYREJECTED) {
		api_reply_error(resp, 403, "this role needs a second factor: ask a security-admin "
				"to set it up (dcmon user mfa NAME)");
		session_audit(ctx, "login-failed", name, "no second factor");
	} else if (rc < 0) {
		/* one answer for a wrong name, password or code, a locked or disabled account */
		api_reply_error(resp, 401, "wrong user name or password");
		if (name && strlen(name) < AUTHZ_NAME_MAX)
			session_audit(ctx, "login-failed", name, NULL);
	} else {
		if (ctx->req->session) { /* a session the browser still held ends here */
			char h[65];
			secret_sha256_hex(ctx->req->session, h);
			session_delete(a, h);
		}
		session_start(ctx, &who, resp);
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
	api_reply_json(resp, 200, json_pack("{s:s s:s s:o}", "user", me->name, "role",
					    authz_role_name(me->role), "sessions", l.out));
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
