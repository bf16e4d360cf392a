/* The ranges of `dcmon discover`: prefixes (v4 without network and broadcast, v6 as is),
 * a-b ranges in both spellings, single addresses, and what is refused. */
#include "testing.h"

#include <errno.h>
#include <string.h>

#include "dcmon/discover.h"

/* The first and last address of s, and its count. */
static void check_range(const char *s, const char *first, const char *last, uint64_t count)
{
	struct discover_range r;
	char err[200] = "", buf[64];

	assert_int_equal(discover_range_parse(s, DISCOVER_RANGE_LARGE_MAX, &r, err, sizeof(err)), 0);
	assert_int_equal(r.count, count);
	discover_range_addr(&r, 0, buf, sizeof(buf));
	assert_string_equal(buf, first);
	discover_range_addr(&r, r.count - 1, buf, sizeof(buf));
	assert_string_equal(buf, last);
}

static void test_prefixes(void **state)
{
	(void)state;
	check_range("10.0.0.0/24", "10.0.0.1", "10.0.0.254", 254);
	check_range("10.0.0.77/24", "10.0.0.1", "10.0.0.254", 254); /* host bits dropped */
	check_range("192.168.1.8/30", "192.168.1.9", "192.168.1.10", 2);
	check_range("192.168.1.8/31", "192.168.1.8", "192.168.1.9", 2);
	check_range("192.168.1.8/32", "192.168.1.8", "192.168.1.8", 1);
	check_range("10.1.0.0/16", "10.1.0.1", "10.1.255.254", 65534);
	check_range("2001:db8::/120", "2001:db8::", "2001:db8::ff", 256);
	check_range("2001:db8::1:0/112", "2001:db8::1:0", "2001:db8::1:ffff", 65536);
}

static void test_spans(void **state)
{
	(void)state;
	check_range("10.0.0.250-10.0.1.5", "10.0.0.250", "10.0.1.5", 12); /* carries a byte */
	check_range("10.0.0.5-50", "10.0.0.5", "10.0.0.50", 46);
	check_range("10.0.0.5-5", "10.0.0.5", "10.0.0.5", 1);
	check_range("10.0.0.5", "10.0.0.5", "10.0.0.5", 1);
	check_range("2001:db8::fe-2001:db8::101", "2001:db8::fe", "2001:db8::101", 4);
	check_range("fe80::1", "fe80::1", "fe80::1", 1);
}

static void check_refused(const char *s, uint64_t max, int rc, const char *why)
{
	struct discover_range r;
	char err[200] = "";

	assert_int_equal(discover_range_parse(s, max, &r, err, sizeof(err)), rc);
	if (!strstr(err, why))
		fail_msg("%s: '%s' does not say '%s'", s, err, why);
}

static void test_refused(void **state)
{
	(void)state;
	check_refused("10.0.0.0/21", DISCOVER_RANGE_MAX, -E2BIG,
		      "10.0.0.0/21 holds 2046 addresses, more than 1024");
	check_refused("10.0.0.0/15", DISCOVER_RANGE_LARGE_MAX, -E2BIG, "more than 65536");
	check_refused("2001:db8::/64", DISCOVER_RANGE_LARGE_MAX, -E2BIG, "more than 65536");
	check_refused("::/0", DISCOVER_RANGE_LARGE_MAX, -E2BIG, "more than 65536");
	check_refused("10.0.0.9-3", DISCOVER_RANGE_MAX, -EINVAL, "ends before it starts");
	check_refused("10.0.0.9-10.0.0.1", DISCOVER_RANGE_MAX, -EINVAL, "ends before it starts");
	check_refused("10.0.0.1-2001:db8::1", DISCOVER_RANGE_MAX, -EINVAL, "same family");
	check_refused("10.0.0.1-256", DISCOVER_RANGE_MAX, -EINVAL, "same family");
	check_refused("10.0.0.0/33", DISCOVER_RANGE_MAX, -EINVAL, "prefix length out of range");
	check_refused("ups.example", DISCOVER_RANGE_MAX, -EINVAL, "not an address");
	check_refused("x-10.0.0.1", DISCOVER_RANGE_MAX, -EINVAL, "x: not an address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
