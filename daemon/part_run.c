/* The parts' lifecycle, in order (part_run.h). */
#include "part_run.h"

#include <stdbool.h>
#include <stdio.h>

#include "dcmon/log.h"

/* The index of part in r's list, or n when it is not there. */
static size_t index_of(const struct dcmon_part *const *parts, size_t n,
		       const struct dcmon_part *part)
{
	size_t i = 0;
	while (i < n && parts[i] != part)
		i++;
	return i;
}

/* Whether part i may come once the parts placed[] have: those it names in `after`
 * and, for a service part, every pipeline stage.  -1: an `after` is not in the list. */
static int part_ready(const struct dcmon_part *const *parts, size_t n, size_t i,
		      const bool *placed)
{
	for (const struct dcmon_part *const *a = parts[i]->after; a && *a; a++) {
		size_t k = index_of(parts, n, *a);
		if (k == n)
			return -1;
		if (!placed[k])
			return 0;
	}
	for (size_t k = 0; parts[i]->stage == PART_STAGE_SERVICE && k < n; k++)
		if (parts[k]->stage == PART_STAGE_PIPELINE && !placed[k])
			return 0;
	return 1;
}

/* Each step places the first part of the list that may come; a step that finds none
 * is a cycle. */
int part_run_init(struct part_run *r, const struct dcmon_part *const *parts, void **states,
		  char *err, size_t errlen)
{
	bool placed[DCMON_PARTS_MAX] = {false};
	size_t n = 0;
	*r = (struct part_run){.parts = parts, .states = states};
	while (parts[n])
		if (++n > DCMON_PARTS_MAX) {
			snprintf(err, errlen, "more parts than DCMON_PARTS_MAX (%d)",
				 DCMON_PARTS_MAX);
			return -1;
		}
	for (; r->n < n; r->n++) {
		size_t i = 0;
		int ready = 0;
		while (i < n && (placed[i] || (ready = part_ready(parts, n, i, placed)) == 0))
			i++;
		if (ready < 0) {
			snprintf(err, errlen, "part %s: `after` names a part not in the list",
				 parts[i]->name);
			return -1;
		}
		if (i == n) {
			snprintf(err, errlen, "the parts' stages and `after` lists make a cycle");
			return -1;
		}
		placed[i] = true;
		r->order[r->n] = i;
	}
	return 0;
}

/* The k-th part of the lifecycle order, and its state's slot. */
static const struct dcmon_part *part_at(const struct part_run *r, size_t k)
{
	return r->parts[r->order[k]];
}

static void **state_at(const struct part_run *r, size_t k)
{
	return &r->states[r->order[k]];
}

int part_run_new(const struct part_run *r, const struct part_env *env)
{
	for (size_t k = 0; k < r->n; k++)
		if (part_at(r, k)->new && part_at(r, k)->new(env, state_at(r, k)) < 0)
			return -1;
	return 0;
}

int part_run_prepare(const struct part_run *r, const struct part_env *env)
{
	for (size_t k = 0; k < r->n; k++) {
		const struct dcmon_part *p = part_at(r, k);
		if (!p->prepare || !*state_at(r, k) || p->prepare(env, *state_at(r, k)) == 0)
			continue;
		log_warnx("daemon", NULL, "reload rejected: the %s part refused it; the running "
					  "configuration stays in force", p->name);
		while (k-- > 0)
			if (part_at(r, k)->prepare && part_at(r, k)->cancel && *state_at(r, k))
				part_at(r, k)->cancel(*state_at(r, k));
		return -1;
	}
	return 0;
}

void part_run_commit(const struct part_run *r, const struct part_env *env)
{
	for (size_t k = 0; k < r->n; k++)
		if (part_at(r, k)->commit && *state_at(r, k))
			part_at(r, k)->commit(env, *state_at(r, k));
}

void part_run_reload(const struct part_run *r, const struct part_env *env, const struct cfg *old,
		     enum part_reload_phase phase)
{
	for (size_t k = 0; k < r->n; k++)
		if (part_at(r, k)->reload && part_at(r, k)->reload_phase == phase)
			part_at(r, k)->reload(env, state_at(r, k), old);
}

void part_run_tick(const struct part_run *r, const struct part_env *env, int64_t now_ms)
{
	for (size_t k = 0; k < r->n; k++)
		if (part_at(r, k)->report && *state_at(r, k))
			part_at(r, k)->report(env, *state_at(r, k), now_ms);
	for (size_t k = 0; k < r->n; k++)
		if (part_at(r, k)->tick && *state_at(r, k))
			part_at(r, k)->tick(env, *state_at(r, k), now_ms);
}

void part_run_clock_stepped(const struct part_run *r, int64_t step_ms)
{
	for (size_t k = 0; k < r->n; k++)
		if (part_at(r, k)->clock_stepped && *state_at(r, k))
			part_at(r, k)->clock_stepped(*state_at(r, k), step_ms);
}

void part_run_free(const struct part_run *r, enum part_stage stage)
{
	for (size_t k = r->n; k-- > 0;)
		if (part_at(r, k)->stage == stage && part_at(r, k)->free) {
			part_at(r, k)->free(*state_at(r, k));
			*state_at(r, k) = NULL;
		}
}
