/* The address a check probes, at each poll: see poll_target.h. */
#include "poll_target.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/addr_guard.h"
#include "dcmon/log.h"
#include "dcmon/netaddr.h"
#include "dcmon/workq.h"
#include "pollutil.h"

#define TARGET_ADDRS_MAX 8 /* addresses of a name judged, in the resolver's order */

/* One resolution of a name on the worker pool. */
struct target_lookup {
	struct poll_target *t; /* NULL once the target let go of it (deadline, cancel, free) */
	char host[256];
	int port;
	struct sockaddr_storage addr[TARGET_ADDRS_MAX];
	socklen_t len[TARGET_ADDRS_MAX];
	size_t n;
	char err[METRIC_REASON_MAX]; /* the resolver's error when n == 0 */
};

struct poll_target {
	struct loop *loop;
	struct workq *wq;
	struct metric_reg *reg;
	char *host;
	int port;
	const struct cfg_addr_guard *guard; /* NULL: resolved once, below; the configuration
					     * in force outlives the poller's instance */
	struct sockaddr_storage addr;       /* without guard: the address, when addrlen > 0 */
	socklen_t addrlen;
	char err[METRIC_REASON_MAX];        /* without guard: why it did not resolve */
	struct metric *m;                   /* with guard: PROBE_ADDRESS_METRIC */

	/* the call due */
	poll_target_fn fn;                  /* NULL when none is */
	void *arg;
	int64_t ts_ms;                      /* the poll's sample time */
	struct target_lookup *lookup;       /* the name being resolved, or NULL */
	struct loop_timer *deadline;
};

static const struct metric_enum probe_address_states[2] = {
	{.value = 0, .name = "refused"},
	{.value = 1, .name = "allowed"},
};

static struct metric *target_metric(const struct poller_env *env, const struct cfg_device *dev,
				    const char *check)
{
	struct metric_desc d = {
		.name = PROBE_ADDRESS_METRIC, .unit = "", .kind = METRIC_STATE,
		.inst_label = "check", .inst = check, .interval_ms = dev->interval_ms,
		.enums = probe_address_states, .nenums = 2,
	};
	return pollutil_metric(env, dev->id, &d);
}

struct poll_target *poll_target_new(const struct poller_env *env, const struct cfg_device *dev,
				    const char *host, int port, const char *check)
{
	struct poll_target *t = calloc(1, sizeof(*t));
	char *h = strdup(host ? host : "");
	if (!t || !h) {
		free(t);
		free(h);
		return NULL;
	}
	*t = (struct poll_target){.loop = env->loop, .wq = env->wq, .reg = env->reg, .host = h,
				  .port = port, .guard = addr_guard_of(dev)};
	if (t->guard && !(t->m = target_metric(env, dev, check))) {
		poll_target_free(t);
		return NULL;
	}
	if (!t->guard && pollutil_resolve(host, port, &t->addr, &t->addrlen, t->err,
					  sizeof(t->err)) < 0) {
		t->addrlen = 0;
		log_warnx("poller", dev->id, "%s: %s", check, t->err);
	}
	return t;
}

/* Ends the call due: fn hears the address or why not. */
static void target_deliver(struct poll_target *t, const struct sockaddr *sa, socklen_t len,
			   const char *why)
{
	poll_target_fn fn = t->fn;
	loop_timer_cancel(t->loop, t->deadline);
	t->deadline = NULL;
	t->fn = NULL;
	if (t->m && sa)
		metric_put(t->reg, t->m, t->ts_ms, 1);
	else if (t->m)
		metric_put_error(t->reg, t->m, t->ts_ms, why);
	fn(t->arg, sa, len, why);
}

/* The first of the n addresses the guard admits, handed on; none: the refusal of the
 * first, which is not probed. */
