/* The power/cooling dependency graph: devices and redundancy groups as nodes, fed_by and
 * group membership as edges, evaluated in topological order (feeds first). */
#include "facility_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/enumtab.h"

static const char *const fpower_names[] = {
	[FP_OK] = "ok", [FP_REDUNDANCY_LOST] = "redundancy_lost", [FP_LOST] = "power_lost", NULL,
};

const char *fpower_name(enum fpower p)
{
	return enum_name(fpower_names, (int)p);
}

size_t fgraph_find(const struct fgraph *g, const char *id)
{
	if (!id)
		return FG_NONE;
	const struct cfg_device *dev = cfg_device_find(g->cfg, id);
	if (dev)
		return (size_t)(dev - g->cfg->devices);
	for (size_t i = g->cfg->ndevices; i < g->n; i++) /* groups: a handful */
		if (strcmp(g->v[i].id, id) == 0)
			return i;
	return FG_NONE;
}

void fgraph_free(struct fgraph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].up);
		free(g->v[i].down);
	}
	free(g->v);
	free(g->topo);
	free(g);
}

/* Links node i to the nodes named in ids; -ENOENT with err on an unknown one. */
static int link_up(struct fgraph *g, size_t i, char **ids, size_t n, char *err, size_t len)
{
	struct fnode *v = &g->v[i];
	v->up = calloc(n + 1, sizeof(*v->up));
	if (!v->up)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		size_t u = fgraph_find(g, ids[k]);
		if (u == FG_NONE || u == i) {
			snprintf(err, len, "%s: %s '%s'", v->id, u == i ? "feeds itself:" : "unknown feed",
				 ids[k]);
			return -ENOENT;
		}
		v->up[v->nup++] = u;
		struct fnode *w = &g->v[u];
		size_t *p = realloc(w->down, (w->ndown + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		w->down = p;
		w->down[w->ndown++] = i;
	}
	return 0;
}

/* Kahn's algorithm; -ELOOP with the nodes left over named in err. */
static int topo_sort(struct fgraph *g, char *err, size_t len)
{
	size_t *pending = calloc(g->n + 1, sizeof(*pending));
	g->topo = calloc(g->n + 1, sizeof(*g->topo));
	if (!pending || !g->topo) {
		free(pending);
		return -ENOMEM;
	}
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < g->n; i++)
		if ((pending[i] = g->v[i].nup) == 0)
			g->topo[tail++] = i;
	while (head < tail) {
		const struct fnode *v = &g->v[g->topo[head++]];
		for (size_t k = 0; k < v->ndown; k++)
			if (--pending[v->down[k]] == 0)
				g->topo[tail++] = v->down[k];
	}
	if (tail < g->n) {
		size_t off = (size_t)snprintf(err, len, "fed_by cycle through");
		for (size_t i = 0; i < g->n && off < len; i++)
			if (pending[i])
				off += (size_t)snprintf(err + off, len - off, " %s", g->v[i].id);
	}
	free(pending);
	return tail < g->n ? -ELOOP : 0;
}

struct fgraph *fgraph_new(const struct cfg *cfg, char *err, size_t errlen)
{
	struct fgraph *g = calloc(1, sizeof(*g));
	if (!g || !(g->v = calloc(cfg->ndevices + cfg->ngroups + 1, sizeof(*g->v)))) {
		free(g);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->cfg = cfg;
	g->n = cfg->ndevices + cfg->ngroups;
	for (size_t i = 0; i < cfg->ndevices; i++)
		g->v[i] = (struct fnode){.id = cfg->devices[i].id, .dev = &cfg->devices[i],
					 .fac = facility_cfg_of(&cfg->devices[i]),
					 .standby = facility_cfg_of(&cfg->devices[i])->standby};
	for (size_t i = 0; i < cfg->ngroups; i++)
		g->v[cfg->ndevices + i] = (struct fnode){.id = cfg->groups[i].id,
							 .need = cfg->groups[i].need};
	int rc = 0;
	for (size_t i = 0; i < cfg->ndevices && rc == 0; i++)
		rc = link_up(g, i, cfg->devices[i].fed_by, cfg->devices[i].nfed_by, err, errlen);
	for (size_t i = 0; i < cfg->ngroups && rc == 0; i++)
		rc = link_up(g, cfg->ndevices + i, cfg->groups[i].members, cfg->groups[i].nmembers,
			     err, errlen);
	if (rc == 0)
		rc = topo_sort(g, err, errlen);
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		fgraph_free(g);
		return NULL;
	}
	return g;
}

