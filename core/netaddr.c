/* IP addresses and CIDR ranges as text (dcmon/netaddr.h). */
#include "dcmon/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool net_addr_parse(const char *s, struct net_addr *a)
{
	if (inet_pton(AF_INET, s, a->b) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->b) == 1)
		a->family = AF_INET6;
	else
		return false;
	return true;
}

int net_cidr_parse(const char *s, struct net_addr *net, int *bits)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (!net_addr_parse(buf, net))
		return -EINVAL;
	int max = net->family == AF_INET ? 32 : 128;
	*bits = max;
	if (slash) {
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || v < 0 || v > max)
			return -ERANGE;
		*bits = (int)v;
	}
	return 0;
}

bool net_cidr_contains(const struct net_addr *net, int bits, const struct net_addr *a)
{
	if (net->family != a->family)
		return false;
	int full = bits / 8, rest = bits % 8;
	if (memcmp(net->b, a->b, (size_t)full) != 0)
		return false;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return rest == 0 || (net->b[full] & mask) == (a->b[full] & mask);
}

bool net_in_list(char *const *list, size_t n, const struct net_addr *a)
{
	for (size_t i = 0; i < n; i++) {
		struct net_addr net;
		int bits;
		if (net_cidr_parse(list[i], &net, &bits) == 0 && net_cidr_contains(&net, bits, a))
			return true;
	}
	return false;
}

bool net_admits(char *const *allow, size_t nallow, char *const *deny, size_t ndeny,
		const struct net_addr *a)
{
	return (nallow == 0 || net_in_list(allow, nallow, a)) && !net_in_list(deny, ndeny, a);
}

bool net_addr_of_sockaddr(const struct sockaddr *sa, struct net_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(a->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(a->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return false;
	return true;
}

void net_addr_format(const struct net_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	if (!inet_ntop(a->family, a->b, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, len, "%s", ip);
}
