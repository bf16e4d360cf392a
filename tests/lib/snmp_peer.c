/* Real SNMP peers for tests: snmpsimd with our recordings, snmpd with a test config,
 * and a silent UDP socket.  Every wait is bounded. */
#include "snmp_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int peer_free_udp_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int make_dir(struct snmp_peer *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/dcmon-snmp-XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	chmod(p->dir, 0755);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A peer that did not start: one clear message naming it, with the tail of its log. */
static int report_failure(const struct snmp_peer *p, const char *name, const char *log,
			  const char *why)
{
	char cmd[700];

	fprintf(stderr, "SNMP peer %s on 127.0.0.1:%d %s; the end of %s:\n", name, p->port, why,
		log);
	fflush(stderr);
	snprintf(cmd, sizeof(cmd), "tail -n 15 '%s' >&2", log);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
	return -1;
}

/* Polls the peer with snmpget until it answers (at most ~15 s). */
static int wait_ready(const struct snmp_peer *p, const char *name, const char *log,
		      const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "snmpget -On -r 0 -t 0.3 %s 127.0.0.1:%d 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1", args,
		 p->port);
	for (int i = 0; i < 50; i++) {
		int st;
		if (waitpid(p->pid, &st, WNOHANG) == p->pid)
			return report_failure(p, name, log, "exited");
		if (system(cmd) == 0)
			return 0;
		sleep_ms(300);
	}
	return report_failure(p, name, log, "never answered snmpget");
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		FILE *f = freopen(log, "w", stdout);
		(void)f;
		dup2(STDOUT_FILENO, STDERR_FILENO);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a crashed test leaves no peer behind */
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int peer_snmpsim_start(struct snmp_peer *p, const char *const *recordings)
{
	char data[300], ep[64], dd[320], log[300], cmd[1200];

	memset(p, 0, sizeof(*p));
	if (make_dir(p) < 0)
		return -1;
	snprintf(data, sizeof(data), "%s/data", p->dir);
	mkdir(data, 0755);
	for (const char *const *r = recordings; *r; r++) {
		if (strchr(*r, '/'))
			snprintf(cmd, sizeof(cmd), "cp %s %s/ && chmod 644 %s/*", *r, data, data);
		else
			snprintf(cmd, sizeof(cmd), "cp %s/tests/data/snmprec/%s.snmprec %s/ && chmod 644 %s/*",
				 DCMON_SOURCE_DIR, *r, data, data);
		if (system(cmd) != 0)
			return -1;
	}
	p->port = peer_free_udp_port();
	snprintf(ep, sizeof(ep), "--agent-udpv4-endpoint=127.0.0.1:%d", p->port);
	snprintf(dd, sizeof(dd), "--data-dir=%s", data);
	snprintf(log, sizeof(log), "%s/snmpsim.log", p->dir);
	char *argv_root[] = {"snmpsimd", dd, ep, "--process-user=nobody",
			     "--process-group=nogroup", NULL};
	char *argv_user[] = {"snmpsimd", dd, ep, NULL};
	p->pid = spawn(geteuid() == 0 ? argv_root : argv_user, log);
	if (p->pid < 0)
		return -1;
	const char *community = strrchr(recordings[0], '/');
	snprintf(cmd, sizeof(cmd), "-v2c -c %.*s", (int)strcspn(community ? community + 1 : recordings[0], "."),
		 community ? community + 1 : recordings[0]);
	return wait_ready(p, "snmpsimd", log, cmd);
}

/* Runs snmpd on p's port with the config written in p->dir and its persistent state
 * (engineBoots, engine ID, localized users) in p->dir/state, read back at the next
 * start: snmpd reads that file only from its config path, which holds nothing else
 * (not the machine's /etc/snmp). */
