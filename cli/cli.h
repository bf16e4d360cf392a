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
int cli_notifications(const struct cli_ctx *ctx, int argc, char **argv);
int cli_test_email(const struct cli_ctx *ctx, int argc, char **argv);

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
/* Display width of UTF-8 text in columns (each code point counts as one). */
size_t cli_text_width(const char *s);
/* The value of a metric's JSON as shown to people: enum name, formatted value with
 * unit, "-" when there is none. */
void cli_format_metric_value(json_t *metric, char *buf, size_t len);

/* ---- status views (cli/status_view.c) -------------------------------------------- */

/* The one-line-per-device table. */
void cli_status_table(const struct cli_ctx *ctx, json_t *devices);
/* Every metric of every device, one block per device. */
void cli_status_details(const struct cli_ctx *ctx, json_t *devices);
/* Worst health of the devices (unknown when there are none). */
enum api_health cli_devices_health(json_t *devices);

#endif
