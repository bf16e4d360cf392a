/* Configuration: the model of a monitored site, loaded from YAML.
 *
 * cfg_load() parses a file into a new, immutable `struct cfg`; reload builds a new one
 * and swaps it in only if it is valid.  Every error carries file:line:column.
 * Durations are stored in milliseconds; "unset" is kept distinct from zero
 * (CFG_UNSET for integers/durations, NAN for doubles, NULL for strings and sections).
 */
#ifndef DCMON_CONFIG_H
#define DCMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dcmon/log.h"

#define CFG_UNSET INT64_MIN
#define CFG_PART_SECTIONS_MAX 16 /* the parts' own sections of daemon: (CFG_PART_SECTION) */
#define CFG_DEVICE_SECTIONS_MAX 8 /* the parts' own sections of a device (CFG_PART_SECTION) */
#define CFG_DEVICE_LISTS_MAX 8    /* the parts' own check lists of a device's checks: */
#define CFG_DEVICE_VALUES_MAX 8   /* the parts' own values of a device or its checks: */


/* Where a config item came from, for messages. */
struct cfg_pos {
	const char *file; /* points into struct cfg's file list; never freed separately */
	int line;         /* 1-based */
	int col;          /* 1-based */
};

/* ---- diagnostics -------------------------------------------------------------- */

struct cfg_diag {
	struct cfg_pos pos;
	bool warning; /* false = error */
	char *msg;    /* "expected a duration like 10s, 500ms, 2m" */
};

struct strpool;

struct cfg_diags {
	struct cfg_diag *v;
	size_t n, cap;
	size_t nerrors;
	struct strpool *files; /* file names that positions point to (core/strpool.h) */
};

void cfg_diags_init(struct cfg_diags *d);
void cfg_diags_free(struct cfg_diags *d);
/* Prints each as "file:line:col: error: msg" (or "warning:"). */
void cfg_diags_print(const struct cfg_diags *d, FILE *out);

/* ---- the model ---------------------------------------------------------------- */

enum dev_kind {
	DEV_SERVER, DEV_UPS, DEV_GENERATOR, DEV_COOLING, DEV_FIRE, DEV_PDU, DEV_ENV,
	DEV_LEAK, DEV_ATS, DEV_UTILITY, DEV_RACK, DEV_SWITCH, DEV_OTHER,
	DEV_KIND_COUNT
};
const char *dev_kind_name(enum dev_kind k);
/* Returns 0 and sets *out, or -EINVAL. */
int dev_kind_parse(const char *s, enum dev_kind *out);
extern const char *const cfg_dev_kind_names[]; /* NULL-terminated, by value (enumtab.h) */

struct cfg_location {
	char *site; /* ids of cfg_site / cfg_room; NULL if unset */
	char *room;
	char *row;
	char *rack;
};

struct cfg_rack {
	char *id;
	char *row;    /* may be NULL */
	char *tenant; /* owning tenant id, may be NULL */
	struct cfg_pos pos;
};

struct cfg_room {
	char *id;
	char *name;
	struct cfg_rack *racks;
	size_t nracks;
	struct cfg_pos pos;
};

struct cfg_site {
	char *id;
	char *name;
	struct cfg_room *rooms;
	size_t nrooms;
	struct cfg_pos pos;
};

struct cfg_contact { /* a tenant or a team: who gets alerts */
	char *id;
	char *name;
	char **email;     /* validated addresses */
	size_t nemail;
	char *timezone;   /* a tenant's zone ("Asia/Tokyo"), NULL: the site's (dcmond's) */
	struct cfg_pos pos;
};

struct cfg_label {
	char *key;
	char *value;
};

/* A part's own list of checks in a device's `checks:` (CFG_PART_SECTION in its
 * check_keys): n items of the part's type. */
struct cfg_part_list {
	void *v;
	size_t n;
};

/* A part's own value of a device or its `checks:` (CFG_PART_SECTION on a key of a
 * scalar type: an enum, a number, a flag, a string), which the key's decoder writes at
 * the start of its slot as it would into a field of that type; zero when absent. */
