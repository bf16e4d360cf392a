/* The trap and inform receiver: a net-snmp server session on the daemon's loop.  Only
 * listed communities and v3 users (at their security level) are accepted, and an inform
 * is answered only after that check: a wrong guess gets no answer.  A trap from a
 * configured device asks for a re-poll (through the guard's hold-off) and updates the
 * device's `trap_received_total` and `trap_last_state` metrics; what is dropped (over
 * the source's rate, rejected, from an address of no device) is counted and summed up
 * by the guard (snmp_trap_guard.c), never logged per datagram.  A v1/v2c trap proves
 * nothing about its sender (UDP source addresses are easily forged): the facility
 * takes a trap's state only when the device's own poll cannot confirm or deny it. */
#include "snmp_int.h"
#include "snmp_trap_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dcmon/log.h"

/* A v3 user's name and the least security level its notifications must have. */
struct trap_user {
	char *name;
	int level; /* SNMP_SEC_LEVEL_* */
};

struct snmp_trapd {
	const struct poller_env *env;
	char **communities;       /* copies of the config's (a reload frees the config) */
	size_t ncommunities;
	struct trap_user *users;
	size_t nusers;
	struct trap_guard *guard;
	void *sess;
	int fd;
	int port;
	bool handled;             /* the datagram being read reached on_notification */
	snmp_trap_listener listener; /* accepted notifications (the event store), may be NULL */
	void *listener_arg;
};

/* Known notifications: the value of `trap_last_state` is the index + 1 (0 = other). */
static const struct {
	const char *oid;
	const char *name;
} known_traps[] = {
	{"1.3.6.1.2.1.33.2.1", "on_battery"},        /* UPS-MIB upsTrapOnBattery */
	{"1.3.6.1.2.1.33.2.2", "test_completed"},    /* upsTrapTestCompleted */
	{"1.3.6.1.2.1.33.2.3", "alarm_added"},       /* upsTrapAlarmEntryAdded */
	{"1.3.6.1.2.1.33.2.4", "alarm_removed"},     /* upsTrapAlarmEntryRemoved */
	{"1.3.6.1.6.3.1.1.5.1", "cold_start"},
	{"1.3.6.1.6.3.1.1.5.2", "warm_start"},
	{"1.3.6.1.6.3.1.1.5.3", "link_down"},
	{"1.3.6.1.6.3.1.1.5.4", "link_up"},
	{"1.3.6.1.6.3.1.1.5.5", "authentication_failure"},
};
#define NKNOWN (sizeof(known_traps) / sizeof(known_traps[0]))

static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}; /* snmpTrapOID.0 */

/* The notification OID: snmpTrapOID.0 (v2c/v3), or RFC 3584's mapping of a v1 trap;
 * its length (0: none, or longer than max). */
static size_t trap_oid(const netsnmp_pdu *pdu, oid *out, size_t max)
{
	static const oid generic[] = {1, 3, 6, 1, 6, 3, 1, 1, 5}; /* snmpTraps */
	size_t n = pdu->enterprise ? pdu->enterprise_length : 0;

	if (pdu->command == SNMP_MSG_TRAP && pdu->trap_type != SNMP_TRAP_ENTERPRISESPECIFIC) {
		memcpy(out, generic, sizeof(generic));
		out[9] = (oid)pdu->trap_type + 1;
		return 10;
	}
	if (pdu->command == SNMP_MSG_TRAP) {
		if (n + 2 > max)
			return 0;
		if (n)
			memcpy(out, pdu->enterprise, n * sizeof(oid));
		out[n] = 0;
		out[n + 1] = (oid)pdu->specific_type;
		return n + 2;
	}
	for (const netsnmp_variable_list *v = pdu->variables; v; v = v->next_variable)
		if (v->name_length == 11 && memcmp(v->name, trap_oid_oid, sizeof(trap_oid_oid)) == 0 &&
		    v->type == ASN_OBJECT_ID && v->val.objid) {
			n = v->val_len / sizeof(oid);
			if (n > max)
				return 0;
			memcpy(out, v->val.objid, n * sizeof(oid));
			return n;
		}
	return 0;
}

static int known_index(const char *oidtext)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(known_traps[i].oid, oidtext) == 0)
			return (int)i;
	return -1;
}

