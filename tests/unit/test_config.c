/* Configuration loader: a full config with every value checked, a table of broken
 * configs with the exact position and message of each error, the shipped example
 * (golden), and the helpers (durations, suggestions, device comparison, YAML tree). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "tmpdir.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgtest.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/host_checks.h"
#include "dcmon/tcp_check.h"

static char tmpdir[] = "/tmp/dcmon-test-config-XXXXXX";

static int group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	return test_tmpdir_remove(tmpdir);
}

/* Writes text to <tmpdir>/<name> and returns the path (static buffer). */
static const char *write_cfg(const char *name, const char *text)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void diags_dump(const struct cfg_diags *d)
{
	cfg_diags_print(d, stdout);
}

/* ---- a full config ------------------------------------------------------------- */

static struct cfg *load_fixture(const char *name, struct cfg_diags *d)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/tests/unit/data/config/%s", DCMON_SOURCE_DIR, name);
	cfg_diags_init(d);
	struct cfg *cfg = cfg_load(path, d);
	if (cfg == NULL)
		diags_dump(d);
	assert_non_null(cfg);
	return cfg;
}

static void fixture_dir(char *out, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/tests/unit/data/config", DCMON_SOURCE_DIR);
	assert_non_null(realpath(path, out));
	assert_true(strlen(out) < len);
}

static void check_full_daemon(const struct cfg *cfg)
{
	char dir[PATH_MAX], want[PATH_MAX + 64];
	fixture_dir(dir, sizeof(dir));
	const struct cfg_daemon *dm = &cfg->daemon;
	snprintf(want, sizeof(want), "%s/data", dir);
	assert_string_equal(dm->data_dir, want);
	assert_string_equal(dm->state_dir, "/var/lib/dcmon-state");
	snprintf(want, sizeof(want), "%s/run/dcmon.sock", dir);
	assert_string_equal(dm->socket_path, want);
	assert_string_equal(dm->socket_group, "dcmon");
	snprintf(want, sizeof(want), "unix:%s/run/rrdcached.sock", dir);
	assert_string_equal(dm->rrdcached, want);
	assert_string_equal(dm->profiles_dir, "/etc/dcmon/profiles");
	assert_int_equal(dm->log_level, LOG_LVL_DEBUG);
	assert_int_equal(dm->interval_ms, 30000);
	assert_int_equal(dm->timeout_ms, 3000);
	assert_int_equal(dm->archive_flush_ms, 500);
	assert_int_equal(dm->archive_queue_max, 4000000);
	assert_int_equal(dm->max_backoff_factor, 16);
}

static void check_full_places(const struct cfg *cfg)
{
	assert_int_equal(cfg->nsites, 1);
	const struct cfg_site *s = &cfg->sites[0];
	assert_string_equal(s->id, "tokyo-1");
	assert_string_equal(s->name, "Tokyo 1");
	assert_int_equal(s->pos.line, 16);
	assert_int_equal(s->pos.col, 5);
	assert_int_equal(s->nrooms, 1);
	assert_string_equal(s->rooms[0].id, "hall-1");
	assert_string_equal(s->rooms[0].name, "Hall 1");
	assert_int_equal(s->rooms[0].nracks, 2);
	const struct cfg_rack *r = s->rooms[0].racks;
	assert_string_equal(r[0].id, "r01");
	assert_string_equal(r[0].row, "a");
	assert_string_equal(r[0].tenant, "acme");
	assert_string_equal(r[1].id, "r02");
	assert_null(r[1].row);
	assert_null(r[1].tenant);

	assert_int_equal(cfg->ntenants, 1);
	const struct cfg_contact *t = cfg_tenant_find(cfg, "acme");
	assert_ptr_equal(t, &cfg->tenants[0]);
	assert_string_equal(t->name, "ACME Corp");
	assert_int_equal(t->nemail, 2);
	assert_string_equal(t->email[0], "noc@acme.example");
	assert_string_equal(t->email[1], "ops+dc@acme.example");
	assert_null(cfg_tenant_find(cfg, "nobody"));
	assert_int_equal(cfg->nteams, 1);
	assert_string_equal(cfg->teams[0].id, "facility");
	assert_string_equal(cfg->teams[0].name, "Facility team");
	assert_int_equal(cfg->teams[0].nemail, 1);
	assert_string_equal(cfg->teams[0].email[0], "facility@dc.example");
}

