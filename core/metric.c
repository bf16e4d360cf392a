/* The metric registry: owns every metric, hands reports to the sinks. Loop thread only. */
#include "dcmon/metric.h"

#include "dcmon/enumtab.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/smap.h"
#include "dcmon/strbuf.h"
#include "dcmon/strhash.h"
#include "strpool.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SINKS 4

struct dev_entry {
	struct metric *first, *last;
	/* Wall ms before which no OK metric of the device can turn stale (a lower bound:
	 * lowered on every fresh value, recomputed when the device is walked), so the
	 * once-a-second staleness check skips devices that are not due. */
	int64_t stale_due_ms;
	/* The scheduler's current interval for the device (backoff included), or 0: a
	 * backed-off device reports less often, which is not staleness. */
	int64_t poll_interval_ms;
	size_t nmetrics;     /* metrics of the device (its series, one RRD file each) */
	bool series_warned;  /* the series limit refused one of its metrics (logged once) */
	struct dev_entry *next_hash;
	struct dev_entry *next, *prev; /* all devices, creation order */
	/* the device id: the device's metrics point at it (metric.device), which is how a
	 * metric finds its entry (dev_of) without a pointer of its own */
	char device[];
};

static struct dev_entry *dev_of(const struct metric *m)
{
	return (struct dev_entry *)(m->device - offsetof(struct dev_entry, device));
}

/* One allocation per series: the metric, its hash chain and its key; a COUNTER's
 * has its `counter_raw` in front (node_counter). */
struct metric_node {
	struct metric m;
	struct metric_node *next_hash;
	char key[]; /* m.key */
};

/* A COUNTER's last raw reading: only counters need one (the rate's previous point),
 * so gauges and states, most series, go without these 16 bytes. */
struct counter_raw {
	double raw;        /* NaN when none */
	int64_t raw_ts_ms; /* wall-clock ms of raw */
};

/* One of each per series: a site has millions (docs/ARCHITECTURE.md "Memory per
 * series"); a field added to struct metric must find room in its padding. */
_Static_assert(sizeof(struct metric) <= 112, "struct metric outgrew its budget");
_Static_assert(METRIC_NAME_MAX + 1 <= UINT8_MAX, "metric.inst_at must reach past any name");
_Static_assert(sizeof(struct counter_raw) % _Alignof(struct metric_node) == 0,
	       "the node after a counter_raw must stay aligned");

static struct metric_node *node_of(const struct metric *m)
{
	return (struct metric_node *)((char *)m - offsetof(struct metric_node, m));
}

/* The counter_raw in front of a COUNTER's node (kind is fixed for a metric's life). */
static struct counter_raw *node_counter(const struct metric *m)
{
	return (struct counter_raw *)node_of(m) - 1;
}

/* Where a node's allocation starts: its counter_raw for a COUNTER. */
static void *node_base(struct metric_node *n)
{
	return n->m.kind == METRIC_COUNTER ? (void *)node_counter(&n->m) : (void *)n;
}

double metric_raw(const struct metric *m)
{
	return m->kind == METRIC_COUNTER ? node_counter(m)->raw : NAN;
}

int64_t metric_raw_ts_ms(const struct metric *m)
{
	return m->kind == METRIC_COUNTER ? node_counter(m)->raw_ts_ms : 0;
}

struct metric_reg {
	struct metric_node **mbuckets; /* by (device, key) */
	size_t nmbuckets, nmetrics;
	struct dev_entry **dbuckets;   /* by device */
	size_t ndbuckets, ndevices;
	struct dev_entry *dev_head, *dev_tail;
	struct strpool *strings;       /* names, units, labels, enum names */
	/* the metrics' shapes (struct shape_node), by shape_key: one of each distinct */
	struct smap shapes;
	struct {
		const struct metric_sink *sink;
		void *arg;
	} sinks[MAX_SINKS];
	int nslots; /* metric.sink_data slots given to sinks */
	int nsinks;
	uint64_t reports; /* metric_put + metric_put_error calls */
	uint64_t values;  /* of those, the good values (a bench's "kept up" counts these) */
	size_t series_max; /* metrics per device; 0 = no limit */
};

