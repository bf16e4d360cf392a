/* http: HTTP(S) URL checks of a device (`checks: http:`, dcmon/http_check.h).
 *
 * Metrics, one set per check (instance label "check", the instance is its name):
 *
 * | name                  | kind  | unit    | meaning                                    |
 * |-----------------------|-------|---------|--------------------------------------------|
 * | http_state            | state |         | 1 "ok": answered, expected status, body    |
 * |                       |       |         | matched; 0 "failed" (the cause is the note,|
 * |                       |       |         | the log line and the poll's reason)        |
 * | http_status_code      | state |         | the response's status (200, 500, ...)      |
 * | http_response_seconds | gauge | seconds | request start to the last byte read        |
 * | http_body_match       | state |         | (with body/body_regex) 1 "match", 0 "mismatch" |
 * | http_cert_expiry_days | gauge | days    | (https) days until the server certificate's |
 * |                       |       |         | notAfter; negative once expired            |
 *
 * libcurl's multi interface runs on our loop, one multi handle per device instance:
 * its sockets are loop watchers (CURLMOPT_SOCKETFUNCTION), its timeouts one loop timer
 * (CURLMOPT_TIMERFUNCTION), and curl_multi_socket_action is called from those; no
 * thread waits for a server.  Each check is one easy handle, set up at create time and
 * added to the multi handle for each poll, on a fresh connection (so every poll sees
 * the certificate and the connect cost).  A body is read up to body_max bytes; the
 * transfer is stopped there and what was read is judged.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcmon/http_check.h"
#include "dcmon/log.h"
#include "dcmon/netaddr.h"
#include "pollers.h"
#include "pollutil.h"

enum http_result { HR_UNKNOWN = -1, HR_FAILED = 0, HR_OK = 1 };

static const struct metric_enum http_states[2] = {
	{.value = 0, .name = "failed"},
	{.value = 1, .name = "ok"},
};
static const struct metric_enum http_matches[2] = {
	{.value = 0, .name = "mismatch"},
	{.value = 1, .name = "match"},
};

struct http_inst;

struct http_check {
	struct http_inst *in;
	char *name;                  /* metric instance */
	CURL *easy;
	struct curl_slist *connect_to; /* with `host:`: the URL's host:port -> the real one */
	struct curl_slist *resolve;  /* with `address:`: the URL's host:port pinned to it */
	char *url;                   /* the URL requested (host replaced with `host:`) */
	int64_t timeout_ms;
	bool https;
	long *status_lo, *status_hi; /* expected status ranges; none = 200..399 */
	size_t nstatus;
	char *body;                  /* substring to find, or NULL */
	regex_t re;                  /* body_regex, when has_re */
	bool has_re;
	size_t body_max;             /* bytes read at most */
	char *buf;                   /* body kept for matching (body_max + 1), or NULL */
	struct metric *m_state, *m_status, *m_time, *m_match, *m_cert; /* match/cert may be NULL */
	const struct cfg_http_check *cfg; /* allow, deny: the configuration in force outlives
					   * the instance (a reload makes every one anew) */

	/* the poll in flight */
	bool running;
	size_t body_len;             /* bytes of body read */
	bool cut;                    /* the body reached body_max: transfer stopped */
	char errbuf[CURL_ERROR_SIZE];
	char why[METRIC_REASON_MAX]; /* cause of a failure; "" when ok */
	char refused[METRIC_REASON_MAX]; /* an address allow/deny refused in this poll, or "" */
	bool answered;               /* a response (status line) arrived */
	enum http_result last;       /* state of the previous poll, for the change log */
};

struct http_inst {
	struct loop *loop;
	struct metric_reg *reg;
	char *dev;
	CURLM *multi;
	struct loop_timer *timer;    /* libcurl's timeout, NULL when none */
	struct http_check *checks;
	size_t n;
	struct poll_job *job;        /* NULL when idle */
	size_t nrunning;
	bool starting;               /* inside start(): defer the end of the poll */
};

