/* Syslog parsing (RFC 5424, RFC 3164), UTF-8 cleaning and RFC 6587 framing. */
#include "testing.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events_int.h"

/* 2026-12-06 07:40:00 UTC */
#define NOW_MS 1796542800000LL

struct parsed {
	struct syslog_msg m;
	char *scratch;
};

static void parse(struct parsed *p, const char *in, size_t len)
{
	p->scratch = malloc(SYSLOG_SCRATCH(len));
	syslog_parse(in, len, NOW_MS, &p->m, p->scratch, SYSLOG_SCRATCH(len));
}

static void parse_str(struct parsed *p, const char *in)
{
	parse(p, in, strlen(in));
}

static const char *field(const struct syslog_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return m->fields[i].value;
	return NULL;
}

static void test_rfc5424_full(void **state)
{
	(void)state;
	struct parsed p;
	parse_str(&p, "<165>1 2026-12-06T07:40:00.123+01:00 mymachine.example.com evntslog 42 "
		      "ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Appli\\\"cation\" "
		      "eventID=\"1011\"][origin ip=\"10.0.0.1\"] \xEF\xBB\xBF" "An application event");
	assert_int_equal(p.m.flags, 0);
	assert_int_equal(p.m.facility, 20);
	assert_int_equal(p.m.severity, 5);
	assert_int_equal(p.m.version, 1);
	assert_int_equal(p.m.reported_ms, 1796539200123LL); /* 06:40:00.123 UTC */
	assert_string_equal(p.m.host, "mymachine.example.com");
	assert_string_equal(p.m.app, "evntslog");
	assert_string_equal(p.m.procid, "42");
	assert_string_equal(p.m.msgid, "ID47");
	assert_string_equal(p.m.msg, "An application event");
	assert_int_equal(p.m.nfields, 4);
	assert_string_equal(field(&p.m, "exampleSDID@32473.eventSource"), "Appli\"cation");
	assert_string_equal(field(&p.m, "origin.ip"), "10.0.0.1");
	free(p.scratch);
}

static void test_rfc5424_nil_fields(void **state)
{
	(void)state;
	struct parsed p;
	parse_str(&p, "<13>1 - - - - - -");
	assert_int_equal(p.m.flags, 0);
	assert_int_equal(p.m.reported_ms, 0);
	assert_null(p.m.host);
	assert_null(p.m.app);
	assert_null(p.m.msgid);
	assert_string_equal(p.m.msg, "");
	free(p.scratch);
}

static void test_rfc3164(void **state)
{
	(void)state;
	struct parsed p;
	parse_str(&p, "<38>Dec  6 07:39:58 web1 sshd[1234]: Failed password for root from "
		      "10.0.0.9 port 22 ssh2\n");
	assert_int_equal(p.m.flags, 0);
	assert_int_equal(p.m.facility, 4);
	assert_int_equal(p.m.severity, 6);
	assert_int_equal(p.m.version, 0);
	assert_string_equal(p.m.host, "web1");
	assert_string_equal(p.m.app, "sshd");
	assert_string_equal(p.m.procid, "1234");
	assert_string_equal(p.m.msg, "Failed password for root from 10.0.0.9 port 22 ssh2");
	struct tm tm;
	time_t t = (time_t)(p.m.reported_ms / 1000);
	localtime_r(&t, &tm);
	assert_int_equal(tm.tm_year + 1900, 2026);
	assert_int_equal(tm.tm_mday, 6);
	assert_int_equal(tm.tm_sec, 58);
	free(p.scratch);
}

static void test_rfc3164_no_header(void **state)
{
	(void)state;
	struct parsed p;
	parse_str(&p, "<13>just some text");
	assert_int_equal(p.m.flags, 0);
	assert_null(p.m.host);
	assert_int_equal(p.m.reported_ms, 0);
	assert_string_equal(p.m.msg, "just some text");
	free(p.scratch);
}

/* A bad PRI, a broken 5424 header: the whole input, flagged. */
static void test_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {"<192>1 - - - - - - too big", "<013>leading zero",
					  "no pri at all", "<>", "<13>1 2026-13-01T00:00:00Z h a p m -",
					  "<13>1 - h a p m [unterminated x=\"1\"", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed p;
		parse_str(&p, bad[i]);
		assert_true(p.m.flags & EVENT_F_PARSE_ERROR);
		assert_string_equal(p.m.msg, bad[i]);
		free(p.scratch);
	}
}

