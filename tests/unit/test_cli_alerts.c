/* The CLI's alert commands without a daemon: selector pairs, times, weekdays, the alert
 * table and exit code, and the one-line errors for bad arguments or no dcmond. */
#include "testing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define T_NOON 1767268800000LL /* 2026-01-01T12:00:00Z, wall ms */

/* A context writing to memory; no daemon at the socket. */
struct io {
	struct cli_ctx ctx;
	char *out, *err;
	size_t outlen, errlen;
};

static void io_open(struct io *io, int width, bool cut)
{
	*io = (struct io){0};
	io->ctx = (struct cli_ctx){.socket_path = "/nonexistent/dcmon-test.sock",
				   .timeout_ms = 1000, .width = width, .cut = cut};
	io->ctx.out = open_memstream(&io->out, &io->outlen);
	io->ctx.err = open_memstream(&io->err, &io->errlen);
	assert_non_null(io->ctx.out);
	assert_non_null(io->ctx.err);
}

static void io_close(struct io *io)
{
	fclose(io->ctx.out);
	fclose(io->ctx.err);
}

static void io_free(struct io *io)
{
	free(io->out);
	free(io->err);
}

/* Runs a command line ("silence device=a --for 2h") and returns its exit code. */
static int run(struct io *io, const char *line)
{
	char buf[512], *argv[32];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	for (int i = 0; i < argc; i++) /* "~" stands for a space inside one argument */
		for (char *p = argv[i]; *p; p++)
			if (*p == '~')
				*p = ' ';
	const struct cli_cmd *c = cli_cmd_find(argv[0]);
	assert_non_null(c);
	io_open(io, 100, false);
	int rc = c->run(&io->ctx, argc, argv);
	io_close(io);
	return rc;
}

