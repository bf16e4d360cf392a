/* `dcmon audit export` writes the audit log's chained records as JSON lines, framed by
 * an anchor (the sequence number and hash of the record before the first one) and an
 * end line (how many records, the last one's hash); `dcmon audit verify --file F`
 * checks such a file on its own, offline, with the chain's own hash function
 * (docs/ACCOUNTS.md, "Export"). */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"

#define EXPORT_TARGET_MAX 256

/* What verify --file has read so far, and the first bad line. */
struct export_check {
	long line;
	bool anchored, ended;
	int64_t anchor_seq, next_seq, records;
	char anchor[65], last[65];
	long bad_line;
	char problem[256];
};

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void check_bad(struct export_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void check_bad(struct export_check *c, const char *fmt, ...)
{
	if (c->bad_line)
		return;
	c->bad_line = c->line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->problem, sizeof(c->problem), fmt, ap);
	va_end(ap);
}

static const char *jstr_or_null(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* One record line against the line before it (the anchor for the first). */
static void check_record(struct export_check *c, json_t *o)
{
	int64_t seq = cli_jint(o, "seq");
	const char *prev = jstr_or_null(o, "prev_hash"), *hash = jstr_or_null(o, "hash");
	char want[65] = "";
	audit_chain_hash(seq, cli_jint(o, "ts_ms"), jstr_or_null(o, "who"), jstr_or_null(o, "origin"),
			 jstr_or_null(o, "action"), jstr_or_null(o, "target"),
			 jstr_or_null(o, "detail"), prev, want);
	if (seq > c->next_seq)
		check_bad(c, "deleted: records %" PRId64 "..%" PRId64 " are missing before it",
			  c->next_seq, seq - 1);
	else if (seq < c->next_seq)
		check_bad(c, "inserted: sequence %" PRId64 " comes again after %" PRId64, seq,
			  c->next_seq - 1);
	else if (!same(prev, c->last))
		check_bad(c, "inserted or reordered: its prev_hash is not the hash of the line "
			     "before it");
	else if (!same(hash, want))
		check_bad(c, "edited: its content does not match its hash");
	c->records++;
	c->next_seq = seq + 1;
	snprintf(c->last, sizeof(c->last), "%s", hash ? hash : "");
}

/* The end line: the count and last hash the exporter wrote, against what was read. */
static void check_end(struct export_check *c, json_t *o)
{
	int64_t n = cli_jint(o, "records"), last_seq = cli_jint(o, "last_seq");
	if (n != c->records || (n > 0 && last_seq != c->next_seq - 1))
		check_bad(c, "deleted: the end line says %" PRId64 " records up to %" PRId64
			     ", the file holds %" PRId64 " up to %" PRId64,
			  n, last_seq, c->records, c->next_seq - 1);
	else if (n > 0 && !same(jstr_or_null(o, "last_hash"), c->last))
		check_bad(c, "edited: the end line's last_hash is not the last record's hash");
	c->ended = true;
}

/* One line of the file (its '\n' stripped; cut says it had none). */
static void check_line(struct export_check *c, const char *text, bool cut)
{
	json_t *o = json_loads(text, 0, NULL);
	const char *kind = jstr_or_null(o, "kind");
	if (!o || !json_is_object(o) || !kind)
		check_bad(c, cut ? "truncated: the last line is cut short"
				 : "edited: not a JSON line of an audit export");
	else if (c->ended)
		check_bad(c, "inserted: a line after the end line");
	else if (strcmp(kind, "anchor") == 0 && c->line == 1) {
		c->anchored = true;
		c->anchor_seq = cli_jint(o, "seq");
		c->next_seq = c->anchor_seq + 1;
		snprintf(c->anchor, sizeof(c->anchor), "%s", jstr_or_null(o, "hash") ? jstr_or_null(o, "hash") : "");
		memcpy(c->last, c->anchor, sizeof(c->last));
	} else if (!c->anchored)
		check_bad(c, "truncated: the export does not start with its anchor line");
	else if (strcmp(kind, "record") == 0)
		check_record(c, o);
	else if (strcmp(kind, "end") == 0)
		check_end(c, o);
	else
		check_bad(c, "inserted: a line of kind '%s'", kind);
	json_decref(o);
}

int cli_audit_verify_file(const struct cli_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(ctx->err, "dcmon audit verify: cannot read %s\n", path);
		return CLI_EXIT_UNKNOWN;
	}
	struct export_check c = {0};
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	while (!c.bad_line && (n = getline(&buf, &cap, f)) > 0) {
		c.line++;
		bool cut = buf[n - 1] != '\n';
		if (!cut)
			buf[n - 1] = '\0';
		check_line(&c, buf, cut);
	}
	free(buf);
	fclose(f);
	c.line++;
	if (!c.ended)
		check_bad(&c, "truncated: the file ends without its end line");
	if (c.bad_line) {
		fprintf(ctx->out, "audit export TAMPERED: %s line %ld: %s\n", path, c.bad_line,
			c.problem);
		return (int)API_HEALTH_CRITICAL;
	}
	fprintf(ctx->out, "audit export intact: %" PRId64 " records, after the anchor seq %" PRId64
		" hash %s, last %" PRId64 " hash %s\n", c.records, c.anchor_seq, c.anchor,
		c.next_seq - 1, c.last);
	return 0;
}

int cli_audit_export(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0},
	};
	char target[EXPORT_TARGET_MAX] = "/api/v1/audit/export", ms[32];
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?')
			return CLI_EXIT_UNKNOWN;
		if (cli_time_arg(optarg, ms, sizeof(ms)) < 0) {
			fprintf(ctx->err, "dcmon audit export: bad time '%s'\n", optarg);
			return CLI_EXIT_UNKNOWN;
		}
		cli_query_add(target, sizeof(target), c == 's' ? "since" : "until", ms);
	}
	json_t *j = cli_get_json(ctx, target);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	size_t i;
	json_t *line;
	json_array_foreach(json_object_get(j, "lines"), i, line) {
		char *s = json_dumps(line, JSON_COMPACT);
		if (s)
			fprintf(ctx->out, "%s\n", s);
		free(s);
	}
	json_decref(j);
	return 0;
}
