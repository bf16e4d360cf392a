/* The bytes of the archive's journal segments (archive_int.h has the layout): format 2,
 * frames of small records naming each file once per segment, and format 1, one
 * self-contained record per value, which segments of a run before #18 still hold.  The
 * decoder reads either, and stops at the first frame or record that is cut short or
 * fails its checksum. */
#include "archive_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define V1_HEAD 8   /* u32 payload length, u32 Adler-32 of the payload */
#define V1_FIXED 24 /* payload before the path: t_s, v, step_s, kind, 0, rel_len */
#define VARINT_MAX 10

_Static_assert(sizeof(ARCHIVE_JOURNAL_MAGIC) - 1 == ARCHIVE_JOURNAL_MAGIC_LEN,
               "the magic is 8 bytes");

/* ---- format 2: writing ---- */

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

unsigned char *archive_journal_put_name(unsigned char *p, uint32_t num,
                                        const struct archive_file *f)
{
	p = put_varint(p, (uint64_t)num << 1 | 1);
	p = put_varint(p, f->step_s);
	*p++ = (unsigned char)f->kind;
	p = put_varint(p, strlen(f->names) + sizeof(ARCHIVE_FILE_SUFFIX) - 1);
	/* its NUL lands in the room of the next record (ARCHIVE_JOURNAL_NAME_MAX) */
	return p + archive_file_rel(f, (char *)p);
}

unsigned char *archive_journal_put_value(unsigned char *p, uint32_t num, struct archive_point pt,
                                         int64_t *t_prev)
{
	/* values of one swap are within seconds of each other: a byte of time each */
	uint64_t d = (uint64_t)pt.t_s - (uint64_t)*t_prev;
	*t_prev = pt.t_s;
	p = put_varint(p, (uint64_t)num << 1);
	p = put_varint(p, d << 1 ^ (uint64_t)-(d >> 63)); /* zigzag: small either way */
	memcpy(p, &pt.v, 8);
	return p + 8;
}

void archive_journal_seal(unsigned char *frame, size_t payload)
{
	uint32_t len = (uint32_t)payload;
	uint32_t sum = (uint32_t)adler32(1, frame + ARCHIVE_JOURNAL_FRAME_HEAD, (uInt)payload);
	memcpy(frame, &len, 4);
	memcpy(frame + 4, &sum, 4);
}

/* ---- format 1 ---- */

int archive_journal_v1_decode(const void *buf, size_t len, struct archive_journal_rec *r)
{
	const unsigned char *b = buf, *p = b + V1_HEAD;
	uint32_t plen, sum, step;
	uint16_t rl;
	uint8_t kind, zero;
	if (len < V1_HEAD)
		return 0;
	memcpy(&plen, b, 4);
	memcpy(&sum, b + 4, 4);
	if (plen < V1_FIXED || plen > ARCHIVE_JOURNAL_V1_MAX)
		return -EBADMSG;
	if (len - V1_HEAD < plen)
		return 0;
	if ((uint32_t)adler32(1, p, plen) != sum)
		return -EBADMSG;
	memcpy(&r->p.t_s, p, 8);
	memcpy(&r->p.v, p + 8, 8);
	memcpy(&step, p + 16, 4);
	memcpy(&kind, p + 20, 1);
	memcpy(&zero, p + 21, 1);
	memcpy(&rl, p + 22, 2);
	if (zero != 0 || kind > METRIC_STATE || step == 0 || V1_FIXED + (size_t)rl != plen)
		return -EBADMSG;
	r->step_s = step;
	r->kind = (enum metric_kind)kind;
	r->rel = (const char *)p + V1_FIXED;
	r->rel_len = rl;
	return (int)(V1_HEAD + plen);
}

/* ---- reading ---- */

void archive_journal_dec_init(struct archive_journal_dec *d, const void *buf, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->len = len;
}

void archive_journal_dec_free(struct archive_journal_dec *d)
{
	free(d->names);
	d->names = NULL;
	d->nnames = d->cap = 0;
}

