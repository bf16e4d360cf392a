/* SNMP device profiles and OIDs: what a profile file says (its points, tables, filters,
 * enums, sysObjectID prefixes and default rules) and the loader that reads and checks
 * it with file:line:col errors.  Public for the programs that read the shipped profiles
 * exactly as the pollers do (the facility simulator answers with them).
 *
 * Threads: loading is any thread; the shared cache (snmp_profile_get, _match, _all,
 * _put) is the loop thread's only.
 */
#ifndef DCMON_SNMP_PROFILE_H
#define DCMON_SNMP_PROFILE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"

#define SNMP_OID_MAX    64    /* sub-identifiers of an OID we accept */

/* ---- OIDs (snmp_oid.c) ------------------------------------------------------------ */

struct snmp_oid {
	oid v[SNMP_OID_MAX];
	size_t len; /* 0 = unset */
};

/* Parses numeric dotted notation ("1.3.6.1.2.1.1.3.0", leading dot allowed) of at
 * least min_len sub-identifiers.  0 or -EINVAL. */
int snmp_oid_parse_n(const char *s, struct snmp_oid *o, size_t min_len);
/* Same with min_len 2 (a full OID). */
int snmp_oid_parse(const char *s, struct snmp_oid *o);
/* Writes dotted notation of v[0..len) into buf (truncated to blen). */
void snmp_oid_format(const oid *v, size_t len, char *buf, size_t blen);
/* True if v[0..len) starts with prefix and is longer than it. */
bool snmp_oid_under(const oid *v, size_t len, const struct snmp_oid *prefix);
/* o = a followed by suffix[0..slen); -ENAMETOOLONG if too long. */
int snmp_oid_join(struct snmp_oid *o, const struct snmp_oid *a, const oid *suffix, size_t slen);
bool snmp_oid_eq(const struct snmp_oid *a, const struct snmp_oid *b);

/* ---- profiles (snmp_profile.c, snmp_profiles.c) ----------------------------------- */

enum snmp_agg {
	SNMP_AGG_NONE, SNMP_AGG_SUM, SNMP_AGG_AVG, SNMP_AGG_MIN, SNMP_AGG_MAX, SNMP_AGG_COUNT,
	SNMP_AGG_PRESENCE,
};

/* A test on one column of a row (or of a value): keep the row if it holds. */
struct snmp_filter {
	struct snmp_oid col;  /* column (table) or object (scalar) compared */
	char **values;        /* value texts: a decimal number, a dotted OID or a string */
	size_t nvalues;
	bool negate;          /* not_equals */
	char *match;          /* `match:` POSIX extended regex source, NULL if none */
	bool has_re;
	regex_t re;           /* compiled match */
};

/* How a table point finds and names its rows. */
struct snmp_table {
	struct snmp_oid entry;   /* the table entry (a point's column without its last arc) */
	char *index_label;       /* instance label ("line", "mount"); NULL = rows aggregated */
	struct snmp_oid label_col; /* column naming the row; unset = the index itself */
	struct snmp_filter *filters;
	size_t nfilters;
	bool walk_always;        /* rows come and go (alarms, processes): walk every poll */
	int refresh_polls;       /* polls between index re-walks of a cached table */
	int max_rows;            /* rows walked before the table is truncated (an error) */
	/* an object the agent answers only when it implements the table (upsAlarmsPresent
	 * for upsAlarmTable): noSuch* there means "not supported", not "no rows"; unset =
	 * none */
	struct snmp_oid requires;
	struct snmp_oid label_fallback; /* names a row whose label_col is empty; unset = none */
	/* `attach_to`: the metric of a table point whose rows this table's rows belong to,
	 * their index beginning with that row's (entSensorThresholdTable, indexed by
	 * entPhysicalIndex and a threshold index, under entSensorValueTable): a row takes
	 * that row's instance; NULL = none */
	char *attach_to;
	struct cfg_pos attach_pos;
	int parent;              /* the table of that point, -1 = none */
};

struct snmp_oid_enum {
	struct snmp_oid oid;
	char *name;
};

