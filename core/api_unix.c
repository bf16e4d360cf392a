/* The API over HTTP/1.1 on a Unix stream socket, driven by the loop: non-blocking,
 * one request per connection, bounded reads, partial writes, a deadline per client. */
#include "dcmon/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_internal.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"

#define CONN_BUF_INIT      4096 /* bytes first allocated for a request */
#define ACCEPT_BATCH       64   /* connections accepted per wakeup */
#define READ_BATCH         16   /* reads per wakeup and connection */
#define ACCEPT_PAUSE_MS    200  /* pause after EMFILE before accepting again */

struct api_conn {
	struct api_unix *srv;
	int fd;
	char *in;             /* request bytes read so far (+1 for a NUL) */
	size_t in_len, in_cap;
	struct api_http_head head;
	bool have_head;
	char *out;            /* formatted response, NULL until the request is complete */
	size_t out_len, out_off;
	struct loop_timer *timer; /* the connection's deadline */
	struct api_peer peer;     /* who connected (SO_PEERCRED), for the audit log */
	bool have_peer;           /* peer was read */
	struct api_later *later;  /* the reply comes later (a password hash on a worker) */
	struct api_conn *prev, *next;
};

struct api_unix {
	struct loop *loop;
	int fd;                /* listening socket */
	char *path;
	struct api_unix_id id; /* the socket file we bound, to unlink only our own */
	struct api_env env;    /* copy of what is served */
	int64_t timeout_ms;    /* per-connection deadline */
	struct api_conn *conns;
	size_t nconns;
	struct loop_timer *accept_pause;
	struct log_complaint accept_complaint;
};

static void conn_io(struct loop *loop, int fd, unsigned events, void *arg);

static void conn_free(struct api_conn *c)
{
	struct api_unix *s = c->srv;
	if (c->later)
		api_later_cancel(c->later);
	loop_timer_cancel(s->loop, c->timer);
	loop_io_del(s->loop, c->fd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

/* Writes what it can of the response; frees c when done or on error. */
static void conn_flush(struct api_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (loop_io_mod(c->srv->loop, c->fd, LOOP_WRITE) == 0)
				return;
		}
		break; /* the client went away: drop the rest */
	}
	conn_free(c);
}

/* Queues resp as the answer and starts writing it. */
static void conn_respond(struct api_conn *c, struct api_response *resp)
{
	c->out = api_http_format_response(resp, &c->out_len);
	api_response_free(resp);
	if (!c->out) {
		conn_free(c);
		return;
	}
	conn_flush(c);
}

static void conn_error(struct api_conn *c, int status, const char *msg)
{
	struct api_response resp = {0};
	api_reply_error(&resp, status, "%s", msg);
	conn_respond(c, &resp);
}

static void conn_timeout(struct loop *loop, void *arg);

/* The reply came: a fresh deadline for the client to take it. */
static void conn_later_done(void *arg, struct api_response *resp)
{
	struct api_conn *c = arg;
	c->later = NULL;
	if (!c->timer)
		c->timer = loop_timer_add(c->srv->loop, c->srv->timeout_ms, conn_timeout, c);
	if (!c->timer) {
		api_response_free(resp);
		conn_free(c);
		return;
	}
	conn_respond(c, resp);
}

/* Waits for a reply that comes later, watching only for the client going away (the
 * request is whole: nothing more is read).  The deadline is for a client that does not
 * send its request, not for dcmond's own work (a report on the worker pool, bounded by
 * its jobs' limits): it stops until the reply comes. */
static void conn_wait(struct api_conn *c, struct api_later *l)
{
	c->later = l;
	loop_timer_cancel(c->srv->loop, c->timer);
	c->timer = NULL;
	loop_io_mod(c->srv->loop, c->fd, 0);
	api_later_wait(l, conn_later_done, c);
}

static void conn_dispatch(struct api_conn *c)
{
	struct api_request req = {
		.method = c->head.method,
		.path = c->head.path,
		.query = c->head.query,
		.body = c->head.body_len ? c->in + c->head.head_len : NULL,
		.body_len = c->head.body_len,
		.peer = c->have_peer ? c->peer.who : NULL,
		.peer_origin = c->have_peer ? c->peer.origin : NULL,
	};
	c->in[c->head.head_len + c->head.body_len] = '\0';
	const struct api_env *env = &c->srv->env;
	struct authz_actor actor;
	if (c->have_peer && authz_local_actor(c->peer.uid, c->peer.who, env->local_users,
					      env->nlocal_users, c->peer.origin, &actor) == 0)
		req.actor = &actor;
	struct api_response resp;
	api_handle(env, &req, &resp);
	if (resp.later)
		conn_wait(c, resp.later);
	else
		conn_respond(c, &resp);
}

/* Grows the input buffer so that `need` bytes (+ NUL) fit; bounded by the limits. */
static int conn_reserve(struct api_conn *c, size_t need)
{
	if (need + 1 <= c->in_cap)
		return 0;
	size_t cap = c->in_cap ? c->in_cap : CONN_BUF_INIT;
	while (cap < need + 1)
		cap *= 2;
	if (cap > API_HTTP_HEAD_MAX + API_HTTP_BODY_MAX + 1)
		cap = API_HTTP_HEAD_MAX + API_HTTP_BODY_MAX + 1;
	char *p = realloc(c->in, cap);
	if (!p)
		return -ENOMEM;
	c->in = p;
	c->in_cap = cap;
	return 0;
}

