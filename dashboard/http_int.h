/* Private header of the dashboard's HTTP server (dashboard/http*.c).  Everything here
 * runs on the loop thread, except the graph work function (a worker). */
#ifndef DCMON_HTTP_INT_H
#define DCMON_HTTP_INT_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/api.h"
#include "dcmon/http.h"

#define HTTP_BODY_MAX (1024 * 1024) /* request body, bytes (as on the Unix socket) */
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

struct http_conn {
	struct http_server *s;
	char *uri;                 /* raw request target, for the raw query string */
	char *body;                /* request body, NUL terminated; NULL if none */
	size_t body_len;           /* bytes */
	bool too_big;              /* body over HTTP_BODY_MAX: answered 413 */
	enum http_job job;         /* graph rendering on the worker pool */
	struct http_graph_job *gj; /* owned while job != NONE */
	struct MHD_Connection *c;
	struct http_conn *next_pending; /* server's list of connections with a job */
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
	char *cert_pem, *key_pem;  /* TLS; NULL = plain HTTP */
	struct http_sse *sse;
	struct http_conn *pending; /* connections waiting for a graph (FIFO) */
	bool graph_busy;           /* a graph is rendering on a worker */
	bool in_run;               /* inside MHD_run */
	bool kicked;               /* a connection was resumed: run MHD again at once */
};

/* Runs MHD for what is ready and re-arms its timeout.  Call after resuming. */
void http_server_run(struct http_server *s);
/* Makes MHD run at the next loop iteration (after resuming a connection). */
void http_server_kick(struct http_server *s);

/* Queues a response: body (copied), with gzip when the client accepts it and it helps,
 * the given Content-Type and Cache-Control.  etag may be NULL. */
enum MHD_Result http_reply(struct MHD_Connection *c, int status, const char *type,
			   const void *body, size_t len, const char *cache, const char *etag);
/* {"error": msg} with status. */
enum MHD_Result http_reply_error(struct MHD_Connection *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* GET of a page or an asset (/, /wall, /devices/ID, /assets/NAME); 404 otherwise. */
enum MHD_Result http_static(struct http_server *s, struct MHD_Connection *c, const char *url,
			    const char *query);

/* Checks the Authorization of a write; answers 401/403 itself and returns false. */
bool http_auth_write(struct http_server *s, struct MHD_Connection *c, bool *answered);
/* "http:ADDR:PORT" of the peer into buf. */
void http_peer_name(struct MHD_Connection *c, char *buf, size_t len);

/* ---- Server-Sent Events (http_sse.c) ----------------------------------------------- */

struct http_sse *http_sse_new(struct http_server *s);
/* Ends every stream (resumed so MHD can close them); frees what no stream holds. */
void http_sse_close(struct http_sse *h);
void http_sse_free(struct http_sse *h);
/* GET /api/v1/events: starts a stream (a snapshot first, then diffs and pings). */
enum MHD_Result http_sse_open(struct http_sse *h, struct MHD_Connection *c);
/* The config changed: the next update is a full snapshot. */
void http_sse_resync(struct http_sse *h);
/* An alert event: pushed now, a diff follows shortly. */
void http_sse_alert(struct http_sse *h, const struct alert_event *ev);

/* ---- graphs (http_graph.c) ---------------------------------------------------------- */

/* GET /api/v1/graph: validates, then renders on the worker pool (connection suspended). */
enum MHD_Result http_graph_start(struct http_server *s, struct http_conn *hc, const char *query);
/* The job is done: queues its image or error. */
enum MHD_Result http_graph_reply(struct http_conn *hc);
void http_graph_job_free(struct http_graph_job *j);

#endif
