/* Config tests (cfgtest.h). */
#include "cfgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testing.h"

static char loaded_path[64];

struct cfg *cfgtest_load(const char *yaml, struct cfg_diags *d)
{
	snprintf(loaded_path, sizeof(loaded_path), "/tmp/dcmon-cfgtest-XXXXXX");
	int fd = mkstemp(loaded_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	cfg_diags_init(d);
	struct cfg *cfg = cfg_load(loaded_path, d);
	unlink(loaded_path);
	return cfg;
}

static bool diag_is(const struct cfg_diag *g, const struct cfg_want *w)
{
	return !g->warning && g->pos.line == w->line && (!w->col || g->pos.col == w->col) &&
	       strstr(g->msg, w->msg) && g->pos.file && strcmp(g->pos.file, loaded_path) == 0;
}

static bool diag_present(const struct cfg_diags *d, const struct cfg_want *w)
{
	for (size_t i = 0; i < d->n; i++)
		if (diag_is(&d->v[i], w))
			return true;
	return false;
}

static bool diags_match(const struct cfg_diags *d, const struct cfg_want *want, size_t n,
			bool only)
{
	if (only && (d->nerrors != n || d->n < n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (only ? !diag_is(&d->v[i], &want[i]) : !diag_present(d, &want[i]))
			return false;
	return true;
}

bool cfgtest_refused(const char *yaml, const struct cfg_want *want, size_t n, bool only)
{
	struct cfg_diags d;
	struct cfg *cfg = cfgtest_load(yaml, &d);
	bool ok = !cfg && diags_match(&d, want, n, only);
	if (!ok) {
		printf("config refused %s with:\n", only ? "only" : "among others");
		for (size_t i = 0; i < n; i++)
			printf("  %d:%d %s\n", want[i].line, want[i].col, want[i].msg);
		printf("got%s:\n", cfg ? " (loaded)" : "");
		cfg_diags_print(&d, stdout);
	}
	cfg_free(cfg);
	cfg_diags_free(&d);
	return ok;
}
