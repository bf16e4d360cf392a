/* The audit log's hash chain (docs/ACCOUNTS.md, "Tamper-evident audit"): each record
 * carries its sequence number, the SHA-256 of the record before it (prev_hash; 64 zeros
 * for the first) and the SHA-256 of its own canonical content, prev_hash included.  An
 * edited record no longer matches its hash, a deleted one leaves a gap in the sequence,
 * an inserted one repeats a number or breaks the next record's prev_hash, and a cut tail
 * is told by the checkpoints (sequence number + hash) logged every
 * AUDIT_CHECKPOINT_EVERY records and at shutdown.  Retention removes the oldest records
 * and keeps the newest removed one's sequence number and hash as the anchor
 * (audit_anchor), where the chain then starts instead of the genesis. */
#include "alert_int.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/digest.h"
#include "dcmon/state_db.h"
#include "dcmon/strbuf.h"

const char audit_chain_genesis[DIGEST_HEX_LEN + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* One field of the canonical form: its length, ':', its bytes, ','; NULL is "-,", so
 * no two different records have the same form. */
static void canon_field(struct strbuf *b, const char *v)
{
	if (!v) {
		strbuf_append(b, "-,", 2);
		return;
	}
	strbuf_appendf(b, "%zu:", strlen(v));
	strbuf_append(b, v, strlen(v));
	strbuf_append(b, ",", 1);
}

int audit_chain_hash(int64_t seq, int64_t ts_ms, const char *who, const char *origin,
		     const char *action, const char *target, const char *detail,
		     const char *prev_hash, char out[DIGEST_HEX_LEN + 1])
{
	struct strbuf b = {0};
	strbuf_appendf(&b, "dcmon-audit-v1,%" PRId64 ",%" PRId64 ",", seq, ts_ms);
	const char *fields[] = {who, origin, action, target, detail, prev_hash};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		canon_field(&b, fields[i]);
	int rc = b.failed ? -ENOMEM : 0;
	if (rc == 0)
		digest_sha256_hex(strbuf_str(&b), b.len, out);
	strbuf_free(&b);
	return rc;
}

static const char *col(sqlite3_stmt *s, int i);

int audit_chain_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT seq, prev_hash, hash FROM audit LIMIT 0", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_finalize(s);
		return SQLITE_OK;
	}
	/* a log from before the chain: its old records stay, unchained (verify says so) */
	return state_db_exec(db, path, "ALTER TABLE audit ADD COLUMN seq INTEGER;"
				       "ALTER TABLE audit ADD COLUMN prev_hash TEXT;"
				       "ALTER TABLE audit ADD COLUMN hash TEXT;", err, errlen);
}

int audit_chain_anchor(sqlite3 *db, int64_t *seq, char hash[DIGEST_HEX_LEN + 1],
		       int64_t *removed_ms)
{
	sqlite3_stmt *s = state_db_query(db, "SELECT seq, hash, removed_ms FROM audit_anchor", NULL);
	if (!s)
		return -EIO;
	int rc = sqlite3_step(s);
	*seq = 0;
	*removed_ms = 0;
	snprintf(hash, DIGEST_HEX_LEN + 1, "%s", audit_chain_genesis);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);
		*seq = sqlite3_column_int64(s, 0);
		snprintf(hash, DIGEST_HEX_LEN + 1, "%s", h ? (const char *)h : "");
		*removed_ms = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int audit_chain_tail(sqlite3 *db, int64_t *seq, char hash[DIGEST_HEX_LEN + 1])
{
	int64_t removed_ms;
	if (audit_chain_anchor(db, seq, hash, &removed_ms) < 0) /* when retention left none */
		return -EIO;

	sqlite3_stmt *s = state_db_query(db, "SELECT seq, hash FROM audit WHERE hash IS NOT NULL"
					     " ORDER BY id DESC LIMIT 1", NULL);
	if (!s)
		return -EIO;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);
		*seq = sqlite3_column_int64(s, 0);
		snprintf(hash, DIGEST_HEX_LEN + 1, "%s", h ? (const char *)h : "");
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* The newest of the oldest `max` records written before cutoff_ms: the last one a
 * retention pass removes.  It stops at the first record it keeps, so that what stays is
 * the chain's tail without a gap (an older-looking record after it, the clock stepped
 * back, stays too), and it reads no more than max + 1 rows, whatever the log's size. */
static int retention_last(sqlite3 *db, int64_t cutoff_ms, int max, struct audit_removal *out)
{
	struct store_row r = {0};
	store_row_int(&r, max);
	sqlite3_stmt *s = state_db_query(db, "SELECT id, seq, hash, ts_ms FROM audit ORDER BY id "
					     "LIMIT ?", &r);
	if (!s)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_int64(s, 3) < cutoff_ms) {
		out->removed++;
		out->last_id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 2) != SQLITE_NULL) { /* an unchained one moves nothing */
			out->anchor_seq = sqlite3_column_int64(s, 1);
			snprintf(out->anchor_hash, sizeof(out->anchor_hash), "%s", col(s, 2));
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -EIO;
}