const char *const metric_kind_names[] = {
	[METRIC_GAUGE] = "gauge", [METRIC_COUNTER] = "counter", [METRIC_STATE] = "state", NULL,
};
static const char *const quality_names[] = {
	[QUALITY_UNKNOWN] = "unknown", [QUALITY_OK] = "ok", [QUALITY_STALE] = "stale",
	[QUALITY_ERROR] = "error", NULL,
};

const char *metric_kind_name(enum metric_kind k)
{
	return enum_name(metric_kind_names, (int)k);
}

const char *metric_quality_name(enum metric_quality q)
{
	return enum_name(quality_names, (int)q);
}

/* Unit suffixes a GAUGE or COUNTER name must end with (Prometheus base units, plus the
 * facility units engineers read: volts, amperes, hertz, celsius, ...). */
static const char *const unit_suffixes[] = {
	"_seconds", "_percent", "_ratio", "_bytes", "_bits", "_celsius", "_volts", "_amperes",
	"_watts", "_volt_amperes", "_watt_hours", "_hertz", "_pascals", "_bars", "_liters",
	"_liters_per_hour", "_rpm", "_hours", "_count", "_total", "_packets", "_errors",
	"_bytes_per_second", "_bits_per_second", "_packets_per_second", "_per_second",
	"_meters", "_cubic_meters_per_hour", "_state", "_info", "_dbm", "_kilowatt_hours",
	"_kilowatts", "_kilovolt_amperes", "_minutes", "_days", NULL,
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls > lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool metric_name_check(const char *name, enum metric_kind kind, char *err, size_t errlen)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len >= METRIC_NAME_MAX) {
		snprintf(err, errlen, "metric name must be 1..%d characters", METRIC_NAME_MAX - 1);
		return false;
	}
	if (!(name[0] >= 'a' && name[0] <= 'z')) {
		snprintf(err, errlen, "metric name '%s' must start with a lower-case letter", name);
		return false;
	}
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
			snprintf(err, errlen, "metric name '%s' may hold only a-z, 0-9 and '_'", name);
			return false;
		}
	}
	if (kind == METRIC_STATE)
		return true;
	for (const char *const *s = unit_suffixes; *s; s++)
		if (ends_with(name, *s))
			return true;
	snprintf(err, errlen,
		 "metric name '%s' must end with its unit (_seconds, _percent, _bytes, _celsius, "
		 "_volts, _count, _total, ...)",
		 name);
	return false;
}

static uint64_t hash_metric(const char *device, const char *key)
{
	return strhash_more(strhash(device) * 31 + 1, key);
}

struct metric_reg *metric_reg_new(void)
{
	struct metric_reg *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return NULL;
	reg->nmbuckets = 1024;
	reg->ndbuckets = 256;
	reg->mbuckets = calloc(reg->nmbuckets, sizeof(*reg->mbuckets));
	reg->dbuckets = calloc(reg->ndbuckets, sizeof(*reg->dbuckets));
	reg->strings = strpool_new();
	if (!reg->mbuckets || !reg->dbuckets || !reg->strings) {
		metric_reg_free(reg);
		return NULL;
	}
	return reg;
}

/* Reasons of no allocation: "" (OK) and the one kept when a copy cannot be made. */
static const char no_reason[] = "";
static const char reason_oom[] = "error (no memory for its reason)";

static void reason_free(struct metric *m)
{
	if (m->reason != no_reason && m->reason != reason_oom)
		free((char *)m->reason);
}

static void note_free(struct metric *m)
{
	if (m->note_is_source)
		m->note_source->release(m->note_source);
	else
		free((char *)m->note);
	m->note = NULL;
	m->note_is_source = false;
}

static void metric_free_fields(struct metric *m)
{
	reason_free(m);
	note_free(m);
}

int metric_set_note(struct metric *m, const char *text)
{
	if (!m->note_is_source && m->note && text && strcmp(m->note, text) == 0)
		return 0;
	note_free(m);
	m->note = text && *text ? strdup(text) : NULL;
	return m->note || !text || !*text ? 0 : -ENOMEM;
}

void metric_set_note_source(struct metric *m, struct metric_note_source *s)
{
	if (m->note_is_source && m->note_source == s)
		return;
	note_free(m);
	m->note_source = s;
	m->note_is_source = s != NULL;
}

bool metric_note_append(const struct metric *m, struct strbuf *b)
{
	size_t len = b->len;
	if (m->note_is_source)
		m->note_source->write(m->note_source, b);
	else if (m->note)
		strbuf_appends(b, m->note);
	return b->len > len;
}

