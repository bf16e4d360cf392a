/* /api/v1/layer: a tenant's items, its change requests and their approval, the NOC's
 * lock, the effective configuration and the export (docs/PORTAL.md).  Tenant roles act
 * on their own tenant only: another tenant answers 404 like a missing one. */
#include "tenants_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/enumtab.h"
#include "dcmon/log.h"
#include "dcmon/strbuf.h"

static struct tenant_layer *layer_of(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!ctx->part)
		api_reply_error(resp, 503, "no tenant layer: dcmond runs without a state_dir");
	return ctx->part; /* the part's state (dcmon/part.h) */
}

static bool may(const struct api_ctx *ctx, enum authz_action a)
{
	return authz_check(ctx->req->actor, a, NULL) == AUTHZ_ALLOW;
}

/* The tenant a request acts on: a tenant role's own (naming another is 404), else the
 * one given, which must exist.  NULL after answering. */
static const char *tenant_of(const struct api_ctx *ctx, const char *given,
			     struct api_response *resp)
{
	const struct authz_actor *me = ctx->req->actor;
	if (me->tenant[0]) {
		if (given && strcmp(given, me->tenant) != 0) {
			api_reply_error(resp, 404, "no tenant %s", given);
			return NULL;
		}
		return me->tenant;
	}
	if (me->site[0]) {
		api_reply_error(resp, 403, "%s has no tenant layer", me->name);
		return NULL;
	}
	if (!given || !given[0]) {
		api_reply_error(resp, 400, "tenant: required");
		return NULL;
	}
	if (!cfg_tenant_find(ctx->env->cfg, given)) {
		api_reply_error(resp, 404, "no tenant %s", given);
		return NULL;
	}
	return given;
}

/* The tenant a list is filtered on: the query's or a tenant role's own (tenant_of), ""
 * for all of them (an unscoped actor naming none).  NULL after answering. */
static const char *tenant_filter(const struct api_ctx *ctx, struct api_response *resp)
{
	const char *given = api_query_get(ctx->query, "tenant");
	return given || ctx->req->actor->tenant[0] ? tenant_of(ctx, given, resp) : "";
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A YAML tree as JSON: maps as objects, sequences as arrays, every scalar as its text. */
static json_t *node_json(const struct cfgnode *n)
{
	json_t *v;
	switch (n->type) {
	case CFGNODE_MAP:
		v = json_object();
		for (size_t i = 0; i < n->n; i++)
			json_object_set_new(v, n->pairs[i].key->scalar, node_json(n->pairs[i].value));
		return v;
	case CFGNODE_SEQ:
		v = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(v, node_json(n->items[i]));
		return v;
	default:
		return json_string(n->scalar);
	}
}

/* The item with its YAML also as JSON ("item"), which the portal fills its forms from. */
static json_t *item_json(const struct layer_item *it)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfgnode *root = cfgnode_load_string(it->name, it->yaml, &d);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "tenant", it->tenant,
			      "kind", item_kind_names[it->kind], "id", it->id, "yaml", it->yaml,
			      "origin", it->origin, "by", it->by, "ts_ms", (json_int_t)it->ts_ms,
			      "item", root ? node_json(root) : json_null());
	cfgnode_free(root);
	cfg_diags_free(&d);
	return o;
}

void api_layer_items(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	const char *tenant = l ? tenant_filter(ctx, resp) : NULL;
	if (!tenant)
		return;
	json_t *items = json_array();
	for (size_t i = 0; i < l->n; i++)
		if (!tenant[0] || strcmp(l->items[i].tenant, tenant) == 0)
			json_array_append_new(items, item_json(&l->items[i]));
	api_reply_json(resp, 200, json_pack("{s:o}", "items", items));
}

/* ---- field-level errors ---- */

/* 422 with the messages of the item (file cname) as fields, or 503 when the NOC's own
 * file does not load now. */
