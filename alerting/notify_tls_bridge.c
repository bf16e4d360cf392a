/* SMTPS for libesmtp: the TLS connection to the relay is made here, on the delivery
 * worker (connect and handshake with the session's timeout, certificate and host name
 * verified, every failure a clear reason), then a relay thread that lives exactly as
 * long as the session pumps bytes between it and libesmtp's plain connection to a
 * one-shot listener on 127.0.0.1.  libesmtp's smtp_start_session() blocks its thread
 * until the session ends, so the pump cannot share that thread; it is joined before
 * the session's job returns. */
#include "notify_tls_bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmon/loop.h"

#define BRIDGE_BUF 16384          /* bytes buffered per direction: one TLS record */
#define BRIDGE_IDLE_SLACK_MS 1000 /* beyond the session timeout: libesmtp's fires first */
#define BRIDGE_MOVE_ROUNDS 64     /* copy rounds between two polls */

/* Bytes [off, len) of buf wait to be written on. */
struct bridge_buf {
	unsigned char buf[BRIDGE_BUF];
	size_t off, len; /* bytes */
};

struct notify_tls_bridge {
	SSL_CTX *ctx;
	SSL *ssl;
	int tfd;     /* TCP to the relay, carrying ssl */
	int lfd;     /* loopback listener; -1 once the session connected */
	int cfd;     /* libesmtp's connection; -1 until accepted */
	int stop[2]; /* pipe: the worker asks the relay thread to end */
	pthread_t thread;
	bool running;            /* the relay thread runs (not yet joined) */
	bool tls_broken;         /* a fatal TLS error: no close_notify */
	bool local_eof, tls_eof; /* the side closed */
	short want_rd, want_wr;  /* poll events SSL_read / SSL_write wait for, 0 = none */
	long idle_ms;            /* nothing moved this long: the relay gives up */
	char addr[32];           /* "127.0.0.1:PORT" */
	char why[256];           /* the relay's failure, "" if none */
	struct bridge_buf up;    /* libesmtp -> relay (plain, to be encrypted) */
	struct bridge_buf down;  /* relay -> libesmtp (decrypted) */
};

SSL_CTX *notify_tls_ctx_new(const char *ca_file, SSL_verify_cb verify)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify);
	int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	                 : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int notify_tls_split_hostport(const char *hostport, char *host, size_t hostlen, char *port,
                              size_t portlen)
{
	const char *colon = strrchr(hostport, ':');
	const char *h = hostport;
	size_t hl;

	if (!colon || colon[1] == '\0' || strlen(colon + 1) >= portlen)
		return -EINVAL;
	hl = (size_t)(colon - hostport);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') { /* [v6-address]:port */
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

/* The reason of the last OpenSSL error of this thread (clears the queue). */
static void bridge_ssl_reason(char *buf, size_t len, int sys_errno)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (r)
		snprintf(buf, len, "%s", r);
	else if (e)
		ERR_error_string_n(e, buf, len);
	else
		snprintf(buf, len, "%s", sys_errno ? strerror(sys_errno) : "connection closed");
	ERR_clear_error();
}

/* Waits until fd has one of events or deadline (monotonic ms) passes: 0 or -ETIMEDOUT. */
static int bridge_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* One non-blocking TCP connection attempt to ai: the socket or -errno. */
static int bridge_try(const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if ((err = -bridge_wait(fd, POLLOUT, deadline)) == 0 &&
		         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
	}
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

/* TCP to host:port, every address in turn until the deadline: the socket or -errno. */
static int bridge_connect(const char *host, const char *port, int64_t deadline, char *why,
                          size_t len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int fd = -ECONNREFUSED;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0) {
		snprintf(why, len, "cannot resolve %s: %s", host, gai_strerror(rc));
		return rc == EAI_AGAIN ? -EAGAIN : -ENOENT;
	}
	for (const struct addrinfo *ai = res; ai && fd < 0 && fd != -ETIMEDOUT; ai = ai->ai_next)
		fd = bridge_try(ai, deadline);
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(why, len, "connect to %s:%s: %s", host, port, strerror(-fd));
	return fd;
}

