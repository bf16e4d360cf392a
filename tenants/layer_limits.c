/* The NOC's limits of a tenant's layer (daemon.tenant_layer.limits, docs/PORTAL.md):
 * decoded with the config, and checked on every device and rule that comes from a
 * tenant's layer, after the same decoders as the NOC's file have run on it.  The rule
 * that matters most: a tenant's checks probe only its own addresses, never another
 * tenant's nor the facility's, or the portal would be a scanner. */
#include "tenants_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dcmon/addr_guard.h"
#include "dcmon/alert.h"
#include "dcmon/config_keys.h"
#include "dcmon/host_checks.h"
#include "dcmon/log.h"
#include "dcmon/http_check.h"
#include "dcmon/modbus.h"
#include "dcmon/netaddr.h"
#include "dcmon/plugin_check.h"
#include "dcmon/snmp.h"
#include "dcmon/syslog.h"
#include "dcmon/tcp_check.h"

#define LIM(f) offsetof(struct cfg_tenant_limits, f)
const struct cfg_key tenant_limits_keys[] = {
	{.name = "tenant", .type = CFGK_STRING, .offset = LIM(tenant), .required = true},
	{.name = "min_interval", .type = CFGK_DURATION, .offset = LIM(min_interval_ms),
	 .min = 1000, .max = 86400000},
	{.name = "max_checks", .type = CFGK_INT, .offset = LIM(max_checks), .min = 0,
	 .max = 100000},
	{.name = "targets", .type = CFGK_STRLIST, .offset = LIM(targets),
	 .count_offset = LIM(ntargets), .required = true},
	{.name = "ports", .type = CFGK_STRLIST, .offset = LIM(ports), .count_offset = LIM(nports)},
	{.name = "snmp_credentials", .type = CFGK_BOOL, .offset = LIM(snmp_credentials)},
	{.name = "may_override_defaults", .type = CFGK_BOOL, .offset = LIM(may_override_defaults)},
	{.name = "max_log_rules", .type = CFGK_INT, .offset = LIM(max_log_rules), .min = 0,
	 .max = 1000},
	{.name = "max_pattern", .type = CFGK_INT, .offset = LIM(max_pattern), .min = 1,
	 .max = 4096, .expect = "bytes of a log pattern, 1..4096"},
	{.name = NULL},
};

void tenant_limits_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_tenant_limits *)elem = (struct cfg_tenant_limits){
		.min_interval_ms = TENANT_MIN_INTERVAL_MS, .max_checks = TENANT_MAX_CHECKS,
		.max_log_rules = TENANT_MAX_LOG_RULES, .max_pattern = TENANT_MAX_PATTERN,
		.pos = node->pos};
}

/* "22" or "8000-8099" into [*lo, *hi]; -EINVAL otherwise. */
static int port_range_parse(const char *s, int *lo, int *hi)
{
	char *end;
	long a = strtol(s, &end, 10), b = a;
	if (end == s)
		return -EINVAL;
	if (*end == '-') {
		const char *p = end + 1;
		b = strtol(p, &end, 10);
		if (end == p)
			return -EINVAL;
	}
	if (*end || a < 1 || b > 65535 || a > b)
		return -EINVAL;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* The position of item i of the list at map[key] (a scalar is a list of one). */
static const struct cfg_pos *list_item_pos(const struct cfgnode *map, const char *key, size_t i)
{
	const struct cfgnode *v = cfgnode_get(map, key);
	if (v && v->type == CFGNODE_SEQ && i < v->n)
		return &v->items[i]->pos;
	return cfg_key_pos(map, key);
}

int tenant_limits_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	(void)ctx;
	struct cfg_tenant_limits *lim = elem;
	size_t before = d->nerrors;
	for (size_t i = 0; i < lim->ntargets; i++) {
		struct net_addr net;
		int bits;
		if (net_cidr_parse(lim->targets[i], &net, &bits) == -ERANGE)
			cfg_error(d, list_item_pos(node, "targets", i),
				  "targets: %s: the prefix length is out of range", lim->targets[i]);
	}
	for (size_t i = 0; i < lim->nports; i++) {
		int lo, hi;
		if (port_range_parse(lim->ports[i], &lo, &hi) < 0)
			cfg_error(d, list_item_pos(node, "ports", i),
				  "ports: %s: expected a port like 443 or a range like 8000-8099",
				  lim->ports[i]);
	}
	return d->nerrors > before ? -EINVAL : 0;
}

