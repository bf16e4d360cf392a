/* What the status page keeps in <state_dir>/status.db (docs/STATUS_PAGE.md): secret URLs
 * of tenants' pages (a random token that opens one tenant's page without a login, kept
 * as its SHA-256, made and revoked by the tenant's admin or the NOC) and operators'
 * status updates on incidents; each audited before it is kept.
 *
 *   POST   /api/v1/status-tokens         {"tenant": T}  -> {"id", "token", "url"}
 *   GET    /api/v1/status-tokens         the tokens (of the actor's tenant)
 *   DELETE /api/v1/status-tokens/ID      revokes
 *   GET    /api/v1/status-page/s/TOKEN   the page of the token's tenant
 *   POST   /api/v1/status-updates/INCIDENT  {"status", "text"}
 */
#include "reports_int.h"
#include "status_page.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dcmon/alert.h"
#include "dcmon/authz.h"
#include "dcmon/digest.h"
#include "dcmon/state_db.h"

#define STATUS_DB_NAME "status.db"
#define TOKEN_BYTES 24 /* 192 random bits: a URL nobody guesses */
#define TOKEN_ID_LEN 12 /* hex digits of the hash naming a token (not the token) */

static const char status_schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS tokens(id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL,"
	" tenant TEXT NOT NULL, created_ms INTEGER NOT NULL, created_by TEXT NOT NULL,"
	" revoked_ms INTEGER);"
	"CREATE TABLE IF NOT EXISTS updates(id INTEGER PRIMARY KEY, incident TEXT NOT NULL,"
	" ts_ms INTEGER NOT NULL, who TEXT NOT NULL, status TEXT NOT NULL, text TEXT NOT NULL);";

static int status_db_open_in(const char *state_dir, struct sqlite3 **db, char *err,
			     size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", state_dir, STATUS_DB_NAME);
	return state_db_open(db, path, status_schema, err, errlen) == SQLITE_OK ? 0 : -EIO;
}

static int status_db_open(const struct api_ctx *ctx, struct sqlite3 **db, char *err,
			  size_t errlen)
{
	return status_db_open_in(ctx->env->cfg->daemon.state_dir, db, err, errlen);
}

/* Runs sql with args on a fresh connection; SQLITE_DONE or the error, with err. */
static int status_db_write(const struct api_ctx *ctx, const char *sql,
			   const struct store_row *args, char *err, size_t errlen)
{
	struct sqlite3 *db = NULL;
	int rc = status_db_open(ctx, &db, err, errlen) == 0 ? SQLITE_OK : SQLITE_ERROR;
	struct sqlite3_stmt *s = rc == SQLITE_OK ? state_db_query(db, sql, args) : NULL;
	if (rc == SQLITE_OK) {
		rc = s ? sqlite3_step(s) : SQLITE_ERROR;
		if (rc != SQLITE_DONE)
			snprintf(err, errlen, "%s: %s", STATUS_DB_NAME, sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* The tenant a request acts for: a tenant's actor its own (another is hidden as missing),
 * an unscoped one the tenant it names.  NULL after answering. */
static const char *acting_tenant(const struct api_ctx *ctx, struct api_response *resp,
				 const char *asked)
{
	const struct authz_actor *a = ctx->req->actor;
	bool scoped = a && a->tenant[0];
	const char *t = scoped ? a->tenant : asked;
	if (!t) {
		api_reply_error(resp, 400, "tenant: expected a tenant id");
		return NULL;
	}
	/* another tenant is answered as if it did not exist */
	bool other = scoped && asked && strcmp(asked, a->tenant) != 0;
	for (size_t i = 0; !other && i < ctx->env->cfg->ntenants; i++)
		if (strcmp(ctx->env->cfg->tenants[i].id, t) == 0)
			return t;
	api_reply_error(resp, 404, "no tenant '%s'", other ? asked : t);
	return NULL;
}

static int token_new(char *token, size_t len)
{
	unsigned char raw[TOKEN_BYTES];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw) || len < 2 * TOKEN_BYTES + 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

void api_post_status_token(const struct api_ctx *ctx, struct api_response *resp)
{
	char token[2 * TOKEN_BYTES + 1], hash[DIGEST_HEX_LEN + 1], id[TOKEN_ID_LEN + 1];
	char who[API_ACTOR_MAX], err[512], url[96];
	json_t *b = api_body_object(ctx, resp);
	if (!b)
		return;
	const char *tenant = acting_tenant(ctx, resp, json_string_value(json_object_get(b, "tenant")));
	struct alert_actor actor = api_actor(ctx, NULL, who, sizeof(who));
	struct store_row row = {0};
	if (!tenant)
		goto out;
	if (token_new(token, sizeof(token)) < 0) {
		api_reply_error(resp, 500, "no random bytes for a token");
		goto out;
	}
	digest_sha256_hex(token, strlen(token), hash);
	memcpy(id, hash, TOKEN_ID_LEN);
	id[TOKEN_ID_LEN] = '\0';
	/* audited first: a token is never made unaudited */
	if (!reports_audit_of(ctx) ||
	    alert_engine_audit_add(reports_audit_of(ctx), &actor, "status-token-add", tenant, id,
				   ctx->now_ms) < 0) {
		api_reply_error(resp, 503, "the audit log cannot be written: no token made");
		goto out;
	}
	store_row_text(&row, id);
	store_row_text(&row, hash);
	store_row_text(&row, tenant);
	store_row_int(&row, ctx->now_ms);
	store_row_text(&row, actor.who);
	if (status_db_write(ctx, "INSERT INTO tokens VALUES(?, ?, ?, ?, ?, NULL)", &row, err,
			    sizeof(err)) != SQLITE_DONE) {
		api_reply_error(resp, 500, "%s", err);
		goto out;
	}
	snprintf(url, sizeof(url), "/status/s/%s", token);
	api_reply_json(resp, 201, json_pack("{s:s, s:s, s:s, s:s}", "id", id, "tenant", tenant,
					    "token", token, "url", url));
out:
	json_decref(b);
}

/* The token row id: its tenant into tenant (NULL: any token), and whether revoked. */
static int token_lookup(const struct api_ctx *ctx, const char *col, const char *val,
			char *tenant, size_t len, bool *revoked)
{
	struct sqlite3 *db = NULL;
	char err[256], sql[96];
	struct store_row row = {0};
	int found = -ENOENT;
	snprintf(sql, sizeof(sql), "SELECT tenant, revoked_ms FROM tokens WHERE %s = ?", col);
	store_row_text(&row, val);
	struct sqlite3_stmt *s = status_db_open(ctx, &db, err, sizeof(err)) == 0
					 ? state_db_query(db, sql, &row) : NULL;
	if (s && sqlite3_step(s) == SQLITE_ROW) {
		snprintf(tenant, len, "%s", (const char *)sqlite3_column_text(s, 0));
		*revoked = sqlite3_column_type(s, 1) != SQLITE_NULL;
		found = 0;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return found;
}

void api_delete_status_token(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct authz_actor *a = ctx->req->actor;
	char tenant[AUTHZ_NAME_MAX], who[API_ACTOR_MAX], err[512];
	bool revoked;
	struct store_row row = {0};
	struct alert_actor actor = api_actor(ctx, NULL, who, sizeof(who));
	/* another tenant's token is hidden as a missing one */
	if (token_lookup(ctx, "id", ctx->tail, tenant, sizeof(tenant), &revoked) < 0 ||
	    (a && a->tenant[0] && strcmp(a->tenant, tenant) != 0))
		return api_reply_error(resp, 404, "no status token '%s'", ctx->tail);
	if (revoked)
		return api_reply_json(resp, 200, json_pack("{s:s, s:b}", "id", ctx->tail,
							   "revoked", true));
	if (!reports_audit_of(ctx) ||
	    alert_engine_audit_add(reports_audit_of(ctx), &actor, "status-token-revoke", tenant,
				   ctx->tail, ctx->now_ms) < 0)
		return api_reply_error(resp, 503, "the audit log cannot be written: not revoked");
	store_row_int(&row, ctx->now_ms);
	store_row_text(&row, ctx->tail);
	if (status_db_write(ctx, "UPDATE tokens SET revoked_ms = ? WHERE id = ?", &row, err,
			    sizeof(err)) != SQLITE_DONE)
		return api_reply_error(resp, 500, "%s", err);
	api_reply_json(resp, 200, json_pack("{s:s, s:b}", "id", ctx->tail, "revoked", true));
}

void api_get_status_tokens(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct authz_actor *a = ctx->req->actor;
	struct sqlite3 *db = NULL;
	char err[512];
	json_t *arr = json_array();
	if (status_db_open(ctx, &db, err, sizeof(err)) < 0) {
		sqlite3_close(db);
		json_decref(arr);
		return api_reply_error(resp, 500, "%s", err);
	}
	struct sqlite3_stmt *s = state_db_query(db, "SELECT id, tenant, created_ms, created_by,"
						" revoked_ms FROM tokens ORDER BY created_ms", NULL);
	while (s && arr && sqlite3_step(s) == SQLITE_ROW) {
		const char *tenant = (const char *)sqlite3_column_text(s, 1);
		if (a && a->tenant[0] && strcmp(a->tenant, tenant) != 0)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:s, s:b}", "id",
						     (const char *)sqlite3_column_text(s, 0), "tenant",
						     tenant, "created_ms",
						     (json_int_t)sqlite3_column_int64(s, 2), "by",
						     (const char *)sqlite3_column_text(s, 3), "revoked",
						     sqlite3_column_type(s, 4) != SQLITE_NULL));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	api_reply_json(resp, 200, json_pack("{s:o}", "tokens", arr));
}

void api_get_shared_status(const struct api_ctx *ctx, struct api_response *resp)
{
	char hash[DIGEST_HEX_LEN + 1], tenant[AUTHZ_NAME_MAX];
	bool revoked = true;
	digest_sha256_hex(ctx->tail, strlen(ctx->tail), hash);
	/* a revoked token and an unknown one answer alike */
	if (!ctx->tail[0] || token_lookup(ctx, "hash", hash, tenant, sizeof(tenant), &revoked) < 0 ||
	    revoked)
		return api_reply_error(resp, 404, "no such status page");
	status_page_reply_tenant(ctx, resp, tenant);
}

/* ---- incident updates ------------------------------------------------------------------ */

static const char *const update_states[] = {"investigating", "identified", "monitoring",
					    "resolved", NULL};

static bool update_state_known(const char *s)
{
	for (size_t i = 0; s && update_states[i]; i++)
		if (strcmp(s, update_states[i]) == 0)
			return true;
	return false;
}

void api_post_status_update(const struct api_ctx *ctx, struct api_response *resp)
{
	char who[API_ACTOR_MAX], err[512];
	const char *incident = ctx->tail;
	json_t *b = api_body_object(ctx, resp);
	if (!b)
		return;
	const char *state = json_string_value(json_object_get(b, "status"));
	const char *text = json_string_value(json_object_get(b, "text"));
	struct alert_actor actor = api_actor(ctx, NULL, who, sizeof(who));
	struct store_row row = {0};
	char detail[STATUS_UPDATE_MAX + 32];
	if (!strchr(incident, '@'))
		api_reply_error(resp, 404, "expected /api/v1/status-updates/ROOT@START_MS");
	else if (!update_state_known(state))
		api_reply_error(resp, 400, "status: expected investigating, identified, monitoring"
					   " or resolved");
	else if (!text || !text[0] || strlen(text) > STATUS_UPDATE_MAX)
		api_reply_error(resp, 400, "text: expected 1..%d bytes", STATUS_UPDATE_MAX);
	else if (snprintf(detail, sizeof(detail), "%s: %s", state, text) < 0 || !reports_audit_of(ctx) ||
		 alert_engine_audit_add(reports_audit_of(ctx), &actor, "status-update", incident,
					detail, ctx->now_ms) < 0)
		api_reply_error(resp, 503, "the audit log cannot be written: no update kept");
	else {
		store_row_text(&row, incident);
		store_row_int(&row, ctx->now_ms);
		store_row_text(&row, actor.who);
		store_row_text(&row, state);
		store_row_text(&row, text);
		if (status_db_write(ctx, "INSERT INTO updates(incident, ts_ms, who, status, text)"
					 " VALUES(?, ?, ?, ?, ?)", &row, err, sizeof(err)) != SQLITE_DONE)
			api_reply_error(resp, 500, "%s", err);
		else
			api_reply_json(resp, 201, json_pack("{s:s, s:s}", "incident", incident,
							    "status", state));
	}
	json_decref(b);
}

int status_updates_add(const char *state_dir, json_t *incidents)
{
	struct sqlite3 *db = NULL;
	char err[256];
	size_t i;
	json_t *inc;
	if (status_db_open_in(state_dir, &db, err, sizeof(err)) < 0) {
		sqlite3_close(db);
		return -EIO;
	}
	struct sqlite3_stmt *s = state_db_query(db, "SELECT ts_ms, status, text FROM updates"
						" WHERE incident = ? ORDER BY ts_ms, id", NULL);
	json_array_foreach (incidents, i, inc) {
		const char *id = json_string_value(json_object_get(inc, "id"));
		json_t *arr = json_array();
		if (!s || !id || !arr || json_object_set_new(inc, "updates", arr) < 0)
			continue;
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(s) == SQLITE_ROW)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "ts_ms",
							     (json_int_t)sqlite3_column_int64(s, 0),
							     "status", (const char *)sqlite3_column_text(s, 1),
							     "text", (const char *)sqlite3_column_text(s, 2)));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return 0;
}
