/* Turns the physics into the values each device serves, by metric name through its
 * profile (snmp_agent.c, modbus_srv.c do the encoding). */
#include "sim.h"

#include <math.h>
#include <string.h>

#define NOMINAL_V 230.0
#define NOMINAL_HZ 50.0
#define UPS_LOW_BATT_MIN 5.0      /* upsConfigLowBattTime, minutes */
#define UPS_BATT_NOMINAL_V 480.0  /* battery string */

static double ups_runtime_s(const struct sim_dev *u)
{
	double load = fmax(u->load_now_kw, 0.05 * u->rated_kw);
	return fmin(u->charge * u->battery_kwh / load * 3600.0, 9999 * 60.0);
}

static void render_ups(struct sim_dev *u)
{
	double rt = ups_runtime_s(u);
	bool on_batt = !u->input_ok && u->ups_output_on;
	bool out = u->input_ok || u->ups_output_on;
	const char *bstat = u->charge <= 0 ? "depleted" : rt <= UPS_LOW_BATT_MIN * 60 ? "low" : "normal";
	double bv = UPS_BATT_NOMINAL_V * (0.9 + 0.15 * u->charge);
	double load_w = out ? u->load_now_kw * 1000.0 : 0;
	sim_snmp_state(u, "battery_status_state", 0, NULL, bstat);
	sim_snmp_metric(u, "battery_on_battery_seconds", 0, NULL, on_batt ? u->on_battery_s : 0);
	sim_snmp_metric(u, "battery_runtime_seconds", 0, NULL, floor(rt / 60.0) * 60.0);
	sim_snmp_metric(u, "battery_charge_percent", 0, NULL, round(u->charge * 100));
	sim_snmp_metric(u, "battery_voltage_volts", 0, NULL, bv);
	sim_snmp_metric(u, "battery_current_amperes", 0, NULL,
			on_batt ? load_w / bv : (u->charge < 1 ? -u->battery_kwh * 1000 / 3600 / bv * 3.6 : 0));
	sim_snmp_metric(u, "battery_temperature_celsius", 0, NULL, on_batt ? 27 : 25);
	sim_snmp_metric(u, "input_line_bads_total", 0, NULL, u->line_bads);
	sim_snmp_metric(u, "input_frequency_hertz", 1, NULL, u->input_ok ? NOMINAL_HZ : 0);
	sim_snmp_metric(u, "input_voltage_volts", 1, NULL, u->input_ok ? NOMINAL_V : 0);
	sim_snmp_metric(u, "input_current_amperes", 1, NULL, u->input_ok ? load_w / NOMINAL_V / 3 : 0);
	sim_snmp_metric(u, "input_power_watts", 1, NULL, u->input_ok ? load_w : 0);
	/* the bypass hangs on the same utility and carries nothing while the inverter runs */
	sim_snmp_metric(u, "bypass_frequency_hertz", 0, NULL, u->input_ok ? NOMINAL_HZ : 0);
	sim_snmp_metric(u, "bypass_voltage_volts", 1, NULL, u->input_ok ? NOMINAL_V : 0);
	sim_snmp_metric(u, "bypass_current_amperes", 1, NULL, 0);
	sim_snmp_metric(u, "bypass_power_watts", 1, NULL, 0);
	sim_snmp_state(u, "output_source_state", 0, NULL, !out ? "none" : on_batt ? "battery" : "normal");
	sim_snmp_metric(u, "output_frequency_hertz", 0, NULL, out ? NOMINAL_HZ : 0);
	for (unsigned l = 1; l <= 3; l++) {
		sim_snmp_metric(u, "output_voltage_volts", l, NULL, out ? NOMINAL_V : 0);
		sim_snmp_metric(u, "output_current_amperes", l, NULL, load_w / 3 / NOMINAL_V);
		sim_snmp_metric(u, "output_power_watts", l, NULL, load_w / 3);
		sim_snmp_metric(u, "output_load_percent", l, NULL,
				round(u->load_now_kw / u->rated_kw * 100));
	}
	unsigned row = 0;
	if (on_batt)
		sim_snmp_oidval(u, "alarm_active_state", ++row, "1.3.6.1.2.1.33.1.6.3.2");
	if (strcmp(bstat, "normal") != 0)
		sim_snmp_oidval(u, "alarm_active_state", ++row, "1.3.6.1.2.1.33.1.6.3.3");
	if (!out)
		sim_snmp_oidval(u, "alarm_active_state", ++row, "1.3.6.1.2.1.33.1.6.3.14");
	sim_snmp_metric(u, "alarms_present_count", 0, NULL, row);
	sim_snmp_state(u, "test_result_state", 0, NULL, "no_tests_initiated");
	sim_snmp_metric(u, "config_low_battery_time_seconds", 0, NULL, UPS_LOW_BATT_MIN * 60);
}