bool layer_file_tenant(const char *file, char *out, size_t len)
{
	if (!file || strncmp(file, "tenant:", 7) != 0)
		return false;
	const char *t = file + 7, *slash = strchr(t, '/');
	size_t n = slash ? (size_t)(slash - t) : strlen(t);
	snprintf(out, len, "%.*s", (int)n, t);
	return true;
}

static const struct cfg_tenant_limits *limits_find(const struct cfg *cfg, const char *tenant)
{
	const struct cfg_tenant_layer *tl = tenant_layer_cfg_of(cfg);
	for (size_t i = 0; tl && i < tl->nlimits; i++)
		if (strcmp(tl->limits[i].tenant, tenant) == 0)
			return &tl->limits[i];
	return NULL;
}

/* The NOC's devices that have a host (those of no tenant layer), parsed once per check
 * of the whole configuration: a layer of thousands of devices is checked against them
 * without parsing an address per pair. */
struct noc_host {
	const char *host;
	const char *tenant; /* NULL: a facility device */
	struct net_addr a;
	bool is_addr;
};
struct noc_hosts {
	struct noc_host *v;
	size_t n;
};

/* -ENOMEM, with nothing built. */
static int noc_hosts_build(const struct cfg *cfg, struct noc_hosts *out)
{
	char t[64];
	out->n = 0;
	if (!(out->v = calloc(cfg->ndevices + 1, sizeof(*out->v))))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *o = &cfg->devices[i];
		if (!o->host || layer_file_tenant(o->pos.file, t, sizeof(t)))
			continue;
		struct noc_host *h = &out->v[out->n++];
		h->host = o->host;
		h->tenant = api_device_tenant(cfg, o);
		h->is_addr = net_addr_parse(o->host, &h->a);
	}
	return 0;
}

/* Two hosts name the same target: equal addresses, or equal names. */
static bool host_same(const struct noc_host *h, const char *host, const struct net_addr *a,
		      bool is_addr)
{
	if (h->is_addr && is_addr)
		return h->a.family == a->family &&
		       memcmp(h->a.b, a->b, a->family == AF_INET ? 4 : 16) == 0;
	return !h->is_addr && !is_addr && strcasecmp(h->host, host) == 0;
}

static bool target_allowed(const struct cfg_tenant_limits *lim, const char *host)
{
	struct net_addr a;
	bool is_addr = net_addr_parse(host, &a);
	for (size_t i = 0; i < lim->ntargets; i++) {
		struct net_addr net;
		int bits;
		if (net_cidr_parse(lim->targets[i], &net, &bits) == 0) {
			if (is_addr && net_cidr_contains(&net, bits, &a))
				return true;
		} else if (!is_addr && strcasecmp(lim->targets[i], host) == 0) {
			return true;
		}
	}
	return false;
}

/* The refusal of host when it is the host of a device that is another tenant's or the
 * facility's, or NULL. */
static const char *owner_refusal(const struct noc_hosts *nh, const char *tenant, const char *host,
				 char *buf, size_t len)
{
	struct net_addr a;
	bool is_addr = net_addr_parse(host, &a);
	for (size_t i = 0; i < nh->n; i++) {
		const struct noc_host *h = &nh->v[i];
		if (!host_same(h, host, &a, is_addr) || (h->tenant && strcmp(h->tenant, tenant) == 0))
			continue;
		snprintf(buf, len, "%s is the address of %s: a tenant's checks probe only its own "
			 "servers", host, h->tenant ? "another tenant's device" : "a facility device");
		return buf;
	}
	return NULL;
}

