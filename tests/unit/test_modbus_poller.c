/* The Modbus poller through its ops, with a real loop, worker pool and metric registry,
 * against the pymodbus peer: four devices (unit ids 1, 2, 3 and 9) behind one gateway.
 * Every decoded value is asserted; unit 9 never answers and costs only its own
 * timeout; unit 2's map has a hole and its request gets split; the server is stopped
 * and restarted; healthy units report in every round. */
#include "testing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/modbus.h"
#include "dcmon/workq.h"
#include "modbus.h"
#include "modbus_peer.h"
#include "pollers.h"

#define NDEV 4
#define ROUND_MS 20000 /* bound for one round of polls */

struct pdev {
	struct cfg_device dev;
	struct cfg_modbus mb;
	void *inst;
	struct poll_job job;
	bool done;
	enum poll_outcome outcome;
	char reason[128];
};

struct fx {
	struct mb_peer peer;
	struct loop *loop;
	struct workq *wq;
	struct metric_reg *reg;
	struct cfg cfg;
	struct poller_env env;
	struct pdev d[NDEV];
	int ndone;
};

static void job_done(struct poll_job *job, enum poll_outcome o, const char *reason)
{
	struct pdev *p = job->owner;

	p->done = true;
	p->outcome = o;
	snprintf(p->reason, sizeof p->reason, "%s", reason ? reason : "");
}

static void dev_init(struct fx *f, int i, const char *id, const char *profile, int unit)
{
	struct pdev *p = &f->d[i];

	p->mb = (struct cfg_modbus){ .host = "127.0.0.1", .port = f->peer.port, .unit = unit,
				     .timeout_ms = 500, .max_gap = 8, .parity = 'E' };
	p->dev = (struct cfg_device){ .id = (char *)id, .profile = (char *)profile,
				      .interval_ms = 10000, .timeout_ms = 5000 };
	*cfg_device_slot(&p->dev, "modbus") = &p->mb;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];

	*state = f; /* cmocka runs the group teardown even when this fails */
	if (!f || mb_peer_start(&f->peer, 0) < 0)
		return -1;
	f->loop = loop_new();
	f->wq = workq_new(f->loop, 2);
	f->reg = metric_reg_new();
	f->cfg.daemon.profiles_dir = DCMON_SOURCE_DIR "/tests/peers";
	f->env = (struct poller_env){ .loop = f->loop, .reg = f->reg, .wq = f->wq,
				      .cfg = &f->cfg };
	dev_init(f, 0, "u1", "fixture-unit1", 1);
	dev_init(f, 1, "u2", "fixture-unit2", 2);
	dev_init(f, 2, "u3", "fixture-unit3", 3);
	dev_init(f, 3, "u9", "fixture-unit3", 9);
	for (int i = 0; i < NDEV; i++) {
		assert_true(modbus_poller.wants(&f->d[i].dev));
		f->d[i].inst = modbus_poller.create(&f->env, &f->d[i].dev, err, sizeof err);
		if (!f->d[i].inst) {
			fprintf(stderr, "create %s: %s\n", f->d[i].dev.id, err);
			return -1;
		}
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	for (int i = 0; i < NDEV; i++)
		modbus_poller.free(f->d[i].inst);
	workq_free(f->wq);
	metric_reg_free(f->reg);
	loop_free(f->loop);
	mb_peer_stop(&f->peer);
	free(f);
	return 0;
}

static bool all_done(void *arg)
{
	struct fx *f = arg;

	for (int i = 0; i < NDEV; i++)
		if (!f->d[i].done)
			return false;
	return true;
}

/* Starts a poll of every device at once and runs until all have reported. */
static void poll_round(struct fx *f)
{
	int64_t now = loop_update_time(f->loop);

	for (int i = 0; i < NDEV; i++) {
		struct pdev *p = &f->d[i];

		p->done = false;
		p->job = (struct poll_job){ .ts_ms = clock_wall_ms(),
					    .deadline_ms = now + p->dev.timeout_ms,
					    .done = job_done, .owner = p };
		modbus_poller.start(p->inst, &p->job);
	}
	assert_true(mb_run_until_fn(f->loop, all_done, f, ROUND_MS));
}

static const struct metric *get(struct fx *f, const char *dev, const char *name,
				const char *inst)
{
	const struct metric *m = metric_reg_find(f->reg, dev, name, inst);

	if (!m)
		fail_msg("no metric %s/%s", dev, name);
	return m;
}