/* Voltage and frequency of a source as its sensing sees them. */
static double src_volts(bool on) { return on ? NOMINAL_V : 0; }
static double src_hertz(bool on) { return on ? NOMINAL_HZ : 0; }

/* Is any generator feeding the transfer switch running (its emergency source live)? */
static bool ats_gen_live(const struct sim_dev *a)
{
	for (size_t i = 0; i < a->nfed_by; i++)
		if (a->feeders[i]->kind == SK_GENERATOR && a->feeders[i]->powered)
			return true;
	return false;
}

static bool ats_util_live(const struct sim_dev *a)
{
	for (size_t i = 0; i < a->nfed_by; i++)
		if (a->feeders[i]->kind == SK_UTILITY && a->feeders[i]->powered)
			return true;
	return false;
}

static void render_ats(struct sim_dev *a)
{
	static const char *const pos[] = {"open", "normal", "emergency"};
	bool s1 = ats_util_live(a), s2 = ats_gen_live(a);
	sim_mb_state(a, "switch_position_state", NULL, pos[a->ats_pos]);
	sim_mb_state(a, "source1_available_state", NULL, s1 ? "on" : "off");
	sim_mb_state(a, "source2_available_state", NULL, s2 ? "on" : "off");
	sim_mb_metric(a, "source1_voltage_volts", NULL, src_volts(s1));
	sim_mb_metric(a, "source1_frequency_hertz", NULL, src_hertz(s1));
	sim_mb_metric(a, "source2_voltage_volts", NULL, src_volts(s2));
	sim_mb_metric(a, "source2_frequency_hertz", NULL, src_hertz(s2));
	sim_mb_metric(a, "output_voltage_volts", NULL, src_volts(a->powered));
	sim_mb_metric(a, "output_current_amperes", NULL,
		      a->powered ? round(a->load_now_kw * 1000 / 3 / NOMINAL_V * 10) / 10 : 0);
	sim_mb_metric(a, "transfers_count", NULL, a->transfers);
}

static void render_utility(struct sim_dev *u)
{
	const char *phases[] = {"1", "2", "3"};
	sim_mb_state(u, "supply_state", NULL, u->powered ? "ok" : "lost");
	for (int p = 0; p < 3; p++)
		sim_mb_metric(u, "voltage_volts", phases[p], src_volts(u->powered));
	sim_mb_metric(u, "frequency_hertz", NULL, src_hertz(u->powered));
	sim_mb_metric(u, "power_watts", NULL, u->powered ? round(u->load_now_kw * 1000) : 0);
	sim_mb_metric(u, "supply_losses_count", NULL, u->line_bads);
}

static const char *probe_state(double t)
{
	return t > 32 ? "above_max" : t > 27 ? "above_high" : "normal";
}

