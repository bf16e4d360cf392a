/* The growable string (strbuf.h): doubling growth, sticky out-of-memory. */
#include "dcmon/strbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRBUF_MIN_CAP 256

void strbuf_init(struct strbuf *b)
{
	*b = (struct strbuf)STRBUF_INIT;
}

static int strbuf_fail(struct strbuf *b, int err)
{
	b->failed = true;
	return err;
}

int strbuf_reserve(struct strbuf *b, size_t n)
{
	if (b->failed)
		return -ENOMEM;
	if (n >= SIZE_MAX / 2 - b->len)
		return strbuf_fail(b, -ENOMEM);
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : STRBUF_MIN_CAP;
	while (cap < need)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s)
		return strbuf_fail(b, -ENOMEM);
	if (!b->s)
		s[0] = '\0';
	b->s = s;
	b->cap = cap;
	return 0;
}

int strbuf_append(struct strbuf *b, const char *s, size_t n)
{
	int rc = strbuf_reserve(b, n);
	if (rc < 0)
		return rc;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int strbuf_appends(struct strbuf *b, const char *s)
{
	return strbuf_append(b, s, strlen(s));
}

/* Base64 (RFC 4648) of data[0..n), in lines of 76 characters ending in CRLF when wrap
 * (MIME, RFC 2045), else in one run. */
static int append_base64(struct strbuf *b, const void *data, size_t n, bool wrap)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t quads = (n + 2) / 3;
	int rc = strbuf_reserve(b, quads * 4 + (wrap ? (quads / 19 + 1) * 2 : 0));
	for (size_t i = 0; rc == 0 && i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		v |= i + 1 < n ? (unsigned)p[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned)p[i + 2] : 0;
		char quad[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
				i + 2 < n ? b64[v & 63] : '='};
		rc = strbuf_append(b, quad, sizeof(quad));
		if (rc == 0 && wrap && ((i / 3 + 1) % 19 == 0 || i + 3 >= n)) /* 19 quads: 76 */
			rc = strbuf_append(b, "\r\n", 2);
	}
	return rc;
}

int strbuf_append_base64(struct strbuf *b, const void *data, size_t n)
{
	return append_base64(b, data, n, false);
}

int strbuf_append_base64_mime(struct strbuf *b, const void *data, size_t n)
{
	return append_base64(b, data, n, true);
}

int strbuf_vappendf(struct strbuf *b, const char *fmt, va_list ap)
{
	if (b->failed)
		return -ENOMEM;
	va_list again;
	va_copy(again, ap);
	/* First try in the room there is; a longer text is measured by that try. */
	size_t room = b->s ? b->cap - b->len : 0;
	int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
	int rc = 0;
	if (n < 0)
		rc = strbuf_fail(b, -EINVAL);
	else if ((size_t)n >= room && (rc = strbuf_reserve(b, (size_t)n)) == 0)
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	if (rc == 0)
		b->len += (size_t)n;
	else if (b->s)
		b->s[b->len] = '\0'; /* drop what a failed try may have written */
	return rc;
}

int strbuf_appendf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = strbuf_vappendf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int strbuf_append_html(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		size_t n = strcspn(s, "<>&\"'");
		strbuf_append(b, s, n);
		s += n;
		if (!*s)
			break;
		strbuf_appends(b, *s == '<'   ? "&lt;"
				  : *s == '>' ? "&gt;"
				  : *s == '&' ? "&amp;"
				  : *s == '"' ? "&quot;"
					      : "&#39;");
	}
	return b->failed ? -ENOMEM : 0;
}

const char *strbuf_str(const struct strbuf *b)
{
	return b->s ? b->s : "";
}

char *strbuf_take(struct strbuf *b)
{
	char *s = b->failed ? NULL : b->s ? b->s : strdup("");
	if (b->failed)
		free(b->s);
	strbuf_init(b);
	return s;
}

void strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->s)
		b->s[0] = '\0';
}

void strbuf_free(struct strbuf *b)
{
	free(b->s);
	strbuf_init(b);
}
