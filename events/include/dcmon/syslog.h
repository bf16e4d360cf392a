/* The syslog receiver: RFC 3164 and RFC 5424 messages over UDP, TCP (octet-counting and
 * LF framing, RFC 6587) and TLS (RFC 5425, optional client certificate), turned into
 * event records (dcmon/event.h) and handed to the event store.  Everything runs on the
 * loop thread with non-blocking sockets; a connection holds at most max_message bytes
 * of an unfinished frame, so a sender that stops mid-frame holds only its own buffer.
 */
#ifndef DCMON_SYSLOG_H
#define DCMON_SYSLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/event.h"
#include "dcmon/loop.h"

/* A log rule (`syslog: rules:`): what makes a message count for its device's metric
 * log_matches_count{rule=name}, the matches within window_ms; every condition given
 * must hold.  The alert comes from an ordinary rule on that metric.  A scope (tenant,
 * devices) keeps the rule to those devices' messages, so its counts and alerts are
 * theirs alone: a tenant's own log patterns (docs/PORTAL.md) are scoped rules. */
/* Which events a log rule looks at (`kind:`); a rule with `trap:` looks at traps. */
enum log_rule_kind { LOG_RULE_ANY, LOG_RULE_SYSLOG, LOG_RULE_TRAP };
extern const char *const log_rule_kind_names[]; /* "any", "syslog", "trap", NULL */

struct cfg_log_rule {
	char *name;         /* [A-Za-z0-9_.-]+, the metric's instance */
	char *match;        /* substring of the message */
	char *regex;        /* POSIX extended regular expression on the message */
	char *program;      /* exact APP-NAME / TAG */
	int kind;           /* enum log_rule_kind; default any (trap when `trap:` is given) */
	char *trap;         /* a trap's notification name ("linkDown") or numeric OID */
	struct cfg_label *fields; /* structured fields (RFC 5424 SD, trap varbinds) that
				   * must hold these values: exact, an enumerated one by its
				   * label or number too */
	size_t nfields;
	int64_t window_ms;  /* the count's sliding window; default 60 s */
	char *clear;        /* a message holding this substring sets the count to 0 (of
			     * the kind the rule looks at) */
	char *instance;     /* a field (FIELD or FIELD.INDEX) whose value names what a
			     * match is about (ifIndex): a clearing event ends the matches
			     * of its own value only; NULL: a clear ends them all */
	char *tenant;       /* scope: only messages of this tenant's devices; NULL = any */
	char **devices;     /* scope: only messages of these devices; none = any */
	size_t ndevices;
	struct cfg_pos pos;
};

/* One entry of `syslog.logins.allow`: the accounts that may log in on these devices. */
struct cfg_login_allow {
	char **devices;     /* device ids */
	size_t ndevices;
	char **accounts;    /* user names */
	size_t naccounts;
	struct cfg_pos pos;
};

/* `syslog.logins:` login reconciliation (docs/EVENTS.md, "Login reconciliation"). */
struct cfg_logins {
	struct cfg_login_allow *allow; /* devices not named here: any account */
	size_t nallow;
	char **prohibited;  /* POSIX ERE on sudo commands and auditd lines */
	size_t nprohibited;
	int64_t window_ms;  /* the counts' window (how long the alert stays); default 1h */
	struct cfg_pos pos;
};

/* The daemon's `syslog:` section. */
struct cfg_syslog {
	char *listen;          /* numeric address to bind; required */
	int udp_port;          /* 0 = no UDP listener; default 514 */
	int tcp_port;          /* 0 = no TCP listener (default) */
	int tls_port;          /* 0 = no TLS listener (default); needs tls_cert, tls_key */
	char *tls_cert;        /* PEM certificate (chain) of the listener */
	char *tls_key;         /* PEM private key */
	char *tls_ca;          /* PEM CAs whose client certificates are accepted; NULL =
				* clients are not asked for a certificate */
	bool tls_require_client_cert; /* with tls_ca: a client without one is refused */
	int max_message;       /* bytes of one message (longer: cut, flagged); 65536 */
	int source_rate;       /* messages per second per source address; 2000 */
	int max_connections;   /* TCP and TLS connections at once; 512 */
	int64_t idle_timeout_ms; /* a connection silent this long is closed; 10 min */
	struct cfg_log_rule *rules; /* log rules, in order */
	size_t nrules;
	bool default_rules;    /* the shipped log rules apply too (those of no config rule's
				* name; docs/CONFIG.md); default true */
	struct cfg_logins *logins; /* NULL: no login reconciliation */
	struct cfg_pos pos;
};

extern const struct cfg_key syslog_cfg_keys[];
void syslog_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int syslog_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* Makes tls_cert / tls_key / tls_ca absolute against dir (the config file's). */
void syslog_cfg_resolve(struct cfg_syslog *c, const char *dir);
/* The `daemon.syslog:` section of cfg (kept by the kernel as the events part's own
 * section, dcmon/part.h), or NULL when there is no receiver. */
const struct cfg_syslog *syslog_cfg_of(const struct cfg *cfg);
/* The same, writable: the tenant layer scopes its tenants' log rules after loading. */
struct cfg_syslog *syslog_cfg_mut(struct cfg *cfg);
/* True if name is one of the shipped log rules' (docs/CONFIG.md, "Default log rules"). */
bool log_rule_shipped(const char *name);

struct syslogd;

/* Counters of the receiver (loop thread). */
struct syslogd_stats {
	uint64_t received;     /* messages taken (all transports) */
	uint64_t parse_errors; /* stored raw with EVENT_F_PARSE_ERROR */
	uint64_t unknown_source;
	uint64_t suppressed;   /* held back by the per-source rate limit */
	uint64_t kernel_dropped; /* UDP datagrams the kernel dropped (full buffer) */
	uint64_t truncated;
	uint64_t connections;  /* TCP and TLS connections accepted */
	uint64_t refused;      /* connections over max_connections or failing TLS */
};

/* Starts the listeners of c on loop; events go to store; sources are mapped to the
 * devices of cfg (borrowed until syslogd_reload / syslogd_free); c's log rules report
 * into reg (may be NULL: no log rules).  NULL with the
 * reason in err. */
struct metric_reg;
struct syslogd *syslogd_new(struct loop *loop, const struct cfg_syslog *c, const struct cfg *cfg,
			    struct event_store *store, struct metric_reg *reg, char *err,
			    size_t errlen);
/* Maps sources to the devices of a new config and takes its log rules (their counts
 * start anew); the listeners stay as they are. */
void syslogd_reload(struct syslogd *s, const struct cfg *cfg);
/* Where the login reconciliation (syslog.logins) finds approved windows of work on a
 * device: fn(arg, dev, now_ms) gives the reason of one active at now_ms, or NULL.
 * Without it every login is outside any window. */
typedef const char *(*syslog_window_fn)(void *arg, const struct cfg_device *dev,
					int64_t now_ms);
void syslogd_set_windows(struct syslogd *s, syslog_window_fn fn, void *arg);
/* Counts ev (an event that did not come through the receiver: a trap) for the log
 * rules it matches, or clears them.  s NULL: nothing. */
void syslogd_apply_rules(struct syslogd *s, const struct event *ev);
/* Closes every socket; a partial frame still held is stored, flagged truncated. */
void syslogd_free(struct syslogd *s);
/* The bound port of a listener ("udp", "tcp", "tls"), or -1. */
int syslogd_port(const struct syslogd *s, const char *transport);
void syslogd_get_stats(const struct syslogd *s, struct syslogd_stats *st);

#endif
