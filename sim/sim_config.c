/* sim.yaml: the simulated devices, their addresses and sizes, read through cfgtree so
 * every mistake is reported as file:line:col. */
#include "sim.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sim_kind_names[] = {
    "utility", "ats", "generator", "ups", "pdu", "rack", "server", "cooling",
    "env", "fire", "suppression", "leak", NULL,
};

#define DEV(f) offsetof(struct sim_dev, f)
#define SIM(f) offsetof(struct sim, f)

/* `tcp: [18443, 18022]`: a list of ports. */
static int ports_decode(const struct cfgnode *node, void *field, struct cfg_diags *d, void *ctx)
{
	struct sim_dev *dev = (struct sim_dev *)((char *)field - DEV(tcp_ports));
	if (node->type != CFGNODE_SEQ) {
		cfg_error(d, &node->pos, "tcp: expected a list of ports");
		return -EINVAL;
	}
	dev->tcp_ports = calloc(node->n ? node->n : 1, sizeof(int));
	if (!dev->tcp_ports)
		return -ENOMEM;
	for (size_t i = 0; i < node->n; i++) {
		const struct cfgnode *it = node->items[i];
		char *end = NULL;
		long v = it->type == CFGNODE_SCALAR ? strtol(it->scalar, &end, 10) : -1;
		if (!end || *end || v < 1 || v > 65535) {
			cfg_error(d, &it->pos, "tcp: expected a port 1..65535");
			return -EINVAL;
		}
		dev->tcp_ports[dev->ntcp_ports++] = (int)v;
	}
	return 0;
}

static void ports_release(void *field)
{
	int **p = field;
	free(*p);
	*p = NULL;
}

static void dev_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct sim_dev *d = elem;
	d->kind = -1;
	d->rated_kw = NAN;
	d->load_kw = NAN;
	d->tank_liters = NAN;
	d->battery_kwh = NAN;
	d->pos = node->pos;
}

static const struct cfg_key dev_keys[] = {
    {.name = "id", .type = CFGK_STRING, .offset = DEV(id), .required = true},
    {.name = "kind", .type = CFGK_ENUM, .offset = DEV(kind), .required = true,
     .names = sim_kind_names},
    {.name = "profile", .type = CFGK_STRING, .offset = DEV(profile)},
    {.name = "host", .type = CFGK_STRING, .offset = DEV(host)},
    {.name = "port", .type = CFGK_INT, .offset = DEV(port), .min = 1, .max = 65535},
    {.name = "community", .type = CFGK_STRING, .offset = DEV(community)},
    {.name = "fed_by", .type = CFGK_STRLIST, .offset = DEV(fed_by), .count_offset = DEV(nfed_by)},
    {.name = "room", .type = CFGK_STRING, .offset = DEV(room)},
    {.name = "rated_kw", .type = CFGK_DOUBLE, .offset = DEV(rated_kw), .min = 0.1, .max = 1e6},
    {.name = "load_kw", .type = CFGK_DOUBLE, .offset = DEV(load_kw), .min = 0, .max = 1e4},
    {.name = "tank_liters", .type = CFGK_DOUBLE, .offset = DEV(tank_liters), .min = 1, .max = 1e7},
    {.name = "battery_kwh", .type = CFGK_DOUBLE, .offset = DEV(battery_kwh), .min = 0.01, .max = 1e6},
    {.name = "tcp", .type = CFGK_CUSTOM, .offset = DEV(tcp_ports), .custom = ports_decode,
     .release = ports_release},
    {.name = "zones", .type = CFGK_STRLIST, .offset = DEV(zones), .count_offset = DEV(nzones)},
    {.name = "sensors", .type = CFGK_STRLIST, .offset = DEV(sensors), .count_offset = DEV(nsensors)},
    {.name = "processes", .type = CFGK_STRLIST, .offset = DEV(processes),
     .count_offset = DEV(nprocesses)},
    {.name = NULL},
};

static const struct cfg_key sim_keys[] = {
    {.name = "control", .type = CFGK_STRING, .offset = SIM(control), .required = true},
    {.name = "profiles_dir", .type = CFGK_STRING, .offset = SIM(profiles_dir)},
    {.name = "scenarios_dir", .type = CFGK_STRING, .offset = SIM(scenarios_dir)},
    {.name = "tick", .type = CFGK_DURATION, .offset = SIM(tick_ms), .min = 10, .max = 10000},
    {.name = "acceleration", .type = CFGK_DOUBLE, .offset = SIM(accel), .min = 0.01, .max = 100000},
    {.name = NULL},
};

static const struct cfg_key top_keys[] = {
    {.name = "simulator", .type = CFGK_STRUCT, .sub = sim_keys, .required = true},
    {.name = "devices", .type = CFGK_SEQ, .offset = SIM(devs), .count_offset = SIM(ndevs),
     .sub = dev_keys, .elem_size = sizeof(struct sim_dev), .what = "device", .init = dev_init},
    {.name = NULL},
};

