/* Log rules: a message matching a rule (substring, POSIX regex, program) counts for its
 * device in a sliding window, reported as the metric log_matches_count{rule} of that
 * device; the alert engine's own rules on that metric (`above: {warn: 4}` = a fifth
 * match within the window) then bring acks, silences, routing, tenant scope and e-mail.
 * A clearing pattern sets the count to 0 (the alert resolves); so does the window
 * passing without matches (the count decays every second).  The newest matching lines
 * within the window (QUOTE_MAX) go with the count as the metric's note, which the
 * alert's e-mail quotes, with the count of the rest. */
#include "syslog_int.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcmon/metric.h"
#include "dcmon/strbuf.h"
#include "dcmon/strhash.h"

#define HITS_MAX      1024 /* matches remembered per (rule, device): the count's ceiling */
#define HIT_BUCKETS_MIN 1024 /* the (rule, device) table's buckets, doubled past 1 per entry */
#define RULE_INTERVAL_MS 10000 /* the metric's expected report interval (decay reports) */
#define QUOTE_MAX     20   /* matching lines the alert's e-mail quotes: the newest */
#define QUOTE_LINE_MAX 512 /* bytes of one quoted line (time, host, program, message) */

/* The counts of the login reconciliation (syslog_logins.c), as log rules of these names
 * that no line matches by itself: the reconciliation counts a login or a command for
 * one of them (log_rules_hit), the e-mail quotes it, and the engine's default rules on
 * them alert (etc/profiles/defaults.yaml). */
const char *const login_rule_names[LOGIN_RULES] = {LOGIN_RULE_OUTSIDE, LOGIN_RULE_ACCOUNT,
						    LOGIN_RULE_COMMAND, LOGIN_RULE_FAILED};

struct log_rule_rt {
	const struct cfg_log_rule *c; /* borrowed from the running config (rebuilt on reload) */
	regex_t re;
	bool has_re;
	bool external; /* counted by log_rules_hit only (login reconciliation), never matched */
	/* the prefilter (syslog_prefilter.c): the substrings match and clear, and what the
	 * regex cannot match without */
	struct lit_filter match_f, clear_f, re_f;
};

struct log_hits;

/* The note of a (rule, device)'s metric, made from its counts when read (an alert's
 * e-mail) rather than at each report.  The metric and the counts both point to it and
 * either may go first (a reload frees the counts; the metrics may stay or go): the
 * last one to let go frees it. */
struct hits_note {
	struct metric_note_source src;
	const struct log_rules *lr;
	const struct log_hits *h; /* NULL once the counts are gone */
	bool held;                /* by the metric */
};

/* The recent matches of one rule on one device, a ring of times. */
struct log_hits {
	struct log_hits *next;
	size_t rule;
	char *device;
	struct metric *m;
	int64_t times[HITS_MAX];
	/* a rule with `instance:`: the hash of each match's instance, beside its time
	 * (allocated at the first match; NULL when that failed: a clear ends them all) */
	uint64_t *inst;
	size_t head, n;
	double last;     /* the count last reported */
	int64_t last_ms; /* when (wall clock) */
	/* the newest matches' lines, a ring like times, each as the note quotes it
	 * ("  2026-12-06 08:42:06 UTC host program: message\n", qlen bytes); allocated at
	 * the first match */
	char (*qtext)[QUOTE_LINE_MAX];
	size_t qlen[QUOTE_MAX];
	int64_t qms[QUOTE_MAX];
	uint64_t qinst[QUOTE_MAX]; /* each line's instance, as inst */
	size_t qhead, qn;
	/* counted since the last report (dirty), which log_rules_flush makes at
	 * pending_ms; listed: on its list (dirty_next) */
	bool dirty, listed;
	struct log_hits *dirty_next;
	int64_t pending_ms;
	struct hits_note *note; /* made at the first report */
};

struct log_rules {
	struct log_rule_rt *v;
	size_t n;
	struct metric_reg *reg;
	struct log_hits **buckets; /* nbuckets (a power of two) chains of (rule, device) */
	size_t nbuckets, nhits;
	int64_t when_sec;          /* the second when_text shows (quote_push) */
	char when_text[32];
	struct log_hits *dirty; /* counts not reported yet */
	struct cfg_log_rule logins[LOGIN_RULES]; /* the login reconciliation's counts */
};

