/* One net-snmp single session per device, driven by our loop: its UDP socket is
 * watched with loop_io_add and its retransmission/timeout clock with a loop timer, so
 * any number of devices have requests in flight without threads or blocking.
 *
 * Re-entrancy.  net-snmp calls a request's callback from inside snmp_sess_async_send
 * when the request cannot be built or sent, and it would call other requests'
 * callbacks there too while it probes an SNMPv3 engine synchronously.  So:
 *  - net-snmp never probes by itself (SNMP_FLAGS_DONT_PROBE stays set): we discover a
 *    v3 agent's engine ID with one unauthenticated request of our own, sent like any
 *    other; requests sent meanwhile wait for it.  The loop never blocks on it.
 *  - a request that ends inside a send (its own or any other) is kept with its outcome
 *    and handed to its owner from the loop right after (on_kick), never from within
 *    snmp_conn_send: every accepted request gets exactly one callback, and the caller
 *    of snmp_conn_send is never re-entered.
 * An engine that stops answering is forgotten (ID, boots/time, localized keys) and
 * discovered again when requests are next sent: an agent that rebooted with a new
 * engine ID, or with engineBoots reset, is read again at the next poll. */
#include "snmp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "dcmon/log.h"

enum req_state {
	REQ_SENT,    /* handed to net-snmp, which calls on_response when it ends */
	REQ_WAITING, /* v3: held, with its PDU, until the agent's engine is known */
	REQ_ENDED,   /* ended inside a send: handed to its owner from the loop (on_kick) */
};

/* A request accepted by snmp_conn_send whose callback has not run yet. */
struct conn_req {
	struct snmp_conn *conn;
	snmp_conn_cb cb;
	void *arg;
	enum req_state state;
	netsnmp_pdu *pdu;       /* WAITING: the request; ENDED: a copy of the answer or NULL */
	int err;                /* ENDED: 0 or negative errno */
	const char *report;     /* a REPORT came back: why (the request ends on its 2nd call) */
	const netsnmp_pdu *report_pdu; /* that REPORT, and its message id */
	long report_msgid;
	unsigned rx_bad_seen;   /* conn->rx_bad when sent: replies dropped since were for it */
	char reason[METRIC_REASON_MAX]; /* ENDED with err != 0: why */
	struct conn_req *next, *prev;
};

enum conn_engine {
	ENGINE_KNOWN,   /* v1/v2c, or the v3 agent's engine ID is known */
	ENGINE_UNKNOWN, /* v3: discovered when a request is sent */
	ENGINE_PROBING, /* v3: our discovery request is in flight */
};

struct snmp_conn {
	struct loop *loop;
	void *sess;           /* net-snmp single session handle */
	int fd;               /* its UDP socket, watched on the loop */
	int version;          /* SNMP_VERSION_* */
	char *name;           /* the device, for log lines */
	struct loop_timer *timer;
	int64_t timer_at_ms;  /* monotonic time the timer fires, 0 = none */
	struct loop_timer *kick; /* due now: ended requests or the engine probe to handle */
	struct conn_req *reqs; /* accepted, callback not run yet (sent, waiting or ended) */
	int inflight;         /* length of reqs */
	int busy;             /* > 0 while net-snmp runs our callbacks */
	int sending;          /* > 0 inside snmp_sess_async_send: endings are deferred */
	bool dead;            /* snmp_conn_free was called while busy: free afterwards */
	enum conn_engine engine;
	bool engine_stale;    /* v3: requests failed since the last answer: rediscover */
	bool probe_ended;     /* the discovery request's final callback came */
	int probe_err;        /* its outcome if no engine ID came back, and why */
	char probe_reason[METRIC_REASON_MAX];
	unsigned probe_rx_bad; /* rx_bad when it was sent */
	unsigned rx_bad;      /* replies net-snmp dropped: unparsable or failed security */
	int rx_err;           /* the last one's: -EBADMSG malformed, -EACCES security */
	char rx_reason[METRIC_REASON_MAX]; /* and why */
	struct log_complaint lib_complaint; /* net-snmp's own warnings about this device */
};