static int snmpd_spawn(struct snmp_peer *p, const char *probe_args)
{
	char conf[300], log[300], persist[320], cmd[320], path[600];

	snprintf(conf, sizeof(conf), "%s/snmpd.conf", p->dir);
	snprintf(log, sizeof(log), "%s/snmpd.log", p->dir);
	snprintf(persist, sizeof(persist), "--persistentDir=%s/state", p->dir);
	snprintf(path, sizeof(path), "SNMPCONFPATH=%s/state", p->dir);
	snprintf(cmd, sizeof(cmd), "-Lf%s", log);
	char *argv[] = {"env", path, "snmpd", "-f", "-c", conf, cmd, persist, NULL};
	p->pid = spawn(argv, log);
	if (p->pid < 0)
		return -1;
	return wait_ready(p, "snmpd", log, probe_args);
}

int peer_snmpd_start(struct snmp_peer *p, const char *conf_body, const char *probe_args)
{
	char conf[300], state[300];
	FILE *f;

	memset(p, 0, sizeof(*p));
	if (make_dir(p) < 0)
		return -1;
	p->port = peer_free_udp_port();
	snprintf(conf, sizeof(conf), "%s/snmpd.conf", p->dir);
	snprintf(state, sizeof(state), "%s/state", p->dir);
	if (mkdir(state, 0700) < 0)
		return -1;
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "agentAddress udp:127.0.0.1:%d\n%s\n", p->port, conf_body);
	fclose(f);
	return snmpd_spawn(p, probe_args);
}

/* Stops the process (group) and reaps it, within ~5 s. */
static void peer_kill(struct snmp_peer *p)
{
	kill(-p->pid, SIGTERM);
	kill(-p->pid, SIGCONT); /* a stopped agent must run to see its SIGTERM */
	for (int i = 0; i < 50 && waitpid(p->pid, NULL, WNOHANG) == 0; i++)
		sleep_ms(100);
	kill(-p->pid, SIGKILL);
	waitpid(p->pid, NULL, WNOHANG);
}

int peer_snmpd_restart(struct snmp_peer *p, bool wipe_state, const char *probe_args)
{
	char cmd[400];

	if (p->pid > 0)
		peer_kill(p);
	p->pid = 0;
	if (wipe_state) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s/state/*", p->dir);
		if (system(cmd) != 0)
			return -1;
	}
	return snmpd_spawn(p, probe_args);
}

void peer_signal(struct snmp_peer *p, int sig)
{
	if (p->pid > 0)
		kill(-p->pid, sig);
}

static long read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int peer_script_start(struct snmp_peer *p, const char *script, const char *mode)
{
	char path[300], port_file[300], log[300];

	memset(p, 0, sizeof(*p));
	if (make_dir(p) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/tests/peers/%s", DCMON_SOURCE_DIR, script);
	snprintf(port_file, sizeof(port_file), "%s/port", p->dir);
	snprintf(log, sizeof(log), "%s/peer.log", p->dir);
	char *argv[] = {"/usr/bin/python3", path, port_file, (char *)mode, NULL};
	p->pid = spawn(argv, log);
	if (p->pid < 0)
		return -1;
	for (int i = 0; i < 100 && (p->port = (int)read_number(port_file)) <= 0; i++)
		sleep_ms(100);
	return p->port > 0 ? 0 : report_failure(p, script, log, "wrote no port");
}

long peer_script_served(const struct snmp_peer *p)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/port.served", p->dir);
	return read_number(path);
}

int peer_bad_agent_start(struct snmp_peer *p, const char *mode)
{
	return peer_script_start(p, "snmp_bad_agent.py", mode);
}

int peer_blackhole_start(struct snmp_peer *p)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd;

	memset(p, 0, sizeof(*p));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	p->port = ntohs(a.sin_port);
	p->pid = -fd - 1; /* remembered to close it */
	return 0;
}

void peer_stop(struct snmp_peer *p)
{
	char cmd[300];

	if (p->pid > 0) {
		peer_kill(p);
	} else if (p->pid < 0) {
		close(-p->pid - 1);
	}
	if (p->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", p->dir);
	}
	p->pid = 0;
}
