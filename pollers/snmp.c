/* The SNMP poller: one net-snmp session per device on the daemon's loop, a profile
 * (named, or chosen by sysObjectID) saying what to read, and one poll = one batch of
 * GET / GETBULK requests whose answers become metric reports. */
#include "snmp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/addr_guard.h"
#include "dcmon/host_checks.h"
#include "dcmon/log.h"
#include "dcmon/netaddr.h"
#include "dcmon/poller.h"
#include "poll_target.h"

static const oid sys_object_id[] = {1, 3, 6, 1, 2, 1, 1, 2, 0};
static const oid sys_uptime[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};

static bool snmp_wants(const struct cfg_device *dev)
{
	return snmp_device_cfg(dev) != NULL || resources_of(dev) == RES_SNMP;
}

/* ---- ending a poll --------------------------------------------------------------- */

/* The poll's working memory goes back: between polls a device holds none. */
static void poll_release(struct snmp_dev *d)
{
	snmp_fetch_gate_leave(&d->gate);
	if (d->fetch) {
		snmp_fetch_release(d->fetch);
		snmp_fetch_set_vals(d->fetch, NULL);
	}
	snmp_vals_give(d->vals);
	d->vals = NULL;
}

static void poll_end(struct snmp_dev *d, enum poll_outcome o, const char *reason)
{
	struct poll_job *job = d->job;

	loop_timer_cancel(d->env->loop, d->deadline);
	d->deadline = NULL;
	d->job = NULL;
	poll_release(d);
	if (job)
		poll_job_done(job, o, reason);
}

/* sysUpTime went back: the agent restarted, so counters and row indexes start over. */
static void check_restart(struct snmp_dev *d)
{
	const struct snmp_val *v = snmp_vals_get(d->vals, sys_uptime, 9);
	double up;
	const char *why;

	if (!v || snmp_val_number(v, &up, &why) < 0)
		return;
	if (d->uptime >= 0 && up < d->uptime) {
		log_info("snmp", d->dev->id, "agent restarted (sysUpTime went back): counters reset");
		snmp_counters_reset(d);
		for (size_t t = 0; t < d->prof->ntables; t++)
			d->ts[t].stale = true;
		/* new firmware may implement what the old did not: asked at the next poll */
		d->recheck_due = true;
	}
	d->uptime = up;
}

/* Points first..first+count of d's profile that the agent did not answer this poll. */
static int part_unanswered(const struct snmp_dev *d, size_t first, size_t count)
{
	int n = 0;

	for (size_t i = first; i < first + count; i++)
		n += d->ps[i].unanswered;
	return n;
}

/* True (and the reason in buf) when the agent answered none of the points of the
 * profile, or of one of the device's profiles: that profile does not fit this agent,
 * which "degraded" alone would not say. */
static bool profile_misfit(struct snmp_dev *d, char *buf, size_t len)
{
	const struct snmp_profile *p = d->prof;
	size_t nparts = p->nparts ? p->nparts : 1, first = 0;
	bool misfit = false;

	for (size_t k = 0; k < nparts && !misfit; k++) {
		const struct snmp_profile *part = p->nparts ? p->parts[k] : p;
		int n = part_unanswered(d, first, part->npoints);
		misfit = part->npoints > 0 && n == (int)part->npoints;
		if (misfit)
			snprintf(buf, len, "profile %s does not fit this agent: %d of %zu points "
				 "unanswered", part->name, n, part->npoints);
		first += part->npoints;
	}
	if (misfit && !d->misfit_logged)
		log_warnx("snmp", d->dev->id, "%s", buf);
	d->misfit_logged = misfit;
	return misfit;
}

/* Reports every point and ends the poll with an outcome that tells the device's state
 * apart from its points'. */
static void poll_finish(struct snmp_dev *d)
{
	const struct snmp_fetch_stats *st = snmp_fetch_stats(d->fetch);
	char reason[METRIC_REASON_MAX];

	snmp_rows_update(d);
	if (st->answered > 0 && !st->auth_error)
		check_restart(d);
	snmp_eval(d);
	if (st->answered == 0 || st->auth_error) {
		snprintf(reason, sizeof(reason), "%s", st->reason[0] ? st->reason : "no answer");
		/* an agent that answers garbage is there: not unreachable */
		poll_end(d, st->malformed && !st->auth_error ? POLL_PARTIAL : POLL_UNREACHABLE, reason);
	} else if (profile_misfit(d, reason, sizeof(reason))) {
		poll_end(d, POLL_PARTIAL, reason);
	} else if (d->point_errors) {
		snprintf(reason, sizeof(reason), "%d point(s) failed", d->point_errors);
		poll_end(d, POLL_PARTIAL, reason);
	} else {
		poll_end(d, POLL_OK, NULL);
	}
}

