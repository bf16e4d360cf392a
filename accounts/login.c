/* Checking who someone is: a password (with lockout) or an API token, and the password
 * policy. */
#include "accounts_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"

const char *accounts_password_refusal(const struct cfg_accounts *cfg, const char *name,
				      const char *password)
{
	size_t n = password ? strlen(password) : 0;
	if (n < (size_t)cfg->password_min_length)
		return "the password is shorter than daemon.accounts.password_min_length";
	if (n > ACCOUNTS_PASSWORD_MAX)
		return "the password is longer than 1024 bytes";
	if (name && strcasecmp(name, password) == 0)
		return "the password equals the user name";
	return NULL;
}

bool mfa_required(struct accounts *a, const struct account *acc)
{
	return acc->role == AUTHZ_ROLE_NOC_ADMIN || acc->role == AUTHZ_ROLE_SECURITY_ADMIN ||
	       mfa_tenant_required(a, acc->tenant);
}

void login_complete(struct accounts *a, const struct account *acc, const char *source,
		    int64_t now_ms, struct authz_actor *out)
{
	account_record_login(a, acc->name, now_ms);
	login_watch_success(a, acc, source, now_ms);
	account_actor(acc, source, out);
}

/* The second factor of an account that has one: a TOTP code (each step once) or an
 * unused recovery code. */
static bool second_factor_ok(struct accounts *a, const struct account *acc, const char *code,
			     int64_t now_ms)
{
	int64_t step;
	if (mfa_totp_valid(acc->mfa_secret, code, now_ms / 1000, acc->mfa_counter, &step))
		return account_set_mfa(a, acc->name, acc->mfa_secret, step) == 0;
	return mfa_recovery_use(a, acc->name, code, now_ms);
}

void login_hash(struct accounts *a, const char *name, char out[ACCOUNT_HASH_MAX])
{
	struct account acc;
	bool known = name && account_get(a, name, &acc) == 0;
	snprintf(out, ACCOUNT_HASH_MAX, "%s", known ? acc.hash : a->dummy_hash);
	explicit_bzero(acc.hash, sizeof(acc.hash));
}

int login_checked(struct accounts *a, const char *name, const char *hash, bool match,
		  const char *code, const char *source, int64_t now_ms, struct authz_actor *out)
{
	struct account acc;
	bool known = name && account_get(a, name, &acc) == 0;
	if (!known) {
		login_watch_failure(a, name, source, now_ms);
		return -EACCES;
	}
	if (strcmp(acc.hash, hash) != 0)
		match = false; /* the password changed while it was checked */
	bool locked = acc.locked_until_ms > now_ms;
	if (match && acc.mfa_secret[0] && !locked && !second_factor_ok(a, &acc, code, now_ms))
		match = false; /* a wrong code counts like a wrong password */
	if (match && !locked && !acc.disabled && acc.role != AUTHZ_ROLE_NONE) {
		if (!acc.mfa_secret[0] && mfa_required(a, &acc))
			return -EKEYREJECTED;
		login_complete(a, &acc, source, now_ms, out);
		return 0;
	}
	if (!match && !locked)
		account_record_failure(a, &acc, now_ms);
	login_watch_failure(a, name, source, now_ms);
	return -EACCES;
}

int accounts_login(struct accounts *a, const char *name, const char *password, const char *code,
		   const char *source, int64_t now_ms, struct authz_actor *out)
{
	char hash[ACCOUNT_HASH_MAX];
	login_hash(a, name, hash);
	bool match = secret_check_password(password ? password : "", hash);
	return login_checked(a, name, hash, match, code, source, now_ms, out);
}

int accounts_token_actor(struct accounts *a, const char *token, const char *source,
			 struct authz_actor *out)
{
	if (!a || !token || strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
		return -ENOENT;
	char h[65];
	struct account acc;
	secret_sha256_hex(token, h);
	if (account_token_find(a, h, clock_wall_ms(), &acc) < 0)
		return -ENOENT;
	if (acc.disabled || acc.role == AUTHZ_ROLE_NONE)
		return -EACCES;
	account_actor(&acc, source, out);
	return 0;
}