/* An IPv4/IPv6 address as text, "" for other families. */
static void sockaddr_text(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sa->sa_family == AF_INET && salen >= (socklen_t)sizeof(struct sockaddr_in))
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
			  (socklen_t)len);
	else if (sa->sa_family == AF_INET6 && salen >= (socklen_t)sizeof(struct sockaddr_in6))
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

/* The sender's address (IPv4/IPv6 UDP), "" if unknown. */
static void source_text(const netsnmp_pdu *pdu, char *buf, size_t len)
{
	buf[0] = '\0';
	if (pdu->transport_data && pdu->transport_data_length > 0)
		sockaddr_text(pdu->transport_data, (socklen_t)pdu->transport_data_length, buf, len);
}

static const struct cfg_device *device_by_address(const struct cfg *cfg, const char *addr)
{
	for (size_t i = 0; cfg && i < cfg->ndevices; i++) {
		const struct cfg_device *d = &cfg->devices[i];
		const struct cfg_snmp *s = snmp_device_cfg(d);
		const char *h = s && s->host ? s->host : d->host;
		if (h && strcmp(h, addr) == 0)
			return d;
	}
	return NULL;
}

/* The value of a varbind as text (bounded), through the poller's value decoding. */
static void varbind_value(struct snmp_vals *vals, const netsnmp_variable_list *v, char *buf,
			  size_t len)
{
	snmp_vals_put_var(vals, v);
	const struct snmp_val *sv = snmp_vals_get(vals, v->name, v->name_length);
	if (sv && sv->type == SV_ERR)
		snprintf(buf, len, "(%s)", sv->text);
	else if (sv)
		snmp_val_text(sv, buf, len);
	else
		buf[0] = '\0';
}

/* The varbinds as "oid=value ..." (bounded) for the log. */
static void varbinds_text(const netsnmp_pdu *pdu, char *buf, size_t len)
{
	struct snmp_vals *vals = snmp_vals_new();
	size_t off = 0;

	buf[0] = '\0';
	for (const netsnmp_variable_list *v = pdu->variables; vals && v && off < len;
	     v = v->next_variable) {
		char name[128], value[96];
		snmp_oid_format(v->name, v->name_length, name, sizeof(name));
		varbind_value(vals, v, value, sizeof(value));
		int n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", name, value);
		off += n > 0 ? (size_t)n : 0;
	}
	snmp_vals_free(vals);
}

/* A varbind's value as text, an integer its MIB enumerates as "down(2)". */
static void varbind_decoded(struct snmp_vals *vals, const netsnmp_variable_list *v, char *buf,
			    size_t len)
{
	if (v->type == ASN_INTEGER && v->val.integer &&
	    snmp_mib_enum_text(v->name, v->name_length, *v->val.integer, buf, len))
		return;
	varbind_value(vals, v, buf, len);
}

/* Hands an accepted notification to the listener, named and decoded by the MIBs read
 * at start-up (snmp_mib.c). */
static void notify_listener(struct snmp_trapd *t, const netsnmp_pdu *pdu, const char *src,
			    const struct cfg_device *dev, const oid *tv, size_t tlen,
			    const char *toid, int known)
{
	static char names[SNMP_TRAP_VARBINDS_MAX][128], values[SNMP_TRAP_VARBINDS_MAX][256];
	struct snmp_trap_note note = {.source = src, .device = dev ? dev->id : NULL,
				      .trap_oid = toid,
				      .trap_name = known >= 0 ? known_traps[known].name : NULL,
				      .notification = snmp_mib_notification(tv, tlen)};
	struct snmp_vals *vals;

	if (!t->listener || !(vals = snmp_vals_new()))
		return;
	for (const netsnmp_variable_list *v = pdu->variables; v && note.nvb < SNMP_TRAP_VARBINDS_MAX;
	     v = v->next_variable) {
		snmp_mib_varbind_name(v->name, v->name_length, names[note.nvb], sizeof(names[0]));
		varbind_decoded(vals, v, values[note.nvb], sizeof(values[0]));
		note.vb_names[note.nvb] = names[note.nvb];
		note.vb_values[note.nvb] = values[note.nvb];
		note.nvb++;
	}
	snmp_vals_free(vals);
	t->listener(t->listener_arg, &note);
}

