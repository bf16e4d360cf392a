/* tcp: TCP port checks of a device: connect time, refused vs timeout vs unreachable,
 * and an optional send/expect banner check.
 *
 * Metrics, one set per configured port (instance label "port"; the instance is the
 * port, e.g. "443", or "host:port" when the check names a host other than the
 * device's):
 *
 * | name                 | kind  | unit    | meaning                                     |
 * |----------------------|-------|---------|---------------------------------------------|
 * | tcp_connect_seconds  | gauge | seconds | time from connect() to established          |
 * | tcp_port_up          | state |         | 1 "up" if the connection was established    |
 * | tcp_expect_ok        | state |         | (only with expect) 1 "up" if the reply held |
 * |                      |       |         | the expected text, 0 "down" if it did not   |
 *
 * A failed connect makes tcp_connect_seconds (and tcp_expect_ok) an error whose
 * reason is the errno name ("ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", ...) or
 * "timeout", and tcp_port_up 0.  With expect, up to TCP_BANNER_MAX bytes are read
 * after the optional send; EOF or a full buffer without the text is a mismatch
 * (value 0), a timeout or reset while reading is an error with that reason.
 * Every check of a device runs in parallel on the loop, each bounded by its timeout
 * and by the job deadline.  A check's host is its poll_target's (poll_target.h, see
 * icmp.c): resolved at create time, or at each poll off the loop when the device has an
 * address_guard, whose refusal fails the check without a connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/log.h"
#include "dcmon/tcp_check.h"
#include "pollers.h"
#include "poll_target.h"
#include "pollutil.h"

#define TCP_BANNER_MAX 4096 /* bytes of reply searched for the expected text */

enum tcp_state { TC_IDLE, TC_CONNECTING, TC_SENDING, TC_READING };

struct tcp_inst;

struct tcp_check {
	struct tcp_inst *in;
	char *inst;                   /* metric instance: "443" or "host:443" */
	struct poll_target *target;   /* the host, resolved (at each poll when guarded) */
	struct sockaddr_storage addr; /* the address of the poll in flight */
	socklen_t addrlen;
	char no_addr[METRIC_REASON_MAX]; /* why this poll has no address (why points here) */
	const char *send;             /* points into the config copy below, may be NULL */
	const char *expect;           /* may be NULL */
	char *send_buf, *expect_buf;  /* owned copies */
	int64_t timeout_ms;
	struct metric *m_connect, *m_up, *m_expect; /* m_expect NULL without expect */

	/* the poll in flight */
	enum tcp_state state;
	int fd;                       /* -1 when closed */
	struct loop_timer *timer;
	double t0_s;                  /* monotonic connect() time, seconds */
	double connect_s;             /* connect() to established, seconds */
	size_t sent;                  /* bytes of send written */
	char buf[TCP_BANNER_MAX + 1]; /* reply so far, NUL-terminated */
	size_t buflen;
	bool connected;
	int expect_result;            /* -1 unknown, 0 mismatch, 1 matched */
	const char *why;              /* failure reason, NULL if none */
};

struct tcp_inst {
	struct loop *loop;
	struct metric_reg *reg;
	char *dev;
	struct tcp_check *checks;
	size_t n;
	struct poll_job *job;         /* NULL when idle */
	size_t nrunning;              /* checks of this poll not yet ended */
	bool starting;                /* inside start(): defer the end of the poll */
};

static void tcp_on_io(struct loop *loop, int fd, unsigned events, void *arg);
static void tcp_check_close(struct tcp_check *c);

static bool tcp_wants(const struct cfg_device *dev)
{
	size_t n;
	tcp_checks_of(dev, &n);
	return n > 0;
}

/* ---- create / free -------------------------------------------------------------- */

static void tcp_free(void *arg)
{
	struct tcp_inst *in = arg;

	if (in == NULL)
		return;
	for (size_t i = 0; i < in->n; i++) {
		tcp_check_close(&in->checks[i]); /* a poll not cancelled first */
		free(in->checks[i].inst);
		free(in->checks[i].send_buf);
		free(in->checks[i].expect_buf);
		poll_target_free(in->checks[i].target);
	}
	free(in->checks);
	free(in->dev);
	free(in);
}

static struct metric *tcp_metric(const struct poller_env *env, const struct cfg_device *dev,
				 const char *inst, const char *name, const char *unit)
{
	bool state = unit[0] == '\0';
	struct metric_desc d = {
		.name = name, .unit = unit, .kind = state ? METRIC_STATE : METRIC_GAUGE,
		.inst_label = "port", .inst = inst, .interval_ms = dev->interval_ms,
		.enums = state ? pollutil_updown : NULL, .nenums = state ? 2 : 0,
	};
	return pollutil_metric(env, dev->id, &d);
}

