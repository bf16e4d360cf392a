/* icmp: liveness and round-trip time of a device's host over ICMP echo.
 *
 * Metrics (no instance; one set per device):
 *
 * | name                  | kind  | unit    | meaning                                      |
 * |-----------------------|-------|---------|----------------------------------------------|
 * | ping_rtt_min_seconds  | gauge | seconds | fastest answered probe of the poll           |
 * | ping_rtt_avg_seconds  | gauge | seconds | mean over answered probes                    |
 * | ping_rtt_max_seconds  | gauge | seconds | slowest answered probe                       |
 * | ping_loss_percent     | gauge | percent | probes without reply / probes, 0..100        |
 * | host_up               | state |         | 1 "up" if any probe was answered, 0 "down"   |
 *
 * When no probe is answered the three rtt metrics are errors with the reason
 * ("timeout", or the errno name of an ICMP error / failed send such as
 * "EHOSTUNREACH", "ENETUNREACH"), loss is 100, host_up is 0 and the poll ends
 * POLL_UNREACHABLE.  A socket that cannot be opened (no privilege) is POLL_ERROR with
 * every metric an error.
 *
 * A poll sends cfg_ping.count probes spaced by spacing_ms over the shared socket of
 * icmp_sock.c, then waits timeout_ms after the last one (never past the job
 * deadline); it ends early once every probe is answered or failed.  The host is the
 * poll_target's (poll_target.h): without the device's address_guard a name is resolved
 * once, at create time (this may block the caller during config load), and one that does
 * not resolve makes every poll an error with the resolver's reason until the device is
 * re-created by a config reload; with it, at each poll off the loop, and an address the
 * guard refuses is never sent a probe (the same error path, the refusal its reason).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/host_checks.h"
#include "dcmon/log.h"
#include "dcmon/poller.h"
#include "icmp_sock.h"
#include "pollers.h"
#include "poll_target.h"
#include "pollutil.h"

#define PING_COUNT_DEFAULT   3
#define PING_COUNT_MAX       100
#define PING_SPACING_DEFAULT 200 /* ms */
#define PING_SIZE_DEFAULT    56  /* payload bytes */

enum { M_MIN, M_AVG, M_MAX, M_LOSS, M_UP, M_COUNT };

struct icmp_inst {
	struct loop *loop;
	struct metric_reg *reg;
	char *dev;                        /* device id, owned */
	struct poll_target *target;       /* the host, resolved (at each poll when guarded) */
	struct sockaddr_storage addr;     /* the address of the poll in flight */
	socklen_t addrlen;
	int count;                        /* probes per poll */
	int size;                         /* payload bytes */
	int64_t spacing_ms;               /* between probes, ms */
	int64_t timeout_ms;               /* wait after the last probe, ms */
	struct metric *m[M_COUNT];

	/* the poll in flight */
	struct poll_job *job;             /* NULL when idle */
	struct icmp_probe *probes;        /* count entries */
	int nsent;                        /* probes handed to the socket or failed */
	int nanswered;                    /* replies */
	int nfailed;                      /* failed sends and ICMP errors */
	int last_err;                     /* errno of the last failure, 0 = none */
	bool denied;                      /* no permission to open an ICMP socket */
	struct loop_timer *timer;         /* next send, or end of the wait */
};

static void icmp_send_next(struct loop *loop, void *arg);

static bool icmp_wants(const struct cfg_device *dev)
{
	return ping_check_of(dev) != NULL;
}

/* Copies the ping settings, applying defaults for unset values. */
static void icmp_settings(struct icmp_inst *in, const struct cfg_device *dev)
{
	const struct cfg_ping *p = ping_check_of(dev);

	in->count = p->count > 0 && p->count <= PING_COUNT_MAX ? p->count : PING_COUNT_DEFAULT;
	in->spacing_ms = p->spacing_ms >= 0 ? p->spacing_ms : PING_SPACING_DEFAULT;
	in->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : dev->timeout_ms;
	if (in->timeout_ms <= 0)
		in->timeout_ms = 1000;
	in->size = p->size >= 0 ? p->size : PING_SIZE_DEFAULT;
}

