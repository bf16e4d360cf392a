/* The control socket's I/O: a Unix stream socket, one command line per connection,
 * answered with "ok" or "error" on the first line and text after it, then closed.
 *
 * How it stays non-blocking (the loop also serves every simulated device): the
 * listener and every accepted connection are O_NONBLOCK; accept4() runs only when
 * select() reported the listener readable; a connection's bytes are appended to a
 * bounded line buffer with one read per round until the newline arrives; the answer
 * goes to a bounded output buffer written with send(MSG_DONTWAIT) when the connection
 * is writable.  A client that neither finishes its line nor reads its answer within
 * CTL_DEADLINE_MS is dropped; at most CTL_CONNS connections are served at once, the
 * others wait in the listen backlog.
 *
 * The client side (sim_control_call) is an ordinary blocking client with timeouts.
 */
#include "sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CTL_LINE_MAX 4096       /* bytes of a command line */
#define CTL_REPLY_MAX 65536     /* bytes of an answer */
#define CTL_CONNS 8             /* connections served at once */
#define CTL_DEADLINE_MS 30000   /* a connection's whole life, ms */
#define CTL_CLIENT_TIMEOUT_S 10 /* the client's wait for the answer */

struct ctl_conn {
	int fd;                 /* -1 = free slot */
	int64_t deadline_ms;    /* monotonic ms: dropped after it */
	char in[CTL_LINE_MAX];  /* the command line as received */
	size_t nin;
	char *out;              /* the answer, NULL until the line is complete */
	size_t nout, sent;      /* answer length, bytes already sent */
};

struct sim_control {
	int lfd;
	char *path;             /* unlinked on free */
	struct ctl_conn c[CTL_CONNS];
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int bind_listen(const char *path, char *err, size_t len)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, len, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;
		snprintf(err, len, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return e;
	}
	chmod(path, 0600);
	return fd;
}

struct sim_control *sim_control_new(const char *path, char *err, size_t len)
{
	struct sim_control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl || !(ctl->path = strdup(path))) {
		snprintf(err, len, "out of memory");
		free(ctl);
		return NULL;
	}
	for (int i = 0; i < CTL_CONNS; i++)
		ctl->c[i].fd = -1;
	ctl->lfd = bind_listen(path, err, len);
	if (ctl->lfd >= FD_SETSIZE) { /* select() could not watch it */
		snprintf(err, len, "control socket: descriptor %d too high", ctl->lfd);
		close(ctl->lfd);
		ctl->lfd = -1;
	}
	if (ctl->lfd < 0) {
		sim_control_free(ctl);
		return NULL;
	}
	return ctl;
}

static void conn_close(struct ctl_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->nin = c->nout = c->sent = 0;
}

void sim_control_free(struct sim_control *ctl)
{
	if (!ctl)
		return;
	for (int i = 0; i < CTL_CONNS; i++)
		conn_close(&ctl->c[i]);
	if (ctl->lfd >= 0) {
		close(ctl->lfd);
		unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl);
}

static bool has_free_slot(const struct sim_control *ctl)
{
	for (int i = 0; i < CTL_CONNS; i++)
		if (ctl->c[i].fd < 0)
			return true;
	return false;
}

void sim_control_fds(const struct sim_control *ctl, fd_set *rset, fd_set *wset, int *maxfd)
{
	if (has_free_slot(ctl))
		sim_fd_add(ctl->lfd, rset, maxfd);
	for (int i = 0; i < CTL_CONNS; i++) {
		const struct ctl_conn *c = &ctl->c[i];
		if (c->fd < 0)
			continue;
		sim_fd_add(c->fd, c->out ? wset : rset, maxfd);
	}
}

