/* Responses: common headers, caching, gzip when the client takes it and it pays. */
#include "http_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Does the client accept gzip?  (A q=0 refusal is treated as no.) */
static bool http_accepts_gzip(struct MHD_Connection *c)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
	const char *g = ae ? strstr(ae, "gzip") : NULL;
	return g && strncmp(g + 4, ";q=0", 4) != 0;
}

/* Compresses in[0..n) as a gzip stream; NULL when it does not get smaller. */
static unsigned char *http_gzip(const void *in, size_t n, size_t *outlen)
{
	z_stream z = {0};
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, n);
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int rc = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || *outlen >= n) {
		free(out);
		return NULL;
	}
	return out;
}

static bool http_is_text(const char *type)
{
	return strncmp(type, "text/", 5) == 0 || strstr(type, "json") || strstr(type, "javascript") ||
	       strstr(type, "svg");
}

struct MHD_Response *http_response(struct MHD_Connection *c, int status, const char *type,
				   const void *body, size_t len, const char *cache,
				   const char *etag)
{
	struct MHD_Response *r = NULL;
	bool gz = false;
	if (len >= HTTP_GZIP_MIN && http_is_text(type) && http_accepts_gzip(c)) {
		size_t zlen;
		unsigned char *z = http_gzip(body, len, &zlen);
		if (z) {
			r = MHD_create_response_from_buffer(zlen, z, MHD_RESPMEM_MUST_FREE);
			if (!r)
				free(z);
			gz = r != NULL;
		}
	}
	if (!r)
		r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return NULL;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", cache);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	if (http_is_text(type))
		MHD_add_response_header(r, "Vary", "Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, "Content-Encoding", "gzip");
	if (etag)
		MHD_add_response_header(r, "ETag", etag);
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"dcmon\"");
	return r;
}

enum MHD_Result http_reply(struct MHD_Connection *c, int status, const char *type,
			   const void *body, size_t len, const char *cache, const char *etag)
{
	struct MHD_Response *r = http_response(c, status, type, body, len, cache, etag);
	if (!r)
		return MHD_NO;
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return rc;
}
