/* The routes of a config: which subscription (or last will) a topic goes to, and for
 * which device.  Exact topics are found through a hash table, filters with + or # by a
 * scan (mosquitto_topic_matches_sub). */
#include "mqtt_route.h"

#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strhash.h"
#include "dcmon/vec.h"

static void routes_push(struct mqtt_routes *r, const char *filter,
			const struct cfg_mqtt_sub *sub, const struct cfg_device *dev)
{
	struct mqtt_route *v = vec_grow(r->v, &r->cap, r->n, sizeof(*v), 16);
	if (!v)
		abort();
	r->v = v;
	r->v[r->n++] = (struct mqtt_route){.filter = filter, .sub = sub, .dev = dev, .next = -1};
}

static bool has_wildcard(const char *filter)
{
	return strpbrk(filter, "+#") != NULL;
}

/* Chains the exact routes by hash: heads[h] is the first, route.next the others. */
static void routes_index(struct mqtt_routes *r)
{
	r->nheads = 1;
	while (r->nheads < 2 * r->n)
		r->nheads *= 2;
	r->heads = malloc(r->nheads * sizeof(*r->heads));
	if (!r->heads)
		abort();
	for (size_t i = 0; i < r->nheads; i++)
		r->heads[i] = -1;
	for (size_t i = r->n; i-- > 0;) {
		if (has_wildcard(r->v[i].filter)) {
			r->v[i].wild = true;
			r->has_wild = true;
			continue;
		}
		r->has_exact = true;
		size_t h = strhash(r->v[i].filter) & (r->nheads - 1);
		r->v[i].next = r->heads[h];
		r->heads[h] = (long)i;
	}
}

void mqtt_routes_build(struct mqtt_routes *r, const struct cfg *cfg)
{
	*r = (struct mqtt_routes){0};
	const struct cfg_mqtt *mc = mqtt_cfg_of(cfg);
	for (size_t i = 0; mc && i < mc->nsubs; i++)
		routes_push(r, mc->subs[i].topic, &mc->subs[i], NULL);
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *dev = &cfg->devices[i];
		const struct cfg_mqtt_device *md = mqtt_device_cfg(dev);
		for (size_t j = 0; md && j < md->ntopics; j++)
			routes_push(r, md->topics[j].topic, &md->topics[j], dev);
		if (md && md->lwt)
			routes_push(r, md->lwt, NULL, dev);
	}
	routes_index(r);
}

static const char *memo_topic(const struct mqtt_memo *m)
{
	return m->len <= MQTT_MEMO_INLINE ? m->topic.text : m->topic.heap;
}

static void memo_forget(struct mqtt_memo *memo, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memo[i].len > MQTT_MEMO_INLINE)
			free(memo[i].topic.heap);
}

static void memo_free(struct mqtt_memo *memo, size_t n)
{
	memo_forget(memo, n);
	free(memo);
}

void mqtt_routes_free(struct mqtt_routes *r)
{
	free(r->v);
	free(r->heads);
	memo_free(r->memo, r->nmemo);
	free(r->index);
	*r = (struct mqtt_routes){0};
}

void mqtt_routes_match(const struct mqtt_routes *r, const char *topic,
		       void (*fn)(void *arg, const struct mqtt_route *route), void *arg)
{
	if (r->has_exact) {
		size_t h = strhash(topic) & (r->nheads - 1);
		for (long i = r->heads[h]; i >= 0; i = r->v[i].next)
			if (!strcmp(r->v[i].filter, topic))
				fn(arg, &r->v[i]);
	}
	for (size_t i = 0; r->has_wild && i < r->n; i++) {
		bool match = false;
		if (r->v[i].wild &&
		    mosquitto_topic_matches_sub(r->v[i].filter, topic, &match) == MOSQ_ERR_SUCCESS &&
		    match)
			fn(arg, &r->v[i]);
	}
}

#define MEMO_FIRST 64 /* slots of a new memo's index */

