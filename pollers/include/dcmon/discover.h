/* `dcmon discover RANGE`: sweeps an address range and identifies what answers there,
 * with the pollers' own code: an ICMP echo over the ping poller's shared socket, TCP
 * connects to the ports asked, and SNMP (sysObjectID, sysDescr, sysName, then one poll
 * through the SNMP poller with no profile, so that its probe-by-answer selects the
 * profiles exactly as dcmond would).  The engine runs on a loop of its own with a
 * bounded number of addresses in flight; what to print is the caller's (cli/discover.c).
 * Not for the daemon: it blocks its caller until the sweep ends or is stopped. */
#ifndef DCMON_DISCOVER_H
#define DCMON_DISCOVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dcmon/netaddr.h"
#include "dcmon/snmp.h"

#define DISCOVER_RANGE_MAX 1024            /* addresses swept without `--large` */
#define DISCOVER_RANGE_LARGE_MAX 65536     /* addresses swept at most (a /16) */
#define DISCOVER_PORTS_MAX 16              /* TCP ports tried per address */
#define DISCOVER_CONCURRENCY_DEFAULT 64    /* addresses in flight at once */
#define DISCOVER_CONCURRENCY_MAX 1024
#define DISCOVER_TIMEOUT_DEFAULT_MS 1000   /* wait for an answer, per try */

/* Addresses first..first+count-1 (same family). */
struct discover_range {
	struct net_addr first;
	uint64_t count;
};

/* "10.0.0.0/24" (a v4 prefix up to /30 leaves out its network and broadcast
 * addresses), "2001:db8::/120", "10.0.0.5-10.0.0.50", "10.0.0.5-50" (last byte) or
 * one address.  More than `max` addresses is refused (-E2BIG) with the reason in err;
 * anything else unreadable is -EINVAL. */
int discover_range_parse(const char *s, uint64_t max, struct discover_range *r, char *err,
			 size_t errlen);
/* The i-th address of r as text. */
void discover_range_addr(const struct discover_range *r, uint64_t i, char *buf, size_t len);

struct discover_opts {
	struct cfg_snmp snmp;   /* version, community or v3 user, port, timeout, retries */
	bool no_snmp;           /* skip SNMP (only ping and TCP) */
	int ports[DISCOVER_PORTS_MAX];
	size_t nports;
	int concurrency;        /* addresses in flight, 1..DISCOVER_CONCURRENCY_MAX */
	int64_t timeout_ms;     /* wait for an ICMP or TCP answer; SNMP's per try */
	const char *profiles_dir;
};

#define DISCOVER_TEXT_MAX 256

/* Defaults: SNMP v2c "public" on port 161 with one retry, no TCP port, the default
 * concurrency and timeout, profiles_dir NULL (the caller's). */
void discover_opts_init(struct discover_opts *o);
/* `--v3 user=U,auth_proto=sha,auth_pass=P,priv_proto=aes,priv_pass=Q,context=C` (the
 * config's snmp: keys) into c, whose strings then point into spec.  0, or -EINVAL for an
 * unknown key or protocol, an empty value or no user. */
int discover_v3_parse(char *spec, struct cfg_snmp *c);

/* What one address answered. */
struct discover_host {
	char addr[64];
	bool ping;              /* an echo reply came back */
	double rtt_s;
	bool snmp;              /* the agent answered sysObjectID / sysDescr / sysName */
	char sys_oid[128], sys_name[128], sys_descr[DISCOVER_TEXT_MAX];
	char profile[DISCOVER_TEXT_MAX]; /* what probing selects ("a+b"); "" = none fits */
	int kind;               /* enum dev_kind of the (first) profile, -1 */
	char snmp_reason[128];  /* why no profile, when the agent answered */
	int open_ports[DISCOVER_PORTS_MAX];
	size_t nopen;
};

/* Writes the device stanza of h (an item of `devices:`, indented for it) with the
 * config's keys: id, host, description (sysDescr), profile and snmp: when a profile
 * fits, ping and tcp checks for what answered.  id must be a valid config id. */
void discover_stanza(FILE *out, const struct discover_host *h, const char *id,
		     const struct discover_opts *o);

/* True if anything answered at the address. */
bool discover_host_found(const struct discover_host *h);

struct discover_cb {
	/* An address that answered something, once it is done (or, when the sweep is
	 * stopped, with what it answered so far). */
	void (*found)(void *arg, const struct discover_host *h);
	/* About ten times a second and at the end: addresses done of total. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};

/* Sweeps r.  Returns 0 once every address is done, -EINTR when *stop became non-zero
 * (a signal handler's flag: addresses in flight are cut short and reported), or a
 * negative errno when the sweep cannot start (with the reason in err). */
int discover_run(const struct discover_range *r, const struct discover_opts *o,
		 const struct discover_cb *cb, volatile sig_atomic_t *stop, char *err,
		 size_t errlen);

#endif
