/* A device's `address_guard:` (dcmon/addr_guard.h): its keys and their check. */
#include "dcmon/addr_guard.h"

#include <errno.h>

#include "dcmon/config_keys.h"
#include "dcmon/netaddr.h"
#include "pollers.h"

void addr_ranges_check(char **list, size_t n, const struct cfgnode *map, const char *key,
		       struct cfg_diags *d)
{
	for (size_t i = 0; i < n; i++) {
		struct net_addr net;
		int bits;
		if (net_cidr_parse(list[i], &net, &bits) < 0)
			cfg_error(d, &cfg_list_item(map, key, i)->pos,
				  "%s: '%s' is not an address or a CIDR range (10.0.0.0/24)", key,
				  list[i]);
	}
}

static int addr_guard_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			    void *ctx)
{
	(void)ctx;
	struct cfg_addr_guard *g = elem;
	size_t before = d->nerrors;
	addr_ranges_check(g->allow, g->nallow, node, "allow", d);
	addr_ranges_check(g->deny, g->ndeny, node, "deny", d);
	return d->nerrors > before ? -EINVAL : 0;
}

#define AG(f) offsetof(struct cfg_addr_guard, f)
static const struct cfg_key addr_guard_keys[] = {
    {.name = "allow", .type = CFGK_STRLIST, .offset = AG(allow), .count_offset = AG(nallow),
     .expect = "a list of addresses and CIDR ranges"},
    {.name = "deny", .type = CFGK_STRLIST, .offset = AG(deny), .count_offset = AG(ndeny),
     .expect = "a list of addresses and CIDR ranges"},
    {.name = NULL},
};

const struct cfg_key addr_guard_device_keys[] = {
    {.name = "address_guard", .type = CFGK_SECTION, .offset = CFG_PART_SECTION,
     .sub = addr_guard_keys, .elem_size = sizeof(struct cfg_addr_guard),
     .check = addr_guard_check},
    {.name = NULL},
};

const struct cfg_addr_guard *addr_guard_of(const struct cfg_device *dev)
{
	return cfg_device_section(dev, "address_guard");
}
