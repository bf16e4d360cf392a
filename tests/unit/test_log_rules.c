/* Log rules with `instance:` (events/syslog_rules.c): a clearing event ends the matches
 * of its own instance only, their quoted lines with them, and the rest keep their
 * order; a clearing event without the field ends them all. */
#include "testing.h"

#include <stdio.h>
#include <string.h>

#include "dcmon/metric.h"
#include "dcmon/strbuf.h"
#include "syslog_int.h"

#define WINDOW_MS 600000

struct fx {
	struct cfg_log_rule rule;
	struct cfg_syslog cfg;
	struct metric_reg *reg;
	struct log_rules *lr;
};

static int setup(void **state)
{
	static struct fx f;
	char err[256];
	memset(&f, 0, sizeof(f));
	f.rule = (struct cfg_log_rule){.name = "link-down", .trap = "linkDown",
				       .window_ms = WINDOW_MS, .clear = "linkUp",
				       .instance = "ifIndex"};
	f.cfg.rules = &f.rule;
	f.cfg.nrules = 1;
	f.reg = metric_reg_new();
	f.lr = log_rules_new(&f.cfg, f.reg, err, sizeof(err));
	assert_non_null(f.lr);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	log_rules_free(f->lr);
	metric_reg_free(f->reg);
	return 0;
}

/* A trap of sw-1, "linkDown" or "linkUp", about interface ifindex (0: names none). */
static void trap(struct fx *f, const char *name, int ifindex, int64_t at_ms)
{
	char field[32], value[16], msg[64];
	snprintf(field, sizeof(field), "ifIndex.%d", ifindex);
	snprintf(value, sizeof(value), "%d", ifindex);
	snprintf(msg, sizeof(msg), "%s %s=%s", name, field, value);
	struct event_field fl = {.name = field, .value = value};
	struct event ev = {.kind = EVENT_TRAP, .device = "sw-1", .program = name,
			   .message = ifindex ? msg : name, .fields = ifindex ? &fl : NULL,
			   .nfields = ifindex ? 1 : 0, .received_ms = at_ms};
	log_rules_apply(f->lr, &ev, at_ms);
	log_rules_flush(f->lr);
}

static struct metric *count_of(struct fx *f)
{
	struct metric *m = metric_reg_find(f->reg, "sw-1", "log_matches_count", "link-down");
	assert_non_null(m);
	return m;
}

/* How many of the note's lines name interface ifindex. */
static int quoted(struct fx *f, int ifindex, char *head, size_t headlen)
{
	struct strbuf b = STRBUF_INIT;
	char want[32];
	int n = 0;
	metric_note_append(count_of(f), &b);
	snprintf(want, sizeof(want), "ifIndex.%d=", ifindex);
	for (const char *p = b.s; p && (p = strstr(p, want)); p++)
		n++;
	snprintf(head, headlen, "%.*s", b.s ? (int)strcspn(b.s, "\n") : 0, b.s ? b.s : "");
	strbuf_free(&b);
	return n;
}

static void test_clear_ends_its_own_instance(void **state)
{
	struct fx *f = *state;
	char head[256];
	int64_t t = 1000000;
	for (int i = 0; i < 30; i++) /* interfaces 2 and 4 in turn: the newest 20 lines quoted */
		trap(f, "linkDown", i % 2 ? 4 : 2, t + i);
	assert_int_equal((int)count_of(f)->value, 30);
	assert_int_equal(quoted(f, 2, head, sizeof(head)), 10);
	assert_int_equal(quoted(f, 4, head, sizeof(head)), 10);
	trap(f, "linkUp", 4, t + 100);
	assert_int_equal((int)count_of(f)->value, 15);
	assert_int_equal(quoted(f, 4, head, sizeof(head)), 0);
	assert_int_equal(quoted(f, 2, head, sizeof(head)), 10);
	assert_string_equal(head, "Matching lines of log rule link-down (15 within 600s; the "
				  "newest 10 quoted, 5 more not):");
	/* the kept ones are still the newest: a new match and the window age them in order */
	trap(f, "linkDown", 7, t + 200);
	assert_int_equal((int)count_of(f)->value, 16);
	log_rules_tick(f->lr, t + 14 + WINDOW_MS); /* interface 2's first 8 (t+0..t+14) left */
	assert_int_equal((int)count_of(f)->value, 8);
	trap(f, "linkUp", 2, t + 20 + WINDOW_MS);
	assert_int_equal((int)count_of(f)->value, 1);
	assert_int_equal(quoted(f, 7, head, sizeof(head)), 1);
	/* a linkUp that names no interface ends every one */
	trap(f, "linkUp", 0, t + 30 + WINDOW_MS);
	assert_int_equal((int)count_of(f)->value, 0);
	assert_int_equal(quoted(f, 7, head, sizeof(head)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clear_ends_its_own_instance, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