static bool icmp_register(struct icmp_inst *in, const struct poller_env *env,
			  const struct cfg_device *dev)
{
	static const struct {
		const char *name, *unit;
		enum metric_kind kind;
	} defs[M_COUNT] = {
		[M_MIN] = {"ping_rtt_min_seconds", "seconds", METRIC_GAUGE},
		[M_AVG] = {"ping_rtt_avg_seconds", "seconds", METRIC_GAUGE},
		[M_MAX] = {"ping_rtt_max_seconds", "seconds", METRIC_GAUGE},
		[M_LOSS] = {"ping_loss_percent", "percent", METRIC_GAUGE},
		[M_UP] = {"host_up", "", METRIC_STATE},
	};

	for (int i = 0; i < M_COUNT; i++) {
		struct metric_desc d = {
			.name = defs[i].name, .unit = defs[i].unit, .kind = defs[i].kind,
			.interval_ms = dev->interval_ms,
			.enums = defs[i].kind == METRIC_STATE ? pollutil_updown : NULL,
			.nenums = defs[i].kind == METRIC_STATE ? 2 : 0,
		};
		if ((in->m[i] = pollutil_metric(env, dev->id, &d)) == NULL)
			return false;
	}
	return true;
}

static void icmp_stop(struct icmp_inst *in);

static void icmp_free(void *arg)
{
	struct icmp_inst *in = arg;

	if (in == NULL)
		return;
	if (in->probes != NULL)
		icmp_stop(in); /* a poll not cancelled first: leave nothing on the loop */
	free(in->probes);
	free(in->dev);
	poll_target_free(in->target);
	icmp_sock_release();
	free(in);
}

static void *icmp_create(const struct poller_env *env, const struct cfg_device *dev,
			 char *err, size_t errlen)
{
	struct icmp_inst *in = calloc(1, sizeof(*in));

	if (in == NULL || icmp_sock_acquire(env->loop) < 0) {
		snprintf(err, errlen, "icmp: %s", in ? "socket held by another loop" : "no memory");
		free(in);
		return NULL;
	}
	in->loop = env->loop;
	in->reg = env->reg;
	icmp_settings(in, dev);
	in->dev = strdup(dev->id);
	in->probes = calloc((size_t)in->count, sizeof(*in->probes));
	if (in->dev == NULL || in->probes == NULL || !icmp_register(in, env, dev) ||
	    !(in->target = poll_target_new(env, dev, dev->host, 0, "ping"))) {
		snprintf(err, errlen, "icmp: cannot set up metrics");
		icmp_free(in);
		return NULL;
	}
	return in;
}

/* Stops the poll's timers and outstanding probes. */
static void icmp_stop(struct icmp_inst *in)
{
	loop_timer_cancel(in->loop, in->timer);
	in->timer = NULL;
	for (int i = 0; i < in->count; i++)
		icmp_sock_forget(&in->probes[i]);
}

/* Reports the poll's results and ends it. */
static void icmp_finish(struct icmp_inst *in, enum poll_outcome local_fail)
{
	struct poll_job *job = in->job;
	int64_t ts = job->ts_ms;
	double min = 0, max = 0, sum = 0;
	const char *why = in->denied     ? "no permission for ICMP sockets: " ICMP_GRANT_HINT
			  : in->last_err ? pollutil_errname(in->last_err)
					 : "timeout";
	bool first = true;

	icmp_stop(in);
	in->job = NULL;
	for (int i = 0; i < in->count; i++) {
		const struct icmp_probe *p = &in->probes[i];
		if (p->cb == NULL || p->rtt_s < 0)
			continue;
		min = first || p->rtt_s < min ? p->rtt_s : min;
		max = first || p->rtt_s > max ? p->rtt_s : max;
		sum += p->rtt_s;
		first = false;
	}
	if (local_fail == POLL_ERROR) {
		for (int i = 0; i < M_COUNT; i++)
			metric_put_error(in->reg, in->m[i], ts, why);
		poll_job_done(job, POLL_ERROR, why);
		return;
	}
	metric_put(in->reg, in->m[M_LOSS], ts, 100.0 * (in->count - in->nanswered) / in->count);
	metric_put(in->reg, in->m[M_UP], ts, in->nanswered > 0);
	if (in->nanswered == 0) {
		for (int i = M_MIN; i <= M_MAX; i++)
			metric_put_error(in->reg, in->m[i], ts, why);
		poll_job_done(job, POLL_UNREACHABLE, why);
		return;
	}
	metric_put(in->reg, in->m[M_MIN], ts, min);
	metric_put(in->reg, in->m[M_AVG], ts, sum / in->nanswered);
	metric_put(in->reg, in->m[M_MAX], ts, max);
	poll_job_done(job, POLL_OK, NULL);
}

