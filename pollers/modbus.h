/* Private header of the Modbus part: request planning, the profile cache, the
 * per-gateway link and its two transports (our own Modbus TCP framing on the loop,
 * libmodbus RTU on the worker pool), and the probe printer.  Register decoding and
 * profiles are public (dcmon/modbus_profile.h).
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
#include "dcmon/modbus_profile.h"
#include "dcmon/poller.h"

struct workq;

/* Register decoding (modbus_decode.c) and profiles (modbus_profile.c) are public,
 * for the simulator: dcmon/modbus_profile.h. */

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
