/* `rules:`: a selector and one condition (above, below, state, rate, nodata, anomaly). */
#include "config_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/metric.h"

#define RULE(f) offsetof(struct cfg_rule, f)

static const struct cfg_key selector_keys[] = {CFG_SELECTOR_KEYS(0), {.name = NULL}};

/* Conditions decode into the rule itself (offsets relative to struct cfg_rule). */
static const struct cfg_key level_keys[] = {
    {.name = "warn", .type = CFGK_DOUBLE, .offset = RULE(warn)},
    {.name = "crit", .type = CFGK_DOUBLE, .offset = RULE(crit)},
    {.name = "clear_warn", .type = CFGK_DOUBLE, .offset = RULE(clear_warn)},
    {.name = "clear_crit", .type = CFGK_DOUBLE, .offset = RULE(clear_crit)},
    {.name = "warn_from", .type = CFGK_STRING, .offset = RULE(warn_from)},
    {.name = "crit_from", .type = CFGK_STRING, .offset = RULE(crit_from)},
    {.name = NULL},
};

static const struct cfg_key state_keys[] = {
    {.name = "values",
     .type = CFGK_STRLIST,
     .offset = RULE(states),
     .count_offset = RULE(nstates),
     .required = true,
     .expect = "a list of state names or numbers"},
    {.name = "severity", .type = CFGK_ENUM, .offset = RULE(severity), .names = cfg_severity_names},
    {.name = NULL},
};

/* The unit of rate levels: per second, minute or hour. */
static int decode_per(const struct cfgnode *node, void *field, struct cfg_diags *d, void *ctx)
{
	static const struct {
		const char *name;
		double per_s;
	} units[] = {{"s", 1.0}, {"min", 1.0 / 60}, {"h", 1.0 / 3600}};
	for (size_t i = 0; node->type == CFGNODE_SCALAR && i < 3; i++) {
		if (strcmp(node->scalar, units[i].name) == 0) {
			*(double *)field = units[i].per_s;
			return 0;
		}
	}
	cfg_error(d, &node->pos, "per: expected one of s, min, h");
	return -EINVAL;
}

static bool same_double(const void *a, const void *b)
{
	return *(const double *)a == *(const double *)b;
}

static const struct cfg_key rate_keys[] = {
    {.name = "warn", .type = CFGK_DOUBLE, .offset = RULE(warn)},
    {.name = "crit", .type = CFGK_DOUBLE, .offset = RULE(crit)},
    {.name = "per",
     .type = CFGK_CUSTOM,
     .offset = RULE(rate_per_s),
     .custom = decode_per,
     .same = same_double},
    {.name = "window",
     .type = CFGK_DURATION,
     .offset = RULE(window_ms),
     .min = 1000,
     .max = 604800000},
    {.name = NULL},
};

static const struct cfg_key nodata_keys[] = {
    {.name = "intervals",
     .type = CFGK_INT,
     .offset = RULE(nodata_intervals),
     .min = 1,
     .max = 100000},
    {.name = "severity", .type = CFGK_ENUM, .offset = RULE(severity), .names = cfg_severity_names},
    {.name = NULL},
};

static const char *const anomaly_dirs[] = {"both", "up", "down", NULL};

static const struct cfg_key anomaly_keys[] = {
    {.name = "deviation", .type = CFGK_DOUBLE, .offset = RULE(deviation)},
    {.name = "direction", .type = CFGK_ENUM, .offset = RULE(direction), .names = anomaly_dirs},
    {.name = "margin", .type = CFGK_DOUBLE, .offset = RULE(margin)},
    {.name = "learn",
     .type = CFGK_DURATION,
     .offset = RULE(learn_ms),
     .min = 86400000,
     .max = 8467200000},
    {.name = "severity", .type = CFGK_ENUM, .offset = RULE(severity), .names = cfg_severity_names},
    {.name = NULL},
};

/* Condition keys, in the order of enum cfg_rule_type. */
static const char *const rule_conditions[] = {
    [RULE_ABOVE] = "above", [RULE_BELOW] = "below",   [RULE_STATE] = "state",
    [RULE_RATE] = "rate",   [RULE_NODATA] = "nodata",
    [RULE_ANOMALY] = "anomaly", NULL,
};