static size_t hits_hash(size_t rule, const char *device)
{
	return (size_t)((strhash(device) ^ (rule * 0x9E3779B97F4A7C15ULL)) >> 7);
}

static struct log_hits **bucket(struct log_rules *lr, size_t rule, const char *device)
{
	return &lr->buckets[hits_hash(rule, device) & (lr->nbuckets - 1)];
}

/* Doubles the buckets once the entries outnumber them: a chain walk costs a cache
 * miss per entry (each holds its ring of times), so chains stay short. */
static void hits_grow(struct log_rules *lr)
{
	size_t n = lr->nbuckets * 2;
	struct log_hits **v = calloc(n, sizeof(*v));

	if (!v)
		return; /* longer chains, still correct */
	for (size_t b = 0; b < lr->nbuckets; b++) {
		while (lr->buckets[b]) {
			struct log_hits *h = lr->buckets[b];
			lr->buckets[b] = h->next;
			size_t i = hits_hash(h->rule, h->device) & (n - 1);
			h->next = v[i];
			v[i] = h;
		}
	}
	free(lr->buckets);
	lr->buckets = v;
	lr->nbuckets = n;
}

static struct log_hits *hits_get(struct log_rules *lr, size_t rule, const char *device)
{
	struct log_hits **b = bucket(lr, rule, device), *h;
	for (h = *b; h; h = h->next)
		if (h->rule == rule && strcmp(h->device, device) == 0)
			return h;
	struct metric_desc d = {.name = "log_matches_count", .unit = "", .kind = METRIC_GAUGE,
				.inst_label = "rule", .inst = lr->v[rule].c->name,
				.interval_ms = RULE_INTERVAL_MS};
	if (!(h = calloc(1, sizeof(*h))) || !(h->device = strdup(device))) {
		free(h);
		return NULL;
	}
	h->rule = rule;
	h->m = metric_reg_get(lr->reg, device, &d);
	h->next = *b;
	*b = h;
	if (++lr->nhits > lr->nbuckets)
		hits_grow(lr);
	return h;
}

/* Drops the matches older than the window; returns how many remain. */
static size_t hits_prune(struct log_hits *h, int64_t window_ms, int64_t now_ms)
{
	while (h->n > 0 && h->times[(h->head + HITS_MAX - h->n) % HITS_MAX] <= now_ms - window_ms)
		h->n--;
	return h->n;
}

static void quotes_clear(struct log_hits *h)
{
	h->qn = 0;
}

/* Remembers ev's line as the newest match, formatted once: a note read often (an
 * e-mail per alert) then costs no more than copying the lines. */