static void reply_diags(struct api_response *resp, const struct cfg_diags *d,
			const char *cname, bool blamed, char *first, size_t first_len)
{
	json_t *fields = json_array();
	snprintf(first, first_len, "the configuration does not load");
	for (size_t i = 0; i < d->n; i++) {
		const struct cfg_diag *g = &d->v[i];
		if (g->warning || !g->pos.file || strcmp(g->pos.file, cname) != 0)
			continue;
		if (json_array_size(fields) == 0)
			snprintf(first, first_len, "%s", g->msg);
		json_array_append_new(fields, json_pack("{s:i, s:i, s:s}", "line", g->pos.line,
							"col", g->pos.col, "message", g->msg));
	}
	if (!blamed) {
		json_decref(fields);
		for (size_t i = 0; i < d->n; i++)
			if (!d->v[i].warning) {
				snprintf(first, first_len, "%s", d->v[i].msg);
				break;
			}
		api_reply_error(resp, 503, "the NOC's configuration does not load now (%s); "
				"try again once it is fixed", first);
		return;
	}
	api_reply_json(resp, 422, json_pack("{s:s, s:o}", "error", first, "fields", fields));
}

/* Where the item of c is in positions. */
static void change_name(const struct layer_change *c, char *out)
{
	layer_item_name(out, c->tenant, c->kind, c->id);
}

/* Validates c against the configuration as it would be; with swap, stores it and makes
 * it live (or neither).  0, or -1 after answering (and auditing a refusal). */
static int change_try(const struct api_ctx *ctx, struct tenant_layer *l,
		      const struct layer_change *c, bool swap, struct api_response *resp)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	bool blamed;
	struct cfg *next = layer_load_with(l, c, &d, &blamed);
	char cname[LAYER_NAME_MAX], why[512];
	change_name(c, cname);
	if (!next) {
		reply_diags(resp, &d, cname, blamed, why, sizeof(why));
		if (blamed)
			layer_audit(l, ctx->req->actor, "tenant-refused", cname, why, ctx->now_ms);
		cfg_diags_free(&d);
		return -1;
	}
	cfg_diags_free(&d);
	if (!swap) {
		cfg_free(next);
		return 0;
	}
	/* stored first: a change live but not stored would be lost at the next restart */
	if (layer_store_write(l, c, ctx->now_ms) < 0) {
		cfg_free(next);
		api_reply_error(resp, 500, "not applied: tenants.db could not store the change "
				"(see dcmond's log)");
		return -1;
	}
	if (!l->swap)
		cfg_free(next);
	if (!l->swap || l->swap(l->arg, next) < 0) {
		if (layer_store_undo(l, c) < 0)
			log_msg(LOG_LVL_ERROR, "tenants", NULL, "%s: stored in tenants.db but not "
				"applied; it applies at dcmond's next start", cname);
		api_reply_error(resp, 500, "the change could not be applied (see dcmond's log)");
		return -1;
	}
	layer_items_set(l, c, ctx->now_ms);
	return 0;
}

static json_t *request_json(const struct layer_request *r)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:I}", "id",
			      (json_int_t)r->id, "tenant", r->tenant, "kind", r->kind, "item",
			      r->item, "op", r->op, "yaml", r->yaml, "before", r->before,
			      "state", r->state, "by", r->by, "ts_ms", (json_int_t)r->ts_ms);
	if (o && r->decided_by[0]) {
		json_object_set_new(o, "decided_by", json_string(r->decided_by));
		json_object_set_new(o, "decided_ms", json_integer(r->decided_ms));
	}
	if (o && r->reason)
		json_object_set_new(o, "reason", json_string(r->reason));
	return o;
}

/* The audit detail of an applied change: the item before and after. */
static void audit_apply(const struct api_ctx *ctx, struct tenant_layer *l,
			const struct layer_request *r)
{
	json_t *d = json_pack("{s:I, s:s?, s:s?}", "request", (json_int_t)r->id, "before",
			      r->before, "after", r->yaml);
	char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
	char target[LAYER_NAME_MAX];
	int kind;
	if (enum_parse(item_kind_names, r->kind, &kind) < 0)
		kind = ITEM_DEVICE;
	layer_item_name(target, r->tenant, (enum item_kind)kind, r->item);
	layer_audit(l, ctx->req->actor, "tenant-apply", target, detail, ctx->now_ms);
	free(detail);
	json_decref(d);
}

static bool locked_refusal(const struct api_ctx *ctx, struct tenant_layer *l, const char *tenant,
			   struct api_response *resp)
{
	char reason[256] = "";
	if (may(ctx, AUTHZ_ACT_LAYER_LOCK) || !layer_locked(l, tenant, reason, sizeof(reason)))
		return false;
	api_reply_error(resp, 423, "the NOC has locked tenant %s's layer: %s", tenant,
			reason[0] ? reason : "no reason given");
	return true;
}

