/* A device's `facility:` section (dcmon/facility.h, docs/FACILITY.md): its keys, kept by
 * the kernel in a slot of the device, and the defaults a device without one reads. */
#include <math.h>

#include "dcmon/facility.h"

#define FAC(f) offsetof(struct cfg_facility, f)

/* Every key unset: what facility_cfg_of gives a device without the section. */
static const struct cfg_facility facility_cfg_unset = {
    .tank_liters = NAN, .rating_kw = NAN, .takeover_ms = CFG_UNSET, .temp_limit = NAN,
    .frozen_polls = 0, .burn_window_ms = 30 * 60000};

static void facility_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)node;
	(void)ctx;
	*(struct cfg_facility *)elem = facility_cfg_unset;
}

static const struct cfg_key facility_keys[] = {
    {.name = "tank_liters", .type = CFGK_DOUBLE, .offset = FAC(tank_liters), .min = 1,
     .max = 1e7},
    {.name = "rating_kw", .type = CFGK_DOUBLE, .offset = FAC(rating_kw), .min = 1, .max = 1e5},
    {.name = "takeover", .type = CFGK_DURATION, .offset = FAC(takeover_ms), .min = 1,
     .max = 3600000},
    {.name = "temp_limit", .type = CFGK_DOUBLE, .offset = FAC(temp_limit), .min = -50,
     .max = 200},
    {.name = "frozen_polls", .type = CFGK_INT, .offset = FAC(frozen_polls), .min = 0,
     .max = 100000},
    {.name = "burn_window", .type = CFGK_DURATION, .offset = FAC(burn_window_ms),
     .min = 60000, .max = 86400000},
    {.name = "standby", .type = CFGK_BOOL, .offset = FAC(standby)},
    {.name = NULL},
};

/* Predictions and data quality only: the device polls, and is compared on reload, as
 * without it. */
const struct cfg_key facility_device_keys[] = {
    {.name = "facility", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = facility_keys,
     .elem_size = sizeof(struct cfg_facility), .init = facility_cfg_init, .poll_neutral = true},
    {.name = NULL},
};

const struct cfg_facility *facility_cfg_of(const struct cfg_device *dev)
{
	const struct cfg_facility *fac = cfg_device_section(dev, "facility");
	return fac ? fac : &facility_cfg_unset;
}
