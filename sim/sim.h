/* dcmon-sim: a simulated data center served over the real protocols on loopback.
 *
 * One thread: a select() loop serves the SNMP agents (net-snmp's agent library, one
 * UDP transport per device), the Modbus TCP servers (one listener per device), the
 * servers' TCP ports, the control socket, and advances the physics by a fixed step.
 * After every step each device's served values are rendered from the physics through
 * its profile (etc/profiles/NAME.yaml, read with the daemon's own profile loaders), so
 * the simulator and the profiles cannot drift apart.
 *
 * Nothing in the loop blocks, because one blocking call would silence every simulated
 * device at once (pollers see timeouts on unrelated devices at the same moment):
 * select() is the only wait, bounded by the next physics step; every socket is
 * non-blocking and is only read, written or accepted on when select() reported it
 * ready; Modbus requests are framed by modbus_net.c (libmodbus only builds answers,
 * through a socketpair, see there) and control connections by control_io.c, each
 * with bounded buffers; SNMP is UDP (net-snmp reads one datagram that is there).  A
 * round whose work takes longer than SIM_BUSY_WARN_MS is logged.
 */
#ifndef DCMON_SIM_H
#define DCMON_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/select.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

enum sim_kind {
	SK_UTILITY, SK_ATS, SK_GENERATOR, SK_UPS, SK_PDU, SK_RACK, SK_SERVER, SK_COOLING,
	SK_ENV, SK_FIRE, SK_SUPPRESSION, SK_LEAK, SK_KIND_COUNT
};
extern const char *const sim_kind_names[];

/* A physics input a user or a scenario may set (`dcmon-sim set DEV.NAME VALUE`). */
struct sim_knob {
	const char *name;          /* "available", "fail_to_start", a fire zone name */
	double value;
	double min, max;           /* accepted range */
	const char *const *names;  /* value names (index = value), NULL = numbers only */
};

/* A served metric pinned to a value by `dcmon-sim set DEV.METRIC[@INST] VALUE`. */
struct sim_pin {
	char *metric;   /* metric name */
	char *inst;     /* instance, NULL = any */
	double value;
};

enum gen_state { GEN_STOPPED, GEN_PRE_START, GEN_WARMING, GEN_RUNNING, GEN_COOLING };
enum ats_pos { ATS_NONE, ATS_UTILITY, ATS_GENERATOR };
enum supp_state { SUPP_ARMED, SUPP_PREALARM, SUPP_RELEASED, SUPP_DISCHARGED };

struct sim_snmpdev;
struct sim_mbdev;
struct sim_room;

struct sim_dev {
	/* from sim.yaml */
	char *id;
	int kind;                 /* enum sim_kind */
	char *profile;            /* profile name, NULL for devices not served */
	char *host;               /* loopback address served on */
	int port;                 /* SNMP UDP port or Modbus TCP port */
	char *community;          /* SNMP community, default "public" */
	char **fed_by;            /* feeders (device ids) */
	size_t nfed_by;
	char *room;               /* room id (servers, cooling, env, suppression, leak) */
	double rated_kw;          /* generator / cooling capacity / UPS rating, kW */
	double load_kw;           /* server: IT load, kW */
	double tank_liters;       /* generator: fuel tank, L */
	double battery_kwh;       /* UPS: usable battery energy, kWh */
	int *tcp_ports;           /* server: TCP ports answered while up */
	size_t ntcp_ports;
	char **zones;             /* fire panel: zone names (zone 1, 2, ...) */
	size_t nzones;
	char **sensors;           /* env: temperature sensor names */
	size_t nsensors;
	char **processes;         /* server: process names in its process table */
	size_t nprocesses;
	struct cfg_pos pos;

	/* resolved */
	struct sim_dev **feeders;
	struct sim_room *rm;
	struct sim_knob *knobs;
	size_t nknobs;
	struct sim_pin *pins;
	size_t npins;

	/* physics state (units in the names) */
	bool powered;             /* output energized */
	double load_now_kw;       /* electrical load carried now, kW */
	int gen_state;            /* enum gen_state */
	double gen_timer_s;       /* time in the present generator state, s */
	bool gen_failed;          /* fail-to-start alarm latched */
	double fuel_liters;
	double run_seconds;       /* engine run time, s */
	double energy_kwh;        /* energy delivered (generator, PDU), kWh */
	double starts;            /* engine starts */
	int ats_pos;              /* enum ats_pos */
	double ats_timer_s;       /* time the ATS has wanted to move, s */
	double charge;            /* UPS battery state of charge, 0..1 */
	bool ups_output_on;       /* UPS output (off after depletion until input returns) */
	double on_battery_s;      /* s on battery, 0 when not */
	double line_bads;         /* UPS input / utility supply failures seen */
	double transfers;         /* ATS: switch position changes */
	bool input_ok;            /* UPS: input energized */
	double fan_percent;       /* cooling unit fan, % */
	bool running;             /* cooling unit / server running */
	double uptime_s;          /* server: time since it came up, s */
	int supp_state;           /* enum supp_state */
	double supp_timer_s;      /* time in alarm, s */
	double pressure_bars;     /* suppression agent cylinder */

