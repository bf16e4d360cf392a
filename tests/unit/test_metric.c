/* Metric registry: naming rules, identity, counter rates, staleness, sinks, file keys. */
#include "testing.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/metric.h"
#include "dcmon/strbuf.h"

static void test_name_rules(void **state)
{
	static const struct {
		const char *name;
		enum metric_kind kind;
		bool ok;
		const char *why;
	} cases[] = {
		{"battery_runtime_seconds", METRIC_GAUGE, true, NULL},
		{"fs_used_percent", METRIC_GAUGE, true, NULL},
		{"if_in_bytes_total", METRIC_COUNTER, true, NULL},
		{"output_source", METRIC_STATE, true, NULL},
		{"output_source", METRIC_GAUGE, false, "must end with its unit"},
		{"Battery_seconds", METRIC_GAUGE, false, "lower-case letter"},
		{"battery-runtime_seconds", METRIC_GAUGE, false, "only a-z"},
		{"", METRIC_GAUGE, false, "1..63"},
		{"_seconds", METRIC_GAUGE, false, "lower-case letter"},
		{"1x_seconds", METRIC_GAUGE, false, "lower-case letter"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[200] = "";
		bool ok = metric_name_check(cases[i].name, cases[i].kind, err, sizeof(err));
		assert_int_equal(ok, cases[i].ok);
		if (!ok)
			assert_non_null(strstr(err, cases[i].why));
	}
	char long_name[80];
	memset(long_name, 'a', 70);
	strcpy(long_name + 70, "_seconds");
	char err[200];
	assert_false(metric_name_check(long_name, METRIC_GAUGE, err, sizeof(err)));
}

static void test_identity_and_conflicts(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	struct metric_desc d = {.name = "fs_used_percent", .unit = "percent",
				.kind = METRIC_GAUGE, .inst_label = "mount", .inst = "/var",
				.interval_ms = 10000};
	struct metric *a = metric_reg_get(reg, "web-01", &d);
	assert_non_null(a);
	assert_ptr_equal(metric_reg_get(reg, "web-01", &d), a);
	assert_string_equal(a->key, "fs_used_percent@/var");
	d.inst = "/";
	struct metric *b = metric_reg_get(reg, "web-01", &d);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(metric_reg_find(reg, "web-01", "fs_used_percent", "/var"), a);
	assert_null(metric_reg_find(reg, "web-02", "fs_used_percent", "/var"));
	d.unit = "bytes";
	errno = 0;
	assert_null(metric_reg_get(reg, "web-01", &d));
	assert_int_equal(errno, EEXIST);
	d.name = "Bad";
	assert_null(metric_reg_get(reg, "web-01", &d));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(metric_reg_count(reg), 2);
	assert_ptr_equal(metric_reg_device_first(reg, "web-01"), a);
	assert_ptr_equal(a->next_in_device, b);
	metric_reg_free(reg);
}

/* The key lives in the metric's own allocation: the longest name and instance fit
 * (ASan sees any overrun), one byte more is refused. */
static void test_longest_key(void **state)
{
	char name[METRIC_NAME_MAX], inst[METRIC_INST_MAX + 1];
	char key[METRIC_NAME_MAX + METRIC_INST_MAX + 1];
	memset(name, 'a', sizeof(name) - 1);
	strcpy(name + sizeof(name) - 1 - strlen("_seconds"), "_seconds");
	memset(inst, 'i', METRIC_INST_MAX - 1);
	inst[METRIC_INST_MAX - 1] = '\0';
	struct metric_reg *reg = metric_reg_new();
	struct metric_desc d = {.name = name, .unit = "seconds", .kind = METRIC_GAUGE,
				.inst_label = "x", .inst = inst, .interval_ms = 10000};
	struct metric *m = metric_reg_get(reg, "dev", &d);
	assert_non_null(m);
	snprintf(key, sizeof(key), "%s@%s", name, inst);
	assert_int_equal(strlen(key), METRIC_NAME_MAX - 1 + 1 + METRIC_INST_MAX - 1);
	assert_string_equal(m->key, key);
	assert_string_equal(metric_inst(m), inst);
	assert_ptr_equal(metric_inst(m), m->key + strlen(name) + 1);
	assert_ptr_equal(metric_reg_find(reg, "dev", name, inst), m);
	strcat(inst, "i"); /* METRIC_INST_MAX bytes without the NUL */
	errno = 0;
	assert_null(metric_reg_get(reg, "dev", &d));
	assert_int_equal(errno, EINVAL);
	assert_null(metric_reg_find(reg, "dev", name, inst));
	assert_int_equal(metric_reg_count(reg), 1);
	metric_reg_free(reg);
}

static void test_many_metrics_rehash(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	char inst[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(inst, sizeof(inst), "%d", i);
		struct metric_desc d = {.name = "tcp_connect_seconds", .unit = "seconds",
					.inst_label = "port", .inst = inst};
		assert_non_null(metric_reg_get(reg, i % 2 ? "a" : "b", &d));
	}
	assert_int_equal(metric_reg_count(reg), 5000);
	assert_non_null(metric_reg_find(reg, "a", "tcp_connect_seconds", "4999"));
	assert_null(metric_reg_find(reg, "b", "tcp_connect_seconds", "4999"));
	metric_reg_drop_device(reg, "a");
	assert_int_equal(metric_reg_count(reg), 2500);
	assert_null(metric_reg_find(reg, "a", "tcp_connect_seconds", "4999"));
	assert_null(metric_reg_device_first(reg, "a"));
	metric_reg_free(reg);
}

struct seen {
	int reports, forgets;
	double last_value;
	enum metric_quality last_quality;
};

static void sink_report(void *arg, const struct metric *m)
{
	struct seen *s = arg;
	s->reports++;
	s->last_value = m->value;
	s->last_quality = m->quality;
}

static void sink_forget(void *arg, const struct metric *m)
{
	((struct seen *)arg)->forgets++;
}

static const struct metric_sink test_sink = {.name = "test", .report = sink_report,
					     .forget = sink_forget};

static void test_counter_rate_wrap_and_restart(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	struct seen s = {0};
	assert_int_equal(metric_reg_add_sink(reg, &test_sink, &s), 0);
	struct metric_desc d = {.name = "if_in_bytes_total", .unit = "bytes",
				.kind = METRIC_COUNTER, .interval_ms = 10000};
	struct metric *m = metric_reg_get(reg, "sw", &d);
	metric_put(reg, m, 1000000, 1000);
	assert_true(isnan(m->value));
	assert_int_equal(m->quality, QUALITY_UNKNOWN);
	assert_int_equal(metric_raw_ts_ms(m), 1000000);
	metric_put(reg, m, 1010000, 6000); /* 5000 bytes in 10 s */
	assert_true(fabs(m->value - 500.0) < 1e-9);
	assert_int_equal(m->quality, QUALITY_OK);
	metric_put(reg, m, 1020000, 10); /* wrap or agent restart: no spike */
	assert_true(fabs(m->value - 500.0) < 1e-9);
	assert_int_equal(m->value_ts_ms, 1010000);
	metric_put(reg, m, 1030000, 2010);
	assert_true(fabs(m->value - 200.0) < 1e-9);
	assert_int_equal(s.reports, 4);
	assert_float_equal(metric_raw(m), 2010, 0);
	/* the raw reading's time moves with the wall clock, as the others do */
	metric_reg_clock_stepped(reg, -5000);
	assert_int_equal(metric_raw_ts_ms(m), 1025000);
	assert_int_equal(m->ts_ms, 1025000);
	metric_put(reg, m, 1035000, 3010); /* 1000 bytes in the 10 s that passed */
	assert_true(fabs(m->value - 100.0) < 1e-9);
	/* a gauge keeps no raw reading; a counter's goes with its device */
	struct metric_desc g = {.name = "if_speed_bits_per_second", .unit = "bits_per_second",
				.interval_ms = 10000};
	struct metric *gauge = metric_reg_get(reg, "sw", &g);
	metric_put(reg, gauge, 1035000, 1e9);
	assert_true(isnan(metric_raw(gauge)));
	assert_int_equal(metric_raw_ts_ms(gauge), 0);
	metric_reg_drop_device(reg, "sw");
	assert_int_equal(metric_reg_count(reg), 0);
	metric_reg_free(reg);
}

static void test_errors_nan_and_stale(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	struct seen s = {0};
	metric_reg_add_sink(reg, &test_sink, &s);
	struct metric_desc d = {.name = "supply_air_celsius", .unit = "celsius",
				.interval_ms = 10000};
	struct metric *m = metric_reg_get(reg, "crac-1", &d);
	metric_put(reg, m, 5000, 18.5);
	assert_int_equal(s.last_quality, QUALITY_OK);
	metric_put(reg, m, 15000, NAN);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_string_equal(m->reason, "value is NaN");
	assert_true(fabs(m->value - 18.5) < 1e-9); /* last good value kept for display */
	metric_put_error(reg, m, 16000, "timeout");
	assert_string_equal(m->reason, "timeout");
	metric_put(reg, m, 20000, 19.0);
	assert_int_equal(m->quality, QUALITY_OK);
	assert_string_equal(m->reason, "");
	/* the NaN and the timeout are reports but not values (a bench's "kept up") */
	assert_int_equal(metric_reg_reports(reg), 4);
	assert_int_equal(metric_reg_values(reg), 2);
	assert_int_equal(metric_reg_mark_stale(reg, 20000 + 24000), 0);
	assert_int_equal(metric_reg_mark_stale(reg, 20000 + 26000), 1);
	assert_int_equal(m->quality, QUALITY_STALE);
	assert_int_equal(s.last_quality, QUALITY_STALE);
	assert_int_equal(metric_reg_mark_stale(reg, 20000 + 60000), 0); /* once */
	metric_reg_drop_device(reg, "crac-1");
	assert_int_equal(s.forgets, 1);
	metric_reg_free(reg);
}

static void test_stale_per_metric_interval(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	struct metric_desc fast = {.name = "a_seconds", .unit = "seconds", .interval_ms = 1000};
	struct metric_desc slow = {.name = "b_seconds", .unit = "seconds", .interval_ms = 100000};
	struct metric_desc other = {.name = "c_seconds", .unit = "seconds", .interval_ms = 1000};
	struct metric *a = metric_reg_get(reg, "d1", &fast);
	struct metric *b = metric_reg_get(reg, "d1", &slow);
	struct metric *c = metric_reg_get(reg, "d2", &other);
	metric_put(reg, a, 0, 1);
	metric_put(reg, b, 0, 1);
	metric_put(reg, c, 0, 1);
	assert_int_equal(metric_reg_mark_stale(reg, 2000), 0);
	metric_put(reg, c, 2000, 2); /* d2 keeps reporting */
	assert_int_equal(metric_reg_mark_stale(reg, 3000), 1);
	assert_int_equal(a->quality, QUALITY_STALE);
	assert_int_equal(b->quality, QUALITY_OK);
	assert_int_equal(c->quality, QUALITY_OK);
	assert_int_equal(metric_reg_mark_stale(reg, 200000), 1); /* c went silent too */
	assert_int_equal(c->quality, QUALITY_STALE);
	assert_int_equal(metric_reg_mark_stale(reg, 250001), 1); /* b after 2.5 x 100 s */
	assert_int_equal(b->quality, QUALITY_STALE);
	metric_put(reg, a, 260000, 3); /* fresh again: watched again */
	assert_int_equal(metric_reg_mark_stale(reg, 263000), 1);
	metric_reg_free(reg);
}

static void test_enums_and_file_keys(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	static const struct metric_enum src[] = {{3, "normal"}, {5, "battery"}};
	struct metric_desc d = {.name = "output_source", .kind = METRIC_STATE,
				.enums = src, .nenums = 2};
	struct metric *m = metric_reg_get(reg, "ups-a", &d);
	assert_string_equal(metric_enum_name(m, 5), "battery");
	assert_null(metric_enum_name(m, 4));
	char key[64];
	assert_int_equal(metric_file_key(m, key, sizeof(key)), 0);
	assert_string_equal(key, "output_source");
	struct metric_desc f = {.name = "fs_used_percent", .unit = "percent",
				.inst_label = "mount", .inst = "/var/lib data"};
	m = metric_reg_get(reg, "web", &f);
	assert_int_equal(metric_file_key(m, key, sizeof(key)), 0);
	assert_string_equal(key, "fs_used_percent@%2Fvar%2Flib%20data");
	assert_int_equal(metric_file_key(m, key, 20), -ENAMETOOLONG);
	metric_reg_free(reg);
}

/* What a metric holds of its own and what it shares: names, units, labels and enum
 * names are one copy for all metrics (all but the name in its shape); the instance is
 * read from the key; a reason is kept while it repeats, bounded, and dropped when the
 * metric is OK again. */
static void test_shared_strings_and_reasons(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	static const struct metric_enum src[] = {{3, "normal"}, {5, "battery"}};
	struct metric_desc st = {.name = "output_source", .kind = METRIC_STATE, .enums = src,
				 .nenums = 2};
	struct metric_desc fs = {.name = "fs_used_percent", .unit = "percent",
				 .inst_label = "mount", .inst = "/var", .interval_ms = 10000};
	char name[] = "fs_used_percent"; /* a caller's buffer: the registry keeps no pointer */
	struct metric_desc fs2 = {.name = name, .unit = "percent", .inst_label = "mount",
				  .inst = "/", .interval_ms = 10000};
	struct metric *a = metric_reg_get(reg, "ups-a", &st), *b = metric_reg_get(reg, "ups-b", &st);
	struct metric *c = metric_reg_get(reg, "web", &fs), *d = metric_reg_get(reg, "web", &fs2);
	memset(name, 'x', sizeof(name) - 1);
	assert_ptr_equal(a->name, b->name);
	assert_ptr_equal(a->shape->enums[1].name, b->shape->enums[1].name);
	assert_string_equal(b->shape->enums[1].name, "battery");
	assert_ptr_equal(c->name, d->name);
	assert_string_equal(d->name, "fs_used_percent");
	assert_ptr_equal(c->shape->unit, d->shape->unit);
	assert_ptr_equal(c->shape->inst_label, d->shape->inst_label);
	assert_ptr_equal(c->device, d->device);
	assert_string_equal(c->device, "web");
	assert_string_equal(metric_inst(c), "/var");
	assert_string_equal(metric_inst(d), "/");
	assert_null(metric_inst(a));
	assert_null(a->shape->inst_label);
	/* reasons */
	assert_string_equal(c->reason, "");
	metric_put_error(reg, c, 1000, "timeout");
	const char *kept = c->reason;
	metric_put_error(reg, c, 2000, "timeout");
	assert_ptr_equal(c->reason, kept); /* the same failure poll after poll: no copy */
	char longer[300];
	memset(longer, 'r', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	metric_put_error(reg, c, 3000, longer);
	assert_int_equal(strlen(c->reason), METRIC_REASON_MAX - 1);
	metric_put_error(reg, c, 4000, longer); /* the same once truncated */
	assert_int_equal(strlen(c->reason), METRIC_REASON_MAX - 1);
	metric_put_error(reg, c, 5000, "");
	assert_string_equal(c->reason, "error");
	metric_put(reg, c, 6000, 42);
	assert_string_equal(c->reason, "");
	metric_put_error(reg, d, 6000, "noSuchObject");
	metric_reg_drop_device(reg, "web"); /* frees d with its reason (ASan: no leak) */
	assert_null(metric_reg_find(reg, "web", "fs_used_percent", "/"));
	c = metric_reg_get(reg, "web", &fs); /* the device again: fresh */
	assert_string_equal(c->device, "web");
	assert_int_equal(c->quality, QUALITY_UNKNOWN);
	metric_reg_free(reg);
}

/* Every device's instance of a point shares one shape (unit, label, STATE names,
 * headline place); a new headline place (a profile reloaded) gives the metric the shape
 * with that place and its own names; an interval is bounded to the field's range. */
static void test_shapes_shared(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	static const struct metric_enum src[] = {{3, "normal"}, {5, "battery"}};
	static const struct metric_enum swapped[] = {{5, "normal"}, {3, "battery"}};
	static const struct metric_enum other[] = {{1, "on"}};
	struct metric_desc st = {.name = "output_source", .kind = METRIC_STATE, .enums = src,
				 .nenums = 2, .headline = 1};
	struct metric *a = metric_reg_get(reg, "ups-a", &st), *b = metric_reg_get(reg, "ups-b", &st);
	assert_ptr_equal(a->shape, b->shape);
	assert_string_equal(a->shape->unit, "");
	assert_int_equal(a->shape->nenums, 2);
	assert_int_equal(a->shape->headline, 1);
	st.enums = swapped; /* the same names for other values: another shape */
	struct metric *c = metric_reg_get(reg, "ups-c", &st);
	assert_ptr_not_equal(c->shape, a->shape);
	assert_string_equal(metric_enum_name(c, 5), "normal");
	assert_string_equal(metric_enum_name(a, 5), "battery");
	st.enums = other;
	st.nenums = 1;
	st.headline = 3;
	assert_ptr_equal(metric_reg_get(reg, "ups-b", &st), b);
	assert_int_equal(b->shape->headline, 3);
	assert_int_equal(a->shape->headline, 1);
	assert_int_equal(b->shape->nenums, 2);
	assert_string_equal(metric_enum_name(b, 5), "battery");
	st.headline = 1; /* back to its first place: the first shape again */
	assert_ptr_equal(metric_reg_get(reg, "ups-b", &st), b);
	assert_ptr_equal(b->shape, a->shape);
	struct metric_desc slow = {.name = "uptime_seconds", .unit = "seconds",
				   .interval_ms = 100LL * 24 * 3600 * 1000};
	struct metric *u = metric_reg_get(reg, "ups-a", &slow);
	assert_int_equal(u->interval_ms, METRIC_INTERVAL_MAX_MS);
	slow.interval_ms = -5;
	assert_ptr_equal(metric_reg_get(reg, "ups-a", &slow), u);
	assert_int_equal(u->interval_ms, 0);
	metric_reg_free(reg); /* frees the shapes (ASan: no leak) */
}

/* A note (a log rule's matching lines) is the metric's own copy, kept across reports
 * and errors until replaced or cleared, and freed with the registry. */
static void test_note_kept_across_reports(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	struct metric_desc d = {.name = "log_matches_count", .inst_label = "rule", .inst = "oom"};
	struct metric *m = metric_reg_get(reg, "web", &d);
	char text[] = "kernel: Out of memory: Killed process 42";
	(void)state;
	assert_null(m->note);
	assert_int_equal(metric_set_note(m, text), 0);
	memset(text, 'x', sizeof(text) - 1);
	metric_put(reg, m, 1000, 1);
	metric_put_error(reg, m, 2000, "timeout");
	assert_string_equal(m->note, "kernel: Out of memory: Killed process 42");
	const char *kept = m->note;
	assert_int_equal(metric_set_note(m, "kernel: Out of memory: Killed process 42"), 0);
	assert_ptr_equal(m->note, kept); /* the same text: no copy */
	assert_int_equal(metric_set_note(m, "other"), 0);
	assert_string_equal(m->note, "other");
	assert_int_equal(metric_set_note(m, ""), 0);
	assert_null(m->note);
	assert_int_equal(metric_set_note(m, "freed with the registry"), 0);
	metric_reg_free(reg);
}

/* A note made when read: the source writes it as it is at the read, a text note or
 * another source replaces it (the metric releases it), and the registry releases it
 * with the metric. */
struct counted_note {
	struct metric_note_source src;
	const char *text; /* "" = no note now */
	int released;
};

static void counted_write(const struct metric_note_source *s, struct strbuf *b)
{
	strbuf_appends(b, ((const struct counted_note *)s)->text);
}

static void counted_release(struct metric_note_source *s)
{
	((struct counted_note *)s)->released++;
}

static void test_note_made_when_read(void **state)
{
	struct metric_reg *reg = metric_reg_new();
	struct metric_desc d = {.name = "log_matches_count", .inst_label = "rule", .inst = "oom"};
	struct metric *m = metric_reg_get(reg, "web", &d);
	struct counted_note a = {{counted_write, counted_release}, "", 0};
	struct counted_note z = {{counted_write, counted_release}, "line z", 0};
	struct strbuf b = STRBUF_INIT;
	(void)state;
	strbuf_appends(&b, "mail:");
	assert_false(metric_note_append(m, &b)); /* none yet */
	metric_set_note_source(m, &a.src);
	assert_false(metric_note_append(m, &b)); /* a source with nothing to say */
	assert_string_equal(strbuf_str(&b), "mail:");
	a.text = "line 1"; /* made at the read, as it is then */
	assert_true(metric_note_append(m, &b));
	assert_string_equal(strbuf_str(&b), "mail:line 1");
	metric_set_note_source(m, &a.src); /* the same again: kept */
	assert_int_equal(a.released, 0);
	assert_int_equal(metric_set_note(m, "text"), 0); /* a text note replaces it */
	assert_int_equal(a.released, 1);
	strbuf_reset(&b);
	assert_true(metric_note_append(m, &b));
	assert_string_equal(strbuf_str(&b), "text");
	metric_set_note_source(m, &z.src);
	metric_set_note_source(m, &a.src); /* a source replaces another */
	assert_int_equal(z.released, 1);
	metric_reg_free(reg); /* and goes with the metric */
	assert_int_equal(a.released, 2);
	strbuf_free(&b);
}

/* A sink that keeps nothing per metric takes no slot: three data sinks and one without
 * fit the three slots, each data sink its own, and every sink still gets the reports.
 * The device entry is found from the metric's device id (no pointer of its own): the
 * stale check reads the device's poll interval through it. */
static void test_sink_slots(void **state)
{
	(void)state;
	static const struct metric_sink plain = {.name = "plain", .report = sink_report,
						 .no_slot = true};
	struct metric_reg *reg = metric_reg_new();
	struct seen s[5] = {0};
	assert_int_equal(metric_reg_add_sink(reg, &test_sink, &s[0]), 0);
	assert_int_equal(metric_reg_add_sink(reg, &plain, &s[1]), 0);
	assert_int_equal(metric_reg_add_sink(reg, &test_sink, &s[2]), 1);
	assert_int_equal(metric_reg_add_sink(reg, &test_sink, &s[3]), 2);
	assert_int_equal(metric_reg_add_sink(reg, &test_sink, &s[4]), -ENOSPC);
	struct metric_desc d = {.name = "supply_air_celsius", .unit = "celsius",
				.interval_ms = 10000};
	struct metric *m = metric_reg_get(reg, "crac-1", &d);
	metric_put(reg, m, 5000, 18.5);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s[i].reports, 1);
	assert_int_equal(s[4].reports, 0);
	/* backed off to 60 s: 2 x 10 s without a report is no staleness yet */
	metric_reg_set_poll_interval(reg, "crac-1", 60000);
	assert_int_equal(metric_reg_mark_stale(reg, 5000 + 30000), 0);
	assert_int_equal(m->quality, QUALITY_OK);
	assert_int_equal(metric_reg_mark_stale(reg, 5000 + 160000), 1); /* past 2.5 x 60 s */
	assert_int_equal(m->quality, QUALITY_STALE);
	metric_reg_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_identity_and_conflicts),
		cmocka_unit_test(test_longest_key),
		cmocka_unit_test(test_many_metrics_rehash),
		cmocka_unit_test(test_counter_rate_wrap_and_restart),
		cmocka_unit_test(test_errors_nan_and_stale),
		cmocka_unit_test(test_stale_per_metric_interval),
		cmocka_unit_test(test_enums_and_file_keys),
		cmocka_unit_test(test_shared_strings_and_reasons),
		cmocka_unit_test(test_shapes_shared),
		cmocka_unit_test(test_note_kept_across_reports),
		cmocka_unit_test(test_note_made_when_read),
		cmocka_unit_test(test_sink_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
