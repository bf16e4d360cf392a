/* The sweep of `dcmon discover` (dcmon/discover.h): up to `concurrency` addresses at
 * once on one loop, each asked in parallel over ICMP (icmp_sock.c, the ping poller's
 * socket), TCP (a non-blocking connect per port) and SNMP (the system group, then one
 * poll of the SNMP poller with no profile: its probe-by-answer picks the profiles).  An
 * address is done when its three answers are in; its memory is freed from a timer, never
 * inside the callback of the session that ended it. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dcmon/discover.h"
#include "dcmon/log.h"
#include "icmp_sock.h"
#include "pollutil.h"
#include "snmp_int.h"

#define TICK_MS 100          /* progress and stop checks */
#define ICMP_PAYLOAD 56

static const oid sys_descr[] = {1, 3, 6, 1, 2, 1, 1, 1, 0};
static const oid sys_object_id[] = {1, 3, 6, 1, 2, 1, 1, 2, 0};
static const oid sys_name[] = {1, 3, 6, 1, 2, 1, 1, 5, 0};

struct sweep;
struct dhost;

struct dtcp {
	struct dhost *host;
	int fd;                     /* -1 once ended */
	bool open;
};

enum dstage { STAGE_OFF, STAGE_SYSTEM, STAGE_POLL, STAGE_ENDED };

struct dhost {
	struct sweep *sw;
	struct dhost *prev, *next;   /* addresses in flight */
	struct discover_host h;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int pending;                 /* answers still awaited: icmp + tcp + snmp */
	struct loop_timer *deadline; /* ICMP and TCP give up */
	struct loop_timer *reap;     /* frees the host once done */
	struct loop_timer *icmp_timer; /* sends the echo */
	struct icmp_probe probe;
	bool icmp_pending;
	struct dtcp tcp[DISCOVER_PORTS_MAX];
	enum dstage stage;
	struct cfg_snmp snmp;
	struct cfg_device dev;
	struct snmp_dev *sd;
	struct poll_job job;
};

struct sweep {
	const struct discover_range *range;
	const struct discover_opts *o;
	const struct discover_cb *cb;
	volatile sig_atomic_t *stop;
	struct poller_env env;
	struct cfg cfg;
	uint64_t next, done;
	int inflight;
	bool stopped;
	bool icmp_held;              /* a reference on the shared ICMP sockets */
	bool icmp_ok;                /* ... and they could be opened (or were not tried) */
	struct dhost *hosts;
	struct loop_timer *tick;
};

bool discover_host_found(const struct discover_host *h)
{
	return h->ping || h->snmp || h->nopen > 0;
}

static void sweep_fill(struct sweep *sw);

/* ---- ending an address ---------------------------------------------------------- */

static void host_free(struct dhost *dh)
{
	struct loop *loop = dh->sw->env.loop;

	loop_timer_cancel(loop, dh->deadline);
	loop_timer_cancel(loop, dh->reap);
	loop_timer_cancel(loop, dh->icmp_timer);
	if (dh->icmp_pending)
		icmp_sock_forget(&dh->probe);
	for (size_t i = 0; i < dh->sw->o->nports; i++)
		if (dh->tcp[i].fd >= 0) {
			loop_io_del(loop, dh->tcp[i].fd);
			close(dh->tcp[i].fd);
		}
	dh->stage = STAGE_ENDED; /* the session's cancelled requests call back: ignored */
	snmp_poller.free(dh->sd);
	if (dh->prev)
		dh->prev->next = dh->next;
	else
		dh->sw->hosts = dh->next;
	if (dh->next)
		dh->next->prev = dh->prev;
	free(dh);
}

/* Reports the address (if anything answered) with its open ports in option order. */
static void host_report(struct dhost *dh)
{
	struct sweep *sw = dh->sw;

	dh->h.nopen = 0;
	for (size_t i = 0; i < sw->o->nports; i++)
		if (dh->tcp[i].open)
			dh->h.open_ports[dh->h.nopen++] = sw->o->ports[i];
	if (discover_host_found(&dh->h) && sw->cb->found)
		sw->cb->found(sw->cb->arg, &dh->h);
}

static void host_reap(struct loop *loop, void *arg)
{
	struct dhost *dh = arg;
	struct sweep *sw = dh->sw;

	dh->reap = NULL;
	host_report(dh);
	host_free(dh);
	sw->inflight--;
	sw->done++;
	sweep_fill(sw);
	if (sw->inflight == 0 && sw->next >= sw->range->count)
		loop_stop(loop);
}