/* Runs one statement of a retention pass with its values. */
static int retention_run(sqlite3 *db, const char *sql, const struct store_row *r)
{
	sqlite3_stmt *s = state_db_query(db, sql, r);
	if (!s)
		return -EIO;
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int audit_chain_remove_before(sqlite3 *db, int64_t cutoff_ms, int max, int64_t now_ms,
			      struct audit_removal *out)
{
	int64_t removed_ms;
	*out = (struct audit_removal){0};
	if (audit_chain_anchor(db, &out->anchor_seq, out->anchor_hash, &removed_ms) < 0 ||
	    retention_last(db, cutoff_ms, max, out) < 0)
		return -EIO;
	if (out->removed == 0)
		return 0;
	struct store_row del = {0}, anchor = {0};
	store_row_int(&del, out->last_id);
	store_row_int(&anchor, out->anchor_seq);
	store_row_text(&anchor, out->anchor_hash);
	store_row_int(&anchor, now_ms);
	/* the trigger is back before the transaction ends: nobody sees the log without it,
	 * and the start's check for dropped triggers has nothing to say */
	if (retention_run(db, "DROP TRIGGER audit_no_delete", NULL) < 0 ||
	    retention_run(db, "DELETE FROM audit WHERE id <= ?", &del) < 0 ||
	    retention_run(db, "INSERT INTO audit_anchor(id, seq, hash, removed_ms) VALUES(1, ?, ?, ?)"
			      " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
			      " removed_ms = excluded.removed_ms", &anchor) < 0 ||
	    retention_run(db, AUDIT_NO_DELETE_SQL, NULL) < 0)
		return -EIO;
	return 0;
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static bool str_is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Marks v bad at the record (id, seq) for why; only the first one counts. */
static void verdict_bad(struct alert_audit_verdict *v, int64_t id, int64_t seq, const char *why)
{
	if (v->bad)
		return;
	v->bad = true;
	v->bad_id = id;
	v->bad_seq = seq;
	snprintf(v->problem, sizeof(v->problem), "%s", why);
}

/* Checks one chained record against the one before it. */
static void verify_record(sqlite3_stmt *s, struct alert_audit_verdict *v, char *last)
{
	int64_t id = sqlite3_column_int64(s, 0), seq = sqlite3_column_int64(s, 7);
	const char *prev = col(s, 8), *hash = col(s, 9);
	char want[DIGEST_HEX_LEN + 1] = "", why[160];
	audit_chain_hash(seq, sqlite3_column_int64(s, 1), col(s, 2), col(s, 3), col(s, 4),
			 col(s, 5), col(s, 6), prev, want);
	int64_t expect = v->last_seq + 1;
	if (seq > expect) {
		snprintf(why, sizeof(why), "deleted: records %" PRId64 "..%" PRId64 " are missing "
			 "before it", expect, seq - 1);
		verdict_bad(v, id, expect, why);
	} else if (seq < expect) {
		snprintf(why, sizeof(why), "inserted: sequence %" PRId64 " comes again after %"
			 PRId64, seq, v->last_seq);
		verdict_bad(v, id, seq, why);
	} else if (!str_is(prev, last)) {
		verdict_bad(v, id, seq, "inserted or reordered: its prev_hash is not the hash of "
				      "the record before it");
	} else if (!str_is(hash, want)) {
		verdict_bad(v, id, seq, "edited: its content does not match its hash");
	}
	v->last_seq = seq;
	snprintf(last, DIGEST_HEX_LEN + 1, "%s", hash ? hash : "");
	if (seq == v->checkpoint_seq)
		v->checkpoint_hash_found = str_is(hash, v->checkpoint_hash);
}

int audit_chain_verify(sqlite3 *db, struct alert_audit_verdict *v)
{
	sqlite3_stmt *s = state_db_query(db, "SELECT id, ts_ms, who, origin, action, target, "
					     "detail, seq, prev_hash, hash FROM audit ORDER BY id",
					 NULL);
	if (!s)
		return -EIO;
	char last[DIGEST_HEX_LEN + 1];
	if (audit_chain_anchor(db, &v->anchor_seq, v->anchor_hash, &v->anchor_removed_ms) < 0) {
		sqlite3_finalize(s);
		return -EIO;
	}
	snprintf(last, sizeof(last), "%s", v->anchor_hash);
	v->last_seq = v->anchor_seq;
	/* a checkpoint at or before the anchor names a record retention removed */
	if (v->checkpoint_seq > 0 && v->checkpoint_seq <= v->anchor_seq)
		v->checkpoint_hash_found = v->checkpoint_seq < v->anchor_seq ||
					   str_is(v->anchor_hash, v->checkpoint_hash);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 7) == SQLITE_NULL && sqlite3_column_type(s, 9) == SQLITE_NULL) {
			if (v->records == 0) {
				v->unchained++; /* written before the chain existed */
				continue;
			}
		}
		v->records++;
		verify_record(s, v, last);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -EIO;
	snprintf(v->last_hash, sizeof(v->last_hash), "%s", last);
	char why[160];
	if (v->checkpoint_seq > v->last_seq) {
		snprintf(why, sizeof(why), "truncated: the log ends at %" PRId64 ", a checkpoint "
			 "says %" PRId64 " records were written", v->last_seq, v->checkpoint_seq);
		verdict_bad(v, 0, v->last_seq + 1, why);
	} else if (v->checkpoint_seq > 0 && !v->checkpoint_hash_found) {
		verdict_bad(v, 0, v->checkpoint_seq, "differs from the checkpoint's hash");
	}
	return 0;
}
