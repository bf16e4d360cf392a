/* Private to accounts/: the store of accounts.db, password hashing and the secrets. */
#ifndef DCMON_ACCOUNTS_INT_H
#define DCMON_ACCOUNTS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/accounts.h"
#include "dcmon/api_route.h"

#define ACCOUNT_HASH_MAX 256  /* bytes of a crypt(3) string */
#define TOKEN_HEX_BYTES  32   /* random bytes of an API token: 256 bits */
#define TOKEN_PREFIX     "dcm_"

#define ACCOUNTS_NEW_SOURCE_MAX 16 /* admin logins from new addresses within a second */

#define ACCOUNTS_PW_JOBS_MAX 16 /* password checks in flight; more answer 503 */

struct sqlite3;
struct sqlite3_stmt;
struct store_row;
struct metric_reg;
struct workq;
struct pw_job;

enum acc_stmt {
	ACC_INSERT, ACC_GET, ACC_DELETE, ACC_SET_DISABLED, ACC_SET_HASH, ACC_SET_ROLE,
	ACC_UNLOCK, ACC_FAIL, ACC_LOGIN_OK, ACC_TOKEN_INSERT, ACC_TOKEN_FIND, ACC_TOKEN_USED,
	ACC_SESSION_INSERT, ACC_SESSION_FIND, ACC_SESSION_SEEN, ACC_SESSION_DELETE,
	ACC_SESSION_REVOKE, ACC_ANY, ACC_LIST, ACC_FAILURE_INSERT, ACC_FAILURES_BY_SOURCE,
	ACC_FAILURES_PRUNE,
	ACC_NSTMT
};

/* What the login report last read from the store (login_watch.c): each account's lock
 * and each address's failed accounts in the lock window.  Reports in between send it
 * again without SQL: a lock's end is compared with the time, and the store is read
 * again when a failure leaves the window, when acc_run wrote something the report
 * reads, after a reload (the window may have changed), and at least every
 * WATCH_REREAD_MS (a hand edit of accounts.db). */
struct login_watch_cache {
	bool read;             /* false: read the store at the next report */
	int64_t reread_ms;     /* read it again at the first report from then */
	struct watch_lock {
		char name[AUTHZ_NAME_MAX];
		int64_t locked_until_ms;
	} *locks;
	size_t nlocks, caplocks;
	struct watch_failures {
		char source[96];
		int64_t accounts; /* 0: reported once more (its alert resolves), then dropped */
	} *failures;
	size_t nfailures, capfailures;
};

struct accounts {
	struct sqlite3 *db;
	char *path;
	struct sqlite3_stmt *stmt[ACC_NSTMT];
	struct cfg_accounts defaults; /* when the config has no accounts: section */
	const struct cfg_accounts *cfg;
	char dummy_hash[ACCOUNT_HASH_MAX]; /* what a missing user's password is checked against */
	int64_t next_sweep_ms;        /* accounts_tick: when to look for inactive accounts */
	/* login_watch_report: when to report again with nothing new, and whether a login,
	 * failure or unlock since the last report asks for one at the next tick */
	int64_t next_report_ms;
	bool report_due;
	/* admin accounts logged in from a new address, to report (login_watch.c) */
	struct {
		char name[AUTHZ_NAME_MAX];
		bool shown;
	} new_source[ACCOUNTS_NEW_SOURCE_MAX];
	int nnew_source;
	struct login_watch_cache watch;
	struct workq *wq;             /* password work runs there; NULL = at once */
	struct pw_job *jobs;          /* password work in flight (pw_work.c) */
	int njobs;
};

/* One account as stored (no secret in it). */
struct account {
	char name[AUTHZ_NAME_MAX];
	enum authz_role role;
	char tenant[AUTHZ_NAME_MAX];
	char site[AUTHZ_NAME_MAX];
	bool disabled;
	int failures;
	int locks;               /* consecutive locks, for the growing period */
	int64_t locked_until_ms;
	int64_t fail_since_ms;   /* the first failure counted in the lock window */
	char mfa_secret[64];     /* TOTP secret, base32; "" = no second factor */
	int64_t mfa_counter;     /* the last TOTP step used: a code is taken once */
	int64_t created_ms, last_login_ms, password_changed_ms;
	char hash[ACCOUNT_HASH_MAX];
};

/* One web session as stored: its id and CSRF token only as SHA-256. */
struct session {
	char account[AUTHZ_NAME_MAX];
	char csrf_hash[72];
	int64_t created_ms, last_seen_ms;
	char source[96];
};

#define SESSION_ID_BYTES 16 /* 128 random bits: the cookie */
#define SESSION_COOKIE   "dcmon_session"

