/* A tenant's own alert recipients on a controllable clock: the severity filter and quiet
 * hours (across midnight, in a zone, critical always through), the confirmation link
 * (nothing routed before it, single use, expiry), another tenant's alerts never routed
 * to them, and the per-tenant limit of confirmation and test mails. */
#include "alert_fixture.h"

#include <errno.h>
#include <string.h>

#include "dcmon/notify.h"
#include "notify_int.h"
#include "notify_recipients.h"

#define T0 FX_T0 /* 2026-01-01 00:00 UTC */
#define H(x) ((int64_t)(x) * 3600000)

#define CFG_RCPT                                                                           \
	"daemon:\n"                                                                        \
	"  data_dir: ./data\n"                                                             \
	"  smtp: {from: dcmon@dc.example, dashboard_url: 'https://dc.example',\n"          \
	"         tenant_mail_limit: 3, confirm_expiry: 1h}\n"                             \
	"tenants: [{id: acme}, {id: globex}]\n"                                            \
	"devices:\n"                                                                       \
	"  - {id: web-a, kind: server, tenant: acme}\n"                                    \
	"  - {id: web-g, kind: server, tenant: globex}\n"

static struct recipient confirmed(int min, int qs, int qe, const char *tz)
{
	struct recipient r = {.id = 1, .min_severity = min, .quiet_start = qs, .quiet_end = qe,
			      .confirmed_ms = T0};
	snprintf(r.tz, sizeof(r.tz), "%s", tz);
	return r;
}

static void test_filter_and_quiet_hours(void **state)
{
	(void)state;
	/* 22:00-07:00 UTC, warnings and up */
	struct recipient r = confirmed(SEV_WARNING, 22 * 60, 7 * 60, "UTC");
	assert_false(recipient_wants(&r, SEV_WARNING, T0 + H(23)));  /* quiet */
	assert_false(recipient_wants(&r, SEV_WARNING, T0 + H(24 + 6))); /* quiet, past midnight */
	assert_true(recipient_wants(&r, SEV_CRITICAL, T0 + H(23)));  /* critical goes through */
	assert_true(recipient_wants(&r, SEV_WARNING, T0 + H(12)));
	assert_true(recipient_wants(&r, SEV_WARNING, T0 + H(7)));    /* the end is not quiet */
	assert_false(recipient_wants(&r, SEV_INFO, T0 + H(12)));     /* below its filter */
	/* the same hours in Tokyo (UTC+9): 14:00 UTC is 23:00 there */
	r = confirmed(SEV_INFO, 22 * 60, 7 * 60, "Asia/Tokyo");
	assert_false(recipient_wants(&r, SEV_INFO, T0 + H(14)));
	assert_true(recipient_wants(&r, SEV_INFO, T0 + H(3)));
	/* a window within the day; none at all */
	r = confirmed(SEV_INFO, 9 * 60, 17 * 60, "UTC");
	assert_false(recipient_wants(&r, SEV_WARNING, T0 + H(12)));
	assert_true(recipient_wants(&r, SEV_WARNING, T0 + H(18)));
	r = confirmed(SEV_INFO, RECIPIENT_NO_QUIET, RECIPIENT_NO_QUIET, "");
	assert_true(recipient_wants(&r, SEV_INFO, T0 + H(3)));
	r.confirmed_ms = 0; /* unconfirmed: nothing, not even critical */
	assert_false(recipient_wants(&r, SEV_CRITICAL, T0 + H(3)));
}

/* The token of the newest confirmation link spooled to addr, into tok[65]. */
static void token_of(struct notifier *n, const char *addr, int64_t now_ms, char *tok)
{
	struct notify_out out[16];
	int k = notify_spool_due(n->spool, now_ms, out, 16);
	tok[0] = '\0';
	for (int i = 0; i < k; i++) {
		const char *t = strstr(out[i].text, "confirm?token=");
		if (t && strcmp(out[i].rcpt, addr) == 0)
			snprintf(tok, 65, "%.64s", t + strlen("confirm?token="));
		notify_out_free(&out[i]);
	}
	assert_int_equal(strlen(tok), 64);
}

