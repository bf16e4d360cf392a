/* The MQTT client, driven from our loop: libmosquitto's socket is one more watcher,
 * mosquitto_loop_read/write run when it is ready and mosquitto_loop_misc (keep-alive)
 * on a 1 s timer, so no thread of its own and no hand-over: a message is mapped and
 * reported on the loop thread, where the registry lives.  Reconnects back off from 1 s
 * to reconnect_max.  Connecting does not block for a numeric host (the socket connects
 * and TLS shakes hands non-blocking); a name is resolved by getaddrinfo (/etc/hosts). */
#include "mqtt_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/strhash.h"
#include "mqtt_command.h"
#include "mqtt_hub.h"
#include "mqtt_publish.h"
#include "mqtt_route.h"

#define MISC_MS 1000            /* keep-alive and reconnect check */
#define BACKOFF_MIN_MS 1000     /* first reconnect delay */
#define TOPIC_LOG_SLOTS 256     /* topics remembered for "once per topic per interval" */
#define PASSWORD_MAX 256        /* bytes of a password */
/* After a read that brought something, the socket is left unwatched this long (ms) and
 * then read again without asking epoll: a busy stream is read in batches, one timer
 * wake-up per READ_PAUSE_MS and no epoll_ctl, rather than one wake-up and several reads
 * per message, which cost 5 times the message itself.  A read that finds nothing hands
 * the socket back to epoll.  The latency it adds (READ_PAUSE_MS at most) is below a poll
 * interval's resolution (docs/MQTT.md "Wake-ups").  While our QoS 1 messages wait for
 * their acks the pause is ACK_PAUSE_MS: the publisher's window of 64 unacknowledged
 * messages a pause would otherwise bound it to 640 a second.  A drain that stopped at
 * DRAIN_MAX goes on at the loop's next turn. */
#define READ_PAUSE_MS 100
#define ACK_PAUSE_MS 20
#define DRAIN_MAX 4096          /* packets read in one go, so that nothing else waits */
/* TLS read-ahead buffer (bytes): one read(2) brings this much of the stream (hundreds of
 * small messages' records), which the three SSL_read calls of each packet then take from
 * memory (docs/MQTT.md "TLS read-ahead"). */
#define TLS_READ_BUFFER (64 * 1024)
#define OWN_MIDS 256            /* commands and replies unacknowledged, tracked at most */

/* What the broker told us about a device and what its payloads did. */
struct dev_state {
	char *id;
	bool offline;        /* its last will said so */
	unsigned bad;        /* payload errors since the poller last asked */
	uint64_t bad_total;  /* since start */
	struct dev_state *next;
};

struct topic_log {
	uint64_t hash;   /* of the topic; 0 = free */
	int64_t last_ms; /* monotonic ms of its last complaint */
};

struct mqtt_client {
	const struct poller_env *env;
	const struct api_env *api;  /* commands run through it */
	struct change_bus *bus;
	struct mqtt_pub *pub;       /* NULL without a publish: section */
	struct mqtt_hub *hub;       /* NULL unless role: hub */
	const struct cfg_mqtt *mc;  /* of env->cfg (the config the routes point into) */
	struct mqtt_routes routes;
	struct mosquitto *mosq;
	int fd;                     /* watched socket, -1 = none */
	unsigned fd_events;
	bool connected;
	bool connecting;
	int64_t backoff_ms;
	int64_t reconnect_at;       /* monotonic ms; 0 = none due */
	struct loop_timer *misc;
	struct loop_timer *resume;  /* reading paused until it fires (READ_PAUSE_MS); what
				     * is left may also sit in TLS's read-ahead buffer,
				     * which wakes no poll */
	int64_t read_ms;            /* wall clock of this read: the arrival time of what it
				     * reads (one clock reading per batch, not per message) */
	char last_error[MQTT_WHY_MAX]; /* why the link is down; kept until it is up again */
	bool said;                  /* last_error is this connection attempt's */
	struct log_complaint link;  /* the broker link's complaints */
	struct dev_state *devs[256];
	struct topic_log topics[TOPIC_LOG_SLOTS];
	char *password;
	char client_id[128];        /* ours: a site's origin, a hub's name in its commands */
	char *cmd_key;              /* commands: the shared key, NULL = none */
	char cmd_topic[512];        /* site: <prefix>/_commands, "" = takes none */
	struct mqtt_cmd_applied *cmd_applied; /* site: the commands applied */
	int own_mids[OWN_MIDS];     /* our commands' and replies' publishes not yet acked */
	size_t nown;
};

/* The one client of the daemon, for the poller's questions.  Loop thread only. */
static struct mqtt_client *current;

static struct dev_state *dev_state(struct mqtt_client *c, const char *id)
{
	size_t h = strhash(id) % (sizeof(c->devs) / sizeof(c->devs[0]));
	for (struct dev_state *s = c->devs[h]; s; s = s->next)
		if (!strcmp(s->id, id))
			return s;
	struct dev_state *s = calloc(1, sizeof(*s));
	if (!s || !(s->id = strdup(id)))
		abort();
	s->next = c->devs[h];
	c->devs[h] = s;
	return s;
}

