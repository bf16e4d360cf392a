/* Register decoding: raw 16-bit registers -> typed, scaled values, with an explicit
 * word/byte order (never libmodbus's float helpers, whose byte orders have had bugs),
 * "not available" sentinels and masked states.  Pure functions, no I/O.
 */
#include "modbus.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "dcmon/enumtab.h"

const char *const modbus_type_names[] = {
	"bool", "int16", "uint16", "int32", "uint32", "float32",
	"int64", "uint64", "float64", NULL,
};
_Static_assert(sizeof(modbus_type_names) / sizeof(modbus_type_names[0]) == MB_T_COUNT + 1,
	       "type names out of step with enum modbus_type");

const char *const modbus_order_names[] = { "ABCD", "CDAB", "BADC", "DCBA", NULL };

/* By value less MB_COIL: the tables are numbered by their read function code, from 1. */
static const char *const modbus_table_names[] = {
	[MB_COIL - MB_COIL] = "coil", [MB_DISCRETE - MB_COIL] = "discrete",
	[MB_HOLDING - MB_COIL] = "holding", [MB_INPUT - MB_COIL] = "input", NULL,
};

const char *modbus_type_name(enum modbus_type t)
{
	return enum_name(modbus_type_names, (int)t);
}

const char *modbus_order_name(enum modbus_order o)
{
	return enum_name(modbus_order_names, (int)o);
}

const char *modbus_table_name(enum modbus_table t)
{
	return enum_name(modbus_table_names, (int)t - MB_COIL);
}

bool modbus_table_is_bits(enum modbus_table t)
{
	return t == MB_COIL || t == MB_DISCRETE;
}

unsigned modbus_type_words(enum modbus_type t)
{
	switch (t) {
	case MB_T_INT32: case MB_T_UINT32: case MB_T_FLOAT32: return 2;
	case MB_T_INT64: case MB_T_UINT64: case MB_T_FLOAT64: return 4;
	default: return 1;
	}
}

unsigned modbus_type_bits(enum modbus_type t)
{
	return t == MB_T_BOOL ? 1 : 16 * modbus_type_words(t);
}

unsigned modbus_point_words(const struct modbus_point *p)
{
	return modbus_table_is_bits(p->table) ? 1 : modbus_type_words(p->type);
}

static uint16_t swap16(uint16_t w)
{
	return (uint16_t)((w >> 8) | (w << 8));
}

uint64_t modbus_assemble(const uint16_t *regs, enum modbus_type t, enum modbus_order o)
{
	unsigned nw = modbus_type_words(t);
	bool low_word_first = o == MB_CDAB || o == MB_DCBA;
	bool swap_bytes = o == MB_BADC || o == MB_DCBA;
	uint64_t v = 0;

	if (t == MB_T_BOOL)
		return regs[0] != 0;
	for (unsigned i = 0; i < nw; i++) {
		uint16_t w = regs[low_word_first ? nw - 1 - i : i];
		v = (v << 16) | (swap_bytes ? swap16(w) : w);
	}
	return v;
}

double modbus_pattern_value(uint64_t pattern, enum modbus_type t)
{
	float f;
	double d;
	uint32_t u32 = (uint32_t)pattern;

	switch (t) {
	case MB_T_BOOL: return pattern ? 1.0 : 0.0;
	case MB_T_INT16: return (int16_t)(uint16_t)pattern;
	case MB_T_UINT16: return (uint16_t)pattern;
	case MB_T_INT32: return (int32_t)u32;
	case MB_T_UINT32: return u32;
	case MB_T_FLOAT32: memcpy(&f, &u32, sizeof f); return f;
	case MB_T_INT64: return (double)(int64_t)pattern;
	case MB_T_UINT64: return (double)pattern;
	case MB_T_FLOAT64: memcpy(&d, &pattern, sizeof d); return d;
	case MB_T_COUNT: break;
	}
	return NAN;
}

bool modbus_is_sentinel(const struct modbus_point *p, uint64_t pattern)
{
	for (size_t i = 0; i < p->nsentinels; i++)
		if (pattern >= p->sentinels[i].lo && pattern <= p->sentinels[i].hi)
			return true;
	return false;
}

unsigned modbus_field_value(const struct modbus_bitfield *f, uint64_t pattern)
{
	uint64_t mask = f->width >= 64 ? UINT64_MAX : (UINT64_C(1) << f->width) - 1;

	return (unsigned)((pattern >> f->bit) & mask);
}

/* Index of the first masked state matching pattern, or -1. */
static int state_match(const struct modbus_point *p, uint64_t pattern)
{
	for (size_t i = 0; i < p->nstates; i++)
		if ((pattern & p->states[i].mask) == p->states[i].value)
			return (int)i;
	return -1;
}

/* Width-sized hex text of a pattern, for reasons ("0xFFFF"). */
static void pattern_text(char *buf, size_t len, uint64_t pattern, enum modbus_type t)
{
	unsigned digits = modbus_type_bits(t) / 4;

	snprintf(buf, len, "0x%0*llX", digits ? (int)digits : 1, (unsigned long long)pattern);
}

/* Scales a number and checks the valid range. */
static int scale_check(const struct modbus_point *p, double raw, double *out, char *why,
		       size_t whylen)
{
	double v = raw * p->scale + p->offset;

	if (!isfinite(v)) {
		snprintf(why, whylen, "value is %s", isnan(v) ? "NaN" : "infinite");
		return -ERANGE;
	}
	if ((!isnan(p->min) && v < p->min) || (!isnan(p->max) && v > p->max)) {
		snprintf(why, whylen, "value %g outside valid range [%g, %g]", v, p->min, p->max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int modbus_point_decode(const struct modbus_point *p, const uint16_t *regs, double *out,
			char *why, size_t whylen)
{
	enum modbus_type t = modbus_table_is_bits(p->table) ? MB_T_BOOL : p->type;
	uint64_t pattern = modbus_assemble(regs, t, p->order);
	char hex[24];
	int st;

	if (modbus_is_sentinel(p, pattern)) {
		pattern_text(hex, sizeof hex, pattern, t);
		snprintf(why, whylen, "not available (%s)", hex);
		return -ENODATA;
	}
	if (p->nstates) {
		st = state_match(p, pattern);
		if (st < 0) {
			pattern_text(hex, sizeof hex, pattern, t);
			snprintf(why, whylen, "no state matches %s", hex);
			return -ERANGE;
		}
		*out = st;
		return 0;
	}
	return scale_check(p, modbus_pattern_value(pattern, t), out, why, whylen);
}

double modbus_point_raw(const struct modbus_point *p, const uint16_t *regs)
{
	enum modbus_type t = modbus_table_is_bits(p->table) ? MB_T_BOOL : p->type;

	return modbus_pattern_value(modbus_assemble(regs, t, p->order), t);
}

const char *modbus_exception_name(unsigned code)
{
	static const char *const names[] = {
		[1] = "illegal function",
		[2] = "illegal data address",
		[3] = "illegal data value",
		[4] = "server device failure",
		[5] = "acknowledge",
		[6] = "server device busy",
		[7] = "negative acknowledge",
		[8] = "memory parity error",
		[10] = "gateway path unavailable",
		[11] = "gateway target device failed to respond",
	};

	return code < sizeof names / sizeof names[0] ? names[code] : NULL;
}
