/* The payload mapper: a message of a subscription into values.  Untrusted bytes: every
 * read is bounded by the payload's length, JSON goes through jansson (its own depth
 * limit), and anything unreadable is a reason, never a crash. */
#include "mqtt_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SCALAR_MAX 64 /* bytes of a number, bool or enum payload we read */
#define SEGMENT_MAX 128 /* bytes of one JSON path segment */

bool mqtt_topic_level(const char *topic, int level, char *buf, size_t len)
{
	const char *s = topic;
	for (int i = 1; i < level && s; i++)
		if ((s = strchr(s, '/')))
			s++;
	if (!s || level < 1)
		return false;
	size_t n = strcspn(s, "/");
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

bool mqtt_topic_level_is_plus(const char *filter, int level)
{
	char lv[4];
	return mqtt_topic_level(filter, level, lv, sizeof(lv)) && strcmp(lv, "+") == 0;
}

/* The payload as a trimmed C string, if it is short enough to be one scalar. */
static bool payload_scalar(const void *payload, size_t len, char *buf, size_t buflen)
{
	const char *p = payload;
	while (len && isspace((unsigned char)p[0]))
		p++, len--;
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (len == 0 || len >= buflen || memchr(p, '\0', len))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return true;
}

/* strtod's value of a plain decimal ([+-]digits[.digits], 15 significant digits at
 * most), computed as an integer over a power of ten: both exact in a double, so the one
 * rounding of the division gives what strtod gives (Clinger's fast path).  false for any
 * other form, which strtod reads. */
static bool parse_plain_decimal(const char *s, double *out)
{
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
				       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	bool neg = *s == '-';
	s += *s == '-' || *s == '+';
	uint64_t mant = 0;
	int digits = 0, frac = -1; /* frac: digits after the point, -1 = no point */
	for (; *s; s++) {
		if (*s == '.' && frac < 0 && digits) {
			frac = 0;
		} else if (*s >= '0' && *s <= '9' && digits < 15) {
			mant = mant * 10 + (uint64_t)(*s - '0');
			digits++;
			frac += frac >= 0;
		} else {
			return false;
		}
	}
	if (!digits || frac == 0)
		return false;
	double v = (double)mant / pow10[frac > 0 ? frac : 0];
	*out = neg ? -v : v;
	return true;
}

static bool parse_number(const char *s, double *out)
{
	if (parse_plain_decimal(s, out))
		return true;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, double *out)
{
	static const char *const on[] = {"true", "on", "yes", "1", NULL};
	static const char *const off[] = {"false", "off", "no", "0", NULL};
	for (int i = 0; on[i]; i++) {
		if (!strcasecmp(s, on[i]) || !strcasecmp(s, off[i])) {
			*out = !strcasecmp(s, on[i]);
			return true;
		}
	}
	return false;
}

static bool parse_state(const char *s, const struct cfg_label *st, size_t n, double *out)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(s, st[i].key))
			return parse_number(st[i].value, out);
	return false;
}

enum metric_kind mqtt_sub_kind(const struct cfg_mqtt_sub *sub)
{
	if (sub->format == MQTT_FMT_BOOL || sub->format == MQTT_FMT_ENUM)
		return METRIC_STATE;
	return sub->counter ? METRIC_COUNTER : METRIC_GAUGE;
}

/* The sample time ms when sane, else the arrival time. */
static void sink_time_ms(struct mqtt_sink *sink, int64_t ms)
{
	bool sane = ms >= sink->now_ms - MQTT_TS_PAST_MAX_MS &&
		    ms <= sink->now_ms + MQTT_TS_FUTURE_MAX_MS;
	sink->ts_ms = sane ? ms : sink->now_ms;
}

/* collectd's "TIME:VALUE": TIME is epoch seconds or N (now). */
static bool parse_collectd(char *s, struct mqtt_sink *sink, double *v)
{
	char *colon = strchr(s, ':');
	double t;
	if (!colon)
		return false;
	*colon = '\0';
	if (strcmp(s, "N") != 0 && !parse_number(s, &t))
		return false;
	if (strcmp(s, "N") != 0 && fabs(t) < 1e12)
		sink_time_ms(sink, (int64_t)(t * 1000));
	return parse_number(colon + 1, v);
}

