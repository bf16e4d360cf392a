/* tcp poller against listeners the test starts on loopback, inside a private network
 * namespace (so the unreachable cases cannot send anything off the machine). */
#include "testing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dcmon/addr_guard.h"
#include "dcmon/netaddr.h"
#include "dcmon/tcp_check.h"
#include "pollers.h"
#include "polltest.h"

static struct polltest T;
static bool netns_ok;

/* A loopback peer run on the test's loop. */
struct server {
	int lfd;             /* listening socket */
	int port;
	const char *banner;  /* written on accept, may be NULL */
	const char *reply;   /* written when the client sends something, may be NULL */
	bool close_after;    /* close right after the banner */
	int cfd[8];          /* accepted connections */
	int ncfd;
};

static int setup(void **state)
{
	netns_ok = polltest_private_netns();
	return 0;
}

static void srv_client(struct loop *loop, int fd, unsigned events, void *arg)
{
	const struct server *s = arg;
	char buf[256];

	if (read(fd, buf, sizeof(buf)) > 0 && s->reply)
		assert_int_equal(write(fd, s->reply, strlen(s->reply)), (ssize_t)strlen(s->reply));
}

static void srv_accept(struct loop *loop, int lfd, unsigned events, void *arg)
{
	struct server *s = arg;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0 || s->ncfd == 8)
		return;
	if (s->banner)
		assert_int_equal(write(fd, s->banner, strlen(s->banner)), (ssize_t)strlen(s->banner));
	if (s->close_after) {
		close(fd);
		return;
	}
	s->cfd[s->ncfd++] = fd;
	assert_int_equal(loop_io_add(loop, fd, LOOP_READ, srv_client, s), 0);
}

/* Listens on 127.0.0.1, port chosen by the kernel; `serve` accepts on the loop. */
static void srv_start(struct server *s, int backlog, bool serve)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, backlog), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	if (serve)
		assert_int_equal(loop_io_add(T.loop, s->lfd, LOOP_READ, srv_accept, s), 0);
}

static void srv_stop(struct server *s)
{
	for (int i = 0; i < s->ncfd; i++) {
		loop_io_del(T.loop, s->cfd[i]);
		close(s->cfd[i]);
	}
	s->ncfd = 0;
	if (s->lfd >= 0) {
		loop_io_del(T.loop, s->lfd);
		close(s->lfd);
		s->lfd = -1;
	}
}

/* A device of n tcp checks (its `checks: tcp:` slot). */
static struct cfg_device tcp_dev(const char *id, const char *host, struct cfg_tcp *t, size_t n)
{
	struct cfg_device dev = {.id = (char *)id, .host = (char *)host};
	*cfg_device_list_slot(&dev, "tcp") = (struct cfg_part_list){.v = t, .n = n};
	return dev;
}

static void *create(struct cfg_device *dev)
{
	dev->interval_ms = 10000;
	dev->timeout_ms = 2000;
	return polltest_create(&T, &tcp_poller, dev);
}

/* Polls once; asserts the outcome and that the reason is "port <port>: <why>" (or
 * empty when why is NULL). */
static void assert_poll(void *in, enum poll_outcome want, int port, const char *why)
{
	char got[128], expect[64] = "";

	assert_int_equal(polltest_once(&T, &tcp_poller, in, 3000, got, sizeof(got)), want);
	if (why != NULL)
		snprintf(expect, sizeof(expect), "port %d: %s", port, why);
	assert_string_equal(got, expect);
}

static struct metric *m_of(const char *dev, const char *name, int port)
{
	char inst[16];

	snprintf(inst, sizeof(inst), "%d", port);
	return polltest_metric(&T, dev, name, inst);
}

/* Connected: time recorded, port up. */
static void assert_up(const char *dev, int port)
{
	struct metric *c = m_of(dev, "tcp_connect_seconds", port);
	struct metric *up = m_of(dev, "tcp_port_up", port);

	assert_int_equal(c->quality, QUALITY_OK);
	assert_true(c->value >= 0);
	assert_string_equal(c->shape->inst_label, "port");
	assert_int_equal(up->quality, QUALITY_OK);
	assert_true(up->value == 1.0);
}

/* Not connected: connect time an error with why, port down. */
static void assert_down(const char *dev, int port, const char *why)
{
	struct metric *c = m_of(dev, "tcp_connect_seconds", port);

	assert_int_equal(c->quality, QUALITY_ERROR);
	assert_string_equal(c->reason, why);
	assert_true(m_of(dev, "tcp_port_up", port)->value == 0.0);
}

