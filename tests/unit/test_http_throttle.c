/* Failed authorizations per address: 429 after the limit until the window ends, one
 * window per address, a bounded table, and the counts of a summary interval. */
#include "testing.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "http_int.h"

static struct in6_addr addr_v4(const char *text)
{
	struct in6_addr a = {0};
	a.s6_addr[10] = a.s6_addr[11] = 0xff;
	inet_pton(AF_INET, text, &a.s6_addr[12]);
	return a;
}

static void test_limit_then_wait_until_window_ends(void **state)
{
	struct http_throttle *t = http_throttle_new(3, 10000);
	struct in6_addr a = addr_v4("192.0.2.1"), b = addr_v4("192.0.2.2");
	assert_true(http_throttle_fail(t, &a, 1000)); /* the first of the interval */
	assert_int_equal(http_throttle_wait_s(t, &a, 1001), 0);
	assert_false(http_throttle_fail(t, &a, 2000));
	assert_false(http_throttle_fail(t, &a, 3000));
	assert_int_equal(http_throttle_wait_s(t, &a, 3000), 8); /* window 1000..11000 */
	assert_int_equal(http_throttle_wait_s(t, &a, 10500), 1);
	assert_int_equal(http_throttle_wait_s(t, &b, 3000), 0); /* another address is free */
	assert_int_equal(http_throttle_wait_s(t, &a, 11000), 0); /* the window is over */
	assert_false(http_throttle_fail(t, &a, 11000));          /* a new window, 1 failure */
	assert_int_equal(http_throttle_wait_s(t, &a, 11001), 0);
	http_throttle_free(t);
}

static void test_summary_counts_and_restarts(void **state)
{
	struct http_throttle *t = http_throttle_new(2, 60000);
	struct in6_addr a = addr_v4("198.51.100.7"), b = addr_v4("198.51.100.8");
	struct http_throttle_summary s;
	assert_false(http_throttle_take_summary(t, &s));
	for (int i = 0; i < 5; i++)
		if (http_throttle_wait_s(t, &a, 100 + i) == 0)
			http_throttle_fail(t, &a, 100 + i);
	http_throttle_fail(t, &b, 200);
	assert_true(http_throttle_take_summary(t, &s));
	assert_int_equal(s.failed, 3);  /* 2 from a, 1 from b */
	assert_int_equal(s.refused, 3); /* a's last three */
	assert_int_equal(s.addresses, 2);
	assert_int_equal(s.top_hits, 5);
	assert_memory_equal(&s.top, &a, sizeof(a));
	assert_false(http_throttle_take_summary(t, &s)); /* a new interval */
	assert_true(http_throttle_fail(t, &b, 300));     /* whose first failure is b's */
	assert_true(http_throttle_wait_s(t, &a, 400) > 0); /* a's window goes on */
	http_throttle_free(t);
}

/* A client that changes addresses reuses the table: the oldest window goes first. */
static void test_table_is_bounded(void **state)
{
	struct http_throttle *t = http_throttle_new(1, 60000);
	struct in6_addr first = addr_v4("10.0.0.1");
	http_throttle_fail(t, &first, 1);
	assert_true(http_throttle_wait_s(t, &first, 2) > 0);
	char text[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "10.1.%d.%d", i / 256, i % 256);
		struct in6_addr a = addr_v4(text);
		http_throttle_fail(t, &a, 10 + i);
		assert_true(http_throttle_wait_s(t, &a, 10 + i) > 0);
	}
	assert_int_equal(http_throttle_wait_s(t, &first, 2000), 0); /* forgotten */
	http_throttle_free(t);
}

static void test_addr_text(void **state)
{
	char buf[64];
	struct in6_addr a = addr_v4("127.0.0.3"), b;
	http_addr_text(&a, buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.3");
	inet_pton(AF_INET6, "2001:db8::1", &b);
	http_addr_text(&b, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limit_then_wait_until_window_ends),
	    cmocka_unit_test(test_summary_counts_and_restarts),
	    cmocka_unit_test(test_table_is_bounded),
	    cmocka_unit_test(test_addr_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