bool fgraph_dark(const bool *failed, const struct fstate *st, size_t i)
{
	return failed[i] || st[i].power == FP_LOST;
}

/* What explains node i losing power: the cause of its first dark feed, or that feed. */
static size_t root_cause(const struct fgraph *g, const bool *failed, const struct fstate *st,
			 size_t i)
{
	const struct fnode *v = &g->v[i];
	for (size_t k = 0; k < v->nup; k++) {
		size_t u = v->up[k];
		if (fgraph_dark(failed, st, u))
			return st[u].cause != FG_NONE ? st[u].cause : u;
	}
	return FG_NONE;
}

/* A group's loss: the one root its dark members share, else the group itself (its
 * members failed independently). */
static size_t group_cause(const struct fgraph *g, const bool *failed, const struct fstate *st,
			  size_t i)
{
	const struct fnode *v = &g->v[i];
	size_t common = FG_NONE;
	for (size_t k = 0; k < v->nup; k++) {
		size_t u = v->up[k];
		if (!fgraph_dark(failed, st, u))
			continue;
		size_t r = st[u].cause != FG_NONE ? st[u].cause : u;
		if (common != FG_NONE && common != r)
			return i;
		common = r;
	}
	return common != FG_NONE ? common : i;
}

/* The cause of a lost normal (non-standby) feed of node i, or FG_NONE. */
static size_t lost_normal_cause(const struct fgraph *g, const bool *failed,
				const struct fstate *st, size_t i)
{
	const struct fnode *v = &g->v[i];
	for (size_t k = 0; k < v->nup; k++) {
		size_t u = v->up[k];
		if (!g->v[u].standby && fgraph_dark(failed, st, u))
			return st[u].cause != FG_NONE ? st[u].cause : u;
	}
	return FG_NONE;
}

static void eval_node(const struct fgraph *g, const bool *failed, struct fstate *st, size_t i)
{
	const struct fnode *v = &g->v[i];
	int alive = 0, supplying = 0;
	bool standby_fed = false;
	for (size_t k = 0; k < v->nup; k++) {
		const struct fnode *u = &g->v[v->up[k]];
		bool works = !fgraph_dark(failed, st, v->up[k]);
		alive += works;
		supplying += works && !u->idle;
		standby_fed = standby_fed || u->standby;
	}
	struct fstate *s = &st[i];
	*s = (struct fstate){.power = FP_OK, .cause = FG_NONE, .alive = alive};
	if (v->nup == 0)
		return;
	if (v->dev) {
		if (supplying == 0)
			s->power = FP_LOST;
		else if (standby_fed ? alive < 2 : (size_t)alive < v->nup)
			s->power = FP_REDUNDANCY_LOST;
	} else if (alive < v->need) {
		s->power = FP_LOST;
	} else if (alive == v->need && (size_t)v->need < v->nup) {
		s->power = FP_REDUNDANCY_LOST;
	}
	/* A transfer switch that fails (open, alarm) after its normal source was lost while
	 * the standby one starts is transferring: until it closes, its failure and what it
	 * feeds are explained by the lost source, not by the switch (no second root) */
	if (s->power != FP_LOST && failed[i] && standby_fed)
		s->cause = lost_normal_cause(g, failed, st, i);
	if (s->power != FP_LOST)
		return;
	s->cause = v->dev ? root_cause(g, failed, st, i) : group_cause(g, failed, st, i);
}

void fgraph_eval(const struct fgraph *g, const bool *failed, struct fstate *out)
{
	for (size_t k = 0; k < g->n; k++)
		eval_node(g, failed, out, g->topo[k]);
}
