/* The dashboard's HTTP server: libmicrohttpd driven from our event loop.
 *
 * MHD runs with MHD_USE_EPOLL and no thread of its own: its epoll fd is a watcher on
 * our loop, MHD_run() is called when it is readable and when MHD's own timeout is due.
 * So every request handler (api_handle, the SSE hub, graph set-up) runs on the loop
 * thread, where the registry and the alert engine live.  Graphs render on the worker
 * pool while their connection is suspended.
 */
#include "http_int.h"

#include "dcmon/api_route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"

#define HTTP_MAX_CONNECTIONS 1024
#define HTTP_IDLE_TIMEOUT_S  30     /* a connection silent this long is closed */
#define HTTP_PEM_MAX         (256 * 1024)
#define HTTP_TOKEN_MAX       4096

/* ---- files -------------------------------------------------------------------- */

/* Reads a small file whole (NUL terminated).  NULL with err filled. */
static char *http_read_file(const char *path, size_t max, const char *what, char *err,
			    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "http: cannot read %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(max + 1);
	size_t len = 0;
	ssize_t n = 1;
	while (buf && len < max && (n = read(fd, buf + len, max - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (!buf || n < 0 || len >= max) {
		snprintf(err, errlen, "http: cannot read %s %s: %s", what, path,
			 !buf ? "out of memory" : n < 0 ? strerror(errno) : "file too large");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* The token: the file's first line without surrounding white space; the file must not
 * be readable by others. */
static char *http_load_token(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH)) {
		snprintf(err, errlen, "http: token file %s is readable by others: chmod 600 it", path);
		return NULL;
	}
	char *t = http_read_file(path, HTTP_TOKEN_MAX, "token file", err, errlen);
	if (!t)
		return NULL;
	char *p = t + strspn(t, " \t\r\n");
	size_t n = strcspn(p, "\r\n");
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n < 16) {
		snprintf(err, errlen, "http: token in %s is shorter than 16 characters", path);
		free(t);
		return NULL;
	}
	memmove(t, p, n);
	t[n] = '\0';
	return t;
}

/* ---- MHD on our loop ------------------------------------------------------------- */

static void http_on_timer(struct loop *loop, void *arg)
{
	struct http_server *s = arg;
	s->timer = NULL;
	http_server_run(s);
}

void http_server_run(struct http_server *s)
{
	s->in_run = true;
	s->kicked = false;
	MHD_run(s->mhd);
	s->in_run = false;
	MHD_UNSIGNED_LONG_LONG to = 0;
	loop_timer_cancel(s->loop, s->timer);
	s->timer = NULL;
	if (s->kicked)
		s->timer = loop_timer_add(s->loop, 0, http_on_timer, s);
	else if (MHD_get_timeout(s->mhd, &to) == MHD_YES)
		s->timer = loop_timer_add(s->loop, to > 60000 ? 60000 : (int64_t)to, http_on_timer, s);
}

/* A connection was resumed: MHD must run soon even if no fd of its own turns ready
 * (its inter-thread wake-up is not reliably visible through the nested epoll fd). */
void http_server_kick(struct http_server *s)
{
	s->kicked = true;
	if (s->in_run)
		return; /* http_server_run re-arms with 0 ms after MHD_run returns */
	loop_timer_cancel(s->loop, s->timer);
	s->timer = loop_timer_add(s->loop, 0, http_on_timer, s);
}

static void http_on_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	http_server_run(arg);
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http", NULL, "%s", msg);
}

/* ---- replies ------------------------------------------------------------------------ */

enum MHD_Result http_reply_error(struct MHD_Connection *c, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct api_response resp = {0};
	api_reply_error(&resp, status, "%s", msg);
	enum MHD_Result rc = http_reply(c, resp.status, "application/json", resp.body,
					strlen(resp.body), "no-store", NULL);
	api_response_free(&resp);
	return rc;
}

/* ---- the API -------------------------------------------------------------------------- */

void http_peer_name(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ci->client_addr;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
		port = ntohs(a->sin_port);
	} else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ci->client_addr;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
		port = ntohs(a->sin6_port);
	}
	snprintf(buf, len, "http:%s:%d", addr, port);
}

/* Constant time over the configured token's length. */
static bool http_token_equal(const char *want, const char *got)
{
	size_t n = strlen(want), m = strlen(got);
	unsigned char diff = n != m;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < m ? got[i] : 0);
	return diff == 0;
}

bool http_auth_write(struct http_server *s, struct MHD_Connection *c, bool *answered)
{
	*answered = false;
	if (!s->token) {
		*answered = true;
		http_reply_error(c, 403, "write actions are disabled: no http.token_file in the config");
		return false;
	}
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (h && strncasecmp(h, "Bearer ", 7) == 0 && http_token_equal(s->token, h + 7))
		return true;
	*answered = true;
	char peer[96];
	http_peer_name(c, peer, sizeof(peer));
	log_warnx("http", NULL, "write refused from %s: %s", peer,
		  h ? "wrong token" : "no Authorization header");
	http_reply_error(c, 401, "%s", h ? "wrong bearer token" : "this action needs Authorization: Bearer <token>");
	return false;
}

