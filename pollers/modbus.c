/* The Modbus poller: reads a device's profile points through its link and reports them.
 *
 * One instance per device (one unit id behind a gateway or serial line).  A poll walks
 * the instance's request plan one request at a time through the shared link, so the
 * requests of devices behind one gateway interleave fairly.  After a timeout or a
 * connection failure the rest of the poll is not sent: a dead unit id costs its own
 * timeout once per poll and nothing more.  A multi-point request answered with
 * "illegal data address" (a hole in the device's map) is split into single-point
 * requests, at once and for every later poll.
 */
#include "modbus.h"
#include "pollers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"

struct modbus_inst {
	const struct poller_env *env;
	char *dev_id;
	const struct modbus_profile *prof; /* cache reference; points are read-only */
	struct modbus_point *pts;          /* the profile's points, sorted */
	size_t npts;
	struct metric **pm;                /* value metric per point, NULL if none */
	struct metric ***bm;               /* bit-field metrics per point, NULL if none */
	struct metric ***dm;               /* derived metrics per point, NULL if none */
	bool *nomerge;                     /* points read alone after "illegal data address" */
	struct modbus_plan plan;
	struct modbus_link *link;
	uint8_t unit;
	int64_t timeout_ms;                /* reply wait per request */
	unsigned max_gap;                  /* registers */

	/* the poll in progress */
	struct poll_job *job;              /* NULL when idle */
	size_t next;                       /* index in plan.reqs of the request in flight */
	struct modbus_xact *x;
	struct loop_timer *deadline;
	bool answered;                     /* the device answered at least once this poll */
	size_t failed;                     /* points that failed this poll */
	char reason[METRIC_REASON_MAX];    /* first failure */
	struct log_complaint complaint;
};

static const struct metric_enum bool_enums[] = { { 0, "off" }, { 1, "on" } };

static bool modbus_wants(const struct cfg_device *dev)
{
	return modbus_device_cfg(dev) != NULL;
}

/* ---- reporting ------------------------------------------------------------------- */

static void note_failure(struct modbus_inst *in, const char *why)
{
	if (in->failed++ == 0)
		snprintf(in->reason, sizeof in->reason, "%s", why);
}

/* Reports one failure reason for the metrics of point i (bit fields too unless they
 * were read fine: a value outside its range leaves the alarm bits valid). */
static void point_error_ex(struct modbus_inst *in, size_t i, const char *why, bool counts,
			   bool bits)
{
	int64_t ts = in->job->ts_ms;

	if (in->pm[i])
		metric_put_error(in->env->reg, in->pm[i], ts, why);
	for (size_t j = 0; bits && j < in->pts[i].nbits; j++)
		metric_put_error(in->env->reg, in->bm[i][j], ts, why);
	for (size_t j = 0; j < in->pts[i].nderived; j++)
		metric_put_error(in->env->reg, in->dm[i][j], ts, why);
	if (counts)
		note_failure(in, why);
}

static void point_error(struct modbus_inst *in, size_t i, const char *why, bool counts)
{
	point_error_ex(in, i, why, counts, true);
}

/* Decodes and reports point i from its words. */
static void point_report(struct modbus_inst *in, size_t i, const uint16_t *words)
{
	const struct modbus_point *p = &in->pts[i];
	uint64_t pattern = modbus_assemble(words, p->type, p->order);
	char why[METRIC_REASON_MAX];
	double v;
	int rc;

	if (p->nbits && !modbus_table_is_bits(p->table) && !modbus_is_sentinel(p, pattern)) {
		for (size_t j = 0; j < p->nbits; j++)
			metric_put(in->env->reg, in->bm[i][j], in->job->ts_ms,
				   modbus_field_value(&p->bits[j], pattern));
	}
	rc = modbus_point_decode(p, words, &v, why, sizeof why);
	if (rc == 0 && in->pm[i])
		metric_put(in->env->reg, in->pm[i], in->job->ts_ms, v);
	for (size_t j = 0; rc == 0 && j < p->nderived; j++)
		metric_put(in->env->reg, in->dm[i][j], in->job->ts_ms,
			   modbus_point_raw(p, words) * p->derived[j].scale + p->derived[j].offset);
	if (rc == 0)
		return;
	if (rc == -ENODATA)
		point_error(in, i, why, false); /* "not available" is the device's answer */
	else if (rc < 0)
		point_error_ex(in, i, why, true, false);
}

