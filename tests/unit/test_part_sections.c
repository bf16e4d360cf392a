/* A part's own section of `daemon:` or of a device, and its own list or value of a
 * device's checks (CFG_PART_SECTION, dcmon/part.h): decoded by the part's key table into
 * a slot the kernel keeps opaque, read back by the part (cfg_part_section,
 * cfg_device_section, cfg_device_list and cfg_device_value, here through the parts'
 * accessors), its errors at file:line:col, and compared and freed by the kernel like its
 * own keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "tmpdir.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/config.h"
#include "dcmon/event.h"
#include "dcmon/facility.h"
#include "dcmon/host_checks.h"
#include "dcmon/http_check.h"
#include "dcmon/modbus.h"
#include "dcmon/mqtt.h"
#include "dcmon/snmp.h"
#include "dcmon/syslog.h"

static char tmpdir[] = "/tmp/dcmon-test-part-sections-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return test_tmpdir_remove(tmpdir);
}

/* Loads text as <tmpdir>/dcmon.yaml; d is initialised here and freed by the caller. */
static struct cfg *load(const char *text, struct cfg_diags *d)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/dcmon.yaml", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	cfg_diags_init(d);
	return cfg_load(path, d);
}

static void test_section_read_back(void **state)
{
	(void)state;
	struct cfg_diags d;
	struct cfg *cfg = load("daemon:\n  mqtt:\n    host: 127.0.0.9\n    port: 1999\n", &d);
	if (!cfg)
		cfg_diags_print(&d, stdout);
	assert_non_null(cfg);
	const struct cfg_mqtt *mc = mqtt_cfg_of(cfg);
	assert_non_null(mc);
	assert_ptr_equal(mc, cfg_part_section(&cfg->daemon, "mqtt"));
	assert_string_equal(mc->host, "127.0.0.9");
	assert_int_equal(mc->port, 1999);
	assert_null(cfg_part_section(&cfg->daemon, "no-such-section"));
	cfg_free(cfg);
	cfg_diags_free(&d);
}

static void test_section_absent(void **state)
{
	(void)state;
	struct cfg_diags d;
	struct cfg *cfg = load("daemon:\n  interval: 10s\n", &d);
	assert_non_null(cfg);
	assert_null(mqtt_cfg_of(cfg));
	cfg_free(cfg);
	cfg_diags_free(&d);
}

/* The part's keys report at the position of the offending node, as the kernel's do. */
static void test_section_error_position(void **state)
{
	(void)state;
	struct cfg_diags d;
	struct cfg *cfg = load("daemon:\n  mqtt:\n    hots: 127.0.0.1\n", &d);
	assert_null(cfg);
	bool found = false;
	for (size_t i = 0; i < d.n; i++) {
		const struct cfg_diag *g = &d.v[i];
		if (g->pos.line == 3 && g->pos.col == 5 && strstr(g->msg, "unknown key 'hots'") &&
		    strstr(g->msg, "did you mean 'host'") && strstr(g->pos.file, "dcmon.yaml"))
			found = true;
	}
	if (!found)
		cfg_diags_print(&d, stdout);
	assert_true(found);
	cfg_diags_free(&d);
}

/* Two loads of the same section are two copies, each freed with its config. */
static void test_section_per_config(void **state)
{
	(void)state;
	struct cfg_diags d1, d2;
	struct cfg *a = load("daemon:\n  mqtt: {host: a.example}\n", &d1);
	struct cfg *b = load("daemon:\n  mqtt: {host: b.example}\n", &d2);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(mqtt_cfg_of(a), mqtt_cfg_of(b));
	assert_string_equal(mqtt_cfg_of(a)->host, "a.example");
	assert_string_equal(mqtt_cfg_of(b)->host, "b.example");
	cfg_free(a);
	assert_string_equal(mqtt_cfg_of(b)->host, "b.example");
	cfg_free(b);
	cfg_diags_free(&d1);
	cfg_diags_free(&d2);
}

/* The events part's resolve writes its slot: a syslog: section without an events: one
 * brings the store's defaults, in <state_dir>/events. */