static void quote_push(struct log_rules *lr, struct log_hits *h, const struct event *ev,
		       uint64_t inst, int64_t now_ms)
{
	if (!h->qtext && !(h->qtext = malloc(QUOTE_MAX * sizeof(*h->qtext))))
		return; /* the count still holds the match */
	if (now_ms / 1000 != lr->when_sec) { /* the time as text, once a second */
		time_t t = (time_t)(now_ms / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(lr->when_text, sizeof(lr->when_text), "%Y-%m-%d %H:%M:%S UTC", &tm);
		lr->when_sec = now_ms / 1000;
	}
	int n = snprintf(h->qtext[h->qhead], QUOTE_LINE_MAX - 1, "  %s %s %s: %s", lr->when_text,
			 ev->host ? ev->host : (ev->source ? ev->source : "-"),
			 ev->program ? ev->program : "-", ev->message ? ev->message : "");
	size_t len = n < 0 ? 0 : (size_t)n < QUOTE_LINE_MAX - 2 ? (size_t)n : QUOTE_LINE_MAX - 2;
	h->qtext[h->qhead][len++] = '\n'; /* room kept: the line ends in \n, unterminated */
	h->qlen[h->qhead] = len;
	h->qms[h->qhead] = now_ms;
	h->qinst[h->qhead] = inst;
	h->qhead = (h->qhead + 1) % QUOTE_MAX;
	h->qn += h->qn < QUOTE_MAX;
}

/* The metric's note: the quoted lines still within the window (as of the count's last
 * report, or of its last match not reported yet), oldest first, and how many more
 * matched. */
static void hits_note_write(const struct metric_note_source *src, struct strbuf *b)
{
	const struct hits_note *note = (const struct hits_note *)src;
	const struct log_hits *h = note->h;
	if (!h)
		return;
	const struct cfg_log_rule *c = note->lr->v[h->rule].c;
	int64_t now_ms = h->dirty ? h->pending_ms : h->last_ms;
	size_t shown = 0;
	while (shown < h->qn && shown < h->n &&
	       h->qms[(h->qhead + QUOTE_MAX - 1 - shown) % QUOTE_MAX] > now_ms - c->window_ms)
		shown++;
	if (shown == 0)
		return;
	strbuf_appendf(b, "Matching lines of log rule %s (%zu within %llds", c->name, h->n,
		       (long long)(c->window_ms / 1000));
	if (shown < h->n)
		strbuf_appendf(b, "; the newest %zu quoted, %zu more not", shown, h->n - shown);
	strbuf_appends(b, "):\n");
	for (size_t k = shown; k > 0; k--) {
		size_t i = (h->qhead + QUOTE_MAX - k) % QUOTE_MAX;
		strbuf_append(b, h->qtext[i], h->qlen[i]);
	}
}

static void hits_note_release(struct metric_note_source *src)
{
	struct hits_note *note = (struct hits_note *)src;
	note->held = false;
	if (!note->h)
		free(note);
}

/* The counts go (a reload): the note, if a metric still holds it, says nothing more. */
static void hits_note_drop(struct hits_note *note)
{
	if (!note)
		return;
	note->h = NULL;
	if (!note->held)
		free(note);
}

/* Makes h's note its metric's (again, if another note replaced it). */
static void hits_note_set(struct log_rules *lr, struct log_hits *h)
{
	if (!h->note && (h->note = calloc(1, sizeof(*h->note)))) {
		h->note->src = (struct metric_note_source){.write = hits_note_write,
							   .release = hits_note_release};
		h->note->lr = lr;
		h->note->h = h;
	}
	if (h->note && !h->note->held) {
		metric_set_note_source(h->m, &h->note->src);
		h->note->held = true;
	}
}

static void hits_report(struct log_rules *lr, struct log_hits *h, int64_t now_ms)
{
	h->dirty = false; /* (if listed, log_rules_flush passes it by) */
	h->last = (double)h->n;
	h->last_ms = now_ms;
	if (!h->m)
		return;
	hits_note_set(lr, h); /* before the report: an alert it fires reads it */
	metric_put(lr->reg, h->m, now_ms, h->last);
}

/* A scoped rule sees only its tenant's (or its devices') messages, its clearing lines
 * included: another tenant's "link up" clears nothing of this one's. */
static bool rule_in_scope(const struct cfg_log_rule *c, const struct event *ev)
{
	if (c->tenant && (!ev->tenant || strcmp(c->tenant, ev->tenant) != 0))
		return false;
	for (size_t i = 0; i < c->ndevices; i++)
		if (strcmp(c->devices[i], ev->device) == 0)
			return true;
	return c->ndevices == 0;
}

const char *const log_rule_kind_names[] = {"any", "syslog", "trap", NULL};

/* The kind of event the rule looks at: its clearing lines too. */
static bool rule_kind_ok(const struct cfg_log_rule *c, const struct event *ev)
{
	int kind = c->trap ? LOG_RULE_TRAP : c->kind;
	return kind == LOG_RULE_ANY || (kind == LOG_RULE_TRAP) == (ev->kind == EVENT_TRAP);
}

/* value is want, or an enumerated value "down(2)" whose label or number is want. */
static bool field_value_is(const char *value, const char *want)
{
	if (strcmp(value, want) == 0)
		return true;
	const char *open = strrchr(value, '('); /* "label(n)" as trap varbinds give it */
	size_t len = strlen(value), wlen = strlen(want);
	if (!open || open == value || value[len - 1] != ')')
		return false;
	size_t label = (size_t)(open - value), num = len - label - 2;
	return (wlen == label && strncmp(value, want, label) == 0) ||
	       (wlen == num && strncmp(open + 1, want, num) == 0);
}

/* Is the field name n key, or key.INSTANCE ("ifOperStatus" names "ifOperStatus.2")? */
static bool field_named(const char *n, const char *key, size_t klen)
{
	return strncmp(n, key, klen) == 0 && (n[klen] == '\0' || n[klen] == '.');
}

/* A field named key holds want. */
static bool field_holds(const struct event *ev, const char *key, const char *want)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < ev->nfields; i++)
		if (field_named(ev->fields[i].name, key, klen) &&
		    field_value_is(ev->fields[i].value, want))
			return true;
	return false;
}

