/* The values of one poll, keyed by OID: an open-addressing hash table.  Varbinds are
 * converted here through bounded copies, so nothing downstream touches PDU memory. */
#include "snmp_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vals_entry {
	oid *key;        /* NULL = empty slot */
	size_t len;
	struct snmp_val val;
};

struct snmp_vals {
	struct vals_entry *v;
	size_t cap;      /* power of two */
	size_t n;
};

struct snmp_vals *snmp_vals_new(void)
{
	return calloc(1, sizeof(struct snmp_vals));
}

void snmp_vals_clear(struct snmp_vals *v)
{
	for (size_t i = 0; i < v->cap; i++) {
		free(v->v[i].key);
		free(v->v[i].val.text);
	}
	if (v->cap)
		memset(v->v, 0, v->cap * sizeof(*v->v));
	v->n = 0;
}

void snmp_vals_free(struct snmp_vals *v)
{
	if (!v)
		return;
	snmp_vals_clear(v);
	free(v->v);
	free(v);
}

static uint64_t oid_hash(const oid *o, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint64_t)o[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Slot holding o, or the empty slot where it would go. */
static struct vals_entry *slot_of(const struct snmp_vals *v, const oid *o, size_t len)
{
	size_t i = (size_t)oid_hash(o, len) & (v->cap - 1);

	for (;;) {
		struct vals_entry *e = &v->v[i];
		if (!e->key || (e->len == len && memcmp(e->key, o, len * sizeof(oid)) == 0))
			return e;
		i = (i + 1) & (v->cap - 1);
	}
}

static int grow(struct snmp_vals *v)
{
	struct snmp_vals bigger = {.cap = v->cap ? v->cap * 2 : 64};

	bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
	if (!bigger.v)
		return -ENOMEM;
	for (size_t i = 0; i < v->cap; i++)
		if (v->v[i].key)
			*slot_of(&bigger, v->v[i].key, v->v[i].len) = v->v[i];
	free(v->v);
	v->v = bigger.v;
	v->cap = bigger.cap;
	return 0;
}

/* Entry for o, created empty if absent; NULL on allocation failure. */
static struct vals_entry *entry_for(struct snmp_vals *v, const oid *o, size_t len)
{
	struct vals_entry *e;

	if ((v->n + 1) * 10 >= v->cap * 7 && grow(v) < 0)
		return NULL;
	e = slot_of(v, o, len);
	if (e->key) {
		free(e->val.text);
		memset(&e->val, 0, sizeof(e->val));
		return e;
	}
	e->key = malloc(len * sizeof(oid) + 1);
	if (!e->key)
		return NULL;
	memcpy(e->key, o, len * sizeof(oid));
	e->len = len;
	v->n++;
	return e;
}

const struct snmp_val *snmp_vals_get(const struct snmp_vals *v, const oid *o, size_t len)
{
	if (v->cap == 0)
		return NULL;
	struct vals_entry *e = slot_of(v, o, len);
	return e->key ? &e->val : NULL;
}

int snmp_vals_put_err(struct snmp_vals *v, const oid *o, size_t len, const char *reason)
{
	struct vals_entry *e = entry_for(v, o, len);

	if (!e)
		return -ENOMEM;
	e->val.type = SV_ERR;
	e->val.text = strdup(reason);
	return e->val.text ? 0 : -ENOMEM;
}

/* Bounded, printable copy of an OCTET STRING. */
static char *text_copy(const u_char *s, size_t len)
{
	char *t;

	if (len > SNMP_TEXT_MAX - 1)
		len = SNMP_TEXT_MAX - 1;
	t = malloc(len + 1);
	if (!t)
		return NULL;
	for (size_t i = 0; i < len; i++)
		t[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	t[len] = '\0';
	/* agents often pad strings with NULs: drop trailing '?' that were NULs */
	while (len > 0 && s[len - 1] == '\0')
		t[--len] = '\0';
	return t;
}

static const char *exception_name(u_char type)
{
	switch (type) {
	case SNMP_NOSUCHOBJECT: return "noSuchObject";
	case SNMP_NOSUCHINSTANCE: return "noSuchInstance";
	case SNMP_ENDOFMIBVIEW: return "endOfMibView";
	case ASN_NULL: return "no value (NULL)";
	default: return NULL;
	}
}

/* Fills val from var; returns -EPROTO for a type we do not read. */
static int convert(struct snmp_val *val, const netsnmp_variable_list *var)
{
	char buf[SNMP_TEXT_MAX];

	val->asn_type = var->type;
	switch (var->type) {
	case ASN_INTEGER:
		if (!var->val.integer || var->val_len < sizeof(long))
			return -EPROTO;
		val->type = SV_NUM;
		val->num = (double)*var->val.integer;
		return 0;
	case ASN_GAUGE: /* also Unsigned32 */
	case ASN_TIMETICKS:
	case ASN_COUNTER:
		if (!var->val.integer || var->val_len < sizeof(long))
			return -EPROTO;
		val->u64 = (uint64_t)(*var->val.integer & 0xffffffffUL);
		val->num = (double)val->u64;
		val->type = var->type == ASN_COUNTER ? SV_COUNTER : SV_NUM;
		return 0;
	case ASN_COUNTER64:
		if (!var->val.counter64 || var->val_len < sizeof(struct counter64))
			return -EPROTO;
		val->u64 = ((uint64_t)(var->val.counter64->high & 0xffffffffUL) << 32) |
			   (var->val.counter64->low & 0xffffffffUL);
		val->num = (double)val->u64;
		val->type = SV_COUNTER;
		return 0;
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
	case ASN_OPAQUE_FLOAT:
		if (!var->val.floatVal || var->val_len < sizeof(float))
			return -EPROTO;
		val->type = SV_NUM;
		val->num = *var->val.floatVal;
		return 0;
#endif
	case ASN_OCTET_STR:
		val->type = SV_STR;
		val->text = text_copy(var->val.string, var->val.string ? var->val_len : 0);
		return val->text ? 0 : -ENOMEM;
	case ASN_OBJECT_ID:
		if (!var->val.objid)
			return -EPROTO;
		snmp_oid_format(var->val.objid, var->val_len / sizeof(oid), buf, sizeof(buf));
		val->type = SV_OID;
		val->text = strdup(buf);
		return val->text ? 0 : -ENOMEM;
	case ASN_IPADDRESS:
		if (!var->val.string || var->val_len < 4)
			return -EPROTO;
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", var->val.string[0], var->val.string[1],
			 var->val.string[2], var->val.string[3]);
		val->type = SV_STR;
		val->text = strdup(buf);
		return val->text ? 0 : -ENOMEM;
	default:
		return -EPROTO;
	}
}

int snmp_vals_put_var(struct snmp_vals *v, const netsnmp_variable_list *var)
{
	const char *exc = exception_name(var->type);
	struct vals_entry *e;
	char why[48];

	if (var->name_length == 0 || var->name_length > SNMP_OID_MAX)
		return -EINVAL;
	if (exc)
		return snmp_vals_put_err(v, var->name, var->name_length, exc);
	e = entry_for(v, var->name, var->name_length);
	if (!e)
		return -ENOMEM;
	if (convert(&e->val, var) == 0)
		return 0;
	free(e->val.text);
	memset(&e->val, 0, sizeof(e->val));
	snprintf(why, sizeof(why), "unreadable value of ASN type 0x%02x", var->type);
	return snmp_vals_put_err(v, var->name, var->name_length, why);
}

int snmp_val_number(const struct snmp_val *val, double *out, const char **why)
{
	switch (val->type) {
	case SV_NUM:
	case SV_COUNTER:
		*out = val->num;
		return 0;
	case SV_STR: {
		char *end;
		double d = strtod(val->text, &end);
		if (end != val->text && *end == '\0') {
			*out = d;
			return 0;
		}
		*why = "string where a number was expected";
		return -EINVAL;
	}
	case SV_OID:
		*why = "OID where a number was expected";
		return -EINVAL;
	default:
		*why = val->text ? val->text : "error";
		return -EINVAL;
	}
}

void snmp_val_text(const struct snmp_val *val, char *buf, size_t len)
{
	switch (val->type) {
	case SV_NUM:
		snprintf(buf, len, "%.15g", val->num);
		break;
	case SV_COUNTER:
		snprintf(buf, len, "%" PRIu64, val->u64);
		break;
	case SV_STR:
	case SV_OID:
		snprintf(buf, len, "%s", val->text);
		break;
	default:
		snprintf(buf, len, "%s", "");
	}
}