void snmp_trapd_set_listener(struct snmp_trapd *t, snmp_trap_listener fn, void *arg)
{
	if (!t)
		return;
	t->listener = fn;
	t->listener_arg = arg;
}

static bool community_ok(const struct snmp_trapd *t, const netsnmp_pdu *pdu)
{
	for (size_t i = 0; i < t->ncommunities; i++)
		if (pdu->community && strlen(t->communities[i]) == pdu->community_len &&
		    memcmp(t->communities[i], pdu->community, pdu->community_len) == 0)
			return true;
	return false;
}

/* net-snmp has authenticated a v3 message for a user it knows, but a user with
 * authentication may also send unauthenticated (noAuthNoPriv) messages, which anyone
 * who knows the name can forge: the level must be the user's own. */
static bool v3_user_ok(const struct snmp_trapd *t, const netsnmp_pdu *pdu)
{
	for (size_t i = 0; i < t->nusers; i++)
		if (pdu->securityName && strlen(t->users[i].name) == pdu->securityNameLen &&
		    memcmp(t->users[i].name, pdu->securityName, pdu->securityNameLen) == 0)
			return pdu->securityLevel >= t->users[i].level;
	return false;
}

static bool credentials_ok(const struct snmp_trapd *t, const netsnmp_pdu *pdu)
{
	return pdu->version == SNMP_VERSION_3 ? v3_user_ok(t, pdu) : community_ok(t, pdu);
}

/* The device's trap metrics, and a poll (at once or at the end of its hold-off). */
static bool device_event(struct snmp_trapd *t, const struct cfg_device *dev, int known)
{
	static struct metric_enum names[NKNOWN + 1];
	struct metric_desc count = {.name = "trap_received_total", .kind = METRIC_COUNTER,
				    .interval_ms = dev->interval_ms};
	struct metric_desc last = {.name = "trap_last_state", .kind = METRIC_STATE,
				   .interval_ms = dev->interval_ms, .enums = names,
				   .nenums = NKNOWN + 1};
	int64_t now = clock_wall_ms();
	struct metric *m;

	names[0] = (struct metric_enum){0, "other"};
	for (size_t i = 0; i < NKNOWN; i++)
		names[i + 1] = (struct metric_enum){(int)i + 1, known_traps[i].name};
	if ((m = metric_reg_get(t->env->reg, dev->id, &count)))
		metric_put(t->env->reg, m, now, isnan(metric_raw(m)) ? 1 : metric_raw(m) + 1);
	if ((m = metric_reg_get(t->env->reg, dev->id, &last)))
		metric_put(t->env->reg, m, now, known + 1);
	return trap_guard_repoll(t->guard, dev->id, loop_now_ms(t->env->loop));
}

/* Answers an inform (the sender retries until it gets this); only after the
 * credentials were checked, so that a wrong guess is never answered. */
static void ack_inform(struct snmp_trapd *t, netsnmp_pdu *pdu)
{
	netsnmp_pdu *reply = snmp_clone_pdu(pdu);

	if (!reply)
		return;
	reply->command = SNMP_MSG_RESPONSE;
	reply->errstat = 0;
	reply->errindex = 0;
	if (!snmp_sess_send(t->sess, reply))
		snmp_free_pdu(reply);
}

/* Logs an accepted trap: at INFO when it polls the device now (at most once per
 * hold-off), at DEBUG for the others (a flood says one line per hold-off). */
static void log_trap(const netsnmp_pdu *pdu, const struct cfg_device *dev, int known,
		     const char *toid, const char *src, bool polled)
{
	enum log_level lvl = polled ? LOG_LVL_INFO : LOG_LVL_DEBUG;
	const char *then = polled ? "polling it now" : "poll held off";
	char vbs[600];

	if (known >= 0) {
		log_msg(lvl, "snmp_trap", dev->id, "trap %s (%s) from %s: %s",
			known_traps[known].name, toid, src, then);
		return;
	}
	varbinds_text(pdu, vbs, sizeof(vbs));
	log_msg(lvl, "snmp_trap", dev->id, "unknown trap %s from %s: %s; %s", toid, src, vbs, then);
}