static void check_full_ups(const struct cfg *cfg)
{
	const struct cfg_device *util = cfg_device_find(cfg, "util-a");
	assert_ptr_equal(util, &cfg->devices[0]);
	assert_int_equal(util->kind, DEV_UTILITY);
	assert_int_equal(util->interval_ms, 30000); /* daemon default */
	assert_int_equal(util->timeout_ms, 3000);

	const struct cfg_device *u = cfg_device_find(cfg, "ups-a");
	assert_non_null(u);
	assert_int_equal(u->kind, DEV_UPS);
	assert_string_equal(u->profile, "ups-rfc1628");
	assert_string_equal(u->host, "127.0.0.1");
	assert_null(u->tenant);
	assert_null(u->description);
	assert_string_equal(u->loc.site, "tokyo-1");
	assert_string_equal(u->loc.room, "hall-1");
	assert_null(u->loc.row);
	assert_null(u->loc.rack);
	assert_int_equal(u->nfed_by, 1);
	assert_string_equal(u->fed_by[0], "util-a");
	assert_int_equal(u->nlabels, 2);
	assert_string_equal(u->labels[0].key, "phase");
	assert_string_equal(u->labels[0].value, "3");
	assert_string_equal(u->labels[1].key, "vendor");
	assert_string_equal(u->labels[1].value, "apc");
	assert_int_equal(u->interval_ms, 60000);
	assert_int_equal(u->timeout_ms, 5000);
	assert_null(ping_check_of(u));
	size_t ntcp, nprocess;
	assert_null(tcp_checks_of(u, &ntcp));
	assert_int_equal(ntcp, 0);
	assert_null(process_checks_of(u, &nprocess));
	assert_int_equal(nprocess, 0);
	assert_int_equal(resources_of(u), RES_NONE);
	assert_int_equal(u->pos.line, 37);
	assert_int_equal(u->pos.col, 5);
}

static void check_full_server(const struct cfg *cfg)
{
	const struct cfg_device *w = cfg_device_find(cfg, "web-01");
	assert_non_null(w);
	assert_int_equal(w->kind, DEV_SERVER);
	assert_string_equal(w->host, "web-01.acme.example");
	assert_string_equal(w->tenant, "acme");
	assert_string_equal(w->description, "ACME front end");
	assert_string_equal(w->loc.row, "a");
	assert_string_equal(w->loc.rack, "r01");
	assert_int_equal(w->nfed_by, 2);
	assert_string_equal(w->fed_by[1], "util-a");
	const struct cfg_ping *ping = ping_check_of(w);
	assert_non_null(ping);
	assert_int_equal(ping->count, 5);
	assert_int_equal(ping->timeout_ms, 1000);
	assert_int_equal(ping->spacing_ms, 100);
	assert_int_equal(ping->size, 64);
	size_t ntcp;
	const struct cfg_tcp *tcp = tcp_checks_of(w, &ntcp);
	assert_int_equal(ntcp, 2);
	assert_null(tcp[0].host);
	assert_int_equal(tcp[0].port, 22);
	assert_null(tcp[0].send);
	assert_null(tcp[0].expect);
	assert_int_equal(tcp[0].timeout_ms, CFG_UNSET);
	assert_int_equal(tcp[0].pos.line, 56);
	assert_int_equal(tcp[0].pos.col, 11);
	assert_string_equal(tcp[1].host, "127.0.0.2");
	assert_int_equal(tcp[1].port, 80);
	assert_string_equal(tcp[1].send, "HEAD / HTTP/1.0\r\n\r\n");
	assert_string_equal(tcp[1].expect, "200 OK");
	assert_int_equal(tcp[1].timeout_ms, 750);
	size_t nprocess;
	const struct cfg_process *process = process_checks_of(w, &nprocess);
	assert_int_equal(nprocess, 2);
	assert_string_equal(process[0].name, "nginx");
	assert_null(process[0].pattern);
	assert_string_equal(process[0].label, "nginx");
	assert_int_equal(process[0].min, 1);
	assert_null(process[1].name);
	assert_string_equal(process[1].pattern, "^/usr/sbin/sshd( |$)");
	assert_string_equal(process[1].label, "sshd");
	assert_int_equal(process[1].min, 2);
	assert_int_equal(resources_of(w), RES_SNMP);

	const struct cfg_device *db = cfg_device_find(cfg, "db-01");
	ping = ping_check_of(db);
	assert_non_null(ping); /* `ping: true`: defaults, timeout = device timeout */
	assert_int_equal(ping->count, 3);
	assert_int_equal(ping->timeout_ms, 3000);
	assert_int_equal(ping->spacing_ms, 200);
	assert_int_equal(ping->size, 56);
	assert_int_equal(resources_of(db), RES_LOCAL);
	assert_null(cfg_device_find(cfg, "nope"));
}