static void render_pdu(struct sim *s, struct sim_dev *p)
{
	double w = p->powered ? p->load_now_kw * 1000 : 0;
	double v = p->powered ? NOMINAL_V : 0;
	sim_snmp_metric(p, "pdu_power_watts", 1, NULL, w);
	sim_snmp_metric(p, "pdu_energy_kilowatt_hours", 1, NULL, p->energy_kwh);
	const char *load = w < 500 ? "low_load" : "normal";
	sim_snmp_state(p, "pdu_load_state", 1, NULL, load);
	sim_snmp_state(p, "power_supply_alarm_state", 1, NULL, "normal");
	sim_snmp_state(p, "power_supply_1_state", 1, NULL, "normal");
	sim_snmp_state(p, "power_supply_2_state", 1, NULL, "not_installed");
	for (unsigned ph = 1; ph <= 3; ph++) {
		sim_snmp_metric(p, "phase_current_amperes", ph, NULL, v > 0 ? w / 3 / v : 0);
		sim_snmp_metric(p, "phase_voltage_volts", ph, NULL, v);
		sim_snmp_metric(p, "phase_power_watts", ph, NULL, w / 3);
		sim_snmp_state(p, "phase_load_state", ph, NULL, load);
	}
	for (unsigned b = 1; b <= 2; b++) {
		sim_snmp_metric(p, "bank_current_amperes", b, NULL, v > 0 ? w / 2 / v : 0);
		sim_snmp_state(p, "bank_load_state", b, NULL, load);
	}
	/* one outlet per server this PDU feeds (directly or through a rack) */
	unsigned outlet = 0;
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		bool fed = false;
		for (size_t f = 0; f < d->nfed_by && d->kind == SK_SERVER; f++) {
			struct sim_dev *fd = d->feeders[f];
			fed = fed || fd == p ||
			      (fd->kind == SK_RACK && fd->nfed_by && fd->feeders[0] == p);
		}
		if (fed)
			sim_snmp_metric(p, "outlet_current_amperes", ++outlet, NULL,
					d->running ? sim_knob(d, "load_kw") * 1000 / NOMINAL_V : 0);
	}
	/* the rack's inlet probe: the hall's inlet temperature of the first server */
	double t = 23, rh = 45;
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		for (size_t f = 0; f < d->nfed_by && d->rm; f++)
			if (d->feeders[f] == p || (d->feeders[f]->nfed_by && d->feeders[f]->feeders[0] == p)) {
				t = d->rm->temp_c + 0.5;
				rh = d->rm->humidity_percent;
			}
	}
	sim_snmp_metric(p, "probe_temperature_celsius", 1, "inlet", t);
	sim_snmp_metric(p, "probe_humidity_percent", 1, "inlet", round(rh));
	sim_snmp_state(p, "probe_temperature_state", 1, "inlet", probe_state(t));
}

static void render_env(struct sim_dev *e)
{
	double t = e->rm ? e->rm->temp_c : 23;
	unsigned row = 0;
	char name[64];
	for (size_t i = 0; i < e->nsensors; i++)
		sim_snmp_metric(e, "sensor_temperature_celsius", ++row, e->sensors[i],
				t + 0.3 * (double)i);
	snprintf(name, sizeof(name), "%s-humidity", e->room ? e->room : "room");
	sim_snmp_metric(e, "sensor_humidity_percent", ++row, name,
			e->rm ? e->rm->humidity_percent : 45);
	for (unsigned r = 1; r <= row; r++)
		sim_snmp_state(e, "sensor_oper_state", r, r <= e->nsensors ? e->sensors[r - 1] : name, "ok");
}

static void render_server(struct sim_dev *d)
{
	double cpu = sim_knob(d, "cpu_percent");
	for (unsigned c = 1; c <= 4; c++)
		sim_snmp_metric(d, "cpu_used_percent", c, NULL, fmin(100, cpu + (double)(c % 2) * 2));
	double mem = 64.0 * 1024 * 1024 * 1024;
	sim_snmp_metric(d, "memory_total_bytes", 1, "Physical memory", mem);
	sim_snmp_metric(d, "memory_used_bytes", 1, "Physical memory", mem * 0.55);
	double fs = 500.0 * 1024 * 1024 * 1024;
	sim_snmp_metric(d, "fs_size_bytes", 31, "/", fs);
	sim_snmp_metric(d, "fs_used_bytes", 31, "/", fs * sim_knob(d, "disk_percent") / 100);
	for (size_t i = 0; i < d->nprocesses; i++)
		sim_snmp_str(d, "process_count", (unsigned)(1000 + i), d->processes[i]);
	sim_snmp_metric(d, "processes_count", 0, NULL, 180 + (double)d->nprocesses);
	sim_snmp_metric(d, "system_uptime_seconds", 0, NULL, fmod(d->uptime_s, 4e7));
}

static const char *const gen_state_names[] = {"stopped", "pre_start", "warming_up", "running",
					      "cooling_down"};

