/* Modbus TCP transport: our own MBAP framing on a non-blocking socket watched by the
 * daemon's epoll loop.
 *
 * Why not libmodbus for TCP: libmodbus blocks and waits with select(), which cannot
 * watch descriptors at or above FD_SETSIZE (1024); collectd's modbus plugin aborts near
 * 1,020 hosts for that reason.  Here a link costs one descriptor in epoll and no
 * thread, so thousands of gateways or devices are polled from the one loop (raise
 * RLIMIT_NOFILE accordingly).  Replies are read through a bounded buffer of one ADU
 * (260 bytes) and decoded by modbus_mbap.c; a reply whose transaction id is not the
 * one in flight (the late answer of a request that already timed out) is dropped.
 *
 * Connection policy: connect on the first request; on connect failure refuse requests
 * at once until a backoff (250 ms doubling to 10 s) has passed; after 3 timeouts in a
 * row with no reply in between, reconnect (a half-open connection looks like that).
 * Host names are resolved with getaddrinfo() on the loop at (re)connect time; give
 * addresses for gateways whose names resolve slowly.
 */
#include "modbus.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmon/log.h"

#define TCP_BACKOFF_MIN_MS 250
#define TCP_BACKOFF_MAX_MS 10000
#define TCP_TIMEOUTS_RECONNECT 3 /* timeouts in a row before the connection is renewed */

struct tcp_state {
	struct modbus_link *link;
	int fd;                       /* -1 when closed */
	bool connected;               /* connect() finished */
	uint8_t rbuf[MBAP_ADU_MAX];   /* bytes of the frame being read */
	size_t rlen;
	uint8_t wbuf[12];             /* the request being written */
	size_t wlen, woff;
	uint16_t next_tid;
	struct modbus_xact *cur;      /* in flight, or NULL */
	struct loop_timer *timer;     /* reply / connect timeout of cur */
	int64_t backoff_ms;           /* current connect backoff, 0 = none */
	int64_t retry_at_ms;          /* monotonic: no connect attempt before */
	int last_err;                 /* errno of the last connect failure */
	int timeouts;                 /* in a row */
	struct log_complaint complaint;
};

static void tcp_io(struct loop *loop, int fd, unsigned events, void *arg);

static void tcp_close(struct tcp_state *s)
{
	if (s->fd < 0)
		return;
	loop_io_del(modbus_link_loop(s->link), s->fd);
	close(s->fd);
	s->fd = -1;
	s->connected = false;
	s->rlen = 0;
}

/* Ends the transaction in flight with err (0 = result already decoded). */
static void tcp_finish(struct tcp_state *s, int err)
{
	struct modbus_xact *x = s->cur;

	if (!x)
		return;
	s->cur = NULL;
	loop_timer_cancel(modbus_link_loop(s->link), s->timer);
	s->timer = NULL;
	if (err)
		modbus_result_set_error(&x->res, err);
	modbus_link_xact_done(s->link, x);
}

static void connect_failed(struct tcp_state *s, int err)
{
	struct loop *loop = modbus_link_loop(s->link);

	tcp_close(s);
	s->last_err = err;
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : TCP_BACKOFF_MIN_MS;
	if (s->backoff_ms > TCP_BACKOFF_MAX_MS)
		s->backoff_ms = TCP_BACKOFF_MAX_MS;
	s->retry_at_ms = loop_now_ms(loop) + s->backoff_ms;
	log_complain(&s->complaint, loop_now_ms(loop), "modbus", NULL,
		     "connect to %s failed: %s", modbus_link_name(s->link), strerror(err));
	tcp_finish(s, -err);
}

/* Fails a request at once while the connect backoff runs. */
static void fail_backoff(struct tcp_state *s, struct modbus_xact *x)
{
	int64_t wait = s->retry_at_ms - loop_now_ms(modbus_link_loop(s->link));

	s->cur = NULL;
	x->res.err = -s->last_err;
	snprintf(x->res.reason, sizeof x->res.reason, "connect failed: %s (retry in %lld ms)",
		 strerror(s->last_err), (long long)wait);
	modbus_link_xact_done(s->link, x);
}

static int resolve(const struct modbus_endpoint *ep, struct sockaddr_storage *sa,
		   socklen_t *salen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res;
	char port[8];
	int rc;

	snprintf(port, sizeof port, "%d", ep->port);
	rc = getaddrinfo(ep->host, port, &hints, &res);
	if (rc != 0)
		return rc == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Opens a non-blocking socket and starts connecting.  0 or negative errno. */
static int tcp_open(struct tcp_state *s)
{
	struct sockaddr_storage sa;
	socklen_t salen = 0;
	int one = 1, rc;

	rc = resolve(modbus_link_endpoint(s->link), &sa, &salen);
	if (rc < 0)
		return rc;
	s->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(s->fd, (struct sockaddr *)&sa, salen) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		close(s->fd);
		s->fd = -1;
		return rc;
	}
	rc = loop_io_add(modbus_link_loop(s->link), s->fd, LOOP_READ | LOOP_WRITE, tcp_io, s);
	if (rc < 0) {
		close(s->fd);
		s->fd = -1;
	}
	return rc;
}

static void tcp_want_write(struct tcp_state *s, bool on)
{
	loop_io_mod(modbus_link_loop(s->link), s->fd, LOOP_READ | (on ? LOOP_WRITE : 0));
}

