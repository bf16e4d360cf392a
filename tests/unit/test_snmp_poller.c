/* The SNMP poller against real agents: snmpsim serving our UPS recordings, a silent
 * port, through the poller's ops with a real loop and metric registry. */
#include "testing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"
#include "alert_int.h"
#include "dcmon/alert.h"
#include "snmp_int.h"
#include "snmp_peer.h"
#include "snmp_poll.h"

struct fx {
	struct snmp_fx x;
	struct snmp_peer sim;
	struct snmp_peer hole;
};

#define poll_once(f, inst, r, dl) snmp_fx_poll(&(f)->x, inst, r, dl)
#define create(f, dev) snmp_fx_create(&(f)->x, dev)
#define val(f, d, n, i) snmp_fx_val(&(f)->x, d, n, i)
#define headline(f, d, n, i) metric_reg_find((f)->x.reg, d, n, i)->shape->headline
#define dev_init snmp_dev_init
#define run snmp_run

static int setup(void **state)
{
	static const char *const recs[] = {"ups-mains", "ups-battery", "pdu", "env-sensor", "ups-bad",
					   "abb-powerscale", "switch-sensors", NULL};
	struct fx *f = calloc(1, sizeof(*f));

	*state = f; /* cmocka runs the group teardown even when this fails */
	snmp_fx_init(&f->x);
	if (peer_snmpsim_start(&f->sim, recs) < 0 || peer_blackhole_start(&f->hole) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	peer_stop(&f->sim);
	peer_stop(&f->hole);
	snmp_fx_fini(&f->x);
	free(f);
	return 0;
}

static void test_ups_on_mains(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-a", "ups-mains", f->sim.port, "ups-rfc1628");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(val(f, "ups-a", "battery_status_state", NULL), 2, 0);
	assert_string_equal(metric_enum_name(metric_reg_find(f->x.reg, "ups-a", "battery_status_state", NULL), 2), "normal");
	assert_float_equal(val(f, "ups-a", "battery_runtime_seconds", NULL), 2520, 1e-9);
	assert_float_equal(val(f, "ups-a", "battery_charge_percent", NULL), 100, 1e-9);
	assert_float_equal(val(f, "ups-a", "battery_voltage_volts", NULL), 54.5, 1e-9);
	assert_float_equal(val(f, "ups-a", "battery_current_amperes", NULL), -1.2, 1e-9);
	assert_float_equal(val(f, "ups-a", "battery_temperature_celsius", NULL), 27, 1e-9);
	assert_float_equal(val(f, "ups-a", "input_voltage_volts", "1"), 230, 1e-9);
	assert_float_equal(val(f, "ups-a", "input_voltage_volts", "3"), 229, 1e-9);
	assert_float_equal(val(f, "ups-a", "input_frequency_hertz", "2"), 49.9, 1e-9);
	assert_float_equal(val(f, "ups-a", "input_current_amperes", "3"), 13.1, 1e-9);
	assert_float_equal(val(f, "ups-a", "input_power_watts", "2"), 2650, 1e-9);
	assert_float_equal(val(f, "ups-a", "output_source_state", NULL), 3, 0);
	assert_float_equal(val(f, "ups-a", "output_frequency_hertz", NULL), 50.0, 1e-9);
	assert_float_equal(val(f, "ups-a", "output_voltage_volts", "1"), 230, 1e-9);
	assert_float_equal(val(f, "ups-a", "output_current_amperes", "1"), 34.7, 1e-9);
	assert_float_equal(val(f, "ups-a", "output_power_watts", "1"), 7800, 1e-9);
	assert_float_equal(val(f, "ups-a", "output_load_percent", "1"), 39, 1e-9);
	assert_float_equal(val(f, "ups-a", "alarms_present_count", NULL), 0, 0);
	assert_float_equal(val(f, "ups-a", "alarm_active_state", "on_battery"), 0, 0);
	assert_float_equal(val(f, "ups-a", "alarm_active_state", "other"), 0, 0);
	assert_float_equal(val(f, "ups-a", "test_result_state", NULL), 1, 0);
	assert_float_equal(val(f, "ups-a", "config_low_battery_time_seconds", NULL), 300, 1e-9);
	/* the profile's headline: source, load, charge, runtime */
	assert_int_equal(headline(f, "ups-a", "output_source_state", NULL), 1);
	assert_int_equal(headline(f, "ups-a", "output_load_percent", "1"), 2);
	assert_int_equal(headline(f, "ups-a", "battery_runtime_seconds", NULL), 4);
	assert_int_equal(headline(f, "ups-a", "battery_voltage_volts", NULL), 0);
	/* The second poll reads the cached rows by GET and finds the same values. */
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(val(f, "ups-a", "input_voltage_volts", "2"), 231, 1e-9);
	assert_float_equal(val(f, "ups-a", "input_line_bads_total", NULL), 0, 1e-9);
	snmp_poller.free(inst);
}

static void test_ups_on_battery_alarms(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-b", "ups-battery", f->sim.port, "ups-rfc1628");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(val(f, "ups-b", "output_source_state", NULL), 5, 0);
	assert_string_equal(metric_enum_name(metric_reg_find(f->x.reg, "ups-b", "output_source_state", NULL), 5), "battery");
	assert_float_equal(val(f, "ups-b", "battery_status_state", NULL), 3, 0);
	assert_float_equal(val(f, "ups-b", "battery_on_battery_seconds", NULL), 754, 1e-9);
	assert_float_equal(val(f, "ups-b", "battery_runtime_seconds", NULL), 240, 1e-9);
	assert_float_equal(val(f, "ups-b", "battery_charge_percent", NULL), 18, 1e-9);
	assert_float_equal(val(f, "ups-b", "battery_current_amperes", NULL), 38.5, 1e-9);
	assert_float_equal(val(f, "ups-b", "input_voltage_volts", "1"), 0, 1e-9);
	assert_float_equal(val(f, "ups-b", "alarms_present_count", NULL), 2, 0);
	assert_float_equal(val(f, "ups-b", "alarm_active_state", "low_battery"), 1, 0);
	assert_float_equal(val(f, "ups-b", "alarm_active_state", "input_bad"), 1, 0);
	assert_float_equal(val(f, "ups-b", "alarm_active_state", "on_battery"), 0, 0);
	assert_float_equal(val(f, "ups-b", "alarm_active_state", "other"), 0, 0);
	snmp_poller.free(inst);
}

static void test_profile_by_sysobjectid(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-auto", "ups-mains", f->sim.port, NULL);
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(val(f, "ups-auto", "battery_runtime_seconds", NULL), 2520, 1e-9);
	snmp_poller.free(inst);
}

static void test_dead_agent_is_unreachable(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-dead", "public", f->hole.port, "ups-rfc1628");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_UNREACHABLE);
	assert_string_equal(r.reason, "timeout");
	struct metric *m = metric_reg_find(f->x.reg, "ups-dead", "battery_runtime_seconds", NULL);
	assert_non_null(m);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_string_equal(m->reason, "timeout");
	snmp_poller.free(inst);
}

/* A wrong community makes snmpsim stay silent: the same as a dead agent, and the
 * other devices polled meanwhile still answer within their own poll. */
static void test_wrong_community_times_out(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-wrong", "no-such-community", f->sim.port, "ups-rfc1628");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_UNREACHABLE);
	snmp_poller.free(inst);
}

static const char *reason_of(struct fx *f, const char *dev, const char *name, const char *inst)
{
	struct metric *m = metric_reg_find(f->x.reg, dev, name, inst);
	assert_non_null(m);
	assert_int_equal(m->quality, QUALITY_ERROR);
	return m->reason;
}

static bool runs_done(void *arg)
{
	struct snmp_run **r = arg;

	return r[0]->done && r[1]->done;
}

/* With one request slot over all devices, a dead device's request holds it (300 ms
 * timeout) while a second device's poll starts with the given deadline; the loop runs
 * until both ended.  Returns the second device's instance. */
static struct snmp_dev *poll_behind_dead(struct fx *f, const char *id, int64_t deadline_ms,
					 struct snmp_run *rd, struct snmp_run *rl)
{
	static struct cfg_device dd, dl;
	static struct cfg_snmp sd, sl;
	struct snmp_run *runs[] = {rd, rl};

	dev_init(&dd, &sd, "ups-slot-holder", "public", f->hole.port, "ups-rfc1628");
	dev_init(&dl, &sl, id, "ups-mains", f->sim.port, "ups-rfc1628");
	struct snmp_dev *dead = create(f, &dd), *live = create(f, &dl);
	snmp_fetch_set_global_cap(1);
	loop_update_time(f->x.loop);
	snmp_fx_start(&f->x, dead, rd, 4000, false);
	snmp_fx_start(&f->x, live, rl, deadline_ms, false);
	/* the second poll waits for the slot and has taken no working memory */
	bool waited = live->gate.waiting, bare = live->vals == NULL;
	bool dead_began = dead->vals != NULL;
	snmp_fx_run_until(&f->x, runs_done, runs);
	snmp_fetch_set_global_cap(512);
	snmp_poller.free(dead);
	assert_true(waited);
	assert_true(bare);
	assert_true(dead_began);
	assert_int_equal(rd->done, 1);
	assert_int_equal(rl->done, 1);
	assert_int_equal(rd->outcome, POLL_UNREACHABLE);
	assert_false(live->gate.waiting);
	assert_null(live->vals); /* given back at the end */
	return live;
}

/* A poll that found no free request slot begins when the slot frees and reads its
 * device as usual. */
static void test_poll_waits_for_a_slot(void **state)
{
	struct fx *f = *state;
	struct snmp_run rd, rl;
	struct snmp_dev *live = poll_behind_dead(f, "ups-behind", 4000, &rd, &rl);

	assert_int_equal(rl.outcome, POLL_OK);
	assert_float_equal(val(f, "ups-behind", "battery_runtime_seconds", NULL), 2520, 1e-9);
	assert_float_equal(val(f, "ups-behind", "input_voltage_volts", "3"), 229, 1e-9);
	snmp_poller.free(live);
}

/* Its deadline comes before a slot: its points fail as those of a poll that sent and
 * was not answered in time. */
static void test_poll_deadline_before_a_slot(void **state)
{
	struct fx *f = *state;
	struct snmp_run rd, rl;
	struct snmp_dev *live = poll_behind_dead(f, "ups-late", 100, &rd, &rl);

	assert_int_equal(rl.outcome, POLL_UNREACHABLE);
	assert_string_equal(rl.reason, "poll deadline exceeded");
	assert_string_equal(reason_of(f, "ups-late", "battery_runtime_seconds", NULL),
			    "poll deadline exceeded");
	snmp_poller.free(live);
}

/* Wrong types, absent objects and absurd values are each that point's error; the
 * rest of the device reads normally. */
static void test_bad_values_are_point_errors(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-bad", "ups-bad", f->sim.port, "ups-rfc1628");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_string_equal(r.reason, "4 point(s) failed");
	assert_string_equal(reason_of(f, "ups-bad", "battery_charge_percent", NULL),
			    "string where a number was expected");
	assert_string_equal(reason_of(f, "ups-bad", "battery_voltage_volts", NULL),
			    "OID where a number was expected");
	assert_string_equal(reason_of(f, "ups-bad", "battery_current_amperes", NULL),
			    "not supported by this agent");
	assert_string_equal(reason_of(f, "ups-bad", "battery_temperature_celsius", NULL),
			    "value 4000 out of the valid range");
	assert_string_equal(reason_of(f, "ups-bad", "output_load_percent", "1"),
			    "value -5 out of the valid range");
	assert_float_equal(val(f, "ups-bad", "battery_runtime_seconds", NULL), 2520, 1e-9);
	snmp_poller.free(inst);
}

/* What the agent learned about a point of the device's profile. */
static enum snmp_support support_of(void *inst, const char *metric)
{
	struct snmp_dev *d = inst;

	for (size_t i = 0; i < d->prof->npoints; i++)
		if (strcmp(d->prof->points[i].metric, metric) == 0)
			return d->ps[i].support;
	fail_msg("no point %s", metric);
	return SNMP_SUPPORT_UNKNOWN;
}

/* A real UPS card (ABB PowerScale, LibreNMS recording) leaves out optional UPS-MIB
 * objects: they are learned as not supported, are not polled, and the device is not
 * degraded; an absent alarm table is not an all-clear. */
static void test_optional_objects_not_supported(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;
	static const char *const absent[] = {"input_line_bads_total", "alarms_present_count",
					     "test_result_state", "config_low_battery_time_seconds",
					     NULL};

	dev_init(&dev, &s, "ups-abb", "abb-powerscale", f->sim.port, "ups-rfc1628");
	void *inst = create(f, &dev);
	for (int poll = 0; poll < 2; poll++) {
		poll_once(f, inst, &r, 5000);
		assert_int_equal(r.outcome, POLL_OK);
		for (size_t i = 0; absent[i]; i++) {
			assert_string_equal(reason_of(f, "ups-abb", absent[i], NULL),
					    "not supported by this agent");
			assert_int_equal(support_of(inst, absent[i]), SNMP_SUPPORT_NO);
		}
		assert_string_equal(reason_of(f, "ups-abb", "input_current_amperes", "2"),
				    "not supported by this agent");
		assert_string_equal(reason_of(f, "ups-abb", "alarm_active_state", "on_battery"),
				    "not supported by this agent");
		assert_string_equal(reason_of(f, "ups-abb", "alarm_active_state", "other"),
				    "not supported by this agent");
		assert_int_equal(support_of(inst, "input_power_watts"), SNMP_SUPPORT_NO);
		assert_int_equal(support_of(inst, "battery_status_state"), SNMP_SUPPORT_YES);
	}
	assert_float_equal(val(f, "ups-abb", "battery_status_state", NULL), 2, 0);
	assert_float_equal(val(f, "ups-abb", "battery_on_battery_seconds", NULL), 0, 0);
	assert_float_equal(val(f, "ups-abb", "battery_runtime_seconds", NULL), 452 * 60, 1e-9);
	assert_float_equal(val(f, "ups-abb", "battery_charge_percent", NULL), 100, 0);
	assert_float_equal(val(f, "ups-abb", "battery_voltage_volts", NULL), 434.8, 1e-9);
	assert_float_equal(val(f, "ups-abb", "battery_current_amperes", NULL), 0, 0);
	assert_float_equal(val(f, "ups-abb", "battery_temperature_celsius", NULL), 0, 0);
	assert_float_equal(val(f, "ups-abb", "input_frequency_hertz", "1"), 50, 1e-9);
	assert_float_equal(val(f, "ups-abb", "input_voltage_volts", "3"), 238, 0);
	assert_float_equal(val(f, "ups-abb", "output_source_state", NULL), 3, 0);
	assert_float_equal(val(f, "ups-abb", "output_frequency_hertz", NULL), 50, 1e-9);
	assert_float_equal(val(f, "ups-abb", "output_voltage_volts", "2"), 230, 0);
	assert_float_equal(val(f, "ups-abb", "output_current_amperes", "2"), 0.8, 1e-9);
	assert_float_equal(val(f, "ups-abb", "output_power_watts", "1"), 0, 0);
	assert_float_equal(val(f, "ups-abb", "output_load_percent", "3"), 4, 0);
	snmp_poller.free(inst);
}

/* A point that answered before and now fails degrades the device; one never
 * implemented is asked again after an agent restart (sysUpTime back) and on the long
 * re-check interval. */
static void test_unsupported_rechecked(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-re", "ups-bad", f->sim.port, "ups-rfc1628");
	s.recheck_unsupported_ms = 30000; /* three polls of 10 s */
	struct snmp_dev *d = create(f, &dev);
	poll_once(f, d, &r, 5000);
	assert_int_equal(support_of(d, "battery_current_amperes"), SNMP_SUPPORT_NO);
	assert_int_equal(d->points_unsupported, 1);
	d->uptime = 1e12; /* the next reading of sysUpTime (123456) goes back */
	poll_once(f, d, &r, 5000);
	assert_true(d->recheck_due);
	assert_int_equal(d->points_unsupported, 1);
	poll_once(f, d, &r, 5000); /* asked again, found absent again */
	assert_false(d->recheck_due);
	assert_int_equal(d->polls_since_recheck, 0);
	assert_int_equal(support_of(d, "battery_current_amperes"), SNMP_SUPPORT_NO);
	for (int i = 1; i < 3; i++) {
		poll_once(f, d, &r, 5000);
		assert_int_equal(d->polls_since_recheck, i);
	}
	poll_once(f, d, &r, 5000); /* the third poll since: the interval re-checks */
	assert_int_equal(d->polls_since_recheck, 0);
	assert_int_equal(support_of(d, "battery_current_amperes"), SNMP_SUPPORT_NO);
	assert_string_equal(r.reason, "4 point(s) failed");
	snmp_poller.free(d);
}

/* Absent is absent: an agent with no hrStorage rows has no memory reading (not 0),
 * and that does not degrade it. */
static void test_empty_aggregate_is_absent(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "abb-host", "abb-powerscale", f->sim.port, "host-resources");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_string_equal(reason_of(f, "abb-host", "memory_total_bytes", NULL),
			    "no rows to aggregate");
	assert_string_equal(reason_of(f, "abb-host", "memory_used_bytes", NULL),
			    "no rows to aggregate");
	assert_string_equal(reason_of(f, "abb-host", "memory_used_percent", NULL),
			    "no rows to aggregate");
	assert_float_equal(val(f, "abb-host", "cpu_used_percent", NULL), 17, 0);
	snmp_poller.free(inst);
}

