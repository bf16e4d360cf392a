/* The daemon's `http:` section: where the dashboard listens, TLS, the write token, and
 * the limits that keep one client from taking the server (docs/CONFIG.md). */
#include "dcmon/http.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/authz.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config_keys.h"

#define HT(f) offsetof(struct cfg_http, f)
const struct cfg_key http_cfg_keys[] = {
	{.name = "listen", .type = CFGK_STRING, .offset = HT(listen),
	 .expect = "a numeric IPv4 or IPv6 address like 127.0.0.1"},
	{.name = "port", .type = CFGK_INT, .offset = HT(port), .min = 0, .max = 65535},
	{.name = "tls_cert", .type = CFGK_STRING, .offset = HT(tls_cert)},
	{.name = "tls_key", .type = CFGK_STRING, .offset = HT(tls_key)},
	{.name = "token_file", .type = CFGK_STRING, .offset = HT(token_file)},
	{.name = "max_connections", .type = CFGK_INT, .offset = HT(max_connections), .min = 16,
	 .max = 65536},
	{.name = "max_connections_per_address", .type = CFGK_INT,
	 .offset = HT(max_connections_per_address), .min = 1, .max = 65536},
	{.name = "idle_timeout", .type = CFGK_DURATION, .offset = HT(idle_timeout_ms), .min = 1000,
	 .max = 3600000},
	{.name = "max_streams", .type = CFGK_INT, .offset = HT(max_streams), .min = 1, .max = 65536},
	{.name = "max_streams_per_address", .type = CFGK_INT, .offset = HT(max_streams_per_address),
	 .min = 1, .max = 65536},
	{.name = "stream_idle_timeout", .type = CFGK_DURATION, .offset = HT(stream_idle_timeout_ms),
	 .min = 1000, .max = 3600000},
	{.name = "stream_queue_max", .type = CFGK_INT, .offset = HT(stream_queue_max),
	 .min = 65536, .max = 1 << 30, .expect = "bytes"},
	{.name = "max_body", .type = CFGK_INT, .offset = HT(max_body), .min = 1024, .max = 64 << 20,
	 .expect = "bytes"},
	{.name = "auth_fail_limit", .type = CFGK_INT, .offset = HT(auth_fail_limit), .min = 1,
	 .max = 1000000},
	{.name = "auth_fail_window", .type = CFGK_DURATION, .offset = HT(auth_fail_window_ms),
	 .min = 1000, .max = 86400000},
	{.name = "anonymous", .type = CFGK_ENUM, .offset = HT(anonymous),
	 .names = authz_anonymous_names},
	{.name = NULL},
};

void http_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	*(struct cfg_http *)elem = (struct cfg_http){
	    .port = 8080,
	    .max_connections = 1024,
	    .max_connections_per_address = 128,
	    .idle_timeout_ms = 30000,
	    .max_streams = 256,
	    .max_streams_per_address = 16,
	    .stream_idle_timeout_ms = 30000,
	    .stream_queue_max = 8 << 20,
	    .max_body = 1 << 20,
	    .auth_fail_limit = 10,
	    .auth_fail_window_ms = 60000,
	    .pos = node->pos,
	};
}

/* A limit that must stay below another: `key` (at its position) against `than`. */
static int http_cfg_below(const struct cfgnode *node, struct cfg_diags *d, const char *key,
			  int v, const char *than, int limit, bool equal_ok)
{
	if (v < limit || (equal_ok && v == limit))
		return 0;
	cfg_error(d, cfg_key_pos(node, key), "http: %s %d must be %s %s (%d)%s", key, v,
		  equal_ok ? "at most" : "below", than, limit,
		  equal_ok ? "" : ": streams must leave connections to the wall and the API");
	return -EINVAL;
}

/* Streams are connections, and must never take every connection slot. */
static int http_cfg_check_limits(const struct cfg_http *h, const struct cfgnode *node,
				 struct cfg_diags *d)
{
	int rc = http_cfg_below(node, d, "max_connections_per_address",
				h->max_connections_per_address, "max_connections",
				h->max_connections, true);
	rc |= http_cfg_below(node, d, "max_streams", h->max_streams, "max_connections",
			     h->max_connections, false);
	rc |= http_cfg_below(node, d, "max_streams_per_address", h->max_streams_per_address,
			     "max_streams", h->max_streams, true);
	rc |= http_cfg_below(node, d, "max_streams_per_address", h->max_streams_per_address,
			     "max_connections_per_address", h->max_connections_per_address, false);
	return rc ? -EINVAL : 0;
}

/* A numeric address (no name lookups at start-up), and TLS needs both files. */
int http_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_http *h = elem;
	int rc = 0;

	if (h->listen && !cfg_ip_literal_valid(h->listen)) {
		cfg_error(d, &node->pos, "http: listen: expected a numeric IPv4 or IPv6 address, got '%s'",
			  h->listen);
		rc = -EINVAL;
	}
	if (!h->tls_cert != !h->tls_key) {
		cfg_error(d, &node->pos, "http: tls_cert and tls_key go together (one is missing)");
		rc = -EINVAL;
	}
	if (http_cfg_check_limits(h, node, d) < 0)
		rc = -EINVAL;
	return rc;
}

void http_cfg_resolve(struct cfg_http *h, const char *dir)
{
	if (!h)
		return;
	if (!h->listen && !(h->listen = strdup("127.0.0.1")))
		abort();
	cfg_path_resolve(&h->tls_cert, dir);
	cfg_path_resolve(&h->tls_key, dir);
	cfg_path_resolve(&h->token_file, dir);
}
