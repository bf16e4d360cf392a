/* What moves in a pending or firing alert without a transition -- a silence window
 * opening or closing, a silence added or removed, a suppression found or lost, a
 * breakthrough that ends -- is published as an `updated` event (alert_publish_moved),
 * and a storm of N notifications scans the alerts once, not N times: the scan is
 * skipped while none of its inputs moved (struct alert_moved). */
#include "alert_fixture.h"

#include "alert_int.h"

#define RULES                                                                              \
	"rules:\n"                                                                         \
	"  - name: load\n"                                                                 \
	"    match: {metric: load_percent}\n"                                              \
	"    above: {crit: 90}\n"                                                          \
	"  - name: runtime\n"                                                              \
	"    match: {metric: battery_runtime_seconds}\n"                                   \
	"    below: {warn: 900, crit: 480}\n"                                              \
	"    breaks_through: true\n"                                                       \
	"    time_to_impact: battery_runtime_seconds\n"

#define STORM 200 /* below FX_MAXEV: every notification is recorded */

static int64_t at(int64_t s)
{
	return FX_T0 + s * 1000;
}

/* The `updated` events, beside the fixture's recorder of notifications. */
struct updates {
	int n;
	char device[64], rule[64], suppressed_by[64], breaks_through[64]; /* the last one's */
	int64_t silence_id;
};

static void on_update(void *arg, const struct change *c)
{
	struct updates *u = arg;
	const struct alert_event *ev = alert_event_of(c);
	u->n++;
	snprintf(u->device, sizeof(u->device), "%s", ev->device);
	snprintf(u->rule, sizeof(u->rule), "%s", ev->rule);
	snprintf(u->suppressed_by, sizeof(u->suppressed_by), "%s",
		 ev->suppressed_by ? ev->suppressed_by : "");
	snprintf(u->breaks_through, sizeof(u->breaks_through), "%s",
		 ev->breaks_through ? ev->breaks_through : "");
	u->silence_id = ev->silence_id;
}

static struct fx *start(struct updates *u)
{
	struct fx *f = fx_new(FX_DEVICES RULES, false);
	*u = (struct updates){0};
	assert_int_equal(change_subscribe(f->bus, CHANGE_MASK(CHANGE_ALERT_UPDATE), on_update, u),
			 0);
	return f;
}

/* The facility's input, empty, handed to the engine. */
static struct alert_suppression *supp_input(struct fx *f)
{
	struct alert_suppression *supp = alert_suppression_new();
	assert_non_null(supp);
	alert_engine_suppression_input(f->e, supp);
	return supp;
}

static void supp_end(struct fx *f, struct alert_suppression *supp)
{
	alert_engine_suppression_input(f->e, NULL);
	alert_suppression_free(supp);
	fx_free(f);
}

/* 200 alerts fire at one report each, in the same millisecond: every one is notified,
 * and the alerts were scanned once for what moved (the first notification), not 200
 * times, each over all of them. */
static void test_storm_scans_once(void **state)
{
	(void)state;
	struct updates u;
	struct fx *f = start(&u);
	struct metric *m[STORM];
	for (int i = 0; i < STORM; i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "pdu%03d", i);
		m[i] = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, inst);
		metric_put(f->reg, m[i], at(5), 50);
	}
	uint64_t scans = f->e->moved.scans;
	for (int i = 0; i < STORM; i++)
		metric_put(f->reg, m[i], at(10), 95);
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), STORM);
	assert_int_equal(f->e->moved.scans - scans, 1);
	assert_int_equal(u.n, 0); /* nothing moved */
	/* the tick finds the same: no scan, nothing published */
	alert_engine_tick(f->e, at(11));
	assert_int_equal(f->e->moved.scans - scans, 1);
	assert_int_equal(u.n, 0);
	fx_free(f);
}

/* A silence added, its window opening and closing with time, and removed: each is
 * published for the firing alert it covers, when it happens. */
