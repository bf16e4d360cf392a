/* The API's socket file: directory, stale-file replacement, mode and group. */
#include "api_internal.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dcmon/fsutil.h"

#define SOCKET_MODE   0660 /* owner and group may connect */
#define SOCKET_DIR_MODE 0755
#define LISTEN_BACKLOG 128
#define GROUP_BUF_MAX (1024 * 1024) /* bytes: bound on getgrnam_r's buffer */

static int fill_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (!path[0] || strlen(path) >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "socket path '%s' is empty or longer than %zu bytes", path,
			 sizeof(sa->sun_path) - 1);
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* mkdir -p of the directories above path, each 0755. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int rc = fs_make_parents(path, SOCKET_DIR_MODE, dir, sizeof(dir));

	if (rc < 0)
		snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(-rc));
	return rc < 0 ? -1 : 0;
}

/* Is a server accepting on the socket file?  0 = no (stale), 1 = yes, -1 = cannot tell. */
static int socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN) /* EAGAIN: a full backlog, but someone listens */
		return 1;
	return e == ECONNREFUSED || e == ENOENT ? 0 : -1;
}

/* bind(), replacing a stale socket file once. */
static int bind_or_replace(int fd, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	const char *path = sa->sun_path;
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
	struct stat st;
	if (errno != EADDRINUSE || lstat(path, &st) < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	int live = socket_live(sa);
	if (live != 0) {
		snprintf(err, errlen, live > 0 ? "another dcmond is running on %s"
					       : "%s is in use and cannot be probed", path);
		return -1;
	}
	log_info("api", NULL, "replacing stale socket %s", path);
	if ((unlink(path) < 0 && errno != ENOENT) ||
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Looks a group up by name (or number); 0 or -1 with err. */
static int group_id(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	size_t len = 1024;
	int rc = ERANGE;
	char *buf = NULL;
	while (rc == ERANGE && len <= GROUP_BUF_MAX) {
		char *nb = realloc(buf, len);
		if (!nb)
			break;
		buf = nb;
		rc = getgrnam_r(group, &gr, buf, len, &res);
		len *= 2;
	}
	if (res)
		*gid = gr.gr_gid;
	free(buf);
	if (res)
		return 0;
	char *end;
	unsigned long n = strtoul(group, &end, 10);
	if (group[0] && !*end) {
		*gid = (gid_t)n;
		return 0;
	}
	snprintf(err, errlen, "unknown group '%s' for the API socket", group);
	return -1;
}

/* Mode 0660 and the group; done before listen() so nobody connects earlier. */
static int set_access(const char *path, const char *group, char *err, size_t errlen)
{
	if (chmod(path, SOCKET_MODE) < 0) {
		snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
		return -1;
	}
	gid_t gid;
	if (!group)
		return 0;
	if (group_id(group, &gid, err, errlen) < 0)
		return -1;
	if (chown(path, (uid_t)-1, gid) < 0) {
		snprintf(err, errlen, "cannot chgrp %s to %s: %s", path, group, strerror(errno));
		return -1;
	}
	return 0;
}

int api_unix_bind(const char *path, const char *group, struct api_unix_id *id, char *err,
		  size_t errlen)
{
	struct sockaddr_un sa;
	if (fill_addr(path, &sa, err, errlen) < 0 || make_parents(path, err, errlen) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind_or_replace(fd, &sa, err, errlen) < 0)
		goto fail_fd;
	struct stat st;
	if (lstat(path, &st) < 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		goto fail_fd;
	}
	*id = (struct api_unix_id){.dev = st.st_dev, .ino = st.st_ino};
	if (set_access(path, group, err, errlen) < 0)
		goto fail_file;
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		goto fail_file;
	}
	return fd;
fail_file:
	api_unix_unlink(path, id);
fail_fd:
	close(fd);
	return -1;
}

void api_unix_unlink(const char *path, const struct api_unix_id *id)
{
	struct stat st;
	if (lstat(path, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino)
		unlink(path);
}
