/* Values for people: numbers with a few significant digits, units made humane, times. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Drops trailing zeros after a decimal point ("23.50" -> "23.5", "100.0" -> "100"). */
static void trim_zeros(char *s)
{
	if (!strchr(s, '.') || strchr(s, 'e'))
		return;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
}

void cli_format_number(double v, char *buf, size_t len)
{
	double a = fabs(v);
	if (!isfinite(v))
		snprintf(buf, len, "%s", isnan(v) ? "-" : v > 0 ? "inf" : "-inf");
	else if (a == 0)
		snprintf(buf, len, "0");
	else if (a >= 99.95)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 9.995)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 0.01)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.2g", v);
	trim_zeros(buf);
}

/* A unit scale: values at or above `min` (in the base unit) are shown divided by
 * `div` with `symbol`. */
struct unit_step {
	double min;
	double div;
	const char *symbol;
};

static const struct unit_step seconds_steps[] = {
	{0, 0.001, "ms"}, {1, 1, "s"}, {120, 60, "min"}, {7200, 3600, "h"},
	{172800, 86400, "d"}, {0, 0, NULL},
};
static const struct unit_step bytes_steps[] = {
	{0, 1, "B"}, {1024, 1024, "KiB"}, {1048576, 1048576, "MiB"},
	{1073741824.0, 1073741824.0, "GiB"}, {1099511627776.0, 1099511627776.0, "TiB"},
	{1125899906842624.0, 1125899906842624.0, "PiB"}, {0, 0, NULL},
};

/* Units shown with a fixed symbol. */
static const struct {
	const char *unit;
	const char *symbol; /* written after the number */
	bool space;         /* a space between number and symbol */
} unit_symbols[] = {
	{"percent", "%", false},      {"celsius", "°C", true},     {"volts", "V", true},
	{"amperes", "A", true},       {"watts", "W", true},        {"hertz", "Hz", true},
	{"volt_amperes", "VA", true}, {"watt_hours", "Wh", true},  {"kilowatts", "kW", true},
	{"kilowatt_hours", "kWh", true}, {"kilovolt_amperes", "kVA", true},
	{"pascals", "Pa", true},      {"bars", "bar", true},       {"liters", "L", true},
	{"liters_per_hour", "L/h", true}, {"rpm", "rpm", true},    {"hours", "h", true},
	{"minutes", "min", true},     {"meters", "m", true},       {"dbm", "dBm", true},
	{"cubic_meters_per_hour", "m³/h", true}, {"ratio", "", false},
};

/* Scales v by the last step whose minimum it reaches. */
static void format_scaled(double v, const struct unit_step *steps, const char *suffix,
			  char *buf, size_t len)
{
	const struct unit_step *s = &steps[0];
	for (const struct unit_step *p = steps + 1; p->symbol; p++)
		if (fabs(v) >= p->min)
			s = p;
	char num[32];
	cli_format_number(v / s->div, num, sizeof(num));
	snprintf(buf, len, "%s %s%s", num, s->symbol, suffix);
}

void cli_format_value(double v, const char *unit, bool per_second, char *buf, size_t len)
{
	const char *ps = per_second ? "/s" : "";
	char num[32];
	if (!isfinite(v) || !unit)
		unit = "";
	if (isfinite(v) && strcmp(unit, "seconds") == 0 && !per_second) {
		format_scaled(v, seconds_steps, "", buf, len);
		return;
	}
	if (isfinite(v) && strcmp(unit, "bytes") == 0) {
		format_scaled(v, bytes_steps, ps, buf, len);
		return;
	}
	cli_format_number(v, num, sizeof(num));
	for (size_t i = 0; i < sizeof(unit_symbols) / sizeof(unit_symbols[0]); i++) {
		if (strcmp(unit, unit_symbols[i].unit) != 0)
			continue;
		snprintf(buf, len, "%s%s%s%s", num, unit_symbols[i].space ? " " : "",
			 unit_symbols[i].symbol, ps);
		return;
	}
	if (unit[0])
		snprintf(buf, len, "%s %s%s", num, unit, ps);
	else
		snprintf(buf, len, "%s%s", num, per_second && isfinite(v) ? "/s" : "");
}

void cli_format_age(double age_s, char *buf, size_t len)
{
	if (!isfinite(age_s) || age_s < 0)
		snprintf(buf, len, "-");
	else if (age_s < 60)
		snprintf(buf, len, "%.0fs", floor(age_s));
	else if (age_s < 3600)
		snprintf(buf, len, "%.0fm", floor(age_s / 60));
	else if (age_s < 86400)
		snprintf(buf, len, "%.0fh", floor(age_s / 3600));
	else
		snprintf(buf, len, "%.0fd", floor(age_s / 86400));
}

void cli_short_name(const char *name, const char *unit, char *buf, size_t len)
{
	size_t n = strlen(name), u = unit ? strlen(unit) : 0;
	if (u > 0 && n > u + 1 && name[n - u - 1] == '_' && strcmp(name + n - u, unit) == 0)
		n -= u + 1;
	snprintf(buf, len, "%.*s", (int)n, name);
}

size_t cli_text_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		w += (*p & 0xC0) != 0x80;
	return w;
}

void cli_format_metric_value(json_t *m, char *buf, size_t len)
{
	json_t *v = json_object_get(m, "value");
	const char *name = json_string_value(json_object_get(m, "value_name"));
	const char *kind = json_string_value(json_object_get(m, "kind"));
	if (name)
		snprintf(buf, len, "%s", name);
	else if (!json_is_number(v))
		snprintf(buf, len, "-");
	else if (kind && strcmp(kind, "state") == 0)
		cli_format_number(json_number_value(v), buf, len);
	else
		cli_format_value(json_number_value(v),
				 json_string_value(json_object_get(m, "unit")),
				 kind && strcmp(kind, "counter") == 0, buf, len);
}

void cli_format_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "-");
}

const char *cli_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

json_int_t cli_jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

const char *cli_jint_text(json_t *o, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%" JSON_INTEGER_FORMAT, cli_jint(o, key));
	return buf;
}
