/* The two views of `dcmon status`: a table of one line per device, and a detailed
 * block per device listing every metric. */
#include "cli.h"

#include <math.h>
#include <string.h>

#define VALUES_MIN 24   /* columns kept for key values even on narrow terminals */
#define METRIC_COL_MAX 40 /* columns of the METRIC column in the detailed view */
#define ITEM_MAX 192    /* bytes of one "name value" item */

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static double jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static enum api_health dev_health(json_t *dev)
{
	enum api_health h;
	return api_health_parse(jstr(dev, "health"), &h) == 0 ? h : API_HEALTH_UNKNOWN;
}

enum api_health cli_devices_health(json_t *devices)
{
	if (json_array_size(devices) == 0)
		return API_HEALTH_UNKNOWN;
	enum api_health worst = API_HEALTH_OK;
	size_t i;
	json_t *d;
	json_array_foreach(devices, i, d)
		worst = api_health_worst(worst, dev_health(d));
	return worst;
}

/* The HEALTH cell: a 4-letter code padded to `width`, coloured on terminals. */
static void put_health(const struct cli_ctx *ctx, enum api_health h, int width)
{
	static const char *const code[] = {"OK", "WARN", "CRIT", "UNKN"};
	static const char *const color[] = {"\033[32m", "\033[33m", "\033[1;31m", "\033[35m"};
	unsigned i = (unsigned)h <= API_HEALTH_UNKNOWN ? (unsigned)h : API_HEALTH_UNKNOWN;
	if (ctx->color)
		fprintf(ctx->out, "%s%-*s\033[0m", color[i], width, code[i]);
	else
		fprintf(ctx->out, "%-*s", width, code[i]);
}

/* Writes s left-aligned in a column `w` wide (by display width). */
static void put_cell(FILE *f, const char *s, size_t w)
{
	size_t n = cli_text_width(s);
	fputs(s, f);
	for (; n < w; n++)
		fputc(' ', f);
}

/* "fs_used[/var] 45%", "ups_status on_battery", "battery_charge ERR". */
static void metric_item(json_t *m, char *buf, size_t len)
{
	char name[96], inst[80] = "", value[64];
	bool state = strcmp(jstr(m, "kind"), "state") == 0; /* "ups_source_state" -> "ups_source" */
	cli_short_name(jstr(m, "name"), state ? "state" : jstr(m, "unit"), name, sizeof(name));
	if (json_is_string(json_object_get(m, "inst")))
		snprintf(inst, sizeof(inst), "[%s]", jstr(m, "inst"));
	const char *q = jstr(m, "quality");
	if (strcmp(q, "error") == 0)
		snprintf(value, sizeof(value), "ERR");
	else
		cli_format_metric_value(m, value, sizeof(value));
	snprintf(buf, len, "%s%s %s%s", name, inst, value,
		 strcmp(q, "stale") == 0 ? " (stale)" : "");
}

/* Appends item to the cell if it fits in `avail` columns. */
static bool cell_append(char *cell, size_t len, const char *item, size_t avail)
{
	size_t w = cli_text_width(cell), sep = w ? 2 : 0;
	if (w + sep + cli_text_width(item) > avail || strlen(cell) + sep + strlen(item) >= len)
		return false;
	/* fits: checked above, so plain copies cannot truncate */
	size_t o = strlen(cell);
	if (sep) {
		memcpy(cell + o, ", ", 2);
		o += 2;
	}
	memcpy(cell + o, item, strlen(item) + 1);
	return true;
}

/* Highest `headline` rank among a device's metrics (0 when its profiles name none). */
static int headline_max(json_t *metrics)
{
	int max = 0;
	size_t i;
	json_t *m;
	json_array_foreach(metrics, i, m) {
		double h = jnum(m, "headline");
		if (h > max)
			max = (int)h;
	}
	return max;
}

