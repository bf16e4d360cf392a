/* The second factor: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps) through liboath,
 * each step's code taken once, within one step of clock skew; one-time recovery codes
 * kept as SHA-256; enrolment answers the otpauth:// URI, its QR code (libqrencode) as
 * text and the recovery codes, once.  docs/ACCOUNTS.md, "Second factor". */
#include "accounts_int.h"

#include <errno.h>
#include <liboath/oath.h>
#include <qrencode.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dcmon/alert.h"
#include "dcmon/state_db.h"

#define MFA_SECRET_BYTES 20 /* 160 bits, RFC 4226's recommendation */

bool mfa_totp_valid(const char *secret_b32, const char *code, int64_t now_s, int64_t last,
		    int64_t *step)
{
	char *secret = NULL;
	size_t len = 0;
	if (!secret_b32 || !*secret_b32 || !code || strlen(code) != MFA_DIGITS ||
	    strspn(code, "0123456789") != MFA_DIGITS ||
	    oath_base32_decode(secret_b32, strlen(secret_b32), &secret, &len) != OATH_OK)
		return false;
	int pos = 0;
	uint64_t counter = 0;
	int rc = oath_totp_validate3(secret, len, (time_t)now_s, MFA_STEP_S, 0, MFA_WINDOW, &pos,
				     &counter, code);
	explicit_bzero(secret, len);
	free(secret);
	if (rc < 0 || (int64_t)counter <= last)
		return false; /* wrong, or a code already taken (replayed) */
	*step = (int64_t)counter;
	return true;
}

bool mfa_recovery_use(struct accounts *a, const char *name, const char *code, int64_t now_ms)
{
	char h[65];
	if (!code || strlen(code) != MFA_RECOVERY_HEX)
		return false;
	secret_sha256_hex(code, h);
	struct store_row r = {0};
	store_row_int(&r, now_ms);
	store_row_text(&r, name);
	store_row_text(&r, h);
	sqlite3_stmt *s = state_db_query(a->db, "UPDATE recovery_codes SET used_ms = ?1 WHERE "
					 "rowid = (SELECT rowid FROM recovery_codes WHERE account = ?2"
					 " AND hash = ?3 AND used_ms IS NULL LIMIT 1)", &r);
	bool ok = s && sqlite3_step(s) == SQLITE_DONE && sqlite3_changes(a->db) == 1;
	sqlite3_finalize(s);
	return ok;
}

/* Runs one statement that answers no row; 0 or -EIO. */
static int mfa_exec(struct accounts *a, const char *sql, struct store_row *r)
{
	sqlite3_stmt *s = state_db_query(a->db, sql, r);
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int account_set_mfa(struct accounts *a, const char *name, const char *secret, int64_t counter)
{
	struct store_row r = {0};
	store_row_text(&r, secret);
	store_row_int(&r, counter);
	store_row_text(&r, name);
	return mfa_exec(a, "UPDATE accounts SET mfa_secret = ?1, mfa_counter = ?2 WHERE name = ?3",
			&r);
}

/* New recovery codes for name (the old ones go), into codes; kept as SHA-256. */
static int recovery_renew(struct accounts *a, const char *name,
			  char codes[MFA_RECOVERY_CODES][MFA_RECOVERY_HEX + 1])
{
	struct store_row r = {0};
	store_row_text(&r, name);
	int rc = mfa_exec(a, "DELETE FROM recovery_codes WHERE account = ?1", &r);
	for (int i = 0; i < MFA_RECOVERY_CODES && rc == 0; i++) {
		char h[65];
		if (secret_random_hex(MFA_RECOVERY_HEX / 2, codes[i], MFA_RECOVERY_HEX + 1) < 0)
			return -EIO;
		secret_sha256_hex(codes[i], h);
		struct store_row w = {0};
		store_row_text(&w, name);
		store_row_text(&w, h);
		rc = mfa_exec(a, "INSERT INTO recovery_codes(account, hash) VALUES(?1, ?2)", &w);
	}
	return rc;
}

/* The QR code of text as lines of "##" (dark) and "  " (light) modules, with a quiet
 * zone, for a terminal. */
static json_t *qr_lines(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	json_t *a = json_array();
	if (!q)
		return a;
	const int quiet = 2, w = q->width + 2 * quiet;
	char *line = malloc((size_t)w * 2 + 1);
	for (int y = -quiet; line && y < q->width + quiet; y++) {
		for (int x = -quiet; x < q->width + quiet; x++) {
			bool dark = y >= 0 && x >= 0 && y < q->width && x < q->width &&
				    (q->data[y * q->width + x] & 1);
			memcpy(line + 2 * (x + quiet), dark ? "##" : "  ", 2);
		}
		line[2 * w] = '\0';
		json_array_append_new(a, json_string(line));
	}
	free(line);
	QRcode_free(q);
	return a;
}

/* A new random TOTP secret, base32, into out (at least 40 bytes); 0 or -EIO. */
static int mfa_secret_new(char *out, size_t len)
{
	unsigned char raw[MFA_SECRET_BYTES];
	char *b32 = NULL;
	size_t b32len = 0;
	int rc = getrandom(raw, sizeof(raw), 0) == (ssize_t)sizeof(raw) &&
			 oath_base32_encode((const char *)raw, sizeof(raw), &b32, &b32len) == OATH_OK &&
			 b32len < len
		     ? 0 : -EIO;
	if (rc == 0)
		snprintf(out, len, "%s", b32);
	explicit_bzero(raw, sizeof(raw));
	if (b32)
		explicit_bzero(b32, b32len);
	free(b32);
	return rc;
}

/* {"otpauth", "qr"} of name's secret, for an authenticator app to scan. */
static json_t *mfa_enrol_json(const char *name, const char *secret)
{
	char uri[256];
	snprintf(uri, sizeof(uri), "otpauth://totp/dcmon:%s?secret=%s&issuer=dcmon&digits=%d"
		 "&period=%d", name, secret, MFA_DIGITS, MFA_STEP_S);
	json_t *o = json_pack("{s:s s:o}", "otpauth", uri, "qr", qr_lines(uri));
	explicit_bzero(uri, sizeof(uri));
	return o;
}

static json_t *codes_json(char codes[MFA_RECOVERY_CODES][MFA_RECOVERY_HEX + 1])
{
	json_t *rc = json_array();
	for (int i = 0; i < MFA_RECOVERY_CODES; i++)
		json_array_append_new(rc, json_string(codes[i]));
	return rc;
}

/* POST /api/v1/users/NAME/mfa: a new TOTP secret and recovery codes, answered once (an
 * administrator provisions them: the account's owner scans the QR code). */
void api_post_user_mfa(const struct api_ctx *ctx, const struct account *acc,
		       struct api_response *resp)
{
	char b32[64], codes[MFA_RECOVERY_CODES][MFA_RECOVERY_HEX + 1];
	if (mfa_secret_new(b32, sizeof(b32)) < 0 ||
	    account_set_mfa(accounts_of(ctx), acc->name, b32, 0) < 0 ||
	    recovery_renew(accounts_of(ctx), acc->name, codes) < 0) {
		api_reply_error(resp, 500, "could not set up the second factor");
	} else {
		json_t *o = mfa_enrol_json(acc->name, b32);
		json_object_set_new(o, "user", json_string(acc->name));
		json_object_set_new(o, "recovery_codes", codes_json(codes));
		api_reply_json(resp, 201, o);
		explicit_bzero(codes, sizeof(codes));
	}
	explicit_bzero(b32, sizeof(b32));
}

/* ---- enrolment by the account's owner ------------------------------------------------- */

/* name's pending secret into out ("" when none); 0 or -ENOENT. */
static int mfa_pending_get(struct accounts *a, const char *name, char *out, size_t len)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	sqlite3_stmt *s = state_db_query(a->db, "SELECT secret FROM mfa_pending WHERE account = ?1",
					 &r);
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	out[0] = '\0';
	if (rc == SQLITE_ROW)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -ENOENT;
}

