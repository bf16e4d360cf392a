/* The TLS listener's context (RFC 5425): OpenSSL, which dcmond links already for the
 * SMTP notifier's STARTTLS.  TLS 1.2 at least; with tls_ca, clients are asked for a
 * certificate signed by one of those CAs (required with tls_require_client_cert). */
#include "syslog_int.h"

#include <openssl/err.h>
#include <stdio.h>

static void tls_error(char *err, size_t errlen, const char *what, const char *path)
{
	char reason[160];

	ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
	snprintf(err, errlen, "syslog: %s %s: %s", what, path, reason);
}

SSL_CTX *syslog_tls_new(const struct cfg_syslog *c, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		snprintf(err, errlen, "syslog: cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		tls_error(err, errlen, "tls_cert", c->tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		tls_error(err, errlen, "tls_key", c->tls_key);
		goto fail;
	}
	if (c->tls_ca) {
		if (SSL_CTX_load_verify_locations(ctx, c->tls_ca, NULL) != 1) {
			tls_error(err, errlen, "tls_ca", c->tls_ca);
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (c->tls_require_client_cert ?
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