static void req_report(struct modbus_inst *in, const struct modbus_req *r,
		       const struct modbus_result *res)
{
	for (size_t i = r->first; i < r->first + r->npoints; i++) {
		size_t off = in->pts[i].addr - r->addr;

		if (off + modbus_point_words(&in->pts[i]) > res->count)
			point_error(in, i, "malformed reply", true);
		else
			point_report(in, i, res->regs + off);
	}
}

static void req_error(struct modbus_inst *in, const struct modbus_req *r, const char *why)
{
	for (size_t i = r->first; i < r->first + r->npoints; i++)
		point_error(in, i, why, true);
}

/* ---- the poll -------------------------------------------------------------------- */

static void poll_finish(struct modbus_inst *in)
{
	struct poll_job *job = in->job;
	enum poll_outcome o = POLL_OK;

	loop_timer_cancel(in->env->loop, in->deadline);
	in->deadline = NULL;
	in->job = NULL;
	if (in->failed)
		o = in->answered ? POLL_PARTIAL : POLL_UNREACHABLE;
	if (in->failed)
		log_complain(&in->complaint, loop_now_ms(in->env->loop), "modbus", in->dev_id,
			     "%zu point(s) failed: %s", in->failed, in->reason);
	else
		log_complain_release(&in->complaint, "modbus", in->dev_id, "all points read");
	poll_job_done(job, o, in->failed ? in->reason : NULL);
}

/* Fails every request from `from` on without sending it. */
static void fail_rest(struct modbus_inst *in, size_t from, const char *why)
{
	for (size_t k = from; k < in->plan.nreqs; k++)
		req_error(in, &in->plan.reqs[k], why);
}

static void send_next(struct modbus_inst *in);

/* Splits request r into single-point requests and resumes with the first of them. */
static int split_request(struct modbus_inst *in, const struct modbus_req *r)
{
	size_t first = r->first;
	struct modbus_plan plan;

	for (size_t i = r->first; i < r->first + r->npoints; i++)
		in->nomerge[i] = true;
	if (modbus_plan_build(in->pts, in->npts, in->max_gap, in->nomerge, &plan) < 0)
		return -ENOMEM;
	modbus_plan_free(&in->plan);
	in->plan = plan;
	for (size_t k = 0; k < plan.nreqs; k++)
		if (plan.reqs[k].first == first)
			in->next = k;
	log_info("modbus", in->dev_id, "%s %u..%u has holes (illegal data address): reading "
		 "its %zu points one by one", modbus_table_name(r->table), r->addr,
		 r->addr + r->count - 1, r->npoints);
	return 0;
}

/* True if the result says the unit is not there (no point in sending the rest). */
static bool unit_dead(const struct modbus_result *res)
{
	if (res->exception)
		return res->exception == 10 || res->exception == 11; /* gateway: no path/reply */
	return res->err < 0 && res->err != -EBADMSG && res->err != -EPROTO;
}

static void on_reply(void *arg, const struct modbus_result *res)
{
	struct modbus_inst *in = arg;
	struct modbus_req r = in->plan.reqs[in->next];

	in->x = NULL;
	if (!unit_dead(res))
		in->answered = true;
	if (res->exception == 2 && r.npoints > 1 && split_request(in, &r) == 0) {
		send_next(in);
		return;
	}
	if (res->err == 0)
		req_report(in, &r, res);
	else
		req_error(in, &r, res->reason);
	in->next++;
	if (unit_dead(res)) {
		fail_rest(in, in->next, res->reason);
		in->next = in->plan.nreqs;
	}
	send_next(in);
}

static void send_next(struct modbus_inst *in)
{
	const struct modbus_req *r;
	struct modbus_xreq rq;

	if (in->next >= in->plan.nreqs) {
		poll_finish(in);
		return;
	}
	r = &in->plan.reqs[in->next];
	rq = (struct modbus_xreq){ .unit = in->unit, .table = r->table, .addr = r->addr,
				   .count = r->count, .timeout_ms = in->timeout_ms,
				   .deadline_ms = in->job->deadline_ms };
	in->x = modbus_link_submit(in->link, &rq, on_reply, in);
	if (!in->x && in->job && in->next < in->plan.nreqs) {
		fail_rest(in, in->next, "out of memory");
		in->next = in->plan.nreqs;
		poll_finish(in);
	}
}

static void on_deadline(struct loop *loop, void *arg)
{
	struct modbus_inst *in = arg;

	(void)loop;
	in->deadline = NULL;
	if (in->x)
		modbus_link_cancel(in->link, in->x);
	in->x = NULL;
	fail_rest(in, in->next, "timeout (poll deadline)");
	in->next = in->plan.nreqs;
	poll_finish(in);
}

