/* The loop-driven net-snmp session against a real snmpd with an SNMPv3 user that the
 * test makes go away: killed, silent (SIGSTOP), silent before the engine was ever
 * discovered, and rebooted with its state wiped (a new engine ID, or the same engine ID
 * with engineBoots back to 1).  Each time the poll ends once with the right reason,
 * the metrics say why, other devices keep their pace, and values come back.
 * Against a scripted agent (tests/peers/snmp_bad_agent.py): replies net-snmp cannot
 * parse say so (not "timeout"), its own complaints are lines of our log, and a Report
 * PDU from a v2c agent is not called SNMPv3. */
#include "testing.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snmp_int.h"
#include "snmp_peer.h"
#include "snmp_poll.h"

#define V2_PROBE "-v2c -c public"

#define fx snmp_peers_fx

/* A poll that reads the agent's values: OK, and memory_total_bytes what v2c read. */
static void assert_values(struct fx *f, void *inst, const char *id, double want)
{
	struct snmp_run r;

	snmp_fx_poll(&f->x, inst, &r, 4000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(snmp_fx_val(&f->x, id, "memory_total_bytes", NULL), want, 0);
}

/* A poll of a device that does not answer: unreachable with reason, and the device's
 * metrics carry the same reason as errors. */
static void assert_down(struct fx *f, void *inst, const char *id, const char *reason)
{
	struct snmp_run r;

	snmp_fx_poll(&f->x, inst, &r, 4000);
	assert_int_equal(r.outcome, POLL_UNREACHABLE);
	assert_string_equal(r.reason, reason);
	struct metric *m = metric_reg_find(f->x.reg, id, "memory_total_bytes", NULL);
	if (m) {
		assert_int_equal(m->quality, QUALITY_ERROR);
		assert_string_equal(m->reason, reason);
	}
}

/* The agent's memory size, read once over v2c (what every v3 poll must read too). */
static double memory_total(struct fx *f)
{
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	snmp_dev_init(&dev, &s, "v2", "public", f->agent.port, "ucd-snmp");
	void *inst = snmp_fx_create(&f->x, &dev);
	snmp_fx_poll(&f->x, inst, &r, 4000);
	assert_int_equal(r.outcome, POLL_OK);
	double v = snmp_fx_val(&f->x, "v2", "memory_total_bytes", NULL);
	assert_true(v > 0);
	snmp_poller.free(inst);
	return v;
}

/* A v3 device on a fresh agent whose values were read once; *mem is what they are. */
static void *v3_polled_once(struct fx *f, const char *conf, struct cfg_device *dev,
			    struct cfg_snmp *s, double *mem)
{
	assert_int_equal(peer_snmpd_start(&f->agent, conf, V2_PROBE), 0);
	*mem = memory_total(f);
	snmp_dev_init_v3(dev, s, "v3", f->agent.port, TEST_V3_AUTH);
	void *inst = snmp_fx_create(&f->x, dev);
	assert_values(f, inst, "v3", *mem);
	return inst;
}

/* The agent goes away by sig: SIGSTOP keeps its socket and says nothing, after
 * SIGKILL the kernel answers port unreachable.  Two polls time out (the second starts
 * by discovering the engine again).  Back (SIGCONT, or restarted with its state:
 * engineBoots up by one, which SNMPv3 follows by itself), the values are read again. */
static void v3_agent_away(struct fx *f, int sig)
{
	struct cfg_device dev;
	struct cfg_snmp s;
	double mem;

	void *inst = v3_polled_once(f, TEST_SNMPD_CONF, &dev, &s, &mem);
	peer_signal(&f->agent, sig);
	assert_down(f, inst, "v3", "timeout");
	assert_down(f, inst, "v3", "timeout");
	if (sig == SIGSTOP)
		peer_signal(&f->agent, SIGCONT);
	else
		assert_int_equal(peer_snmpd_restart(&f->agent, false, V2_PROBE), 0);
	assert_values(f, inst, "v3", mem);
	snmp_poller.free(inst);
}

static void test_v3_agent_silent(void **state)
{
	v3_agent_away(*state, SIGSTOP);
}

static void test_v3_agent_killed(void **state)
{
	v3_agent_away(*state, SIGKILL);
}

/* An agent silent from the start: its engine ID was never learnt.  Discovering it must
 * not hold the loop (a live device polled at the same time ends first), and the poll
 * ends once, as a timeout, every time. */
static void test_v3_silent_before_discovery(void **state)
{
	struct fx *f = *state;
	struct cfg_device live, dead;
	struct cfg_snmp s1, s2;
	struct snmp_run r1, r2;

	assert_int_equal(peer_snmpd_start(&f->agent, TEST_SNMPD_CONF, V2_PROBE), 0);
	snmp_dev_init_v3(&dead, &s2, "v3dead", f->hole.port, TEST_V3_AUTH);
	snmp_dev_init(&live, &s1, "live", "public", f->agent.port, "ucd-snmp");
	void *d = snmp_fx_create(&f->x, &dead);
	void *l = snmp_fx_create(&f->x, &live);
	for (int i = 0; i < 2; i++) {
		assert_true(snmp_fx_poll_beside(&f->x, d, &r2, l, &r1, 4000));
		assert_int_equal(r1.outcome, POLL_OK);
		assert_int_equal(r2.outcome, POLL_UNREACHABLE);
		assert_string_equal(r2.reason, "timeout");
	}
	snmp_poller.free(d);
	snmp_poller.free(l);
}

/* Polls until the values come back, at most `polls` times; returns the polls it took. */
static int polls_to_recover(struct fx *f, void *inst, const char *id, int polls)
{
	struct snmp_run r;

	for (int i = 1; i <= polls; i++) {
		snmp_fx_poll(&f->x, inst, &r, 4000);
		if (r.outcome == POLL_OK)
			return i;
		fprintf(stderr, "poll %d after the reboot: %s\n", i, r.reason);
		struct metric *m = metric_reg_find(f->x.reg, id, "memory_total_bytes", NULL);
		assert_non_null(m);
		assert_int_equal(m->quality, QUALITY_ERROR);
	}
	return -1;
}

/* Wiped state: the agent comes back with a new engine ID and engineBoots 1. */
static void test_v3_agent_reboots_as_new(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	double mem;

	void *inst = v3_polled_once(f, TEST_SNMPD_CONF, &dev, &s, &mem);
	assert_int_equal(peer_snmpd_restart(&f->agent, true, V2_PROBE), 0);
	int n = polls_to_recover(f, inst, "v3", 3);
	assert_true(n >= 1 && n <= 2);
	assert_float_equal(snmp_fx_val(&f->x, "v3", "memory_total_bytes", NULL), mem, 0);
	snmp_poller.free(inst);
}

/* Same engine ID (set in the config, as a UPS keeps its own), engineBoots back from 3
 * to 1: by RFC 3414 the agent is then "not in time window" for a manager that keeps
 * the old boots, for ever, unless the manager discovers the engine anew. */
static void test_v3_agent_boots_reset(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	double mem;

	void *inst = v3_polled_once(f, "engineID dcmon-test-engine\n" TEST_SNMPD_CONF, &dev, &s, &mem);
	for (int boots = 2; boots <= 3; boots++) {
		assert_int_equal(peer_snmpd_restart(&f->agent, false, V2_PROBE), 0);
		assert_int_equal(polls_to_recover(f, inst, "v3", 1), 1);
	}
	assert_int_equal(peer_snmpd_restart(&f->agent, true, V2_PROBE), 0);
	int n = polls_to_recover(f, inst, "v3", 3);
	assert_true(n >= 1 && n <= 2);
	assert_float_equal(snmp_fx_val(&f->x, "v3", "memory_total_bytes", NULL), mem, 0);
	snmp_poller.free(inst);
}

struct answer {
	int calls;
	int err;
	char reason[METRIC_REASON_MAX];
};

static void on_answer(void *arg, netsnmp_pdu *resp, int err, const char *reason)
{
	struct answer *a = arg;

	a->calls++;
	a->err = err;
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
}

static bool both_answered(void *arg)
{
	struct answer *a = arg;

	return a[0].calls && a[1].calls;
}

/* A GET of nvars copies of one OID of oid_len sub-identifiers. */
static netsnmp_pdu *get_pdu(size_t nvars, size_t oid_len)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
	oid o[SNMP_OID_MAX];

	for (size_t i = 0; i < oid_len; i++)
		o[i] = i < 2 ? (i == 0 ? 1 : 3) : 100000 + i;
	for (size_t i = 0; i < nvars; i++)
		snmp_add_null_var(pdu, o, oid_len);
	return pdu;
}

