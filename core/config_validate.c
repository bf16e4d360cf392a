/* Cross-reference checks over the whole model: unique ids, references that must exist
 * (tenants, fed_by, teams, routes, locations) and devices with nothing to poll. */
#include "config_int.h"

#include <stdlib.h>
#include <string.h>

#include "config_index.h"

/* One kind of named element: where its ids are. */
struct id_set {
	const void *arr;
	size_t n, size, id_off, pos_off;
	const char *what;              /* "device", "tenant", ... */
	const char *noun;              /* "id" or "name" */
	const struct cfg_index *index; /* of the ids, or NULL for a linear search */
};

#define ID_SET(a, cnt, type, what)                                                                 \
	((struct id_set){(a), (cnt), sizeof(type), offsetof(type, id), offsetof(type, pos),        \
	                 (what), "id", NULL})

static const char *set_id(const struct id_set *s, size_t i)
{
	return *(char *const *)((const char *)s->arr + i * s->size + s->id_off);
}

static const struct cfg_pos *set_pos(const struct id_set *s, size_t i)
{
	return (const struct cfg_pos *)((const char *)s->arr + i * s->size + s->pos_off);
}

/* Reports every id defined twice, at the later definition. */
static void unique_ids(const struct id_set *s, struct cfg_diags *d)
{
	struct cfg_index x;
	cfg_index_build(&x, s->arr, s->n, s->size, s->id_off);
	for (size_t k = 1; k < x.n; k++) {
		if (strcmp(x.v[k].id, x.v[k - 1].id) != 0)
			continue;
		size_t first = k - 1;
		while (first > 0 && strcmp(x.v[first - 1].id, x.v[k].id) == 0)
			first--;
		cfg_error(d, set_pos(s, x.v[k].i),
		          "duplicate %s %s '%s' (first defined at line %d)", s->what, s->noun,
		          x.v[k].id, set_pos(s, x.v[first].i)->line);
	}
	cfg_index_free(&x);
}

static bool set_has(const struct id_set *s, const char *id)
{
	if (s->index != NULL)
		return cfg_index_find(s->index, id) >= 0;
	for (size_t i = 0; i < s->n; i++) {
		if (set_id(s, i) && strcmp(set_id(s, i), id) == 0)
			return true;
	}
	return false;
}

