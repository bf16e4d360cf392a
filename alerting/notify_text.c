/* The words of an alert e-mail: subject, one list line, the full plain-text block of one
 * alert, and the RFC 5322 message around a body. */
#include "notify_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcmon/strbuf.h"

void notify_text_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "-");
}

static const char *sev_upper(enum cfg_severity s)
{
	static const char *const n[] = {[SEV_INFO] = "INFO", [SEV_WARNING] = "WARNING",
					[SEV_CRITICAL] = "CRITICAL"};
	return (unsigned)s <= SEV_CRITICAL ? n[s] : "?";
}

/* A value in its unit, or the state's name for STATE metrics. */
static void value_text(const struct notify_text_ctx *c, double v, char *buf, size_t len)
{
	const struct metric *m = c->metric;
	const char *name = m && m->kind == METRIC_STATE && !isnan(v) ? metric_enum_name(m, (int)v) : NULL;
	const char *unit = c->ev->unit ? c->ev->unit : "";

	if (isnan(v))
		snprintf(buf, len, "-");
	else if (name)
		snprintf(buf, len, "%s (%g)", name, v);
	else
		snprintf(buf, len, "%g%s%s", v, *unit ? " " : "", unit);
}

/* "tcp_port_up{port=80}" */
static void metric_text(const struct alert_event *ev, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", ev->metric, ev->inst ? "{" : "", ev->inst ? ev->inst : "",
		 ev->inst ? "}" : "");
}

/* An alert that breaks through its cause's suppression, told as such (not its
 * recovery): the cause and the time to impact come first. */
static bool told_through(const struct notify_text_ctx *c)
{
	return c->ev->breaks_through && strcmp(c->kind, "recovery") != 0;
}

/* What is wrong, in a few words. */
static void what_text(const struct notify_text_ctx *c, char *buf, size_t len)
{
	const struct alert_event *ev = c->ev;
	char metric[256], val[128], impact[160] = "";
	metric_text(ev, metric, sizeof(metric));
	value_text(c, ev->value, val, sizeof(val));
	if (told_through(c))
		alert_impact_text(ev->breaks_through, ev->time_to_impact_s, impact, sizeof(impact));
	snprintf(buf, len, "%s%s%s (%s = %s)", impact, *impact ? ": " : "",
		 ev->summary ? ev->summary : ev->rule, metric, val);
}

static const char *kind_prefix(const struct notify_text_ctx *c)
{
	if (strcmp(c->kind, "recovery") == 0)
		return "RESOLVED";
	if (strcmp(c->kind, "reminder") == 0)
		return "REMINDER";
	if (strcmp(c->kind, "escalation") == 0)
		return "ESCALATION";
	if (strcmp(c->kind, "test") == 0)
		return "TEST";
	return NULL;
}

static void subject_text(const struct notify_text_ctx *c, const char *what, char *buf, size_t len)
{
	const char *pre = kind_prefix(c);
	const struct alert_event *ev = c->ev;
	bool resolved = pre && strcmp(pre, "RESOLVED") == 0;
	snprintf(buf, len, "[dcmon] %s%s%s %s: %s%s%s", pre ? pre : "", pre && !resolved ? " " : "",
		 resolved ? "" : sev_upper(ev->severity), ev->device, what,
		 ev->site ? " at " : "", ev->site ? ev->site : "");
}

static void threshold_lines(struct strbuf *b, const struct notify_text_ctx *c)
{
	const struct alert_event *ev = c->ev;
	char w[128], k[128];
	if (isnan(ev->warn) && isnan(ev->crit)) {
		strbuf_appendf(b, "Threshold:  rule %s\n", ev->rule);
		return;
	}
	value_text(c, ev->warn, w, sizeof(w));
	value_text(c, ev->crit, k, sizeof(k));
	strbuf_appendf(b, "Threshold:  warning %s, critical %s (rule %s)\n", w, k, ev->rule);
}

static void location_line(struct strbuf *b, const struct notify_text_ctx *c)
{
	const struct alert_event *ev = c->ev;
	const char *rack = c->dev ? c->dev->loc.rack : NULL;
	strbuf_appendf(b, "Location:   site %s, room %s, rack %s\n", ev->site ? ev->site : "-",
		       ev->room ? ev->room : "-", rack ? rack : "-");
}