static enum MHD_Result http_api(struct http_server *s, struct http_conn *hc, const char *url,
				const char *method, const char *query)
{
	struct MHD_Connection *c = hc->c;
	bool write = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	bool answered;
	if (write && !http_auth_write(s, c, &answered))
		return answered ? MHD_YES : MHD_NO;
	char peer[96];
	http_peer_name(c, peer, sizeof(peer));
	struct api_request req = {.method = strcmp(method, "HEAD") == 0 ? "GET" : method,
				  .path = url, .query = query, .body = hc->body,
				  .body_len = hc->body_len, .peer = peer};
	struct api_response resp;
	api_handle(&s->env, &req, &resp);
	if (write && resp.status < 300)
		log_info("http", NULL, "%s %s by %s: %d", method, url, peer, resp.status);
	enum MHD_Result rc = http_reply(c, resp.status, resp.content_type ? resp.content_type
								     : "application/json",
					resp.body, resp.body ? strlen(resp.body) : 0, "no-store", NULL);
	api_response_free(&resp);
	return rc;
}

/* ---- request dispatch ---------------------------------------------------------------- */

static bool http_body_add(struct http_conn *hc, const char *data, size_t n)
{
	if (hc->too_big || hc->body_len + n > HTTP_BODY_MAX) {
		hc->too_big = true;
		return false;
	}
	char *b = realloc(hc->body, hc->body_len + n + 1);
	if (!b)
		return false;
	memcpy(b + hc->body_len, data, n);
	hc->body = b;
	hc->body_len += n;
	b[hc->body_len] = '\0';
	return true;
}

static enum MHD_Result http_dispatch(struct http_server *s, struct http_conn *hc,
				     const char *url, const char *method)
{
	struct MHD_Connection *c = hc->c;
	const char *q = hc->uri ? strchr(hc->uri, '?') : NULL;
	const char *query = q ? q + 1 : NULL;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	if (hc->too_big)
		return http_reply_error(c, 413, "request body over %d bytes", HTTP_BODY_MAX);
	if (strcmp(url, "/api/v1/events") == 0) {
		if (!get)
			return http_reply_error(c, 405, "method %s not allowed on %s", method, url);
		if (query && *query)
			return http_reply_error(c, 400, "unknown query parameter (allowed: none)");
		return http_sse_open(s->sse, c);
	}
	if (strcmp(url, "/api/v1/graph") == 0) {
		if (!get)
			return http_reply_error(c, 405, "method %s not allowed on %s", method, url);
		return http_graph_start(s, hc, query);
	}
	if (strncmp(url, "/api/", 5) == 0)
		return http_api(s, hc, url, method, query);
	if (!get)
		return http_reply_error(c, 405, "method %s not allowed on %s", method, url);
	return http_static(s, c, url, query);
}

static enum MHD_Result http_on_request(void *cls, struct MHD_Connection *c, const char *url,
				       const char *method, const char *version,
				       const char *upload, size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_conn *hc = *con_cls;
	if (!hc)
		return MHD_NO; /* the URI callback failed to allocate */
	if (!hc->c) {      /* first call: headers only */
		hc->c = c;
		return MHD_YES;
	}
	if (*upload_size) {
		http_body_add(hc, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (hc->job == HTTP_JOB_DONE)
		return http_graph_reply(hc);
	if (hc->job != HTTP_JOB_NONE)
		return MHD_YES; /* resumed spuriously: still waiting */
	return http_dispatch(s, hc, url, method);
}

/* Called first with the raw request target: the connection's context starts here. */
static void *http_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_conn *hc = calloc(1, sizeof(*hc));
	if (!hc)
		return NULL;
	hc->s = cls;
	hc->uri = strdup(uri ? uri : "");
	return hc;
}

static void http_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct http_conn *hc = *con_cls;
	*con_cls = NULL;
	if (!hc)
		return;
	if (hc->job == HTTP_JOB_QUEUED || hc->job == HTTP_JOB_RUNNING) {
		/* the FIFO or a worker still holds the job: freed by the server */
		hc->c = NULL;
		return;
	}
	http_graph_job_free(hc->gj);
	free(hc->uri);
	free(hc->body);
	free(hc);
}

/* ---- start and stop -------------------------------------------------------------------- */

static int http_sockaddr(const struct cfg_http *cfg, struct sockaddr_storage *ss, bool *v6)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;
	const char *addr = cfg->listen ? cfg->listen : "127.0.0.1";
	*v6 = false;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)cfg->port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)cfg->port);
		*v6 = true;
		return 0;
	}
	return -EINVAL;
}

