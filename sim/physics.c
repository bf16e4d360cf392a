/* The facility's physics, advanced by a fixed step of simulated time:
 *   utility -> ATS -> UPS -> PDU -> rack -> server (fed_by), generators on the ATS;
 *   generators start after a delay when the utility fails, the ATS transfers, fuel
 *   burns following load (diesel chart of shared/domain facility-facts 6.3);
 *   UPS batteries discharge on battery and recharge afterwards;
 *   room temperatures follow the balance of IT heat and running cooling capacity;
 *   fire zones drive the suppression panel of their room: pre-alarm, release, discharge.
 */
#include "sim.h"

#include <math.h>
#include <string.h>

#define GEN_START_DELAY_S 5.0   /* mains-fail start delay (DSE default 5 s) */
#define GEN_CRANK_S 5.0         /* pre-start / cranking */
#define GEN_WARMUP_S 8.0        /* warming up before the load is accepted */
#define GEN_COOLDOWN_S 60.0     /* off-load run after the retransfer */
#define ATS_TRANSFER_S 2.0      /* generator available -> load transferred */
#define ATS_RETRANSFER_S 30.0   /* utility back -> load back on utility */
#define UPS_RECHARGE_S 3600.0   /* empty -> full recharge time */
#define ROOM_BASE_C 23.0        /* inlet temperature with enough cooling */
#define ROOM_C_PER_KW 0.6       /* inlet rise per kW of heat not removed */
#define ROOM_MAX_C 48.0
#define ROOM_TAU_S 240.0        /* thermal time constant of a hall */
#define SUPP_RELEASE_S 30.0     /* alarm -> agent release (pre-discharge delay) */
#define SUPP_DISCHARGE_S 10.0   /* release -> discharged */
#define SUPP_FULL_BARS 200.0

void sim_physics_init(struct sim *s)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		d->gen_state = GEN_STOPPED;
		d->gen_timer_s = 0;
		d->gen_failed = false;
		struct sim_knob *fk = sim_knob_find(d, "fuel_percent");
		if (fk && fk->value < 0)
			fk->value = 80;
		d->fuel_liters = d->tank_liters * (fk ? fk->value : 80) / 100.0;
		d->ats_pos = ATS_UTILITY;
		d->ats_timer_s = 0;
		d->charge = 1.0;
		d->ups_output_on = true;
		d->on_battery_s = 0;
		d->running = true;
		d->fan_percent = 60;
		d->supp_state = SUPP_ARMED;
		d->supp_timer_s = 0;
		d->pressure_bars = SUPP_FULL_BARS;
		d->powered = true;
		d->input_ok = true;
		if (d->uptime_s == 0)
			d->uptime_s = 86400.0 * (double)(3 + i % 40);
	}
	for (size_t i = 0; i < s->nrooms; i++) {
		s->rooms[i].temp_c = ROOM_BASE_C;
		s->rooms[i].humidity_percent = 45;
	}
}

static bool any_feeder_powered(const struct sim_dev *d)
{
	for (size_t i = 0; i < d->nfed_by; i++)
		if (d->feeders[i] && d->feeders[i]->powered)
			return true;
	return d->nfed_by == 0;
}

static bool utility_up(const struct sim *s)
{
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].kind == SK_UTILITY && s->devs[i].powered)
			return true;
	return false;
}

static void gen_set(struct sim_dev *g, int st)
{
	g->gen_state = st;
	g->gen_timer_s = 0;
}

