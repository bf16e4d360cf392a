/* `dcmon ack ID --comment TEXT`: acknowledges an alert.  dcmond records who (the user
 * of this process, from the socket's credentials) in the alert and the audit log.  With
 * --site, at a hub: the ack of the site's alert ID is sent to the site as a command
 * (POST /api/v1/sites/SITE/commands, docs/MQTT.md "Commands"). */
#include "cli.h"

#include <getopt.h>

static int ack_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon ack %s\n", cli_cmd_find("ack")->usage);
	fputs("  ID                 the alert's id (see dcmon alerts)\n"
	      "  --comment TEXT     why, or who works on it (required)\n"
	      "  --site SITE        at a hub: ack the alert ID of SITE (see dcmon sites SITE),\n"
	      "                     sent to the site, which applies it as the hub's account\n"
	      "  --json             print the acknowledged alert (with --site: the command) as JSON\n"
	      "The ack holds until the alert resolves or its severity rises.\n", f);
	return code;
}

struct ack_opts {
	long long id;
	const char *comment;
	const char *site; /* at a hub: the site the alert is of */
	bool json;
};

/* Parses argv; returns -1 when done, else the exit code to return at once. */
static int ack_parse(const struct cli_ctx *ctx, int argc, char **argv, struct ack_opts *o)
{
	static const struct option longopts[] = {
		{"comment", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"site", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:s:h", longopts, NULL)) != -1) {
		if (c == 'h')
			return ack_usage(ctx->out, 0);
		if (c == '?')
			return ack_usage(ctx->err, CLI_EXIT_UNKNOWN);
		if (c == 'c')
			o->comment = optarg;
		if (c == 's')
			o->site = optarg;
		o->json |= c == 'j';
	}
	if (optind + 1 != argc) {
		fputs("dcmon ack: give exactly one alert id\n", ctx->err);
		return ack_usage(ctx->err, CLI_EXIT_UNKNOWN);
	}
	if (cli_parse_id(argv[optind], &o->id) < 0) {
		fprintf(ctx->err, "dcmon ack: bad alert id '%s' (a number, see dcmon alerts)\n",
			argv[optind]);
		return CLI_EXIT_UNKNOWN;
	}
	if (!o->comment || !o->comment[0]) {
		fputs("dcmon ack: --comment TEXT is required\n", ctx->err);
		return CLI_EXIT_UNKNOWN;
	}
	return -1;
}

int cli_ack(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct ack_opts o = {0};
	int rc = ack_parse(ctx, argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.site) {
		char what[64];
		snprintf(what, sizeof(what), "the ack of alert %lld", o.id);
		json_t *body = json_pack("{s:s}", "comment", o.comment);
		rc = cli_site_command(ctx, o.site, "ack", o.id, body, o.json, what);
		json_decref(body);
		return rc;
	}
	char target[64];
	snprintf(target, sizeof(target), "/api/v1/alerts/%lld/ack", o.id);
	json_t *body = json_pack("{s:s}", "comment", o.comment), *a = NULL;
	rc = body ? cli_call_json(ctx, "POST", target, body, &a) : CLI_EXIT_UNKNOWN;
	json_decref(body);
	if (rc != 0)
		return rc;
	if (o.json) {
		cli_print_json(ctx, a);
	} else {
		json_t *ack = json_object_get(a, "ack");
		fprintf(ctx->out, "acknowledged alert %lld (%s %s on %s) as %s\n", o.id,
			cli_jstr(a, "severity"), cli_jstr(a, "metric"), cli_jstr(a, "device"),
			cli_jstr(ack, "by"));
	}
	json_decref(a);
	return 0;
}