/* Sensors with an empty entPhysicalName keep one instance each: entPhysicalDescr, else
 * the index; two rows of one name get their index appended.  Values do not move
 * between instances from poll to poll. */
static void test_entity_instances_unique(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "sw-1", "switch-sensors", f->sim.port, "entity-sensor");
	void *inst = create(f, &dev);
	for (int poll = 0; poll < 2; poll++) {
		poll_once(f, inst, &r, 5000);
		assert_int_equal(r.outcome, POLL_OK);
		assert_float_equal(val(f, "sw-1", "sensor_temperature_celsius",
				       "Transceiver(slot:1-port:1) Temperature Sensor"), 35, 0);
		assert_float_equal(val(f, "sw-1", "sensor_temperature_celsius",
				       "ASIC Temperature Sensor"), 62, 0);
		assert_float_equal(val(f, "sw-1", "sensor_temperature_celsius", "22"), 41, 0);
		assert_float_equal(val(f, "sw-1", "sensor_temperature_celsius", "Temp #23"), 53.2,
				   1e-9);
		assert_float_equal(val(f, "sw-1", "sensor_temperature_celsius", "Temp #24"), 65.5,
				   1e-9);
		assert_float_equal(val(f, "sw-1", "sensor_temperature_celsius", "Inlet"), 24, 0);
		assert_null(metric_reg_find(f->x.reg, "sw-1", "sensor_temperature_celsius", "-"));
		assert_null(metric_reg_find(f->x.reg, "sw-1", "sensor_temperature_celsius", "Temp"));
	}
	snmp_poller.free(inst);
}

