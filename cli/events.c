/* `dcmon events`: the event store (syslog, traps) searched through
 * GET /api/v1/events/search; -f follows new events as they are stored. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dcmon/config.h"

#define EVENTS_TARGET_MAX 2048 /* bytes of the request target */
#define FOLLOW_POLL_MS    500  /* -f asks for newer events this often */
#define EVENTS_COLS 6
static const char *const events_headers[EVENTS_COLS] = {"TIME", "SEVERITY", "DEVICE", "SOURCE",
							"PROGRAM", "MESSAGE"};

struct events_opts {
	/* API parameter name and value, in option order */
	const char *names[16], *values[16];
	size_t n;
	char from[24], to[24];
	bool json, follow;
};

static int events_usage(FILE *f, int code)
{
	fprintf(f, "usage: dcmon events %s\n", cli_cmd_find("events")->usage);
	fputs("  --since T          from T: a duration back (1h, 7d) or a time (2026-12-01 08:00)\n"
	      "  --until T          up to T (same forms)\n"
	      "  --device ID        --tenant ID  --site ID  --source ADDR  --program NAME\n"
	      "  --kind K           syslog, trap, alert or audit\n"
	      "  --severity S       S or worse: emerg alert crit err warning notice info debug\n"
	      "  --text WORDS       messages holding every word\n"
	      "  --flag F           parse_error, unknown_source, truncated, bad_utf8, suppressed\n"
	      "  --limit N          the newest N (default 100, at most 1000)\n"
	      "  -f, --follow       then print new events as they arrive (Ctrl-C ends)\n"
	      "  --json             print the API's JSON (one object per line with -f)\n", f);
	return code;
}

/* --since/--until: a duration back from now, or a time (cli.h). */
int cli_time_arg(const char *s, char *out, size_t len)
{
	int64_t now = (int64_t)time(NULL) * 1000, ms, d;
	if (cfg_parse_duration(s, &d) == 0)
		ms = now - d;
	else if (cli_parse_time(s, now, &ms) < 0)
		return -1;
	snprintf(out, len, "%lld", (long long)ms);
	return 0;
}

static void add_param(struct events_opts *o, const char *name, const char *value)
{
	if (o->n < sizeof(o->names) / sizeof(o->names[0])) {
		o->names[o->n] = name;
		o->values[o->n++] = value;
	}
}