/* net-snmp ends a request inside snmp_sess_async_send when it cannot build it (here:
 * too big for a datagram) and calls our callback from there.  Its owner hears once,
 * from the loop after snmp_conn_send returned; a request in flight beside it ends on
 * its own (timeout), and nothing is left in flight. */
static void test_send_fails_inside_send(void **state)
{
	struct fx *f = *state;
	struct cfg_snmp s;
	struct answer a[2] = {{0}};
	char err[256] = "";

	snmp_cfg_defaults(&s);
	s.port = f->hole.port;
	s.retries = 0;
	s.community = (char *)"public";
	struct snmp_conn *c = snmp_conn_new(f->x.loop, &s, "127.0.0.1", "big", 300, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(snmp_conn_send(c, get_pdu(1, 10), on_answer, &a[0]), 0);
	assert_int_equal(snmp_conn_send(c, get_pdu(1000, SNMP_OID_MAX), on_answer, &a[1]), 0);
	assert_int_equal(a[1].calls, 0);
	assert_int_equal(snmp_conn_inflight(c), 2);
	snmp_fx_run_until(&f->x, both_answered, a);
	assert_int_equal(a[1].calls, 1);
	assert_int_equal(a[1].err, -EIO);
	assert_string_equal(a[1].reason, "cannot build the request: Too long");
	assert_int_equal(a[0].calls, 1);
	assert_int_equal(a[0].err, -ETIMEDOUT);
	assert_int_equal(snmp_conn_inflight(c), 0);
	snmp_conn_free(c);
}

/* One poll with stderr (our log) sent to a file; returns what was written (to free). */
static char *poll_logged(struct fx *f, void *inst, struct snmp_run *r)
{
	char path[] = "/tmp/dcmon-snmp-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *text = calloc(1, 65536);

	assert_true(fd >= 0 && saved >= 0 && text);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	snmp_fx_poll(&f->x, inst, r, 4000);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_true(pread(fd, text, 65535, 0) >= 0);
	close(fd);
	unlink(path);
	fputs(text, stderr); /* for the test's own log */
	return text;
}

/* A v2c device on the scripted agent answering in `mode` (one try, 300 ms). */
static void *bad_agent_dev(struct fx *f, const char *mode, struct cfg_device *dev,
			   struct cfg_snmp *s)
{
	assert_int_equal(peer_bad_agent_start(&f->agent, mode), 0);
	snmp_dev_init(dev, s, "bad", "public", f->agent.port, "ucd-snmp");
	s->timeout_ms = 300;
	s->retries = 0;
	return snmp_fx_create(&f->x, dev);
}

/* Replies net-snmp drops as unparsable: the poll and the metrics say "malformed reply"
 * (the agent is there: not unreachable). */
static void assert_malformed(struct fx *f, const char *mode)
{
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	void *inst = bad_agent_dev(f, mode, &dev, &s);
	snmp_fx_poll(&f->x, inst, &r, 4000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_non_null(strstr(r.reason, "malformed reply from the agent"));
	struct metric *m = metric_reg_find(f->x.reg, "bad", "memory_total_bytes", NULL);
	assert_non_null(m);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_string_equal(m->reason, r.reason);
	snmp_poller.free(inst);
}

static void test_garbage_reply(void **state)
{
	assert_malformed(*state, "garbage");
}

static void test_truncated_reply(void **state)
{
	assert_malformed(*state, "truncated");
}

/* A value of type SEQUENCE: net-snmp complains "bad type returned (30)" and drops the
 * reply.  The complaint is one of our key=value lines naming the device, never a raw
 * line of its own. */
static void test_bad_type_reply(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	void *inst = bad_agent_dev(f, "badtype", &dev, &s);
	char *log = poll_logged(f, inst, &r);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_non_null(strstr(r.reason, "malformed reply from the agent"));
	assert_non_null(strstr(log, " level=warn sub=snmp dev=bad msg=\"net-snmp: bad type returned (30)\"\n"));
	for (char *line = log; *line; line = strchr(line, '\n') + 1) {
		if (strstr(line, "bad type returned") && strstr(line, "bad type returned") < strchr(line, '\n'))
			assert_memory_equal(line, "ts=", 3);
		if (!strchr(line, '\n'))
			break;
	}
	free(log);
	snmp_poller.free(inst);
}

/* A Report PDU (RFC 3416) from an SNMPv2c agent: refused, said in v2c words. */
static void test_report_to_v2c(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	void *inst = bad_agent_dev(f, "report", &dev, &s);
	snmp_fx_poll(&f->x, inst, &r, 4000);
	assert_int_equal(r.outcome, POLL_UNREACHABLE);
	assert_string_equal(r.reason, "Report PDU from an SNMPv2c agent (request refused)");
	snmp_poller.free(inst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v3_agent_silent, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_v3_agent_killed, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_v3_silent_before_discovery, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_v3_agent_reboots_as_new, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_v3_agent_boots_reset, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_send_fails_inside_send, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_garbage_reply, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_reply, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_bad_type_reply, snmp_peers_setup, snmp_peers_teardown),
		cmocka_unit_test_setup_teardown(test_report_to_v2c, snmp_peers_setup, snmp_peers_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
