/* The control socket: one command line per connection ("run NAME [SPEED]",
 * "set DEV.POINT VALUE", "status"), answered with "ok" or "error" on the first line
 * and text after it.  Reads and writes are bounded in size and time. */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_LINE_MAX 4096
#define CTL_REPLY_MAX 65536

int sim_control_listen(const char *path, char *err, size_t len)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, len, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;
		snprintf(err, len, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return e;
	}
	chmod(path, 0600);
	return fd;
}

static const char *const gen_names[] = {"stopped", "pre-start", "warming up", "running",
					"cooling down"};
static const char *const ats_names[] = {"open (no source)", "utility", "generator"};
static const char *const zone_names[] = {"normal", "pre_alarm", "alarm", "fault"};
static const char *const supp_names[] = {"armed", "pre-alarm", "released", "discharged"};

static size_t dev_line(const struct sim_dev *d, char *b, size_t n)
{
	switch (d->kind) {
	case SK_UTILITY:
		return (size_t)snprintf(b, n, "%s", d->powered ? "available" : "FAILED");
	case SK_ATS:
		return (size_t)snprintf(b, n, "position %s", ats_names[d->ats_pos]);
	case SK_GENERATOR:
		return (size_t)snprintf(b, n, "%s%s  load %.0f kW  fuel %.1f %% (%.0f L)",
					gen_names[d->gen_state], d->gen_failed ? " FAIL-TO-START" : "",
					d->load_now_kw, d->fuel_liters / d->tank_liters * 100,
					d->fuel_liters);
	case SK_UPS:
		return (size_t)snprintf(b, n, "%s  charge %.0f %%  load %.0f kW",
					d->input_ok ? "on utility/generator" : d->ups_output_on ? "ON BATTERY" : "OUTPUT OFF",
					d->charge * 100, d->load_now_kw);
	case SK_PDU:
	case SK_RACK:
		return (size_t)snprintf(b, n, "%s  load %.1f kW", d->powered ? "powered" : "NO POWER",
					d->load_now_kw);
	case SK_SERVER:
		return (size_t)snprintf(b, n, "%s  %s  load %.1f kW", d->running ? "up" : "DOWN",
					d->host, sim_knob(d, "load_kw"));
	case SK_COOLING:
		return (size_t)snprintf(b, n, "%s  fan %.0f %%  room %s", d->running ? "running" : "STOPPED",
					d->fan_percent, d->room);
	case SK_ENV:
		return (size_t)snprintf(b, n, "%s %.1f C  %.0f %% RH", d->room, d->rm->temp_c,
					d->rm->humidity_percent);
	case SK_FIRE: {
		size_t o = 0;
		for (size_t z = 0; z < d->nzones && o < n; z++)
			o += (size_t)snprintf(b + o, n - o, "%s%s %s", z ? ", " : "", d->zones[z],
					      zone_names[(int)sim_knob(d, d->zones[z]) & 3]);
		return o;
	}
	case SK_SUPPRESSION:
		return (size_t)snprintf(b, n, "%s  cylinder %.0f bar", supp_names[d->supp_state],
					d->pressure_bars);
	case SK_LEAK:
		return (size_t)snprintf(b, n, "%s", sim_knob(d, "leak") >= 1 ? "LEAK" : "dry");
	}
	return 0;
}

void sim_status_text(struct sim *s, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "time %.0fs  acceleration %gx  scenario %s%s%s\n",
				    s->t_s, s->accel * s->speed, s->scen ? s->scen->name : "(none)",
				    s->scen_note[0] ? ": " : "", s->scen_note);
	for (size_t i = 0; i < s->ndevs && o < len; i++) {
		const struct sim_dev *d = &s->devs[i];
		char line[512];
		dev_line(d, line, sizeof(line));
		o += (size_t)snprintf(buf + o, len - o, "%-16s %-11s %s\n", d->id,
				      sim_kind_names[d->kind], line);
	}
}

