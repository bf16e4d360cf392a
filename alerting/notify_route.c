/* Routing: which routes match an alert and who receives it, each address once, and a
 * tenant's addresses only for that tenant's alerts. */
#include "notify_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert_int.h"
#include "dcmon/vec.h"

void notify_rcpts_free(struct notify_rcpts *r)
{
	for (size_t i = 0; r && i < r->n; i++)
		free(r->v[i].addr);
	if (r) {
		free(r->v);
		*r = (struct notify_rcpts){0};
	}
}

bool notify_route_match(const struct cfg_route *r, const struct notify_target *t)
{
	return t->severity >= r->min_severity &&
	       selector_match(&r->match, t->dev, t->device, t->metric, t->inst);
}

bool notify_route_takes(const struct cfg *cfg, const struct cfg_route *r,
			const struct alert_event *ev)
{
	struct notify_target t = {.device = ev->device, .metric = ev->metric, .inst = ev->inst,
				  .tenant = ev->tenant, .severity = ev->severity,
				  .dev = cfg_device_find(cfg, ev->device)};
	return notify_route_match(r, &t);
}

const struct cfg_route *notify_route_find(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->nroutes; i++)
		if (strcmp(cfg->routes[i].name, name) == 0)
			return &cfg->routes[i];
	return NULL;
}

/* The tenant that lists addr among its addresses, or NULL. */
static const char *addr_owner(const struct cfg *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->ntenants; i++)
		for (size_t j = 0; j < cfg->tenants[i].nemail; j++)
			if (strcasecmp(cfg->tenants[i].email[j], addr) == 0)
				return cfg->tenants[i].id;
	return NULL;
}

int notify_rcpts_add(struct notify_rcpts *out, const char *addr, int64_t group_wait_ms,
		     const char *route)
{
	for (size_t i = 0; i < out->n; i++) {
		if (strcasecmp(out->v[i].addr, addr) == 0) {
			if (group_wait_ms < out->v[i].group_wait_ms)
				out->v[i].group_wait_ms = group_wait_ms;
			return 0;
		}
	}
	struct notify_rcpt *v = vec_grow(out->v, &out->cap, out->n, sizeof(*v), 8);
	if (!v)
		return -ENOMEM;
	out->v = v;
	char *copy = strdup(addr);
	if (!copy)
		return -ENOMEM;
	out->v[out->n++] = (struct notify_rcpt){
		.addr = copy, .group_wait_ms = group_wait_ms, .route = route};
	return 0;
}

/* Adds one address unless it belongs to another tenant than the alert's. */
static int rcpt_add(const struct cfg *cfg, struct notify_rcpts *out, const char *addr,
		    const struct cfg_route *r, const struct notify_target *t)
{
	const char *owner = addr_owner(cfg, addr);

	if (owner && (!t->tenant || strcmp(owner, t->tenant) != 0))
		return 0;
	return notify_rcpts_add(out, addr, r->group_wait_ms, r->name);
}

static int contact_add(const struct cfg *cfg, const struct cfg_contact *c, const struct cfg_route *r,
		       const struct notify_target *t, struct notify_rcpts *out)
{
	int rc = 0;
	for (size_t i = 0; c && i < c->nemail && rc == 0; i++)
		rc = rcpt_add(cfg, out, c->email[i], r, t);
	return rc;
}

static const struct cfg_contact *team_find(const struct cfg *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->nteams; i++)
		if (strcmp(cfg->teams[i].id, id) == 0)
			return &cfg->teams[i];
	return NULL;
}

int notify_route_add(const struct cfg *cfg, const struct cfg_route *r,
		     const struct notify_target *t, struct notify_rcpts *out)
{
	int rc = 0;
	for (size_t i = 0; i < r->nemail && rc == 0; i++)
		rc = rcpt_add(cfg, out, r->email[i], r, t);
	for (size_t i = 0; i < r->nteams && rc == 0; i++)
		rc = contact_add(cfg, team_find(cfg, r->teams[i]), r, t, out);
	if (rc == 0 && r->tenant_contacts && t->tenant)
		rc = contact_add(cfg, cfg_tenant_find(cfg, t->tenant), r, t, out);
	return rc;
}

int notify_route_all(const struct cfg *cfg, const struct notify_target *t,
		     bool (*want)(const struct cfg_route *r), struct notify_rcpts *out)
{
	int rc = 0;
	for (size_t i = 0; i < cfg->nroutes && rc == 0; i++) {
		const struct cfg_route *r = &cfg->routes[i];
		if (notify_route_match(r, t) && (!want || want(r)))
			rc = notify_route_add(cfg, r, t, out);
	}
	return rc;
}

int notify_route_static(const struct cfg *cfg, const struct cfg_route *r,
			struct notify_rcpts *out)
{
	struct notify_target t = {.device = "dcmond", .metric = "test", .severity = SEV_INFO};
	struct cfg_route copy = *r;
	copy.tenant_contacts = false;
	return notify_route_add(cfg, &copy, &t, out);
}