/* ---- values --------------------------------------------------------------------- */

struct delivery {
	struct mqtt_client *c;
	const struct cfg_device *dev;
	struct mqtt_sink sink;
	struct metric *put; /* the last metric given a value */
};

/* The unit of a configured metric without unit:: the last word of its name. */
static const char *unit_of(const struct mqtt_point *p)
{
	if (p->unit)
		return p->unit;
	if (p->kind == METRIC_STATE)
		return "";
	const char *u = strrchr(p->metric, '_');
	return u ? u + 1 : "";
}

static struct metric *point_metric(struct delivery *dl, const struct mqtt_point *p)
{
	struct metric_reg *reg = dl->c->env->reg;
	struct metric *m = metric_reg_find(reg, dl->dev->id, p->metric, p->inst);
	if (m)
		return m;
	struct metric_enum en[MQTT_STATES_MAX];
	size_t nen = 0;
	for (size_t i = 0; i < p->nstates && nen < MQTT_STATES_MAX; i++)
		en[nen++] = (struct metric_enum){.value = atoi(p->states[i].value),
						 .name = p->states[i].key};
	struct metric_desc desc = {.name = p->metric, .unit = unit_of(p), .kind = p->kind,
				   .inst_label = p->inst_label, .inst = p->inst,
				   .interval_ms = dl->dev->interval_ms, .enums = nen ? en : NULL,
				   .nenums = nen};
	return metric_reg_get(reg, dl->dev->id, &desc);
}

static void on_point(void *arg, const struct mqtt_point *p)
{
	struct delivery *dl = arg;
	struct metric *m = point_metric(dl, p);
	if (!m)
		return; /* a clash of kind or unit, or the series limit: the registry said so */
	if (p->error) {
		metric_put_error(dl->c->env->reg, m, dl->sink.ts_ms, p->error);
	} else {
		metric_put(dl->c->env->reg, m, dl->sink.ts_ms, p->value);
		dl->put = m;
	}
}

/* A payload unreadable as a whole is an error of the subscription's metrics (not of an
 * instance named by the topic: that one may not exist). */
static void sub_error(struct delivery *dl, const struct cfg_mqtt_sub *sub, const char *why)
{
	struct mqtt_point p = {.metric = sub->metric, .unit = sub->unit, .error = why,
			       .kind = mqtt_sub_kind(sub), .states = sub->states,
			       .nstates = sub->nstates};
	if (sub->format <= MQTT_FMT_COLLECTD && !sub->instance_level)
		on_point(dl, &p);
	for (size_t i = 0; sub->format == MQTT_FMT_JSON && i < sub->nvalues; i++) {
		const struct cfg_mqtt_value *v = &sub->values[i];
		p = (struct mqtt_point){.metric = v->metric, .unit = v->unit, .error = why,
					.kind = v->nstates ? METRIC_STATE :
						v->counter ? METRIC_COUNTER : METRIC_GAUGE,
					.states = v->states, .nstates = v->nstates};
		on_point(dl, &p);
	}
}

/* True once per topic per interval: the bad payloads of a topic are logged that often. */
static bool topic_may_log(struct mqtt_client *c, const char *topic, int64_t interval_ms)
{
	uint64_t h = strhash(topic) | 1;
	struct topic_log *t = &c->topics[h % TOPIC_LOG_SLOTS];
	int64_t now = loop_now_ms(c->env->loop);
	if (t->hash == h && now - t->last_ms < interval_ms)
		return false;
	*t = (struct topic_log){.hash = h, .last_ms = now};
	return true;
}

/* A reason may quote payload bytes (jansson's "near '...'"): only printable ASCII goes
 * to the log and the API. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void count_bad(struct delivery *dl, const char *topic, const char *why)
{
	struct dev_state *s = dev_state(dl->c, dl->dev->id);
	s->bad++;
	s->bad_total++;
	if (topic_may_log(dl->c, topic, dl->dev->interval_ms))
		log_warnx("mqtt", dl->dev->id, "bad payload on %s: %s (%llu so far)", topic, why,
			  (unsigned long long)s->bad_total);
}

static void deliver(struct delivery *dl, const struct cfg_mqtt_sub *sub,
		    const struct mosquitto_message *msg)
{
	char why[MQTT_WHY_MAX];
	if (msg->payloadlen > dl->c->mc->max_payload) {
		snprintf(why, sizeof(why), "%d bytes, over max_payload (%d)", msg->payloadlen,
			 dl->c->mc->max_payload);
	} else if (mqtt_map_payload(sub, msg->topic, msg->payload, (size_t)msg->payloadlen,
				    &dl->sink, why, sizeof(why)) == 0) {
		if (dl->sink.errors)
			count_bad(dl, msg->topic, "some values unreadable (see their reason)");
		return;
	}
	dl->sink.ts_ms = dl->sink.now_ms;
	printable(why);
	sub_error(dl, sub, why);
	count_bad(dl, msg->topic, why);
}

/* offline (any case), or zigbee2mqtt's {"state":"offline"}. */
static bool payload_says_offline(const struct mosquitto_message *msg, const char *offline)
{
	size_t n = strlen(offline);
	const char *p = msg->payload;
	if (msg->payloadlen < 0 || (size_t)msg->payloadlen > 256)
		return false;
	if ((size_t)msg->payloadlen == n && !strncasecmp(p, offline, n))
		return true;
	json_t *j = json_loadb(p, (size_t)msg->payloadlen, 0, NULL);
	const char *st = json_string_value(json_object_get(j, "state"));
	bool off = st && !strcasecmp(st, offline);
	json_decref(j);
	return off;
}