/* How many bytes the request may still need: up to the head limit (+1 to detect an
 * overflow) until the head is parsed, then exactly the rest of the body. */
static size_t conn_want(const struct api_conn *c)
{
	if (!c->have_head)
		return API_HTTP_HEAD_MAX + 1 - c->in_len;
	return c->head.head_len + c->head.body_len - c->in_len;
}

/* Examines the bytes read; returns true when the connection moved on (answered or
 * freed) and reading must stop. */
static bool conn_progress(struct api_conn *c)
{
	char err[160];
	if (!c->have_head) {
		int rc = api_http_parse_head(c->in, c->in_len, &c->head, err, sizeof(err));
		if (rc == 0)
			return false;
		if (rc != 1) {
			conn_error(c, rc, err);
			return true;
		}
		c->have_head = true;
	}
	if (c->in_len < c->head.head_len + c->head.body_len)
		return false;
	conn_dispatch(c);
	return true;
}

/* Reads what is available (bounded per wakeup) and answers once complete. */
static void conn_read(struct api_conn *c)
{
	for (int i = 0; i < READ_BATCH; i++) {
		size_t want = conn_want(c);
		if (want > 64 * 1024)
			want = 64 * 1024;
		if (conn_reserve(c, c->in_len + want) < 0) {
			conn_free(c);
			return;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, want, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* EOF before a complete request, or an error */
			conn_free(c);
			return;
		}
		c->in_len += (size_t)n;
		if (conn_progress(c))
			return;
	}
}

static void conn_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct api_conn *c = arg;
	if (c->later)
		conn_free(c); /* only an error or a hang-up is watched while waiting */
	else if (c->out)
		conn_flush(c);
	else if (events & (LOOP_READ | LOOP_ERROR))
		conn_read(c);
}

/* The client took too long: one best-effort 408, then close. */
static void conn_timeout(struct loop *loop, void *arg)
{
	struct api_conn *c = arg;
	c->timer = NULL;
	if (!c->out) {
		static const char msg[] = "HTTP/1.1 408 Request Timeout\r\nContent-Type: "
					  "application/json\r\nContent-Length: 33\r\n"
					  "Connection: close\r\n\r\n"
					  "{\"error\":\"request not completed\"}";
		_Static_assert(sizeof("{\"error\":\"request not completed\"}") - 1 == 33,
			       "Content-Length of the 408 body");
		(void)!send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	log_debug("api", NULL, "client timed out after %lld ms", (long long)c->srv->timeout_ms);
	conn_free(c);
}

/* Takes a freshly accepted socket into service (or refuses it when full). */
static void conn_start(struct api_unix *s, int fd)
{
	struct api_conn *c = calloc(1, sizeof(*c));
	if (!c || s->nconns >= API_UNIX_MAX_CLIENTS) {
		static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0"
					   "\r\nConnection: close\r\n\r\n";
		(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		free(c);
		return;
	}
	*c = (struct api_conn){.srv = s, .fd = fd, .next = s->conns};
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	c->have_peer = api_peer_of(fd, &c->peer) == 0;
	c->timer = loop_timer_add(s->loop, s->timeout_ms, conn_timeout, c);
	if (!c->timer || loop_io_add(s->loop, fd, LOOP_READ, conn_io, c) < 0)
		conn_free(c);
}

static void accept_io(struct loop *loop, int fd, unsigned events, void *arg);

static void accept_resume(struct loop *loop, void *arg)
{
	struct api_unix *s = arg;
	s->accept_pause = NULL;
	if (loop_io_add(loop, s->fd, LOOP_READ, accept_io, s) < 0)
		log_warnx("api", NULL, "cannot watch the API socket again");
}

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void accept_pause(struct api_unix *s)
{
	log_complain(&s->accept_complaint, loop_now_ms(s->loop), "api", NULL,
		     "accept on %s: %s; pausing", s->path, strerror(errno));
	loop_io_del(s->loop, s->fd);
	s->accept_pause = loop_timer_add(s->loop, ACCEPT_PAUSE_MS, accept_resume, s);
}

static void accept_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct api_unix *s = arg;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			conn_start(s, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_pause(s);
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("api", NULL, "accept on %s", s->path);
		return;
	}
}

struct api_unix *api_unix_new(struct loop *loop, const char *path, const char *group,
			      const struct api_env *env, char *err, size_t errlen)
{
	struct api_unix *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->loop = loop;
	s->env = *env;
	s->timeout_ms = API_UNIX_TIMEOUT_MS;
	s->fd = api_unix_bind(path, group, &s->id, err, errlen);
	if (s->fd < 0)
		goto fail_path;
	int rc = loop_io_add(loop, s->fd, LOOP_READ, accept_io, s);
	if (rc < 0) {
		snprintf(err, errlen, "cannot watch %s: %s", path, strerror(-rc));
		goto fail_fd;
	}
	log_info("api", NULL, "listening on %s", path);
	return s;
fail_fd:
	close(s->fd);
	api_unix_unlink(path, &s->id);
fail_path:
	free(s->path);
	free(s);
	return NULL;
}

void api_unix_set_env(struct api_unix *s, const struct api_env *env)
{
	s->env = *env;
}

void api_unix_set_timeout(struct api_unix *s, int64_t timeout_ms)
{
	s->timeout_ms = timeout_ms;
}

void api_unix_free(struct api_unix *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	loop_timer_cancel(s->loop, s->accept_pause);
	loop_io_del(s->loop, s->fd);
	close(s->fd);
	api_unix_unlink(s->path, &s->id);
	free(s->path);
	free(s);
}