/* Sets the reason to text (truncated to METRIC_REASON_MAX - 1 bytes); a metric failing
 * the same way poll after poll keeps its copy. */
static void set_reason(struct metric *m, const char *text)
{
	size_t len = strnlen(text, METRIC_REASON_MAX - 1);
	if (strncmp(m->reason, text, len) == 0 && m->reason[len] == '\0')
		return;
	reason_free(m);
	char *copy = len ? strndup(text, len) : NULL;
	m->reason = copy ? copy : len ? reason_oom : no_reason;
}

void metric_reg_free(struct metric_reg *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; reg->mbuckets && i < reg->nmbuckets; i++) {
		for (struct metric_node *n = reg->mbuckets[i], *next; n; n = next) {
			next = n->next_hash;
			metric_free_fields(&n->m);
			free(node_base(n));
		}
	}
	for (struct dev_entry *d = reg->dev_head, *next; d; d = next) {
		next = d->next;
		free(d);
	}
	for (size_t i = 0; i < reg->shapes.cap; i++)
		free(reg->shapes.v[i].val);
	smap_free(&reg->shapes);
	free(reg->mbuckets);
	free(reg->dbuckets);
	strpool_free(reg->strings);
	free(reg);
}

int metric_reg_add_sink(struct metric_reg *reg, const struct metric_sink *sink, void *arg)
{
	if (reg->nsinks == MAX_SINKS || (!sink->no_slot && reg->nslots == METRIC_SINK_SLOTS))
		return -ENOSPC;
	reg->sinks[reg->nsinks].sink = sink;
	reg->sinks[reg->nsinks].arg = arg;
	reg->nsinks++;
	return sink->no_slot ? 0 : reg->nslots++;
}

static struct dev_entry *dev_lookup(struct metric_reg *reg, const char *device, bool create)
{
	size_t b = strhash(device) % reg->ndbuckets;
	for (struct dev_entry *d = reg->dbuckets[b]; d; d = d->next_hash)
		if (strcmp(d->device, device) == 0)
			return d;
	if (!create)
		return NULL;
	size_t size = strlen(device) + 1;
	struct dev_entry *d = calloc(1, sizeof(*d) + size);
	if (!d)
		return NULL;
	memcpy(d->device, device, size);
	d->next_hash = reg->dbuckets[b];
	reg->dbuckets[b] = d;
	d->prev = reg->dev_tail;
	if (reg->dev_tail)
		reg->dev_tail->next = d;
	else
		reg->dev_head = d;
	reg->dev_tail = d;
	reg->ndevices++;
	return d;
}

#define KEY_MAX (METRIC_NAME_MAX + METRIC_INST_MAX) /* "name@inst" incl. NUL */

/* Writes the key "name" or "name@inst" into key (on the stack: pushed sources such as
 * MQTT look a metric up for every value they receive).  Returns its size, NUL
 * included, or 0 when name or inst is too long. */
static size_t key_write(char key[KEY_MAX], const char *name, const char *inst)
{
	size_t ln = strlen(name), li = inst ? strlen(inst) : 0;
	if (ln >= METRIC_NAME_MAX || li >= METRIC_INST_MAX)
		return 0;
	memcpy(key, name, ln);
	if (inst) {
		key[ln++] = '@';
		memcpy(key + ln, inst, li);
	}
	key[ln + li] = '\0';
	return ln + li + 1;
}

static struct metric *lookup_key(struct metric_reg *reg, const char *device, const char *key)
{
	size_t b = hash_metric(device, key) % reg->nmbuckets;
	for (struct metric_node *n = reg->mbuckets[b]; n; n = n->next_hash)
		if (strcmp(n->m.key, key) == 0 && strcmp(n->m.device, device) == 0)
			return &n->m;
	return NULL;
}

struct metric *metric_reg_find(struct metric_reg *reg, const char *device, const char *name,
			       const char *inst)
{
	char key[KEY_MAX];
	return key_write(key, name, inst) ? lookup_key(reg, device, key) : NULL;
}

/* Doubles the buckets when there are as many metrics: a load between 0.5 and 1, 8 to
 * 16 bytes a series (growing 4x left up to 32). */