static bool routed(struct notifier *n, const struct cfg *cfg, const char *dev,
		   enum cfg_severity sev, int64_t now_ms, const char *addr)
{
	const struct cfg_device *d = cfg_device_find(cfg, dev);
	struct notify_target t = {.device = dev, .metric = "tcp_port_up", .dev = d,
				  .tenant = d->tenant, .severity = sev};
	struct notify_rcpts rc = {0};
	bool found = false;
	assert_int_equal(notify_recipients_route(notifier_recipients(n), &t, now_ms, &rc), 0);
	for (size_t i = 0; i < rc.n; i++)
		found |= strcmp(rc.v[i].addr, addr) == 0;
	notify_rcpts_free(&rc);
	return found;
}

static struct recipient new_rcpt(const char *tenant, const char *addr)
{
	struct recipient r = {.quiet_start = RECIPIENT_NO_QUIET, .quiet_end = RECIPIENT_NO_QUIET};
	snprintf(r.tenant, sizeof(r.tenant), "%s", tenant);
	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	return r;
}

static void test_confirm_route_expire_limit(void **state)
{
	(void)state;
	struct fx *f = fx_new(CFG_RCPT, false);
	struct notify_env env = {.cfg = f->cfg};
	char err[256], tok[65], tok2[65];
	struct notifier *n = notifier_new(&env, err, sizeof(err));
	struct recipient r = new_rcpt("acme", "ops@acme.example"), got;
	assert_non_null(n);

	assert_int_equal(notifier_recipient_add(n, &r, "acme-admin", T0, err, sizeof(err)), 0);
	assert_true(r.id > 0 && r.confirmed_ms == 0);
	token_of(n, "ops@acme.example", T0, tok);
	assert_false(routed(n, f->cfg, "web-a", SEV_CRITICAL, T0, "ops@acme.example"));
	assert_int_equal(notifier_recipient_test(n, &r, "x", T0, err, sizeof(err)), -EAGAIN);

	assert_int_equal(notifier_recipient_confirm(n, tok, T0 + 60000, &got), 0);
	assert_int_equal(got.id, r.id);
	assert_true(routed(n, f->cfg, "web-a", SEV_INFO, T0, "ops@acme.example"));
	assert_false(routed(n, f->cfg, "web-g", SEV_CRITICAL, T0, "ops@acme.example"));
	assert_int_equal(notifier_recipient_confirm(n, tok, T0 + 60000, &got), -ENOENT);
	assert_int_equal(notifier_recipient_add(n, &r, "acme-admin", T0, err, sizeof(err)), -EEXIST);

	/* expiry: an hour (confirm_expiry) after it was sent */
	struct recipient r2 = new_rcpt("acme", "late@acme.example");
	assert_int_equal(notifier_recipient_add(n, &r2, "acme-admin", T0, err, sizeof(err)), 0);
	token_of(n, "late@acme.example", T0, tok2);
	assert_int_equal(notifier_recipient_confirm(n, tok2, T0 + H(1), &got), -ETIME);
	assert_false(routed(n, f->cfg, "web-a", SEV_CRITICAL, T0 + H(1), "late@acme.example"));

	/* three mails an hour for acme (two confirmations, this test); globex has its own */
	assert_int_equal(recipients_get(notifier_recipients(n), r.id, &got), 0);
	assert_int_equal(notifier_recipient_test(n, &got, "x", T0, err, sizeof(err)), 0);
	struct recipient r3 = new_rcpt("acme", "more@acme.example");
	assert_int_equal(notifier_recipient_add(n, &r3, "acme-admin", T0, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "smtp.tenant_mail_limit"));
	struct recipient g = new_rcpt("globex", "noc@globex.example");
	assert_int_equal(notifier_recipient_add(n, &g, "globex-admin", T0, err, sizeof(err)), 0);
	assert_int_equal(notifier_recipient_add(n, &r3, "acme-admin", T0 + H(1) + 1, err,
						sizeof(err)), 0); /* an hour later */
	notifier_free(n);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_and_quiet_hours),
		cmocka_unit_test(test_confirm_route_expire_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