/* The transitions kept in memory and the current value, oldest first. */
static void recent_line(struct strbuf *b, const struct notify_text_ctx *c)
{
	const struct alert_event *ev = c->ev;
	char val[128], ts[64];
	strbuf_appendf(b, "Recent:     ");
	for (size_t i = 0; i < ev->nhist; i++) {
		value_text(c, ev->hist[i].value, val, sizeof(val));
		notify_text_time(ev->hist[i].ts_ms, ts, sizeof(ts));
		strbuf_appendf(b, "%s at %s (%s); ", val, ts + 11, alert_state_name(ev->hist[i].to));
	}
	if (c->metric) {
		value_text(c, c->metric->value, val, sizeof(val));
		notify_text_time(c->metric->ts_ms, ts, sizeof(ts));
		strbuf_appendf(b, "now %s at %s\n", val, ts + 11);
	} else {
		value_text(c, c->ev->value, val, sizeof(val));
		strbuf_appendf(b, "%s\n", val);
	}
}

static void state_line(struct strbuf *b, const struct notify_text_ctx *c)
{
	const struct alert_event *ev = c->ev;
	if (ev->acked)
		strbuf_appendf(b, "Ack:        acknowledged by %s%s%s\n", ev->ack_by ? ev->ack_by : "?",
			       ev->ack_comment ? ": " : "", ev->ack_comment ? ev->ack_comment : "");
	else
		strbuf_appendf(b, "Ack:        not acknowledged\n");
	if (ev->silence_id)
		strbuf_appendf(b, "Silence:    silenced (#%lld: %s)\n", (long long)ev->silence_id,
			       ev->silence_reason ? ev->silence_reason : "");
	else
		strbuf_appendf(b, "Silence:    not silenced\n");
}

/* What the metric's producer says its value stands for (a log rule: the matching
 * lines), quoted as it is now. */
static void note_text(struct strbuf *b, const struct notify_text_ctx *c)
{
	const struct metric *m = c->metric;
	size_t len = b->len;
	if (!m)
		return;
	strbuf_appends(b, "\n");
	if (!metric_note_append(m, b) && !b->failed)
		b->s[b->len = len] = '\0'; /* no note: no blank line either */
}

static void block_text(struct strbuf *b, const struct notify_text_ctx *c, const char *what)
{
	const struct alert_event *ev = c->ev;
	const char *pre = kind_prefix(c);
	char metric[256], val[128], since[64], fired[64];

	metric_text(ev, metric, sizeof(metric));
	value_text(c, ev->value, val, sizeof(val));
	notify_text_time(ev->since_ms, since, sizeof(since));
	notify_text_time(ev->fired_ms, fired, sizeof(fired));
	strbuf_appendf(b, "%s%s%s: %s\n", pre ? pre : "", pre ? " " : "", sev_upper(ev->severity),
		       what);
	strbuf_appendf(b, "Device:     %s%s%s%s\n", ev->device, ev->kind ? " (" : "",
		       ev->kind ? ev->kind : "", ev->kind ? ")" : "");
	strbuf_appendf(b, "Metric:     %s\n", metric);
	strbuf_appendf(b, "Value:      %s\n", val);
	threshold_lines(b, c);
	strbuf_appendf(b, "State:      %s since %s (firing since %s)\n",
		       alert_state_name(ev->state), since, fired);
	location_line(b, c);
	strbuf_appendf(b, "Tenant:     %s\n", ev->tenant ? ev->tenant : "-");
	recent_line(b, c);
	state_line(b, c);
	if (told_through(c))
		strbuf_appendf(b, "Breaks through: the suppression under %s (this alert shortens the "
				  "time to its impact)\n", ev->breaks_through);
	strbuf_appendf(b, "Suppressed downstream alerts: %s\n",
		       c->suppressed && *c->suppressed
			       ? c->suppressed
			       : "none known (dependency suppression not enabled)");
	if (c->dashboard_url)
		strbuf_appendf(b, "Dashboard:  %s/devices/%s\n", c->dashboard_url, ev->device);
	strbuf_appendf(b, "Alert:      #%lld\n", (long long)ev->alert_id);
	note_text(b, c);
}

int notify_text_item(const struct notify_text_ctx *c, char **subject, char **line, char **block)
{
	char what[512], subj[768];
	struct strbuf b = STRBUF_INIT;

	what_text(c, what, sizeof(what));
	subject_text(c, what, subj, sizeof(subj));
	block_text(&b, c, what);
	*subject = strdup(subj);
	*line = strdup(subj + 8); /* without "[dcmon] " */
	*block = strbuf_take(&b);
	if (!*subject || !*line || !*block) {
		free(*subject);
		free(*line);
		free(*block);
		return -ENOMEM;
	}
	return 0;
}

