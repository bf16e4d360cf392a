/* Modbus device knowledge as data, public for the programs that read the shipped
 * profiles exactly as the poller does (the simulator, sim/modbus_srv.c): register
 * decoding (pollers/modbus_decode.c) and profiles (pollers/modbus_profile.c).  The
 * poller's own machinery (planning, links, transports, probe) stays private in
 * pollers/modbus.h.  No state; any thread.
 *
 * Addresses here are always 0-based PDU addresses (what goes on the wire); the
 * 40001-style reference numbers of vendor manuals are converted when a profile is read
 * (see docs/PROFILES.md, "Modbus points").
 */
#ifndef DCMON_MODBUS_PROFILE_H
#define DCMON_MODBUS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"

#define MODBUS_REGS_MAX 125  /* registers per read request (FC3/FC4), protocol limit */
#define MODBUS_BITS_MAX 2000 /* bits per read request (FC1/FC2), protocol limit */
#define MODBUS_ADDR_MAX 65535 /* highest 0-based PDU address */

/* ---- register decoding (modbus_decode.c) ------------------------------------------ */

/* The four tables; the value is the read function code. */
enum modbus_table {
	MB_COIL = 1,     /* FC1, 1 bit, 0xxxx references */
	MB_DISCRETE = 2, /* FC2, 1 bit, 1xxxx references */
	MB_HOLDING = 3,  /* FC3, 16-bit, 4xxxx references */
	MB_INPUT = 4,    /* FC4, 16-bit, 3xxxx references */
};
const char *modbus_table_name(enum modbus_table t);
/* True for coils and discrete inputs. */
bool modbus_table_is_bits(enum modbus_table t);

enum modbus_type {
	MB_T_BOOL, MB_T_INT16, MB_T_UINT16, MB_T_INT32, MB_T_UINT32, MB_T_FLOAT32,
	MB_T_INT64, MB_T_UINT64, MB_T_FLOAT64,
	MB_T_COUNT
};
const char *modbus_type_name(enum modbus_type t);
/* Registers the type occupies (bool: 1). */
unsigned modbus_type_words(enum modbus_type t);
/* NULL-terminated names in enum order, for key tables and suggestions. */
extern const char *const modbus_type_names[];

/* Byte order of a multi-register value, bytes named from most (A) to least significant.
 * ABCD: high word first, high byte first (Modbus "big endian").  CDAB: low word first
 * ("word swap").  BADC: high word first, bytes swapped in each word.  DCBA: low word
 * first and bytes swapped (fully little endian).  For 64-bit values the same rule holds
 * per word (CDAB = word 3 first ... word 0 last); for 16-bit values ABCD = CDAB and
 * BADC = DCBA (a byte-swapped register). */
enum modbus_order { MB_ABCD, MB_CDAB, MB_BADC, MB_DCBA, MB_ORDER_COUNT };
const char *modbus_order_name(enum modbus_order o);
extern const char *const modbus_order_names[];

/* Assembles the type's words from regs into one bit pattern, most significant byte
 * first (e.g. int32 -> low 32 bits).  regs must hold modbus_type_words(t) entries. */
uint64_t modbus_assemble(const uint16_t *regs, enum modbus_type t, enum modbus_order o);
/* Converts an assembled pattern to a number (sign, IEEE-754); NaN/Inf pass through. */
double modbus_pattern_value(uint64_t pattern, enum modbus_type t);
/* Width of the type's bit pattern in bits (1 for bool, 16, 32 or 64). */
unsigned modbus_type_bits(enum modbus_type t);

/* A raw bit-pattern range meaning "not available" (0xFFF8..0xFFFF), inclusive. */
struct modbus_sentinel {
	uint64_t lo, hi; /* raw patterns of the type's width, before scaling */
};

/* One field of a register turned into its own STATE metric (an alarm bit, a 4-bit
 * alarm nibble). */