static void deliver_lwt(struct mqtt_client *c, const struct cfg_device *dev,
			const struct mosquitto_message *msg)
{
	struct dev_state *s = dev_state(c, dev->id);
	bool off = payload_says_offline(msg, mqtt_device_cfg(dev)->offline);
	if (off == s->offline)
		return;
	s->offline = off;
	log_msg(off ? LOG_LVL_WARN : LOG_LVL_INFO, "mqtt", dev->id, "last will topic %s: %s",
		msg->topic, off ? "offline" : "online");
	if (c->env->repoll)
		c->env->repoll(c->env->repoll_arg, dev->id);
}

struct arrival {
	struct mqtt_client *c;
	const struct mosquitto_message *msg;
	int64_t now_ms;
	size_t nroutes;                 /* routes whose filter took the topic */
	const struct mqtt_route *route; /* the last of them */
	struct metric *put;             /* the metric its scalar value went to, or NULL */
};

/* The device a route's message is for: its own, or the one a topic level names (a
 * configured device with an mqtt: section). */
static const struct cfg_device *route_device(struct arrival *a, const struct mqtt_route *r)
{
	char id[128];
	if (r->dev)
		return r->dev;
	if (!mqtt_topic_level(a->msg->topic, r->sub->device_level, id, sizeof(id)))
		return NULL;
	const struct cfg_device *dev = cfg_device_find(a->c->env->cfg, id);
	if ((!dev || !mqtt_device_cfg(dev)) &&
	    topic_may_log(a->c, a->msg->topic, a->c->env->cfg->daemon.interval_ms))
		log_warnx("mqtt", NULL, "%s: no device '%s' with an mqtt: section", a->msg->topic,
			  id);
	return dev && mqtt_device_cfg(dev) ? dev : NULL;
}

static bool scalar_route(const struct mqtt_route *r)
{
	return r->sub && r->sub->format <= MQTT_FMT_COLLECTD;
}

/* A scalar value of a topic seen before goes straight to its metric (the path of
 * on_route costs a message several times more: the routes' filters, the topic's levels,
 * the device, the registry's key).  false when it must take that path: topic not
 * remembered, payload not a value (its error is counted there). */
static bool deliver_remembered(struct arrival *a)
{
	const struct mqtt_memo *m = mqtt_routes_memo(&a->c->routes, a->msg->topic);
	struct mqtt_sink sink = {.now_ms = a->now_ms};
	double v;
	if (!m || a->msg->payloadlen > a->c->mc->max_payload ||
	    !mqtt_map_scalar(a->c->routes.v[m->route].sub, a->msg->payload,
			     (size_t)a->msg->payloadlen, &sink, &v))
		return false;
	metric_put(a->c->env->reg, m->metric, sink.ts_ms, v);
	return true;
}

static void on_route(void *arg, const struct mqtt_route *r)
{
	struct arrival *a = arg;
	a->nroutes++;
	a->route = r;
	a->put = NULL;
	const struct cfg_device *dev = route_device(a, r);
	if (!dev)
		return;
	if (!r->sub) {
		deliver_lwt(a->c, dev, a->msg);
		return;
	}
	struct delivery dl = {.c = a->c, .dev = dev,
			      .sink = {.point = on_point, .now_ms = a->now_ms}};
	dl.sink.arg = &dl;
	deliver(&dl, r->sub, a->msg);
	if (scalar_route(r))
		a->put = dl.put;
}

/* A topic that went to one route, a scalar one, and put a value is remembered with its
 * metric (deliver_remembered).  One route only: a topic that two filters take must
 * go to both. */
static void remember_topic(struct arrival *a)
{
	if (a->nroutes == 1 && a->put)
		mqtt_routes_remember(&a->c->routes, a->route, a->msg->topic, a->put,
				     metric_reg_count(a->c->env->reg));
}

/* The filter of the sites' heartbeats or replies: hub_topic's levels with last (the
 * config checked that it ends in /_events). */
static void sites_filter(const struct cfg_mqtt *mc, const char *last, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s/%s", (int)(strlen(mc->hub_topic) - strlen("/_events")),
		 mc->hub_topic, last);
}

