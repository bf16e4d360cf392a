/* Request coalescing: merging, gaps, the 125-register / 2000-bit limits, tables kept
 * apart, points flagged to stand alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "modbus.h"

static struct modbus_point pt(enum modbus_table t, uint16_t addr, enum modbus_type ty)
{
	struct modbus_point p = { .table = t, .addr = addr, .type = ty, .scale = 1,
				  .min = NAN, .max = NAN };
	return p;
}

static void assert_req(const struct modbus_req *r, enum modbus_table t, uint16_t addr,
		       uint16_t count, size_t first, size_t n)
{
	assert_int_equal(r->table, t);
	assert_int_equal(r->addr, addr);
	assert_int_equal(r->count, count);
	assert_int_equal(r->first, first);
	assert_int_equal(r->npoints, n);
}

static void test_adjacent_merge_and_sort(void **state)
{
	/* Given out of order; the DSE block 1024..1031 plus a 32-bit at 1032. */
	struct modbus_point p[] = {
		pt(MB_HOLDING, 1030, MB_T_UINT16), pt(MB_HOLDING, 1024, MB_T_UINT16),
		pt(MB_HOLDING, 1032, MB_T_UINT32), pt(MB_HOLDING, 1025, MB_T_INT16),
		pt(MB_HOLDING, 1029, MB_T_UINT16), pt(MB_HOLDING, 1027, MB_T_UINT16),
	};
	struct modbus_plan plan;

	(void)state;
	assert_int_equal(modbus_plan_build(p, 6, 0, NULL, &plan), 0);
	/* 1024,1025 | 1027 | 1029,1030 | 1032-1033 with gap 0 */
	assert_int_equal(plan.nreqs, 4);
	assert_req(&plan.reqs[0], MB_HOLDING, 1024, 2, 0, 2);
	assert_req(&plan.reqs[1], MB_HOLDING, 1027, 1, 2, 1);
	assert_req(&plan.reqs[2], MB_HOLDING, 1029, 2, 3, 2);
	assert_req(&plan.reqs[3], MB_HOLDING, 1032, 2, 5, 1);
	modbus_plan_free(&plan);
	/* gap 1 joins them all: 1024..1033 */
	assert_int_equal(modbus_plan_build(p, 6, 1, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 1);
	assert_req(&plan.reqs[0], MB_HOLDING, 1024, 10, 0, 6);
	modbus_plan_free(&plan);
}

static void test_tables_apart(void **state)
{
	struct modbus_point p[] = {
		pt(MB_INPUT, 10, MB_T_UINT16), pt(MB_HOLDING, 10, MB_T_UINT16),
		pt(MB_HOLDING, 11, MB_T_UINT16), pt(MB_COIL, 0, MB_T_BOOL),
		pt(MB_COIL, 5, MB_T_BOOL), pt(MB_DISCRETE, 1, MB_T_BOOL),
	};
	struct modbus_plan plan;

	(void)state;
	assert_int_equal(modbus_plan_build(p, 6, 8, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 4);
	assert_req(&plan.reqs[0], MB_COIL, 0, 6, 0, 2);
	assert_req(&plan.reqs[1], MB_DISCRETE, 1, 1, 2, 1);
	assert_req(&plan.reqs[2], MB_HOLDING, 10, 2, 3, 2);
	assert_req(&plan.reqs[3], MB_INPUT, 10, 1, 5, 1);
	modbus_plan_free(&plan);
}

static void test_register_limit(void **state)
{
	/* 300 consecutive registers -> 125 + 125 + 50. */
	struct modbus_point *p = calloc(300, sizeof *p);
	struct modbus_plan plan;

	(void)state;
	for (int i = 0; i < 300; i++)
		p[i] = pt(MB_INPUT, (uint16_t)(100 + i), MB_T_UINT16);
	assert_int_equal(modbus_plan_build(p, 300, 8, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 3);
	assert_req(&plan.reqs[0], MB_INPUT, 100, 125, 0, 125);
	assert_req(&plan.reqs[1], MB_INPUT, 225, 125, 125, 125);
	assert_req(&plan.reqs[2], MB_INPUT, 350, 50, 250, 50);
	modbus_plan_free(&plan);
	/* A float64 that would cross the limit starts a new request. */
	for (int i = 0; i < 31; i++)
		p[i] = pt(MB_HOLDING, (uint16_t)(4 * i), MB_T_FLOAT64); /* 0..123 */
	p[31] = pt(MB_HOLDING, 124, MB_T_FLOAT64);                      /* 124..127 */
	assert_int_equal(modbus_plan_build(p, 32, 0, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 2);
	assert_req(&plan.reqs[0], MB_HOLDING, 0, 124, 0, 31);
	assert_req(&plan.reqs[1], MB_HOLDING, 124, 4, 31, 1);
	modbus_plan_free(&plan);
	free(p);
}

static void test_bit_limit(void **state)
{
	struct modbus_point p[] = {
		pt(MB_COIL, 0, MB_T_BOOL), pt(MB_COIL, 1999, MB_T_BOOL),
		pt(MB_COIL, 2000, MB_T_BOOL),
	};
	struct modbus_plan plan;

	(void)state;
	assert_int_equal(modbus_plan_build(p, 3, 5000, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 2);
	assert_req(&plan.reqs[0], MB_COIL, 0, 2000, 0, 2);
	assert_req(&plan.reqs[1], MB_COIL, 2000, 1, 2, 1);
	modbus_plan_free(&plan);
}

static void test_gap_and_nomerge(void **state)
{
	struct modbus_point p[] = {
		pt(MB_HOLDING, 0, MB_T_UINT16), pt(MB_HOLDING, 9, MB_T_UINT16),
		pt(MB_HOLDING, 10, MB_T_UINT16), pt(MB_HOLDING, 11, MB_T_UINT16),
		pt(MB_HOLDING, 65534, MB_T_UINT16), pt(MB_HOLDING, 65535, MB_T_UINT16),
	};
	bool nomerge[6] = { false, false, true, false, false, false };
	struct modbus_plan plan;

	(void)state;
	assert_int_equal(modbus_plan_build(p, 6, 8, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 2);
	assert_req(&plan.reqs[0], MB_HOLDING, 0, 12, 0, 4); /* hole 1..8 = 8 <= gap */
	assert_req(&plan.reqs[1], MB_HOLDING, 65534, 2, 4, 2);
	modbus_plan_free(&plan);
	assert_int_equal(modbus_plan_build(p, 6, 7, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 3); /* hole of 8 > gap 7 */
	modbus_plan_free(&plan);
	assert_int_equal(modbus_plan_build(p, 6, 8, nomerge, &plan), 0);
	assert_int_equal(plan.nreqs, 4);
	assert_req(&plan.reqs[0], MB_HOLDING, 0, 10, 0, 2);
	assert_req(&plan.reqs[1], MB_HOLDING, 10, 1, 2, 1);
	assert_req(&plan.reqs[2], MB_HOLDING, 11, 1, 3, 1);
	modbus_plan_free(&plan);
	assert_int_equal(modbus_plan_build(p, 0, 8, NULL, &plan), 0);
	assert_int_equal(plan.nreqs, 0);
	modbus_plan_free(&plan);
	modbus_plan_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjacent_merge_and_sort),
		cmocka_unit_test(test_tables_apart),
		cmocka_unit_test(test_register_limit),
		cmocka_unit_test(test_bit_limit),
		cmocka_unit_test(test_gap_and_nomerge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
