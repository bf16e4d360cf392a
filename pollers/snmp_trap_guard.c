/* The trap receiver's guard (snmp_trap_int.h).  A flood must cost little and say
 * little: datagrams over a source's rate are dropped before net-snmp parses them, a
 * device is re-polled at most once per hold-off however many traps it sends, and what
 * was dropped is counted (dcmond's `trap_received_count` and `trap_dropped_count`) and
 * told in one log line per summary interval, never one line per datagram. */
#include "snmp_trap_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/metric.h"
#include "dcmon/vec.h"

#define GUARD_TICK_MS 1000       /* self-metrics and summary checked this often */
#define GUARD_METRIC_MS 10000    /* self-metric interval: published at least this often */
#define SRC_SLOTS 4096           /* senders told apart in one second (power of two) */

/* One sender's count in the current second (the rate table has two candidate slots per
 * address; when both hold other senders of this second, it shares the first one's). */
struct src_slot {
	struct in6_addr addr; /* IPv4 as ::ffff:a.b.c.d */
	int64_t sec;          /* monotonic second + 1 that `count` is of; 0 = never used */
	uint32_t count;       /* datagrams admitted in that second */
};

/* A device's re-poll hold-off. */
struct hold {
	char *device;
	int64_t last_ms;             /* monotonic ms of its last trap-triggered poll */
	struct loop_timer *deferred; /* the poll due at last_ms + min interval, or NULL */
	struct trap_guard *g;        /* for the timer's callback */
};

struct trap_guard {
	const struct poller_env *env;
	int rate;                   /* datagrams per source per second */
	int64_t repoll_ms;          /* hold-off between trap-triggered polls of a device */
	int64_t summary_ms;         /* summary line interval */
	struct src_slot *src;       /* SRC_SLOTS entries */
	struct hold **holds;        /* sorted by device id */
	size_t nholds, capholds;
	uint64_t received;
	uint64_t dropped[SNMP_TRAP_DROP_N];  /* since start */
	uint64_t interval[SNMP_TRAP_DROP_N]; /* since the last summary */
	char last_src[SNMP_TRAP_DROP_N][INET6_ADDRSTRLEN]; /* latest sender of each kind */
	int64_t summary_start_ms;   /* monotonic start of the summary interval */
	uint64_t published;         /* received + dropped at the last publication */
	int64_t published_ms;       /* when (monotonic), 0 = never */
	struct metric *m_received, *m_dropped[SNMP_TRAP_DROP_N];
	struct loop_timer *tick;
};

static const char *const drop_names[SNMP_TRAP_DROP_N] = {
	[SNMP_TRAP_DROP_RATE] = "rate_limit",
	[SNMP_TRAP_DROP_REJECTED] = "rejected",
	[SNMP_TRAP_DROP_UNKNOWN_SOURCE] = "unknown_source",
};

/* ---- per-source rate ---------------------------------------------------------------- */

/* The sender as a 16-byte key; false for a family other than IPv4/IPv6. */
static bool addr_key(const struct sockaddr *sa, socklen_t len, struct in6_addr *a)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		*a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return true;
	}
	return false;
}

static void addr_text(const struct in6_addr *a, char *buf, size_t len)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static uint64_t addr_hash(const struct in6_addr *a)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < sizeof(a->s6_addr); i++)
		h = (h ^ a->s6_addr[i]) * 1099511628211ULL;
	return h;
}

/* The slot counting `a` in second `sec`. */
static struct src_slot *src_slot(struct trap_guard *g, const struct in6_addr *a, int64_t sec)
{
	uint64_t h = addr_hash(a);
	struct src_slot *x = &g->src[h & (SRC_SLOTS - 1)];
	struct src_slot *y = &g->src[(h >> 32) & (SRC_SLOTS - 1)];
	struct src_slot *s = memcmp(&x->addr, a, sizeof(*a)) == 0   ? x
			     : memcmp(&y->addr, a, sizeof(*a)) == 0 ? y
			     : x->sec != sec			    ? x
			     : y->sec != sec			    ? y
								    : NULL;
	if (!s)
		return x; /* both busy with other senders this second: share */
	if (memcmp(&s->addr, a, sizeof(*a)) != 0)
		s->addr = *a, s->sec = 0;
	if (s->sec != sec)
		s->sec = sec, s->count = 0;
	return s;
}

