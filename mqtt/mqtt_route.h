/* Topic -> subscription and device routes of a config (mqtt_route.c).  Loop thread. */
#ifndef DCMON_MQTT_ROUTE_H
#define DCMON_MQTT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/config.h"
#include "dcmon/mqtt.h"

struct mqtt_route {
	const char *filter;             /* the config's topic filter */
	const struct cfg_mqtt_sub *sub; /* NULL: the last will of dev */
	const struct cfg_device *dev;   /* NULL: the device is a level of the topic */
	long next;                      /* next exact route with the same hash, or -1 */
	bool wild;                      /* the filter has + or # (matched by a scan) */
};

struct metric;

#define MQTT_MEMO_INLINE 39 /* bytes of a topic kept in its slot; longer ones on the heap */

/* A topic that goes to one scalar route and no other, remembered with its metric once a
 * value of it went in: the next ones skip the routes' filters, the topic's levels, the
 * device and the registry's key.  One cache line, the topic within it when it fits. */
struct mqtt_memo {
	uint64_t hash;                  /* of the topic: most misses end without a compare */
	struct metric *metric;
	uint32_t route;                 /* its index in mqtt_routes.v */
	uint16_t len;                   /* the topic's bytes */
	union {
		char text[MQTT_MEMO_INLINE + 1]; /* len <= MQTT_MEMO_INLINE */
		char *heap;                      /* longer */
	} topic;
};
_Static_assert(sizeof(struct mqtt_memo) == 64, "a memo slot is one cache line");

/* Every route of a config; pointers into the config, which must outlive them. */
struct mqtt_routes {
	struct mqtt_route *v;
	size_t n, cap;
	long *heads;     /* exact filters by hash, -1 = none */
	size_t nheads;   /* a power of two */
	bool has_wild;   /* some filter has + or # */
	bool has_exact;  /* some filter has neither (else no hash of the topic) */
	/* The topics in the order they were first seen, found by an index (open
	 * addressing, at most half full) or, first, as the one after the last found:
	 * publishers send their topics in the same order again and again, so that the
	 * memo is then read in sequence, not at random (a cache miss each).  Valid while
	 * the config and the registry's metrics are, that is until a reload, which builds
	 * the routes anew. */
	struct mqtt_memo *memo;  /* nindex / 2 of them */
	size_t nmemo;            /* used */
	uint32_t *index;         /* memo entry + 1; 0 = a free slot */
	size_t nindex;           /* a power of two, or 0 */
	size_t memo_next;        /* the entry after the last found */
};

void mqtt_routes_build(struct mqtt_routes *r, const struct cfg *cfg);
void mqtt_routes_free(struct mqtt_routes *r);
/* The memo of topic, or NULL. */
const struct mqtt_memo *mqtt_routes_memo(struct mqtt_routes *r, const char *topic);
/* Remembers that topic, the only route's topic, went to metric; the memo grows to 2
 * topics (4 slots of its index) for each of nseries (the registry's series: bounded however many topics a wildcard
 * takes), then begins anew. */
void mqtt_routes_remember(struct mqtt_routes *r, const struct mqtt_route *route,
			  const char *topic, struct metric *metric, size_t nseries);
/* Calls fn for every route whose filter matches topic. */
void mqtt_routes_match(const struct mqtt_routes *r, const char *topic,
		       void (*fn)(void *arg, const struct mqtt_route *route), void *arg);

#endif
