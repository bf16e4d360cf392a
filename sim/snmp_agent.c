/* SNMP agents of the simulated devices: one embedded net-snmp agent (libnetsnmpagent)
 * with one UDP transport per device, opened and closed by the simulator (a server that
 * goes down stops answering).  One handler at .1.3.6.1 answers GET and GETNEXT (the
 * agent turns GETBULK into GETNEXTs) from the requesting transport's device table.
 *
 * A device's table is rendered from its profile (etc/profiles/<name>.yaml, read with
 * the daemon's snmp_profile_load): a value put under a metric name goes to the
 * point's OID with the profile's scale undone, and the columns the point depends on
 * (filters, label, valid_if, entity scale, multiply_by) are filled in so the poller
 * keeps the row.  Requests with a community no device uses are dropped (VACM
 * `rocommunity` lines fed to the agent library), as by any agent.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "dcmon/snmp_profile.h"
#include "dcmon/vec.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sim_vb {
	oid name[SNMP_OID_MAX + 2];
	size_t len;
	u_char type;        /* ASN_INTEGER, ASN_COUNTER, ASN_TIMETICKS, ASN_OCTET_STR, ASN_OBJECT_ID */
	long num;
	char *text;         /* string, or OID value (dotted) */
	size_t seq;         /* insertion order: the last put of an OID wins */
};

struct sim_snmpdev {
	struct snmp_profile *prof;
	netsnmp_transport *t;
	int handle;             /* agent NSAP handle, -1 when closed */
	struct sim_vb *vbs;     /* sorted by OID after sim_snmp_end */
	size_t nvbs, cap;
	time_t opened;          /* for sysUpTime */
};

static struct sim *g_sim;   /* the handler finds devices here (one simulator per process) */

static struct sim_dev *dev_of_session(netsnmp_session *sess)
{
	netsnmp_transport *t = snmp_sess_transport(snmp_sess_pointer(sess));
	for (size_t i = 0; g_sim && t && i < g_sim->ndevs; i++) {
		struct sim_dev *d = &g_sim->devs[i];
		if (d->snmp && d->snmp->t == t)
			return d;
	}
	return NULL;
}