int mfa_pending_new(struct accounts *a, const char *name, int64_t now_ms, json_t **enrol)
{
	char b32[64];
	if (mfa_secret_new(b32, sizeof(b32)) < 0)
		return -EIO;
	struct store_row r = {0};
	store_row_text(&r, name);
	store_row_text(&r, b32);
	store_row_int(&r, now_ms);
	int rc = mfa_exec(a, "INSERT OR REPLACE INTO mfa_pending(account, secret, created_ms) "
			  "VALUES(?1, ?2, ?3)", &r);
	if (rc == 0)
		*enrol = mfa_enrol_json(name, b32);
	explicit_bzero(b32, sizeof(b32));
	return rc;
}

int mfa_pending_confirm(struct accounts *a, const char *name, const char *code, int64_t now_ms,
			json_t **recovery)
{
	char b32[64], codes[MFA_RECOVERY_CODES][MFA_RECOVERY_HEX + 1];
	int64_t step;
	int rc = -EACCES;
	if (mfa_pending_get(a, name, b32, sizeof(b32)) < 0)
		return -ENOENT;
	if (mfa_totp_valid(b32, code, now_ms / 1000, 0, &step)) {
		struct store_row r = {0};
		store_row_text(&r, name);
		rc = mfa_exec(a, "DELETE FROM mfa_pending WHERE account = ?1", &r) == 0 &&
			     account_set_mfa(a, name, b32, step) == 0 &&
			     recovery_renew(a, name, codes) == 0
			 ? 0 : -EIO;
		if (rc == 0)
			*recovery = codes_json(codes);
		explicit_bzero(codes, sizeof(codes));
	}
	explicit_bzero(b32, sizeof(b32));
	return rc;
}

bool mfa_tenant_required(struct accounts *a, const char *tenant)
{
	if (!tenant || !*tenant)
		return false;
	struct store_row r = {0};
	store_row_text(&r, tenant);
	sqlite3_stmt *s = state_db_query(a->db, "SELECT required FROM tenant_mfa WHERE tenant = ?1",
					 &r);
	bool req = s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) != 0;
	sqlite3_finalize(s);
	return req;
}

int mfa_tenant_set(struct accounts *a, const char *tenant, bool required)
{
	struct store_row r = {0};
	store_row_text(&r, tenant);
	store_row_int(&r, required);
	return mfa_exec(a, "INSERT OR REPLACE INTO tenant_mfa(tenant, required) VALUES(?1, ?2)", &r);
}
