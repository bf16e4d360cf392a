/* `dcmon impact DEVICE` (GET /api/v1/impact/ID) and `dcmon test-mode DEVICE --for 30m
 * --reason TEXT [--test NAME] [--site SITE]` (POST /api/v1/test-mode; at a hub with
 * --site, a command to the site). */
#include "cli.h"

#include <getopt.h>
#include <string.h>

/* "a, b, c" or "none". */
static void print_ids(const struct cli_ctx *ctx, const char *label, json_t *arr)
{
	size_t i;
	json_t *v;
	fprintf(ctx->out, "%-22s", label);
	if (json_array_size(arr) == 0)
		fputs("none", ctx->out);
	json_array_foreach(arr, i, v) fprintf(ctx->out, "%s%s", i ? ", " : "", json_string_value(v));
	fputc('\n', ctx->out);
}

int cli_impact(const struct cli_ctx *ctx, int argc, char **argv)
{
	bool json = argc > 2 && strcmp(argv[2], "--json") == 0;
	bool help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	if (argc < 2 || argv[1][0] == '-' || (argc > 2 && !json)) {
		fprintf(help ? ctx->out : ctx->err, "usage: dcmon impact %s\n",
			cli_cmd_find("impact")->usage);
		return help ? 0 : CLI_EXIT_UNKNOWN;
	}
	char target[512] = "/api/v1/impact/";
	size_t off = strlen(target);
	if (strlen(argv[1]) >= sizeof(target) - off || strpbrk(argv[1], "/?%&# ")) {
		fprintf(ctx->err, "dcmon impact: bad device id '%s'\n", argv[1]);
		return CLI_EXIT_UNKNOWN;
	}
	memcpy(target + off, argv[1], strlen(argv[1]) + 1);
	json_t *r = cli_get_json(ctx, target);
	if (!r)
		return CLI_EXIT_REFUSED;
	if (json) {
		cli_print_json(ctx, r);
	} else {
		fprintf(ctx->out, "%s (%s)\n", argv[1], json_string_value(json_object_get(r, "type")));
		print_ids(ctx, "fed by:", json_object_get(r, "fed_by"));
		print_ids(ctx, "depends on it:", json_object_get(r, "dependents"));
		print_ids(ctx, "would lose power:", json_object_get(r, "would_lose_power"));
		print_ids(ctx, "would lose redundancy:", json_object_get(r, "would_lose_redundancy"));
	}
	json_decref(r);
	return 0;
}

int cli_test_mode(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"for", required_argument, NULL, 'f'}, {"reason", required_argument, NULL, 'r'},
		{"test", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
		{"site", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dur = NULL, *reason = NULL, *test = NULL, *site = NULL;
	bool json = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?')
			return CLI_EXIT_UNKNOWN;
		if (c == 'h') {
			fprintf(ctx->out, "usage: dcmon test-mode %s\n", cli_cmd_find("test-mode")->usage);
			return 0;
		}
		dur = c == 'f' ? optarg : dur;
		reason = c == 'r' ? optarg : reason;
		test = c == 't' ? optarg : test;
		site = c == 's' ? optarg : site;
		json |= c == 'j';
	}
	if (optind != argc - 1 || !dur || !reason || !reason[0]) {
		fprintf(ctx->err, "usage: dcmon test-mode %s\n", cli_cmd_find("test-mode")->usage);
		return CLI_EXIT_UNKNOWN;
	}
	json_t *body = json_pack("{s:s s:s s:s}", "device", argv[optind], "for", dur, "reason",
				 reason);
	if (test)
		json_object_set_new(body, "test", json_string(test));
	json_t *reply = NULL;
	int rc;
	if (site) { /* at a hub: the site opens the window as the hub's account */
		char what[300];
		snprintf(what, sizeof(what), "test mode on %s for %s", argv[optind], dur);
		rc = cli_site_command(ctx, site, "test_mode", 0, body, json, what);
		json_decref(body);
		return rc;
	}
	rc = cli_call_json(ctx, "POST", "/api/v1/test-mode", body, &reply);
	if (rc == 0 && json)
		cli_print_json(ctx, reply);
	else if (rc == 0)
		fprintf(ctx->out, "test mode on %s for %s (silence %lld; ends by itself)\n",
			argv[optind], dur,
			(long long)cli_jint(reply, "silence"));
	json_decref(reply);
	json_decref(body);
	return rc;
}