static bool topic_matches(const char *filter, const char *topic)
{
	bool yes = false;
	return mosquitto_topic_matches_sub(filter, topic, &yes) == MOSQ_ERR_SUCCESS && yes;
}

/* A site's event, heartbeat or reply, for the hub: true when msg was one. */
static bool hub_message(struct mqtt_client *c, const struct mosquitto_message *msg)
{
	char filter[512];
	if (topic_matches(c->mc->hub_topic, msg->topic)) {
		mqtt_hub_event(c->hub, msg->topic, msg->payload, (size_t)msg->payloadlen,
			       loop_now_ms(c->env->loop));
		return true;
	}
	sites_filter(c->mc, "_replies", filter, sizeof(filter));
	if (c->cmd_key && topic_matches(filter, msg->topic)) {
		mqtt_hub_reply(c->hub, msg->topic, msg->payload, (size_t)msg->payloadlen, clock_wall_ms());
		return true;
	}
	sites_filter(c->mc, "_heartbeat", filter, sizeof(filter));
	if (!topic_matches(filter, msg->topic))
		return false;
	mqtt_hub_heartbeat(c->hub, msg->topic, msg->payload, (size_t)msg->payloadlen,
			   msg->retain, clock_wall_ms());
	return true;
}

static void pub_sync(void *arg);

/* Hands payload to the broker at QoS 1 (a command or a reply: the publisher's windows
 * do not count it): 0, or -1 when the broker is away. */
static int client_send(void *arg, const char *topic, const char *payload)
{
	struct mqtt_client *c = arg;
	int mid = 0;
	if (!c->connected || mosquitto_publish(c->mosq, &mid, topic, (int)strlen(payload), payload,
					       1, false) != MOSQ_ERR_SUCCESS)
		return -1;
	if (c->nown < OWN_MIDS)
		c->own_mids[c->nown++] = mid;
	pub_sync(c);
	return 0;
}

/* Was mid one of client_send's (then forgotten)? */
static bool own_mid(struct mqtt_client *c, int mid)
{
	for (size_t i = 0; i < c->nown; i++)
		if (c->own_mids[i] == mid) {
			c->own_mids[i] = c->own_mids[--c->nown];
			return true;
		}
	return false;
}

/* A command of the hub, for a site that takes them: applied, and answered on
 * <prefix>/_replies.  True when msg was one. */
static bool command_message(struct mqtt_client *c, const struct mosquitto_message *msg)
{
	char topic[512];
	if (!c->cmd_topic[0] || strcmp(msg->topic, c->cmd_topic))
		return false;
	char *reply = mqtt_cmd_apply(c->mc->commands, c->cmd_key, c->client_id, c->api, c->cmd_applied, msg->payload,
				     (size_t)msg->payloadlen, clock_wall_ms());
	snprintf(topic, sizeof(topic), "%s/_replies", c->mc->publish->prefix);
	if (reply && client_send(c, topic, reply) < 0)
		log_warnx("mqtt", NULL, "commands: a reply not sent (broker away): the hub "
			  "sends the command again");
	free(reply);
	return true;
}

static void on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg)
{
	struct mqtt_client *c = arg;
	struct arrival a = {.c = c, .msg = msg, .now_ms = c->read_ms ? c->read_ms : clock_wall_ms()};
	(void)mosq;
	if (c->hub && hub_message(c, msg))
		return;
	if (command_message(c, msg))
		return;
	if (deliver_remembered(&a))
		return;
	mqtt_routes_match(&a.c->routes, msg->topic, on_route, &a);
	remember_topic(&a);
}

/* ---- the link ------------------------------------------------------------------- */

/* A libmosquitto return code as words; EPROTO is how it ends a TLS session that failed
 * (OpenSSL's own words, when it has any, came through on_log first). */
static const char *rc_text(const struct mqtt_client *c, int rc)
{
	if (rc != MOSQ_ERR_ERRNO)
		return mosquitto_strerror(rc);
	if (errno == EPROTO && c->mc->ca_file)
		return "TLS handshake failed (the broker refused our certificate, or we its: "
		       "check ca_file, cert_file, key_file)";
	return strerror(errno);
}

/* Records why this attempt failed (the first, most precise, reason wins). */
static void link_error(struct mqtt_client *c, const char *fmt, const char *a, const char *b)
{
	if (c->said)
		return;
	snprintf(c->last_error, sizeof(c->last_error), fmt, a, b);
	c->said = true;
}

