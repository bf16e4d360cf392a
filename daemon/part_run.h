/* Runs the parts' lifecycle (dcmon/part.h) in the lifecycle order, which the
 * descriptors alone decide: a part comes after the parts its `after` names and, a
 * service part, after every stage of the pipeline; between two parts neither rule
 * orders, the list's order stands (docs/ARCHITECTURE.md, "The composition root").
 * The daemon runs dcmon_parts with it; a test, a list of its own.  Loop thread only.
 *
 *     part_run_init(&r, dcmon_parts, states, err, sizeof(err));
 *     part_run_new(&r, &env);                      // start-up
 *     reload: part_run_prepare(&r, &next_env) == 0 ? part_run_commit(&r, &next_env),
 *             ..., part_run_reload(&r, &env, old, PART_RELOAD_EARLY), ...,
 *             part_run_reload(&r, &env, old, PART_RELOAD_LAST)
 *     each second: part_run_tick(&r, &env, now);
 *     exit: part_run_free(&r, PART_STAGE_SERVICE), ..., part_run_free(&r, PART_STAGE_PIPELINE)
 */
#ifndef DCMON_PART_RUN_H
#define DCMON_PART_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "dcmon/part.h"

struct part_run {
	const struct dcmon_part *const *parts; /* NULL-terminated */
	void **states;                 /* each part's state, at its index in parts */
	size_t order[DCMON_PARTS_MAX]; /* indexes into parts, in lifecycle order */
	size_t n;
};

/* Orders parts (states: an array of DCMON_PARTS_MAX, the caller's).  0, or -1 with err
 * filled: more parts than DCMON_PARTS_MAX, an `after` naming a part not in the list,
 * or stages and `after` lists that make a cycle. */
int part_run_init(struct part_run *r, const struct dcmon_part *const *parts, void **states,
		  char *err, size_t errlen);
/* Each part's new, in order: 0, or -1 at the first that fails (the states made so far,
 * and that one's, stay for part_run_free). */
int part_run_new(const struct part_run *r, const struct part_env *env);
/* Each part's prepare with env, the new configuration's: 0; or -1 once one refused,
 * after the parts prepared before it got cancel (logged: the reload is rejected). */
int part_run_prepare(const struct part_run *r, const struct part_env *env);
void part_run_commit(const struct part_run *r, const struct part_env *env);
/* The reload hooks of phase, env holding the new configuration. */
void part_run_reload(const struct part_run *r, const struct part_env *env, const struct cfg *old,
		     enum part_reload_phase phase);
/* Every part's report, then every part's tick. */
void part_run_tick(const struct part_run *r, const struct part_env *env, int64_t now_ms);
void part_run_clock_stepped(const struct part_run *r, int64_t step_ms);
/* The free of every part of stage, in the reverse order; their states become NULL. */
void part_run_free(const struct part_run *r, enum part_stage stage);

#endif
