/* icmp poller: real echo requests, inside a private network namespace (loopback only)
 * so that no packet leaves the machine. */
#include "testing.h"

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/host_checks.h"
#include "icmp_sock.h"
#include "pollers.h"
#include "polltest.h"

#define PING_RANGE "/proc/sys/net/ipv4/ping_group_range"
#define IGNORE4 "/proc/sys/net/ipv4/icmp_echo_ignore_all"
#define IGNORE6 "/proc/sys/net/ipv6/icmp/echo_ignore_all"

static struct polltest T;
static bool netns_ok;

static int setup(void **state)
{
	netns_ok = polltest_private_netns();
	return 0;
}

static struct cfg_device dev_of(const char *id, const char *host, struct cfg_ping *ping)
{
	*ping = (struct cfg_ping){.count = 3, .timeout_ms = 300, .spacing_ms = 20, .size = 56};
	struct cfg_device dev = {.id = (char *)id, .host = (char *)host, .interval_ms = 10000,
				 .timeout_ms = 2000};
	*cfg_device_slot(&dev, "ping") = ping;
	return dev;
}

static void *create(const char *id, const char *host, int count)
{
	struct cfg_ping ping;
	struct cfg_device dev = dev_of(id, host, &ping);
	ping.count = count;
	return polltest_create(&T, &icmp_poller, &dev);
}

/* An answered poll: values present and consistent. */
static void assert_answered(const char *id)
{
	struct metric *mn = polltest_metric(&T, id, "ping_rtt_min_seconds", NULL);
	struct metric *av = polltest_metric(&T, id, "ping_rtt_avg_seconds", NULL);
	struct metric *mx = polltest_metric(&T, id, "ping_rtt_max_seconds", NULL);
	struct metric *loss = polltest_metric(&T, id, "ping_loss_percent", NULL);
	struct metric *up = polltest_metric(&T, id, "host_up", NULL);

	assert_int_equal(mn->quality, QUALITY_OK);
	assert_int_equal(mx->quality, QUALITY_OK);
	assert_true(mn->value > 0);
	assert_true(mn->value <= av->value && av->value <= mx->value);
	assert_true(mx->value < 1.0);
	assert_int_equal(loss->quality, QUALITY_OK);
	assert_true(loss->value == 0.0);
	assert_int_equal(up->kind, METRIC_STATE);
	assert_true(up->value == 1.0);
	assert_string_equal(metric_enum_name(up, 1), "up");
}

/* An unanswered poll: rtt errors with `why`, loss 100, host down. */
static void assert_unanswered(const char *id, const char *why)
{
	const char *names[] = {"ping_rtt_min_seconds", "ping_rtt_avg_seconds",
			       "ping_rtt_max_seconds"};
	for (int i = 0; i < 3; i++) {
		struct metric *m = polltest_metric(&T, id, names[i], NULL);
		assert_int_equal(m->quality, QUALITY_ERROR);
		assert_string_equal(m->reason, why);
	}
	assert_true(polltest_metric(&T, id, "ping_loss_percent", NULL)->value == 100.0);
	assert_true(polltest_metric(&T, id, "host_up", NULL)->value == 0.0);
}

/* Ping 127.0.0.1 through the datagram socket (ping_group_range allows us) and through
 * the raw socket (it does not); both answer. */
static void test_loopback_dgram_and_raw(void **state)
{
	const char *ranges[] = {"0 2147483647", "1 0"};

	if (!netns_ok)
		skip();
	for (int k = 0; k < 2; k++) {
		char why[128];
		void *in;
		assert_int_equal(polltest_sysctl(PING_RANGE, ranges[k]), 0);
		polltest_init(&T);
		in = create("lo4", "127.0.0.1", 3);
		assert_int_equal(polltest_once(&T, &icmp_poller, in, 3000, why, sizeof(why)),
				 POLL_OK);
		assert_string_equal(why, "");
		assert_int_equal(icmp_sock_is_raw(AF_INET), k); /* dgram first, then raw */
		assert_answered("lo4");
		icmp_poller.free(in);
		assert_int_equal(icmp_sock_is_raw(AF_INET), -1); /* last holder closed it */
		polltest_fini(&T);
	}
}