const char *cfg_rule_condition_name(enum cfg_rule_type t)
{
	return rule_conditions[t];
}

const struct cfg_key cfg_rule_keys[] = {
    {.name = "name", .type = CFGK_STRING, .offset = RULE(name)},
    {.name = "match", .type = CFGK_STRUCT, .offset = RULE(match), .sub = selector_keys},
    {.name = "above", .type = CFGK_STRUCT, .offset = 0, .sub = level_keys},
    {.name = "below", .type = CFGK_STRUCT, .offset = 0, .sub = level_keys},
    {.name = "state", .type = CFGK_STRUCT, .offset = 0, .sub = state_keys},
    {.name = "rate", .type = CFGK_STRUCT, .offset = 0, .sub = rate_keys},
    {.name = "nodata", .type = CFGK_STRUCT, .offset = 0, .sub = nodata_keys},
    {.name = "anomaly", .type = CFGK_STRUCT, .offset = 0, .sub = anomaly_keys},
    {.name = "for", .type = CFGK_DURATION, .offset = RULE(for_ms), .min = 0, .max = 604800000},
    {.name = "summary", .type = CFGK_STRING, .offset = RULE(summary)},
    {.name = "breaks_through", .type = CFGK_BOOL, .offset = RULE(breaks_through)},
    {.name = "time_to_impact", .type = CFGK_STRING, .offset = RULE(time_to_impact)},
    {.name = NULL},
};

void cfg_rule_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_rule *r = elem;
	r->warn = r->crit = r->clear_warn = r->clear_crit = NAN;
	r->severity = SEV_WARNING;
	r->window_ms = 300000;
	r->rate_per_s = 1.0;
	r->nodata_intervals = 3;
	r->deviation = 3.0;
	r->learn_ms = 14 * 86400000LL;
	r->pos = node->pos;
}

/* Sets r->type from the one condition key present. */
static int rule_type(struct cfg_rule *r, const struct cfgnode *node, struct cfg_diags *d)
{
	int found = -1;
	for (int t = 0; rule_conditions[t] != NULL; t++) {
		if (cfgnode_get(node, rule_conditions[t]) == NULL)
			continue;
		if (found >= 0) {
			cfg_error(d, cfg_key_pos(node, rule_conditions[t]),
			          "rule: '%s' and '%s' cannot be combined (one condition per rule)",
			          rule_conditions[found], rule_conditions[t]);
			return -EINVAL;
		}
		found = t;
	}
	if (found < 0) {
		cfg_error(d, &node->pos,
		          "rule: expected a condition: one of above, below, state, rate, nodata, anomaly");
		return -EINVAL;
	}
	r->type = (enum cfg_rule_type)found;
	return 0;
}

/* True if level a comes after level b in the direction of the rule. */
static bool beyond(bool up, double a, double b)
{
	return up ? a > b : a < b;
}

/* Reports `clear` set past its level (it would never clear). */
static void hysteresis_check(const char *cond, bool up, double level, double clear,
                             const char *name, const struct cfgnode *cn, struct cfg_diags *d)
{
	if (isnan(level) || isnan(clear) || !beyond(up, clear, level))
		return;
	char key[16];
	snprintf(key, sizeof(key), "clear_%s", name);
	cfg_error(d, cfg_key_pos(cn, key), "%s: %s %g is %s %s %g; it would never clear", cond, key,
	          clear, up ? "above" : "below", name, level);
}

/* `warn_from`/`crit_from`: the name of a gauge of the same device (NAME_unit). */
static void level_from_check(const char *cond, const char *key, const char *name,
			     const struct cfgnode *cn, struct cfg_diags *d)
{
	char why[128];
	if (name && !metric_name_check(name, METRIC_GAUGE, why, sizeof(why)))
		cfg_error(d, cfg_key_pos(cn, key), "%s: %s: expected the name of a metric of the "
			  "same device and instance (NAME_unit), got '%s'", cond, key, name);
}

