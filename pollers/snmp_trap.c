/* The trap and inform receiver: a net-snmp server session on the daemon's loop.  A trap
 * from a configured device asks for an immediate re-poll (env->repoll) and updates the
 * device's `trap_received_total` and `trap_last_state` metrics, which rules act on at
 * once; traps from unknown sources or with unknown OIDs are logged (source and
 * varbinds, never the community) and counted. */
#include "snmp_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dcmon/log.h"

struct snmp_trapd {
	const struct poller_env *env;
	const struct cfg_snmp_trap *tc;
	void *sess;
	int fd;
	int port;
	uint64_t received, unknown;
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

/* The notification OID: snmpTrapOID.0 (v2c/v3), or RFC 3584's mapping of a v1 trap. */
static void trap_oid_text(const netsnmp_pdu *pdu, char *buf, size_t len)
{
	buf[0] = '\0';
	if (pdu->command == SNMP_MSG_TRAP) {
		if (pdu->trap_type != SNMP_TRAP_ENTERPRISESPECIFIC) {
			snprintf(buf, len, "1.3.6.1.6.3.1.1.5.%ld", pdu->trap_type + 1);
			return;
		}
		snmp_oid_format(pdu->enterprise, pdu->enterprise_length, buf, len);
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, ".0.%ld", pdu->specific_type);
		return;
	}
	for (const netsnmp_variable_list *v = pdu->variables; v; v = v->next_variable)
		if (v->name_length == 11 && memcmp(v->name, trap_oid_oid, sizeof(trap_oid_oid)) == 0 &&
		    v->type == ASN_OBJECT_ID && v->val.objid) {
			snmp_oid_format(v->val.objid, v->val_len / sizeof(oid), buf, len);
			return;
		}
}

static int known_index(const char *oidtext)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(known_traps[i].oid, oidtext) == 0)
			return (int)i;
	return -1;
}

/* The sender's address (IPv4/IPv6 UDP), "" if unknown. */
static void source_text(const netsnmp_pdu *pdu, char *buf, size_t len)
{
	const struct sockaddr *sa = pdu->transport_data;

	buf[0] = '\0';
	if (!sa || pdu->transport_data_length < (int)sizeof(struct sockaddr_in))
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6 &&
		 pdu->transport_data_length >= (int)sizeof(struct sockaddr_in6))
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

static const struct cfg_device *device_by_address(const struct cfg *cfg, const char *addr)
{
	for (size_t i = 0; cfg && i < cfg->ndevices; i++) {
		const struct cfg_device *d = &cfg->devices[i];
		const char *h = d->snmp && d->snmp->host ? d->snmp->host : d->host;
		if (h && strcmp(h, addr) == 0)
			return d;
	}
	return NULL;
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
		snmp_vals_put_var(vals, v);
		const struct snmp_val *sv = snmp_vals_get(vals, v->name, v->name_length);
		snmp_oid_format(v->name, v->name_length, name, sizeof(name));
		if (sv && sv->type == SV_ERR)
			snprintf(value, sizeof(value), "(%s)", sv->text);
		else if (sv)
			snmp_val_text(sv, value, sizeof(value));
		else
			value[0] = '\0';
		int n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", name, value);
		off += n > 0 ? (size_t)n : 0;
	}
	snmp_vals_free(vals);
}

static bool community_ok(const struct snmp_trapd *t, const netsnmp_pdu *pdu)
{
	if (pdu->version == SNMP_VERSION_3 || t->tc->ncommunities == 0)
		return true;
	for (size_t i = 0; i < t->tc->ncommunities; i++)
		if (pdu->community && strlen(t->tc->communities[i]) == pdu->community_len &&
		    memcmp(t->tc->communities[i], pdu->community, pdu->community_len) == 0)
			return true;
	return false;
}

