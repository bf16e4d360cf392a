/* The request engine of one poll of one device: GETs packed many varbinds to a PDU
 * (split and retried on tooBig, v1 noSuchName dropped and resent), GETBULK walks of
 * table columns, a cap on requests in flight per device and over all devices.
 * Every answer lands in a struct snmp_vals; an OID that got none holds its reason. */
#include "snmp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/vec.h"

/* One OID to GET: a stretch of the fetch's OID pool (offsets: the pool may move). */
struct fetch_oid {
	size_t off;              /* first sub-identifier in f->pool */
	size_t len;              /* sub-identifiers */
};

struct fetch_walk {
	struct snmp_oid *cols;   /* column prefixes */
	struct snmp_oid *cursor; /* last OID seen per column */
	size_t *seen;            /* values taken per column: each is held to max_rows, so a
				  * column that goes on after the first one ended is bounded */
	bool *active;
	size_t n;
	size_t max_rows;         /* rows (values per column) before the walk is cut */
	int reps;                /* current max-repetitions */
	char why[METRIC_REASON_MAX]; /* why the walk stopped early (formatted reasons) */
	snmp_fetch_row_fn row_fn;
	snmp_fetch_walk_fn end_fn;
	void *tag;
	struct fetch_walk *next;
};

struct fetch_req {
	struct snmp_fetch *f;    /* NULL once orphaned by abort/free */
	size_t *items;           /* GET: indexes into f->gets */
	size_t n;
	struct fetch_walk *walk; /* walk step instead of a GET */
	size_t *colmap;          /* walk step: column of each varbind slot */
	size_t ncols;
	struct fetch_req *next;  /* queue / in-flight list */
};

struct snmp_fetch {
	struct snmp_conn *conn;
	struct snmp_vals *vals;
	int max_varbinds, max_rep, max_inflight;
	struct fetch_oid *gets;
	size_t ngets, capgets;
	oid *pool;               /* the OIDs of gets, back to back */
	size_t pool_len, pool_cap; /* sub-identifiers used / allocated */
	size_t hint_gets, hint_pool; /* sizes of the last run, for the next one's buffers */
	size_t gets_queued;      /* gets[0..gets_queued) already in requests */
	size_t walk_bytes;       /* answers of this run's walks, bytes (estimated) */
	size_t max_walk_bytes;   /* budget of walk_bytes per run (a device poll) */
	struct fetch_walk *walks;
	struct fetch_req *queue, *queue_tail;
	struct fetch_req *inflight;
	int pending;             /* requests queued or in flight */
	bool running;
	struct snmp_fetch_gate wait; /* in the line of runs waiting for a slot */
	snmp_fetch_done_fn done;
	void *done_arg;
	struct snmp_fetch_stats st;
};

/* ---- the global cap --------------------------------------------------------------- */

static int global_cap = 512;      /* requests in flight over all devices */
static int global_inflight;

/* A line of waiters for a slot, first come first served. */
struct line {
	struct snmp_fetch_gate *head, *tail;
};
static struct line fetches_waiting; /* runs with requests queued (they hold their plan) */
static struct line polls_waiting;   /* polls not begun: they hold nothing yet */

void snmp_fetch_set_global_cap(int cap)
{
	global_cap = cap > 0 ? cap : 1;
}

static void line_add(struct line *l, struct snmp_fetch_gate *g, void (*go)(void *arg),
		     void *arg)
{
	if (g->waiting)
		return;
	g->go = go;
	g->arg = arg;
	g->next = NULL;
	g->waiting = true;
	if (l->tail)
		l->tail->next = g;
	else
		l->head = g;
	l->tail = g;
}

/* True if g was waiting in l. */
static bool line_remove(struct line *l, struct snmp_fetch_gate *g)
{
	struct snmp_fetch_gate **pp = &l->head, *prev = NULL;

	if (!g->waiting)
		return false;
	while (*pp && *pp != g) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp)
		*pp = g->next;
	if (l->tail == g)
		l->tail = prev;
	g->waiting = false;
	return true;
}