static const struct sim_vb *vb_find(const struct sim_snmpdev *sd, const oid *name, size_t len,
				    bool next)
{
	size_t lo = 0, hi = sd->nvbs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = snmp_oid_compare(sd->vbs[mid].name, sd->vbs[mid].len, name, len);
		if (c < 0 || (next && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= sd->nvbs)
		return NULL;
	if (!next && snmp_oid_compare(sd->vbs[lo].name, sd->vbs[lo].len, name, len) != 0)
		return NULL;
	return &sd->vbs[lo];
}

static void vb_answer(netsnmp_variable_list *var, const struct sim_vb *vb)
{
	if (vb->type == ASN_OCTET_STR) {
		snmp_set_var_typed_value(var, ASN_OCTET_STR, vb->text, strlen(vb->text));
	} else if (vb->type == ASN_OBJECT_ID) {
		struct snmp_oid o;
		if (snmp_oid_parse(vb->text, &o) == 0)
			snmp_set_var_typed_value(var, ASN_OBJECT_ID, o.v, o.len * sizeof(oid));
	} else if (vb->type == ASN_COUNTER || vb->type == ASN_TIMETICKS || vb->type == ASN_GAUGE) {
		u_long u = vb->num < 0 ? 0 : (u_long)vb->num;
		snmp_set_var_typed_value(var, vb->type, &u, sizeof(u));
	} else {
		snmp_set_var_typed_value(var, ASN_INTEGER, &vb->num, sizeof(vb->num));
	}
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		   netsnmp_agent_request_info *ri, netsnmp_request_info *reqs)
{
	struct sim_dev *d = dev_of_session(ri->asp->session);
	for (netsnmp_request_info *r = reqs; r; r = r->next) {
		netsnmp_variable_list *v = r->requestvb;
		const struct sim_vb *vb = NULL;
		if (d && (ri->mode == MODE_GET || ri->mode == MODE_GETNEXT))
			vb = vb_find(d->snmp, v->name, v->name_length, ri->mode == MODE_GETNEXT);
		if (ri->mode == MODE_GET && !vb) {
			netsnmp_set_request_error(ri, r, SNMP_NOSUCHOBJECT);
			continue;
		}
		if (!vb)
			continue; /* GETNEXT past our values: the agent answers endOfMibView */
		if (ri->mode == MODE_GETNEXT)
			snmp_set_var_objid(v, vb->name, vb->len);
		vb_answer(v, vb);
	}
	return SNMP_ERR_NOERROR;
}

int sim_snmp_init(struct sim *s, bool serve, char *err, size_t len)
{
	g_sim = s;
	/* numeric OIDs only: no MIB files, no config files, no persistent state */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIBDIRS, "/nonexistent");
	/* no snmpd.conf / snmp.conf of this machine: only the lines fed below */
	setenv("SNMPCONFPATH", "/nonexistent", 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR, "/nonexistent");
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 0); /* master */
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_NO_ROOT_ACCESS, 1);
	snmp_disable_log();
	if (getenv("DCMON_SIM_SNMP_DEBUG")) {
		snmp_enable_stderrlog();
		debug_register_tokens(getenv("DCMON_SIM_SNMP_DEBUG"));
		snmp_set_do_debugging(1);
	} else {
		netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_EMERG);
	}
	init_agent("dcmon-sim");
	/* read-only access for each device's community, from loopback only (VACM of the
	 * agent library, from a private config file: other communities are dropped) */
	char conf[] = "/tmp/dcmon-sim-snmp.XXXXXX";
	int cfd = mkstemp(conf);
	FILE *cf = cfd >= 0 ? fdopen(cfd, "w") : NULL;
	if (!cf) {
		snprintf(err, len, "cannot write the SNMP agent config: %s", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || (s->devs[j].profile &&
					strcmp(s->devs[j].community, s->devs[i].community) == 0);
		if (!seen && s->devs[i].profile)
			fprintf(cf, "rocommunity %s 127.0.0.0/8\n", s->devs[i].community);
	}
	fclose(cf);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_OPTIONALCONFIG, conf);
	init_snmp("dcmon-sim");
	unlink(conf);
	static const oid root[] = {1, 3, 6, 1};
	netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
	    "dcmon-sim", handler, root, OID_LENGTH(root), HANDLER_CAN_RONLY);
	if (!reg || netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		snprintf(err, len, "cannot register the SNMP handler");
		return -EIO;
	}
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (!d->profile || sim_dev_modbus(d))
			continue;
		char path[4096];
		struct cfg_diags diags;
		sim_profile_path(s->profiles_dir, d, path, sizeof(path));
		cfg_diags_init(&diags);
		struct snmp_profile *p = snmp_profile_load(path, &diags);
		if (!p)
			return sim_profile_error(d, path, &diags, err, len);
		cfg_diags_free(&diags);
		d->snmp = calloc(1, sizeof(*d->snmp));
		if (!d->snmp) {
			snmp_profile_free(p);
			return -ENOMEM;
		}
		d->snmp->prof = p;
		d->snmp->handle = -1;
		if (serve && d->kind != SK_SERVER && sim_snmp_open(d, err, len) < 0)
			return -EADDRINUSE;
	}
	return 0;
}

int sim_snmp_open(struct sim_dev *d, char *err, size_t len)
{
	struct sim_snmpdev *sd = d->snmp;
	if (!sd || sd->handle >= 0)
		return 0;
	char spec[300];
	snprintf(spec, sizeof(spec), "udp:%s:%d", d->host, d->port);
	sd->t = netsnmp_transport_open_server("snmp", spec);
	if (!sd->t) {
		snprintf(err, len, "%s: cannot open SNMP agent on %s", d->id, spec);
		return -EADDRINUSE;
	}
	sd->handle = netsnmp_register_agent_nsap(sd->t);
	if (sd->handle < 0) {
		netsnmp_transport_free(sd->t);
		sd->t = NULL;
		snprintf(err, len, "%s: cannot start SNMP agent on %s", d->id, spec);
		return -EIO;
	}
	sd->opened = time(NULL);
	return 0;
}

void sim_snmp_close(struct sim_dev *d)
{
	struct sim_snmpdev *sd = d->snmp;
	if (!sd || sd->handle < 0)
		return;
	netsnmp_deregister_agent_nsap(sd->handle); /* closes and frees the transport */
	sd->handle = -1;
	sd->t = NULL;
}

static void vbs_clear(struct sim_snmpdev *sd)
{
	for (size_t i = 0; i < sd->nvbs; i++)
		free(sd->vbs[i].text);
	sd->nvbs = 0;
}

