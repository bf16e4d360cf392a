/* The Modbus TCP link (our own MBAP framing on the loop) against an independent peer:
 * pymodbus 3.0 started by the test.  Every type in every word order read back and
 * decoded; exceptions by name; a unit id that never answers costs only its own timeout
 * and does not block the units queued behind it; the server stopped and restarted. */
#include "testing.h"

#include <math.h>
#include <stdlib.h>

#include "modbus.h"
#include "modbus_peer.h"
#include "modbus_xchg.h"


struct fixture {
	struct mb_peer peer;
	struct loop *loop;
	struct modbus_link *link;
};

static struct modbus_link *link_for(struct fixture *f)
{
	struct modbus_endpoint ep = { .host = "127.0.0.1", .port = f->peer.port };

	return modbus_link_get(f->loop, NULL, &ep);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	*state = f; /* cmocka runs the group teardown even when this fails */
	if (!f || mb_peer_start(&f->peer, 0) < 0)
		return -1;
	f->loop = loop_new();
	f->link = link_for(f);
	return f->link ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	modbus_link_put(f->link);
	loop_free(f->loop);
	mb_peer_stop(&f->peer);
	free(f);
	return 0;
}

/* The fixture of modbus_peer.py, decoded here from the raw registers. */
static void test_every_type_and_order(void **state)
{
	static const struct { enum modbus_type t; double v; } types[] = {
		{ MB_T_INT16, -1234 }, { MB_T_UINT16, 54321 }, { MB_T_INT32, -12345678 },
		{ MB_T_UINT32, 3000000000.0 }, { MB_T_FLOAT32, (double)-273.15f },
		{ MB_T_INT64, -1234567890123.0 }, { MB_T_UINT64, 1234567890123456.0 },
		{ MB_T_FLOAT64, 3.141592653589793 },
	};
	struct fixture *f = *state;
	struct modbus_xreq r = mb_xreq(1, MB_HOLDING, 100, 125, 2000);
	struct mb_got *a = calloc(2, sizeof *a), *b = a + 1;

	mb_exchange(f->link, f->loop, &r, a);
	assert_int_equal(a->err, 0);
	assert_int_equal(a->count, 125);
	r = mb_xreq(1, MB_HOLDING, 225, 3, 2000);
	mb_exchange(f->link, f->loop, &r, b);
	assert_int_equal(b->err, 0);
	memcpy(a->regs + 125, b->regs, 3 * sizeof b->regs[0]);
	for (int t = 0; t < 8; t++) {
		for (int o = 0; o < MB_ORDER_COUNT; o++) {
			uint64_t pat = modbus_assemble(a->regs + 4 * (4 * t + o), types[t].t,
						       (enum modbus_order)o);
			double v = modbus_pattern_value(pat, types[t].t);

			if (v != types[t].v)
				fail_msg("%s %s: got %.17g want %.17g", modbus_type_name(types[t].t),
					 modbus_order_name((enum modbus_order)o), v, types[t].v);
		}
	}
	free(a);
}

static void test_bits_and_inputs(void **state)
{
	static const uint16_t coils[] = { 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct fixture *f = *state;
	struct modbus_xreq r = mb_xreq(1, MB_COIL, 0, 16, 2000);
	struct mb_got *g = calloc(1, sizeof *g);

	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->err, 0);
	assert_memory_equal(g->regs, coils, sizeof coils);
	r = mb_xreq(1, MB_DISCRETE, 0, 8, 2000);
	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->count, 8);
	assert_int_equal(g->regs[1], 1);
	assert_int_equal(g->regs[7], 1);
	assert_int_equal(g->regs[0] + g->regs[2] + g->regs[6], 0);
	r = mb_xreq(1, MB_INPUT, 0, 7, 2000);
	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->regs[0], 271);
	assert_int_equal(g->regs[1], 0xFFFF);
	assert_int_equal(g->regs[4], 0xFFD8);
	assert_int_equal(g->regs[6], 0x3002);
	free(g);
}

static void test_exception_by_name(void **state)
{
	struct fixture *f = *state;
	struct modbus_xreq r = mb_xreq(1, MB_INPUT, 8, 4, 2000); /* 10, 11 do not exist */
	struct mb_got *g = calloc(1, sizeof *g);

	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->exception, 2);
	assert_string_equal(g->reason, "exception 2 (illegal data address)");
	r = mb_xreq(2, MB_HOLDING, 10, 5, 2000); /* hole at 12-13 */
	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->exception, 2);
	r = mb_xreq(2, MB_HOLDING, 14, 1, 2000);
	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->err, 0);
	assert_int_equal(g->regs[0], 333);
	free(g);
}