static void render_gen(struct sim_dev *g)
{
	bool run = g->gen_state == GEN_RUNNING || g->gen_state == GEN_COOLING ||
		   g->gen_state == GEN_WARMING;
	double w = g->powered ? g->load_now_kw * 1000 : 0;
	double fuel_pct = g->fuel_liters / g->tank_liters * 100;
	sim_mb_state(g, "control_mode_state", NULL, "auto");
	sim_mb_metric(g, "oil_pressure_pascals", NULL, run ? 410000 : 0);
	sim_mb_metric(g, "coolant_temperature_celsius", NULL, run ? 82 : 45);
	sim_mb_metric(g, "oil_temperature_celsius", NULL, run ? 90 : 40);
	sim_mb_metric(g, "fuel_level_percent", NULL, floor(fuel_pct));
	sim_mb_metric(g, "battery_volts", NULL, run ? 13.8 : 12.7);
	sim_mb_metric(g, "engine_speed_rpm", NULL, run ? 1500 : g->gen_state == GEN_PRE_START ? 180 : 0);
	sim_mb_metric(g, "output_frequency_hertz", NULL, run ? NOMINAL_HZ : 0);
	const char *lines[] = {"1", "2", "3"};
	for (int l = 0; l < 3; l++) {
		sim_mb_metric(g, "output_voltage_volts", lines[l], run ? NOMINAL_V : 0);
		sim_mb_metric(g, "output_current_amperes", lines[l], w / 3 / NOMINAL_V);
		sim_mb_metric(g, "output_power_watts", lines[l], round(w / 3));
	}
	sim_mb_state(g, "engine_state", NULL, gen_state_names[g->gen_state]);
	sim_mb_metric(g, "output_power_total_watts", NULL, round(w));
	sim_mb_metric(g, "engine_load_percent", NULL, round(w / 1000 / g->rated_kw * 1000) / 10);
	sim_mb_metric(g, "engine_run_hours", NULL, floor(g->run_seconds) / 3600.0);
	sim_mb_metric(g, "energy_kilowatt_hours", NULL, floor(g->energy_kwh * 10) / 10);
	sim_mb_metric(g, "engine_starts_count", NULL, g->starts);
	static const char *const alarms[] = {
	    "emergency_stop_alarm", "low_oil_pressure_alarm", "high_coolant_temperature_alarm",
	    "low_coolant_temperature_alarm", "under_speed_alarm", "over_speed_alarm",
	    "under_frequency_alarm", "over_frequency_alarm", "under_voltage_alarm",
	    "over_voltage_alarm", "battery_under_voltage_alarm", "battery_over_voltage_alarm",
	    "charge_alternator_failure_alarm", "fail_to_stop_alarm", "generator_fail_to_close_alarm",
	    "mains_fail_to_close_alarm", "oil_pressure_sender_open_alarm",
	    "loss_of_magnetic_pickup_alarm", "magnetic_pickup_open_alarm", "over_current_alarm",
	    "calibration_lost_alarm", "ecu_amber_alarm",
	};
	for (size_t i = 0; i < sizeof(alarms) / sizeof(alarms[0]); i++)
		sim_mb_state(g, alarms[i], NULL, "ok");
	sim_mb_state(g, "fail_to_start_alarm", NULL, g->gen_failed ? "shutdown" : "ok");
	sim_mb_state(g, "low_fuel_level_alarm", NULL, fuel_pct < 25 ? "warning" : "ok");
}