/* A generator's controller: auto-start on utility failure, stop after cool-down. */
static void gen_step(struct sim_dev *g, bool util, bool ats_on_util, double dt)
{
	g->gen_timer_s += dt;
	switch (g->gen_state) {
	case GEN_STOPPED:
		if (util) {
			g->gen_failed = false; /* reset when the mains is healthy again */
			break;
		}
		if (!g->gen_failed && g->fuel_liters > 0 && g->gen_timer_s >= GEN_START_DELAY_S)
			gen_set(g, GEN_PRE_START);
		break;
	case GEN_PRE_START:
		if (g->gen_timer_s < GEN_CRANK_S)
			break;
		if (sim_knob(g, "fail_to_start") >= 1) {
			g->gen_failed = true;
			gen_set(g, GEN_STOPPED);
		} else {
			g->starts += 1;
			gen_set(g, GEN_WARMING);
		}
		break;
	case GEN_WARMING:
		if (g->gen_timer_s >= GEN_WARMUP_S)
			gen_set(g, GEN_RUNNING);
		break;
	case GEN_RUNNING:
		if (util && ats_on_util)
			gen_set(g, GEN_COOLING);
		break;
	case GEN_COOLING:
		if (!util)
			gen_set(g, GEN_RUNNING);
		else if (g->gen_timer_s >= GEN_COOLDOWN_S)
			gen_set(g, GEN_STOPPED);
		break;
	}
	if (g->gen_state == GEN_RUNNING || g->gen_state == GEN_COOLING || g->gen_state == GEN_WARMING)
		g->run_seconds += dt;
	if (g->fuel_liters <= 0 && g->gen_state != GEN_STOPPED)
		gen_set(g, GEN_STOPPED);
	g->powered = g->gen_state == GEN_RUNNING || g->gen_state == GEN_COOLING;
}

static bool gens_available(const struct sim_dev *ats)
{
	for (size_t i = 0; i < ats->nfed_by; i++) {
		const struct sim_dev *f = ats->feeders[i];
		if (f->kind == SK_GENERATOR && f->gen_state == GEN_RUNNING)
			return true;
	}
	return false;
}

/* The transfer switch: utility preferred, generator after a transfer delay, back to
 * the utility after the retransfer delay. */
static void ats_step(struct sim_dev *a, bool util, double dt)
{
	int was = a->ats_pos;
	int want = util ? ATS_UTILITY : gens_available(a) ? ATS_GENERATOR : ATS_NONE;
	if (want == a->ats_pos) {
		a->ats_timer_s = 0;
	} else if (want == ATS_NONE || a->ats_pos == ATS_NONE) {
		a->ats_timer_s += dt;
		if (want == ATS_NONE || want == ATS_UTILITY || a->ats_timer_s >= ATS_TRANSFER_S) {
			a->ats_pos = want;
			a->ats_timer_s = 0;
		}
	} else {
		a->ats_timer_s += dt;
		double delay = want == ATS_UTILITY ? ATS_RETRANSFER_S : ATS_TRANSFER_S;
		if (a->ats_timer_s >= delay) {
			a->ats_pos = want;
			a->ats_timer_s = 0;
		}
	}
	if (!util && a->ats_pos == ATS_UTILITY)
		a->ats_pos = ATS_NONE;
	a->transfers += a->ats_pos != was;
	a->powered = a->ats_pos != ATS_NONE;
}

static void ups_step(struct sim_dev *u, double dt)
{
	bool was_ok = u->input_ok;
	u->input_ok = any_feeder_powered(u);
	if (was_ok && !u->input_ok)
		u->line_bads += 1;
	double knob = sim_knob(u, "charge_percent");
	if (knob < 100 && u->charge > knob / 100.0)
		u->charge = knob / 100.0; /* a user drained it */
	if (u->input_ok) {
		u->on_battery_s = 0;
		u->ups_output_on = true;
		u->charge = fmin(1.0, u->charge + dt / UPS_RECHARGE_S);
	} else if (u->ups_output_on) {
		u->on_battery_s += dt;
		u->charge -= u->load_now_kw * dt / 3600.0 / u->battery_kwh;
		if (u->charge <= 0) {
			u->charge = 0;
			u->ups_output_on = false; /* battery depleted: output off */
		}
	}
	struct sim_knob *k = sim_knob_find(u, "charge_percent");
	if (k)
		k->value = 100; /* one-shot */
	u->powered = u->input_ok || u->ups_output_on;
}