/* The TLS object on the connected socket: SNI and the name the certificate must carry. */
static int bridge_tls_new(struct notify_tls_bridge *b, const char *host, const char *ca_file,
                          char *why, size_t len)
{
	unsigned char ip[sizeof(struct in6_addr)];
	bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;

	if (!(b->ctx = notify_tls_ctx_new(ca_file, NULL))) {
		snprintf(why, len, "cannot load CA %s", ca_file ? ca_file : "(system store)");
		return -EINVAL;
	}
	SSL_CTX_set_mode(b->ctx,
	                 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(b->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF); /* SMTP frames itself */
	if (!(b->ssl = SSL_new(b->ctx)) || SSL_set_fd(b->ssl, b->tfd) != 1)
		goto nomem;
	X509_VERIFY_PARAM *vp = SSL_get0_param(b->ssl);
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip) { /* no SNI for an address literal (RFC 6066) */
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1)
			goto nomem;
	} else if (X509_VERIFY_PARAM_set1_host(vp, host, 0) != 1 ||
	           SSL_set_tlsext_host_name(b->ssl, host) != 1) {
		goto nomem;
	}
	return 0;
nomem:
	snprintf(why, len, "cannot set up TLS to %s", host);
	return -ENOMEM;
}

/* The handshake, bounded by the deadline; a certificate that does not verify says why. */
static int bridge_handshake(struct notify_tls_bridge *b, const char *hostport, int64_t deadline,
                            char *why, size_t len)
{
	char reason[160];

	for (;;) {
		ERR_clear_error();
		int r = SSL_connect(b->ssl);
		if (r == 1)
			return 0;
		int e = SSL_get_error(b->ssl, r);
		int sys = errno;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (bridge_wait(b->tfd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
			                deadline) == 0)
				continue;
			snprintf(why, len, "TLS handshake with %s timed out", hostport);
			return -ETIMEDOUT;
		}
		long v = SSL_get_verify_result(b->ssl);
		if (v != X509_V_OK) {
			snprintf(why, len, "server certificate of %s does not verify: %s", hostport,
			         X509_verify_cert_error_string(v));
			ERR_clear_error();
		} else {
			bridge_ssl_reason(reason, sizeof(reason), e == SSL_ERROR_SYSCALL ? sys : 0);
			snprintf(why, len, "TLS handshake with %s failed: %s", hostport, reason);
		}
		b->tls_broken = true;
		return -EPROTO;
	}
}

/* The one-shot listener on 127.0.0.1, any free port. */
static int bridge_listen(struct notify_tls_bridge *b, char *why, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sa);

	b->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->lfd < 0 || bind(b->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(b->lfd, 1) < 0 || getsockname(b->lfd, (struct sockaddr *)&sa, &slen) < 0) {
		int e = errno;
		snprintf(why, len, "SMTPS loopback listener: %s", strerror(e));
		return -e;
	}
	snprintf(b->addr, sizeof(b->addr), "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	return 0;
}

/* Records the relay's first failure. */
static int bridge_fail(struct notify_tls_bridge *b, const char *what, int e)
{
	char reason[160];

	if (!b->why[0]) {
		bridge_ssl_reason(reason, sizeof(reason), e == SSL_ERROR_SYSCALL ? errno : 0);
		snprintf(b->why, sizeof(b->why), "SMTPS connection to the relay %s: %s", what,
		         reason);
	}
	b->tls_broken = true;
	return -EPROTO;
}