static void check_full_rules(const struct cfg *cfg)
{
	assert_int_equal(cfg->nrules, 6);
	const struct cfg_rule *r = &cfg->rules[0];
	assert_string_equal(r->name, "ups-runtime");
	assert_string_equal(r->match.kind, "ups");
	assert_string_equal(r->match.metric, "battery_runtime_seconds");
	assert_string_equal(r->match.site, "tokyo-1");
	assert_string_equal(r->match.room, "hall-1");
	assert_null(r->match.device);
	assert_int_equal(r->type, RULE_BELOW);
	assert_true(r->warn == 900 && r->crit == 480);
	assert_true(r->clear_warn == 1200 && r->clear_crit == 600);
	assert_int_equal(r->for_ms, 30000);
	assert_string_equal(r->summary, "UPS runtime low");

	r = &cfg->rules[1];
	assert_string_equal(r->name, "rule-73"); /* generated from its line */
	assert_string_equal(r->match.device, "ups-*");
	assert_string_equal(r->match.inst, "*");
	assert_string_equal(r->match.tenant, "acme");
	assert_int_equal(r->match.nlabels, 1);
	assert_string_equal(r->match.labels[0].key, "vendor");
	assert_string_equal(r->match.labels[0].value, "apc");
	assert_int_equal(r->type, RULE_STATE);
	assert_int_equal(r->nstates, 3);
	assert_string_equal(r->states[2], "5");
	assert_int_equal(r->severity, SEV_CRITICAL);
	assert_true(isnan(r->warn) && isnan(r->crit));
	assert_int_equal(r->for_ms, 0);

	r = &cfg->rules[2];
	assert_int_equal(r->type, RULE_RATE);
	assert_true(r->warn == -5 && r->crit == -10);
	assert_true(fabs(r->rate_per_s - 1.0 / 3600) < 1e-12);
	assert_int_equal(r->window_ms, 15 * 60000);

	r = &cfg->rules[3];
	assert_int_equal(r->type, RULE_NODATA);
	assert_int_equal(r->nodata_intervals, 4);
	assert_int_equal(r->severity, SEV_INFO);

	r = &cfg->rules[4];
	assert_int_equal(r->type, RULE_ABOVE);
	assert_true(r->warn == 27 && r->crit == 32);
	assert_true(isnan(r->clear_warn) && isnan(r->clear_crit));

	r = &cfg->rules[5];
	assert_int_equal(r->type, RULE_ANOMALY);
	assert_true(r->deviation == 2.5 && r->margin == 0.5);
	assert_int_equal(r->direction, ANOMALY_UP);
	assert_int_equal(r->learn_ms, 21LL * 86400000);
	assert_int_equal(r->for_ms, 600000);
	assert_int_equal(r->severity, SEV_WARNING);
}

static void check_full_routes(const struct cfg *cfg)
{
	assert_int_equal(cfg->nroutes, 2);
	const struct cfg_route *r = &cfg->routes[0];
	assert_string_equal(r->name, "acme");
	assert_string_equal(r->match.tenant, "acme");
	assert_int_equal(r->min_severity, SEV_WARNING);
	assert_true(r->tenant_contacts);
	assert_int_equal(r->nemail, 1);
	assert_string_equal(r->email[0], "extra@acme.example");
	assert_int_equal(r->nteams, 0);
	assert_int_equal(r->group_wait_ms, 60000);
	assert_int_equal(r->repeat_ms, 4 * 3600000);
	assert_int_equal(r->escalate_after_ms, 30 * 60000);
	assert_string_equal(r->escalate_to, "facility");
	assert_false(r->send_resolved);

	r = &cfg->routes[1];
	assert_string_equal(r->match.kind, "ups");
	assert_int_equal(r->min_severity, SEV_CRITICAL);
	assert_false(r->tenant_contacts);
	assert_int_equal(r->nteams, 1);
	assert_string_equal(r->teams[0], "facility");
	assert_int_equal(r->nemail, 1); /* through the YAML alias */
	assert_string_equal(r->email[0], "facility@dc.example");
	assert_int_equal(r->group_wait_ms, 30000);
	assert_int_equal(r->repeat_ms, 0);
	assert_null(r->escalate_to);
	assert_true(r->send_resolved);
}

static void test_full_config(void **state)
{
	struct cfg_diags d;
	struct cfg *cfg = load_fixture("full.yaml", &d);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg->path + strlen(cfg->path) - 9, "full.yaml");
	check_full_daemon(cfg);
	check_full_places(cfg);
	assert_int_equal(cfg->ndevices, 4);
	check_full_ups(cfg);
	check_full_server(cfg);
	check_full_rules(cfg);
	check_full_routes(cfg);
	cfg_free(cfg);
	cfg_diags_free(&d);
}

/* Defaults of an empty file: every daemon default and no sections. */
static void test_defaults(void **state)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfg *cfg = cfg_load(write_cfg("empty.yaml", "# nothing\n---\n"), &d);
	assert_non_null(cfg);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg->daemon.data_dir, "/var/lib/dcmon");
	assert_string_equal(cfg->daemon.state_dir, "/var/lib/dcmon");
	assert_string_equal(cfg->daemon.socket_path, "/run/dcmon/dcmon.sock");
	assert_null(cfg->daemon.socket_group);
	assert_null(cfg->daemon.rrdcached);
	char want[PATH_MAX + 16], dir[PATH_MAX];
	assert_non_null(realpath(tmpdir, dir));
	snprintf(want, sizeof(want), "%s/profiles", dir);
	assert_string_equal(cfg->daemon.profiles_dir, want);
	assert_int_equal(cfg->daemon.log_level, LOG_LVL_INFO);
	assert_int_equal(cfg->daemon.interval_ms, 10000);
	assert_int_equal(cfg->daemon.timeout_ms, 2000);
	assert_int_equal(cfg->daemon.archive_flush_ms, 30000);
	assert_int_equal(cfg->daemon.archive_queue_max, 0); /* the archive's default */
	assert_int_equal(cfg->daemon.max_backoff_factor, 8);
	assert_int_equal(cfg->daemon.max_series_per_device, 4096);
	assert_int_equal(cfg->ndevices + cfg->nrules + cfg->nroutes + cfg->nsites, 0);
	cfg_free(cfg);
	cfg_diags_free(&d);
}

/* ---- broken configs ------------------------------------------------------------ */

struct bad_case {
	const char *what;
	const char *yaml;
	int line, col;
	const char *frag;
};