static bool http_wants(const struct cfg_device *dev)
{
	size_t n;
	http_checks_of(dev, &n);
	return n > 0;
}

/* ---- libcurl on the loop ------------------------------------------------------- */

static void http_poll_end(struct http_inst *in);
static void http_check_finish(struct http_check *c, CURLcode res);

/* Takes every finished transfer from the multi handle and ends its check. */
static void http_collect(struct http_inst *in)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(in->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;
		struct http_check *c = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
		curl_multi_remove_handle(in->multi, easy); /* msg is invalid from here */
		http_check_finish(c, res);
	}
}

static void http_on_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct http_inst *in = arg;
	int flags = (events & LOOP_READ ? CURL_CSELECT_IN : 0) |
		    (events & LOOP_WRITE ? CURL_CSELECT_OUT : 0) |
		    (events & LOOP_ERROR ? CURL_CSELECT_ERR : 0);
	int running;
	curl_multi_socket_action(in->multi, fd, flags, &running);
	http_collect(in);
}

static void http_on_timer(struct loop *loop, void *arg)
{
	struct http_inst *in = arg;
	int running;
	in->timer = NULL; /* libcurl may set the next one from inside the call */
	curl_multi_socket_action(in->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_collect(in);
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget one of libcurl's sockets.  A
 * socket we watch carries the instance as its socketp. */
static int http_on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_inst *in = userp;
	unsigned ev = (what & CURL_POLL_IN ? LOOP_READ : 0) | (what & CURL_POLL_OUT ? LOOP_WRITE : 0);
	if (what == CURL_POLL_REMOVE) {
		loop_io_del(in->loop, s);
		return 0;
	}
	if (socketp != NULL)
		return loop_io_mod(in->loop, s, ev) < 0 ? -1 : 0;
	if (loop_io_add(in->loop, s, ev, http_on_io, in) < 0)
		return -1;
	curl_multi_assign(in->multi, s, in);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants socket_action(TIMEOUT) in timeout_ms (-1:
 * never).  The call comes back through the loop, never from inside this callback. */
static int http_on_timeout_change(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_inst *in = userp;
	loop_timer_cancel(in->loop, in->timer);
	in->timer = NULL;
	if (timeout_ms < 0)
		return 0;
	in->timer = loop_timer_add(in->loop, timeout_ms, http_on_timer, in);
	return in->timer ? 0 : -1;
}

/* CURLOPT_WRITEFUNCTION: keeps the body (when it is matched) up to body_max bytes;
 * past that the transfer is stopped (a short return) and marked cut. */
static size_t http_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_check *c = arg;
	size_t len = size * nmemb, room = c->body_max - c->body_len;
	size_t take = len < room ? len : room;
	if (c->buf != NULL)
		memcpy(c->buf + c->body_len, data, take);
	c->body_len += take;
	c->cut = take < len || c->body_len == c->body_max;
	return c->cut ? 0 : len;
}

/* ---- create / free ------------------------------------------------------------- */

static void http_check_clear(struct http_check *c)
{
	if (c->easy != NULL) {
		if (c->running)
			curl_multi_remove_handle(c->in->multi, c->easy);
		curl_easy_cleanup(c->easy);
	}
	curl_slist_free_all(c->connect_to);
	curl_slist_free_all(c->resolve);
	if (c->has_re)
		regfree(&c->re);
	free(c->name);
	free(c->url);
	free(c->status_lo);
	free(c->status_hi);
	free(c->body);
	free(c->buf);
}

static void http_free(void *arg)
{
	struct http_inst *in = arg;
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->n; i++)
		http_check_clear(&in->checks[i]);
	if (in->multi != NULL)
		curl_multi_cleanup(in->multi);
	loop_timer_cancel(in->loop, in->timer);
	free(in->checks);
	free(in->dev);
	free(in);
}

