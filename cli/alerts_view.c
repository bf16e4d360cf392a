/* How `dcmon alerts` shows alerts: one table row per alert with the ack and silence
 * reasons, and the exit code of the worst firing severity. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/alert.h"

const char *const cli_alert_headers[CLI_ALERT_COLS] = {
	"ID", "SEVERITY", "STATE", "DEVICE", "METRIC", "VALUE", "SINCE", "ACK/SILENCE",
};

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* "acked by alice: on it; silenced #2: rewiring; flapping", or "". */
static void alert_note(json_t *a, char *buf, size_t len)
{
	json_t *ack = json_object_get(a, "ack"), *sil = json_object_get(a, "silence");
	size_t off = 0;
	buf[0] = '\0';
	if (json_is_object(ack))
		off += (size_t)snprintf(buf, len, "acked by %s%s%s", jstr(ack, "by"),
					jstr(ack, "comment")[0] ? ": " : "", jstr(ack, "comment"));
	if (json_is_object(sil) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%ssilenced #%lld: %s",
					off ? "; " : "",
					(long long)cli_jint(sil, "id"),
					jstr(sil, "reason"));
	if (json_is_string(json_object_get(a, "suppressed_by")) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%ssuppressed by %s", off ? "; " : "",
					jstr(a, "suppressed_by"));
	if (json_is_string(json_object_get(a, "breaks_through")) && off < len) {
		json_t *secs = json_object_get(a, "time_to_impact_s");
		char impact[160];
		alert_impact_text(jstr(a, "breaks_through"),
				  json_is_number(secs) ? json_number_value(secs) : NAN, impact,
				  sizeof(impact));
		off += (size_t)snprintf(buf + off, len - off, "%sbreaks through: %s",
					off ? "; " : "", impact);
	}
	if (json_is_true(json_object_get(a, "flapping")) && off < len)
		snprintf(buf + off, len - off, "%sflapping", off ? "; " : "");
}

static void alert_value(json_t *a, char *buf, size_t len)
{
	json_t *v = json_object_get(a, "value");
	if (!json_is_number(v))
		snprintf(buf, len, "-");
	else
		cli_format_value(json_number_value(v), jstr(a, "unit"), false, buf, len);
}

void cli_alert_row(json_t *a, int64_t now_ms, struct cli_alert_row *row)
{
	json_t *since = json_object_get(a, "since_ms");
	snprintf(row->id, sizeof(row->id), "%lld",
		 (long long)cli_jint(a, "id"));
	snprintf(row->severity, sizeof(row->severity), "%s", jstr(a, "severity"));
	snprintf(row->state, sizeof(row->state), "%s", jstr(a, "state"));
	snprintf(row->device, sizeof(row->device), "%s", jstr(a, "device"));
	snprintf(row->metric, sizeof(row->metric), "%s", jstr(a, "metric"));
	alert_value(a, row->value, sizeof(row->value));
	cli_format_age(json_is_integer(since)
			       ? (double)(now_ms - json_integer_value(since)) / 1000.0
			       : NAN,
		       row->since, sizeof(row->since));
	alert_note(a, row->note, sizeof(row->note));
	const char *cells[CLI_ALERT_COLS] = {row->id,	  row->severity, row->state, row->device,
					     row->metric, row->value,	 row->since, row->note};
	memcpy(row->cells, cells, sizeof(cells));
}

int cli_alerts_exit(json_t *alerts)
{
	int worst = 0;
	size_t i;
	json_t *a;
	json_array_foreach(alerts, i, a) {
		if (strcmp(jstr(a, "state"), "firing") != 0)
			continue;
		const char *sev = jstr(a, "severity");
		int code = strcmp(sev, "critical") == 0 ? 2 : strcmp(sev, "warning") == 0 ? 1 : 0;
		if (code > worst)
			worst = code;
	}
	return worst;
}