static const struct bad_case bad_cases[] = {
    {"unknown key", "devices:\n  - id: a\n    intervall: 10s\n", 3, 5,
     "unknown key 'intervall' in device; did you mean 'interval'?"},
    {"unknown top key", "device:\n  - id: a\n", 1, 1,
     "unknown key 'device'; did you mean 'devices'?"},
    {"unknown key, no near one", "daemon:\n  colour: red\n", 2, 3,
     "unknown key 'colour' in daemon; valid keys: data_dir, state_dir"},
    {"bad duration", "daemon:\n  interval: 10 parsecs\n", 2, 13,
     "interval: expected a duration like 10s, 500ms, 2m, got '10 parsecs'"},
    {"unitless duration", "devices:\n  - id: a\n    timeout: 5\n", 3, 14,
     "timeout: expected a duration"},
    {"duration out of range", "daemon:\n  interval: 10ms\n", 2, 13,
     "interval: 10ms is out of range 100ms..1d"},
    {"audit retention below a year", "daemon:\n  accounts:\n    audit_retention: 364d\n", 3,
     22, "audit_retention: 364d is out of range 365d..36500d"},
    {"tenant limits: a prefix out of range",
     "daemon:\n  tenant_layer:\n    limits:\n      - {tenant: acme, targets: [10.0.0.0/33]}\n",
     4, 34, "targets: 10.0.0.0/33: the prefix length is out of range"},
    {"tenant limits: a port that is not one",
     "daemon:\n  tenant_layer:\n    limits:\n      - {tenant: acme, targets: [\"::1\"], ports: [80-20]}\n",
     4, 50, "ports: 80-20: expected a port like 443 or a range like 8000-8099"},
    {"tenant limits: no targets", "daemon:\n  tenant_layer:\n    limits:\n      - {tenant: acme}\n",
     4, 9, "missing required key 'targets'"},
    {"report target out of range", "daemon:\n  reports:\n    target: 101\n", 3, 13,
     "target: 101 is out of range"},
    {"report tenant policy without its tenant",
     "daemon:\n  reports:\n    tenants:\n      - {planned_counts: yes}\n", 4, 9, "tenant"},
    {"series limit out of range", "daemon:\n  max_series_per_device: 0\n", 2, 26,
     "max_series_per_device"},
    {"snmp max_rows out of range",
     "devices:\n  - id: a\n    host: h\n    snmp: {max_rows: 0}\n", 4, 22,
     "max_rows: 0 is out of range 1..100000"},
    {"port out of range", "devices:\n  - id: a\n    host: h\n    checks:\n      tcp: [70000]\n", 5,
     13, "port: 70000 is out of range 1..65535"},
    {"port not a number",
     "devices:\n  - id: a\n    host: h\n    checks:\n      tcp: [{port: ssh}]\n", 5, 20,
     "port: expected an integer, got 'ssh'"},
    {"list where map expected", "devices:\n  - id: a\n    location: [x]\n", 3, 15,
     "location: expected a map, got a list"},
    {"map where list expected", "devices:\n  id: a\n", 2, 3,
     "devices: expected a list of device, got a map"},
    {"section not a map", "daemon: [a]\n", 1, 9, "daemon: expected a map, got a list"},
    {"duplicate key", "daemon:\n  timeout: 1s\n  timeout: 2s\n", 3, 3,
     "duplicate key 'timeout' (first at line 2)"},
    {"duplicate label", "devices:\n  - id: a\n    labels: {x: 1, x: 2}\n", 3, 20,
     "duplicate key 'x' (first at line 3)"},
    {"missing id", "devices:\n  - kind: ups\n", 2, 5, "missing required key 'id' in device"},
    {"bad id", "devices:\n  - id: a b\n", 2, 9, "'a b' is not a valid device id"},
    {"duplicate device id", "devices:\n  - id: a\n  - id: b\n  - id: a\n", 4, 5,
     "duplicate device id 'a' (first defined at line 2)"},
    {"dangling fed_by", "devices:\n  - id: a\n    fed_by: [b]\n", 3, 14,
     "fed_by: unknown device 'b'"},
    {"self fed_by", "devices:\n  - id: a\n    fed_by: a\n", 3, 13,
     "fed_by: device 'a' cannot feed itself"},
    {"dangling tenant", "tenants:\n  - id: acme\ndevices:\n  - id: a\n    tenant: acmee\n", 5, 13,
     "tenant: unknown tenant 'acmee'; did you mean 'acme'?"},
    {"fed_by cycle",
     "devices:\n  - id: a\n    fed_by: b\n  - id: b\n    fed_by: c\n  - id: c\n    fed_by: [x, a]\n"
     "  - id: x\n",
     7, 17, "fed_by cycle: a -> b -> c -> a"},
    {"bad kind", "devices:\n  - id: a\n    kind: serverr\n", 3, 11, "did you mean 'server'?"},
    {"unknown site", "sites:\n  - id: s1\ndevices:\n  - id: a\n    location: {site: s2}\n", 5, 22,
     "location: unknown site 's2'; did you mean 's1'?"},
    {"unknown room",
     "sites:\n  - id: s1\n    rooms: [{id: r1}]\ndevices:\n  - id: a\n"
     "    location: {site: s1, room: hall}\n",
     6, 32, "location: unknown room 'hall' in site s1"},
    {"rack in another row",
     "sites:\n  - id: s1\n    rooms:\n      - id: h\n"
     "        racks: [{id: k1, row: a}]\ndevices:\n  - id: a\n"
     "    location: {site: s1, room: h, row: b, rack: k1}\n",
     8, 40, "rack 'k1' is in row 'a', not 'b'"},
    {"rack tenant",
     "sites:\n  - id: s1\n    rooms:\n      - id: h\n"
     "        racks: [{id: k1, tenant: ghost}]\n",
     5, 17, "tenant: unknown tenant 'ghost'"},
    {"contradictory above", "rules:\n  - match: {metric: x}\n    above: {warn: 90, crit: 80}\n", 3,
     19, "above: contradictory levels: warn 90 is above crit 80"},
    {"contradictory below", "rules:\n  - below: {warn: 10, crit: 20}\n", 2, 19,
     "below: contradictory levels: warn 10 is below crit 20"},
    {"hysteresis", "rules:\n  - above: {warn: 10, clear_warn: 12}\n", 2, 35,
     "above: clear_warn 12 is above warn 10; it would never clear"},
    {"no levels", "rules:\n  - above: {}\n", 2, 12, "above: expected a warn and/or a crit"},
    {"no condition", "rules:\n  - match: {kind: ups}\n", 2, 5,
     "rule: expected a condition: one of above, below, state, rate, nodata"},
    {"two conditions", "rules:\n  - above: {warn: 1}\n    nodata: {}\n", 3, 13,
     "'above' and 'nodata' cannot be combined"},
    {"bad metric glob", "rules:\n  - match: {metric: \"Bad-Name\"}\n    nodata: {}\n", 2, 21,
     "metric: 'Bad-Name' is not a valid metric-name glob"},
    {"unclosed glob bracket", "rules:\n  - match: {metric: \"temp_[a-z\"}\n    nodata: {}\n", 2, 21,
     "is not a valid metric-name glob"},
    {"bad rate unit", "rules:\n  - rate: {warn: 1, per: week}\n", 2, 26,
     "per: expected one of s, min, h"},
    {"bad severity", "rules:\n  - nodata: {severity: critcal}\n", 2, 24,
     "did you mean 'critical'?"},
    {"bad anomaly key", "rules:\n  - anomaly: {deviaton: 3}\n", 2, 15, "deviaton"},
    {"bad anomaly direction", "rules:\n  - anomaly: {direction: sideways}\n", 2, 26,
     "direction: expected one of both, up, down"},
    {"anomaly deviation 0", "rules:\n  - anomaly: {deviation: 0}\n", 2, 26,
     "anomaly: deviation must be more than 0"},
    {"anomaly learn too short", "rules:\n  - anomaly: {learn: 1h}\n", 2, 22, "learn: 1h is out of range 1d..98d"},
    /* breaking through suppression (docs/FACILITY.md) */
    {"breaks_through not a bool", "rules:\n  - above: {crit: 1}\n    breaks_through: maybe\n", 3,
     21, "breaks_through: expected true or false, got 'maybe'"},
    {"breaks_through never critical", "rules:\n  - above: {warn: 1}\n    breaks_through: true\n", 3,
     21, "breaks_through: the rule never fires critical"},
    {"breaks_through of a warning state",
     "rules:\n  - state: {values: [low]}\n    breaks_through: true\n", 3, 21,
     "breaks_through: the rule never fires critical"},
    {"time_to_impact alone",
     "rules:\n  - above: {crit: 1}\n    time_to_impact: battery_runtime_seconds\n", 3, 21,
     "time_to_impact: only with breaks_through: true"},
    {"time_to_impact not in seconds",
     "rules:\n  - state: {values: [low], severity: critical}\n    breaks_through: true\n"
     "    time_to_impact: battery_charge_percent\n",
     4, 21, "time_to_impact: expected the name of a metric in seconds (NAME_seconds), got "
            "'battery_charge_percent'"},
    {"time_to_impact a glob",
     "rules:\n  - below: {crit: 1}\n    breaks_through: true\n    time_to_impact: \"*_seconds\"\n",
     4, 21, "time_to_impact: expected the name of a metric in seconds"},
    {"bad email", "teams:\n  - id: noc\n    email: [a@b.example, bad@]\n", 3, 26,
     "email: 'bad@' is not a valid e-mail address"},
    {"bad route email", "routes:\n  - email: \"a b@c.example\"\n", 2, 12,
     "'a b@c.example' is not a valid e-mail address"},
    {"unknown team", "routes:\n  - teams: [nope]\n", 2, 13, "teams: unknown team 'nope'"},
    {"unknown escalation",
     "routes:\n  - tenant: true\n    escalate_after: 5m\n"
     "    escalate_to: ghost\n",
     4, 18, "escalate_to: unknown route 'ghost'"},
    {"route to nowhere", "routes:\n  - match: {severity: critical}\n", 2, 5,
     "route: sends nowhere"},
    {"bad regex", "devices:\n  - id: a\n    checks:\n      process: [{pattern: \"a((\"}]\n", 4, 27,
     "pattern: invalid regular expression"},
    /* `checks: http:` (pollers/http_cfg.c) */
    {"http: not a URL", "devices:\n  - id: a\n    checks:\n      http:\n        - 'http://[oops/'\n", 5, 11, "url: 'http://[oops/' is not a URL"},
    {"http: not http", "devices:\n  - id: a\n    checks:\n      http:\n        - ftp://h/x\n", 5, 11,
     "url: 'ftp://h/x': expected an http:// or https:// URL"},
    {"http: no url", "devices:\n  - id: a\n    checks:\n      http:\n        - {name: x}\n", 5, 11, "missing required key 'url' in http check"},
    {"http: bad status", "devices:\n  - id: a\n    checks:\n      http:\n        - {url: 'http://h/', status: [200, 2x5]}\n", 5, 44,
     "status: '2x5' is not a status (expected 100..599 or 1xx..5xx)"},
    {"http: bad method", "devices:\n  - id: a\n    checks:\n      http:\n        - {url: 'http://h/', method: POST}\n", 5, 38,
     "method: expected one of GET, HEAD, got 'POST'"},
    {"http: body and regex", "devices:\n  - id: a\n    checks:\n      http:\n        - {url: 'http://h/', body: a, body_regex: b}\n", 5, 51,
     "body_regex: give body or body_regex, not both"},
    {"http: bad regex", "devices:\n  - id: a\n    checks:\n      http:\n        - {url: 'http://h/', body_regex: 'a('}\n", 5, 42,
     "body_regex: invalid regular expression"},
    {"http: body_max too large", "devices:\n  - id: a\n    checks:\n      http:\n        - {url: 'http://h/', body_max: 2000000}\n", 5, 40,
     "body_max: 2000000 is out of range 1..1048576"},
    {"http: duplicate name", "devices:\n  - id: a\n    checks:\n      http:\n        - http://h/\n        - {url: 'http://h/x', name: y}\n        - http://h/\n", 7, 11,
     "http: duplicate name 'http://h/' (give each check a name)"},
    {"tcp without host", "devices:\n  - id: a\n    checks: {tcp: [22, {host: h, port: 23}]}\n", 3, 20,
     "tcp: port 22 needs a host (in the check or the device)"},
    {"plugin: duplicate name", "devices:\n  - id: a\n    checks:\n      plugin:\n        - {command: [/bin/true]}\n        - {command: [/usr/bin/true]}\n", 6, 11,
     "plugin: duplicate name 'true' (give each check a name)"},
    {"ping without host", "devices:\n  - id: a\n    checks: {ping: {}}\n", 3, 13,
     "ping: device 'a' has no host"},
    {"timeout over interval", "devices:\n  - id: a\n    interval: 1s\n    timeout: 2s\n", 4, 14,
     "timeout 2000ms is longer than the poll interval 1000ms"},
    {"bad bool", "routes:\n  - tenant: maybe\n", 2, 13,
     "tenant: expected true or false, got 'maybe'"},
    {"bad log level", "daemon:\n  log_level: loud\n", 2, 14,
     "log_level: expected one of error, warn, info, debug, got 'loud'"},
    {"yaml syntax", "daemon:\n  interval: 10s\n  timeout: a: b\n", 3, 13,
     "YAML syntax error: mapping values are not allowed in this context"},
    {"yaml unclosed list", "devices:\n  - id: x\n    fed_by: [a\n", 4, 1,
     "YAML syntax error: did not find expected ',' or ']'"},
    {"unknown anchor", "devices:\n  - id: *nope\n", 2, 9, "unknown anchor *nope"},
    {"two documents", "daemon: {}\n---\ndaemon: {}\n", 2, 1, "expected a single YAML document"},
};

