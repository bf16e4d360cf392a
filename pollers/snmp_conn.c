/* One net-snmp single session per device, driven by our loop: its UDP socket is
 * watched with loop_io_add and its retransmission/timeout clock with a loop timer, so
 * any number of devices have requests in flight without threads or blocking.
 * SNMPv3 engine discovery and time sync happen inside the async exchange
 * (SNMP_FLAGS_DONT_PROBE): opening a session never blocks. */
#include "snmp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "dcmon/log.h"

/* One request in flight: net-snmp's callback magic. */
struct conn_req {
	struct snmp_conn *conn;
	snmp_conn_cb cb;
	void *arg;
	bool sec_error;       /* a security error was signalled before the final callback */
	struct conn_req *next, *prev;
};

struct snmp_conn {
	struct loop *loop;
	void *sess;           /* net-snmp single session handle */
	int fd;               /* its UDP socket, watched on the loop */
	int version;          /* SNMP_VERSION_* */
	struct loop_timer *timer;
	int64_t timer_at_ms;  /* monotonic time the timer fires, 0 = none */
	struct conn_req *reqs; /* in flight */
	int inflight;
	int busy;             /* > 0 while net-snmp runs our callbacks */
	bool dead;            /* snmp_conn_free was called while busy: free afterwards */
};

static void conn_destroy(struct snmp_conn *c);

/* Ends a stretch of net-snmp calls: frees the connection if that was asked meanwhile. */
static bool conn_leave(struct snmp_conn *c)
{
	if (--c->busy == 0 && c->dead) {
		conn_destroy(c);
		return false;
	}
	return true;
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
	snmp_disable_log();
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

	c->timer = NULL;
	c->timer_at_ms = 0;
	c->busy++;
	snmp_sess_timeout(c->sess);
	if (conn_leave(c))
		conn_rearm(c);
}

static void on_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct snmp_conn *c = arg;
	netsnmp_large_fd_set *fds = scratch_set(fd);

	if (!fds)
		return; /* out of memory: the datagram waits for the next readable event */
	NETSNMP_LARGE_FD_SET(fd, fds);
	c->busy++;
	snmp_sess_read2(c->sess, fds);
	NETSNMP_LARGE_FD_CLR(fd, fds);
	if (conn_leave(c))
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

/* ---- requests ---------------------------------------------------------------------- */

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

/* Why a v3 REPORT came back, from the usmStats counter it carries. */
static const char *report_reason(const netsnmp_pdu *pdu)
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

	if (v && v->name_length >= 10 && memcmp(v->name, usm_stats, sizeof(usm_stats)) == 0)
		for (size_t i = 0; i < sizeof(usm) / sizeof(usm[0]); i++)
			if (v->name[9] == usm[i].last)
				return usm[i].why;
	return "SNMPv3 report from the agent (request refused)";
}

/* net-snmp's callback: one per request, except that a security error may be signalled
 * first (op SEC_ERROR) and then the REPORT delivered. */
static int on_response(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct conn_req *r = magic;

	if (!r || r->conn->dead)
		return 1;
	if (op == NETSNMP_CALLBACK_OP_SEC_ERROR) {
		r->sec_error = true;
		return 1;
	}
	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && op != NETSNMP_CALLBACK_OP_TIMED_OUT &&
	    op != NETSNMP_CALLBACK_OP_SEND_FAILED)
		return 1;
	req_unlink(r);
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT)
		r->cb(r->arg, NULL, -ETIMEDOUT, "timeout");
	else if (op == NETSNMP_CALLBACK_OP_SEND_FAILED)
		r->cb(r->arg, NULL, -EIO, "send failed");
	else if (pdu->command == SNMP_MSG_REPORT)
		r->cb(r->arg, NULL, -EACCES, report_reason(pdu));
	else if (r->sec_error)
		r->cb(r->arg, NULL, -EACCES, "SNMPv3 security error");
	else
		r->cb(r->arg, pdu, 0, NULL);
	free(r);
	return 1;
}

int snmp_conn_send(struct snmp_conn *c, netsnmp_pdu *pdu, snmp_conn_cb cb, void *arg)
{
	struct conn_req *r = calloc(1, sizeof(*r));

	if (!r) {
		snmp_free_pdu(pdu);
		return -ENOMEM;
	}
	r->conn = c;
	r->cb = cb;
	r->arg = arg;
	if (snmp_sess_async_send(c->sess, pdu, on_response, r) == 0) {
		snmp_free_pdu(pdu);
		free(r);
		return -EIO;
	}
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	c->inflight++;
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
static int setup_v3(netsnmp_session *s, const struct cfg_snmp *c, char *err, size_t errlen)
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

/* net-snmp copies what it needs from s in snmp_sess_open. */
static void *open_session(const struct cfg_snmp *c, const char *host, int64_t timeout_ms,
			  char *err, size_t errlen)
{
	char peer[300];
	netsnmp_session s;
	void *sess;

	snmp_sess_init(&s);
	snprintf(peer, sizeof(peer), strchr(host, ':') ? "udp6:[%s]:%d" : "udp:%s:%d", host,
		 c->port);
	s.peername = peer;
	s.version = conn_versions[c->version];
	s.timeout = (long)(timeout_ms * 1000);
	s.retries = c->retries;
	s.flags |= SNMP_FLAGS_DONT_PROBE;
	if (c->version == SNMPCFG_V3) {
		if (setup_v3(&s, c, err, errlen) < 0)
			return NULL;
	} else {
		s.community = (u_char *)c->community;
		s.community_len = strlen(c->community);
	}
	sess = snmp_sess_open(&s);
	explicit_bzero(s.securityAuthKey, sizeof(s.securityAuthKey));
	explicit_bzero(s.securityPrivKey, sizeof(s.securityPrivKey));
	if (!sess)
		snprintf(err, errlen, "cannot open SNMP session to %s: %s", peer,
			 snmp_api_errstring(s.s_snmp_errno));
	return sess;
}

struct snmp_conn *snmp_conn_new(struct loop *loop, const struct cfg_snmp *c, const char *host,
				int64_t timeout_ms, char *err, size_t errlen)
{
	struct snmp_conn *conn = calloc(1, sizeof(*conn));
	netsnmp_transport *t;
	int rc;

	if (!conn) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snmp_lib_init();
	conn->loop = loop;
	conn->version = conn_versions[c->version];
	conn->sess = open_session(c, host, timeout_ms, err, errlen);
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

/* net-snmp keeps the v3 user (with its localized keys) in a process-wide list keyed by
 * engine id and name: drop it with the session, so a changed pass phrase (reload)
 * or another device's keys are never served from that cache. */
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

static void conn_destroy(struct snmp_conn *c)
{
	struct conn_req *r, *next;

	loop_timer_cancel(c->loop, c->timer);
	loop_io_del(c->loop, c->fd);
	c->dead = true;
	forget_usm_user(c);
	snmp_sess_close(c->sess);
	for (r = c->reqs; r; r = next) {
		next = r->next;
		r->cb(r->arg, NULL, -ECANCELED, "cancelled");
		free(r);
	}
	free(c);
}
