/* One notification to one manager, on a worker thread: the outbox's JSON back into
 * DCMON-MIB's varbinds, a net-snmp session of its own (single-session API: nothing
 * shared with the loop's pollers but net-snmp's process-wide setup), a v2c trap handed
 * to the socket or an inform sent and waited for (the session's timeout and retries;
 * the notifier retries a failed one later).  A v3 inform discovers the manager's engine
 * when the session opens. */
#include "nb_int.h"

#include <errno.h>
#include <jansson.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the payload ----------------------------------------------------------------- */

char *nb_payload(const char *manager, enum nb_event ev, const struct nb_alert *a,
		 int64_t uptime_cs)
{
	json_t *o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:i, s:i, s:I, s:s, s:s, s:I}",
			      "manager", manager, "event", (int)ev, "id", (json_int_t)a->id,
			      "device", a->device, "rule", a->rule, "metric", a->metric,
			      "severity", a->severity, "state", a->state, "since",
			      (json_int_t)(a->since_ms / 1000), "value", a->value, "summary",
			      a->summary, "uptime", (json_int_t)uptime_cs);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

char *nb_payload_manager(const char *payload)
{
	json_t *o = json_loads(payload, 0, NULL);
	const char *m = json_string_value(json_object_get(o, "manager"));
	char *copy = m ? strdup(m) : NULL;
	json_decref(o);
	return copy;
}

/* ---- the PDU --------------------------------------------------------------------- */

static const oid sys_uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

/* dcmonAlertEntry's columns a notification carries (DCMON-MIB's OBJECTS order), and
 * where each is in the payload. */
static const struct {
	unsigned column;
	const char *key;
	u_char type;
} note_objects[] = {
	{2, "device", ASN_OCTET_STR}, {3, "rule", ASN_OCTET_STR},
	{4, "metric", ASN_OCTET_STR}, {5, "severity", ASN_INTEGER},
	{6, "state", ASN_INTEGER},    {7, "since", ASN_UNSIGNED},
	{9, "value", ASN_OCTET_STR},  {10, "summary", ASN_OCTET_STR},
};

static void add_object(netsnmp_pdu *pdu, unsigned column, u_long id, u_char type,
		       const json_t *v)
{
	oid name[] = {NB_MIB_OID, 1, 2, 1, column, id};
	if (type == ASN_OCTET_STR) {
		const char *s = json_string_value(v);
		snmp_pdu_add_variable(pdu, name, OID_LENGTH(name), type, s ? s : "",
				      s ? strlen(s) : 0);
		return;
	}
	long n = (long)json_integer_value(v);
	snmp_pdu_add_variable(pdu, name, OID_LENGTH(name), type, &n, sizeof(n));
}

static netsnmp_pdu *note_pdu(const char *payload, bool inform, char *why, size_t len)
{
	json_t *o = json_loads(payload, 0, NULL);
	json_int_t ev = json_integer_value(json_object_get(o, "event"));
	if (!o || ev < NB_EV_RAISED || ev > NB_EV_CLEARED) {
		snprintf(why, len, "a notification of the outbox is not readable");
		json_decref(o);
		return NULL;
	}
	netsnmp_pdu *pdu = snmp_pdu_create(inform ? SNMP_MSG_INFORM : SNMP_MSG_TRAP2);
	u_long uptime = (u_long)json_integer_value(json_object_get(o, "uptime"));
	oid note[] = {NB_MIB_OID, 0, (oid)ev};
	u_long id = (u_long)json_integer_value(json_object_get(o, "id"));
	snmp_pdu_add_variable(pdu, sys_uptime_oid, OID_LENGTH(sys_uptime_oid), ASN_TIMETICKS,
			      &uptime, sizeof(uptime));
	snmp_pdu_add_variable(pdu, trap_oid_oid, OID_LENGTH(trap_oid_oid), ASN_OBJECT_ID, note,
			      sizeof(note));
	for (size_t i = 0; i < sizeof(note_objects) / sizeof(note_objects[0]); i++)
		add_object(pdu, note_objects[i].column, id, note_objects[i].type,
			   json_object_get(o, note_objects[i].key));
	json_decref(o);
	return pdu;
}

/* ---- the session ------------------------------------------------------------------- */

