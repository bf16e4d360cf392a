/* A growable string: the one builder of text (e-mails, SSE events, request bodies).
 *
 * Out of memory is sticky: once an allocation (or a format) fails, `failed` is set,
 * later appends do nothing, and strbuf_take() returns NULL, so a caller that builds
 * in many steps checks once at the end.  Each append also returns 0 or -ENOMEM for a
 * caller that must know at once.  The builder owns its text until taken; it is not
 * thread-safe (one owner at a time).
 */
#ifndef DCMON_STRBUF_H
#define DCMON_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;     /* the text, NUL-terminated; NULL until something was appended */
	size_t len;  /* bytes of text, before the terminating NUL */
	size_t cap;  /* bytes allocated at s */
	bool failed; /* an allocation or a format failed: the text is incomplete */
};

#define STRBUF_INIT {0}

void strbuf_init(struct strbuf *b);
/* Room for n more bytes (and the NUL) without another allocation.  0 or -ENOMEM. */
int strbuf_reserve(struct strbuf *b, size_t n);
/* Appends n bytes of s (which may hold NULs).  0 or -ENOMEM. */
int strbuf_append(struct strbuf *b, const char *s, size_t n);
/* Appends the C string s.  0 or -ENOMEM. */
int strbuf_appends(struct strbuf *b, const char *s);
/* Appends data[0..n) in base64 (RFC 4648, padded): a data: URI, a MIME part. */
int strbuf_append_base64(struct strbuf *b, const void *data, size_t n);
/* The same in lines of 76 characters, each ending in CRLF, as a MIME body part wants
 * (RFC 2045); 0 or -ENOMEM. */
int strbuf_append_base64_mime(struct strbuf *b, const void *data, size_t n);
/* Appends printf-formatted text, however long.  0, -ENOMEM, or -EINVAL (a format
 * vsnprintf refuses, which also marks the builder failed). */
__attribute__((format(printf, 2, 3))) int strbuf_appendf(struct strbuf *b, const char *fmt, ...);
__attribute__((format(printf, 2, 0))) int strbuf_vappendf(struct strbuf *b, const char *fmt,
							   va_list ap);
/* Appends s as HTML text (<, >, &, " and ' as entities).  0 or -ENOMEM. */
int strbuf_append_html(struct strbuf *b, const char *s);
/* The text so far: "" when empty, never NULL (valid until the next append). */
const char *strbuf_str(const struct strbuf *b);
/* Hands the text over (the caller frees it; "" allocated when empty) and leaves the
 * builder empty.  NULL, with the text freed, if the builder failed or "" cannot be
 * allocated. */
char *strbuf_take(struct strbuf *b);
/* Empties the builder (keeping its memory for reuse) and clears `failed`. */
void strbuf_reset(struct strbuf *b);
/* Frees the text and leaves the builder empty; reusable after. */
void strbuf_free(struct strbuf *b);

#endif
