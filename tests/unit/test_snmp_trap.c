/* The trap / inform receiver with real senders (snmptrap, snmpinform): a trap from a
 * known device asks for a re-poll (at most once per hold-off, one poll at its end for
 * the rest) and updates its event metrics; a wrong community or a v3 message below the
 * user's security level is dropped and never answered; a trap from an address of no
 * device is counted and ignored.  The guard's rate limit and hold-off are also driven
 * with a synthetic clock. */
#include "testing.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snmp_int.h"
#include "snmp_poll.h"
#include "snmp_trap_int.h"

#define HOLD_MS 800 /* the fixture's repoll_min_interval */

struct fx {
	struct snmp_fx x;
	struct cfg_device dev;
	struct cfg_snmp_trap tc;
	struct cfg_snmp_trap_user users[2];
	char *communities[1];
	struct snmp_trapd *td;
	char repolled[64];
	int repolls;
	int64_t repoll_ms[8]; /* loop time of each re-poll */
	char out[64];         /* what the last sender printed */
};

static void repoll(void *arg, const char *device_id)
{
	struct fx *f = arg;

	snprintf(f->repolled, sizeof(f->repolled), "%s", device_id);
	if (f->repolls < 8)
		f->repoll_ms[f->repolls] = loop_now_ms(f->x.loop); /* the guard's clock */
	f->repolls++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[200] = "";

	*state = f; /* cmocka runs the group teardown even when this fails */
	snmp_fx_init(&f->x);
	snprintf(f->out, sizeof(f->out), "/tmp/dcmon-test-trap-%d.out", (int)getpid());
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
	f->tc.source_rate = 1000;
	f->tc.repoll_min_interval_ms = HOLD_MS;
	f->tc.summary_interval_ms = 60000;
	f->users[0] = (struct cfg_snmp_trap_user){.user = "trapper",
						  .auth_proto = SNMPCFG_AUTH_SHA,
						  .auth_pass = "trap-auth-1",
						  .priv_proto = SNMPCFG_PRIV_AES,
						  .priv_pass = "trap-priv-1",
						  .engine_id = "0x8000000001020304"};
	f->users[1] = (struct cfg_snmp_trap_user){.user = "authonly",
						  .auth_proto = SNMPCFG_AUTH_SHA,
						  .auth_pass = "auth-only-1",
						  .priv_proto = SNMPCFG_PRIV_NONE,
						  .engine_id = "0x8000000001020304"};
	f->tc.users = f->users;
	f->tc.nusers = 2;
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
	unlink(f->out);
	free(f);
	return 0;
}

/* Runs a sender in the background (it may wait for an inform's answer). */
static pid_t send_bg(struct fx *f, const char *tool, const char *opts, const char *trap)
{
	char cmd[700];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "exec %s %s 127.0.0.1:%d %s >%s 2>&1", tool, opts,
		 snmp_trapd_port(f->td), trap, f->out);
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
	int repolls;
};

static bool received(void *arg)
{
	struct wait_for *w = arg;
	return snmp_trapd_received(w->f->td) >= w->received;
}

static bool repolled(void *arg)
{
	struct wait_for *w = arg;
	return w->f->repolls >= w->repolls;
}

struct child {
	pid_t pid;
	int status;
	bool exited;
};

static bool child_exited(void *arg)
{
	struct child *c = arg;
	if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = true;
	return c->exited;
}

/* Exit status of pid; the loop runs meanwhile (an inform waits for our answer). */
static int wait_exit(struct fx *f, pid_t pid)
{
	struct child c = {.pid = pid};

	snmp_fx_run_until(&f->x, child_exited, &c);
	if (!c.exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &c.status, 0);
		return -1;
	}
	return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
}

/* Sends one notification and runs the loop until it was read; the sender's status. */
static int send_one(struct fx *f, const char *tool, const char *opts, const char *trap)
{
	struct wait_for w = {f, snmp_trapd_received(f->td) + 1, 0};
	pid_t pid = send_bg(f, tool, opts, trap);

	snmp_fx_run_until(&f->x, received, &w);
	return wait_exit(f, pid);
}

/* A v3 trap from the engine the fixture's users are bound to; the sender's status. */
static int send_v3_trap(struct fx *f, const char *user_opts, const char *trap_oid)
{
	char opts[300], trap[100];

	snprintf(opts, sizeof(opts), "-v3 -e 0x8000000001020304 %s", user_opts);
	snprintf(trap, sizeof(trap), "'' %s", trap_oid);
	return send_one(f, "snmptrap", opts, trap);
}

