/* The JSON API's handlers against a hand-built config and a real metric registry. */
#include "testing.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "dcmon/api.h"
#include "dcmon/host_checks.h"
#include "dcmon/loop.h"

/* ---- fixture: two sites, a rack owned by a tenant, five devices ----------------- */

static struct cfg_rack racks[] = {{.id = "a01", .row = "row-a", .tenant = "acme"}};
static struct cfg_room tokyo_rooms[] = {{.id = "hall-1", .name = "Hall 1", .racks = racks,
					 .nracks = 1}};
static struct cfg_room osaka_rooms[] = {{.id = "hall-9", .name = "Hall 9"}};
static struct cfg_site sites[] = {
	{.id = "tokyo-1", .name = "Tokyo", .rooms = tokyo_rooms, .nrooms = 1},
	{.id = "osaka-1", .name = "Osaka", .rooms = osaka_rooms, .nrooms = 1},
};
static struct cfg_contact tenants[] = {{.id = "acme"}, {.id = "globex"}};
static struct cfg_device devices[] = {
	{.id = "ups-a", .kind = DEV_UPS, .host = "127.0.0.1", .interval_ms = 10000,
	 .loc = {.site = "tokyo-1", .room = "hall-1"}},
	{.id = "web-01", .kind = DEV_SERVER, .interval_ms = 5000,
	 .loc = {.site = "tokyo-1", .room = "hall-1", .row = "row-a", .rack = "a01"}},
	{.id = "gen-1", .kind = DEV_GENERATOR, .tenant = "globex", .interval_ms = 10000,
	 .loc = {.site = "osaka-1", .room = "hall-9"}},
	{.id = "crac-1", .kind = DEV_COOLING, .interval_ms = 30000, .loc = {.site = "tokyo-1"}},
	{.id = "pdu-1", .kind = DEV_PDU, .interval_ms = 10000, .loc = {.site = "tokyo-1"}},
};
static struct cfg test_cfg = {
	.sites = sites, .nsites = 2, .tenants = tenants, .ntenants = 2,
	.devices = devices, .ndevices = 5,
};

/* Runtime states; crac-1 has none (never polled). */
static struct {
	const char *id;
	struct dev_status st;
} statuses[] = {
	{"ups-a", {.state = DEV_STATE_UP, .interval_ms = 10000, .polls = 7}},
	{"web-01", {.state = DEV_STATE_UNREACHABLE, .reason = "timeout", .failures = 3,
		    .interval_ms = 20000}},
	{"gen-1", {.state = DEV_STATE_UP, .interval_ms = 10000}},
	{"pdu-1", {.state = DEV_STATE_DEGRADED, .reason = "2 of 9 points failed",
		   .interval_ms = 10000}},
};

static const struct dev_status *test_status(void *arg, const char *id)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(statuses[i].id, id) == 0)
			return &statuses[i].st;
	return NULL;
}

static const struct metric_enum ups_source[] = {{3, "normal"}, {5, "battery"}};

struct fixture {
	struct metric_reg *reg;
	struct api_env env;
	int64_t now_ms;
};

static struct metric *add(struct fixture *f, const char *dev, const char *name,
			  const char *unit, enum metric_kind kind, const char *inst)
{
	struct metric_desc d = {.name = name, .unit = unit, .kind = kind, .interval_ms = 10000,
				.inst_label = inst ? "mount" : NULL, .inst = inst};
	if (kind == METRIC_STATE) {
		d.enums = ups_source;
		d.nenums = 2;
	}
	struct metric *m = metric_reg_get(f->reg, dev, &d);
	assert_non_null(m);
	return m;
}