static void test_section_filled_by_resolve(void **state)
{
	(void)state;
	struct cfg_diags d;
	struct cfg *cfg = load("daemon:\n  state_dir: /var/tmp/st\n  syslog:\n"
			       "    listen: 127.0.0.1\n    udp_port: 1514\n",
			       &d);
	if (!cfg)
		cfg_diags_print(&d, stdout);
	assert_non_null(cfg);
	assert_int_equal(syslog_cfg_of(cfg)->udp_port, 1514);
	const struct cfg_events *ec = events_cfg_of(cfg);
	assert_non_null(ec);
	assert_ptr_equal(ec, cfg_part_section(&cfg->daemon, "events"));
	assert_string_equal(ec->dir, "/var/tmp/st/events");
	assert_int_equal(ec->max_mb, 10240);
	cfg_free(cfg);
	cfg_diags_free(&d);

	cfg = load("daemon:\n  interval: 10s\n", &d);
	assert_non_null(cfg);
	assert_null(syslog_cfg_of(cfg));
	assert_null(events_cfg_of(cfg));
	cfg_free(cfg);
	cfg_diags_free(&d);
}

static const char devices_yaml[] =
	"devices:\n"
	"  - id: ups1\n    host: 127.0.0.1\n    snmp: {community: c1, port: 1161}\n"
	"  - id: plc1\n    modbus: {host: 127.0.0.2, unit: 7}\n"
	"  - id: env1\n    mqtt: {lwt: site/env1/status}\n"
	"  - id: web1\n    checks:\n      http: [http://127.0.0.3/a, http://127.0.0.3/b]\n"
	"  - id: bare\n    host: 127.0.0.4\n";

/* Each device section and check list lands in its part's slot of the device it
 * belongs to, read back through the part's accessor; a device without one has none. */
static void test_device_sections_read_back(void **state)
{
	(void)state;
	struct cfg_diags d;
	struct cfg *cfg = load(devices_yaml, &d);
	if (!cfg)
		cfg_diags_print(&d, stdout);
	assert_non_null(cfg);
	const struct cfg_device *ups = cfg_device_find(cfg, "ups1"),
				*plc = cfg_device_find(cfg, "plc1"),
				*env = cfg_device_find(cfg, "env1"),
				*web = cfg_device_find(cfg, "web1"),
				*bare = cfg_device_find(cfg, "bare");
	assert_string_equal(snmp_device_cfg(ups)->community, "c1");
	assert_int_equal(snmp_device_cfg(ups)->port, 1161);
	assert_ptr_equal(snmp_device_cfg(ups), cfg_device_section(ups, "snmp"));
	assert_string_equal(modbus_device_cfg(plc)->host, "127.0.0.2");
	assert_int_equal(modbus_device_cfg(plc)->unit, 7);
	assert_int_equal(modbus_device_cfg(plc)->port, 502); /* the section's default */
	assert_string_equal(mqtt_device_cfg(env)->lwt, "site/env1/status");
	size_t n;
	const struct cfg_http_check *h = http_checks_of(web, &n);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].url, "http://127.0.0.3/a");
	assert_string_equal(h[1].url, "http://127.0.0.3/b");
	assert_null(snmp_device_cfg(plc));
	assert_null(modbus_device_cfg(ups));
	assert_null(mqtt_device_cfg(web));
	assert_null(http_checks_of(ups, &n));
	assert_int_equal(n, 0);
	assert_null(cfg_device_section(ups, "no-such-section"));
	assert_null(cfg_device_list(web, "no-such-list", &n));
	assert_int_equal(n, 0);
	for (size_t i = 0; i < cfg->ndevices; i++)
		assert_int_equal(cfg_device_polls(&cfg->devices[i]), &cfg->devices[i] != bare);
	cfg_free(cfg);
	cfg_diags_free(&d);
}

