/* Private to alerting/: the tenants' own alert recipients (recipients.db), their
 * confirmation and test mails, and their part of an alert's routing (docs/CONFIG.md,
 * "Tenant alert recipients").  Loop thread only.
 */
#ifndef DCMON_NOTIFY_RECIPIENTS_H
#define DCMON_NOTIFY_RECIPIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify_int.h"

#define RECIPIENT_NO_QUIET (-1)               /* quiet_start/quiet_end: no quiet hours */
#define RECIPIENT_GROUP_WAIT_MS 30000         /* when no route of the alert sets one */
#define RECIPIENT_MAIL_PERIOD_MS 3600000      /* smtp.tenant_mail_limit counts per hour */

struct recipient {
	int64_t id;
	char tenant[64];
	char addr[256];
	int min_severity;          /* enum cfg_severity: the least severe alert it gets */
	int quiet_start, quiet_end;/* minutes after local midnight; RECIPIENT_NO_QUIET */
	char tz[65];               /* zone of the quiet hours; "" = dcmond's local time */
	int64_t created_ms;
	int64_t confirmed_ms;      /* 0 = not confirmed: it gets no alert */
};

struct notify_recipients;

/* Opens (creates) path, ":memory:" when NULL.  NULL with err filled on failure. */
struct notify_recipients *recipients_open(const char *path, char *err, size_t errlen);
void recipients_close(struct notify_recipients *rs);

/* Does the recipient get an alert of severity sev at wall time now_ms (confirmed, its
 * severity filter, its quiet hours; critical always)? */
bool recipient_wants(const struct recipient *r, enum cfg_severity sev, int64_t now_ms);
/* Adds t's tenant's confirmed recipients that want t (RECIPIENT_* above) to out,
 * de-duplicated; another tenant's recipient never.  rs NULL adds none.  0 or -ENOMEM. */
int notify_recipients_route(struct notify_recipients *rs, const struct notify_target *t,
			    int64_t now_ms, struct notify_rcpts *out);

/* Calls fn for the recipients of tenant (NULL: every tenant's), by id.  0 or -EIO. */
int recipients_foreach(struct notify_recipients *rs, const char *tenant,
		       bool (*fn)(void *arg, const struct recipient *r), void *arg);
/* 0 with *out, -ENOENT, -EIO. */
int recipients_get(struct notify_recipients *rs, int64_t id, struct recipient *out);
/* Changes the filter and quiet hours of r->id.  0, -ENOENT, -EIO. */
int recipients_update(struct notify_recipients *rs, const struct recipient *r);
int recipients_remove(struct notify_recipients *rs, int64_t id);

/* What the notifier does for the API (notify_recipients.c): each checks the smtp
 * section and the tenant's mail limit, writes the spool and starts delivery.  err
 * holds the reason of a refusal, for the API's answer. */
/* Adds r (tenant, addr, filter) unconfirmed, or renews the token of the same
 * unconfirmed address, and mails the confirmation link.  0 with r->id set; -EEXIST
 * (already confirmed), -ENOSPC (smtp.tenant_recipients_max), -EBUSY (mail limit),
 * -ENODATA (no smtp or no dashboard_url), -EIO. */
int notifier_recipient_add(struct notifier *n, struct recipient *r, const char *by,
			   int64_t now_ms, char *err, size_t errlen);
/* Confirms the address whose link carries token.  0 with *out; -ENOENT (unknown or
 * already used), -ETIME (expired), -EIO. */
int notifier_recipient_confirm(struct notifier *n, const char *token, int64_t now_ms,
			       struct recipient *out);
/* Mails a test message to a confirmed recipient.  0, -EAGAIN (not confirmed), -EBUSY,
 * -ENODATA, -EIO. */
int notifier_recipient_test(struct notifier *n, const struct recipient *r, const char *by,
			    int64_t now_ms, char *err, size_t errlen);
/* The store of the notifier (NULL when it has none). */
struct notify_recipients *notifier_recipients(struct notifier *n);

/* "o***@acme.example": an address as the audit log and the log may show it. */
void recipient_addr_masked(const char *addr, char *buf, size_t len);

#endif
