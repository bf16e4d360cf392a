/* The alert endpoints through api_handle(): list with filters, one alert with its
 * history, ack, silences added, listed and ended, the audit log, and their error
 * answers. */
#include "alert_fixture.h"
#include "api_parts.h"

#include <jansson.h>

#include "dcmon/api.h"
#include "dcmon/loop.h"

struct reply {
	int status;
	json_t *body;
};

static const struct authz_actor test_admin = {.name = "alice", .role = AUTHZ_ROLE_NOC_ADMIN};

/* A request from `origin` ("unix:pid=1" is a Unix socket peer, NULL none). */
static struct reply call_from(struct fx *f, const char *origin, const char *method,
			      const char *path, const char *query, const char *body)
{
	struct api_env env = {.cfg = f->cfg, .reg = f->reg, .version = "t"};
	struct test_api_parts parts = {0};
	test_api_parts_alerting(&parts, &env, f->e);
	struct api_request req = {.method = method, .path = path, .query = query, .body = body,
				  .body_len = body ? strlen(body) : 0,
				  .peer = origin ? "alice" : NULL, .peer_origin = origin,
				  .actor = &test_admin};
	struct api_response resp;
	api_handle(&env, &req, &resp);
	struct reply r = {resp.status, json_loads(resp.body, 0, NULL)};
	assert_non_null(r.body);
	api_response_free(&resp);
	return r;
}

static struct reply call(struct fx *f, const char *method, const char *path, const char *query,
			 const char *body)
{
	return call_from(f, "unix:pid=1", method, path, query, body);
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
	/* device filters are checked against the config, like /status */
	r = call(f, "GET", "/api/v1/alerts", "site=nowhere", NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(json_string_value(json_object_get(r.body, "error")),
			    "unknown site 'nowhere'");
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/alerts", "kind=ups&device=ups-2", NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "alerts")), 1);
	json_decref(r.body);

	char path[64];
	snprintf(path, sizeof(path), "/api/v1/alerts/%lld/ack", (long long)id1);
	r = call(f, "POST", path, NULL, "{\"comment\": \"on it\", \"by\": \"dave\"}");
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.body, "acked")));
	/* the peer is who acked; a claimed name is kept beside it, never instead */
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.body, "ack"), "by")),
			    "alice (as dave)");
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

static json_t *entries(struct reply *r)
{
	assert_int_equal(r->status, 200);
	return json_object_get(r->body, "entries");
}

static const char *entry_str(json_t *list, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(list, i), key));
}