/* The refusal of host for tenant, or NULL when it may be probed: inside its targets,
 * and not the address of a device that is another tenant's or the facility's. */
static const char *host_refusal(const struct noc_hosts *nh, const struct cfg_tenant_limits *lim,
				const char *tenant, const char *host, char *buf, size_t len)
{
	if (owner_refusal(nh, tenant, host, buf, len))
		return buf;
	if (!target_allowed(lim, host)) {
		snprintf(buf, len, "%s is outside the targets the NOC allows tenant %s "
			 "(daemon.tenant_layer.limits)", host, tenant);
		return buf;
	}
	return NULL;
}

static bool port_allowed(const struct cfg_tenant_limits *lim, int port)
{
	for (size_t i = 0; i < lim->nports; i++) {
		int lo, hi;
		if (port_range_parse(lim->ports[i], &lo, &hi) == 0 && port >= lo && port <= hi)
			return true;
	}
	return lim->nports == 0;
}

/* Checks a device counts towards max_checks: ping, each port, each process,
 * resources, an snmp section, each URL. */
static size_t device_checks(const struct cfg_device *dev)
{
	size_t nhttp, ntcp, nprocess;
	http_checks_of(dev, &nhttp);
	tcp_checks_of(dev, &ntcp);
	process_checks_of(dev, &nprocess);
	return (ping_check_of(dev) != NULL) + ntcp + nprocess + (resources_of(dev) != RES_NONE) +
	       (snmp_device_cfg(dev) != NULL) + nhttp;
}

/* Keys a tenant's device may not have: they run commands on dcmond's host, read its own
 * resources, reach other transports or change the facility's model. */
static void device_forbidden(const struct cfg_device *dev, const struct cfg_tenant_limits *lim,
			     struct cfg_diags *d)
{
	const struct cfg_pos *p = &dev->pos;
	size_t nplugin;
	plugin_checks_of(dev, &nplugin);
	if (nplugin)
		cfg_error(d, p, "plugin: a tenant's device may not run commands on dcmond's host");
	if (resources_of(dev) == RES_LOCAL)
		cfg_error(d, p, "resources: local reads dcmond's own host; a tenant's device may "
			  "only have resources: snmp");
	bool modbus = modbus_device_cfg(dev) != NULL;
	if (modbus || cfg_device_section(dev, "mqtt"))
		cfg_error(d, p, "%s: not allowed in a tenant's device (ping, tcp, http, "
			  "process, resources and snmp are)", modbus ? "modbus" : "mqtt");
	if (dev->nfed_by)
		cfg_error(d, p, "fed_by: the power and cooling chain is the NOC's");
	if (snmp_device_cfg(dev) && !lim->snmp_credentials)
		cfg_error(d, p, "snmp: the NOC does not let tenant %s enter SNMP credentials "
			  "(daemon.tenant_layer.limits snmp_credentials)", lim->tenant);
}

/* The load of an item stops here, with an error, rather than the daemon: dcmond goes on
 * with the configuration in force. */
static void no_memory(struct cfg_diags *d, const struct cfg_pos *pos)
{
	log_warnx("tenants", NULL, "checking a tenant's layer: out of memory");
	cfg_error(d, pos, "out of memory while checking the NOC's limits");
}

/* Appends a copy of s to the string list *v of *n; an error at pos when out of memory. */
static void strlist_add(char ***v, size_t *n, const char *s, struct cfg_diags *d,
			const struct cfg_pos *pos)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (grown)
		*v = grown;
	if (!grown || !((*v)[*n] = strdup(s))) {
		no_memory(d, pos);
		return;
	}
	(*n)++;
}

/* The addresses of the NOC's devices that are another tenant's or the facility's, added
 * to deny. */
