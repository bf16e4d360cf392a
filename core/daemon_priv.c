/* Who dcmond runs as; see daemon_priv.h for the order at start.
 *
 * Why file identity first and the uid last: the sockets that need root (an HTTP port
 * below 1024, the trap port 162) are opened by the parts as they start, after SQLite,
 * librrd and the worker threads have begun creating files.  setfsuid() before any of
 * that makes those files the user's (threads inherit it), and one setresuid() at the
 * end, which glibc applies to every thread, takes root away from all of them.  The
 * capability a poller needs kept (CAP_NET_RAW, poller_ops.net_raw_needed) is kept on
 * the loop thread alone (capabilities are per thread and only that thread opens the
 * pollers' sockets): workers end with none. */
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
#include "dcmon/part.h"
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

/* Why a poller needs CAP_NET_RAW kept, asked as the user; NULL when none does. */
static const char *net_raw_needed(void)
{
	const char *why = NULL;
	for (const struct poller_ops *const *o = dcmon_pollers(); *o && !why; o++)
		if ((*o)->net_raw_needed)
			why = (*o)->net_raw_needed();
	return why;
}

int daemon_priv_drop(const struct daemon_priv *p)
{
	const struct daemon_user *u = &p->user;
	const char *raw_why;

	if (!p->drop)
		return 0;
	/* this thread keeps its permitted set across setresuid; the others lose all */
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0) {
		log_warn("daemon", NULL, "cannot become %s (uid %u)", u->name, (unsigned)u->uid);
		return -1;
	}
	raw_why = net_raw_needed(); /* as the user */
	if (keep_only_net_raw(raw_why != NULL) < 0 || prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) < 0) {
		log_warn("daemon", NULL, "cannot drop capabilities");
		return -1;
	}
	log_info("daemon", NULL, "running as %s (uid %u, gid %u) with %s%s", u->name,
		 (unsigned)u->uid, (unsigned)u->gid,
		 raw_why ? "CAP_NET_RAW only, " : "no capabilities", raw_why ? raw_why : "");
	return 0;
}

void daemon_priv_log_access(const struct cfg *cfg)
{
	for (const struct poller_ops *const *o = dcmon_pollers(); *o; o++)
		if ((*o)->start_note)
			(*o)->start_note(cfg);
}
