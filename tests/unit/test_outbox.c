/* The durable outbox of alert events (MQTT's, northbound SNMP's): what it holds survives
 * a reopen, in order, with its incarnation, and a number is never given twice, even
 * after every event was removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "tmpdir.h"

#include "dcmon/outbox.h"

struct seen {
	int64_t seq[8];
	char payload[8][32];
	size_t n;
};

static void collect(void *arg, int64_t seq, const char *payload)
{
	struct seen *s = arg;
	s->seq[s->n] = seq;
	snprintf(s->payload[s->n++], sizeof(s->payload[0]), "%s", payload);
}

static void add(struct outbox *ob, const char *payload)
{
	assert_int_equal(outbox_add(ob, outbox_next_seq(ob), payload), 0);
}

static void test_outbox_survives_a_reopen(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_mqtt_outbox.XXXXXX", path[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mqtt_outbox.db", dir);

	struct outbox *ob = outbox_open(path, "mqtt", err, sizeof(err));
	assert_non_null(ob);
	int64_t inc = outbox_incarnation(ob);
	assert_true(inc > 0);
	assert_int_equal(outbox_next_seq(ob), 1);
	add(ob, "{\"a\":1}");
	add(ob, "{\"a\":2}");
	add(ob, "{\"a\":3}");
	outbox_remove(ob, 1); /* acknowledged */
	outbox_close(ob);

	assert_non_null(ob = outbox_open(path, "mqtt", err, sizeof(err)));
	assert_int_equal(outbox_incarnation(ob), inc);
	assert_int_equal(outbox_count(ob), 2);
	struct seen s = {0};
	assert_int_equal(outbox_load(ob, 0, 8, collect, &s), 2);
	assert_int_equal(s.seq[0], 2);
	assert_string_equal(s.payload[0], "{\"a\":2}");
	assert_int_equal(s.seq[1], 3);
	s.n = 0;
	assert_int_equal(outbox_load(ob, 2, 8, collect, &s), 1); /* after 2 */
	assert_int_equal(s.seq[0], 3);
	outbox_remove(ob, 2);
	outbox_remove(ob, 3);
	outbox_close(ob);

	/* empty now: the sequence still goes on */
	assert_non_null(ob = outbox_open(path, "mqtt", err, sizeof(err)));
	assert_int_equal(outbox_count(ob), 0);
	assert_int_equal(outbox_next_seq(ob), 4);
	outbox_close(ob);

	assert_int_equal(test_tmpdir_remove(dir), 0);
}

static void test_outbox_cannot_open(void **state)
{
	(void)state;
	char err[256] = "";
	assert_null(outbox_open("/nonexistent-dir/x/mqtt_outbox.db", "mqtt", err, sizeof(err)));
	assert_non_null(strstr(err, "mqtt outbox /nonexistent-dir/x/mqtt_outbox.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outbox_survives_a_reopen),
		cmocka_unit_test(test_outbox_cannot_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