static struct metric *http_metric(const struct poller_env *env, const struct cfg_device *dev,
				  const char *inst, const char *name, const char *unit,
				  const struct metric_enum *enums)
{
	bool gauge = unit[0] != '\0';
	struct metric_desc d = {
		.name = name, .unit = unit, .kind = gauge ? METRIC_GAUGE : METRIC_STATE,
		.inst_label = "check", .inst = inst, .interval_ms = dev->interval_ms,
		.enums = enums, .nenums = enums ? 2 : 0,
	};
	return pollutil_metric(env, dev->id, &d);
}

/* The expected statuses as ranges ("2xx" = 200..299). */
static bool http_status_init(struct http_check *c, const struct cfg_http_check *h)
{
	c->nstatus = h->nstatus ? h->nstatus : 1;
	c->status_lo = calloc(c->nstatus, sizeof(long));
	c->status_hi = calloc(c->nstatus, sizeof(long));
	if (c->status_lo == NULL || c->status_hi == NULL)
		return false;
	if (h->nstatus == 0) {
		c->status_lo[0] = 200;
		c->status_hi[0] = 399;
	}
	for (size_t i = 0; i < h->nstatus; i++) {
		const char *p = h->status[i];
		c->status_lo[i] = p[1] == 'x' ? (p[0] - '0') * 100 : strtol(p, NULL, 10);
		c->status_hi[i] = p[1] == 'x' ? c->status_lo[i] + 99 : c->status_lo[i];
	}
	return true;
}

/* The entry "host:port:address" pinning the URL's host to `address:` (CURLOPT_RESOLVE:
 * libcurl connects there and never asks the resolver), or NULL without one. */
static bool http_pin_init(struct http_check *c, const struct cfg_http_check *h)
{
	char host[256], entry[512];
	int port;
	if (h->address == NULL)
		return true;
	if (http_check_target(h, host, sizeof(host), &port) < 0)
		return false;
	snprintf(entry, sizeof(entry), strchr(h->address, ':') ? "%s:%d:[%s]" : "%s:%d:%s", host,
		 port, h->address);
	return (c->resolve = curl_slist_append(NULL, entry)) != NULL;
}

/* With `host:`, the URL names that host (Host header, SNI, the name verified) and
 * CURLOPT_CONNECT_TO sends the connection to the URL's own host and port. */
static bool http_target_init(struct http_check *c, const struct cfg_http_check *h)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *url = NULL;
	char entry[512];
	bool ok = false;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, h->url, 0) != CURLUE_OK ||
	    !http_pin_init(c, h))
		goto out;
	c->https = curl_url_get(u, CURLUPART_SCHEME, &url, 0) == CURLUE_OK &&
		   strcmp(url, "https") == 0;
	curl_free(url);
	url = NULL;
	if (h->host == NULL) {
		ok = (c->url = strdup(h->url)) != NULL;
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_HOST, h->host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		goto out;
	snprintf(entry, sizeof(entry), "%s:%s:%s:%s", h->host, port, host, port);
	c->connect_to = curl_slist_append(NULL, entry);
	c->url = strdup(url);
	ok = c->connect_to != NULL && c->url != NULL;
out:
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	return ok;
}

/* With allow or deny: refuses a connection to an address outside allow or inside deny
 * (CURLOPT_OPENSOCKETFUNCTION: libcurl asks it for every address the name resolved to,
 * after resolving it off the loop); the refusal becomes the point's error. */
static curl_socket_t http_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct http_check *c = arg;
	const struct cfg_http_check *h = c->cfg;
	char ip[INET6_ADDRSTRLEN] = "?";
	struct net_addr a;
	bool ok = purpose == CURLSOCKTYPE_IPCXN && net_addr_of_sockaddr(&sa->addr, &a);
	if (ok && net_admits(h->allow, h->nallow, h->deny, h->ndeny, &a))
		return socket(sa->family, sa->socktype, sa->protocol);
	if (ok)
		net_addr_format(&a, ip, sizeof(ip));
	char host[256];
	int port;
	if (http_check_target(h, host, sizeof(host), &port) < 0)
		snprintf(host, sizeof(host), "the URL's host");
	snprintf(c->refused, sizeof(c->refused), "%.30s resolves to %s: " NET_REFUSED_BY_ALLOW_DENY,
		 host, ip);
	return CURL_SOCKET_BAD;
}

