/* Maintenance entries (docs/ACCOUNTS.md, "Maintenance"): a window of work on devices
 * with its reason, asked by one account and approved by another that holds the
 * approval (four eyes), kept in alerts.db's `maintenance` table.  The approval makes
 * it a silence of the devices by the approver, whose reason names both accounts: so
 * its alerts are silenced and the login reconciliation finds it an approved window
 * (alert_engine_device_window), and the silence, the entry and the audit log all say
 * who asked and who approved.  Ending it ends the silence.
 *
 * A tenant's account asks for, approves and ends its own tenant's entries: the entry
 * keeps the tenant, and its silence matches that tenant's devices only, whatever the
 * glob; the entries of another tenant answer 404 like missing ones.  Loop thread. */
#include "alert_api.h"
#include "alert_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/authz.h"
#include "dcmon/log.h"
#include "dcmon/state_db.h"

#define MAINT_TEXT_MAX 512

struct maintenance {
	int64_t id;
	char device[MAINT_TEXT_MAX];       /* a device glob, as a silence's device=GLOB */
	char reason[MAINT_TEXT_MAX];
	int64_t starts_ms, ends_ms;
	char requested_by[AUTHZ_NAME_MAX]; /* the accounts, as authz names them */
	int64_t requested_ms;
	char state[16];                    /* pending, approved, rejected, ended */
	char decided_by[AUTHZ_NAME_MAX];   /* who approved or rejected it */
	int64_t decided_ms;
	char note[MAINT_TEXT_MAX];         /* a rejection's reason */
	int64_t silence_id;                /* approved: its silence */
	char ended_by[AUTHZ_NAME_MAX];     /* who ended or withdrew it */
	int64_t ended_ms;
	char tenant[AUTHZ_NAME_MAX];       /* a tenant's own entry: its tenant; "" the NOC's */
};

#define MAINT_COLUMNS "id, device, reason, starts_ms, ends_ms, requested_by, requested_ms," \
		      " state, decided_by, decided_ms, note, silence_id, ended_by, ended_ms, tenant"

int maintenance_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT tenant FROM maintenance LIMIT 0", -1, &s, NULL) ==
	    SQLITE_OK) {
		sqlite3_finalize(s);
		return SQLITE_OK;
	}
	/* the entries from before are the NOC's */
	return state_db_exec(db, path, "ALTER TABLE maintenance ADD COLUMN tenant TEXT;", err,
			     errlen);
}

static void maint_read(sqlite3_stmt *s, struct maintenance *m)
{
	m->id = sqlite3_column_int64(s, 0);
	state_db_column_text(s, 1, m->device, sizeof(m->device));
	state_db_column_text(s, 2, m->reason, sizeof(m->reason));
	m->starts_ms = sqlite3_column_int64(s, 3);
	m->ends_ms = sqlite3_column_int64(s, 4);
	state_db_column_text(s, 5, m->requested_by, sizeof(m->requested_by));
	m->requested_ms = sqlite3_column_int64(s, 6);
	state_db_column_text(s, 7, m->state, sizeof(m->state));
	state_db_column_text(s, 8, m->decided_by, sizeof(m->decided_by));
	m->decided_ms = sqlite3_column_int64(s, 9);
	state_db_column_text(s, 10, m->note, sizeof(m->note));
	m->silence_id = sqlite3_column_int64(s, 11);
	state_db_column_text(s, 12, m->ended_by, sizeof(m->ended_by));
	m->ended_ms = sqlite3_column_int64(s, 13);
	state_db_column_text(s, 14, m->tenant, sizeof(m->tenant));
}

/* Writes m (a new one when m->id is 0, then given its id).  0 or -EIO. */
static int maint_put(struct alert_engine *e, struct maintenance *m)
{
	struct store_row r = {0};
	if (m->id)
		store_row_int(&r, m->id);
	else
		r.v[r.n++].type = SV_NULL;
	store_row_text(&r, m->device);
	store_row_text(&r, m->reason);
	store_row_int(&r, m->starts_ms);
	store_row_int(&r, m->ends_ms);
	store_row_text(&r, m->requested_by);
	store_row_int(&r, m->requested_ms);
	store_row_text(&r, m->state);
	store_row_text(&r, m->decided_by);
	store_row_int(&r, m->decided_ms);
	store_row_text(&r, m->note);
	store_row_int(&r, m->silence_id);
	store_row_text(&r, m->ended_by);
	store_row_int(&r, m->ended_ms);
	store_row_text(&r, m->tenant[0] ? m->tenant : NULL);
	sqlite3 *db = e->st ? alert_store_db(e->st) : NULL;
	sqlite3_stmt *s = db ? state_db_query(db, "INSERT OR REPLACE INTO maintenance(" MAINT_COLUMNS
					      ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &r)
			     : NULL;
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (!m->id)
		m->id = sqlite3_last_insert_rowid(db);
	return 0;
}

