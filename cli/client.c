/* The CLI's API client: one HTTP/1.1 request over the daemon's Unix socket, with a
 * deadline on the whole exchange and a bounded reply. */
#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dcmon/loop.h"

#define CLI_HEAD_MAX (16 * 1024) /* bytes of the reply's status line + headers */

/* Message for a failed connect(), naming the likely cause. */
static void connect_error(const struct cli_ctx *ctx, int e, char *err, size_t errlen)
{
	const char *hint = "";
	if (e == ECONNREFUSED || e == ENOENT)
		hint = " (is dcmond running?)";
	else if (e == EACCES || e == EPERM)
		hint = " (is your user in the socket's group?)";
	char what[64];
	snprintf(what, sizeof(what), "%s", strerror(e));
	if (what[0])
		what[0] = (char)(what[0] | 0x20); /* "Connection refused" -> "connection ..." */
	snprintf(err, errlen, "cannot reach dcmond at %s: %s%s", ctx->socket_path, what, hint);
}

/* Waits until fd is ready for `events` or the deadline passes; 0 or -ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
	for (int i = 0; i < 1000; i++) {
		int64_t left = deadline_ms - clock_mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
	return -ETIMEDOUT;
}

static int client_connect(const struct cli_ctx *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(ctx->socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", ctx->socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, ctx->socket_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno == EAGAIN ? EBUSY : errno; /* EAGAIN: the backlog is full */
		connect_error(ctx, e, err, errlen);
		close(fd);
		return -e;
	}
	return fd;
}

/* Sends all of buf before the deadline. */
static int send_all(int fd, const char *buf, size_t len, int64_t deadline_ms)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		int rc = wait_fd(fd, POLLOUT, deadline_ms);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Reads until EOF (the server closes after the reply), at most CLI_REPLY_MAX bytes. */
static int recv_all(int fd, char **out, size_t *outlen, int64_t deadline_ms)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap + 1);
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0) {
		if (len == cap) {
			char *nb = cap >= CLI_REPLY_MAX ? NULL : realloc(buf, cap * 2 + 1);
			if (!nb) {
				rc = cap >= CLI_REPLY_MAX ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0)
			break;
		else if (errno == EAGAIN || errno == EINTR)
			rc = wait_fd(fd, POLLIN, deadline_ms);
		else
			rc = len > 0 && errno == ECONNRESET ? 1 : -errno; /* reset after reply: ok */
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Splits "HTTP/1.1 200 OK\r\n...\r\n\r\nbody" into status and body. */
static int parse_reply(char *raw, size_t len, struct cli_reply *r)
{
	char *end = strstr(raw, "\r\n\r\n");
	int status;
	if (!end || end - raw > CLI_HEAD_MAX || sscanf(raw, "HTTP/1.%*d %d", &status) != 1 ||
	    status < 100 || status > 599)
		return -EPROTO;
	char *body = end + 4;
	r->status = status;
	r->body_len = len - (size_t)(body - raw);
	r->body = malloc(r->body_len + 1);
	if (!r->body)
		return -ENOMEM;
	memcpy(r->body, body, r->body_len + 1);
	return 0;
}

static int exchange(const struct cli_ctx *ctx, int fd, const char *req, size_t reqlen,
		    struct cli_reply *r, char *err, size_t errlen)
{
	int64_t deadline = clock_mono_ms() + ctx->timeout_ms;
	char *raw = NULL;
	size_t rawlen = 0;
	int rc = send_all(fd, req, reqlen, deadline);
	if (rc == 0)
		rc = recv_all(fd, &raw, &rawlen, deadline);
	if (rc == 0)
		rc = parse_reply(raw, rawlen, r);
	free(raw);
	if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "dcmond at %s did not answer within %lld ms",
			 ctx->socket_path, (long long)ctx->timeout_ms);
	else if (rc == -EPROTO)
		snprintf(err, errlen, "malformed reply from dcmond at %s", ctx->socket_path);
	else if (rc < 0)
		snprintf(err, errlen, "talking to dcmond at %s: %s", ctx->socket_path,
			 strerror(-rc));
	return rc;
}

int cli_request(const struct cli_ctx *ctx, const char *method, const char *target,
		const char *body, struct cli_reply *r, char *err, size_t errlen)
{
	*r = (struct cli_reply){0};
	int fd = client_connect(ctx, err, errlen);
	if (fd < 0)
		return fd;
	size_t blen = body ? strlen(body) : 0;
	char *req = NULL;
	int n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: dcmond\r\nUser-Agent: dcmon/%s\r\n"
			 "Accept: application/json\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 method, target, DCMON_VERSION, blen, body ? body : "");
	int rc = n < 0 ? -ENOMEM : exchange(ctx, fd, req, (size_t)n, r, err, errlen);
	if (n < 0)
		snprintf(err, errlen, "out of memory");
	free(n < 0 ? NULL : req);
	close(fd);
	return rc;
}

void cli_reply_free(struct cli_reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* The reply's JSON for a 2xx answer; else prints the error and returns NULL with the
 * exit code in *code. */
static json_t *reply_json(const struct cli_ctx *ctx, const struct cli_reply *r, int *code)
{
	json_error_t jerr;
	json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
	const char *msg = json_string_value(json_object_get(j, "error"));
	bool ok = r->status >= 200 && r->status < 300;
	*code = CLI_EXIT_UNKNOWN;
	if (!j) {
		fprintf(ctx->err, "dcmon: bad JSON from dcmond (HTTP %d): %s\n", r->status,
			jerr.text);
		return NULL;
	}
	if (ok)
		return j;
	fprintf(ctx->err, "dcmon: %s\n", msg ? msg : "request failed");
	*code = CLI_EXIT_REFUSED;
	json_decref(j);
	return NULL;
}

int cli_call_json(const struct cli_ctx *ctx, const char *method, const char *target,
		  json_t *body, json_t **out)
{
	struct cli_reply r;
	char err[512];
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	*out = NULL;
	if (body && !text) {
		fprintf(ctx->err, "dcmon: out of memory\n");
		return CLI_EXIT_UNKNOWN;
	}
	int rc = cli_request(ctx, method, target, text, &r, err, sizeof(err));
	free(text);
	if (rc < 0) {
		fprintf(ctx->err, "dcmon: %s\n", err);
		return CLI_EXIT_UNKNOWN;
	}
	int code = 0;
	*out = reply_json(ctx, &r, &code);
	cli_reply_free(&r);
	return *out ? 0 : code;
}

json_t *cli_get_json(const struct cli_ctx *ctx, const char *target)
{
	json_t *j;
	return cli_call_json(ctx, "GET", target, NULL, &j) == 0 ? j : NULL;
}

void cli_print_json(const struct cli_ctx *ctx, json_t *j)
{
	json_dumpf(j, ctx->out, JSON_INDENT(2));
	fputc('\n', ctx->out);
}

int cli_query_add(char *buf, size_t len, const char *name, const char *value)
{
	size_t o = strlen(buf);
	int n = snprintf(buf + o, len - o, "%c%s=", strchr(buf, '?') ? '&' : '?', name);
	if (n < 0 || (size_t)n >= len - o)
		return -ENAMETOOLONG;
	o += (size_t)n;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-._~*", *p);
		n = snprintf(buf + o, len - o, plain ? "%c" : "%%%02X", *p);
		if (n < 0 || (size_t)n >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)n;
	}
	return 0;
}
