/* Private header of the `dcmon` command: the subcommand table, the API client and the
 * formatting helpers.  A subcommand is one row in cli/commands.c plus one file.
 *
 * Exit codes follow monitoring tools: 0 ok, 1 warning, 2 critical, 3 unknown (also for
 * usage errors and an unreachable daemon); they equal enum api_health.
 */
#ifndef DCMON_CLI_H
#define DCMON_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dcmon/api.h"

#define CLI_EXIT_UNKNOWN ((int)API_HEALTH_UNKNOWN)
#define CLI_DEFAULT_SOCKET "/run/dcmon/dcmon.sock"
#define CLI_TIMEOUT_MS 10000   /* default deadline of one API request */
#define CLI_WIDTH 100          /* table width when stdout is not a terminal */

/* What every subcommand gets. */
struct cli_ctx {
	const char *socket_path;
	int64_t timeout_ms; /* deadline of one API request */
	bool color;         /* stdout is a terminal and NO_COLOR is unset */
	int width;          /* columns available for tables */
	bool cut;           /* cut tables' last column to width (stdout is a terminal) */
	FILE *out;          /* normally stdout */
	FILE *err;          /* normally stderr */
};

struct cli_cmd {
	const char *name;    /* "status" */
	/* argv[0] is the subcommand name; returns the exit code. */
	int (*run)(const struct cli_ctx *ctx, int argc, char **argv);
	const char *usage;   /* options after the name: "[--site ID] [--json]" */
	const char *summary; /* one line for `dcmon --help` */
};

extern const struct cli_cmd cli_cmds[];
extern const size_t cli_ncmds;
const struct cli_cmd *cli_cmd_find(const char *name);

/* Subcommands (one file each). */
int cli_status(const struct cli_ctx *ctx, int argc, char **argv);
int cli_alerts(const struct cli_ctx *ctx, int argc, char **argv);
int cli_ack(const struct cli_ctx *ctx, int argc, char **argv);
int cli_silence(const struct cli_ctx *ctx, int argc, char **argv);
int cli_silences(const struct cli_ctx *ctx, int argc, char **argv);
int cli_maintenance(const struct cli_ctx *ctx, int argc, char **argv);
int cli_sites(const struct cli_ctx *ctx, int argc, char **argv); /* cli/sites.c */
/* At a hub: sends site a command of kind (ack, silence, unsilence, test_mode) with
 * target (0: none) and body (NULL: none; not taken), through POST
 * /api/v1/sites/SITE/commands; prints "sent WHAT to site SITE (command N; ...)" or,
 * with json, the command.  0 or the exit code of the call. */
int cli_site_command(const struct cli_ctx *ctx, const char *site, const char *kind,
		     long long target, json_t *body, bool json, const char *what);
/* At a hub: the state of federated site (reachable or not, its link age and open
 * alerts, or the API's JSON); the exit code `dcmon status` gives (3 unreachable, else
 * the worst open alert), or -1 when dcmond is not a hub or knows no such site. */
int cli_site_status(const struct cli_ctx *ctx, const char *site, bool json);
int cli_unsilence(const struct cli_ctx *ctx, int argc, char **argv);
int cli_audit(const struct cli_ctx *ctx, int argc, char **argv);
/* cli/audit_file.c: `dcmon audit export` and `dcmon audit verify --file F`. */
int cli_audit_export(const struct cli_ctx *ctx, int argc, char **argv);
int cli_audit_verify_file(const struct cli_ctx *ctx, const char *path);
int cli_events(const struct cli_ctx *ctx, int argc, char **argv);  /* cli/events.c */
int cli_impact(const struct cli_ctx *ctx, int argc, char **argv);    /* cli/facility.c */
int cli_test_mode(const struct cli_ctx *ctx, int argc, char **argv); /* cli/facility.c */
int cli_notifications(const struct cli_ctx *ctx, int argc, char **argv);
int cli_test_email(const struct cli_ctx *ctx, int argc, char **argv);
int cli_recipients(const struct cli_ctx *ctx, int argc, char **argv);
int cli_user(const struct cli_ctx *ctx, int argc, char **argv);
int cli_config(const struct cli_ctx *ctx, int argc, char **argv); /* cli/config.c */
int cli_passwd(const struct cli_ctx *ctx, int argc, char **argv);
int cli_report(const struct cli_ctx *ctx, int argc, char **argv); /* cli/report.c */

