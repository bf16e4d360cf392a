/* YAML documents as trees with positions, and table-driven decoding of maps into C
 * structs.  The daemon config, the device profiles (SNMP, Modbus) and simulator
 * scenarios are all read through this one module, so every file gets the same
 * file:line:col errors and "did you mean" suggestions.
 */
#ifndef DCMON_CFGTREE_H
#define DCMON_CFGTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/config.h"

enum cfgnode_type { CFGNODE_SCALAR, CFGNODE_MAP, CFGNODE_SEQ };

struct cfgnode;

struct cfgnode_pair {
	struct cfgnode *key;   /* always a scalar */
	struct cfgnode *value;
};

struct cfgnode {
	enum cfgnode_type type;
	struct cfg_pos pos;
	char *scalar;              /* SCALAR: the text; "" for an empty/null value */
	bool quoted;               /* SCALAR: was quoted in the source ('' or "") */
	struct cfgnode_pair *pairs; /* MAP, in source order */
	struct cfgnode **items;    /* SEQ */
	size_t n;                  /* pairs or items */
};

/* Parses a YAML file (one document; anchors and aliases resolved).  Returns the root,
 * or NULL after appending a positioned error to d.  The file name is interned in d. */
struct cfgnode *cfgnode_load_file(const char *path, struct cfg_diags *d);
/* Same for a string (tests); `name` is used in positions. */
struct cfgnode *cfgnode_load_string(const char *name, const char *text, struct cfg_diags *d);
void cfgnode_free(struct cfgnode *n);

/* Value of `key` in a MAP node, or NULL. */
const struct cfgnode *cfgnode_get(const struct cfgnode *map, const char *key);
const char *cfgnode_type_name(enum cfgnode_type t);

/* Appends a positioned error / warning (printf-style). */
void cfg_error(struct cfg_diags *d, const struct cfg_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_warning(struct cfg_diags *d, const struct cfg_pos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Interns a file name in d; the returned pointer lives as long as d. */
const char *cfg_diags_intern(struct cfg_diags *d, const char *file);

/* ---- table-driven decoding ------------------------------------------------------ */

enum cfg_ktype {
	CFGK_STRING,   /* char *, strdup'ed */
	CFGK_INT,      /* int, range [min,max] */
	CFGK_INT64,    /* int64_t, range [min,max] */
	CFGK_DOUBLE,   /* double, range [min,max] */
	CFGK_BOOL,     /* bool: true/false/yes/no/on/off */
	CFGK_DURATION, /* int64_t milliseconds ("10s"), range [min,max] in ms */
	CFGK_ENUM,     /* int: index into names[] */
	CFGK_STRLIST,  /* char ** at offset, size_t at count_offset; a scalar is a 1-item list */
	CFGK_CUSTOM,   /* custom(node, (char *)out + offset, d, ctx) */
};

struct cfg_key {
	const char *name;
	enum cfg_ktype type;
	size_t offset;
	size_t count_offset;       /* CFGK_STRLIST */
	bool required;
	double min, max;           /* numeric bounds; both 0 = unbounded */
	const char *const *names;  /* CFGK_ENUM: NULL-terminated */
	/* CFGK_CUSTOM: decode node into field; returns 0 or -EINVAL after reporting. */
	int (*custom)(const struct cfgnode *node, void *field, struct cfg_diags *d, void *ctx);
	const char *expect;        /* what a valid value looks like, for messages */
};

/* Decodes a MAP node into `out` following `keys` (terminated by {.name = NULL}).
 * Reports, without stopping at the first: a node that is not a map, unknown keys (with
 * the nearest valid key suggested), duplicate keys, missing required keys, wrong types
 * and out-of-range values.  Keys absent from the map leave their field untouched, so
 * callers preset defaults / "unset".  Returns 0 or -EINVAL if anything was reported. */
int cfg_decode(const struct cfgnode *map, const struct cfg_key *keys, void *out,
	       struct cfg_diags *d, void *ctx);

/* Nearest of `candidates` (NULL-terminated) to `word` by edit distance, or NULL if none
 * is close enough to be a likely typo. */
const char *cfg_suggest(const char *word, const char *const *candidates);

#endif
