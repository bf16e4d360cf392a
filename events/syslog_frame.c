/* RFC 6587 framing of a syslog TCP (or TLS) stream, in a buffer bounded by the largest
 * message: octet-counting ("123 <34>1 ...") when a frame starts with a digit, else
 * non-transparent framing ending at LF.  A frame over the bound is delivered cut
 * (EVENT_F_TRUNCATED) as soon as the bound is reached and its rest skipped, so a
 * sender never makes a connection hold more than max + 16 bytes. */
#include "events_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_LEN_DIGITS 9    /* octet counts of up to 999,999,999 */
#define FRAME_SLACK      16   /* room for "LEN SP" beside a full message */
#define FRAME_FIRST_CAP  4096 /* first allocation; doubles up to max + FRAME_SLACK */

void syslog_framer_init(struct syslog_framer *f, size_t max)
{
	*f = (struct syslog_framer){.max = max};
}

void syslog_framer_release(struct syslog_framer *f)
{
	if (f->buf) /* NULL - 0 is undefined too: a framer that never held a byte */
		free(f->buf - f->head);
	f->buf = NULL;
	f->len = f->cap = f->head = 0;
}

/* Takes n bytes off the front: the view moves on, the bytes stay until compact() (a
 * memmove of the rest per frame was a quadratic cost: a 64 KiB read of 110-byte
 * frames moved ~18 MB). */
static void drop_front(struct syslog_framer *f, size_t n)
{
	f->buf += n;
	f->len -= n;
	f->head += n;
}

/* Moves what is held back to the start of the allocation. */
static void compact(struct syslog_framer *f)
{
	if (f->head == 0)
		return;
	char *base = f->buf - f->head;
	memmove(base, f->buf, f->len);
	f->buf = base;
	f->head = 0;
}

/* The octet count at the start of the buffer: > 0 with *hdr its length incl. SP; 0 when
 * more bytes are needed; -1 when this is no octet-counted frame. */
static long long octet_count(const struct syslog_framer *f, size_t *hdr)
{
	long long v = 0;
	size_t i;

	for (i = 0; i < f->len && f->buf[i] >= '0' && f->buf[i] <= '9'; i++) {
		if (i == FRAME_LEN_DIGITS)
			return -1;
		v = v * 10 + (f->buf[i] - '0');
	}
	if (i == f->len)
		return i <= FRAME_LEN_DIGITS ? 0 : -1;
	if (f->buf[i] != ' ' || v == 0)
		return -1;
	*hdr = i + 1;
	return v;
}

/* Skips what is left of a cut frame.  True while there is still some to skip. */
static bool skipping(struct syslog_framer *f)
{
	if (f->skip) {
		size_t n = f->skip < f->len ? f->skip : f->len;
		drop_front(f, n);
		f->skip -= n;
		return f->skip > 0;
	}
	if (f->skip_to_lf) {
		char *lf = memchr(f->buf, '\n', f->len);
		drop_front(f, lf ? (size_t)(lf - f->buf) + 1 : f->len);
		f->skip_to_lf = !lf;
		return f->skip_to_lf;
	}
	return false;
}

/* One octet-counted frame if complete (or cut at max).  False when more is needed. */
static bool next_counted(struct syslog_framer *f, long long count, size_t hdr,
			 syslog_frame_fn fn, void *arg)
{
	size_t want = (size_t)count;

	if (want > f->max) {
		if (f->len < hdr + f->max)
			return false;
		fn(arg, f->buf + hdr, f->max, EVENT_F_TRUNCATED);
		drop_front(f, hdr + f->max);
		f->skip = want - f->max;
		return true;
	}
	if (f->len < hdr + want)
		return false;
	fn(arg, f->buf + hdr, want, 0);
	drop_front(f, hdr + want);
	return true;
}

/* One LF-terminated frame if complete (or cut at max).  False when more is needed. */
static bool next_lf(struct syslog_framer *f, syslog_frame_fn fn, void *arg)
{
	size_t scan = f->len < f->max ? f->len : f->max;
	char *lf = memchr(f->buf, '\n', f->len < f->max + 1 ? f->len : f->max + 1);

	if (lf) {
		size_t n = (size_t)(lf - f->buf);
		size_t body = n > 0 && f->buf[n - 1] == '\r' ? n - 1 : n;
		if (body > 0) /* empty lines between frames are no messages */
			fn(arg, f->buf, body, 0);
		drop_front(f, n + 1);
		return true;
	}
	if (scan < f->max)
		return false;
	fn(arg, f->buf, f->max, EVENT_F_TRUNCATED);
	drop_front(f, f->max);
	f->skip_to_lf = true;
	return true;
}

/* Delivers every complete frame held. */
static void drain_frames(struct syslog_framer *f, syslog_frame_fn fn, void *arg)
{
	for (;;) {
		if (skipping(f) || f->len == 0)
			return;
		size_t hdr = 0;
		long long count = f->buf[0] >= '1' && f->buf[0] <= '9' ? octet_count(f, &hdr) : -1;
		if (count == 0)
			return;
		bool more = count > 0 ? next_counted(f, count, hdr, fn, arg) : next_lf(f, fn, arg);
		if (!more)
			return;
	}
}

static void drain(struct syslog_framer *f, syslog_frame_fn fn, void *arg)
{
	drain_frames(f, fn, arg);
	compact(f);
}

static int grow(struct syslog_framer *f)
{
	size_t limit = f->max + FRAME_SLACK;
	size_t cap = f->cap ? f->cap * 2 : FRAME_FIRST_CAP;

	if (cap > limit)
		cap = limit;
	char *b = realloc(f->buf, cap);
	if (!b)
		return -ENOMEM;
	f->buf = b;
	f->cap = cap;
	return 0;
}

int syslog_framer_feed(struct syslog_framer *f, const char *data, size_t n, syslog_frame_fn fn,
		       void *arg)
{
	while (n > 0) {
		if (f->len == f->cap && grow(f) < 0)
			return -ENOMEM;
		size_t take = f->cap - f->len < n ? f->cap - f->len : n;
		if (take == 0)
			return -ENOBUFS; /* drain always makes room: a broken invariant */
		memcpy(f->buf + f->len, data, take);
		f->len += take;
		data += take;
		n -= take;
		drain(f, fn, arg);
	}
	return 0;
}

void syslog_framer_finish(struct syslog_framer *f, syslog_frame_fn fn, void *arg)
{
	size_t hdr = 0;

	if (!skipping(f) && f->len > 0) {
		long long count = f->buf[0] >= '1' && f->buf[0] <= '9' ? octet_count(f, &hdr) : -1;
		size_t off = count > 0 ? hdr : 0;
		if (f->len > off)
			fn(arg, f->buf + off, f->len - off, EVENT_F_TRUNCATED);
	}
	f->len = 0;
	compact(f);
}
