/* Messages of their own, not about an alert (the monthly report, docs/REPORTS.md): each
 * to its route's static recipients or to its tenant's own addresses, all spooled in one
 * transaction and delivered like any message. */
#include "notify_int.h"
#include "notify_recipients.h"

#include <errno.h>
#include <stdlib.h>

#include "dcmon/log.h"

struct tenant_rcpts {
	struct notify_rcpts *out;
	int rc;
};

static bool confirmed_add(void *arg, const struct recipient *r)
{
	struct tenant_rcpts *t = arg;
	if (r->confirmed_ms > 0)
		t->rc = notify_rcpts_add(t->out, r->addr, 0, NULL);
	return t->rc == 0;
}

/* A tenant's own addresses: its contact's, and its confirmed recipients. */
static int tenant_rcpts(struct notifier *n, const char *tenant, struct notify_rcpts *out)
{
	const struct cfg_contact *c = cfg_tenant_find(n->cfg, tenant);
	struct tenant_rcpts t = {.out = out};
	for (size_t i = 0; c && i < c->nemail && t.rc == 0; i++)
		t.rc = notify_rcpts_add(out, c->email[i], 0, NULL);
	if (t.rc == 0 && recipients_foreach(n->recipients, tenant, confirmed_add, &t) < 0)
		log_warnx("notify", NULL, "recipients.db cannot be read: tenant %s's confirmed"
			  " recipients are left out of this mail", tenant);
	return t.rc;
}

static int mail_rcpts(struct notifier *n, const struct notify_mail *m, struct notify_rcpts *out)
{
	if (m->tenant)
		return tenant_rcpts(n, m->tenant, out);
	const struct cfg_route *r = notify_route_find(n->cfg, m->route);
	return r ? notify_route_static(n->cfg, r, out) : -ENOENT;
}

/* Appends a message of m to each of rc's recipients to the list c (grown by 16). */
static int compose_add(struct notifier *n, const struct notify_mail *m,
		       const struct notify_rcpts *rc, struct notify_compose **c, size_t *nc)
{
	for (size_t i = 0; i < rc->n; i++) {
		if (*nc % 16 == 0) {
			struct notify_compose *v = realloc(*c, (*nc + 16) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			*c = v;
		}
		(*c)[(*nc)++] = (struct notify_compose){
			.rcpt = rc->v[i].addr, .kind = m->kind, .alert_ids = "",
			.subject = m->subject, .body = m->text, .from = smtp_cfg_of(n->cfg)->from,
			.host = n->host, .html = m->html, .images = m->images,
			.nimages = m->nimages};
	}
	return 0;
}

int notifier_mail(struct notifier *n, const struct notify_mail *m, size_t nm, int64_t now_ms)
{
	return notifier_mail_marked(n, m, nm, NULL, now_ms);
}

int notifier_period_sent(struct notifier *n, const struct notify_period *p)
{
	return notify_spool_period_sent(n->spool, p);
}

int notifier_period_last(struct notifier *n, const char *schedule, char *buf, size_t len)
{
	return notify_spool_period_last(n->spool, schedule, buf, len);
}

int notifier_mail_marked(struct notifier *n, const struct notify_mail *m, size_t nm,
			 const struct notify_period *mark, int64_t now_ms)
{
	if (!smtp_cfg_of(n->cfg))
		return -ENODATA;
	struct notify_rcpts *rc = calloc(nm + 1, sizeof(*rc));
	struct notify_compose *c = NULL;
	size_t nc = 0;
	int err = rc ? 0 : -ENOMEM;
	for (size_t i = 0; i < nm && err == 0; i++) {
		err = mail_rcpts(n, &m[i], &rc[i]);
		if (err == 0)
			err = compose_add(n, &m[i], &rc[i], &c, &nc);
	}
	int64_t *ids = err == 0 ? calloc(nc + 1, sizeof(*ids)) : NULL;
	if (err == 0 && !ids)
		err = -ENOMEM;
	if (err == 0 && (nc > 0 || mark) &&
	    notify_spool_compose_marked(n->spool, c, nc, mark, now_ms, ids) < 0)
		err = -EIO;
	for (size_t i = 0; rc && i < nm; i++)
		notify_rcpts_free(&rc[i]);
	free(rc);
	free(c);
	free(ids);
	if (err < 0)
		return err;
	notify_deliver_kick(n, now_ms);
	return (int)nc;
}
