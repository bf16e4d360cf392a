/* The API's Unix socket server on a real loop, with clients on a real socket.
 *
 * The loop runs on the test's thread; each client runs on a second thread, records what
 * it saw, and stops the loop when done.  Assertions happen after the join.
 */
#include "testing.h"
#include "tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"
#include "api_parts.h"
#include "cli.h"
#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/loop.h"
#include "dcmon/workq.h"

#define CLIENT_WAIT_S 30 /* bound on any blocking client read (never reached when green) */
#define MANY_CLIENTS 50

static struct cfg_device devices[] = {
	{.id = "ups-a", .kind = DEV_UPS, .interval_ms = 10000, .loc = {.site = "tokyo-1"}},
};
static struct cfg test_cfg = {.devices = devices, .ndevices = 1};

struct fx {
	char dir[64];
	char path[160];
	struct loop *loop;
	struct metric_reg *reg;
	struct api_env env;
	struct test_api_parts parts;
	struct api_unix *srv;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	umask(022);
	snprintf(f->dir, sizeof(f->dir), "/tmp/dcmon-api-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/dcmon/dcmon.sock", f->dir);
	f->loop = loop_new();
	f->reg = metric_reg_new();
	f->env = (struct api_env){.cfg = &test_cfg, .reg = f->reg,
				  .started_ms = clock_wall_ms(), .version = "1.2.3"};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	api_unix_free(f->srv);
	loop_free(f->loop);
	metric_reg_free(f->reg);
	assert_int_equal(test_tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

static void start(struct fx *f)
{
	char err[256] = "";
	f->srv = api_unix_new(f->loop, f->path, NULL, &f->env, err, sizeof(err));
	if (!f->srv)
		fail_msg("api_unix_new: %s", err);
}

/* ---- client side (runs on the client thread; no cmocka calls there) ---------------- */

static int client_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = CLIENT_WAIT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* Reads until EOF (or a reset after data); returns a malloc'd string. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	for (int i = 0; i < 100000; i++) {
		if (len == cap)
			buf = realloc(buf, (cap *= 2) + 1);
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/* Sends a raw request and returns the raw response (NULL if no connection). */
static char *exchange(const char *path, const char *req, size_t len)
{
	int fd = client_connect(path);
	if (fd < 0)
		return NULL;
	send_all(fd, req, len);
	char *out = read_all(fd);
	close(fd);
	return out;
}

struct job {
	struct fx *f;
	void (*fn)(struct job *j);
	char *out[MANY_CLIENTS]; /* raw responses, freed by the test */
	json_t *json;
	size_t n;
};

static void stop_loop(struct loop *loop, void *arg)
{
	loop_stop(loop);
}

static void *client_main(void *arg)
{
	struct job *j = arg;
	j->fn(j);
	loop_post(j->f->loop, stop_loop, NULL);
	return NULL;
}

/* Runs fn on a client thread while the loop serves. */
static void run_client(struct fx *f, struct job *j, void (*fn)(struct job *j))
{
	pthread_t t;
	j->f = f;
	j->fn = fn;
	assert_int_equal(pthread_create(&t, NULL, client_main, j), 0);
	assert_int_equal(loop_run(f->loop), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void job_free(struct job *j)
{
	for (size_t i = 0; i < MANY_CLIENTS; i++)
		free(j->out[i]);
	json_decref(j->json);
}

/* Status code of a raw response, and its JSON body's "error" or "version". */
static int resp_status(const char *raw)
{
	int status = -1;
	if (!raw || sscanf(raw, "HTTP/1.1 %d ", &status) != 1)
		return -1;
	return status;
}

static json_t *resp_json(const char *raw)
{
	const char *body = raw ? strstr(raw, "\r\n\r\n") : NULL;
	assert_non_null(body);
	json_t *j = json_loads(body + 4, 0, NULL);
	assert_non_null(j);
	return j;
}

static void assert_error_body(const char *raw, int status, const char *msg)
{
	assert_int_equal(resp_status(raw), status);
	json_t *j = resp_json(raw);
	assert_string_equal(json_string_value(json_object_get(j, "error")), msg);
	json_decref(j);
}

#define REQ(s) s, sizeof(s) - 1

/* ---- tests ---------------------------------------------------------------------- */

static void health_and_cli(struct job *j)
{
	j->out[0] = exchange(j->f->path, REQ("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"));
	struct cli_ctx ctx = {.socket_path = j->f->path, .timeout_ms = CLIENT_WAIT_S * 1000,
			      .out = stdout, .err = stderr};
	j->json = cli_get_json(&ctx, "/api/v1/status?kind=ups");
}

static void test_good_request(void **state)
{
	struct fx *f = *state;
	start(f);
	struct job j = {0};
	run_client(f, &j, health_and_cli);
	assert_int_equal(resp_status(j.out[0]), 200);
	assert_non_null(strstr(j.out[0], "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(j.out[0], "\r\nConnection: close\r\n"));
	json_t *h = resp_json(j.out[0]);
	assert_string_equal(json_string_value(json_object_get(h, "version")), "1.2.3");
	assert_int_equal(json_integer_value(json_object_get(h, "devices")), 1);
	json_decref(h);
	assert_non_null(j.json);
	json_t *d = json_array_get(json_object_get(j.json, "devices"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "id")), "ups-a");
	assert_string_equal(json_string_value(json_object_get(d, "health")), "unknown");
	job_free(&j);
}

static void bad_requests(struct job *j)
{
	const char *p = j->f->path;
	j->out[0] = exchange(p, REQ("POST /api/v1/status HTTP/1.1\r\nContent-Length: 9\r\n\r\n"
				    "{\"a\":\"b\"}"));
	j->out[1] = exchange(p, REQ("GET /api/v1/status HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n"));
	size_t n = API_HTTP_HEAD_MAX + 1000;
	char *big = malloc(n);
	memset(big, 'a', n);
	memcpy(big, "GET / HTTP/1.1\r\nX-Pad: ", 23);
	j->out[2] = exchange(p, big, n);
	free(big);
	j->out[3] = exchange(p, REQ("BREW /pot HTTP/1.1\r\n\r\n"));
	j->out[4] = exchange(p, REQ("GET /api/v1/status?kind=toaster HTTP/1.1\r\n\r\n"));
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	start(f);
	struct job j = {0};
	run_client(f, &j, bad_requests);
	assert_error_body(j.out[0], 405, "method POST not allowed on /api/v1/status");
	assert_error_body(j.out[1], 413, "request body larger than 1048576 bytes");
	assert_error_body(j.out[2], 400, "request head larger than 16384 bytes");
	assert_error_body(j.out[3], 404, "no such endpoint: /pot");
	assert_int_equal(resp_status(j.out[4]), 400);
	job_free(&j);
}

/* Sends half a request and waits for the server to give up. */
static void slow_client(struct job *j)
{
	j->out[0] = exchange(j->f->path, REQ("GET /api/v1/hea"));
	j->out[1] = exchange(j->f->path, REQ("GET /api/v1/health HTTP/1.1\r\n\r\n"));
}

static void test_slow_client_timeout(void **state)
{
	struct fx *f = *state;
	start(f);
	api_unix_set_timeout(f->srv, 100);
	struct job j = {0};
	run_client(f, &j, slow_client);
	assert_error_body(j.out[0], 408, "request not completed");
	assert_int_equal(resp_status(j.out[1]), 200);
	job_free(&j);
}

/* A worker held busy until the loop's timer lets it go: the reply of a request queued
 * behind it comes after the connection's deadline. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
};

static void gate_wait(void *arg)
{
	struct gate *g = arg;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLIENT_WAIT_S; /* bound: never reached when green */
	pthread_mutex_lock(&g->lock);
	while (!g->open && pthread_cond_timedwait(&g->cond, &g->lock, &until) == 0)
		;
	pthread_mutex_unlock(&g->lock);
}

static void gate_passed(struct loop *loop, void *arg)
{
	(void)loop, (void)arg;
}

static void gate_open(struct loop *loop, void *arg)
{
	struct gate *g = arg;
	(void)loop;
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void ask_report(struct job *j)
{
	j->out[0] = exchange(j->f->path,
			     REQ("GET /api/v1/reports/availability?period=2026-11 HTTP/1.1\r\n\r\n"));
}

/* A reply built on the worker pool (an availability report, a status page) is not cut
 * by the connection's deadline, which is for a client that does not send its request:
 * the worker is held until 3 deadlines have passed, and the report still comes. */
static void test_deferred_reply_outlives_deadline(void **state)
{
	struct fx *f = *state;
	struct gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	f->env.wq = workq_new(f->loop, 1);
	assert_non_null(f->env.wq);
	test_cfg.daemon.state_dir = f->dir; /* no history there: a report of nothing */
	start(f);
	api_unix_set_timeout(f->srv, 100);
	assert_int_equal(workq_submit(f->env.wq, gate_wait, gate_passed, &g), 0);
	assert_non_null(loop_timer_add(f->loop, 300, gate_open, &g));
	struct job j = {0};
	run_client(f, &j, ask_report);
	assert_int_equal(resp_status(j.out[0]), 200);
	json_t *rep = resp_json(j.out[0]);
	assert_string_equal(json_string_value(json_object_get(rep, "period")), "2026-11");
	json_decref(rep);
	job_free(&j);
	workq_free(f->env.wq);
	test_cfg.daemon.state_dir = NULL;
}

/* Opens many connections, each with half a request, then completes them all. */
static void many_clients(struct job *j)
{
	int fds[MANY_CLIENTS];
	for (size_t i = 0; i < MANY_CLIENTS; i++) {
		fds[i] = client_connect(j->f->path);
		send_all(fds[i], REQ("GET /api/v1/hea"));
	}
	for (size_t i = MANY_CLIENTS; i-- > 0;) {
		send_all(fds[i], REQ("lth HTTP/1.1\r\n\r\n"));
		j->out[i] = read_all(fds[i]);
		close(fds[i]);
	}
}

static void test_many_clients(void **state)
{
	struct fx *f = *state;
	start(f);
	struct job j = {0};
	run_client(f, &j, many_clients);
	for (size_t i = 0; i < MANY_CLIENTS; i++) {
		assert_int_equal(resp_status(j.out[i]), 200);
		json_t *h = resp_json(j.out[i]);
		assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
		json_decref(h);
	}
	job_free(&j);
}

/* Asks for a large answer and hangs up after a few bytes, several times. */
static void rude_clients(struct job *j)
{
	for (size_t i = 0; i < 5; i++) {
		int fd = client_connect(j->f->path);
		send_all(fd, REQ("GET /api/v1/status HTTP/1.1\r\n\r\n"));
		char buf[100];
		j->n += recv(fd, buf, sizeof(buf), 0) > 0;
		close(fd);
	}
	j->out[0] = exchange(j->f->path, REQ("GET /api/v1/metrics?name=m_1* HTTP/1.1\r\n\r\n"));
}

static void test_client_hangs_up_mid_response(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 4000; i++) { /* about 1.3 MB of JSON: more than a socket buffer */
		char name[32];
		snprintf(name, sizeof(name), "m_%d_percent", i);
		struct metric_desc d = {.name = name, .unit = "percent", .kind = METRIC_GAUGE,
					.interval_ms = 1000};
		metric_put(f->reg, metric_reg_get(f->reg, "ups-a", &d), clock_wall_ms(), i);
	}
	start(f);
	struct job j = {0};
	run_client(f, &j, rude_clients);
	assert_int_equal(j.n, 5);
	assert_int_equal(resp_status(j.out[0]), 200);
	json_t *m = resp_json(j.out[0]);
	/* m_1, m_10..m_19, m_100..m_199, m_1000..m_1999 */
	assert_int_equal(json_array_size(json_object_get(m, "metrics")), 1111);
	json_decref(m);
	job_free(&j);
}

static void one_health(struct job *j)
{
	j->out[0] = exchange(j->f->path, REQ("GET /api/v1/health HTTP/1.1\r\n\r\n"));
}

static void test_stale_socket_replaced(void **state)
{
	struct fx *f = *state;
	char err[256];
	/* A server that died without removing its socket file. */
	int fd = api_unix_bind(f->path, NULL, &(struct api_unix_id){0}, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	start(f);
	struct job j = {0};
	run_client(f, &j, one_health);
	assert_int_equal(resp_status(j.out[0]), 200);
	job_free(&j);
}

static void test_live_socket_refused(void **state)
{
	struct fx *f = *state;
	start(f);
	char err[256], want[256];
	struct api_unix *second = api_unix_new(f->loop, f->path, NULL, &f->env, err, sizeof(err));
	assert_null(second);
	snprintf(want, sizeof(want), "another dcmond is running on %s", f->path);
	assert_string_equal(err, want);
	struct job j = {0}; /* the first one still serves */
	run_client(f, &j, one_health);
	assert_int_equal(resp_status(j.out[0]), 200);
	job_free(&j);
}

static void test_not_a_socket(void **state)
{
	struct fx *f = *state;
	char err[256], want[256], dir[200];
	snprintf(dir, sizeof(dir), "%s/run", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/run/dcmon", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	int fd = open(f->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(api_unix_new(f->loop, f->path, NULL, &f->env, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s exists and is not a socket", f->path);
	assert_string_equal(err, want);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void test_mode_group_and_cleanup(void **state)
{
	struct fx *f = *state;
	struct group *g = getgrgid(getegid());
	assert_non_null(g);
	char err[256], dir[200];
	f->srv = api_unix_new(f->loop, f->path, g->gr_name, &f->env, err, sizeof(err));
	assert_non_null(f->srv);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getegid());
	snprintf(dir, sizeof(dir), "%s/run/dcmon", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	api_unix_free(f->srv);
	f->srv = NULL;
	assert_int_equal(stat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);

	assert_null(api_unix_new(f->loop, f->path, "no-such-group-dcmon", &f->env, err,
				 sizeof(err)));
	assert_string_equal(err, "unknown group 'no-such-group-dcmon' for the API socket");
	assert_int_equal(stat(f->path, &st), -1);
}

static void test_set_env(void **state)
{
	struct fx *f = *state;
	start(f);
	struct api_env env = f->env;
	env.version = "2.0.0";
	api_unix_set_env(f->srv, &env);
	struct job j = {0};
	run_client(f, &j, one_health);
	json_t *h = resp_json(j.out[0]);
	assert_string_equal(json_string_value(json_object_get(h, "version")), "2.0.0");
	json_decref(h);
	job_free(&j);
}

static void cli_refused(struct job *j)
{
	struct cli_ctx ctx = {.socket_path = j->f->path, .timeout_ms = 1000,
			      .out = stdout, .err = stderr};
	struct cli_reply r;
	char err[512];
	j->n = (size_t)-cli_request(&ctx, "GET", "/api/v1/health", NULL, &r, err, sizeof(err));
	j->out[0] = strdup(err);
}

static void test_cli_daemon_not_running(void **state)
{
	struct fx *f = *state;
	struct job j = {0};
	snprintf(f->path, sizeof(f->path), "%s/absent.sock", f->dir);
	run_client(f, &j, cli_refused);
	char want[300];
	snprintf(want, sizeof(want), "cannot reach dcmond at %s: no such file or directory "
		 "(is dcmond running?)", f->path);
	assert_string_equal(j.out[0], want);
	assert_int_equal(j.n, ENOENT);
	free(j.out[0]);
	j.out[0] = NULL;

	char err[256]; /* a stale file: connection refused */
	int fd = api_unix_bind(f->path, NULL, &(struct api_unix_id){0}, err, sizeof(err));
	close(fd);
	run_client(f, &j, cli_refused);
	snprintf(want, sizeof(want), "cannot reach dcmond at %s: connection refused "
		 "(is dcmond running?)", f->path);
	assert_string_equal(j.out[0], want);
	assert_int_equal(j.n, ECONNREFUSED);
	job_free(&j);
}

/* ---- who asked: SO_PEERCRED ----------------------------------------------------- */

/* This process's user name, as the audit log should record it. */
static void my_user(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid:%lu", (unsigned long)getuid());
}

static void test_peer_format(void **state)
{
	struct api_peer p;
	char want[64];
	api_peer_format(getuid(), 4242, &p);
	my_user(want, sizeof(want));
	assert_string_equal(p.who, want);
	assert_string_equal(p.origin, "unix:pid=4242");
	/* A uid without a passwd entry is shown as a number. */
	uid_t none = 3999999;
	assert_null(getpwuid(none));
	api_peer_format(none, 1, &p);
	assert_string_equal(p.who, "uid:3999999");
	assert_string_equal(p.origin, "unix:pid=1");
}

static void test_peer_of_socket(void **state)
{
	int sv[2];
	struct api_peer p;
	char want[64], origin[48];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(api_peer_of(sv[0], &p), 0);
	my_user(want, sizeof(want));
	snprintf(origin, sizeof(origin), "unix:pid=%ld", (long)getpid());
	assert_string_equal(p.who, want);
	assert_string_equal(p.origin, origin);
	close(sv[0]);
	close(sv[1]);
	int fd = open("/dev/null", O_RDONLY); /* not a socket */
	assert_int_equal(api_peer_of(fd, &p), -ENOTSOCK);
	close(fd);
}

/* Adds a silence (with and without a claimed "by"), then reads the audit log. */
static void silence_and_audit(struct job *j)
{
	const char *p = j->f->path;
	static const char body1[] = "{\"match\": {\"device\": \"ups-a\"}, \"for\": \"1h\","
				    " \"reason\": \"battery swap\"}";
	static const char body2[] = "{\"match\": {\"device\": \"ups-a\"}, \"for\": \"1h\","
				    " \"reason\": \"again\", \"by\": \"dave\"}";
	char req[512];
	int n = snprintf(req, sizeof(req), "POST /api/v1/silences HTTP/1.1\r\nContent-Length: "
			 "%zu\r\n\r\n%s", sizeof(body1) - 1, body1);
	j->out[0] = exchange(p, req, (size_t)n);
	n = snprintf(req, sizeof(req), "POST /api/v1/silences HTTP/1.1\r\nContent-Length: "
		     "%zu\r\n\r\n%s", sizeof(body2) - 1, body2);
	j->out[1] = exchange(p, req, (size_t)n);
	j->out[2] = exchange(p, REQ("GET /api/v1/audit HTTP/1.1\r\n\r\n"));
	j->out[3] = exchange(p, REQ("GET /api/v1/silences HTTP/1.1\r\n\r\n"));
}

static void test_audit_names_the_peer(void **state)
{
	struct fx *f = *state;
	char err[256] = "", want[64], who2[128], origin[48];
	struct alert_engine *engine = alert_engine_new(&test_cfg, NULL, 0, f->dir, err,
						       sizeof(err));
	if (!engine)
		fail_msg("alert_engine_new: %s", err);
	test_api_parts_alerting(&f->parts, &f->env, engine);
	start(f);
	struct job j = {0};
	run_client(f, &j, silence_and_audit);
	assert_int_equal(resp_status(j.out[0]), 201);
	assert_int_equal(resp_status(j.out[1]), 201);
	assert_int_equal(resp_status(j.out[2]), 200);
	my_user(want, sizeof(want));
	snprintf(who2, sizeof(who2), "%s (as dave)", want); /* a claimed name never replaces */
	snprintf(origin, sizeof(origin), "unix:pid=%ld", (long)getpid());
	json_t *a = resp_json(j.out[2]), *e = json_object_get(a, "entries");
	assert_int_equal(json_array_size(e), 2);
	json_t *e0 = json_array_get(e, 0), *e1 = json_array_get(e, 1);
	assert_string_equal(json_string_value(json_object_get(e0, "who")), want);
	assert_string_equal(json_string_value(json_object_get(e0, "origin")), origin);
	assert_string_equal(json_string_value(json_object_get(e0, "action")), "silence");
	assert_string_equal(json_string_value(json_object_get(e0, "target")), "silence:1");
	assert_string_equal(json_string_value(json_object_get(e0, "detail")),
			    "device=ups-a reason=battery swap");
	assert_string_equal(json_string_value(json_object_get(e1, "who")), who2);
	json_decref(a);
	json_t *sl = resp_json(j.out[3]);
	json_t *s0 = json_array_get(json_object_get(sl, "silences"), 0);
	assert_string_equal(json_string_value(json_object_get(s0, "created_by")), want);
	json_decref(sl);
	job_free(&j);
	api_unix_free(f->srv);
	f->srv = NULL;
	alert_engine_free(engine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_reply_outlives_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_hangs_up_mid_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_group_and_cleanup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_daemon_not_running, setup, teardown),
		cmocka_unit_test(test_peer_format),
		cmocka_unit_test(test_peer_of_socket),
		cmocka_unit_test_setup_teardown(test_audit_names_the_peer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
