/* `dcmon recipients TENANT`: a tenant's own alert recipients, confirmed or not, with
 * their severity filter and quiet hours (GET /api/v1/recipients?tenant=T). */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static int rcpt_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon recipients %s\n", cli_cmd_find("recipients")->usage);
	fputs("  --json      print the API's JSON\n", f);
	return code;
}

static void rcpt_table(const struct cli_ctx *ctx, json_t *doc)
{
	json_t *r;
	size_t i;
	char quiet[96];
	fprintf(ctx->out, "%-5s %-10s %-32s %-10s %-9s %s\n", "ID", "TENANT", "ADDRESS", "MIN",
		"CONFIRMED", "QUIET");
	json_array_foreach(json_object_get(doc, "recipients"), i, r) {
		json_t *q = json_object_get(r, "quiet");
		snprintf(quiet, sizeof(quiet), "-");
		if (q)
			snprintf(quiet, sizeof(quiet), "%s-%s %s", cli_jstr(q, "start"),
				 cli_jstr(q, "end"), cli_jstr(q, "tz"));
		fprintf(ctx->out, "%-5" JSON_INTEGER_FORMAT " %-10s %-32s %-10s %-9s %s\n",
			cli_jint(r, "id"), cli_jstr(r, "tenant"),
			cli_jstr(r, "address"), cli_jstr(r, "min_severity"),
			json_is_true(json_object_get(r, "confirmed")) ? "yes" : "no", quiet);
	}
}

int cli_recipients(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char target[512] = "/api/v1/recipients";
	bool json = false;
	int c;

	optind = 0; /* "h" without "+": the options may follow the tenant */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else
			return rcpt_usage(c == 'h' ? ctx->out : ctx->err, c == 'h' ? 0 : CLI_EXIT_UNKNOWN);
	}
	if (optind != argc - 1 || cli_query_add(target, sizeof(target), "tenant", argv[optind]) < 0)
		return rcpt_usage(ctx->err, CLI_EXIT_UNKNOWN);
	json_t *doc = cli_get_json(ctx, target);
	if (!doc)
		return CLI_EXIT_UNKNOWN;
	if (json)
		cli_print_json(ctx, doc);
	else
		rcpt_table(ctx, doc);
	json_decref(doc);
	return 0;
}
