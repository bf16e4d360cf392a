/* Register decoding: every type in every word order, scale/offset, sentinels,
 * NaN/Inf, valid ranges, masked states, bit fields, exception names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "modbus.h"

/* Writes the big-endian bytes of pattern (nw words) as registers in order o: the
 * inverse of modbus_assemble, written independently byte by byte. */
static void encode(uint16_t *regs, uint64_t pattern, unsigned nw, enum modbus_order o)
{
	uint8_t bytes[8];

	for (unsigned i = 0; i < 2 * nw; i++)
		bytes[i] = (uint8_t)(pattern >> (8 * (2 * nw - 1 - i)));
	for (unsigned w = 0; w < nw; w++) {
		unsigned src = (o == MB_CDAB || o == MB_DCBA) ? nw - 1 - w : w;
		uint8_t hi = bytes[2 * src], lo = bytes[2 * src + 1];

		if (o == MB_BADC || o == MB_DCBA)
			regs[w] = (uint16_t)(lo << 8 | hi);
		else
			regs[w] = (uint16_t)(hi << 8 | lo);
	}
}

static struct modbus_point point(enum modbus_type t, enum modbus_order o)
{
	struct modbus_point p = {
		.table = MB_HOLDING, .type = t, .order = o, .scale = 1, .offset = 0,
		.min = NAN, .max = NAN,
	};
	return p;
}

static double decode_ok(const struct modbus_point *p, const uint16_t *regs)
{
	char why[128] = "";
	double v = -1;

	int rc = modbus_point_decode(p, regs, &v, why, sizeof why);
	if (rc != 0)
		fail_msg("decode failed: %d %s", rc, why);
	return v;
}

/* The libmodbus-verified fixture: 123456.0f in each order (facility-facts 5.1). */
static void test_float32_known_words(void **state)
{
	static const uint16_t abcd[] = { 0x47F1, 0x2000 }, cdab[] = { 0x2000, 0x47F1 },
			      badc[] = { 0xF147, 0x0020 }, dcba[] = { 0x0020, 0xF147 };
	struct modbus_point p;

	(void)state;
	p = point(MB_T_FLOAT32, MB_ABCD);
	assert_true(decode_ok(&p, abcd) == 123456.0);
	p.order = MB_CDAB;
	assert_true(decode_ok(&p, cdab) == 123456.0);
	p.order = MB_BADC;
	assert_true(decode_ok(&p, badc) == 123456.0);
	p.order = MB_DCBA;
	assert_true(decode_ok(&p, dcba) == 123456.0);
	/* The deprecated modbus_get_float() case: {0x229a,0x4465} is CDAB 916.540649. */
	static const uint16_t legacy[] = { 0x229a, 0x4465 };
	p.order = MB_CDAB;
	assert_float_equal(decode_ok(&p, legacy), 916.540649, 1e-5);
}

struct type_case {
	enum modbus_type type;
	uint64_t pattern;
	double want;
};

static void test_every_type_every_order(void **state)
{
	static const struct type_case cases[] = {
		{ MB_T_INT16, 0xFF85, -123 },
		{ MB_T_UINT16, 0xFF85, 65413 },
		{ MB_T_INT32, 0xFFFE1DC0, -123456 },
		{ MB_T_UINT32, 0xDEADBEEF, 3735928559.0 },
		{ MB_T_FLOAT32, 0xC2F6E979, -123.456001281738 }, /* -123.456f */
		{ MB_T_INT64, 0xFFFFFF1A0B370C98, -987654321000.0 },
		{ MB_T_UINT64, 0x0123456789ABCDEF, 81985529216486895.0 },
		{ MB_T_FLOAT64, 0x40FE240C9FBE76C9, 123456.789 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int o = 0; o < MB_ORDER_COUNT; o++) {
			struct modbus_point p = point(cases[i].type, (enum modbus_order)o);
			uint16_t regs[4];
			unsigned nw = modbus_type_words(cases[i].type);

			encode(regs, cases[i].pattern, nw, (enum modbus_order)o);
			assert_int_equal(modbus_assemble(regs, p.type, p.order), cases[i].pattern);
			assert_float_equal(decode_ok(&p, regs), cases[i].want,
					   fabs(cases[i].want) * 1e-12 + 1e-9);
		}
	}
}

