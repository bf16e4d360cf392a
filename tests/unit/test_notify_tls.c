/* SMTPS bridge against an in-process TLS server with certificates made by the test
 * (openssl): bytes go both ways with SNI = the host name; a certificate from another
 * CA, or for another address, is refused with the reason; a refused connection and a
 * server that never answers the handshake fail with their errno; either side closing
 * ends the relay.  Also the relay address split and the `tls: true` config rules. */
#include "testing.h"
#include "tmpdir.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "dcmon/config.h"
#include "dcmon/notify.h"
#include "notify_tls_bridge.h"

static char tmpdir[] = "/tmp/dcmon-test-tls-XXXXXX";
static char ca_pem[PATH_MAX], other_pem[PATH_MAX];

enum srv_mode { SRV_ECHO, SRV_ONCE, SRV_SILENT };

/* A TLS server on one loopback address for one connection. */
struct srv {
	enum srv_mode mode;
	int lfd;
	char hostport[64]; /* "127.0.0.x:PORT" */
	SSL_CTX *ctx;
	char sni[64]; /* the name the client asked for, "" if none */
	pthread_t th;
};

static void timeouts(int fd)
{
	struct timeval tv = {.tv_sec = 10}; /* a broken test fails, never hangs */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int srv_sni(SSL *ssl, int *al, void *arg)
{
	struct srv *s = arg;
	const char *n = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	snprintf(s->sni, sizeof(s->sni), "%s", n ? n : "");
	return SSL_TLSEXT_ERR_OK;
}

static void srv_serve(struct srv *s, int c)
{
	char buf[256];
	SSL *ssl = SSL_new(s->ctx);

	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) == 1) {
		int n;
		while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0 && SSL_write(ssl, buf, n) == n &&
		       s->mode == SRV_ECHO)
			;
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	char b[512];
	int c = accept(s->lfd, NULL, NULL);

	if (c < 0)
		return NULL;
	timeouts(c);
	if (s->mode == SRV_SILENT)
		while (recv(c, b, sizeof(b), 0) > 0) /* until the client gives up */
			;
	else
		srv_serve(s, c);
	close(c);
	return NULL;
}

static struct srv *srv_start(const char *ip, enum srv_mode mode)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	char cert[PATH_MAX + 16], key[PATH_MAX + 16];

	assert_non_null(s);
	s->mode = mode;
	snprintf(cert, sizeof(cert), "%s/server.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/server-key.pem", tmpdir);
	s->ctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate_file(s->ctx, cert, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM), 1);
	SSL_CTX_set_tlsext_servername_callback(s->ctx, srv_sni);
	SSL_CTX_set_tlsext_servername_arg(s->ctx, s);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &len), 0);
	timeouts(s->lfd);
	snprintf(s->hostport, sizeof(s->hostport), "%s:%u", ip, (unsigned)ntohs(sa.sin_port));
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	return s;
}

static void srv_stop(struct srv *s)
{
	shutdown(s->lfd, SHUT_RDWR); /* wakes an accept that got nobody */
	pthread_join(s->th, NULL);
	close(s->lfd);
	SSL_CTX_free(s->ctx);
	free(s);
}

