/* A part's own section of `daemon:` (CFG_PART_SECTION, dcmon/part.h): decoded by the
 * part's key table into a slot the kernel keeps opaque, read back by the part
 * (cfg_part_section, here through mqtt's mqtt_cfg_of and the events part's accessors),
 * its errors at file:line:col, and compared and freed by the kernel like its own keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/config.h"
#include "dcmon/event.h"
#include "dcmon/mqtt.h"
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
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section_read_back),
		cmocka_unit_test(test_section_absent),
		cmocka_unit_test(test_section_error_position),
		cmocka_unit_test(test_section_per_config),
		cmocka_unit_test(test_section_filled_by_resolve),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