static void test_bad_utf8_and_nul(void **state)
{
	(void)state;
	struct parsed p;
	static const char in[] = "<13>1 - h app - - - caf\xC3\xA9 \xC3\x28 \xED\xA0\x80 x\0y";
	parse(&p, in, sizeof(in) - 1);
	assert_int_equal(p.m.flags, EVENT_F_BAD_UTF8);
	assert_string_equal(p.m.msg, "caf\xC3\xA9 \xEF\xBF\xBD( \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
				     "x\xEF\xBF\xBDy");
	free(p.scratch);
}

/* ---- framing ---------------------------------------------------------------------------- */

struct frames {
	char got[8][128];
	unsigned flags[8];
	size_t lens[8];
	int n;
};

static void on_frame(void *arg, const char *msg, size_t len, unsigned flags)
{
	struct frames *f = arg;
	if (f->n >= 8)
		return;
	f->lens[f->n] = len;
	f->flags[f->n] = flags;
	memcpy(f->got[f->n], msg, len < 127 ? len : 127);
	f->got[f->n][len < 127 ? len : 127] = '\0';
	f->n++;
}

/* Octet-counted and LF frames mixed, fed one byte at a time. */
static void test_frames_bytewise(void **state)
{
	(void)state;
	static const char in[] = "11 <13>1 - - -\n<13>lf one\r\n\n5 abcde<14>lf two\n";
	struct syslog_framer fr;
	struct frames f = {0};
	syslog_framer_init(&fr, 100);
	for (size_t i = 0; i < sizeof(in) - 1; i++)
		assert_int_equal(syslog_framer_feed(&fr, in + i, 1, on_frame, &f), 0);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.got[0], "<13>1 - - -");
	assert_string_equal(f.got[1], "<13>lf one");
	assert_string_equal(f.got[2], "abcde");
	assert_string_equal(f.got[3], "<14>lf two");
	syslog_framer_release(&fr);
}

/* Longer than max: cut, flagged, the rest skipped; the next frame is whole. */
static void test_frames_oversize(void **state)
{
	(void)state;
	struct syslog_framer fr;
	struct frames f = {0};
	char big[2000];
	memset(big, 'x', sizeof(big));
	syslog_framer_init(&fr, 480);
	syslog_framer_feed(&fr, big, sizeof(big), on_frame, &f);
	syslog_framer_feed(&fr, "\nok\n", 4, on_frame, &f);
	syslog_framer_feed(&fr, "1000 ", 5, on_frame, &f);
	syslog_framer_feed(&fr, big, 1000, on_frame, &f);
	syslog_framer_feed(&fr, "2 hi", 4, on_frame, &f);
	assert_int_equal(f.n, 4);
	assert_int_equal(f.lens[0], 480);
	assert_int_equal(f.flags[0], EVENT_F_TRUNCATED);
	assert_string_equal(f.got[1], "ok");
	assert_int_equal(f.lens[2], 480);
	assert_int_equal(f.flags[2], EVENT_F_TRUNCATED);
	assert_string_equal(f.got[3], "hi");
	assert_true(fr.cap <= 480 + 16);
	syslog_framer_release(&fr);
}

/* A stream that ends mid-frame: the part held is delivered, flagged. */
static void test_frames_finish(void **state)
{
	(void)state;
	struct syslog_framer fr;
	struct frames f = {0};
	syslog_framer_init(&fr, 480);
	syslog_framer_feed(&fr, "30 <13>1 - - - - - - cut", 24, on_frame, &f);
	assert_int_equal(f.n, 0);
	syslog_framer_finish(&fr, on_frame, &f);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.got[0], "<13>1 - - - - - - cut");
	assert_int_equal(f.flags[0], EVENT_F_TRUNCATED);
	syslog_framer_release(&fr);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc5424_full),     cmocka_unit_test(test_rfc5424_nil_fields),
	    cmocka_unit_test(test_rfc3164),          cmocka_unit_test(test_rfc3164_no_header),
	    cmocka_unit_test(test_invalid),          cmocka_unit_test(test_bad_utf8_and_nul),
	    cmocka_unit_test(test_frames_bytewise),  cmocka_unit_test(test_frames_oversize),
	    cmocka_unit_test(test_frames_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
