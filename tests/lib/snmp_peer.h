/* Test helpers: real SNMP peers (snmpsim, snmpd) on loopback ports the test picks. */
#ifndef DCMON_TEST_SNMP_PEER_H
#define DCMON_TEST_SNMP_PEER_H

#include <stdbool.h>
#include <sys/types.h>

struct snmp_peer {
	pid_t pid;
	int port;           /* UDP port on 127.0.0.1 */
	char dir[256];      /* private temp directory (data, config, logs) */
};

/* A free UDP port on 127.0.0.1 (bound and released). */
int peer_free_udp_port(void);
/* Starts snmpsimd serving the named .snmprec files of tests/data/snmprec (each file's
 * name is its community; a name with a '/' is the path of a recording made by the
 * test).  Waits (bounded) until it answers.  0 or -1. */
int peer_snmpsim_start(struct snmp_peer *p, const char *const *recordings);
/* Starts snmpd with `conf_body` appended to an agentAddress line for the port; extra
 * lines may create users.  Waits until it answers `probe_args` (snmpget options). */
int peer_snmpd_start(struct snmp_peer *p, const char *conf_body, const char *probe_args);
/* Starts the scripted agent tests/peers/<script> with its mode argument (a broken
 * agent no real one can imitate); waits (bounded) for the port it writes.  0 or -1. */
int peer_script_start(struct snmp_peer *p, const char *script, const char *mode);
/* What a scripted agent reports it has served (its PORT_FILE.served), or -1. */
long peer_script_served(const struct snmp_peer *p);
/* Restarts snmpd on the same port and config (it must have been started with
 * peer_snmpd_start).  wipe_state empties its persistent directory first: the agent
 * boots as new (engineBoots back to 1, and a new engine ID unless the config sets one). */
int peer_snmpd_restart(struct snmp_peer *p, bool wipe_state, const char *probe_args);
/* Sends sig to the peer's process group (SIGSTOP: the agent goes silent; SIGCONT). */
void peer_signal(struct snmp_peer *p, int sig);
/* Starts tests/peers/snmp_bad_agent.py answering every request the way `mode` says
 * ("garbage", "truncated", "badtype", "report", "good"); waits for its port.  0 or -1. */
int peer_bad_agent_start(struct snmp_peer *p, const char *mode);
/* A UDP socket bound on 127.0.0.1 that never answers (a dead agent). */
int peer_blackhole_start(struct snmp_peer *p);
void peer_stop(struct snmp_peer *p);

#endif