/* ---- profiles by probing --------------------------------------------------------- */

static void start_data(struct snmp_dev *d);

#define PROFILES_SELECTED_MAX 8

/* Asks sysObjectID and every profile's probe objects, in one batch of GETs. */
static int plan_select(struct snmp_dev *d)
{
	size_t n;
	struct snmp_profile **all = snmp_profiles_all(d->profile_dir, &n);
	int rc = snmp_fetch_get(d->fetch, sys_object_id, 9);

	for (size_t i = 0; rc == 0 && i < n; i++)
		for (size_t j = 0; rc == 0 && j < all[i]->nprobes; j++)
			rc = snmp_fetch_get(d->fetch, all[i]->probes[j].v, all[i]->probes[j].len);
	snmp_profiles_put_all(all, n);
	return rc;
}

static bool probes_answered(const struct snmp_dev *d, const struct snmp_profile *p)
{
	for (size_t j = 0; j < p->nprobes; j++)
		if (snmp_val_answers(snmp_vals_get(d->vals, p->probes[j].v, p->probes[j].len)))
			return true;
	return false;
}

/* The profiles that fit the agent, as one: those whose probe objects it answers
 * (sorted by name), then the one its sysObjectID selects (a UPS card that advertises
 * net-snmp's own id is still read as a UPS).  NULL if none fits. */
static struct snmp_profile *select_profiles(struct snmp_dev *d, const struct snmp_oid *sysoid)
{
	size_t n, k = 0;
	struct snmp_profile **all = snmp_profiles_all(d->profile_dir, &n);
	struct snmp_profile *v[PROFILES_SELECTED_MAX], *bysys = NULL;

	for (size_t i = 0; i < n; i++)
		if (k < PROFILES_SELECTED_MAX - 1 && probes_answered(d, all[i])) {
			v[k++] = all[i];
			all[i] = NULL;
		}
	if (sysoid->len)
		bysys = snmp_profile_match(d->profile_dir, sysoid->v, sysoid->len);
	for (size_t i = 0; bysys && i < k; i++)
		if (v[i] == bysys) {
			snmp_profile_put(bysys);
			bysys = NULL;
		}
	if (bysys)
		v[k++] = bysys;
	for (size_t i = 0; i < n; i++)
		snmp_profile_put(all[i]);
	free(all);
	return k ? snmp_profile_combine(v, k) : NULL;
}

static void probe_done(void *arg)
{
	struct snmp_dev *d = arg;
	const struct snmp_val *v = snmp_vals_get(d->vals, sys_object_id, 9);
	const struct snmp_fetch_stats *st = snmp_fetch_stats(d->fetch);
	struct snmp_oid o = {.len = 0};
	char reason[METRIC_REASON_MAX];

	d->probing = false;
	if (!st->answered) {
		snprintf(reason, sizeof(reason), "cannot read sysObjectID: %.90s",
			 st->reason[0] ? st->reason : "no answer");
		poll_end(d, st->malformed ? POLL_ERROR : POLL_UNREACHABLE, reason);
		return;
	}
	if (v && v->type == SV_OID && snmp_oid_parse(v->text, &o) < 0)
		o.len = 0;
	d->prof = select_profiles(d, &o);
	if (!d->prof || snmp_dev_bind_profile(d) < 0) {
		snprintf(reason, sizeof(reason), "no profile fits this agent (sysObjectID %.80s)",
			 o.len ? v->text : "unreadable");
		snmp_profile_put(d->prof);
		d->prof = NULL;
		poll_end(d, POLL_ERROR, reason);
		return;
	}
	log_info("snmp", d->dev->id, "sysObjectID %s: using profile %s", o.len ? v->text : "-",
		 d->prof->name);
	start_data(d);
}

/* ---- polls ------------------------------------------------------------------------ */

static void data_done(void *arg)
{
	poll_finish(arg);
}