/* Appends the metrics of one group (headline rank `rank`, or when rank is 0 the other
 * metrics with or without an instance) while they fit; counts the rest in *left. */
static void values_group(json_t *metrics, int rank, bool with_inst, size_t avail, char *cell,
			 size_t len, size_t *left)
{
	char item[ITEM_MAX];
	size_t i;
	json_t *m;
	json_array_foreach(metrics, i, m) {
		double h = jnum(m, "headline");
		int r = isfinite(h) ? (int)h : 0;
		if (r != rank || strcmp(jstr(m, "quality"), "unknown") == 0 ||
		    (rank == 0 && json_is_string(json_object_get(m, "inst")) != with_inst))
			continue;
		metric_item(m, item, sizeof(item));
		/* after the first that does not fit, none: a less important one must not
		 * take the place of a more important one */
		if (*left || !cell_append(cell, len, item, avail > 6 ? avail - 6 : 0))
			(*left)++;
	}
}

/* Key values of a device within `avail` columns: the reason it is not ok, then the
 * headline metrics its profiles name (UPS: source, load, charge, runtime), then metrics
 * without an instance, then rows of tables, each if it fits; "+N" for the others. */
static void values_cell(json_t *dev, size_t avail, char *cell, size_t len)
{
	char item[ITEM_MAX];
	size_t left = 0;
	json_t *metrics = json_object_get(dev, "metrics");
	cell[0] = '\0';
	if (dev_health(dev) != API_HEALTH_OK && jstr(dev, "health_reason")[0]) {
		snprintf(item, sizeof(item), "[%s]", jstr(dev, "health_reason"));
		cell_append(cell, len, item, avail);
	}
	for (int rank = 1, max = headline_max(metrics); rank <= max; rank++)
		values_group(metrics, rank, false, avail, cell, len, &left);
	values_group(metrics, 0, false, avail, cell, len, &left);
	values_group(metrics, 0, true, avail, cell, len, &left);
	if (left > 0)
		snprintf(cell + strlen(cell), len - strlen(cell), "%s+%zu", cell[0] ? ", " : "",
			 left);
}

/* Widest value of a string field, at least the header's width. */
static size_t col_width(json_t *devices, const char *key, const char *header)
{
	size_t w = strlen(header), i;
	json_t *d;
	json_array_foreach(devices, i, d) {
		size_t n = cli_text_width(jstr(d, key));
		if (n > w)
			w = n;
	}
	return w;
}

void cli_status_table(const struct cli_ctx *ctx, json_t *devices)
{
	size_t wdev = col_width(devices, "id", "DEVICE");
	size_t wkind = col_width(devices, "kind", "KIND");
	size_t wstate = col_width(devices, "state", "STATE");
	size_t used = wdev + wkind + wstate + 6 + 4 + 5 * 2; /* HEALTH, AGE, separators */
	size_t avail = (size_t)ctx->width > used + VALUES_MIN ? (size_t)ctx->width - used
							      : VALUES_MIN;
	fprintf(ctx->out, "%-*s  %-*s  %-*s  %-6s  %4s  %s\n", (int)wdev, "DEVICE", (int)wkind,
		"KIND", (int)wstate, "STATE", "HEALTH", "AGE", "VALUES");
	size_t i;
	json_t *d;
	json_array_foreach(devices, i, d) {
		char age[16], cell[1024];
		cli_format_age(jnum(d, "data_age_s"), age, sizeof(age));
		values_cell(d, avail, cell, sizeof(cell));
		put_cell(ctx->out, jstr(d, "id"), wdev + 2);
		put_cell(ctx->out, jstr(d, "kind"), wkind + 2);
		put_cell(ctx->out, jstr(d, "state"), wstate + 2);
		put_health(ctx, dev_health(d), 6);
		fprintf(ctx->out, "  %4s  %s\n", age, cell);
	}
}

