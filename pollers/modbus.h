/* Private header of the Modbus part: register decoding, request planning, profiles,
 * the per-gateway link and its two transports (our own Modbus TCP framing on the loop,
 * libmodbus RTU on the worker pool), and the probe printer.
 *
 * Addresses here are always 0-based PDU addresses (what goes on the wire); the
 * 40001-style reference numbers of vendor manuals are converted when a profile is read
 * (see docs/PROFILES.md, "Modbus points").
 */
#ifndef DCMON_POLLERS_MODBUS_H
#define DCMON_POLLERS_MODBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/modbus.h"
#include "dcmon/poller.h"

struct workq;

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

/* ---- request planning (modbus_plan.c) --------------------------------------------- */

/* One read request: a run of addresses of one table, covering points [first, first+n)
 * of the planned (sorted) point array. */
struct modbus_req {
	enum modbus_table table;
	uint16_t addr;   /* 0-based start */
	uint16_t count;  /* registers or bits */
	size_t first;    /* index of the first point served */
	size_t npoints;
};

struct modbus_plan {
	struct modbus_req *reqs;
	size_t nreqs;
};

/* Sorts points by (table, address) in place and groups them into as few requests as
 * possible: points of one table merge while the hole between them is at most max_gap
 * registers (bits) and the request stays within 125 registers / 2000 bits.  Points
 * whose index is flagged in nomerge (may be NULL; indexes after sorting) always get a
 * request of their own.  Returns 0 or -ENOMEM. */
int modbus_plan_build(struct modbus_point *pts, size_t n, unsigned max_gap,
		      const bool *nomerge, struct modbus_plan *out);
void modbus_plan_free(struct modbus_plan *plan);
/* Orders points by table, then address (qsort comparator). */
int modbus_point_cmp(const void *a, const void *b);

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
};

/* Reads and validates a profile file.  Returns NULL after appending positioned errors
 * to d.  Free with modbus_profile_free(). */
struct modbus_profile *modbus_profile_load(const char *path, struct cfg_diags *d);
/* Same from a string; `name` is used in positions (tests). */
struct modbus_profile *modbus_profile_load_string(const char *name, const char *text,
						  struct cfg_diags *d);
void modbus_profile_free(struct modbus_profile *p);

/* ---- profile cache (modbus_pcache.c) ---------------------------------------------- */

/* Loaded profiles shared by every device using them, reloaded when the file changes.
 * Loop thread only.  Returns a reference, or NULL with the errors (file:line:col) in d. */
const struct modbus_profile *modbus_pcache_get(const char *path, struct cfg_diags *d);
/* Drops a reference from modbus_pcache_get(); NULL is a no-op. */
void modbus_pcache_put(const struct modbus_profile *p);
/* Path of a device's profile: `profile` itself when it holds a '/', else
 * <profiles_dir>/<profile>.yaml, profiles_dir defaulting to <config dir>/profiles. */
int modbus_profile_path(const struct cfg *cfg, const char *profile, char *buf, size_t len);

/* ---- link: one connection to a gateway or serial line (modbus_link.c) ------------- */

/* Result of one transaction. */
struct modbus_result {
	int err;              /* 0, or a negative errno (-ETIMEDOUT, -ECONNREFUSED, -EPROTO,
	                       * -EBADMSG, -ECANCELED) or -MODBUS_EXC_BASE - code */
	unsigned exception;   /* Modbus exception code when err says so, else 0 */
	char reason[METRIC_REASON_MAX]; /* "illegal data address", "timeout", ... */
	uint16_t count;       /* registers or bits returned */
	uint16_t regs[MODBUS_BITS_MAX]; /* registers, or one bit per entry for FC1/FC2 */
};

#define MODBUS_EXC_BASE 1000 /* err = -(MODBUS_EXC_BASE + exception code) */

struct modbus_xact;
typedef void (*modbus_xact_cb)(void *arg, const struct modbus_result *res);

/* What one request asks. */
struct modbus_xreq {
	uint8_t unit;        /* unit id (slave address) */
	enum modbus_table table;
	uint16_t addr;
	uint16_t count;
	int64_t timeout_ms;  /* reply wait once sent */
	int64_t deadline_ms; /* monotonic: fail with -ETIMEDOUT if not done by then */
};

/* Endpoint of a link; links with equal endpoints are shared. */
struct modbus_endpoint {
	const char *host;    /* TCP: host; NULL for RTU */
	int port;            /* TCP port */
	const char *device;  /* RTU: serial device path; NULL for TCP */
	int baud;
	char parity;         /* 'N', 'E', 'O' */
	int data_bits;
	int stop_bits;
};

struct modbus_link;

/* Gets the shared link for ep on this loop (creating it), taking a reference.  wq is
 * used by RTU links only.  NULL with errno on failure. */
struct modbus_link *modbus_link_get(struct loop *loop, struct workq *wq,
				    const struct modbus_endpoint *ep);
/* Drops a reference; the last one closes the connection.  NULL is a no-op. */
void modbus_link_put(struct modbus_link *link);
/* Queues a request; cb runs on the loop thread exactly once unless cancelled (it may
 * run before this returns when the link is down).  Returns the handle, or NULL with
 * errno (ENOMEM). */