static void test_orders_distinct(void **state)
{
	/* One register pair read four ways gives four different numbers. */
	static const uint16_t regs[] = { 0x0102, 0x0304 };
	(void)state;
	assert_int_equal(modbus_assemble(regs, MB_T_UINT32, MB_ABCD), 0x01020304);
	assert_int_equal(modbus_assemble(regs, MB_T_UINT32, MB_CDAB), 0x03040102);
	assert_int_equal(modbus_assemble(regs, MB_T_UINT32, MB_BADC), 0x02010403);
	assert_int_equal(modbus_assemble(regs, MB_T_UINT32, MB_DCBA), 0x04030201);
	static const uint16_t r64[] = { 0x0102, 0x0304, 0x0506, 0x0708 };
	assert_int_equal(modbus_assemble(r64, MB_T_UINT64, MB_CDAB), 0x0708050603040102ULL);
	assert_int_equal(modbus_assemble(r64, MB_T_UINT64, MB_DCBA), 0x0807060504030201ULL);
	assert_int_equal(modbus_assemble(r64, MB_T_UINT16, MB_BADC), 0x0201);
	assert_int_equal(modbus_assemble(r64, MB_T_UINT16, MB_CDAB), 0x0102);
}

static void test_scale_offset(void **state)
{
	static const uint16_t batt[] = { 271 }, temp[] = { 0xFFF6 };
	struct modbus_point p = point(MB_T_UINT16, MB_ABCD);

	(void)state;
	p.scale = 0.1;
	assert_float_equal(decode_ok(&p, batt), 27.1, 1e-9);
	p = point(MB_T_INT16, MB_ABCD);
	p.scale = 0.5;
	p.offset = -40;
	assert_float_equal(decode_ok(&p, temp), -45.0, 1e-9); /* -10 * 0.5 - 40 */
}

static void test_sentinels(void **state)
{
	struct modbus_sentinel dse[] = { { 0xFFF8, 0xFFFF } }, comap[] = { { 0x8000, 0x8000 } };
	struct modbus_point p = point(MB_T_UINT16, MB_ABCD);
	uint16_t r[1] = { 0xFFFF };
	char why[128];
	double v = 42;

	(void)state;
	p.sentinels = dse;
	p.nsentinels = 1;
	assert_int_equal(modbus_point_decode(&p, r, &v, why, sizeof why), -ENODATA);
	assert_string_equal(why, "not available (0xFFFF)");
	assert_true(v == 42); /* never 65535 */
	r[0] = 0xFFF8;
	assert_int_equal(modbus_point_decode(&p, r, &v, why, sizeof why), -ENODATA);
	r[0] = 0xFFF7;
	assert_int_equal(modbus_point_decode(&p, r, &v, why, sizeof why), 0);
	assert_true(v == 0xFFF7);
	/* Signed: -32768 is the 16-bit pattern 0x8000. */
	p = point(MB_T_INT16, MB_ABCD);
	p.sentinels = comap;
	p.nsentinels = 1;
	r[0] = 0x8000;
	assert_int_equal(modbus_point_decode(&p, r, &v, why, sizeof why), -ENODATA);
	/* 32-bit sentinel compared after word order. */
	struct modbus_sentinel s32[] = { { 0x7FFFFFF8, 0x7FFFFFFF } };
	uint16_t r2[2] = { 0xFFFF, 0x7FFF }; /* CDAB of 0x7FFFFFFF */
	p = point(MB_T_INT32, MB_CDAB);
	p.sentinels = s32;
	p.nsentinels = 1;
	assert_int_equal(modbus_point_decode(&p, r2, &v, why, sizeof why), -ENODATA);
	assert_string_equal(why, "not available (0x7FFFFFFF)");
}