/* The change of a request: the request's or an item given. */
static struct layer_change request_change(const struct layer_request *r, const char *origin,
					  const char *by)
{
	int kind;
	if (enum_parse(item_kind_names, r->kind, &kind) < 0)
		kind = ITEM_DEVICE;
	return (struct layer_change){.tenant = r->tenant, .kind = (enum item_kind)kind,
				     .id = r->item, .yaml = strcmp(r->op, "put") == 0 ? r->yaml : NULL,
				     .origin = origin, .by = by};
}

/* Records change c as a request; applies it at once when the actor may, else leaves
 * it pending for an approver.  Answers either way. */
static void change_submit(const struct api_ctx *ctx, struct tenant_layer *l,
			  const struct layer_change *c, struct api_response *resp)
{
	if (locked_refusal(ctx, l, c->tenant, resp))
		return;
	const struct layer_item *cur = layer_item_find(l, c->tenant, c->kind, c->id);
	bool noc = may(ctx, AUTHZ_ACT_LAYER_LOCK);
	if (cur && strcmp(cur->origin, "noc") == 0 && !noc) {
		api_reply_error(resp, 403, "%s %s is set by the NOC: ask the NOC to change it",
				item_kind_names[c->kind], c->id);
		return;
	}
	if (!c->yaml && !cur) {
		api_reply_error(resp, 404, "no %s %s in tenant %s's layer", item_kind_names[c->kind],
				c->id, c->tenant);
		return;
	}
	bool now = may(ctx, AUTHZ_ACT_LAYER_APPLY);
	struct layer_change ch = *c;
	ch.origin = noc ? "noc" : "tenant";
	char *before = cur ? strdup(cur->yaml) : NULL; /* cur goes once the change applies */
	if (change_try(ctx, l, &ch, now, resp) < 0) {
		free(before);
		return;
	}
	struct layer_request r = {.ts_ms = ctx->now_ms};
	snprintf(r.tenant, sizeof(r.tenant), "%s", c->tenant);
	snprintf(r.kind, sizeof(r.kind), "%s", item_kind_names[c->kind]);
	snprintf(r.item, sizeof(r.item), "%s", c->id);
	snprintf(r.op, sizeof(r.op), "%s", c->yaml ? "put" : "delete");
	snprintf(r.state, sizeof(r.state), "%s", now ? "applied" : "pending");
	snprintf(r.by, sizeof(r.by), "%s", ctx->req->actor->name);
	r.yaml = (char *)c->yaml;
	r.before = before;
	if (now) {
		snprintf(r.decided_by, sizeof(r.decided_by), "%s", r.by);
		r.decided_ms = ctx->now_ms;
	}
	if (layer_request_insert(l, &r) < 0) {
		free(before);
		api_reply_error(resp, 500, "tenants.db: the request could not be stored");
		return;
	}
	char target[LAYER_NAME_MAX];
	change_name(c, target);
	layer_audit(l, ctx->req->actor, "tenant-request", target, r.op, ctx->now_ms);
	if (now)
		audit_apply(ctx, l, &r);
	api_reply_json(resp, now ? 200 : 202, json_pack("{s:o}", "request", request_json(&r)));
	free(before);
}

/* The id of an item: a device's `id`, a rule's `name`.  NULL after answering 422. */
static char *item_id(const char *tenant, enum item_kind kind, const char *yaml,
		     struct api_response *resp)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	char name[LAYER_NAME_MAX];
	layer_item_name(name, tenant, kind, "new");
	struct cfgnode *root = cfgnode_load_string(name, yaml, &d);
	const char *key = kind == ITEM_DEVICE ? "id" : "name";
	const struct cfgnode *v = root && root->type == CFGNODE_MAP ? cfgnode_get(root, key) : NULL;
	char *id = v && v->type == CFGNODE_SCALAR && v->scalar[0] ? strdup(v->scalar) : NULL;
	if (!id) {
		char why[256];
		if (d.n)
			snprintf(why, sizeof(why), "%d:%d: %s", d.v[0].pos.line, d.v[0].pos.col,
				 d.v[0].msg);
		else if (!root || root->type != CFGNODE_MAP)
			snprintf(why, sizeof(why), "a %s is a map of its keys",
				 item_kind_names[kind]);
		else
			snprintf(why, sizeof(why), "%s: a tenant's %s needs one", key,
				 item_kind_names[kind]);
		api_reply_json(resp, 422, json_pack("{s:s, s:[{s:i, s:i, s:s}]}", "error", why,
						    "fields", "line", d.n ? d.v[0].pos.line : 1,
						    "col", d.n ? d.v[0].pos.col : 1, "message", why));
	} else if (strchr(id, '/')) {
		api_reply_error(resp, 422, "%s: %s: no '/' in an item's name", key, id);
		free(id);
		id = NULL;
	}
	cfgnode_free(root);
	cfg_diags_free(&d);
	return id;
}

