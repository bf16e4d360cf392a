/* TCP port checks: a device's `checks: tcp:` list (docs/CONFIG.md).  The contract
 * between the config (one CFGK_SEQ row in the tcp poller's check_keys) and
 * pollers/tcp.c.
 *
 *   checks:
 *     tcp:
 *       - 22
 *       - {port: 25, expect: "220 ", timeout: 2s}
 */
#ifndef DCMON_TCP_CHECK_H
#define DCMON_TCP_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

/* One `checks: tcp:` item.  Decoded and validated: send's escapes are decoded. */
struct cfg_tcp {
	char *host;         /* NULL = the device's host */
	int port;           /* 1..65535 */
	char *send;         /* bytes to send after connect, may be NULL (C escapes \r \n \t decoded) */
	char *expect;       /* substring the banner/reply must contain, may be NULL */
	int64_t timeout_ms; /* CFG_UNSET = the device timeout */
	struct cfg_pos pos;
};

/* The `checks:` keys the tcp poller brings (`tcp:`, a list the kernel keeps in a slot of
 * the device, CFG_PART_SECTION). */
extern const struct cfg_key tcp_checks_keys[];
/* A check without a host needs the device's: refused at the check's position. */
void tcp_device_check(const struct cfg_device *dev, const struct cfgnode *node,
		      struct cfg_diags *d);
/* The device's `checks: tcp:` items, *n of them (NULL and 0 when it has none). */
const struct cfg_tcp *tcp_checks_of(const struct cfg_device *dev, size_t *n);

#endif