/* Formats the answer of a complete line into c->out. */
static void conn_answer(struct sim *s, struct ctl_conn *c, bool too_long)
{
	char *text = malloc(CTL_REPLY_MAX);
	c->out = malloc(CTL_REPLY_MAX);
	if (!text || !c->out) {
		free(text);
		conn_close(c);
		return;
	}
	bool ok = false;
	if (too_long) {
		snprintf(text, CTL_REPLY_MAX, "command too long");
	} else {
		c->in[c->nin] = '\0';
		ok = sim_control_execute(s, c->in, text, CTL_REPLY_MAX);
	}
	size_t tl = strlen(text);
	int n = snprintf(c->out, CTL_REPLY_MAX, "%s\n%s%s", ok ? "ok" : "error", text,
			 tl && text[tl - 1] != '\n' ? "\n" : "");
	c->nout = n < 0 ? 0 : (size_t)n >= CTL_REPLY_MAX ? CTL_REPLY_MAX - 1 : (size_t)n;
	free(text);
}

static void conn_read(struct sim *s, struct ctl_conn *c)
{
	ssize_t r = recv(c->fd, c->in + c->nin, sizeof(c->in) - 1 - c->nin, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (r <= 0) {
		conn_close(c); /* the client left before its line was complete */
		return;
	}
	c->nin += (size_t)r;
	if (memchr(c->in, '\n', c->nin))
		conn_answer(s, c, false);
	else if (c->nin == sizeof(c->in) - 1)
		conn_answer(s, c, true);
}

static void conn_write(struct ctl_conn *c)
{
	ssize_t w = send(c->fd, c->out + c->sent, c->nout - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (w > 0)
		c->sent += (size_t)w;
	if (w <= 0 || c->sent == c->nout)
		conn_close(c); /* answered (or the client left) */
}

static void accept_conns(struct sim_control *ctl, int64_t now)
{
	for (int i = 0; i < CTL_CONNS; i++) {
		struct ctl_conn *c = &ctl->c[i];
		if (c->fd >= 0)
			continue;
		int fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: nothing pending */
		if (fd >= FD_SETSIZE) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->deadline_ms = now + CTL_DEADLINE_MS;
	}
}

void sim_control_serve(struct sim *s, struct sim_control *ctl, const fd_set *rset,
		       const fd_set *wset)
{
	int64_t now = mono_ms();
	for (int i = 0; i < CTL_CONNS; i++) {
		struct ctl_conn *c = &ctl->c[i];
		if (c->fd < 0)
			continue;
		if (c->out && FD_ISSET(c->fd, wset))
			conn_write(c);
		else if (!c->out && FD_ISSET(c->fd, rset))
			conn_read(s, c);
		if (c->fd >= 0 && now > c->deadline_ms) {
			log_warnx("sim", NULL, "control client too slow: dropped");
			conn_close(c);
		}
	}
	if (FD_ISSET(ctl->lfd, rset))
		accept_conns(ctl, now);
}

/* Reads the whole answer (until the simulator closes) into a NUL-terminated buffer. */
static char *read_answer(int fd)
{
	char *buf = malloc(CTL_REPLY_MAX);
	size_t len = 0;
	while (buf && len < CTL_REPLY_MAX - 1) {
		ssize_t r = read(fd, buf + len, CTL_REPLY_MAX - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

int sim_control_call(const char *path, const char *line, FILE *out, FILE *errout)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(errout, "dcmon-sim: control socket path too long: %s\n", path);
		return 3;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(errout, "dcmon-sim: cannot reach the simulator at %s: %s (is `dcmon-sim serve` running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 3;
	}
	struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char req[CTL_LINE_MAX];
	int n = snprintf(req, sizeof(req), "%s\n", line);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    send(fd, req, (size_t)n, MSG_NOSIGNAL) != (ssize_t)n) {
		fprintf(errout, "dcmon-sim: cannot send the command: %s\n",
			n >= 0 && (size_t)n >= sizeof(req) ? "too long" : strerror(errno));
		close(fd);
		return 3;
	}
	char *buf = read_answer(fd);
	close(fd);
	if (!buf)
		return 3;
	int rc;
	char *nl = strchr(buf, '\n');
	if (nl && strncmp(buf, "ok\n", 3) == 0) {
		fputs(nl + 1, out);
		rc = 0;
	} else if (nl && strncmp(buf, "error\n", 6) == 0) {
		fprintf(errout, "dcmon-sim: %s", nl + 1);
		rc = 1;
	} else {
		fprintf(errout, "dcmon-sim: no answer from the simulator\n");
		rc = 3;
	}
	free(buf);
	return rc;
}