union cfg_part_value {
	int i;       /* CFGK_INT, CFGK_ENUM */
	int64_t i64; /* CFGK_INT64, CFGK_DURATION */
	double d;    /* CFGK_DOUBLE */
	bool b;      /* CFGK_BOOL */
	char *s;     /* CFGK_STRING */
};

/* `groups:`: an N+1 redundancy group (UPS modules, generators, cooling units). */
struct cfg_group {
	char *id;           /* unique among devices and groups; usable in fed_by */
	char **members;     /* device ids */
	size_t nmembers;
	int need;           /* members that must work (N); default nmembers - 1, min 1 */
	struct cfg_pos pos;
};

struct cfg_device {
	char *id;           /* [A-Za-z0-9_.-]+, unique */
	enum dev_kind kind;
	char *host;         /* address or name the checks and transports poll; may be NULL */
	char *profile;      /* profile name, may be NULL */
	char *tenant;       /* tenant id, may be NULL */
	char *description;
	struct cfg_location loc;
	char **fed_by;      /* device ids this one depends on (power/cooling chain) */
	size_t nfed_by;
	struct cfg_label *labels;
	size_t nlabels;
	int64_t interval_ms; /* resolved: device value or daemon default */
	bool interval_set;   /* `interval:` was in the device (not the daemon's default) */
	int64_t timeout_ms;  /* resolved: device value or daemon default */
	/* The transport sections, checks and check lists that parts keep as their own
	 * (dcmon/part.h, CFG_PART_SECTION in device_keys and check_keys), opaque to the
	 * kernel: the part reads them with cfg_device_section, cfg_device_list and
	 * cfg_device_value (NULL / 0 when absent). */
	void *part_sections[CFG_DEVICE_SECTIONS_MAX];
	struct cfg_part_list part_lists[CFG_DEVICE_LISTS_MAX];
	union cfg_part_value part_values[CFG_DEVICE_VALUES_MAX];

	struct cfg_pos pos;
};

/* Rules and routes are stored now and evaluated by alerting/. */
struct cfg_selector {
	char *device;  /* glob */
	char *kind;    /* device kind name */
	char *site;
	char *room;
	char *tenant;
	char *metric;  /* glob on metric name */
	char *inst;    /* glob on instance */
	struct cfg_label *labels;
	size_t nlabels;
};

enum cfg_rule_type { RULE_ABOVE, RULE_BELOW, RULE_STATE, RULE_RATE, RULE_NODATA, RULE_ANOMALY };
/* ANOMALY: which side of the baseline's band fires (same order as enum baseline_dir). */
enum cfg_anomaly_dir { ANOMALY_BOTH, ANOMALY_UP, ANOMALY_DOWN };
enum cfg_severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };
const char *cfg_severity_name(enum cfg_severity s);
/* The key of a rule's condition: "above", "below", "state", ... */
const char *cfg_rule_condition_name(enum cfg_rule_type t);
extern const char *const cfg_severity_names[]; /* NULL-terminated, by value (enumtab.h) */

struct cfg_rule {
	char *name;                 /* unique; generated "rule-<line>" when absent */
	struct cfg_selector match;
	enum cfg_rule_type type;
	double warn, crit;          /* ABOVE/BELOW/RATE levels; NAN if unset */
	double clear_warn, clear_crit; /* hysteresis: level at which it clears; NAN = same as level */
	/* ABOVE/BELOW: metrics of the same device and instance whose value is the level
	 * (a sensor's own threshold); warn/crit when they have none.  NULL = none */
	char *warn_from, *crit_from;
	int64_t for_ms;             /* how long the condition must hold; 0 = at once */
	char **states;              /* STATE: names (or numbers) that fire */
	size_t nstates;
	enum cfg_severity severity; /* STATE/NODATA severity */
	int64_t window_ms;          /* RATE: window; per-second rate compared with levels */
	double rate_per_s;          /* RATE: unit of the levels in per-second (e.g. 1/3600 for %/h) */
	int nodata_intervals;       /* NODATA: silent intervals before firing */
	double deviation;           /* ANOMALY: band half-width in standard deviations */
	double margin;              /* ANOMALY: least band half-width, in the metric's unit */
	enum cfg_anomaly_dir direction; /* ANOMALY: which side fires */
	int64_t learn_ms;           /* ANOMALY: history needed before it judges (learning) */
	char *summary;              /* human text, may be NULL */
	/* It shortens the time to impact of its device's suppression cause (a UPS's runtime
	 * low while the utility is out): firing critical, it is not held by that suppression
	 * but notified on its own, naming the cause (docs/FACILITY.md, "Breaking through"). */
	bool breaks_through;
	char *time_to_impact;       /* metric of the same device (NAME_seconds) telling when the
				     * load goes dark; NULL if none; only with breaks_through */
	struct cfg_pos pos;
};