/* A plain client of the bridge, as libesmtp is. */
static int client_connect(const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const char *colon = strrchr(addr, ':');

	assert_non_null(colon);
	assert_int_equal(strncmp(addr, "127.0.0.1:", 10), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	timeouts(fd);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends a line and reads back len bytes (the echo). */
static void client_echo(int fd, const char *line)
{
	char buf[256];
	size_t got = 0, len = strlen(line);

	assert_int_equal(send(fd, line, len, MSG_NOSIGNAL), (ssize_t)len);
	while (got < len) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(buf, line, len);
}

/* "localhost:PORT" for a server on 127.0.0.1. */
static void by_name(const struct srv *s, char *out, size_t len)
{
	snprintf(out, len, "localhost%s", strrchr(s->hostport, ':'));
}

static void test_echo_by_name(void **state)
{
	struct srv *s = srv_start("127.0.0.1", SRV_ECHO);
	struct notify_tls_bridge *b;
	char hp[80], why[256] = "";

	by_name(s, hp, sizeof(hp));
	assert_int_equal(notify_tls_bridge_open(hp, ca_pem, 5000, &b, why, sizeof(why)), 0);
	int fd = client_connect(notify_tls_bridge_addr(b));
	client_echo(fd, "EHLO dcmon\r\n");
	client_echo(fd, "a longer line that crosses nothing in particular\r\n");
	close(fd); /* the session ends: the relay ends without an error */
	assert_false(notify_tls_bridge_stop(b, why, sizeof(why)));
	assert_string_equal(s->sni, "localhost");
	notify_tls_bridge_free(b);
	srv_stop(s);
}

/* Opened but never used, then freed; an address literal: IP SAN, no SNI. */
static void test_unused_and_ip(void **state)
{
	struct srv *s = srv_start("127.0.0.1", SRV_ECHO);
	struct notify_tls_bridge *b;
	char why[256] = "";

	assert_int_equal(notify_tls_bridge_open(s->hostport, ca_pem, 5000, &b, why, sizeof(why)),
	                 0);
	notify_tls_bridge_free(b);
	srv_stop(s);

	s = srv_start("127.0.0.1", SRV_ECHO);
	assert_int_equal(notify_tls_bridge_open(s->hostport, ca_pem, 5000, &b, why, sizeof(why)),
	                 0);
	assert_string_equal(s->sni, "");
	int fd = client_connect(notify_tls_bridge_addr(b));
	client_echo(fd, "QUIT\r\n");
	close(fd);
	notify_tls_bridge_free(b);
	srv_stop(s);
}

/* The server closes after one reply: the client gets it, then the end. */
static void test_server_closes(void **state)
{
	struct srv *s = srv_start("127.0.0.1", SRV_ONCE);
	struct notify_tls_bridge *b;
	char why[256] = "", c;

	assert_int_equal(notify_tls_bridge_open(s->hostport, ca_pem, 5000, &b, why, sizeof(why)),
	                 0);
	int fd = client_connect(notify_tls_bridge_addr(b));
	client_echo(fd, "221 bye\r\n");
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	close(fd);
	assert_false(notify_tls_bridge_stop(b, why, sizeof(why)));
	notify_tls_bridge_free(b);
	srv_stop(s);
}

static void test_refused_certificates(void **state)
{
	struct notify_tls_bridge *b = (void *)1;
	char why[256] = "";
	struct srv *s = srv_start("127.0.0.1", SRV_ECHO);

	assert_int_equal(notify_tls_bridge_open(s->hostport, other_pem, 5000, &b, why, sizeof(why)),
	                 -EPROTO);
	assert_null(b);
	assert_non_null(strstr(why, "does not verify: unable to get local issuer certificate"));
	srv_stop(s);

	s = srv_start("127.0.0.2", SRV_ECHO); /* the certificate names 127.0.0.1 */
	assert_int_equal(notify_tls_bridge_open(s->hostport, ca_pem, 5000, &b, why, sizeof(why)),
	                 -EPROTO);
	assert_non_null(strstr(why, "does not verify: IP address mismatch"));
	srv_stop(s);

	s = srv_start("127.0.0.1", SRV_ECHO); /* no such CA file */
	assert_int_equal(
	    notify_tls_bridge_open(s->hostport, "/nonexistent/ca.pem", 5000, &b, why, sizeof(why)),
	    -EINVAL);
	assert_non_null(strstr(why, "cannot load CA /nonexistent/ca.pem"));
	srv_stop(s);
}

static void test_refused_and_silent(void **state)
{
	struct notify_tls_bridge *b;
	char hp[64], why[256] = "";
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* a port nobody listens on */

	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(hp, sizeof(hp), "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	assert_int_equal(notify_tls_bridge_open(hp, ca_pem, 5000, &b, why, sizeof(why)),
	                 -ECONNREFUSED);
	close(fd);
	assert_non_null(strstr(why, "Connection refused"));

	struct srv *s = srv_start("127.0.0.1", SRV_SILENT);
	assert_int_equal(notify_tls_bridge_open(s->hostport, ca_pem, 300, &b, why, sizeof(why)),
	                 -ETIMEDOUT);
	assert_non_null(strstr(why, "TLS handshake with 127.0.0.1:"));
	assert_non_null(strstr(why, "timed out"));
	srv_stop(s);

	assert_int_equal(notify_tls_bridge_open("no-port", NULL, 300, &b, why, sizeof(why)),
	                 -EINVAL);
}

static void test_split_hostport(void **state)
{
	char h[16], p[8];

	assert_int_equal(notify_tls_split_hostport("mail.example:465", h, sizeof(h), p, sizeof(p)),
	                 0);
	assert_string_equal(h, "mail.example");
	assert_string_equal(p, "465");
	assert_int_equal(notify_tls_split_hostport("[::1]:2525", h, sizeof(h), p, sizeof(p)), 0);
	assert_string_equal(h, "::1");
	assert_string_equal(p, "2525");
	assert_int_equal(notify_tls_split_hostport("::1:25", h, sizeof(h), p, sizeof(p)), 0);
	assert_string_equal(h, "::1");
	static const char *const bad[] = {
	    "nohost", "host:", ":25", "[]:25", "a-very-long-host-name.example:25", "h:123456789"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(notify_tls_split_hostport(bad[i], h, sizeof(h), p, sizeof(p)),
		                 -EINVAL);
}

static struct cfg *load(const char *smtp, struct cfg_diags *d)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/dcmon.yaml", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "daemon:\n  data_dir: ./data\n  smtp: {from: d@dc.example, %s}\n", smtp);
	assert_int_equal(fclose(f), 0);
	cfg_diags_init(d);
	return cfg_load(path, d);
}

static void test_config(void **state)
{
	struct cfg_diags d;
	struct cfg *cfg = load("tls: true", &d);

	assert_non_null(cfg);
	assert_true(smtp_cfg_of(cfg)->tls);
	assert_int_equal(smtp_cfg_of(cfg)->port, 465);
	assert_int_equal(smtp_cfg_of(cfg)->starttls, SMTP_STARTTLS_OFF);
	cfg_free(cfg);
	cfg_diags_free(&d);

	cfg = load("tls: true, port: 2465, starttls: \"off\"", &d);
	assert_non_null(cfg);
	assert_int_equal(smtp_cfg_of(cfg)->port, 2465);
	cfg_free(cfg);
	cfg_diags_free(&d);

	assert_null(cfg = load("tls: true, starttls: required", &d));
	assert_int_equal(d.nerrors, 1);
	assert_int_equal(d.v[0].pos.line, 3);
	assert_non_null(strstr(d.v[0].msg, "smtp: starttls: required contradicts tls: true"));
	cfg_diags_free(&d);
}

static int group_setup(void **state)
{
	char cmd[4 * PATH_MAX];

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", tmpdir);
	snprintf(other_pem, sizeof(other_pem), "%s/other.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes "
	         "-days 2 -subj \"/CN=test $ca\" -addext basicConstraints=critical,CA:TRUE "
	         "-keyout $ca-key.pem -out $ca.pem; done && "
	         "openssl req -new -newkey rsa:2048 -nodes -subj /CN=localhost "
	         "-keyout server-key.pem -out server.csr && "
	         "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' >server.ext && "
	         "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial "
	         "-days 2 -extfile server.ext -out server.pem",
	         tmpdir);
	strncat(cmd, " 2>/dev/null", sizeof(cmd) - strlen(cmd) - 1);
	return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	return test_tmpdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo_by_name),
	    cmocka_unit_test(test_unused_and_ip),
	    cmocka_unit_test(test_server_closes),
	    cmocka_unit_test(test_refused_certificates),
	    cmocka_unit_test(test_refused_and_silent),
	    cmocka_unit_test(test_split_hostport),
	    cmocka_unit_test(test_config),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
