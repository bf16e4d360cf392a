/* From events to spooled messages: items are queued per recipient (durably), grouped
 * by the recipient's window and rate limit, and composed into one message per flush. */
#include "notify_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dcmon/log.h"
#include "dcmon/strbuf.h"
#include "dcmon/vec.h"

#define FLUSH_BLOCKS_MAX 50 /* full alert blocks in one grouped message; the rest as lines */
#define FLUSH_IDS_MAX 64    /* alert ids in the X-Dcmon-Alerts header */

struct notify_group *notify_group_get(struct notifier *n, const char *rcpt)
{
	for (size_t i = 0; i < n->ngroups; i++)
		if (strcasecmp(n->groups[i]->rcpt, rcpt) == 0)
			return n->groups[i];
	struct notify_group **v = vec_grow(n->groups, &n->capgroups, n->ngroups, sizeof(*v), 16);
	if (!v)
		return NULL;
	n->groups = v;
	struct notify_group *g = notify_group_new(rcpt, NOTIFY_RATE_MAX);
	if (g)
		n->groups[n->ngroups++] = g;
	return g;
}

static void on_wake(struct loop *loop, void *arg)
{
	struct notifier *n = arg;
	n->wake_timer = NULL;
	n->wake_ms = 0;
	notifier_tick(n, clock_wall_ms());
}

void notify_wake_at(struct notifier *n, int64_t due_ms, int64_t now_ms)
{
	if (!n->env.loop || (n->wake_timer && n->wake_ms <= due_ms))
		return;
	if (n->wake_timer)
		loop_timer_cancel(n->env.loop, n->wake_timer);
	n->wake_ms = due_ms;
	n->wake_timer = loop_timer_add(n->env.loop, due_ms > now_ms ? due_ms - now_ms : 0, on_wake, n);
}

void notify_queue_item(struct notifier *n, const struct notify_rcpts *rc,
		       const struct notify_item *proto, const char *batch, int64_t now_ms)
{
	struct notify_policy p;
	notify_policy_of(n, &p);
	for (size_t i = 0; i < rc->n; i++) {
		struct notify_item it = *proto;
		it.rcpt = rc->v[i].addr;
		it.group_wait_ms = rc->v[i].group_wait_ms;
		struct notify_group *g = notify_group_get(n, it.rcpt);
		if (!g) {
			log_warnx("notify", NULL, "out of memory: a notification for %s is lost",
				  it.rcpt);
			continue;
		}
		if (notify_spool_queue(n->spool, &it) < 0)
			continue; /* lost even in memory: counted and logged by the spool */
		int64_t due = notify_group_add(g, &p, now_ms, it.group_wait_ms, batch);
		notify_wake_at(n, due, now_ms);
	}
}

void notifier_poll_done(struct notifier *n, const char *device, int64_t now_ms)
{
	struct notify_policy p;
	if (!smtp_cfg_of(n->cfg))
		return;
	notify_policy_of(n, &p);
	for (size_t i = 0; i < n->ngroups; i++)
		if (notify_group_batch_done(n->groups[i], &p, device, now_ms))
			notify_wake_at(n, n->groups[i]->due_ms, now_ms);
}

void notify_target_of(const struct notifier *n, const struct alert_event *ev,
		      struct notify_target *t)
{
	*t = (struct notify_target){.device = ev->device, .metric = ev->metric, .inst = ev->inst,
				    .tenant = ev->tenant, .severity = ev->severity,
				    .dev = cfg_device_find(n->cfg, ev->device)};
}

void notify_queue_event(struct notifier *n, const struct alert_event *ev, const char *kind,
			const struct notify_rcpts *rc, int64_t now_ms)
{
	char supp[2048];
	char *subject, *line, *block;

	notify_copy_suppressed(n, ev->device, supp, sizeof(supp));
	struct notify_text_ctx c = {
		.ev = ev, .kind = kind, .dev = cfg_device_find(n->cfg, ev->device),
		.metric = n->env.reg ? metric_reg_find(n->env.reg, ev->device, ev->metric, ev->inst)
				     : NULL,
		.dashboard_url = smtp_cfg_of(n->cfg)->dashboard_url, .suppressed = supp};
	if (notify_text_item(&c, &subject, &line, &block) < 0) {
		log_warnx("notify", ev->device, "out of memory writing alert %lld",
			  (long long)ev->alert_id);
		return;
	}
	struct notify_item proto = {.alert_id = ev->alert_id, .kind = kind,
				    .severity = strcmp(kind, "recovery") == 0 ? -1 : (int)ev->severity,
				    .subject = subject, .line = line, .block = block,
				    .created_ms = now_ms};
	/* raised by a poll still being evaluated: its first message waits for the rest */
	bool polling = n->polling && n->polling(n->polling_arg, ev->device);
	notify_queue_item(n, rc, &proto, polling ? ev->device : NULL, now_ms);
	if (strcmp(kind, "test") != 0)
		notify_graph_start(n, ev, kind, c.metric, rc, now_ms);
	free(subject);
	free(line);
	free(block);
}