/* The value of ev's first field named key, NULL if it has none. */
static const char *field_value(const struct event *ev, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < ev->nfields; i++)
		if (field_named(ev->fields[i].name, key, klen))
			return ev->fields[i].value;
	return NULL;
}

static bool rule_fields_hold(const struct cfg_log_rule *c, const struct event *ev)
{
	for (size_t i = 0; i < c->nfields; i++)
		if (!field_holds(ev, c->fields[i].key, c->fields[i].value))
			return false;
	return true;
}

/* A trap's notification name (its program) or OID (its msgid). */
static bool rule_trap_is(const struct cfg_log_rule *c, const struct event *ev)
{
	return !c->trap || (ev->program && strcmp(c->trap, ev->program) == 0) ||
	       (ev->msgid && strcmp(c->trap, ev->msgid) == 0);
}

static bool rule_matches(const struct log_rule_rt *r, const struct event *ev,
			 struct msg_grams *g, const char *msg)
{
	if (r->external)
		return false;
	if (r->c->program && (!ev->program || strcmp(r->c->program, ev->program) != 0))
		return false;
	if (!rule_trap_is(r->c, ev) || !rule_fields_hold(r->c, ev))
		return false;
	if (!lit_filter_pass(&r->match_f, g, msg) || !lit_filter_pass(&r->re_f, g, msg))
		return false;
	return !r->has_re || regexec(&r->re, msg, 0, NULL, 0) == 0;
}

/* Ends the matches of one instance (and their quoted lines), the others kept in order. */
static void hits_end_instance(struct log_hits *h, uint64_t inst)
{
	size_t from = (h->head + HITS_MAX - h->n) % HITS_MAX, to = from, kept = 0;
	for (size_t k = 0; k < h->n; k++) {
		size_t i = (from + k) % HITS_MAX;
		if (h->inst[i] == inst)
			continue;
		h->times[to] = h->times[i];
		h->inst[to] = h->inst[i];
		to = (to + 1) % HITS_MAX;
		kept++;
	}
	h->head = to;
	h->n = kept;
	from = (h->qhead + QUOTE_MAX - h->qn) % QUOTE_MAX, to = from, kept = 0;
	for (size_t k = 0; k < h->qn; k++) {
		size_t i = (from + k) % QUOTE_MAX;
		if (h->qinst[i] == inst)
			continue;
		if (to != i) {
			memcpy(h->qtext[to], h->qtext[i], h->qlen[i]);
			h->qlen[to] = h->qlen[i];
			h->qms[to] = h->qms[i];
			h->qinst[to] = h->qinst[i];
		}
		to = (to + 1) % QUOTE_MAX;
		kept++;
	}
	h->qhead = to;
	h->qn = kept;
}

/* The instance ev is about: for a rule with `instance:`, the hash of that field's value
 * ("" when ev has no such field), else 0; *named: ev has the field. */
static uint64_t event_instance(const struct cfg_log_rule *c, const struct event *ev, bool *named)
{
	const char *v = c->instance ? field_value(ev, c->instance) : NULL;
	*named = v != NULL;
	return c->instance ? strhash(v ? v : "") : 0;
}

/* One match of rule i on ev's device (or its clearing line), reported by the next
 * log_rules_flush: a burst of matches of one device makes one report (its count,
 * the newest lines) rather than one each, the note and the engine's work included. */
