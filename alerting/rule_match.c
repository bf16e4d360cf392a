/* Selectors: does a rule's (or silence's) `match` apply to a metric of a device? */
#include "alert_int.h"

#include <fnmatch.h>
#include <string.h>

bool glob_is_literal(const char *s)
{
	return s && strpbrk(s, "*?[") == NULL;
}

/* An unset pattern matches anything; a set one needs a value that matches it. */
static bool glob_ok(const char *pat, const char *s)
{
	if (!pat)
		return true;
	if (!s)
		return false;
	return fnmatch(pat, s, 0) == 0;
}

static bool eq_ok(const char *want, const char *have)
{
	return !want || (have && strcmp(want, have) == 0);
}

/* Every selector label must equal the device's label of that key. */
static bool labels_ok(const struct cfg_selector *sel, const struct cfg_device *dev)
{
	for (size_t i = 0; i < sel->nlabels; i++) {
		bool found = false;
		for (size_t j = 0; dev && j < dev->nlabels && !found; j++)
			found = strcmp(dev->labels[j].key, sel->labels[i].key) == 0 &&
				strcmp(dev->labels[j].value, sel->labels[i].value) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* The parts of a selector that depend on the device config only. */
static bool device_ok(const struct cfg_selector *sel, const struct cfg_device *dev)
{
	if (sel->kind && (!dev || strcmp(sel->kind, dev_kind_name(dev->kind)) != 0))
		return false;
	if (!eq_ok(sel->site, dev ? dev->loc.site : NULL) ||
	    !eq_ok(sel->room, dev ? dev->loc.room : NULL) ||
	    !eq_ok(sel->tenant, dev ? dev->tenant : NULL))
		return false;
	return labels_ok(sel, dev);
}

bool selector_match(const struct cfg_selector *sel, const struct cfg_device *dev,
		    const char *device, const char *metric, const char *inst)
{
	return glob_ok(sel->metric, metric) && glob_ok(sel->device, device) &&
	       glob_ok(sel->inst, inst) && device_ok(sel, dev);
}