void sim_snmp_shutdown(struct sim *s)
{
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (!d->snmp)
			continue;
		sim_snmp_close(d);
		vbs_clear(d->snmp);
		free(d->snmp->vbs);
		snmp_profile_free(d->snmp->prof);
		free(d->snmp);
		d->snmp = NULL;
	}
	snmp_shutdown("dcmon-sim");
	shutdown_agent();
	g_sim = NULL;
}

static struct sim_vb *vb_add(struct sim_snmpdev *sd, const oid *base, size_t blen, unsigned row)
{
	if (blen + 1 > SNMP_OID_MAX + 2)
		return NULL;
	struct sim_vb *nv = vec_grow(sd->vbs, &sd->cap, sd->nvbs, sizeof(*nv), 64);
	if (!nv)
		return NULL;
	sd->vbs = nv;
	struct sim_vb *vb = &sd->vbs[sd->nvbs];
	memset(vb, 0, sizeof(*vb));
	memcpy(vb->name, base, blen * sizeof(oid));
	vb->len = blen;
	if (row)
		vb->name[vb->len++] = row;
	vb->seq = sd->nvbs++;
	return vb;
}

static void put_num(struct sim_snmpdev *sd, const struct snmp_oid *o, unsigned row, u_char type,
		    double v)
{
	struct sim_vb *vb = vb_add(sd, o->v, o->len, row);
	if (vb) {
		vb->type = type;
		vb->num = lround(v);
	}
}

static void put_text(struct sim_snmpdev *sd, const struct snmp_oid *o, unsigned row, u_char type,
		     const char *text)
{
	struct sim_vb *vb = vb_add(sd, o->v, o->len, row);
	if (vb) {
		vb->type = type;
		vb->text = strdup(text);
	}
}

/* A value text as the profile compares it: a dotted OID or a number. */
static void put_match_value(struct sim_snmpdev *sd, const struct snmp_oid *col, unsigned row,
			    const char *text)
{
	if (strchr(text, '.'))
		put_text(sd, col, row, ASN_OBJECT_ID, text);
	else
		put_num(sd, col, row, ASN_INTEGER, atof(text));
}

static const struct snmp_point *point_of(const struct sim_dev *d, const char *metric)
{
	const struct snmp_profile *p = d->snmp ? d->snmp->prof : NULL;
	for (size_t i = 0; p && i < p->npoints; i++)
		if (strcmp(p->points[i].metric, metric) == 0)
			return &p->points[i];
	return NULL;
}

bool sim_snmp_has_metric(const struct sim_dev *d, const char *metric)
{
	return point_of(d, metric) != NULL;
}

/* The columns a table row needs besides its value: filters, label, valid_if. */
static void put_row_extras(struct sim_snmpdev *sd, const struct snmp_point *pt, unsigned row,
			   const char *label)
{
	const struct snmp_table *tb = &sd->prof->tables[pt->table];
	for (size_t f = 0; f < tb->nfilters; f++) {
		const struct snmp_filter *fl = &tb->filters[f];
		if (!fl->negate && fl->nvalues)
			put_match_value(sd, &fl->col, row, fl->values[0]);
	}
	if (label && tb->label_col.len &&
	    !snmp_oid_eq(&tb->label_col, &pt->oid))
		put_text(sd, &tb->label_col, row, ASN_OCTET_STR, label);
	if (pt->has_valid_if && pt->valid_if.nvalues)
		put_match_value(sd, &pt->valid_if.col, row, pt->valid_if.values[0]);
}

/* Puts a raw number at the point's OID (row 0 = a scalar). */
static void put_point_raw(struct sim_dev *d, const struct snmp_point *pt, unsigned row,
			  const char *label, double raw)
{
	struct sim_snmpdev *sd = d->snmp;
	if (pt->mul.len) {
		/* allocation units: report in KiB blocks */
		put_num(sd, &pt->mul, pt->table >= 0 ? row : 0, ASN_INTEGER, 1024);
		raw /= 1024;
	}
	if (pt->entity_scale) {
		put_num(sd, &pt->ent_scale, row, ASN_INTEGER, 9); /* units */
		put_num(sd, &pt->ent_prec, row, ASN_INTEGER, 1);  /* one decimal */
		raw *= 10;
	}
	u_char type = pt->kind == METRIC_COUNTER ? ASN_COUNTER : ASN_INTEGER;
	if (pt->table >= 0) {
		put_num(sd, &pt->oid, row, type, raw);
		put_row_extras(sd, pt, row, label);
	} else {
		struct snmp_oid o;
		if (snmp_oid_join(&o, &pt->oid, pt->instance.v, pt->instance.len) == 0)
			put_num(sd, &o, 0, type, raw);
	}
}

