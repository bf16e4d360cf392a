/* The events part: the `syslog:` (receiver) and `events:` (store) sections of
 * `daemon:`, and the search endpoint of the event store. */
#include <stddef.h>

#include "events_int.h"
#include "dcmon/part.h"
#include "dcmon/syslog.h"

#define DM(f) offsetof(struct cfg_daemon, f)

static const struct cfg_key daemon_keys[] = {
    {.name = "syslog", .type = CFGK_SECTION, .offset = DM(syslog), .sub = syslog_cfg_keys,
     .elem_size = sizeof(struct cfg_syslog), .init = syslog_cfg_init, .check = syslog_cfg_check},
    {.name = "events", .type = CFGK_SECTION, .offset = DM(events), .sub = events_cfg_keys,
     .elem_size = sizeof(struct cfg_events), .init = events_cfg_init},
    {.name = NULL},
};

static void daemon_resolve(struct cfg_daemon *dm, const char *dir)
{
	syslog_cfg_resolve(dm->syslog, dir);
	events_cfg_resolve(&dm->events, dm->syslog != NULL, dm->state_dir, dir);
}

static const char *const search_params[] = {"from", "to", "device", "tenant", "site", "source",
					    "program", "kind", "severity", "flag", "text", "limit",
					    "before", "after", NULL};

static const struct api_route routes[] = {
	{"GET", "/api/v1/events/search", false, api_get_event_search, search_params, false, false,
	 AUTHZ_ACT_VIEW},
	{.method = NULL},
};

const struct dcmon_part events_part = {
	.name = "events",
	.daemon_keys = daemon_keys,
	.daemon_resolve = daemon_resolve,
	.routes = routes,
};
