/* Alarm reports (dcmon/alarm_report.h, docs/EVENTS.md "Alarm reports"): on the first
 * tick of a UTC day (of an ISO week), the day (week) just over is summed up from the
 * event store on the worker pool, as the monthly mail is (reports/avail_mail.c), and
 * spooled to the routes that ask for it.  The last period mailed of each kind is kept
 * in <events dir>/alarm_reports.sent, so a restart neither mails a period twice nor
 * forgets one that is due. */
#include "events_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dcmon/alarm_report.h"
#include "dcmon/log.h"
#include "dcmon/notify.h"
#include "dcmon/notify_sched.h"

#define DAY_MS (86400LL * 1000)
#define PAGE_ROWS 10000        /* events read per search of the store */
#define LIST_MAX 20            /* sources and rules shown; the rest are counted */
#define SEV_UNKNOWN 8          /* an event without severity, after debug */
#define STATE_FILE "alarm_reports.sent"

static const char *const kind_names[] = {[ALARM_DAILY] = "daily", [ALARM_WEEKLY] = "weekly"};
static const char *const kind_titles[] = {[ALARM_DAILY] = "Daily", [ALARM_WEEKLY] = "Weekly"};

static void period_name(enum alarm_period_kind kind, int64_t from_ms, char name[ALARM_PERIOD_LEN])
{
	time_t t = (time_t)(from_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(name, ALARM_PERIOD_LEN, kind == ALARM_DAILY ? "%Y-%m-%d" : "%G-W%V", &tm);
}

void alarm_period_before(enum alarm_period_kind kind, int64_t now_ms,
			 char name[ALARM_PERIOD_LEN], int64_t *from_ms, int64_t *to_ms)
{
	int64_t day = now_ms - ((now_ms % DAY_MS) + DAY_MS) % DAY_MS; /* today, 00:00 UTC */
	if (kind == ALARM_DAILY) {
		*from_ms = day - DAY_MS;
		*to_ms = day;
	} else {
		int64_t wday = ((day / DAY_MS) + 3) % 7; /* 1970-01-01 was a Thursday: Monday 0 */
		*to_ms = day - wday * DAY_MS;
		*from_ms = *to_ms - 7 * DAY_MS;
	}
	period_name(kind, *from_ms, name);
}

/* ---- the summary ------------------------------------------------------------------ */

struct tally {
	int64_t events;
	int64_t severity[SEV_UNKNOWN + 1];
	int64_t kind[EVENT_KIND_COUNT];
	json_t *sources, *rules; /* name -> {"n", "worst"} */
	int64_t last_ms, last_id;
	size_t rows;             /* of the current page */
};

static void bump(json_t *obj, const char *name, int severity)
{
	json_t *e = json_object_get(obj, name);
	if (!e) {
		e = json_pack("{s:I,s:i}", "n", (json_int_t)0, "worst", SEV_UNKNOWN);
		if (!e || json_object_set_new(obj, name, e) < 0)
			return;
	}
	json_t *n = json_object_get(e, "n"), *w = json_object_get(e, "worst");
	json_integer_set(n, json_integer_value(n) + 1);
	if (severity < json_integer_value(w))
		json_integer_set(w, severity);
}

/* A sender that is no device is named by what it gave: its host name, else address. */
static void source_name(const struct event *ev, char *buf, size_t len)
{
	if (ev->device)
		snprintf(buf, len, "%s", ev->device);
	else
		snprintf(buf, len, "%s (no device)", ev->host ? ev->host : ev->source ? ev->source : "?");
}

/* An alert event of the alert turning firing (not its notification, not its ack): the
 * alert counted once however it was notified, silenced or not. */
static bool alert_turned_firing(const struct event *ev)
{
	if (ev->kind != EVENT_ALERT || !ev->program || !ev->msgid || strcmp(ev->msgid, "changed"))
		return false;
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].name, "alert.state") == 0)
			return strcmp(ev->fields[i].value, "firing") == 0;
	return false;
}

