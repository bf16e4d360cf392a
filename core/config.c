/* Loading the daemon configuration: parse, decode by key tables, resolve defaults and
 * paths, validate cross references; all errors reported with file:line:col. */
#include "dcmon/config.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "config_index.h"

#define CFG(f) offsetof(struct cfg, f)

static const struct cfg_key top_keys[] = {
    {.name = "daemon", .type = CFGK_STRUCT, .offset = CFG(daemon), .sub = cfg_daemon_keys,
     .check = cfg_daemon_check},
    {.name = "sites",
     .type = CFGK_SEQ,
     .offset = CFG(sites),
     .count_offset = CFG(nsites),
     .sub = cfg_site_keys,
     .elem_size = sizeof(struct cfg_site),
     .what = "site",
     .init = cfg_site_init},
    {.name = "tenants",
     .type = CFGK_SEQ,
     .offset = CFG(tenants),
     .count_offset = CFG(ntenants),
     .sub = cfg_contact_keys,
     .elem_size = sizeof(struct cfg_contact),
     .what = "tenant",
     .init = cfg_contact_init,
     .check = cfg_contact_check},
    {.name = "teams",
     .type = CFGK_SEQ,
     .offset = CFG(teams),
     .count_offset = CFG(nteams),
     .sub = cfg_contact_keys,
     .elem_size = sizeof(struct cfg_contact),
     .what = "team",
     .init = cfg_contact_init,
     .check = cfg_team_check},
    {.name = "devices",
     .type = CFGK_SEQ,
     .offset = CFG(devices),
     .count_offset = CFG(ndevices),
     .sub = cfg_device_keys,
     .elem_size = sizeof(struct cfg_device),
     .what = "device",
     .init = cfg_device_init,
     .check = cfg_device_check},
    {.name = "rules",
     .type = CFGK_SEQ,
     .offset = CFG(rules),
     .count_offset = CFG(nrules),
     .sub = cfg_rule_keys,
     .elem_size = sizeof(struct cfg_rule),
     .what = "rule",
     .init = cfg_rule_init,
     .check = cfg_rule_check},
    {.name = "routes",
     .type = CFGK_SEQ,
     .offset = CFG(routes),
     .count_offset = CFG(nroutes),
     .sub = cfg_route_keys,
     .elem_size = sizeof(struct cfg_route),
     .what = "route",
     .init = cfg_route_init,
     .check = cfg_route_check},
    {.name = "groups",
     .type = CFGK_SEQ,
     .offset = CFG(groups),
     .count_offset = CFG(ngroups),
     .sub = cfg_group_keys,
     .elem_size = sizeof(struct cfg_group),
     .what = "group",
     .init = cfg_group_init,
     .check = cfg_group_check},
    {.name = NULL},
};

/* Absolute directory of the config file (as given when it cannot be resolved). */
static char *config_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		abort();
	char *dir = realpath(dirname(copy), NULL);
	if (dir == NULL) {
		free(copy);
		copy = strdup(path);
		dir = strdup(copy ? dirname(copy) : ".");
	}
	free(copy);
	if (dir == NULL)
		abort();
	return dir;
}

/* Orders diagnostics by file, line and column, keeping the order of equal ones. */
static int diag_cmp(const void *a, const void *b, void *arg)
{
	const struct cfg_diag *v = arg;
	const struct cfg_diag *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
	int c = strcmp(x->pos.file ? x->pos.file : "", y->pos.file ? y->pos.file : "");
	if (c == 0)
		c = (x->pos.line > y->pos.line) - (x->pos.line < y->pos.line);
	if (c == 0)
		c = (x->pos.col > y->pos.col) - (x->pos.col < y->pos.col);
	if (c == 0)
		c = (x > y) - (x < y);
	return c;
}

/* Appends src's diagnostics to dst in source order (dst interns its own file names). */
static void diags_copy_sorted(const struct cfg_diags *src, struct cfg_diags *dst)
{
	size_t *order = calloc(src->n + 1, sizeof(*order));
	if (order == NULL)
		abort();
	for (size_t i = 0; i < src->n; i++)
		order[i] = i;
	qsort_r(order, src->n, sizeof(*order), diag_cmp, src->v);
	for (size_t i = 0; i < src->n; i++) {
		const struct cfg_diag *g = &src->v[order[i]];
		if (g->warning)
			cfg_warning(dst, &g->pos, "%s", g->msg);
		else
			cfg_error(dst, &g->pos, "%s", g->msg);
	}
	free(order);
}

/* The sequence at path ("rules", "daemon.syslog.rules") of root, made empty when its
 * map has none; NULL when it is there but not a sequence (the decoder says so at its
 * position), or when a map on the way is not in the file (an error at item: a tenant's
 * log rule without the NOC's syslog receiver has nowhere to go). */