/* Calls fn for the entries, newest first (only id when id > 0).  0 or -EIO. */
static int maint_each(struct alert_engine *e, int64_t id,
		      void (*fn)(void *arg, const struct maintenance *m), void *arg)
{
	struct store_row r = {0};
	store_row_int(&r, id);
	sqlite3 *db = e->st ? alert_store_db(e->st) : NULL;
	sqlite3_stmt *s = db ? state_db_query(db, "SELECT " MAINT_COLUMNS " FROM maintenance"
					      " WHERE ?1 <= 0 OR id = ?1 ORDER BY id DESC", &r)
			     : NULL;
	if (!s)
		return -EIO;
	int rc;
	struct maintenance m;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		maint_read(s, &m);
		fn(arg, &m);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void maint_copy(void *arg, const struct maintenance *m)
{
	*(struct maintenance *)arg = *m;
}

static const char *text_or_null(const char *s)
{
	return s[0] ? s : NULL;
}

/* The entry as the API shows it; active: approved, not ended, and now_ms within. */
static json_t *maint_json(const struct maintenance *m, int64_t now_ms)
{
	bool active = strcmp(m->state, "approved") == 0 && m->starts_ms <= now_ms &&
		      now_ms < m->ends_ms;
	return json_pack("{s:I s:s s:s* s:s s:I s:I s:s s:I s:s s:b s:s* s:I s:s* s:I s:s* s:I}",
			 "id", (json_int_t)m->id, "device", m->device, "tenant",
			 text_or_null(m->tenant), "reason", m->reason,
			 "starts_ms", (json_int_t)m->starts_ms, "ends_ms", (json_int_t)m->ends_ms,
			 "requested_by", m->requested_by, "requested_ms",
			 (json_int_t)m->requested_ms, "state", m->state, "active", active,
			 "decided_by", text_or_null(m->decided_by), "decided_ms",
			 (json_int_t)m->decided_ms, "note", text_or_null(m->note), "silence_id",
			 (json_int_t)m->silence_id, "ended_by", text_or_null(m->ended_by),
			 "ended_ms", (json_int_t)m->ended_ms);
}

struct maint_list {
	json_t *a;
	int64_t now_ms;
	const char *tenant; /* a tenant's actor: its own entries only; NULL all */
};

/* Whether a tenant's actor (tenant: its tenant, NULL for the NOC) may know of m. */
static bool maint_visible(const struct maintenance *m, const char *tenant)
{
	return !tenant || strcmp(m->tenant, tenant) == 0;
}

static void maint_collect(void *arg, const struct maintenance *m)
{
	struct maint_list *l = arg;
	if (maint_visible(m, l->tenant))
		json_array_append_new(l->a, maint_json(m, l->now_ms));
}

/* The actor's tenant when it is a tenant's, else NULL. */
static const char *actor_tenant(const struct api_ctx *ctx)
{
	return ctx->req->actor->tenant[0] ? ctx->req->actor->tenant : NULL;
}

/* Answers 503 (no engine) or 404 (an actor scoped to a site, not a tenant: entries
 * name devices of every tenant, as silences do) and returns false; true when the
 * request may go on.  A tenant's actor goes on, to its own entries. */
static bool maint_ready(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct authz_object every_tenant = {.scope = AUTHZ_SCOPE_OTHER};
	if (!actor_tenant(ctx) &&
	    authz_check(ctx->req->actor, AUTHZ_ACT_VIEW, &every_tenant) != AUTHZ_ALLOW)
		api_reply_error(resp, 404, "no such endpoint: %s", ctx->req->path);
	else if (!api_engine(ctx) || !api_engine(ctx)->st)
		api_reply_error(resp, 503, "the threshold engine keeps no state");
	else
		return true;
	return false;
}

/* GET /api/v1/maintenance */
void api_get_maintenance(const struct api_ctx *ctx, struct api_response *resp)
{
	struct maint_list l = {json_array(), ctx->now_ms, actor_tenant(ctx)};
	if (!maint_ready(ctx, resp))
		json_decref(l.a);
	else if (maint_each(api_engine(ctx), 0, maint_collect, &l) < 0) {
		json_decref(l.a);
		api_reply_error(resp, 500, "alerts.db: the maintenance entries could not be read");
	} else
		api_reply_json(resp, 200, json_pack("{s:o}", "maintenance", l.a));
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Whether the glob names at least one of tenant's devices. */
static bool tenant_devices_match(const struct cfg *cfg, const char *glob, const char *tenant)
{
	const struct cfg_selector sel = {.device = (char *)glob, .tenant = (char *)tenant};
	for (size_t i = 0; cfg && i < cfg->ndevices; i++)
		if (selector_match(&sel, &cfg->devices[i], cfg->devices[i].id, NULL, NULL))
			return true;
	return false;
}

/* The request's entry from body; false after answering 400. */
static bool maint_parse(const struct api_ctx *ctx, json_t *b, struct maintenance *m,
			struct api_response *resp)
{
	const char *dev = jstr(b, "device"), *reason = jstr(b, "reason"), *dur = jstr(b, "for");
	json_t *st = json_object_get(b, "starts_ms"), *en = json_object_get(b, "ends_ms");
	int64_t ms = 0;
	m->starts_ms = json_is_integer(st) ? json_integer_value(st) : ctx->now_ms;
	if (!dev || !dev[0] || strlen(dev) >= sizeof(m->device))
		api_reply_error(resp, 400, "device: expected a device id or glob");
	else if (!reason || !reason[0] || strlen(reason) >= sizeof(m->reason))
		api_reply_error(resp, 400, "reason: required (up to %d bytes)", MAINT_TEXT_MAX - 1);
	else if (dur ? cfg_parse_duration(dur, &ms) < 0 || ms <= 0 : !json_is_integer(en))
		api_reply_error(resp, 400, "expected 'for' (a duration like 2h) or 'ends_ms'");
	else if ((m->ends_ms = dur ? m->starts_ms + ms : json_integer_value(en)) <= ctx->now_ms ||
		 m->ends_ms <= m->starts_ms)
		api_reply_error(resp, 400, "the window ends before it starts or in the past");
	else if (actor_tenant(ctx) && !tenant_devices_match(ctx->env->cfg, dev, actor_tenant(ctx)))
		api_reply_error(resp, 400, "device: %s matches no device of tenant %s", dev,
				actor_tenant(ctx)); /* another tenant's device: as a missing one */
	else {
		snprintf(m->device, sizeof(m->device), "%s", dev);
		snprintf(m->reason, sizeof(m->reason), "%s", reason);
		return true;
	}
	return false;
}

static void maint_audit(const struct api_ctx *ctx, const char *action,
			const struct maintenance *m, const char *detail)
{
	char who[API_ACTOR_MAX], target[48];
	struct alert_actor by = api_actor(ctx, NULL, who, sizeof(who));
	snprintf(target, sizeof(target), "maintenance:%lld", (long long)m->id);
	if (alert_engine_audit_add(api_engine(ctx), &by, action, target, detail, ctx->now_ms) < 0)
		log_warnx("audit", NULL, "could not write the audit log");
}

/* POST /api/v1/maintenance {"device": GLOB, "reason": TEXT, "for": "2h" | "ends_ms": N,
 * "starts_ms": N}: a pending entry, for another account to approve. */
void api_post_maintenance(const struct api_ctx *ctx, struct api_response *resp)
{
	json_t *b = maint_ready(ctx, resp) ? api_body_object(ctx, resp) : NULL;
	struct maintenance m = {.requested_ms = ctx->now_ms};
	char detail[2 * MAINT_TEXT_MAX + 64];
	if (!b || !maint_parse(ctx, b, &m, resp)) {
		json_decref(b);
		return;
	}
	snprintf(m.requested_by, sizeof(m.requested_by), "%s", ctx->req->actor->name);
	snprintf(m.tenant, sizeof(m.tenant), "%s", ctx->req->actor->tenant);
	snprintf(m.state, sizeof(m.state), "pending");
	if (maint_put(api_engine(ctx), &m) < 0) {
		api_reply_error(resp, 500, "alerts.db: the entry could not be stored");
	} else {
		snprintf(detail, sizeof(detail), "device=%s for %lld s: %s", m.device,
			 (long long)((m.ends_ms - m.starts_ms) / 1000), m.reason);
		maint_audit(ctx, "maintenance-request", &m, detail);
		api_reply_json(resp, 201, maint_json(&m, ctx->now_ms));
	}
	json_decref(b);
}

/* The approval: the silence of the devices by the approver, naming both accounts. */
static int maint_approve(const struct api_ctx *ctx, struct maintenance *m, char *err,
			 size_t errlen)
{
	char who[API_ACTOR_MAX], reason[2 * MAINT_TEXT_MAX];
	struct alert_actor by = api_actor(ctx, NULL, who, sizeof(who));
	snprintf(reason, sizeof(reason), "maintenance %lld: %s (requested by %s, approved by %s)",
		 (long long)m->id, m->reason, m->requested_by, ctx->req->actor->name);
	/* a tenant's entry silences that tenant's devices only, whatever the glob */
	struct alert_silence_spec spec = {.match = {.device = m->device,
						    .tenant = m->tenant[0] ? m->tenant : NULL},
					  .reason = reason,
					  .starts_ms = m->starts_ms, .ends_ms = m->ends_ms};
	return alert_engine_silence_add(api_engine(ctx), &spec, &by, ctx->now_ms, &m->silence_id,
					err, errlen);
}

/* POST /api/v1/maintenance/ID/approve | /reject {"reason": TEXT}: by an account other
 * than the one that asked. */
void api_post_maintenance_decide(const struct api_ctx *ctx, struct api_response *resp)
{
	json_t *b = maint_ready(ctx, resp) ? api_body_object(ctx, resp) : NULL;
	if (!b)
		return;
	char *end, err[256] = "";
	long long id = strtoll(ctx->tail, &end, 10);
	bool approve = strcmp(end, "/approve") == 0;
	const char *why = jstr(b, "reason");
	struct maintenance m = {0};
	if ((!approve && strcmp(end, "/reject") != 0) || end == ctx->tail || id <= 0 ||
	    maint_each(api_engine(ctx), id, maint_copy, &m) < 0 || m.id != id ||
	    !maint_visible(&m, actor_tenant(ctx)))
		api_reply_error(resp, 404, "no maintenance entry %s", ctx->tail);
	else if (strcmp(m.state, "pending") != 0)
		api_reply_error(resp, 409, "maintenance %lld is %s, not pending", id, m.state);
	else if (strcmp(m.requested_by, ctx->req->actor->name) == 0)
		api_reply_error(resp, 403, "maintenance %lld was requested by %s: another account "
				"must %s it", id, m.requested_by, approve ? "approve" : "reject");
	else if (!approve && (!why || !why[0] || strlen(why) >= sizeof(m.note)))
		api_reply_error(resp, 400, "reason: a rejection needs one");
	else if (approve && m.ends_ms <= ctx->now_ms)
		api_reply_error(resp, 409, "maintenance %lld ended before it was approved", id);
	else if (approve && maint_approve(ctx, &m, err, sizeof(err)) < 0)
		api_reply_error(resp, 500, "the silence could not be added: %s", err);
	else {
		snprintf(m.state, sizeof(m.state), "%s", approve ? "approved" : "rejected");
		snprintf(m.decided_by, sizeof(m.decided_by), "%s", ctx->req->actor->name);
		snprintf(m.note, sizeof(m.note), "%s", approve ? "" : why);
		m.decided_ms = ctx->now_ms;
		if (maint_put(api_engine(ctx), &m) < 0)
			log_warnx("alert", NULL, "alerts.db: maintenance %lld could not be updated", id);
		snprintf(err, sizeof(err), "requested by %s%s%s", m.requested_by,
			 approve ? ", silence " : ": ", approve ? "" : why);
		if (approve)
			snprintf(err + strlen(err), sizeof(err) - strlen(err), "%lld",
				 (long long)m.silence_id);
		maint_audit(ctx, approve ? "maintenance-approve" : "maintenance-reject", &m, err);
		api_reply_json(resp, 200, maint_json(&m, ctx->now_ms));
	}
	json_decref(b);
}

/* DELETE /api/v1/maintenance/ID: ends an approved entry (and its silence) or withdraws
 * a pending one. */
void api_delete_maintenance(const struct api_ctx *ctx, struct api_response *resp)
{
	char *end, who[API_ACTOR_MAX];
	long long id = strtoll(ctx->tail, &end, 10);
	struct maintenance m = {0};
	if (!maint_ready(ctx, resp))
		return;
	if (end == ctx->tail || *end || id <= 0 ||
	    maint_each(api_engine(ctx), id, maint_copy, &m) < 0 || m.id != id ||
	    !maint_visible(&m, actor_tenant(ctx))) {
		api_reply_error(resp, 404, "no maintenance entry %s", ctx->tail);
		return;
	}
	if (strcmp(m.state, "pending") != 0 && strcmp(m.state, "approved") != 0) {
		api_reply_error(resp, 409, "maintenance %lld is %s already", id, m.state);
		return;
	}
	struct alert_actor by = api_actor(ctx, NULL, who, sizeof(who));
	if (m.silence_id) /* gone already when it ran out: nothing to end */
		(void)alert_engine_silence_remove(api_engine(ctx), m.silence_id, &by, ctx->now_ms);
	snprintf(m.state, sizeof(m.state), "ended");
	snprintf(m.ended_by, sizeof(m.ended_by), "%s", ctx->req->actor->name);
	m.ended_ms = ctx->now_ms;
	if (maint_put(api_engine(ctx), &m) < 0)
		log_warnx("alert", NULL, "alerts.db: maintenance %lld could not be updated", id);
	maint_audit(ctx, "maintenance-end", &m, m.device);
	api_reply_json(resp, 200, maint_json(&m, ctx->now_ms));
}
