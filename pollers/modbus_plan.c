/* Request coalescing: the points of a profile, sorted by (table, address), are grouped
 * into as few read requests as the protocol allows.  A request grows over the next
 * point of the same table while the hole in between is at most max_gap addresses and
 * the whole stays within 125 registers (FC3/FC4) or 2000 bits (FC1/FC2).  Greedy
 * left-to-right grouping is optimal here: every request must start at some point's
 * address, and extending the current request never costs an extra one.
 */
#include "modbus.h"

#include <errno.h>
#include <stdlib.h>

int modbus_point_cmp(const void *a, const void *b)
{
	const struct modbus_point *pa = a, *pb = b;

	if (pa->table != pb->table)
		return pa->table < pb->table ? -1 : 1;
	if (pa->addr != pb->addr)
		return pa->addr < pb->addr ? -1 : 1;
	return 0;
}

static unsigned table_limit(enum modbus_table t)
{
	return modbus_table_is_bits(t) ? MODBUS_BITS_MAX : MODBUS_REGS_MAX;
}

/* True if point p can join request r (same table, close enough, within the limit). */
static bool req_can_take(const struct modbus_req *r, const struct modbus_point *p,
			 unsigned max_gap)
{
	uint32_t end = (uint32_t)r->addr + r->count; /* one past the last address */
	uint32_t p_end = (uint32_t)p->addr + modbus_point_words(p);

	if (p->table != r->table || p->addr < r->addr)
		return false;
	if (p->addr > end && p->addr - end > max_gap)
		return false;
	return p_end - r->addr <= table_limit(r->table);
}

static void req_take(struct modbus_req *r, const struct modbus_point *p)
{
	uint32_t p_end = (uint32_t)p->addr + modbus_point_words(p);

	if (p_end > (uint32_t)r->addr + r->count)
		r->count = (uint16_t)(p_end - r->addr);
	r->npoints++;
}

static void req_start(struct modbus_req *r, const struct modbus_point *p, size_t idx)
{
	r->table = p->table;
	r->addr = p->addr;
	r->count = (uint16_t)modbus_point_words(p);
	r->first = idx;
	r->npoints = 1;
}

int modbus_plan_build(struct modbus_point *pts, size_t n, unsigned max_gap,
		      const bool *nomerge, struct modbus_plan *out)
{
	struct modbus_req *reqs;
	size_t nreqs = 0;

	out->reqs = NULL;
	out->nreqs = 0;
	if (n == 0)
		return 0;
	qsort(pts, n, sizeof *pts, modbus_point_cmp);
	reqs = calloc(n, sizeof *reqs); /* never more requests than points */
	if (!reqs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool alone = nomerge && nomerge[i];
		struct modbus_req *cur = nreqs ? &reqs[nreqs - 1] : NULL;
		bool cur_alone = cur && nomerge && nomerge[cur->first];

		if (cur && !alone && !cur_alone && req_can_take(cur, &pts[i], max_gap))
			req_take(cur, &pts[i]);
		else
			req_start(&reqs[nreqs++], &pts[i], i);
	}
	out->reqs = reqs;
	out->nreqs = nreqs;
	return 0;
}

void modbus_plan_free(struct modbus_plan *plan)
{
	if (!plan)
		return;
	free(plan->reqs);
	plan->reqs = NULL;
	plan->nreqs = 0;
}