bool trap_guard_admit(struct trap_guard *g, const struct sockaddr *src, socklen_t len,
		      int64_t now_ms)
{
	struct in6_addr a;

	g->received++;
	if (!addr_key(src, len, &a))
		return true; /* not UDP over IP: net-snmp judges it */
	struct src_slot *s = src_slot(g, &a, now_ms / 1000 + 1);
	if (s->count < (uint32_t)g->rate) {
		s->count++;
		return true;
	}
	char text[INET6_ADDRSTRLEN];
	addr_text(&a, text, sizeof(text));
	trap_guard_drop(g, SNMP_TRAP_DROP_RATE, text);
	return false;
}

void trap_guard_drop(struct trap_guard *g, enum snmp_trap_drop why, const char *src)
{
	g->dropped[why]++;
	g->interval[why]++;
	snprintf(g->last_src[why], sizeof(g->last_src[why]), "%s", src);
}

/* ---- re-poll hold-off ---------------------------------------------------------------- */

/* Index of the first hold whose device is >= device. */
static size_t hold_pos(const struct trap_guard *g, const char *device)
{
	size_t lo = 0, hi = g->nholds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(g->holds[mid]->device, device) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The hold of device, created when absent; NULL when out of memory. */
static struct hold *hold_get(struct trap_guard *g, const char *device)
{
	size_t i = hold_pos(g, device);
	if (i < g->nholds && strcmp(g->holds[i]->device, device) == 0)
		return g->holds[i];
	struct hold **v = vec_grow(g->holds, &g->capholds, g->nholds, sizeof(*v), 16);
	if (!v)
		return NULL;
	g->holds = v;
	struct hold *h = calloc(1, sizeof(*h));
	if (!h || !(h->device = strdup(device))) {
		free(h);
		return NULL;
	}
	h->g = g;
	memmove(&g->holds[i + 1], &g->holds[i], (g->nholds - i) * sizeof(*g->holds));
	g->holds[i] = h;
	g->nholds++;
	return h;
}

static void hold_free(struct trap_guard *g, struct hold *h)
{
	if (g->env->loop)
		loop_timer_cancel(g->env->loop, h->deferred);
	free(h->device);
	free(h);
}

static void poll_device(struct trap_guard *g, const char *device)
{
	if (g->env->repoll)
		g->env->repoll(g->env->repoll_arg, device);
}

static void on_deferred(struct loop *loop, void *arg)
{
	struct hold *h = arg;
	h->deferred = NULL;
	h->last_ms = loop_now_ms(loop);
	poll_device(h->g, h->device);
}

bool trap_guard_repoll(struct trap_guard *g, const char *device, int64_t now_ms)
{
	struct hold *h = hold_get(g, device);

	if (h && h->last_ms && now_ms - h->last_ms < g->repoll_ms) {
		if (!h->deferred && g->env->loop)
			h->deferred = loop_timer_at(g->env->loop, h->last_ms + g->repoll_ms,
						    on_deferred, h);
		return false;
	}
	if (h)
		h->last_ms = now_ms;
	poll_device(g, device);
	return true;
}

/* Forgets the holds that are over (no poll waiting): the table holds only devices
 * that sent traps within the last hold-off. */
static void holds_prune(struct trap_guard *g, int64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < g->nholds; i++) {
		struct hold *h = g->holds[i];
		if (!h->deferred && now - h->last_ms >= g->repoll_ms)
			hold_free(g, h);
		else
			g->holds[k++] = h;
	}
	g->nholds = k;
}

/* ---- accounting --------------------------------------------------------------------- */

static void self_metrics_new(struct trap_guard *g)
{
	struct metric_desc d = {.name = "trap_received_count", .unit = "", .kind = METRIC_GAUGE,
				.interval_ms = GUARD_METRIC_MS};
	if (!g->env->reg)
		return;
	g->m_received = metric_reg_get(g->env->reg, "dcmond", &d);
	d.name = "trap_dropped_count";
	d.inst_label = "reason";
	for (int i = 0; i < SNMP_TRAP_DROP_N; i++) {
		d.inst = drop_names[i];
		g->m_dropped[i] = metric_reg_get(g->env->reg, "dcmond", &d);
	}
}