static void conn_destroy(struct snmp_conn *c);

/* ---- net-snmp's own log lines ------------------------------------------------------ */

/* The connection whose net-snmp call runs now: net-snmp's log lines name its device. */
static struct snmp_conn *lib_conn;
static struct log_complaint lib_complaint; /* lines with no device (trap receiver) */

/* Starts a stretch of net-snmp calls on c; returns the outer connection for conn_leave. */
static struct snmp_conn *conn_enter(struct snmp_conn *c)
{
	struct snmp_conn *outer = lib_conn;

	c->busy++;
	lib_conn = c;
	return outer;
}

/* Ends it: frees the connection if that was asked meanwhile (then false). */
static bool conn_leave(struct snmp_conn *c, struct snmp_conn *outer)
{
	lib_conn = outer;
	if (--c->busy == 0 && c->dead) {
		conn_destroy(c);
		return false;
	}
	return true;
}

/* net-snmp logs through this instead of writing raw lines to stderr: one key=value
 * line each, with the device when a connection's call is running.  Its warnings are
 * about what an agent sent (one per bad packet): rate-limited per device. */
static int on_lib_log(int major, int minor, void *server_arg, void *client_arg)
{
	const struct snmp_log_message *m = server_arg;
	const char *dev = lib_conn ? lib_conn->name : NULL;
	int len;

	(void)major, (void)minor, (void)client_arg;
	if (!m || !m->msg)
		return 0;
	len = (int)strlen(m->msg);
	while (len > 0 && (m->msg[len - 1] == '\n' || m->msg[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	if (m->priority >= LOG_DEBUG)
		log_debug("snmp", dev, "net-snmp: %.*s", len, m->msg);
	else if (m->priority >= LOG_NOTICE)
		log_info("snmp", dev, "net-snmp: %.*s", len, m->msg);
	else
		log_complain(lib_conn ? &lib_conn->lib_complaint : &lib_complaint, clock_mono_ms(),
			     "snmp", dev, "net-snmp: %.*s", len, m->msg);
	return 0;
}

static bool lib_ready;

void snmp_lib_init(void)
{
	if (lib_ready)
		return;
	lib_ready = true;
	/* numeric OIDs only: no MIB files, no config files, no persistent state */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIBDIRS, "/nonexistent");
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	/* with no handler net-snmp writes to stderr: ours turns its lines into our log's */
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_lib_log, NULL);
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	init_snmp("dcmond");
}

/* ---- the loop side ----------------------------------------------------------------- */

/* net-snmp takes socket sets; one set for all sessions (loop thread only), grown to the
 * highest descriptor seen, so a read or a re-arm neither allocates nor clears a set
 * of thousands of bits per packet.  Only the bit of the one socket in use is set and
 * cleared again.  NULL when it cannot grow (out of memory). */
static netsnmp_large_fd_set *scratch_set(int fd)
{
	static netsnmp_large_fd_set set;
	static int size; /* descriptors the set holds, 0 = not set up */

	if (size == 0) {
		size = fd + 1 > FD_SETSIZE ? fd + 1 : FD_SETSIZE;
		netsnmp_large_fd_set_init(&set, size);
	}
	if (fd >= size) {
		int want = size;
		while (want <= fd)
			want *= 2;
		if (!netsnmp_large_fd_set_resize(&set, want))
			return NULL;
		size = want;
	}
	return &set;
}

static void conn_rearm(struct snmp_conn *c);

static void on_timer(struct loop *loop, void *arg)
{
	struct snmp_conn *c = arg;
	struct snmp_conn *outer = conn_enter(c);

	c->timer = NULL;
	c->timer_at_ms = 0;
	snmp_sess_timeout(c->sess);
	if (conn_leave(c, outer))
		conn_rearm(c);
}

static void on_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct snmp_conn *c = arg;
	netsnmp_large_fd_set *fds = scratch_set(fd);
	struct snmp_conn *outer;

	if (!fds)
		return; /* out of memory: the datagram waits for the next readable event */
	outer = conn_enter(c);
	NETSNMP_LARGE_FD_SET(fd, fds);
	snmp_sess_read2(c->sess, fds);
	NETSNMP_LARGE_FD_CLR(fd, fds);
	if (conn_leave(c, outer))
		conn_rearm(c);
}