/* One awaited answer came (or will not): the last one schedules the reap. */
static void host_answered(struct dhost *dh)
{
	if (--dh->pending > 0 || dh->reap)
		return;
	dh->reap = loop_timer_add(dh->sw->env.loop, 0, host_reap, dh);
}

/* ---- ICMP and TCP --------------------------------------------------------------- */

static void icmp_answer(struct icmp_probe *p, int err)
{
	struct dhost *dh = p->arg;

	dh->icmp_pending = false;
	if (err == 0) {
		dh->h.ping = true;
		dh->h.rtt_s = p->rtt_s;
	}
	host_answered(dh);
}

/* The echo goes out from a timer of its own, once the addresses being started have set
 * up their SNMP sessions (net-snmp's first one, v3 keys: milliseconds), so that the
 * round trip timed is the network's and not that setup. */
static void icmp_send(struct loop *loop, void *arg)
{
	struct dhost *dh = arg;
	int rc = -EPERM;

	(void)loop;
	dh->icmp_timer = NULL;
	dh->probe = (struct icmp_probe){.cb = icmp_answer, .arg = dh};
	if (dh->sw->icmp_ok)
		rc = icmp_sock_send(&dh->probe, (struct sockaddr *)&dh->ss, dh->sslen, ICMP_PAYLOAD);
	if (rc < 0 && dh->sw->icmp_ok && icmp_sock_is_raw(dh->ss.ss_family) < 0) {
		/* no socket (not a failed send): said once, the sweep goes on over SNMP, TCP */
		log_msg(LOG_LVL_ERROR, "discover", NULL, "no ICMP socket (%s): ping is not tried; "
			"allow it with net.ipv4.ping_group_range or CAP_NET_RAW", strerror(-rc));
		dh->sw->icmp_ok = false;
	}
	if (rc < 0) {
		host_answered(dh); /* unreachable at once (no route): nothing to wait for */
		return;
	}
	dh->icmp_pending = true;
}

static void icmp_start(struct dhost *dh)
{
	if (dh->sw->icmp_ok && (dh->icmp_timer = loop_timer_add(dh->sw->env.loop, 0, icmp_send, dh)))
		dh->pending++;
}

static void tcp_end(struct dtcp *t, bool open)
{
	struct loop *loop = t->host->sw->env.loop;

	loop_io_del(loop, t->fd);
	close(t->fd);
	t->fd = -1;
	t->open = open;
	host_answered(t->host);
}

static void tcp_ready(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct dtcp *t = arg;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	(void)loop;
	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	tcp_end(t, soerr == 0);
}

static void tcp_start(struct dhost *dh, size_t i)
{
	struct dtcp *t = &dh->tcp[i];
	struct sockaddr_storage ss = dh->ss;
	int port = dh->sw->o->ports[i];

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return;
	int rc = connect(t->fd, (struct sockaddr *)&ss, dh->sslen);
	if (rc < 0 && errno == EINPROGRESS &&
	    loop_io_add(dh->sw->env.loop, t->fd, LOOP_WRITE, tcp_ready, t) == 0) {
		dh->pending++;
		return;
	}
	t->open = rc == 0;
	close(t->fd);
	t->fd = -1;
}

/* ICMP and TCP have waited long enough: what has not answered is down or filtered. */
static void host_deadline(struct loop *loop, void *arg)
{
	struct dhost *dh = arg;

	(void)loop;
	dh->deadline = NULL;
	if (dh->icmp_pending) {
		icmp_sock_forget(&dh->probe);
		dh->icmp_pending = false;
		host_answered(dh);
	}
	for (size_t i = 0; i < dh->sw->o->nports; i++)
		if (dh->tcp[i].fd >= 0)
			tcp_end(&dh->tcp[i], false);
}

/* ---- SNMP ----------------------------------------------------------------------- */

static void agent_end(struct dhost *dh, const char *reason)
{
	if (reason && dh->h.snmp)
		snprintf(dh->h.snmp_reason, sizeof(dh->h.snmp_reason), "%s", reason);
	dh->stage = STAGE_ENDED;
	host_answered(dh);
}

