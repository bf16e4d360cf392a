/* The MQTT publisher (mqtt_publish.h).
 *
 * Two queues.  State messages (a metric's value or quality changed) wait in a ring of
 * `queue` entries, at most one per metric: a newer one replaces it in place, since the
 * topics are retained and the latest wins.  When the ring is full the oldest goes,
 * counted.  Alert events wait in
 * the durable outbox (mqtt_outbox.h) first and then, while there is room, in a ring of
 * `events_queue` entries, the window of the outbox handed to libmosquitto; they leave
 * both only when the broker acknowledged them (QoS 1).  While the broker is down they
 * wait, and go out in order when it is back, after a restart too.  An event the ring
 * has no room for waits in the outbox only and is read back as the ring empties; only
 * when the outbox cannot be written and the ring is full is one lost (counted, logged). */
#include "mqtt_publish.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/change.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/outbox.h"

#define FLUSH_MS 5          /* a queued message waits this long for others (one wake-up) */
/* Messages of QoS 1 handed to libmosquitto and not acknowledged yet, of each queue:
 * beyond its own in-flight window (20) libmosquitto queues them unseen and unbounded. */
#define INFLIGHT_MAX 64
#define TOPIC_MAX 512       /* bytes of a state topic */
#define DROP_LOG_MS 60000   /* drops are logged at most this often */
#define ACKED (-1)          /* an event's mid once the broker acknowledged it */

struct pub_msg {
	char *topic;   /* NULL: the events topic */
	char *payload;
	int mid;       /* events: 0 waiting, > 0 handed, ACKED */
	int64_t seq;   /* events: the number in the outbox */
};

/* A ring of messages. */
struct ring {
	struct pub_msg *v;
	size_t cap, head, n;
	uint64_t popped; /* messages that left the ring: the one at the head is number popped */
};

/* What was last published of a metric (its topic built once). */
struct seen {
	const struct metric *m; /* NULL = free slot */
	char *topic;
	double value;
	enum metric_quality quality;
	uint64_t queued;        /* 1 + the ring number of its message still waiting, or 0 */
};

struct mqtt_pub {
	const struct poller_env *env;
	const struct cfg_mqtt_publish *pc;
	struct change_bus *bus;
	struct mosquitto *mosq;
	bool up;
	void (*sync)(void *arg);
	void *sync_arg;
	char *status_topic, *events_topic, *heartbeat_topic;
	struct ring values, events;
	struct outbox *outbox;
	char *node;             /* the events' origin */
	int64_t loaded_seq;     /* the newest event in the ring (or lost) */
	bool spilled;           /* events wait in the outbox that the ring has no room for */
	size_t outbox_n;        /* events in the outbox */
	size_t handed;          /* events at the head of the ring handed to libmosquitto */
	size_t values_unacked;  /* state messages of QoS 1 handed and not acknowledged */
	struct seen *seen;      /* open addressing by metric pointer */
	size_t seen_cap, seen_n;
	double tokens;          /* of max_rate: state messages that may go now */
	int64_t tokens_ms;
	struct loop_timer *timer;
	struct loop_timer *heartbeat; /* the next heartbeat, while the link is up */
	uint64_t values_dropped, events_dropped;
	int64_t drop_logged_ms;
};

/* ---- queues ---------------------------------------------------------------------- */

static int ring_init(struct ring *r, size_t cap)
{
	*r = (struct ring){.cap = cap};
	return (r->v = calloc(cap, sizeof(*r->v))) ? 0 : -1;
}

static struct pub_msg *ring_at(struct ring *r, size_t i)
{
	return &r->v[(r->head + i) % r->cap];
}

static void ring_pop(struct ring *r)
{
	struct pub_msg *m = ring_at(r, 0);
	free(m->topic);
	free(m->payload);
	r->head = (r->head + 1) % r->cap;
	r->n--;
	r->popped++;
}

static void ring_free(struct ring *r)
{
	while (r->n)
		ring_pop(r);
	free(r->v);
}