static void pump(struct snmp_fetch *f);

static void pump_go(void *arg)
{
	pump(arg);
}

static void wait_add(struct snmp_fetch *f)
{
	line_add(&fetches_waiting, &f->wait, pump_go, f);
}

static void wait_remove(struct snmp_fetch *f)
{
	line_remove(&fetches_waiting, &f->wait);
}

/* A slot freed somewhere: let the first waiting device send, then begin the polls
 * waiting at the gate while slots are left. */
static void wait_kick(void)
{
	while (global_inflight < global_cap) {
		struct line *l = fetches_waiting.head ? &fetches_waiting : &polls_waiting;
		struct snmp_fetch_gate *g = l->head;
		if (!g)
			return;
		line_remove(l, g);
		g->go(g->arg);
	}
}

bool snmp_fetch_gate_enter(struct snmp_fetch_gate *g, void (*go)(void *arg), void *arg)
{
	if (global_inflight < global_cap && !fetches_waiting.head && !polls_waiting.head)
		return true;
	line_add(&polls_waiting, g, go, arg);
	return false;
}

bool snmp_fetch_gate_leave(struct snmp_fetch_gate *g)
{
	return line_remove(&polls_waiting, g);
}

/* ---- bookkeeping ------------------------------------------------------------------- */

static void stats_fail(struct snmp_fetch *f, int err, const char *reason)
{
	if (err == -ETIMEDOUT)
		f->st.timeouts++;
	else
		f->st.failed++;
	if (err == -EACCES)
		f->st.auth_error = true;
	if (err == -EBADMSG)
		f->st.malformed = true;
	if (!f->st.reason[0])
		snprintf(f->st.reason, sizeof(f->st.reason), "%s", reason);
}

static void req_free(struct fetch_req *r)
{
	free(r->items);
	free(r->colmap);
	free(r);
}

static void enqueue(struct snmp_fetch *f, struct fetch_req *r)
{
	r->f = f;
	r->next = NULL;
	if (f->queue_tail)
		f->queue_tail->next = r;
	else
		f->queue = r;
	f->queue_tail = r;
	f->pending++;
}

static void inflight_remove(struct snmp_fetch *f, struct fetch_req *r)
{
	for (struct fetch_req **pp = &f->inflight; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

/* One request ended; calls done (which may free f) when it was the last. */
static void req_ended(struct snmp_fetch *f)
{
	if (--f->pending > 0 || !f->running)
		return;
	f->running = false;
	f->done(f->done_arg);
}

static void fail_items(struct snmp_fetch *f, const size_t *items, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++)
		snmp_vals_put_err(f->vals, f->pool + f->gets[items[i]].off, f->gets[items[i]].len,
				  why);
}

static void walk_end(struct fetch_walk *w, const char *err)
{
	if (w->end_fn)
		w->end_fn(w->tag, err);
	w->end_fn = NULL;
}

/* Marks what a request would have fetched as failed. */
static void req_fail(struct snmp_fetch *f, struct fetch_req *r, const char *why)
{
	if (r->walk)
		walk_end(r->walk, why);
	else
		fail_items(f, r->items, r->n, why);
}

/* ---- building requests ------------------------------------------------------------ */

static struct fetch_req *req_new_get(const size_t *items, size_t n)
{
	struct fetch_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->items = malloc(n * sizeof(size_t));
	if (!r->items) {
		free(r);
		return NULL;
	}
	memcpy(r->items, items, n * sizeof(size_t));
	r->n = n;
	return r;
}

/* Cuts the queued GET objects into requests of max_varbinds each. */
static int queue_gets(struct snmp_fetch *f)
{
	size_t idx[500];

	while (f->gets_queued < f->ngets) {
		size_t n = f->ngets - f->gets_queued;
		if (n > (size_t)f->max_varbinds)
			n = (size_t)f->max_varbinds;
		for (size_t i = 0; i < n; i++)
			idx[i] = f->gets_queued + i;
		struct fetch_req *r = req_new_get(idx, n);
		if (!r)
			return -ENOMEM;
		enqueue(f, r);
		f->gets_queued += n;
	}
	return 0;
}

static netsnmp_pdu *pdu_for_get(struct snmp_fetch *f, const struct fetch_req *r)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);

	for (size_t i = 0; pdu && i < r->n; i++)
		snmp_add_null_var(pdu, f->pool + f->gets[r->items[i]].off, f->gets[r->items[i]].len);
	return pdu;
}

