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

/* {"error": msg} as the API words it. */
static struct MHD_Response *http_error_response(struct MHD_Connection *c, int status,
						const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	struct api_response resp = {0};
	api_reply_error(&resp, status, "%s", msg);
	struct MHD_Response *r = http_response(c, resp.status, "application/json", resp.body,
					       strlen(resp.body), "no-store", NULL);
	api_response_free(&resp);
	return r;
}

static enum MHD_Result http_queue(struct MHD_Connection *c, int status, struct MHD_Response *r)
{
	if (!r)
		return MHD_NO;
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result http_reply_error(struct MHD_Connection *c, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct MHD_Response *r = http_error_response(c, status, fmt, ap);
	va_end(ap);
	return http_queue(c, status, r);
}

enum MHD_Result http_reply_refuse(struct MHD_Connection *c, int status, int retry_s,
				  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct MHD_Response *r = http_error_response(c, status, fmt, ap);
	va_end(ap);
	if (r) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%d", retry_s);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
		if (retry_s > 0)
			MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	return http_queue(c, status, r);
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

bool http_peer_addr(struct MHD_Connection *c, struct in6_addr *out)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	memset(out, 0, sizeof(*out));
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;
		out->s6_addr[10] = out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], &a->sin_addr, 4);
		return true;
	}
	if (sa && sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return true;
	}
	return false;
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

/* End of a summary interval: one line for every refusal after the first (which was
 * logged at once, so a mistyped token shows without waiting). */
static void http_auth_log_summary(struct loop *loop, void *arg)
{
	struct http_server *s = arg;
	struct http_throttle_summary sum;
	s->auth_log_timer = NULL;
	if (!http_throttle_take_summary(s->auth_fails, &sum) || (sum.failed <= 1 && !sum.refused))
		return;
	char top[INET6_ADDRSTRLEN];
	http_addr_text(&sum.top, top, sizeof(top));
	log_warnx("http", NULL,
		  "write refused %u times in the last %llds (%u answered 429 after %d failures) "
		  "from %u addresses, most from %s (%u)",
		  sum.failed + sum.refused, (long long)(s->lim.auth_fail_window_ms / 1000),
		  sum.refused, s->lim.auth_fail_limit, sum.addresses, top, sum.top_hits);
}

/* A refusal was counted: its interval ends with a summary. */
static void http_auth_interval(struct http_server *s)
{
	if (!s->auth_log_timer)
		s->auth_log_timer = loop_timer_add(s->loop, s->lim.auth_fail_window_ms,
						   http_auth_log_summary, s);
}

/* A failed authorization: counted for the address, logged once per interval. */
static void http_auth_failed(struct http_server *s, struct MHD_Connection *c,
			     const struct in6_addr *addr, const char *why)
{
	bool first = http_throttle_fail(s->auth_fails, addr, clock_mono_ms());
	http_auth_interval(s);
	if (!first)
		return;
	char peer[96];
	http_peer_name(c, peer, sizeof(peer));
	log_warnx("http", NULL, "write refused from %s: %s (further refusals are summed up "
		  "every %llds)", peer, why, (long long)(s->lim.auth_fail_window_ms / 1000));
}

static void http_actor_set(struct authz_actor *a, const char *name, enum authz_role role,
			   struct MHD_Connection *c)
{
	*a = (struct authz_actor){.role = role};
	snprintf(a->name, sizeof(a->name), "%s", name);
	http_peer_name(c, a->source, sizeof(a->source));
}

/* The actor of a bearer token: the token file's is a noc-operator (compatibility, see
 * docs/ACCOUNTS.md), else an account's API token.  False when neither. */
static bool http_token_actor(struct http_server *s, struct MHD_Connection *c, const char *token,
			     struct authz_actor *a)
{
	if (s->token && http_token_equal(s->token, token)) {
		http_actor_set(a, "http-token", AUTHZ_ROLE_NOC_OPERATOR, c);
		return true;
	}
	char src[96];
	http_peer_name(c, src, sizeof(src));
	return s->env.token_actor && s->env.auth &&
	       s->env.token_actor(s->env.auth, token, src, a) == 0;
}

/* The bearer token of the request, or NULL. */
static const char *http_bearer(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	return h && strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
}

/* The web session cookie of the request, or NULL. */
static const char *http_session_id(struct MHD_Connection *c)
{
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, HTTP_SESSION_COOKIE);
}

/* The actor of the request's web session; csrf: the write's X-CSRF-Token (NULL for a
 * read).  0, or the negative errno of api_env.session_actor. */
