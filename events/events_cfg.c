/* The daemon's `syslog:` (the receiver) and `events:` (the store) sections. */
#include "events_int.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/config_keys.h"
#include "dcmon/syslog.h"

#define DAY_MS (86400LL * 1000)

#define LR(f) offsetof(struct cfg_log_rule, f)
static const struct cfg_key log_rule_keys[] = {
	{.name = "name", .type = CFGK_STRING, .offset = LR(name), .required = true},
	{.name = "match", .type = CFGK_STRING, .offset = LR(match)},
	{.name = "regex", .type = CFGK_STRING, .offset = LR(regex),
	 .expect = "a POSIX extended regular expression"},
	{.name = "program", .type = CFGK_STRING, .offset = LR(program)},
	{.name = "kind", .type = CFGK_ENUM, .offset = LR(kind), .names = log_rule_kind_names},
	{.name = "trap", .type = CFGK_STRING, .offset = LR(trap),
	 .expect = "a notification's name in the MIBs read (linkDown) or its numeric OID"},
	{.name = "fields", .type = CFGK_STRMAP, .offset = LR(fields), .count_offset = LR(nfields)},
	{.name = "window", .type = CFGK_DURATION, .offset = LR(window_ms), .min = 1000,
	 .max = 86400000, .expect = "a duration, 1s..24h"},
	{.name = "clear", .type = CFGK_STRING, .offset = LR(clear)},
	{.name = "instance", .type = CFGK_STRING, .offset = LR(instance),
	 .expect = "the name of a field whose value a clearing event must share (ifIndex)"},
	{.name = "tenant", .type = CFGK_STRING, .offset = LR(tenant)},
	{.name = "devices", .type = CFGK_STRLIST, .offset = LR(devices),
	 .count_offset = LR(ndevices)},
	{.name = NULL},
};

static void log_rule_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_log_rule *r = elem;

	r->window_ms = 60000;
	r->pos = node->pos;
}

/* 0 if pattern compiles as a POSIX ERE, else -EINVAL with "WHAT 'PATTERN': why" at pos. */
static int regex_check(const char *what, const char *pattern, const struct cfg_pos *pos,
		       struct cfg_diags *d)
{
	regex_t re;
	int e = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (e == 0) {
		regfree(&re);
		return 0;
	}
	char why[128];
	regerror(e, &re, why, sizeof(why));
	cfg_error(d, pos, "%s '%s': %s", what, pattern, why);
	return -EINVAL;
}

/* A name usable as a metric instance, something to match, a regex that compiles. */
static int log_rule_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_log_rule *r = elem;
	int rc = 0;

	if (r->name && !cfg_id_valid(r->name)) {
		cfg_error(d, &node->pos, "syslog rule: name '%s': expected [A-Za-z0-9_.-]+", r->name);
		rc = -EINVAL;
	}
	if (!r->match && !r->regex && !r->program && !r->trap && !r->nfields &&
	    r->kind == LOG_RULE_ANY) {
		cfg_error(d, &node->pos, "syslog rule %s: nothing to match: give match, regex, "
					 "program, kind, trap or fields", r->name ? r->name : "?");
		rc = -EINVAL;
	}
	if (r->trap && r->kind == LOG_RULE_SYSLOG) {
		cfg_error(d, cfg_key_pos(node, "kind"), "syslog rule %s: kind: syslog, but trap: "
			  "selects traps; leave kind out", r->name ? r->name : "?");
		rc = -EINVAL;
	}
	if (r->instance && !r->clear) {
		cfg_error(d, cfg_key_pos(node, "instance"), "syslog rule %s: instance: names what "
			  "a clearing event ends; give clear too", r->name ? r->name : "?");
		rc = -EINVAL;
	}
	if (r->regex) {
		char what[160];
		snprintf(what, sizeof(what), "syslog rule %s: regex", r->name ? r->name : "?");
		if (regex_check(what, r->regex, &node->pos, d) < 0)
			rc = -EINVAL;
	}
	return rc;
}

#define LA(f) offsetof(struct cfg_login_allow, f)
static const struct cfg_key login_allow_keys[] = {
	{.name = "devices", .type = CFGK_STRLIST, .offset = LA(devices),
	 .count_offset = LA(ndevices), .required = true},
	{.name = "accounts", .type = CFGK_STRLIST, .offset = LA(accounts),
	 .count_offset = LA(naccounts), .required = true},
	{.name = NULL},
};

static void login_allow_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	((struct cfg_login_allow *)elem)->pos = node->pos;
}

/* Each prohibited pattern compiles. */
static int logins_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_logins *c = elem;
	int rc = 0;
	(void)ctx;
	for (size_t i = 0; i < c->nprohibited; i++)
		if (regex_check("syslog logins: prohibited", c->prohibited[i], &node->pos, d) < 0)
			rc = -EINVAL;
	return rc;
}