static void deny_others(const struct noc_hosts *nh, const char *tenant, char ***deny,
			size_t *ndeny, struct cfg_diags *d, const struct cfg_pos *pos)
{
	for (size_t i = 0; i < nh->n; i++)
		if (nh->v[i].is_addr && (!nh->v[i].tenant || strcmp(nh->v[i].tenant, tenant) != 0))
			strlist_add(deny, ndeny, nh->v[i].host, d, pos);
}

/* A URL naming a host is not resolved here: that would hold the loop thread in the
 * resolver at every load.  libcurl resolves it at each poll, off the loop (its threaded
 * resolver), and connects only to an address the check's allow and deny let it (the
 * poller refuses the others, the point's error naming them): the tenant's targets (any
 * address when the NOC named the host itself in them), and never the address of another
 * tenant's or a facility device.  A tenant's own allow or deny is refused: they are the
 * NOC's limits. */
static void http_name_guard(const struct noc_hosts *nh, struct cfg_http_check *h,
			    const char *name, const struct cfg_tenant_limits *lim,
			    const char *tenant, struct cfg_diags *d)
{
	if (h->nallow || h->ndeny) {
		cfg_error(d, &h->pos, "http: allow, deny: a tenant's check gets them from the NOC's "
			  "limits (daemon.tenant_layer.limits)");
		return;
	}
	if (!target_allowed(lim, name)) {
		struct net_addr net;
		int bits;
		for (size_t i = 0; i < lim->ntargets; i++)
			if (net_cidr_parse(lim->targets[i], &net, &bits) == 0)
				strlist_add(&h->allow, &h->nallow, lim->targets[i], d, &h->pos);
		if (!h->nallow) {
			cfg_error(d, &h->pos, "http: url: %s is outside the targets the NOC allows "
				  "tenant %s (daemon.tenant_layer.limits)", name, tenant);
			return;
		}
	}
	deny_others(nh, tenant, &h->deny, &h->ndeny, d, &h->pos);
}

/* A URL check probes the URL's host (its `address:` when set): the same limits as a
 * host; `ca_file` is a file on dcmond's host, the NOC's. */
static void http_check_limits(const struct noc_hosts *nh, struct cfg_http_check *h,
			      const struct cfg_tenant_limits *lim, const char *tenant,
			      struct cfg_diags *d)
{
	char host[256], why[600];
	int port;
	struct net_addr a;
	if (h->ca_file)
		cfg_error(d, &h->pos, "http: ca_file: a file on dcmond's host is the NOC's; a "
			  "tenant's check verifies with the system's CAs (or tls_verify: false)");
	if (http_check_target(h, host, sizeof(host), &port) < 0)
		return; /* the decoder said why */
	if (!port_allowed(lim, port))
		cfg_error(d, &h->pos, "http: port %d is not among the ports the NOC allows "
			  "tenant %s", port, tenant);
	if (h->address) {
		if (host_refusal(nh, lim, tenant, h->address, why, sizeof(why)))
			cfg_error(d, &h->pos, "http: address: %s", why);
	} else if (net_addr_parse(host, &a)) {
		if (host_refusal(nh, lim, tenant, host, why, sizeof(why)))
			cfg_error(d, &h->pos, "http: url: %s", why);
	} else if (owner_refusal(nh, tenant, host, why, sizeof(why))) {
		cfg_error(d, &h->pos, "http: url: %s", why);
	} else {
		http_name_guard(nh, h, host, lim, tenant, d);
	}
}

static bool is_name(const char *host)
{
	struct net_addr a;
	return host && !net_addr_parse(host, &a);
}

/* True if a ping, tcp or snmp check of dev probes a host name (the device's or its own). */
static bool device_probes_name(const struct cfg_device *dev)
{
	size_t ntcp;
	const struct cfg_tcp *tcps = tcp_checks_of(dev, &ntcp);
	const struct cfg_snmp *snmp = snmp_device_cfg(dev);
	bool name = is_name(dev->host);
	for (size_t i = 0; i < ntcp && !name; i++)
		name = is_name(tcps[i].host);
	return name || (snmp && is_name(snmp->host));
}

