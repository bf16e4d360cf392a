/* Physics inputs (knobs) per device kind, pinned metric values, and the `set` command
 * shared by the control socket and the scenario steps. */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const zone_names[] = {"normal", "pre_alarm", "alarm", "fault", NULL};

struct knob_def {
	int kind;
	const char *name;
	double def, min, max;
	const char *const *names;
};

static const struct knob_def knob_defs[] = {
    {SK_UTILITY, "available", 1, 0, 1, NULL},
    {SK_GENERATOR, "fail_to_start", 0, 0, 1, NULL},
    {SK_GENERATOR, "fuel_percent", 80, 0, 100, NULL},
    {SK_UPS, "charge_percent", 100, 0, 100, NULL},
    {SK_SERVER, "up", 1, 0, 1, NULL},
    {SK_SERVER, "load_kw", -1, 0, 1000, NULL},
    {SK_SERVER, "cpu_percent", 20, 0, 100, NULL},
    {SK_SERVER, "disk_percent", 40, 0, 100, NULL},
    {SK_COOLING, "running", 1, 0, 1, NULL},
    {SK_LEAK, "leak", 0, 0, 1, NULL},
    {SK_LEAK, "distance_m", 12, 0, 10000, NULL},
    {SK_LEAK, "cable_break", 0, 0, 1, NULL},
    {SK_SUPPRESSION, "disabled", 0, 0, 1, NULL},
};

void sim_knobs_init(struct sim_dev *d)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(knob_defs) / sizeof(knob_defs[0]); i++)
		n += knob_defs[i].kind == d->kind;
	if (d->kind == SK_FIRE)
		n += d->nzones;
	d->knobs = calloc(n ? n : 1, sizeof(*d->knobs));
	if (!d->knobs)
		return;
	for (size_t i = 0; i < sizeof(knob_defs) / sizeof(knob_defs[0]); i++) {
		const struct knob_def *k = &knob_defs[i];
		if (k->kind != d->kind)
			continue;
		d->knobs[d->nknobs++] = (struct sim_knob){k->name, k->def, k->min, k->max, k->names};
		if (strcmp(k->name, "load_kw") == 0)
			d->knobs[d->nknobs - 1].value = d->load_kw;
	}
	for (size_t i = 0; d->kind == SK_FIRE && i < d->nzones; i++)
		d->knobs[d->nknobs++] = (struct sim_knob){d->zones[i], 0, 0, 3, zone_names};
}

struct sim_knob *sim_knob_find(struct sim_dev *d, const char *name)
{
	for (size_t i = 0; i < d->nknobs; i++)
		if (strcmp(d->knobs[i].name, name) == 0)
			return &d->knobs[i];
	return NULL;
}

double sim_knob(const struct sim_dev *d, const char *name)
{
	for (size_t i = 0; i < d->nknobs; i++)
		if (strcmp(d->knobs[i].name, name) == 0)
			return d->knobs[i].value;
	return NAN;
}

bool sim_pinned(const struct sim_dev *d, const char *metric, const char *inst, double *out)
{
	for (size_t i = 0; i < d->npins; i++) {
		const struct sim_pin *p = &d->pins[i];
		if (strcmp(p->metric, metric) != 0)
			continue;
		if (p->inst && (!inst || strcmp(p->inst, inst) != 0))
			continue;
		*out = p->value;
		return true;
	}
	return false;
}

/* A number, or one of names (on/off/true/false count as 1/0). */
static int value_parse(const char *v, const char *const *names, double *out)
{
	for (size_t i = 0; names && names[i]; i++)
		if (strcmp(names[i], v) == 0) {
			*out = (double)i;
			return 0;
		}
	if (!strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(v, "off") || !strcasecmp(v, "false") || !strcasecmp(v, "no")) {
		*out = 0;
		return 0;
	}
	char *end = NULL;
	*out = strtod(v, &end);
	return (end != v && *end == '\0' && isfinite(*out)) ? 0 : -EINVAL;
}

static void knob_list(const struct sim_dev *d, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < d->nknobs && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", d->knobs[i].name);
}

