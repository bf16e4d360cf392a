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
/* The best known position of map[key]: its value's, else the map's (for messages). */
const struct cfg_pos *cfg_key_pos(const struct cfgnode *map, const char *key);
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
	/* Nested maps (additive, decoded with `sub`; see the fields below): */
	CFGK_STRUCT,   /* struct inline at offset; sub keys are relative to it */
	CFGK_SECTION,  /* pointer at offset to a calloc'ed struct of elem_size bytes; NULL
			* when absent; `true` means present with defaults, `false` absent */
	CFGK_SEQ,      /* array of elem_size-byte structs at offset, size_t count at
			* count_offset; a scalar item is read as {shorthand: item} */
	CFGK_STRMAP,   /* map of scalars: struct cfg_label * at offset, size_t at count_offset */
};

struct cfg_key {
	const char *name;
	enum cfg_ktype type;
	size_t offset;
	size_t count_offset;       /* CFGK_STRLIST */
	bool required;
	double min, max;           /* numeric bounds; both 0 = unbounded */
	const char *const *names;  /* CFGK_ENUM: NULL-terminated (dcmon/enumtab.h) */
	/* CFGK_CUSTOM: decode node into field; returns 0 or -EINVAL after reporting. */
	int (*custom)(const struct cfgnode *node, void *field, struct cfg_diags *d, void *ctx);
	const char *expect;        /* what a valid value looks like, for messages */

	/* CFGK_STRUCT / CFGK_SECTION / CFGK_SEQ (all optional but `sub`): */
	const struct cfg_key *sub; /* keys of the nested map */
	size_t elem_size;          /* SECTION / SEQ: bytes of one element */
	const char *what;          /* name of the nested map in messages ("device");
				    * default: the key name */
	const char *shorthand;     /* SEQ: sub key a scalar item stands for ("port") */
	/* Presets defaults of a zeroed element and may record node->pos (before decode). */
	void (*init)(void *elem, const struct cfgnode *node, void *ctx);
	/* Cross-field checks of a decoded element; returns 0 or -EINVAL after reporting. */
	int (*check)(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
	/* CFGK_CUSTOM, optional: frees what custom stored in the field (cfg_fields_free). */
	void (*release)(void *field);
	/* CFGK_CUSTOM, optional: true if two decoded fields are equal (cfg_fields_same);
	 * without it two custom fields never compare equal. */
	bool (*same)(const void *a, const void *b);
	/* SEQ of a device's `checks:`: its items' `name` key is not what tells them apart
	 * (a process check's is what it matches), so two may share it; otherwise the kernel
	 * refuses an item whose name an earlier one has ("duplicate name"). */
	bool names_repeat;
	/* A part's device key that is neither a transport nor a check and does not change
	 * how the device is polled (the facility's `facility:`): it does not make the
	 * device one that polls (cfg_device_polls), nor changed on reload (cfg_device_same). */
	bool poll_neutral;
};

/* Decodes a MAP node into `out` following `keys` (terminated by {.name = NULL}).
 * Reports, without stopping at the first: a node that is not a map, unknown keys (with
 * the nearest valid key suggested), duplicate keys, missing required keys, wrong types
 * and out-of-range values.  Keys absent from the map leave their field untouched, so
 * callers preset defaults / "unset".  Returns 0 or -EINVAL if anything was reported. */
int cfg_decode(const struct cfgnode *map, const struct cfg_key *keys, void *out,
	       struct cfg_diags *d, void *ctx);

/* Decodes node into item as one item of the list key `list` (CFGK_SEQ) is decoded in a
 * file: the list's init, the item's keys (a scalar stands for its shorthand key), then
 * its check; item is zeroed by the caller.  0, or -EINVAL after reporting: for a part
 * that decodes one item on its own (an http check of the tenant layer). */
int cfg_decode_item(const struct cfg_key *list, const struct cfgnode *node, void *item,
		    struct cfg_diags *d, void *ctx);

/* Frees every field `keys` decoded into obj (strings, lists, nested sections and arrays,
 * custom fields with a release); obj itself is not freed.  Fields become NULL / 0. */
void cfg_fields_free(const struct cfg_key *keys, void *obj);
/* True if every field of `keys` holds equal values in a and b (positions ignored). */
bool cfg_fields_same(const struct cfg_key *keys, const void *a, const void *b);

/* Nearest of `candidates` (NULL-terminated) to `word` by edit distance, or NULL if none
 * is close enough to be a likely typo. */
const char *cfg_suggest(const char *word, const char *const *candidates);

#endif
