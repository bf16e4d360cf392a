/* DCMON-MIB's objects as data: an alert as the MIB shows it, and the view of both
 * tables, built on the loop thread and handed whole to the subagent, so that the
 * subagent's thread never reads the configuration, the scheduler or the alerts. */
#include "nb_int.h"

#include <errno.h>
#include <math.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/api.h"

/* dcmonObjects.<table>.1.<column>.<index> */
enum { NB_OBJECTS = 1, NB_DEVICE_TABLE = 1, NB_ALERT_TABLE = 2 };
enum { DEV_ID = 2, DEV_NAME, DEV_KIND, DEV_SITE, DEV_STATE, DEV_COLUMNS };
enum {
	AL_DEVICE = 2, AL_RULE, AL_METRIC, AL_SEVERITY, AL_STATE, AL_SINCE, AL_SUPPRESSED,
	AL_VALUE, AL_SUMMARY, AL_COLUMNS
};

/* s truncated to a DisplayString, copied; "" for NULL. */
static char *display_copy(const char *s)
{
	return strndup(s ? s : "", NB_STR_MAX);
}

static char *value_text(const struct alert_event *ev)
{
	char buf[NB_STR_MAX + 1] = "";
	if (isfinite(ev->value))
		snprintf(buf, sizeof(buf), "%.15g%s%s", ev->value, ev->unit && ev->unit[0] ? " " : "",
			 ev->unit ? ev->unit : "");
	return strdup(buf);
}

static char *metric_text(const struct alert_event *ev)
{
	char buf[NB_STR_MAX + 1];
	if (ev->inst)
		snprintf(buf, sizeof(buf), "%s{%s}", ev->metric, ev->inst);
	else
		snprintf(buf, sizeof(buf), "%s", ev->metric);
	return strdup(buf);
}

int nb_alert_from_event(struct nb_alert *a, const struct alert_event *ev)
{
	*a = (struct nb_alert){.id = ev->alert_id, .severity = (int)ev->severity + 1,
			       .state = (int)ev->state, .since_ms = ev->since_ms,
			       .device = display_copy(ev->device), .rule = display_copy(ev->rule),
			       .metric = metric_text(ev),
			       .suppressed_by = display_copy(ev->suppressed_by),
			       .value = value_text(ev), .summary = display_copy(ev->summary)};
	if (!a->device || !a->rule || !a->metric || !a->suppressed_by || !a->value ||
	    !a->summary) {
		nb_alert_clear(a);
		return -ENOMEM;
	}
	return 0;
}

void nb_alert_clear(struct nb_alert *a)
{
	free(a->device);
	free(a->rule);
	free(a->metric);
	free(a->suppressed_by);
	free(a->value);
	free(a->summary);
	*a = (struct nb_alert){0};
}

/* ---- the view ------------------------------------------------------------------------ */

static struct nb_vb *view_add(struct nb_view *v, unsigned table, unsigned column,
			      uint32_t index)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		struct nb_vb *nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	struct nb_vb *vb = &v->v[v->n];
	const uint32_t prefix[] = {NB_MIB_OID, NB_OBJECTS, table, 1, column, index};
	*vb = (struct nb_vb){.len = sizeof(prefix) / sizeof(prefix[0])};
	memcpy(vb->name, prefix, sizeof(prefix));
	return vb;
}

static int add_str(struct nb_view *v, unsigned table, unsigned column, uint32_t index,
		   const char *s)
{
	struct nb_vb *vb = view_add(v, table, column, index);
	if (!vb || !(vb->str = display_copy(s)))
		return -ENOMEM;
	vb->type = ASN_OCTET_STR;
	v->n++;
	return 0;
}

static int add_num(struct nb_view *v, unsigned table, unsigned column, uint32_t index,
		   unsigned char type, long num)
{
	struct nb_vb *vb = view_add(v, table, column, index);
	if (!vb)
		return -ENOMEM;
	vb->type = type;
	vb->num = num;
	v->n++;
	return 0;
}

