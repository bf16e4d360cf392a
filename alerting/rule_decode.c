/* `rules:` lists outside the main config (device profiles): the same keys, defaults and
 * checks as the config's rules (core/config_rules.c), with file:line:col errors. */
#include "alert_int.h"

#include <errno.h>
#include <stdlib.h>

#include "dcmon/config_keys.h"
#include "dcmon/cfgtree.h"

int alert_rules_decode(const struct cfgnode *seq, struct cfg_rule **out, size_t *n,
		       struct cfg_diags *d)
{
	*out = NULL;
	*n = 0;
	if (!seq)
		return 0;
	if (seq->type != CFGNODE_SEQ) {
		cfg_error(d, &seq->pos, "rules: expected a list, got a %s",
			  cfgnode_type_name(seq->type));
		return -EINVAL;
	}
	struct cfg_rule *rules = calloc(seq->n + 1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	size_t before = d->nerrors;
	for (size_t i = 0; i < seq->n; i++) {
		cfg_rule_init(&rules[i], seq->items[i], NULL);
		if (cfg_decode(seq->items[i], cfg_rule_keys, &rules[i], d, NULL) == 0)
			cfg_rule_check(&rules[i], seq->items[i], d, NULL);
	}
	*out = rules;
	*n = seq->n;
	return d->nerrors > before ? -EINVAL : 0;
}

void alert_rules_free(struct cfg_rule *rules, size_t n)
{
	for (size_t i = 0; rules && i < n; i++)
		cfg_fields_free(cfg_rule_keys, &rules[i]);
	free(rules);
}