/* Exit code of commands that act (ack, silence, unsilence): dcmond refused the request
 * (its message is shown).  Usage errors and an unreachable dcmond are CLI_EXIT_UNKNOWN. */
#define CLI_EXIT_REFUSED 1
int cli_probe(const struct cli_ctx *ctx, int argc, char **argv);
int cli_discover(const struct cli_ctx *ctx, int argc, char **argv); /* cli/discover.c */

/* ---- client (cli/client.c) ------------------------------------------------------- */

struct cli_reply {
	int status;   /* HTTP status */
	char *body;   /* malloc'd, NUL terminated */
	size_t body_len;
};

#define CLI_REPLY_MAX (64 * 1024 * 1024) /* bytes of a response we accept */

/* Sends one request (body may be NULL) to the daemon and reads the whole reply.
 * Returns 0, or a negative errno with a one-line reason in err (e.g. "cannot reach
 * dcmond at PATH: connection refused (is dcmond running?)"). */
int cli_request(const struct cli_ctx *ctx, const char *method, const char *target,
		const char *body, struct cli_reply *r, char *err, size_t errlen);
void cli_reply_free(struct cli_reply *r);

/* Sends method target with body (JSON, may be NULL) and parses the JSON reply.
 * Returns 0 with *out set on a 2xx answer.  Otherwise prints one line "dcmon: ..." to
 * ctx->err (the API's {"error"} message when there is one) and returns the exit code:
 * CLI_EXIT_REFUSED when dcmond answered with an error, CLI_EXIT_UNKNOWN when it could
 * not be reached or its reply was unreadable. */
int cli_call_json(const struct cli_ctx *ctx, const char *method, const char *target,
		  json_t *body, json_t **out);

/* GET target and parse the JSON reply.  On any failure prints one line "dcmon: ..." to
 * ctx->err (the API's {"error"} message for 4xx/5xx) and returns NULL. */
json_t *cli_get_json(const struct cli_ctx *ctx, const char *target);

/* Appends "&name=value" (or "?name=value" first) with value percent-encoded to the
 * target being built in buf; returns 0 or -ENAMETOOLONG. */
int cli_query_add(char *buf, size_t len, const char *name, const char *value);

/* ---- formatting (cli/format.c) --------------------------------------------------- */

/* A number with about three significant digits and no trailing zeros ("0.05", "23.5",
 * "100", "1234"). */
void cli_format_number(double v, char *buf, size_t len);
/* A value in its unit, made humane: seconds as ms/s/min/h/d, bytes as KiB/MiB/GiB,
 * percent as "%", celsius as "°C"; per_second appends "/s" (counter rates). */
void cli_format_value(double v, const char *unit, bool per_second, char *buf, size_t len);
/* An age in seconds as "3s", "5m", "2h", "3d"; "-" when negative or NaN. */
void cli_format_age(double age_s, char *buf, size_t len);
/* The metric name without its unit suffix ("ping_rtt_avg_seconds" -> "ping_rtt_avg"). */
void cli_short_name(const char *name, const char *unit, char *buf, size_t len);
/* Wall-clock ms as local time "2026-01-02 15:04:05"; "-" for 0. */
void cli_format_time(int64_t ms, char *buf, size_t len);
/* Display width of UTF-8 text in columns (each code point counts as one). */
size_t cli_text_width(const char *s);
/* The value of a metric's JSON as shown to people: enum name, formatted value with
 * unit, "-" when there is none. */
void cli_format_metric_value(json_t *metric, char *buf, size_t len);

/* Prints j indented to ctx->out (the --json output of every command). */
void cli_print_json(const struct cli_ctx *ctx, json_t *j);

/* ---- tables (cli/table.c) ------------------------------------------------------------ */

#define CLI_TABLE_COLS 10 /* columns of a table at most */

