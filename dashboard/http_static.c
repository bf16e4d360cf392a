/* Pages and assets built into the binary (dashboard/web/ -> generated C).
 *
 * A device's page is served only when the actor may view the device (404 otherwise, as
 * for a device that does not exist).
 *
 * Caching: the pages (/wall, /wall/events, /portal, /status, /devices/ID) are `no-cache`
 * with an ETag, so a reload after an upgrade always revalidates; the pages refer to their assets as
 * /assets/NAME?v=HASH (hash of the content, filled in at build time), and an asset
 * asked for with its current hash is `immutable` for a year.
 */
#include "http_int.h"

#include <stdio.h>
#include <string.h>

#include "dcmon/authz.h"

#define HTTP_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define HTTP_CACHE_REVALIDATE "no-cache"

const struct http_asset *http_asset_find(const char *name)
{
	for (size_t i = 0; i < http_nassets; i++)
		if (strcmp(http_assets[i].name, name) == 0)
			return &http_assets[i];
	return NULL;
}

/* A body-less answer with one header besides Cache-Control (304 + ETag, 302 + Location). */
static enum MHD_Result http_empty(struct MHD_Connection *c, unsigned status, const char *name,
				  const char *value, const char *cache)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, name, value);
	MHD_add_response_header(r, "Cache-Control", cache);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result http_send_asset(struct MHD_Connection *c, const struct http_asset *a,
				       const char *cache)
{
	char etag[40];
	snprintf(etag, sizeof(etag), "\"%s\"", a->hash);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	if (inm && strstr(inm, etag))
		return http_empty(c, MHD_HTTP_NOT_MODIFIED, "ETag", etag, cache);
	return http_reply(c, 200, a->type, a->data, a->len, cache, etag);
}

/* "v=HASH" names the asset's current content. */
static bool http_query_has_hash(const char *query, const char *hash)
{
	return query && strncmp(query, "v=", 2) == 0 && strcmp(query + 2, hash) == 0;
}

/* The page of one device (/devices/ID, /portal/devices/ID): a device that does not exist
 * and one outside the actor's scope answer the same 404 (docs/ACCOUNTS.md). */
static const struct http_asset *http_device_page(struct http_server *s, struct http_conn *hc,
						 const char *id, const char *page)
{
	const struct cfg *cfg = s->env.cfg;
	const struct cfg_device *dev = cfg && *id && !strchr(id, '/') ? cfg_device_find(cfg, id)
								      : NULL;
	if (!dev || authz_device_check(cfg, &hc->actor, AUTHZ_ACT_VIEW, dev) != AUTHZ_ALLOW)
		return NULL;
	return http_asset_find(page);
}

enum MHD_Result http_static(struct http_server *s, struct http_conn *hc, const char *url,
			    const char *query)
{
	struct MHD_Connection *c = hc->c;
	const struct http_asset *a = NULL;
	const char *cache = HTTP_CACHE_REVALIDATE;
	if (strcmp(url, "/") == 0)
		return http_empty(c, MHD_HTTP_FOUND, "Location", "/wall", HTTP_CACHE_REVALIDATE);
	if (strcmp(url, "/wall") == 0)
		a = http_asset_find("wall.html");
	else if (strcmp(url, "/wall/events") == 0) /* data from the scoped event search */
		a = http_asset_find("wall_events.html");
	else if (strcmp(url, "/login") == 0)
		a = http_asset_find("login.html");
	else if (strcmp(url, "/portal") == 0)
		a = http_asset_find("portal.html");
	else if (strcmp(url, "/account") == 0)
		a = http_asset_find("account.html");
	else if (strcmp(url, "/hub") == 0) /* a hub's wall of its sites (docs/MQTT.md) */
		a = http_asset_find("hub.html");
	else if (strcmp(url, "/status") == 0 || strcmp(url, "/status/public") == 0 ||
		 strncmp(url, "/status/s/", 10) == 0) /* data from the status-page API */
		a = http_asset_find("status.html");
	else if (strncmp(url, "/devices/", 9) == 0)
		a = http_device_page(s, hc, url + 9, "device.html");
	else if (strncmp(url, "/portal/devices/", 16) == 0)
		a = http_device_page(s, hc, url + 16, "portal.html");
	else if (strncmp(url, "/assets/", 8) == 0 && !strstr(url + 8, ".html")) {
		a = http_asset_find(url + 8);
		if (a && http_query_has_hash(query, a->hash))
			cache = HTTP_CACHE_IMMUTABLE;
	}
	if (!a)
		return http_reply_error(c, 404, "no such page: %s", url);
	return http_send_asset(c, a, cache);
}
