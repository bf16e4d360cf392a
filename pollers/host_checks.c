/* A device's `checks:` ping, process and resources (dcmon/host_checks.h): their keys,
 * defaults and checks, the pollers part's own `checks:` keys. */
#include "dcmon/host_checks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/config_keys.h"

#define PING(f) offsetof(struct cfg_ping, f)
#define PROC(f) offsetof(struct cfg_process, f)

static void ping_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_ping *p = elem;
	p->count = 3;
	p->timeout_ms = CFG_UNSET;
	p->spacing_ms = 200;
	p->size = 56;
}

static const struct cfg_key ping_keys[] = {
    {.name = "count", .type = CFGK_INT, .offset = PING(count), .min = 1, .max = 100},
    {.name = "timeout", .type = CFGK_DURATION, .offset = PING(timeout_ms), .min = 1, .max = 60000},
    {.name = "spacing", .type = CFGK_DURATION, .offset = PING(spacing_ms), .min = 0, .max = 10000},
    {.name = "size", .type = CFGK_INT, .offset = PING(size), .min = 0, .max = 1472},
    {.name = NULL},
};

static void process_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_process *p = elem;
	p->min = 1;
	p->pos = node->pos;
}

static int process_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_process *p = elem;
	if (p->name == NULL && p->pattern == NULL) {
		cfg_error(d, &node->pos, "process: expected a name or a pattern");
		return -EINVAL;
	}
	if (p->pattern != NULL && cfg_regex_check(p->pattern, node, "pattern", d) < 0)
		return -EINVAL;
	if (p->label == NULL) {
		p->label = strdup(p->name ? p->name : p->pattern);
		if (p->label == NULL)
			abort();
	}
	return 0;
}

static const struct cfg_key process_keys[] = {
    {.name = "name", .type = CFGK_STRING, .offset = PROC(name)},
    {.name = "pattern",
     .type = CFGK_STRING,
     .offset = PROC(pattern),
     .expect = "a POSIX extended regular expression"},
    {.name = "label", .type = CFGK_STRING, .offset = PROC(label)},
    {.name = "min", .type = CFGK_INT, .offset = PROC(min), .min = 0, .max = 100000},
    {.name = NULL},
};

static const char *const resources_names[] = {
    [RES_NONE] = "none",
    [RES_LOCAL] = "local",
    [RES_SNMP] = "snmp",
    NULL,
};

_Static_assert(sizeof(enum cfg_resources) == sizeof(int), "CFGK_ENUM writes an int");

/* Each in a slot of the device (CFG_PART_SECTION): ping's section, process's items and
 * count, resources' value. */
const struct cfg_key host_checks_keys[] = {
    {.name = "ping",
     .type = CFGK_SECTION,
     .offset = CFG_PART_SECTION,
     .sub = ping_keys,
     .elem_size = sizeof(struct cfg_ping),
     .init = ping_init},
    /* `name` matches processes (two may match one name); `label` names the metric */
    CFG_CHECK_LIST("process", struct cfg_process, process_keys, .shorthand = "name",
                   .init = process_init, .check = process_check, .names_repeat = true),
    {.name = "resources", .type = CFGK_ENUM, .offset = CFG_PART_SECTION, .names = resources_names},
    {.name = NULL},
};

void ping_device_check(const struct cfg_device *dev, const struct cfgnode *node,
		       struct cfg_diags *d)
{
	if (ping_check_of(dev) != NULL && dev->host == NULL)
		cfg_error(d, cfg_key_pos(node, "checks"), "ping: device '%s' has no host", dev->id);
}

void ping_device_resolve(struct cfg_device *dev)
{
	void **slot = cfg_device_slot(dev, "ping");
	struct cfg_ping *p = slot ? *slot : NULL;
	if (p != NULL && p->timeout_ms == CFG_UNSET)
		p->timeout_ms = dev->timeout_ms;
}

const struct cfg_ping *ping_check_of(const struct cfg_device *dev)
{
	return cfg_device_section(dev, "ping");
}

const struct cfg_process *process_checks_of(const struct cfg_device *dev, size_t *n)
{
	return cfg_device_list(dev, "process", n);
}

enum cfg_resources resources_of(const struct cfg_device *dev)
{
	const union cfg_part_value *v = cfg_device_value(dev, "resources");
	return v ? (enum cfg_resources)v->i : RES_NONE;
}
