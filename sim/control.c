/* The control commands ("run NAME [SPEED]", "set DEV.POINT VALUE", "status") and the
 * facility's status text; the socket that carries them is control_io.c. */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const gen_names[] = {"stopped", "pre-start", "warming up", "running",
					"cooling down"};
static const char *const ats_names[] = {"open (no source)", "utility", "generator"};
static const char *const zone_names[] = {"normal", "pre_alarm", "alarm", "fault"};
static const char *const supp_names[] = {"armed", "pre-alarm", "released", "discharged"};

static size_t dev_line(const struct sim_dev *d, char *b, size_t n)
{
	switch (d->kind) {
	case SK_UTILITY:
		return (size_t)snprintf(b, n, "%s", d->powered ? "available" : "FAILED");
	case SK_ATS:
		return (size_t)snprintf(b, n, "position %s", ats_names[d->ats_pos]);
	case SK_GENERATOR:
		return (size_t)snprintf(b, n, "%s%s  load %.2f kW  fuel %.1f %% (%.2f L)",
					gen_names[d->gen_state], d->gen_failed ? " FAIL-TO-START" : "",
					d->load_now_kw, d->fuel_liters / d->tank_liters * 100,
					d->fuel_liters);
	case SK_UPS:
		return (size_t)snprintf(b, n, "%s  charge %.0f %%  load %.0f kW",
					d->input_ok ? "on utility/generator" : d->ups_output_on ? "ON BATTERY" : "OUTPUT OFF",
					d->charge * 100, d->load_now_kw);
	case SK_PDU:
	case SK_RACK:
		return (size_t)snprintf(b, n, "%s  load %.1f kW", d->powered ? "powered" : "NO POWER",
					d->load_now_kw);
	case SK_SERVER:
		return (size_t)snprintf(b, n, "%s  %s  load %.1f kW", d->running ? "up" : "DOWN",
					d->host, sim_knob(d, "load_kw"));
	case SK_COOLING:
		return (size_t)snprintf(b, n, "%s  fan %.0f %%  room %s", d->running ? "running" : "STOPPED",
					d->fan_percent, d->room);
	case SK_ENV:
		return (size_t)snprintf(b, n, "%s %.1f C  %.0f %% RH", d->room, d->rm->temp_c,
					d->rm->humidity_percent);
	case SK_FIRE: {
		size_t o = 0;
		for (size_t z = 0; z < d->nzones && o < n; z++)
			o += (size_t)snprintf(b + o, n - o, "%s%s %s", z ? ", " : "", d->zones[z],
					      zone_names[(int)sim_knob(d, d->zones[z]) & 3]);
		return o;
	}
	case SK_SUPPRESSION:
		return (size_t)snprintf(b, n, "%s  cylinder %.0f bar", supp_names[d->supp_state],
					d->pressure_bars);
	case SK_LEAK:
		return (size_t)snprintf(b, n, "%s", sim_knob(d, "leak") >= 1 ? "LEAK" : "dry");
	}
	return 0;
}

void sim_status_text(struct sim *s, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "time %.0fs  acceleration %gx  scenario %s%s%s\n",
				    s->t_s, s->accel * s->speed, s->scen ? s->scen->name : "(none)",
				    s->scen_note[0] ? ": " : "", s->scen_note);
	for (size_t i = 0; i < s->ndevs && o < len; i++) {
		const struct sim_dev *d = &s->devs[i];
		char line[512];
		dev_line(d, line, sizeof(line));
		o += (size_t)snprintf(buf + o, len - o, "%-16s %-11s %s\n", d->id,
				      sim_kind_names[d->kind], line);
	}
}

bool sim_control_execute(struct sim *s, char *line, char *out, size_t len)
{
	char *argv[4] = {0};
	int argc = 0;
	for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t && argc < 4;
	     t = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = t;
	out[0] = '\0';
	if (argc >= 2 && argc <= 3 && strcmp(argv[0], "run") == 0) {
		double speed = argc == 3 ? atof(argv[2]) : 1;
		struct sim_scenario *sc = NULL;
		if (!(speed >= 0.01 && speed <= 1000)) {
			snprintf(out, len, "speed must be 0.01..1000");
			return false;
		}
		if (!(sc = sim_scenario_load(s, argv[1], out, len)))
			return false;
		sim_scenario_start(s, sc, speed);
		snprintf(out, len, "scenario %s started: %s", sc->name,
			 sc->description ? sc->description : "");
		return true;
	}
	if (argc == 3 && strcmp(argv[0], "set") == 0) {
		if (sim_set(s, argv[1], argv[2], true, out, len) < 0)
			return false;
		snprintf(out, len, "%s = %s", argv[1], argv[2]);
		return true;
	}
	if (argc == 1 && strcmp(argv[0], "status") == 0) {
		sim_status_text(s, out, len);
		return true;
	}
	snprintf(out, len,
		 "unknown command; expected: run SCENARIO [SPEED] | set DEVICE.POINT VALUE | status");
	return false;
}