/* Reports `id` unless the set has it, suggesting the nearest existing id. */
static void ref_check(const struct id_set *s, const char *id, const struct cfg_pos *pos,
                      const char *key, struct cfg_diags *d)
{
	if (id == NULL || set_has(s, id))
		return;
	const char **ids = calloc(s->n + 1, sizeof(*ids));
	if (ids == NULL)
		abort();
	for (size_t i = 0, k = 0; i < s->n; i++) {
		if (set_id(s, i))
			ids[k++] = set_id(s, i);
	}
	const char *near = cfg_suggest(id, ids);
	cfg_error(d, pos, "%s: unknown %s '%s'%s%s%s", key, s->what, id,
	          near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
	free(ids);
}

/* The ids of one kind of named element of cfg. */
static struct id_set ref_set(const struct cfg *cfg, enum cfg_ref what)
{
	switch (what) {
	case CFG_REF_DEVICE: {
		struct id_set s = ID_SET(cfg->devices, cfg->ndevices, struct cfg_device, "device");
		s.index = cfg->device_index;
		return s;
	}
	case CFG_REF_TENANT:
		return ID_SET(cfg->tenants, cfg->ntenants, struct cfg_contact, "tenant");
	case CFG_REF_TEAM:
		return ID_SET(cfg->teams, cfg->nteams, struct cfg_contact, "team");
	case CFG_REF_SITE:
		return ID_SET(cfg->sites, cfg->nsites, struct cfg_site, "site");
	case CFG_REF_ROUTE:
		break;
	}
	return (struct id_set){cfg->routes, cfg->nroutes, sizeof(struct cfg_route),
	                       offsetof(struct cfg_route, name), offsetof(struct cfg_route, pos),
	                       "route", "name", NULL};
}

void cfg_ref_check(const struct cfg *cfg, enum cfg_ref what, const char *id,
                   const struct cfg_pos *pos, const char *key, struct cfg_diags *d)
{
	struct id_set s = ref_set(cfg, what);
	ref_check(&s, id, pos, key, d);
}

void cfg_validate_selector(const struct cfg_selector *s, const struct cfgnode *match,
                           struct cfg_diags *d)
{
	enum dev_kind k;
	if (s->metric && !cfg_metric_glob_valid(s->metric))
		cfg_error(d, cfg_key_pos(match, "metric"),
		          "metric: '%s' is not a valid metric-name glob (expected [a-z0-9_] "
		          "with * ? [...])",
		          s->metric);
	if (s->kind && dev_kind_parse(s->kind, &k) < 0) {
		const char *near = cfg_suggest(s->kind, cfg_dev_kind_names);
		cfg_error(d, cfg_key_pos(match, "kind"), "kind: unknown device kind '%s'%s%s%s",
		          s->kind, near ? "; did you mean '" : "", near ? near : "",
		          near ? "'?" : "");
	}
}

/* A room of the site (or of any site when site is NULL), or NULL. */
static const struct cfg_room *room_find(const struct cfg *cfg, const struct cfg_site *site,
                                        const char *id)
{
	for (size_t s = 0; s < cfg->nsites; s++) {
		if (site != NULL && &cfg->sites[s] != site)
			continue;
		struct id_set rooms =
		    ID_SET(cfg->sites[s].rooms, cfg->sites[s].nrooms, struct cfg_room, "room");
		for (size_t r = 0; r < rooms.n; r++) {
			if (set_id(&rooms, r) && strcmp(set_id(&rooms, r), id) == 0)
				return &cfg->sites[s].rooms[r];
		}
	}
	return NULL;
}

static void rack_check(const struct cfg_room *room, const struct cfg_location *loc,
                       const struct cfgnode *ln, struct cfg_diags *d)
{
	struct id_set racks = ID_SET(room->racks, room->nracks, struct cfg_rack, "rack");
	ref_check(&racks, loc->rack, cfg_key_pos(ln, "rack"), "location", d);
	for (size_t i = 0; i < room->nracks; i++) {
		const struct cfg_rack *r = &room->racks[i];
		if (r->id && strcmp(r->id, loc->rack) == 0 && r->row && loc->row &&
		    strcmp(r->row, loc->row) != 0)
			cfg_error(d, cfg_key_pos(ln, "row"),
			          "location: rack '%s' is in row '%s', not '%s'", r->id, r->row,
			          loc->row);
	}
}

/* Location against sites/rooms/racks, when any site is declared. */
static void location_check(const struct cfg *cfg, const struct cfg_location *loc,
                           const struct cfgnode *ln, struct cfg_diags *d)
{
	if (cfg->nsites == 0 || ln == NULL)
		return;
	struct id_set sites = ID_SET(cfg->sites, cfg->nsites, struct cfg_site, "site");
	ref_check(&sites, loc->site, cfg_key_pos(ln, "site"), "location", d);
	const struct cfg_site *site = NULL;
	for (size_t i = 0; loc->site && i < cfg->nsites; i++) {
		if (cfg->sites[i].id && strcmp(cfg->sites[i].id, loc->site) == 0)
			site = &cfg->sites[i];
	}
	if (loc->site && site == NULL)
		return;
	const struct cfg_room *room = loc->room ? room_find(cfg, site, loc->room) : NULL;
	if (loc->room && room == NULL)
		cfg_error(d, cfg_key_pos(ln, "room"), "location: unknown room '%s'%s%s", loc->room,
		          site ? " in site " : "", site ? site->id : "");
	if (room && loc->rack && room->nracks > 0)
		rack_check(room, loc, ln, d);
}

static void device_refs(const struct cfg *cfg, const struct cfg_device *dev,
                        const struct cfgnode *node, const struct id_set *devices,
                        struct cfg_diags *d)
{
	struct id_set tenants = ID_SET(cfg->tenants, cfg->ntenants, struct cfg_contact, "tenant");
	ref_check(&tenants, dev->tenant, cfg_key_pos(node, "tenant"), "tenant", d);
	for (size_t j = 0; j < dev->nfed_by; j++) {
		if (!cfg_group_find(cfg, dev->fed_by[j])) /* a group id feeds too */
			ref_check(devices, dev->fed_by[j], &cfg_list_item(node, "fed_by", j)->pos,
			          "fed_by", d);
		if (dev->id && strcmp(dev->fed_by[j], dev->id) == 0)
			cfg_error(d, &cfg_list_item(node, "fed_by", j)->pos,
			          "fed_by: device '%s' cannot feed itself", dev->id);
	}
	location_check(cfg, &dev->loc, cfgnode_get(node, "location"), d);
}

static void device_sanity(const struct cfg_device *dev, const struct cfgnode *node,
                          struct cfg_diags *d)
{
	if (dev->timeout_ms > dev->interval_ms)
		cfg_error(d,
		          cfg_key_pos(node, cfgnode_get(node, "timeout") ? "timeout" : "interval"),
		          "timeout %lldms is longer than the poll interval %lldms",
		          (long long)dev->timeout_ms, (long long)dev->interval_ms);
	if (dev->kind == DEV_SERVER && !cfg_device_polls(dev))
		cfg_warning(d, &dev->pos,
		            "server '%s' has no checks and no transport; nothing will be polled",
		            dev->id ? dev->id : "?");
}

static void devices_check(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	struct id_set devices = ID_SET(cfg->devices, cfg->ndevices, struct cfg_device, "device");
	devices.index = cfg->device_index;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfgnode *node = cfg_section_item(root, "devices", i);
		if (node == NULL || node->type != CFGNODE_MAP)
			continue;
		device_refs(cfg, &cfg->devices[i], node, &devices, d);
		device_sanity(&cfg->devices[i], node, d);
	}
}

