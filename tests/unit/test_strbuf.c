/* The string builder: appends of any length, take/reset/free, sticky out-of-memory. */
#include "testing.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strbuf.h"

static void test_empty(void **state)
{
	(void)state;
	struct strbuf b = STRBUF_INIT;
	assert_string_equal(strbuf_str(&b), "");
	assert_int_equal(b.len, 0);
	char *s = strbuf_take(&b); /* an empty builder still gives a string to free */
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	strbuf_free(&b);
}

/* HTML text: the five characters that could open markup or end an attribute become
 * entities, the rest (UTF-8 included) stays as it is. */
static void test_append_html(void **state)
{
	(void)state;
	struct strbuf b = STRBUF_INIT;
	assert_int_equal(strbuf_append_html(&b, "a<b>&\"c'd\" \xc2\xb0" "C"), 0);
	assert_string_equal(strbuf_str(&b), "a&lt;b&gt;&amp;&quot;c&#39;d&quot; \xc2\xb0" "C");
	assert_int_equal(strbuf_append_html(&b, ""), 0);
	assert_int_equal(strbuf_append_html(&b, "<"), 0);
	assert_string_equal(strbuf_str(&b), "a&lt;b&gt;&amp;&quot;c&#39;d&quot; \xc2\xb0" "C&lt;");
	strbuf_free(&b);
}

static void test_append_and_format(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	assert_int_equal(strbuf_appends(&b, "event: "), 0);
	assert_int_equal(strbuf_append(&b, "diffXXX", 4), 0);
	assert_int_equal(strbuf_appendf(&b, "\ndata: {\"ts_ms\":%lld}%c", 1700000000123LL, '\n'), 0);
	assert_string_equal(strbuf_str(&b), "event: diff\ndata: {\"ts_ms\":1700000000123}\n");
	assert_int_equal(b.len, strlen(b.s));
	strbuf_free(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
}

/* Formatted text longer than the room there is (and than any fixed scratch buffer)
 * comes out whole: the builder grows and formats again. */
static void test_long_format_grows(void **state)
{
	(void)state;
	char word[5000];
	memset(word, 'w', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	struct strbuf b = STRBUF_INIT;
	assert_int_equal(strbuf_appends(&b, "<"), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(strbuf_appendf(&b, "%d:%s;", i, word), 0);
	assert_int_equal(b.len, 1 + 3 * (2 + strlen(word) + 1));
	assert_int_equal(strlen(b.s), b.len);
	assert_true(b.cap > b.len);
	assert_memory_equal(b.s, "<0:www", 6);
	assert_memory_equal(b.s + b.len - 4, "www;", 4);
	assert_memory_equal(b.s + 1 + 2 + strlen(word) + 1, "1:w", 3);
	char *s = strbuf_take(&b);
	assert_null(b.s); /* taken: the builder is empty again */
	assert_int_equal(b.len, 0);
	assert_int_equal(strlen(s), 1 + 3 * (2 + strlen(word) + 1));
	free(s);
}

static void test_reserve_keeps_room(void **state)
{
	(void)state;
	struct strbuf b = STRBUF_INIT;
	assert_int_equal(strbuf_reserve(&b, 1000), 0);
	assert_true(b.cap >= 1001);
	assert_string_equal(strbuf_str(&b), "");
	char *before = b.s;
	for (int i = 0; i < 100; i++)
		assert_int_equal(strbuf_appendf(&b, "%09d", i), 0);
	assert_ptr_equal(b.s, before); /* 1000 bytes fit in what was reserved */
	assert_int_equal(b.len, 900);
	assert_memory_equal(b.s + 891, "000000099", 9);
	strbuf_free(&b);
}

static void test_reset_reuses(void **state)
{
	(void)state;
	struct strbuf b = STRBUF_INIT;
	strbuf_appends(&b, "first text");
	size_t cap = b.cap;
	strbuf_reset(&b);
	assert_string_equal(strbuf_str(&b), "");
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	strbuf_appendf(&b, "%s", "second");
	assert_string_equal(strbuf_str(&b), "second");
	strbuf_free(&b);
}

/* A failure sticks: later appends are refused, the text stays what it was, and take
 * gives NULL (freeing the text) so a caller checks once at the end.  Reset clears it. */
static void test_out_of_memory_is_sticky(void **state)
{
	(void)state;
	struct strbuf b = STRBUF_INIT;
	assert_int_equal(strbuf_appends(&b, "kept"), 0);
	assert_int_equal(strbuf_reserve(&b, SIZE_MAX - 8), -ENOMEM);
	assert_true(b.failed);
	assert_int_equal(strbuf_appends(&b, " more"), -ENOMEM);
	assert_int_equal(strbuf_appendf(&b, "%d", 42), -ENOMEM);
	assert_string_equal(strbuf_str(&b), "kept");
	strbuf_reset(&b);
	assert_false(b.failed);
	assert_int_equal(strbuf_appends(&b, "again"), 0);
	assert_string_equal(strbuf_str(&b), "again");
	assert_int_equal(strbuf_append(&b, "x", SIZE_MAX / 2), -ENOMEM);
	assert_null(strbuf_take(&b));
	assert_null(b.s);
	assert_false(b.failed); /* taken: empty and usable again */
	strbuf_free(&b);
}

/* RFC 4648's test vectors, padding included, and bytes past 0x7f. */
static void test_base64(void **state)
{
	(void)state;
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					  "Zm9vYmFy"};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct strbuf b = STRBUF_INIT;
		assert_int_equal(strbuf_append_base64(&b, in[i], strlen(in[i])), 0);
		assert_string_equal(strbuf_str(&b) ? strbuf_str(&b) : "", out[i]);
		strbuf_free(&b);
	}
	struct strbuf b = STRBUF_INIT;
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0xff, 0xfe};
	assert_int_equal(strbuf_append_base64(&b, png, sizeof(png)), 0);
	assert_string_equal(strbuf_str(&b), "iVBOR//+");
	strbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append_html),
		cmocka_unit_test(test_append_and_format),
		cmocka_unit_test(test_long_format_grows),
		cmocka_unit_test(test_reserve_keeps_room),
		cmocka_unit_test(test_reset_reuses),
		cmocka_unit_test(test_out_of_memory_is_sticky),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