static int setup(void **state)
{
	static struct cfg_ping crac_ping = {.count = 1};
	struct fixture *f = calloc(1, sizeof(*f));
	*cfg_device_slot(&devices[3], "ping") = &crac_ping; /* crac-1 is pinged */
	f->reg = metric_reg_new();
	f->now_ms = clock_wall_ms();
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		statuses[i].st.last_poll_ms = statuses[i].st.state ? f->now_ms - 3000 : 0;
	int64_t t = f->now_ms - 2000;
	metric_put(f->reg, add(f, "ups-a", "battery_charge_percent", "percent", METRIC_GAUGE, NULL),
		   t, 97.5);
	metric_put(f->reg, add(f, "ups-a", "ups_output_source_state", "", METRIC_STATE, NULL), t, 5);
	metric_put(f->reg, add(f, "ups-a", "battery_runtime_seconds", "seconds", METRIC_GAUGE, NULL),
		   t, 1500);
	metric_put_error(f->reg, add(f, "web-01", "ping_rtt_avg_seconds", "seconds", METRIC_GAUGE,
				     NULL), t, "timeout");
	metric_put(f->reg, add(f, "web-01", "fs_used_percent", "percent", METRIC_GAUGE, "/var"),
		   t, 45);
	metric_put(f->reg, add(f, "gen-1", "fuel_level_percent", "percent", METRIC_GAUGE, NULL),
		   t, 80);
	metric_put_error(f->reg, add(f, "gen-1", "coolant_temperature_celsius", "celsius",
				     METRIC_GAUGE, NULL), t, "crc error");
	f->env = (struct api_env){.cfg = &test_cfg, .reg = f->reg, .dev_status = test_status,
				  .started_ms = f->now_ms - 60000, .version = "9.8.7"};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	metric_reg_free(f->reg);
	free(f);
	return 0;
}

/* Calls the API; returns the parsed body and the status in *status. */
static json_t *call(struct fixture *f, const char *method, const char *path, const char *query,
		    int *status)
{
	static const struct authz_actor admin = {.name = "root", .role = AUTHZ_ROLE_NOC_ADMIN};
	struct api_request req = {.method = method, .path = path, .query = query, .actor = &admin};
	struct api_response resp;
	api_handle(&f->env, &req, &resp);
	assert_non_null(resp.body);
	assert_string_equal(resp.content_type, "application/json");
	json_error_t err;
	json_t *j = json_loads(resp.body, 0, &err);
	assert_non_null(j);
	*status = resp.status;
	api_response_free(&resp);
	return j;
}

static json_t *get_ok(struct fixture *f, const char *path, const char *query)
{
	int status;
	json_t *j = call(f, "GET", path, query, &status);
	if (status != 200)
		fail_msg("%s?%s: HTTP %d: %s", path, query ? query : "", status,
			 json_string_value(json_object_get(j, "error")));
	return j;
}

/* Asserts a 4xx with exactly this error message. */
static void expect_error(struct fixture *f, const char *method, const char *path,
			 const char *query, int want_status, const char *want_msg)
{
	int status;
	json_t *j = call(f, method, path, query, &status);
	assert_int_equal(status, want_status);
	assert_string_equal(json_string_value(json_object_get(j, "error")), want_msg);
	json_decref(j);
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *find_by(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
		if (jstr(o, key) && strcmp(jstr(o, key), value) == 0)
			return o;
	fail_msg("no element with %s=%s", key, value);
	return NULL;
}

/* Ids of the devices of a /status answer, comma separated. */
static void status_ids(struct fixture *f, const char *query, char *buf, size_t len)
{
	json_t *j = get_ok(f, "/api/v1/status", query);
	size_t i;
	json_t *d;
	buf[0] = '\0';
	json_array_foreach(json_object_get(j, "devices"), i, d)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "", jstr(d, "id"));
	json_decref(j);
}

/* ---- tests --------------------------------------------------------------------- */

static void test_health_endpoint(void **state)
{
	struct fixture *f = *state;
	json_t *j = get_ok(f, "/api/v1/health", NULL);
	assert_string_equal(jstr(j, "status"), "ok");
	assert_string_equal(jstr(j, "version"), "9.8.7");
	assert_int_equal(json_integer_value(json_object_get(j, "devices")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "metrics")), 7);
	assert_true(json_real_value(json_object_get(j, "uptime_s")) >= 60.0);
	assert_int_equal(json_integer_value(json_object_get(j, "started_ms")), f->now_ms - 60000);
	json_decref(j);
}

