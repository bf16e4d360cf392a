/* SHA-256 as hex (OpenSSL's libcrypto): the audit log's hash chain, token and session
 * hashes.  Any thread. */
#ifndef DCMON_DIGEST_H
#define DCMON_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN 64 /* hex digits of a SHA-256 */

/* SHA-256 of len bytes of data as 64 lowercase hex digits into out[65] ("" if libcrypto
 * fails, which matches no stored hash). */
void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1]);

#endif