static void rule_count(struct log_rules *lr, size_t i, const struct event *ev, bool clears,
		       int64_t now_ms)
{
	struct log_hits *h = hits_get(lr, i, ev->device);
	if (!h)
		return;
	bool named;
	uint64_t inst = event_instance(lr->v[i].c, ev, &named);
	if (clears) {
		if (h->dirty) /* the count it reached is seen before it goes to 0 */
			hits_report(lr, h, h->pending_ms);
		if (named && h->inst) { /* the matches of its own instance only */
			hits_end_instance(h, inst);
		} else {
			h->n = 0;
			quotes_clear(h);
		}
	} else {
		if (lr->v[i].c->instance && !h->inst && h->n == 0)
			h->inst = malloc(HITS_MAX * sizeof(*h->inst));
		quote_push(lr, h, ev, inst, now_ms);
		h->times[h->head] = now_ms;
		if (h->inst)
			h->inst[h->head] = inst;
		h->head = (h->head + 1) % HITS_MAX;
		h->n += h->n < HITS_MAX;
		hits_prune(h, lr->v[i].c->window_ms, now_ms);
	}
	h->pending_ms = now_ms;
	h->dirty = true;
	if (!h->listed) {
		h->listed = true;
		h->dirty_next = lr->dirty;
		lr->dirty = h;
	}
}

void log_rules_flush(struct log_rules *lr)
{
	while (lr && lr->dirty) {
		struct log_hits *h = lr->dirty;
		lr->dirty = h->dirty_next;
		h->listed = false;
		if (h->dirty)
			hits_report(lr, h, h->pending_ms);
	}
}

void log_rules_apply(struct log_rules *lr, const struct event *ev, int64_t now_ms)
{
	struct msg_grams g;
	const char *msg = ev->message ? ev->message : "";

	if (!lr || !ev->device)
		return;
	msg_grams_of(&g, msg); /* made at the first literal a rule in scope looks up */
	for (size_t i = 0; i < lr->n; i++) {
		const struct log_rule_rt *r = &lr->v[i];
		if (!rule_in_scope(r->c, ev) || !rule_kind_ok(r->c, ev))
			continue;
		bool clears = r->c->clear && ev->message && lit_filter_pass(&r->clear_f, &g, msg);
		if (!clears && !rule_matches(r, ev, &g, msg))
			continue;
		rule_count(lr, i, ev, clears, now_ms);
	}
}

void log_rules_hit(struct log_rules *lr, const char *rule, const struct event *ev,
		   int64_t now_ms)
{
	for (size_t i = 0; lr && ev->device && i < lr->n; i++)
		if (strcmp(lr->v[i].c->name, rule) == 0)
			rule_count(lr, i, ev, false, now_ms);
}

void log_rules_tick(struct log_rules *lr, int64_t now_ms)
{
	log_rules_flush(lr);
	for (size_t b = 0; lr && b < lr->nbuckets; b++)
		for (struct log_hits *h = lr->buckets[b]; h; h = h->next)
			if (hits_prune(h, lr->v[h->rule].c->window_ms, now_ms) != h->last ||
			    now_ms - h->last_ms >= RULE_INTERVAL_MS / 2)
				hits_report(lr, h, now_ms);
}

/* The shipped log rules (docs/CONFIG.md, "Default log rules"): common server and
 * facility messages, each with a default engine rule on its count in
 * etc/profiles/defaults.yaml.  A config rule of the same name replaces one. */
static const struct cfg_log_rule shipped_rules[] = {
	{.name = "kernel-oom", .program = "kernel", .window_ms = 600000,
	 .regex = "Out of memory|invoked oom-killer|oom-kill:|Memory cgroup out of memory"},
	{.name = "disk-io-error", .program = "kernel", .window_ms = 600000,
	 .regex = "I/O error|Buffer I/O error|critical medium error|Medium Error|"
		  "Unrecovered read error|failed command: (READ|WRITE) FPDMA"},
	{.name = "sshd-failures", .program = "sshd", .window_ms = 60000,
	 .regex = "Failed (password|publickey) for|Invalid user |authentication failure|"
		  "maximum authentication attempts exceeded"},
	{.name = "ups-on-battery-apcupsd", .program = "apcupsd", .window_ms = 86400000,
	 .regex = "Power failure\\.|Running on UPS batteries", .clear = "Power is back"},
	{.name = "ups-on-battery-nut", .program = "upsmon", .window_ms = 86400000,
	 .regex = "UPS .* on battery", .clear = "on line power"},
	{.name = "ups-battery-low-apcupsd", .program = "apcupsd", .window_ms = 86400000,
	 .regex = "Battery power exhausted|Reached remaining time percentage limit|"
		  "Remaining battery charge below limit|Battery charge below low limit",
	 .clear = "Power is back"},
	{.name = "ups-battery-low-nut", .program = "upsmon", .window_ms = 86400000,
	 .regex = "UPS .* battery is low", .clear = "on line power"},
};
#define SHIPPED_RULES (sizeof(shipped_rules) / sizeof(shipped_rules[0]))