static void on_notification(struct snmp_trapd *t, netsnmp_pdu *pdu)
{
	char src[INET6_ADDRSTRLEN], toid[160];
	oid tv[MAX_OID_LEN];
	const struct cfg_device *dev;

	source_text(pdu, src, sizeof(src));
	if (!credentials_ok(t, pdu)) {
		trap_guard_drop(t->guard, SNMP_TRAP_DROP_REJECTED, src);
		return;
	}
	if (pdu->command == SNMP_MSG_INFORM)
		ack_inform(t, pdu);
	size_t tlen = trap_oid(pdu, tv, MAX_OID_LEN);
	snmp_oid_format(tv, tlen, toid, sizeof(toid));
	int known = known_index(toid);
	dev = device_by_address(t->env->cfg, src);
	notify_listener(t, pdu, src, dev, tv, tlen, toid, known); /* kept, known source or not */
	if (!dev) {
		trap_guard_drop(t->guard, SNMP_TRAP_DROP_UNKNOWN_SOURCE, src);
		return;
	}
	bool polled = device_event(t, dev, known);
	log_trap(pdu, dev, known, toid, src, polled);
}

static int on_pdu(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct snmp_trapd *t = magic;

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || !pdu)
		return 1;
	if (pdu->command == SNMP_MSG_TRAP || pdu->command == SNMP_MSG_TRAP2 ||
	    pdu->command == SNMP_MSG_INFORM) {
		t->handled = true;
		on_notification(t, pdu);
	}
	return 1;
}

/* One datagram: its sender is looked at first (MSG_PEEK), and one over its rate is
 * discarded unparsed; the rest go to net-snmp, which calls on_pdu for what it could
 * parse and authenticate. */
static void on_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct snmp_trapd *t = arg;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	netsnmp_large_fd_set fds;
	char byte;

	bool peeked =
	    recvfrom(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT, (struct sockaddr *)&ss, &sslen) >= 0;
	if (peeked &&
	    !trap_guard_admit(t->guard, (struct sockaddr *)&ss, sslen, loop_now_ms(loop))) {
		(void)recv(fd, &byte, 1, MSG_DONTWAIT);
		return;
	}
	t->handled = false;
	netsnmp_large_fd_set_init(&fds, fd + 1);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	snmp_sess_read2(t->sess, &fds); /* also clears a socket error the peek met */
	netsnmp_large_fd_set_cleanup(&fds);
	if (peeked && !t->handled) {
		char src[INET6_ADDRSTRLEN] = "";
		sockaddr_text((struct sockaddr *)&ss, sslen, src, sizeof(src));
		trap_guard_drop(t->guard, SNMP_TRAP_DROP_REJECTED, src);
	}
}

/* ---- v3 users -------------------------------------------------------------------- */

/* net-snmp answers a v3 message that fails its checks with a Report, and hands one
 * with a wrong digest to the session's callback.  For the trap session only the
 * reports a notification receiver needs go out -- an unknown engine id (a sender
 * discovering ours) and not-in-time-window (sent after authentication) -- so a wrong
 * user, key or security level is neither answered nor seen by on_pdu.  Other sessions
 * (the pollers') keep net-snmp's handling. */
static SecmodHandleReport *usm_report_default;

static void trap_usm_report(struct session_list *slp, netsnmp_transport *tr,
			    netsnmp_session *s, int result, netsnmp_pdu *pdu)
{
	bool trap_session = s && s->callback == on_pdu;
	if (!trap_session || result == SNMPERR_USM_UNKNOWNENGINEID ||
	    result == SNMPERR_USM_NOTINTIMEWINDOW)
		usm_report_default(slp, tr, s, result, pdu);
}

static void filter_usm_reports(void)
{
	struct snmp_secmod_def *usm = find_sec_mod(USM_SEC_MODEL_NUMBER);

	if (!usm || usm->handle_report == trap_usm_report)
		return;
	if (!usm->handle_report) {
		log_warnx("snmp_trap", NULL, "net-snmp has no USM report handler to filter");
		return;
	}
	usm_report_default = usm->handle_report;
	usm->handle_report = trap_usm_report;
}

