/* Names of the profiles' default rules: the shipped rules are all named, an unnamed
 * rule is named after its metric and condition (not its line, which any edit above it
 * changes), two rules of one name are refused at file:line:col, and an alert stored
 * under the old "<profile>:<line>" name takes its rule's new name at restore. */
#include "testing.h"
#include "tmpdir.h"

#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert_int.h"
#include "dcmon/alert.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"
#include "profile_rules.h"

static char tmpdir[] = "/tmp/dcmon-test-rule-names-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return test_tmpdir_remove(tmpdir);
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A config with one device per profile of `profiles` (space-separated, from
 * profiles_dir), and the profiles' rules. */
static struct cfg *load_cfg(const char *profiles_dir, const char *profiles,
			    struct profile_rules *pr, struct cfg_diags *d)
{
	char text[8192], list[2048], *save = NULL;
	int n = snprintf(text, sizeof(text), "daemon: {profiles_dir: \"%s\"}\ndevices:\n",
			 profiles_dir);
	snprintf(list, sizeof(list), "%s", profiles);
	int i = 0;
	for (char *p = strtok_r(list, " ", &save); p; p = strtok_r(NULL, " ", &save))
		n += snprintf(text + n, sizeof(text) - (size_t)n, "  - {id: d%d, profile: %s}\n",
			      i++, p);
	write_file("c.yaml", text);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/c.yaml", tmpdir);
	struct cfg_diags cd;
	cfg_diags_init(&cd);
	struct cfg *cfg = cfg_load(path, &cd);
	cfg_diags_print(&cd, stderr);
	cfg_diags_free(&cd);
	assert_non_null(cfg);
	profile_rules_load(cfg, pr, d);
	return cfg;
}

static const char *rule_name(const struct profile_rules *pr, const char *profile, size_t i)
{
	for (size_t s = 0; s < pr->n; s++)
		if (strcmp(pr->srcs[s].profile, profile) == 0 && i < pr->srcs[s].nrules)
			return pr->srcs[s].rules[i].name;
	return NULL;
}

/* Every rule shipped in etc/profiles has a name of its own: none is named after its line,
 * none is derived, and no two rules of one profile share one. */
static void test_shipped_rules_named(void **state)
{
	static const char *const profiles =
		"akcp-sensorprobe apc-ats apc-netbotz apc-rpdu2 apc-ups ats-io cisco-entity-sensor "
		"cooling-liebert-icom cyberpower-pdu cyberpower-ups eaton-epdu eaton-ups "
		"entity-sensor fire-notifier-modbus-gw fire-suppression-io geist-watchdog "
		"genset-dse-gencomm host-resources if-mib leak-rle-ld5000 liebert-gp-env "
		"liebert-gp-power liebert-mph2 raritan-px2 sentry3 sentry4 socomec-ups ucd-snmp "
		"ups-rfc1628 utility-feed-io";
	regex_t line_named, derived;
	(void)state;
	assert_int_equal(regcomp(&line_named, "^[^:]+:[0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regcomp(&derived, "^[^:]+:[a-z0-9_*]+:(above|below|state|rate|nodata|"
				 "anomaly)$", REG_EXTENDED | REG_NOSUB), 0);
	struct profile_rules pr;
	struct cfg_diags d;
	size_t total = 0;
	cfg_diags_init(&d);
	struct cfg *cfg = load_cfg(DCMON_SOURCE_DIR "/etc/profiles", profiles, &pr, &d);
	cfg_diags_print(&d, stderr);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(pr.n, 30); /* 29 profiles with rules, and defaults.yaml */
	for (size_t s = 0; s < pr.n; s++)
		for (size_t i = 0; i < pr.srcs[s].nrules; i++) {
			const char *n = pr.srcs[s].rules[i].name;
			if (regexec(&line_named, n, 0, NULL, 0) == 0 ||
			    regexec(&derived, n, 0, NULL, 0) == 0)
				fail_msg("%s: rule '%s' has no name of its own", pr.srcs[s].profile, n);
			total++;
		}
	profile_rules_free(&pr);
	cfg_free(cfg);
	cfg_diags_free(&d);
	regfree(&line_named);
	regfree(&derived);
	assert_true(total > 100);
}

static const char *const prof_v1 =
	"name: p\ntransport: snmp\npoints:\n  - {metric: x_volts, oid: 1.3.6.1.4.1.1.1}\n"
	"rules:\n"
	"  - match: {metric: x_volts}\n    above: {warn: 10}\n"
	"  - match: {metric: y_state}\n    state: {values: [bad]}\n";
/* the same rules after an edit above them (the old names, from lines, all moved) */
static const char *const prof_v2 =
	"# edited\n# twice\nname: p\ntransport: snmp\npoints:\n"
	"  - {metric: x_volts, oid: 1.3.6.1.4.1.1.1}\n"
	"rules:\n"
	"  - match: {metric: y_state}\n    state: {values: [bad]}\n"
	"  - {name: mine, match: {metric: z_volts}, below: {crit: 1}}\n"
	"  - match: {metric: x_volts}\n    above: {warn: 10}\n";

/* An unnamed rule's name is its profile, metric and condition: editing the file
 * elsewhere keeps it. */
static void test_unnamed_rule_name_stable(void **state)
{
	struct profile_rules pr;
	struct cfg_diags d;
	(void)state;
	write_file("p.yaml", prof_v1);
	cfg_diags_init(&d);
	struct cfg *cfg = load_cfg(tmpdir, "p", &pr, &d);
	assert_int_equal(d.nerrors, 0);
	assert_string_equal(rule_name(&pr, "p", 0), "p:x_volts:above");
	assert_string_equal(rule_name(&pr, "p", 1), "p:y_state:state");
	profile_rules_free(&pr);
	cfg_free(cfg);

	write_file("p.yaml", prof_v2);
	cfg = load_cfg(tmpdir, "p", &pr, &d);
	assert_int_equal(d.nerrors, 0);
	assert_string_equal(rule_name(&pr, "p", 0), "p:y_state:state");
	assert_string_equal(rule_name(&pr, "p", 1), "mine");
	assert_string_equal(rule_name(&pr, "p", 2), "p:x_volts:above");
	profile_rules_free(&pr);
	cfg_free(cfg);
	cfg_diags_free(&d);
}

/* Two rules of one name (derived or given) are refused at the second one's position. */
static void test_rule_name_collision(void **state)
{
	struct profile_rules pr;
	struct cfg_diags d;
	(void)state;
	write_file("q.yaml", "name: q\ntransport: snmp\npoints:\n"
			     "  - {metric: x_volts, oid: 1.3.6.1.4.1.1.1}\n"
			     "rules:\n"
			     "  - {match: {metric: x_volts}, above: {warn: 10}}\n"
			     "  - {match: {metric: x_volts, inst: \"a*\"}, above: {warn: 20}}\n"
			     "  - {name: q:x_volts:below, match: {metric: x_volts}, below: {warn: 1}}\n"
			     "  - {match: {metric: x_volts}, below: {warn: 2}}\n");
	cfg_diags_init(&d);
	struct cfg *cfg = load_cfg(tmpdir, "q", &pr, &d);
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.v[0].pos.line, 7);
	assert_int_equal(d.v[0].pos.col, 5);
	assert_string_equal(d.v[0].msg, "rule name 'q:x_volts:above' is also the name of the rule "
					"at line 6; give one of them its own `name:`");
	assert_int_equal(d.v[1].pos.line, 9);
	assert_string_equal(d.v[1].msg, "rule name 'q:x_volts:below' is also the name of the rule "
					"at line 8; give one of them its own `name:`");
	assert_true(strstr(d.v[0].pos.file, "q.yaml") != NULL);
	profile_rules_free(&pr);
	cfg_free(cfg);
	cfg_diags_free(&d);
}