static void *open_session(struct nb_send *s, char *why, size_t len)
{
	char peer[300];
	netsnmp_session ss;
	snmp_sess_init(&ss);
	snprintf(peer, sizeof(peer), strchr(s->snmp.host, ':') ? "udp6:[%s]:%d" : "udp:%s:%d",
		 s->snmp.host, s->snmp.port);
	ss.peername = peer;
	ss.version = s->snmp.version == SNMPCFG_V3 ? SNMP_VERSION_3 : SNMP_VERSION_2c;
	ss.timeout = (long)(s->snmp.timeout_ms * 1000);
	ss.retries = s->snmp.retries;
	if (s->snmp.version == SNMPCFG_V3) {
		if (snmp_session_v3(&ss, &s->snmp, why, len) < 0)
			return NULL;
	} else {
		ss.community = (u_char *)s->snmp.community;
		ss.community_len = strlen(s->snmp.community);
	}
	void *sess = snmp_sess_open(&ss);
	explicit_bzero(ss.securityAuthKey, sizeof(ss.securityAuthKey));
	explicit_bzero(ss.securityPrivKey, sizeof(ss.securityPrivKey));
	if (!sess)
		snprintf(why, len, "%.120s: %.70s", peer, snmp_api_errstring(ss.s_snmp_errno));
	return sess;
}

static void session_error(void *sess, const char *what, char *why, size_t len)
{
	int liberr = 0, syserr = 0;
	char *msg = NULL;
	snmp_sess_error(sess, &liberr, &syserr, &msg);
	snprintf(why, len, "%s: %s", what, msg ? msg : "failed");
	free(msg);
}

void nb_send_run(struct nb_send *s)
{
	s->rc = -1;
	netsnmp_pdu *pdu = note_pdu(s->payload, s->inform, s->why, sizeof(s->why));
	void *sess = pdu ? open_session(s, s->why, sizeof(s->why)) : NULL;
	if (!sess) {
		snmp_free_pdu(pdu);
		return;
	}
	if (!s->inform) {
		if (snmp_sess_send(sess, pdu))
			s->rc = 0;
		else {
			session_error(sess, "trap not sent", s->why, sizeof(s->why));
			snmp_free_pdu(pdu);
		}
	} else {
		netsnmp_pdu *resp = NULL;
		int st = snmp_sess_synch_response(sess, pdu, &resp);
		if (st == STAT_SUCCESS && resp && resp->errstat == SNMP_ERR_NOERROR)
			s->rc = 0;
		else if (st == STAT_TIMEOUT)
			snprintf(s->why, sizeof(s->why), "inform not acknowledged (no response "
				 "in %d tries)", s->snmp.retries + 1);
		else if (st == STAT_SUCCESS)
			snprintf(s->why, sizeof(s->why), "inform refused: %s",
				 snmp_errstring((int)(resp ? resp->errstat : SNMP_ERR_GENERR)));
		else
			session_error(sess, "inform not sent", s->why, sizeof(s->why));
		snmp_free_pdu(resp);
	}
	snmp_sess_close(sess);
}

/* ---- the job's copies -------------------------------------------------------------- */

static int dup_field(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst ? 0 : -ENOMEM;
}

int nb_send_init(struct nb_send *s, const struct cfg_nb_manager *m, const char *payload)
{
	const struct cfg_snmp *c = m->snmp;
	*s = (struct nb_send){.inform = m->notify == NB_NOTIFY_INFORM};
	s->snmp = (struct cfg_snmp){.port = c->port, .version = c->version,
				    .auth_proto = c->auth_proto, .priv_proto = c->priv_proto,
				    .timeout_ms = c->timeout_ms, .retries = c->retries};
	if (dup_field(&s->snmp.host, c->host) < 0 || dup_field(&s->snmp.community, c->community) ||
	    dup_field(&s->snmp.user, c->user) < 0 || dup_field(&s->snmp.auth_pass, c->auth_pass) ||
	    dup_field(&s->snmp.priv_pass, c->priv_pass) < 0 ||
	    dup_field(&s->snmp.context, c->context) < 0 || dup_field(&s->payload, payload) < 0) {
		nb_send_clear(s);
		return -ENOMEM;
	}
	return 0;
}

/* Frees the copies, wiping the secrets. */
void nb_send_clear(struct nb_send *s)
{
	char *secrets[] = {s->snmp.community, s->snmp.auth_pass, s->snmp.priv_pass};
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (secrets[i])
			explicit_bzero(secrets[i], strlen(secrets[i]));
	cfg_fields_free(snmp_cfg_keys, &s->snmp);
	free(s->payload);
	*s = (struct nb_send){0};
}
