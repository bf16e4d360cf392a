/* What ping checks need of dcmond's privileges (dcmon/daemon_priv.h), for the icmp
 * poller's ops: ICMP datagram sockets when the user's group may open them
 * (net.ipv4.ping_group_range), raw ones with CAP_NET_RAW otherwise. */
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/host_checks.h"
#include "dcmon/log.h"
#include "icmp_sock.h"

const char *icmp_net_raw_needed(void)
{
	return icmp_sock_access() != 0 ? "for ping: ICMP datagram sockets are not allowed for "
					 "its group (net.ipv4.ping_group_range)"
				       : NULL;
}

static bool any_ping(const struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (ping_check_of(&cfg->devices[i]))
			return true;
	return false;
}

void icmp_start_note(const struct cfg *cfg)
{
	int a;
	unsigned gid = (unsigned)getegid();

	if (!any_ping(cfg))
		return;
	a = icmp_sock_access();
	if (a == 0)
		log_info("icmp", NULL, "ping uses ICMP datagram sockets (net.ipv4.ping_group_range)");
	else if (a == 1)
		log_info("icmp", NULL, "ping uses raw ICMP sockets (CAP_NET_RAW)");
	else
		log_warnx("icmp", NULL, "ping checks will fail: uid %u gid %u may not open ICMP "
			  "sockets (%s): %s, e.g. sysctl -w net.ipv4.ping_group_range='%u %u', or "
			  "setcap cap_net_raw+ep dcmond, or AmbientCapabilities=CAP_NET_RAW in the "
			  "systemd unit", (unsigned)geteuid(), gid, strerror(-a),
			  ICMP_GRANT_HINT, gid, gid);
}