static void log_drops(struct mqtt_pub *p)
{
	int64_t now = loop_now_ms(p->env->loop);
	if (p->drop_logged_ms && now - p->drop_logged_ms < DROP_LOG_MS)
		return;
	p->drop_logged_ms = now;
	log_warnx("mqtt", NULL, "publish: queues full (broker down or slow): %llu state "
		  "messages superseded, %llu alert events lost so far (publish.queue %d, "
		  "publish.events_queue %d)", (unsigned long long)p->values_dropped,
		  (unsigned long long)p->events_dropped, p->pc->queue, p->pc->events_queue);
}

static void on_timer(struct loop *loop, void *arg);

static void schedule(struct mqtt_pub *p, int64_t delay_ms)
{
	if (p->up && !p->timer)
		p->timer = loop_timer_add(p->env->loop, delay_ms, on_timer, p);
}

/* A state message: takes topic and payload (malloc'ed). */
static void enqueue_value(struct mqtt_pub *p, char *topic, char *payload)
{
	struct ring *r = &p->values;
	if (!payload) {
		free(topic);
		return;
	}
	if (r->n == r->cap) {
		ring_pop(r); /* superseded by a later message of its retained topic */
		p->values_dropped++;
		log_drops(p);
	}
	*ring_at(r, r->n++) = (struct pub_msg){.topic = topic, .payload = payload};
	schedule(p, FLUSH_MS);
}

/* An event at the end of the ring (which has room); takes payload. */
static void ring_event(struct mqtt_pub *p, int64_t seq, char *payload)
{
	*ring_at(&p->events, p->events.n++) = (struct pub_msg){.payload = payload, .seq = seq};
	p->loaded_seq = seq;
}

static void load_one(void *arg, int64_t seq, const char *payload)
{
	struct mqtt_pub *p = arg;
	char *copy = strdup(payload);
	if (copy)
		ring_event(p, seq, copy);
}

/* Fills the ring's room with the outbox's events that wait there only. */
static void refill_events(struct mqtt_pub *p)
{
	size_t room = p->events.cap - p->events.n;
	if (!p->spilled || !room)
		return;
	if (outbox_load(p->outbox, p->loaded_seq, room, load_one, p) < room)
		p->spilled = false;
	if (p->events.n)
		schedule(p, FLUSH_MS);
}

/* The metric's message still waiting in the values ring, or NULL. */
static struct pub_msg *waiting(struct mqtt_pub *p, const struct seen *s)
{
	struct ring *r = &p->values;
	if (!s->queued || s->queued - 1 < r->popped)
		return NULL;
	return ring_at(r, (size_t)(s->queued - 1 - r->popped));
}

/* ---- sending --------------------------------------------------------------------- */

static int send_msg(struct mqtt_pub *p, const char *topic, const char *payload, int qos,
		    bool retain, int *mid)
{
	return mosquitto_publish(p->mosq, mid, topic, (int)strlen(payload), payload, qos, retain);
}

/* Events go first, in order, at most INFLIGHT_MAX unacknowledged. */
static void hand_events(struct mqtt_pub *p)
{
	while (p->handed < p->events.n && p->handed < INFLIGHT_MAX &&
	       !mosquitto_want_write(p->mosq)) {
		struct pub_msg *m = ring_at(&p->events, p->handed);
		if (send_msg(p, p->events_topic, m->payload, 1, false, &m->mid) != MOSQ_ERR_SUCCESS)
			return;
		p->handed++;
	}
}

/* The state messages max_rate lets go now: the bucket fills at max_rate a second and
 * holds at most one second's worth. */
static double refill(struct mqtt_pub *p)
{
	if (!p->pc->max_rate)
		return INFINITY;
	int64_t now = loop_now_ms(p->env->loop);
	p->tokens += (double)(now - p->tokens_ms) * p->pc->max_rate / 1000.0;
	if (p->tokens > p->pc->max_rate)
		p->tokens = p->pc->max_rate;
	p->tokens_ms = now;
	return p->tokens;
}