/* The options of a check's easy handle that stay the same from poll to poll. */
static bool http_easy_init(struct http_check *c, const struct cfg_http_check *h)
{
	CURL *e = c->easy = curl_easy_init();
	if (e == NULL)
		return false;
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
	curl_easy_setopt(e, CURLOPT_RESOLVE, c->resolve);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from dcmond's environment */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dcmond/" DCMON_VERSION);
	curl_easy_setopt(e, CURLOPT_NOBODY, h->method == HTTP_HEAD ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->tls_verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->tls_verify ? 2L : 0L);
	if (h->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
	if (c->https)
		curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
	if (h->nallow || h->ndeny) {
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
		/* each poll asks the resolver: a name re-pointed is judged at the next poll */
		curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	}
	return true;
}

static bool http_check_setup(struct http_check *c, const struct poller_env *env,
			    const struct cfg_device *dev, const struct cfg_http_check *h)
{
	c->last = HR_UNKNOWN;
	c->cfg = h;
	c->timeout_ms = h->timeout_ms > 0 ? h->timeout_ms : dev->timeout_ms;
	c->body_max = (size_t)h->body_max;
	if ((c->name = strdup(h->name)) == NULL || !http_status_init(c, h) ||
	    !http_target_init(c, h) || !http_easy_init(c, h))
		return false;
	if (h->body != NULL && (c->body = strdup(h->body)) == NULL)
		return false;
	if (h->body_regex != NULL)
		c->has_re = regcomp(&c->re, h->body_regex, REG_EXTENDED | REG_NOSUB) == 0;
	if ((h->body || h->body_regex) && (c->buf = malloc(c->body_max + 1)) == NULL)
		return false;
	c->m_state = http_metric(env, dev, c->name, "http_state", "", http_states);
	c->m_status = http_metric(env, dev, c->name, "http_status_code", "", NULL);
	c->m_time = http_metric(env, dev, c->name, "http_response_seconds", "seconds", NULL);
	if (c->buf != NULL)
		c->m_match = http_metric(env, dev, c->name, "http_body_match", "", http_matches);
	if (c->https)
		c->m_cert = http_metric(env, dev, c->name, "http_cert_expiry_days", "days", NULL);
	if (c->m_state && c->m_state->value_ts_ms > 0) /* kept over a reload: no new log line */
		c->last = c->m_state->value == HR_OK ? HR_OK : HR_FAILED;
	return c->m_state && c->m_status && c->m_time && (!c->buf || c->m_match) &&
	       (!c->https || c->m_cert);
}

static void http_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void *http_create(const struct poller_env *env, const struct cfg_device *dev, char *err,
			 size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct http_inst *in = calloc(1, sizeof(*in));
	size_t ncfg;
	const struct cfg_http_check *cfg = http_checks_of(dev, &ncfg);

	pthread_once(&once, http_global_init);
	if (in == NULL || (in->checks = calloc(ncfg, sizeof(*in->checks))) == NULL ||
	    (in->dev = strdup(dev->id)) == NULL || (in->multi = curl_multi_init()) == NULL)
		goto fail;
	in->loop = env->loop;
	in->reg = env->reg;
	curl_multi_setopt(in->multi, CURLMOPT_SOCKETFUNCTION, http_on_socket);
	curl_multi_setopt(in->multi, CURLMOPT_SOCKETDATA, in);
	curl_multi_setopt(in->multi, CURLMOPT_TIMERFUNCTION, http_on_timeout_change);
	curl_multi_setopt(in->multi, CURLMOPT_TIMERDATA, in);
	for (; in->n < ncfg; in->n++) {
		in->checks[in->n].in = in;
		if (!http_check_setup(&in->checks[in->n], env, dev, &cfg[in->n])) {
			in->n++;
			goto fail;
		}
	}
	return in;
fail:
	snprintf(err, errlen, "http: cannot set up checks (memory or metric names)");
	http_free(in);
	return NULL;
}

/* ---- one check ----------------------------------------------------------------- */

/* Days from now (wall clock, ms) to the leaf certificate's notAfter, or NAN when
 * libcurl gave no certificate. */
static double http_cert_days(CURL *easy, int64_t now_ms)
{
	struct curl_certinfo *ci = NULL;
	static const char key[] = "Expire date:";
	if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
	    ci->num_of_certs < 1)
		return NAN;
	for (const struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
		if (strncmp(s->data, key, sizeof(key) - 1) != 0)
			continue;
		time_t t = curl_getdate(s->data + sizeof(key) - 1, NULL);
		return t < 0 ? NAN : ((double)t * 1000.0 - (double)now_ms) / 86400000.0;
	}
	return NAN;
}

