/* The daemon's `snmp_trap:` section: where to listen, which communities and v3 users
 * may send traps and informs, and the limits that keep a flood cheap. */
#include "snmp_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcmon/config_keys.h"

#define TU(f) offsetof(struct cfg_snmp_trap_user, f)
static const struct cfg_key trap_user_keys[] = {
	{.name = "user", .type = CFGK_STRING, .offset = TU(user), .required = true},
	{.name = "auth_proto", .type = CFGK_ENUM, .offset = TU(auth_proto),
	 .names = snmp_cfg_auth_names},
	{.name = "auth_pass", .type = CFGK_STRING, .offset = TU(auth_pass)},
	{.name = "priv_proto", .type = CFGK_ENUM, .offset = TU(priv_proto),
	 .names = snmp_cfg_priv_names},
	{.name = "priv_pass", .type = CFGK_STRING, .offset = TU(priv_pass)},
	{.name = "engine_id", .type = CFGK_STRING, .offset = TU(engine_id),
	 .expect = "the sender's engine id in hex, like 0x8000000001020304"},
	{.name = NULL},
};

static void trap_user_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_snmp_trap_user *u = elem;

	u->auth_proto = -1;
	u->priv_proto = -1;
	u->pos = node->pos;
}

/* Protocol defaults, pass phrase lengths, and no pass phrase in a file others read. */
static int trap_user_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			   void *ctx)
{
	struct cfg_snmp_trap_user *u = elem;
	struct stat st;
	int rc = 0;

	if (u->auth_proto < 0)
		u->auth_proto = u->auth_pass ? SNMPCFG_AUTH_SHA : SNMPCFG_AUTH_NONE;
	if (u->priv_proto < 0)
		u->priv_proto = u->priv_pass ? SNMPCFG_PRIV_AES : SNMPCFG_PRIV_NONE;
	if (u->auth_proto != SNMPCFG_AUTH_NONE && (!u->auth_pass || strlen(u->auth_pass) < 8)) {
		cfg_error(d, &node->pos, "auth_pass must be at least 8 characters");
		rc = -EINVAL;
	}
	if (u->priv_proto != SNMPCFG_PRIV_NONE &&
	    (u->auth_proto == SNMPCFG_AUTH_NONE || !u->priv_pass || strlen(u->priv_pass) < 8)) {
		cfg_error(d, &node->pos, "privacy needs authentication and a priv_pass of 8+ characters");
		rc = -EINVAL;
	}
	if ((u->auth_pass || u->priv_pass) && node->pos.file && stat(node->pos.file, &st) == 0 &&
	    (st.st_mode & S_IROTH)) {
		cfg_error(d, &node->pos, "SNMPv3 pass phrase in %s, which others can read: chmod 600 it",
			  node->pos.file);
		rc = -EINVAL;
	}
	return rc;
}

#define TR(f) offsetof(struct cfg_snmp_trap, f)
const struct cfg_key snmp_trap_cfg_keys[] = {
	{.name = "listen", .type = CFGK_STRING, .offset = TR(listen),
	 .expect = "a numeric IPv4 or IPv6 address like 127.0.0.1"},
	{.name = "port", .type = CFGK_INT, .offset = TR(port), .min = 0, .max = 65535},
	{.name = "communities", .type = CFGK_STRLIST, .offset = TR(communities),
	 .count_offset = TR(ncommunities)},
	{.name = "users", .type = CFGK_SEQ, .offset = TR(users), .count_offset = TR(nusers),
	 .sub = trap_user_keys, .elem_size = sizeof(struct cfg_snmp_trap_user),
	 .what = "trap user", .init = trap_user_init, .check = trap_user_check},
	{.name = "source_rate", .type = CFGK_INT, .offset = TR(source_rate), .min = 1,
	 .max = 100000, .expect = "datagrams per source address per second, 1..100000"},
	{.name = "repoll_min_interval", .type = CFGK_DURATION,
	 .offset = TR(repoll_min_interval_ms), .min = 1000, .max = 3600000,
	 .expect = "a duration, 1s..1h"},
	{.name = "summary_interval", .type = CFGK_DURATION, .offset = TR(summary_interval_ms),
	 .min = 1000, .max = 3600000, .expect = "a duration, 1s..1h"},
	{.name = "mibs", .type = CFGK_STRLIST, .offset = TR(mibs), .count_offset = TR(nmibs)},
	{.name = NULL},
};

void snmp_trap_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_snmp_trap *t = elem;

	t->port = 162;
	t->source_rate = 20;
	t->repoll_min_interval_ms = 10000;
	t->summary_interval_ms = 60000;
	t->pos = node->pos;
}

/* An address to bind to (no wildcard default: where traps are taken from is a decision)
 * and credentials: v2c traps with any community would be anyone's. */
int snmp_trap_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_snmp_trap *t = elem;
	int rc = 0;

	t->mibs_given = cfgnode_get(node, "mibs") != NULL; /* mibs: [] reads none */
	if (!t->listen) {
		cfg_error(d, &node->pos, "snmp_trap: listen is required: the local address to take "
					 "traps on (0.0.0.0 only if every interface should)");
		rc = -EINVAL;
	} else if (!cfg_ip_literal_valid(t->listen)) {
		cfg_error(d, &node->pos,
			  "snmp_trap: listen: expected a numeric IPv4 or IPv6 address, got '%s'",
			  t->listen);
		rc = -EINVAL;
	}
	if (t->ncommunities == 0 && t->nusers == 0) {
		cfg_error(d, &node->pos, "snmp_trap: no communities and no users: list the v1/v2c "
					 "communities or the v3 users whose traps are accepted");
		rc = -EINVAL;
	}
	return rc;
}

void snmp_trap_cfg_resolve(struct cfg_daemon *dm, const char *dir)
{
	void **slot = cfg_part_slot(dm, "snmp_trap");
	struct cfg_snmp_trap *t = slot ? *slot : NULL;

	for (size_t i = 0; t && i < t->nmibs; i++)
		cfg_path_resolve(&t->mibs[i], dir);
}