static void test_status_devices(void **state)
{
	struct fixture *f = *state;
	json_t *j = get_ok(f, "/api/v1/status", NULL);
	json_t *devs = json_object_get(j, "devices");
	assert_int_equal(json_array_size(devs), 5);
	assert_string_equal(jstr(j, "health"), "critical");
	json_t *sum = json_object_get(j, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "devices")), 5);
	assert_int_equal(json_integer_value(json_object_get(sum, "ok")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "warning")), 2);
	assert_int_equal(json_integer_value(json_object_get(sum, "critical")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "unknown")), 1);

	json_t *ups = json_array_get(devs, 0);
	assert_string_equal(jstr(ups, "id"), "ups-a");
	assert_string_equal(jstr(ups, "kind"), "ups");
	assert_string_equal(jstr(ups, "host"), "127.0.0.1");
	assert_string_equal(jstr(json_object_get(ups, "location"), "site"), "tokyo-1");
	assert_string_equal(jstr(json_object_get(ups, "location"), "room"), "hall-1");
	assert_true(json_is_null(json_object_get(json_object_get(ups, "location"), "rack")));
	assert_true(json_is_null(json_object_get(ups, "tenant")));
	assert_string_equal(jstr(ups, "state"), "up");
	assert_string_equal(jstr(ups, "health"), "ok");
	assert_string_equal(jstr(ups, "health_reason"), "");
	assert_int_equal(json_integer_value(json_object_get(ups, "interval_ms")), 10000);
	assert_int_equal(json_integer_value(json_object_get(ups, "polls")), 7);
	assert_int_equal(json_integer_value(json_object_get(ups, "last_poll_ms")), f->now_ms - 3000);
	assert_true(json_real_value(json_object_get(ups, "last_poll_age_s")) >= 3.0);
	assert_true(json_real_value(json_object_get(ups, "data_age_s")) >= 2.0);
	assert_true(json_real_value(json_object_get(ups, "data_age_s")) <
		    json_real_value(json_object_get(ups, "last_poll_age_s")));

	json_t *ms = json_object_get(ups, "metrics");
	assert_int_equal(json_array_size(ms), 3);
	json_t *charge = find_by(ms, "name", "battery_charge_percent");
	assert_true(json_real_value(json_object_get(charge, "value")) == 97.5);
	assert_string_equal(jstr(charge, "unit"), "percent");
	assert_string_equal(jstr(charge, "kind"), "gauge");
	assert_string_equal(jstr(charge, "quality"), "ok");
	assert_string_equal(jstr(charge, "reason"), "");
	assert_string_equal(jstr(charge, "key"), "battery_charge_percent");
	assert_true(json_is_null(json_object_get(charge, "inst")));
	assert_true(json_is_null(json_object_get(charge, "value_name")));
	assert_int_equal(json_integer_value(json_object_get(charge, "ts_ms")), f->now_ms - 2000);
	assert_true(json_real_value(json_object_get(charge, "age_s")) >= 2.0);
	json_t *src = find_by(ms, "name", "ups_output_source_state");
	assert_string_equal(jstr(src, "kind"), "state");
	assert_string_equal(jstr(src, "value_name"), "battery");
	assert_true(json_real_value(json_object_get(src, "value")) == 5.0);
	json_decref(j);
}

static void test_status_health_rules(void **state)
{
	struct fixture *f = *state;
	json_t *j = get_ok(f, "/api/v1/status", NULL);
	json_t *devs = json_object_get(j, "devices");
	json_t *web = find_by(devs, "id", "web-01");
	assert_string_equal(jstr(web, "state"), "unreachable");
	assert_string_equal(jstr(web, "reason"), "timeout");
	assert_string_equal(jstr(web, "health"), "critical");
	assert_string_equal(jstr(web, "health_reason"), "unreachable: timeout");
	assert_string_equal(jstr(web, "tenant"), "acme"); /* from its rack */
	assert_int_equal(json_integer_value(json_object_get(web, "failures")), 3);
	json_t *rtt = find_by(json_object_get(web, "metrics"), "name", "ping_rtt_avg_seconds");
	assert_string_equal(jstr(rtt, "quality"), "error");
	assert_string_equal(jstr(rtt, "reason"), "timeout");
	assert_true(json_is_null(json_object_get(rtt, "value")));
	assert_true(json_is_null(json_object_get(rtt, "age_s")));

	json_t *gen = find_by(devs, "id", "gen-1");
	assert_string_equal(jstr(gen, "state"), "up");
	assert_string_equal(jstr(gen, "health"), "warning");
	assert_string_equal(jstr(gen, "health_reason"),
			    "coolant_temperature_celsius error (crc error)");
	json_t *pdu = find_by(devs, "id", "pdu-1");
	assert_string_equal(jstr(pdu, "health"), "warning");
	assert_string_equal(jstr(pdu, "health_reason"), "degraded: 2 of 9 points failed");
	json_t *crac = find_by(devs, "id", "crac-1");
	assert_string_equal(jstr(crac, "state"), "unknown");
	assert_string_equal(jstr(crac, "health"), "unknown");
	assert_int_equal(json_integer_value(json_object_get(crac, "interval_ms")), 30000);
	assert_true(json_is_null(json_object_get(crac, "last_poll_age_s")));
	assert_true(json_is_null(json_object_get(crac, "data_age_s")));
	assert_int_equal(json_array_size(json_object_get(crac, "metrics")), 0);
	json_decref(j);
}