static struct cfgnode *layer_section(struct cfgnode *root, const char *path,
				     const struct cfgnode *item, struct cfg_diags *d)
{
	const char *dot, *full = path;
	while ((dot = strchr(path, '.'))) {
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		const struct cfgnode *map = cfgnode_get(root, key);
		if (!map || map->type != CFGNODE_MAP) {
			cfg_error(d, &item->pos, "the NOC's configuration has no %.*s section to "
				  "add this item to", (int)(dot - full), full);
			return NULL;
		}
		root = (struct cfgnode *)map; /* root is ours to change */
		path = dot + 1;
	}
	for (size_t i = 0; i < root->n; i++)
		if (strcmp(root->pairs[i].key->scalar, path) == 0)
			return root->pairs[i].value->type == CFGNODE_SEQ ? root->pairs[i].value : NULL;
	struct cfgnode *key = calloc(1, sizeof(*key)), *seq = calloc(1, sizeof(*seq));
	struct cfgnode_pair *pairs = realloc(root->pairs, (root->n + 1) * sizeof(*pairs));
	if (!key || !seq || !pairs || !(key->scalar = strdup(path)))
		abort();
	key->type = CFGNODE_SCALAR;
	key->pos = seq->pos = root->pos;
	seq->type = CFGNODE_SEQ;
	root->pairs = pairs;
	root->pairs[root->n++] = (struct cfgnode_pair){.key = key, .value = seq};
	return seq;
}

/* Appends each layer item to its section of root (cfg_load_layered). */
static void layer_append(struct cfgnode *root, const struct cfg_layer_item *items, size_t n,
			 struct cfg_diags *d)
{
	if (root->type != CFGNODE_MAP)
		return;
	for (size_t i = 0; i < n; i++) {
		struct cfgnode *item = cfgnode_load_string(items[i].name, items[i].yaml, d);
		struct cfgnode *seq = item ? layer_section(root, items[i].section, item, d) : NULL;
		if (!seq) {
			cfgnode_free(item);
			continue;
		}
		struct cfgnode **v = realloc(seq->items, (seq->n + 1) * sizeof(*v));
		if (!v)
			abort();
		seq->items = v;
		seq->items[seq->n++] = item;
	}
}

static void cfg_parse(struct cfg *cfg, const char *dir, const struct cfg_layer_item *items,
		      size_t nitems)
{
	struct cfg_ctx ctx = {.cfg = cfg, .dir = dir};
	struct cfgnode *root = cfgnode_load_file(cfg->path, &cfg->diags);
	if (root == NULL)
		return;
	layer_append(root, items, nitems, &cfg->diags);
	bool blank = root->type == CFGNODE_SCALAR && !root->quoted && root->scalar[0] == '\0';
	if (!blank) /* a file of comments or a bare "---" is an empty config */
		cfg_decode(root, top_keys, cfg, &cfg->diags, &ctx);
	cfg_daemon_resolve(&cfg->daemon, dir);
	cfg_devices_resolve(cfg);
	/* every reference to a device (fed_by, groups, lookups while running) goes through it */
	if (!(cfg->device_index = malloc(sizeof(*cfg->device_index))))
		abort();
	cfg_index_build(cfg->device_index, cfg->devices, cfg->ndevices, sizeof(*cfg->devices),
	                offsetof(struct cfg_device, id));
	cfg_devices_inherit_tenants(cfg, &cfg->diags);
	cfg_validate(cfg, root, &cfg->diags);
	cfgnode_free(root);
}

struct cfg *cfg_load(const char *path, struct cfg_diags *diags)
{
	return cfg_load_layered(path, NULL, 0, diags);
}

struct cfg *cfg_load_layered(const char *path, const struct cfg_layer_item *items, size_t n,
			     struct cfg_diags *diags)
{
	cfg_parts_attach();
	struct cfg *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(path)) == NULL)
		abort();
	cfg_diags_init(&cfg->diags);
	cfg_daemon_defaults(&cfg->daemon);
	char *dir = config_dir(path);
	cfg_parse(cfg, dir, items, n);
	free(dir);
	diags_copy_sorted(&cfg->diags, diags);
	if (cfg->diags.nerrors > 0) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

struct cfg *cfg_hold(const struct cfg *cfg)
{
	struct cfg *c = (struct cfg *)cfg; /* the count is not the configuration */
	c->holds++;
	return c;
}

void cfg_free(struct cfg *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->holds > 0) {
		cfg->holds--;
		return;
	}
	cfg_parts_attach();
	cfg_fields_free(top_keys, cfg);
	if (cfg->device_index)
		cfg_index_free(cfg->device_index);
	free(cfg->device_index);
	free(cfg->path);
	cfg_diags_free(&cfg->diags);
	free(cfg);
}

const struct cfg_device *cfg_device_find(const struct cfg *cfg, const char *id)
{
	if (cfg->device_index && id) {
		ssize_t i = cfg_index_find(cfg->device_index, id);
		return i < 0 ? NULL : &cfg->devices[i];
	}
	for (size_t i = 0; id != NULL && i < cfg->ndevices; i++) {
		if (cfg->devices[i].id && strcmp(cfg->devices[i].id, id) == 0)
			return &cfg->devices[i];
	}
	return NULL;
}

const struct cfg_contact *cfg_tenant_find(const struct cfg *cfg, const char *id)
{
	for (size_t i = 0; id != NULL && i < cfg->ntenants; i++) {
		if (cfg->tenants[i].id && strcmp(cfg->tenants[i].id, id) == 0)
			return &cfg->tenants[i];
	}
	return NULL;
}
