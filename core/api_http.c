/* Minimal HTTP/1.x framing for the API socket: a bounded request-head parser and the
 * response writer.  One request per connection, so no keep-alive and no pipelining. */
#include "api_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_METHOD_MAX 16 /* bytes of a method token */

const char *api_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* Length of the head (through the empty line) in buf[0..len), or 0 if incomplete. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Cuts the line starting at *p (ended by LF, optional CR before it); advances *p. */
static char *next_line(char **p)
{
	char *line = *p, *nl = strchr(line, '\n');
	if (!nl)
		return NULL;
	*nl = '\0';
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	*p = nl + 1;
	return line;
}

static int http_fail(int status, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return status;
}

/* "GET /path?query HTTP/1.1" */
static int parse_request_line(char *line, struct api_http_head *h, char *err, size_t errlen)
{
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
		return http_fail(400, err, errlen, "malformed request line");
	*sp1 = *sp2 = '\0';
	h->method = line;
	size_t mlen = strlen(line);
	for (size_t i = 0; i < mlen; i++)
		if (!isupper((unsigned char)line[i]))
			mlen = 0;
	if (mlen == 0 || mlen > HTTP_METHOD_MAX)
		return http_fail(400, err, errlen, "malformed request method");
	if (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0)
		return http_fail(505, err, errlen, "only HTTP/1.0 and HTTP/1.1 are supported");
	h->path = sp1 + 1;
	if (h->path[0] != '/')
		return http_fail(400, err, errlen, "request target must start with '/'");
	char *q = strchr(h->path, '?');
	h->query = q ? q + 1 : NULL;
	if (q)
		*q = '\0';
	if (api_percent_decode(h->path, strlen(h->path), false, h->path, strlen(h->path) + 1) < 0)
		return http_fail(400, err, errlen, "bad percent-encoding in path");
	return 0;
}

/* Content-Length: digits only, at most API_HTTP_BODY_MAX. */
static int parse_content_length(const char *v, struct api_http_head *h, char *err,
				size_t errlen)
{
	size_t n = 0;
	if (!*v)
		return http_fail(400, err, errlen, "empty Content-Length");
	for (const char *p = v; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return http_fail(400, err, errlen, "malformed Content-Length");
		n = n * 10 + (size_t)(*p - '0');
		if (n > API_HTTP_BODY_MAX) {
			snprintf(err, errlen, "request body larger than %d bytes", API_HTTP_BODY_MAX);
			return 413;
		}
	}
	h->body_len = n;
	return 0;
}

static int parse_header(char *line, struct api_http_head *h, char *err, size_t errlen)
{
	char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return http_fail(400, err, errlen, "malformed header line");
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (size_t n = strlen(v); n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--)
		v[n - 1] = '\0';
	if (strcasecmp(line, "Content-Length") == 0)
		return parse_content_length(v, h, err, errlen);
	if (strcasecmp(line, "Transfer-Encoding") == 0)
		return http_fail(501, err, errlen, "Transfer-Encoding is not supported; "
				 "send a Content-Length");
	return 0;
}

int api_http_parse_head(char *buf, size_t len, struct api_http_head *h, char *err,
			size_t errlen)
{
	size_t end = head_end(buf, len);
	if (end == 0 && len < API_HTTP_HEAD_MAX)
		return 0;
	if (end == 0 || end > API_HTTP_HEAD_MAX) {
		snprintf(err, errlen, "request head larger than %d bytes", API_HTTP_HEAD_MAX);
		return 400;
	}
	if (memchr(buf, '\0', end))
		return http_fail(400, err, errlen, "NUL byte in request head");
	buf[end - 1] = '\0'; /* the final LF: lines are cut at the LFs before it */
	*h = (struct api_http_head){.head_len = end};
	char *p = buf, *line = next_line(&p);
	int rc = line ? parse_request_line(line, h, err, errlen)
		      : http_fail(400, err, errlen, "malformed request line");
	while (rc == 0 && (line = next_line(&p)) != NULL && line[0])
		rc = parse_header(line, h, err, errlen);
	return rc ? rc : 1;
}

char *api_http_format_response(const struct api_response *resp, size_t *outlen)
{
	const char *body = resp->body ? resp->body : "";
	size_t blen = strlen(body);
	char head[256];
	int hlen = snprintf(head, sizeof(head),
			    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			    resp->status, api_http_reason(resp->status),
			    resp->content_type ? resp->content_type : "application/json", blen);
	if (hlen < 0 || (size_t)hlen >= sizeof(head))
		return NULL;
	char *out = malloc((size_t)hlen + blen);
	if (!out)
		return NULL;
	memcpy(out, head, (size_t)hlen);
	memcpy(out + hlen, body, blen);
	*outlen = (size_t)hlen + blen;
	return out;
}