/* Next step of a walk: one varbind per active column. */
static netsnmp_pdu *pdu_for_walk(struct snmp_fetch *f, struct fetch_req *r)
{
	struct fetch_walk *w = r->walk;
	bool v1 = snmp_conn_version(f->conn) == SNMP_VERSION_1;
	netsnmp_pdu *pdu = snmp_pdu_create(v1 ? SNMP_MSG_GETNEXT : SNMP_MSG_GETBULK);

	if (!pdu)
		return NULL;
	r->ncols = 0;
	free(r->colmap);
	r->colmap = malloc(w->n * sizeof(size_t));
	if (!r->colmap) {
		snmp_free_pdu(pdu);
		return NULL;
	}
	for (size_t j = 0; j < w->n; j++) {
		if (!w->active[j])
			continue;
		r->colmap[r->ncols++] = j;
		snmp_add_null_var(pdu, w->cursor[j].v, w->cursor[j].len);
	}
	if (!v1) {
		int reps = f->max_varbinds / (int)r->ncols;
		pdu->non_repeaters = 0;
		pdu->max_repetitions = reps < 1 ? 1 : (reps > w->reps ? w->reps : reps);
	}
	return pdu;
}

/* ---- answers ---------------------------------------------------------------------- */

static void on_answer(void *arg, netsnmp_pdu *resp, int err, const char *reason);

/* Re-queues the items of r except the one at position skip (v1 noSuchName). */
static void requeue_without(struct snmp_fetch *f, struct fetch_req *r, size_t skip)
{
	size_t idx[500], n = 0;

	for (size_t i = 0; i < r->n && n < 500; i++)
		if (i != skip)
			idx[n++] = r->items[i];
	if (n == 0)
		return;
	struct fetch_req *nr = req_new_get(idx, n);
	if (nr)
		enqueue(f, nr);
	else
		fail_items(f, idx, n, "out of memory");
}

/* tooBig: split in halves; a single object that is still too big fails. */
static void split_get(struct snmp_fetch *f, struct fetch_req *r)
{
	size_t half = r->n / 2;

	if (r->n == 1) {
		fail_items(f, r->items, 1, "tooBig: the value does not fit in one reply");
		return;
	}
	struct fetch_req *a = req_new_get(r->items, half);
	struct fetch_req *b = req_new_get(r->items + half, r->n - half);
	if (!a || !b) {
		free(a);
		free(b);
		fail_items(f, r->items, r->n, "out of memory");
		return;
	}
	enqueue(f, a);
	enqueue(f, b);
}

static void got_get(struct snmp_fetch *f, struct fetch_req *r, netsnmp_pdu *resp)
{
	char why[64];

	if (resp->errstat == SNMP_ERR_TOOBIG) {
		split_get(f, r);
		return;
	}
	if (resp->errstat == SNMP_ERR_NOSUCHNAME && resp->errindex >= 1 &&
	    (size_t)resp->errindex <= r->n) {
		size_t k = (size_t)resp->errindex - 1;
		fail_items(f, &r->items[k], 1, "noSuchName");
		requeue_without(f, r, k);
		return;
	}
	if (resp->errstat != SNMP_ERR_NOERROR) {
		snprintf(why, sizeof(why), "agent error %s", snmp_errstring((int)resp->errstat));
		fail_items(f, r->items, r->n, why);
		stats_fail(f, -EPROTO, why);
		return;
	}
	for (netsnmp_variable_list *v = resp->variables; v; v = v->next_variable)
		snmp_vals_put_var(f->vals, v);
}