/* Runs one case; true if the load failed with the expected error (else prints why). */
static bool bad_case_run(const struct bad_case *c)
{
	const struct cfg_want want = {c->line, c->col, c->frag};
	bool ok = cfgtest_refused(c->yaml, &want, 1, false);
	if (!ok)
		printf("(case '%s')\n", c->what);
	return ok;
}

static void test_bad_configs(void **state)
{
	size_t failed = 0;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		failed += !bad_case_run(&bad_cases[i]);
	assert_int_equal(failed, 0);
}

/* All errors of a file are reported in one run, in source order. */
static void test_many_errors(void **state)
{
	static const char yaml[] = "daemon:\n"
	                           "  intervall: 10s\n" /* 2:3 */
	                           "  timeout: soon\n"  /* 3:12 */
	                           "devices:\n"
	                           "  - id: a\n"
	                           "    fed_by: [ghost]\n" /* 6:14 */
	                           "    checks:\n"
	                           "      tcp: [0]\n" /* 8:13 */
	                           "rules:\n"
	                           "  - above: {warn: 5, crit: 1}\n"; /* 10:19 */
	struct cfg_diags d;
	cfg_diags_init(&d);
	const char *path = write_cfg("many.yaml", yaml);
	assert_null(cfg_load(path, &d));
	assert_int_equal(d.nerrors, 5);
	assert_int_equal(d.n, 5);
	const int want[][2] = {{2, 3}, {3, 12}, {6, 14}, {8, 13}, {10, 19}};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(d.v[i].pos.line, want[i][0]);
		assert_int_equal(d.v[i].pos.col, want[i][1]);
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	cfg_diags_print(&d, f);
	fclose(f);
	char first[PATH_MAX + 128];
	snprintf(first, sizeof(first),
	         "%s:2:3: error: unknown key 'intervall' in daemon; did you mean 'interval'?\n",
	         path);
	assert_int_equal(strncmp(out, first, strlen(first)), 0);
	free(out);
	cfg_diags_free(&d);
}

