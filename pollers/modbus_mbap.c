/* Modbus TCP framing (MBAP): request encoding and a bounded reply decoder.  Replies are
 * untrusted bytes: every length is checked against the frame and against what the
 * request asked for before a register is copied.
 *
 * ADU = transaction id (2) | protocol id (2, always 0) | length (2, bytes that follow:
 * unit + PDU) | unit id (1) | PDU (function code + data, at most 253 bytes).
 */
#include "modbus.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

size_t mbap_encode_read(uint8_t *buf, uint16_t tid, const struct modbus_xreq *rq)
{
	put16(buf, tid);
	put16(buf + 2, 0);
	put16(buf + 4, 6);
	buf[6] = rq->unit;
	buf[7] = (uint8_t)rq->table;
	put16(buf + 8, rq->addr);
	put16(buf + 10, rq->count);
	return 12;
}

uint16_t mbap_tid(const uint8_t *frame)
{
	return get16(frame);
}

int mbap_frame_len(const uint8_t *buf, size_t n)
{
	unsigned len;

	if (n >= 4 && get16(buf + 2) != 0)
		return -EBADMSG; /* not Modbus: protocol id must be 0 */
	if (n < 6)
		return 0;
	len = get16(buf + 4);
	if (len < 2 || len > MBAP_ADU_MAX - 6)
		return -EBADMSG;
	return n >= 6 + len ? (int)(6 + len) : 0;
}

/* Bytes of data a good reply to rq carries. */
static size_t reply_bytes(const struct modbus_xreq *rq)
{
	return modbus_table_is_bits(rq->table) ? (rq->count + 7u) / 8u : rq->count * 2u;
}

static void copy_data(const uint8_t *data, const struct modbus_xreq *rq,
		      struct modbus_result *res)
{
	for (unsigned i = 0; i < rq->count; i++) {
		if (modbus_table_is_bits(rq->table))
			res->regs[i] = (data[i / 8] >> (i % 8)) & 1u;
		else
			res->regs[i] = get16(data + 2 * i);
	}
	res->count = rq->count;
}

void mbap_decode_reply(const uint8_t *frame, size_t len, const struct modbus_xreq *rq,
		       struct modbus_result *res)
{
	unsigned fc = len > 7 ? frame[7] : 0;

	res->count = 0;
	res->exception = 0;
	if (len < 9) {
		modbus_result_set_error(res, -EBADMSG);
		return;
	}
	if (frame[6] != rq->unit) {
		res->err = -EPROTO;
		snprintf(res->reason, sizeof res->reason, "reply from unit id %u, expected %u",
			 frame[6], rq->unit);
		return;
	}
	if (fc == (rq->table | 0x80u)) {
		res->exception = frame[8];
		modbus_result_set_error(res, -(MODBUS_EXC_BASE + (int)frame[8]));
		return;
	}
	if (fc != rq->table || frame[8] != reply_bytes(rq) || len != 9 + reply_bytes(rq)) {
		modbus_result_set_error(res, -EBADMSG);
		return;
	}
	copy_data(frame + 9, rq, res);
	res->err = 0;
	res->reason[0] = '\0';
}

void modbus_result_set_error(struct modbus_result *res, int err)
{
	const char *name;

	res->err = err;
	if (err <= -MODBUS_EXC_BASE) {
		unsigned code = (unsigned)(-err - MODBUS_EXC_BASE);

		res->exception = code;
		name = modbus_exception_name(code);
		snprintf(res->reason, sizeof res->reason, "exception %u (%s)", code,
			 name ? name : "unknown");
		return;
	}
	switch (-err) {
	case 0: res->reason[0] = '\0'; return;
	case ETIMEDOUT: name = "timeout"; break;
	case EBADMSG: name = "malformed reply"; break;
	case ECANCELED: name = "cancelled"; break;
	default: name = strerror(-err); break;
	}
	snprintf(res->reason, sizeof res->reason, "%s", name);
}