static void test_listener_up_then_refused(void **state)
{
	struct server s = {0};
	struct cfg_tcp t = {.host = NULL};
	struct cfg_device dev = tcp_dev("web", "127.0.0.1", &t, 1);
	void *in;

	if (!netns_ok)
		skip();
	polltest_init(&T);
	srv_start(&s, 16, false);
	t.port = s.port;
	in = create(&dev);
	assert_poll(in, POLL_OK, s.port, NULL);
	assert_up("web", s.port);
	assert_null(metric_reg_find(T.reg, "web", "tcp_expect_ok", NULL)); /* no expect */
	srv_stop(&s); /* now nothing listens there */
	assert_poll(in, POLL_UNREACHABLE, s.port, "ECONNREFUSED");
	assert_down("web", s.port, "ECONNREFUSED");
	tcp_poller.free(in);
	polltest_fini(&T);
}

/* Accepts (in the backlog) but never sends: the expect check times out. */
static void test_expect_timeout(void **state)
{
	struct server s = {0};
	struct cfg_tcp t = {.expect = "220 ", .timeout_ms = 300};
	struct cfg_device dev = tcp_dev("mute", "127.0.0.1", &t, 1);
	void *in;

	if (!netns_ok)
		skip();
	polltest_init(&T);
	srv_start(&s, 16, false);
	t.port = s.port;
	in = create(&dev);
	assert_poll(in, POLL_PARTIAL, s.port, "timeout");
	assert_up("mute", s.port);
	assert_int_equal(m_of("mute", "tcp_expect_ok", s.port)->quality, QUALITY_ERROR);
	assert_string_equal(m_of("mute", "tcp_expect_ok", s.port)->reason, "timeout");
	tcp_poller.free(in);
	srv_stop(&s);
	polltest_fini(&T);
}

/* A banner that matches, a send/expect exchange, and a banner that does not match. */
static void test_banner_and_send_expect(void **state)
{
	struct server smtp = {.banner = "220 mail.example ESMTP ready\r\n"};
	struct server echo = {.reply = "+PONG\r\n"};
	struct server ssh = {.banner = "SSH-2.0-OpenSSH_9.2\r\n", .close_after = true};
	struct cfg_tcp t[3] = {
		{.expect = "220 mail"},
		{.send = "PING\r\n", .expect = "+PONG"},
		{.expect = "220 "},
	};
	struct cfg_device dev = tcp_dev("svc", "127.0.0.1", t, 3);
	void *in;

	if (!netns_ok)
		skip();
	polltest_init(&T);
	srv_start(&smtp, 16, true);
	srv_start(&echo, 16, true);
	srv_start(&ssh, 16, true);
	t[0].port = smtp.port;
	t[1].port = echo.port;
	t[2].port = ssh.port;
	in = create(&dev);
	assert_poll(in, POLL_PARTIAL, ssh.port, "expect mismatch");
	for (int i = 0; i < 3; i++)
		assert_up("svc", t[i].port);
	assert_true(m_of("svc", "tcp_expect_ok", smtp.port)->value == 1.0);
	assert_true(m_of("svc", "tcp_expect_ok", echo.port)->value == 1.0);
	assert_int_equal(m_of("svc", "tcp_expect_ok", ssh.port)->quality, QUALITY_OK);
	assert_true(m_of("svc", "tcp_expect_ok", ssh.port)->value == 0.0);
	assert_string_equal(metric_enum_name(m_of("svc", "tcp_expect_ok", ssh.port), 0), "down");
	tcp_poller.free(in);
	srv_stop(&smtp);
	srv_stop(&echo);
	srv_stop(&ssh);
	polltest_fini(&T);
}