/* The highest warn level of the entity-sensor rules that apply to a temperature
 * instance (NaN if none). */
static double temp_warn_for(const struct cfg_rule *rules, size_t n, const char *inst)
{
	double warn = NAN;

	for (size_t i = 0; i < n; i++)
		if (selector_match(&rules[i].match, NULL, "sw-1", "sensor_temperature_celsius", inst) &&
		    (isnan(warn) || rules[i].warn < warn))
			warn = rules[i].warn;
	return warn;
}

/* Rules scoped by meaning: ASHRAE inlet limits for inlet/intake/ambient sensors only;
 * a chip at 62 C is judged by component limits. */
static void test_entity_rules_scoped(void **state)
{
	struct cfg_diags d;
	struct cfg_rule *rules = NULL;
	size_t n = 0;

	(void)state;
	cfg_diags_init(&d);
	struct cfgnode *root = cfgnode_load_file(DCMON_SOURCE_DIR "/etc/profiles/entity-sensor.yaml", &d);
	assert_non_null(root);
	assert_int_equal(alert_rules_decode(cfgnode_get(root, "rules"), &rules, &n, &d), 0);
	assert_float_equal(temp_warn_for(rules, n, "Inlet"), 27, 0);
	assert_float_equal(temp_warn_for(rules, n, "Front inlet air temperature"), 27, 0);
	assert_float_equal(temp_warn_for(rules, n, "inlet-r01"), 27, 0);
	assert_float_equal(temp_warn_for(rules, n, "Ambient"), 27, 0);
	assert_float_equal(temp_warn_for(rules, n, "Air Intake"), 27, 0);
	assert_float_equal(temp_warn_for(rules, n, "ASIC Temperature Sensor"), 85, 0);
	assert_float_equal(temp_warn_for(rules, n, "Temp #23"), 85, 0);
	assert_float_equal(temp_warn_for(rules, n, "CPU"), 85, 0);
	alert_rules_free(rules, n);
	cfgnode_free(root);
	cfg_diags_free(&d);
}