/* Sets the loop timer to net-snmp's next retransmission / timeout, if any. */
static void conn_rearm(struct snmp_conn *c)
{
	netsnmp_large_fd_set *fds;
	struct timeval tv = {0, 0};
	int nfds = 0, block = 1;
	int64_t at;

	if (c->inflight == 0) {
		loop_timer_cancel(c->loop, c->timer);
		c->timer = NULL;
		c->timer_at_ms = 0;
		return;
	}
	fds = scratch_set(c->fd);
	if (!fds)
		return; /* out of memory: the timer stays as it is */
	snmp_sess_select_info2_flags(c->sess, &nfds, fds, &tv, &block, NETSNMP_SELECT_NOALARMS);
	NETSNMP_LARGE_FD_CLR(c->fd, fds); /* the session set its socket's bit */
	if (block)
		return;
	at = loop_update_time(c->loop) + tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	if (c->timer && c->timer_at_ms == at)
		return;
	loop_timer_cancel(c->loop, c->timer);
	c->timer = loop_timer_at(c->loop, at, on_timer, c);
	c->timer_at_ms = c->timer ? at : 0;
}

static void on_kick(struct loop *loop, void *arg);

/* Asks for on_kick on the next loop iteration (once however often asked). */
static void conn_kick(struct snmp_conn *c)
{
	if (!c->kick)
		c->kick = loop_timer_add(c->loop, 0, on_kick, c);
}

/* ---- requests ---------------------------------------------------------------------- */

static void req_link(struct snmp_conn *c, struct conn_req *r)
{
	r->prev = NULL;
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	c->inflight++;
}

static void req_unlink(struct conn_req *r)
{
	struct snmp_conn *c = r->conn;

	if (r->prev)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	c->inflight--;
}

/* Unlinks r, runs its callback and frees it. */
static void req_deliver(struct conn_req *r, netsnmp_pdu *resp, int err, const char *reason)
{
	req_unlink(r);
	r->cb(r->arg, resp, err, reason);
	if (r->pdu)
		snmp_free_pdu(r->pdu);
	free(r);
}

/* Keeps r's outcome for on_kick (resp, if any, copied). */
static void req_defer(struct snmp_conn *c, struct conn_req *r, netsnmp_pdu *resp, int err,
		      const char *reason)
{
	if (r->pdu)
		snmp_free_pdu(r->pdu);
	r->pdu = NULL;
	if (err == 0 && !(r->pdu = snmp_clone_pdu(resp))) {
		err = -ENOMEM;
		reason = "out of memory";
	}
	r->state = REQ_ENDED;
	r->err = err;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	conn_kick(c);
}

/* A request ended with err (0: resp is the answer, valid during the call).  Inside a
 * send it is kept for on_kick; else its owner hears now. */
static void req_end(struct snmp_conn *c, struct conn_req *r, netsnmp_pdu *resp, int err,
		    const char *reason)
{
	if (c->version == SNMP_VERSION_3)
		c->engine_stale = err != 0;
	if (c->sending)
		req_defer(c, r, resp, err, reason);
	else
		req_deliver(r, resp, err, reason);
}

/* Why a REPORT came back.  SNMPv3: from the usmStats counter it carries. */
static const char *report_reason(const struct snmp_conn *c, const netsnmp_pdu *pdu)
{
	static const struct { oid last; const char *why; } usm[] = {
		{1, "SNMPv3 security level not supported by the agent"},
		{2, "SNMPv3 not in time window"},
		{3, "SNMPv3 unknown user name"},
		{4, "SNMPv3 unknown engine id"},
		{5, "SNMPv3 authentication failed (wrong auth key or protocol)"},
		{6, "SNMPv3 decryption failed (wrong priv key or protocol)"},
	};
	static const oid usm_stats[] = {1, 3, 6, 1, 6, 3, 15, 1, 1};
	const netsnmp_variable_list *v = pdu->variables;

	if (c->version != SNMP_VERSION_3)
		return c->version == SNMP_VERSION_1 ? "Report PDU from an SNMPv1 agent (request refused)"
						    : "Report PDU from an SNMPv2c agent (request refused)";
	if (v && v->name_length >= 10 && memcmp(v->name, usm_stats, sizeof(usm_stats)) == 0)
		for (size_t i = 0; i < sizeof(usm) / sizeof(usm[0]); i++)
			if (v->name[9] == usm[i].last)
				return usm[i].why;
	return "SNMPv3 report from the agent (request refused)";
}

