/* Arguments of the commands that act on alerts and silences: ids, selector pairs,
 * times and weekdays.  Each error is one line naming the bad argument. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const match_keys[] = {"device", "kind",   "site", "room",
					 "tenant", "metric", "inst", NULL};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
#define LABEL_PREFIX "label."

int cli_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || isspace((unsigned char)*s) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_id(const char *s, long long *id)
{
	return cli_parse_int(s, 1, LLONG_MAX, id);
}

static bool match_key_known(const char *k)
{
	for (size_t i = 0; match_keys[i]; i++)
		if (strcmp(match_keys[i], k) == 0)
			return true;
	return false;
}

/* Sets obj[key] = value unless it is set already. */
static int set_once(json_t *obj, const char *key, const char *value, const char *what,
		    char *err, size_t errlen)
{
	if (json_object_get(obj, key)) {
		snprintf(err, errlen, "selector key '%s%s' given twice", what, key);
		return -EINVAL;
	}
	return json_object_set_new(obj, key, json_string(value)) == 0 ? 0 : -ENOMEM;
}

/* The object body[key], created when missing. */
static json_t *sub_object(json_t *body, const char *key)
{
	json_t *o = json_object_get(body, key);
	if (!o && json_object_set_new(body, key, json_object()) == 0)
		o = json_object_get(body, key);
	return o;
}

int cli_selector_add(json_t *body, const char *pair, char *err, size_t errlen)
{
	const char *eq = strchr(pair, '=');
	char key[64];
	if (!eq || eq == pair || !eq[1] || (size_t)(eq - pair) >= sizeof(key)) {
		snprintf(err, errlen, "bad selector '%s': expected KEY=VALUE like device=ups-*",
			 pair);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(eq - pair), pair);
	const char *value = eq + 1;
	json_t *match = sub_object(body, "match");
	if (!match)
		return -ENOMEM;
	if (strcmp(key, "rule") == 0)
		return set_once(body, key, value, "", err, errlen);
	if (match_key_known(key))
		return set_once(match, key, value, "", err, errlen);
	if (strncmp(key, LABEL_PREFIX, strlen(LABEL_PREFIX)) == 0 && key[strlen(LABEL_PREFIX)]) {
		json_t *labels = sub_object(match, "labels");
		return labels ? set_once(labels, key + strlen(LABEL_PREFIX), value, LABEL_PREFIX,
					 err, errlen)
			      : -ENOMEM;
	}
	snprintf(err, errlen, "unknown selector key '%s' (one of: device, kind, site, room, "
		 "tenant, metric, inst, rule, label.NAME)", key);
	return -EINVAL;
}

/* strptime of the whole of s with fmt into tm (date fields of tm kept otherwise). */
static bool parse_whole(const char *s, const char *fmt, struct tm *tm)
{
	const char *end = strptime(s, fmt, tm);
	return end && *end == '\0';
}

/* Absolute local date and time; 0 or -EINVAL. */
static int parse_datetime(const char *s, struct tm *tm)
{
	static const char *const fmts[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
					   "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm t = {0};
		if (parse_whole(s, fmts[i], &t)) {
			*tm = t;
			return 0;
		}
	}
	return -EINVAL;
}

int cli_parse_time(const char *s, int64_t now_ms, int64_t *ms)
{
	if (s[0] == '@') {
		long long sec;
		if (cli_parse_id(s + 1, &sec) < 0)
			return -EINVAL;
		*ms = sec * 1000;
		return 0;
	}
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm;
	bool clock_only = false;
	if (parse_datetime(s, &tm) < 0) {
		if (!localtime_r(&now, &tm))
			return -EINVAL;
		tm.tm_sec = 0;
		if (!parse_whole(s, "%H:%M", &tm))
			return -EINVAL;
		clock_only = true;
	}
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (clock_only && t != (time_t)-1 && t <= now) { /* already past today: tomorrow */
		tm.tm_mday++;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t == (time_t)-1)
		return -EINVAL;
	*ms = (int64_t)t * 1000;
	return 0;
}

/* Index of a day name, or -1. */
static int day_index(const char *s, size_t len)
{
	for (int d = 0; d < 7; d++)
		if (len == 3 && strncmp(s, day_names[d], 3) == 0)
			return d;
	return -1;
}

json_t *cli_days_parse(const char *s, char *err, size_t errlen)
{
	unsigned seen = 0;
	json_t *a = json_array();
	for (const char *p = s; a && *p;) {
		size_t len = strcspn(p, ",");
		int d = day_index(p, len);
		if (d < 0 || (seen & (1u << d))) {
			snprintf(err, errlen, "bad --every '%s': %s", s,
				 d < 0 ? "expected days like sun,sat (sun mon tue wed thu fri sat)"
				       : "a day is given twice");
			json_decref(a);
			return NULL;
		}
		seen |= 1u << d;
		json_array_append_new(a, json_string(day_names[d]));
		p += len + (p[len] == ',');
	}
	if (a && !seen) {
		snprintf(err, errlen, "bad --every '%s': expected days like sun,sat", s);
		json_decref(a);
		return NULL;
	}
	return a;
}
