/* The alerting part's state, as its API routes read it (ctx->part, dcmon/part.h): the
 * rule engine (alerts, silences, the audit log) and the e-mail notifier. */
#ifndef DCMON_ALERTING_H
#define DCMON_ALERTING_H

struct alert_engine; /* dcmon/alert.h */
struct dcmon_part;  /* dcmon/part.h */
struct notifier;     /* dcmon/notify.h */

struct alerting {
	struct alert_engine *engine; /* may be NULL: the routes answer 503 */
	struct notifier *notify;     /* may be NULL */
};

extern const struct dcmon_part alerting_part; /* alerting/alerting_part.c */

#endif