static void test_nan_inf_range(void **state)
{
	static const uint16_t nan32[] = { 0x7FC0, 0x0000 }, inf32[] = { 0x7F80, 0x0000 },
			      big[] = { 500 };
	struct modbus_point p = point(MB_T_FLOAT32, MB_ABCD);
	char why[128];
	double v = 7;

	(void)state;
	assert_int_equal(modbus_point_decode(&p, nan32, &v, why, sizeof why), -ERANGE);
	assert_string_equal(why, "value is NaN");
	assert_int_equal(modbus_point_decode(&p, inf32, &v, why, sizeof why), -ERANGE);
	assert_string_equal(why, "value is infinite");
	assert_true(v == 7);
	p = point(MB_T_UINT16, MB_ABCD);
	p.min = 0;
	p.max = 130;
	assert_int_equal(modbus_point_decode(&p, big, &v, why, sizeof why), -ERANGE);
	assert_non_null(strstr(why, "outside valid range"));
}

static void test_states_and_bits(void **state)
{
	/* Notifier-style zone word: bit 14 prealarm, 13 trouble, 11 active + 0x10 fire,
	 * 9 disabled, low byte 0xFF = not present. */
	struct modbus_state st[] = {
		{ .name = "not_present", .mask = 0x00FF, .value = 0x00FF },
		{ .name = "alarm", .mask = 0x08FF, .value = 0x0810 },
		{ .name = "disabled", .mask = 0x0200, .value = 0x0200 },
		{ .name = "fault", .mask = 0x2000, .value = 0x2000 },
		{ .name = "pre_alarm", .mask = 0x4000, .value = 0x4000 },
		{ .name = "normal", .mask = 0, .value = 0 },
	};
	struct modbus_point p = point(MB_T_UINT16, MB_ABCD);
	uint16_t r[1];

	(void)state;
	p.states = st;
	p.nstates = 6;
	r[0] = 0x0400; /* enabled, nothing else */
	assert_true(decode_ok(&p, r) == 5);
	r[0] = 0x0C10;
	assert_true(decode_ok(&p, r) == 1);
	r[0] = 0x2400;
	assert_true(decode_ok(&p, r) == 3);
	r[0] = 0x00FF;
	assert_true(decode_ok(&p, r) == 0);

	/* DSE alarm nibbles: bits 15-12 first alarm. */
	struct modbus_bitfield f0 = { .bit = 12, .width = 4 }, f3 = { .bit = 0, .width = 4 },
			       b1 = { .bit = 1, .width = 1 };
	assert_int_equal(modbus_field_value(&f0, 0x3002), 3);
	assert_int_equal(modbus_field_value(&f3, 0x3002), 2);
	assert_int_equal(modbus_field_value(&b1, 0x0002), 1);
	assert_int_equal(modbus_field_value(&b1, 0x0005), 0);
}

static void test_bits_table(void **state)
{
	struct modbus_point p = point(MB_T_BOOL, MB_ABCD);
	uint16_t on[1] = { 1 }, off[1] = { 0 };

	(void)state;
	p.table = MB_DISCRETE;
	assert_true(decode_ok(&p, on) == 1);
	assert_true(decode_ok(&p, off) == 0);
	p.table = MB_HOLDING; /* bool on a register: non-zero is true */
	on[0] = 0x8000;
	assert_true(decode_ok(&p, on) == 1);
}

static void test_exception_names(void **state)
{
	(void)state;
	assert_string_equal(modbus_exception_name(2), "illegal data address");
	assert_string_equal(modbus_exception_name(11), "gateway target device failed to respond");
	assert_null(modbus_exception_name(9));
	assert_null(modbus_exception_name(200));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_float32_known_words),
		cmocka_unit_test(test_every_type_every_order),
		cmocka_unit_test(test_orders_distinct),
		cmocka_unit_test(test_scale_offset),
		cmocka_unit_test(test_sentinels),
		cmocka_unit_test(test_nan_inf_range),
		cmocka_unit_test(test_states_and_bits),
		cmocka_unit_test(test_bits_table),
		cmocka_unit_test(test_exception_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