/* A host name of a tenant's ping, tcp or snmp check is one of its targets (a name the
 * NOC listed), but its DNS may be the tenant's, which can point it anywhere, later too.
 * So the device gets an address_guard (dcmon/addr_guard.h) whose deny is the addresses
 * of other tenants' and facility devices: the pollers resolve the name at each poll,
 * off the loop, and probe no address it refuses (the check's error says so; the
 * refusal is audited, probe_audit.c).  A tenant's own address_guard is refused: it is
 * the NOC's. */
static void device_guard(const struct noc_hosts *nh, struct cfg_device *dev,
			 const char *tenant, struct cfg_diags *d)
{
	if (addr_guard_of(dev)) {
		cfg_error(d, &dev->pos, "address_guard: a tenant's device gets it from the NOC's "
			  "limits (daemon.tenant_layer.limits)");
		return;
	}
	if (!device_probes_name(dev))
		return;
	void **slot = cfg_device_slot(dev, "address_guard");
	if (!slot)
		return; /* no pollers part: nothing polls it */
	struct cfg_addr_guard *g = calloc(1, sizeof(*g));
	if (!g) {
		no_memory(d, &dev->pos);
		return;
	}
	*slot = g;
	deny_others(nh, tenant, &g->deny, &g->ndeny, d, &dev->pos);
}

static void device_check(const struct noc_hosts *nh, struct cfg_device *dev, const char *tenant,
			 const struct cfg_tenant_limits *lim, struct cfg_diags *d)
{
	char why[256];
	if (!dev->tenant && !(dev->tenant = strdup(tenant))) {
		no_memory(d, &dev->pos);
		return;
	}
	if (strcmp(dev->tenant, tenant) != 0)
		cfg_error(d, &dev->pos, "tenant: a device of tenant %s's layer belongs to %s, not %s",
			  tenant, tenant, dev->tenant);
	device_forbidden(dev, lim, d);
	if (!dev->host)
		cfg_error(d, &dev->pos, "host: a tenant's device needs the address of its server");
	else if (host_refusal(nh, lim, tenant, dev->host, why, sizeof(why)))
		cfg_error(d, &dev->pos, "host: %s", why);
	size_t ntcp;
	const struct cfg_tcp *tcps = tcp_checks_of(dev, &ntcp);
	for (size_t i = 0; i < ntcp; i++) {
		const struct cfg_tcp *t = &tcps[i];
		if (t->host && host_refusal(nh, lim, tenant, t->host, why, sizeof(why)))
			cfg_error(d, &t->pos, "tcp: host: %s", why);
		if (!port_allowed(lim, t->port))
			cfg_error(d, &t->pos, "tcp: port %d is not among the ports the NOC allows "
				  "tenant %s", t->port, tenant);
	}
	const struct cfg_snmp *snmp = snmp_device_cfg(dev);
	if (snmp && snmp->host && host_refusal(nh, lim, tenant, snmp->host, why, sizeof(why)))
		cfg_error(d, &dev->pos, "snmp: host: %s", why);
	/* the check's address is pinned to the one validated here: the list, not a copy */
	struct cfg_part_list *http = cfg_device_list_slot(dev, "http");
	for (size_t i = 0; http && i < http->n; i++)
		http_check_limits(nh, (struct cfg_http_check *)http->v + i, lim, tenant, d);
	device_guard(nh, dev, tenant, d);
	/* left out, the interval is the tenant's least, not a daemon default below it */
	if (!dev->interval_set && dev->interval_ms < lim->min_interval_ms)
		dev->interval_ms = lim->min_interval_ms;
	if (dev->interval_ms < lim->min_interval_ms)
		cfg_error(d, &dev->pos, "interval: %llds is below the %llds the NOC allows tenant %s",
			  (long long)(dev->interval_ms / 1000),
			  (long long)(lim->min_interval_ms / 1000), tenant);
}

