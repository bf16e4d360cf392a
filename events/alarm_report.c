/* Alarm reports (dcmon/alarm_report.h, docs/EVENTS.md "Alarm reports"): the NOC's, to
 * routes, on the site's days and ISO weeks, and each tenant's, of its own events only,
 * to its own addresses, on its days in its time zone.  A period over is summed up from
 * the event store on the worker pool and spooled through the one scheduled-mail
 * mechanism (dcmon/notify_sched.h), which also mails, oldest first, the periods that
 * ended while dcmond was down.  The NOC's last period mailed of each kind is also kept
 * in <events dir>/alarm_reports.sent, the record older versions read. */
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
#include "dcmon/tz.h"

#define PAGE_ROWS 10000        /* events read per search of the store */
#define LIST_MAX 20            /* sources and rules shown; the rest are counted */
#define SEV_UNKNOWN 8          /* an event without severity, after debug */
#define STATE_FILE "alarm_reports.sent"
#define SCAN_EVERY_MS 60000    /* schedules looked at once a minute when none was due */
/* Periods a start after a stop catches up (docs/EVENTS.md): older ones are named in the
 * log and the audit log, not mailed */
#define CATCHUP_DAYS 31
#define CATCHUP_WEEKS 5

static const char *const kind_names[] = {[ALARM_DAILY] = "daily", [ALARM_WEEKLY] = "weekly"};
static const char *const kind_titles[] = {[ALARM_DAILY] = "Daily", [ALARM_WEEKLY] = "Weekly"};