static bool parse_scalar(const struct cfg_mqtt_sub *sub, char *s, struct mqtt_sink *sink,
			 double *v)
{
	switch (sub->format) {
	case MQTT_FMT_NUMBER:
		return parse_number(s, v);
	case MQTT_FMT_BOOL:
		return parse_bool(s, v);
	case MQTT_FMT_COLLECTD:
		return parse_collectd(s, sink, v);
	default:
		return parse_state(s, sub->states, sub->nstates, v);
	}
}

bool mqtt_map_scalar(const struct cfg_mqtt_sub *sub, const void *payload, size_t len,
		     struct mqtt_sink *sink, double *v)
{
	char s[SCALAR_MAX];
	sink->errors = 0;
	sink->ts_ms = sink->now_ms;
	if (!payload_scalar(payload, len, s, sizeof(s)) || !parse_scalar(sub, s, sink, v))
		return false;
	if (mqtt_sub_kind(sub) != METRIC_STATE)
		*v *= sub->scale;
	return true;
}

/* number, bool, enum, collectd: one value for the subscription's metric, of the
 * instance the topic names when instance_level is set. */
static int map_scalar(const struct cfg_mqtt_sub *sub, const char *topic, const void *payload,
		      size_t len, struct mqtt_sink *sink, char *why, size_t whylen)
{
	static const char *const expected[] = {
		[MQTT_FMT_NUMBER] = "a number", [MQTT_FMT_BOOL] = "true/false, on/off, yes/no or 1/0",
		[MQTT_FMT_ENUM] = "one of the states", [MQTT_FMT_COLLECTD] = "TIME:VALUE",
	};
	char inst[METRIC_INST_MAX];
	double v = 0;
	if (!mqtt_map_scalar(sub, payload, len, sink, &v)) {
		snprintf(why, whylen, "payload is not %s", expected[sub->format]);
		return -EINVAL;
	}
	if (sub->instance_level && !mqtt_topic_level(topic, sub->instance_level, inst, sizeof(inst))) {
		snprintf(why, whylen, "no instance at topic level %d", sub->instance_level);
		return -EINVAL;
	}
	struct mqtt_point p = {.metric = sub->metric, .unit = sub->unit, .kind = mqtt_sub_kind(sub),
			       .inst_label = sub->instance_level ? "topic" : NULL,
			       .inst = sub->instance_level ? inst : NULL,
			       .states = sub->states, .nstates = sub->nstates, .value = v};
	sink->point(sink->arg, &p);
	return 0;
}

bool mqtt_json_number(const json_t *v, const struct cfg_label *states, size_t nstates,
		      double *out, char *why, size_t whylen)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		if (isfinite(*out))
			return true;
	} else if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return true;
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (nstates ? parse_state(s, states, nstates, out) :
			      (strlen(s) < SCALAR_MAX && parse_number(s, out)))
			return true;
		snprintf(why, whylen, "'%.32s' is not %s", s, nstates ? "one of the states" :
			 "a number");
		return false;
	}
	snprintf(why, whylen, "%s is not a number",
		 json_is_object(v) ? "an object" : json_is_array(v) ? "an array" :
		 json_is_null(v) ? "null" : "the value");
	return false;
}

json_t *mqtt_json_path(json_t *root, const char *path)
{
	char seg[SEGMENT_MAX];
	json_t *cur = root;
	for (const char *s = path; cur && *s;) {
		size_t n = strcspn(s, ".");
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, s, n);
		seg[n] = '\0';
		char *end;
		unsigned long idx = strtoul(seg, &end, 10);
		if (json_is_array(cur))
			cur = *end || !isdigit((unsigned char)seg[0]) ? NULL : json_array_get(cur, idx);
		else
			cur = json_object_get(cur, seg);
		s += n + (s[n] == '.');
	}
	return cur;
}