static void test_loopback_ipv6(void **state)
{
	void *in;

	if (!netns_ok)
		skip();
	polltest_init(&T);
	in = create("lo6", "::1", 2);
	assert_int_equal(polltest_once(&T, &icmp_poller, in, 3000, NULL, 0), POLL_OK);
	assert_answered("lo6");
	icmp_poller.free(in);
	polltest_fini(&T);
}

/* Echo requests ignored by the peer: every probe lost, reason "timeout". */
static void test_no_reply_is_timeout(void **state)
{
	char why[128];
	void *in4, *in6;
	struct polltest_poll polls[2];

	if (!netns_ok)
		skip();
	assert_int_equal(polltest_sysctl(IGNORE4, "1"), 0);
	assert_int_equal(polltest_sysctl(IGNORE6, "1"), 0);
	polltest_init(&T);
	in4 = create("mute4", "127.0.0.1", 2);
	in6 = create("mute6", "::1", 2);
	polls[0] = (struct polltest_poll){.ops = &icmp_poller, .inst = in4};
	polls[1] = (struct polltest_poll){.ops = &icmp_poller, .inst = in6};
	polltest_run(&T, polls, 2, 3000);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(polls[i].outcome, POLL_UNREACHABLE);
		assert_string_equal(polls[i].reason, "timeout");
	}
	assert_unanswered("mute4", "timeout");
	assert_unanswered("mute6", "timeout");
	/* the peer answers again: the same instance recovers */
	assert_int_equal(polltest_sysctl(IGNORE4, "0"), 0);
	assert_int_equal(polltest_sysctl(IGNORE6, "0"), 0);
	assert_int_equal(polltest_once(&T, &icmp_poller, in4, 3000, why, sizeof(why)), POLL_OK);
	assert_answered("mute4");
	icmp_poller.free(in4);
	icmp_poller.free(in6);
	polltest_fini(&T);
}

/* No route (the namespace has only loopback) and an "unreachable" route. */
static void test_unreachable_reasons(void **state)
{
	char why[128];
	void *net, *host;

	if (!netns_ok)
		skip();
	assert_int_equal(system("ip route add unreachable 10.9.0.0/16"), 0);
	polltest_init(&T);
	net = create("nonet", "10.1.2.3", 2);
	host = create("nohost", "10.9.0.1", 2);
	assert_int_equal(polltest_once(&T, &icmp_poller, net, 3000, why, sizeof(why)),
			 POLL_UNREACHABLE);
	assert_string_equal(why, "ENETUNREACH");
	assert_unanswered("nonet", "ENETUNREACH");
	assert_int_equal(polltest_once(&T, &icmp_poller, host, 3000, why, sizeof(why)),
			 POLL_UNREACHABLE);
	assert_string_equal(why, "EHOSTUNREACH");
	assert_unanswered("nohost", "EHOSTUNREACH");
	icmp_poller.free(net);
	icmp_poller.free(host);
	polltest_fini(&T);
}

/* A neighbour that never answers ARP/ND on a veth pair inside the namespace: the kernel
 * itself sends "destination unreachable", which ends the probe before its timeout.
 * Covers the raw socket's ICMP error parsing and the datagram socket's error queue. */
static void test_icmp_error_from_kernel(void **state)
{
	const char *ranges[] = {"0 2147483647", "1 0"};

	if (!netns_ok)
		skip();
	if (system("ip link add dcmv0 type veth peer name dcmv1 && "
		   "ip addr add 10.5.0.1/24 dev dcmv0 && ip -6 addr add fd00:5::1/64 dev dcmv0 nodad && "
		   "ip link set dcmv0 up && ip link set dcmv1 up") != 0)
		skip(); /* no veth support */
	for (int k = 0; k < 2; k++) {
		struct polltest_poll polls[2];
		struct cfg_ping ping;
		struct cfg_device dev4 = dev_of("nb4", "10.5.0.2", &ping);
		struct cfg_device dev6 = dev_of("nb6", "fd00:5::2", &ping);
		ping.count = 1;
		ping.timeout_ms = 8000; /* longer than neighbour resolution gives up */
		assert_int_equal(polltest_sysctl(PING_RANGE, ranges[k]), 0);
		polltest_init(&T);
		polls[0] = (struct polltest_poll){.ops = &icmp_poller,
			.inst = polltest_create(&T, &icmp_poller, &dev4)};
		polls[1] = (struct polltest_poll){.ops = &icmp_poller,
			.inst = polltest_create(&T, &icmp_poller, &dev6)};
		polltest_run(&T, polls, 2, 10000);
		assert_int_equal(icmp_sock_is_raw(AF_INET), k);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(polls[i].outcome, POLL_UNREACHABLE);
			assert_string_equal(polls[i].reason, "EHOSTUNREACH");
			icmp_poller.free(polls[i].inst);
		}
		assert_unanswered("nb4", "EHOSTUNREACH");
		assert_unanswered("nb6", "EHOSTUNREACH");
		polltest_fini(&T);
	}
}

