/* SNMP: the device `snmp:` config section, the daemon `snmp_trap:` section, profile
 * checks and the trap receiver.  The contract between config (which calls the
 * decoders from its key tables), the daemon (which starts the trap receiver) and
 * pollers/snmp*.c.
 *
 * Secrets (community, auth_pass, priv_pass) are never logged.  A v3 pass phrase
 * written inline in a file that others may read, or kept in a *_pass_file that others
 * may read, is refused (config error); a community other than "public" inline in a
 * world-readable file is a warning.
 */
#ifndef DCMON_SNMP_H
#define DCMON_SNMP_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

struct cfgnode;
struct poller_env;

enum snmp_cfg_version { SNMPCFG_V1, SNMPCFG_V2C, SNMPCFG_V3 };
enum snmp_cfg_auth {
	SNMPCFG_AUTH_NONE, SNMPCFG_AUTH_MD5, SNMPCFG_AUTH_SHA, SNMPCFG_AUTH_SHA224,
	SNMPCFG_AUTH_SHA256, SNMPCFG_AUTH_SHA384, SNMPCFG_AUTH_SHA512,
};
enum snmp_cfg_priv { SNMPCFG_PRIV_NONE, SNMPCFG_PRIV_DES, SNMPCFG_PRIV_AES };

/* One device's `snmp:` section. */
struct cfg_snmp {
	char *host;           /* NULL = the device's host */
	int port;             /* UDP port, default 161 */
	int version;          /* enum snmp_cfg_version, default v2c */
	char *community;      /* v1/v2c, default "public"; secret */
	char *user;           /* v3 securityName */
	int auth_proto;       /* enum snmp_cfg_auth; default SHA when auth_pass is set */
	char *auth_pass;      /* v3 auth pass phrase (inline or read from auth_pass_file); secret */
	int priv_proto;       /* enum snmp_cfg_priv; default AES when priv_pass is set */
	char *priv_pass;      /* v3 privacy pass phrase; secret */
	char *context;        /* v3 context name, NULL = default */
	char *auth_pass_file; /* where auth_pass was read from (relative: to the config) */
	char *priv_pass_file; /* where priv_pass was read from */
	int64_t timeout_ms;   /* wait per try, ms; CFG_UNSET = the device timeout */
	int retries;          /* resends after the first try, 0..10, default 1 */
	int max_bulk;         /* GETBULK max-repetitions (key max_repetitions), 1..1000, default 25 */
	int max_varbinds;     /* varbinds per GET PDU, 1..500, default 40 */
	int max_inflight;     /* requests in flight to this device at once, 1..64, default 4 */
	int max_rows;         /* rows of any table before it is truncated; 0 = the profile's */
	int64_t max_poll_bytes; /* answers of one poll's walks, bytes, default 16 MiB */
	int64_t recheck_unsupported_ms; /* points the agent does not implement are polled
					 * again after this, ms, default 1 h */
	struct cfg_pos pos;
};

/* A v3 user allowed to send traps / informs. */
struct cfg_snmp_trap_user {
	char *user;
	int auth_proto;       /* enum snmp_cfg_auth */
	char *auth_pass;      /* secret */
	int priv_proto;       /* enum snmp_cfg_priv */
	char *priv_pass;      /* secret */
	char *engine_id;      /* hex engine id of the trap sender; NULL for informs only */
	struct cfg_pos pos;
};

/* The daemon's `snmp_trap:` section.  Present = the receiver runs; it then needs a
 * listen address and at least one community or v3 user (config errors otherwise). */
struct cfg_snmp_trap {
	char *listen;         /* numeric local address; required (no wildcard default) */
	int port;             /* UDP port, default 162 */
	char **communities;   /* v1/v2c communities accepted; secrets */
	size_t ncommunities;
	struct cfg_snmp_trap_user *users; /* v3 users accepted */
	size_t nusers;
	int source_rate;      /* datagrams accepted per source address per second, default 20 */
	int64_t repoll_min_interval_ms; /* trap-triggered polls of one device at most once per
					 * this (ms), default 10 s */
	int64_t summary_interval_ms;    /* one log line of dropped traps per this (ms),
					 * default 60 s */
	char **mibs;          /* directories of the MIB modules that name what traps carry */
	size_t nmibs;
	bool mibs_given;      /* mibs: was written (else snmp_mib_default_dirs) */
	struct cfg_pos pos;
};

/* The `snmp:` section as a key table (for a CFGK_SECTION row of the device keys):
 * init presets the defaults, check reads secret files and validates v3 settings. */
extern const struct cfg_key snmp_cfg_keys[];
void snmp_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int snmp_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* The device's `snmp:` section (kept by the kernel as the pollers part's own,
 * dcmon/part.h), or NULL when it has none. */
const struct cfg_snmp *snmp_device_cfg(const struct cfg_device *dev);

/* The daemon's `snmp_trap:` section as a key table (CFGK_SECTION row); init presets
 * the defaults, check requires the listen address and some credentials. */
extern const struct cfg_key snmp_trap_cfg_keys[];
void snmp_trap_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
/* The `daemon.snmp_trap:` section of cfg (the pollers part's own, dcmon/part.h), or
 * NULL when no receiver runs. */
