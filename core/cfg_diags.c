/* Positioned configuration diagnostics: collected, counted and printed as
 * "file:line:col: error: message". */
#include "dcmon/cfgtree.h"

#include "strpool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfg_diags_init(struct cfg_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void cfg_diags_free(struct cfg_diags *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	strpool_free(d->files);
	cfg_diags_init(d);
}

const char *cfg_diags_intern(struct cfg_diags *d, const char *file)
{
	if (file == NULL)
		return NULL;
	if (d->files == NULL && (d->files = strpool_new()) == NULL)
		abort();
	const char *copy = strpool_get(d->files, file);
	if (copy == NULL)
		abort();
	return copy;
}

/* Appends one diagnostic; out of memory while reporting a config error is fatal. */
static void diags_add(struct cfg_diags *d, const struct cfg_pos *pos, bool warning, const char *fmt,
                      va_list ap)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct cfg_diag *v = realloc(d->v, cap * sizeof(*v));
		if (v == NULL)
			abort();
		d->v = v;
		d->cap = cap;
	}
	struct cfg_diag *g = &d->v[d->n++];
	g->pos.file = pos ? cfg_diags_intern(d, pos->file) : NULL;
	g->pos.line = pos ? pos->line : 0;
	g->pos.col = pos ? pos->col : 0;
	g->warning = warning;
	if (vasprintf(&g->msg, fmt, ap) < 0)
		abort();
	if (!warning)
		d->nerrors++;
}

void cfg_error(struct cfg_diags *d, const struct cfg_pos *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diags_add(d, pos, false, fmt, ap);
	va_end(ap);
}

void cfg_warning(struct cfg_diags *d, const struct cfg_pos *pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diags_add(d, pos, true, fmt, ap);
	va_end(ap);
}

void cfg_diags_print(const struct cfg_diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct cfg_diag *g = &d->v[i];
		const char *kind = g->warning ? "warning" : "error";
		if (g->pos.file != NULL && g->pos.line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", g->pos.file, g->pos.line, g->pos.col,
			        kind, g->msg);
		else if (g->pos.file != NULL)
			fprintf(out, "%s: %s: %s\n", g->pos.file, kind, g->msg);
		else
			fprintf(out, "%s: %s\n", kind, g->msg);
	}
}