static void rehash_metrics(struct metric_reg *reg)
{
	size_t n = reg->nmbuckets * 2;
	struct metric_node **b = calloc(n, sizeof(*b));
	if (!b)
		return; /* keep the old table: slower, still correct */
	for (size_t i = 0; i < reg->nmbuckets; i++) {
		for (struct metric_node *mn = reg->mbuckets[i], *next; mn; mn = next) {
			next = mn->next_hash;
			size_t j = hash_metric(mn->m.device, mn->m.key) % n;
			mn->next_hash = b[j];
			b[j] = mn;
		}
	}
	free(reg->mbuckets);
	reg->mbuckets = b;
	reg->nmbuckets = n;
}

/* The pool's copy of s (NULL for NULL); *fail set when it cannot be stored. */
static const char *pooled(struct metric_reg *reg, const char *s, bool *fail)
{
	if (!s)
		return NULL;
	const char *c = strpool_get(reg->strings, s);
	if (!c)
		*fail = true;
	return c;
}

static int16_t headline_rank(const struct metric_desc *desc)
{
	return (int16_t)(desc->headline > INT16_MAX ? INT16_MAX : desc->headline);
}

/* A shape as the registry keeps it: its enums and its key (shape_key) in the same
 * allocation. */
struct shape_node {
	struct metric_shape s;
	struct metric_enum enums[];
};

/* Writes into k the key that tells shapes apart: the pooled strings' addresses stand
 * for their texts (the pool keeps one copy of each).  0 or -ENOMEM. */
static int shape_key(struct strbuf *k, const struct metric_shape *t)
{
	strbuf_appendf(k, "%p %p %d %u", (const void *)t->unit, (const void *)t->inst_label,
		       t->headline, (unsigned)t->nenums);
	for (size_t i = 0; i < t->nenums; i++)
		strbuf_appendf(k, " %d=%p", t->enums[i].value, (const void *)t->enums[i].name);
	return k->failed ? -ENOMEM : 0;
}

/* The registry's copy of shape t (strings pooled), stored on first sight; NULL when
 * out of memory. */
static const struct metric_shape *shape_intern(struct metric_reg *reg,
					       const struct metric_shape *t)
{
	struct strbuf k = STRBUF_INIT;
	struct shape_node *n = NULL;
	if (shape_key(&k, t) == 0 && !(n = smap_get(&reg->shapes, strbuf_str(&k)))) {
		size_t esize = t->nenums * sizeof(*t->enums), ksize = k.len + 1;
		n = malloc(sizeof(*n) + esize + ksize);
		char *key = n ? (char *)n->enums + esize : NULL;
		if (n) {
			n->s = *t;
			if (esize)
				memcpy(n->enums, t->enums, esize);
			n->s.enums = t->nenums ? n->enums : NULL;
			memcpy(key, strbuf_str(&k), ksize);
		}
		if (n && smap_put(&reg->shapes, key, n) != 0) {
			free(n);
			n = NULL;
		}
	}
	strbuf_free(&k);
	return n ? &n->s : NULL;
}

/* desc's shape, interned; NULL when out of memory. */
static const struct metric_shape *shape_of_desc(struct metric_reg *reg,
						const struct metric_desc *desc)
{
	bool fail = false;
	size_t nenums = desc->enums ? desc->nenums : 0;
	struct metric_enum *enums = nenums ? calloc(nenums, sizeof(*enums)) : NULL;
	if (nenums && !enums)
		return NULL;
	for (size_t i = 0; i < nenums; i++) {
		enums[i].value = desc->enums[i].value;
		enums[i].name = pooled(reg, desc->enums[i].name, &fail);
	}
	struct metric_shape t = {
		.unit = pooled(reg, desc->unit ? desc->unit : "", &fail),
		.inst_label = pooled(reg, desc->inst_label, &fail),
		.enums = enums,
		.nenums = (uint16_t)nenums,
		.headline = headline_rank(desc),
	};
	const struct metric_shape *s = fail ? NULL : shape_intern(reg, &t);
	free(enums);
	return s;
}

/* desc's interval in metric.interval_ms' range: a negative one means none, as 0 does */
static int32_t interval_bounded(const struct metric_desc *desc)
{
	return (int32_t)(desc->interval_ms < 0 ? 0
			 : desc->interval_ms > METRIC_INTERVAL_MAX_MS ? METRIC_INTERVAL_MAX_MS
								    : desc->interval_ms);
}

