/* Our own client for rrdcached's text protocol (rrdcached(1), "PROTOCOL"): one
 * connection, Unix or TCP, every wait bounded by a timeout, every reply line read
 * through a bounded buffer.  Used by the archive's writer thread only; replaces
 * librrd's process-wide rrdc_* client, which has no BATCH and one round trip per file. */
#include "archive_int.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CACHEDC_DEFAULT_PORT "42217"    /* rrdcached's TCP port */
#define CACHEDC_WBUF_FLUSH 65536        /* bytes of batch output gathered before a write */
#define CACHEDC_REPLY_LINES_MAX 1000000 /* lines after a status line we accept */

void cachedc_init(struct cachedc *c, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms;
}

void cachedc_close(struct cachedc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rstart = c->rend = 0;
	c->wlen = 0;
	c->batch_cmds = 0;
	c->in_batch = false;
}

void cachedc_destroy(struct cachedc *c)
{
	cachedc_close(c);
	free(c->wbuf);
	c->wbuf = NULL;
	c->wcap = 0;
}

bool cachedc_is_open(const struct cachedc *c)
{
	return c->fd >= 0;
}

bool cachedc_idle_ok(const struct cachedc *c)
{
	/* Between requests rrdcached sends nothing: readable means EOF or garbage. */
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	return c->fd >= 0 && c->rend == c->rstart && poll(&p, 1, 0) == 0;
}