/* "2024-05-01T12:00:00[.123][Z|+02:00]"; without a zone, local time (Tasmota). */
static bool parse_iso8601(const char *s, int64_t *ms)
{
	struct tm tm = {0};
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	s += n;
	int64_t frac_ms = 0;
	if (*s == '.') { /* digits only: strtod took "0.2E444", an infinite fraction */
		size_t k = strspn(s + 1, "0123456789");
		if (k == 0)
			return false;
		for (size_t i = 0, scale = 100; i < k && i < 3; i++, scale /= 10)
			frac_ms += (s[1 + i] - '0') * (int64_t)scale;
		s += 1 + k;
	}
	int64_t secs;
	int zh, zm;
	if (*s == '\0') {
		tm.tm_isdst = -1;
		secs = mktime(&tm);
	} else if (!strcmp(s, "Z")) {
		secs = timegm(&tm);
	} else if (sscanf(s, "%3d:%2d", &zh, &zm) == 2 && (s[0] == '+' || s[0] == '-')) {
		secs = timegm(&tm) - (zh * 3600 + (zh < 0 ? -zm : zm) * 60);
	} else {
		return false;
	}
	*ms = secs * 1000 + frac_ms;
	return true;
}

void mqtt_sink_time(struct mqtt_sink *sink, const json_t *t)
{
	int64_t ms = 0;
	double v;
	sink->ts_ms = sink->now_ms;
	if (json_is_number(t) && isfinite(v = json_number_value(t)) && fabs(v) < 1e15)
		ms = v > 1e11 ? (int64_t)v : (int64_t)(v * 1000);
	else if (!json_is_string(t) || !parse_iso8601(json_string_value(t), &ms))
		return;
	sink_time_ms(sink, ms);
}

/* json: each configured value at its path; a missing or unreadable one is that
 * metric's error only. */
static void map_json_values(const struct cfg_mqtt_sub *sub, json_t *root,
			    struct mqtt_sink *sink)
{
	for (size_t i = 0; i < sub->nvalues; i++) {
		const struct cfg_mqtt_value *cv = &sub->values[i];
		char why[MQTT_WHY_MAX] = "";
		struct mqtt_point p = {.metric = cv->metric, .unit = cv->unit,
				       .kind = cv->nstates ? METRIC_STATE :
					       cv->counter ? METRIC_COUNTER : METRIC_GAUGE,
				       .states = cv->states, .nstates = cv->nstates};
		json_t *v = mqtt_json_path(root, cv->path);
		if (!v)
			snprintf(why, sizeof(why), "no value at %.64s", cv->path);
		else if (mqtt_json_number(v, cv->states, cv->nstates, &p.value, why, sizeof(why)))
			p.value *= cv->nstates ? 1 : cv->scale;
		p.error = why[0] ? why : NULL;
		sink->errors += p.error != NULL;
		sink->point(sink->arg, &p);
	}
}

static int map_json(const struct cfg_mqtt_sub *sub, const char *topic, const void *payload,
		    size_t len, struct mqtt_sink *sink, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		snprintf(why, whylen, "payload is not a JSON object%s%.80s", root ? "" : ": ",
			 root ? "" : jerr.text);
		json_decref(root);
		return -EINVAL;
	}
	switch (sub->format) {
	case MQTT_FMT_TASMOTA:
		mqtt_map_tasmota(root, sink);
		break;
	case MQTT_FMT_SHELLY:
		mqtt_map_shelly(root, topic, sink);
		break;
	case MQTT_FMT_Z2M:
		mqtt_map_z2m(root, sink);
		break;
	default:
		mqtt_sink_time(sink, sub->timestamp ? mqtt_json_path(root, sub->timestamp) : NULL);
		map_json_values(sub, root, sink);
	}
	json_decref(root);
	return 0;
}

int mqtt_map_payload(const struct cfg_mqtt_sub *sub, const char *topic, const void *payload,
		     size_t len, struct mqtt_sink *sink, char *why, size_t whylen)
{
	sink->errors = 0;
	sink->ts_ms = sink->now_ms;
	if (sub->format <= MQTT_FMT_COLLECTD)
		return map_scalar(sub, topic, payload, len, sink, why, whylen);
	return map_json(sub, topic, payload, len, sink, why, whylen);
}
