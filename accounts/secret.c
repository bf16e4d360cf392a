/* Password hashes (yescrypt through libxcrypt's crypt_r) and API tokens (random, kept
 * as their SHA-256: a 256-bit random token needs no slow hash). */
#include "accounts_int.h"

#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dcmon/digest.h"

int secret_hash_password(const char *password, int cost, char *out, size_t len)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	/* NULL random bytes: libxcrypt draws the salt from the kernel itself */
	if (!crypt_gensalt_rn("$y$", (unsigned long)cost, NULL, 0, salt, sizeof(salt)))
		return -errno ? -errno : -EINVAL;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	const char *h = crypt_r(password, salt, cd);
	int rc = h && h[0] != '*' && strlen(h) < len ? 0 : -EINVAL;
	if (rc == 0)
		snprintf(out, len, "%s", h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

bool secret_check_password(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	const char *h = crypt_r(password, hash, cd);
	size_t n = strlen(hash);
	bool ok = h && h[0] != '*' && strlen(h) == n && CRYPTO_memcmp(h, hash, n) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int secret_random_hex(size_t n, char *out, size_t len)
{
	unsigned char r[64];
	if (n > sizeof(r) || len < 2 * n + 1)
		return -ENOSPC;
	if (getrandom(r, n, 0) != (ssize_t)n)
		return -EIO;
	hex(r, n, out);
	explicit_bzero(r, sizeof(r));
	return 0;
}

int secret_new_token(char *out, size_t len)
{
	size_t pre = sizeof(TOKEN_PREFIX) - 1;
	if (len < pre)
		return -ENOSPC;
	memcpy(out, TOKEN_PREFIX, pre);
	return secret_random_hex(TOKEN_HEX_BYTES, out + pre, len - pre);
}

bool secret_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

void secret_sha256_hex(const char *s, char out[65])
{
	digest_sha256_hex(s, strlen(s), out);
}
