/* The tenants' own alert recipients: kept in <state_dir>/recipients.db, confirmed by a
 * link before they get anything (dcmond must never mail strangers: the link proves the
 * mailbox's owner asked; the confirmation and test mails themselves are limited per
 * tenant), and routed only their own tenant's alerts, filtered by severity and quiet
 * hours (critical always goes through).  Their mails go through the spool like any. */
#include "notify_recipients.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "alert_int.h"
#include "dcmon/digest.h"
#include "dcmon/log.h"

#define TOKEN_BYTES 32 /* 256 random bits: a hash without salt or cost suffices */

struct notify_recipients {
	sqlite3 *db;
	char path[256];
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS recipients("
	" id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, addr TEXT NOT NULL COLLATE NOCASE,"
	" min_severity INTEGER NOT NULL DEFAULT 0,"
	" quiet_start INTEGER NOT NULL DEFAULT -1, quiet_end INTEGER NOT NULL DEFAULT -1,"
	" tz TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,"
	" confirmed_ms INTEGER NOT NULL DEFAULT 0,"
	" token_hash TEXT, token_expires_ms INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(tenant, addr));"
	"CREATE INDEX IF NOT EXISTS recipients_token ON recipients(token_hash);"
	"CREATE TABLE IF NOT EXISTS tenant_mails(tenant TEXT NOT NULL, ts_ms INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS tenant_mails_by ON tenant_mails(tenant, ts_ms);";

#define RCPT_COLS "id, tenant, addr, min_severity, quiet_start, quiet_end, tz, created_ms, " \
		  "confirmed_ms"

struct notify_recipients *recipients_open(const char *path, char *err, size_t errlen)
{
	struct notify_recipients *rs = calloc(1, sizeof(*rs));
	if (!rs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(rs->path, sizeof(rs->path), "%s", path ? path : ":memory:");
	if (state_db_open(&rs->db, rs->path, schema, err, errlen) != SQLITE_OK) {
		recipients_close(rs);
		return NULL;
	}
	return rs;
}

void recipients_close(struct notify_recipients *rs)
{
	if (!rs)
		return;
	sqlite3_close(rs->db);
	free(rs);
}

struct notify_recipients *notifier_recipients(struct notifier *n)
{
	return n ? n->recipients : NULL;
}

/* ---- reading ---------------------------------------------------------------------- */

static void copy_text(char *dst, size_t len, const unsigned char *src)
{
	snprintf(dst, len, "%s", src ? (const char *)src : "");
}

static void row_read(sqlite3_stmt *s, struct recipient *r)
{
	*r = (struct recipient){.id = sqlite3_column_int64(s, 0),
				.min_severity = sqlite3_column_int(s, 3),
				.quiet_start = sqlite3_column_int(s, 4),
				.quiet_end = sqlite3_column_int(s, 5),
				.created_ms = sqlite3_column_int64(s, 7),
				.confirmed_ms = sqlite3_column_int64(s, 8)};
	copy_text(r->tenant, sizeof(r->tenant), sqlite3_column_text(s, 1));
	copy_text(r->addr, sizeof(r->addr), sqlite3_column_text(s, 2));
	copy_text(r->tz, sizeof(r->tz), sqlite3_column_text(s, 6));
}

/* Runs a query of RCPT_COLS rows, fn for each.  0 or -EIO. */
static int rows_each(struct notify_recipients *rs, const char *sql, const struct store_row *args,
		     bool (*fn)(void *arg, const struct recipient *r), void *arg)
{
	sqlite3_stmt *s = state_db_query(rs->db, sql, args);
	struct recipient r;
	int rc;
	if (!s) {
		log_warnx("notify", NULL, "%s: %s", rs->path, sqlite3_errmsg(rs->db));
		return -EIO;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_read(s, &r);
		if (!fn(arg, &r)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int recipients_foreach(struct notify_recipients *rs, const char *tenant,
		       bool (*fn)(void *arg, const struct recipient *r), void *arg)
{
	struct store_row a = {0};
	if (!tenant)
		return rows_each(rs, "SELECT " RCPT_COLS " FROM recipients ORDER BY id", NULL, fn, arg);
	store_row_text(&a, tenant);
	return rows_each(rs, "SELECT " RCPT_COLS " FROM recipients WHERE tenant = ?1 ORDER BY id",
			 &a, fn, arg);
}

static bool keep_one(void *arg, const struct recipient *r)
{
	*(struct recipient *)arg = *r;
	return false;
}

/* The one row of sql (args), into *out: 0, -ENOENT, -EIO. */
static int row_one(struct notify_recipients *rs, const char *sql, const struct store_row *args,
		   struct recipient *out)
{
	out->id = 0;
	int rc = rows_each(rs, sql, args, keep_one, out);
	return rc < 0 ? rc : out->id ? 0 : -ENOENT;
}

int recipients_get(struct notify_recipients *rs, int64_t id, struct recipient *out)
{
	struct store_row a = {0};
	store_row_int(&a, id);
	return row_one(rs, "SELECT " RCPT_COLS " FROM recipients WHERE id = ?1", &a, out);
}

/* ---- writing ---------------------------------------------------------------------- */

/* Runs one statement without rows.  0, or -EIO (logged). */
static int exec_row(struct notify_recipients *rs, const char *sql, const struct store_row *a)
{
	sqlite3_stmt *s = state_db_query(rs->db, sql, a);
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	if (rc != SQLITE_DONE)
		log_warnx("notify", NULL, "%s: %s", rs->path, sqlite3_errmsg(rs->db));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int recipients_update(struct notify_recipients *rs, const struct recipient *r)
{
	struct store_row a = {0};
	store_row_int(&a, r->min_severity);
	store_row_int(&a, r->quiet_start);
	store_row_int(&a, r->quiet_end);
	store_row_text(&a, r->tz);
	store_row_int(&a, r->id);
	int rc = exec_row(rs, "UPDATE recipients SET min_severity = ?1, quiet_start = ?2,"
			      " quiet_end = ?3, tz = ?4 WHERE id = ?5", &a);
	return rc < 0 ? rc : sqlite3_changes(rs->db) ? 0 : -ENOENT;
}

int recipients_remove(struct notify_recipients *rs, int64_t id)
{
	struct store_row a = {0};
	store_row_int(&a, id);
	int rc = exec_row(rs, "DELETE FROM recipients WHERE id = ?1", &a);
	return rc < 0 ? rc : sqlite3_changes(rs->db) ? 0 : -ENOENT;
}

/* The integer of a one-row query (a count); INT32_MAX when it fails, which refuses. */
static int64_t int_of(struct notify_recipients *rs, const char *sql, const struct store_row *a)
{
	sqlite3_stmt *q = state_db_query(rs->db, sql, a);
	int64_t v = q && sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : INT32_MAX;
	sqlite3_finalize(q);
	return v;
}

/* ---- routing ---------------------------------------------------------------------- */

static bool in_quiet_hours(const struct recipient *r, int64_t now_ms)
{
	if (r->quiet_start == RECIPIENT_NO_QUIET || r->quiet_start == r->quiet_end)
		return false;
	int m = tz_minute_of_day(r->tz[0] ? r->tz : NULL, now_ms);
	if (r->quiet_start < r->quiet_end)
		return m >= r->quiet_start && m < r->quiet_end;
	return m >= r->quiet_start || m < r->quiet_end; /* across midnight */
}

bool recipient_wants(const struct recipient *r, enum cfg_severity sev, int64_t now_ms)
{
	if (!r->confirmed_ms || (int)sev < r->min_severity)
		return false;
	return sev == SEV_CRITICAL || !in_quiet_hours(r, now_ms);
}

struct route_walk {
	const struct notify_target *t;
	int64_t now_ms, wait_ms;
	struct notify_rcpts *out;
	int rc;
};

static bool route_one(void *arg, const struct recipient *r)
{
	struct route_walk *w = arg;
	if (recipient_wants(r, w->t->severity, w->now_ms))
		w->rc = notify_rcpts_add(w->out, r->addr, w->wait_ms, "tenant-recipients");
	return w->rc == 0;
}

int notify_recipients_route(struct notify_recipients *rs, const struct notify_target *t,
			    int64_t now_ms, struct notify_rcpts *out)
{
	struct route_walk w = {.t = t, .now_ms = now_ms, .out = out,
			       .wait_ms = RECIPIENT_GROUP_WAIT_MS};
	struct store_row a = {0};
	if (!rs || !t->tenant)
		return 0;
	/* grouped like the NOC's routes of this alert, when some matched */
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].group_wait_ms < w.wait_ms)
			w.wait_ms = out->v[i].group_wait_ms;
	store_row_text(&a, t->tenant);
	if (rows_each(rs, "SELECT " RCPT_COLS " FROM recipients WHERE tenant = ?1"
			  " AND confirmed_ms > 0 ORDER BY id", &a, route_one, &w) < 0)
		log_warnx("notify", t->device, "tenant %s: cannot read its recipients", t->tenant);
	return w.rc;
}

/* ---- confirmation and test mails -------------------------------------------------- */

void recipient_addr_masked(const char *addr, char *buf, size_t len)
{
	const char *at = strrchr(addr, '@');
	snprintf(buf, len, "%c***%s", addr[0] ? addr[0] : '?', at ? at : "");
}

/* Room for one more mail of tenant at now_ms under smtp.tenant_mail_limit? */
static bool mail_allowed(struct notify_recipients *rs, const struct cfg_smtp *s,
			 const char *tenant, int64_t now_ms)
{
	struct store_row a = {0};
	store_row_text(&a, tenant);
	store_row_int(&a, now_ms - RECIPIENT_MAIL_PERIOD_MS);
	exec_row(rs, "DELETE FROM tenant_mails WHERE ts_ms <= ?2 AND tenant = ?1", &a);
	return int_of(rs, "SELECT count(*) FROM tenant_mails WHERE tenant = ?1 AND ts_ms > ?2", &a) <
	       s->tenant_mail_limit;
}

/* Refuses (-EBUSY, err filled) a mail to tenant beyond smtp.tenant_mail_limit. */
static int mail_quota(struct notifier *n, const char *tenant, int64_t now_ms, char *err,
		      size_t errlen)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	if (mail_allowed(n->recipients, s, tenant, now_ms))
		return 0;
	snprintf(err, errlen, "tenant %s sent %d confirmation or test mails within the hour"
		 " (smtp.tenant_mail_limit): try later", tenant, s->tenant_mail_limit);
	return -EBUSY;
}

/* Spools one message to r's address (counted against its tenant's mail limit, which
 * the caller checked) and starts delivery.  0 or -EIO. */
static int mail_send(struct notifier *n, const struct recipient *r, const char *kind,
		     const char *subject, const char *body, int64_t now_ms, char *err, size_t errlen)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	struct notify_compose c = {.rcpt = r->addr, .kind = kind, .alert_ids = "",
				   .subject = subject, .body = body, .from = s->from,
				   .host = n->host};
	struct store_row a = {0};
	int64_t id;
	if (notify_spool_compose(n->spool, &c, now_ms, &id) < 0) {
		snprintf(err, errlen, "cannot write the spool");
		return -EIO;
	}
	store_row_text(&a, r->tenant);
	store_row_int(&a, now_ms);
	exec_row(n->recipients, "INSERT INTO tenant_mails(tenant, ts_ms) VALUES (?1, ?2)", &a);
	notify_deliver_kick(n, now_ms);
	return 0;
}

static int smtp_ready(const struct notifier *n, bool link, char *err, size_t errlen)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	if (!s || !n->recipients)
		snprintf(err, errlen, "no smtp: section in the daemon configuration");
	else if (link && !s->dashboard_url)
		snprintf(err, errlen, "smtp.dashboard_url is not set: a confirmation link needs it");
	else
		return 0;
	return -ENODATA;
}

/* A fresh token (hex, into tok[2 * TOKEN_BYTES + 1]) and its hash.  0 or -EIO. */
static int token_new(char *tok, char hash[DIGEST_HEX_LEN + 1])
{
	unsigned char raw[TOKEN_BYTES];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		sprintf(tok + 2 * i, "%02x", raw[i]);
	digest_sha256_hex(tok, strlen(tok), hash);
	return 0;
}

static int64_t tenant_count(struct notify_recipients *rs, const char *tenant)
{
	struct store_row a = {0};
	store_row_text(&a, tenant);
	return int_of(rs, "SELECT count(*) FROM recipients WHERE tenant = ?1", &a);
}

static int find_addr(struct notify_recipients *rs, const char *tenant, const char *addr,
		     struct recipient *out)
{
	struct store_row a = {0};
	store_row_text(&a, tenant);
	store_row_text(&a, addr);
	return row_one(rs, "SELECT " RCPT_COLS " FROM recipients WHERE tenant = ?1 AND addr = ?2",
		       &a, out);
}

/* Stores r unconfirmed with the token's hash (a new row, or the same unconfirmed address
 * renewed).  0 with r->id, -EEXIST, -ENOSPC, -EIO. */
static int pending_store(struct notifier *n, struct recipient *r, const char *hash,
			 int64_t now_ms, char *err, size_t errlen)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	struct notify_recipients *rs = n->recipients;
	struct recipient old;
	struct store_row a = {0};
	int rc = find_addr(rs, r->tenant, r->addr, &old);
	if (rc == 0 && old.confirmed_ms) {
		snprintf(err, errlen, "the address is already a confirmed recipient (id %lld)",
			 (long long)old.id);
		return -EEXIST;
	}
	if (rc == -ENOENT && tenant_count(rs, r->tenant) >= s->tenant_recipients_max) {
		snprintf(err, errlen, "tenant %s has %d recipients (smtp.tenant_recipients_max)",
			 r->tenant, s->tenant_recipients_max);
		return -ENOSPC;
	}
	if (rc == -EIO)
		return rc;
	store_row_text(&a, r->tenant);
	store_row_text(&a, r->addr);
	store_row_int(&a, r->min_severity);
	store_row_int(&a, r->quiet_start);
	store_row_int(&a, r->quiet_end);
	store_row_text(&a, r->tz);
	store_row_int(&a, now_ms);
	store_row_text(&a, hash);
	store_row_int(&a, now_ms + s->confirm_expiry_ms);
	rc = exec_row(rs, "INSERT INTO recipients(tenant, addr, min_severity, quiet_start,"
			  " quiet_end, tz, created_ms, token_hash, token_expires_ms)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
			  " ON CONFLICT(tenant, addr) DO UPDATE SET min_severity = ?3,"
			  " quiet_start = ?4, quiet_end = ?5, tz = ?6, token_hash = ?8,"
			  " token_expires_ms = ?9", &a);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write the recipients");
		return rc;
	}
	if ((rc = find_addr(rs, r->tenant, r->addr, &old)) == 0)
		*r = old; /* a copy: the query's parameters are r's strings */
	return rc;
}

