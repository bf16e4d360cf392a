/* Test helpers for exchanges on a Modbus link: record a result, build a request, submit
 * and run the loop until the answer (bounded).  Shared by the TCP and RTU link tests. */
#ifndef DCMON_TEST_MODBUS_XCHG_H
#define DCMON_TEST_MODBUS_XCHG_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "modbus.h"
#include "modbus_peer.h"

#define MB_XCHG_WAIT_MS 10000 /* bound for one exchange on loopback */

struct mb_got {
	bool done;
	int err;
	unsigned exception;
	char reason[METRIC_REASON_MAX];
	uint16_t count;
	uint16_t regs[MODBUS_BITS_MAX];
	int seq; /* completion order, from mb_completions */
};

static int mb_completions;

static inline void mb_on_res(void *arg, const struct modbus_result *res)
{
	struct mb_got *g = arg;

	g->done = true;
	g->err = res->err;
	g->exception = res->exception;
	snprintf(g->reason, sizeof g->reason, "%s", res->reason);
	g->count = res->count;
	memcpy(g->regs, res->regs, res->count * sizeof res->regs[0]);
	g->seq = ++mb_completions;
}

static inline struct modbus_xreq mb_xreq(uint8_t unit, enum modbus_table t, uint16_t addr,
					 uint16_t count, int64_t timeout_ms)
{
	struct modbus_xreq r = { .unit = unit, .table = t, .addr = addr, .count = count,
				 .timeout_ms = timeout_ms };
	return r;
}

static inline void mb_exchange(struct modbus_link *link, struct loop *loop,
			       const struct modbus_xreq *r, struct mb_got *g)
{
	memset(g, 0, sizeof *g);
	assert_non_null(modbus_link_submit(link, r, mb_on_res, g));
	assert_true(mb_run_until(loop, &g->done, MB_XCHG_WAIT_MS));
}

#endif
