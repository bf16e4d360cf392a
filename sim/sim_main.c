/* dcmon-sim: serves a simulated data center over SNMP and Modbus TCP on loopback, and
 * drives it (scenarios, set, status) through its control socket.
 *
 *   dcmon-sim -c etc/demo/sim.yaml serve [--scenario NAME] [--speed K]
 *   dcmon-sim -c etc/demo/sim.yaml run utility-outage [--speed K]
 *   dcmon-sim -c etc/demo/sim.yaml set gen-1.fail_to_start 1
 *   dcmon-sim -c etc/demo/sim.yaml status
 *   dcmon-sim -c etc/demo/sim.yaml check          (sim.yaml and every scenario)
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIM_SUBSTEP_S 1.0    /* largest physics step, simulated seconds */
#define SIM_BUSY_WARN_MS 250 /* one round's work past this is logged (a stall) */

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	g_stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dcmon-sim [-c SIM.YAML] [-s SOCKET] COMMAND\n"
		"       dcmon-sim --help\n"
		"  -c, --config SIM.YAML                the simulated facility and its devices\n"
		"  -s, --socket SOCKET                  the control socket of a running simulator\n"
		"  -h, --help                           this text\n"
		"commands:\n"
		"  serve [--scenario NAME] [--speed K]  run the simulator in the foreground\n"
		"  run SCENARIO [--speed K]             start a scenario (K multiplies its acceleration)\n"
		"  set DEVICE.POINT VALUE               set a physics input or pin a served metric\n"
		"                                       (VALUE auto unpins); sim.acceleration too\n"
		"  status                               the facility as the simulator sees it\n"
		"  check                                validate SIM.YAML and every scenario\n"
		"SIM.YAML defaults to $DCMON_SIM_CONFIG; SOCKET to $DCMON_SIM_SOCKET or SIM.YAML's control:\n");
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick(struct sim *s)
{
	double total = (double)s->tick_ms / 1000.0 * s->accel * s->speed;
	int n = (int)ceil(total / SIM_SUBSTEP_S);
	if (n < 1)
		n = 1;
	if (n > 10000)
		n = 10000;
	for (int i = 0; i < n; i++) {
		sim_physics_step(s, total / n);
		sim_scenario_advance(s);
	}
	for (size_t i = 0; i < s->ndevs; i++)
		sim_liveness_update(&s->devs[i]);
	sim_render(s);
}

/* Loads every device's profile; with serve, opens every agent and listener. */
static int open_all(struct sim *s, bool serve, char *err, size_t len)
{
	if (sim_snmp_init(s, serve, err, len) < 0)
		return -1;
	for (size_t i = 0; i < s->ndevs; i++) {
		struct sim_dev *d = &s->devs[i];
		if (sim_dev_modbus(d) && sim_mb_open(d, s->profiles_dir, serve, err, len) < 0)
			return -1;
	}
	return 0;
}

/* One round of the loop: waits (bounded by the next physics step) for any descriptor,
 * serves what is ready without blocking, steps the physics when due. */
static void loop_once(struct sim *s, struct sim_control *ctl, int64_t *next)
{
	fd_set rset, wset;
	FD_ZERO(&rset);
	FD_ZERO(&wset);
	int nfds = 0, maxfd = -1, block = 1;
	struct timeval tv = {0};
	snmp_select_info(&nfds, &rset, &tv, &block);
	sim_control_fds(ctl, &rset, &wset, &maxfd);
	sim_mb_fds(s, &rset, &wset, &maxfd);
	sim_liveness_fds(s, &rset, &maxfd);
	nfds = nfds > maxfd + 1 ? nfds : maxfd + 1;
	int64_t wait = *next - now_ms();
	if (wait < 0)
		wait = 0;
	if (block || tv.tv_sec * 1000 + tv.tv_usec / 1000 > wait) {
		tv.tv_sec = wait / 1000;
		tv.tv_usec = (wait % 1000) * 1000;
	}
	int n = select(nfds, &rset, &wset, NULL, &tv);
	int64_t t[6]; /* phase ends, for the busy warning */
	t[0] = now_ms();
	if (n <= 0) { /* nothing ready: deadlines of control clients are still checked */
		if (n == 0)
			snmp_timeout();
		FD_ZERO(&rset);
		FD_ZERO(&wset);
	} else {
		snmp_read(&rset);
	}
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	t[1] = now_ms();
	sim_mb_serve(s, &rset, &wset);
	t[2] = now_ms();
	sim_liveness_serve(s, &rset);
	t[3] = now_ms();
	sim_control_serve(s, ctl, &rset, &wset);
	t[4] = now_ms();
	if (t[4] >= *next) {
		tick(s);
		*next += s->tick_ms;
		if (*next < now_ms())
			*next = now_ms() + s->tick_ms; /* fell behind: no catch-up burst */
	}
	t[5] = now_ms();
	if (t[5] - t[0] > SIM_BUSY_WARN_MS)
		log_warnx("sim", NULL,
			  "loop busy for %lld ms (snmp %lld, modbus %lld, ports %lld, control %lld, "
			  "physics %lld): devices were not served meanwhile",
			  (long long)(t[5] - t[0]), (long long)(t[1] - t[0]), (long long)(t[2] - t[1]),
			  (long long)(t[3] - t[2]), (long long)(t[4] - t[3]), (long long)(t[5] - t[4]));
}