/* "tokyo-1 / hall-1 / row-a / a01", or "-". */
static void location_text(json_t *loc, char *buf, size_t len)
{
	static const char *const parts[] = {"site", "room", "row", "rack"};
	buf[0] = '\0';
	for (size_t i = 0; i < 4; i++) {
		const char *p = jstr(loc, parts[i]);
		if (p[0])
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " / " : "", p);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* The lines about the device itself (location, tenant, host, polling, reason). */
static void details_head(const struct cli_ctx *ctx, json_t *d)
{
	char loc[256], age[16], every[32], took[32];
	FILE *f = ctx->out;
	fprintf(f, "%s (%s)  state %s  health ", jstr(d, "id"), jstr(d, "kind"), jstr(d, "state"));
	put_health(ctx, dev_health(d), 0);
	fputc('\n', f);
	location_text(json_object_get(d, "location"), loc, sizeof(loc));
	fprintf(f, "  location  %s\n", loc);
	if (jstr(d, "tenant")[0])
		fprintf(f, "  tenant    %s\n", jstr(d, "tenant"));
	if (jstr(d, "host")[0])
		fprintf(f, "  host      %s\n", jstr(d, "host"));
	cli_format_age(jnum(d, "last_poll_age_s"), age, sizeof(age));
	cli_format_value(jnum(d, "interval_ms") / 1000, "seconds", false, every, sizeof(every));
	cli_format_value(jnum(d, "last_duration_ms") / 1000, "seconds", false, took, sizeof(took));
	if (jnum(d, "last_poll_ms") > 0)
		fprintf(f, "  polled    %s ago, every %s, took %s, %.0f failures in a row\n", age,
			every, took, jnum(d, "failures"));
	else
		fprintf(f, "  polled    never (every %s)\n", every);
	if (jstr(d, "health_reason")[0])
		fprintf(f, "  reason    %s\n", jstr(d, "health_reason"));
}

/* "fs_used_percent[/var]" */
static void metric_label(json_t *m, char *buf, size_t len)
{
	if (json_is_string(json_object_get(m, "inst")))
		snprintf(buf, len, "%s[%s]", jstr(m, "name"), jstr(m, "inst"));
	else
		snprintf(buf, len, "%s", jstr(m, "name"));
}

static void details_metrics(const struct cli_ctx *ctx, json_t *metrics)
{
	size_t w = strlen("METRIC"), i;
	json_t *m;
	char label[256], value[64], age[16];
	json_array_foreach(metrics, i, m) {
		metric_label(m, label, sizeof(label));
		size_t n = cli_text_width(label);
		w = n > w ? (n > METRIC_COL_MAX ? METRIC_COL_MAX : n) : w;
	}
	fprintf(ctx->out, "  %-*s  %-14s  %-7s  %4s  %s\n", (int)w, "METRIC", "VALUE", "QUALITY",
		"AGE", "REASON");
	json_array_foreach(metrics, i, m) {
		metric_label(m, label, sizeof(label));
		cli_format_metric_value(m, value, sizeof(value));
		cli_format_age(jnum(m, "age_s"), age, sizeof(age));
		fputs("  ", ctx->out);
		put_cell(ctx->out, label, w + 2);
		put_cell(ctx->out, value, 16);
		fprintf(ctx->out, "%-7s  %4s", jstr(m, "quality"), age);
		if (jstr(m, "reason")[0])
			fprintf(ctx->out, "  %s", jstr(m, "reason"));
		fputc('\n', ctx->out);
	}
}

void cli_status_details(const struct cli_ctx *ctx, json_t *devices)
{
	size_t i;
	json_t *d;
	json_array_foreach(devices, i, d) {
		if (i > 0)
			fputc('\n', ctx->out);
		details_head(ctx, d);
		json_t *metrics = json_object_get(d, "metrics");
		if (json_array_size(metrics) > 0)
			details_metrics(ctx, metrics);
		else
			fputs("  no metrics yet\n", ctx->out);
	}
}