/* Waits up to the timeout for events on the socket.  0 or -ETIMEDOUT / -errno. */
static int cc_wait(struct cachedc *c, short events)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	for (int tries = 0; tries < 100; tries++) { /* EINTR only: bounded anyway */
		int n = poll(&p, 1, c->timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
	return -EINTR;
}

/* Writes all n bytes or fails; each wait for room is bounded by the timeout. */
static int cc_write_all(struct cachedc *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int r = cc_wait(c, POLLOUT);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Reads more bytes into rbuf.  -EPROTO when a line does not fit, -ECONNRESET at EOF. */
static int cc_fill(struct cachedc *c)
{
	if (c->rstart > 0) {
		memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
		c->rend -= c->rstart;
		c->rstart = 0;
	}
	if (c->rend >= sizeof(c->rbuf))
		return -EPROTO;
	for (;;) {
		ssize_t k = recv(c->fd, c->rbuf + c->rend, sizeof(c->rbuf) - c->rend, 0);
		if (k > 0) {
			c->rend += (size_t)k;
			return 0;
		}
		if (k == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int r = cc_wait(c, POLLIN);
		if (r < 0)
			return r;
	}
}

/* The next reply line, NUL-terminated without its line end; valid until the next
 * read.  0 or a negative errno. */
static int cc_line(struct cachedc *c, char **line)
{
	for (;;) { /* each pass reads bytes into a bounded buffer, or fails */
		char *s = c->rbuf + c->rstart;
		char *nl = memchr(s, '\n', c->rend - c->rstart);
		if (nl) {
			*nl = '\0';
			if (nl > s && nl[-1] == '\r')
				nl[-1] = '\0';
			c->rstart = (size_t)(nl - c->rbuf) + 1;
			*line = s;
			return 0;
		}
		int r = cc_fill(c);
		if (r < 0)
			return r;
	}
}

/* Splits a status line "<int> <message>".  -EPROTO if it is not one. */
static int cc_status(const char *line, long *status, const char **msg)
{
	char *end;
	errno = 0;
	long v = strtol(line, &end, 10);
	if (end == line || errno != 0 || (*end != ' ' && *end != '\0'))
		return -EPROTO;
	while (*end == ' ')
		end++;
	*status = v;
	*msg = end;
	return 0;
}

/* Fails the connection: closes it and passes r on. */
static int cc_fail(struct cachedc *c, int r)
{
	cachedc_close(c);
	return r;
}

int cachedc_request(struct cachedc *c, const char *cmd, long *status, char *msg, size_t msglen)
{
	return cachedc_request_lines(c, cmd, status, msg, msglen, NULL, NULL);
}

int cachedc_request_lines(struct cachedc *c, const char *cmd, long *status, char *msg,
                          size_t msglen, cachedc_line_fn *fn, void *arg)
{
	if (c->fd < 0 || c->in_batch)
		return -ENOTCONN;
	size_t n = strlen(cmd);
	if (n == 0 || n >= CACHEDC_LINE_MAX || memchr(cmd, '\n', n))
		return -EINVAL;
	char buf[CACHEDC_LINE_MAX + 1];
	memcpy(buf, cmd, n);
	buf[n] = '\n';
	int r = cc_write_all(c, buf, n + 1);
	char *line = NULL;
	const char *text = "";
	if (r == 0)
		r = cc_line(c, &line);
	if (r == 0)
		r = cc_status(line, status, &text);
	if (r < 0)
		return cc_fail(c, r);
	snprintf(msg, msglen, "%s", text);
	if (*status > CACHEDC_REPLY_LINES_MAX)
		return cc_fail(c, -EPROTO);
	for (long i = 0; i < *status; i++) { /* lines that follow */
		r = cc_line(c, &line);
		if (r < 0)
			return cc_fail(c, r);
		if (fn)
			fn(arg, line);
	}
	return 0;
}

int cachedc_batch_begin(struct cachedc *c, char *msg, size_t msglen)
{
	long status = -1;
	int r = cachedc_request(c, "BATCH", &status, msg, msglen);
	if (r < 0)
		return r;
	if (status != 0) /* refused (permissions?): this connection cannot take batches */
		return cc_fail(c, -EREMOTEIO);
	c->in_batch = true;
	c->batch_cmds = 0;
	c->wlen = 0;
	return 0;
}

/* Writes out the gathered batch output. */
static int cc_wflush(struct cachedc *c)
{
	int r = cc_write_all(c, c->wbuf, c->wlen);
	c->wlen = 0;
	return r;
}

/* Makes room for n more bytes of batch output. */
static int cc_wreserve(struct cachedc *c, size_t n)
{
	if (c->wlen + n <= c->wcap)
		return 0;
	size_t cap = c->wcap ? c->wcap : CACHEDC_WBUF_FLUSH + CACHEDC_LINE_MAX;
	while (cap < c->wlen + n)
		cap *= 2;
	char *p = realloc(c->wbuf, cap);
	if (!p)
		return -ENOMEM;
	c->wbuf = p;
	c->wcap = cap;
	return 0;
}

int cachedc_batch_add(struct cachedc *c, const char *line, size_t len)
{
	if (c->fd < 0 || !c->in_batch)
		return -ENOTCONN;
	if (len == 0 || len >= CACHEDC_LINE_MAX || memchr(line, '\n', len))
		return -EINVAL; /* an empty line would end rrdcached's connection */
	if (c->batch_cmds >= INT_MAX)
		return -E2BIG;
	int r = cc_wreserve(c, len + 1);
	if (r < 0)
		return r; /* nothing written: the batch is still usable */
	memcpy(c->wbuf + c->wlen, line, len);
	c->wbuf[c->wlen + len] = '\n';
	c->wlen += len + 1;
	if (c->wlen >= CACHEDC_WBUF_FLUSH && (r = cc_wflush(c)) < 0)
		return cc_fail(c, r);
	return (int)++c->batch_cmds;
}

/* Reads one "<command number> <message>" line of a batch's error list. */
static int cc_batch_error(struct cachedc *c, cachedc_error_fn *fn, void *arg)
{
	char *line = NULL;
	const char *text = "";
	long num = 0;
	int r = cc_line(c, &line);
	if (r == 0)
		r = cc_status(line, &num, &text);
	if (r < 0)
		return r;
	if (num < 1 || (unsigned long)num > c->batch_cmds)
		return -EPROTO;
	fn(arg, (unsigned)num, text);
	return 0;
}

int cachedc_batch_end(struct cachedc *c, cachedc_error_fn *fn, void *arg)
{
	if (c->fd < 0 || !c->in_batch)
		return -ENOTCONN;
	int r = cc_wreserve(c, 2);
	if (r < 0)
		return cc_fail(c, r);
	memcpy(c->wbuf + c->wlen, ".\n", 2);
	c->wlen += 2;
	char *line = NULL;
	const char *text = "";
	long nerr = 0;
	r = cc_wflush(c);
	if (r == 0)
		r = cc_line(c, &line);
	if (r == 0)
		r = cc_status(line, &nerr, &text);
	if (r == 0 && (nerr < 0 || (unsigned long)nerr > c->batch_cmds))
		r = -EPROTO; /* at most one error per command */
	for (long i = 0; r == 0 && i < nerr; i++)
		r = cc_batch_error(c, fn, arg);
	if (r < 0)
		return cc_fail(c, r);
	c->in_batch = false;
	return 0;
}

int cachedc_escape(char *out, size_t outlen, const char *name)
{
	size_t n = 0;
	for (const char *p = name; *p; p++) {
		if (*p == '\n' || *p == '\r')
			return -EINVAL; /* a line end cannot be sent */
		bool esc = *p == ' ' || *p == '\\' || *p == '\t';
		if (n + esc + 2 > outlen)
			return -ENAMETOOLONG;
		if (esc)
			out[n++] = '\\';
		out[n++] = *p;
	}
	if (outlen == 0)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return (int)n;
}

/* Connects fd to sa, waiting up to timeout_ms.  0 or -errno. */
static int cc_connect_fd(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -errno;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int n = poll(&p, 1, timeout_ms);
	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0)
		return -errno;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		return -errno;
	return soerr ? -soerr : 0;
}

static int cc_connect_unix(struct cachedc *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long or empty");
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	int r = cc_connect_fd(fd, (struct sockaddr *)&sa, sizeof(sa), c->timeout_ms);
	if (r < 0) {
		close(fd);
		snprintf(err, errlen, "connect %s: %s", path, strerror(-r));
		return r;
	}
	c->fd = fd;
	return 0;
}

/* Splits "host:port", "[v6]:port", "host" or a bare IPv6 address into host and port. */
static int cc_split_hostport(const char *addr, char *host, size_t hostlen, const char **port)
{
	const char *h = addr, *colon = strrchr(addr, ':');
	size_t hlen = strlen(addr);
	*port = CACHEDC_DEFAULT_PORT;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || (close[1] != '\0' && close[1] != ':'))
			return -EINVAL;
		h = addr + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			*port = close + 2;
	} else if (colon && colon == strchr(addr, ':')) { /* exactly one colon */
		hlen = (size_t)(colon - addr);
		*port = colon + 1;
	}
	if (hlen == 0 || hlen >= hostlen || !**port)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return 0;
}

