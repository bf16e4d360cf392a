/* Private header of the JSON API machinery (core/api*.c): the kernel's handlers, HTTP
 * framing, the Unix socket and its peers.  What handlers of the parts use is public in
 * dcmon/api_route.h.
 * Everything here runs on the loop thread.
 */
#ifndef DCMON_API_INTERNAL_H
#define DCMON_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dcmon/api.h"
#include "dcmon/api_route.h"

/* ---- the kernel's handlers ------------------------------------------------------- */

void api_get_health(const struct api_ctx *ctx, struct api_response *resp);
void api_get_status(const struct api_ctx *ctx, struct api_response *resp);
void api_get_device(const struct api_ctx *ctx, struct api_response *resp);
void api_get_metrics(const struct api_ctx *ctx, struct api_response *resp);
void api_get_prometheus(const struct api_ctx *ctx, struct api_response *resp);

/* Is the metric visible to the request's actor?  A scoped actor sees the metrics of its
 * devices only (not dcmond's own, which is no configured device). */
bool api_metric_visible(const struct api_ctx *ctx, const struct metric *m);

/* ---- HTTP framing (shared by the Unix socket server and tests) --------------------- */

#define API_HTTP_HEAD_MAX (16 * 1024)   /* request line + headers, bytes */
#define API_HTTP_BODY_MAX (1024 * 1024) /* request body, bytes */

/* A request head parsed in place from a buffer holding it; pointers into that buffer. */
struct api_http_head {
	char *method;
	char *path;        /* percent-decoded, without the query */
	char *query;       /* raw, without '?', or NULL */
	size_t head_len;   /* bytes up to and including the blank line */
	size_t body_len;   /* Content-Length, 0 if absent */
};

/* Looks for a complete head in buf[0..len).  Returns 1 when parsed into h (buf is
 * modified: NULs are written), 0 when more bytes are needed, or an HTTP error status
 * (400, 413, 501, 505) with the reason in err. */
int api_http_parse_head(char *buf, size_t len, struct api_http_head *h, char *err,
			size_t errlen);
/* Formats status line and headers (Connection: close) followed by the body into a new
 * buffer; returns it (malloc'd) with its length in *outlen, or NULL. */
char *api_http_format_response(const struct api_response *resp, size_t *outlen);
/* Reason phrase of an HTTP status ("Not Found"). */
const char *api_http_reason(int status);

/* ---- the socket file ------------------------------------------------------------- */

/* Identity of a bound socket file, so that only our own file is ever unlinked. */
struct api_unix_id {
	dev_t dev;
	ino_t ino;
};

/* Creates the listening socket at path: parent directories made (0755) if missing, a
 * stale socket file replaced, a live one refused ("another dcmond is running on PATH"),
 * mode 0660 and group `group` (may be NULL) set before listen().  Returns the
 * non-blocking fd and fills *id, or -1 with the reason in err. */
int api_unix_bind(const char *path, const char *group, struct api_unix_id *id, char *err,
		  size_t errlen);
/* Unlinks path if it is still the file described by id. */
void api_unix_unlink(const char *path, const struct api_unix_id *id);

/* ---- who asked (core/api_peer.c) -------------------------------------------------- */

/* The identity of a connection's peer, as the audit log records it. */
struct api_peer {
	char who[64];    /* user name, or "uid:N" when the uid has no passwd entry */
	char origin[48]; /* "unix:pid=N" */
	uid_t uid;
};

/* Fills p from uid and pid (user name via getpwuid_r). */
void api_peer_format(uid_t uid, pid_t pid, struct api_peer *p);
/* Fills p from the Unix socket fd's peer credentials (SO_PEERCRED).  Returns 0 or a
 * negative errno (p untouched then). */
int api_peer_of(int fd, struct api_peer *p);

/* ---- Unix socket server knobs (tests) --------------------------------------------- */

#define API_UNIX_TIMEOUT_MS  10000 /* default: a client must send its request within */
#define API_UNIX_MAX_CLIENTS 128   /* connections served at once; more are refused */

/* Changes the per-connection timeout (ms) applied to connections accepted afterwards. */
void api_unix_set_timeout(struct api_unix *s, int64_t timeout_ms);

#endif