static void render_cooling(struct sim_dev *c)
{
	bool tripped = c->powered && sim_knob(c, "running") < 1;
	sim_mb_metric(c, "supply_air_setpoint_celsius", NULL, 18);
	sim_mb_metric(c, "air_setpoint_celsius", NULL, 24);
	sim_mb_metric(c, "humidity_setpoint_percent", NULL, 50);
	sim_mb_state(c, "operating_state", NULL, c->running ? "on" : "off");
	sim_mb_state(c, "system_status_state", NULL,
		     tripped ? "abnormal" : c->running ? "normal" : "normal_with_alarm");
	sim_mb_metric(c, "return_humidity_percent", NULL, c->rm ? c->rm->humidity_percent : 45);
	sim_mb_metric(c, "fan_run_hours", NULL, 21000);
	sim_mb_metric(c, "compressor1_run_hours", NULL, 17000);
	sim_mb_metric(c, "humidifier_run_hours", NULL, 900);
	sim_mb_metric(c, "return_air_setpoint_celsius", NULL, 24);
	sim_mb_metric(c, "return_humidity_setpoint_percent", NULL, 50);
	sim_mb_state(c, "control_mode_state", NULL, "internal_auto");
	sim_mb_metric(c, "chilled_water_supply_celsius", NULL, 7.5);
	sim_mb_metric(c, "fan_speed_percent", NULL, round(c->fan_percent));
	sim_mb_metric(c, "compressor_utilization_percent", NULL, round(c->fan_percent * 0.9));
	sim_mb_metric(c, "dehumidifier_utilization_percent", NULL, 0);
	sim_mb_metric(c, "reheat_utilization_percent", NULL, 0);
	sim_mb_metric(c, "humidifier_utilization_percent", NULL, 0);
	sim_mb_metric(c, "return_dew_point_celsius", NULL, 10.5);
}

static void render_fire(struct sim_dev *f)
{
	static const char *const zstate[] = {"normal", "pre_alarm", "alarm", "fault"};
	for (unsigned z = 1; z <= 16; z++) {
		char inst[8];
		snprintf(inst, sizeof(inst), "%u", z);
		const char *st = z <= f->nzones ? zstate[(int)sim_knob(f, f->zones[z - 1]) & 3]
						: "not_present";
		sim_mb_state(f, "zone_state", inst, st);
	}
	sim_mb_metric(f, "panel_status_info", NULL, 0);
}

static void render_supp(struct sim_dev *d)
{
	bool disabled = sim_knob(d, "disabled") >= 1;
	sim_mb_state(d, "suppression_armed_state", NULL, disabled ? "off" : "on");
	sim_mb_state(d, "suppression_prealarm_state", NULL, d->supp_state == SUPP_PREALARM ? "on" : "off");
	sim_mb_state(d, "suppression_released_state", NULL, d->supp_state >= SUPP_RELEASED ? "on" : "off");
	sim_mb_state(d, "suppression_discharged_state", NULL,
		     d->supp_state == SUPP_DISCHARGED ? "on" : "off");
	sim_mb_state(d, "suppression_fault_state", NULL, "off");
	sim_mb_state(d, "suppression_disabled_state", NULL, disabled ? "on" : "off");
	sim_mb_metric(d, "agent_cylinder_pressure_bars", NULL, d->pressure_bars);
}

static void render_leak(struct sim_dev *d)
{
	bool leak = sim_knob(d, "leak") >= 1;
	sim_mb_state(d, "leak_state", NULL, leak ? "on" : "off");
	sim_mb_state(d, "cable_break_state", NULL, sim_knob(d, "cable_break") >= 1 ? "on" : "off");
	sim_mb_state(d, "contamination_state", NULL, "off");
	sim_mb_metric(d, "leak_distance_meters", NULL, leak ? sim_knob(d, "distance_m") : 0);
	sim_mb_state(d, "distance_unit_state", NULL, "meters");
	sim_mb_metric(d, "leak_current_amperes", NULL, leak ? 0.000350 : 0.000002);
	sim_mb_metric(d, "cable_length_meters", NULL, 60);
	sim_mb_metric(d, "firmware_version_info", NULL, 1.23);
}

void sim_render(struct sim *s)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (d->snmp)
			sim_snmp_begin(d);
		switch (d->kind) {
		case SK_UTILITY: render_utility(d); break;
		case SK_ATS: render_ats(d); break;
		case SK_UPS: render_ups(d); break;
		case SK_PDU: render_pdu(s, d); break;
		case SK_ENV: render_env(d); break;
		case SK_SERVER: render_server(d); break;
		case SK_GENERATOR: render_gen(d); break;
		case SK_COOLING: render_cooling(d); break;
		case SK_FIRE: render_fire(d); break;
		case SK_SUPPRESSION: render_supp(d); break;
		case SK_LEAK: render_leak(d); break;
		default: break;
		}
		if (d->snmp)
			sim_snmp_end(d);
	}
}
