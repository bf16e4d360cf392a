/* The shared-string pool: one copy per text, through growth, owned by the pool. */
#include "testing.h"

#include <stdio.h>
#include <string.h>

#include "strpool.h"

static void test_one_copy_per_text(void **state)
{
	struct strpool *p = strpool_new();
	assert_non_null(p);
	char buf[32];
	const char *first[500];
	for (int i = 0; i < 500; i++) { /* grows from 64 slots several times */
		snprintf(buf, sizeof(buf), "name_%d", i);
		first[i] = strpool_get(p, buf);
		assert_non_null(first[i]);
		assert_ptr_not_equal(first[i], buf);
		assert_string_equal(first[i], buf);
	}
	assert_int_equal(strpool_count(p), 500);
	for (int i = 0; i < 500; i++) {
		snprintf(buf, sizeof(buf), "name_%d", i);
		assert_ptr_equal(strpool_get(p, buf), first[i]); /* the same copy after growth */
	}
	assert_int_equal(strpool_count(p), 500);
	const char *empty = strpool_get(p, "");
	assert_string_equal(empty, "");
	assert_ptr_equal(strpool_get(p, ""), empty);
	assert_int_equal(strpool_count(p), 501);
	strpool_free(p);
	strpool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_copy_per_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
