/* Failed authorizations per client address: after `limit` failures within `window`, an
 * address is answered 429 without a token check until its window ends, and the log gets
 * one summary per window instead of a line per refusal (a guessing client made 5,900
 * WARN lines a second).  A fixed table, so a client changing addresses cannot grow it:
 * when it is full the entry whose window started first is reused. */
#include "http_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_THROTTLE_SLOTS 256 /* addresses tracked at once */

struct throttle_entry {
	struct in6_addr addr;   /* IPv4 as v4-mapped */
	int64_t since_ms;       /* monotonic: start of its window; 0 = free slot */
	unsigned fails;         /* failures in its window */
	unsigned interval_hits; /* failures and 429s in the current summary interval */
};

struct http_throttle {
	int limit;
	int64_t window_ms;
	struct throttle_entry slot[HTTP_THROTTLE_SLOTS];
	struct http_throttle_summary sum; /* of the current interval */
};

struct http_throttle *http_throttle_new(int limit, int64_t window_ms)
{
	struct http_throttle *t = calloc(1, sizeof(*t));
	if (t)
		http_throttle_set(t, limit, window_ms);
	return t;
}

void http_throttle_free(struct http_throttle *t)
{
	free(t);
}

void http_throttle_set(struct http_throttle *t, int limit, int64_t window_ms)
{
	t->limit = limit;
	t->window_ms = window_ms;
}

static bool throttle_expired(const struct http_throttle *t, const struct throttle_entry *e,
			     int64_t now_ms)
{
	return e->since_ms == 0 || now_ms - e->since_ms >= t->window_ms;
}

/* addr's entry, or NULL when it has none. */
static struct throttle_entry *throttle_find(struct http_throttle *t, const struct in6_addr *addr)
{
	for (size_t i = 0; i < HTTP_THROTTLE_SLOTS; i++)
		if (t->slot[i].since_ms != 0 && memcmp(&t->slot[i].addr, addr, sizeof(*addr)) == 0)
			return &t->slot[i];
	return NULL;
}

/* A slot for a new address: a free or expired one, else the one whose window is oldest. */
static struct throttle_entry *throttle_claim(struct http_throttle *t, int64_t now_ms)
{
	struct throttle_entry *oldest = &t->slot[0];
	for (size_t i = 0; i < HTTP_THROTTLE_SLOTS; i++) {
		struct throttle_entry *e = &t->slot[i];
		if (throttle_expired(t, e, now_ms))
			return e;
		if (e->since_ms < oldest->since_ms)
			oldest = e;
	}
	return oldest;
}

static void throttle_hit(struct http_throttle *t, struct throttle_entry *e)
{
	if (e->interval_hits++ == 0)
		t->sum.addresses++;
	if (e->interval_hits > t->sum.top_hits) {
		t->sum.top_hits = e->interval_hits;
		t->sum.top = e->addr;
	}
}

int http_throttle_wait_s(struct http_throttle *t, const struct in6_addr *addr, int64_t now_ms)
{
	struct throttle_entry *e = throttle_find(t, addr);
	if (!e || throttle_expired(t, e, now_ms) || e->fails < (unsigned)t->limit)
		return 0;
	t->sum.refused++;
	throttle_hit(t, e);
	return (int)((e->since_ms + t->window_ms - now_ms + 999) / 1000);
}

bool http_throttle_fail(struct http_throttle *t, const struct in6_addr *addr, int64_t now_ms)
{
	struct throttle_entry *e = throttle_find(t, addr);
	if (!e) {
		e = throttle_claim(t, now_ms);
		*e = (struct throttle_entry){.addr = *addr};
	}
	if (throttle_expired(t, e, now_ms)) {
		e->since_ms = now_ms ? now_ms : 1;
		e->fails = 0;
	}
	e->fails++;
	throttle_hit(t, e);
	return t->sum.failed++ == 0;
}

bool http_throttle_take_summary(struct http_throttle *t, struct http_throttle_summary *out)
{
	*out = t->sum;
	t->sum = (struct http_throttle_summary){0};
	for (size_t i = 0; i < HTTP_THROTTLE_SLOTS; i++)
		t->slot[i].interval_hits = 0;
	return out->failed + out->refused > 0;
}

void http_addr_text(const struct in6_addr *a, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}
