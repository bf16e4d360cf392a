/* Private header of the dashboard's HTTP server (dashboard/http*.c).  Everything here
 * runs on the loop thread, except the graph work function (a worker). */
#ifndef DCMON_HTTP_INT_H
#define DCMON_HTTP_INT_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/api.h"
#include "dcmon/http.h"
#include "dcmon/strbuf.h"

#define HTTP_GZIP_MIN 1024          /* bodies smaller than this are sent as they are */

/* ---- static assets (the C file generated from dashboard/web/ by cmake/embed_web.cmake) */

struct http_asset {
	const char *name;          /* "wall.js" (served as /assets/wall.js) */
	const char *type;          /* Content-Type */
	const unsigned char *data;
	size_t len;                /* bytes */
	const char *hash;          /* 16 hex digits of the SHA-256 of data: ETag and ?v= */
};
extern const struct http_asset http_assets[];
extern const size_t http_nassets;

/* The asset named name, or NULL. */
const struct http_asset *http_asset_find(const char *name);

/* ---- one connection --------------------------------------------------------------- */

enum http_job { HTTP_JOB_NONE, HTTP_JOB_QUEUED, HTTP_JOB_RUNNING, HTTP_JOB_DONE };

#define HTTP_SESSION_COOKIE "dcmon_session" /* the web session's id (accounts/) */
#define HTTP_LOGIN_PATH     "/api/v1/login"

struct http_conn {
	struct http_server *s;
	char *uri;                 /* raw request target, for the raw query string */
	struct strbuf body;        /* request body; body.s NULL if none */
	bool too_big;              /* body over the server's max_body: answered 413 */
	bool authorized;           /* a write whose token was checked (before its body) */
	struct authz_actor actor;  /* who asks (dcmon/authz.h), set with the headers */
	bool login;                /* POST /api/v1/login: no token, a password */
	bool session_ended;        /* it sent a session cookie no longer valid */
	enum http_job job;         /* graph rendering on the worker pool */
	struct http_graph_job *gj; /* owned while job != NONE */
	struct MHD_Connection *c;
	struct http_conn *next_pending; /* server's list of connections with a job */
	/* an API reply that comes later (api_later_wait): the connection is suspended */
	struct api_later *later;
	bool later_ready;                /* it came: later_resp is the answer */
	struct api_response later_resp;
	struct http_conn *next_waiting;  /* server's list of connections waiting so */
};

/* ---- the server --------------------------------------------------------------------- */

struct http_sse;

struct http_server {
	struct loop *loop;
	struct workq *wq;
	struct archive *arc;
	char *data_dir;
	char *rrdcached;           /* NULL = direct file access */
	struct api_env env;
	struct MHD_Daemon *mhd;
	int epfd;                  /* MHD's epoll fd, watched by our loop */
	int port;
	struct loop_timer *timer;  /* MHD's next timeout */
	char *token;               /* bearer token of write actions; NULL = writes refused */
	struct cfg_http lim;       /* the limits in force (its strings are not kept) */
	int anonymous_logged;      /* the anonymous readers' policy last logged: -1, 0, 1 */
	struct http_throttle *auth_fails;
	struct loop_timer *auth_log_timer; /* summary of the failures of the interval */
	char *cert_pem, *key_pem;  /* TLS; NULL = plain HTTP */
	struct http_sse *sse;
	struct http_conn *pending; /* connections waiting for a graph (FIFO) */
	struct http_conn *waiting; /* connections waiting for an API reply (api_later) */
	bool graph_busy;           /* a graph is rendering on a worker */
	bool in_run;               /* inside MHD_run */
	bool kicked;               /* a connection was resumed: run MHD again at once */
};

/* Runs MHD for what is ready and re-arms its timeout.  Call after resuming. */
void http_server_run(struct http_server *s);
/* Makes MHD run at the next loop iteration (after resuming a connection). */
void http_server_kick(struct http_server *s);

/* A response: body (copied), with gzip when the client accepts it and it helps, the
 * given Content-Type and Cache-Control, and the common headers.  etag may be NULL.
 * The caller queues and destroys it; NULL when out of memory. */
struct MHD_Response *http_response(struct MHD_Connection *c, int status, const char *type,
				   const void *body, size_t len, const char *cache,
				   const char *etag);
