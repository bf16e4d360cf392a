/* The archive's rrdcached client against a scripted peer (one thread, one connection):
 * requests and their following lines, a BATCH with errors mapped to command numbers and
 * escaped names on the wire, and the failures: over-long or malformed replies, an
 * error list longer than the batch, a silent peer (timeout), nothing listening, TCP. */
#include "testing.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "archive_int.h"

#define TIMEOUT_MS 300 /* client timeout: only the silent-peer test waits for it */

/* The scripted peer: accepts one connection, reads lines and answers from a script. */
struct peer {
	int lfd;           /* listening socket */
	char addr[128];    /* what the client connects to */
	char path[108];    /* unix socket path, "" for TCP */
	const char *reply; /* sent after each request line ("" = nothing, stay silent) */
	bool batch;        /* BATCH: answer "Go ahead", gather lines until ".", then reply */
	char got[4096];    /* batch lines received, '\n'-separated */
	pthread_t thread;
};

/* Reads one line from fd into buf (bounded).  Length, or -1 at EOF. */
static int peer_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	while (n + 1 < len) {
		char ch;
		if (read(fd, &ch, 1) != 1)
			return -1;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return (int)n;
}

static void peer_send(int fd, const char *s)
{
	size_t n = strlen(s);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	char line[8192];
	while (peer_line(fd, line, sizeof(line)) >= 0) {
		if (p->batch && strcmp(line, "BATCH") == 0) {
			peer_send(fd, "0 Go ahead.  End with dot '.' on its own line.\n");
			while (peer_line(fd, line, sizeof(line)) >= 0 && strcmp(line, ".") != 0) {
				size_t used = strlen(p->got);
				snprintf(p->got + used, sizeof(p->got) - used, "%s\n", line);
			}
		}
		if (*p->reply)
			peer_send(fd, p->reply);
		else
			sleep(2); /* silent: the client gives up first */
	}
	close(fd);
	return NULL;
}

static void peer_start(struct peer *p, bool tcp, const char *reply, bool batch)
{
	memset(p, 0, sizeof(*p));
	p->reply = reply;
	p->batch = batch;
	if (tcp) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
		                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t sl = sizeof(sa);
		p->lfd = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&sa, &sl), 0);
		snprintf(p->addr, sizeof(p->addr), "127.0.0.1:%d", ntohs(sa.sin_port));
	} else {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(p->path, sizeof(p->path), "/tmp/dcmon-cachedc-%d-%p.sock", (int)getpid(),
		         (void *)p);
		unlink(p->path);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
		p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		snprintf(p->addr, sizeof(p->addr), "unix:%s", p->path);
	}
	assert_int_equal(listen(p->lfd, 4), 0);
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

/* Waits for the peer (the client must have closed its side), frees its socket. */
static void peer_stop(struct peer *p)
{
	shutdown(p->lfd, SHUT_RDWR); /* wakes an accept() that never got a client */
	pthread_join(p->thread, NULL);
	close(p->lfd);
	if (*p->path)
		unlink(p->path);
}

static void connect_ok(struct cachedc *c, const struct peer *p)
{
	char err[256] = "";
	cachedc_init(c, TIMEOUT_MS);
	if (cachedc_connect(c, p->addr, err, sizeof(err)) != 0)
		fail_msg("connect %s: %s", p->addr, err);
	assert_true(cachedc_is_open(c));
	assert_true(cachedc_idle_ok(c));
}

static void test_request_and_following_lines(void **state)
{
	struct peer p;
	struct cachedc c;
	peer_start(&p, false, "2 Statistics follow\nQueueLength: 0\nTreeDepth: 1\n", false);
	connect_ok(&c, &p);
	long status = -9;
	char msg[64];
	assert_int_equal(cachedc_request(&c, "STATS", &status, msg, sizeof(msg)), 0);
	assert_int_equal(status, 2);
	assert_string_equal(msg, "Statistics follow");
	assert_true(cachedc_idle_ok(&c)); /* the two lines that followed were consumed */
	assert_int_equal(cachedc_request(&c, "STATS", &status, msg, sizeof(msg)), 0);
	assert_int_equal(status, 2);
	assert_int_equal(cachedc_request(&c, "A\nB", &status, msg, sizeof(msg)), -EINVAL);
	cachedc_destroy(&c);
	peer_stop(&p);
}

static void on_error(void *arg, unsigned cmd, const char *msg)
{
	char *log = arg;
	char line[128];
	snprintf(line, sizeof(line), "%u=%s;", cmd, msg);
	strcat(log, line);
}