/* A failed transfer's short cause: "timeout", the connect errno, or libcurl's text. */
static void http_failure_cause(struct http_check *c, CURLcode res)
{
	long oserr = 0;
	if (res == CURLE_OPERATION_TIMEDOUT) {
		snprintf(c->why, sizeof(c->why), "timeout");
		return;
	}
	curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &oserr);
	if (res == CURLE_COULDNT_CONNECT && c->refused[0])
		snprintf(c->why, sizeof(c->why), "%s", c->refused);
	else if (res == CURLE_COULDNT_CONNECT && oserr > 0)
		snprintf(c->why, sizeof(c->why), "%s", pollutil_errname((int)oserr));
	else
		snprintf(c->why, sizeof(c->why), "%.*s", (int)sizeof(c->why) - 1,
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(res));
}

static bool http_body_matches(struct http_check *c)
{
	c->buf[c->body_len] = '\0';
	if (c->body != NULL)
		return memmem(c->buf, c->body_len, c->body, strlen(c->body)) != NULL;
	return c->has_re && regexec(&c->re, c->buf, 0, NULL, 0) == 0;
}

static bool http_status_ok(const struct http_check *c, long status)
{
	for (size_t i = 0; i < c->nstatus; i++)
		if (status >= c->status_lo[i] && status <= c->status_hi[i])
			return true;
	return false;
}

/* Reports an answered request; the state's cause goes to c->why. */
static void http_report_answer(struct http_check *c, int64_t ts)
{
	struct metric_reg *reg = c->in->reg;
	long status = 0;
	double total = 0;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME, &total);
	metric_put(reg, c->m_status, ts, (double)status);
	metric_put(reg, c->m_time, ts, total);
	if (!http_status_ok(c, status))
		snprintf(c->why, sizeof(c->why), "status %ld", status);
	if (c->m_match != NULL) {
		bool match = http_body_matches(c);
		metric_put(reg, c->m_match, ts, match);
		if (!match && c->why[0] == '\0')
			snprintf(c->why, sizeof(c->why), "body mismatch%s", c->cut ? " (cut)" : "");
	}
	if (c->m_cert != NULL) {
		double days = http_cert_days(c->easy, ts);
		if (!isnan(days))
			metric_put(reg, c->m_cert, ts, days);
		else
			metric_put_error(reg, c->m_cert, ts, "no certificate");
	}
}

static void http_report_failure(struct http_check *c, int64_t ts)
{
	struct metric_reg *reg = c->in->reg;
	metric_put_error(reg, c->m_status, ts, c->why);
	metric_put_error(reg, c->m_time, ts, c->why);
	if (c->m_match != NULL)
		metric_put_error(reg, c->m_match, ts, c->why);
	if (c->m_cert != NULL)
		metric_put_error(reg, c->m_cert, ts, c->why);
}