static void send_values(struct mqtt_pub *p)
{
	double tokens = refill(p);
	while (p->values.n && tokens >= 1 && !mosquitto_want_write(p->mosq) &&
	       p->values_unacked < INFLIGHT_MAX) {
		struct pub_msg *m = ring_at(&p->values, 0);
		if (send_msg(p, m->topic, m->payload, p->pc->qos, p->pc->retain, NULL) !=
		    MOSQ_ERR_SUCCESS)
			break;
		ring_pop(&p->values);
		p->values_unacked += p->pc->qos > 0;
		tokens--;
	}
	if (p->pc->max_rate)
		p->tokens = tokens;
	if (p->values.n && tokens < 1) /* held by the rate: back when one may go */
		schedule(p, 1 + 1000 / p->pc->max_rate);
}

void mqtt_pub_flush(struct mqtt_pub *p)
{
	if (!p || !p->up)
		return;
	hand_events(p);
	send_values(p);
	p->sync(p->sync_arg);
}

static void on_timer(struct loop *loop, void *arg)
{
	struct mqtt_pub *p = arg;
	(void)loop;
	p->timer = NULL;
	mqtt_pub_flush(p);
}

bool mqtt_pub_awaits_acks(const struct mqtt_pub *p)
{
	return p && (p->handed || p->values_unacked);
}

bool mqtt_pub_backlog(const struct mqtt_pub *p)
{
	return p && p->outbox_n > p->handed;
}

void mqtt_pub_acked(struct mqtt_pub *p, int mid)
{
	if (!p)
		return;
	size_t i = 0;
	while (i < p->handed && ring_at(&p->events, i)->mid != mid)
		i++;
	if (i < p->handed)
		ring_at(&p->events, i)->mid = ACKED;
	else if (p->values_unacked) /* a state message's (or "online"'s: one more turn) */
		p->values_unacked--;
	while (p->handed && ring_at(&p->events, 0)->mid == ACKED) {
		outbox_remove(p->outbox, ring_at(&p->events, 0)->seq);
		p->outbox_n -= p->outbox_n > 0;
		ring_pop(&p->events);
		p->handed--;
	}
	refill_events(p);
}

/* The site's heartbeat (docs/MQTT.md "Hub"): retained, so that a hub that starts
 * later learns the site's last sign of life with its time; QoS 0, as the next one
 * replaces a lost one. */
static char *dump(json_t *o);

static void on_heartbeat(struct loop *loop, void *arg)
{
	struct mqtt_pub *p = arg;
	p->heartbeat = loop_timer_add(loop, p->pc->heartbeat_ms, on_heartbeat, p);
	char *payload = dump(json_pack("{s:s, s:I, s:I}", "origin", p->node, "ts",
				       (json_int_t)clock_wall_ms(), "interval_ms",
				       (json_int_t)p->pc->heartbeat_ms));
	if (payload) {
		send_msg(p, p->heartbeat_topic, payload, 0, true, NULL);
		p->sync(p->sync_arg);
	}
	free(payload);
}

/* Handed events stay with libmosquitto, which sends them again once reconnected. */
void mqtt_pub_link(struct mqtt_pub *p, bool up)
{
	if (!p)
		return;
	p->up = up;
	loop_timer_cancel(p->env->loop, p->heartbeat);
	p->heartbeat = NULL;
	if (!up) {
		loop_timer_cancel(p->env->loop, p->timer);
		p->timer = NULL;
		return;
	}
	send_msg(p, p->status_topic, "online", 1, true, NULL);
	on_heartbeat(p->env->loop, p);
	p->values_unacked = 0; /* those of the last link: libmosquitto sends them again */
	p->tokens_ms = loop_now_ms(p->env->loop);
	mqtt_pub_flush(p);
}

void mqtt_pub_goodbye(struct mqtt_pub *p)
{
	if (p && p->up)
		send_msg(p, p->status_topic, "offline", 1, true, NULL);
}

/* ---- what changed ---------------------------------------------------------------- */