static int http_session_actor(struct http_server *s, struct MHD_Connection *c, const char *csrf,
			      struct authz_actor *a)
{
	const char *sid = http_session_id(c);
	if (!sid || !s->env.session_actor || !s->env.auth)
		return -ENOENT;
	char src[96];
	http_peer_name(c, src, sizeof(src));
	return s->env.session_actor(s->env.auth, sid, csrf, src, clock_wall_ms(), a);
}

/* Do anonymous readers read now (http.anonymous; auto follows the account store)?  A
 * change is logged once, so the log says when the open wall closed. */
bool http_server_anonymous_reads(struct http_server *s)
{
	bool any = s->env.any_account && s->env.auth && s->env.any_account(s->env.auth);
	bool reads = authz_anonymous_reads((enum authz_anonymous)s->lim.anonymous, any);
	if (s->anonymous_logged != (int)reads) {
		s->anonymous_logged = (int)reads;
		log_info("http", NULL, "anonymous readers (no token, no session) %s (http.anonymous: "
			 "%s%s)", reads ? "see the wall and read the API, every tenant's, read-only"
					: "are refused: 401, the pages send them to /login",
			 authz_anonymous_names[s->lim.anonymous],
			 s->lim.anonymous != AUTHZ_ANON_AUTO ? ""
			 : any ? ": accounts exist" : ": no account yet");
	}
	return reads;
}

/* A read's actor: its token's, else its web session's, else the anonymous reader
 * (http.anonymous: an unscoped wall, or refused; docs/ACCOUNTS.md).  A session that has
 * ended never reads as anonymous: a kiosk's screen must not widen to every tenant. */
static void http_read_actor(struct http_server *s, struct http_conn *hc)
{
	const char *t = http_bearer(hc->c);
	if (t && http_token_actor(s, hc->c, t, &hc->actor))
		return;
	char peer[96];
	http_peer_name(hc->c, peer, sizeof(peer));
	if (!t && http_session_id(hc->c)) {
		if (http_session_actor(s, hc->c, NULL, &hc->actor) == 0)
			return;
		hc->session_ended = true;
		authz_anonymous_actor(&hc->actor, false, peer);
		return;
	}
	authz_anonymous_actor(&hc->actor, http_server_anonymous_reads(s), peer);
}

/* Is the address held back after too many failed authorizations?  Answers 429 then. */
static bool http_throttled(struct http_server *s, struct MHD_Connection *c,
			   const struct in6_addr *addr)
{
	int wait_s = http_throttle_wait_s(s->auth_fails, addr, clock_mono_ms());
	if (wait_s <= 0)
		return false;
	http_auth_interval(s);
	http_reply_refuse(c, 429, wait_s, "too many failed authorizations from your address; "
			  "retry in %d s", wait_s);
	return true;
}

bool http_auth_write(struct http_server *s, struct http_conn *hc, bool *answered)
{
	struct MHD_Connection *c = hc->c;
	*answered = true;
	struct in6_addr addr;
	http_peer_addr(c, &addr);
	if (http_throttled(s, c, &addr))
		return false;
	if (!s->token && !s->env.auth) {
		http_reply_refuse(c, 403, 0, "write actions are disabled: no http.token_file in the config");
		return false;
	}
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *t = http_bearer(c);
	if (t && http_token_actor(s, c, t, &hc->actor)) {
		*answered = false;
		return true;
	}
	if (!h && http_session_id(c)) { /* a browser's write: its session and CSRF token */
		const char *csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
		int rc = http_session_actor(s, c, csrf ? csrf : "", &hc->actor);
		if (rc == 0) {
			*answered = false;
			return true;
		}
		http_auth_failed(s, c, &addr, rc == -EPERM ? "CSRF token missing or wrong"
							   : "session expired or unknown");
		http_reply_refuse(c, rc == -EPERM ? 403 : 401, 0, "%s",
				  rc == -EPERM ? "CSRF token missing or wrong (X-CSRF-Token)"
					       : "the session has ended: log in again");
		return false;
	}
	http_auth_failed(s, c, &addr, h ? "wrong token" : "no Authorization header");
	if (!s->token) /* only accounts' tokens write: say so, as before accounts */
		http_reply_refuse(c, 403, 0, "write actions are disabled but for accounts' API "
				  "tokens: no http.token_file in the config");
	else
		http_reply_refuse(c, 401, 0, "%s", h ? "wrong bearer token"
						      : "this action needs Authorization: Bearer <token>");
	return false;
}

/* Set-Cookie of a login (a new id) or a logout ("": cleared): HttpOnly, SameSite=Strict,
 * Secure under TLS; it lasts as long as the browser runs (the server ends it sooner). */