static uint64_t memo_hash(const char *topic)
{
	uint64_t h = strhash(topic);
	return h ^ (h >> 29);
}

static bool memo_is(const struct mqtt_memo *m, const char *topic, size_t len)
{
	return m->len == len && !memcmp(memo_topic(m), topic, len);
}

/* The index slot of topic: its own, or the free one where it would go (linear probing; at
 * most half the slots are used, so there is one). */
static uint32_t *index_slot(const struct mqtt_routes *r, const char *topic, size_t len,
			    uint64_t h)
{
	size_t mask = r->nindex - 1, i = h & mask;
	while (r->index[i] && (r->memo[r->index[i] - 1].hash != h ||
			       !memo_is(&r->memo[r->index[i] - 1], topic, len)))
		i = (i + 1) & mask;
	return &r->index[i];
}

const struct mqtt_memo *mqtt_routes_memo(struct mqtt_routes *r, const char *topic)
{
	if (!r->nmemo)
		return NULL;
	size_t len = strlen(topic);
	const struct mqtt_memo *m = &r->memo[r->memo_next < r->nmemo ? r->memo_next : 0];
	if (!memo_is(m, topic, len)) {
		uint32_t e = *index_slot(r, topic, len, memo_hash(topic));
		if (!e)
			return NULL;
		m = &r->memo[e - 1];
	}
	r->memo_next = (size_t)(m - r->memo) + 1;
	return m;
}

/* Room for one more: twice the index while the registry's series allow it (4 slots a
 * series, however many topics a wildcard takes), else a memo forgotten and begun anew.
 * false when out of memory. */
static bool memo_room(struct mqtt_routes *r, size_t nseries)
{
	if (r->nindex && 2 * (r->nmemo + 1) <= r->nindex)
		return true;
	if (r->nindex && r->nindex >= 4 * nseries) {
		memo_forget(r->memo, r->nmemo);
		memset(r->index, 0, r->nindex * sizeof(*r->index));
		r->nmemo = r->memo_next = 0;
		return true;
	}
	size_t n = r->nindex ? 2 * r->nindex : MEMO_FIRST;
	if (n > UINT32_MAX)
		return false;
	/* entries on cache lines: reading one is one line */
	struct mqtt_memo *memo = aligned_alloc(64, n / 2 * sizeof(*memo));
	uint32_t *index = calloc(n, sizeof(*index));
	if (!memo || !index) {
		free(memo);
		free(index);
		return false;
	}
	if (r->nmemo)
		memcpy(memo, r->memo, r->nmemo * sizeof(*memo));
	free(r->memo);
	free(r->index);
	r->memo = memo;
	r->index = index;
	r->nindex = n;
	for (size_t i = 0; i < r->nmemo; i++)
		*index_slot(r, memo_topic(&memo[i]), memo[i].len, memo[i].hash) = (uint32_t)i + 1;
	return true;
}

void mqtt_routes_remember(struct mqtt_routes *r, const struct mqtt_route *route,
			  const char *topic, struct metric *metric, size_t nseries)
{
	size_t len = strlen(topic);
	if (!len || len > UINT16_MAX || !memo_room(r, nseries))
		return;
	uint64_t h = memo_hash(topic);
	uint32_t *slot = index_slot(r, topic, len, h);
	if (*slot) {
		r->memo[*slot - 1].metric = metric;
		r->memo[*slot - 1].route = (uint32_t)(route - r->v);
		return;
	}
	struct mqtt_memo m = {.hash = h, .metric = metric, .route = (uint32_t)(route - r->v),
			      .len = (uint16_t)len};
	if (len <= MQTT_MEMO_INLINE)
		memcpy(m.topic.text, topic, len + 1);
	else if (!(m.topic.heap = strdup(topic)))
		return;
	r->memo[r->nmemo] = m;
	*slot = (uint32_t)++r->nmemo;
}
