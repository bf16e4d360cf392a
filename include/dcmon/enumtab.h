/* The names of an enum, kept in one table from which its name, its parse, its config key
 * (CFGK_ENUM) and the "expected one of" list of its errors all come.
 *
 * A table is a NULL-terminated array of names indexed by value, for enums numbered
 * from 0 without holes:
 *
 *     const char *const metric_kind_names[] = {
 *         [METRIC_GAUGE] = "gauge", [METRIC_COUNTER] = "counter",
 *         [METRIC_STATE] = "state", NULL,
 *     };
 *
 * Tables are constant; every function here is pure and may run on any thread. */
#ifndef DCMON_ENUMTAB_H
#define DCMON_ENUMTAB_H

#include <stddef.h>

/* The name of value v, or "?" when v is outside the table. */
const char *enum_name(const char *const *names, int v);
/* The value named exactly s (case-sensitive) into *out: 0, or -EINVAL when s is NULL or
 * names no value (then *out is untouched). */
int enum_parse(const char *const *names, const char *s, int *out);
/* The same, ignoring ASCII case (config values, log levels). */
int enum_parse_nocase(const char *const *names, const char *s, int *out);
/* Writes the names as "a, b, c" into buf (truncated to len, always terminated); returns
 * buf, for the "expected one of ..." of an error. */
char *enum_list(const char *const *names, char *buf, size_t len);

#endif