/* A request that saw no answer: a timeout, unless replies came meanwhile that net-snmp
 * dropped (then what was wrong with them). */
static int no_answer(const struct snmp_conn *c, unsigned rx_bad_seen, const char **reason)
{
	if (c->rx_bad == rx_bad_seen) {
		*reason = "timeout";
		return -ETIMEDOUT;
	}
	*reason = c->rx_reason;
	return c->rx_err;
}

/* Why net-snmp could not build or send a request. */
static const char *send_failure(const struct snmp_conn *c, char *buf, size_t len)
{
	netsnmp_session *ss = snmp_sess_session(c->sess);

	if (ss && ss->s_errno)
		snprintf(buf, len, "send failed: %s", strerror(ss->s_errno));
	else
		snprintf(buf, len, "cannot build the request: %s",
			 snmp_api_errstring(ss ? ss->s_snmp_errno : SNMPERR_GENERR));
	return buf;
}

/* net-snmp hands a REPORT over twice, as SEC_ERROR and as RECEIVED_MESSAGE (the order
 * differs between its versions), or not at all when it resends the request at once
 * (notInTimeWindow).  The second call for one message ends the request. */
static bool report_seen_twice(const struct snmp_conn *c, struct conn_req *r, netsnmp_pdu *pdu)
{
	if (r->report_pdu == pdu && r->report_msgid == pdu->msgid)
		return true;
	r->report_pdu = pdu;
	r->report_msgid = pdu->msgid;
	r->report = report_reason(c, pdu);
	return false;
}

/* net-snmp's callback.  A request ends with one final call: RECEIVED_MESSAGE with the
 * answer, TIMED_OUT, SEND_FAILED, SEC_ERROR when it could not be built, or the second
 * call for a REPORT. */
static int on_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct conn_req *r = magic;
	struct snmp_conn *c = r->conn;
	const char *why;
	char buf[METRIC_REASON_MAX];
	int err;

	if (c->dead || r->state != REQ_SENT)
		return 1;
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
	case NETSNMP_CALLBACK_OP_SEC_ERROR:
		if (pdu && pdu->command == SNMP_MSG_REPORT) {
			if (report_seen_twice(c, r, pdu))
				req_end(c, r, NULL, -EACCES, r->report);
		} else if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
			req_end(c, r, pdu, 0, NULL);
		} else {
			snprintf(buf, sizeof(buf), "SNMPv3 security error: %s",
				 snmp_api_errstring(s->s_snmp_errno));
			req_end(c, r, NULL, -EACCES, buf);
		}
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		if (r->report) {
			req_end(c, r, NULL, -EACCES, r->report);
			break;
		}
		err = no_answer(c, r->rx_bad_seen, &why);
		req_end(c, r, NULL, err, why);
		break;
	case NETSNMP_CALLBACK_OP_SEND_FAILED:
		req_end(c, r, NULL, -EIO, send_failure(c, buf, sizeof(buf)));
		break;
	default: /* RESEND, CONNECT, DISCONNECT */
		break;
	}
	return 1;
}

/* Hands r's PDU to net-snmp.  Whatever ends inside the call waits for on_kick. */
static void req_send(struct snmp_conn *c, struct conn_req *r, netsnmp_pdu *pdu)
{
	char buf[METRIC_REASON_MAX];
	int sent;

	r->state = REQ_SENT;
	r->pdu = NULL;
	r->rx_bad_seen = c->rx_bad;
	c->sending++;
	sent = snmp_sess_async_send(c->sess, pdu, on_response, r);
	if (!sent) {
		snmp_free_pdu(pdu); /* on failure net-snmp leaves it to us */
		if (r->state == REQ_SENT)
			req_end(c, r, NULL, -EIO, send_failure(c, buf, sizeof(buf)));
	}
	c->sending--;
}

