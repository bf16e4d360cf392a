/* An availability report as plain text and as a self-contained HTML page, both made
 * from the report's JSON (dcmon/avail_report.h), so that every format shows the same
 * figures. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/avail_report.h"

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* "1d 2h 3m 4s", "-4m 1s", "0s" */
static void human(double seconds, char *buf, size_t len)
{
	long long s = llround(fabs(seconds));
	int n = snprintf(buf, len, "%s", seconds < 0 && s ? "-" : "");
	if (s >= 86400)
		n += snprintf(buf + n, len - (size_t)n, "%lldd ", s / 86400);
	if (s >= 3600)
		n += snprintf(buf + n, len - (size_t)n, "%lldh ", s / 3600 % 24);
	if (s >= 60)
		n += snprintf(buf + n, len - (size_t)n, "%lldm ", s / 60 % 60);
	snprintf(buf + n, len - (size_t)n, "%llds", s % 60);
}

/* The budget used and left of figures f, as human durations. */
struct budget_text {
	char used[48], left[48];
};

static struct budget_text budget_text(const json_t *f)
{
	struct budget_text t;
	human(num(f, "used_s"), t.used, sizeof(t.used));
	human(num(f, "left_s"), t.left, sizeof(t.left));
	return t;
}

static const char *heading(const json_t *rep, char *buf, size_t len)
{
	const char *tenant = str(rep, "tenant"), *site = str(rep, "site");
	if (tenant[0])
		snprintf(buf, len, "tenant %s", tenant);
	else if (site[0])
		snprintf(buf, len, "site %s", site);
	else
		snprintf(buf, len, "all tenants and the shared infrastructure (NOC)");
	return buf;
}

/* ---- text -------------------------------------------------------------------------- */

typedef void (*row_fn)(struct strbuf *b, const char *name, const json_t *f, bool check);

/* One row per object of the array, and one per check of each when checks. */
static void rows(struct strbuf *b, const json_t *arr, bool checks, row_fn row)
{
	size_t i, k;
	json_t *o, *c;
	json_array_foreach (arr, i, o) {
		row(b, str(o, "name"), o, false);
		json_array_foreach (checks ? json_object_get(o, "checks") : NULL, k, c)
			row(b, str(c, "object"), c, true);
	}
}

static void text_row(struct strbuf *b, const char *name, const json_t *f, bool check)
{
	struct budget_text t = budget_text(f);
	strbuf_appendf(b, "  %-40s %9.4f %%  unplanned %8.0f s  planned %8.0f s  unknown %8.0f s"
			  "  degraded %8.0f s  budget used %s, left %s\n",
		       name, 100 * num(f, "availability"), num(f, "unplanned_s"),
		       num(f, "planned_s"), num(f, "unknown_s"), num(f, "degraded_s"), t.used,
		       t.left);
	(void)check;
}

static void text_section(struct strbuf *b, const json_t *rep, const char *key,
			 const char *title, bool checks)
{
	const json_t *arr = json_object_get(rep, key);
	if (!json_array_size(arr))
		return;
	strbuf_appendf(b, "\n%s\n", title);
	rows(b, arr, checks, text_row);
}

static void text_outages(struct strbuf *b, const json_t *rep)
{
	const json_t *arr = json_object_get(rep, "outages");
	size_t i, k;
	json_t *o, *v;
	strbuf_appendf(b, "\nOutage log (%zu incidents)\n", json_array_size(arr));
	json_array_foreach (arr, i, o) {
		char dur[48];
		human(num(o, "duration_s"), dur, sizeof(dur));
		strbuf_appendf(b, "  %s .. %s  %s (%.0f s in the period)  root cause: %s\n",
			       str(o, "start"), str(o, "end"), dur, num(o, "in_period_s"),
			       str(o, "root"));
		strbuf_appends(b, "    affected:");
		json_array_foreach (json_object_get(o, "affected"), k, v)
			strbuf_appendf(b, " %s", json_string_value(v));
		strbuf_appends(b, "\n");
		json_array_foreach (json_object_get(o, "notes"), k, v)
			strbuf_appendf(b, "    note %s by %s: %s\n", str(v, "time"), str(v, "by"),
				       str(v, "text"));
	}
}

