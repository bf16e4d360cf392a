/* The accounts part: named accounts with a role (dcmon/authz.h), passwords hashed with
 * yescrypt, per-account API tokens hashed at rest, kept in <state_dir>/accounts.db; the
 * `accounts:` section of `daemon:` (local users' roles, password policy); the endpoints
 * /api/v1/users... behind `dcmon user`.  docs/ACCOUNTS.md.
 *
 * Everything runs on the loop thread but the password hashes (accounts_set_workers).  No account exists until one is added: there is
 * no default password; the first noc-admin is added over the Unix socket by root.
 */
#ifndef DCMON_ACCOUNTS_H
#define DCMON_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/authz.h"
#include "dcmon/cfgtree.h"

#define ACCOUNTS_PASSWORD_MIN     12   /* default daemon.accounts.password_min_length */
#define ACCOUNTS_PASSWORD_MAX     1024 /* bytes of a password accepted at all */
#define ACCOUNTS_LOCK_FAILURES    5    /* default lockout.failures */
#define ACCOUNTS_YESCRYPT_COST    6    /* ~70 ms per verification (docs/ACCOUNTS.md) */

/* `daemon.accounts:` */
struct cfg_accounts {
	struct authz_local_user *local_users; /* Unix socket users besides root */
	size_t nlocal_users;
	int password_min_length;
	int yescrypt_cost;        /* 1..11; each step doubles the time */
	int lock_failures;        /* failed logins in lock_window that lock the account */
	int64_t lock_window_ms;
	int64_t lock_base_ms;     /* the first lock; each further lock doubles, to lock_max */
	int64_t lock_max_ms;
	int64_t session_idle_ms;  /* a web session unused this long ends */
	int64_t session_max_ms;   /* and any after this long */
	int64_t inactive_ms;      /* accounts unused this long are disabled; 0 = never */
	int64_t audit_retention_ms; /* audit records older than this are removed */
	struct cfg_pos pos;
};
extern const struct cfg_key accounts_cfg_keys[];
void accounts_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int accounts_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* The `daemon.accounts:` section of cfg (the accounts part's own, dcmon/part.h), or
 * NULL for the defaults. */
const struct cfg_accounts *accounts_cfg_of(const struct cfg *cfg);

struct accounts;

/* Opens <state_dir>/accounts.db (created with its schema).  cfg may be NULL (the
 * defaults).  NULL with err filled on failure. */
struct accounts *accounts_open(const char *state_dir, const struct cfg_accounts *cfg,
			       char *err, size_t errlen);
struct workq;
/* Password hashes and checks (logins, user add, passwd) run on wq from now on, the
 * requests answered when done; NULL (the default) runs them on the caller's thread. */
void accounts_set_workers(struct accounts *a, struct workq *wq);
/* Takes a reloaded config (kept by pointer until the next reload or free). */
void accounts_reload(struct accounts *a, const struct cfg_accounts *cfg);
void accounts_free(struct accounts *a);

/* The actor of a per-account API token ("dcm_..."): 0 and *out, -ENOENT for no such
 * token, -EACCES when its account is disabled.  Behind api_env.token_actor. */
int accounts_token_actor(struct accounts *a, const char *token, const char *source,
			 struct authz_actor *out);

/* Does the store hold an account (any, even disabled)?  Fits api_env.any_account: while
 * none does, http.anonymous: auto lets anonymous readers see the wall. */
bool accounts_any(struct accounts *a);

struct alert_engine;
struct metric_reg;

struct dcmon_part;
extern const struct dcmon_part accounts_part; /* accounts/accounts_part.c */

/* The accounts part's state, as its routes read it (ctx->part, dcmon/part.h): the store,
 * and the rule engine whose audit log records their changes (either may be NULL). */
struct accounts_part_state {
	struct accounts *store;
	struct alert_engine *audit;
};

#define ACCOUNTS_SWEEP_MS 3600000 /* inactive accounts and old audit records: once an hour */
#define ACCOUNTS_AUDIT_RETENTION_MIN (365 * 86400000LL) /* a year at least (issue 17) */

/* Disables the accounts unused (no login, no API token use; since their creation when
 * never used) for daemon.accounts.inactive_disable at wall time now_ms, each logged and
 * in the audit log of alerts (may be NULL).  Returns how many, or -EIO. */
int accounts_disable_inactive(struct accounts *a, struct alert_engine *alerts, int64_t now_ms);
/* Runs accounts_disable_inactive and the audit log's retention pass
 * (daemon.accounts.audit_retention) at start and then every ACCOUNTS_SWEEP_MS, and puts the
 * security metrics of the device dcmond into reg (may be NULL) once a second
 * (docs/ACCOUNTS.md, "Security alerts"); call it from a timer of the loop. */
void accounts_tick(struct accounts *a, struct alert_engine *alerts, struct metric_reg *reg,
		   int64_t now_ms);

/* The actor of a web session (the cookie's id), behind api_env.session_actor: 0, -ENOENT
 * (no such session or expired: then deleted), -EACCES (account disabled or gone),
 * -EPERM (csrf given and not the session's).  A use renews the idle timeout. */
int accounts_session_actor(struct accounts *a, const char *sid, const char *csrf,
			   const char *source, int64_t now_ms, struct authz_actor *out);

/* Checks name's password, and its second factor when it has one (code: a TOTP code or
 * a recovery code; may be NULL), at wall time now_ms: 0 and *out on success; -EACCES
 * for a wrong user, password or code, a disabled or locked account alike (the same
 * answer and the same work: a missing user is hashed against a dummy);
 * -EKEYREJECTED when the password is right but the role requires a second factor the
 * account has not got.  Counts failures and locks the account (docs/ACCOUNTS.md). */
int accounts_login(struct accounts *a, const char *name, const char *password, const char *code,
		   const char *source, int64_t now_ms, struct authz_actor *out);

/* Why password is refused for account name under cfg's policy, or NULL when it is
 * acceptable. */
const char *accounts_password_refusal(const struct cfg_accounts *cfg, const char *name,
				      const char *password);

#endif
