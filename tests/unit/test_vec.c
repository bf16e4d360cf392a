/* vec_grow: the array kept while there is room, doubled when full, the first size for
 * an empty one, and an overflowing size refused with the array left whole. */
#include "testing.h"

#include <stdint.h>
#include <stdlib.h>

#include "dcmon/vec.h"

static void test_grows_by_doubling(void **state)
{
	(void)state;
	int *v = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 100; i++) {
		int *g = vec_grow(v, &cap, n, sizeof(*v), 8);
		assert_non_null(g);
		if (n < 8)
			assert_int_equal(cap, 8);
		v = g;
		v[n++] = i;
	}
	assert_int_equal(cap, 128);
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i], i);
	assert_ptr_equal(vec_grow(v, &cap, 100, sizeof(*v), 8), v); /* room: the same array */
	free(v);
}

static void test_overflow_refused(void **state)
{
	(void)state;
	size_t cap = SIZE_MAX / 16 + 1, n = cap;
	char *v = malloc(4);

	assert_non_null(v);
	assert_null(vec_grow(v, &cap, n, 16, 8));
	assert_int_equal(cap, SIZE_MAX / 16 + 1); /* left as it was, v still the caller's */
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_by_doubling),
		cmocka_unit_test(test_overflow_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
