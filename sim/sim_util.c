/* Small pieces the simulator's servers share: listening TCP sockets and select() sets
 * (every descriptor non-blocking and below FD_SETSIZE, see sim.h), and the loading of a
 * device's profile with a positioned error. */
#include "sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sim_tcp_listen(const char *host, int port, int backlog)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, backlog) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (fd >= FD_SETSIZE) { /* select() could not watch it */
		close(fd);
		return -EMFILE;
	}
	return fd;
}

void sim_fd_add(int fd, fd_set *set, int *maxfd)
{
	FD_SET(fd, set);
	if (fd > *maxfd)
		*maxfd = fd;
}

void sim_profile_path(const char *dir, const struct sim_dev *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.yaml", dir, d->profile);
}

int sim_profile_error(const struct sim_dev *d, const char *path, struct cfg_diags *diags,
		      char *err, size_t len)
{
	if (diags->n) {
		const struct cfg_diag *g = &diags->v[0];
		snprintf(err, len, "%s: profile %s:%d:%d: %s", d->id,
			 g->pos.file ? g->pos.file : path, g->pos.line, g->pos.col, g->msg);
	} else {
		snprintf(err, len, "%s: profile %s: cannot read", d->id, path);
	}
	cfg_diags_free(diags);
	return -EINVAL;
}

bool sim_dev_modbus(const struct sim_dev *d)
{
	switch (d->kind) {
	case SK_UTILITY:
	case SK_ATS:
	case SK_GENERATOR:
	case SK_COOLING:
	case SK_FIRE:
	case SK_SUPPRESSION:
	case SK_LEAK:
		return true;
	default:
		return false;
	}
}