static double value(struct fx *f, const char *dev, const char *name, const char *inst)
{
	const struct metric *m = get(f, dev, name, inst);

	if (m->quality != QUALITY_OK)
		fail_msg("%s/%s: quality %s (%s)", dev, name, metric_quality_name(m->quality),
			 m->reason);
	return m->value;
}

static void assert_unit1(struct fx *f)
{
	static const char *const types[] = { "int16", "uint16", "int32", "uint32", "float32",
					     "int64", "uint64", "float64" };
	static const double want[] = { -1234, 54321, -12345678, 3000000000.0, (double)-273.15f,
				       -1234567890123.0, 1234567890123456.0, 3.141592653589793 };
	static const char *const orders[] = { "abcd", "cdab", "badc", "dcba" };
	char name[64];

	for (int t = 0; t < 8; t++) {
		for (int o = 0; o < 4; o++) {
			snprintf(name, sizeof name, "%s_%s_volts", types[t], orders[o]);
			if (value(f, "u1", name, NULL) != want[t])
				fail_msg("%s = %.17g, want %.17g", name, value(f, "u1", name, NULL),
					 want[t]);
		}
	}
	assert_float_equal(value(f, "u1", "battery_volts", NULL), 27.1, 1e-9);
	assert_float_equal(value(f, "u1", "outside_celsius", NULL), -10.0, 1e-9); /* -40*0.5+10 */
	const struct metric *fuel = get(f, "u1", "fuel_level_percent", NULL);
	assert_int_equal(fuel->quality, QUALITY_ERROR);
	assert_string_equal(fuel->reason, "not available (0xFFFF)");
	const struct metric *flow = get(f, "u1", "flow_liters_per_hour", NULL);
	assert_int_equal(flow->quality, QUALITY_ERROR);
	assert_string_equal(flow->reason, "value is NaN");
	const struct metric *zone = get(f, "u1", "zone_state", NULL);
	assert_true(zone->value == 1);
	assert_string_equal(metric_enum_name(zone, 1), "alarm");
	assert_true(value(f, "u1", "first_alarm", NULL) == 3);  /* 0x3002 bits 15-12 */
	assert_true(value(f, "u1", "fourth_alarm", NULL) == 2); /* bits 3-0 */
	assert_true(value(f, "u1", "bit1_alarm", NULL) == 1);
	assert_string_equal(metric_enum_name(get(f, "u1", "first_alarm", NULL), 3), "shutdown");
	assert_true(value(f, "u1", "pump_state", NULL) == 1);
	assert_true(value(f, "u1", "valve_state", NULL) == 0);
	assert_true(value(f, "u1", "fan_state", NULL) == 1);
	assert_true(value(f, "u1", "door_state", NULL) == 1);
	assert_true(value(f, "u1", "smoke_state", NULL) == 0);
	/* coils and discrete inputs read off/on, so a rule can say values: ["on"] */
	assert_string_equal(metric_enum_name(get(f, "u1", "pump_state", NULL), 1), "on");
	assert_string_equal(metric_enum_name(get(f, "u1", "door_state", NULL), 0), "off");
}

static void assert_unit3(struct fx *f)
{
	char inst[8];

	for (int i = 0; i < 10; i++) {
		snprintf(inst, sizeof inst, "%d", i);
		assert_true(value(f, "u3", "r_count", inst) == 3000 + i);
	}
}

static struct modbus_link_stats link_stats(struct fx *f)
{
	struct modbus_endpoint ep = { .host = "127.0.0.1", .port = f->peer.port };
	struct modbus_link *l = modbus_link_get(f->loop, NULL, &ep);
	struct modbus_link_stats st;

	modbus_link_stats(l, &st);
	modbus_link_put(l);
	return st;
}