void sim_path(const struct sim *s, const char *rel, char *buf, size_t len)
{
	if (rel[0] == '/') {
		snprintf(buf, len, "%s", rel);
		return;
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", s->path);
	snprintf(buf, len, "%s/%s", dirname(tmp), rel);
}

struct sim_dev *sim_dev_find(struct sim *s, const char *id)
{
	for (size_t i = 0; i < s->ndevs; i++)
		if (strcmp(s->devs[i].id, id) == 0)
			return &s->devs[i];
	return NULL;
}

static struct sim_room *room_get(struct sim *s, const char *id)
{
	for (size_t i = 0; i < s->nrooms; i++)
		if (strcmp(s->rooms[i].id, id) == 0)
			return &s->rooms[i];
	struct sim_room *r = realloc(s->rooms, (s->nrooms + 1) * sizeof(*r));
	if (!r)
		return NULL;
	s->rooms = r;
	r = &s->rooms[s->nrooms++];
	memset(r, 0, sizeof(*r));
	r->id = strdup(id);
	return r;
}

/* What each kind needs: served devices need a profile, host and port. */
static void dev_check(struct sim *s, struct sim_dev *d)
{
	static const bool served[SK_KIND_COUNT] = {
	    [SK_UTILITY] = true, [SK_ATS] = true, [SK_GENERATOR] = true, [SK_UPS] = true,
	    [SK_PDU] = true, [SK_SERVER] = true,
	    [SK_COOLING] = true, [SK_ENV] = true, [SK_FIRE] = true, [SK_SUPPRESSION] = true,
	    [SK_LEAK] = true,
	};
	static const char *const defprof[SK_KIND_COUNT] = {
	    [SK_UTILITY] = "utility-feed-io", [SK_ATS] = "ats-io",
	    [SK_GENERATOR] = "genset-dse-gencomm", [SK_UPS] = "ups-rfc1628",
	    [SK_PDU] = "apc-rpdu2", [SK_SERVER] = "host-resources",
	    [SK_COOLING] = "cooling-liebert-icom", [SK_ENV] = "entity-sensor",
	    [SK_FIRE] = "fire-notifier-modbus-gw", [SK_SUPPRESSION] = "fire-suppression-io",
	    [SK_LEAK] = "leak-rle-ld5000",
	};
	if (d->kind < 0)
		return;
	if (served[d->kind]) {
		if (!d->profile)
			d->profile = strdup(defprof[d->kind]);
		if (!d->host || !d->port)
			cfg_error(&s->diags, &d->pos, "device %s: a %s needs host: and port:", d->id,
				  sim_kind_names[d->kind]);
	}
	if (!d->community)
		d->community = strdup("public");
	d->feeders = calloc(d->nfed_by + 1, sizeof(*d->feeders));
	for (size_t i = 0; i < d->nfed_by; i++) {
		d->feeders[i] = sim_dev_find(s, d->fed_by[i]);
		if (!d->feeders[i])
			cfg_error(&s->diags, &d->pos, "device %s: fed_by: unknown device '%s'", d->id,
				  d->fed_by[i]);
	}
	if (d->room && !room_get(s, d->room))
		cfg_error(&s->diags, &d->pos, "out of memory");
	bool needs_room = d->kind == SK_SERVER || d->kind == SK_COOLING || d->kind == SK_ENV ||
			  d->kind == SK_SUPPRESSION;
	if (needs_room && !d->room)
		cfg_error(&s->diags, &d->pos, "device %s: a %s needs room:", d->id,
			  sim_kind_names[d->kind]);
	if (d->kind == SK_FIRE && d->nzones == 0)
		cfg_error(&s->diags, &d->pos, "device %s: a fire panel needs zones:", d->id);
	if (isnan(d->rated_kw))
		d->rated_kw = d->kind == SK_GENERATOR ? 500 : d->kind == SK_UPS ? 300 : 60;
	if (isnan(d->load_kw))
		d->load_kw = 10;
	if (isnan(d->tank_liters))
		d->tank_liters = 1000;
	if (isnan(d->battery_kwh))
		d->battery_kwh = 100;
	sim_knobs_init(d);
}

struct sim *sim_load(const char *path, FILE *errout)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	cfg_diags_init(&s->diags);
	s->path = strdup(path);
	s->tick_ms = 100;
	s->accel = 1;
	s->speed = 1;
	struct cfgnode *root = cfgnode_load_file(path, &s->diags);
	if (root) {
		cfg_decode(root, top_keys, s, &s->diags, s);
		cfgnode_free(root);
	}
	for (size_t i = 0; s->diags.nerrors == 0 && i < s->ndevs; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->devs[i].id, s->devs[j].id) == 0)
				cfg_error(&s->diags, &s->devs[i].pos, "duplicate device id '%s'",
					  s->devs[i].id);
		dev_check(s, &s->devs[i]);
	}
	/* rooms are complete now: point devices at them (the array no longer moves) */
	for (size_t i = 0; s->diags.nerrors == 0 && i < s->ndevs; i++)
		if (s->devs[i].room)
			s->devs[i].rm = room_get(s, s->devs[i].room);
	if (!s->profiles_dir)
		s->profiles_dir = strdup("../profiles");
	if (!s->scenarios_dir)
		s->scenarios_dir = strdup("../scenarios");
	if (s->diags.n)
		cfg_diags_print(&s->diags, errout);
	if (s->diags.nerrors) {
		sim_free(s);
		return NULL;
	}
	char buf[4096];
	sim_path(s, s->control, buf, sizeof(buf));
	free(s->control);
	s->control = strdup(buf);
	sim_path(s, s->profiles_dir, buf, sizeof(buf));
	free(s->profiles_dir);
	s->profiles_dir = strdup(buf);
	sim_path(s, s->scenarios_dir, buf, sizeof(buf));
	free(s->scenarios_dir);
	s->scenarios_dir = strdup(buf);
	return s;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		free(d->feeders);
		free(d->knobs);
		for (size_t j = 0; j < d->npins; j++) {
			free(d->pins[j].metric);
			free(d->pins[j].inst);
		}
		free(d->pins);
		free(d->listen_fds);
		cfg_fields_free(dev_keys, d);
	}
	free(s->devs);
	for (size_t i = 0; i < s->nrooms; i++)
		free(s->rooms[i].id);
	free(s->rooms);
	sim_scenario_free(s->scen);
	free(s->control);
	free(s->profiles_dir);
	free(s->scenarios_dir);
	free(s->path);
	cfg_diags_free(&s->diags);
	free(s);
}
