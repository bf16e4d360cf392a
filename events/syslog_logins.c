/* Login reconciliation (issue 19, item 5; docs/EVENTS.md): the logins a server reports
 * over syslog (sshd "Accepted ... for USER", su, sudo) are held against the approved
 * windows of work on it -- an active silence of all its alerts, which is what test
 * mode and a maintenance window are, each with its reason -- and against the accounts
 * the configuration allows there; a login outside every window or by another account,
 * and a prohibited command (a sudo COMMAND, an auditd line), counts for a log rule of
 * its own (LOGIN_RULE_*), whose default engine rule alerts at once.  So the alert is an
 * ordinary one: routed (match: {metric: log_matches_count, inst: "login-*"} for the
 * security route), mailed with the login line quoted, acked and tenant-scoped. */
#include "syslog_int.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNT_MAX 128

struct syslog_logins {
	const struct cfg_logins *c; /* borrowed from the running config */
	regex_t *prohibited;
	size_t nprohibited;
};

struct syslog_logins *syslog_logins_new(const struct cfg_logins *c, char *err, size_t errlen)
{
	struct syslog_logins *l;
	if (!c)
		return NULL;
	if (!(l = calloc(1, sizeof(*l))) ||
	    !(l->prohibited = calloc(c->nprohibited + 1, sizeof(*l->prohibited)))) {
		free(l);
		snprintf(err, errlen, "syslog: out of memory");
		return NULL;
	}
	l->c = c;
	for (; l->nprohibited < c->nprohibited; l->nprohibited++)
		if (regcomp(&l->prohibited[l->nprohibited], c->prohibited[l->nprohibited],
			    REG_EXTENDED | REG_NOSUB) != 0) { /* the config check compiled it */
			snprintf(err, errlen, "syslog: logins: bad prohibited pattern");
			syslog_logins_free(l);
			return NULL;
		}
	return l;
}

void syslog_logins_free(struct syslog_logins *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nprohibited; i++)
		regfree(&l->prohibited[i]);
	free(l->prohibited);
	free(l);
}

/* The word after prefix in msg (up to a space, ':' or ';'), in out; false if absent. */
static bool word_after(const char *msg, const char *prefix, char *out, size_t len)
{
	const char *p = strstr(msg, prefix);
	if (!p)
		return false;
	p += strlen(prefix);
	size_t n = strcspn(p, " :;(\t");
	if (n == 0 || n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* The account a login line names, in out; NULL when the line is no login.  sshd:
 * "Accepted publickey for alice from ..."; su: "(to root) alice on pts/0", "Successful
 * su for root by alice", pam "session opened for user root(uid=0) by alice(uid=1000)";
 * sudo: "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id" (the one who ran it). */
static bool login_account(const struct event *ev, char *out, size_t len)
{
	const char *prog = ev->program ? ev->program : "", *msg = ev->message ? ev->message : "";
	if (strcmp(prog, "sshd") == 0)
		return strncmp(msg, "Accepted ", 9) == 0 && word_after(msg, " for ", out, len);
	if (strcmp(prog, "su") == 0) /* not its pam lines: the same su said again */
		return strncmp(msg, "pam_", 4) != 0 &&
		       (word_after(msg, " by ", out, len) || word_after(msg, ") ", out, len));
	if (strcmp(prog, "sudo") == 0)
		return strstr(msg, "COMMAND=") && word_after(msg, "", out, len);
	return false;
}

/* The command a line reports having been run: sudo's COMMAND=, or the whole auditd
 * record (type=EXECVE with its arguments, USER_CMD with cmd=); NULL if none. */
static const char *command_of(const struct event *ev)
{
	const char *prog = ev->program ? ev->program : "", *msg = ev->message ? ev->message : "";
	const char *cmd;
	if (strcmp(prog, "sudo") == 0 && (cmd = strstr(msg, "COMMAND=")))
		return cmd + 8;
	if (strncmp(prog, "audit", 5) == 0 || strncmp(msg, "type=", 5) == 0)
		return msg;
	return NULL;
}

/* True if account may log in on dev: dev named by no allow entry (any account), or an
 * entry naming dev names the account. */
static bool account_allowed(const struct cfg_logins *c, const char *device, const char *account)
{
	bool listed = false;
	for (size_t i = 0; i < c->nallow; i++) {
		const struct cfg_login_allow *a = &c->allow[i];
		bool here = false;
		for (size_t k = 0; k < a->ndevices && !here; k++)
			here = strcmp(a->devices[k], device) == 0;
		if (!here)
			continue;
		listed = true;
		for (size_t k = 0; k < a->naccounts; k++)
			if (strcmp(a->accounts[k], account) == 0)
				return true;
	}
	return !listed;
}

void syslog_logins_apply(const struct syslog_logins *l, struct log_rules *lr,
			 const struct event *ev, const struct cfg_device *dev,
			 syslog_window_fn window_fn, void *window_arg, int64_t now_ms)
{
	char account[ACCOUNT_MAX];
	if (!l || !dev)
		return;
	const char *cmd = command_of(ev);
	for (size_t i = 0; cmd && i < l->nprohibited; i++)
		if (regexec(&l->prohibited[i], cmd, 0, NULL, 0) == 0) {
			log_rules_hit(lr, LOGIN_RULE_COMMAND, ev, now_ms);
			break;
		}
	if (!login_account(ev, account, sizeof(account)))
		return;
	if (!account_allowed(l->c, dev->id, account))
		log_rules_hit(lr, LOGIN_RULE_ACCOUNT, ev, now_ms);
	else if (!window_fn || !window_fn(window_arg, dev, now_ms))
		log_rules_hit(lr, LOGIN_RULE_OUTSIDE, ev, now_ms);
}
