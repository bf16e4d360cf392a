/* The northbound part's state, on the loop thread: a subscriber of the change bus that
 * keeps a copy of the active alerts (the subagent's table) and turns each alert
 * notification into one SNMP notification per manager whose routes take it.
 *
 * Every notification is committed to the outbox (<state_dir>/snmp_outbox.db,
 * dcmon/outbox.h) before anything is sent, and leaves it only once sent (a trap: handed
 * to the socket) or acknowledged (an inform: its response came).  One is sent at a time,
 * on the worker pool; an unacknowledged inform waits retry_min, doubling up to
 * retry_max, and the notifications after it of the same manager wait behind it (a
 * manager gets them in order), while other managers' go on.  At most `queue` wait in
 * memory: more wait in the outbox only, read back as the queue empties, and a restart
 * reads the outbox again, so nothing is lost while a manager is away or dcmond
 * restarts. */
#include "nb_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/api.h"
#include "dcmon/change.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/notify.h"
#include "dcmon/outbox.h"
#include "dcmon/workq.h"

#define NB_LOG "snmp_nb"

struct nb_item {
	int64_t seq;       /* the number in the outbox */
	char *manager;
	char *payload;
	int attempts;
	int64_t next_ms;   /* loop time of the next attempt, 0 = now */
};

/* What the log remembers of a manager: its complaints are rate-limited apart. */
struct nb_peer {
	char *name;
	struct log_complaint fail;
};

struct nb_job {
	struct nb *nb;
	int64_t seq;
	struct nb_send send;
};

struct nb {
	const struct part_env *env;
	const struct cfg_snmp_nb *cfg;  /* the section in force; NULL once reloaded away */
	struct outbox *outbox;
	struct nb_item *q;              /* oldest first */
	size_t qn, qcap;
	int64_t loaded_seq;             /* the newest notification in q (or lost) */
	bool spilled;                   /* some wait in the outbox only */
	struct nb_job *inflight;
	struct loop_timer *timer;
	struct nb_alert *alerts;        /* pending and firing, by id */
	size_t nalerts, alerts_cap;
	bool view_dirty;
	struct nb_agent *agent;
	char *agent_socket;             /* the master's socket it was started with */
	uint64_t dropped;
	struct nb_peer *peers;          /* the managers complained about */
	size_t npeers;
};

static void kick(struct nb *nb);

/* ---- the copy of the active alerts ------------------------------------------------- */

/* The index of alert id in nb->alerts, or where it goes (*found false). */
static size_t alert_slot(const struct nb *nb, int64_t id, bool *found)
{
	size_t lo = 0, hi = nb->nalerts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nb->alerts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < nb->nalerts && nb->alerts[lo].id == id;
	return lo;
}

static void alerts_update(struct nb *nb, const struct alert_event *ev)
{
	bool found, active = ev->state == ALERT_PENDING || ev->state == ALERT_FIRING;
	size_t i = alert_slot(nb, ev->alert_id, &found);
	struct nb_alert a;
	if (found)
		nb_alert_clear(&nb->alerts[i]);
	if (active && nb_alert_from_event(&a, ev) == 0) {
		if (!found && nb->nalerts == nb->alerts_cap) {
			size_t cap = nb->alerts_cap ? 2 * nb->alerts_cap : 64;
			struct nb_alert *v = realloc(nb->alerts, cap * sizeof(*v));
			if (!v) {
				nb_alert_clear(&a);
				return;
			}
			nb->alerts = v;
			nb->alerts_cap = cap;
		}
		if (!found)
			memmove(&nb->alerts[i + 1], &nb->alerts[i],
				(nb->nalerts++ - i) * sizeof(*nb->alerts));
		nb->alerts[i] = a;
	} else if (found) {
		memmove(&nb->alerts[i], &nb->alerts[i + 1],
			(--nb->nalerts - i) * sizeof(*nb->alerts));
	}
	nb->view_dirty = true;
}

/* ---- the queue ----------------------------------------------------------------------- */

