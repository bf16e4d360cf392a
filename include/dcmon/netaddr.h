/* IP addresses and CIDR ranges as text ("10.0.0.5", "2001:db8::/64"): what the tenant
 * layer's limits and an HTTP check's `allow` are written in.  Any thread. */
#ifndef DCMON_NETADDR_H
#define DCMON_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

/* An address, parsed: family (AF_INET, AF_INET6) and bytes. */
struct net_addr {
	int family;
	unsigned char b[16];
};

/* True with *a filled when s is an IPv4 or IPv6 address. */
bool net_addr_parse(const char *s, struct net_addr *a);
/* "10.0.0.0/24", "::1/128" or a bare address: 0 with *net and *bits; -ERANGE for a
 * prefix length out of range; -EINVAL when it looks like neither (a host name). */
int net_cidr_parse(const char *s, struct net_addr *net, int *bits);
/* True if a is inside net/bits (same family). */
bool net_cidr_contains(const struct net_addr *net, int bits, const struct net_addr *a);
/* True if a is inside one of the n CIDRs or addresses of list (host names are skipped). */
bool net_in_list(char *const *list, size_t n, const struct net_addr *a);

/* The end of a check's error when an address its host name resolved to at a poll is
 * outside its allow or inside its deny ("<host> resolves to <addr>: " before it): no
 * packet went there.  The one text of every poller; the tenants part audits it. */
#define NET_REFUSED_BY_ALLOW_DENY "refused by the check's allow/deny"
/* True if a may be probed: inside allow (none: any address) and not inside deny. */
bool net_admits(char *const *allow, size_t nallow, char *const *deny, size_t ndeny,
		const struct net_addr *a);
/* *a from a socket address; false unless it is AF_INET or AF_INET6. */
struct sockaddr;
bool net_addr_of_sockaddr(const struct sockaddr *sa, struct net_addr *a);
/* a as text ("10.0.0.5", "2001:db8::1") into buf (at least 46 bytes). */
void net_addr_format(const struct net_addr *a, char *buf, size_t len);

#endif
