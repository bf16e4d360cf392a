/* Test helpers: driving one SNMP poller instance through its ops on a real loop. */
#ifndef DCMON_TEST_SNMP_POLL_H
#define DCMON_TEST_SNMP_POLL_H

#include "dcmon/config.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"

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

/* Loop, registry and an env whose profiles_dir is the source tree's etc/profiles. */
void snmp_fx_init(struct snmp_fx *f);
void snmp_fx_fini(struct snmp_fx *f);
/* A device polled over SNMP v2c at 127.0.0.1:port (300 ms timeout, no retry). */
void snmp_dev_init(struct cfg_device *dev, struct cfg_snmp *s, const char *id,
		   const char *community, int port, const char *profile);
/* Creates the instance (asserts success). */
void *snmp_fx_create(struct snmp_fx *f, struct cfg_device *dev);
/* Starts a poll without running the loop. */
void snmp_fx_start(struct snmp_fx *f, void *inst, struct snmp_run *r, int64_t deadline_ms,
		   bool stop_loop);
/* One poll, the loop run until it ends (bounded by 15 s); asserts it ended once. */
void snmp_fx_poll(struct snmp_fx *f, void *inst, struct snmp_run *r, int64_t deadline_ms);
/* Runs the loop until cond(arg) or 15 s. */
void snmp_fx_run_until(struct snmp_fx *f, bool (*cond)(void *arg), void *arg);
/* Value of a metric (NaN and a message when missing; quality printed when not OK). */
double snmp_fx_val(struct snmp_fx *f, const char *dev, const char *name, const char *inst);

#endif