static void test_round_values_and_outcomes(void **state)
{
	struct fx *f = *state;
	struct modbus_link_stats st0 = link_stats(f), st1;

	poll_round(f);
	st1 = link_stats(f);
	assert_int_equal(f->d[0].outcome, POLL_PARTIAL); /* the NaN point */
	assert_string_equal(f->d[0].reason, "value is NaN");
	assert_unit1(f);
	assert_int_equal(f->d[1].outcome, POLL_OK);
	assert_true(value(f, "u2", "a_count", NULL) == 111);
	assert_true(value(f, "u2", "b_count", NULL) == 222);
	assert_true(value(f, "u2", "c_count", NULL) == 333);
	assert_int_equal(f->d[2].outcome, POLL_OK);
	assert_unit3(f);
	assert_int_equal(f->d[3].outcome, POLL_UNREACHABLE);
	assert_string_equal(f->d[3].reason, "timeout");
	assert_int_equal(get(f, "u9", "r_count", "0")->quality, QUALITY_ERROR);
	/* On the wire: unit 1 = 2 holding + 1 input + 2 coil (0-1, and 15 past the gap of
	 * 8) + 1 discrete for 49 points; unit 2 = 1 merged (exception) + 3 single;
	 * unit 3 = 1 for 10 points; unit 9 = 1 (timeout). */
	assert_int_equal(st1.requests - st0.requests, 6 + 4 + 1 + 1);
	assert_int_equal(st1.timeouts - st0.timeouts, 1);
}

/* Later rounds: unit 2 stays split (3 requests), healthy units report every round. */
static void test_healthy_units_keep_schedule(void **state)
{
	struct fx *f = *state;

	for (int round = 0; round < 3; round++) {
		struct modbus_link_stats st0 = link_stats(f), st1;
		int64_t before = clock_wall_ms();

		poll_round(f);
		st1 = link_stats(f);
		assert_int_equal(f->d[2].outcome, POLL_OK);
		assert_int_equal(f->d[1].outcome, POLL_OK);
		assert_int_equal(f->d[3].outcome, POLL_UNREACHABLE);
		assert_true(get(f, "u3", "r_count", "9")->value_ts_ms >= before);
		assert_true(get(f, "u2", "c_count", NULL)->value_ts_ms >= before);
		assert_int_equal(st1.requests - st0.requests, 6 + 3 + 1 + 1);
		assert_unit3(f);
	}
}

static void test_server_restart(void **state)
{
	struct fx *f = *state;
	int port = f->peer.port, round;

	mb_peer_stop(&f->peer);
	poll_round(f);
	for (int i = 0; i < NDEV; i++)
		assert_int_equal(f->d[i].outcome, POLL_UNREACHABLE);
	assert_int_equal(get(f, "u3", "r_count", "0")->quality, QUALITY_ERROR);
	assert_int_equal(mb_peer_start(&f->peer, port), 0);
	for (round = 0; round < 100; round++) {
		poll_round(f);
		if (f->d[2].outcome == POLL_OK)
			break;
		bool never = false;
		mb_run_until(f->loop, &never, 100);
	}
	assert_int_equal(f->d[2].outcome, POLL_OK);
	assert_int_equal(f->d[0].outcome, POLL_PARTIAL);
	assert_unit1(f);
	assert_unit3(f);
}

static void test_cancel_midpoll(void **state)
{
	struct fx *f = *state;
	struct pdev *p = &f->d[3];
	int64_t now = loop_update_time(f->loop);

	p->done = false;
	p->job = (struct poll_job){ .ts_ms = clock_wall_ms(), .deadline_ms = now + 5000,
				    .done = job_done, .owner = p };
	modbus_poller.start(p->inst, &p->job); /* unit 9: waits for its timeout */
	modbus_poller.cancel(p->inst);
	bool never = false;
	mb_run_until(f->loop, &never, 700); /* past the 500 ms request timeout */
	assert_false(p->done);
	modbus_poller.cancel(p->inst); /* idle: no-op */
}

static void test_create_errors(void **state)
{
	struct fx *f = *state;
	struct cfg_modbus mb = { .host = "127.0.0.1", .port = 1, .unit = 1, .max_gap = 8 };
	struct cfg_device dev = { .id = "bad", .profile = "no-such-profile",
				  .interval_ms = 1000, .timeout_ms = 1000 };
	*cfg_device_slot(&dev, "modbus") = &mb;
	char err[256];

	assert_null(modbus_poller.create(&f->env, &dev, err, sizeof err));
	assert_non_null(strstr(err, "no-such-profile.yaml"));
	dev.profile = NULL;
	assert_null(modbus_poller.create(&f->env, &dev, err, sizeof err));
	assert_non_null(strstr(err, "needs a profile"));
	dev.profile = "fixture-unit3";
	mb.host = NULL;
	assert_null(modbus_poller.create(&f->env, &dev, err, sizeof err));
	assert_non_null(strstr(err, "needs host"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_values_and_outcomes),
		cmocka_unit_test(test_healthy_units_keep_schedule),
		cmocka_unit_test(test_server_restart),
		cmocka_unit_test(test_cancel_midpoll),
		cmocka_unit_test(test_create_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
