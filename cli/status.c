/* `dcmon status`: state and key values of devices, filtered; exit code of the worst. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#define STATUS_TARGET_MAX 2048 /* bytes of the request target with filters */

/* Filters of `dcmon status`, passed to the API as query parameters of the same name. */
static const struct {
	const char *name;
	int opt;
	bool details; /* filtering on it selects the detailed view */
} status_filters[] = {
	{"site", 's', false}, {"room", 'r', false}, {"kind", 'k', false},
	{"device", 'd', true}, {"tenant", 't', false},
};
#define STATUS_NFILTERS (sizeof(status_filters) / sizeof(status_filters[0]))

struct status_opts {
	const char *filter[STATUS_NFILTERS]; /* by index of status_filters; NULL = unset */
	bool json;
	bool verbose;
};

static int status_usage(const struct cli_ctx *ctx, FILE *f, int code)
{
	const struct cli_cmd *c = cli_cmd_find("status");
	fprintf(f, "usage: dcmon status %s\n", c->usage);
	fputs("  --site ID, --room ID   devices at this site / in this room; at a hub, a\n"
	      "                         federated site: reachable or not and its open alerts\n"
	      "  --kind KIND            ups, generator, cooling, fire, pdu, env, server, ...\n"
	      "  --device GLOB, -d      devices whose id matches (shows every metric)\n"
	      "  --tenant ID            devices of this tenant\n"
	      "  --json                 print the API's JSON\n"
	      "  -v, --verbose          every metric of every device\n"
	      "exit code: 0 ok, 1 warning, 2 critical, 3 unknown (worst device)\n", f);
	return code;
}

/* Parses argv; returns -1 when done, else the exit code to return at once. */
static int status_parse(const struct cli_ctx *ctx, int argc, char **argv,
			struct status_opts *o)
{
	static const struct option longopts[] = {
		{"site", required_argument, NULL, 's'}, {"room", required_argument, NULL, 'r'},
		{"kind", required_argument, NULL, 'k'}, {"device", required_argument, NULL, 'd'},
		{"tenant", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+d:vh", longopts, NULL)) != -1) {
		if (c == 'j')
			o->json = true;
		else if (c == 'v')
			o->verbose = true;
		else if (c == 'h')
			return status_usage(ctx, ctx->out, 0);
		else if (c == '?')
			return status_usage(ctx, ctx->err, CLI_EXIT_UNKNOWN);
		for (size_t i = 0; i < STATUS_NFILTERS; i++) {
			if (c != status_filters[i].opt)
				continue;
			o->filter[i] = optarg;
			o->verbose |= status_filters[i].details;
		}
	}
	if (optind < argc) {
		fprintf(ctx->err, "dcmon status: unexpected argument '%s'\n", argv[optind]);
		return status_usage(ctx, ctx->err, CLI_EXIT_UNKNOWN);
	}
	return -1;
}

int cli_status(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct status_opts o = {0};
	int rc = status_parse(ctx, argc, argv, &o);
	if (rc >= 0)
		return rc;
	/* at a hub, --site of a federated site: that site's state through the hub
	 * (status_filters[0] is --site) */
	if (o.filter[0] && (rc = cli_site_status(ctx, o.filter[0], o.json)) >= 0)
		return rc;
	char target[STATUS_TARGET_MAX] = "/api/v1/status";
	for (size_t i = 0; i < STATUS_NFILTERS; i++) {
		if (o.filter[i] &&
		    cli_query_add(target, sizeof(target), status_filters[i].name, o.filter[i]) < 0) {
			fprintf(ctx->err, "dcmon status: filter values too long\n");
			return CLI_EXIT_UNKNOWN;
		}
	}
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	json_t *devices = json_object_get(j, "devices");
	enum api_health worst = cli_devices_health(devices);
	if (o.json) {
		json_dumpf(j, ctx->out, JSON_INDENT(2));
		fputc('\n', ctx->out);
	} else if (json_array_size(devices) == 0) {
		fputs("dcmon: no devices match\n", ctx->err);
	} else if (o.verbose) {
		cli_status_details(ctx, devices);
	} else {
		cli_status_table(ctx, devices);
	}
	json_decref(j);
	return (int)worst;
}