static void poll_ended(struct poll_job *job, enum poll_outcome o, const char *reason)
{
	struct dhost *dh = (struct dhost *)((char *)job - offsetof(struct dhost, job));
	const struct snmp_profile *p = dh->sd->prof;

	(void)o;
	if (dh->stage != STAGE_POLL)
		return;
	if (p) {
		snprintf(dh->h.profile, sizeof(dh->h.profile), "%s", p->name);
		dh->h.kind = p->kind;
		for (size_t i = 0; dh->h.kind < 0 && i < p->nparts; i++)
			dh->h.kind = p->parts[i]->kind; /* the first part that names one */
		reason = NULL;
	}
	agent_end(dh, reason);
}

/* Printable ASCII of a string value, cut to len: control bytes become spaces and
 * others '?' (agents send Latin-1 as often as UTF-8; the stanza and JSON need text). */
static void text_of(const netsnmp_variable_list *v, char *buf, size_t len)
{
	size_t n = v->val_len < len - 1 ? v->val_len : len - 1;

	for (size_t i = 0; i < n; i++) {
		u_char c = v->val.string[i];
		buf[i] = c < 0x20 ? ' ' : c >= 0x7f ? '?' : (char)c;
	}
	buf[n] = '\0';
}

static void system_var(struct dhost *dh, const netsnmp_variable_list *v)
{
	if (v->type == ASN_OBJECT_ID && snmp_oid_compare(v->name, v->name_length, sys_object_id, 9) == 0) {
		size_t off = 0, n = v->val_len / sizeof(oid);
		for (size_t i = 0; i < n && off < sizeof(dh->h.sys_oid); i++)
			off += (size_t)snprintf(dh->h.sys_oid + off, sizeof(dh->h.sys_oid) - off,
						"%s%lu", i ? "." : "", (unsigned long)v->val.objid[i]);
	} else if (v->type == ASN_OCTET_STR) {
		if (snmp_oid_compare(v->name, v->name_length, sys_descr, 9) == 0)
			text_of(v, dh->h.sys_descr, sizeof(dh->h.sys_descr));
		else if (snmp_oid_compare(v->name, v->name_length, sys_name, 9) == 0)
			text_of(v, dh->h.sys_name, sizeof(dh->h.sys_name));
	}
}

static void system_answer(void *arg, netsnmp_pdu *resp, int err, const char *reason)
{
	struct dhost *dh = arg;

	if (dh->stage != STAGE_SYSTEM)
		return; /* the host is being freed */
	if (err || !resp) {
		agent_end(dh, reason);
		return;
	}
	dh->h.snmp = true;
	for (const netsnmp_variable_list *v = resp->variables; v; v = v->next_variable)
		system_var(dh, v);
	/* the poller's own probing, as dcmond's first poll of a device with no profile */
	dh->stage = STAGE_POLL;
	dh->job = (struct poll_job){.ts_ms = clock_wall_ms(), .done = poll_ended,
				    .deadline_ms = loop_now_ms(dh->sw->env.loop) + dh->dev.timeout_ms};
	snmp_poller.start(dh->sd, &dh->job);
}

static void agent_start(struct dhost *dh)
{
	const struct discover_opts *o = dh->sw->o;
	char err[160] = "";

	if (o->no_snmp)
		return;
	dh->snmp = o->snmp;
	dh->snmp.timeout_ms = o->timeout_ms;
	/* a poll is two rounds (selection, data) of a few requests, each with its retries */
	dh->dev = (struct cfg_device){.id = dh->h.addr, .host = dh->h.addr, .interval_ms = 60000,
				      .timeout_ms = o->timeout_ms * (o->snmp.retries + 1) * 4};
	*cfg_device_slot(&dh->dev, "snmp") = &dh->snmp;
	dh->sd = snmp_poller.create(&dh->sw->env, &dh->dev, err, sizeof(err));
	netsnmp_pdu *pdu = dh->sd ? snmp_pdu_create(SNMP_MSG_GET) : NULL;
	if (!pdu) {
		log_warnx("discover", dh->h.addr, "cannot ask SNMP: %s", err[0] ? err : "out of memory");
		return;
	}
	snmp_add_null_var(pdu, sys_object_id, 9);
	snmp_add_null_var(pdu, sys_descr, 9);
	snmp_add_null_var(pdu, sys_name, 9);
	dh->stage = STAGE_SYSTEM;
	dh->pending++;
	if (snmp_conn_send(dh->sd->conn, pdu, system_answer, dh) < 0) {
		dh->stage = STAGE_OFF;
		dh->pending--;
	}
}

