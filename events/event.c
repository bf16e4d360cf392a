/* The event record's names and its JSON form (the API's and `dcmon events --json`). */
#include "events_int.h"

#include <jansson.h>

#include "dcmon/enumtab.h"

const char *const event_kind_names[] = {"syslog", "trap", "alert", "audit", NULL};
const char *const event_severity_names[] = {"emerg", "alert", "crit", "err", "warning",
					    "notice", "info", "debug", NULL};
/* by bit: EVENT_F_PARSE_ERROR is bit 0 */
const char *const event_flag_names[] = {"parse_error", "unknown_source", "truncated", "bad_utf8",
					"suppressed", "fields_cut", NULL};

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *flags_json(unsigned flags)
{
	json_t *a = json_array();
	for (int i = 0; a && event_flag_names[i]; i++)
		if (flags & (1u << i))
			json_array_append_new(a, json_string(event_flag_names[i]));
	return a;
}

static json_t *fields_json(const struct event *ev)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < ev->nfields; i++)
		json_object_set_new(o, ev->fields[i].name, json_string(ev->fields[i].value));
	return o;
}

json_t *event_json(int64_t id, const struct event *ev)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "received_ms", json_integer(ev->received_ms));
	json_object_set_new(o, "reported_ms", ev->reported_ms ? json_integer(ev->reported_ms)
							      : json_null());
	json_object_set_new(o, "kind", json_string(enum_name(event_kind_names, (int)ev->kind)));
	json_object_set_new(o, "source", str_or_null(ev->source));
	json_object_set_new(o, "host", str_or_null(ev->host));
	json_object_set_new(o, "device", str_or_null(ev->device));
	json_object_set_new(o, "tenant", str_or_null(ev->tenant));
	json_object_set_new(o, "site", str_or_null(ev->site));
	json_object_set_new(o, "facility", ev->facility >= 0 ? json_integer(ev->facility)
							     : json_null());
	json_object_set_new(o, "severity", ev->severity >= 0
		? json_string(enum_name(event_severity_names, ev->severity)) : json_null());
	json_object_set_new(o, "program", str_or_null(ev->program));
	json_object_set_new(o, "msgid", str_or_null(ev->msgid));
	json_object_set_new(o, "message", str_or_null(ev->message));
	json_object_set_new(o, "fields", fields_json(ev));
	json_object_set_new(o, "flags", flags_json(ev->flags));
	return o;
}
