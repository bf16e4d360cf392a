/* YAML (libyaml events) to a tree of positioned nodes; anchors and aliases are resolved
 * by copying, bounded in depth and total size so a hostile file cannot exhaust memory. */
#include "dcmon/cfgtree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dcmon/enumtab.h"

#define TREE_MAX_DEPTH 64      /* nesting levels */
#define TREE_MAX_NODES 1000000 /* nodes per document, aliases expanded */

struct tree_anchor {
	char *name;
	struct cfgnode *node; /* owned copy */
};

struct tree_builder {
	yaml_parser_t parser;
	struct cfg_diags *d;
	const char *file; /* interned in d */
	struct tree_anchor *anchors;
	size_t nanchors;
	size_t nodes; /* built so far, for TREE_MAX_NODES */
	bool failed;  /* an error was reported; stop */
};

static struct cfgnode *tree_node(struct tree_builder *b, yaml_event_t *ev, int depth);

static struct cfg_pos tree_pos(const struct tree_builder *b, yaml_mark_t m)
{
	return (struct cfg_pos){.file = b->file, .line = (int)m.line + 1, .col = (int)m.column + 1};
}

static void tree_fail(struct tree_builder *b, yaml_mark_t m, const char *msg, const char *arg)
{
	struct cfg_pos pos = tree_pos(b, m);
	if (!b->failed)
		cfg_error(b->d, &pos, "%s%s", msg, arg ? arg : "");
	b->failed = true;
}

/* Reports libyaml's own problem text at the position it gives. */
static void tree_syntax_error(struct tree_builder *b)
{
	const yaml_parser_t *p = &b->parser;
	struct cfg_pos pos = tree_pos(b, p->problem ? p->problem_mark : p->mark);
	if (p->context)
		cfg_error(b->d, &pos, "YAML syntax error: %s (%s started at line %zu)", p->problem,
		          p->context, p->context_mark.line + 1);
	else
		cfg_error(b->d, &pos, "YAML syntax error: %s",
		          p->problem ? p->problem : "cannot read input");
	b->failed = true;
}

static bool tree_next(struct tree_builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		tree_syntax_error(b);
		return false;
	}
	return true;
}

static struct cfgnode *node_new(struct tree_builder *b, enum cfgnode_type t, yaml_mark_t m)
{
	if (++b->nodes > TREE_MAX_NODES) {
		tree_fail(b, m, "document too large (more than 1000000 nodes)", NULL);
		return NULL;
	}
	struct cfgnode *n = calloc(1, sizeof(*n));
	if (n == NULL)
		abort();
	n->type = t;
	n->pos = tree_pos(b, m);
	return n;
}

void cfgnode_free(struct cfgnode *n)
{
	if (n == NULL)
		return;
	free(n->scalar);
	for (size_t i = 0; n->pairs && i < n->n; i++) {
		cfgnode_free(n->pairs[i].key);
		cfgnode_free(n->pairs[i].value);
	}
	for (size_t i = 0; n->items && i < n->n; i++)
		cfgnode_free(n->items[i]);
	free(n->pairs);
	free(n->items);
	free(n);
}

/* Deep copy for an alias; counts against the node budget. */
static struct cfgnode *node_copy(struct tree_builder *b, const struct cfgnode *src, yaml_mark_t m)
{
	struct cfgnode *n = node_new(b, src->type, m);
	if (n == NULL)
		return NULL;
	n->pos = src->pos;
	n->quoted = src->quoted;
	n->scalar = src->scalar ? strdup(src->scalar) : NULL;
	n->n = src->n;
	if (src->type == CFGNODE_MAP && src->n) {
		n->pairs = calloc(src->n, sizeof(*n->pairs));
		for (size_t i = 0; n->pairs && i < src->n && !b->failed; i++) {
			n->pairs[i].key = node_copy(b, src->pairs[i].key, m);
			n->pairs[i].value = node_copy(b, src->pairs[i].value, m);
		}
	} else if (src->type == CFGNODE_SEQ && src->n) {
		n->items = calloc(src->n, sizeof(*n->items));
		for (size_t i = 0; n->items && i < src->n && !b->failed; i++)
			n->items[i] = node_copy(b, src->items[i], m);
	}
	if (b->failed || (src->n && !n->pairs && !n->items)) {
		cfgnode_free(n);
		return NULL;
	}
	return n;
}

