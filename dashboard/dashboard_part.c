/* The dashboard part: the `http:` section of `daemon:` (the web server and the wall).
 * Its endpoints beyond the JSON API (the wall, events, graphs) are its own server's. */
#include <stddef.h>

#include "dcmon/http.h"
#include "dcmon/part.h"

#define DM(f) offsetof(struct cfg_daemon, f)

static const struct cfg_key daemon_keys[] = {
    {.name = "http", .type = CFGK_SECTION, .offset = DM(http), .sub = http_cfg_keys,
     .elem_size = sizeof(struct cfg_http), .init = http_cfg_init, .check = http_cfg_check},
    {.name = NULL},
};

static void daemon_resolve(struct cfg_daemon *dm, const char *dir)
{
	http_cfg_resolve(dm->http, dir);
}

const struct dcmon_part dashboard_part = {
	.name = "dashboard",
	.daemon_keys = daemon_keys,
	.daemon_resolve = daemon_resolve,
};