/* Localizes a pass phrase for engine id e; returns a malloc'ed key or NULL. */
static u_char *local_key(const oid *proto, const char *pass, const u_char *e, size_t elen,
			 size_t *klen)
{
	u_char ku[USM_AUTH_KU_LEN], *kul = malloc(USM_AUTH_KU_LEN);
	size_t kulen = sizeof(ku);

	*klen = USM_AUTH_KU_LEN;
	if (!kul || generate_Ku(proto, USM_AUTH_PROTO_SHA_LEN, (const u_char *)pass, strlen(pass),
				ku, &kulen) != SNMPERR_SUCCESS ||
	    generate_kul(proto, USM_AUTH_PROTO_SHA_LEN, e, elen, ku, kulen, kul, klen) !=
		    SNMPERR_SUCCESS) {
		free(kul);
		return NULL;
	}
	explicit_bzero(ku, sizeof(ku));
	return kul;
}

/* Adds user u for engine e (the sender's for traps, ours for informs). */
static int add_usm_user(const struct cfg_snmp_trap_user *u, const u_char *e, size_t elen)
{
	struct usmUser *user = usm_create_user();
	const oid *ap = snmp_auth_oid(u->auth_proto);

	if (!user)
		return -ENOMEM;
	user->name = strdup(u->user);
	user->secName = strdup(u->user);
	user->engineID = netsnmp_memdup(e, elen);
	user->engineIDLen = elen;
	if (u->auth_proto != SNMPCFG_AUTH_NONE) {
		free(user->authProtocol);
		user->authProtocol = snmp_duplicate_objid(ap, USM_AUTH_PROTO_SHA_LEN);
		user->authKey = local_key(ap, u->auth_pass, e, elen, &user->authKeyLen);
	}
	if (u->priv_proto != SNMPCFG_PRIV_NONE) {
		free(user->privProtocol);
		user->privProtocol = snmp_duplicate_objid(u->priv_proto == SNMPCFG_PRIV_DES
								  ? usmDESPrivProtocol
								  : usmAESPrivProtocol,
							  USM_PRIV_PROTO_AES_LEN);
		user->privKey = local_key(ap, u->priv_pass, e, elen, &user->privKeyLen);
		if (user->privKey && u->priv_proto == SNMPCFG_PRIV_AES)
			user->privKeyLen = 16; /* AES-128 uses the first 16 bytes */
	}
	if (!user->name || (u->auth_proto != SNMPCFG_AUTH_NONE && !user->authKey)) {
		usm_free_user(user);
		return -EINVAL;
	}
	usm_add_user(user);
	return 0;
}

/* Engine id written in hex ("0x8000...", or without 0x); length or -EINVAL. */
static int hex_engine(const char *s, u_char *out, size_t max)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s[0] && s[1] && n < max; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			return -EINVAL;
		out[n++] = (u_char)v;
	}
	return s[0] ? -EINVAL : (int)n;
}

static void add_users(const struct cfg_snmp_trap *tc)
{
	u_char local[64], sender[64];
	size_t llen = snmpv3_get_engineID(local, sizeof(local));

	for (size_t i = 0; i < tc->nusers; i++) {
		const struct cfg_snmp_trap_user *u = &tc->users[i];
		int n = u->engine_id ? hex_engine(u->engine_id, sender, sizeof(sender)) : -1;
		if (n > 0 && add_usm_user(u, sender, (size_t)n) < 0)
			log_warnx("snmp_trap", NULL, "cannot add trap user %s", u->user);
		if (llen > 0 && add_usm_user(u, local, llen) < 0) /* informs */
			log_warnx("snmp_trap", NULL, "cannot add inform user %s", u->user);
	}
}