/* Unit 9 never answers: it times out, and units 3 and 1 queued behind it are served
 * right after, in order, on the same connection (late replies are matched by id). */
static void test_dead_unit_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct mb_got *g = calloc(3, sizeof *g);
	struct modbus_xreq dead = mb_xreq(9, MB_HOLDING, 0, 1, 300), u3 = mb_xreq(3, MB_HOLDING, 0, 10, 2000),
			   u1 = mb_xreq(1, MB_INPUT, 0, 1, 2000);
	struct modbus_link_stats st0, st1;

	modbus_link_stats(f->link, &st0);
	mb_completions = 0;
	assert_non_null(modbus_link_submit(f->link, &dead, mb_on_res, &g[0]));
	assert_non_null(modbus_link_submit(f->link, &u3, mb_on_res, &g[1]));
	assert_non_null(modbus_link_submit(f->link, &u1, mb_on_res, &g[2]));
	assert_true(mb_run_until(f->loop, &g[2].done, MB_XCHG_WAIT_MS));
	assert_int_equal(g[0].err, -ETIMEDOUT);
	assert_string_equal(g[0].reason, "timeout");
	assert_int_equal(g[1].err, 0);
	assert_int_equal(g[1].regs[9], 3009);
	assert_int_equal(g[2].regs[0], 271);
	assert_int_equal(g[0].seq, 1);
	assert_int_equal(g[1].seq, 2);
	assert_int_equal(g[2].seq, 3);
	modbus_link_stats(f->link, &st1);
	assert_int_equal(st1.requests - st0.requests, 3);
	assert_int_equal(st1.timeouts - st0.timeouts, 1);
	assert_int_equal(st1.replies - st0.replies, 2);
	free(g);
}

static void test_cancel_queued_and_inflight(void **state)
{
	struct fixture *f = *state;
	struct mb_got *g = calloc(3, sizeof *g);
	struct modbus_xreq a = mb_xreq(3, MB_HOLDING, 0, 1, 2000);
	struct modbus_xact *x0, *x1;

	x0 = modbus_link_submit(f->link, &a, mb_on_res, &g[0]); /* goes in flight */
	x1 = modbus_link_submit(f->link, &a, mb_on_res, &g[1]); /* queued */
	assert_non_null(modbus_link_submit(f->link, &a, mb_on_res, &g[2]));
	modbus_link_cancel(f->link, x1);
	modbus_link_cancel(f->link, x0);
	assert_true(mb_run_until(f->loop, &g[2].done, MB_XCHG_WAIT_MS));
	assert_false(g[0].done);
	assert_false(g[1].done);
	assert_int_equal(g[2].regs[0], 3000);
	free(g);
}

static void test_server_restart(void **state)
{
	struct fixture *f = *state;
	struct mb_got *g = calloc(1, sizeof *g);
	struct modbus_xreq r = mb_xreq(3, MB_HOLDING, 5, 1, 1000);
	int port = f->peer.port, tries;

	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->regs[0], 3005);
	mb_peer_stop(&f->peer);
	mb_exchange(f->link, f->loop, &r, g); /* connection reset, or refused on reconnect */
	assert_true(g->err == -ECONNRESET || g->err == -ECONNREFUSED);
	mb_exchange(f->link, f->loop, &r, g);
	assert_int_equal(g->err, -ECONNREFUSED);
	assert_non_null(strstr(g->reason, "refused"));
	assert_int_equal(mb_peer_start(&f->peer, port), 0);
	/* Fails fast during the backoff, then reconnects: bounded number of polls. */
	for (tries = 0; tries < 200; tries++) {
		mb_exchange(f->link, f->loop, &r, g);
		if (g->err == 0)
			break;
		bool never = false;
		mb_run_until(f->loop, &never, 100);
	}
	assert_int_equal(g->err, 0);
	assert_int_equal(g->regs[0], 3005);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_and_order),
		cmocka_unit_test(test_bits_and_inputs),
		cmocka_unit_test(test_exception_by_name),
		cmocka_unit_test(test_dead_unit_does_not_block),
		cmocka_unit_test(test_cancel_queued_and_inflight),
		cmocka_unit_test(test_server_restart),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
