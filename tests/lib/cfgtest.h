/* Config tests: a YAML text loaded as a config file, and the check that a config is
 * refused with errors naming the file, line and column. */
#ifndef DCMON_CFGTEST_H
#define DCMON_CFGTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "dcmon/config.h"

/* One error a refused config must hold: at line:col (col 0: any column), with msg in
 * its text. */
struct cfg_want {
	int line, col;
	const char *msg;
};

/* Loads yaml written to a temporary file: the config, or NULL with the diagnostics in
 * d (initialized here; the caller frees both). */
struct cfg *cfgtest_load(const char *yaml, struct cfg_diags *d);

/* Whether yaml is refused with the n errors of want, each an error (not a warning)
 * naming the loaded file: in order and no other when `only`, else anywhere among
 * others.  When not, prints what was wanted and every diagnostic. */
bool cfgtest_refused(const char *yaml, const struct cfg_want *want, size_t n, bool only);

#endif
