/* The engine's suppression decision: an alert whose rule says `breaks_through` (it
 * shortens the time to impact of its device's cause) is not held by that cause once it
 * fires critical: notified on its own at once, naming the cause and the time to impact,
 * while the device's other alerts stay held; its recovery is told too.  And the words
 * the e-mail, the CLI and the wall give it. */
#include "alert_fixture.h"

#include "alert_int.h"
#include "notify_int.h"

#define RULES_UPS                                                                          \
	"rules:\n"                                                                         \
	"  - name: runtime\n"                                                              \
	"    match: {metric: battery_runtime_seconds}\n"                                   \
	"    below: {warn: 900, crit: 480}\n"                                              \
	"    breaks_through: true\n"                                                       \
	"    time_to_impact: battery_runtime_seconds\n"                                    \
	"  - name: load\n"                                                                 \
	"    match: {metric: load_percent}\n"                                              \
	"    above: {crit: 90}\n"

static int64_t at(int64_t s)
{
	return FX_T0 + s * 1000;
}

struct ups {
	struct fx *f;
	struct alert_suppression *supp; /* the facility's input: ups-1 under the utility */
	struct metric *runtime, *load;
};

static void ups_start(struct ups *u, const char *rules)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml), "%s%s", FX_DEVICES, rules);
	u->f = fx_new(yaml, false);
	u->runtime = fx_metric(u->f, "ups-1", "battery_runtime_seconds", METRIC_GAUGE, NULL);
	u->load = fx_metric(u->f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	u->supp = alert_suppression_new();
	assert_non_null(u->supp);
	alert_engine_suppression_input(u->f->e, u->supp);
}

static void ups_free(struct ups *u)
{
	alert_engine_suppression_input(u->f->e, NULL);
	alert_suppression_free(u->supp);
	fx_free(u->f);
}

/* The view of (rule, ups-1, key), which must exist. */
static struct alert_view view_of(struct ups *u, const char *rule, const char *key)
{
	struct alert_view v;
	assert_int_not_equal(fx_state(u->f, rule, "ups-1", key, at(0), &v), ALERT_OK);
	return v;
}

/* The utility is out, ups-1 on battery: the load alert and a runtime still at warning
 * are held; the runtime turning critical is notified at once (its chain has reported;
 * no two windows of a cause recovering), naming the utility and 420 s to impact; the
 * load alert stays held, and the runtime's recovery is told while the cause stands. */
static void test_breaks_through(void **state)
{
	(void)state;
	struct ups u;
	ups_start(&u, RULES_UPS);
	struct fx *f = u.f;
	assert_int_equal(alert_suppression_set(u.supp, "ups-1", "utility"), 0);
	metric_put(f->reg, u.load, at(10), 95);
	metric_put(f->reg, u.runtime, at(10), 600); /* warning */
	alert_engine_tick(f->e, at(11));
	assert_int_equal(f->nev, 0);
	struct alert_view v = view_of(&u, "runtime", "battery_runtime_seconds");
	assert_int_equal(v.severity, SEV_WARNING);
	assert_string_equal(v.suppressed_by, "utility");
	assert_null(v.breaks_through);

	/* a 3 s settle window, its chain reported since the alert fired */
	assert_int_equal(alert_engine_settle_input(f->e, "ups-1", 3000, at(20)), 0);
	metric_put(f->reg, u.runtime, at(20), 420); /* critical */
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, ALERT_EV_FIRED);
	assert_string_equal(f->ev[0].rule, "runtime");
	assert_int_equal(f->ev[0].severity, SEV_CRITICAL);
	assert_int_equal(f->ev[0].ts_ms, at(20));
	assert_string_equal(f->ev[0].breaks_through, "utility");
	assert_string_equal(f->ev[0].suppressed_by, "");
	assert_true(f->ev[0].time_to_impact_s == 420);
	v = view_of(&u, "runtime", "battery_runtime_seconds");
	assert_null(v.suppressed_by);
	assert_string_equal(v.breaks_through, "utility");
	assert_true(v.time_to_impact_s == 420);
	v = view_of(&u, "load", "load_percent"); /* not declared: still held */
	assert_string_equal(v.suppressed_by, "utility");
	assert_null(v.breaks_through);

	metric_put(f->reg, u.runtime, at(30), 300); /* falling: told once */
	alert_engine_tick(f->e, at(31));
	assert_int_equal(f->nev, 1);
	assert_true(view_of(&u, "runtime", "battery_runtime_seconds").time_to_impact_s == 300);

	metric_put(f->reg, u.runtime, at(40), 1000); /* recovered, the utility still out */
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, ALERT_EV_RESOLVED);
	assert_string_equal(f->ev[1].breaks_through, "utility");

	assert_int_equal(alert_suppression_set(u.supp, "ups-1", NULL), 0); /* utility back */
	alert_engine_tick(f->e, at(41));
	alert_engine_tick(f->e, at(47)); /* two windows after the cause recovered */
	assert_int_equal(f->nev, 3);
	assert_string_equal(f->ev[2].rule, "load"); /* still firing: told now */
	assert_string_equal(f->ev[2].breaks_through, "");
	ups_free(&u);
}

