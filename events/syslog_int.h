/* Private header of the syslog receiver (events/syslog_*.c): the receiver's state, the
 * per-source rate limit, and the stream connections (TCP and TLS). */
#ifndef DCMON_SYSLOG_INT_H
#define DCMON_SYSLOG_INT_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "dcmon/log.h"
#include "dcmon/syslog.h"
#include "events_int.h"

#define SYSLOG_SOURCES_MAX 4096 /* sources tracked for the rate limit; then the table restarts */
#define SYSLOG_ADDR_MAX    INET6_ADDRSTRLEN

/* A sender address: its device (by address) and its rate in the current second. */
struct syslog_src {
	char addr[SYSLOG_ADDR_MAX];
	const struct cfg_device *dev; /* by address; NULL: by host name per message */
	int64_t sec;                  /* monotonic second of count */
	uint32_t count;               /* messages taken in that second */
	uint64_t suppressed;          /* held back since the last note */
	struct syslog_src *dirty_next; /* list of sources with suppressed > 0 */
	bool dirty;
};

enum syslog_transport { SYSLOG_UDP, SYSLOG_TCP, SYSLOG_TLS, SYSLOG_TRANSPORTS };

struct syslog_conn;

/* ---- the log rules' literal prefilter (syslog_prefilter.c) ------------------------- */

#define LIT_GRAMS_MAX 8 /* bigrams of a literal looked up before its strstr */
#define LIT_ALTS_MAX  8 /* top-level alternatives of a regex given a literal each */

/* A message's bigrams, hashed into 4096 bits: made at the first literal looked up, then
 * reused for the message's other rules (most messages are in no rule's scope, or meet
 * only rules without a literal, and never need them). */
struct msg_grams {
	const char *msg;
	bool made;
	uint64_t bits[4096 / 64];
};
struct lit {
	const char *s;
	uint16_t grams[LIT_GRAMS_MAX];
	size_t ngrams;
};
/* Substrings of which a message must hold one to match (none: anything may match). */
struct lit_filter {
	struct lit v[LIT_ALTS_MAX];
	size_t n;
	char *buf; /* the regex's literals (lit_filter_regex) */
};

/* Readies g for msg (borrowed): the bigrams themselves are made when first needed. */
void msg_grams_of(struct msg_grams *g, const char *msg);
/* The filter of the substring s (borrowed; NULL: passes everything). */
void lit_filter_init(struct lit_filter *f, const char *s);
/* The filter of the POSIX ERE re: for each top-level alternative the longest literal
 * every match of it contains; none (passes everything) when one has no certain
 * literal (so also when out of memory). */
void lit_filter_regex(struct lit_filter *f, const char *re);
void lit_filter_release(struct lit_filter *f);
/* False only when msg (of bigrams g) holds none of f's literals. */
bool lit_filter_pass(const struct lit_filter *f, struct msg_grams *g, const char *msg);

/* ---- log rules (syslog_rules.c) ---------------------------------------------------------- */

struct log_rules;
/* The rules of c and, with c->default_rules, the shipped ones whose name no rule of c
 * takes, reporting into reg; NULL when there are none (err "") or on error (in err). */
struct log_rules *log_rules_new(const struct cfg_syslog *c, struct metric_reg *reg, char *err,
				size_t errlen);
void log_rules_free(struct log_rules *lr);
/* Counts ev (with a device) for every rule it matches, or clears them; the counts are
 * reported (as metrics, with their notes) by log_rules_flush, which the receiver calls
 * after each batch it read (a UDP burst, a TCP read), and log_rules_tick. */
void log_rules_apply(struct log_rules *lr, const struct event *ev, int64_t now_ms);
/* Reports the counts changed since the last flush (a clear reports the count it ends
 * first, so no count an alert could see is skipped but a rise within one batch). */
void log_rules_flush(struct log_rules *lr);
/* Every second: counts whose matches left the window are reported lower. */
void log_rules_tick(struct log_rules *lr, int64_t now_ms);
/* Counts ev (with a device) for the rule named rule, whatever it matches. */
void log_rules_hit(struct log_rules *lr, const char *rule, const struct event *ev,
		   int64_t now_ms);

