/* Modbus TCP servers of the simulated devices: the register mapping of the whole
 * address space of each device, written from the physics by metric name; the network
 * side (listener, clients, framing, never blocking the loop) is modbus_net.c.
 *
 * Values are written by metric name through the device's profile (read with the
 * daemon's modbus_profile_load): scale and offset undone, the type's bit pattern laid
 * out in the point's word order, states and bit fields encoded, so whatever the
 * profile says is exactly what goes on the wire.  Every encoded point is decoded back
 * with the poller's own decoder; a mismatch is logged (the encoder and decoder
 * disagree), never served silently.
 */
#include "sim.h"
#include "dcmon/modbus_profile.h"

#include <errno.h>
#include <math.h>
#include <modbus/modbus.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sim_mbdev {
	struct modbus_profile *prof;
	modbus_mapping_t *map;          /* every table, whole address space */
	struct sim_mbnet *net;          /* listener and clients */
	bool warned;                    /* one self-check complaint per device */
};

int sim_mb_open(struct sim_dev *d, const char *profiles_dir, bool serve, char *err, size_t len)
{
	char path[4096];
	struct cfg_diags diags;
	sim_profile_path(profiles_dir, d, path, sizeof(path));
	cfg_diags_init(&diags);
	struct modbus_profile *p = modbus_profile_load(path, &diags);
	if (!p)
		return sim_profile_error(d, path, &diags, err, len);
	cfg_diags_free(&diags);
	struct sim_mbdev *m = calloc(1, sizeof(*m));
	if (!m) {
		modbus_profile_free(p);
		return -ENOMEM;
	}
	d->mb = m;
	m->prof = p;
	m->map = modbus_mapping_new(MODBUS_ADDR_MAX + 1, MODBUS_ADDR_MAX + 1, MODBUS_ADDR_MAX + 1,
				    MODBUS_ADDR_MAX + 1);
	if (!m->map) {
		snprintf(err, len, "%s: out of memory", d->id);
		return -ENOMEM;
	}
	if (!serve)
		return 0;
	char why[256];
	int rc = sim_mbnet_open(&m->net, d->host, d->port, why, sizeof(why));
	if (rc < 0)
		snprintf(err, len, "%s: %s", d->id, why);
	return rc;
}

void sim_mb_close(struct sim_dev *d)
{
	struct sim_mbdev *m = d->mb;
	if (!m)
		return;
	sim_mbnet_close(m->net);
	if (m->map)
		modbus_mapping_free(m->map);
	modbus_profile_free(m->prof);
	free(m);
	d->mb = NULL;
}

static uint16_t swap16(uint16_t w)
{
	return (uint16_t)((w >> 8) | (w << 8));
}

/* Lays out a pattern in words, the inverse of modbus_assemble(). */
static void disassemble(uint64_t pat, enum modbus_type t, enum modbus_order o, uint16_t *regs)
{
	unsigned n = modbus_type_words(t);
	bool swap = o == MB_BADC || o == MB_DCBA;
	bool low_first = n > 1 && (o == MB_CDAB || o == MB_DCBA);
	for (unsigned i = 0; i < n; i++) {
		uint16_t w = (uint16_t)(pat >> (16 * (n - 1 - i))); /* most significant first */
		if (swap)
			w = swap16(w);
		regs[low_first ? n - 1 - i : i] = w;
	}
}

/* The bit pattern of raw number `raw` in type t. */
static uint64_t pattern_of(double raw, enum modbus_type t)
{
	if (t == MB_T_FLOAT32) {
		float f = (float)raw;
		uint32_t u;
		memcpy(&u, &f, sizeof(u));
		return u;
	}
	if (t == MB_T_FLOAT64) {
		uint64_t u;
		memcpy(&u, &raw, sizeof(u));
		return u;
	}
	unsigned bits = modbus_type_bits(t);
	bool is_signed = t == MB_T_INT16 || t == MB_T_INT32 || t == MB_T_INT64;
	double lo = is_signed ? -ldexp(1, (int)bits - 1) : 0;
	double hi = is_signed ? ldexp(1, (int)bits - 1) - 1 : ldexp(1, (int)bits) - 1;
	double r = fmax(lo, fmin(hi, round(raw)));
	uint64_t p = r < 0 ? (uint64_t)(int64_t)r : (uint64_t)r;
	return bits >= 64 ? p : p & ((UINT64_C(1) << bits) - 1);
}

static uint16_t *regs_of(struct sim_mbdev *m, const struct modbus_point *p)
{
	return p->table == MB_HOLDING ? &m->map->tab_registers[p->addr]
				      : &m->map->tab_input_registers[p->addr];
}

static uint8_t *bit_of(struct sim_mbdev *m, const struct modbus_point *p)
{
	return p->table == MB_COIL ? &m->map->tab_bits[p->addr] : &m->map->tab_input_bits[p->addr];
}

