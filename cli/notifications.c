/* `dcmon notifications`: the e-mail spool (pending, sent, failed) and whether delivery
 * is failing; `dcmon test-email --route NAME`: a test message through the real path. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOTIF_TARGET_MAX 512

static int notif_usage(const struct cli_ctx *ctx, FILE *f, int code)
{
	fprintf(f, "usage: dcmon notifications %s\n", cli_cmd_find("notifications")->usage);
	fputs("  --state S   pending, sent or failed\n"
	      "  --limit N   at most N messages, newest first (100)\n"
	      "  --json      print the API's JSON\n"
	      "exit code: 0, or 2 while notification delivery is failing\n", f);
	return code;
}

/* "12:00:01" of a wall-clock ms, "-" for 0. */
static void clock_text(json_t *v, char *buf, size_t len)
{
	time_t t = (time_t)(json_integer_value(v) / 1000);
	struct tm tm;
	if (!json_is_integer(v) || !localtime_r(&t, &tm) || !strftime(buf, len, "%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

static void notif_table(const struct cli_ctx *ctx, json_t *doc)
{
	json_t *m;
	size_t i;
	char created[32], sent[32];
	json_t *c = json_object_get(doc, "counts");

	if (json_is_true(json_object_get(doc, "delivery_failing")))
		fprintf(ctx->out, "NOTIFICATION DELIVERY FAILING: %s\n\n",
			json_string_value(json_object_get(doc, "failing_reason")));
	fprintf(ctx->out, "%" JSON_INTEGER_FORMAT " queued, %" JSON_INTEGER_FORMAT " pending, %"
		JSON_INTEGER_FORMAT " sent, %" JSON_INTEGER_FORMAT " failed\n",
		cli_jint(c, "queued"),
		cli_jint(c, "pending"),
		cli_jint(c, "sent"),
		cli_jint(c, "failed"));
	fprintf(ctx->out, "%-6s %-8s %-3s %-14s %-14s %-28s %s\n", "ID", "STATE", "TRY", "CREATED",
		"SENT", "TO", "SUBJECT / ERROR");
	json_array_foreach(json_object_get(doc, "notifications"), i, m) {
		const char *err = json_string_value(json_object_get(m, "last_error"));
		clock_text(json_object_get(m, "created_ms"), created, sizeof(created));
		clock_text(json_object_get(m, "sent_ms"), sent, sizeof(sent));
		fprintf(ctx->out, "%-6" JSON_INTEGER_FORMAT " %-8s %-3" JSON_INTEGER_FORMAT
			" %-14s %-14s %-28s %s\n", cli_jint(m, "id"),
			json_string_value(json_object_get(m, "state")),
			cli_jint(m, "attempts"), created, sent,
			json_string_value(json_object_get(m, "rcpt")),
			json_string_value(json_object_get(m, "subject")));
		if (err && *err)
			fprintf(ctx->out, "%58s error: %s\n", "", err);
	}
}

int cli_notifications(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char target[NOTIF_TARGET_MAX] = "/api/v1/notifications";
	bool json = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h')
			return notif_usage(ctx, ctx->out, 0);
		else if (c == '?' || cli_query_add(target, sizeof(target), c == 's' ? "state" : "limit",
						   optarg) < 0)
			return notif_usage(ctx, ctx->err, CLI_EXIT_UNKNOWN);
	}
	if (optind < argc)
		return notif_usage(ctx, ctx->err, CLI_EXIT_UNKNOWN);
	json_t *doc = cli_get_json(ctx, target);
	if (!doc)
		return CLI_EXIT_UNKNOWN;
	if (json) {
		json_dumpf(doc, ctx->out, JSON_INDENT(2));
		fputc('\n', ctx->out);
	} else
		notif_table(ctx, doc);
	int rc = json_is_true(json_object_get(doc, "delivery_failing")) ? 2 : 0;
	json_decref(doc);
	return rc;
}

int cli_test_email(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"route", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char target[NOTIF_TARGET_MAX] = "/api/v1/notifications/test", err[512];
	const char *route = NULL;
	struct cli_reply r = {0};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:h", longopts, NULL)) != -1) {
		if (c == 'r')
			route = optarg;
		else
			break;
	}
	if (!route || optind < argc || cli_query_add(target, sizeof(target), "route", route) < 0) {
		fprintf(c == 'h' ? ctx->out : ctx->err, "usage: dcmon test-email %s\n",
			cli_cmd_find("test-email")->usage);
		return c == 'h' ? 0 : CLI_EXIT_UNKNOWN;
	}
	if (cli_request(ctx, "POST", target, NULL, &r, err, sizeof(err)) < 0) {
		fprintf(ctx->err, "dcmon: %s\n", err);
		return CLI_EXIT_UNKNOWN;
	}
	json_t *doc = json_loads(r.body, 0, NULL);
	if (r.status != 202)
		fprintf(ctx->err, "dcmon: %s\n",
			json_string_value(json_object_get(doc, "error")) ?: r.body);
	else
		fprintf(ctx->out, "test message for route %s queued to %" JSON_INTEGER_FORMAT
			" recipient(s); see `dcmon notifications`\n", route,
			cli_jint(doc, "recipients"));
	int rc = r.status == 202 ? 0
		 : r.status >= 400 && r.status < 500 ? CLI_EXIT_REFUSED
		 : CLI_EXIT_UNKNOWN;
	json_decref(doc);
	cli_reply_free(&r);
	return rc;
}
