/* plugin_perf: a Nagios plugin's output split into summary and perfdata; perfdata items
 * with units scaled, quoted labels, "U", threshold ranges and their levels; bad items
 * counted, never read past. */
#include "testing.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"

struct items {
	struct plugin_perf p[8];
	int n;
};

static void collect(void *arg, const struct plugin_perf *p)
{
	struct items *it = arg;
	if (it->n < 8)
		it->p[it->n] = *p;
	it->n++;
}

static void test_split(void **state)
{
	char out[] = "DISK OK - free space |/=20B;30;40;0;50\nlong text line\nmore | x=1 y=2\nz=3\n";
	struct plugin_output po;

	plugin_output_split(out, &po);
	assert_string_equal(po.summary, "DISK OK - free space");
	assert_string_equal(po.perf[0], "/=20B;30;40;0;50");
	assert_string_equal(po.perf[1], "x=1 y=2\nz=3");

	char plain[] = "just text";
	plugin_output_split(plain, &po);
	assert_string_equal(po.summary, "just text");
	assert_null(po.perf[0]);
	assert_null(po.perf[1]);
	char empty[] = "";
	plugin_output_split(empty, &po);
	assert_string_equal(po.summary, "");
}

static void test_units(void **state)
{
	struct items it = {0};
	size_t bad = plugin_perf_parse(
		"time=0.5s ms=250ms 'free space'=10% size=2KB n=7 c=12c u=U", collect, &it);

	assert_int_equal(bad, 0);
	assert_int_equal(it.n, 7);
	assert_string_equal(it.p[0].label, "time");
	assert_int_equal(it.p[0].unit, PU_SECONDS);
	assert_true(it.p[0].value == 0.5);
	assert_true(it.p[1].value == 0.25);
	assert_int_equal(it.p[1].unit, PU_SECONDS);
	assert_string_equal(it.p[2].label, "free space");
	assert_int_equal(it.p[2].unit, PU_PERCENT);
	assert_true(it.p[3].value == 2048);
	assert_int_equal(it.p[3].unit, PU_BYTES);
	assert_int_equal(it.p[4].unit, PU_NONE);
	assert_true(it.p[4].value == 7);
	assert_int_equal(it.p[5].unit, PU_COUNTER);
	assert_true(isnan(it.p[6].value));
}

static void test_bad_items(void **state)
{
	struct items it = {0};
	/* unknown unit, no '=', junk number, empty label, an over-long token */
	char longtok[300];
	memset(longtok, '9', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	char text[512];
	snprintf(text, sizeof(text), "a=1parsecs b c=1x2 =4 d=%s ok=3", longtok);

	size_t bad = plugin_perf_parse(text, collect, &it);
	assert_int_equal(bad, 5);
	assert_int_equal(it.n, 1);
	assert_string_equal(it.p[0].label, "ok");
	assert_true(it.p[0].value == 3);
}

static int level_of(const char *item)
{
	struct items it = {0};
	assert_int_equal(plugin_perf_parse(item, collect, &it), 0);
	assert_int_equal(it.n, 1);
	return plugin_perf_level(&it.p[0]);
}

/* The ranges of the plugin guidelines, in the value's unit. */
static void test_levels(void **state)
{
	assert_int_equal(level_of("t=5;10;20"), 0);    /* outside 0..10 alerts */
	assert_int_equal(level_of("t=15;10;20"), 1);
	assert_int_equal(level_of("t=25;10;20"), 2);
	assert_int_equal(level_of("t=-1;10;20"), 2);   /* below 0 too */
	assert_int_equal(level_of("t=5;10:;5:"), 1);   /* below 10 warns, 5 is not below 5 */
	assert_int_equal(level_of("t=4;10:;5:"), 2);
	assert_int_equal(level_of("t=50;~:40;~:60"), 1);
	assert_int_equal(level_of("t=15;@10:20;"), 1); /* inside alerts with @ */
	assert_int_equal(level_of("t=25;@10:20;"), 0);
	assert_int_equal(level_of("t=1500ms;1000;2000"), 1); /* thresholds in the item's unit */
	assert_int_equal(level_of("t=3;;"), 0);        /* none given */
	struct items it = {0};
	plugin_perf_parse("t=3;;", collect, &it);
	assert_false(it.p[0].warn.set || it.p[0].crit.set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_units),
	    cmocka_unit_test(test_bad_items),
	    cmocka_unit_test(test_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