static void rule_check(struct cfg_rule *r, const char *tenant, struct cfg_diags *d)
{
	if (!r->match.tenant && !(r->match.tenant = strdup(tenant))) {
		no_memory(d, &r->pos);
		return;
	}
	if (strcmp(r->match.tenant, tenant) != 0)
		cfg_error(d, &r->pos, "match: tenant: a rule of tenant %s's layer matches its own "
			  "devices only, not tenant %s's", tenant, r->match.tenant);
}

/* The refusal of a tenant without limits (no self-service layer), once per item. */
static const struct cfg_tenant_limits *limits_or_refuse(const struct cfg *cfg, const char *tenant,
							const struct cfg_pos *pos, struct cfg_diags *d)
{
	const struct cfg_tenant_limits *lim = limits_find(cfg, tenant);
	if (!lim)
		cfg_error(d, pos, "tenant %s has no self-service layer: the NOC sets "
			  "daemon.tenant_layer.limits for it", tenant);
	return lim;
}

static void pattern_check(const struct cfg_log_rule *r, const char *key, const char *pattern,
			  const struct cfg_tenant_limits *lim, struct cfg_diags *d)
{
	if (pattern && strlen(pattern) > (size_t)lim->max_pattern)
		cfg_error(d, &r->pos, "%s: %zu bytes: the NOC allows tenant %s patterns of %d "
			  "(daemon.tenant_layer.limits max_pattern)", key, strlen(pattern),
			  lim->tenant, lim->max_pattern);
}

/* A tenant's log pattern counts only its own devices' lines: its tenant set when left
 * out (another refused), the devices it names the tenant's own; not a shipped rule's
 * name (a config rule of that name replaces the shipped one for every device). */
static void log_rule_check(const struct cfg *cfg, struct cfg_log_rule *r,
			   const struct cfg_tenant_limits *lim, struct cfg_diags *d)
{
	const char *tenant = lim->tenant;
	if (!r->tenant && !(r->tenant = strdup(tenant))) {
		no_memory(d, &r->pos);
		return;
	}
	if (strcmp(r->tenant, tenant) != 0)
		cfg_error(d, &r->pos, "tenant: a log rule of tenant %s's layer matches its own "
			  "devices' lines only, not tenant %s's", tenant, r->tenant);
	for (size_t i = 0; i < r->ndevices; i++) {
		const struct cfg_device *dev = cfg_device_find(cfg, r->devices[i]);
		if (!dev || !dev->tenant || strcmp(dev->tenant, tenant) != 0)
			cfg_error(d, &r->pos, "devices: %s is not a device of tenant %s",
				  r->devices[i], tenant);
	}
	if (r->name && log_rule_shipped(r->name))
		cfg_error(d, &r->pos, "name: %s is a shipped log rule of the NOC (docs/CONFIG.md); "
			  "name the rule otherwise", r->name);
	pattern_check(r, "match", r->match, lim, d);
	pattern_check(r, "regex", r->regex, lim, d);
	pattern_check(r, "clear", r->clear, lim, d);
}

/* Where an error about the limits as a whole goes: their first entry. */
static const struct cfg_pos *limits_pos(const struct cfg_tenant_layer *tl)
{
	static const struct cfg_pos section = {.file = "daemon.tenant_layer"};
	return tl && tl->nlimits ? &tl->limits[0].pos : &section;
}

/* A count per entry of the NOC's limits, zeroed; NULL (an error) when out of memory. */
static size_t *limits_counts(const struct cfg_tenant_layer *tl, struct cfg_diags *d)
{
	size_t *v = calloc(tl ? tl->nlimits + 1 : 1, sizeof(*v));
	if (!v)
		no_memory(d, limits_pos(tl));
	return v;
}

