/* `dcmon audit`: the append-only audit log of acks and silences (who, what, when, from
 * where), read through GET /api/v1/audit. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define AUDIT_TARGET_MAX 1024 /* bytes of the request target */
#define AUDIT_COLS 6
static const char *const audit_headers[AUDIT_COLS] = {"TIME", "WHO", "FROM", "ACTION",
						      "TARGET", "DETAIL"};

struct audit_opts {
	const char *limit, *action, *target;
	bool json;
};

static int audit_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon audit %s\n", cli_cmd_find("audit")->usage);
	fputs("  --limit N          the newest N entries (default 100)\n"
	      "  --action A         ack, silence, unsilence or integrity\n"
	      "  --target T         one alert or silence: alert:7, silence:3\n"
	      "  --json             print the API's JSON\n"
	      "dcmon audit verify [--checkpoint SEQ:HASH | --log FILE] [--json]\n"
	      "  checks the hash chain; names the first edited, deleted, inserted record, or a\n"
	      "  cut tail against the last 'checkpoint' line of dcmond's log; exit 2 if bad\n"
	      "dcmon audit verify --file F\n"
	      "  checks an export on its own, offline; names the first bad line; exit 2 if bad\n"
	      "dcmon audit export [--since T] [--until T]\n"
	      "  the chained records as JSON lines, between an anchor line (the record before\n"
	      "  them) and an end line; T: a duration back (30d) or a time (2026-12-01 08:00)\n", f);
	return code;
}

/* Parses argv; returns -1 when done, else the exit code to return at once. */
static int audit_parse(const struct cli_ctx *ctx, int argc, char **argv, struct audit_opts *o)
{
	static const struct option longopts[] = {
		{"limit", required_argument, NULL, 'n'}, {"action", required_argument, NULL, 'a'},
		{"target", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		if (c == 'h')
			return audit_usage(ctx->out, 0);
		if (c == '?')
			return audit_usage(ctx->err, CLI_EXIT_UNKNOWN);
		if (c == 'n')
			o->limit = optarg;
		else if (c == 'a')
			o->action = optarg;
		else if (c == 't')
			o->target = optarg;
		o->json |= c == 'j';
	}
	if (optind < argc) {
		fprintf(ctx->err, "dcmon audit: unexpected argument '%s'\n", argv[optind]);
		return audit_usage(ctx->err, CLI_EXIT_UNKNOWN);
	}
	return -1;
}

static void audit_table(const struct cli_ctx *ctx, json_t *entries)
{
	struct cli_table *t = cli_table_new(AUDIT_COLS, audit_headers);
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		char when[32];
		cli_format_time(cli_jint(e, "ts_ms"), when, sizeof(when));
		const char *cells[AUDIT_COLS] = {when,
						 cli_jstr(e, "who"),
						 cli_jstr(e, "origin"),
						 cli_jstr(e, "action"),
						 cli_jstr(e, "target"),
						 cli_jstr(e, "detail")};
		if (cli_table_add(t, cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

/* The last "checkpoint seq=N hash=H" line of a dcmond log file as "N:H" into out; 0, or
 * -1 when the file has none (said on ctx->err). */
static int checkpoint_from_log(const struct cli_ctx *ctx, const char *path, char *out,
			       size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(ctx->err, "dcmon audit verify: cannot read %s\n", path);
		return -1;
	}
	char line[4096];
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "msg=\"checkpoint seq=");
		long long seq;
		char hash[65];
		if (p && sscanf(p, "msg=\"checkpoint seq=%lld hash=%64[0-9a-f]", &seq, hash) == 2)
			snprintf(out, len, "%lld:%s", seq, hash);
	}
	fclose(f);
	if (!out[0])
		fprintf(ctx->err, "dcmon audit verify: no audit checkpoint line in %s\n", path);
	return out[0] ? 0 : -1;
}

/* `dcmon audit verify [--checkpoint SEQ:HASH | --log FILE] [--json]`: exit 0 when the
 * chain holds, 2 naming the first bad record. */
/* "audit log intact: N records[, after the anchor seq A hash H (retention)], last L hash H2" */
static void print_intact(const struct cli_ctx *ctx, json_t *j)
{
	json_t *anchor = json_object_get(j, "anchor");
	fprintf(ctx->out, "audit log intact: %lld records",
		(long long)cli_jint(j, "records"));
	if (anchor)
		fprintf(ctx->out, ", after the anchor seq %lld hash %s (retention)",
			(long long)cli_jint(anchor, "seq"),
			cli_jstr(anchor, "hash"));
	fprintf(ctx->out, ", last %lld hash %s\n",
		(long long)cli_jint(j, "last_seq"),
		cli_jstr(j, "last_hash"));
}

static int audit_verify(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"checkpoint", required_argument, NULL, 'c'}, {"log", required_argument, NULL, 'l'},
		{"file", required_argument, NULL, 'f'}, {"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *cp = NULL, *log = NULL;
	bool json = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?')
			return audit_usage(ctx->err, CLI_EXIT_UNKNOWN);
		cp = c == 'c' ? optarg : cp;
		log = c == 'l' ? optarg : log;
		if (c == 'f')
			return cli_audit_verify_file(ctx, optarg);
		json |= c == 'j';
	}
	char from_log[128], target[AUDIT_TARGET_MAX] = "/api/v1/audit/verify";
	if (log && checkpoint_from_log(ctx, log, from_log, sizeof(from_log)) < 0)
		return CLI_EXIT_UNKNOWN;
	if ((cp || log) && cli_query_add(target, sizeof(target), "checkpoint", cp ? cp : from_log) < 0)
		return CLI_EXIT_UNKNOWN;
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	json_t *bad = json_object_get(j, "first_bad");
	if (json)
		cli_print_json(ctx, j);
	else if (bad)
		fprintf(ctx->out, "audit log TAMPERED: record %lld (row id %lld): %s\n",
			(long long)cli_jint(bad, "seq"),
			(long long)cli_jint(bad, "id"),
			cli_jstr(bad, "problem"));
	else
		print_intact(ctx, j);
	json_decref(j);
	return bad ? (int)API_HEALTH_CRITICAL : 0;
}

int cli_audit(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return audit_verify(ctx, argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return cli_audit_export(ctx, argc - 1, argv + 1);
	struct audit_opts o = {0};
	int rc = audit_parse(ctx, argc, argv, &o);
	if (rc >= 0)
		return rc;
	char target[AUDIT_TARGET_MAX] = "/api/v1/audit";
	if ((o.limit && cli_query_add(target, sizeof(target), "limit", o.limit) < 0) ||
	    (o.action && cli_query_add(target, sizeof(target), "action", o.action) < 0) ||
	    (o.target && cli_query_add(target, sizeof(target), "target", o.target) < 0)) {
		fputs("dcmon audit: arguments too long\n", ctx->err);
		return CLI_EXIT_UNKNOWN;
	}
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	json_t *entries = json_object_get(j, "entries");
	if (o.json)
		cli_print_json(ctx, j);
	else if (json_array_size(entries) == 0)
		fputs("the audit log is empty\n", ctx->out);
	else
		audit_table(ctx, entries);
	json_decref(j);
	return 0;
}
