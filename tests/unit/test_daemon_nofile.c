/* dcmond's open files limit: the soft limit is raised to the hard limit at start, so
 * thousands of Modbus TCP links (one descriptor each) do not stop at 1024. */
#include "testing.h"

#include <sys/resource.h>

#include "daemon.h"

/* A soft limit below the hard one (as a login shell or a service manager sets it) ends
 * up equal to the hard limit, and the values before and after are reported. */
static void test_soft_raised_to_hard(void **state)
{
	(void)state;
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max < 64)
		skip();
	rlim_t low = rl.rlim_max / 2 < 1024 ? rl.rlim_max / 2 : 1024;
	rl.rlim_cur = low;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);

	uint64_t was = 0, now = 0;
	assert_int_equal(daemon_raise_nofile(&was, &now), 0);
	assert_int_equal(was, (uint64_t)low);
	assert_int_equal(now, (uint64_t)rl.rlim_max);
	struct rlimit after;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &after), 0);
	assert_int_equal(after.rlim_cur, rl.rlim_max);
	assert_int_equal(after.rlim_max, rl.rlim_max);
}

/* Already at the hard limit: nothing changes and both values are the limit. */
static void test_already_at_hard(void **state)
{
	(void)state;
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);

	uint64_t was = 0, now = 0;
	assert_int_equal(daemon_raise_nofile(&was, &now), 0);
	assert_int_equal(was, (uint64_t)rl.rlim_max);
	assert_int_equal(now, (uint64_t)rl.rlim_max);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_raised_to_hard),
		cmocka_unit_test(test_already_at_hard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
