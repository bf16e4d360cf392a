/* `routes:`: which alerts go to which addresses, grouped and repeated how. */
#include "config_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUTE(f) offsetof(struct cfg_route, f)

/* match: a selector plus the minimum severity (offsets relative to struct cfg_route). */
static const struct cfg_key route_match_keys[] = {
    CFG_SELECTOR_KEYS(ROUTE(match)),
    {.name = "severity",
     .type = CFGK_ENUM,
     .offset = ROUTE(min_severity),
     .names = cfg_severity_names},
    {.name = NULL},
};

const struct cfg_key cfg_route_keys[] = {
    {.name = "name", .type = CFGK_STRING, .offset = ROUTE(name)},
    {.name = "match", .type = CFGK_STRUCT, .offset = 0, .sub = route_match_keys},
    {.name = "email",
     .type = CFGK_STRLIST,
     .offset = ROUTE(email),
     .count_offset = ROUTE(nemail),
     .expect = "a list of e-mail addresses"},
    {.name = "teams",
     .type = CFGK_STRLIST,
     .offset = ROUTE(teams),
     .count_offset = ROUTE(nteams),
     .expect = "a list of team ids"},
    {.name = "tenant", .type = CFGK_BOOL, .offset = ROUTE(tenant_contacts)},
    {.name = "group_wait",
     .type = CFGK_DURATION,
     .offset = ROUTE(group_wait_ms),
     .min = 0,
     .max = 3600000},
    {.name = "repeat",
     .type = CFGK_DURATION,
     .offset = ROUTE(repeat_ms),
     .min = 0,
     .max = 604800000},
    {.name = "escalate_after",
     .type = CFGK_DURATION,
     .offset = ROUTE(escalate_after_ms),
     .min = 0,
     .max = 604800000},
    {.name = "escalate_to", .type = CFGK_STRING, .offset = ROUTE(escalate_to)},
    {.name = "send_resolved", .type = CFGK_BOOL, .offset = ROUTE(send_resolved)},
    {.name = NULL},
};

void cfg_route_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_route *r = elem;
	r->min_severity = SEV_INFO;
	r->group_wait_ms = 30000;
	r->send_resolved = true;
	r->pos = node->pos;
}

int cfg_route_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_route *r = elem;
	size_t before = d->nerrors;
	cfg_check_emails(r->email, r->nemail, node, "email", d);
	if (r->nemail == 0 && r->nteams == 0 && !r->tenant_contacts)
		cfg_error(d, &node->pos,
		          "route: sends nowhere; expected email, teams or tenant: true");
	if ((r->escalate_after_ms > 0) != (r->escalate_to != NULL))
		cfg_error(d, &node->pos, "route: escalate_after and escalate_to go together");
	cfg_validate_selector(&r->match, cfgnode_get(node, "match"), d);
	if (r->name == NULL && asprintf(&r->name, "route-%d", r->pos.line) < 0)
		abort();
	return d->nerrors > before ? -EINVAL : 0;
}