int avail_report_text(const json_t *rep, struct strbuf *b)
{
	const json_t *pol = json_object_get(rep, "policy");
	char who[160];
	strbuf_appendf(b, "Availability report %s (%s .. %s)\nFor %s\n", str(rep, "period"),
		       str(rep, "from"), str(rep, "to"), heading(rep, who, sizeof(who)));
	strbuf_appendf(b, "Policy: %s; target %.4f %%\n", str(pol, "statement"),
		       100 * num(pol, "target"));
	strbuf_appends(b, "\nSummary\n");
	text_row(b, "everything in this report", json_object_get(rep, "summary"), false);
	text_section(b, rep, "tenants", "Tenants", false);
	text_section(b, rep, "sites", "Sites", false);
	text_section(b, rep, "subsystems", "Facility subsystems", false);
	text_section(b, rep, "devices", "Devices and their service checks", true);
	text_outages(b, rep);
	return strbuf_str(b) ? 0 : -ENOMEM;
}

/* ---- HTML -------------------------------------------------------------------------- */

static void html_text(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': strbuf_appends(b, "&lt;"); break;
		case '>': strbuf_appends(b, "&gt;"); break;
		case '&': strbuf_appends(b, "&amp;"); break;
		case '"': strbuf_appends(b, "&quot;"); break;
		case '\'': strbuf_appends(b, "&#39;"); break;
		default: strbuf_append(b, s, 1);
		}
	}
}

static void html_row(struct strbuf *b, const char *name, const json_t *f, bool check)
{
	struct budget_text t = budget_text(f);
	strbuf_appendf(b, "<tr class=\"%s%s\"><td>", check ? "check" : "group",
		       num(f, "left_s") < 0 ? " missed" : "");
	html_text(b, name);
	strbuf_appendf(b, "</td><td class=\"avail\">%.4f %%</td><td>%.0f</td><td>%.0f</td>"
			  "<td>%.0f</td><td class=\"degraded\">%.0f</td><td>%s</td><td>%s</td></tr>\n",
		       100 * num(f, "availability"), num(f, "unplanned_s"), num(f, "planned_s"),
		       num(f, "unknown_s"), num(f, "degraded_s"), t.used, t.left);
}

static void html_section(struct strbuf *b, const json_t *rep, const char *key,
			 const char *title, bool checks)
{
	const json_t *arr = json_object_get(rep, key);
	if (!json_array_size(arr))
		return;
	strbuf_appendf(b, "<h2>%s</h2>\n<table id=\"%s\"><thead><tr><th>name</th>"
			  "<th>availability</th><th>unplanned (s)</th><th>planned (s)</th>"
			  "<th>unknown (s)</th><th>degraded, up (s)</th><th>budget used</th>"
			  "<th>budget left</th></tr>"
			  "</thead><tbody>\n",
		       title, key);
	rows(b, arr, checks, html_row);
	strbuf_appends(b, "</tbody></table>\n");
}

/* The incident's graphs (avail_report_graphs) as one row of inline PNGs. */
static void html_graphs(struct strbuf *b, const json_t *graphs)
{
	size_t k;
	json_t *g;
	if (!json_array_size(graphs))
		return;
	strbuf_appends(b, "<tr class=\"graphs\"><td colspan=\"6\">");
	json_array_foreach (graphs, k, g) {
		strbuf_appends(b, "<img class=\"graph\" alt=\"");
		html_text(b, str(g, "object"));
		if (json_object_get(g, "cid")) /* a mail's inline image */
			strbuf_appendf(b, " around the incident\" src=\"cid:%s\">", str(g, "cid"));
		else
			strbuf_appendf(b, " around the incident\" src=\"data:image/png;base64,%s\">",
				       str(g, "png"));
	}
	strbuf_appends(b, "</td></tr>\n");
}