static bool fill_metric(struct metric_reg *reg, struct metric *m, const struct dev_entry *d,
			const struct metric_desc *desc)
{
	bool fail = false;
	m->device = d->device;
	m->name = pooled(reg, desc->name, &fail);
	m->shape = shape_of_desc(reg, desc);
	m->inst_at = desc->inst ? (uint8_t)(strlen(desc->name) + 1) : 0;
	m->reason = no_reason;
	m->kind = desc->kind;
	m->interval_ms = interval_bounded(desc);
	m->value = NAN;
	m->quality = QUALITY_UNKNOWN;
	return !fail && m->shape;
}

/* A node for key (ksize bytes, NUL included), zeroed but for its key and kind; a
 * COUNTER's with its counter_raw in front.  NULL when out of memory. */
static struct metric_node *node_new(enum metric_kind kind, const char *key, size_t ksize)
{
	bool counter = kind == METRIC_COUNTER;
	size_t front = counter ? sizeof(struct counter_raw) : 0;
	char *p = calloc(1, front + sizeof(struct metric_node) + ksize);
	if (!p)
		return NULL;
	struct metric_node *n = (struct metric_node *)(p + front);
	n->m.kind = kind;
	memcpy(n->key, key, ksize);
	n->m.key = n->key;
	if (counter)
		node_counter(&n->m)->raw = NAN;
	return n;
}

void metric_reg_set_series_max(struct metric_reg *reg, size_t max)
{
	if (max == reg->series_max)
		return;
	reg->series_max = max;
	for (struct dev_entry *d = reg->dev_head; d; d = d->next)
		d->series_warned = false; /* a new limit is warned about anew */
}

/* True if the device may have one more metric; the first refusal is logged. */
static bool series_room(struct metric_reg *reg, struct dev_entry *d, const char *key)
{
	if (!reg->series_max || d->nmetrics < reg->series_max)
		return true;
	if (!d->series_warned)
		log_warnx("metric", d->device,
			  "%zu series, the limit (daemon.max_series_per_device): %s and any "
			  "further series of the device are not created (no value, no RRD file)",
			  reg->series_max, key);
	d->series_warned = true;
	return false;
}

struct metric *metric_reg_get(struct metric_reg *reg, const char *device,
			      const struct metric_desc *desc)
{
	char err[160], key[KEY_MAX];
	size_t ksize = 0;
	if (!metric_name_check(desc->name, desc->kind, err, sizeof(err)) ||
	    !(ksize = key_write(key, desc->name, desc->inst)) ||
	    (desc->enums && desc->nenums > METRIC_ENUMS_MAX)) {
		errno = EINVAL;
		return NULL;
	}
	struct metric *found = lookup_key(reg, device, key);
	struct dev_entry *d = found ? NULL : dev_lookup(reg, device, true);
	if (d && !series_room(reg, d, key)) {
		errno = ENOSPC;
		return NULL;
	}
	if (found) {
		if (found->kind != desc->kind ||
		    strcmp(found->shape->unit, desc->unit ? desc->unit : "") != 0) {
			errno = EEXIST;
			return NULL;
		}
		/* a new headline place (a profile reloaded); the rest of the shape stays */
		struct metric_shape t = *found->shape;
		t.headline = headline_rank(desc);
		const struct metric_shape *shape =
			t.headline == found->shape->headline ? found->shape : shape_intern(reg, &t);
		if (!shape) {
			errno = ENOMEM;
			return NULL;
		}
		found->shape = shape;
		found->interval_ms = interval_bounded(desc);
		return found;
	}
	struct metric_node *n = node_new(desc->kind, key, ksize);
	if (!d || !n || !fill_metric(reg, &n->m, d, desc)) {
		if (n) {
			metric_free_fields(&n->m);
			free(node_base(n));
		}
		errno = ENOMEM;
		return NULL;
	}
	if (reg->nmetrics >= reg->nmbuckets)
		rehash_metrics(reg);
	size_t b = hash_metric(device, n->m.key) % reg->nmbuckets;
	n->next_hash = reg->mbuckets[b];
	reg->mbuckets[b] = n;
	reg->nmetrics++;
	if (d->last)
		d->last->next_in_device = &n->m;
	else
		d->first = &n->m;
	d->last = &n->m;
	d->nmetrics++;
	return &n->m;
}