/* Adds kw of load to d and, through its feeders, up the chain. */
static void load_add(struct sim_dev *d, double kw, int depth)
{
	if (depth > 16 || kw <= 0)
		return;
	d->load_now_kw += kw;
	if (d->kind == SK_UPS && !d->input_ok)
		return; /* carried by the battery */
	if (d->kind == SK_ATS) {
		size_t n = 0;
		for (size_t i = 0; i < d->nfed_by; i++) {
			struct sim_dev *f = d->feeders[i];
			n += (d->ats_pos == ATS_UTILITY && f->kind == SK_UTILITY) ||
			     (d->ats_pos == ATS_GENERATOR && f->kind == SK_GENERATOR && f->powered);
		}
		for (size_t i = 0; n && i < d->nfed_by; i++) {
			struct sim_dev *f = d->feeders[i];
			if ((d->ats_pos == ATS_UTILITY && f->kind == SK_UTILITY) ||
			    (d->ats_pos == ATS_GENERATOR && f->kind == SK_GENERATOR && f->powered))
				load_add(f, kw / (double)n, depth + 1);
		}
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < d->nfed_by; i++)
		n += d->feeders[i]->powered;
	for (size_t i = 0; n && i < d->nfed_by; i++)
		if (d->feeders[i]->powered)
			load_add(d->feeders[i], kw / (double)n, depth + 1);
}

/* Diesel burn rate of a set of `rated` kW at `kw` load, L/h: the 500 kW chart of
 * facility-facts 6.3 (1/4, 1/2, 3/4, full load) scaled to the rating; below 1/4 load
 * the line through the 1/4 and 1/2 points is extended to no load. */
static double sim_burn_lph(double rated, double kw)
{
	static const double frac[] = {0.0, 0.25, 0.5, 0.75, 1.0};
	static const double lph500[] = {13.2, 41.6, 70.0, 99.9, 135.1};
	double f = fmax(0.0, fmin(1.1, kw / rated));
	size_t i = 0;
	while (i < 3 && f > frac[i + 1])
		i++;
	double v = lph500[i] + (lph500[i + 1] - lph500[i]) * (f - frac[i]) / (frac[i + 1] - frac[i]);
	return v * rated / 500.0;
}

static void rooms_step(struct sim *s, double dt)
{
	for (size_t i = 0; i < s->nrooms; i++) {
		s->rooms[i].heat_kw = 0;
		s->rooms[i].capacity_kw = 0;
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (!d->rm)
			continue;
		if (d->kind == SK_SERVER && d->running)
			d->rm->heat_kw += sim_knob(d, "load_kw");
		if (d->kind == SK_COOLING && d->running)
			d->rm->capacity_kw += d->rated_kw;
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (d->kind != SK_COOLING || !d->rm)
			continue;
		double cap = d->rm->capacity_kw;
		d->fan_percent = d->running ? (cap > 0 ? fmax(30, fmin(100, 100 * d->rm->heat_kw / cap)) : 0) : 0;
	}
	for (size_t i = 0; i < s->nrooms; i++) {
		struct sim_room *r = &s->rooms[i];
		double deficit = fmax(0, r->heat_kw - r->capacity_kw);
		double target = fmin(ROOM_MAX_C, ROOM_BASE_C + ROOM_C_PER_KW * deficit);
		r->temp_c += (target - r->temp_c) * (1 - exp(-dt / ROOM_TAU_S));
		/* warmer air at the same moisture: relative humidity falls ~3 %/K */
		r->humidity_percent = fmax(15, 45 - 3 * (r->temp_c - ROOM_BASE_C));
	}
}

static int zone_of_room(const struct sim *s, const char *room)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		const struct sim_dev *f = &s->devs[i];
		if (f->kind != SK_FIRE)
			continue;
		for (size_t z = 0; z < f->nzones; z++)
			if (strcmp(f->zones[z], room) == 0)
				return (int)sim_knob(f, f->zones[z]);
	}
	return 0;
}

