/* The values of one poll, keyed by OID: an open-addressing hash table.  Varbinds are
 * converted here through bounded copies, so nothing downstream touches PDU memory.
 * Keys and texts live in an arena of blocks kept from poll to poll: a poll stores
 * every OID it asks for and then its answer, and a clear only rewinds the arena, so
 * a steady poll allocates nothing per value. */
#include "snmp_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALS_BLOCK_MIN 4096   /* bytes of the first arena block */
#define VALS_BLOCK_MAX 65536  /* bytes of a block at most (a bigger request gets its own) */

struct vals_entry {
	oid *key;        /* NULL = empty slot; in the arena */
	size_t len;
	struct snmp_val val; /* val.text in the arena */
};

/* One arena block; blocks are never moved, so keys and texts keep their address. */
struct vals_block {
	struct vals_block *next;
	size_t used, cap; /* bytes of data */
	max_align_t data[];
};

struct snmp_vals {
	struct vals_entry *v;
	size_t cap;      /* power of two */
	size_t n;
	struct vals_block *blocks; /* the current block first */
	struct vals_block *spare;  /* rewound blocks, reused before new ones */
	size_t arena_bytes;        /* data bytes of all blocks, current and spare */
};

struct snmp_vals *snmp_vals_new(void)
{
	return calloc(1, sizeof(struct snmp_vals));
}

static void blocks_free(struct vals_block *b)
{
	while (b) {
		struct vals_block *next = b->next;
		free(b);
		b = next;
	}
}

/* n bytes from the arena, aligned for any type; NULL on allocation failure. */
static void *arena_alloc(struct snmp_vals *v, size_t n)
{
	struct vals_block *b = v->blocks;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (b && b->cap - b->used >= n) {
		void *p = (char *)b->data + b->used;
		b->used += n;
		return p;
	}
	if (v->spare && v->spare->cap >= n) {
		b = v->spare;
		v->spare = b->next;
	} else { /* blocks double in size: a device's poll needs few of them */
		size_t cap = v->arena_bytes < VALS_BLOCK_MIN ? VALS_BLOCK_MIN : v->arena_bytes;
		if (cap > VALS_BLOCK_MAX)
			cap = VALS_BLOCK_MAX;
		if (cap < n)
			cap = n;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		v->arena_bytes += cap;
	}
	b->used = n;
	b->next = v->blocks;
	v->blocks = b;
	return b->data;
}

static char *arena_strdup(struct snmp_vals *v, const char *s)
{
	size_t n = strlen(s) + 1;
	char *t = arena_alloc(v, n);

	if (t)
		memcpy(t, s, n);
	return t;
}

void snmp_vals_clear(struct snmp_vals *v)
{
	if (v->cap)
		memset(v->v, 0, v->cap * sizeof(*v->v));
	v->n = 0;
	/* the blocks become spares; one-off big blocks are given back */
	while (v->blocks) {
		struct vals_block *b = v->blocks;
		v->blocks = b->next;
		if (b->cap > VALS_BLOCK_MAX) {
			v->arena_bytes -= b->cap;
			free(b);
			continue;
		}
		b->next = v->spare;
		v->spare = b;
	}
}

void snmp_vals_free(struct snmp_vals *v)
{
	if (!v)
		return;
	free(v->v);
	blocks_free(v->blocks);
	blocks_free(v->spare);
	free(v);
}

/* Tables of ended polls, waiting for the next poll of any device (loop thread only). */
#define VALS_SPARE_MAX 32
static struct snmp_vals *spare_tables[VALS_SPARE_MAX];
static size_t nspare_tables;

struct snmp_vals *snmp_vals_take(void)
{
	return nspare_tables ? spare_tables[--nspare_tables] : snmp_vals_new();
}

void snmp_vals_give(struct snmp_vals *v)
{
	if (!v)
		return;
	if (nspare_tables == VALS_SPARE_MAX) {
		snmp_vals_free(v);
		return;
	}
	snmp_vals_clear(v);
	spare_tables[nspare_tables++] = v;
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
	if (e->key) { /* its old text stays in the arena until the clear */
		memset(&e->val, 0, sizeof(e->val));
		return e;
	}
	e->key = arena_alloc(v, len * sizeof(oid));
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
	e->val.text = arena_strdup(v, reason);
	return e->val.text ? 0 : -ENOMEM;
}

/* Bounded, printable copy of an OCTET STRING. */
static char *text_copy(struct snmp_vals *v, const u_char *s, size_t len)
{
	char *t;

	if (len > SNMP_TEXT_MAX - 1)
		len = SNMP_TEXT_MAX - 1;
	t = arena_alloc(v, len + 1);
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

/* Fills val from var (texts in v's arena); returns -EPROTO for a type we do not read. */
static int convert(struct snmp_vals *v, struct snmp_val *val, const netsnmp_variable_list *var)
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
		val->text = text_copy(v, var->val.string, var->val.string ? var->val_len : 0);
		return val->text ? 0 : -ENOMEM;
	case ASN_OBJECT_ID:
		if (!var->val.objid)
			return -EPROTO;
		snmp_oid_format(var->val.objid, var->val_len / sizeof(oid), buf, sizeof(buf));
		val->type = SV_OID;
		val->text = arena_strdup(v, buf);
		return val->text ? 0 : -ENOMEM;
	case ASN_IPADDRESS:
		if (!var->val.string || var->val_len < 4)
			return -EPROTO;
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", var->val.string[0], var->val.string[1],
			 var->val.string[2], var->val.string[3]);
		val->type = SV_STR;
		val->text = arena_strdup(v, buf);
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
	if (convert(v, &e->val, var) == 0)
		return 0;
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

bool snmp_val_answers(const struct snmp_val *v)
{
	return v && v->type != SV_ERR;
}
