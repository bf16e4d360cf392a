/* Scheduler: spreading, backoff, no overlapping polls, a hung device never delays others.
 * The pollers here are scripted test pollers: what is under test is the scheduling. */
#include "testing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/loop.h"
#include "dcmon/scheduler.h"

/* ---- arithmetic --------------------------------------------------------------- */

static void test_spread_offsets(void **state)
{
	int buckets[10] = {0};
	char id[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "dev-%d", i);
		int64_t off = sched_spread_offset(id, 10000);
		assert_true(off >= 0 && off < 10000);
		assert_int_equal(off, sched_spread_offset(id, 10000));
		buckets[off / 1000]++;
	}
	for (int b = 0; b < 10; b++) /* 200 expected per second of the interval */
		assert_in_range(buckets[b], 120, 280);
	assert_int_equal(sched_spread_offset("x", 0), 0);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* 2000 devices every 10 s start on at most 10000 / 50 + 1 instants of the grid,
 * each within its interval (plus one step) of now, still spread over every second;
 * an interval off the grid keeps the bare offset. */
static void test_first_due_on_grid(void **state)
{
	enum { N = 2000 };
	int64_t due[N], now = 123457; /* not on the grid */
	int buckets[10] = {0};
	char id[32];
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "dev-%d", i);
		due[i] = sched_first_due(id, now, 10000, 50);
		assert_in_range(due[i] - now, 0, 10000 + 49);
		assert_true(due[i] >= now + sched_spread_offset(id, 10000));
		buckets[((due[i] - now) / 1000) % 10]++;
		assert_int_equal(sched_first_due(id, now, 10001, 50), now + sched_spread_offset(id, 10001));
		assert_int_equal(sched_first_due(id, now, 10000, 1000) % 1000, 0); /* a passive grid */
		assert_in_range(sched_first_due(id, now, 10000, 1000) - now, 0, 10000 + 999);
	}
	qsort(due, N, sizeof(due[0]), cmp_i64);
	size_t distinct = 1;
	for (int i = 1; i < N; i++)
		distinct += due[i] != due[i - 1];
	assert_in_range(distinct, 150, 10000 / 50 + 1); /* now is off the grid */
	for (int i = 1; i < N; i++) /* every instant on one grid: differences are steps */
		assert_int_equal((due[i] - due[0]) % 50, 0);
	for (int b = 0; b < 10; b++)
		assert_in_range(buckets[b], 120, 280);
	(void)state;
}

static void test_backoff(void **state)
{
	static const struct {
		int failures;
		int64_t expect;
	} cases[] = {{0, 10000}, {1, 10000}, {2, 20000}, {3, 40000}, {4, 80000}, {5, 80000},
		     {50, 80000}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sched_backoff_interval(10000, cases[i].failures, 8),
				 cases[i].expect);
	assert_int_equal(sched_backoff_interval(10000, 3, 1), 10000);
}

static void test_next_due_skips_missed_slots(void **state)
{
	uint64_t skipped;
	assert_int_equal(sched_next_due(1000, 1500, 1000, &skipped), 2000);
	assert_int_equal(skipped, 0);
	assert_int_equal(sched_next_due(1000, 2000, 1000, &skipped), 3000);
	assert_int_equal(skipped, 1);
	assert_int_equal(sched_next_due(1000, 5500, 1000, &skipped), 6000);
	assert_int_equal(skipped, 4);
}

/* ---- scripted pollers ------------------------------------------------------------ */

enum script { SCRIPT_OK, SCRIPT_HANG, SCRIPT_UNREACHABLE };

struct test_inst {
	enum script script;
	struct poll_job *job;
	int started, cancelled, overlaps;
	int64_t last_start;
	struct loop *loop;
	const char *id;
};

static bool t_wants(const struct cfg_device *dev)
{
	return true;
}

static void *t_create(const struct poller_env *env, const struct cfg_device *dev, char *err,
		      size_t errlen)
{
	struct test_inst *t = calloc(1, sizeof(*t));
	t->script = dev->description && strcmp(dev->description, "hang") == 0 ? SCRIPT_HANG
		    : dev->description && strcmp(dev->description, "down") == 0
			? SCRIPT_UNREACHABLE
			: SCRIPT_OK;
	t->loop = env->loop;
	return t;
}

static void finish_later(struct loop *loop, void *arg)
{
	struct test_inst *t = arg;
	struct poll_job *job = t->job;
	t->job = NULL;
	poll_job_done(job, t->script == SCRIPT_OK ? POLL_OK : POLL_UNREACHABLE,
		      t->script == SCRIPT_OK ? NULL : "timeout");
}

static void t_start(void *inst, struct poll_job *job)
{
	struct test_inst *t = inst;
	if (t->job)
		t->overlaps++;
	t->job = job;
	t->started++;
	if (t->script != SCRIPT_HANG)
		loop_timer_add(t->loop, 5, finish_later, t);
}