/* ---- SNMPv3 engine discovery --------------------------------------------------------- */

/* The user's keys localized to the agent's engine (net-snmp keeps them in a
 * process-wide list that another connection may have pruned). */
static void usm_user_ensure(netsnmp_session *ss)
{
	if (usm_get_user(ss->securityEngineID, ss->securityEngineIDLen, ss->securityName))
		return;
	ss->flags &= ~SNMP_FLAGS_USER_CREATED;
	usm_create_user_from_session(ss);
}

/* net-snmp keeps the v3 user (with its localized keys) in a process-wide list keyed by
 * engine id and name: drop it with the session or the engine, so a changed pass phrase
 * (reload) or another device's keys are never served from that cache. */
static void forget_usm_user(struct snmp_conn *c)
{
	netsnmp_session *ss = snmp_sess_session(c->sess);
	struct usmUser *u;

	if (!ss || c->version != SNMP_VERSION_3 || !ss->securityEngineIDLen || !ss->securityName)
		return;
	u = usm_get_user(ss->securityEngineID, ss->securityEngineIDLen, ss->securityName);
	if (u) {
		usm_remove_user(u);
		usm_free_user(u);
	}
}

/* Forgets the agent's engine: its ID, its boots and time, the keys localized to it.
 * Only with no request in net-snmp's hands (they were built for that engine). */
static void engine_forget(struct snmp_conn *c)
{
	netsnmp_session *ss = snmp_sess_session(c->sess);

	forget_usm_user(c);
	if (ss->securityEngineIDLen)
		free_enginetime(ss->securityEngineID, ss->securityEngineIDLen);
	free(ss->securityEngineID);
	free(ss->contextEngineID);
	ss->securityEngineID = ss->contextEngineID = NULL;
	ss->securityEngineIDLen = ss->contextEngineIDLen = 0;
	ss->flags &= ~SNMP_FLAGS_USER_CREATED;
	c->engine = ENGINE_UNKNOWN;
	c->engine_stale = false;
}

/* The discovery request ended (first call only): what its waiting requests end with
 * if no engine ID came back. */
static void probe_end(struct snmp_conn *c, int err, const char *reason)
{
	if (c->probe_ended)
		return;
	c->probe_ended = true;
	c->probe_err = err;
	snprintf(c->probe_reason, sizeof(c->probe_reason), "%s", reason);
	conn_kick(c);
}

/* The discovery request's callback: its REPORT carries the engine ID, which net-snmp
 * stores in the session after this returns; on_kick looks. */
static int on_probe(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct snmp_conn *c = magic;
	char buf[METRIC_REASON_MAX];
	const char *why;
	int err;

	if (c->dead || c->engine != ENGINE_PROBING || op == NETSNMP_CALLBACK_OP_RESEND)
		return 1;
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		err = no_answer(c, c->probe_rx_bad, &why);
		probe_end(c, err, why);
	} else if (op == NETSNMP_CALLBACK_OP_SEND_FAILED) {
		probe_end(c, -EIO, send_failure(c, buf, sizeof(buf)));
	} else {
		probe_end(c, -EPROTO, "SNMPv3 engine discovery failed (no engine ID in the reply)");
	}
	return 1;
}

/* Sends the discovery request (RFC 3414 4.): unauthenticated, no user, no varbind. */
static void probe_start(struct snmp_conn *c)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
	char buf[METRIC_REASON_MAX];

	c->engine = ENGINE_PROBING;
	c->probe_ended = false;
	c->probe_rx_bad = c->rx_bad;
	if (pdu) {
		pdu->version = SNMP_VERSION_3;
		pdu->securityModel = SNMP_SEC_MODEL_USM;
		pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
		pdu->securityName = strdup("");
	}
	c->sending++;
	if (!pdu || !pdu->securityName) {
		snmp_free_pdu(pdu);
		probe_end(c, -ENOMEM, "out of memory");
	} else if (!snmp_sess_async_send(c->sess, pdu, on_probe, c)) {
		snmp_free_pdu(pdu); /* on failure net-snmp leaves it to us */
		probe_end(c, -EIO, send_failure(c, buf, sizeof(buf)));
	}
	c->sending--;
}