#define LG(f) offsetof(struct cfg_logins, f)
static const struct cfg_key logins_keys[] = {
	{.name = "allow", .type = CFGK_SEQ, .offset = LG(allow), .count_offset = LG(nallow),
	 .sub = login_allow_keys, .elem_size = sizeof(struct cfg_login_allow),
	 .what = "login allow entry", .init = login_allow_init},
	{.name = "prohibited", .type = CFGK_STRLIST, .offset = LG(prohibited),
	 .count_offset = LG(nprohibited)},
	{.name = "window", .type = CFGK_DURATION, .offset = LG(window_ms), .min = 1000,
	 .max = 86400000, .expect = "a duration, 1s..24h"},
	{.name = NULL},
};

static void logins_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_logins *)elem = (struct cfg_logins){.window_ms = 3600000, .pos = node->pos};
}

#define SL(f) offsetof(struct cfg_syslog, f)
const struct cfg_key syslog_cfg_keys[] = {
	{.name = "listen", .type = CFGK_STRING, .offset = SL(listen),
	 .expect = "a numeric IPv4 or IPv6 address like 127.0.0.1"},
	{.name = "udp_port", .type = CFGK_INT, .offset = SL(udp_port), .min = 0, .max = 65535},
	{.name = "tcp_port", .type = CFGK_INT, .offset = SL(tcp_port), .min = 0, .max = 65535},
	{.name = "tls_port", .type = CFGK_INT, .offset = SL(tls_port), .min = 0, .max = 65535},
	{.name = "tls_cert", .type = CFGK_STRING, .offset = SL(tls_cert)},
	{.name = "tls_key", .type = CFGK_STRING, .offset = SL(tls_key)},
	{.name = "tls_ca", .type = CFGK_STRING, .offset = SL(tls_ca)},
	{.name = "tls_require_client_cert", .type = CFGK_BOOL,
	 .offset = SL(tls_require_client_cert)},
	{.name = "max_message", .type = CFGK_INT, .offset = SL(max_message), .min = 480,
	 .max = 1048576, .expect = "bytes of one message, 480..1048576"},
	{.name = "source_rate", .type = CFGK_INT, .offset = SL(source_rate), .min = 1,
	 .max = 10000000, .expect = "messages per source address per second, 1..10000000"},
	{.name = "max_connections", .type = CFGK_INT, .offset = SL(max_connections), .min = 1,
	 .max = 65536},
	{.name = "idle_timeout", .type = CFGK_DURATION, .offset = SL(idle_timeout_ms), .min = 1000,
	 .max = 86400000, .expect = "a duration, 1s..24h"},
	{.name = "rules", .type = CFGK_SEQ, .offset = SL(rules), .count_offset = SL(nrules),
	 .sub = log_rule_keys, .elem_size = sizeof(struct cfg_log_rule), .what = "syslog rule",
	 .init = log_rule_init, .check = log_rule_check},
	{.name = "default_rules", .type = CFGK_BOOL, .offset = SL(default_rules)},
	{.name = "logins", .type = CFGK_SECTION, .offset = SL(logins), .sub = logins_keys,
	 .elem_size = sizeof(struct cfg_logins), .init = logins_init, .check = logins_check},
	{.name = NULL},
};

void syslog_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_syslog *c = elem;

	c->udp_port = 514;
	c->max_message = 65536;
	c->source_rate = 2000;
	c->max_connections = 512;
	c->idle_timeout_ms = 600000;
	c->default_rules = true;
	c->pos = node->pos;
}

/* Each rule's name is its metric's instance on a device: two rules of one name would
 * count into one metric (a tenant's rule named like another's, or the NOC's).  The
 * message names neither owner: a tenant learns nothing of another's rules. */
static int log_rule_names_check(const struct cfg_syslog *c, struct cfg_diags *d)
{
	int rc = 0;
	for (size_t i = 1; i < c->nrules; i++)
		for (size_t j = 0; j < i && c->rules[i].name; j++)
			if (c->rules[j].name && strcmp(c->rules[i].name, c->rules[j].name) == 0) {
				cfg_error(d, &c->rules[i].pos, "syslog rule %s: name: taken by "
					  "another log rule; name it otherwise", c->rules[i].name);
				rc = -EINVAL;
				break;
			}
	return rc;
}

/* An address to bind to, one listener at least, TLS files when TLS listens, and log
 * rules of distinct names. */