struct cfg_route {
	char *name;
	struct cfg_selector match;
	enum cfg_severity min_severity;
	char **email;               /* explicit addresses */
	size_t nemail;
	char **teams;               /* team ids */
	size_t nteams;
	bool tenant_contacts;       /* also send to the matched alert's tenant addresses */
	int64_t group_wait_ms;      /* grouping window */
	int64_t repeat_ms;          /* reminder interval; 0 = none */
	int64_t escalate_after_ms;  /* 0 = none */
	char *escalate_to;          /* route name, may be NULL */
	bool send_resolved;
	struct cfg_pos pos;
};

struct cfg_daemon {
	char *data_dir;        /* RRD files: <data_dir>/<device>/<metric key>.rrd */
	char *state_dir;       /* SQLite state; default data_dir */
	char *socket_path;     /* API Unix socket */
	char *socket_group;    /* group allowed to use the socket, may be NULL */
	char *user;            /* user to run as when started as root; NULL = "dcmon" if it
				* exists (else root stays, loudly); see dcmon/daemon_priv.h */
	char *rrdcached;       /* "unix:/path" or "host:port", may be NULL */
	char *profiles_dir;    /* default: <dir of config>/profiles */
	enum log_level log_level;
	int64_t interval_ms;   /* default poll interval, default 10 s */
	int64_t timeout_ms;    /* default poll timeout, default 2 s */
	int64_t archive_flush_ms; /* max delay of a batched RRD write, default 1 s */
	int archive_queue_max;    /* values held in memory before the oldest are dropped
				   * (values); 0 = the archive's default (2,000,000) */
	int max_backoff_factor;   /* backoff cap as a multiple of the interval, default 8 */
	int max_series_per_device; /* metrics (series, RRD files) a device may have, default
				    * 4096; more are refused (dcmon/metric.h) */
	int plugin_concurrency;    /* plugin checks running at once, all devices, default 16 */
	/* The sections of `daemon:` that parts keep as their own (dcmon/part.h,
	 * CFG_PART_SECTION: snmp_trap:, http:, smtp:, mqtt:, syslog:, events:, accounts:,
	 * tenant_layer:, reports:), opaque to the kernel: read with cfg_part_section
	 * (each part's accessor, e.g. http_cfg_of). */
	void *part_sections[CFG_PART_SECTIONS_MAX];
};

/* The offset of a part's key whose value the kernel keeps in a slot instead of a field
 * of its own: a `daemon:` section (CFGK_SECTION) in one of cfg_daemon.part_sections;
 * a device's or its `checks:` key by its type, a section in one of
 * cfg_device.part_sections, a list (CFGK_SEQ) in one of cfg_device.part_lists, a value
 * (a scalar type) in one of cfg_device.part_values. */
#define CFG_PART_SECTION ((size_t)-1)

/* The part's section `name` of dm (a CFG_PART_SECTION key), or NULL when the config
 * has none. */
const void *cfg_part_section(const struct cfg_daemon *dm, const char *name);
/* The slot of dm holding the part's section `name`, NULL for no such key: for the
 * part's daemon_resolve, which may give an absent section defaults. */
