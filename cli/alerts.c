/* `dcmon alerts`: the alerts of dcmond, filtered, as a table or JSON; the exit code is
 * the worst severity of the firing alerts shown. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "dcmon/loop.h"

#define ALERTS_TARGET_MAX 2048 /* bytes of the request target with filters */

/* Filters passed to the API as query parameters of the same name. */
static const struct {
	const char *name;
	int opt;
} alerts_filters[] = {
	{"state", 'S'}, {"severity", 'e'}, {"device", 'd'}, {"site", 's'},
	{"room", 'r'},	{"tenant", 't'},   {"kind", 'k'},	{"rule", 'R'},
};
#define ALERTS_NFILTERS (sizeof(alerts_filters) / sizeof(alerts_filters[0]))
#define ALERTS_STATE 0 /* index of "state" in alerts_filters */

struct alerts_opts {
	const char *filter[ALERTS_NFILTERS]; /* by index of alerts_filters; NULL = unset */
	bool unhandled;                      /* neither acked nor silenced */
	bool all;                            /* resolved alerts too */
	bool json;
};

static int alerts_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon alerts %s\n", cli_cmd_find("alerts")->usage);
	fputs("  --state S          pending, firing or resolved (default: pending and firing)\n"
	      "  --severity S       at least: info, warning or critical\n"
	      "  --device GLOB      alerts of devices whose id matches\n"
	      "  --site ID, --room ID, --tenant ID, --kind KIND, --rule NAME\n"
	      "  --unhandled        only alerts neither acknowledged nor silenced\n"
	      "  --all              resolved alerts too\n"
	      "  --json             print the API's JSON (the same selection)\n"
	      "exit code: 0 nothing firing (or info), 1 warning, 2 critical firing among the\n"
	      "alerts shown; 3 dcmond unreachable or a bad argument\n", f);
	return code;
}

/* Parses argv; returns -1 when done, else the exit code to return at once. */
static int alerts_parse(const struct cli_ctx *ctx, int argc, char **argv, struct alerts_opts *o)
{
	static const struct option longopts[] = {
		{"state", required_argument, NULL, 'S'}, {"severity", required_argument, NULL, 'e'},
		{"device", required_argument, NULL, 'd'}, {"site", required_argument, NULL, 's'},
		{"room", required_argument, NULL, 'r'}, {"tenant", required_argument, NULL, 't'},
		{"kind", required_argument, NULL, 'k'}, {"rule", required_argument, NULL, 'R'},
		{"unhandled", no_argument, NULL, 'u'}, {"all", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+d:h", longopts, NULL)) != -1) {
		if (c == 'h')
			return alerts_usage(ctx->out, 0);
		if (c == '?')
			return alerts_usage(ctx->err, CLI_EXIT_UNKNOWN);
		o->unhandled |= c == 'u';
		o->all |= c == 'a';
		o->json |= c == 'j';
		for (size_t i = 0; i < ALERTS_NFILTERS; i++)
			if (c == alerts_filters[i].opt)
				o->filter[i] = optarg;
	}
	if (optind < argc) {
		fprintf(ctx->err, "dcmon alerts: unexpected argument '%s'\n", argv[optind]);
		return alerts_usage(ctx->err, CLI_EXIT_UNKNOWN);
	}
	return -1;
}

static int alerts_target(const struct alerts_opts *o, char *buf, size_t len)
{
	snprintf(buf, len, "/api/v1/alerts");
	for (size_t i = 0; i < ALERTS_NFILTERS; i++)
		if (o->filter[i] && cli_query_add(buf, len, alerts_filters[i].name, o->filter[i]) < 0)
			return -1;
	if (o->unhandled && (cli_query_add(buf, len, "acked", "false") < 0 ||
			     cli_query_add(buf, len, "silenced", "false") < 0))
		return -1;
	return 0;
}

/* Without --all or --state, resolved alerts are left out. */
static void drop_resolved(json_t *alerts)
{
	for (size_t i = json_array_size(alerts); i-- > 0;) {
		const char *st = json_string_value(json_object_get(json_array_get(alerts, i), "state"));
		if (st && strcmp(st, "resolved") == 0)
			json_array_remove(alerts, i);
	}
}

static void alerts_table(const struct cli_ctx *ctx, json_t *alerts)
{
	struct cli_table *t = cli_table_new(CLI_ALERT_COLS, cli_alert_headers);
	int64_t now = clock_wall_ms();
	size_t i;
	json_t *a;
	json_array_foreach(alerts, i, a) {
		struct cli_alert_row row;
		cli_alert_row(a, now, &row);
		if (cli_table_add(t, row.cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

int cli_alerts(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct alerts_opts o = {0};
	int rc = alerts_parse(ctx, argc, argv, &o);
	if (rc >= 0)
		return rc;
	char target[ALERTS_TARGET_MAX];
	if (alerts_target(&o, target, sizeof(target)) < 0) {
		fputs("dcmon alerts: filter values too long\n", ctx->err);
		return CLI_EXIT_UNKNOWN;
	}
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	json_t *alerts = json_object_get(j, "alerts");
	if (!o.all && !o.filter[ALERTS_STATE])
		drop_resolved(alerts);
	if (o.json)
		cli_print_json(ctx, j);
	else if (json_array_size(alerts) == 0)
		fputs("no alerts\n", ctx->out);
	else
		alerts_table(ctx, alerts);
	rc = cli_alerts_exit(alerts);
	json_decref(j);
	return rc;
}