static void notify(struct metric_reg *reg, const struct metric *m)
{
	for (int i = 0; i < reg->nsinks; i++)
		if (reg->sinks[i].sink->report)
			reg->sinks[i].sink->report(reg->sinks[i].arg, m);
}

static void set_error(struct metric *m, int64_t ts_ms, const char *reason)
{
	m->ts_ms = ts_ms;
	m->quality = QUALITY_ERROR;
	m->absent = false;
	set_reason(m, reason && *reason ? reason : "error");
}

static int64_t stale_deadline(const struct metric *m)
{
	const struct dev_entry *d = dev_of(m);
	int64_t iv = d->poll_interval_ms > m->interval_ms ? d->poll_interval_ms : m->interval_ms;
	return m->ts_ms + (int64_t)(METRIC_STALE_FACTOR * (double)iv);
}

void metric_reg_set_poll_interval(struct metric_reg *reg, const char *device, int64_t interval_ms)
{
	struct dev_entry *d = dev_lookup(reg, device, false);
	if (d)
		d->poll_interval_ms = interval_ms;
}

static void lower_stale_due(const struct metric *m)
{
	struct dev_entry *d = dev_of(m);
	int64_t due = stale_deadline(m);
	if (m->interval_ms > 0 && (d->stale_due_ms == 0 || due < d->stale_due_ms))
		d->stale_due_ms = due;
}

/* Counter to per-second rate.  A reading below the last one means a wrap or an agent
 * restart; we cannot tell which width wrapped, so the rate restarts (no spike). */
static bool counter_rate(struct metric *m, int64_t ts_ms, double raw, double *rate)
{
	struct counter_raw *c = node_counter(m);
	double prev = c->raw;
	int64_t prev_ts = c->raw_ts_ms;
	c->raw = raw;
	c->raw_ts_ms = ts_ms;
	if (isnan(prev) || raw < prev || ts_ms <= prev_ts)
		return false;
	*rate = (raw - prev) * 1000.0 / (double)(ts_ms - prev_ts);
	return true;
}

void metric_put(struct metric_reg *reg, struct metric *m, int64_t ts_ms, double value)
{
	if (!isfinite(value)) {
		metric_put_error(reg, m, ts_ms, isnan(value) ? "value is NaN" : "value is infinite");
		return;
	}
	reg->reports++;
	reg->values++;
	if (m->kind == METRIC_COUNTER) {
		double rate;
		if (!counter_rate(m, ts_ms, value, &rate)) {
			/* primed or restarted: the raw reading is news (the archive keeps it),
			 * the rate is not */
			m->ts_ms = ts_ms;
			if (m->quality == QUALITY_UNKNOWN)
				set_reason(m, "waiting for a second reading");
			notify(reg, m);
			return;
		}
		value = rate;
	}
	m->value = value;
	m->ts_ms = ts_ms;
	m->value_ts_ms = ts_ms;
	m->quality = QUALITY_OK;
	if (m->reason != no_reason)
		set_reason(m, "");
	lower_stale_due(m);
	notify(reg, m);
}

void metric_put_error(struct metric_reg *reg, struct metric *m, int64_t ts_ms,
		      const char *reason)
{
	reg->reports++;
	set_error(m, ts_ms, reason);
	notify(reg, m);
}

void metric_put_absent(struct metric_reg *reg, struct metric *m, int64_t ts_ms,
		       const char *reason)
{
	reg->reports++;
	set_error(m, ts_ms, reason);
	m->absent = true;
	notify(reg, m);
}

/* Marks the device's overdue metrics stale; returns how many, and sets its next due. */
static size_t device_mark_stale(struct metric_reg *reg, struct dev_entry *d, int64_t now_ms)
{
	size_t changed = 0;
	int64_t next = 0;
	for (struct metric *m = d->first; m; m = m->next_in_device) {
		if (m->quality != QUALITY_OK || m->interval_ms <= 0)
			continue;
		int64_t due = stale_deadline(m);
		if (now_ms > due) {
			m->quality = QUALITY_STALE;
			char why[METRIC_REASON_MAX];
			snprintf(why, sizeof(why), "no report for %llds",
				 (long long)((now_ms - m->ts_ms) / 1000));
			set_reason(m, why);
			notify(reg, m);
			changed++;
		} else if (next == 0 || due < next) {
			next = due;
		}
	}
	d->stale_due_ms = next;
	return changed;
}