static int levels_check(const struct cfg_rule *r, const struct cfgnode *node, struct cfg_diags *d)
{
	const char *cond = rule_conditions[r->type];
	const struct cfgnode *cn = cfgnode_get(node, cond);
	bool up = r->type != RULE_BELOW;
	size_t before = d->nerrors;
	if (isnan(r->warn) && isnan(r->crit) && !r->warn_from && !r->crit_from) {
		cfg_error(d, &cn->pos, "%s: expected a warn and/or a crit level", cond);
		return -EINVAL;
	}
	level_from_check(cond, "warn_from", r->warn_from, cn, d);
	level_from_check(cond, "crit_from", r->crit_from, cn, d);
	if (r->type != RULE_RATE && !isnan(r->warn) && !isnan(r->crit) &&
	    beyond(up, r->warn, r->crit))
		cfg_error(d, cfg_key_pos(cn, "warn"),
		          "%s: contradictory levels: warn %g is %s crit %g", cond, r->warn,
		          up ? "above" : "below", r->crit);
	if (r->type != RULE_RATE) {
		hysteresis_check(cond, up, r->warn, r->clear_warn, "warn", cn, d);
		hysteresis_check(cond, up, r->crit, r->clear_crit, "crit", cn, d);
	}
	return d->nerrors > before ? -EINVAL : 0;
}

/* True if the rule can fire critical: only a critical breaks through suppression. */
static bool can_fire_critical(const struct cfg_rule *r)
{
	switch (r->type) {
	case RULE_ABOVE:
	case RULE_BELOW:
	case RULE_RATE:
		return !isnan(r->crit);
	default:
		return r->severity == SEV_CRITICAL;
	}
}

/* A metric name in seconds ("battery_runtime_seconds"). */
static bool seconds_metric(const char *name)
{
	char why[128];
	size_t n = strlen(name), k = strlen("_seconds");
	return metric_name_check(name, METRIC_STATE, why, sizeof(why)) && n > k &&
	       strcmp(name + n - k, "_seconds") == 0;
}

/* breaks_through on a rule that never fires critical, time_to_impact without it or not
 * a metric in seconds. */
static void breakthrough_check(const struct cfg_rule *r, const struct cfgnode *node,
                               struct cfg_diags *d)
{
	if (r->breaks_through && !can_fire_critical(r))
		cfg_error(d, cfg_key_pos(node, "breaks_through"),
		          "breaks_through: the rule never fires critical (only a critical alert "
		          "breaks through suppression)");
	if (!r->time_to_impact)
		return;
	if (!r->breaks_through)
		cfg_error(d, cfg_key_pos(node, "time_to_impact"),
		          "time_to_impact: only with breaks_through: true");
	else if (!seconds_metric(r->time_to_impact))
		cfg_error(d, cfg_key_pos(node, "time_to_impact"),
		          "time_to_impact: expected the name of a metric in seconds "
		          "(NAME_seconds), got '%s'", r->time_to_impact);
}

int cfg_rule_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_rule *r = elem;
	size_t before = d->nerrors;
	if (rule_type(r, node, d) == 0 && r->type != RULE_STATE && r->type != RULE_NODATA &&
	    r->type != RULE_ANOMALY)
		levels_check(r, node, d);
	if (r->type == RULE_ANOMALY && (!(r->deviation > 0) || !(r->margin >= 0)))
		cfg_error(d, cfg_key_pos(cfgnode_get(node, "anomaly"),
					 r->deviation > 0 ? "margin" : "deviation"),
			  "anomaly: %s must be %s", r->deviation > 0 ? "margin" : "deviation",
			  r->deviation > 0 ? "0 or more" : "more than 0");
	if (r->type == RULE_STATE && r->nstates == 0)
		cfg_error(d, cfg_key_pos(node, "state"), "state: expected at least one value");
	cfg_validate_selector(&r->match, cfgnode_get(node, "match"), d);
	breakthrough_check(r, node, d);
	if (r->name == NULL && asprintf(&r->name, "rule-%d", r->pos.line) < 0)
		abort();
	return d->nerrors > before ? -EINVAL : 0;
}