int notifier_recipient_add(struct notifier *n, struct recipient *r, const char *by,
			   int64_t now_ms, char *err, size_t errlen)
{
	char tok[2 * TOKEN_BYTES + 1], hash[DIGEST_HEX_LEN + 1], until[64];
	char subject[256], body[2048];
	int rc = smtp_ready(n, true, err, errlen);
	if (rc == 0)
		rc = mail_quota(n, r->tenant, now_ms, err, errlen);
	if (rc < 0)
		return rc;
	if (token_new(tok, hash) < 0) {
		snprintf(err, errlen, "no random bytes from the kernel");
		return -EIO;
	}
	if ((rc = pending_store(n, r, hash, now_ms, err, errlen)) < 0)
		return rc;
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	notify_text_time(now_ms + s->confirm_expiry_ms, until, sizeof(until));
	snprintf(subject, sizeof(subject), "[dcmon] Confirm alert e-mail for tenant %s", r->tenant);
	snprintf(body, sizeof(body),
		 "%s asked dcmon (%s) to send the alerts of tenant %s to this address.\n\n"
		 "To confirm, open this link before %s:\n\n"
		 "  %s/api/v1/recipients/confirm?token=%s\n\n"
		 "If you did not expect this message, ignore it: this address gets no alert\n"
		 "unless it is confirmed.\n",
		 by ? by : "someone", n->host, r->tenant, until, s->dashboard_url, tok);
	return mail_send(n, r, "confirm", subject, body, now_ms, err, errlen);
}

