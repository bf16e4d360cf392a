/* The default rules shipped in device profiles (`rules:` of etc/profiles/NAME.yaml)
 * and the site-wide defaults (`<profiles_dir>/defaults.yaml`), loaded with the config
 * and handed to the threshold engine below the config's own rules. */
#ifndef DCMON_PROFILE_RULES_H
#define DCMON_PROFILE_RULES_H

#include <stddef.h>

#include "dcmon/alert.h"
#include "dcmon/config.h"

#define PROFILE_DEFAULTS_FILE "defaults.yaml" /* in profiles_dir; applies to every device */

struct profile_rules {
	struct alert_rule_src *srcs; /* one per profile with rules */
	size_t n;
};

/* Loads the rules of every profile a device names, and the defaults file if present.
 * Errors go to d with file:line:col.  Returns 0, -EINVAL (errors reported) or -ENOMEM;
 * out is always valid for profile_rules_free(). */
int profile_rules_load(const struct cfg *cfg, struct profile_rules *out, struct cfg_diags *d);
void profile_rules_free(struct profile_rules *pr);

#endif