/* What holding one walked value costs, bytes: its OID, its value and the table's
 * per-entry overhead (an estimate; strings are cut to SNMP_TEXT_MAX when stored). */
static size_t walk_cost(const netsnmp_variable_list *v)
{
	size_t len = v->val_len < SNMP_TEXT_MAX ? v->val_len : SNMP_TEXT_MAX;
	return v->name_length * sizeof(oid) + len + 64;
}

/* Checks the walk's row budget and the run's byte budget before a value is taken;
 * false with *err set when one is spent. */
static bool walk_budget(struct snmp_fetch *f, struct fetch_walk *w, size_t j,
			const netsnmp_variable_list *v, const char **err)
{
	if (++w->seen[j] > w->max_rows) {
		snprintf(w->why, sizeof(w->why), "table truncated: more than %zu rows (max_rows)",
			 w->max_rows);
		*err = w->why;
		return false;
	}
	f->walk_bytes += walk_cost(v);
	if (f->walk_bytes > f->max_walk_bytes) {
		snprintf(w->why, sizeof(w->why),
			 "table truncated: walks of this poll over %zu bytes (max_poll_bytes)",
			 f->max_walk_bytes);
		*err = w->why;
		return false;
	}
	return true;
}

/* Takes one varbind of a walk step; returns false when the walk must stop at once. */
static bool walk_take(struct snmp_fetch *f, struct fetch_walk *w, size_t j,
		      const netsnmp_variable_list *v, const char **err)
{
	struct snmp_oid *col = &w->cols[j];

	if (!w->active[j])
		return true;
	if (v->type == SNMP_ENDOFMIBVIEW || !snmp_oid_under(v->name, v->name_length, col)) {
		w->active[j] = false;
		return true;
	}
	if (snmp_oid_compare(v->name, v->name_length, w->cursor[j].v, w->cursor[j].len) <= 0 ||
	    v->name_length > SNMP_OID_MAX) {
		*err = "walk stopped: agent returned OIDs out of order";
		return false;
	}
	if (!walk_budget(f, w, j, v, err))
		return false;
	memcpy(w->cursor[j].v, v->name, v->name_length * sizeof(oid));
	w->cursor[j].len = v->name_length;
	snmp_vals_put_var(f->vals, v);
	if (j == 0)
		w->row_fn(w->tag, v->name + col->len, v->name_length - col->len);
	return true;
}

static bool walk_any_active(const struct fetch_walk *w)
{
	for (size_t j = 0; j < w->n; j++)
		if (w->active[j])
			return true;
	return false;
}

static void got_walk(struct snmp_fetch *f, struct fetch_req *r, netsnmp_pdu *resp)
{
	struct fetch_walk *w = r->walk;
	const char *err = NULL;
	size_t i = 0;

	if (resp->errstat == SNMP_ERR_TOOBIG && w->reps > 1) {
		w->reps /= 2;
	} else if (resp->errstat == SNMP_ERR_NOSUCHNAME) { /* v1: end of the MIB */
		memset(w->active, 0, w->n * sizeof(bool));
	} else if (resp->errstat != SNMP_ERR_NOERROR) {
		walk_end(w, snmp_errstring((int)resp->errstat));
		return;
	} else {
		for (netsnmp_variable_list *v = resp->variables; v && !err; v = v->next_variable)
			if (!walk_take(f, w, r->colmap[i++ % r->ncols], v, &err))
				break;
		if (i == 0)
			err = "empty reply to a walk step";
	}
	if (err || !walk_any_active(w)) {
		walk_end(w, err);
		return;
	}
	struct fetch_req *nr = calloc(1, sizeof(*nr));
	if (!nr) {
		walk_end(w, "out of memory");
		return;
	}
	nr->walk = w;
	enqueue(f, nr);
}

/* A request to a silent device timed out before anything answered: the rest would
 * only wait as long again, so it fails now. */
static void fail_queue(struct snmp_fetch *f, const char *why)
{
	struct fetch_req *r;

	while ((r = f->queue)) {
		f->queue = r->next;
		req_fail(f, r, why);
		req_free(r);
		f->pending--;
	}
	f->queue_tail = NULL;
}

