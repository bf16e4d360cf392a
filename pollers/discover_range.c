/* The address range of `dcmon discover`: a CIDR prefix, a-b, or one address, as a first
 * address and a count (docs/CLI.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dcmon/discover.h"

static int addr_len(const struct net_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* a + n in place (big-endian bytes; carries past the low 64 bits are dropped: ranges
 * are far smaller). */
static void addr_add(struct net_addr *a, uint64_t n)
{
	for (int i = addr_len(a) - 1; i >= 0 && n; i--) {
		uint64_t sum = a->b[i] + (n & 0xff);
		a->b[i] = (unsigned char)sum;
		n = (n >> 8) + (sum >> 8);
	}
}

/* b - a + 1 when b >= a and the difference fits 63 bits, else 0. */
static uint64_t addr_span(const struct net_addr *a, const struct net_addr *b)
{
	int len = addr_len(a);
	unsigned char d[16];
	int borrow = 0;

	for (int i = len - 1; i >= 0; i--) {
		int v = b->b[i] - a->b[i] - borrow;
		borrow = v < 0;
		d[i] = (unsigned char)(v + (borrow ? 256 : 0));
	}
	if (borrow)
		return 0;
	for (int i = 0; i < len - 8; i++)
		if (d[i])
			return 0;
	uint64_t v = 0;
	for (int i = len < 8 ? 0 : len - 8; i < len; i++)
		v = v << 8 | d[i];
	return v < UINT64_MAX >> 1 ? v + 1 : 0;
}

static int parse_prefix(const char *s, struct discover_range *r, char *err, size_t errlen)
{
	int bits, rc = net_cidr_parse(s, &r->first, &bits);

	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", s, rc == -ERANGE ? "prefix length out of range"
			 : "not an address, a prefix (10.0.0.0/24) nor a range (10.0.0.1-10.0.0.9)");
		return -EINVAL;
	}
	int host_bits = addr_len(&r->first) * 8 - bits;
	for (int i = 0; i < addr_len(&r->first) * 8; i++) /* the network address */
		if (i >= bits)
			r->first.b[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	r->count = host_bits >= 63 ? UINT64_MAX : (uint64_t)1 << host_bits;
	if (r->first.family == AF_INET && host_bits >= 2) { /* no network nor broadcast */
		addr_add(&r->first, 1);
		r->count -= 2;
	}
	return 0;
}

/* "A-B" or "A-N" (N the last byte of a v4 range). */
static int parse_span(char *s, char *dash, struct discover_range *r, char *err, size_t errlen)
{
	struct net_addr last;
	char *end;

	*dash = '\0';
	if (!net_addr_parse(s, &r->first)) {
		snprintf(err, errlen, "%s: not an address", s);
		return -EINVAL;
	}
	last = r->first;
	long n = strtol(dash + 1, &end, 10);
	if (r->first.family == AF_INET && dash[1] && !*end && n >= 0 && n <= 255)
		last.b[3] = (unsigned char)n;
	else if (!net_addr_parse(dash + 1, &last) || last.family != r->first.family) {
		snprintf(err, errlen, "%s: not an address of the same family as %s", dash + 1, s);
		return -EINVAL;
	}
	if (!(r->count = addr_span(&r->first, &last))) {
		snprintf(err, errlen, "%s-%s: the range ends before it starts", s, dash + 1);
		return -EINVAL;
	}
	return 0;
}

int discover_range_parse(const char *s, uint64_t max, struct discover_range *r, char *err,
			 size_t errlen)
{
	char buf[128];
	char *dash;
	int rc;

	*r = (struct discover_range){.count = 0};
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "range too long");
		return -EINVAL;
	}
	dash = strchr(buf, '-');
	rc = dash ? parse_span(buf, dash, r, err, errlen) : parse_prefix(buf, r, err, errlen);
	if (rc < 0)
		return rc;
	if (r->count == UINT64_MAX) {
		snprintf(err, errlen, "%s holds too many addresses, more than %llu", s,
			 (unsigned long long)max);
		return -E2BIG;
	}
	if (r->count > max) {
		snprintf(err, errlen, "%s holds %llu addresses, more than %llu", s,
			 (unsigned long long)r->count, (unsigned long long)max);
		return -E2BIG;
	}
	return 0;
}

void discover_range_addr(const struct discover_range *r, uint64_t i, char *buf, size_t len)
{
	struct net_addr a = r->first;

	addr_add(&a, i);
	if (!inet_ntop(a.family, a.b, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}
