/* Stream connections of the syslog receiver, TCP and TLS, on the loop: each reads at
 * most READ_ROUNDS buffers per wake-up (then others get their turn) into its own
 * framer, bounded by max_message, so a sender that stops mid-frame holds only its own
 * buffer and never the loop.  TLS is OpenSSL on the non-blocking socket: the handshake
 * advances whenever the socket is ready in the direction OpenSSL asked for. */
#include "syslog_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmon/loop.h"

#define READ_ROUNDS 4
#define READ_CHUNK  16384

struct syslog_conn {
	struct syslog_conn *prev, *next;
	struct syslogd *s;
	int fd;
	SSL *ssl;          /* NULL for plain TCP */
	bool handshaking;
	char addr[SYSLOG_ADDR_MAX];
	struct syslog_framer fr;
	int64_t last_ms;   /* monotonic ms of the last bytes */
};

static void on_frame(void *arg, const char *msg, size_t len, unsigned flags)
{
	struct syslog_conn *c = arg;
	syslogd_take(c->s, c->addr, msg, len, flags);
}

static void conn_close(struct syslog_conn *c, const char *why)
{
	struct syslogd *s = c->s;

	syslog_framer_finish(&c->fr, on_frame, c);
	log_rules_flush(s->rules);
	log_debug("syslog", NULL, "%s connection from %s closed: %s", c->ssl ? "tls" : "tcp",
		  c->addr, why);
	loop_io_del(s->loop, c->fd);
	close(c->fd);
	SSL_free(c->ssl);
	syslog_framer_release(&c->fr);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

/* Logs the client certificate's subject once the handshake is done. */
static void tls_established(struct syslog_conn *c)
{
	X509 *cert = SSL_get1_peer_certificate(c->ssl);
	char subject[256] = "no client certificate";

	if (cert)
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
	X509_free(cert);
	c->handshaking = false;
	log_info("syslog", NULL, "tls connection from %s: %s, %s", c->addr, SSL_get_version(c->ssl),
		 subject);
}

/* Moves the handshake on.  0 when done, -EAGAIN while it waits, -EIO when it failed. */
static int tls_handshake(struct syslog_conn *c)
{
	ERR_clear_error();
	int rc = SSL_accept(c->ssl);
	if (rc == 1) {
		tls_established(c);
		loop_io_mod(c->s->loop, c->fd, LOOP_READ);
		return 0;
	}
	int e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		loop_io_mod(c->s->loop, c->fd, e == SSL_ERROR_WANT_READ ? LOOP_READ : LOOP_WRITE);
		return -EAGAIN;
	}
	char reason[160];
	ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
	c->s->st.refused++;
	log_complain(&c->s->refuse_complaint, clock_mono_ms(), "syslog", NULL,
		     "tls handshake with %s failed: %s", c->addr, reason);
	return -EIO;
}

/* One read: bytes, 0 at end of stream, -EAGAIN when nothing is there, -EIO. */
static ssize_t conn_read(struct syslog_conn *c, char *buf, size_t len)
{
	if (!c->ssl) {
		ssize_t n = read(c->fd, buf, len);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? -EAGAIN : -EIO;
		return n;
	}
	ERR_clear_error();
	int n = SSL_read(c->ssl, buf, (int)len);
	if (n > 0)
		return n;
	int e = SSL_get_error(c->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	return e == SSL_ERROR_ZERO_RETURN ? 0 : -EIO;
}

static void conn_read_all(struct loop *loop, struct syslog_conn *c)
{
	char buf[READ_CHUNK];

	if (c->handshaking) {
		int rc = tls_handshake(c);
		if (rc == -EIO)
			conn_close(c, "tls handshake failed");
		if (rc < 0)
			return;
	}
	/* decrypted bytes OpenSSL holds raise no epoll event: read them all */
	for (int i = 0; i < READ_ROUNDS || (c->ssl && SSL_pending(c->ssl) > 0); i++) {
		ssize_t n = conn_read(c, buf, sizeof(buf));
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c, n == 0 ? "end of stream" : "read error");
			return;
		}
		c->last_ms = loop_now_ms(loop);
		if (syslog_framer_feed(&c->fr, buf, (size_t)n, on_frame, c) < 0) {
			conn_close(c, "out of memory");
			return;
		}
	}
}

static void on_conn(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct syslog_conn *c = arg;
	struct syslogd *s = c->s; /* c may be closed by the read */

	conn_read_all(loop, c);
	log_rules_flush(s->rules); /* what the messages read counted, reported once */
}

static struct syslog_conn *conn_new(struct syslogd *s, int fd, const struct sockaddr_storage *sa,
				    bool tls)
{
	struct syslog_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->s = s;
	c->fd = fd;
	c->last_ms = loop_now_ms(s->loop);
	syslog_addr_text(sa, c->addr, sizeof(c->addr));
	syslog_framer_init(&c->fr, (size_t)s->max_message);
	if (tls && (!(c->ssl = SSL_new(s->tls)) || SSL_set_fd(c->ssl, fd) != 1)) {
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	c->handshaking = tls;
	if (loop_io_add(s->loop, fd, LOOP_READ, on_conn, c) < 0) {
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->st.connections++;
	return c;
}

void syslog_conn_accept(struct syslogd *s, int lfd, bool tls)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (s->nconns >= s->max_connections) {
			char addr[SYSLOG_ADDR_MAX];
			syslog_addr_text(&sa, addr, sizeof(addr));
			s->st.refused++;
			log_complain(&s->refuse_complaint, clock_mono_ms(), "syslog", NULL,
				     "connection from %s refused: max_connections (%d) open", addr,
				     s->max_connections);
			close(fd);
			continue;
		}
		if (!conn_new(s, fd, &sa, tls))
			close(fd);
	}
}

void syslog_conn_expire(struct syslogd *s, int64_t now_ms)
{
	struct syslog_conn *c = s->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (now_ms - c->last_ms >= s->idle_timeout_ms)
			conn_close(c, "idle timeout");
	}
}

void syslog_conn_close_all(struct syslogd *s)
{
	while (s->conns)
		conn_close(s->conns, "receiver stopped");
}