static void target_judge(struct poll_target *t, const struct sockaddr_storage *addr,
			 const socklen_t *len, size_t n)
{
	const struct cfg_addr_guard *g = t->guard;
	char ip[INET6_ADDRSTRLEN] = "?", why[METRIC_REASON_MAX];
	for (size_t i = 0; i < n; i++) {
		struct net_addr a;
		if (net_addr_of_sockaddr((const struct sockaddr *)&addr[i], &a) &&
		    net_admits(g->allow, g->nallow, g->deny, g->ndeny, &a)) {
			target_deliver(t, (const struct sockaddr *)&addr[i], len[i], NULL);
			return;
		}
		if (i == 0 && net_addr_of_sockaddr((const struct sockaddr *)&addr[i], &a))
			net_addr_format(&a, ip, sizeof(ip));
	}
	snprintf(why, sizeof(why), "%.30s resolves to %s: " NET_REFUSED_BY_ALLOW_DENY, t->host,
		 ip);
	target_deliver(t, NULL, 0, why);
}

/* Worker thread: every address of the name (the resolver may block for seconds). */
static void lookup_work(void *arg)
{
	struct target_lookup *lk = arg;
	pollutil_resolve_all(lk->host, lk->port, lk->addr, lk->len, TARGET_ADDRS_MAX, &lk->n,
			     lk->err, sizeof(lk->err));
}

/* Loop thread: the name resolved (or not); judged unless the target let go of it. */
static void lookup_done(struct loop *loop, void *arg)
{
	(void)loop;
	struct target_lookup *lk = arg;
	struct poll_target *t = lk->t;
	if (t) {
		t->lookup = NULL;
		if (lk->n)
			target_judge(t, lk->addr, lk->len, lk->n);
		else
			target_deliver(t, NULL, 0, lk->err);
	}
	free(lk);
}

/* Lets the resolution in flight go: its completion frees it and calls no one. */
static void lookup_let_go(struct poll_target *t)
{
	if (t->lookup)
		t->lookup->t = NULL;
	t->lookup = NULL;
}

static void on_deadline(struct loop *loop, void *arg)
{
	(void)loop;
	struct poll_target *t = arg;
	char why[METRIC_REASON_MAX];
	t->deadline = NULL;
	lookup_let_go(t);
	snprintf(why, sizeof(why), "resolve %.60s: timeout", t->host);
	target_deliver(t, NULL, 0, why);
}

/* A name, on the worker pool; the deadline timer bounds the wait. */
static void target_lookup_start(struct poll_target *t, int64_t deadline_ms)
{
	struct target_lookup *lk = calloc(1, sizeof(*lk));
	if (!lk) {
		target_deliver(t, NULL, 0, "out of memory");
		return;
	}
	lk->t = t;
	lk->port = t->port;
	snprintf(lk->host, sizeof(lk->host), "%s", t->host);
	t->deadline = loop_timer_at(t->loop, deadline_ms, on_deadline, t);
	if (!t->deadline || !t->wq || workq_submit(t->wq, lookup_work, lookup_done, lk) < 0) {
		free(lk);
		target_deliver(t, NULL, 0, "out of memory");
		return;
	}
	t->lookup = lk;
}

void poll_target_get(struct poll_target *t, const struct poll_job *job, poll_target_fn fn,
		     void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[METRIC_REASON_MAX];
	t->fn = fn;
	t->arg = arg;
	t->ts_ms = job->ts_ms;
	if (!t->guard) {
		target_deliver(t, t->addrlen ? (const struct sockaddr *)&t->addr : NULL, t->addrlen,
			       t->err);
		return;
	}
	struct net_addr a;
	if (!net_addr_parse(t->host, &a)) {
		target_lookup_start(t, job->deadline_ms);
		return;
	}
	if (pollutil_resolve(t->host, t->port, &ss, &len, err, sizeof(err)) < 0) /* numeric */
		target_deliver(t, NULL, 0, err);
	else
		target_judge(t, &ss, &len, 1);
}

void poll_target_cancel(struct poll_target *t)
{
	if (!t || !t->fn)
		return;
	loop_timer_cancel(t->loop, t->deadline);
	t->deadline = NULL;
	lookup_let_go(t);
	t->fn = NULL;
}

void poll_target_free(struct poll_target *t)
{
	if (!t)
		return;
	poll_target_cancel(t);
	free(t->host);
	free(t);
}
