#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "dcmon/metric.h"
static void test_nothing(void **state)
{
	(void)state;
	assert_int_equal(METRIC_NAME_MAX, 64);
}
int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_nothing)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