static void anchor_add(struct tree_builder *b, const yaml_char_t *name, struct cfgnode *n,
                       yaml_mark_t m)
{
	if (name == NULL || n == NULL)
		return;
	struct tree_anchor *a = realloc(b->anchors, (b->nanchors + 1) * sizeof(*a));
	if (a == NULL)
		abort();
	b->anchors = a;
	a[b->nanchors].name = strdup((const char *)name);
	a[b->nanchors].node = node_copy(b, n, m);
	b->nanchors++;
}

static struct cfgnode *tree_alias(struct tree_builder *b, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	for (size_t i = b->nanchors; i-- > 0;) {
		if (strcmp(b->anchors[i].name, name) == 0 && b->anchors[i].node)
			return node_copy(b, b->anchors[i].node, ev->start_mark);
	}
	tree_fail(b, ev->start_mark, "unknown anchor *", name);
	return NULL;
}

static bool scalar_is_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; nulls[i]; i++) {
		if (strcmp((const char *)ev->data.scalar.value, nulls[i]) == 0)
			return true;
	}
	return false;
}

static struct cfgnode *tree_scalar(struct tree_builder *b, yaml_event_t *ev)
{
	struct cfgnode *n = node_new(b, CFGNODE_SCALAR, ev->start_mark);
	if (n == NULL)
		return NULL;
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	n->scalar = strdup(scalar_is_null(ev) ? "" : (const char *)ev->data.scalar.value);
	if (n->scalar == NULL)
		abort();
	anchor_add(b, ev->data.scalar.anchor, n, ev->start_mark);
	return n;
}

/* Appends child to a SEQ's items or, as key or value, to a MAP's pairs. */
static void node_append(struct cfgnode *n, struct cfgnode *child, bool is_value)
{
	if (n->type == CFGNODE_SEQ) {
		struct cfgnode **items = realloc(n->items, (n->n + 1) * sizeof(*items));
		if (items == NULL)
			abort();
		n->items = items;
		n->items[n->n++] = child;
	} else if (!is_value) {
		struct cfgnode_pair *pairs = realloc(n->pairs, (n->n + 1) * sizeof(*pairs));
		if (pairs == NULL)
			abort();
		n->pairs = pairs;
		n->pairs[n->n++] = (struct cfgnode_pair){.key = child};
	} else {
		n->pairs[n->n - 1].value = child;
	}
}

/* Reads children until the collection's end event. */
static struct cfgnode *tree_collection(struct tree_builder *b, yaml_event_t *start,
                                       enum cfgnode_type t, int depth)
{
	yaml_event_type_t end = t == CFGNODE_MAP ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	const yaml_char_t *anchor =
	    t == CFGNODE_MAP ? start->data.mapping_start.anchor : start->data.sequence_start.anchor;
	if (depth >= TREE_MAX_DEPTH) {
		tree_fail(b, start->start_mark, "nesting too deep (more than 64 levels)", NULL);
		return NULL;
	}
	struct cfgnode *n = node_new(b, t, start->start_mark);
	for (size_t i = 0; n != NULL && !b->failed; i++) {
		yaml_event_t ev;
		if (!tree_next(b, &ev))
			break;
		if (ev.type == end) {
			anchor_add(b, anchor, n, start->start_mark);
			yaml_event_delete(&ev);
			return n;
		}
		bool is_value = t == CFGNODE_MAP && i % 2 == 1;
		struct cfgnode *child = tree_node(b, &ev, depth + 1);
		if (child && t == CFGNODE_MAP && !is_value && child->type != CFGNODE_SCALAR) {
			tree_fail(b, ev.start_mark, "a map key must be a plain value, not a ",
			          cfgnode_type_name(child->type));
			cfgnode_free(child);
			child = NULL;
		}
		yaml_event_delete(&ev);
		if (child)
			node_append(n, child, is_value);
	}
	cfgnode_free(n);
	return NULL;
}