/* ---- the sweep ------------------------------------------------------------------- */

static int host_addr(struct dhost *dh)
{
	char err[64];

	return pollutil_resolve(dh->h.addr, 0, &dh->ss, &dh->sslen, err, sizeof(err));
}

static void host_start(struct sweep *sw, uint64_t i)
{
	struct dhost *dh = calloc(1, sizeof(*dh));

	if (!dh) {
		sw->done++;
		return;
	}
	dh->sw = sw;
	dh->h.kind = -1;
	discover_range_addr(sw->range, i, dh->h.addr, sizeof(dh->h.addr));
	for (size_t p = 0; p < DISCOVER_PORTS_MAX; p++)
		dh->tcp[p] = (struct dtcp){.host = dh, .fd = -1};
	dh->next = sw->hosts;
	if (sw->hosts)
		sw->hosts->prev = dh;
	sw->hosts = dh;
	sw->inflight++;
	if (host_addr(dh) == 0) {
		icmp_start(dh);
		for (size_t p = 0; p < sw->o->nports; p++)
			tcp_start(dh, p);
		agent_start(dh);
		dh->deadline = loop_timer_add(sw->env.loop, sw->o->timeout_ms, host_deadline, dh);
	}
	dh->pending++; /* this start's own share, so an address that awaits nothing ends */
	host_answered(dh);
}

static void sweep_fill(struct sweep *sw)
{
	while (!sw->stopped && sw->inflight < sw->o->concurrency && sw->next < sw->range->count)
		host_start(sw, sw->next++);
}

static void sweep_tick(struct loop *loop, void *arg)
{
	struct sweep *sw = arg;

	sw->tick = loop_timer_add(loop, TICK_MS, sweep_tick, sw);
	if (sw->cb->progress)
		sw->cb->progress(sw->cb->arg, sw->done, sw->range->count);
	if (sw->stop && *sw->stop) {
		sw->stopped = true;
		loop_stop(loop);
	}
}

/* Room for every socket of the sweep (a TCP socket per port and an SNMP session per
 * address in flight): the soft limit goes up to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Addresses still in flight when the sweep is stopped: what they answered so far. */
static void sweep_cut(struct sweep *sw)
{
	while (sw->hosts) {
		host_report(sw->hosts);
		host_free(sw->hosts);
	}
}

int discover_run(const struct discover_range *r, const struct discover_opts *o,
		 const struct discover_cb *cb, volatile sig_atomic_t *stop, char *err,
		 size_t errlen)
{
	struct sweep sw = {.range = r, .o = o, .cb = cb, .stop = stop};
	int rc = 0;

	raise_fd_limit();
	sw.cfg.daemon.profiles_dir = (char *)o->profiles_dir;
	sw.env = (struct poller_env){.loop = loop_new(), .reg = metric_reg_new(), .cfg = &sw.cfg};
	if (!sw.env.loop || !sw.env.reg) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	/* held for the sweep: the cache keeps a profile while it has a reference, so the
	 * directory is parsed once, not again after each agent's poll, and before the first
	 * echo is timed */
	size_t nprof = 0;
	struct snmp_profile **prof = o->no_snmp ? NULL : snmp_profiles_all(o->profiles_dir, &nprof);
	if (!o->no_snmp && nprof == 0) {
		snprintf(err, errlen, "no SNMP profile in %s (--profiles DIR)", o->profiles_dir);
		snmp_profiles_put_all(prof, nprof);
		rc = -ENOENT;
		goto out;
	}
	sw.icmp_ok = sw.icmp_held = icmp_sock_acquire(sw.env.loop) == 0;
	sw.tick = loop_timer_add(sw.env.loop, TICK_MS, sweep_tick, &sw);
	sweep_fill(&sw);
	if (sw.inflight > 0 && (rc = loop_run(sw.env.loop)) < 0)
		snprintf(err, errlen, "event loop: %s", strerror(-rc));
	sweep_cut(&sw); /* none left unless stopped (or the loop failed) */
	if (sw.stopped)
		rc = -EINTR;
	loop_timer_cancel(sw.env.loop, sw.tick);
	if (cb->progress)
		cb->progress(cb->arg, sw.done, r->count);
	if (sw.icmp_held)
		icmp_sock_release();
	snmp_profiles_put_all(prof, nprof);
out:
	metric_reg_free(sw.env.reg);
	loop_free(sw.env.loop);
	return rc;
}