/* Sets up one check from its config; false on allocation/registration failure. */
static bool tcp_check_init(struct tcp_check *c, const struct poller_env *env,
			   const struct cfg_device *dev, const struct cfg_tcp *t)
{
	const char *host = t->host ? t->host : dev->host;
	bool own = t->host == NULL || (dev->host && strcmp(t->host, dev->host) == 0);
	char inst[METRIC_INST_MAX], check[METRIC_INST_MAX + 8];

	c->fd = -1;
	c->timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : dev->timeout_ms;
	if (c->timeout_ms <= 0)
		c->timeout_ms = 1000;
	if (own)
		snprintf(inst, sizeof(inst), "%d", t->port);
	else
		snprintf(inst, sizeof(inst), "%.100s:%d", t->host, t->port);
	c->inst = strdup(inst);
	c->send_buf = t->send ? strdup(t->send) : NULL;
	c->expect_buf = t->expect ? strdup(t->expect) : NULL;
	c->send = c->send_buf;
	c->expect = c->expect_buf;
	if (!c->inst || (t->send && !c->send) || (t->expect && !c->expect))
		return false;
	snprintf(check, sizeof(check), "tcp:%s", c->inst);
	if (!(c->target = poll_target_new(env, dev, host, t->port, check)))
		return false;
	c->m_connect = tcp_metric(env, dev, c->inst, "tcp_connect_seconds", "seconds");
	c->m_up = tcp_metric(env, dev, c->inst, "tcp_port_up", "");
	if (c->expect)
		c->m_expect = tcp_metric(env, dev, c->inst, "tcp_expect_ok", "");
	return c->m_connect && c->m_up && (!c->expect || c->m_expect);
}

static void *tcp_create(const struct poller_env *env, const struct cfg_device *dev,
			char *err, size_t errlen)
{
	size_t ntcp;
	const struct cfg_tcp *tcp = tcp_checks_of(dev, &ntcp);
	struct tcp_inst *in = calloc(1, sizeof(*in));

	if (in == NULL || (in->checks = calloc(ntcp, sizeof(*in->checks))) == NULL ||
	    (in->dev = strdup(dev->id)) == NULL)
		goto fail;
	in->loop = env->loop;
	in->reg = env->reg;
	for (; in->n < ntcp; in->n++) {
		in->checks[in->n].in = in;
		if (!tcp_check_init(&in->checks[in->n], env, dev, &tcp[in->n])) {
			in->n++;
			goto fail;
		}
	}
	return in;
fail:
	snprintf(err, errlen, "tcp: cannot set up checks (memory or metric names)");
	tcp_free(in);
	return NULL;
}

/* ---- one check ---------------------------------------------------------------- */

static void tcp_check_close(struct tcp_check *c)
{
	poll_target_cancel(c->target);
	loop_timer_cancel(c->in->loop, c->timer);
	c->timer = NULL;
	if (c->fd >= 0) {
		loop_io_del(c->in->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	c->state = TC_IDLE;
}

/* Reports one check's metrics. */
static void tcp_check_report(const struct tcp_check *c, int64_t ts)
{
	struct metric_reg *reg = c->in->reg;

	if (!c->connected) {
		metric_put_error(reg, c->m_connect, ts, c->why);
		metric_put(reg, c->m_up, ts, 0);
		if (c->m_expect)
			metric_put_error(reg, c->m_expect, ts, c->why);
		return;
	}
	metric_put(reg, c->m_connect, ts, c->connect_s);
	metric_put(reg, c->m_up, ts, 1);
	if (c->m_expect && c->expect_result >= 0)
		metric_put(reg, c->m_expect, ts, c->expect_result);
	else if (c->m_expect)
		metric_put_error(reg, c->m_expect, ts, c->why ? c->why : "no reply");
}

static void tcp_poll_end(struct tcp_inst *in);

/* Ends one check with a reason (NULL on success). */
static void tcp_check_end(struct tcp_check *c, const char *why)
{
	struct tcp_inst *in = c->in;

	c->why = why;
	tcp_check_close(c);
	tcp_check_report(c, in->job->ts_ms);
	if (--in->nrunning == 0 && !in->starting)
		tcp_poll_end(in);
}

static void tcp_check_fail(struct tcp_check *c, int err)
{
	tcp_check_end(c, err == ETIMEDOUT ? "timeout" : pollutil_errname(err));
}

static void tcp_on_timeout(struct loop *loop, void *arg)
{
	struct tcp_check *c = arg;

	c->timer = NULL;
	tcp_check_fail(c, ETIMEDOUT);
}

/* The reply so far is final or holds the text: decides. */
static void tcp_check_expect(struct tcp_check *c, bool final)
{
	if (memmem(c->buf, c->buflen, c->expect, strlen(c->expect)) != NULL) {
		c->expect_result = 1;
		tcp_check_end(c, NULL);
	} else if (final || c->buflen == TCP_BANNER_MAX) {
		c->expect_result = 0;
		tcp_check_end(c, "expect mismatch");
	}
}

static void tcp_do_read(struct tcp_check *c)
{
	ssize_t n = read(c->fd, c->buf + c->buflen, TCP_BANNER_MAX - c->buflen);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		tcp_check_fail(c, errno);
		return;
	}
	c->buflen += (size_t)n;
	c->buf[c->buflen] = '\0';
	tcp_check_expect(c, n == 0);
}

/* After connect and send: read for expect, or done. */
static void tcp_after_send(struct tcp_check *c)
{
	if (c->expect == NULL) {
		tcp_check_end(c, NULL);
		return;
	}
	c->state = TC_READING;
	if (loop_io_mod(c->in->loop, c->fd, LOOP_READ) < 0)
		tcp_check_fail(c, ENOMEM);
}

static void tcp_do_send(struct tcp_check *c)
{
	size_t len = strlen(c->send);
	ssize_t n = send(c->fd, c->send + c->sent, len - c->sent, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		tcp_check_fail(c, errno);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == len)
		tcp_after_send(c);
}

static void tcp_on_connected(struct tcp_check *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		tcp_check_fail(c, err);
		return;
	}
	c->connected = true;
	c->connect_s = pollutil_mono_s() - c->t0_s;
	if (c->send != NULL) {
		c->state = TC_SENDING;
		tcp_do_send(c);
	} else {
		tcp_after_send(c);
	}
}