	/* protocol side */
	struct sim_snmpdev *snmp;
	struct sim_mbdev *mb;
	int *listen_fds;          /* server: open TCP listeners, -1 when closed */
	bool serving;             /* server: ports and SNMP agent open */
};

struct sim_room {
	char *id;
	double temp_c;            /* inlet air temperature */
	double humidity_percent;
	double heat_kw;           /* IT heat released now */
	double capacity_kw;       /* cooling capacity running now */
};

struct sim {
	char *path;               /* sim.yaml */
	char *control;            /* control socket path */
	char *profiles_dir;
	char *scenarios_dir;
	int64_t tick_ms;          /* physics step, real ms */
	double accel;             /* base acceleration factor */
	double speed;             /* extra factor of the running scenario (--speed) */
	struct sim_dev *devs;
	size_t ndevs;
	struct sim_room *rooms;
	size_t nrooms;
	double t_s;               /* simulated seconds since start */
	struct cfg_diags diags;

	/* the running scenario */
	struct sim_scenario *scen;
	size_t scen_next;         /* next step to apply */
	double scen_t0_s;         /* simulated time the scenario started */
	char scen_note[256];      /* last step's note */
};

/* ---- shared by the servers (sim_util.c) ------------------------------------------- */
/* Is the device served over Modbus TCP (else SNMP, or not served)? */
bool sim_dev_modbus(const struct sim_dev *d);
/* A non-blocking listening TCP socket on host:port (IPv4), below FD_SETSIZE; or
 * negative errno. */
int sim_tcp_listen(const char *host, int port, int backlog);
/* Adds fd to a select() set, updating *maxfd. */
void sim_fd_add(int fd, fd_set *set, int *maxfd);
/* DIR/PROFILE.yaml of device d. */
void sim_profile_path(const char *dir, const struct sim_dev *d, char *buf, size_t len);
/* "ID: profile FILE:LINE:COL: MESSAGE" of the first diagnostic into err; frees diags;
 * returns -EINVAL. */
int sim_profile_error(const struct sim_dev *d, const char *path, struct cfg_diags *diags,
		      char *err, size_t len);

/* ---- config (sim_config.c) ------------------------------------------------------- */
/* Loads sim.yaml; NULL after printing positioned errors to errout. */
struct sim *sim_load(const char *path, FILE *errout);
void sim_free(struct sim *s);
struct sim_dev *sim_dev_find(struct sim *s, const char *id);
/* Resolves a path relative to the directory of sim.yaml into buf. */
void sim_path(const struct sim *s, const char *rel, char *buf, size_t len);

/* ---- knobs and pins (sim_knobs.c) ------------------------------------------------ */
void sim_knobs_init(struct sim_dev *d);
double sim_knob(const struct sim_dev *d, const char *name);
struct sim_knob *sim_knob_find(struct sim_dev *d, const char *name);
/* `set DEV.POINT VALUE`: a knob, `sim.acceleration`, or a served metric (pinned;
 * value `auto` unpins).  With apply false only checks.  0, or -EINVAL with a message
 * in err. */
int sim_set(struct sim *s, const char *target, const char *value, bool apply, char *err,
	    size_t len);
/* A pinned value for (metric, inst), or false. */
bool sim_pinned(const struct sim_dev *d, const char *metric, const char *inst, double *out);

/* ---- physics (physics.c) ---------------------------------------------------------- */
void sim_physics_init(struct sim *s);
void sim_physics_step(struct sim *s, double dt_s);

/* ---- rendering the served values (render.c) --------------------------------------- */
void sim_render(struct sim *s);

/* ---- SNMP agents (snmp_agent.c) ---------------------------------------------------- */
/* Loads every SNMP device's profile; with serve, opens their agents (servers open
 * theirs when they come up). */
int sim_snmp_init(struct sim *s, bool serve, char *err, size_t len);
void sim_snmp_shutdown(struct sim *s);
/* Opens / closes the device's UDP transport (server up / down). */
int sim_snmp_open(struct sim_dev *d, char *err, size_t len);
void sim_snmp_close(struct sim_dev *d);
/* Rendering: clear, put values by metric name (through the profile), sort. */
void sim_snmp_begin(struct sim_dev *d);
void sim_snmp_metric(struct sim_dev *d, const char *metric, unsigned row, const char *label,
		     double value);