/* An engine on the state in dir with these profile rules, attached to reg. */
static struct alert_engine *engine_on(const struct cfg *cfg, const struct alert_rule_src *srcs,
				      size_t n, const char *dir, struct metric_reg *reg)
{
	char err[256];
	struct alert_engine *e = alert_engine_new(cfg, srcs, n, dir, err, sizeof(err));
	if (!e)
		fail_msg("alert_engine_new: %s", err);
	assert_int_equal(alert_engine_attach(e, reg), 0);
	return e;
}

static struct metric *volts(struct metric_reg *reg)
{
	struct metric_desc desc = {.name = "x_volts", .unit = "volts", .kind = METRIC_GAUGE,
				   .interval_ms = 10000};
	struct metric *m = metric_reg_get(reg, "d0", &desc);
	assert_non_null(m);
	return m;
}

/* An alert stored by a release that named unnamed rules "<profile>:<line>" is restored
 * under the rule's name now, keeps its id and history, and goes on as that rule's alert
 * (one alert, not a ghost of the old name beside a new one). */
static void test_restore_line_named_alert(void **state)
{
	struct profile_rules pr;
	struct cfg_diags d;
	char dir[PATH_MAX];
	(void)state;
	snprintf(dir, sizeof(dir), "%s/state", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file("p.yaml", prof_v1);
	cfg_diags_init(&d);
	struct cfg *cfg = load_cfg(tmpdir, "p", &pr, &d);
	assert_int_equal(d.nerrors, 0);

	/* the old release: the same rule, named after its line */
	struct cfg_rule old = pr.srcs[0].rules[0];
	old.name = "p:6";
	struct alert_rule_src old_src = {.profile = "p", .rules = &old, .nrules = 1};
	struct metric_reg *reg = metric_reg_new();
	struct alert_engine *e = engine_on(cfg, &old_src, 1, dir, reg);
	struct metric *m = volts(reg);
	metric_put(reg, m, 1000000, 12);
	assert_int_equal(e->nalerts, 1);
	assert_string_equal(e->alerts[0]->rule_name, "p:6");
	int64_t id = e->alerts[0]->id;
	alert_engine_free(e);
	metric_reg_free(reg);

	/* the upgrade: the rule is now p:x_volts:above */
	reg = metric_reg_new();
	e = engine_on(cfg, pr.srcs, pr.n, dir, reg);
	assert_int_equal(e->nalerts, 1);
	assert_string_equal(e->alerts[0]->rule_name, "p:x_volts:above");
	assert_int_equal(e->alerts[0]->id, id);
	assert_int_equal(e->alerts[0]->state, ALERT_FIRING);
	m = volts(reg);
	metric_put(reg, m, 1010000, 13);
	assert_int_equal(e->nalerts, 1);
	assert_non_null(e->alerts[0]->rule);
	metric_put(reg, m, 1020000, 5);
	assert_int_equal(e->alerts[0]->state, ALERT_RESOLVED);
	alert_engine_free(e);
	metric_reg_free(reg);

	/* written back: the next start reads the new name from the store */
	reg = metric_reg_new();
	e = engine_on(cfg, pr.srcs, pr.n, dir, reg);
	assert_int_equal(e->nalerts, 1);
	assert_string_equal(e->alerts[0]->rule_name, "p:x_volts:above");
	alert_engine_free(e);
	metric_reg_free(reg);
	profile_rules_free(&pr);
	cfg_free(cfg);
	cfg_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_rules_named),
		cmocka_unit_test(test_unnamed_rule_name_stable),
		cmocka_unit_test(test_rule_name_collision),
		cmocka_unit_test(test_restore_line_named_alert),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