/* Suppression: the zone of its room in alarm starts the release countdown. */
static void supp_step(struct sim *s, struct sim_dev *d, double dt)
{
	int z = zone_of_room(s, d->room); /* 0 normal, 1 pre_alarm, 2 alarm, 3 fault */
	if (z == 0) {
		d->supp_state = SUPP_ARMED;
		d->supp_timer_s = 0;
		d->pressure_bars = SUPP_FULL_BARS; /* the simulator refills the cylinder */
		return;
	}
	if (z != 2) {
		if (d->supp_state < SUPP_RELEASED)
			d->supp_state = z == 1 ? SUPP_PREALARM : SUPP_ARMED;
		return;
	}
	if (sim_knob(d, "disabled") >= 1)
		return;
	d->supp_timer_s += dt;
	if (d->supp_timer_s < SUPP_RELEASE_S)
		d->supp_state = SUPP_PREALARM;
	else if (d->supp_timer_s < SUPP_RELEASE_S + SUPP_DISCHARGE_S)
		d->supp_state = SUPP_RELEASED;
	else
		d->supp_state = SUPP_DISCHARGED;
	if (d->supp_state >= SUPP_RELEASED)
		d->pressure_bars = fmax(0, d->pressure_bars - SUPP_FULL_BARS * dt / SUPP_DISCHARGE_S);
}

static void power_step(struct sim *s, double dt)
{
	bool util = false;
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].kind == SK_UTILITY) {
			struct sim_dev *u = &s->devs[i];
			bool was = u->powered;
			u->powered = sim_knob(u, "available") >= 1;
			u->line_bads += was && !u->powered;
			util = util || u->powered;
		}
	bool ats_on_util = true;
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].kind == SK_ATS)
			ats_on_util = ats_on_util && s->devs[i].ats_pos == ATS_UTILITY;
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].kind == SK_GENERATOR)
			gen_step(&s->devs[i], util, ats_on_util, dt);
	(void)utility_up;
	/* Feeders are evaluated before what they feed: a few passes settle any order. */
	for (int pass = 0; pass < 4; pass++) {
		for (size_t i = 0; i < s->ndevs; i++) {
			struct sim_dev *d = &s->devs[i];
			switch (d->kind) {
			case SK_ATS:
				if (pass == 0)
					ats_step(d, util, dt);
				break;
			case SK_UPS:
				if (pass == 0)
					ups_step(d, dt);
				else
					d->powered = d->input_ok || d->ups_output_on;
				break;
			case SK_UTILITY:
			case SK_GENERATOR:
				break;
			default:
				d->powered = any_feeder_powered(d);
			}
		}
	}
}

static void loads_step(struct sim *s, double dt)
{
	for (size_t i = 0; i < s->ndevs; i++)
		s->devs[i].load_now_kw = 0;
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (d->kind == SK_SERVER) {
			d->running = d->powered && sim_knob(d, "up") >= 1;
			d->uptime_s = d->running ? d->uptime_s + dt : 0;
			if (d->running)
				load_add(d, sim_knob(d, "load_kw"), 0);
		} else if (d->kind == SK_COOLING) {
			d->running = d->powered && sim_knob(d, "running") >= 1;
		}
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (d->kind == SK_COOLING && d->running)
			load_add(d, d->rated_kw * 0.35 * d->fan_percent / 100.0, 0);
		if (d->kind == SK_UPS && d->input_ok && d->charge < 1.0)
			load_add(d, 0.1 * d->rated_kw, 0); /* charger: 10 % of the rating */
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (d->kind == SK_GENERATOR && d->powered) {
			d->fuel_liters = fmax(0, d->fuel_liters - sim_burn_lph(d->rated_kw, d->load_now_kw) * dt / 3600.0);
			d->energy_kwh += d->load_now_kw * dt / 3600.0;
		}
		if (d->kind == SK_PDU)
			d->energy_kwh += d->load_now_kw * dt / 3600.0;
	}
}

void sim_physics_step(struct sim *s, double dt)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		struct sim_knob *k = sim_knob_find(d, "fuel_percent");
		if (d->kind == SK_GENERATOR && k && k->value >= 0) {
			d->fuel_liters = d->tank_liters * k->value / 100.0; /* refuelled / drained */
			k->value = -1;
		}
		if (k)
			k->min = -1;
	}
	power_step(s, dt);
	loads_step(s, dt);
	rooms_step(s, dt);
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].kind == SK_SUPPRESSION)
			supp_step(s, &s->devs[i], dt);
	s->t_s += dt;
}
