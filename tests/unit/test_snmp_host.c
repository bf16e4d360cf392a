/* The SNMP poller against a real snmpd started by the test: host-resources, UCD and
 * IF-MIB values of this machine checked against /proc and statvfs; SNMPv3 authPriv
 * with a user the test creates, and a wrong key; a dead agent polled at the same time
 * as a live one does not hold the live one back. */
#include "testing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "dcmon/host_checks.h"
#include "snmp_int.h"
#include "snmp_peer.h"
#include "snmp_poll.h"

#define fx snmp_peers_fx

static int setup(void **state)
{
	struct fx *f;

	if (snmp_peers_setup(state) < 0)
		return -1;
	f = *state;
	return peer_snmpd_start(&f->agent, TEST_SNMPD_CONF, "-v2c -c public") < 0 ? -1 : 0;
}

/* A /proc/meminfo field in kB. */
static double meminfo_kb(const char *key)
{
	char line[256];
	double v = NAN;
	FILE *fp = fopen("/proc/meminfo", "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
			v = atof(line + strlen(key) + 1);
	if (fp)
		fclose(fp);
	return v;
}

static double sysfs_number(const char *path)
{
	double v = NAN;
	FILE *fp = fopen(path, "r");

	if (fp && fscanf(fp, "%lf", &v) != 1)
		v = NAN;
	if (fp)
		fclose(fp);
	return v;
}

static void test_host_resources(void **state)
{
	struct fx *f = *state;
	struct cfg_process procs[2] = {{.name = "test_snmp_host"}, {.name = "no-such-proc-xyz"}};
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;
	struct statvfs vfs;

	snmp_dev_init(&dev, &s, "srv", "public", f->agent.port, "host-resources");
	*cfg_device_list_slot(&dev, "process") = (struct cfg_part_list){.v = procs, .n = 2};
	void *inst = snmp_fx_create(&f->x, &dev);
	snmp_fx_poll(&f->x, inst, &r, 8000);
	/* A fresh snmpd fills hrProcessorTable only after a minute of CPU samples: until
	 * then cpu_used_percent is that point's error, absent rather than failed: the
	 * device is not degraded by it. */
	struct metric *cpu = metric_reg_find(f->x.reg, "srv", "cpu_used_percent", NULL);
	assert_non_null(cpu);
	assert_int_equal(r.outcome, POLL_OK);
	if (cpu->quality == QUALITY_OK)
		assert_true(cpu->value >= 0 && cpu->value <= 100);
	else
		assert_string_equal(cpu->reason, "no rows to aggregate");

	assert_float_equal(snmp_fx_val(&f->x, "srv", "memory_total_bytes", NULL),
			   meminfo_kb("MemTotal") * 1024, 0);
	double used = snmp_fx_val(&f->x, "srv", "memory_used_bytes", NULL);
	assert_true(used > 0 && used <= meminfo_kb("MemTotal") * 1024);
	double pct = snmp_fx_val(&f->x, "srv", "memory_used_percent", NULL);
	assert_float_equal(pct, used / (meminfo_kb("MemTotal") * 1024) * 100, 1e-6);

	assert_int_equal(statvfs("/", &vfs), 0);
	double size = (double)vfs.f_blocks * vfs.f_frsize;
	assert_float_equal(snmp_fx_val(&f->x, "srv", "fs_size_bytes", "/"), size, 0);
	/* other work writes to the disk meanwhile: used agrees within 2 % of the size */
	double fs_used = (double)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
	assert_float_equal(snmp_fx_val(&f->x, "srv", "fs_used_bytes", "/"), fs_used, size * 0.02);
	assert_float_equal(snmp_fx_val(&f->x, "srv", "fs_used_percent", "/"),
			   fs_used / size * 100, 2.0);

	assert_true(snmp_fx_val(&f->x, "srv", "process_count", "test_snmp_host") >= 1);
	assert_float_equal(snmp_fx_val(&f->x, "srv", "process_count", "no-such-proc-xyz"), 0, 0);
	assert_true(snmp_fx_val(&f->x, "srv", "processes_count", NULL) >= 2);
	assert_true(snmp_fx_val(&f->x, "srv", "system_uptime_seconds", NULL) > 0);
	snmp_poller.free(inst);
}

static void test_ucd_and_if_mib(void **state)
{
	struct fx *f = *state;
	struct cfg_device ucd, ifs;
	struct cfg_snmp s1, s2;
	struct snmp_run r;

	snmp_dev_init(&ucd, &s1, "ucd", "public", f->agent.port, "ucd-snmp");
	void *a = snmp_fx_create(&f->x, &ucd);
	snmp_fx_poll(&f->x, a, &r, 8000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(snmp_fx_val(&f->x, "ucd", "memory_total_bytes", NULL),
			   meminfo_kb("MemTotal") * 1024, 0);
	assert_float_equal(snmp_fx_val(&f->x, "ucd", "swap_total_bytes", NULL),
			   meminfo_kb("SwapTotal") * 1024, 0);
	double load[3];
	FILE *fp = fopen("/proc/loadavg", "r");
	assert_int_equal(fscanf(fp, "%lf %lf %lf", &load[0], &load[1], &load[2]), 3);
	fclose(fp);
	/* the 15-minute average moves slowly: equal to within 0.5 */
	assert_float_equal(snmp_fx_val(&f->x, "ucd", "load_average_15m_count", NULL), load[2], 0.5);
	struct metric *m = metric_reg_find(f->x.reg, "ucd", "cpu_idle_seconds_total", NULL);
	assert_non_null(m);
	assert_false(isnan(metric_raw(m)));
	snmp_poller.free(a);

	snmp_dev_init(&ifs, &s2, "ifs", "public", f->agent.port, "if-mib");
	void *b = snmp_fx_create(&f->x, &ifs);
	double before = sysfs_number("/sys/class/net/lo/statistics/rx_bytes");
	snmp_fx_poll(&f->x, b, &r, 8000);
	double after = sysfs_number("/sys/class/net/lo/statistics/rx_bytes");
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(snmp_fx_val(&f->x, "ifs", "if_oper_state", "lo"), 1, 0);
	m = metric_reg_find(f->x.reg, "ifs", "if_in_bytes_total", "lo");
	assert_non_null(m);
	/* snmpd caches interface counters for a few seconds: at most what the kernel had */
	assert_true(metric_raw(m) > 0 && metric_raw(m) <= after);
	(void)before;
	assert_non_null(metric_reg_find(f->x.reg, "ifs", "if_in_errors_total", "lo"));
	snmp_poller.free(b);
}

static void test_v3_auth_priv(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	snmp_dev_init_v3(&dev, &s, "v3", f->agent.port, TEST_V3_AUTH);
	void *inst = snmp_fx_create(&f->x, &dev);
	snmp_fx_poll(&f->x, inst, &r, 8000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(snmp_fx_val(&f->x, "v3", "memory_total_bytes", NULL),
			   meminfo_kb("MemTotal") * 1024, 0);
	/* the engine is known now: the second poll goes straight through */
	snmp_fx_poll(&f->x, inst, &r, 8000);
	assert_int_equal(r.outcome, POLL_OK);
	snmp_poller.free(inst);
}

static void test_v3_wrong_key(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	snmp_dev_init_v3(&dev, &s, "v3bad", f->agent.port, "not-the-right-key");
	void *inst = snmp_fx_create(&f->x, &dev);
	snmp_fx_poll(&f->x, inst, &r, 8000);
	assert_int_equal(r.outcome, POLL_UNREACHABLE);
	assert_non_null(strstr(r.reason, "authentication failed"));
	struct metric *m = metric_reg_find(f->x.reg, "v3bad", "memory_total_bytes", NULL);
	assert_non_null(m);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_non_null(strstr(m->reason, "authentication failed"));
	snmp_poller.free(inst);
}

/* A device that never answers, polled at the same time as a live one: the live one's
 * poll ends (with its values) while the dead one is still waiting. */
static void test_dead_agent_does_not_hold_others(void **state)
{
	struct fx *f = *state;
	struct cfg_device live, dead;
	struct cfg_snmp s1, s2;
	struct snmp_run r1, r2;

	snmp_dev_init(&dead, &s2, "dead", "public", f->hole.port, "ucd-snmp");
	s2.timeout_ms = 1000;
	s2.retries = 1;
	snmp_dev_init(&live, &s1, "live", "public", f->agent.port, "ucd-snmp");
	void *d = snmp_fx_create(&f->x, &dead);
	void *l = snmp_fx_create(&f->x, &live);
	assert_true(snmp_fx_poll_beside(&f->x, d, &r2, l, &r1, 8000));
	assert_int_equal(r1.outcome, POLL_OK);
	assert_int_equal(r2.outcome, POLL_UNREACHABLE);
	assert_string_equal(r2.reason, "timeout");
	snmp_poller.free(d);
	snmp_poller.free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_resources),
		cmocka_unit_test(test_ucd_and_if_mib),
		cmocka_unit_test(test_v3_auth_priv),
		cmocka_unit_test(test_v3_wrong_key),
		cmocka_unit_test(test_dead_agent_does_not_hold_others),
	};
	return cmocka_run_group_tests(tests, setup, snmp_peers_teardown);
}