static void subscribe_all(struct mqtt_client *c)
{
	int rc;
	for (size_t i = 0; i < c->routes.n; i++) {
		rc = mosquitto_subscribe(c->mosq, NULL, c->routes.v[i].filter, c->mc->qos);
		if (rc != MOSQ_ERR_SUCCESS)
			log_warnx("mqtt", NULL, "subscribe %s: %s", c->routes.v[i].filter,
				  mosquitto_strerror(rc));
	}
	if (c->cmd_topic[0] && (rc = mosquitto_subscribe(c->mosq, NULL, c->cmd_topic, 1)))
		log_warnx("mqtt", NULL, "subscribe %s: %s", c->cmd_topic, mosquitto_strerror(rc));
	if (!c->hub)
		return;
	/* QoS 1 whatever qos: says: the hub's session keeps the sites' events while away */
	char beat[512], replies[512];
	sites_filter(c->mc, "_heartbeat", beat, sizeof(beat));
	sites_filter(c->mc, "_replies", replies, sizeof(replies));
	const char *const filters[] = {c->mc->hub_topic, beat, replies};
	for (size_t i = 0; i < (c->cmd_key ? 3u : 2u); i++) {
		rc = mosquitto_subscribe(c->mosq, NULL, filters[i], 1);
		if (rc != MOSQ_ERR_SUCCESS)
			log_warnx("mqtt", NULL, "subscribe %s: %s", filters[i], mosquitto_strerror(rc));
	}
}

static void on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	struct mqtt_client *c = arg;
	(void)mosq;
	c->connecting = false;
	if (rc != 0) {
		link_error(c, "broker refused the connection: %s%s", mosquitto_connack_string(rc),
			   rc == 4 || rc == 5 ? " (check username and password_file)" : "");
		log_complain(&c->link, loop_now_ms(c->env->loop), "mqtt", NULL, "%s:%d: %s",
			     c->mc->host, c->mc->port, c->last_error);
		return;
	}
	/* libmosquitto formats a line for every packet when it has a log callback (a third
	 * of our CPU per message): it is heard only while connecting (TLS failures) */
	mosquitto_log_callback_set(c->mosq, NULL);
	c->connected = true;
	c->backoff_ms = BACKOFF_MIN_MS;
	c->last_error[0] = '\0';
	c->said = false;
	log_complain_release(&c->link, "mqtt", NULL, "connected to %s:%d", c->mc->host,
			     c->mc->port);
	log_info("mqtt", NULL, "connected to %s:%d, %zu subscriptions", c->mc->host, c->mc->port,
		 c->routes.n);
	subscribe_all(c);
	mqtt_pub_link(c->pub, true);
	mqtt_hub_resend(c->hub);
}

static void schedule_reconnect(struct mqtt_client *c)
{
	c->connected = c->connecting = false;
	mqtt_pub_link(c->pub, false);
	c->reconnect_at = loop_now_ms(c->env->loop) + c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > c->mc->reconnect_max_ms ? c->mc->reconnect_max_ms :
								      c->backoff_ms * 2;
}

static void on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	struct mqtt_client *c = arg;
	(void)mosq;
	if (rc == 0) { /* we asked for it (stop, reload) */
		c->connected = c->connecting = false;
		mqtt_pub_link(c->pub, false);
		return;
	}
	link_error(c, "connection lost: %s%s", rc_text(c, rc), "");
	if (c->connected)
		log_warnx("mqtt", NULL, "%s:%d: %s", c->mc->host, c->mc->port, c->last_error);
	schedule_reconnect(c);
}

/* libmosquitto's own errors (TLS verification, ...) become the link's reason. */
static void on_log(struct mosquitto *mosq, void *arg, int level, const char *text)
{
	struct mqtt_client *c = arg;
	(void)mosq;
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) {
		link_error(c, "%s%s", text, "");
		log_complain(&c->link, loop_now_ms(c->env->loop), "mqtt", NULL, "%s:%d: %s",
			     c->mc->host, c->mc->port, text);
	}
}

static void on_io(struct loop *loop, int fd, unsigned events, void *arg);

/* Keeps our watcher on libmosquitto's current socket, for reading and, while it has
 * something queued, writing. */
static void sync_watch(struct mqtt_client *c)
{
	int fd = mosquitto_socket(c->mosq);
	unsigned ev = (c->resume ? 0 : LOOP_READ) | (mosquitto_want_write(c->mosq) ? LOOP_WRITE : 0);
	if (fd != c->fd) {
		if (c->fd >= 0)
			loop_io_del(c->env->loop, c->fd);
		c->fd = -1;
		if (fd >= 0 && loop_io_add(c->env->loop, fd, ev, on_io, c) == 0)
			c->fd = fd;
		c->fd_events = ev;
	} else if (fd >= 0 && ev != c->fd_events) {
		loop_io_mod(c->env->loop, fd, ev);
		c->fd_events = ev;
	}
}

/* A failed read or write: the socket is gone; on_disconnect was called unless the
 * connection never came up. */
static void link_failed(struct mqtt_client *c, int rc)
{
	if (c->connecting || c->connected) {
		if (c->connected)
			c->said = false; /* a link that was up: this is news */
		link_error(c, "%s%s", rc_text(c, rc), "");
		log_complain(&c->link, loop_now_ms(c->env->loop), "mqtt", NULL, "%s:%d: %s",
			     c->mc->host, c->mc->port, c->last_error);
		schedule_reconnect(c);
	}
	if (c->fd >= 0)
		loop_io_del(c->env->loop, c->fd);
	c->fd = -1;
	mosquitto_disconnect(c->mosq);
}