/* Tries one resolved address.  0 with c->fd set, or -errno. */
static int cc_connect_ai(struct cachedc *c, const struct addrinfo *ai)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int r = cc_connect_fd(fd, ai->ai_addr, ai->ai_addrlen, c->timeout_ms);
	if (r < 0) {
		close(fd);
		return r;
	}
	int one = 1; /* small request lines must not wait for Nagle */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	return 0;
}

static int cc_connect_tcp(struct cachedc *c, const char *addr, char *err, size_t errlen)
{
	char host[256];
	const char *port;
	if (cc_split_hostport(addr, host, sizeof(host), &port) < 0) {
		snprintf(err, errlen, "bad address (want host:port, [v6]:port or unix:/path)");
		return -EINVAL;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int r = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai && r < 0; ai = ai->ai_next)
		r = cc_connect_ai(c, ai);
	freeaddrinfo(res);
	if (r < 0)
		snprintf(err, errlen, "connect %s: %s", addr, strerror(-r));
	return r;
}

bool cachedc_addr_is_unix(const char *addr)
{
	return addr && (addr[0] == '/' || strncmp(addr, "unix:", 5) == 0);
}

int cachedc_connect(struct cachedc *c, const char *addr, char *err, size_t errlen)
{
	cachedc_close(c);
	if (!cachedc_addr_is_unix(addr))
		return cc_connect_tcp(c, addr, err, errlen);
	return cc_connect_unix(c, addr[0] == '/' ? addr : addr + 5, err, errlen);
}
