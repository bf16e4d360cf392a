/* Numeric OIDs: parsing, printing and prefix tests (no MIB files are ever read). */
#include "snmp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int snmp_oid_parse_n(const char *s, struct snmp_oid *o, size_t min_len)
{
	const char *p = s;

	o->len = 0;
	if (*p == '.')
		p++;
	while (*p) {
		char *end;
		unsigned long long v;

		if (*p < '0' || *p > '9' || o->len >= SNMP_OID_MAX)
			return -EINVAL;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || v > 0xffffffffULL)
			return -EINVAL;
		o->v[o->len++] = (oid)v;
		p = end;
		if (*p == '.' && p[1] != '\0')
			p++;
		else if (*p != '\0')
			return -EINVAL;
	}
	return o->len >= min_len ? 0 : -EINVAL;
}

int snmp_oid_parse(const char *s, struct snmp_oid *o)
{
	return snmp_oid_parse_n(s, o, 2);
}

void snmp_oid_format(const oid *v, size_t len, char *buf, size_t blen)
{
	size_t off = 0;

	if (blen == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < len && off < blen; i++) {
		int n = snprintf(buf + off, blen - off, "%s%lu", i ? "." : "", (unsigned long)v[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

bool snmp_oid_under(const oid *v, size_t len, const struct snmp_oid *prefix)
{
	return len > prefix->len && memcmp(v, prefix->v, prefix->len * sizeof(oid)) == 0;
}

int snmp_oid_join(struct snmp_oid *o, const struct snmp_oid *a, const oid *suffix, size_t slen)
{
	if (a->len + slen > SNMP_OID_MAX)
		return -ENAMETOOLONG;
	memmove(o->v, a->v, a->len * sizeof(oid));
	memcpy(o->v + a->len, suffix, slen * sizeof(oid));
	o->len = a->len + slen;
	return 0;
}

bool snmp_oid_eq(const struct snmp_oid *a, const struct snmp_oid *b)
{
	return a->len == b->len && memcmp(a->v, b->v, a->len * sizeof(oid)) == 0;
}