static void test_server_warning(void **state)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfg *cfg =
	    cfg_load(write_cfg("warn.yaml", "devices:\n  - id: idle\n    kind: server\n"
	                                    "  - id: busy\n    kind: server\n"
	                                    "    checks: {resources: local}\n"),
	             &d);
	assert_non_null(cfg);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	assert_true(d.v[0].warning);
	assert_int_equal(d.v[0].pos.line, 2);
	assert_string_equal(d.v[0].msg,
	                    "server 'idle' has no checks and no transport; nothing will be polled");
	assert_int_equal(cfg->diags.n, 1); /* warnings kept in the config too */
	cfg_free(cfg);
	cfg_diags_free(&d);
}

static void test_missing_file(void **state)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	assert_null(cfg_load("/nonexistent/dcmon.yaml", &d));
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].pos.file, "/nonexistent/dcmon.yaml");
	assert_string_equal(d.v[0].msg, "cannot open: No such file or directory");
	cfg_diags_free(&d);
}

/* ---- golden: the shipped example ------------------------------------------------ */

static void test_example_config(void **state)
{
	char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/etc/dcmon.yaml", DCMON_SOURCE_DIR);
	snprintf(want, sizeof(want), "%s/etc", DCMON_SOURCE_DIR);
	assert_non_null(realpath(want, dir));
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfg *cfg = cfg_load(path, &d);
	diags_dump(&d);
	assert_non_null(cfg);
	assert_int_equal(d.n, 0);
	snprintf(want, sizeof(want), "%s/../run/data", dir);
	assert_string_equal(cfg->daemon.data_dir, want);
	snprintf(want, sizeof(want), "%s/../run/dcmon.sock", dir);
	assert_string_equal(cfg->daemon.socket_path, want);
	const struct cfg_device *dev = cfg_device_find(cfg, "localhost");
	assert_non_null(dev);
	assert_int_equal(dev->kind, DEV_SERVER);
	assert_string_equal(dev->host, "127.0.0.1");
	assert_non_null(ping_check_of(dev));
	size_t ntcp, nprocess;
	assert_int_equal(tcp_checks_of(dev, &ntcp)[0].port, 18080);
	assert_int_equal(ntcp, 1);
	assert_string_equal(process_checks_of(dev, &nprocess)[0].name, "dcmond");
	assert_int_equal(nprocess, 1);
	assert_int_equal(resources_of(dev), RES_LOCAL);
	assert_true(cfg->nrules > 0 && cfg->nroutes > 0);
	cfg_free(cfg);
	cfg_diags_free(&d);
}

