/* The northbound part's insides: the notifier (nb_notify.c, loop thread), the sender
 * (nb_send.c, a worker), the copy of the active alerts and the snapshot of the MIB's
 * tables (nb_view.c, loop thread), the AgentX subagent (nb_agent.c, its own thread). */
#ifndef DCMON_NB_INT_H
#define DCMON_NB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/alert.h"
#include "dcmon/config.h"
#include "dcmon/northbound.h"
#include "dcmon/part.h"

#define NB_STR_MAX 255 /* a DisplayString's longest text */

/* DCMON-MIB's registration point: netSnmpPlaypen.3266, a placeholder until dcmon has a
 * Private Enterprise Number (mibs/DCMON-MIB.txt). */
#define NB_MIB_OID 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3266
#define NB_MIB_LEN 10
#define NB_OID_MAX 16  /* sub-identifiers of the longest OID served: a column's instance */

/* DCMON-MIB's notifications: dcmonNotifications.<n>. */
enum nb_event { NB_EV_RAISED = 1, NB_EV_CHANGED = 2, NB_EV_CLEARED = 3 };

/* One alert as the MIB shows it (a row of dcmonAlertTable, or a notification's
 * varbinds); strings owned, "" rather than NULL. */
struct nb_alert {
	int64_t id;
	char *device, *rule, *metric, *suppressed_by, *value, *summary;
	int severity;     /* DcmonSeverity: enum cfg_severity + 1 */
	int state;        /* DcmonAlertPhase: enum alert_state (pending 1 .. resolved 3) */
	int64_t since_ms;
};
/* Fills a from ev (strings copied, truncated to a DisplayString's 255).  0 or -ENOMEM. */
int nb_alert_from_event(struct nb_alert *a, const struct alert_event *ev);
void nb_alert_clear(struct nb_alert *a);

/* ---- the MIB's objects, served by the subagent (nb_view.c) ------------------------- */

/* One object instance: its OID and value (an INTEGER, an Unsigned32 or a string). */
struct nb_vb {
	uint32_t name[NB_OID_MAX];
	size_t len;
	unsigned char type;  /* ASN_INTEGER, ASN_UNSIGNED, ASN_OCTET_STR */
	long num;
	char *str;           /* owned */
};
/* Every instance of the tables, in OID order (what GETNEXT walks). */
struct nb_view {
	struct nb_vb *v;
	size_t n, cap;
};
/* The view of cfg's devices (their states through api) and of the alerts (sorted by
 * id); NULL when out of memory. */
struct nb_view *nb_view_build(const struct cfg *cfg, const struct api_env *api,
			      const struct nb_alert *alerts, size_t nalerts);
void nb_view_free(struct nb_view *v);
/* The instance named name, or with next the first after it; NULL when there is none. */
const struct nb_vb *nb_view_find(const struct nb_view *v, const uint32_t *name, size_t len,
				 bool next);

/* ---- the AgentX subagent (nb_agent.c) ----------------------------------------------- */

struct nb_agent;
/* Starts the subagent's thread, which connects to the master agent at socket (and
 * again every second while it cannot) and answers it from the last view published.
 * Once per process: net-snmp's agent library is set up once.  NULL with err filled. */
struct nb_agent *nb_agent_start(const char *socket, char *err, size_t errlen);
/* Hands the subagent a new view (taken; the old one is freed here).  Takes a mutex the
 * subagent holds only while it looks an instance up: never waits on the master. */
void nb_agent_publish(struct nb_agent *a, struct nb_view *v);
/* Stops the thread and frees everything; NULL is a no-op. */
void nb_agent_stop(struct nb_agent *a);

/* ---- sending one notification (nb_send.c, on a worker) ----------------------------- */

/* A notification as it waits in the outbox: its manager and its varbinds (JSON). */
char *nb_payload(const char *manager, enum nb_event ev, const struct nb_alert *a,
		 int64_t uptime_cs);
/* The manager a payload is for (malloc'ed), or NULL when it is not one of ours. */
char *nb_payload_manager(const char *payload);

/* What a worker needs to send one notification: copies, since the configuration may
 * be reloaded meanwhile. */
struct nb_send {
	struct cfg_snmp snmp;  /* the manager's snmp: (strings owned) */
	bool inform;
	char *payload;
	int rc;                /* 0 sent (trap) or acknowledged (inform), -1 */
	char why[200];         /* when rc < 0 */
};
int nb_send_init(struct nb_send *s, const struct cfg_nb_manager *m, const char *payload);
/* Sends s (blocking: a worker): sets rc and why. */
void nb_send_run(struct nb_send *s);
void nb_send_clear(struct nb_send *s);

/* ---- the part's state (nb_notify.c) ------------------------------------------------- */

struct nb;
int nb_new(const struct part_env *env, struct nb **out);
void nb_reload(struct nb *nb);
void nb_tick(struct nb *nb, int64_t now_ms);
void nb_free(struct nb *nb);

void nb_validate(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d);

#endif