static int serve(struct sim *s, const char *scenario, double speed)
{
	char err[2048];
	struct sim_scenario *sc = NULL;
	sim_physics_init(s);
	if (open_all(s, true, err, sizeof(err)) < 0) {
		fprintf(stderr, "dcmon-sim: %s\n", err);
		return 1;
	}
	if (scenario && !(sc = sim_scenario_load(s, scenario, err, sizeof(err)))) {
		fprintf(stderr, "dcmon-sim: %s\n", err);
		return 1;
	}
	struct sim_control *ctl = sim_control_new(s->control, err, sizeof(err));
	if (!ctl) {
		fprintf(stderr, "dcmon-sim: %s\n", err);
		return 1;
	}
	if (sc)
		sim_scenario_start(s, sc, speed);
	tick(s);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("dcmon-sim: serving %zu devices; control socket %s\n", s->ndevs, s->control);
	fflush(stdout);
	int64_t next = now_ms() + s->tick_ms;
	while (!g_stop)
		loop_once(s, ctl, &next);
	sim_control_free(ctl);
	for (size_t i = 0; i < s->ndevs; i++) {
		s->devs[i].running = false;
		sim_liveness_update(&s->devs[i]);
		sim_mb_close(&s->devs[i]);
	}
	sim_snmp_shutdown(s);
	printf("dcmon-sim: stopped\n");
	return 0;
}

/* Loads every scenario of the directory (profiles are read, nothing is opened: a
 * running simulator on the same config does not get in the way). */
static int check(struct sim *s)
{
	char list[4096], err[8192];
	int rc = 0;
	if (open_all(s, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "dcmon-sim: %s\n", err);
		return 1;
	}
	sim_scenario_list(s, list, sizeof(list));
	for (char *save = NULL, *n = strtok_r(list, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
		struct sim_scenario *sc = sim_scenario_load(s, n, err, sizeof(err));
		if (!sc) {
			fprintf(stderr, "%s\n", err);
			rc = 1;
		} else {
			printf("scenario %s: %zu steps\n", n, sc->nsteps);
		}
		sim_scenario_free(sc);
	}
	for (size_t i = 0; i < s->ndevs; i++)
		sim_mb_close(&s->devs[i]);
	sim_snmp_shutdown(s);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cfgpath = getenv("DCMON_SIM_CONFIG"), *sock = getenv("DCMON_SIM_SOCKET");
	const char *scenario = NULL;
	double speed = 1;
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
	    {"scenario", required_argument, NULL, 'S'}, {"speed", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "+c:s:h", opts, NULL)) != -1) {
		if (o == 'c')
			cfgpath = optarg;
		else if (o == 's')
			sock = optarg;
		else if (o == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	char **rest = argv + optind + 1;
	int nrest = argc - optind - 1;
	/* options after the command: --speed K, --scenario NAME */
	char *pos[4];
	int npos = 0;
	for (int i = 0; i < nrest; i++) {
		if ((!strcmp(rest[i], "--speed") || !strcmp(rest[i], "--scenario")) && i + 1 < nrest) {
			if (!strcmp(rest[i], "--speed"))
				speed = atof(rest[++i]);
			else
				scenario = rest[++i];
		} else if (npos < 4) {
			pos[npos++] = rest[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!(speed >= 0.01 && speed <= 1000)) {
		fprintf(stderr, "dcmon-sim: --speed must be 0.01..1000\n");
		return 2;
	}
	bool local = !strcmp(cmd, "serve") || !strcmp(cmd, "check");
	struct sim *s = NULL;
	if (local || !sock) {
		if (!cfgpath) {
			fprintf(stderr, "dcmon-sim: no simulator config: give -c SIM.YAML\n");
			return 2;
		}
		s = sim_load(cfgpath, stderr);
		if (!s)
			return 1;
		sock = s->control;
	}
	int rc = 2;
	char line[4096];
	if (!strcmp(cmd, "serve") && npos == 0) {
		rc = serve(s, scenario, speed);
	} else if (!strcmp(cmd, "check") && npos == 0) {
		rc = check(s);
	} else if (!strcmp(cmd, "run") && npos == 1) {
		snprintf(line, sizeof(line), "run %s %g", pos[0], speed);
		rc = sim_control_call(sock, line, stdout, stderr);
	} else if (!strcmp(cmd, "set") && npos == 2) {
		snprintf(line, sizeof(line), "set %s %s", pos[0], pos[1]);
		rc = sim_control_call(sock, line, stdout, stderr);
	} else if (!strcmp(cmd, "status") && npos == 0) {
		rc = sim_control_call(sock, "status", stdout, stderr);
	} else {
		usage(stderr);
	}
	sim_free(s);
	return rc;
}