/* A name as one topic level: the characters MQTT gives a meaning become '_'. */
static void level_cat(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);
	if (n + 1 >= len)
		return;
	buf[n++] = '/';
	for (; *name && n + 1 < len; name++)
		buf[n++] = strchr("/+#", *name) ? '_' : *name;
	buf[n] = '\0';
}

/* <prefix>/<site>/<device>/<metric>[/<instance>]; the site is "-" when unset. */
static char *state_topic(const struct mqtt_pub *p, const struct metric *m)
{
	char t[TOPIC_MAX];
	const struct cfg_device *dev = cfg_device_find(p->env->cfg, m->device);
	snprintf(t, sizeof(t), "%s", p->pc->prefix);
	level_cat(t, sizeof(t), dev && dev->loc.site ? dev->loc.site : "-");
	level_cat(t, sizeof(t), m->device);
	level_cat(t, sizeof(t), m->name);
	if (metric_inst(m))
		level_cat(t, sizeof(t), metric_inst(m));
	return strdup(t);
}

static size_t seen_slot(const struct seen *tab, size_t cap, const struct metric *m)
{
	size_t i = (size_t)(((uintptr_t)m >> 4) * 0x9e3779b97f4a7c15ull) & (cap - 1);
	while (tab[i].m && tab[i].m != m)
		i = (i + 1) & (cap - 1);
	return i;
}

static void seen_clear(struct mqtt_pub *p)
{
	for (size_t i = 0; i < p->seen_cap; i++)
		free(p->seen[i].topic);
	free(p->seen);
	p->seen = NULL;
	p->seen_cap = p->seen_n = 0;
}

static int seen_grow(struct mqtt_pub *p)
{
	size_t cap = p->seen_cap ? p->seen_cap * 2 : 1024;
	struct seen *tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -1;
	for (size_t i = 0; i < p->seen_cap; i++)
		if (p->seen[i].m)
			tab[seen_slot(tab, cap, p->seen[i].m)] = p->seen[i];
	free(p->seen);
	p->seen = tab;
	p->seen_cap = cap;
	return 0;
}

/* The metric's entry, made with its topic on its first report; NULL if out of memory. */
static struct seen *seen_get(struct mqtt_pub *p, const struct metric *m)
{
	if (2 * (p->seen_n + 1) > p->seen_cap && seen_grow(p) < 0)
		return NULL;
	struct seen *s = &p->seen[seen_slot(p->seen, p->seen_cap, m)];
	if (!s->m) {
		if (!(s->topic = state_topic(p, m)))
			return NULL;
		*s = (struct seen){.m = m, .topic = s->topic, .value = NAN,
				   .quality = QUALITY_UNKNOWN};
		p->seen_n++;
	}
	return s;
}

