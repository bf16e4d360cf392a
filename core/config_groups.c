/* `groups:` (N+1 redundancy groups) and their cross checks: members must be devices,
 * `need` at most the member count, ids distinct from device ids, and fed_by cycles
 * through groups (a device fed by a group one of whose members it feeds) are reported
 * with file:line. */
#include "config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_index.h"

#define GRP(f) offsetof(struct cfg_group, f)

const struct cfg_key cfg_group_keys[] = {
    {.name = "id", .type = CFGK_STRING, .offset = GRP(id), .required = true},
    {.name = "members",
     .type = CFGK_STRLIST,
     .offset = GRP(members),
     .count_offset = GRP(nmembers),
     .required = true,
     .expect = "a list of device ids"},
    {.name = "need", .type = CFGK_INT, .offset = GRP(need), .min = 1, .max = 1000},
    {.name = NULL},
};

void cfg_group_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	struct cfg_group *g = elem;
	g->need = 0; /* 0 = default, resolved in the check */
	g->pos = node->pos;
}

int cfg_group_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	(void)ctx;
	struct cfg_group *g = elem;
	if (g->id && !cfg_id_valid(g->id)) {
		cfg_error(d, cfg_key_pos(node, "id"), "id: '%s' is not a valid group id", g->id);
		return -EINVAL;
	}
	if (g->need == 0)
		g->need = g->nmembers > 1 ? (int)g->nmembers - 1 : 1;
	if ((size_t)g->need > g->nmembers) {
		cfg_error(d, cfg_key_pos(node, "need"),
		          "need: group '%s' needs %d but has only %zu members", g->id ? g->id : "?",
		          g->need, g->nmembers);
		return -EINVAL;
	}
	return 0;
}

const struct cfg_group *cfg_group_find(const struct cfg *cfg, const char *id)
{
	for (size_t i = 0; id != NULL && i < cfg->ngroups; i++) {
		if (cfg->groups[i].id && strcmp(cfg->groups[i].id, id) == 0)
			return &cfg->groups[i];
	}
	return NULL;
}

/* Members must be devices; group ids must not be device ids. */
static void group_refs(const struct cfg *cfg, size_t i, const struct cfgnode *node,
                       struct cfg_diags *d)
{
	const struct cfg_group *g = &cfg->groups[i];
	if (g->id && cfg_device_find(cfg, g->id))
		cfg_error(d, cfg_key_pos(node, "id"), "id: group '%s' has the id of a device",
		          g->id);
	for (size_t k = 0; k < i; k++)
		if (g->id && cfg->groups[k].id && strcmp(cfg->groups[k].id, g->id) == 0)
			cfg_error(d, cfg_key_pos(node, "id"),
			          "duplicate group id '%s' (first defined at line %d)", g->id,
			          cfg->groups[k].pos.line);
	for (size_t m = 0; m < g->nmembers; m++)
		if (!cfg_device_find(cfg, g->members[m]))
			cfg_error(d, &cfg_list_item(node, "members", m)->pos,
			          "members: unknown device '%s'", g->members[m]);
}

/* Index of node `id` among devices (0..ndevices-1) then groups; -1 if unknown. */
static ssize_t node_of(const struct cfg *cfg, const struct cfg_index *x, const char *id)
{
	ssize_t i = cfg_index_find(x, id);
	if (i >= 0)
		return i;
	const struct cfg_group *g = cfg_group_find(cfg, id);
	return g ? (ssize_t)(cfg->ndevices + (size_t)(g - cfg->groups)) : -1;
}

/* True if device `target` is upstream of (feeds, possibly through groups) group g.
 * Breadth-first over fed_by and group membership, each node once. */
static bool group_fed_by(const struct cfg *cfg, const struct cfg_index *x, size_t g,
                         size_t target)
{
	size_t n = cfg->ndevices + cfg->ngroups;
	size_t *queue = calloc(n + 1, sizeof(*queue));
	bool *seen = calloc(n + 1, sizeof(*seen));
	if (!queue || !seen)
		abort();
	size_t head = 0, tail = 0;
	bool found = false;
	queue[tail++] = g;
	seen[g] = true;
	while (head < tail && !found) {
		size_t v = queue[head++];
		char **up = v < cfg->ndevices ? cfg->devices[v].fed_by
		                              : cfg->groups[v - cfg->ndevices].members;
		size_t nup = v < cfg->ndevices ? cfg->devices[v].nfed_by
		                               : cfg->groups[v - cfg->ndevices].nmembers;
		for (size_t j = 0; j < nup && !found; j++) {
			ssize_t u = node_of(cfg, x, up[j]);
			if (u < 0 || seen[u])
				continue;
			found = (size_t)u == target;
			seen[u] = true;
			queue[tail++] = (size_t)u;
		}
	}
	free(queue);
	free(seen);
	return found;
}

static void group_cycles(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	const struct cfg_index *x = cfg->device_index;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *dev = &cfg->devices[i];
		for (size_t j = 0; dev->id && j < dev->nfed_by; j++) {
			const struct cfg_group *g = cfg_group_find(cfg, dev->fed_by[j]);
			if (!g || !group_fed_by(cfg, x, cfg->ndevices + (size_t)(g - cfg->groups), i))
				continue;
			const struct cfgnode *node = cfg_section_item(root, "devices", i);
			const struct cfgnode *item = node ? cfg_list_item(node, "fed_by", j) : NULL;
			cfg_error(d, item ? &item->pos : &dev->pos,
			          "fed_by cycle: %s -> group %s -> ... -> %s", dev->id, g->id, dev->id);
		}
	}
}

void cfg_validate_groups(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct cfgnode *node = cfg_section_item(root, "groups", i);
		if (node && node->type == CFGNODE_MAP)
			group_refs(cfg, i, node, d);
	}
	group_cycles(cfg, root, d);
}
