/* `dcmon sites [ID]`: a hub's sites (GET /api/v1/sites): each one's link age (its last
 * heartbeat), the events held and the gaps; with ID, the site's open alerts as their
 * last event left them (GET /api/v1/sites/ID/alerts).  docs/MQTT.md "Hub".  Also the
 * --site form of ack, silence, unsilence and test-mode: a command to a site. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define SITE_COLS 6
static const char *const site_headers[SITE_COLS] = {"SITE", "LINK AGE", "SEQ", "EVENTS",
						     "GAPS", "WAITING"};
#define ALERT_COLS 5
static const char *const alert_headers[ALERT_COLS] = {"DEVICE", "RULE", "SEVERITY", "STATE",
						       "SINCE"};

static int sites_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon sites %s\n", cli_cmd_find("sites")->usage);
	fputs("  ID          the site's open alerts at the hub\n"
	      "  --json      print the API's JSON\n", f);
	return code;
}

static void sites_table(const struct cli_ctx *ctx, json_t *list)
{
	struct cli_table *t = cli_table_new(SITE_COLS, site_headers);
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		char age[16], seq[24], events[24], gaps[24], waiting[24];
		json_int_t ms = cli_jint(s, "link_age_ms");
		cli_format_age(ms < 0 ? -1 : (double)ms / 1000.0, age, sizeof(age));
		const char *cells[SITE_COLS] = {cli_jstr(s, "id"), age,
						cli_jint_text(s, "seq", seq, sizeof(seq)),
						cli_jint_text(s, "events", events, sizeof(events)),
						cli_jint_text(s, "gaps", gaps, sizeof(gaps)),
						cli_jint_text(s, "waiting", waiting, sizeof(waiting))};
		if (cli_table_add(t, cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

static void alerts_table(const struct cli_ctx *ctx, json_t *list)
{
	struct cli_table *t = cli_table_new(ALERT_COLS, alert_headers);
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a) {
		char since[32];
		cli_format_time(cli_jint(a, "since"), since, sizeof(since));
		const char *cells[ALERT_COLS] = {cli_jstr(a, "device"), cli_jstr(a, "rule"),
						 cli_jstr(a, "severity"), cli_jstr(a, "state"), since};
		if (cli_table_add(t, cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

int cli_sites(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char target[512];
	bool json = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else
			return sites_usage(c == 'h' ? ctx->out : ctx->err, c == 'h' ? 0 : CLI_EXIT_UNKNOWN);
	}
	if (argc - optind > 1)
		return sites_usage(ctx->err, CLI_EXIT_UNKNOWN);
	const char *id = optind < argc ? argv[optind] : NULL;
	if (id && (int)sizeof(target) <= snprintf(target, sizeof(target), "/api/v1/sites/%s/alerts", id))
		return sites_usage(ctx->err, CLI_EXIT_UNKNOWN);
	json_t *doc = cli_get_json(ctx, id ? target : "/api/v1/sites");
	if (!doc)
		return CLI_EXIT_UNKNOWN;
	if (json)
		cli_print_json(ctx, doc);
	else if (id)
		alerts_table(ctx, json_object_get(doc, "alerts"));
	else
		sites_table(ctx, json_object_get(doc, "sites"));
	json_decref(doc);
	return 0;
}

int cli_site_command(const struct cli_ctx *ctx, const char *site, const char *kind,
		     long long target, json_t *body, bool json, const char *what)
{
	char path[512];
	if (snprintf(path, sizeof(path), "/api/v1/sites/%s/commands", site) >= (int)sizeof(path)) {
		fprintf(ctx->err, "dcmon: site id too long: %s\n", site);
		return CLI_EXIT_UNKNOWN;
	}
	json_t *cmd = json_pack("{s:s}", "kind", kind), *reply = NULL;
	if (cmd && target)
		json_object_set_new(cmd, "target", json_integer(target));
	if (cmd && body)
		json_object_set(cmd, "body", body);
	int rc = cmd ? cli_call_json(ctx, "POST", path, cmd, &reply) : CLI_EXIT_UNKNOWN;
	json_decref(cmd);
	if (rc == 0 && json)
		cli_print_json(ctx, reply);
	else if (rc == 0)
		fprintf(ctx->out, "sent %s to site %s (command %" JSON_INTEGER_FORMAT
			"; its answer: GET %s)\n", what, site,
			cli_jint(reply, "id"), path);
	json_decref(reply);
	return rc;
}

/* The exit code of a federated site: 3 when it is unreachable, else its worst open alert
 * (2 critical, 1 warning, 0 none), as `dcmon status` gives for devices. */
static int site_exit_code(json_t *site, json_t *alerts)
{
	if (json_is_true(json_object_get(site, "unreachable")))
		return 3;
	int worst = 0;
	size_t i;
	json_t *a;
	json_array_foreach(alerts, i, a) {
		const char *sev = cli_jstr(a, "severity");
		int code = !strcmp(sev, "critical") ? 2 : !strcmp(sev, "warning") ? 1 : 0;
		worst = code > worst ? code : worst;
	}
	return worst;
}

int cli_site_status(const struct cli_ctx *ctx, const char *site, bool json)
{
	char target[512], err[256], age[16];
	struct cli_reply r;
	if (snprintf(target, sizeof(target), "/api/v1/sites/%s/alerts", site) >= (int)sizeof(target) ||
	    cli_request(ctx, "GET", target, NULL, &r, err, sizeof(err)) < 0)
		return -1;
	json_t *doc = r.status == 200 ? json_loadb(r.body, r.body_len, 0, NULL) : NULL;
	cli_reply_free(&r);
	if (!doc)
		return -1; /* not a hub, or no such site: the caller's "no devices match" */
	json_t *s = json_object_get(doc, "site"), *alerts = json_object_get(doc, "alerts");
	int code = site_exit_code(s, alerts);
	if (json) {
		cli_print_json(ctx, doc);
	} else {
		json_int_t ms = cli_jint(s, "link_age_ms");
		cli_format_age(ms < 0 ? -1 : (double)ms / 1000.0, age, sizeof(age));
		fprintf(ctx->out, "site %s (through this hub): %s, last heard %s ago, %zu open "
			"alert%s\n", site, code == 3 ? "UNREACHABLE" : "reachable", age,
			json_array_size(alerts), json_array_size(alerts) == 1 ? "" : "s");
		if (json_array_size(alerts))
			alerts_table(ctx, alerts);
	}
	json_decref(doc);
	return code;
}