static struct cfgnode *tree_node(struct tree_builder *b, yaml_event_t *ev, int depth)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return tree_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return tree_alias(b, ev);
	case YAML_MAPPING_START_EVENT:
		return tree_collection(b, ev, CFGNODE_MAP, depth);
	case YAML_SEQUENCE_START_EVENT:
		return tree_collection(b, ev, CFGNODE_SEQ, depth);
	default:
		tree_fail(b, ev->start_mark, "unexpected YAML event", NULL);
		return NULL;
	}
}

/* Skips events until `type` (stream/document start); false on a syntax error. */
static bool tree_expect(struct tree_builder *b, yaml_event_type_t type)
{
	yaml_event_t ev;
	if (!tree_next(b, &ev))
		return false;
	bool ok = ev.type == type;
	yaml_event_delete(&ev);
	if (!ok)
		tree_fail(b, b->parser.mark, "unexpected YAML structure", NULL);
	return ok;
}

/* Reads the one document of the stream: an empty stream is an empty map. */
static struct cfgnode *tree_document(struct tree_builder *b)
{
	yaml_event_t ev;
	if (!tree_expect(b, YAML_STREAM_START_EVENT) || !tree_next(b, &ev))
		return NULL;
	if (ev.type == YAML_STREAM_END_EVENT) {
		struct cfgnode *empty = node_new(b, CFGNODE_MAP, ev.start_mark);
		yaml_event_delete(&ev);
		return empty;
	}
	yaml_event_delete(&ev);
	if (!tree_next(b, &ev))
		return NULL;
	struct cfgnode *root = tree_node(b, &ev, 0);
	yaml_event_delete(&ev);
	if (root == NULL || !tree_expect(b, YAML_DOCUMENT_END_EVENT) || !tree_next(b, &ev)) {
		cfgnode_free(root);
		return NULL;
	}
	if (ev.type != YAML_STREAM_END_EVENT) {
		tree_fail(b, ev.start_mark, "expected a single YAML document", NULL);
		cfgnode_free(root);
		root = NULL;
	}
	yaml_event_delete(&ev);
	return root;
}

static void tree_builder_done(struct tree_builder *b)
{
	for (size_t i = 0; i < b->nanchors; i++) {
		free(b->anchors[i].name);
		cfgnode_free(b->anchors[i].node);
	}
	free(b->anchors);
	yaml_parser_delete(&b->parser);
}

/* Parses from an input already set on b->parser. */
static struct cfgnode *tree_build(struct tree_builder *b)
{
	struct cfgnode *root = tree_document(b);
	if (b->failed) {
		cfgnode_free(root);
		root = NULL;
	}
	tree_builder_done(b);
	return root;
}

static void tree_builder_init(struct tree_builder *b, const char *name, struct cfg_diags *d)
{
	memset(b, 0, sizeof(*b));
	if (!yaml_parser_initialize(&b->parser))
		abort();
	b->d = d;
	b->file = cfg_diags_intern(d, name);
}

struct cfgnode *cfgnode_load_string(const char *name, const char *text, struct cfg_diags *d)
{
	struct tree_builder b;
	tree_builder_init(&b, name, d);
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, strlen(text));
	return tree_build(&b);
}

struct cfgnode *cfgnode_load_file(const char *path, struct cfg_diags *d)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		struct cfg_pos pos = {.file = cfg_diags_intern(d, path)};
		cfg_error(d, &pos, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct tree_builder b;
	tree_builder_init(&b, path, d);
	yaml_parser_set_input_file(&b.parser, f);
	struct cfgnode *root = tree_build(&b);
	fclose(f);
	return root;
}

const struct cfgnode *cfgnode_get(const struct cfgnode *map, const char *key)
{
	if (map == NULL || map->type != CFGNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		if (strcmp(map->pairs[i].key->scalar, key) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

const struct cfg_pos *cfg_key_pos(const struct cfgnode *map, const char *key)
{
	const struct cfgnode *v = cfgnode_get(map, key);
	return v ? &v->pos : &map->pos;
}

const char *cfgnode_type_name(enum cfgnode_type t)
{
	static const char *const names[] = {
	    [CFGNODE_SCALAR] = "value", [CFGNODE_MAP] = "map", [CFGNODE_SEQ] = "list", NULL};
	return enum_name(names, (int)t);
}
