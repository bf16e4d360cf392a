/* The alerting part's state, which its new makes (alerting_part.c) and its API routes
 * read (ctx->part, dcmon/part.h): the rule engine (alerts, silences, the audit log) and
 * the e-mail notifier. */
#ifndef DCMON_ALERTING_H
#define DCMON_ALERTING_H

#include "dcmon/part.h"

struct alert_engine; /* dcmon/alert.h */
struct notifier;     /* dcmon/notify.h */

struct alerting {
	struct alert_engine *engine; /* may be NULL: the routes answer 503 */
	struct notifier *notify;     /* may be NULL */
};

extern const struct dcmon_part alerting_part; /* alerting/alerting_part.c */

/* The alerting part's state in env, for another part that reads alerts (the walls);
 * NULL when alerting does not run. */
static inline struct alerting *alerting_of(const struct api_env *env)
{
	return dcmon_part_state(env, dcmon_part_index(&alerting_part));
}

#endif
