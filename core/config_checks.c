/* `checks:` of a device: ping, processes, resources. */
#include "config_int.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define DEV(f) offsetof(struct cfg_device, f)
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

int cfg_regex_check(const char *pattern, const struct cfgnode *node, const char *key,
                    struct cfg_diags *d)
{
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc == 0) {
		regfree(&re);
		return 0;
	}
	char msg[128];
	regerror(rc, &re, msg, sizeof(msg));
	cfg_error(d, cfg_key_pos(node, key), "%s: invalid regular expression: %s", key, msg);
	return -EINVAL;
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

/* Offsets are relative to struct cfg_device: `checks:` is decoded into the device.  The
 * parts' checks (`http:`) are appended by cfg_parts_attach. */
struct cfg_key cfg_check_keys[CFG_CHECK_KEYS_MAX] = {
    {.name = "ping",
     .type = CFGK_SECTION,
     .offset = DEV(ping),
     .sub = ping_keys,
     .elem_size = sizeof(struct cfg_ping),
     .init = ping_init},
    {.name = "process",
     .type = CFGK_SEQ,
     .offset = DEV(process),
     .count_offset = DEV(nprocess),
     .sub = process_keys,
     .elem_size = sizeof(struct cfg_process),
     .shorthand = "name",
     .init = process_init,
     .check = process_check,
     .what = "process check"},
    {.name = "resources", .type = CFGK_ENUM, .offset = DEV(resources), .names = resources_names},
    {.name = NULL},
};