struct modbus_xact *modbus_link_submit(struct modbus_link *link, const struct modbus_xreq *rq,
				       modbus_xact_cb cb, void *arg);
/* Cancels a queued or in-flight transaction; its callback will not run. */
void modbus_link_cancel(struct modbus_link *link, struct modbus_xact *x);
/* Link statistics, for tests and benchmarks. */
struct modbus_link_stats {
	uint64_t requests;   /* requests written to the wire */
	uint64_t replies;    /* well-formed replies matched to a request */
	uint64_t timeouts;
	uint64_t connects;   /* successful connections */
	uint64_t stale;      /* late replies of timed-out requests, dropped */
};
void modbus_link_stats(const struct modbus_link *link, struct modbus_link_stats *out);
/* Sets res->err and a human reason ("timeout", "exception 2 (illegal data address)"). */
void modbus_result_set_error(struct modbus_result *res, int err);

/* ---- link internals shared with the transports ------------------------------------ */

/* One queued or in-flight request. */
struct modbus_xact {
	struct modbus_xact *next;   /* link queue */
	struct modbus_link *link;
	struct modbus_xreq rq;
	modbus_xact_cb cb;
	void *arg;
	bool cancelled;             /* in flight but nobody waits: no callback */
	uint16_t tid;               /* TCP transaction id */
	struct modbus_result res;
};

/* A transport moves one transaction at a time for its link. */
struct modbus_transport {
	const char *name;           /* "tcp", "rtu" */
	/* Creates the transport state of a link; NULL with errno. */
	void *(*create)(struct modbus_link *link);
	/* Sends x and later calls modbus_link_xact_done(link, x), possibly before
	 * returning.  Only called while no other transaction is in flight. */
	void (*start)(void *ts, struct modbus_xact *x);
	/* Frees the state; `inflight` (may be NULL) is the transaction being sent, whose
	 * memory the transport now owns and frees without calling back. */
	void (*destroy)(void *ts, struct modbus_xact *inflight);
};
extern const struct modbus_transport modbus_tcp_transport;
extern const struct modbus_transport modbus_rtu_transport;

/* Called by the transport when x is finished (x->res filled).  Runs the callback unless
 * cancelled, frees x and starts the next queued transaction. */
void modbus_link_xact_done(struct modbus_link *link, struct modbus_xact *x);
/* Accessors for transports. */
struct loop *modbus_link_loop(const struct modbus_link *link);
struct workq *modbus_link_workq(const struct modbus_link *link);
const struct modbus_endpoint *modbus_link_endpoint(const struct modbus_link *link);
const char *modbus_link_name(const struct modbus_link *link); /* "10.0.0.5:502" */
struct modbus_link_stats *modbus_link_stats_mut(struct modbus_link *link);

/* ---- Modbus TCP framing (modbus_mbap.c) ------------------------------------------- */

#define MBAP_HDR_LEN 7                  /* tid, pid, len, unit */
#define MBAP_ADU_MAX 260                /* header + largest PDU */

/* Writes a read request ADU for rq with transaction id tid into buf (12 bytes).
 * Returns the length. */
size_t mbap_encode_read(uint8_t *buf, uint16_t tid, const struct modbus_xreq *rq);
/* Length of the complete frame at the head of buf (n bytes), 0 if more bytes are
 * needed, or -EBADMSG if the header cannot start a valid frame. */
int mbap_frame_len(const uint8_t *buf, size_t n);
/* Decodes a complete reply frame for rq into res (err, exception or data).  The
 * caller has matched the transaction id. */
void mbap_decode_reply(const uint8_t *frame, size_t len, const struct modbus_xreq *rq,
		       struct modbus_result *res);
/* Transaction id of a complete frame. */
uint16_t mbap_tid(const uint8_t *frame);

/* ---- probe (modbus_probe.c) ------------------------------------------------------- */

/* Prints every plausible decoding of n registers read from base_addr: for each start
 * offset, each type and each order, with common scales.  Returns 0 or -EINVAL. */
int modbus_probe_print(FILE *out, const uint16_t *regs, size_t n, uint16_t base_addr);
/* Same for any table; for coils/discrete inputs regs holds one bit per entry. */
int modbus_probe_print_table(FILE *out, const uint16_t *regs, size_t n, uint16_t base_addr,
			     enum modbus_table t);

/* What `dcmon probe modbus HOST[:PORT] --unit N --addr A --count C --function F` reads. */
struct modbus_probe_req {
	const char *host;
	int port;              /* default 502 */
	uint8_t unit;
	enum modbus_table table;
	uint16_t addr;         /* 0-based */
	uint16_t count;        /* 1..125 registers or 1..2000 bits */
	int64_t timeout_ms;
};
/* Reads once over Modbus TCP on a private loop (blocks the caller: CLI only).
 * Returns 0 with res filled, or a negative error with res->reason. */
int modbus_probe_read(const struct modbus_probe_req *pr, struct modbus_result *res);
/* Parses the CLI arguments after "probe modbus" into pr; err gets usage problems.
 * Returns 0 or -EINVAL. */
int modbus_probe_args(int argc, char **argv, struct modbus_probe_req *pr, char *err,
		      size_t errlen);

#endif