static void icmp_on_end(struct loop *loop, void *arg)
{
	struct icmp_inst *in = arg;

	in->timer = NULL;
	icmp_finish(in, POLL_OK);
}

/* True once every probe is answered or failed: nothing more to wait for. */
static bool icmp_all_accounted(const struct icmp_inst *in)
{
	return in->nanswered + in->nfailed == in->count;
}

static void icmp_on_probe(struct icmp_probe *p, int err)
{
	struct icmp_inst *in = p->arg;

	if (err == 0) {
		in->nanswered++;
	} else {
		p->rtt_s = -1;
		in->nfailed++;
		in->last_err = err;
	}
	if (icmp_all_accounted(in))
		icmp_finish(in, POLL_OK);
}

/* Arms the next step: the next probe after spacing, or the end of the wait. */
static void icmp_arm(struct icmp_inst *in)
{
	int64_t now = loop_now_ms(in->loop), end = in->job->deadline_ms;

	if (in->nsent < in->count && now + in->spacing_ms < end) {
		in->timer = loop_timer_add(in->loop, in->spacing_ms, icmp_send_next, in);
	} else {
		if (now + in->timeout_ms < end)
			end = now + in->timeout_ms;
		in->timer = loop_timer_at(in->loop, end, icmp_on_end, in);
	}
	if (in->timer == NULL) {
		in->last_err = ENOMEM;
		icmp_finish(in, POLL_ERROR);
	}
}

static void icmp_send_next(struct loop *loop, void *arg)
{
	struct icmp_inst *in = arg;
	struct icmp_probe *p = &in->probes[in->nsent++];
	int rc;

	in->timer = NULL;
	p->cb = icmp_on_probe;
	p->arg = in;
	p->rtt_s = -1;
	rc = icmp_sock_send(p, (struct sockaddr *)&in->addr, in->addrlen, in->size);
	if (rc == -EPERM || rc == -EACCES || rc == -EAFNOSUPPORT || rc == -ENOMEM ||
	    rc == -EMFILE || rc == -ENFILE || rc == -EPROTONOSUPPORT) {
		in->last_err = -rc; /* no socket: a local failure, not the host's */
		/* refused at socket(), not at sendto() (a firewall says EPERM too) */
		in->denied = (rc == -EPERM || rc == -EACCES) &&
			     icmp_sock_is_raw(in->addr.ss_family) < 0;
		icmp_finish(in, POLL_ERROR);
		return;
	}
	if (rc < 0) {
		in->nfailed++;
		in->last_err = -rc;
		if (icmp_all_accounted(in)) {
			icmp_finish(in, POLL_OK);
			return;
		}
	}
	icmp_arm(in);
}

/* The poll's address, or why there is none: every metric says it, no probe is sent. */
static void icmp_on_target(void *arg, const struct sockaddr *sa, socklen_t len, const char *why)
{
	struct icmp_inst *in = arg;
	struct poll_job *job = in->job;

	if (sa == NULL) {
		in->job = NULL;
		for (int i = M_MIN; i <= M_MAX; i++)
			metric_put_error(in->reg, in->m[i], job->ts_ms, why);
		metric_put_error(in->reg, in->m[M_LOSS], job->ts_ms, why);
		metric_put(in->reg, in->m[M_UP], job->ts_ms, 0);
		poll_job_done(job, POLL_UNREACHABLE, why);
		return;
	}
	memcpy(&in->addr, sa, len);
	in->addrlen = len;
	icmp_send_next(in->loop, in);
}

static void icmp_start(void *arg, struct poll_job *job)
{
	struct icmp_inst *in = arg;

	in->job = job;
	in->nsent = in->nanswered = in->nfailed = in->last_err = 0;
	in->denied = false;
	memset(in->probes, 0, (size_t)in->count * sizeof(*in->probes));
	poll_target_get(in->target, job, icmp_on_target, in);
}

static void icmp_cancel(void *arg)
{
	struct icmp_inst *in = arg;

	if (in->job == NULL)
		return;
	poll_target_cancel(in->target);
	icmp_stop(in);
	in->job = NULL;
}

const struct poller_ops icmp_poller = {
	.name = "icmp",
	.wants = icmp_wants,
	.create = icmp_create,
	.start = icmp_start,
	.cancel = icmp_cancel,
	.free = icmp_free,
	.device_check = ping_device_check,
	.device_resolve = ping_device_resolve,
	.net_raw_needed = icmp_net_raw_needed,
	.start_note = icmp_start_note,
};
