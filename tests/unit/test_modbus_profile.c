/* Modbus profiles: the YAML format through cfgtree, both address notations, repeat,
 * bits/states/enums/sentinels, and every error with its file:line:col.  Also: every
 * profile shipped in etc/profiles/ with `transport: modbus` loads without error. */
#include "testing.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "modbus.h"

static struct modbus_profile *load(const char *text, struct cfg_diags *d)
{
	cfg_diags_init(d);
	return modbus_profile_load_string("p.yaml", text, d);
}

/* The first diagnostic as "file:line:col: msg". */
static char *first_error(struct cfg_diags *d)
{
	static char buf[512];

	assert_true(d->n > 0);
	snprintf(buf, sizeof buf, "%s:%d:%d: %s", d->v[0].pos.file ? d->v[0].pos.file : "-",
		 d->v[0].pos.line, d->v[0].pos.col, d->v[0].msg);
	return buf;
}

static void test_good_profile(void **state)
{
	static const char text[] =
		"name: gen\n"
		"kind: generator\n"
		"transport: modbus\n"
		"defaults: {table: holding, order: ABCD}\n"
		"points:\n"
		"  - {metric: fuel_level_percent, register: 41028, type: uint16, unit: percent,\n"
		"     sentinel: ['0xFFF8..0xFFFF'], valid: {min: 0, max: 130}}\n"
		"  - {metric: battery_volts, address: 1029, scale: 0.1, unit: volts}\n"
		"  - {metric: coolant_celsius, address: 1025, type: int16, sentinel: 0x7FFF}\n"
		"  - {metric: run_hours, address: 1798, type: uint32, scale: 0.000277777777778}\n"
		"  - metric: engine_state\n"
		"    address: 1408\n"
		"    enums: {0: stopped, 3: running, 4: cooling_down}\n"
		"  - address: 2049\n"
		"    bits:\n"
		"      - {metric: emergency_stop_alarm, bit: 12, width: 4,\n"
		"         enums: {0: none, 2: warning, 3: shutdown, 4: electrical_trip}}\n"
		"      - {metric: low_oil_pressure_alarm, bit: 8, width: 4}\n"
		"  - {metric: zone_state, label: zone, address: 0x100, repeat: {count: 3},\n"
		"     states: [{name: alarm, mask: 0x08FF, value: 0x0810}, {name: normal}]}\n"
		"  - {metric: leak_state, table: discrete, address: 5}\n"
		"  - {metric: flow_liters_per_hour, table: input, address: 3, type: float32, order: cdab}\n"
		"rules:\n"
		"  - match: {metric: fuel_level_percent}\n"
		"    below: {warn: 50, crit: 25}\n";
	struct cfg_diags d;
	struct modbus_profile *p = load(text, &d);

	(void)state;
	if (!p) {
		cfg_diags_print(&d, stderr);
		fail();
	}
	assert_string_equal(p->name, "gen");
	assert_string_equal(p->kind, "generator");
	assert_int_equal(p->npoints, 11); /* 9 entries, zone x3 */
	/* sorted: coil/discrete first, then holding by address, then input */
	assert_int_equal(p->points[0].table, MB_DISCRETE);
	assert_int_equal(p->points[0].type, MB_T_BOOL);
	assert_int_equal(p->points[0].kind, METRIC_STATE);
	assert_int_equal(p->points[1].addr, 0x100);
	assert_string_equal(p->points[1].inst_label, "zone");
	assert_string_equal(p->points[1].inst, "1");
	assert_int_equal(p->points[3].addr, 0x102);
	assert_string_equal(p->points[3].inst, "3");
	assert_int_equal(p->points[3].nstates, 2);
	assert_int_equal(p->points[3].states[1].mask, 0);
	const struct modbus_point *coolant = &p->points[4], *fuel = &p->points[5];
	assert_int_equal(coolant->addr, 1025);
	assert_int_equal(coolant->sentinels[0].lo, 0x7FFF);
	assert_int_equal(fuel->addr, 1027); /* 41028 = holding, 0-based 1027 */
	assert_int_equal(fuel->table, MB_HOLDING);
	assert_int_equal(fuel->sentinels[0].lo, 0xFFF8);
	assert_int_equal(fuel->sentinels[0].hi, 0xFFFF);
	assert_true(fuel->min == 0 && fuel->max == 130);
	assert_true(p->points[6].scale == 0.1);
	assert_int_equal(p->points[7].nenums, 3);
	assert_int_equal(p->points[7].kind, METRIC_STATE);
	const struct modbus_point *alarms = &p->points[9];
	assert_null(alarms->metric);
	assert_int_equal(alarms->nbits, 2);
	assert_int_equal(alarms->bits[0].width, 4);
	assert_int_equal(alarms->bits[0].nenums, 4);
	const struct modbus_point *flow = &p->points[10];
	assert_int_equal(flow->table, MB_INPUT);
	assert_int_equal(flow->order, MB_CDAB);
	assert_int_equal(flow->type, MB_T_FLOAT32);
	assert_non_null(p->rules);
	assert_int_equal(p->rules->n, 1);
	modbus_profile_free(p);
	cfg_diags_free(&d);
}