/* A UPS card that advertises net-snmp's own sysObjectID (ABB PowerScale): probing finds
 * the UPS-MIB, and the device is read as UPS + host at once. */
static void test_profiles_by_probing(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "ups-auto", "abb-powerscale", f->sim.port, NULL);
	struct snmp_dev *d = create(f, &dev);
	poll_once(f, d, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_non_null(d->prof);
	assert_string_equal(d->prof->name, "ups-rfc1628+host-resources");
	assert_float_equal(val(f, "ups-auto", "battery_runtime_seconds", NULL), 452 * 60, 1e-9);
	assert_float_equal(val(f, "ups-auto", "output_load_percent", "1"), 6, 0);
	assert_float_equal(val(f, "ups-auto", "cpu_used_percent", NULL), 17, 0);
	snmp_poller.free(d);
}

/* A profile whose objects the agent has none of says so, also as one of several. */
static void test_profile_misfit_named(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;
	static const char *const profiles[] = {"apc-rpdu2", "ups-rfc1628+apc-rpdu2"};

	for (size_t i = 0; i < 2; i++) {
		dev_init(&dev, &s, "ups-misfit", "ups-mains", f->sim.port, profiles[i]);
		void *inst = create(f, &dev);
		poll_once(f, inst, &r, 5000);
		assert_int_equal(r.outcome, POLL_PARTIAL);
		assert_string_equal(r.reason, "profile apc-rpdu2 does not fit this agent: 17 of 17 "
					      "points unanswered");
		snmp_poller.free(inst);
	}
	assert_float_equal(val(f, "ups-misfit", "battery_charge_percent", NULL), 100, 0);
}