static bool same_value(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

static void set_number(json_t *o, const char *key, double v)
{
	json_object_set_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

static char *dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static char *state_payload(const struct metric *m)
{
	bool ok = m->quality == QUALITY_OK;
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "ts", (json_int_t)m->ts_ms,
			      "device", m->device, "metric", m->name, "unit", m->shape->unit,
			      "kind", metric_kind_name(m->kind), "quality",
			      metric_quality_name(m->quality));
	if (!o)
		return NULL;
	set_number(o, "value", ok ? m->value : NAN);
	if (metric_inst(m))
		json_object_set_new(o, "instance", json_string(metric_inst(m)));
	const char *state = ok && m->kind == METRIC_STATE ? metric_enum_name(m, (int)m->value) :
							      NULL;
	if (state)
		json_object_set_new(o, "state", json_string(state));
	if (!ok && m->reason[0])
		json_object_set_new(o, "reason", json_string(m->reason));
	return dump(o);
}

/* A metric reported: published when its value or quality moved. */
static void on_metric(struct mqtt_pub *p, const struct metric *m)
{
	struct seen *s = seen_get(p, m);
	double v = m->quality == QUALITY_OK ? m->value : NAN;
	if (!s || (s->quality == m->quality && same_value(s->value, v)))
		return;
	s->quality = m->quality;
	s->value = v;
	struct pub_msg *w = waiting(p, s);
	char *payload = state_payload(m);
	if (w && payload) { /* the topic is retained: the newer message replaces it */
		free(w->payload);
		w->payload = payload;
		return;
	}
	if (!payload)
		return;
	enqueue_value(p, strdup(s->topic), payload);
	s->queued = p->values.popped + p->values.n;
}

/* The event's JSON; origin, incarnation and seq make its stable id (docs/MQTT.md). */
static char *event_payload(const struct mqtt_pub *p, const struct alert_event *ev,
			   int64_t seq)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:b}",
			      "origin", p->node, "incarnation",
			      (json_int_t)outbox_incarnation(p->outbox), "seq", (json_int_t)seq,
			      "id", (json_int_t)ev->alert_id, "event", alert_event_type_name(ev->type),
			      "ts", (json_int_t)ev->ts_ms, "rule", ev->rule, "device", ev->device,
			      "metric", ev->metric, "state", alert_state_name(ev->state),
			      "severity", cfg_severity_name(ev->severity), "since",
			      (json_int_t)ev->since_ms, "acked", ev->acked);
	if (!o)
		return NULL;
	const struct { const char *key, *v; } optional[] = {
		{"instance", ev->inst}, {"unit", ev->unit}, {"summary", ev->summary},
		{"site", ev->site},     {"room", ev->room}, {"tenant", ev->tenant},
		{"kind", ev->kind},     {"ack_by", ev->ack_by}, {"ack_comment", ev->ack_comment},
	};
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		if (optional[i].v)
			json_object_set_new(o, optional[i].key, json_string(optional[i].v));
	const struct { const char *key; double v; } numbers[] = {
		{"value", ev->value}, {"warn", ev->warn}, {"crit", ev->crit},
	};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		set_number(o, numbers[i].key, numbers[i].v);
	if (ev->fired_ms)
		json_object_set_new(o, "fired", json_integer(ev->fired_ms));
	return dump(o);
}

/* Committed to the outbox before anything else; in the ring too when it has room and
 * no older event waits in the outbox only (the order stays). */
static void enqueue_event(struct mqtt_pub *p, const struct alert_event *ev)
{
	int64_t seq = outbox_next_seq(p->outbox);
	char *payload = event_payload(p, ev, seq);
	if (!payload)
		return;
	bool durable = outbox_add(p->outbox, seq, payload) == 0;
	p->outbox_n += durable;
	if (p->events.n < p->events.cap && !p->spilled) {
		ring_event(p, seq, payload);
		schedule(p, FLUSH_MS);
		return;
	}
	free(payload);
	if (durable) {
		p->spilled = true;
		return;
	}
	p->events_dropped++;
	log_drops(p);
}

static bool event_wanted(const struct mqtt_pub *p, enum alert_event_type t)
{
	enum mqtt_pub_kind k = t == ALERT_EV_CHANGED    ? MQTT_PUB_TRANSITIONS :
			       alert_event_notifies(t) ? MQTT_PUB_ALERTS :
							 MQTT_PUB_KINDS; /* CURRENT */
	return k != MQTT_PUB_KINDS && (p->pc->kind_mask & 1u << k);
}

static void on_change(void *arg, const struct change *c)
{
	struct mqtt_pub *p = arg;
	if (c->kind == CHANGE_METRIC && (p->pc->kind_mask & 1u << MQTT_PUB_VALUES)) {
		on_metric(p, c->metric);
	} else if (c->kind == CHANGE_ALERT && event_wanted(p, alert_event_of(c)->type)) {
		enqueue_event(p, alert_event_of(c));
	} else if (c->kind == CHANGE_CONFIG) {
		seen_clear(p); /* sites may have moved, metrics gone: topics anew */
	}
}

/* ---- life ------------------------------------------------------------------------ */

/* Opens <state_dir>/mqtt_outbox.db (in memory without a state directory) and puts
 * what it holds in the ring: it goes out first once connected. */