/* Queues http_response(...). */
enum MHD_Result http_reply(struct MHD_Connection *c, int status, const char *type,
			   const void *body, size_t len, const char *cache, const char *etag);
/* {"error": msg} with status. */
enum MHD_Result http_reply_error(struct MHD_Connection *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* {"error": msg} with status, closing the connection after it so a refused client holds
 * no slot; retry_s > 0 adds Retry-After (seconds). */
enum MHD_Result http_reply_refuse(struct MHD_Connection *c, int status, int retry_s,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* GET of a page or an asset (/, /wall, /login, /portal, /devices/ID, /portal/devices/ID,
 * /assets/NAME) for hc's actor; 404 otherwise, and for a device it may not view. */
enum MHD_Result http_static(struct http_server *s, struct http_conn *hc, const char *url,
			    const char *query);

/* Do anonymous readers read now (http.anonymous, the account store)?  Logs a change. */
bool http_server_anonymous_reads(struct http_server *s);

/* Checks the Authorization of a write; answers 401/403 itself and returns false. */
bool http_auth_write(struct http_server *s, struct http_conn *hc, bool *answered);
/* "http:ADDR:PORT" of the peer into buf. */
void http_peer_name(struct MHD_Connection *c, char *buf, size_t len);
/* The peer's address (IPv4 as v4-mapped); false if unknown. */
bool http_peer_addr(struct MHD_Connection *c, struct in6_addr *out);

/* ---- failed authorizations per address (http_throttle.c) --------------------------- */

/* What the failures of one summary interval came to. */
struct http_throttle_summary {
	unsigned failed;         /* authorizations refused (401/403) */
	unsigned refused;        /* answered 429 without a check */
	unsigned addresses;      /* distinct client addresses among them */
	struct in6_addr top;     /* the address with the most of them */
	unsigned top_hits;       /* its failures and 429s */
};

struct http_throttle;
/* limit failures per window_ms from one address, then 429 until its window ends. */
struct http_throttle *http_throttle_new(int limit, int64_t window_ms);
void http_throttle_free(struct http_throttle *t);
void http_throttle_set(struct http_throttle *t, int limit, int64_t window_ms);
/* Seconds until addr may be checked again (0 = now); counts a 429 when not 0.
 * now_ms is monotonic (> 0). */
int http_throttle_wait_s(struct http_throttle *t, const struct in6_addr *addr, int64_t now_ms);
/* Records a failed authorization; true if it is the first of the summary interval. */
bool http_throttle_fail(struct http_throttle *t, const struct in6_addr *addr, int64_t now_ms);
/* The interval's counts into out, which start again from zero; true if any. */
bool http_throttle_take_summary(struct http_throttle *t, struct http_throttle_summary *out);
/* addr as text (an IPv4 without its v4-mapped prefix). */
void http_addr_text(const struct in6_addr *a, char *buf, size_t len);

/* ---- Server-Sent Events (http_sse.c) ----------------------------------------------- */

#define HTTP_SSE_SNDBUF (32 * 1024) /* bytes: a stream's socket send buffer (the kernel
				     * doubles it); without it Linux grows it to 4 MB for
				     * a client that reads nothing, out of sight of
				     * stream_idle_timeout */

/* The hub of the walls' event streams, fed by the changes published on bus. */
struct http_sse *http_sse_new(struct http_server *s, struct change_bus *bus);
/* Unsubscribes, ends every stream (resumed so MHD can close them); frees what no stream holds. */
void http_sse_close(struct http_sse *h);
void http_sse_free(struct http_sse *h);
/* GET /api/v1/events: starts a stream (a snapshot first, then diffs and pings) of the
 * devices and alerts actor may view (its scope's; every one when unscoped). */
enum MHD_Result http_sse_open(struct http_sse *h, struct MHD_Connection *c,
			      const struct authz_actor *actor);
/* The config changed: the next update is a full snapshot. */
void http_sse_resync(struct http_sse *h);

/* ---- graphs (http_graph.c) ---------------------------------------------------------- */

/* GET /api/v1/graph: validates, then renders on the worker pool (connection suspended). */
enum MHD_Result http_graph_start(struct http_server *s, struct http_conn *hc, const char *query);
/* The job is done: queues its image or error. */
enum MHD_Result http_graph_reply(struct http_conn *hc);
void http_graph_job_free(struct http_graph_job *j);

#endif
