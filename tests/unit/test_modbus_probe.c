/* The probe: argument parsing, every plausible decoding printed, and a real read from
 * the pymodbus peer through `dcmon probe modbus`'s library entry point. */
#include "testing.h"

#include <stdlib.h>

#include "dcmon/modbus.h"
#include "modbus.h"
#include "modbus_peer.h"

static char *print_regs(const uint16_t *regs, size_t n, uint16_t base, enum modbus_table t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(modbus_probe_print_table(f, regs, n, base, t), 0);
	fclose(f);
	return buf;
}

static void test_print_float_orders(void **state)
{
	static const uint16_t regs[] = { 0x47F1, 0x2000 };
	char *s = print_regs(regs, 2, 99, MB_HOLDING);

	(void)state;
	assert_non_null(strstr(s, "  99    float32 ABCD 123456\n"));
	/* the word-swapped reading 0x200047F1 ~ 1.1e-19 is not plausible: left out */
	assert_null(strstr(s, "float32 CDAB"));
	assert_non_null(strstr(s, "  99    uint32  ABCD 1206984704"));
	assert_non_null(strstr(s, "  99    uint32  CDAB 536889329"));
	assert_non_null(strstr(s, "  99    int16   ABCD 18417"));
	assert_non_null(strstr(s, "  99    int16   BADC -3769"));
	assert_non_null(strstr(s, "  99      40100    0x47F1")); /* 0-based 99 = ref 40100 */
	assert_non_null(strstr(s, "x0.1 1841.7"));
	free(s);
}

static void test_args(void **state)
{
	struct modbus_probe_req pr;
	char err[160];
	char h1[] = "10.1.2.3:1502", h2[] = "[::1]:15020", h3[] = "gw";
	char *a1[] = { h1, "--unit", "7", "--addr", "0x400", "--count", "20", "--function",
		       "input" };
	char *a2[] = { h2 };
	char *a3[] = { h3, "--count", "126" };
	char *a4[] = { h3, "--function", "coils" };

	(void)state;
	assert_int_equal(modbus_probe_args(9, a1, &pr, err, sizeof err), 0);
	assert_string_equal(pr.host, "10.1.2.3");
	assert_int_equal(pr.port, 1502);
	assert_int_equal(pr.unit, 7);
	assert_int_equal(pr.addr, 1024);
	assert_int_equal(pr.count, 20);
	assert_int_equal(pr.table, MB_INPUT);
	assert_int_equal(modbus_probe_args(1, a2, &pr, err, sizeof err), 0);
	assert_string_equal(pr.host, "::1");
	assert_int_equal(pr.port, 15020);
	assert_int_equal(modbus_probe_args(3, a3, &pr, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(modbus_probe_args(3, a4, &pr, err, sizeof err), -EINVAL);
}

static void test_probe_real_peer(void **state)
{
	struct mb_peer peer;
	char port[32], *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_int_equal(mb_peer_start(&peer, 0), 0);
	snprintf(port, sizeof port, "127.0.0.1:%d", peer.port);
	/* unit 1 holding 164..165: float32 ABCD slot (type 4, order 0: 100 + 4 * 16) */
	char *argv[] = { port, "--unit", "1", "--addr", "164", "--count", "2" };
	out = open_memstream(&buf, &len);
	assert_int_equal(modbus_probe_main(7, argv, out, stderr), 0);
	fclose(out);
	assert_non_null(strstr(buf, "float32 ABCD -273.149994"));
	free(buf);
	/* unit 1 input 8..11 raises "illegal data address" */
	snprintf(port, sizeof port, "127.0.0.1:%d", peer.port); /* argv[0] was split in place */
	char *argv2[] = { port, "--addr", "8", "--count", "4", "--function", "input" };
	buf = NULL;
	out = open_memstream(&buf, &len);
	assert_int_equal(modbus_probe_main(7, argv2, stdout, out), 1);
	fclose(out);
	assert_non_null(strstr(buf, "exception 2 (illegal data address)"));
	free(buf);
	mb_peer_stop(&peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_float_orders),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_probe_real_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
