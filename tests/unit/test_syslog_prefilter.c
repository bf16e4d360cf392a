/* The log rules' literal prefilter (events/syslog_prefilter.c): the literals taken
 * from regexes, and the property that matters: a message a rule's regex matches is
 * never filtered out. */
#include "testing.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "syslog_int.h"

/* The literals of re's filter, joined by '|' ("" when it has none). */
static const char *literals(const char *re, char *buf, size_t len)
{
	struct lit_filter f;
	lit_filter_regex(&f, re);
	buf[0] = '\0';
	for (size_t i = 0; i < f.n; i++) {
		strncat(buf, i ? "|" : "", len - strlen(buf) - 1);
		strncat(buf, f.v[i].s, len - strlen(buf) - 1);
	}
	lit_filter_release(&f);
	return buf;
}

static void test_literals(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"invalid user [a-z]+ from", "invalid user "},
	    {"COMMAND=/usr/bin/systemctl", "COMMAND=/usr/bin/systemctl"},
	    {"no such (thing|text) 7[a-z]+", "no such "},
	    {"ab*c", "a"},           /* b may be absent: neither "ab" nor "abc" */
	    {"colou?r", "colo"},
	    {"x+yz", "yz"},          /* "xyz" is not certain: "xxyz" */
	    {"xy+z", "xy"},
	    {"a{2,3}bc", "bc"},
	    {"[0-9]+ errors", " errors"},
	    {"[]a]x|y[^]]", "x|y"},   /* ']' first in a bracket is a member */
	    {"[[:digit:]]+ of (a|b)|seen", " of |seen"},
	    {"\\bfoo\\b", "foo"},
	    {"\\<ro\\>ot", "ro"},   /* GNU word boundaries are no literals */
	    {"a\\.b\\*", "a.b*"},
	    {"UPS .* on battery", " on battery"},
	    {"Out of memory|invoked oom-killer|oom-kill:", "Out of memory|invoked oom-killer|oom-kill:"},
	    {"^start", "start"},
	    {"\xc3\xa9*x", "x"},     /* a UTF-8 character is one unit for '*' */
	    {"a|", ""},              /* the empty alternative matches anything */
	    {"(a|b)", ""},
	    {".*", ""},
	    {"a+*b", ""},            /* a quantified quantifier: no literal claimed */
	};
	char buf[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i][0]);
		assert_string_equal(literals(cases[i][0], buf, sizeof(buf)), cases[i][1]);
	}
}

/* Every (regex, line) pair the regex matches passes the regex's filter, and a line
 * without the literal is filtered out. */
static void test_never_filters_a_match(void **state)
{
	(void)state;
	static const char *const res[] = {
	    "invalid user [a-z]+ from", "no such (thing|text) 7[a-z]+", "ab*c", "colou?r",
	    "x+yz", "Failed (password|publickey) for|Invalid user |authentication failure",
	    "UPS .* on battery", "I/O error|failed command: (READ|WRITE) FPDMA", "[0-9]+ errors",
	    "Power failure\\.|Running on UPS batteries", "e+", "a{2}",
	};
	static const char *const lines[] = {
	    "Failed password for invalid user bob from 10.1.2.3 port 22 ssh2",
	    "no such text 7abc", "no such thing 7", "ac", "abbbc", "color", "colour",
	    "xxyz", "xyz", "UPS ups1@localhost on battery", "Buffer I/O error on dev sda1",
	    "failed command: WRITE FPDMA QUEUED", "12 errors", "Power failure.",
	    "Running on UPS batteries", "eee", "aa", "", "nothing at all",
	    "authentication failure; logname= uid=0",
	};
	int matched = 0, filtered = 0;
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		regex_t re;
		struct lit_filter f;
		assert_int_equal(regcomp(&re, res[i], REG_EXTENDED | REG_NOSUB), 0);
		lit_filter_regex(&f, res[i]);
		for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
			struct msg_grams g;
			msg_grams_of(&g, lines[k]);
			bool pass = lit_filter_pass(&f, &g, lines[k]);
			if (regexec(&re, lines[k], 0, NULL, 0) == 0) {
				print_message("%s / %s\n", res[i], lines[k]);
				assert_true(pass);
				matched++;
			} else {
				filtered += !pass;
			}
		}
		lit_filter_release(&f);
		regfree(&re);
	}
	assert_true(matched >= 20);
	assert_true(filtered >= 150); /* the filter does its work, too */
}

/* A substring's filter: its bigrams first, then strstr. */
static void test_substring(void **state)
{
	(void)state;
	struct lit_filter f;
	struct msg_grams g;
	lit_filter_init(&f, "Failed password");
	msg_grams_of(&g, "Failed password for bob");
	assert_true(lit_filter_pass(&f, &g, "Failed password for bob"));
	msg_grams_of(&g, "password Failed"); /* the same bigrams but one, not the substring */
	assert_false(lit_filter_pass(&f, &g, "password Failed"));
	msg_grams_of(&g, "Failed passwor");
	assert_false(lit_filter_pass(&f, &g, "Failed passwor"));
	lit_filter_init(&f, "x"); /* one byte: no bigram */
	msg_grams_of(&g, "a x");
	assert_true(lit_filter_pass(&f, &g, "a x"));
	lit_filter_init(&f, NULL);
	assert_true(lit_filter_pass(&f, &g, "anything"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_never_filters_a_match),
	    cmocka_unit_test(test_substring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