static void test_apc_pdu(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "pdu-a", "pdu", f->sim.port, "apc-rpdu2");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(val(f, "pdu-a", "pdu_power_watts", "1"), 3420, 1e-9);
	assert_float_equal(val(f, "pdu-a", "pdu_energy_kilowatt_hours", "1"), 12345.6, 1e-6);
	assert_float_equal(val(f, "pdu-a", "pdu_load_state", "1"), 2, 0);
	assert_string_equal(metric_enum_name(metric_reg_find(f->x.reg, "pdu-a", "pdu_load_state", "1"), 2), "normal");
	assert_float_equal(val(f, "pdu-a", "phase_current_amperes", "1"), 14.8, 1e-9);
	assert_float_equal(val(f, "pdu-a", "phase_voltage_volts", "1"), 230, 1e-9);
	assert_float_equal(val(f, "pdu-a", "phase_power_watts", "1"), 3420, 1e-9);
	assert_float_equal(val(f, "pdu-a", "bank_current_amperes", "2"), 6.7, 1e-9);
	assert_float_equal(val(f, "pdu-a", "outlet_current_amperes", "2"), 3.1, 1e-9);
	assert_float_equal(val(f, "pdu-a", "outlet_current_amperes", "3"), 0, 1e-9);
	assert_float_equal(val(f, "pdu-a", "probe_temperature_celsius", "1"), 24.3, 1e-9);
	assert_float_equal(val(f, "pdu-a", "probe_humidity_percent", "1"), 41, 1e-9);
	assert_float_equal(val(f, "pdu-a", "probe_temperature_state", "1"), 4, 0);
	/* probe port 2 has nothing plugged in: absent, never -0.1 C, and not a fault */
	assert_string_equal(reason_of(f, "pdu-a", "probe_temperature_celsius", "2"),
			    "not available (agent reports -1)");
	assert_string_equal(reason_of(f, "pdu-a", "probe_humidity_percent", "2"),
			    "not available (agent reports -1)");
	assert_float_equal(val(f, "pdu-a", "probe_temperature_state", "2"), 1, 0);
	snmp_poller.free(inst);
}