static void test_status_filters(void **state)
{
	struct fixture *f = *state;
	char ids[256];
	status_ids(f, "site=osaka-1", ids, sizeof(ids));
	assert_string_equal(ids, "gen-1");
	status_ids(f, "kind=ups", ids, sizeof(ids));
	assert_string_equal(ids, "ups-a");
	status_ids(f, "device=*-1", ids, sizeof(ids));
	assert_string_equal(ids, "gen-1,crac-1,pdu-1");
	status_ids(f, "device=web%2D0%2A", ids, sizeof(ids));
	assert_string_equal(ids, "web-01");
	status_ids(f, "tenant=acme", ids, sizeof(ids));
	assert_string_equal(ids, "web-01");
	status_ids(f, "tenant=globex", ids, sizeof(ids));
	assert_string_equal(ids, "gen-1");
	status_ids(f, "room=hall-1", ids, sizeof(ids));
	assert_string_equal(ids, "ups-a,web-01");
	status_ids(f, "site=tokyo-1&kind=server&tenant=acme", ids, sizeof(ids));
	assert_string_equal(ids, "web-01");
	status_ids(f, "site=tokyo-1&kind=generator", ids, sizeof(ids));
	assert_string_equal(ids, "");

	json_t *j = get_ok(f, "/api/v1/status", "kind=generator&site=tokyo-1");
	assert_string_equal(jstr(j, "health"), "unknown"); /* nothing matched */
	json_decref(j);
	j = get_ok(f, "/api/v1/status", "metrics=0&kind=ups");
	json_t *ups = json_array_get(json_object_get(j, "devices"), 0);
	assert_null(json_object_get(ups, "metrics"));
	assert_string_equal(jstr(ups, "health"), "ok");
	json_decref(j);
}

static void test_status_bad_queries(void **state)
{
	struct fixture *f = *state;
	const char *st = "/api/v1/status";
	expect_error(f, "GET", st, "colour=red", 400,
		     "unknown query parameter 'colour' (allowed: site, room, kind, device, "
		     "tenant, metrics)");
	expect_error(f, "GET", st, "kind=toaster", 400,
		     "unknown device kind 'toaster' (one of: server, ups, generator, cooling, "
		     "fire, pdu, env, leak, ats, utility, rack, switch, other)");
	expect_error(f, "GET", st, "site=nowhere", 400, "unknown site 'nowhere'");
	expect_error(f, "GET", st, "room=attic", 400, "unknown room 'attic'");
	expect_error(f, "GET", st, "tenant=initech", 400, "unknown tenant 'initech'");
	expect_error(f, "GET", st, "site=", 400, "empty value for query parameter 'site'");
	expect_error(f, "GET", st, "metrics=2", 400,
		     "bad value '2' for query parameter 'metrics' (expected 0 or 1)");
	expect_error(f, "GET", st, "site=%zz", 400, "bad percent-encoding in query value '%zz'");
	expect_error(f, "GET", st, "site=a%00b", 400,
		     "bad percent-encoding in query value 'a%00b'");
	expect_error(f, "GET", st, "kind=ups&kind=pdu", 400, "query parameter 'kind' given twice");
	expect_error(f, "GET", "/api/v1/health", "verbose=1", 400,
		     "unknown query parameter 'verbose' (allowed: none)");
}

static void test_routing_errors(void **state)
{
	struct fixture *f = *state;
	expect_error(f, "GET", "/api/v1/nope", NULL, 404, "no such endpoint: /api/v1/nope");
	expect_error(f, "GET", "/", NULL, 404, "no such endpoint: /");
	expect_error(f, "POST", "/api/v1/status", NULL, 405,
		     "method POST not allowed on /api/v1/status");
	expect_error(f, "DELETE", "/api/v1/devices/ups-a", NULL, 405,
		     "method DELETE not allowed on /api/v1/devices/ups-a");
	expect_error(f, "GET", "/api/v1/devices/nope", NULL, 404, "no such device: nope");
	expect_error(f, "GET", "/api/v1/devices/", NULL, 404, "no such endpoint: /api/v1/devices/");
	expect_error(f, "GET", "/api/v1/devices/ups-a/x", NULL, 404,
		     "no such endpoint: /api/v1/devices/ups-a/x");
}

