/* The Modbus RTU link (libmodbus on the worker pool) against pymodbus's serial server
 * behind a pty pair: registers, bits, an exception by name, a unit that never answers,
 * and requests of several units serialized on the one line. */
#include "testing.h"

#include <stdlib.h>

#include "dcmon/workq.h"
#include "modbus.h"
#include "modbus_peer.h"
#include "modbus_xchg.h"


struct fixture {
	struct mb_peer peer;
	struct loop *loop;
	struct workq *wq;
	struct modbus_link *link;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct modbus_endpoint ep = { .baud = 19200, .parity = 'E', .data_bits = 8,
				      .stop_bits = 1 };

	*state = f; /* cmocka runs the group teardown even when this fails */
	if (!f || mb_peer_start_rtu(&f->peer) < 0)
		return -1;
	ep.device = f->peer.tty;
	f->loop = loop_new();
	f->wq = workq_new(f->loop, 2);
	f->link = modbus_link_get(f->loop, f->wq, &ep);
	return f->link ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	modbus_link_put(f->link);
	workq_free(f->wq);
	loop_free(f->loop);
	mb_peer_stop(&f->peer);
	free(f);
	return 0;
}

static void test_registers_and_bits(void **state)
{
	struct fixture *f = *state;
	struct modbus_xreq r = mb_xreq(1, MB_HOLDING, 164, 2, 2000); /* float32 ABCD slot */
	struct mb_got g;

	mb_exchange(f->link, f->loop, &r, &g);
	if (g.err)
		fail_msg("read failed: %s", g.reason);
	assert_true(modbus_pattern_value(modbus_assemble(g.regs, MB_T_FLOAT32, MB_ABCD),
					 MB_T_FLOAT32) == (double)-273.15f);
	r = mb_xreq(1, MB_INPUT, 0, 2, 2000);
	mb_exchange(f->link, f->loop, &r, &g);
	assert_int_equal(g.regs[0], 271);
	assert_int_equal(g.regs[1], 0xFFFF);
	r = mb_xreq(1, MB_COIL, 0, 4, 2000);
	mb_exchange(f->link, f->loop, &r, &g);
	assert_int_equal(g.count, 4);
	assert_int_equal(g.regs[0] * 8 + g.regs[1] * 4 + g.regs[2] * 2 + g.regs[3], 0xB);
}

static void test_exception_name(void **state)
{
	struct fixture *f = *state;
	struct modbus_xreq r = mb_xreq(1, MB_INPUT, 8, 4, 2000);
	struct mb_got g;

	mb_exchange(f->link, f->loop, &r, &g);
	assert_int_equal(g.exception, 2);
	assert_string_equal(g.reason, "exception 2 (illegal data address)");
}

static void test_dead_unit_then_others(void **state)
{
	struct fixture *f = *state;
	struct mb_got g[3];
	struct modbus_xreq dead = mb_xreq(9, MB_HOLDING, 0, 1, 300), u3 = mb_xreq(3, MB_HOLDING, 0, 10, 2000),
			   u1 = mb_xreq(1, MB_INPUT, 0, 1, 2000);

	memset(g, 0, sizeof g);
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers_and_bits),
		cmocka_unit_test(test_exception_name),
		cmocka_unit_test(test_dead_unit_then_others),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
