/* A device that names no tenant belongs to its rack's tenant (docs/CONFIG.md), for
 * everything that asks: the config's device, a selector's `tenant:` (rules, routes,
 * silences), the alert events (the tenant's own recipients, MQTT, the hub), the API.
 * Before, only the API and the scopes asked the rack: a rule or route matching
 * `tenant: acme` missed acme's racked devices, and their alerts carried no tenant. */
#include "alert_fixture.h"

#include "alert_int.h"
#include "dcmon/api_route.h"

#include <unistd.h>

#define CONFIG                                                                             \
	"daemon: {data_dir: ./data}\n"                                                     \
	"tenants: [{id: acme}, {id: globex}]\n"                                            \
	"sites:\n"                                                                         \
	"  - id: tokyo-1\n"                                                                \
	"    rooms:\n"                                                                     \
	"      - id: hall-a\n"                                                             \
	"        racks: [{id: a01, tenant: acme}, {id: a02}]\n"                            \
	"devices:\n"                                                                       \
	"  - {id: web-1, kind: server, host: 127.0.0.1, checks: {ping: {}},\n"             \
	"     location: {site: tokyo-1, room: hall-a, rack: a01}}\n"                       \
	"  - {id: db-1, kind: server, host: 127.0.0.1, checks: {ping: {}}, tenant: globex,\n" \
	"     location: {site: tokyo-1, room: hall-a, rack: a01}}\n"                       \
	"  - {id: sw-1, kind: switch, location: {site: tokyo-1, room: hall-a, rack: a02}}\n" \
	"rules:\n"                                                                         \
	"  - {name: acme-load, match: {tenant: acme, metric: load_percent}, above: {crit: 90}}\n"

/* The tenant of the last alert event. */
static void on_alert(void *arg, const struct change *c)
{
	const struct alert_event *ev = alert_event_of(c);
	snprintf(arg, 64, "%s", ev->tenant ? ev->tenant : "(none)");
}

static void test_devices_take_their_racks_tenant(void **state)
{
	(void)state;
	struct fx *f = fx_new(CONFIG, false);
	const struct cfg_device *web = cfg_device_find(f->cfg, "web-1");
	const struct cfg_device *db = cfg_device_find(f->cfg, "db-1");
	const struct cfg_device *sw = cfg_device_find(f->cfg, "sw-1");
	assert_string_equal(web->tenant, "acme");  /* its rack's */
	assert_string_equal(db->tenant, "globex"); /* its own wins */
	assert_null(sw->tenant);                   /* a rack of no tenant */
	assert_string_equal(api_device_tenant(f->cfg, web), "acme");
	assert_string_equal(cfg_device_rack(f->cfg, sw)->id, "a02");

	const struct cfg_selector acme = {.tenant = "acme"};
	assert_true(selector_match(&acme, web, "web-1", "load_percent", NULL));
	assert_false(selector_match(&acme, db, "db-1", "load_percent", NULL));
	assert_false(selector_match(&acme, sw, "sw-1", "load_percent", NULL));
	fx_free(f);
}

/* The rule of tenant acme fires on acme's racked server, and its events name acme;
 * the same metric of globex's server in that rack fires nothing. */
static void test_rule_and_events_of_a_racked_device(void **state)
{
	(void)state;
	struct fx *f = fx_new(CONFIG, false);
	char tenant[64] = "";
	assert_int_equal(change_subscribe(f->bus, CHANGE_MASK(CHANGE_ALERT), on_alert, tenant), 0);
	struct metric *web = fx_metric(f, "web-1", "load_percent", METRIC_GAUGE, NULL);
	struct metric *db = fx_metric(f, "db-1", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, db, FX_T0 + 10000, 95);
	assert_int_equal(f->nev, 0);
	metric_put(f->reg, web, FX_T0 + 10000, 95);
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), 1);
	assert_string_equal(f->ev[0].device, "web-1");
	assert_string_equal(tenant, "acme");
	fx_free(f);
}

/* A rack naming an undeclared tenant is the rack's error, said once, at the rack. */
static void test_undeclared_rack_tenant(void **state)
{
	(void)state;
	char dir[] = "/tmp/dcmon-racktenant-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dcmon.yaml", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("tenants: [{id: acme}]\n"
	      "sites: [{id: s1, rooms: [{id: r1, racks: [{id: a01, tenant: initech}]}]}]\n"
	      "devices:\n"
	      "  - {id: sw-1, kind: switch, location: {site: s1, room: r1, rack: a01}}\n",
	      fp);
	fclose(fp);
	struct cfg_diags d;
	cfg_diags_init(&d);
	assert_null(cfg_load(path, &d));
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.v[0].msg, "initech"));
	assert_int_equal(d.v[0].pos.line, 2);
	cfg_diags_free(&d);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices_take_their_racks_tenant),
		cmocka_unit_test(test_rule_and_events_of_a_racked_device),
		cmocka_unit_test(test_undeclared_rack_tenant),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