static void test_device_endpoint(void **state)
{
	struct fixture *f = *state;
	json_t *j = get_ok(f, "/api/v1/devices/web-01", NULL);
	json_t *d = json_object_get(j, "device");
	assert_string_equal(jstr(d, "id"), "web-01");
	assert_string_equal(jstr(d, "kind"), "server");
	assert_string_equal(jstr(json_object_get(d, "location"), "rack"), "a01");
	json_t *ms = json_object_get(d, "metrics");
	assert_int_equal(json_array_size(ms), 2);
	json_t *fs = find_by(ms, "name", "fs_used_percent");
	assert_string_equal(jstr(fs, "inst"), "/var");
	assert_string_equal(jstr(fs, "inst_label"), "mount");
	assert_string_equal(jstr(fs, "key"), "fs_used_percent@/var");
	assert_true(json_real_value(json_object_get(fs, "value")) == 45.0);
	json_decref(j);
}

/* A device with nothing to poll (a rack) is "passive", not "unknown" for ever. */
static void test_passive_device(void **state)
{
	struct fixture *f = *state;
	void **ping = cfg_device_slot(&devices[3], "ping"), *had = *ping;
	*ping = NULL;
	json_t *j = get_ok(f, "/api/v1/devices/crac-1", NULL);
	*ping = had;
	json_t *d = json_object_get(j, "device");
	assert_string_equal(jstr(d, "state"), "passive");
	assert_string_equal(jstr(d, "health"), "unknown");
	assert_string_equal(jstr(d, "health_reason"), "nothing polled and no derived state");
	json_decref(j);
	j = get_ok(f, "/api/v1/devices/crac-1", NULL);
	assert_string_equal(jstr(json_object_get(j, "device"), "state"), "unknown");
	json_decref(j);
}

static void test_metrics_endpoint(void **state)
{
	struct fixture *f = *state;
	json_t *j = get_ok(f, "/api/v1/metrics", "device=ups-a&name=battery_*");
	json_t *ms = json_object_get(j, "metrics");
	assert_int_equal(json_array_size(ms), 2);
	assert_string_equal(jstr(json_array_get(ms, 0), "device"), "ups-a");
	assert_string_equal(jstr(json_array_get(ms, 0), "name"), "battery_charge_percent");
	assert_string_equal(jstr(json_array_get(ms, 1), "name"), "battery_runtime_seconds");
	assert_true(json_real_value(json_object_get(json_array_get(ms, 1), "value")) == 1500.0);
	json_decref(j);
	j = get_ok(f, "/api/v1/metrics", "name=*_percent");
	assert_int_equal(json_array_size(json_object_get(j, "metrics")), 3);
	json_decref(j);
	j = get_ok(f, "/api/v1/metrics", "inst=/var");
	assert_int_equal(json_array_size(json_object_get(j, "metrics")), 1);
	json_decref(j);
	j = get_ok(f, "/api/v1/metrics", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "metrics")), 7);
	json_decref(j);
	expect_error(f, "GET", "/api/v1/metrics", "kind=ups", 400,
		     "unknown query parameter 'kind' (allowed: device, name, inst)");
}

/* A reason with bytes that are not UTF-8 still gives valid JSON. */
static void test_non_utf8_reason(void **state)
{
	struct fixture *f = *state;
	struct metric *m = metric_reg_find(f->reg, "gen-1", "fuel_level_percent", NULL);
	metric_put_error(f->reg, m, f->now_ms, "bad \xff\xfe bytes");
	json_t *j = get_ok(f, "/api/v1/metrics", "device=gen-1&name=fuel_*");
	assert_string_equal(jstr(json_array_get(json_object_get(j, "metrics"), 0), "reason"),
			    "bad ?? bytes");
	json_decref(j);
}

static void test_health_names(void **state)
{
	enum api_health h;
	assert_int_equal(api_health_parse("warning", &h), 0);
	assert_int_equal(h, API_HEALTH_WARNING);
	assert_int_equal(api_health_parse("bad", &h), -EINVAL);
	assert_string_equal(api_health_name(API_HEALTH_CRITICAL), "critical");
	assert_int_equal(api_health_worst(API_HEALTH_OK, API_HEALTH_UNKNOWN), API_HEALTH_UNKNOWN);
	assert_int_equal(api_health_worst(API_HEALTH_WARNING, API_HEALTH_UNKNOWN),
			 API_HEALTH_WARNING);
	assert_int_equal(api_health_worst(API_HEALTH_CRITICAL, API_HEALTH_WARNING),
			 API_HEALTH_CRITICAL);
	assert_string_equal(dev_state_name(DEV_STATE_DEGRADED), "degraded");
}