/* Reads a varint of the frame at *off.  false when it runs past the frame or 64 bits. */
static bool get_varint(const struct archive_journal_dec *d, size_t *off, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 7 * VARINT_MAX && *off < d->frame_end; shift += 7) {
		unsigned char c = d->buf[(*off)++];
		if (shift == 63 && c > 1)
			return false;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

/* Binds number num to the file of a name record at *off.  0, -EBADMSG, -ENOMEM. */
static int dec_name(struct archive_journal_dec *d, uint64_t num, size_t *off)
{
	uint64_t step, len;
	if (num > d->nnames || !get_varint(d, off, &step) || step == 0 || step > UINT32_MAX ||
	    *off >= d->frame_end)
		return -EBADMSG;
	unsigned kind = d->buf[(*off)++];
	if (kind > METRIC_STATE || !get_varint(d, off, &len) || len == 0 || len >= PATH_MAX ||
	    len > d->frame_end - *off)
		return -EBADMSG;
	if (num == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		void *v = realloc(d->names, cap * sizeof(*d->names));
		if (!v)
			return -ENOMEM;
		d->names = v;
		d->cap = cap;
	}
	d->names[num] = (struct archive_journal_name){.rel = (const char *)d->buf + *off,
	                                              .rel_len = (size_t)len,
	                                              .step_s = (unsigned long)step,
	                                              .kind = (enum metric_kind)kind};
	d->nnames += num == d->nnames;
	*off += (size_t)len;
	return 0;
}

/* Checks the frame at d->off and makes it the one read.  0; -ENODATA when the
 * segment ends inside it; -EBADMSG when its length or checksum is wrong. */
static int dec_frame(struct archive_journal_dec *d)
{
	uint32_t plen, sum;
	size_t left = d->len - d->off;
	if (left < ARCHIVE_JOURNAL_FRAME_HEAD)
		return -ENODATA;
	memcpy(&plen, d->buf + d->off, 4);
	memcpy(&sum, d->buf + d->off + 4, 4);
	if (plen == 0 || plen > ARCHIVE_JOURNAL_FRAME_MAX + ARCHIVE_JOURNAL_NAME_MAX +
	                            ARCHIVE_JOURNAL_VALUE_MAX)
		return -EBADMSG;
	if (left - ARCHIVE_JOURNAL_FRAME_HEAD < plen)
		return -ENODATA;
	const unsigned char *p = d->buf + d->off + ARCHIVE_JOURNAL_FRAME_HEAD;
	if ((uint32_t)adler32(1, p, plen) != sum)
		return -EBADMSG;
	d->rec_off = d->off + ARCHIVE_JOURNAL_FRAME_HEAD;
	d->frame_end = d->rec_off + plen;
	d->t_prev = 0;
	return 0;
}

/* The next value of a format 2 segment. */
static int dec_next_v2(struct archive_journal_dec *d, struct archive_journal_rec *r)
{
	for (;;) {
		if (d->rec_off == d->frame_end) { /* between frames */
			d->off = d->frame_end;
			if (d->off == d->len)
				return 0;
			int e = dec_frame(d);
			if (e < 0)
				return e;
		}
		size_t off = d->rec_off;
		uint64_t h, dt;
		if (!get_varint(d, &off, &h))
			return -EBADMSG;
		if (h & 1) {
			int e = dec_name(d, h >> 1, &off);
			if (e < 0)
				return e;
			d->rec_off = off;
			continue;
		}
		if ((h >> 1) >= d->nnames || !get_varint(d, &off, &dt) || d->frame_end - off < 8)
			return -EBADMSG;
		const struct archive_journal_name *n = &d->names[h >> 1];
		d->t_prev = (int64_t)((uint64_t)d->t_prev + (dt >> 1 ^ (uint64_t)-(dt & 1)));
		r->p.t_s = d->t_prev;
		memcpy(&r->p.v, d->buf + off, 8);
		r->step_s = n->step_s;
		r->kind = n->kind;
		r->rel = n->rel;
		r->rel_len = n->rel_len;
		d->rec_off = off + 8;
		return 1;
	}
}

int archive_journal_dec_next(struct archive_journal_dec *d, struct archive_journal_rec *r)
{
	if (d->format == 0) { /* the magic of format 2, or a record of format 1 */
		size_t n = d->len < ARCHIVE_JOURNAL_MAGIC_LEN ? d->len : ARCHIVE_JOURNAL_MAGIC_LEN;
		if (memcmp(d->buf, ARCHIVE_JOURNAL_MAGIC, n) == 0) {
			if (n < ARCHIVE_JOURNAL_MAGIC_LEN)
				return d->len ? -ENODATA : 0;
			d->format = 2;
			d->off = d->rec_off = d->frame_end = ARCHIVE_JOURNAL_MAGIC_LEN;
		} else {
			d->format = 1;
		}
	}
	if (d->format == 2)
		return dec_next_v2(d, r);
	if (d->off == d->len)
		return 0;
	int n = archive_journal_v1_decode(d->buf + d->off, d->len - d->off, r);
	if (n <= 0)
		return n == 0 ? -ENODATA : n;
	d->off += (size_t)n;
	return 1;
}