static void modbus_start(void *inst, struct poll_job *job)
{
	struct modbus_inst *in = inst;

	in->job = job;
	in->next = 0;
	in->answered = false;
	in->failed = 0;
	in->reason[0] = '\0';
	in->deadline = loop_timer_at(in->env->loop, job->deadline_ms, on_deadline, in);
	send_next(in);
}

static void modbus_cancel(void *inst)
{
	struct modbus_inst *in = inst;

	if (!in->job)
		return;
	if (in->x)
		modbus_link_cancel(in->link, in->x);
	in->x = NULL;
	loop_timer_cancel(in->env->loop, in->deadline);
	in->deadline = NULL;
	in->job = NULL;
}

/* ---- create / free --------------------------------------------------------------- */

static void modbus_free(void *inst)
{
	struct modbus_inst *in = inst;

	if (!in)
		return;
	modbus_cancel(in);
	modbus_link_put(in->link);
	modbus_plan_free(&in->plan);
	for (size_t i = 0; in->bm && i < in->npts; i++)
		free(in->bm[i]);
	for (size_t i = 0; in->dm && i < in->npts; i++)
		free(in->dm[i]);
	free(in->bm);
	free(in->dm);
	free(in->pm);
	free(in->nomerge);
	modbus_pcache_put(in->prof);
	free(in->dev_id);
	free(in);
}

/* Registers one metric; NULL with err filled. */
static struct metric *metric_make(struct modbus_inst *in, const struct cfg_device *dev,
				  const struct modbus_point *p, const char *name,
				  enum metric_kind kind, const struct metric_enum *enums,
				  size_t nenums, char *err, size_t errlen)
{
	struct metric_desc desc = {
		.name = name, .unit = kind == METRIC_STATE ? "" : p->unit, .kind = kind,
		.inst_label = p->inst_label, .inst = p->inst, .interval_ms = dev->interval_ms,
		.enums = enums, .nenums = nenums,
		.headline = modbus_profile_headline(in->prof, name),
	};
	struct metric *m = metric_reg_get(in->env->reg, dev->id, &desc);

	if (!m)
		snprintf(err, errlen, "metric %s (profile %s line %d): %s", name,
			 in->prof->name, p->pos.line, strerror(errno));
	return m;
}

/* The value metric of point p; masked states become the enum names; a coil, discrete
 * input or bool without names reads off/on like a one-bit field (so a rule can say
 * `values: ["on"]`). */
static struct metric *point_metric(struct modbus_inst *in, const struct cfg_device *dev,
				   const struct modbus_point *p, char *err, size_t errlen)
{
	struct metric_enum *names = NULL;
	struct metric *m;

	if (p->type == MB_T_BOOL && !p->nenums && !p->nstates)
		return metric_make(in, dev, p, p->metric, p->kind, bool_enums, 2, err, errlen);
	if (p->nstates) {
		names = calloc(p->nstates, sizeof *names);
		if (!names) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		for (size_t k = 0; k < p->nstates; k++)
			names[k] = (struct metric_enum){ (int)k, p->states[k].name };
	}
	m = metric_make(in, dev, p, p->metric, p->kind, names ? names : p->enums,
			names ? p->nstates : p->nenums, err, errlen);
	free(names);
	return m;
}

/* The derived gauges of point i. */
static int derived_make(struct modbus_inst *in, const struct cfg_device *dev, size_t i,
			char *err, size_t errlen)
{
	const struct modbus_point *p = &in->pts[i];

	if (!p->nderived)
		return 0;
	in->dm[i] = calloc(p->nderived, sizeof **in->dm);
	if (!in->dm[i])
		return -ENOMEM;
	for (size_t j = 0; j < p->nderived; j++) {
		struct modbus_point shape = *p;

		shape.unit = p->derived[j].unit;
		in->dm[i][j] = metric_make(in, dev, &shape, p->derived[j].metric, METRIC_GAUGE,
					   NULL, 0, err, errlen);
		if (!in->dm[i][j])
			return -EINVAL;
	}
	return 0;
}

