/* `dcmon silences`: the silences dcmond holds; `dcmon unsilence ID` ends one. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

#include "dcmon/loop.h"

#define SILENCE_COLS 6
static const char *const silence_headers[SILENCE_COLS] = {"ID", "ACTIVE", "MATCH", "WHEN",
							  "BY", "REASON"};

/* "device=ups-* metric=battery_* label.row=A rule=ups-runtime" */
static void silence_match(json_t *s, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t off = 0;
	buf[0] = '\0';
	json_object_foreach(json_object_get(s, "match"), k, v) {
		if (json_is_string(v) && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", k,
						json_string_value(v));
	}
	json_object_foreach(json_object_get(json_object_get(s, "match"), "labels"), k, v) {
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%slabel.%s=%s", off ? " " : "",
						k, json_string_value(v));
	}
	if (json_is_string(json_object_get(s, "rule")) && off < len)
		snprintf(buf + off, len - off, "%srule=%s", off ? " " : "", cli_jstr(s, "rule"));
}

/* One-off: "until 2026-01-02 15:04:05" (with "from ..." when it starts later);
 * recurring: "sun,sat 02:00-04:00 Asia/Tokyo" (with " until ..." when bounded). */
static void silence_when(json_t *s, int64_t now_ms, char *buf, size_t len)
{
	char from[32], until[32], days[64] = "";
	int64_t starts = cli_jint(s, "starts_ms");
	int64_t ends = cli_jint(s, "ends_ms");
	cli_format_time(starts, from, sizeof(from));
	cli_format_time(ends, until, sizeof(until));
	json_t *dl = json_object_get(s, "days"), *d;
	size_t i;
	if (!json_is_array(dl)) {
		snprintf(buf, len, "%s%s%suntil %s", starts > now_ms ? "from " : "",
			 starts > now_ms ? from : "", starts > now_ms ? " " : "", until);
		return;
	}
	json_array_foreach(dl, i, d)
		snprintf(days + strlen(days), sizeof(days) - strlen(days), "%s%s", i ? "," : "",
			 json_string_value(d));
	const char *tz = json_string_value(json_object_get(s, "tz"));
	snprintf(buf, len, "%s %s-%s%s%s%s%s", days, cli_jstr(s, "start"), cli_jstr(s, "end"),
		 tz ? " " : "", tz ? tz : "", ends ? " until " : "", ends ? until : "");
}

static void silences_table(const struct cli_ctx *ctx, json_t *list)
{
	struct cli_table *t = cli_table_new(SILENCE_COLS, silence_headers);
	int64_t now = clock_wall_ms();
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		char id[24], match[512], when[160];
		cli_jint_text(s, "id", id, sizeof(id));
		silence_match(s, match, sizeof(match));
		silence_when(s, now, when, sizeof(when));
		const char *cells[SILENCE_COLS] = {
			id, json_is_true(json_object_get(s, "active")) ? "yes" : "no", match, when,
			cli_jstr(s, "created_by"), cli_jstr(s, "reason")};
		if (cli_table_add(t, cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

/* Options of both commands: --json, --help and (site not NULL: unsilence) --site;
 * returns -1 to go on, else an exit code. */
static int simple_parse(const struct cli_ctx *ctx, int argc, char **argv, bool *json,
			const char **site, const char *name, int want_args)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{"site", required_argument, NULL, 's'}, {NULL, 0, NULL, 0},
	};
	const struct cli_cmd *cmd = cli_cmd_find(name);
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j')
			*json = true;
		else if (c == 's' && site)
			*site = optarg;
		else if (c == 'h' || c == '?' || c == 's') {
			FILE *f = c == 'h' ? ctx->out : ctx->err;
			fprintf(f, "usage: dcmon %s %s\n  %s\n", name, cmd->usage, cmd->summary);
			return c == 'h' ? 0 : CLI_EXIT_UNKNOWN;
		}
	}
	if (argc - optind != want_args) {
		fprintf(ctx->err, "dcmon %s: %s (usage: dcmon %s %s)\n", name,
			want_args ? "give one silence id" : "unexpected argument", name, cmd->usage);
		return CLI_EXIT_UNKNOWN;
	}
	return -1;
}

int cli_silences(const struct cli_ctx *ctx, int argc, char **argv)
{
	bool json = false;
	int rc = simple_parse(ctx, argc, argv, &json, NULL, "silences", 0);
	if (rc >= 0)
		return rc;
	json_t *j = cli_get_json(ctx, "/api/v1/silences");
	if (!j)
		return CLI_EXIT_UNKNOWN;
	json_t *list = json_object_get(j, "silences");
	if (json)
		cli_print_json(ctx, j);
	else if (json_array_size(list) == 0)
		fputs("no silences\n", ctx->out);
	else
		silences_table(ctx, list);
	json_decref(j);
	return 0;
}

int cli_unsilence(const struct cli_ctx *ctx, int argc, char **argv)
{
	bool json = false;
	long long id;
	const char *site = NULL;
	int rc = simple_parse(ctx, argc, argv, &json, &site, "unsilence", 1);
	if (rc >= 0)
		return rc;
	if (cli_parse_id(argv[optind], &id) < 0) {
		fprintf(ctx->err, "dcmon unsilence: bad silence id '%s' (a number, see dcmon "
			"silences)\n", argv[optind]);
		return CLI_EXIT_UNKNOWN;
	}
	char target[64];
	if (site) {
		snprintf(target, sizeof(target), "the end of silence %lld", id);
		return cli_site_command(ctx, site, "unsilence", id, NULL, json, target);
	}
	snprintf(target, sizeof(target), "/api/v1/silences/%lld", id);
	json_t *reply;
	rc = cli_call_json(ctx, "DELETE", target, NULL, &reply);
	if (rc == 0 && json)
		cli_print_json(ctx, reply);
	else if (rc == 0)
		fprintf(ctx->out, "silence %lld ended\n", id);
	json_decref(reply);
	return rc;
}
