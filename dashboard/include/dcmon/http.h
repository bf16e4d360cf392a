/* The dashboard's HTTP server (dashboard/http*.c): the JSON API of core/api*.c over TCP
 * (optionally TLS), the NOC wall's static assets built into the binary, a Server-Sent
 * Events stream of state changes, and RRD graphs rendered on the worker pool.
 *
 * libmicrohttpd runs without threads of its own: its epoll fd is watched by our loop
 * and MHD_run() is called on the loop thread, so api_handle() and the registry are only
 * ever touched there (docs/ARCHITECTURE.md, "Dashboard").
 *
 * Daemon wiring:
 *     s = http_server_new(&opts, err, sizeof(err));   // after the API env is ready
 *       (opts.bus: the walls' hub subscribes to the changes published there)
 *     SIGHUP:  http_server_set_env(s, &api_env); http_server_reload(s, was, now);
 *     exit:    http_server_free(s);                   // before the loop and workq
 */
#ifndef DCMON_HTTP_H
#define DCMON_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "dcmon/api.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

struct change_bus;

struct alert_event;
struct archive;
struct loop;
struct workq;

/* The daemon's `http:` section. */
struct cfg_http {
	char *listen;      /* numeric IPv4/IPv6 address; default 127.0.0.1 (loopback) */
	int port;          /* 0 = any free port (tests); default 8080 */
	char *tls_cert;    /* PEM certificate (chain); with tls_key: HTTPS; NULL = plain HTTP */
	char *tls_key;     /* PEM private key */
	char *token_file;  /* file holding the bearer token of write actions; NULL = none allowed */
	/* Limits against a hostile or broken client (docs/CONFIG.md has the defaults): */
	int max_connections;             /* open connections in all */
	int max_connections_per_address; /* from one client address */
	int64_t idle_timeout_ms;         /* a connection without I/O this long is closed */
	int max_streams;                 /* event streams (GET /api/v1/events) in all */
	int max_streams_per_address;     /* event streams from one client address */
	int64_t stream_idle_timeout_ms;  /* a stream behind this long (client not reading) ends */
	int stream_queue_max;            /* bytes of events a stream may be behind before it ends */
	int max_body;                    /* bytes of an authorized request body */
	int auth_fail_limit;             /* failed authorizations from one address per window,
					  * then 429 until the window ends */
	int64_t auth_fail_window_ms;     /* that window; also the interval of the summary log */
	int anonymous; /* enum authz_anonymous: readers without credentials (default auto) */
	struct cfg_pos pos;
};
/* Key table of the section (a CFGK_SECTION row of the daemon keys) and its init. */
extern const struct cfg_key http_cfg_keys[];
void http_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int http_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* Makes the section's relative paths absolute against dir (the config's directory). */
void http_cfg_resolve(struct cfg_http *h, const char *dir);
/* The `daemon.http:` section of cfg (the dashboard part's own, dcmon/part.h), or NULL
 * when no web server runs. */
const struct cfg_http *http_cfg_of(const struct cfg *cfg);

struct http_opts {
	struct loop *loop;
	struct workq *wq;           /* graph rendering */
	struct archive *arc;        /* flushed before a graph is drawn; may be NULL */
	const char *data_dir;       /* <data_dir>/<device>/<metric key>.rrd */
	const char *rrdcached;      /* NULL or the daemon's rrdcached address */
	const struct cfg_http *cfg;
	const struct api_env *env;  /* copied; swap with http_server_set_env */
	struct change_bus *bus;     /* the changes the walls are fed; may be NULL */
};

struct http_server;
/* Binds and starts serving.  NULL with err filled on failure (bad address, port in
 * use, unreadable certificate or token file). */
struct http_server *http_server_new(const struct http_opts *opts, char *err, size_t errlen);
/* Closes every connection and frees the server.  NULL is a no-op. */
void http_server_free(struct http_server *s);
/* Swaps the state served (after a reload). */
void http_server_set_env(struct http_server *s, const struct api_env *env);
/* SIGHUP: applies the new section to the running server.  The token file is read
 * again (a rotated token works at once; a removed token_file refuses writes again; an
 * unreadable one keeps the old token and says so); a changed address, port, TLS
 * files, or a section added or removed, are logged as waiting for the next start.
 * s may be NULL (no server running). */
void http_server_reload(struct http_server *s, const struct cfg_http *was,
			const struct cfg_http *now);
/* The port actually bound (for port 0). */
int http_server_port(const struct http_server *s);

#endif