/* Rows of text cells printed with aligned columns.  With ctx->cut the last column is cut
 * to what is left of ctx->width (at least CLI_TABLE_LAST_MIN columns); otherwise (a pipe,
 * a file) lines are whole, so reasons are never lost. */
#define CLI_TABLE_LAST_MIN 20
struct cli_table;
/* A table with ncols (<= CLI_TABLE_COLS) headers; NULL when out of memory. */
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* Appends a row of ncols cells (copied; NULL = "-").  Returns 0 or -ENOMEM (also for a
 * NULL table, so that callers check once). */
int cli_table_add(struct cli_table *t, const char *const *cells);
/* Prints the table; a NULL one (out of memory) is one line on ctx->err. */
void cli_table_print(const struct cli_ctx *ctx, const struct cli_table *t);
void cli_table_free(struct cli_table *t);

/* ---- alerts, silences, audit (cli/alerts_view.c, cli/args.c) ---------------------- */

/* The cells of one alert in the `dcmon alerts` table: ID SEVERITY STATE DEVICE METRIC
 * VALUE SINCE ACK/SILENCE. */
#define CLI_ALERT_COLS 8
struct cli_alert_row {
	char id[24], severity[16], state[24], device[128], metric[192], value[64], since[16];
	char note[640];                     /* "acked by alice: on it; silenced #2: rewiring" */
	const char *cells[CLI_ALERT_COLS];  /* point into the fields above */
};
extern const char *const cli_alert_headers[CLI_ALERT_COLS];
/* Fills row from an alert's JSON (GET /api/v1/alerts) at wall time now_ms (for SINCE). */
void cli_alert_row(json_t *alert, int64_t now_ms, struct cli_alert_row *row);
/* Exit code of `dcmon alerts`: the worst severity of the firing alerts in the list
 * (0 none or info, 1 warning, 2 critical). */
int cli_alerts_exit(json_t *alerts);

/* A decimal integer argument within [min, max] ("7", "-3"), nothing else around it;
 * 0 or -EINVAL. */
int cli_parse_int(const char *s, long long min, long long max, long long *out);
/* A positive decimal id ("7"); 0 or -EINVAL. */
int cli_parse_id(const char *s, long long *id);
/* The string member key of o, or "-" when absent or not a string. */
const char *cli_jstr(json_t *o, const char *key);
/* The integer member key of o, 0 when absent or not an integer. */
json_int_t cli_jint(json_t *o, const char *key);
/* cli_jint's value in decimal into buf, which is returned (a table's cell). */
const char *cli_jint_text(json_t *o, const char *key, char *buf, size_t len);

/* Adds one selector pair "key=value" of `dcmon silence` to the request body: device,
 * kind, site, room, tenant, metric, inst and label.NAME go to body.match, rule to
 * body.rule.  Returns 0 or -EINVAL with a one-line reason in err. */
int cli_selector_add(json_t *body, const char *pair, char *err, size_t errlen);
/* Parses a time for --until: "2026-01-02 15:04[:05]", "2026-01-02T15:04[:05]",
 * "15:04" (today, or tomorrow when already past at now_ms) in local time, or "@UNIX"
 * seconds.  Returns 0 with *ms set, or -EINVAL. */
int cli_parse_time(const char *s, int64_t now_ms, int64_t *ms);
/* --since/--until: a duration back from now (1h, 7d) or a time as cli_parse_time, into
 * out as decimal ms since 1970.  0 or -1. */
int cli_time_arg(const char *s, char *out, size_t len);
/* "sun,sat" -> ["sun", "sat"] (names checked, each once).  NULL with err filled. */
json_t *cli_days_parse(const char *s, char *err, size_t errlen);

/* ---- status views (cli/status_view.c) -------------------------------------------- */

/* The one-line-per-device table. */
void cli_status_table(const struct cli_ctx *ctx, json_t *devices);
/* Every metric of every device, one block per device. */
void cli_status_details(const struct cli_ctx *ctx, json_t *devices);
/* Worst health of the devices (unknown when there are none). */
enum api_health cli_devices_health(json_t *devices);

#endif
