/* A tenant's layer from YAML (POST /api/v1/layer/import, `dcmon config import`): a
 * document with `devices:` and `rules:` sequences, as `dcmon config export` writes it,
 * is cut into its items with libyaml (each item's events re-emitted as a document of
 * its own), and each item goes through the same change as one posted alone. */
#include "tenants_int.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dcmon/strbuf.h"

#define IMPORT_ITEMS_MAX 1000 /* items of one import */

static int emit_to_buf(void *data, unsigned char *buffer, size_t size)
{
	return strbuf_append(data, (const char *)buffer, size) == 0;
}

/* Re-emits the events of one node (its first event is ev, already parsed) as a YAML
 * document of its own; the text in *out.  0, or -1 (bad YAML, out of memory). */
static int node_text(yaml_parser_t *p, yaml_event_t *ev, char **out)
{
	struct strbuf b = STRBUF_INIT;
	yaml_emitter_t em;
	yaml_event_t e;
	int depth = 0, ok = yaml_emitter_initialize(&em);
	yaml_emitter_set_output(&em, emit_to_buf, &b);
	yaml_emitter_set_unicode(&em, 1);
	ok = ok && yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING) &&
	     yaml_emitter_emit(&em, &e);
	ok = ok && yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1) &&
	     yaml_emitter_emit(&em, &e);
	if (!ok)
		yaml_event_delete(ev); /* the emitter takes every event it is given, not this one */
	for (bool first = true; ok && (first || depth > 0); first = false) {
		if (!first && !yaml_parser_parse(p, ev)) {
			ok = 0;
			break;
		}
		if (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev->type == YAML_MAPPING_END_EVENT || ev->type == YAML_SEQUENCE_END_EVENT)
			depth--;
		ok = yaml_emitter_emit(&em, ev); /* takes the event */
	}
	ok = ok && yaml_document_end_event_initialize(&e, 1) && yaml_emitter_emit(&em, &e);
	ok = ok && yaml_stream_end_event_initialize(&e) && yaml_emitter_emit(&em, &e);
	yaml_emitter_delete(&em);
	*out = ok ? strbuf_take(&b) : NULL;
	strbuf_free(&b);
	return *out ? 0 : -1;
}

/* Parses the next event into ev; false at an error. */
static bool next(yaml_parser_t *p, yaml_event_t *ev)
{
	return yaml_parser_parse(p, ev) != 0;
}

/* Calls fn for each item of the sequence that follows (its start already read). */
static int items_of(yaml_parser_t *p, enum item_kind kind,
		    void (*fn)(void *arg, enum item_kind kind, const char *yaml), void *arg,
		    size_t *count)
{
	yaml_event_t ev;
	while (next(p, &ev)) {
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		char *text;
		if (ev.type != YAML_MAPPING_START_EVENT || ++*count > IMPORT_ITEMS_MAX) {
			yaml_event_delete(&ev);
			return -1;
		}
		if (node_text(p, &ev, &text) < 0) /* it took ev */
			return -1;
		fn(arg, kind, text);
		free(text);
	}
	return -1;
}

int layer_import_items(const char *yaml, void (*fn)(void *arg, enum item_kind kind,
							 const char *yaml), void *arg, char *err,
		       size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t count = 0;
	int rc = 0, depth = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)yaml, strlen(yaml));
	bool done = false;
	while (!done && rc == 0 && next(&p, &ev)) {
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_MAPPING_START_EVENT: depth++; break;
		case YAML_MAPPING_END_EVENT: depth--; break;
		case YAML_SCALAR_EVENT:
			if (depth == 1) {
				const char *key = (const char *)ev.data.scalar.value;
				int kind = -1;
				for (int k = 0; k < ITEM_KIND_COUNT; k++)
					if (strcmp(key, item_yaml_key[k]) == 0)
						kind = k;
				bool known = kind >= 0;
				yaml_event_t seq;
				bool have_seq = known && next(&p, &seq);
				if (!have_seq || seq.type != YAML_SEQUENCE_START_EVENT) {
					snprintf(err, errlen, "%d:%d: expected devices:, rules: or "
						 "log_rules: with a list of items", (int)ev.start_mark.line + 1,
						 (int)ev.start_mark.column + 1);
					rc = -1;
				} else if (items_of(&p, (enum item_kind)kind, fn, arg, &count) < 0) {
					snprintf(err, errlen, "%d:%d: each item of %s is a map (at most "
						 "%d items)", (int)ev.start_mark.line + 1,
						 (int)ev.start_mark.column + 1, key, IMPORT_ITEMS_MAX);
					rc = -1;
				}
				if (have_seq)
					yaml_event_delete(&seq);
			}
			break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	if (!done && rc == 0) {
		snprintf(err, errlen, "%d:%d: %s", (int)p.problem_mark.line + 1,
			 (int)p.problem_mark.column + 1, p.problem ? p.problem : "bad YAML");
		rc = -1;
	}
	yaml_parser_delete(&p);
	return rc;
}
