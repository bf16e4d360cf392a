/* `sites:` (rooms, racks) and the contacts of `tenants:` and `teams:`. */
#include "config_int.h"

#include <errno.h>

#include "dcmon/tz.h"

#define RACK(f) offsetof(struct cfg_rack, f)
#define ROOM(f) offsetof(struct cfg_room, f)
#define SITE(f) offsetof(struct cfg_site, f)
#define CONTACT(f) offsetof(struct cfg_contact, f)

static void rack_init(void *elem, const struct cfgnode *node, void *ctx)
{
	((struct cfg_rack *)elem)->pos = node->pos;
}

static void room_init(void *elem, const struct cfgnode *node, void *ctx)
{
	((struct cfg_room *)elem)->pos = node->pos;
}

void cfg_site_init(void *elem, const struct cfgnode *node, void *ctx)
{
	((struct cfg_site *)elem)->pos = node->pos;
}

static const struct cfg_key rack_keys[] = {
    {.name = "id", .type = CFGK_STRING, .offset = RACK(id), .required = true},
    {.name = "row", .type = CFGK_STRING, .offset = RACK(row)},
    {.name = "tenant", .type = CFGK_STRING, .offset = RACK(tenant)},
    {.name = NULL},
};

static const struct cfg_key room_keys[] = {
    {.name = "id", .type = CFGK_STRING, .offset = ROOM(id), .required = true},
    {.name = "name", .type = CFGK_STRING, .offset = ROOM(name)},
    {.name = "racks",
     .type = CFGK_SEQ,
     .offset = ROOM(racks),
     .count_offset = ROOM(nracks),
     .sub = rack_keys,
     .elem_size = sizeof(struct cfg_rack),
     .what = "rack",
     .shorthand = "id",
     .init = rack_init},
    {.name = NULL},
};

const struct cfg_key cfg_site_keys[] = {
    {.name = "id", .type = CFGK_STRING, .offset = SITE(id), .required = true},
    {.name = "name", .type = CFGK_STRING, .offset = SITE(name)},
    {.name = "rooms",
     .type = CFGK_SEQ,
     .offset = SITE(rooms),
     .count_offset = SITE(nrooms),
     .sub = room_keys,
     .elem_size = sizeof(struct cfg_room),
     .what = "room",
     .init = room_init},
    {.name = NULL},
};

const struct cfg_key cfg_contact_keys[] = {
    {.name = "id", .type = CFGK_STRING, .offset = CONTACT(id), .required = true},
    {.name = "name", .type = CFGK_STRING, .offset = CONTACT(name)},
    {.name = "email",
     .type = CFGK_STRLIST,
     .offset = CONTACT(email),
     .count_offset = CONTACT(nemail),
     .expect = "a list of e-mail addresses"},
    {.name = "timezone",
     .type = CFGK_STRING,
     .offset = CONTACT(timezone),
     .expect = "a zone of the system's zoneinfo, like Europe/Berlin or UTC"},
    {.name = NULL},
};

void cfg_contact_init(void *elem, const struct cfgnode *node, void *ctx)
{
	((struct cfg_contact *)elem)->pos = node->pos;
}

int cfg_contact_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	const struct cfg_contact *c = elem;
	size_t before = d->nerrors;
	if (!cfg_id_valid(c->id))
		cfg_error(d, cfg_key_pos(node, "id"),
		          "id: '%s' is not a valid id (letters, digits, '_', '.', '-')", c->id);
	cfg_check_emails(c->email, c->nemail, node, "email", d);
	if (c->timezone && !tz_valid(c->timezone))
		cfg_error(d, cfg_key_pos(node, "timezone"),
			  "timezone: unknown time zone '%s' (expected a zone of the system's "
			  "zoneinfo, like Europe/Berlin or UTC)", c->timezone);
	return d->nerrors > before ? -EINVAL : 0;
}

/* A team is a contact without a time zone: its days are nobody's (a tenant's run in
 * its zone, its alarm reports'). */
int cfg_team_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	const struct cfg_contact *c = elem;
	int rc = cfg_contact_check(elem, node, d, ctx);
	if (!c->timezone)
		return rc;
	cfg_error(d, cfg_key_pos(node, "timezone"), "timezone: only a tenant has a time zone");
	return -EINVAL;
}
