/* Query strings: bounded "name=value&..." parsing with percent-decoding. */
#include "api_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int api_percent_decode(const char *in, size_t len, bool plus_space, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '%') {
			int hi = i + 1 < len ? hex_digit(in[i + 1]) : -1;
			int lo = i + 2 < len ? hex_digit(in[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		} else if (c == '\0') {
			return -EINVAL;
		}
		if (o + 1 >= outlen)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	if (outlen == 0)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return (int)o;
}

/* Decodes one component into a new string; NULL with err filled on failure. */
static char *query_decode(const char *p, size_t len, size_t max, const char *what, char *err,
			  size_t errlen)
{
	char *out = malloc(len + 1);
	if (!out) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int n = api_percent_decode(p, len, true, out, len + 1);
	if (n < 0 || (size_t)n >= max) {
		snprintf(err, errlen, n == -EINVAL ? "bad percent-encoding in query %s '%.*s'"
						   : "query %s '%.*s' too long",
			 what, (int)(len > 64 ? 64 : len), p);
		free(out);
		return NULL;
	}
	return out;
}

/* Adds "name[=value]" (raw bytes p[0..len)) to q. */
static int query_add(struct api_query *q, const char *p, size_t len, char *err, size_t errlen)
{
	if (q->n == API_QUERY_MAX_PARAMS) {
		snprintf(err, errlen, "too many query parameters (at most %d)",
			 API_QUERY_MAX_PARAMS);
		return -EINVAL;
	}
	const char *eq = memchr(p, '=', len);
	size_t nlen = eq ? (size_t)(eq - p) : len;
	struct api_param *prm = &q->v[q->n];
	prm->name = query_decode(p, nlen, API_QUERY_NAME_MAX, "parameter name", err, errlen);
	if (!prm->name)
		return -EINVAL;
	if (prm->name[0] == '\0' || api_query_get(q, prm->name)) {
		snprintf(err, errlen, prm->name[0] ? "query parameter '%s' given twice"
						   : "empty query parameter name%s", prm->name);
		free(prm->name);
		return -EINVAL;
	}
	const char *v = eq ? eq + 1 : p + len;
	size_t vlen = (size_t)(p + len - v);
	prm->value = query_decode(v, vlen, API_QUERY_MAX_LEN, "value", err, errlen);
	if (!prm->value) {
		free(prm->name);
		return -EINVAL;
	}
	q->n++;
	return 0;
}

int api_query_parse(struct api_query *q, const char *raw, char *err, size_t errlen)
{
	q->n = 0;
	if (!raw || !raw[0])
		return 0;
	size_t len = strnlen(raw, API_QUERY_MAX_LEN + 1);
	if (len > API_QUERY_MAX_LEN) {
		snprintf(err, errlen, "query string longer than %d bytes", API_QUERY_MAX_LEN);
		return -EINVAL;
	}
	const char *p = raw, *end = raw + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t plen = amp ? (size_t)(amp - p) : (size_t)(end - p);
		if (plen > 0 && query_add(q, p, plen, err, errlen) < 0)
			return -EINVAL;
		p += plen + 1;
	}
	return 0;
}

void api_query_free(struct api_query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->v[i].name);
		free(q->v[i].value);
	}
	q->n = 0;
}

const char *api_query_get(const struct api_query *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->v[i].name, name) == 0)
			return q->v[i].value;
	return NULL;
}