static void test_audit_endpoint(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - {name: load, match: {metric: load_percent}, above: {warn: 80}}\n",
			      true);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, m, clock_wall_ms() - 1000, 95);
	struct reply r = call(f, "POST", "/api/v1/alerts/1/ack", NULL, "{\"comment\": \"on it\"}");
	assert_int_equal(r.status, 200);
	json_decref(r.body);
	r = call(f, "POST", "/api/v1/silences", NULL,
		 "{\"match\": {\"device\": \"ups-*\", \"metric\": \"load_*\"},"
		 " \"for\": \"2h\", \"reason\": \"rewiring\"}");
	assert_int_equal(r.status, 201);
	json_decref(r.body);
	r = call(f, "DELETE", "/api/v1/silences/1", NULL, NULL);
	assert_int_equal(r.status, 200);
	json_decref(r.body);

	r = call(f, "GET", "/api/v1/audit", NULL, NULL);
	json_t *e = entries(&r);
	assert_int_equal(json_array_size(e), 3);
	assert_string_equal(entry_str(e, 0, "action"), "ack");
	assert_string_equal(entry_str(e, 0, "who"), "alice");
	assert_string_equal(entry_str(e, 0, "origin"), "unix:pid=1");
	assert_string_equal(entry_str(e, 0, "target"), "alert:1");
	assert_string_equal(entry_str(e, 0, "detail"), "on it");
	assert_string_equal(entry_str(e, 1, "detail"),
			    "device=ups-* metric=load_* reason=rewiring");
	assert_string_equal(entry_str(e, 2, "action"), "unsilence");
	int64_t first = json_integer_value(json_object_get(json_array_get(e, 0), "id"));
	json_decref(r.body);

	r = call(f, "GET", "/api/v1/audit", "limit=1", NULL); /* the newest */
	e = entries(&r);
	assert_int_equal(json_array_size(e), 1);
	assert_string_equal(entry_str(e, 0, "action"), "unsilence");
	json_decref(r.body);
	char q[64];
	snprintf(q, sizeof(q), "after=%lld", (long long)first);
	r = call(f, "GET", "/api/v1/audit", q, NULL);
	assert_int_equal(json_array_size(entries(&r)), 2);
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/audit", "action=silence&target=silence:1", NULL);
	e = entries(&r);
	assert_int_equal(json_array_size(e), 1);
	assert_string_equal(entry_str(e, 0, "action"), "silence");
	json_decref(r.body);

	static const struct {
		const char *query;
		const char *error;
	} bad[] = {
		{"limit=0", "limit: expected 1..10000, got '0'"},
		{"limit=ten", "limit: expected 1..10000, got 'ten'"},
		{"after=-1", "after: expected an entry id, got '-1'"},
		{"action=delete", "action: expected ack, silence, unsilence, integrity or "
				  "user-add|delete|disable|enable|unlock|password|role|token|mfa|mfa-reset, "
				  "login, login-failed, logout, session-revoke, password-change[-failed], "
				  "mfa-enrol[-start] or mfa-policy, got 'delete'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call(f, "GET", "/api/v1/audit", bad[i].query, NULL);
		assert_int_equal(r.status, 400);
		assert_string_equal(json_string_value(json_object_get(r.body, "error")), bad[i].error);
		json_decref(r.body);
	}
	/* admin data: not for peers other than the Unix socket's */
	r = call_from(f, NULL, "GET", "/api/v1/audit", NULL, NULL);
	assert_int_equal(r.status, 403);
	json_decref(r.body);
	r = call_from(f, "127.0.0.1:5678", "GET", "/api/v1/audit", NULL, NULL);
	assert_int_equal(r.status, 403);
	json_decref(r.body);
	fx_free(f);
}

static void test_audit_without_state(void **state)
{
	struct fx *f = fx_new(FX_DEVICES, false);
	struct reply r = call(f, "GET", "/api/v1/audit", NULL, NULL);
	assert_int_equal(r.status, 503);
	assert_string_equal(json_string_value(json_object_get(r.body, "error")),
			    "no audit log: the threshold engine keeps no state");
	json_decref(r.body);
	fx_free(f);
}

/* A metric whose anomaly rule has too little history is listed as learning beside the
 * alerts (it never alerts then), under the same filters. */
static void test_learning_listed(void **state)
{
	(void)state;
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - {name: room-unusual, match: {metric: room_celsius},\n"
				"     anomaly: {deviation: 3, learn: 3d}}\n",
			      false);
	int64_t now = clock_wall_ms();
	struct metric *m = fx_metric(f, "ups-1", "room_celsius", METRIC_GAUGE, NULL);
	metric_put(f->reg, m, now - 1000, 21);
	struct reply r = call(f, "GET", "/api/v1/alerts", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.body, "alerts")), 0);
	json_t *l = json_object_get(r.body, "learning");
	assert_int_equal(json_array_size(l), 1);
	json_t *e = json_array_get(l, 0);
	assert_string_equal(json_string_value(json_object_get(e, "rule")), "room-unusual");
	assert_string_equal(json_string_value(json_object_get(e, "device")), "ups-1");
	assert_string_equal(json_string_value(json_object_get(e, "metric")), "room_celsius");
	assert_string_equal(json_string_value(json_object_get(e, "state")),
			    "learning (1 days of 3)");
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/alerts", "device=ups-2", NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "learning")), 0);
	json_decref(r.body);
	r = call(f, "GET", "/api/v1/alerts", "rule=load", NULL);
	assert_int_equal(json_array_size(json_object_get(r.body, "learning")), 0);
	json_decref(r.body);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_alert_endpoints),
					   cmocka_unit_test(test_audit_endpoint),
					   cmocka_unit_test(test_learning_listed),
					   cmocka_unit_test(test_audit_without_state)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