static void tcp_on_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct tcp_check *c = arg;

	switch (c->state) {
	case TC_CONNECTING:
		tcp_on_connected(c);
		break;
	case TC_SENDING:
		tcp_do_send(c);
		break;
	case TC_READING:
		tcp_do_read(c);
		break;
	case TC_IDLE:
		break;
	}
}

/* The poll's address: connects to it, or ends the check with why there is none. */
static void tcp_on_target(void *arg, const struct sockaddr *sa, socklen_t len, const char *why)
{
	struct tcp_check *c = arg;
	struct loop *loop = c->in->loop;
	int64_t end = loop_now_ms(loop) + c->timeout_ms, deadline = c->in->job->deadline_ms;

	if (sa == NULL) {
		snprintf(c->no_addr, sizeof(c->no_addr), "%s", why);
		tcp_check_end(c, c->no_addr);
		return;
	}
	memcpy(&c->addr, sa, len);
	c->addrlen = len;
	c->fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		tcp_check_fail(c, errno);
		return;
	}
	c->t0_s = pollutil_mono_s();
	c->state = TC_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen) < 0 && errno != EINPROGRESS) {
		tcp_check_fail(c, errno);
		return;
	}
	c->timer = loop_timer_at(loop, end < deadline ? end : deadline, tcp_on_timeout, c);
	if (c->timer == NULL || loop_io_add(loop, c->fd, LOOP_WRITE, tcp_on_io, c) < 0)
		tcp_check_fail(c, ENOMEM);
}

static void tcp_check_start(struct tcp_check *c, struct poll_job *job)
{
	c->connected = false;
	c->expect_result = -1;
	c->sent = c->buflen = 0;
	c->why = NULL;
	poll_target_get(c->target, job, tcp_on_target, c);
}

/* ---- the poll ----------------------------------------------------------------- */

static void tcp_poll_end(struct tcp_inst *in)
{
	struct poll_job *job = in->job;
	size_t up = 0, bad = 0;
	const struct tcp_check *first_bad = NULL;
	char why[METRIC_REASON_MAX];

	for (size_t i = 0; i < in->n; i++) {
		const struct tcp_check *c = &in->checks[i];
		up += c->connected;
		if (c->why != NULL) {
			bad++;
			first_bad = first_bad ? first_bad : c;
		}
	}
	in->job = NULL;
	if (bad == 0) {
		poll_job_done(job, POLL_OK, NULL);
		return;
	}
	snprintf(why, sizeof(why), "port %s: %s", first_bad->inst, first_bad->why);
	poll_job_done(job, up == 0 ? POLL_UNREACHABLE : POLL_PARTIAL, why);
}

static void tcp_start(void *arg, struct poll_job *job)
{
	struct tcp_inst *in = arg;

	in->job = job;
	in->nrunning = in->n;
	in->starting = true;
	for (size_t i = 0; i < in->n; i++)
		tcp_check_start(&in->checks[i], job);
	in->starting = false;
	if (in->nrunning == 0)
		tcp_poll_end(in);
}

static void tcp_cancel(void *arg)
{
	struct tcp_inst *in = arg;

	if (in->job == NULL)
		return;
	for (size_t i = 0; i < in->n; i++)
		tcp_check_close(&in->checks[i]);
	in->job = NULL;
}

const struct poller_ops tcp_poller = {
	.name = "tcp",
	.wants = tcp_wants,
	.create = tcp_create,
	.start = tcp_start,
	.cancel = tcp_cancel,
	.free = tcp_free,
	.check_keys = tcp_checks_keys,
	.device_check = tcp_device_check,
};