/* ---- composing one message from a recipient's queued items ------------------------ */

struct flush_acc {
	size_t n, ncrit, nwarn, ninfo, nresolved;
	int64_t max_id;
	char *subject, *kind;           /* of the single item */
	char *lines, *blocks, *ids;     /* growing texts (malloc'd) */
	size_t nblocks, nids;
	struct strbuf html;             /* the blocks as HTML, each with its graph */
	struct notify_image imgs[NOTIFY_MAIL_GRAPHS];
	char cids[NOTIFY_MAIL_GRAPHS][32];
	size_t nimgs, img_bytes;
	bool oom;
};

static void acc_append(struct flush_acc *a, char **dst, const char *fmt, const char *s1,
		       const char *s2)
{
	char *next;
	if (a->oom)
		return;
	if (asprintf(&next, fmt, *dst ? *dst : "", s1, s2) < 0) {
		a->oom = true;
		return;
	}
	free(*dst);
	*dst = next;
}

/* The width and height of a PNG (its IHDR), false if png is none. */
static bool png_size(const unsigned char *png, size_t len, unsigned *w, unsigned *h)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	if (len < 24 || memcmp(png, sig, 8) != 0 || memcmp(png + 12, "IHDR", 4) != 0)
		return false;
	*w = (unsigned)png[16] << 24 | (unsigned)png[17] << 16 | (unsigned)png[18] << 8 | png[19];
	*h = (unsigned)png[20] << 24 | (unsigned)png[21] << 16 | (unsigned)png[22] << 8 | png[23];
	return true;
}

/* The item's block as HTML, with its graph inline when it has one and the message has
 * room for it. */
static void acc_html(struct flush_acc *a, const struct notify_item *it)
{
	unsigned w, h;
	strbuf_appends(&a->html, "<pre style=\"font:13px/1.4 monospace;white-space:pre-wrap\">");
	strbuf_append_html(&a->html, it->block);
	strbuf_appends(&a->html, "</pre>\n");
	if (!it->graph || a->nimgs == NOTIFY_MAIL_GRAPHS ||
	    a->img_bytes + it->graph_len > NOTIFY_MAIL_GRAPH_BYTES ||
	    !png_size(it->graph, it->graph_len, &w, &h))
		return;
	unsigned char *png = malloc(it->graph_len);
	if (!png) {
		a->oom = true;
		return;
	}
	memcpy(png, it->graph, it->graph_len);
	char *cid = a->cids[a->nimgs];
	snprintf(cid, sizeof(a->cids[0]), "graph-%lld", (long long)it->id);
	a->imgs[a->nimgs++] = (struct notify_image){.cid = cid, .png = png, .len = it->graph_len};
	a->img_bytes += it->graph_len;
	strbuf_appendf(&a->html, "<p><img src=\"cid:%s\" width=\"%u\" height=\"%u\" alt=\"graph of "
			       "the alert's metric\"></p>\n", cid, w, h);
}

static void acc_item(void *arg, const struct notify_item *it)
{
	struct flush_acc *a = arg;
	char id[32];

	a->n++;
	a->max_id = it->id;
	a->ncrit += it->severity == SEV_CRITICAL;
	a->nwarn += it->severity == SEV_WARNING;
	a->ninfo += it->severity == SEV_INFO;
	a->nresolved += it->severity < 0;
	if (a->n == 1) {
		a->subject = strdup(it->subject);
		a->kind = strdup(it->kind);
		a->oom = a->oom || !a->subject || !a->kind;
	}
	acc_append(a, &a->lines, "%s- %s%s\n", it->line, "");
	if (a->nblocks < FLUSH_BLOCKS_MAX) {
		acc_append(a, &a->blocks, "%s\n%s%s", it->block, "");
		acc_html(a, it);
		a->nblocks++;
	}
	if (it->alert_id > 0 && a->nids < FLUSH_IDS_MAX) {
		snprintf(id, sizeof(id), "%lld", (long long)it->alert_id);
		acc_append(a, &a->ids, "%s%s%s", a->nids ? "," : "", id);
		a->nids++;
	}
}

static void acc_free(struct flush_acc *a)
{
	free(a->subject);
	free(a->kind);
	free(a->lines);
	free(a->blocks);
	free(a->ids);
	strbuf_free(&a->html);
	for (size_t i = 0; i < a->nimgs; i++)
		free((void *)a->imgs[i].png);
}

/* The HTML part: the same facts as the text (the grouped message's head and list, then
 * each block), with the graphs inline.  NULL when out of memory. */
