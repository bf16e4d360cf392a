/* Links: one per gateway (host:port) or serial line (device path), shared by every
 * device (unit id) behind it.  A link serializes requests: one in flight at a time, the
 * rest queued in arrival order, because gateways and RS-485 lines serve one request
 * at a time.  Different links run in parallel.  The transport (modbus_tcp.c on our
 * loop, modbus_rtu.c on the worker pool) moves one transaction; everything here runs
 * on the loop thread.
 *
 * A dead unit id costs only its own request timeout: its poller stops sending after
 * the first timeout (see modbus.c) and the link goes on with the next queued request.
 */
#include "modbus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct modbus_link {
	struct modbus_link *next;     /* registry list */
	struct loop *loop;
	struct workq *wq;
	char name[300];               /* "host:port" or the device path */
	struct modbus_endpoint ep;    /* strings owned */
	int refs;
	struct modbus_xact *head, *tail; /* queued, not yet started */
	struct modbus_xact *cur;      /* in flight, or NULL */
	bool kicking;                 /* inside kick(): don't recurse */
	const struct modbus_transport *tr;
	void *ts;                     /* transport state */
	struct modbus_link_stats stats;
};

static struct modbus_link *links; /* loop thread only */

struct loop *modbus_link_loop(const struct modbus_link *link) { return link->loop; }
struct workq *modbus_link_workq(const struct modbus_link *link) { return link->wq; }
const char *modbus_link_name(const struct modbus_link *link) { return link->name; }

const struct modbus_endpoint *modbus_link_endpoint(const struct modbus_link *link)
{
	return &link->ep;
}

struct modbus_link_stats *modbus_link_stats_mut(struct modbus_link *link)
{
	return &link->stats;
}

void modbus_link_stats(const struct modbus_link *link, struct modbus_link_stats *out)
{
	*out = link->stats;
}

static void endpoint_name(const struct modbus_endpoint *ep, char *buf, size_t len)
{
	if (ep->device)
		snprintf(buf, len, "%s", ep->device);
	else if (strchr(ep->host, ':'))
		snprintf(buf, len, "[%s]:%d", ep->host, ep->port);
	else
		snprintf(buf, len, "%s:%d", ep->host, ep->port);
}

static struct modbus_link *link_find(struct loop *loop, const char *name)
{
	for (struct modbus_link *l = links; l; l = l->next)
		if (l->loop == loop && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

static void link_free(struct modbus_link *l)
{
	struct modbus_link **pp = &links;

	while (*pp && *pp != l)
		pp = &(*pp)->next;
	if (*pp)
		*pp = l->next;
	while (l->head) {
		struct modbus_xact *x = l->head;

		l->head = x->next;
		free(x);
	}
	if (l->ts)
		l->tr->destroy(l->ts, l->cur);
	else
		free(l->cur);
	free((char *)l->ep.host);
	free((char *)l->ep.device);
	free(l);
}

static int link_init(struct modbus_link *l, struct loop *loop, struct workq *wq,
		     const struct modbus_endpoint *ep)
{
	l->loop = loop;
	l->wq = wq;
	l->refs = 1;
	l->ep = *ep;
	l->ep.host = ep->host ? strdup(ep->host) : NULL;
	l->ep.device = ep->device ? strdup(ep->device) : NULL;
	if ((ep->host && !l->ep.host) || (ep->device && !l->ep.device))
		return -ENOMEM;
	endpoint_name(ep, l->name, sizeof l->name);
	l->tr = ep->device ? &modbus_rtu_transport : &modbus_tcp_transport;
	l->ts = l->tr->create(l);
	return l->ts ? 0 : -errno;
}

struct modbus_link *modbus_link_get(struct loop *loop, struct workq *wq,
				    const struct modbus_endpoint *ep)
{
	char name[300];
	struct modbus_link *l;
	int rc;

	if (!ep->device && !ep->host) {
		errno = EINVAL;
		return NULL;
	}
	endpoint_name(ep, name, sizeof name);
	l = link_find(loop, name);
	if (l) {
		l->refs++;
		return l;
	}
	l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	rc = link_init(l, loop, wq, ep);
	if (rc < 0) {
		link_free(l);
		errno = -rc;
		return NULL;
	}
	l->next = links;
	links = l;
	return l;
}

void modbus_link_put(struct modbus_link *link)
{
	if (link && --link->refs == 0)
		link_free(link);
}

/* Finishes x at once without the transport (deadline passed while queued). */
static void xact_expire(struct modbus_link *l, struct modbus_xact *x)
{
	modbus_result_set_error(&x->res, -ETIMEDOUT);
	snprintf(x->res.reason, sizeof x->res.reason, "timeout (still queued behind other "
		 "requests on %.60s)", l->name);
	l->cur = x;
	modbus_link_xact_done(l, x);
}

/* Starts queued transactions while the link is idle. */
static void kick(struct modbus_link *l)
{
	if (l->kicking)
		return;
	l->kicking = true;
	l->refs++; /* a callback may drop the last outside reference */
	while (!l->cur && l->head) {
		struct modbus_xact *x = l->head;

		l->head = x->next;
		if (!l->head)
			l->tail = NULL;
		x->next = NULL;
		if (x->rq.deadline_ms && loop_now_ms(l->loop) >= x->rq.deadline_ms) {
			xact_expire(l, x);
			continue;
		}
		l->cur = x;
		l->tr->start(l->ts, x);
	}
	l->kicking = false;
	modbus_link_put(l);
}

void modbus_link_xact_done(struct modbus_link *link, struct modbus_xact *x)
{
	if (link->cur == x)
		link->cur = NULL;
	link->refs++;
	if (!x->cancelled)
		x->cb(x->arg, &x->res);
	free(x);
	kick(link);
	modbus_link_put(link);
}

struct modbus_xact *modbus_link_submit(struct modbus_link *link, const struct modbus_xreq *rq,
				       modbus_xact_cb cb, void *arg)
{
	struct modbus_xact *x = malloc(sizeof *x);

	if (!x)
		return NULL;
	x->next = NULL;
	x->link = link;
	x->rq = *rq;
	x->cb = cb;
	x->arg = arg;
	x->cancelled = false;
	x->tid = 0;
	x->res.err = 0;
	x->res.exception = 0;
	x->res.count = 0;
	x->res.reason[0] = '\0';
	if (link->tail)
		link->tail->next = x;
	else
		link->head = x;
	link->tail = x;
	kick(link);
	return x;
}

void modbus_link_cancel(struct modbus_link *link, struct modbus_xact *x)
{
	struct modbus_xact **pp = &link->head, *prev = NULL;

	if (x == link->cur) {
		x->cancelled = true;
		return;
	}
	while (*pp && *pp != x) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = x->next;
	if (link->tail == x)
		link->tail = prev;
	free(x);
}