/* Appends text with bare \n turned into CRLF and a final CRLF. */
static void crlf_append(struct strbuf *b, const char *text)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\r\n");
		strbuf_appendf(b, "%.*s\r\n", (int)n, p);
		p += n;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
}

/* A header-safe subject: control characters become spaces; text with non-ASCII bytes
 * is sent as one RFC 2047 encoded word (UTF-8, base64). */
static void subject_append(struct strbuf *b, const char *subject)
{
	size_t n = strlen(subject);
	bool ascii = true;
	for (size_t i = 0; i < n; i++)
		ascii = ascii && (unsigned char)subject[i] < 0x80;
	if (ascii) {
		for (size_t i = 0; i < n; i++)
			strbuf_appendf(b, "%c",
				       (unsigned char)subject[i] < 0x20 ? ' ' : subject[i]);
		return;
	}
	strbuf_appendf(b, "=?utf-8?B?");
	strbuf_append_base64(b, subject, n);
	strbuf_appendf(b, "?=");
}

static void text_part_headers(struct strbuf *b)
{
	strbuf_appendf(b, "Content-Type: text/plain; charset=utf-8\r\n"
			  "Content-Transfer-Encoding: 8bit\r\n");
}

static void dcmon_headers(struct strbuf *b, const struct notify_compose *c)
{
	strbuf_appendf(b, "Auto-Submitted: auto-generated\r\nX-Dcmon-Kind: %s\r\n"
			  "X-Dcmon-Alerts: %s\r\n\r\n", c->kind,
		       c->alert_ids && *c->alert_ids ? c->alert_ids : "-");
}

/* The HTML part and its images: one text/html part, or a multipart/related of it and
 * the images under boundary rel. */
static void html_parts(struct strbuf *b, const struct notify_compose *c, const char *rel)
{
	if (c->nimages)
		strbuf_appendf(b, "Content-Type: multipart/related; boundary=\"%s\";"
				  " type=\"text/html\"\r\n\r\n--%s\r\n", rel, rel);
	strbuf_appendf(b, "Content-Type: text/html; charset=utf-8\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\n");
	strbuf_append_base64_mime(b, c->html, strlen(c->html));
	for (size_t i = 0; i < c->nimages; i++) {
		const struct notify_image *im = &c->images[i];
		strbuf_appendf(b, "--%s\r\nContent-Type: image/png\r\n"
				  "Content-Transfer-Encoding: base64\r\nContent-ID: <%s>\r\n"
				  "Content-Disposition: inline; filename=\"%s.png\"\r\n\r\n",
			       rel, im->cid, im->cid);
		strbuf_append_base64_mime(b, im->png, im->len);
	}
	if (c->nimages)
		strbuf_appendf(b, "--%s--\r\n", rel);
}

/* The body of an HTML message: multipart/alternative of the text and the HTML (the
 * boundaries hold "=_", which base64 never does, and the message's own numbers). */
static void alternative_body(struct strbuf *b, const struct notify_compose *c, int64_t date_ms)
{
	char alt[64], rel[64];
	snprintf(alt, sizeof(alt), "=_dcmon-alt-%lld", (long long)date_ms);
	snprintf(rel, sizeof(rel), "=_dcmon-rel-%lld", (long long)date_ms);
	strbuf_appendf(b, "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;"
			  " boundary=\"%s\"\r\n", alt);
	dcmon_headers(b, c);
	strbuf_appendf(b, "This is a MIME message: its text and its HTML.\r\n--%s\r\n", alt);
	text_part_headers(b);
	strbuf_appendf(b, "\r\n");
	crlf_append(b, c->body);
	strbuf_appendf(b, "--%s\r\n", alt);
	html_parts(b, c, rel);
	strbuf_appendf(b, "--%s--\r\n", alt);
}

char *notify_text_message(const struct notify_compose *c, const char *message_id,
			  int64_t date_ms)
{
	struct strbuf b = STRBUF_INIT;
	char date[64];
	time_t t = (time_t)(date_ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		return NULL;
	strbuf_appendf(&b, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: ", date, c->from,
		       c->rcpt);
	subject_append(&b, c->subject);
	strbuf_appendf(&b, "\r\nMessage-ID: %s\r\n", message_id);
	if (c->html) {
		alternative_body(&b, c, date_ms);
		return strbuf_take(&b);
	}
	strbuf_appendf(&b, "MIME-Version: 1.0\r\n");
	text_part_headers(&b);
	dcmon_headers(&b, c);
	crlf_append(&b, c->body);
	return strbuf_take(&b);
}