static void t_cancel(void *inst)
{
	struct test_inst *t = inst;
	t->cancelled++;
	t->job = NULL;
}

static struct test_inst *last_inst[3];
static int ninst;

static void t_free(void *inst)
{
	free(inst);
}

static void *t_create_rec(const struct poller_env *env, const struct cfg_device *dev,
			  char *err, size_t errlen)
{
	void *p = t_create(env, dev, err, errlen);
	last_inst[ninst++] = p;
	return p;
}

static const struct poller_ops test_ops = {.name = "test", .wants = t_wants,
					   .create = t_create_rec, .start = t_start,
					   .cancel = t_cancel, .free = t_free};
static const struct poller_ops *const test_pollers[] = {&test_ops, NULL};

static void stop_loop(struct loop *loop, void *arg)
{
	loop_stop(loop);
}

static void test_hung_device_does_not_delay_others(void **state)
{
	struct loop *loop = loop_new();
	struct cfg cfg = {.daemon = {.max_backoff_factor = 8}};
	struct poller_env env = {.loop = loop, .cfg = &cfg};
	struct cfg_device ok = {.id = "ok", .interval_ms = 50, .timeout_ms = 20};
	struct cfg_device hang = {.id = "hang", .interval_ms = 50, .timeout_ms = 20,
				  .description = "hang"};
	struct cfg_device down = {.id = "down", .interval_ms = 50, .timeout_ms = 20,
				  .description = "down"};
	struct sched *s = sched_new(&env, test_pollers);
	char err[100];
	ninst = 0;
	assert_int_equal(sched_add(s, &ok, NULL, err, sizeof(err)), 0);
	assert_int_equal(sched_add(s, &hang, NULL, err, sizeof(err)), 0);
	assert_int_equal(sched_add(s, &down, NULL, err, sizeof(err)), 0);
	assert_int_equal(sched_add(s, &ok, NULL, err, sizeof(err)), -EEXIST);
	loop_timer_add(loop, 1000, stop_loop, NULL);
	loop_run(loop);

	const struct dev_status *st_ok = sched_status(s, "ok");
	const struct dev_status *st_hang = sched_status(s, "hang");
	const struct dev_status *st_down = sched_status(s, "down");
	/* the healthy device polled every slot: none skipped, none overlapping */
	assert_true(st_ok->polls >= 10);
	assert_int_equal(st_ok->overruns, 0);
	assert_int_equal(st_ok->state, DEV_STATE_UP);
	assert_int_equal(last_inst[0]->overlaps, 0);
	/* the hung one: cut by the watchdog, never two polls at once, slots skipped */
	assert_int_equal(last_inst[1]->overlaps, 0);
	assert_true(last_inst[1]->cancelled >= 1);
	assert_true(st_hang->overruns >= 1);
	assert_int_equal(st_hang->state, DEV_STATE_DEGRADED);
	assert_non_null(strstr(st_hang->reason, "did not finish"));
	/* the unreachable one: backed off */
	assert_int_equal(st_down->state, DEV_STATE_UNREACHABLE);
	assert_true(st_down->failures >= 2);
	assert_int_equal(st_down->interval_ms, sched_backoff_interval(50, st_down->failures, 8));
	assert_true(st_down->polls < st_ok->polls);
	assert_string_equal(st_down->reason, "test: timeout");

	assert_int_equal(sched_poll_now(s, "nope"), -ENOENT);
	sched_remove(s, "hang");
	assert_null(sched_status(s, "hang"));
	assert_int_equal(sched_count(s), 2);
	sched_free(s);
	loop_free(loop);
}

/* A passive poller's devices (poller_ops.start_grid_ms) start on its coarser grid: 20
 * devices every second start in at most 3 wake-ups (a 500 ms grid over one interval and
 * a step), against many on the scheduler's own 50 ms grid. */
static int64_t first_start[2][20];

static void g_start(int which, void *inst, struct poll_job *job)
{
	struct test_inst *t = inst;
	int k = (int)(strtol(t->id, NULL, 10));
	if (!first_start[which][k])
		first_start[which][k] = loop_now_ms(t->loop);
	poll_job_done(job, POLL_OK, NULL);
}
static void g_start_passive(void *inst, struct poll_job *job) { g_start(0, inst, job); }
static void g_start_fine(void *inst, struct poll_job *job) { g_start(1, inst, job); }

static void *g_create(const struct poller_env *env, const struct cfg_device *dev, char *err,
		      size_t errlen)
{
	struct test_inst *t = t_create(env, dev, err, errlen);
	t->id = dev->id;
	return t;
}

static size_t distinct_starts(int which)
{
	int64_t v[20];
	memcpy(v, first_start[which], sizeof(v));
	qsort(v, 20, sizeof(v[0]), cmp_i64);
	size_t n = 1;
	assert_true(v[0] > 0); /* every device started */
	for (int i = 1; i < 20; i++)
		n += v[i] != v[i - 1];
	return n;
}

