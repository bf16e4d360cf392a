/* Fuzz target: the trap and inform receiver.  The input is one UDP datagram, sent from
 * 127.0.0.1 to a real receiver (snmp_trapd_new on 127.0.0.1, any free port) and read
 * by it on its loop: the guard's admission, net-snmp's parsing and authentication of
 * v1/v2c/v3 messages (two v3 users bound to a sender engine, as in
 * tests/unit/test_snmp_trap.c), the community and user checks, the inform answer, the
 * notification OID, the device's trap metrics and re-poll, the varbinds of the log
 * line.  127.0.0.1 is the address of a configured device, so accepted traps reach
 * every step. */
#include "fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"

#define WAIT_MAX_MS 2000 /* a datagram not read by then is lost: fail loudly */

static struct {
	struct loop *loop;
	struct metric_reg *reg;
	struct cfg cfg;
	struct cfg_device dev;
	struct poller_env env;
	struct snmp_trapd *td;
	int sender; /* UDP socket on 127.0.0.1 connected to the receiver */
	uint64_t want; /* datagrams the receiver must have counted */
	bool timed_out;
	unsigned long repolls;
} fx;

static char *communities[] = {"public", "traps"};
static struct cfg_snmp_trap_user users[] = {
    {.user = "trapper", .auth_proto = SNMPCFG_AUTH_SHA, .auth_pass = "trap-auth-1",
     .priv_proto = SNMPCFG_PRIV_AES, .priv_pass = "trap-priv-1",
     .engine_id = "0x8000000001020304"},
    {.user = "authonly", .auth_proto = SNMPCFG_AUTH_SHA, .auth_pass = "auth-only-1",
     .priv_proto = SNMPCFG_PRIV_NONE, .engine_id = "0x8000000001020304"},
};

static void repoll(void *arg, const char *device_id)
{
	(void)arg, (void)device_id;
	fx.repolls++;
}

static int sender_open(int port)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("fuzz_snmp_trap: sender");
		abort();
	}
	return fd;
}

static void setup(void)
{
	struct cfg_snmp_trap tc = {
	    .listen = "127.0.0.1", .port = 0, .communities = communities, .ncommunities = 2,
	    .users = users, .nusers = 2, .source_rate = 1 << 30,
	    .repoll_min_interval_ms = 10000, .summary_interval_ms = 3600000};
	char err[256] = "";

	log_set_level(LOG_LVL_ERROR);
	fx.loop = loop_new();
	fx.reg = metric_reg_new();
	fx.dev = (struct cfg_device){.id = "ups-t", .host = "127.0.0.1", .interval_ms = 10000};
	fx.cfg.devices = &fx.dev;
	fx.cfg.ndevices = 1;
	fx.env = (struct poller_env){.loop = fx.loop, .reg = fx.reg, .cfg = &fx.cfg,
				     .repoll = repoll};
	fx.td = snmp_trapd_new(&fx.env, &tc, err, sizeof(err));
	if (!fx.loop || !fx.reg || !fx.td) {
		fprintf(stderr, "fuzz_snmp_trap: %s\n", err);
		abort();
	}
	fx.sender = sender_open(snmp_trapd_port(fx.td));
}

/* Runs the loop until the receiver has taken the datagram (its guard counted it). */
static void on_check(struct loop *loop, void *arg)
{
	int64_t *until = arg;
	if (snmp_trapd_received(fx.td) >= fx.want)
		loop_stop(loop);
	else if (loop_now_ms(loop) > *until)
		fx.timed_out = true, loop_stop(loop);
	else if (!loop_timer_add(loop, 0, on_check, arg))
		abort();
}

/* Answers (inform acknowledgements, v3 reports) are read and dropped. */
static void sender_drain(void)
{
	char buf[2048];
	for (int i = 0; i < 64 && recv(fx.sender, buf, sizeof(buf), 0) >= 0; i++)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (size > 65507) /* the largest UDP payload */
		return 0;
	if (send(fx.sender, data, size, 0) != (ssize_t)size) {
		perror("fuzz_snmp_trap: send");
		abort();
	}
	int64_t until = loop_update_time(fx.loop) + WAIT_MAX_MS;
	fx.want = snmp_trapd_received(fx.td) + 1;
	if (!loop_timer_add(fx.loop, 0, on_check, &until))
		abort();
	loop_run(fx.loop);
	if (fx.timed_out) {
		fprintf(stderr, "fuzz_snmp_trap: the receiver did not read the datagram\n");
		abort();
	}
	sender_drain();
	return 0;
}