const struct cfg_snmp_trap *snmp_trap_cfg_of(const struct cfg *cfg);
int snmp_trap_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* Makes the mibs: directories absolute against dir (the config file's). */
void snmp_trap_cfg_resolve(struct cfg_daemon *dm, const char *dir);

/* Loads every profile a device of cfg names (and, for devices without one, every
 * profile of profiles_dir for sysObjectID selection) and reports bad profiles as
 * positioned errors.  For --check-config.  Returns 0 or -EINVAL. */
int snmp_profiles_check(const struct cfg *cfg, struct cfg_diags *d);

/* ---- net-snmp for other parts (northbound notifications) --------------------------- */

struct snmp_session; /* net-snmp's netsnmp_session */

/* Process-wide net-snmp setup (no MIB files, no config files, no persistent state, its
 * log lines into ours); loop thread; idempotent. */
void snmp_lib_init(void);
/* Sets the SNMPv3 user of c on s: security name, level, context, and the auth and
 * privacy keys derived from c's pass phrases (Ku; net-snmp localizes them to the
 * engine it discovers).  s points into c, which must outlive the session's opening.
 * 0, or -EINVAL with err filled. */
int snmp_session_v3(struct snmp_session *s, const struct cfg_snmp *c, char *err,
		    size_t errlen);

/* ---- trap / inform receiver ----------------------------------------------------- */

struct snmp_trapd;

/* Why a datagram on the trap port was dropped (the dcmond self-metric
 * `trap_dropped_count` has one instance per reason: rate_limit, rejected,
 * unknown_source). */
enum snmp_trap_drop {
	SNMP_TRAP_DROP_RATE,           /* over the per-source rate limit, never parsed */
	SNMP_TRAP_DROP_REJECTED,       /* community or v3 user not accepted, not
					* authenticated, malformed or not a notification */
	SNMP_TRAP_DROP_UNKNOWN_SOURCE, /* accepted credentials, but from no device's address */
	SNMP_TRAP_DROP_N
};

/* Opens the UDP listener of `tc` (port 0 in tc means "any free port": tests) on
 * env->loop and starts receiving; the settings of tc are copied (a reload changes them
 * only at the next start).  Each source address gets tc->source_rate datagrams a
 * second; the rest are dropped unparsed.  A notification whose community or v3 user
 * (with its security level) is not accepted is dropped unanswered; an inform is
 * acknowledged only once that check passed.  Traps from a device of env->cfg (matched
 * by its snmp host / host address) update that device's `trap_received_total` counter
 * and `trap_last_state` metrics and call env->repoll (when set), at most once per
 * device per tc->repoll_min_interval_ms (a trap within that interval gets one poll at
 * its end).  Drops are counted (snmp_trapd_dropped, dcmond self-metrics) and logged
 * as one summary line per tc->summary_interval_ms.  NULL with the reason in err on
 * failure. */
struct snmp_trapd *snmp_trapd_new(const struct poller_env *env, const struct cfg_snmp_trap *tc,
				  char *err, size_t errlen);
void snmp_trapd_free(struct snmp_trapd *t);
struct dcmon_part;
/* pollers/pollers_part.c; its state (dcmon/part.h) is the trap receiver, NULL without
 * a snmp_trap: section */
extern const struct dcmon_part pollers_part;
/* The UDP port actually bound (useful when tc->port was 0). */
int snmp_trapd_port(const struct snmp_trapd *t);
/* Datagrams received on the trap port in total, and those dropped for `why`. */
uint64_t snmp_trapd_received(const struct snmp_trapd *t);
uint64_t snmp_trapd_dropped(const struct snmp_trapd *t, enum snmp_trap_drop why);

/* `dcmon probe snmp HOST[:PORT] [--community C] [--version 1|2c] [--profiles DIR]
 * [--timeout MS]`: polls the agent once with every profile of DIR (default
 * /etc/dcmon/profiles), prints how many points of each it answers, which do not fit,
 * and the device stanza that probing selects.  Blocks (a command, not the daemon).
 * 0, 1 (no profile fits, no answer) or 2 (usage). */
int snmp_probe_main(int argc, char **argv, FILE *out, FILE *errout);

/* ---- MIBs for traps (snmp_mib.c) ------------------------------------------------ */

/* net-snmp's own default MIB directories on Debian (NULL-terminated): DCMON-MIB is
 * installed in the first, snmp-mibs-downloader fills the others. */
extern const char *const snmp_mib_default_dirs[];
/* Reads the MIB modules of cfg's `snmp_trap: mibs:` (or the defaults) with net-snmp's
 * parser, once per process: later calls keep what the first read (a change of mibs:
 * waits for a restart, like the rest of snmp_trap:).  Before threads or on the loop
 * thread. */
void snmp_mibs_load_cfg(const struct cfg *cfg);
/* True if a MIB module read defines a NOTIFICATION-TYPE or TRAP-TYPE of this name. */
bool snmp_mib_notification_named(const char *name);

/* An accepted notification as it is handed to a listener (the event store): strings
 * borrowed for the call only. */
#define SNMP_TRAP_VARBINDS_MAX 32 /* varbinds handed over; more are left out */
struct snmp_trap_note {
	const char *source;    /* sender address */
	const char *device;    /* device id, NULL when the source is no configured device */
	const char *trap_oid;  /* numeric notification OID */
	const char *trap_name; /* "link_down" for the known ones, else NULL */
	const char *notification; /* its name in the MIBs read ("linkDown"), else NULL */
	/* the varbinds named by the MIBs read: "ifOperStatus.2" (a column's instance
	 * kept, a scalar's .0 left out), the numeric OID when no MIB names the object */
	const char *vb_names[SNMP_TRAP_VARBINDS_MAX];
	/* values as text; an enumerated integer as "down(2)" */
	const char *vb_values[SNMP_TRAP_VARBINDS_MAX];
	size_t nvb;
};
typedef void (*snmp_trap_listener)(void *arg, const struct snmp_trap_note *note);
/* Calls fn for every notification whose credentials were accepted, from known and
 * unknown sources alike (loop thread).  fn NULL: none. */
void snmp_trapd_set_listener(struct snmp_trapd *t, snmp_trap_listener fn, void *arg);

#endif