void **cfg_part_slot(struct cfg_daemon *dm, const char *name);
/* The same for a device's sections: the part's section `name` of dev, or NULL when the
 * device has none; its slot, NULL for no such key (a device built by hand). */
const void *cfg_device_section(const struct cfg_device *dev, const char *name);
void **cfg_device_slot(struct cfg_device *dev, const char *name);
/* The part's check list `name` of dev: its items, n of them (NULL and 0 when none);
 * its slot, NULL for no such key. */
const void *cfg_device_list(const struct cfg_device *dev, const char *name, size_t *n);
struct cfg_part_list *cfg_device_list_slot(struct cfg_device *dev, const char *name);
/* The part's value `name` of dev (zero when absent), NULL for no such key; its slot. */
const union cfg_part_value *cfg_device_value(const struct cfg_device *dev, const char *name);
union cfg_part_value *cfg_device_value_slot(struct cfg_device *dev, const char *name);

struct cfg_index;

struct cfg {
	char *path;
	struct cfg_daemon daemon;
	struct cfg_site *sites;
	size_t nsites;
	struct cfg_contact *tenants;
	size_t ntenants;
	struct cfg_contact *teams;
	size_t nteams;
	struct cfg_device *devices;
	size_t ndevices;
	struct cfg_rule *rules;
	size_t nrules;
	struct cfg_route *routes;
	size_t nroutes;
	struct cfg_group *groups;  /* `groups:` redundancy groups */
	size_t ngroups;
	struct cfg_index *device_index; /* device ids sorted (cfg_load); NULL in a built cfg */
	struct cfg_diags diags; /* owns the file names positions point to; warnings kept */
	unsigned holds; /* cfg_hold()s not yet given back by cfg_free() */
};

/* Parses and validates `path`.  Returns a new cfg, or NULL if there was any error;
 * every error and warning is appended to `diags` (which the caller owns and frees). */
struct cfg *cfg_load(const char *path, struct cfg_diags *diags);
/* Frees cfg, or gives back one cfg_hold() of it. */
void cfg_free(struct cfg *cfg);
/* Keeps cfg alive past a reload for work that reads it on a worker (an availability
 * report): the cfg_free() that drops it then only gives the hold back, and the holder's
 * own cfg_free() frees it.  Holds and frees are on one thread (the loop's). */
struct cfg *cfg_hold(const struct cfg *cfg);

/* One item of a second layer over the file (the tenants', docs/PORTAL.md): a YAML map
 * appended to the file's sequence `section` ("devices", "rules", or a dotted path into
 * maps the file has: "daemon.syslog.rules") before anything is decoded, so that the
 * same keys, checks and cross references apply to it; `name` is its file in positions
 * and messages ("tenant:acme/device/web1"). */
struct cfg_layer_item {
	const char *section;
	const char *name;
	const char *yaml;
};
/* cfg_load() with items[0..n) appended as above (not when the file's root is not a map:
 * its own error says why). */
struct cfg *cfg_load_layered(const char *path, const struct cfg_layer_item *items, size_t n,
			     struct cfg_diags *diags);

const struct cfg_device *cfg_device_find(const struct cfg *cfg, const char *id);
/* True if the device has something to poll: a check or a transport section (a rack or
 * a feed without one only has the state the facility derives for it). */
bool cfg_device_polls(const struct cfg_device *dev);
/* The redundancy group `id`, or NULL. */
const struct cfg_group *cfg_group_find(const struct cfg *cfg, const char *id);
const struct cfg_contact *cfg_tenant_find(const struct cfg *cfg, const char *id);
/* The configured rack a device sits in (its location's site, room and rack), or NULL. */
const struct cfg_rack *cfg_device_rack(const struct cfg *cfg, const struct cfg_device *dev);
/* True if two device configs would poll the same way (reload keeps the state). */
bool cfg_device_same(const struct cfg_device *a, const struct cfg_device *b);

/* Parses "500ms", "10s", "2m", "1h", "1d" (and combinations like "1h30m") into ms.
 * Returns 0 or -EINVAL. */
int cfg_parse_duration(const char *s, int64_t *ms);

#endif