static int outbox_start(struct mqtt_pub *p, char *err, size_t errlen)
{
	char path[4096];
	const char *dir = p->env->cfg->daemon.state_dir;
	if (dir && snprintf(path, sizeof(path), "%s/mqtt_outbox.db", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "mqtt: state_dir too long");
		return -1;
	}
	if (!(p->outbox = outbox_open(dir ? path : NULL, "mqtt", err, errlen)))
		return -1;
	p->outbox_n = outbox_count(p->outbox);
	p->spilled = p->outbox_n > 0;
	refill_events(p);
	if (p->outbox_n)
		log_info("mqtt", NULL, "publish: %zu alert events of the outbox %s wait for the "
			 "broker", p->outbox_n, path);
	return 0;
}

struct mqtt_pub *mqtt_pub_new(const struct poller_env *env, const struct cfg_mqtt_publish *pc,
			      struct change_bus *bus, struct mosquitto *mosq, const char *node,
			      void (*sync)(void *arg), void *arg, char *err, size_t errlen)
{
	char t[TOPIC_MAX];
	struct mqtt_pub *p = calloc(1, sizeof(*p));
	snprintf(err, errlen, "mqtt: cannot set up publishing: out of memory");
	if (!p)
		return NULL;
	*p = (struct mqtt_pub){.env = env, .pc = pc, .bus = bus, .mosq = mosq, .sync = sync,
			       .sync_arg = arg, .tokens = pc->max_rate, .node = strdup(node)};
	snprintf(t, sizeof(t), "%s/_events", pc->prefix);
	p->events_topic = strdup(t);
	snprintf(t, sizeof(t), "%s/_heartbeat", pc->prefix);
	p->heartbeat_topic = strdup(t);
	snprintf(t, sizeof(t), "%s/_status", pc->prefix);
	level_cat(t, sizeof(t), node);
	p->status_topic = strdup(t);
	if (!p->events_topic || !p->status_topic || !p->heartbeat_topic || !p->node ||
	    ring_init(&p->values, (size_t)pc->queue) ||
	    ring_init(&p->events, (size_t)pc->events_queue) || outbox_start(p, err, errlen) < 0 ||
	    mosquitto_will_set(mosq, p->status_topic, 7, "offline", 1, true) != MOSQ_ERR_SUCCESS ||
	    /* both windows and the availability message on the wire at once: acks are read
	     * in batches (READ_PAUSE_MS), and a window of 20 would bound QoS 1 to 1000/s */
	    mosquitto_max_inflight_messages_set(mosq, 2 * INFLIGHT_MAX + 2) != MOSQ_ERR_SUCCESS ||
	    change_subscribe(bus, CHANGE_MASK(CHANGE_METRIC) | CHANGE_MASK(CHANGE_ALERT) |
					  CHANGE_MASK(CHANGE_CONFIG), on_change, p) < 0) {
		mqtt_pub_free(p);
		return NULL;
	}
	return p;
}

void mqtt_pub_reconfig(struct mqtt_pub *p, const struct cfg_mqtt_publish *pc)
{
	if (p)
		p->pc = pc;
}

void mqtt_pub_stats(const struct mqtt_pub *p, struct mqtt_pub_stats *st)
{
	*st = (struct mqtt_pub_stats){.values_queued = p->values.n, .events_queued = p->outbox_n,
				      .values_dropped = p->values_dropped,
				      .events_dropped = p->events_dropped};
}

void mqtt_pub_free(struct mqtt_pub *p)
{
	if (!p)
		return;
	change_unsubscribe(p->bus, on_change, p);
	loop_timer_cancel(p->env->loop, p->timer);
	loop_timer_cancel(p->env->loop, p->heartbeat);
	if (p->outbox_n)
		log_info("mqtt", NULL, "publish: %zu alert events not acknowledged by the broker "
			 "stay in the outbox", p->outbox_n);
	ring_free(&p->values);
	ring_free(&p->events);
	outbox_close(p->outbox);
	free(p->node);
	seen_clear(p);
	free(p->status_topic);
	free(p->events_topic);
	free(p->heartbeat_topic);
	free(p);
}
