/* What `dcmon discover` is told and what it writes in the config's own words: the
 * SNMP options with the snmp: section's key names, and a device stanza per address. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/discover.h"
#include "snmp_int.h"

void discover_opts_init(struct discover_opts *o)
{
	*o = (struct discover_opts){.concurrency = DISCOVER_CONCURRENCY_DEFAULT,
				    .timeout_ms = DISCOVER_TIMEOUT_DEFAULT_MS};
	snmp_cfg_defaults(&o->snmp);
	o->snmp.community = "public";
}

static int name_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* One key=value of --v3; 0 or -EINVAL. */
static int v3_key(struct cfg_snmp *c, const char *key, char *val)
{
	if (!strcmp(key, "user"))
		c->user = val;
	else if (!strcmp(key, "auth_pass"))
		c->auth_pass = val;
	else if (!strcmp(key, "priv_pass"))
		c->priv_pass = val;
	else if (!strcmp(key, "context"))
		c->context = val;
	else if (!strcmp(key, "auth_proto"))
		return (c->auth_proto = name_index(snmp_cfg_auth_names, val)) < 0 ? -EINVAL : 0;
	else if (!strcmp(key, "priv_proto"))
		return (c->priv_proto = name_index(snmp_cfg_priv_names, val)) < 0 ? -EINVAL : 0;
	else
		return -EINVAL;
	return 0;
}

int discover_v3_parse(char *spec, struct cfg_snmp *c)
{
	char *save = NULL;

	c->version = SNMPCFG_V3;
	for (char *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *val = strchr(kv, '=');
		if (!val || !val[1])
			return -EINVAL;
		*val++ = '\0';
		if (v3_key(c, kv, val) < 0)
			return -EINVAL;
	}
	/* as the config does: a pass phrase without its protocol means SHA / AES */
	if (c->auth_proto < 0)
		c->auth_proto = c->auth_pass ? SNMPCFG_AUTH_SHA : SNMPCFG_AUTH_NONE;
	if (c->priv_proto < 0)
		c->priv_proto = c->priv_pass ? SNMPCFG_PRIV_AES : SNMPCFG_PRIV_NONE;
	return c->user ? 0 : -EINVAL;
}

/* s as a YAML double-quoted scalar (a JSON string is one). */
static void put_quoted(FILE *out, const char *s)
{
	json_t *j = json_string(s);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	fputs(q ? q : "\"\"", out);
	free(q);
	json_decref(j);
}

static void put_key(FILE *out, const char *key, const char *val)
{
	if (!val)
		return;
	fprintf(out, ", %s: ", key);
	put_quoted(out, val);
}

/* The snmp: section that reached the agent (v3 pass phrases inline: the stanza is a
 * secret like the command line it came from). */
static void put_snmp(FILE *out, const struct cfg_snmp *c)
{
	fprintf(out, "    snmp: {version: %s", snmp_cfg_version_names[c->version]);
	if (c->version == SNMPCFG_V3) {
		put_key(out, "user", c->user);
		if (c->auth_pass)
			fprintf(out, ", auth_proto: %s", snmp_cfg_auth_names[c->auth_proto]);
		put_key(out, "auth_pass", c->auth_pass);
		if (c->priv_pass)
			fprintf(out, ", priv_proto: %s", snmp_cfg_priv_names[c->priv_proto]);
		put_key(out, "priv_pass", c->priv_pass);
		put_key(out, "context", c->context);
	} else {
		put_key(out, "community", c->community);
	}
	if (c->port != 161)
		fprintf(out, ", port: %d", c->port);
	fputs("}\n", out);
}

void discover_stanza(FILE *out, const struct discover_host *h, const char *id,
		     const struct discover_opts *o)
{
	if (h->snmp && !h->profile[0]) /* the poller's reason names the sysObjectID */
		fprintf(out, "  # SNMP answers, not polled: %s\n",
			h->snmp_reason[0] ? h->snmp_reason : "no profile fits this agent");
	fprintf(out, "  - id: %s\n    host: %s\n", id, h->addr);
	if (h->sys_descr[0]) {
		fputs("    description: ", out);
		put_quoted(out, h->sys_descr);
		fputc('\n', out);
	}
	if (h->profile[0]) {
		fprintf(out, "    profile: %s\n", h->profile);
		put_snmp(out, &o->snmp);
	}
	if (!h->ping && !h->nopen)
		return;
	fputs("    checks:\n", out);
	if (h->ping)
		fputs("      ping: true\n", out);
	if (h->nopen) {
		fputs("      tcp: [", out);
		for (size_t i = 0; i < h->nopen; i++)
			fprintf(out, "%s%d", i ? ", " : "", h->open_ports[i]);
		fputs("]\n", out);
	}
}