/* ---- helpers ------------------------------------------------------------------- */

static void test_parse_duration(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
	    {"0", 0},
	    {"0s", 0},
	    {"500ms", 500},
	    {"10s", 10000},
	    {"2m", 120000},
	    {"1h", 3600000},
	    {"1d", 86400000},
	    {"1h30m", 5400000},
	    {"1m500ms", 60500},
	    {"1d2h3m4s5ms", 93784005},
	    {"106751991167d", 106751991167LL * 86400000},
	};
	static const char *const bad[] = {
	    "",
	    "10",
	    "s",
	    "-1s",
	    "+1s",
	    "1.5s",
	    "10 s",
	    " 1s",
	    "1s ",
	    "1s1h",
	    "1s1s",
	    "1x",
	    "1sec",
	    "ms",
	    "99999999999999999999s",
	    "106751991168d",
	    "1h-5m",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t ms = -1;
		assert_int_equal(cfg_parse_duration(good[i].s, &ms), 0);
		assert_int_equal(ms, good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 42;
		if (cfg_parse_duration(bad[i], &ms) != -EINVAL)
			fail_msg("'%s' parsed as a duration", bad[i]);
		assert_int_equal(ms, 42);
	}
	assert_int_equal(cfg_parse_duration(NULL, &(int64_t){0}), -EINVAL);
}

static void test_suggest(void **state)
{
	static const char *const keys[] = {"interval", "timeout", "id", "host", "profile", NULL};
	assert_string_equal(cfg_suggest("intervall", keys), "interval");
	assert_string_equal(cfg_suggest("tmeout", keys), "timeout");
	assert_string_equal(cfg_suggest("hsot", keys), "host"); /* transposition */
	assert_string_equal(cfg_suggest("ID", keys), "id");
	assert_string_equal(cfg_suggest("profiel", keys), "profile");
	assert_null(cfg_suggest("colour", keys));
	assert_null(cfg_suggest("x", (const char *const[]){"interval", NULL}));
	assert_null(cfg_suggest("interval", (const char *const[]){NULL}));
	char long_word[200];
	memset(long_word, 'a', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	assert_null(cfg_suggest(long_word, keys));
}

static const char same_base[] =
    "devices:\n"
    "  - id: a\n"
    "    host: 127.0.0.1\n"
    "    description: first\n"
    "    labels: {x: y}\n"
    "    checks: {ping: {count: 2}, tcp: [22, {port: 80, send: hi}], process: [sshd]}\n";

/* Loads same_base with `from` replaced by `to`; returns device "a" (cfg in *out). */
static const struct cfg_device *load_variant(const char *from, const char *to, struct cfg **out)
{
	char text[1024];
	const char *at = strstr(same_base, from);
	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - same_base), same_base, to,
	         at + strlen(from));
	struct cfg_diags d;
	cfg_diags_init(&d);
	*out = cfg_load(write_cfg("same.yaml", text), &d);
	if (*out == NULL)
		diags_dump(&d);
	assert_non_null(*out);
	cfg_diags_free(&d);
	return cfg_device_find(*out, "a");
}

