/* dcmond's open files limit: raised at start from the soft limit to the hard limit.
 *
 * Why: every Modbus TCP gateway (one connection each, kept open), TCP check in flight,
 * API or dashboard client and RRD update in progress holds a descriptor, and the usual
 * soft default (1024) stops a daemon near a thousand gateways with EMFILE, while the
 * hard limit (set by the administrator or systemd's LimitNOFILE) is what the site
 * allows.  Servers such as nginx (worker_rlimit_nofile) and Redis (maxclients) raise
 * their own soft limit the same way.  Libraries that wait with select() must then not
 * be handed descriptors at or above FD_SETSIZE; see modbus_rtu.c.
 */
#include "daemon.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "dcmon/log.h"

int daemon_raise_nofile(uint64_t *was, uint64_t *now)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	*was = *now = (uint64_t)rl.rlim_cur;
	if (rl.rlim_cur >= rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	*now = (uint64_t)rl.rlim_max;
	return 0;
}

void daemon_log_nofile(void)
{
	uint64_t was = 0, now = 0;
	int rc = daemon_raise_nofile(&was, &now);
	if (rc < 0)
		log_warnx("daemon", NULL, "cannot raise the open files limit from %llu: %s",
			  (unsigned long long)was, strerror(-rc));
	else if (now != was)
		log_info("daemon", NULL, "open files limit raised from %llu to %llu (the hard limit)",
			 (unsigned long long)was, (unsigned long long)now);
	else
		log_info("daemon", NULL, "open files limit %llu (already the hard limit)",
			 (unsigned long long)now);
}