void sim_snmp_state(struct sim_dev *d, const char *metric, unsigned row, const char *label,
		    const char *state);
void sim_snmp_oidval(struct sim_dev *d, const char *metric, unsigned row, const char *oidval);
void sim_snmp_str(struct sim_dev *d, const char *metric, unsigned row, const char *text);
void sim_snmp_end(struct sim_dev *d);
bool sim_snmp_has_metric(const struct sim_dev *d, const char *metric);

/* ---- Modbus servers (modbus_srv.c) -------------------------------------------------- */
/* Loads the device's profile; with serve, also its register map and listener. */
int sim_mb_open(struct sim_dev *d, const char *profiles_dir, bool serve, char *err, size_t len);
void sim_mb_close(struct sim_dev *d);
void sim_mb_metric(struct sim_dev *d, const char *metric, const char *inst, double value);
void sim_mb_state(struct sim_dev *d, const char *metric, const char *inst, const char *state);
bool sim_mb_has_metric(const struct sim_dev *d, const char *metric);
/* select() plumbing: adds fds to rset / wset (updating *maxfd); serves ready ones. */
void sim_mb_fds(struct sim *s, fd_set *rset, fd_set *wset, int *maxfd);
void sim_mb_serve(struct sim *s, const fd_set *rset, const fd_set *wset);

/* ---- Modbus TCP networking of one device (modbus_net.c) ----------------------------- */
struct sim_mbnet;
struct _modbus_mapping_t;
/* Listens on host:port (non-blocking); *out is set even on error (free it). */
int sim_mbnet_open(struct sim_mbnet **out, const char *host, int port, char *err, size_t len);
void sim_mbnet_close(struct sim_mbnet *n);
void sim_mbnet_fds(const struct sim_mbnet *n, fd_set *rset, fd_set *wset, int *maxfd);
/* Accepts, reads, answers whole frames from map, writes; never blocks. */
void sim_mbnet_serve(struct sim_mbnet *n, const fd_set *rset, const fd_set *wset,
		     struct _modbus_mapping_t *map);

/* ---- servers' TCP ports (liveness.c) ------------------------------------------------- */
/* Opens or closes a server's ports and SNMP agent to match d->running. */
void sim_liveness_update(struct sim_dev *d);
void sim_liveness_fds(struct sim *s, fd_set *set, int *maxfd);
void sim_liveness_serve(struct sim *s, const fd_set *set);

/* ---- scenarios (scenario.c) ------------------------------------------------------------ */
struct sim_step {
	int64_t at_ms;            /* simulated time after the start, as decoded (ms) */
	double at_s;              /* the same in seconds */
	double accel;             /* new acceleration factor, NAN = unchanged */
	char **targets;           /* DEV.POINT */
	char **values;
	size_t nsets;
	char *note;               /* printed by `status` */
	struct cfg_pos pos;
};
struct sim_scenario {
	char *name;
	char *description;
	double accel;             /* acceleration at the start */
	struct sim_step *steps;   /* sorted by at_s */
	size_t nsteps;
	struct cfg_diags diags;   /* owns the file name of positions */
};
/* Loads scenarios_dir/NAME.yaml and checks every target and value against s.
 * NULL with "file:line:col: error: ..." lines (or "unknown scenario") in err. */
struct sim_scenario *sim_scenario_load(struct sim *s, const char *name, char *err, size_t len);
void sim_scenario_free(struct sim_scenario *sc);
/* Names of the scenarios in scenarios_dir, space separated. */
void sim_scenario_list(const struct sim *s, char *buf, size_t len);
/* Starts sc (owned by s from now on); resets the facility to normal first. */
void sim_scenario_start(struct sim *s, struct sim_scenario *sc, double speed);
/* Applies the steps that are due. */
void sim_scenario_advance(struct sim *s);

/* ---- control commands (control.c) and socket (control_io.c) -------------------------- */
/* Executes one command line (modified); the answer text in out; true when it is "ok". */
bool sim_control_execute(struct sim *s, char *line, char *out, size_t len);
/* Status text of the facility. */
void sim_status_text(struct sim *s, char *buf, size_t len);
struct sim_control;
/* Listens on path (non-blocking); NULL with a message in err. */
struct sim_control *sim_control_new(const char *path, char *err, size_t len);
/* Closes every connection, the listener, and removes the socket file. */
void sim_control_free(struct sim_control *ctl);
void sim_control_fds(const struct sim_control *ctl, fd_set *rset, fd_set *wset, int *maxfd);
/* Accepts, reads command lines, answers them; never blocks. */
void sim_control_serve(struct sim *s, struct sim_control *ctl, const fd_set *rset,
		       const fd_set *wset);
/* Client side: sends one command line, prints the answer; exit code. */
int sim_control_call(const char *path, const char *line, FILE *out, FILE *errout);

#endif