/* True if the last sender printed `text`. */
static bool sender_said(struct fx *f, const char *text)
{
	char buf[1024] = "";
	FILE *fp = fopen(f->out, "r");

	if (fp) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
	}
	return strstr(buf, text) != NULL;
}

static const char *state_of(struct fx *f, const char *name)
{
	struct metric *m = metric_reg_find(f->x.reg, "ups-t", name, NULL);
	return m ? metric_enum_name(m, (int)m->value) : "(none)";
}

static void test_on_battery_trap_repolls(void **state)
{
	struct fx *f = *state;

	assert_int_equal(send_one(f, "snmptrap", "-v2c -c traps",
				  "'' 1.3.6.1.2.1.33.2.1 1.3.6.1.2.1.33.1.2.3.0 i 12"),
			 0);
	assert_int_equal(f->repolls, 1);
	assert_string_equal(f->repolled, "ups-t");
	assert_string_equal(state_of(f, "trap_last_state"), "on_battery");
	struct metric *m = metric_reg_find(f->x.reg, "ups-t", "trap_received_total", NULL);
	assert_non_null(m);
	assert_float_equal(metric_raw(m), 1, 0);
	for (int i = 0; i < SNMP_TRAP_DROP_N; i++)
		assert_int_equal(snmp_trapd_dropped(f->td, i), 0);
}

/* Three traps within the hold-off: one poll at once, one at the hold-off's end. */
static void test_repoll_held_off(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 3; i++)
		assert_int_equal(send_one(f, "snmptrap", "-v2c -c traps", "'' 1.3.6.1.6.3.1.1.5.3"),
				 0);
	assert_int_equal(f->repolls, 1);
	assert_string_equal(state_of(f, "trap_last_state"), "link_down");
	struct wait_for w = {f, 0, 2};
	snmp_fx_run_until(&f->x, repolled, &w);
	assert_int_equal(f->repolls, 2);
	assert_true(f->repoll_ms[1] - f->repoll_ms[0] >= HOLD_MS);
}

/* An inform with a wrong community gets no answer (the sender times out) and changes
 * nothing; with the right one it is answered. */
static void test_inform_answered_only_with_credentials(void **state)
{
	struct fx *f = *state;

	assert_int_not_equal(send_one(f, "snmpinform", "-v2c -c wrong -r 0 -t 1",
				      "'' 1.3.6.1.2.1.33.2.1"),
			     0);
	assert_true(sender_said(f, "Timeout"));
	assert_int_equal(snmp_trapd_dropped(f->td, SNMP_TRAP_DROP_REJECTED), 1);
	assert_int_equal(f->repolls, 0);
	assert_string_equal(state_of(f, "trap_last_state"), "(none)");
	assert_int_equal(send_one(f, "snmptrap", "-v2c -c wrong", "'' 1.3.6.1.6.3.1.1.5.3"), 0);
	assert_int_equal(snmp_trapd_dropped(f->td, SNMP_TRAP_DROP_REJECTED), 2);
	assert_int_equal(f->repolls, 0);
	assert_int_equal(send_one(f, "snmpinform", "-v2c -c traps -r 2 -t 1",
				  "'' 1.3.6.1.4.1.99999.0.7 1.3.6.1.4.1.99999.1 s hello"),
			 0);
	assert_int_equal(f->repolls, 1);
	assert_string_equal(state_of(f, "trap_last_state"), "other");
}

/* A trap with the right community from an address that is no device's. */
static void test_spoofed_source_ignored(void **state)
{
	struct fx *f = *state;

	assert_int_equal(send_one(f, "snmptrap", "-v2c -c traps --clientaddr=127.0.0.5",
				  "'' 1.3.6.1.2.1.33.2.1"),
			 0);
	assert_int_equal(snmp_trapd_dropped(f->td, SNMP_TRAP_DROP_UNKNOWN_SOURCE), 1);
	assert_int_equal(f->repolls, 0);
	assert_string_equal(state_of(f, "trap_last_state"), "(none)");
	struct metric *m =
	    metric_reg_find(f->x.reg, "dcmond", "trap_dropped_count", "unknown_source");
	assert_non_null(m);
}

/* v3: the configured user at its own level is accepted; the same name without
 * authentication (which anyone can send), or with a wrong key, is not. */