/* Puts the state and logs a change (`ok -> failed: status 500`). */
static void http_report_state(struct http_check *c, int64_t ts)
{
	enum http_result now = c->why[0] ? HR_FAILED : HR_OK;
	metric_set_note(c->m_state, c->why);
	metric_put(c->in->reg, c->m_state, ts, now);
	if (now == c->last)
		return;
	if (now == HR_FAILED)
		log_warnx("http", c->in->dev, "%s: %s -> failed: %s", c->name,
			  c->last == HR_OK ? "ok" : "unknown", c->why);
	else
		log_info("http", c->in->dev, "%s: %s -> ok", c->name,
			 c->last == HR_FAILED ? "failed" : "unknown");
	c->last = now;
}

static void http_check_finish(struct http_check *c, CURLcode res)
{
	struct http_inst *in = c->in;
	int64_t ts = in->job->ts_ms;
	c->running = false;
	c->answered = res == CURLE_OK || (res == CURLE_WRITE_ERROR && c->cut);
	c->why[0] = '\0';
	if (c->answered) {
		http_report_answer(c, ts);
	} else {
		http_failure_cause(c, res);
		http_report_failure(c, ts);
	}
	http_report_state(c, ts);
	if (--in->nrunning == 0 && !in->starting)
		http_poll_end(in);
}

static void http_check_start(struct http_check *c, struct poll_job *job)
{
	struct http_inst *in = c->in;
	int64_t left = job->deadline_ms - loop_now_ms(in->loop);
	int64_t timeout = c->timeout_ms < left ? c->timeout_ms : left;

	c->body_len = 0;
	c->cut = false;
	c->errbuf[0] = '\0';
	c->refused[0] = '\0';
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)(timeout > 0 ? timeout : 1));
	c->running = true;
	CURLMcode mc = curl_multi_add_handle(in->multi, c->easy);
	if (mc != CURLM_OK) {
		c->running = false;
		snprintf(c->errbuf, sizeof(c->errbuf), "%s", curl_multi_strerror(mc));
		http_check_finish(c, CURLE_FAILED_INIT);
	}
}

/* ---- the poll ------------------------------------------------------------------ */

static void http_poll_end(struct http_inst *in)
{
	struct poll_job *job = in->job;
	size_t answered = 0;
	const struct http_check *first_bad = NULL;
	char what[METRIC_INST_MAX], why[METRIC_REASON_MAX];

	for (size_t i = 0; i < in->n; i++) {
		const struct http_check *c = &in->checks[i];
		answered += c->answered;
		if (c->why[0] && first_bad == NULL)
			first_bad = c;
	}
	in->job = NULL;
	if (first_bad == NULL) {
		poll_job_done(job, POLL_OK, NULL);
		return;
	}
	snprintf(what, sizeof(what), "%s", first_bad->name);
	pollutil_reason(why, sizeof(why), what, first_bad->why);
	poll_job_done(job, answered == 0 ? POLL_UNREACHABLE : POLL_PARTIAL, why);
}

static void http_start(void *arg, struct poll_job *job)
{
	struct http_inst *in = arg;
	int running;

	in->job = job;
	in->nrunning = in->n;
	in->starting = true;
	for (size_t i = 0; i < in->n; i++)
		http_check_start(&in->checks[i], job);
	in->starting = false;
	if (in->nrunning == 0) {
		http_poll_end(in);
		return;
	}
	/* Kick the transfers off now; libcurl also asks for a 0 ms timer. */
	curl_multi_socket_action(in->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_collect(in);
}

static void http_cancel(void *arg)
{
	struct http_inst *in = arg;

	if (in->job == NULL)
		return;
	for (size_t i = 0; i < in->n; i++) {
		struct http_check *c = &in->checks[i];
		if (c->running)
			curl_multi_remove_handle(in->multi, c->easy);
		c->running = false;
	}
	in->job = NULL;
}

const struct poller_ops http_poller = {
	.name = "http",
	.wants = http_wants,
	.create = http_create,
	.start = http_start,
	.cancel = http_cancel,
	.free = http_free,
	.check_keys = http_checks_keys,
};