/* Writes what is left of the request; 0, or a negative errno. */
static int tcp_flush(struct tcp_state *s)
{
	while (s->woff < s->wlen) {
		ssize_t n = send(s->fd, s->wbuf + s->woff, s->wlen - s->woff, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		s->woff += (size_t)n;
	}
	tcp_want_write(s, s->woff < s->wlen);
	return 0;
}

static void tcp_timeout(struct loop *loop, void *arg)
{
	struct tcp_state *s = arg;

	(void)loop;
	s->timer = NULL;
	modbus_link_stats_mut(s->link)->timeouts++;
	if (!s->connected) {
		connect_failed(s, ETIMEDOUT);
		return;
	}
	if (++s->timeouts >= TCP_TIMEOUTS_RECONNECT) {
		log_info("modbus", NULL, "%s: %d timeouts in a row, reconnecting",
			 modbus_link_name(s->link), s->timeouts);
		tcp_close(s);
		s->timeouts = 0;
	}
	tcp_finish(s, -ETIMEDOUT);
}

/* The connection broke: fail the request in flight and close. */
static void tcp_broken(struct tcp_state *s, int err)
{
	tcp_close(s);
	tcp_finish(s, err);
}

/* Sends the in-flight request on a connected socket. */
static void tcp_send(struct tcp_state *s)
{
	int rc;

	s->wlen = mbap_encode_read(s->wbuf, s->cur->tid, &s->cur->rq);
	s->woff = 0;
	modbus_link_stats_mut(s->link)->requests++;
	rc = tcp_flush(s);
	if (rc < 0)
		tcp_broken(s, rc);
}

static void tcp_connected(struct tcp_state *s)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		connect_failed(s, err);
		return;
	}
	s->connected = true;
	s->backoff_ms = 0;
	modbus_link_stats_mut(s->link)->connects++;
	log_complain_release(&s->complaint, "modbus", NULL, "%s: connected",
			     modbus_link_name(s->link));
	if (s->cur)
		tcp_send(s);
	else
		tcp_want_write(s, false);
}

/* Handles one complete frame (already removed from rbuf). */
static void tcp_frame(struct tcp_state *s, const uint8_t *frame, size_t len)
{
	struct modbus_xact *x = s->cur;

	if (!x || mbap_tid(frame) != x->tid) {
		modbus_link_stats_mut(s->link)->stale++;
		return;
	}
	mbap_decode_reply(frame, len, &x->rq, &x->res);
	modbus_link_stats_mut(s->link)->replies++;
	s->timeouts = 0;
	tcp_finish(s, 0);
}

/* Reads and dispatches frames; a malformed header breaks the connection. */
static void tcp_read(struct tcp_state *s)
{
	int fd = s->fd; /* a callback may close and reopen the connection */

	for (int rounds = 0; rounds < 64 && s->fd == fd; rounds++) {
		ssize_t n = recv(s->fd, s->rbuf + s->rlen, sizeof s->rbuf - s->rlen, 0);
		int flen;

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			tcp_broken(s, n == 0 ? -ECONNRESET : -errno);
			return;
		}
		s->rlen += (size_t)n;
		while ((flen = mbap_frame_len(s->rbuf, s->rlen)) > 0) {
			uint8_t frame[MBAP_ADU_MAX];

			memcpy(frame, s->rbuf, (size_t)flen);
			memmove(s->rbuf, s->rbuf + flen, s->rlen - (size_t)flen);
			s->rlen -= (size_t)flen;
			tcp_frame(s, frame, (size_t)flen);
			if (s->fd != fd)
				return;
		}
		if (flen < 0) {
			tcp_broken(s, -EBADMSG);
			return;
		}
	}
}

static void tcp_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct tcp_state *s = arg;
	int rc;

	(void)loop;
	(void)fd;
	if (!s->connected) {
		if (events & (LOOP_WRITE | LOOP_ERROR))
			tcp_connected(s);
		return;
	}
	if (events & LOOP_WRITE) {
		rc = tcp_flush(s);
		if (rc < 0) {
			tcp_broken(s, rc);
			return;
		}
	}
	if (events & (LOOP_READ | LOOP_ERROR))
		tcp_read(s);
}

static void tcp_start(void *ts, struct modbus_xact *x)
{
	struct tcp_state *s = ts;
	struct loop *loop = modbus_link_loop(s->link);
	int64_t now = loop_now_ms(loop), when;
	int rc;

	x->tid = s->next_tid++;
	s->cur = x;
	if (s->fd < 0 && now < s->retry_at_ms) {
		fail_backoff(s, x);
		return;
	}
	when = now + x->rq.timeout_ms;
	if (x->rq.deadline_ms && x->rq.deadline_ms < when)
		when = x->rq.deadline_ms;
	s->timer = loop_timer_at(loop, when, tcp_timeout, s);
	if (s->fd < 0) {
		rc = tcp_open(s);
		if (rc < 0)
			connect_failed(s, -rc);
		return;
	}
	if (s->connected)
		tcp_send(s);
}

static void *tcp_create(struct modbus_link *link)
{
	struct tcp_state *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->link = link;
	s->fd = -1;
	s->next_tid = 1;
	return s;
}

static void tcp_destroy(void *ts, struct modbus_xact *inflight)
{
	struct tcp_state *s = ts;

	loop_timer_cancel(modbus_link_loop(s->link), s->timer);
	tcp_close(s);
	free(inflight);
	free(s);
}

const struct modbus_transport modbus_tcp_transport = {
	.name = "tcp",
	.create = tcp_create,
	.start = tcp_start,
	.destroy = tcp_destroy,
};