/* RFC 3433 scale and precision, an unavailable sensor as that point's error (one that
 * never had a value does not degrade the device). */
static void test_entity_sensors(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct run r;

	dev_init(&dev, &s, "env-a", "env-sensor", f->sim.port, "entity-sensor");
	void *inst = create(f, &dev);
	poll_once(f, inst, &r, 5000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(val(f, "env-a", "sensor_temperature_celsius", "Inlet Temp"), 23.5, 1e-9);
	assert_float_equal(val(f, "env-a", "sensor_humidity_percent", "Inlet Humidity"), 45, 1e-9);
	assert_float_equal(val(f, "env-a", "sensor_voltage_volts", "PSU Voltage"), 12.05, 1e-9);
	assert_float_equal(val(f, "env-a", "sensor_fan_rpm", "Fan 1"), 4800, 1e-9);
	assert_float_equal(val(f, "env-a", "sensor_current_amperes", "Probe Current"), 1.55, 1e-9);
	assert_float_equal(val(f, "env-a", "sensor_contact_state", "Door"), 2, 0);
	assert_float_equal(val(f, "env-a", "sensor_oper_state", "Exhaust Temp"), 2, 0);
	struct metric *m = metric_reg_find(f->x.reg, "env-a", "sensor_temperature_celsius", "Exhaust Temp");
	assert_non_null(m);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_non_null(strstr(m->reason, "valid_if"));
	/* The chassis has no sensor row: no metric for it. */
	assert_null(metric_reg_find(f->x.reg, "env-a", "sensor_oper_state", "Chassis"));
	snmp_poller.free(inst);
}

/* Every shipped profile loads without a diagnostic. */
static void test_shipped_profiles_load(void **state)
{
	static const char *const names[] = {"ups-rfc1628", "host-resources", "ucd-snmp",
					    "entity-sensor", "if-mib", "apc-rpdu2",
					    "cisco-entity-sensor", NULL};
	for (const char *const *n = names; *n; n++) {
		struct cfg_diags d;
		cfg_diags_init(&d);
		struct snmp_profile *p = snmp_profile_get(DCMON_SOURCE_DIR "/etc/profiles", *n, &d);
		cfg_diags_print(&d, stderr);
		assert_non_null(p);
		assert_int_equal(d.n, 0);
		assert_string_equal(p->name, *n);
		snmp_profile_put(p);
		cfg_diags_free(&d);
	}
}

/* Devices whose profiles combine the same parts share one combination (its points are
 * not copied per device); another order or set is another combination; the last put
 * frees it with its parts' references. */
static void test_combined_profile_shared(void **state)
{
	(void)state;
	const char *dir = DCMON_SOURCE_DIR "/etc/profiles";
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct snmp_profile *a = snmp_profile_get(dir, "ups-rfc1628+host-resources", &d);
	struct snmp_profile *b = snmp_profile_get(dir, "ups-rfc1628+host-resources", &d);
	struct snmp_profile *c = snmp_profile_get(dir, "host-resources+ups-rfc1628", &d);
	assert_int_equal(d.n, 0);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_int_equal(a->refs, 2);
	assert_string_equal(a->name, "ups-rfc1628+host-resources");
	assert_ptr_not_equal(a, c);
	assert_string_equal(c->name, "host-resources+ups-rfc1628");
	struct snmp_profile *ups = a->parts[0];
	assert_int_equal(ups->refs, 2); /* one per combination: not one per device */
	snmp_profile_put(b);
	snmp_profile_put(c);
	assert_int_equal(ups->refs, 1);
	snmp_profile_put(a); /* frees the combination and the parts (ASan: no leak) */
	struct snmp_profile *e = snmp_profile_get(dir, "ups-rfc1628+host-resources", &d);
	assert_non_null(e);
	assert_int_equal(e->refs, 1); /* made again, not found freed in the cache */
	snmp_profile_put(e);
	cfg_diags_free(&d);
}

/* Loads a profile written from text to a temporary file (removed again). */
static struct snmp_profile *profile_from_text(const char *text, struct cfg_diags *d)
{
	char path[] = "/tmp/dcmon-prof-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct snmp_profile *prof = snmp_profile_load(path, d);
	unlink(path);
	return prof;
}

/* Points with attach_to: a metric no table point has; a scale its parent's rows do
 * not read. */
#define ATTACHED_POINTS                                                                    \
	"name: bad\ntransport: snmp\npoints:\n"                                             \
	"  - {metric: t_celsius, oid: 1.3.6.1.4.1.9.1.1.4, entity_scale: 1.3.6.1.4.1.9.1.1,\n" \
	"     table: {index_label: sensor}}\n"                                                \
	"  - {metric: w_celsius, oid: 1.3.6.1.4.1.9.2.1.4, table: {attach_to: x_celsius}}\n"  \
	"  - {metric: c_celsius, oid: 1.3.6.1.4.1.9.2.1.5, entity_scale: true,\n"             \
	"     table: {attach_to: t_celsius}}\n"

/* A broken profile is refused with file:line:col. */
static void test_bad_profile_positions(void **state)
{
	char path[] = "/tmp/dcmon-prof-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	const char *text = "name: bad\ntransport: snmp\npoints:\n  - metric: x_volts\n"
			   "    oid: 1.3.6.x\n  - metric: Bad\n    oid: 1.3.6.1.2.1.1.3\n"
			   "    kind: gauge\n    sclae: 2\n";
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct cfg_diags d;
	cfg_diags_init(&d);
	assert_null(snmp_profile_load(path, &d));
	unlink(path);
	assert_true(d.nerrors >= 3);
	assert_int_equal(d.v[0].pos.line, 5);
	assert_non_null(strstr(d.v[0].msg, "numeric OID"));
	bool suggested = false;
	for (size_t i = 0; i < d.n; i++)
		suggested |= strstr(d.v[i].msg, "scale") != NULL && d.v[i].pos.line == 9;
	assert_true(suggested);
	cfg_diags_free(&d);

	/* a headline metric no point has */
	text = "name: bad\ntransport: snmp\nheadline: [x_volts, y_volts]\npoints:\n"
	       "  - metric: x_volts\n    oid: 1.3.6.1.2.1.1.3\n";
	cfg_diags_init(&d);
	assert_null(profile_from_text(text, &d));
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.v[0].pos.line, 3);
	assert_int_equal(d.v[0].pos.col, 21);
	assert_string_equal(d.v[0].msg, "headline metric 'y_volts' is not a point of this profile");
	cfg_diags_free(&d);

	/* `otherwise` without valid_if; a counter with a factor it cannot take */
	text = "name: bad\ntransport: snmp\npoints:\n"
	       "  - {metric: s_state, oid: 1.3.6.1.2.1.1.3, kind: state, otherwise: 0}\n"
	       "  - {metric: c_total, oid: 1.3.6.1.2.1.1.3, kind: counter, subtract: 1.3.6.1.2.1.1.4}\n";
	cfg_diags_init(&d);
	assert_null(profile_from_text(text, &d));
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.v[0].pos.line, 4);
	assert_string_equal(d.v[0].msg, "`otherwise` needs `valid_if` and a gauge or state");
	assert_int_equal(d.v[1].pos.line, 5);
	assert_non_null(strstr(d.v[1].msg, "a counter takes `multiply_by` and `divide_by` only"));
	cfg_diags_free(&d);

	/* entity_scale neither a boolean nor an OID (reported first: the points are not
	 * linked then) */
	text = ATTACHED_POINTS
	       "  - {metric: e_celsius, oid: 1.3.6.1.4.1.9.2.1.6, entity_scale: yes please}\n";
	cfg_diags_init(&d);
	assert_null(profile_from_text(text, &d));
	cfg_diags_print(&d, stderr);
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.v[0].pos.line, 9);
	assert_int_equal(d.v[0].pos.col, 65);
	assert_non_null(strstr(d.v[0].msg, "expected true, false or the numeric OID of a sensor"));
	cfg_diags_free(&d);
	/* attach_to: no such point; a scale not read; a point itself attached */
	text = ATTACHED_POINTS
	       "  - {metric: v_celsius, oid: 1.3.6.1.4.1.9.2.1.7, table: {attach_to: w_celsius}}\n";
	cfg_diags_init(&d);
	assert_null(profile_from_text(text, &d));
	cfg_diags_print(&d, stderr);
	assert_int_equal(d.nerrors, 3);
	assert_int_equal(d.v[0].pos.line, 6);
	assert_int_equal(d.v[0].pos.col, 70);
	assert_string_equal(d.v[0].msg, "attach_to: 'x_celsius' is not the metric of a table point "
					"of this profile (one metric per row)");
	assert_int_equal(d.v[1].pos.line, 7);
	assert_string_equal(d.v[1].msg, "entity_scale: a point attached to 't_celsius' is scaled by "
					"its row: a point of that table must read the same entity_scale");
	assert_int_equal(d.v[2].pos.line, 9);
	assert_string_equal(d.v[2].msg, "attach_to: 'w_celsius' names a point that is itself "
					"attached (one level only)");
	cfg_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ups_on_mains),
		cmocka_unit_test(test_ups_on_battery_alarms),
		cmocka_unit_test(test_profile_by_sysobjectid),
		cmocka_unit_test(test_dead_agent_is_unreachable),
		cmocka_unit_test(test_wrong_community_times_out),
		cmocka_unit_test(test_poll_waits_for_a_slot),
		cmocka_unit_test(test_poll_deadline_before_a_slot),
		cmocka_unit_test(test_apc_pdu),
		cmocka_unit_test(test_bad_values_are_point_errors),
		cmocka_unit_test(test_optional_objects_not_supported),
		cmocka_unit_test(test_unsupported_rechecked),
		cmocka_unit_test(test_empty_aggregate_is_absent),
		cmocka_unit_test(test_entity_instances_unique),
		cmocka_unit_test(test_entity_rules_scoped),
		cmocka_unit_test(test_profiles_by_probing),
		cmocka_unit_test(test_profile_misfit_named),
		cmocka_unit_test(test_entity_sensors),
		cmocka_unit_test(test_shipped_profiles_load),
		cmocka_unit_test(test_combined_profile_shared),
		cmocka_unit_test(test_bad_profile_positions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
