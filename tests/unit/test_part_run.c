/* The parts' lifecycle in order (daemon/part_run.h): the order comes from the
 * descriptors' stage and `after` alone, whatever the list's order; a reload that one
 * part refuses cancels the parts prepared before it and commits none; each second
 * every part's report comes before any part's tick; the service parts are freed
 * before the pipeline's stages.  And the daemon's own list: the engine and the
 * facility before every service part, the event store's report before the engine's
 * tick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/alerting.h"
#include "dcmon/event.h"
#include "dcmon/facility.h"
#include "part_run.h"

static char calls[1024]; /* "new:c new:b ...": what the hooks were called with */
static const char *refuse; /* the part whose prepare refuses, or NULL */

static void called(const char *hook, const char *part)
{
	size_t n = strlen(calls);
	snprintf(calls + n, sizeof(calls) - n, "%s%s:%s", n ? " " : "", hook, part);
}

/* A part's state is its name (start sets it). */
static int new_hook(const struct part_env *env, void **state)
{
	(void)env;
	(void)state;
	return 0;
}

static int prepare_hook(const struct part_env *env, void *state)
{
	(void)env;
	called("prepare", state);
	return refuse && strcmp(refuse, state) == 0 ? -1 : 0;
}
static void commit_hook(const struct part_env *env, void *state)
{
	(void)env;
	called("commit", state);
}
static void cancel_hook(void *state)
{
	called("cancel", state);
}
static void reload_hook(const struct part_env *env, void **state, const struct cfg *old)
{
	(void)env;
	(void)old;
	called("reload", *state);
}
static void report_hook(const struct part_env *env, void *state, int64_t now_ms)
{
	(void)env;
	(void)now_ms;
	called("report", state);
}
static void tick_hook(const struct part_env *env, void *state, int64_t now_ms)
{
	(void)env;
	(void)now_ms;
	called("tick", state);
}
static void free_hook(void *state)
{
	called("free", state);
}

#define HOOKS .new = new_hook, .prepare = prepare_hook, .commit = commit_hook, \
	      .cancel = cancel_hook, .reload = reload_hook, .free = free_hook

extern const struct dcmon_part pipe_c;
static const struct dcmon_part *const after_c[] = {&pipe_c, NULL};
static const struct dcmon_part svc_a = {.name = "a", HOOKS, .tick = tick_hook};
static const struct dcmon_part pipe_b = {.name = "b", HOOKS, .stage = PART_STAGE_PIPELINE,
					 .after = after_c, .reload_phase = PART_RELOAD_EARLY};
static const struct dcmon_part svc_d = {.name = "d", HOOKS, .report = report_hook};
const struct dcmon_part pipe_c = {.name = "c", HOOKS, .stage = PART_STAGE_PIPELINE,
				  .tick = tick_hook};

static void *states[DCMON_PARTS_MAX];
static const struct part_env env; /* what the hooks get: nothing they read */
/* A list in an order that no rule follows. */
static const struct dcmon_part *const list[] = {&svc_a, &pipe_b, &svc_d, &pipe_c, NULL};

/* Orders parts, each with its name as its state (what its new would have made). */
static void start(struct part_run *r, const struct dcmon_part *const *parts)
{
	char err[128] = "";
	memset(states, 0, sizeof(states));
	assert_int_equal(part_run_init(r, parts, states, err, sizeof(err)), 0);
	for (size_t i = 0; parts[i]; i++)
		states[i] = (void *)parts[i]->name;
	calls[0] = '\0';
	refuse = NULL;
}

/* The names in lifecycle order, "c b a d". */
static const char *order_of(const struct part_run *r)
{
	static char s[128];
	s[0] = '\0';
	for (size_t k = 0; k < r->n; k++) {
		size_t n = strlen(s);
		snprintf(s + n, sizeof(s) - n, "%s%s", k ? " " : "", r->parts[r->order[k]]->name);
	}
	return s;
}

static void test_order_from_descriptors(void **state)
{
	(void)state;
	struct part_run r;
	const struct dcmon_part *const reversed[] = {&pipe_c, &svc_d, &pipe_b, &svc_a, NULL};
	start(&r, list);
	assert_string_equal(order_of(&r), "c b a d");
	start(&r, reversed); /* the services' order is the list's: nothing orders them */
	assert_string_equal(order_of(&r), "c b d a");
}

