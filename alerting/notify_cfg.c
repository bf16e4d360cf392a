/* The daemon's `smtp:` section: relay, TLS, AUTH, sender, timeouts, dashboard link,
 * rate limit and retry policy of alert e-mail. */
#include "dcmon/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcmon/config_keys.h"

static const char *const starttls_names[] = {
	[SMTP_STARTTLS_REQUIRED] = "required",
	[SMTP_STARTTLS_OPPORTUNISTIC] = "opportunistic",
	[SMTP_STARTTLS_OFF] = "off",
	NULL,
};

#define SM(f) offsetof(struct cfg_smtp, f)
const struct cfg_key notify_smtp_cfg_keys[] = {
	{.name = "host", .type = CFGK_STRING, .offset = SM(host)},
	{.name = "port", .type = CFGK_INT, .offset = SM(port), .min = 1, .max = 65535},
	{.name = "starttls", .type = CFGK_ENUM, .offset = SM(starttls), .names = starttls_names},
	{.name = "tls", .type = CFGK_BOOL, .offset = SM(tls)},
	{.name = "ca_file", .type = CFGK_STRING, .offset = SM(ca_file)},
	{.name = "user", .type = CFGK_STRING, .offset = SM(user)},
	{.name = "password_file", .type = CFGK_STRING, .offset = SM(password_file)},
	{.name = "auth_without_tls", .type = CFGK_BOOL, .offset = SM(auth_without_tls)},
	{.name = "from", .type = CFGK_STRING, .offset = SM(from), .required = true,
	 .expect = "the sender address, like dcmon@example.com"},
	{.name = "timeout", .type = CFGK_DURATION, .offset = SM(timeout_ms), .min = 100,
	 .max = 600000},
	{.name = "dashboard_url", .type = CFGK_STRING, .offset = SM(dashboard_url),
	 .expect = "a base URL like https://dcmon.example.com"},
	{.name = "rate_limit", .type = CFGK_INT, .offset = SM(rate_limit), .min = 1, .max = 1000,
	 .expect = "messages per recipient per rate_period, 1..1000"},
	{.name = "rate_period", .type = CFGK_DURATION, .offset = SM(rate_period_ms), .min = 1000,
	 .max = 86400000},
	{.name = "retry_min", .type = CFGK_DURATION, .offset = SM(retry_min_ms), .min = 100,
	 .max = 3600000},
	{.name = "retry_max", .type = CFGK_DURATION, .offset = SM(retry_max_ms), .min = 100,
	 .max = 86400000},
	{.name = "gather", .type = CFGK_DURATION, .offset = SM(gather_ms), .min = 0, .max = 10000},
	{.name = "graph_wait", .type = CFGK_DURATION, .offset = SM(graph_wait_ms), .min = 0,
	 .max = 30000},
	{.name = "give_up", .type = CFGK_DURATION, .offset = SM(give_up_ms), .min = 60000,
	 .max = 2592000000LL},
	{.name = "history", .type = CFGK_DURATION, .offset = SM(history_ms), .min = 86400000,
	 .max = 3650LL * 86400000},
	{.name = "tenant_recipients_max", .type = CFGK_INT, .offset = SM(tenant_recipients_max),
	 .min = 0, .max = 1000, .expect = "addresses a tenant may add, 0..1000"},
	{.name = "tenant_mail_limit", .type = CFGK_INT, .offset = SM(tenant_mail_limit), .min = 1,
	 .max = 1000, .expect = "confirmation and test mails per tenant per hour, 1..1000"},
	{.name = "confirm_expiry", .type = CFGK_DURATION, .offset = SM(confirm_expiry_ms),
	 .min = 60000, .max = 30LL * 86400000},
	{.name = NULL},
};

