/* SMTPS (implicit TLS on connect, port 465) for libesmtp, which only speaks STARTTLS:
 * the delivery worker opens the verified TLS connection to the relay itself and lets
 * libesmtp speak plain SMTP to a one-shot loopback listener whose single connection is
 * relayed over that TLS connection for the length of one session.
 * Private to the notifier (alerting/notify_smtp.c).
 */
#ifndef DCMON_NOTIFY_TLS_BRIDGE_H
#define DCMON_NOTIFY_TLS_BRIDGE_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

struct notify_tls_bridge;

/* A TLS client context: TLS 1.2 or later, the peer certificate verified against ca_file
 * (PEM bundle) or the system store when ca_file is NULL; verify (may be NULL) sees
 * every verification step.  NULL if the CA cannot be loaded (caller frees). */
SSL_CTX *notify_tls_ctx_new(const char *ca_file, SSL_verify_cb verify);

/* Splits "host:port" or "[v6-address]:port" into host and port (bounded copies).
 * 0, or -EINVAL when there is no port or a part does not fit. */
int notify_tls_split_hostport(const char *hostport, char *host, size_t hostlen, char *port,
                              size_t portlen);

/* Connects to hostport within timeout_ms (ms), completes the TLS handshake (SNI = the
 * host name; the certificate must chain to ca_file or the system store and name the
 * host: DNS name or IP address) and starts relaying: the loopback address
 * notify_tls_bridge_addr() accepts exactly one connection, whose bytes go to and come
 * from the relay until either side closes, the bridge is stopped, or nothing moves for
 * timeout_ms plus a second.  On failure nothing is left open, *out is NULL, why says
 * what went wrong ("connect to ...: Connection refused", "server certificate of ... does
 * not verify: ...", "TLS handshake with ... failed: ...") and the result is -ECONNREFUSED
 * (or another connect errno), -ETIMEDOUT, -EPROTO (TLS), -EINVAL (address or CA file),
 * -ENOENT (name not resolved) or -ENOMEM.  Blocking: call on a worker thread. */
int notify_tls_bridge_open(const char *hostport, const char *ca_file, long timeout_ms,
                           struct notify_tls_bridge **out, char *why, size_t whylen);

/* "127.0.0.1:PORT", for smtp_set_server(); valid until notify_tls_bridge_free(). */
const char *notify_tls_bridge_addr(const struct notify_tls_bridge *b);

/* Stops relaying (idempotent).  True if the relay failed (TLS error, idle too long);
 * then its reason is copied to why (when why is not NULL). */
bool notify_tls_bridge_stop(struct notify_tls_bridge *b, char *why, size_t whylen);

/* Stops relaying, sends close_notify when the TLS connection is still sound, closes
 * every socket and frees the TLS objects.  NULL is a no-op. */
void notify_tls_bridge_free(struct notify_tls_bridge *b);

#endif