/* libesmtp -> up: at EOF or a local error the session is over on that side. */
static int bridge_local_in(struct notify_tls_bridge *b)
{
	if (b->up.len || b->local_eof)
		return 0;
	ssize_t n = recv(b->cfd, b->up.buf, sizeof(b->up.buf), 0);
	if (n > 0) {
		b->up.off = 0;
		b->up.len = (size_t)n;
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	b->local_eof = true;
	return 1;
}

/* up -> relay (encrypted). */
static int bridge_tls_out(struct notify_tls_bridge *b)
{
	if (b->up.off == b->up.len)
		return 0;
	ERR_clear_error();
	int n = SSL_write(b->ssl, b->up.buf + b->up.off, (int)(b->up.len - b->up.off));
	if (n > 0) {
		b->want_wr = 0;
		b->up.off += (size_t)n;
		if (b->up.off == b->up.len)
			b->up.off = b->up.len = 0;
		return 1;
	}
	int e = SSL_get_error(b->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		b->want_wr = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	return bridge_fail(b, "failed on write", e);
}

/* relay -> down (decrypted); the relay's close is the end of that side. */
static int bridge_tls_in(struct notify_tls_bridge *b)
{
	if (b->down.len || b->tls_eof)
		return 0;
	ERR_clear_error();
	int n = SSL_read(b->ssl, b->down.buf, sizeof(b->down.buf));
	if (n > 0) {
		b->want_rd = 0;
		b->down.off = 0;
		b->down.len = (size_t)n;
		return 1;
	}
	int e = SSL_get_error(b->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		b->want_rd = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		b->tls_eof = true;
		return 1;
	}
	return bridge_fail(b, "failed on read", e);
}

/* down -> libesmtp. */
static int bridge_local_out(struct notify_tls_bridge *b)
{
	if (b->down.off == b->down.len)
		return 0;
	ssize_t n =
	    send(b->cfd, b->down.buf + b->down.off, b->down.len - b->down.off, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) { /* libesmtp is gone: nothing more to tell it */
		b->local_eof = true;
		b->down.off = b->down.len = 0;
		return 1;
	}
	b->down.off += (size_t)n;
	if (b->down.off == b->down.len)
		b->down.off = b->down.len = 0;
	return 1;
}

/* The session is over: libesmtp closed and its bytes went out, or the relay closed
 * and its bytes reached libesmtp. */
static bool bridge_done(const struct notify_tls_bridge *b)
{
	return (b->local_eof && b->up.len == 0) || (b->tls_eof && b->down.len == 0);
}

/* Copies what can move without waiting: >0 if something moved, 0 if not, <0 on a
 * TLS failure. */
static int bridge_move(struct notify_tls_bridge *b)
{
	int moved = 0;

	for (int i = 0; i < BRIDGE_MOVE_ROUNDS && !bridge_done(b); i++) {
		int r = bridge_local_in(b);
		int w = bridge_tls_out(b);
		if (w < 0)
			return w;
		int t = bridge_tls_in(b);
		if (t < 0)
			return t;
		int l = bridge_local_out(b);
		if (r + w + t + l == 0)
			break;
		moved = 1;
	}
	return moved;
}

/* Poll set: the stop pipe, then the listener or both connections (an fd of -1 is
 * ignored by poll). */
static void bridge_pollset(const struct notify_tls_bridge *b, struct pollfd p[3])
{
	short ce = 0, te = 0;

	p[0] = (struct pollfd){.fd = b->stop[0], .events = POLLIN};
	if (b->cfd < 0) {
		p[1] = (struct pollfd){.fd = b->lfd, .events = POLLIN};
		p[2] = (struct pollfd){.fd = -1};
		return;
	}
	if (b->up.len == 0 && !b->local_eof)
		ce |= POLLIN;
	if (b->down.len)
		ce |= POLLOUT;
	if (b->up.len)
		te |= b->want_wr ? b->want_wr : POLLOUT;
	if (b->down.len == 0 && !b->tls_eof)
		te |= b->want_rd ? b->want_rd : POLLIN;
	p[1] = (struct pollfd){.fd = ce ? b->cfd : -1, .events = ce};
	p[2] = (struct pollfd){.fd = te ? b->tfd : -1, .events = te};
}

/* Takes the session's connection; the listener is closed: nobody else gets in. */
static void bridge_accept(struct notify_tls_bridge *b)
{
	b->cfd = accept4(b->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (b->cfd >= 0) {
		close(b->lfd);
		b->lfd = -1;
	}
}

/* The relay thread: pumps until the session is over, stopped, failed or idle. */
static void *bridge_main(void *arg)
{
	struct notify_tls_bridge *b = arg;
	int64_t last = clock_mono_ms();
	sigset_t set;
	struct pollfd p[3];

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE); /* a closed relay is an error return, not a kill */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!bridge_done(b)) {
		int64_t left = last + b->idle_ms - clock_mono_ms();
		if (left <= 0) {
			snprintf(b->why, sizeof(b->why), "SMTPS relay: nothing moved for %ld ms",
			         b->idle_ms);
			break;
		}
		bridge_pollset(b, p);
		bool pending = b->cfd >= 0 && b->down.len == 0 && SSL_has_pending(b->ssl);
		if (poll(p, 3, pending ? 0 : (int)left) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (b->cfd < 0) {
			if (p[1].revents)
				bridge_accept(b);
			continue;
		}
		int m = bridge_move(b);
		if (m < 0)
			break;
		if (m > 0)
			last = clock_mono_ms();
	}
	if (b->cfd >= 0)
		shutdown(b->cfd, SHUT_RDWR); /* libesmtp sees the end at once */
	return NULL;
}

static struct notify_tls_bridge *bridge_alloc(long timeout_ms)
{
	struct notify_tls_bridge *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->tfd = b->lfd = b->cfd = -1;
	b->stop[0] = b->stop[1] = -1;
	b->idle_ms = timeout_ms + BRIDGE_IDLE_SLACK_MS;
	return b;
}

static int bridge_start(struct notify_tls_bridge *b, char *why, size_t len)
{
	int e;

	if (pipe2(b->stop, O_CLOEXEC) < 0)
		e = errno;
	else if ((e = pthread_create(&b->thread, NULL, bridge_main, b)) == 0)
		b->running = true;
	if (e)
		snprintf(why, len, "cannot start the SMTPS relay: %s", strerror(e));
	return -e;
}

int notify_tls_bridge_open(const char *hostport, const char *ca_file, long timeout_ms,
                           struct notify_tls_bridge **out, char *why, size_t whylen)
{
	char host[256], port[16];
	int64_t deadline = clock_mono_ms() + timeout_ms;
	struct notify_tls_bridge *b;
	int rc;

	*out = NULL;
	if (notify_tls_split_hostport(hostport, host, sizeof(host), port, sizeof(port)) < 0) {
		snprintf(why, whylen, "bad relay address %s", hostport);
		return -EINVAL;
	}
	if (!(b = bridge_alloc(timeout_ms))) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = bridge_connect(host, port, deadline, why, whylen)) < 0)
		goto fail;
	b->tfd = rc;
	if ((rc = bridge_tls_new(b, host, ca_file, why, whylen)) < 0 ||
	    (rc = bridge_handshake(b, hostport, deadline, why, whylen)) < 0 ||
	    (rc = bridge_listen(b, why, whylen)) < 0 || (rc = bridge_start(b, why, whylen)) < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	notify_tls_bridge_free(b);
	return rc;
}

const char *notify_tls_bridge_addr(const struct notify_tls_bridge *b)
{
	return b->addr;
}

bool notify_tls_bridge_stop(struct notify_tls_bridge *b, char *why, size_t whylen)
{
	if (b->running) {
		ssize_t w = write(b->stop[1], "x", 1); /* an empty pipe has room */
		(void)w;
		pthread_join(b->thread, NULL);
		b->running = false;
	}
	if (b->why[0] && why)
		snprintf(why, whylen, "%s", b->why);
	return b->why[0] != '\0';
}

static void bridge_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void notify_tls_bridge_free(struct notify_tls_bridge *b)
{
	if (!b)
		return;
	notify_tls_bridge_stop(b, NULL, 0);
	if (b->ssl && !b->tls_broken && SSL_is_init_finished(b->ssl))
		SSL_shutdown(b->ssl); /* close_notify, best effort: the socket is non-blocking */
	ERR_clear_error();
	SSL_free(b->ssl); /* the socket BIO does not close tfd */
	SSL_CTX_free(b->ctx);
	bridge_close_fd(&b->tfd);
	bridge_close_fd(&b->lfd);
	bridge_close_fd(&b->cfd);
	bridge_close_fd(&b->stop[0]);
	bridge_close_fd(&b->stop[1]);
	free(b);
}