/* ---- login reconciliation (syslog_logins.c) ---------------------------------------- */

/* The log rules the reconciliation counts for (there when syslog.logins is). */
#define LOGIN_RULE_OUTSIDE "login-outside-window" /* a login in no approved window */
#define LOGIN_RULE_ACCOUNT "login-not-allowed"    /* an account not allowed there */
#define LOGIN_RULE_COMMAND "login-prohibited-command" /* a prohibited command run */
#define LOGIN_RULE_FAILED  "login-failed"         /* a failed ssh login in no window */
#define LOGIN_RULES 4
extern const char *const login_rule_names[LOGIN_RULES];

struct syslog_logins;
/* The reconciliation of c (NULL: none); NULL also when out of memory (err says so). */
struct syslog_logins *syslog_logins_new(const struct cfg_logins *c, char *err, size_t errlen);
void syslog_logins_free(struct syslog_logins *l);
/* Reconciles ev (a syslog line of a known device, dev): an sshd, su or sudo login
 * outside any window of window_fn, or by an account not allowed on dev, a failed sshd
 * login outside any window, and a prohibited command (sudo, auditd), each counted for
 * its rule in lr. */
void syslog_logins_apply(const struct syslog_logins *l, struct log_rules *lr,
			 const struct event *ev, const struct cfg_device *dev,
			 syslog_window_fn window_fn, void *window_arg, int64_t now_ms);

struct syslogd {
	struct loop *loop;
	struct event_store *store;
	const struct cfg *cfg;
	struct event_devmap *map;
	struct metric_reg *reg;
	struct log_rules *rules;      /* NULL without log rules */
	struct syslog_logins *logins; /* NULL without syslog.logins */
	syslog_window_fn window_fn;   /* approved windows of work (syslogd_set_windows) */
	void *window_arg;
	int max_message, source_rate, max_connections;
	int64_t idle_timeout_ms;
	int fds[SYSLOG_TRANSPORTS];   /* listening sockets, -1 when not listening */
	int ports[SYSLOG_TRANSPORTS]; /* bound ports */
	SSL_CTX *tls;
	struct syslog_conn *conns;    /* open connections, doubly linked */
	int nconns;
	struct syslog_src **srcs;     /* open addressing, 2 * SYSLOG_SOURCES_MAX slots */
	size_t nsrcs;
	struct syslog_src *dirty;
	struct loop_timer *tick;
	struct syslogd_stats st;
	uint64_t udp_drops;           /* the kernel's count at the last datagram */
	struct log_complaint refuse_complaint;
	char *scratch;                /* SYSLOG_SCRATCH(max_message): parsed strings */
	size_t scratch_len;
	char *dgram;                  /* max_message + 1: one UDP datagram */
};

/* Takes one message of src_addr (not NUL-terminated) through the rate limit, the
 * parser and the device map into the store; flags: EVENT_F_TRUNCATED from framing. */
void syslogd_take(struct syslogd *s, const char *src_addr, const char *data, size_t len,
		  unsigned flags);

/* The IPv4/IPv6 address of sa as text ("" for other families). */
void syslog_addr_text(const struct sockaddr_storage *sa, char *buf, size_t len);

/* ---- connections (syslog_conn.c) ---------------------------------------------------- */

/* Accepts every pending connection of the TCP or TLS listener. */
void syslog_conn_accept(struct syslogd *s, int lfd, bool tls);
/* Closes connections silent for idle_timeout (now: monotonic ms). */
void syslog_conn_expire(struct syslogd *s, int64_t now_ms);
/* Closes every connection (a partial frame is stored, flagged truncated). */
void syslog_conn_close_all(struct syslogd *s);

/* ---- TLS (syslog_tls.c) --------------------------------------------------------------- */

/* The server context of c (certificate, key, optional client CAs).  NULL with err. */
SSL_CTX *syslog_tls_new(const struct cfg_syslog *c, char *err, size_t errlen);

#endif
