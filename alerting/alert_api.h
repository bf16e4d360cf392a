/* Private to alerting: its API endpoints (alerting/api_*.c), which alerting_part.c
 * hands to the kernel's router.  Loop thread. */
#ifndef DCMON_ALERT_API_H
#define DCMON_ALERT_API_H

#include "dcmon/alerting.h"
#include "dcmon/api_route.h"

/* The part's engine and notifier for a route (either NULL when not running). */
static inline struct alert_engine *api_engine(const struct api_ctx *ctx)
{
	const struct alerting *a = ctx->part;
	return a ? a->engine : NULL;
}

static inline struct notifier *api_notifier(const struct api_ctx *ctx)
{
	const struct alerting *a = ctx->part;
	return a ? a->notify : NULL;
}

/* alerting/api_alerts.c */
void api_get_alerts(const struct api_ctx *ctx, struct api_response *resp);
void api_get_alert(const struct api_ctx *ctx, struct api_response *resp);
void api_post_alert(const struct api_ctx *ctx, struct api_response *resp);
/* alerting/api_silences.c */
void api_get_silences(const struct api_ctx *ctx, struct api_response *resp);
void api_post_silences(const struct api_ctx *ctx, struct api_response *resp);
void api_delete_silence(const struct api_ctx *ctx, struct api_response *resp);
/* alerting/maintenance.c */
void api_get_maintenance(const struct api_ctx *ctx, struct api_response *resp);
void api_post_maintenance(const struct api_ctx *ctx, struct api_response *resp);
void api_post_maintenance_decide(const struct api_ctx *ctx, struct api_response *resp);
void api_delete_maintenance(const struct api_ctx *ctx, struct api_response *resp);
/* alerting/api_notify.c */
void api_get_notifications(const struct api_ctx *ctx, struct api_response *resp);
void api_post_test_email(const struct api_ctx *ctx, struct api_response *resp);

void api_get_recipients(const struct api_ctx *ctx, struct api_response *resp);
void api_post_recipients(const struct api_ctx *ctx, struct api_response *resp);
void api_post_recipient(const struct api_ctx *ctx, struct api_response *resp);
void api_delete_recipient(const struct api_ctx *ctx, struct api_response *resp);
void api_get_recipient_confirm(const struct api_ctx *ctx, struct api_response *resp);
/* "HH:MM" into minutes after midnight: 0 or -EINVAL (silences, quiet hours). */
int api_parse_hhmm(const char *s, int *min);
/* alerting/api_audit.c */
void api_get_audit(const struct api_ctx *ctx, struct api_response *resp);
void api_get_audit_verify(const struct api_ctx *ctx, struct api_response *resp);
void api_get_audit_export(const struct api_ctx *ctx, struct api_response *resp);

#endif