static int queue_push(struct nb *nb, int64_t seq, const char *manager, const char *payload)
{
	if (nb->qn == nb->qcap) {
		size_t cap = nb->qcap ? 2 * nb->qcap : 64;
		struct nb_item *v = realloc(nb->q, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		nb->q = v;
		nb->qcap = cap;
	}
	struct nb_item it = {.seq = seq, .manager = strdup(manager), .payload = strdup(payload)};
	if (!it.manager || !it.payload) {
		free(it.manager);
		free(it.payload);
		return -ENOMEM;
	}
	nb->q[nb->qn++] = it;
	nb->loaded_seq = seq;
	return 0;
}

static void queue_remove(struct nb *nb, size_t i)
{
	free(nb->q[i].manager);
	free(nb->q[i].payload);
	memmove(&nb->q[i], &nb->q[i + 1], (--nb->qn - i) * sizeof(*nb->q));
}

static size_t queue_find(const struct nb *nb, int64_t seq)
{
	size_t i = 0;
	while (i < nb->qn && nb->q[i].seq != seq)
		i++;
	return i;
}

static size_t queue_room(const struct nb *nb)
{
	size_t cap = nb->cfg ? (size_t)nb->cfg->queue : 0;
	return nb->qn < cap ? cap - nb->qn : 0;
}

static void load_one(void *arg, int64_t seq, const char *payload)
{
	struct nb *nb = arg;
	char *manager = nb_payload_manager(payload);
	if (manager)
		queue_push(nb, seq, manager, payload);
	else
		nb->loaded_seq = seq; /* unreadable: left for a look, never sent */
	free(manager);
}

/* Fills the queue's room with what waits in the outbox only. */
static void refill(struct nb *nb)
{
	size_t room = queue_room(nb);
	if (nb->spilled && room && outbox_load(nb->outbox, nb->loaded_seq, room, load_one, nb) < room)
		nb->spilled = false;
}

/* Committed to the outbox first; in memory too when there is room and nothing older
 * waits in the outbox only (the order stays). */
static void enqueue(struct nb *nb, const char *manager, enum nb_event ev,
		    const struct nb_alert *a)
{
	int64_t uptime_cs = (clock_wall_ms() - nb->env->api->started_ms) / 10;
	char *payload = nb_payload(manager, ev, a, uptime_cs);
	if (!payload)
		return;
	int64_t seq = outbox_next_seq(nb->outbox);
	bool durable = outbox_add(nb->outbox, seq, payload) == 0;
	if (!nb->spilled && queue_room(nb) && queue_push(nb, seq, manager, payload) == 0) {
		free(payload);
		return;
	}
	free(payload);
	if (durable) {
		nb->spilled = true;
		return;
	}
	nb->dropped++;
	log_warnx(NB_LOG, a->device, "manager %s: notification of alert %lld lost (the outbox "
		  "cannot be written and %d wait in memory; %llu lost so far)", manager,
		  (long long)a->id, nb->cfg->queue, (unsigned long long)nb->dropped);
}

/* ---- what changed -------------------------------------------------------------------- */

static bool manager_takes(const struct cfg *cfg, const struct cfg_nb_manager *m,
			  const struct alert_event *ev)
{
	if (m->nroutes == 0)
		return true;
	for (size_t i = 0; i < m->nroutes; i++) {
		const struct cfg_route *r = notify_route_find(cfg, m->routes[i]);
		if (r && notify_route_takes(cfg, r, ev))
			return true;
	}
	return false;
}

/* The MIB's notification of an alert event, or 0 for an event that notifies nothing. */
static enum nb_event event_note(enum alert_event_type t)
{
	switch (t) {
	case ALERT_EV_FIRED: return NB_EV_RAISED;
	case ALERT_EV_SEVERITY:
	case ALERT_EV_ACKED:
	case ALERT_EV_FLAPPING: return NB_EV_CHANGED;
	case ALERT_EV_RESOLVED: return NB_EV_CLEARED;
	default: return 0;
	}
}

static void notify_managers(struct nb *nb, const struct alert_event *ev)
{
	enum nb_event note = event_note(ev->type);
	struct nb_alert a;
	if (!note || !nb->cfg || !nb->cfg->nmanagers || nb_alert_from_event(&a, ev) < 0)
		return;
	for (size_t i = 0; i < nb->cfg->nmanagers; i++)
		if (manager_takes(nb->env->cfg, &nb->cfg->managers[i], ev))
			enqueue(nb, nb->cfg->managers[i].name, note, &a);
	nb_alert_clear(&a);
	kick(nb);
}

static void on_change(void *arg, const struct change *c)
{
	struct nb *nb = arg;
	const struct alert_event *ev = alert_event_of(c);
	if (ev) {
		alerts_update(nb, ev);
		if (c->kind == CHANGE_ALERT)
			notify_managers(nb, ev);
	} else {
		nb->view_dirty = true; /* a device's state, or the devices, moved */
	}
}

/* ---- delivery ------------------------------------------------------------------------ */

static const struct cfg_nb_manager *manager_find(const struct nb *nb, const char *name)
{
	for (size_t i = 0; nb->cfg && i < nb->cfg->nmanagers; i++)
		if (strcmp(nb->cfg->managers[i].name, name) == 0)
			return &nb->cfg->managers[i];
	return NULL;
}

static int64_t backoff_ms(const struct cfg_snmp_nb *c, int attempts)
{
	int64_t d = c->retry_min_ms;
	for (int i = 1; i < attempts && d < c->retry_max_ms; i++)
		d *= 2;
	return d < c->retry_max_ms ? d : c->retry_max_ms;
}

static void job_work(void *arg)
{
	struct nb_job *job = arg;
	nb_send_run(&job->send);
}

static void job_free(struct nb_job *job)
{
	if (job)
		nb_send_clear(&job->send);
	free(job);
}

/* The complaint of manager name (made on its first use); NULL if out of memory. */
static struct log_complaint *peer_complaint(struct nb *nb, const char *name)
{
	for (size_t i = 0; i < nb->npeers; i++)
		if (strcmp(nb->peers[i].name, name) == 0)
			return &nb->peers[i].fail;
	struct nb_peer *v = realloc(nb->peers, (nb->npeers + 1) * sizeof(*v));
	if (!v)
		return NULL;
	nb->peers = v;
	if (!(v[nb->npeers].name = strdup(name)))
		return NULL;
	v[nb->npeers].fail = (struct log_complaint){0};
	return &v[nb->npeers++].fail;
}

static void job_done(struct loop *loop, void *arg)
{
	struct nb_job *job = arg;
	struct nb *nb = job->nb;
	size_t i = queue_find(nb, job->seq);
	(void)loop;
	struct log_complaint *fail = i < nb->qn ? peer_complaint(nb, nb->q[i].manager) : NULL;
	nb->inflight = NULL;
	if (i < nb->qn && job->send.rc == 0) {
		log_info(NB_LOG, NULL, "manager %s: notification %lld %s", nb->q[i].manager,
			 (long long)job->seq, job->send.inform ? "acknowledged" : "sent as a trap");
		if (fail)
			log_complain_release(fail, NB_LOG, NULL, "manager %s: reached again",
					     nb->q[i].manager);
		outbox_remove(nb->outbox, job->seq);
		queue_remove(nb, i);
		refill(nb);
	} else if (i < nb->qn && nb->cfg) {
		struct nb_item *it = &nb->q[i];
		int64_t wait = backoff_ms(nb->cfg, ++it->attempts);
		it->next_ms = loop_now_ms(nb->env->loop) + wait;
		struct log_complaint spare = {0}; /* out of memory: logged unlimited */
		log_complain(fail ? fail : &spare, clock_mono_ms(), NB_LOG, NULL, "manager %s: %s "
			     "(notification %lld kept, tried %d times, next in %lld ms)",
			     it->manager, job->send.why, (long long)job->seq, it->attempts,
			     (long long)wait);
	}
	job_free(job);
	kick(nb);
}

static void on_timer(struct loop *loop, void *arg)
{
	struct nb *nb = arg;
	(void)loop;
	nb->timer = NULL;
	kick(nb);
}

/* Drops the notifications of a manager the configuration no longer has. */
static void drop_orphan(struct nb *nb, size_t i)
{
	log_warnx(NB_LOG, NULL, "manager %s is no longer configured: its notification %lld "
		  "is dropped", nb->q[i].manager, (long long)nb->q[i].seq);
	outbox_remove(nb->outbox, nb->q[i].seq);
	queue_remove(nb, i);
}

/* The first notification due whose manager has none older waiting; *wake_ms the
 * earliest time one becomes due (INT64_MAX: none). */
static struct nb_item *next_due(struct nb *nb, int64_t now, int64_t *wake_ms)
{
	const char *held[64];
	size_t nheld = 0;
	*wake_ms = INT64_MAX;
	for (size_t i = 0; i < nb->qn; i++) {
		struct nb_item *it = &nb->q[i];
		bool blocked = false;
		for (size_t j = 0; j < nheld && !blocked; j++)
			blocked = strcmp(held[j], it->manager) == 0;
		if (blocked)
			continue;
		if (!manager_find(nb, it->manager)) {
			drop_orphan(nb, i--);
			continue;
		}
		if (it->next_ms <= now)
			return it;
		if (it->next_ms < *wake_ms)
			*wake_ms = it->next_ms;
		if (nheld < sizeof(held) / sizeof(held[0]))
			held[nheld++] = it->manager;
	}
	return NULL;
}

static void kick(struct nb *nb)
{
	if (nb->inflight || !nb->cfg)
		return;
	int64_t now = loop_now_ms(nb->env->loop), wake;
	struct nb_item *it;
	for (;;) { /* again while dropped orphans made room for what waits in the outbox */
		refill(nb);
		size_t before = nb->qn;
		it = next_due(nb, now, &wake);
		if (it || nb->qn == before || !nb->spilled)
			break;
	}
	if (!it) {
		loop_timer_cancel(nb->env->loop, nb->timer);
		nb->timer = wake == INT64_MAX ? NULL :
						loop_timer_add(nb->env->loop, wake - now, on_timer, nb);
		return;
	}
	struct nb_job *job = calloc(1, sizeof(*job));
	if (!job || nb_send_init(&job->send, manager_find(nb, it->manager), it->payload) < 0) {
		free(job);
		return; /* out of memory: the next change or tick tries again */
	}
	job->nb = nb;
	job->seq = it->seq;
	if (workq_submit(nb->env->wq, job_work, job_done, job) < 0) {
		job_free(job);
		return;
	}
	nb->inflight = job;
}

/* ---- life ---------------------------------------------------------------------------- */

static int outbox_start(struct nb *nb, char *err, size_t errlen)
{
	char path[4096];
	const char *dir = nb->env->cfg->daemon.state_dir;
	if (dir && snprintf(path, sizeof(path), "%s/snmp_outbox.db", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "snmp_northbound: state_dir too long");
		return -1;
	}
	if (!(nb->outbox = outbox_open(dir ? path : NULL, NB_LOG, err, errlen)))
		return -1;
	nb->spilled = outbox_count(nb->outbox) > 0;
	refill(nb);
	if (nb->qn)
		log_info(NB_LOG, NULL, "%zu notifications of the outbox %s wait for their managers",
			 outbox_count(nb->outbox), path);
	return 0;
}

/* Starts the subagent when the section names a master agent; a running one keeps its
 * socket until dcmond restarts (net-snmp's agent library is set up once). */
static void agent_follow(struct nb *nb)
{
	char err[256];
	const char *socket = nb->cfg ? nb->cfg->agentx : NULL;
	nb->view_dirty = true;
	if (nb->agent) {
		if (!socket || strcmp(socket, nb->agent_socket) != 0)
			log_warnx(NB_LOG, NULL, "agentx: the subagent stays attached to %s until "
				  "dcmond restarts", nb->agent_socket);
		return;
	}
	if (!socket)
		return;
	if (!(nb->agent_socket = strdup(socket)) ||
	    !(nb->agent = nb_agent_start(socket, err, sizeof(err)))) {
		log_warnx(NB_LOG, NULL, "%s", nb->agent_socket ? err : "agentx: out of memory");
		free(nb->agent_socket);
		nb->agent_socket = NULL;
	}
}

int nb_new(const struct part_env *env, struct nb **out)
{
	char err[512];
	struct nb *nb = calloc(1, sizeof(*nb));
	*out = NULL;
	if (!nb) {
		log_msg(LOG_LVL_ERROR, NB_LOG, NULL, "out of memory");
		return -1;
	}
	nb->env = env;
	nb->cfg = snmp_nb_cfg_of(env->cfg);
	snmp_lib_init(); /* before the subagent's thread: net-snmp's setup is the loop's */
	if (outbox_start(nb, err, sizeof(err)) < 0 ||
	    change_subscribe(env->bus, CHANGE_MASK(CHANGE_ALERT) | CHANGE_MASK(CHANGE_ALERT_UPDATE) |
					       CHANGE_MASK(CHANGE_DEVICE) | CHANGE_MASK(CHANGE_CONFIG),
			     on_change, nb) < 0) {
		log_msg(LOG_LVL_ERROR, NB_LOG, NULL, "%s", nb->outbox ? "out of memory" : err);
		nb_free(nb);
		return -1;
	}
	agent_follow(nb);
	kick(nb);
	*out = nb;
	return 0;
}

void nb_reload(struct nb *nb)
{
	nb->cfg = snmp_nb_cfg_of(nb->env->cfg);
	agent_follow(nb);
	refill(nb);
	kick(nb);
}

void nb_tick(struct nb *nb, int64_t now_ms)
{
	(void)now_ms;
	if (!nb->agent || !nb->view_dirty)
		return;
	struct nb_view *v = nb_view_build(nb->env->cfg, nb->env->api, nb->alerts, nb->nalerts);
	if (v) {
		nb_agent_publish(nb->agent, v);
		nb->view_dirty = false;
	}
}

void nb_free(struct nb *nb)
{
	if (!nb)
		return;
	change_unsubscribe(nb->env->bus, on_change, nb);
	loop_timer_cancel(nb->env->loop, nb->timer);
	nb_agent_stop(nb->agent);
	free(nb->agent_socket);
	job_free(nb->inflight); /* its completion was dropped with the work queue */
	while (nb->qn)
		queue_remove(nb, nb->qn - 1);
	free(nb->q);
	for (size_t i = 0; i < nb->npeers; i++)
		free(nb->peers[i].name);
	free(nb->peers);
	for (size_t i = 0; i < nb->nalerts; i++)
		nb_alert_clear(&nb->alerts[i]);
	free(nb->alerts);
	outbox_close(nb->outbox);
	free(nb);
}