struct modbus_bitfield {
	char *metric;        /* metric name */
	unsigned bit;        /* lowest bit of the field, 0 = least significant */
	unsigned width;      /* bits, 1..16; 1 = a boolean */
	struct metric_enum *enums; /* names of the field's values; NULL = off/on for width 1 */
	size_t nenums;
	struct cfg_pos pos;
};

/* One masked-match state: raw & mask == value selects it.  First match wins. */
struct modbus_state {
	char *name;
	uint64_t mask, value; /* mask 0 matches everything (a default) */
};

/* A second metric computed from a point's raw number (fuel volume from fuel level x
 * tank size): value = raw * scale + offset, reported alongside the point's own. */
struct modbus_derived {
	char *metric;
	char *unit;            /* "" if none */
	double scale, offset;
	struct cfg_pos pos;
};

/* One point of a profile: a value read from one table address. */
struct modbus_point {
	char *metric;          /* metric name; NULL when only bits are used */
	char *unit;            /* "" if none */
	enum metric_kind kind;
	char *inst_label;      /* NULL when the point has no instance */
	char *inst;
	enum modbus_table table;
	uint16_t addr;         /* 0-based PDU address */
	enum modbus_type type;
	enum modbus_order order;
	double scale;          /* value = raw * scale + offset; default 1 */
	double offset;         /* default 0 */
	double min, max;       /* valid range after scaling; NAN = unbounded */
	struct modbus_sentinel *sentinels;
	size_t nsentinels;
	struct metric_enum *enums; /* STATE names of raw integer values, may be NULL */
	size_t nenums;
	struct modbus_state *states; /* masked states (value = index), may be NULL */
	size_t nstates;
	struct modbus_bitfield *bits;
	size_t nbits;
	struct modbus_derived *derived;
	size_t nderived;
	struct cfg_pos pos;
};

/* Registers (or bits) the point occupies. */
unsigned modbus_point_words(const struct modbus_point *p);

/* Decodes a point's value from its words (registers) or, for coil/discrete tables,
 * from regs[0] holding the bit (0/1).  Returns 0 and *out, -ENODATA for a "not
 * available" sentinel, -ERANGE for NaN/Inf, a value outside [min,max] or no matching
 * state; the reason goes to why. */
int modbus_point_decode(const struct modbus_point *p, const uint16_t *regs, double *out,
			char *why, size_t whylen);
/* Raw number of a point (sign and IEEE-754 applied, no scale), for derived metrics. */
double modbus_point_raw(const struct modbus_point *p, const uint16_t *regs);
/* Value of bit field f in the point's raw pattern (already checked for sentinels). */
unsigned modbus_field_value(const struct modbus_bitfield *f, uint64_t pattern);
/* True if the raw pattern is one of the point's sentinels. */
bool modbus_is_sentinel(const struct modbus_point *p, uint64_t pattern);

/* Name of a Modbus exception code (2 -> "illegal data address"), or NULL. */
const char *modbus_exception_name(unsigned code);

/* ---- profiles (modbus_profile.c) -------------------------------------------------- */

struct modbus_profile {
	char *name;
	char *kind;            /* device kind name, may be NULL */
	char *description;
	char *path;            /* file it was read from */
	struct modbus_point *points; /* sorted by (table, address) */
	size_t npoints;
	struct cfgnode *root;  /* whole document, owned; `rules` is kept for the rule engine */
	const struct cfgnode *rules; /* the `rules:` sequence inside root, or NULL */
	const struct cfgnode *headline; /* `headline:` metric names inside root, or NULL */
};

/* Place of metric name in the profile's `headline:` list (1 first), 0 if absent. */
int modbus_profile_headline(const struct modbus_profile *p, const char *name);

/* Reads and validates a profile file.  Returns NULL after appending positioned errors
 * to d.  Free with modbus_profile_free(). */
struct modbus_profile *modbus_profile_load(const char *path, struct cfg_diags *d);
/* Same from a string; `name` is used in positions (tests). */
struct modbus_profile *modbus_profile_load_string(const char *name, const char *text,
						  struct cfg_diags *d);
void modbus_profile_free(struct modbus_profile *p);

#endif