static int knob_set(struct sim_knob *k, const char *dev, const char *value, bool apply, char *err,
		    size_t len)
{
	double v;
	if (value_parse(value, k->names, &v) < 0 || v < k->min || v > k->max) {
		if (k->names)
			snprintf(err, len, "%s.%s: expected one of normal, pre_alarm, alarm, fault; got '%s'",
				 dev, k->name, value);
		else
			snprintf(err, len, "%s.%s: expected a number %g..%g; got '%s'", dev, k->name,
				 k->min, k->max, value);
		return -EINVAL;
	}
	if (apply)
		k->value = v;
	return 0;
}

/* A served metric: pinned (value "auto" unpins). */
static int pin_set(struct sim_dev *d, const char *metric, const char *value, bool apply, char *err,
		   size_t len)
{
	double v;
	if (strcmp(value, "auto") != 0 && value_parse(value, NULL, &v) < 0) {
		snprintf(err, len, "%s.%s: expected a number or 'auto'; got '%s'", d->id, metric, value);
		return -EINVAL;
	}
	if (!apply)
		return 0;
	char name[128];
	snprintf(name, sizeof(name), "%s", metric);
	char *inst = strchr(name, '@');
	if (inst)
		*inst++ = '\0';
	for (size_t i = 0; i < d->npins; i++) {
		struct sim_pin *p = &d->pins[i];
		if (strcmp(p->metric, name) || (p->inst == NULL) != (inst == NULL) ||
		    (inst && strcmp(p->inst, inst)))
			continue;
		free(p->metric);
		free(p->inst);
		d->pins[i] = d->pins[--d->npins];
		break;
	}
	if (strcmp(value, "auto") == 0)
		return 0;
	struct sim_pin *np = realloc(d->pins, (d->npins + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	d->pins = np;
	d->pins[d->npins++] = (struct sim_pin){strdup(name), inst ? strdup(inst) : NULL, v};
	return 0;
}

/* A pin on a name the device's profile lacks would never show, so it is refused. */
static bool serves_metric(struct sim *s, struct sim_dev *d, const char *metric)
{
	char name[128];
	snprintf(name, sizeof(name), "%s", metric);
	char *at = strchr(name, '@');
	if (at)
		*at = '\0';
	return d->snmp ? sim_snmp_has_metric(d, name) : d->mb ? sim_mb_has_metric(d, name) : false;
}

int sim_set(struct sim *s, const char *target, const char *value, bool apply, char *err,
	    size_t len)
{
	char dev[128];
	const char *dot = strchr(target, '.');
	if (!dot || dot == target || !dot[1] || (size_t)(dot - target) >= sizeof(dev)) {
		snprintf(err, len, "'%s': expected DEVICE.POINT", target);
		return -EINVAL;
	}
	memcpy(dev, target, (size_t)(dot - target));
	dev[dot - target] = '\0';
	const char *point = dot + 1;
	if (strcmp(dev, "sim") == 0) {
		double v;
		if (strcmp(point, "acceleration") || value_parse(value, NULL, &v) < 0 || v < 0.01 ||
		    v > 100000) {
			snprintf(err, len, "sim.%s: only sim.acceleration (0.01..100000) can be set",
				 point);
			return -EINVAL;
		}
		if (apply)
			s->accel = v;
		return 0;
	}
	struct sim_dev *d = sim_dev_find(s, dev);
	if (!d) {
		size_t o = (size_t)snprintf(err, len, "unknown device '%s'; devices:", dev);
		for (size_t i = 0; i < s->ndevs && o < len; i++)
			o += (size_t)snprintf(err + o, len - o, " %s", s->devs[i].id);
		return -EINVAL;
	}
	struct sim_knob *k = sim_knob_find(d, point);
	if (k)
		return knob_set(k, d->id, value, apply, err, len);
	if (d->profile && serves_metric(s, d, point))
		return pin_set(d, point, value, apply, err, len);
	char kl[512];
	knob_list(d, kl, sizeof(kl));
	snprintf(err, len, "unknown point '%s' of %s; inputs: %s%s", point, d->id,
		 kl[0] ? kl : "(none)",
		 d->profile ? "; or a metric of its profile (METRIC or METRIC@INSTANCE)" : "");
	return -EINVAL;
}
