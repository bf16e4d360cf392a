/* Login reconciliation (issue 19, item 5; docs/EVENTS.md): the logins a server reports
 * over syslog (sshd "Accepted ... for USER", su, sudo) and the failed ones (sshd
 * "Failed ... for", "Invalid user") are held against the approved windows of work on
 * it -- an active silence of all its alerts, which is what test mode and an approved
 * maintenance entry are, each with its reason -- and against the accounts the
 * configuration allows there; a login or a failed one outside every window, a login by
 * another account, and a prohibited command (a sudo COMMAND, an auditd EXECVE record's
 * command line) counts for a log rule of its own (LOGIN_RULE_*), whose default engine
 * rule alerts at once: a brute force is one alert of the server counting its lines.  So the alert is an
 * ordinary one: routed (match: {metric: log_matches_count, inst: "login-*"} for the
 * security route), mailed with the login line quoted, acked and tenant-scoped. */
#include "syslog_int.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNT_MAX 128
#define COMMAND_MAX 4096 /* bytes of an EXECVE record's joined command line */

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

enum login_kind {
	LOGIN_NONE,     /* no login */
	LOGIN_ACCEPTED, /* a login that succeeded, by the account read */
	LOGIN_FAILED,   /* an attempt sshd refused (the account does not matter) */
};

/* What sshd's line says of a login: "Accepted publickey for alice from ...", "Failed
 * password for [invalid user ]bob from ...", "Invalid user bob from ..." (an unknown
 * account's attempt is both an "Invalid user" and a "Failed" line: each counts). */
static enum login_kind sshd_login(const char *msg, char *out, size_t len)
{
	if (strncmp(msg, "Accepted ", 9) == 0)
		return word_after(msg, " for ", out, len) ? LOGIN_ACCEPTED : LOGIN_NONE;
	if ((strncmp(msg, "Failed ", 7) == 0 && strstr(msg, " for ")) ||
	    strncmp(msg, "Invalid user ", 13) == 0)
		return LOGIN_FAILED;
	return LOGIN_NONE;
}

/* The kind of login a line reports, and the account that logged in in out.  sshd: see
 * sshd_login; su: "(to root) alice on pts/0", "Successful su for root by alice", pam
 * "session opened for user root(uid=0) by alice(uid=1000)"; sudo: "alice : TTY=pts/0 ;
 * PWD=/ ; USER=root ; COMMAND=/bin/id" (the one who ran it). */
static enum login_kind login_of(const struct event *ev, char *out, size_t len)
{
	const char *prog = ev->program ? ev->program : "", *msg = ev->message ? ev->message : "";
	bool ok = false;
	if (strcmp(prog, "sshd") == 0)
		return sshd_login(msg, out, len);
	if (strcmp(prog, "su") == 0) /* not its pam lines: the same su said again */
		ok = strncmp(msg, "pam_", 4) != 0 &&
		     (word_after(msg, " by ", out, len) || word_after(msg, ") ", out, len));
	else if (strcmp(prog, "sudo") == 0)
		ok = strstr(msg, "COMMAND=") && word_after(msg, "", out, len);
	return ok ? LOGIN_ACCEPTED : LOGIN_NONE;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
				       : -1;
}

/* Appends an EXECVE argument's value at p (up to the next space) to out[*used..len):
 * "rm" quoted as it is, or hex-encoded as auditd writes one holding a space, a quote or
 * a control character (2F746D702F6120622E74 = "/tmp/a b.t"). */
static void execve_arg_append(const char *p, char *out, size_t len, size_t *used)
{
	size_t n = *used;
	if (*p == '"') {
		for (p++; *p && *p != '"' && n + 1 < len; p++)
			out[n++] = *p;
	} else {
		for (; hex_digit(p[0]) >= 0 && hex_digit(p[1]) >= 0 && n + 1 < len; p += 2)
			out[n++] = (char)(hex_digit(p[0]) * 16 + hex_digit(p[1]));
	}
	out[n] = '\0';
	*used = n;
}

/* The command line of an auditd EXECVE record (type=EXECVE msg=audit(...): argc=3
 * a0="rm" a1="-rf" a2=2F746D702F612062), its arguments a0..aN-1 joined by spaces
 * into out; false if msg is no such record.  An argument auditd splits into pieces
 * (aN_len=, aN[0]=, a very long one) is not joined. */
static bool execve_command(const char *msg, char *out, size_t len)
{
	const char *argc_at = strstr(msg, " argc=");
	if (!strstr(msg, "type=EXECVE") || !argc_at || len == 0)
		return false;
	long argc = strtol(argc_at + 6, NULL, 10);
	const char *p = argc_at;
	size_t used = 0;
	out[0] = '\0';
	for (long i = 0; i < argc && used + 1 < len; i++) {
		char key[32];
		snprintf(key, sizeof(key), " a%ld=", i);
		if (!(p = strstr(p, key))) /* in order: each search goes on from the last */
			break;
		if (i > 0)
			out[used++] = ' ';
		p += strlen(key);
		execve_arg_append(p, out, len, &used);
	}
	return true;
}

/* The command a line reports having been run, in buf when it must be rebuilt: sudo's
 * COMMAND=, an auditd EXECVE record's arguments joined, or the whole of another auditd
 * record (USER_CMD with its cmd=); NULL if none. */
static const char *command_of(const struct event *ev, char *buf, size_t len)
{
	const char *prog = ev->program ? ev->program : "", *msg = ev->message ? ev->message : "";
	const char *cmd;
	if (strcmp(prog, "sudo") == 0 && (cmd = strstr(msg, "COMMAND=")))
		return cmd + 8;
	if (strncmp(prog, "audit", 5) != 0 && strncmp(msg, "type=", 5) != 0 &&
	    !strstr(msg, " type=EXECVE "))
		return NULL;
	return execve_command(msg, buf, len) ? buf : msg;
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
	char account[ACCOUNT_MAX], line[COMMAND_MAX];
	if (!l || !dev)
		return;
	const char *cmd = command_of(ev, line, sizeof(line));
	for (size_t i = 0; cmd && i < l->nprohibited; i++)
		if (regexec(&l->prohibited[i], cmd, 0, NULL, 0) == 0) {
			log_rules_hit(lr, LOGIN_RULE_COMMAND, ev, now_ms);
			break;
		}
	enum login_kind kind = login_of(ev, account, sizeof(account));
	if (kind == LOGIN_NONE)
		return;
	if (kind == LOGIN_ACCEPTED && !account_allowed(l->c, dev->id, account))
		log_rules_hit(lr, LOGIN_RULE_ACCOUNT, ev, now_ms);
	else if (!window_fn || !window_fn(window_arg, dev, now_ms))
		log_rules_hit(lr, kind == LOGIN_FAILED ? LOGIN_RULE_FAILED : LOGIN_RULE_OUTSIDE, ev,
			      now_ms);
}