static void on_answer(void *arg, netsnmp_pdu *resp, int err, const char *reason)
{
	struct fetch_req *r = arg;
	struct snmp_fetch *f = r->f;

	global_inflight--;
	if (!f || err == -ECANCELED) {
		if (f) {
			inflight_remove(f, r);
			req_fail(f, r, reason);
			f->pending--;
		}
		req_free(r);
		if (err != -ECANCELED) /* an orphan's slot is free (not a session being freed) */
			wait_kick();
		return;
	}
	inflight_remove(f, r);
	if (err) {
		stats_fail(f, err, reason);
		req_fail(f, r, reason);
		if (f->st.answered == 0 || err == -EACCES)
			fail_queue(f, reason);
	} else {
		f->st.answered++;
		if (r->walk)
			got_walk(f, r, resp);
		else
			got_get(f, r, resp);
	}
	req_free(r);
	pump(f);
	req_ended(f); /* may free f */
	wait_kick();
}

/* ---- sending ----------------------------------------------------------------------- */

static int send_req(struct snmp_fetch *f, struct fetch_req *r)
{
	netsnmp_pdu *pdu = r->walk ? pdu_for_walk(f, r) : pdu_for_get(f, r);
	int rc;

	if (!pdu)
		return -ENOMEM;
	r->next = f->inflight;
	f->inflight = r;
	global_inflight++;
	rc = snmp_conn_send(f->conn, pdu, on_answer, r);
	if (rc < 0) {
		global_inflight--;
		inflight_remove(f, r);
	}
	return rc;
}

/* Sends queued requests while the device's and the global caps allow. */
static void pump(struct snmp_fetch *f)
{
	while (f->queue && f->running) {
		if (snmp_conn_inflight(f->conn) >= f->max_inflight)
			return;
		if (global_inflight >= global_cap) {
			wait_add(f);
			return;
		}
		struct fetch_req *r = f->queue;
		f->queue = r->next;
		if (!f->queue)
			f->queue_tail = NULL;
		if (send_req(f, r) < 0) {
			stats_fail(f, -EIO, "cannot send the request");
			req_fail(f, r, "cannot send the request");
			req_free(r);
			f->pending--;
		}
	}
}

/* ---- public ----------------------------------------------------------------------- */

struct snmp_fetch *snmp_fetch_new(struct snmp_conn *conn, struct snmp_vals *vals,
				  const struct cfg_snmp *c)
{
	struct snmp_fetch *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->conn = conn;
	f->vals = vals;
	f->max_varbinds = c->max_varbinds > 500 ? 500 : c->max_varbinds;
	f->max_rep = c->max_bulk;
	f->max_inflight = c->max_inflight;
	f->max_walk_bytes = c->max_poll_bytes > 0 ? (size_t)c->max_poll_bytes : SIZE_MAX;
	return f;
}

static void walks_free(struct snmp_fetch *f)
{
	struct fetch_walk *w, *next;

	for (w = f->walks; w; w = next) {
		next = w->next;
		free(w->cols);
		free(w->cursor);
		free(w->seen);
		free(w->active);
		free(w);
	}
	f->walks = NULL;
	f->walk_bytes = 0;
}

static void gets_free(struct snmp_fetch *f)
{
	f->ngets = f->gets_queued = 0;
	f->pool_len = 0;
}

/* Forgets everything of the last run (requests still in flight are orphaned). */
static void fetch_reset(struct snmp_fetch *f)
{
	struct fetch_req *r, *next;

	wait_remove(f);
	for (r = f->queue; r; r = next) {
		next = r->next;
		req_free(r);
	}
	for (r = f->inflight; r; r = next) {
		next = r->next;
		r->f = NULL;
	}
	f->queue = f->queue_tail = f->inflight = NULL;
	f->pending = 0;
	f->running = false;
	walks_free(f);
	gets_free(f);
	memset(&f->st, 0, sizeof(f->st));
}

