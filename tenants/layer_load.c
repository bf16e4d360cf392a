/* Loading the configuration with the tenant layers over the NOC's file
 * (cfg_load_layered), checking the NOC's limits, and leaving out an item that no longer
 * passes, so that a change of the NOC's file never takes a tenant's other items, nor the
 * NOC's own configuration, down with it. */
#include "tenants_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/log.h"

#define LOAD_TRIES 4 /* loads after leaving out failing items, before giving up */

struct tenant_layer *tenant_layer_open(const char *state_dir, char *err, size_t errlen)
{
	struct tenant_layer *l = calloc(1, sizeof(*l));
	if (!l)
		abort();
	if (layer_store_open(l, state_dir, err, errlen) < 0) {
		tenant_layer_free(l);
		return NULL;
	}
	return l;
}

void tenant_layer_free(struct tenant_layer *l)
{
	if (!l)
		return;
	probe_audit_free(l->probes);
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].tenant);
		free(l->items[i].id);
		free(l->items[i].yaml);
		free(l->items[i].origin);
		free(l->items[i].by);
	}
	free(l->items);
	sqlite3_close(l->db);
	free(l->db_path);
	free(l->cfg_path);
	free(l);
}

void tenant_layer_bind(struct tenant_layer *l, const char *path, tenant_post_check check,
		       tenant_swap swap, void *arg, struct alert_engine *audit)
{
	if (!l)
		return;
	free(l->cfg_path);
	if (!(l->cfg_path = strdup(path)))
		abort();
	l->check = check;
	l->swap = swap;
	l->arg = arg;
	l->audit = audit;
}

void layer_audit(struct tenant_layer *l, const struct authz_actor *by, const char *action,
		 const char *target, const char *detail, int64_t now_ms)
{
	struct alert_actor a = {.who = by ? by->name : "dcmond",
				.origin = by && by->source[0] ? by->source : "api"};
	if (l->audit)
		alert_engine_audit_add(l->audit, &a, action, target, detail, now_ms);
}

/* The items to layer: the stored ones but those left out, with c applied. */
static struct cfg_layer_item *items_with(const struct tenant_layer *l,
					 const struct layer_change *c, const bool *left_out,
					 char *cname, size_t *n)
{
	struct cfg_layer_item *v = calloc(l->n + 1, sizeof(*v));
	if (!v)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct layer_item *it = &l->items[i];
		bool is_c = c && it->kind == c->kind && strcmp(it->tenant, c->tenant) == 0 &&
			    strcmp(it->id, c->id) == 0;
		if (!left_out[i] && !is_c)
			v[k++] = (struct cfg_layer_item){item_cfg_section[it->kind], it->name,
							 it->yaml};
	}
	if (c && c->yaml) {
		layer_item_name(cname, c->tenant, c->kind, c->id);
		v[k++] = (struct cfg_layer_item){item_cfg_section[c->kind], cname, c->yaml};
	}
	*n = k;
	return v;
}

/* One load: the file and the items, then the post-load checks and the limits. */
static struct cfg *load_once(struct tenant_layer *l, const struct cfg_layer_item *items,
			     size_t n, struct cfg_diags *d)
{
	struct cfg *cfg = cfg_load_layered(l->cfg_path, items, n, d);
	if (!cfg)
		return NULL;
	size_t before = d->nerrors;
	if (l->check)
		l->check(cfg, d);
	layer_limits_check(cfg, d);
	if (d->nerrors > before) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

/* Marks the stored items with an error in d[from..] left out; true if any was, and
 * *c_bad when the change's own item has one. */
static bool blame(const struct tenant_layer *l, const struct cfg_diags *d, size_t from,
		  const char *cname, bool *left_out, bool *c_bad, bool *noc_bad)
{
	bool any = false;
	for (size_t k = from; k < d->n; k++) {
		const struct cfg_diag *g = &d->v[k];
		if (g->warning)
			continue;
		const char *file = g->pos.file ? g->pos.file : "";
		bool found = false;
		if (cname[0] && strcmp(file, cname) == 0) {
			*c_bad = found = true;
		}
		for (size_t i = 0; !found && i < l->n; i++)
			if (strcmp(file, l->items[i].name) == 0) {
				if (!left_out[i])
					log_warnx("tenants", NULL, "%s left out: %s:%d:%d: %s",
						  l->items[i].name, file, g->pos.line, g->pos.col,
						  g->msg);
				any |= !left_out[i];
				left_out[i] = found = true;
			}
		if (!found)
			*noc_bad = true;
	}
	return any;
}

struct cfg *layer_load_with(struct tenant_layer *l, const struct layer_change *c,
			    struct cfg_diags *d, bool *blamed)
{
	*blamed = false;
	bool *left_out = calloc(l->n + 1, sizeof(*left_out));
	if (!left_out)
		abort();
	struct cfg *cfg = NULL;
	for (int tries = 0; tries < LOAD_TRIES && !cfg; tries++) {
		char cname[LAYER_NAME_MAX] = "";
		size_t n, from = d->n;
		struct cfg_layer_item *items = items_with(l, c, left_out, cname, &n);
		struct cfg_diags mine;
		cfg_diags_init(&mine);
		cfg = load_once(l, items, n, &mine);
		free(items);
		bool c_bad = false, noc_bad = false, again = false;
		if (!cfg)
			again = blame(l, &mine, 0, cname, left_out, &c_bad, &noc_bad);
		/* the messages of the last try only: earlier ones named what is left out */
		if (cfg || c_bad || noc_bad || !again || tries + 1 == LOAD_TRIES) {
			d->n = from;
			for (size_t k = 0; k < mine.n; k++) {
				const struct cfg_diag *g = &mine.v[k];
				if (g->warning)
					cfg_warning(d, &g->pos, "%s", g->msg);
				else
					cfg_error(d, &g->pos, "%s", g->msg);
			}
		}
		cfg_diags_free(&mine);
		if (c_bad || noc_bad) {
			*blamed = c_bad;
			cfg_free(cfg);
			cfg = NULL;
			break;
		}
		if (!again)
			break;
	}
	free(left_out);
	return cfg;
}

struct cfg *tenant_layer_load(struct tenant_layer *l, struct cfg_diags *d)
{
	bool blamed;
	return layer_load_with(l, NULL, d, &blamed);
}
