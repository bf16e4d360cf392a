/* The MQTT publisher's queues with the broker away (a client never connected): state
 * messages only for a change of value or quality, the oldest superseded and counted
 * when the state queue is full, alert events kept up to their bound (the newest beyond
 * it counted as lost), and the kinds that are not asked for left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <mosquitto.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/change.h"
#include "dcmon/loop.h"
#include "mqtt_publish.h"

#define QUEUE 16

struct fixture {
	struct loop *loop;
	struct cfg cfg;
	struct poller_env env;
	struct change_bus *bus;
	struct mosquitto *mosq;
	struct cfg_mqtt_publish pc;
	struct mqtt_pub *pub;
};

/* the shape of the hand-made metrics below (a registry makes it for a real one) */
static const struct metric_shape celsius = {.unit = "celsius"};

static void no_sync(void *arg)
{
	(void)arg;
}

static int setup(void **state)
{
	static struct fixture f;
	static char prefix[] = "dc";
	char err[256];
	memset(&f, 0, sizeof(f));
	mosquitto_lib_init();
	assert_non_null(f.loop = loop_new());
	f.env = (struct poller_env){.loop = f.loop, .cfg = &f.cfg};
	assert_non_null(f.bus = change_bus_new());
	assert_non_null(f.mosq = mosquitto_new("test", true, NULL));
	f.pc = (struct cfg_mqtt_publish){.prefix = prefix, .retain = true, .queue = QUEUE,
					 .events_queue = QUEUE,
					 .kind_mask = 1u << MQTT_PUB_VALUES | 1u << MQTT_PUB_ALERTS};
	assert_non_null(f.pub = mqtt_pub_new(&f.env, &f.pc, f.bus, f.mosq, "node", no_sync, NULL,
					     err, sizeof(err)));
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mqtt_pub_free(f->pub);
	mosquitto_destroy(f->mosq);
	change_bus_free(f->bus);
	loop_free(f->loop);
	mosquitto_lib_cleanup();
	return 0;
}

static void report(struct fixture *f, struct metric *m, enum metric_quality q, double v)
{
	m->quality = q;
	m->value = v;
	m->ts_ms += 1000;
	change_publish(f->bus, &(struct change){.kind = CHANGE_METRIC, .ts_ms = m->ts_ms,
						.device = m->device, .metric = m});
}

static void alert(struct fixture *f, enum alert_event_type type, int64_t id)
{
	struct alert_event ev = {.type = type, .ts_ms = 1000 * id, .alert_id = id, .rule = "r",
				 .device = "d1", .metric = "temperature_celsius",
				 .state = ALERT_FIRING, .severity = SEV_WARNING, .value = 31,
				 .warn = 30, .crit = NAN};
	change_publish(f->bus, &(struct change){.kind = CHANGE_ALERT, .ts_ms = ev.ts_ms,
						.device = ev.device, .alert = &ev});
}

static struct mqtt_pub_stats stats(const struct fixture *f)
{
	struct mqtt_pub_stats st;
	mqtt_pub_stats(f->pub, &st);
	return st;
}

static void test_values_on_change_only(void **state)
{
	struct fixture *f = *state;
	struct metric m = {.device = "d1", .name = "temperature_celsius", .shape = &celsius,
			   .reason = "", .value = NAN};
	struct metric m2 = {.device = "d2", .name = "temperature_celsius", .shape = &celsius,
			    .reason = "", .value = NAN};
	report(f, &m, QUALITY_OK, 21.5);
	report(f, &m, QUALITY_OK, 21.5); /* the same: nothing new to say */
	assert_int_equal(stats(f).values_queued, 1);
	report(f, &m2, QUALITY_OK, 21.5);
	assert_int_equal(stats(f).values_queued, 2);
	/* a metric's message still waiting is replaced by its newer one: one per topic */
	report(f, &m, QUALITY_OK, 22);
	m.reason = "timeout";
	report(f, &m, QUALITY_ERROR, 22); /* the quality moved */
	report(f, &m, QUALITY_ERROR, 23); /* no value while in error: the same again */
	assert_int_equal(stats(f).values_queued, 2);
	assert_int_equal(stats(f).values_dropped, 0);
}

static void test_full_values_queue_supersedes_the_oldest(void **state)
{
	struct fixture *f = *state;
	static struct metric m[QUEUE + 5];
	static char names[QUEUE + 5][16];
	for (int i = 0; i < QUEUE + 5; i++) {
		snprintf(names[i], sizeof(names[i]), "d%d", i);
		m[i] = (struct metric){.device = names[i], .name = "temperature_celsius",
				       .shape = &celsius, .reason = "", .value = NAN};
		report(f, &m[i], QUALITY_OK, i);
	}
	assert_int_equal(stats(f).values_queued, QUEUE);
	assert_int_equal(stats(f).values_dropped, 5);
	/* the first metric's message went: its next one is queued anew, the oldest goes */
	report(f, &m[0], QUALITY_OK, 100);
	assert_int_equal(stats(f).values_dropped, 6);
	/* the last one's still waits: replaced in place */
	report(f, &m[QUEUE + 4], QUALITY_OK, 100);
	assert_int_equal(stats(f).values_dropped, 6);
	assert_int_equal(stats(f).values_queued, QUEUE);
}

/* Beyond the ring, events wait in the outbox (in memory here: no state_dir) and none
 * is lost. */
static void test_events_wait_in_the_outbox_beyond_the_ring(void **state)
{
	struct fixture *f = *state;
	assert_false(mqtt_pub_backlog(f->pub)); /* nothing waits */
	assert_false(mqtt_pub_backlog(NULL));
	for (int i = 1; i <= QUEUE; i++)
		alert(f, ALERT_EV_FIRED, i);
	/* waiting beyond what was handed over (nothing: no broker): the client reads its
	 * acks without a pause (mqtt_client.c pause_reads) */
	assert_true(mqtt_pub_backlog(f->pub));
	alert(f, ALERT_EV_CHANGED, 100); /* kind transitions: not asked for */
	alert(f, ALERT_EV_CURRENT, 101); /* never an event */
	assert_int_equal(stats(f).events_queued, QUEUE);
	assert_int_equal(stats(f).events_dropped, 0);
	alert(f, ALERT_EV_RESOLVED, QUEUE + 1);
	alert(f, ALERT_EV_RESOLVED, QUEUE + 2);
	assert_int_equal(stats(f).events_queued, QUEUE + 2);
	assert_int_equal(stats(f).events_dropped, 0);
	mqtt_pub_acked(f->pub, 1); /* nothing was handed over: no ack frees anything */
	assert_int_equal(stats(f).events_queued, QUEUE + 2);
}

static void test_transitions_when_asked(void **state)
{
	struct fixture *f = *state;
	f->pc.kind_mask = 1u << MQTT_PUB_TRANSITIONS;
	struct metric m = {.device = "d1", .name = "temperature_celsius", .shape = &celsius,
			   .reason = "", .value = NAN};
	report(f, &m, QUALITY_OK, 1);
	alert(f, ALERT_EV_FIRED, 1);
	alert(f, ALERT_EV_CHANGED, 1);
	assert_int_equal(stats(f).values_queued, 0);
	assert_int_equal(stats(f).events_queued, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values_on_change_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_values_queue_supersedes_the_oldest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events_wait_in_the_outbox_beyond_the_ring,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_transitions_when_asked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