static void test_batch_errors_mapped(void **state)
{
	struct peer p;
	struct cachedc c;
	peer_start(&p, false, "2 errors\n1 No such file: a b.rrd\n3 illegal attempt\n", true);
	connect_ok(&c, &p);
	char msg[64], name[64], line[128], log[256] = "";
	assert_int_equal(cachedc_batch_begin(&c, msg, sizeof(msg)), 0);
	assert_int_equal(cachedc_escape(name, sizeof(name), "/d/a b\\c.rrd"), 14);
	assert_string_equal(name, "/d/a\\ b\\\\c.rrd");
	for (int i = 1; i <= 3; i++) {
		int n = snprintf(line, sizeof(line), "UPDATE %s %d:%d", name, 1000 + i, i);
		assert_int_equal(cachedc_batch_add(&c, line, (size_t)n), i);
	}
	assert_int_equal(cachedc_batch_add(&c, "", 0), -EINVAL); /* would end the session */
	assert_int_equal(cachedc_batch_end(&c, on_error, log), 0);
	assert_string_equal(log, "1=No such file: a b.rrd;3=illegal attempt;");
	cachedc_destroy(&c);
	peer_stop(&p);
	assert_string_equal(p.got, "UPDATE /d/a\\ b\\\\c.rrd 1001:1\n"
	                           "UPDATE /d/a\\ b\\\\c.rrd 1002:2\n"
	                           "UPDATE /d/a\\ b\\\\c.rrd 1003:3\n");
	assert_int_equal(cachedc_escape(name, sizeof(name), "bad\nname"), -EINVAL);
	assert_int_equal(cachedc_escape(name, 4, "long name"), -ENAMETOOLONG);
}

/* A reply that breaks the protocol fails the request and closes the connection. */
static void bad_reply(const char *reply, bool batch, int want)
{
	struct peer p;
	struct cachedc c;
	peer_start(&p, false, reply, batch);
	connect_ok(&c, &p);
	long status;
	char msg[64], log[256] = "";
	int r;
	if (batch) {
		assert_int_equal(cachedc_batch_begin(&c, msg, sizeof(msg)), 0);
		assert_int_equal(cachedc_batch_add(&c, "UPDATE x 1:1", 12), 1);
		r = cachedc_batch_end(&c, on_error, log);
	} else {
		r = cachedc_request(&c, "STATS", &status, msg, sizeof(msg));
	}
	assert_int_equal(r, want);
	assert_false(cachedc_is_open(&c));
	cachedc_destroy(&c);
	peer_stop(&p);
}

static void test_bad_replies(void **state)
{
	static char longline[CACHEDC_LINE_MAX + 100];
	memset(longline, 'x', sizeof(longline) - 2);
	longline[0] = '0', longline[1] = ' ';
	longline[sizeof(longline) - 2] = '\n';
	bad_reply(longline, false, -EPROTO);     /* line longer than the buffer */
	bad_reply("Go ahead\n", false, -EPROTO); /* no status number */
	bad_reply("3 lines follow\nonly one\n", false, -ETIMEDOUT); /* fewer lines than said */
	bad_reply("2 errors\n1 a\n1 b\n", true, -EPROTO);           /* more errors than commands */
	bad_reply("1 errors\n7 no such command\n", true, -EPROTO);
}

static void test_silent_peer_times_out(void **state)
{
	struct peer p;
	struct cachedc c;
	peer_start(&p, false, "", false);
	connect_ok(&c, &p);
	long status;
	char msg[64];
	assert_int_equal(cachedc_request(&c, "STATS", &status, msg, sizeof(msg)), -ETIMEDOUT);
	assert_false(cachedc_is_open(&c));
	cachedc_destroy(&c);
	peer_stop(&p);
}

static void test_tcp_and_nobody_listening(void **state)
{
	struct peer p;
	struct cachedc c;
	peer_start(&p, true, "0 PONG\n", false);
	assert_false(cachedc_addr_is_unix(p.addr));
	connect_ok(&c, &p);
	long status = -9;
	char msg[64], err[256] = "";
	assert_int_equal(cachedc_request(&c, "PING", &status, msg, sizeof(msg)), 0);
	assert_int_equal(status, 0);
	assert_string_equal(msg, "PONG");
	cachedc_destroy(&c);
	peer_stop(&p);

	cachedc_init(&c, TIMEOUT_MS);
	char addr[160];
	snprintf(addr, sizeof(addr), "unix:%s", p.path[0] ? p.path : "/tmp/dcmon-cachedc-none");
	assert_true(cachedc_connect(&c, addr, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "connect"));
	assert_int_equal(cachedc_connect(&c, "[::1", err, sizeof(err)), -EINVAL);
	assert_false(cachedc_is_open(&c));
	cachedc_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_and_following_lines),
	    cmocka_unit_test(test_batch_errors_mapped),
	    cmocka_unit_test(test_bad_replies),
	    cmocka_unit_test(test_silent_peer_times_out),
	    cmocka_unit_test(test_tcp_and_nobody_listening),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