/* The waiting requests, once the probe ended: sent if the engine is known now, else
 * ended with the probe's outcome (delivered by on_kick, which runs this). */
static void probe_finish(struct snmp_conn *c)
{
	netsnmp_session *ss = snmp_sess_session(c->sess);

	c->engine = ss->securityEngineIDLen ? ENGINE_KNOWN : ENGINE_UNKNOWN;
	if (c->engine == ENGINE_KNOWN)
		usm_user_ensure(ss);
	for (struct conn_req *r = c->reqs; r; r = r->next) {
		if (r->state != REQ_WAITING)
			continue;
		if (c->engine == ENGINE_KNOWN)
			req_send(c, r, r->pdu);
		else
			req_defer(c, r, NULL, c->probe_err, c->probe_reason);
	}
}

/* Runs outside net-snmp: finishes a probe, then hands ended requests to their owners. */
static void on_kick(struct loop *loop, void *arg)
{
	struct snmp_conn *c = arg;
	struct snmp_conn *outer = conn_enter(c);
	struct conn_req *r;

	c->kick = NULL;
	if (c->engine == ENGINE_PROBING && c->probe_ended)
		probe_finish(c);
	while (!c->dead) {
		for (r = c->reqs; r && r->state != REQ_ENDED; r = r->next)
			;
		if (!r)
			break;
		netsnmp_pdu *resp = r->pdu;
		r->pdu = NULL;
		req_deliver(r, resp, r->err, r->err ? r->reason : NULL);
		snmp_free_pdu(resp);
	}
	if (conn_leave(c, outer))
		conn_rearm(c);
}

static bool any_sent(const struct snmp_conn *c)
{
	for (const struct conn_req *r = c->reqs; r; r = r->next)
		if (r->state == REQ_SENT)
			return true;
	return false;
}

int snmp_conn_send(struct snmp_conn *c, netsnmp_pdu *pdu, snmp_conn_cb cb, void *arg)
{
	struct conn_req *r = calloc(1, sizeof(*r));
	struct snmp_conn *outer;

	if (!r) {
		snmp_free_pdu(pdu);
		return -ENOMEM;
	}
	r->conn = c;
	r->cb = cb;
	r->arg = arg;
	outer = conn_enter(c);
	if (c->engine == ENGINE_KNOWN && c->engine_stale && !any_sent(c))
		engine_forget(c);
	req_link(c, r);
	if (c->engine == ENGINE_KNOWN) {
		if (c->version == SNMP_VERSION_3)
			usm_user_ensure(snmp_sess_session(c->sess));
		req_send(c, r, pdu);
	} else {
		r->state = REQ_WAITING;
		r->pdu = pdu;
		if (c->engine == ENGINE_UNKNOWN)
			probe_start(c);
	}
	if (conn_leave(c, outer))
		conn_rearm(c);
	return 0;
}

int snmp_conn_inflight(const struct snmp_conn *c)
{
	return c->inflight;
}

int snmp_conn_version(const struct snmp_conn *c)
{
	return c->version;
}

/* Replies net-snmp drops never reach a request: parsing ends here (result != 0), and
 * the requests that then see no answer say why rather than "timeout". */
static bool security_error(int result)
{
	switch (result) {
	case SNMPERR_BAD_ENG_ID:
	case SNMPERR_BAD_SEC_LEVEL:
	case SNMPERR_UNKNOWN_SEC_MODEL:
	case SNMPERR_UNKNOWN_ENG_ID:
	case SNMPERR_UNKNOWN_USER_NAME:
	case SNMPERR_UNSUPPORTED_SEC_LEVEL:
	case SNMPERR_AUTHENTICATION_FAILURE:
	case SNMPERR_NOT_IN_TIME_WINDOW:
	case SNMPERR_DECRYPTION_ERR:
	case SNMPERR_USM_GENERICERROR:
	case SNMPERR_USM_UNKNOWNSECURITYNAME:
	case SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL:
	case SNMPERR_USM_ENCRYPTIONERROR:
	case SNMPERR_USM_AUTHENTICATIONFAILURE:
	case SNMPERR_USM_UNKNOWNENGINEID:
	case SNMPERR_USM_NOTINTIMEWINDOW:
	case SNMPERR_USM_DECRYPTIONERROR:
		return true;
	default:
		return false;
	}
}