bool log_rule_shipped(const char *name)
{
	for (size_t i = 0; i < SHIPPED_RULES; i++)
		if (strcmp(shipped_rules[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < LOGIN_RULES; i++)
		if (strcmp(login_rule_names[i], name) == 0)
			return true;
	return false;
}

static bool rule_named(const struct cfg_syslog *c, const char *name)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return true;
	return false;
}

/* The rules that run, in order: the config's, then the shipped ones it does not
 * replace.  Returns their count; out (SHIPPED_RULES + c->nrules) gets them. */
static size_t rules_in_force(const struct cfg_syslog *c, const struct cfg_log_rule **out)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nrules; i++)
		out[n++] = &c->rules[i];
	for (size_t i = 0; c->default_rules && i < SHIPPED_RULES; i++)
		if (!rule_named(c, shipped_rules[i].name))
			out[n++] = &shipped_rules[i];
	return n;
}

/* Forgets every count (a reload: the devices' metrics may be gone). */
static void log_rules_reset(struct log_rules *lr)
{
	if (lr) {
		lr->dirty = NULL;
		lr->nhits = 0;
	}
	for (size_t b = 0; lr && b < lr->nbuckets; b++) {
		while (lr->buckets[b]) {
			struct log_hits *h = lr->buckets[b];
			lr->buckets[b] = h->next;
			hits_note_drop(h->note);
			free(h->inst);
			free(h->qtext);
			free(h->device);
			free(h);
		}
	}
}

struct log_rules *log_rules_new(const struct cfg_syslog *c, struct metric_reg *reg, char *err,
				size_t errlen)
{
	const struct cfg_log_rule **in_force =
		calloc(c->nrules + SHIPPED_RULES + LOGIN_RULES, sizeof(*in_force));
	struct log_rules *lr = NULL;
	size_t n, nlogin = c->logins ? LOGIN_RULES : 0;

	err[0] = '\0';
	if (!in_force)
		goto oom;
	if (!(n = rules_in_force(c, in_force) + nlogin) || !reg) {
		free(in_force);
		return NULL;
	}
	if (!(lr = calloc(1, sizeof(*lr))) || !(lr->v = calloc(n, sizeof(*lr->v))) ||
	    !(lr->buckets = calloc(HIT_BUCKETS_MIN, sizeof(*lr->buckets))))
		goto oom;
	lr->nbuckets = HIT_BUCKETS_MIN;
	lr->when_sec = -1;
	lr->reg = reg;
	for (size_t k = 0; k < nlogin; k++) {
		lr->logins[k] = (struct cfg_log_rule){.name = (char *)login_rule_names[k],
						      .window_ms = c->logins->window_ms};
		in_force[n - nlogin + k] = &lr->logins[k];
		lr->v[n - nlogin + k].external = true;
	}
	for (; lr->n < n; lr->n++) {
		struct log_rule_rt *r = &lr->v[lr->n];
		r->c = in_force[lr->n];
		if (r->c->regex && regcomp(&r->re, r->c->regex, REG_EXTENDED | REG_NOSUB) != 0) {
			snprintf(err, errlen, "syslog: rule %s: bad regex", r->c->name);
			free(in_force);
			log_rules_free(lr);
			return NULL;
		}
		r->has_re = r->c->regex != NULL;
		lit_filter_init(&r->match_f, r->c->match);
		lit_filter_init(&r->clear_f, r->c->clear);
		if (r->has_re)
			lit_filter_regex(&r->re_f, r->c->regex); /* out of memory: no filter */
	}
	free(in_force);
	return lr;
oom:
	snprintf(err, errlen, "syslog: out of memory");
	free(in_force);
	if (lr)
		free(lr->v);
	free(lr);
	return NULL;
}

void log_rules_free(struct log_rules *lr)
{
	if (!lr)
		return;
	log_rules_reset(lr);
	for (size_t i = 0; i < lr->n; i++) {
		if (lr->v[i].has_re)
			regfree(&lr->v[i].re);
		lit_filter_release(&lr->v[i].re_f);
	}
	free(lr->buckets);
	free(lr->v);
	free(lr);
}