void alarm_period_before(enum alarm_period_kind kind, const char *tz, int64_t now_ms,
			 char name[ALARM_PERIOD_LEN], int64_t *from_ms, int64_t *to_ms)
{
	struct tm now, from;
	if (!tz_localtime(tz, now_ms, &now)) /* its file gone since the config was checked */
		tz = NULL, tz_localtime(NULL, now_ms, &now);
	/* days back to the period's first: yesterday, or the Monday of the week before */
	int back = kind == ALARM_DAILY ? 1 : 7 + (now.tm_wday + 6) % 7;
	*from_ms = tz_local_at(tz, &now, -back, 0);
	*to_ms = tz_local_at(tz, &now, -back + (kind == ALARM_DAILY ? 1 : 7), 0);
	tz_localtime(tz, *from_ms, &from);
	strftime(name, ALARM_PERIOD_LEN, kind == ALARM_DAILY ? "%Y-%m-%d" : "%G-W%V", &from);
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

json_t *alarm_summary(const char *dir, const char *tenant, int64_t from_ms, int64_t to_ms,
		      char *err, size_t errlen)
{
	struct tally t = {.sources = json_object(), .rules = json_object()};
	struct event_query q = {.from_ms = from_ms, .to_ms = to_ms, .tenant = tenant, .kind = -1,
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

/* The schedules' names in notify.db's `sent` (dcmon/notify_sched.h); a tenant's are
 * these and ":<tenant id>". */
static const char *const schedule_names[] = {[ALARM_DAILY] = "alarm-daily",
					     [ALARM_WEEKLY] = "alarm-weekly"};
static const int catchup_max[] = {[ALARM_DAILY] = CATCHUP_DAYS, [ALARM_WEEKLY] = CATCHUP_WEEKS};

/* What a period's message points into (sched_job.built). */
struct report_text {
	char *subject, *text, *html;
};

struct alarm_reporter {
	char *state_path;
	struct notify_sched *sched;
	char sent[2][ALARM_PERIOD_LEN]; /* the NOC's last period mailed of each kind, "" = none */
	int64_t next_scan_ms;           /* schedules are looked at again from then */
};

/* One schedule: the NOC's (tenant NULL) or a tenant's report of one kind. */
struct alarm_cal {
	struct sched_calendar cal; /* first: its before() gets it */
	enum alarm_period_kind kind;
	const char *tz;            /* NULL: the site's (dcmond's) zone */
	char schedule[NOTIFY_SCHEDULE_LEN], what[48];
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

static enum alarm_period_kind kind_of(const char *schedule)
{
	return strncmp(schedule, schedule_names[ALARM_DAILY],
		       strlen(schedule_names[ALARM_DAILY])) == 0 ? ALARM_DAILY : ALARM_WEEKLY;
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
			if (strcmp(kind, kind_names[k]) == 0 && strcmp(period, "-") != 0)
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

/* Loop thread: a period is marked sent in notify.db (mailed, a first run's or skipped);
 * a NOC's is written into alarm_reports.sent too. */
static void period_marked(void *owner, const char *schedule, const char *period, int64_t now_ms)
{
	struct alarm_reporter *r = owner;
	enum alarm_period_kind kind = kind_of(schedule);
	(void)now_ms;
	if (strcmp(schedule, schedule_names[kind]) != 0) /* a tenant's */
		return;
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

/* The report's title: "Daily alarm report 2026-12-05", a tenant's "... for acme
 * (Pacific/Kiritimati)" (its days are its zone's). */
static void report_title(const struct sched_job *j, const struct cfg_contact *tenant,
			 char *buf, size_t len)
{
	snprintf(buf, len, "%s alarm report %s%s%s%s%s%s", kind_titles[kind_of(j->schedule)],
		 j->period, tenant ? " for " : "", tenant ? tenant->id : "",
		 tenant && tenant->timezone ? " (" : "",
		 tenant && tenant->timezone ? tenant->timezone : "",
		 tenant && tenant->timezone ? ")" : "");
}

/* The period's messages: one per route of the NOC's, or the tenant's own. */
static int report_mails(struct sched_job *j, const struct cfg_contact *tenant,
			const struct report_text *t)
{
	char *const *routes = NULL;
	size_t n = 1;
	if (!tenant)
		routes_of(alarm_reports_of(j->cfg), kind_of(j->schedule), &routes, &n);
	if (!(j->mail = calloc(n + 1, sizeof(*j->mail))))
		return -ENOMEM;
	for (j->nmail = 0; j->nmail < n; j->nmail++)
		j->mail[j->nmail] = (struct notify_mail){
			.route = tenant ? NULL : routes[j->nmail], .tenant = tenant ? tenant->id : NULL,
			.kind = "alarm_report", .subject = t->subject, .text = t->text,
			.html = t->html};
	return 0;
}

/* Worker thread: the summary of the period, rendered (reads the held cfg and the
 * store's partitions only), and its messages. */
static void job_build(struct sched_job *j)
{
	const struct cfg_events *ec = events_cfg_of(j->cfg);
	const struct cfg_contact *tenant = j->arg;
	struct report_text *t = calloc(1, sizeof(*t));
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	char title[256];
	if (!(j->built = t)) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	json_t *sum = alarm_summary(ec->dir, tenant ? tenant->id : NULL, j->from_ms, j->to_ms,
				    j->err, sizeof(j->err));
	if (!sum)
		return;
	report_title(j, tenant, title, sizeof(title));
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
	if (!t->subject || !t->text || !t->html || report_mails(j, tenant, t) < 0)
		snprintf(j->err, sizeof(j->err), "out of memory");
}

static const struct sched_ops alarm_ops = {
	.sub = "events", .build = job_build, .release = job_release,
	.marked = period_marked,
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

static void cal_before(const struct sched_calendar *c, int64_t at_ms,
		       char name[NOTIFY_PERIOD_LEN], int64_t *from_ms, int64_t *to_ms)
{
	const struct alarm_cal *ac = (const struct alarm_cal *)c;
	alarm_period_before(ac->kind, ac->tz, at_ms, name, from_ms, to_ms);
}

/* The calendar of kind for tenant (NULL: the NOC's). */
static void cal_make(const struct alarm_reporter *r, enum alarm_period_kind kind,
		     const struct cfg_contact *tenant, struct alarm_cal *ac)
{
	*ac = (struct alarm_cal){.kind = kind, .tz = tenant ? tenant->timezone : NULL};
	snprintf(ac->schedule, sizeof(ac->schedule), "%s%s%s", schedule_names[kind],
		 tenant ? ":" : "", tenant ? tenant->id : "");
	snprintf(ac->what, sizeof(ac->what), "%s alarm report%s%.20s", kind_names[kind],
		 tenant ? " for " : "", tenant ? tenant->id : "");
	ac->cal = (struct sched_calendar){.schedule = ac->schedule, .what = ac->what,
					  .before = cal_before, .arg = tenant,
					  .catchup_max = catchup_max[kind],
					  .own_last = tenant || !r->sent[kind][0] ? NULL
										 : r->sent[kind]};
}

/* Starts the oldest period due of the first schedule that has one: the NOC's kinds,
 * then each tenant's.  True when one was started. */
static bool start_due(struct alarm_reporter *r, const struct cfg *cfg,
		      const struct cfg_alarm_reports *ar, struct notifier *n,
		      struct alert_engine *audit, int64_t now_ms)
{
	struct alarm_cal ac;
	for (int k = ALARM_DAILY; k <= ALARM_WEEKLY; k++) {
		char *const *routes;
		size_t nr;
		routes_of(ar, k, &routes, &nr);
		cal_make(r, k, NULL, &ac);
		if (nr && notify_sched_run(r->sched, cfg, n, audit, &ac.cal, now_ms))
			return true;
	}
	for (size_t i = 0; i < cfg->ntenants; i++)
		for (int k = ALARM_DAILY; k <= ALARM_WEEKLY; k++) {
			cal_make(r, k, &cfg->tenants[i], &ac);
			if ((k == ALARM_DAILY ? ar->tenant_daily : ar->tenant_weekly) &&
			    notify_sched_run(r->sched, cfg, n, audit, &ac.cal, now_ms))
				return true;
		}
	return false;
}

void alarm_reporter_tick(struct alarm_reporter *r, const struct cfg *cfg, struct notifier *n,
			 struct alert_engine *audit, int64_t now_ms)
{
	const struct cfg_alarm_reports *ar = alarm_reports_of(cfg);
	if (!r || !n || !ar || notify_sched_busy(r->sched, now_ms) || now_ms < r->next_scan_ms)
		return;
	if (!start_due(r, cfg, ar, n, audit, now_ms)) /* none due before the next minute */
		r->next_scan_ms = now_ms - now_ms % SCAN_EVERY_MS + SCAN_EVERY_MS;
}

void alarm_reporter_free(struct alarm_reporter *r)
{
	if (!r)
		return;
	notify_sched_free(r->sched);
	free(r->state_path);
	free(r);
}