static void device_event(struct snmp_trapd *t, const struct cfg_device *dev, int known)
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
		metric_put(t->env->reg, m, now, isnan(m->raw) ? 1 : m->raw + 1);
	if ((m = metric_reg_get(t->env->reg, dev->id, &last)))
		metric_put(t->env->reg, m, now, known + 1);
	if (t->env->repoll)
		t->env->repoll(t->env->repoll_arg, dev->id);
}

/* Answers an inform (the sender retries until it gets this). */
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

static void on_notification(struct snmp_trapd *t, netsnmp_pdu *pdu)
{
	char src[INET6_ADDRSTRLEN], toid[160], vbs[600];
	const struct cfg_device *dev;
	int known;

	t->received++;
	source_text(pdu, src, sizeof(src));
	trap_oid_text(pdu, toid, sizeof(toid));
	if (pdu->command == SNMP_MSG_INFORM)
		ack_inform(t, pdu);
	if (!community_ok(t, pdu)) {
		t->unknown++;
		log_warnx("snmp_trap", NULL, "trap from %s with a community not accepted: ignored", src);
		return;
	}
	dev = device_by_address(t->env->cfg, src);
	known = known_index(toid);
	if (!dev || known < 0) {
		t->unknown++;
		varbinds_text(pdu, vbs, sizeof(vbs));
		log_warnx("snmp_trap", dev ? dev->id : NULL, "%s trap %s from %s: %s",
			  dev ? "unknown" : "unknown source,", toid, src, vbs);
	} else {
		log_info("snmp_trap", dev->id, "trap %s (%s) from %s", known_traps[known].name, toid,
			 src);
	}
	if (dev)
		device_event(t, dev, known);
}

static int on_pdu(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct snmp_trapd *t = magic;

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || !pdu)
		return 1;
	if (pdu->command == SNMP_MSG_TRAP || pdu->command == SNMP_MSG_TRAP2 ||
	    pdu->command == SNMP_MSG_INFORM)
		on_notification(t, pdu);
	return 1;
}

static void on_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct snmp_trapd *t = arg;
	netsnmp_large_fd_set fds;

	netsnmp_large_fd_set_init(&fds, fd + 1);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	snmp_sess_read2(t->sess, &fds);
	netsnmp_large_fd_set_cleanup(&fds);
}

/* ---- v3 users -------------------------------------------------------------------- */

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

struct snmp_trapd *snmp_trapd_new(const struct poller_env *env, const struct cfg_snmp_trap *tc,
				  char *err, size_t errlen)
{
	struct snmp_trapd *t = calloc(1, sizeof(*t));
	char spec[300];
	netsnmp_session s;
	netsnmp_transport *tr;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snmp_lib_init();
	t->env = env;
	t->tc = tc;
	add_users(tc);
	snprintf(spec, sizeof(spec), "udp:%s:%d", tc->listen ? tc->listen : "0.0.0.0", tc->port);
	tr = netsnmp_transport_open_server("snmptrap", spec);
	if (!tr) {
		snprintf(err, errlen, "cannot listen for traps on %s", spec);
		free(t);
		return NULL;
	}
	snmp_sess_init(&s);
	s.callback = on_pdu;
	s.callback_magic = t;
	s.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
	s.version = SNMP_DEFAULT_VERSION;
	t->sess = snmp_sess_add(&s, tr, NULL, NULL);
	if (!t->sess) {
		snprintf(err, errlen, "cannot open the trap session");
		free(t);
		return NULL;
	}
	t->fd = tr->sock;
	t->port = bound_port(t->fd);
	if (loop_io_add(env->loop, t->fd, LOOP_READ, on_readable, t) < 0) {
		snprintf(err, errlen, "cannot watch the trap socket");
		snmp_sess_close(t->sess);
		free(t);
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
	loop_io_del(t->env->loop, t->fd);
	snmp_sess_close(t->sess);
	free(t);
}

int snmp_trapd_port(const struct snmp_trapd *t)
{
	return t->port;
}

uint64_t snmp_trapd_received(const struct snmp_trapd *t)
{
	return t->received;
}

uint64_t snmp_trapd_unknown(const struct snmp_trapd *t)
{
	return t->unknown;
}