struct bad_case {
	const char *points; /* the points: list, indented */
	const char *want;   /* substring of the first error, with position */
};

static void test_errors_with_positions(void **state)
{
	static const struct bad_case cases[] = {
		{ "  - {metric: a_volts, address: 1, type: uint17}\n",
		  "p.yaml:4:41: type: expected one of bool, int16" },
		{ "  - {metric: a_volts, address: 1, type: int32}\n"
		  "  - {metric: b_volts, address: 2}\n",
		  "p.yaml:5:5: holding address 2 overlaps the point at line 4 (addresses 1..2)" },
		{ "  - {metric: a_volts, address: 65535, type: float32}\n",
		  "p.yaml:4:5: address 65535 + 2 registers runs past 65535" },
		{ "  - {metric: a_volts, address: 70000}\n",
		  "p.yaml:4:32: address: expected a 0-based protocol address" },
		{ "  - {metric: a_volts, register: 1027}\n",
		  "p.yaml:4:33: register: expected a 5- or 6-digit reference number" },
		{ "  - {metric: a_volts, register: 30001, table: holding}\n",
		  "p.yaml:4:33: register: 30001 is in the input table, but table: says holding" },
		{ "  - {metric: a_volts, address: 1, register: 40002}\n",
		  "p.yaml:4:5: point needs exactly one of address:" },
		{ "  - {metric: a_volts, address: 1, table: holdin}\n",
		  "did you mean 'holding'?" },
		{ "  - {metric: a_volts, adress: 1}\n", "p.yaml:4:23: unknown key 'adress'; did you mean 'address'?" },
		{ "  - {metric: a_fuel, address: 1}\n", "p.yaml:4:5: metric: " },
		{ "  - {metric: a_volts, table: coil, address: 1, type: uint16}\n",
		  "type: coil points are single bits" },
		{ "  - {metric: a_volts, address: 1, sentinel: 0x1FFFF}\n",
		  "p.yaml:4:45: sentinel: 0x1FFFF does not fit in 16 bits" },
		{ "  - {metric: a_state, address: 1, type: float32, enums: {0: x}}\n",
		  "enums, states and bits need an integer type" },
		{ "  - {address: 1, bits: {16: x_alarm}}\n", "p.yaml:4:25: bits: expected 'N: metric_name' with N in 0..15" },
		{ "  - {metric: a_volts, address: 1}\n  - {metric: a_volts, address: 2}\n",
		  "p.yaml:5:5: metric a_volts is already defined at line 4" },
		{ "  - {metric: z_state, address: 1, repeat: {count: 4}}\n",
		  "repeat: needs label:" },
		{ "  - {metric: a_volts, address: 1, scale: 0}\n", "scale: must not be 0" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[1024];
		struct cfg_diags d;
		struct modbus_profile *p;

		snprintf(text, sizeof text, "name: x\ntransport: modbus\npoints:\n%s",
			 cases[i].points);
		p = load(text, &d);
		assert_null(p);
		if (getenv("SHOW"))
			printf("%zu: %s\n", i, first_error(&d));
		if (!strstr(first_error(&d), cases[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, first_error(&d),
				 cases[i].want);
		cfg_diags_free(&d);
	}
}

static void test_not_modbus(void **state)
{
	struct cfg_diags d;

	(void)state;
	assert_null(load("name: x\ntransport: snmp\npoints: [{metric: a_volts, address: 1}]\n", &d));
	assert_non_null(strstr(first_error(&d), "p.yaml:2:12: transport:"));
	cfg_diags_free(&d);
}

/* Every shipped Modbus profile loads cleanly. */
static void test_shipped_profiles(void **state)
{
	const char *dir = DCMON_SOURCE_DIR "/etc/profiles";
	DIR *dp = opendir(dir);
	struct dirent *e;
	int nmodbus = 0;

	(void)state;
	assert_non_null(dp);
	while ((e = readdir(dp)) != NULL) {
		char path[1024], line[256];
		FILE *f;
		bool modbus = false;

		if (!strstr(e->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof line, f))
			modbus |= strncmp(line, "transport: modbus", 17) == 0;
		if (f)
			fclose(f);
		if (!modbus)
			continue;
		struct cfg_diags d;
		cfg_diags_init(&d);
		struct modbus_profile *p = modbus_profile_load(path, &d);
		if (!p) {
			cfg_diags_print(&d, stderr);
			fail_msg("%s does not load", path);
		}
		assert_true(p->npoints > 0);
		modbus_profile_free(p);
		cfg_diags_free(&d);
		nmodbus++;
	}
	closedir(dp);
	assert_true(nmodbus >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_profile),
		cmocka_unit_test(test_errors_with_positions),
		cmocka_unit_test(test_not_modbus),
		cmocka_unit_test(test_shipped_profiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