static void test_passive_poller_grid(void **state)
{
	static const struct poller_ops passive = {.name = "passive", .wants = t_wants,
						  .create = g_create, .start = g_start_passive,
						  .cancel = t_cancel, .free = t_free,
						  .start_grid_ms = 500};
	static const struct poller_ops fine = {.name = "fine", .wants = t_wants,
					       .create = g_create, .start = g_start_fine,
					       .cancel = t_cancel, .free = t_free};
	static const struct poller_ops *const passive_list[] = {&passive, NULL};
	static const struct poller_ops *const fine_list[] = {&fine, NULL};
	struct loop *loop = loop_new();
	struct cfg cfg = {.daemon = {.max_backoff_factor = 8}};
	struct poller_env env = {.loop = loop, .cfg = &cfg};
	static struct cfg_device devs[20];
	static char ids[20][8];
	struct sched *sp = sched_new(&env, passive_list), *sf = sched_new(&env, fine_list);
	char err[100];
	memset(first_start, 0, sizeof(first_start));
	for (int i = 0; i < 20; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%d", i);
		devs[i] = (struct cfg_device){.id = ids[i], .interval_ms = 1000, .timeout_ms = 100};
		assert_int_equal(sched_add(sp, &devs[i], NULL, err, sizeof(err)), 0);
		assert_int_equal(sched_add(sf, &devs[i], NULL, err, sizeof(err)), 0);
	}
	loop_timer_add(loop, 1700, stop_loop, NULL);
	loop_run(loop);
	assert_in_range(distinct_starts(0), 1, 3);
	assert_in_range(distinct_starts(1), 5, 20); /* about 14; fewer if the loop woke late */
	sched_free(sp);
	sched_free(sf);
	loop_free(loop);
}

static void count_done(void *arg, const char *id)
{
	int *n = arg;
	if (strcmp(id, "ups") == 0)
		(*n)++;
}

/* The start hook: called once per poll, when the device is already polling and its
 * last poll time is that poll's (before the poller runs: what it reports comes after). */
struct starts {
	struct sched *s;
	int n;
	bool polling_at_start;
	int started_before_hook; /* the poller's count when the hook ran */
};

static void count_start(void *arg, const char *id)
{
	struct starts *k = arg;
	if (strcmp(id, "ups") != 0)
		return;
	k->n++;
	k->polling_at_start = sched_polling(k->s, id);
	k->started_before_hook = last_inst[0]->started;
}

/* A re-poll asked for while a poll runs (a trap arriving mid-poll) is not dropped: a
 * new poll follows the running one; the done hook sees every poll end. */
static void test_repoll_while_busy(void **state)
{
	struct loop *loop = loop_new();
	struct cfg cfg = {.daemon = {.max_backoff_factor = 8}};
	struct poller_env env = {.loop = loop, .cfg = &cfg};
	struct cfg_device ups = {.id = "ups", .interval_ms = 3600000, .timeout_ms = 20};
	struct sched *s = sched_new(&env, test_pollers);
	char err[100];
	int done = 0;
	ninst = 0;
	sched_set_done_hook(s, count_done, &done);
	struct starts starts = {.s = s};
	assert_int_equal(sched_add(s, &ups, NULL, err, sizeof(err)), 0);
	sched_set_start_hook(s, count_start, &starts);
	assert_false(sched_polling(s, "ups"));
	int before = last_inst[0]->started; /* 0 unless the spread offset is 0 */
	assert_int_equal(sched_poll_now(s, "ups"), 0);
	assert_true(sched_polling(s, "ups"));
	assert_int_equal(starts.n, 1);
	assert_true(starts.polling_at_start);
	assert_int_equal(starts.started_before_hook, before); /* the poller not yet run */
	assert_int_equal(sched_poll_now(s, "ups"), 0); /* busy: queued, not dropped */
	assert_int_equal(last_inst[0]->started, before + 1);
	loop_timer_add(loop, 200, stop_loop, NULL);
	loop_run(loop);
	assert_int_equal(last_inst[0]->started, before + 2);
	assert_int_equal(last_inst[0]->overlaps, 0);
	assert_int_equal(done, last_inst[0]->started);
	assert_int_equal(starts.n, 2); /* the queued poll too */
	assert_false(sched_polling(s, "ups"));
	assert_int_equal(sched_status(s, "ups")->polls, (uint64_t)done);
	sched_free(s);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_offsets),
		cmocka_unit_test(test_first_due_on_grid),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_next_due_skips_missed_slots),
		cmocka_unit_test(test_repoll_while_busy),
		cmocka_unit_test(test_hung_device_does_not_delay_others),
		cmocka_unit_test(test_passive_poller_grid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
