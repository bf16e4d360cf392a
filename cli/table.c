/* Text tables of the CLI: rows of cells, columns aligned by display width, the last
 * column cut to the width left on a terminal's line. */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/vec.h"

struct cli_table {
	size_t ncols;
	const char *headers[CLI_TABLE_COLS]; /* referenced, not copied */
	char **cells;                        /* nrows * ncols, malloc'd strings */
	size_t nrows, caprows;
};

struct cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
	if (ncols == 0 || ncols > CLI_TABLE_COLS)
		return NULL;
	struct cli_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	memcpy(t->headers, headers, ncols * sizeof(headers[0]));
	return t;
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* Cells are one line each: line breaks and tabs become spaces. */
static char *cell_dup(const char *s)
{
	char *d = strdup(s && s[0] ? s : "-");
	for (char *p = d; p && *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return d;
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
	if (!t)
		return -ENOMEM;
	char **v = vec_grow(t->cells, &t->caprows, t->nrows, t->ncols * sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	t->cells = v;
	char **row = &t->cells[t->nrows * t->ncols];
	for (size_t c = 0; c < t->ncols; c++) {
		if (!(row[c] = cell_dup(cells[c]))) {
			while (c-- > 0)
				free(row[c]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

/* Writes the first `max` columns of s (UTF-8 code points), padded to `pad` columns. */
static void put_cut(FILE *f, const char *s, size_t max, size_t pad)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++) {
		bool starts = (*p & 0xC0) != 0x80;
		if (starts && w == max)
			break;
		w += starts;
		fputc(*p, f);
	}
	for (; w < pad; w++)
		fputc(' ', f);
}

static void put_row(const struct cli_ctx *ctx, const struct cli_table *t,
		    const char *const *cells, const size_t *width, size_t last_max)
{
	for (size_t c = 0; c < t->ncols; c++) {
		bool last = c + 1 == t->ncols;
		put_cut(ctx->out, cells[c], last ? last_max : width[c], last ? 0 : width[c] + 2);
	}
	fputc('\n', ctx->out);
}

void cli_table_print(const struct cli_ctx *ctx, const struct cli_table *t)
{
	size_t width[CLI_TABLE_COLS], used = 0;
	if (!t) {
		fputs("dcmon: out of memory\n", ctx->err);
		return;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = cli_text_width(t->headers[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = cli_text_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
		if (c + 1 < t->ncols)
			used += width[c] + 2;
	}
	size_t avail = ctx->width > 0 && (size_t)ctx->width > used ? (size_t)ctx->width - used : 0;
	size_t last_max = !ctx->cut ? SIZE_MAX : avail > CLI_TABLE_LAST_MIN ? avail
									    : CLI_TABLE_LAST_MIN;
	put_row(ctx, t, t->headers, width, last_max);
	for (size_t r = 0; r < t->nrows; r++)
		put_row(ctx, t, (const char *const *)&t->cells[r * t->ncols], width, last_max);
}