static int http_start_mhd(struct http_server *s, const struct cfg_http *cfg, char *err,
			  size_t errlen)
{
	struct sockaddr_storage ss;
	bool v6;
	if (http_sockaddr(cfg, &ss, &v6) < 0) {
		snprintf(err, errlen, "http: listen: not a numeric address: %s", cfg->listen);
		return -EINVAL;
	}
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (s->cert_pem)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	s->mhd = MHD_start_daemon(
	    flags, (uint16_t)cfg->port, NULL, NULL, http_on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_URI_LOG_CALLBACK, http_on_uri, s,
	    MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, s,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_ARRAY, s->cert_pem ? tls : tls + 2,
	    MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "http: cannot listen on %s port %d%s", cfg->listen, cfg->port,
			 s->cert_pem ? " (or the TLS certificate/key is not valid)" : " (address in use?)");
		return -EADDRINUSE;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->epfd = di ? di->epoll_fd : -1;
	s->port = pi ? pi->port : cfg->port;
	if (s->epfd < 0 || loop_io_add(s->loop, s->epfd, LOOP_READ, http_on_io, s) < 0) {
		snprintf(err, errlen, "http: cannot watch the server's epoll fd");
		return -EIO;
	}
	return 0;
}

static int http_load_files(struct http_server *s, const struct cfg_http *cfg, char *err,
			   size_t errlen)
{
	if (cfg->token_file && !(s->token = http_load_token(cfg->token_file, err, errlen)))
		return -EINVAL;
	if (cfg->tls_cert &&
	    (!(s->cert_pem = http_read_file(cfg->tls_cert, HTTP_PEM_MAX, "TLS certificate", err, errlen)) ||
	     !(s->key_pem = http_read_file(cfg->tls_key, HTTP_PEM_MAX, "TLS key", err, errlen))))
		return -EINVAL;
	return 0;
}

struct http_server *http_server_new(const struct http_opts *o, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "http: out of memory");
		return NULL;
	}
	s->loop = o->loop;
	s->wq = o->wq;
	s->arc = o->arc;
	s->env = *o->env;
	s->epfd = -1;
	s->data_dir = strdup(o->data_dir ? o->data_dir : ".");
	s->rrdcached = o->rrdcached ? strdup(o->rrdcached) : NULL;
	if (!s->data_dir || !(s->sse = http_sse_new(s))) {
		snprintf(err, errlen, "http: out of memory");
		http_server_free(s);
		return NULL;
	}
	if (http_load_files(s, o->cfg, err, errlen) < 0 || http_start_mhd(s, o->cfg, err, errlen) < 0) {
		http_server_free(s);
		return NULL;
	}
	log_info("http", NULL, "dashboard on %s://%s%s%s:%d/wall%s", s->cert_pem ? "https" : "http",
		 strchr(o->cfg->listen, ':') ? "[" : "", o->cfg->listen,
		 strchr(o->cfg->listen, ':') ? "]" : "", s->port,
		 s->token ? "" : " (read only: no token_file)");
	return s;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	if (s->sse)
		http_sse_close(s->sse);
	if (s->mhd) {
		for (struct http_conn *hc = s->pending; hc; hc = hc->next_pending)
			if (hc->c)
				MHD_resume_connection(hc->c);
		MHD_run(s->mhd);
	}
	if (s->epfd >= 0)
		loop_io_del(s->loop, s->epfd);
	loop_timer_cancel(s->loop, s->timer);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	/* graph jobs whose completion never came (the worker pool is gone by now) */
	while (s->pending) {
		struct http_conn *hc = s->pending;
		s->pending = hc->next_pending;
		if (hc->c == NULL) {
			http_graph_job_free(hc->gj);
			free(hc->uri);
			free(hc->body);
			free(hc);
		}
	}
	http_sse_free(s->sse);
	free(s->token);
	free(s->cert_pem);
	free(s->key_pem);
	free(s->data_dir);
	free(s->rrdcached);
	free(s);
}

void http_server_set_env(struct http_server *s, const struct api_env *env)
{
	if (!s)
		return;
	s->env = *env;
	http_sse_resync(s->sse);
}

void http_server_reload(struct http_server *s, const struct cfg_http *was,
			const struct cfg_http *now)
{
	if (!was != !now || !s) {
		if (!was != !now)
			log_msg(LOG_LVL_WARN, "http", NULL, "http: section %s: takes effect at the next start",
				now ? "added" : "removed");
		return;
	}
	struct cfg_http same_token = *now; /* every key but the token file, by the key table */
	same_token.token_file = was->token_file;
	if (!cfg_fields_same(http_cfg_keys, was, &same_token))
		log_msg(LOG_LVL_WARN, "http", NULL,
			"http: new listen, port or TLS files take effect at the next start");
	char err[512] = "";
	char *token = NULL;
	if (now->token_file && !(token = http_load_token(now->token_file, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "http", NULL, "%s: the previous token stays in force", err);
		return;
	}
	if (!token && s->token)
		log_info("http", NULL, "no token_file any more: write actions refused");
	else if (token && (!s->token || strcmp(token, s->token) != 0))
		log_info("http", NULL, "write token read again from %s", now->token_file);
	free(s->token);
	s->token = token;
}

int http_server_port(const struct http_server *s)
{
	return s ? s->port : -1;
}

void http_server_alert_event(struct http_server *s, const struct alert_event *ev)
{
	if (s)
		http_sse_alert(s->sse, ev);
}
