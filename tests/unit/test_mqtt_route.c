/* The routes' memo of topics (mqtt_route.c): each topic found again with its route and
 * metric, short and long topics alike, in the order remembered or any other, a second
 * value updating it, and its size bounded by the registry's series however many topics
 * arrive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>

#include "mqtt_route.h"

/* Stand-ins for metrics: only their addresses are remembered. */
static char metrics[4000];

static void remember(struct mqtt_routes *r, size_t route, const char *topic, size_t metric,
		     size_t nseries)
{
	mqtt_routes_remember(r, &r->v[route], topic, (struct metric *)&metrics[metric], nseries);
}

/* The metric of topic when the memo has it on route. */
static struct metric *found(struct mqtt_routes *r, size_t route, const char *topic)
{
	const struct mqtt_memo *m = mqtt_routes_memo(r, topic);
	return m && m->route == route ? m->metric : NULL;
}

static void test_topics_found_again(void **state)
{
	(void)state;
	struct mqtt_route routes[2] = {{.filter = "a/+/b/+"}, {.filter = "a/#"}};
	struct mqtt_routes r = {.v = routes, .n = 2};
	char topic[80];
	assert_null(found(&r, 0, "a/d0/b/p0"));
	/* short topics in their slot, and long ones (over MQTT_MEMO_INLINE) on the heap */
	for (size_t i = 0; i < 2000; i++) {
		snprintf(topic, sizeof(topic), i % 2 ? "a/d%zu/b/p%zu" :
			 "a/d%zu/b/a-rather-long-instance-name-of-a-point-p%zu", i / 20, i % 20);
		remember(&r, i % 3 == 0, topic, i, 2000);
	}
	/* in the order remembered (each the one after the last found), then backwards and
	 * every seventh (found by the index) */
	for (size_t pass = 0; pass < 3; pass++)
		for (size_t k = 0; k < 2000; k++) {
			size_t i = pass == 0 ? k : pass == 1 ? 1999 - k : k * 7 % 2000;
			snprintf(topic, sizeof(topic), i % 2 ? "a/d%zu/b/p%zu" :
				 "a/d%zu/b/a-rather-long-instance-name-of-a-point-p%zu", i / 20,
				 i % 20);
			assert_ptr_equal(found(&r, i % 3 == 0, topic), &metrics[i]);
		}
	assert_null(mqtt_routes_memo(&r, "a/d0/b/p0")); /* even: the long form only */
	assert_null(mqtt_routes_memo(&r, "a/d0/b/p"));
	assert_null(mqtt_routes_memo(&r, "a/d0/b/a-rather-long-instance-name-of-a-point-p"));
	remember(&r, 1, "a/d0/b/p1", 7, 2000); /* a new route and metric for a known topic */
	assert_ptr_equal(found(&r, 1, "a/d0/b/p1"), &metrics[7]);
	assert_int_equal(r.nmemo, 2000);
	r.v = NULL; /* not ours to free */
	mqtt_routes_free(&r);
}

/* Topics without end under a wildcard (one metric for them all): the memo stays at 4
 * slots a series, begun anew when half full, and still finds the latest topics. */
static void test_bounded_by_series(void **state)
{
	(void)state;
	struct mqtt_route routes[1] = {{.filter = "a/#"}};
	struct mqtt_routes r = {.v = routes, .n = 1};
	char topic[64];
	for (size_t i = 0; i < 100000; i++) {
		snprintf(topic, sizeof(topic), "a/%zu", i);
		remember(&r, 0, topic, 0, 100);
		assert_true(r.nindex <= 512 && 2 * r.nmemo <= r.nindex);
	}
	assert_int_equal(r.nindex, 512);
	assert_ptr_equal(found(&r, 0, "a/99999"), &metrics[0]);
	r.v = NULL;
	mqtt_routes_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topics_found_again),
		cmocka_unit_test(test_bounded_by_series),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