static void on_resume(struct loop *loop, void *arg)
{
	struct mqtt_client *c = arg;
	c->resume = NULL;
	if (c->fd >= 0)
		on_io(loop, c->fd, LOOP_READ, c);
}

/* What a drain found. */
enum drained { DRAINED_NOTHING, DRAINED_ALL, DRAINED_MORE };

/* Reads every packet the socket (and TLS) holds; libmosquitto reads one at a time and
 * says EAGAIN when there is no more. */
static int drain(struct mqtt_client *c, enum drained *found)
{
	int rc = MOSQ_ERR_SUCCESS;
	*found = DRAINED_MORE;
	c->read_ms = clock_wall_ms();
	for (int i = 0; i < DRAIN_MAX && rc == MOSQ_ERR_SUCCESS; i++) {
		errno = 0;
		rc = mosquitto_loop_read(c->mosq, 1);
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*found = i > 0 ? DRAINED_ALL : DRAINED_NOTHING;
			break;
		}
	}
	c->read_ms = 0;
	return rc;
}

/* When a drain brought something, the next read is a pause away (the socket unwatched
 * meanwhile: sync_watch); when it brought nothing, epoll watches it again.  Decided
 * after the publisher's flush: the messages it just handed make the pause the acks'. */
static void pause_reads(struct mqtt_client *c, enum drained found)
{
	/* a backlog of events: epoll wakes on each batch of acks, so the next events go
	 * at once rather than a pause later (a replay's rate) */
	if (found == DRAINED_NOTHING || !c->connected || c->resume || mqtt_pub_backlog(c->pub))
		return;
	int64_t pause = found == DRAINED_MORE ? 0 :
		c->nown || mqtt_pub_awaits_acks(c->pub) ? ACK_PAUSE_MS : READ_PAUSE_MS;
	c->resume = loop_timer_add(c->env->loop, pause, on_resume, c);
}

static void on_io(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct mqtt_client *c = arg;
	int rc = MOSQ_ERR_SUCCESS;
	enum drained found = DRAINED_NOTHING;
	(void)loop;
	(void)fd;
	if (events & (LOOP_READ | LOOP_ERROR))
		rc = drain(c, &found);
	if (rc == MOSQ_ERR_SUCCESS && (events & LOOP_WRITE))
		rc = mosquitto_loop_write(c->mosq, 1);
	if (rc != MOSQ_ERR_SUCCESS) {
		link_failed(c, rc);
		return;
	}
	mqtt_pub_flush(c->pub); /* what the socket took makes room for what waits */
	pause_reads(c, found);
	sync_watch(c);
}

static void try_connect(struct mqtt_client *c)
{
	c->reconnect_at = 0;
	c->said = false;
	c->connecting = true;
	mosquitto_log_callback_set(c->mosq, on_log);
	int rc = mosquitto_connect_async(c->mosq, c->mc->host, c->mc->port,
					 (int)(c->mc->keepalive_ms / 1000));
	if (rc != MOSQ_ERR_SUCCESS) {
		link_error(c, "connect: %s%s", rc_text(c, rc), "");
		link_failed(c, rc);
		return;
	}
	sync_watch(c);
}

/* A hub's site with a device of its id (and an mqtt: section) gets the age of its last
 * heartbeat as a metric: rules on it raise "site unreachable" (docs/MQTT.md "Hub"). */
static void report_site_age(void *arg, const char *origin, int64_t age_ms)
{
	struct mqtt_client *c = arg;
	const struct cfg_device *dev = cfg_device_find(c->env->cfg, origin);
	if (!dev || !mqtt_device_cfg(dev))
		return;
	struct metric_desc desc = {.name = "mqtt_site_heartbeat_age_seconds", .unit = "seconds",
				   .kind = METRIC_GAUGE, .interval_ms = dev->interval_ms};
	struct metric *m = metric_reg_get(c->env->reg, dev->id, &desc);
	if (m)
		metric_put(c->env->reg, m, clock_wall_ms(), (double)age_ms / 1000.0);
}

static void on_misc(struct loop *loop, void *arg)
{
	struct mqtt_client *c = arg;
	c->misc = loop_timer_add(loop, MISC_MS, on_misc, c);
	mqtt_hub_tick(c->hub, loop_now_ms(loop));
	mqtt_hub_ages(c->hub, clock_wall_ms(), report_site_age, c);
	if (c->reconnect_at && loop_now_ms(loop) >= c->reconnect_at) {
		try_connect(c);
		return;
	}
	if (c->fd < 0)
		return;
	int rc = mosquitto_loop_misc(c->mosq);
	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
		link_failed(c, rc);
	else
		sync_watch(c);
}

/* The first line of a secret's file (what: its key), which others must not be able to
 * read. */