struct snmp_point {
	char *metric;            /* metric name */
	char *unit;              /* "" if none */
	char *description;
	enum metric_kind kind;
	struct snmp_oid oid;     /* scalar object (instance appended) or table column */
	struct snmp_oid instance; /* scalar instance suffix, default "0" */
	int table;               /* index in profile tables, -1 = scalar */
	double scale;            /* multiplies the raw value, default 1 */
	double offset;           /* added after scaling, default 0 */
	double min, max;         /* valid range of the scaled value; NAN = open */
	double *invalid;         /* raw sentinel values meaning "not available" */
	size_t ninvalid;
	struct metric_enum *enums; /* STATE names */
	size_t nenums;
	struct snmp_oid_enum *oid_enums; /* PRESENCE: OID values -> instance names */
	size_t noid_enums;
	enum snmp_agg aggregate;
	bool match_processes;    /* COUNT instances = the device's configured process names */
	struct snmp_oid sub;     /* value -= this object first (same row for tables) */
	struct snmp_oid mul;     /* value *= this object (same row for tables); unset = none */
	struct snmp_oid div;     /* value /= this object */
	struct snmp_oid exp10;   /* value /= 10^this object (decimal digits) */
	/* RFC 3433 fixed point: the sensor row's scale and precision columns
	 * (entPhySensorScale/Precision, or a vendor table's of the same layout); of the
	 * row it is attached to for an attached table */
	bool entity_scale;
	struct snmp_oid ent_scale, ent_prec;
	bool has_valid_if;
	struct snmp_filter valid_if; /* the point is an error unless this holds */
	double otherwise;        /* with valid_if: the value when it does not hold; NAN = none */
	bool required;           /* its failure degrades the device even if it never answered */
	int headline;            /* place of its metric in the profile's `headline:` (1..), 0 */
	struct cfg_pos pos;
};

struct snmp_profile {
	char *name;
	char *path;
	char *description;
	int kind;                /* enum dev_kind, -1 if not given */
	struct snmp_oid *sysoids; /* sysObjectID prefixes selecting this profile */
	size_t nsysoids;
	struct snmp_oid *probes; /* objects (with instance) whose answer shows the profile
				  * fits an agent, whatever its sysObjectID (`probe_oid`) */
	size_t nprobes;
	/* A device's several profiles ("ups-rfc1628+host-resources"): the parts, one
	 * reference each, whose points and tables this one lists in order (borrowed, not
	 * owned); NULL for a profile read from a file. */
	struct snmp_profile **parts;
	size_t nparts;
	struct snmp_point *points;
	size_t npoints;
	struct snmp_table *tables;
	size_t ntables;
	char **headline;         /* metrics `dcmon status` shows first, in order */
	size_t nheadline;
	struct cfgnode *root;    /* the parsed file, kept for `rules` */
	const struct cfgnode *rules; /* default rules subtree (alerting decodes it), may be NULL */
	int refs;                /* cache references */
};

/* Parses and validates a profile file.  NULL after reporting positioned errors. */
struct snmp_profile *snmp_profile_load(const char *path, struct cfg_diags *d);
void snmp_profile_free(struct snmp_profile *p);

/* Shared, reference-counted profiles of a directory (loop thread only). */
struct snmp_profile *snmp_profile_get(const char *dir, const char *name, struct cfg_diags *d);
/* The profile of dir whose sys_object_id prefix matches sysoid longest, or NULL. */
struct snmp_profile *snmp_profile_match(const char *dir, const oid *sysoid, size_t len);
/* Every SNMP profile of dir, each with a reference (give them back with
 * snmp_profiles_put_all); sorted by name.  *n = 0 when none or on error. */
struct snmp_profile **snmp_profiles_all(const char *dir, size_t *n);
void snmp_profiles_put_all(struct snmp_profile **v, size_t n);
/* A profile made of the n profiles v (references taken over, also on failure), named
 * "a+b"; v[0] itself when n == 1; NULL when out of memory. */
struct snmp_profile *snmp_profile_combine(struct snmp_profile **v, size_t n);

void snmp_profile_put(struct snmp_profile *p);
/* Directory of profiles for a config: daemon.profiles_dir or <config dir>/profiles. */
void snmp_profiles_dir(const struct cfg *cfg, char *buf, size_t len);

#endif