int notifier_recipient_confirm(struct notifier *n, const char *token, int64_t now_ms,
			       struct recipient *out)
{
	char hash[DIGEST_HEX_LEN + 1];
	struct store_row a = {0};
	struct notify_recipients *rs = n->recipients;
	if (!rs || strlen(token) != 2 * TOKEN_BYTES)
		return -ENOENT;
	digest_sha256_hex(token, strlen(token), hash);
	store_row_text(&a, hash);
	int rc = row_one(rs, "SELECT " RCPT_COLS " FROM recipients WHERE token_hash = ?1", &a, out);
	if (rc < 0)
		return rc;
	store_row_int(&a, now_ms);
	if (int_of(rs, "SELECT token_expires_ms > ?2 FROM recipients WHERE token_hash = ?1", &a) != 1)
		return -ETIME;
	/* single use: the hash goes with the confirmation */
	if (exec_row(rs, "UPDATE recipients SET confirmed_ms = ?2, token_hash = NULL,"
			 " token_expires_ms = 0 WHERE token_hash = ?1", &a) < 0)
		return -EIO;
	out->confirmed_ms = now_ms;
	return 0;
}

int notifier_recipient_test(struct notifier *n, const struct recipient *r, const char *by,
			    int64_t now_ms, char *err, size_t errlen)
{
	char subject[256], body[1024];
	int rc = smtp_ready(n, false, err, errlen);
	if (rc == 0 && !r->confirmed_ms) {
		snprintf(err, errlen, "recipient %lld is not confirmed yet", (long long)r->id);
		rc = -EAGAIN;
	}
	if (rc == 0)
		rc = mail_quota(n, r->tenant, now_ms, err, errlen);
	if (rc < 0)
		return rc;
	snprintf(subject, sizeof(subject), "[dcmon] TEST message for tenant %s", r->tenant);
	snprintf(body, sizeof(body),
		 "This is a test message of dcmon's alert e-mail to a recipient of tenant %s,\n"
		 "requested by %s.  It went through the spool and the SMTP relay like an alert.\n",
		 r->tenant, by ? by : "?");
	return mail_send(n, r, "test", subject, body, now_ms, err, errlen);
}