/* net-snmp's text for a parse failure, without its "Generic error (...)" wrapping. */
static void parse_error_text(int result, char *buf, size_t len)
{
	static const char generic[] = "Generic error";
	const char *e = snmp_api_errstring(result);

	if (strncmp(e, generic, sizeof(generic) - 1) != 0) {
		snprintf(buf, len, "%s", e);
		return;
	}
	e += sizeof(generic) - 1;
	if (strncmp(e, " (", 2) == 0)
		e += 2;
	snprintf(buf, len, "%.*s", (int)strcspn(e, ")"), e);
}

static int on_parsed(netsnmp_session *s, netsnmp_pdu *pdu, int result)
{
	struct snmp_conn *c = s->callback_magic;
	char why[METRIC_REASON_MAX - 40];

	(void)pdu;
	if (result == SNMPERR_SUCCESS || !c)
		return 1;
	c->rx_bad++;
	parse_error_text(result, why, sizeof(why));
	c->rx_err = security_error(result) ? -EACCES : -EBADMSG;
	snprintf(c->rx_reason, sizeof(c->rx_reason), "%s%s%s",
		 c->rx_err == -EACCES ? "SNMPv3 reply rejected" : "malformed reply from the agent",
		 why[0] ? ": " : "", why);
	return 1;
}

/* ---- opening ---------------------------------------------------------------------- */

const oid *snmp_auth_oid(int proto)
{
	switch (proto) {
	case SNMPCFG_AUTH_MD5: return usmHMACMD5AuthProtocol;
	case SNMPCFG_AUTH_SHA: return usmHMACSHA1AuthProtocol;
	case SNMPCFG_AUTH_SHA224: return usmHMAC128SHA224AuthProtocol;
	case SNMPCFG_AUTH_SHA256: return usmHMAC192SHA256AuthProtocol;
	case SNMPCFG_AUTH_SHA384: return usmHMAC256SHA384AuthProtocol;
	case SNMPCFG_AUTH_SHA512: return usmHMAC384SHA512AuthProtocol;
	default: return usmNoAuthProtocol;
	}
}

/* Fills the USM fields of s from the config: user, level and keys from pass phrases. */
int snmp_session_v3(struct snmp_session *s, const struct cfg_snmp *c, char *err, size_t errlen)
{
	s->securityName = c->user;
	s->securityNameLen = strlen(c->user);
	s->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	if (c->context) {
		s->contextName = c->context;
		s->contextNameLen = strlen(c->context);
	}
	if (c->auth_proto == SNMPCFG_AUTH_NONE)
		return 0;
	s->securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
	s->securityAuthProto = (oid *)snmp_auth_oid(c->auth_proto);
	s->securityAuthProtoLen = USM_AUTH_PROTO_SHA_LEN;
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
			(const u_char *)c->auth_pass, strlen(c->auth_pass), s->securityAuthKey,
			&s->securityAuthKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the SNMPv3 auth key");
		return -EINVAL;
	}
	if (c->priv_proto == SNMPCFG_PRIV_NONE)
		return 0;
	s->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
	s->securityPrivProto = c->priv_proto == SNMPCFG_PRIV_DES ? usmDESPrivProtocol
								  : usmAESPrivProtocol;
	s->securityPrivProtoLen = USM_PRIV_PROTO_AES_LEN;
	s->securityPrivKeyLen = USM_PRIV_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
			(const u_char *)c->priv_pass, strlen(c->priv_pass), s->securityPrivKey,
			&s->securityPrivKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the SNMPv3 privacy key");
		return -EINVAL;
	}
	return 0;
}