/* A listener whose accept queue is full drops SYNs: the connect itself times out. */
static void test_connect_timeout(void **state)
{
	struct server s = {0};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct cfg_tcp t = {.timeout_ms = 300};
	struct cfg_device dev = tcp_dev("full", "127.0.0.1", &t, 1);
	struct pollfd pfd;
	void *in;

	if (!netns_ok)
		skip();
	polltest_init(&T);
	srv_start(&s, 0, false);
	a.sin_port = htons((uint16_t)s.port);
	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	pfd.events = POLLOUT;
	assert_true(connect(pfd.fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	assert_int_equal(poll(&pfd, 1, 5000), 1); /* this one fills the queue */
	t.port = s.port;
	in = create(&dev);
	assert_poll(in, POLL_UNREACHABLE, s.port, "timeout");
	assert_down("full", s.port, "timeout");
	tcp_poller.free(in);
	close(pfd.fd);
	srv_stop(&s);
	polltest_fini(&T);
}

/* No route and an "unreachable" route, and one check up beside them: PARTIAL. */
static void test_unreachable_reasons(void **state)
{
	struct server s = {0};
	struct cfg_tcp t[3] = {{.host = "10.1.2.3", .port = 80},
			       {.host = "10.9.0.1", .port = 80},
			       {.port = 0}};
	struct cfg_device dev = tcp_dev("mix", "127.0.0.1", t, 3);
	char why[128];
	struct metric *m;
	void *in;

	if (!netns_ok)
		skip();
	if (system("ip route add unreachable 10.9.0.0/16 2>/dev/null; "
		   "ip route show type unreachable | grep -q 10.9.0.0") != 0)
		fail_msg("cannot add the unreachable route");
	polltest_init(&T);
	srv_start(&s, 16, false);
	t[2].port = s.port;
	in = create(&dev);
	assert_int_equal(polltest_once(&T, &tcp_poller, in, 3000, why, sizeof(why)), POLL_PARTIAL);
	assert_string_equal(why, "port 10.1.2.3:80: ENETUNREACH");
	m = polltest_metric(&T, "mix", "tcp_connect_seconds", "10.1.2.3:80");
	assert_string_equal(m->reason, "ENETUNREACH");
	m = polltest_metric(&T, "mix", "tcp_connect_seconds", "10.9.0.1:80");
	assert_string_equal(m->reason, "EHOSTUNREACH");
	assert_true(polltest_metric(&T, "mix", "tcp_port_up", "10.9.0.1:80")->value == 0.0);
	assert_up("mix", s.port);
	tcp_poller.free(in);
	srv_stop(&s);
	polltest_fini(&T);
}

static void test_unresolvable_host(void **state)
{
	struct cfg_tcp t = {.port = 22};
	struct cfg_device dev = tcp_dev("nx", "no-such-host.invalid", &t, 1);
	char why[128];
	void *in;

	if (!netns_ok)
		skip(); /* resolver queries must not leave the machine */
	polltest_init(&T);
	in = create(&dev);
	assert_int_equal(polltest_once(&T, &tcp_poller, in, 3000, why, sizeof(why)),
			 POLL_UNREACHABLE);
	assert_non_null(strstr(why, "resolve no-such-host.invalid"));
	assert_int_equal(m_of("nx", "tcp_connect_seconds", 22)->quality, QUALITY_ERROR);
	assert_true(m_of("nx", "tcp_port_up", 22)->value == 0.0);
	tcp_poller.free(in);
	polltest_fini(&T);
}

/* A device with an address_guard: its host is judged at each poll.  Probed while the
 * guard admits it; once its address is in the deny, the check fails with the refusal,
 * no connection reaches the listener, and the check's probe_address_allowed says why. */
static void test_guard_refuses_address(void **state)
{
	struct server s = {.lfd = -1};
	char *deny[] = {"127.0.0.1/32"}, *allow[] = {"127.0.0.0/8"};
	struct cfg_addr_guard g = {0};
	char why[160], inst[32];

	polltest_init(&T);
	srv_start(&s, 8, true);
	struct cfg_tcp t = {.port = s.port};
	struct cfg_device dev = tcp_dev("g", "127.0.0.1", &t, 1);
	*cfg_device_slot(&dev, "address_guard") = &g;
	void *in = create(&dev);
	snprintf(inst, sizeof(inst), "tcp:%d", s.port);

	assert_int_equal(polltest_once(&T, &tcp_poller, in, 3000, why, sizeof(why)), POLL_OK);
	assert_true(m_of("g", "tcp_port_up", s.port)->value == 1.0);
	assert_true(polltest_metric(&T, "g", PROBE_ADDRESS_METRIC, inst)->value == 1.0);
	assert_int_equal(s.ncfd, 1);

	g = (struct cfg_addr_guard){.allow = allow, .nallow = 1, .deny = deny, .ndeny = 1};
	assert_int_equal(polltest_once(&T, &tcp_poller, in, 3000, why, sizeof(why)), POLL_UNREACHABLE);
	assert_non_null(strstr(why, "127.0.0.1 resolves to 127.0.0.1: " NET_REFUSED_BY_ALLOW_DENY));
	const struct metric *m = m_of("g", "tcp_connect_seconds", s.port);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_non_null(strstr(m->reason, NET_REFUSED_BY_ALLOW_DENY));
	assert_true(m_of("g", "tcp_port_up", s.port)->value == 0.0);
	m = polltest_metric(&T, "g", PROBE_ADDRESS_METRIC, inst);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_string_equal(m->reason, "127.0.0.1 resolves to 127.0.0.1: " NET_REFUSED_BY_ALLOW_DENY);
	assert_int_equal(s.ncfd, 1); /* no connection */
	tcp_poller.free(in);
	*cfg_device_slot(&dev, "address_guard") = NULL;
	srv_stop(&s);
	polltest_fini(&T);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listener_up_then_refused),
		cmocka_unit_test(test_expect_timeout),
		cmocka_unit_test(test_banner_and_send_expect),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_unreachable_reasons),
		cmocka_unit_test(test_unresolvable_host),
		cmocka_unit_test(test_guard_refuses_address),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
