/* What the parts need of the config loader (core/config*.c) to decode their own
 * sections and the model's sections they read again (rules in profiles): the context
 * every decoder of the config file gets, the rule keys, and position and syntax
 * helpers for their messages.  Any thread; no state.
 */
#ifndef DCMON_CONFIG_KEYS_H
#define DCMON_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

/* Passed as ctx to every decoder of the config file. */
struct cfg_ctx {
	struct cfg *cfg;
	const char *dir; /* directory of the config file, for relative paths */
};

/* Keys of one rule (core/config_rules.c), and its element hooks (init presets defaults
 * and the position). */
extern const struct cfg_key cfg_rule_keys[];
void cfg_rule_init(void *elem, const struct cfgnode *node, void *ctx);
int cfg_rule_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);

/* The `checks:` row of a part's list of checks `key`: a CFGK_SEQ the kernel keeps in a
 * slot of the device (CFG_PART_SECTION, read back with cfg_device_list), of items of
 * type T decoded with item_keys, "<key> check" in messages; the items' hooks and the
 * list's options follow as designated initializers (.shorthand, .init, .check,
 * .names_repeat). */
#define CFG_CHECK_LIST(key, T, item_keys, ...)                                              \
	{.name = key, .type = CFGK_SEQ, .offset = CFG_PART_SECTION, .sub = item_keys,        \
	 .elem_size = sizeof(T), .what = key " check", __VA_ARGS__}

/* Syntax of names and addresses. */
bool cfg_id_valid(const char *id); /* [A-Za-z0-9_.-]+ */
bool cfg_email_valid(const char *addr);
bool cfg_ip_literal_valid(const char *addr); /* numeric IPv4 or IPv6: no lookup at start */
/* Makes *path (malloc'd, may be NULL) absolute against dir when it is relative ("."
 * stays the dir itself; dir NULL: unchanged): what a section's daemon_resolve does
 * with its paths, and a decoder's check with cfg_ctx_dir(ctx). */
void cfg_path_resolve(char **path, const char *dir);
/* The config file's directory from a decoder's ctx (struct cfg_ctx), or NULL. */
static inline const char *cfg_ctx_dir(const void *ctx)
{
	return ctx ? ((const struct cfg_ctx *)ctx)->dir : NULL;
}
bool cfg_metric_glob_valid(const char *glob); /* metric-name characters + * ? [...] */
/* Compiles pattern (POSIX extended) so that a bad one is refused at map[key]'s position
 * at load rather than at every poll.  Returns 0 or -EINVAL after reporting. */
int cfg_regex_check(const char *pattern, const struct cfgnode *map, const char *key,
                    struct cfg_diags *d);


/* Position helper: item i of list `key` in map (or the value itself when a scalar);
 * cfg_key_pos (dcmon/cfgtree.h) gives map[key]'s. */
const struct cfgnode *cfg_list_item(const struct cfgnode *map, const char *key, size_t i);
/* Node of element i of top-level list `section` ("devices"), or NULL. */
const struct cfgnode *cfg_section_item(const struct cfgnode *root, const char *section, size_t i);
/* Reports every invalid address of `key` in map as an error. */
void cfg_check_emails(char *const *email, size_t n, const struct cfgnode *map, const char *key,
                      struct cfg_diags *d);
/* What a reference names (cfg_ref_check). */
enum cfg_ref { CFG_REF_DEVICE, CFG_REF_TENANT, CFG_REF_TEAM, CFG_REF_SITE, CFG_REF_ROUTE };
/* Reports "key: unknown <device|tenant|...> 'id'" at pos, with the nearest existing one,
 * unless cfg has it (id NULL: nothing to check): what a part's validate hook
 * (dcmon/part.h) does with the names its section refers to. */
void cfg_ref_check(const struct cfg *cfg, enum cfg_ref what, const char *id,
                   const struct cfg_pos *pos, const char *key, struct cfg_diags *d);

#endif