static void test_device_same(void **state)
{
	static const struct {
		const char *from, *to;
		bool same;
	} cases[] = {
	    {"first", "second", true},  /* description does not poll */
	    {"{x: y}", "{x: z}", true}, /* nor do labels */
	    {"127.0.0.1", "127.0.0.2", false},
	    {"count: 2", "count: 3", false},
	    {"[22,", "[23,", false},
	    {"send: hi", "send: ho", false},
	    {"[sshd]", "[sshd, cron]", false},
	    {"{ping: {count: 2}, ", "{", false},
	    {"    description", "    interval: 20s\n    description", false},
	    {"    description", "    interval: 10s\n    description", true}, /* = default */
	};
	struct cfg *base;
	const struct cfg_device *a = load_variant("first", "first", &base);
	assert_true(cfg_device_same(a, a));
	assert_false(cfg_device_same(a, NULL));
	assert_true(cfg_device_same(NULL, NULL));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg *other;
		const struct cfg_device *b = load_variant(cases[i].from, cases[i].to, &other);
		if (cfg_device_same(a, b) != cases[i].same)
			fail_msg("'%s' -> '%s': expected same=%d", cases[i].from, cases[i].to,
			         cases[i].same);
		cfg_free(other);
	}
	cfg_free(base);
}

static void test_names(void **state)
{
	for (int k = 0; k < DEV_KIND_COUNT; k++) {
		enum dev_kind back;
		assert_int_equal(dev_kind_parse(dev_kind_name(k), &back), 0);
		assert_int_equal(back, k);
	}
	enum dev_kind k;
	assert_int_equal(dev_kind_parse("toaster", &k), -EINVAL);
	assert_string_equal(dev_kind_name(DEV_GENERATOR), "generator");
	assert_string_equal(dev_kind_name(DEV_KIND_COUNT), "?");
	assert_string_equal(cfg_severity_name(SEV_INFO), "info");
	assert_string_equal(cfg_severity_name(SEV_WARNING), "warning");
	assert_string_equal(cfg_severity_name(SEV_CRITICAL), "critical");
}

/* The YAML tree: positions, nulls, quoting, aliases. */
static void test_tree(void **state)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfgnode *root = cfgnode_load_string("t.yaml",
	                                           "a: &x {k: [1, '2', ~]}\n"
	                                           "b: *x\n"
	                                           "c:\n"
	                                           "\"d\": null\n",
	                                           &d);
	assert_non_null(root);
	assert_int_equal(d.n, 0);
	assert_int_equal(root->type, CFGNODE_MAP);
	assert_int_equal(root->n, 4);
	const struct cfgnode *a = cfgnode_get(root, "a");
	const struct cfgnode *b = cfgnode_get(root, "b");
	assert_int_equal(a->pos.line, 1);
	assert_int_equal(a->pos.col, 4);
	assert_string_equal(a->pos.file, "t.yaml");
	const struct cfgnode *k = cfgnode_get(b, "k");
	assert_non_null(k);
	assert_int_equal(k->type, CFGNODE_SEQ);
	assert_int_equal(k->n, 3);
	assert_string_equal(k->items[0]->scalar, "1");
	assert_false(k->items[0]->quoted);
	assert_true(k->items[1]->quoted);
	assert_string_equal(k->items[2]->scalar, "");
	assert_int_equal(k->items[1]->pos.col, 15);
	assert_string_equal(cfgnode_get(root, "c")->scalar, "");
	assert_string_equal(cfgnode_get(root, "d")->scalar, "");
	assert_null(cfgnode_get(root, "e"));
	assert_null(cfgnode_get(k, "x"));
	assert_string_equal(cfgnode_type_name(CFGNODE_SEQ), "list");
	cfgnode_free(root);
	cfgnode_free(NULL);
	cfg_diags_free(&d);
}

/* A billion-laughs document is refused, not expanded. */
static void test_tree_alias_bomb(void **state)
{
	char text[2048] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
	for (char c = 'b'; c <= 'j'; c++) {
		size_t len = strlen(text);
		snprintf(text + len, sizeof(text) - len,
		         "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c,
		         c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	}
	struct cfg_diags d;
	cfg_diags_init(&d);
	assert_null(cfgnode_load_string("bomb.yaml", text, &d));
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.v[0].msg, "document too large"));
	cfg_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_config),     cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_bad_configs),     cmocka_unit_test(test_many_errors),
	    cmocka_unit_test(test_server_warning),  cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_example_config),  cmocka_unit_test(test_parse_duration),
	    cmocka_unit_test(test_suggest),         cmocka_unit_test(test_device_same),
	    cmocka_unit_test(test_names),           cmocka_unit_test(test_tree),
	    cmocka_unit_test(test_tree_alias_bomb),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
