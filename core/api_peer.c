/* Who is on the other end of an API connection, for the audit log: the Unix socket's
 * peer credentials (SO_PEERCRED, set by the kernel at connect time, so they cannot be
 * forged by the client) as a user name and an origin. */
#include "api_internal.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define PW_BUF_MAX (64 * 1024) /* bytes: getpwuid_r buffer cap (ERANGE doubles up to it) */

/* The user name of uid into buf; 0, or -ENOENT when there is none. */
static int peer_user_name(uid_t uid, char *buf, size_t len)
{
	size_t cap = 1024;
	int rc = -ENOENT;
	for (;;) {
		char *pw_buf = malloc(cap);
		struct passwd pw, *res = NULL;
		int e = pw_buf ? getpwuid_r(uid, &pw, pw_buf, cap, &res) : ENOMEM;
		if (e == 0 && res && res->pw_name && res->pw_name[0]) {
			snprintf(buf, len, "%s", res->pw_name);
			rc = 0;
		}
		free(pw_buf);
		if (e != ERANGE || cap >= PW_BUF_MAX)
			return rc;
		cap *= 2;
	}
}

void api_peer_format(uid_t uid, pid_t pid, struct api_peer *p)
{
	if (peer_user_name(uid, p->who, sizeof(p->who)) < 0)
		snprintf(p->who, sizeof(p->who), "uid:%lu", (unsigned long)uid);
	snprintf(p->origin, sizeof(p->origin), "unix:pid=%ld", (long)pid);
	p->uid = uid;
}

int api_peer_of(int fd, struct api_peer *p)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	if (len != sizeof(cr))
		return -EPROTO;
	api_peer_format(cr.uid, cr.pid, p);
	return 0;
}