static int device_column(struct nb_view *v, const struct cfg *cfg, const struct api_env *api,
			 unsigned col)
{
	int rc = 0;
	for (size_t i = 0; i < cfg->ndevices && rc == 0; i++) {
		const struct cfg_device *dev = &cfg->devices[i];
		uint32_t idx = (uint32_t)i + 1;
		const struct dev_status *st = col == DEV_STATE && api && api->dev_status ?
						      api->dev_status(api->arg, dev->id) : NULL;
		switch (col) {
		case DEV_ID: rc = add_str(v, NB_DEVICE_TABLE, col, idx, dev->id); break;
		case DEV_NAME:
			rc = add_str(v, NB_DEVICE_TABLE, col, idx,
				     dev->description ? dev->description : dev->id);
			break;
		case DEV_KIND:
			rc = add_str(v, NB_DEVICE_TABLE, col, idx, dev_kind_name(dev->kind));
			break;
		case DEV_SITE: rc = add_str(v, NB_DEVICE_TABLE, col, idx, dev->loc.site); break;
		default:
			rc = add_num(v, NB_DEVICE_TABLE, col, idx, ASN_INTEGER,
				     (st ? (long)st->state : (long)DEV_STATE_UNKNOWN) + 1);
		}
	}
	return rc;
}

static int alert_column(struct nb_view *v, const struct nb_alert *alerts, size_t n, unsigned col)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct nb_alert *a = &alerts[i];
		uint32_t idx = (uint32_t)a->id;
		switch (col) {
		case AL_DEVICE: rc = add_str(v, NB_ALERT_TABLE, col, idx, a->device); break;
		case AL_RULE: rc = add_str(v, NB_ALERT_TABLE, col, idx, a->rule); break;
		case AL_METRIC: rc = add_str(v, NB_ALERT_TABLE, col, idx, a->metric); break;
		case AL_SEVERITY:
			rc = add_num(v, NB_ALERT_TABLE, col, idx, ASN_INTEGER, a->severity);
			break;
		case AL_STATE: rc = add_num(v, NB_ALERT_TABLE, col, idx, ASN_INTEGER, a->state); break;
		case AL_SINCE:
			rc = add_num(v, NB_ALERT_TABLE, col, idx, ASN_UNSIGNED,
				     (long)(a->since_ms / 1000));
			break;
		case AL_SUPPRESSED:
			rc = add_str(v, NB_ALERT_TABLE, col, idx, a->suppressed_by);
			break;
		case AL_VALUE: rc = add_str(v, NB_ALERT_TABLE, col, idx, a->value); break;
		default: rc = add_str(v, NB_ALERT_TABLE, col, idx, a->summary);
		}
	}
	return rc;
}

/* Column by column, each in index order: the OID order, with no sort. */
struct nb_view *nb_view_build(const struct cfg *cfg, const struct api_env *api,
			      const struct nb_alert *alerts, size_t nalerts)
{
	struct nb_view *v = calloc(1, sizeof(*v));
	int rc = v ? 0 : -ENOMEM;
	for (unsigned col = DEV_ID; cfg && col < DEV_COLUMNS && rc == 0; col++)
		rc = device_column(v, cfg, api, col);
	for (unsigned col = AL_DEVICE; col < AL_COLUMNS && rc == 0; col++)
		rc = alert_column(v, alerts, nalerts, col);
	if (rc < 0) {
		nb_view_free(v);
		return NULL;
	}
	return v;
}

void nb_view_free(struct nb_view *v)
{
	for (size_t i = 0; v && i < v->n; i++)
		free(v->v[i].str);
	if (v)
		free(v->v);
	free(v);
}

static int oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	for (size_t i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

const struct nb_vb *nb_view_find(const struct nb_view *v, const uint32_t *name, size_t len,
				 bool next)
{
	size_t lo = 0, hi = v ? v->n : 0; /* the first instance >= name is at lo */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (oid_cmp(v->v[mid].name, v->v[mid].len, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!v || lo == v->n)
		return NULL;
	int c = oid_cmp(v->v[lo].name, v->v[lo].len, name, len);
	if (!next)
		return c == 0 ? &v->v[lo] : NULL;
	if (c == 0)
		lo++;
	return lo < v->n ? &v->v[lo] : NULL;
}
