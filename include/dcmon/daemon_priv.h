/* Files and privileges of dcmond: the user it runs as (daemon.user), the ownership and
 * modes of its directories and state files, and the drop from root after start.
 *
 * The order at start (core/daemon.c):
 *   1. daemon_priv_plan:    who to become (root start only); decided before anything.
 *   2. daemon_files_prepare: data_dir, state_dir and the socket's directory exist,
 *      belong to that user and are closed to others; state files lose others' access.
 *   3. daemon_priv_adopt:   file identity (fsuid/fsgid) of the user, so every file
 *      created from here on (SQLite, RRD, socket) is the user's, while the
 *      process keeps root for the sockets that need it.
 *   4. ... every part starts: HTTP port < 1024, trap port 162 ...
 *   5. daemon_priv_drop:    the user's uid and gid in every thread; only CAP_NET_RAW
 *      kept, on the loop thread, when a poller needs it (daemon_priv_log_access then
 *      says whether the pollers' checks can work).
 * Loop thread only, before step 5 single-threaded up to 3. */
#ifndef DCMON_DAEMON_PRIV_H
#define DCMON_DAEMON_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dcmon/config.h"

#define DAEMON_DEFAULT_USER "dcmon" /* used when started as root without daemon.user */

/* A user dcmond runs as. */
struct daemon_user {
	uid_t uid;
	gid_t gid;       /* the user's primary group */
	char name[64];
};

/* Looks a user up by name (or number).  0, -ENOENT, or another negative errno. */
int daemon_user_lookup(const char *name, struct daemon_user *u);

/* What to become after start. */
struct daemon_priv {
	bool drop;             /* started as root, becomes `user` */
	struct daemon_user user;
};

/* Decides from daemon.user and who started us; says so in the log (loudly when root
 * stays root).  0, or -1 when the configured user is gone (logged). */
int daemon_priv_plan(const struct cfg_daemon *dm, struct daemon_priv *p);

/* Makes data_dir, state_dir and the socket's directory, gives them to the user when
 * p->drop (a tree owned by someone else is walked and chowned once), closes the
 * directories and the state files to others (logged when tightened).  0 or -1 (logged). */
int daemon_files_prepare(const struct cfg_daemon *dm, const struct daemon_priv *p);

/* Takes the user's groups and file identity: from here on files are created as the
 * user.  No-op without p->drop.  0 or -1 (logged). */
int daemon_priv_adopt(const struct daemon_priv *p);

/* Becomes the user in every thread, keeping CAP_NET_RAW (loop thread only) when a
 * poller needs it (poller_ops.net_raw_needed, asked as the user).  No-op without
 * p->drop.  0 or -1 (logged): a start that cannot drop must not go on as root. */
int daemon_priv_drop(const struct daemon_priv *p);

/* Says at start whether the pollers' checks of cfg can work with the privileges left,
 * or how to grant them (poller_ops.start_note). */
void daemon_priv_log_access(const struct cfg *cfg);

#endif
