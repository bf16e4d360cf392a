/* Checking who someone is: a password (with lockout) or an API token, and the password
 * policy. */
#include "accounts_int.h"

#include <errno.h>
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

int accounts_login(struct accounts *a, const char *name, const char *password,
		   const char *source, int64_t now_ms, struct authz_actor *out)
{
	struct account acc;
	bool known = name && account_get(a, name, &acc) == 0;
	/* the same yescrypt work for a missing user: the answer's time says nothing */
	bool match = secret_check_password(password ? password : "",
					   known ? acc.hash : a->dummy_hash);
	if (!known)
		return -EACCES;
	bool locked = acc.locked_until_ms > now_ms;
	if (match && !locked && !acc.disabled && acc.role != AUTHZ_ROLE_NONE) {
		account_record_login(a, acc.name, now_ms);
		account_actor(&acc, source, out);
		return 0;
	}
	if (!match && !locked)
		account_record_failure(a, &acc, now_ms);
	return -EACCES;
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