static void reply(int fd, bool ok, const char *text)
{
	char *msg = malloc(CTL_REPLY_MAX);
	if (!msg)
		return;
	int n = snprintf(msg, CTL_REPLY_MAX, "%s\n%s%s", ok ? "ok" : "error", text,
			 text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "");
	size_t len = n < 0 ? 0 : (size_t)n >= CTL_REPLY_MAX ? CTL_REPLY_MAX - 1 : (size_t)n;
	size_t off = 0;
	for (int tries = 0; off < len && tries < 100; tries++) {
		ssize_t w = write(fd, msg + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(msg);
}

static void execute(struct sim *s, char *line, int fd)
{
	char *argv[4] = {0};
	int argc = 0;
	for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t && argc < 4;
	     t = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = t;
	char *out = malloc(CTL_REPLY_MAX);
	if (!out)
		return;
	out[0] = '\0';
	bool ok = false;
	if (argc >= 2 && argc <= 3 && strcmp(argv[0], "run") == 0) {
		double speed = argc == 3 ? atof(argv[2]) : 1;
		struct sim_scenario *sc = NULL;
		if (!(speed >= 0.01 && speed <= 1000))
			snprintf(out, CTL_REPLY_MAX, "speed must be 0.01..1000");
		else if ((sc = sim_scenario_load(s, argv[1], out, CTL_REPLY_MAX)) != NULL) {
			sim_scenario_start(s, sc, speed);
			snprintf(out, CTL_REPLY_MAX, "scenario %s started: %s", sc->name,
				 sc->description ? sc->description : "");
			ok = true;
		}
	} else if (argc == 3 && strcmp(argv[0], "set") == 0) {
		ok = sim_set(s, argv[1], argv[2], true, out, CTL_REPLY_MAX) == 0;
		if (ok)
			snprintf(out, CTL_REPLY_MAX, "%s = %s", argv[1], argv[2]);
	} else if (argc == 1 && strcmp(argv[0], "status") == 0) {
		sim_status_text(s, out, CTL_REPLY_MAX);
		ok = true;
	} else {
		snprintf(out, CTL_REPLY_MAX,
			 "unknown command; expected: run SCENARIO [SPEED] | set DEVICE.POINT VALUE | status");
	}
	reply(fd, ok, out);
	free(out);
}

void sim_control_serve(struct sim *s, int lfd)
{
	for (int n = 0; n < 8; n++) { /* bounded per round */
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct timeval tv = {.tv_sec = 1};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		char line[CTL_LINE_MAX];
		size_t len = 0;
		while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
			ssize_t r = read(fd, line + len, sizeof(line) - 1 - len);
			if (r <= 0)
				break;
			len += (size_t)r;
		}
		line[len] = '\0';
		if (len == sizeof(line) - 1)
			reply(fd, false, "command too long");
		else
			execute(s, line, fd);
		close(fd);
	}
}

int sim_control_call(const char *path, const char *line, FILE *out, FILE *errout)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(errout, "dcmon-sim: control socket path too long: %s\n", path);
		return 3;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(errout, "dcmon-sim: cannot reach the simulator at %s: %s (is `dcmon-sim serve` running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 3;
	}
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t l = strlen(line);
	if (write(fd, line, l) != (ssize_t)l || write(fd, "\n", 1) != 1) {
		fprintf(errout, "dcmon-sim: write: %s\n", strerror(errno));
		close(fd);
		return 3;
	}
	char *buf = malloc(CTL_REPLY_MAX);
	size_t len = 0;
	while (buf && len < CTL_REPLY_MAX - 1) {
		ssize_t r = read(fd, buf + len, CTL_REPLY_MAX - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!buf)
		return 3;
	buf[len] = '\0';
	int rc;
	char *nl = strchr(buf, '\n');
	if (nl && strncmp(buf, "ok\n", 3) == 0) {
		fputs(nl + 1, out);
		rc = 0;
	} else if (nl && strncmp(buf, "error\n", 6) == 0) {
		fprintf(errout, "dcmon-sim: %s", nl + 1);
		rc = 1;
	} else {
		fprintf(errout, "dcmon-sim: no answer from the simulator\n");
		rc = 3;
	}
	free(buf);
	return rc;
}