/* A reload keeps a device's state only when its sections and lists are the same. */
static void test_device_sections_compared(void **state)
{
	(void)state;
	struct cfg_diags d1, d2, d3;
	struct cfg *a = load(devices_yaml, &d1);
	struct cfg *b = load(devices_yaml, &d2);
	assert_non_null(a);
	assert_non_null(b);
	for (size_t i = 0; i < a->ndevices; i++)
		assert_true(cfg_device_same(&a->devices[i], &b->devices[i]));
	struct cfg *c = load("devices:\n"
			     "  - id: ups1\n    host: 127.0.0.1\n    snmp: {community: c2, port: 1161}\n"
			     "  - id: plc1\n    modbus: {host: 127.0.0.2, unit: 8}\n"
			     "  - id: env1\n    mqtt: {lwt: site/env1/other}\n"
			     "  - id: web1\n    checks:\n      http: [http://127.0.0.3/a]\n"
			     "  - id: bare\n    host: 127.0.0.4\n    snmp: {community: c1}\n",
			     &d3);
	assert_non_null(c);
	for (size_t i = 0; i < a->ndevices; i++)
		assert_false(cfg_device_same(&a->devices[i], &c->devices[i]));
	cfg_free(a);
	cfg_free(b);
	cfg_free(c);
	cfg_diags_free(&d1);
	cfg_diags_free(&d2);
	cfg_diags_free(&d3);
}

/* The facility's `facility:` section: read back through facility_cfg_of (every key unset
 * without it), no reason to poll and no change of polling on reload, its errors at
 * file:line:col. */
static void test_facility_section(void **state)
{
	(void)state;
	struct cfg_diags d1, d2, d3;
	struct cfg *a = load("devices:\n"
			     "  - {id: gen1, kind: generator, facility: {tank_liters: 2000, standby: true}}\n"
			     "  - {id: ups1, kind: ups}\n",
			     &d1);
	struct cfg *b = load("devices:\n"
			     "  - {id: gen1, kind: generator, facility: {tank_liters: 900}}\n"
			     "  - {id: ups1, kind: ups, facility: {takeover: 30s}}\n",
			     &d2);
	assert_non_null(a);
	assert_non_null(b);
	const struct cfg_facility *gen = facility_cfg_of(&a->devices[0]);
	assert_ptr_equal(gen, cfg_device_section(&a->devices[0], "facility"));
	assert_true(gen->tank_liters == 2000 && gen->standby && isnan(gen->rating_kw));
	assert_int_equal(gen->burn_window_ms, 30 * 60000);
	const struct cfg_facility *ups = facility_cfg_of(&a->devices[1]);
	assert_null(cfg_device_section(&a->devices[1], "facility"));
	assert_true(isnan(ups->tank_liters) && isnan(ups->temp_limit) && !ups->standby);
	assert_int_equal(ups->takeover_ms, CFG_UNSET);
	assert_int_equal(facility_cfg_of(&b->devices[1])->takeover_ms, 30000);
	for (size_t i = 0; i < a->ndevices; i++) {
		assert_false(cfg_device_polls(&a->devices[i]));
		assert_true(cfg_device_same(&a->devices[i], &b->devices[i]));
	}
	assert_null(load("devices:\n  - id: gen1\n    facility:\n      tank_liters: 0\n", &d3));
	assert_int_equal(d3.n, 1);
	assert_int_equal(d3.v[0].pos.line, 4);
	assert_int_equal(d3.v[0].pos.col, 20);
	assert_non_null(strstr(d3.v[0].msg, "tank_liters"));
	cfg_free(a);
	cfg_free(b);
	cfg_diags_free(&d1);
	cfg_diags_free(&d2);
	cfg_diags_free(&d3);
}

/* A device built by hand (the probe, tests) gets its section through the slot. */
static void test_device_slot_by_hand(void **state)
{
	(void)state;
	struct cfg_device dev = {.id = "probe"};
	struct cfg_snmp s = {.port = 1161};
	assert_null(snmp_device_cfg(&dev));
	*cfg_device_slot(&dev, "snmp") = &s;
	assert_ptr_equal(snmp_device_cfg(&dev), &s);
	assert_null(modbus_device_cfg(&dev));
	assert_true(cfg_device_polls(&dev));
	assert_null(cfg_device_slot(&dev, "no-such-section"));
	assert_null(cfg_device_list_slot(&dev, "no-such-list"));
	assert_non_null(cfg_device_list_slot(&dev, "http"));
}