static void test_selector_pairs(void **state)
{
	char err[256];
	json_t *b = json_object();
	assert_int_equal(cli_selector_add(b, "device=ups-*", err, sizeof(err)), 0);
	assert_int_equal(cli_selector_add(b, "metric=battery_*", err, sizeof(err)), 0);
	assert_int_equal(cli_selector_add(b, "rule=ups-runtime", err, sizeof(err)), 0);
	assert_int_equal(cli_selector_add(b, "label.row=A", err, sizeof(err)), 0);
	assert_int_equal(cli_selector_add(b, "inst=a=b", err, sizeof(err)), 0); /* first '=' */
	char *text = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"match\":{\"device\":\"ups-*\",\"inst\":\"a=b\","
				  "\"labels\":{\"row\":\"A\"},\"metric\":\"battery_*\"},"
				  "\"rule\":\"ups-runtime\"}");
	free(text);

	static const struct {
		const char *pair, *err;
	} bad[] = {
		{"device", "bad selector 'device': expected KEY=VALUE like device=ups-*"},
		{"=ups", "bad selector '=ups': expected KEY=VALUE like device=ups-*"},
		{"device=", "bad selector 'device=': expected KEY=VALUE like device=ups-*"},
		{"device=b", "selector key 'device' given twice"},
		{"label.row=B", "selector key 'label.row' given twice"},
		{"label.=x", "unknown selector key 'label.' (one of: device, kind, site, room, "
			     "tenant, metric, inst, rule, label.NAME)"},
		{"colour=red", "unknown selector key 'colour' (one of: device, kind, site, room, "
			       "tenant, metric, inst, rule, label.NAME)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cli_selector_add(b, bad[i].pair, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
	json_decref(b);
}

static void test_times(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	static const struct {
		const char *s;
		int64_t want; /* 0 = refused */
	} cases[] = {
		{"2026-01-02 15:04", 1767366240000LL},
		{"2026-01-02T15:04", 1767366240000LL},
		{"2026-01-02 15:04:30", 1767366270000LL},
		{"15:04", 1767279840000LL},	     /* later today */
		{"11:00", 1767351600000LL},	     /* past today: tomorrow */
		{"@1767300000", 1767300000000LL},
		{"tomorrow", 0}, {"25:00", 0}, {"2026-13-01 10:00", 0}, {"15:04x", 0}, {"@", 0},
		{"@-5", 0}, {"", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -1;
		int rc = cli_parse_time(cases[i].s, T_NOON, &ms);
		if (cases[i].want) {
			assert_int_equal(rc, 0);
			assert_int_equal(ms, cases[i].want);
		} else {
			assert_int_equal(rc, -EINVAL);
		}
	}
	/* in another zone the same clock time is another instant */
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	int64_t ms;
	assert_int_equal(cli_parse_time("2026-01-02 15:04", T_NOON, &ms), 0);
	assert_int_equal(ms, 1767366240000LL - 9 * 3600 * 1000);
	unsetenv("TZ");
	tzset();
}

static void test_days(void **state)
{
	char err[128];
	json_t *d = cli_days_parse("sun,sat", err, sizeof(err));
	char *text = json_dumps(d, JSON_COMPACT);
	assert_string_equal(text, "[\"sun\",\"sat\"]");
	free(text);
	json_decref(d);
	static const struct {
		const char *s, *err;
	} bad[] = {
		{"sun,sun", "bad --every 'sun,sun': a day is given twice"},
		{"funday", "bad --every 'funday': expected days like sun,sat (sun mon tue wed thu "
			   "fri sat)"},
		{"", "bad --every '': expected days like sun,sat"},
		{"mon,,tue", "bad --every 'mon,,tue': expected days like sun,sat (sun mon tue wed "
			     "thu fri sat)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(cli_days_parse(bad[i].s, err, sizeof(err)));
		assert_string_equal(err, bad[i].err);
	}
}

static json_t *alert(const char *state, const char *sev)
{
	return json_pack("{s:I s:s s:s s:s s:s s:f s:s s:I s:b s:n s:n}", "id", (json_int_t)7,
			 "severity", sev, "state", state, "device", "ups-1", "metric",
			 "battery_charge_percent", "value", 42.5, "unit", "percent", "since_ms",
			 (json_int_t)(T_NOON - 180000), "flapping", 0, "ack", "silence");
}

static void test_alert_row(void **state)
{
	json_t *a = alert("firing", "critical");
	struct cli_alert_row row;
	cli_alert_row(a, T_NOON, &row);
	const char *want[CLI_ALERT_COLS] = {"7", "critical", "firing", "ups-1",
					    "battery_charge_percent", "42.5%", "3m", ""};
	for (int i = 0; i < CLI_ALERT_COLS; i++)
		assert_string_equal(row.cells[i], want[i]);
	/* ack and silence reasons, flapping */
	json_object_set_new(a, "ack", json_pack("{s:s s:s s:I}", "by", "alice", "comment",
						"generator test", "ts_ms", (json_int_t)T_NOON));
	json_object_set_new(a, "silence", json_pack("{s:I s:s}", "id", (json_int_t)3, "reason",
						    "rewiring"));
	json_object_set_new(a, "flapping", json_true());
	json_object_set_new(a, "value", json_null());
	cli_alert_row(a, T_NOON, &row);
	assert_string_equal(row.cells[7],
			    "acked by alice: generator test; silenced #3: rewiring; flapping");
	assert_string_equal(row.cells[5], "-");
	json_decref(a);
}

static void test_alerts_exit(void **state)
{
	json_t *l = json_array();
	assert_int_equal(cli_alerts_exit(l), 0);
	json_array_append_new(l, alert("resolved", "critical"));
	json_array_append_new(l, alert("pending", "critical"));
	json_array_append_new(l, alert("firing", "info"));
	assert_int_equal(cli_alerts_exit(l), 0); /* nothing worse than info firing */
	json_array_append_new(l, alert("firing", "warning"));
	assert_int_equal(cli_alerts_exit(l), 1);
	json_array_append_new(l, alert("firing", "critical"));
	assert_int_equal(cli_alerts_exit(l), 2);
	json_decref(l);
}

static void test_table(void **state)
{
	static const char *const hdr[] = {"ID", "WHO", "REASON"};
	struct cli_table *t = cli_table_new(3, hdr);
	const char *r1[] = {"1", "alice", "a long reason that does not fit the line"};
	const char *r2[] = {"12", NULL, "two\nlines"};
	assert_int_equal(cli_table_add(t, r1), 0);
	assert_int_equal(cli_table_add(t, r2), 0);
	struct io io;
	io_open(&io, 100, false); /* a pipe: whole lines */
	cli_table_print(&io.ctx, t);
	io_close(&io);
	assert_string_equal(io.out, "ID  WHO    REASON\n"
				    "1   alice  a long reason that does not fit the line\n"
				    "12  -      two lines\n");
	io_free(&io);
	io_open(&io, 35, true); /* a terminal 35 wide: 11 columns used, 24 left */
	cli_table_print(&io.ctx, t);
	io_close(&io);
	assert_string_equal(io.out, "ID  WHO    REASON\n"
				    "1   alice  a long reason that does \n"
				    "12  -      two lines\n");
	io_free(&io);
	cli_table_free(t);
	cli_table_free(NULL);
}

static void test_bad_arguments(void **state)
{
	static const struct {
		const char *line, *err; /* err: the first line written to stderr */
	} cases[] = {
		{"ack 5", "dcmon ack: --comment TEXT is required"},
		{"ack x7 --comment hi", "dcmon ack: bad alert id 'x7' (a number, see dcmon alerts)"},
		{"ack --comment hi", "dcmon ack: give exactly one alert id"},
		{"silence --for 2h --reason r",
		 "dcmon silence: give a selector like device=ups-* metric=battery_*"},
		{"silence device=a --for 2h", "dcmon silence: --reason TEXT is required"},
		{"silence device=a --reason r",
		 "dcmon silence: give --for DURATION or --until TIME (or a recurring --every)"},
		{"silence device=a --for 2h --until 15:00 --reason r",
		 "dcmon silence: give --for or --until, not both"},
		{"silence device=a --every sun --reason r",
		 "dcmon silence: --every needs --from HH:MM and --to HH:MM"},
		{"silence device=a --for 1h --from 02:00 --reason r",
		 "dcmon silence: --from, --to and --tz go with --every"},
		{"silence device=a --until 2000-01-01~00:00 --reason r",
		 "dcmon silence: --until '2000-01-01 00:00' is in the past"},
		{"silence device=a --until soon --reason r",
		 "dcmon silence: bad --until 'soon' (expected \"2026-01-02 15:04\", 15:04 or "
		 "@UNIXSECONDS)"},
		{"silence device=a --every sun,sun --from 02:00 --to 04:00 --reason r",
		 "dcmon silence: bad --every 'sun,sun': a day is given twice"},
		{"silence devise=a --for 2h --reason r",
		 "dcmon silence: unknown selector key 'devise' (one of: device, kind, site, room, "
		 "tenant, metric, inst, rule, label.NAME)"},
		{"unsilence", "dcmon unsilence: give one silence id (usage: dcmon unsilence ID "
			      "[--site SITE] [--json])"},
		{"unsilence 0", "dcmon unsilence: bad silence id '0' (a number, see dcmon silences)"},
		{"silences extra", "dcmon silences: unexpected argument (usage: dcmon silences "
				   "[--json])"},
		{"alerts firing", "dcmon alerts: unexpected argument 'firing'"},
		{"audit extra", "dcmon audit: unexpected argument 'extra'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct io io;
		int rc = run(&io, cases[i].line);
		char *nl = strchr(io.err, '\n');
		if (nl)
			*nl = '\0';
		if (rc != CLI_EXIT_UNKNOWN || strcmp(io.err, cases[i].err) != 0)
			fail_msg("'%s': exit %d, stderr '%s'; want 3, '%s'", cases[i].line, rc,
				 io.err, cases[i].err);
		assert_string_equal(io.out, "");
		io_free(&io);
	}
}

/* Every command says clearly that dcmond cannot be reached, and exits 3. */
static void test_no_daemon(void **state)
{
	static const char *const lines[] = {
		"alerts", "alerts --json", "ack 5 --comment x", "silence device=a --for 2h --reason r",
		"silences", "unsilence 3", "audit",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct io io;
		int rc = run(&io, lines[i]);
		assert_int_equal(rc, CLI_EXIT_UNKNOWN);
		assert_string_equal(io.err, "dcmon: cannot reach dcmond at "
					    "/nonexistent/dcmon-test.sock: no such file or directory "
					    "(is dcmond running?)\n");
		io_free(&io);
	}
}

static void test_help(void **state)
{
	static const char *const cmds[] = {"alerts", "ack", "silence", "silences", "unsilence",
					   "audit"};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char line[64], want[64];
		struct io io;
		snprintf(line, sizeof(line), "%s --help", cmds[i]);
		assert_int_equal(run(&io, line), 0);
		snprintf(want, sizeof(want), "usage: dcmon %s ", cmds[i]);
		assert_memory_equal(io.out, want, strlen(want));
		io_free(&io);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selector_pairs), cmocka_unit_test(test_times),
		cmocka_unit_test(test_days),	       cmocka_unit_test(test_alert_row),
		cmocka_unit_test(test_alerts_exit),    cmocka_unit_test(test_table),
		cmocka_unit_test(test_bad_arguments),  cmocka_unit_test(test_no_daemon),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