static void http_set_session(struct http_server *s, struct MHD_Response *r, const char *sid)
{
	char v[160];
	snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", HTTP_SESSION_COOKIE,
		 sid, s->cert_pem ? "; Secure" : "", sid[0] ? "" : "; Max-Age=0");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, v);
}

/* The JSON answer of an API request, with the session cookie it sets, if any. */
static enum MHD_Result http_api_reply(struct http_server *s, struct MHD_Connection *c,
				      const struct api_response *resp)
{
	const char *type = resp->content_type ? resp->content_type : "application/json";
	size_t len = resp->body ? strlen(resp->body) : 0;
	if (!resp->session_set)
		return http_reply(c, resp->status, type, resp->body, len, "no-store", NULL);
	struct MHD_Response *r = http_response(c, resp->status, type, resp->body, len, "no-store",
					       NULL);
	if (!r)
		return MHD_NO;
	http_set_session(s, r, resp->session_set);
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The answer of an API request, now or when it came later. */
static enum MHD_Result http_api_answer(struct http_server *s, struct http_conn *hc,
				       const char *url, const char *method,
				       struct api_response *resp)
{
	struct MHD_Connection *c = hc->c;
	char peer[96];
	http_peer_name(c, peer, sizeof(peer));
	if (hc->authorized && resp->status < 300)
		log_info("http", NULL, "%s %s by %s: %d", method, url, peer, resp->status);
	if (hc->login && resp->status == 401) { /* a failed login counts for the address */
		struct in6_addr addr;
		http_peer_addr(c, &addr);
		http_auth_failed(s, c, &addr, "failed login");
	}
	enum MHD_Result rc = http_api_reply(s, c, resp);
	api_response_free(resp);
	return rc;
}

static void http_waiting_unlink(struct http_server *s, struct http_conn *hc)
{
	for (struct http_conn **p = &s->waiting; *p; p = &(*p)->next_waiting) {
		if (*p == hc) {
			*p = hc->next_waiting;
			break;
		}
	}
}

/* The reply came (loop thread): the connection resumes and answers it. */
static void http_later_done(void *arg, struct api_response *resp)
{
	struct http_conn *hc = arg;
	hc->later = NULL;
	hc->later_resp = *resp;
	hc->later_ready = true;
	http_waiting_unlink(hc->s, hc);
	MHD_resume_connection(hc->c);
	http_server_kick(hc->s);
}

/* Suspends the connection until its reply comes (a password hash on a worker). */
static enum MHD_Result http_api_wait(struct http_server *s, struct http_conn *hc,
				     struct api_later *l)
{
	hc->later = l;
	hc->next_waiting = s->waiting;
	s->waiting = hc;
	MHD_suspend_connection(hc->c);
	api_later_wait(l, http_later_done, hc);
	return MHD_YES;
}

static enum MHD_Result http_api(struct http_server *s, struct http_conn *hc, const char *url,
				const char *method, const char *query)
{
	struct MHD_Connection *c = hc->c;
	char peer[96];
	http_peer_name(c, peer, sizeof(peer));
	/* an account's token names its account in the audit log, from this address */
	bool account = hc->actor.role != AUTHZ_ROLE_NONE &&
		       strcmp(hc->actor.name, "http-token") != 0 &&
		       strcmp(hc->actor.name, "anonymous") != 0;
	struct api_request req = {.method = strcmp(method, "HEAD") == 0 ? "GET" : method,
				  .path = url, .query = query, .body = hc->body.s,
				  .body_len = hc->body.len, .peer = account ? hc->actor.name : peer,
				  .peer_origin = account ? hc->actor.source : NULL,
				  .actor = &hc->actor, .session = http_session_id(c),
				  .accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept")};
	struct api_response resp;
	api_handle(&s->env, &req, &resp);
	if (resp.later)
		return http_api_wait(s, hc, resp.later);
	return http_api_answer(s, hc, url, method, &resp);
}

/* ---- request dispatch ---------------------------------------------------------------- */

static bool http_is_write(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* Does the request announce a body (a Content-Length other than 0, or chunks)? */
static bool http_has_body(struct MHD_Connection *c, uint64_t *len)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
	*len = cl ? strtoull(cl, NULL, 10) : 0;
	return te != NULL || *len > 0;
}

/* A login needs no token: the password is its credential.  Failed ones are throttled
 * per address like failed tokens. */
static enum MHD_Result http_on_login(struct http_server *s, struct http_conn *hc, uint64_t len)
{
	struct MHD_Connection *c = hc->c;
	struct in6_addr addr;
	http_peer_addr(c, &addr);
	if (http_throttled(s, c, &addr))
		return MHD_YES; /* answered */
	if (len > (uint64_t)s->lim.max_body)
		return http_reply_refuse(c, 413, 0, "request body over %d bytes", s->lim.max_body);
	char peer[96];
	http_peer_name(c, peer, sizeof(peer));
	authz_anonymous_actor(&hc->actor, false, peer); /* may log in (self), nothing else */
	hc->authorized = hc->login = true;
	return MHD_YES;
}

/* First call, headers only: a write is authorized, and its announced body measured,
 * before a byte of the body is read (600 clients each sending 1 MiB with a wrong token
 * held 631 MB); other requests take no body.  A response queued now makes MHD discard
 * the body and close the connection. */
static enum MHD_Result http_on_headers(struct http_server *s, struct http_conn *hc,
				       const char *url, const char *method)
{
	struct MHD_Connection *c = hc->c;
	uint64_t len;
	bool body = http_has_body(c, &len);
	if (!http_is_write(method)) {
		http_read_actor(s, hc);
		return body ? http_reply_refuse(c, 413, 0, "a %s request takes no body", method)
			    : MHD_YES;
	}
	bool answered;
	if (strcmp(method, "POST") == 0 && strcmp(url, HTTP_LOGIN_PATH) == 0)
		return http_on_login(s, hc, len);
	if (!http_auth_write(s, hc, &answered))
		return answered ? MHD_YES : MHD_NO;
	hc->authorized = true;
	if (len > (uint64_t)s->lim.max_body)
		return http_reply_refuse(c, 413, 0, "request body over %d bytes", s->lim.max_body);
	return MHD_YES;
}

static bool http_body_add(struct http_conn *hc, const char *data, size_t n)
{
	if (hc->too_big || hc->body.len + n > (size_t)hc->s->lim.max_body) {
		hc->too_big = true;
		return false;
	}
	return strbuf_append(&hc->body, data, n) == 0;
}

/* What a page needs: one's own (the login and account pages, the public and secret-URL
 * status pages whose data their own routes authorize, and the scripts and styles of
 * every page, which hold no data) only what every role may do about itself; the wall
 * and device pages a view. */
static enum authz_action http_page_action(const char *url)
{
	if (strcmp(url, "/login") == 0 || strcmp(url, "/account") == 0 ||
	    strncmp(url, "/status/", 8) == 0 || strncmp(url, "/assets/", 8) == 0)
		return AUTHZ_ACT_SELF;
	return AUTHZ_ACT_VIEW;
}

/* The answer to a reader who must log in (authz_check said AUTHZ_LOGIN): a page goes to
 * /login (?expired when its session ended, whose cookie is then cleared), the API, the
 * event stream and graphs answer 401. */
static enum MHD_Result http_refuse_login(struct http_server *s, struct http_conn *hc, bool page)
{
	struct MHD_Connection *c = hc->c;
	if (!page)
		return http_reply_error(c, 401, "%s", hc->session_ended
				? "the session has ended: log in again"
				: "not logged in: log in (POST /api/v1/login) or send Authorization: "
				  "Bearer <token> (anonymous reads are refused: http.anonymous)");
	static const char body[] = "log in first: /login\n";
	struct MHD_Response *r = http_response(c, 303, "text/plain; charset=utf-8", body,
					       sizeof(body) - 1, "no-store", NULL);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION,
				hc->session_ended ? "/login?expired" : "/login");
	if (hc->session_ended)
		http_set_session(s, r, "");
	enum MHD_Result rc = MHD_queue_response(c, 303, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result http_dispatch(struct http_server *s, struct http_conn *hc,
				     const char *url, const char *method)
{
	struct MHD_Connection *c = hc->c;
	const char *q = hc->uri ? strchr(hc->uri, '?') : NULL;
	const char *query = q ? q + 1 : NULL;
	bool get = !http_is_write(method);
	if (hc->too_big)
		return http_reply_refuse(c, 413, 0, "request body over %d bytes", s->lim.max_body);
	if (strcmp(url, "/api/v1/events") == 0 || strcmp(url, "/api/v1/graph") == 0) {
		if (!get)
			return http_reply_error(c, 405, "method %s not allowed on %s", method, url);
		/* the stream's opening is authorized here; what it is sent, by its scope
		 * (authz_device_scopes) in the hub; a graph's device in http_graph_start */
		enum authz_result ar = authz_check(&hc->actor, AUTHZ_ACT_VIEW, NULL);
		if (ar == AUTHZ_LOGIN)
			return http_refuse_login(s, hc, false);
		if (ar != AUTHZ_ALLOW)
			return http_reply_error(c, 403, "%s may not view %s", hc->actor.name, url);
		if (strcmp(url, "/api/v1/graph") == 0)
			return http_graph_start(s, hc, query);
		if (query && *query)
			return http_reply_error(c, 400, "unknown query parameter (allowed: none)");
		return http_sse_open(s->sse, c, &hc->actor);
	}
	if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/metrics") == 0)
		return http_api(s, hc, url, method, query); /* its routes are authorized there */
	if (!get)
		return http_reply_error(c, 405, "method %s not allowed on %s", method, url);
	enum authz_result ar = authz_check(&hc->actor, http_page_action(url), NULL);
	if (ar == AUTHZ_LOGIN)
		return http_refuse_login(s, hc, true);
	if (ar != AUTHZ_ALLOW)
		return http_reply_error(c, 403, "%s may not view pages", hc->actor.name);
	return http_static(s, hc, url, query);
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
		return http_on_headers(s, hc, url, method);
	}
	if (*upload_size) {
		http_body_add(hc, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (hc->job == HTTP_JOB_DONE)
		return http_graph_reply(hc);
	if (hc->later_ready) {
		hc->later_ready = false;
		return http_api_answer(s, hc, url, method, &hc->later_resp);
	}
	if (hc->later)
		return MHD_YES; /* resumed at shutdown: closed unanswered */
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
	if (hc->later) {
		api_later_cancel(hc->later);
		http_waiting_unlink(hc->s, hc);
	}
	if (hc->later_ready)
		api_response_free(&hc->later_resp);
	if (hc->job == HTTP_JOB_QUEUED || hc->job == HTTP_JOB_RUNNING) {
		/* the FIFO or a worker still holds the job: freed by the server */
		hc->c = NULL;
		return;
	}
	http_graph_job_free(hc->gj);
	free(hc->uri);
	strbuf_free(&hc->body);
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
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)((cfg->idle_timeout_ms + 999) / 1000),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_address,
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

/* Keeps the section's limits (not its strings: they belong to the config). */
static void http_limits_set(struct http_server *s, const struct cfg_http *cfg)
{
	s->lim = *cfg;
	s->lim.listen = s->lim.tls_cert = s->lim.tls_key = s->lim.token_file = NULL;
	if (s->auth_fails)
		http_throttle_set(s->auth_fails, cfg->auth_fail_limit, cfg->auth_fail_window_ms);
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
	http_limits_set(s, o->cfg);
	s->anonymous_logged = -1;
	s->auth_fails = http_throttle_new(s->lim.auth_fail_limit, s->lim.auth_fail_window_ms);
	if (!s->data_dir || !s->auth_fails || !(s->sse = http_sse_new(s, o->bus))) {
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
	http_server_anonymous_reads(s); /* says at start whether the wall is open to anyone */
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
		for (struct http_conn *hc = s->waiting; hc; hc = hc->next_waiting)
			MHD_resume_connection(hc->c);
		MHD_run(s->mhd);
	}
	if (s->epfd >= 0)
		loop_io_del(s->loop, s->epfd);
	loop_timer_cancel(s->loop, s->timer);
	loop_timer_cancel(s->loop, s->auth_log_timer);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	/* graph jobs whose completion never came (the worker pool is gone by now) */
	while (s->pending) {
		struct http_conn *hc = s->pending;
		s->pending = hc->next_pending;
		if (hc->c == NULL) {
			http_graph_job_free(hc->gj);
			free(hc->uri);
			strbuf_free(&hc->body);
			free(hc);
		}
	}
	http_sse_free(s->sse);
	http_throttle_free(s->auth_fails);
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
	struct cfg_http at_start = *now; /* what MHD was started with, by the key table */
	at_start.token_file = was->token_file;
	at_start.max_streams = was->max_streams;
	at_start.max_streams_per_address = was->max_streams_per_address;
	at_start.stream_idle_timeout_ms = was->stream_idle_timeout_ms;
	at_start.stream_queue_max = was->stream_queue_max;
	at_start.max_body = was->max_body;
	at_start.auth_fail_limit = was->auth_fail_limit;
	at_start.auth_fail_window_ms = was->auth_fail_window_ms;
	at_start.anonymous = was->anonymous;
	if (!cfg_fields_same(http_cfg_keys, was, &at_start))
		log_msg(LOG_LVL_WARN, "http", NULL,
			"http: new listen, port, TLS files, max_connections, "
			"max_connections_per_address or idle_timeout take effect at the next start");
	http_limits_set(s, now);
	http_server_anonymous_reads(s); /* logs a new policy */
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