static bool count_row(void *arg, int64_t id, const struct event *ev)
{
	struct tally *t = arg;
	int sev = ev->severity >= 0 && ev->severity < SEV_UNKNOWN ? ev->severity : SEV_UNKNOWN;
	char src[256];

	t->events++;
	t->severity[sev]++;
	if ((unsigned)ev->kind < EVENT_KIND_COUNT)
		t->kind[ev->kind]++;
	source_name(ev, src, sizeof(src));
	bump(t->sources, src, sev);
	if (alert_turned_firing(ev))
		bump(t->rules, ev->program, sev);
	t->last_ms = ev->received_ms;
	t->last_id = id;
	t->rows++;
	return true;
}

static int by_count(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t nx = json_integer_value(json_object_get(x, "n"));
	json_int_t ny = json_integer_value(json_object_get(y, "n"));
	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

static const char *severity_label(json_int_t sev)
{
	return sev >= 0 && sev < SEV_UNKNOWN ? event_severity_names[sev] : "none";
}

/* name -> {n, worst} as [{"name", count_key: n, "worst"}], most first. */
static json_t *ranked(json_t *obj, const char *count_key)
{
	size_t n = json_object_size(obj), i = 0;
	json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array();
	const char *name;
	json_t *e;
	if (!v || !out) {
		free(v);
		json_decref(out);
		return NULL;
	}
	json_object_foreach(obj, name, e) {
		json_object_set_new(e, "name", json_string(name));
		v[i++] = e;
	}
	qsort(v, n, sizeof(*v), by_count);
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_pack("{s:s,s:O,s:s}", "name",
			json_string_value(json_object_get(v[i], "name")), count_key,
			json_object_get(v[i], "n"),
			"worst", severity_label(json_integer_value(json_object_get(v[i], "worst")))));
	free(v);
	return out;
}

static json_t *tally_json(const struct tally *t, int64_t from_ms, int64_t to_ms)
{
	json_t *sev = json_object(), *kind = json_object();
	for (int i = 0; i <= SEV_UNKNOWN; i++)
		json_object_set_new(sev, severity_label(i), json_integer(t->severity[i]));
	for (int i = 0; i < EVENT_KIND_COUNT; i++)
		json_object_set_new(kind, event_kind_names[i], json_integer(t->kind[i]));
	return json_pack("{s:I,s:I,s:I,s:o,s:o,s:o*,s:o*}", "from_ms", (json_int_t)from_ms,
			 "to_ms", (json_int_t)to_ms, "events", (json_int_t)t->events,
			 "severity", sev, "kind", kind, "sources", ranked(t->sources, "events"),
			 "rules", ranked(t->rules, "fired"));
}

json_t *alarm_summary(const char *dir, int64_t from_ms, int64_t to_ms, char *err, size_t errlen)
{
	struct tally t = {.sources = json_object(), .rules = json_object()};
	struct event_query q = {.from_ms = from_ms, .to_ms = to_ms, .kind = -1,
				.severity_max = -1, .ascending = true, .limit = PAGE_ROWS};
	json_t *out = NULL;
	int rc = 0;

	if (!t.sources || !t.rules) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	do { /* a page at a time, each after the last row of the one before */
		t.rows = 0;
		rc = event_dir_search(dir, &q, count_row, &t, err, errlen);
		q.cursor_ms = t.last_ms;
		q.cursor_id = t.last_id;
	} while (rc >= 0 && t.rows == PAGE_ROWS);
	if (rc >= 0 && !(out = tally_json(&t, from_ms, to_ms)))
		snprintf(err, errlen, "out of memory");
done:
	json_decref(t.sources);
	json_decref(t.rules);
	return out;
}

/* ---- rendering ---------------------------------------------------------------------- */

