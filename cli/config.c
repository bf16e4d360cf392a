/* `dcmon config`: the configuration dcmond runs, with the tenant layers over the NOC's
 * file (docs/PORTAL.md): `show --effective` says where each device and rule comes from,
 * `export` prints a tenant's layer as YAML and `import` sends one back. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strbuf.h"

#define CONFIG_COLS 4
static const char *const config_headers[CONFIG_COLS] = {"KIND", "ID", "LAYER", "SOURCE"};

struct config_opts {
	bool json, effective;
	const char *tenant;
};

static int config_usage(const struct cli_ctx *ctx, bool ok)
{
	const struct cli_cmd *cmd = cli_cmd_find("config");
	fprintf(ok ? ctx->out : ctx->err, "usage: dcmon config %s\n  %s\n", cmd->usage,
		cmd->summary);
	return ok ? 0 : CLI_EXIT_UNKNOWN;
}

/* Options after the action; returns -1 to go on, else an exit code. */
static int config_parse(const struct cli_ctx *ctx, int argc, char **argv, struct config_opts *o)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'}, {"effective", no_argument, NULL, 'e'},
		{"tenant", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'e': o->effective = true; break;
		case 't': o->tenant = optarg; break;
		default: return config_usage(ctx, c == 'h');
		}
	}
	return -1;
}

static int config_show(const struct cli_ctx *ctx, const struct config_opts *o)
{
	if (!o->effective) {
		fprintf(ctx->err, "dcmon config show: give --effective (the merged configuration)\n");
		return CLI_EXIT_UNKNOWN;
	}
	char target[256] = "/api/v1/layer/effective";
	if (o->tenant && cli_query_add(target, sizeof(target), "tenant", o->tenant) < 0)
		return CLI_EXIT_UNKNOWN;
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	if (o->json) {
		cli_print_json(ctx, j);
	} else {
		struct cli_table *t = cli_table_new(CONFIG_COLS, config_headers);
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(j, "items"), i, it) {
			const char *cells[CONFIG_COLS] = {cli_jstr(it, "kind"), cli_jstr(it, "id"),
							  cli_jstr(it, "layer"), cli_jstr(it, "source")};
			if (cli_table_add(t, cells) < 0)
				break;
		}
		cli_table_print(ctx, t);
		cli_table_free(t);
	}
	json_decref(j);
	return 0;
}

static int config_export(const struct cli_ctx *ctx, const struct config_opts *o)
{
	char target[256] = "/api/v1/layer/export";
	if (o->tenant && cli_query_add(target, sizeof(target), "tenant", o->tenant) < 0)
		return CLI_EXIT_UNKNOWN;
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	fputs(cli_jstr(j, "yaml"), ctx->out);
	json_decref(j);
	return 0;
}

/* Reads a whole file ("-": standard input); NULL with the reason printed. */
static char *read_all(const struct cli_ctx *ctx, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(ctx->err, "dcmon config import: %s: cannot open\n", path);
		return NULL;
	}
	struct strbuf b = STRBUF_INIT;
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_append(&b, chunk, got);
	if (f != stdin)
		fclose(f);
	return strbuf_take(&b);
}

static int config_import(const struct cli_ctx *ctx, const struct config_opts *o,
			 const char *path)
{
	char *text = read_all(ctx, path);
	if (!text)
		return CLI_EXIT_UNKNOWN;
	json_t *body = json_pack("{s:s}", "yaml", text), *out = NULL;
	free(text);
	if (o->tenant)
		json_object_set_new(body, "tenant", json_string(o->tenant));
	int rc = cli_call_json(ctx, "POST", "/api/v1/layer/import", body, &out);
	json_decref(body);
	if (rc == 0) {
		size_t i;
		json_t *r;
		json_array_foreach(json_object_get(out, "requests"), i, r)
			fprintf(ctx->out, "%s %s: %s\n", cli_jstr(r, "kind"), cli_jstr(r, "item"),
				json_is_string(json_object_get(r, "state")) ? cli_jstr(r, "state")
									    : cli_jstr(r, "error"));
	}
	json_decref(out);
	return rc;
}

int cli_config(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct config_opts o = {0};
	const char *action = argc > 1 ? argv[1] : "";
	if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0)
		return config_usage(ctx, true);
	int rc = config_parse(ctx, argc - 1, argv + 1, &o);
	if (rc >= 0)
		return rc;
	int rest = argc - 1 - optind;
	if (strcmp(action, "show") == 0 && rest == 0)
		return config_show(ctx, &o);
	if (strcmp(action, "export") == 0 && rest == 0)
		return config_export(ctx, &o);
	if (strcmp(action, "import") == 0 && rest == 1)
		return config_import(ctx, &o, argv[1 + optind]);
	return config_usage(ctx, false);
}