size_t metric_reg_mark_stale(struct metric_reg *reg, int64_t now_ms)
{
	size_t changed = 0;
	for (struct dev_entry *d = reg->dev_head; d; d = d->next)
		if (d->stale_due_ms != 0 && now_ms > d->stale_due_ms)
			changed += device_mark_stale(reg, d, now_ms);
	return changed;
}

void metric_reg_clock_stepped(struct metric_reg *reg, int64_t step_ms)
{
	for (struct dev_entry *d = reg->dev_head; d; d = d->next) {
		clock_shift_ms(&d->stale_due_ms, step_ms);
		for (struct metric *m = d->first; m; m = m->next_in_device) {
			clock_shift_ms(&m->ts_ms, step_ms);
			clock_shift_ms(&m->value_ts_ms, step_ms);
			if (m->kind == METRIC_COUNTER)
				clock_shift_ms(&node_counter(m)->raw_ts_ms, step_ms);
		}
	}
}

struct metric *metric_reg_device_first(struct metric_reg *reg, const char *device)
{
	struct dev_entry *d = dev_lookup(reg, device, false);
	return d ? d->first : NULL;
}

void metric_reg_foreach(struct metric_reg *reg, void (*fn)(void *arg, struct metric *m),
			void *arg)
{
	for (struct dev_entry *d = reg->dev_head; d; d = d->next)
		for (struct metric *m = d->first, *next; m; m = next) {
			next = m->next_in_device;
			fn(arg, m);
		}
}

static void unlink_metric(struct metric_reg *reg, struct metric *m)
{
	size_t b = hash_metric(m->device, m->key) % reg->nmbuckets;
	for (struct metric_node **pp = &reg->mbuckets[b]; *pp; pp = &(*pp)->next_hash) {
		if (&(*pp)->m == m) {
			struct metric_node *n = *pp;
			*pp = n->next_hash;
			metric_free_fields(&n->m);
			free(node_base(n));
			reg->nmetrics--;
			return;
		}
	}
}

static void unlink_device(struct metric_reg *reg, struct dev_entry *d)
{
	size_t b = strhash(d->device) % reg->ndbuckets;
	for (struct dev_entry **pp = &reg->dbuckets[b]; *pp; pp = &(*pp)->next_hash) {
		if (*pp == d) {
			*pp = d->next_hash;
			break;
		}
	}
	if (d->prev)
		d->prev->next = d->next;
	else
		reg->dev_head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		reg->dev_tail = d->prev;
	reg->ndevices--;
	free(d);
}

void metric_reg_drop_device(struct metric_reg *reg, const char *device)
{
	struct dev_entry *d = dev_lookup(reg, device, false);
	if (!d)
		return;
	for (struct metric *m = d->first, *next; m; m = next) {
		next = m->next_in_device;
		for (int i = 0; i < reg->nsinks; i++)
			if (reg->sinks[i].sink->forget)
				reg->sinks[i].sink->forget(reg->sinks[i].arg, m);
		unlink_metric(reg, m);
	}
	unlink_device(reg, d);
}

size_t metric_reg_count(const struct metric_reg *reg)
{
	return reg->nmetrics;
}

uint64_t metric_reg_reports(const struct metric_reg *reg)
{
	return reg->reports;
}

uint64_t metric_reg_values(const struct metric_reg *reg)
{
	return reg->values;
}

const char *metric_enum_name(const struct metric *m, int value)
{
	for (size_t i = 0; i < m->shape->nenums; i++)
		if (m->shape->enums[i].value == value)
			return m->shape->enums[i].name;
	return NULL;
}

int metric_file_key(const struct metric *m, char *buf, size_t len)
{
	return metric_file_key_of(m->name, metric_inst(m), buf, len);
}

int metric_file_key_of(const char *name, const char *inst, char *buf, size_t len)
{
	size_t o = 0;
	int n = snprintf(buf, len, "%s", name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	o = (size_t)n;
	if (!inst)
		return 0;
	static const char hex[] = "0123456789ABCDEF";
	if (o + 1 >= len)
		return -ENAMETOOLONG;
	buf[o++] = '@';
	for (const unsigned char *p = (const unsigned char *)inst; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
		if (o + (plain ? 1 : 3) >= len)
			return -ENAMETOOLONG;
		if (plain) {
			buf[o++] = (char)*p;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}