static void start_data(struct snmp_dev *d)
{
	snmp_fetch_clear(d->fetch);
	snmp_vals_clear(d->vals);
	if (snmp_plan(d) < 0) {
		snmp_fetch_clear(d->fetch);
		poll_end(d, POLL_ERROR, "out of memory");
		return;
	}
	snmp_fetch_run(d->fetch, data_done, d);
}

static void poll_go(void *arg);

static void on_deadline(struct loop *loop, void *arg)
{
	struct snmp_dev *d = arg;

	d->deadline = NULL;
	if (snmp_fetch_gate_leave(&d->gate)) {
		/* never got a slot: planned now only to be failed like a poll that did */
		poll_go(d);
		if (!d->job)
			return; /* ended already (nothing to ask, out of memory) */
	}
	snmp_fetch_abort(d->fetch, "poll deadline exceeded");
	if (d->probing) {
		poll_end(d, POLL_UNREACHABLE, "poll deadline exceeded");
		return;
	}
	poll_finish(d);
}

/* The poll takes its working memory and sends (a slot is free, or its deadline came). */
static void poll_go(void *arg)
{
	struct snmp_dev *d = arg;

	if (!d->vals && !(d->vals = snmp_vals_take())) {
		poll_end(d, POLL_ERROR, "out of memory");
		return;
	}
	snmp_fetch_set_vals(d->fetch, d->vals);
	if (d->prof) {
		start_data(d);
		return;
	}
	d->probing = true;
	snmp_fetch_clear(d->fetch);
	snmp_vals_clear(d->vals);
	if (plan_select(d) < 0) {
		poll_end(d, POLL_ERROR, "out of memory");
		return;
	}
	snmp_fetch_run(d->fetch, probe_done, d);
}

/* Starts the poll (the session is open): now, or when a request slot frees. */
static void poll_begin(struct snmp_dev *d)
{
	struct poll_job *job = d->job;

	d->now_ms = job->ts_ms;
	d->deadline = loop_timer_at(d->env->loop, job->deadline_ms, on_deadline, d);
	if (snmp_fetch_gate_enter(&d->gate, poll_go, d))
		poll_go(d);
}

/* The session to addr (the host, or the address a guarded host gave this poll); 0, or
 * -1 with err. */
static int session_open(struct snmp_dev *d, const char *addr, char *err, size_t errlen)
{
	d->conn = snmp_conn_new(d->env->loop, &d->cfg, addr, d->dev->id, d->timeout_ms, err,
				errlen);
	d->fetch = d->conn ? snmp_fetch_new(d->conn, NULL, &d->cfg) : NULL;
	return d->fetch ? 0 : -1;
}

/* A guarded host's address this poll: a session to it (the same as the last poll's, or
 * opened anew), or the poll ends with why there is none, nothing sent. */
static void on_target(void *arg, const struct sockaddr *sa, socklen_t len, const char *why)
{
	struct snmp_dev *d = arg;
	struct net_addr a;
	char addr[64], err[METRIC_REASON_MAX] = "";

	(void)len;
	if (!sa || !net_addr_of_sockaddr(sa, &a)) {
		poll_end(d, POLL_UNREACHABLE, sa ? "not an IP address" : why);
		return;
	}
	net_addr_format(&a, addr, sizeof(addr));
	if (!d->fetch || strcmp(addr, d->conn_addr) != 0) {
		snmp_fetch_free(d->fetch);
		snmp_conn_free(d->conn);
		d->fetch = NULL;
		d->conn = NULL;
		snprintf(d->conn_addr, sizeof(d->conn_addr), "%s", addr);
		if (session_open(d, addr, err, sizeof(err)) < 0) {
			poll_end(d, POLL_ERROR, err[0] ? err : "out of memory");
			return;
		}
	}
	poll_begin(d);
}

static void snmp_start(void *inst, struct poll_job *job)
{
	struct snmp_dev *d = inst;

	d->job = job;
	if (d->target)
		poll_target_get(d->target, job, on_target, d);
	else
		poll_begin(d);
}

static void snmp_cancel(void *inst)
{
	struct snmp_dev *d = inst;

	if (!d->job)
		return;
	poll_target_cancel(d->target);
	loop_timer_cancel(d->env->loop, d->deadline);
	d->deadline = NULL;
	if (d->fetch)
		snmp_fetch_abort(d->fetch, "cancelled");
	d->job = NULL;
	poll_release(d);
}

/* ---- instances -------------------------------------------------------------------- */