static const int conn_versions[] = {SNMP_VERSION_1, SNMP_VERSION_2c, SNMP_VERSION_3};

/* Opens c's session.  net-snmp copies what it needs from s.  Through snmp_sess_add
 * rather than snmp_sess_open for its post-parse hook (on_parsed), which sees the
 * replies it drops. */
static void *open_session(struct snmp_conn *conn, const struct cfg_snmp *c, const char *host,
			  int64_t timeout_ms, char *err, size_t errlen)
{
	char peer[300];
	netsnmp_session s;
	netsnmp_transport *t;
	void *sess = NULL;

	snmp_sess_init(&s);
	snprintf(peer, sizeof(peer), strchr(host, ':') ? "udp6:[%s]:%d" : "udp:%s:%d", host,
		 c->port);
	s.peername = peer;
	s.version = conn_versions[c->version];
	s.timeout = (long)(timeout_ms * 1000);
	s.retries = c->retries;
	s.flags |= SNMP_FLAGS_DONT_PROBE;
	s.callback_magic = conn;
	if (c->version == SNMPCFG_V3) {
		if (snmp_session_v3(&s, c, err, errlen) < 0)
			return NULL;
	} else {
		s.community = (u_char *)c->community;
		s.community_len = strlen(c->community);
	}
	t = netsnmp_transport_open_client("snmp", peer);
	if (t)
		sess = snmp_sess_add(&s, t, NULL, on_parsed);
	explicit_bzero(s.securityAuthKey, sizeof(s.securityAuthKey));
	explicit_bzero(s.securityPrivKey, sizeof(s.securityPrivKey));
	if (!sess) {
		snprintf(err, errlen, "cannot open SNMP session to %s: %s", peer,
			 t ? snmp_api_errstring(s.s_snmp_errno) : "bad address");
		return NULL;
	}
	/* net-snmp clears this after opening, and would then discover a v3 engine
	 * synchronously inside the first send: we do it ourselves (probe_start) */
	snmp_sess_session(sess)->flags |= SNMP_FLAGS_DONT_PROBE;
	return sess;
}

struct snmp_conn *snmp_conn_new(struct loop *loop, const struct cfg_snmp *c, const char *host,
				const char *name, int64_t timeout_ms, char *err, size_t errlen)
{
	struct snmp_conn *conn = calloc(1, sizeof(*conn));
	netsnmp_transport *t;
	int rc;

	if (!conn || !(conn->name = strdup(name))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snmp_lib_init();
	conn->loop = loop;
	conn->version = conn_versions[c->version];
	conn->engine = conn->version == SNMP_VERSION_3 ? ENGINE_UNKNOWN : ENGINE_KNOWN;
	conn->sess = open_session(conn, c, host, timeout_ms, err, errlen);
	if (!conn->sess)
		goto fail;
	t = snmp_sess_transport(conn->sess);
	conn->fd = t ? t->sock : -1;
	rc = conn->fd >= 0 ? loop_io_add(loop, conn->fd, LOOP_READ, on_readable, conn) : -EBADF;
	if (rc < 0) {
		snprintf(err, errlen, "cannot watch the SNMP socket: %s", strerror(-rc));
		goto fail_sess;
	}
	return conn;
fail_sess:
	snmp_sess_close(conn->sess);
fail:
	if (conn)
		free(conn->name);
	free(conn);
	return NULL;
}

void snmp_conn_free(struct snmp_conn *c)
{
	if (!c)
		return;
	if (c->busy) {
		c->dead = true;
		return;
	}
	conn_destroy(c);
}

/* Closes the session (net-snmp calls back for what it still holds: ignored, dead) and
 * cancels every request not yet delivered. */
static void conn_destroy(struct snmp_conn *c)
{
	struct conn_req *r;

	loop_timer_cancel(c->loop, c->timer);
	loop_timer_cancel(c->loop, c->kick);
	loop_io_del(c->loop, c->fd);
	c->dead = true;
	forget_usm_user(c);
	snmp_sess_close(c->sess);
	while ((r = c->reqs))
		req_deliver(r, NULL, -ECANCELED, "cancelled");
	free(c->name);
	free(c);
}