static char *read_secret(const char *what, const char *path, char *err, size_t errlen)
{
	char buf[PASSWORD_MAX];
	struct stat st;
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "mqtt: %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	bool ok = fstat(fileno(f), &st) == 0 && !(st.st_mode & (S_IRGRP | S_IROTH));
	bool got = ok && fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!ok) {
		snprintf(err, errlen, "mqtt: %s %s can be read by its group or others: "
			 "chmod 600 it", what, path);
		return NULL;
	}
	if (!got)
		buf[0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

static void on_publish(struct mosquitto *mosq, void *arg, int mid)
{
	struct mqtt_client *c = arg;
	(void)mosq;
	if (!own_mid(c, mid))
		mqtt_pub_acked(c->pub, mid);
}

/* The publisher handed libmosquitto messages: watch the socket for writing. */
static void pub_sync(void *arg)
{
	struct mqtt_client *c = arg;
	if (c->fd >= 0)
		sync_watch(c);
}

/* The key of daemon.mqtt.commands; a hub sends commands with it, a site with hub:
 * takes them on <publish.prefix>/_commands. */
static int commands_setup(struct mqtt_client *c, char *err, size_t errlen)
{
	const struct cfg_mqtt_commands *cc = c->mc->commands;
	if (!(c->cmd_key = read_secret("commands.key_file", cc->key_file, err, errlen)))
		return -1;
	if (cc->hub && c->mc->publish) {
		snprintf(c->cmd_topic, sizeof(c->cmd_topic), "%s/_commands", c->mc->publish->prefix);
		if (!(c->cmd_applied = mqtt_cmd_applied_open(c->env->cfg->daemon.state_dir, cc->hub,
							     err, errlen)))
			return -1;
	}
	if (c->hub)
		mqtt_hub_commands(c->hub, c->client_id, c->cmd_key, c->api, client_send, c);
	return 0;
}

/* The last OpenSSL error's reason (clears the queue). */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r ? r : "unreadable";
}

/* TLS from ca_file, cert_file and key_file, on a context of ours with read-ahead:
 * libmosquitto reads a packet in three SSL_read calls (type byte, length, rest), each a
 * read(2) of the socket without it (two for a new record: its header, then its body);
 * with it one read(2) brings hundreds of records.  The context is complete here (TLS 1.2
 * at least, the CA, our certificate, the broker's certificate chained to the CA and
 * naming host), what libmosquitto does for a context of its own: 2.0.11 cannot apply
 * those defaults to a context it did not make (MOSQ_OPT_SSL_CTX_WITH_DEFAULTS leaves its
 * certificate check without its client, and every handshake fails; mosquitto issue
 * 2463, fixed in 2.0.15), so it gets this one without them. */
static SSL_CTX *tls_context(const struct cfg_mqtt *mc, char *err, size_t errlen)
{
	unsigned char ip[sizeof(struct in6_addr)];
	bool numeric = inet_pton(AF_INET, mc->host, ip) == 1 ||
		       inet_pton(AF_INET6, mc->host, ip) == 1;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, errlen, "mqtt: cannot create a TLS context: %s", ssl_reason());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_CTX_load_verify_locations(ctx, mc->ca_file, NULL) != 1)
		snprintf(err, errlen, "mqtt: ca_file %s: %s", mc->ca_file, ssl_reason());
	else if (mc->cert_file && SSL_CTX_use_certificate_chain_file(ctx, mc->cert_file) != 1)
		snprintf(err, errlen, "mqtt: cert_file %s: %s", mc->cert_file, ssl_reason());
	else if (mc->key_file &&
		 (SSL_CTX_use_PrivateKey_file(ctx, mc->key_file, SSL_FILETYPE_PEM) != 1 ||
		  SSL_CTX_check_private_key(ctx) != 1))
		snprintf(err, errlen, "mqtt: key_file %s: %s", mc->key_file, ssl_reason());
	else if ((numeric ? X509_VERIFY_PARAM_set1_ip_asc(vp, mc->host) :
			    X509_VERIFY_PARAM_set1_host(vp, mc->host, 0)) != 1)
		snprintf(err, errlen, "mqtt: host %s: %s", mc->host, ssl_reason());
	else
		return ctx;
	SSL_CTX_free(ctx);
	return NULL;
}