/* The counts, when they changed or at least once per metric interval. */
static void self_metrics_publish(struct trap_guard *g, int64_t now)
{
	uint64_t sum = g->received;
	for (int i = 0; i < SNMP_TRAP_DROP_N; i++)
		sum += g->dropped[i];
	if (!g->env->reg || (g->published_ms && sum == g->published &&
			     now - g->published_ms < GUARD_METRIC_MS))
		return;
	int64_t wall = clock_wall_ms();
	if (g->m_received)
		metric_put(g->env->reg, g->m_received, wall, (double)g->received);
	for (int i = 0; i < SNMP_TRAP_DROP_N; i++)
		if (g->m_dropped[i])
			metric_put(g->env->reg, g->m_dropped[i], wall, (double)g->dropped[i]);
	g->published = sum;
	g->published_ms = now;
}

/* Appends ", N what (last from SRC)" for one kind of drop with a count. */
static size_t summary_part(const struct trap_guard *g, enum snmp_trap_drop why,
			   const char *what, char *buf, size_t off, size_t len)
{
	if (!g->interval[why] || off >= len)
		return off;
	int n = snprintf(buf + off, len - off, "%s%llu %s (last from %s)", off ? ", " : "",
			 (unsigned long long)g->interval[why], what, g->last_src[why]);
	return n > 0 ? off + (size_t)n : off;
}

/* One line for everything dropped in the interval that ended, nothing when all passed. */
static void summary_log(struct trap_guard *g, int64_t now)
{
	char parts[600], rate[64];
	size_t off = 0;

	snprintf(rate, sizeof(rate), "over the rate limit of %d a second per source", g->rate);
	off = summary_part(g, SNMP_TRAP_DROP_RATE, rate, parts, off, sizeof(parts));
	off =
	    summary_part(g, SNMP_TRAP_DROP_REJECTED,
			 "rejected (community or user not accepted, not authenticated, malformed)",
			 parts, off, sizeof(parts));
	off = summary_part(g, SNMP_TRAP_DROP_UNKNOWN_SOURCE, "from an address of no device", parts,
			   off, sizeof(parts));
	if (off)
		log_warnx("snmp_trap", NULL, "traps dropped in the last %llds: %s",
			  (long long)((now - g->summary_start_ms + 500) / 1000), parts);
	memset(g->interval, 0, sizeof(g->interval));
	g->summary_start_ms = now;
}

static void on_tick(struct loop *loop, void *arg)
{
	struct trap_guard *g = arg;
	int64_t now = loop_now_ms(loop);

	self_metrics_publish(g, now);
	if (now - g->summary_start_ms >= g->summary_ms)
		summary_log(g, now);
	holds_prune(g, now);
	g->tick = loop_timer_add(loop, GUARD_TICK_MS, on_tick, g);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

struct trap_guard *trap_guard_new(const struct poller_env *env, const struct cfg_snmp_trap *tc)
{
	struct trap_guard *g = calloc(1, sizeof(*g));
	if (!g || !(g->src = calloc(SRC_SLOTS, sizeof(*g->src)))) {
		free(g);
		return NULL;
	}
	g->env = env;
	g->rate = tc->source_rate > 0 ? tc->source_rate : 1;
	g->repoll_ms = tc->repoll_min_interval_ms;
	g->summary_ms = tc->summary_interval_ms;
	g->summary_start_ms = env->loop ? loop_now_ms(env->loop) : clock_mono_ms();
	self_metrics_new(g);
	self_metrics_publish(g, g->summary_start_ms);
	if (env->loop)
		g->tick = loop_timer_add(env->loop, GUARD_TICK_MS, on_tick, g);
	return g;
}

void trap_guard_free(struct trap_guard *g)
{
	if (!g)
		return;
	if (g->env->loop)
		loop_timer_cancel(g->env->loop, g->tick);
	for (size_t i = 0; i < g->nholds; i++)
		hold_free(g, g->holds[i]);
	free(g->holds);
	free(g->src);
	free(g);
}

uint64_t trap_guard_received(const struct trap_guard *g)
{
	return g->received;
}

uint64_t trap_guard_dropped(const struct trap_guard *g, enum snmp_trap_drop why)
{
	return g->dropped[why];
}