/* The item's YAML text from a body: "yaml", or "item" as JSON (JSON is YAML). */
static char *body_yaml(json_t *body)
{
	const char *y = jstr(body, "yaml");
	if (y)
		return strdup(y);
	json_t *item = json_object_get(body, "item");
	return json_is_object(item) ? json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
}

/* Submits one item of tenant (api_layer_put, api_layer_import).  Answers. */
static void item_submit(const struct api_ctx *ctx, struct tenant_layer *l, const char *tenant,
			enum item_kind kind, const char *yaml, struct api_response *resp)
{
	char *id = item_id(tenant, kind, yaml, resp);
	if (id) {
		struct layer_change c = {.tenant = tenant, .kind = kind, .id = id, .yaml = yaml,
					 .by = ctx->req->actor->name};
		change_submit(ctx, l, &c, resp);
	}
	free(id);
}

void api_layer_put(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	json_t *body = l ? api_body_object(ctx, resp) : NULL;
	if (!body)
		return;
	const char *tenant = tenant_of(ctx, jstr(body, "tenant"), resp);
	int kind = -1;
	char *yaml = tenant ? body_yaml(body) : NULL;
	if (!tenant) {
	} else if (enum_parse(item_kind_names, jstr(body, "kind") ? jstr(body, "kind") : "", &kind) < 0) {
		api_reply_error(resp, 400, "kind: expected device or rule");
	} else if (!yaml) {
		api_reply_error(resp, 400, "yaml: the item is required (or item as a JSON object)");
	} else {
		item_submit(ctx, l, tenant, (enum item_kind)kind, yaml, resp);
	}
	free(yaml);
	json_decref(body);
}

/* DELETE /api/v1/layer/items/KIND/ID */
void api_layer_delete(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	const char *tenant = l ? tenant_of(ctx, api_query_get(ctx->query, "tenant"), resp) : NULL;
	if (!tenant)
		return;
	char kind_s[16] = "";
	const char *slash = strchr(ctx->tail, '/');
	int kind;
	if (slash && (size_t)(slash - ctx->tail) < sizeof(kind_s))
		memcpy(kind_s, ctx->tail, (size_t)(slash - ctx->tail));
	if (!slash || enum_parse(item_kind_names, kind_s, &kind) < 0 || !slash[1] ||
	    strchr(slash + 1, '/')) {
		api_reply_error(resp, 404, "expected /api/v1/layer/items/device/ID or rule/NAME");
		return;
	}
	struct layer_change c = {.tenant = tenant, .kind = (enum item_kind)kind, .id = slash + 1,
				 .by = ctx->req->actor->name};
	change_submit(ctx, l, &c, resp);
}

/* ---- requests ---- */

static bool request_add(void *arg, const struct layer_request *r)
{
	json_array_append_new(arg, request_json(r));
	return json_array_size(arg) < 1000;
}

void api_layer_requests(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	const char *tenant = l ? tenant_filter(ctx, resp) : NULL;
	if (!tenant)
		return;
	json_t *v = json_array();
	if (layer_request_each(l, tenant[0] ? tenant : NULL, api_query_get(ctx->query, "state"),
			       request_add, v) < 0) {
		json_decref(v);
		api_reply_error(resp, 500, "tenants.db: the requests could not be read");
		return;
	}
	api_reply_json(resp, 200, json_pack("{s:o}", "requests", v));
}