static void racks_check(const struct cfg *cfg, struct cfg_diags *d)
{
	struct id_set tenants = ID_SET(cfg->tenants, cfg->ntenants, struct cfg_contact, "tenant");
	for (size_t s = 0; s < cfg->nsites; s++) {
		const struct cfg_site *site = &cfg->sites[s];
		for (size_t r = 0; r < site->nrooms; r++) {
			const struct cfg_room *room = &site->rooms[r];
			struct id_set racks =
			    ID_SET(room->racks, room->nracks, struct cfg_rack, "rack");
			unique_ids(&racks, d);
			for (size_t k = 0; k < room->nracks; k++)
				ref_check(&tenants, room->racks[k].tenant, &room->racks[k].pos,
				          "tenant", d);
		}
		struct id_set rooms = ID_SET(site->rooms, site->nrooms, struct cfg_room, "room");
		unique_ids(&rooms, d);
	}
}

static void routes_check(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	struct id_set teams = ID_SET(cfg->teams, cfg->nteams, struct cfg_contact, "team");
	struct id_set tenants = ID_SET(cfg->tenants, cfg->ntenants, struct cfg_contact, "tenant");
	struct id_set routes = {cfg->routes,
	                        cfg->nroutes,
	                        sizeof(struct cfg_route),
	                        offsetof(struct cfg_route, name),
	                        offsetof(struct cfg_route, pos),
	                        "route",
	                        "name",
	                        NULL};
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct cfg_route *r = &cfg->routes[i];
		const struct cfgnode *node = cfg_section_item(root, "routes", i);
		if (node == NULL || node->type != CFGNODE_MAP)
			continue;
		for (size_t t = 0; t < r->nteams; t++)
			ref_check(&teams, r->teams[t], &cfg_list_item(node, "teams", t)->pos,
			          "teams", d);
		ref_check(&routes, r->escalate_to, cfg_key_pos(node, "escalate_to"), "escalate_to",
		          d);
		if (r->escalate_to && r->name && strcmp(r->escalate_to, r->name) == 0)
			cfg_error(d, cfg_key_pos(node, "escalate_to"),
			          "escalate_to: route '%s' cannot escalate to itself", r->name);
		ref_check(
		    &tenants, r->match.tenant,
		    cfg_key_pos(cfgnode_get(node, "match") ? cfgnode_get(node, "match") : node,
		                "tenant"),
		    "match", d);
	}
}

static void rules_check(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	struct id_set tenants = ID_SET(cfg->tenants, cfg->ntenants, struct cfg_contact, "tenant");
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct cfgnode *node = cfg_section_item(root, "rules", i);
		const struct cfgnode *match = cfgnode_get(node, "match");
		if (match != NULL)
			ref_check(&tenants, cfg->rules[i].match.tenant,
			          cfg_key_pos(match, "tenant"), "match", d);
	}
}

void cfg_validate(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	const struct id_set sets[] = {
	    ID_SET(cfg->devices, cfg->ndevices, struct cfg_device, "device"),
	    ID_SET(cfg->tenants, cfg->ntenants, struct cfg_contact, "tenant"),
	    ID_SET(cfg->teams, cfg->nteams, struct cfg_contact, "team"),
	    ID_SET(cfg->sites, cfg->nsites, struct cfg_site, "site"),
	    {cfg->rules, cfg->nrules, sizeof(struct cfg_rule), offsetof(struct cfg_rule, name),
	     offsetof(struct cfg_rule, pos), "rule", "name", NULL},
	    {cfg->routes, cfg->nroutes, sizeof(struct cfg_route), offsetof(struct cfg_route, name),
	     offsetof(struct cfg_route, pos), "route", "name", NULL},
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		unique_ids(&sets[i], d);
	racks_check(cfg, d);
	devices_check(cfg, root, d);
	rules_check(cfg, root, d);
	routes_check(cfg, root, d);
	cfg_validate_cycles(cfg, root, d);
	cfg_validate_groups(cfg, root, d);
	cfg_parts_validate(cfg, root, d);
}
