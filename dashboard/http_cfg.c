/* The daemon's `http:` section: where the dashboard listens, TLS, the write token. */
#include "dcmon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/cfgtree.h"

#define HT(f) offsetof(struct cfg_http, f)
const struct cfg_key http_cfg_keys[] = {
	{.name = "listen", .type = CFGK_STRING, .offset = HT(listen),
	 .expect = "a numeric IPv4 or IPv6 address like 127.0.0.1"},
	{.name = "port", .type = CFGK_INT, .offset = HT(port), .min = 0, .max = 65535},
	{.name = "tls_cert", .type = CFGK_STRING, .offset = HT(tls_cert)},
	{.name = "tls_key", .type = CFGK_STRING, .offset = HT(tls_key)},
	{.name = "token_file", .type = CFGK_STRING, .offset = HT(token_file)},
	{.name = NULL},
};

void http_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_http *h = elem;

	h->port = 8080;
	h->pos = node->pos;
}

/* A numeric address (no name lookups at start-up), and TLS needs both files. */
int http_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_http *h = elem;
	unsigned char buf[sizeof(struct in6_addr)];
	int rc = 0;

	if (h->listen && inet_pton(AF_INET, h->listen, buf) != 1 &&
	    inet_pton(AF_INET6, h->listen, buf) != 1) {
		cfg_error(d, &node->pos, "http: listen: expected a numeric IPv4 or IPv6 address, got '%s'",
			  h->listen);
		rc = -EINVAL;
	}
	if (!h->tls_cert != !h->tls_key) {
		cfg_error(d, &node->pos, "http: tls_cert and tls_key go together (one is missing)");
		rc = -EINVAL;
	}
	return rc;
}

static void http_path_resolve(char **path, const char *dir)
{
	char *abs;

	if (*path == NULL || (*path)[0] == '/' || (*path)[0] == '\0')
		return;
	if (asprintf(&abs, "%s/%s", dir, *path) < 0)
		abort();
	free(*path);
	*path = abs;
}

void http_cfg_resolve(struct cfg_http *h, const char *dir)
{
	if (!h)
		return;
	if (!h->listen && !(h->listen = strdup("127.0.0.1")))
		abort();
	http_path_resolve(&h->tls_cert, dir);
	http_path_resolve(&h->tls_key, dir);
	http_path_resolve(&h->token_file, dir);
}
