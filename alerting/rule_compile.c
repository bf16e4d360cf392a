/* Compiling rules: levels resolved, names interned, rules indexed by the literal parts
 * of their selectors so that matching a new metric looks at few rules. */
#include "alert_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/vec.h"

/* Most specific selector key set (device > tenant > room > site > kind > global). */
static enum arule_rank rule_rank(const struct cfg_selector *s, bool profile)
{
	if (profile)
		return RANK_PROFILE;
	if (s->device)
		return RANK_DEVICE;
	if (s->tenant)
		return RANK_TENANT;
	if (s->room)
		return RANK_ROOM;
	if (s->site)
		return RANK_SITE;
	return s->kind ? RANK_KIND : RANK_GLOBAL;
}

/* Splits STATE values into numbers and names. */
static int compile_states(struct arule *r)
{
	const struct cfg_rule *c = r->src;
	r->nums = calloc(c->nstates + 1, sizeof(*r->nums));
	r->names = calloc(c->nstates + 1, sizeof(*r->names));
	if (!r->nums || !r->names)
		return -ENOMEM;
	for (size_t i = 0; i < c->nstates; i++) {
		char *end;
		long v = strtol(c->states[i], &end, 10);
		if (end != c->states[i] && *end == '\0')
			r->nums[r->nnums++] = (int)v;
		else
			r->names[r->nnames++] = c->states[i];
	}
	return 0;
}

/* Levels in the metric's unit per second for RATE; clear levels default to the level. */
static void compile_levels(struct arule *r)
{
	const struct cfg_rule *c = r->src;
	double scale = c->type == RULE_RATE ? c->rate_per_s : 1.0;
	r->warn = c->warn * scale;
	r->crit = c->crit * scale;
	r->clear_warn = (isnan(c->clear_warn) ? c->warn : c->clear_warn) * scale;
	r->clear_crit = (isnan(c->clear_crit) ? c->crit : c->clear_crit) * scale;
	if (c->type == RULE_RATE) /* a negative level watches drops */
		r->up = !isnan(c->warn) ? c->warn >= 0 : !(c->crit < 0);
	else
		r->up = c->type != RULE_BELOW;
}

static int rvec_push(struct rvec *v, uint32_t x)
{
	uint32_t *p = vec_grow(v->v, &v->cap, v->n, sizeof(*p), 4);
	if (!p)
		return -ENOMEM;
	v->v = p;
	v->v[v->n++] = x;
	return 0;
}

/* Appends rule index i to the list in map under key (created on first use). */
static int index_put(struct smap *map, const char *key, uint32_t i)
{
	struct rvec *v = smap_get(map, key);
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v || smap_put(map, key, v) < 0) {
			free(v);
			return -ENOMEM;
		}
	}
	return rvec_push(v, i);
}

static int rule_index(struct ruleset *rs, uint32_t i)
{
	const struct cfg_selector *s = &rs->rules[i].src->match;
	if (glob_is_literal(s->metric))
		return index_put(&rs->by_metric, s->metric, i);
	if (glob_is_literal(s->device))
		return index_put(&rs->by_device, s->device, i);
	return rvec_push(rs->generic, i);
}

static int rule_add(struct ruleset *rs, struct smap *names, const struct cfg_rule *c,
		    const char *profile)
{
	uint32_t i = (uint32_t)rs->n;
	struct arule *r = &rs->rules[i];
	*r = (struct arule){.src = c, .profile = profile, .order = i};
	r->rank = rule_rank(&c->match, profile != NULL);
	uintptr_t id = (uintptr_t)smap_get(names, c->name);
	if (id == 0) {
		id = ++rs->nnames;
		if (smap_put(names, c->name, (void *)id) < 0)
			return -ENOMEM;
	}
	r->name_id = (uint32_t)id;
	compile_levels(r);
	if (c->type == RULE_STATE && compile_states(r) < 0)
		return -ENOMEM;
	rs->n++;
	return rule_index(rs, i);
}

static int ruleset_fill(struct ruleset *rs, const struct cfg *cfg,
			const struct alert_rule_src *profiles, size_t nprofiles)
{
	struct smap names = {0};
	int rc = 0;
	for (size_t p = 0; p < nprofiles && rc == 0; p++)
		for (size_t i = 0; i < profiles[p].nrules && rc == 0; i++)
			rc = rule_add(rs, &names, &profiles[p].rules[i], profiles[p].profile);
	for (size_t i = 0; cfg && i < cfg->nrules && rc == 0; i++)
		rc = rule_add(rs, &names, &cfg->rules[i], NULL);
	for (size_t i = 0; cfg && i < cfg->ndevices && rc == 0; i++)
		rc = smap_put(&rs->devices, cfg->devices[i].id, &cfg->devices[i]);
	smap_free(&names);
	return rc;
}

struct ruleset *ruleset_new(const struct cfg *cfg, const struct alert_rule_src *profiles,
			    size_t nprofiles, char *err, size_t errlen)
{
	size_t total = cfg ? cfg->nrules : 0;
	for (size_t p = 0; p < nprofiles; p++)
		total += profiles[p].nrules;
	struct ruleset *rs = calloc(1, sizeof(*rs));
	if (rs) {
		rs->rules = calloc(total + 1, sizeof(*rs->rules));
		rs->generic = calloc(1, sizeof(*rs->generic));
	}
	if (!rs || !rs->rules || !rs->generic || ruleset_fill(rs, cfg, profiles, nprofiles) < 0) {
		snprintf(err, errlen, "out of memory compiling %zu rules", total);
		ruleset_free(rs);
		return NULL;
	}
	return rs;
}

static void index_free(struct smap *map)
{
	for (size_t i = 0; i < map->cap; i++) {
		struct rvec *v = map->v[i].key ? map->v[i].val : NULL;
		if (v)
			free(v->v);
		free(v);
	}
	smap_free(map);
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->rules[i].nums);
		free(rs->rules[i].names);
	}
	free(rs->rules);
	index_free(&rs->by_metric);
	index_free(&rs->by_device);
	smap_free(&rs->devices);
	if (rs->generic)
		free(rs->generic->v);
	free(rs->generic);
	free(rs);
}