/* A name that does not resolve: create succeeds, every poll is an error with why. */
static void test_unresolvable_name(void **state)
{
	char why[128];
	void *in;

	if (!netns_ok)
		skip(); /* the resolver's queries must not leave the machine */
	polltest_init(&T);
	in = create("noname", "no-such-host.invalid", 2);
	assert_int_equal(polltest_once(&T, &icmp_poller, in, 3000, why, sizeof(why)),
			 POLL_UNREACHABLE);
	assert_non_null(strstr(why, "resolve no-such-host.invalid"));
	/* nothing was measured: rtt and loss are errors, the host counts as down */
	assert_int_equal(polltest_metric(&T, "noname", "ping_rtt_avg_seconds", NULL)->quality,
			 QUALITY_ERROR);
	assert_string_equal(polltest_metric(&T, "noname", "ping_loss_percent", NULL)->reason, why);
	assert_true(polltest_metric(&T, "noname", "host_up", NULL)->value == 0.0);
	icmp_poller.free(in);
	polltest_fini(&T);
}

/* Many hosts at once over the one shared socket: each reply goes to its own poll. */
static void test_many_hosts_in_parallel(void **state)
{
	enum { N = 40 };
	struct polltest_poll polls[N];
	char ids[N][16], hosts[N][24];

	if (!netns_ok)
		skip();
	polltest_init(&T);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "h%d", i);
		snprintf(hosts[i], sizeof(hosts[i]), "127.0.%d.%d", i / 10, 1 + i % 10);
		polls[i] = (struct polltest_poll){.ops = &icmp_poller,
						  .inst = create(ids[i], hosts[i], 3)};
	}
	polltest_run(&T, polls, N, 5000);
	for (int i = 0; i < N; i++) {
		assert_int_equal(polls[i].outcome, POLL_OK);
		assert_answered(ids[i]);
		icmp_poller.free(polls[i].inst);
	}
	polltest_fini(&T);
}

static void stop_loop(struct loop *loop, void *arg)
{
	loop_stop(loop);
}

/* cancel() stops a poll in flight: no done() afterwards, and the instance frees. */
static void test_cancel(void **state)
{
	struct polltest_poll p = {.ops = &icmp_poller};
	int64_t until;

	if (!netns_ok)
		skip();
	polltest_init(&T);
	p.inst = create("cx", "127.0.0.1", 5);
	p.t = &T;
	p.job = (struct poll_job){.ts_ms = clock_wall_ms(),
				  .deadline_ms = loop_update_time(T.loop) + 3000,
				  .owner = &p};
	p.job.done = NULL; /* would crash if called */
	icmp_poller.start(p.inst, &p.job);
	icmp_poller.cancel(p.inst);
	/* run the loop briefly: replies to cancelled probes are ignored */
	until = loop_update_time(T.loop) + 100;
	loop_timer_add(T.loop, until - loop_now_ms(T.loop), stop_loop, NULL);
	loop_run(T.loop);
	icmp_poller.free(p.inst);
	polltest_fini(&T);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_dgram_and_raw),
		cmocka_unit_test(test_loopback_ipv6),
		cmocka_unit_test(test_no_reply_is_timeout),
		cmocka_unit_test(test_unreachable_reasons),
		cmocka_unit_test(test_icmp_error_from_kernel),
		cmocka_unit_test(test_unresolvable_name),
		cmocka_unit_test(test_many_hosts_in_parallel),
		cmocka_unit_test(test_cancel),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