static int tls_setup(struct mqtt_client *c, char *err, size_t errlen)
{
	SSL_CTX *ctx = tls_context(c->mc, err, errlen);
	if (!ctx)
		return -1;
	int rc = mosquitto_int_option(c->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_void_option(c->mosq, MOSQ_OPT_SSL_CTX, ctx);
	SSL_CTX_free(ctx); /* the client holds its own reference */
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "mqtt: TLS: %s", mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

static int client_setup(struct mqtt_client *c, char *err, size_t errlen)
{
	const struct cfg_mqtt *mc = c->mc;
	char host[64], id[128];
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(id, sizeof(id), "dcmond-%s", host);
	/* a persistent session: the broker keeps the QoS 1 messages of the subscriptions and
	 * of the handed events across a lost link */
	snprintf(c->client_id, sizeof(c->client_id), "%s", mc->client_id ? mc->client_id : id);
	c->mosq = mosquitto_new(c->client_id, false, c);
	if (!c->mosq) {
		snprintf(err, errlen, "mqtt: cannot create the client: %s", strerror(errno));
		return -1;
	}
	mosquitto_connect_callback_set(c->mosq, on_connect);
	mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
	mosquitto_message_callback_set(c->mosq, on_message);
	mosquitto_publish_callback_set(c->mosq, on_publish);
	if (mc->publish && !(c->pub = mqtt_pub_new(c->env, mc->publish, c->bus, c->mosq,
						   mc->client_id ? mc->client_id : id, pub_sync,
						   c, err, errlen)))
		return -1;
	if (mc->role == MQTT_ROLE_HUB &&
	    !(c->hub = mqtt_hub_open(c->env->cfg->daemon.state_dir, mc->gap_wait_ms, err, errlen)))
		return -1;
	if (mc->commands && commands_setup(c, err, errlen) < 0)
		return -1;
	if (mc->username && (!(c->password = read_secret("password_file", mc->password_file, err,
							 errlen)) ||
			     mosquitto_username_pw_set(c->mosq, mc->username, c->password)))
		return -1;
	return mc->ca_file ? tls_setup(c, err, errlen) : 0;
}

struct mqtt_client *mqtt_client_new(const struct poller_env *env, struct change_bus *bus,
				    const struct api_env *api, char *err, size_t errlen)
{
	static bool lib_ready;
	if (!lib_ready)
		lib_ready = mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
	struct mqtt_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "mqtt: out of memory");
		return NULL;
	}
	*c = (struct mqtt_client){.env = env, .bus = bus, .api = api, .mc = mqtt_cfg_of(env->cfg),
				  .fd = -1,
				  .backoff_ms = BACKOFF_MIN_MS};
	mqtt_routes_build(&c->routes, env->cfg);
	if (client_setup(c, err, errlen) < 0 ||
	    !(c->misc = loop_timer_add(env->loop, MISC_MS, on_misc, c))) {
		mqtt_client_free(c);
		return NULL;
	}
	current = c;
	try_connect(c);
	return c;
}

int mqtt_client_reload(struct mqtt_client *c)
{
	const struct cfg_mqtt *now = mqtt_cfg_of(c->env->cfg);
	mqtt_routes_free(&c->routes);
	mqtt_routes_build(&c->routes, c->env->cfg);
	if (now && cfg_fields_same(mqtt_cfg_keys, c->mc, now)) {
		c->mc = now;
		mqtt_pub_reconfig(c->pub, now->publish);
		if (c->connected)
			subscribe_all(c);
		return 0;
	}
	c->mc = now; /* the broker changed: the daemon makes a new client */
	return -1;
}

void mqtt_client_free(struct mqtt_client *c)
{
	if (!c)
		return;
	if (current == c)
		current = NULL;
	if (c->fd >= 0)
		loop_io_del(c->env->loop, c->fd);
	loop_timer_cancel(c->env->loop, c->misc);
	loop_timer_cancel(c->env->loop, c->resume);
	if (c->mosq) {
		mqtt_pub_goodbye(c->pub);
		mosquitto_disconnect(c->mosq);
		mqtt_pub_free(c->pub);
		mosquitto_destroy(c->mosq);
	}
	mqtt_hub_close(c->hub);
	mqtt_cmd_applied_close(c->cmd_applied);
	mqtt_routes_free(&c->routes);
	for (size_t i = 0; i < sizeof(c->devs) / sizeof(c->devs[0]); i++) {
		for (struct dev_state *s = c->devs[i], *n; s; s = n) {
			n = s->next;
			free(s->id);
			free(s);
		}
	}
	char *secrets[] = {c->password, c->cmd_key};
	for (size_t i = 0; i < 2; i++) {
		if (secrets[i])
			explicit_bzero(secrets[i], strlen(secrets[i]));
		free(secrets[i]);
	}
	free(c);
}

enum mqtt_link mqtt_device_link(const char *device, char *why, size_t whylen)
{
	struct mqtt_client *c = current;
	if (!c) {
		snprintf(why, whylen, "no mqtt: broker in the daemon section");
		return MQTT_LINK_DOWN;
	}
	if (!c->connected) {
		snprintf(why, whylen, "broker not connected: %s",
			 c->last_error[0] ? c->last_error : "connecting");
		return c->connecting && !c->said ? MQTT_LINK_PENDING : MQTT_LINK_DOWN;
	}
	if (dev_state(c, device)->offline) {
		snprintf(why, whylen, "offline (last will)");
		return MQTT_LINK_DOWN;
	}
	return MQTT_LINK_UP;
}

unsigned mqtt_device_bad(const char *device, uint64_t *total)
{
	*total = 0;
	if (!current)
		return 0;
	struct dev_state *s = dev_state(current, device);
	unsigned bad = s->bad;
	*total = s->bad_total;
	s->bad = 0;
	return bad;
}
