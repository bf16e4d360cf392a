/* SHA-256 as hex (dcmon/digest.h). */
#include "dcmon/digest.h"

#include <openssl/evp.h>

void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != sizeof(md)) {
		out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[DIGEST_HEX_LEN] = '\0';
}
