/* `checks: http:` items: their keys, defaults and validation (dcmon/http_check.h).
 * The URL is parsed here with libcurl's own parser, so a URL the poller could not
 * request is refused at its file:line:col, not at the first poll. */
#include "dcmon/http_check.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/config_keys.h"
#include "dcmon/metric.h"
#include "dcmon/netaddr.h"
#include "pollers.h"

#define HC(f) offsetof(struct cfg_http_check, f)

static const char *const method_names[] = {
    [HTTP_GET] = "GET",
    [HTTP_HEAD] = "HEAD",
    NULL,
};

const struct cfg_key http_check_keys[] = {
    {.name = "url", .type = CFGK_STRING, .offset = HC(url), .required = true,
     .expect = "an http:// or https:// URL"},
    {.name = "name", .type = CFGK_STRING, .offset = HC(name)},
    {.name = "method", .type = CFGK_ENUM, .offset = HC(method), .names = method_names},
    {.name = "status", .type = CFGK_STRLIST, .offset = HC(status), .count_offset = HC(nstatus),
     .expect = "a list of statuses: 200, \"2xx\""},
    {.name = "body", .type = CFGK_STRING, .offset = HC(body)},
    {.name = "body_regex", .type = CFGK_STRING, .offset = HC(body_regex),
     .expect = "a POSIX extended regular expression"},
    {.name = "body_max", .type = CFGK_INT, .offset = HC(body_max), .min = 1,
     .max = HTTP_BODY_MAX_LIMIT},
    {.name = "timeout", .type = CFGK_DURATION, .offset = HC(timeout_ms), .min = 1, .max = 600000},
    {.name = "tls_verify", .type = CFGK_BOOL, .offset = HC(tls_verify)},
    {.name = "ca_file", .type = CFGK_STRING, .offset = HC(ca_file)},
    {.name = "host", .type = CFGK_STRING, .offset = HC(host)},
    {.name = "address", .type = CFGK_STRING, .offset = HC(address),
     .expect = "an IPv4 or IPv6 address"},
    {.name = "allow", .type = CFGK_STRLIST, .offset = HC(allow), .count_offset = HC(nallow),
     .expect = "a list of addresses and CIDR ranges"},
    {.name = "deny", .type = CFGK_STRLIST, .offset = HC(deny), .count_offset = HC(ndeny),
     .expect = "a list of addresses and CIDR ranges"},
    {.name = NULL},
};

void http_check_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_http_check *c = elem;
	c->method = HTTP_GET;
	c->body_max = HTTP_BODY_MAX_DEFAULT;
	c->timeout_ms = CFG_UNSET;
	c->tls_verify = true;
	c->pos = node->pos;
}

/* "200" or "2xx": three characters, a digit 1-5 first, then digits or "xx". */
static bool status_pattern_valid(const char *s)
{
	if (strlen(s) != 3 || s[0] < '1' || s[0] > '5')
		return false;
	if (s[1] == 'x' && s[2] == 'x')
		return true;
	return s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9';
}

static bool address_valid(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The URL parses (libcurl's parser) and its scheme is http or https. */
static int url_check(const struct cfg_http_check *c, const struct cfgnode *node,
		     struct cfg_diags *d)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int rc = 0;
	if (u == NULL)
		abort();
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, c->url, 0);
	if (uc != CURLUE_OK) {
		cfg_error(d, cfg_key_pos(node, "url"), "url: '%s' is not a URL: %s", c->url,
			  curl_url_strerror(uc));
		rc = -EINVAL;
	} else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		   (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		cfg_error(d, cfg_key_pos(node, "url"), "url: '%s': expected an http:// or https:// URL",
			  c->url);
		rc = -EINVAL;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* Everything but the URL: statuses, body keys, paths, the name's length. */
static void fields_check(const struct cfg_http_check *c, const struct cfgnode *node,
			 struct cfg_diags *d)
{
	for (size_t i = 0; i < c->nstatus; i++)
		if (!status_pattern_valid(c->status[i]))
			cfg_error(d, &cfg_list_item(node, "status", i)->pos,
				  "status: '%s' is not a status (expected 100..599 or 1xx..5xx)",
				  c->status[i]);
	if (c->body && c->body_regex)
		cfg_error(d, cfg_key_pos(node, "body_regex"),
			  "body_regex: give body or body_regex, not both");
	if (c->body_regex)
		cfg_regex_check(c->body_regex, node, "body_regex", d);
	if (c->ca_file && c->ca_file[0] != '/') /* relative: without a config file's dir */
		cfg_error(d, cfg_key_pos(node, "ca_file"), "ca_file: expected an absolute path");
	if (c->address && !address_valid(c->address))
		cfg_error(d, cfg_key_pos(node, "address"),
			  "address: '%s' is not an IPv4 or IPv6 address", c->address);
	addr_ranges_check(c->allow, c->nallow, node, "allow", d);
	addr_ranges_check(c->deny, c->ndeny, node, "deny", d);
	if (c->name && (c->name[0] == '\0' || strlen(c->name) >= METRIC_INST_MAX))
		cfg_error(d, cfg_key_pos(node, "name"), "name: expected 1..%d characters",
			  METRIC_INST_MAX - 1);
	if (c->name == NULL && c->url && strlen(c->url) >= METRIC_INST_MAX)
		cfg_error(d, cfg_key_pos(node, "url"),
			  "url: longer than %d characters: give the check a name", METRIC_INST_MAX - 1);
}

int http_check_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_http_check *c = elem;
	size_t before = d->nerrors;
	if (c->url == NULL)
		return -EINVAL; /* reported as a missing required key */
	cfg_path_resolve(&c->ca_file, cfg_ctx_dir(ctx));
	url_check(c, node, d);
	fields_check(c, node, d);
	if (d->nerrors > before)
		return -EINVAL;
	if (c->name == NULL && (c->name = strdup(c->url)) == NULL)
		abort();
	return 0;
}

int http_check_decode(const struct cfgnode *node, struct cfg_http_check *out,
		      struct cfg_diags *d)
{
	memset(out, 0, sizeof(*out));
	return cfg_decode_item(&http_checks_keys[0], node, out, d, NULL);
}

int http_check_target(const struct cfg_http_check *c, char *host, size_t hostlen, int *port)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;
	int rc = -EINVAL;
	if (u == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, c->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		size_t n = strlen(h);
		bool bracketed = n >= 2 && h[0] == '[' && h[n - 1] == ']';
		snprintf(host, hostlen, "%.*s", (int)(bracketed ? n - 2 : n), h + bracketed);
		*port = atoi(p);
		rc = 0;
	}
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

void http_check_free(struct cfg_http_check *c)
{
	if (c != NULL)
		cfg_fields_free(http_check_keys, c);
}

const struct cfg_key http_checks_keys[] = {
    CFG_CHECK_LIST("http", struct cfg_http_check, http_check_keys, .shorthand = "url",
                   .init = http_check_init, .check = http_check_check),
    {.name = NULL},
};
