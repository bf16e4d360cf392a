/* Fuzz target: Modbus TCP replies as a gateway sends them, read the way the poller
 * reads them.  The shipped Modbus profiles are loaded and planned into requests once;
 * an input picks a profile and one of its requests (first 3 bytes) and the rest is the
 * byte stream the gateway answers with.  The stream is cut into frames by the MBAP
 * length (mbap_frame_len, into the transport's 260-byte buffer), each frame is checked
 * against the request (mbap_decode_reply: unit id, function code, byte count,
 * exception) and the registers of a good one are decoded for every point the request
 * serves: assembly in the point's byte order, sentinels, bit fields, scaling, range,
 * states (modbus_point_decode) and derived values. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "modbus.h"

#define PROFILES_DIR DCMON_SOURCE_DIR "/etc/profiles"
#define FUZZ_TID 1  /* transaction id of the request the stream answers */
#define FUZZ_UNIT 1 /* its unit id */

struct planned {
	struct modbus_profile *p;
	struct modbus_plan plan;
};

static struct planned profiles[64];
static size_t nprofiles;

/* The profiles in name order: an input's first byte picks the same one everywhere. */
static void setup(void)
{
	struct dirent **names;
	int n = scandir(PROFILES_DIR, &names, NULL, alphasort);

	log_set_level(LOG_LVL_ERROR);
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct cfg_diags d;
		const char *name = names[i]->d_name;
		if (!strstr(name, ".yaml") || nprofiles == sizeof(profiles) / sizeof(profiles[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PROFILES_DIR, name);
		cfg_diags_init(&d);
		struct modbus_profile *p = modbus_profile_load(path, &d); /* NULL: an SNMP one */
		cfg_diags_free(&d);
		struct planned *pl = &profiles[nprofiles];
		if (p && modbus_plan_build(p->points, p->npoints, 8, NULL, &pl->plan) == 0 &&
		    pl->plan.nreqs > 0) {
			pl->p = p;
			nprofiles++;
		} else {
			modbus_profile_free(p);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	if (n >= 0)
		free(names);
	if (nprofiles == 0) {
		fprintf(stderr, "fuzz_modbus_reply: no Modbus profile in %s\n", PROFILES_DIR);
		abort();
	}
}

/* One point from the reply's registers, as the poller reports it. */
static void point_read(const struct modbus_point *p, const uint16_t *words)
{
	uint64_t pattern = modbus_assemble(words, p->type, p->order);
	char why[METRIC_REASON_MAX];
	double v;

	if (p->nbits && !modbus_table_is_bits(p->table) && !modbus_is_sentinel(p, pattern))
		for (size_t j = 0; j < p->nbits; j++)
			if (modbus_field_value(&p->bits[j], pattern) >> p->bits[j].width)
				abort(); /* a field's value must fit its width */
	if (modbus_point_decode(p, words, &v, why, sizeof(why)) == 0 && p->nderived)
		(void)modbus_point_raw(p, words);
}

/* The points request r serves, from a good reply. */
static void points_read(const struct planned *pl, const struct modbus_req *r,
			const struct modbus_result *res)
{
	for (size_t i = r->first; i < r->first + r->npoints; i++) {
		const struct modbus_point *p = &pl->p->points[i];
		size_t off = p->addr - r->addr;
		if (off + modbus_point_words(p) <= res->count)
			point_read(p, res->regs + off);
	}
}

/* One frame: stale (other transaction id) frames are skipped like the transport does. */
static void frame_read(const struct planned *pl, const struct modbus_req *r,
		       const struct modbus_xreq *rq, const uint8_t *frame, size_t len)
{
	static struct modbus_result res; /* 4 KiB of registers: not on the stack */

	if (mbap_tid(frame) != FUZZ_TID)
		return;
	mbap_decode_reply(frame, len, rq, &res);
	if (res.err == 0)
		points_read(pl, r, &res);
	else if (!res.reason[0])
		abort(); /* every failure has a reason */
}

/* FUZZ_MODBUS_PLANS=1: prints every (profile, request) an input can pick, for
 * capture_modbus.py, which asks a real Modbus server and writes the seed corpus. */
static void plans_print(void)
{
	for (size_t i = 0; i < nprofiles; i++)
		for (size_t k = 0; k < profiles[i].plan.nreqs; k++) {
			const struct modbus_req *r = &profiles[i].plan.reqs[k];
			printf("plan %zu %zu %d %u %u %s\n", i, k, r->table, r->addr, r->count,
			       profiles[i].p->name);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
		if (getenv("FUZZ_MODBUS_PLANS"))
			plans_print();
	}
	if (size < 3)
		return 0;
	const struct planned *pl = &profiles[data[0] % nprofiles];
	const struct modbus_req *r = &pl->plan.reqs[(data[1] << 8 | data[2]) % pl->plan.nreqs];
	struct modbus_xreq rq = {.unit = FUZZ_UNIT, .table = r->table, .addr = r->addr,
				 .count = r->count};
	uint8_t rbuf[MBAP_ADU_MAX];
	size_t rlen = 0;
	int flen = 0;

	data += 3, size -= 3;
	while (size > 0 && flen >= 0) { /* the stream, in reads of what fits the buffer */
		size_t n = size < sizeof(rbuf) - rlen ? size : sizeof(rbuf) - rlen;
		memcpy(rbuf + rlen, data, n);
		rlen += n, data += n, size -= n;
		while ((flen = mbap_frame_len(rbuf, rlen)) > 0) {
			uint8_t frame[MBAP_ADU_MAX];
			memcpy(frame, rbuf, (size_t)flen);
			memmove(rbuf, rbuf + flen, rlen - (size_t)flen);
			rlen -= (size_t)flen;
			frame_read(pl, r, &rq, frame, (size_t)flen);
		}
		if (flen == 0 && rlen == sizeof(rbuf))
			abort(); /* a full buffer holding no frame: the reader would stall */
	}
	return 0;
}