/* Approves r: applies it (failed when it no longer validates).  Answers. */
static void request_approve(const struct api_ctx *ctx, struct tenant_layer *l,
			    struct layer_request *r, struct api_response *resp)
{
	const struct layer_item *cur = NULL;
	struct layer_change c = request_change(r, "tenant", r->by);
	if (locked_refusal(ctx, l, r->tenant, resp))
		return;
	cur = layer_item_find(l, c.tenant, c.kind, c.id);
	if (cur && strcmp(cur->origin, "noc") == 0 && !may(ctx, AUTHZ_ACT_LAYER_LOCK)) {
		api_reply_error(resp, 403, "%s %s is set by the NOC since it was asked", r->kind,
				r->item);
		return;
	}
	free(r->before);
	r->before = cur ? strdup(cur->yaml) : NULL;
	if (!c.yaml && !cur) {
		api_reply_error(resp, 409, "%s %s is no longer in the layer", r->kind, r->item);
		return;
	}
	snprintf(r->decided_by, sizeof(r->decided_by), "%s", ctx->req->actor->name);
	r->decided_ms = ctx->now_ms;
	if (change_try(ctx, l, &c, true, resp) < 0) {
		snprintf(r->state, sizeof(r->state), "failed");
		r->reason = resp->body ? strdup(resp->body) : NULL;
		layer_request_decide(l, r);
		return;
	}
	snprintf(r->state, sizeof(r->state), "applied");
	layer_request_decide(l, r);
	char target[LAYER_NAME_MAX];
	change_name(&c, target);
	layer_audit(l, ctx->req->actor, "tenant-approve", target, NULL, ctx->now_ms);
	audit_apply(ctx, l, r);
	api_reply_json(resp, 200, json_pack("{s:o}", "request", request_json(r)));
}

/* POST /api/v1/layer/requests/ID/approve | reject */
void api_layer_decide(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	json_t *body = l ? api_body_object(ctx, resp) : NULL;
	if (!body)
		return;
	char *end;
	long long id = strtoll(ctx->tail, &end, 10);
	struct layer_request r = {0};
	const struct authz_actor *me = ctx->req->actor;
	bool approve = strcmp(end, "/approve") == 0;
	if ((!approve && strcmp(end, "/reject") != 0) || end == ctx->tail ||
	    layer_request_get(l, id, &r) < 0 || (me->tenant[0] && strcmp(me->tenant, r.tenant))) {
		api_reply_error(resp, 404, "no request %s", ctx->tail);
	} else if (strcmp(r.state, "pending") != 0) {
		api_reply_error(resp, 409, "request %lld is %s, not pending", id, r.state);
	} else if (approve) {
		request_approve(ctx, l, &r, resp);
	} else if (!jstr(body, "reason") || !jstr(body, "reason")[0]) {
		api_reply_error(resp, 400, "reason: a rejection needs one");
	} else {
		snprintf(r.state, sizeof(r.state), "rejected");
		snprintf(r.decided_by, sizeof(r.decided_by), "%s", me->name);
		r.decided_ms = ctx->now_ms;
		r.reason = strdup(jstr(body, "reason"));
		layer_request_decide(l, &r);
		char target[LAYER_NAME_MAX];
		struct layer_change c = request_change(&r, NULL, NULL);
		change_name(&c, target);
		layer_audit(l, me, "tenant-reject", target, r.reason, ctx->now_ms);
		api_reply_json(resp, 200, json_pack("{s:o}", "request", request_json(&r)));
	}
	layer_request_release(&r);
	json_decref(body);
}

/* POST /api/v1/layer/lock | unlock */
void api_layer_lock(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	json_t *body = l ? api_body_object(ctx, resp) : NULL;
	if (!body)
		return;
	const char *tenant = tenant_of(ctx, jstr(body, "tenant"), resp);
	bool lock = strcmp(ctx->req->path, "/api/v1/layer/lock") == 0;
	const char *reason = jstr(body, "reason");
	if (tenant && layer_lock_set(l, tenant, lock, ctx->req->actor->name, reason,
				     ctx->now_ms) < 0) {
		api_reply_error(resp, 500, "tenants.db: the lock could not be stored");
	} else if (tenant) {
		char target[80];
		snprintf(target, sizeof(target), "tenant:%s", tenant);
		layer_audit(l, ctx->req->actor, lock ? "tenant-lock" : "tenant-unlock", target,
			    reason, ctx->now_ms);
		api_reply_json(resp, 200, json_pack("{s:s, s:b}", "tenant", tenant, "locked", lock));
	}
	json_decref(body);
}

/* ---- the effective configuration, the export ---- */

static json_t *source_json(const struct cfg_pos *p, const char *what, const char *id)
{
	char src[LAYER_NAME_MAX + 32], t[64];
	snprintf(src, sizeof(src), "%s:%d:%d", p->file ? p->file : "?", p->line, p->col);
	return json_pack("{s:s, s:s, s:s, s:s}", "kind", what, "id", id ? id : "", "source", src,
			 "layer", layer_file_tenant(p->file, t, sizeof(t)) ? "tenant" : "noc");
}