static char *acc_html_doc(const struct flush_acc *a, const char *subject, const char *body)
{
	struct strbuf b = STRBUF_INIT;
	strbuf_appends(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	strbuf_append_html(&b, subject);
	strbuf_appends(&b, "</title></head>\n<body style=\"font-family:sans-serif;color:#1b1f24\">"
			   "\n<h2 style=\"font-size:16px\">");
	strbuf_append_html(&b, subject);
	strbuf_appends(&b, "</h2>\n");
	/* a group's body is its head and list, then the blocks (group_text) */
	size_t nbody = body ? strlen(body) : 0, nblocks = a->blocks ? strlen(a->blocks) : 0;
	if (nbody > nblocks) {
		char *head = strndup(body, nbody - nblocks);
		strbuf_appends(&b, "<pre style=\"font:13px/1.4 monospace;white-space:pre-wrap\">");
		strbuf_append_html(&b, head ? head : "");
		strbuf_appends(&b, "</pre>\n<hr>\n");
		b.failed = b.failed || !head;
		free(head);
	}
	strbuf_append(&b, strbuf_str(&a->html), a->html.len);
	strbuf_appends(&b, "</body></html>\n");
	return b.failed ? (strbuf_free(&b), NULL) : strbuf_take(&b);
}

/* Subject and body of a grouped message or digest. */
static int group_text(const struct flush_acc *a, bool digest, const struct notify_policy *p,
		      char **subject, char **body)
{
	char head[512] = "";
	if (digest)
		snprintf(head, sizeof(head),
			 "The rate limit (%d messages per %lld min to this address) held these "
			 "notifications;\nthis digest lists them all.\n\n",
			 p->rate_limit, (long long)(p->rate_period_ms / 60000));
	if (asprintf(subject, "[dcmon] %s%zu notifications: %zu critical, %zu warning, %zu info, "
		     "%zu resolved", digest ? "DIGEST " : "", a->n, a->ncrit, a->nwarn, a->ninfo,
		     a->nresolved) < 0)
		return -ENOMEM;
	if (asprintf(body, "%s%zu notifications:\n%s\n%s%s", head, a->n, a->lines,
		     a->n > a->nblocks ? "(only the first 50 are shown in full)\n\n" : "",
		     a->blocks) < 0) {
		free(*subject);
		return -ENOMEM;
	}
	return 0;
}

/* Composes and spools the message of group g.  0 or a negative errno. */
static int flush_group(struct notifier *n, struct notify_group *g, const struct notify_policy *p,
		       int64_t now_ms)
{
	struct flush_acc a = {0};
	char *subject = NULL, *body = NULL;
	int rc = notify_spool_items(n->spool, g->rcpt, acc_item, &a);
	bool digest = g->held;

	if (rc == 0 && a.n == 0) {
		notify_group_empty(g);
		acc_free(&a);
		return 0;
	}
	if (rc == 0 && a.oom)
		rc = -ENOMEM;
	if (rc == 0 && (a.n > 1 || digest))
		rc = group_text(&a, digest, p, &subject, &body);
	struct notify_compose c = {.rcpt = g->rcpt, .max_item_id = a.max_id,
				   .kind = a.n > 1 || digest ? (digest ? "digest" : "group") : a.kind,
				   .alert_ids = a.ids ? a.ids : "",
				   .subject = subject ? subject : a.subject,
				   .body = body ? body : a.blocks,
				   .from = smtp_cfg_of(n->cfg)->from, .host = n->host};
	/* HTML only for a message with graphs: the others stay the plain text they were */
	char *html = rc == 0 && a.nimgs ? acc_html_doc(&a, c.subject, body) : NULL;
	if (html) {
		c.html = html;
		c.images = a.imgs;
		c.nimages = a.nimgs;
	}
	int64_t id = 0;
	if (rc == 0)
		rc = notify_spool_compose(n->spool, &c, now_ms, &id);
	if (rc == 0) {
		log_info("notify", NULL, "message %lld to %s: %s (%zu item%s)", (long long)id, g->rcpt,
			 c.subject, a.n, a.n == 1 ? "" : "s");
		notify_group_sent(g, now_ms);
	}
	free(subject);
	free(body);
	free(html);
	acc_free(&a);
	return rc;
}

void notify_flush_due(struct notifier *n, int64_t now_ms)
{
	struct notify_policy p;
	notify_policy_of(n, &p);
	for (size_t i = 0; i < n->ngroups; i++) {
		struct notify_group *g = n->groups[i];
		if (!notify_group_due(g, &p, now_ms))
			continue;
		if (flush_group(n, g, &p, now_ms) < 0)
			log_warnx("notify", NULL, "cannot compose the message to %s; kept queued",
				  g->rcpt);
	}
}
