/* A Nagios plugin's output: the summary line and its perfdata (see plugin.h). */
#include "plugin.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Trims spaces at both ends of s in place; returns the new start. */
static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void plugin_output_split(char *out, struct plugin_output *po)
{
	char *nl = strchr(out, '\n');
	char *rest = NULL;

	if (nl) {
		*nl = '\0';
		rest = nl + 1;
	}
	char *bar = strchr(out, '|');
	po->perf[0] = NULL;
	po->perf[1] = NULL;
	if (bar) {
		*bar = '\0';
		po->perf[0] = trim(bar + 1);
	}
	po->summary = trim(out);
	bar = rest ? strchr(rest, '|') : NULL;
	if (bar)
		po->perf[1] = trim(bar + 1);
}

/* UOMs of the plugin guidelines and what turns them into the base unit. */
static const struct {
	const char *uom;
	enum plugin_unit unit;
	double scale;
} uoms[] = {
    {"", PU_NONE, 1},          {"s", PU_SECONDS, 1},      {"ms", PU_SECONDS, 1e-3},
    {"us", PU_SECONDS, 1e-6},  {"%", PU_PERCENT, 1},      {"B", PU_BYTES, 1},
    {"KB", PU_BYTES, 1024.0},  {"MB", PU_BYTES, 1048576.0}, {"GB", PU_BYTES, 1073741824.0},
    {"TB", PU_BYTES, 1099511627776.0}, {"c", PU_COUNTER, 1},
};

static bool uom_find(const char *uom, enum plugin_unit *unit, double *scale)
{
	for (size_t i = 0; i < sizeof(uoms) / sizeof(uoms[0]); i++) {
		if (strcmp(uoms[i].uom, uom) == 0) {
			*unit = uoms[i].unit;
			*scale = uoms[i].scale;
			return true;
		}
	}
	return false;
}

/* A whole number token; false if empty or trailing garbage. */
static bool parse_number(const char *s, double *v)
{
	char *end;
	if (*s == '\0')
		return false;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v);
}

/* One range end: "" is the default, "~" minus infinity. */
static bool parse_end(const char *s, double dflt, double *v)
{
	if (*s == '\0') {
		*v = dflt;
		return true;
	}
	if (strcmp(s, "~") == 0) {
		*v = -INFINITY;
		return true;
	}
	return parse_number(s, v);
}

/* "10", "10:", "~:10", "10:20", "@10:20"; an empty text leaves the range unset. */
static bool parse_range(char *s, double scale, struct plugin_range *r)
{
	memset(r, 0, sizeof(*r));
	if (*s == '\0')
		return true;
	r->inside = *s == '@';
	s += r->inside;
	char *colon = strchr(s, ':');
	if (colon) {
		*colon = '\0';
		if (!parse_end(s, 0, &r->lo) || !parse_end(colon + 1, INFINITY, &r->hi))
			return false;
	} else {
		r->lo = 0;
		if (!parse_number(s, &r->hi))
			return false;
	}
	r->lo *= scale;
	r->hi *= scale;
	r->set = true;
	return true;
}

static bool range_alerts(const struct plugin_range *r, double v)
{
	if (!r->set || isnan(v))
		return false;
	bool inside = v >= r->lo && v <= r->hi;
	return r->inside ? inside : !inside;
}

int plugin_perf_level(const struct plugin_perf *p)
{
	if (range_alerts(&p->crit, p->value))
		return 2;
	return range_alerts(&p->warn, p->value) ? 1 : 0;
}

/* Splits "value[UOM]" and scales; "U" is an unknown value. */
static bool parse_value(char *s, struct plugin_perf *p, double *scale)
{
	char *u = s;
	if (strcmp(s, "U") == 0) {
		p->value = NAN;
		*scale = 1;
		p->unit = PU_NONE;
		return true;
	}
	while (*u && (isdigit((unsigned char)*u) || strchr("+-.eE", *u)))
		u++;
	if (!uom_find(u, &p->unit, scale))
		return false;
	char num[64];
	size_t n = (size_t)(u - s);
	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n);
	num[n] = '\0';
	if (!parse_number(num, &p->value))
		return false;
	p->value *= *scale;
	return true;
}

/* "value[UOM];warn;crit;min;max" (min and max are not kept). */
static bool parse_fields(char *s, struct plugin_perf *p)
{
	char *field[3] = {s, "", ""};
	double scale;
	for (int i = 1; i < 3; i++) {
		char *semi = strchr(field[i - 1], ';');
		if (semi == NULL)
			break;
		*semi = '\0';
		field[i] = semi + 1;
	}
	char *semi = strchr(field[2], ';');
	if (semi)
		*semi = '\0';
	return parse_value(field[0], p, &scale) && parse_range(field[1], scale, &p->warn) &&
	       parse_range(field[2], scale, &p->crit);
}

/* Reads a label at *s ('quoted' or up to '='), copying it into p; moves *s past '='. */
static bool parse_label(const char **s, struct plugin_perf *p)
{
	const char *r = *s;
	size_t n = 0;
	bool quoted = *r == '\'';

	r += quoted;
	while (*r && (quoted || (*r != '=' && !isspace((unsigned char)*r)))) {
		if (quoted && *r == '\'') {
			if (r[1] != '\'')
				break;
			r++; /* '' is one quote */
		}
		if (n + 1 < sizeof(p->label))
			p->label[n++] = *r;
		r++;
	}
	p->label[n] = '\0';
	if (quoted && *r == '\'')
		r++;
	if (*r != '=' || n == 0)
		return false;
	*s = r + 1;
	return true;
}

size_t plugin_perf_parse(const char *text, void (*fn)(void *arg, const struct plugin_perf *p),
			 void *arg)
{
	size_t bad = 0;
	const char *s = text;

	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		struct plugin_perf p;
		memset(&p, 0, sizeof(p));
		bool ok = parse_label(&s, &p);
		size_t n = strcspn(s, " \t\r\n");
		char tok[128];
		if (ok && n < sizeof(tok)) {
			memcpy(tok, s, n);
			tok[n] = '\0';
			ok = parse_fields(tok, &p);
		} else {
			ok = false;
		}
		if (ok)
			fn(arg, &p);
		else
			bad++;
		s += strcspn(s, " \t\r\n");
	}
	return bad;
}