static void utc(int64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

/* A ranked list as text and as an HTML table, the first LIST_MAX of it. */
static void render_list(const json_t *list, const char *what, const char *count_key,
			struct strbuf *text, struct strbuf *html)
{
	size_t n = json_array_size(list), i;
	const json_t *e;

	strbuf_appendf(text, "\n%s:\n", what);
	strbuf_appendf(html, "<h3>");
	strbuf_append_html(html, what);
	strbuf_appendf(html, "</h3>\n<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\">"
		       "<tr><th>name</th><th>%s</th><th>worst</th></tr>\n", count_key);
	json_array_foreach(list, i, e) {
		if (i == LIST_MAX)
			break;
		const char *name = json_string_value(json_object_get(e, "name"));
		json_int_t c = json_integer_value(json_object_get(e, count_key));
		const char *worst = json_string_value(json_object_get(e, "worst"));
		strbuf_appendf(text, "  %-32s %8lld  worst %s\n", name, (long long)c, worst);
		strbuf_appendf(html, "<tr><td>");
		strbuf_append_html(html, name);
		strbuf_appendf(html, "</td><td align=\"right\">%lld</td><td>%s</td></tr>\n",
			       (long long)c, worst);
	}
	strbuf_appendf(html, "</table>\n");
	if (n == 0)
		strbuf_appendf(text, "  none\n");
	if (n > LIST_MAX) {
		strbuf_appendf(text, "  and %zu more\n", n - LIST_MAX);
		strbuf_appendf(html, "<p>and %zu more</p>\n", n - LIST_MAX);
	}
}

/* A {name: count} object as one text line and an HTML table of one row. */
static void render_counts(const json_t *obj, const char *what, struct strbuf *text,
			  struct strbuf *html)
{
	const char *name;
	json_t *v;
	strbuf_appendf(text, "%s:", what);
	strbuf_appendf(html, "<h3>%s</h3>\n<table border=\"1\" cellpadding=\"4\" "
		       "cellspacing=\"0\"><tr>", what);
	json_object_foreach((json_t *)obj, name, v)
		strbuf_appendf(html, "<th>%s</th>", name);
	strbuf_appendf(html, "</tr>\n<tr>");
	json_object_foreach((json_t *)obj, name, v) {
		strbuf_appendf(text, " %s %lld", name, (long long)json_integer_value(v));
		strbuf_appendf(html, "<td align=\"right\">%lld</td>", (long long)json_integer_value(v));
	}
	strbuf_appendf(text, "\n");
	strbuf_appendf(html, "</tr></table>\n");
}

int alarm_summary_render(const json_t *sum, const char *title, struct strbuf *text,
			 struct strbuf *html)
{
	char from[32], to[32];
	utc(json_integer_value(json_object_get(sum, "from_ms")), from);
	utc(json_integer_value(json_object_get(sum, "to_ms")), to);
	long long events = (long long)json_integer_value(json_object_get(sum, "events"));

	strbuf_appendf(text, "%s\n%s to %s\n\nEvents: %lld\n", title, from, to, events);
	strbuf_appendf(html, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>");
	strbuf_append_html(html, title);
	strbuf_appendf(html, "</title></head><body>\n<h2>");
	strbuf_append_html(html, title);
	strbuf_appendf(html, "</h2>\n<p>%s to %s</p>\n<p>Events: <b>%lld</b></p>\n", from, to,
		       events);
	render_counts(json_object_get(sum, "severity"), "By severity", text, html);
	render_counts(json_object_get(sum, "kind"), "By kind", text, html);
	render_list(json_object_get(sum, "sources"), "By source", "events", text, html);
	render_list(json_object_get(sum, "rules"), "Alerts fired by rule", "fired", text, html);
	strbuf_appendf(html, "</body></html>\n");
	return text->failed || html->failed ? -ENOMEM : 0;
}

/* ---- the reporter ------------------------------------------------------------------- */

/* The schedules' names in notify.db's `sent` (dcmon/notify_sched.h). */
static const char *const schedule_names[] = {[ALARM_DAILY] = "alarm-daily",
					     [ALARM_WEEKLY] = "alarm-weekly"};

/* What a period's message points into (sched_job.built). */
struct report_text {
	enum alarm_period_kind kind;
	char *subject, *text, *html;
};

struct alarm_reporter {
	char *state_path;
	struct notify_sched *sched;
	char sent[2][ALARM_PERIOD_LEN]; /* last period mailed of each kind, "" = none yet */
};

static const struct cfg_alarm_reports *alarm_reports_of(const struct cfg *cfg)
{
	const struct cfg_events *ec = cfg ? events_cfg_of(cfg) : NULL;
	return ec ? ec->alarm_reports : NULL;
}

static void routes_of(const struct cfg_alarm_reports *ar, enum alarm_period_kind kind,
		      char *const **routes, size_t *n)
{
	*routes = kind == ALARM_DAILY ? ar->daily : ar->weekly;
	*n = kind == ALARM_DAILY ? ar->ndaily : ar->nweekly;
}

/* "daily 2026-12-05" / "weekly 2026-W49" lines; a missing file is a first run. */
static void state_load(struct alarm_reporter *r)
{
	FILE *f = fopen(r->state_path, "r");
	char kind[16], period[ALARM_PERIOD_LEN];
	if (!f)
		return;
	while (fscanf(f, "%15s %15s", kind, period) == 2)
		for (int k = ALARM_DAILY; k <= ALARM_WEEKLY; k++)
			if (strcmp(kind, kind_names[k]) == 0)
				snprintf(r->sent[k], sizeof(r->sent[k]), "%s", period);
	fclose(f);
}

/* Written to a temporary file, synced, renamed over the old: a crash leaves the old or
 * the new one whole.  0 or -errno. */
static int state_save(const struct alarm_reporter *r)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->state_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	char buf[128];
	int len = snprintf(buf, sizeof(buf), "%s %s\n%s %s\n", kind_names[ALARM_DAILY],
			   r->sent[ALARM_DAILY][0] ? r->sent[ALARM_DAILY] : "-",
			   kind_names[ALARM_WEEKLY],
			   r->sent[ALARM_WEEKLY][0] ? r->sent[ALARM_WEEKLY] : "-");
	int rc = write(fd, buf, (size_t)len) == len && fsync(fd) == 0 ? 0 : -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, r->state_path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static void mark_sent(struct alarm_reporter *r, enum alarm_period_kind kind, const char *period)
{
	snprintf(r->sent[kind], sizeof(r->sent[kind]), "%s", period);
	int rc = state_save(r);
	if (rc < 0) /* kept in memory, and notify.db has it: only its own record is behind */
		log_msg(LOG_LVL_ERROR, "events", NULL, "alarm reports: cannot write %s: %s",
			r->state_path, strerror(-rc));
}

static void job_release(struct sched_job *j)
{
	struct report_text *t = j->built;
	if (t) {
		free(t->subject);
		free(t->text);
		free(t->html);
		free(t);
	}
	free(j->mail);
}

/* Worker thread: the summary of the period, rendered (reads the held cfg and the
 * store's partitions only), and one message of it per route. */
static void job_build(struct sched_job *j)
{
	const struct cfg_events *ec = events_cfg_of(j->cfg);
	struct report_text *t = calloc(1, sizeof(*t));
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	char title[96];
	if (!(j->built = t)) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	t->kind = strcmp(j->schedule, schedule_names[ALARM_DAILY]) == 0 ? ALARM_DAILY
									  : ALARM_WEEKLY;
	json_t *sum = alarm_summary(ec->dir, j->from_ms, j->to_ms, j->err, sizeof(j->err));
	if (!sum)
		return;
	snprintf(title, sizeof(title), "%s alarm report %s", kind_titles[t->kind], j->period);
	long long events = (long long)json_integer_value(json_object_get(sum, "events"));
	long long fired = 0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(sum, "rules"), i, e)
		fired += (long long)json_integer_value(json_object_get(e, "fired"));
	if (alarm_summary_render(sum, title, &text, &html) == 0 &&
	    asprintf(&t->subject, "[dcmon] %s: %lld event%s, %lld alert%s fired", title, events,
		     events == 1 ? "" : "s", fired, fired == 1 ? "" : "s") >= 0) {
		t->text = strbuf_take(&text);
		t->html = strbuf_take(&html);
	}
	strbuf_free(&text);
	strbuf_free(&html);
	json_decref(sum);
	char *const *routes;
	size_t n;
	routes_of(alarm_reports_of(j->cfg), t->kind, &routes, &n);
	if (!t->subject || !t->text || !t->html || !(j->mail = calloc(n + 1, sizeof(*j->mail)))) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	for (j->nmail = 0; j->nmail < n; j->nmail++)
		j->mail[j->nmail] = (struct notify_mail){.route = routes[j->nmail],
							 .kind = "alarm_report",
							 .subject = t->subject, .text = t->text,
							 .html = t->html};
}

/* Loop thread: the period is in notify.db's `sent`; alarm_reports.sent says so too (the
 * record older versions kept). */
static void job_sent(struct sched_job *j, int messages)
{
	const struct report_text *t = j->built;
	(void)messages;
	mark_sent(j->owner, t->kind, j->period);
}

static const struct sched_ops alarm_ops = {
	.sub = "events", .build = job_build, .release = job_release,
	.sent = job_sent,
};

struct alarm_reporter *alarm_reporter_new(const char *dir, struct workq *wq)
{
	struct alarm_reporter *r = calloc(1, sizeof(*r));
	if (!r || asprintf(&r->state_path, "%s/%s", dir, STATE_FILE) < 0) {
		free(r);
		return NULL;
	}
	if (!(r->sched = notify_sched_new(&alarm_ops, r, wq))) {
		free(r->state_path);
		free(r);
		return NULL;
	}
	state_load(r);
	return r;
}

/* The kind whose period before now is due (asked for, not mailed yet), or -1.  A kind
 * never mailed before starts counting now: its period before is taken as mailed (a new
 * configuration does not mail a summary of what happened before it).  A period
 * notify.db says was mailed (a crash after the spool, before the file) is written into
 * the file, not mailed again. */
static int due_kind(struct alarm_reporter *r, const struct cfg_alarm_reports *ar,
		    struct notifier *n, int64_t now_ms, char period[ALARM_PERIOD_LEN],
		    int64_t *from, int64_t *to)
{
	for (int k = ALARM_DAILY; k <= ALARM_WEEKLY; k++) {
		char *const *routes;
		size_t nr;
		routes_of(ar, k, &routes, &nr);
		if (!nr)
			continue;
		alarm_period_before(k, now_ms, period, from, to);
		if (!r->sent[k][0] || strcmp(r->sent[k], "-") == 0 ||
		    (strcmp(r->sent[k], period) != 0 &&
		     notify_sched_sent(n, schedule_names[k], period))) {
			mark_sent(r, k, period);
			continue;
		}
		if (strcmp(r->sent[k], period) != 0)
			return k;
	}
	return -1;
}

void alarm_reporter_tick(struct alarm_reporter *r, const struct cfg *cfg, struct notifier *n,
			 int64_t now_ms)
{
	const struct cfg_alarm_reports *ar = alarm_reports_of(cfg);
	int64_t from, to;
	char period[ALARM_PERIOD_LEN];
	int kind;
	if (!r || !n || !ar || notify_sched_busy(r->sched, now_ms) ||
	    (kind = due_kind(r, ar, n, now_ms, period, &from, &to)) < 0)
		return;
	char what[48];
	snprintf(what, sizeof(what), "%s alarm report", kind_names[kind]);
	struct sched_period p = {.schedule = schedule_names[kind], .period = period, .what = what,
				 .from_ms = from, .to_ms = to};
	notify_sched_start(r->sched, cfg, n, &p, now_ms);
}

void alarm_reporter_free(struct alarm_reporter *r)
{
	if (!r)
		return;
	notify_sched_free(r->sched);
	free(r->state_path);
	free(r);
}