static void test_cycles_and_strangers_refused(void **state)
{
	(void)state;
	/* a pipeline stage after a service part: the service waits for every stage */
	static const struct dcmon_part *const after_a[] = {&svc_a, NULL};
	static const struct dcmon_part late = {.name = "late", .stage = PART_STAGE_PIPELINE,
					       .after = after_a};
	const struct dcmon_part *const loop[] = {&svc_a, &late, NULL};
	const struct dcmon_part *const stranger[] = {&pipe_b, NULL}; /* its c is not listed */
	struct part_run r;
	char err[128] = "";
	assert_int_equal(part_run_init(&r, loop, states, err, sizeof(err)), -1);
	assert_string_equal(err, "the parts' stages and `after` lists make a cycle");
	assert_int_equal(part_run_init(&r, stranger, states, err, sizeof(err)), -1);
	assert_string_equal(err, "part b: `after` names a part not in the list");
}

static void test_refused_prepare_cancels_and_commits_none(void **state)
{
	(void)state;
	struct part_run r;
	start(&r, list);
	refuse = "a";
	assert_int_equal(part_run_prepare(&r, &env), -1);
	assert_string_equal(calls, "prepare:c prepare:b prepare:a cancel:b cancel:c");
	calls[0] = '\0';
	refuse = NULL;
	assert_int_equal(part_run_prepare(&r, &env), 0);
	part_run_commit(&r, &env);
	assert_string_equal(calls, "prepare:c prepare:b prepare:a prepare:d "
				   "commit:c commit:b commit:a commit:d");
}

static void test_reload_phases(void **state)
{
	(void)state;
	struct part_run r;
	start(&r, list);
	part_run_reload(&r, &env, NULL, PART_RELOAD_EARLY);
	assert_string_equal(calls, "reload:b");
	calls[0] = '\0';
	part_run_reload(&r, &env, NULL, PART_RELOAD_LAST);
	assert_string_equal(calls, "reload:c reload:a reload:d");
}

static void test_reports_before_ticks(void **state)
{
	(void)state;
	struct part_run r;
	start(&r, list);
	part_run_tick(&r, &env, 1000);
	assert_string_equal(calls, "report:d tick:c tick:a");
}

static void test_services_freed_before_stages(void **state)
{
	(void)state;
	struct part_run r;
	start(&r, list);
	part_run_free(&r, PART_STAGE_SERVICE);
	assert_string_equal(calls, "free:d free:a");
	assert_null(states[0]);
	assert_non_null(states[1]);
	part_run_free(&r, PART_STAGE_PIPELINE);
	assert_string_equal(calls, "free:d free:a free:b free:c");
	assert_null(states[1]);
}

/* The position of part in r's lifecycle order. */
static size_t rank(const struct part_run *r, const struct dcmon_part *part)
{
	for (size_t k = 0; k < r->n; k++)
		if (r->parts[r->order[k]] == part)
			return k;
	fail_msg("%s is not in the order", part->name);
	return 0;
}

static void test_daemon_parts(void **state)
{
	(void)state;
	struct part_run r;
	void *slots[DCMON_PARTS_MAX] = {0};
	char err[128] = "";
	assert_int_equal(part_run_init(&r, dcmon_parts, slots, err, sizeof(err)), 0);
	assert_true(rank(&r, &alerting_part) < rank(&r, &facility_part));
	for (size_t k = 0; k < r.n; k++)
		if (r.parts[r.order[k]]->stage == PART_STAGE_SERVICE)
			assert_true(k > rank(&r, &facility_part));
	/* the event store's self-metrics are a report, the engine's work a tick: the store's
	 * come first each second */
	assert_non_null(events_part.report);
	assert_null(alerting_part.report);
	assert_non_null(alerting_part.tick);
	/* the rules are compiled in prepare, which may refuse; the facility reloads before
	 * the scheduler takes the new devices */
	assert_non_null(alerting_part.prepare);
	assert_int_equal(facility_part.reload_phase, PART_RELOAD_EARLY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_from_descriptors),
		cmocka_unit_test(test_cycles_and_strangers_refused),
		cmocka_unit_test(test_refused_prepare_cancels_and_commits_none),
		cmocka_unit_test(test_reload_phases),
		cmocka_unit_test(test_reports_before_ticks),
		cmocka_unit_test(test_services_freed_before_stages),
		cmocka_unit_test(test_daemon_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