/* ---- store (account_store.c) ---- */
int account_get(struct accounts *a, const char *name, struct account *out);
int account_insert(struct accounts *a, const struct account *acc);
int account_delete(struct accounts *a, const char *name);
int account_set_disabled(struct accounts *a, const char *name, bool disabled);
int account_set_hash(struct accounts *a, const char *name, const char *hash, int64_t now_ms);
int account_set_role(struct accounts *a, const char *name, enum authz_role role,
		     const char *tenant, const char *site);
int account_unlock(struct accounts *a, const char *name);
/* Runs prepared statement st with r's values (no rows): 0, -EEXIST (constraint),
 * -ENOENT (no row changed when must_change) or -EIO (logged). */
int acc_run(struct accounts *a, enum acc_stmt st, const struct store_row *r, bool must_change);
/* Calls fn for every account, by name. */
int account_foreach(struct accounts *a, bool (*fn)(void *arg, const struct account *acc),
		    void *arg);
int account_token_insert(struct accounts *a, const char *name, const char *token_hash,
			 int64_t now_ms);
/* The account of a token's hash into out; -ENOENT when none. */
int account_token_find(struct accounts *a, const char *token_hash, int64_t now_ms,
		       struct account *out);
void account_actor(const struct account *acc, const char *source, struct authz_actor *out);
const struct cfg_accounts *accounts_cfg(const struct accounts *a);
int session_insert(struct accounts *a, const char *id_hash, const char *name,
		   const char *csrf_hash, const char *source, int64_t now_ms);
int session_find(struct accounts *a, const char *id_hash, struct session *out);
int session_seen(struct accounts *a, const char *id_hash, int64_t now_ms);
int session_delete(struct accounts *a, const char *id_hash);
/* Deletes name's session whose public id (the first 16 hex of its hash) is id. */
int session_revoke(struct accounts *a, const char *name, const char *id);
/* Ends name's sessions but the one whose id hash is keep_hash (may be NULL: all);
 * how many, or -EIO. */
int session_end_others(struct accounts *a, const char *name, const char *keep_hash);
int session_foreach(struct accounts *a, const char *name,
		    bool (*fn)(void *arg, const char *id_hash, const struct session *ses),
		    void *arg);
int account_record_failure(struct accounts *a, const struct account *acc, int64_t now_ms);
int account_record_login(struct accounts *a, const char *name, int64_t now_ms);

/* ---- security alerts (login_watch.c) ---- */
/* Frees what the login report keeps between reads of the store. */
void login_watch_free(struct accounts *a);
/* A failed login of name (existing or not) from source (http_peer_name). */
void login_watch_failure(struct accounts *a, const char *name, const char *source,
			 int64_t now_ms);
/* A login of acc from source: an admin's address is remembered (accounts.db). */
void login_watch_success(struct accounts *a, const struct account *acc, const char *source,
			 int64_t now_ms);
/* The metrics of the device dcmond (docs/METRICS.md, "Accounts"), once a second. */
void login_watch_report(struct accounts *a, struct metric_reg *reg, int64_t now_ms);

/* ---- password work on the worker pool (pw_work.c) ---- */
typedef void (*pw_finish_fn)(struct pw_job *j, const struct api_ctx *ctx,
			     struct api_response *resp);
struct pw_job {
	struct accounts *a;
	pw_finish_fn finish;      /* on the loop thread, with a ctx like the request's */
	/* the work: password checked against hash (when not NULL), then new_password
	 * hashed into new_hash (when not NULL, and the check passed or there was none) */
	char *password, *new_password;
	char hash[ACCOUNT_HASH_MAX], new_hash[ACCOUNT_HASH_MAX];
	int cost;
	bool match;
	int rc;                   /* the new hash: 0 or -errno */
	/* what the finish needs of the request besides its ctx */
	char *name, *code;
	struct account acc;
	/* the request, as the finish sees it */
	struct api_env env;
	void *part;               /* the part's state the route had (accounts_of) */
	struct authz_actor actor;
	char *session;
	int64_t now_ms;
	struct api_later *later;
	struct pw_job *next;      /* accounts' jobs in flight */
};
/* A job that finishes with finish; NULL when out of memory. */
struct pw_job *pw_job_new(pw_finish_fn finish);
void pw_job_free(struct pw_job *j);
/* Runs j's work on the worker pool and answers resp later, or at once without workers
 * or when too many are in flight (503).  Takes j. */
void pw_job_run(const struct api_ctx *ctx, struct pw_job *j, struct api_response *resp);
/* At the end: answers and frees the jobs whose completion never came. */
void pw_jobs_drop(struct accounts *a);

/* ---- logins (login.c) ---- */
/* The hash a login of name checks the password against: the account's, or a dummy for a
 * missing user (the same work: the answer's time says nothing). */
void login_hash(struct accounts *a, const char *name, char out[ACCOUNT_HASH_MAX]);
/* accounts_login after the password was checked against hash (login_hash): match. */
int login_checked(struct accounts *a, const char *name, const char *hash, bool match,
		  const char *code, const char *source, int64_t now_ms, struct authz_actor *out);