/* The pollers part's own checks, one of each kind of slot: a section (ping:, whose
 * timeout its poller resolves to the device's), a list whose items' `name` may repeat
 * (process:, a match), a value (resources:, zero when absent or `none`); a device polls
 * with any of them set, and a reload tells a changed value apart. */
static void test_check_section_list_value(void **state)
{
	(void)state;
	static const char *const yaml[] = {
	    "daemon: {timeout: 1500ms}\ndevices:\n"
	    "  - id: pinged\n    host: 127.0.0.1\n    checks: {ping: true}\n"
	    "  - id: procs\n    checks: {process: [nginx, {name: nginx, label: two, min: 2}]}\n"
	    "  - id: local\n    checks: {resources: local}\n"
	    "  - id: none\n    checks: {resources: none}\n",
	    "daemon: {timeout: 1500ms}\ndevices:\n"
	    "  - id: pinged\n    host: 127.0.0.1\n    checks: {ping: true}\n"
	    "  - id: procs\n    checks: {process: [nginx, {name: nginx, label: two, min: 2}]}\n"
	    "  - id: local\n    checks: {resources: snmp}\n"
	    "  - id: none\n    checks: {resources: none}\n",
	};
	struct cfg_diags d, d2;
	struct cfg *cfg = load(yaml[0], &d), *other = load(yaml[1], &d2);
	if (!cfg)
		cfg_diags_print(&d, stdout);
	assert_non_null(cfg);
	assert_non_null(other);
	const struct cfg_device *pinged = cfg_device_find(cfg, "pinged"),
				*procs = cfg_device_find(cfg, "procs"),
				*local = cfg_device_find(cfg, "local"),
				*none = cfg_device_find(cfg, "none");
	assert_ptr_equal(ping_check_of(pinged), cfg_device_section(pinged, "ping"));
	assert_int_equal(ping_check_of(pinged)->timeout_ms, 1500);
	assert_int_equal(ping_check_of(pinged)->count, 3);
	assert_null(ping_check_of(procs));
	size_t n;
	const struct cfg_process *p = process_checks_of(procs, &n);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].label, "nginx");
	assert_string_equal(p[1].name, "nginx");
	assert_string_equal(p[1].label, "two");
	assert_int_equal(p[1].min, 2);
	assert_int_equal(resources_of(local), RES_LOCAL);
	assert_int_equal(resources_of(none), RES_NONE);
	assert_int_equal(resources_of(pinged), RES_NONE);
	assert_int_equal(resources_of(cfg_device_find(other, "local")), RES_SNMP);
	for (size_t i = 0; i < cfg->ndevices; i++) {
		assert_int_equal(cfg_device_polls(&cfg->devices[i]), &cfg->devices[i] != none);
		assert_int_equal(cfg_device_same(&cfg->devices[i], &other->devices[i]),
				 &cfg->devices[i] != local);
	}
	cfg_free(cfg);
	cfg_free(other);
	cfg_diags_free(&d);
	cfg_diags_free(&d2);
}

/* A value set by hand (a test's device) is read back through its slot. */
static void test_value_slot_by_hand(void **state)
{
	(void)state;
	struct cfg_device dev = {.id = "probe"};
	assert_int_equal(resources_of(&dev), RES_NONE);
	assert_false(cfg_device_polls(&dev));
	cfg_device_value_slot(&dev, "resources")->i = RES_LOCAL;
	assert_int_equal(resources_of(&dev), RES_LOCAL);
	assert_true(cfg_device_polls(&dev));
	assert_null(cfg_device_value_slot(&dev, "no-such-value"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section_read_back),
		cmocka_unit_test(test_section_absent),
		cmocka_unit_test(test_section_error_position),
		cmocka_unit_test(test_section_per_config),
		cmocka_unit_test(test_section_filled_by_resolve),
		cmocka_unit_test(test_device_sections_read_back),
		cmocka_unit_test(test_device_sections_compared),
		cmocka_unit_test(test_facility_section),
		cmocka_unit_test(test_device_slot_by_hand),
		cmocka_unit_test(test_check_section_list_value),
		cmocka_unit_test(test_value_slot_by_hand),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
