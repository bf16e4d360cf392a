/* Who dcmond runs as; see daemon_priv.h for the order at start.
 *
 * Why file identity first and the uid last: the sockets that need root (an HTTP port
 * below 1024, the trap port 162) are opened by the parts as they start, after SQLite,
 * librrd and the worker threads have begun creating files.  setfsuid() before any of
 * that makes those files the user's (threads inherit it), and one setresuid() at the
 * end, which glibc applies to every thread, takes root away from all of them.  The
 * capability kept for ping is kept on the loop thread alone (capabilities are per
 * thread and only that thread opens ICMP sockets): workers end with none. */
#include "dcmon/daemon_priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "dcmon/log.h"
#include "dcmon/poller.h"

#define PW_BUF_LEN 16384 /* bytes: getpwnam_r's buffer, ample for one passwd entry */

int daemon_user_lookup(const char *name, struct daemon_user *u)
{
	char buf[PW_BUF_LEN], *end;
	struct passwd pw, *res = NULL;
	unsigned long n = strtoul(name, &end, 10);
	int rc = name[0] && !*end ? getpwuid_r((uid_t)n, &pw, buf, sizeof(buf), &res)
				  : getpwnam_r(name, &pw, buf, sizeof(buf), &res);

	if (rc != 0)
		return -rc;
	if (!res)
		return -ENOENT;
	*u = (struct daemon_user){.uid = pw.pw_uid, .gid = pw.pw_gid};
	snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
	return 0;
}

int daemon_priv_plan(const struct cfg_daemon *dm, struct daemon_priv *p)
{
	const char *name = dm->user ? dm->user : DAEMON_DEFAULT_USER;
	int rc;

	*p = (struct daemon_priv){0};
	if (geteuid() != 0) {
		if (dm->user)
			log_info("daemon", NULL, "not started as root: running as uid %u, "
				 "daemon.user %s has no effect", (unsigned)geteuid(), dm->user);
		return 0;
	}
	rc = daemon_user_lookup(name, &p->user);
	if (rc == -ENOENT && !dm->user) {
		log_warnx("daemon", NULL, "started as root and there is no user '%s': dcmond keeps "
			  "running as root with every capability; create it (useradd --system "
			  "--shell /usr/sbin/nologin %s) or set daemon.user (root to stay root "
			  "deliberately)", name, name);
		return 0;
	}
	if (rc < 0) {
		log_msg(LOG_LVL_ERROR, "daemon", NULL, "daemon.user %s: %s", name,
			rc == -ENOENT ? "no such user" : strerror(-rc));
		return -1;
	}
	if (p->user.uid == 0) {
		log_warnx("daemon", NULL, "running as root with every capability (daemon.user: %s)",
			  name);
		return 0;
	}
	p->drop = true;
	return 0;
}

int daemon_priv_adopt(const struct daemon_priv *p)
{
	const struct daemon_user *u = &p->user;

	if (!p->drop)
		return 0;
	if (initgroups(u->name, u->gid) < 0) {
		log_warn("daemon", NULL, "cannot take the groups of %s", u->name);
		return -1;
	}
	setfsgid(u->gid);
	setfsuid(u->uid);
	/* an id not taken is not reported by the call itself: ask for the current one */
	if ((uid_t)setfsuid((uid_t)-1) != u->uid || (gid_t)setfsgid((gid_t)-1) != u->gid) {
		log_msg(LOG_LVL_ERROR, "daemon", NULL, "cannot take the file identity of %s",
			u->name);
		return -1;
	}
	return 0;
}

/* Keeps CAP_NET_RAW alone (keep) or nothing in this thread's sets. */
static int keep_only_net_raw(bool keep)
{
	cap_value_t net_raw = CAP_NET_RAW;
	cap_t c = cap_init();
	int rc = -1;

	if (!c)
		return -1;
	if (!keep || (cap_set_flag(c, CAP_PERMITTED, 1, &net_raw, CAP_SET) == 0 &&
		      cap_set_flag(c, CAP_EFFECTIVE, 1, &net_raw, CAP_SET) == 0))
		rc = cap_set_proc(c);
	cap_free(c);
	return rc;
}

int daemon_priv_drop(const struct daemon_priv *p)
{
	const struct daemon_user *u = &p->user;
	bool raw;

	if (!p->drop)
		return 0;
	/* this thread keeps its permitted set across setresuid; the others lose all */
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0) {
		log_warn("daemon", NULL, "cannot become %s (uid %u)", u->name, (unsigned)u->uid);
		return -1;
	}
	raw = poller_icmp_access() != 0; /* as the user: its group in ping_group_range? */
	if (keep_only_net_raw(raw) < 0 || prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) < 0) {
		log_warn("daemon", NULL, "cannot drop capabilities");
		return -1;
	}
	log_info("daemon", NULL, "running as %s (uid %u, gid %u) with %s", u->name,
		 (unsigned)u->uid, (unsigned)u->gid,
		 raw ? "CAP_NET_RAW only, for ping: ICMP datagram sockets are not allowed for "
		       "its group (net.ipv4.ping_group_range)"
		     : "no capabilities");
	return 0;
}

static bool any_ping(const struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (cfg->devices[i].ping)
			return true;
	return false;
}

void daemon_priv_log_icmp(const struct cfg *cfg)
{
	int a;
	unsigned gid = (unsigned)getegid();

	if (!any_ping(cfg))
		return;
	a = poller_icmp_access();
	if (a == 0)
		log_info("icmp", NULL, "ping uses ICMP datagram sockets (net.ipv4.ping_group_range)");
	else if (a == 1)
		log_info("icmp", NULL, "ping uses raw ICMP sockets (CAP_NET_RAW)");
	else
		log_warnx("icmp", NULL, "ping checks will fail: uid %u gid %u may not open ICMP "
			  "sockets (%s): %s, e.g. sysctl -w net.ipv4.ping_group_range='%u %u', or "
			  "setcap cap_net_raw+ep dcmond, or AmbientCapabilities=CAP_NET_RAW in the "
			  "systemd unit", (unsigned)geteuid(), gid, strerror(-a),
			  POLLER_ICMP_GRANT_HINT, gid, gid);
}