static void html_outage(struct strbuf *b, const json_t *o)
{
	size_t k;
	json_t *v;
	char dur[48];
	human(num(o, "duration_s"), dur, sizeof(dur));
	strbuf_appendf(b, "<tr class=\"incident\"><td>%s</td><td>%s</td><td>%s</td><td>",
		       str(o, "start"), str(o, "end"), dur);
	html_text(b, str(o, "root"));
	strbuf_appends(b, "</td><td><ul>");
	json_array_foreach (json_object_get(o, "affected"), k, v) {
		strbuf_appends(b, "<li>");
		html_text(b, json_string_value(v));
		strbuf_appends(b, "</li>");
	}
	strbuf_appends(b, "</ul></td><td>");
	json_array_foreach (json_object_get(o, "notes"), k, v) {
		strbuf_appendf(b, "<p class=\"note\">%s ", str(v, "time"));
		html_text(b, str(v, "by"));
		strbuf_appends(b, ": ");
		html_text(b, str(v, "text"));
		strbuf_appends(b, "</p>");
	}
	strbuf_appends(b, "</td></tr>\n");
	html_graphs(b, json_object_get(o, "graphs"));
}

static const char html_style[] =
	"body{font-family:sans-serif;margin:2em;color:#222}"
	"table{border-collapse:collapse;margin-bottom:1.5em;font-size:90%}"
	"td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}"
	"tr.check td:first-child{padding-left:2em;color:#555}"
	"tr.missed td.avail{color:#b00;font-weight:bold}"
	"td ul{margin:0;padding-left:1.2em}"
	"img.graph{max-width:100%;height:auto;display:block;margin:.3em 0}"
	/* a phone: tighter margins and cells, long names wrap */
	"@media (max-width:600px){body{margin:.4em}td,th{padding:.1em .2em;"
	"overflow-wrap:anywhere}table{font-size:75%}}";

int avail_report_html(const json_t *rep, struct strbuf *b)
{
	const json_t *pol = json_object_get(rep, "policy");
	char who[160];
	size_t i;
	json_t *o;

	strbuf_appends(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			  "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	strbuf_appendf(b, "Availability %s</title><style>%s</style></head><body>\n",
		       str(rep, "period"), html_style);
	strbuf_appendf(b, "<h1>Availability report %s</h1>\n<p id=\"span\">%s .. %s</p>\n<p "
			  "id=\"scope\">For ",
		       str(rep, "period"), str(rep, "from"), str(rep, "to"));
	html_text(b, heading(rep, who, sizeof(who)));
	strbuf_appendf(b, "</p>\n<p id=\"policy\">Policy: %s; target %.4f %%</p>\n",
		       str(pol, "statement"), 100 * num(pol, "target"));
	strbuf_appends(b, "<h2>Summary</h2>\n<table id=\"summary\"><tbody>");
	html_row(b, "everything in this report", json_object_get(rep, "summary"), false);
	strbuf_appends(b, "</tbody></table>\n");
	html_section(b, rep, "tenants", "Tenants", false);
	html_section(b, rep, "sites", "Sites", false);
	html_section(b, rep, "subsystems", "Facility subsystems", false);
	html_section(b, rep, "devices", "Devices and their service checks", true);
	strbuf_appendf(b, "<h2>Outage log</h2>\n<table id=\"outages\"><thead><tr><th>start</th>"
			  "<th>end</th><th>duration</th><th>root cause</th><th>affected</th>"
			  "<th>notes</th></tr></thead><tbody>\n");
	json_array_foreach (json_object_get(rep, "outages"), i, o)
		html_outage(b, o);
	strbuf_appends(b, "</tbody></table>\n</body></html>\n");
	return strbuf_str(b) ? 0 : -ENOMEM;
}
