/* The values of one poll (pollers/snmp_vals.c): keys and texts live in an arena kept
 * from poll to poll, so a clear must forget every value while later polls (more
 * values than one arena block holds, longer texts) read back exactly what they put. */
#include "testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_int.h"

#define NOIDS 3000 /* far more than one arena block's keys and texts */

/* OID 1.3.6.1.4.1.99999.<i / 100>.<i % 100>.0 */
static size_t oid_of(size_t i, oid *o)
{
	static const oid base[] = {1, 3, 6, 1, 4, 1, 99999};
	memcpy(o, base, sizeof(base));
	o[7] = i / 100;
	o[8] = i % 100;
	o[9] = 0;
	return 10;
}

/* Puts value i of poll `pass`: integers, strings of varying length and errors. */
static void put_one(struct snmp_vals *v, size_t i, int pass)
{
	oid o[SNMP_OID_MAX];
	size_t len = oid_of(i, o);
	netsnmp_variable_list var = {0};
	long num = (long)(i * 10 + (size_t)pass);
	char text[SNMP_TEXT_MAX];
	var.name = o;
	var.name_length = len;
	switch (i % 3) {
	case 0:
		var.type = ASN_INTEGER;
		var.val.integer = &num;
		var.val_len = sizeof(num);
		assert_int_equal(snmp_vals_put_var(v, &var), 0);
		break;
	case 1:
		snprintf(text, sizeof(text), "r%d-%0*zu", pass, (int)(i % 200), i);
		var.type = ASN_OCTET_STR;
		var.val.string = (u_char *)text;
		var.val_len = strlen(text);
		assert_int_equal(snmp_vals_put_var(v, &var), 0);
		break;
	default:
		snprintf(text, sizeof(text), "error %zu of pass %d", i, pass);
		assert_int_equal(snmp_vals_put_err(v, o, len, text), 0);
	}
}

static void check_one(const struct snmp_vals *v, size_t i, int pass)
{
	oid o[SNMP_OID_MAX];
	size_t len = oid_of(i, o);
	const struct snmp_val *val = snmp_vals_get(v, o, len);
	char want[SNMP_TEXT_MAX];
	assert_non_null(val);
	switch (i % 3) {
	case 0:
		assert_int_equal(val->type, SV_NUM);
		assert_true(val->num == (double)(i * 10 + (size_t)pass));
		break;
	case 1:
		snprintf(want, sizeof(want), "r%d-%0*zu", pass, (int)(i % 200), i);
		assert_int_equal(val->type, SV_STR);
		assert_string_equal(val->text, want);
		break;
	default:
		snprintf(want, sizeof(want), "error %zu of pass %d", i, pass);
		assert_int_equal(val->type, SV_ERR);
		assert_string_equal(val->text, want);
	}
}

/* Several polls of the same table: each first marks every OID "no answer" (as a poll
 * plans its GETs), then stores the answers over them. */
static void test_polls_reuse_the_arena(void **state)
{
	(void)state;
	struct snmp_vals *v = snmp_vals_new();
	assert_non_null(v);
	for (int pass = 1; pass <= 4; pass++) {
		snmp_vals_clear(v);
		oid o[SNMP_OID_MAX];
		assert_null(snmp_vals_get(v, o, oid_of(0, o)));
		size_t n = pass == 3 ? NOIDS / 3 : NOIDS; /* a smaller poll in between */
		for (size_t i = 0; i < n; i++)
			assert_int_equal(snmp_vals_put_err(v, o, oid_of(i, o), "no answer"), 0);
		for (size_t i = 0; i < n; i++)
			put_one(v, i, pass);
		for (size_t i = 0; i < n; i++)
			check_one(v, i, pass);
		assert_null(snmp_vals_get(v, o, oid_of(n, o))); /* never put in this poll */
	}
	snmp_vals_free(v);
	snmp_vals_free(NULL);
}

/* Tables pass from ended polls to the next ones: a table given back comes out again
 * empty; more than 32 given back at once are freed (ASan: no leak, no double free). */
static void test_tables_shared_between_polls(void **state)
{
	(void)state;
	oid o[SNMP_OID_MAX];
	struct snmp_vals *a = snmp_vals_take();
	assert_non_null(a);
	for (size_t i = 0; i < 100; i++)
		put_one(a, i, 1);
	snmp_vals_give(a);
	struct snmp_vals *b = snmp_vals_take();
	assert_ptr_equal(b, a); /* the spare, not a new table */
	assert_null(snmp_vals_get(b, o, oid_of(0, o)));
	for (size_t i = 0; i < 10; i++)
		put_one(b, i, 2);
	for (size_t i = 0; i < 10; i++)
		check_one(b, i, 2);
	struct snmp_vals *many[40];
	for (size_t i = 0; i < 40; i++) /* 40 polls at once */
		assert_non_null(many[i] = snmp_vals_take());
	for (size_t i = 0; i < 40; i++)
		snmp_vals_give(many[i]);
	snmp_vals_give(b);
	snmp_vals_give(NULL);
	for (size_t i = 0; i < 32; i++) /* the 32 spares, then new ones */
		assert_non_null(many[i] = snmp_vals_take());
	for (size_t i = 0; i < 32; i++)
		snmp_vals_free(many[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_polls_reuse_the_arena),
	    cmocka_unit_test(test_tables_shared_between_polls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
