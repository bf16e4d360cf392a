/* Default rules from profiles: read the `rules:` list of each profile file in use. */
#include "profile_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/cfgtree.h"
#include "dcmon/smap.h"

/* The profile names whose files were read, with rules or without (a set: the keys are
 * owned copies, the values unused): a file is read once however many devices name it
 * (a profile without rules was read again for each of them, most of start-up at 1 M
 * series). */
static bool was_read(const struct smap *read, const char *name)
{
	return smap_get(read, name) != NULL;
}

static int mark_read(struct smap *read, const char *name)
{
	char *copy = strdup(name);
	if (!copy || smap_put(read, copy, copy) < 0) {
		free(copy);
		return -ENOMEM;
	}
	return 0;
}

static void names_read_free(struct smap *read)
{
	for (size_t i = 0; i < read->cap; i++)
		free((char *)read->v[i].key);
	smap_free(read);
}

/* An unnamed profile rule is named after what it is, "<profile>:<metric>:<condition>"
 * (entity-sensor:sensor_humidity_percent:above), not after its line: editing the file
 * elsewhere must not rename it, or alerts restored after an upgrade lose their rule.
 * Two rules of one file may not end up with one name: the later is refused. */
static int name_unnamed(struct cfg_rule *rules, size_t n, const struct cfgnode *seq,
			const char *profile, struct cfg_diags *d)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (cfgnode_get(seq->items[i], "name"))
			continue;
		char *name;
		if (asprintf(&name, "%s:%s:%s", profile,
			     rules[i].match.metric ? rules[i].match.metric : "*",
			     cfg_rule_condition_name(rules[i].type)) < 0)
			return -ENOMEM;
		free(rules[i].name);
		rules[i].name = name;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++) {
			if (strcmp(rules[i].name, rules[j].name) != 0)
				continue;
			cfg_error(d, &seq->items[i]->pos,
				  "rule name '%s' is also the name of the rule at line %d; give "
				  "one of them its own `name:`", rules[i].name,
				  seq->items[j]->pos.line);
			rc = -EINVAL;
			break;
		}
	return rc;
}

/* Reads one file's rules as profile `profile`; a missing file is fine when optional. */
static int load_one(struct profile_rules *pr, const char *dir, const char *file,
		    const char *profile, bool optional, struct cfg_diags *d)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (optional && access(path, F_OK) != 0)
		return 0;
	struct cfgnode *root = cfgnode_load_file(path, d);
	if (!root)
		return -EINVAL;
	const struct cfgnode *seq = root->type == CFGNODE_MAP ? cfgnode_get(root, "rules") : NULL;
	struct cfg_rule *rules = NULL;
	size_t n = 0;
	int rc = alert_rules_decode(seq, &rules, &n, d);
	if (rc == 0 && n > 0)
		rc = name_unnamed(rules, n, seq, profile, d);
	struct alert_rule_src *v = rc == 0 && n > 0 ? realloc(pr->srcs, (pr->n + 1) * sizeof(*v))
						     : NULL;
	char *pname = v ? strdup(profile) : NULL;
	if (rc == 0 && n > 0 && (!v || !pname))
		rc = -ENOMEM;
	if (v)
		pr->srcs = v;
	if (rc == 0 && n > 0)
		pr->srcs[pr->n++] = (struct alert_rule_src){.profile = pname, .rules = rules,
							    .nrules = n};
	else {
		free(pname);
		alert_rules_free(rules, n);
	}
	cfgnode_free(root);
	return rc;
}

int profile_rules_load(const struct cfg *cfg, struct profile_rules *out, struct cfg_diags *d)
{
	*out = (struct profile_rules){0};
	const char *dir = cfg->daemon.profiles_dir;
	struct smap read = {0};
	int rc = load_one(out, dir, PROFILE_DEFAULTS_FILE, ALERT_PROFILE_ANY, true, d);
	for (size_t i = 0; i < cfg->ndevices && rc != -ENOMEM; i++) {
		if (!cfg->devices[i].profile)
			continue;
		char names[1024], *save = NULL;
		snprintf(names, sizeof(names), "%s", cfg->devices[i].profile);
		/* `profile: a+b`: the rules of each */
		for (char *name = strtok_r(names, "+", &save); name && rc != -ENOMEM;
		     name = strtok_r(NULL, "+", &save)) {
			char file[1100];
			if (was_read(&read, name))
				continue;
			if (mark_read(&read, name) < 0) {
				rc = -ENOMEM;
				break;
			}
			snprintf(file, sizeof(file), "%s.yaml", name);
			/* a missing profile is the transport's error to report (it knows the kind) */
			int r = load_one(out, dir, file, name, true, d);
			if (r < 0)
				rc = r;
		}
	}
	names_read_free(&read);
	return rc;
}

void profile_rules_free(struct profile_rules *pr)
{
	for (size_t i = 0; i < pr->n; i++) {
		free((char *)pr->srcs[i].profile);
		alert_rules_free((struct cfg_rule *)pr->srcs[i].rules, pr->srcs[i].nrules);
	}
	free(pr->srcs);
	*pr = (struct profile_rules){0};
}