static void test_silences_move(void **state)
{
	(void)state;
	struct updates u;
	struct fx *f = start(&u);
	struct metric *load = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, load, at(10), 95);
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), 1);
	struct alert_actor bob = {.who = "bob", .origin = "cli"};
	char err[128];
	int64_t now_sid, later_sid;
	struct alert_silence_spec sp = {.match = {.device = (char *)"ups-1"},
					.starts_ms = at(20), .ends_ms = at(30),
					.reason = "battery swap"};
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(20), &now_sid, err,
						  sizeof(err)), 0);
	assert_int_equal(u.n, 1); /* added: told at once */
	assert_int_equal(u.silence_id, now_sid);
	alert_engine_tick(f->e, at(29));
	assert_int_equal(u.n, 1);
	alert_engine_tick(f->e, at(30)); /* its window closed */
	assert_int_equal(u.n, 2);
	assert_int_equal(u.silence_id, 0);

	sp.starts_ms = at(100); /* a window that opens later */
	sp.ends_ms = at(200);
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(40), &later_sid, err,
						  sizeof(err)), 0);
	assert_int_equal(u.n, 2);
	alert_engine_tick(f->e, at(99));
	assert_int_equal(u.n, 2);
	alert_engine_tick(f->e, at(100));
	assert_int_equal(u.n, 3);
	assert_int_equal(u.silence_id, later_sid);
	assert_int_equal(alert_engine_silence_remove(f->e, later_sid, &bob, at(150)), 0);
	assert_int_equal(u.n, 4);
	assert_int_equal(u.silence_id, 0);
	fx_free(f);
}

/* The facility writes a cause for a firing alert's device, rewrites it unchanged (its
 * tick), then takes it away: the cause is published once found and once lost. */
static void test_suppression_moves(void **state)
{
	(void)state;
	struct updates u;
	struct fx *f = start(&u);
	struct alert_suppression *supp = supp_input(f);
	struct metric *load = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, load, at(10), 95);
	assert_int_equal(alert_suppression_set(supp, "ups-2", "utility"), 0);
	alert_engine_tick(f->e, at(11));
	assert_int_equal(u.n, 1);
	assert_string_equal(u.device, "ups-2");
	assert_string_equal(u.suppressed_by, "utility");
	uint64_t gen = alert_suppression_gen(supp);
	assert_int_equal(alert_suppression_set(supp, "ups-2", "utility"), 0);
	assert_int_equal(alert_suppression_gen(supp), gen); /* nothing moved */
	alert_engine_tick(f->e, at(12));
	assert_int_equal(u.n, 1);
	assert_int_equal(alert_suppression_set(supp, "ups-2", NULL), 0);
	alert_engine_tick(f->e, at(13));
	assert_int_equal(u.n, 2);
	assert_string_equal(u.suppressed_by, "");
	supp_end(f, supp);
}

/* A runtime alert broke through the utility's cause while critical; back at warning
 * the copy is told first that it is held now, then its notification says it broke
 * through (it tells the move from critical), and the next look tells it is held. */
static void test_breakthrough_ends(void **state)
{
	(void)state;
	struct updates u;
	struct fx *f = start(&u);
	struct alert_suppression *supp = supp_input(f);
	struct metric *rt = fx_metric(f, "ups-1", "battery_runtime_seconds", METRIC_GAUGE, NULL);
	metric_put(f->reg, rt, at(10), 420); /* critical, no cause yet: told */
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), 1);
	assert_int_equal(alert_suppression_set(supp, "ups-1", "utility"), 0);
	alert_engine_tick(f->e, at(11));
	assert_int_equal(u.n, 1);
	assert_string_equal(u.breaks_through, "utility");
	metric_put(f->reg, rt, at(20), 600); /* warning */
	assert_int_equal(u.n, 2); /* the copy first: held now */
	assert_string_equal(u.breaks_through, "");
	assert_string_equal(u.suppressed_by, "utility");
	assert_int_equal(fx_count(f, ALERT_EV_SEVERITY), 1);
	assert_string_equal(f->ev[f->nev - 1].breaks_through, "utility");
	alert_engine_tick(f->e, at(21));
	assert_int_equal(u.n, 3);
	assert_string_equal(u.rule, "runtime");
	assert_string_equal(u.breaks_through, "");
	assert_string_equal(u.suppressed_by, "utility");
	supp_end(f, supp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storm_scans_once),
		cmocka_unit_test(test_silences_move),
		cmocka_unit_test(test_suppression_moves),
		cmocka_unit_test(test_breakthrough_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