static int metrics_make(struct modbus_inst *in, const struct cfg_device *dev, char *err,
			size_t errlen)
{
	in->pm = calloc(in->npts, sizeof *in->pm);
	in->bm = calloc(in->npts, sizeof *in->bm);
	in->dm = calloc(in->npts, sizeof *in->dm);
	in->nomerge = calloc(in->npts, sizeof *in->nomerge);
	if (!in->pm || !in->bm || !in->dm || !in->nomerge)
		return -ENOMEM;
	for (size_t i = 0; i < in->npts; i++) {
		const struct modbus_point *p = &in->pts[i];

		if (p->metric && !(in->pm[i] = point_metric(in, dev, p, err, errlen)))
			return -EINVAL;
		in->bm[i] = p->nbits ? calloc(p->nbits, sizeof **in->bm) : NULL;
		if (p->nbits && !in->bm[i])
			return -ENOMEM;
		for (size_t j = 0; j < p->nbits; j++) {
			const struct modbus_bitfield *f = &p->bits[j];
			bool dflt = !f->enums && f->width == 1;

			in->bm[i][j] = metric_make(in, dev, p, f->metric, METRIC_STATE,
						   dflt ? bool_enums : f->enums,
						   dflt ? 2 : f->nenums, err, errlen);
			if (!in->bm[i][j])
				return -EINVAL;
		}
		if (derived_make(in, dev, i, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Loads the device's profile through the cache; errors into err. */
static int profile_attach(struct modbus_inst *in, const struct cfg_device *dev, char *err,
			  size_t errlen)
{
	char path[4096];
	struct cfg_diags d;

	if (!dev->profile) {
		snprintf(err, errlen, "modbus: the device needs a profile: naming its register map");
		return -EINVAL;
	}
	if (modbus_profile_path(in->env->cfg, dev->profile, path, sizeof path) < 0) {
		snprintf(err, errlen, "profile path too long");
		return -EINVAL;
	}
	cfg_diags_init(&d);
	in->prof = modbus_pcache_get(path, &d);
	if (!in->prof && d.n) {
		const struct cfg_diag *g = &d.v[0];

		snprintf(err, errlen, "%s:%d:%d: %s", g->pos.file ? g->pos.file : path,
			 g->pos.line, g->pos.col, g->msg);
	}
	cfg_diags_free(&d);
	if (!in->prof)
		return -EINVAL;
	in->pts = in->prof->points;
	in->npts = in->prof->npoints;
	return 0;
}

static int link_attach(struct modbus_inst *in, const struct cfg_device *dev, char *err,
		       size_t errlen)
{
	const struct cfg_modbus *m = modbus_device_cfg(dev);
	struct modbus_endpoint ep = {
		.host = m->device ? NULL : m->host ? m->host : dev->host, .port = m->port,
		.device = m->device, .baud = m->baud, .parity = m->parity,
		.data_bits = m->data_bits, .stop_bits = m->stop_bits,
	};

	if (!ep.host && !ep.device) {
		snprintf(err, errlen, "modbus: needs host: (or the device's host) or device:");
		return -EINVAL;
	}
	in->link = modbus_link_get(in->env->loop, in->env->wq, &ep);
	if (!in->link) {
		snprintf(err, errlen, "modbus link: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void *modbus_create(const struct poller_env *env, const struct cfg_device *dev,
			   char *err, size_t errlen)
{
	struct modbus_inst *in = calloc(1, sizeof *in);
	const struct cfg_modbus *m = modbus_device_cfg(dev);

	err[0] = '\0';
	if (!in || !(in->dev_id = strdup(dev->id))) {
		free(in);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	in->env = env;
	in->unit = (uint8_t)m->unit;
	in->timeout_ms = m->timeout_ms != CFG_UNSET ? m->timeout_ms : dev->timeout_ms;
	in->max_gap = (unsigned)m->max_gap;
	if (profile_attach(in, dev, err, errlen) < 0 || metrics_make(in, dev, err, errlen) < 0 ||
	    modbus_plan_build(in->pts, in->npts, in->max_gap, NULL, &in->plan) < 0 ||
	    link_attach(in, dev, err, errlen) < 0) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		modbus_free(in);
		return NULL;
	}
	return in;
}

static const struct cfg_key modbus_device_keys[] = {
    {.name = "modbus", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = modbus_cfg_keys,
     .elem_size = sizeof(struct cfg_modbus), .init = modbus_cfg_init, .check = modbus_cfg_check},
    {.name = NULL},
};

const struct poller_ops modbus_poller = {
	.name = "modbus",
	.wants = modbus_wants,
	.create = modbus_create,
	.start = modbus_start,
	.cancel = modbus_cancel,
	.free = modbus_free,
	.device_keys = modbus_device_keys,
};
