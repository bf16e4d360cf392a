/* The audit of addresses a tenant's check was refused at a poll (dcmon/tenants.h,
 * docs/PORTAL.md "URL checks" and "Host names").  A URL naming a host, and a ping, tcp or
 * snmp host name of a tenant's device, is resolved at each poll, and the poller refuses
 * an address outside the check's allow/deny (the NOC's limits of the tenant): an error
 * whose reason ends in NET_REFUSED_BY_ALLOW_DENY, on the check's signal metric below.
 * The poller calls no one; this part hears the error on the change bus and writes one
 * audit record per check and refused address, as the tenant's object, not one per poll:
 * again only once the check resolved to an allowed address in between.  The record is
 * written from a zero-delay timer, not from the bus callback, since the audit publishes
 * on the same bus. */
#include "tenants_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/addr_guard.h"
#include "dcmon/change.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/netaddr.h"
#include "dcmon/vec.h"

/* The metrics whose error says a check's refusal (their instance names the check), and
 * what the audit record calls the check before the instance. */
static const struct refusal_signal {
	const char *metric;
	const char *check;
} refusal_signals[] = {
	{"http_status_code", "http: url of check "}, /* a URL check's point (http.c) */
	{PROBE_ADDRESS_METRIC, "check "},            /* ping, tcp, snmp (poll_target.c) */
};

/* The last refusal of one check of a tenant's device. */
struct probe_refusal {
	char *device;
	char *check;   /* what the record calls it: "http: url of check web", "check ping" */
	char *reason;  /* the point's error: "<host> resolves to <addr>: refused by ..." */
	bool audited;
};

struct probe_audit {
	struct tenant_layer *l;
	struct change_bus *bus;
	struct loop *loop;
	struct loop_timer *flush; /* armed while a refusal waits for its record */
	struct probe_refusal *v;
	size_t n, cap;
};

/* The layer item of a tenant's device of that id, or NULL (the NOC's device). */
static const struct layer_item *tenant_device(const struct tenant_layer *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == ITEM_DEVICE && strcmp(l->items[i].id, id) == 0)
			return &l->items[i];
	return NULL;
}

static struct probe_refusal *refusal_find(struct probe_audit *pa, const char *device,
					  const char *check)
{
	for (size_t i = 0; i < pa->n; i++)
		if (strcmp(pa->v[i].device, device) == 0 && strcmp(pa->v[i].check, check) == 0)
			return &pa->v[i];
	return NULL;
}

static void refusal_drop(struct probe_audit *pa, struct probe_refusal *r)
{
	free(r->device);
	free(r->check);
	free(r->reason);
	*r = pa->v[--pa->n];
}

static void flush_records(struct loop *loop, void *arg)
{
	(void)loop;
	struct probe_audit *pa = arg;
	pa->flush = NULL;
	for (size_t i = 0; i < pa->n; i++) {
		struct probe_refusal *r = &pa->v[i];
		const struct layer_item *it = tenant_device(pa->l, r->device);
		if (r->audited || !it)
			continue;
		char target[LAYER_NAME_MAX], detail[384];
		layer_item_name(target, it->tenant, ITEM_DEVICE, r->device);
		snprintf(detail, sizeof(detail), "%s: %s, at a poll: a tenant's checks probe only "
			 "its own servers (daemon.tenant_layer.limits)", r->check, r->reason);
		layer_audit(pa->l, NULL, "tenant-refused", target, detail, clock_wall_ms());
		r->audited = true;
	}
}

/* A new refusal of (device, check), or NULL (logged) when out of memory. */
static struct probe_refusal *refusal_add(struct probe_audit *pa, const char *device,
					 const char *check)
{
	struct probe_refusal *v = vec_grow(pa->v, &pa->cap, pa->n, sizeof(*v), 8);
	if (!v)
		return NULL;
	pa->v = v;
	struct probe_refusal r = {.device = strdup(device), .check = strdup(check)};
	if (!r.device || !r.check) {
		free(r.device);
		free(r.check);
		return NULL;
	}
	pa->v[pa->n] = r;
	return &pa->v[pa->n++];
}

/* A refusal of the check: kept, and recorded unless it is the one recorded last.  Out
 * of memory, the record is lost (logged), and dcmond goes on. */
static void refusal_seen(struct probe_audit *pa, const struct metric *m, const char *check)
{
	struct probe_refusal *r = refusal_find(pa, m->device, check);
	if (r && strcmp(r->reason, m->reason) == 0)
		return;
	char *reason = strdup(m->reason);
	if (!reason || (!r && !(r = refusal_add(pa, m->device, check)))) {
		free(reason);
		log_warnx("tenants", m->device, "%s: the refusal at a poll is not audited: out of "
			  "memory", check);
		return;
	}
	free(r->reason);
	r->reason = reason;
	r->audited = false;
	if (!pa->flush && !(pa->flush = loop_timer_add(pa->loop, 0, flush_records, pa)))
		log_warnx("tenants", m->device, "%s: the refusal at a poll waits for the next one "
			  "to be audited: out of memory", check);
}

/* The signal m is of, or NULL. */
static const struct refusal_signal *signal_of(const struct metric *m)
{
	if (!metric_inst(m))
		return NULL;
	for (size_t i = 0; i < sizeof(refusal_signals) / sizeof(refusal_signals[0]); i++)
		if (strcmp(m->name, refusal_signals[i].metric) == 0)
			return &refusal_signals[i];
	return NULL;
}

static void on_metric(struct probe_audit *pa, const struct metric *m)
{
	const struct refusal_signal *sig = signal_of(m);
	if (!sig)
		return;
	char check[160];
	snprintf(check, sizeof(check), "%s%s", sig->check, metric_inst(m));
	bool refused = m->quality == QUALITY_ERROR && strstr(m->reason, NET_REFUSED_BY_ALLOW_DENY);
	if (refused && tenant_device(pa->l, m->device)) {
		refusal_seen(pa, m, check);
		return;
	}
	struct probe_refusal *r = refusal_find(pa, m->device, check);
	if (r && m->quality == QUALITY_OK) /* the name resolved to an allowed address */
		refusal_drop(pa, r);
}

/* After a reload: the refusals of checks no longer in a tenant's layer go. */
static void on_config(struct probe_audit *pa)
{
	for (size_t i = pa->n; i-- > 0;)
		if (!tenant_device(pa->l, pa->v[i].device))
			refusal_drop(pa, &pa->v[i]);
}

static void on_change(void *arg, const struct change *c)
{
	if (c->kind == CHANGE_METRIC)
		on_metric(arg, c->metric);
	else
		on_config(arg);
}

int tenant_layer_watch_probes(struct tenant_layer *l, struct change_bus *bus,
			      struct loop *loop)
{
	if (!l || l->probes)
		return 0;
	struct probe_audit *pa = calloc(1, sizeof(*pa));
	if (!pa)
		return -1;
	*pa = (struct probe_audit){.l = l, .bus = bus, .loop = loop};
	if (change_subscribe(bus, CHANGE_MASK(CHANGE_METRIC) | CHANGE_MASK(CHANGE_CONFIG),
			     on_change, pa) < 0) {
		free(pa);
		return -1;
	}
	l->probes = pa;
	return 0;
}

void probe_audit_free(struct probe_audit *pa)
{
	if (!pa)
		return;
	change_unsubscribe(pa->bus, on_change, pa);
	loop_timer_cancel(pa->loop, pa->flush);
	while (pa->n)
		refusal_drop(pa, &pa->v[pa->n - 1]);
	free(pa->v);
	free(pa);
}
