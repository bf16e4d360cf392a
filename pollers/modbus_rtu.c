/* Modbus RTU transport: libmodbus on a serial line, run on the worker pool because its
 * calls block.  The link hands over one transaction at a time, so one line never has
 * two requests on the wire, while different lines run on different workers.  The
 * libmodbus context is only touched by the worker running the line's current job.
 *
 * Errors are mapped by errno: libmodbus's EMBX* codes are Modbus exceptions
 * (MODBUS_ENOBASE + code) and get their names; EMBBADCRC, EMBBADDATA and EMBBADSLAVE
 * become "CRC error", "malformed reply" and "reply from wrong unit id".
 */
#include "modbus.h"

#include <errno.h>
#include <fcntl.h>
#include <modbus/modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "dcmon/workq.h"

struct rtu_state {
	struct modbus_link *link;
	modbus_t *ctx;              /* owned; used by the worker of the current job only */
	bool open;                  /* modbus_connect() succeeded */
	struct modbus_xact *cur;    /* transaction handed to a worker, or NULL */
	bool dying;                 /* link freed while a job runs: the job frees us */
};

/* Worker side: errno of a failed libmodbus call into the result. */
static void rtu_error(struct modbus_result *res, int err)
{
	if (err > MODBUS_ENOBASE && err <= EMBXGTAR) {
		modbus_result_set_error(res, -(MODBUS_EXC_BASE + (err - MODBUS_ENOBASE)));
		return;
	}
	switch (err) {
	case EMBBADCRC:
		res->err = -EBADMSG;
		snprintf(res->reason, sizeof res->reason, "CRC error");
		return;
	case EMBBADSLAVE:
		res->err = -EPROTO;
		snprintf(res->reason, sizeof res->reason, "reply from wrong unit id");
		return;
	case EMBBADDATA: case EMBBADEXC: case EMBUNKEXC: case EMBMDATA:
		modbus_result_set_error(res, -EBADMSG);
		return;
	default:
		modbus_result_set_error(res, -err);
	}
}

/* Worker side: one read of the current transaction. */
static int rtu_read(modbus_t *ctx, const struct modbus_xreq *rq, struct modbus_result *res)
{
	uint8_t bits[MODBUS_BITS_MAX];
	int n;

	switch (rq->table) {
	case MB_COIL: n = modbus_read_bits(ctx, rq->addr, rq->count, bits); break;
	case MB_DISCRETE: n = modbus_read_input_bits(ctx, rq->addr, rq->count, bits); break;
	case MB_HOLDING: n = modbus_read_registers(ctx, rq->addr, rq->count, res->regs); break;
	default: n = modbus_read_input_registers(ctx, rq->addr, rq->count, res->regs); break;
	}
	if (n < 0)
		return -errno;
	for (int i = 0; modbus_table_is_bits(rq->table) && i < n; i++)
		res->regs[i] = bits[i];
	res->count = (uint16_t)n;
	return 0;
}

/* Worker side: libmodbus waits with select(), so the line's descriptor must be below
 * FD_SETSIZE; dcmond raises its open files limit (daemon_nofile.c) and with thousands
 * of TCP links a newly opened line can land above.  Moves it to the lowest free
 * descriptor; if none is free below FD_SETSIZE, closes the line: a point error. */
static int rtu_low_fd(modbus_t *ctx, struct modbus_result *res)
{
	int fd = modbus_get_socket(ctx);
	if (fd < FD_SETSIZE)
		return 0;
	int low = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (low >= 0 && low < FD_SETSIZE) {
		modbus_set_socket(ctx, low);
		close(fd);
		return 0;
	}
	if (low >= 0)
		close(low);
	modbus_close(ctx);
	res->err = -EMFILE;
	snprintf(res->reason, sizeof res->reason, "no descriptor below FD_SETSIZE (%d) free for "
		 "the serial line (libmodbus waits with select())", FD_SETSIZE);
	return -EMFILE;
}

static void rtu_work(void *arg)
{
	struct rtu_state *s = arg;
	struct modbus_xact *x = s->cur;
	int64_t t = x->rq.timeout_ms;
	int rc;

	if (!s->open && modbus_connect(s->ctx) < 0) {
		modbus_result_set_error(&x->res, -errno);
		return;
	}
	if (!s->open && rtu_low_fd(s->ctx, &x->res) < 0)
		return;
	s->open = true;
	modbus_set_slave(s->ctx, x->rq.unit);
	modbus_set_response_timeout(s->ctx, (uint32_t)(t / 1000), (uint32_t)(t % 1000) * 1000);
	rc = rtu_read(s->ctx, &x->rq, &x->res);
	if (rc == 0) {
		x->res.err = 0;
		x->res.reason[0] = '\0';
		return;
	}
	rtu_error(&x->res, -rc);
	if (-rc == EBADF || -rc == EIO || -rc == ENXIO) {
		modbus_close(s->ctx); /* reopen the line on the next request */
		s->open = false;
	}
}

static void rtu_state_free(struct rtu_state *s)
{
	modbus_close(s->ctx);
	modbus_free(s->ctx);
	free(s);
}

static void rtu_done(struct loop *loop, void *arg)
{
	struct rtu_state *s = arg;
	struct modbus_xact *x = s->cur;

	(void)loop;
	s->cur = NULL;
	if (s->dying) {
		free(x);
		rtu_state_free(s);
		return;
	}
	struct modbus_link_stats *st = modbus_link_stats_mut(s->link);
	st->requests++;
	if (x->res.err == -ETIMEDOUT)
		st->timeouts++;
	else if (x->res.err == 0 || x->res.exception)
		st->replies++;
	modbus_link_xact_done(s->link, x);
}

static void rtu_start(void *ts, struct modbus_xact *x)
{
	struct rtu_state *s = ts;

	s->cur = x;
	if (workq_submit(modbus_link_workq(s->link), rtu_work, rtu_done, s) < 0) {
		s->cur = NULL;
		modbus_result_set_error(&x->res, -ENOMEM);
		modbus_link_xact_done(s->link, x);
	}
}

static void *rtu_create(struct modbus_link *link)
{
	const struct modbus_endpoint *ep = modbus_link_endpoint(link);
	struct rtu_state *s;

	if (!modbus_link_workq(link)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->link = link;
	s->ctx = modbus_new_rtu(ep->device, ep->baud, ep->parity, ep->data_bits, ep->stop_bits);
	if (!s->ctx) {
		free(s);
		return NULL;
	}
	return s;
}

static void rtu_destroy(void *ts, struct modbus_xact *inflight)
{
	struct rtu_state *s = ts;

	if (s->cur) { /* a worker still uses ctx and x: let its completion free both */
		s->dying = true;
		return;
	}
	free(inflight);
	rtu_state_free(s);
}

const struct modbus_transport modbus_rtu_transport = {
	.name = "rtu",
	.create = rtu_create,
	.start = rtu_start,
	.destroy = rtu_destroy,
};
