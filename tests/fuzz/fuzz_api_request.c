/* Fuzz target: an HTTP request to the JSON API as the Unix socket server reads it --
 * the head framed and parsed (api_http_parse_head: request line, percent-decoded path,
 * headers, Content-Length), the body that follows, then api_handle(): routing, the
 * query string (api_query_parse), each route's parameters (device filters of
 * api_filter.c, alert, audit, metric and notification filters) and JSON bodies (acks,
 * silences, test mode).  The state served is the demo site's config (etc/demo) with a
 * few metrics and an alert engine (its store in a scratch directory), renewed after
 * every write it took.  The answer must be JSON, as the API promises. */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/api_parts.h"
#include "api_internal.h"
#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"

static struct api_env env;
static struct test_api_parts parts;
static const struct dev_status up = {.state = DEV_STATE_UP, .interval_ms = 10000, .polls = 3};

static const struct dev_status *status_of(void *arg, const char *id)
{
	(void)arg;
	return strcmp(id, "ups-1") == 0 ? &up : NULL;
}

static void metric_add(const char *dev, const char *name, enum metric_kind kind,
		       const char *inst, double v)
{
	static const struct metric_enum src[] = {{3, "normal"}, {5, "battery"}};
	struct metric_desc d = {.name = name, .unit = "", .kind = kind, .interval_ms = 10000,
				.inst_label = inst ? "outlet" : NULL, .inst = inst};
	if (kind == METRIC_STATE)
		d.enums = src, d.nenums = 2;
	struct metric *m = metric_reg_get(env.reg, dev, &d);
	if (!m)
		abort();
	metric_put(env.reg, m, clock_wall_ms(), v);
}

/* A new engine with an empty store (in the scratch directory: the audit log needs one). */
static void alerts_renew(void)
{
	static const char *const files[] = {"alerts.db", "alerts.db-wal", "alerts.db-shm"};
	char err[256], path[4200];
	alert_engine_free(parts.alerting.engine);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_scratch_dir(), files[i]);
		unlink(path);
	}
	struct alert_engine *e = alert_engine_new(env.cfg, NULL, 0, fuzz_scratch_dir(), err,
						  sizeof(err));
	test_api_parts_alerting(&parts, &env, e);
	if (!e) {
		fprintf(stderr, "fuzz_api_request: alert engine: %s\n", err);
		abort();
	}
}

static void setup(void)
{
	struct cfg_diags d;

	log_set_level(LOG_LVL_ERROR);
	cfg_diags_init(&d);
	env.cfg = cfg_load(DCMON_SOURCE_DIR "/etc/demo/dcmon.yaml", &d);
	if (!env.cfg) {
		cfg_diags_print(&d, stderr);
		abort();
	}
	cfg_diags_free(&d);
	env.reg = metric_reg_new();
	env.dev_status = status_of;
	env.started_ms = clock_wall_ms() - 60000;
	env.version = "fuzz";
	metric_add("ups-1", "battery_charge_percent", METRIC_GAUGE, NULL, 97.5);
	metric_add("ups-1", "output_source_state", METRIC_STATE, NULL, 5);
	metric_add("gen-1", "fuel_level_percent", METRIC_GAUGE, NULL, 80);
	metric_add("ups-2", "outlet_current_amperes", METRIC_GAUGE, "a/1", 1.5);
	alerts_renew();
}

static bool reads_only(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* A body that is not JSON (the Prometheus text of GET /metrics) names its own type
 * and is whole lines of text. */
static bool other_type_ok(const struct api_response *resp)
{
	size_t n = resp->body ? strlen(resp->body) : 0;
	return resp->content_type && strncmp(resp->content_type, "application/json", 16) != 0 &&
	       n > 0 && resp->body[n - 1] == '\n';
}

/* The answer's contract: a JSON body (or a text one that says so), and an HTTP framing
 * of it. */
static void response_check(const struct api_response *resp)
{
	json_error_t jerr;
	json_t *j = NULL;
	if (!other_type_ok(resp)) {
		j = resp->body ? json_loads(resp->body, 0, &jerr) : NULL;
		if (!j) {
			fprintf(stderr, "fuzz_api_request: status %d with a body that is not JSON: %s\n",
				resp->status, resp->body ? resp->body : "(none)");
			abort();
		}
	}
	json_decref(j);
	size_t len;
	free(api_http_format_response(resp, &len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	char *buf = fuzz_strndup(data, size), err[256];
	struct api_http_head h;
	/* like the server: only a complete body is handled, NUL-terminated */
	if (api_http_parse_head(buf, size, &h, err, sizeof(err)) == 1 &&
	    h.body_len <= size - h.head_len) {
		buf[h.head_len + h.body_len] = '\0';
		static const struct authz_actor fuzz_admin = {.name = "fuzz",
							      .role = AUTHZ_ROLE_NOC_ADMIN};
		struct api_request req = {
		    .method = h.method, .path = h.path, .query = h.query,
		    .body = h.body_len ? buf + h.head_len : NULL, .body_len = h.body_len,
		    .peer = "fuzz", .peer_origin = "unix:pid=1", .actor = &fuzz_admin};
		struct api_response resp;
		api_handle(&env, &req, &resp);
		response_check(&resp);
		if (!reads_only(h.method) && resp.status < 300) /* a write that was taken */
			alerts_renew();
		api_response_free(&resp);
	}
	free(buf);
	return 0;
}