/* Writes a raw number to a point and checks it decodes back to `want` (NAN = skip). */
static void point_write(struct sim_dev *d, const struct modbus_point *p, double raw, double want)
{
	struct sim_mbdev *m = d->mb;
	uint16_t regs[4] = {0};
	if (modbus_table_is_bits(p->table)) {
		*bit_of(m, p) = raw != 0;
		regs[0] = raw != 0;
	} else {
		disassemble(pattern_of(raw, p->type), p->type, p->order, regs);
		memcpy(regs_of(m, p), regs, modbus_type_words(p->type) * sizeof(uint16_t));
	}
	double got;
	char why[128];
	if (!isnan(want) && (modbus_point_decode(p, regs, &got, why, sizeof(why)) < 0 ||
			     fabs(got - want) > fabs(p->scale) + 1e-6 * fabs(want))) {
		if (!m->warned)
			log_warnx("sim", d->id, "%s: encoded %g decodes as %g (%s)",
				  p->metric ? p->metric : "?", want, got, why);
		m->warned = true;
	}
}

static const struct modbus_point *point_of(const struct sim_dev *d, const char *metric,
					   const char *inst)
{
	const struct modbus_profile *pr = d->mb ? d->mb->prof : NULL;
	for (size_t i = 0; pr && i < pr->npoints; i++) {
		const struct modbus_point *p = &pr->points[i];
		if (p->metric && strcmp(p->metric, metric) == 0 &&
		    (!inst || (p->inst && strcmp(p->inst, inst) == 0)))
			return p;
	}
	return NULL;
}

static const struct modbus_point *field_of(const struct sim_dev *d, const char *metric,
					   const struct modbus_bitfield **f)
{
	const struct modbus_profile *pr = d->mb ? d->mb->prof : NULL;
	for (size_t i = 0; pr && i < pr->npoints; i++)
		for (size_t b = 0; b < pr->points[i].nbits; b++)
			if (strcmp(pr->points[i].bits[b].metric, metric) == 0) {
				*f = &pr->points[i].bits[b];
				return &pr->points[i];
			}
	return NULL;
}

bool sim_mb_has_metric(const struct sim_dev *d, const char *metric)
{
	const struct modbus_bitfield *f;
	return point_of(d, metric, NULL) || field_of(d, metric, &f);
}

void sim_mb_metric(struct sim_dev *d, const char *metric, const char *inst, double value)
{
	const struct modbus_point *p = point_of(d, metric, inst);
	if (!p)
		return;
	sim_pinned(d, metric, inst, &value);
	point_write(d, p, (value - p->offset) / (p->scale != 0 ? p->scale : 1), value);
}

/* Writes a bit field of a register (read-modify-write of the register's pattern). */
static void field_write(struct sim_dev *d, const struct modbus_point *p,
			const struct modbus_bitfield *f, unsigned v)
{
	uint16_t *regs = regs_of(d->mb, p);
	uint64_t pat = modbus_assemble(regs, p->type, p->order);
	uint64_t mask = ((UINT64_C(1) << f->width) - 1) << f->bit;
	pat = (pat & ~mask) | (((uint64_t)v << f->bit) & mask);
	disassemble(pat, p->type, p->order, regs);
}

void sim_mb_state(struct sim_dev *d, const char *metric, const char *inst, const char *state)
{
	const struct modbus_bitfield *f = NULL;
	const struct modbus_point *p = point_of(d, metric, inst);
	if (!p && (p = field_of(d, metric, &f)) != NULL) {
		unsigned v = strcmp(state, "on") == 0;
		for (size_t i = 0; i < f->nenums; i++)
			if (strcmp(f->enums[i].name, state) == 0) {
				v = (unsigned)f->enums[i].value;
				break;
			}
		field_write(d, p, f, v);
		return;
	}
	if (!p)
		return;
	double pinned;
	if (sim_pinned(d, metric, inst, &pinned)) {
		point_write(d, p, pinned, NAN);
		return;
	}
	for (size_t i = 0; i < p->nenums; i++)
		if (strcmp(p->enums[i].name, state) == 0) {
			point_write(d, p, p->enums[i].value, p->enums[i].value);
			return;
		}
	for (size_t i = 0; i < p->nstates; i++)
		if (strcmp(p->states[i].name, state) == 0) {
			point_write(d, p, (double)p->states[i].value, (double)i);
			return;
		}
	if (modbus_table_is_bits(p->table) || p->type == MB_T_BOOL) {
		point_write(d, p, strcmp(state, "on") == 0, NAN);
		return;
	}
	log_warnx("sim", d->id, "profile %s: %s has no state '%s'", d->profile, metric, state);
}

void sim_mb_fds(struct sim *s, fd_set *rset, fd_set *wset, int *maxfd)
{
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].mb)
			sim_mbnet_fds(s->devs[i].mb->net, rset, wset, maxfd);
}

void sim_mb_serve(struct sim *s, const fd_set *rset, const fd_set *wset)
{
	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].mb)
			sim_mbnet_serve(s->devs[i].mb->net, rset, wset, s->devs[i].mb->map);
}