/* Without `breaks_through` the same critical is held like any other; without a cause
 * the rule's alert is an ordinary one (no cause named). */
static void test_not_declared_or_no_cause(void **state)
{
	(void)state;
	struct ups u;
	ups_start(&u, "rules:\n"
		      "  - name: runtime\n"
		      "    match: {metric: battery_runtime_seconds}\n"
		      "    below: {warn: 900, crit: 480}\n");
	struct fx *f = u.f;
	assert_int_equal(alert_suppression_set(u.supp, "ups-1", "utility"), 0);
	metric_put(f->reg, u.runtime, at(10), 420);
	alert_engine_tick(f->e, at(11));
	assert_int_equal(f->nev, 0);
	struct alert_view v = view_of(&u, "runtime", "battery_runtime_seconds");
	assert_string_equal(v.suppressed_by, "utility");
	assert_null(v.breaks_through);
	ups_free(&u);

	ups_start(&u, RULES_UPS);
	f = u.f;
	metric_put(f->reg, u.runtime, at(10), 420);
	assert_int_equal(f->nev, 1);
	assert_string_equal(f->ev[0].breaks_through, "");
	assert_string_equal(f->ev[0].suppressed_by, "");
	v = view_of(&u, "runtime", "battery_runtime_seconds");
	assert_null(v.breaks_through);
	ups_free(&u);
}

/* A root that appears while the alert already fires critical (notified before): not
 * held, its changes told, the cause named from then on (an `updated` event). */
static void test_cause_after_notified(void **state)
{
	(void)state;
	struct ups u;
	ups_start(&u, RULES_UPS);
	struct fx *f = u.f;
	metric_put(f->reg, u.runtime, at(10), 420);
	assert_int_equal(f->nev, 1);
	assert_int_equal(alert_suppression_set(u.supp, "ups-1", "utility"), 0);
	alert_engine_tick(f->e, at(11));
	assert_string_equal(view_of(&u, "runtime", "battery_runtime_seconds").breaks_through,
			    "utility");
	metric_put(f->reg, u.runtime, at(20), 600); /* back to warning: told */
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, ALERT_EV_SEVERITY);
	assert_int_equal(f->ev[1].severity, SEV_WARNING);
	assert_string_equal(f->ev[1].breaks_through, "utility");
	assert_string_equal(f->ev[1].suppressed_by, "");
	ups_free(&u);
}

/* The words: minutes from 2 min on, seconds below, none when unknown. */
static void test_impact_text(void **state)
{
	(void)state;
	char buf[160];
	alert_impact_text("utility", 420, buf, sizeof(buf));
	assert_string_equal(buf, "utility outage: the load goes dark in 7 min");
	alert_impact_text("utility", 479, buf, sizeof(buf));
	assert_string_equal(buf, "utility outage: the load goes dark in 7 min");
	alert_impact_text("utility", 90, buf, sizeof(buf));
	assert_string_equal(buf, "utility outage: the load goes dark in 90 s");
	alert_impact_text("utility", -5, buf, sizeof(buf));
	assert_string_equal(buf, "utility outage: the load goes dark in 0 s");
	alert_impact_text("utility", NAN, buf, sizeof(buf));
	assert_string_equal(buf, "utility outage: the time to impact shortens");
}

/* The e-mail of an alert breaking through: the cause and the time to impact in the
 * subject and a line saying so; its recovery says neither. */
static void test_mail_text(void **state)
{
	(void)state;
	struct alert_event ev = {
		.type = ALERT_EV_FIRED, .alert_id = 7, .rule = "runtime",
		.summary = "UPS battery runtime low", .device = "ups-1",
		.metric = "battery_runtime_seconds", .unit = "seconds", .site = "dc1",
		.state = ALERT_FIRING, .severity = SEV_CRITICAL, .value = 420, .warn = 900,
		.crit = 480, .breaks_through = "utility", .time_to_impact_s = 420};
	struct notify_text_ctx c = {.ev = &ev, .kind = "alert", .suppressed = ""};
	char *subject, *line, *block;
	assert_int_equal(notify_text_item(&c, &subject, &line, &block), 0);
	assert_string_equal(subject,
			    "[dcmon] CRITICAL ups-1: utility outage: the load goes dark in 7 min: UPS "
			    "battery runtime low (battery_runtime_seconds = 420 seconds) at dc1");
	assert_non_null(strstr(block, "\nBreaks through: the suppression under utility (this "
				      "alert shortens the time to its impact)\n"));
	free(subject);
	free(line);
	free(block);
	c.kind = "recovery";
	ev.type = ALERT_EV_RESOLVED;
	assert_int_equal(notify_text_item(&c, &subject, &line, &block), 0);
	assert_string_equal(subject, "[dcmon] RESOLVED ups-1: UPS battery runtime low "
				     "(battery_runtime_seconds = 420 seconds) at dc1");
	assert_null(strstr(block, "Breaks through"));
	free(subject);
	free(line);
	free(block);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_breaks_through),
	    cmocka_unit_test(test_not_declared_or_no_cause),
	    cmocka_unit_test(test_cause_after_notified),
	    cmocka_unit_test(test_impact_text),
	    cmocka_unit_test(test_mail_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