void sim_snmp_metric(struct sim_dev *d, const char *metric, unsigned row, const char *label,
		     double value)
{
	const struct snmp_point *pt = point_of(d, metric);
	if (!pt)
		return;
	char inst[32];
	snprintf(inst, sizeof(inst), "%u", row);
	sim_pinned(d, metric, label ? label : inst, &value);
	double raw = (value - pt->offset) / (pt->scale != 0 ? pt->scale : 1);
	put_point_raw(d, pt, row, label, raw);
}

void sim_snmp_state(struct sim_dev *d, const char *metric, unsigned row, const char *label,
		    const char *state)
{
	const struct snmp_point *pt = point_of(d, metric);
	if (!pt)
		return;
	double v = NAN;
	for (size_t i = 0; i < pt->nenums; i++)
		if (strcmp(pt->enums[i].name, state) == 0)
			v = pt->enums[i].value;
	if (isnan(v)) {
		log_warnx("sim", d->id, "profile %s: %s has no state '%s'", d->profile, metric, state);
		return;
	}
	char inst[32];
	snprintf(inst, sizeof(inst), "%u", row);
	sim_pinned(d, metric, label ? label : inst, &v);
	put_point_raw(d, pt, row, label, v);
}

void sim_snmp_oidval(struct sim_dev *d, const char *metric, unsigned row, const char *oidval)
{
	const struct snmp_point *pt = point_of(d, metric);
	if (pt)
		put_text(d->snmp, &pt->oid, row, ASN_OBJECT_ID, oidval);
}

void sim_snmp_str(struct sim_dev *d, const char *metric, unsigned row, const char *text)
{
	const struct snmp_point *pt = point_of(d, metric);
	if (pt)
		put_text(d->snmp, &pt->oid, row, ASN_OCTET_STR, text);
}

void sim_snmp_begin(struct sim_dev *d)
{
	struct sim_snmpdev *sd = d->snmp;
	if (!sd)
		return;
	vbs_clear(sd);
	static const struct snmp_oid descr = {{1, 3, 6, 1, 2, 1, 1, 1, 0}, 9};
	static const struct snmp_oid objid = {{1, 3, 6, 1, 2, 1, 1, 2, 0}, 9};
	static const struct snmp_oid uptime = {{1, 3, 6, 1, 2, 1, 1, 3, 0}, 9};
	static const struct snmp_oid name = {{1, 3, 6, 1, 2, 1, 1, 5, 0}, 9};
	char text[256];
	snprintf(text, sizeof(text), "dcmon-sim %s (%s)", d->id, d->profile);
	put_text(sd, &descr, 0, ASN_OCTET_STR, text);
	if (sd->prof->nsysoids) {
		snmp_oid_format(sd->prof->sysoids[0].v, sd->prof->sysoids[0].len, text, sizeof(text));
		put_text(sd, &objid, 0, ASN_OBJECT_ID, text);
	} else {
		put_text(sd, &objid, 0, ASN_OBJECT_ID, "1.3.6.1.4.1.8072.3.2.10");
	}
	put_num(sd, &uptime, 0, ASN_TIMETICKS, (double)(time(NULL) - sd->opened) * 100.0);
	put_text(sd, &name, 0, ASN_OCTET_STR, d->id);
}

static int vb_cmp(const void *a, const void *b)
{
	const struct sim_vb *x = a, *y = b;
	int c = snmp_oid_compare(x->name, x->len, y->name, y->len);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void sim_snmp_end(struct sim_dev *d)
{
	struct sim_snmpdev *sd = d->snmp;
	if (!sd)
		return;
	qsort(sd->vbs, sd->nvbs, sizeof(*sd->vbs), vb_cmp);
	size_t o = 0;
	for (size_t i = 0; i < sd->nvbs; i++) {
		if (i + 1 < sd->nvbs &&
		    snmp_oid_compare(sd->vbs[i].name, sd->vbs[i].len, sd->vbs[i + 1].name,
				     sd->vbs[i + 1].len) == 0) {
			free(sd->vbs[i].text); /* a later put of the same OID wins */
			continue;
		}
		sd->vbs[o++] = sd->vbs[i];
	}
	sd->nvbs = o;
}