/* The log rules of tenants' layers, each within its tenant's limits and count. */
static void log_rules_limits(struct cfg *cfg, struct cfg_diags *d)
{
	char tenant[64];
	struct cfg_syslog *sl = syslog_cfg_mut(cfg);
	const struct cfg_tenant_layer *tl = tenant_layer_cfg_of(cfg);
	size_t *count = limits_counts(tl, d);
	if (!count)
		return;
	for (size_t i = 0; sl && i < sl->nrules; i++) {
		struct cfg_log_rule *r = &sl->rules[i];
		const struct cfg_tenant_limits *lim;
		if (!layer_file_tenant(r->pos.file, tenant, sizeof(tenant)) ||
		    !(lim = limits_or_refuse(cfg, tenant, &r->pos, d)))
			continue;
		log_rule_check(cfg, r, lim, d);
		size_t *n = &count[lim - tl->limits];
		if (++*n > (size_t)lim->max_log_rules)
			cfg_error(d, &r->pos, "tenant %s would have %zu log rules: the NOC allows %d "
				  "(daemon.tenant_layer.limits max_log_rules)", tenant, *n,
				  lim->max_log_rules);
	}
	free(count);
}

void layer_limits_check(struct cfg *cfg, struct cfg_diags *d)
{
	char tenant[64];
	const struct cfg_tenant_layer *tl = tenant_layer_cfg_of(cfg);
	struct noc_hosts nh;
	/* checks so far per entry of limits: the device that goes beyond max_checks is
	 * refused, naming the count */
	size_t *total = limits_counts(tl, d);
	if (!total)
		return;
	if (noc_hosts_build(cfg, &nh) < 0) {
		no_memory(d, limits_pos(tl));
		free(total);
		return;
	}
	for (size_t i = 0; i < cfg->ndevices; i++) {
		struct cfg_device *dev = &cfg->devices[i];
		if (!layer_file_tenant(dev->pos.file, tenant, sizeof(tenant)))
			continue;
		const struct cfg_tenant_limits *lim = limits_or_refuse(cfg, tenant, &dev->pos, d);
		if (!lim)
			continue;
		device_check(&nh, dev, tenant, lim, d);
		size_t *t = &total[lim - tl->limits];
		if ((*t += device_checks(dev)) > (size_t)lim->max_checks)
			cfg_error(d, &dev->pos, "tenant %s would have %zu checks: the NOC allows %d "
				  "(daemon.tenant_layer.limits max_checks)", tenant, *t,
				  lim->max_checks);
	}
	for (size_t i = 0; i < cfg->nrules; i++) {
		struct cfg_rule *r = &cfg->rules[i];
		if (layer_file_tenant(r->pos.file, tenant, sizeof(tenant)) &&
		    limits_or_refuse(cfg, tenant, &r->pos, d))
			rule_check(r, tenant, d);
	}
	log_rules_limits(cfg, d);
	free(total);
	free(nh.v);
}

/* True if name is the name of one of the profiles' default rules. */
static bool default_rule_named(const struct alert_rule_src *srcs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < srcs[i].nrules; j++)
			if (srcs[i].rules[j].name && strcmp(srcs[i].rules[j].name, name) == 0)
				return true;
	return false;
}

void tenant_layer_defaults_check(const struct cfg *cfg, const struct alert_rule_src *srcs,
				 size_t n, struct cfg_diags *d)
{
	char tenant[64];
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct cfg_rule *r = &cfg->rules[i];
		if (!layer_file_tenant(r->pos.file, tenant, sizeof(tenant)) || !r->name ||
		    !default_rule_named(srcs, n, r->name))
			continue;
		const struct cfg_tenant_limits *lim = limits_find(cfg, tenant);
		if (lim && !lim->may_override_defaults)
			cfg_error(d, &r->pos, "name: %s is a default rule of the NOC: a tenant's rule "
				  "of that name would replace it on tenant %s's devices; name the "
				  "rule otherwise, or ask the NOC for may_override_defaults "
				  "(daemon.tenant_layer.limits)", r->name, tenant);
	}
}
