/* A device's `checks: plugin:` list (dcmon/plugin_check.h): its keys, defaults and
 * checks, brought to the config by the plugin poller's ops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/config_keys.h"
#include "dcmon/plugin_check.h"

#define PLUG(f) offsetof(struct cfg_plugin, f)

static void plugin_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_plugin *p = elem;
	p->timeout_ms = CFG_UNSET;
	p->pos = node->pos;
}

/* The command runs without a shell and without PATH: its program must be an absolute
 * path; the name defaults to the program's basename. */
static int plugin_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_plugin *p = elem;
	if (p->ncommand == 0 || p->command[0][0] != '/') {
		cfg_error(d, cfg_key_pos(node, "command"),
		          "command: expected an absolute path to the plugin, then its arguments");
		return -EINVAL;
	}
	if (p->name == NULL) {
		const char *slash = strrchr(p->command[0], '/');
		p->name = strdup(slash + 1);
		if (p->name == NULL)
			abort();
	}
	return 0;
}

static const struct cfg_key plugin_keys[] = {
    {.name = "name", .type = CFGK_STRING, .offset = PLUG(name)},
    {.name = "command",
     .type = CFGK_STRLIST,
     .offset = PLUG(command),
     .count_offset = PLUG(ncommand),
     .required = true,
     .expect = "a list: the plugin's absolute path, then its arguments"},
    {.name = "timeout", .type = CFGK_DURATION, .offset = PLUG(timeout_ms), .min = 1, .max = 600000},
    {.name = NULL},
};

/* Two plugins of one name would report into the same metrics: the kernel refuses the
 * second at its position, as for every part's list with a `name` key. */
const struct cfg_key plugin_checks_keys[] = {
    CFG_CHECK_LIST("plugin", struct cfg_plugin, plugin_keys, .shorthand = "command",
                   .init = plugin_init, .check = plugin_check),
    {.name = NULL},
};

const struct cfg_plugin *plugin_checks_of(const struct cfg_device *dev, size_t *n)
{
	return cfg_device_list(dev, "plugin", n);
}
