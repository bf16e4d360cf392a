/* The trap / inform receiver with real senders (snmptrap, snmpinform): a trap from a
 * known device asks for a re-poll and updates its event metrics; unknown sources and
 * OIDs are counted; informs are acknowledged; v3 traps with a configured user. */
#include "testing.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snmp_int.h"
#include "snmp_poll.h"

struct fx {
	struct snmp_fx x;
	struct cfg_device dev;
	struct cfg_snmp_trap tc;
	struct cfg_snmp_trap_user user;
	char *communities[1];
	struct snmp_trapd *td;
	char repolled[64];
	int repolls;
};

static void repoll(void *arg, const char *device_id)
{
	struct fx *f = arg;

	snprintf(f->repolled, sizeof(f->repolled), "%s", device_id);
	f->repolls++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[200] = "";

	*state = f; /* cmocka runs the group teardown even when this fails */
	snmp_fx_init(&f->x);
	f->dev.id = "ups-t";
	f->dev.host = "127.0.0.1";
	f->dev.interval_ms = 10000;
	f->x.cfg.devices = &f->dev;
	f->x.cfg.ndevices = 1;
	f->x.env.repoll = repoll;
	f->x.env.repoll_arg = f;
	f->communities[0] = "traps";
	f->tc.port = 0; /* any free port */
	f->tc.listen = "127.0.0.1";
	f->tc.communities = f->communities;
	f->tc.ncommunities = 1;
	f->user = (struct cfg_snmp_trap_user){.user = "trapper", .auth_proto = SNMPCFG_AUTH_SHA,
					      .auth_pass = "trap-auth-1", .priv_proto = SNMPCFG_PRIV_AES,
					      .priv_pass = "trap-priv-1", .engine_id = "0x8000000001020304"};
	f->tc.users = &f->user;
	f->tc.nusers = 1;
	f->td = snmp_trapd_new(&f->x.env, &f->tc, err, sizeof(err));
	if (!f->td)
		fprintf(stderr, "trapd: %s\n", err);
	assert_non_null(f->td);
	assert_true(snmp_trapd_port(f->td) > 0);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	snmp_trapd_free(f->td);
	snmp_fx_fini(&f->x);
	free(f);
	return 0;
}

/* Runs a sender in the background (it may wait for an inform's answer). */
static pid_t send_bg(struct fx *f, const char *tool, const char *opts, const char *trap)
{
	char cmd[700];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "exec %s %s 127.0.0.1:%d %s >/dev/null 2>&1", tool, opts,
		 snmp_trapd_port(f->td), trap);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

struct wait_for {
	struct fx *f;
	uint64_t received;
};

static bool received(void *arg)
{
	struct wait_for *w = arg;
	return snmp_trapd_received(w->f->td) >= w->received;
}

static int wait_exit(pid_t pid)
{
	int st = -1;
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void test_on_battery_trap_repolls(void **state)
{
	struct fx *f = *state;
	struct wait_for w = {f, snmp_trapd_received(f->td) + 1};
	pid_t pid = send_bg(f, "snmptrap", "-v2c -c traps",
			    "'' 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.3.0 i 12");

	snmp_fx_run_until(&f->x, received, &w);
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(f->repolls, 1);
	assert_string_equal(f->repolled, "ups-t");
	struct metric *m = metric_reg_find(f->x.reg, "ups-t", "trap_last_state", NULL);
	assert_non_null(m);
	assert_string_equal(metric_enum_name(m, (int)m->value), "on_battery");
	m = metric_reg_find(f->x.reg, "ups-t", "trap_received_total", NULL);
	assert_non_null(m);
	assert_float_equal(m->raw, 1, 0);
	assert_int_equal(snmp_trapd_unknown(f->td), 0);
}

static void test_inform_acknowledged_and_unknown_oid_counted(void **state)
{
	struct fx *f = *state;
	struct wait_for w = {f, snmp_trapd_received(f->td) + 1};
	uint64_t unknown = snmp_trapd_unknown(f->td);
	int before = f->repolls;
	pid_t pid = send_bg(f, "snmpinform", "-v2c -c traps -r 2 -t 1",
			    "'' 1.3.6.1.4.1.99999.0.7 1.3.6.1.4.1.99999.1 s hello");

	snmp_fx_run_until(&f->x, received, &w);
	assert_int_equal(wait_exit(pid), 0); /* snmpinform got our answer */
	assert_int_equal(snmp_trapd_unknown(f->td), unknown + 1);
	assert_int_equal(f->repolls, before + 1); /* a known device still gets re-polled */
	struct metric *m = metric_reg_find(f->x.reg, "ups-t", "trap_last_state", NULL);
	assert_string_equal(metric_enum_name(m, (int)m->value), "other");
}

static void test_wrong_community_ignored(void **state)
{
	struct fx *f = *state;
	struct wait_for w = {f, snmp_trapd_received(f->td) + 1};
	uint64_t unknown = snmp_trapd_unknown(f->td);
	int before = f->repolls;
	pid_t pid = send_bg(f, "snmptrap", "-v2c -c wrong", "'' 1.3.6.1.6.3.1.1.5.3");

	snmp_fx_run_until(&f->x, received, &w);
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(snmp_trapd_unknown(f->td), unknown + 1);
	assert_int_equal(f->repolls, before);
}

static void test_v3_trap(void **state)
{
	struct fx *f = *state;
	struct wait_for w = {f, snmp_trapd_received(f->td) + 1};
	int before = f->repolls;
	pid_t pid = send_bg(f, "snmptrap",
			    "-v3 -e 0x8000000001020304 -u trapper -l authPriv -a SHA "
			    "-A trap-auth-1 -x AES -X trap-priv-1",
			    "'' 1.3.6.1.6.3.1.1.5.3");

	snmp_fx_run_until(&f->x, received, &w);
	assert_int_equal(wait_exit(pid), 0);
	assert_int_equal(f->repolls, before + 1);
	struct metric *m = metric_reg_find(f->x.reg, "ups-t", "trap_last_state", NULL);
	assert_string_equal(metric_enum_name(m, (int)m->value), "link_down");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_battery_trap_repolls),
		cmocka_unit_test(test_inform_acknowledged_and_unknown_oid_counted),
		cmocka_unit_test(test_wrong_community_ignored),
		cmocka_unit_test(test_v3_trap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