/* ---- secrets (secret.c) ---- */
/* yescrypt of password at cost into out; 0 or -errno. */
int secret_hash_password(const char *password, int cost, char *out, size_t len);
/* Does password match the crypt(3) string hash?  Constant-time compare. */
bool secret_check_password(const char *password, const char *hash);
/* A new API token ("dcm_" + 64 hex) into out (at least 69 bytes); 0 or -errno. */
int secret_new_token(char *out, size_t len);
/* n random bytes as 2n hex digits into out (at least 2n + 1 bytes); 0 or -errno. */
int secret_random_hex(size_t n, char *out, size_t len);
/* Constant-time equality of two NUL-terminated strings of public length. */
bool secret_equal(const char *a, const char *b);
/* SHA-256 of s as 64 hex digits into out[65]. */
void secret_sha256_hex(const char *s, char out[65]);

/* ---- second factor (mfa.c) ---- */
#define MFA_DIGITS         6
#define MFA_STEP_S         30
#define MFA_WINDOW         1  /* steps of clock skew accepted either way */
#define MFA_RECOVERY_CODES 10
#define MFA_RECOVERY_HEX   10 /* hex digits of a recovery code (40 bits, used once) */
/* Is code the TOTP (RFC 6238, HMAC-SHA1, 6 digits, 30 s) of the base32 secret at
 * now_s, within MFA_WINDOW steps, and of a later step than last?  Sets *step. */
bool mfa_totp_valid(const char *secret_b32, const char *code, int64_t now_s, int64_t last,
		    int64_t *step);
/* Is code one of name's unused recovery codes?  It is used up then. */
bool mfa_recovery_use(struct accounts *a, const char *name, const char *code, int64_t now_ms);
void api_post_user_mfa(const struct api_ctx *ctx, const struct account *acc,
		       struct api_response *resp);
int account_set_mfa(struct accounts *a, const char *name, const char *secret, int64_t counter);
/* A new TOTP secret for name, pending until confirmed (a code of it); its
 * {"otpauth", "qr"} into *enrol.  0 or -EIO. */
int mfa_pending_new(struct accounts *a, const char *name, int64_t now_ms, json_t **enrol);
/* Makes name's pending secret its second factor when code is a TOTP code of it, with new
 * recovery codes (*recovery: their array, to show once).  0, -ENOENT (none pending),
 * -EACCES (wrong code) or -EIO. */
int mfa_pending_confirm(struct accounts *a, const char *name, const char *code, int64_t now_ms,
			json_t **recovery);
/* Must the accounts of tenant have a second factor (POST /api/v1/mfa-policy/TENANT)? */
bool mfa_tenant_required(struct accounts *a, const char *tenant);
int mfa_tenant_set(struct accounts *a, const char *tenant, bool required);
/* Must acc log in with a second factor: noc-admin and security-admin, and the accounts
 * of a tenant that requires it? */
bool mfa_required(struct accounts *a, const struct account *acc);
/* A login of acc (its password and factors checked) from source: recorded, its actor. */
void login_complete(struct accounts *a, const struct account *acc, const char *source,
		    int64_t now_ms, struct authz_actor *out);

/* ---- endpoints (api_users.c) ---- */
void api_get_users(const struct api_ctx *ctx, struct api_response *resp);
void api_get_user(const struct api_ctx *ctx, struct api_response *resp);
void api_post_users(const struct api_ctx *ctx, struct api_response *resp);
void api_post_user(const struct api_ctx *ctx, struct api_response *resp);
void api_delete_user(const struct api_ctx *ctx, struct api_response *resp);
void api_post_login(const struct api_ctx *ctx, struct api_response *resp);
void api_post_logout(const struct api_ctx *ctx, struct api_response *resp);
void api_get_sessions(const struct api_ctx *ctx, struct api_response *resp);
void api_delete_session(const struct api_ctx *ctx, struct api_response *resp);
void api_post_password(const struct api_ctx *ctx, struct api_response *resp);
/* ---- endpoints (api_mfa.c) ---- */
void api_post_mfa(const struct api_ctx *ctx, struct api_response *resp);
void api_post_mfa_confirm(const struct api_ctx *ctx, struct api_response *resp);
void api_get_mfa_policy(const struct api_ctx *ctx, struct api_response *resp);
void api_post_mfa_policy(const struct api_ctx *ctx, struct api_response *resp);

/* The store and the audit log of a route's part state (either NULL when not running). */
static inline struct accounts *accounts_of(const struct api_ctx *ctx)
{
	const struct accounts_part_state *st = ctx->part;
	return st ? st->store : NULL;
}

static inline struct alert_engine *accounts_audit_of(const struct api_ctx *ctx)
{
	const struct accounts_part_state *st = ctx->part;
	return st ? st->audit : NULL;
}

#endif