static void test_query_parse(void **state)
{
	struct api_query q;
	char err[128];
	assert_int_equal(api_query_parse(&q, "a=x+y%21&b&c=&&d=%2Fz", err, sizeof(err)), 0);
	assert_int_equal(q.n, 4);
	assert_string_equal(api_query_get(&q, "a"), "x y!");
	assert_string_equal(api_query_get(&q, "b"), "");
	assert_string_equal(api_query_get(&q, "c"), "");
	assert_string_equal(api_query_get(&q, "d"), "/z");
	assert_null(api_query_get(&q, "e"));
	api_query_free(&q);

	char many[512] = "";
	for (int i = 0; i <= API_QUERY_MAX_PARAMS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "p%d=1&", i);
	assert_int_equal(api_query_parse(&q, many, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "too many query parameters (at most 32)");
	api_query_free(&q);

	char *big = malloc(API_QUERY_MAX_LEN + 10);
	memset(big, 'a', API_QUERY_MAX_LEN + 9);
	big[API_QUERY_MAX_LEN + 9] = '\0';
	assert_int_equal(api_query_parse(&q, big, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "query string longer than 4096 bytes");
	api_query_free(&q);
	free(big);

	assert_int_equal(api_query_parse(&q, "a=%4", err, sizeof(err)), -EINVAL);
	api_query_free(&q);
	char out[4];
	assert_int_equal(api_percent_decode("abc", 3, false, out, sizeof(out)), 3);
	assert_int_equal(api_percent_decode("abcd", 4, false, out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(api_percent_decode("a+b", 3, false, out, sizeof(out)), 3);
	assert_string_equal(out, "a+b");
}

static void test_http_head(void **state)
{
	char err[128];
	struct api_http_head h;
	char partial[] = "GET /api/v1/status?kind=ups HTTP/1.1\r\nHost: x\r\n";
	assert_int_equal(api_http_parse_head(partial, strlen(partial), &h, err, sizeof(err)), 0);
	char full[] = "POST /api/v1/a%2Db?x=1 HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\nhello";
	assert_int_equal(api_http_parse_head(full, strlen(full), &h, err, sizeof(err)), 1);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.path, "/api/v1/a-b");
	assert_string_equal(h.query, "x=1");
	assert_int_equal(h.body_len, 5);
	assert_int_equal(h.head_len, sizeof(full) - 1 - 5);
	char lf_only[] = "GET / HTTP/1.0\n\n";
	assert_int_equal(api_http_parse_head(lf_only, strlen(lf_only), &h, err, sizeof(err)), 1);
	assert_null(h.query);

	static const struct {
		const char *req;
		int status;
		const char *err;
	} bad[] = {
		{"GET /\r\n\r\n", 400, "malformed request line"},
		{"get / HTTP/1.1\r\n\r\n", 400, "malformed request method"},
		{"GET / HTTP/2\r\n\r\n", 505, "only HTTP/1.0 and HTTP/1.1 are supported"},
		{"GET x HTTP/1.1\r\n\r\n", 400, "request target must start with '/'"},
		{"GET / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413,
		 "request body larger than 1048576 bytes"},
		{"GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "malformed Content-Length"},
		{"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
		 "Transfer-Encoding is not supported; send a Content-Length"},
		{"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400, "malformed header line"},
		{"GET /%zz HTTP/1.1\r\n\r\n", 400, "bad percent-encoding in path"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", bad[i].req);
		assert_int_equal(api_http_parse_head(buf, strlen(buf), &h, err, sizeof(err)),
				 bad[i].status);
		assert_string_equal(err, bad[i].err);
	}
	size_t n = API_HTTP_HEAD_MAX + 1;
	char *big = malloc(n);
	memset(big, 'x', n);
	assert_int_equal(api_http_parse_head(big, n, &h, err, sizeof(err)), 400);
	assert_string_equal(err, "request head larger than 16384 bytes");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_health_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_health_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_bad_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routing_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_endpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_utf8_reason, setup, teardown),
		cmocka_unit_test(test_health_names),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_http_head),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
