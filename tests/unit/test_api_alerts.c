/* The alert endpoints through api_handle(): list with filters, one alert with its
 * history, ack, silences added, listed and ended, and their error answers. */
#include "alert_fixture.h"

#include <jansson.h>

#include "dcmon/api.h"
#include "dcmon/loop.h"

struct reply {
	int status;
	json_t *body;
};

static struct reply call(struct fx *f, const char *method, const char *path, const char *query,
			 const char *body)
{
	struct api_env env = {.cfg = f->cfg, .reg = f->reg, .alerts = f->e, .version = "t"};
	struct api_request req = {.method = method, .path = path, .query = query, .body = body,
				  .body_len = body ? strlen(body) : 0, .peer = "uid=0 pid=1"};
	struct api_response resp;
	api_handle(&env, &req, &resp);
	struct reply r = {resp.status, json_loads(resp.body, 0, NULL)};
	assert_non_null(r.body);
	api_response_free(&resp);
	return r;
}

static void test_alert_endpoints(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - {name: load, match: {metric: load_percent}, above: {warn: 80, crit: 90},\n"
				"     summary: UPS load high}\n",
			      false);
	int64_t now = clock_wall_ms();
	struct metric *m1 = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	struct metric *m2 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, m1, now - 1000, 95);
	metric_put(f->reg, m2, now - 1000, 85);

	struct reply r = call(f, "GET", "/api/v1/alerts", NULL, NULL);
	assert_int_equal(r.status, 200);
	json_t *list = json_object_get(r.body, "alerts");
	assert_int_equal(json_array_size(list), 2);
	json_t *a0 = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(a0, "device")), "ups-1");
	assert_string_equal(json_string_value(json_object_get(a0, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(a0, "summary")), "UPS load high");
	assert_string_equal(json_string_value(json_object_get(a0, "room")), "hall-1");
	int64_t id1 = json_integer_value(json_object_get(a0, "id"));
	json_decref(r.body);

	r = call(f, "GET", "/api/v1/alerts", "severity=critical", NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "alerts")), 1);
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/alerts", "room=hall-2&state=firing", NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "alerts")), 1);
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/alerts", "state=burning", NULL);
	assert_int_equal(r.status, 400);
	json_decref(r.body);

	char path[64];
	snprintf(path, sizeof(path), "/api/v1/alerts/%lld/ack", (long long)id1);
	r = call(f, "POST", path, NULL, "{\"comment\": \"on it\", \"by\": \"dave\"}");
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.body, "acked")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.body, "ack"), "by")),
			    "dave");
	json_decref(r.body);
	r = call(f, "POST", "/api/v1/alerts/9999/ack", NULL, "{}");
	assert_int_equal(r.status, 404);
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/alerts", "acked=false", NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "alerts")), 1);
	json_decref(r.body);

	snprintf(path, sizeof(path), "/api/v1/alerts/%lld", (long long)id1);
	r = call(f, "GET", path, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.body, "history")), 1);
	json_decref(r.body);

	r = call(f, "POST", "/api/v1/silences", NULL,
		 "{\"match\": {\"device\": \"ups-2\"}, \"for\": \"2h\", \"reason\": \"rewiring\"}");
	assert_int_equal(r.status, 201);
	int64_t sid = json_integer_value(json_object_get(r.body, "id"));
	json_decref(r.body);
	r = call(f, "POST", "/api/v1/silences", NULL,
		 "{\"match\": {\"kind\": \"ups\"}, \"days\": [\"sun\"], \"start\": \"02:00\","
		 " \"end\": \"04:00\", \"tz\": \"Asia/Tokyo\", \"reason\": \"weekly\"}");
	assert_int_equal(r.status, 201);
	json_decref(r.body);
	r = call(f, "POST", "/api/v1/silences", NULL, "{\"for\": \"2h\"}");
	assert_int_equal(r.status, 400); /* no reason */
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/silences", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "silences")), 2);
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/alerts", "silenced=true", NULL);
	json_t *s = json_array_get(json_object_get(r.body, "alerts"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "silence"), "reason")),
			    "rewiring");
	json_decref(r.body);
	snprintf(path, sizeof(path), "/api/v1/silences/%lld", (long long)sid);
	r = call(f, "DELETE", path, NULL, NULL);
	assert_int_equal(r.status, 200);
	json_decref(r.body);
	r = call(f, "DELETE", path, NULL, NULL);
	assert_int_equal(r.status, 404);
	json_decref(r.body);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_alert_endpoints)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
