/* Test helpers: driving one SNMP poller instance through its ops on a real loop. */
#ifndef DCMON_TEST_SNMP_POLL_H
#define DCMON_TEST_SNMP_POLL_H

#include "dcmon/config.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"
#include "snmp_peer.h"

struct snmp_fx {
	struct loop *loop;
	struct metric_reg *reg;
	struct cfg cfg;
	struct poller_env env;
};

struct snmp_run {
	struct poll_job job;     /* first: the job handed to start() */
	enum poll_outcome outcome;
	char reason[128];
	int done;                /* times done was called */
	bool stop_loop;          /* loop_stop() when done */
	struct loop *loop;
};

/* A cmocka fixture: loop and registry, an agent the test starts, a silent port. */
struct snmp_peers_fx {
	struct snmp_fx x;
	struct snmp_peer agent; /* started by the test (or its setup) */
	struct snmp_peer hole;  /* a UDP port that never answers */
};
/* cmocka setup / teardown of a struct snmp_peers_fx (the hole started, not the agent). */
int snmp_peers_setup(void **state);
int snmp_peers_teardown(void **state);

/* Loop, registry and an env whose profiles_dir is the source tree's etc/profiles. */
void snmp_fx_init(struct snmp_fx *f);
void snmp_fx_fini(struct snmp_fx *f);
/* A device polled over SNMP v2c at 127.0.0.1:port (300 ms timeout, no retry). */
void snmp_dev_init(struct cfg_device *dev, struct cfg_snmp *s, const char *id,
		   const char *community, int port, const char *profile);
/* snmpd config lines for a v2c community "public" and an SNMPv3 authPriv user. */
#define TEST_V3_USER "dcmonv3"
#define TEST_V3_AUTH "auth-pass-123"
#define TEST_V3_PRIV "priv-pass-456"
#define TEST_SNMPD_CONF                                                                    \
	"rocommunity public 127.0.0.1\n"                                                    \
	"createUser " TEST_V3_USER " SHA-256 \"" TEST_V3_AUTH "\" AES \"" TEST_V3_PRIV "\"\n" \
	"rouser " TEST_V3_USER " priv\n"
/* A device polled over SNMPv3 as that user (SHA-256 with auth_pass, AES) at
 * 127.0.0.1:port with the ucd-snmp profile (500 ms timeout, one retry). */
void snmp_dev_init_v3(struct cfg_device *dev, struct cfg_snmp *s, const char *id, int port,
		      const char *auth_pass);
/* Creates the instance (asserts success). */
void *snmp_fx_create(struct snmp_fx *f, struct cfg_device *dev);
/* Starts a poll without running the loop. */
void snmp_fx_start(struct snmp_fx *f, void *inst, struct snmp_run *r, int64_t deadline_ms,
		   bool stop_loop);
/* One poll, the loop run until it ends (bounded by 15 s); asserts it ended once. */
void snmp_fx_poll(struct snmp_fx *f, void *inst, struct snmp_run *r, int64_t deadline_ms);
/* Runs the loop until cond(arg) or 15 s. */
void snmp_fx_run_until(struct snmp_fx *f, bool (*cond)(void *arg), void *arg);
/* Polls of a device that does not answer (dead) and of a live one started together, the
 * loop run until both ended once (asserted); true if the live one ended first. */
bool snmp_fx_poll_beside(struct snmp_fx *f, void *dead, struct snmp_run *rd, void *live,
			 struct snmp_run *rl, int64_t deadline_ms);
/* Value of a metric (NaN and a message when missing; quality printed when not OK). */
double snmp_fx_val(struct snmp_fx *f, const char *dev, const char *name, const char *inst);

#endif