static void snmp_free_inst(void *inst)
{
	struct snmp_dev *d = inst;

	if (!d)
		return;
	snmp_cancel(d);
	snmp_fetch_free(d->fetch);
	snmp_conn_free(d->conn);
	poll_target_free(d->target);
	snmp_vals_give(d->vals);
	snmp_dev_state_free(d);
	free(d->profile_dir);
	snmp_profile_put(d->prof);
	snmp_cfg_free_fields(&d->cfg);
	free(d);
}

/* Copies the device's section (or defaults) so the instance owns what it uses. */
static int copy_cfg(struct cfg_snmp *dst, const struct cfg_snmp *src)
{
	snmp_cfg_defaults(dst);
	if (!src)
		return (dst->community = strdup("public")) ? 0 : -ENOMEM;
	*dst = *src;
	dst->host = src->host ? strdup(src->host) : NULL;
	dst->community = src->community ? strdup(src->community) : NULL;
	dst->user = src->user ? strdup(src->user) : NULL;
	dst->auth_pass = src->auth_pass ? strdup(src->auth_pass) : NULL;
	dst->priv_pass = src->priv_pass ? strdup(src->priv_pass) : NULL;
	dst->context = src->context ? strdup(src->context) : NULL;
	dst->auth_pass_file = dst->priv_pass_file = NULL;
	return 0;
}

static int load_profile(struct snmp_dev *d, char *err, size_t errlen)
{
	const char *name = d->dev->profile;
	struct cfg_diags diags;

	if (!name && resources_of(d->dev) == RES_SNMP && !snmp_device_cfg(d->dev))
		name = "host-resources";
	if (!name)
		return 0; /* chosen by sysObjectID at the first poll */
	cfg_diags_init(&diags);
	d->prof = snmp_profile_get(d->profile_dir, name, &diags);
	if (!d->prof) {
		const struct cfg_diag *g = diags.n ? &diags.v[0] : NULL;
		snprintf(err, errlen, "profile %s: %s%s%d:%d: %s", name, g && g->pos.file ? g->pos.file : "",
			 g ? ":" : "", g ? g->pos.line : 0, g ? g->pos.col : 0, g ? g->msg : "not found");
		cfg_diags_free(&diags);
		return -EINVAL;
	}
	cfg_diags_free(&diags);
	return snmp_dev_bind_profile(d);
}

static void *snmp_create(const struct poller_env *env, const struct cfg_device *dev, char *err,
			 size_t errlen)
{
	struct snmp_dev *d = calloc(1, sizeof(*d));
	int64_t timeout;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->env = env;
	d->dev = dev;
	d->uptime = -1;
	if (copy_cfg(&d->cfg, snmp_device_cfg(dev)) < 0)
		goto fail;
	d->host = d->cfg.host ? d->cfg.host : dev->host;
	if (!d->host) {
		snprintf(err, errlen, "no host to poll over SNMP (set host or snmp.host)");
		goto fail;
	}
	char dir[4096];
	snmp_profiles_dir(env->cfg, dir, sizeof(dir));
	if (!(d->profile_dir = strdup(dir)))
		goto fail;
	if (load_profile(d, err, errlen) < 0)
		goto fail;
	timeout = d->cfg.timeout_ms != CFG_UNSET ? d->cfg.timeout_ms : dev->timeout_ms;
	d->timeout_ms = timeout > 0 ? timeout : 2000;
	/* guarded: the session opens at the first poll, to the address the host gives then */
	if (addr_guard_of(dev)) {
		if (!(d->target = poll_target_new(env, dev, d->host, d->cfg.port, "snmp")))
			goto fail;
	} else if (session_open(d, d->host, err, errlen) < 0) {
		goto fail;
	}
	return d;
fail:
	if (!err[0])
		snprintf(err, errlen, "out of memory");
	snmp_free_inst(d);
	return NULL;
}

static const struct cfg_key snmp_device_keys[] = {
    {.name = "snmp", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = snmp_cfg_keys,
     .elem_size = sizeof(struct cfg_snmp), .init = snmp_cfg_init, .check = snmp_cfg_check},
    {.name = NULL},
};

const struct poller_ops snmp_poller = {
	.name = "snmp",
	.wants = snmp_wants,
	.create = snmp_create,
	.start = snmp_start,
	.cancel = snmp_cancel,
	.free = snmp_free_inst,
	.device_keys = snmp_device_keys,
};