static void test_v3_trap_needs_the_users_level(void **state)
{
	struct fx *f = *state;

	assert_int_equal(send_v3_trap(f, "-u authonly -l authNoPriv -a SHA -A wrong-key-1",
				      "1.3.6.1.6.3.1.1.5.3"),
			 0);
	assert_int_equal(f->repolls, 0);
	assert_int_equal(snmp_trapd_dropped(f->td, SNMP_TRAP_DROP_REJECTED), 1);
	assert_int_equal(send_v3_trap(f, "-u authonly -l authNoPriv -a SHA -A auth-only-1",
				      "1.3.6.1.6.3.1.1.5.3"),
			 0);
	assert_int_equal(f->repolls, 1);
	assert_int_equal(send_v3_trap(f, "-u trapper -l noAuthNoPriv", "1.3.6.1.6.3.1.1.5.3"), 0);
	assert_int_equal(f->repolls, 1);
	assert_int_equal(snmp_trapd_dropped(f->td, SNMP_TRAP_DROP_REJECTED), 2);
	assert_int_equal(send_v3_trap(f, "-u trapper -l authPriv -a SHA -A trap-auth-1 -x AES "
					 "-X trap-priv-1",
				      "1.3.6.1.6.3.1.1.5.4"),
			 0);
	assert_string_equal(state_of(f, "trap_last_state"), "link_up");
	/* an inform with a wrong key gets no answer (no report either): a timeout; with the
	 * right key it is answered */
	uint64_t rejected = snmp_trapd_dropped(f->td, SNMP_TRAP_DROP_REJECTED);
	assert_int_not_equal(
	    send_one(f, "snmpinform",
		     "-v3 -u authonly -l authNoPriv -a SHA -A wrong-key-1 -r 0 -t 1",
		     "'' 1.3.6.1.6.3.1.1.5.1"),
	    0);
	assert_true(sender_said(f, "Timeout"));
	assert_true(snmp_trapd_dropped(f->td, SNMP_TRAP_DROP_REJECTED) > rejected);
	assert_int_equal(send_one(f, "snmpinform",
				  "-v3 -u authonly -l authNoPriv -a SHA -A auth-only-1 -r 1 -t 2",
				  "'' 1.3.6.1.6.3.1.1.5.1"),
			 0);
	assert_string_equal(state_of(f, "trap_last_state"), "cold_start");
}

static struct sockaddr_in sin_of(const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(162)};
	assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	return sa;
}

static bool admit(struct trap_guard *g, const struct sockaddr_in *sa, int64_t now_ms)
{
	return trap_guard_admit(g, (const struct sockaddr *)sa, sizeof(*sa), now_ms);
}

/* The guard on a synthetic clock: source_rate datagrams per source and second, each
 * source on its own; a re-poll at most once per hold-off. */
static void test_guard_rate_and_holdoff(void **state)
{
	struct fx *f = *state;
	struct cfg_snmp_trap tc = {.source_rate = 3, .repoll_min_interval_ms = 10000,
				   .summary_interval_ms = 60000};
	struct poller_env env = {.reg = f->x.reg, .repoll = repoll, .repoll_arg = f};
	struct trap_guard *g = trap_guard_new(&env, &tc);
	struct sockaddr_in a = sin_of("127.0.0.2"), b = sin_of("127.0.0.3");
	int64_t t = 5000000;

	assert_non_null(g);
	for (int i = 0; i < 3; i++)
		assert_true(admit(g, &a, t + i));
	assert_false(admit(g, &a, t + 900));
	assert_false(admit(g, &a, t + 999));
	assert_true(admit(g, &b, t + 999));
	assert_true(admit(g, &a, t + 1000)); /* the next second */
	assert_int_equal(trap_guard_dropped(g, SNMP_TRAP_DROP_RATE), 2);
	assert_int_equal(trap_guard_received(g), 7);

	assert_true(trap_guard_repoll(g, "ups-t", t));
	assert_false(trap_guard_repoll(g, "ups-t", t + 9999));
	assert_true(trap_guard_repoll(g, "pdu-1", t + 9999)); /* per device */
	assert_true(trap_guard_repoll(g, "ups-t", t + 10000));
	assert_int_equal(f->repolls, 3);
	trap_guard_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_on_battery_trap_repolls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repoll_held_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inform_answered_only_with_credentials, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_spoofed_source_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v3_trap_needs_the_users_level, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guard_rate_and_holdoff, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
