/* The poller registry: every built-in poller listed once, with a complete ops table. */
#include "testing.h"

#include <string.h>

#include "dcmon/poller.h"

static void test_registry_lists_host_pollers(void **state)
{
	const char *want[] = {"icmp", "tcp", "proc", "resources"};
	size_t n = 0;

	for (; poller_registry[n] != NULL && n < 64; n++) {
		const struct poller_ops *o = poller_registry[n];
		assert_non_null(o->name);
		assert_non_null(o->wants);
		assert_non_null(o->create);
		assert_non_null(o->start);
		assert_non_null(o->cancel);
		assert_non_null(o->free);
		for (size_t j = 0; j < n; j++)
			assert_string_not_equal(poller_registry[j]->name, o->name);
	}
	assert_true(n >= 4 && n < 64);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(poller_registry[i]->name, want[i]);
}

/* A device asking for nothing gets no host-check poller; free(NULL) is a no-op. */
static void test_wants_nothing(void **state)
{
	struct cfg_device dev = {.id = "bare", .host = "127.0.0.1"};

	for (size_t i = 0; i < 4; i++) {
		assert_false(poller_registry[i]->wants(&dev));
		poller_registry[i]->free(NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_lists_host_pollers),
		cmocka_unit_test(test_wants_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