/* ---- lifecycle -------------------------------------------------------------------- */

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* The credentials of tc, copied: 0 or -ENOMEM. */
static int copy_credentials(struct snmp_trapd *t, const struct cfg_snmp_trap *tc)
{
	t->communities = calloc(tc->ncommunities + 1, sizeof(*t->communities));
	t->users = calloc(tc->nusers + 1, sizeof(*t->users));
	if (!t->communities || !t->users)
		return -ENOMEM;
	for (; t->ncommunities < tc->ncommunities; t->ncommunities++)
		if (!(t->communities[t->ncommunities] = strdup(tc->communities[t->ncommunities])))
			return -ENOMEM;
	for (; t->nusers < tc->nusers; t->nusers++) {
		const struct cfg_snmp_trap_user *u = &tc->users[t->nusers];
		struct trap_user *tu = &t->users[t->nusers];
		tu->level = u->priv_proto != SNMPCFG_PRIV_NONE	 ? SNMP_SEC_LEVEL_AUTHPRIV
			    : u->auth_proto != SNMPCFG_AUTH_NONE ? SNMP_SEC_LEVEL_AUTHNOPRIV
								 : SNMP_SEC_LEVEL_NOAUTH;
		if (!(tu->name = strdup(u->user)))
			return -ENOMEM;
	}
	return 0;
}

/* net-snmp's transport spec for a numeric address (IPv6 in brackets). */
static void listen_spec(const struct cfg_snmp_trap *tc, char *buf, size_t len)
{
	const char *addr = tc->listen ? tc->listen : "127.0.0.1";
	if (strchr(addr, ':'))
		snprintf(buf, len, "udp6:[%s]:%d", addr, tc->port);
	else
		snprintf(buf, len, "udp:%s:%d", addr, tc->port);
}

/* The server session on spec, watched by the loop: 0 or -1 with err. */
static int open_session(struct snmp_trapd *t, const char *spec, char *err, size_t errlen)
{
	netsnmp_session s;
	netsnmp_transport *tr = netsnmp_transport_open_server("snmptrap", spec);

	if (!tr) {
		snprintf(err, errlen, "cannot listen for traps on %s", spec);
		return -1;
	}
	snmp_sess_init(&s);
	s.callback = on_pdu;
	s.callback_magic = t;
	s.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
	s.version = SNMP_DEFAULT_VERSION;
	t->sess = snmp_sess_add(&s, tr, NULL, NULL);
	if (!t->sess) {
		snprintf(err, errlen, "cannot open the trap session");
		return -1;
	}
	t->fd = tr->sock;
	t->port = bound_port(t->fd);
	if (loop_io_add(t->env->loop, t->fd, LOOP_READ, on_readable, t) < 0) {
		snprintf(err, errlen, "cannot watch the trap socket");
		snmp_sess_close(t->sess);
		t->sess = NULL;
		return -1;
	}
	return 0;
}

struct snmp_trapd *snmp_trapd_new(const struct poller_env *env, const struct cfg_snmp_trap *tc,
				  char *err, size_t errlen)
{
	struct snmp_trapd *t = calloc(1, sizeof(*t));
	char spec[300];

	if (t)
		t->env = env;
	if (!t || copy_credentials(t, tc) < 0 || !(t->guard = trap_guard_new(env, tc))) {
		snprintf(err, errlen, "out of memory");
		snmp_trapd_free(t);
		return NULL;
	}
	snmp_lib_init();
	snmp_mibs_load(tc->mibs, tc->nmibs, tc->mibs_given); /* once, never per trap */
	filter_usm_reports();
	add_users(tc);
	listen_spec(tc, spec, sizeof(spec));
	if (open_session(t, spec, err, errlen) < 0) {
		snmp_trapd_free(t);
		return NULL;
	}
	log_info("snmp_trap", NULL, "listening for traps and informs on %s (port %d)", spec,
		 t->port);
	return t;
}

void snmp_trapd_free(struct snmp_trapd *t)
{
	if (!t)
		return;
	if (t->sess) {
		loop_io_del(t->env->loop, t->fd);
		snmp_sess_close(t->sess);
	}
	trap_guard_free(t->guard);
	for (size_t i = 0; i < t->ncommunities; i++)
		free(t->communities[i]);
	free(t->communities);
	for (size_t i = 0; i < t->nusers; i++)
		free(t->users[i].name);
	free(t->users);
	free(t);
}

int snmp_trapd_port(const struct snmp_trapd *t)
{
	return t->port;
}

uint64_t snmp_trapd_received(const struct snmp_trapd *t)
{
	return trap_guard_received(t->guard);
}

uint64_t snmp_trapd_dropped(const struct snmp_trapd *t, enum snmp_trap_drop why)
{
	return trap_guard_dropped(t->guard, why);
}