void api_layer_effective(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct cfg *cfg = ctx->env->cfg;
	const char *tenant = tenant_filter(ctx, resp);
	if (!tenant)
		return;
	json_t *v = json_array();
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *dev = &cfg->devices[i];
		const char *t = api_device_tenant(cfg, dev);
		if (api_device_visible(ctx, dev) && (!tenant[0] || (t && strcmp(t, tenant) == 0)))
			json_array_append_new(v, source_json(&dev->pos, "device", dev->id));
	}
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct cfg_rule *r = &cfg->rules[i];
		bool mine = r->match.tenant && strcmp(r->match.tenant, tenant) == 0;
		if (tenant[0] ? mine : !ctx->req->actor->tenant[0])
			json_array_append_new(v, source_json(&r->pos, "rule", r->name));
	}
	api_reply_json(resp, 200, json_pack("{s:o}", "items", v));
}

/* Indents each line of yaml by two spaces after a "- " first line, as a sequence item. */
static void yaml_seq_item(struct strbuf *b, const char *yaml)
{
	strbuf_appends(b, "  - ");
	for (const char *p = yaml; *p; p++) {
		strbuf_append(b, p, 1);
		if (*p == '\n' && p[1])
			strbuf_appends(b, "    ");
	}
	if (!*yaml || yaml[strlen(yaml) - 1] != '\n')
		strbuf_appends(b, "\n");
}

void api_layer_export(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	const char *tenant = l ? tenant_of(ctx, api_query_get(ctx->query, "tenant"), resp) : NULL;
	if (!tenant)
		return;
	struct strbuf b;
	strbuf_init(&b);
	for (int k = 0; k < ITEM_KIND_COUNT; k++) {
		bool any = false;
		for (size_t i = 0; i < l->n; i++) {
			if (l->items[i].kind != (enum item_kind)k || strcmp(l->items[i].tenant, tenant))
				continue;
			if (!any)
				strbuf_appendf(&b, "%s:\n", item_yaml_key[k]);
			any = true;
			yaml_seq_item(&b, l->items[i].yaml);
		}
	}
	api_reply_json(resp, 200, json_pack("{s:s, s:s}", "tenant", tenant, "yaml",
					    strbuf_str(&b)));
	strbuf_free(&b);
}

/* One import: the items' answers, in order. */
struct import_run {
	const struct api_ctx *ctx;
	struct tenant_layer *l;
	const char *tenant;
	json_t *results;
};

static void import_one(void *arg, enum item_kind kind, const char *yaml)
{
	struct import_run *run = arg;
	struct api_response one = {0};
	item_submit(run->ctx, run->l, run->tenant, kind, yaml, &one);
	json_t *body = one.body ? json_loads(one.body, 0, NULL) : NULL;
	json_t *req = json_object_get(body, "request");
	json_t *o = json_pack("{s:s, s:i}", "kind", item_kind_names[kind], "status", one.status);
	if (req)
		json_object_update(o, req);
	else
		json_object_set(o, "error", json_object_get(body, "error"));
	json_array_append_new(run->results, o);
	json_decref(body);
	api_response_free(&one);
}

/* POST /api/v1/layer/import: each item of a layer's YAML as if posted alone. */
void api_layer_import(const struct api_ctx *ctx, struct api_response *resp)
{
	struct tenant_layer *l = layer_of(ctx, resp);
	json_t *body = l ? api_body_object(ctx, resp) : NULL;
	if (!body)
		return;
	const char *tenant = tenant_of(ctx, jstr(body, "tenant"), resp);
	char err[256];
	struct import_run run = {.ctx = ctx, .l = l, .tenant = tenant, .results = json_array()};
	if (!tenant) {
	} else if (!jstr(body, "yaml")) {
		api_reply_error(resp, 400, "yaml: the layer is required (as dcmon config export "
				"writes it)");
	} else if (layer_import_items(jstr(body, "yaml"), import_one, &run, err,
				      sizeof(err)) < 0) {
		api_reply_json(resp, 422, json_pack("{s:s, s:O}", "error", err, "requests",
						    run.results));
	} else {
		api_reply_json(resp, 200, json_pack("{s:O}", "requests", run.results));
	}
	json_decref(run.results);
	json_decref(body);
}