void snmp_fetch_free(struct snmp_fetch *f)
{
	if (!f)
		return;
	fetch_reset(f);
	snmp_fetch_release(f);
	free(f);
}

void snmp_fetch_set_vals(struct snmp_fetch *f, struct snmp_vals *vals)
{
	f->vals = vals;
}

void snmp_fetch_release(struct snmp_fetch *f)
{
	if (f->running)
		return;
	f->hint_gets = f->ngets;
	f->hint_pool = f->pool_len;
	fetch_reset(f);
	free(f->gets);
	free(f->pool);
	f->gets = NULL;
	f->pool = NULL;
	f->capgets = f->pool_cap = 0;
}

int snmp_fetch_get(struct snmp_fetch *f, const oid *o, size_t len)
{
	if (snmp_vals_get(f->vals, o, len))
		return 0; /* already asked for */
	struct fetch_oid *g = vec_grow(f->gets, &f->capgets, f->ngets, sizeof(*g),
				       f->hint_gets > 64 ? f->hint_gets : 64);
	if (!g)
		return -ENOMEM;
	f->gets = g;
	if (len) { /* room up to the OID's last sub-identifier, index pool_len + len - 1 */
		oid *p = vec_grow(f->pool, &f->pool_cap, f->pool_len + len - 1, sizeof(oid),
				  f->hint_pool > 1024 ? f->hint_pool : 1024);
		if (!p)
			return -ENOMEM;
		f->pool = p;
	}
	memcpy(f->pool + f->pool_len, o, len * sizeof(oid));
	f->gets[f->ngets].off = f->pool_len;
	f->gets[f->ngets].len = len;
	f->pool_len += len;
	f->ngets++;
	return snmp_vals_put_err(f->vals, o, len, "no answer");
}

int snmp_fetch_walk(struct snmp_fetch *f, const struct snmp_oid *cols, size_t n,
		    size_t max_rows, snmp_fetch_row_fn row_fn, snmp_fetch_walk_fn end_fn, void *tag)
{
	struct fetch_walk *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->next = f->walks; /* freed with the run's walks from here on */
	f->walks = w;
	w->cols = malloc(n * sizeof(*cols));
	w->cursor = malloc(n * sizeof(*cols));
	w->seen = calloc(n, sizeof(size_t));
	w->active = malloc(n * sizeof(bool));
	if (!w->cols || !w->cursor || !w->seen || !w->active)
		return -ENOMEM;
	memcpy(w->cols, cols, n * sizeof(*cols));
	memcpy(w->cursor, cols, n * sizeof(*cols));
	for (size_t j = 0; j < n; j++)
		w->active[j] = true;
	w->n = n;
	w->max_rows = max_rows;
	w->reps = f->max_rep;
	w->row_fn = row_fn;
	w->end_fn = end_fn;
	w->tag = tag;
	struct fetch_req *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->walk = w;
	enqueue(f, r);
	return 0;
}

void snmp_fetch_run(struct snmp_fetch *f, snmp_fetch_done_fn done, void *arg)
{
	f->done = done;
	f->done_arg = arg;
	if (queue_gets(f) < 0)
		stats_fail(f, -ENOMEM, "out of memory");
	f->running = true;
	if (f->pending == 0) {
		f->running = false;
		done(arg);
		return;
	}
	pump(f);
}

void snmp_fetch_abort(struct snmp_fetch *f, const char *reason)
{
	for (struct fetch_req *r = f->queue; r; r = r->next)
		req_fail(f, r, reason);
	for (struct fetch_req *r = f->inflight; r; r = r->next)
		req_fail(f, r, reason);
	stats_fail(f, -ETIMEDOUT, reason);
	struct snmp_fetch_stats st = f->st;
	fetch_reset(f);
	f->st = st;
}

void snmp_fetch_clear(struct snmp_fetch *f)
{
	fetch_reset(f);
}

const struct snmp_fetch_stats *snmp_fetch_stats(const struct snmp_fetch *f)
{
	return &f->st;
}