/* Parses argv; returns -1 when done, else the exit code to return at once. */
static int events_parse(const struct cli_ctx *ctx, int argc, char **argv, struct events_opts *o)
{
	static const struct option longopts[] = {
		{"device", required_argument, NULL, 1}, {"tenant", required_argument, NULL, 1},
		{"site", required_argument, NULL, 1}, {"source", required_argument, NULL, 1},
		{"program", required_argument, NULL, 1}, {"kind", required_argument, NULL, 1},
		{"severity", required_argument, NULL, 1}, {"text", required_argument, NULL, 1},
		{"flag", required_argument, NULL, 1}, {"limit", required_argument, NULL, 1},
		{"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
		{"follow", no_argument, NULL, 'f'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int c, li;
	optind = 0;
	while ((c = getopt_long(argc, argv, "fh", longopts, &li)) != -1) {
		if (c == 'h')
			return events_usage(ctx->out, 0);
		if (c == '?')
			return events_usage(ctx->err, CLI_EXIT_UNKNOWN);
		if (c == 1) {
			add_param(o, longopts[li].name, optarg);
		} else if (c == 's' || c == 'u') {
			char *buf = c == 's' ? o->from : o->to;
			if (cli_time_arg(optarg, buf, sizeof(o->from)) < 0) {
				fprintf(ctx->err, "dcmon events: --%s: expected a duration (1h) or a "
					"time (2026-12-01 08:00), got '%s'\n", c == 's' ? "since" : "until",
					optarg);
				return CLI_EXIT_UNKNOWN;
			}
			add_param(o, c == 's' ? "from" : "to", buf);
		}
		o->follow |= c == 'f';
		o->json |= c == 'j';
	}
	if (optind < argc) {
		fprintf(ctx->err, "dcmon events: unexpected argument '%s'\n", argv[optind]);
		return events_usage(ctx->err, CLI_EXIT_UNKNOWN);
	}
	return -1;
}

/* One page of the search with the options' parameters (and a cursor); NULL after
 * saying why. */
static json_t *fetch(const struct cli_ctx *ctx, const struct events_opts *o,
		     const char *cursor_name, const char *cursor)
{
	char target[EVENTS_TARGET_MAX] = "/api/v1/events/search";
	for (size_t i = 0; i < o->n; i++)
		if (cli_query_add(target, sizeof(target), o->names[i], o->values[i]) < 0)
			goto too_long;
	if (cursor && cli_query_add(target, sizeof(target), cursor_name, cursor) < 0)
		goto too_long;
	return cli_get_json(ctx, target);
too_long:
	fputs("dcmon events: arguments too long\n", ctx->err);
	return NULL;
}

static void events_table(const struct cli_ctx *ctx, json_t *events, bool reverse)
{
	struct cli_table *t = cli_table_new(EVENTS_COLS, events_headers);
	size_t n = json_array_size(events);
	for (size_t k = 0; k < n; k++) {
		json_t *e = json_array_get(events, reverse ? n - 1 - k : k);
		char when[32];
		cli_format_time(cli_jint(e, "received_ms"), when,
				sizeof(when));
		const char *cells[EVENTS_COLS] = {when, cli_jstr(e, "severity"), cli_jstr(e, "device"),
						  cli_jstr(e, "source"), cli_jstr(e, "program"),
						  cli_jstr(e, "message")};
		if (cli_table_add(t, cells) < 0)
			break;
	}
	cli_table_print(ctx, t);
	cli_table_free(t);
}

/* Followed events, one line each (a table would need them all first). */
static void print_plain(const struct cli_ctx *ctx, json_t *events)
{
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e) {
		char when[32];
		cli_format_time(cli_jint(e, "received_ms"), when,
				sizeof(when));
		fprintf(ctx->out, "%s  %s  %s  %s  %s  %s\n", when, cli_jstr(e, "severity"),
			cli_jstr(e, "device"), cli_jstr(e, "source"), cli_jstr(e, "program"),
			cli_jstr(e, "message"));
	}
}

/* The events as JSON lines, oldest first (the API gives newest first unless asked
 * with "after"). */
static void print_lines(const struct cli_ctx *ctx, json_t *events, bool reverse)
{
	size_t n = json_array_size(events);
	for (size_t k = 0; k < n; k++) {
		char *s = json_dumps(json_array_get(events, reverse ? n - 1 - k : k), JSON_COMPACT);
		if (s)
			fprintf(ctx->out, "%s\n", s);
		free(s);
	}
}

/* The cursor "RX.ID" of an event. */
static void cursor_of(json_t *e, char *buf, size_t len)
{
	snprintf(buf, len, "%lld.%lld", (long long)cli_jint(e, "received_ms"),
		 (long long)cli_jint(e, "id"));
}

/* -f: asks for what came after the newest event shown, oldest first, until killed. */
static int follow(const struct cli_ctx *ctx, const struct events_opts *o, char *cursor)
{
	for (;;) {
		json_t *j = fetch(ctx, o, "after", cursor[0] ? cursor : "0.0");
		if (!j)
			return CLI_EXIT_UNKNOWN;
		json_t *events = json_object_get(j, "events");
		size_t n = json_array_size(events);
		if (n) {
			if (o->json)
				print_lines(ctx, events, false);
			else
				print_plain(ctx, events);
			cursor_of(json_array_get(events, n - 1), cursor, 48);
			fflush(ctx->out);
		}
		json_decref(j);
		if (n == 0)
			usleep(FOLLOW_POLL_MS * 1000);
	}
}

int cli_events(const struct cli_ctx *ctx, int argc, char **argv)
{
	struct events_opts o = {0};
	char cursor[48] = "";
	int rc = events_parse(ctx, argc, argv, &o);
	if (rc >= 0)
		return rc;
	json_t *j = fetch(ctx, &o, NULL, NULL);
	if (!j)
		return CLI_EXIT_UNKNOWN;
	json_t *events = json_object_get(j, "events");
	size_t n = json_array_size(events);
	if (o.json && o.follow)
		print_lines(ctx, events, true);
	else if (o.json)
		cli_print_json(ctx, j);
	else if (n == 0 && !o.follow)
		fputs("no events\n", ctx->out);
	else if (n)
		events_table(ctx, events, o.follow);
	if (n)
		cursor_of(json_array_get(events, 0), cursor, sizeof(cursor));
	json_decref(j);
	if (!o.follow)
		return 0;
	fflush(ctx->out);
	return follow(ctx, &o, cursor);
}