int syslog_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_syslog *c = elem;
	int rc = log_rule_names_check(c, d);

	if (!c->listen) {
		cfg_error(d, &node->pos, "syslog: listen is required: the local address to take "
					 "messages on (0.0.0.0 only if every interface should)");
		rc = -EINVAL;
	} else if (!cfg_ip_literal_valid(c->listen)) {
		cfg_error(d, &node->pos,
			  "syslog: listen: expected a numeric IPv4 or IPv6 address, got '%s'", c->listen);
		rc = -EINVAL;
	}
	if (!c->udp_port && !c->tcp_port && !c->tls_port) {
		cfg_error(d, &node->pos, "syslog: udp_port, tcp_port and tls_port are all 0: "
					 "nothing to listen on");
		rc = -EINVAL;
	}
	if (c->tls_port && (!c->tls_cert || !c->tls_key)) {
		cfg_error(d, &node->pos, "syslog: tls_port needs tls_cert and tls_key");
		rc = -EINVAL;
	}
	if (c->tls_require_client_cert && !c->tls_ca) {
		cfg_error(d, &node->pos, "syslog: tls_require_client_cert needs tls_ca, the CAs "
					 "that sign the clients' certificates");
		rc = -EINVAL;
	}
	return rc;
}

void syslog_cfg_resolve(struct cfg_syslog *c, const char *dir)
{
	if (!c)
		return;
	cfg_path_resolve(&c->tls_cert, dir);
	cfg_path_resolve(&c->tls_key, dir);
	cfg_path_resolve(&c->tls_ca, dir);
}

#define AR(f) offsetof(struct cfg_alarm_reports, f)
static const struct cfg_key alarm_reports_keys[] = {
	{.name = "daily", .type = CFGK_STRLIST, .offset = AR(daily), .count_offset = AR(ndaily)},
	{.name = "weekly", .type = CFGK_STRLIST, .offset = AR(weekly), .count_offset = AR(nweekly)},
	{.name = "tenants", .type = CFGK_STRLIST, .offset = AR(tenants),
	 .count_offset = AR(ntenants), .expect = "the reports each tenant gets: daily, weekly"},
	{.name = NULL},
};

static void alarm_reports_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	((struct cfg_alarm_reports *)elem)->pos = node->pos;
}

static int alarm_reports_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			       void *ctx)
{
	struct cfg_alarm_reports *c = elem;
	size_t before = d->nerrors;
	(void)ctx;
	for (size_t i = 0; i < c->ntenants; i++) {
		if (strcmp(c->tenants[i], "daily") == 0)
			c->tenant_daily = true;
		else if (strcmp(c->tenants[i], "weekly") == 0)
			c->tenant_weekly = true;
		else
			cfg_error(d, &cfg_list_item(node, "tenants", i)->pos,
				  "tenants: expected daily or weekly, got '%s'", c->tenants[i]);
	}
	if (!c->ndaily && !c->nweekly && !c->ntenants)
		cfg_error(d, &node->pos, "alarm_reports: nothing to mail: give the routes of "
			  "daily:, weekly:, or tenants:");
	return d->nerrors > before ? -EINVAL : 0;
}

#define EV(f) offsetof(struct cfg_events, f)
const struct cfg_key events_cfg_keys[] = {
	{.name = "dir", .type = CFGK_STRING, .offset = EV(dir)},
	{.name = "retention", .type = CFGK_DURATION, .offset = EV(retention_ms), .min = DAY_MS,
	 .max = 3650 * DAY_MS, .expect = "a duration, 1d..3650d"},
	{.name = "max_mb", .type = CFGK_INT64, .offset = EV(max_mb), .min = 1, .max = 1 << 30,
	 .expect = "MiB the partitions may take, 1..1073741824"},
	{.name = "warn_percent", .type = CFGK_INT, .offset = EV(warn_percent), .min = 1,
	 .max = 100},
	{.name = "queue_max", .type = CFGK_INT, .offset = EV(queue_max), .min = 1000,
	 .max = 10000000, .expect = "events waiting for the writer, 1000..10000000"},
	{.name = "alarm_reports", .type = CFGK_SECTION, .offset = EV(alarm_reports),
	 .sub = alarm_reports_keys, .elem_size = sizeof(struct cfg_alarm_reports),
	 .init = alarm_reports_init, .check = alarm_reports_check},
	{.name = NULL},
};

static void events_defaults(struct cfg_events *c)
{
	c->retention_ms = 400 * DAY_MS;
	c->max_mb = 10240;
	c->warn_percent = 90;
	c->queue_max = 200000;
}

void events_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_events *c = elem;

	events_defaults(c);
	c->pos = node->pos;
}

/* The store's directory: its own, else <state_dir>/events; a `syslog:` section without
 * an `events:` one gets the store's defaults (messages need a place to go). */
void events_cfg_resolve(struct cfg_events **cp, bool wanted, const char *state_dir,
			const char *dir)
{
	if (!*cp && wanted) {
		if (!(*cp = calloc(1, sizeof(**cp))))
			abort();
		events_defaults(*cp);
	}
	if (!*cp)
		return;
	if (!(*cp)->dir && asprintf(&(*cp)->dir, "%s/events", state_dir) < 0)
		abort();
	cfg_path_resolve(&(*cp)->dir, dir);
}