void notify_smtp_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_smtp *s = elem;

	s->port = 25;
	s->starttls = SMTP_STARTTLS_OPPORTUNISTIC;
	s->timeout_ms = 30000;
	s->rate_limit = 20;
	s->rate_period_ms = 3600000;
	s->retry_min_ms = 10000;
	s->retry_max_ms = 600000;
	s->gather_ms = 200;
	s->graph_wait_ms = 2000;
	s->give_up_ms = 2LL * 86400000;
	s->history_ms = 400LL * 86400000;
	s->tenant_recipients_max = 20;
	s->tenant_mail_limit = 10;
	s->confirm_expiry_ms = 86400000;
	s->pos = node->pos;
}

/* The password file must exist, be readable by us and not by others. */
static void smtp_check_password_file(const struct cfg_smtp *s, const struct cfgnode *node,
				     struct cfg_diags *d)
{
	struct stat st;
	const struct cfg_pos *pos = cfg_key_pos(node, "password_file");

	if (s->password_file == NULL) {
		if (s->user)
			cfg_error(d, pos, "smtp: user needs a password_file");
		return;
	}
	if (stat(s->password_file, &st) < 0)
		cfg_error(d, pos, "smtp: password_file %s: %s", s->password_file, strerror(errno));
	else if (st.st_mode & S_IROTH)
		cfg_error(d, pos, "smtp: password_file %s can be read by others: chmod 600 it",
			  s->password_file);
	else if (s->user == NULL)
		cfg_error(d, pos, "smtp: password_file needs a user");
}

/* SMTPS (tls: true) speaks TLS from the first byte: STARTTLS has nothing to upgrade,
 * so asking for it is a contradiction; the port is 465 unless given. */
static void smtp_check_smtps(struct cfg_smtp *s, const struct cfgnode *node,
			     struct cfg_diags *d)
{
	if (!s->tls)
		return;
	if (cfgnode_get(node, "starttls") && s->starttls != SMTP_STARTTLS_OFF)
		cfg_error(d, cfg_key_pos(node, "starttls"),
			  "smtp: starttls: %s contradicts tls: true (SMTPS is TLS from the first "
			  "byte); drop starttls or set tls: false",
			  starttls_names[s->starttls]);
	s->starttls = SMTP_STARTTLS_OFF;
	if (!cfgnode_get(node, "port"))
		s->port = 465;
}

/* The password goes in clear only when asked for: starttls: off has no TLS to wait for. */
static void smtp_check_clear_auth(const struct cfg_smtp *s, const struct cfgnode *node,
				  struct cfg_diags *d)
{
	if (s->user && !s->tls && s->starttls == SMTP_STARTTLS_OFF && !s->auth_without_tls)
		cfg_error(d, cfg_key_pos(node, "user"),
			  "smtp: user with starttls: off sends the password in clear; use "
			  "starttls: required or tls: true, or set auth_without_tls: true to allow it");
}

int notify_smtp_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_smtp *s = elem;
	size_t before = d->nerrors;

	if (s->host == NULL && (s->host = strdup("127.0.0.1")) == NULL)
		abort();
	cfg_path_resolve(&s->password_file, cfg_ctx_dir(ctx));
	cfg_path_resolve(&s->ca_file, cfg_ctx_dir(ctx));
	if (s->from && !cfg_email_valid(s->from))
		cfg_error(d, cfg_key_pos(node, "from"),
			  "smtp: from: '%s' is not a valid e-mail address (expected user@domain)",
			  s->from);
	smtp_check_smtps(s, node, d);
	if (s->retry_max_ms < s->retry_min_ms)
		cfg_error(d, cfg_key_pos(node, "retry_max"), "smtp: retry_max is below retry_min");
	if (s->dashboard_url && strncmp(s->dashboard_url, "http://", 7) != 0 &&
	    strncmp(s->dashboard_url, "https://", 8) != 0)
		cfg_error(d, cfg_key_pos(node, "dashboard_url"),
			  "smtp: dashboard_url: expected http:// or https://, got '%s'",
			  s->dashboard_url);
	smtp_check_password_file(s, node, d);
	smtp_check_clear_auth(s, node, d);
	return d->nerrors > before ? -EINVAL : 0;
}
