/* HTTP(S) URL checks: a device's `checks: http:` list (docs/CONFIG.md).  The contract
 * between the config (one CFGK_SEQ row the pollers part adds to a device's checks) and
 * pollers/http.c; the tenant layer decodes a check with http_check_decode().
 *
 *   checks:
 *     http:
 *       - https://10.0.0.5/health
 *       - {url: https://10.0.0.5/, host: www.example.com, status: [200], body: "Welcome",
 *          ca_file: /etc/dcmon/ca.pem, timeout: 3s}
 */
#ifndef DCMON_HTTP_CHECK_H
#define DCMON_HTTP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

enum http_method { HTTP_GET, HTTP_HEAD };

#define HTTP_BODY_MAX_DEFAULT 65536  /* bytes of a body read, default of body_max */
#define HTTP_BODY_MAX_LIMIT   1048576 /* bytes, the largest body_max */

/* One `checks: http:` item.  Decoded and validated: the URL parses and is http or
 * https, every status pattern is "NNN" or "Nxx", the regex compiles. */
struct cfg_http_check {
	char *name;          /* instance label, unique within the device; default the url */
	char *url;           /* http:// or https:// URL */
	enum http_method method; /* GET (default) or HEAD */
	char **status;       /* expected statuses: "200", "2xx"; none = 2xx and 3xx */
	size_t nstatus;
	char *body;          /* substring the body must contain, or NULL */
	char *body_regex;    /* POSIX extended regex the body must match, or NULL */
	int body_max;        /* bytes of the body read at most, default HTTP_BODY_MAX_DEFAULT */
	int64_t timeout_ms;  /* whole request; CFG_UNSET = the device timeout */
	bool tls_verify;     /* verify the server's certificate and name, default true */
	char *ca_file;       /* absolute path of the CA bundle to verify with, or NULL */
	char *host;          /* Host header, TLS SNI and verified name, or NULL (the URL's) */
	char *address;       /* IP address the URL's host is pinned to (CURLOPT_RESOLVE), or
			      * NULL (resolved at each poll); the tenant layer sets it to the
			      * address it validated */
	char **allow;        /* addresses and CIDRs the check may connect to; none = any */
	size_t nallow;
	char **deny;         /* addresses and CIDRs it never connects to */
	size_t ndeny;        /* with allow or deny, the URL's host is resolved at each poll
			      * (libcurl's threaded resolver, off the loop) and an address
			      * refused is not connected to: the point's error names it */
	struct cfg_pos pos;
};

/* The item as a key table, for the CFGK_SEQ row (shorthand: a scalar is the url). */
extern const struct cfg_key http_check_keys[];
void http_check_init(void *elem, const struct cfgnode *node, void *ctx);
int http_check_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* The `checks:` keys the pollers part adds (`http:`, a list the kernel keeps in a slot
 * of the device, CFG_PART_SECTION). */
extern const struct cfg_key http_checks_keys[];
/* The device's `checks: http:` items, *n of them (NULL and 0 when it has none). */
const struct cfg_http_check *http_checks_of(const struct cfg_device *dev, size_t *n);

/* Decodes one check from node (a map, or a scalar URL) into *out, which it zeroes
 * first: defaults, keys, cross-field checks, every error positioned in d.  Returns 0,
 * or -EINVAL after reporting; either way http_check_free(out) releases it.  Any
 * thread. */
int http_check_decode(const struct cfgnode *node, struct cfg_http_check *out,
		      struct cfg_diags *d);
/* The host the check connects to (the URL's, without IPv6 brackets) into host and its
 * port (the scheme's default when the URL has none): 0, or -EINVAL when the URL does not
 * parse.  Any thread. */
int http_check_target(const struct cfg_http_check *c, char *host, size_t hostlen, int *port);
/* Frees what a decode stored in c (not c itself); NULL is a no-op. */
void http_check_free(struct cfg_http_check *c);

#endif
